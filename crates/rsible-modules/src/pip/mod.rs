//! `pip`: Python packages installed with the target's pip, system-wide or in a virtualenv.
//!
//! ```yaml
//! - pip: { name: [flask>=2], virtualenv: /srv/app/venv, virtualenv_command: python3 -m venv }
//! ```
//!
//! As Ansible's module: the virtualenv is made when its `bin/activate` is missing, pip is
//! found (the interpreter's `-m pip`, `pip3` on `PATH`, or the virtualenv's), and one
//! `pip install|uninstall` runs; `changed` comes from pip's "Successfully installed/
//! uninstalled" lines, or from `pip list --format=freeze` before and after for requirements
//! files and VCS URLs. Check mode compares the freeze list with the requested specifiers.

mod requirement;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_list, de_opt_string, parse, ArgSpec};
use crate::target::file_state::join;
use crate::target::run_command::{cmd_text, run_command, Out, Ran, Settings};
use crate::target::script::{expand_path, run_script, BEST_LOCALE_FN, BIN_PATH_FN};
use crate::util::{failed, map, set_output};
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};
use requirement::{canonical_name, Requirement};
use rsible_connection::shell::quote;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "pip",
    ArgSpec::new(
        "pip",
        &[
            "state",
            "name",
            "version",
            "requirements",
            "virtualenv",
            "virtualenv_site_packages",
            "virtualenv_command",
            "virtualenv_python",
            "extra_args",
            "editable",
            "chdir",
            "executable",
            "umask",
            "break_system_packages",
        ],
    ),
);

const STATES: [&str; 4] = ["present", "absent", "latest", "forcereinstall"];

fn present() -> String {
    "present".into()
}

fn virtualenv() -> String {
    "virtualenv".into()
}

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(default = "present", deserialize_with = "de_str")]
    state: String,
    #[serde(default, deserialize_with = "de_opt_list")]
    name: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_string")]
    version: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    requirements: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    virtualenv: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    virtualenv_site_packages: bool,
    #[serde(default = "virtualenv", deserialize_with = "de_str")]
    virtualenv_command: String,
    #[serde(default, deserialize_with = "de_opt_string")]
    virtualenv_python: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    extra_args: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    editable: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    chdir: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    executable: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    umask: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    break_system_packages: bool,
}

fn de_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    de_opt_string(d).map(Option::unwrap_or_default)
}

pub(crate) struct Pip;
pub(crate) static PIP: Pip = Pip;

/// `exit_json`/`fail_json` ended the run with this result.
struct Done(ResultMap);

enum Stop {
    Done(Done),
    Fault(ModuleError),
}

impl From<crate::ConnectionError> for Stop {
    fn from(e: crate::ConnectionError) -> Self {
        Stop::Fault(e.into())
    }
}

impl From<Done> for Stop {
    fn from(d: Done) -> Self {
        Stop::Done(d)
    }
}

type Step<T> = Result<T, Stop>;

impl Module for Pip {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        if let Some(msg) = check_args(args, &a) {
            return Ok(failed(msg).into());
        }
        match run(ctx, &a) {
            Ok(r) | Err(Stop::Done(Done(r))) => Ok(crate::target::run_command::output(r)),
            Err(Stop::Fault(e)) => Err(e),
        }
    }
}

/// Ansible's checks in its order: mutually exclusive, choices, one of.
fn check_args(args: &serde_json::Map<String, Value>, a: &Args) -> Option<String> {
    let given = |k: &str| args.get(k).is_some_and(|v| !v.is_null());
    for (x, y) in [("name", "requirements"), ("executable", "virtualenv")] {
        if given(x) && given(y) {
            return Some(format!("parameters are mutually exclusive: {x}|{y}"));
        }
    }
    if !STATES.contains(&a.state.as_str()) {
        return Some(format!(
            "value of state must be one of: {}, got: {}",
            STATES.join(", "),
            a.state
        ));
    }
    if !given("name") && !given("requirements") {
        return Some("one of the following is required: name, requirements".into());
    }
    None
}

/// `_recover_package_name`: specifiers split off by a comma go back to their package.
fn recover_package_names(names: &[String]) -> Vec<String> {
    let is_name = |n: &str| {
        let t = n.trim_start();
        !["<=", ">=", "==", "!=", "~=", "<", ">"]
            .iter()
            .any(|op| t.starts_with(op))
    };
    let parts: Vec<&str> = names.iter().flat_map(|n| n.split(',')).collect();
    let mut out = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    let mut in_brackets = false;
    for name in parts {
        if is_name(name) && !in_brackets {
            if !cur.is_empty() {
                out.push(cur.join(","));
            }
            cur.clear();
        }
        if name.contains('[') {
            in_brackets = true;
        }
        if in_brackets && name.contains(']') {
            in_brackets = false;
        }
        cur.push(name);
    }
    out.push(cur.join(","));
    out
}

/// The module's `Package`: a parsed requirement, or the text as given.
struct Package {
    text: String,
    req: Option<Requirement>,
}

impl Package {
    fn new(name: &str, version: Option<&str>) -> Self {
        let mut text = name.to_owned();
        if let Some(v) = version {
            let v = v.trim_start();
            let sep = if v.starts_with(|c: char| c.is_ascii_digit()) {
                "=="
            } else {
                " "
            };
            text = format!("{name}{sep}{v}");
        }
        let req = Requirement::parse(&text);
        Package { text, req }
    }

    fn has_version_specifier(&self) -> bool {
        self.req.as_ref().is_some_and(|r| !r.specs.is_empty())
    }

    fn package_name(&self) -> String {
        match &self.req {
            Some(r) => {
                let n = canonical_name(&r.name);
                if n == "distribute" && self.text.contains("setuptools") {
                    "setuptools".into()
                } else {
                    n
                }
            }
            None => self.text.clone(),
        }
    }

    fn render(&self) -> String {
        match &self.req {
            Some(r) => r.render(),
            None => self.text.clone(),
        }
    }

    /// `_is_present` against `name==version` lines.
    fn is_present(&self, lines: &[&str]) -> bool {
        let Some(req) = &self.req else {
            return false;
        };
        let want = self.package_name();
        lines.iter().any(|l| {
            let mut parts = l.split("==");
            match (parts.next(), parts.next(), parts.next()) {
                (Some(n), Some(v), None) => canonical_name(n) == want && req.is_satisfied_by(v),
                _ => false,
            }
        })
    }
}

struct Job<'a> {
    ctx: &'a ModuleContext<'a>,
    settings: Settings,
    locale: String,
}

impl Job<'_> {
    fn run(&self, argv: &[String], cwd: Option<&str>, env: &[(&str, &str)]) -> Step<Out> {
        let mut settings = self.settings.clone();
        settings
            .env
            .extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        match run_command(self.ctx, &settings, argv, cwd)? {
            Ran::Done(out) => Ok(out),
            Ran::NoExec(r) => Err(Done(r).into()),
        }
    }

    /// `_get_packages`: `pip list --format=freeze`, or `pip freeze` when that fails.
    fn packages(&self, pip: &[String], chdir: &str) -> Step<(String, Out)> {
        let loc = self.locale.as_str();
        let mut cmd = pip.to_vec();
        cmd.extend(["list".into(), "--format=freeze".into()]);
        let mut out = self.run(
            &cmd,
            Some(chdir),
            &[("LANG", loc), ("LC_ALL", loc), ("LC_MESSAGES", loc)],
        )?;
        if out.rc != 0 {
            cmd = pip.to_vec();
            cmd.push("freeze".into());
            out = self.run(&cmd, Some(chdir), &[])?;
            if out.rc != 0 {
                return Err(fail_cmd(json!(cmd_text(&cmd)), &out.stdout, &out.stderr).into());
            }
        }
        Ok((cmd.join(" "), out))
    }
}

/// `_fail`: the command's output in the message.
fn fail_cmd(cmd: Value, out: &str, err: &str) -> Done {
    let mut msg = String::new();
    if !out.is_empty() {
        msg.push_str(&format!("stdout: {out}"));
    }
    if !err.is_empty() {
        msg.push_str(&format!("\n:stderr: {err}"));
    }
    let mut r = failed(msg);
    r.insert("cmd".into(), cmd);
    Done(r)
}

fn run(ctx: &ModuleContext<'_>, a: &Args) -> Step<ResultMap> {
    let expand = |p: &Option<String>| -> Result<Option<String>, crate::ConnectionError> {
        p.as_ref().map(|p| expand_path(ctx, p)).transpose()
    };
    let chdir_arg = expand(&a.chdir)?;
    let mut env = expand(&a.virtualenv)?;
    if let (Some(e), Some(c)) = (&env, &chdir_arg) {
        env = Some(join(c, e));
    }
    let umask = match &a.umask {
        Some(u) if !u.is_empty() => match u32::from_str_radix(u, 8) {
            Ok(v) => Some(v),
            Err(_) => {
                let mut r = failed("umask must be an octal integer");
                r.insert(
                    "details".into(),
                    json!(format!(
                        "invalid literal for int() with base 8: {}",
                        rsible_template::py_repr(&json!(u))
                    )),
                );
                return Ok(r);
            }
        },
        _ => None,
    };
    if a.state == "latest" && a.version.is_some() {
        return Ok(failed("version is incompatible with state=latest"));
    }

    // One probe: the temp dir, the module's interpreter and whether it has pip, pip3 on
    // PATH, the locale, and whether the virtualenv is there.
    let python = crate::setup::python_probe(ctx);
    let venv_check = match &env {
        Some(e) => format!(
            "[ -e {} ] && echo A:1\n",
            quote(&join(&join(e, "bin"), "activate"))
        ),
        None => String::new(),
    };
    let probe = format!(
        "{BIN_PATH_FN}{BEST_LOCALE_FN}echo \"T:${{TMPDIR:-${{TEMP:-${{TMP:-/tmp}}}}}}\"\n\
         _py={python}\necho \"P:${{_py:-/usr/bin/python3}}\"\n\
         [ -n \"$_py\" ] && \"$_py\" -c 'import importlib.util,sys; sys.exit(0 if importlib.util.find_spec(\"pip\") else 1)' >/dev/null 2>&1 && echo M:1\n\
         echo \"L:$(_loc)\"\n{venv_check}"
    );
    let out = run_script(ctx, probe)?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |p: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(p))
            .map(str::to_owned)
    };
    let sys_executable = field("P:").unwrap_or_else(|| "/usr/bin/python3".into());
    let mut settings = Settings {
        env: Vec::new(),
        umask,
        path_prefix: None,
    };
    if a.break_system_packages {
        settings
            .env
            .push(("PIP_BREAK_SYSTEM_PACKAGES".into(), "1".into()));
    }
    let job = Job {
        ctx,
        settings,
        locale: field("L:").unwrap_or_else(|| "C".into()),
    };
    let chdir = chdir_arg
        .clone()
        .unwrap_or_else(|| field("T:").unwrap_or_else(|| "/tmp".into()));

    let mut out = String::new();
    let mut err = String::new();
    let mut venv_created = false;
    let executable = expand(&a.executable)?;
    if let Some(e) = &env {
        if field("A:").is_none() {
            venv_created = true;
            if ctx.check_mode {
                return Ok(map(json!({"changed": true})));
            }
            setup_virtualenv(&job, a, e, &chdir, &sys_executable, &mut out, &mut err)?;
        }
    }
    let pip = find_pip(
        &job,
        env.as_deref(),
        executable.as_deref(),
        &sys_executable,
        field("M:").is_some(),
    )?;

    let mut cmd = pip.clone();
    cmd.extend(
        match a.state.as_str() {
            "absent" => &["uninstall", "-y"][..],
            "latest" => &["install", "-U"][..],
            "forcereinstall" => &["install", "-U", "--force-reinstall"][..],
            _ => &["install"][..],
        }
        .iter()
        .map(|s| (*s).to_owned()),
    );
    let mut job = job;
    if let Some(e) = &env {
        job.settings.path_prefix = Some(join(e, "bin"));
    }

    let names = a.name.clone().filter(|n| !n.is_empty());
    let mut has_vcs = false;
    let mut packages: Vec<Package> = Vec::new();
    if let Some(names) = &names {
        has_vcs = names.iter().any(|n| is_vcs_url(n));
        packages = recover_package_names(names)
            .iter()
            .map(|n| Package::new(n, None))
            .collect();
        if let Some(v) = &a.version {
            if packages.len() > 1 {
                return Ok(failed("'version' argument is ambiguous when installing multiple package distributions. Please specify version restrictions next to each package in 'name' argument."));
            }
            if packages[0].has_version_specifier() {
                return Ok(failed("The 'version' argument conflicts with any version specifier provided along with a package name. Please keep the version specifier, but remove the 'version' argument."));
            }
            packages[0] = Package::new(&packages[0].render(), Some(v));
        }
    }
    let mut extra_args = a.extra_args.clone().filter(|s| !s.is_empty());
    if a.editable {
        let mut list: Vec<String> = extra_args
            .as_deref()
            .map(|e| e.split(' ').map(str::to_owned).collect())
            .unwrap_or_default();
        if !list.iter().any(|x| x == "-e") {
            list.push("-e".into());
            extra_args = Some(list.join(" "));
        }
    }
    if let Some(e) = &extra_args {
        match shlex::split(e) {
            Some(words) => cmd.extend(words),
            None => return Ok(failed("No closing quotation")),
        }
    }
    let requirements = a.requirements.clone().filter(|s| !s.is_empty());
    if names.is_some() {
        cmd.extend(packages.iter().map(Package::render));
    } else if let Some(r) = &requirements {
        cmd.extend(["-r".into(), r.clone()]);
    } else {
        return Ok(map(json!({
            "changed": false,
            "warnings": ["No valid name or requirements file found."],
        })));
    }

    if ctx.check_mode {
        if extra_args.is_some() || requirements.is_some() || a.state == "latest" || names.is_none()
        {
            return Ok(map(json!({"changed": true})));
        }
        let (pkg_cmd, listed) = job.packages(&pip, &chdir)?;
        out.push_str(&listed.stdout);
        err.push_str(&listed.stderr);
        let mut lines: Vec<String> = out
            .split('\n')
            .filter(|p| {
                !p.is_empty()
                    && !p.starts_with("You are using")
                    && !p.starts_with("You should consider")
            })
            .map(str::to_owned)
            .collect();
        let names = names.clone().unwrap_or_default();
        if pkg_cmd.ends_with(" freeze") {
            for special in ["setuptools", "pip"] {
                if names.iter().any(|n| n == special) {
                    if let Some(dep) = special_package(
                        &job,
                        special,
                        &pip_python(&env, &executable, &sys_executable),
                    )? {
                        out.push_str(&format!("{dep}\n"));
                        lines.push(dep);
                    }
                }
            }
        }
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let changed = packages.iter().any(|p| {
            let present = p.is_present(&refs);
            (a.state == "present" && !present) || (a.state == "absent" && present)
        });
        let mut r = map(json!({"changed": changed, "cmd": pkg_cmd}));
        set_output(&mut r, out, err);
        return Ok(r);
    }

    let freeze_before = if requirements.is_some() || has_vcs {
        Some(job.packages(&pip, &chdir)?.1.stdout)
    } else {
        None
    };
    let ran = job.run(&cmd, Some(&chdir), &[])?;
    out.push_str(&ran.stdout);
    err.push_str(&ran.stderr);
    let not_installed =
        ran.stdout.contains("not installed") || ran.stderr.contains("not installed");
    if ran.rc == 1 && a.state == "absent" && not_installed {
        // pip exits 1 for a package that is not installed.
    } else if ran.rc != 0 {
        return Err(fail_cmd(json!(cmd), &out, &err).into());
    }
    let mut changed = if a.state == "absent" {
        ran.stdout.contains("Successfully uninstalled")
    } else {
        match &freeze_before {
            None => ran.stdout.contains("Successfully installed"),
            Some(before) => *before != job.packages(&pip, &chdir)?.1.stdout,
        }
    };
    changed = changed || venv_created;
    let mut r = map(json!({
        "changed": changed,
        "cmd": cmd,
        "name": a.name,
        "version": a.version,
        "state": a.state,
        "requirements": a.requirements,
        "virtualenv": env,
    }));
    set_output(&mut r, out, err);
    Ok(r)
}

/// The interpreter `_get_package_info` asks: the virtualenv's, the `executable`, or the
/// module's.
fn pip_python(env: &Option<String>, executable: &Option<String>, sys_executable: &str) -> String {
    match (env, executable) {
        (Some(e), _) => join(&join(e, "bin"), "python"),
        (None, Some(x)) => x.clone(),
        (None, None) => sys_executable.to_owned(),
    }
}

/// `_get_package_info` for pip and setuptools, which `pip freeze` leaves out.
fn special_package(job: &Job<'_>, package: &str, python: &str) -> Step<Option<String>> {
    let importlib =
        job.run(
            &[
                python.into(),
                "-c".into(),
                "import importlib.metadata".into(),
            ],
            None,
            &[],
        )?
        .rc == 0;
    let code = match (importlib, package) {
        (true, p) => format!("from importlib.metadata import version; print(version(\"{p}\"))"),
        (false, "setuptools") => "import setuptools; print(setuptools.__version__)".into(),
        (false, _) => {
            "import pkg_resources; print(pkg_resources.get_distribution(\"pip\").version)".into()
        }
    };
    let out = job.run(&[python.into(), "-c".into(), code], None, &[])?;
    Ok((out.rc == 0).then(|| format!("{package}=={}", out.stdout.trim())))
}

fn is_vcs_url(name: &str) -> bool {
    ["svn+", "git+", "hg+", "bzr+"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// `_get_pip`.
fn find_pip(
    job: &Job<'_>,
    env: Option<&str>,
    executable: Option<&str>,
    sys_executable: &str,
    have_pip_module: bool,
) -> Step<Vec<String>> {
    let mut candidates: Vec<String> = vec!["pip3".into()];
    match executable {
        Some(x) if x.starts_with('/') => return Ok(vec![x.to_owned()]),
        Some(x) => candidates = vec![x.to_owned()],
        None if env.is_none() && have_pip_module => {
            return Ok(vec![sys_executable.to_owned(), "-m".into(), "pip".into()])
        }
        None => {}
    }
    match env {
        None => {
            for c in &candidates {
                let out = run_script(job.ctx, format!("{BIN_PATH_FN}_bin {}", quote(c)))?;
                if out.rc == 0 {
                    let p = String::from_utf8_lossy(&out.stdout).trim_end().to_owned();
                    return Ok(vec![p]);
                }
            }
            Err(Done(failed(format!(
                "Unable to find any of {} to use.  pip needs to be installed.",
                candidates.join(", ")
            )))
            .into())
        }
        Some(e) => {
            let names = [candidates[0].clone(), "pip".into()];
            for n in &names {
                let c = join(&join(e, "bin"), n);
                let out = run_script(
                    job.ctx,
                    format!("[ -e {c} ] && [ -x {c} ] && [ ! -d {c} ]", c = quote(&c)),
                )?;
                if out.rc == 0 {
                    return Ok(vec![c]);
                }
            }
            Err(Done(failed(format!(
                "Unable to find pip in the virtualenv, {e}, under any of these names: {}. Make sure pip is present in the virtualenv.",
                names.join(", ")
            )))
            .into())
        }
    }
}

/// `_is_venv_command`: `pyvenv`, or any command with `-m venv`.
fn is_venv_command(command: &str) -> bool {
    let argv = shlex::split(command).unwrap_or_default();
    if argv.first().is_some_and(|a| a == "pyvenv") {
        return true;
    }
    let mut m = None;
    let mut it = argv.iter().skip(1);
    while let Some(a) = it.next() {
        if a == "-m" {
            m = it.next().cloned();
        } else if let Some(v) = a.strip_prefix("-m") {
            m = Some(v.strip_prefix('=').unwrap_or(v).to_owned());
        }
    }
    m.as_deref() == Some("venv")
}

fn setup_virtualenv(
    job: &Job<'_>,
    a: &Args,
    env: &str,
    chdir: &str,
    sys_executable: &str,
    out: &mut String,
    err: &mut String,
) -> Step<()> {
    let mut cmd = shlex::split(&a.virtualenv_command).unwrap_or_default();
    if cmd.is_empty() {
        return Err(Done(failed("virtualenv_command is empty")).into());
    }
    if !cmd[0].contains('/') {
        let found = run_script(job.ctx, format!("{BIN_PATH_FN}_bin {}", quote(&cmd[0])))?;
        let text = String::from_utf8_lossy(&found.stdout).trim_end().to_owned();
        if found.rc != 0 {
            return Err(Done(failed(text)).into());
        }
        cmd[0] = text;
    }
    if a.virtualenv_site_packages {
        cmd.push("--system-site-packages".into());
    } else {
        let help = vec![cmd[0].clone(), "--help".into()];
        let h = job.run(&help, None, &[])?;
        if h.rc != 0 {
            return Err(Done(failed(format!(
                "Could not get output from {} --help: {}{}",
                cmd[0], h.stdout, h.stderr
            )))
            .into());
        }
        if h.stdout
            .split_whitespace()
            .any(|w| w == "--no-site-packages")
        {
            cmd.push("--no-site-packages".into());
        }
    }
    if !is_venv_command(&a.virtualenv_command) {
        let py = a.virtualenv_python.clone().filter(|p| !p.is_empty());
        cmd.push(format!("-p{}", py.as_deref().unwrap_or(sys_executable)));
    } else if a
        .virtualenv_python
        .as_deref()
        .is_some_and(|p| !p.is_empty())
    {
        return Err(Done(failed(
            "virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command",
        ))
        .into());
    }
    cmd.push(env.to_owned());
    let ran = job.run(&cmd, Some(chdir), &[])?;
    out.push_str(&ran.stdout);
    err.push_str(&ran.stderr);
    if ran.rc != 0 {
        return Err(fail_cmd(json!(cmd), out, err).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;

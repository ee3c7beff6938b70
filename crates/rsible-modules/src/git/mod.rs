//! `git`: a checkout of a repository on the target, made and updated with the target's git.
//!
//! ```yaml
//! - git: { repo: https://example.org/app.git, dest: /srv/app, version: v1.2 }
//! ```
//!
//! Every step is one git command on the target (argv quoted, run from `dest` when it exists,
//! under the locale `get_best_parsable_locale` picks), in the order Ansible's module runs them:
//! a missing checkout is cloned (check mode and `clone: false` ask `ls-remote` instead), an
//! existing one is checked for local modifications, fetched, and switched to `version`; then
//! submodules, the diff between the old and new commit, and an archive.

use std::cell::RefCell;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_int, de_opt_list, de_opt_string, parse, ArgSpec};
use crate::target::file_state::join;
use crate::target::script::{expand_path, run_script, BEST_LOCALE_FN, BIN_PATH_FN};
use crate::util::{failed, set_output};
use crate::ResultMap;
use crate::{ConnectionError, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput};
use rsible_connection::shell::quote;

#[cfg(test)]
mod tests;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "git",
    ArgSpec::new(
        "git",
        &[
            "dest",
            "repo",
            "name",
            "version",
            "remote",
            "refspec",
            "reference",
            "force",
            "depth",
            "clone",
            "update",
            "verify_commit",
            "gpg_allowlist",
            "gpg_whitelist",
            "accept_hostkey",
            "accept_newhostkey",
            "key_file",
            "ssh_opts",
            "executable",
            "bare",
            "recursive",
            "single_branch",
            "track_submodules",
            "umask",
            "archive",
            "archive_prefix",
            "separate_git_dir",
        ],
    )
    .aliases(&["name", "gpg_whitelist"]),
);

fn yes() -> bool {
    true
}

fn head() -> String {
    "HEAD".into()
}

fn origin() -> String {
    "origin".into()
}

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    dest: Option<String>,
    #[serde(default, alias = "name", deserialize_with = "de_opt_string")]
    repo: Option<String>,
    #[serde(default = "head", deserialize_with = "de_str")]
    version: String,
    #[serde(default = "origin", deserialize_with = "de_str")]
    remote: String,
    #[serde(default, deserialize_with = "de_opt_string")]
    refspec: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    reference: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    force: bool,
    #[serde(default, deserialize_with = "de_opt_int")]
    depth: Option<i64>,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    clone: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    update: bool,
    #[serde(default, deserialize_with = "de_bool")]
    verify_commit: bool,
    #[serde(default, alias = "gpg_whitelist", deserialize_with = "de_opt_list")]
    gpg_allowlist: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_bool")]
    accept_hostkey: bool,
    #[serde(default, deserialize_with = "de_bool")]
    accept_newhostkey: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    key_file: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    ssh_opts: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    executable: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    bare: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    recursive: bool,
    #[serde(default, deserialize_with = "de_bool")]
    single_branch: bool,
    #[serde(default, deserialize_with = "de_bool")]
    track_submodules: bool,
    #[serde(default)]
    umask: Option<Value>,
    #[serde(default, deserialize_with = "de_opt_string")]
    archive: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    archive_prefix: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    separate_git_dir: Option<String>,
}

fn de_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    de_opt_string(d).map(Option::unwrap_or_default)
}

pub(crate) struct Git;
pub(crate) static GIT: Git = Git;

/// How a run ends early: with the module's result (`exit_json`/`fail_json`), or a fault.
pub(super) enum Stop {
    Done(ResultMap),
    Fault(ModuleError),
}

impl From<ConnectionError> for Stop {
    fn from(e: ConnectionError) -> Self {
        Stop::Fault(e.into())
    }
}

type Step<T> = Result<T, Stop>;

impl Module for Git {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let given = |k: &str| args.get(k).is_some_and(|v| !v.is_null());
        for (x, y) in [
            ("separate_git_dir", "bare"),
            ("accept_hostkey", "accept_newhostkey"),
        ] {
            if given(x) && given(y) {
                return Ok(failed(format!("parameters are mutually exclusive: {x}|{y}")).into());
            }
        }
        if a.repo.is_none() {
            return Ok(failed("missing required arguments: repo").into());
        }
        if a.archive_prefix.is_some() && a.archive.is_none() {
            return Ok(failed("missing parameter(s) required by 'archive_prefix': archive").into());
        }
        match run(ctx, &a) {
            Ok(r) | Err(Stop::Done(r)) => Ok(crate::target::run_command::output(r)),
            Err(Stop::Fault(e)) => Err(e),
        }
    }
}

pub(super) use crate::target::run_command::cmd_text;
use crate::target::run_command::{run_command, Out, Ran, Settings};

/// The target's git and the environment every command of the run gets.
pub(super) struct Runner<'a> {
    ctx: &'a ModuleContext<'a>,
    git: String,
    env: Vec<(String, String)>,
    umask: Option<u32>,
    warnings: RefCell<Vec<String>>,
}

impl Runner<'_> {
    /// Runs `argv` (from `cwd` when it is a directory, as `run_command` ignores an invalid
    /// one); a program that cannot run ends the module as `run_command` does.
    fn exec(&self, argv: &[String], cwd: Option<&str>) -> Step<Out> {
        let settings = Settings {
            env: self.env.clone(),
            umask: self.umask,
            path_prefix: None,
        };
        match run_command(self.ctx, &settings, argv, cwd)? {
            Ran::Done(out) => Ok(out),
            Ran::NoExec(r) => Err(Stop::Done(self.finish(r))),
        }
    }

    /// `git ARGS…`.
    fn git(&self, args: &[&str], cwd: Option<&str>) -> Step<Out> {
        self.exec(&self.argv(args), cwd)
    }

    fn argv(&self, args: &[&str]) -> Vec<String> {
        std::iter::once(self.git.clone())
            .chain(args.iter().map(|a| (*a).to_owned()))
            .collect()
    }

    /// `run_command(…, check_rc=True)`: a failure ends the module with the command's output.
    fn git_checked(&self, args: &[&str], cwd: Option<&str>) -> Step<Out> {
        let out = self.git(args, cwd)?;
        if out.rc != 0 {
            let mut r = ResultMap::new();
            r.insert("cmd".into(), json!(cmd_text(&self.argv(args))));
            r.insert("rc".into(), json!(out.rc));
            set_output(&mut r, out.stdout.clone(), out.stderr.clone());
            return Err(self.fail(out.stderr.trim_end().to_owned(), r));
        }
        Ok(out)
    }

    /// A shell snippet run as the task's user (file checks and moves the module does with
    /// Python's `os`).
    fn sh(&self, script: String) -> Step<Out> {
        let mut s = String::new();
        if let Some(u) = self.umask {
            s.push_str(&format!("umask {u:04o}\n"));
        }
        s.push_str(&script);
        let out = run_script(self.ctx, s)?;
        Ok(Out {
            rc: out.rc,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    fn test(&self, flag: &str, path: &str) -> Step<bool> {
        Ok(self.sh(format!("[ {flag} {} ]", quote(path)))?.rc == 0)
    }

    fn exists(&self, path: &str) -> Step<bool> {
        self.test("-e", path)
    }

    fn warn(&self, msg: impl Into<String>) {
        self.warnings.borrow_mut().push(msg.into());
    }

    /// `fail_json(msg, **extra)`.
    fn fail(&self, msg: impl Into<String>, extra: ResultMap) -> Stop {
        let mut r = failed(msg);
        for (k, v) in extra {
            r.insert(k, v);
        }
        Stop::Done(self.finish(r))
    }

    fn fail_out(&self, msg: impl Into<String>, out: &Out, cmd: Option<&[String]>) -> Stop {
        let mut r = ResultMap::new();
        if let Some(c) = cmd {
            r.insert("cmd".into(), json!(cmd_text(c)));
        }
        r.insert("rc".into(), json!(out.rc));
        set_output(&mut r, out.stdout.clone(), out.stderr.clone());
        self.fail(msg, r)
    }

    /// The result with the warnings of the run.
    fn finish(&self, mut r: ResultMap) -> ResultMap {
        let w = self.warnings.borrow();
        if !w.is_empty() {
            r.insert("warnings".into(), json!(*w));
        }
        r
    }
}

/// `LooseVersion` of `git --version`'s number, compared as its leading numbers.
pub(super) fn version_tuple(v: &str) -> Vec<u64> {
    v.split(|c: char| !c.is_ascii_digit())
        .take_while(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn older(v: &Option<Vec<u64>>, than: &[u64]) -> bool {
    v.as_ref().is_some_and(|v| v.as_slice() < than)
}

/// `head_splitter`: the branch a HEAD file's first line names.
pub(super) fn head_splitter(first_line: &str, remote: &str) -> String {
    let raw = first_line.replacen(&format!("refs/remotes/{remote}"), "", 1);
    let newref = raw.split(' ').next_back().unwrap_or_default();
    let part = newref.splitn(3, '/').last().unwrap_or_default();
    part.trim_end_matches('\n').to_owned()
}

/// `get_gpg_fingerprint`: the primary key's fingerprint in `--raw` verify output.
pub(super) fn gpg_fingerprint(output: &str) -> Option<String> {
    for line in output.lines() {
        let data: Vec<&str> = line.split_whitespace().collect();
        if data.get(1) != Some(&"VALIDSIG") {
            continue;
        }
        let id = if data.len() == 11 { 11 } else { 2 };
        return data.get(id).map(|s| (*s).to_owned());
    }
    None
}

/// What the module knows once its arguments are settled.
struct Job<'a> {
    r: Runner<'a>,
    a: &'a Args,
    repo: String,
    dest: Option<String>,
    depth: Option<i64>,
    version_used: Option<Vec<u64>>,
    /// The directory commands without `cwd` run in (the module's working directory).
    home: String,
}

fn run(ctx: &ModuleContext<'_>, a: &Args) -> Step<ResultMap> {
    let repo_arg = a.repo.clone().unwrap_or_default();
    // One probe: git's path, its version, the locale, the working directory, and ssh's path
    // when accept_newhostkey needs it.
    let exe = match &a.executable {
        Some(e) => format!("echo {}", quote(&expand_path(ctx, e)?)),
        None => "_bin git".to_owned(),
    };
    let probe = format!(
        "{BIN_PATH_FN}{BEST_LOCALE_FN}echo \"G:$({exe})\"\necho \"L:$(_loc)\"\necho \"D:$(pwd)\"\necho \"S:$(_bin ssh)\"\n"
    );
    let out = run_script(ctx, probe)?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |p: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(p))
            .unwrap_or_default()
            .to_owned()
    };
    let git = field("G:");
    let locale = field("L:");
    let home = field("D:");
    let bare_runner = Runner {
        ctx,
        git: git.clone(),
        env: Vec::new(),
        umask: None,
        warnings: RefCell::new(Vec::new()),
    };
    if a.executable.is_none() && !git.starts_with('/') {
        return Err(bare_runner.fail(git, ResultMap::new()));
    }

    let mut ssh_opts = a.ssh_opts.clone();
    let add_opt = |opts: &mut Option<String>, opt: &str| match opts {
        Some(o) => {
            if !o.contains("-o StrictHostKeyChecking=no")
                && !o.contains("-o StrictHostKeyChecking=accept-new")
            {
                o.push(' ');
                o.push_str(opt);
            }
        }
        None => *opts = Some(opt.to_owned()),
    };
    if a.accept_hostkey {
        add_opt(&mut ssh_opts, "-o StrictHostKeyChecking=no");
    }
    if a.accept_newhostkey {
        let ssh = field("S:");
        if !ssh.starts_with('/') {
            let mut d = ResultMap::new();
            d.insert("details".into(), json!(ssh));
            return Err(bare_runner.fail(
                "Remote host is missing ssh command, so you cannot use acceptnewhostkey option.",
                d,
            ));
        }
        let check = bare_runner.exec(
            &[
                ssh,
                "-o".into(),
                "StrictHostKeyChecking=accept-new".into(),
                "-V".into(),
            ],
            None,
        )?;
        if check.rc != 0 {
            bare_runner.warn("Your ssh client does not support accept_newhostkey option, therefore it cannot be used.");
        } else {
            add_opt(&mut ssh_opts, "-o StrictHostKeyChecking=accept-new");
        }
    }

    let umask = match &a.umask {
        None => None,
        Some(Value::String(s)) => match u32::from_str_radix(s, 8) {
            Ok(u) => Some(u),
            Err(_) => {
                let mut d = ResultMap::new();
                d.insert(
                    "details".into(),
                    json!(format!(
                        "invalid literal for int() with base 8: {}",
                        rsible_template::py_repr(&json!(s))
                    )),
                );
                return Err(bare_runner.fail("umask must be an octal integer", d));
            }
        },
        Some(_) => {
            return Err(bare_runner.fail(
                "umask must be defined as a quoted octal integer",
                ResultMap::new(),
            ))
        }
    };

    // Paths given as paths are cloned as file:// URLs (depth needs a protocol).
    let mut repo = repo_arg.clone();
    if repo.starts_with('~') {
        repo = expand_path(ctx, &repo)?;
    }
    if repo.starts_with('/') {
        repo = format!("file://{repo}");
    }

    let env_of = |k: &str| {
        ctx.environment
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    let mut env: Vec<(String, String)> = ["LANG", "LC_ALL", "LC_MESSAGES", "LC_CTYPE", "LANGUAGE"]
        .iter()
        .map(|k| ((*k).to_owned(), locale.clone()))
        .collect();
    let r0 = Runner {
        ctx,
        git: git.clone(),
        env: env.clone(),
        umask,
        warnings: RefCell::new(bare_runner.warnings.take()),
    };
    let version_out = r0.git(&["--version"], None)?;
    let version_used = if version_out.rc == 0 {
        version_out
            .stdout
            .trim_end()
            .rsplit_once("git version ")
            .map(|(_, v)| version_tuple(v))
    } else {
        None
    };
    // set_git_ssh_env: the options go into GIT_SSH_COMMAND.
    let mut opts = env_of("GIT_SSH_OPTS").unwrap_or_default();
    if let Some(o) = &ssh_opts {
        opts = format!("{opts} {o}");
    }
    if a.accept_hostkey && !opts.contains("StrictHostKeyChecking=no") {
        opts.push_str(" -o StrictHostKeyChecking=no");
    }
    if !opts.contains("BatchMode=yes") {
        opts.push_str(" -o BatchMode=yes");
    }
    if let Some(k) = &a.key_file {
        let k = expand_path(ctx, k)?;
        let key_opt = format!("-i {k}");
        if !opts.contains(&key_opt) {
            opts.push_str(&format!("  {key_opt}"));
        }
        if !opts.contains("IdentitiesOnly=yes") {
            opts.push_str(" -o IdentitiesOnly=yes");
        }
    }
    let ssh = env_of("GIT_SSH")
        .or_else(|| env_of("GIT_SSH_COMMAND"))
        .unwrap_or_else(|| "ssh".into());
    env.push(("GIT_SSH_COMMAND".into(), format!("{ssh} {opts}")));
    let r = Runner { env, ..r0 };

    let mut depth = a.depth;
    if depth.is_some() && older(&version_used, &[1, 9, 1]) {
        r.warn("git version is too old to fully support the depth argument. Falling back to full checkouts.");
        depth = None;
    }

    let dest = match &a.dest {
        Some(d) => {
            let d = expand_path(ctx, d)?;
            Some(crate::synchronize::cmd::abspath(&d, &home))
        }
        None => None,
    };
    let job = Job {
        r,
        a,
        repo,
        dest,
        depth,
        version_used,
        home,
    };
    job.main()
}

impl Job<'_> {
    fn main(&self) -> Step<ResultMap> {
        let a = self.a;
        let r = &self.r;
        let mut result = ResultMap::new();
        result.insert("changed".into(), json!(false));

        let separate_git_dir = match &a.separate_git_dir {
            Some(s) => Some(self.realpath(&expand_path(r.ctx, s)?)?),
            None => None,
        };
        let mut gitconfig = None;
        match &self.dest {
            None if a.clone => {
                return Err(r.fail(
                    "the destination directory must be specified unless clone=no",
                    ResultMap::new(),
                ))
            }
            None => {}
            Some(dest) => {
                let mut repo_path = match self.repo_path(dest, a.bare)? {
                    Ok(p) => p,
                    Err(e) => return Err(self.invalid_git_dir(&e)),
                };
                if let Some(sep) = &separate_git_dir {
                    if r.exists(&repo_path)? && *sep != repo_path {
                        result.insert("changed".into(), json!(true));
                        if !r.ctx.check_mode {
                            self.relocate(&mut result, sep, &repo_path, dest)?;
                            repo_path = sep.clone();
                        }
                    }
                }
                gitconfig = Some(join(&repo_path, "config"));
            }
        }

        result.insert("before".into(), Value::Null);
        let mut local_mods = false;
        let mut remote_head = None;
        let no_config = match &gitconfig {
            Some(c) => !r.exists(c)?,
            None => false,
        };
        let dest = self.dest.clone().unwrap_or_default();
        let remote_url_changed;
        if no_config || (self.dest.is_none() && !a.clone) {
            if r.ctx.check_mode || !a.clone {
                let head = self.remote_head(&self.repo, true)?;
                result.insert("changed".into(), json!(true));
                result.insert("after".into(), json!(head));
                self.add_diff(&mut result, None, &head)?;
                return Ok(r.finish(result));
            }
            self.clone(&dest, separate_git_dir.as_deref())?;
            remote_url_changed = false;
        } else if !a.update {
            let before = self.rev(&dest, "HEAD")?;
            result.insert("before".into(), json!(before));
            result.insert("after".into(), json!(before));
            if let Some(archive) = &a.archive {
                if r.ctx.check_mode {
                    result.insert("changed".into(), json!(true));
                    return Ok(r.finish(result));
                }
                self.create_archive(&dest, archive, &mut result)?;
            }
            return Ok(r.finish(result));
        } else {
            local_mods = self.has_local_mods(&dest)?;
            let before = self.rev(&dest, "HEAD")?;
            result.insert("before".into(), json!(before));
            if local_mods {
                if !a.force {
                    return Err(r.fail(
                        format!("Local modifications exist in the destination: {dest} (force=no)."),
                        result,
                    ));
                }
                if !r.ctx.check_mode {
                    r.git_checked(&["reset", "--hard", "HEAD"], Some(&dest))?;
                    result.insert("changed".into(), json!(true));
                    result.insert(
                        "msg".into(),
                        json!(format!(
                            "Local modifications exist in the destination: {dest}"
                        )),
                    );
                }
            }
            if r.ctx.check_mode {
                let url = self.remote_url(&dest, &a.remote)?;
                let changed_url = match &url {
                    Some(u) if !u.is_empty() => {
                        *u != self.repo && self.unfrack(u)? != self.unfrack(&self.repo)?
                    }
                    _ => false,
                };
                // Python's `remote_url and …` keeps a missing or empty URL as it is.
                let shown = match &url {
                    None => Value::Null,
                    Some(u) if u.is_empty() => json!(""),
                    Some(_) => json!(changed_url),
                };
                result.insert("remote_url_changed".into(), shown);
                let head = self.remote_head(&a.remote, false)?;
                let changed = Some(&json!(head)) != result.get("before") || changed_url;
                result.insert("changed".into(), json!(changed));
                result.insert("after".into(), json!(head));
                let before = result
                    .get("before")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                self.add_diff(&mut result, before.as_deref(), &head)?;
                return Ok(r.finish(result));
            }
            remote_url_changed = self.set_remote_url(&dest)?;
            result.insert("remote_url_changed".into(), json!(remote_url_changed));
            self.fetch(&dest, &a.version, a.refspec.as_deref(), a.force)?;
            let after = self.rev(&dest, "HEAD")?;
            result.insert("after".into(), json!(after));
            remote_head = Some(after);
        }

        if !a.bare {
            self.switch_version(&dest)?;
        }

        let mut submodules_updated = false;
        if a.recursive && !a.bare {
            submodules_updated = self.submodules_fetch(&dest)?;
            if submodules_updated {
                result.insert("submodules_changed".into(), json!(true));
                if r.ctx.check_mode {
                    result.insert("changed".into(), json!(true));
                    result.insert("after".into(), json!(remote_head));
                    return Ok(r.finish(result));
                }
                self.submodule_update(&dest)?;
            }
        }

        let after = self.rev(&dest, "HEAD")?;
        result.insert("after".into(), json!(after));
        let before = result
            .get("before")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if before.as_deref() != Some(after.as_str())
            || local_mods
            || submodules_updated
            || remote_url_changed
        {
            result.insert("changed".into(), json!(true));
            self.add_diff(&mut result, before.as_deref(), &after)?;
        }

        if let Some(archive) = &a.archive {
            if r.ctx.check_mode {
                result.insert("changed".into(), json!(true));
                return Ok(r.finish(result));
            }
            self.create_archive(&dest, archive, &mut result)?;
        }
        Ok(r.finish(result))
    }

    fn invalid_git_dir(&self, details: &str) -> Stop {
        let mut d = ResultMap::new();
        d.insert("details".into(), json!(details));
        self.r.fail(
            "Current repo does not have a valid reference to a separate Git dir or it refers to the invalid path",
            d,
        )
    }

    /// `os.path.realpath` on the target.
    fn realpath(&self, p: &str) -> Step<String> {
        let out = self.r.sh(format!(
            "cd {} 2>/dev/null; realpath -m -- {}",
            quote(&self.home),
            quote(p)
        ))?;
        Ok(out.stdout.trim_end_matches('\n').to_owned())
    }

    /// `unfrackgitpath`: the URL or path as a normalised real path.
    fn unfrack(&self, p: &str) -> Step<String> {
        self.realpath(p)
    }

    /// `get_repo_path`: `dest/.git` (or `dest` when bare), following a `gitdir:` file.
    /// The inner error is the module's `ValueError`/`OSError` text.
    fn repo_path(&self, dest: &str, bare: bool) -> Step<Result<String, String>> {
        let path = if bare {
            dest.to_owned()
        } else {
            join(dest, ".git")
        };
        if !self.r.test("-f", &path)? {
            return Ok(Ok(path));
        }
        let out = self.r.sh(format!("cat -- {}", quote(&path)))?;
        if out.rc != 0 {
            return Ok(Err(out.stderr.trim_end().to_owned()));
        }
        let data = out.stdout.trim_end();
        let Some((prefix, gitdir)) = data.split_once("gitdir: ") else {
            return Ok(Err("not enough values to unpack (expected 2, got 1)".into()));
        };
        if !prefix.is_empty() {
            return Ok(Err(".git file has invalid git dir reference format".into()));
        }
        let p = join(dest, gitdir);
        if !self.r.test("-d", &p)? {
            return Ok(Err(format!("{p} is not a directory")));
        }
        Ok(Ok(p))
    }

    fn relocate(
        &self,
        result: &mut ResultMap,
        repo_dir: &str,
        old: &str,
        worktree: &str,
    ) -> Step<()> {
        if self.r.exists(repo_dir)? {
            return Err(self.r.fail(
                format!("Separate-git-dir path {repo_dir} already exists."),
                ResultMap::new(),
            ));
        }
        let dot_git = join(worktree, ".git");
        let out = self.r.sh(format!(
            "mv -- {old} {new} && printf 'gitdir: %s' {new} > {dot}",
            old = quote(old),
            new = quote(repo_dir),
            dot = quote(&dot_git)
        ))?;
        if out.rc != 0 {
            self.r.sh(format!(
                "[ -e {new} ] && mv -- {new} {old}",
                old = quote(old),
                new = quote(repo_dir)
            ))?;
            return Err(self.r.fail("Unable to move git dir.", ResultMap::new()));
        }
        result.insert("git_dir_before".into(), json!(old));
        result.insert("git_dir_now".into(), json!(repo_dir));
        Ok(())
    }

    fn rev(&self, dest: &str, rev: &str) -> Step<String> {
        let out = self.r.git(&["rev-parse", rev], Some(dest))?;
        Ok(out.stdout.trim_end_matches('\n').to_owned())
    }

    fn is_remote(&self, kind: &str, remote: &str, version: &str) -> Step<bool> {
        let (flag, prefix) = if kind == "tag" {
            ("-t", "refs/tags/")
        } else {
            ("-h", "refs/heads/")
        };
        let out = self.r.git_checked(
            &["ls-remote", remote, flag, &format!("{prefix}{version}")],
            self.dest.as_deref(),
        )?;
        Ok(out.stdout.contains(version))
    }

    fn branches(&self, dest: &str) -> Step<Vec<String>> {
        let out = self.r.git(&["branch", "--no-color", "-a"], Some(dest))?;
        if out.rc != 0 {
            let mut d = ResultMap::new();
            d.insert("stdout".into(), json!(out.stdout));
            d.insert("stderr".into(), json!(out.stderr));
            return Err(self.r.fail(
                format!("Could not determine branch data - received {}", out.stdout),
                d,
            ));
        }
        Ok(out
            .stdout
            .split('\n')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect())
    }

    fn is_local_branch(&self, dest: &str, branch: &str) -> Step<bool> {
        let b = self.branches(dest)?;
        Ok(b.iter().any(|l| l == branch || *l == format!("* {branch}")))
    }

    fn is_not_a_branch(&self, dest: &str) -> Step<bool> {
        Ok(self.branches(dest)?.iter().any(|b| {
            b.starts_with("* ")
                && (b.contains("no branch")
                    || b.contains("detached from")
                    || b.contains("detached at"))
        }))
    }

    /// `get_head_branch`: the branch HEAD is on, or that the remote's HEAD names when
    /// detached. Python's `None` when the file is missing.
    fn head_branch(&self, dest: &str, remote: &str) -> Step<String> {
        let repo_path = match self.repo_path(dest, self.a.bare)? {
            Ok(p) => p,
            Err(e) => return Err(self.invalid_git_dir(&e)),
        };
        let mut headfile = join(&repo_path, "HEAD");
        if self.is_not_a_branch(dest)? {
            headfile = join(&repo_path, &format!("refs/remotes/{remote}/HEAD"));
        }
        let out = self.r.sh(format!(
            "f={}; [ -e \"$f\" ] || exit 3; IFS= read -r l < \"$f\" || [ -n \"$l\" ] || exit 4; printf '%s\\n' \"$l\"",
            quote(&headfile)
        ))?;
        match out.rc {
            0 => Ok(head_splitter(&out.stdout, remote)),
            3 | 4 => Ok("None".into()),
            _ => Err(self
                .r
                .fail(format!("Unable to read {headfile}"), ResultMap::new())),
        }
    }

    fn remote_url(&self, dest: &str, remote: &str) -> Step<Option<String>> {
        let out = self
            .r
            .git(&["ls-remote", "--get-url", remote], Some(dest))?;
        if out.rc != 0 {
            return Ok(None);
        }
        Ok(Some(out.stdout.trim_end_matches('\n').to_owned()))
    }

    fn set_remote_url(&self, dest: &str) -> Step<bool> {
        let remote = &self.a.remote;
        let url = self.remote_url(dest, remote)?;
        if let Some(u) = &url {
            if *u == self.repo || self.unfrack(u)? == self.unfrack(&self.repo)? {
                return Ok(false);
            }
        }
        let out = self
            .r
            .git(&["remote", "set-url", remote, &self.repo], Some(dest))?;
        if out.rc != 0 {
            return Err(self.r.fail(
                format!(
                    "Failed to set a new url {} for {remote}: {} {}",
                    self.repo, out.stdout, out.stderr
                ),
                ResultMap::new(),
            ));
        }
        Ok(url.is_some())
    }

    /// `get_remote_head`: the commit `version` names on `remote` (the version itself when
    /// it is neither a branch nor a tag).
    fn remote_head(&self, remote: &str, cloning: bool) -> Step<String> {
        let version = &self.a.version;
        let dest = self.dest.clone().unwrap_or_default();
        let cloning = cloning
            || *remote == self.a.repo.clone().unwrap_or_default()
            || *remote == format!("file://{}", self.a.repo.clone().unwrap_or_default());
        let cwd = if cloning { None } else { Some(dest.as_str()) };
        let mut tag = false;
        let args: Vec<String> = if version == "HEAD" {
            if cloning {
                vec![
                    "ls-remote".into(),
                    remote.into(),
                    "-h".into(),
                    "HEAD".into(),
                ]
            } else {
                let hb = self.head_branch(&dest, remote)?;
                vec![
                    "ls-remote".into(),
                    remote.into(),
                    "-h".into(),
                    format!("refs/heads/{hb}"),
                ]
            }
        } else if self.is_remote("branch", remote, version)? {
            vec![
                "ls-remote".into(),
                remote.into(),
                "-h".into(),
                format!("refs/heads/{version}"),
            ]
        } else if self.is_remote("tag", remote, version)? {
            tag = true;
            vec![
                "ls-remote".into(),
                remote.into(),
                "-t".into(),
                format!("refs/tags/{version}*"),
            ]
        } else {
            return Ok(version.clone());
        };
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.r.git_checked(&refs, cwd)?;
        if out.stdout.is_empty() {
            return Err(self.r.fail_out(
                format!("Could not determine remote revision for {version}"),
                &out,
                None,
            ));
        }
        let mut chosen = out.stdout.clone();
        if tag {
            for line in out.stdout.split('\n') {
                if line.ends_with(&format!("{version}^{{}}")) {
                    chosen = line.to_owned();
                    break;
                } else if line.ends_with(version.as_str()) {
                    chosen = line.to_owned();
                }
            }
        }
        Ok(chosen
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned())
    }

    fn has_local_mods(&self, dest: &str) -> Step<bool> {
        if self.a.bare {
            return Ok(false);
        }
        let out = self.r.git(&["status", "--porcelain"], Some(dest))?;
        Ok(out.stdout.lines().any(|l| !l.starts_with("??")))
    }

    fn add_diff(&self, result: &mut ResultMap, before: Option<&str>, after: &str) -> Step<()> {
        if !self.r.ctx.diff {
            return Ok(());
        }
        let prepared = match before {
            None => format!(">> Newly checked out {after}"),
            Some(b) if b != after => {
                let dest = self.dest.clone().unwrap_or_default();
                self.fetch(&dest, after, Some(""), false)?;
                let out = self.r.git(&["diff", b, after], Some(&dest))?;
                if out.rc == 0 && !out.stdout.is_empty() {
                    out.stdout
                } else if out.rc == 0 {
                    format!(">> No visual differences between {b} and {after}")
                } else if !out.stderr.is_empty() {
                    format!(
                        ">> Failed to get proper diff between {b} and {after}:\n>> {}",
                        out.stderr
                    )
                } else {
                    format!(">> Failed to get proper diff between {b} and {after}")
                }
            }
            Some(_) => return Ok(()),
        };
        result.insert("diff".into(), json!({ "prepared": prepared }));
        Ok(())
    }

    fn clone(&self, dest: &str, separate: Option<&str>) -> Step<()> {
        let a = self.a;
        let r = &self.r;
        let parent = crate::synchronize::cmd::dirname(dest);
        r.sh(format!("mkdir -p -- {} 2>/dev/null", quote(&parent)))?;
        let mut cmd: Vec<String> = vec!["clone".into()];
        if a.bare {
            cmd.push("--bare".into());
        } else {
            cmd.extend(["--origin".into(), a.remote.clone()]);
        }
        let version = &a.version;
        let branch_or_tag = self.is_remote("branch", &self.repo, version)?
            || self.is_remote("tag", &self.repo, version)?;
        if let Some(depth) = self.depth.filter(|d| *d != 0) {
            if version == "HEAD" || a.refspec.as_deref().is_some_and(|s| !s.is_empty()) {
                cmd.extend(["--depth".into(), depth.to_string()]);
            } else if branch_or_tag {
                cmd.extend([
                    "--depth".into(),
                    depth.to_string(),
                    "--branch".into(),
                    version.clone(),
                ]);
            } else {
                r.warn("Ignoring depth argument. Shallow clones are only available for HEAD, branches, tags or in combination with refspec.");
            }
        }
        if let Some(reference) = a.reference.as_ref().filter(|s| !s.is_empty()) {
            cmd.extend(["--reference".into(), reference.clone()]);
        }
        if a.single_branch {
            if self.version_used.is_none() {
                return Err(r.fail(
                    format!("Cannot find git executable at {}", r.git),
                    ResultMap::new(),
                ));
            }
            cmd.push("--single-branch".into());
            if branch_or_tag {
                cmd.extend(["--branch".into(), version.clone()]);
            }
        }
        if let Some(sep) = separate {
            if self.version_used.is_none() {
                return Err(r.fail(
                    format!("Cannot find git executable at {}", r.git),
                    ResultMap::new(),
                ));
            }
            cmd.push(format!("--separate-git-dir={sep}"));
        }
        cmd.extend([self.repo.clone(), dest.to_owned()]);
        let refs: Vec<&str> = cmd.iter().map(String::as_str).collect();
        r.git_checked(&refs, Some(&parent))?;
        if a.bare && a.remote != "origin" {
            r.git_checked(&["remote", "add", &a.remote, &self.repo], Some(dest))?;
        }
        if let Some(refspec) = a.refspec.as_deref().filter(|s| !s.is_empty()) {
            let mut f: Vec<String> = vec!["fetch".into()];
            if let Some(d) = self.depth.filter(|d| *d != 0) {
                f.extend(["--depth".into(), d.to_string()]);
            }
            f.extend([a.remote.clone(), refspec.to_owned()]);
            let refs: Vec<&str> = f.iter().map(String::as_str).collect();
            r.git_checked(&refs, Some(dest))?;
        }
        if a.verify_commit {
            self.verify_commit(dest)?;
        }
        Ok(())
    }

    fn fetch(&self, dest: &str, version: &str, refspec: Option<&str>, force: bool) -> Step<()> {
        let a = self.a;
        let r = &self.r;
        let remote = &a.remote;
        self.set_remote_url(dest)?;
        let refspec = refspec.filter(|s| !s.is_empty());
        let mut commands: Vec<Vec<String>> = Vec::new();
        let mut fetch_cmd: Vec<String> = vec!["fetch".into()];
        let mut refspecs: Vec<String> = Vec::new();
        let depth = self.depth.filter(|d| *d != 0);
        if let Some(depth) = depth {
            let current = self.head_branch(dest, remote)?;
            if let Some(s) = refspec {
                refspecs.push(s.to_owned());
            } else if version == "HEAD" {
                refspecs.push(current);
            } else if self.is_remote("branch", &self.repo, version)? {
                if current != version {
                    refspecs.push(format!("+refs/heads/{version}:refs/heads/{version}"));
                }
                refspecs.push(format!(
                    "+refs/heads/{version}:refs/remotes/{remote}/{version}"
                ));
            } else if self.is_remote("tag", &self.repo, version)? {
                refspecs.push(format!("+refs/tags/{version}:refs/tags/{version}"));
            }
            if !refspecs.is_empty() {
                fetch_cmd.extend(["--depth".into(), depth.to_string()]);
            }
        }
        if depth.is_none() || refspecs.is_empty() {
            if a.bare {
                refspecs = vec![
                    "+refs/heads/*:refs/heads/*".into(),
                    "+refs/tags/*:refs/tags/*".into(),
                ];
            } else if self.version_used.is_some() && !older(&self.version_used, &[1, 9]) {
                fetch_cmd.push("--tags".into());
            } else {
                let mut c = fetch_cmd.clone();
                c.push(remote.clone());
                commands.push(c);
                refspecs = vec!["+refs/tags/*:refs/tags/*".into()];
            }
            if let Some(s) = refspec {
                refspecs.push(s.to_owned());
            }
        }
        if force {
            fetch_cmd.push("--force".into());
        }
        fetch_cmd.push(remote.clone());
        fetch_cmd.extend(refspecs);
        commands.push(fetch_cmd);
        for c in commands {
            let refs: Vec<&str> = c.iter().map(String::as_str).collect();
            let out = r.git(&refs, Some(dest))?;
            if out.rc != 0 {
                let mut d = ResultMap::new();
                d.insert("cmd".into(), json!(r.argv(&refs)));
                return Err(r.fail(
                    format!(
                        "Failed to download remote objects and refs: {} {}",
                        out.stdout, out.stderr
                    ),
                    d,
                ));
            }
        }
        Ok(())
    }

    fn switch_version(&self, dest: &str) -> Step<()> {
        let a = self.a;
        let r = &self.r;
        let version = &a.version;
        let remote = &a.remote;
        let checkout_fail = |what: &str, out: &Out| {
            r.fail_out(format!("Failed to checkout branch {what}"), out, None)
        };
        let (cmd, branch): (Vec<String>, String) = if version == "HEAD" {
            let branch = self.head_branch(dest, remote)?;
            let out = r.git(&["checkout", "--force", &branch], Some(dest))?;
            if out.rc != 0 {
                return Err(checkout_fail(&branch, &out));
            }
            (
                vec![
                    "reset".into(),
                    "--hard".into(),
                    format!("{remote}/{branch}"),
                    "--".into(),
                ],
                branch,
            )
        } else if self.is_remote("branch", remote, version)? {
            if let Some(depth) = self.depth.filter(|d| *d != 0) {
                if !self.is_local_branch(dest, version)? {
                    let out = r.git(
                        &[
                            "fetch",
                            &format!("--depth={depth}"),
                            remote,
                            &format!("+refs/heads/{version}:refs/heads/{version}"),
                            &format!("+refs/heads/{version}:refs/remotes/{remote}/{version}"),
                        ],
                        Some(dest),
                    )?;
                    if out.rc != 0 {
                        return Err(r.fail_out(
                            format!("Failed to fetch branch from remote: {version}"),
                            &out,
                            None,
                        ));
                    }
                }
            }
            if !self.is_local_branch(dest, version)? {
                (
                    vec![
                        "checkout".into(),
                        "--track".into(),
                        "-b".into(),
                        version.clone(),
                        format!("{remote}/{version}"),
                    ],
                    String::new(),
                )
            } else {
                let out = r.git(&["checkout", "--force", version], Some(dest))?;
                if out.rc != 0 {
                    return Err(checkout_fail(version, &out));
                }
                (
                    vec![
                        "reset".into(),
                        "--hard".into(),
                        format!("{remote}/{version}"),
                    ],
                    String::new(),
                )
            }
        } else {
            (
                vec!["checkout".into(), "--force".into(), version.clone()],
                String::new(),
            )
        };
        let refs: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let out = r.git(&refs, Some(dest))?;
        if out.rc != 0 {
            let msg = if version != "HEAD" {
                format!("Failed to checkout {version}")
            } else {
                format!("Failed to checkout branch {branch}")
            };
            return Err(r.fail_out(msg, &out, Some(&r.argv(&refs))));
        }
        if a.verify_commit {
            self.verify_commit(dest)?;
        }
        Ok(())
    }

    fn verify_commit(&self, dest: &str) -> Step<()> {
        let r = &self.r;
        let version = &self.a.version;
        let tags = r.git(
            &[
                "for-each-ref",
                "refs/tags/",
                "--format",
                "%(objecttype):%(refname:short)",
            ],
            Some(dest),
        )?;
        if tags.rc != 0 {
            let mut d = ResultMap::new();
            d.insert("stdout".into(), json!(tags.stdout));
            d.insert("stderr".into(), json!(tags.stderr));
            return Err(r.fail(
                format!("Could not determine tag data - received {}", tags.stdout),
                d,
            ));
        }
        let annotated = tags
            .stdout
            .lines()
            .filter_map(|l| l.trim().split_once(':'))
            .any(|(t, n)| t == "tag" && n == version);
        let sub = if annotated {
            "verify-tag"
        } else {
            "verify-commit"
        };
        let allow = self.a.gpg_allowlist.clone().unwrap_or_default();
        let mut args = vec![sub, version.as_str()];
        if !allow.is_empty() {
            args.push("--raw");
        }
        let out = r.git(&args, Some(dest))?;
        if out.rc != 0 {
            return Err(r.fail_out(
                format!("Failed to verify GPG signature of commit/tag \"{version}\""),
                &out,
                None,
            ));
        }
        if !allow.is_empty() {
            let fp = gpg_fingerprint(&out.stderr);
            if !fp.as_ref().is_some_and(|f| allow.contains(f)) {
                return Err(r.fail_out(
                    format!(
                        "The gpg_allowlist does not include the public key \"{}\" for this commit",
                        fp.unwrap_or_else(|| "None".into())
                    ),
                    &out,
                    None,
                ));
            }
        }
        Ok(())
    }

    fn submodule_versions(&self, dest: &str, version: &str) -> Step<Vec<(String, String)>> {
        let r = &self.r;
        let out = r.git(
            &["submodule", "foreach", &r.git, "rev-parse", version],
            Some(dest),
        )?;
        if out.rc != 0 {
            return Err(r.fail_out("Unable to determine hashes of submodules", &out, None));
        }
        let mut subs = Vec::new();
        let mut name: Option<String> = None;
        for line in out.stdout.lines() {
            if let Some(rest) = line.strip_prefix("Entering '") {
                name = Some(rest.strip_suffix('\'').unwrap_or(rest).to_owned());
            } else if line.trim().len() == 40 {
                match name.take() {
                    Some(n) => subs.push((n, line.trim().to_owned())),
                    None => return Err(r.fail("", ResultMap::new())),
                }
            } else {
                return Err(r.fail(
                    format!("Unable to parse submodule hash line: {}", line.trim()),
                    ResultMap::new(),
                ));
            }
        }
        if let Some(n) = name {
            return Err(r.fail(
                format!("Unable to find hash for submodule: {n}"),
                ResultMap::new(),
            ));
        }
        Ok(subs)
    }

    fn submodules_fetch(&self, dest: &str) -> Step<bool> {
        let r = &self.r;
        let gitmodules = join(dest, ".gitmodules");
        let out = r.sh(format!("cat -- {}", quote(&gitmodules)))?;
        if out.rc != 0 {
            return Ok(false);
        }
        for line in out.stdout.lines() {
            if line.trim().starts_with("path") {
                let path = line.split_once('=').map_or("", |(_, p)| p).trim();
                if !r.exists(&join(&join(dest, path), ".git"))? {
                    return Ok(true);
                }
            }
        }
        let begin = self.submodule_versions(dest, "HEAD")?;
        r.git_checked(&["submodule", "foreach", &r.git, "fetch"], Some(dest))?;
        if self.a.track_submodules {
            let after = self.submodule_versions(dest, &format!("{}/master", self.a.remote))?;
            return Ok(begin != after);
        }
        let status = r.git_checked(&["submodule", "status"], Some(dest))?;
        Ok(status.stdout.lines().any(|l| !l.starts_with(' ')))
    }

    fn submodule_update(&self, dest: &str) -> Step<()> {
        let r = &self.r;
        let help = r.git(&["submodule", "update", "--help"], Some(dest))?;
        let mut params: Vec<String> = Vec::new();
        if let Some(line) = help
            .stderr
            .split('\n')
            .rfind(|l| l.contains("git submodule [--quiet] update "))
        {
            let cleaned = line.replace(['[', ']'], "").replace('|', " ");
            for part in shlex::split(&cleaned).unwrap_or_default() {
                if let Some(p) = part.strip_prefix("--") {
                    params.push(p.replace("--", ""));
                }
            }
        }
        if !r.exists(&join(dest, ".gitmodules"))? {
            return Ok(());
        }
        r.git_checked(&["submodule", "sync"], Some(dest))?;
        let mut cmd = vec!["submodule", "update", "--init", "--recursive"];
        if params.iter().any(|p| p == "remote") && self.a.track_submodules {
            cmd.push("--remote");
        }
        if self.a.force {
            cmd.push("--force");
        }
        let out = r.git(&cmd, Some(dest))?;
        if out.rc != 0 {
            return Err(r.fail(
                format!(
                    "Failed to init/update submodules: {}{}",
                    out.stdout, out.stderr
                ),
                ResultMap::new(),
            ));
        }
        Ok(())
    }

    fn git_archive(&self, dest: &str, archive: &str, fmt: &str) -> Step<()> {
        let r = &self.r;
        let mut cmd = vec!["archive", "--format", fmt, "--output", archive];
        if let Some(p) = &self.a.archive_prefix {
            cmd.extend(["--prefix", p.as_str()]);
        }
        cmd.push(&self.a.version);
        let out = r.git(&cmd, Some(dest))?;
        if out.rc != 0 {
            let mut d = ResultMap::new();
            d.insert(
                "details".into(),
                json!(format!(
                    "Git archive command failed to create archive {archive} using {dest} directory.Error: {}",
                    out.stderr
                )),
            );
            return Err(r.fail("Failed to perform archive operation", d));
        }
        Ok(())
    }

    fn create_archive(&self, dest: &str, archive: &str, result: &mut ResultMap) -> Step<()> {
        let r = &self.r;
        let archive = expand_path(r.ctx, archive)?;
        let ext = archive_extension(&archive);
        let fmt = match ext {
            ".zip" => "zip",
            ".gz" => "tar.gz",
            ".tar" => "tar",
            ".tgz" => "tgz",
            _ => {
                let mut d = ResultMap::new();
                d.insert("details".into(), json!("Please specify archive as filename with extension. File extension can be one of ['tar', 'tar.gz', 'zip', 'tgz']"));
                return Err(r.fail(
                    format!("Unable to get file extension from archive file name : {archive}"),
                    d,
                ));
            }
        };
        let repo_name = self
            .repo
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .replace(".git", "");
        if r.exists(&archive)? {
            let tmp = r.sh("mktemp -d".into())?;
            let tempdir = tmp.stdout.trim_end().to_owned();
            let new_archive = format!("{}.{fmt}", join(&tempdir, &repo_name));
            self.git_archive(dest, &new_archive, fmt)?;
            let same = r.sh(format!(
                "cmp -s -- {} {}",
                quote(&new_archive),
                quote(&archive)
            ))?;
            if same.rc == 0 {
                result.insert("changed".into(), json!(false));
                r.sh(format!("rm -rf -- {}", quote(&tempdir)))?;
            } else {
                let mv = r.sh(format!(
                    "mv -- {} {} && rm -rf -- {}",
                    quote(&new_archive),
                    quote(&archive),
                    quote(&tempdir)
                ))?;
                if mv.rc != 0 {
                    let mut d = ResultMap::new();
                    d.insert(
                        "details".into(),
                        json!(format!(
                            "Error occurred while moving : {}",
                            mv.stderr.trim_end()
                        )),
                    );
                    return Err(r.fail(format!("Failed to move {new_archive} to {archive}"), d));
                }
                result.insert("changed".into(), json!(true));
            }
        } else {
            self.git_archive(dest, &archive, fmt)?;
            result.insert("changed".into(), json!(true));
        }
        Ok(())
    }
}

/// `os.path.splitext`'s extension.
pub(super) fn archive_extension(path: &str) -> &str {
    let base = path.rsplit('/').next().unwrap_or(path);
    let stripped = base.trim_start_matches('.');
    match stripped.rfind('.') {
        Some(i) => &stripped[i..],
        None => "",
    }
}

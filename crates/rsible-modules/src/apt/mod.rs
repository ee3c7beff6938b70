//! `apt`: install, upgrade or remove Debian packages, optionally refreshing the cache first.
//!
//! ```yaml
//! - apt: { pkg: [libnl-route-3-dev, pandoc], state: present, update_cache: yes }
//! ```
//!
//! python-apt is replaced by one probe script (dpkg status and `apt-cache policy` of every
//! name, cache age, tool paths); only missing packages go to `apt-get`, whose command line
//! is built as the module builds it, so `changed`, messages and check mode (`--simulate`)
//! match. `-o DPkg::Lock::Timeout=<lock_timeout>` makes apt-get itself wait for the dpkg lock.

mod probe;
mod version;

use std::cmp::Ordering;
use std::time::{Duration, Instant};

use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_bool, de_opt_int, de_opt_string, parse, scalar_text, ArgSpec};
use crate::target::script::{run_script, task_request};
use crate::util::{failed, fnmatch, output_text, set_output};
use crate::{
    ExecOutput, ExecRequest, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput,
    ResultMap,
};

use probe::{PkgInfo, Probe};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "apt",
    // apt has no action plugin, so Ansible names it as written.
    ArgSpec::new(
        "apt",
        &[
            "allow_change_held_packages",
            "allow_downgrade",
            "allow_unauthenticated",
            "auto_install_module_deps",
            "autoclean",
            "autoremove",
            "cache_valid_time",
            "clean",
            "deb",
            "default_release",
            "dpkg_options",
            "fail_on_autoremove",
            "force",
            "force_apt_get",
            "install_recommends",
            "lock_timeout",
            "only_upgrade",
            "package",
            "policy_rc_d",
            "purge",
            "state",
            "update_cache",
            "update_cache_retries",
            "update_cache_retry_max_delay",
            "upgrade",
            "allow-downgrade",
            "allow-downgrades",
            "allow_downgrades",
            "allow-unauthenticated",
            "default-release",
            "install-recommends",
            "name",
            "pkg",
            "update-cache",
        ],
    )
    .aliases(&[
        "allow-downgrade",
        "allow-downgrades",
        "allow_downgrades",
        "allow-unauthenticated",
        "default-release",
        "install-recommends",
        "name",
        "pkg",
        "update-cache",
    ]),
);

const DPKG_OPTIONS: &str = "force-confdef,force-confold";
const APT_GET_ZERO: &str = "\n0 upgraded, 0 newly installed, 0 to remove";
const APTITUDE_ZERO: &str = "\n0 packages upgraded, 0 newly installed, 0 to remove";

fn int5() -> Option<i64> {
    Some(5)
}

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    state: Option<String>,
    #[serde(default, alias = "update-cache", deserialize_with = "de_opt_bool")]
    update_cache: Option<bool>,
    #[serde(default = "int5", deserialize_with = "de_opt_int")]
    update_cache_retries: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_int")]
    update_cache_retry_max_delay: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_int")]
    cache_valid_time: Option<i64>,
    #[serde(default, deserialize_with = "de_bool")]
    purge: bool,
    #[serde(
        default,
        alias = "pkg",
        alias = "name",
        deserialize_with = "de_opt_list"
    )]
    package: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_string")]
    deb: Option<String>,
    #[serde(default, alias = "default-release", deserialize_with = "de_opt_string")]
    default_release: Option<String>,
    #[serde(
        default,
        alias = "install-recommends",
        deserialize_with = "de_opt_bool"
    )]
    install_recommends: Option<bool>,
    #[serde(default, deserialize_with = "de_bool")]
    force: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    upgrade: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    dpkg_options: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    autoremove: bool,
    #[serde(default, deserialize_with = "de_bool")]
    autoclean: bool,
    #[serde(default, deserialize_with = "de_bool")]
    fail_on_autoremove: bool,
    #[serde(default, deserialize_with = "de_opt_int")]
    policy_rc_d: Option<i64>,
    #[serde(default, deserialize_with = "de_bool")]
    only_upgrade: bool,
    #[serde(default, deserialize_with = "de_bool")]
    force_apt_get: bool,
    #[serde(default, deserialize_with = "de_bool")]
    clean: bool,
    #[serde(default, alias = "allow-unauthenticated", deserialize_with = "de_bool")]
    allow_unauthenticated: bool,
    #[serde(
        default,
        alias = "allow-downgrade",
        alias = "allow_downgrades",
        alias = "allow-downgrades",
        deserialize_with = "de_bool"
    )]
    allow_downgrade: bool,
    #[serde(default, deserialize_with = "de_bool")]
    allow_change_held_packages: bool,
    #[serde(default, deserialize_with = "de_opt_int")]
    lock_timeout: Option<i64>,
    #[expect(
        dead_code,
        reason = "no Python on the target: there is no python3-apt to install"
    )]
    #[serde(default, deserialize_with = "de_opt_bool")]
    auto_install_module_deps: Option<bool>,
}

/// Ansible `type='list'`: a list, or a comma-separated string.
fn de_opt_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.split(',').map(str::to_owned).collect())),
        Value::Array(items) => Ok(Some(items.iter().map(scalar_text).collect())),
        Value::Object(_) => Err(de::Error::custom(
            "Invalid type for package name, expected a list or a string",
        )),
        other => Ok(Some(vec![scalar_text(&other)])),
    }
}

pub(crate) struct Apt;
pub(crate) static APT: Apt = Apt;

impl Module for Apt {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let given = |k: &[&str]| k.iter().any(|k| args.get(*k).is_some_and(|v| !v.is_null()));
        let a: Args = parse(&INFO.args, args)?;
        let state = a.state.clone().unwrap_or_else(|| "present".into());
        if !matches!(
            state.as_str(),
            "absent" | "build-dep" | "fixed" | "latest" | "present"
        ) {
            return Ok(failed(format!(
                "value of state must be one of: absent, build-dep, fixed, latest, present, got: {state}"
            )).into());
        }
        let upgrade = a.upgrade.clone().unwrap_or_else(|| "no".into());
        if !matches!(upgrade.as_str(), "dist" | "full" | "no" | "safe" | "yes") {
            return Ok(failed(format!(
                "value of upgrade must be one of: dist, full, no, safe, yes, got: {upgrade}"
            ))
            .into());
        }
        let exclusive: Vec<&str> = ["deb", "package", "upgrade"]
            .into_iter()
            .filter(|k| match *k {
                "package" => given(&["package", "pkg", "name"]),
                k => given(&[k]),
            })
            .collect();
        if exclusive.len() > 1 {
            return Ok(failed("parameters are mutually exclusive: deb|package|upgrade").into());
        }
        if a.deb.is_some() {
            return Ok(failed(
                "rsible's apt module does not install .deb files (deb); use apt-get through command",
            ).into());
        }
        Job::new(ctx, a, state, upgrade)
            .run()
            .map(ModuleOutput::from)
    }
}

/// `name`, `=`/`>=`, version: the module's `package_split`.
fn package_split(spec: &str) -> (String, Option<&'static str>, Option<String>) {
    match spec.find('=') {
        Some(i) if i > 0 && spec.as_bytes()[i - 1] == b'>' => (
            spec[..i - 1].to_owned(),
            Some(">="),
            Some(spec[i + 1..].to_owned()),
        ),
        Some(i) => (
            spec[..i].to_owned(),
            Some("="),
            Some(spec[i + 1..].to_owned()),
        ),
        None => (spec.to_owned(), None, None),
    }
}

/// `-o "Dpkg::Options::=--force-confdef" -o …` as `expand_dpkg_options` writes it.
fn expand_dpkg_options(opts: &str) -> String {
    opts.split(',')
        .map(|o| format!("-o \"Dpkg::Options::=--{o}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `package_status`: (installed, installed version matches, installable version).
#[derive(Debug, PartialEq)]
enum Installable {
    No,
    /// A virtual package apt will pick a provider for.
    Yes,
    Version(String),
}

struct Status {
    installed: bool,
    version_ok: bool,
    installable: Installable,
    has_files: bool,
}

struct Job<'a, 'c> {
    ctx: &'a ModuleContext<'c>,
    a: Args,
    state: String,
    upgrade: String,
    probe: Probe,
    apt_get: String,
    dpkg_options: String,
    /// `module.warn` calls, in order.
    warnings: std::cell::RefCell<Vec<String>>,
}

impl<'a, 'c> Job<'a, 'c> {
    fn new(ctx: &'a ModuleContext<'c>, a: Args, state: String, upgrade: String) -> Self {
        let lock = a.lock_timeout.unwrap_or(60);
        let dpkg_options = format!(
            "{} -o DPkg::Lock::Timeout={lock}",
            expand_dpkg_options(a.dpkg_options.as_deref().unwrap_or(DPKG_OPTIONS))
        );
        Self {
            ctx,
            a,
            state,
            upgrade,
            probe: Probe::default(),
            apt_get: String::new(),
            dpkg_options,
            warnings: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// Names as the module keeps them: stripped, without `*`.
    fn packages(&self) -> Vec<String> {
        self.a
            .package
            .iter()
            .flatten()
            .filter(|p| p.as_str() != "*")
            .map(|p| p.trim().to_owned())
            .collect()
    }

    fn finish(&self, mut r: ResultMap) -> ResultMap {
        let w = self.warnings.borrow();
        if !w.is_empty() {
            r.insert("warnings".into(), json!(*w));
        }
        r
    }

    fn warn(&self, msg: String) {
        self.warnings.borrow_mut().push(msg);
    }

    fn fail(&self, msg: impl Into<String>) -> ResultMap {
        self.finish(failed(msg))
    }

    /// Runs a command line the way `run_command(str)` does: shlex-split, no shell, with the
    /// environment the module forces for apt.
    fn run_cmd(&self, cmd: &str) -> Result<ExecOutput, ModuleError> {
        let argv = shlex::split(cmd).unwrap_or_else(|| vec![cmd.to_owned()]);
        let mut req = task_request(self.ctx, ExecRequest::argv(argv));
        let l = self.probe.locale.clone();
        req.env.extend([
            ("DEBIAN_FRONTEND".to_owned(), "noninteractive".to_owned()),
            ("DEBIAN_PRIORITY".to_owned(), "critical".to_owned()),
            ("LANG".to_owned(), l.clone()),
            ("LC_ALL".to_owned(), l.clone()),
            ("LC_MESSAGES".to_owned(), l.clone()),
            ("LC_CTYPE".to_owned(), l.clone()),
            ("LANGUAGE".to_owned(), l),
        ]);
        Ok(self.ctx.conn.exec(&req)?)
    }

    fn query_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for p in self.packages() {
            let n = package_split(&p).0;
            if !names.contains(&n) {
                names.push(n);
            }
        }
        names
    }

    fn run(mut self) -> Result<ResultMap, ModuleError> {
        let packages = self.packages();
        if let Some(p) = packages
            .iter()
            .find(|p| p.chars().any(|c| "*?[]!".contains(c)))
        {
            return Ok(self.fail(format!(
                "rsible's apt module does not expand package name patterns: {p}"
            )));
        }
        let names = self.query_names();
        let out = run_script(
            self.ctx,
            probe::script(&names, self.a.default_release.as_deref()),
        )?;
        self.probe = probe::parse(&String::from_utf8_lossy(&out.stdout));
        let Some(apt_get) = self.probe.apt_get.clone() else {
            return Ok(self.fail(self.probe.apt_get_missing.clone()));
        };
        self.apt_get = apt_get;

        if self.a.clean {
            let out = self.run_cmd(&format!("{} clean", self.apt_get))?;
            let stdout = output_text(&out.stdout, false);
            let stderr = output_text(&out.stderr, false);
            if out.rc != 0 {
                let mut r = self.fail("apt-get clean failed");
                r.insert("stdout".into(), json!(stdout));
                r.insert("rc".into(), json!(out.rc));
                return Ok(r);
            }
            if !stderr.is_empty() {
                let mut r = self.fail(format!("apt-get clean failed: {stderr}"));
                r.insert("stdout".into(), json!(stdout));
                r.insert("rc".into(), json!(out.rc));
                return Ok(r);
            }
            if packages.is_empty() && self.upgrade == "no" {
                let mut r = ResultMap::new();
                r.insert("changed".into(), json!(true));
                r.insert("msg".into(), json!(stdout));
                r.insert("diff".into(), self.diff(&stdout));
                set_output(&mut r, stdout, stderr);
                return Ok(self.finish(r));
            }
        }

        let mut updated_cache = false;
        let mut cache_time = self.probe.cache_mtime;
        let valid = self.a.cache_valid_time.unwrap_or(0);
        if self.a.update_cache == Some(true) || valid != 0 {
            if self.probe.cache_mtime.saturating_add(valid) < self.probe.now {
                if let Err(fail) = self.update_cache()? {
                    return Ok(fail);
                }
                // Candidates may have changed: ask again, with the new cache time.
                let script = format!(
                    "{}{}",
                    probe::cache_time_script(),
                    probe::package_query(&names, self.a.default_release.as_deref())
                );
                let out = run_script(self.ctx, script)?;
                let again = probe::parse(&String::from_utf8_lossy(&out.stdout));
                updated_cache = self.ctx.check_mode || again.cache_mtime != cache_time;
                cache_time = again.cache_mtime;
                self.probe.packages = again.packages;
            }
            if packages.is_empty() && self.upgrade == "no" {
                let mut r = ResultMap::new();
                r.insert("changed".into(), json!(updated_cache));
                r.insert("cache_updated".into(), json!(updated_cache));
                r.insert("cache_update_time".into(), json!(cache_time));
                return Ok(self.finish(r));
            }
        }

        if self.upgrade != "no" {
            return self.upgrade();
        }
        for p in &packages {
            if p.matches('=').count() > 1 {
                return Ok(self.fail(format!("invalid package spec: {p}")));
            }
        }
        if packages.is_empty() {
            if self.a.autoclean {
                return self.cleanup("autoclean");
            }
            if self.a.autoremove {
                return self.cleanup("autoremove");
            }
        }
        if self.state == "absent" {
            return self.remove(&packages);
        }
        let mut r = match self.install(&packages)? {
            Ok(r) => r,
            Err(fail) => return Ok(fail),
        };
        r.insert("cache_updated".into(), json!(updated_cache));
        r.insert("cache_update_time".into(), json!(cache_time));
        Ok(self.finish(r))
    }

    fn diff(&self, out: &str) -> Value {
        if !self.ctx.diff {
            return json!({});
        }
        let lines: Vec<&str> = out.lines().collect();
        let start = lines
            .iter()
            .position(|l| *l == "Resolving dependencies...")
            .or_else(|| {
                lines
                    .iter()
                    .position(|l| *l == "Reading state information...")
            })
            .map_or(0, |i| i + 1);
        let re = regex::Regex::new(r"^[0-9]+ (packages )?upgraded").ok();
        let end = lines
            .iter()
            .position(|l| re.as_ref().is_some_and(|re| re.is_match(l)))
            .map_or(lines.len(), |i| i + 1);
        let slice = lines.get(start..end.max(start)).unwrap_or(&[]);
        json!({"prepared": slice.join("\n")})
    }

    /// `cache.update()` with the module's retries and backoff; `Err` is the failed result.
    fn update_cache(&mut self) -> Result<Result<(), ResultMap>, ModuleError> {
        if self.ctx.check_mode {
            return Ok(Ok(()));
        }
        let retries = self.a.update_cache_retries.unwrap_or(5);
        let max_delay = self.a.update_cache_retry_max_delay.unwrap_or(12) as f64;
        // `None`: a lock timeout beyond what the clock can count waits as long as it takes.
        let lock_deadline = Instant::now().checked_add(Duration::from_secs(
            u64::try_from(self.a.lock_timeout.unwrap_or(60)).unwrap_or(0),
        ));
        let randomize = f64::from(rand::random::<u32>() % 1000) / 1000.0;
        let mut err = String::new();
        for retry in 0..retries.max(0) {
            let out = loop {
                let out = self.run_cmd(&format!("{} update -q", self.apt_get))?;
                let stderr = String::from_utf8_lossy(&out.stderr);
                // Another apt holds the lists lock: wait for it like the module's lock loop.
                if out.rc != 0
                    && stderr.contains("Could not get lock")
                    && lock_deadline.is_none_or(|d| Instant::now() < d)
                {
                    std::thread::sleep(Duration::from_secs(1));
                    continue;
                }
                break out;
            };
            let stderr = output_text(&out.stderr, true);
            let failed_fetch = out.rc != 0 || stderr.lines().any(|l| l.starts_with("E:"));
            if !failed_fetch {
                return Ok(Ok(()));
            }
            err = stderr;
            self.warn(format!(
                "Failed to update cache after {} retries due to {err}, retrying",
                retry + 1
            ));
            let mut delay = 2f64.powi(i32::try_from(retry).unwrap_or(30)) + randomize;
            if delay > max_delay {
                delay = max_delay + randomize;
            }
            std::thread::sleep(Duration::from_secs_f64(delay.max(0.0)));
            self.warn(format!(
                "Sleeping for {} seconds, before attempting to refresh the cache again",
                delay.round() as i64
            ));
        }
        let reason = if err.is_empty() {
            "unknown reason".to_owned()
        } else {
            err
        };
        Ok(Err(self.fail(format!(
            "Failed to update apt cache after {retries} retries: {reason}"
        ))))
    }

    fn info(&self, name: &str) -> Option<&PkgInfo> {
        self.probe.packages.iter().find(|p| p.name == name)
    }

    /// `package_status` over the probe's findings; `Err` is the failed result.
    fn status(
        &self,
        name: &str,
        cmp: Option<&str>,
        version: Option<&str>,
        installing: bool,
    ) -> Result<Result<Status, ResultMap>, ModuleError> {
        let info = self.info(name).cloned().unwrap_or_default();
        if !info.known || info.versions.is_empty() {
            if !installing {
                return Ok(Ok(Status {
                    installed: false,
                    version_ok: false,
                    installable: Installable::No,
                    has_files: info.dpkg_status.as_deref() == Some("config-files"),
                }));
            }
            if info.providers.is_empty() {
                return Ok(Err(
                    self.fail(format!("No package matching '{name}' is available"))
                ));
            }
            if let [only] = info.providers.as_slice() {
                // A virtual package whose single provider is installed needs nothing.
                let out = run_script(
                    self.ctx,
                    probe::package_query(std::slice::from_ref(only), None),
                )?;
                let q = probe::parse(&String::from_utf8_lossy(&out.stdout));
                if q.packages.first().is_some_and(PkgInfo::installed) {
                    return Ok(Ok(Status {
                        installed: true,
                        version_ok: true,
                        installable: Installable::No,
                        has_files: true,
                    }));
                }
            }
            return Ok(Ok(Status {
                installed: false,
                version_ok: false,
                installable: Installable::Yes,
                has_files: false,
            }));
        }
        let installed = info.installed();
        let best = match (cmp, version) {
            (Some("="), Some(v)) => info
                .versions
                .iter()
                .find(|x| fnmatch(x, v))
                .cloned()
                .or_else(|| info.candidate.clone().filter(|c| fnmatch(c, v))),
            _ => info.candidate.clone(),
        };
        let mut st = Status {
            installed,
            version_ok: false,
            installable: Installable::No,
            has_files: info.dpkg_status.is_some_and(|s| s != "not-installed"),
        };
        let as_installable = |b: Option<String>| b.map_or(Installable::No, Installable::Version);
        if installed {
            let iv = info.dpkg_version.clone().unwrap_or_default();
            let newer = best.clone().filter(|b| *b != iv);
            match (cmp, version) {
                (Some("="), Some(v)) => {
                    st.version_ok = fnmatch(&iv, v);
                    st.installable = as_installable(newer.filter(|b| fnmatch(b, v)));
                }
                (Some(">="), Some(v)) => {
                    st.version_ok = version::compare(&iv, v) != Ordering::Less;
                    st.installable =
                        as_installable(newer.filter(|b| version::compare(b, v) != Ordering::Less));
                }
                _ => {
                    st.version_ok = true;
                    st.installable = as_installable(newer);
                }
            }
        } else {
            st.installable = as_installable(best);
        }
        Ok(Ok(st))
    }

    /// `install()`: `Ok` is its (status, data) answer, which gets the cache keys; `Err` is a
    /// failure the module raises directly.
    fn install(&self, packages: &[String]) -> Result<Result<ResultMap, ResultMap>, ModuleError> {
        let build_dep = self.state == "build-dep";
        let upgrade = self.state == "latest";
        let mut pkg_list = Vec::new();
        let mut names = Vec::new();
        for spec in packages {
            if build_dep {
                pkg_list.push(format!("'{spec}'"));
                continue;
            }
            let (name, cmp, version) = package_split(spec);
            names.push(name.clone());
            let st = match self.status(&name, cmp, version.as_deref(), true)? {
                Ok(st) => st,
                Err(fail) => return Ok(Err(fail)),
            };
            if !st.installed && self.a.only_upgrade {
                continue;
            }
            if !st.version_ok && st.installable == Installable::No {
                return Ok(Ok(failed(format!(
                    "no available installation candidate for {spec}"
                ))));
            }
            if st.installable != Installable::No
                && ((!st.installed && !self.a.only_upgrade) || upgrade || !st.version_ok)
            {
                match (&st.installable, &version) {
                    (Installable::Version(v), _) => pkg_list.push(format!("'{name}={v}'")),
                    (_, Some(v)) => pkg_list.push(format!("'{name}={v}'")),
                    _ => pkg_list.push(format!("'{name}'")),
                }
            } else if st.version_ok && st.installable != Installable::No && cmp == Some("=") {
                if let Some(v) = &version {
                    pkg_list.push(format!("'{name}={v}'"));
                }
            }
        }
        let mut r = ResultMap::new();
        if pkg_list.is_empty() {
            r.insert("changed".into(), json!(false));
        } else {
            let flag = |on: bool, f: &str| if on { f.to_owned() } else { String::new() };
            let check = flag(self.ctx.check_mode, "--simulate");
            let mut cmd = if build_dep {
                format!(
                    "{} -y {} {} {} {} {} {} build-dep {}",
                    self.apt_get,
                    self.dpkg_options,
                    flag(self.a.only_upgrade, "--only-upgrade"),
                    flag(self.state == "fixed", "--fix-broken"),
                    flag(self.a.force, "--force-yes"),
                    flag(self.a.fail_on_autoremove, "--no-remove"),
                    check,
                    pkg_list.join(" ")
                )
            } else {
                format!(
                    "{} -y {} {} {} {} {} {} {} install {}",
                    self.apt_get,
                    self.dpkg_options,
                    flag(self.a.only_upgrade, "--only-upgrade"),
                    flag(self.state == "fixed", "--fix-broken"),
                    flag(self.a.force, "--force-yes"),
                    flag(self.a.autoremove, "--auto-remove"),
                    flag(self.a.fail_on_autoremove, "--no-remove"),
                    check,
                    pkg_list.join(" ")
                )
            };
            if let Some(rel) = &self.a.default_release {
                cmd.push_str(&format!(" -t '{rel}'"));
            }
            match self.a.install_recommends {
                Some(false) => cmd.push_str(" -o APT::Install-Recommends=no"),
                Some(true) => cmd.push_str(" -o APT::Install-Recommends=yes"),
                None => {}
            }
            if self.a.allow_unauthenticated {
                cmd.push_str(" --allow-unauthenticated");
            }
            if self.a.allow_downgrade {
                cmd.push_str(" --allow-downgrades");
            }
            if self.a.allow_change_held_packages {
                cmd.push_str(" --allow-change-held-packages");
            }
            let out = self.with_policy_rc_d(&cmd)?;
            let stdout = output_text(&out.stdout, false);
            let stderr = output_text(&out.stderr, false);
            if out.rc != 0 {
                r = failed(format!("'{cmd}' failed: {stderr}"));
                r.insert("rc".into(), json!(out.rc));
                set_output(&mut r, stdout, stderr);
            } else {
                let changed = !build_dep || !stdout.contains(APT_GET_ZERO);
                r.insert("changed".into(), json!(changed));
                r.insert("diff".into(), self.diff(&stdout));
                set_output(&mut r, stdout, stderr);
            }
        }
        if !build_dep && !self.ctx.check_mode && !names.is_empty() {
            if let Some(fail) = self.mark_manual(&names)? {
                return Ok(Err(fail));
            }
        }
        Ok(Ok(r))
    }

    /// `apt-mark manual` for every named package, as the module does after installing.
    fn mark_manual(&self, names: &[String]) -> Result<Option<ResultMap>, ModuleError> {
        let Some(mark) = &self.probe.apt_mark else {
            self.warn(
                "Could not find apt-mark binary, not marking package(s) as manually installed."
                    .to_owned(),
            );
            return Ok(None);
        };
        let mut cmd = format!("{mark} manual {}", names.join(" "));
        let mut out = self.run_cmd(&cmd)?;
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        if err.contains("Invalid operation")
            || err.contains("Usage: apt-mark [options] {markauto|unmarkauto} packages")
        {
            cmd = format!("{mark} unmarkauto {}", names.join(" "));
            out = self.run_cmd(&cmd)?;
        }
        if out.rc != 0 {
            let stderr = output_text(&out.stderr, false);
            let mut r = self.fail(format!("'{cmd}' failed: {stderr}"));
            r.insert("rc".into(), json!(out.rc));
            set_output(&mut r, output_text(&out.stdout, false), stderr);
            return Ok(Some(r));
        }
        Ok(None)
    }

    fn remove(&self, packages: &[String]) -> Result<ResultMap, ModuleError> {
        let mut pkg_list = Vec::new();
        for spec in packages {
            let (name, cmp, version) = package_split(spec);
            let st = match self.status(&name, cmp, version.as_deref(), false)? {
                Ok(st) => st,
                Err(fail) => return Ok(fail),
            };
            if (st.installed && st.version_ok) || (st.has_files && self.a.purge) {
                pkg_list.push(format!("'{spec}'"));
            }
        }
        if pkg_list.is_empty() {
            return Ok(self.finish(crate::util::map(json!({"changed": false}))));
        }
        let flag = |on: bool, f: &str| if on { f.to_owned() } else { String::new() };
        let packages = pkg_list.join(" ");
        let cmd = format!(
            "{} -q -y {} {} {} {} {} {} remove {}",
            self.apt_get,
            self.dpkg_options,
            flag(self.a.purge, "--purge"),
            flag(self.a.force, "--force-yes"),
            flag(self.a.autoremove, "--auto-remove"),
            flag(self.ctx.check_mode, "--simulate"),
            flag(
                self.a.allow_change_held_packages,
                "--allow-change-held-packages"
            ),
            packages
        );
        let out = self.with_policy_rc_d(&cmd)?;
        let stdout = output_text(&out.stdout, false);
        let stderr = output_text(&out.stderr, false);
        if out.rc != 0 {
            let mut r = self.fail(format!("'apt-get remove {packages}' failed: {stderr}"));
            r.insert("rc".into(), json!(out.rc));
            set_output(&mut r, stdout, stderr);
            return Ok(r);
        }
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(true));
        r.insert("diff".into(), self.diff(&stdout));
        set_output(&mut r, stdout, stderr);
        Ok(self.finish(r))
    }

    fn cleanup(&self, operation: &str) -> Result<ResultMap, ModuleError> {
        let flag = |on: bool, f: &str| if on { f.to_owned() } else { String::new() };
        let cmd = format!(
            "{} -y {} {} {} {} {}",
            self.apt_get,
            self.dpkg_options,
            flag(self.a.purge, "--purge"),
            flag(self.a.force, "--force-yes"),
            operation,
            flag(self.ctx.check_mode, "--simulate")
        );
        let out = self.with_policy_rc_d(&cmd)?;
        let stdout = output_text(&out.stdout, false);
        let stderr = output_text(&out.stderr, false);
        if out.rc != 0 {
            let mut r = self.fail(format!("'apt-get {operation}' failed: {stderr}"));
            r.insert("rc".into(), json!(out.rc));
            set_output(&mut r, stdout, stderr);
            return Ok(r);
        }
        let marker = if operation == "autoremove" {
            "The following packages will be REMOVED"
        } else {
            "Del "
        };
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(stdout.contains(marker)));
        r.insert("diff".into(), self.diff(&stdout));
        set_output(&mut r, stdout, stderr);
        Ok(self.finish(r))
    }

    fn upgrade(&self) -> Result<ResultMap, ModuleError> {
        let flag = |on: bool, f: &str| if on { f.to_owned() } else { String::new() };
        let use_apt_get = self.a.force_apt_get || self.probe.aptitude.is_none();
        let auto = flag(self.a.autoremove, "--auto-remove");
        let mode = self.upgrade.as_str();
        let (cmd_path, upgrade_command) = if mode == "dist" || (mode == "full" && use_apt_get) {
            (self.apt_get.clone(), format!("dist-upgrade {auto}"))
        } else if mode == "full" {
            (
                self.probe.aptitude.clone().unwrap_or_default(),
                "full-upgrade".to_owned(),
            )
        } else if use_apt_get {
            (
                self.apt_get.clone(),
                format!("upgrade --with-new-pkgs {auto}"),
            )
        } else {
            (
                self.probe.aptitude.clone().unwrap_or_default(),
                "safe-upgrade".to_owned(),
            )
        };
        let is_apt_get = cmd_path == self.apt_get;
        let force_yes = match (self.a.force, is_apt_get) {
            (false, _) => String::new(),
            (true, true) => "--force-yes".to_owned(),
            (true, false) => "--assume-yes --allow-untrusted".to_owned(),
        };
        let mut cmd = format!(
            "{cmd_path} -y {} {force_yes} {} {} {} {} {upgrade_command}",
            self.dpkg_options,
            flag(self.a.fail_on_autoremove && is_apt_get, "--no-remove"),
            flag(self.a.allow_unauthenticated, "--allow-unauthenticated"),
            flag(self.a.allow_downgrade && is_apt_get, "--allow-downgrades"),
            flag(self.ctx.check_mode, "--simulate"),
        );
        if let Some(rel) = &self.a.default_release {
            cmd.push_str(&format!(" -t '{rel}'"));
        }
        let out = self.with_policy_rc_d(&cmd)?;
        let stdout = output_text(&out.stdout, false);
        let stderr = output_text(&out.stderr, false);
        if out.rc != 0 {
            let mut r = self.fail(format!("'{cmd_path} {upgrade_command}' failed: {stderr}"));
            r.insert("rc".into(), json!(out.rc));
            r.insert("stdout".into(), json!(stdout));
            return Ok(r);
        }
        let zero = if is_apt_get {
            APT_GET_ZERO
        } else {
            APTITUDE_ZERO
        };
        let changed = !stdout.contains(zero);
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(changed));
        r.insert("msg".into(), json!(stdout));
        if changed {
            r.insert("diff".into(), self.diff(&stdout));
        }
        set_output(&mut r, stdout, stderr);
        Ok(self.finish(r))
    }

    /// Runs an apt command, with `/usr/sbin/policy-rc.d` swapped in when `policy_rc_d` is set.
    fn with_policy_rc_d(&self, cmd: &str) -> Result<ExecOutput, ModuleError> {
        let Some(code) = self.a.policy_rc_d else {
            return self.run_cmd(cmd);
        };
        let p = "/usr/sbin/policy-rc.d";
        let save = format!(
            "set -e; if [ -e {p} ]; then d=$(mktemp -d /tmp/ansibleXXXXXXXX); mv {p} \"$d/\"; echo \"$d\" > {p}.rsible-saved; fi; \
             printf '#!/bin/sh\\nexit %d\\n' {code} > {p}; chmod 0755 {p}"
        );
        let o = run_script(self.ctx, save)?;
        if o.rc != 0 {
            return Ok(o);
        }
        let out = self.run_cmd(cmd)?;
        let restore = format!(
            "if [ -e {p}.rsible-saved ]; then d=$(cat {p}.rsible-saved); rm -f {p}.rsible-saved; mv \"$d/policy-rc.d\" {p}; rmdir \"$d\"; else rm -f {p}; fi"
        );
        run_script(self.ctx, restore)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests;

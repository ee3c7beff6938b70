//! `user`: accounts on a Linux target, with `useradd`/`usermod`/`userdel`, `chage` and
//! `ssh-keygen`, as ansible-core's generic `User` class drives them.
//!
//! ```yaml
//! - user: { name: alice, groups: [sudo], append: true, shell: /bin/bash }
//! ```
//!
//! A probe script reads the account (`getent passwd/shadow/group`, as Python's `pwd`, `grp`
//! and `getspnam` see it), the tools' paths and what the plan needs to know about paths; the
//! plan is the module's argv, run only when something differs (never in check mode). The
//! account is read again for the result.

use serde_json::{json, Value};

use crate::args::ArgSpec;
use crate::params::Params;
use crate::target::accounts::{find_group, parse_probe, probe_script, Ask, Passwd, Probe};
use crate::target::file_state::parent;
use crate::target::script::{expand_path, marker, run_argv, run_script};
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};
use rsible_connection::shell::quote;

#[cfg(test)]
mod tests;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "user",
    ArgSpec::new(
        "user",
        &[
            "append",
            "authorization",
            "comment",
            "create_home",
            "expires",
            "force",
            "generate_ssh_key",
            "group",
            "groups",
            "hidden",
            "home",
            "local",
            "login_class",
            "move_home",
            "name",
            "non_unique",
            "password",
            "password_expire_account_disable",
            "password_expire_max",
            "password_expire_min",
            "password_expire_warn",
            "password_lock",
            "profile",
            "remove",
            "role",
            "seuser",
            "shell",
            "skeleton",
            "ssh_key_bits",
            "ssh_key_comment",
            "ssh_key_file",
            "ssh_key_passphrase",
            "ssh_key_type",
            "state",
            "system",
            "uid",
            "uid_max",
            "uid_min",
            "umask",
            "update_password",
            "createhome",
            "user",
        ],
    )
    .aliases(&["createhome", "user"]),
);

const HASH_CHARS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./=";

/// The options as the module holds them after validation.
#[derive(Debug, Default)]
pub(super) struct Opts {
    pub state: String,
    pub name: String,
    pub uid: Option<i64>,
    pub non_unique: bool,
    pub seuser: Option<String>,
    pub group: Option<String>,
    /// `','.join(groups)`, as the module keeps it (and returns it).
    pub groups: Option<String>,
    pub comment: Option<String>,
    pub home: Option<String>,
    pub shell: Option<String>,
    pub password: Option<String>,
    pub force: bool,
    pub remove: bool,
    pub create_home: bool,
    pub move_home: bool,
    pub skeleton: Option<String>,
    pub system: bool,
    pub append: bool,
    pub generate_ssh_key: bool,
    pub ssh_key_bits: i64,
    pub ssh_key_type: String,
    pub ssh_key_file: String,
    pub ssh_key_comment: Option<String>,
    pub ssh_key_passphrase: Option<String>,
    pub update_password: String,
    pub expires: Option<f64>,
    pub password_lock: Option<bool>,
    pub local: bool,
    pub umask: Option<String>,
    pub inactive: Option<i64>,
    pub uid_min: Option<i64>,
    pub uid_max: Option<i64>,
    pub expire_max: Option<i64>,
    pub expire_min: Option<i64>,
    pub expire_warn: Option<i64>,
}

/// The options, or the module's refusal message.
fn read_opts(args: &serde_json::Map<String, Value>) -> Result<Result<Opts, String>, ModuleError> {
    let mut p = Params::new(
        &INFO.args,
        args,
        &[("user", "name"), ("createhome", "create_home")],
    )?;
    p.required("name");
    let mut o = Opts {
        state: p
            .choice("state", &["absent", "present"])
            .unwrap_or_else(|| "present".into()),
        name: p.str("name").unwrap_or_default(),
        uid: p.int("uid"),
        non_unique: p.bool("non_unique").unwrap_or(false),
        group: p.str("group"),
        groups: p.list("groups").map(|g| g.join(",")),
        comment: p.str("comment"),
        home: p.str("home"),
        shell: p.str("shell"),
        password: p.str("password"),
        seuser: p.str("seuser"),
        force: p.bool("force").unwrap_or(false),
        remove: p.bool("remove").unwrap_or(false),
        create_home: p.bool("create_home").unwrap_or(true),
        skeleton: p.str("skeleton"),
        system: p.bool("system").unwrap_or(false),
        move_home: p.bool("move_home").unwrap_or(false),
        append: p.bool("append").unwrap_or(false),
        generate_ssh_key: p.bool("generate_ssh_key").unwrap_or(false),
        ssh_key_bits: p.int("ssh_key_bits").unwrap_or(0),
        ssh_key_type: p.str("ssh_key_type").unwrap_or_else(|| "rsa".into()),
        ssh_key_file: String::new(),
        ssh_key_comment: p.str("ssh_key_comment"),
        ssh_key_passphrase: p.str("ssh_key_passphrase"),
        update_password: p
            .choice("update_password", &["always", "on_create"])
            .unwrap_or_else(|| "always".into()),
        expires: p.float("expires"),
        password_lock: p.bool("password_lock"),
        local: p.bool("local").unwrap_or(false),
        umask: p.str("umask"),
        inactive: p.int("password_expire_account_disable"),
        uid_min: p.int("uid_min"),
        uid_max: p.int("uid_max"),
        expire_max: p.int("password_expire_max"),
        expire_min: p.int("password_expire_min"),
        expire_warn: p.int("password_expire_warn"),
    };
    // macOS, AIX and Solaris options: the Linux module accepts and ignores them.
    let _ = (
        p.str("login_class"),
        p.str("profile"),
        p.str("authorization"),
        p.str("role"),
        p.bool("hidden"),
    );
    let ssh_key_file = p.str("ssh_key_file");
    if let Some(e) = p.error() {
        return Ok(Err(e));
    }
    if o.local {
        for (opt, set) in [
            ("umask", o.umask.is_some()),
            ("uid_min", o.uid_min.is_some()),
            ("uid_max", o.uid_max.is_some()),
        ] {
            if set {
                return Ok(Err(format!("'{opt}' can not be used with 'local'")));
            }
        }
    }
    o.ssh_key_file = ssh_key_file.unwrap_or_else(|| format!(".ssh/id_{}", o.ssh_key_type));
    Ok(Ok(o))
}

/// `check_password_encrypted`: whether the password does not look like a crypt hash.
pub(super) fn looks_unhashed(password: &str) -> bool {
    if ["*", "!", "*************"].contains(&password) {
        return false;
    }
    if password.contains([':', '*', '!']) || !password.contains('$') {
        return true;
    }
    let fields: Vec<&str> = password.split('$').collect();
    if fields.len() < 3 {
        return true;
    }
    let last = fields[fields.len() - 1];
    let len = last.chars().count();
    last.chars().any(|c| !HASH_CHARS.contains(c))
        || (fields[1] == "1" && len != 22)
        || (fields[1] == "5" && len != 43)
        || (fields[1] == "6" && len != 86)
        || (fields[1] == "y" && len != 43)
}

/// `time.strftime('%Y-%m-%d', time.gmtime(expires))`.
fn expires_date(expires: f64) -> String {
    let secs = expires.floor() as i64;
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// One command's `(rc, stdout, stderr)`, as `run_command` returns it.
type Run = (i32, String, String);

pub(crate) struct User;
pub(crate) static USER: User = User;

impl Module for User {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let mut o = match read_opts(args)? {
            Ok(o) => o,
            Err(msg) => return Ok(crate::util::failed(msg).into()),
        };
        for path in [&mut o.home, &mut o.shell] {
            if let Some(p) = path.as_mut() {
                *p = expand_path(ctx, p)?;
            }
        }
        o.ssh_key_file = expand_path(ctx, &o.ssh_key_file)?;
        let mut job = Job {
            ctx,
            o,
            warnings: Vec::new(),
            m: marker(),
        };
        job.run().map(ModuleOutput::from)
    }
}

struct Job<'a> {
    ctx: &'a ModuleContext<'a>,
    o: Opts,
    warnings: Vec<String>,
    m: String,
}

/// A `fail_json` the job hands back up.
type Outcome<T> = Result<Result<T, ResultMap>, ModuleError>;

impl Job<'_> {
    fn probe(&self, ask: &Ask<'_>) -> Result<Probe, ModuleError> {
        let out = run_script(self.ctx, probe_script(&self.m, &self.o.name, ask))?;
        Ok(parse_probe(
            &self.m,
            &self.o.name,
            &String::from_utf8_lossy(&out.stdout),
        ))
    }

    fn bins(&self) -> Vec<&'static str> {
        if self.o.local {
            vec![
                "luseradd",
                "lusermod",
                "luserdel",
                "lgroupmod",
                "lchage",
                "chage",
                "ssh-keygen",
            ]
        } else {
            vec!["useradd", "usermod", "userdel", "chage", "ssh-keygen"]
        }
    }

    fn fail(&self, msg: impl Into<String>) -> ResultMap {
        let mut r = crate::util::failed(msg);
        self.add_warnings(&mut r);
        r
    }

    fn add_warnings(&self, r: &mut ResultMap) {
        if !self.warnings.is_empty() {
            r.insert("warnings".into(), json!(self.warnings));
        }
    }

    /// `execute_command`: skipped (rc 0) in check mode when it obeys it.
    fn exec(
        &self,
        argv: Vec<String>,
        stdin: Option<&str>,
        obey_check: bool,
    ) -> Result<Run, ModuleError> {
        if self.ctx.check_mode && obey_check {
            return Ok((0, String::new(), String::new()));
        }
        Ok(run_argv(self.ctx, argv, stdin, &[])?)
    }

    /// A script run for its effect: `(rc, stdout, stderr)`.
    fn script(&self, script: String) -> Result<Run, ModuleError> {
        let out = run_script(self.ctx, script)?;
        Ok((
            out.rc,
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    fn bin(&self, probe: &Probe, name: &str) -> Result<String, ResultMap> {
        probe.bin(name).map_err(|msg| self.fail(msg))
    }

    fn run(&mut self) -> Result<ResultMap, ModuleError> {
        Ok(match self.main()? {
            Ok(r) | Err(r) => r,
        })
    }

    fn main(&mut self) -> Outcome<ResultMap> {
        if self.o.groups.is_none() && self.o.append {
            self.warnings.push("'append' is set, but no 'groups' are specified. Use 'groups' for appending new groups.This will change to an error in Ansible 2.14.".into());
        }
        if self
            .o
            .password
            .as_deref()
            .is_some_and(|p| !p.is_empty() && looks_unhashed(p))
        {
            self.warnings.push("The input password appears not to have been hashed. The 'password' argument must be encrypted for this module to work properly.".into());
        }
        let mut paths = Vec::new();
        if let Some(home) = &self.o.home {
            paths.push(parent(home));
        }
        let bins = self.bins();
        let probe = self.probe(&Ask {
            local_file: self.o.local.then_some("passwd"),
            paths,
            bins: bins.clone(),
            usermod_help: !self.o.local,
            login_defs: true,
        })?;
        let exists = match self.exists(&probe) {
            Ok(e) => e,
            Err(r) => return Ok(Err(r)),
        };
        let mut r = ResultMap::new();
        r.insert("name".into(), json!(self.o.name));
        r.insert("state".into(), json!(self.o.state));
        let mut run: Option<Run> = None;
        if self.o.state == "absent" {
            if exists {
                if self.ctx.check_mode {
                    let mut r = crate::util::map(json!({"changed": true}));
                    self.add_warnings(&mut r);
                    return Ok(Ok(r));
                }
                let res = match self.remove(&probe)? {
                    Ok(res) => res,
                    Err(r) => return Ok(Err(r)),
                };
                if res.0 != 0 {
                    return Ok(Err(self.fail_rc(&res)));
                }
                r.insert("force".into(), json!(self.o.force));
                r.insert("remove".into(), json!(self.o.remove));
                run = Some(res);
            }
        } else {
            if !exists {
                if self.ctx.check_mode {
                    let mut r = crate::util::map(json!({"changed": true}));
                    self.add_warnings(&mut r);
                    return Ok(Ok(r));
                }
                let needs_parents = self.o.home.is_some()
                    && self.o.create_home
                    && probe.paths.first() != Some(&'d');
                let res = match self.create(&probe)? {
                    Ok(res) => res,
                    Err(r) => return Ok(Err(r)),
                };
                if needs_parents {
                    let now = self.probe(&Ask::default())?;
                    if let (Some(info), Some(home)) = (&now.passwd, &self.o.home) {
                        if let Err(r) = self.chown_home(info, home)? {
                            return Ok(Err(r));
                        }
                    }
                }
                r.insert("system".into(), json!(self.o.system));
                r.insert("create_home".into(), json!(self.o.create_home));
                run = Some(res);
            } else {
                let res = match self.modify(&probe)? {
                    Ok(res) => res,
                    Err(r) => return Ok(Err(r)),
                };
                r.insert("append".into(), json!(self.o.append));
                r.insert("move_home".into(), json!(self.o.move_home));
                run = res;
            }
            if let Some(res) = &run {
                if res.0 != 0 {
                    return Ok(Err(self.fail_rc(res)));
                }
            }
            if self.o.password.is_some() {
                r.insert("password".into(), json!("NOT_LOGGING_PASSWORD"));
            }
        }
        r.insert("changed".into(), json!(run.is_some()));
        if let Some((_, out, err)) = &run {
            output(&mut r, out, err);
        }
        if self.o.state == "present" {
            if let Err(fail) = self.present_tail(&mut r, &probe)? {
                return Ok(Err(fail));
            }
        }
        self.add_warnings(&mut r);
        Ok(Ok(r))
    }

    /// `user_exists`: `pwd.getpwnam`, or with `local` a `name:` line in `/etc/passwd`.
    fn exists(&self, probe: &Probe) -> Result<bool, ResultMap> {
        if !self.o.local {
            return Ok(probe.passwd.is_some());
        }
        probe.local.ok_or_else(|| {
            self.fail("'local: true' specified but unable to find local account file /etc/passwd to parse.")
        })
    }

    fn fail_rc(&self, (rc, _, err): &Run) -> ResultMap {
        let mut r = self.fail(err.clone());
        r.insert("name".into(), json!(self.o.name));
        r.insert("rc".into(), json!(rc));
        r
    }

    fn remove(&self, probe: &Probe) -> Outcome<Run> {
        let cmd = if self.o.local { "luserdel" } else { "userdel" };
        let mut argv = match self.bin(probe, cmd) {
            Ok(b) => vec![b],
            Err(r) => return Ok(Err(r)),
        };
        if self.o.force && !self.o.local {
            argv.push("-f".into());
        }
        if self.o.remove {
            argv.push("-r".into());
        }
        argv.push(self.o.name.clone());
        Ok(Ok(self.exec(argv, None, true)?))
    }

    fn local_refused(&self) -> ResultMap {
        self.fail("rsible does not implement 'local: true' with libuser's luseradd/lusermod/lgroupmod yet")
    }

    fn create(&self, probe: &Probe) -> Outcome<Run> {
        if self.o.local {
            for b in ["lgroupmod", "lchage", "luseradd"] {
                if let Err(r) = self.bin(probe, b) {
                    return Ok(Err(r));
                }
            }
            return Ok(Err(self.local_refused()));
        }
        let mut argv = match self.bin(probe, "useradd") {
            Ok(b) => vec![b],
            Err(r) => return Ok(Err(r)),
        };
        let plan = match plan_useradd(&self.o, probe) {
            Ok(p) => p,
            Err(msg) => return Ok(Err(self.fail(msg))),
        };
        if plan.make_home_first {
            if let Some(home) = &self.o.home {
                if let Err(r) = self.create_homedir(probe, home)? {
                    return Ok(Err(r));
                }
            }
        }
        argv.extend(plan.args);
        Ok(Ok(self.exec(argv, None, true)?))
    }

    fn modify(&self, probe: &Probe) -> Outcome<Option<Run>> {
        if self.o.local {
            for b in ["lgroupmod", "lchage", "lusermod"] {
                if let Err(r) = self.bin(probe, b) {
                    return Ok(Err(r));
                }
            }
            return Ok(Err(self.local_refused()));
        }
        let usermod = match self.bin(probe, "usermod") {
            Ok(b) => b,
            Err(r) => return Ok(Err(r)),
        };
        let args = match plan_usermod(&self.o, probe) {
            Ok(a) => a,
            Err(msg) => return Ok(Err(self.fail(msg))),
        };
        if args.is_empty() {
            return Ok(Ok(None));
        }
        let mut argv = vec![usermod];
        argv.extend(args);
        argv.push(self.o.name.clone());
        Ok(Ok(Some(self.exec(argv, None, true)?)))
    }

    /// `create_homedir`: a copy of the skeleton (or an empty directory), given the mode
    /// `login.defs` asks for.
    fn create_homedir(&self, probe: &Probe, path: &str) -> Outcome<()> {
        let skel = self
            .o
            .skeleton
            .clone()
            .unwrap_or_else(|| "/etc/skel".into());
        let mode = probe
            .home_mode()
            .map(|m| format!("chmod {:o} \"$p\" || exit 1\n", m))
            .unwrap_or_default();
        let script = format!(
            "p={}; s={}\n\
             [ -e \"$p\" ] && exit 0\n\
             if [ -e \"$s\" ] && [ \"$s\" != /dev/null ]; then mkdir -p -- \"$(dirname -- \"$p\")\" && cp -a -- \"$s\" \"$p\" || exit 1\n\
             else mkdir -p -- \"$p\" || exit 1; fi\n{mode}",
            quote(path),
            quote(&skel)
        );
        let (rc, _, err) = self.script(script)?;
        if rc != 0 {
            return Ok(Err(self.fail(err.trim_end().to_owned())));
        }
        Ok(Ok(()))
    }

    /// `chown_homedir`: the home and everything in it (symlinks left alone) to the user.
    fn chown_home(&self, info: &Passwd, path: &str) -> Outcome<()> {
        let script = format!(
            "p={}; o={}\nchown \"$o\" \"$p\" && find \"$p\" -mindepth 1 ! -type l -exec chown \"$o\" {{}} +",
            quote(path),
            quote(&format!("{}:{}", info.uid, info.gid))
        );
        let (rc, _, err) = self.script(script)?;
        if rc != 0 {
            return Ok(Err(self.fail(err.trim_end().to_owned())));
        }
        Ok(Ok(()))
    }

    /// What the module does after the account change for `state: present`: the account's
    /// values, a missing home, the ssh key, the password ageing.
    fn present_tail(&mut self, r: &mut ResultMap, first: &Probe) -> Outcome<()> {
        let home_param = self.o.home.clone();
        let mut paths = Vec::new();
        if let Some(h) = &home_param {
            paths.push(h.clone());
        }
        let now = self.probe(&Ask {
            local_file: self.o.local.then_some("passwd"),
            paths,
            ..Ask::default()
        })?;
        let exists = match self.exists(&now) {
            Ok(e) => e,
            Err(f) => return Ok(Err(f)),
        };
        if !exists {
            return Ok(Ok(()));
        }
        let Some(info) = now.passwd.clone() else {
            let mut f = self.fail(format!("failed to look up user name: {}", self.o.name));
            f.insert("name".into(), json!(self.o.name));
            return Ok(Err(f));
        };
        r.insert("uid".into(), json!(info.uid));
        r.insert("group".into(), json!(info.gid));
        r.insert("comment".into(), json!(info.gecos));
        r.insert("home".into(), json!(info.dir));
        r.insert("shell".into(), json!(info.shell));
        if let Some(g) = &self.o.groups {
            r.insert("groups".into(), json!(g));
        }
        let home = home_param.unwrap_or_else(|| info.dir.clone());
        let home_exists = if self.o.home.is_some() {
            now.paths.first().is_some_and(|p| *p != '-')
        } else {
            let p = self.probe(&Ask {
                paths: vec![home.clone()],
                ..Ask::default()
            })?;
            p.paths.first().is_some_and(|p| *p != '-')
        };
        if !home_exists && self.o.create_home {
            if !self.ctx.check_mode {
                if let Err(f) = self.create_homedir(first, &home)? {
                    return Ok(Err(f));
                }
                if let Err(f) = self.chown_home(&info, &home)? {
                    return Ok(Err(f));
                }
            }
            r.insert("changed".into(), json!(true));
        }
        if self.o.generate_ssh_key {
            if let Err(f) = self.ssh_key(r, first, &info)? {
                return Ok(Err(f));
            }
        }
        let expire = match self.password_expire(first, &now)? {
            Ok(e) => e,
            Err(f) => return Ok(Err(f)),
        };
        if let Some(res) = expire {
            if res.0 != 0 {
                return Ok(Err(self.fail_rc(&res)));
            }
            r.insert("changed".into(), json!(true));
        }
        Ok(Ok(()))
    }

    fn key_path(&self, info: &Passwd) -> String {
        if self.o.ssh_key_file.starts_with('/') {
            self.o.ssh_key_file.clone()
        } else {
            crate::target::file_state::join(&info.dir, &self.o.ssh_key_file)
        }
    }

    /// `ssh_key_gen`, then the fingerprint and public key in the result.
    fn ssh_key(&mut self, r: &mut ResultMap, first: &Probe, info: &Passwd) -> Outcome<()> {
        let key = self.key_path(info);
        let public = format!("{key}.pub");
        let ssh_dir = parent(&key);
        let p = self.probe(&Ask {
            paths: vec![
                info.dir.clone(),
                ssh_dir.clone(),
                key.clone(),
                public.clone(),
            ],
            ..Ask::default()
        })?;
        let there = |i: usize| p.paths.get(i).is_some_and(|c| *c != '-');
        let fail_gen = |job: &Self, msg: String| {
            let mut f = job.fail(msg);
            f.insert("name".into(), json!(job.o.name));
            f.insert("rc".into(), json!(1));
            f
        };
        let relative = !self.o.ssh_key_file.starts_with('/');
        if relative && !there(0) && !self.ctx.check_mode {
            return Ok(Err(fail_gen(
                self,
                format!("User {} home directory does not exist", self.o.name),
            )));
        }
        let keygen = match self.bin(first, "ssh-keygen") {
            Ok(b) => b,
            Err(f) => return Ok(Err(f)),
        };
        let mut generated: Option<i32> = None;
        let mut overwrite = None;
        'gen: {
            if !there(1) {
                if self.ctx.check_mode {
                    generated = Some(0);
                    break 'gen;
                }
                let owner = format!("{}:{}", info.uid, info.gid);
                let (rc, _, err) = self.script(format!(
                    "umask 022; d={}; mkdir -m 0700 -- \"$d\" && chown {} \"$d\"",
                    quote(&ssh_dir),
                    quote(&owner)
                ))?;
                if rc != 0 {
                    return Ok(Err(fail_gen(
                        self,
                        format!("Failed to create {ssh_dir}: {}", err.trim_end()),
                    )));
                }
            }
            if there(2) {
                if self.o.force {
                    self.warnings.push(format!(
                        "Overwriting existing ssh key private file \"{key}\""
                    ));
                    overwrite = Some("y\n");
                } else {
                    self.warnings.push(format!("Found existing ssh key private file \"{key}\", no force, so skipping ssh-keygen generation"));
                    break 'gen;
                }
            }
            if there(3) {
                if self.o.force {
                    self.warnings.push(format!(
                        "Overwriting existing ssh key public file \"{public}\""
                    ));
                    if !self.ctx.check_mode {
                        self.script(format!("rm -f -- {}", quote(&public)))?;
                    }
                } else {
                    self.warnings.push(format!("Found existing ssh key public file \"{public}\", no force, so skipping ssh-keygen generation"));
                    break 'gen;
                }
            }
            let mut argv = vec![keygen.clone(), "-t".into(), self.o.ssh_key_type.clone()];
            if self.o.ssh_key_bits > 0 {
                argv.extend(["-b".into(), self.o.ssh_key_bits.to_string()]);
            }
            let comment = self
                .o
                .ssh_key_comment
                .clone()
                .unwrap_or_else(|| format!("ansible-generated on {}", first.hostname));
            argv.extend(["-C".into(), comment, "-f".into(), key.clone()]);
            // The module types the passphrase at ssh-keygen's prompt; `-N` gives it the same.
            argv.extend([
                "-N".into(),
                self.o.ssh_key_passphrase.clone().unwrap_or_default(),
            ]);
            let (rc, _, err) = self.exec(argv, overwrite, true)?;
            if rc != 0 {
                let mut f = self.fail(err);
                f.insert("name".into(), json!(self.o.name));
                f.insert("rc".into(), json!(rc));
                return Ok(Err(f));
            }
            if !self.ctx.check_mode {
                let owner = format!("{}:{}", info.uid, info.gid);
                self.script(format!(
                    "chown {} {} {}",
                    quote(&owner),
                    quote(&key),
                    quote(&public)
                ))?;
            }
            generated = Some(rc);
        }
        if generated == Some(0) {
            r.insert("changed".into(), json!(true));
        }
        let after = self.probe(&Ask {
            paths: vec![key.clone()],
            ..Ask::default()
        })?;
        let fingerprint = if after.paths.first().is_some_and(|c| *c != '-') {
            let (rc, out, err) = self.exec(
                vec![keygen, "-l".into(), "-f".into(), key.clone()],
                None,
                false,
            )?;
            if rc == 0 {
                out
            } else {
                err
            }
        } else {
            String::new()
        };
        r.insert("ssh_fingerprint".into(), json!(fingerprint.trim()));
        r.insert("ssh_key_file".into(), json!(key));
        let m = &self.m;
        let (rc, out, _) = self.script(format!(
            "f={}; if [ -f \"$f\" ] && [ -r \"$f\" ]; then echo '{m}'; cat -- \"$f\"; fi",
            quote(&public)
        ))?;
        let public_key = match out.strip_prefix(&format!("{m}\n")) {
            Some(text) if rc == 0 => json!(text.trim()),
            _ => Value::Null,
        };
        r.insert("ssh_public_key".into(), public_key);
        Ok(Ok(()))
    }

    /// `set_password_expire`: `chage` for the ageing values that differ from the shadow entry.
    fn password_expire(&self, first: &Probe, now: &Probe) -> Outcome<Option<Run>> {
        let Some(shadow) = &now.shadow else {
            return Ok(Ok(None));
        };
        let mut argv = Vec::new();
        if let Some(v) = self.o.expire_min.filter(|v| *v != shadow.min) {
            argv.extend(["-m".to_owned(), v.to_string()]);
        }
        if let Some(v) = self.o.expire_max.filter(|v| *v != shadow.max) {
            argv.extend(["-M".to_owned(), v.to_string()]);
        }
        if let Some(v) = self.o.expire_warn.filter(|v| *v != shadow.warn) {
            argv.extend(["-W".to_owned(), v.to_string()]);
        }
        if argv.is_empty() {
            return Ok(Ok(None));
        }
        let chage = match self.bin(first, "chage") {
            Ok(b) => b,
            Err(f) => return Ok(Err(f)),
        };
        argv.insert(0, chage);
        argv.push(self.o.name.clone());
        Ok(Ok(Some(self.exec(argv, None, true)?)))
    }
}

/// Sets `stdout`/`stderr` when not empty, with the `_lines` Ansible adds.
fn output(r: &mut ResultMap, out: &str, err: &str) {
    for (key, text) in [("stdout", out), ("stderr", err)] {
        if !text.is_empty() {
            r.insert(key.into(), json!(text));
            r.insert(
                format!("{key}_lines"),
                Value::Array(crate::util::py_splitlines(text)),
            );
        }
    }
}

/// `useradd`'s arguments after the program, and whether the home must be made first (its
/// parent is missing).
#[derive(Debug, PartialEq)]
pub(super) struct CreatePlan {
    pub args: Vec<String>,
    pub make_home_first: bool,
}

pub(super) fn plan_useradd(o: &Opts, probe: &Probe) -> Result<CreatePlan, String> {
    let mut a: Vec<String> = Vec::new();
    if let Some(uid) = o.uid {
        a.extend(["-u".into(), uid.to_string()]);
        if o.non_unique {
            a.push("-o".into());
        }
    }
    if let Some(se) = &o.seuser {
        a.extend(["-Z".into(), se.clone()]);
    }
    if let Some(g) = &o.group {
        if find_group(&probe.groups, g).is_none() {
            return Err(format!("Group {g} does not exist"));
        }
        a.extend(["-g".into(), g.clone()]);
    } else if find_group(&probe.groups, &o.name).is_some() {
        a.push("-N".into());
    }
    if let Some(groups) = o.groups.as_deref().filter(|g| !g.is_empty()) {
        let mut seen: Vec<String> = Vec::new();
        for g in groups.split(',').map(str::trim).filter(|g| !g.is_empty()) {
            if find_group(&probe.groups, g).is_none() {
                return Err(format!("Group {g} does not exist"));
            }
            if !seen.iter().any(|s| s == g) {
                seen.push(g.to_owned());
            }
        }
        a.extend(["-G".into(), seen.join(",")]);
    }
    if let Some(c) = &o.comment {
        a.extend(["-c".into(), c.clone()]);
    }
    let mut make_home_first = false;
    if let Some(home) = &o.home {
        if o.create_home && probe.paths.first() != Some(&'d') {
            make_home_first = true;
        }
        a.extend(["-d".into(), home.clone()]);
    }
    if let Some(s) = &o.shell {
        a.extend(["-s".into(), s.clone()]);
    }
    if let Some(e) = o.expires {
        a.push("-e".into());
        a.push(if e < 0.0 {
            String::new()
        } else {
            expires_date(e)
        });
    }
    if let Some(i) = o.inactive {
        a.extend(["-f".into(), i.to_string()]);
    }
    if let Some(pw) = &o.password {
        a.push("-p".into());
        a.push(if o.password_lock == Some(true) {
            format!("!{pw}")
        } else {
            pw.clone()
        });
    }
    if o.create_home {
        a.push("-m".into());
        if let Some(k) = &o.skeleton {
            a.extend(["-k".into(), k.clone()]);
        }
        if let Some(u) = &o.umask {
            a.extend(["-K".into(), format!("UMASK={u}")]);
        }
    } else {
        a.push("-M".into());
    }
    if o.system {
        a.push("-r".into());
    }
    if let Some(v) = o.uid_min {
        a.extend(["-K".into(), format!("UID_MIN={v}")]);
    }
    if let Some(v) = o.uid_max {
        a.extend(["-K".into(), format!("UID_MAX={v}")]);
    }
    a.push(o.name.clone());
    Ok(CreatePlan {
        args: a,
        make_home_first,
    })
}

/// `usermod`'s options (without the program and the name) for what differs; empty when
/// nothing does.
pub(super) fn plan_usermod(o: &Opts, probe: &Probe) -> Result<Vec<String>, String> {
    let Some(info) = &probe.passwd else {
        return Ok(Vec::new());
    };
    // `user_info`: a one-character (or empty) passwd field is replaced by the shadow hash.
    let pw = if info.passwd.chars().count() <= 1 {
        probe
            .shadow
            .as_ref()
            .map(|s| s.pwd.clone())
            .unwrap_or_default()
    } else {
        info.passwd.clone()
    };
    let mut a: Vec<String> = Vec::new();
    if let Some(uid) = o.uid.filter(|u| *u != info.uid) {
        a.extend(["-u".into(), uid.to_string()]);
        if o.non_unique {
            a.push("-o".into());
        }
    }
    if let Some(g) = &o.group {
        let Some(ginfo) = find_group(&probe.groups, g) else {
            return Err(format!("Group {g} does not exist"));
        };
        if ginfo.gid != info.gid {
            a.extend(["-g".into(), ginfo.gid.to_string()]);
        }
    }
    if let Some(groups) = &o.groups {
        let current: Vec<&str> = probe
            .groups
            .iter()
            .filter(|g| g.members.contains(&o.name))
            .map(|g| g.name.as_str())
            .collect();
        let mut need = false;
        let mut wanted: Vec<String> = Vec::new();
        if groups.is_empty() {
            need = !current.is_empty() && !o.append;
        } else {
            for g in groups.split(',').map(str::trim).filter(|g| !g.is_empty()) {
                let Some(gi) = find_group(&probe.groups, g) else {
                    return Err(format!("Group {g} does not exist"));
                };
                if !wanted.contains(&gi.name) {
                    wanted.push(gi.name.clone());
                }
            }
            let missing = wanted.iter().any(|w| !current.contains(&w.as_str()));
            let extra = current.iter().any(|c| !wanted.iter().any(|w| w == c));
            if o.append {
                if missing {
                    if probe.has_append {
                        a.push("-a".into());
                    }
                    need = true;
                }
            } else if missing || extra {
                need = true;
            }
        }
        if need {
            if o.append && !probe.has_append {
                let diff: Vec<String> = wanted
                    .iter()
                    .filter(|w| !current.contains(&w.as_str()))
                    .cloned()
                    .chain(
                        current
                            .iter()
                            .filter(|c| !wanted.iter().any(|w| w == *c))
                            .map(|c| (*c).to_owned()),
                    )
                    .collect();
                a.extend(["-A".into(), diff.join(",")]);
            } else {
                a.extend(["-G".into(), wanted.join(",")]);
            }
        }
    }
    if let Some(c) = o.comment.as_ref().filter(|c| **c != info.gecos) {
        a.extend(["-c".into(), c.clone()]);
    }
    if let Some(h) = o.home.as_ref().filter(|h| **h != info.dir) {
        a.extend(["-d".into(), h.clone()]);
        if o.move_home {
            a.push("-m".into());
        }
    }
    if let Some(s) = o.shell.as_ref().filter(|s| **s != info.shell) {
        a.extend(["-s".into(), s.clone()]);
    }
    if let Some(e) = o.expires {
        // `user_password()[1] or '0'`: the shadow entry's expiry, 0 when unreadable.
        let current = probe.shadow.as_ref().map_or(0, |s| s.expire);
        if e < 0.0 {
            if current >= 0 {
                a.extend(["-e".into(), String::new()]);
            }
        } else {
            let current_date = expires_date((current * 86_400) as f64);
            if current < 0 || current_date != expires_date(e) {
                a.extend(["-e".into(), expires_date(e)]);
            }
        }
    }
    if let Some(i) = o.inactive {
        a.extend(["-f".into(), i.to_string()]);
    }
    match o.password_lock {
        Some(true) if !pw.starts_with('!') => a.push("-L".into()),
        Some(false) if pw.starts_with('!') => a.push("-U".into()),
        _ => {}
    }
    if let Some(p) = &o.password {
        if o.update_password == "always" && pw.trim_start_matches('!') != p.trim_start_matches('!')
        {
            a.retain(|x| x != "-U" && x != "-L");
            a.push("-p".into());
            a.push(if o.password_lock == Some(true) {
                format!("!{p}")
            } else {
                p.clone()
            });
        }
    }
    Ok(a)
}

//! `authorized_key` (ansible.posix): add or remove SSH keys in a user's `authorized_keys`.
//!
//! ```yaml
//! - authorized_key: { user: vagrant, key: "{{ item }}" }
//!   with_file: [ssh/id_rsa.pub]
//! - authorized_key: { user: deploy, key: "{{ keys }}", exclusive: yes, key_options: no-pty }
//! ```
//!
//! One probe script resolves the user (`getent passwd`), the key file and its content; the
//! edit is made on the controller as the module makes it ([`crate::authorized_key::file`]).
//! Only when the content must change: a script creates `~/.ssh` (0700, owned by the user),
//! `put_file` writes the file atomically, and a last script sets owner and 0600.

pub(crate) mod file;

use std::fmt::Write as _;

use rsible_template::py_str_repr as py_repr;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_string, parse, ArgSpec};
use crate::authorized_key::file::{apply, parse_keys, serialize, EditError, Request};
use crate::file::{path_info, Info, INFO_FN};
use crate::target::script::{expand_path, marker, run_script};
use crate::util::failed;
use crate::{
    Collection, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, PutOptions, ResultMap,
};
use rsible_connection::shell::quote;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "authorized_key",
    ArgSpec::new(
        "ansible.posix.authorized_key",
        &[
            "comment",
            "exclusive",
            "follow",
            "key",
            "key_options",
            "manage_dir",
            "path",
            "state",
            "user",
            "validate_certs",
        ],
    ),
)
.in_collection(Collection::Posix);

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    user: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    key: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    path: Option<String>,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    manage_dir: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    key_options: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    exclusive: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    comment: Option<String>,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    validate_certs: bool,
    #[serde(default, deserialize_with = "de_bool")]
    follow: bool,
}

pub(crate) struct AuthorizedKey;
pub(crate) static AUTHORIZED_KEY: AuthorizedKey = AuthorizedKey;

impl Module for AuthorizedKey {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let missing: Vec<&str> = [("key", &a.key), ("user", &a.user)]
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            return Ok(failed(format!(
                "missing required arguments: {}",
                missing.join(", ")
            ))
            .into());
        }
        let state = a.state.clone().unwrap_or_else(|| "present".to_owned());
        if state != "present" && state != "absent" {
            return Ok(failed(format!(
                "value of state must be one of: absent, present, got: {state}"
            ))
            .into());
        }
        enforce(ctx, &a, state == "present").map(ModuleOutput::from)
    }
}

/// What the probe found on the target.
struct Probe {
    /// `name:x:uid:gid:gecos:home:shell`, when the user exists.
    passwd: Option<Vec<String>>,
    keyfile: String,
    realpath: String,
    l: Info,
    t: Info,
    content: String,
}

fn probe_script(user: &str, path: Option<&str>, mark: &str) -> String {
    let mut s = String::from(INFO_FN);
    let _ = writeln!(s, "u={}", quote(user));
    s.push_str("if ent=$(getent passwd \"$u\"); then echo \"pw:$ent\"; fi\n");
    match path {
        Some(p) => {
            let _ = writeln!(s, "f={}", quote(p));
        }
        // os.path.join(home, ".ssh", "authorized_keys")
        None => s.push_str(
            "h=$(printf '%s\\n' \"$ent\" | cut -d: -f6)\n\
             case $h in '') d=.ssh;; */) d=\"${h}.ssh\";; *) d=\"$h/.ssh\";; esac\n\
             f=\"$d/authorized_keys\"\n",
        ),
    }
    s.push_str(
        "echo \"f:$f\"; echo \"r:$(readlink -m -- \"$f\")\"\n\
         _lt \"$f\"\n",
    );
    let _ = writeln!(s, "if [ -f \"$f\" ]; then echo {mark}; cat -- \"$f\"; fi");
    s
}

fn parse_probe(stdout: &str, user: &str, mark: &str) -> Probe {
    let (head, content) = match stdout.split_once(&format!("{mark}\n")) {
        Some((h, c)) => (h, c.to_owned()),
        None => (stdout, String::new()),
    };
    let mut p = Probe {
        passwd: None,
        keyfile: String::new(),
        realpath: String::new(),
        l: Info::default(),
        t: Info::default(),
        content,
    };
    for line in head.lines() {
        let Some((tag, v)) = line.split_once(':') else {
            continue;
        };
        match tag {
            "pw" => {
                let f: Vec<String> = v.split(':').map(str::to_owned).collect();
                // getent also answers a numeric uid; getpwnam does not.
                if f.len() >= 7 && f[0] == user {
                    p.passwd = Some(f);
                }
            }
            "f" => v.clone_into(&mut p.keyfile),
            "r" => v.clone_into(&mut p.realpath),
            "l" => p.l = Info::parse(v),
            "t" => p.t = Info::parse(v),
            _ => {}
        }
    }
    p
}

/// `key: http...` is fetched and `key: file...` read, both on the target.
fn resolve_key(
    ctx: &ModuleContext<'_>,
    a: &Args,
    key: &str,
) -> Result<Result<String, ResultMap>, ModuleError> {
    let mut key = key.to_owned();
    if key.starts_with("http") {
        let k = if a.validate_certs { "" } else { "-k " };
        let script = format!(
            "if command -v curl >/dev/null 2>&1; then curl -fsSL {k}-- {u}; else wget -qO- {w}-- {u}; fi",
            u = quote(&key),
            w = if a.validate_certs { "" } else { "--no-check-certificate " }
        );
        let out = run_script(ctx, script)?;
        if out.rc != 0 {
            return Ok(Err(failed(format!("Error getting key from: {key}"))));
        }
        key = String::from_utf8_lossy(&out.stdout).into_owned();
    }
    if key.starts_with("file") {
        let rest = &key[4..];
        let path = rest
            .strip_prefix("://")
            .map(|r| r.find('/').map_or("", |i| &r[i..]))
            .or_else(|| rest.strip_prefix(':'))
            .unwrap_or(&key)
            .to_owned();
        let q = quote(&path);
        let script = format!(
            "if [ ! -e {q} ]; then echo missing; elif [ ! -f {q} ]; then echo dir; else echo ok; cat -- {q}; fi"
        );
        let out = run_script(ctx, script)?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (status, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        match status {
            "missing" => return Ok(Err(failed(format!("Path to a key file not found: {path}")))),
            "dir" => {
                return Ok(Err(failed(format!(
                    "Path to a key is a directory and must be a file: {path}"
                ))))
            }
            _ => key = body.to_owned(),
        }
    }
    Ok(Ok(key))
}

fn enforce(ctx: &ModuleContext<'_>, a: &Args, present: bool) -> Result<ResultMap, ModuleError> {
    let user = a.user.clone().unwrap_or_default();
    let path = match &a.path {
        Some(p) => Some(expand_path(ctx, p)?),
        None => None,
    };
    let key = match resolve_key(ctx, a, a.key.as_deref().unwrap_or_default())? {
        Ok(k) => k,
        Err(fail) => return Ok(fail),
    };
    let mark = marker();
    let out = run_script(ctx, probe_script(&user, path.as_deref(), &mark))?;
    let probe = parse_probe(&String::from_utf8_lossy(&out.stdout), &user, &mark);
    let lookup_needed = !(ctx.check_mode && path.is_some());
    if lookup_needed && probe.passwd.is_none() {
        if ctx.check_mode {
            return Ok(failed(
                "Either user must exist or you must provide full path to key file in check mode",
            ));
        }
        let err = py_repr(&format!("getpwnam(): name not found: {}", py_repr(&user)));
        return Ok(failed(format!("Failed to lookup user {user}: {err}")));
    }

    let mut keys = match parse_keys(&probe.content) {
        Ok(k) => k,
        Err(t) => {
            return Ok(failed(format!(
                "IndexError: list index out of range ({})",
                t.0.trim_end()
            )))
        }
    };
    let req = Request {
        key: &key,
        present,
        exclusive: a.exclusive,
        key_options: a.key_options.as_deref(),
        comment: a.comment.as_deref(),
    };
    let do_write = match apply(&mut keys, &req) {
        Ok(w) => w,
        Err(EditError::Invalid(k)) => return Ok(failed(format!("invalid key specified: {k}"))),
        Err(EditError::Truncated(k)) => {
            return Ok(failed(format!(
                "IndexError: list index out of range ({})",
                k.trim_end()
            )))
        }
    };

    let mut r = ResultMap::new();
    r.insert("changed".into(), json!(do_write));
    r.insert("comment".into(), json!(a.comment));
    r.insert("exclusive".into(), json!(a.exclusive));
    r.insert("follow".into(), json!(a.follow));
    r.insert("key".into(), json!(a.key));
    r.insert("key_options".into(), json!(a.key_options));
    r.insert("keyfile".into(), json!(probe.keyfile));
    r.insert("manage_dir".into(), json!(a.manage_dir));
    r.insert("path".into(), json!(path));
    r.insert(
        "state".into(),
        json!(if present { "present" } else { "absent" }),
    );
    r.insert("user".into(), json!(user));
    r.insert("validate_certs".into(), json!(a.validate_certs));

    let (mut l, mut t) = (probe.l.clone(), probe.t.clone());
    if do_write {
        let filename = if a.follow {
            probe.realpath.clone()
        } else {
            probe.keyfile.clone()
        };
        let new_content = serialize(&keys);
        if ctx.diff {
            r.insert(
                "diff".into(),
                json!({
                    "before_header": probe.keyfile,
                    "after_header": filename,
                    "before": probe.content,
                    "after": new_content,
                }),
            );
        }
        if !ctx.check_mode {
            // Outside check mode the user was looked up above, so the entry is there.
            let Some(pw) = probe.passwd.clone() else {
                return Ok(failed(format!("Failed to lookup user {user}")));
            };
            let owner = format!("{}:{}", pw[2], pw[3]);
            let sshdir = match &path {
                Some(_) => crate::file::parent(&probe.keyfile),
                None => {
                    let h = &pw[5];
                    if h.is_empty() {
                        ".ssh".to_owned()
                    } else if h.ends_with('/') {
                        format!("{h}.ssh")
                    } else {
                        format!("{h}/.ssh")
                    }
                }
            };
            if let Some(fail) = prepare(ctx, a.manage_dir, &sshdir, &filename, &owner)? {
                return Ok(fail);
            }
            let opts = PutOptions {
                mode: Some(0o600),
                become_: ctx.become_.clone(),
            };
            ctx.conn
                .put_file(new_content.as_bytes(), &filename, &opts)?;
            let mut s = String::from(INFO_FN);
            let _ = writeln!(
                s,
                "chown {} -- {f} 2>/dev/null; chmod 0600 -- {f} 2>/dev/null",
                quote(&owner),
                f = quote(&filename)
            );
            if let Some(p) = &path {
                let _ = writeln!(s, "_lt {q}", q = quote(p));
            }
            let out = run_script(ctx, s)?;
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                if let Some(v) = line.strip_prefix("l:") {
                    l = Info::parse(v);
                } else if let Some(v) = line.strip_prefix("t:") {
                    t = Info::parse(v);
                }
            }
        }
    }
    // AnsibleModule.exit_json reports the attributes of `path` when it was given.
    if path.is_some() {
        path_info(&mut r, &l, &t);
    }
    Ok(r)
}

/// `keyfile(write=True)`: the `.ssh` directory (with `manage_dir`) and an empty key file with
/// the user's ownership, so the atomic write keeps them. `Some` is the module's failure.
fn prepare(
    ctx: &ModuleContext<'_>,
    manage_dir: bool,
    sshdir: &str,
    file: &str,
    owner: &str,
) -> Result<Option<ResultMap>, ModuleError> {
    let mut s = format!(
        "d={}; f={}; o={}\n",
        quote(sshdir),
        quote(file),
        quote(owner)
    );
    if manage_dir {
        s.push_str(
            "if [ ! -e \"$d\" ] && ! mkdir -m 0700 -- \"$d\" 2>/dev/null; then\n\
             p=$(dirname -- \"$d\")\n\
             if [ ! -e \"$p\" ]; then echo errno:2; elif [ ! -d \"$p\" ]; then echo errno:20; else echo errno:13; fi\n\
             exit 0\nfi\n\
             chown \"$o\" -- \"$d\" && chmod 0700 -- \"$d\" || exit 1\n",
        );
    }
    s.push_str(
        "if [ ! -e \"$f\" ]; then mkdir -p -- \"$(dirname -- \"$f\")\" && : > \"$f\" || exit 1; fi\n\
         chown \"$o\" -- \"$f\" 2>/dev/null; chmod 0600 -- \"$f\" 2>/dev/null\necho ok\n",
    );
    let out = run_script(ctx, s)?;
    let text = String::from_utf8_lossy(&out.stdout);
    if let Some(n) = text.lines().find_map(|l| l.strip_prefix("errno:")) {
        let what = match n {
            "2" => "No such file or directory",
            "20" => "Not a directory",
            _ => "Permission denied",
        };
        return Ok(Some(failed(format!(
            "Failed to create directory {sshdir} : [Errno {n}] {what}: {}",
            py_repr(sshdir)
        ))));
    }
    if out.rc != 0 || !text.contains("ok") {
        return Ok(Some(failed(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        )));
    }
    Ok(None)
}

#[cfg(test)]
mod tests;

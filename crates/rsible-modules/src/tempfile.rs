//! `tempfile`: create a temporary file or directory on the target.
//!
//! ```yaml
//! - tempfile: { state: directory, suffix: build }
//!   register: build_dir
//! ```
//!
//! As Python's `mkstemp`/`mkdtemp` on the target: the name is the prefix, eight characters of
//! `[a-z0-9_]` and the suffix; the file is made with `O_EXCL` semantics (`set -C`) and mode
//! 0600, the directory 0700; the default directory is `gettempdir()`'s (`$TMPDIR`, `$TEMP`,
//! `$TMP`, `/tmp`, `/var/tmp`, `/usr/tmp`, the working directory). One script does it all and
//! prints the attributes `exit_json` adds for `path`. The module does not support check mode.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::args::ArgSpec;
use crate::params::Params;
use crate::synchronize::cmd::abspath;
use crate::target::file_state::{join, parse_state, path_info, INFO_FN};
use crate::target::script::{expand_path, marker, run_script};
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};
use rsible_connection::shell::quote;
use rsible_template::py_repr;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "tempfile",
    ArgSpec::new("tempfile", &["path", "prefix", "state", "suffix"]),
);

pub(crate) struct Tempfile;
pub(crate) static TEMPFILE: Tempfile = Tempfile;

/// Names tried before giving up, as Python's `TMP_MAX` bounds its loop (fewer: each is random).
const TRIES: usize = 16;

/// Python's `_RandomNameSequence`: eight characters of `[a-z0-9_]`.
fn random_name() -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    (0..8)
        .map(|_| char::from(CHARS[usize::from(rand::random::<u8>()) % CHARS.len()]))
        .collect()
}

/// `os.path.basename(x) == x`: no `/` in a name component.
fn component_error(what: &str, v: &str) -> Option<String> {
    (!v.is_empty() && v.contains('/')).then(|| {
        format!(
            "{what} must be a valid file name component, got {}",
            py_repr(&json!(v))
        )
    })
}

/// The script: find the directory, make the first free name, print its attributes.
fn script(dir: Option<&str>, names: &[String], directory: bool, m: &str) -> String {
    let mut s = String::from(INFO_FN);
    s.push_str("c=$(pwd -P)\necho \"c:$c\"\n");
    match dir {
        Some(d) => {
            let _ = writeln!(s, "dir={}", quote(d));
        }
        None => {
            // `gettempdir()`: the first candidate a file can be made in.
            s.push_str(
                "dir=\nfor d in \"${TMPDIR-}\" \"${TEMP-}\" \"${TMP-}\" /tmp /var/tmp /usr/tmp \"$c\"; do\n\
                 [ -n \"$d\" ] || continue\n\
                 if [ -d \"$d\" ] && [ -w \"$d\" ] && [ -x \"$d\" ]; then dir=$d; break; fi\n\
                 done\n\
                 if [ -z \"$dir\" ]; then echo E:none; exit 0; fi\n\
                 echo \"d:$dir\"\n",
            );
        }
    }
    let make = if directory {
        "(umask 077; mkdir -- \"$f\")"
    } else {
        "(umask 077; set -C; : > \"$f\")"
    };
    let _ = writeln!(
        s,
        "for n in {}; do\n\
         f=\"${{dir:-.}}/$n\"\n\
         if [ -e \"$f\" ] || [ -L \"$f\" ]; then continue; fi\n\
         if [ ! -e \"${{dir:-.}}\" ]; then echo \"E:2:$n\"; exit 0; fi\n\
         if [ ! -d \"${{dir:-.}}\" ]; then echo \"E:20:$n\"; exit 0; fi\n\
         if {make} 2>/dev/null; then echo \"n:$n\"; _lt \"$f\"; echo {m}; exit 0; fi\n\
         if [ -e \"$f\" ]; then continue; fi\n\
         echo \"E:13:$n\"; exit 0\n\
         done\n\
         echo E:17",
        names.iter().map(|n| quote(n)).collect::<Vec<_>>().join(" ")
    );
    s
}

impl Module for Tempfile {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let mut p = Params::new(&INFO.args, args, &[])?;
        let state = p.choice("state", &["file", "directory"]);
        let path = p.str("path");
        let prefix = p.str("prefix").unwrap_or_else(|| "ansible.".into());
        let suffix = p.str("suffix").unwrap_or_default();
        if let Some(e) = p.error() {
            return Ok(failed(e).into());
        }
        if ctx.check_mode {
            let mut r = ResultMap::new();
            r.insert("changed".into(), json!(false));
            r.insert("skipped".into(), json!(true));
            r.insert(
                "msg".into(),
                json!(format!(
                    "remote module ({}) does not support check mode",
                    ctx.action
                )),
            );
            return Ok(r.into());
        }
        if let Some(e) =
            component_error("prefix", &prefix).or_else(|| component_error("suffix", &suffix))
        {
            return Ok(failed(e).into());
        }
        let directory = state.as_deref() == Some("directory");
        let dir = match path {
            Some(p) => Some(expand_path(ctx, &p)?),
            None => None,
        };
        let names: Vec<String> = (0..TRIES)
            .map(|_| format!("{prefix}{}{suffix}", random_name()))
            .collect();
        let m = marker();
        let out = run_script(ctx, script(dir.as_deref(), &names, directory, &m))?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut cwd = String::new();
        let mut default_dir = None;
        for line in text.lines() {
            match line.split_once(':') {
                Some(("c", v)) => cwd = v.to_owned(),
                Some(("d", v)) => default_dir = Some(abspath(v, &cwd)),
                _ => {}
            }
        }
        // The directory as Python joins the name to it: `mkstemp` makes it absolute, `mkdtemp`
        // (Python 3.11) keeps a given one as written.
        let base = match (&dir, default_dir) {
            (_, Some(d)) => d,
            (Some(d), None) if directory => d.clone(),
            (Some(d), None) => abspath(d, &cwd),
            (None, None) => String::new(),
        };
        let full = |n: &str| join(&base, n);
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("E:") else {
                continue;
            };
            let (code, name) = rest.split_once(':').unwrap_or((rest, ""));
            let msg = match code {
                "2" => format!("[Errno 2] No such file or directory: {}", py_repr(&json!(full(name)))),
                "20" => format!("[Errno 20] Not a directory: {}", py_repr(&json!(full(name)))),
                "13" => format!("[Errno 13] Permission denied: {}", py_repr(&json!(full(name)))),
                "17" => "[Errno 17] No usable temporary file name found".to_owned(),
                _ => format!(
                    "[Errno 2] No usable temporary directory found in ['/tmp', '/var/tmp', '/usr/tmp', {}]",
                    py_repr(&json!(cwd))
                ),
            };
            return Ok(failed(msg).into());
        }
        let (Some(name), true) = (
            text.lines().find_map(|l| l.strip_prefix("n:")),
            text.contains(&m),
        ) else {
            let err = String::from_utf8_lossy(&out.stderr).trim().to_owned();
            return Ok(failed(err).into());
        };
        let st = parse_state(&text);
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(true));
        r.insert("path".into(), json!(full(name)));
        path_info(&mut r, &st.l, &st.t);
        Ok(r.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, RunResult};
    use rsible_connection::local::LocalConnection;

    fn run(env: &Env, a: Value) -> ResultMap {
        let conn = LocalConnection::new();
        let mut ctx = env.ctx(&conn);
        ctx.action = "ansible.builtin.tempfile".into();
        TEMPFILE.run(&ctx, &args(a)).result()
    }

    #[test]
    fn names_are_pythons() {
        for _ in 0..50 {
            let n = random_name();
            assert_eq!(n.len(), 8);
            assert!(n
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
        }
    }

    // Results of ansible-playbook 2.19 runs of the same tasks (`connection: local`).
    #[test]
    fn makes_files_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let env = Env::default();
        let r = run(&env, json!({"path": d, "prefix": "x", "suffix": ".f"}));
        let p = r["path"].as_str().unwrap();
        let name = p.strip_prefix(&format!("{d}/x")).unwrap();
        assert!(name.ends_with(".f") && name.len() == 10, "{p}");
        assert_eq!(
            (r["mode"].as_str(), r["state"].as_str(), r["size"].as_u64()),
            (Some("0600"), Some("file"), Some(0))
        );
        assert_eq!(r["changed"], json!(true));
        let r = run(&env, json!({"path": d, "state": "directory"}));
        let p = r["path"].as_str().unwrap();
        assert!(p.starts_with(&format!("{d}/ansible.")), "{p}");
        assert!(std::path::Path::new(p).is_dir());
        assert_eq!(
            (r["mode"].as_str(), r["state"].as_str()),
            (Some("0700"), Some("directory"))
        );
    }

    #[test]
    fn refusals_and_check_mode_are_ansibles() {
        let env = Env::default();
        let msg = |a: Value| run(&env, a)["msg"].as_str().unwrap().to_owned();
        assert_eq!(
            msg(json!({"prefix": "a/b"})),
            "prefix must be a valid file name component, got 'a/b'"
        );
        assert_eq!(
            msg(json!({"suffix": "a/b", "state": "directory"})),
            "suffix must be a valid file name component, got 'a/b'"
        );
        assert_eq!(
            msg(json!({"state": "dir"})),
            "value of state must be one of: file, directory, got: dir"
        );
        let m = msg(json!({"path": "/nonexistent"}));
        assert!(
            m.starts_with("[Errno 2] No such file or directory: '/nonexistent/ansible.")
                && m.len() == 68,
            "{m}"
        );
        let check = Env {
            check_mode: true,
            ..Env::default()
        };
        assert_eq!(
            run(&check, json!({})),
            crate::util::map(json!({
                "changed": false, "skipped": true,
                "msg": "remote module (ansible.builtin.tempfile) does not support check mode",
            }))
        );
    }
}

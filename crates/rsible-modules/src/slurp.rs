//! `slurp`: a file of the target, base64-encoded into the result.
//!
//! ```yaml
//! - slurp: { src: /etc/hostname }
//!   register: hostname
//! - debug: msg="{{ hostname.content | b64decode }}"
//! ```
//!
//! One round trip: a script that reports why the file cannot be read (as the module's
//! `OSError` cases) or prints a marker line and the bytes. Reading changes nothing, so check
//! mode runs it as well.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_opt_string, parse, ArgSpec};
use crate::target::script::{expand_path, marker, run_script};
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput};
use rsible_connection::shell::quote;
use rsible_template::py_repr;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "slurp",
    ArgSpec::new("slurp", &["src", "path"]).aliases(&["path"]),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default, alias = "path", deserialize_with = "de_opt_string")]
    src: Option<String>,
}

pub(crate) struct Slurp;
pub(crate) static SLURP: Slurp = Slurp;

impl Module for Slurp {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let Some(src) = a.src else {
            return Ok(failed("missing required arguments: src").into());
        };
        let source = expand_path(ctx, &src)?;
        let m = marker();
        let script = format!(
            // The shell's own `open()` tells a missing file from one behind a directory the
            // user may not enter, as Python's `open` does.
            "p={}\n\
             if [ -d \"$p\" ]; then echo '{m} EISDIR'; \
             elif e=$(LC_ALL=C sh -c ': < \"$1\"' _ \"$p\" 2>&1); then echo '{m} DATA' && exec cat -- \"$p\"; \
             else case \"$e\" in *'ermission denied'*) echo '{m} EACCES' ;; *) echo '{m} ENOENT' ;; esac; fi",
            quote(&source)
        );
        let out = run_script(ctx, script)?;
        let header = format!("{m} DATA\n");
        let answer = match out.stdout.strip_prefix(header.as_bytes()) {
            Some(data) if out.rc == 0 => {
                let content = base64::engine::general_purpose::STANDARD.encode(data);
                let r = json!({
                    "changed": false, "content": content, "source": source, "encoding": "base64",
                });
                return Ok(crate::util::map(r).into());
            }
            _ => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        };
        // As Python's OSError for `open(source)`: errno, strerror, the path's repr.
        let os_error =
            |errno: u8, text: &str| format!("[Errno {errno}] {text}: {}", py_repr(&json!(source)));
        let (msg, cause) = match answer.strip_prefix(&format!("{m} ")) {
            Some("ENOENT") => (
                format!("File not found: {source}"),
                os_error(2, "No such file or directory"),
            ),
            Some("EACCES") => (
                format!("File is not readable: {source}"),
                os_error(13, "Permission denied"),
            ),
            Some("EISDIR") => (
                format!("Source is a directory and must be a file: {source}"),
                os_error(21, "Is a directory"),
            ),
            // The module's own message here lacks its f-string prefix; Ansible prints the
            // braces as they are.
            _ => (
                "Unable to slurp file: {source}".to_owned(),
                String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            ),
        };
        Ok(ModuleOutput::failed_with_cause(msg, cause))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection, RunResult};
    use rsible_connection::local::LocalConnection;

    fn slurp(a: Value) -> crate::ResultMap {
        let env = Env::default();
        SLURP
            .run(&env.ctx(&LocalConnection::new()), &args(a))
            .result()
    }

    // Expected results from ansible-playbook 2.19 runs of the same tasks (`connection: local`).
    #[test]
    fn reads_any_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("it's");
        std::fs::write(&f, b"\x00\xffhi\n").unwrap();
        let path = f.to_str().unwrap();
        let r = slurp(json!({"path": path}));
        assert_eq!(
            r,
            crate::util::map(json!({
                "changed": false, "content": "AP9oaQo=", "source": path, "encoding": "base64",
            }))
        );
    }

    #[test]
    fn says_why_it_cannot_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let r = slurp(json!({"src": d}));
        assert_eq!(r["failed"], true);
        assert_eq!(
            r["msg"],
            format!("Source is a directory and must be a file: {d}")
        );
        let missing = format!("{d}/nope");
        assert_eq!(
            slurp(json!({"src": missing}))["msg"],
            format!("File not found: {missing}")
        );
        assert_eq!(slurp(json!({}))["msg"], "missing required arguments: src");
        assert_eq!(
            slurp(json!({"src": d, "bogus": 1}))["msg"],
            "Unsupported parameters for (slurp) module: bogus. Supported parameters include: src (path)."
        );
    }

    #[test]
    fn quotes_the_path() {
        let (fake, env) = (FakeConnection::default(), Env::default());
        let _ = SLURP
            .run(&env.ctx(&fake), &args(json!({"src": "/tmp/a'b $(x)"})))
            .result();
        let execs = fake.execs.lock().unwrap();
        let rsible_connection::Command::Shell { script, .. } = &execs[0].command else {
            panic!("not a script: {:?}", execs[0]);
        };
        assert!(script.starts_with("p='/tmp/a'\"'\"'b $(x)'\n"), "{script}");
    }
}

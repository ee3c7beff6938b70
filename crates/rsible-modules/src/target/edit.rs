//! Editing a text file of the target in place, as `lineinfile`, `replace`, `blockinfile` and
//! `ini_file` do: one script reads the file (or learns it is missing) with what the decision
//! needs, the new content is computed on the controller, and one script writes it back —
//! backup, temp file beside the real path, `validate`, rename, then the attribute changes
//! (Ansible's `check_file_attrs` / `set_fs_attributes_if_different`).

use std::fmt::Write as _;

use serde_json::{json, Value};

use serde::Deserialize;

use crate::args::{de_bool, de_opt_string, Mode};
use crate::target::file_state::{plan_attrs, AttrPlan, Info, State, INFO_FN};
use crate::target::script::{marker, task_request};
use crate::util::failed;
use crate::{ExecRequest, ModuleContext, ModuleError, ResultMap};
use rsible_connection::shell::quote;

/// A file of the target as the edit modules see it before deciding.
#[derive(Debug, Default)]
pub(crate) struct TextFile {
    /// The path as the task gave it (`~` expanded).
    pub path: String,
    /// `os.path.realpath(path)`: where the new content is written.
    pub real: String,
    /// `os.path.exists` (links followed).
    pub exists: bool,
    pub is_dir: bool,
    /// A regular file (links followed) that could not be read.
    pub unreadable: bool,
    /// The directory holding `path` exists.
    pub parent_exists: bool,
    /// The content (empty when missing).
    pub data: Vec<u8>,
    /// `stat` of the path, links followed.
    pub info: Info,
    /// Uid, gid and umask of the user the task runs as: the attributes a new file gets.
    pub uid: u32,
    pub gid: u32,
    pub umask: u32,
    /// `owner`/`group` looked up on the target.
    pub lookups: State,
}

/// The attribute parameters every edit module shares (`add_file_common_args`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Attrs<'a> {
    pub mode: Option<&'a Mode>,
    pub owner: Option<&'a str>,
    pub group: Option<&'a str>,
}

/// The file options every edit module takes (Ansible's `add_file_common_args` and
/// `unsafe_writes`), flattened into each module's arguments.
#[derive(Debug, Deserialize)]
#[expect(
    dead_code,
    reason = "accepted like Ansible's argument_spec: SELinux options do nothing without SELinux, \
              attributes are refused (`refuse_chattr`)"
)]
pub(crate) struct FileArgs {
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub group: Option<String>,
    #[serde(default, alias = "attr")]
    attributes: Option<Value>,
    #[serde(default)]
    selevel: Option<Value>,
    #[serde(default)]
    serole: Option<Value>,
    #[serde(default)]
    setype: Option<Value>,
    #[serde(default)]
    seuser: Option<Value>,
    #[serde(default, deserialize_with = "de_bool")]
    pub unsafe_writes: bool,
}

impl FileArgs {
    /// The attributes the write applies.
    pub(crate) fn attrs(&self) -> Attrs<'_> {
        Attrs {
            mode: self.mode.as_ref(),
            owner: self.owner.as_deref(),
            group: self.group.as_deref(),
        }
    }
}

/// `attributes`/`attr` (chattr flags) are refused: rsible does not set them. SELinux options are
/// accepted as on a host without SELinux, where Ansible ignores them too.
pub(crate) fn refuse_chattr(args: &serde_json::Map<String, Value>) -> Option<ResultMap> {
    let given = ["attributes", "attr"]
        .iter()
        .any(|k| args.get(*k).is_some_and(|v| !v.is_null() && v != ""));
    given.then(|| failed("rsible does not support the attributes (chattr) option of this module"))
}

/// Reads `path` on the target with everything the edit needs, in one round trip.
pub(crate) fn read_text(
    ctx: &ModuleContext<'_>,
    path: &str,
    attrs: &Attrs<'_>,
) -> Result<TextFile, ModuleError> {
    let m = marker();
    let mut s = String::from(INFO_FN);
    let _ = writeln!(s, "p={}", quote(path));
    s.push_str("_lt \"$p\"\n");
    s.push_str("echo \"r:$(readlink -m -- \"$p\")\"\n");
    s.push_str("_me; echo \"me:$_u $_g $(umask)\"\n");
    if let Some(o) = attrs.owner {
        let _ = writeln!(s, "echo \"u:$(id -u -- {} 2>/dev/null)\"", quote(o));
    }
    if let Some(g) = attrs.group {
        let _ = writeln!(
            s,
            "echo \"g:$(getent group -- {} 2>/dev/null | cut -d: -f3)\"",
            quote(g)
        );
    }
    s.push_str("_dn \"$p\"; if [ -d \"$_d\" ]; then echo P:; fi\n");
    let _ = writeln!(
        s,
        "if [ -f \"$p\" ]; then if [ -r \"$p\" ]; then echo {m}; exec cat -- \"$p\"; fi; echo U:; fi"
    );
    let out = crate::target::script::run_script(ctx, s)?;
    let head_end = format!("{m}\n");
    let (head, data) = match find(&out.stdout, head_end.as_bytes()) {
        Some(i) => (&out.stdout[..i], out.stdout[i + head_end.len()..].to_vec()),
        None => (&out.stdout[..], Vec::new()),
    };
    let head = String::from_utf8_lossy(head);
    let lookups = crate::target::file_state::parse_state(&head);
    let mut f = TextFile {
        path: path.to_owned(),
        data,
        info: lookups.t.clone(),
        ..TextFile::default()
    };
    f.exists = f.info.exists;
    f.is_dir = f.info.is_dir();
    for line in head.lines() {
        match line.split_once(':') {
            Some(("r", v)) => f.real = v.to_owned(),
            Some(("me", v)) => {
                let mut it = v.split(' ');
                f.uid = it.next().and_then(|x| x.parse().ok()).unwrap_or(0);
                f.gid = it.next().and_then(|x| x.parse().ok()).unwrap_or(0);
                f.umask = it
                    .next()
                    .and_then(|x| u32::from_str_radix(x, 8).ok())
                    .unwrap_or(0o022);
            }
            Some(("P", _)) => f.parent_exists = true,
            Some(("U", _)) => f.unreadable = true,
            _ => {}
        }
    }
    if f.real.is_empty() {
        f.real = path.to_owned();
    }
    f.lookups = lookups;
    Ok(f)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl TextFile {
    /// Python's `readlines()` of the content: each line keeps its `\n`.
    pub(crate) fn lines(&self) -> Vec<Vec<u8>> {
        self.data
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    }

    /// The content as Python's `to_native` shows it in a diff.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// The failure Ansible's `open(path, 'rb')` gives for a file the user cannot read.
    pub(crate) fn unreadable_failure(&self) -> ResultMap {
        failed(format!(
            "[Errno 13] Permission denied: {}",
            rsible_template::py_repr(&json!(self.path))
        ))
    }

    /// `set_fs_attributes_if_different` on the file as it is, or as a write would create it.
    pub(crate) fn plan_attrs(&self, attrs: &Attrs<'_>) -> Result<AttrPlan, String> {
        let info = if self.exists {
            self.info.clone()
        } else {
            Info {
                exists: true,
                kind: 0o100_000,
                mode: 0o666 & !self.umask,
                uid: self.uid,
                gid: self.gid,
                ..Info::default()
            }
        };
        plan_attrs(
            &self.real,
            &info,
            attrs.mode,
            attrs.owner,
            attrs.group,
            &self.lookups,
            false,
        )
    }
}

/// What a change writes.
#[derive(Default)]
pub(crate) struct Change<'a> {
    /// The new content, `None` when only attributes change.
    pub data: Option<&'a [u8]>,
    pub backup: bool,
    /// The `validate` command, `%s` standing for the temp file.
    pub validate: Option<&'a str>,
    /// Create the missing parent directories of the path first.
    pub make_parents: bool,
    /// `unsafe_writes`: when no temp file can be made beside the file, write it in place.
    pub unsafe_writes: bool,
}

/// How a write ended.
pub(crate) enum Written {
    /// Done; the backup's path when one was made.
    Done { backup: Option<String> },
    /// `validate` refused the new content: its exit code and stderr.
    Invalid { rc: i32, stderr: String },
    /// A step failed: its message.
    Failed(String),
}

/// Writes the change (content and attributes) in one round trip: backup of `path`, temp file
/// beside the real path carrying the old file's mode and owner, `validate`, rename, then the
/// attribute commands of `plan`.
pub(crate) fn write_text(
    ctx: &ModuleContext<'_>,
    f: &TextFile,
    change: &Change<'_>,
    plan: &AttrPlan,
) -> Result<Written, ModuleError> {
    let mut s = String::new();
    let _ = writeln!(s, "p={}; r={}", quote(&f.path), quote(&f.real));
    if change.make_parents {
        s.push_str("d=$(dirname -- \"$p\"); [ -d \"$d\" ] || mkdir -p -- \"$d\" || exit 1\n");
    }
    if change.data.is_some() && change.backup {
        // Ansible's backup_local name: <path>.<pid>.<YYYY-MM-DD@HH:MM:SS~>, local time.
        s.push_str(
            "if [ -e \"$p\" ]; then b=\"$p.$$.$(date +%Y-%m-%d@%H:%M:%S~)\"; \
             cp -p -- \"$p\" \"$b\" || exit 1; echo \"b:$b\"; fi\n",
        );
    }
    let mut stdin = None;
    if let Some(data) = change.data {
        stdin = Some(data.to_vec());
        let tmp = format!("{}.{}", f.real, marker().to_ascii_lowercase());
        let _ = writeln!(s, "t={}", quote(&tmp));
        s.push_str(
            "s=; if [ -e \"$r\" ]; then s=$(stat -L -c '%a %u:%g' -- \"$r\") || exit 1; umask 077; fi\n\
             u=; if ! (set -C; : > \"$t\") 2>/dev/null; then\n",
        );
        if change.unsafe_writes {
            // Ansible's `_unsafe_writes`: the content is copied over the file in place.
            s.push_str("t=$(mktemp) || exit 1; u=1\n");
        } else {
            s.push_str(
                "printf \"The destination directory '%s' is not writable by the current user.\\n\" \"$(dirname -- \"$r\")\" >&2; exit 1\n",
            );
        }
        s.push_str("fi\ncat > \"$t\" || { rm -f -- \"$t\"; exit 1; }\n");
        if let Some(v) = change.validate {
            let Some(argv) = shlex::split(&v.replace("%s", &quote(&tmp))) else {
                return Ok(Written::Failed(format!(
                    "cannot parse validate command: {v}"
                )));
            };
            let argv: Vec<String> = argv.iter().map(|a| quote(a)).collect();
            let _ = writeln!(
                s,
                "{} >/dev/null; v=$?; if [ $v -ne 0 ]; then rm -f -- \"$t\"; echo \"v:$v\"; exit 0; fi",
                argv.join(" ")
            );
        }
        s.push_str(
            "if [ -n \"$u\" ]; then cat -- \"$t\" > \"$r\"; v=$?; rm -f -- \"$t\"; [ $v -eq 0 ] || exit 1; else\n\
             if [ -n \"$s\" ]; then chown \"${s#* }\" \"$t\" 2>/dev/null; chmod \"${s%% *}\" \"$t\"; fi\n\
             mv -f -- \"$t\" \"$r\" || { rm -f -- \"$t\"; exit 1; }; fi\n",
        );
    }
    for c in &plan.cmds {
        let _ = writeln!(s, "{c} || exit 1");
    }
    let mut req = task_request(ctx, ExecRequest::shell(s));
    req.stdin = stdin;
    let out = ctx.conn.exec(&req)?;
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.rc != 0 {
        return Ok(Written::Failed(stderr.trim().to_owned()));
    }
    let mut backup = None;
    for line in text.lines() {
        match line.split_once(':') {
            Some(("b", b)) => backup = Some(b.to_owned()),
            Some(("v", rc)) => {
                return Ok(Written::Invalid {
                    rc: rc.parse().unwrap_or(1),
                    stderr,
                })
            }
            _ => {}
        }
    }
    Ok(Written::Done { backup })
}

/// The attribute half of an edit's result: Ansible's `check_file_attrs`, which appends to
/// `msg` and fills the `(file attributes)` diff.
pub(crate) fn attr_outcome(
    path: &str,
    plan: &AttrPlan,
    changed: &mut bool,
    msg: &mut String,
) -> Value {
    let mut d = serde_json::Map::new();
    if !plan.cmds.is_empty() {
        if *changed {
            msg.push_str(" and ");
        }
        *changed = true;
        msg.push_str("ownership, perms or SE linux context changed");
        d.insert("before".into(), Value::Object(plan.before.clone()));
        d.insert("after".into(), Value::Object(plan.after.clone()));
    }
    d.insert(
        "before_header".into(),
        json!(format!("{path} (file attributes)")),
    );
    d.insert(
        "after_header".into(),
        json!(format!("{path} (file attributes)")),
    );
    Value::Object(d)
}

/// Runs the change unless in check mode; `Err` carries the failed result to return.
pub(crate) fn commit(
    ctx: &ModuleContext<'_>,
    f: &TextFile,
    change: &Change<'_>,
    plan: &AttrPlan,
    validate_failure: impl Fn(i32, &str) -> ResultMap,
) -> Result<Result<Option<String>, ResultMap>, ModuleError> {
    if ctx.check_mode || (change.data.is_none() && plan.cmds.is_empty()) {
        return Ok(Ok(None));
    }
    Ok(match write_text(ctx, f, change, plan)? {
        Written::Done { backup } => Ok(backup),
        Written::Invalid { rc, stderr } => Err(validate_failure(rc, &stderr)),
        Written::Failed(msg) => Err(failed(msg)),
    })
}

/// `lstat` and `stat` of `path` as it is now (after a write), for Ansible's `add_path_info`.
pub(crate) fn stat_now(ctx: &ModuleContext<'_>, path: &str) -> Result<(Info, Info), ModuleError> {
    let mut s = String::from(INFO_FN);
    let _ = writeln!(s, "p={}", quote(path));
    s.push_str("_lt \"$p\"\n");
    let out = crate::target::script::run_script(ctx, s)?;
    let st = crate::target::file_state::parse_state(&String::from_utf8_lossy(&out.stdout));
    Ok((st.l, st.t))
}

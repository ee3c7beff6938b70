//! `community.general.modprobe`: load or unload a kernel module, optionally persistently.
//!
//! ```yaml
//! - modprobe: { name: rdma_rxe, state: present }
//! ```
//!
//! One probe script finds `modprobe`, reads `/proc/modules` and `modules.builtin` (and, with
//! `persistent`, the files under `/etc/modules-load.d` and `/etc/modprobe.d`); `modprobe` runs
//! only when the module's state differs. Where modules cannot be managed (a container without
//! `/proc/modules`, no `modprobe`, EPERM) the task fails with the reason, as Ansible's does.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_opt_string, parse, ArgSpec};
use crate::target::script::{run_script, task_request, BIN_PATH_FN};
use crate::util::{failed, output_text};
use crate::{
    Collection, ExecRequest, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput,
    ResultMap,
};
use rsible_connection::shell::quote;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "modprobe",
    ArgSpec::new(
        "community.general.modprobe",
        &["name", "state", "params", "persistent"],
    ),
)
.in_collection(Collection::CommunityGeneral);

const MODULES_LOAD: &str = "/etc/modules-load.d";
const PARAMS_DIR: &str = "/etc/modprobe.d";

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    params: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    persistent: Option<String>,
}

pub(crate) struct Modprobe;
pub(crate) static MODPROBE: Modprobe = Modprobe;

impl Module for Modprobe {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let Some(name) = a.name else {
            return Ok(failed("missing required arguments: name").into());
        };
        let state = a.state.unwrap_or_else(|| "present".into());
        if !matches!(state.as_str(), "present" | "absent") {
            return Ok(failed(format!(
                "value of state must be one of: absent, present, got: {state}"
            ))
            .into());
        }
        let persistent = a.persistent.unwrap_or_else(|| "disabled".into());
        if !matches!(persistent.as_str(), "disabled" | "present" | "absent") {
            return Ok(failed(format!(
                "value of persistent must be one of: disabled, present, absent, got: {persistent}"
            ))
            .into());
        }
        let job = Job {
            name,
            params: a.params.unwrap_or_default(),
            state,
            persistent,
            changed: false,
            warnings: Vec::new(),
        };
        job.run(ctx).map(ModuleOutput::from)
    }
}

struct Job {
    name: String,
    params: String,
    state: String,
    persistent: String,
    changed: bool,
    warnings: Vec<String>,
}

/// What the probe script found on the target.
#[derive(Debug)]
struct Probe {
    /// `modprobe`'s path, or `get_bin_path`'s failure message.
    bin: Result<String, String>,
    loaded: Loaded,
    /// Regular files under `/etc/modules-load.d` and `/etc/modprobe.d`: path and lines.
    load_files: Vec<(String, Vec<String>)>,
    param_files: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Default, PartialEq)]
enum Loaded {
    Yes,
    #[default]
    No,
    /// A file the check must read could not be read: Python's `OSError` text.
    Error(String),
}

impl Job {
    fn result(&self) -> ResultMap {
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(self.changed));
        r.insert("name".into(), json!(self.name));
        r.insert("params".into(), json!(self.params));
        r.insert("state".into(), json!(self.state));
        if !self.warnings.is_empty() {
            r.insert("warnings".into(), json!(self.warnings));
        }
        r
    }

    fn fail(&self, msg: &str) -> ResultMap {
        let mut r = self.result();
        r.insert("failed".into(), json!(true));
        r.insert("msg".into(), json!(msg));
        r
    }

    fn run(mut self, ctx: &ModuleContext<'_>) -> Result<ResultMap, ModuleError> {
        let param_args = match shlex::split(&self.params) {
            Some(v) => v,
            None => return Ok(self.fail("No closing quotation")),
        };
        let with_files = self.persistent != "disabled";
        let out = run_script(ctx, probe_script(&self.name, with_files))?;
        let probe = parse_probe(&String::from_utf8_lossy(&out.stdout));
        let bin = match &probe.bin {
            Ok(b) => b.clone(),
            Err(msg) if msg.is_empty() => {
                return Ok(failed(format!(
                    "could not inspect the target's kernel modules: {}",
                    output_text(&out.stderr, true)
                )))
            }
            Err(msg) => return Ok(failed(msg.clone())),
        };
        let loaded = match &probe.loaded {
            Loaded::Error(e) => return Ok(self.fail_os(e)),
            l => *l == Loaded::Yes,
        };
        if self.state == "present" && !loaded {
            let mut argv = vec![bin.clone()];
            if ctx.check_mode {
                argv.push("-n".into());
            }
            argv.push(self.name.clone());
            argv.extend(param_args.iter().cloned());
            let out = ctx.conn.exec(&task_request(ctx, ExecRequest::argv(argv)))?;
            if out.rc != 0 {
                return Ok(self.fail_rc(out.rc, &out.stdout, &out.stderr));
            }
            let now = if ctx.check_mode {
                Loaded::Yes
            } else {
                let o = run_script(ctx, probe_script(&self.name, false))?;
                parse_probe(&String::from_utf8_lossy(&o.stdout)).loaded
            };
            match now {
                Loaded::Yes => self.changed = true,
                Loaded::Error(e) => return Ok(self.fail_os(&e)),
                Loaded::No => {
                    let mut argv = vec![bin, "-n".into(), "--first-time".into(), self.name.clone()];
                    argv.extend(param_args.iter().cloned());
                    let o = ctx.conn.exec(&task_request(ctx, ExecRequest::argv(argv)))?;
                    if o.rc != 0 {
                        self.warnings.push(output_text(&o.stderr, false));
                    }
                }
            }
        } else if self.state == "absent" && loaded {
            let mut argv = vec![bin, "-r".into(), self.name.clone()];
            if ctx.check_mode {
                argv.push("-n".into());
            }
            let out = ctx.conn.exec(&task_request(ctx, ExecRequest::argv(argv)))?;
            if out.rc != 0 {
                return Ok(self.fail_rc(out.rc, &out.stdout, &out.stderr));
            }
            self.changed = true;
        }
        if with_files {
            let writes = self.persistence(&probe);
            if !writes.is_empty() && !ctx.check_mode {
                let out = run_script(ctx, write_script(&writes))?;
                if out.rc != 0 {
                    return Ok(self.fail(&output_text(&out.stderr, true)));
                }
            }
        }
        Ok(self.result())
    }

    fn fail_rc(&self, rc: i32, stdout: &[u8], stderr: &[u8]) -> ResultMap {
        let err = output_text(stderr, false);
        let mut r = self.fail(&err);
        r.insert("rc".into(), json!(rc));
        r.insert("stdout".into(), json!(output_text(stdout, false)));
        r.insert("stderr".into(), json!(err));
        r
    }

    fn fail_os(&self, e: &str) -> ResultMap {
        let mut r = self.fail(e);
        r.insert("exception".into(), json!(format!("OSError: {e}")));
        r
    }

    /// The files to (re)write for `persistent`, as the module's `load_module_permanent` /
    /// `unload_module_permanent` would; `changed` is set when any would change.
    fn persistence(&mut self, probe: &Probe) -> Vec<(String, String)> {
        let Ok(re) = Patterns::new(&self.name) else {
            return Vec::new();
        };
        let persisted = probe
            .load_files
            .iter()
            .any(|(_, lines)| lines.iter().any(|l| re.module.is_match(l)));
        let permanent: std::collections::BTreeSet<String> = probe
            .param_files
            .iter()
            .flat_map(|(_, lines)| lines.iter())
            .filter_map(|l| re.values.captures(l).map(|c| c[1].to_owned()))
            .collect();
        let wanted: std::collections::BTreeSet<String> =
            self.params.split_whitespace().map(str::to_owned).collect();
        let params_set = wanted == permanent;
        let mut writes = Vec::new();
        if self.persistent == "present" && !(persisted && params_set) {
            if !persisted {
                writes.push((
                    format!("{MODULES_LOAD}/{}.conf", self.name),
                    format!("{}\n", self.name),
                ));
                self.changed = true;
            }
            if !params_set {
                writes.extend(comment_out(&probe.param_files, &re.params));
                let lines: Vec<String> = self
                    .params
                    .split_whitespace()
                    .map(|p| format!("options {} {p}", self.name))
                    .collect();
                writes.push((
                    format!("{PARAMS_DIR}/{}.conf", self.name),
                    format!("{}\n", lines.join("\n")),
                ));
                self.changed = true;
            }
        } else if self.persistent == "absent" && (persisted || !permanent.is_empty()) {
            if persisted {
                writes.extend(comment_out(&probe.load_files, &re.module));
                self.changed = true;
            }
            if !permanent.is_empty() {
                writes.extend(comment_out(&probe.param_files, &re.params));
                self.changed = true;
            }
        }
        writes
    }
}

/// The module's three line patterns; the name goes in unescaped, as the module does.
struct Patterns {
    module: regex::Regex,
    params: regex::Regex,
    values: regex::Regex,
}

impl Patterns {
    fn new(name: &str) -> Result<Self, regex::Error> {
        Ok(Self {
            module: regex::Regex::new(&format!(r"^ *{name} *(?:[#;].*)?\n?\z"))?,
            params: regex::Regex::new(&format!(r"^options {name} \w+=\S+ *(?:[#;].*)?\n?\z"))?,
            values: regex::Regex::new(&format!(r"^options {name} (\w+=\S+) *(?:[#;].*)?\n?\z"))?,
        })
    }
}

/// Files whose matching lines get a `#`, rewritten as the module does: its `readlines()`
/// keep their newlines and are joined with another one.
fn comment_out(files: &[(String, Vec<String>)], re: &regex::Regex) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, lines) in files {
        if !lines.iter().any(|l| re.is_match(l)) {
            continue;
        }
        let new: Vec<String> = lines
            .iter()
            .map(|l| {
                if re.is_match(l) {
                    format!("#{l}")
                } else {
                    l.clone()
                }
            })
            .collect();
        out.push((path.clone(), new.join("\n")));
    }
    out
}

/// Lines as Python's `readlines()` gives them: each with its `\n`, the last maybe without.
fn py_readlines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_owned).collect()
}

fn probe_script(name: &str, with_files: bool) -> String {
    probe_script_under("", name, with_files)
}

/// The probe with every system path under `root` (tests point it at a temp dir).
fn probe_script_under(root: &str, name: &str, with_files: bool) -> String {
    let mut s = String::from(BIN_PATH_FN);
    let _ = writeln!(s, "n={}; R={}", quote(name), quote(root));
    s.push_str("if b=$(_bin modprobe); then echo \"b:$b\"; else echo \"B:$b\"; exit 0; fi\n");
    // The same checks as the module's module_loaded(), failing where its open() would.
    s.push_str(concat!(
        "u=$(printf '%s' \"$n\" | tr - _)\n",
        "p=\"$R/proc/modules\"\n",
        "if [ ! -e \"$p\" ]; then echo \"E:2 $p\"\n",
        "elif [ ! -r \"$p\" ]; then echo \"E:13 $p\"\n",
        "elif awk -v m=\"$u \" 'index($0, m) == 1 { f = 1 } END { exit !f }' \"$p\"; then echo L:\n",
        "else f=\"$R/lib/modules/$(uname -r)/modules.builtin\"\n",
        "  if [ -r \"$f\" ]; then if awk -v m=\"/$n.ko\" '{ sub(/[[:space:]]+$/, \"\") } ",
        "length($0) >= length(m) && substr($0, length($0) - length(m) + 1) == m { f = 1 } END { exit !f }' \"$f\"; ",
        "then echo L:; else echo N:; fi\n",
        // Where modules.builtin is missing (containers), sysfs still shows a built-in module.
        "  elif [ -d \"$R/sys/module/$u\" ]; then echo L:\n",
        "  elif [ -e \"$f\" ]; then echo \"E:13 $f\"; else echo \"E:2 $f\"; fi\n",
        "fi\n",
    ));
    if with_files {
        let _ = writeln!(
            s,
            "for d in {MODULES_LOAD} {PARAMS_DIR}; do [ -d \"$R$d\" ] || continue; for f in \"$R$d\"/* \"$R$d\"/.[!.]*; do \
             [ -f \"$f\" ] || continue; echo \"F:$d|$f\"; sed 's/^/|/' \"$f\"; echo; echo \"F.\"; done; done"
        );
    }
    s
}

fn parse_probe(text: &str) -> Probe {
    let mut p = Probe {
        bin: Err(String::new()),
        loaded: Loaded::No,
        load_files: Vec::new(),
        param_files: Vec::new(),
    };
    let mut current: Option<(bool, String, String)> = None;
    for line in text.lines() {
        if let Some((is_load, path, body)) = current.as_mut() {
            if line == "F." {
                // sed printed every line with `|`; the echo added the final newline.
                let text = body.strip_suffix('\n').unwrap_or(body).to_owned();
                let entry = (path.clone(), py_readlines(&text));
                if *is_load {
                    p.load_files.push(entry);
                } else {
                    p.param_files.push(entry);
                }
                current = None;
            } else if let Some(l) = line.strip_prefix('|') {
                body.push_str(l);
                body.push('\n');
            } else if line.is_empty() {
                // The echo after sed: a file without a final newline ends its last line here.
                if body.ends_with('\n') && !body.is_empty() {
                    body.push('\n');
                }
            }
            continue;
        }
        let Some((tag, v)) = line.split_once(':') else {
            continue;
        };
        match tag {
            "b" => p.bin = Ok(v.to_owned()),
            "B" => p.bin = Err(v.to_owned()),
            "L" => p.loaded = Loaded::Yes,
            "N" => p.loaded = Loaded::No,
            "E" => {
                let (errno, path) = v.split_once(' ').unwrap_or(("2", v));
                let text = if errno == "13" {
                    "Permission denied"
                } else {
                    "No such file or directory"
                };
                p.loaded = Loaded::Error(format!("[Errno {errno}] {text}: '{path}'"));
            }
            "F" => {
                let (dir, path) = v.split_once('|').unwrap_or(("", v));
                current = Some((dir == MODULES_LOAD, path.to_owned(), String::new()));
            }
            _ => {}
        }
    }
    p
}

fn write_script(writes: &[(String, String)]) -> String {
    let mut s = String::from("set -e\n");
    for (path, content) in writes {
        let _ = writeln!(s, "printf '%s' {} > {}", quote(content), quote(path));
    }
    s
}

#[cfg(test)]
mod tests;

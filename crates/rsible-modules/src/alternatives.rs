//! `community.general.alternatives`: Debian's alternatives system through
//! `update-alternatives` (`--display` to read, `--install`, `--set`, `--auto`, `--remove`).
//!
//! ```yaml
//! - community.general.alternatives: { name: editor, path: /usr/bin/vim.basic }
//! ```

use serde_json::{json, Value};

use crate::args::{scalar_text, ArgSpec};
use crate::params::Params;
use crate::target::script::{bin_path, expand_path, run_script, task_request};
use crate::util::failed;
use crate::{
    Collection, ExecRequest, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput,
    ResultMap,
};
use rsible_connection::shell::quote;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "alternatives",
    ArgSpec::new(
        "community.general.alternatives",
        &[
            "family",
            "link",
            "name",
            "path",
            "priority",
            "state",
            "subcommands",
            "slaves",
        ],
    )
    .aliases(&["slaves"]),
)
.in_collection(Collection::CommunityGeneral);

/// A follower link: `--slave LINK NAME PATH`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Sub {
    name: String,
    path: String,
    link: Option<String>,
}

impl Sub {
    fn to_json(&self) -> Value {
        json!({"name": self.name, "path": self.path, "link": self.link})
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Alternative {
    priority: i64,
    family: String,
    subcommands: Vec<Sub>,
}

/// What `--display NAME` says.
#[derive(Debug, Default)]
struct Current {
    mode: Option<String>,
    path: Option<String>,
    link: Option<String>,
    /// In the order listed.
    alternatives: Vec<(String, Alternative)>,
}

impl Current {
    fn get(&self, path: &str) -> Option<&Alternative> {
        self.alternatives
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, a)| a)
    }
}

fn re(pattern: &str) -> Option<regex::Regex> {
    regex::Regex::new(pattern).ok()
}

/// The module's `parse` of `update-alternatives --display` output.
fn parse(out: &str, given_subs: Option<&[Sub]>) -> Current {
    let mut c = Current::default();
    let Some(mode) = re(r"(?m)\s-\s(?:status\sis\s)?(\w*)(?:\smode|.)$")
        .and_then(|r| r.captures(out).map(|m| m[1].to_owned()))
    else {
        return c;
    };
    c.mode = Some(mode);
    c.path = re(r"(?m)^\s*link currently points to (.*)$")
        .and_then(|r| r.captures(out).map(|m| m[1].to_owned()));
    c.link =
        re(r"(?m)^\s*link \w+ is (.*)$").and_then(|r| r.captures(out).map(|m| m[1].to_owned()));
    let mut link_of: Vec<(String, String)> = re(r"(?m)^\s*(?:slave|follower) (\S+) is (.*)$")
        .map(|r| {
            r.captures_iter(out)
                .map(|m| (m[1].to_owned(), m[2].to_owned()))
                .collect()
        })
        .unwrap_or_default();
    if link_of.is_empty() {
        if let Some(subs) = given_subs {
            link_of = subs
                .iter()
                .map(|s| (s.name.clone(), s.link.clone().unwrap_or_default()))
                .collect();
        }
    }
    let alt =
        re(r"(?m)^(/.*)\s-\s(?:family\s(\S+)\s)?priority\s(\d+)((?:\s+(?:slave|follower).*)*)");
    let sub = re(r"(?m)^\s+(?:slave|follower) (.*): (.*)$");
    let (Some(alt), Some(sub)) = (alt, sub) else {
        return c;
    };
    for m in alt.captures_iter(out) {
        let subcommands = sub
            .captures_iter(m.get(4).map_or("", |g| g.as_str()))
            .filter(|s| &s[2] != "(null)")
            .map(|s| Sub {
                name: s[1].to_owned(),
                path: s[2].to_owned(),
                link: link_of
                    .iter()
                    .rev()
                    .find(|(n, _)| *n == s[1])
                    .map(|(_, l)| l.clone()),
            })
            .collect();
        let entry = Alternative {
            priority: m[3].parse().unwrap_or(0),
            family: m.get(2).map_or(String::new(), |g| g.as_str().to_owned()),
            subcommands,
        };
        let path = m[1].to_owned();
        match c.alternatives.iter_mut().find(|(p, _)| *p == path) {
            Some(slot) => slot.1 = entry,
            None => c.alternatives.push((path, entry)),
        }
    }
    c
}

/// `_clean_args`: the command as a shell-quoted line.
fn cmd_line(argv: &[String]) -> String {
    argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

pub(crate) struct Alternatives;
pub(crate) static ALTERNATIVES: Alternatives = Alternatives;

/// The task's `subcommands`, or the refusal of one.
fn read_subs(v: &Value) -> Result<Vec<Sub>, String> {
    let items = match v {
        Value::Array(a) => a.clone(),
        other => {
            return Err(format!(
                "Elements value for option 'subcommands' is of type {} and we were unable to convert to dict: dictionary requested, could not parse JSON or key=value",
                match other {
                    Value::String(_) => "str",
                    Value::Number(_) => "int",
                    Value::Bool(_) => "bool",
                    _ => "dict",
                }
            ))
        }
    };
    let mut subs = Vec::new();
    for item in items {
        let Value::Object(m) = item else {
            return Err("Elements value for option 'subcommands' is of type str and we were unable to convert to dict: dictionary requested, could not parse JSON or key=value".into());
        };
        let mut missing: Vec<&str> = ["link", "name", "path"]
            .into_iter()
            .filter(|k| m.get(*k).is_none_or(Value::is_null))
            .collect();
        missing.sort_unstable();
        if !missing.is_empty() {
            return Err(format!(
                "missing required arguments: {} found in subcommands",
                missing.join(", ")
            ));
        }
        let mut unknown: Vec<&String> = m
            .keys()
            .filter(|k| !["link", "name", "path"].contains(&k.as_str()))
            .collect();
        unknown.sort();
        if !unknown.is_empty() {
            let names: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
            return Err(format!(
                "Unsupported parameters for (community.general.alternatives) module: {}. Supported parameters include: link, name, path.",
                names
                    .iter()
                    .map(|n| format!("subcommands.{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        subs.push(Sub {
            name: scalar_text(&m["name"]),
            path: scalar_text(&m["path"]),
            link: Some(scalar_text(&m["link"])),
        });
    }
    Ok(subs)
}

impl Module for Alternatives {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let mut p = Params::new(&INFO.args, args, &[("slaves", "subcommands")])?;
        p.required("name");
        let name = p.str("name").unwrap_or_default();
        let path = p.str("path");
        let family = p.str("family");
        let link = p.str("link");
        let priority = p.int("priority");
        let state = p
            .choice("state", &["present", "selected", "absent", "auto"])
            .unwrap_or_else(|| "selected".into());
        if let Some(e) = p.error() {
            return Ok(failed(e).into());
        }
        if path.is_none() && family.is_none() {
            return Ok(failed("one of the following is required: path, family").into());
        }
        let subs_param = match args.get("subcommands").or_else(|| args.get("slaves")) {
            Some(v) if !v.is_null() => match read_subs(v) {
                Ok(mut s) => {
                    for sub in &mut s {
                        sub.path = expand_path(ctx, &sub.path)?;
                        if let Some(l) = sub.link.as_mut() {
                            *l = expand_path(ctx, l)?;
                        }
                    }
                    Some(s)
                }
                Err(msg) => return Ok(failed(msg).into()),
            },
            _ => None,
        };
        let path = match path {
            Some(p) => Some(expand_path(ctx, &p)?),
            None => None,
        };
        let link = match link {
            Some(l) => Some(expand_path(ctx, &l)?),
            None => None,
        };

        let bin_text = match bin_path(ctx, "update-alternatives")? {
            Ok(b) => b,
            Err(msg) => return Ok(failed(msg).into()),
        };
        let exec = |argv: Vec<String>| -> Result<crate::ExecOutput, ModuleError> {
            let mut req = ExecRequest::argv(argv);
            req.env.push(("LC_ALL".into(), "C".into()));
            Ok(ctx.conn.exec(&task_request(ctx, req))?)
        };
        let display = exec(vec![bin_text.clone(), "--display".into(), name.clone()])?;
        let current = if display.rc == 0 {
            parse(
                &String::from_utf8_lossy(&display.stdout),
                subs_param.as_deref(),
            )
        } else {
            Current::default()
        };
        let here = path.as_deref().and_then(|p| current.get(p));
        let mut before = serde_json::Map::new();
        let mut after = serde_json::Map::new();
        if ctx.diff && current.mode.is_some() {
            match (here, &path) {
                (Some(alt), Some(pth)) => {
                    before.insert("state".into(), json!("present"));
                    before.insert("path".into(), json!(pth));
                    before.insert("priority".into(), json!(alt.priority));
                    before.insert("link".into(), json!(current.link));
                    if !alt.subcommands.is_empty() {
                        let subs: Vec<Value> = alt.subcommands.iter().map(Sub::to_json).collect();
                        before.insert("subcommands".into(), json!(subs));
                    }
                    if current.mode.as_deref() == Some("manual")
                        && current.path.as_deref() != Some(pth.as_str())
                    {
                        before.insert("state".into(), json!("selected"));
                    }
                }
                _ => {
                    before.insert("state".into(), json!("absent"));
                }
            }
        }
        let mut changed = false;
        let mut messages: Vec<String> = Vec::new();
        let run = |argv: Vec<String>| -> Result<Option<ResultMap>, ModuleError> {
            if ctx.check_mode {
                return Ok(None);
            }
            let out = exec(argv.clone())?;
            if out.rc == 0 {
                return Ok(None);
            }
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            let msg = if stderr.is_empty() { &stdout } else { &stderr };
            let mut r = failed(msg.trim_end());
            r.insert("cmd".into(), json!(cmd_line(&argv)));
            r.insert("rc".into(), json!(out.rc));
            r.insert("stdout".into(), json!(stdout));
            r.insert("stderr".into(), json!(stderr));
            Ok(Some(r))
        };
        let prio = priority.unwrap_or_else(|| here.map_or(50, |a| a.priority));
        let subs = subs_param.clone().or_else(|| {
            here.filter(|a| !a.subcommands.is_empty())
                .map(|a| a.subcommands.clone())
        });
        let link = link.or_else(|| current.link.clone());
        if state != "absent" {
            let needs_install = path.is_some()
                && match here {
                    None => true,
                    Some(alt) => {
                        priority.is_some_and(|p| p != alt.priority)
                            || subs_param.as_ref().is_some_and(|given| {
                                !alt.subcommands.iter().all(|s| given.contains(s))
                                    || !given.iter().all(|s| alt.subcommands.contains(s))
                            })
                    }
                };
            if let (true, Some(pth)) = (needs_install, &path) {
                if run_script(ctx, format!("[ -e {} ]", quote(pth)))?.rc != 0 {
                    return Ok(failed(format!("Specified path {pth} does not exist")).into());
                }
                let Some(lnk) = &link else {
                    return Ok(failed("Needed to install the alternative, but unable to do so as we are missing the link").into());
                };
                let mut argv = vec![
                    bin_text.clone(),
                    "--install".into(),
                    lnk.clone(),
                    name.clone(),
                    pth.clone(),
                    prio.to_string(),
                ];
                if let Some(f) = &family {
                    argv.extend(["--family".to_owned(), f.clone()]);
                }
                if subs_param.is_some() {
                    for s in subs.iter().flatten() {
                        argv.extend([
                            "--slave".to_owned(),
                            s.link.clone().unwrap_or_else(|| "None".into()),
                            s.name.clone(),
                            s.path.clone(),
                        ]);
                    }
                }
                changed = true;
                messages.push(format!("Install alternative '{pth}' for '{name}'."));
                if let Some(f) = run(argv)? {
                    return Ok(f.into());
                }
                if ctx.diff {
                    after = crate::util::map(json!({
                        "state": "present", "path": pth, "family": family,
                        "priority": prio, "link": lnk,
                    }));
                    if let Some(s) = subs.as_ref().filter(|s| !s.is_empty()) {
                        let list: Vec<Value> = s.iter().map(Sub::to_json).collect();
                        after.insert("subcommands".into(), json!(list));
                    }
                }
            }
            let same_path = path.is_some() && current.path == path;
            let same_family = current
                .path
                .as_deref()
                .and_then(|cp| current.get(cp))
                .is_some_and(|a| Some(&a.family) == family.as_ref());
            if state == "selected" && !(same_path || same_family) {
                let arg = path.clone().or_else(|| family.clone()).unwrap_or_default();
                changed = true;
                messages.push(format!("Set alternative '{arg}' for '{name}'."));
                if let Some(f) = run(vec![bin_text.clone(), "--set".into(), name.clone(), arg])? {
                    return Ok(f.into());
                }
                if ctx.diff {
                    after.insert("state".into(), json!("selected"));
                }
            }
            if state == "auto" && current.mode.as_deref() == Some("manual") {
                messages.push(format!("Set alternative to auto for '{name}'."));
                changed = true;
                if let Some(f) = run(vec![bin_text.clone(), "--auto".into(), name.clone()])? {
                    return Ok(f.into());
                }
                if ctx.diff {
                    after.insert("state".into(), json!("present"));
                }
            }
        } else if let (Some(pth), Some(_)) = (&path, here) {
            changed = true;
            messages.push(format!("Remove alternative '{pth}' from '{name}'."));
            if let Some(f) = run(vec![
                bin_text.clone(),
                "--remove".into(),
                name.clone(),
                pth.clone(),
            ])? {
                return Ok(f.into());
            }
            if ctx.diff {
                after = crate::util::map(json!({"state": "absent"}));
            }
        }
        let r = json!({
            "changed": changed,
            "diff": {"before": before, "after": after},
            "msg": messages.join(" "),
        });
        Ok(crate::util::map(r).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISPLAY: &str = "editor - manual mode
  link best version is /bin/nano
  link currently points to /usr/bin/vim.basic
  link editor is /usr/bin/editor
  slave editor.1.gz is /usr/share/man/man1/editor.1.gz
/bin/nano - priority 40
  slave editor.1.gz: /usr/share/man/man1/nano.1.gz
/usr/bin/vim.basic - family vim priority 30
  slave editor.1.gz: (null)
";

    #[test]
    fn display_output_is_read_as_the_module_reads_it() {
        let c = parse(DISPLAY, None);
        assert_eq!(c.mode.as_deref(), Some("manual"));
        assert_eq!(c.path.as_deref(), Some("/usr/bin/vim.basic"));
        assert_eq!(c.link.as_deref(), Some("/usr/bin/editor"));
        let nano = c.get("/bin/nano").unwrap();
        assert_eq!(nano.priority, 40);
        assert_eq!(
            nano.subcommands,
            [Sub {
                name: "editor.1.gz".into(),
                path: "/usr/share/man/man1/nano.1.gz".into(),
                link: Some("/usr/share/man/man1/editor.1.gz".into()),
            }]
        );
        let vim = c.get("/usr/bin/vim.basic").unwrap();
        assert_eq!((vim.family.as_str(), vim.priority), ("vim", 30));
        assert!(vim.subcommands.is_empty());
        assert!(parse("nothing here\n", None).mode.is_none());
    }

    #[test]
    fn subcommands_are_checked() {
        assert_eq!(
            read_subs(&json!([{"name": "a", "path": "/b"}])),
            Err("missing required arguments: link found in subcommands".into())
        );
        assert_eq!(cmd_line(&["a b".into(), "c".into()]), "'a b' c");
    }
}

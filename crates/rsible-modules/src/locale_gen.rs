//! `community.general.locale_gen`: enable or disable locales in `/etc/locale.gen` and run
//! `locale-gen` (or, without that file, Ubuntu's legacy `/var/lib/locales/supported.d`).
//!
//! ```yaml
//! - community.general.locale_gen: { name: de_CH.UTF-8 }
//! ```
//!
//! One probe reads the mechanism, `/usr/share/i18n/SUPPORTED` and `locale -a`; the change
//! (never in check mode) edits the file and runs `locale-gen`; `changed` is whether all the
//! names' presence in `locale -a` differs after, as the module's state tracking decides it.

use serde_json::{json, Value};

use crate::args::ArgSpec;
use crate::params::Params;
use crate::target::script::{marker, run_script, task_request, BIN_PATH_FN};
use crate::util::{failed, output_text};
use crate::{
    Collection, ExecRequest, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput,
    PutOptions, ResultMap,
};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "locale_gen",
    ArgSpec::new("community.general.locale_gen", &["name", "state"]),
)
.in_collection(Collection::CommunityGeneral);

const ETC_LOCALE_GEN: &str = "/etc/locale.gen";
const VAR_LIB_LOCALES: &str = "/var/lib/locales/supported.d";
const VAR_LIB_LOCALES_LOCAL: &str = "/var/lib/locales/supported.d/local";
const SUPPORTED: &str = "/usr/share/i18n/SUPPORTED";

/// `locale -a` may spell the encoding in lower case.
const NORMALIZATION: &[(&str, &str)] = &[
    (".utf8", ".UTF-8"),
    (".eucjp", ".EUC-JP"),
    (".iso885915", ".ISO-8859-15"),
    (".cp1251", ".CP1251"),
    (".koi8r", ".KOI8-R"),
    (".armscii8", ".ARMSCII-8"),
    (".euckr", ".EUC-KR"),
    (".gbk", ".GBK"),
    (".gb18030", ".GB18030"),
    (".euctw", ".EUC-TW"),
];

fn fix_case(name: &str) -> String {
    NORMALIZATION
        .iter()
        .fold(name.to_owned(), |n, (s, r)| n.replace(s, r))
}

/// The names `locale -a` does not list.
fn not_present(names: &[String], locale_a: &str) -> Vec<String> {
    let listed: Vec<String> = locale_a.lines().map(fix_case).collect();
    names
        .iter()
        .filter(|n| !listed.contains(&fix_case(n)))
        .cloned()
        .collect()
}

/// The locales a `SUPPORTED` (or `locale.gen`) file offers: each line's first word, as the
/// module's pattern reads it.
fn available(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r"^\s*#?\s*(?P<locale>\S+[\._\S]+) (?P<charset>\S+)\s*$");
    let Ok(re) = re else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| re.captures(l).map(|c| c["locale"].to_owned()))
        .collect()
}

/// `set_locale_glibc`: each named line of `locale.gen` commented or uncommented.
fn set_glibc(text: &str, names: &[String], enabled: bool) -> String {
    let rules: Vec<(regex::Regex, String)> = names
        .iter()
        .filter_map(|n| {
            let re = regex::Regex::new(&format!(r"^#?\s*{} (?P<charset>.+)", regex::escape(n)));
            let new = if enabled {
                format!("{n} ${{charset}}")
            } else {
                format!("# {n} ${{charset}}")
            };
            re.ok().map(|r| (r, new))
        })
        .collect();
    text.split_inclusive('\n')
        .map(|line| {
            let (body, nl) = match line.strip_suffix('\n') {
                Some(b) => (b, "\n"),
                None => (line, ""),
            };
            let body = rules.iter().fold(body.to_owned(), |b, (re, new)| {
                re.replace_all(&b, new.as_str()).into_owned()
            });
            format!("{body}{nl}")
        })
        .collect()
}

pub(crate) struct LocaleGen;
pub(crate) static LOCALE_GEN: LocaleGen = LocaleGen;

struct Probe {
    mechanism: Option<&'static str>,
    supported: String,
    locale_a: Result<String, String>,
    locale_gen_bin: Result<String, String>,
    file: String,
}

fn probe(ctx: &ModuleContext<'_>, file: &str) -> Result<Probe, ModuleError> {
    let m = marker();
    let script = format!(
        "{BIN_PATH_FN}if [ -e {ETC_LOCALE_GEN} ]; then echo '{m} glibc'; elif [ -e {VAR_LIB_LOCALES} ]; then echo '{m} ubuntu_legacy'; else echo '{m} none'; fi\n\
         if b=$(_bin locale-gen); then echo \"{m} BIN $b\"; else echo \"{m} NOBIN $b\"; fi\n\
         echo '{m} A'; locale -a 2>&1; echo \"{m} RC $?\"\n\
         echo '{m} S'; cat {SUPPORTED} 2>/dev/null\n\
         echo '{m} F'; cat {file} 2>/dev/null\n"
    );
    let out = run_script(ctx, script)?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut p = Probe {
        mechanism: None,
        supported: String::new(),
        locale_a: Ok(String::new()),
        locale_gen_bin: Err(String::new()),
        file: String::new(),
    };
    let mut section = ' ';
    let mut a = String::new();
    for line in text.split_inclusive('\n') {
        if let Some(tag) = line.trim_end_matches('\n').strip_prefix(&format!("{m} ")) {
            match tag {
                "glibc" => p.mechanism = Some("glibc"),
                "ubuntu_legacy" => p.mechanism = Some("ubuntu_legacy"),
                "A" | "S" | "F" => section = tag.chars().next().unwrap_or(' '),
                t if t.starts_with("BIN ") => p.locale_gen_bin = Ok(t[4..].to_owned()),
                t if t.starts_with("NOBIN ") => p.locale_gen_bin = Err(t[6..].to_owned()),
                t if t.starts_with("RC ") => {
                    if t != "RC 0" {
                        p.locale_a = Err(a.clone());
                    } else {
                        p.locale_a = Ok(a.clone());
                    }
                    section = ' ';
                }
                _ => {}
            }
            continue;
        }
        match section {
            'A' => a.push_str(line),
            'S' => p.supported.push_str(line),
            'F' => p.file.push_str(line),
            _ => {}
        }
    }
    Ok(p)
}

impl Module for LocaleGen {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let mut p = Params::new(&INFO.args, args, &[])?;
        p.required("name");
        let names = p.list("name").unwrap_or_default();
        let state = p
            .choice("state", &["absent", "present"])
            .unwrap_or_else(|| "present".into());
        if let Some(e) = p.error() {
            return Ok(failed(e).into());
        }
        let mut vars = serde_json::Map::new();
        vars.insert("name".into(), json!(names));
        // `do_raise`: the message with the module's output variables.
        let raise = |msg: &str, vars: &serde_json::Map<String, Value>| {
            let mut r = failed(msg);
            for (k, v) in vars {
                r.insert(k.clone(), v.clone());
            }
            r.insert("output".into(), Value::Object(vars.clone()));
            r.insert("vars".into(), Value::Object(vars.clone()));
            Ok(ModuleOutput::from(r))
        };
        let first = probe(ctx, ETC_LOCALE_GEN)?;
        let Some(mechanism) = first.mechanism else {
            return raise(
                &format!("{VAR_LIB_LOCALES} and {ETC_LOCALE_GEN} are missing. Is the package \"locales\" installed?"),
                &vars,
            );
        };
        let ubuntu = mechanism == "ubuntu_legacy";
        vars.insert("ubuntu_mode".into(), json!(ubuntu));
        vars.insert("mechanism".into(), json!(mechanism));
        let locale_a = match &first.locale_a {
            Ok(a) => a.clone(),
            Err(out) => return raise(&output_text(out.as_bytes(), true), &vars),
        };
        let offered = available(&first.supported);
        let missing: Vec<String> = names
            .iter()
            .filter(|n| !offered.contains(n))
            .cloned()
            .collect();
        let missing = not_present(&missing, &locale_a);
        if !missing.is_empty() {
            return raise(
                &format!(
                    "The following locales you have entered are not available on your system: {}",
                    missing.join(", ")
                ),
                &vars,
            );
        }
        let was_present = not_present(&names, &locale_a).is_empty();
        let wanted = state == "present";
        let mut now_present = was_present;
        if was_present != wanted && !ctx.check_mode {
            let bin = match &first.locale_gen_bin {
                Ok(b) => b.clone(),
                Err(msg) => return raise(msg, &vars),
            };
            let mut argv = vec![bin];
            if ubuntu {
                if !wanted {
                    let local = probe(ctx, VAR_LIB_LOCALES_LOCAL)?;
                    let kept: String = local
                        .file
                        .split_inclusive('\n')
                        .filter(|l| {
                            let locale = l.split(' ').next().unwrap_or_default();
                            !names.iter().any(|n| n == locale)
                        })
                        .collect();
                    put(ctx, VAR_LIB_LOCALES_LOCAL, &kept)?;
                    argv.push("--purge".into());
                }
            } else {
                put(ctx, ETC_LOCALE_GEN, &set_glibc(&first.file, &names, wanted))?;
            }
            let out = ctx.conn.exec(&task_request(ctx, ExecRequest::argv(argv)))?;
            if out.rc != 0 {
                let stderr = output_text(&out.stderr, false);
                let stdout = output_text(&out.stdout, false);
                let mut r = failed(if stderr.is_empty() { &stdout } else { &stderr }.trim_end());
                r.insert("rc".into(), json!(out.rc));
                r.insert("stdout".into(), json!(stdout));
                r.insert("stderr".into(), json!(stderr));
                return Ok(r.into());
            }
            let after = probe(ctx, "/dev/null")?;
            now_present =
                not_present(&names, after.locale_a.as_deref().unwrap_or_default()).is_empty();
        }
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(now_present != was_present));
        for (k, v) in &vars {
            r.insert(k.clone(), v.clone());
        }
        r.insert("failed".into(), json!(false));
        if ctx.diff {
            r.insert("diff".into(), json!({}));
        }
        if ubuntu {
            r.insert("deprecations".into(), json!([{
                "msg": "On this machine mechanism=ubuntu_legacy is used. This mechanism is deprecated and will be removed from in community.general 13.0.0. If you see this message on a modern Debian or Ubuntu version, please create an issue in the community.general repository",
                "version": "13.0.0",
                "collection_name": "community.general",
            }]));
        }
        Ok(r.into())
    }
}

fn put(ctx: &ModuleContext<'_>, path: &str, text: &str) -> Result<(), ModuleError> {
    let opts = PutOptions {
        mode: None,
        become_: ctx.become_.clone(),
    };
    Ok(ctx.conn.put_file(text.as_bytes(), path, &opts)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_gen_lines_are_toggled() {
        let text = "# A comment\n# de_CH.UTF-8 UTF-8\n#de_DE ISO-8859-1\nen_US.UTF-8 UTF-8\n";
        let names = vec!["de_CH.UTF-8".to_owned(), "de_DE".to_owned()];
        assert_eq!(
            set_glibc(text, &names, true),
            "# A comment\nde_CH.UTF-8 UTF-8\nde_DE ISO-8859-1\nen_US.UTF-8 UTF-8\n"
        );
        let en = vec!["en_US.UTF-8".to_owned()];
        assert_eq!(
            set_glibc(text, &en, false),
            "# A comment\n# de_CH.UTF-8 UTF-8\n#de_DE ISO-8859-1\n# en_US.UTF-8 UTF-8\n"
        );
    }

    #[test]
    fn presence_follows_locale_a_spellings() {
        let names = vec!["C.UTF-8".to_owned(), "de_CH.UTF-8".to_owned()];
        assert_eq!(not_present(&names, "C\nC.utf8\nPOSIX\n"), ["de_CH.UTF-8"]);
        assert!(not_present(&names, "C.utf8\nde_CH.utf8\n").is_empty());
        assert_eq!(
            available("aa_DJ.UTF-8 UTF-8\n# de_CH.UTF-8 UTF-8\nbogus\n"),
            ["aa_DJ.UTF-8", "de_CH.UTF-8"]
        );
    }
}

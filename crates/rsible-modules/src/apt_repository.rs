//! `apt_repository`: add or remove a one-line APT source in `sources.list` or
//! `sources.list.d/<name>.list`.
//!
//! ```yaml
//! - apt_repository: { repo: "deb [trusted=yes] file:/srv/repo ./", filename: local }
//! ```
//!
//! As the module: every `sources.list` file is read and parsed line by line (enabled or
//! commented out, source, `# comment`); the repository is enabled where it is, or appended to
//! the file named after it (`_suggest_filename`), or its enabled lines are removed. Files whose
//! normalised text changes are written back (temp file beside them, then rename); files left
//! without lines are deleted; new files get `mode` (default `0644`). Then `apt-get update`,
//! with the module's retries, and the sources are put back when it keeps failing.
//!
//! No python-apt is needed, so `install_python_apt` has nothing to do. `ppa:` repositories are
//! recognised (and removed) offline, but adding a new one needs Launchpad's API and fails.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_int, de_opt_string, parse, ArgSpec, Mode};
use crate::target::script::{marker, run_script, task_request, BIN_PATH_FN};
use crate::util::failed;
use crate::{
    ExecRequest, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, PutOptions,
    ResultMap,
};
use rsible_connection::shell::quote;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "apt_repository",
    ArgSpec::new(
        "apt_repository",
        &[
            "codename",
            "filename",
            "install_python_apt",
            "mode",
            "repo",
            "state",
            "update_cache",
            "update_cache_retries",
            "update_cache_retry_max_delay",
            "validate_certs",
            "update-cache",
        ],
    )
    .aliases(&["update-cache"]),
);

const VALID_SOURCE_TYPES: [&str; 2] = ["deb", "deb-src"];
const PPA_URI: &str = "https://ppa.launchpadcontent.net";

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    repo: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    state: Option<String>,
    #[serde(default)]
    mode: Option<Mode>,
    #[serde(default = "yes", alias = "update-cache", deserialize_with = "de_bool")]
    update_cache: bool,
    #[serde(default, deserialize_with = "de_opt_int")]
    update_cache_retries: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_int")]
    update_cache_retry_max_delay: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_string")]
    filename: Option<String>,
    #[expect(dead_code, reason = "rsible needs no python-apt on the target")]
    #[serde(default = "yes", deserialize_with = "de_bool")]
    install_python_apt: bool,
    #[expect(
        dead_code,
        reason = "only Launchpad's API is fetched over HTTPS; rsible does not"
    )]
    #[serde(default = "yes", deserialize_with = "de_bool")]
    validate_certs: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    codename: Option<String>,
}

/// One line of a sources file as `SourcesList._parse` reads it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Line {
    pub valid: bool,
    pub enabled: bool,
    pub source: String,
    pub comment: String,
}

/// `_parse(line)`.
pub(crate) fn parse_line(line: &str) -> Line {
    let mut line = line.trim();
    let mut enabled = true;
    if let Some(rest) = line.strip_prefix('#') {
        enabled = false;
        line = rest;
    }
    let mut comment = String::new();
    if let Some(i) = line.find('#').filter(|i| *i > 0) {
        comment = line[i + 1..].trim().to_owned();
        line = &line[..i];
    }
    let mut source = line.trim().to_owned();
    let mut valid = false;
    if !source.is_empty() {
        let chunks: Vec<&str> = source.split_whitespace().collect();
        if VALID_SOURCE_TYPES.contains(&chunks[0]) {
            valid = true;
            source = chunks.join(" ");
        }
    }
    Line {
        valid,
        enabled,
        source,
        comment,
    }
}

/// The text `_parse(…, raise_if_invalid_or_disabled=True)` puts in `InvalidSource`.
fn invalid_text(line: &str) -> String {
    let mut line = line.trim();
    if let Some(rest) = line.strip_prefix('#') {
        line = rest;
    }
    match line.find('#').filter(|i| *i > 0) {
        Some(i) => line[..i].to_owned(),
        None => line.to_owned(),
    }
}

/// `_suggest_filename(source)` without the directory: `filename` + `.list`, else the first
/// part of the source (options, scheme, credentials removed) with every run of other than
/// ASCII letters and digits turned into one `_`.
pub(crate) fn suggest_filename(source: &str, filename: Option<&str>) -> String {
    if let Some(f) = filename {
        return format!("{f}.list");
    }
    let no_opts = regex::Regex::new(r"\[[^\]]+\]")
        .map(|re| re.replace_all(source, "").into_owned())
        .unwrap_or_else(|_| source.to_owned());
    let no_scheme = regex::Regex::new(r"\w+://")
        .map(|re| re.replace_all(&no_opts, "").into_owned())
        .unwrap_or(no_opts);
    let first = no_scheme
        .split_whitespace()
        .find(|p| !VALID_SOURCE_TYPES.contains(p))
        .unwrap_or("");
    let first = first.split_once('@').map_or(first, |(_, host)| host);
    let cleaned: Vec<&str> = first
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .collect();
    format!("{}.list", cleaned.join("_"))
}

/// `dump()`'s text of a file's lines.
fn render(lines: &[Line]) -> String {
    let mut s = String::new();
    for l in lines {
        if !l.enabled {
            s.push_str("# ");
        }
        s.push_str(&l.source);
        if !l.comment.is_empty() {
            s.push_str(" # ");
            s.push_str(&l.comment);
        }
        s.push('\n');
    }
    s
}

/// The sources files: path, raw text, symlink target.
#[derive(Clone, Debug, Default)]
struct SourceFile {
    path: String,
    text: String,
    link: Option<String>,
    lines: Vec<Line>,
    new: bool,
}

#[derive(Clone, Debug, Default)]
struct Sources {
    files: Vec<SourceFile>,
    default_file: String,
    sources_dir: String,
}

impl Sources {
    fn dump(&self) -> Vec<(String, String)> {
        self.files
            .iter()
            .filter(|f| !f.lines.is_empty())
            .map(|f| (f.path.clone(), render(&f.lines)))
            .collect()
    }

    fn expand(&self, filename: &str) -> String {
        if filename.contains('/') {
            filename.to_owned()
        } else {
            normalize(&format!("{}/{filename}", self.sources_dir))
        }
    }

    /// `_add_valid_source`.
    fn add(&mut self, source: &str, file: &str) {
        let mut found = false;
        for f in &mut self.files {
            for l in &mut f.lines {
                if l.valid && l.source == source {
                    l.enabled = true;
                    found = true;
                }
            }
        }
        if found {
            return;
        }
        let path = self.expand(file);
        let line = Line {
            valid: true,
            enabled: true,
            source: source.to_owned(),
            comment: String::new(),
        };
        match self.files.iter_mut().find(|f| f.path == path) {
            Some(f) => {
                f.lines.push(line);
                f.new = true;
            }
            None => self.files.push(SourceFile {
                path,
                lines: vec![line],
                new: true,
                ..SourceFile::default()
            }),
        }
    }

    /// `_remove_valid_source`: enabled lines with this source go.
    fn remove(&mut self, source: &str) {
        for f in &mut self.files {
            f.lines
                .retain(|l| !(l.valid && l.enabled && l.source == source));
        }
    }

    fn enabled_sources(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .flat_map(|f| f.lines.iter())
            .filter(|l| l.valid && l.enabled)
            .map(|l| l.source.as_str())
    }
}

/// `os.path.abspath` for an absolute path: `//` and `.` components go.
fn normalize(p: &str) -> String {
    let parts: Vec<&str> = p
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

/// `_expand_ppa`: the source line, owner and name.
fn expand_ppa(repo: &str, codename: &str) -> (String, String, String) {
    let ppa = repo.split(':').nth(1).unwrap_or("");
    let mut parts = ppa.split('/');
    let owner = parts.next().unwrap_or("").to_owned();
    let name = parts.next().unwrap_or("ppa").to_owned();
    (
        format!("deb {PPA_URI}/{owner}/{name}/ubuntu {codename} main"),
        owner,
        name,
    )
}

pub(crate) struct AptRepository;
pub(crate) static APT_REPOSITORY: AptRepository = AptRepository;

struct Probe {
    apt_get: Option<String>,
    key_tool: bool,
    codename: String,
    sources: Sources,
}

fn probe(ctx: &ModuleContext<'_>) -> Result<Probe, ModuleError> {
    let m = marker();
    let script = format!(
        "{BIN_PATH_FN}\
         echo \"G:$(_bin apt-get)\"\n\
         if _bin apt-key >/dev/null || _bin gpg >/dev/null; then echo K:1; fi\n\
         echo \"C:$(. /etc/os-release 2>/dev/null; echo \"$VERSION_CODENAME\")\"\n\
         SL=/etc/apt/sources.list; SP=/etc/apt/sources.list.d/\n\
         eval \"$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d 2>/dev/null)\"\n\
         echo \"L:$SL\"; echo \"P:$SP\"\n\
         _f() {{ if [ -L \"$1\" ]; then echo \"F:$1|$(readlink -- \"$1\")\"; else echo \"F:$1|\"; fi; cat -- \"$1\"; echo; echo {m}; }}\n\
         if [ -f \"$SL\" ]; then _f \"$SL\"; fi\n\
         for f in \"$SP\"/*.list; do if [ -f \"$f\" ]; then _f \"$f\"; fi; done\n"
    );
    let out = run_script(ctx, script)?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut p = Probe {
        apt_get: None,
        key_tool: false,
        codename: String::new(),
        sources: Sources::default(),
    };
    let mut rest = text.as_str();
    while let Some((line, tail)) = rest.split_once('\n') {
        if let Some(g) = line.strip_prefix("G:") {
            p.apt_get = Some(g.to_owned()).filter(|g| g.starts_with('/'));
        } else if line == "K:1" {
            p.key_tool = true;
        } else if let Some(c) = line.strip_prefix("C:") {
            c.clone_into(&mut p.codename);
        } else if let Some(l) = line.strip_prefix("L:") {
            l.clone_into(&mut p.sources.default_file);
        } else if let Some(d) = line.strip_prefix("P:") {
            d.clone_into(&mut p.sources.sources_dir);
        } else if let Some(f) = line.strip_prefix("F:") {
            let (path, link) = f.split_once('|').unwrap_or((f, ""));
            let end = format!("\n{m}\n");
            let (body, after) = tail.split_once(&end).unwrap_or((tail, ""));
            // `cat` then `echo`: exactly the file's text before "\n<marker>\n".
            let body = body.to_owned();
            let lines = body.lines().map(parse_line).collect();
            p.sources.files.push(SourceFile {
                path: normalize(path),
                text: body,
                link: Some(link.to_owned()).filter(|l| !l.is_empty()),
                lines,
                new: false,
            });
            rest = after;
            continue;
        }
        rest = tail;
    }
    Ok(p)
}

impl Module for AptRepository {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let Some(repo) = a.repo.clone() else {
            return Ok(failed("missing required arguments: repo").into());
        };
        let state = a.state.clone().unwrap_or_else(|| "present".to_owned());
        if !matches!(state.as_str(), "absent" | "present") {
            return Ok(failed(format!(
                "value of state must be one of: absent, present, got: {state}"
            ))
            .into());
        }
        if repo.is_empty() {
            return Ok(failed("Please set argument 'repo' to a non-empty value").into());
        }
        let p = probe(ctx)?;
        if p.apt_get.is_none() {
            return Ok(failed("Module apt_repository is not supported on target.").into());
        }
        if !p.key_tool {
            return Ok(failed("Either apt-key or gpg binary is required, but neither could be found.The apt-key CLI has been deprecated and removed in modern Debian and derivatives, you might want to use \"deb822_repository\" instead.").into());
        }
        let codename = a.codename.clone().unwrap_or_else(|| p.codename.clone());
        let mut sources = p.sources.clone();
        let before = sources.dump();
        if repo.starts_with("ppa:") {
            let (source, owner, name) = expand_ppa(&repo, &codename);
            if state == "present" {
                if !sources.enabled_sources().any(|s| s == source) {
                    return Ok(failed(format!(
                        "failed to fetch PPA information, error was: rsible does not query Launchpad's API for ppa:{owner}/{name}; add the PPA's source line and key with deb822_repository"
                    ))
                    .into());
                }
                let file = suggest_filename(&format!("{repo}_{codename}"), a.filename.as_deref());
                sources.add(&source, &file);
            } else {
                sources.remove(&source);
            }
        } else {
            let parsed = parse_line(&repo);
            if !parsed.valid || !parsed.enabled {
                return Ok(failed(format!(
                    "Invalid repository string: {}",
                    invalid_text(&repo)
                ))
                .into());
            }
            if state == "present" {
                let file = suggest_filename(&parsed.source, a.filename.as_deref());
                sources.add(&parsed.source, &file);
            } else {
                sources.remove(&parsed.source);
            }
        }
        let after = sources.dump();
        let changed = before != after;
        let names =
            |d: &[(String, String)]| -> Vec<String> { d.iter().map(|(n, _)| n.clone()).collect() };
        let (bn, an) = (names(&before), names(&after));
        let mut added: Vec<String> = an.iter().filter(|n| !bn.contains(n)).cloned().collect();
        let mut removed: Vec<String> = bn.iter().filter(|n| !an.contains(n)).cloned().collect();
        added.sort();
        removed.sort();
        let mut diff = Vec::new();
        if changed && ctx.diff {
            let get = |d: &[(String, String)], n: &str| {
                d.iter()
                    .find(|(k, _)| k == n)
                    .map(|(_, t)| t.clone())
                    .unwrap_or_default()
            };
            for n in added.iter().chain(removed.iter()) {
                diff.push(json!({
                    "before": get(&before, n),
                    "after": get(&after, n),
                    "before_header": if bn.contains(n) { n.as_str() } else { "/dev/null" },
                    "after_header": if an.contains(n) { n.as_str() } else { "/dev/null" },
                }));
            }
        }
        if changed && !ctx.check_mode {
            save(ctx, &sources, a.mode.as_ref())?;
            if a.update_cache {
                if let Some(msg) = update_cache(ctx, &a, p.apt_get.as_deref().unwrap_or_default())?
                {
                    restore(ctx, &p.sources, &sources)?;
                    let mut r = failed(msg.0);
                    if !msg.1.is_empty() {
                        r.insert("warnings".into(), json!(msg.1));
                    }
                    return Ok(r.into());
                }
            }
        }
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(changed));
        r.insert("repo".into(), json!(repo));
        r.insert("sources_added".into(), json!(added));
        r.insert("sources_removed".into(), json!(removed));
        r.insert("state".into(), json!(state));
        r.insert("diff".into(), Value::Array(diff));
        Ok(r.into())
    }
}

/// `save()`: each file whose text changes is written (through its symlink), files without
/// lines are removed; new files get `mode`.
fn save(
    ctx: &ModuleContext<'_>,
    sources: &Sources,
    mode: Option<&Mode>,
) -> Result<(), ModuleError> {
    let mut removals = String::new();
    for f in &sources.files {
        if f.lines.is_empty() {
            // Even a file that was empty before goes, as `save()` deletes it.
            let _ = writeln!(removals, "rm -f -- {}", quote(&f.path));
            continue;
        }
        let text = render(&f.lines);
        if text == f.text && !f.new {
            continue;
        }
        let target = match &f.link {
            Some(l) if l.starts_with('/') => l.clone(),
            Some(l) => normalize(&format!(
                "{}/{l}",
                crate::target::file_state::parent(&f.path)
            )),
            None => f.path.clone(),
        };
        // `mode` goes to the files the source was appended to; without it a new file gets
        // `0644 & ~umask` (`atomic_move`) and an existing one keeps its mode.
        let mode = match mode.filter(|_| f.new) {
            Some(m) => Some(m.resolve(0o644, false).map_err(crate::ArgsError::Invalid)?),
            None => None,
        };
        let dir = crate::target::file_state::parent(&target);
        run_script(ctx, format!("mkdir -p -- {}", quote(&dir)))?;
        ctx.conn.put_file(
            text.as_bytes(),
            &target,
            &PutOptions {
                mode,
                become_: ctx.become_.clone(),
            },
        )?;
    }
    if !removals.is_empty() {
        run_script(ctx, removals)?;
    }
    Ok(())
}

/// `revert_sources_list`: files the change added go, the others get their old text back.
fn restore(ctx: &ModuleContext<'_>, old: &Sources, new: &Sources) -> Result<(), ModuleError> {
    let mut script = String::new();
    for f in &new.files {
        if !old.files.iter().any(|o| o.path == f.path) {
            let _ = writeln!(script, "rm -f -- {}", quote(&f.path));
        }
    }
    if !script.is_empty() {
        run_script(ctx, script)?;
    }
    for o in &old.files {
        if o.lines.is_empty() {
            continue;
        }
        let target = o.link.clone().unwrap_or_else(|| o.path.clone());
        let opts = PutOptions {
            mode: None,
            become_: ctx.become_.clone(),
        };
        ctx.conn
            .put_file(render(&o.lines).as_bytes(), &target, &opts)?;
    }
    Ok(())
}

/// `cache.update()` with the module's retries: `Some((msg, warnings))` when it kept failing.
fn update_cache(
    ctx: &ModuleContext<'_>,
    a: &Args,
    apt_get: &str,
) -> Result<Option<(String, Vec<String>)>, ModuleError> {
    let retries = a.update_cache_retries.unwrap_or(5);
    let max_delay = a.update_cache_retry_max_delay.unwrap_or(12) as f64;
    let randomize = f64::from(rand::random::<u32>() % 1000) / 1000.0;
    let mut warnings = Vec::new();
    for retry in 0..retries.max(0) {
        let mut req = task_request(
            ctx,
            ExecRequest::argv(vec![
                apt_get.to_owned(),
                "update".to_owned(),
                "-q".to_owned(),
            ]),
        );
        req.env
            .push(("DEBIAN_FRONTEND".to_owned(), "noninteractive".to_owned()));
        let out = ctx.conn.exec(&req)?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.rc == 0
            && !stderr
                .lines()
                .any(|l| l.starts_with("E:") || l.starts_with("W: Failed to fetch"))
        {
            return Ok(None);
        }
        // python-apt raises FetchFailedException() without a message when the update fails.
        warnings.push(format!(
            "Failed to update cache after {} due to  retry, retrying",
            retry + 1
        ));
        let mut delay = 2f64.powi(i32::try_from(retry).unwrap_or(i32::MAX)) + randomize;
        if delay > max_delay {
            delay = max_delay + randomize;
        }
        std::thread::sleep(std::time::Duration::from_secs_f64(delay));
        warnings.push(format!(
            "Sleeping for {} seconds, before attempting to update the cache again",
            delay.round() as i64
        ));
    }
    Ok(Some((
        format!("Failed to update apt cache after {retries} retries: "),
        warnings,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from the module's SourcesList._suggest_filename / _parse.
    #[test]
    fn filenames_as_ansible_suggests_them() {
        assert_eq!(
            suggest_filename("deb [trusted=yes] file:/srv/repo ./", None),
            "file_srv_repo.list"
        );
        assert_eq!(
            suggest_filename(
                "deb http://user:pw@example.invalid:8080/debian bookworm main",
                None
            ),
            "example_invalid_8080_debian.list"
        );
        assert_eq!(
            suggest_filename(
                "deb http://dl.google.com/linux/chrome/deb/ stable main",
                None
            ),
            "dl_google_com_linux_chrome_deb.list"
        );
        assert_eq!(
            suggest_filename("ppa:foo/bar_jammy", None),
            "ppa_foo_bar_jammy.list"
        );
        assert_eq!(
            suggest_filename("deb http://x/ y", Some("extra")),
            "extra.list"
        );
    }

    #[test]
    fn lines_parse_as_the_module_reads_them() {
        let l = parse_line("#deb   http://x/  y main # a note\n");
        assert_eq!(
            l,
            Line {
                valid: true,
                enabled: false,
                source: "deb http://x/ y main".into(),
                comment: "a note".into()
            }
        );
        assert_eq!(render(&[l]), "# deb http://x/ y main # a note\n");
        assert!(!parse_line("foo bar").valid);
        assert_eq!(invalid_text("foo bar # c"), "foo bar ");
        let mut s = Sources {
            files: vec![],
            default_file: "/etc/apt/sources.list".into(),
            sources_dir: "/etc/apt/sources.list.d/".into(),
        };
        s.add("deb http://x/ y", "x.list");
        assert_eq!(s.files[0].path, "/etc/apt/sources.list.d/x.list");
        s.remove("deb http://x/ y");
        assert!(s.dump().is_empty());
    }
}

//! `apt_key`: add or remove a key of APT's keyring with `apt-key` (and `gpg`) on the target.
//!
//! ```yaml
//! - apt_key: { url: "https://repo.example/key.asc", state: present }
//! ```
//!
//! The module's own steps, run as argv on the target: the key id from `id`, or read with
//! `gpg --with-colons` from `file`, `data` or the downloaded `url`; the keys listed by
//! `apt-key adv --list-public-keys --keyid-format=long` before and after; `apt-key add`,
//! `adv --recv` (keyserver) or `del`. Without `apt-key` or `gpg` (and `gpg-agent`, which
//! `apt-key add` starts) on the target it fails as Ansible's does.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_string, parse, ArgSpec};
use crate::target::script::{run_script, task_request, BEST_LOCALE_FN, BIN_PATH_FN};
use crate::util::{failed, output_text};
use crate::{
    ExecOutput, ExecRequest, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput,
    ResultMap,
};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "apt_key",
    ArgSpec::new(
        "apt_key",
        &[
            "data",
            "file",
            "id",
            "keyring",
            "keyserver",
            "state",
            "url",
            "validate_certs",
        ],
    ),
);

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    url: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    data: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    file: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    keyring: Option<String>,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    validate_certs: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    keyserver: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    state: Option<String>,
}

pub(crate) struct AptKey;
pub(crate) static APT_KEY: AptKey = AptKey;

/// `parse_key_id`: (short id, fingerprint, key id), or `None` for an invalid id.
pub(crate) fn parse_key_id(key_id: &str) -> Option<(String, String, String)> {
    let t = key_id.trim();
    let hex = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t)
        .replace('_', "");
    if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut id = key_id.to_uppercase();
    if let Some(rest) = id.strip_prefix("0X") {
        id = rest.to_owned();
    }
    let n = id.len();
    if n != 8 && n != 16 && n <= 16 {
        return None;
    }
    let short = id[n.saturating_sub(8)..].to_owned();
    let fp = if n > 16 {
        id[n - 16..].to_owned()
    } else {
        id.clone()
    };
    Some((short, fp, id))
}

/// `parse_output_for_keys`.
pub(crate) fn parse_keys(output: &str, short: bool) -> Vec<String> {
    let mut found = Vec::new();
    for line in output.split('\n') {
        if !(line.starts_with("pub") || line.starts_with("sub")) || line.contains("expired") {
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let code = tokens
            .get(1)
            .and_then(|c| c.split_once('/').filter(|(_, b)| !b.contains('/')))
            .map(|(_, real)| real.to_owned())
            .or_else(|| line.split(':').nth(4).map(str::to_owned));
        if let Some(c) = code {
            found.push(c);
        }
    }
    if short {
        found = found
            .into_iter()
            .map(|k| k[k.len().saturating_sub(8)..].to_owned())
            .collect();
    }
    found
}

struct Job<'a, 'c> {
    ctx: &'a ModuleContext<'c>,
    apt_key: String,
    gpg: String,
    locale: String,
    validate_certs: bool,
}

impl Job<'_, '_> {
    fn run(
        &self,
        cmd: &str,
        stdin: Option<Vec<u8>>,
        lang: bool,
    ) -> Result<ExecOutput, ModuleError> {
        let argv = shlex::split(cmd).unwrap_or_else(|| vec![cmd.to_owned()]);
        self.run_argv(argv, stdin, lang)
    }

    fn run_argv(
        &self,
        argv: Vec<String>,
        stdin: Option<Vec<u8>>,
        lang: bool,
    ) -> Result<ExecOutput, ModuleError> {
        let mut req = task_request(self.ctx, ExecRequest::argv(argv));
        if lang {
            let l = self.locale.clone();
            req.env.extend([
                ("LANG".to_owned(), l.clone()),
                ("LC_ALL".to_owned(), l.clone()),
                ("LC_MESSAGES".to_owned(), l.clone()),
                ("LANGUAGE".to_owned(), l),
            ]);
        }
        req.stdin = stdin;
        Ok(self.ctx.conn.exec(&req)?)
    }

    fn keyring_opt(keyring: Option<&str>) -> String {
        keyring
            .map(|k| format!(" --keyring {k}"))
            .unwrap_or_default()
    }

    fn all_keys(
        &self,
        keyring: Option<&str>,
        short: bool,
    ) -> Result<Result<Vec<String>, ResultMap>, ModuleError> {
        let cmd = format!(
            "{}{} adv --list-public-keys --keyid-format=long",
            self.apt_key,
            Self::keyring_opt(keyring)
        );
        let out = self.run(&cmd, None, false)?;
        if out.rc != 0 {
            let mut r = failed("Unable to list public keys");
            r.insert("cmd".into(), json!(cmd));
            r.insert("rc".into(), json!(out.rc));
            r.insert("stdout".into(), json!(output_text(&out.stdout, false)));
            r.insert("stderr".into(), json!(output_text(&out.stderr, false)));
            return Ok(Err(r));
        }
        Ok(Ok(parse_keys(&String::from_utf8_lossy(&out.stdout), short)))
    }

    /// `get_key_id_from_file`: the first key id gpg lists.
    fn key_id_from(
        &self,
        file: &str,
        data: Option<&[u8]>,
    ) -> Result<Result<Option<String>, ResultMap>, ModuleError> {
        let out = self.run_argv(
            vec![
                self.gpg.clone(),
                "--with-colons".to_owned(),
                file.to_owned(),
            ],
            data.map(<[u8]>::to_vec),
            true,
        )?;
        if out.rc != 0 {
            let what = if data.is_some() { "inline data" } else { file };
            let mut r = failed(format!("Unable to extract key from '{what}'"));
            r.insert("stdout".into(), json!(output_text(&out.stdout, false)));
            r.insert("stderr".into(), json!(output_text(&out.stderr, false)));
            return Ok(Err(r));
        }
        Ok(Ok(parse_keys(&String::from_utf8_lossy(&out.stdout), false)
            .into_iter()
            .next()))
    }

    fn download(&self, url: &str) -> Result<Result<Vec<u8>, ResultMap>, ModuleError> {
        match crate::deb822_repository::fetch_url(self.ctx, url, self.validate_certs)? {
            Ok(d) => Ok(Ok(d)),
            Err(e) => Ok(Err(failed(format!(
                "Failed to download key at {}: {e}",
                crate::target::http::mask_url(url)
            )))),
        }
    }
}

fn with(mut base: ResultMap, r: &ResultMap) -> ResultMap {
    for (k, v) in r {
        if !base.contains_key(k) {
            base.insert(k.clone(), v.clone());
        }
    }
    base
}

impl Module for AptKey {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let state = a.state.clone().unwrap_or_else(|| "present".to_owned());
        if !matches!(state.as_str(), "absent" | "present") {
            return Ok(failed(format!(
                "value of state must be one of: absent, present, got: {state}"
            ))
            .into());
        }
        let given: Vec<&str> = [
            ("data", a.data.is_some()),
            ("file", a.file.is_some()),
            ("keyserver", a.keyserver.is_some()),
            ("url", a.url.is_some()),
        ]
        .iter()
        .filter(|(_, g)| *g)
        .map(|(n, _)| *n)
        .collect();
        if given.len() > 1 {
            return Ok(failed("parameters are mutually exclusive: data|file|keyserver|url").into());
        }
        let out = run_script(
            ctx,
            format!("{BIN_PATH_FN}{BEST_LOCALE_FN}echo \"K:$(_bin apt-key)\"\necho \"G:$(_bin gpg)\"\necho \"L:$(_loc)\"\n"),
        )?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let field = |p: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(p))
                .unwrap_or_default()
                .to_owned()
        };
        let (apt_key, gpg) = (field("K:"), field("G:"));
        // `get_bin_path(required=True)` fails the module itself.
        for path in [&apt_key, &gpg] {
            if !path.starts_with('/') {
                return Ok(failed(path.clone()).into());
            }
        }
        let job = Job {
            ctx,
            apt_key,
            gpg,
            locale: field("L:"),
            validate_certs: a.validate_certs,
        };
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(false));
        let mut key_id = a.id.clone().filter(|k| !k.is_empty());
        let mut data: Option<Vec<u8>> = a.data.clone().map(String::into_bytes);
        if key_id.is_none() {
            if a.keyserver.is_some() {
                return Ok(failed("Missing key_id, required with keyserver.").into());
            }
            if let Some(url) = &a.url {
                match job.download(url)? {
                    Ok(d) => data = Some(d),
                    Err(f) => return Ok(f.into()),
                }
            }
            let found = if let Some(file) = &a.file {
                job.key_id_from(file, None)?
            } else if let Some(d) = data.as_deref().filter(|d| !d.is_empty()) {
                job.key_id_from("-", Some(d))?
            } else {
                Ok(None)
            };
            match found {
                Ok(k) => key_id = k,
                Err(f) => return Ok(f.into()),
            }
        }
        r.insert("id".into(), json!(key_id));
        let Some((short_id, fp, key_id)) = key_id.as_deref().and_then(parse_key_id) else {
            return Ok(with(failed("Invalid key_id"), &r).into());
        };
        r.insert("short_id".into(), json!(short_id));
        r.insert("fp".into(), json!(fp));
        r.insert("key_id".into(), json!(key_id));
        let short = key_id.len() == 8;
        let keyring = a.keyring.as_deref();
        let keys = match job.all_keys(keyring, short)? {
            Ok(k) => k,
            Err(f) => return Ok(f.into()),
        };
        r.insert("before".into(), json!(keys));
        let no_error = |what: &str| {
            format!("apt-key did not return an error, but {what} (check that the id is correct and *not* a subkey)")
        };
        let has = |ks: &[String]| {
            if short {
                ks.contains(&short_id)
            } else {
                ks.contains(&fp)
            }
        };
        let kr = Job::keyring_opt(keyring);
        if state == "present" {
            if has(&keys) {
                return Ok(r.into());
            }
            r.insert("changed".into(), json!(true));
            if ctx.check_mode {
                return Ok(r.into());
            }
            let (cmd, stdin, fail_msg) = if let Some(file) = &a.file {
                (
                    format!("{}{kr} add {file}", job.apt_key),
                    None,
                    format!("Unable to add a key from file {file}"),
                )
            } else if let Some(ks) = &a.keyserver {
                (
                    format!(
                        "{}{kr} adv --no-tty --keyserver {ks} --recv {key_id}",
                        job.apt_key
                    ),
                    None,
                    format!("Error fetching key {key_id} from keyserver: {ks}"),
                )
            } else if let Some(d) = data.clone().filter(|d| !d.is_empty()) {
                (
                    format!("{}{kr} add -", job.apt_key),
                    Some(d),
                    "Unable to add a key from binary data".to_owned(),
                )
            } else {
                return Ok(with(failed("No key to add ... how did i get here?!?!"), &r).into());
            };
            let tries = if a.keyserver.is_some() { 5 } else { 1 };
            let mut out = job.run(&cmd, stdin.clone(), a.keyserver.is_some())?;
            for _ in 1..tries {
                if out.rc == 0 {
                    break;
                }
                out = job.run(&cmd, stdin.clone(), true)?;
            }
            if out.rc != 0 {
                let stdout = output_text(&out.stdout, false);
                let msg = if a.keyserver.is_some()
                    && out.rc == 2
                    && stdout.contains("not found on keyserver")
                {
                    format!(
                        "Key {key_id} not found on keyserver {}",
                        a.keyserver.as_deref().unwrap_or_default()
                    )
                } else {
                    fail_msg
                };
                let mut f = failed(msg);
                f.insert("cmd".into(), json!(cmd));
                f.insert("rc".into(), json!(out.rc));
                if let Some(file) = &a.file {
                    f.insert("keyfile".into(), json!(file));
                }
                f.insert("stdout".into(), json!(stdout));
                f.insert("stderr".into(), json!(output_text(&out.stderr, false)));
                return Ok(f.into());
            }
            let after = match job.all_keys(keyring, short)? {
                Ok(k) => k,
                Err(f) => return Ok(f.into()),
            };
            r.insert("after".into(), json!(after));
            if !has(&after) {
                return Ok(with(failed(no_error("failed to add the key")), &r).into());
            }
        } else {
            if !keys.contains(&fp) {
                return Ok(r.into());
            }
            r.insert("changed".into(), json!(true));
            if ctx.check_mode {
                return Ok(r.into());
            }
            let cmd = format!("{}{kr} del {short_id}", job.apt_key);
            let out = job.run(&cmd, None, false)?;
            if out.rc != 0 {
                let mut f = failed(format!("Unable to remove a key with id {short_id}"));
                f.insert("cmd".into(), json!(cmd));
                f.insert("rc".into(), json!(out.rc));
                f.insert("key_id".into(), json!(short_id));
                f.insert("stdout".into(), json!(output_text(&out.stdout, false)));
                f.insert("stderr".into(), json!(output_text(&out.stderr, false)));
                return Ok(f.into());
            }
            let after = match job.all_keys(keyring, short)? {
                Ok(k) => k,
                Err(f) => return Ok(f.into()),
            };
            r.insert("after".into(), json!(after));
            if after.contains(&fp) {
                return Ok(with(failed(no_error("the key was not removed")), &r).into());
            }
        }
        Ok(r.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from the module's parse_key_id and parse_output_for_keys.
    #[test]
    fn key_ids_and_listings() {
        assert_eq!(
            parse_key_id("0xcedba9d18a79c44a"),
            Some((
                "8A79C44A".into(),
                "CEDBA9D18A79C44A".into(),
                "CEDBA9D18A79C44A".into()
            ))
        );
        assert_eq!(
            parse_key_id("CC6CDC70542B11002E2A9F9FCEDBA9D18A79C44A").map(|k| k.1),
            Some("CEDBA9D18A79C44A".into())
        );
        assert_eq!(parse_key_id("123"), None);
        assert_eq!(parse_key_id("zz"), None);
        let listing = "pub   ed25519/CEDBA9D18A79C44A 2026-12-04 [SC]\n      CC6CDC70542B11002E2A9F9FCEDBA9D18A79C44A\nuid   [ unknown] x\nsub   rsa4096/0123456789ABCDEF 2020-01-01 [E] [expired: 2021-01-01]\n";
        assert_eq!(parse_keys(listing, false), ["CEDBA9D18A79C44A"]);
        assert_eq!(parse_keys(listing, true), ["8A79C44A"]);
        let colons = "pub:-:255:22:CEDBA9D18A79C44A:1796000000:::-:\n";
        assert_eq!(parse_keys(colons, false), ["CEDBA9D18A79C44A"]);
    }
}

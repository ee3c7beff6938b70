//! `uri`: an HTTP request from the target's network view (the target's curl, else the
//! controller: `target::http`), its response as Ansible's result.
//!
//! ```yaml
//! - uri:
//!     url: http://localhost:8080/api/items
//!     method: POST
//!     body_format: json
//!     body: { name: x }
//!     status_code: [200, 201]
//!   register: created
//! ```
//!
//! The result carries every response header (lowercased, `-` → `_`), `status`, `msg`
//! `OK (N bytes)`, `redirected`, `url`, cookies, and `content`/`json` as the module decides.
//! Like Ansible's action, check mode skips the task.

use crate::util::py_type;
use std::fmt::Write as _;
use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_list, de_opt_string, parse, ArgSpec};
use crate::target::file_attrs::{add_path_info, FileAttrs, ATOMIC_MOVE};
use crate::target::file_state::join;
use crate::target::http::{self, Body, Follow, Outcome, Transport, UrlArgs};
use crate::target::script::{expand_path, run_script};
use crate::util::{failed, find_needle};
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};
use rsible_connection::shell::quote;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "uri",
    ArgSpec::new(
        "ansible.legacy.uri",
        &[
            "attributes",
            "body",
            "body_format",
            "ca_path",
            "ciphers",
            "client_cert",
            "client_key",
            "creates",
            "decompress",
            "dest",
            "follow_redirects",
            "force",
            "force_basic_auth",
            "group",
            "headers",
            "http_agent",
            "method",
            "mode",
            "owner",
            "remote_src",
            "removes",
            "return_content",
            "selevel",
            "serole",
            "setype",
            "seuser",
            "src",
            "status_code",
            "timeout",
            "unix_socket",
            "unredirected_headers",
            "unsafe_writes",
            "url",
            "url_password",
            "url_username",
            "use_gssapi",
            "use_netrc",
            "use_proxy",
            "validate_certs",
            "attr",
            "password",
            "user",
        ],
    )
    .aliases(&["attr", "password", "user"]),
);

const BODY_FORMATS: &[&str] = &["form-urlencoded", "json", "raw", "form-multipart"];
const FOLLOW: &[&str] = &["all", "no", "none", "safe", "urllib2", "yes"];

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(flatten)]
    url: UrlArgs,
    #[serde(flatten)]
    file: FileAttrs,
    #[serde(default, deserialize_with = "de_opt_string")]
    dest: Option<String>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default, deserialize_with = "de_opt_string")]
    body_format: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    src: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    method: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    return_content: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    follow_redirects: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    creates: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    removes: Option<String>,
    #[serde(default, deserialize_with = "de_opt_list")]
    status_code: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_string")]
    unix_socket: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    remote_src: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    ca_path: Option<String>,
}

pub(crate) struct Uri;
pub(crate) static URI: Uri = Uri;

impl Module for Uri {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        if ctx.check_mode {
            // The action plugin does not support check mode.
            let mut r = ResultMap::new();
            r.insert("changed".into(), json!(false));
            r.insert("skipped".into(), json!(true));
            r.insert(
                "msg".into(),
                json!("This action (uri) does not support check mode."),
            );
            return Ok(r.into());
        }
        // What the action does before the module sees the arguments: upload `src`.
        let remote_src = args
            .get("remote_src")
            .and_then(crate::args::parse_bool)
            .unwrap_or(false);
        let local_src = match args.get("src").and_then(Value::as_str) {
            Some(src) if !remote_src => match find_needle(ctx, "files", src) {
                Ok(p) => Some(p),
                Err(m) => return Ok(failed(format!("Task failed: {m}")).into()),
            },
            _ => None,
        };
        let a: Args = parse(&INFO.args, args)?;
        if let Some(msg) = validate(&a) {
            return Ok(failed(msg).into());
        }
        let tmp_cell = std::cell::RefCell::new(None);
        let r = run(ctx, &a, local_src, &tmp_cell);
        if let Some(t) = tmp_cell.borrow().as_ref() {
            http::remove_tmp(ctx, t)?;
        }
        let mut r = r?;
        add_path_info(ctx, &mut r)?;
        Ok(r.into())
    }
}

/// The module's own argument checks, in its order.
fn validate(a: &Args) -> Option<String> {
    if a.url.url.is_none() {
        return Some("missing required arguments: url".into());
    }
    if let Some(f) = a.body_format.as_deref() {
        if !BODY_FORMATS.contains(&f) {
            return Some(format!(
                "value of body_format must be one of: {}, got: {f}",
                BODY_FORMATS.join(", ")
            ));
        }
    }
    if let Some(f) = a.follow_redirects.as_deref() {
        if !FOLLOW.contains(&f) {
            return Some(format!(
                "value of follow_redirects must be one of: {}, got: {f}",
                FOLLOW.join(", ")
            ));
        }
    }
    if a.body.is_some() && a.src.is_some() {
        return Some("parameters are mutually exclusive: body|src".into());
    }
    for c in a.status_code.iter().flatten() {
        if c.trim().parse::<i64>().is_err() {
            return Some("Elements value for option 'status_code' is of type <class 'str'> and we were unable to convert to int: <class 'str'> cannot be converted to an int".to_owned());
        }
    }
    a.url.refusal().or_else(|| a.file.refusal())
}

/// Python's `urlencode(pairs, doseq=True)` (`quote_plus`).
fn urlencode(pairs: &[(String, String)]) -> String {
    let enc = |s: &str| {
        let mut o = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                    o.push(b as char);
                }
                b' ' => o.push('+'),
                b => {
                    let _ = write!(o, "%{b:02X}");
                }
            }
        }
        o
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `form_urlencoded(body)`.
fn form_urlencoded(body: &Value) -> Result<String, String> {
    let items: Vec<(String, Value)> = match body {
        Value::String(s) => return Ok(s.clone()),
        Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Value::Array(list) => {
            let mut out = Vec::new();
            for item in list {
                match item {
                    Value::Array(kv) if kv.len() == 2 => {
                        out.push((crate::args::scalar_text(&kv[0]), kv[1].clone()));
                    }
                    _ => return Err("too many values to unpack (expected 2)".into()),
                }
            }
            out
        }
        other => return Ok(crate::args::scalar_text(other)),
    };
    let mut pairs = Vec::new();
    for (k, v) in items {
        let values = match v {
            Value::Array(vs) => vs,
            Value::Object(m) => m.keys().map(|k| json!(k)).collect(),
            other => vec![other],
        };
        for v in values.into_iter().filter(|v| !v.is_null()) {
            pairs.push((k.clone(), crate::args::scalar_text(&v)));
        }
    }
    Ok(urlencode(&pairs))
}

/// `prepare_multipart(fields)`: the content type (with its boundary) and the body, as
/// `email`'s generator writes them with the HTTP policy. `read` gives a `filename`'s bytes.
fn prepare_multipart(
    fields: &Value,
    read: &dyn Fn(&str) -> Result<Vec<u8>, String>,
) -> Result<(String, Vec<u8>), String> {
    let Value::Object(m) = fields else {
        return Err(format!(
            "Mapping is required, cannot be type {}",
            py_type(fields)
        ));
    };
    let boundary = format!(
        "==============={:019}==",
        rand::random::<u64>() % 9_223_372_036_854_775_807
    );
    let mut names: Vec<&String> = m.keys().collect();
    names.sort();
    let mut body: Vec<u8> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let value = &m[name.as_str()];
        let (mime, content, filename) = match value {
            Value::String(s) => ("text/plain".to_owned(), Some(s.clone()), None),
            Value::Object(v) => {
                let filename = v.get("filename").and_then(Value::as_str).map(str::to_owned);
                let content = v
                    .get("content")
                    .filter(|c| !c.is_null())
                    .map(crate::args::scalar_text);
                if filename.as_deref().unwrap_or("").is_empty()
                    && content.as_deref().unwrap_or("").is_empty()
                {
                    return Err("at least one of filename or content must be provided".into());
                }
                let mime = v
                    .get("mime_type")
                    .and_then(Value::as_str)
                    .filter(|m| !m.is_empty())
                    .map_or_else(
                        || guess_mime(filename.as_deref().unwrap_or("")),
                        str::to_owned,
                    );
                (mime, content.filter(|c| !c.is_empty()), filename)
            }
            other => {
                return Err(format!(
                    "value must be a string, or mapping, cannot be type {}",
                    py_type(other)
                ))
            }
        };
        body.extend_from_slice(if i == 0 { b"--" } else { b"\r\n--" });
        body.extend_from_slice(boundary.as_bytes());
        body.extend_from_slice(b"\r\n");
        let mut disposition = format!("form-data; name=\"{name}\"");
        if let Some(f) = &filename {
            let base = f.rsplit('/').next().unwrap_or(f);
            let _ = write!(disposition, "; filename=\"{base}\"");
        }
        match (&content, &filename) {
            (None, Some(f)) => {
                let data = read(f)?;
                let mut b64 = String::new();
                let encoded =
                    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, data);
                for chunk in encoded.as_bytes().chunks(76) {
                    b64.push_str(&String::from_utf8_lossy(chunk));
                    b64.push_str("\r\n");
                }
                let _ = write!(
                    body_text(&mut body),
                    "Content-Transfer-Encoding: base64\r\nContent-Type: {mime}\r\nContent-Disposition: {disposition}\r\n\r\n{b64}"
                );
            }
            _ => {
                let _ = write!(
                    body_text(&mut body),
                    "Content-Type: {mime}\r\nContent-Disposition: {disposition}\r\n\r\n"
                );
                body.extend_from_slice(content.unwrap_or_default().as_bytes());
            }
        }
    }
    body.extend_from_slice(b"\r\n--");
    body.extend_from_slice(boundary.as_bytes());
    body.extend_from_slice(b"--\r\n");
    Ok((
        format!("multipart/form-data; boundary=\"{boundary}\""),
        body,
    ))
}

/// A `fmt::Write` over a byte buffer.
fn body_text(buf: &mut Vec<u8>) -> BodyText<'_> {
    BodyText(buf)
}

struct BodyText<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for BodyText<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// `mimetypes.guess_type(filename, strict=False)[0] or 'application/octet-stream'` for the
/// common extensions.
fn guess_mime(filename: &str) -> String {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("txt" | "text" | "conf" | "log") => "text/plain",
        Some("html" | "htm") => "text/html",
        Some("css") => "text/css",
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        Some("xml") => "text/xml",
        Some("js") => "text/javascript",
        Some("pdf") => "application/pdf",
        Some("zip") => "application/zip",
        Some("gz") | Some("tgz") => "application/gzip",
        Some("tar") => "application/x-tar",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("svg") => "image/svg+xml",
        Some("yaml" | "yml") => "application/yaml",
        _ => "application/octet-stream",
    }
    .to_owned()
}

/// Python's `repr` of the status code list: `[200, 201]`.
fn codes_repr(codes: &[i64]) -> String {
    let c: Vec<String> = codes.iter().map(i64::to_string).collect();
    format!("[{}]", c.join(", "))
}

fn run(
    ctx: &ModuleContext<'_>,
    a: &Args,
    local_src: Option<std::path::PathBuf>,
    tmp_cell: &std::cell::RefCell<Option<String>>,
) -> Result<ResultMap, ModuleError> {
    let url = a.url.url.clone().unwrap_or_default();
    let masked = http::mask_url(&url);
    let body_format = a
        .body_format
        .as_deref()
        .unwrap_or("raw")
        .to_ascii_lowercase();
    let method = a.method.as_deref().unwrap_or("GET").to_uppercase();
    let status_codes: Vec<i64> = match &a.status_code {
        Some(c) => c.iter().filter_map(|c| c.trim().parse().ok()).collect(),
        None => vec![200],
    };
    if method.is_empty() || !method.chars().all(|c| c.is_ascii_uppercase()) {
        return Ok(failed(
            "Parameter 'method' needs to be a single word in uppercase, like GET or POST.",
        ));
    }
    let mut req = a.url.request(&method, 30);
    req.follow = Follow::parse(a.follow_redirects.as_deref().unwrap_or("safe"));
    req.unix_socket = a.unix_socket.clone();
    req.ca_path = a.ca_path.clone();
    let has_content_type = req
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
    let read_file = |f: &str| -> Result<Vec<u8>, String> {
        if a.remote_src {
            ctx.conn
                .read_file(f, ctx.become_.as_ref())
                .map_err(|e| e.to_string())
        } else {
            let p = find_needle(ctx, "files", f).map_err(|m| format!("Task failed: {m}"))?;
            fs_err::read(p).map_err(|e| e.to_string())
        }
    };
    match (&a.body, body_format.as_str()) {
        (Some(b), "json") => {
            let text = match b {
                Value::String(s) => s.clone(),
                other => crate::util::py_json_dumps(other),
            };
            req.body = Some(Body::Bytes(text.into_bytes()));
            if !has_content_type {
                req.headers
                    .push(("Content-Type".into(), "application/json".into()));
            }
        }
        (Some(b), "form-urlencoded") => {
            match form_urlencoded(b) {
                Ok(text) => req.body = Some(Body::Bytes(text.into_bytes())),
                Err(e) => {
                    let mut r = failed(format!("failed to parse body as form_urlencoded: {e}"));
                    r.insert("elapsed".into(), json!(0));
                    return Ok(r);
                }
            }
            if !has_content_type {
                req.headers.push((
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ));
            }
        }
        (Some(b), "form-multipart") => match prepare_multipart(b, &read_file) {
            Ok((ct, data)) => {
                req.headers.retain(|(k, _)| k != "Content-Type");
                req.headers.push(("Content-Type".into(), ct));
                req.body = Some(Body::Bytes(data));
            }
            Err(e) => {
                return Ok(failed(format!(
                    "failed to parse body as form-multipart: {e}"
                )))
            }
        },
        (Some(b), _) => {
            req.body = Some(Body::Bytes(crate::args::scalar_text(b).into_bytes()));
        }
        (None, "json") if !has_content_type => {
            req.headers
                .push(("Content-Type".into(), "application/json".into()));
        }
        (None, "form-urlencoded") if !has_content_type => req.headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        )),
        _ => {}
    }

    // One probe: creates/removes, dest, a remote src, the transport and the temp dir.
    let mut s = String::new();
    if let Some(c) = &a.creates {
        let _ = writeln!(
            s,
            "if [ -e {} ]; then echo skip:; exit 0; fi",
            quote(&expand_path(ctx, c)?)
        );
    }
    if let Some(c) = &a.removes {
        let _ = writeln!(
            s,
            "if [ ! -e {} ]; then echo skipr:; exit 0; fi",
            quote(&expand_path(ctx, c)?)
        );
    }
    let dest = match &a.dest {
        Some(d) => Some(expand_path(ctx, d)?),
        None => None,
    };
    if let Some(d) = &dest {
        let _ = writeln!(
            s,
            "d={}; if [ -d \"$d\" ]; then echo isdir:; elif [ -f \"$d\" ]; then echo \"mtime:$(stat -L -c %Y -- \"$d\")\"; fi",
            quote(d)
        );
    }
    let remote_src = match (&a.src, local_src.is_none()) {
        (Some(src), true) => Some(expand_path(ctx, src)?),
        _ => None,
    };
    if let Some(src) = &remote_src {
        let _ = writeln!(
            s,
            "if [ -r {0} ] && [ -f {0} ]; then echo \"srcsize:$(stat -L -c %s -- {0})\"; fi",
            quote(src)
        );
    }
    s.push_str(http::TOOL_PROBE);
    s.push_str(&crate::target::script::mkdir_tmp());
    s.push('\n');
    let out = run_script(ctx, s)?;
    let text = String::from_utf8_lossy(&out.stdout);
    let tag = |t: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(t).map(str::to_owned))
    };
    if tag("skip:").is_some() {
        return Ok(crate::util::map(json!({
            "changed": false,
            "stdout": format!("skipped, since '{}' exists", a.creates.as_deref().unwrap_or_default()),
        })));
    }
    if tag("skipr:").is_some() {
        return Ok(crate::util::map(json!({
            "changed": false,
            "stdout": format!("skipped, since '{}' does not exist", a.removes.as_deref().unwrap_or_default()),
        })));
    }
    let Some(tmp) = tag("tmp:") else {
        return Ok(failed(
            "could not create a temporary directory under ~/.ansible/tmp",
        ));
    };
    *tmp_cell.borrow_mut() = Some(tmp.clone());
    let transport = Transport::from_probe(&text);
    let dest_is_dir = tag("isdir:").is_some();
    req.last_mod_time = tag("mtime:").and_then(|m| m.trim().parse().ok());
    if let Some(p) = &local_src {
        match fs_err::read(p) {
            Ok(data) => {
                req.headers
                    .push(("Content-Length".into(), data.len().to_string()));
                req.body = Some(Body::Bytes(data));
            }
            Err(_) => {
                return Ok(crate::util::map(json!({
                    "changed": false, "failed": true, "elapsed": 0,
                    "msg": format!("Unable to open source file {}", p.display()),
                })))
            }
        }
    }
    if let Some(src) = &remote_src {
        let Some(size) = tag("srcsize:") else {
            return Ok(crate::util::map(json!({
                "changed": false, "failed": true, "elapsed": 0,
                "msg": format!("Unable to open source file {src}"),
            })));
        };
        req.headers.push(("Content-Length".into(), size));
        req.body = Some(Body::TargetFile(src.clone()));
    }

    let started = Instant::now();
    let out_file = format!("{tmp}/response");
    let resp = http::send(ctx, transport, &req, &tmp, &out_file)?;
    let elapsed = started.elapsed().as_secs();
    let has_r = resp.outcome != Outcome::Failed;

    let mut dest = dest;
    if let (true, Some(d), true) = (has_r, &dest, dest_is_dir) {
        let name = resp
            .header("content-disposition")
            .and_then(http::disposition_filename)
            .or_else(|| {
                let p = http::url_path(&resp.url);
                let base = p.trim_end_matches('/').rsplit('/').next().unwrap_or("");
                (!base.is_empty()).then(|| http::unquote(base))
            })
            .unwrap_or_else(|| "index.html".to_owned());
        dest = Some(join(d, &name));
    }
    let (content_type, _main, sub, charset) = if has_r {
        http::content_type(resp.header("content-type"))
    } else {
        (
            "application/octet-stream".into(),
            "application".into(),
            "octet-stream".into(),
            "utf-8".into(),
        )
    };
    let sub_l = sub.to_ascii_lowercase();
    let json_sub = sub_l.split_once('+').map_or(sub_l.as_str(), |(_, s)| s);
    let maybe_json = !content_type.is_empty() && matches!(json_sub, "json" | "javascript");
    let in_codes = status_codes.contains(&resp.status);
    let maybe_output = maybe_json || a.return_content || !in_codes;

    let mut info = resp.info();
    let body = if has_r && (maybe_output || resp.outcome == Outcome::HttpError) {
        Some(resp.body(ctx)?)
    } else {
        None
    };
    if resp.outcome == Outcome::HttpError && !maybe_output {
        // `info['body']` stays in the result when nothing read the content.
        info.insert(
            "body".into(),
            json!(String::from_utf8_lossy(body.as_deref().unwrap_or_default())),
        );
    }
    let content: Option<Vec<u8>> = if maybe_output {
        Some(body.clone().unwrap_or_default())
    } else {
        None
    };

    let mut r = ResultMap::new();
    r.insert("redirected".into(), json!(resp.url != masked));
    for (k, v) in info {
        r.insert(k, v);
    }
    r.insert("elapsed".into(), json!(elapsed));
    r.insert("status".into(), json!(resp.status));
    r.insert("changed".into(), json!(false));

    if let (true, Some(d)) = (has_r, &dest) {
        if in_codes && resp.status != 304 {
            let s = format!(
                "s={}; d={}\nif [ -e \"$d\" ] && [ \"$(sha1sum < \"$s\")\" = \"$(sha1sum < \"$d\")\" ]; then rm -f -- \"$s\"; exit 0; fi\n{ATOMIC_MOVE}",
                quote(&out_file),
                quote(d)
            );
            let out = run_script(ctx, s)?;
            if out.rc != 0 {
                let msg = r
                    .remove("msg")
                    .and_then(|m| m.as_str().map(str::to_owned))
                    .unwrap_or_default();
                r.insert("failed".into(), json!(true));
                r.insert(
                    "msg".into(),
                    json!(format!(
                        "failed to copy {out_file} to {d}: {} {msg}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    )),
                );
                return Ok(r);
            }
            r.insert("changed".into(), json!(true));
            match a.file.apply(ctx, d)? {
                Err(fail) => return Ok(fail),
                Ok(c) => {
                    if c {
                        r.insert("changed".into(), json!(true));
                    }
                }
            }
        }
        r.insert("path".into(), json!(d));
    }

    // Headers become variable-friendly keys.
    let mut u = ResultMap::new();
    for (k, v) in r {
        u.insert(k.replace('-', "_").to_lowercase(), v);
    }
    if let Some(loc) = u.get("location").and_then(Value::as_str).map(str::to_owned) {
        u.insert("location".into(), json!(http::urljoin(&masked, &loc)));
    }
    let u_content = content.as_ref().map(|c| decode(c, &charset));
    if let (true, Some(text)) = (maybe_json, &u_content) {
        if let Ok(js) = serde_json::from_str::<Value>(text) {
            u.insert("json".into(), js);
        }
    }
    if !in_codes {
        let msg = u
            .get("msg")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        u.insert(
            "msg".into(),
            json!(format!(
                "Status code was {} and not {}: {msg}",
                resp.status,
                codes_repr(&status_codes)
            )),
        );
        u.insert("failed".into(), json!(true));
    }
    if a.return_content {
        u.insert("content".into(), json!(u_content.unwrap_or_default()));
    }
    Ok(u)
}

/// `to_text(content, encoding=charset)`: UTF-8 or Latin-1, else lossy UTF-8.
fn decode(bytes: &[u8], charset: &str) -> String {
    match charset.to_ascii_lowercase().as_str() {
        "iso-8859-1" | "latin-1" | "latin1" => bytes.iter().map(|&b| b as char).collect(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, HttpServer, RunResult};
    use rsible_connection::local::LocalConnection;

    fn server() -> HttpServer {
        HttpServer::start(Box::new(|seen| match seen.path.as_str() {
            "/json" => (
                "200 OK".into(),
                vec![
                    ("Content-Type".into(), "application/json".into()),
                    ("X-Request-Id".into(), "abc".into()),
                    ("Set-Cookie".into(), "sid=42; Path=/".into()),
                ],
                br#"{"a": [1, 2], "b": null}"#.to_vec(),
            ),
            "/echo" => (
                "201 Created".into(),
                vec![("Content-Type".into(), "text/plain".into())],
                format!(
                    "{} {} {}",
                    seen.method,
                    seen.header("content-type").unwrap_or("-"),
                    String::from_utf8_lossy(&seen.body)
                )
                .into_bytes(),
            ),
            "/redirect" => (
                "301 Moved Permanently".into(),
                vec![("Location".into(), "/json".into())],
                vec![],
            ),
            "/secret" => match seen.header("authorization") {
                Some("Basic dTpw") => ("200 OK".into(), vec![], b"in".to_vec()),
                _ => (
                    "401 Unauthorized".into(),
                    vec![("WWW-Authenticate".into(), "Basic realm=\"x\"".into())],
                    b"out".to_vec(),
                ),
            },
            _ => ("404 Not Found".into(), vec![], b"nope".to_vec()),
        }))
    }

    fn run(env: &Env, a: Value) -> ResultMap {
        URI.run(&env.ctx(&LocalConnection::new()), &args(a))
            .result()
    }

    // Keys and messages as uri.py and module_utils/urls.py build them; the differential test
    // `uri` compares them with ansible-playbook's on real hosts.
    #[test]
    fn json_headers_cookies_and_redirects() {
        let s = server();
        let env = Env::default();
        let r = run(&env, json!({"url": s.url("/json")}));
        assert_eq!(r["status"], 200, "{r:?}");
        assert_eq!(r["json"], json!({"a": [1, 2], "b": null}));
        assert_eq!(r["x_request_id"], "abc");
        assert_eq!(r["content_type"], "application/json");
        assert_eq!(r["msg"], "OK (24 bytes)");
        assert_eq!(r["cookies"], json!({"sid": "42"}));
        assert_eq!(r["cookies_string"], "sid=42");
        assert_eq!(r["redirected"], false);
        assert!(!r.contains_key("content"));
        let r = run(
            &env,
            json!({"url": s.url("/redirect"), "return_content": true}),
        );
        assert_eq!(r["redirected"], true, "{r:?}");
        assert_eq!(r["url"], s.url("/json"));
        assert_eq!(r["content"], r#"{"a": [1, 2], "b": null}"#);
        let r = run(
            &env,
            json!({"url": s.url("/redirect"), "follow_redirects": "none"}),
        );
        assert_eq!(
            r["msg"],
            "Status code was 301 and not [200]: HTTP Error 301: Moved Permanently"
        );
        assert_eq!(r["location"], s.url("/json"));
    }

    #[test]
    fn bodies_methods_and_status_codes() {
        let s = server();
        let env = Env::default();
        let r = run(
            &env,
            json!({"url": s.url("/echo"), "method": "post", "body_format": "json",
                   "body": {"k": "v", "n": [1]}, "status_code": [200, 201], "return_content": true}),
        );
        assert_eq!(
            r["content"], r#"POST application/json {"k": "v", "n": [1]}"#,
            "{r:?}"
        );
        let r = run(
            &env,
            json!({"url": s.url("/echo"), "method": "PUT", "body_format": "form-urlencoded",
                   "body": {"a b": "c&d", "l": [1, 2]}, "status_code": "201", "return_content": true}),
        );
        assert_eq!(
            r["content"], "PUT application/x-www-form-urlencoded a+b=c%26d&l=1&l=2",
            "{r:?}"
        );
        let r = run(&env, json!({"url": s.url("/echo")}));
        assert_eq!(r["failed"], true);
        assert_eq!(r["msg"], "Status code was 201 and not [200]: OK (6 bytes)");
        assert_eq!(r["content_length"], "6");
        let r = run(&env, json!({"url": s.url("/missing"), "status_code": 404}));
        assert_eq!(r.get("failed"), None, "{r:?}");
        assert_eq!(r["body"], "nope");
        assert_eq!(r["msg"], "HTTP Error 404: Not Found");
        let r = run(&env, json!({"url": s.url("/x"), "method": "GE T"}));
        assert_eq!(
            r["msg"],
            "Parameter 'method' needs to be a single word in uppercase, like GET or POST."
        );
        let r = run(
            &env,
            json!({"url": s.url("/x"), "body": "a", "src": "b", "remote_src": true}),
        );
        assert_eq!(r["msg"], "parameters are mutually exclusive: body|src");
    }

    #[test]
    fn auth_dest_and_creates() {
        let s = server();
        let env = Env::default();
        let r = run(
            &env,
            json!({"url": s.url("/secret"), "url_username": "u", "url_password": "p", "return_content": true}),
        );
        assert_eq!(r["content"], "in", "{r:?}");
        let n = s.requests().len();
        let r = run(
            &env,
            json!({"url": s.url("/secret"), "user": "u", "password": "p", "force_basic_auth": true}),
        );
        assert_eq!(r["status"], 200, "{r:?}");
        assert_eq!(
            s.requests().len(),
            n + 1,
            "force_basic_auth sends the header at once"
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let r = run(
            &env,
            json!({"url": s.url("/json"), "dest": d, "mode": "0600"}),
        );
        assert_eq!(r["changed"], true, "{r:?}");
        assert_eq!(r["path"], format!("{d}/json"));
        assert_eq!(r["mode"], "0600");
        let r = run(
            &env,
            json!({"url": s.url("/json"), "creates": format!("{d}/json")}),
        );
        assert_eq!(r["stdout"], format!("skipped, since '{d}/json' exists"));
        let env = Env {
            check_mode: true,
            ..Env::default()
        };
        let r = run(&env, json!({"url": s.url("/json")}));
        assert_eq!(r["skipped"], true);
    }
}

//! HTTP requests made from the target's network view, as Ansible's `fetch_url` makes them on
//! the target (`get_url`, `uri`, `unarchive` of a URL).
//!
//! Each request is sent one hop at a time and the redirect decisions, cookies and error
//! messages are taken here, so every transport behaves the same:
//! - **curl on the target** (the normal case): one `curl -q -K -` per hop, its options (URL,
//!   headers, credentials) given as a config on stdin so nothing the user wrote appears on a
//!   command line; the body lands in a file of the module's temp dir on the target;
//! - **the controller** when the target has no curl (Debian minbase has neither curl nor
//!   wget): the hop is sent from here with `ureq` and the body uploaded to the same file. The
//!   request then comes from the controller's network view, which is the one difference.

use std::fmt::Write as _;
use std::time::Duration;

use base64::Engine as _;
use rsible_connection::shell::quote;

use crate::args::{de_bool, de_opt_int, de_opt_list, de_opt_string};
use crate::target::script::run_script;
use crate::{ModuleContext, ModuleError, PutOptions};

/// Shell line printing `httptool:curl` or `httptool:none`, for a module's probe script.
pub(crate) const TOOL_PROBE: &str =
    "if command -v curl >/dev/null 2>&1; then echo httptool:curl; else echo httptool:none; fi\n";

/// Which way requests go, from a probe's `httptool:` line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Transport {
    Curl,
    #[default]
    Controller,
}

impl Transport {
    pub(crate) fn from_probe(text: &str) -> Transport {
        if text.lines().any(|l| l == "httptool:curl") {
            Transport::Curl
        } else {
            Transport::Controller
        }
    }
}

/// `follow_redirects`, as `HTTPRedirectHandler` reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Follow {
    Urllib2,
    All,
    Safe,
    None,
}

impl Follow {
    pub(crate) fn parse(s: &str) -> Follow {
        match s {
            "all" | "yes" => Follow::All,
            "safe" => Follow::Safe,
            "no" | "none" => Follow::None,
            _ => Follow::Urllib2,
        }
    }
}

/// A request body: bytes from the controller, or a file already on the target.
#[derive(Clone, Debug)]
pub(crate) enum Body {
    Bytes(Vec<u8>),
    TargetFile(String),
}

/// One request, with the options of Ansible's `url_argument_spec`.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub method: String,
    pub url: String,
    /// The user's headers, in order, as written.
    pub headers: Vec<(String, String)>,
    /// Lowercased names of headers not sent again after a redirect.
    pub unredirected: Vec<String>,
    pub body: Option<Body>,
    pub follow: Follow,
    pub timeout: u64,
    pub validate_certs: bool,
    pub use_proxy: bool,
    pub http_agent: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub force_basic_auth: bool,
    pub use_netrc: bool,
    /// `cache-control: no-cache`.
    pub force: bool,
    /// `If-Modified-Since` (epoch seconds) when not `force`.
    pub last_mod_time: Option<i64>,
    pub ca_path: Option<String>,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    pub ciphers: Option<Vec<String>>,
    pub unix_socket: Option<String>,
}

impl Request {
    pub(crate) fn get(url: &str) -> Request {
        Request {
            method: "GET".into(),
            url: url.to_owned(),
            headers: Vec::new(),
            unredirected: Vec::new(),
            body: None,
            follow: Follow::Urllib2,
            timeout: 10,
            validate_certs: true,
            use_proxy: true,
            http_agent: Some("ansible-httpget".into()),
            username: None,
            password: None,
            force_basic_auth: false,
            use_netrc: true,
            force: false,
            last_mod_time: None,
            ca_path: None,
            client_cert: None,
            client_key: None,
            ciphers: None,
            unix_socket: None,
        }
    }
}

/// `url_argument_spec()` plus the request options get_url and uri share.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct UrlArgs {
    #[serde(default, deserialize_with = "de_opt_string")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub force: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub http_agent: Option<String>,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub use_proxy: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub validate_certs: bool,
    #[serde(
        default,
        alias = "username",
        alias = "user",
        deserialize_with = "de_opt_string"
    )]
    pub url_username: Option<String>,
    #[serde(default, alias = "password", deserialize_with = "de_opt_string")]
    pub url_password: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub force_basic_auth: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub client_cert: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub client_key: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub use_gssapi: bool,
    #[serde(default)]
    pub headers: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default, deserialize_with = "de_opt_int")]
    pub timeout: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_list")]
    pub unredirected_headers: Option<Vec<String>>,
    /// urllib asks for no compression, so only a server sending gzip unasked is affected:
    /// its body is kept as sent.
    #[serde(default = "yes", deserialize_with = "de_bool")]
    #[expect(dead_code, reason = "accepted; see above")]
    pub decompress: bool,
    #[serde(default, deserialize_with = "de_opt_list")]
    pub ciphers: Option<Vec<String>>,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub use_netrc: bool,
}

fn yes() -> bool {
    true
}

impl UrlArgs {
    /// What rsible cannot do as asked.
    pub(crate) fn refusal(&self) -> Option<String> {
        self.use_gssapi.then(|| {
            "rsible does not do GSSAPI (Kerberos) authentication: remove use_gssapi".to_owned()
        })
    }

    /// The request these options describe (`timeout` defaulting to the module's).
    pub(crate) fn request(&self, method: &str, default_timeout: u64) -> Request {
        let url = self.url.clone().unwrap_or_default();
        let headers = self
            .headers
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), crate::args::scalar_text(v)))
            .collect();
        Request {
            method: method.to_owned(),
            url,
            headers,
            unredirected: self
                .unredirected_headers
                .iter()
                .flatten()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            body: None,
            follow: Follow::Urllib2,
            // At most a year, so no deadline overflows.
            timeout: self
                .timeout
                .and_then(|t| u64::try_from(t).ok())
                .unwrap_or(default_timeout)
                .min(365 * 86_400),
            validate_certs: self.validate_certs,
            use_proxy: self.use_proxy,
            http_agent: Some(
                self.http_agent
                    .clone()
                    .unwrap_or_else(|| "ansible-httpget".into()),
            ),
            username: self.url_username.clone(),
            password: self.url_password.clone(),
            force_basic_auth: self.force_basic_auth,
            use_netrc: self.use_netrc,
            force: self.force,
            last_mod_time: None,
            ca_path: None,
            client_cert: self.client_cert.clone(),
            client_key: self.client_key.clone(),
            ciphers: self.ciphers.clone(),
            unix_socket: None,
        }
    }
}

/// How the request ended, as `fetch_url`'s `info` tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A 2xx response (`r` is the response).
    Ok,
    /// `HTTPError`: a response whose status urllib does not accept (`r` is the error).
    HttpError,
    /// No response: `URLError`, `OSError` … (`status: -1`, `r` is None).
    Failed,
}

/// What `fetch_url` returns, with the body left in a file on the target.
#[derive(Clone, Debug)]
pub(crate) struct Response {
    pub outcome: Outcome,
    pub status: i64,
    /// `info['msg']`: `OK (N bytes)`, `HTTP Error 404: Not Found`, `Request failed: …`.
    pub msg: String,
    /// `info['url']`: the final URL when the request succeeded, else the one asked for
    /// (masked).
    pub url: String,
    /// Response headers: names lowercased, repeated ones joined with `, `, in order.
    pub headers: Vec<(String, String)>,
    /// The cookie jar after the request, in `CookieJar` iteration order.
    pub cookies: Vec<(String, String)>,
    /// Where the body is on the target (absent when there was no response).
    pub body_path: Option<String>,
    /// The body, when the controller already holds it.
    local: Option<Vec<u8>>,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body's bytes (read from the target unless already here).
    pub(crate) fn body(&self, ctx: &ModuleContext<'_>) -> Result<Vec<u8>, ModuleError> {
        if let Some(b) = &self.local {
            return Ok(b.clone());
        }
        match &self.body_path {
            Some(p) => Ok(ctx.conn.read_file(p, ctx.become_.as_ref())?),
            None => Ok(Vec::new()),
        }
    }

    /// `info` as `fetch_url` builds it: url, status, the headers, cookies (on success), msg.
    pub(crate) fn info(&self) -> crate::ResultMap {
        use serde_json::json;
        let mut m = crate::ResultMap::new();
        m.insert("url".into(), json!(self.url));
        m.insert("status".into(), json!(self.status));
        for (k, v) in &self.headers {
            m.insert(k.clone(), json!(v));
        }
        if self.outcome == Outcome::Ok {
            let s: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            m.insert("cookies_string".into(), json!(s.join("; ")));
            let d: serde_json::Map<String, serde_json::Value> = self
                .cookies
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            m.insert("cookies".into(), serde_json::Value::Object(d));
        }
        // Re-inserted last, as `info.update(msg=…, url=…, status=…)` leaves them in place.
        m.insert("msg".into(), json!(self.msg));
        m.insert("url".into(), json!(self.url));
        m.insert("status".into(), json!(self.status));
        m
    }
}

/// One hop's raw answer.
struct Hop {
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    /// Set when the transport failed: `fetch_url`'s message.
    error: Option<String>,
    local: Option<Vec<u8>>,
}

/// Sends `req` from the target's view, the body of the last response going to `out` (a
/// path in the module's temp dir `tmp` on the target).
pub(crate) fn send(
    ctx: &ModuleContext<'_>,
    transport: Transport,
    req: &Request,
    tmp: &str,
    out: &str,
) -> Result<Response, ModuleError> {
    let masked = mask_url(&req.url);
    let (mut url, url_creds) = strip_credentials(&req.url);
    let (username, password) = match (&req.username, url_creds) {
        (Some(u), _) if !u.is_empty() => (Some(u.clone()), req.password.clone()),
        (_, Some((u, p))) => (Some(u), Some(p)),
        _ => (None, None),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(a) = req.http_agent.as_ref().filter(|a| !a.is_empty()) {
        headers.push(("User-agent".into(), a.clone()));
    }
    if req.force {
        headers.push(("Cache-control".into(), "no-cache".into()));
    } else if let Some(t) = req.last_mod_time {
        headers.push(("If-modified-since".into(), rfc2822_gmt(t)));
    }
    let mut challenge_auth = None;
    if let Some(u) = &username {
        let header = basic_auth(u, password.as_deref().unwrap_or(""));
        if req.force_basic_auth {
            headers.push(("Authorization".into(), header));
        } else {
            challenge_auth = Some((u.clone(), password.clone().unwrap_or_default()));
        }
    }
    for (k, v) in &req.headers {
        set_header(&mut headers, k, v);
    }
    let mut method = req.method.to_ascii_uppercase();
    let mut body = req.body.clone();
    let mut jar = CookieJar::default();
    let mut visited: Vec<String> = Vec::new();
    let body_file = format!("{tmp}/.rsible-body");
    if let (Transport::Curl, Some(Body::Bytes(b))) = (transport, &body) {
        ctx.conn.put_file(
            b,
            &body_file,
            &PutOptions {
                mode: Some(0o600),
                become_: ctx.become_.clone(),
            },
        )?;
    }
    loop {
        let mut hop_headers = headers.clone();
        if let Some(c) = jar.header(&url) {
            set_header(&mut hop_headers, "Cookie", &c);
        }
        let netrc = req.use_netrc && username.is_none();
        let hop = match transport {
            Transport::Curl => {
                let data = match &body {
                    Some(Body::Bytes(_)) => Some(body_file.clone()),
                    Some(Body::TargetFile(p)) => Some(p.clone()),
                    None => None,
                };
                curl_hop(
                    ctx,
                    req,
                    &method,
                    &url,
                    &hop_headers,
                    data.as_deref(),
                    challenge_auth.as_ref(),
                    netrc,
                    tmp,
                    out,
                )?
            }
            Transport::Controller => {
                let data = match &body {
                    Some(Body::Bytes(b)) => Some(b.clone()),
                    Some(Body::TargetFile(p)) => Some(ctx.conn.read_file(p, ctx.become_.as_ref())?),
                    None => None,
                };
                let mut hop = local_hop(req, &method, &url, &hop_headers, data.as_deref());
                if hop.status == 401 && hop.error.is_none() {
                    if let Some((u, p)) = &challenge_auth {
                        let basic = hop.headers.iter().any(|(k, v)| {
                            k == "www-authenticate" && v.to_ascii_lowercase().starts_with("basic")
                        });
                        if basic {
                            set_header(&mut hop_headers, "Authorization", &basic_auth(u, p));
                            hop = local_hop(req, &method, &url, &hop_headers, data.as_deref());
                        }
                    }
                }
                hop
            }
        };
        if let Some(msg) = hop.error {
            return Ok(Response {
                outcome: Outcome::Failed,
                status: -1,
                msg,
                url: masked,
                headers: Vec::new(),
                cookies: Vec::new(),
                body_path: None,
                local: None,
            });
        }
        for (k, v) in &hop.headers {
            if k == "set-cookie" {
                for c in v.split('\n') {
                    jar.set(&url, c);
                }
            }
        }
        let headers_joined = join_headers(&hop.headers);
        let status = hop.status;
        let finish =
            |outcome: Outcome, msg: String, final_url: String| -> Result<Response, ModuleError> {
                if let (Some(b), Transport::Controller) = (&hop.local, transport) {
                    ctx.conn.put_file(
                        b,
                        out,
                        &PutOptions {
                            mode: Some(0o600),
                            become_: ctx.become_.clone(),
                        },
                    )?;
                }
                Ok(Response {
                    outcome,
                    status: i64::from(status),
                    msg,
                    url: final_url,
                    headers: headers_joined.clone(),
                    cookies: jar.list(),
                    body_path: Some(out.to_owned()),
                    local: hop.local.clone(),
                })
            };
        let location = hop
            .headers
            .iter()
            .find(|(k, _)| k == "location" || k == "uri")
            .map(|(_, v)| v.clone());
        if (300..400).contains(&status) {
            if let Some(loc) = location.filter(|_| matches!(status, 301 | 302 | 303 | 307 | 308)) {
                let follows = match req.follow {
                    Follow::None => false,
                    Follow::Urllib2 => {
                        matches!(method.as_str(), "GET" | "HEAD")
                            || (matches!(status, 301..=303) && method == "POST")
                    }
                    Follow::All => true,
                    Follow::Safe => matches!(method.as_str(), "GET" | "HEAD"),
                };
                if follows {
                    let new_url = urljoin(&url, &loc).replace(' ', "%20");
                    if visited.len() >= 10 || visited.contains(&new_url) {
                        let msg = format!(
                            "HTTP Error {status}: The HTTP server returned a redirect error that would lead to an infinite loop.\nThe last 30x error message was:\n{}",
                            hop.reason
                        );
                        return finish(Outcome::HttpError, msg, masked);
                    }
                    visited.push(new_url.clone());
                    if !matches!(status, 307 | 308) {
                        body = None;
                        headers.retain(|(k, _)| {
                            !matches!(
                                k.to_ascii_lowercase().as_str(),
                                "content-length" | "content-type" | "transfer-encoding"
                            )
                        });
                        if req.follow == Follow::Urllib2 {
                            method = if method == "HEAD" { "HEAD" } else { "GET" }.into();
                        } else if (matches!(status, 302 | 303) && method != "HEAD")
                            || (status == 301 && method == "POST")
                        {
                            method = "GET".into();
                        }
                    }
                    headers.retain(|(k, _)| !req.unredirected.contains(&k.to_ascii_lowercase()));
                    url = new_url;
                    continue;
                }
            }
        }
        if (200..300).contains(&status) {
            let len = hop
                .headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .map_or("unknown".to_owned(), |(_, v)| v.clone());
            return finish(Outcome::Ok, format!("OK ({len} bytes)"), mask_url(&url));
        }
        return finish(
            Outcome::HttpError,
            format!("HTTP Error {status}: {}", hop.reason),
            masked,
        );
    }
}

/// Sets a header the way `Request.add_header` does: names are compared capitalised, and a
/// later value replaces an earlier one in place.
fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    match headers
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
    {
        Some(h) => *h = (name.to_owned(), value.to_owned()),
        None => headers.push((name.to_owned(), value.to_owned())),
    }
}

/// Lowercased names; a repeated header's values joined with `, ` (Set-Cookie lines with
/// newlines, for the jar, then joined like the rest).
fn join_headers(raw: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in raw {
        let v = v.replace('\n', ", ");
        match out.iter_mut().find(|(n, _)| n == k) {
            Some((_, old)) => {
                old.push_str(", ");
                old.push_str(&v);
            }
            None => out.push((k.clone(), v)),
        }
    }
    out
}

/// A value in curl's config-file syntax.
fn cq(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// curl's config for one hop (everything the user wrote goes here, never on a command line).
#[expect(clippy::too_many_arguments, reason = "one hop's whole description")]
fn curl_config(
    req: &Request,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    data: Option<&str>,
    auth: Option<&(String, String)>,
    netrc: bool,
    out: &str,
    head_file: &str,
) -> String {
    let mut c = String::from("silent\nshow-error\nhttp1.1\n");
    let _ = writeln!(c, "url = {}", cq(url));
    if method == "HEAD" {
        c.push_str("head\n");
        let _ = writeln!(c, "output = \"/dev/null\"");
    } else {
        let _ = writeln!(c, "request = {}", cq(method));
        let _ = writeln!(c, "output = {}", cq(out));
    }
    let _ = writeln!(c, "dump-header = {}", cq(head_file));
    // urllib sends no Accept header.
    c.push_str("header = \"Accept:\"\n");
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
    {
        c.push_str("header = \"User-Agent:\"\n");
    }
    for (k, v) in headers {
        let line = if v.is_empty() {
            format!("{k};")
        } else {
            format!("{k}: {v}")
        };
        let _ = writeln!(c, "header = {}", cq(&line));
    }
    if let Some(d) = data {
        let _ = writeln!(c, "data-binary = {}", cq(&format!("@{d}")));
    }
    if let Some((u, p)) = auth {
        c.push_str("anyauth\n");
        let _ = writeln!(c, "user = {}", cq(&format!("{u}:{p}")));
    } else if netrc {
        c.push_str("netrc-optional\n");
    }
    let _ = writeln!(c, "connect-timeout = {}", req.timeout.max(1));
    let _ = writeln!(c, "speed-time = {}", req.timeout.max(1));
    c.push_str("speed-limit = 1\n");
    if !req.validate_certs {
        c.push_str("insecure\n");
    }
    if !req.use_proxy {
        c.push_str("noproxy = \"*\"\n");
    }
    for (opt, v) in [
        ("cacert", &req.ca_path),
        ("cert", &req.client_cert),
        ("key", &req.client_key),
        ("unix-socket", &req.unix_socket),
    ] {
        if let Some(v) = v {
            let _ = writeln!(c, "{opt} = {}", cq(v));
        }
    }
    if let Some(ci) = &req.ciphers {
        let _ = writeln!(c, "ciphers = {}", cq(&ci.join(":")));
    }
    c
}

#[expect(clippy::too_many_arguments, reason = "one hop's whole description")]
fn curl_hop(
    ctx: &ModuleContext<'_>,
    req: &Request,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    data: Option<&str>,
    auth: Option<&(String, String)>,
    netrc: bool,
    tmp: &str,
    out: &str,
) -> Result<Hop, ModuleError> {
    let h = format!("{tmp}/.rsible-headers");
    let e = format!("{tmp}/.rsible-stderr");
    let config = curl_config(req, method, url, headers, data, auth, netrc, out, &h);
    let touch = if method == "HEAD" {
        format!(": > {}; ", quote(out))
    } else {
        String::new()
    };
    let script = format!(
        "h={}; e={}; {touch}curl -q -K - 2>\"$e\"; echo \"rc:$?\"; \
         echo \"h:$(base64 -w0 < \"$h\" 2>/dev/null)\"; echo \"e:$(base64 -w0 < \"$e\")\"; rm -f -- \"$h\" \"$e\"",
        quote(&h),
        quote(&e)
    );
    let mut r = crate::target::script::task_request(ctx, crate::ExecRequest::shell(script));
    r.stdin = Some(config.into_bytes());
    let o = ctx.conn.exec(&r)?;
    let text = String::from_utf8_lossy(&o.stdout);
    let (mut rc, mut head, mut err) = (-1, String::new(), String::new());
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("rc:") {
            rc = v.trim().parse().unwrap_or(-1);
        } else if let Some(v) = line.strip_prefix("h:") {
            head = b64_text(v);
        } else if let Some(v) = line.strip_prefix("e:") {
            err = b64_text(v);
        }
    }
    let (status, reason, hdrs) = parse_head(&head);
    if rc != 0 || status == 0 {
        return Ok(Hop {
            status: 0,
            reason: String::new(),
            headers: Vec::new(),
            error: Some(curl_failure(rc, &err)),
            local: None,
        });
    }
    Ok(Hop {
        status,
        reason,
        headers: hdrs,
        error: None,
        local: None,
    })
}

fn b64_text(s: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// The last header block of curl's `--dump-header` (earlier ones are a 401 challenge or a
/// `100 Continue`): status, reason and headers with lowercased names.
fn parse_head(text: &str) -> (u16, String, Vec<(String, String)>) {
    let text = text.replace("\r\n", "\n");
    let block = text
        .split("\n\n")
        .filter(|b| b.starts_with("HTTP/"))
        .last()
        .unwrap_or("");
    let mut lines = block.lines();
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let status = parts.nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let reason = parts.next().unwrap_or("").trim().to_owned();
    let mut headers = Vec::new();
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    (status, reason, headers)
}

/// `fetch_url`'s message for what made curl fail.
fn curl_failure(rc: i32, stderr: &str) -> String {
    let stderr = stderr.trim();
    let errno = |n: i32, text: &str| format!("Request failed: <urlopen error [Errno {n}] {text}>");
    match rc {
        6 => errno(-2, "Name or service not known"),
        7 if stderr.contains("No route to host") => errno(113, "No route to host"),
        7 if stderr.contains("Network is unreachable") => errno(101, "Network is unreachable"),
        7 if stderr.contains("No such file") => errno(2, "No such file or directory"),
        7 => errno(111, "Connection refused"),
        28 if stderr.contains("onnect") => "Request failed: <urlopen error timed out>".to_owned(),
        28 => "Connection failure: The read operation timed out".to_owned(),
        52 => "Connection failure: Remote end closed connection without response".to_owned(),
        60 => format!(
            "Request failed: <urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {}>",
            stderr.trim_start_matches("curl: (60) ")
        ),
        _ => format!(
            "Request failed: <urlopen error {}>",
            stderr.trim_start_matches(|c: char| c != ')').trim_start_matches(") ")
        ),
    }
}

/// One hop from the controller.
fn local_hop(
    req: &Request,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    data: Option<&[u8]>,
) -> Hop {
    let failed = |msg: String| Hop {
        status: 0,
        reason: String::new(),
        headers: Vec::new(),
        error: Some(msg),
        local: None,
    };
    if req.unix_socket.is_some() || req.client_cert.is_some() {
        return failed(
            "Request failed: the target has no curl, and rsible sends requests over a unix_socket or with a client_cert only through the target's curl".to_owned(),
        );
    }
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(!req.validate_certs)
        .build();
    let t = Some(Duration::from_secs(req.timeout.max(1)));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_connect(t)
        .timeout_per_read(t)
        .tls_config(tls)
        .user_agent(ureq::config::AutoHeaderValue::None)
        .accept(ureq::config::AutoHeaderValue::None)
        .accept_encoding(ureq::config::AutoHeaderValue::None)
        .proxy(if req.use_proxy {
            ureq::Proxy::try_from_env()
        } else {
            None
        })
        .build()
        .into();
    let mut b = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let request = match b.body(data.map(<[u8]>::to_vec).unwrap_or_default()) {
        Ok(r) => r,
        Err(e) => return failed(format!("Request failed: <urlopen error {e}>")),
    };
    let mut resp = match agent.run(request) {
        Ok(r) => r,
        Err(e) => return failed(local_failure(&e)),
    };
    let status = resp.status().as_u16();
    let reason = resp.status().canonical_reason().unwrap_or("").to_owned();
    let mut hdrs: Vec<(String, String)> = Vec::new();
    for (k, v) in resp.headers() {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        let k = k.as_str().to_ascii_lowercase();
        match hdrs.iter_mut().find(|(n, _)| *n == k && k == "set-cookie") {
            Some((_, old)) => {
                old.push('\n');
                old.push_str(&v);
            }
            None => hdrs.push((k, v)),
        }
    }
    let body = if method == "HEAD" {
        Vec::new()
    } else {
        match resp.body_mut().with_config().limit(u64::MAX).read_to_vec() {
            Ok(b) => b,
            Err(e) => return failed(format!("Connection failure: {e}")),
        }
    };
    Hop {
        status,
        reason,
        headers: hdrs,
        error: None,
        local: Some(body),
    }
}

fn local_failure(e: &ureq::Error) -> String {
    let errno = |n: i32, text: &str| format!("Request failed: <urlopen error [Errno {n}] {text}>");
    match e {
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            errno(111, "Connection refused")
        }
        ureq::Error::Io(io) => match io.raw_os_error() {
            Some(113) => errno(113, "No route to host"),
            Some(101) => errno(101, "Network is unreachable"),
            _ => format!("Connection failure: {io}"),
        },
        ureq::Error::HostNotFound => errno(-2, "Name or service not known"),
        ureq::Error::Timeout(_) => "Request failed: <urlopen error timed out>".to_owned(),
        other => format!("Request failed: <urlopen error {other}>"),
    }
}

/// A minimal cookie jar: cookies per (host, path, name), listed as `CookieJar` iterates
/// them (sorted by domain, then path, then name).
#[derive(Default)]
struct CookieJar {
    cookies: Vec<(String, String, String, String)>,
}

impl CookieJar {
    fn set(&mut self, url: &str, line: &str) {
        let mut parts = line.split(';');
        let Some((name, value)) = parts.next().and_then(|nv| nv.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim().to_owned(), value.trim().to_owned());
        let host = url_host(url);
        let mut path = default_path(url);
        let mut expired = false;
        for attr in parts {
            let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
            match k.trim().to_ascii_lowercase().as_str() {
                "path" if v.trim().starts_with('/') => path = v.trim().to_owned(),
                "max-age" => expired = v.trim().parse::<i64>().is_ok_and(|n| n <= 0),
                _ => {}
            }
        }
        self.cookies
            .retain(|(h, p, n, _)| !(*h == host && *p == path && *n == name));
        if !expired {
            self.cookies.push((host, path, name, value));
        }
    }

    fn list(&self) -> Vec<(String, String)> {
        let mut c = self.cookies.clone();
        c.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
        c.into_iter().map(|(_, _, n, v)| (n, v)).collect()
    }

    /// The `Cookie` header for a request to `url`.
    fn header(&self, url: &str) -> Option<String> {
        let host = url_host(url);
        let path = url_path(url);
        let mut matching: Vec<&(String, String, String, String)> = self
            .cookies
            .iter()
            .filter(|(h, p, _, _)| *h == host && path.starts_with(p.as_str()))
            .collect();
        if matching.is_empty() {
            return None;
        }
        matching.sort_by_key(|c| std::cmp::Reverse(c.1.len()));
        Some(
            matching
                .iter()
                .map(|(_, _, n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }
}

fn default_path(url: &str) -> String {
    let p = url_path(url);
    match p.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(i) => p[..i].to_owned(),
    }
}

/// The URL's host (no port, no credentials), lowercased.
fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let netloc = &rest[..end];
    let hostport = netloc.rsplit_once('@').map_or(netloc, |(_, h)| h);
    let host = if hostport.starts_with('[') {
        hostport
            .split_once(']')
            .map_or(hostport, |(h, _)| h)
            .trim_start_matches('[')
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    host.to_ascii_lowercase()
}

/// The URL's path (without query or fragment), `/` when empty.
pub(crate) fn url_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    let path = path.split(['?', '#']).next().unwrap_or("");
    if path.is_empty() {
        "/".to_owned()
    } else {
        path.to_owned()
    }
}

/// `urljoin(base, reference)` for the references servers send in `Location`.
pub(crate) fn urljoin(base: &str, reference: &str) -> String {
    if reference.is_empty() {
        return base.to_owned();
    }
    if let Some(i) = reference.find("://") {
        if reference[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return reference.to_owned();
        }
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    if let Some(r) = reference.strip_prefix("//") {
        return format!("{scheme}://{r}");
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let netloc = &rest[..end];
    if reference.starts_with('/') {
        return format!("{scheme}://{netloc}{}", remove_dots(reference));
    }
    let path = url_path(base);
    if reference.starts_with('?') {
        return format!("{scheme}://{netloc}{path}{reference}");
    }
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    format!(
        "{scheme}://{netloc}{}",
        remove_dots(&format!("{dir}{reference}"))
    )
}

fn remove_dots(path: &str) -> String {
    let (p, tail) = match path.find(['?', '#']) {
        Some(i) => path.split_at(i),
        None => (path, ""),
    };
    let mut out: Vec<&str> = Vec::new();
    let segs: Vec<&str> = p.split('/').collect();
    for (i, s) in segs.iter().enumerate() {
        match *s {
            "." => {
                if i == segs.len() - 1 {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if i == segs.len() - 1 {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("{}{tail}", out.join("/"))
}

/// `basic_auth_header`.
fn basic_auth(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// `rfc2822_date_string(t, 'GMT')`: `Mon, 02 Jan 2006 15:04:05 GMT`.
fn rfc2822_gmt(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}

/// The URL without its `user:password@`, and those credentials (percent-decoded) when there.
fn strip_credentials(url: &str) -> (String, Option<(String, String)>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (netloc, tail) = rest.split_at(end);
    let Some((creds, host)) = netloc.split_once('@') else {
        return (url.to_owned(), None);
    };
    let (u, p) = creds.split_once(':').unwrap_or((creds, ""));
    (
        format!("{scheme}://{host}{tail}"),
        Some((unquote(u), unquote(p))),
    )
}

/// `urllib.parse.unquote`.
pub(crate) fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `mask_url`: credentials in the URL become `****`.
pub(crate) fn mask_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (netloc, tail) = rest.split_at(end);
    let Some((user, host)) = netloc.rsplit_once('@') else {
        return url.to_owned();
    };
    let masked = if user.contains(':') {
        "****:****"
    } else {
        "****"
    };
    format!("{scheme}://{masked}@{host}{tail}")
}

/// The URL's path basename.
pub(crate) fn url_basename(url: &str) -> String {
    let path = url_path(url);
    path.rsplit('/').next().unwrap_or("").to_owned()
}

/// The `filename` parameter of a `Content-Disposition` header, as its basename.
pub(crate) fn disposition_filename(header: &str) -> Option<String> {
    for part in header.split(';').skip(1) {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        if !k.trim().eq_ignore_ascii_case("filename") {
            continue;
        }
        let v = v.trim();
        let v = match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
            None => v.to_owned(),
        };
        let base = v.rsplit('/').next().unwrap_or("").to_owned();
        return (!base.is_empty()).then_some(base);
    }
    None
}

/// `parse_content_type`: (content type, main type, sub type, charset), as `email.message`
/// reads the header (`text/plain` without one).
pub(crate) fn content_type(header: Option<&str>) -> (String, String, String, String) {
    let raw = header.unwrap_or("");
    let mut parts = raw.split(';');
    let ct = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let ct = if ct.matches('/').count() == 1 {
        ct
    } else {
        "text/plain".to_owned()
    };
    let ct = ct.split(',').next().unwrap_or("").to_owned();
    let (main, sub) = ct.split_once('/').unwrap_or(("text", "plain"));
    let mut charset = "utf-8".to_owned();
    for p in parts {
        if let Some((k, v)) = p.split_once('=') {
            if k.trim().eq_ignore_ascii_case("charset") {
                charset = v
                    .trim()
                    .trim_matches('"')
                    .split(',')
                    .next()
                    .unwrap_or("")
                    .to_owned();
            }
        }
    }
    (ct.clone(), main.to_owned(), sub.to_owned(), charset)
}

/// Python's `_suffixes`: the final component's suffixes.
fn suffixes(name: &str) -> Vec<String> {
    if name.ends_with('.') {
        return Vec::new();
    }
    name.trim_start_matches('.')
        .split('.')
        .skip(1)
        .map(|s| format!(".{s}"))
        .collect()
}

/// `_split_multiext(name, 3, 4, 2)`, including its `rstrip(suffix)` (a strip of characters).
pub(crate) fn split_multiext(name: &str) -> (String, String) {
    let mut name = name.to_owned();
    let mut ext = String::new();
    for (i, sfx) in suffixes(&name.clone()).iter().rev().enumerate() {
        if i >= 2 {
            break;
        }
        if (3..=4).contains(&sfx.chars().count()) {
            ext = format!("{sfx}{ext}");
            let strip: Vec<char> = sfx.chars().collect();
            name = name.trim_end_matches(|c| strip.contains(&c)).to_owned();
        } else {
            break;
        }
    }
    (name, ext)
}

/// A random name as `tempfile` makes them: `[a-z0-9_]{8}`.
pub(crate) fn random_name() -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    (0..8)
        .map(|_| CHARS[rand::random::<u32>() as usize % CHARS.len()] as char)
        .collect()
}

/// Where `NamedTemporaryFile(dir=tmp, prefix, suffix)` of `fetch_file` puts a download.
pub(crate) fn temp_name(tmp: &str, url: &str) -> String {
    let (prefix, ext) = split_multiext(&url_basename(url));
    format!("{tmp}/{prefix}{}{ext}", random_name())
}

/// Removes the module's temp dir.
pub(crate) fn remove_tmp(ctx: &ModuleContext<'_>, tmp: &str) -> Result<(), ModuleError> {
    run_script(ctx, format!("rm -rf -- {}", quote(tmp)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from ansible.module_utils.urls._split_multiext and mask_url.
    #[test]
    fn names_like_fetch_file() {
        assert_eq!(split_multiext("x.tar.gz"), ("x".into(), ".tar.gz".into()));
        assert_eq!(
            split_multiext("v4.4-0.32.tar.gz"),
            ("v4.4-0.32".into(), ".tar.gz".into())
        );
        assert_eq!(
            split_multiext("iproute2-5.9.0.tar.gz"),
            ("iproute2-5.9.0".into(), ".tar.gz".into())
        );
        assert_eq!(split_multiext("a.zip"), ("a".into(), ".zip".into()));
        assert_eq!(split_multiext("archive"), ("archive".into(), String::new()));
        assert_eq!(split_multiext("data.tgz"), ("data".into(), ".tgz".into()));
        assert_eq!(
            split_multiext("foo.targz.gz"),
            ("foo.tar".into(), ".gz".into())
        );
        assert_eq!(mask_url("http://u:p@h/x.tgz"), "http://****:****@h/x.tgz");
        assert_eq!(mask_url("http://h/x.tgz"), "http://h/x.tgz");
        let n = temp_name("/t", "http://h/dir/x.tar.gz?y=1");
        assert!(
            n.starts_with("/t/x") && n.ends_with(".tar.gz") && n.len() == "/t/x".len() + 8 + 7,
            "{n}"
        );
    }

    // Expected values from Python's urllib.parse.urljoin and unquote.
    #[test]
    fn urls_like_python() {
        assert_eq!(urljoin("http://h:8/a/b?q", "/c"), "http://h:8/c");
        assert_eq!(urljoin("http://h/a/b", "c/d"), "http://h/a/c/d");
        assert_eq!(urljoin("http://h/a/b", "../c"), "http://h/c");
        assert_eq!(urljoin("http://h/a/b", "https://x/y"), "https://x/y");
        assert_eq!(urljoin("http://h/a/b", "//x/y"), "http://x/y");
        assert_eq!(urljoin("http://h/a/b", "?z=1"), "http://h/a/b?z=1");
        assert_eq!(unquote("a%20b%2"), "a b%2");
        assert_eq!(
            strip_credentials("http://us%40r:p%3Aw@h:1/x"),
            (
                "http://h:1/x".to_owned(),
                Some(("us@r".to_owned(), "p:w".to_owned()))
            )
        );
        assert_eq!(url_host("http://u@[::1]:80/x"), "::1");
        assert_eq!(url_basename("http://h/a/b.txt?x=/y"), "b.txt");
    }

    // Expected values from email.message's get_param / get_content_type and
    // rfc2822_date_string.
    #[test]
    fn headers_like_python() {
        assert_eq!(
            disposition_filename("attachment; filename=\"../x/y.bin\""),
            Some("y.bin".into())
        );
        assert_eq!(disposition_filename("inline"), None);
        assert_eq!(
            content_type(Some("Application/JSON; charset=\"latin-1\"")),
            (
                "application/json".into(),
                "application".into(),
                "json".into(),
                "latin-1".into()
            )
        );
        assert_eq!(content_type(None).0, "text/plain");
        assert_eq!(rfc2822_gmt(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            join_headers(&[
                ("a".into(), "1".into()),
                ("set-cookie".into(), "x=1\ny=2".into()),
                ("a".into(), "2".into())
            ]),
            vec![
                ("a".to_owned(), "1, 2".to_owned()),
                ("set-cookie".to_owned(), "x=1, y=2".to_owned())
            ]
        );
        let (s, r, h) = parse_head(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b: c\r\n\r\n",
        );
        assert_eq!((s, r.as_str()), (200, "OK"));
        assert_eq!(
            h,
            vec![
                ("content-length".to_owned(), "2".to_owned()),
                ("x-a".to_owned(), "b: c".to_owned())
            ]
        );
    }

    #[test]
    fn cookie_jar_orders_like_cookiejar() {
        let mut j = CookieJar::default();
        j.set("http://h/a/b", "z=1; Path=/");
        j.set("http://h/a/b", "b=2");
        j.set("http://h/a/b", "a=3; Path=/");
        j.set("http://h/a/b", "gone=1; Max-Age=0");
        assert_eq!(
            j.list(),
            vec![
                ("a".to_owned(), "3".to_owned()),
                ("z".to_owned(), "1".to_owned()),
                ("b".to_owned(), "2".to_owned())
            ]
        );
        assert_eq!(j.header("http://h/a/c").as_deref(), Some("b=2; z=1; a=3"));
        assert_eq!(j.header("http://other/").as_deref(), None);
    }

    /// Both transports give the same response for a redirect that sets a cookie.
    #[test]
    fn curl_and_controller_agree() {
        use crate::testing::{Env, HttpServer};
        let s = HttpServer::start(Box::new(|seen| match seen.path.as_str() {
            "/r" => (
                "302 Found".into(),
                vec![
                    ("Location".into(), "/ok".into()),
                    ("Set-Cookie".into(), "a=1; Path=/".into()),
                ],
                vec![],
            ),
            _ => (
                "200 OK".into(),
                vec![(
                    "X-Cookie".into(),
                    seen.header("cookie").unwrap_or("-").into(),
                )],
                seen.method.clone().into_bytes(),
            ),
        }));
        let env = Env::default();
        let conn = rsible_connection::local::LocalConnection::new();
        let ctx = env.ctx(&conn);
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().display().to_string();
        for t in [Transport::Curl, Transport::Controller] {
            let mut req = Request::get(&s.url("/r"));
            req.method = "POST".into();
            req.body = Some(Body::Bytes(b"x".to_vec()));
            let out = format!("{tmp}/out");
            let r = send(&ctx, t, &req, &tmp, &out).unwrap();
            assert_eq!((r.status, r.msg.as_str()), (200, "OK (3 bytes)"), "{t:?}");
            assert_eq!(r.url, s.url("/ok"));
            assert_eq!(r.header("x-cookie"), Some("a=1"), "{t:?}");
            assert_eq!(r.cookies, vec![("a".to_owned(), "1".to_owned())]);
            assert_eq!(std::fs::read(&out).unwrap(), b"GET", "{t:?}");
            assert_eq!(r.body(&ctx).unwrap(), b"GET");
        }
    }

    #[test]
    fn curl_config_quotes_everything() {
        let mut r = Request::get("http://h/x");
        r.validate_certs = false;
        let c = curl_config(
            &r,
            "POST",
            "http://h/x",
            &[
                ("X-Q".into(), "a\"b\\c".into()),
                ("X-E".into(), String::new()),
            ],
            Some("/t/b"),
            Some(&("u".into(), "p w".into())),
            false,
            "/t/out",
            "/t/h",
        );
        for line in [
            "url = \"http://h/x\"",
            "request = \"POST\"",
            "header = \"X-Q: a\\\"b\\\\c\"",
            "header = \"X-E;\"",
            "data-binary = \"@/t/b\"",
            "user = \"u:p w\"",
            "insecure",
        ] {
            assert!(c.lines().any(|l| l == line), "{line} not in\n{c}");
        }
    }
}

//! `url`: the content of URLs, fetched from the controller (ansible-core's `open_url`), on
//! `ureq`; `file://` URLs are read as urllib's `FileHandler` reads them.

use std::time::Duration;

use base64::Engine;
use serde_json::{Map, Value as Json};

use super::{plugin_error, plugin_error_from, split_lines};
use crate::convert::py_str;
use crate::TemplateError;

/// `mask_url`: the user name and password of a URL replaced by `****`.
fn mask_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (netloc, tail) = rest.split_at(end);
    let Some((creds, host)) = netloc.rsplit_once('@') else {
        return url.to_owned();
    };
    let masked = match creds.split_once(':') {
        Some((_, p)) if !p.is_empty() => "****:****",
        _ => "****",
    };
    format!("{scheme}://{masked}@{host}{tail}")
}

struct Options {
    validate_certs: bool,
    split_lines: bool,
    use_proxy: bool,
    username: Option<String>,
    password: Option<String>,
    headers: Vec<(String, String)>,
    timeout: f64,
    http_agent: String,
    follow: bool,
}

fn options(opts: &Map<String, Json>) -> Result<Options, TemplateError> {
    if opts.get("unix_socket").is_some_and(|s| !s.is_null()) {
        return Err(plugin_error(
            "url",
            "rsible does not implement the url lookup's unix_socket option",
        ));
    }
    let flag = |k: &str, d: bool| opts.get(k).map_or(d, crate::filters::truthy_word);
    let text = |k: &str| opts.get(k).filter(|v| !v.is_null()).map(py_str);
    let headers = match opts.get("headers") {
        Some(Json::Object(m)) => m.iter().map(|(k, v)| (k.clone(), py_str(v))).collect(),
        _ => Vec::new(),
    };
    let timeout = match opts.get("timeout") {
        Some(Json::Number(n)) => n.as_f64().unwrap_or(10.0),
        Some(Json::String(s)) => s.trim().parse().unwrap_or(10.0),
        _ => 10.0,
    };
    let redirects = text("follow_redirects").unwrap_or_else(|| "urllib2".to_owned());
    Ok(Options {
        validate_certs: flag("validate_certs", true),
        split_lines: flag("split_lines", true),
        use_proxy: flag("use_proxy", true),
        username: text("username"),
        password: text("password"),
        headers,
        timeout,
        http_agent: text("http_agent").unwrap_or_else(|| "ansible-httpget".to_owned()),
        follow: !matches!(redirects.as_str(), "none" | "no"),
    })
}

/// Python's `%`-decoding of a URL path (`url2pathname`).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One URL's body, or the lookup's error.
fn fetch(url: &str, o: &Options) -> Result<Vec<u8>, TemplateError> {
    let masked = mask_url(url);
    let failed = |why: String| {
        plugin_error_from(
            "url",
            format!("Failed lookup url for {masked}"),
            format!("<urlopen error {why}>"),
        )
    };
    let Some((scheme, rest)) = url.split_once(':').filter(|(s, _)| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    }) else {
        return Err(plugin_error(
            "url",
            format!("unknown url type: {}", crate::convert::py_str_repr(url)),
        ));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "file" => {
            let path = rest.strip_prefix("//").map_or(rest, |r| {
                // A host part other than localhost is not a local file.
                let end = r.find('/').unwrap_or(r.len());
                &r[end..]
            });
            let path = percent_decode(path.split(['?', '#']).next().unwrap_or(""));
            return std::fs::read(&path).map_err(|e| {
                let text = e.to_string();
                let strerror = text
                    .rsplit_once(" (os error ")
                    .map_or(text.as_str(), |(m, _)| m);
                failed(format!(
                    "[Errno {}] {strerror}: {}",
                    e.raw_os_error().unwrap_or(0),
                    crate::convert::py_str_repr(&path)
                ))
            });
        }
        "http" | "https" => {}
        // urllib's own refusal, which Ansible shows in one piece.
        other => {
            return Err(plugin_error(
                "url",
                format!(
                    "Failed lookup url for {masked}: <urlopen error unknown url type: {other}>"
                ),
            ))
        }
    }
    let t = Some(Duration::from_secs_f64(o.timeout.max(0.001)));
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(!o.validate_certs)
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(if o.follow { 10 } else { 0 })
        .http_status_as_error(false)
        .timeout_connect(t)
        .timeout_per_read(t)
        .tls_config(tls)
        .user_agent(ureq::config::AutoHeaderValue::None)
        .accept_encoding(ureq::config::AutoHeaderValue::None)
        .proxy(if o.use_proxy {
            ureq::Proxy::try_from_env()
        } else {
            None
        })
        .build()
        .into();
    let mut b = ureq::http::Request::builder()
        .method("GET")
        .uri(url)
        .header("User-Agent", o.http_agent.as_str());
    if let Some(user) = &o.username {
        let creds = format!("{user}:{}", o.password.clone().unwrap_or_default());
        let token = base64::engine::general_purpose::STANDARD.encode(creds);
        b = b.header("Authorization", format!("Basic {token}"));
    }
    for (k, v) in &o.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let request = b.body(()).map_err(|e| failed(e.to_string()))?;
    let mut resp = agent.run(request).map_err(|e| match &e {
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            failed("[Errno 111] Connection refused".to_owned())
        }
        ureq::Error::Io(io) if io.raw_os_error() == Some(113) => {
            failed("[Errno 113] No route to host".to_owned())
        }
        ureq::Error::HostNotFound => failed("[Errno -2] Name or service not known".to_owned()),
        ureq::Error::Timeout(_) => failed("timed out".to_owned()),
        other => failed(other.to_string()),
    })?;
    let status = resp.status();
    if status.as_u16() >= 300 {
        return Err(plugin_error_from(
            "url",
            format!("Received HTTP error for {masked}"),
            format!(
                "HTTP Error {}: {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            ),
        ));
    }
    resp.body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .map_err(|e| failed(e.to_string()))
}

pub(crate) fn url(terms: &[Json], opts: &Map<String, Json>) -> Result<Vec<Json>, TemplateError> {
    let o = options(opts)?;
    let mut out = Vec::new();
    for t in terms {
        let body = fetch(&py_str(t), &o)?;
        let text = String::from_utf8_lossy(&body).into_owned();
        if o.split_lines {
            out.extend(split_lines(&text).into_iter().map(Json::String));
        } else {
            out.push(Json::String(text));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    use super::*;

    /// Serves one canned answer per connection on loopback; returns the base URL and the
    /// request heads it saw.
    fn serve(answers: Vec<&'static str>) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}", l.local_addr().expect("addr"));
        let h = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for answer in answers {
                let Ok((mut s, _)) = l.accept() else { break };
                let mut head = String::new();
                let mut r = BufReader::new(s.try_clone().expect("clone"));
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                seen.push(head);
                let _ = s.write_all(answer.as_bytes());
            }
            seen
        });
        (base, h)
    }

    fn opts(v: serde_json::Value) -> Map<String, Json> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn fetches_lines_and_whole_text() {
        let ok = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\na\nb\r\nc\rd\n";
        let (base, h) = serve(vec![ok, ok]);
        let got = url(&[Json::String(format!("{base}/x"))], &Map::new()).expect("lines");
        assert_eq!(
            got,
            vec![
                Json::from("a"),
                Json::from("b"),
                Json::from("c"),
                Json::from("d")
            ]
        );
        let got = url(
            &[Json::String(format!("{base}/y"))],
            &opts(serde_json::json!({"split_lines": false, "headers": {"X-T": "1"}, "username": "u", "password": "p"})),
        )
        .expect("text");
        assert_eq!(got, vec![Json::from("a\nb\r\nc\rd\n")]);
        let seen = h.join().expect("server");
        assert!(seen[0].starts_with("GET /x HTTP/1.1\r\n"));
        assert!(
            seen[0].contains("User-Agent: ansible-httpget")
                || seen[0].contains("user-agent: ansible-httpget")
        );
        let second = seen[1].to_ascii_lowercase();
        assert!(second.contains("x-t: 1"));
        assert!(second.contains("authorization: basic dtpw"));
    }

    #[test]
    fn http_errors_read_as_ansible() {
        let (base, h) = serve(vec![
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ]);
        let u = base.replace("http://", "http://me:secret@");
        let e = url(&[Json::String(format!("{u}/missing"))], &Map::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "The lookup plugin 'url' failed: Received HTTP error for {}/missing: HTTP Error 404: Not Found",
                base.replace("http://", "http://****:****@")
            )
        );
        h.join().expect("server");
    }

    #[test]
    fn refused_and_unknown_schemes() {
        // Bind then drop a listener: nothing listens on its port any more.
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let e = url(
            &[Json::String(format!("http://127.0.0.1:{port}/"))],
            &Map::new(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("The lookup plugin 'url' failed: Failed lookup url for http://127.0.0.1:{port}/: <urlopen error [Errno 111] Connection refused>")
        );
        let e = url(&[Json::from("nope://x")], &Map::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "The lookup plugin 'url' failed: Failed lookup url for nope://x: <urlopen error unknown url type: nope>"
        );
    }
}

#[cfg(test)]
mod chain_tests {
    #[test]
    fn failure_keeps_its_cause() {
        let t = crate::Templar::new();
        let e = t
            .render_str(
                "{{ lookup('url', 'file:///nonexistent-rsible') }}",
                &crate::Vars::new(),
                &crate::Origin::default(),
            )
            .unwrap_err();
        assert_eq!(
            e.cause(),
            Some("<urlopen error [Errno 2] No such file or directory: '/nonexistent-rsible'>"),
            "{e:?}"
        );
    }
}

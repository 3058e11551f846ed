//! `--as=curl` and `--as=python` (pure): the prepared request as an equivalent curl command
//! or Python `requests` code, so a user can move between the terminal and a script.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::cli::route::Family;
use crate::cli::values::Verify;
use crate::cli::AuthType;
use crate::prepare::PreparedRequest;
use crate::spec::{Auth, AuthSource, BodySpec, NetSpec, Part, RequestSpec, Route};

// -------------------------------------------------------------- shared by both

/// Headers the other tool computes itself.
fn skip(name: &str) -> bool {
    ["host", "content-length"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

/// Whether the user typed a header of this name (on the command line or in a session).
fn typed(spec: &RequestSpec, name: &str) -> bool {
    spec.headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case(name))
}

/// A default header the other tool sends itself, or replaces with its own default:
/// `Accept: */*` (both tools' default), and http's own `Accept-Encoding`, which asks for
/// encodings only http is sure to decode. curl gets `--compressed` instead (it then asks
/// for what it can decode, and decodes it); requests asks for what it decodes by default.
/// A header the user typed is always printed.
fn tool_default(spec: &RequestSpec, name: &str, value: &str) -> bool {
    let default = (name.eq_ignore_ascii_case("accept") && value == "*/*")
        || (name.eq_ignore_ascii_case("accept-encoding")
            && value == crate::prepare::ACCEPT_ENCODING);
    default && !typed(spec, name)
}

/// The header lines worth printing, values as text. A multipart Content-Type is left out:
/// the other tool picks its own boundary and announces it. So is an Authorization header
/// made from basic credentials the user did not type (each tool gets a placeholder instead),
/// and such a bearer token is replaced by one.
fn printed_headers(spec: &RequestSpec, req: &PreparedRequest) -> Vec<(String, String)> {
    let multipart = matches!(spec.body, BodySpec::Multipart(_));
    let hidden = hidden_auth(spec);
    let generated = |n: &str| hidden.is_some() && n.eq_ignore_ascii_case("authorization");
    req.headers
        .iter()
        .filter(|(n, _)| !skip(n))
        .filter(|(n, _)| !(multipart && n.eq_ignore_ascii_case("content-type")))
        .filter_map(|(n, v)| match hidden {
            Some(h) if generated(n) && h.kind == AuthType::Bearer => {
                Some((n.clone(), format!("Bearer {}", h.placeholder)))
            }
            Some(_) if generated(n) => None,
            _ => Some((n.clone(), String::from_utf8_lossy(v).into_owned())),
        })
        .filter(|(n, v)| !tool_default(spec, n, v))
        .collect()
}

/// Credentials the user did not type (from `.netrc`, a session or the config file): the
/// export shows a placeholder, with a note saying where the real value comes from.
#[derive(Clone, Copy)]
struct Hidden<'a> {
    kind: AuthType,
    user: &'a str,
    placeholder: &'static str,
    from: &'static str,
}

fn hidden_auth(spec: &RequestSpec) -> Option<Hidden<'_>> {
    let a = spec.auth.as_ref()?;
    let from = match spec.auth_source {
        AuthSource::Netrc => ".netrc",
        AuthSource::Session => "the session file",
        AuthSource::Config => "the config file",
        AuthSource::Flag | AuthSource::Url | AuthSource::None => return None,
    };
    // A typed Authorization header replaced the generated one: it is the user's own.
    if spec
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("authorization"))
        && a.kind != AuthType::Digest
    {
        return None;
    }
    let placeholder = if a.kind == AuthType::Bearer {
        "TOKEN"
    } else {
        "PASSWORD"
    };
    Some(Hidden {
        kind: a.kind,
        user: &a.user,
        placeholder,
        from,
    })
}

impl Hidden<'_> {
    /// `PASSWORD: the password of 'alice' from .netrc (not shown)`
    fn note(&self) -> String {
        match self.kind {
            AuthType::Bearer => format!("TOKEN: the bearer token from {} (not shown)", self.from),
            _ => format!(
                "PASSWORD: the password of '{}' from {} (not shown)",
                self.user, self.from
            ),
        }
    }
}

/// Where the printed body comes from.
enum Source<'a> {
    Json(&'a Value),
    Form(&'a [(String, String)]),
    Multipart(&'a [Part]),
    File(&'a Path),
    /// A large stdin body: the other tool reads stdin too.
    Stdin,
    /// The prepared bytes themselves.
    Bytes,
    None,
}

/// How to reproduce the body. A compressed one (Content-Encoding set) goes as the prepared
/// bytes: neither tool would compress the source itself.
fn source<'a>(spec: &'a RequestSpec, req: &PreparedRequest) -> Source<'a> {
    let compressed = req.header("content-encoding").is_some();
    match &spec.body {
        BodySpec::Multipart(parts) => Source::Multipart(parts),
        BodySpec::Json(v) if !compressed => Source::Json(v),
        BodySpec::Form(pairs) if !compressed => Source::Form(pairs),
        BodySpec::File { path, .. } if !compressed => Source::File(path),
        BodySpec::Spooled(_) if !compressed => Source::Stdin,
        _ if !req.body.is_empty() => Source::Bytes,
        _ => Source::None,
    }
}

/// The prepared body (empty if a file in it can no longer be read).
fn body_bytes(req: &PreparedRequest) -> Vec<u8> {
    let mut out = Vec::new();
    let read = req.body.reader().and_then(|mut r| r.read_to_end(&mut out));
    if read.is_ok() {
        out
    } else {
        Vec::new()
    }
}

/// User and password to print (an empty password when none was given; a placeholder when
/// the user did not type it).
fn credentials<'a>(spec: &'a RequestSpec, a: &'a Auth) -> (&'a str, &'a str) {
    match hidden_auth(spec) {
        Some(h) => (&a.user, h.placeholder),
        None => (&a.user, a.password.as_deref().unwrap_or("")),
    }
}

fn secs(v: f64) -> String {
    crate::error::seconds(v).trim_end_matches('s').to_string()
}

// ------------------------------------------------------------------------ curl

/// A POSIX shell word.
fn sh(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,%+".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// An equivalent curl command line.
pub fn curl(spec: &RequestSpec, req: &PreparedRequest) -> String {
    let mut args: Vec<String> = vec!["curl".into()];
    curl_method_and_url(req, &mut args);
    curl_headers(spec, req, &mut args);
    curl_auth(spec, &mut args);
    curl_body(spec, req, &mut args);
    curl_network(&spec.net, &mut args);
    // curl reads the same format language; the text as read (from a file or stdin too).
    if let Some(w) = &spec.output.write_out {
        args.extend(["--write-out".into(), sh(&w.source)]);
    }
    if let Some(jar) = &spec.cookie_jar {
        // curl reads the jar (-b) and writes it back (-c), so its cookies are not in the
        // Cookie header printed above.
        let jar = sh(&jar.display().to_string());
        args.extend(["-b".into(), jar.clone(), "-c".into(), jar]);
    }
    let mut line = args.join(" ");
    if let Some(h) = hidden_auth(spec) {
        line.push_str(&format!("  # {}", h.note()));
    }
    line
}

/// The method only where curl would not pick it itself (GET, or POST once it has data),
/// HEAD as `--head` so that curl expects no body; then the URL as sent.
fn curl_method_and_url(req: &PreparedRequest, args: &mut Vec<String>) {
    match (req.method.as_str(), req.body.is_empty()) {
        ("HEAD", _) => args.push("--head".into()),
        ("GET", true) => {}
        (m, _) => args.extend(["--request".into(), sh(m)]),
    }
    args.push(sh(&format!(
        "{}://{}{}",
        req.url.scheme(),
        crate::message::authority(&req.url),
        req.target
    )));
}

fn curl_headers(spec: &RequestSpec, req: &PreparedRequest, args: &mut Vec<String>) {
    for (name, value) in printed_headers(spec, req) {
        // curl drops a header given as "Name:"; "Name;" sends it empty.
        let header = if value.is_empty() {
            format!("{name};")
        } else {
            format!("{name}: {value}")
        };
        args.extend(["--header".into(), sh(&header)]);
    }
    // curl adds these itself unless told not to; the request may have removed them.
    for default in ["User-Agent", "Accept"] {
        if req.header(default).is_none() {
            args.extend(["--header".into(), sh(&format!("{default}:"))]);
        }
    }
    // Without it curl prints a compressed body as it came; with it curl decodes, as http
    // does, and asks for what it can decode unless the user typed an Accept-Encoding.
    let asks = req.header("accept-encoding");
    if asks.is_some_and(|v| !v.eq_ignore_ascii_case(b"identity")) {
        args.push("--compressed".into());
    }
}

/// Digest credentials, for curl to answer the challenge with, and basic ones with a
/// placeholder password. Typed basic and bearer credentials are already in the
/// Authorization header.
fn curl_auth(spec: &RequestSpec, args: &mut Vec<String>) {
    if let Some(p) = &spec.sigv4 {
        args.extend(["--aws-sigv4".into(), sh(&p.to_arg())]);
    }
    let Some(a) = spec.auth.as_ref() else {
        return;
    };
    if spec.sigv4.is_some() {
        let (user, password) = credentials(spec, a);
        args.extend(["--user".into(), sh(&format!("{user}:{password}"))]);
        return;
    }
    let hidden_basic = hidden_auth(spec).is_some_and(|h| h.kind == AuthType::Basic);
    if a.kind == AuthType::Digest {
        args.push("--digest".into());
    } else if !hidden_basic {
        return;
    }
    let (user, password) = credentials(spec, a);
    args.extend(["--user".into(), sh(&format!("{user}:{password}"))]);
}

fn curl_body(spec: &RequestSpec, req: &PreparedRequest, args: &mut Vec<String>) {
    match source(spec, req) {
        Source::Multipart(parts) => {
            for part in parts {
                args.extend(["--form".into(), sh(&curl_form(part))]);
            }
        }
        Source::File(path) => {
            args.extend(["--data-binary".into(), sh(&format!("@{}", path.display()))]);
        }
        Source::Stdin => args.extend(["--data-binary".into(), "@-".into()]),
        // curl sends JSON and form bodies as given: the prepared bytes.
        Source::Json(_) | Source::Form(_) | Source::Bytes => curl_data(body_bytes(req), args),
        Source::None => {}
    }
}

/// A multipart part as a `--form` value.
fn curl_form(part: &Part) -> String {
    match part {
        Part::Text { name, value } => format!("{name}={value}"),
        Part::File {
            name, path, mime, ..
        } => format!("{name}=@{};type={mime}", path.display()),
    }
}

/// The body inline when it is text a shell word can hold (no NUL), else a note to save it.
fn curl_data(bytes: Vec<u8>, args: &mut Vec<String>) {
    match String::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => args.extend(["--data-raw".into(), sh(&text)]),
        _ => args.push("--data-binary @body.bin  # binary body: save it as body.bin".into()),
    }
}

/// Timeouts, redirects and TLS verification.
fn curl_network(net: &NetSpec, args: &mut Vec<String>) {
    if let Some(c) = net.timeout.connect {
        args.extend(["--connect-timeout".into(), secs(c)]);
    }
    if let Some(r) = net.timeout.read {
        // curl has no idle-read limit; "slower than 1 byte/s for R seconds" is the closest.
        args.extend([
            "--speed-limit".into(),
            "1".into(),
            "--speed-time".into(),
            secs(r.ceil()),
        ]);
    }
    if let Some(m) = net.max_time {
        args.extend(["--max-time".into(), secs(m)]);
    }
    match net.http_version {
        crate::cli::HttpVersion::Http11 => {}
        crate::cli::HttpVersion::Http2 => args.push("--http2".into()),
        crate::cli::HttpVersion::Http2PriorKnowledge => args.push("--http2-prior-knowledge".into()),
    }
    if net.follow {
        args.extend([
            "--location".into(),
            "--max-redirs".into(),
            net.max_redirects.to_string(),
        ]);
    }
    match &net.verify {
        Some(Verify::No) => args.push("--insecure".into()),
        Some(Verify::CaBundle(p)) => {
            args.extend(["--cacert".into(), sh(&p.display().to_string())]);
        }
        _ => {}
    }
    args.extend(route_flags(&net.route));
}

/// `--resolve`, `--connect-to`, `-4/-6`, `--interface`, `--unix-socket`: curl's own flags,
/// in curl's syntax, shell-quoted.
fn route_flags(route: &Route) -> Vec<String> {
    let mut flags = Vec::new();
    for r in &route.resolve {
        flags.extend(["--resolve".into(), sh(&r.to_string())]);
    }
    for c in &route.connect_to {
        flags.extend(["--connect-to".into(), sh(&c.to_string())]);
    }
    match route.family {
        Family::V4 => flags.push("--ipv4".into()),
        Family::V6 => flags.push("--ipv6".into()),
        Family::Any => {}
    }
    if let Some(i) = &route.interface {
        flags.extend(["--interface".into(), sh(&i.to_string())]);
    }
    if let Some(p) = &route.unix_socket {
        flags.extend(["--unix-socket".into(), sh(&p.display().to_string())]);
    }
    flags
}

// ---------------------------------------------------------------------- python

/// A Python string literal (JSON string syntax is valid Python).
fn py_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "''".into())
}

fn py_bytes(b: &[u8]) -> String {
    let mut out = String::from("b'");
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('\'');
    out
}

fn py_value(v: &Value, indent: usize, out: &mut String) {
    let pad = "    ".repeat(indent + 1);
    let close = "    ".repeat(indent);
    match v {
        Value::Null => out.push_str("None"),
        Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&py_str(s)),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Object(o) if o.is_empty() => out.push_str("{}"),
        Value::Array(a) => {
            out.push_str("[\n");
            for item in a {
                out.push_str(&pad);
                py_value(item, indent + 1, out);
                out.push_str(",\n");
            }
            out.push_str(&close);
            out.push(']');
        }
        Value::Object(o) => {
            out.push_str("{\n");
            for (k, item) in o {
                out.push_str(&format!("{pad}{}: ", py_str(k)));
                py_value(item, indent + 1, out);
                out.push_str(",\n");
            }
            out.push_str(&close);
            out.push('}');
        }
    }
}

fn py_pairs(pairs: &[(String, String)]) -> String {
    let items: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("        ({}, {}),\n", py_str(k), py_str(v)))
        .collect();
    format!("[\n{}    ]", items.concat())
}

/// The script being written: its imports and the arguments of `requests.request`.
struct PyCall {
    imports: Vec<String>,
    args: Vec<String>,
}

/// Equivalent Python `requests` code.
pub fn python(spec: &RequestSpec, req: &PreparedRequest) -> String {
    let mut call = PyCall {
        imports: vec!["import requests".to_string()],
        args: Vec::new(),
    };
    py_method_and_url(req, &mut call);
    py_headers(spec, req, &mut call);
    py_body(spec, req, &mut call);
    py_auth(spec, &mut call);
    py_network(&spec.net, &mut call);
    let body: Vec<String> = call.args.iter().map(|a| format!("    {a},\n")).collect();
    let mut note = hidden_auth(spec).map_or(String::new(), |h| format!("# {}\n", h.note()));
    if let Some(jar) = &spec.cookie_jar {
        note.push_str(&format!(
            "# the Cookie header holds the cookies of {} for this URL; it is not updated\n",
            jar.display().to_string().replace(['\n', '\r'], "?")
        ));
    }
    if spec.net.http_version != crate::cli::HttpVersion::Http11 {
        note.push_str("# requests speaks HTTP/1.1 only: --http-version is not expressed here\n");
    }
    let route = route_flags(&spec.net.route);
    if !route.is_empty() {
        // requests has no switch for these; say so rather than drop them silently.
        note.push_str(&format!(
            "# not expressed here (requests has no such option): {}\n",
            // A line break in a path would end the comment and start code.
            route.join(" ").replace('\n', "\\n").replace('\r', "\\r")
        ));
    }
    format!(
        "{}\n\n{note}response = requests.request(\n{})\nprint(response.status_code, response.reason)\nprint(response.text)\n",
        call.imports.join("\n"),
        body.concat()
    )
}

/// Basic and digest credentials go as `auth=`; a bearer token stays an Authorization header.
fn py_credentials(spec: &RequestSpec) -> Option<&Auth> {
    spec.auth.as_ref().filter(|a| a.kind != AuthType::Bearer)
}

/// The method, then the URL with its query as `params=` pairs, easier to read and edit.
fn py_method_and_url(req: &PreparedRequest, call: &mut PyCall) {
    let mut url = req.url.clone();
    let params: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.set_query(None);
    call.args
        .extend([py_str(&req.method), py_str(url.as_str())]);
    if !params.is_empty() {
        call.args.push(format!("params={}", py_pairs(&params)));
    }
}

/// `headers=`, less an Authorization header that `auth=` recreates.
fn py_headers(spec: &RequestSpec, req: &PreparedRequest, call: &mut PyCall) {
    let auth = py_credentials(spec).is_some();
    let lines: Vec<String> = printed_headers(spec, req)
        .iter()
        .filter(|(n, _)| !(auth && n.eq_ignore_ascii_case("authorization")))
        .map(|(k, v)| format!("        {}: {},\n", py_str(k), py_str(v)))
        .collect();
    if !lines.is_empty() {
        call.args
            .push(format!("headers={{\n{}    }}", lines.concat()));
    }
}

fn py_body(spec: &RequestSpec, req: &PreparedRequest, call: &mut PyCall) {
    match source(spec, req) {
        Source::Json(v) => {
            let mut s = String::new();
            py_value(v, 1, &mut s);
            call.args.push(format!("json={s}"));
        }
        Source::Form(pairs) => call.args.push(format!("data={}", py_pairs(pairs))),
        Source::Multipart(parts) => py_multipart(parts, call),
        Source::File(path) => call.args.push(format!(
            "data=open({}, \"rb\")",
            py_str(&path.display().to_string())
        )),
        Source::Stdin => {
            call.imports.insert(0, "import sys".into());
            call.args.push("data=sys.stdin.buffer".into());
        }
        Source::Bytes => call
            .args
            .push(format!("data={}", py_bytes(&body_bytes(req)))),
        Source::None => {}
    }
}

/// Text parts as `data=` pairs, file parts as `files=` opened for requests to stream.
fn py_multipart(parts: &[Part], call: &mut PyCall) {
    let mut data = Vec::new();
    let mut files = Vec::new();
    for part in parts {
        match part {
            Part::Text { name, value } => data.push((name.clone(), value.clone())),
            Part::File {
                name,
                path,
                filename,
                mime,
            } => files.push(format!(
                "        ({}, ({}, open({}, \"rb\"), {})),\n",
                py_str(name),
                py_str(filename),
                py_str(&path.display().to_string()),
                py_str(mime)
            )),
        }
    }
    if !data.is_empty() {
        call.args.push(format!("data={}", py_pairs(&data)));
    }
    call.args.push(format!("files=[\n{}    ]", files.concat()));
}

fn py_auth(spec: &RequestSpec, call: &mut PyCall) {
    let Some(a) = py_credentials(spec) else {
        return;
    };
    let (user, password) = credentials(spec, a);
    let pair = format!("{}, {}", py_str(user), py_str(password));
    if a.kind == AuthType::Digest {
        call.imports
            .push("from requests.auth import HTTPDigestAuth".into());
        call.args.push(format!("auth=HTTPDigestAuth({pair})"));
    } else {
        call.args.push(format!("auth=({pair})"));
    }
}

/// Timeouts, TLS verification, and redirects: requests follows them by default, http
/// only when asked, so `allow_redirects` is always given.
fn py_network(net: &NetSpec, call: &mut PyCall) {
    let t = |v: Option<f64>| v.map_or("None".to_string(), secs);
    if net.timeout.connect.is_some() || net.timeout.read.is_some() {
        call.args.push(format!(
            "timeout=({}, {})",
            t(net.timeout.connect),
            t(net.timeout.read)
        ));
    }
    match &net.verify {
        Some(Verify::No) => call.args.push("verify=False".into()),
        Some(Verify::CaBundle(p)) => call
            .args
            .push(format!("verify={}", py_str(&p.display().to_string()))),
        _ => {}
    }
    call.args.push(format!(
        "allow_redirects={}",
        if net.follow { "True" } else { "False" }
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Credentials from a session (or .netrc, or the config file) become placeholders.
    #[test]
    fn untyped_credentials_are_placeholders() {
        for (args, secret) in [
            (&["-a", "alice:s3cret", "example.org"][..], "s3cret"),
            (
                &["-A", "digest", "-a", "alice:s3cret", "example.org"][..],
                "s3cret",
            ),
            (&["-A", "bearer", "-a", "t0ken", "example.org"][..], "t0ken"),
        ] {
            let mut spec = crate::spec::for_args(args).unwrap();
            spec.auth_source = AuthSource::Session;
            let req = crate::prepare::prepare(&spec).unwrap();
            for text in [curl(&spec, &req), python(&spec, &req)] {
                assert!(!text.contains(secret), "{text}");
                assert!(!text.contains("czNjcmV0"), "{text}");
                assert!(text.contains("from the session file (not shown)"), "{text}");
            }
        }
    }

    fn both(args: &[&str]) -> (String, String) {
        let spec = crate::spec::for_args(args).unwrap();
        let req = crate::prepare::prepare(&spec).unwrap();
        (curl(&spec, &req), python(&spec, &req))
    }

    #[test]
    fn routing_flags_carry_to_curl_and_are_named_for_python() {
        let (c, py) = both(&[
            "example.org/x",
            "--resolve",
            "example.org:80:[::1]",
            "--connect-to",
            "::backend.test:8080",
            "-6",
            "--interface",
            "lo",
            "--unix-socket",
            "/run/a b.sock",
        ]);
        let flags = "--resolve 'example.org:80:[::1]' --connect-to ::backend.test:8080 --ipv6 \
                     --interface lo --unix-socket '/run/a b.sock'";
        assert!(c.ends_with(flags), "{c}");
        assert!(
            py.contains(&format!(
                "# not expressed here (requests has no such option): {flags}\n"
            )),
            "{py}"
        );
        let (_, py) = both(&["example.org", "--unix-socket", "/tmp/x\nimport os"]);
        assert!(!py.contains("\nimport os"), "{py}");
    }

    #[test]
    fn curl_command() {
        let (c, _) = both(&[
            "POST",
            "example.org/x",
            "q==1",
            "a=it's",
            "X-Empty;",
            "--timeout",
            "2,5",
            "--max-time",
            "7.5",
            "-w",
            "%{http_code}\\n",
        ]);
        assert_eq!(
            c,
            "curl --request POST 'http://example.org/x?q=1' --header 'User-Agent: http/0.1.0' \
             --header 'Accept: application/json, */*;q=0.5' --header 'Content-Type: application/json' \
             --header 'X-Empty;' --compressed --data-raw '{\"a\": \"it'\\''s\"}' \
             --connect-timeout 2 --speed-limit 1 --speed-time 5 --max-time 7.5 \
             --write-out '%{http_code}\\n'"
        );
    }

    #[test]
    fn http_version_is_curls_flag_and_a_python_note() {
        let (c, py) = both(&["https://example.org/", "--http-version=2"]);
        assert!(c.ends_with(" --http2"), "{c}");
        assert!(py.contains("# requests speaks HTTP/1.1 only"), "{py}");
        let (c, _) = both(&[":8080/", "--http-version", "2-prior-knowledge"]);
        assert!(c.ends_with(" --http2-prior-knowledge"), "{c}");
        let (c, py) = both(&["example.org/", "--http-version=1.1"]);
        assert!(
            !c.contains("http2") && !py.contains("HTTP/1.1 only"),
            "{c}\n{py}"
        );
    }

    /// curl reads and writes the jar itself, with its own `-b`/`-c`.
    #[test]
    fn cookie_jar_is_curls_b_and_c() {
        let (c, py) = both(&["example.org/x", "--cookie-jar", "/tmp/my jar.txt"]);
        assert!(
            c.ends_with(" -b '/tmp/my jar.txt' -c '/tmp/my jar.txt'"),
            "{c}"
        );
        assert!(
            py.contains("# the Cookie header holds the cookies of /tmp/my jar.txt"),
            "{py}"
        );
    }

    #[test]
    fn python_code() {
        let (_, p) = both(&[
            "-a",
            "u:p",
            "example.org/x",
            "q==1",
            "n:=1.10",
            "ok:=true",
            "z:=null",
        ]);
        assert!(p.starts_with("import requests\n\nresponse = requests.request(\n    \"POST\",\n    \"http://example.org/x\",\n"), "{p}");
        assert!(
            p.contains("params=[\n        (\"q\", \"1\"),\n    ]"),
            "{p}"
        );
        assert!(
            p.contains(
                "json={\n        \"n\": 1.10,\n        \"ok\": True,\n        \"z\": None,\n    }"
            ),
            "{p}"
        );
        assert!(p.contains("auth=(\"u\", \"p\")"), "{p}");
        assert!(!p.contains("Authorization"), "{p}");
    }

    /// http's default Accept-Encoding (which includes br and zstd) is not copied: curl gets
    /// `--compressed`, so that it decodes what it asked for; requests sends its own default,
    /// which it decodes without extra modules. `Accept: */*` is both tools' own default.
    #[test]
    fn default_encodings_are_left_to_the_tool() {
        let (c, py) = both(&["example.org/x"]);
        assert_eq!(
            c,
            "curl http://example.org/x --header 'User-Agent: http/0.1.0' --compressed"
        );
        for text in [&c, &py] {
            assert!(!text.contains("Accept-Encoding"), "{text}");
            assert!(!text.contains("br, zstd"), "{text}");
            assert!(!text.contains("*/*"), "{text}");
        }
        assert!(py.contains("\"User-Agent\": \"http/"), "{py}");
    }

    /// A typed Accept-Encoding (or Accept) is the user's: both tools send it as typed, and
    /// curl still decodes the answer, as http does.
    #[test]
    fn typed_encodings_are_kept() {
        let (c, py) = both(&["example.org/x", "Accept-Encoding:br, zstd", "Accept:*/*"]);
        assert!(
            c.ends_with("--header 'Accept-Encoding: br, zstd' --header 'Accept: */*' --compressed"),
            "{c}"
        );
        assert!(py.contains("\"Accept-Encoding\": \"br, zstd\""), "{py}");
        assert!(py.contains("\"Accept\": \"*/*\""), "{py}");
        // Asked not to compress: curl is not asked to decode either.
        let (c, _) = both(&["example.org/x", "Accept-Encoding:identity"]);
        assert!(!c.contains("--compressed"), "{c}");
        // Removed: neither asks.
        let (c, py) = both(&["example.org/x", "Accept-Encoding:"]);
        assert!(
            !c.contains("--compressed") && !c.contains("Accept-Encoding"),
            "{c}"
        );
        assert!(!py.contains("Accept-Encoding"), "{py}");
    }
}

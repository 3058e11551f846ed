//! `RequestSpec` -> `PreparedRequest` (pure but for reading a body file's size): the exact
//! header list and body that are both printed and sent. The transport adds nothing: a hop
//! through an HTTP proxy in absolute form carries its proxy part (`Forward`) in the request too.

use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use anyhow::Result;
use base64::Engine;
use url::Url;

use crate::cli::AuthType;
use crate::error::usage;
use crate::message::{authority, Headers};
use crate::spec::{BodySpec, Part, RequestSpec};

pub const USER_AGENT: &str = concat!("http/", env!("CARGO_PKG_VERSION"));
/// Only what `decode` can undo.
pub const ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";
pub const JSON_ACCEPT: &str = "application/json, */*;q=0.5";

/// One piece of a body: bytes in memory or a file streamed from disk.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Bytes(Vec<u8>),
    File {
        path: PathBuf,
        len: u64,
    },
    /// A large stdin body kept in an anonymous temporary file.
    Spooled(crate::spool::Spooled),
}

/// A request body as a sequence of segments (empty for no body), so that a multipart upload
/// of large files streams without being loaded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Body {
    pub segments: Vec<Segment>,
}

impl Body {
    pub fn bytes(b: Vec<u8>) -> Body {
        Body {
            segments: vec![Segment::Bytes(b)],
        }
    }
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }
    pub fn len(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Bytes(b) => b.len() as u64,
                Segment::File { len, .. } => *len,
                Segment::Spooled(s) => s.len,
            })
            .sum()
    }
    /// A fresh reader over the whole body (bodies are replayable: redirects, digest auth).
    pub fn reader(&self) -> io::Result<Box<dyn Read + Send>> {
        let mut out: Box<dyn Read + Send> = Box::new(io::empty());
        for seg in &self.segments {
            let next: Box<dyn Read + Send> = match seg {
                Segment::Bytes(b) => Box::new(io::Cursor::new(b.clone())),
                Segment::File { path, len } => Box::new(std::fs::File::open(path)?.take(*len)),
                Segment::Spooled(s) => Box::new(s.reader()),
            };
            out = Box::new(out.chain(next));
        }
        Ok(out)
    }
}

/// The request exactly as it goes on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRequest {
    pub method: String,
    /// Where to connect (no credentials, no fragment).
    pub url: Url,
    /// The request-target on the request line: path and query.
    pub target: String,
    /// Header lines in wire order, names in the case they are sent.
    pub headers: Headers,
    pub body: Body,
    /// Send the body with `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// Set for each hop by the send loop (`Client::route`): this hop goes to an HTTP proxy
    /// in absolute form.
    pub forward: Option<Forward>,
    /// Set for each hop by the send loop (`Client::route`): this hop goes over HTTP/2.
    pub http2: bool,
}

/// An `http://` request handed to an HTTP(S) proxy as it is, not tunnelled: the request line
/// names the whole URL (`GET http://host/x HTTP/1.1`) and the proxy's credentials go along.
#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    /// The proxy's URL as configured (`http://` or `https://`, credentials included).
    pub proxy: String,
    /// The `Proxy-Authorization` value made from the proxy URL's credentials.
    pub authorization: Option<Vec<u8>>,
}

impl PreparedRequest {
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name)
    }

    /// What goes before `target` on the request line: `http://host[:port]` when the hop goes
    /// to a proxy in absolute form.
    pub fn target_prefix(&self) -> Option<String> {
        self.forward
            .as_ref()
            .map(|_| format!("{}://{}", self.url.scheme(), authority(&self.url)))
    }

    /// The request-target as sent: origin-form, or absolute-form to a proxy.
    pub fn request_target(&self) -> Cow<'_, str> {
        match self.target_prefix() {
            Some(prefix) => Cow::Owned(format!("{prefix}{}", self.target)),
            None => Cow::Borrowed(&self.target),
        }
    }

    /// The header lines as sent: `headers`, then the proxy's `Proxy-Authorization` unless
    /// the request carries one of its own (a header given by the user wins, as in curl).
    pub fn sent_headers(&self) -> Cow<'_, Headers> {
        match self.forward.as_ref().and_then(|f| f.authorization.as_ref()) {
            Some(auth) if !self.headers.contains("proxy-authorization") => {
                let mut all = self.headers.clone();
                all.push("Proxy-Authorization", auth.clone());
                Cow::Owned(all)
            }
            _ => Cow::Borrowed(&self.headers),
        }
    }
}

/// Headers that belong to one HTTP/1.1 connection and are never sent over HTTP/2 (RFC 9113
/// §8.2.2); `TE` is allowed only as `trailers`.
fn connection_specific(name: &str, value: &[u8]) -> bool {
    const NAMES: &[&str] = &[
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
    ];
    NAMES.iter().any(|n| name.eq_ignore_ascii_case(n))
        || (name.eq_ignore_ascii_case("te") && !value.eq_ignore_ascii_case(b"trailers"))
}

/// A request's header lines as HTTP/2 carries them.
#[derive(Debug, Clone, PartialEq)]
pub struct H2Head {
    /// `:authority` first, where HTTP/1.1 has `Host` (`:method`, `:scheme` and `:path` are
    /// the request line's), then the other lines in order, names in lower case.
    pub headers: Headers,
    /// Connection-specific headers the request had, which HTTP/2 does not send.
    pub dropped: Vec<String>,
}

impl PreparedRequest {
    /// The header lines as sent over HTTP/2: the printer shows them and `client` sends them.
    /// `Transfer-Encoding: chunked` from `--chunked` is dropped silently: over HTTP/2 a body of
    /// unknown length is simply DATA frames without a `content-length`.
    pub fn h2_head(&self) -> H2Head {
        let mut host = None;
        let mut headers = Headers::new();
        let mut dropped = Vec::new();
        for (name, value) in self.headers.iter() {
            if name.eq_ignore_ascii_case("host") {
                host.get_or_insert_with(|| value.clone());
            } else if connection_specific(name, value) {
                let ours = self.chunked && name.eq_ignore_ascii_case("transfer-encoding");
                if !ours {
                    dropped.push(name.clone());
                }
            } else {
                headers.push(name.to_ascii_lowercase(), value.clone());
            }
        }
        let host = host.unwrap_or_else(|| authority(&self.url).into());
        headers.insert(0, ":authority", host);
        H2Head { headers, dropped }
    }
}

/// Python's `json.dumps` layout (`{"a": 1, "b": [1, 2]}`), which requests and HTTPie send.
struct SpacedJson;

impl serde_json::ser::Formatter for SpacedJson {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.begin_array_value(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

pub fn json_bytes(value: &serde_json::Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SpacedJson);
    // Serializing a Value into a Vec cannot fail.
    let _ = serde::Serialize::serialize(value, &mut ser);
    out
}

fn form_bytes(pairs: &[(String, String)]) -> Vec<u8> {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

/// A fresh random boundary (no RNG crate needed: std's hasher keys are random per process).
fn random_boundary() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    let a = h.finish();
    h.write_u64(a);
    format!("{:016x}{:016x}", a, h.finish())
}

/// WHATWG form-data name escaping: quotes and line breaks cannot appear raw.
fn quote_name(s: &str) -> String {
    s.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn multipart(parts: &[Part], boundary: &str) -> Result<Body> {
    let mut segments = Vec::new();
    let mut head = Vec::new();
    for part in parts {
        write!(head, "--{boundary}\r\n")?;
        match part {
            Part::Text { name, value } => {
                write!(
                    head,
                    "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                    quote_name(name)
                )?;
                head.extend_from_slice(value.as_bytes());
                head.extend_from_slice(b"\r\n");
            }
            Part::File {
                name,
                path,
                filename,
                mime,
            } => {
                write!(
                    head,
                    "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n\
                     Content-Type: {mime}\r\n\r\n",
                    quote_name(name),
                    quote_name(filename)
                )?;
                segments.push(Segment::Bytes(std::mem::take(&mut head)));
                let len = std::fs::metadata(path)
                    .map_err(|e| {
                        usage(format!(
                            "cannot read file '{}': {}",
                            path.display(),
                            crate::error::plain_io(&e)
                        ))
                    })?
                    .len();
                segments.push(Segment::File {
                    path: path.clone(),
                    len,
                });
                head.extend_from_slice(b"\r\n");
            }
        }
    }
    write!(head, "--{boundary}--\r\n")?;
    segments.push(Segment::Bytes(head));
    Ok(Body { segments })
}

fn body_and_type(spec: &RequestSpec, boundary: &str) -> Result<(Body, Option<String>)> {
    let form_type = "application/x-www-form-urlencoded; charset=utf-8";
    // A raw body (stdin, --raw) is announced in the current mode, as HTTPie does.
    let raw_type = if spec.form {
        form_type
    } else {
        "application/json"
    };
    Ok(match &spec.body {
        BodySpec::Empty => (
            Body::default(),
            spec.json.then(|| "application/json".into()),
        ),
        BodySpec::Json(v) => (Body::bytes(json_bytes(v)), Some("application/json".into())),
        BodySpec::Form(pairs) => (Body::bytes(form_bytes(pairs)), Some(form_type.into())),
        BodySpec::Multipart(parts) => (
            multipart(parts, boundary)?,
            Some(format!("multipart/form-data; boundary={boundary}")),
        ),
        // HTTPie announces nothing for an empty raw body unless asked (`--json`, `--form`).
        BodySpec::Bytes(b) if b.is_empty() && !spec.json && !spec.form => (Body::default(), None),
        BodySpec::Bytes(b) => (Body::bytes(b.clone()), Some(raw_type.into())),
        BodySpec::Spooled(s) => (
            Body {
                segments: vec![Segment::Spooled(s.clone())],
            },
            Some(raw_type.into()),
        ),
        BodySpec::File { path, mime } => {
            let len = std::fs::metadata(path)
                .map_err(|e| {
                    usage(format!(
                        "cannot read body file '{}': {}",
                        path.display(),
                        crate::error::plain_io(&e)
                    ))
                })?
                .len();
            let mime = mime
                .clone()
                .or_else(|| crate::spec::guess_mime(path).map(str::to_string));
            (
                Body {
                    segments: vec![Segment::File {
                        path: path.clone(),
                        len,
                    }],
                },
                mime,
            )
        }
    })
}

fn deflate(body: &Body) -> Result<Vec<u8>> {
    let mut raw = Vec::new();
    body.reader()?.read_to_end(&mut raw)?;
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&raw)?;
    Ok(enc.finish()?)
}

fn authorization(spec: &RequestSpec) -> Option<String> {
    let auth = spec.auth.as_ref()?;
    // AWS keys sign each hop (client's send loop); they are never sent themselves.
    if spec.sigv4.is_some() {
        return None;
    }
    match auth.kind {
        AuthType::Basic => {
            let pair = format!("{}:{}", auth.user, auth.password.as_deref().unwrap_or(""));
            Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ))
        }
        AuthType::Bearer => Some(format!("Bearer {}", auth.user)),
        // Digest answers a challenge, so the first request goes without credentials.
        AuthType::Digest => None,
    }
}

/// The wire groups repeated names together (the transport keeps a header map), so the printed list
/// does too: stable, by first occurrence.
fn group_by_name(headers: Headers) -> Headers {
    let mut out: Vec<(String, Vec<u8>)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        match out.iter().rposition(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            Some(i) => out.insert(i + 1, (name, value)),
            None => out.push((name, value)),
        }
    }
    out.into()
}

fn method_expects_body(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH")
}

fn accept_encoding(spec: &RequestSpec) -> &'static str {
    if spec.output.download && !spec.offline {
        "identity"
    } else {
        ACCEPT_ENCODING
    }
}

/// Build the request that will be printed and sent.
pub fn prepare(spec: &RequestSpec) -> Result<PreparedRequest> {
    let boundary = spec.boundary.clone().unwrap_or_else(random_boundary);
    let (body, content_type) = body_and_type(spec, &boundary)?;
    let (body, content_encoding) = maybe_deflate(spec, body)?;
    let mut headers = default_headers(spec, content_type, content_encoding);
    let given = apply_user_headers(&mut headers, spec);
    if let (Some(n), false) = (spec.output.resume_from, given.contains(&"range".into())) {
        headers.push("Range", format!("bytes={n}-"));
    }
    let user_framing = given
        .iter()
        .any(|n| n == "content-length" || n == "transfer-encoding");
    if !user_framing {
        if spec.chunked && !body.is_empty() {
            headers.push("Transfer-Encoding", "chunked");
        } else if !body.is_empty() || method_expects_body(&spec.method) {
            headers.push("Content-Length", body.len().to_string());
        }
    }
    // HTTP/1.1 requires Host; if the user removed it, the transport would add its own: keep ours.
    if !headers.contains("host") {
        headers.insert(0, "Host", authority(&spec.url));
    }
    let path = spec
        .raw_path
        .clone()
        .unwrap_or_else(|| spec.url.path().to_string());
    let target = match spec.url.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    Ok(PreparedRequest {
        method: spec.method.clone(),
        url: spec.url.clone(),
        target,
        headers: group_by_name(headers),
        body,
        chunked: spec.chunked,
        forward: None,
        http2: false,
    })
}

/// `-x`: deflate the body when that makes it smaller (`-xx`: always).
fn maybe_deflate(spec: &RequestSpec, body: Body) -> Result<(Body, Option<&'static str>)> {
    if spec.compress == 0 || body.is_empty() {
        return Ok((body, None));
    }
    let deflated = deflate(&body)?;
    if spec.compress > 1 || (deflated.len() as u64) < body.len() {
        return Ok((Body::bytes(deflated), Some("deflate")));
    }
    Ok((body, None))
}

/// The headers this program sends unless told otherwise, in HTTPie's order.
fn default_headers(
    spec: &RequestSpec,
    content_type: Option<String>,
    content_encoding: Option<&str>,
) -> Headers {
    // A raw body (stdin, `--raw`, `@file`) is JSON by default, as in HTTPie, which then
    // asks for JSON too.
    let raw_body = match &spec.body {
        BodySpec::Bytes(b) => !b.is_empty(),
        BodySpec::Spooled(_) | BodySpec::File { .. } => true,
        _ => false,
    };
    let json_mode = spec.json || matches!(spec.body, BodySpec::Json(_)) || (raw_body && !spec.form);
    let accept = if json_mode { JSON_ACCEPT } else { "*/*" };
    let mut headers = Headers::new();
    headers.push("Host", authority(&spec.url));
    headers.push("User-Agent", USER_AGENT);
    // A download is saved as sent, so ask for it unencoded (the user may still override).
    headers.push("Accept-Encoding", accept_encoding(spec));
    headers.push("Accept", accept);
    if let Some(a) = authorization(spec) {
        headers.push("Authorization", a);
    }
    if let Some(ct) = content_type {
        headers.push("Content-Type", ct);
    }
    if let Some(ce) = content_encoding {
        headers.push("Content-Encoding", ce);
    }
    headers
}

/// User headers: the first mention of a name replaces (or removes) the default in place;
/// later mentions of the same name add lines. Returns the lower-cased names given.
fn apply_user_headers(headers: &mut Headers, spec: &RequestSpec) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for h in &spec.headers {
        let lower = h.name.to_ascii_lowercase();
        if seen.contains(&lower) {
            if let Some(v) = &h.value {
                headers.push(h.name.clone(), v.clone());
            }
        } else {
            match &h.value {
                Some(v) => headers.set(&h.name, v.clone()),
                None => headers.remove(&h.name),
            }
            seen.push(lower);
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prep(args: &[&str]) -> PreparedRequest {
        prepare(&crate::spec::for_args(args).unwrap()).unwrap()
    }

    fn head(p: &PreparedRequest) -> Vec<String> {
        p.headers
            .iter()
            .map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v)))
            .collect()
    }

    fn body(p: &PreparedRequest) -> String {
        let mut s = String::new();
        p.body.reader().unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn get_defaults() {
        let p = prep(&[":8080/a?x=1", "q==2"]);
        assert_eq!(p.method, "GET");
        assert_eq!(p.target, "/a?x=1&q=2");
        assert_eq!(
            head(&p),
            [
                "Host: localhost:8080",
                &format!("User-Agent: {USER_AGENT}"),
                "Accept-Encoding: gzip, deflate, br, zstd",
                "Accept: */*",
            ]
        );
        assert!(p.body.is_empty());
    }

    #[test]
    fn json_post() {
        let p = prep(&[
            "example.org",
            "name=widget",
            "count:=3",
            "tags:=[\"a\",\"b\"]",
        ]);
        assert_eq!(p.method, "POST");
        assert_eq!(
            body(&p),
            r#"{"name": "widget", "count": 3, "tags": ["a", "b"]}"#
        );
        let h = head(&p);
        assert!(
            h.contains(&"Accept: application/json, */*;q=0.5".to_string()),
            "{h:?}"
        );
        assert!(h.contains(&"Content-Type: application/json".to_string()));
        assert_eq!(h.last().unwrap(), "Content-Length: 50");
    }

    /// What HTTPie 3.2.4 sends for raw bodies, seen side by side with `--offline -p H`.
    #[test]
    fn raw_bodies_ask_for_json_like_httpie() {
        let accept_and_type = |args: &[&str]| -> Vec<String> {
            head(&prep(args))
                .into_iter()
                .filter(|h| h.starts_with("Accept:") || h.starts_with("Content-Type:"))
                .collect()
        };
        let json = [
            "Accept: application/json, */*;q=0.5",
            "Content-Type: application/json",
        ];
        assert_eq!(accept_and_type(&["--raw", "x", ":"]), json);
        assert_eq!(accept_and_type(&["-j", "--raw", "", ":"]), json);
        // An empty raw body announces nothing.
        assert_eq!(accept_and_type(&["--raw", "", ":"]), ["Accept: */*"]);
        assert_eq!(
            accept_and_type(&["-f", "--raw", "x", ":"]),
            [
                "Accept: */*",
                "Content-Type: application/x-www-form-urlencoded; charset=utf-8"
            ]
        );
        assert_eq!(
            accept_and_type(&[
                "--raw",
                "x",
                ":",
                "Accept:text/csv",
                "Content-Type:text/csv"
            ]),
            ["Accept: text/csv", "Content-Type: text/csv"]
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("notes.txt");
        std::fs::write(&file, "hi").unwrap();
        let at_file = format!("@{}", file.display());
        assert_eq!(
            accept_and_type(&[":", &at_file]),
            [
                "Accept: application/json, */*;q=0.5",
                "Content-Type: text/plain"
            ]
        );
    }

    #[test]
    fn header_edits() {
        let p = prep(&[
            ":",
            "User-Agent:",
            "Accept:text/plain",
            "X-A:1",
            "X-B;",
            "X-A:2",
            "host:h.test",
        ]);
        assert_eq!(
            head(&p),
            [
                "host: h.test",
                "Accept-Encoding: gzip, deflate, br, zstd",
                "Accept: text/plain",
                "X-A: 1",
                "X-A: 2",
                "X-B: ",
            ]
        );
    }

    #[test]
    fn form_multipart_and_framing() {
        let p = prep(&["-f", ":", "a=1 2", "b=&"]);
        assert_eq!(body(&p), "a=1+2&b=%26");
        assert_eq!(
            p.header("content-type"),
            Some(&b"application/x-www-form-urlencoded; charset=utf-8"[..])
        );
        let p = prep(&["--multipart", "--boundary", "XX", ":", "a=1"]);
        assert_eq!(
            body(&p),
            "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XX--\r\n"
        );
        assert_eq!(
            p.header("content-type"),
            Some(&b"multipart/form-data; boundary=XX"[..])
        );
        let p = prep(&["--chunked", "--raw", "hello", ":"]);
        assert_eq!(p.header("transfer-encoding"), Some(&b"chunked"[..]));
        assert_eq!(p.header("content-length"), None);
        let p = prep(&["POST", ":"]);
        assert_eq!(p.header("content-length"), Some(&b"0"[..]));
        let p = prep(&["--json", ":"]);
        assert_eq!(p.header("content-type"), Some(&b"application/json"[..]));
        assert_eq!(p.header("content-length"), None);
    }

    #[test]
    fn auth_headers() {
        let p = prep(&["-a", "user:pass", ":"]);
        assert_eq!(p.header("authorization"), Some(&b"Basic dXNlcjpwYXNz"[..]));
        let p = prep(&["-A", "bearer", "-a", "t0k", ":"]);
        assert_eq!(p.header("authorization"), Some(&b"Bearer t0k"[..]));
    }

    #[test]
    fn compression() {
        let long = format!("a={}", "x".repeat(1000));
        let p = prep(&["-x", ":", &long]);
        assert_eq!(p.header("content-encoding"), Some(&b"deflate"[..]));
        assert!(p.body.len() < 100);
        let p = prep(&["-x", ":", "a=1"]);
        assert_eq!(
            p.header("content-encoding"),
            None,
            "not smaller, so not compressed"
        );
        let p = prep(&["-xx", ":", "a=1"]);
        assert_eq!(p.header("content-encoding"), Some(&b"deflate"[..]));
    }

    #[test]
    fn http2_head_has_authority_lowercase_names_and_no_connection_headers() {
        let names = |h: &H2Head| -> Vec<String> {
            h.headers
                .iter()
                .map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v)))
                .collect()
        };
        let p = prep(&[
            "POST",
            "example.org:8080/x",
            "a=1",
            "X-Up:v",
            "Connection:close",
            "TE:gzip",
        ]);
        let h = p.h2_head();
        assert_eq!(
            names(&h),
            [
                ":authority: example.org:8080",
                "user-agent: http/0.1.0",
                "accept-encoding: gzip, deflate, br, zstd",
                "accept: application/json, */*;q=0.5",
                "content-type: application/json",
                "x-up: v",
                "content-length: 10",
            ]
        );
        assert_eq!(h.dropped, ["Connection", "TE"]);
        // A Host given by the user is the authority; `TE: trailers` is allowed.
        let p = prep(&[
            "example.org",
            "Host:other.test",
            "TE:trailers",
            "Upgrade:h2c",
        ]);
        let h = p.h2_head();
        assert_eq!(h.headers.get_str(":authority"), Some("other.test"));
        assert_eq!(h.headers.get_str("te"), Some("trailers"));
        assert!(!h.headers.contains("host"));
        assert_eq!(h.dropped, ["Upgrade"]);
        // `--chunked` framing is HTTP/1.1's: dropped without a word, no length sent.
        let p = prep(&["--chunked", "POST", "example.org", "a=1"]);
        let h = p.h2_head();
        assert!(h.dropped.is_empty() && !h.headers.contains("transfer-encoding"));
        assert!(!h.headers.contains("content-length"));
    }

    #[test]
    fn path_as_is() {
        let p = prep(&["--path-as-is", "example.org/a/../b/./c", "q==1"]);
        assert_eq!(p.target, "/a/../b/./c?q=1");
        let p = prep(&["example.org/a/../b/./c"]);
        assert_eq!(p.target, "/b/c");
    }

    #[test]
    fn absolute_form_target_and_proxy_credentials() {
        let mut p = prep(&["http://example.org:8080/a?b=1"]);
        assert_eq!(p.request_target(), "/a?b=1");
        p.forward = Some(Forward {
            proxy: "http://u:p@proxy:3128".into(),
            authorization: Some(b"Basic dTpw".to_vec()),
        });
        assert_eq!(p.request_target(), "http://example.org:8080/a?b=1");
        let sent = p.sent_headers();
        assert_eq!(sent.last().unwrap().0, "Proxy-Authorization");
        assert_eq!(sent.len(), p.headers.len() + 1);
        // A header given by the user is sent instead, once.
        p.headers.push("proxy-authorization", "Custom x");
        assert_eq!(p.sent_headers().get_all("proxy-authorization").count(), 1);
        assert_eq!(
            p.sent_headers().get("proxy-authorization"),
            Some(&b"Custom x"[..])
        );
    }
}

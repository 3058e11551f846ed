//! The messages every stage shares, tied to no transport: header lists, the response (head as
//! received, timings, and a body whose read errors already explain themselves), and the
//! `host[:port]` of a URL. `output/` and `download.rs` see responses only through this module;
//! the transports in `client/` build them.

use std::io::{self, Read};
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use url::Url;

use crate::error::Failure;

/// Header lines in order, names in the case they are sent or were received; repeats kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Headers(Vec<(String, Vec<u8>)>);

impl Headers {
    pub fn new() -> Headers {
        Headers(Vec::new())
    }

    /// The first value of `name` (any case).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// The first value of `name`, if it is UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// Where the first line named `name` is.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.0
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    pub fn push(&mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) {
        self.0.push((name.into(), value.into()));
    }

    pub fn insert(&mut self, at: usize, name: impl Into<String>, value: impl Into<Vec<u8>>) {
        let at = at.min(self.0.len());
        self.0.insert(at, (name.into(), value.into()));
    }

    /// Replace the first line named `name` in place (taking the given name's case), or add it.
    pub fn set(&mut self, name: &str, value: impl Into<Vec<u8>>) {
        match self.position(name) {
            Some(i) => self.0[i] = (name.to_string(), value.into()),
            None => self.push(name, value),
        }
    }

    /// Give every line named `name` this value, keeping the name's case; false when none is.
    pub fn set_value(&mut self, name: &str, value: &[u8]) -> bool {
        let mut found = false;
        for (_, v) in self
            .0
            .iter_mut()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            *v = value.to_vec();
            found = true;
        }
        found
    }

    /// Drop every line named `name`.
    pub fn remove(&mut self, name: &str) {
        self.retain(|n, _| !n.eq_ignore_ascii_case(name));
    }

    /// Keep only the lines `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &[u8]) -> bool) {
        self.0.retain(|(n, v)| keep(n, v));
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a (String, Vec<u8>);
    type IntoIter = std::slice::Iter<'a, (String, Vec<u8>)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Deref for Headers {
    type Target = [(String, Vec<u8>)];
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl PartialEq<Vec<(String, Vec<u8>)>> for Headers {
    fn eq(&self, other: &Vec<(String, Vec<u8>)>) -> bool {
        &self.0 == other
    }
}

impl From<Vec<(String, Vec<u8>)>> for Headers {
    fn from(v: Vec<(String, Vec<u8>)>) -> Headers {
        Headers(v)
    }
}

impl FromIterator<(String, Vec<u8>)> for Headers {
    fn from_iter<I: IntoIterator<Item = (String, Vec<u8>)>>(iter: I) -> Headers {
        Headers(iter.into_iter().collect())
    }
}

impl IntoIterator for Headers {
    type Item = (String, Vec<u8>);
    type IntoIter = std::vec::IntoIter<(String, Vec<u8>)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// What is wrong with a header line, if anything: a name that is not an RFC 9110 token, or a
/// value with control characters (a line break would smuggle in another header line).
pub fn header_problem(name: &str, value: &[u8]) -> Option<&'static str> {
    let token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    if name.is_empty() || !name.bytes().all(token) {
        return Some("an invalid name");
    }
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Some("control characters in its value");
    }
    None
}

/// `host[:port]` as a `Host` header and messages write it: the port only when it is not the
/// scheme's default.
pub fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// When each step of an exchange happened, for `--meta`.
#[derive(Debug, Default, Clone)]
pub struct Timings {
    pub started: Option<Instant>,
    /// Name resolution is done and connecting begins.
    pub connect_start: Option<Instant>,
    /// The TCP connection (or proxy tunnel) is up.
    pub tcp_done: Option<Instant>,
    /// TLS, if any, is done: the connection is ready.
    pub connected: Option<Instant>,
    /// The connection is TLS (to the server, or to an HTTPS proxy).
    pub tls: bool,
    /// The last write of the request before the response began: the request (head, and the
    /// body unless the server answered first, as with `100 Continue`) was handed to the
    /// connection.
    pub sent: Option<Instant>,
    /// The first byte of the response (an interim `1xx` included) arrived.
    pub first_byte: Option<Instant>,
    /// The peer the connection was made to (a proxy, when there is one).
    pub remote: Option<Remote>,
    /// This end of that connection (TCP only).
    pub local: Option<SocketAddr>,
    /// The exchange went over a kept-alive connection an earlier exchange opened.
    pub reused: bool,
    /// The HTTP version and how it was chosen (`HTTP/2 (ALPN)`), shown by `--meta` when
    /// HTTP/2 was asked for.
    pub protocol: Option<&'static str>,
}

/// The other end of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remote {
    Tcp(SocketAddr),
    Unix(std::path::PathBuf),
}

impl std::fmt::Display for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Remote::Tcp(a) => write!(f, "{a}"),
            Remote::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// Bytes of an exchange as they crossed the wire, for `--write-out`'s sizes.
#[derive(Debug, Default, Clone)]
pub struct Wire {
    /// The request as written: head and body (chunked framing included).
    pub request: u64,
    /// The request body's part of `request`.
    pub upload: u64,
    /// The response head as received, through its blank line, interim (1xx) heads included.
    pub head: u64,
    /// Response body bytes read so far, as received (before any content-encoding is undone).
    pub body: Arc<AtomicU64>,
}

impl Wire {
    pub fn body_read(&self) -> u64 {
        self.body.load(Ordering::Relaxed)
    }
}

/// A response body. Transports make its read errors `io::Error`s that carry a [`Failure`]
/// worded for the user (host, timeout, cut transfer).
pub type Body = Box<dyn Read + Send>;

/// A body whose remaining bytes the kernel can move to a file itself, without them passing
/// through this process (Linux `splice`). A transport offers it only for a body it can hand
/// over whole as sent: a known length, no transfer coding. Its errors carry a [`Failure`] as
/// [`Body`]'s do; a body cut short may also just end (0), so the caller counts the bytes
/// against the length and judges, as it does for any body.
pub trait KernelBody: Send {
    /// Waits for more of the body (within the transport's read timeout and `--max-time`) and
    /// takes a piece of it into a kernel buffer; how many bytes, 0 once the body is over or
    /// the connection closed. Whatever was staged must be landed before staging again.
    fn stage(&mut self) -> io::Result<usize>;
    /// Writes everything staged to `file` at its position. Its errors are the file's.
    fn land(&mut self, file: &std::fs::File) -> io::Result<()>;
}

/// Turns a response's body into a [`KernelBody`] (the transport's offer, see
/// [`Response::offer_kernel`]), or gives the body back when it cannot (no pipe to be had).
pub type KernelOffer = Box<dyn FnOnce(Body) -> Result<Box<dyn KernelBody>, Body> + Send>;

/// A response: head as received, body not yet read.
pub struct Response {
    /// `HTTP/1.1`
    pub version: String,
    pub status: u16,
    /// The server's own reason phrase (may be empty).
    pub reason: String,
    /// Header lines as received: order, repeats and name case kept.
    pub headers: Headers,
    pub timings: Timings,
    /// `host[:port]` of the URL that answered, for messages.
    pub host: String,
    /// What crossed the wire (left at zero by a transport that does not count).
    pub wire: Wire,
    body: Option<Body>,
    /// The transport's offer to move the body with the kernel, if it can.
    kernel: Option<KernelOffer>,
}

impl Response {
    pub fn new(
        version: String,
        status: u16,
        reason: String,
        headers: Headers,
        timings: Timings,
        host: String,
        body: Body,
    ) -> Response {
        Response {
            version,
            status,
            reason,
            headers,
            timings,
            host,
            wire: Wire::default(),
            body: Some(body),
            kernel: None,
        }
    }

    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name)
    }

    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.get_str(name)
    }

    /// The reason phrase as received, else the standard one for the status.
    pub fn reason_or_standard(&self) -> &str {
        if !self.reason.is_empty() {
            return &self.reason;
        }
        http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("")
    }

    /// The body as it came off the wire (content-encoding not undone); empty once taken.
    pub fn take_body(&mut self) -> Body {
        self.kernel = None;
        self.body.take().unwrap_or_else(|| Box::new(io::empty()))
    }

    /// Lets the body be taken as a [`KernelBody`] (by the transport that read the head).
    pub fn offer_kernel(&mut self, offer: KernelOffer) {
        self.kernel = Some(offer);
    }

    /// The body (as it came off the wire) for the kernel to move, when the transport offered
    /// that and could; else `None` and the body stays for [`Response::take_body`].
    pub fn take_kernel_body(&mut self) -> Option<Box<dyn KernelBody>> {
        let offer = self.kernel.take()?;
        let body = self.body.take()?;
        match offer(body) {
            Ok(kernel) => Some(kernel),
            Err(body) => {
                self.body = Some(body);
                None
            }
        }
    }

    /// `raw` (this response's body, perhaps wrapped) with the content-encoding undone; an
    /// error raised by a decoder is worded as a decoding failure.
    pub fn decode(&self, raw: Body) -> Body {
        let decoded = crate::decode::decoder(raw, self.header_str("content-encoding"));
        if self.header("content-encoding").is_none() {
            return decoded;
        }
        Box::new(DecodeErrors {
            inner: decoded,
            host: self.host.clone(),
        })
    }

    /// The body, decoded.
    pub fn take_decoded(&mut self) -> Body {
        let raw = self.take_body();
        self.decode(raw)
    }
}

/// Words the errors a decoder raises itself (those without a [`Failure`] from below).
struct DecodeErrors {
    inner: Body,
    host: String,
}

impl Read for DecodeErrors {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if failure_in(&e).is_some() || e.kind() == io::ErrorKind::Interrupted {
                return e;
            }
            let f = Failure::Network(format!(
                "cannot decode the response body from {} (Content-Encoding): {e}",
                self.host
            ));
            io::Error::new(e.kind(), f)
        })
    }
}

/// The [`Failure`] a body reader put in this error, if any: a failure to read the body, as
/// opposed to a failure to write it out.
pub fn failure_in(e: &io::Error) -> Option<&Failure> {
    e.get_ref()?.downcast_ref::<Failure>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_lookup_and_edit() {
        let mut h: Headers = vec![
            ("Host".to_string(), b"a".to_vec()),
            ("set-cookie".to_string(), b"x=1".to_vec()),
            ("Set-Cookie".to_string(), b"y=2".to_vec()),
        ]
        .into();
        assert_eq!(h.get_str("HOST"), Some("a"));
        assert_eq!(h.get_all("set-cookie").count(), 2);
        h.set("host", "b");
        assert_eq!(h[0], ("host".to_string(), b"b".to_vec()));
        h.remove("Set-Cookie");
        assert_eq!(h.len(), 1);
        h.insert(0, "Accept", "*/*");
        assert_eq!(h.position("accept"), Some(0));
    }

    #[test]
    fn header_problems() {
        assert_eq!(header_problem("X-Ok", b"a\tb \xc3\xa9"), None);
        assert!(header_problem("Bad Name", b"v").is_some());
        assert!(header_problem("", b"v").is_some());
        assert!(header_problem("X", b"a\r\nInjected: 1").is_some());
        assert!(header_problem("X", b"\x7f").is_some());
    }

    #[test]
    fn authority_omits_default_ports() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(authority(&u("http://h:80/")), "h");
        assert_eq!(authority(&u("https://h:8443/")), "h:8443");
        assert_eq!(authority(&u("http://[::1]:9/")), "[::1]:9");
    }

    #[test]
    fn decoder_errors_are_worded_and_network_ones_kept() {
        let corrupt: Body = Box::new(io::Cursor::new(b"not gzip at all".to_vec()));
        let mut resp = Response::new(
            "HTTP/1.1".into(),
            200,
            String::new(),
            vec![("Content-Encoding".to_string(), b"gzip".to_vec())].into(),
            Timings::default(),
            "h:1".into(),
            corrupt,
        );
        let mut body = resp.take_decoded();
        let e = body.read_to_end(&mut Vec::new()).unwrap_err();
        let f = failure_in(&e).unwrap().to_string();
        assert!(
            f.starts_with("cannot decode the response body from h:1"),
            "{f}"
        );
    }
}

//! A raw-socket scripted server for wire-level cases and byte-exact
//! request capture.
//!
//! Each accepted connection runs a script on its own thread. Scripts decide
//! everything: what to read, what bytes to write and when, whether to close
//! gracefully, reset, or hold the connection open until the test ends.
//! Timing gaps are made with a [`super::Gate`] the test controls, never with
//! sleeps.
//!
//! Dropping a [`RawServer`] stops accepting, releases scripts parked in
//! [`Conn::hold`] and shuts down every connection still open (so blocked
//! reads/writes return). Connection threads are not joined: one may still
//! wait on a gate owned by the test, which its drop will open.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use nix::libc;

use super::gate::{gate, Gate, Opener};

/// Longest request head accepted by [`read_request`].
const MAX_HEAD: usize = 64 * 1024;

/// One request exactly as received.
#[derive(Clone, PartialEq, Eq)]
pub struct RawRequest {
    /// Request line and headers through the blank line (`\r\n\r\n`).
    pub head: Vec<u8>,
    /// Body bytes as received, chunked framing (and trailers) included.
    pub body: Vec<u8>,
}

impl RawRequest {
    /// `head` followed by `body`: the exact bytes on the wire.
    pub fn bytes(&self) -> Vec<u8> {
        [self.head.as_slice(), self.body.as_slice()].concat()
    }

    /// The head as text (lossy).
    pub fn head_str(&self) -> String {
        String::from_utf8_lossy(&self.head).into_owned()
    }

    /// The request line without its line ending.
    pub fn request_line(&self) -> String {
        self.head_str()
            .split("\r\n")
            .next()
            .unwrap_or("")
            .to_string()
    }

    /// Method from the request line.
    pub fn method(&self) -> String {
        self.request_line()
            .split(' ')
            .next()
            .unwrap_or("")
            .to_string()
    }

    /// Request target from the request line.
    pub fn target(&self) -> String {
        self.request_line()
            .split(' ')
            .nth(1)
            .unwrap_or("")
            .to_string()
    }

    /// Header fields in order (lossy text; values without surrounding
    /// whitespace).
    pub fn headers(&self) -> Vec<(String, String)> {
        parse_headers(&self.head)
    }

    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers()
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Whether the body used chunked framing.
    pub fn is_chunked(&self) -> bool {
        is_chunked(&self.headers())
    }

    /// The body with chunked framing removed (the body itself otherwise).
    #[track_caller]
    pub fn decoded_body(&self) -> Vec<u8> {
        if !self.is_chunked() {
            return self.body.clone();
        }
        let mut decoded = Vec::new();
        read_chunked(&mut self.body.as_slice(), &mut Vec::new(), &mut decoded).unwrap_or_else(
            |e| {
                panic!(
                    "malformed chunked body {:?}: {e}",
                    String::from_utf8_lossy(&self.body)
                )
            },
        );
        decoded
    }
}

impl std::fmt::Debug for RawRequest {
    /// Head and body shown as (lossy) text for assertion messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRequest")
            .field("head", &self.head_str())
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// Reads one HTTP/1.1 request: the head through `\r\n\r\n`, then the body
/// by chunked framing or `Content-Length` (none: no body). Reads nothing
/// past the request, so it can be called again for the next one on a
/// keep-alive connection. Does not answer `Expect: 100-continue`; a script
/// that wants to can call [`read_head`], write the 100, then [`read_body`].
pub fn read_request<R: Read + ?Sized>(stream: &mut R) -> io::Result<RawRequest> {
    let head = read_head(stream)?;
    let body = read_body(stream, &head)?;
    Ok(RawRequest { head, body })
}

/// Reads a request head through the blank line. Byte by byte on purpose:
/// a buffered reader would swallow bytes of the body or next request.
/// A connection closed before the first byte gives `UnexpectedEof`.
pub fn read_head<R: Read + ?Sized>(stream: &mut R) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                "request head too long",
            ));
        }
        read_exact_or_eof(stream, &mut byte, "request head")?;
        head.push(byte[0]);
    }
    Ok(head)
}

/// Reads the body that `head` announces; returns the raw bytes (framing
/// included for chunked bodies).
pub fn read_body<R: Read + ?Sized>(stream: &mut R, head: &[u8]) -> io::Result<Vec<u8>> {
    let headers = parse_headers(head);
    let mut raw = Vec::new();
    if is_chunked(&headers) {
        read_chunked(stream, &mut raw, &mut Vec::new())?;
    } else if let Some(len) = content_length(&headers)? {
        raw.resize(len, 0);
        read_exact_or_eof(stream, &mut raw, "request body")?;
    }
    Ok(raw)
}

fn read_exact_or_eof<R: Read + ?Sized>(
    stream: &mut R,
    buf: &mut [u8],
    what: &str,
) -> io::Result<()> {
    stream.read_exact(buf).map_err(|e| match e.kind() {
        ErrorKind::UnexpectedEof => io::Error::new(
            ErrorKind::UnexpectedEof,
            format!("connection closed in {what}"),
        ),
        _ => e,
    })
}

fn parse_headers(head: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

/// Chunked if the last transfer coding is `chunked` (RFC 9112 §6.3).
fn is_chunked(headers: &[(String, String)]) -> bool {
    headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("transfer-encoding"))
        .flat_map(|(_, v)| v.split(','))
        .last()
        .is_some_and(|coding| coding.trim().eq_ignore_ascii_case("chunked"))
}

fn content_length(headers: &[(String, String)]) -> io::Result<Option<usize>> {
    let mut values = headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"));
    let Some((_, value)) = values.next() else {
        return Ok(None);
    };
    if values.any(|(_, v)| v != value) {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            "conflicting Content-Length headers",
        ));
    }
    value.parse().map(Some).map_err(|_| {
        io::Error::new(
            ErrorKind::InvalidData,
            format!("bad Content-Length {value:?}"),
        )
    })
}

/// Reads chunked framing through the final CRLF after trailers, appending
/// the raw bytes to `raw` and the payload to `decoded`.
fn read_chunked<R: Read + ?Sized>(
    stream: &mut R,
    raw: &mut Vec<u8>,
    decoded: &mut Vec<u8>,
) -> io::Result<()> {
    loop {
        let line = read_line(stream, raw)?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| {
            io::Error::new(ErrorKind::InvalidData, format!("bad chunk size {line:?}"))
        })?;
        if size == 0 {
            // Trailer fields, then the empty line.
            while !read_line(stream, raw)?.is_empty() {}
            return Ok(());
        }
        let mut data = vec![0u8; size + 2];
        read_exact_or_eof(stream, &mut data, "chunk")?;
        if !data.ends_with(b"\r\n") {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                "chunk not followed by CRLF",
            ));
        }
        raw.extend_from_slice(&data);
        decoded.extend_from_slice(&data[..size]);
    }
}

/// Reads one CRLF-terminated line, appending it to `raw`; returns it
/// without the line ending.
fn read_line<R: Read + ?Sized>(stream: &mut R, raw: &mut Vec<u8>) -> io::Result<String> {
    let start = raw.len();
    let mut byte = [0u8; 1];
    while !raw[start..].ends_with(b"\r\n") {
        if raw.len() - start >= MAX_HEAD {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                "chunk line too long",
            ));
        }
        read_exact_or_eof(stream, &mut byte, "chunk framing")?;
        raw.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&raw[start..raw.len() - 2]).into_owned())
}

/// `SCHEME://127.0.0.1:PORT/path` (a leading `/` in `path` is optional).
pub(super) fn local_url(scheme: &str, port: u16, path: &str) -> String {
    format!(
        "{scheme}://127.0.0.1:{port}/{}",
        path.trim_start_matches('/')
    )
}

/// A TCP socket bound to 127.0.0.1 (an ephemeral port) and, with `backlog`, listening.
fn bound_socket(backlog: Option<i32>) -> (std::os::fd::OwnedFd, u16) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a descriptor this function owns from creation; the
    // address structs are plain data of the sizes passed.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0, "harness: socket");
        let owned = std::os::fd::OwnedFd::from_raw_fd(fd);
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
        let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let sa = &mut addr as *mut libc::sockaddr_in as *mut libc::sockaddr;
        assert_eq!(libc::bind(fd, sa, len), 0, "harness: bind");
        if let Some(n) = backlog {
            assert_eq!(libc::listen(fd, n), 0, "harness: listen");
        }
        assert_eq!(
            libc::getsockname(fd, sa, &mut len),
            0,
            "harness: getsockname"
        );
        (owned, u16::from_be(addr.sin_port))
    }
}

/// A port where nothing listens, kept that way for as long as this value lives: the socket
/// is bound (so no other test can take the port) but never listens, so a connection
/// attempt is refused. Formats as the port number.
pub struct DeadPort {
    pub port: u16,
    _socket: std::os::fd::OwnedFd,
}

impl std::fmt::Display for DeadPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.port)
    }
}

pub fn dead_port() -> DeadPort {
    let (socket, port) = bound_socket(None);
    DeadPort {
        port,
        _socket: socket,
    }
}

/// A listening port that never completes a connection: its accept queue (backlog 0) is
/// already full, so Linux drops the SYN of any new connection attempt, which then waits
/// until the client's connect timeout. A deterministic endpoint for connect timeouts,
/// without depending on an unroutable address.
pub struct Blackhole {
    pub port: u16,
    _listener: std::os::fd::OwnedFd,
    _queued: Vec<TcpStream>,
}

impl Blackhole {
    pub fn start() -> Blackhole {
        let (listener, port) = bound_socket(Some(0));
        // Fill the queue until an attempt gets no answer: from then on, every one hangs.
        let target = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let mut queued = Vec::new();
        for _ in 0..16 {
            match TcpStream::connect_timeout(&target, Duration::from_millis(200)) {
                Ok(s) => queued.push(s),
                Err(_) => {
                    return Blackhole {
                        port,
                        _listener: listener,
                        _queued: queued,
                    }
                }
            }
        }
        panic!("harness: the accept queue of a backlog-0 listener never filled");
    }

    /// `http://127.0.0.1:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }
}

/// Arms `stream` so that closing it sends a TCP RST instead of a FIN
/// (SO_LINGER with a zero timeout), to test how the client reports a reset
/// connection. The RST goes out when the connection closes, i.e. when the
/// script returns; write nothing after this.
pub fn reset(stream: &TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: valid socket fd; the option value is a `linger` of the size given.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        eprintln!(
            "harness raw server: SO_LINGER failed: {}",
            io::Error::last_os_error()
        );
    }
}

struct Shared {
    received: Mutex<Vec<RawRequest>>,
    /// Clones of open connections, so drop can shut them down. Removed when
    /// a `Conn` drops, so a script's close really closes the socket.
    open: Mutex<HashMap<usize, TcpStream>>,
    connections: AtomicUsize,
    stop: AtomicBool,
    hold: Gate,
}

/// Locks `m`, even if a panicking thread poisoned it.
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One accepted connection, handed to a [`RawServer::scripted`] script.
/// Dropping it closes the connection.
pub struct Conn {
    /// 0 for the first connection accepted, 1 for the next, ...
    pub index: usize,
    pub stream: TcpStream,
    shared: Arc<Shared>,
}

impl Conn {
    /// Reads one request (see [`read_request`]) and records it for
    /// [`RawServer::received`].
    pub fn read_request(&mut self) -> io::Result<RawRequest> {
        let request = read_request(&mut self.stream)?;
        lock(&self.shared.received).push(request.clone());
        Ok(request)
    }

    /// Writes all `bytes` and flushes.
    pub fn write(&mut self, bytes: impl AsRef<[u8]>) -> io::Result<()> {
        self.stream.write_all(bytes.as_ref())?;
        self.stream.flush()
    }

    /// Blocks until the server is dropped: a connection that never answers.
    pub fn hold(&self) {
        self.shared.hold.wait();
    }

    /// Graceful close: FIN, then discard anything the client still sends
    /// until it closes (closing with unread input would send an RST, which
    /// may destroy the response before the client reads it).
    /// The socket itself closes when the script returns.
    pub fn finish(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
        let _ = io::copy(&mut self.stream, &mut io::sink());
    }

    /// Abortive close: the client sees "connection reset". Sent when the
    /// script returns (see [`reset`]), so make this the script's last step.
    pub fn reset(&mut self) {
        reset(&self.stream);
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        lock(&self.shared.open).remove(&self.index);
    }
}

/// A scripted raw TCP server on 127.0.0.1; see the module docs.
pub struct RawServer {
    pub port: u16,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
    /// Opens `shared.hold` when dropped together with the server.
    _release: Opener,
}

impl RawServer {
    /// Runs `script(conn_index, stream)` for each connection; the
    /// connection closes when the script returns. The listener is bound
    /// before this returns. Requests read here are not recorded: use
    /// [`RawServer::scripted`] and [`Conn::read_request`] for that.
    pub fn start(script: impl Fn(usize, &mut TcpStream) + Send + Sync + 'static) -> RawServer {
        RawServer::scripted(move |conn| script(conn.index, &mut conn.stream))
    }

    /// Runs `script` for each connection with a [`Conn`] that records
    /// requests and can hold, finish or reset.
    pub fn scripted(script: impl Fn(&mut Conn) + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("harness: cannot bind raw server: {e}"));
        let port = listener
            .local_addr()
            .expect("harness: listener address")
            .port();
        let (hold, release) = gate();
        let shared = Arc::new(Shared {
            received: Mutex::new(Vec::new()),
            open: Mutex::new(HashMap::new()),
            connections: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            hold,
        });
        let script: Arc<dyn Fn(&mut Conn) + Send + Sync> = Arc::new(script);
        let accept = {
            let shared = shared.clone();
            thread::spawn(move || accept_loop(&listener, &shared, &script))
        };
        RawServer {
            port,
            shared,
            accept: Some(accept),
            _release: release,
        }
    }

    /// For every connection: read one request (recorded), write `response`
    /// verbatim, close gracefully. Include `Connection: close` in the
    /// response if the client might otherwise try to reuse the connection.
    pub fn respond(response: impl Into<Vec<u8>>) -> RawServer {
        let response = response.into();
        RawServer::scripted(move |conn| {
            if let Err(e) = conn.read_request() {
                eprintln!("harness raw server: reading request failed: {e}");
                return;
            }
            if let Err(e) = conn.write(&response) {
                eprintln!("harness raw server: writing response failed: {e}");
                return;
            }
            conn.finish();
        })
    }

    /// Requests recorded so far (by `respond` and `Conn::read_request`).
    pub fn received(&self) -> Vec<RawRequest> {
        lock(&self.shared.received).clone()
    }

    /// The only recorded request; panics unless exactly one was received.
    #[track_caller]
    pub fn request(&self) -> RawRequest {
        let mut all = self.received();
        assert_eq!(all.len(), 1, "expected exactly one request, got {all:#?}");
        all.remove(0)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// `http://127.0.0.1:PORT/path` (a leading `/` in `path` is optional).
    pub fn url(&self, path: &str) -> String {
        local_url("http", self.port, path)
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept() with a throwaway connection.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        for stream in lock(&self.shared.open).values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        // `_release` drops after this, releasing `Conn::hold`.
    }
}

fn accept_loop(
    listener: &TcpListener,
    shared: &Arc<Shared>,
    script: &Arc<dyn Fn(&mut Conn) + Send + Sync>,
) {
    loop {
        let accepted = listener.accept();
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("harness raw server: accept failed: {e}");
                continue;
            }
        };
        let index = shared.connections.fetch_add(1, Ordering::SeqCst);
        match stream.try_clone() {
            Ok(clone) => drop(lock(&shared.open).insert(index, clone)),
            Err(e) => eprintln!("harness raw server: cannot track connection: {e}"),
        }
        let conn = Conn {
            index,
            stream,
            shared: shared.clone(),
        };
        let script = script.clone();
        thread::spawn(move || run_script(conn, &*script));
    }
}

/// Runs one script; a panicking script is reported, not propagated (it
/// must not take down unrelated tests), and its connection is closed.
fn run_script(mut conn: Conn, script: &(dyn Fn(&mut Conn) + Send + Sync)) {
    let index = conn.index;
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| script(&mut conn))) {
        let msg = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned());
        eprintln!(
            "harness raw server: script panicked on connection {index}: {}",
            msg.unwrap_or_default()
        );
    }
}

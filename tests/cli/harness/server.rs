//! A recording HTTP/1.1 server (tiny_http) for ordinary exchanges.
//!
//! Every request is recorded (method, target, headers in received order
//! with their original case, full body) *before* the handler's reply is
//! sent, so once the binary has exited, `requests()` is complete.
//!
//! tiny_http shapes replies in ways a test must know about; use
//! [`super::RawServer`] whenever the exact response bytes matter:
//! - it adds `Server: tiny-http (Rust)` and `Date: <now>` (both first in
//!   the head) unless the reply sets them;
//! - it drops `Connection`, `Transfer-Encoding`, `Trailer` and `Upgrade`
//!   headers from replies, and derives `Content-Length` from the body (a
//!   `Content-Length` header in a reply is not sent as written);
//! - the body is sent with `Content-Length` (this harness raises tiny_http's
//!   32 KiB chunking threshold) unless [`Reply::chunked`] is used;
//! - HEAD replies carry the `Content-Length` of the body but no body;
//!   1xx/204/304 replies never carry a body;
//! - it answers `Expect: 100-continue` with `100 Continue` on its own and
//!   rejects other `Expect` values with 417; requests with non-ASCII header
//!   bytes are rejected with 400 before reaching the handler.
//!
//! Each request is handled on its own thread, so a handler may block (on a
//! [`super::Gate`]) without stalling other requests.
//!
//! The server listens on 127.0.0.1 ([`Server::start`]), on another local
//! address ([`Server::bind`], e.g. `[::1]:0`) or on a Unix socket
//! ([`Server::start_unix`]); all three share the same accept loop.

use std::io::Cursor;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

/// One request as the server received it.
#[derive(Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    /// Request target as received (path + query; absolute-form if sent so).
    pub url: String,
    /// In received order, original name case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The client's end of the connection (`None` over a Unix socket).
    pub peer: Option<SocketAddr>,
}

/// First value of header `name` (case-insensitive) in a recorded list.
pub(super) fn header_in<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// All values of header `name` (case-insensitive) in a recorded list, in order.
pub(super) fn headers_named<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

impl Recorded {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }

    /// All values of header `name` (case-insensitive), in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        headers_named(&self.headers, name)
    }

    /// Header names in received order.
    pub fn header_names(&self) -> Vec<&str> {
        self.headers.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// Body as text (lossy).
    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The path part of `url` (before `?`).
    pub fn path(&self) -> &str {
        self.url.split('?').next().unwrap_or("")
    }

    /// The query part of `url` (after `?`), if any.
    pub fn query(&self) -> Option<&str> {
        self.url.split_once('?').map(|(_, q)| q)
    }
}

impl std::fmt::Debug for Recorded {
    /// Body shown as (lossy) text, which is what assertion messages need.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorded")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("body", &self.body_str())
            .field("peer", &self.peer)
            .finish()
    }
}

/// A reply for [`Server`] handlers, built fluently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the body with `Transfer-Encoding: chunked`.
    pub chunked: bool,
}

impl Reply {
    /// 200 with no headers and an empty body.
    pub fn ok() -> Reply {
        Reply::status(200)
    }

    /// `code` with no headers and an empty body.
    pub fn status(code: u16) -> Reply {
        Reply {
            status: code,
            headers: Vec::new(),
            body: Vec::new(),
            chunked: false,
        }
    }

    /// 200, `Content-Type: application/json`, `body` verbatim.
    pub fn json(body: &str) -> Reply {
        Reply::ok()
            .header("Content-Type", "application/json")
            .body(body)
    }

    /// 200, `Content-Type: text/plain; charset=utf-8`, `body` verbatim.
    pub fn text(body: &str) -> Reply {
        Reply::ok()
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(body)
    }

    /// A redirect with `Location: location`.
    pub fn redirect(code: u16, location: &str) -> Reply {
        Reply::status(code).header("Location", location)
    }

    /// Adds a header (kept in order; repeated names are sent repeatedly).
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    /// Sends the body chunked instead of with `Content-Length` (HTTP/1.1).
    pub fn chunked(mut self) -> Reply {
        self.chunked = true;
        self
    }
}

type Handler = Box<dyn Fn(&Recorded) -> Reply + Send + Sync>;

struct Shared {
    requests: Mutex<Vec<Recorded>>,
    stop: AtomicBool,
    handler: Handler,
}

/// A running recording server (127.0.0.1 unless made with [`Server::bind`]
/// or [`Server::start_unix`]); dropping it stops it.
pub struct Server {
    /// The TCP port; 0 for a Unix-socket server.
    pub port: u16,
    /// The socket's path, for a server made with [`Server::start_unix`].
    pub socket: Option<PathBuf>,
    /// `127.0.0.1:PORT`, `[::1]:PORT`, or `localhost` for a Unix socket.
    authority: String,
    shared: Arc<Shared>,
    http: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds an ephemeral port on 127.0.0.1 (ready on return) and serves
    /// every request with `handler`. A panicking handler yields a 500 reply.
    pub fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Server {
        Server::bind("127.0.0.1:0", handler)
            .unwrap_or_else(|e| panic!("harness: cannot bind server: {e}"))
    }

    /// Like [`Server::start`] on `addr` (e.g. `[::1]:0`); an error if it
    /// cannot be bound, so a test can tell a machine without that address.
    pub fn bind(
        addr: &str,
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> Result<Server, String> {
        let http = tiny_http::Server::http(addr).map_err(|e| format!("{addr}: {e}"))?;
        let local = http
            .server_addr()
            .to_ip()
            .expect("harness: server has an IP address");
        Ok(Server::serve(http, local.to_string(), None, handler))
    }

    /// Like [`Server::start`], listening on a Unix socket created at `path`
    /// (removed when the server is dropped).
    pub fn start_unix(
        path: &Path,
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let http = tiny_http::Server::http_unix(path)
            .unwrap_or_else(|e| panic!("harness: cannot listen on {}: {e}", path.display()));
        let socket = Some(path.to_path_buf());
        Server::serve(http, "localhost".to_string(), socket, handler)
    }

    /// Starts the accept loop on a bound `http`.
    fn serve(
        http: tiny_http::Server,
        authority: String,
        socket: Option<PathBuf>,
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let http = Arc::new(http);
        let port = http.server_addr().to_ip().map_or(0, |a| a.port());
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            handler: Box::new(handler),
        });
        let thread = {
            let (http, shared) = (http.clone(), shared.clone());
            thread::spawn(move || accept_loop(&http, &shared))
        };
        Server {
            port,
            socket,
            authority,
            shared,
            http,
            thread: Some(thread),
        }
    }

    /// Replies 200 `application/json` with `{"method", "url", "headers",
    /// "body"}`: headers as an object in received order (repeated names
    /// joined with ", "), body as a lossy UTF-8 string.
    pub fn echo() -> Server {
        Server::start(|r| Reply::json(&echo_json(r).to_string()))
    }

    /// `http://127.0.0.1:PORT/path` (a leading `/` in `path` is optional);
    /// the host is the one bound (`[::1]`, ...), `localhost` without a port
    /// for a Unix-socket server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.authority, path.trim_start_matches('/'))
    }

    /// `127.0.0.1:PORT` (or what [`Server::url`] has in its place).
    pub fn addr(&self) -> String {
        self.authority.clone()
    }

    /// The socket path of a [`Server::start_unix`] server, as text.
    #[track_caller]
    pub fn socket_path(&self) -> &str {
        self.socket
            .as_deref()
            .expect("harness: not a Unix-socket server")
            .to_str()
            .expect("UTF-8 socket path")
    }

    /// All requests recorded so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The only request; panics unless exactly one was received.
    #[track_caller]
    pub fn request(&self) -> Recorded {
        let mut all = self.requests();
        assert_eq!(all.len(), 1, "expected exactly one request, got {all:#?}");
        all.remove(0)
    }

    /// Number of requests recorded so far.
    pub fn hits(&self) -> usize {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // recv() returns an error once unblocked; the flag tells the loop
        // that this error means "stop" rather than a transient failure.
        self.shared.stop.store(true, Ordering::SeqCst);
        self.http.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // Handler threads are not joined: one may still be parked on a gate
        // owned by the test. Dropping `http` closes the listener.
    }
}

fn accept_loop(http: &tiny_http::Server, shared: &Arc<Shared>) {
    loop {
        match http.recv() {
            Ok(request) => {
                let shared = shared.clone();
                thread::spawn(move || serve(request, &shared));
            }
            Err(_) if shared.stop.load(Ordering::SeqCst) => return,
            Err(e) => eprintln!("harness server: accept error: {e}"),
        }
    }
}

/// Records one request, asks the handler, sends the reply. Failures are
/// logged, never unwrapped: the client may legitimately have gone away.
fn serve(mut request: tiny_http::Request, shared: &Shared) {
    let mut body = Vec::new();
    if let Err(e) = request.as_reader().read_to_end(&mut body) {
        eprintln!("harness server: reading request body failed: {e}");
        return;
    }
    let recorded = Recorded {
        method: request.method().as_str().to_string(),
        url: request.url().to_string(),
        headers: request
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_string(),
                    h.value.as_str().to_string(),
                )
            })
            .collect(),
        body,
        peer: request.remote_addr().copied(),
    };
    shared
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(recorded.clone());
    let reply = catch_unwind(AssertUnwindSafe(|| (shared.handler)(&recorded)))
        .unwrap_or_else(|_| Reply::status(500).body("harness: handler panicked"));
    if let Err(e) = request.respond(to_response(reply)) {
        eprintln!("harness server: sending reply failed: {e}");
    }
}

fn to_response(reply: Reply) -> tiny_http::Response<Cursor<Vec<u8>>> {
    let headers = reply
        .headers
        .iter()
        .filter_map(|(k, v)| {
            let header = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes());
            header
                .map_err(|()| eprintln!("harness server: unsendable header {k:?}: {v:?}"))
                .ok()
        })
        .collect();
    let len = reply.body.len();
    // Threshold 0 forces chunked; MAX forces Content-Length.
    let threshold = if reply.chunked { 0 } else { usize::MAX };
    tiny_http::Response::new(
        reply.status.into(),
        headers,
        Cursor::new(reply.body),
        Some(len),
        None,
    )
    .with_chunked_threshold(threshold)
}

/// The JSON document [`Server::echo`] replies with.
pub fn echo_json(r: &Recorded) -> serde_json::Value {
    let mut headers = serde_json::Map::new();
    for (name, value) in &r.headers {
        let joined = match headers.get(name).and_then(|v| v.as_str()) {
            Some(prev) => format!("{prev}, {value}"),
            None => value.clone(),
        };
        headers.insert(name.clone(), joined.into());
    }
    serde_json::json!({
        "method": r.method,
        "url": r.url,
        "headers": headers,
        "body": String::from_utf8_lossy(&r.body),
    })
}

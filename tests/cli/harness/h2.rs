//! An in-process HTTP/2 server built on the `h2` crate's server API, so a
//! test controls what goes on the wire frame by frame: replies sent in
//! parts (each flushed as it is sent, optionally held behind a
//! [`Gate`]), `RST_STREAM` with a chosen code, `GOAWAY` (h2's, or one the
//! harness writes with a lower last-stream-id), a small advertised
//! stream window, request bodies that are never read, and a graceful
//! close of the connection after a reply ([`H2Reply::and_close`]).
//!
//! [`H2Server::plain`] speaks h2c with prior knowledge on 127.0.0.1;
//! [`H2Server::tls`] speaks HTTP/2 over TLS, offering only `h2` in ALPN.
//! The port is bound before the constructor returns (binding is the
//! readiness signal). A tokio current-thread runtime on a background
//! thread runs one task per connection and one per stream; handlers and
//! gate waits run on tokio's blocking pool, so a held reply never stalls
//! other connections. Dropping the server stops it and shuts down every
//! connection it still holds.
//!
//! Every complete request is recorded *before* the handler runs, so once
//! the binary under test has exited, [`H2Server::requests`] is complete.
//! A handler that panics answers 500 with the body `harness: handler
//! panicked`.
//!
//! What `h2` decides for us (a test must not expect otherwise):
//! - header names are lowercase on the wire (`h2` lowercases them);
//! - [`H2Request::headers`] come from `h2`'s `HeaderMap`: fields are in
//!   order of each name's first appearance, repeated names grouped
//!   together (`a, b, a` is recorded as `a, a, b`);
//! - connection-specific reply headers (`connection`, `transfer-encoding`,
//!   `keep-alive`, `proxy-connection`, `upgrade`, `te` other than
//!   `trailers`) are refused by `h2`: the harness then resets the stream
//!   with `INTERNAL_ERROR` instead of answering, and says why on stderr;
//! - no `content-length` is sent unless the reply sets one
//!   ([`H2Reply::header`] or [`H2Reply::with_length`]); no `date` or
//!   `server` header is added.

use std::future::poll_fn;
use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::{self, JoinHandle};

use bytes::Bytes;
use h2::server::SendResponse;
use h2::{Reason, RecvStream, SendStream};
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, oneshot};

use super::gate::Gate;
use super::listener::SAFETY;
use super::raw::{local_url, lock};
use super::server::{header_in, headers_named};

/// Most bytes asked of the flow-control window at a time when sending a
/// part; parts larger than this go out in several DATA frames.
const CHUNK: usize = 64 * 1024;

type Handler = dyn Fn(&H2Request) -> H2Reply + Send + Sync;

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct H2Request {
    pub method: String,
    /// `:scheme`, if sent.
    pub scheme: Option<String>,
    /// `:authority`, if sent.
    pub authority: Option<String>,
    /// Path and query as received in `:path`.
    pub path: String,
    /// Regular headers, lowercase names, no pseudo-headers; see the module
    /// docs for their order. Values that are not UTF-8 are decoded lossily.
    pub headers: Vec<(String, String)>,
    /// The whole request body, read before the handler runs; always empty
    /// with [`H2Options::stall_uploads`].
    pub body: Vec<u8>,
    /// Number of non-empty DATA frames the body came in.
    pub data_frames: usize,
    /// The HEADERS frame carried END_STREAM (the request has no body).
    pub end_stream_on_headers: bool,
    /// Trailer fields after the body, if any (never read with
    /// `stall_uploads`).
    pub trailers: Vec<(String, String)>,
}

impl H2Request {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }

    /// All values of header `name` (case-insensitive), in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        headers_named(&self.headers, name)
    }

    /// Header names in recorded order.
    pub fn header_names(&self) -> Vec<&str> {
        self.headers.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// Body as text (lossy).
    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn fields(map: &HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------

/// What a reply does with its stream.
#[derive(Clone, Debug)]
enum Kind {
    /// HEADERS, then the parts.
    Respond,
    /// RST_STREAM with this code, no HEADERS.
    Refuse(Reason),
    /// GOAWAY with this code, no answer; `true`: written by the harness
    /// with a last-stream-id below this stream (not processed).
    GoAway(Reason, bool),
}

/// One step after the HEADERS frame.
#[derive(Clone, Debug)]
enum Part {
    Data(Bytes),
    Wait(Gate),
}

/// A reply for [`H2Server`] handlers, built fluently: a status, headers,
/// then DATA parts (each flushed when sent), optionally separated by gates,
/// ending with END_STREAM, trailers or a reset.
#[derive(Clone, Debug)]
pub struct H2Reply {
    kind: Kind,
    status: u16,
    headers: Vec<(String, String)>,
    parts: Vec<Part>,
    trailers: Vec<(String, String)>,
    reset: Option<Reason>,
    close: bool,
}

impl H2Reply {
    /// `code` with no headers and no body (HEADERS carries END_STREAM).
    pub fn status(code: u16) -> H2Reply {
        H2Reply {
            kind: Kind::Respond,
            status: code,
            headers: Vec::new(),
            parts: Vec::new(),
            trailers: Vec::new(),
            reset: None,
            close: false,
        }
    }

    /// 200 with no headers and an empty body (like [`super::Reply::ok`]).
    pub fn ok() -> H2Reply {
        H2Reply::status(200)
    }

    /// 200, `content-type: text/plain; charset=utf-8`, `body` as one part.
    pub fn text(body: &str) -> H2Reply {
        H2Reply::ok()
            .header("content-type", "text/plain; charset=utf-8")
            .body(body)
    }

    /// 200, `content-type: application/json`, `body` as one part.
    pub fn json(body: &str) -> H2Reply {
        H2Reply::ok()
            .header("content-type", "application/json")
            .body(body)
    }

    /// `code` with `location: location` and no body.
    pub fn redirect(code: u16, location: &str) -> H2Reply {
        H2Reply::status(code).header("location", location)
    }

    /// Adds a header, sent as given (h2 lowercases the name); repeated
    /// names are sent repeatedly.
    pub fn header(mut self, name: &str, value: &str) -> H2Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the body to one DATA part, replacing any parts (and gates) so far.
    pub fn body(mut self, bytes: impl Into<Vec<u8>>) -> H2Reply {
        self.parts = vec![Part::Data(Bytes::from(bytes.into()))];
        self
    }

    /// Adds a DATA part, sent (and flushed) after the previous ones.
    pub fn then_data(mut self, bytes: impl Into<Vec<u8>>) -> H2Reply {
        self.parts.push(Part::Data(Bytes::from(bytes.into())));
        self
    }

    /// Before the next part (or the end of the stream), waits until `gate`
    /// opens. The wait runs on a blocking thread, not the runtime.
    pub fn then_wait(mut self, gate: Gate) -> H2Reply {
        self.parts.push(Part::Wait(gate));
        self
    }

    /// After the parts, resets the stream with `reason` instead of ending
    /// it (no END_STREAM, no trailers).
    ///
    /// A client may see the reset before it reads the head and parts that
    /// arrived just ahead of it (the `h2` client does: a response future
    /// polled after the reset fails outright). To make sure the client
    /// reads them first, put a [`H2Reply::then_wait`] before the reset.
    pub fn then_reset(mut self, reason: Reason) -> H2Reply {
        self.reset = Some(reason);
        self
    }

    /// After the parts, sends a trailer field (in a final HEADERS frame
    /// carrying END_STREAM).
    pub fn trailer(mut self, name: &str, value: &str) -> H2Reply {
        self.trailers.push((name.to_string(), value.to_string()));
        self
    }

    /// After this reply, the server closes the connection gracefully: h2's
    /// `graceful_shutdown` (GOAWAY `NO_ERROR` with the highest stream id,
    /// a PING, then GOAWAY `NO_ERROR` with the last stream processed),
    /// then, once every stream has ended, FIN. The first GOAWAY is queued
    /// before the reply's final frame (END_STREAM or trailers) and h2
    /// writes a pending GOAWAY ahead of stream frames, so a client always
    /// reads the GOAWAY before the end of this reply: by the time it has
    /// the whole reply, it knows the connection takes no new stream.
    /// Ignored with [`H2Reply::then_reset`].
    pub fn and_close(mut self) -> H2Reply {
        self.close = true;
        self
    }

    /// Sets `content-length` to the total size of the DATA parts so far
    /// (replacing any `content-length` already set).
    pub fn with_length(mut self) -> H2Reply {
        let total: usize = self
            .parts
            .iter()
            .map(|p| match p {
                Part::Data(b) => b.len(),
                Part::Wait(_) => 0,
            })
            .sum();
        self.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("content-length"));
        self.header("content-length", &total.to_string())
    }

    /// Resets the stream with `reason` right away, without HEADERS
    /// (e.g. `Reason::REFUSED_STREAM`).
    pub fn refuse(reason: Reason) -> H2Reply {
        H2Reply {
            kind: Kind::Refuse(reason),
            ..H2Reply::ok()
        }
    }

    /// Instead of answering, shuts the connection down abruptly with h2's
    /// own GOAWAY (`Connection::abrupt_shutdown(reason)`), then closes it
    /// (FIN). Its last-stream-id is the highest stream h2 processed, which
    /// covers this one: "maybe processed, do not retry". The `h2` client
    /// fails this stream with a broken-pipe I/O error when the connection
    /// closes, and the *connection* with a GOAWAY error carrying `reason`.
    /// Use [`H2Reply::goaway_unprocessed`] to fail the stream itself with
    /// the GOAWAY.
    pub fn goaway(reason: Reason) -> H2Reply {
        H2Reply {
            kind: Kind::GoAway(reason, false),
            ..H2Reply::ok()
        }
    }

    /// Like [`H2Reply::goaway`], but the harness writes the GOAWAY itself
    /// with a last-stream-id just below this stream's (0 for stream 1), so
    /// the client learns this stream was *not* processed (safe to retry);
    /// the `h2` client fails the stream with a GOAWAY error carrying
    /// `reason`. The connection then closes. h2 is not polled after this
    /// point, so frames it had queued but not yet written (only possible
    /// when another stream on the connection is sending a large body) are
    /// lost.
    pub fn goaway_unprocessed(reason: Reason) -> H2Reply {
        H2Reply {
            kind: Kind::GoAway(reason, true),
            ..H2Reply::ok()
        }
    }

    fn head(&self) -> Response<()> {
        let mut response = Response::new(());
        *response.status_mut() = StatusCode::from_u16(self.status)
            .unwrap_or_else(|e| panic!("harness: bad H2Reply status {}: {e}", self.status));
        *response.headers_mut() = header_map(&self.headers);
        response
    }
}

fn header_map(pairs: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let n = HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|e| panic!("harness: bad header name {name:?}: {e}"));
        let v = HeaderValue::from_str(value)
            .unwrap_or_else(|e| panic!("harness: bad header value {value:?}: {e}"));
        map.append(n, v);
    }
    map
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

/// Server options for [`H2Server::with_options`].
#[derive(Default, Clone, Debug)]
pub struct H2Options {
    /// Initial stream window the server advertises in SETTINGS (None = the
    /// h2 default, 65,535). The connection window stays at 65,535.
    pub initial_window_size: Option<u32>,
    /// Never read request bodies: the request is recorded (with an empty
    /// body) and the handler runs as soon as HEADERS arrive, and a client
    /// upload stalls on flow control once the windows are used up.
    pub stall_uploads: bool,
}

/// State shared by the server handle and its runtime.
struct Shared {
    handler: Box<Handler>,
    options: H2Options,
    requests: Mutex<Vec<H2Request>>,
    connections: AtomicUsize,
    alpn: Mutex<Vec<Option<Vec<u8>>>>,
    peers: Mutex<Vec<SocketAddr>>,
    /// A clone of every socket still open (by connection number), so drop
    /// can shut them down.
    open: Mutex<Vec<(usize, TcpStream)>>,
    accepted: AtomicUsize,
}

impl Shared {
    fn new(handler: Box<Handler>, options: H2Options) -> Arc<Shared> {
        Arc::new(Shared {
            handler,
            options,
            requests: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            alpn: Mutex::new(Vec::new()),
            peers: Mutex::new(Vec::new()),
            open: Mutex::new(Vec::new()),
            accepted: AtomicUsize::new(0),
        })
    }
}

/// An HTTP/2 server on 127.0.0.1; see the module docs.
pub struct H2Server {
    pub port: u16,
    tls: bool,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// For [`H2Server::unix`]: the temp dir (removed on drop) and the socket in it.
    unix: Option<(tempfile::TempDir, std::path::PathBuf)>,
}

impl H2Server {
    /// h2c: HTTP/2 with prior knowledge over plain TCP on 127.0.0.1:0.
    pub fn plain(handler: impl Fn(&H2Request) -> H2Reply + Send + Sync + 'static) -> H2Server {
        H2Server::with_options(None, H2Options::default(), handler)
    }

    /// HTTP/2 over TLS: `config` is cloned with `alpn_protocols = [h2]`
    /// (the server speaks only h2; a client offering no ALPN still gets
    /// through the TLS handshake and then must speak h2).
    pub fn tls(
        config: Arc<ServerConfig>,
        handler: impl Fn(&H2Request) -> H2Reply + Send + Sync + 'static,
    ) -> H2Server {
        H2Server::with_options(Some(config), H2Options::default(), handler)
    }

    /// Like [`H2Server::plain`] (`tls: None`) or [`H2Server::tls`], with
    /// `options`.
    pub fn with_options(
        tls: Option<Arc<ServerConfig>>,
        options: H2Options,
        handler: impl Fn(&H2Request) -> H2Reply + Send + Sync + 'static,
    ) -> H2Server {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("harness: cannot bind H2 server: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("harness: H2 server address: {e}"))
            .port();
        listener
            .set_nonblocking(true)
            .expect("harness: H2 listener non-blocking");
        let acceptor = tls.map(|config| {
            let mut config = (*config).clone();
            config.alpn_protocols = vec![b"h2".to_vec()];
            tokio_rustls::TlsAcceptor::from(Arc::new(config))
        });
        let is_tls = acceptor.is_some();
        let shared = Shared::new(Box::new(handler), options);
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = {
            let shared = shared.clone();
            thread::Builder::new()
                .name(format!("h2-server-{port}"))
                .spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_io()
                        .build()
                        .expect("harness: H2 server runtime");
                    rt.block_on(async move {
                        let listener = tokio::net::TcpListener::from_std(listener)
                            .expect("harness: H2 listener");
                        tokio::select! {
                            _ = stopped => {}
                            _ = accept_loop(listener, acceptor, shared) => {}
                        }
                    });
                    // Drops every task (and so every connection) without
                    // waiting for blocking work such as gate waits.
                    rt.shutdown_background();
                })
                .expect("harness: spawn H2 server thread")
        };
        H2Server {
            port,
            tls: is_tls,
            shared,
            stop: Some(stop),
            thread: Some(thread),
            unix: None,
        }
    }

    /// h2c over a Unix socket in a fresh temp dir ([`H2Server::socket_path`]); `port` is 0.
    pub fn unix(handler: impl Fn(&H2Request) -> H2Reply + Send + Sync + 'static) -> H2Server {
        let dir = tempfile::tempdir().expect("harness: temp dir for the H2 socket");
        let path = dir.path().join("h2.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path)
            .unwrap_or_else(|e| panic!("harness: cannot bind {}: {e}", path.display()));
        listener
            .set_nonblocking(true)
            .expect("harness: H2 Unix listener non-blocking");
        let shared = Shared::new(Box::new(handler), H2Options::default());
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = {
            let shared = shared.clone();
            thread::Builder::new()
                .name("h2-server-unix".into())
                .spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_io()
                        .build()
                        .expect("harness: H2 server runtime");
                    rt.block_on(async move {
                        let listener = tokio::net::UnixListener::from_std(listener)
                            .expect("harness: H2 Unix listener");
                        tokio::select! {
                            _ = stopped => {}
                            _ = unix_accept_loop(listener, shared) => {}
                        }
                    });
                    rt.shutdown_background();
                })
                .expect("harness: spawn H2 server thread")
        };
        H2Server {
            port: 0,
            tls: false,
            shared,
            stop: Some(stop),
            thread: Some(thread),
            unix: Some((dir, path)),
        }
    }

    /// The socket of a server made by [`H2Server::unix`].
    pub fn socket_path(&self) -> &std::path::Path {
        match &self.unix {
            Some((_, path)) => path,
            None => panic!("harness: not a Unix-socket H2 server"),
        }
    }

    /// `http://127.0.0.1:PORT/path` or `https://...` (a leading `/` in
    /// `path` is optional).
    pub fn url(&self, path: &str) -> String {
        local_url(if self.tls { "https" } else { "http" }, self.port, path)
    }

    /// `127.0.0.1:PORT`.
    pub fn authority(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every complete request, in the order they completed.
    pub fn requests(&self) -> Vec<H2Request> {
        lock(&self.shared.requests).clone()
    }

    /// The only request; panics unless exactly one was received.
    #[track_caller]
    pub fn request(&self) -> H2Request {
        let mut all = self.requests();
        assert_eq!(
            all.len(),
            1,
            "expected exactly one HTTP/2 request, got {all:#?}"
        );
        all.remove(0)
    }

    /// TCP connections accepted that completed the HTTP/2 handshake.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// The client address of every TCP connection accepted, in order
    /// (including any that never completed the HTTP/2 handshake).
    pub fn peers(&self) -> Vec<SocketAddr> {
        lock(&self.shared.peers).clone()
    }

    /// The ALPN protocol negotiated on each TLS connection (in handshake
    /// order; `None` where the client offered none).
    pub fn alpn(&self) -> Vec<Option<Vec<u8>>> {
        lock(&self.shared.alpn).clone()
    }
}

impl Drop for H2Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        for (_, s) in lock(&self.shared.open).iter() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// Serves h2c on each connection to a Unix socket.
async fn unix_accept_loop(listener: tokio::net::UnixListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move { serve_h2(stream, &shared).await });
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
) {
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            continue;
        };
        lock(&shared.peers).push(peer);
        tokio::spawn(serve_connection(tcp, acceptor.clone(), shared.clone()));
    }
}

/// Runs one connection, then closes it gracefully: FIN first, then reading
/// until the client closes, so a GOAWAY the client has not read yet is not
/// lost to a reset caused by unread input.
async fn serve_connection(
    tcp: tokio::net::TcpStream,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
) {
    let _ = tcp.set_nodelay(true);
    let number = shared.accepted.fetch_add(1, Ordering::SeqCst);
    // A second descriptor for the socket: it outlives the one h2 owns.
    let Ok(std) = tcp.into_std() else { return };
    let (Ok(keep), Ok(tracked)) = (std.try_clone(), std.try_clone()) else {
        return;
    };
    lock(&shared.open).push((number, tracked));
    let Ok(tcp) = tokio::net::TcpStream::from_std(std) else {
        return;
    };
    match acceptor {
        None => serve_h2(tcp, &shared).await,
        Some(acceptor) => {
            if let Ok(tls) = acceptor.accept(tcp).await {
                let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
                lock(&shared.alpn).push(alpn);
                serve_h2(tls, &shared).await;
            }
        }
    }
    let _ = tokio::task::spawn_blocking(move || {
        let _ = keep.shutdown(Shutdown::Write);
        let _ = keep.set_nonblocking(false);
        let _ = keep.set_read_timeout(Some(SAFETY));
        let mut sink = [0u8; 16 * 1024];
        while matches!((&keep).read(&mut sink), Ok(n) if n > 0) {}
        lock(&shared.open).retain(|(n, _)| *n != number);
    })
    .await;
}

/// What a stream task hands the connection task for a GOAWAY: the reason,
/// whether the harness writes it (unprocessed), plus the stream's halves,
/// kept alive so dropping them cannot reset the stream before the GOAWAY
/// goes out.
struct GoAway {
    reason: Reason,
    unprocessed: bool,
    respond: SendResponse<Bytes>,
    body: RecvStream,
}

/// A stream task's request to its connection task.
enum Control {
    /// Send a GOAWAY (see [`GoAway`]).
    GoAway(GoAway),
    /// Start h2's graceful shutdown, then acknowledge.
    Close(oneshot::Sender<()>),
}

/// The connection's I/O, shared between h2 and the connection task so the
/// task can write a frame of its own once h2 is no longer polled.
struct SharedIo<T>(Arc<Mutex<T>>);

impl<T: AsyncRead + Unpin> AsyncRead for SharedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *lock(&self.0)).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for SharedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *lock(&self.0)).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *lock(&self.0)).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        lock(&self.0).is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *lock(&self.0)).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *lock(&self.0)).poll_shutdown(cx)
    }
}

/// Writes a GOAWAY frame (`last_stream_id`, `reason`) straight to `io`,
/// then shuts down its write side.
async fn write_goaway<T: AsyncWrite + Unpin>(
    io: &Mutex<T>,
    last_stream_id: u32,
    reason: Reason,
) -> io::Result<()> {
    // Length 8, type GOAWAY (7), no flags, stream 0; then the payload.
    let mut frame = vec![0, 0, 8, 7, 0, 0, 0, 0, 0];
    frame.extend_from_slice(&(last_stream_id & 0x7fff_ffff).to_be_bytes());
    frame.extend_from_slice(&u32::from(reason).to_be_bytes());
    let mut sent = 0;
    while sent < frame.len() {
        let n = poll_fn(|cx| Pin::new(&mut *lock(io)).poll_write(cx, &frame[sent..])).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        sent += n;
    }
    poll_fn(|cx| Pin::new(&mut *lock(io)).poll_flush(cx)).await?;
    poll_fn(|cx| Pin::new(&mut *lock(io)).poll_shutdown(cx)).await
}

async fn serve_h2<T>(io: T, shared: &Arc<Shared>)
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let io = Arc::new(Mutex::new(io));
    let mut builder = h2::server::Builder::new();
    if let Some(window) = shared.options.initial_window_size {
        builder.initial_window_size(window);
    }
    let Ok(mut conn) = builder.handshake::<_, Bytes>(SharedIo(io.clone())).await else {
        return;
    };
    shared.connections.fetch_add(1, Ordering::SeqCst);
    let (control_tx, mut control_rx) = mpsc::unbounded_channel::<Control>();
    let mut held = Vec::new();
    loop {
        tokio::select! {
            next = conn.accept() => match next {
                Some(Ok((request, respond))) => {
                    tokio::spawn(serve_stream(request, respond, shared.clone(), control_tx.clone()));
                }
                Some(Err(_)) | None => break,
            },
            Some(control) = control_rx.recv() => {
                let goaway = match control {
                    Control::Close(done) => {
                        conn.graceful_shutdown();
                        let _ = done.send(());
                        continue;
                    }
                    Control::GoAway(goaway) => goaway,
                };
                if goaway.unprocessed {
                    // h2 is not polled again: the frame is ours alone.
                    let last = u32::from(goaway.respond.stream_id()).saturating_sub(2);
                    let _ = write_goaway(&io, last, goaway.reason).await;
                    held.push((goaway.respond, goaway.body));
                    break;
                }
                conn.abrupt_shutdown(goaway.reason);
                held.push((goaway.respond, goaway.body));
            }
        }
    }
    drop(conn);
    drop(held);
}

async fn serve_stream(
    request: http::Request<RecvStream>,
    respond: SendResponse<Bytes>,
    shared: Arc<Shared>,
    control: mpsc::UnboundedSender<Control>,
) {
    let (head, mut body) = request.into_parts();
    let mut recorded = H2Request {
        method: head.method.as_str().to_string(),
        scheme: head.uri.scheme_str().map(str::to_string),
        authority: head.uri.authority().map(|a| a.as_str().to_string()),
        path: head
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        headers: fields(&head.headers),
        body: Vec::new(),
        data_frames: 0,
        end_stream_on_headers: body.is_end_stream(),
        trailers: Vec::new(),
    };
    if !shared.options.stall_uploads {
        while let Some(frame) = body.data().await {
            let Ok(frame) = frame else { return };
            if !frame.is_empty() {
                recorded.data_frames += 1;
                recorded.body.extend_from_slice(&frame);
                let _ = body.flow_control().release_capacity(frame.len());
            }
        }
        match body.trailers().await {
            Ok(Some(t)) => recorded.trailers = fields(&t),
            Ok(None) => {}
            Err(_) => return,
        }
    }
    lock(&shared.requests).push(recorded.clone());

    let handler_shared = shared.clone();
    let reply = tokio::task::spawn_blocking(move || {
        catch_unwind(AssertUnwindSafe(|| (handler_shared.handler)(&recorded)))
    })
    .await;
    let reply = match reply {
        Ok(Ok(reply)) => reply,
        _ => H2Reply::status(500).body("harness: handler panicked"),
    };
    match reply.kind {
        Kind::Refuse(reason) => {
            let mut respond = respond;
            respond.send_reset(reason);
            // Keep `body` until here so the reset is ours, not a drop's.
            drop(body);
        }
        Kind::GoAway(reason, unprocessed) => {
            let _ = control.send(Control::GoAway(GoAway {
                reason,
                unprocessed,
                respond,
                body,
            }));
        }
        Kind::Respond => {
            let _ = send_reply(respond, &reply, &control).await;
            drop(body);
        }
    }
}

/// Sends `reply` on a stream; an error means the stream or connection is
/// gone (e.g. the client reset it), which ends the reply quietly.
async fn send_reply(
    mut respond: SendResponse<Bytes>,
    reply: &H2Reply,
    control: &mpsc::UnboundedSender<Control>,
) -> Result<(), h2::Error> {
    // With `and_close`, the final frame waits for the graceful shutdown.
    let close = reply.close && reply.reset.is_none();
    // What happens after the last part.
    let plain_end = reply.reset.is_none() && reply.trailers.is_empty() && !close;
    // A body-less plain reply ends on HEADERS; a gate-only reply still waits.
    let end_on_head = reply.parts.is_empty() && plain_end;
    let mut stream = match respond.send_response(reply.head(), end_on_head) {
        Ok(stream) => stream,
        Err(e) => {
            eprintln!("harness: h2 refused the reply head ({e}); resetting the stream");
            respond.send_reset(Reason::INTERNAL_ERROR);
            return Err(e);
        }
    };
    if end_on_head {
        return Ok(());
    }
    let mut ended = false;
    for (i, part) in reply.parts.iter().enumerate() {
        match part {
            Part::Data(bytes) => {
                let last = i + 1 == reply.parts.len();
                ended = last && plain_end;
                send_data(&mut stream, bytes.clone(), ended).await?;
            }
            Part::Wait(gate) => {
                let gate = gate.clone();
                let _ = tokio::task::spawn_blocking(move || gate.wait()).await;
            }
        }
    }
    if ended {
        return Ok(());
    }
    if close {
        let (done, closing) = oneshot::channel();
        if control.send(Control::Close(done)).is_ok() {
            let _ = closing.await;
        }
    }
    if let Some(reason) = reply.reset {
        stream.send_reset(reason);
    } else if !reply.trailers.is_empty() {
        stream.send_trailers(header_map(&reply.trailers))?;
    } else {
        stream.send_data(Bytes::new(), true)?;
    }
    Ok(())
}

/// Sends `bytes` within the peer's flow-control windows, at most
/// [`CHUNK`] at a time, with END_STREAM on the last frame if `end`.
async fn send_data(
    stream: &mut SendStream<Bytes>,
    mut bytes: Bytes,
    end: bool,
) -> Result<(), h2::Error> {
    if bytes.is_empty() {
        return stream.send_data(bytes, end);
    }
    while !bytes.is_empty() {
        stream.reserve_capacity(bytes.len().min(CHUNK));
        let granted = match poll_fn(|cx| stream.poll_capacity(cx)).await {
            Some(granted) => granted?,
            None => return Err(h2::Error::from(Reason::CANCEL)),
        };
        if granted == 0 {
            continue;
        }
        let chunk = bytes.split_to(granted.min(bytes.len()));
        stream.send_data(chunk, end && bytes.is_empty())?;
    }
    Ok(())
}

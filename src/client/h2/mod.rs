//! HTTP/2 (`--http-version=2`, `2-prior-knowledge`): hyper's HTTP/2 client on a current-thread
//! tokio runtime. Nothing of it runs unless a hop goes over HTTP/2: the runtime is made with
//! the first such connection, and its tasks run only while this thread waits on them. Framing,
//! HPACK and flow control are hyper's and h2's; this module opens connections (`connect`),
//! keeps them for reuse, sends a prepared request exactly as `PreparedRequest::h2_head`
//! shows it, and hands back the neutral `Response`.

pub mod body;
mod connect;
mod tls;
mod tunnel;
pub mod words;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::runtime::Runtime;
use ureq::http::Uri;

use crate::cli::values::Verify;
use crate::client::stream::Stream;
use crate::error::{Failure, TimeoutKind};
use crate::message::{Response, Timings};
use crate::prepare::PreparedRequest;
use crate::spec::NetSpec;
use body::{Limits, RequestBody};
use connect::{Dialer, Sniff};

/// What identifies a reusable connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// `scheme://host:port`
    pub origin: String,
    /// The CONNECT proxy it is tunnelled through.
    pub proxy: Option<String>,
    pub verify: Option<Verify>,
}

/// An HTTP/2 connection ready for requests.
pub struct Conn {
    send: SendRequest<RequestBody>,
    /// The connection's own moments (connect start to TLS done), its peer and this end.
    timings: Timings,
    /// The server's first bytes (to recognise an HTTP/1.1 answer to the preface).
    first: Arc<Mutex<Vec<u8>>>,
}

/// What a new TLS connection agreed on by ALPN.
#[allow(clippy::large_enum_variant)] // one value per connection; boxing buys nothing
pub enum Connected {
    H2(Conn),
    /// The server chose HTTP/1.1 (or nothing) with `--http-version=2`; the connection itself
    /// when it can carry HTTP/1.1 on (TLS straight over TCP to the origin).
    Http11(Option<Handoff>),
}

/// A TLS connection whose server chose HTTP/1.1, handshake done, for ureq to send on.
pub struct Handoff {
    pub tcp: std::net::TcpStream,
    pub tls: rustls::ClientConnection,
    /// When it was opened (DNS, TCP, TLS), for the exchange's `--meta`.
    pub timings: Timings,
}

/// Why an HTTP/2 attempt failed, before it is worded (`client` knows the proxy and the URL).
pub enum Fail {
    /// The connector chain (DNS, TCP, CONNECT proxy) failed, as it would for HTTP/1.1.
    Dial(ureq::Error),
    /// The TLS handshake (or the socket under it) failed.
    Io(io::Error),
    Timeout(TimeoutKind),
    /// HTTP/2 itself: the handshake, a reset, a GOAWAY. With the server's first bytes.
    Http(hyper::Error, Vec<u8>),
    /// The request cannot be sent over HTTP/2 as prepared.
    Usage(anyhow::Error),
    /// The proxy failed or refused the tunnel (worded).
    Proxy(Failure),
    /// A kept connection turned out to be closed before the request went out: the caller
    /// opens a new one.
    Stale,
}

impl Fail {
    /// Nothing was processed by the server, so any request may be tried again.
    pub fn unprocessed(&self) -> bool {
        match self {
            Fail::Http(e, _) => words::refused(e),
            _ => false,
        }
    }
}

/// A TLS stream, and the protocol its server chose by ALPN.
type Secured = (Box<dyn connect::Io>, Option<Vec<u8>>);

/// Hyper's flow-control windows. Its defaults for the stream (2 MiB) and the connection
/// (5 MiB) are kept; larger frames (up to 1 MiB, where the server agrees) cost fewer wake-ups
/// per byte on a fast transfer.
const MAX_FRAME: u32 = 1 << 20;

/// The largest response head accepted, as over HTTP/1.1 (ureq's limit; hyper's own is 16 KiB).
const MAX_HEADERS: u32 = 64 * 1024;

pub struct H2 {
    rt: Arc<Runtime>,
    dialer: Dialer,
    net: NetSpec,
    pool: Vec<(Key, Conn)>,
    /// Origins whose servers chose HTTP/1.1 by ALPN: later hops go there over HTTP/1.1.
    http11: Vec<Key>,
    /// A connection opened (or a failure met) while a hop was routed, for its first attempt.
    early: Option<(Key, Result<Conn, Fail>)>,
    /// The TLS configuration per `--verify` setting, made when first needed.
    tls: Vec<(Option<Verify>, Arc<rustls::ClientConfig>)>,
}

impl H2 {
    pub fn new(net: &NetSpec, tap: &crate::client::tap::Tap) -> io::Result<H2> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        Ok(H2 {
            rt: Arc::new(rt),
            dialer: Dialer::new(net, tap),
            net: net.clone(),
            pool: Vec::new(),
            http11: Vec::new(),
            early: None,
            tls: Vec::new(),
        })
    }

    /// Whether `key`'s origin is known to speak HTTP/2 (a pooled connection) or not (it chose
    /// HTTP/1.1); `None` when only a connection can tell.
    pub fn known(&self, key: &Key) -> Option<bool> {
        if self.http11.contains(key) {
            return Some(false);
        }
        let open = |(k, c): &(Key, Conn)| k == key && !c.send.is_closed();
        self.pool.iter().any(open).then_some(true)
    }

    /// Keep the outcome of a connection opened while routing, for the hop's first attempt.
    pub fn keep_early(&mut self, key: Key, outcome: Result<Conn, Fail>) {
        self.early = Some((key, outcome));
    }

    /// The connection for `key` opened while routing, if any, else a pooled one still open
    /// (with whether it is a reuse).
    pub fn take(&mut self, key: &Key) -> Option<(Result<Conn, Fail>, bool)> {
        if let Some((k, _)) = &self.early {
            if k == key {
                return self.early.take().map(|(_, c)| (c, false));
            }
        }
        self.pool.retain(|(_, c)| !c.send.is_closed());
        let at = self.pool.iter().position(|(k, _)| k == key)?;
        Some((Ok(self.pool.remove(at).1), true))
    }

    /// Open a connection to `uri`'s origin: TCP (or a tunnel) by the dialer, TLS with ALPN
    /// when `tls` is given, then the HTTP/2 handshake unless ALPN chose HTTP/1.1.
    pub fn connect(
        &mut self,
        key: &Key,
        uri: Uri,
        tls: Option<&ureq::tls::TlsConfig>,
        left: Option<std::time::Duration>,
        tap: &crate::client::tap::Tap,
    ) -> Result<Connected, Fail> {
        // Through an https:// or SOCKS proxy, the dialer connects to the proxy and the tunnel
        // is ours; through an http:// one, the dialer's.
        let own_tunnel = key.proxy.as_deref().filter(|p| !p.starts_with("http://"));
        let stream = match own_tunnel {
            Some(p) => self.dialer.dial(proxy_uri(p)?, None, left),
            None => self.dialer.dial(uri.clone(), key.proxy.as_deref(), left),
        };
        let stream = stream.map_err(Fail::Dial)?;
        let mut timings = tap.snapshot().timings;
        let limits = Limits {
            read: self.net.timeout.connect.map(Duration::from_secs_f64),
            deadline: left.map(|l| Instant::now() + l),
            before_wait: Default::default(),
        };
        let host = uri.host().unwrap_or_default();
        let (io, alpn) = match (stream, tls) {
            // TLS straight over TCP: a server that chooses HTTP/1.1 keeps this connection.
            (Stream::Tcp(tcp), Some(t)) if key.proxy.is_none() => {
                match self.secure_tcp(&key.verify, host, tcp, t, &limits)? {
                    Ok(secured) => secured,
                    Err(mut handoff) => {
                        self.http11.push(key.clone());
                        handoff.timings = Timings {
                            connected: Some(Instant::now()),
                            tls: true,
                            ..timings
                        };
                        return Ok(Connected::Http11(Some(handoff)));
                    }
                }
            }
            (stream, tls) => self.through(stream, own_tunnel, key, &uri, tls, &limits)?,
        };
        timings.connected = Some(Instant::now());
        timings.tls = tls.is_some();
        timings.protocol = Some(match alpn.as_deref() {
            Some(b"h2") => "HTTP/2 (ALPN)",
            _ => "HTTP/2 (prior knowledge)",
        });
        if tls.is_some() && alpn.as_deref() != Some(b"h2") && !self.prior() {
            self.http11.push(key.clone());
            return Ok(Connected::Http11(None));
        }
        let (send, first) = self.handshake(io, &limits)?;
        Ok(Connected::H2(Conn {
            send,
            timings,
            first,
        }))
    }

    /// TLS to the `https://` proxy (its name checked with the same settings, no ALPN), then
    /// the CONNECT tunnel to `uri`'s origin inside it.
    fn tunnel(
        &mut self,
        io: Box<dyn connect::Io>,
        proxy: &str,
        uri: &Uri,
        tls: &ureq::tls::TlsConfig,
        verify: &Option<Verify>,
        limits: &Limits,
    ) -> Result<Box<dyn connect::Io>, Fail> {
        let shown = crate::client::shown_proxy(proxy);
        let named = |why: String| Fail::Proxy(Failure::Network(why));
        let parsed = crate::client::proxy::parse(proxy);
        let host = parsed
            .as_ref()
            .and_then(|u| u.host_str())
            .unwrap_or_default();
        let config = self.tls_config_for(verify, tls, Vec::new())?;
        let secured = self.secure(io, config, host, limits);
        let io: Box<dyn connect::Io> = match secured.map(|(tls, _)| Box::new(tls)) {
            Err(Fail::Io(e)) => {
                let rustls = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
                return Err(match rustls {
                    Some(r) => named(crate::client::tls::explain_error(
                        r,
                        &format!("proxy {shown}"),
                    )),
                    None => named(format!("TLS with proxy {shown} failed: {e}")),
                });
            }
            other => other?,
        };
        let authority = format!(
            "{}:{}",
            uri.host().unwrap_or_default(),
            uri.port_u16().unwrap_or(443)
        );
        let credentials = parsed
            .as_ref()
            .and_then(crate::client::proxy::basic_credentials);
        let opened = tunnel::open(io, &authority, credentials.as_deref());
        match body::wait(&self.rt, opened, limits, None).map_err(connect_timeout)? {
            Ok(io) => Ok(io),
            Err(tunnel::Refusal::Status(407, _)) => {
                Err(named(crate::client::proxy_auth_message(proxy)))
            }
            Err(tunnel::Refusal::Status(code, reason)) => Err(named(format!(
                "proxy {shown} refused the tunnel: {code} {reason}"
            ))),
            Err(tunnel::Refusal::Invalid(why)) => Err(named(format!("proxy {shown} {why}"))),
            Err(tunnel::Refusal::Io(e)) => Err(named(format!(
                "the connection to proxy {shown} failed: {}",
                crate::error::plain_io(&e)
            ))),
        }
    }

    /// The SOCKS handshake through `proxy` to `uri`'s origin.
    fn socks(
        &self,
        io: Box<dyn connect::Io>,
        proxy: &str,
        uri: &Uri,
        limits: &Limits,
    ) -> Result<Box<dyn connect::Io>, Fail> {
        let shown = crate::client::shown_proxy(proxy);
        let parsed = crate::client::proxy::parse(proxy);
        let scheme = parsed.as_ref().map_or("socks5", |u| u.scheme());
        let (host, port) = (
            uri.host().unwrap_or_default(),
            uri.port_u16().unwrap_or(443),
        );
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let target = match (scheme, bare.parse::<std::net::IpAddr>()) {
            (_, Ok(ip)) => tunnel::SocksTarget::Ip(std::net::SocketAddr::new(ip, port)),
            ("socks4a" | "socks5h", _) => tunnel::SocksTarget::Name(bare.to_string(), port),
            // Resolved here, with the routing rules, as ureq does for these.
            _ => tunnel::SocksTarget::Ip(self.resolve(uri)?),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let user = parsed.as_ref().map(|u| {
            (
                decode(u.username()),
                decode(u.password().unwrap_or_default()),
            )
        });
        let credentials = user.as_ref().filter(|(u, _)| !u.is_empty());
        let credentials = credentials.map(|(u, p)| (u.as_str(), p.as_str()));
        let handshake = tunnel::socks(io, scheme.starts_with("socks5"), target, credentials);
        body::wait(&self.rt, handshake, limits, None)
            .map_err(connect_timeout)?
            .map_err(|e| Fail::Proxy(Failure::Network(format!("SOCKS proxy {shown}: {e}"))))
    }

    /// The first address of `uri`'s host by the routing rules (`--resolve`, `-4/-6`).
    fn resolve(&self, uri: &Uri) -> Result<std::net::SocketAddr, Fail> {
        use ureq::unversioned::resolver::Resolver;
        let router = crate::client::dial::Router::new(self.net.route.clone());
        let config = ureq::config::Config::default();
        let found = router
            .resolve(uri, &config, Default::default())
            .map_err(Fail::Dial)?;
        found
            .first()
            .copied()
            .ok_or(Fail::Dial(ureq::Error::HostNotFound))
    }

    /// Everything but TLS straight over TCP: plain TCP or a Unix socket, and the tunnels
    /// that are ours (SOCKS, an `https://` proxy), with TLS on top when the origin wants it.
    fn through(
        &mut self,
        stream: Stream,
        own_tunnel: Option<&str>,
        key: &Key,
        uri: &Uri,
        tls: Option<&ureq::tls::TlsConfig>,
        limits: &Limits,
    ) -> Result<Secured, Fail> {
        let mut io = {
            let _inside = self.rt.enter();
            connect::to_tokio(stream).map_err(Fail::Io)?
        };
        match (own_tunnel, tls) {
            (Some(p), _) if p.starts_with("socks") => io = self.socks(io, p, uri, limits)?,
            (Some(p), Some(t)) => io = self.tunnel(io, p, uri, t, &key.verify, limits)?,
            _ => {}
        }
        let Some(t) = tls else {
            return Ok((io, None));
        };
        let config = self.tls_config(&key.verify, t)?;
        let host = uri.host().unwrap_or_default();
        let (tls, alpn) = self.secure(io, config, host, limits)?;
        Ok((Box::new(tls), alpn))
    }

    fn prior(&self) -> bool {
        self.net.http_version == crate::cli::HttpVersion::Http2PriorKnowledge
    }

    /// The TLS handshake, and the protocol the server chose by ALPN.
    fn secure<T: connect::Io + 'static>(
        &self,
        io: T,
        config: Arc<rustls::ClientConfig>,
        host: &str,
        limits: &Limits,
    ) -> Result<(tokio_rustls::client::TlsStream<T>, Option<Vec<u8>>), Fail> {
        let name = tls::server_name(host).map_err(Fail::Usage)?;
        let connector = tokio_rustls::TlsConnector::from(config);
        let tls = body::wait(&self.rt, connector.connect(name, io), limits, None)
            .map_err(connect_timeout)?
            .map_err(Fail::Io)?;
        let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
        Ok((tls, alpn))
    }

    /// TLS straight over a TCP socket; the connection itself (`Err`) when the server did not
    /// choose h2 and HTTP/2 is not a prior knowledge, for HTTP/1.1 to go on with.
    fn secure_tcp(
        &mut self,
        verify: &Option<Verify>,
        host: &str,
        tcp: std::net::TcpStream,
        t: &ureq::tls::TlsConfig,
        limits: &Limits,
    ) -> Result<Result<Secured, Handoff>, Fail> {
        let config = self.tls_config(verify, t)?;
        let tcp = {
            let _inside = self.rt.enter();
            tcp.set_nonblocking(true).map_err(Fail::Io)?;
            tokio::net::TcpStream::from_std(tcp).map_err(Fail::Io)?
        };
        let (tls, alpn) = self.secure(tcp, config, host, limits)?;
        if alpn.as_deref() == Some(b"h2") || self.prior() {
            return Ok(Ok((Box::new(tls), alpn)));
        }
        let (tcp, tls) = tls.into_inner();
        let tcp = tcp.into_std().map_err(Fail::Io)?;
        tcp.set_nonblocking(false).map_err(Fail::Io)?;
        Ok(Err(Handoff {
            tcp,
            tls,
            timings: Timings::default(),
        }))
    }

    /// The HTTP/2 handshake; its connection task runs on the runtime from now on.
    #[allow(clippy::type_complexity)]
    fn handshake(
        &self,
        io: Box<dyn connect::Io>,
        limits: &Limits,
    ) -> Result<(SendRequest<RequestBody>, Arc<Mutex<Vec<u8>>>), Fail> {
        let sniff = Sniff::new(io);
        let first = sniff.first.clone();
        let handshake = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .max_frame_size(MAX_FRAME)
            .max_header_list_size(MAX_HEADERS)
            .handshake::<_, RequestBody>(TokioIo::new(sniff));
        let (send, conn) = body::wait(&self.rt, handshake, limits, None)
            .map_err(connect_timeout)?
            .map_err(|e| Fail::Http(e, Vec::new()))?;
        self.rt.spawn(conn);
        Ok((send, first))
    }

    /// The TLS configuration for HTTP/2 to an origin (`h2` offered by ALPN).
    fn tls_config(
        &mut self,
        verify: &Option<Verify>,
        tls: &ureq::tls::TlsConfig,
    ) -> Result<Arc<rustls::ClientConfig>, Fail> {
        let h2_only = self.net.http_version == crate::cli::HttpVersion::Http2PriorKnowledge;
        self.tls_config_for(verify, tls, tls::alpn(h2_only))
    }

    /// A TLS configuration from `tls` offering `alpn`, made once per setting.
    fn tls_config_for(
        &mut self,
        verify: &Option<Verify>,
        tls: &ureq::tls::TlsConfig,
        alpn: Vec<Vec<u8>>,
    ) -> Result<Arc<rustls::ClientConfig>, Fail> {
        let found = self
            .tls
            .iter()
            .find(|(v, c)| v == verify && c.alpn_protocols == alpn);
        if let Some((_, c)) = found {
            return Ok(c.clone());
        }
        let config = tls::client_config(tls, alpn).map_err(Fail::Usage)?;
        self.tls.push((verify.clone(), config.clone()));
        Ok(config)
    }

    /// Send `req` on `conn` and wait for the response head; the connection goes back to the
    /// pool. `source` is the request body's reader (`None`: no body).
    pub fn exchange(
        &mut self,
        key: Key,
        mut conn: Conn,
        reused: bool,
        req: &PreparedRequest,
        source: Option<Box<dyn io::Read + Send>>,
        limits: Limits,
    ) -> Result<Response, Fail> {
        let started = Instant::now();
        let request = build(req, source)?;
        let rt = self.rt.clone();
        let first = conn.first.clone();
        let http = |e| Fail::Http(e, first.lock().map(|f| f.clone()).unwrap_or_default());
        let ready = body::wait(&rt, conn.send.ready(), &limits, None).map_err(Fail::Timeout)?;
        match ready {
            Err(_) if reused => return Err(Fail::Stale),
            other => other.map_err(http)?,
        }
        let (request, sent) = request;
        let pending = conn.send.send_request(request);
        let sent_at = Instant::now();
        let response = body::wait(&rt, pending, &limits, Some(&sent))
            .map_err(Fail::Timeout)?
            .map_err(http)?;
        let head_at = Instant::now();
        let upload = sent.load(std::sync::atomic::Ordering::Relaxed);
        let mut timings = match reused {
            true => Timings {
                remote: conn.timings.remote.clone(),
                local: conn.timings.local,
                tls: conn.timings.tls,
                protocol: conn.timings.protocol,
                reused: true,
                ..Timings::default()
            },
            false => conn.timings.clone(),
        };
        timings.started = timings.started.or(Some(started));
        timings.sent = Some(sent_at);
        timings.first_byte = Some(head_at);
        conn.timings.started = None;
        self.pool.push((key, conn));
        let mut resp = self.response(response, timings, req, limits);
        // HPACK makes the head's wire size moot: count it as text, as curl does.
        let line = format!("{} {} HTTP/2", req.method, req.target);
        let head = heads_size(&line, &req.h2_head().headers);
        resp.wire.request = head + upload;
        resp.wire.upload = upload;
        Ok(resp)
    }

    fn response(
        &self,
        response: hyper::Response<hyper::body::Incoming>,
        timings: Timings,
        req: &PreparedRequest,
        limits: Limits,
    ) -> Response {
        let (parts, incoming) = response.into_parts();
        let headers: crate::message::Headers = parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
            .collect();
        let host = crate::message::authority(&req.url);
        let wire = crate::message::Wire {
            head: heads_size("HTTP/2 200", &headers),
            ..Default::default()
        };
        let explain_host = host.clone();
        let (timeout, max_time) = (self.net.timeout, self.net.max_time);
        let explain: body::Explain = Box::new(move |e| match e {
            body::BodyError::Timeout(kind) => {
                let failure = crate::client::timed_out(kind, &timeout, max_time);
                io::Error::new(io::ErrorKind::TimedOut, failure)
            }
            body::BodyError::Stream(e) => {
                let failure = words::body_failure(&e, &explain_host);
                io::Error::new(io::ErrorKind::UnexpectedEof, failure)
            }
        });
        let reader = body::ResponseBody::new(
            self.rt.clone(),
            incoming,
            limits,
            explain,
            wire.body.clone(),
        );
        let mut resp = Response::new(
            "HTTP/2".into(),
            parts.status.as_u16(),
            String::new(),
            headers,
            timings,
            host,
            Box::new(reader),
        );
        resp.wire = wire;
        resp
    }
}

/// The size of a head written as text: its first line, `name: value` lines, a blank line.
fn heads_size(first: &str, headers: &crate::message::Headers) -> u64 {
    let lines: usize = headers.iter().map(|(n, v)| n.len() + 2 + v.len() + 2).sum();
    (first.len() + 2 + lines + 2) as u64
}

/// Where the dialer connects for an `https://` or SOCKS proxy.
fn proxy_uri(proxy: &str) -> Result<Uri, Fail> {
    let url = crate::client::proxy::parse(proxy).filter(|u| u.host_str().is_some());
    // The dialer only connects: it needs the host and port, not the proxy's scheme.
    let uri = url.and_then(|u| {
        let port = match u.scheme() {
            s if s.starts_with("socks") => u.port().unwrap_or(1080),
            _ => u.port_or_known_default().unwrap_or(443),
        };
        format!("http://{}:{port}/", u.host_str()?).parse().ok()
    });
    uri.ok_or_else(|| {
        let shown = crate::client::shown_proxy(proxy);
        Fail::Usage(crate::error::usage(format!("invalid proxy '{shown}'")))
    })
}

/// A wait while connecting ran out: the connect timeout, unless `--max-time` came first.
fn connect_timeout(kind: TimeoutKind) -> Fail {
    Fail::Timeout(match kind {
        TimeoutKind::Total => TimeoutKind::Total,
        _ => TimeoutKind::Connect,
    })
}

/// The hyper request for a prepared one: the lines of `h2_head`, `:authority` in the URI.
fn build(
    req: &PreparedRequest,
    source: Option<Box<dyn io::Read + Send>>,
) -> Result<
    (
        hyper::Request<RequestBody>,
        Arc<std::sync::atomic::AtomicU64>,
    ),
    Fail,
> {
    let usage = |m: String| Fail::Usage(crate::error::usage(m));
    let head = req.h2_head();
    let authority = head.headers.get(":authority").unwrap_or_default();
    let authority = String::from_utf8_lossy(authority);
    let uri = format!("{}://{}{}", req.url.scheme(), authority, req.target);
    let method = ureq::http::Method::from_bytes(req.method.as_bytes())
        .map_err(|_| usage(format!("invalid method '{}'", req.method)))?;
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(uri.as_str())
        .version(ureq::http::Version::HTTP_2);
    for (name, value) in head.headers.iter().filter(|(n, _)| !n.starts_with(':')) {
        builder = builder.header(name.as_str(), value.as_slice());
    }
    let body = RequestBody::new(source);
    let sent = body.sent.clone();
    let request = builder
        .body(body)
        .map_err(|e| usage(format!("cannot send this request over HTTP/2: {e}")))?;
    Ok((request, sent))
}

//! The only code that talks to ureq: builds the agent from `NetSpec`, sends one
//! `PreparedRequest` exactly as prepared, returns the response with its head as received,
//! and turns ureq's errors into the user's words. Redirects are followed in `redirect`.

pub mod dial;
pub mod h2;
mod handed;
pub mod proxy;
pub mod redirect;
pub mod retry;
#[cfg(target_os = "linux")]
mod splice;
pub mod stream;
pub mod tap;
pub mod tls;

use std::cell::RefCell;
use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::Result;
use ureq::config::AutoHeaderValue;
use ureq::unversioned::transport::{
    ConnectProxyConnector, Connector, RustlsConnector, SocksConnector,
};
use ureq::Agent;

use crate::cli::values::Verify;
use crate::error::{Failure, TimeoutKind};
use crate::message::{authority, Headers, Response};
use crate::prepare::PreparedRequest;
use crate::spec::NetSpec;
use tap::{Mark, Moment, Tap, TapConnector};

/// The connection's body reader, its errors worded for the user (host, timeouts, a cut
/// transfer) as `message::Body` promises.
struct NetBody<R> {
    inner: R,
    host: String,
    timeout: crate::cli::values::Timeout,
    max_time: Option<f64>,
    /// Bytes read so far (`message::Wire::body`).
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for NetBody<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf);
        if let Ok(n) = read {
            self.count
                .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        }
        read.map_err(|e| {
            if e.kind() == std::io::ErrorKind::Interrupted {
                return e;
            }
            let kind = e.kind();
            let failure = body_failure(e, &self.host, &self.timeout, self.max_time);
            std::io::Error::new(kind, failure)
        })
    }
}

/// A failed attempt: the error for the user, and whether trying again is safe.
pub struct SendFailure {
    pub error: anyhow::Error,
    /// Nothing reached the server (no connection was made).
    pub connect_phase: bool,
    /// A network failure, not a mistake in the request.
    pub retryable: bool,
}

impl SendFailure {
    fn fatal(error: anyhow::Error) -> SendFailure {
        SendFailure {
            error,
            connect_phase: false,
            retryable: false,
        }
    }
}

/// Picks the TLS verification of a hop by its URL.
pub type VerifyFor = Box<dyn Fn(&url::Url) -> Option<Verify>>;

/// An agent's TLS verification, and whether its hops use TLS at all.
type AgentKey = (Option<Verify>, bool);

/// Agents (one per TLS verification setting and use of TLS, made when first needed) and the tap
/// that watches their connections.
pub struct Client {
    agents: RefCell<Vec<(AgentKey, Agent)>>,
    tap: Tap,
    net: NetSpec,
    /// The TLS verification of each hop, by its URL (config prefixes can differ).
    verify_for: VerifyFor,
    before_wait: stream::BeforeWait,
    env: crate::env::Env,
    /// Show a progress bar on stderr while a large request body is sent.
    upload_progress: std::cell::Cell<bool>,
    /// `--max-time`: when the whole exchange must be over (set when sending starts).
    deadline: std::cell::Cell<Option<Instant>>,
    /// HTTP/2, made when the first hop needs it.
    h2: RefCell<Option<h2::H2>>,
    /// TLS connections whose servers chose HTTP/1.1 by ALPN, for the agents to send on.
    handed: handed::Waiting,
}

fn secs(v: Option<f64>) -> Option<Duration> {
    v.map(Duration::from_secs_f64)
}

impl Client {
    /// A client for `net`; `verify_for` picks each hop's TLS verification.
    pub fn new(net: &NetSpec, env: &crate::env::Env, verify_for: VerifyFor) -> Result<Client> {
        let client = Client {
            agents: RefCell::new(Vec::new()),
            tap: Tap::default(),
            net: net.clone(),
            verify_for,
            before_wait: Default::default(),
            env: env.clone(),
            upload_progress: std::cell::Cell::new(false),
            deadline: std::cell::Cell::new(None),
            h2: RefCell::new(None),
            handed: Default::default(),
        };
        Ok(client)
    }

    /// Make the agent the first hop of `req` needs, so that TLS setup errors (a CA bundle
    /// that cannot be read, a client key that does not fit) come before anything is printed
    /// or sent. Later hops get theirs when they need them.
    pub fn ready_for(&self, req: &PreparedRequest) -> Result<()> {
        let var = |k: &str| self.env.var(k);
        let forward = match self.net.route.unix_socket {
            Some(_) => None,
            None => proxy::route(&req.url, &req.method, &self.net.proxies, var),
        };
        let tunnel = self.tunnel(&req.url, forward.is_some());
        let tls = uses_tls(
            &req.url,
            forward.as_ref().map(|f| f.proxy.as_str()),
            tunnel.as_deref(),
        );
        self.agent((self.verify_for)(&req.url), tls).map(|_| ())
    }

    /// The agent for a TLS verification setting. Agents for hops without TLS never load
    /// root certificates (a `REQUESTS_CA_BUNDLE` costs a millisecond to parse) and refuse
    /// any TLS they would be asked for.
    fn agent(&self, verify: Option<Verify>, tls: bool) -> Result<Agent> {
        let key = (verify, tls);
        if let Some((_, a)) = self.agents.borrow().iter().find(|(k, _)| *k == key) {
            return Ok(a.clone());
        }
        let net = NetSpec {
            verify: key.0.clone(),
            ..self.net.clone()
        };
        let agent = build_agent(&net, &self.env, self.connectors(), tls)?;
        self.agents.borrow_mut().push((key, agent.clone()));
        Ok(agent)
    }

    /// The proxy ureq tunnels a hop through (CONNECT or SOCKS), if any: none for a hop sent
    /// in absolute form, nor over a Unix socket.
    fn tunnel(&self, url: &url::Url, forwarded: bool) -> Option<String> {
        match (forwarded, &self.net.route.unix_socket) {
            (false, None) => proxy::select(url, &self.net.proxies, |k| self.env.var(k)),
            _ => None,
        }
    }

    fn connectors(&self) -> Shared<'_> {
        Shared {
            tap: &self.tap,
            before_wait: &self.before_wait,
            handed: &self.handed,
        }
    }

    /// A TLS connection whose server chose HTTP/1.1: the next hop to its origin goes on it.
    fn hand_over(&self, key: &h2::Key, handoff: Option<h2::Handoff>) {
        if let Some(h) = handoff {
            let mut waiting = self.handed.lock().unwrap_or_else(|e| e.into_inner());
            waiting.retain(|(o, _)| *o != key.origin);
            waiting.push((key.origin.clone(), h));
        }
    }

    /// Run `hook` whenever a connection is about to wait for the network (the printer
    /// flushes). Set once; later calls are ignored.
    pub fn before_wait(&self, hook: Box<dyn Fn() + Send + Sync>) {
        let _ = self.before_wait.set(hook);
    }

    /// Show a bar while large bodies (`UPLOAD_BAR_MIN` and up) are sent: when stderr is a
    /// terminal and notes are not silenced. It never changes what is sent.
    pub fn upload_progress(&self, on: bool) {
        self.upload_progress.set(on);
    }

    /// Start the `--max-time` clock, once: every later hop, retry and wait shares it.
    pub fn start_clock(&self) {
        if let (Some(max), None) = (self.net.max_time, self.deadline.get()) {
            self.deadline
                .set(Some(Instant::now() + Duration::from_secs_f64(max)));
        }
    }

    /// The time left before the `--max-time` deadline, if there is one.
    pub fn time_left(&self) -> Option<Duration> {
        self.deadline
            .get()
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The failure for a run that reached (or would pass) its `--max-time` deadline.
    pub fn over_time(&self) -> anyhow::Error {
        Failure::Timeout {
            kind: TimeoutKind::Total,
            secs: self.net.max_time.unwrap_or_default(),
        }
        .into()
    }

    /// Send one request exactly as prepared.
    pub fn send(&self, req: &PreparedRequest) -> Result<Response> {
        self.try_send(req).map_err(|f| f.error)
    }

    /// Decide how this hop travels, before it is printed and sent: to an HTTP proxy in
    /// absolute form (`req.forward`), or else directly or through ureq's tunnel (CONNECT,
    /// SOCKS); over HTTP/2 or HTTP/1.1 (`req.http2`). With `--http-version=2` over TLS only
    /// the server can say (by ALPN), so its connection is opened now. Returns notes for the
    /// user: why HTTP/2 is not used, and headers HTTP/2 does not carry.
    pub fn route(&self, req: &mut PreparedRequest) -> Vec<String> {
        let var = |k: &str| self.env.var(k);
        req.forward = match self.net.route.unix_socket {
            Some(_) => None,
            None => proxy::route(&req.url, &req.method, &self.net.proxies, var),
        };
        let (http2, mut notes) = self.choose_http2(req);
        req.http2 = http2;
        if http2 {
            for name in req.h2_head().dropped {
                notes.push(format!(
                    "HTTP/2 does not carry the {name} header: it is not sent"
                ));
            }
        }
        notes
    }

    /// Whether this hop goes over HTTP/2, and why not when it was asked for.
    fn choose_http2(&self, req: &PreparedRequest) -> (bool, Vec<String>) {
        use crate::cli::HttpVersion as V;
        let version = self.net.http_version;
        if version == V::Http11 {
            return (false, Vec::new());
        }
        let not = |why: &str| (false, vec![why.to_string()]);
        if req.forward.is_some() {
            return not(
                "HTTP/2 is not used for a request an HTTP proxy forwards: it goes over HTTP/1.1",
            );
        }
        let tunnel = self.tunnel(&req.url, false);
        if req.url.scheme() == "http" {
            return match version {
                V::Http2 => not(
                    "--http-version=2 negotiates HTTP/2 in the TLS handshake, so http:// goes over \
                     HTTP/1.1 (for HTTP/2 over plain TCP, use --http-version=2-prior-knowledge)",
                ),
                _ => (true, Vec::new()),
            };
        }
        if version == V::Http2PriorKnowledge {
            return (true, Vec::new());
        }
        let key = self.h2_key(req, tunnel.clone());
        if let Some(known) = self.h2_state().and_then(|h| h.known(&key)) {
            return (known, Vec::new());
        }
        // Only a connection can tell: open it now, keep it (or its failure) for the send.
        match self.h2_connect(req, &key) {
            Ok(h2::Connected::H2(conn)) => {
                let _ = self.with_h2(|h| h.keep_early(key, Ok(conn)));
                (true, Vec::new())
            }
            Ok(h2::Connected::Http11(h)) => {
                self.hand_over(&key, h);
                (false, Vec::new())
            }
            Err(f) => {
                let _ = self.with_h2(|h| h.keep_early(key, Err(f)));
                (true, Vec::new())
            }
        }
    }

    fn h2_key(&self, req: &PreparedRequest, tunnel: Option<String>) -> h2::Key {
        h2::Key {
            origin: format!("{}://{}", req.url.scheme(), host_and_port(&req.url)),
            proxy: tunnel,
            verify: (self.verify_for)(&req.url),
        }
    }

    /// The HTTP/2 state, if a hop has needed it yet.
    fn h2_state(&self) -> Option<std::cell::Ref<'_, h2::H2>> {
        std::cell::Ref::filter_map(self.h2.borrow(), Option::as_ref).ok()
    }

    /// Run `f` on the HTTP/2 state, making it first if needed.
    fn with_h2<T>(&self, f: impl FnOnce(&mut h2::H2) -> T) -> Result<T, h2::Fail> {
        let mut slot = self.h2.borrow_mut();
        if slot.is_none() {
            *slot = Some(h2::H2::new(&self.net, &self.tap).map_err(h2::Fail::Io)?);
        }
        match slot.as_mut() {
            Some(h) => Ok(f(h)),
            None => Err(h2::Fail::Io(std::io::Error::other("no HTTP/2 state"))),
        }
    }

    /// Open an HTTP/2 connection for `req`'s origin.
    fn h2_connect(&self, req: &PreparedRequest, key: &h2::Key) -> Result<h2::Connected, h2::Fail> {
        let tls = match req.url.scheme() {
            "https" => {
                let agent = self
                    .agent(key.verify.clone(), true)
                    .map_err(h2::Fail::Usage)?;
                Some(agent.config().tls_config().clone())
            }
            _ => None,
        };
        self.tap
            .begin(key.proxy.as_deref().and_then(connect_proxy_authority), None);
        let uri: ureq::http::Uri = format!("{}/", key.origin)
            .parse()
            .map_err(|e| h2::Fail::Usage(crate::error::usage(format!("invalid URL: {e}"))))?;
        let left = self.time_left();
        self.with_h2(|h| h.connect(key, uri, tls.as_ref(), left, &self.tap))?
    }

    /// Send one request; a failure says whether a retry is safe.
    pub fn try_send(&self, req: &PreparedRequest) -> std::result::Result<Response, SendFailure> {
        if req.http2 {
            if let Some(sent) = self.try_send_h2(req) {
                return sent;
            }
            // The server now chooses HTTP/1.1 by ALPN: send it so.
        }
        let tunnel = self.tunnel(&req.url, req.forward.is_some());
        let forward = req.forward.as_ref().map(|f| f.proxy.as_str());
        let tls = uses_tls(&req.url, forward, tunnel.as_deref());
        let agent = self
            .agent((self.verify_for)(&req.url), tls)
            .map_err(SendFailure::fatal)?;
        let mut request = self
            .build(req, &agent, tunnel.as_deref())
            .map_err(SendFailure::fatal)?;
        // ureq's global budget bounds every phase of this hop and its body's reads.
        if let Some(left) = self.time_left() {
            if left.is_zero() {
                return Err(SendFailure::fatal(self.over_time()));
            }
            request = agent
                .configure_request(request)
                .timeout_global(Some(left))
                .build();
        }
        self.tap.begin(
            tunnel.as_deref().and_then(connect_proxy_authority),
            req.target_prefix(),
        );
        // A body on a plain TCP connection of ours may be moved by the kernel (`splice`).
        let plain = !tls && tunnel.is_none();
        let proxy = tunnel.or_else(|| req.forward.as_ref().map(|f| f.proxy.clone()));
        match agent.run(request) {
            Ok(response) => self.received(response, req, plain),
            Err(e) => Err(self.failure(e, req, proxy.as_deref())),
        }
    }

    /// A failed attempt in the user's words, classified for retries.
    fn failure(&self, e: ureq::Error, req: &PreparedRequest, proxy: Option<&str>) -> SendFailure {
        let o = self.tap.snapshot();
        let (connect_phase, retryable) = classify(&e, &o);
        let error = match proxy.and_then(|p| proxy_failure(&e, p, o.proxy_ready)) {
            Some(f) => f.into(),
            None if proxy.is_none() && cut_in_handshake(&e, &o, req) => Failure::Network(format!(
                "{} closed the connection during the TLS handshake: is it an HTTPS server? \
                 (for plain HTTP, use http://)",
                authority(&req.url)
            ))
            .into(),
            None => self.explain(e, req),
        };
        SendFailure {
            error,
            connect_phase,
            retryable,
        }
    }

    /// Send one request over HTTP/2; `None` when its server chose HTTP/1.1 by ALPN.
    fn try_send_h2(
        &self,
        req: &PreparedRequest,
    ) -> Option<std::result::Result<Response, SendFailure>> {
        let tunnel = self.tunnel(&req.url, false);
        let key = self.h2_key(req, tunnel);
        let taken = self.with_h2(|h| h.take(&key)).ok().flatten();
        let (conn, reused) = match taken {
            Some((conn, reused)) => (conn, reused),
            None => match self.h2_connect(req, &key) {
                Ok(h2::Connected::H2(conn)) => (Ok(conn), false),
                Ok(h2::Connected::Http11(h)) => {
                    self.hand_over(&key, h);
                    return None;
                }
                Err(f) => (Err(f), false),
            },
        };
        let mut sent = conn.and_then(|conn| self.h2_exchange(req, key.clone(), conn, reused));
        if let Err(h2::Fail::Stale) = sent {
            sent = match self.h2_connect(req, &key) {
                Ok(h2::Connected::H2(conn)) => self.h2_exchange(req, key, conn, false),
                Ok(h2::Connected::Http11(h)) => {
                    self.hand_over(&key, h);
                    return None;
                }
                Err(f) => Err(f),
            };
        }
        Some(sent.map_err(|f| self.h2_failure(f, req)))
    }

    fn h2_exchange(
        &self,
        req: &PreparedRequest,
        key: h2::Key,
        conn: h2::Conn,
        reused: bool,
    ) -> std::result::Result<Response, h2::Fail> {
        let source = match req.body.is_empty() {
            true => None,
            false => Some(
                self.body_source(req)
                    .map_err(|e| h2::Fail::Usage(e.into()))?,
            ),
        };
        let limits = h2::body::Limits {
            read: secs(self.net.timeout.read),
            deadline: self.deadline.get(),
            before_wait: self.before_wait.clone(),
        };
        let resp = self.with_h2(|h| h.exchange(key, conn, reused, req, source, limits))??;
        self.checked(resp, req)
            .map_err(|f| h2::Fail::Usage(f.error))
    }

    /// An HTTP/2 failure in the user's words: the connector chain's as for HTTP/1.1.
    fn h2_failure(&self, f: h2::Fail, req: &PreparedRequest) -> SendFailure {
        let host = authority(&req.url);
        let unprocessed = f.unprocessed();
        let (error, connect_phase, retryable) = match f {
            h2::Fail::Dial(e) => {
                let proxy = self.tunnel(&req.url, false);
                return self.failure(e, req, proxy.as_deref());
            }
            // Only connecting (TLS) does I/O of its own: nothing was sent; a certificate
            // that was refused will be refused again.
            h2::Fail::Io(io) => {
                let tls = io.get_ref().is_some_and(|e| e.is::<rustls::Error>());
                let error = io_failure(io, &host, &host_and_port(&req.url), &self.net);
                (error, true, !tls)
            }
            h2::Fail::Timeout(kind) => (
                timed_out(kind, &self.net.timeout, self.net.max_time).into(),
                kind == TimeoutKind::Connect,
                true,
            ),
            h2::Fail::Http(e, first) => {
                let words = h2::words::head_failure(&e, &host, &first);
                let error = match (words, h2::words::io_of(&e)) {
                    (Some(w), _) => Failure::Network(w).into(),
                    (None, Some(io)) => io_failure(
                        std::io::Error::new(io.kind(), io.to_string()),
                        &host,
                        &host_and_port(&req.url),
                        &self.net,
                    ),
                    (None, None) => {
                        Failure::Network(format!("HTTP/2 exchange with {host} failed: {e}")).into()
                    }
                };
                (error, unprocessed, !h2::words::not_http2(&first))
            }
            h2::Fail::Usage(e) => (e, false, false),
            h2::Fail::Proxy(f) => (f.into(), true, true),
            h2::Fail::Stale => (
                Failure::Network(format!("the connection to {host} closed")).into(),
                true,
                true,
            ),
        };
        SendFailure {
            error,
            connect_phase,
            retryable,
        }
    }

    /// A response arrived: checked for the header limit and, in absolute form, for the
    /// proxy's own 407 (worded as when a CONNECT gets it: the origin was never asked).
    fn received(
        &self,
        response: ureq::http::Response<ureq::Body>,
        req: &PreparedRequest,
        plain: bool,
    ) -> std::result::Result<Response, SendFailure> {
        if let (Some(f), 407) = (&req.forward, response.status().as_u16()) {
            let failure = Failure::Network(proxy_auth_message(&f.proxy));
            return Err(SendFailure::fatal(failure.into()));
        }
        let mut resp = self.response(response, &req.url);
        // Only a download reads a body whole into a file; elsewhere the offer is no use.
        #[cfg(target_os = "linux")]
        if plain && self.net.bulk {
            let limits = splice::Limits {
                host: resp.host.clone(),
                timeout: self.net.timeout,
                max_time: self.net.max_time,
                deadline: self.deadline.get(),
                count: resp.wire.body.clone(),
            };
            // Alive while the response's body holds the connection.
            let socket = self.tap.snapshot().socket.and_then(|s| s.upgrade());
            splice::offer(&mut resp, socket, req.method == "HEAD", limits);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = plain;
        if self.net.http_version != crate::cli::HttpVersion::Http11 {
            resp.timings.protocol = Some("HTTP/1.1");
        }
        self.checked(resp, req)
    }

    /// The response, unless it has more headers than `--max-headers` allows.
    fn checked(
        &self,
        resp: Response,
        req: &PreparedRequest,
    ) -> std::result::Result<Response, SendFailure> {
        match self.net.max_headers {
            Some(max) if resp.headers.len() > max => Err(SendFailure::fatal(
                Failure::Network(format!(
                    "got more than {max} headers from {} (--max-headers={max})",
                    authority(&req.url)
                ))
                .into(),
            )),
            _ => Ok(resp),
        }
    }

    /// The ureq request for a prepared one, and the proxy ureq tunnels it through, if any.
    ///
    /// In absolute form ureq is told that the proxy is the server: it connects there (TLS
    /// included for an `https://` proxy, with the proxy's name), and the tap puts the origin
    /// before the target. Pooling stays sound: ureq keys idle connections by scheme, authority
    /// and its own proxy setting, so this connection is reused only for requests to that same
    /// proxy server (further absolute-form hops, or the proxy itself as an origin, both of which
    /// it answers); direct connections are keyed by their origin and tunnels by their proxy,
    /// so neither is ever taken for an absolute-form hop, nor the other way round.
    fn build(
        &self,
        req: &PreparedRequest,
        agent: &Agent,
        tunnel: Option<&str>,
    ) -> Result<ureq::http::Request<ureq::SendBody<'static>>> {
        let server = match &req.forward {
            Some(f) => proxy_server(&f.proxy)?,
            None => format!("{}://{}", req.url.scheme(), authority(&req.url)),
        };
        let uri = format!("{server}{}", req.target);
        let method = ureq::http::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| crate::error::usage(format!("invalid method '{}'", req.method)))?;
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(uri.as_str());
        for (name, value) in req.sent_headers().iter() {
            builder = ureq_proto::client::header_raw(builder, name, value);
        }
        let body = match req.body.is_empty() {
            true => ureq::SendBody::none(),
            false => ureq::SendBody::from_owned_reader(self.body_source(req)?),
        };
        let mut request = builder
            .body(body)
            .map_err(|e| crate::error::usage(format!("cannot build the request: {e}")))?;
        if let Some(proxy_url) = tunnel {
            let proxy = ureq::Proxy::new(proxy_url)
                .map_err(|e| crate::error::usage(format!("invalid proxy '{proxy_url}': {e}")))?;
            // ureq's SOCKS connector opens its own socket to the proxy, which the dialer
            // cannot bind: refuse rather than leave by another interface than asked.
            let is_connect = matches!(
                proxy.protocol(),
                ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https
            );
            if !is_connect && self.net.route.interface.is_some() {
                return Err(crate::error::usage(format!(
                    "--interface cannot be used with the SOCKS proxy {}:{}: \
                     connections to a SOCKS proxy are not bound to an interface",
                    proxy.host(),
                    proxy.port()
                )));
            }
            request = agent.configure_request(request).proxy(Some(proxy)).build();
        }
        Ok(request)
    }

    /// The request body's reader, with a bar while a large one is sent.
    fn body_source(&self, req: &PreparedRequest) -> std::io::Result<Box<dyn Read + Send>> {
        let reader = req.body.reader()?;
        let len = req.body.len();
        Ok(
            match self.upload_progress.get() && len >= crate::download::UPLOAD_BAR_MIN {
                true => Box::new(crate::download::Counting {
                    inner: reader,
                    bar: crate::download::upload_bar(len),
                }),
                false => reader,
            },
        )
    }

    fn response(&self, response: ureq::http::Response<ureq::Body>, url: &url::Url) -> Response {
        let observed = self.tap.snapshot();
        let (parts, body) = response.into_parts();
        let version = format!("{:?}", parts.version);
        let (reason, headers) = match observed.head().and_then(parse_head) {
            Some(parsed) => parsed,
            None => (
                parts.status.canonical_reason().unwrap_or("").to_string(),
                parts
                    .headers
                    .iter()
                    .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
                    .collect(),
            ),
        };
        let host = authority(url);
        let wire = crate::message::Wire {
            request: observed.written,
            upload: observed
                .written
                .saturating_sub(observed.request_head.unwrap_or(observed.written)),
            head: observed.interim + observed.head().map_or(0, |h| h.len() as u64),
            body: Default::default(),
        };
        let body = NetBody {
            inner: body.into_reader(),
            host: host.clone(),
            timeout: self.net.timeout,
            max_time: self.net.max_time,
            count: wire.body.clone(),
        };
        let mut resp = Response::new(
            version,
            parts.status.as_u16(),
            reason,
            headers,
            observed.timings.clone(),
            host,
            Box::new(body),
        );
        resp.wire = wire;
        resp
    }

    /// ureq's error in the user's words, typed so that `error::exit_code` can classify it.
    fn explain(&self, e: ureq::Error, req: &PreparedRequest) -> anyhow::Error {
        explain(e, &req.url, &self.net)
    }
}

/// What an agent's connectors share with the client.
struct Shared<'a> {
    tap: &'a Tap,
    before_wait: &'a stream::BeforeWait,
    handed: &'a handed::Waiting,
}

/// An agent sending requests exactly as prepared, through the connector chain the tap watches.
fn build_agent(net: &NetSpec, env: &crate::env::Env, shared: Shared, tls: bool) -> Result<Agent> {
    let Shared {
        tap,
        before_wait,
        handed,
    } = shared;
    let tls_config = match tls {
        true => tls::config(net, env)?,
        false => tls::refusing(),
    };
    let config = Agent::config_builder()
        .tls_config(tls_config)
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(AutoHeaderValue::None)
        .accept(AutoHeaderValue::None)
        .accept_encoding(AutoHeaderValue::None)
        .allow_non_standard_methods(true)
        // Proxies are configured explicitly (issue: network); never silently from env.
        .proxy(None)
        .timeout_connect(secs(net.timeout.connect))
        .timeout_resolve(secs(net.timeout.connect))
        .timeout_per_read(secs(net.timeout.read))
        .input_buffer_size(if net.bulk { BULK_INPUT } else { INPUT })
        .build();
    let connector = ()
        .chain(Mark(tap.clone(), Moment::ConnectStart))
        .chain(handed::Handed {
            waiting: handed.clone(),
            tap: tap.clone(),
            before_wait: before_wait.clone(),
        })
        .chain(SocksConnector::default())
        .chain(ConnectProxyConnector::default())
        .chain(dial::Dial {
            route: net.route.clone(),
            tap: tap.clone(),
            before_wait: before_wait.clone(),
            slot: None,
        })
        .chain(Mark(tap.clone(), Moment::TcpDone))
        .chain(RustlsConnector::default())
        .chain(TapConnector(tap.clone()));
    Ok(Agent::with_parts(
        config,
        connector,
        dial::Router::new(net.route.clone()),
    ))
}

/// Whether `req` would go over HTTP/2, for `--offline`, where no server can be asked: with
/// `--http-version=2`, an `https://` server is taken to agree by ALPN.
pub fn assumed_http2(net: &NetSpec, req: &PreparedRequest) -> bool {
    use crate::cli::HttpVersion as V;
    req.forward.is_none()
        && match net.http_version {
            V::Http11 => false,
            V::Http2 => req.url.scheme() == "https",
            V::Http2PriorKnowledge => true,
        }
}

/// Whether a hop speaks TLS anywhere: to an `https://` origin, or to an `https://` proxy
/// (absolute form or tunnel).
fn uses_tls(url: &url::Url, forward: Option<&str>, tunnel: Option<&str>) -> bool {
    let https = |p: &str| {
        p.get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    };
    url.scheme() == "https" || forward.is_some_and(https) || tunnel.is_some_and(https)
}

/// Whether a failed attempt never reached the server (the connection was never set up), and
/// whether trying again could help at all.
fn classify(e: &ureq::Error, o: &tap::Observed) -> (bool, bool) {
    let unfinished = o.timings.connect_start.is_some() && o.timings.connected.is_none();
    let connect_phase = unfinished
        || matches!(
            e,
            ureq::Error::HostNotFound
                | ureq::Error::ConnectionFailed
                | ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve)
        )
        || matches!(e, ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused);
    // A rejected certificate or a mistake in the request will not change on retry.
    let tls_rejection = matches!(e, ureq::Error::Tls(_) | ureq::Error::Rustls(_))
        || matches!(e, ureq::Error::Io(io)
            if io.get_ref().is_some_and(|i| i.is::<rustls::Error>()));
    // Nor will a name without an address of the family asked for, or an interface that
    // cannot be used (a Unix socket that is missing or refuses may yet appear: retried).
    let route_mistake = matches!(e, ureq::Error::Io(io)
        if io.kind() == std::io::ErrorKind::AddrNotAvailable
            && io.get_ref().is_some_and(|i| i.is::<dial::RouteError>()));
    let retryable = !tls_rejection
        && !route_mistake
        && !matches!(
            e,
            ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::InvalidProxyUrl
        );
    (connect_phase, retryable)
}

/// `host:port` of an HTTP(S) CONNECT proxy URL (SOCKS proxies are not tunnelled that way).
fn connect_proxy_authority(proxy: &str) -> Option<String> {
    let u = proxy::parse(proxy)?;
    let port = match u.scheme() {
        "http" => u.port().unwrap_or(80),
        "https" => u.port().unwrap_or(443),
        _ => return None,
    };
    Some(format!("{}:{port}", u.host_str()?))
}

/// Split a raw head into its reason phrase and header lines (name case and order kept).
fn parse_head(head: &[u8]) -> Option<(String, Headers)> {
    let text = head.strip_suffix(b"\r\n\r\n")?;
    let mut lines = text
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status = lines.next()?;
    // "HTTP/1.1 200 OK" -> "OK"
    let mut fields = status.splitn(3, |b| *b == b' ');
    let _version = fields.next()?;
    let _code = fields.next()?;
    let reason = String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
    let mut headers = Headers::new();
    for line in lines {
        let colon = line.iter().position(|b| *b == b':')?;
        let name = String::from_utf8_lossy(&line[..colon]).trim().to_string();
        headers.push(name, trim_bytes(&line[colon + 1..]));
    }
    Some((reason, headers))
}

fn trim_bytes(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t'))
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !matches!(c, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &b[start..end]
}

/// `scheme://host:port` of the proxy server itself, where an absolute-form hop connects.
fn proxy_server(proxy: &str) -> Result<String> {
    let u = proxy::parse(proxy)
        .filter(|u| u.host_str().is_some())
        .ok_or_else(|| crate::error::usage(format!("invalid proxy '{}'", shown_proxy(proxy))))?;
    Ok(format!("{}://{}", u.scheme(), authority(&u)))
}

/// A proxy URL without its credentials, for messages.
fn shown_proxy(proxy: &str) -> String {
    match proxy::parse(proxy) {
        Some(mut u) => {
            let _ = u.set_password(None);
            let _ = u.set_username("");
            u.to_string().trim_end_matches('/').to_string()
        }
        None => proxy.to_string(),
    }
}

/// A 407 from the proxy: credentials missing, or refused.
fn proxy_auth_message(proxy: &str) -> String {
    let shown = shown_proxy(proxy);
    let has_credentials =
        proxy::parse(proxy).is_some_and(|u| !u.username().is_empty() || u.password().is_some());
    if has_credentials {
        format!("proxy {shown} rejected the credentials given for it (407)")
    } else {
        format!(
            "proxy {shown} requires authentication (407): give credentials as \
             --proxy http:http://user:pass@host:port"
        )
    }
}

/// Failures that are the proxy's, named as such (the origin was never reached).
fn proxy_failure(e: &ureq::Error, proxy: &str, proxy_ready: bool) -> Option<Failure> {
    use ureq::Error as E;
    let shown = shown_proxy(proxy);
    let msg = match e {
        E::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("could not connect to proxy {shown}: connection refused")
        }
        E::HostNotFound => format!("could not resolve the proxy host of {shown}"),
        E::ConnectionFailed => format!("could not connect to proxy {shown}"),
        E::ConnectProxyFailed(m) if m.contains("407") => proxy_auth_message(proxy),
        E::ConnectProxyFailed(m) => format!("proxy {shown} refused the tunnel: {m}"),
        // TLS to an https:// proxy failed before the tunnel existed.
        E::Rustls(r) if proxy.starts_with("https://") && !proxy_ready => {
            tls::explain_error(r, &format!("proxy {shown}"))
        }
        E::Io(io) if proxy.starts_with("https://") && !proxy_ready => {
            let r = io
                .get_ref()
                .and_then(|i| i.downcast_ref::<rustls::Error>())?;
            tls::explain_error(r, &format!("proxy {shown}"))
        }
        _ => return None,
    };
    Some(Failure::Network(msg))
}

/// An https:// connection the server closed or reset after TCP connected and before TLS
/// was up: often a plain-HTTP server that gave up on the handshake's bytes.
fn cut_in_handshake(e: &ureq::Error, o: &tap::Observed, req: &PreparedRequest) -> bool {
    use std::io::ErrorKind as K;
    let cut = matches!(e, ureq::Error::Io(io) if matches!(io.kind(), K::UnexpectedEof | K::ConnectionReset));
    cut && req.url.scheme() == "https"
        && o.timings.tcp_done.is_some()
        && o.timings.connected.is_none()
}

/// Bytes read from a socket at a time: ureq's default, right for most responses.
const INPUT: usize = 128 * 1024;
/// For `--download`. Draining the receive queue in larger reads keeps a fast sender streaming:
/// a 1 GiB download from a local server took 0.76 s with 128 KiB and 0.43 s with 512 KiB
/// (`bench/download.sh`). Not the default: the buffer (one per connection) costs a small
/// request about 0.4 ms to allocate and fill.
const BULK_INPUT: usize = 512 * 1024;

/// Map a ureq error to a typed failure with a message that names the host and the cause.
pub fn explain(e: ureq::Error, url: &url::Url, net: &NetSpec) -> anyhow::Error {
    use ureq::Error as E;
    let host = authority(url);
    let failure = match e {
        E::Timeout(t) => timeout_failure(t, &net.timeout, net.max_time),
        E::HostNotFound => Failure::Network(format!(
            "could not resolve host '{}': check the URL and your network",
            url.host_str().unwrap_or_default()
        )),
        E::Io(io) => return io_failure(io, &host, &host_and_port(url), net),
        E::Protocol(p) => Failure::Network(format!("invalid response from {host}: {p}")),
        E::LargeResponseHeader(got, max) => Failure::Network(format!(
            "the response headers from {host} are too large ({got} bytes, limit {max})"
        )),
        E::Tls(m) => Failure::Network(format!("TLS error with {host}: {m}")),
        E::Rustls(r) => Failure::Network(tls::explain_error(&r, &host)),
        E::ConnectionFailed => Failure::Network(format!("could not connect to {host}")),
        E::BadUri(m) => Failure::Usage(format!("invalid URL: {m}")),
        E::Http(h) => Failure::Usage(format!("invalid request: {h}")),
        other => Failure::Network(format!("request to {host} failed: {other}")),
    };
    failure.into()
}

/// A limit that ran out, with the seconds the user gave for it.
fn timed_out(
    kind: TimeoutKind,
    timeout: &crate::cli::values::Timeout,
    max_time: Option<f64>,
) -> Failure {
    let secs = match kind {
        TimeoutKind::Connect => timeout.connect,
        TimeoutKind::Read => timeout.read,
        TimeoutKind::Total => max_time,
    };
    Failure::Timeout {
        kind,
        secs: secs.unwrap_or_default(),
    }
}

fn timeout_failure(
    t: ureq::Timeout,
    timeout: &crate::cli::values::Timeout,
    max_time: Option<f64>,
) -> Failure {
    use ureq::Timeout as T;
    let kind = match t {
        // Only `--max-time` sets ureq's global budget.
        T::Global => TimeoutKind::Total,
        T::Connect | T::Resolve => TimeoutKind::Connect,
        _ => TimeoutKind::Read,
    };
    timed_out(kind, timeout, max_time)
}

/// `host:port` with the port even when it is the scheme's default (`localhost:80`), for
/// messages where the port is the likely mistake.
fn host_and_port(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

fn io_failure(io: std::io::Error, host: &str, host_port: &str, net: &NetSpec) -> anyhow::Error {
    use std::io::ErrorKind as K;
    if let Some(r) = io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
        return Failure::Network(tls::explain_error(r, host)).into();
    }
    if let Some(r) = io
        .get_ref()
        .and_then(|e| e.downcast_ref::<dial::RouteError>())
    {
        return Failure::Network(r.to_string()).into();
    }
    let msg = match io.kind() {
        K::ConnectionRefused => {
            format!("connection refused by {host_port}: is the server running?")
        }
        K::ConnectionReset => format!("connection reset by {host}"),
        K::UnexpectedEof => format!("{host} closed the connection before sending a response"),
        K::TimedOut => {
            return Failure::Timeout {
                kind: TimeoutKind::Read,
                secs: net.timeout.read.unwrap_or_default(),
            }
            .into()
        }
        _ => format!(
            "connection to {host} failed: {}",
            crate::error::plain_io(&io)
        ),
    };
    Failure::Network(msg).into()
}

/// An error met while reading a response body from `host`, in the user's words.
fn body_failure(
    e: std::io::Error,
    host: &str,
    timeout: &crate::cli::values::Timeout,
    max_time: Option<f64>,
) -> Failure {
    let read_timeout = || timed_out(TimeoutKind::Read, timeout, max_time);
    let inner = e.get_ref().and_then(|r| r.downcast_ref::<ureq::Error>());
    if let Some(ureq::Error::Timeout(t)) = inner {
        return timeout_failure(*t, timeout, max_time);
    }
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => Failure::Incomplete(format!(
            "the response body from {host} ended early: the connection closed before all of it arrived"
        )),
        std::io::ErrorKind::TimedOut => read_timeout(),
        _ => match inner {
            Some(u) => Failure::Network(format!("error reading the response body from {host}: {u}")),
            None => Failure::Network(format!("error reading the response body from {host}: {e}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_head_keeping_case_order_and_reason() {
        let head =
            b"HTTP/1.1 404 Not Here\r\nX-One: 1\r\nset-cookie: a=1\r\nSet-Cookie:  b=2 \r\n\r\n";
        let (reason, headers) = parse_head(head).unwrap();
        assert_eq!(reason, "Not Here");
        assert_eq!(
            headers,
            vec![
                ("X-One".to_string(), b"1".to_vec()),
                ("set-cookie".to_string(), b"a=1".to_vec()),
                ("Set-Cookie".to_string(), b"b=2".to_vec()),
            ]
        );
        let (reason, _) = parse_head(b"HTTP/1.1 200\r\n\r\n").unwrap();
        assert_eq!(reason, "");
    }
}

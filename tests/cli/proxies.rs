//! Proxies beyond plain HTTP CONNECT and SOCKS5 (those are in `network.rs`):
//! SOCKS4 and SOCKS4a, an HTTPS proxy (TLS between the client and the
//! proxy, then a CONNECT tunnel), and an `https://` origin reached through
//! a plain CONNECT tunnel (TLS end to end, the proxy sees only ciphertext).
//!
//! Every proxy here is written in this file: a thread on 127.0.0.1:0, bound
//! before its constructor returns, that records what the client asked for
//! (and, for CONNECT proxies, every byte it relayed) and then pipes bytes to
//! the real test origin. Each test builds its own PKI with rcgen (a CA and a
//! leaf for 127.0.0.1/localhost) and writes `ca.pem` to a temp dir for
//! `--verify`. Nothing leaves the machine; nothing sleeps.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use tempfile::TempDir;

use crate::harness::{http, read_head, Reply, Run, Server};

/// Safety net on proxy and origin sockets: a stuck peer must not pin a
/// thread forever. Never a synchronisation point.
const SAFETY: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn basic(user_pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(user_pass)
    )
}

/// First value of header `name` in a raw request head.
fn head_header(head: &str, name: &str) -> Option<String> {
    head.split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

fn request_line(head: &str) -> String {
    head.split("\r\n").next().unwrap_or_default().to_string()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A server answering every request with 200 `ok`.
fn ok_server() -> Server {
    Server::start(|_| Reply::text("ok"))
}

/// A port nothing listens on: bound, then released.
fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("address").port()
}

#[track_caller]
fn assert_ok(run: &Run) {
    assert_eq!(run.code, 0, "expected success\n{}", run.context());
    assert_eq!(run.stdout_str(), "ok", "{}", run.context());
}

/// Exit 1, empty stdout, exactly one stderr line `http: error: ...`
/// containing every phrase.
#[track_caller]
fn assert_error(run: &Run, phrases: &[&str]) {
    assert_eq!(run.code, 1, "expected exit 1\n{}", run.context());
    let stderr = run.stderr_str();
    assert_eq!(stderr.lines().count(), 1, "one line\n{}", run.context());
    assert!(stderr.starts_with("http: error: "), "{}", run.context());
    for phrase in phrases {
        assert!(
            stderr.contains(phrase),
            "stderr lacks {phrase:?}\n{}",
            run.context()
        );
    }
    assert!(run.stdout.is_empty(), "{}", run.context());
}

// ---------------------------------------------------------------------------
// A listener thread shared by every test proxy
// ---------------------------------------------------------------------------

/// Streams a proxy holds open, so dropping the proxy can shut them down and
/// release its piping threads even when a test fails half-way.
#[derive(Clone, Default)]
struct OpenStreams(Arc<Mutex<Vec<TcpStream>>>);

impl OpenStreams {
    fn track(&self, stream: &TcpStream) {
        let _ = stream.set_read_timeout(Some(SAFETY));
        let _ = stream.set_write_timeout(Some(SAFETY));
        if let Ok(clone) = stream.try_clone() {
            lock(&self.0).push(clone);
        }
    }

    fn shutdown_all(&self) {
        for s in lock(&self.0).iter() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// Accepts connections on 127.0.0.1:0 (bound before `start` returns) and
/// hands each to `handle` on its own thread.
struct Listener {
    port: u16,
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
    open: OpenStreams,
    accept: Option<JoinHandle<()>>,
}

impl Listener {
    fn start(handle: impl Fn(TcpStream, &OpenStreams) + Send + Sync + 'static) -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind test proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let open = OpenStreams::default();
        let handle = Arc::new(handle);
        let accept = {
            let (stop, connections, open) = (stop.clone(), connections.clone(), open.clone());
            thread::spawn(move || loop {
                let accepted = listener.accept();
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok((stream, _)) = accepted else { continue };
                connections.fetch_add(1, Ordering::SeqCst);
                open.track(&stream);
                let (handle, open) = (handle.clone(), open.clone());
                thread::spawn(move || handle(stream, &open));
            })
        };
        Listener {
            port,
            stop,
            connections,
            open,
            accept: Some(accept),
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        self.open.shutdown_all();
    }
}

/// Copies `from` to `to`, appending every byte to `log` before forwarding
/// it, then half-closes `to`.
fn copy_recording(mut from: TcpStream, mut to: TcpStream, log: Arc<Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        lock(&log).extend_from_slice(&buf[..n]);
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Pipes both ways, recording client->upstream bytes in `up` and
/// upstream->client bytes in `down`.
fn pipe_recording(client: TcpStream, upstream: TcpStream, log: &ProxyLog) {
    let (Ok(client_in), Ok(upstream_out)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let up_log = log.up.clone();
    let up = thread::spawn(move || copy_recording(client_in, upstream_out, up_log));
    copy_recording(upstream, client, log.down.clone());
    let _ = up.join();
}

// ---------------------------------------------------------------------------
// PKI
// ---------------------------------------------------------------------------

/// A test CA, a server leaf it signed for `127.0.0.1` and `localhost`, and
/// `DIR/ca.pem` for `--verify`.
struct Pki {
    _dir: TempDir,
    ca_pem: PathBuf,
    leaf_chain: Vec<CertificateDer<'static>>,
    leaf_key: PrivatePkcs8KeyDer<'static>,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::Builder::new()
            .prefix("http-cli-proxies-")
            .tempdir()
            .expect("create PKI temp dir");
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "http-cli proxy test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).expect("self-sign CA");
        let issuer = Issuer::new(ca_params, ca_key);
        let ca_pem = dir.path().join("ca.pem");
        std::fs::write(&ca_pem, ca_cert.pem()).expect("write ca.pem");

        let key = KeyPair::generate().expect("leaf key");
        let mut params = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
            .expect("leaf params");
        params
            .distinguished_name
            .push(DnType::CommonName, "http-cli proxy test server");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let cert = params.signed_by(&key, &issuer).expect("sign leaf");
        Pki {
            _dir: dir,
            ca_pem,
            leaf_chain: vec![cert.der().clone()],
            leaf_key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        }
    }

    /// `--verify=DIR/ca.pem`
    fn verify(&self) -> String {
        format!("--verify={}", self.ca_pem.display())
    }

    /// A rustls server config presenting the leaf (TLS 1.2 and 1.3).
    fn server_config(&self) -> Arc<ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .expect("server protocol versions")
            .with_no_client_auth()
            .with_single_cert(
                self.leaf_chain.clone(),
                PrivateKeyDer::Pkcs8(self.leaf_key.clone_key()),
            )
            .expect("server certificate");
        Arc::new(config)
    }
}

// ---------------------------------------------------------------------------
// HTTPS origin
// ---------------------------------------------------------------------------

/// A TLS origin: records each request head it decrypts, answers `200 ok`.
struct TlsOrigin {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

impl TlsOrigin {
    fn start(config: Arc<ServerConfig>) -> TlsOrigin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind TLS origin");
        let port = listener.local_addr().expect("origin address").port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let record = heads.clone();
        thread::spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { continue };
                let (config, record) = (config.clone(), record.clone());
                // Handshake failures are what some tests provoke: ignored.
                thread::spawn(move || {
                    let _ = serve_tls_once(tcp, config, &record);
                });
            }
        });
        TlsOrigin { port, heads }
    }

    fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    fn heads(&self) -> Vec<String> {
        lock(&self.heads).clone()
    }
}

fn serve_tls_once(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    record: &Mutex<Vec<String>>,
) -> io::Result<()> {
    tcp.set_read_timeout(Some(SAFETY))?;
    tcp.set_write_timeout(Some(SAFETY))?;
    let conn = ServerConnection::new(config).map_err(io::Error::other)?;
    let mut tls = StreamOwned::new(conn, tcp);
    let head = read_head(&mut tls)?;
    lock(record).push(String::from_utf8_lossy(&head).into_owned());
    tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")?;
    tls.conn.send_close_notify();
    tls.flush()?;
    Ok(())
}

// ---------------------------------------------------------------------------
// CONNECT proxy, plain or over TLS
// ---------------------------------------------------------------------------

/// What a CONNECT proxy saw.
#[derive(Default)]
struct ProxyLog {
    /// Every request head received, in order (recorded before answering).
    heads: Mutex<Vec<String>>,
    /// Bytes relayed client -> origin after `200 Connection established`
    /// (for a TLS proxy: the decrypted tunnel payload).
    up: Arc<Mutex<Vec<u8>>>,
    /// Bytes relayed origin -> client.
    down: Arc<Mutex<Vec<u8>>>,
}

/// A CONNECT proxy. With a TLS config it is an HTTPS proxy: the client
/// speaks TLS to it, and the CONNECT and the tunnel run inside that TLS.
/// Optionally demands `Proxy-Authorization: Basic base64(user_pass)`.
struct ConnectProxy {
    listener: Listener,
    log: Arc<ProxyLog>,
    tls: bool,
}

/// The reply to a CONNECT head, and the stream to the origin if granted.
fn answer_connect(head: &str, want: Option<&str>) -> (&'static [u8], Option<TcpStream>) {
    let line = request_line(head);
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "CONNECT" {
        return (
            b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            None,
        );
    }
    if let Some(want) = want {
        if head_header(head, "Proxy-Authorization").as_deref() != Some(want) {
            return (
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"test-proxy\"\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
                None,
            );
        }
    }
    const BAD_GATEWAY: &[u8] =
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let Some((host, port)) = target.rsplit_once(':') else {
        return (BAD_GATEWAY, None);
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let Ok(port) = port.parse::<u16>() else {
        return (BAD_GATEWAY, None);
    };
    match TcpStream::connect((host, port)) {
        Ok(upstream) => (
            b"HTTP/1.1 200 Connection established\r\n\r\n",
            Some(upstream),
        ),
        Err(_) => (BAD_GATEWAY, None),
    }
}

impl ConnectProxy {
    /// A plain-TCP CONNECT proxy.
    fn plain() -> ConnectProxy {
        ConnectProxy::start(None, None)
    }

    /// An HTTPS proxy presenting `config`'s certificate.
    fn tls(config: Arc<ServerConfig>, user_pass: Option<&str>) -> ConnectProxy {
        ConnectProxy::start(Some(config), user_pass)
    }

    fn start(tls: Option<Arc<ServerConfig>>, user_pass: Option<&str>) -> ConnectProxy {
        let want = user_pass.map(basic);
        let log = Arc::new(ProxyLog::default());
        let is_tls = tls.is_some();
        let shared = log.clone();
        let listener = Listener::start(move |stream, open| match &tls {
            None => serve_plain(stream, open, want.as_deref(), &shared),
            Some(config) => {
                let _ = serve_tls(stream, config.clone(), open, want.as_deref(), &shared);
            }
        });
        ConnectProxy {
            listener,
            log,
            tls: is_tls,
        }
    }

    fn scheme(&self) -> &'static str {
        if self.tls {
            "https"
        } else {
            "http"
        }
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`
    fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme(), self.listener.port)
    }

    /// The same with `USER:PASS@` in it.
    fn url_with(&self, user_pass: &str) -> String {
        format!(
            "{}://{user_pass}@127.0.0.1:{}",
            self.scheme(),
            self.listener.port
        )
    }

    fn heads(&self) -> Vec<String> {
        lock(&self.log.heads).clone()
    }

    fn request_lines(&self) -> Vec<String> {
        self.heads().iter().map(|h| request_line(h)).collect()
    }

    /// Everything relayed from the client towards the origin.
    fn relayed_up(&self) -> Vec<u8> {
        lock(&self.log.up).clone()
    }

    /// Everything relayed from the origin towards the client.
    fn relayed_down(&self) -> Vec<u8> {
        lock(&self.log.down).clone()
    }

    fn connections(&self) -> usize {
        self.listener.connections()
    }
}

fn serve_plain(mut stream: TcpStream, open: &OpenStreams, want: Option<&str>, log: &ProxyLog) {
    let Ok(head) = read_head(&mut stream) else {
        return;
    };
    let head = String::from_utf8_lossy(&head).into_owned();
    lock(&log.heads).push(head.clone());
    let (reply, upstream) = answer_connect(&head, want);
    if stream.write_all(reply).is_err() {
        return;
    }
    if let Some(upstream) = upstream {
        open.track(&upstream);
        pipe_recording(stream, upstream, log);
    }
}

/// Writes whatever TLS records `conn` has pending to `sock`.
fn flush_tls(conn: &mut ServerConnection, sock: &mut TcpStream) -> io::Result<()> {
    while conn.wants_write() {
        conn.write_tls(sock)?;
    }
    sock.flush()
}

/// HTTPS proxy: TLS handshake, CONNECT inside it, then a tunnel that
/// decrypts client bytes for the origin and encrypts origin bytes for the
/// client. The connection state is shared by the two directions under a
/// mutex; blocking socket reads happen outside it.
fn serve_tls(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    open: &OpenStreams,
    want: Option<&str>,
    log: &ProxyLog,
) -> io::Result<()> {
    let mut conn = ServerConnection::new(config).map_err(io::Error::other)?;
    let mut client = tcp;
    let upstream = {
        let mut tls = rustls::Stream::new(&mut conn, &mut client);
        // Handshake failures (the client rejecting our certificate) end here.
        let head = read_head(&mut tls)?;
        let head = String::from_utf8_lossy(&head).into_owned();
        lock(&log.heads).push(head.clone());
        let (reply, upstream) = answer_connect(&head, want);
        tls.write_all(reply)?;
        tls.flush()?;
        match upstream {
            Some(upstream) => upstream,
            None => {
                tls.conn.send_close_notify();
                tls.flush()?;
                return Ok(());
            }
        }
    };
    open.track(&upstream);

    let conn = Arc::new(Mutex::new(conn));
    // Origin -> client: encrypt and send.
    let down = {
        let conn = conn.clone();
        let mut client_out = client.try_clone()?;
        let mut upstream_in = upstream.try_clone()?;
        let log = log.down.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            loop {
                let n = upstream_in.read(&mut buf).unwrap_or(0);
                let mut c = lock(&conn);
                if n == 0 {
                    c.send_close_notify();
                } else {
                    lock(&log).extend_from_slice(&buf[..n]);
                    if c.writer().write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
                let sent = flush_tls(&mut c, &mut client_out);
                drop(c);
                if n == 0 || sent.is_err() {
                    let _ = client_out.shutdown(Shutdown::Write);
                    return;
                }
            }
        })
    };
    // Client -> origin: decrypt and forward.
    let mut upstream_out = upstream;
    let mut buf = [0u8; 16 * 1024];
    let mut plain = [0u8; 16 * 1024];
    let mut incoming: Vec<u8> = Vec::new();
    loop {
        let mut forward = Vec::new();
        let mut closed = false;
        {
            let mut c = lock(&conn);
            let mut fed = incoming.as_slice();
            loop {
                // Drain what is already decrypted before feeding more, so
                // rustls's plaintext buffer never fills up.
                loop {
                    match c.reader().read(&mut plain) {
                        Ok(0) => {
                            closed = true;
                            break;
                        }
                        Ok(n) => forward.extend_from_slice(&plain[..n]),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(_) => {
                            closed = true;
                            break;
                        }
                    }
                }
                if closed || fed.is_empty() {
                    break;
                }
                if c.read_tls(&mut fed).is_err() || c.process_new_packets().is_err() {
                    closed = true;
                    break;
                }
            }
            let _ = flush_tls(&mut c, &mut client);
        }
        if !forward.is_empty() {
            lock(&log.up).extend_from_slice(&forward);
            if upstream_out.write_all(&forward).is_err() {
                closed = true;
            }
        }
        if closed {
            break;
        }
        let n = client.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        incoming = buf[..n].to_vec();
    }
    let _ = upstream_out.shutdown(Shutdown::Write);
    let _ = down.join();
    Ok(())
}

// ---------------------------------------------------------------------------
// SOCKS4 / SOCKS4a proxy
// ---------------------------------------------------------------------------

/// One SOCKS4 request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Socks4Request {
    version: u8,
    command: u8,
    port: u16,
    /// DSTIP; `0.0.0.x` (x != 0) means SOCKS4a.
    ip: Ipv4Addr,
    user_id: Vec<u8>,
    /// The SOCKS4a host name that followed the user id.
    host: Option<String>,
}

impl Socks4Request {
    /// A CONNECT with an empty user id.
    fn connect(ip: Ipv4Addr, port: u16, host: Option<&str>) -> Socks4Request {
        Socks4Request {
            version: 4,
            command: 1,
            port,
            ip,
            user_id: Vec::new(),
            host: host.map(str::to_string),
        }
    }
}

struct Socks4Proxy {
    listener: Listener,
    requests: Arc<Mutex<Vec<Socks4Request>>>,
}

impl Socks4Proxy {
    /// Grants every CONNECT it can make.
    fn start() -> Socks4Proxy {
        Socks4Proxy::with(true)
    }

    /// Answers every request with 0x5B (rejected or failed).
    fn rejecting() -> Socks4Proxy {
        Socks4Proxy::with(false)
    }

    fn with(grant: bool) -> Socks4Proxy {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        let listener = Listener::start(move |mut stream, open| {
            let Ok(request) = read_socks4(&mut stream) else {
                return;
            };
            // Recorded before the reply, so it is complete once the client
            // has finished.
            lock(&recorded).push(request.clone());
            let upstream = if grant && request.version == 4 && request.command == 1 {
                match &request.host {
                    Some(host) => TcpStream::connect((host.as_str(), request.port)).ok(),
                    None => TcpStream::connect((request.ip, request.port)).ok(),
                }
            } else {
                None
            };
            let status = if upstream.is_some() { 0x5A } else { 0x5B };
            let mut reply = vec![0x00, status];
            reply.extend_from_slice(&request.port.to_be_bytes());
            reply.extend_from_slice(&request.ip.octets());
            if stream.write_all(&reply).is_err() {
                return;
            }
            if let Some(upstream) = upstream {
                open.track(&upstream);
                pipe_recording(stream, upstream, &ProxyLog::default());
            }
        });
        Socks4Proxy { listener, requests }
    }

    /// `SCHEME://127.0.0.1:PORT` (scheme `socks4` or `socks4a`).
    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.listener.port)
    }

    fn requests(&self) -> Vec<Socks4Request> {
        lock(&self.requests).clone()
    }

    fn connections(&self) -> usize {
        self.listener.connections()
    }
}

/// Reads bytes up to (not including) a NUL, at most 255 of them.
fn read_nul_terminated(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut byte = [0u8];
    loop {
        stream.read_exact(&mut byte)?;
        if byte[0] == 0 {
            return Ok(out);
        }
        if out.len() == 255 {
            return Err(io::Error::new(ErrorKind::InvalidData, "field too long"));
        }
        out.push(byte[0]);
    }
}

/// VN, CD, DSTPORT, DSTIP, USERID NUL, and for SOCKS4a the host name NUL.
fn read_socks4(stream: &mut TcpStream) -> io::Result<Socks4Request> {
    let mut fixed = [0u8; 8];
    stream.read_exact(&mut fixed)?;
    let ip = Ipv4Addr::new(fixed[4], fixed[5], fixed[6], fixed[7]);
    let user_id = read_nul_terminated(stream)?;
    let socks4a = fixed[4..7] == [0, 0, 0] && fixed[7] != 0;
    let host = if socks4a {
        Some(String::from_utf8_lossy(&read_nul_terminated(stream)?).into_owned())
    } else {
        None
    };
    Ok(Socks4Request {
        version: fixed[0],
        command: fixed[1],
        port: u16::from_be_bytes([fixed[2], fixed[3]]),
        ip,
        user_id,
        host,
    })
}

// ---------------------------------------------------------------------------
// SOCKS4 / SOCKS4a
// ---------------------------------------------------------------------------

#[test]
fn socks4_proxy_gets_the_ip_destination() {
    let origin = ok_server();
    let socks = Socks4Proxy::start();
    let flag = format!("http:{}", socks.url("socks4"));
    let run = http(&["--proxy", &flag, &origin.url("/s4?q=1")]).run();
    assert_ok(&run);
    assert_eq!(
        socks.requests(),
        [Socks4Request::connect(
            Ipv4Addr::LOCALHOST,
            origin.port,
            None
        )]
    );
    assert_eq!(socks.connections(), 1);
    let got = origin.request();
    assert_eq!(got.url, "/s4?q=1");
    assert_eq!(
        got.header("Host"),
        Some(format!("127.0.0.1:{}", origin.port).as_str())
    );
}

#[test]
fn socks4a_proxy_gets_the_host_name() {
    let origin = ok_server();
    let socks = Socks4Proxy::start();
    let flag = format!("http:{}", socks.url("socks4a"));
    let url = format!("http://localhost:{}/s4a", origin.port);
    let run = http(&["--proxy", &flag, &url]).run();
    assert_ok(&run);
    assert_eq!(
        socks.requests(),
        [Socks4Request::connect(
            Ipv4Addr::new(0, 0, 0, 1),
            origin.port,
            Some("localhost")
        )]
    );
    let got = origin.request();
    assert_eq!(got.url, "/s4a");
    assert_eq!(
        got.header("Host"),
        Some(format!("localhost:{}", origin.port).as_str())
    );
}

#[test]
fn socks4a_with_an_ip_url_sends_the_ip() {
    let origin = ok_server();
    let socks = Socks4Proxy::start();
    let flag = format!("http:{}", socks.url("socks4a"));
    let run = http(&["--proxy", &flag, &origin.url("/ip")]).run();
    assert_ok(&run);
    assert_eq!(
        socks.requests(),
        [Socks4Request::connect(
            Ipv4Addr::LOCALHOST,
            origin.port,
            None
        )]
    );
    assert_eq!(origin.request().url, "/ip");
}

#[test]
fn socks4_proxy_flag_for_all_schemes() {
    let origin = ok_server();
    let socks = Socks4Proxy::start();
    let flag = format!("all:{}", socks.url("socks4"));
    let run = http(&["--proxy", &flag, &origin.url("/all")]).run();
    assert_ok(&run);
    assert_eq!(socks.requests().len(), 1, "{:?}", socks.requests());
    assert_eq!(origin.hits(), 1);
}

#[test]
fn socks4_rejection_is_an_error_and_the_origin_is_not_reached() {
    let origin = ok_server();
    let socks = Socks4Proxy::rejecting();
    let flag = format!("http:{}", socks.url("socks4"));
    let run = http(&["--proxy", &flag, &origin.url("/no")]).run();
    assert_error(&run, &["rejected"]);
    assert_eq!(
        socks.requests(),
        [Socks4Request::connect(
            Ipv4Addr::LOCALHOST,
            origin.port,
            None
        )]
    );
    assert_eq!(origin.hits(), 0);
}

#[test]
fn socks4_proxy_via_env() {
    let origin = ok_server();
    let socks = Socks4Proxy::start();
    let run = http(&[&origin.url("/env")])
        .env("HTTP_PROXY", &socks.url("socks4a"))
        .run();
    assert_ok(&run);
    assert_eq!(
        socks.requests(),
        [Socks4Request::connect(
            Ipv4Addr::LOCALHOST,
            origin.port,
            None
        )]
    );
    assert_eq!(origin.hits(), 1);
}

#[test]
fn unreachable_socks4_proxy_is_reported_as_the_proxy() {
    let origin = ok_server();
    let port = dead_port();
    let flag = format!("http:socks4://127.0.0.1:{port}");
    let run = http(&["--proxy", &flag, &origin.url("/x")]).run();
    assert_error(&run, &[]);
    let err = run.stderr_str();
    assert!(
        err.contains("proxy") || err.contains(&format!("127.0.0.1:{port}")),
        "{}",
        run.context()
    );
    assert_eq!(origin.hits(), 0);
}

// ---------------------------------------------------------------------------
// HTTPS proxy (TLS to the proxy, CONNECT inside it)
// ---------------------------------------------------------------------------

#[test]
fn https_proxy_with_verify_tunnels_to_an_http_origin() {
    let pki = Pki::new();
    let origin = ok_server();
    let proxy = ConnectProxy::tls(pki.server_config(), None);
    let flag = format!("http:{}", proxy.url());
    let run = http(&[&pki.verify(), "--proxy", &flag, &origin.url("/x")]).run();
    assert_ok(&run);
    assert_eq!(
        proxy.request_lines(),
        [format!("CONNECT 127.0.0.1:{} HTTP/1.1", origin.port)]
    );
    assert_eq!(head_header(&proxy.heads()[0], "Proxy-Authorization"), None);
    let got = origin.request();
    assert_eq!(got.url, "/x");
    assert_eq!(
        got.header("Host"),
        Some(format!("127.0.0.1:{}", origin.port).as_str())
    );
    // The origin is plain HTTP: inside the proxy's TLS, the tunnel carries
    // the request in clear, and the proxy relayed exactly that.
    assert!(
        proxy.relayed_up().starts_with(b"GET /x HTTP/1.1\r\n"),
        "{:?}",
        String::from_utf8_lossy(&proxy.relayed_up())
    );
    assert!(proxy.relayed_down().starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert_eq!(proxy.connections(), 1);
}

#[test]
fn https_proxy_without_verify_fails_on_its_certificate() {
    let pki = Pki::new();
    let origin = ok_server();
    let proxy = ConnectProxy::tls(pki.server_config(), None);
    let flag = format!("http:{}", proxy.url());
    let run = http(&["--proxy", &flag, &origin.url("/x")]).run();
    assert_error(&run, &["certificate", "unknown authority", "--verify"]);
    // The handshake failed, so no CONNECT was ever sent.
    assert!(proxy.heads().is_empty(), "{:?}", proxy.heads());
    assert_eq!(origin.hits(), 0);
}

#[test]
fn https_proxy_certificate_error_names_the_proxy() {
    // The certificate that failed is the proxy's: the message must point
    // at the proxy, not blame the origin (which was never contacted).
    let pki = Pki::new();
    let origin = ok_server();
    let proxy = ConnectProxy::tls(pki.server_config(), None);
    let flag = format!("http:{}", proxy.url());
    let run = http(&["--proxy", &flag, &origin.url("/x")]).run();
    assert_eq!(run.code, 1, "{}", run.context());
    let err = run.stderr_str();
    assert!(
        err.contains(&format!("127.0.0.1:{}", proxy.listener.port)),
        "the error should name the proxy 127.0.0.1:{}\n{}",
        proxy.listener.port,
        run.context()
    );
    assert!(
        !err.contains(&format!("127.0.0.1:{}", origin.port)),
        "the error blames the origin\n{}",
        run.context()
    );
}

#[test]
fn https_proxy_with_verify_no_succeeds_with_warning() {
    let pki = Pki::new();
    let origin = ok_server();
    let proxy = ConnectProxy::tls(pki.server_config(), None);
    let flag = format!("http:{}", proxy.url());
    let run = http(&["--verify=no", "--proxy", &flag, &origin.url("/n")]).run();
    assert_ok(&run);
    assert!(
        run.stderr_str()
            .contains("TLS certificate verification is off"),
        "{}",
        run.context()
    );
    assert_eq!(proxy.request_lines().len(), 1);
    assert_eq!(origin.request().url, "/n");
}

#[test]
fn https_proxy_credentials_reach_the_proxy_only() {
    let pki = Pki::new();
    let origin = ok_server();
    let proxy = ConnectProxy::tls(pki.server_config(), Some("puser:ppass"));
    let flag = format!("http:{}", proxy.url_with("puser:ppass"));
    let run = http(&[&pki.verify(), "--proxy", &flag, &origin.url("/auth")]).run();
    assert_ok(&run);
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert_eq!(
        request_line(&heads[0]),
        format!("CONNECT 127.0.0.1:{} HTTP/1.1", origin.port)
    );
    assert_eq!(
        head_header(&heads[0], "Proxy-Authorization").as_deref(),
        Some("Basic cHVzZXI6cHBhc3M=")
    );
    let got = origin.request();
    assert_eq!(got.url, "/auth");
    assert_eq!(got.header("Proxy-Authorization"), None, "{got:?}");
    assert_eq!(got.header("Authorization"), None, "{got:?}");
    assert!(!contains(&proxy.relayed_up(), b"cHVzZXI6cHBhc3M="));
}

#[test]
fn https_proxy_without_credentials_is_a_407_error() {
    let pki = Pki::new();
    let origin = ok_server();
    let proxy = ConnectProxy::tls(pki.server_config(), Some("puser:ppass"));
    let flag = format!("http:{}", proxy.url());
    let run = http(&[&pki.verify(), "--proxy", &flag, &origin.url("/auth")]).run();
    assert_error(&run, &["407"]);
    assert_eq!(proxy.request_lines().len(), 1, "{:?}", proxy.heads());
    assert_eq!(origin.hits(), 0);
}

#[test]
fn https_origin_through_https_proxy_is_tls_inside_tls() {
    let pki = Pki::new();
    let origin = TlsOrigin::start(pki.server_config());
    let proxy = ConnectProxy::tls(pki.server_config(), None);
    let flag = format!("https:{}", proxy.url());
    let run = http(&[&pki.verify(), "--proxy", &flag, &origin.url("/nested")]).run();
    assert_ok(&run);
    assert_eq!(
        proxy.request_lines(),
        [format!("CONNECT 127.0.0.1:{} HTTP/1.1", origin.port)]
    );
    let heads = origin.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert_eq!(request_line(&heads[0]), "GET /nested HTTP/1.1");
    let up = proxy.relayed_up();
    assert_eq!(up.first(), Some(&0x16), "a TLS handshake record first");
    assert!(!contains(&up, b"GET /"), "the proxy saw plaintext HTTP");
}

// ---------------------------------------------------------------------------
// https:// origin through a plain CONNECT proxy
// ---------------------------------------------------------------------------

#[test]
fn https_origin_through_connect_proxy_is_tls_end_to_end() {
    let pki = Pki::new();
    let origin = TlsOrigin::start(pki.server_config());
    let proxy = ConnectProxy::plain();
    let flag = format!("https:{}", proxy.url());
    let run = http(&[
        &pki.verify(),
        "--proxy",
        &flag,
        "-a",
        "user:pass",
        &origin.url("/x"),
    ])
    .run();
    assert_ok(&run);
    let heads = proxy.heads();
    assert_eq!(
        heads.iter().map(|h| request_line(h)).collect::<Vec<_>>(),
        [format!("CONNECT 127.0.0.1:{} HTTP/1.1", origin.port)]
    );
    // The origin's credentials are for the origin, inside TLS.
    assert_eq!(head_header(&heads[0], "Authorization"), None);
    let origin_heads = origin.heads();
    assert_eq!(origin_heads.len(), 1, "{origin_heads:?}");
    assert_eq!(request_line(&origin_heads[0]), "GET /x HTTP/1.1");
    assert_eq!(
        head_header(&origin_heads[0], "Authorization").as_deref(),
        Some("Basic dXNlcjpwYXNz")
    );
    let up = proxy.relayed_up();
    assert!(!up.is_empty(), "nothing went through the tunnel");
    assert_eq!(up[0], 0x16, "a TLS handshake record first");
    assert!(!contains(&up, b"GET /"), "the proxy saw plaintext HTTP");
    assert!(!contains(&up, b"dXNlcjpwYXNz"), "credentials in clear");
    let down = proxy.relayed_down();
    assert!(!contains(&down, b"HTTP/1.1 200"), "response in clear");
}

#[test]
fn https_origin_through_connect_proxy_still_verifies_the_origin() {
    let pki = Pki::new();
    let origin = TlsOrigin::start(pki.server_config());
    let proxy = ConnectProxy::plain();
    let flag = format!("https:{}", proxy.url());
    let run = http(&["--proxy", &flag, &origin.url("/x")]).run();
    assert_error(&run, &["unknown authority", "--verify"]);
    assert_eq!(
        proxy.request_lines(),
        [format!("CONNECT 127.0.0.1:{} HTTP/1.1", origin.port)]
    );
    assert!(origin.heads().is_empty(), "{:?}", origin.heads());
}

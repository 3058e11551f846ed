//! An HTTP CONNECT proxy, plain or over TLS (an "HTTPS proxy": the client
//! speaks TLS to the proxy, and the CONNECT and the tunnel run inside that
//! TLS), optionally demanding `Proxy-Authorization: Basic`.
//!
//! It records every request head (before answering) and every byte it
//! relays, then pipes bytes to the real test origin. Bound before its
//! constructor returns; nothing leaves the machine; nothing sleeps.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use base64::Engine as _;
use rustls::{ServerConfig, ServerConnection};

use super::listener::{pipe, Listener, OpenStreams, Relayed};
use super::raw::{lock, read_head};

/// The `Authorization: Basic` value for `user:pass`.
/// `http://[USERINFO]127.0.0.1:PORT`, `https://` for a TLS proxy.
pub(super) fn proxy_url(tls: bool, userinfo: &str, port: u16) -> String {
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{userinfo}127.0.0.1:{port}")
}

pub fn basic_auth(user_pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(user_pass)
    )
}

/// The request line of a raw request head, without its line ending.
pub fn request_line(head: &str) -> String {
    head.split("\r\n").next().unwrap_or_default().to_string()
}

/// First value of header `name` (case-insensitive) in a raw request head.
pub fn head_header(head: &str, name: &str) -> Option<String> {
    head.split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

/// What a CONNECT proxy saw.
#[derive(Default)]
struct ProxyLog {
    /// Every request head received, in order (recorded before answering).
    heads: Mutex<Vec<String>>,
    /// Bytes relayed after `200 Connection established` (for a TLS proxy:
    /// the decrypted tunnel payload).
    relayed: Relayed,
}

/// A CONNECT proxy on 127.0.0.1; see the module docs. Answers a CONNECT
/// with `200 Connection established` and tunnels to the requested
/// host:port, anything else with 405, missing or wrong credentials (when
/// it demands some) with 407, an unreachable target with 502.
pub struct ConnectProxy {
    pub port: u16,
    listener: Listener,
    log: Arc<ProxyLog>,
    tls: bool,
}

impl ConnectProxy {
    /// A plain-TCP proxy that demands no credentials.
    pub fn start() -> ConnectProxy {
        ConnectProxy::new(None, None)
    }

    /// A plain-TCP proxy demanding `Proxy-Authorization: Basic
    /// base64(user_pass)`, else 407.
    pub fn with_auth(user_pass: &str) -> ConnectProxy {
        ConnectProxy::new(None, Some(user_pass))
    }

    /// An HTTPS proxy presenting `config`'s certificate, optionally
    /// demanding credentials like [`ConnectProxy::with_auth`].
    pub fn tls(config: Arc<ServerConfig>, user_pass: Option<&str>) -> ConnectProxy {
        ConnectProxy::new(Some(config), user_pass)
    }

    fn new(tls: Option<Arc<ServerConfig>>, user_pass: Option<&str>) -> ConnectProxy {
        let want = user_pass.map(basic_auth);
        let log = Arc::new(ProxyLog::default());
        let is_tls = tls.is_some();
        let shared = log.clone();
        let listener = Listener::start("CONNECT proxy", move |stream, open| match &tls {
            None => serve_plain(stream, open, want.as_deref(), &shared),
            // Handshake failures (the client rejecting our certificate)
            // are what some tests provoke: ignored.
            Some(config) => {
                let _ = serve_tls(stream, config.clone(), open, want.as_deref(), &shared);
            }
        });
        ConnectProxy {
            port: listener.port,
            listener,
            log,
            tls: is_tls,
        }
    }

    /// `http://127.0.0.1:PORT` (`https://` for a TLS proxy).
    pub fn url(&self) -> String {
        proxy_url(self.tls, "", self.port)
    }

    /// The same with `USER_PASS@` in it.
    pub fn url_with(&self, user_pass: &str) -> String {
        proxy_url(self.tls, &format!("{user_pass}@"), self.port)
    }

    /// Every request head received, in order.
    pub fn heads(&self) -> Vec<String> {
        lock(&self.log.heads).clone()
    }

    /// The request line of every head.
    pub fn request_lines(&self) -> Vec<String> {
        self.heads().iter().map(|h| request_line(h)).collect()
    }

    /// Asserts the proxy received exactly one request, a CONNECT to
    /// `127.0.0.1:port`, and returns its head.
    #[track_caller]
    pub fn single_connect(&self, port: u16) -> String {
        assert_eq!(
            self.request_lines(),
            [format!("CONNECT 127.0.0.1:{port} HTTP/1.1")]
        );
        self.heads().remove(0)
    }

    /// Everything relayed from the client towards the origin.
    pub fn relayed_up(&self) -> Vec<u8> {
        lock(&self.log.relayed.up).clone()
    }

    /// Everything relayed from the origin towards the client.
    pub fn relayed_down(&self) -> Vec<u8> {
        lock(&self.log.relayed.down).clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.listener.connections()
    }
}

/// The reply to a request head, and the stream to the origin if granted.
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
        pipe(stream, upstream, &log.relayed);
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
        let log = log.relayed.down.clone();
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
            lock(&log.relayed.up).extend_from_slice(&forward);
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

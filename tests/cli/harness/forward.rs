//! A forwarding HTTP proxy that behaves like a stock Squid: it takes
//! absolute-form requests (`GET http://host:port/path HTTP/1.1`), sends each
//! to the origin in origin-form (without the `Proxy-Authorization` and
//! `Proxy-Connection` it consumes, as Squid does) and relays the response as
//! received, keeping the client's connection open between requests. It
//! refuses CONNECT to any port but 443 with 403 (Squid's
//! `http_access deny CONNECT !SSL_ports`) unless told to tunnel to any port,
//! and an origin-form request with 400. Plain or over TLS (an "HTTPS proxy"),
//! optionally demanding `Proxy-Authorization: Basic` (else 407).
//!
//! It records every request head before answering. Bound before its
//! constructor returns; nothing leaves the machine; nothing sleeps.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};

use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::listener::{pipe, Listener, OpenStreams, Relayed};
use super::proxy::{basic_auth, head_header, proxy_url, request_line};
use super::raw::{lock, read_body, read_head};

/// What the proxy does with a CONNECT.
#[derive(Clone, Copy)]
enum Connect {
    /// 403 unless the port is 443; 443 itself is answered 502, since no test
    /// origin listens there.
    Only443,
    /// Tunnel to any port (plain proxy only), like the CONNECT proxy.
    Any,
}

/// The settings of one proxy.
#[derive(Clone)]
struct Rules {
    want: Option<String>,
    connect: Connect,
}

/// A forwarding proxy on 127.0.0.1; see the module docs.
pub struct ForwardProxy {
    pub port: u16,
    listener: Listener,
    heads: Arc<Mutex<Vec<String>>>,
    tls: bool,
}

impl ForwardProxy {
    /// A plain proxy that demands no credentials.
    pub fn start() -> ForwardProxy {
        ForwardProxy::new(None, None, Connect::Only443)
    }

    /// A plain proxy demanding `Proxy-Authorization: Basic base64(user_pass)`.
    pub fn with_auth(user_pass: &str) -> ForwardProxy {
        ForwardProxy::new(None, Some(user_pass), Connect::Only443)
    }

    /// A plain proxy that also tunnels CONNECT to any port.
    pub fn tunnelling_any_port() -> ForwardProxy {
        ForwardProxy::new(None, None, Connect::Any)
    }

    /// An HTTPS proxy presenting `config`'s certificate.
    pub fn tls(config: Arc<ServerConfig>, user_pass: Option<&str>) -> ForwardProxy {
        ForwardProxy::new(Some(config), user_pass, Connect::Only443)
    }

    fn new(tls: Option<Arc<ServerConfig>>, user_pass: Option<&str>, connect: Connect) -> Self {
        let rules = Rules {
            want: user_pass.map(basic_auth),
            connect,
        };
        let heads = Arc::new(Mutex::new(Vec::new()));
        let is_tls = tls.is_some();
        let shared = heads.clone();
        let listener = Listener::start("forwarding proxy", move |stream, open| match &tls {
            None => serve_plain(stream, open, &rules, &shared),
            Some(config) => serve_tls(stream, config.clone(), open, &rules, &shared),
        });
        ForwardProxy {
            port: listener.port,
            listener,
            heads,
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
        lock(&self.heads).clone()
    }

    /// The request line of every head.
    pub fn request_lines(&self) -> Vec<String> {
        self.heads().iter().map(|h| request_line(h)).collect()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.listener.connections()
    }
}

fn serve_plain(
    mut stream: TcpStream,
    open: &OpenStreams,
    rules: &Rules,
    heads: &Mutex<Vec<String>>,
) {
    match serve(&mut stream, open, rules, heads) {
        Some(upstream) => pipe(stream, upstream, &Relayed::default()),
        // `open` holds a clone of the socket: close it for real, so that a
        // client reading to the end sees the end.
        None => {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn serve_tls(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    open: &OpenStreams,
    rules: &Rules,
    heads: &Mutex<Vec<String>>,
) {
    let Ok(conn) = ServerConnection::new(config) else {
        return;
    };
    let mut tls = StreamOwned::new(conn, tcp);
    // No tunnels inside TLS here: a granted CONNECT is only ever to 443.
    let rules = Rules {
        connect: Connect::Only443,
        ..rules.clone()
    };
    // Handshake failures (the client rejecting our certificate) end the loop.
    let _ = serve(&mut tls, open, &rules, heads);
    tls.conn.send_close_notify();
    let _ = tls.flush();
    let _ = tls.sock.shutdown(Shutdown::Both);
}

/// Answers requests until the connection ends; returns the origin stream
/// when a CONNECT was granted (the caller pipes the tunnel).
fn serve<S: Read + Write>(
    client: &mut S,
    open: &OpenStreams,
    rules: &Rules,
    heads: &Mutex<Vec<String>>,
) -> Option<TcpStream> {
    loop {
        let head = read_head(client).ok()?;
        let text = String::from_utf8_lossy(&head).into_owned();
        lock(heads).push(text.clone());
        let body = read_body(client, &head).ok()?;
        let (reply, next) = answer(&head, &text, &body, rules, open);
        if client.write_all(&reply).is_err() || client.flush().is_err() {
            return None;
        }
        match next {
            Next::Serve => {}
            Next::Close => return None,
            Next::Tunnel(upstream) => return Some(upstream),
        }
    }
}

/// What happens after a reply.
enum Next {
    Serve,
    Close,
    Tunnel(TcpStream),
}

/// A short reply that closes the connection.
fn refuse(status: &str, extra: &str) -> (Vec<u8>, Next) {
    let reply =
        format!("HTTP/1.1 {status}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n");
    (reply.into_bytes(), Next::Close)
}

fn answer(
    head: &[u8],
    text: &str,
    body: &[u8],
    rules: &Rules,
    open: &OpenStreams,
) -> (Vec<u8>, Next) {
    let line = request_line(text);
    let mut parts = line.splitn(3, ' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if let Some(want) = &rules.want {
        if head_header(text, "Proxy-Authorization").as_deref() != Some(want.as_str()) {
            let challenge = "Proxy-Authenticate: Basic realm=\"test-proxy\"\r\n";
            return refuse("407 Proxy Authentication Required", challenge);
        }
    }
    if method == "CONNECT" {
        return connect(target, rules.connect, open);
    }
    let Some((host, port, path)) = split_absolute(target) else {
        return refuse("400 Bad Request", "");
    };
    let Ok(mut upstream) = TcpStream::connect((host.as_str(), port)) else {
        return refuse("502 Bad Gateway", "");
    };
    open.track(&upstream);
    let request = [origin_form(head, method, &path), body.to_vec()].concat();
    if upstream.write_all(&request).is_err() {
        return refuse("502 Bad Gateway", "");
    }
    let reply = relay_response(&mut upstream, method);
    // One request per origin connection; `open` holds a clone, so close it.
    let _ = upstream.shutdown(Shutdown::Both);
    match reply {
        Some((bytes, _)) if wants_close(text) => (bytes, Next::Close),
        Some(reply) => reply,
        None => refuse("502 Bad Gateway", ""),
    }
}

fn connect(target: &str, policy: Connect, open: &OpenStreams) -> (Vec<u8>, Next) {
    let Some((host, port)) = target.rsplit_once(':') else {
        return refuse("400 Bad Request", "");
    };
    match policy {
        Connect::Only443 if port != "443" => refuse("403 Forbidden", ""),
        Connect::Only443 => refuse("502 Bad Gateway", ""),
        Connect::Any => {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let Some(upstream) = port
                .parse::<u16>()
                .ok()
                .and_then(|p| TcpStream::connect((host, p)).ok())
            else {
                return refuse("502 Bad Gateway", "");
            };
            open.track(&upstream);
            let ok = b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec();
            (ok, Next::Tunnel(upstream))
        }
    }
}

/// `http://host[:port]/path?query` -> host, port, `/path?query`.
fn split_absolute(target: &str) -> Option<(String, u16, String)> {
    let rest = target.strip_prefix("http://")?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, p.parse().ok()?),
        _ => (authority, 80),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((host.to_string(), port, path))
}

/// The head to send the origin: the request line in origin-form, every
/// header line as received but the proxy's own.
fn origin_form(head: &[u8], method: &str, path: &str) -> Vec<u8> {
    let first_end = head
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(head.len());
    let version = String::from_utf8_lossy(&head[..first_end])
        .rsplit(' ')
        .next()
        .unwrap_or("HTTP/1.1")
        .to_string();
    let mut out = format!("{method} {path} {version}").into_bytes();
    for line in head[first_end..].split(|b| *b == b'\n') {
        let name = String::from_utf8_lossy(line.split(|b| *b == b':').next().unwrap_or(b""));
        let name = name.trim().to_ascii_lowercase();
        if name != "proxy-authorization" && name != "proxy-connection" {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    // The split leaves one '\n' too many after the final blank line.
    out.pop();
    out
}

/// Reads the origin's response and returns it as received, and whether the
/// client connection can carry another request.
fn relay_response(upstream: &mut TcpStream, method: &str) -> Option<(Vec<u8>, Next)> {
    let head = read_head(upstream).ok()?;
    let text = String::from_utf8_lossy(&head).into_owned();
    let status: u16 = request_line(&text).split(' ').nth(1)?.parse().ok()?;
    let framed = head_header(&text, "Content-Length").is_some()
        || head_header(&text, "Transfer-Encoding").is_some();
    let no_body = method == "HEAD" || status < 200 || status == 204 || status == 304;
    let (body, delimited) = if no_body {
        (Vec::new(), true)
    } else if framed {
        (read_body(upstream, &head).ok()?, true)
    } else {
        let mut all = Vec::new();
        upstream.read_to_end(&mut all).ok()?;
        (all, false)
    };
    let close = wants_close(&text);
    let next = if delimited && !close {
        Next::Serve
    } else {
        Next::Close
    };
    Some(([head, body].concat(), next))
}

/// `Connection: close` in a head.
fn wants_close(head: &str) -> bool {
    head_header(head, "Connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
}

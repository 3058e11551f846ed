//! SOCKS proxies: SOCKS5 (RFC 1928, username/password RFC 1929) and
//! SOCKS4/SOCKS4a. Each records what the client asked for (before the
//! final reply, so the record is complete once the client has finished)
//! and then pipes bytes to the real test origin. Bound before the
//! constructor returns; nothing leaves the machine; nothing sleeps.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};

use super::listener::{pipe, Listener, OpenStreams, Relayed};
use super::raw::lock;

/// Sends the final `reply` of a handshake and, if the proxy connected to
/// the destination, tunnels to it.
fn answer(mut stream: TcpStream, open: &OpenStreams, reply: &[u8], upstream: Option<TcpStream>) {
    if stream.write_all(reply).is_err() {
        return;
    }
    if let Some(upstream) = upstream {
        open.track(&upstream);
        pipe(stream, upstream, &Relayed::default());
    }
}

// ---------------------------------------------------------------------------
// SOCKS5
// ---------------------------------------------------------------------------

/// A SOCKS5 CONNECT destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    V4(Ipv4Addr, u16),
    V6(Ipv6Addr, u16),
    Domain(String, u16),
}

/// What one SOCKS5 client said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocksRecord {
    /// Authentication methods offered in the greeting.
    pub methods: Vec<u8>,
    /// Username and password sent (RFC 1929), if any.
    pub credentials: Option<(String, String)>,
    /// The CONNECT destination, if the client got that far.
    pub dest: Option<Dest>,
}

/// A SOCKS5 proxy on 127.0.0.1.
pub struct Socks5Proxy {
    pub port: u16,
    listener: Listener,
    records: Arc<Mutex<Vec<SocksRecord>>>,
}

impl Socks5Proxy {
    /// Accepts clients offering "no authentication".
    pub fn start() -> Socks5Proxy {
        Socks5Proxy::new(None)
    }

    /// Demands username/password authentication with these credentials.
    pub fn with_auth(user: &str, pass: &str) -> Socks5Proxy {
        Socks5Proxy::new(Some((user.to_string(), pass.to_string())))
    }

    fn new(want: Option<(String, String)>) -> Socks5Proxy {
        let records = Arc::new(Mutex::new(Vec::new()));
        let recorded = records.clone();
        let listener = Listener::start("SOCKS5 proxy", move |mut stream, open| {
            let mut record = SocksRecord::default();
            let outcome = socks5_session(&mut stream, want.as_ref(), &mut record);
            lock(&recorded).push(record);
            if let Ok((reply, upstream)) = outcome {
                answer(stream, open, &reply, upstream);
            }
        });
        Socks5Proxy {
            port: listener.port,
            listener,
            records,
        }
    }

    /// `SCHEME://127.0.0.1:PORT` (scheme `socks5` or `socks5h`).
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// What every client said, in order.
    pub fn records(&self) -> Vec<SocksRecord> {
        lock(&self.records).clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.listener.connections()
    }
}

fn read_n(stream: &mut TcpStream, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; n];
    stream.read_exact(&mut buf)?;
    Ok(buf)
}

/// Runs the handshake up to the final reply; returns that reply and, on
/// success, the connection to the destination.
fn socks5_session(
    stream: &mut TcpStream,
    want: Option<&(String, String)>,
    record: &mut SocksRecord,
) -> io::Result<(Vec<u8>, Option<TcpStream>)> {
    const FAIL: u8 = 0xff;
    let greeting = read_n(stream, 2)?;
    if greeting[0] != 5 {
        return Ok((vec![5, FAIL], None));
    }
    record.methods = read_n(stream, greeting[1] as usize)?;
    match want {
        Some((user, pass)) => {
            if !record.methods.contains(&2) {
                return Ok((vec![5, FAIL], None));
            }
            stream.write_all(&[5, 2])?;
            let ver_ulen = read_n(stream, 2)?;
            let got_user = read_n(stream, ver_ulen[1] as usize)?;
            let plen = read_n(stream, 1)?;
            let got_pass = read_n(stream, plen[0] as usize)?;
            let got = (
                String::from_utf8_lossy(&got_user).into_owned(),
                String::from_utf8_lossy(&got_pass).into_owned(),
            );
            record.credentials = Some(got.clone());
            if ver_ulen[0] != 1 || (&got.0, &got.1) != (user, pass) {
                return Ok((vec![1, 1], None));
            }
            stream.write_all(&[1, 0])?;
        }
        None => {
            if !record.methods.contains(&0) {
                return Ok((vec![5, FAIL], None));
            }
            stream.write_all(&[5, 0])?;
        }
    }
    let request = read_n(stream, 4)?;
    let port = |b: Vec<u8>| u16::from_be_bytes([b[0], b[1]]);
    let dest = match request[3] {
        1 => {
            let ip = read_n(stream, 4)?;
            Dest::V4(
                Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]),
                port(read_n(stream, 2)?),
            )
        }
        3 => {
            let len = read_n(stream, 1)?[0] as usize;
            let name = String::from_utf8_lossy(&read_n(stream, len)?).into_owned();
            Dest::Domain(name, port(read_n(stream, 2)?))
        }
        4 => {
            let ip: [u8; 16] = read_n(stream, 16)?.try_into().expect("16 bytes");
            Dest::V6(Ipv6Addr::from(ip), port(read_n(stream, 2)?))
        }
        _ => return Ok((vec![5, 8, 0, 1, 0, 0, 0, 0, 0, 0], None)),
    };
    record.dest = Some(dest.clone());
    if request[1] != 1 {
        return Ok((vec![5, 7, 0, 1, 0, 0, 0, 0, 0, 0], None));
    }
    let upstream = match &dest {
        Dest::V4(ip, p) => TcpStream::connect(SocketAddr::from((*ip, *p))),
        Dest::V6(ip, p) => TcpStream::connect(SocketAddr::from((*ip, *p))),
        Dest::Domain(name, p) => TcpStream::connect((name.as_str(), *p)),
    };
    match upstream {
        Ok(up) => Ok((vec![5, 0, 0, 1, 127, 0, 0, 1, 0, 0], Some(up))),
        Err(_) => Ok((vec![5, 5, 0, 1, 0, 0, 0, 0, 0, 0], None)),
    }
}

// ---------------------------------------------------------------------------
// SOCKS4 / SOCKS4a
// ---------------------------------------------------------------------------

/// One SOCKS4 request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socks4Request {
    pub version: u8,
    pub command: u8,
    pub port: u16,
    /// DSTIP; `0.0.0.x` (x != 0) means SOCKS4a.
    pub ip: Ipv4Addr,
    pub user_id: Vec<u8>,
    /// The SOCKS4a host name that followed the user id.
    pub host: Option<String>,
}

impl Socks4Request {
    /// A CONNECT with an empty user id.
    pub fn connect(ip: Ipv4Addr, port: u16, host: Option<&str>) -> Socks4Request {
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

/// A SOCKS4/SOCKS4a proxy on 127.0.0.1.
pub struct Socks4Proxy {
    pub port: u16,
    listener: Listener,
    requests: Arc<Mutex<Vec<Socks4Request>>>,
}

impl Socks4Proxy {
    /// Grants every CONNECT it can make.
    pub fn start() -> Socks4Proxy {
        Socks4Proxy::new(true)
    }

    /// Answers every request with 0x5B (rejected or failed).
    pub fn rejecting() -> Socks4Proxy {
        Socks4Proxy::new(false)
    }

    fn new(grant: bool) -> Socks4Proxy {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        let listener = Listener::start("SOCKS4 proxy", move |mut stream, open| {
            let Ok(request) = read_socks4(&mut stream) else {
                return;
            };
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
            answer(stream, open, &reply, upstream);
        });
        Socks4Proxy {
            port: listener.port,
            listener,
            requests,
        }
    }

    /// `SCHEME://127.0.0.1:PORT` (scheme `socks4` or `socks4a`).
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Socks4Request> {
        lock(&self.requests).clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
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

//! Where connections go (`spec::Route`): the resolver applies `--connect-to`, `--resolve`
//! and `-4/-6` to every host the client connects to (the origin, or the proxy when there is
//! one), and the dialer opens the socket: TCP, bound to `--interface` if given, trying each
//! address in turn, or the `--unix-socket`. TLS, proxies and HTTP run on top, unchanged.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{ConnectionDetails, Connector, Either, NextTimeout, Transport};
use ureq::Error;

use super::stream::{Stream, StreamTransport};
use super::tap::Tap;
use crate::cli::route::{Family, Interface};
use crate::message::Remote;
use crate::spec::Route;

/// A failure of the user's routing choices, worded for them (see `client::explain`).
#[derive(Debug)]
pub struct RouteError(pub String);

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RouteError {}

fn route_error(kind: io::ErrorKind, msg: String) -> Error {
    Error::Io(io::Error::new(kind, RouteError(msg)))
}

/// The host (no brackets, lower case) and port a URI connects to.
fn host_port(uri: &Uri) -> Option<(String, u16)> {
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().or(match uri.scheme_str()? {
        "http" => Some(80),
        "https" => Some(443),
        s if s.starts_with("socks") => Some(1080),
        _ => None,
    })?;
    Some((host.to_ascii_lowercase(), port))
}

/// The resolver: std's lookup (as ureq does it) after the routing rules.
#[derive(Debug, Default)]
pub struct Router {
    pub route: Route,
    dns: DefaultResolver,
}

impl Router {
    pub fn new(route: Route) -> Router {
        Router {
            route,
            dns: DefaultResolver::default(),
        }
    }

    /// The addresses for `host:port` before the family filter.
    fn lookup(
        &self,
        host: &str,
        port: u16,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<Vec<SocketAddr>, Error> {
        let rule = self.route.resolve.iter().find(|r| r.matches(host, port));
        if let Some(rule) = rule {
            return Ok(rule
                .addrs
                .iter()
                .map(|a| SocketAddr::new(*a, port))
                .collect());
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let uri: Uri = format!("http://{host}:{port}/")
            .parse()
            .map_err(|_| Error::HostNotFound)?;
        match self.dns.resolve(&uri, config, timeout) {
            Ok(found) => Ok(found.iter().copied().collect()),
            // std reports a failed lookup as a bare I/O error; it is a host not found.
            Err(Error::Io(_)) => Err(Error::HostNotFound),
            Err(e) => Err(e),
        }
    }
}

impl Resolver for Router {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let (host, port) = host_port(uri).ok_or(Error::HostNotFound)?;
        let mut out = self.empty();
        if self.route.unix_socket.is_some() {
            // Nothing to look up: the dialer connects to the socket whatever the host.
            out.push(SocketAddr::from(([127, 0, 0, 1], port)));
            return Ok(out);
        }
        let (host, port) = self
            .route
            .connect_to
            .iter()
            .find_map(|c| c.apply(&host, port))
            .unwrap_or((host, port));
        let found = self.lookup(&host, port, config, timeout)?;
        let family = self.route.family;
        for addr in found.iter().filter(|a| family.allows(&a.ip())).take(16) {
            out.push(*addr);
        }
        if out.is_empty() {
            return Err(route_error(
                io::ErrorKind::AddrNotAvailable,
                format!("'{host}' has no {} address", family.name()),
            ));
        }
        Ok(out)
    }
}

/// Where the dialer leaves a second handle on each socket it opens, when asked to.
pub type Slot = std::sync::Arc<std::sync::Mutex<Option<Stream>>>;

/// The connector that opens sockets (in place of ureq's `TcpConnector`).
pub struct Dial {
    pub route: Route,
    pub tap: Tap,
    pub before_wait: super::stream::BeforeWait,
    /// The HTTP/2 dialer's: every socket opened is also left here (`h2::connect`).
    pub slot: Option<Slot>,
}

impl fmt::Debug for Dial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dial").field("route", &self.route).finish()
    }
}

impl<In: Transport> Connector<In> for Dial {
    type Out = Either<In, StreamTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        // A SOCKS connector already made the connection.
        if let Some(inner) = chained {
            return Ok(Some(Either::A(inner)));
        }
        let (stream, remote, local) = match &self.route.unix_socket {
            Some(path) => {
                let s = UnixStream::connect(path).map_err(|e| unix_error(e, path))?;
                (Stream::Unix(s), Remote::Unix(path.clone()), None)
            }
            None => {
                let budget = details.timeout.not_zero().map(|d| *d);
                let bind = self.route.interface.as_ref();
                let (s, addr) = connect_any(&details.addrs, budget, bind, details.timeout)?;
                if details.config.no_delay() {
                    s.set_nodelay(true)?;
                }
                let local = s.local_addr().ok();
                (Stream::Tcp(s), Remote::Tcp(addr), local)
            }
        };
        self.tap.connected_to(remote, local);
        if let Some(slot) = &self.slot {
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(stream.try_clone()?);
        }
        Ok(Some(Either::B(StreamTransport::new(
            stream,
            details.config,
            self.before_wait.clone(),
            &self.tap,
        ))))
    }
}

fn unix_error(e: io::Error, path: &std::path::Path) -> Error {
    let shown = crate::output::visible(path.as_os_str().as_encoded_bytes());
    let why = match e.kind() {
        io::ErrorKind::NotFound => "it does not exist".to_string(),
        io::ErrorKind::ConnectionRefused => "nothing is listening on it".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    route_error(
        e.kind(),
        format!("cannot connect to the Unix socket {shown}: {why}"),
    )
}

/// Connects to the first address that answers, sharing the time budget as ureq does: half
/// to the first address, a quarter to the next, and so on. Only failures that concern one
/// address (refused, unreachable, timed out with time left) move on to the next.
fn connect_any(
    addrs: &[SocketAddr],
    budget: Option<Duration>,
    bind: Option<&Interface>,
    timeout: NextTimeout,
) -> Result<(TcpStream, SocketAddr), Error> {
    let start = Instant::now();
    let total_weight = 2.0 * (1.0 - 0.5_f64.powi(addrs.len() as i32));
    let mut weight = 1.0_f64;
    let mut last = None;
    for addr in addrs {
        let per_addr = budget.map(|t| {
            let share = t.mul_f64(weight / total_weight);
            share.max(Duration::from_millis(10))
        });
        weight /= 2.0;
        match connect_one(*addr, per_addr, bind) {
            Ok(s) => return Ok((s, *addr)),
            Err(e)
                if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock =>
            {
                if budget.is_some_and(|b| start.elapsed() >= b) {
                    return Err(Error::Timeout(timeout.reason));
                }
                last = Some(Error::Timeout(timeout.reason));
            }
            Err(e) if is_addr_specific(&e) => last = Some(Error::Io(e)),
            Err(e) => return Err(Error::Io(e)),
        }
    }
    Err(last.unwrap_or(Error::ConnectionFailed))
}

fn is_addr_specific(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
            // Also `--interface` without an address of this one's family: the next may do.
            | io::ErrorKind::AddrNotAvailable
    )
}

fn connect_one(
    addr: SocketAddr,
    limit: Option<Duration>,
    bind: Option<&Interface>,
) -> io::Result<TcpStream> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if let Some(interface) = bind {
        let local = local_address(interface, &addr)?;
        socket
            .bind(&SocketAddr::new(local, 0).into())
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    RouteError(format!(
                        "cannot bind to the local address {local}: {}",
                        crate::error::plain_io(&e)
                    )),
                )
            })?;
    }
    match limit {
        Some(t) => socket.connect_timeout(&addr.into(), t)?,
        None => socket.connect(&addr.into())?,
    }
    Ok(socket.into())
}

/// The local address for `--interface`, of the destination's family.
fn local_address(interface: &Interface, dest: &SocketAddr) -> io::Result<IpAddr> {
    let family = if dest.is_ipv4() {
        Family::V4
    } else {
        Family::V6
    };
    let unusable = |msg: String| io::Error::new(io::ErrorKind::AddrNotAvailable, RouteError(msg));
    match interface {
        Interface::Addr(a) if family.allows(a) => Ok(*a),
        Interface::Addr(a) => Err(unusable(format!(
            "--interface {a} cannot reach {dest}: it is not an {} address",
            family.name()
        ))),
        Interface::Name(name) => {
            let (exists, addr) = interface_address(name, family)?;
            addr.ok_or_else(|| {
                unusable(if exists {
                    format!("interface '{name}' has no {} address", family.name())
                } else {
                    format!("there is no network interface named '{name}'")
                })
            })
        }
    }
}

/// Whether the interface exists, and its first address of `family`.
fn interface_address(name: &str, family: Family) -> io::Result<(bool, Option<IpAddr>)> {
    let mut exists = false;
    for ifa in nix::ifaddrs::getifaddrs().map_err(io::Error::from)? {
        if ifa.interface_name != name {
            continue;
        }
        exists = true;
        let ip = ifa.address.as_ref().and_then(|a| {
            a.as_sockaddr_in()
                .map(|v4| IpAddr::V4(v4.ip()))
                .or_else(|| a.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip())))
        });
        if let Some(ip) = ip.filter(|ip| family.allows(ip)) {
            return Ok((true, Some(ip)));
        }
    }
    Ok((exists, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::route::{parse_connect_to, parse_resolve};

    fn resolve(route: Route, uri: &str) -> Result<Vec<SocketAddr>, Error> {
        let config = ureq::config::Config::default();
        let uri: Uri = uri.parse().unwrap();
        Router::new(route)
            .resolve(&uri, &config, NextTimeout::default())
            .map(|a| a.to_vec())
    }

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn rules_apply_in_curl_order() {
        let route = Route {
            connect_to: vec![parse_connect_to("a.test:80:b.test:8080").unwrap()],
            resolve: vec![
                parse_resolve("b.test:8080:127.0.0.2,::1").unwrap(),
                parse_resolve("*:443:127.0.0.3").unwrap(),
            ],
            ..Route::default()
        };
        let got = resolve(route.clone(), "http://A.test/x").unwrap();
        assert_eq!(got, addrs(&["127.0.0.2:8080", "[::1]:8080"]));
        let got = resolve(route.clone(), "https://any.test/").unwrap();
        assert_eq!(got, addrs(&["127.0.0.3:443"]));
        let v6 = Route {
            family: Family::V6,
            ..route.clone()
        };
        assert_eq!(
            resolve(v6, "http://a.test/").unwrap(),
            addrs(&["[::1]:8080"])
        );
        let v6 = Route {
            family: Family::V6,
            ..route
        };
        let err = resolve(v6, "https://x.test/").unwrap_err();
        assert!(
            err.to_string().contains("'x.test' has no IPv6 address"),
            "{err}"
        );
    }

    #[test]
    fn ip_literals_and_unix_sockets_skip_the_lookup() {
        let got = resolve(Route::default(), "http://[::1]:81/").unwrap();
        assert_eq!(got, addrs(&["[::1]:81"]));
        let unix = Route {
            unix_socket: Some("/nonexistent.sock".into()),
            ..Route::default()
        };
        assert_eq!(resolve(unix, "http://docker/v1").unwrap().len(), 1);
    }

    #[test]
    fn tries_the_next_address_after_a_refusal() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let good = listener.local_addr().unwrap();
        let dead = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let (_, used) = connect_any(&[dead, good], None, None, NextTimeout::default()).unwrap();
        assert_eq!(used, good);
    }

    #[test]
    fn missing_interface_is_named() {
        let dest: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let e = local_address(&Interface::Name("nope0".into()), &dest).unwrap_err();
        assert_eq!(e.to_string(), "there is no network interface named 'nope0'");
        let e = local_address(&Interface::Addr("::1".parse().unwrap()), &dest).unwrap_err();
        assert!(e.to_string().contains("not an IPv4 address"), "{e}");
    }
}

//! Parsers (pure) for the flags that choose where to connect, in curl's syntax:
//! `--resolve [+]HOST:PORT:ADDR[,ADDR]...`, `--connect-to HOST1:PORT1:HOST2:PORT2` and
//! `--interface NAME|ADDR`. IPv6 addresses go in brackets wherever a colon would be ambiguous.

use std::net::IpAddr;

/// `--resolve`: connections to `host:port` go to these addresses instead of a DNS answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveRule {
    /// Lower case, without brackets; `None` for `*` (any host).
    pub host: Option<String>,
    pub port: u16,
    pub addrs: Vec<IpAddr>,
}

/// `--connect-to`: a request meant for `from` goes to `to`; `None` parts mean "any" on the
/// left and "the same" on the right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    pub from_host: Option<String>,
    pub from_port: Option<u16>,
    pub to_host: Option<String>,
    pub to_port: Option<u16>,
}

/// `--interface`: the local end of every connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interface {
    /// Bind to this local address.
    Addr(IpAddr),
    /// Bind to this network interface's address (of the destination's family).
    Name(String),
}

/// `-4`/`-6`: which address family to connect with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    #[default]
    Any,
    V4,
    V6,
}

impl Family {
    pub fn allows(self, addr: &IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => addr.is_ipv4(),
            Family::V6 => addr.is_ipv6(),
        }
    }

    /// "IPv4"/"IPv6", for messages.
    pub fn name(self) -> &'static str {
        match self {
            Family::V6 => "IPv6",
            _ => "IPv4",
        }
    }
}

/// A host as written in a rule: `[v6]` or text up to the next `:`. Returns the host (lower
/// case, brackets removed) and the rest after the `:` that ends it.
fn split_host(s: &str) -> Option<(String, &str)> {
    let (host, rest) = match s.strip_prefix('[') {
        Some(inner) => {
            let (h, after) = inner.split_once(']')?;
            (h, after.strip_prefix(':')?)
        }
        None => s.split_once(':')?,
    };
    Some((host.to_ascii_lowercase(), rest))
}

fn split_port(s: &str) -> Option<(&str, &str)> {
    s.split_once(':')
}

fn port(s: &str) -> Option<u16> {
    s.parse().ok()
}

fn opt_port(s: &str) -> Option<Option<u16>> {
    if s.is_empty() {
        Some(None)
    } else {
        port(s).map(Some)
    }
}

fn ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.strip_prefix('[')
        .and_then(|i| i.strip_suffix(']'))
        .unwrap_or(s)
        .parse()
        .ok()
}

/// `example.org:443:127.0.0.1`, `*:80:[::1],127.0.0.1`.
pub fn parse_resolve(s: &str) -> Result<ResolveRule, String> {
    let bad = || {
        format!(
            "'{s}' is not a --resolve rule: use HOST:PORT:ADDR[,ADDR...], \
             e.g. example.org:443:127.0.0.1 (IPv6 in brackets, * for any host)"
        )
    };
    let body = s.strip_prefix('+').unwrap_or(s);
    let (host, rest) = split_host(body).ok_or_else(bad)?;
    let (p, addrs) = split_port(rest).ok_or_else(bad)?;
    let addrs = addrs.split(',').map(ip).collect::<Option<Vec<_>>>();
    match (host.is_empty(), port(p), addrs) {
        (false, Some(port), Some(addrs)) if !addrs.is_empty() => Ok(ResolveRule {
            host: (host != "*").then_some(host),
            port,
            addrs,
        }),
        _ => Err(bad()),
    }
}

/// `example.org:443:backend.test:8443`, `::127.0.0.1:` (empty parts: any / the same).
pub fn parse_connect_to(s: &str) -> Result<ConnectTo, String> {
    let bad = || {
        format!(
            "'{s}' is not a --connect-to rule: use HOST1:PORT1:HOST2:PORT2, \
             e.g. example.org:443:127.0.0.1:8443 (empty parts mean any / the same)"
        )
    };
    let host_part = |text: &str| -> Option<(Option<String>, String)> {
        if let Some(rest) = text.strip_prefix(':') {
            return Some((None, rest.to_string()));
        }
        let (h, rest) = split_host(text)?;
        Some((Some(h), rest.to_string()))
    };
    let (from_host, rest) = host_part(s).ok_or_else(bad)?;
    let (from_port, rest) = split_port(&rest).ok_or_else(bad)?;
    let from_port = opt_port(from_port).ok_or_else(bad)?;
    // The destination: HOST2:PORT2, where HOST2 may be a bracketed IPv6 address.
    let (to_host, to_port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, opt_port(p).ok_or_else(bad)?),
        None => return Err(bad()),
    };
    let to_host = match to_host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) if v6.parse::<std::net::Ipv6Addr>().is_ok() => v6,
        // An IPv6 address needs its brackets here: "::1:80" has no single reading.
        _ if to_host.contains([':', '[', ']']) => return Err(bad()),
        _ => to_host,
    };
    Ok(ConnectTo {
        from_host,
        from_port,
        to_host: (!to_host.is_empty()).then(|| to_host.to_ascii_lowercase()),
        to_port,
    })
}

/// An address (`192.0.2.7`, `::1`, `[::1]`) or an interface name (`eth0`, `lo`).
pub fn parse_interface(s: &str) -> Result<Interface, String> {
    if let Some(addr) = ip(s) {
        return Ok(Interface::Addr(addr));
    }
    let name_ok = !s.is_empty()
        && s.len() < 16
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.@:".contains(&b));
    if name_ok {
        Ok(Interface::Name(s.to_string()))
    } else {
        Err(format!(
            "'{s}' is not an interface: use a name (e.g. eth0) or a local address (e.g. 192.0.2.7)"
        ))
    }
}

impl ConnectTo {
    /// Where a connection to `host:port` goes under this rule, if it applies.
    pub fn apply(&self, host: &str, port: u16) -> Option<(String, u16)> {
        let host_ok = self.from_host.as_deref().is_none_or(|h| h == host);
        let port_ok = self.from_port.is_none_or(|p| p == port);
        (host_ok && port_ok).then(|| {
            (
                self.to_host.clone().unwrap_or_else(|| host.to_string()),
                self.to_port.unwrap_or(port),
            )
        })
    }
}

impl ResolveRule {
    pub fn matches(&self, host: &str, port: u16) -> bool {
        self.port == port && self.host.as_deref().is_none_or(|h| h == host)
    }
}

/// A host for a rule, IPv6 in brackets.
fn show_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Written back in curl's syntax (`--as=curl`, messages): parsing it gives the same rule.
impl std::fmt::Display for ResolveRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let addrs: Vec<String> = self
            .addrs
            .iter()
            .map(|a| show_host(&a.to_string()))
            .collect();
        let host = self.host.as_deref().map_or("*".to_string(), show_host);
        write!(f, "{host}:{}:{}", self.port, addrs.join(","))
    }
}

impl std::fmt::Display for ConnectTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = |h: &Option<String>| h.as_deref().map_or(String::new(), show_host);
        let port = |p: &Option<u16>| p.map_or(String::new(), |p| p.to_string());
        write!(
            f,
            "{}:{}:{}:{}",
            host(&self.from_host),
            port(&self.from_port),
            host(&self.to_host),
            port(&self.to_port)
        )
    }
}

impl std::fmt::Display for Interface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Interface::Addr(a) => write!(f, "{a}"),
            Interface::Name(n) => f.write_str(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn resolve_rules() {
        let r = parse_resolve("Example.org:443:127.0.0.1").unwrap();
        assert_eq!(r.host.as_deref(), Some("example.org"));
        assert_eq!((r.port, r.addrs), (443, ips(&["127.0.0.1"])));
        let r = parse_resolve("*:80:[::1],127.0.0.2").unwrap();
        assert_eq!(r.host, None);
        assert_eq!(r.addrs, ips(&["::1", "127.0.0.2"]));
        let r = parse_resolve("+[::1]:8080:::1").unwrap();
        assert_eq!(r.host.as_deref(), Some("::1"));
        assert_eq!(r.addrs, ips(&["::1"]));
        for bad in [
            "",
            "example.org",
            "example.org:443",
            "example.org:443:",
            "example.org:x:127.0.0.1",
            "example.org:70000:127.0.0.1",
            ":443:127.0.0.1",
            "example.org:443:not-an-ip",
            "[::1:443:127.0.0.1",
        ] {
            let e = parse_resolve(bad).unwrap_err();
            assert!(e.contains("--resolve"), "{bad}: {e}");
        }
    }

    #[test]
    fn connect_to_rules() {
        let c = parse_connect_to("example.org:443:backend.test:8443").unwrap();
        assert_eq!(
            c.apply("example.org", 443),
            Some(("backend.test".into(), 8443))
        );
        assert_eq!(c.apply("example.org", 80), None);
        assert_eq!(c.apply("other.org", 443), None);
        let any = parse_connect_to("::127.0.0.1:").unwrap();
        assert_eq!(any.apply("a.test", 81), Some(("127.0.0.1".into(), 81)));
        let v6 = parse_connect_to("[::1]:80:[::2]:8080").unwrap();
        assert_eq!(v6.apply("::1", 80), Some(("::2".into(), 8080)));
        let same_host = parse_connect_to("a.test::::9000").unwrap_err();
        assert!(same_host.contains("--connect-to"));
        let port_only = parse_connect_to("a.test:::9000").unwrap();
        assert_eq!(port_only.apply("a.test", 1), Some(("a.test".into(), 9000)));
        for bad in ["", "a", "a:1", "a:1:b", "a:x:b:1", "a:1:b:x", "a:1:::1:2"] {
            assert!(parse_connect_to(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rules_print_back_as_they_parse() {
        for text in [
            "example.org:443:127.0.0.1",
            "*:80:[::1],127.0.0.2",
            "[::1]:8080:[::1]",
        ] {
            assert_eq!(parse_resolve(text).unwrap().to_string(), text);
        }
        for text in [
            "a.test:443:b.test:8443",
            "::127.0.0.1:",
            "[::1]:80:[::2]:8080",
            ":::",
        ] {
            assert_eq!(parse_connect_to(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn interfaces() {
        assert_eq!(
            parse_interface("127.0.0.2"),
            Ok(Interface::Addr("127.0.0.2".parse().unwrap()))
        );
        assert_eq!(
            parse_interface("[::1]"),
            Ok(Interface::Addr("::1".parse().unwrap()))
        );
        assert_eq!(parse_interface("eth0"), Ok(Interface::Name("eth0".into())));
        assert!(parse_interface("").is_err());
        assert!(parse_interface("a b").is_err());
        assert!(parse_interface("averyveryverylongname").is_err());
    }
}

//! Choosing a proxy for a URL (pure): `--proxy PROTOCOL:URL` flags first (parsed in
//! `cli::values`), then
//! `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` (upper or lower case) minus `NO_PROXY` matches.
//! ureq tunnels through HTTP proxies with CONNECT, so `Proxy-Authorization` (from the proxy
//! URL's credentials) goes to the proxy only, never to the origin.

use url::Url;

use crate::cli::values::ProxyFlag;

/// Does `NO_PROXY` exclude this host? Entries are host names (matching the host and its
/// subdomains; a leading `.` or `*.` is allowed), IP addresses, optionally with `:port`, or `*`.
pub fn no_proxy_matches(no_proxy: &str, host: &str, port: u16) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    no_proxy
        .split([',', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let (name, want_port) = match entry.rsplit_once(':') {
                Some((n, p)) if !n.contains(':') || n.ends_with(']') => (n, p.parse::<u16>().ok()),
                _ => (entry, None),
            };
            if want_port.is_some_and(|p| p != port) {
                return false;
            }
            let name = name.trim_start_matches("*.").trim_start_matches('.');
            let name = name
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_ascii_lowercase();
            host == name || host.ends_with(&format!(".{name}"))
        })
}

/// The proxy URL to use for `url`, if any. `var` reads the environment.
pub fn select(
    url: &Url,
    flags: &[ProxyFlag],
    var: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let scheme = url.scheme();
    let flagged = flags
        .iter()
        .rev()
        .find(|f| f.scheme == scheme)
        .or_else(|| flags.iter().rev().find(|f| f.scheme == "all"));
    if let Some(f) = flagged {
        return Some(f.url.clone());
    }
    let env =
        |name: &str| var(&name.to_ascii_lowercase()).or_else(|| var(&name.to_ascii_uppercase()));
    let proxy = env(&format!("{scheme}_proxy")).or_else(|| env("all_proxy"))?;
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(80);
    if env("no_proxy").is_some_and(|np| no_proxy_matches(&np, host, port)) {
        return None;
    }
    Some(proxy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn no_proxy_rules() {
        let table = [
            ("example.org", "example.org", 80, true),
            ("example.org", "api.example.org", 80, true),
            (".example.org", "api.example.org", 80, true),
            ("*.example.org", "api.example.org", 80, true),
            ("example.org", "badexample.org", 80, false),
            ("localhost:8080", "localhost", 8080, true),
            ("localhost:8080", "localhost", 9090, false),
            ("127.0.0.1", "127.0.0.1", 1, true),
            ("*", "anything", 1, true),
            ("a.test, b.test", "b.test", 1, true),
            ("[::1]", "[::1]", 1, true),
            ("", "x", 1, false),
        ];
        for (np, host, port, want) in table {
            assert_eq!(no_proxy_matches(np, host, port), want, "{np} {host}:{port}");
        }
    }

    #[test]
    fn selection_order() {
        let vars: HashMap<&str, &str> = [
            ("http_proxy", "http://env-http:1"),
            ("HTTPS_PROXY", "http://env-https:2"),
            ("NO_PROXY", "skip.test"),
        ]
        .into();
        let var = |k: &str| vars.get(k).map(|v| v.to_string());
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            select(&u("http://a.test/"), &[], var).as_deref(),
            Some("http://env-http:1")
        );
        assert_eq!(
            select(&u("https://a.test/"), &[], var).as_deref(),
            Some("http://env-https:2")
        );
        assert_eq!(select(&u("http://skip.test/"), &[], var), None);
        let flags = [crate::cli::values::parse_proxy("http:socks5://f:9").unwrap()];
        assert_eq!(
            select(&u("http://skip.test/"), &flags, var).as_deref(),
            Some("socks5://f:9")
        );
        assert_eq!(
            select(&u("https://a.test/"), &flags, var).as_deref(),
            Some("http://env-https:2")
        );
        assert_eq!(select(&u("http://a.test/"), &[], |_| None), None);
    }
}

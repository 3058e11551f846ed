//! Choosing a proxy for a URL (pure): `--proxy PROTOCOL:URL` flags first (parsed in
//! `cli::values`), then
//! `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` (upper or lower case) minus `NO_PROXY` matches.
//! An `http://` URL goes to an `http://` or `https://` proxy in absolute form
//! (`GET http://host/x HTTP/1.1`, as curl, requests and HTTPie send it: proxies that allow
//! CONNECT only to port 443 accept it, and caching proxies can cache it), with
//! `Proxy-Authorization` from the proxy URL's credentials on that request; `https://` URLs,
//! and every URL through a SOCKS proxy, are tunnelled by ureq (CONNECT carries the
//! credentials, which never enter the tunnel). Either way they go to the proxy only.

use base64::Engine;
use url::Url;

use crate::cli::values::ProxyFlag;
use crate::prepare::Forward;

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

/// A proxy URL parsed, `http://` assumed when it names no scheme (as ureq assumes).
pub fn parse(proxy: &str) -> Option<Url> {
    if proxy.contains("://") {
        Url::parse(proxy).ok()
    } else {
        Url::parse(&format!("http://{proxy}")).ok()
    }
}

/// How `url` goes through `proxy` when in absolute form: only an `http://` URL through an
/// `http://` or `https://` proxy.
pub fn forward(url: &Url, proxy: &str) -> Option<Forward> {
    let parsed = parse(proxy).filter(|p| p.host_str().is_some_and(|h| !h.is_empty()))?;
    let absolute = url.scheme() == "http" && matches!(parsed.scheme(), "http" | "https");
    absolute.then(|| Forward {
        proxy: proxy.to_string(),
        authorization: basic_credentials(&parsed),
    })
}

/// The absolute-form route of a request, if it has one: `select`, then `forward`. A CONNECT
/// request names an authority, not a URL, so it is never put in absolute form.
pub fn route(
    url: &Url,
    method: &str,
    flags: &[ProxyFlag],
    var: impl Fn(&str) -> Option<String>,
) -> Option<Forward> {
    if method.eq_ignore_ascii_case("CONNECT") {
        return None;
    }
    select(url, flags, var).and_then(|p| forward(url, &p))
}

/// `Basic base64(user:password)` from a proxy URL's credentials, percent-decoded once.
pub fn basic_credentials(proxy: &Url) -> Option<Vec<u8>> {
    if proxy.username().is_empty() && proxy.password().is_none() {
        return None;
    }
    let decode = |s: &str| percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
    let mut pair = decode(proxy.username());
    pair.push(b':');
    pair.extend(decode(proxy.password().unwrap_or_default()));
    let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
    Some(format!("Basic {encoded}").into_bytes())
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

    #[test]
    fn absolute_form_only_for_http_urls_through_http_proxies() {
        let u = |s: &str| Url::parse(s).unwrap();
        let fwd = forward(&u("http://a.test/x"), "http://u%40x:p%3Aw@p:3128").unwrap();
        assert_eq!(fwd.proxy, "http://u%40x:p%3Aw@p:3128");
        // "u@x:p:w", decoded once.
        assert_eq!(
            fwd.authorization.as_deref(),
            Some(&b"Basic dUB4OnA6dw=="[..])
        );
        let fwd = forward(&u("http://a.test/"), "p:3128").unwrap();
        assert_eq!(fwd.authorization, None);
        let fwd = forward(&u("http://a.test/"), "https://only-user@p").unwrap();
        assert_eq!(
            fwd.authorization.as_deref(),
            Some(&b"Basic b25seS11c2VyOg=="[..])
        );
        assert_eq!(forward(&u("https://a.test/"), "http://p:3128"), None);
        assert_eq!(forward(&u("http://a.test/"), "socks5://p:1080"), None);
        assert_eq!(forward(&u("http://a.test/"), "http://"), None);
        let flags = [crate::cli::values::parse_proxy("all:http://p:1").unwrap()];
        assert!(route(&u("http://a.test/"), "GET", &flags, |_| None).is_some());
        assert!(route(&u("http://a.test/"), "CONNECT", &flags, |_| None).is_none());
        assert!(route(&u("https://a.test/"), "GET", &flags, |_| None).is_none());
    }
}

//! Following redirects ourselves (ureq's own following is off): every hop is handed to a
//! callback for `--all`, the limit exits 6, methods and bodies change as requests does,
//! and credentials never travel to another origin.

use anyhow::Result;
use url::Url;

use super::{Client, Response};
use crate::error::{usage, Failure};
use crate::prepare::{Body, PreparedRequest};

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// What the redirect loop reports as it goes.
#[allow(clippy::large_enum_variant)] // one value per hop; boxing buys nothing
pub enum Hop<'a> {
    /// This request is about to be sent.
    Sending(&'a PreparedRequest),
    /// This exchange was a redirect that is being followed (the body may be read or dropped).
    Redirected(&'a PreparedRequest, Response),
}

/// Send `first`, following redirects when asked; every step goes to `on_hop`, and the final
/// exchange is returned.
pub fn send_following(
    client: &Client,
    first: PreparedRequest,
    follow: bool,
    max_redirects: u32,
    mut on_hop: impl FnMut(Hop) -> Result<()>,
) -> Result<(PreparedRequest, Response)> {
    let mut req = first;
    let mut count = 0u32;
    loop {
        on_hop(Hop::Sending(&req))?;
        let resp = client.send(&req)?;
        if !follow || !is_redirect(resp.status) {
            return Ok((req, resp));
        }
        let Some(location) = resp.header_str("location").map(str::to_string) else {
            return Err(Failure::Network(format!(
                "redirect {} from {} has no Location header",
                resp.status, req.url
            ))
            .into());
        };
        count += 1;
        if count > max_redirects {
            return Err(Failure::TooManyRedirects(max_redirects).into());
        }
        let next = next_request(&req, resp.status, &location)?;
        on_hop(Hop::Redirected(&req, resp))?;
        req = next;
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The request to send after a redirect.
pub fn next_request(req: &PreparedRequest, status: u16, location: &str) -> Result<PreparedRequest> {
    let url = req
        .url
        .join(location)
        .map_err(|e| Failure::Network(format!("invalid redirect Location '{location}': {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Failure::Network(format!("cannot follow redirect to '{url}'")).into());
    }
    let mut next = req.clone();
    let to_get = matches!(status, 301..=303) && req.method != "HEAD";
    if to_get {
        next.method = "GET".into();
        next.body = Body::default();
        next.chunked = false;
        next.headers.retain(|(n, _)| {
            ![
                "content-type",
                "content-length",
                "transfer-encoding",
                "content-encoding",
            ]
            .iter()
            .any(|h| n.eq_ignore_ascii_case(h))
        });
    }
    if !same_origin(&req.url, &url) {
        next.headers.retain(|(n, _)| {
            !["authorization", "proxy-authorization", "cookie"]
                .iter()
                .any(|h| n.eq_ignore_ascii_case(h))
        });
    }
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    for (n, v) in next.headers.iter_mut() {
        if n.eq_ignore_ascii_case("host") {
            *v = host.clone().into_bytes();
        }
    }
    next.target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    next.url = url;
    if next.url.as_str().is_empty() {
        return Err(usage("empty redirect URL"));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, url: &str) -> PreparedRequest {
        PreparedRequest {
            method: method.into(),
            url: Url::parse(url).unwrap(),
            target: "/".into(),
            headers: vec![
                ("Host".into(), b"a.test".to_vec()),
                ("Authorization".into(), b"Basic x".to_vec()),
                ("Cookie".into(), b"a=1".to_vec()),
                ("Content-Type".into(), b"application/json".to_vec()),
                ("Content-Length".into(), b"2".to_vec()),
            ],
            body: Body::bytes(b"{}".to_vec()),
            chunked: false,
        }
    }

    fn names(r: &PreparedRequest) -> Vec<&str> {
        r.headers.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn post_becomes_get_on_303_and_keeps_credentials_same_origin() {
        let n = next_request(&req("POST", "http://a.test/x"), 303, "/y?q=1").unwrap();
        assert_eq!((n.method.as_str(), n.target.as_str()), ("GET", "/y?q=1"));
        assert!(n.body.is_empty());
        assert_eq!(names(&n), ["Host", "Authorization", "Cookie"]);
    }

    #[test]
    fn keeps_method_and_body_on_307_and_strips_credentials_cross_origin() {
        let n = next_request(&req("POST", "http://a.test/x"), 307, "http://b.test:81/z").unwrap();
        assert_eq!(n.method, "POST");
        assert_eq!(n.body.len(), 2);
        assert_eq!(names(&n), ["Host", "Content-Type", "Content-Length"]);
        assert_eq!(n.headers[0].1, b"b.test:81");
        // https -> http is another origin too
        let n = next_request(&req("GET", "https://a.test/x"), 302, "http://a.test/x").unwrap();
        assert!(!names(&n).contains(&"Authorization"));
        // HEAD stays HEAD
        let n = next_request(&req("HEAD", "http://a.test/x"), 302, "//a.test/y").unwrap();
        assert_eq!(
            (n.method.as_str(), n.url.as_str()),
            ("HEAD", "http://a.test/y")
        );
    }

    #[test]
    fn bad_location_is_reported() {
        let e = next_request(&req("GET", "http://a.test/x"), 302, "http://[bad").unwrap_err();
        assert!(e.to_string().contains("invalid redirect Location"), "{e}");
        let e = next_request(&req("GET", "http://a.test/x"), 302, "ftp://a.test/").unwrap_err();
        assert!(e.to_string().contains("cannot follow"), "{e}");
    }
}

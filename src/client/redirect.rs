//! Following redirects ourselves (ureq's own following is off): every hop is handed to a
//! callback for `--all`, the limit exits 6, methods and bodies change as requests does,
//! and credentials never travel to another origin.

use anyhow::Result;
use url::Url;

use super::retry::{jitter, next_wait, Outcome, Policy};
use super::Client;
use crate::error::{usage, Failure};
use crate::message::{authority, Headers, Response};
use crate::prepare::{Body, PreparedRequest};

pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// What the send loop reports as it goes.
#[allow(clippy::large_enum_variant)] // one value per hop; boxing buys nothing
pub enum Hop<'a> {
    /// This request is about to be sent; the caller may still add to it (session cookies).
    Sending(&'a mut PreparedRequest),
    /// An attempt failed and will be retried after `wait`.
    Retrying {
        retry: u32,
        of: u32,
        wait: std::time::Duration,
        reason: String,
    },
    /// Something the user should know about how this hop travels (a warning).
    Note(String),
    /// This exchange is not the last one: a redirect being followed, or a digest challenge
    /// being answered (the body may be read or dropped).
    Intermediate(&'a PreparedRequest, Response),
}

impl Hop<'_> {
    fn retrying(retry: u32, policy: &Policy, wait: std::time::Duration, reason: String) -> Self {
        Hop::Retrying {
            retry,
            of: policy.retries,
            wait,
            reason,
        }
    }
}

/// How the loop may continue after a response.
pub struct Flow<'a> {
    pub follow: bool,
    pub max_redirects: u32,
    /// Digest credentials (user, password), answered for the first request's origin only.
    pub digest: Option<(&'a str, &'a str)>,
    pub retry: super::retry::Policy,
}

/// Send `first`, answering digest challenges and following redirects as `flow` allows;
/// every step goes to `on_hop`, and the final exchange is returned.
pub fn send_following(
    client: &Client,
    first: PreparedRequest,
    flow: &Flow,
    mut on_hop: impl FnMut(Hop) -> Result<()>,
) -> Result<(PreparedRequest, Response)> {
    client.start_clock();
    let origin = first.url.clone();
    let mut req = first;
    let mut redirects = 0u32;
    let mut challenges = 0u32;
    loop {
        let resp = send_retrying(client, &mut req, &flow.retry, &mut on_hop)?;
        if let Some(next) = digest_retry(&req, &resp, flow, &origin, challenges) {
            challenges += 1;
            on_hop(Hop::Intermediate(&req, resp))?;
            req = next;
            continue;
        }
        if !flow.follow || !is_redirect(resp.status) {
            return Ok((req, resp));
        }
        let Some(location) = resp.header_str("location").map(str::to_string) else {
            return Err(Failure::Network(format!(
                "redirect {} from {} has no Location header",
                resp.status, req.url
            ))
            .into());
        };
        redirects += 1;
        if redirects > flow.max_redirects {
            return Err(Failure::TooManyRedirects(flow.max_redirects).into());
        }
        let next = next_request(&req, resp.status, &location)?;
        on_hop(Hop::Intermediate(&req, resp))?;
        req = next;
    }
}

/// Send one request, retrying as the policy allows; every attempt is announced, and a
/// retried response is handed over as an intermediate exchange.
fn send_retrying(
    client: &Client,
    req: &mut PreparedRequest,
    policy: &Policy,
    on_hop: &mut impl FnMut(Hop) -> Result<()>,
) -> Result<Response> {
    let mut retry = 0u32;
    for note in client.route(req) {
        on_hop(Hop::Note(note))?;
    }
    loop {
        on_hop(Hop::Sending(req))?;
        retry += 1;
        let now = std::time::SystemTime::now();
        match client.try_send(req) {
            Ok(resp) => {
                let after = resp.header_str("retry-after");
                let outcome = Outcome::Status(resp.status, after);
                let Some(wait) = next_wait(policy, &req.method, retry, outcome, now, jitter())
                else {
                    return Ok(resp);
                };
                let reason = format!("HTTP {} {}", resp.status, resp.reason);
                if client.time_left().is_some_and(|left| left <= wait) {
                    return Err(client.over_time());
                }
                on_hop(Hop::retrying(retry, policy, wait, reason))?;
                on_hop(Hop::Intermediate(req, resp))?;
                std::thread::sleep(wait);
            }
            Err(f) => {
                let outcome = if f.connect_phase {
                    Outcome::ConnectFailed
                } else {
                    Outcome::ReadFailed
                };
                let wait = f
                    .retryable
                    .then(|| next_wait(policy, &req.method, retry, outcome, now, jitter()))
                    .flatten();
                let Some(wait) = wait else {
                    return Err(f.error);
                };
                // A wait past the deadline cannot end in time: stop now, as the limit says.
                if client.time_left().is_some_and(|left| left <= wait) {
                    return Err(client.over_time());
                }
                on_hop(Hop::retrying(retry, policy, wait, format!("{:#}", f.error)))?;
                std::thread::sleep(wait);
            }
        }
    }
}

/// The request answering a digest challenge: the first one, or a retry when the server says
/// the nonce went stale.
fn digest_retry(
    req: &PreparedRequest,
    resp: &Response,
    flow: &Flow,
    origin: &Url,
    answered: u32,
) -> Option<PreparedRequest> {
    let (user, password) = flow.digest?;
    if resp.status != 401 || !same_origin(origin, &req.url) || answered >= 2 {
        return None;
    }
    let offered = resp
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("www-authenticate"))
        .filter_map(|(_, v)| std::str::from_utf8(v).ok());
    let challenge = crate::auth::parse_challenge(offered)?;
    if answered == 1 && !challenge.stale {
        return None;
    }
    let value = crate::auth::authorization(
        &challenge,
        &req.method,
        &req.target,
        user,
        password,
        &crate::auth::cnonce(),
        1,
    );
    let mut next = req.clone();
    set_authorization(&mut next.headers, value.into_bytes());
    Some(next)
}

/// Replace the Authorization header, or put it where `prepare` would: after Accept.
fn set_authorization(headers: &mut Headers, value: Vec<u8>) {
    if headers.set_value("authorization", &value) {
        return;
    }
    let at = headers.position("accept").map_or(headers.len(), |i| i + 1);
    headers.insert(at, "Authorization", value);
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
        next.headers.retain(|n, _| {
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
        next.headers.retain(|n, _| {
            !["authorization", "proxy-authorization", "cookie"]
                .iter()
                .any(|h| n.eq_ignore_ascii_case(h))
        });
    }
    next.headers.set_value("host", authority(&url).as_bytes());
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
            ]
            .into(),
            body: Body::bytes(b"{}".to_vec()),
            chunked: false,
            forward: None,
            http2: false,
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

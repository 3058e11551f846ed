//! HTTP Digest authentication (RFC 7616, pure): parse a `WWW-Authenticate: Digest` challenge
//! and compute the `Authorization` answer. MD5, MD5-sess, SHA-256 and SHA-256-sess, with
//! `qop=auth` (or no qop, RFC 2069).

use md5::Md5;
use sha2::{Digest, Sha256};

/// A parsed `Digest` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    /// Upper-cased, `MD5` when absent.
    pub algorithm: String,
    /// Offered qop values, lower-cased.
    pub qop: Vec<String>,
    /// The previous nonce expired: retry with the new one.
    pub stale: bool,
}

/// `key=value, key="quoted, value"` parameters.
fn params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq]
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(q) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = q.char_indices();
            let mut end = q.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    _ => v.push(c),
                }
            }
            value = v;
            rest = q[end.min(q.len())..].trim_start();
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        rest = rest.trim_start_matches(',').trim_start();
        out.push((key, value));
    }
    out
}

fn supported(algorithm: &str) -> bool {
    matches!(algorithm, "MD5" | "MD5-SESS" | "SHA-256" | "SHA-256-SESS")
}

/// The best supported Digest challenge among `WWW-Authenticate` values (SHA-256 preferred).
pub fn parse_challenge<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Challenge> {
    let mut found: Vec<Challenge> = values
        .into_iter()
        .filter_map(|v| {
            let v = v.trim();
            let rest = v.get(..7).filter(|p| p.eq_ignore_ascii_case("digest "))?;
            let _ = rest;
            one_challenge(&v[7..])
        })
        .filter(|c| supported(&c.algorithm))
        .collect();
    found.sort_by_key(|c| !c.algorithm.starts_with("SHA-256"));
    found.into_iter().next()
}

fn one_challenge(s: &str) -> Option<Challenge> {
    let mut c = Challenge {
        realm: String::new(),
        nonce: String::new(),
        opaque: None,
        algorithm: "MD5".into(),
        qop: Vec::new(),
        stale: false,
    };
    for (k, v) in params(s) {
        match k.as_str() {
            "realm" => c.realm = v,
            "nonce" => c.nonce = v,
            "opaque" => c.opaque = Some(v),
            "algorithm" => c.algorithm = v.to_ascii_uppercase(),
            "qop" => {
                c.qop = v
                    .split(',')
                    .map(|q| q.trim().to_ascii_lowercase())
                    .collect()
            }
            "stale" => c.stale = v.eq_ignore_ascii_case("true"),
            _ => {}
        }
    }
    (!c.nonce.is_empty()).then_some(c)
}

fn hash(algorithm: &str, data: &str) -> String {
    let bytes: Vec<u8> = if algorithm.starts_with("SHA-256") {
        Sha256::digest(data.as_bytes()).to_vec()
    } else {
        Md5::digest(data.as_bytes()).to_vec()
    };
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The `Authorization` value answering `c` for this request.
pub fn authorization(
    c: &Challenge,
    method: &str,
    uri: &str,
    user: &str,
    password: &str,
    cnonce: &str,
    nc: u32,
) -> String {
    let alg = c.algorithm.as_str();
    let mut ha1 = hash(alg, &format!("{user}:{}:{password}", c.realm));
    if alg.ends_with("-SESS") {
        ha1 = hash(alg, &format!("{ha1}:{}:{cnonce}", c.nonce));
    }
    let ha2 = hash(alg, &format!("{method}:{uri}"));
    let qop = c.qop.iter().any(|q| q == "auth").then_some("auth");
    let nc = format!("{nc:08x}");
    let response = match qop {
        Some(q) => hash(alg, &format!("{ha1}:{}:{nc}:{cnonce}:{q}:{ha2}", c.nonce)),
        None => hash(alg, &format!("{ha1}:{}:{ha2}", c.nonce)),
    };
    let mut out = format!(
        "Digest username={}, realm={}, nonce={}, uri={}, algorithm={}, response=\"{response}\"",
        quote(user),
        quote(&c.realm),
        quote(&c.nonce),
        quote(uri),
        c.algorithm
    );
    if let Some(q) = qop {
        out.push_str(&format!(", qop={q}, nc={nc}, cnonce=\"{cnonce}\""));
    }
    if let Some(o) = &c.opaque {
        out.push_str(&format!(", opaque={}", quote(o)));
    }
    out
}

/// A fresh client nonce.
pub fn cnonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2617_example() {
        // RFC 2617 section 3.5.
        let c = parse_challenge([
            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
             nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        ])
        .unwrap();
        let a = authorization(
            &c,
            "GET",
            "/dir/index.html",
            "Mufasa",
            "Circle Of Life",
            "0a4f113b",
            1,
        );
        assert!(
            a.contains("response=\"6629fae49393a05397450978507c4ef1\""),
            "{a}"
        );
        assert!(
            a.contains("qop=auth, nc=00000001, cnonce=\"0a4f113b\""),
            "{a}"
        );
        assert!(
            a.ends_with("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""),
            "{a}"
        );
    }

    #[test]
    fn rfc7616_sha256_example() {
        // RFC 7616 section 3.9.1.
        let c = parse_challenge([
            "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, \
             nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
             opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
            "Digest realm=\"x\", nonce=\"y\", algorithm=MD5",
        ])
        .unwrap();
        assert_eq!(c.algorithm, "SHA-256");
        let a = authorization(
            &c,
            "GET",
            "/dir/index.html",
            "Mufasa",
            "Circle of Life",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            1,
        );
        assert!(
            a.contains(
                "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""
            ),
            "{a}"
        );
    }

    #[test]
    fn no_qop_sess_stale_and_garbage() {
        let c =
            parse_challenge(["digest realm=r, nonce=n, stale=TRUE, algorithm=md5-sess"]).unwrap();
        assert!(c.stale);
        assert_eq!(c.algorithm, "MD5-SESS");
        let a = authorization(&c, "GET", "/", "u", "p", "c", 1);
        assert!(!a.contains("qop="), "{a}");
        assert!(parse_challenge(["Basic realm=x"]).is_none());
        assert!(parse_challenge(["Digest realm=x"]).is_none());
        assert!(parse_challenge(["Digest nonce=n, algorithm=SHA-512"]).is_none());
    }
}

//! AWS Signature Version 4 (`--aws-sigv4`), as curl signs: `PROVIDER1[:PROVIDER2[:REGION[:SERVICE]]]`
//! names the algorithm (`aws` -> `AWS4-HMAC-SHA256`) and the header prefix (`amz` ->
//! `X-Amz-Date`); region and service come from the host name (`SERVICE.REGION.example.com`)
//! when not given. The access and secret keys are the `--auth` credentials.
//!
//! Each hop is signed afresh just before it is sent (a retry gets a new date, a redirect its
//! own path), and only for the first request's origin, as other credentials are. The payload
//! is hashed from the body's own replayable reader, so a large `@file` is read twice from disk
//! rather than held in memory; `UNSIGNED-PAYLOAD` is never used. HMAC and SHA-256 come from the
//! RustCrypto crates; this module only builds the strings the specification defines.

use std::io;
use std::time::SystemTime;

use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::message::Headers;
use crate::prepare::{Body, PreparedRequest};

/// What the specification leaves unencoded: letters, digits and `-_.~`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// The same for a path, whose `/` separators stay.
const PATH_UNRESERVED: &AsciiSet = &UNRESERVED.remove(b'/');

/// The value of `--aws-sigv4`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Providers {
    /// Lower case: `aws`.
    pub provider1: String,
    /// Lower case: `amz`.
    pub provider2: String,
    pub region: Option<String>,
    pub service: Option<String>,
}

impl Providers {
    /// Parses `PROVIDER1[:PROVIDER2[:REGION[:SERVICE]]]`; PROVIDER2 defaults to PROVIDER1.
    pub fn parse(value: &str) -> Result<Providers, String> {
        let mut parts = value.splitn(4, ':');
        let mut next = |what: &str| -> Result<Option<String>, String> {
            match parts.next() {
                None => Ok(None),
                Some("") => Err(format!("--aws-sigv4 '{value}': the {what} is empty")),
                Some(p) => Ok(Some(p.to_string())),
            }
        };
        let provider1 = next("first provider")?.unwrap_or_default();
        let provider2 = next("second provider")?;
        let region = next("region")?;
        let service = next("service")?;
        for p in [Some(&provider1), provider2.as_ref()].into_iter().flatten() {
            if !p.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!(
                    "--aws-sigv4 '{value}': a provider is letters and digits, like aws:amz"
                ));
            }
        }
        Ok(Providers {
            provider2: provider2
                .unwrap_or_else(|| provider1.clone())
                .to_ascii_lowercase(),
            provider1: provider1.to_ascii_lowercase(),
            region,
            service,
        })
    }

    /// As typed back for `--as=curl`.
    pub fn to_arg(&self) -> String {
        let mut parts = vec![self.provider1.clone(), self.provider2.clone()];
        parts.extend(self.region.clone());
        parts.extend(self.service.clone());
        parts.join(":")
    }

    /// Region and service: as given, else from the host name `SERVICE.REGION.rest`.
    pub fn scope_for(&self, host: &str) -> Result<(String, String), String> {
        if let (Some(region), Some(service)) = (&self.region, &self.service) {
            return Ok((region.clone(), service.clone()));
        }
        let mut labels = host.split('.');
        let from_host = host.parse::<std::net::IpAddr>().is_err()
            && !host.starts_with('[')
            && host.contains('.');
        let (service, region) = match (from_host, labels.next(), labels.next()) {
            (true, Some(service), Some(region)) => (service, region),
            _ => {
                return Err(format!(
                    "--aws-sigv4 cannot tell the region and service from the host '{host}': \
                     give them as {}:{}:REGION:SERVICE",
                    self.provider1, self.provider2
                ))
            }
        };
        let region = self.region.clone().unwrap_or_else(|| region.to_string());
        Ok((
            region,
            self.service.clone().unwrap_or_else(|| service.to_string()),
        ))
    }

    /// `X-Amz-Date`: the provider's name with a capital, as curl writes it.
    fn header(&self, suffix: &str) -> String {
        let mut p = self.provider2.clone();
        if let Some(first) = p.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        format!("X-{p}-{suffix}")
    }
}

/// The keys and the scope a request is signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub providers: Providers,
    pub access_key: String,
    pub secret_key: String,
    /// Lower-case names of the headers the user gave: signed too, as curl signs them.
    pub user_headers: Vec<String>,
}

impl Signer {
    /// Signs `req` as of `now`: sets `X-Amz-Date` (and `X-Amz-Content-Sha256` for S3) and
    /// `Authorization`, replacing those of an earlier signing.
    pub fn sign(&self, req: &mut PreparedRequest, now: SystemTime) -> Result<(), String> {
        let host = req.url.host_str().unwrap_or_default().to_string();
        let (region, service) = self.providers.scope_for(&host)?;
        let payload = payload_hash(&req.body).map_err(|e| {
            format!(
                "cannot read the body to sign it: {}",
                crate::error::plain_io(&e)
            )
        })?;
        let (timestamp, date) = timestamps(now);
        req.headers
            .set(&self.providers.header("Date"), timestamp.as_str());
        if service == "s3" {
            req.headers
                .set(&self.providers.header("Content-Sha256"), payload.as_str());
        }
        let signed = self.signed_headers(&req.headers);
        let (path, query) = match req.target.split_once('?') {
            Some((p, q)) => (p, q),
            None => (req.target.as_str(), ""),
        };
        let canonical =
            canonical_request(&req.method, path, query, &signed, &payload, service == "s3");
        let scope = Scope {
            provider: &self.providers.provider1,
            date: &date,
            region: &region,
            service: &service,
        };
        let signature = signature(&self.secret_key, &scope, &timestamp, &canonical);
        let names: Vec<&str> = signed.iter().map(|(n, _)| n.as_str()).collect();
        let value = format!(
            "{}4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={signature}",
            scope.provider.to_ascii_uppercase(),
            self.access_key,
            scope.credential(),
            names.join(";"),
        );
        req.headers.set("Authorization", value);
        Ok(())
    }

    /// The headers signed, lower-cased, sorted, with repeated names joined by commas: the
    /// host, the content type, the provider's own (`x-amz-*`) and those the user gave.
    fn signed_headers(&self, headers: &Headers) -> Vec<(String, String)> {
        let prefix = format!("x-{}-", self.providers.provider2);
        let mut signed: Vec<(String, String)> = Vec::new();
        for (name, value) in headers.iter() {
            let lower = name.to_ascii_lowercase();
            let wanted = matches!(lower.as_str(), "host" | "content-type")
                || lower.starts_with(&prefix)
                || self.user_headers.contains(&lower);
            if !wanted || lower == "authorization" {
                continue;
            }
            let value = trim_value(&String::from_utf8_lossy(value));
            match signed.iter_mut().find(|(n, _)| *n == lower) {
                Some((_, v)) => {
                    v.push(',');
                    v.push_str(&value);
                }
                None => signed.push((lower, value)),
            }
        }
        signed.sort();
        signed
    }
}

/// `20150830T123600Z` and `20150830`, in UTC.
fn timestamps(now: SystemTime) -> (String, String) {
    let t = time::OffsetDateTime::from(now);
    let date = format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day());
    let stamp = format!("{date}T{:02}{:02}{:02}Z", t.hour(), t.minute(), t.second());
    (stamp, date)
}

/// Hex SHA-256 of the body, read through its replayable reader.
fn payload_hash(body: &Body) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(&mut body.reader()?, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Trimmed, with runs of spaces inside made one.
fn trim_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical request. `path` and `query` are as sent (percent-encoded). S3 signs the path
/// encoded once; other services sign it encoded again, as AWS specifies.
fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    payload: &str,
    s3: bool,
) -> String {
    let path = if s3 {
        let decoded = percent_decode_str(path).decode_utf8_lossy();
        utf8_percent_encode(&decoded, PATH_UNRESERVED).to_string()
    } else {
        utf8_percent_encode(path, PATH_UNRESERVED).to_string()
    };
    let path = if path.is_empty() {
        "/".to_string()
    } else {
        path
    };
    let lines: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    format!(
        "{method}\n{path}\n{}\n{lines}\n{}\n{payload}",
        canonical_query(query),
        names.join(";")
    )
}

/// Query parameters decoded, encoded the specification's way, sorted by name then value.
fn canonical_query(query: &str) -> String {
    let encode = |s: &str| {
        let decoded = percent_decode_str(s).decode_utf8_lossy();
        utf8_percent_encode(&decoded, UNRESERVED).to_string()
    };
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            (encode(name), encode(value))
        })
        .collect();
    pairs.sort();
    let joined: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
    joined.join("&")
}

/// The credential scope's parts.
struct Scope<'a> {
    provider: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
}

impl Scope<'_> {
    fn credential(&self) -> String {
        format!(
            "{}/{}/{}/{}4_request",
            self.date, self.region, self.service, self.provider
        )
    }
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return Vec::new(),
    };
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The string to sign for `canonical`.
fn string_to_sign(scope: &Scope, timestamp: &str, canonical: &str) -> String {
    format!(
        "{}4-HMAC-SHA256\n{timestamp}\n{}\n{}",
        scope.provider.to_ascii_uppercase(),
        scope.credential(),
        hex(&Sha256::digest(canonical.as_bytes()))
    )
}

/// The hex signature: the key derived from the secret through date, region, service and
/// request type, applied to the string to sign.
fn signature(secret: &str, scope: &Scope, timestamp: &str, canonical: &str) -> String {
    let upper = scope.provider.to_ascii_uppercase();
    let mut key = hmac(format!("{upper}4{secret}").as_bytes(), scope.date);
    for part in [
        scope.region,
        scope.service,
        &format!("{}4_request", scope.provider),
    ] {
        key = hmac(&key, part);
    }
    hex(&hmac(&key, &string_to_sign(scope, timestamp, canonical)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AWS SigV4 test suite's credentials, time and scope.
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const STAMP: &str = "20150830T123600Z";
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const SUITE: Scope = Scope {
        provider: "aws",
        date: "20150830",
        region: "us-east-1",
        service: "service",
    };

    fn headers(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut h = vec![
            ("host".to_string(), "example.amazonaws.com".to_string()),
            ("x-amz-date".to_string(), STAMP.to_string()),
        ];
        h.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        h.sort();
        h
    }

    fn suite_signature(method: &str, query: &str, extra: &[(&str, &str)], body: &str) -> String {
        let payload = hex(&Sha256::digest(body.as_bytes()));
        let canonical = canonical_request(method, "/", query, &headers(extra), &payload, false);
        signature(SECRET, &SUITE, STAMP, &canonical)
    }

    /// Published vectors of the AWS SigV4 test suite (canonical request, string to sign and
    /// signature of get-vanilla; the signatures of the others).
    #[test]
    fn aws_test_suite_vectors() {
        let canonical = canonical_request("GET", "/", "", &headers(&[]), EMPTY, false);
        assert_eq!(
            canonical,
            format!("GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:{STAMP}\n\nhost;x-amz-date\n{EMPTY}")
        );
        assert_eq!(
            string_to_sign(&SUITE, STAMP, &canonical),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
             bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        let form = [("content-type", "application/x-www-form-urlencoded")];
        let form_utf8 = [(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf8",
        )];
        for (name, got, want) in [
            (
                "get-vanilla",
                suite_signature("GET", "", &[], ""),
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
            (
                "get-vanilla-query-order-key-case",
                suite_signature("GET", "Param2=value2&Param1=value1", &[], ""),
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            ),
            (
                "post-vanilla",
                suite_signature("POST", "", &[], ""),
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            ),
            (
                "post-x-www-form-urlencoded",
                suite_signature("POST", "", &form, "Param1=value1"),
                "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
            ),
            (
                "post-x-www-form-urlencoded-parameters",
                suite_signature("POST", "", &form_utf8, "Param1=value1"),
                "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
            ),
        ] {
            assert_eq!(got, want, "{name}");
        }
    }

    /// The S3 documentation's "GET Object" example: the path encoded once, the range and the
    /// content hash signed.
    #[test]
    fn s3_documentation_example() {
        let scope = Scope {
            provider: "aws",
            date: "20130524",
            region: "us-east-1",
            service: "s3",
        };
        let signed: Vec<(String, String)> = [
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY),
            ("x-amz-date", "20130524T000000Z"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        let canonical = canonical_request("GET", "/test.txt", "", &signed, EMPTY, true);
        assert_eq!(
            signature(
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                &scope,
                "20130524T000000Z",
                &canonical
            ),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn paths_and_queries_are_encoded_as_specified() {
        let c = |path: &str, query: &str, s3: bool| {
            let r = canonical_request("GET", path, query, &[], EMPTY, s3);
            r.lines().skip(1).take(2).collect::<Vec<_>>().join(" ")
        };
        // Other services sign the sent path encoded again; S3 signs it as sent.
        assert_eq!(c("/a%20b/c", "", false), "/a%2520b/c ");
        assert_eq!(c("/a%20b/c", "", true), "/a%20b/c ");
        assert_eq!(c("/a%7eb", "", true), "/a~b ");
        // Sorted by name then value; every value has its `=`; reserved characters encoded.
        assert_eq!(c("/", "b=2&a=1&a=0&c", false), "/ a=0&a=1&b=2&c=");
        assert_eq!(c("/", "q=a%20b%2Fc&x=~-._", false), "/ q=a%20b%2Fc&x=~-._");
        assert_eq!(c("/", "q=a+b", false), "/ q=a%2Bb");
    }

    #[test]
    fn providers_and_scope() {
        let p = Providers::parse("aws:amz:eu-west-1:es").unwrap();
        assert_eq!(p.to_arg(), "aws:amz:eu-west-1:es");
        assert_eq!(
            p.scope_for("127.0.0.1").unwrap(),
            ("eu-west-1".into(), "es".into())
        );
        assert_eq!(p.header("Date"), "X-Amz-Date");
        let p = Providers::parse("AWS").unwrap();
        assert_eq!((p.provider1.as_str(), p.provider2.as_str()), ("aws", "aws"));
        assert_eq!(p.header("Date"), "X-Aws-Date");
        let p = Providers::parse("aws:amz").unwrap();
        assert_eq!(
            p.scope_for("s3.us-east-2.amazonaws.com").unwrap(),
            ("us-east-2".into(), "s3".into())
        );
        let p = Providers::parse("aws:amz:ap-south-1").unwrap();
        assert_eq!(
            p.scope_for("sqs.x.amazonaws.com").unwrap(),
            ("ap-south-1".into(), "sqs".into())
        );
        for host in ["127.0.0.1", "localhost", "[::1]"] {
            let e = Providers::parse("aws:amz")
                .unwrap()
                .scope_for(host)
                .unwrap_err();
            assert!(e.contains("give them as aws:amz:REGION:SERVICE"), "{e}");
        }
        for bad in ["", ":amz", "aws::r", "aws:amz:r:", "a-b:amz"] {
            assert!(Providers::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_prepared_request_signs_as_the_suite_does() {
        let mut req = crate::prepare::PreparedRequest {
            method: "GET".into(),
            url: url::Url::parse("https://example.amazonaws.com/").unwrap(),
            target: "/".into(),
            headers: Headers::new(),
            body: Body::default(),
            chunked: false,
            forward: None,
            http2: false,
        };
        req.headers.push("Host", "example.amazonaws.com");
        req.headers.push("User-Agent", "http/1");
        let signer = Signer {
            providers: Providers::parse("aws:amz:us-east-1:service").unwrap(),
            access_key: "AKIDEXAMPLE".into(),
            secret_key: SECRET.into(),
            user_headers: Vec::new(),
        };
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        signer.sign(&mut req, at).unwrap();
        // Signing again (a retry) replaces, never repeats, the headers.
        signer.sign(&mut req, at).unwrap();
        assert_eq!(req.header("x-amz-date"), Some(&b"20150830T123600Z"[..]));
        assert_eq!(
            req.header("authorization"),
            Some(
                &b"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                   SignedHeaders=host;x-amz-date, \
                   Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"[..]
            )
        );
        assert_eq!(
            req.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
                .count(),
            1
        );
    }
}

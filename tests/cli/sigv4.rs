//! `--aws-sigv4`: requests checked by a local server that verifies AWS Signature Version 4
//! itself. The verifier below is written apart from the client's signer (it rebuilds the
//! canonical request from the bytes received), and curl's own signing is checked against it
//! too, so the two sides are not one implementation agreeing with itself.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::harness::*;

const KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const PROVIDERS: &str = "aws:amz:us-east-1:service";

fn keys() -> String {
    format!("{KEY}:{SECRET}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// `Name=value` out of the Authorization header's comma-separated fields.
fn auth_field<'a>(auth: &'a str, name: &str) -> Result<&'a str, String> {
    auth.split(", ")
        .find_map(|f| f.rsplit(' ').next().and_then(|f| f.strip_prefix(name)))
        .ok_or(format!("no {name} in {auth}"))
}

/// The canonical request rebuilt from what was received, for the headers the client signed.
/// Test paths and queries hold only unreserved characters and `%XX` escapes.
fn canonical(r: &Recorded, signed: &str, service: &str) -> Result<String, String> {
    let mut headers = String::new();
    for name in signed.split(';') {
        let values = r.header_all(name);
        if values.is_empty() {
            return Err(format!("signed header {name} was not received"));
        }
        let values: Vec<String> = values
            .iter()
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    // S3 signs the path as sent; other services sign it encoded once more.
    let path = if service == "s3" {
        r.path().to_string()
    } else {
        r.path().replace('%', "%25")
    };
    let mut query: Vec<String> = r
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.contains('=') {
                p.to_string()
            } else {
                format!("{p}=")
            }
        })
        .collect();
    query.sort();
    let payload = hex(&Sha256::digest(&r.body));
    Ok(format!(
        "{}\n{path}\n{}\n{headers}\n{signed}\n{payload}",
        r.method,
        query.join("&")
    ))
}

/// Checks the signature of `r` with `SECRET`, the date against the clock, and the content
/// hash header when there is one.
fn verify(r: &Recorded) -> Result<(), String> {
    let auth = r.header("authorization").ok_or("no Authorization header")?;
    if !auth.starts_with("AWS4-HMAC-SHA256 ") {
        return Err(format!("not AWS4-HMAC-SHA256: {auth}"));
    }
    let credential: Vec<&str> = auth_field(auth, "Credential=")?.split('/').collect();
    let [key, date, region, service, "aws4_request"] = credential[..] else {
        return Err(format!("bad credential in {auth}"));
    };
    if key != KEY {
        return Err(format!("access key {key}"));
    }
    let signed = auth_field(auth, "SignedHeaders=")?;
    if !signed.split(';').any(|h| h == "host") || !signed.split(';').any(|h| h == "x-amz-date") {
        return Err(format!("host and x-amz-date must be signed: {signed}"));
    }
    let stamp = r.header("x-amz-date").ok_or("no X-Amz-Date")?;
    if !stamp.starts_with(date) || !recent(stamp) {
        return Err(format!(
            "X-Amz-Date {stamp} is not now, or not the scope's {date}"
        ));
    }
    if let Some(sent) = r.header("x-amz-content-sha256") {
        if sent != hex(&Sha256::digest(&r.body)) {
            return Err("x-amz-content-sha256 is not the body's hash".into());
        }
    }
    let canonical = canonical(r, signed, service)?;
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{stamp}\n{date}/{region}/{service}/aws4_request\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut k = hmac(format!("AWS4{SECRET}").as_bytes(), date);
    for part in [region, service, "aws4_request"] {
        k = hmac(&k, part);
    }
    match hex(&hmac(&k, &to_sign)) == auth_field(auth, "Signature=")? {
        true => Ok(()),
        false => Err(format!(
            "signature mismatch; canonical request:\n{canonical}"
        )),
    }
}

/// `20261129T223600Z` within 15 minutes of now, as AWS requires.
fn recent(stamp: &str) -> bool {
    let digits: String = stamp.chars().filter(char::is_ascii_digit).collect();
    let field = |a: usize, b: usize| digits.get(a..b).and_then(|s| s.parse::<i64>().ok());
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) = (
        field(0, 4),
        field(4, 6),
        field(6, 8),
        field(8, 10),
        field(10, 12),
        field(12, 14),
    ) else {
        return false;
    };
    // Days from the civil date (Howard Hinnant's algorithm), then seconds.
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (mo + if mo > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let then = days * 86_400 + h * 3600 + mi * 60 + s;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    (now - then).abs() <= 15 * 60
}

/// A server answering `verified` to correctly signed requests and 403 with the reason to
/// others.
fn verifier() -> Server {
    Server::start(|r| match verify(r) {
        Ok(()) => Reply::text("verified"),
        Err(why) => Reply::status(403).body(why),
    })
}

fn signed(args: &[&str]) -> Cmd {
    http(&["--check-status", "--aws-sigv4", PROVIDERS, "-a", &keys()]).args(args)
}

#[track_caller]
fn assert_verified(run: &Run) {
    assert_eq!(run.code, 0, "{}", run.context());
    assert_eq!(run.stdout_str(), "verified", "{}", run.context());
}

#[test]
fn signed_requests_verify() {
    let server = verifier();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("upload.bin");
    std::fs::write(&file, vec![b'x'; 3 << 20]).expect("write the upload");
    let file_item = format!("@{}", file.display());
    let get = server.url("/items/a%20b?b=2&a=1&flag");
    let post = server.url("/items");
    let cases: [&[&str]; 5] = [
        &[&get],
        &[
            &get,
            "X-Amz-Security-Token:session-token",
            "X-Custom:  a   b ",
        ],
        &["POST", &post, "name=widget", "count:=3"],
        &["--form", "PUT", &post, "a=1"],
        &["PUT", &post, &file_item],
    ];
    for args in cases {
        assert_verified(&signed(args).run());
    }
    // The token and the user's own header are signed, not only sent.
    let last_token = server
        .requests()
        .into_iter()
        .find(|r| r.header("x-amz-security-token").is_some())
        .expect("the token request");
    let auth = last_token.header("authorization").unwrap_or_default();
    assert!(
        auth.contains("SignedHeaders=host;x-amz-date;x-amz-security-token;x-custom,"),
        "{auth}"
    );
    // The file was hashed from disk and sent whole.
    assert_eq!(server.requests()[4].body.len(), 3 << 20);
}

/// S3 signs the path as sent and gets the payload's hash as a header.
#[test]
fn s3_gets_the_content_hash_header() {
    let server = verifier();
    let run = http(&[
        "--check-status",
        "--aws-sigv4",
        "aws:amz:eu-west-1:s3",
        "-a",
        &keys(),
        "PUT",
        &server.url("/bucket/a%20key"),
        "v=1",
    ])
    .run();
    assert_verified(&run);
    let r = server.request();
    assert_eq!(
        r.header("x-amz-content-sha256"),
        Some(hex(&Sha256::digest(&r.body)).as_str())
    );
}

/// The verifier accepts what curl signs, and refuses a wrong secret: it is a real check.
#[test]
fn the_verifier_agrees_with_curl() {
    let server = verifier();
    let url = server.url("/items?x=1");
    let run = Cmd::program(
        "curl",
        &["-sS", "--aws-sigv4", PROVIDERS, "-u", &keys(), &url],
    )
    .run();
    assert_eq!(run.stdout_str(), "verified", "curl's signature\n{run:?}");
    let wrong = format!("{KEY}:not-the-secret");
    let run = http(&["--aws-sigv4", PROVIDERS, "-a", &wrong, &url]).run();
    assert!(
        run.stdout_str().starts_with("signature mismatch"),
        "{run:?}"
    );
}

/// What `--as=curl` prints signs the same way when curl runs it.
#[test]
fn as_curl_exports_the_signing() {
    let server = verifier();
    let url = server.url("/items?b=2");
    let printed = http(&["--as=curl", "--aws-sigv4", PROVIDERS, "-a", &keys(), &url])
        .run()
        .success();
    let command = printed.stdout_str();
    assert!(
        command.contains(&format!("--aws-sigv4 {PROVIDERS} --user {KEY}:")),
        "{command}"
    );
    assert_eq!(server.hits(), 0, "--as=curl sends nothing");
    let run = Cmd::program("/bin/sh", &["-c", command.trim_end()]).run();
    assert_eq!(run.stdout_str(), "verified", "{command}\n{run:?}");
}

/// Each retry and each redirect hop is signed afresh, for its own path; a hop to another
/// origin gets no signature.
#[test]
fn every_hop_is_signed_for_its_own_request() {
    let other = Server::start(|_| Reply::text("elsewhere"));
    let elsewhere = other.url("/there");
    let flaky = std::sync::atomic::AtomicUsize::new(0);
    let server = Server::start(move |r| match r.path() {
        "/start" => Reply::redirect(302, "/end"),
        "/away" => Reply::redirect(302, &elsewhere),
        "/flaky" if flaky.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 => {
            Reply::status(503).header("Retry-After", "0")
        }
        _ => match verify(r) {
            Ok(()) => Reply::text("verified"),
            Err(why) => Reply::status(403).body(why),
        },
    });
    assert_verified(&signed(&["--follow", &server.url("/start")]).run());
    let hops = server.requests();
    assert_eq!(hops.len(), 2);
    assert!(
        verify(&hops[0]).is_ok(),
        "the first hop was signed for /start"
    );
    assert_ne!(
        hops[0].header("authorization"),
        hops[1].header("authorization"),
        "each hop has its own signature"
    );
    assert_verified(
        &signed(&[
            "--retries",
            "1",
            "--retry-status",
            "503",
            &server.url("/flaky"),
        ])
        .run(),
    );
    let attempts: Vec<Recorded> = server
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/flaky")
        .collect();
    assert_eq!(attempts.len(), 2);
    assert!(attempts.iter().all(|r| verify(r).is_ok()), "{attempts:?}");
    let run = signed(&["--follow", &server.url("/away")]).run().success();
    assert_eq!(run.stdout_str(), "elsewhere");
    let there = other.request();
    assert_eq!(there.header("authorization"), None, "{there:?}");
}

#[test]
fn mistakes_are_one_line_errors_before_anything_is_sent() {
    let server = verifier();
    let url = server.url("/");
    let run = http(&["--aws-sigv4", PROVIDERS, &url]).run();
    assert_error(
        &run,
        &["--aws-sigv4 needs the keys: --auth ACCESS_KEY:SECRET_KEY"],
    );
    let run = http(&["--aws-sigv4", "aws:amz", "-a", &keys(), &url]).run();
    assert_error(
        &run,
        &["cannot tell the region and service from the host '127.0.0.1'"],
    );
    let run = http(&["--aws-sigv4", "aws::x", "-a", &keys(), &url]).run();
    assert_error(
        &run,
        &["--aws-sigv4 'aws::x': the second provider is empty"],
    );
    let run = http(&["--as=python", "--aws-sigv4", PROVIDERS, "-a", &keys(), &url]).run();
    assert_error(&run, &["--as=python cannot carry --aws-sigv4"]);
    assert_eq!(server.hits(), 0);
    // A typed Authorization header wins, unsigned, with a warning (as curl does).
    let run = http(&[
        "--aws-sigv4",
        PROVIDERS,
        "-a",
        &keys(),
        &url,
        "Authorization:Custom x",
    ])
    .run();
    assert!(run.stderr_str().contains("--aws-sigv4 not used"), "{run:?}");
    assert_eq!(server.request().header("authorization"), Some("Custom x"));
}

/// The keys are not stored in a session as a password a later run would send.
#[test]
fn sessions_do_not_keep_the_keys() {
    let server = verifier();
    let dir = tempfile::tempdir().expect("temp dir");
    let session = dir.path().join("s.json");
    let session = session.to_str().expect("UTF-8 path");
    assert_verified(&signed(&["--session", session, &server.url("/")]).run());
    let saved = std::fs::read_to_string(session).expect("session written");
    assert!(!saved.contains(SECRET), "{saved}");
    let run = http(&["--session", session, &server.url("/")]).run();
    assert!(run.stdout_str().starts_with("no Authorization"), "{run:?}");
}

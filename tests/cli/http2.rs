//! HTTP/2 (`--http-version=2`, `2-prior-knowledge`) against the harness's in-process h2
//! server (TLS with ALPN from the test PKI, and h2c): what is printed is what is sent, every
//! feature that works over HTTP/1.1 works over HTTP/2, and HTTP/2's own failures (resets,
//! GOAWAY, a server without h2c, a flow-control stall) are worded.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use h2::Reason;

use crate::harness::*;

const H2: &str = "--http-version=2";
const PRIOR: &str = "--http-version=2-prior-knowledge";

/// An h2 server over TLS (ALPN h2) with the PKI's certificate.
fn tls_server(
    pki: &Pki,
    handler: impl Fn(&H2Request) -> H2Reply + Send + Sync + 'static,
) -> H2Server {
    H2Server::tls(pki.server_config(), handler)
}

/// Exit 1 (or `code`) with one `http: error:` line holding every phrase.
#[track_caller]
fn assert_failed(run: &Run, code: i32, phrases: &[&str]) {
    assert_eq!(run.code, code, "{}", run.context());
    let err = run.stderr_str();
    let errors: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("http: error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.context());
    for p in phrases {
        assert!(errors[0].contains(p), "lacks {p:?}\n{}", run.context());
    }
}

/// Polls `path` until it holds `len` bytes (the download's progress is the signal).
fn wait_for_len(path: &Path, len: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::fs::metadata(path).is_ok_and(|m| m.len() >= len) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn content(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| b"abcdefghijklmnopqrstuvwxyz"[i % 26])
        .collect()
}

// ---------------------------------------------------------------------------
// Choosing the protocol, and printing what is sent
// ---------------------------------------------------------------------------

#[test]
fn alpn_h2_request_is_printed_as_sent() {
    let pki = Pki::new();
    let server = tls_server(&pki, |_| {
        H2Reply::json(r#"{"a": 1}"#).header("X-Case", "Kept")
    });
    let url = server.url("/x?q=1");
    let run = http(&["-v", &pki.verify(), H2, &url, "X-Up:v", "Connection:close"])
        .run()
        .success();
    let out = run.stdout_str();
    // Heads go to a pipe with CRLF line ends, as HTTPie writes them.
    let want_request = format!(
        "GET /x?q=1 HTTP/2\r\n:authority: {}\r\nuser-agent: http/0.1.0\r\n\
         accept-encoding: gzip, deflate, br, zstd\r\naccept: */*\r\nx-up: v\r\n\r\n",
        server.authority()
    );
    assert!(out.starts_with(&want_request), "{}", run.context());
    let want_response = "\r\nHTTP/2 200\r\ncontent-type: application/json\r\nx-case: Kept\r\n";
    assert!(out.contains(want_response), "{}", run.context());
    // The connection-specific header is not sent, and the user is told.
    assert!(
        run.stderr_str()
            .contains("http: warning: HTTP/2 does not carry the Connection header: it is not sent"),
        "{}",
        run.context()
    );
    let seen = server.request();
    assert_eq!(seen.authority.as_deref(), Some(server.authority().as_str()));
    assert_eq!(seen.path, "/x?q=1");
    assert_eq!(seen.header("x-up"), Some("v"));
    assert_eq!(seen.header("connection"), None);
    assert_eq!(seen.header("host"), None);
    assert_eq!(server.alpn(), vec![Some(b"h2".to_vec())]);
}

#[test]
fn a_server_that_picks_http11_by_alpn_gets_http11() {
    let pki = Pki::new();
    let server = pki.server();
    let run = http(&["-v", &pki.verify(), H2, &server.url("/old")])
        .run()
        .success();
    let out = run.stdout_str();
    assert!(
        out.starts_with("GET /old HTTP/1.1\r\nHost: "),
        "{}",
        run.context()
    );
    assert!(out.contains("\r\nHTTP/1.1 200 OK\r\n"), "{}", run.context());
    let run = http(&["-m", &pki.verify(), H2, &server.url("/old")])
        .run()
        .success();
    assert!(
        run.stdout_str().contains("\nProtocol: HTTP/1.1\n"),
        "{}",
        run.context()
    );
    // The handshake that offered h2 is this exchange's TLS phase.
    assert!(run.stdout_str().contains(", tls "), "{}", run.context());
    assert_eq!(server.seen().len(), 2);
    assert!(server.heads()[0].starts_with("GET /old HTTP/1.1\r\n"));
    // One connection per run: the one whose TLS handshake offered h2 carries the request on.
    assert_eq!(server.connections(), 2);
}

#[test]
fn version_2_over_plain_http_is_http11_with_a_hint() {
    let server = Server::echo();
    let run = http(&[H2, &server.url("/p")]).run().success();
    assert!(
        run.stderr_str()
            .contains("use --http-version=2-prior-knowledge"),
        "{}",
        run.context()
    );
    assert_eq!(server.hits(), 1);
}

#[test]
fn prior_knowledge_speaks_h2c_and_says_so() {
    let server = H2Server::plain(|r| H2Reply::json(&format!(r#"{{"got": {}}}"#, r.body_str())));
    let run = http(&["-v", PRIOR, "POST", &server.url("/post"), "a=b", "n:=1"])
        .run()
        .success();
    let out = run.stdout_str();
    assert!(
        out.starts_with("POST /post HTTP/2\r\n:authority: "),
        "{}",
        run.context()
    );
    assert!(out.contains("content-length: 18\r\n"), "{}", run.context());
    let seen = server.request();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.scheme.as_deref(), Some("http"));
    assert_eq!(seen.body_str(), r#"{"a": "b", "n": 1}"#);
    assert_eq!(seen.header("content-type"), Some("application/json"));
    let run = http(&["-m", PRIOR, &server.url("/m")]).run().success();
    assert!(
        run.stdout_str()
            .contains("\nProtocol: HTTP/2 (prior knowledge)\n"),
        "{}",
        run.context()
    );
}

#[test]
fn prior_knowledge_over_tls_needs_no_alpn_choice() {
    let pki = Pki::new();
    let server = tls_server(&pki, |_| H2Reply::text("hi"));
    let run = http(&[&pki.verify(), PRIOR, &server.url("/")])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "hi");
    assert_eq!(server.alpn(), vec![Some(b"h2".to_vec())]);
}

#[test]
fn a_server_without_h2c_is_named() {
    let server = RawServer::respond(
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    let run = http(&[PRIOR, &server.url("/")]).run();
    assert_failed(
        &run,
        1,
        &["answered in HTTP/1.1", "--http-version=2-prior-knowledge"],
    );
}

// ---------------------------------------------------------------------------
// Everything that works over HTTP/1.1
// ---------------------------------------------------------------------------

#[test]
fn redirects_reuse_the_connection_and_strip_credentials_across_origins() {
    let other = H2Server::plain(|_| H2Reply::text("there"));
    let to = other.url("/end");
    let server = H2Server::plain(move |r| match r.path.as_str() {
        "/start" => H2Reply::redirect(302, "/next"),
        _ => H2Reply::redirect(302, &to),
    });
    let run = http(&[PRIOR, "-F", "-a", "u:p", &server.url("/start")])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "there");
    let first = server.requests();
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|r| r.header("authorization").is_some()));
    // Same origin: one connection for both hops.
    assert_eq!(server.connections(), 1);
    assert_eq!(other.request().header("authorization"), None);
}

fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `k="v"` or `k=v` parameter of a digest answer.
fn param<'a>(value: &'a str, key: &str) -> &'a str {
    value
        .split(", ")
        .find_map(|p| {
            p.trim_start_matches("Digest ")
                .strip_prefix(&format!("{key}="))
        })
        .map(|v| v.trim_matches('"'))
        .unwrap_or_default()
}

#[test]
fn digest_auth_answers_the_challenge_over_h2() {
    let server = H2Server::plain(|r| {
        let Some(answer) = r.header("authorization") else {
            return H2Reply::status(401).header(
                "www-authenticate",
                r#"Digest realm="r", nonce="n1", qop="auth", algorithm=MD5"#,
            );
        };
        let ha1 = md5_hex("u:r:p");
        let ha2 = md5_hex(&format!("GET:{}", r.path));
        let (nc, cnonce) = (param(answer, "nc"), param(answer, "cnonce"));
        let want = md5_hex(&format!("{ha1}:n1:{nc}:{cnonce}:auth:{ha2}"));
        match param(answer, "response") == want {
            true => H2Reply::text("digest ok"),
            false => H2Reply::status(403),
        }
    });
    let run = http(&[PRIOR, "-A", "digest", "-a", "u:p", &server.url("/d?x=1")])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "digest ok");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn bearer_session_cookies_and_check_status() {
    let server = H2Server::plain(|r| match r.path.as_str() {
        "/login" => H2Reply::ok().header("set-cookie", "sid=42; Path=/"),
        _ => H2Reply::status(404),
    });
    let home = http(&[PRIOR, "--session=./s.json"]);
    home.clone()
        .args(&["-A", "bearer", "-a", "tok", &server.url("/login")])
        .run()
        .success();
    let run = home
        .clone()
        .args(&["--check-status", &server.url("/page")])
        .run()
        .assert_code(4);
    drop(run);
    let reqs = server.requests();
    assert_eq!(reqs[0].header("authorization"), Some("Bearer tok"));
    assert_eq!(reqs[1].header("cookie"), Some("sid=42"));
    assert_eq!(reqs[1].header("authorization"), Some("Bearer tok"));
}

#[test]
fn a_refused_stream_is_retried_even_for_post() {
    let count = AtomicUsize::new(0);
    let server = H2Server::plain(move |_| match count.fetch_add(1, Ordering::SeqCst) {
        0 => H2Reply::refuse(Reason::REFUSED_STREAM),
        _ => H2Reply::text("second"),
    });
    let run = http(&[
        PRIOR,
        "--retries=1",
        "--retry-backoff=0",
        "POST",
        &server.url("/"),
        "a=1",
    ])
    .run()
    .success();
    assert_eq!(run.stdout_str(), "second");
    assert!(
        run.stderr_str().contains("REFUSED_STREAM"),
        "{}",
        run.context()
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn retry_after_on_a_503_is_honoured() {
    let count = AtomicUsize::new(0);
    let server = H2Server::plain(move |_| match count.fetch_add(1, Ordering::SeqCst) {
        0 => H2Reply::status(503).header("retry-after", "0"),
        _ => H2Reply::text("up"),
    });
    let run = http(&[PRIOR, "--retries=2", "--retry-status=503", &server.url("/")])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "up");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn resets_and_goaway_are_worded_with_their_codes() {
    let server = H2Server::plain(|r| match r.path.as_str() {
        "/refuse" => H2Reply::refuse(Reason::ENHANCE_YOUR_CALM),
        _ => H2Reply::goaway_unprocessed(Reason::PROTOCOL_ERROR),
    });
    let run = http(&[PRIOR, &server.url("/refuse")]).run();
    assert_failed(
        &run,
        1,
        &[
            &server.authority(),
            "reset the HTTP/2 stream: ENHANCE_YOUR_CALM",
        ],
    );
    let run = http(&[PRIOR, &server.url("/away")]).run();
    assert_failed(
        &run,
        1,
        &["closed the HTTP/2 connection (GOAWAY): PROTOCOL_ERROR"],
    );
}

#[test]
fn a_stalled_body_hits_the_read_timeout() {
    let (gate, opener) = gate();
    let server = H2Server::plain(move |_| {
        H2Reply::text("start")
            .then_wait(gate.clone())
            .then_data("end")
    });
    let run = http(&[PRIOR, "--timeout=0.5", &server.url("/")]).run();
    opener.open();
    assert_eq!(run.code, 2, "{}", run.context());
    assert!(run.stderr_str().contains("timed out"), "{}", run.context());
}

#[test]
fn an_upload_stalled_by_flow_control_hits_the_read_timeout() {
    let options = H2Options {
        initial_window_size: Some(1024),
        stall_uploads: true,
    };
    let (gate, opener) = gate();
    let server = H2Server::with_options(None, options, move |_| {
        H2Reply::ok().then_wait(gate.clone())
    });
    let run = http(&[PRIOR, "--timeout=0.5", "POST", &server.url("/up")])
        .stdin(content(1 << 20))
        .run();
    opener.open();
    assert_eq!(run.code, 2, "{}", run.context());
    assert!(run.stderr_str().contains("timed out"), "{}", run.context());
}

#[test]
fn max_time_bounds_an_h2_exchange() {
    let (gate, opener) = gate();
    let server =
        H2Server::plain(move |_| H2Reply::text("a").then_wait(gate.clone()).then_data("b"));
    let started = Instant::now();
    let run = http(&[PRIOR, "--max-time=0.5", &server.url("/")]).run();
    opener.open();
    assert_eq!(run.code, 2, "{}", run.context());
    assert!(run.stderr_str().contains("--max-time"), "{}", run.context());
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn stream_shows_frames_as_they_arrive() {
    let (gate, opener) = gate();
    let server = H2Server::plain(move |_| {
        H2Reply::ok()
            .header("content-type", "text/event-stream")
            .body("data: one\n\n")
            .then_wait(gate.clone())
            .then_data("data: two\n\n")
    });
    let mut running = http(&[PRIOR, "--stream", "-b", &server.url("/sse")]).spawn();
    running.wait_stdout("data: one");
    opener.open();
    let run = running.wait().success();
    assert!(run.stdout_str().contains("data: two"), "{}", run.context());
}

#[test]
fn the_head_is_shown_while_the_body_is_held() {
    let (gate, opener) = gate();
    let server = H2Server::plain(move |_| {
        H2Reply::text("body")
            .then_wait(gate.clone())
            .then_data("rest")
    });
    let mut running = http(&[PRIOR, "-p", "hb", "--pretty=none", &server.url("/")]).spawn();
    let shown = running.wait_stdout("content-type");
    assert!(String::from_utf8_lossy(&shown).starts_with("HTTP/2 200\r\n"));
    opener.open();
    let run = running.wait().success();
    assert!(run.stdout_str().ends_with("bodyrest"), "{}", run.context());
}

#[test]
fn request_bodies_stream_and_chunked_sends_no_length() {
    let server = H2Server::plain(|r| {
        H2Reply::text(&format!(
            "{} {:?}",
            r.body.len(),
            r.header("content-length")
        ))
    });
    let big = content(3 << 20);
    let run = http(&[PRIOR, "-b", "POST", &server.url("/a")])
        .stdin(big.clone())
        .run()
        .success();
    assert_eq!(
        run.stdout_str(),
        format!("{} Some(\"{}\")", big.len(), big.len())
    );
    let run = http(&[PRIOR, "-b", "--chunked", "POST", &server.url("/b")])
        .stdin(big.clone())
        .run()
        .success();
    assert_eq!(run.stdout_str(), format!("{} None", big.len()));
    let seen = server.requests();
    assert_eq!(seen[1].body, big);
    assert!(seen[1].data_frames > 1, "{}", seen[1].data_frames);
}

#[test]
fn a_compressed_response_is_decoded() {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(b"{\"zipped\": true}").unwrap();
    let gz = enc.finish().unwrap();
    let server = H2Server::plain(move |_| {
        H2Reply::json("")
            .body(gz.clone())
            .header("content-encoding", "gzip")
    });
    let run = http(&[PRIOR, "-b", "--pretty=none", &server.url("/")])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "{\"zipped\": true}");
}

// ---------------------------------------------------------------------------
// Downloads
// ---------------------------------------------------------------------------

/// Serves `body`, honouring `Range: bytes=N-`; the first full answer stops after `cut`
/// bytes, waits for `gate` and resets the stream.
fn cutting_server(body: Arc<Vec<u8>>, cut: usize, gate: Gate) -> H2Server {
    let served = Mutex::new(false);
    H2Server::plain(move |r| {
        if let Some(range) = r.header("range") {
            let from: usize = range
                .trim_start_matches("bytes=")
                .trim_end_matches('-')
                .parse()
                .unwrap();
            return H2Reply::status(206)
                .header(
                    "content-range",
                    &format!("bytes {from}-{}/{}", body.len() - 1, body.len()),
                )
                .body(body[from..].to_vec())
                .with_length();
        }
        let mut first = served.lock().unwrap();
        if *first {
            return H2Reply::ok().body(body.to_vec()).with_length();
        }
        *first = true;
        H2Reply::ok()
            .header("content-length", &body.len().to_string())
            .body(body[..cut].to_vec())
            .then_wait(gate.clone())
            .then_reset(Reason::INTERNAL_ERROR)
    })
}

#[test]
fn a_reset_mid_download_is_incomplete_and_continue_finishes_it() {
    let body = Arc::new(content(20_000));
    let (gate, opener) = gate();
    let server = cutting_server(body.clone(), 7_000, gate);
    let url = server.url("/file.bin");
    let cmd = http(&[PRIOR, "-d", "-o", "file.bin", &url]);
    let file = cmd.home().join("file.bin");
    let running = cmd.clone().spawn();
    let arrived = wait_for_len(&file, 7_000);
    opener.open();
    let run = running.wait().assert_code(1);
    assert!(arrived, "{}", run.context());
    let err = run.stderr_str();
    assert!(
        err.contains("Incomplete download: size=20000; downloaded=7000"),
        "{}",
        run.context()
    );
    assert_eq!(std::fs::read(&file).unwrap(), body[..7_000]);
    http(&[PRIOR, "-d", "-c", "-o", "file.bin", &url])
        .current_dir(cmd.home())
        .run()
        .success();
    assert_eq!(std::fs::read(&file).unwrap(), *body);
    assert_eq!(server.requests()[1].header("range"), Some("bytes=7000-"));
}

#[test]
fn a_large_download_arrives_whole() {
    let body = Arc::new(content(8 << 20));
    let served = body.clone();
    let server = H2Server::plain(move |_| H2Reply::ok().body(served.to_vec()).with_length());
    let cmd = http(&[PRIOR, "-d", "-o", "big.bin", &server.url("/big")]);
    let run = cmd.clone().run().success();
    assert!(run.stderr_str().contains("Done."), "{}", run.context());
    assert_eq!(std::fs::read(cmd.home().join("big.bin")).unwrap(), *body);
}

#[test]
fn ctrl_c_during_an_h2_download_keeps_a_resumable_file() {
    let body = Arc::new(content(10_000));
    let (gate, opener) = gate();
    let served = body.clone();
    let server = H2Server::plain(move |_| {
        H2Reply::ok()
            .header("content-length", "10000")
            .body(served[..3_000].to_vec())
            .then_wait(gate.clone())
            .then_data(served[3_000..].to_vec())
    });
    let url = server.url("/big");
    let cmd = http(&[PRIOR, "-d", "-o", "out.bin", &url]);
    let file = cmd.home().join("out.bin");
    let running = cmd.clone().spawn();
    assert!(wait_for_len(&file, 3_000));
    running.signal(Signal::SIGINT);
    let run = running.wait().assert_code(130);
    opener.open();
    assert!(
        run.stderr_str()
            .contains("3000 of 10000 bytes saved in out.bin; resume with: http -d -c"),
        "{}",
        run.context()
    );
}

// ---------------------------------------------------------------------------
// TLS and proxies
// ---------------------------------------------------------------------------

#[test]
fn an_unknown_ca_is_refused_over_h2() {
    let pki = Pki::new();
    let server = tls_server(&pki, |_| H2Reply::text("no"));
    let run = http(&[H2, &server.url("/")]).run();
    assert_failed(&run, 1, &["certificate"]);
    assert!(server.requests().is_empty());
}

#[test]
fn client_certificates_and_tls_pinning_work_over_h2() {
    let pki = Pki::new();
    let config = pki
        .leaf()
        .config_with(Versions::Tls12Only, Some(&pki.ca_der));
    let server = H2Server::tls(config, |_| H2Reply::text("mutual"));
    let (cert, key) = (
        pki.client_cert.display().to_string(),
        pki.client_key.display().to_string(),
    );
    let run = http(&[
        &pki.verify(),
        H2,
        "--ssl=tls1.2",
        "--cert",
        &cert,
        "--cert-key",
        &key,
        &server.url("/"),
    ])
    .run()
    .success();
    assert_eq!(run.stdout_str(), "mutual");
    // Without the certificate the handshake fails; pinned to TLS 1.3 there is no common version.
    let run = http(&[&pki.verify(), H2, &server.url("/")]).run();
    assert_eq!(run.code, 1, "{}", run.context());
    let run = http(&[
        &pki.verify(),
        H2,
        "--ssl=tls1.3",
        "--cert",
        &cert,
        "--cert-key",
        &key,
        &server.url("/"),
    ])
    .run();
    assert_eq!(run.code, 1, "{}", run.context());
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn h2_goes_through_a_connect_proxy() {
    let pki = Pki::new();
    let server = tls_server(&pki, |_| H2Reply::text("tunnelled"));
    let proxy = ConnectProxy::start();
    let flag = format!("https:{}", proxy.url());
    let run = http(&[&pki.verify(), H2, "-v", "--proxy", &flag, &server.url("/t")])
        .run()
        .success();
    assert!(
        run.stdout_str().contains("GET /t HTTP/2\r\n"),
        "{}",
        run.context()
    );
    assert!(run.stdout_str().ends_with("tunnelled"), "{}", run.context());
    proxy.single_connect(server.port);
    assert_eq!(server.alpn(), vec![Some(b"h2".to_vec())]);
}

#[test]
fn meta_shows_the_phases_of_an_h2_exchange() {
    let pki = Pki::new();
    let server = tls_server(&pki, |_| H2Reply::text("m"));
    let run = http(&[&pki.verify(), H2, "-m", &server.url("/")])
        .run()
        .success();
    let out = run.stdout_str();
    assert!(out.contains("tls "), "{out}");
    assert!(out.contains("first byte"), "{out}");
    assert!(out.contains("Protocol: HTTP/2 (ALPN)"), "{out}");
    assert!(
        out.contains(&format!("Remote address: 127.0.0.1:{}", server.port)),
        "{out}"
    );
}

#[test]
fn a_request_file_reuses_one_h2_connection() {
    let server = H2Server::plain(|r| H2Reply::text(&r.path));
    let file = format!(
        "GET {}\n\n###\nGET {}\n",
        server.url("/one"),
        server.url("/two")
    );
    let cmd = http(&[PRIOR, "-b", "--file", "api.http"]).home_file("api.http", file);
    let home = cmd.home().to_path_buf();
    let run = cmd.current_dir(&home).run().success();
    assert!(
        run.stdout_str().contains("/one") && run.stdout_str().contains("/two"),
        "{}",
        run.context()
    );
    assert_eq!(server.connections(), 1);
}

#[test]
fn the_version_can_be_a_config_default_and_a_flag_overrides_it() {
    let server = H2Server::plain(|_| H2Reply::text("from config"));
    let config = r#"{"default_options": ["--http-version=2-prior-knowledge"]}"#;
    let run = http(&["-h", &server.url("/")])
        .home_file(".config/http/config.json", config)
        .run()
        .success();
    assert!(
        run.stdout_str().starts_with("HTTP/2 200\r\n"),
        "{}",
        run.context()
    );
    let plain = Server::start(|_| Reply::text("old"));
    let run = http(&["--http-version=1.1", &plain.url("/")])
        .home_file(".config/http/config.json", config)
        .run()
        .success();
    assert_eq!(run.stdout_str(), "old");
}

#[test]
fn an_unknown_version_is_a_usage_error_before_anything_is_sent() {
    let server = H2Server::plain(|_| H2Reply::ok());
    let run = http(&["--http-version=3", &server.url("/")]).run();
    assert_eq!(run.code, 1, "{}", run.context());
    let err = run.stderr_str();
    assert_eq!(err.lines().count(), 1, "{}", run.context());
    assert!(
        err.contains("--http-version") && err.contains("2-prior-knowledge"),
        "{err}"
    );
    assert_eq!(server.connections(), 0);
}

#[test]
fn write_out_reports_the_version_and_sizes_of_an_h2_exchange() {
    let server = H2Server::plain(|_| H2Reply::text("12345"));
    let run = http(&[
        PRIOR,
        "-b",
        "-w",
        "%{http_version} %{http_code} %{size_upload} %{size_download}\\n",
        "POST",
        &server.url("/w"),
    ])
    .stdin("abc")
    .run()
    .success();
    assert_eq!(run.stdout_str(), "123452 200 3 5\n", "{}", run.context());
}

#[test]
fn offline_prints_the_http2_request_that_would_be_sent() {
    let run = http(&[
        "--offline",
        PRIOR,
        "example.org/x",
        "A:b",
        "Connection:close",
    ])
    .run()
    .success();
    assert_eq!(
        run.stdout_str(),
        "GET /x HTTP/2\r\n:authority: example.org\r\nuser-agent: http/0.1.0\r\n\
         accept-encoding: gzip, deflate, br, zstd\r\naccept: */*\r\na: b\r\n\r\n"
    );
    let run = http(&["--offline", H2, "http://example.org/x"])
        .run()
        .success();
    assert!(
        run.stdout_str().starts_with("GET /x HTTP/1.1\r\n"),
        "{}",
        run.context()
    );
}

#[test]
fn h2_goes_through_an_https_proxy_tls_inside_tls() {
    let pki = Pki::new();
    let server = tls_server(&pki, |_| H2Reply::text("nested"));
    let proxy = ConnectProxy::tls(pki.server_config(), Some("pu:pp"));
    let flag = format!("https:{}", proxy.url_with("pu:pp"));
    let run = http(&[&pki.verify(), H2, "-v", "--proxy", &flag, &server.url("/n")])
        .run()
        .success();
    assert!(
        run.stdout_str().contains("GET /n HTTP/2\r\n"),
        "{}",
        run.context()
    );
    assert!(run.stdout_str().ends_with("nested"), "{}", run.context());
    let head = proxy.single_connect(server.port);
    assert_eq!(
        head_header(&head, "Proxy-Authorization").as_deref(),
        Some(basic_auth("pu:pp").as_str())
    );
    assert_eq!(server.alpn(), vec![Some(b"h2".to_vec())]);
    assert!(
        !contains(&proxy.relayed_up(), b"/n"),
        "the proxy saw the request"
    );
    // Without the credentials, the proxy's 407 is named.
    let flag = format!("https:{}", proxy.url());
    let run = http(&[&pki.verify(), H2, "--proxy", &flag, &server.url("/n")]).run();
    assert_failed(&run, 1, &["requires authentication (407)"]);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn h2_goes_through_socks_proxies() {
    let pki = Pki::new();
    let server = tls_server(&pki, |_| H2Reply::text("socks"));
    let proxy = Socks5Proxy::with_auth("su", "sp");
    let url = format!("https://localhost:{}/s", server.port);
    let flag = format!("all:{}", proxy.url("socks5h").replace("://", "://su:sp@"));
    let run = http(&[&pki.verify(), H2, "-v", "--proxy", &flag, &url])
        .run()
        .success();
    assert!(
        run.stdout_str().contains("GET /s HTTP/2\r\n"),
        "{}",
        run.context()
    );
    assert!(run.stdout_str().ends_with("socks"), "{}", run.context());
    let records = proxy.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].credentials, Some(("su".into(), "sp".into())));
    assert_eq!(
        records[0].dest,
        Some(Dest::Domain("localhost".into(), server.port))
    );
    assert_eq!(server.alpn(), vec![Some(b"h2".to_vec())]);

    // h2c through SOCKS4, the address resolved here.
    let plain = H2Server::plain(|_| H2Reply::text("four"));
    let socks4 = Socks4Proxy::start();
    let flag = format!("all:{}", socks4.url("socks4"));
    let run = http(&[PRIOR, "--proxy", &flag, &plain.url("/4")])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "four");
    assert_eq!(socks4.requests()[0].port, plain.port);
    assert_eq!(plain.request().path, "/4");
}

// ---------------------------------------------------------------------------
// Connection reuse, progress bars, proxies, routing, trailers
// ---------------------------------------------------------------------------

#[test]
fn a_closed_kept_connection_is_replaced() {
    // The first reply closes its connection gracefully (GOAWAY NO_ERROR, then FIN): the
    // second request must go out on a new connection, not fail on the kept one.
    let server = H2Server::plain(|r| {
        let reply = H2Reply::text(&format!("body of {}", r.path));
        match r.path.as_str() {
            "/one" => reply.and_close(),
            _ => reply,
        }
    });
    let file = format!(
        "GET {}\n\n###\nGET {}\n",
        server.url("/one"),
        server.url("/two")
    );
    let cmd = http(&[PRIOR, "-b", "--file", "api.http"]).home_file("api.http", file);
    let home = cmd.home().to_path_buf();
    let run = cmd.current_dir(&home).run().success();
    let out = run.stdout_str();
    assert!(
        out.contains("body of /one") && out.contains("body of /two"),
        "{}",
        run.context()
    );
    assert_eq!(server.connections(), 2, "{}", run.context());
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/one", "/two"]);
}

#[test]
fn the_download_bar_is_drawn_over_h2_on_a_terminal() {
    // The bar shows 3000 of 10000 bytes while the rest is held behind the gate: a sync point.
    let body = Arc::new(content(10_000));
    let (gate, opener) = gate();
    let served = body.clone();
    let server = H2Server::plain(move |_| {
        H2Reply::ok()
            .header("content-length", "10000")
            .body(served[..3_000].to_vec())
            .then_wait(gate.clone())
            .then_data(served[3_000..].to_vec())
    });
    let tty = Tty {
        stdin: false,
        stdout: false,
        stderr: true,
    };
    let cmd = http(&[PRIOR, "-d", "-o", "out.bin", &server.url("/big")]);
    let home = cmd.home().to_path_buf();
    let mut session = cmd.spawn_pty_with(tty);
    let partial = session.wait_output("2.93 KiB/9.77 KiB");
    opener.open();
    let run = session.wait().success();
    let out = run.text();
    assert!(
        String::from_utf8_lossy(&partial).contains("out.bin"),
        "{out:?}"
    );
    assert!(out.contains("Done. 9.8 KiB in "), "{out:?}");
    assert_eq!(std::fs::read(home.join("out.bin")).unwrap(), *body);
}

#[test]
fn a_large_h2_upload_shows_the_upload_bar_on_a_terminal() {
    let body = content(5 << 20);
    let server = H2Server::plain(|r| H2Reply::text(&format!("got {}", r.body.len())));
    let cmd = http(&[PRIOR, "-b", "POST", &server.url("/up"), "@big.bin"]);
    std::fs::write(cmd.home().join("big.bin"), &body).unwrap();
    let run = cmd.run_pty_with(Tty::ALL).success();
    let out = run.text();
    assert!(
        out.contains("% [") && out.contains("/5.00 MiB"),
        "a bar: {out:?}"
    );
    assert!(out.contains(&format!("got {}", body.len())), "{out:?}");
    assert!(server.request().body == body, "the exact bytes");
}

#[test]
fn resolve_and_connect_to_route_h2_connections() {
    let server = H2Server::plain(|r| H2Reply::text(r.authority.as_deref().unwrap_or("none")));
    let port = server.port;
    let rule = format!("h2.test:{port}:127.0.0.1");
    let url = format!("http://h2.test:{port}/r");
    let run = http(&[PRIOR, "--resolve", &rule, &url]).run().success();
    let want = format!("h2.test:{port}");
    assert_eq!(run.stdout_str(), want, "{}", run.context());
    // --connect-to: the URL's origin is sent to the server's port, :authority unchanged.
    let rule = format!("a.test:80:127.0.0.1:{port}");
    let run = http(&[PRIOR, "--connect-to", &rule, "http://a.test/c"])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "a.test", "{}", run.context());
    let seen: Vec<(Option<String>, String)> = server
        .requests()
        .into_iter()
        .map(|r| (r.authority, r.path))
        .collect();
    assert_eq!(
        seen,
        [
            (Some(want), "/r".to_string()),
            (Some("a.test".to_string()), "/c".to_string())
        ]
    );
    assert_eq!(server.connections(), 2);
}

#[test]
fn interface_applies_to_h2c_connections() {
    let server = H2Server::plain(|_| H2Reply::text("bound"));
    // The connection comes from the address asked for, not the default 127.0.0.1.
    let run = http(&[PRIOR, "--interface", "127.0.0.2", &server.url("/i")])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "bound", "{}", run.context());
    assert_eq!(server.connections(), 1);
    let peers: Vec<std::net::IpAddr> = server.peers().iter().map(|p| p.ip()).collect();
    assert_eq!(peers, [std::net::Ipv4Addr::new(127, 0, 0, 2)]);
    // An interface that does not exist is refused before anything is sent.
    let run = http(&[PRIOR, "--interface", "nope0", &server.url("/i")]).run();
    assert_failed(&run, 1, &["there is no network interface named 'nope0'"]);
    assert_eq!(server.connections(), 1);
}

#[test]
fn a_reply_ending_in_trailers_is_shown_whole() {
    let server = H2Server::plain(|_| {
        H2Reply::text("first,")
            .then_data("second")
            .trailer("x-checksum", "abc123")
    });
    let run = http(&[PRIOR, "-p", "hb", "--pretty=none", &server.url("/t")])
        .run()
        .success();
    let out = run.stdout_str();
    assert!(out.starts_with("HTTP/2 200\r\n"), "{}", run.context());
    assert!(out.ends_with("first,second"), "{}", run.context());
    let run = http(&[PRIOR, "-b", &server.url("/t")]).run().success();
    assert_eq!(run.stdout_str(), "first,second", "{}", run.context());
}

#[test]
fn connect_timeouts_cover_tcp_and_the_tls_handshake_over_h2() {
    // No TCP connection at all.
    let hole = Blackhole::start();
    let run = http(&[PRIOR, "--timeout", "0.3,5", &hole.url("/")])
        .run()
        .assert_code(2);
    assert!(
        run.stderr_str().contains("connect timeout 0.3s"),
        "{}",
        run.context()
    );
    // TCP up, but the server never answers the TLS handshake.
    let silent = RawServer::scripted(|conn| conn.hold());
    let url = silent.url("/").replacen("http://", "https://", 1);
    let started = Instant::now();
    let run = http(&[H2, "--timeout", "0.3,5", &url]).run().assert_code(2);
    assert!(
        run.stderr_str().contains("connect timeout 0.3s"),
        "{}",
        run.context()
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{}",
        run.context()
    );
}

#[test]
fn h2c_goes_over_a_unix_socket() {
    let server = H2Server::unix(|r| H2Reply::text(&format!("{} {:?}", r.path, r.authority)));
    let socket = server.socket_path().display().to_string();
    let run = http(&[PRIOR, "-m", "--unix-socket", &socket, ":/sock"])
        .run()
        .success();
    assert!(
        run.stdout_str()
            .contains(&format!("Remote address: unix:{socket}")),
        "{}",
        run.context()
    );
    let run = http(&[PRIOR, "--unix-socket", &socket, ":/sock"])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "/sock Some(\"localhost\")");
    assert_eq!(server.connections(), 2);
}

#[test]
fn response_heads_are_limited_as_over_http11() {
    let server = H2Server::plain(|r| match r.path.as_str() {
        "/big" => H2Reply::text("big").header("x-big", &"b".repeat(40_000)),
        _ => H2Reply::text("huge").header("x-huge", &"h".repeat(100_000)),
    });
    // 40 KB of headers pass, as over HTTP/1.1 (hyper's own limit is 16 KiB).
    let run = http(&[PRIOR, "-b", &server.url("/big")]).run().success();
    assert_eq!(run.stdout_str(), "big");
    let run = http(&[PRIOR, &server.url("/huge")]).run();
    assert_failed(&run, 1, &["not valid HTTP/2, or is larger than 64 KiB"]);
}

//! Scripting: `--max-time` (one deadline for the whole exchange: redirects, retries and their
//! waits, the body) and `-w/--write-out` (curl's variables, compared with curl itself).
//!
//! Dripping servers write a byte, then pause: the pause is the scenario (a server slower than
//! the deadline but never silent for the per-read `--timeout`), not a wait for readiness.

use std::thread;
use std::time::{Duration, Instant};

use crate::harness::*;

/// How long a dripping server pauses between bytes: well under the `--timeout` read limit.
const DRIP: Duration = Duration::from_millis(200);

/// A server that reads the request and then writes `bytes` one at a time, pausing `DRIP`
/// between them, for as long as the client reads.
fn dripping(bytes: &'static [u8]) -> RawServer {
    RawServer::scripted(move |conn: &mut Conn| {
        if conn.read_request().is_err() {
            return;
        }
        for b in bytes {
            if conn.write([*b]).is_err() {
                return;
            }
            thread::sleep(DRIP);
        }
        conn.finish();
    })
}

fn assert_max_time_error(run: &Run, limit: &str) {
    let errors = run.stderr_lines_starting("http: error:");
    assert_eq!(
        errors,
        [format!(
            "http: error: the whole exchange took longer than --max-time {limit} s"
        )],
        "{}",
        run.context()
    );
}

/// Seconds since `t`, for generous bounds on a busy 2-core machine.
fn since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

#[test]
fn max_time_cuts_a_head_that_drips() {
    // 200 bytes at one per 0.2 s: 40 s, but never 5 s without data.
    let head: &'static [u8] = Box::leak(
        format!("HTTP/1.1 200 OK\r\nX-Slow: {}\r\n\r\n", "a".repeat(160))
            .into_bytes()
            .into_boxed_slice(),
    );
    let server = dripping(head);
    let t = Instant::now();
    let run = http(&["--timeout", "5", "--max-time", "1.5", &server.url("/")])
        .run()
        .assert_code(2);
    let took = since(t);
    assert_max_time_error(&run, "1.5");
    assert!((1.4..6.0).contains(&took), "took {took:.2}s");
}

#[test]
fn max_time_cuts_a_body_that_drips() {
    // The head comes at once; only the body drips.
    let server = RawServer::scripted(|conn: &mut Conn| {
        if conn.read_request().is_err() {
            return;
        }
        if conn
            .write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
            .is_err()
        {
            return;
        }
        for _ in 0..100 {
            if conn.write("x").is_err() {
                return;
            }
            thread::sleep(DRIP);
        }
        conn.finish();
    });
    let t = Instant::now();
    let run = http(&["--timeout", "5", "--max-time", "1", &server.url("/")])
        .run()
        .assert_code(2);
    assert_max_time_error(&run, "1");
    assert!(run.stdout.starts_with(b"x"), "{}", run.context());
    assert!((0.9..6.0).contains(&since(t)), "took {:.2}s", since(t));
}

#[test]
fn max_time_cuts_a_download_and_keeps_the_partial_file() {
    let server = RawServer::scripted(|conn: &mut Conn| {
        if conn.read_request().is_err() {
            return;
        }
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nxxxx";
        if conn.write(head).is_err() {
            return;
        }
        for _ in 0..96 {
            if conn.write("y").is_err() {
                return;
            }
            thread::sleep(DRIP);
        }
        conn.finish();
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("part.bin");
    let out_s = out.to_str().unwrap();
    let run = http(&["-d", "-o", out_s, "--max-time", "1", &server.url("/f")])
        .run()
        .assert_code(2);
    assert_max_time_error(&run, "1");
    let saved = std::fs::read(&out).unwrap();
    assert!(
        saved.starts_with(b"xxxx") && saved.len() < 100,
        "{} bytes",
        saved.len()
    );
}

#[test]
fn max_time_spans_redirects_and_retries() {
    // A redirect, then a 503 that is retried: each step is quick, but the retry waits add up
    // past the deadline, so the run stops at the wait that would cross it.
    let server = Server::start(|r| match r.path() {
        "/start" => Reply::redirect(302, "/busy"),
        _ => Reply::status(503),
    });
    let t = Instant::now();
    let run = http(&["--follow", "--retries", "5", "--retry-status", "503"])
        .args(&["--retry-backoff", "0.4", "--max-time", "1.2"])
        .arg(server.url("/start"))
        .run()
        .assert_code(2);
    assert_max_time_error(&run, "1.2");
    // 0.4 s doubled: waits of 0.2-0.4 s, then 0.4-0.8 s, ... cross 1.2 s by the third.
    let busy = server
        .requests()
        .iter()
        .filter(|r| r.path() == "/busy")
        .count();
    assert!(
        (2..=4).contains(&busy),
        "{busy} attempts\n{}",
        run.context()
    );
    assert!(since(t) < 6.0, "took {:.2}s", since(t));
}

#[test]
fn max_time_leaves_a_fast_exchange_alone() {
    let server = Server::start(|r| match r.path() {
        "/a" => Reply::redirect(302, "/b"),
        _ => Reply::text("done"),
    });
    let run = http(&["--follow", "--max-time", "30", &server.url("/a")])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "done");
}

#[test]
fn max_time_from_the_config_file() {
    let server = dripping(
        b"HTTP/1.1 200 OK\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
    );
    let run = http(&[&server.url("/")])
        .home_file(
            ".config/http/config.json",
            r#"{"default_options": ["--max-time=1"]}"#,
        )
        .run()
        .assert_code(2);
    assert_max_time_error(&run, "1");
}

//! Retries: `--retries N`, `--retry-status CODES`, `--retry-backoff`,
//! `--retry-max-wait`, `Retry-After`, the announcements on stderr
//! (`http: retrying (N/M) in S.Ss: REASON`, silenced by `-q`), `--all`
//! showing every attempt, and the rule that a request that may have reached
//! the server is repeated only for idempotent methods.
//!
//! Servers are real, on 127.0.0.1, and scripted per connection (`RawServer`)
//! or per request (`Server` with a counter), so "fail twice, then answer" is
//! decided by the server, not by timing. Waits are kept short with
//! `--retry-backoff 0.05`; only the `Retry-After` tests wait about a second
//! on purpose.
//!
//! Connection refused, then a server: a socket is bound to a port but not
//! listening (connections to it are refused), the client is started, and
//! once it has announced its first retry the same socket starts listening.
//! The port is held by this process the whole time, so no other process can
//! take it in between (the classic bind/close/re-bind race does not exist
//! here), and the kernel never hands it out as the client's own source port
//! (no TCP self-connect).

use std::io::{self, Write};
use std::mem;
use std::net::{Ipv4Addr, Shutdown, TcpListener};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use nix::libc;

use crate::harness::{
    dead_port, http, read_request, Cmd, Conn, RawServer, Recorded, Reply, Run, Server, Signal,
    TlsServer,
};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const OK_RESPONSE: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";

/// Lines of stderr that announce a retry.
fn announcements(run: &Run) -> Vec<String> {
    run.stderr_lines_starting("http: retrying (")
}

/// Asserts stdout shows `text` exactly `times` times.
#[track_caller]
fn assert_shown_times(run: &Run, text: &str, times: usize) {
    assert_eq!(
        run.stdout_str().matches(text).count(),
        times,
        "{text:?} on stdout\n{}",
        run.context()
    );
}

/// Asserts stderr contains `text`.
#[track_caller]
fn assert_stderr_has(run: &Run, text: &str) {
    assert!(run.stderr_str().contains(text), "{}", run.context());
}

/// Asserts stderr announces exactly retries `1..=n` of `of`, in order, each
/// as `http: retrying (i/of) in S.Ss: ...`; returns their reasons.
#[track_caller]
fn assert_announced(run: &Run, n: u32, of: u32) -> Vec<String> {
    let lines = announcements(run);
    assert_eq!(
        lines.len(),
        n as usize,
        "expected {n} retry announcements\n{}",
        run.context()
    );
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let prefix = format!("http: retrying ({}/{of}) in ", i + 1);
            let rest = line
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("bad announcement {line:?}\n{}", run.context()));
            let (wait, reason) = rest
                .split_once("s: ")
                .unwrap_or_else(|| panic!("bad announcement {line:?}\n{}", run.context()));
            assert!(
                wait.parse::<f64>().is_ok() && wait.contains('.'),
                "wait should be seconds with one decimal: {line:?}"
            );
            assert!(
                !reason.trim().is_empty(),
                "announcement without a reason: {line:?}"
            );
            reason.to_string()
        })
        .collect()
}

/// `--retries N --retry-backoff 0.05`: N retries with short waits.
fn retries(n: &str) -> [&str; 4] {
    ["--retries", n, "--retry-backoff", "0.05"]
}

/// `--retries N --retry-status 503`: N retries, a 503 among the reasons.
fn retries_on_503(n: &str) -> [&str; 4] {
    ["--retries", n, "--retry-status", "503"]
}

/// `--retries N --retry-status 503 --retry-backoff 0.05`.
fn retries_on_503_quickly(n: &str) -> [&str; 6] {
    [
        "--retries",
        n,
        "--retry-status",
        "503",
        "--retry-backoff",
        "0.05",
    ]
}

/// Runs `cmd`, which must succeed; returns the run and how long it took.
#[track_caller]
fn timed_success(cmd: Cmd) -> (Run, Duration) {
    let start = Instant::now();
    let run = cmd.run();
    let elapsed = start.elapsed();
    (run.success(), elapsed)
}

/// A raw server whose first `failures` connections read the request and
/// then reset (a failure after the request reached the server: a read
/// failure, never a connect failure); later connections answer 200 `hello`.
fn reset_then_ok(failures: usize) -> RawServer {
    RawServer::scripted(move |conn: &mut Conn| {
        if conn.read_request().is_err() {
            return;
        }
        if conn.index < failures {
            conn.reset();
            return;
        }
        if conn.write(OK_RESPONSE).is_ok() {
            conn.finish();
        }
    })
}

/// A recording server that answers with `replies[i]` for the i-th request
/// (the last one repeats).
fn sequence(replies: Vec<Reply>) -> Server {
    let count = AtomicUsize::new(0);
    Server::start(move |_| {
        let i = count.fetch_add(1, Ordering::SeqCst);
        replies[i.min(replies.len() - 1)].clone()
    })
}

/// A port held by a socket that is bound but not listening: connecting to
/// it is refused until [`HeldPort::listen`]. See the module docs.
struct HeldPort {
    fd: OwnedFd,
    port: u16,
}

impl HeldPort {
    fn new() -> HeldPort {
        // SAFETY: plain socket syscalls on a fd we own; the address structs
        // are zeroed and sized as the kernel expects.
        unsafe {
            let raw = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
            assert!(raw >= 0, "socket: {}", io::Error::last_os_error());
            let fd = OwnedFd::from_raw_fd(raw);
            let mut addr: libc::sockaddr_in = mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_port = 0;
            addr.sin_addr.s_addr = u32::from(Ipv4Addr::LOCALHOST).to_be();
            let len = mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            let rc = libc::bind(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_in).cast(),
                len,
            );
            assert_eq!(rc, 0, "bind: {}", io::Error::last_os_error());
            let mut bound: libc::sockaddr_in = mem::zeroed();
            let mut blen = len;
            let rc = libc::getsockname(
                fd.as_raw_fd(),
                (&mut bound as *mut libc::sockaddr_in).cast(),
                &mut blen,
            );
            assert_eq!(rc, 0, "getsockname: {}", io::Error::last_os_error());
            HeldPort {
                fd,
                port: u16::from_be(bound.sin_port),
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }

    /// Starts listening on the held port and serves one connection with
    /// `response`; the returned list receives the request it read.
    fn listen(self, response: &'static str) -> Arc<Mutex<Vec<String>>> {
        // SAFETY: listen(2) on our own bound socket.
        let rc = unsafe { libc::listen(self.fd.as_raw_fd(), 16) };
        assert_eq!(rc, 0, "listen: {}", io::Error::last_os_error());
        let listener = TcpListener::from(self.fd);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        thread::spawn(move || {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            if let Ok(req) = read_request(&mut stream) {
                record.lock().unwrap().push(req.request_line());
                let _ = stream.write_all(response.as_bytes());
                let _ = stream.shutdown(Shutdown::Write);
                let _ = io::copy(&mut stream, &mut io::sink());
            }
        });
        seen
    }
}

// ---------------------------------------------------------------------------
// Connection failures
// ---------------------------------------------------------------------------

#[test]
fn connection_refused_then_server_appears_is_retried() {
    let held = HeldPort::new();
    let url = held.url("/up");
    let mut running = http(&["--retries", "3", "--retry-backoff", "0.3", &url]).spawn();
    // The first attempt was refused and announced; the client now sleeps
    // 0.15-0.3 s. Start listening on the very port it keeps trying.
    running.wait_stderr("http: retrying (1/3) in ");
    let seen = held.listen(OK_RESPONSE);
    let run = running.wait().success();
    assert_eq!(run.stdout_str(), "hello", "{}", run.context());
    assert_eq!(*seen.lock().unwrap(), ["GET /up HTTP/1.1"]);
    // Normally one retry; a heavily loaded machine may need a second one
    // before the listener is up, never all three.
    let lines = announcements(&run);
    assert!(
        (1..=2).contains(&lines.len()),
        "expected 1 or 2 retries\n{}",
        run.context()
    );
    for line in &lines {
        assert!(
            line.contains("connection refused") || line.contains("could not connect"),
            "reason should say the connection was refused: {line:?}"
        );
    }
    assert!(!run.stderr_str().contains("error"), "{}", run.context());
}

#[test]
fn all_attempts_refused_exits_1_after_announcing_each_retry() {
    let held = HeldPort::new();
    let run = http(&retries("2")).arg(held.url("/")).run().assert_code(1);
    let reasons = assert_announced(&run, 2, 2);
    for r in &reasons {
        assert!(r.contains("connection refused"), "{r:?}");
    }
    let last = run.stderr_str().lines().last().unwrap_or("").to_string();
    assert!(
        last.starts_with("http: error: ") && last.contains("connection refused"),
        "the final error comes last\n{}",
        run.context()
    );
}

#[test]
fn connection_refused_is_retried_for_post_too() {
    // Nothing reached the server, so even a non-idempotent request is safe
    // to repeat.
    let held = HeldPort::new();
    let run = http(&retries("2"))
        .args(&["POST", &held.url("/items"), "name=widget"])
        .run()
        .assert_code(1);
    assert_announced(&run, 2, 2);
}

#[test]
fn connection_reset_twice_then_success_for_get() {
    let server = reset_then_ok(2);
    let run = http(&retries("3")).arg(server.url("/r")).run().success();
    assert_eq!(run.stdout_str(), "hello");
    assert_eq!(server.connections(), 3);
    assert_eq!(server.received().len(), 3);
    assert_announced(&run, 2, 3);
}

#[test]
fn connection_closed_before_the_request_is_read_is_retried_for_get() {
    // Accept and reset at once: the client may even have written its
    // request; it fails reading the response (not connecting).
    let server = RawServer::scripted(|conn: &mut Conn| {
        if conn.index < 2 {
            conn.reset();
            return;
        }
        if conn.read_request().is_ok() && conn.write(OK_RESPONSE).is_ok() {
            conn.finish();
        }
    });
    let run = http(&retries("3")).arg(server.url("/")).run().success();
    assert_eq!(run.stdout_str(), "hello");
    assert_eq!(server.connections(), 3);
    assert_announced(&run, 2, 3);
}

#[test]
fn reset_after_a_post_body_was_sent_is_not_retried() {
    for method in ["POST", "PATCH"] {
        let server = reset_then_ok(1);
        let run = http(&retries("3"))
            .args(&[method, &server.url("/orders"), "item=1"])
            .run()
            .assert_code(1);
        assert_eq!(
            server.connections(),
            1,
            "{method} was repeated\n{}",
            run.context()
        );
        let got = server.received();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].method(), method);
        assert_eq!(got[0].body, br#"{"item": "1"}"#);
        assert!(announcements(&run).is_empty(), "{}", run.context());
        assert_stderr_has(&run, "http: error: ");
    }
}

#[test]
fn reset_after_an_idempotent_request_was_sent_is_retried() {
    for method in ["GET", "PUT", "DELETE"] {
        let server = reset_then_ok(1);
        let run = http(&retries("3"))
            .args(&[method, &server.url("/orders/1")])
            .run()
            .success();
        assert_eq!(run.stdout_str(), "hello", "{method}");
        let got = server.received();
        assert_eq!(got.len(), 2, "{method}: {got:#?}");
        assert!(got.iter().all(|r| r.method() == method));
        assert_announced(&run, 1, 3);
    }
}

/// HEAD, OPTIONS and TRACE are idempotent too: a connection dropped after they were sent
/// is retried.
#[test]
fn reset_after_head_options_or_trace_is_retried() {
    for method in ["HEAD", "OPTIONS", "TRACE"] {
        let server = reset_then_ok(1);
        let run = http(&retries("3"))
            .args(&[method, &server.url("/orders/1")])
            .run()
            .success();
        let got = server.received();
        assert_eq!(got.len(), 2, "{method}: {got:#?}");
        assert!(got.iter().all(|r| r.method() == method), "{got:#?}");
        assert_announced(&run, 1, 3);
    }
}

#[test]
fn read_timeout_is_retried_for_get_but_not_for_post() {
    // First connection: read the request, never answer (held until the
    // server is dropped); later ones answer.
    let silent_first = || {
        RawServer::scripted(|conn: &mut Conn| {
            if conn.read_request().is_err() {
                return;
            }
            if conn.index == 0 {
                conn.hold();
                return;
            }
            if conn.write(OK_RESPONSE).is_ok() {
                conn.finish();
            }
        })
    };
    // The read limit leaves room for a loaded machine to answer the second attempt in time
    // (0.2 s was flaky with 16 test threads and busy cores).
    let server = silent_first();
    let run = http(&["--timeout", "5,1"])
        .args(&retries("1"))
        .arg(server.url("/slow"))
        .run()
        .success();
    assert_eq!(run.stdout_str(), "hello");
    assert_eq!(server.received().len(), 2);
    let reasons = assert_announced(&run, 1, 1);
    assert!(
        reasons[0].contains("timed out") || reasons[0].contains("timeout"),
        "{reasons:?}"
    );

    let server = silent_first();
    let run = http(&["--timeout", "5,1"])
        .args(&retries("1"))
        .args(&["POST", &server.url("/slow"), "a=1"])
        .run()
        .assert_code(2);
    assert_eq!(server.received().len(), 1, "{}", run.context());
    assert!(announcements(&run).is_empty(), "{}", run.context());
}

// ---------------------------------------------------------------------------
// Statuses and Retry-After
// ---------------------------------------------------------------------------

fn unavailable(retry_after: &str) -> Reply {
    Reply::status(503)
        .header("Retry-After", retry_after)
        .header("Content-Type", "text/plain")
        .body("busy")
}

#[test]
fn status_503_with_retry_after_is_retried_after_the_delay() {
    let server = sequence(vec![unavailable("1"), Reply::text("done")]);
    let cmd = http(&retries_on_503_quickly("2")).arg(server.url("/job"));
    let (run, elapsed) = timed_success(cmd);
    assert_eq!(run.stdout_str(), "done");
    assert_eq!(server.hits(), 2);
    assert!(
        elapsed >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured (took {elapsed:?})\n{}",
        run.context()
    );
    let reasons = assert_announced(&run, 1, 2);
    assert!(reasons[0].starts_with("HTTP 503"), "{reasons:?}");
    assert!(
        announcements(&run)[0].starts_with("http: retrying (1/2) in 1.0s: HTTP 503"),
        "{}",
        run.context()
    );
}

#[test]
fn status_not_listed_is_final() {
    let server = sequence(vec![unavailable("1"), Reply::text("done")]);
    let run = http(&retries("2")).arg(server.url("/job")).run().success();
    assert_eq!(run.stdout_str(), "busy");
    assert_eq!(server.hits(), 1);
    assert!(announcements(&run).is_empty(), "{}", run.context());

    let server = sequence(vec![unavailable("1"), Reply::text("done")]);
    let run = http(&["--retries", "2", "--check-status", &server.url("/job")])
        .run()
        .assert_code(5);
    assert_eq!(server.hits(), 1);
    assert!(announcements(&run).is_empty(), "{}", run.context());

    // Other statuses listed: still final.
    let server = sequence(vec![unavailable("1"), Reply::text("done")]);
    let run = http(&[
        "--retries",
        "2",
        "--retry-status",
        "502,504",
        "--retry-backoff",
        "0.05",
        "--check-status",
        &server.url("/job"),
    ])
    .run()
    .assert_code(5);
    assert_eq!(server.hits(), 1);
    assert!(announcements(&run).is_empty(), "{}", run.context());
    assert_stderr_has(&run, "http: warning: HTTP 503");
}

#[test]
fn retry_max_wait_caps_a_long_retry_after() {
    let server = sequence(vec![unavailable("30"), Reply::text("done")]);
    let cmd = http(&retries_on_503("1")).args(&["--retry-max-wait", "0.2", &server.url("/")]);
    let (run, elapsed) = timed_success(cmd);
    assert_eq!(run.stdout_str(), "done");
    assert!(
        elapsed < Duration::from_secs(10),
        "Retry-After: 30 was not capped (took {elapsed:?})"
    );
    assert!(
        announcements(&run)[0].starts_with("http: retrying (1/1) in 0.2s: HTTP 503"),
        "{}",
        run.context()
    );
}

#[test]
fn retry_after_as_an_http_date() {
    // A date about 2 s ahead (HTTP-dates have whole seconds, so 1-2 s).
    let server = Server::start({
        let count = AtomicUsize::new(0);
        move |_| {
            if count.fetch_add(1, Ordering::SeqCst) == 0 {
                let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
                unavailable(&when)
            } else {
                Reply::text("done")
            }
        }
    });
    let cmd = http(&retries_on_503_quickly("1")).arg(server.url("/"));
    let (run, elapsed) = timed_success(cmd);
    assert_eq!(run.stdout_str(), "done");
    assert_eq!(server.hits(), 2);
    assert!(
        elapsed >= Duration::from_millis(800),
        "the HTTP-date was not honoured (took {elapsed:?})\n{}",
        run.context()
    );
    let line = &announcements(&run)[0];
    assert!(
        line.starts_with("http: retrying (1/1) in 1.")
            || line.starts_with("http: retrying (1/1) in 2.0s"),
        "{line:?}"
    );

    // A date in the past: retry at once.
    let server = sequence(vec![
        unavailable("Wed, 21 Oct 2015 07:28:00 GMT"),
        Reply::text("done"),
    ]);
    let run = http(&retries_on_503("1"))
        .arg(server.url("/"))
        .run()
        .success();
    assert_eq!(run.stdout_str(), "done");
    assert!(
        announcements(&run)[0].starts_with("http: retrying (1/1) in 0.0s: HTTP 503"),
        "{}",
        run.context()
    );
}

#[test]
fn all_attempts_503_exit_5_with_check_status() {
    let server = sequence(vec![unavailable("0")]);
    let run = http(&retries_on_503_quickly("2"))
        .args(&["--check-status", &server.url("/")])
        .run()
        .assert_code(5);
    assert_eq!(server.hits(), 3);
    assert_eq!(run.stdout_str(), "busy", "the last response is shown");
    assert_announced(&run, 2, 2);
    assert_stderr_has(&run, "http: warning: HTTP 503");
}

#[test]
fn exit_code_is_the_last_attempts() {
    // Reset first, then a 503 on the last allowed attempt: exit 5.
    let server = RawServer::scripted(|conn: &mut Conn| {
        if conn.read_request().is_err() {
            return;
        }
        if conn.index == 0 {
            conn.reset();
            return;
        }
        let _ = conn.write(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy",
        );
        conn.finish();
    });
    let run = http(&retries_on_503_quickly("1"))
        .args(&["--check-status", &server.url("/")])
        .run()
        .assert_code(5);
    assert_eq!(server.connections(), 2);
    assert_announced(&run, 1, 1);

    // A 503 first, then a reset on the last attempt: exit 1.
    let server = RawServer::scripted(|conn: &mut Conn| {
        if conn.read_request().is_err() {
            return;
        }
        if conn.index == 0 {
            let _ = conn.write(
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy",
            );
            conn.finish();
            return;
        }
        conn.reset();
    });
    let run = http(&retries_on_503("1"))
        .args(&["--check-status", &server.url("/")])
        .run()
        .assert_code(1);
    assert_eq!(server.connections(), 2);
    let reasons = assert_announced(&run, 1, 1);
    assert!(reasons[0].starts_with("HTTP 503"), "{reasons:?}");
    assert_stderr_has(&run, "http: error: ");
}

#[test]
fn retried_post_resends_the_same_stdin_body() {
    let server = sequence(vec![unavailable("0"), Reply::text("stored")]);
    let run = http(&retries_on_503("1"))
        .args(&["POST", &server.url("/upload")])
        .stdin("line one\nline two\n")
        .run()
        .success();
    assert_eq!(run.stdout_str(), "stored");
    let got: Vec<Recorded> = server.requests();
    assert_eq!(got.len(), 2);
    for r in &got {
        assert_eq!(r.method, "POST");
        assert_eq!(r.body_str(), "line one\nline two\n");
    }
}

#[test]
fn each_redirect_hop_is_retried_on_its_own() {
    let count = AtomicUsize::new(0);
    let server = Server::start(move |r| match r.path() {
        "/start" => Reply::redirect(302, "/end"),
        _ if count.fetch_add(1, Ordering::SeqCst) == 0 => unavailable("0"),
        _ => Reply::text("arrived"),
    });
    let run = http(&["--follow"])
        .args(&retries_on_503("1"))
        .arg(server.url("/start"))
        .run()
        .success();
    assert_eq!(run.stdout_str(), "arrived");
    let paths: Vec<String> = server.requests().iter().map(|r| r.url.clone()).collect();
    assert_eq!(paths, ["/start", "/end", "/end"]);
    assert_announced(&run, 1, 1);
}

// ---------------------------------------------------------------------------
// Output: --all and -q
// ---------------------------------------------------------------------------

#[test]
fn all_shows_every_attempts_exchange() {
    let server = sequence(vec![unavailable("0"), Reply::text("done")]);
    let run = http(&["--all", "-p", "Hhb"])
        .args(&retries_on_503("1"))
        .arg(server.url("/job"))
        .run()
        .success();
    let out = run.stdout_str();
    assert_eq!(
        out.matches("GET /job HTTP/1.1").count(),
        2,
        "both attempts' requests are shown\n{}",
        run.context()
    );
    let first = out.find("HTTP/1.1 503 Service Unavailable");
    let last = out.find("HTTP/1.1 200 OK");
    assert!(
        matches!((first, last), (Some(a), Some(b)) if a < b),
        "the 503 then the 200 are shown\n{}",
        run.context()
    );
    let busy = out.find("busy").expect("the 503 body is shown");
    assert!(busy < last.unwrap());
    assert!(out.trim_end().ends_with("done"), "{}", run.context());

    // Without --all only the final exchange is shown.
    let server = sequence(vec![unavailable("0"), Reply::text("done")]);
    let run = http(&["-p", "Hhb"])
        .args(&retries_on_503("1"))
        .arg(server.url("/job"))
        .run()
        .success();
    let out = run.stdout_str();
    assert_shown_times(&run, "GET /job HTTP/1.1", 1);
    // (Not a bare "503": the Host header's ephemeral port may contain it.)
    assert!(!out.contains("503 Service"), "{}", run.context());
    assert!(out.contains("HTTP/1.1 200 OK"), "{}", run.context());
    assert_announced(&run, 1, 1);
}

#[test]
fn all_shows_the_request_of_each_failed_connection_attempt() {
    let server = reset_then_ok(1);
    let run = http(&["--all", "-p", "Hhb"])
        .args(&retries("2"))
        .arg(server.url("/again"))
        .run()
        .success();
    let out = run.stdout_str();
    assert_shown_times(&run, "GET /again HTTP/1.1", 2);
    assert_shown_times(&run, "HTTP/1.1 200 OK", 1);
    assert!(out.trim_end().ends_with("hello"));
}

#[test]
fn quiet_silences_the_announcements() {
    let server = reset_then_ok(2);
    let run = http(&["-q"])
        .args(&retries("3"))
        .arg(server.url("/"))
        .run()
        .success();
    assert_eq!(server.connections(), 3, "retries still happen");
    assert_eq!(run.stderr_str(), "", "{}", run.context());
    assert_eq!(run.stdout_str(), "");

    // Errors are still reported.
    let held = HeldPort::new();
    let run = http(&["-q"])
        .args(&retries("1"))
        .arg(held.url("/"))
        .run()
        .assert_code(1);
    let err = run.stderr_str();
    assert_eq!(err.lines().count(), 1, "{}", run.context());
    assert!(err.starts_with("http: error: "), "{}", run.context());
}

#[test]
fn no_retries_by_default() {
    let server = reset_then_ok(1);
    let run = http(&[&server.url("/")]).run().assert_code(1);
    assert_eq!(server.connections(), 1);
    assert!(announcements(&run).is_empty(), "{}", run.context());
}

#[test]
fn certificate_verification_failures_are_not_retried() {
    // A rejected certificate is not a transient network failure: the next
    // attempt would be rejected the same way, only later.
    let server = TlsServer::self_signed();
    let url = server.url("/");
    let run = http(&retries("2")).arg(url).run().assert_code(1);
    assert_stderr_has(&run, "certificate");
    assert!(
        announcements(&run).is_empty(),
        "a certificate error was retried\n{}",
        run.context()
    );
}

/// The wait the client announces is the exponential delay spread by jitter over its upper
/// half: with `--retry-backoff 100` every wait lies in [50, 100) s, and five runs do not all
/// pick the same one. Each run is killed once it has announced its wait; nothing waits.
fn assert_jittered(url: &str) {
    let mut waits = Vec::new();
    for _ in 0..5 {
        let mut running = http(&retries_on_503("1"))
            .args(&["--retry-backoff", "100", "--retry-max-wait", "1000", url])
            .spawn();
        let shown = running.wait_stderr("s: ");
        running.signal(Signal::SIGKILL);
        let _ = running.wait();
        let line = String::from_utf8_lossy(&shown).into_owned();
        let wait = line
            .rsplit_once("in ")
            .and_then(|(_, w)| w.strip_suffix("s: "))
            .and_then(|w| w.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no wait in {line:?}"));
        assert!(
            (50.0..100.0).contains(&wait),
            "wait {wait} outside [50, 100): {line:?}"
        );
        waits.push(wait);
    }
    assert!(
        waits.iter().any(|w| *w != waits[0]),
        "five runs all waited {} s: no jitter",
        waits[0]
    );
}

#[test]
fn retry_waits_after_a_status_are_jittered() {
    let server = Server::start(|_| Reply::status(503));
    assert_jittered(&server.url("/j"));
}

#[test]
fn retry_waits_after_a_refused_connection_are_jittered() {
    let dead = dead_port();
    assert_jittered(&format!("http://127.0.0.1:{}/j", dead.port));
}

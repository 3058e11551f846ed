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
fn max_time_budget_carries_over_from_hop_to_hop() {
    // Every answer takes 0.5 s: no single hop comes near the limit, but a redirect and two
    // retried 503s do, so the budget left is what cuts the third attempt mid-wait.
    let server = RawServer::scripted(|conn: &mut Conn| {
        let Ok(req) = conn.read_request() else {
            return;
        };
        thread::sleep(Duration::from_millis(500));
        let answer = match req.target().as_str() {
            "/start" => "HTTP/1.1 302 Found\r\nLocation: /busy\r\nContent-Length: 0\r\n\r\n",
            _ => "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n",
        };
        if conn.write(answer).is_ok() {
            conn.finish();
        }
    });
    let t = Instant::now();
    let run = http(&["--follow", "--retries", "5", "--retry-status", "503"])
        .args(&["--retry-backoff", "0.01", "--max-time", "1.3"])
        .arg(server.url("/start"))
        .run()
        .assert_code(2);
    let took = since(t);
    assert_max_time_error(&run, "1.3");
    assert!((1.2..6.0).contains(&took), "took {took:.2}s");
    assert!(server.received().len() >= 3, "{}", run.context());
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

// ---------------------------------------------------------------------------
// -w/--write-out
// ---------------------------------------------------------------------------

/// The final response of the curl comparison, byte for byte.
const FIXED: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\
                     X-Thing: one\r\nX-Thing: two\r\nContent-Length: 11\r\n\
                     Connection: close\r\n\r\nhello world";

/// `/start` redirects once to `/final`, which answers [`FIXED`], and `/early` answers it after
/// an interim `103 Early Hints`: identical bytes for every client.
fn fixed_server() -> RawServer {
    RawServer::scripted(|conn: &mut Conn| {
        let Ok(req) = conn.read_request() else {
            return;
        };
        let answer = match req.target().as_str() {
            "/start" => "HTTP/1.1 302 Found\r\nLocation: /final\r\nContent-Length: 4\r\n\
                         Connection: close\r\n\r\nmove"
                .to_string(),
            "/early" => format!("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n{FIXED}"),
            _ => FIXED.to_string(),
        };
        if conn.write(answer).is_ok() {
            conn.finish();
        }
    })
}

fn curl_is_there() {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("curl").is_file()));
    assert!(
        found || std::path::Path::new("/usr/bin/curl").is_file(),
        "this test needs curl: install it (.ci/run does; see the README's test command)"
    );
}

#[test]
fn write_out_says_what_curl_says() {
    curl_is_there();
    let format = "%{http_code}|%{response_code}|%{http_version}|%{num_redirects}|\
                  %{content_type}|%{size_download}|%{size_header}|%{url_effective}|\
                  %{remote_ip}|%{remote_port}|%header{x-thing}|%header{none}|100%%\\t\\n";
    for (path, follow) in [("/final", false), ("/start", true), ("/early", false)] {
        let server = fixed_server();
        let url = server.url(path);
        let mut ours = vec!["-q", "-w", format];
        let mut theirs = vec!["-s", "-o", "/dev/null", "-w", format];
        if follow {
            ours.push("--follow");
            theirs.push("-L");
        }
        let run = http(&ours).arg(&url).run().success();
        let curl = Cmd::program("curl", &theirs).arg(&url).run();
        assert_eq!(curl.code, 0, "{}", curl.context());
        assert_eq!(
            run.stdout_str(),
            curl.stdout_str(),
            "{path}\n{}",
            run.context()
        );
        if follow {
            assert!(
                run.stdout_str().starts_with("200|200|1.1|1|"),
                "{}",
                run.context()
            );
        }
    }
}

/// `time_*` values from a `%{json}` run, in curl's order of phases.
fn times(run: &Run) -> Vec<f64> {
    let v = run.json();
    [
        "time_namelookup",
        "time_connect",
        "time_appconnect",
        "time_pretransfer",
        "time_starttransfer",
        "time_total",
    ]
    .iter()
    .map(|k| v[*k].as_f64().unwrap_or_else(|| panic!("{k} in {v}")))
    .collect()
}

#[test]
fn write_out_times_are_in_order() {
    let server = fixed_server();
    let run = http(&["-q", "--follow", "-w", "%{json}", &server.url("/start")])
        .run()
        .success();
    let t = times(&run);
    // Plain HTTP: no TLS, so time_appconnect is 0, as in curl.
    assert_eq!(t[2], 0.0, "{t:?}");
    let no_tls = [t[0], t[1], t[3], t[4], t[5]];
    assert!(no_tls.windows(2).all(|w| w[0] <= w[1]), "{t:?}");
    assert!(t[0] >= 0.0 && t[5] > 0.0, "{t:?}");
    let v = run.json();
    assert!(v["time_redirect"].as_f64().unwrap() > 0.0, "{v}");
    assert!(v["time_redirect"].as_f64().unwrap() <= t[5], "{v}");
    assert_eq!(v["local_ip"], "127.0.0.1", "{v}");
    assert!(v["local_port"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["errormsg"], serde_json::Value::Null, "{v}");
}

#[test]
fn write_out_times_are_in_order_over_tls() {
    let pki = Pki::new();
    let srv = pki.server();
    let run = http(&["-q", "-w", "%{json}", &pki.verify(), &srv.url("/")])
        .run()
        .success();
    let t = times(&run);
    assert!(t.windows(2).all(|w| w[0] <= w[1]), "{t:?}");
    assert!(
        t[2] > t[1],
        "the TLS handshake takes time after connecting: {t:?}"
    );
    assert_eq!(run.json()["http_code"], 200);
}

#[test]
fn write_out_counts_the_request_and_the_wire_body() {
    let server = RawServer::scripted(|conn: &mut Conn| {
        if conn.read_request().is_err() {
            return;
        }
        // gzip of "hi": 22 bytes on the wire, 2 once decoded.
        let gz: &[u8] = &[
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0xc8, 0x04, 0x00,
            0xac, 0x2a, 0x93, 0xd8, 0x02, 0x00, 0x00, 0x00,
        ];
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            gz.len()
        );
        if conn.write([head.as_bytes(), gz].concat()).is_ok() {
            conn.finish();
        }
    });
    let run = http(&[
        "-w",
        "\\n%{size_download} %{size_upload} %{size_request} %{method}",
        "POST",
        &server.url("/up"),
        "a=1",
    ])
    .run()
    .success();
    let req = server.request();
    let out = run.stdout_str();
    let (body, facts) = out.split_once('\n').unwrap();
    assert_eq!(body, "hi");
    let sent = req.head.len() + req.body.len();
    assert_eq!(facts, format!("22 {} {sent} POST", req.body.len()));
}

#[test]
fn write_out_after_an_error_and_to_stderr() {
    let port = dead_port();
    let run = http(&[
        "-w",
        "%{stderr}[%{http_code} %{exitcode} %{errormsg}]",
        &format!("http://127.0.0.1:{port}/"),
    ])
    .run()
    .assert_code(1);
    assert_eq!(run.stdout_str(), "");
    let err = run.stderr_str();
    assert!(
        err.contains("[000 1 connection refused by 127.0.0.1:"),
        "{}",
        run.context()
    );

    let server = RawServer::scripted(|conn: &mut Conn| {
        if conn.read_request().is_ok() {
            conn.hold();
        }
    });
    let run = http(&["-w", "%{exitcode}: %{errormsg}", "--max-time", "0.5"])
        .arg(server.url("/"))
        .run()
        .assert_code(2);
    assert_eq!(
        run.stdout_str(),
        "2: the whole exchange took longer than --max-time 0.5 s"
    );
}

#[test]
fn write_out_format_from_a_file_or_stdin() {
    let server = fixed_server();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fmt.txt");
    std::fs::write(&file, "code %{http_code}\n").unwrap();
    let run = http(&[
        "-q",
        "-w",
        &format!("@{}", file.display()),
        &server.url("/x"),
    ])
    .run()
    .success();
    assert_eq!(run.stdout_str(), "code 200\n");
    // From stdin, which then is not the request body: still a GET.
    let run = http(&["-q", "-w", "@-", &server.url("/x")])
        .stdin("%{method} %{http_code}")
        .run()
        .success();
    assert_eq!(run.stdout_str(), "GET 200");
    assert_eq!(server.received().last().unwrap().method(), "GET");
    let missing = dir.path().join("missing.txt");
    let run = http(&["-w", &format!("@{}", missing.display()), &server.url("/x")])
        .run()
        .assert_code(1);
    assert_eq!(
        run.stderr_str(),
        format!(
            "http: error: cannot read the --write-out format from '{}': no such file or directory\n",
            missing.display()
        )
    );
}

#[test]
fn write_out_unknown_variable_is_a_usage_error_before_sending() {
    let server = ok_server();
    let run = http(&["-w", "%{http_code} %{bogus}", &server.url("/")])
        .run()
        .assert_code(1);
    assert_eq!(
        run.stderr_str(),
        "http: error: unknown --write-out variable '%{bogus}'\n"
    );
    assert_eq!(run.stdout_str(), "");
    assert_eq!(server.hits(), 0);
}

#[test]
fn as_curl_carries_max_time_and_write_out() {
    let run = http(&[
        "--as=curl",
        "--max-time",
        "2.5",
        "-w",
        "%{http_code}\\n",
        "example.org",
    ])
    .run()
    .success();
    let line = run.stdout_str();
    assert!(
        line.contains(" --max-time 2.5 --write-out '%{http_code}\\n'"),
        "{line}"
    );
}

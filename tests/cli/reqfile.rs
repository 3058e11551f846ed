//! Request files (`--file api.http`): several requests in one run, in order, over one
//! connection pool (the server sees one TCP connection) and one cookie jar; variables,
//! environments, file-relative bodies, selection by name, errors with their line, exit
//! codes with and without `--fail-fast`, and `--offline` / `--as=curl` applied to each.

use crate::harness::{http, Cmd, Reply, Server};

/// A command whose HOME (also its working directory) holds `api.http` with `text`.
fn with_file(text: &str) -> Cmd {
    http(&[]).home_file("api.http", text)
}

/// `{{base}}` for the tests' server.
fn base(server: &Server) -> String {
    server.url("").trim_end_matches('/').to_string()
}

#[test]
fn requests_run_in_order_over_one_connection() {
    let server = Server::echo();
    let text = format!(
        "@base = {}\n\n### first\nGET {{{{base}}}}/one\n\n### second\nPOST {{{{base}}}}/two\n\
         Content-Type: application/json\n\n{{\"n\": 2}}\n\n### third\n{{{{base}}}}/three HTTP/1.1\n",
        base(&server)
    );
    let run = with_file(&text)
        .args(&["--file", "api.http", "-b"])
        .run()
        .success();
    let got = server.requests();
    let paths: Vec<&str> = got.iter().map(|r| r.path()).collect();
    assert_eq!(paths, ["/one", "/two", "/three"], "{}", run.context());
    assert_eq!(got[1].method, "POST");
    assert_eq!(got[1].body_str(), "{\"n\": 2}");
    let peers: Vec<_> = got.iter().map(|r| r.peer).collect();
    assert!(
        peers.iter().all(|p| *p == peers[0]),
        "one connection for all: {peers:?}"
    );
    // Separators name each request on stderr; stdout holds the three bodies, which a
    // JSON stream reader (jq) takes one by one.
    let err = run.stderr_str();
    for line in ["### first (1/3)", "### second (2/3)", "### third (3/3)"] {
        assert!(err.contains(line), "{err}");
    }
    let out = run.stdout_str();
    let values: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&out)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(values.len(), 3, "{out}");
}

#[test]
fn meta_shows_the_reused_connection() {
    let server = Server::echo();
    let url = server.url("/m");
    let run = with_file(&format!("GET {url}\n\n###\nGET {url}\n"))
        .args(&["--file", "api.http", "-m"])
        .run()
        .success();
    let out = run.stdout_str();
    let remotes: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("Remote address:"))
        .collect();
    assert_eq!(remotes.len(), 2, "{out}");
    assert!(!remotes[0].contains("reused"), "{out}");
    assert!(remotes[1].ends_with("(reused connection)"), "{out}");
}

#[test]
fn cookies_set_by_one_request_go_with_the_next() {
    let server = Server::start(|r| match r.path() {
        "/login" => Reply::ok().header("Set-Cookie", "sid=abc; Path=/"),
        _ => Reply::text(r.header("cookie").unwrap_or("none")),
    });
    let text = format!(
        "GET {}\n\n###\nGET {}\nCookie: typed=1\n\n###\nGET {}\n",
        server.url("/login"),
        server.url("/a"),
        server.url("/b")
    );
    with_file(&text)
        .args(&["--file", "api.http"])
        .run()
        .success();
    let got = server.requests();
    assert_eq!(got[0].header("cookie"), None);
    assert_eq!(got[1].header("cookie"), Some("typed=1; sid=abc"));
    assert_eq!(
        got[2].header("cookie"),
        Some("sid=abc"),
        "typed is per request"
    );
}

#[test]
fn session_is_loaded_and_saved_across_runs() {
    let server = Server::start(|r| match r.path() {
        "/login" => Reply::ok().header("Set-Cookie", "sid=s1; Path=/"),
        _ => Reply::ok(),
    });
    let cmd = with_file(&format!("GET {}\n", server.url("/login")));
    cmd.clone()
        .args(&["--file", "api.http", "--session=./s.json"])
        .run()
        .success();
    let cmd = cmd.home_file("next.http", format!("GET {}\n", server.url("/x")));
    cmd.args(&["--file", "next.http", "--session=./s.json", "-a", "u:p"])
        .run()
        .success();
    let last = server.requests().pop().expect("a request");
    assert_eq!(last.header("cookie"), Some("sid=s1"));
    assert!(last.header("authorization").is_some(), "--auth applies");
}

#[test]
fn header_values_with_item_separators_are_sent_as_written() {
    let server = Server::echo();
    let text = format!(
        "GET {}\nX-A: a=b==c:=d\nX-B: @not-a-file\nX-C: x;y\nX-Empty:\n",
        server.url("/h")
    );
    with_file(&text)
        .args(&["--file", "api.http"])
        .run()
        .success();
    let r = server.request();
    assert_eq!(r.header("x-a"), Some("a=b==c:=d"));
    assert_eq!(r.header("x-b"), Some("@not-a-file"));
    assert_eq!(r.header("x-c"), Some("x;y"));
    assert_eq!(r.header("x-empty"), Some(""));
}

#[test]
fn environments_and_file_relative_bodies() {
    let server = Server::echo();
    let env = format!(
        r#"{{"dev": {{"base": "{}", "who": "dev"}}, "prod": {{"base": "http://127.0.0.1:1"}}}}"#,
        base(&server)
    );
    let text = "@who = file\nPOST {{base}}/up\nX-Who: {{who}}\nX-Env: {{$env REQ_TEST}}\n\n< ./data/body.json\n";
    let cmd = http(&[])
        .home_file("reqs/api.http", text)
        .home_file("reqs/data/body.json", "{\"from\": \"file\"}")
        .home_file("reqs/http-client.env.json", &env)
        .env("REQ_TEST", "yes");
    cmd.clone()
        .args(&["--file", "reqs/api.http", "--env", "dev"])
        .run()
        .success();
    let r = server.request();
    assert_eq!(r.body_str(), "{\"from\": \"file\"}");
    assert_eq!(r.header("x-who"), Some("file"), "in-file variables win");
    assert_eq!(r.header("x-env"), Some("yes"));
    // --env-file names another file; an unknown environment is an error.
    let other = cmd
        .clone()
        .home_file("other.json", r#"{"qa": {"base": "x"}}"#)
        .args(&[
            "--file",
            "reqs/api.http",
            "--env",
            "dev",
            "--env-file",
            "other.json",
        ])
        .run()
        .assert_code(1);
    assert!(
        other
            .stderr_str()
            .contains("no environment 'dev' (it has: qa)"),
        "{}",
        other.context()
    );
}

#[test]
fn selection_by_name() {
    let server = Server::echo();
    let text = format!(
        "### a\nGET {0}\n\n###\n# @name b\nGET {1}\n\n### c\nGET {2}\n",
        server.url("/a"),
        server.url("/b"),
        server.url("/c")
    );
    let cmd = with_file(&text);
    cmd.clone()
        .args(&["--file", "api.http", "--request", "c", "--request", "b"])
        .run()
        .success();
    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    assert_eq!(paths, ["/b", "/c"], "in the file's order");
    let run = cmd
        .args(&["--file", "api.http", "--request", "nope"])
        .run()
        .assert_code(1);
    assert!(
        run.stderr_str()
            .contains("no request named 'nope' in api.http (named: a, b, c)"),
        "{}",
        run.context()
    );
    assert_eq!(server.hits(), 2, "nothing more sent");
}

#[test]
fn errors_in_the_file_name_the_line_before_anything_is_sent() {
    let server = Server::echo();
    let url = server.url("/");
    let cases = [
        (
            format!("GET {url}\n\n###\nGET {url}\nAccept text\n"),
            "api.http:5: header line without a colon",
        ),
        (
            format!("GET {url}\n\n###\nGET {url} HTTP/1.1 x\n"),
            "api.http:4: bad request line",
        ),
        (
            format!("GET {url}\n\n###\nGET {url}{{{{id}}}}\n"),
            "api.http:4: undefined variable 'id'",
        ),
        (
            format!("GET {url}\n\n###\nPOST {url}\n\n{{\"a\": \"{{{{x\"}}\n"),
            "api.http:6: unterminated '{{'",
        ),
    ];
    for (text, want) in cases {
        let run = with_file(&text)
            .args(&["--file", "api.http"])
            .run()
            .assert_code(1);
        let err = run.stderr_str();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with(&format!("http: error: {want}")), "{err}");
    }
    assert_eq!(server.hits(), 0);
}

#[test]
fn exit_code_is_the_first_failure_and_fail_fast_stops() {
    let server = Server::start(|r| match r.path() {
        "/404" => Reply::status(404),
        "/500" => Reply::status(500),
        _ => Reply::ok(),
    });
    let text = format!(
        "GET {}\n\n###\nGET {}\n\n###\nGET {}\n\n### last\nGET {}\n",
        server.url("/ok"),
        server.url("/404"),
        server.url("/500"),
        server.url("/ok")
    );
    let cmd = with_file(&text);
    cmd.clone()
        .args(&["--file", "api.http", "--check-status"])
        .run()
        .assert_code(4);
    assert_eq!(server.hits(), 4, "the rest still run");
    cmd.clone()
        .args(&["--file", "api.http", "--check-status", "--fail-fast"])
        .run()
        .assert_code(4);
    assert_eq!(server.hits(), 6, "stopped after the 404");
    // Without --check-status statuses are not failures; a connection error is (exit 1),
    // reported with the request's place in the file, and the next request still runs.
    let text = format!(
        "GET http://127.0.0.1:1/\n\n### ok\nGET {}\n",
        server.url("/ok")
    );
    let run = with_file(&text)
        .args(&["--file", "api.http"])
        .run()
        .assert_code(1);
    assert!(
        run.stderr_str()
            .contains("http: error: api.http:1 (GET http://127.0.0.1:1/): "),
        "{}",
        run.context()
    );
    assert_eq!(server.hits(), 7);
}

#[test]
fn offline_and_as_curl_apply_to_each_request() {
    let text = "### one\nGET http://example.invalid/a\nX-A: 1\n\n### two\nPOST http://example.invalid/b\n\nbody\n";
    let run = with_file(text)
        .args(&["--file", "api.http", "--offline"])
        .run()
        .success();
    let out = run.stdout_str();
    assert!(
        out.contains("GET /a HTTP/1.1") && out.contains("X-A: 1"),
        "{out}"
    );
    assert!(
        out.contains("POST /b HTTP/1.1") && out.ends_with("body"),
        "{out}"
    );
    let run = with_file(text)
        .args(&["--file", "api.http", "--as=curl"])
        .run()
        .success();
    let lines: Vec<String> = run.stdout_str().lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("curl ") && lines[0].contains("http://example.invalid/a"));
    assert!(
        lines[1].contains("--data-raw") || lines[1].contains("-d "),
        "{lines:?}"
    );
}

#[test]
fn flags_that_need_a_file() {
    let run = http(&["--request", "PUT", "example.org"])
        .run()
        .assert_code(1);
    assert!(
        run.stderr_str().contains("methods are positional"),
        "{}",
        run.context()
    );
    let run = http(&["--fail-fast", "example.org"]).run().assert_code(1);
    assert!(run.stderr_str().contains("--file"), "{}", run.context());
    let run = with_file("GET http://h/\n")
        .args(&["--file", "api.http", "http://other/"])
        .run()
        .assert_code(1);
    assert!(
        run.stderr_str().contains("cannot be used with"),
        "{}",
        run.context()
    );
    // Without the flag, a URL ending in .http is a URL like any other.
    let run = http(&["--offline", "example.org/api.http"]).run().success();
    assert!(
        run.stdout_str().starts_with("GET /api.http HTTP/1.1"),
        "{}",
        run.context()
    );
}

#[test]
fn the_example_file_parses_and_prints_offline() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/api.http");
    let run = http(&["--file", example, "--env", "local", "--offline", "-p", "H"])
        .env("USER", "me")
        .run()
        .success();
    let out = run.stdout_str();
    for line in [
        "POST /cookies/set?sid=s3cr3t&user=alice HTTP/1.1",
        "GET /cookies HTTP/1.1",
        "PUT /put HTTP/1.1",
        "Host: localhost:8080",
        "X-Request-Id: me-1",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    // Each request's output is a message apart, as a single run's messages are.
    assert!(out.contains("\r\n\r\n\nGET /cookies"), "{out:?}");
}

#[test]
fn unshown_small_bodies_are_read_so_the_connection_is_reused() {
    let server = Server::start(|_| Reply::text("a small body"));
    let url = server.url("/h");
    let text = format!("GET {url}\n\n###\nGET {url}\n\n###\nHEAD {url}\n\n###\nGET {url}\n");
    let run = with_file(&text)
        .args(&["--file", "api.http", "-h"])
        .run()
        .success();
    let peers: Vec<_> = server.requests().iter().map(|r| r.peer).collect();
    assert_eq!(peers.len(), 4, "{}", run.context());
    assert!(peers.iter().all(|p| *p == peers[0]), "{peers:?}");
}

#[test]
fn output_file_gets_every_request_and_quiet_hides_the_separators() {
    let server = Server::start(|r| Reply::text(r.path()));
    let text = format!(
        "GET {}\n\n###\nGET {}\n",
        server.url("/a"),
        server.url("/b")
    );
    let run = with_file(&text)
        .args(&["--file", "api.http", "-b", "-o", "out.txt", "-q"])
        .run()
        .success();
    assert_eq!(run.stderr_str(), "", "{}", run.context());
    let out = std::fs::read_to_string(run.home().join("out.txt")).expect("out.txt");
    assert_eq!(out, "/a\n\n/b");
}

#[test]
fn warnings_about_the_client_come_once_per_run() {
    let server = Server::echo();
    let url = server.url("/");
    let run = with_file(&format!("GET {url}\n\n###\nGET {url}\n\n###\nGET {url}\n"))
        .args(&["--file", "api.http", "--verify=no"])
        .run()
        .success();
    let warnings = run.stderr_lines_starting("http: warning: TLS certificate verification is off");
    assert_eq!(warnings.len(), 1, "{}", run.context());
}

#[test]
fn repeated_warnings_are_shown_once() {
    let server = Server::echo();
    let url = server.url("/");
    let run = with_file(&format!("GET {url}\n\n###\nGET {url}\n"))
        .home_file(".netrc", "login nobody\n")
        .args(&["--file", "api.http"])
        .run()
        .success();
    let warnings = run.stderr_lines_starting("http: warning: ");
    assert_eq!(warnings.len(), 1, "{}", run.context());
    assert!(
        warnings[0].contains("line 1: 'login' before any 'machine'"),
        "{warnings:?}"
    );
}

/// `-w` is written after each request of a file (as curl writes it after each URL), and one
/// `--cookie-jar` serves the whole file: what the first request's response sets goes with
/// the next and is in the jar at the end.
#[test]
fn write_out_and_cookie_jar_apply_to_each_request() {
    let server = Server::start(|r| match r.path() {
        "/login" => Reply::text("in").header("Set-Cookie", "sid=abc; Path=/"),
        _ => Reply::text(r.header("cookie").unwrap_or("none")),
    });
    let text = format!(
        "GET {}\n\n###\nGET {}\n",
        server.url("/login"),
        server.url("/me")
    );
    let run = with_file(&text)
        .args(&["--file", "api.http", "-b", "--cookie-jar", "jar.txt"])
        .args(&["-w", "[%{http_code} %{url_effective}]\n"])
        .run()
        .success();
    let out = run.stdout_str();
    let first = format!("[200 {}]", server.url("/login"));
    let second = format!("[200 {}]", server.url("/me"));
    let (a, b) = (out.find(&first), out.find(&second));
    assert!(
        matches!((a, b), (Some(a), Some(b)) if a < b),
        "{}",
        run.context()
    );
    assert!(out.contains("in") && out.contains("sid=abc"), "{out}");
    let jar = std::fs::read_to_string(run.home().join("jar.txt")).expect("the jar is written");
    assert!(jar.contains("\tsid\tabc"), "{jar}");
}

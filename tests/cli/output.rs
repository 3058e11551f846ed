//! What `http` prints, and where: print selection (`-p`, `-h`, `-b`, `-m`, `-v`, `-q`,
//! `--all`), terminal vs redirected defaults, `--pretty`/`--style`/sorting, JSON formatting,
//! content decoding, charsets, binary bodies, terminal safety, streaming, `-o FILE`, closed
//! pipes, `--as=curl|python` and `--check-status` messages.
//!
//! Wire-exact cases use `RawServer` (tiny_http adds `Server`/`Date` headers); a response
//! builder below produces the bytes so that expectations can be derived from them exactly.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::harness::*;

const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Safety limit for tests where a hang is the failure mode (blocked reads, buffered output).
const SHORT: Duration = Duration::from_secs(15);

// ------------------------------------------------------------------ helpers

/// An HTTP/1.1 response: status line, `headers` in order, then `Content-Length` and
/// `Connection: close`, the blank line and `body`.
fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = head(status, headers);
    out.truncate(out.len() - 2);
    out.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(body);
    out
}

/// A response head without framing headers (for close-delimited or chunked bodies).
fn head(status: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Splits a response produced by [`response`] into head and body.
fn split(resp: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let at = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response has a head")
        + 4;
    (resp[..at].to_vec(), resp[at..].to_vec())
}

/// A server answering every connection with `bytes`.
fn serve(bytes: Vec<u8>) -> RawServer {
    RawServer::respond(bytes)
}

/// A 200 `application/json` response with `body`.
fn json_response(body: &[u8]) -> Vec<u8> {
    response("200 OK", &[("Content-Type", "application/json")], body)
}

/// 200 JSON response served verbatim.
fn serve_json(body: &str) -> RawServer {
    serve(json_response(body.as_bytes()))
}

/// Runs `http ARGS... URL` with stdout on a terminal against a server
/// answering [`DOC`] as JSON; returns that response's head and the run.
fn doc_on_a_terminal(args: &[&str]) -> (Vec<u8>, PtyRun) {
    let resp = json_response(DOC.as_bytes());
    let (head, _) = split(&resp);
    let server = serve(resp);
    let run = http(args).arg(server.url("/")).run_pty_split().success();
    (head, run)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Terminal output with the pty's `\r\n` undone (heads keep their own CRLF).
fn tty(run: &PtyRun) -> Vec<u8> {
    normalize_newlines(&run.output)
}

/// `{"b":1,"a":[true,null],"s":"x"}` and its default (indent 4) formatting.
const DOC: &str = r#"{"b":1,"a":[true,null],"s":"x"}"#;
const DOC_FORMATTED: &str =
    "{\n    \"b\": 1,\n    \"a\": [\n        true,\n        null\n    ],\n    \"s\": \"x\"\n}";

/// Whether `tool` is on PATH. The suite needs curl and python3 (to run what `--as=curl`
/// and `--as=python` print); a missing one fails the test that needs it, saying so.
fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|dir| dir.join(tool).is_file()))
}

#[track_caller]
pub(crate) fn require(tool: &str) {
    assert!(
        on_path(tool) || Path::new("/usr/bin").join(tool).is_file(),
        "this test needs {tool}: install it (.ci/run does; see the README's test command)"
    );
}

fn python() -> &'static str {
    require("python3");
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// Runs python3 (a tool, not the binary under test: inherits the environment).
fn run_python(script: &str, input: &[u8]) -> (bool, String, String) {
    let mut child = std::process::Command::new(python())
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed by this test");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("python3 output");
    let _ = feeder.join();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

// ---------------------------------------------------------- print selection

/// `-p`, `-h`, `-b` and `-m` each choose what to print; the last one given wins, as in
/// HTTPie (`-h -b` prints the body only, `-b -h` the headers only).
#[test]
fn last_of_print_flags_wins() {
    let resp = response("200 OK", &[("Content-Type", "text/plain")], b"the body\n");
    let (head, _) = split(&resp);
    let server = serve(resp);
    let url = server.url("/");
    for (flags, expected) in [
        (&["-h", "-b"][..], &b"the body\n"[..]),
        (&["-b", "-h"], &head),
        (&["-m", "-b"], b"the body\n"),
        (&["-p", "H", "-b"], b"the body\n"),
        (&["-b", "-p", "h"], &head),
        (&["-b", "-v"], b"the body\n"),
    ] {
        let run = http(flags).arg(&url).run().success();
        assert_eq!(text(&run.stdout), text(expected), "{flags:?}");
    }
    let run = http(&["-b", "-m", &url]).run().success();
    let out = run.stdout_str();
    assert!(out.starts_with("Elapsed time: "), "{out}");
    assert!(!out.contains("the body"), "{out}");
}

#[test]
fn print_request_head_and_body_are_exactly_what_was_sent() {
    let server = serve_json(r#"{"ok":true}"#);
    let url = server.url("/get?q=1");
    let run = http(&["-p", "H", &url]).run().success();
    let sent = server.received().pop().expect("a request");
    assert_eq!(text(&run.stdout), sent.head_str(), "{run:?}");
    assert_eq!(
        sent.request_line(),
        "GET /get?q=1 HTTP/1.1",
        "request line as typed"
    );

    let run = http(&["-p", "HB", "POST", &url, "a=1", "n:=2"])
        .run()
        .success();
    let sent = server.received().pop().expect("a request");
    assert_eq!(run.stdout, sent.bytes(), "{run:?}");
    assert_eq!(sent.body, br#"{"a": "1", "n": 2}"#);

    let run = http(&["-p", "B", "POST", &url, "a=1"]).run().success();
    assert_eq!(run.stdout, br#"{"a": "1"}"#, "{run:?}");
}

#[test]
fn print_response_letters_and_shortcuts() {
    let resp = response(
        "200 OK",
        &[("Content-Type", "application/json"), ("X-Zeta", "z")],
        br#"{"b":1, "a":2}"#,
    );
    let (head, body) = split(&resp);
    let server = serve(resp.clone());
    let url = server.url("/r");
    for (args, want) in [
        (&["-p", "h"][..], &head),
        (&["-h"][..], &head),
        (&["--headers"][..], &head),
        (&["-p", "b"][..], &body),
        (&["-b"][..], &body),
        (&["--body"][..], &body),
        (&["-p", "hb"][..], &resp),
        (&["--print=hb"][..], &resp),
    ] {
        let run = http(args).arg(&url).run().success();
        assert_eq!(text(&run.stdout), text(want), "{args:?}\n{run:?}");
    }
    // Request letters only: the exchange still happens, nothing of the response shows.
    let run = http(&["-p", "H", &url]).run().success();
    assert!(
        !contains(&run.stdout, b"X-Zeta") && run.stdout.starts_with(b"GET /r HTTP/1.1\r\n"),
        "{run:?}"
    );
}

/// `Elapsed time: N.NNNs`, an indented timing breakdown, `Remote address: 127.0.0.1:PORT`.
#[track_caller]
fn assert_meta(meta: &str, port: u16) {
    let lines: Vec<&str> = meta.lines().collect();
    assert_eq!(lines.len(), 3, "three meta lines:\n{meta}");
    let elapsed = lines[0]
        .strip_prefix("Elapsed time: ")
        .and_then(|v| v.strip_suffix('s'))
        .and_then(|v| v.parse::<f64>().ok());
    assert!(
        elapsed.is_some_and(|e| (0.0..30.0).contains(&e)),
        "elapsed line: {meta}"
    );
    let breakdown = lines[1]
        .strip_prefix("  ")
        .unwrap_or_else(|| panic!("indented breakdown: {meta}"));
    let mut names = Vec::new();
    for part in breakdown.split(", ") {
        let (name, secs) = part
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("timing part {part:?} in {meta}"));
        assert!(
            secs.strip_suffix('s')
                .and_then(|s| s.parse::<f64>().ok())
                .is_some(),
            "seconds in {part:?}"
        );
        names.push(name);
    }
    for name in ["dns", "connect", "first byte"] {
        assert!(names.contains(&name), "{name} in breakdown: {meta}");
    }
    assert_eq!(lines[2], format!("Remote address: 127.0.0.1:{port}"));
}

#[test]
fn print_meta_shows_elapsed_breakdown_and_remote_address() {
    let server = serve_json(r#"{"body":"not shown"}"#);
    for flag in ["-m", "--meta", "-pm"] {
        let run = http(&[flag, &server.url("/")]).run().success();
        let out = run.stdout_str();
        assert!(
            !out.contains("not shown") && !out.contains("HTTP/1.1"),
            "{run:?}"
        );
        assert!(out.ends_with('\n'), "{run:?}");
        assert_meta(&out, server.port);
    }
}

/// The waterfall's glyphs, one per phase (DNS, TCP, TLS, sending, server, transfer).
const PHASE_GLYPHS: [char; 6] = ['░', '▒', '▓', '▌', '█', '▄'];

/// Text with SGR escape sequences taken out.
fn strip_sgr(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

/// On a terminal, `-m` draws the phases as a waterfall: names, durations under them and a
/// bar as wide as the terminal; with stdout a pipe (`http -m URL | cat`) the plain text is
/// unchanged.
#[test]
fn meta_on_a_terminal_is_a_waterfall_and_plain_when_piped() {
    let server = serve_json(r#"{"body":"not shown"}"#);
    let run = http(&["-m", &server.url("/")])
        .winsize(110, 30)
        .run_pty_split()
        .success();
    let shown = strip_sgr(&run.text());
    assert!(
        run.text().contains("\x1b["),
        "coloured on a terminal: {shown}"
    );
    assert!(shown.starts_with("Elapsed time: "), "{shown}");
    for phase in [
        "DNS lookup",
        "TCP connect",
        "Sending request",
        "Server processing",
        "Content transfer",
    ] {
        assert!(shown.contains(phase), "{phase} in\n{shown}");
    }
    assert!(!shown.contains("TLS"), "no TLS over plain HTTP:\n{shown}");
    assert!(shown.contains("ms") || shown.contains("µs"), "{shown}");
    let bar = shown
        .lines()
        .find(|l| !l.is_empty() && l.chars().all(|c| PHASE_GLYPHS.contains(&c)))
        .unwrap_or_else(|| panic!("a bar line in\n{shown}"));
    assert_eq!(
        bar.chars().count(),
        110,
        "as wide as the terminal:\n{shown}"
    );
    assert!(
        shown.contains(&format!("Remote address: 127.0.0.1:{}", server.port)),
        "{shown}"
    );
    assert!(!shown.contains("dns "), "not the plain breakdown:\n{shown}");

    // A narrow terminal: every line fits.
    let run = http(&["-m", &server.url("/")])
        .winsize(40, 30)
        .run_pty_split()
        .success();
    let shown = strip_sgr(&run.text());
    for line in shown
        .lines()
        .filter(|l| !l.starts_with("Remote") && !l.starts_with("Elapsed"))
    {
        assert!(line.chars().count() <= 40, "{line:?} in\n{shown}");
    }
    assert!(shown.contains("Server"), "{shown}");

    // stdout a pipe, stderr and stdin on the terminal: `http -m URL | cat`.
    let piped = Tty {
        stdin: true,
        stdout: false,
        stderr: true,
    };
    let run = http(&["-m", &server.url("/")])
        .winsize(110, 30)
        .run_pty_with(piped)
        .success();
    let out = run.stdout_str();
    assert!(!out.chars().any(|c| PHASE_GLYPHS.contains(&c)), "{out}");
    assert!(!out.contains('\x1b'), "{out:?}");
    assert_meta(&out, server.port);
}

/// `-vv` on a terminal ends with the waterfall too.
#[test]
fn verbose_twice_on_a_terminal_draws_the_waterfall() {
    let resp = response("200 OK", &[("Content-Type", "text/plain")], b"done");
    let server = serve(resp);
    let run = http(&["-vv", &server.url("/")])
        .winsize(100, 30)
        .run_pty_split()
        .success();
    let shown = strip_sgr(&run.text());
    let tail = &shown[shown.find("done").expect("the body")..];
    assert!(
        tail.contains("Elapsed time: ") && tail.contains("Server"),
        "{shown}"
    );
    assert!(
        tail.lines()
            .any(|l| !l.is_empty() && l.chars().all(|c| PHASE_GLYPHS.contains(&c))),
        "{shown}"
    );
}

#[test]
fn verbose_prints_the_request_then_the_response() {
    let resp = response(
        "201 Created",
        &[("Content-Type", "application/json")],
        b"{\"id\":7}\n",
    );
    let server = serve(resp.clone());
    let run = http(&["-v", "POST", &server.url("/items"), "name=w"])
        .run()
        .success();
    let sent = server.request();
    // The request body has no newline: a blank line separates it from the response.
    let want = [sent.bytes(), b"\n\n".to_vec(), resp].concat();
    assert_eq!(text(&run.stdout), text(&want), "{run:?}");
}

#[test]
fn verbose_twice_adds_meta_after_the_body() {
    let resp = response("200 OK", &[("Content-Type", "text/plain")], b"done");
    let server = serve(resp.clone());
    let run = http(&["-vv", &server.url("/")]).run().success();
    let sent = server.request();
    let prefix = [sent.head.clone(), resp, b"\n\n".to_vec()].concat();
    assert!(
        run.stdout.starts_with(&prefix),
        "request, response, blank line\n{run:?}"
    );
    assert_meta(&text(&run.stdout[prefix.len()..]), server.port);
}

#[test]
fn quiet_prints_nothing_keeps_exit_codes_and_errors() {
    let ok = serve_json(r#"{"a":1}"#);
    let run = http(&["-q", &ok.url("/")]).run().success();
    assert!(run.stdout.is_empty() && run.stderr.is_empty(), "{run:?}");
    assert_eq!(ok.connections(), 1, "the request is still made");

    let missing = serve(response("404 Not Found", &[], b"nope"));
    let run = http(&["-q", "--check-status", &missing.url("/")])
        .run()
        .assert_code(4);
    assert!(run.stdout.is_empty(), "{run:?}");

    let dead = dead_port();
    let url = format!("http://127.0.0.1:{dead}/");
    let run = http(&["-q", &url]).run().assert_code(1);
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(run.stderr_str().starts_with("http: error: "), "{run:?}");

    // On a terminal too: not even the status line.
    let run = http(&["-q", &ok.url("/")]).run_pty_split().success();
    assert!(run.output.is_empty(), "{run:?}");
}

#[test]
fn all_with_follow_shows_the_redirect_response_too() {
    let moved = response("302 Found", &[("Location", "/new")], b"moved\n");
    let fin = json_response(br#"{"final":true}"#);
    let (m, f) = (moved.clone(), fin.clone());
    let server = RawServer::scripted(move |conn| {
        let Ok(req) = conn.read_request() else { return };
        let reply = if req.target() == "/old" { &m } else { &f };
        let _ = conn.write(reply);
        conn.finish();
    });
    let url = server.url("/old");

    let run = http(&["--all", "--follow", "-p", "hb", &url])
        .run()
        .success();
    let want = [moved.clone(), b"\n".to_vec(), fin.clone()].concat();
    assert_eq!(text(&run.stdout), text(&want), "{run:?}");

    let run = http(&["--follow", "-p", "hb", &url]).run().success();
    assert_eq!(text(&run.stdout), text(&fin), "without --all: final only");

    let run = http(&["--all", "--follow", &url]).run().success();
    assert_eq!(
        run.stdout_str(),
        "moved\n\n{\"final\":true}",
        "redirected default (b) applies to the redirect too\n{run:?}"
    );
}

#[test]
fn body_is_not_read_unless_printed() {
    // Announces a megabyte, sends a few bytes, then never sends the rest: a client that
    // tried to read the body would block until the safety timeout.
    let head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000000\r\n\r\n";
    let server = RawServer::scripted(move |conn| {
        if conn.read_request().is_err() {
            return;
        }
        let _ = conn.write(head);
        let _ = conn.write(b"partial");
        conn.hold();
    });
    let run = http(&["-h", &server.url("/")])
        .timeout(SHORT)
        .run()
        .success();
    assert_eq!(run.stdout, head, "{run:?}");
    let run = http(&["-p", "Hh", &server.url("/")])
        .timeout(SHORT)
        .run()
        .success();
    assert!(run.stdout.ends_with(head), "{run:?}");
}

// ------------------------------------------------------------------ defaults

#[test]
fn terminal_default_is_status_headers_and_formatted_coloured_body() {
    let (head, run) = doc_on_a_terminal(&[]);
    let out = tty(&run);
    assert!(has_esc(&out), "colours on a terminal\n{run:?}");
    let want = [head, DOC_FORMATTED.as_bytes().to_vec(), b"\n".to_vec()].concat();
    assert_eq!(text(&strip_ansi(&out)), text(&want), "{run:?}");
}

#[test]
fn redirected_default_is_the_body_byte_exact() {
    let body = b"{\"b\":1,  \"a\":[true,null]}\r\n\t\x1b[0m \xff\xfe tail";
    let server = serve(json_response(body));
    let run = http(&[&server.url("/")]).run().success();
    assert_eq!(run.stdout, body, "{run:?}");
    assert!(run.stderr.is_empty(), "{run:?}");
}

#[test]
fn offline_default_prints_request_head_and_body() {
    let server = Server::echo();
    let run = http(&["--offline", "POST", &server.url("/x"), "a=1"])
        .run()
        .success();
    let want = format!(
        "POST /x HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUser-Agent: http/{VERSION}\r\n\
         Accept-Encoding: gzip, deflate, br, zstd\r\nAccept: application/json, */*;q=0.5\r\n\
         Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{{\"a\": \"1\"}}",
        server.port
    );
    assert_eq!(run.stdout_str(), want, "{run:?}");
    assert_eq!(server.hits(), 0, "offline sends nothing");
}

// ---------------------------------------------------------------- --pretty

#[test]
fn pretty_format_on_a_pipe_indents_without_colours() {
    let server = serve_json(DOC);
    let run = http(&["--pretty=format", &server.url("/")]).run().success();
    assert_eq!(run.stdout_str(), DOC_FORMATTED, "{run:?}");
}

#[test]
fn pretty_all_on_a_pipe_colours_and_indents() {
    let server = serve_json(DOC);
    let run = http(&["--pretty=all", &server.url("/")]).run().success();
    assert!(has_esc(&run.stdout), "{run:?}");
    assert_eq!(text(&strip_ansi(&run.stdout)), DOC_FORMATTED);
}

#[test]
fn pretty_colors_highlights_the_body_without_reformatting() {
    let server = serve_json(DOC);
    let run = http(&["--pretty=colors", &server.url("/")]).run().success();
    assert_eq!(text(&strip_ansi(&run.stdout)), DOC, "not reformatted");
    assert!(
        has_esc(&run.stdout),
        "--pretty=colors should colour the JSON body\n{run:?}"
    );
}

#[test]
fn pretty_none_on_a_terminal_shows_the_body_as_received() {
    let (head, run) = doc_on_a_terminal(&["--pretty=none"]);
    let want = [head, DOC.as_bytes().to_vec(), b"\n".to_vec()].concat();
    assert_eq!(text(&tty(&run)), text(&want), "{run:?}");
}

#[test]
fn no_color_on_a_terminal_keeps_formatting() {
    let server = serve_json(DOC);
    let run = http(&["-b", &server.url("/")])
        .env("NO_COLOR", "1")
        .run_pty_split()
        .success();
    let out = tty(&run);
    assert!(!has_esc(&out), "{run:?}");
    assert_eq!(text(&out), format!("{DOC_FORMATTED}\n"));
}

#[test]
fn force_color_on_a_pipe_colours_and_formats() {
    let server = serve_json(DOC);
    let run = http(&[&server.url("/")])
        .env("FORCE_COLOR", "1")
        .run()
        .success();
    assert!(has_esc(&run.stdout), "{run:?}");
    assert_eq!(text(&strip_ansi(&run.stdout)), DOC_FORMATTED);
}

#[test]
fn styles_colour_differently_and_keep_the_text() {
    let server = serve_json(DOC);
    let mut seen: Vec<(String, Vec<u8>)> = Vec::new();
    for style in ["auto", "solarized", "monokai", "mono"] {
        let run = http(&["--pretty=all", "--style", style, &server.url("/")])
            .run()
            .success();
        assert!(has_esc(&run.stdout), "{style}: {run:?}");
        assert_eq!(text(&strip_ansi(&run.stdout)), DOC_FORMATTED, "{style}");
        for (other, bytes) in &seen {
            assert_ne!(bytes, &run.stdout, "{style} looks like {other}");
        }
        seen.push((style.to_string(), run.stdout));
    }
    // mono: attributes only, no foreground colours (ESC[3Xm / ESC[38;5;Nm).
    let mono = &seen[3].1;
    assert!(
        !contains(mono, b"\x1b[3") && !contains(mono, b";3"),
        "mono uses no colour: {:?}",
        text(mono)
    );
}

/// The default style colours numbers (as written), booleans and null, each its own way.
#[test]
fn auto_colours_numbers_booleans_and_null_on_a_terminal() {
    let server = serve_json(r#"{"n":[-1.50e3,7],"t":true,"f":false,"z":null}"#);
    let run = http(&["-b", &server.url("/")]).run_pty_split().success();
    let out = text(&tty(&run));
    for want in [
        "\x1b[36m-1.50e3\x1b[0m",
        "\x1b[36m7\x1b[0m",
        "\x1b[35mtrue\x1b[0m",
        "\x1b[35mfalse\x1b[0m",
        "\x1b[1;90mnull\x1b[0m",
    ] {
        assert!(out.contains(want), "{want:?} in {out:?}");
    }
}

#[test]
fn unknown_style_is_a_usage_error_listing_the_styles() {
    let server = Server::echo();
    let run = http(&["--style", "rainbow", &server.url("/")])
        .run()
        .assert_code(1);
    let err = run.stderr_str();
    assert!(err.starts_with("http: error: "), "{run:?}");
    for name in ["rainbow", "auto", "solarized", "monokai", "mono"] {
        assert!(err.contains(name), "{name} in {err}");
    }
    assert!(run.stdout.is_empty(), "{run:?}");
    assert_eq!(server.hits(), 0);
}

const UNSORTED_BODY: &str = r#"{"z":1,"a":{"y":2,"b":3},"m":[{"k":1,"c":2}]}"#;
const UNSORTED_LEN: usize = UNSORTED_BODY.len();

/// Response with unsorted headers and keys.
fn unsorted() -> Vec<u8> {
    response(
        "200 OK",
        &[
            ("Zeta", "1"),
            ("content-type", "application/json"),
            ("Alpha", "2"),
        ],
        UNSORTED_BODY.as_bytes(),
    )
}

#[test]
fn default_keeps_the_servers_key_and_header_order() {
    let resp = unsorted();
    let (head, _) = split(&resp);
    let server = serve(resp);
    let run = http(&["-p", "hb", "--pretty=format", &server.url("/")])
        .run()
        .success();
    let body = "{\n    \"z\": 1,\n    \"a\": {\n        \"y\": 2,\n        \"b\": 3\n    },\n    \
                \"m\": [\n        {\n            \"k\": 1,\n            \"c\": 2\n        }\n    ]\n}";
    assert_eq!(
        run.stdout_str(),
        format!("{}{body}", text(&head)),
        "{run:?}"
    );
}

#[test]
fn sorted_sorts_keys_and_headers() {
    let server = serve(unsorted());
    let run = http(&["-p", "hb", "--pretty=format", "--sorted", &server.url("/")])
        .run()
        .success();
    let want = format!(
        "HTTP/1.1 200 OK\r\nAlpha: 2\r\nConnection: close\r\nContent-Length: {UNSORTED_LEN}\r\n\
         content-type: application/json\r\nZeta: 1\r\n\r\n"
    ) + "{\n    \"a\": {\n        \"b\": 3,\n        \"y\": 2\n    },\n    \"m\": [\n        {\n            \
          \"c\": 2,\n            \"k\": 1\n        }\n    ],\n    \"z\": 1\n}";
    assert_eq!(run.stdout_str(), want, "{run:?}");
}

#[test]
fn format_options_set_indent_key_and_header_sorting() {
    let server = serve(unsorted());
    let run = http(&[
        "-p",
        "hb",
        "--pretty=format",
        "--format-options",
        "json.indent:2,json.sort_keys:true,headers.sort:true",
        &server.url("/"),
    ])
    .run()
    .success();
    let want = format!(
        "HTTP/1.1 200 OK\r\nAlpha: 2\r\nConnection: close\r\nContent-Length: {UNSORTED_LEN}\r\n\
         content-type: application/json\r\nZeta: 1\r\n\r\n"
    ) + "{\n  \"a\": {\n    \"b\": 3,\n    \"y\": 2\n  },\n  \"m\": [\n    {\n      \"c\": 2,\n      \
                \"k\": 1\n    }\n  ],\n  \"z\": 1\n}";
    assert_eq!(run.stdout_str(), want, "{run:?}");

    // Only indentation: order stays the server's.
    let run = http(&[
        "--pretty=format",
        "--format-options=json.indent:2",
        &server.url("/"),
    ])
    .run()
    .success();
    assert!(
        run.stdout_str()
            .starts_with("{\n  \"z\": 1,\n  \"a\": {\n    \"y\": 2,"),
        "{run:?}"
    );
}

// ------------------------------------------------------------ JSON formatting

#[test]
fn json_is_detected_by_content_type() {
    let body = r#"{"k":[1]}"#;
    let formatted = "{\n    \"k\": [\n        1\n    ]\n}";
    for ct in [
        "application/json",
        "application/json; charset=utf-8",
        "application/vnd.api+json",
        "application/javascript",
        "text/plain",
    ] {
        let server = serve(response("200 OK", &[("Content-Type", ct)], body.as_bytes()));
        let run = http(&["--pretty=format", &server.url("/")]).run().success();
        assert_eq!(run.stdout_str(), formatted, "{ct}\n{run:?}");
    }
    // text/plain that is not JSON, and a binary type: shown as received.
    let server = serve(response(
        "200 OK",
        &[("Content-Type", "text/plain")],
        b"{not json at all",
    ));
    let run = http(&["--pretty=format", &server.url("/")]).run().success();
    assert_eq!(run.stdout_str(), "{not json at all");
    let server = serve(response(
        "200 OK",
        &[("Content-Type", "application/octet-stream")],
        body.as_bytes(),
    ));
    let run = http(&["--pretty=format", &server.url("/")]).run().success();
    assert_eq!(run.stdout_str(), body, "octet-stream is not formatted");
    // ...unless the user says it is JSON.
    for flag in ["--json", "--response-mime=application/json"] {
        let run = http(&["--pretty=format", flag, &server.url("/")])
            .run()
            .success();
        assert_eq!(run.stdout_str(), formatted, "{flag}\n{run:?}");
    }
}

#[test]
fn json_numbers_are_shown_exactly_as_received() {
    let server =
        serve_json(r#"{"big":12345678901234567890123,"f":1.10,"e":1e400,"n":-0.0,"E":2E-3}"#);
    let run = http(&["--pretty=format", &server.url("/")]).run().success();
    assert_eq!(
        run.stdout_str(),
        "{\n    \"big\": 12345678901234567890123,\n    \"f\": 1.10,\n    \"e\": 1e400,\n    \
         \"n\": -0.0,\n    \"E\": 2E-3\n}",
        "{run:?}"
    );
    // Same with sorting, which takes another code path.
    let run = http(&["--pretty=format", "--sorted", &server.url("/")])
        .run()
        .success();
    assert_eq!(
        run.stdout_str(),
        "{\n    \"E\": 2E-3,\n    \"big\": 12345678901234567890123,\n    \"e\": 1e400,\n    \
         \"f\": 1.10,\n    \"n\": -0.0\n}",
        "{run:?}"
    );
}

#[test]
fn json_duplicate_keys_are_kept() {
    let server = serve_json(r#"{"a":1,"b":2,"a":3}"#);
    let run = http(&["--pretty=format", &server.url("/")]).run().success();
    assert_eq!(
        run.stdout_str(),
        "{\n    \"a\": 1,\n    \"b\": 2,\n    \"a\": 3\n}",
        "{run:?}"
    );
}

#[test]
fn json_unicode_escapes_are_shown_as_characters() {
    let server = serve_json(r#"{"s":"caf\u00e9 \u2603 \ud83d\ude00","q":"a\"b\\c\nd"}"#);
    let run = http(&["--pretty=format", &server.url("/")]).run().success();
    assert_eq!(
        run.stdout_str(),
        "{\n    \"s\": \"café ☃ 😀\",\n    \"q\": \"a\\\"b\\\\c\\nd\"\n}",
        "{run:?}"
    );
}

#[test]
fn json_layout_matches_python_json_dumps() {
    let doc = r#"{"name":"Zoë","empty_obj":{},"empty_arr":[],"nested":{"list":[1,-2.5,0.125,
        {"deep":[[],[{}],"x"]}],"t":true,"f":false,"n":null},"esc":"tab\there \"q\" back\\slash",
        "ctl":"\u0001","top":[ "a" , 1 ],"s":""}"#;
    let server = serve_json(doc);
    let run = http(&["--pretty=format", &server.url("/")]).run().success();
    let script = "import json,sys\n\
                  sys.stdout.write(json.dumps(json.loads(sys.stdin.read()), indent=4, ensure_ascii=False))";
    let (ok, python, err) = run_python(script, doc.as_bytes());
    assert!(ok, "python3 failed: {err}");
    assert_eq!(run.stdout_str(), python, "{run:?}");
}

#[test]
fn invalid_json_is_shown_as_received() {
    let body = "{\"a\": 1,, \"b\": [tru]\n";
    let resp = json_response(body.as_bytes());
    let (head, _) = split(&resp);
    let server = serve(resp);
    let run = http(&["--pretty=format", &server.url("/")]).run().success();
    assert_eq!(run.stdout_str(), body, "{run:?}");
    let run = http(&[&server.url("/")]).run_pty_split().success();
    let want = [head, body.as_bytes().to_vec()].concat();
    assert_eq!(text(&strip_ansi(&tty(&run))), text(&want), "{run:?}");
}

#[test]
fn xssi_prefix_is_kept_and_the_json_after_it_formatted() {
    let server = serve_json(")]}',\n{\"a\":[1]}");
    let run = http(&["--pretty=format", &server.url("/")]).run().success();
    assert_eq!(
        run.stdout_str(),
        ")]}',\n{\n    \"a\": [\n        1\n    ]\n}",
        "{run:?}"
    );
}

// ------------------------------------------------------------ Content-Encoding

fn compress(coding: &str, plain: &[u8]) -> Vec<u8> {
    use flate2::write::{GzEncoder, ZlibEncoder};
    use flate2::Compression;
    match coding {
        "gzip" => {
            let mut e = GzEncoder::new(Vec::new(), Compression::default());
            e.write_all(plain).unwrap();
            e.finish().unwrap()
        }
        "deflate" => {
            let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
            e.write_all(plain).unwrap();
            e.finish().unwrap()
        }
        "br" => {
            let mut e = brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22);
            e.write_all(plain).unwrap();
            e.into_inner()
        }
        "zstd" => zstd::stream::encode_all(plain, 3).unwrap(),
        other => panic!("no encoder for {other}"),
    }
}

#[test]
fn content_encodings_are_decoded_while_headers_show_the_wire() {
    let item = "{\"text\":\"hello hello hello hello hello hello\",\"n\":[1,2,3]}";
    let plain = format!("{{\"items\":[{}]}}\n", vec![item; 20].join(","));
    for coding in ["gzip", "deflate", "br", "zstd"] {
        let compressed = compress(coding, plain.as_bytes());
        assert_ne!(compressed.len(), plain.len());
        let resp = response(
            "200 OK",
            &[("Content-Type", "text/plain"), ("Content-Encoding", coding)],
            &compressed,
        );
        let (head, _) = split(&resp);
        let head_text = text(&head);
        assert!(head_text.contains(&format!("Content-Length: {}\r\n", compressed.len())));
        let server = serve(resp);
        let run = http(&["-p", "hb", &server.url("/")]).run().success();
        assert_eq!(
            run.stdout,
            [head.clone(), plain.as_bytes().to_vec()].concat(),
            "{coding}\n{run:?}"
        );
        // Formatting works on the decoded content too.
        let run = http(&["--pretty=format", "--json", &server.url("/")])
            .run()
            .success();
        assert!(
            run.stdout_str()
                .starts_with("{\n    \"items\": [\n        {\n            \"text\": \"hello hello"),
            "{coding}: {run:?}"
        );
    }
}

// -------------------------------------------------------------------- charset

#[test]
fn latin1_body_is_decoded_on_a_terminal_and_exact_when_redirected() {
    let server = serve(response(
        "200 OK",
        &[("Content-Type", "text/plain; charset=iso-8859-1")],
        b"caf\xe9",
    ));
    let run = http(&["-b", &server.url("/")]).run_pty_split().success();
    assert_eq!(text(&tty(&run)), "café\n", "{run:?}");
    let run = http(&[&server.url("/")]).run().success();
    assert_eq!(run.stdout, b"caf\xe9", "{run:?}");
}

#[test]
fn response_charset_overrides_the_servers() {
    let server = serve(response(
        "200 OK",
        &[("Content-Type", "text/plain; charset=utf-8")],
        b"na\xefve caf\xe9",
    ));
    let run = http(&["-b", "--response-charset=iso-8859-1", &server.url("/")])
        .run_pty_split()
        .success();
    assert_eq!(text(&tty(&run)), "naïve café\n", "{run:?}");
    // Formatted output is UTF-8 even on a pipe; raw output is never transcoded.
    let run = http(&[
        "--pretty=format",
        "--response-charset=latin1",
        &server.url("/"),
    ])
    .run()
    .success();
    assert_eq!(run.stdout, "naïve café".as_bytes(), "{run:?}");
    let run = http(&["--response-charset=latin1", &server.url("/")])
        .run()
        .success();
    assert_eq!(run.stdout, b"na\xefve caf\xe9", "{run:?}");
}

#[test]
fn invalid_utf8_is_replaced_on_a_terminal_and_exact_when_redirected() {
    let body = b"ok \xff\xfe bytes \xc3(\n";
    let server = serve(response(
        "200 OK",
        &[("Content-Type", "text/plain; charset=utf-8")],
        body,
    ));
    let run = http(&["-b", &server.url("/")]).run_pty_split().success();
    assert_eq!(
        text(&tty(&run)),
        "ok \u{fffd}\u{fffd} bytes \u{fffd}(\n",
        "{run:?}"
    );
    assert!(
        std::str::from_utf8(&tty(&run)).is_ok(),
        "terminal output is valid UTF-8"
    );
    let run = http(&[&server.url("/")]).run().success();
    assert_eq!(run.stdout, body, "{run:?}");
}

/// XML re-indenting leaves the text of mixed content alone (it used to lose the spaces
/// around `<b>x</b>`).
#[test]
fn xml_mixed_content_keeps_its_text() {
    let body = b"<doc><p>Why <b>x</b> are great</p><n>1</n></doc>";
    let server = serve(response(
        "200 OK",
        &[("Content-Type", "application/xml")],
        body,
    ));
    let run = http(&["--pretty=format", &server.url("/")]).run().success();
    assert_eq!(
        run.stdout_str(),
        "<doc>\n  <p>Why <b>x</b> are great</p>\n  <n>1</n>\n</doc>"
    );
}

/// A page with a doctype, a comment, attributes, entities, raw-text `<script>`, and an
/// escape sequence the terminal must not obey.
const PAGE: &[u8] = b"<!DOCTYPE html>\n<html lang=\"en\"><!-- c --><p class=x>A &amp; B</p>\
    <script>if (a<b) {}</script>\x1b[2J</html>\n";

/// HTML is coloured on a terminal, as HTTPie does: tag names, attribute names and values,
/// entities and comments each in their paint; the text is unchanged and still neutralised.
#[test]
fn html_is_highlighted_on_a_terminal() {
    let server = serve(response(
        "200 OK",
        &[("Content-Type", "text/html; charset=utf-8")],
        PAGE,
    ));
    let run = http(&["-b", &server.url("/")]).run_pty_split().success();
    let out = text(&tty(&run));
    for painted in [
        "\x1b[90m<!DOCTYPE html>",   // doctype: muted
        "\x1b[1;34mhtml\x1b[0m",     // tag name: bold blue (JSON keys' paint)
        "\x1b[36mlang\x1b[0m",       // attribute name: cyan (header names' paint)
        "\x1b[32m\"en\"\x1b[0m",     // attribute value: green (strings' paint)
        "\x1b[35m&amp;\x1b[0m",      // entity: magenta
        "\x1b[90m<!-- c -->\x1b[0m", // comment: muted
    ] {
        assert!(out.contains(painted), "{painted:?} in {out:?}");
    }
    // Script content is raw text: `<b` there is no tag.
    assert!(out.contains("if (a<b) {}"), "{out:?}");
    let shown = text(&strip_ansi(&tty(&run)));
    assert_eq!(
        shown,
        text(PAGE).replace('\x1b', "\\x1b"),
        "only paint added, the escape neutralised"
    );
    // Redirected: exactly the bytes received; `--pretty=all` colours there too.
    let run = http(&["-b", &server.url("/")]).run().success();
    assert_eq!(run.stdout, PAGE);
    let run = http(&["-b", "--pretty=all", &server.url("/")])
        .run()
        .success();
    assert!(run.stdout_str().contains("\x1b[1;34mp\x1b[0m"), "{run:?}");
    // (Not a terminal: the page's own escape is passed through, as HTTPie does.)
    assert_eq!(strip_ansi(&run.stdout), strip_ansi(PAGE));
    let run = http(&["-b", "--pretty=format", &server.url("/")])
        .run()
        .success();
    assert_eq!(run.stdout, PAGE, "formatting leaves HTML alone");
}

/// XML that is coloured but not re-indented (`--pretty=colors`) goes through the same lexer.
#[test]
fn xml_with_colours_only_is_highlighted_as_received() {
    let body = b"<?xml version=\"1.0\"?><a x=\"1\"><b>t &amp; u</b></a>";
    let server = serve(response(
        "200 OK",
        &[("Content-Type", "application/xml")],
        body,
    ));
    let run = http(&["-b", "--pretty=colors", &server.url("/")])
        .run()
        .success();
    let out = run.stdout_str();
    assert!(out.contains("\x1b[1;34mb\x1b[0m"), "{out:?}");
    assert!(out.contains("\x1b[35m&amp;\x1b[0m"), "{out:?}");
    assert_eq!(strip_ansi(&run.stdout), body, "not re-indented");
}

// --------------------------------------------------------------------- binary

#[test]
fn binary_body_shows_a_notice_on_a_terminal_and_is_exact_when_redirected() {
    let mut body = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    body.extend((0u8..=255).cycle().take(5000));
    let resp = response("200 OK", &[("Content-Type", "image/png")], &body);
    let (head, _) = split(&resp);
    let server = serve(resp);
    let run = http(&[&server.url("/")]).run_pty_split().success();
    let out = tty(&run);
    let plain = strip_ansi(&out);
    assert!(plain.starts_with(&head), "{run:?}");
    let rest = text(&plain[head.len()..]);
    assert!(
        rest.contains("NOTE: binary data not shown in terminal"),
        "{run:?}"
    );
    assert!(
        !contains(&out, b"IHDR") && !contains(&out, b"\x00"),
        "{run:?}"
    );

    let run = http(&[&server.url("/")]).run().success();
    assert_eq!(run.stdout, body);
    // Formatted or coloured to a pipe: the notice, as HTTPie prints it, never the bytes
    // decoded as text (0x89 came out as the UTF-8 of windows-1252's '‰').
    for pretty in ["all", "format", "colors"] {
        let run = http(&["--pretty", pretty, &server.url("/")])
            .run()
            .success();
        let plain = strip_ansi(&run.stdout);
        assert_eq!(
            text(&plain).trim_end(),
            "+-----------------------------------------+\n\
             | NOTE: binary data not shown in terminal |\n\
             +-----------------------------------------+",
            "--pretty={pretty}: {run:?}"
        );
    }
    let run = http(&["-o", "img.png", &server.url("/")]).run().success();
    assert_eq!(std::fs::read(run.home().join("img.png")).unwrap(), body);
}

// ------------------------------------------------------------ escape sequences

/// ESC sequences in a text body: colour, screen clear, window title change.
const HOSTILE_BODY: &[u8] = b"hi \x1b[31mred \x1b[2J there \x1b]0;pwned\x07\n";

/// ESC sequences in a header value (the body is harmless).
fn hostile_header() -> Vec<u8> {
    response(
        "200 OK",
        &[("Content-Type", "text/plain"), ("X-Evil", "\x1b[31mred")],
        b"fine\n",
    )
}

/// The same in the reason phrase.
fn hostile_reason() -> Vec<u8> {
    response(
        "200 OK \x1b]0;title\x07",
        &[("Content-Type", "text/plain")],
        b"fine\n",
    )
}

#[test]
fn escape_sequences_in_a_body_are_shown_not_executed_on_a_terminal() {
    let resp = response("200 OK", &[("Content-Type", "text/plain")], HOSTILE_BODY);
    let server = serve(resp);
    let run = http(&["--pretty=none", &server.url("/")])
        .run_pty_split()
        .success();
    let out = tty(&run);
    assert!(!has_esc(&out), "no raw ESC reaches the terminal\n{run:?}");
    assert!(
        text(&out).ends_with("\r\n\r\nhi \\x1b[31mred \\x1b[2J there \\x1b]0;pwned\\x07\n"),
        "{run:?}"
    );

    // With colours (which contain ESC themselves) the server's sequences still never
    // appear verbatim; the same with JSON strings, which are formatted.
    let run = http(&[&server.url("/")]).run_pty_split().success();
    let out = tty(&run);
    for seq in [&b"\x1b[31mred"[..], b"\x1b]0;", b"\x1b[2J", b"\x07"] {
        assert!(!contains(&out, seq), "{:?} in {run:?}", text(seq));
    }
    assert!(contains(&out, b"\\x1b[2J"), "{run:?}");
}

#[test]
fn escape_sequences_in_a_body_are_byte_exact_when_redirected() {
    let server = serve(response(
        "200 OK",
        &[("Content-Type", "text/plain")],
        HOSTILE_BODY,
    ));
    let run = http(&[&server.url("/")]).run().success();
    assert_eq!(run.stdout, HOSTILE_BODY, "{run:?}");
    let run = http(&["--pretty=format", &server.url("/")]).run().success();
    assert_eq!(
        run.stdout, HOSTILE_BODY,
        "formatting on a pipe keeps them too\n{run:?}"
    );
}

/// ESC and BEL in a head are rejected by the HTTP parser (RFC 9110 allows neither): the
/// response is reported as invalid, one line, exit 1, and nothing from it reaches the screen.
#[test]
fn control_bytes_in_a_header_value_or_reason_are_reported_not_shown() {
    for resp in [hostile_header(), hostile_reason()] {
        let server = serve(resp);
        let run = http(&["--pretty=none", &server.url("/")]).run_pty_split();
        assert_eq!(run.code, 1, "{run:?}");
        let out = tty(&run);
        assert!(!has_esc(&out), "no raw ESC reaches the terminal\n{run:?}");
        assert!(
            !contains(&out, b"red") && !contains(&out, b"title"),
            "{run:?}"
        );
        let err = run.stderr_str();
        assert_eq!(err.lines().count(), 1, "{run:?}");
        assert!(
            err.starts_with("http: error: invalid response from 127.0.0.1:"),
            "{run:?}"
        );

        let run = http(&["-p", "hb", &server.url("/")]).run();
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
    }
}

/// A C1 control (U+009B, CSI) is valid obs-text to the parser, so the head arrives; on a
/// terminal it is shown as text, when redirected it is written byte-exact.
#[test]
fn c1_controls_in_a_header_value_are_shown_not_executed() {
    let resp = response(
        "200 OK \u{9b}2J",
        &[("Content-Type", "text/plain"), ("X-Evil", "\u{9b}31mred")],
        b"fine\n",
    );
    let server = serve(resp.clone());
    let run = http(&["--pretty=none", &server.url("/")])
        .run_pty_split()
        .success();
    let out = tty(&run);
    assert!(
        !contains(&out, "\u{9b}".as_bytes()),
        "no raw CSI reaches the terminal\n{run:?}"
    );
    let shown = text(&out);
    assert!(shown.contains("\r\nX-Evil: \\u{9b}31mred\r\n"), "{run:?}");
    assert!(
        shown.starts_with("HTTP/1.1 200 OK \\u{9b}2J\r\n"),
        "{run:?}"
    );
    let run = http(&["-p", "hb", &server.url("/")]).run().success();
    assert_eq!(run.stdout, resp, "{run:?}");
}

// ------------------------------------------------------------------ streaming

/// A server that sends `head`, then each chunk in `chunks`, waiting on the matching gate
/// before every chunk after the first; then closes. Returns the openers.
fn paced(head: Vec<u8>, chunks: Vec<Vec<u8>>) -> (RawServer, Vec<Opener>) {
    let (gates, openers): (Vec<Gate>, Vec<Opener>) = (1..chunks.len()).map(|_| gate()).unzip();
    let server = RawServer::scripted(move |conn| {
        if conn.read_request().is_err() {
            return;
        }
        if conn.write(&head).is_err() {
            return;
        }
        for (i, chunk) in chunks.iter().enumerate() {
            if i > 0 {
                gates[i - 1].wait();
            }
            if conn.write(chunk).is_err() {
                return;
            }
        }
        conn.finish();
    });
    (server, openers)
}

#[test]
fn stream_shows_each_line_before_the_server_sends_the_next() {
    let (server, openers) = paced(
        head(
            "200 OK",
            &[("Content-Type", "text/plain"), ("Connection", "close")],
        ),
        vec![b"one\n".to_vec(), b"two\n".to_vec(), b"three\n".to_vec()],
    );
    let mut running = http(&["--stream", &server.url("/")]).timeout(SHORT).spawn();
    running.wait_stdout("one\n");
    openers[0].open();
    running.wait_stdout("two\n");
    openers[1].open();
    let run = running.wait().success();
    assert_eq!(run.stdout_str(), "one\ntwo\nthree\n");
}

#[test]
fn event_stream_lines_appear_as_they_arrive_on_a_terminal() {
    let (server, openers) = paced(
        head(
            "200 OK",
            &[
                ("Content-Type", "text/event-stream"),
                ("Connection", "close"),
            ],
        ),
        vec![
            b"data: {\"n\":1}\n\n".to_vec(),
            b"data: {\"n\":2}\n\n".to_vec(),
        ],
    );
    // Each event's JSON is formatted as it arrives.
    let mut session = http(&["-b", "--pretty=format", &server.url("/")])
        .timeout(SHORT)
        .spawn_pty_with(Tty::SPLIT);
    session.wait_output("\"n\": 1");
    openers[0].open();
    session.wait_output("\"n\": 2");
    let run = session.wait().success();
    assert_eq!(
        text(&strip_ansi(&tty(&run))),
        "data: {\n    \"n\": 1\n}\n\ndata: {\n    \"n\": 2\n}\n\n",
        "{run:?}"
    );
}

#[test]
fn stream_formats_ndjson_line_by_line() {
    let chunk = |s: &str| format!("{:x}\r\n{s}\r\n", s.len()).into_bytes();
    let (server, openers) = paced(
        head(
            "200 OK",
            &[
                ("Content-Type", "application/x-ndjson"),
                ("Transfer-Encoding", "chunked"),
                ("Connection", "close"),
            ],
        ),
        vec![
            chunk("{\"a\":1}\n"),
            chunk("{\"b\":[2]}\n"),
            b"0\r\n\r\n".to_vec(),
        ],
    );
    let mut running = http(&["-S", "--pretty=format", &server.url("/")])
        .timeout(SHORT)
        .spawn();
    running.wait_stdout("{\n    \"a\": 1\n}\n");
    openers[0].open();
    running.wait_stdout("{\n    \"b\": [\n        2\n    ]\n}\n");
    openers[1].open();
    let run = running.wait().success();
    assert_eq!(
        run.stdout_str(),
        "{\n    \"a\": 1\n}\n{\n    \"b\": [\n        2\n    ]\n}\n"
    );
}

/// NDJSON served as text/plain: under `-S --pretty=format` each JSON line is formatted (as in
/// HTTPie; they used to be printed raw), a line that is not JSON is shown as received.
#[test]
fn stream_formats_json_lines_of_a_text_body() {
    let server = serve(response(
        "200 OK",
        &[("Content-Type", "text/plain")],
        b"{\"a\":1}\nplain line\n{\"b\":[2]}\n",
    ));
    let run = http(&["-S", "--pretty=format", &server.url("/")])
        .run()
        .success();
    assert_eq!(
        run.stdout_str(),
        "{\n    \"a\": 1\n}\nplain line\n{\n    \"b\": [\n        2\n    ]\n}\n"
    );
}

#[test]
fn stream_shows_a_partial_line_before_the_server_continues() {
    for extra in [&[][..], &["--pretty=format"][..]] {
        let (server, openers) = paced(
            head(
                "200 OK",
                &[("Content-Type", "text/plain"), ("Connection", "close")],
            ),
            vec![b"partial".to_vec(), b" rest\nnext\n".to_vec()],
        );
        let mut running = http(&["--stream"])
            .args(extra)
            .arg(server.url("/"))
            .timeout(SHORT)
            .spawn();
        running.wait_stdout("partial");
        openers[0].open();
        let run = running.wait().success();
        assert_eq!(run.stdout_str(), "partial rest\nnext\n", "{extra:?}");
    }
}

// ------------------------------------------------------------------ -o FILE

#[test]
fn output_file_gets_what_stdout_would_as_not_a_terminal() {
    let server = serve_json(DOC);
    let run = http(&["-o", "out.json", &server.url("/")])
        .run_pty_split()
        .success();
    assert!(run.output.is_empty(), "nothing on the terminal\n{run:?}");
    let saved = std::fs::read(run.home().join("out.json")).expect("output file");
    assert_eq!(text(&saved), DOC, "body only, raw, no colours");

    // With explicit print selection the file gets exactly that, uncoloured.
    let resp = json_response(DOC.as_bytes());
    let server = serve(resp.clone());
    let run = http(&["-p", "hb", "--output", "all.txt", &server.url("/")])
        .run()
        .success();
    assert!(run.stdout.is_empty(), "{run:?}");
    assert_eq!(
        std::fs::read(run.home().join("all.txt")).expect("output file"),
        resp
    );
}

// ---------------------------------------------------------------- closed pipe

/// Runs `cmd` with stdout on a pipe that is closed after reading 10 bytes; returns the
/// exit status and stderr.
fn run_and_close_stdout_early(cmd: Cmd) -> (std::process::ExitStatus, String) {
    let mut command = cmd.command(&[]);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn http");
    let pid = child.id() as i32;
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut first = [0u8; 10];
    stdout
        .read_exact(&mut first)
        .expect("first bytes of the body");
    drop(stdout); // like `head -c 10` exiting
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut err = Vec::new();
        let _ = stderr.read_to_end(&mut err);
        let status = child.wait();
        let _ = tx.send((status, err));
    });
    match rx.recv_timeout(TIMEOUT) {
        Ok((status, err)) => (status.expect("wait"), text(&err)),
        Err(_) => {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
            panic!("http kept running after its stdout was closed");
        }
    }
}

#[test]
fn closed_pipe_ends_quietly_for_a_raw_body() {
    let big: Vec<u8> = b"0123456789abcdef\n".repeat(20 * 1024 * 1024 / 17);
    let server = Server::start(move |_| {
        Reply::ok()
            .header("Content-Type", "application/octet-stream")
            .body(big.clone())
    });
    let (status, stderr) = run_and_close_stdout_early(http(&[&server.url("/big")]));
    assert_eq!(
        (status.code(), stderr.as_str()),
        (Some(0), ""),
        "exit quietly with 0 ({status:?})"
    );
}

#[test]
fn closed_pipe_ends_quietly_for_a_formatted_body() {
    let mut big = String::from("[");
    for i in 0..400_000 {
        if i > 0 {
            big.push(',');
        }
        big.push_str(&format!("{{\"i\":{i},\"s\":\"some text here\"}}"));
    }
    big.push(']');
    assert!(big.len() > 10 * 1024 * 1024);
    let server = Server::start(move |_| Reply::json(&big));
    let (status, stderr) =
        run_and_close_stdout_early(http(&["--pretty=all", &server.url("/big.json")]));
    assert_eq!(
        (status.code(), stderr.as_str()),
        (Some(0), ""),
        "exit quietly with 0 ({status:?})"
    );
}

// ---------------------------------------------------------------------- --as

/// Lower-cased name and value, without the headers a tool computes itself, by name (a
/// header curl adds itself, such as `Accept: */*`, comes at its own place; lines of one name
/// keep their order).
fn comparable_headers(r: &Recorded) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(k, _)| {
            // Accept-Encoding: curl asks for what it decodes (`--compressed`); see
            // as_curl_and_as_python_decode_a_compressed_body.
            !["host", "content-length", "expect", "accept-encoding"]
                .contains(&k.to_ascii_lowercase().as_str())
        })
        .map(|(k, v)| {
            let v = if k.eq_ignore_ascii_case("content-type") && v.starts_with("multipart/") {
                v.split(';').next().unwrap_or("").to_string()
            } else {
                v.clone()
            };
            (k.to_ascii_lowercase(), v)
        })
        .collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    headers
}

/// Multipart parts as (lower-cased part headers, content), boundary-independent.
/// One multipart part: its headers (lower-cased names) and its content.
type Part = (Vec<(String, String)>, Vec<u8>);

fn multipart_parts(r: &Recorded) -> Vec<Part> {
    let ct = r.header("content-type").unwrap_or_default();
    let boundary = ct
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .unwrap_or_else(|| panic!("no boundary in {ct}"))
        .trim_matches('"');
    let delim = format!("--{boundary}");
    let body = &r.body;
    let mut parts = Vec::new();
    let mut positions = Vec::new();
    let mut i = 0;
    while let Some(p) = body[i..]
        .windows(delim.len())
        .position(|w| w == delim.as_bytes())
    {
        positions.push(i + p);
        i += p + delim.len();
    }
    for pair in positions.windows(2) {
        let part = &body[pair[0] + delim.len()..pair[1]];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let (h, content) = split(&[b"X 0\r\n".as_slice(), part].concat());
        let headers = text(&h)
            .split("\r\n")
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        parts.push((headers, content));
    }
    parts
}

/// Sends `args` (with `URL` replaced) with `http` itself and with the command printed by
/// `--as=curl`, both from `dir`, and compares what the server received.
fn check_as_curl(args: &[&str], dir: &Path) {
    let server = Server::echo();
    let url = server.url("/path/x");
    let args: Vec<String> = args.iter().map(|a| a.replace("URL", &url)).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let printed = http(&["--as=curl"])
        .args(&args)
        .current_dir(dir)
        .run()
        .success();
    assert_eq!(server.hits(), 0, "--as=curl sends nothing");
    let command = printed.stdout_str();
    assert!(command.starts_with("curl "), "{printed:?}");
    require("curl");

    http(&args).current_dir(dir).run().success();
    let ours = server.request();

    let run = Cmd::program("/bin/sh", &["-c", command.trim_end()])
        .current_dir(dir)
        .run();
    assert_eq!(run.code, 0, "curl failed: {command}\n{run:?}");
    let all = server.requests();
    assert_eq!(all.len(), 2, "curl sent one request: {command}");
    let curls = &all[1];

    let what = format!("http {}\ncurl command: {command}", args.join(" "));
    assert_eq!(curls.method, ours.method, "method\n{what}");
    assert_eq!(curls.url, ours.url, "path and query\n{what}");
    assert_eq!(
        comparable_headers(curls),
        comparable_headers(&ours),
        "headers\n{what}"
    );
    let multipart = ours
        .header("content-type")
        .is_some_and(|c| c.starts_with("multipart/"));
    if multipart {
        assert_eq!(
            multipart_parts(curls),
            multipart_parts(&ours),
            "parts\n{what}"
        );
    } else {
        assert_eq!(curls.body_str(), ours.body_str(), "body\n{what}");
    }
}

#[test]
fn as_curl_reproduces_the_request() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("up.txt"), "file content\nline 2\n").unwrap();
    std::fs::write(dir.path().join("body.json"), "{\"from\": \"file\"}\n").unwrap();
    for args in [
        &["URL", "q==1", "q==two words", "X-A:b c", "X-Empty;"][..],
        &[
            "POST",
            "URL",
            "a=1",
            "n:=2",
            "tags:=[\"x\",\"y\"]",
            "quote=it's",
        ],
        &["-f", "POST", "URL", "a=1", "b=x y&z=é"],
        &[
            "PUT",
            "URL",
            "--raw",
            "plain text body",
            "Content-Type:text/plain",
        ],
        &["-a", "user:s3cret", "URL"],
        &["-f", "POST", "URL", "a=1", "f@up.txt"],
        &["PATCH", "URL", "@body.json"],
        &["PURGE", "URL", "Accept:text/html"],
    ] {
        check_as_curl(args, dir.path());
    }
}

#[test]
fn as_curl_keeps_removed_default_headers_removed() {
    let dir = tempfile::tempdir().unwrap();
    check_as_curl(&["URL", "User-Agent:", "Accept:"], dir.path());
}

/// A server that gzips its answer whatever was asked (as some do), and records what was.
fn gzip_server(plain: &'static str) -> Server {
    Server::start(move |_| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(plain.as_bytes()).unwrap();
        Reply::text("")
            .header("Content-Encoding", "gzip")
            .body(enc.finish().unwrap())
    })
}

/// What `--as=curl` and `--as=python` print, run against a compressing server, prints the
/// body decoded, as `http` does; and neither asks for an encoding its tool cannot decode.
#[test]
fn as_curl_and_as_python_decode_a_compressed_body() {
    const PLAIN: &str = "plain text, once gzipped\n";
    let server = gzip_server(PLAIN);
    let url = server.url("/z");
    let ours = http(&[&url]).run().success();
    assert_eq!(ours.stdout_str(), PLAIN);

    if on_path("curl") || Path::new("/usr/bin/curl").is_file() {
        let command = http(&["--as=curl", &url]).run().success().stdout_str();
        assert!(command.contains("--compressed"), "{command}");
        let run = Cmd::program("/bin/sh", &["-c", command.trim_end()]).run();
        assert_eq!(run.code, 0, "curl failed: {command}\n{run:?}");
        assert_eq!(run.stdout_str(), PLAIN, "{command}");
    } else {
        eprintln!("skipped the curl half: curl is not installed");
    }

    let (has_requests, _, _) = run_python("import requests", b"");
    if !has_requests {
        eprintln!("skipped the python half: python3 with requests is not installed");
        return;
    }
    let code = http(&["--as=python", &url]).run().success().stdout_str();
    assert!(!code.contains("Accept-Encoding"), "{code}");
    let before = server.hits();
    let (ok, out, err) = run_python(&code, b"");
    assert!(ok, "{code}\n{err}");
    assert_eq!(out, format!("200 OK\n{PLAIN}\n"), "{code}");
    assert_eq!(server.hits(), before + 1);
    // requests' own default: only encodings it decodes with the modules at hand.
    let (_, default, _) = run_python(
        "import requests.utils; print(requests.utils.default_headers()['Accept-Encoding'])",
        b"",
    );
    let sent = server.requests().pop().unwrap();
    assert_eq!(sent.header("accept-encoding"), Some(default.trim_end()));
}

#[test]
fn as_python_prints_valid_requests_code() {
    let server = Server::echo();
    let url = server.url("/api");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("up.txt"), "content").unwrap();
    let check = "import ast,sys; ast.parse(sys.stdin.read())";
    for (args, needles) in [
        (
            vec![
                "POST",
                url.as_str(),
                "a=1",
                "n:=2",
                "ok:=true",
                "nested[k]=v",
            ],
            vec!["json=", "\"POST\""],
        ),
        (
            vec!["-f", "POST", url.as_str(), "a=1", "b=it's"],
            vec!["data="],
        ),
        (
            vec!["-f", "POST", url.as_str(), "a=1", "f@up.txt"],
            vec!["files=", "up.txt"],
        ),
        (vec!["-a", "user:pass", url.as_str()], vec!["auth="]),
        (vec!["--timeout", "2.5", url.as_str()], vec!["timeout="]),
        (vec!["--verify=no", url.as_str()], vec!["verify=False"]),
    ] {
        let run = http(&["--as=python"])
            .args(&args)
            .current_dir(dir.path())
            .run()
            .success();
        let code = run.stdout_str();
        assert!(code.contains("import requests"), "{run:?}");
        for needle in needles {
            assert!(code.contains(needle), "{needle} in\n{code}");
        }
        let (ok, _, err) = run_python(check, code.as_bytes());
        assert!(ok, "not valid Python for {args:?}:\n{code}\n{err}");
    }
    assert_eq!(server.hits(), 0, "--as=python sends nothing");
}

// ----------------------------------------------------------------- exit codes

#[test]
fn check_status_warning_only_when_stdout_is_not_a_terminal() {
    let server = serve(response(
        "404 Not Found",
        &[("Content-Type", "text/plain")],
        b"gone\n",
    ));
    let run = http(&["--check-status", &server.url("/")])
        .run()
        .assert_code(4);
    assert_eq!(run.stderr_str(), "http: warning: HTTP 404 Not Found\n");
    assert_eq!(run.stdout, b"gone\n");

    let run = http(&["--check-status", &server.url("/")])
        .run_pty_split()
        .assert_code(4);
    assert!(run.stderr.is_empty(), "{run:?}");
    assert!(
        text(&strip_ansi(&tty(&run))).starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{run:?}"
    );

    let run = http(&[&server.url("/")]).run().success();
    assert!(run.stderr.is_empty(), "no --check-status: no warning");
}

#[test]
fn check_status_maps_status_classes_to_exit_codes() {
    for (status, code, reason) in [
        ("200 OK", 0, ""),
        ("301 Moved Permanently", 3, "HTTP 301 Moved Permanently"),
        ("418 I'm a teapot", 4, "HTTP 418 I'm a teapot"),
        ("503 Service Unavailable", 5, "HTTP 503 Service Unavailable"),
    ] {
        let server = serve(response(status, &[("Location", "/elsewhere")], b""));
        let run = http(&["--check-status", &server.url("/")])
            .run()
            .assert_code(code);
        let warning = if reason.is_empty() {
            String::new()
        } else {
            format!("http: warning: {reason}\n")
        };
        assert_eq!(run.stderr_str(), warning, "{status}");
    }
}

/// A 101 Switching Protocols is the final response: its header names are shown as the
/// server sent them, as for any other status.
#[test]
fn switching_protocols_keeps_header_case() {
    let server = RawServer::respond(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\
         X-Mixed-Case: Yes\r\n\r\n",
    );
    let run = http(&["-h", &server.url("/")]).run().success();
    assert_eq!(
        run.stdout_str(),
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\
         X-Mixed-Case: Yes\r\n\r\n"
    );
}

/// Nesting `depth` arrays deep, `times` over, inside one array: about `2 * depth * times`
/// bytes whose indented layout would grow with depth squared.
fn deep_arrays(depth: usize, times: usize) -> Vec<u8> {
    let one = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    format!("[{}]", vec![one; times].join(",")).into_bytes()
}

/// A small gzip body that decodes to deeply nested JSON: formatting stops at a bound (a
/// small multiple of the body) with a note, and the rest is shown as received, instead of
/// allocating gigabytes. Both the in-memory path (under 1 MiB) and the streaming one.
#[test]
fn deeply_nested_json_cannot_blow_up_the_output() {
    for (times, gzip) in [(50, true), (120, false)] {
        let plain = deep_arrays(9_990, times);
        let resp = if gzip {
            let body = compress("gzip", &plain);
            assert!(body.len() < 8 * 1024, "{}", body.len());
            let headers = [
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ];
            response("200 OK", &headers, &body)
        } else {
            json_response(&plain)
        };
        let server = serve(resp);
        let run = http(&["--pretty=format", "-b", &server.url("/")])
            .run()
            .success();
        let bound = 8 * plain.len() + 64 * 1024 + 4096;
        assert!(
            run.stdout.len() <= bound,
            "{} bytes out for {} in",
            run.stdout.len(),
            plain.len()
        );
        let out = run.stdout_str();
        assert!(
            out.contains("[http: formatting stopped"),
            "{}",
            &out[out.len() - 300..]
        );
        // Nothing lost: every bracket of the body is in the output.
        assert_eq!(
            out.matches('[').count(),
            plain.iter().filter(|b| **b == b'[').count() + 1
        );
    }
}

/// `--sorted` sorts bodies up to 1 MiB; a larger one is formatted in order, with a note,
/// instead of being held in memory whole.
#[test]
fn sorted_has_a_size_limit() {
    let item = r#"{"b": 1, "a": 2}"#;
    let big = format!("[{}]", vec![item; 80_000].join(","));
    assert!(big.len() > 1 << 20);
    let server = serve(json_response(big.as_bytes()));
    let run = http(&["--pretty=format", "--sorted", "-b", &server.url("/")])
        .run()
        .success();
    let out = run.stdout_str();
    assert!(out.contains("\"b\": 1,\n        \"a\": 2"), "kept in order");
    assert!(
        out.contains("[http: not sorted: --sorted sorts bodies up to 1 MiB"),
        "{}",
        &out[out.len() - 200..]
    );

    let small = format!("[{}]", [item; 10].join(","));
    let server = serve(json_response(small.as_bytes()));
    let run = http(&["--pretty=format", "--sorted", "-b", &server.url("/")])
        .run()
        .success();
    assert!(
        run.stdout_str().contains("\"a\": 2,\n        \"b\": 1"),
        "{run:?}"
    );
}

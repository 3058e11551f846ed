//! Fault injection: bad input from the network (garbage status line, truncated body, reset
//! connection, invalid chunking, huge headers, corrupt compression, invalid UTF-8, escape
//! sequences, a stalled server) is reported clearly, never crashes, never corrupts the
//! terminal, and never reports success for a partial transfer.
//!
//! Every failing case asserts the exit code and that stderr is exactly one line,
//! `http: error: ...`, naming the problem, without a panic or backtrace. Terminal runs also
//! assert that no raw ESC byte sent by the server reaches the pty.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::harness::*;

/// Safety limit for these runs: every case is expected to finish in well under a second, so
/// a hang fails after this instead of the harness's generous default.
const LIMIT: Duration = Duration::from_secs(10);

// ------------------------------------------------------------------ helpers

/// `http ARGS... URL` with the shorter safety limit.
fn cmd(args: &[&str], url: &str) -> Cmd {
    http(args).arg(url).timeout(LIMIT)
}

/// A server that reads the request, writes `bytes`, then closes gracefully (FIN).
fn reply(bytes: impl Into<Vec<u8>>) -> RawServer {
    let bytes = bytes.into();
    RawServer::scripted(move |conn| {
        if conn.read_request().is_err() {
            return;
        }
        // The client may give up (and close) before reading everything: not our failure.
        let _ = conn.write(&bytes);
        conn.finish();
    })
}

/// A server that reads the request, writes `bytes`, then resets the connection (RST).
fn reply_then_reset(bytes: impl Into<Vec<u8>>) -> RawServer {
    let bytes = bytes.into();
    RawServer::scripted(move |conn| {
        if conn.read_request().is_err() {
            return;
        }
        if !bytes.is_empty() && conn.write(&bytes).is_err() {
            return;
        }
        conn.reset();
    })
}

/// A server that reads the request, writes `bytes`, then neither sends nor closes until the
/// server is dropped.
fn reply_then_stall(bytes: impl Into<Vec<u8>>) -> RawServer {
    let bytes = bytes.into();
    RawServer::scripted(move |conn| {
        if conn.read_request().is_err() {
            return;
        }
        if conn.write(&bytes).is_err() {
            return;
        }
        conn.hold();
    })
}

/// `HTTP/1.1 200 OK`, the given headers, `Connection: close`, the blank line, then `body`
/// (no framing header is added: pass `Content-Length` or `Transfer-Encoding` yourself).
fn raw_response(headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(body);
    out
}

/// What [`assert_error`] needs from a piped or a terminal run.
trait Outcome {
    fn code(&self) -> i32;
    fn signal(&self) -> Option<i32>;
    /// stderr when it was a pipe.
    fn stderr(&self) -> &[u8];
    fn describe(&self) -> String;
}

impl Outcome for Run {
    fn code(&self) -> i32 {
        self.code
    }
    fn signal(&self) -> Option<i32> {
        self.signal
    }
    fn stderr(&self) -> &[u8] {
        &self.stderr
    }
    fn describe(&self) -> String {
        self.context()
    }
}

impl Outcome for PtyRun {
    fn code(&self) -> i32 {
        self.code
    }
    fn signal(&self) -> Option<i32> {
        self.signal
    }
    fn stderr(&self) -> &[u8] {
        &self.stderr
    }
    fn describe(&self) -> String {
        self.context()
    }
}

/// The common contract of a reported failure: exit `want` (not a signal), stderr exactly one
/// line `http: error: ...` that contains one of `names` (case-insensitive), no panic and no
/// backtrace.
#[track_caller]
fn assert_error(run: &impl Outcome, want: i32, names: &[&str]) {
    let context = run.describe();
    let err = String::from_utf8_lossy(run.stderr());
    let lower = err.to_lowercase();
    assert!(
        !lower.contains("panicked") && !lower.contains("backtrace"),
        "a panic instead of an error\n{context}"
    );
    assert_eq!(run.signal(), None, "killed by a signal\n{context}");
    assert_eq!(run.code(), want, "unexpected exit code\n{context}");
    assert!(
        err.ends_with('\n') && err.lines().count() == 1,
        "stderr must be exactly one line\n{context}"
    );
    assert!(
        err.starts_with("http: error: "),
        "stderr must start with `http: error: `\n{context}"
    );
    assert!(
        names.iter().any(|n| lower.contains(&n.to_lowercase())),
        "the error does not name the problem (expected one of {names:?})\n{context}"
    );
}

/// [`assert_error`] for a piped run.
#[track_caller]
fn failed(run: &Run, want: i32, names: &[&str]) {
    assert_error(run, want, names);
}

/// [`assert_error`] for a terminal run (stderr piped), plus: no raw ESC byte at all on the
/// terminal (for `--pretty=none` runs, where the product itself emits none).
#[track_caller]
fn failed_on_terminal(run: &PtyRun, want: i32, names: &[&str]) {
    assert_error(run, want, names);
    assert!(
        !has_esc(&run.output),
        "a raw ESC reached the terminal\n{run:?}"
    );
}

/// On a terminal with colours: the last SGR sequence the product wrote resets the attributes,
/// so a run cut short does not leave the user's terminal coloured.
#[track_caller]
fn colours_reset(run: &PtyRun) {
    let out = &run.output;
    let mut last: Option<&[u8]> = None;
    let mut i = 0;
    while i < out.len() {
        if out[i] == 0x1b && out.get(i + 1) == Some(&b'[') {
            let start = i;
            i += 2;
            while i < out.len() && !(0x40..=0x7e).contains(&out[i]) {
                i += 1;
            }
            if out.get(i) == Some(&b'm') {
                last = Some(&out[start..=i]);
            }
        }
        i += 1;
    }
    if let Some(sgr) = last {
        assert!(
            sgr == b"\x1b[0m" || sgr == b"\x1b[m",
            "the terminal is left with attributes set (last SGR {:?})\n{run:?}",
            String::from_utf8_lossy(sgr)
        );
    }
}

/// A failed download: the headers and the "Downloading" line go to stderr by design, so the
/// contract is that the last line, and only it, is the `http: error: ...` line.
#[track_caller]
fn failed_download(run: &Run, names: &[&str]) {
    let err = run.stderr_str();
    let lower = err.to_lowercase();
    assert!(
        !lower.contains("panicked") && !lower.contains("backtrace"),
        "a panic instead of an error\n{run:?}"
    );
    assert_eq!(run.code, 1, "unexpected exit code\n{run:?}");
    assert_eq!(
        run.stderr_lines_starting("http: error: ").len(),
        1,
        "exactly one error line\n{run:?}"
    );
    let last = err.lines().last().unwrap_or("");
    assert!(
        err.ends_with('\n') && last.starts_with("http: error: "),
        "the error is the last line\n{run:?}"
    );
    let last = last.to_lowercase();
    assert!(
        names.iter().any(|n| last.contains(&n.to_lowercase())),
        "the error does not name the problem (expected one of {names:?})\n{run:?}"
    );
}

/// Words that name a malformed response.
const INVALID: &[&str] = &["invalid response", "malformed", "not a valid http"];

// ------------------------------------------------------------ broken heads

#[test]
fn garbage_status_line_is_an_invalid_response() {
    let server = reply(&b"HELLO\r\n\r\n"[..]);
    let run = cmd(&[], &server.url("/")).run();
    failed(&run, 1, INVALID);
    assert!(run.stdout.is_empty(), "{run:?}");

    let run = cmd(&["--pretty=none"], &server.url("/")).run_pty_split();
    failed_on_terminal(&run, 1, INVALID);
}

#[test]
fn http09_reply_without_a_head_is_an_invalid_response() {
    let server = reply(&b"<html><body>hello, 1991</body></html>\n"[..]);
    let run = cmd(&[], &server.url("/")).run();
    failed(&run, 1, INVALID);
    assert!(run.stdout.is_empty(), "{run:?}");

    let run = cmd(&["--pretty=none"], &server.url("/")).run_pty_split();
    failed_on_terminal(&run, 1, INVALID);
}

#[test]
fn empty_reply_says_the_server_closed_without_a_response() {
    let server = RawServer::scripted(|conn| {
        if conn.read_request().is_ok() {
            conn.finish();
        }
    });
    let run = cmd(&[], &server.url("/")).run();
    failed(
        &run,
        1,
        &["closed the connection", "empty reply", "no response"],
    );
    assert!(run.stdout.is_empty(), "{run:?}");
    assert_eq!(server.received().len(), 1, "{run:?}");
}

#[test]
fn non_numeric_status_code_is_an_invalid_response() {
    for status_line in [
        "HTTP/1.1 abc OK\r\n",
        "HTTP/1.1 2x0 OK\r\n",
        "HTTP/1.1  OK\r\n",
    ] {
        let resp = format!("{status_line}Content-Length: 2\r\nConnection: close\r\n\r\nhi");
        let server = reply(resp);
        let run = cmd(&[], &server.url("/")).run();
        failed(&run, 1, INVALID);
        assert!(run.stdout.is_empty(), "{status_line:?}\n{run:?}");
    }
}

/// Conflicting `Content-Length` headers make the framing ambiguous (request smuggling
/// territory): the response must be rejected, not read by either length.
#[test]
fn conflicting_or_bad_content_length_is_an_invalid_response() {
    for headers in [
        &[("Content-Length", "5"), ("Content-Length", "10")][..],
        &[("Content-Length", "abc")][..],
        &[("Content-Length", "-5")][..],
    ] {
        let server = reply(raw_response(headers, b"helloworld"));
        let run = cmd(&[], &server.url("/")).run();
        assert_ne!(run.code, 0, "{headers:?}\n{run:?}");
        failed(&run, 1, INVALID);
    }
}

// ------------------------------------------------------------ truncated bodies

/// Content-Length 100, then only 10 bytes and a clean close.
fn truncated() -> Vec<u8> {
    raw_response(
        &[("Content-Type", "text/plain"), ("Content-Length", "100")],
        b"0123456789",
    )
}

const EARLY: &[&str] = &["ended early", "incomplete", "truncated", "closed before"];

#[test]
fn truncated_body_piped_is_not_success() {
    let server = reply(truncated());
    let run = cmd(&[], &server.url("/")).run();
    failed(&run, 1, EARLY);
    // Whatever was written is at most the bytes that arrived.
    assert!(b"0123456789".starts_with(&run.stdout), "{run:?}");

    // The same into a file with -o.
    let run = cmd(&["-o", "out.txt"], &server.url("/")).run();
    failed(&run, 1, EARLY);
}

#[test]
fn truncated_body_on_a_terminal_exits_1() {
    let server = reply(truncated());
    let run = cmd(&["--pretty=none"], &server.url("/")).run_pty_split();
    failed_on_terminal(&run, 1, EARLY);
    let text = run.text();
    assert!(
        text.starts_with("HTTP/1.1 200 OK\r\n"),
        "the head is still shown\n{run:?}"
    );

    // Default (coloured) output: same verdict, and the colours are reset.
    let run = cmd(&[], &server.url("/")).run_pty_split();
    assert_error(&run, 1, EARLY);
    colours_reset(&run);
}

/// A JSON body cut off inside a string, on a terminal with colours: the string's colour must
/// not leak into the user's prompt.
#[test]
fn truncated_json_on_a_terminal_resets_colours() {
    let server = reply(raw_response(
        &[
            ("Content-Type", "application/json"),
            ("Content-Length", "200"),
        ],
        br#"{"name": "a string that never ends"#,
    ));
    let run = cmd(&[], &server.url("/")).run_pty_split();
    assert_error(&run, 1, EARLY);
    colours_reset(&run);
}

/// With everything on one terminal the error line starts on a line of its own, not glued to
/// the partial body.
#[test]
fn truncated_body_error_starts_on_its_own_line_on_a_terminal() {
    let server = reply(truncated());
    let run = cmd(&["--pretty=none"], &server.url("/")).run_pty();
    assert_eq!(run.code, 1, "{run:?}");
    let text = run.text();
    let at = text
        .find("http: error: ")
        .unwrap_or_else(|| panic!("no error on the terminal\n{run:?}"));
    assert!(
        at == 0 || text[..at].ends_with('\n'),
        "the error is glued to the partial body\n{run:?}"
    );
    assert!(!text.contains("panicked"), "{run:?}");
}

/// A download (size known) cut short: exit 1, `Incomplete download`, file kept.
#[test]
fn truncated_download_is_not_success() {
    let server = reply(truncated());
    let run = cmd(&["-d", "-o", "out.bin"], &server.url("/f")).run();
    failed_download(&run, &["incomplete download"]);
    assert!(
        run.stderr_str().contains("size=100; downloaded=10"),
        "{run:?}"
    );
    let kept = std::fs::read(run.home().join("out.bin")).unwrap_or_default();
    assert_eq!(kept, b"0123456789", "the partial file is kept\n{run:?}");
}

/// A chunked download cut short (no size known in advance, but the framing says the body is
/// not complete): must not be reported as success.
#[test]
fn truncated_chunked_download_is_not_success() {
    let server = reply(raw_response(
        &[("Transfer-Encoding", "chunked")],
        b"5\r\nhello\r\n5\r\nwor",
    ));
    let run = cmd(&["-d", "-o", "out.bin"], &server.url("/f")).run();
    failed_download(&run, &["chunk", "incomplete", "ended early", "truncated"]);
}

// ------------------------------------------------------------ resets

const RESET: &[&str] = &["reset"];
/// A reset after part of the body: naming the reset, or saying the body ended early, both
/// tell the user the transfer is incomplete.
const RESET_MID_BODY: &[&str] = &["reset", "ended early", "incomplete"];

#[test]
fn reset_in_the_middle_of_the_body() {
    let server = reply_then_reset(raw_response(
        &[("Content-Type", "text/plain"), ("Content-Length", "100")],
        b"0123456789",
    ));
    let run = cmd(&[], &server.url("/")).run();
    failed(&run, 1, RESET_MID_BODY);
    assert!(b"0123456789".starts_with(&run.stdout), "{run:?}");

    let run = cmd(&["--pretty=none"], &server.url("/")).run_pty_split();
    failed_on_terminal(&run, 1, RESET_MID_BODY);
}

#[test]
fn reset_in_the_middle_of_a_chunked_body() {
    let server = reply_then_reset(raw_response(
        &[
            ("Content-Type", "text/plain"),
            ("Transfer-Encoding", "chunked"),
        ],
        b"a\r\n0123456789\r\n",
    ));
    let run = cmd(&[], &server.url("/")).run();
    failed(&run, 1, RESET_MID_BODY);
}

#[test]
fn reset_before_any_response() {
    let server = reply_then_reset(Vec::new());
    let run = cmd(&[], &server.url("/")).run();
    failed(&run, 1, RESET);
    assert!(run.stdout.is_empty(), "{run:?}");
    assert_eq!(server.connections(), 1, "no retry by default\n{run:?}");

    let run = cmd(&["--pretty=none"], &server.url("/")).run_pty_split();
    failed_on_terminal(&run, 1, RESET);
}

// ------------------------------------------------------------ invalid chunking

const CHUNK: &[&str] = &["chunk", "ended early", "incomplete", "truncated"];

fn chunked(body: &[u8]) -> Vec<u8> {
    raw_response(
        &[
            ("Content-Type", "text/plain"),
            ("Transfer-Encoding", "chunked"),
        ],
        body,
    )
}

/// (name, chunked body) of every malformed framing case.
fn bad_chunkings() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("bad hex size", b"zz\r\nhello\r\n0\r\n\r\n".to_vec()),
        (
            "bad hex size after a good chunk",
            b"5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n".to_vec(),
        ),
        (
            "missing CRLF after a chunk",
            b"5\r\nhelloXX5\r\nworld\r\n0\r\n\r\n".to_vec(),
        ),
        ("truncated last chunk", b"5\r\nhello\r\na\r\nworl".to_vec()),
        ("no terminating zero chunk", b"5\r\nhello\r\n".to_vec()),
    ]
}

#[test]
fn invalid_chunking_piped() {
    for (name, body) in bad_chunkings() {
        let server = reply(chunked(&body));
        let run = cmd(&[], &server.url("/")).run();
        assert_ne!(run.code, 0, "{name}: reported success\n{run:?}");
        failed(&run, 1, CHUNK);
    }
}

#[test]
fn invalid_chunking_on_a_terminal() {
    for (name, body) in bad_chunkings() {
        let server = reply(chunked(&body));
        let run = cmd(&["--pretty=none"], &server.url("/")).run_pty_split();
        assert_ne!(run.code, 0, "{name}: reported success\n{run:?}");
        failed_on_terminal(&run, 1, CHUNK);
    }
}

/// A chunk size too large for any integer type must not overflow or allocate it.
#[test]
fn absurd_chunk_size_is_an_error() {
    let server = reply(chunked(b"ffffffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"));
    let run = cmd(&[], &server.url("/")).run();
    failed(&run, 1, CHUNK);
}

// ------------------------------------------------------------ huge heads

const TOO_LARGE: &[&str] = &["too large", "too long"];
const TOO_MANY: &[&str] = &["too many", "too large"];

#[test]
fn one_huge_header_line_is_a_clear_error() {
    let mut resp = b"HTTP/1.1 200 OK\r\nX-Huge: ".to_vec();
    resp.extend(std::iter::repeat_n(b'a', 100 * 1024));
    resp.extend_from_slice(b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
    let server = reply(resp);
    let run = cmd(&[], &server.url("/")).run();
    failed(&run, 1, TOO_LARGE);
    assert!(run.stdout.is_empty(), "{run:?}");
}

#[test]
fn ten_thousand_headers_are_a_clear_error() {
    let mut resp = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..10_000 {
        resp.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    resp.extend_from_slice(b"Content-Length: 2\r\nConnection: close\r\n\r\nhi");
    let server = reply(resp);
    let run = cmd(&[], &server.url("/")).run();
    failed(&run, 1, TOO_MANY);
    assert!(run.stdout.is_empty(), "{run:?}");
}

#[test]
fn max_headers_limits_the_response_headers() {
    let mut headers: Vec<(String, String)> =
        (0..8).map(|i| (format!("X-H{i}"), i.to_string())).collect();
    headers.push(("Content-Length".into(), "2".into()));
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // 8 + Content-Length + Connection = 10 headers.
    let server = reply(raw_response(&refs, b"hi"));
    let run = cmd(&["--max-headers", "5"], &server.url("/")).run();
    failed(&run, 1, &["--max-headers"]);
    assert!(run.stdout.is_empty(), "{run:?}");

    // At the limit it is fine.
    let run = cmd(&["--max-headers", "10"], &server.url("/")).run();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, b"hi", "{run:?}");
}

// ------------------------------------------------------------ corrupt compression

fn gzip(plain: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(plain).unwrap();
    e.finish().unwrap()
}

/// A text body, gzipped.
fn good_gzip() -> Vec<u8> {
    let plain: Vec<u8> = (0..2000u32)
        .flat_map(|i| format!("line {i} of the text\n").into_bytes())
        .collect();
    gzip(&plain)
}

/// Not gzip at all.
fn not_gzip() -> Vec<u8> {
    b"this is plainly not gzip data".to_vec()
}

/// The compressed data damaged in the middle (header and trailer intact).
fn damaged_gzip() -> Vec<u8> {
    let mut body = good_gzip();
    let mid = body.len() / 2;
    for b in &mut body[mid..mid + 8] {
        *b ^= 0x5a;
    }
    body
}

/// A wrong CRC in the trailer: the data inflates fine but does not check out.
fn bad_crc_gzip() -> Vec<u8> {
    let mut body = good_gzip();
    let at = body.len() - 8;
    body[at] ^= 0xff;
    body
}

/// The gzip stream cut in half, sent with a Content-Length that matches what is sent: the
/// HTTP body is complete, the compressed stream is not.
fn cut_gzip() -> Vec<u8> {
    let body = good_gzip();
    body[..body.len() / 2].to_vec()
}

fn serve_gzip(body: &[u8]) -> RawServer {
    let len = body.len().to_string();
    reply(raw_response(
        &[
            ("Content-Type", "text/plain"),
            ("Content-Encoding", "gzip"),
            ("Content-Length", &len),
        ],
        body,
    ))
}

const DECODE: &[&str] = &["decod", "gzip", "corrupt", "compress"];

/// Piped: exit 1 with a decoding error; with `-h` the body is never read, so exit 0.
#[track_caller]
fn corrupt_gzip_piped(body: Vec<u8>) {
    let server = serve_gzip(&body);
    let run = cmd(&[], &server.url("/")).run();
    assert_ne!(run.code, 0, "reported success\n{run:?}");
    failed(&run, 1, DECODE);

    let run = cmd(&["-h"], &server.url("/")).run();
    assert_eq!(run.code, 0, "-h\n{run:?}");
    assert!(run.stderr.is_empty(), "-h\n{run:?}");
    assert!(
        run.stdout.starts_with(b"HTTP/1.1 200 OK\r\n"),
        "-h\n{run:?}"
    );
}

/// On a terminal: exit 1 with a decoding error, no raw ESC.
#[track_caller]
fn corrupt_gzip_on_a_terminal(body: Vec<u8>) {
    let server = serve_gzip(&body);
    let run = cmd(&["--pretty=none"], &server.url("/")).run_pty_split();
    assert_ne!(run.code, 0, "reported success on a terminal\n{run:?}");
    failed_on_terminal(&run, 1, DECODE);
}

#[test]
fn not_gzip_body_is_a_decoding_error() {
    corrupt_gzip_piped(not_gzip());
}

#[test]
fn not_gzip_body_on_a_terminal_is_a_decoding_error() {
    corrupt_gzip_on_a_terminal(not_gzip());
}

#[test]
fn damaged_gzip_body_is_a_decoding_error() {
    corrupt_gzip_piped(damaged_gzip());
}

/// The damaged stream inflates to garbage containing NUL bytes before the checksum is
/// reached; the terminal must still not call the transfer a success.
#[test]
fn damaged_gzip_body_on_a_terminal_is_a_decoding_error() {
    corrupt_gzip_on_a_terminal(damaged_gzip());
}

#[test]
fn gzip_with_a_bad_crc_is_a_decoding_error() {
    corrupt_gzip_piped(bad_crc_gzip());
}

#[test]
fn gzip_with_a_bad_crc_on_a_terminal_is_a_decoding_error() {
    corrupt_gzip_on_a_terminal(bad_crc_gzip());
}

/// The HTTP body is complete; only the gzip stream inside it is cut. The error must blame the
/// compressed data, not the connection.
#[test]
fn cut_gzip_stream_is_a_decoding_error() {
    corrupt_gzip_piped(cut_gzip());
}

#[test]
fn cut_gzip_stream_on_a_terminal_is_a_decoding_error() {
    corrupt_gzip_on_a_terminal(cut_gzip());
}

// ------------------------------------------------------------ invalid UTF-8 in a head

#[test]
fn invalid_utf8_in_a_header_value() {
    let resp = raw_response(
        &[
            ("Content-Type", "text/plain"),
            ("X-Bad", "a\u{0}b"), // placeholder, replaced below
            ("Content-Length", "3"),
        ],
        b"ok\n",
    );
    // Put the raw bytes 0xff 0xfe where the placeholder NUL is.
    let at = resp.iter().position(|&b| b == 0).unwrap();
    let resp = [&resp[..at], &[0xff, 0xfe][..], &resp[at + 1..]].concat();
    let head_len = resp.len() - 3;
    let server = reply(resp.clone());

    // Piped, headers only: byte-exact.
    let run = cmd(&["-p", "h"], &server.url("/")).run().success();
    assert_eq!(
        run.stdout,
        &resp[..head_len],
        "the head is written byte-exact\n{run:?}"
    );
    assert!(run.stderr.is_empty(), "{run:?}");

    // On a terminal: replacement characters, no crash.
    let run = cmd(&[], &server.url("/")).run_pty_split().success();
    let shown = String::from_utf8_lossy(&normalize_newlines(&strip_ansi(&run.output))).into_owned();
    assert!(
        shown.contains("X-Bad: a\u{fffd}\u{fffd}b\r\n"),
        "invalid bytes are shown as U+FFFD\n{run:?}"
    );
    assert!(!contains(&run.output, &[0xff]), "{run:?}");
    assert!(run.stderr.is_empty(), "{run:?}");
}

// ------------------------------------------------------------ stalls

const READ_TIMEOUT: &[&str] = &["read timeout"];

#[test]
fn stall_after_the_head_is_a_read_timeout() {
    let server = reply_then_stall(raw_response(
        &[("Content-Type", "text/plain"), ("Content-Length", "100")],
        b"",
    ));
    let start = Instant::now();
    let run = cmd(&["--timeout", "0.5"], &server.url("/")).run();
    let took = start.elapsed();
    failed(&run, 2, READ_TIMEOUT);
    assert!(run.stderr_str().contains("0.5s"), "{run:?}");
    assert!(
        took >= Duration::from_millis(450),
        "gave up early: {took:?}\n{run:?}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}\n{run:?}");
}

#[test]
fn stall_in_the_middle_of_the_body_is_a_read_timeout() {
    let server = reply_then_stall(raw_response(
        &[("Content-Type", "text/plain"), ("Content-Length", "100")],
        b"0123456789",
    ));
    let run = cmd(&["--timeout", "0.5"], &server.url("/")).run();
    failed(&run, 2, READ_TIMEOUT);

    let run = cmd(&["--timeout", "0.5", "--pretty=none"], &server.url("/")).run_pty_split();
    failed_on_terminal(&run, 2, READ_TIMEOUT);
}

#[test]
fn stall_inside_a_head_is_a_read_timeout() {
    let server = reply_then_stall(&b"HTTP/1.1 200 OK\r\nContent-Le"[..]);
    let run = cmd(&["--timeout", "0.5"], &server.url("/")).run();
    failed(&run, 2, READ_TIMEOUT);
}

// ------------------------------------------------------------ escape sequences

/// The exact sequences a hostile server sends: colour, clear screen, window title, cursor
/// movement, and an OSC 52 clipboard write.
const SEQUENCES: &[&[u8]] = &[
    b"\x1b[31m",
    b"\x1b[2J",
    b"\x1b]0;pwned\x07",
    b"\x1b[H",
    b"\x1b]52;c;cHduZWQ=\x07",
];

fn hostile_text() -> Vec<u8> {
    let mut body = b"before ".to_vec();
    for seq in SEQUENCES {
        body.extend_from_slice(seq);
        body.extend_from_slice(b"x ");
    }
    body.extend_from_slice(b"after\n");
    body
}

#[track_caller]
fn no_server_sequences(run: &PtyRun) {
    for seq in SEQUENCES {
        assert!(
            !contains(&run.output, seq),
            "{:?} reached the terminal\n{run:?}",
            String::from_utf8_lossy(seq)
        );
    }
    assert!(
        !contains(&run.output, b"\x07"),
        "BEL reached the terminal\n{run:?}"
    );
}

#[test]
fn escape_sequences_in_a_text_body_never_reach_the_terminal() {
    let body = hostile_text();
    let len = body.len().to_string();
    let server = reply(raw_response(
        &[("Content-Type", "text/plain"), ("Content-Length", &len)],
        &body,
    ));
    for args in [
        &["--pretty=none"][..],
        &["--pretty=format"],
        &["-b", "--pretty=none"],
    ] {
        let run = cmd(args, &server.url("/")).run_pty_split().success();
        assert!(!has_esc(&run.output), "{args:?}: raw ESC\n{run:?}");
        assert!(run.text().contains("before "), "{run:?}");
    }
    let run = cmd(&[], &server.url("/")).run_pty_split().success();
    no_server_sequences(&run);
}

/// Raw ESC bytes inside JSON strings (invalid JSON: shown as received, but escaped) and the
/// JSON escape `\u001b` (valid JSON; decoding it for display must not produce a raw ESC).
#[test]
fn escape_sequences_inside_json_strings_never_reach_the_terminal() {
    let mut raw = br#"{"msg": "a "#.to_vec();
    for seq in SEQUENCES {
        raw.extend_from_slice(seq);
    }
    raw.extend_from_slice(br#" b", "n": 1}"#);
    let escaped =
        br#"{"msg": "a \u001b[31mred\u001b[2J\u001b]0;pwned\u0007 b", "k\u001b[H": 1}"#.to_vec();
    for (name, body) in [("raw ESC", raw), ("\\u001b escapes", escaped)] {
        let len = body.len().to_string();
        let server = reply(raw_response(
            &[
                ("Content-Type", "application/json"),
                ("Content-Length", &len),
            ],
            &body,
        ));
        for args in [&["--pretty=none"][..], &["--pretty=format"]] {
            let run = cmd(args, &server.url("/")).run_pty_split().success();
            assert!(
                !has_esc(&run.output),
                "{name} {args:?}: raw ESC reached the terminal\n{run:?}"
            );
        }
        for args in [&[][..], &["--pretty=colors"], &["--stream"]] {
            let run = cmd(args, &server.url("/")).run_pty_split().success();
            no_server_sequences(&run);
            assert!(
                !contains(&run.output, b"\x1b[2J"),
                "{name} {args:?}\n{run:?}"
            );
        }
    }
}

/// Escape sequences in a streamed (`text/event-stream`) body, which is written as it arrives.
#[test]
fn escape_sequences_in_a_stream_never_reach_the_terminal() {
    let mut body = b"data: {\"m\": \"\\u001b[2J\"}\n\ndata: plain ".to_vec();
    body.extend_from_slice(b"\x1b[2J\x1b]0;pwned\x07\n\n");
    let server = reply(raw_response(
        &[("Content-Type", "text/event-stream")],
        &body,
    ));
    let run = cmd(&["--pretty=none"], &server.url("/"))
        .run_pty_split()
        .success();
    assert!(
        !has_esc(&run.output),
        "raw ESC reached the terminal\n{run:?}"
    );
    let run = cmd(&[], &server.url("/")).run_pty_split().success();
    no_server_sequences(&run);
}

/// An ESC in a header value is not valid HTTP: an invalid response, nothing shown.
#[test]
fn escape_sequence_in_a_header_is_reported_not_shown() {
    let server = reply(raw_response(
        &[
            ("X-Evil", "\x1b]0;pwned\x07\x1b[2J"),
            ("Content-Length", "3"),
        ],
        b"ok\n",
    ));
    let run = cmd(&["--pretty=none"], &server.url("/")).run_pty_split();
    failed_on_terminal(&run, 1, INVALID);
    let run = cmd(&[], &server.url("/")).run_pty_split();
    assert_error(&run, 1, INVALID);
    no_server_sequences(&run);
}

/// Escape sequences in a body that is then cut short: the error path escapes too.
#[test]
fn escape_sequences_in_a_truncated_body_never_reach_the_terminal() {
    let body = hostile_text();
    let len = (body.len() + 50).to_string();
    let server = reply(raw_response(
        &[("Content-Type", "text/plain"), ("Content-Length", &len)],
        &body,
    ));
    let run = cmd(&["--pretty=none"], &server.url("/")).run_pty_split();
    failed_on_terminal(&run, 1, EARLY);
    let run = cmd(&[], &server.url("/")).run_pty();
    assert_eq!(run.code, 1, "{run:?}");
    no_server_sequences(&run);
}

/// A small binary body cut short on a terminal: the notice replaces it, but the rest is still
/// read, so the early close is reported instead of passing for success.
#[test]
fn truncated_binary_body_on_a_terminal_is_not_success() {
    let response = raw_response(
        &[
            ("Content-Type", "application/octet-stream"),
            ("Content-Length", "100"),
        ],
        b"01234\x0056789",
    );
    let server = reply(response);
    let run = cmd(&["--pretty=none"], &server.url("/")).run_pty_split();
    failed_on_terminal(&run, 1, EARLY);
    assert!(
        run.text()
            .contains("NOTE: binary data not shown in terminal"),
        "{run:?}"
    );
}

/// C1 controls (here CSI, U+009B, which terminals act on like ESC [) and bidi overrides in
/// what the server sends never reach stderr raw: not in the error for a bad redirect
/// Location, not in the retry notice's reason phrase.
#[test]
fn server_controls_in_messages_are_neutralised() {
    let raw_controls = |stderr: &[u8]| {
        stderr.windows(2).any(|w| w == b"\xc2\x9b")
            || stderr.windows(3).any(|w| w == b"\xe2\x80\xae")
    };
    let redirect = reply(&b"HTTP/1.1 302 Found\r\nLocation: http://[\xc2\x9b31m\xe2\x80\xae/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"[..]);
    let run = cmd(&["--follow"], &redirect.url("/")).run();
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr_str().contains("invalid redirect Location"),
        "{run:?}"
    );
    assert!(run.stderr_str().contains("\\u{9b}31m\\u{202e}"), "{run:?}");
    assert!(!raw_controls(&run.stderr), "{run:?}");

    let busy = RawServer::scripted(|conn| {
        if conn.read_request().is_ok() {
            let _ = conn.write(
                b"HTTP/1.1 503 Busy\xc2\x9b2J\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
        conn.finish();
    });
    let run = cmd(
        &["--retries=1", "--retry-status=503", "--retry-backoff=0.01"],
        &busy.url("/"),
    )
    .run();
    let notice = run.stderr_lines_starting("http: retrying (");
    assert_eq!(notice.len(), 1, "{run:?}");
    assert!(notice[0].ends_with("HTTP 503 Busy\\u{9b}2J"), "{run:?}");
    assert!(!raw_controls(&run.stderr), "{run:?}");
}

//! `--download`: file names (Content-Disposition, the initial URL, hostile values, unique
//! suffixes), `-o`, stdout mode, error statuses, resuming (206, 200, 416, a wrong
//! Content-Range), early closes, compressed transfers, the progress bar, `-q` and Ctrl-C;
//! the kernel copy (splice) of plain bodies and the portable path for the rest.
//! Runs in the harness's temp HOME, which is also the working directory.
//!
//! A download picks a file name only when stdout is a terminal (otherwise the body goes to
//! stdout), so the file-name tests run with stdout on a pty and stderr on a pipe.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::harness::*;

// ------------------------------------------------------------- helpers

/// A body that is easy to tell apart at any offset.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A raw 200 response with `headers` (each ending in CRLF) and `body`, closing the
/// connection.
fn ok_response(headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// N of a `Range: bytes=N-` header.
fn range_start(req: &RawRequest) -> Option<usize> {
    req.header("range").and_then(|r| {
        r.strip_prefix("bytes=")?
            .strip_suffix('-')?
            .parse::<usize>()
            .ok()
    })
}

/// The `206` head for `body` from byte `from` to its end.
fn partial_head(body: &[u8], from: usize) -> String {
    format!(
        "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{}/{}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len() - 1,
        body.len(),
        body.len() - from
    )
}

/// Serve `body` on one connection, honouring `Range: bytes=N-` with a 206.
fn serve_ranged(conn: &mut Conn, body: &[u8]) {
    let Ok(req) = conn.read_request() else {
        return;
    };
    let response = match range_start(&req) {
        Some(n) if n < body.len() => {
            let mut out = partial_head(body, n).into_bytes();
            out.extend_from_slice(&body[n..]);
            out
        }
        Some(_) => format!(
            "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes(),
        None => ok_response("", body),
    };
    let _ = conn.write(response);
    conn.finish();
}

/// Files in `dir` other than the harness's own (sorted names).
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".config")
        .collect();
    names.sort();
    names
}

/// Run with stdout on a terminal (so a file name is chosen) and stderr on a pipe.
fn in_terminal(cmd: Cmd) -> PtyRun {
    cmd.run_pty_with(Tty::STDOUT)
}

/// Download `path` from a server that answers with `headers` and `body`; returns the names
/// of the files created and the run.
fn download_named(path: &str, headers: &[u8], body: &[u8]) -> (Vec<String>, PtyRun) {
    let mut response = b"HTTP/1.1 200 OK\r\n".to_vec();
    response.extend_from_slice(headers);
    response.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    response.extend_from_slice(body);
    let server = RawServer::respond(response);
    let run = in_terminal(http(&["-d", &server.url(path)])).success();
    (files(run.home()), run)
}

#[track_caller]
fn assert_file(dir: &Path, name: &str, want: &[u8]) {
    let got = std::fs::read(dir.join(name))
        .unwrap_or_else(|e| panic!("{name} not readable: {e}; files: {:?}", files(dir)));
    assert!(
        got == want,
        "{name}: {} bytes, want {}",
        got.len(),
        want.len()
    );
}

// ------------------------------------------------------------- file names

#[test]
fn content_disposition_names_are_made_safe() {
    let table: &[(&[u8], &str)] = &[
        (b"attachment; filename=\"report.pdf\"", "report.pdf"),
        (b"attachment; filename=\"../../etc/passwd\"", "passwd"),
        (b"attachment; filename=\"/etc/cron.d/job\"", "job"),
        (b"attachment; filename=\".bashrc\"", "bashrc"),
        (b"attachment; filename=..\\..\\win.ini", "win.ini"),
        // Raw control bytes do not get past the HTTP parser; encoded ones and C1 controls
        // (bytes 0x80-0x9f read as ISO-8859-1) do, and are dropped.
        (
            b"attachment; filename*=UTF-8''a%1B%5B2Jb%07c%0A.txt",
            "a[2Jbc.txt",
        ),
        (b"attachment; filename=\"x\x9b31my.txt\"", "x31my.txt"),
        (
            b"attachment; filename*=UTF-8''na%C3%AFve.txt",
            "na\u{ef}ve.txt",
        ),
        (
            b"attachment; filename=\"plain.txt\"; filename*=iso-8859-1''%A3%20rates.txt",
            "\u{a3} rates.txt",
        ),
        (
            b"attachment; filename*=UTF-8''..%2F..%2F.ssh%2Fauthorized_keys",
            "authorized_keys",
        ),
        // A right-to-left override would make "evil\u{202e}txt.exe" show as "evilexe.txt".
        (
            b"attachment; filename*=UTF-8''evil%E2%80%AEtxt.exe",
            "eviltxt.exe",
        ),
    ];
    for (disposition, want) in table {
        let mut headers = b"Content-Disposition: ".to_vec();
        headers.extend_from_slice(disposition);
        headers.extend_from_slice(b"\r\n");
        let (names, run) = download_named("/ignored", &headers, b"payload");
        assert_eq!(names, [*want], "{}\n{run:?}", text(disposition));
        assert_file(run.home(), want, b"payload");
        assert!(
            run.stderr_str().contains(&format!("to \"{want}\"")),
            "{run:?}"
        );
    }
}

#[test]
fn unusable_disposition_falls_back_to_the_url() {
    for disposition in [
        "attachment; filename=\"...\"",
        "attachment; filename=\"dir/\"",
        "attachment; filename=\"\"",
        "attachment",
    ] {
        let headers = format!("Content-Type: text/plain\r\nContent-Disposition: {disposition}\r\n");
        let (names, run) = download_named("/files/notes", headers.as_bytes(), b"x");
        assert_eq!(names, ["notes.txt"], "{disposition}\n{run:?}");
    }
}

#[test]
fn url_names_get_an_extension_from_the_content_type() {
    let table: &[(&str, &str, &str)] = &[
        ("/dir/report", "application/json", "report.json"),
        ("/", "text/html; charset=utf-8", "index.html"),
        ("/archive.tar.gz", "application/gzip", "archive.tar.gz"),
        ("/blob", "application/octet-stream", "blob"),
        ("/a/b/doc/", "application/pdf", "doc.pdf"),
        ("/.hidden", "text/plain", "hidden.txt"),
        ("/caf%C3%A9.txt?x=1", "text/plain", "caf\u{e9}.txt"),
    ];
    for (path, content_type, want) in table {
        let headers = format!("Content-Type: {content_type}\r\n");
        let (names, run) = download_named(path, headers.as_bytes(), b"data");
        assert_eq!(names, [*want], "{path}\n{run:?}");
    }
}

#[test]
fn the_initial_url_names_the_file_not_the_redirect_target() {
    let server = Server::start(|r| match r.path() {
        "/start" => Reply::redirect(302, "/elsewhere/.evil.sh"),
        _ => Reply::text("moved content"),
    });
    let run = in_terminal(http(&["-d", &server.url("/start")])).success();
    assert_eq!(files(run.home()), ["start.txt"], "{run:?}");
    assert_file(run.home(), "start.txt", b"moved content");
    assert_eq!(server.hits(), 2);
}

#[test]
fn existing_files_get_numbered_suffixes() {
    let server = Server::start(|_| Reply::text("new"));
    let cmd = http(&["-d", &server.url("/file.txt")]).home_file("file.txt", "old");
    let run = in_terminal(cmd.clone()).success();
    assert!(run.stderr_str().contains("to \"file.txt-1\""), "{run:?}");
    in_terminal(cmd.clone()).success();
    let home = cmd.home();
    assert_eq!(files(home), ["file.txt", "file.txt-1", "file.txt-2"]);
    assert_file(home, "file.txt", b"old");
    assert_file(home, "file.txt-1", b"new");
    assert_file(home, "file.txt-2", b"new");
}

#[test]
fn output_flag_names_the_file_and_overwrites_it() {
    let body = content(70_000);
    let served = body.clone();
    let server = Server::start(move |_| {
        Reply::ok()
            .header("Content-Type", "application/octet-stream")
            .body(served.clone())
    });
    let run = http(&["-d", "-o", "out.bin", &server.url("/x")])
        .home_file("out.bin", "previous contents that are longer than nothing")
        .run()
        .success();
    assert!(run.stdout.is_empty(), "{run:?}");
    assert_file(run.home(), "out.bin", &body);
    let err = run.stderr_str();
    assert!(err.contains("Downloading 68.4 KiB to \"out.bin\""), "{err}");
    assert!(err.contains("Done. 68.4 KiB in "), "{err}");
}

// ------------------------------------------------------------- streams and statuses

#[test]
fn headers_go_to_stderr_without_colour_or_bar_on_a_pipe() {
    let server = Server::start(|_| Reply::text("hello").header("X-Trace", "abc"));
    let run = http(&["-d", "-o", "f.txt", &server.url("/f")])
        .run()
        .success();
    assert!(run.stdout.is_empty(), "{run:?}");
    let err = run.stderr_str();
    assert!(err.starts_with("HTTP/1.1 200 OK\r\n"), "{err}");
    assert!(err.contains("X-Trace: abc\r\n"), "{err}");
    assert!(!err.contains('\x1b'), "no colour on a pipe: {err:?}");
    assert!(
        !err.contains('\r') || !err.contains("ETA"),
        "no bar: {err:?}"
    );
    assert!(!err.contains('%'), "no bar: {err:?}");
    assert!(err.contains("\nDownloading 5 B to \"f.txt\"\n"), "{err:?}");
    assert!(err.contains("\nDone. 5 B in "), "{err:?}");
    assert_file(run.home(), "f.txt", b"hello");
}

#[test]
fn downloads_ask_for_identity_encoding_unless_told_otherwise() {
    let server = Server::start(|_| Reply::text("x"));
    http(&["-d", "-o", "a", &server.url("/")]).run().success();
    http(&["-d", "-o", "b", &server.url("/"), "Accept-Encoding:gzip"])
        .run()
        .success();
    http(&[&server.url("/")]).run().success();
    let seen: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.header("accept-encoding").unwrap_or("").to_string())
        .collect();
    assert_eq!(seen, ["identity", "gzip", "gzip, deflate, br, zstd"]);
}

#[test]
fn offline_turns_download_off() {
    let run = http(&["--offline", "-d", "example.org/x"]).run().success();
    let out = run.stdout_str();
    assert!(out.starts_with("GET /x HTTP/1.1\r\n"), "{run:?}");
    assert!(
        out.contains("Accept-Encoding: gzip, deflate, br, zstd\r\n"),
        "{run:?}"
    );
    assert!(run.stderr.is_empty(), "{run:?}");
    assert!(files(run.home()).is_empty());
}

#[test]
fn redirected_stdout_gets_the_body() {
    let body = content(300_000);
    let served = body.clone();
    let server = Server::start(move |_| Reply::ok().body(served.clone()));
    let run = http(&["-d", &server.url("/data.bin")]).run().success();
    assert!(
        run.stdout == body,
        "stdout is the body ({} bytes)",
        run.stdout.len()
    );
    let err = run.stderr_str();
    assert!(err.starts_with("HTTP/1.1 200 OK"), "{err}");
    assert!(err.contains("to standard output"), "{err}");
    assert!(
        files(run.home()).is_empty(),
        "no file: {:?}",
        files(run.home())
    );
}

#[test]
fn an_error_status_saves_nothing() {
    let server = Server::start(|r| match r.path() {
        "/missing" => Reply::status(404).body("not here"),
        _ => Reply::status(503).body("busy"),
    });
    let run = in_terminal(http(&["-d", &server.url("/missing")])).assert_code(4);
    assert!(
        run.stderr_str()
            .contains("http: warning: HTTP 404 Not Found"),
        "{run:?}"
    );
    assert!(files(run.home()).is_empty(), "{:?}", files(run.home()));

    let run = http(&["-d", "-o", "out", &server.url("/busy")])
        .run()
        .assert_code(5);
    assert!(
        !run.home().join("out").exists(),
        "no file for an error status"
    );
    let run = http(&["-d", &server.url("/missing")]).run().assert_code(4);
    assert!(run.stdout.is_empty(), "stdout mode writes nothing: {run:?}");
}

#[test]
fn quiet_says_nothing_but_saves() {
    let server = Server::start(|r| match r.path() {
        "/missing" => Reply::status(404),
        _ => Reply::text("quiet body"),
    });
    let run = http(&["-d", "-q", "-o", "q.txt", &server.url("/q")])
        .run()
        .success();
    assert!(run.stderr.is_empty(), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert_file(run.home(), "q.txt", b"quiet body");
    // Warnings still appear with -q, not with -qq.
    let run = http(&["-d", "-q", "-o", "m", &server.url("/missing")])
        .run()
        .assert_code(4);
    assert_eq!(run.stderr_str(), "http: warning: HTTP 404 Not Found\n");
    let run = http(&["-d", "-qq", "-o", "m", &server.url("/missing")])
        .run()
        .assert_code(4);
    assert!(run.stderr.is_empty(), "{run:?}");
}

// ------------------------------------------------------------- resuming

#[test]
fn continue_needs_download_and_output() {
    let run = http(&["-c", "-o", "x", "example.org"]).run().assert_code(1);
    assert!(
        run.stderr_str()
            .contains("--continue only works with --download"),
        "{run:?}"
    );
    let run = http(&["-d", "-c", "example.org"]).run().assert_code(1);
    assert!(
        run.stderr_str().contains("--continue requires --output"),
        "{run:?}"
    );
}

#[test]
fn continue_resumes_with_a_range_and_appends_a_206() {
    let body = Arc::new(content(50_000));
    let served = body.clone();
    let server = RawServer::scripted(move |conn| serve_ranged(conn, &served));
    let run = http(&["-d", "-c", "-o", "big.bin", &server.url("/big")])
        .home_file("big.bin", &body[..12_345])
        .run()
        .success();
    assert_eq!(
        server.request().header("range").as_deref(),
        Some("bytes=12345-")
    );
    assert_file(run.home(), "big.bin", &body);
    assert!(
        run.stderr_str().contains("HTTP/1.1 206 Partial Content"),
        "{run:?}"
    );
    assert!(
        run.stderr_str()
            .contains("Resuming \"big.bin\" at 12.1 KiB of 48.8 KiB"),
        "{run:?}"
    );
}

/// `-d -c -o part.bin` with the first 1000 bytes of `body` already saved, against a server
/// answering 206 with `content_range` and `reply`; the run must exit 1.
fn resume_from_206(body: &[u8], content_range: &str, reply: Vec<u8>) -> Run {
    let range = content_range.to_string();
    let server = Server::start(move |_| {
        Reply::status(206)
            .header("Content-Range", &range)
            .body(reply.clone())
    });
    http(&["-d", "-c", "-o", "part.bin", &server.url("/p")])
        .home_file("part.bin", &body[..1000])
        .run()
        .assert_code(1)
}

/// A 206 whose body arrives whole (the connection closes cleanly, Content-Length met) but
/// covers only part of the rest the Content-Range total promises: still incomplete, with
/// what was saved and how to resume.
#[test]
fn partial_206_that_ends_cleanly_short_of_the_total_is_incomplete() {
    let body = content(3_000);
    let run = resume_from_206(&body, "bytes 1000-1999/3000", body[1000..2000].to_vec());
    let err = run.stderr_str();
    assert!(
        err.contains("Incomplete download: size=3000; downloaded=2000"),
        "{run:?}"
    );
    assert!(err.contains("resume with:"), "{run:?}");
    assert_file(run.home(), "part.bin", &body[..2000]);
}

#[test]
fn continue_without_a_partial_file_downloads_everything() {
    let body = Arc::new(content(5_000));
    let served = body.clone();
    let server = RawServer::scripted(move |conn| serve_ranged(conn, &served));
    let run = http(&["-d", "-c", "-o", "new.bin", &server.url("/x")])
        .run()
        .success();
    assert_eq!(server.request().header("range"), None);
    assert_file(run.home(), "new.bin", &body);
}

#[test]
fn a_200_to_a_resume_starts_over() {
    let body = content(8_000);
    let served = body.clone();
    let server = Server::start(move |_| Reply::ok().body(served.clone()));
    let run = http(&["-d", "-c", "-o", "f.bin", &server.url("/f")])
        .home_file("f.bin", b"stale partial data")
        .run()
        .success();
    assert_eq!(server.request().header("range"), Some("bytes=18-"));
    assert_file(run.home(), "f.bin", &body);
}

#[test]
fn a_416_for_a_complete_file_is_success() {
    let body = Arc::new(content(4_000));
    let served = body.clone();
    let server = RawServer::scripted(move |conn| serve_ranged(conn, &served));
    let run = http(&["-d", "-c", "-o", "done.bin", &server.url("/d")])
        .home_file("done.bin", &body[..])
        .run()
        .success();
    let err = run.stderr_str();
    assert!(err.contains("HTTP/1.1 416 Range Not Satisfiable"), "{err}");
    assert!(err.contains("\"done.bin\" is already complete"), "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert_file(run.home(), "done.bin", &body);
}

#[test]
fn a_416_for_another_size_is_an_error() {
    // The server's file is 4000 bytes; ours is 5000: not ours, so not "complete".
    let served = Arc::new(content(4_000));
    let server = RawServer::scripted(move |conn| serve_ranged(conn, &served));
    let mine = content(5_000);
    let run = http(&["-d", "-c", "-o", "other.bin", &server.url("/d")])
        .home_file("other.bin", &mine)
        .run()
        .assert_code(4);
    assert!(
        run.stderr_str().contains("http: warning: HTTP 416"),
        "{run:?}"
    );
    assert_file(run.home(), "other.bin", &mine);
}

#[test]
fn a_wrong_content_range_leaves_the_file_alone() {
    let body = content(3_000);
    for range in [
        "bytes 0-2999/3000",
        "bytes 1001-2999/3000",
        "bytes 1000-2999/2000",
        "junk",
    ] {
        let run = resume_from_206(&body, range, body[1000..].to_vec());
        let err = run.stderr_str();
        assert!(
            err.contains("http: error: cannot resume: unexpected Content-Range"),
            "{range}: {err}"
        );
        assert!(err.contains("asked for bytes=1000-"), "{err}");
        assert_file(run.home(), "part.bin", &body[..1000]);
    }
    // A 206 without any Content-Range is refused as well.
    let server = Server::start(|_| Reply::status(206).body("zzz"));
    let run = http(&["-d", "-c", "-o", "part.bin", &server.url("/p")])
        .home_file("part.bin", "abc")
        .run()
        .assert_code(1);
    assert!(
        run.stderr_str().contains("without a Content-Range"),
        "{run:?}"
    );
    assert_file(run.home(), "part.bin", b"abc");
}

#[test]
fn a_user_range_header_turns_continue_off() {
    let server = Server::start(|_| Reply::text("whole"));
    let run = http(&[
        "-d",
        "-c",
        "-o",
        "r.txt",
        &server.url("/r"),
        "Range:bytes=0-1",
    ])
    .home_file("r.txt", "xyz")
    .run()
    .success();
    assert_eq!(server.request().header("range"), Some("bytes=0-1"));
    assert!(
        run.stderr_str().contains("warning: --continue is ignored"),
        "{run:?}"
    );
    assert_file(run.home(), "r.txt", b"whole");
}

// ------------------------------------------------------------- integrity

#[test]
fn an_early_close_is_incomplete_and_continue_finishes_it() {
    let body = Arc::new(content(20_000));
    let served = body.clone();
    let server = RawServer::scripted(move |conn| {
        if conn.index == 0 {
            if conn.read_request().is_err() {
                return;
            }
            let mut out = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                served.len()
            )
            .into_bytes();
            out.extend_from_slice(&served[..7_000]);
            let _ = conn.write(out);
            conn.finish();
        } else {
            serve_ranged(conn, &served);
        }
    });
    let url = server.url("/file.bin");
    let cmd = http(&["-d", "-o", "file.bin", &url]);
    let run = cmd.clone().run().assert_code(1);
    let err = run.stderr_str();
    assert!(
        err.contains(&format!(
            "http: error: Incomplete download: size=20000; downloaded=7000; \
             resume with: http -d -c -o file.bin {url}"
        )),
        "{err}"
    );
    assert!(!err.contains("Done."), "{err}");
    assert_file(run.home(), "file.bin", &body[..7_000]);

    let run = http(&["-d", "-c", "-o", "file.bin", &url])
        .current_dir(cmd.home())
        .run()
        .success();
    assert_eq!(
        server.received()[1].header("range").as_deref(),
        Some("bytes=7000-")
    );
    assert_file(cmd.home(), "file.bin", &body);
    drop(run);
}

#[test]
fn an_early_close_without_a_length_is_not_checked() {
    // No Content-Length: the end of the connection is the end of the body.
    let server = RawServer::respond("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close");
    let run = http(&["-d", "-o", "u.txt", &server.url("/u")])
        .run()
        .success();
    assert_file(run.home(), "u.txt", b"until close");
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn a_compressed_download_is_saved_decoded_and_not_called_incomplete() {
    let plain: Vec<u8> = (0..40_000u32)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    let packed = gzip(&plain);
    assert!(packed.len() < plain.len() / 3);
    let response = ok_response(
        "Content-Type: text/plain\r\nContent-Encoding: gzip\r\n",
        &packed,
    );
    let server = RawServer::respond(response);
    let run = http(&["-d", "-o", "log.txt", &server.url("/log")])
        .run()
        .success();
    assert_file(run.home(), "log.txt", &plain);
    assert!(!run.stderr_str().contains("Incomplete"), "{run:?}");

    // Cut short, the compressed stream is incomplete by its own (wire) length.
    let mut cut = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        packed.len()
    )
    .into_bytes();
    cut.extend_from_slice(&packed[..packed.len() / 2]);
    let server = RawServer::respond(cut);
    let run = http(&["-d", "-o", "log.txt", &server.url("/log")])
        .run()
        .assert_code(1);
    assert!(
        run.stderr_str().contains(&format!(
            "Incomplete download: size={}; downloaded={}",
            packed.len(),
            packed.len() / 2
        )),
        "{run:?}"
    );
}

#[test]
fn a_stalled_download_times_out_with_exit_two_and_keeps_the_part() {
    let body = Arc::new(content(10_000));
    let (gate, opener) = gate();
    let server = stalling_server(body.clone(), 2_500, gate);
    let run = http(&[
        "-d",
        "--timeout",
        "0.3",
        "-o",
        "slow.bin",
        &server.url("/slow"),
    ])
    .run()
    .assert_code(2);
    opener.open();
    assert!(run.stderr_str().contains("read timeout"), "{run:?}");
    assert_file(run.home(), "slow.bin", &body[..2_500]);
}

// ------------------------------------------------------------- progress

#[test]
fn the_progress_bar_shows_on_a_terminal() {
    let body = content(3 << 20);
    let served = body.clone();
    let server = Server::start(move |_| Reply::ok().body(served.clone()));
    let tty = Tty {
        stdin: false,
        stdout: false,
        stderr: true,
    };
    let run = http(&["-d", "-o", "bar.bin", &server.url("/bar")])
        .run_pty_with(tty)
        .success();
    let out = run.text();
    assert!(out.contains("3.00 MiB"), "the total size: {out:?}");
    assert!(out.contains('%'), "a percentage: {out:?}");
    assert!(out.contains("Done. 3.0 MiB in "), "{out:?}");
    assert!(
        out.contains("\x1b["),
        "coloured headers on a terminal: {out:?}"
    );
    assert_file(run.home(), "bar.bin", &body);

    // Unknown length: a spinner with bytes, still a Done line.
    let server = Server::start(|_| Reply::text("chunks").chunked());
    let run = http(&["-d", "-o", "s.txt", &server.url("/s")])
        .run_pty_with(tty)
        .success();
    assert!(run.text().contains("Downloading to \"s.txt\""), "{run:?}");
    assert!(run.text().contains("Done. 6 B in "), "{run:?}");

    // -q: no bar, nothing at all.
    let server = Server::start(|_| Reply::text("q"));
    let run = http(&["-d", "-q", "-o", "q.txt", &server.url("/q")])
        .run_pty_with(tty)
        .success();
    assert_eq!(run.text(), "", "{run:?}");
}

/// The bar lines of a terminal recording: ANSI stripped, split on `\r` and `\n`, the parts
/// that draw a bar (`NN% [`).
fn bar_frames(output: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(&strip_ansi(output))
        .split(['\r', '\n'])
        .filter(|line| line.contains("% ["))
        .map(str::to_string)
        .collect()
}

/// The byte count grows through several widths (0 B, 100 B, 4.88 KiB, 195.31 KiB, MiB) with
/// pauses, so every stage is drawn: the bar keeps its width, and the first frame has no rate
/// or ETA to show yet, so shows none (rather than `0 B/s ETA 0s`).
#[test]
fn the_progress_bar_keeps_its_width_and_waits_for_a_rate() {
    let body = Arc::new(content(3 << 20));
    let served = body.clone();
    let server = RawServer::scripted(move |conn| {
        if conn.read_request().is_err() {
            return;
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            served.len()
        );
        let _ = conn.write(head);
        let mut at = 0;
        for end in [0, 100, 5_000, 200_000, 1 << 20, served.len()] {
            let _ = conn.write(&served[at..end]);
            at = end;
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
    });
    let tty = Tty {
        stdin: false,
        stdout: false,
        stderr: true,
    };
    let run = http(&["-d", "-o", "w.bin", &server.url("/w")])
        .run_pty_with(tty)
        .success();
    assert_file(run.home(), "w.bin", &body);
    let frames = bar_frames(&run.output);
    assert!(frames.len() >= 4, "{frames:#?}\n{}", run.context());
    let first = &frames[0];
    assert!(first.starts_with("  0% ["), "{frames:#?}");
    assert!(
        !first.contains("B/s") && !first.contains("ETA"),
        "no rate or ETA before there is one: {first:?}"
    );
    assert!(
        frames
            .iter()
            .any(|f| f.contains("B/s") && f.contains("ETA ")),
        "a rate and ETA once bytes arrived: {frames:#?}"
    );
    let width = |f: &String| (f.chars().count(), f.find(']'));
    for frame in &frames {
        assert_eq!(width(frame), width(first), "{frames:#?}");
    }
}

/// A large `@file` body shows an upload bar on a terminal's stderr; the server gets the
/// exact bytes. Not with stderr piped, nor with `-q`, nor for a small body.
#[test]
fn large_uploads_show_a_progress_bar_on_a_terminal() {
    let body = content(5 << 20);
    let server = Server::start(|_| Reply::text("got it"));
    let url = server.url("/up");
    let last_body = || server.requests().pop().expect("a request").body;
    let upload = |args: &[&str], tty: Tty| {
        let cmd = http(args);
        std::fs::write(cmd.home().join("big.bin"), &body).unwrap();
        std::fs::write(cmd.home().join("small.bin"), b"small").unwrap();
        cmd.run_pty_with(tty).success()
    };
    let run = upload(&["-b", "POST", &url, "@big.bin"], Tty::ALL);
    let out = run.text();
    assert!(out.contains("5.00 MiB"), "the total size: {out:?}");
    // A local upload ends before the bar shows a rate (after 1 s): the bar itself is enough.
    assert!(
        out.contains("% [") && out.contains("/5.00 MiB"),
        "a bar: {out:?}"
    );
    assert!(out.contains("got it"), "{out:?}");
    let got = last_body();
    assert_eq!(got.len(), body.len());
    assert!(got == body, "the exact bytes");

    // Multipart with a big file part.
    let run = upload(&["-b", "--form", "POST", &url, "f@big.bin"], Tty::ALL);
    assert!(
        run.text().contains("MiB") && run.text().contains('%'),
        "{run:?}"
    );
    let got = last_body();
    assert!(got.len() > body.len() && got.windows(4096).any(|w| w == &body[..4096]));

    // stderr to a pipe: no bar, same bytes.
    let run = upload(&["-b", "POST", &url, "@big.bin"], Tty::SPLIT);
    assert!(
        !run.text().contains("MiB") && !run.stderr_str().contains("MiB"),
        "{run:?}"
    );
    assert!(last_body() == body, "the exact bytes without a bar");
    // -q and small bodies: no bar.
    let run = upload(&["-q", "POST", &url, "@big.bin"], Tty::ALL);
    assert!(!run.text().contains("MiB"), "{run:?}");
    assert!(last_body() == body);
    let run = upload(&["-b", "POST", &url, "@small.bin"], Tty::ALL);
    assert!(!run.text().contains("% ["), "{run:?}");
    assert_eq!(last_body(), b"small");
}

// ------------------------------------------------------------- Ctrl-C

/// A server whose first response promises `total` bytes, sends `sent` of them, then waits
/// for `gate`; later connections serve the whole body with ranges.
fn stalling_server(body: Arc<Vec<u8>>, sent: usize, gate: Gate) -> RawServer {
    RawServer::scripted(move |conn| {
        if conn.index > 0 {
            serve_ranged(conn, &body);
            return;
        }
        if conn.read_request().is_err() {
            return;
        }
        let mut out = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(&body[..sent]);
        let _ = conn.write(out);
        gate.wait();
    })
}

/// The disk space for a body of known size is reserved up front, while the file's visible
/// size stays the bytes received (so a cut download resumes from the right place).
#[test]
fn space_is_reserved_but_the_size_is_what_arrived() {
    use std::os::unix::fs::MetadataExt;
    let body = Arc::new(content(4 << 20));
    let (gate, opener) = gate();
    let server = stalling_server(body.clone(), 3_000, gate);
    let cmd = http(&["-d", "-o", "out.bin", &server.url("/big")]);
    let file = cmd.home().join("out.bin");
    let mut running = cmd.spawn();
    running.wait_stderr("Downloading");
    // The client writes the 3,000 bytes it has; there is no other signal than the file.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut meta = std::fs::metadata(&file).unwrap();
    while meta.len() < 3_000 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
        meta = std::fs::metadata(&file).unwrap();
    }
    running.signal(Signal::SIGINT);
    let run = running.wait().assert_code(130);
    opener.open();
    assert_eq!(meta.len(), 3_000, "{}", run.context());
    let reserved = meta.blocks() * 512;
    if reserved < 4 << 20 && probe_no_fallocate(&file) {
        eprintln!("skipped: this file system cannot reserve space (fallocate)");
        return;
    }
    assert!(
        reserved >= 4 << 20,
        "only {reserved} bytes reserved for a 4 MiB body"
    );
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 3_000);
}

/// Whether the file system of `near` refuses `fallocate` (tmpfs and ext4 accept it).
fn probe_no_fallocate(near: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let probe = near.with_extension("probe");
    let Ok(f) = std::fs::File::create(&probe) else {
        return true;
    };
    // SAFETY: a plain system call on a descriptor that `f` keeps open.
    let rc =
        unsafe { nix::libc::fallocate(f.as_raw_fd(), nix::libc::FALLOC_FL_KEEP_SIZE, 0, 4096) };
    let _ = std::fs::remove_file(&probe);
    rc != 0
}

#[test]
fn ctrl_c_keeps_a_resumable_file_and_says_how_to_resume() {
    let body = Arc::new(content(10_000));
    let (gate, opener) = gate();
    let server = stalling_server(body.clone(), 3_000, gate);
    let url = server.url("/big");
    let cmd = http(&["-d", "-o", "out.bin", &url]);
    let home = cmd.home().to_path_buf();
    let mut running = cmd.clone().spawn();
    // Printed once the handler is in place.
    running.wait_stderr("Downloading 9.8 KiB to \"out.bin\"");
    running.signal(Signal::SIGINT);
    let run = running.wait().assert_code(130);
    opener.open();
    let err = run.stderr_str();
    // How much arrived before the signal is up to the scheduler; what is said must match
    // what is on disk, and it must resume.
    let saved = std::fs::read(home.join("out.bin")).unwrap();
    assert!(
        saved.len() <= 3_000 && saved[..] == body[..saved.len()],
        "{}",
        saved.len()
    );
    assert!(
        err.contains(&format!(
            "http: download interrupted: {} of 10000 bytes saved in out.bin; \
             resume with: http -d -c -o out.bin {url}\n",
            saved.len()
        )),
        "{err}"
    );
    assert!(!err.contains("Done."), "{err}");

    http(&["-d", "-c", "-o", "out.bin", &url])
        .current_dir(&home)
        .run()
        .success();
    assert_file(&home, "out.bin", &body);
}

#[test]
fn ctrl_c_after_data_arrived_reports_it_exactly() {
    // On a terminal the bar shows when the first 3000 bytes are on disk: a sync point.
    let body = Arc::new(content(10_000));
    let (gate, opener) = gate();
    let server = stalling_server(body.clone(), 3_000, gate);
    let url = server.url("/big");
    let tty = Tty {
        stdin: false,
        stdout: false,
        stderr: true,
    };
    let cmd = http(&["-d", "-o", "out.bin", &url]);
    let home = cmd.home().to_path_buf();
    let mut session = cmd.spawn_pty_with(tty);
    session.wait_output("2.93 KiB/9.77 KiB");
    session.signal(Signal::SIGINT);
    let run = session.wait().assert_code(130);
    opener.open();
    let out = run.text();
    assert!(
        out.contains(&format!(
            "http: download interrupted: 3000 of 10000 bytes saved in out.bin; \
             resume with: http -d -c -o out.bin {url}"
        )),
        "{out:?}"
    );
    assert_file(&home, "out.bin", &body[..3_000]);
}

// ------------------------------------------------------------- kernel copy (splice)
//
// On Linux a plain-TCP body with a Content-Length, saved as sent to a file, is moved by the
// kernel (socket -> pipe -> file, `client::splice`); TLS, chunked and compressed bodies are
// read and written as before. The two paths are told apart by the pipe the kernel path
// opens (seen in /proc while the transfer waits), and each must save the same bytes.

/// A head with a Content-Length (or chunked when `len` is None), then `body` in pieces with
/// pauses, so that most of it reaches the client after the head was parsed, from the socket.
/// A chunked body is left open (no last chunk).
fn head_then_pieces(conn: &mut Conn, len: Option<usize>, body: &[u8]) -> std::io::Result<()> {
    let framing = match len {
        Some(n) => format!("Content-Length: {n}"),
        None => "Transfer-Encoding: chunked".to_string(),
    };
    conn.write(format!(
        "HTTP/1.1 200 OK\r\n{framing}\r\nConnection: close\r\n\r\n"
    ))?;
    for (i, piece) in body.chunks(256 << 10).enumerate() {
        if i % 4 == 0 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        match len {
            Some(_) => conn.write(piece)?,
            None => {
                conn.write([format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat())?
            }
        }
    }
    Ok(())
}

/// Serves `body` whole, or cut after `sent` bytes (then closed), in pieces.
fn piecewise_server(body: Arc<Vec<u8>>, sent: usize, chunked: bool) -> RawServer {
    RawServer::scripted(move |conn| {
        if conn.read_request().is_err() {
            return;
        }
        let len = (!chunked).then_some(body.len());
        if head_then_pieces(conn, len, &body[..sent]).is_ok() && chunked {
            let _ = conn.write("0\r\n\r\n");
        }
        conn.finish();
    })
}

#[test]
fn a_large_plain_body_from_the_socket_is_saved_exactly() {
    let body = Arc::new(content(12 << 20));
    let server = piecewise_server(body.clone(), body.len(), false);
    let run = http(&["-d", "-o", "big.bin", &server.url("/big")])
        .run()
        .success();
    assert_file(run.home(), "big.bin", &body);
    assert!(run.stderr_str().contains("Done."), "{run:?}");
}

#[test]
fn a_chunked_body_takes_the_portable_path_and_is_saved_exactly() {
    let body = Arc::new(content(5 << 20));
    let server = piecewise_server(body.clone(), body.len(), true);
    let run = http(&["-d", "-o", "big.bin", &server.url("/big")])
        .run()
        .success();
    assert_file(run.home(), "big.bin", &body);
}

#[test]
fn a_plain_body_cut_on_the_socket_is_incomplete_and_resumes() {
    let body = Arc::new(content(3 << 20));
    let cut = (1 << 20) + 12_345;
    let first = piecewise_server(body.clone(), cut, false);
    let url = first.url("/file.bin");
    let cmd = http(&["-d", "-o", "file.bin", &url]);
    let run = cmd.clone().run().assert_code(1);
    let err = run.stderr_str();
    assert!(
        err.contains(&format!(
            "http: error: Incomplete download: size={}; downloaded={cut}; \
             resume with: http -d -c -o file.bin {url}",
            body.len()
        )),
        "{err}"
    );
    assert_file(run.home(), "file.bin", &body[..cut]);

    let served = body.clone();
    let second = RawServer::scripted(move |conn| serve_ranged(conn, &served));
    http(&["-d", "-c", "-o", "file.bin", &second.url("/file.bin")])
        .current_dir(cmd.home())
        .run()
        .success();
    assert_file(cmd.home(), "file.bin", &body);
}

/// Head, `sent` body bytes in a later write (from the socket, not ureq's buffer), then
/// nothing until `gate` opens.
fn stall_after_socket_bytes(body: Arc<Vec<u8>>, sent: usize, gate: Gate) -> RawServer {
    RawServer::scripted(move |conn| {
        if conn.read_request().is_err() {
            return;
        }
        let _ = head_then_pieces(conn, Some(body.len()), &body[..sent]);
        gate.wait();
    })
}

#[test]
fn a_stall_on_the_socket_is_still_a_read_timeout() {
    let body = Arc::new(content(1 << 20));
    let (gate, opener) = gate();
    let server = stall_after_socket_bytes(body.clone(), 300_000, gate);
    let started = std::time::Instant::now();
    let run = http(&[
        "-d",
        "--timeout",
        "0.5",
        "-o",
        "slow.bin",
        &server.url("/slow"),
    ])
    .run()
    .assert_code(2);
    opener.open();
    assert!(run.stderr_str().contains("read timeout"), "{run:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_file(run.home(), "slow.bin", &body[..300_000]);
}

#[test]
fn a_stall_on_the_socket_ends_at_max_time() {
    let body = Arc::new(content(1 << 20));
    let (gate, opener) = gate();
    let server = stall_after_socket_bytes(body.clone(), 300_000, gate);
    let run = http(&[
        "-d",
        "--timeout",
        "30",
        "--max-time",
        "1",
        "-o",
        "slow.bin",
        &server.url("/slow"),
    ])
    .run()
    .assert_code(2);
    opener.open();
    assert!(run.stderr_str().contains("--max-time"), "{run:?}");
    assert_file(run.home(), "slow.bin", &body[..300_000]);
}

/// Pipes the process has open past stdin, stdout and stderr.
fn pipes(pid: i32) -> usize {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    dir.flatten()
        .filter(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) > Some(2))
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter(|l| l.to_string_lossy().starts_with("pipe:"))
        .count()
}

/// The pipes an `http -d` of `url` (plus `extra` arguments) has open once it has saved
/// `saved` bytes and the server stalls; then it is stopped with Ctrl-C.
fn pipes_while_stalled(url: &str, extra: &[&str], saved: u64) -> usize {
    pipes_while_resuming(url, extra, saved, None)
}

/// The same, with `part.bin` already holding `partial` (for `-c`).
fn pipes_while_resuming(url: &str, extra: &[&str], saved: u64, partial: Option<&[u8]>) -> usize {
    let mut args = vec!["-d", "-o", "part.bin"];
    args.extend_from_slice(extra);
    args.push(url);
    let mut cmd = http(&args);
    if let Some(bytes) = partial {
        cmd = cmd.home_file("part.bin", bytes);
    }
    let part = cmd.home().join("part.bin");
    let mut running = cmd.spawn();
    running.wait_stderr(match partial {
        Some(_) => "Resuming",
        None => "Downloading",
    });
    let waited = std::time::Instant::now();
    while std::fs::metadata(&part).map_or(0, |m| m.len()) < saved {
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(20),
            "nothing saved"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let n = pipes(running.pid());
    running.signal(Signal::SIGINT);
    running.wait().assert_code(130);
    n
}

#[cfg(target_os = "linux")]
#[test]
fn only_a_plain_identity_body_with_a_length_goes_through_a_kernel_pipe() {
    let body = Arc::new(content(1 << 20));
    let (gate, opener) = gate();
    let plain = stall_after_socket_bytes(body.clone(), 300_000, gate.clone());
    let chunked = chunked_stall(body.clone(), 300_000, gate.clone());
    let with_tls = tls_stalling_server(body.clone(), 300_000, gate);
    let base = pipes_while_stalled(&chunked.url("/c"), &[], 300_000);
    let kernel = pipes_while_stalled(&plain.url("/p"), &[], 300_000);
    let tls_url = format!("https://127.0.0.1:{}/t", with_tls.port);
    let tls = pipes_while_stalled(&tls_url, &["--verify=no"], 300_000);
    opener.open();
    assert_eq!(kernel, base + 2, "plain: {kernel}, chunked: {base}");
    assert_eq!(tls, base, "TLS: {tls}, chunked: {base}");
}

/// A resumed download (`-c`, the file written from its end) goes through the kernel's pipe
/// as a fresh one does, and the file ends up whole.
#[cfg(target_os = "linux")]
#[test]
fn a_resumed_download_goes_through_the_kernel_pipe_too() {
    let body = Arc::new(content(1 << 20));
    let (gate, opener) = gate();
    // The 206 stops after 300,000 bytes until the gate opens.
    let server = RawServer::scripted({
        let (body, gate) = (body.clone(), gate.clone());
        move |conn| {
            let Ok(req) = conn.read_request() else { return };
            let from = range_start(&req).unwrap_or(0);
            if conn.write(partial_head(&body, from)).is_ok()
                && conn.write(&body[from..from + 300_000]).is_ok()
            {
                gate.wait();
            }
        }
    });
    let chunked = chunked_stall(body.clone(), 300_000, gate);
    let base = pipes_while_stalled(&chunked.url("/c"), &[], 300_000);
    let partial = &body[..100_000];
    let resumed = pipes_while_resuming(&server.url("/r"), &["-c"], 400_000, Some(partial));
    opener.open();
    assert_eq!(resumed, base + 2, "resumed: {resumed}, chunked: {base}");
    // And whole when the server does not stall.
    let whole = RawServer::scripted({
        let body = body.clone();
        move |conn| serve_ranged(conn, &body)
    });
    let run = http(&["-d", "-c", "-o", "part.bin", &whole.url("/w")])
        .home_file("part.bin", partial)
        .run()
        .success();
    assert_file(run.home(), "part.bin", &body);
}

/// Chunked: `sent` bytes of `body`, then a stall until `gate` opens.
fn chunked_stall(body: Arc<Vec<u8>>, sent: usize, gate: Gate) -> RawServer {
    RawServer::scripted(move |conn| {
        if conn.read_request().is_ok() {
            let _ = head_then_pieces(conn, None, &body[..sent]);
            gate.wait();
        }
    })
}

/// Over TLS: head and `sent` bytes of `body` (a Content-Length), then a stall until `gate`
/// opens, or the close when `sent` is all of it.
fn tls_stalling_server(body: Arc<Vec<u8>>, sent: usize, gate: Gate) -> RawServer {
    let config = Leaf::self_signed(&["localhost"]).config();
    RawServer::scripted(move |conn| {
        let Ok(server) = rustls::ServerConnection::new(config.clone()) else {
            return;
        };
        let mut tls = rustls::StreamOwned::new(server, &mut conn.stream);
        if read_head(&mut tls).is_err() {
            return;
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = tls.write_all(head.as_bytes());
        for piece in body[..sent].chunks(256 << 10) {
            let _ = tls.write_all(piece);
            let _ = tls.flush();
        }
        if sent < body.len() {
            gate.wait();
        }
        tls.conn.send_close_notify();
        let _ = tls.flush();
    })
}

#[test]
fn a_large_body_over_tls_takes_the_portable_path_and_is_saved_exactly() {
    let body = Arc::new(content(6 << 20));
    let (gate, _opener) = gate();
    let server = tls_stalling_server(body.clone(), body.len(), gate);
    let url = format!("https://127.0.0.1:{}/big", server.port);
    let run = http(&["-d", "--verify=no", "-o", "big.bin", &url])
        .run()
        .success();
    assert_file(run.home(), "big.bin", &body);
}

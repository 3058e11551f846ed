//! The foundation of the CLI: argument grammar (method, URL shorthands,
//! request items), request bodies, default headers, what `--offline` and
//! `--print` show, piped vs terminal output, exit codes, timeouts and
//! redirects. Every request goes to a real server on 127.0.0.1.

use std::io::Read;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::harness::*;

// ------------------------------------------------------------- helpers

const UA: &str = "User-Agent: http/0.1.0\r\n";
const AE: &str = "Accept-Encoding: gzip, deflate, br, zstd\r\n";
const ACCEPT_ANY: &str = "Accept: */*\r\n";
const ACCEPT_JSON: &str = "Accept: application/json, */*;q=0.5\r\n";

/// An empty 200 that closes the connection.
const EMPTY_OK: &str = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A raw server that records each request and answers an empty 200.
fn capture() -> RawServer {
    RawServer::respond(EMPTY_OK)
}

/// `args` with every `{url}` replaced by `url` (so one argument list can be
/// run against different servers).
fn with_url(args: &[&str], url: &str) -> Vec<String> {
    args.iter().map(|a| a.replace("{url}", url)).collect()
}

fn cmd(args: &[String]) -> Cmd {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    http(&refs)
}

/// Runs `http ARGS...` (`{url}` in ARGS is a capture server's base URL), as
/// prepared by `setup`; returns the one request the server received and
/// the server's `host:port`.
#[track_caller]
fn send_one(args: &[&str], setup: impl FnOnce(Cmd) -> Cmd) -> (RawRequest, String) {
    let server = capture();
    let url = server.url("");
    setup(cmd(&with_url(args, url.trim_end_matches('/'))))
        .run()
        .success();
    (server.request(), server.addr())
}

/// Runs `args` (with `{url}` pointing at a capture server) against the
/// wire and with `--offline`; the offline print (request head and body)
/// must equal the captured bytes exactly. `setup` prepares each `Cmd`
/// (e.g. files in its HOME). Returns the captured request.
#[track_caller]
fn assert_offline_matches_wire(args: &[&str], setup: impl Fn(Cmd) -> Cmd) -> RawRequest {
    let server = capture();
    let url = server.url("");
    let url = url.trim_end_matches('/');
    let args = with_url(args, url);

    let online = setup(cmd(&args)).run().success();
    assert!(online.stdout.is_empty(), "{online:?}");
    let wire = server.request();

    let offline = setup(cmd(&args)).arg("--offline").run().success();
    assert_eq!(
        text(&offline.stdout),
        text(&wire.bytes()),
        "--offline print differs from the bytes on the wire"
    );
    assert_eq!(offline.stdout, wire.bytes());
    assert_eq!(server.connections(), 1, "--offline must not connect");
    wire
}

/// Terminal output without our colour sequences.
fn uncoloured(s: &str) -> String {
    String::from_utf8_lossy(&strip_ansi(s.as_bytes())).into_owned()
}

/// A raw server that reads the request and then never answers (until it
/// is dropped). The receiver gets one message per request read.
fn silent_server() -> (RawServer, mpsc::Receiver<()>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let server = RawServer::scripted(move |conn| {
        if conn.read_request().is_ok() {
            let _ = tx.lock().unwrap().send(());
            conn.hold();
        }
    });
    (server, rx)
}

#[track_caller]
fn assert_no_panic(stderr: &str) {
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "panic on stderr:\n{stderr}"
    );
}

// ----------------------------------------------------- method and URL

#[test]
fn method_defaults_to_get_without_data_and_post_with_data() {
    let server = capture();
    http(&[&server.url("/a")]).run().success();
    http(&[&server.url("/b"), "x=1"]).run().success();
    http(&[&server.url("/c"), "q==1", "H:v"]).run().success();
    let lines: Vec<String> = server.received().iter().map(|r| r.request_line()).collect();
    assert_eq!(
        lines,
        ["GET /a HTTP/1.1", "POST /b HTTP/1.1", "GET /c?q=1 HTTP/1.1"]
    );
}

#[test]
fn lowercase_method_is_uppercased_and_custom_methods_pass_through() {
    let server = capture();
    http(&["get", &server.url("/g")]).run().success();
    http(&["delete", &server.url("/d")]).run().success();
    http(&["PURGE", &server.url("/p")]).run().success();
    http(&["put", &server.url("/u"), "a=1"]).run().success();
    let lines: Vec<String> = server.received().iter().map(|r| r.request_line()).collect();
    assert_eq!(
        lines,
        [
            "GET /g HTTP/1.1",
            "DELETE /d HTTP/1.1",
            "PURGE /p HTTP/1.1",
            "PUT /u HTTP/1.1"
        ]
    );
}

#[test]
fn lone_word_and_word_followed_by_item_are_urls() {
    let run = http(&["--offline", "-p", "H", "localhost"]).run().success();
    assert_eq!(
        run.stdout_str(),
        format!("GET / HTTP/1.1\r\nHost: localhost\r\n{UA}{AE}{ACCEPT_ANY}\r\n")
    );
    let run = http(&["--offline", "-p", "H", "localhost", "q==1"])
        .run()
        .success();
    assert_eq!(
        run.stdout_str(),
        format!("GET /?q=1 HTTP/1.1\r\nHost: localhost\r\n{UA}{AE}{ACCEPT_ANY}\r\n")
    );
    // An uppercase word before a URL is a method, even a made-up one.
    let run = http(&["--offline", "-p", "H", "FETCH", "localhost"])
        .run()
        .success();
    assert!(
        run.stdout_str()
            .starts_with("FETCH / HTTP/1.1\r\nHost: localhost\r\n"),
        "{run:?}"
    );
}

#[test]
fn colon_port_shorthand_goes_to_localhost() {
    let server = Server::echo();
    let port = server.port.to_string();
    let run = http(&[&format!(":{port}/x"), "q==1"]).run().success();
    let got = server.request();
    assert_eq!(got.url, "/x?q=1");
    assert_eq!(
        got.header("Host"),
        Some(format!("localhost:{port}").as_str())
    );
    assert_eq!(run.json()["url"], "/x?q=1");
}

#[test]
fn colon_shorthands_without_port_and_pasted_scheme_separator() {
    let head = |url: &str| {
        let run = http(&["--offline", "-p", "H", url]).run().success();
        let out = run.stdout_str();
        out.split("\r\n").take(2).collect::<Vec<_>>().join("|")
    };
    assert_eq!(head(":/x"), "GET /x HTTP/1.1|Host: localhost");
    assert_eq!(head(":"), "GET / HTTP/1.1|Host: localhost");
    assert_eq!(
        head("://example.org/x"),
        "GET /x HTTP/1.1|Host: example.org"
    );
    assert_eq!(
        head("example.org:8080/y?z=1"),
        "GET /y?z=1 HTTP/1.1|Host: example.org:8080"
    );
}

#[test]
fn url_without_scheme_uses_http_on_the_http_binary() {
    let server = Server::echo();
    http(&[&format!("{}/plain", server.addr())]).run().success();
    assert_eq!(server.request().url, "/plain");
}

/// Reads the first bytes a client sends: a TLS ClientHello starts with
/// 0x16 (handshake) 0x03 (TLS major version).
fn first_bytes_server() -> (RawServer, Arc<Mutex<Vec<u8>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let server = RawServer::start(move |_, stream| {
        let mut buf = [0u8; 2];
        if stream.read_exact(&mut buf).is_ok() {
            sink.lock().unwrap().extend_from_slice(&buf);
        }
    });
    (server, seen)
}

#[test]
fn https_binary_defaults_to_tls() {
    let (server, seen) = first_bytes_server();
    let run = https(&[&server.addr()]).run().assert_code(1);
    assert_no_panic(&run.stderr_str());
    assert_eq!(
        *seen.lock().unwrap(),
        [0x16, 0x03],
        "expected a TLS handshake\n{run:?}"
    );
}

#[test]
fn default_scheme_flag_selects_tls_or_plain() {
    let (server, seen) = first_bytes_server();
    let run = http(&["--default-scheme=https", &server.addr()])
        .run()
        .assert_code(1);
    assert_eq!(
        *seen.lock().unwrap(),
        [0x16, 0x03],
        "expected a TLS handshake\n{run:?}"
    );

    let plain = Server::echo();
    https(&["--default-scheme=http", &format!("{}/p", plain.addr())])
        .run()
        .success();
    assert_eq!(plain.request().url, "/p");

    // An explicit scheme wins over the binary's default.
    let plain = Server::echo();
    https(&[&plain.url("/explicit")]).run().success();
    assert_eq!(plain.request().url, "/explicit");
}

#[test]
fn credentials_in_url_become_basic_auth_and_leave_the_url() {
    let server = capture();
    let url = format!("http://user:pa%20ss@{}/private", server.addr());
    http(&[&url]).run().success();
    let got = server.request();
    assert_eq!(got.request_line(), "GET /private HTTP/1.1");
    assert_eq!(got.header("Host"), Some(server.addr()));
    // base64("user:pa ss")
    assert_eq!(
        got.header("Authorization").as_deref(),
        Some("Basic dXNlcjpwYSBzcw==")
    );
    assert!(!got.head_str().contains("user:"), "{}", got.head_str());
}

#[test]
fn dot_segments_are_collapsed_unless_path_as_is() {
    let server = capture();
    http(&[&server.url("/a/../b/./c")]).run().success();
    http(&["--path-as-is", &server.url("/a/../b/./c")])
        .run()
        .success();
    let targets: Vec<String> = server.received().iter().map(|r| r.target()).collect();
    assert_eq!(targets, ["/b/c", "/a/../b/./c"]);
}

// ------------------------------------------------------------- items

#[test]
fn header_items_set_unset_and_empty() {
    let (got, addr) = send_one(
        &[
            "{url}/h",
            "X-Plain:v 1",
            "User-Agent:",
            "Accept:",
            "X-Empty;",
            "X-File:@hv.txt",
        ],
        |c| c.home_file("hv.txt", "from file\n"),
    );
    assert_eq!(
        got.head_str(),
        format!("GET /h HTTP/1.1\r\nHost: {addr}\r\n{AE}X-Plain: v 1\r\nX-Empty: \r\nX-File: from file\r\n\r\n")
    );
}

#[test]
fn user_header_replaces_a_default_in_place() {
    let (got, addr) = send_one(
        &["{url}/", "X-Z:1", "user-agent:me/1", "Accept:text/html"],
        |c| c,
    );
    assert_eq!(
        got.head_str(),
        format!("GET / HTTP/1.1\r\nHost: {addr}\r\nuser-agent: me/1\r\n{AE}Accept: text/html\r\nX-Z: 1\r\n\r\n")
    );
}

#[test]
fn query_items_append_in_order_and_read_files() {
    let (got, _) = send_one(
        &["{url}/q?pre=0", "a==1", "b==x y&z", "a==2", "f==@q.txt"],
        |c| c.home_file("q.txt", "filed"),
    );
    assert_eq!(got.target(), "/q?pre=0&a=1&b=x+y%26z&a=2&f=filed");
}

#[test]
fn data_items_json_types_files_and_escapes() {
    let (got, _) = send_one(
        &[
            "{url}/d",
            "s=text",
            "n:=2",
            "t:=true",
            "o:={\"k\": [1, null]}",
            "ft=@t.txt",
            "fj:=@j.json",
            r"a\:b=1",
            r"c\=d=2",
            r"e\@f=3",
        ],
        |c| {
            c.home_file("t.txt", "line\n")
                .home_file("j.json", "{\"z\": 1.50}\n")
        },
    );
    assert_eq!(
        text(&got.body),
        r#"{"s": "text", "n": 2, "t": true, "o": {"k": [1, null]}, "ft": "line\n", "fj": {"z": 1.50}, "a:b": "1", "c=d": "2", "e@f": "3"}"#
    );
    assert_eq!(
        got.header("Content-Type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        got.header("Content-Length"),
        Some(got.body.len().to_string())
    );
}

#[test]
fn nested_json_paths_build_objects_and_arrays() {
    let (got, _) = send_one(
        &[
            "{url}/n",
            "a[b][0]=x",
            "a[b][2]:=1",
            "c[]:=1",
            "c[]=2",
            r"foo\[bar\]:=1",
            "d[e][f]=g",
        ],
        |c| c,
    );
    assert_eq!(
        text(&got.body),
        r#"{"a": {"b": ["x", null, 1]}, "c": [1, "2"], "foo[bar]": 1, "d": {"e": {"f": "g"}}}"#
    );

    let (got, _) = send_one(&["{url}/top", "[]=x", "[]:=2"], |c| c);
    assert_eq!(text(&got.body), r#"["x", 2]"#);
}

#[test]
fn multipart_upload_with_declared_type() {
    let (got, _) = send_one(
        &[
            "--form",
            "--boundary=BOUND",
            "{url}/up",
            "a=1",
            "f@up.txt",
            "g@up.txt;type=text/x-custom",
        ],
        |c| c.home_file("up.txt", "hello\n"),
    );
    assert_eq!(
        got.header("Content-Type").as_deref(),
        Some("multipart/form-data; boundary=BOUND")
    );
    assert_eq!(
        text(&got.body),
        "--BOUND\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
         --BOUND\r\nContent-Disposition: form-data; name=\"f\"; filename=\"up.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\n\r\n\
         --BOUND\r\nContent-Disposition: form-data; name=\"g\"; filename=\"up.txt\"\r\nContent-Type: text/x-custom\r\n\r\nhello\n\r\n\
         --BOUND--\r\n"
    );
}

#[test]
fn whole_body_from_file_with_guessed_content_type() {
    let png: Vec<u8> = [0x89, b'P', b'N', b'G', 0, 0xff, b'\r', b'\n'].to_vec();
    let (got, _) = send_one(&["{url}/img", "@pic.png"], |c| c.home_file("pic.png", &png));
    assert_eq!(got.method(), "POST");
    assert_eq!(got.header("Content-Type").as_deref(), Some("image/png"));
    assert_eq!(got.decoded_body(), png);

    let (got, _) = send_one(&["PUT", "{url}/t", "@notes.txt"], |c| {
        c.home_file("notes.txt", "some text\n")
    });
    assert_eq!(got.request_line(), "PUT /t HTTP/1.1");
    assert_eq!(got.header("Content-Type").as_deref(), Some("text/plain"));
    assert_eq!(got.decoded_body(), b"some text\n");
}

// ------------------------------------------------------------- bodies

#[test]
fn json_body_exact_bytes_and_headers() {
    let (got, addr) = send_one(&["{url}/j", "a=1", "n:=2"], |c| c);
    assert_eq!(
        text(&got.bytes()),
        format!("POST /j HTTP/1.1\r\nHost: {addr}\r\n{UA}{AE}{ACCEPT_JSON}Content-Type: application/json\r\nContent-Length: 18\r\n\r\n{{\"a\": \"1\", \"n\": 2}}")
    );
}

#[test]
fn json_flag_sets_headers_without_data() {
    let server = capture();
    http(&["--json", &server.url("/")]).run().success();
    http(&["-j", "POST", &server.url("/")]).run().success();
    let got = server.received();
    assert_eq!(
        got[0].head_str(),
        format!(
            "GET / HTTP/1.1\r\nHost: {}\r\n{UA}{AE}{ACCEPT_JSON}Content-Type: application/json\r\n\r\n",
            server.addr()
        )
    );
    assert_eq!(got[1].method(), "POST");
    assert_eq!(
        got[1].header("Accept").as_deref(),
        Some("application/json, */*;q=0.5")
    );
    assert_eq!(
        got[1].header("Content-Type").as_deref(),
        Some("application/json")
    );
    assert!(got[1].body.is_empty());
}

#[test]
fn form_body_is_urlencoded() {
    let (got, _) = send_one(&["-f", "{url}/f", "a=1", "b=x y&z", "c=é"], |c| c);
    assert_eq!(
        got.header("Content-Type").as_deref(),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    assert_eq!(got.header("Accept").as_deref(), Some("*/*"));
    assert_eq!(text(&got.body), "a=1&b=x+y%26z&c=%C3%A9");
}

#[test]
fn raw_flag_sends_data_verbatim() {
    let (got, _) = send_one(&["--raw", "line1\nline2 {not json", "{url}/r"], |c| c);
    assert_eq!(got.method(), "POST");
    assert_eq!(got.body, b"line1\nline2 {not json");
    assert_eq!(got.header("Content-Length").as_deref(), Some("21"));
}

#[test]
fn piped_stdin_is_the_body_unless_ignored() {
    let bytes: Vec<u8> = (0u8..=255).collect();
    let (got, _) = send_one(&["{url}/s"], |c| c.stdin(bytes.clone()));
    assert_eq!(got.method(), "POST");
    assert_eq!(got.decoded_body(), bytes);

    let (got, _) = send_one(&["-I", "{url}/i", "a=1"], |c| c.stdin("ignored"));
    assert_eq!(got.body, br#"{"a": "1"}"#);

    let (got, _) = send_one(&["--ignore-stdin", "{url}/g"], |c| c.stdin("ignored"));
    assert_eq!(got.request_line(), "GET /g HTTP/1.1");
    assert!(got.body.is_empty());
}

/// Raw bodies (stdin, `--raw`, `@file`) ask for JSON and announce it as HTTPie 3.2.4 does;
/// an empty `--raw` announces nothing. The offline print matches the wire in each case.
#[test]
fn raw_bodies_send_httpies_json_headers() {
    const JSON_ACCEPT: &str = "application/json, */*;q=0.5";
    let wire = assert_offline_matches_wire(&["{url}/s"], |c| c.stdin("x"));
    assert_eq!(wire.header("Accept").as_deref(), Some(JSON_ACCEPT));
    assert_eq!(
        wire.header("Content-Type").as_deref(),
        Some("application/json")
    );
    let wire = assert_offline_matches_wire(&["-I", "POST", "{url}/f", "@data.csv"], |c| {
        let c = c.home_file("data.csv", "a,b\n");
        let home = c.home().to_path_buf();
        c.current_dir(home)
    });
    assert_eq!(wire.header("Accept").as_deref(), Some(JSON_ACCEPT));
    assert_eq!(wire.header("Content-Type").as_deref(), Some("text/csv"));
    let wire = assert_offline_matches_wire(&["-I", "POST", "{url}/e", "--raw", ""], |c| c);
    assert_eq!(wire.header("Accept").as_deref(), Some("*/*"));
    assert_eq!(wire.header("Content-Type"), None);
}

#[test]
fn chunked_flag_uses_transfer_encoding() {
    let (got, _) = send_one(&["--chunked", "{url}/c", "a=1"], |c| c);
    assert_eq!(got.header("Transfer-Encoding").as_deref(), Some("chunked"));
    assert_eq!(got.header("Content-Length"), None);
    assert!(got.is_chunked());
    assert_eq!(got.decoded_body(), br#"{"a": "1"}"#);
    assert!(got.body.ends_with(b"0\r\n\r\n"), "{:?}", text(&got.body));
}

fn inflate(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("body is zlib data");
    out
}

#[test]
fn compress_deflates_only_when_smaller_and_xx_always() {
    // Too small to shrink: sent as is.
    let (got, _) = send_one(&["-x", "{url}/small", "a=1"], |c| c);
    assert_eq!(got.header("Content-Encoding"), None);
    assert_eq!(got.body, br#"{"a": "1"}"#);

    // Compressible: deflated, with a Content-Length of the compressed size.
    let long = "x".repeat(500);
    let (got, _) = send_one(&["-x", "{url}/big", &format!("a={long}")], |c| c);
    assert_eq!(got.header("Content-Encoding").as_deref(), Some("deflate"));
    assert_eq!(
        got.header("Content-Length"),
        Some(got.body.len().to_string())
    );
    assert!(got.body.len() < 100, "{}", got.body.len());
    assert_eq!(text(&inflate(&got.body)), format!("{{\"a\": \"{long}\"}}"));

    // -xx: deflated even though it grows.
    let (got, _) = send_one(&["-xx", "{url}/forced", "a=1"], |c| c);
    assert_eq!(got.header("Content-Encoding").as_deref(), Some("deflate"));
    assert_eq!(inflate(&got.body), br#"{"a": "1"}"#);
}

#[test]
fn bodyless_post_put_patch_send_content_length_zero() {
    let server = capture();
    for method in ["POST", "PUT", "PATCH"] {
        http(&[method, &server.url("/z")]).run().success();
    }
    http(&["GET", &server.url("/z")]).run().success();
    let got = server.received();
    for r in &got[..3] {
        assert_eq!(
            r.header("Content-Length").as_deref(),
            Some("0"),
            "{}",
            r.head_str()
        );
        assert!(r.body.is_empty());
    }
    assert_eq!(
        got[3].header("Content-Length"),
        None,
        "{}",
        got[3].head_str()
    );
}

// --------------------------------------------------- default headers

#[test]
fn default_header_order_with_auth_type_user_headers_and_length() {
    let (got, addr) = send_one(
        &["-a", "u:p", "{url}/o", "X-B:2", "X-A:1", "X-B:3", "k=v"],
        |c| c,
    );
    assert_eq!(
        got.head_str(),
        format!("POST /o HTTP/1.1\r\nHost: {addr}\r\n{UA}{AE}{ACCEPT_JSON}Authorization: Basic dTpw\r\nContent-Type: application/json\r\nX-B: 2\r\nX-B: 3\r\nX-A: 1\r\nContent-Length: 10\r\n\r\n")
    );
}

// ------------------------------------------- offline print equals wire

#[test]
fn offline_print_equals_wire_for_json_post() {
    let wire = assert_offline_matches_wire(&["POST", "{url}/j", "a=1", "n:=2", "X-T:1"], |c| c);
    assert!(wire
        .head_str()
        .ends_with("X-T: 1\r\nContent-Length: 18\r\n\r\n"));
}

#[test]
fn offline_print_equals_wire_for_form_post() {
    let wire = assert_offline_matches_wire(&["-f", "{url}/f", "a=1", "b=two words"], |c| c);
    assert_eq!(wire.body, b"a=1&b=two+words");
}

#[test]
fn offline_print_equals_wire_for_multipart_upload() {
    let wire = assert_offline_matches_wire(
        &[
            "--multipart",
            "--boundary=xyzzy",
            "{url}/m",
            "a=1",
            "file@up.bin",
        ],
        |c| c.home_file("up.bin", b"\x00\x01binary\xff\r\n"),
    );
    assert_eq!(
        wire.header("Content-Type").as_deref(),
        Some("multipart/form-data; boundary=xyzzy")
    );
    assert!(wire.body.ends_with(b"--xyzzy--\r\n"));
}

#[test]
fn offline_print_equals_wire_for_get_with_query_and_repeated_headers() {
    let wire = assert_offline_matches_wire(
        &["{url}/g", "q==1", "q==2", "X-R:a", "X-S:s", "X-R:b"],
        |c| c,
    );
    assert_eq!(wire.target(), "/g?q=1&q=2");
    assert!(wire.body.is_empty());
}

#[test]
fn offline_print_format_head_crlf_and_exact_body() {
    let run = http(&["--offline", "POST", "example.org/p", "a=1"])
        .run()
        .success();
    assert_eq!(
        run.stdout_str(),
        format!(
            "POST /p HTTP/1.1\r\nHost: example.org\r\n{UA}{AE}{ACCEPT_JSON}Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{{\"a\": \"1\"}}"
        )
    );
    let run = http(&["--offline", "example.org"]).run().success();
    assert_eq!(
        run.stdout_str(),
        format!("GET / HTTP/1.1\r\nHost: example.org\r\n{UA}{AE}{ACCEPT_ANY}\r\n")
    );
}

#[test]
fn verbose_prints_request_then_response_separated_after_a_body() {
    let server =
        RawServer::respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
    let run = http(&["-v", &server.url("/v"), "a=1"]).run().success();
    let host = server.addr();
    assert_eq!(
        run.stdout_str(),
        format!(
            "POST /v HTTP/1.1\r\nHost: {host}\r\n{UA}{AE}{ACCEPT_JSON}Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{{\"a\": \"1\"}}\n\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
        )
    );

    // No request body: the response head follows the request head directly.
    let run = http(&["-v", &server.url("/g")]).run().success();
    assert_eq!(
        run.stdout_str(),
        format!(
            "GET /g HTTP/1.1\r\nHost: {host}\r\n{UA}{AE}{ACCEPT_ANY}\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
        )
    );
}

// ------------------------------------------------------------- --print

fn hi_server() -> RawServer {
    RawServer::respond(
        "HTTP/1.1 200 OK\r\nX-Reply: r\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
    )
}

#[test]
fn print_letters_select_parts() {
    let server = hi_server();
    let url = server.url("/p");
    let host = server.addr();
    let req_head = format!(
        "POST /p HTTP/1.1\r\nHost: {host}\r\n{UA}{AE}{ACCEPT_JSON}Content-Type: application/json\r\nContent-Length: 10\r\n\r\n"
    );
    let resp_head =
        "HTTP/1.1 200 OK\r\nX-Reply: r\r\nContent-Length: 2\r\nConnection: close\r\n\r\n";
    let out = |print: &str| {
        http(&["-p", print, &url, "a=1"])
            .run()
            .success()
            .stdout_str()
    };
    assert_eq!(out("H"), req_head);
    assert_eq!(out("B"), r#"{"a": "1"}"#);
    assert_eq!(out("h"), resp_head);
    assert_eq!(out("b"), "hi");
    assert_eq!(out("hb"), format!("{resp_head}hi"));
    assert_eq!(out("Hh"), format!("{req_head}{resp_head}"));

    let short = |flag: &str| http(&[flag, &url]).run().success().stdout_str();
    assert_eq!(short("-h"), resp_head);
    assert_eq!(short("--headers"), resp_head);
    assert_eq!(short("-b"), "hi");
    assert_eq!(short("--body"), "hi");
    assert_eq!(server.connections(), 10);
}

#[test]
fn print_meta_shows_elapsed_time() {
    let server = hi_server();
    let run = http(&["-p", "m", &server.url("/m")]).run().success();
    let out = run.stdout_str();
    assert!(out.contains("Elapsed time: "), "{run:?}");
    assert!(!out.contains("hi") && !out.contains("HTTP/1.1"), "{run:?}");
}

/// The Arguments section documents the three positionals the usage line names, each on its
/// own line, instead of clap's `<ARGS>...`.
#[test]
fn help_documents_method_url_and_items() {
    let run = http(&["--help"]).run().success();
    let out = run.stdout_str();
    assert!(!out.contains("<ARGS>"), "{out}");
    let section = out
        .split("\nArguments:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap_or_else(|| panic!("no Arguments section: {out}"));
    let names: Vec<&str> = section
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["[METHOD]", "URL", "[ITEM]..."], "{section}");
    assert!(
        out.contains("Usage: http [OPTIONS] [METHOD] URL [ITEM]..."),
        "{out}"
    );
}

#[test]
fn help_and_version_exit_zero() {
    let run = http(&["--help"]).run().success();
    assert!(run.stdout_str().contains("Usage: http"), "{run:?}");
    assert!(run.stdout_str().contains("--print"), "{run:?}");
    let run = http(&["--version"]).run().success();
    assert_eq!(run.stdout_str(), "http 0.1.0\n");
    assert!(run.stderr.is_empty(), "{run:?}");
}

// ------------------------------------------------------------- output

#[test]
fn terminal_output_defaults_to_response_headers_and_body() {
    let server = RawServer::respond(
        "HTTP/1.1 200 OK\r\nX-Reply: r\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nhello there\n",
    );
    let run = http(&[&server.url("/t"), "a=1"]).run_pty().success();
    // Heads are CRLF even on a terminal (which adds its own CR): drop CRs.
    let shown = uncoloured(&run.text()).replace('\r', "");
    assert!(shown.contains("HTTP/1.1 200 OK\n"), "{shown:?}");
    assert!(shown.contains("X-Reply: r\n"), "{run:?}");
    assert!(shown.contains("hello there"), "{run:?}");
    let status = shown.find("HTTP/1.1 200 OK").unwrap();
    assert!(status < shown.find("hello there").unwrap(), "{run:?}");
    // The request itself is not printed by default.
    assert!(!shown.contains("POST /t"), "{run:?}");
    assert!(!shown.contains(r#"{"a": "1"}"#), "{run:?}");
}

#[test]
fn piped_output_is_the_body_byte_exact() {
    let body: Vec<u8> = (0u8..=255).rev().chain(0u8..=255).collect();
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    let server = RawServer::respond(response);
    let run = http(&[&server.url("/bin")]).run().success();
    assert_eq!(run.stdout, body);
}

#[test]
fn piped_json_stays_unformatted() {
    let body = "{\"b\":2,  \"a\":[1,2],\"c\":\"\\u00e9\"}";
    let server = RawServer::respond(format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    let run = http(&[&server.url("/json")]).run().success();
    assert_eq!(run.stdout_str(), body);
}

#[test]
fn status_line_reason_and_header_case_and_order_are_kept() {
    let server = RawServer::respond(
        "HTTP/1.1 404 Not Here\r\nx-lower: a\r\nX-UPPER: b\r\ncontent-TYPE: text/plain\r\nX-Rep: 1\r\nX-Rep: 2\r\nContent-Length: 4\r\nConnection: close\r\n\r\ngone",
    );
    let run = http(&["-h", &server.url("/nf")]).run().success();
    assert_eq!(
        run.stdout_str(),
        "HTTP/1.1 404 Not Here\r\nx-lower: a\r\nX-UPPER: b\r\ncontent-TYPE: text/plain\r\nX-Rep: 1\r\nX-Rep: 2\r\nContent-Length: 4\r\nConnection: close\r\n\r\n"
    );
    let server = RawServer::respond("HTTP/1.0 200 Fine Thanks\r\nContent-Length: 0\r\n\r\n");
    let run = http(&["-h", &server.url("/old")]).run().success();
    assert_eq!(
        run.stdout_str(),
        "HTTP/1.0 200 Fine Thanks\r\nContent-Length: 0\r\n\r\n"
    );
}

// --------------------------------------------------------- exit codes

fn status_server(status: &str) -> RawServer {
    RawServer::respond(format!(
        "HTTP/1.1 {status}\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody"
    ))
}

#[test]
fn any_status_exits_zero_without_check_status() {
    for status in [
        "200 OK",
        "302 Found",
        "404 Not Found",
        "500 Internal Server Error",
    ] {
        let server = status_server(status);
        let run = http(&[&server.url("/")]).run().success();
        assert_eq!(run.stdout_str(), "body");
        assert!(run.stderr.is_empty(), "{run:?}");
    }
}

#[test]
fn check_status_maps_3xx_4xx_5xx_with_a_warning() {
    let cases = [
        ("200 OK", 0, None),
        (
            "301 Moved Permanently",
            3,
            Some("http: warning: HTTP 301 Moved Permanently\n"),
        ),
        (
            "404 Not Found",
            4,
            Some("http: warning: HTTP 404 Not Found\n"),
        ),
        (
            "418 I'm a teapot",
            4,
            Some("http: warning: HTTP 418 I'm a teapot\n"),
        ),
        (
            "503 Service Unavailable",
            5,
            Some("http: warning: HTTP 503 Service Unavailable\n"),
        ),
    ];
    for (status, code, warning) in cases {
        let server = status_server(status);
        let run = http(&["--check-status", &server.url("/")])
            .run()
            .assert_code(code);
        assert_eq!(run.stdout_str(), "body", "{run:?}");
        assert_eq!(run.stderr_str(), warning.unwrap_or(""), "{run:?}");
    }
}

#[test]
fn check_status_warning_is_skipped_when_stdout_is_a_terminal() {
    let server = status_server("404 Not Found");
    let run = http(&["--check-status", &server.url("/")])
        .run_pty_with(Tty::STDOUT)
        .assert_code(4);
    assert!(run.stderr.is_empty(), "{run:?}");
    assert!(uncoloured(&run.text()).contains("404"), "{run:?}");
}

#[test]
fn check_status_with_follow_uses_the_final_status() {
    let server = Server::start(|r| match r.path() {
        "/from" => Reply::redirect(302, "/to"),
        _ => Reply::text("arrived"),
    });
    let run = http(&["--check-status", "--follow", &server.url("/from")])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "arrived");
    assert_eq!(server.hits(), 2);
}

#[test]
fn connection_refused_exits_one_with_one_error_line() {
    let port = dead_port();
    let run = http(&[&format!("127.0.0.1:{port}/x")]).run().assert_code(1);
    let err = run.stderr_str();
    assert_no_panic(&err);
    assert!(err.starts_with("http: error: "), "{run:?}");
    assert_eq!(err.lines().count(), 1, "{run:?}");
    assert!(err.to_lowercase().contains("refused"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
}

#[test]
fn connection_refused_names_the_default_port() {
    // `http :/get` goes to localhost:80; the message says so, since the port is the likely
    // mistake. (--connect-to sends it to a dead port, so nothing on port 80 matters.)
    let port = dead_port();
    let to = format!("--connect-to=localhost:80:127.0.0.1:{port}");
    let run = http(&[&to, ":/get"]).run().assert_code(1);
    let err = run.stderr_str();
    assert_no_panic(&err);
    assert_eq!(err.lines().count(), 1, "{run:?}");
    assert!(
        err.starts_with("http: error: connection refused by localhost:80"),
        "{run:?}"
    );
}

// ----------------------------------------------------------- timeouts

/// Runs `http --timeout TIMEOUT URL/slow` against a server that reads the
/// request and never answers; the run must exit 2 with a read timeout.
/// Returns the run's stderr and the server's request notifications.
#[track_caller]
fn read_timeout(timeout: &str) -> (Run, String, mpsc::Receiver<()>) {
    let (server, requests) = silent_server();
    let run = http(&["--timeout", timeout, &server.url("/slow")])
        .run()
        .assert_code(2);
    let err = run.stderr_str();
    assert!(err.contains("read timeout"), "{run:?}");
    (run, err, requests)
}

#[test]
fn read_timeout_exits_two() {
    let (run, err, requests) = read_timeout("0.5");
    assert_no_panic(&err);
    assert!(err.starts_with("http: error: "), "{run:?}");
    assert_eq!(err.lines().count(), 1, "{run:?}");
    assert!(err.contains("0.5s"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    requests
        .recv_timeout(TIMEOUT)
        .expect("the request reached the server before the timeout");
}

/// The read limit is the one enforced while waiting for the response: `5,0.3` gives up
/// after about 0.3 s, not 5 (a build that swapped the two limits waits 5 s).
#[test]
fn split_timeout_applies_the_second_value_to_reads() {
    let started = std::time::Instant::now();
    let (run, err, _requests) = read_timeout("5,0.3");
    let took = started.elapsed();
    assert!(err.contains("0.3s"), "{run:?}");
    assert!(
        took < Duration::from_secs(3),
        "read limit not enforced: took {took:?}"
    );
}

/// The connect limit is enforced while connecting: against an endpoint that never answers
/// a SYN, `0.3,5` gives up after about 0.3 s with a connect timeout (exit 2).
#[test]
fn split_timeout_applies_the_first_value_to_connecting() {
    let hole = Blackhole::start();
    let started = std::time::Instant::now();
    let run = http(&["--timeout", "0.3,5", &hole.url("/")])
        .run()
        .assert_code(2);
    let took = started.elapsed();
    let err = run.stderr_str();
    assert!(err.contains("connect timeout 0.3s"), "{run:?}");
    assert_eq!(err.lines().count(), 1, "{run:?}");
    assert!(
        took < Duration::from_secs(3),
        "connect limit not enforced: took {took:?}"
    );
}

#[test]
fn timeout_is_per_read_so_a_slow_drip_completes() {
    let server = RawServer::scripted(|conn| {
        if conn.read_request().is_err() {
            return;
        }
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nConnection: close\r\n\r\n";
        if conn.write(head).is_err() {
            return;
        }
        for digit in b'0'..=b'9' {
            // Server-side pacing: 10 x 200 ms = 2 s in total, more than
            // the 1 s timeout, but no single gap reaches it.
            thread::sleep(Duration::from_millis(200));
            if conn.write([digit]).is_err() {
                return;
            }
        }
        conn.finish();
    });
    let run = http(&["--timeout", "1", &server.url("/drip")])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "0123456789");
}

// ---------------------------------------------------------- redirects

/// Runs `http ARGS...` (`{url}` in ARGS is `URL/start`) against a
/// server that redirects `/start` to `/end` with `status` and answers
/// `done` there; returns the two requests it received.
#[track_caller]
fn follow_redirect(status: u16, args: &[&str]) -> Vec<Recorded> {
    let server = Server::start(move |r| match r.path() {
        "/start" => Reply::redirect(status, "/end"),
        _ => Reply::text("done"),
    });
    let run = cmd(&with_url(args, &server.url("/start"))).run().success();
    assert_eq!(run.stdout_str(), "done");
    let got = server.requests();
    assert_eq!(got.len(), 2, "{got:#?}");
    got
}

#[test]
fn follow_302_turns_post_into_get_without_body() {
    let got = follow_redirect(302, &["--follow", "{url}", "a=1"]);
    assert_eq!(
        (got[0].method.as_str(), got[0].url.as_str()),
        ("POST", "/start")
    );
    assert_eq!(got[0].body, br#"{"a": "1"}"#);
    assert_eq!(
        (got[1].method.as_str(), got[1].url.as_str()),
        ("GET", "/end")
    );
    assert!(got[1].body.is_empty());
    assert_eq!(got[1].header("Content-Type"), None, "{got:#?}");
    assert_eq!(got[1].header("Content-Length"), None, "{got:#?}");
}

#[test]
fn follow_307_keeps_method_and_body() {
    let got = follow_redirect(307, &["--follow", "PUT", "{url}", "a=1"]);
    assert_eq!(
        (got[1].method.as_str(), got[1].url.as_str()),
        ("PUT", "/end")
    );
    assert_eq!(got[1].body, br#"{"a": "1"}"#);
    assert_eq!(got[1].header("Content-Type"), Some("application/json"));
}

#[test]
fn without_follow_a_redirect_is_the_response() {
    let server = Server::start(|_| Reply::redirect(302, "/elsewhere").body("moved"));
    let run = http(&[&server.url("/start")]).run().success();
    assert_eq!(run.stdout_str(), "moved");
    assert_eq!(server.hits(), 1);
}

#[test]
fn same_host_redirect_keeps_authorization() {
    let got = follow_redirect(302, &["--follow", "-a", "u:p", "{url}"]);
    assert_eq!(got[0].header("Authorization"), Some("Basic dTpw"));
    assert_eq!(got[1].header("Authorization"), Some("Basic dTpw"));
}

#[test]
fn cross_host_redirect_drops_authorization() {
    let target = Server::echo();
    let to = target.url("/end");
    let origin = Server::start(move |_| Reply::redirect(302, &to));
    http(&["--follow", "-a", "u:p", &origin.url("/start")])
        .run()
        .success();
    assert_eq!(origin.request().header("Authorization"), Some("Basic dTpw"));
    let got = target.request();
    assert_eq!(got.url, "/end");
    assert_eq!(got.header("Authorization"), None, "{got:#?}");

    // 127.0.0.1 -> localhost on the same port is another host too.
    let server = Server::start(|r| match r.path() {
        "/start" => {
            let port = r
                .header("Host")
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .to_string();
            Reply::redirect(302, &format!("http://localhost:{port}/end"))
        }
        _ => Reply::text("done"),
    });
    http(&["--follow", "-a", "u:p", &server.url("/start")])
        .run()
        .success();
    let got = server.requests();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(
        got[1].header("Host").unwrap().starts_with("localhost:"),
        "{got:#?}"
    );
    assert_eq!(got[1].header("Authorization"), None, "{got:#?}");
}

#[test]
fn too_many_redirects_exits_six() {
    let server = Server::start(|_| Reply::redirect(302, "/again"));
    let run = http(&["--follow", "--max-redirects=1", &server.url("/start")])
        .run()
        .assert_code(6);
    let err = run.stderr_str();
    assert_no_panic(&err);
    assert_eq!(err.lines().count(), 1, "{run:?}");
    assert!(err.starts_with("http: error: "), "{run:?}");
    assert!(
        err.contains("Too many redirects (--max-redirects=1)"),
        "{run:?}"
    );
    // The first request and the one redirect allowed; the second redirect is not followed.
    assert_eq!(server.hits(), 2);
}

#[test]
fn removing_host_warns_and_still_sends_it() {
    let run = http(&["--offline", "example.org", "Host:"]).run().success();
    assert!(
        run.stdout_str().contains("\r\nHost: example.org\r\n"),
        "{run:?}"
    );
    assert_eq!(
        run.stderr_str(),
        "http: warning: the Host header cannot be removed (HTTP/1.1 requires it); it is sent as usual\n"
    );
}

/// A stdin body past the in-memory limit (16 MiB) is spilled to an anonymous temporary file:
/// it is still sent whole, with a Content-Length, and replayed on a 307 redirect.
#[test]
fn large_stdin_body_is_sent_whole_and_replayed() {
    let body: Vec<u8> = (0..(20u32 << 20)).map(|i| (i % 251) as u8).collect();
    let server = Server::start(|req| {
        if req.url == "/start" {
            Reply::redirect(307, "/end")
        } else {
            Reply::text(&format!("{}", req.body.len()))
        }
    });
    let run = http(&["--follow", "POST", &server.url("/start")])
        .stdin(body.clone())
        .run()
        .success();
    assert_eq!(run.stdout_str(), (20u32 << 20).to_string(), "{run:?}");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.body.len(), body.len());
        assert!(r.body == body, "body bytes differ on {}", r.url);
        assert_eq!(r.header("content-length"), Some("20971520"));
    }
}

/// A stdin pipe that stays open with nothing in it (ssh, a subprocess) gets a warning after
/// 10 s instead of a silent hang; no request is sent while it waits.
#[test]
fn silent_stdin_pipe_gets_a_warning() {
    let server = Server::echo();
    let script = format!(
        "sleep 30 | '{}' POST '{}'",
        env!("CARGO_BIN_EXE_http"),
        server.url("/x")
    );
    let mut running = Cmd::program("sh", &["-c", &script]).spawn();
    let err = running
        .wait_stderr("http: warning: no stdin data read in 10s (perhaps you want --ignore-stdin)");
    assert!(!String::from_utf8_lossy(&err).contains("error"));
    assert_eq!(server.hits(), 0);
}

/// Stdin that delivers its first byte in time gets no warning.
#[test]
fn prompt_stdin_gets_no_warning() {
    let server = Server::echo();
    let run = http(&["POST", &server.url("/x")])
        .stdin("hello")
        .run()
        .success();
    assert_eq!(run.stderr_str(), "");
    assert_eq!(server.request().body, b"hello");
}

/// Ctrl-C while waiting for a response ends the run with exit 130 (not death by signal), as
/// HTTPie does.
#[test]
fn ctrl_c_while_waiting_exits_130() {
    let (arrived, wait) = mpsc::channel();
    let arrived = Mutex::new(arrived);
    let server = RawServer::scripted(move |conn| {
        if conn.read_request().is_ok() {
            let _ = arrived.lock().unwrap().send(());
        }
        conn.hold();
    });
    let running = http(&[&server.url("/slow")]).spawn();
    wait.recv_timeout(Duration::from_secs(20))
        .expect("the request reached the server");
    running.signal(Signal::SIGINT);
    let run = running.wait();
    assert_eq!((run.code, run.signal), (130, None), "{run:?}");
    assert_eq!(run.stderr_str(), "\n", "{run:?}");
}

//! Tests of the harness itself, independent of the binary under test:
//! servers are driven by plain `TcpStream` clients, runners by `/bin/sh`.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::harness::*;

/// Sends `request` verbatim and reads the reply until the server closes.
fn exchange(addr: &str, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(request).expect("send request");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("read reply");
    reply
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sh(script: &str) -> Cmd {
    Cmd::program("/bin/sh", &["-c", script])
}

// ------------------------------------------------------ ForwardProxy

/// Two absolute-form requests on one connection (the second closes it),
/// then the Squid rules: CONNECT only to 443, no origin-form requests.
#[test]
fn forward_proxy_forwards_absolute_form_and_keeps_squid_rules() {
    let origin = Server::start(|r| Reply::text(&format!("got {}", r.url)));
    let proxy = ForwardProxy::start();
    let addr = format!("127.0.0.1:{}", proxy.port);
    let host = origin.addr();
    let two = format!(
        "GET http://{host}/a?q=1 HTTP/1.1\r\nHost: {host}\r\nProxy-Authorization: Basic eA==\r\n\r\n\
         POST http://{host}/b HTTP/1.1\r\nHost: {host}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
    );
    let reply = text(&exchange(&addr, two.as_bytes()));
    assert_eq!(reply.matches("HTTP/1.1 200 OK\r\n").count(), 2, "{reply}");
    assert!(
        reply.contains("got /a?q=1") && reply.ends_with("got /b"),
        "{reply}"
    );
    let got = origin.requests();
    assert_eq!((got[0].url.as_str(), got[1].url.as_str()), ("/a?q=1", "/b"));
    assert_eq!(
        got[0].header("Proxy-Authorization"),
        None,
        "consumed by the proxy"
    );
    assert_eq!(got[1].body_str(), "hi");
    let connect = exchange(&addr, b"CONNECT 127.0.0.1:8443 HTTP/1.1\r\n\r\n");
    assert!(
        text(&connect).starts_with("HTTP/1.1 403 "),
        "{}",
        text(&connect)
    );
    let origin_form = exchange(&addr, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(text(&origin_form).starts_with("HTTP/1.1 400 "));
    assert_eq!(proxy.connections(), 3);
    assert_eq!(origin.hits(), 2);
}

// ---------------------------------------------------------------- Server

#[test]
fn server_records_method_url_header_order_and_body() {
    let server = Server::start(|_| Reply::status(201).header("X-Reply", "yes").body("made"));
    let request =
        "PUT /a/b?x=1&y=%20 HTTP/1.1\r\nHost: h\r\nX-Zeta: 1\r\nx-alpha: 2\r\nX-Zeta: 3\r\n\
                   Content-Length: 5\r\nConnection: close\r\n\r\nhello";
    let reply = text(&exchange(&server.addr(), request.as_bytes()));

    assert!(reply.starts_with("HTTP/1.1 201 Created\r\n"), "{reply}");
    assert!(reply.contains("\r\nX-Reply: yes\r\n"), "{reply}");
    assert!(
        reply.contains("\r\nContent-Length: 4\r\n") && reply.ends_with("\r\n\r\nmade"),
        "{reply}"
    );
    let got = server.request();
    assert_eq!(got.method, "PUT");
    assert_eq!(got.url, "/a/b?x=1&y=%20");
    assert_eq!((got.path(), got.query()), ("/a/b", Some("x=1&y=%20")));
    assert_eq!(
        got.header_names(),
        [
            "Host",
            "X-Zeta",
            "x-alpha",
            "X-Zeta",
            "Content-Length",
            "Connection"
        ]
    );
    assert_eq!(got.header("x-zeta"), Some("1"));
    assert_eq!(got.header_all("X-ZETA"), ["1", "3"]);
    assert_eq!(got.body, b"hello");
    assert_eq!(server.hits(), 1);
}

#[test]
fn server_echo_replies_json_of_the_request() {
    let server = Server::echo();
    let request = "POST /echo HTTP/1.1\r\nHost: h\r\nA: 1\r\nA: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi";
    let reply = exchange(&server.addr(), request.as_bytes());
    let (head, body) = text(&reply)
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_string(), b.to_string()))
        .unwrap();

    assert!(
        head.contains("\r\nContent-Type: application/json"),
        "{head}"
    );
    let json: serde_json::Value = serde_json::from_str(&body).expect("echo body is JSON");
    assert_eq!(json["method"], "POST");
    assert_eq!(json["url"], "/echo");
    assert_eq!(json["headers"]["A"], "1, 2");
    assert_eq!(json["body"], "hi");
    let names: Vec<_> = json["headers"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        names,
        ["Host", "A", "Content-Length", "Connection"],
        "received order kept"
    );
}

#[test]
fn server_uses_content_length_even_for_large_bodies_and_chunks_on_request() {
    let big = vec![b'x'; 100_000];
    let body = big.clone();
    let server = Server::start(move |r| match r.path() {
        "/chunked" => Reply::text("abc").chunked(),
        _ => Reply::ok().body(body.clone()),
    });
    let get = |path: &str| {
        let req = format!("GET {path} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        exchange(&server.addr(), req.as_bytes())
    };

    let reply = get("/big");
    assert!(text(&reply).contains("\r\nContent-Length: 100000\r\n"));
    assert!(reply.ends_with(&big));
    let reply = text(&get("/chunked"));
    assert!(
        reply.contains("\r\nTransfer-Encoding: chunked\r\n"),
        "{reply}"
    );
    assert!(reply.ends_with("\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), "{reply}");
}

#[test]
fn server_turns_a_panicking_handler_into_500() {
    let server = Server::start(|_| panic!("handler bug (expected by this test)"));
    let reply = text(&exchange(
        &server.addr(),
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    ));
    assert!(reply.starts_with("HTTP/1.1 500 "), "{reply}");
    assert_eq!(server.hits(), 1);
}

#[test]
fn server_handler_can_block_on_a_gate_without_stalling_others() {
    let (gate, opener) = gate();
    let server = Server::start(move |r| {
        if r.path() == "/slow" {
            gate.wait();
        }
        Reply::text(r.path())
    });
    let addr = server.addr();
    let slow = std::thread::spawn(move || {
        exchange(
            &addr,
            b"GET /slow HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        )
    });
    let fast = exchange(
        &server.addr(),
        b"GET /fast HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    );
    assert!(text(&fast).ends_with("/fast"));
    opener.open();
    assert!(text(&slow.join().unwrap()).ends_with("/slow"));
}

#[test]
fn server_url_forms() {
    let server = Server::echo();
    assert_eq!(
        server.url("/x?y"),
        format!("http://127.0.0.1:{}/x?y", server.port)
    );
    assert_eq!(server.url("x"), server.url("/x"));
}

#[test]
fn server_records_the_peer_address() {
    let server = Server::start(|_| Reply::ok());
    let stream = TcpStream::connect(server.addr()).expect("connect");
    let local = stream.local_addr().expect("local address");
    let mut stream = stream;
    stream
        .write_all(b"GET /p HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        .expect("send request");
    stream.read_to_end(&mut Vec::new()).expect("read reply");
    assert_eq!(server.request().peer, Some(local));
}

#[test]
fn server_on_a_unix_socket_serves_and_removes_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.sock");
    let server = Server::start_unix(&path, |_| Reply::text("unix"));
    assert_eq!(server.socket_path(), path.to_str().unwrap());
    assert_eq!(server.url("/x"), "http://localhost/x");
    let mut stream = std::os::unix::net::UnixStream::connect(&path).expect("connect");
    stream
        .write_all(b"GET /u HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        .expect("send request");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("read reply");
    assert!(text(&reply).ends_with("\r\n\r\nunix"), "{}", text(&reply));
    let got = server.request();
    assert_eq!((got.url.as_str(), got.peer), ("/u", None));
    drop(server);
    assert!(!path.exists(), "socket file left behind");
}

// ------------------------------------------------------------- RawServer

const CANNED: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\nX-Odd:  spaced \r\n\r\nabc";

#[test]
fn raw_server_captures_exact_bytes_and_replies_verbatim() {
    let server = RawServer::respond(CANNED);
    let request = b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\
                    4;ext=1\r\nWiki\r\n6\r\npedia \r\n0\r\nTrailer: t\r\n\r\n";
    let reply = exchange(&server.addr(), request);

    assert_eq!(reply, CANNED);
    let got = server.request();
    assert_eq!(got.bytes(), request);
    assert_eq!(
        got.head,
        b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    assert_eq!(
        got.body,
        b"4;ext=1\r\nWiki\r\n6\r\npedia \r\n0\r\nTrailer: t\r\n\r\n"
    );
    assert_eq!(got.decoded_body(), b"Wikipedia ");
    assert_eq!(
        (got.method(), got.target()),
        ("POST".to_string(), "/up".to_string())
    );
    assert_eq!(got.header("transfer-encoding").as_deref(), Some("chunked"));
    assert_eq!(server.connections(), 1);
}

#[test]
fn read_request_stops_exactly_at_each_request_end() {
    let wire = b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\n\
                 POST /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc\
                 PUT /3 HTTP/1.1\r\ntransfer-encoding: gzip, chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n";
    let mut input = &wire[..];

    let first = read_request(&mut input).unwrap();
    assert_eq!((first.target(), first.body.len()), ("/1".to_string(), 0));
    let second = read_request(&mut input).unwrap();
    assert_eq!(
        (second.target(), second.body.as_slice()),
        ("/2".to_string(), &b"abc"[..])
    );
    let third = read_request(&mut input).unwrap();
    assert_eq!(third.decoded_body(), b"z");
    assert!(input.is_empty());
    assert_eq!(
        read_request(&mut input).unwrap_err().kind(),
        ErrorKind::UnexpectedEof
    );
}

#[test]
fn read_request_rejects_bad_framing() {
    let bad_length = b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n";
    assert_eq!(
        read_request(&mut &bad_length[..]).unwrap_err().kind(),
        ErrorKind::InvalidData
    );
    let bad_chunk = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    assert_eq!(
        read_request(&mut &bad_chunk[..]).unwrap_err().kind(),
        ErrorKind::InvalidData
    );
    let short = b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc";
    assert_eq!(
        read_request(&mut &short[..]).unwrap_err().kind(),
        ErrorKind::UnexpectedEof
    );
}

#[test]
fn raw_server_scripts_get_connection_indexes_and_gates_pace_writes() {
    let (gate, opener) = gate();
    let server = RawServer::scripted(move |conn| {
        let _ = conn.read_request();
        let _ = conn.write(format!("conn {} part 1;", conn.index));
        gate.wait();
        let _ = conn.write("part 2");
    });

    let mut first = TcpStream::connect(server.addr()).unwrap();
    first.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut part = [0u8; 14];
    first.read_exact(&mut part).unwrap();
    assert_eq!(
        &part, b"conn 0 part 1;",
        "first part arrives while the gate is closed"
    );
    opener.open();
    let mut rest = String::new();
    first.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "part 2");

    let second = exchange(&server.addr(), b"GET / HTTP/1.1\r\n\r\n");
    assert_eq!(text(&second), "conn 1 part 1;part 2");
    assert_eq!(server.received().len(), 2);
}

#[test]
fn raw_server_start_hands_out_plain_streams() {
    let server = RawServer::start(|index, stream| {
        if let Ok(req) = read_request(stream) {
            let _ = write!(stream, "{index} {}", req.target());
        }
    });
    assert_eq!(
        text(&exchange(&server.addr(), b"GET /p HTTP/1.1\r\n\r\n")),
        "0 /p"
    );
    assert!(
        server.received().is_empty(),
        "`start` scripts do not record"
    );
}

#[test]
fn raw_server_hold_keeps_the_connection_open_until_drop() {
    let (recorded, opener) = gate();
    let server = RawServer::scripted(move |conn| {
        let _ = conn.read_request();
        opener.open();
        conn.hold();
    });
    let mut client = TcpStream::connect(server.addr()).unwrap();
    client.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    recorded.wait();
    // The request is recorded, yet no reply comes while the server lives.
    assert_eq!(server.received().len(), 1);
    client.set_nonblocking(true).unwrap();
    assert_eq!(
        client.read(&mut [0u8; 1]).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    client.set_nonblocking(false).unwrap();

    drop(server);
    assert_eq!(
        client.read(&mut [0u8; 1]).unwrap(),
        0,
        "EOF once the server is dropped"
    );
}

#[test]
fn raw_server_reset_gives_connection_reset() {
    let server = RawServer::scripted(|conn| {
        let _ = conn.read_request();
        let _ = conn.write("HTTP/1.1 200 OK\r\n");
        conn.reset();
    });
    let mut client = TcpStream::connect(server.addr()).unwrap();
    client.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let err = client.read_to_end(&mut got).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::ConnectionReset,
        "got {:?} after {:?}",
        err,
        text(&got)
    );
}

// ----------------------------------------------------------------- Gate

#[test]
fn gate_opens_when_its_opener_is_dropped() {
    let (gate, opener) = gate();
    let waiter = {
        let gate = gate.clone();
        std::thread::spawn(move || gate.wait())
    };
    assert!(!gate.is_open());
    assert!(!gate.wait_timeout(Duration::from_millis(1)));
    drop(opener);
    waiter.join().unwrap();
    assert!(gate.is_open());
}

// ------------------------------------------------------------ Cmd / Run

#[test]
fn binaries_are_built() {
    assert!(http(&[]).program.exists());
    assert!(https(&[]).program.exists());
}

#[test]
fn run_has_no_terminal() {
    let run = sh("test -t 1 || echo notty").run().success();
    assert_eq!(run.stdout_str(), "notty\n");
}

#[test]
fn run_has_no_controlling_terminal() {
    let run = sh("if (exec 3</dev/tty) 2>/dev/null; then echo tty; else echo no-ctty; fi").run();
    assert_eq!(run.stdout_str(), "no-ctty\n");
}

#[test]
fn run_environment_is_hermetic() {
    let cmd = sh(r#"env | sort; echo "cwd=$(pwd -P)""#);
    let home = cmd.home().canonicalize().unwrap();
    let out = cmd.run().success().stdout_str();

    let expected = [
        format!("HOME={}", home.display()),
        "LANG=C.UTF-8".to_string(),
        format!("PATH={}", std::env::var("PATH").unwrap()),
        format!("XDG_CONFIG_HOME={}", home.join(".config").display()),
    ];
    // The shell itself may export PWD, SHLVL and `_`.
    let vars: Vec<_> = out
        .lines()
        .filter(|l| {
            l.contains('=')
                && !l.starts_with("cwd=")
                && !["PWD=", "SHLVL=", "_="].iter().any(|p| l.starts_with(p))
        })
        .collect();
    assert_eq!(vars, expected);
    assert!(
        out.contains(&format!("cwd={}\n", home.display())),
        "cwd defaults to HOME: {out}"
    );
}

#[test]
fn run_env_overrides_and_removal() {
    let run = sh(r#"echo "${A-unset} ${HOME-unset}""#)
        .env("A", "1")
        .env_remove("HOME")
        .run();
    assert_eq!(run.stdout_str(), "1 unset\n");
}

#[test]
fn run_stdin_defaults_to_dev_null_and_can_be_fed() {
    assert_eq!(sh("cat").run().stdout, b"");
    let bytes: Vec<u8> = (0..=255).cycle().take(300_000).collect();
    assert_eq!(sh("cat").stdin(bytes.clone()).run().stdout, bytes);
}

#[test]
fn run_reports_code_signal_stderr_and_keeps_home_files() {
    let run = sh("echo oops >&2; echo data > saved; exit 3")
        .run()
        .assert_code(3);
    assert_eq!((run.stderr_str().as_str(), run.signal), ("oops\n", None));
    assert_eq!(
        std::fs::read_to_string(run.home().join("saved")).unwrap(),
        "data\n"
    );

    let killed = sh("kill -TERM $$").run();
    assert_eq!((killed.code, killed.signal), (128 + 15, Some(15)));
}

#[test]
fn cmd_home_file_and_clone_share_home() {
    let base = sh("cat .config/app/conf; echo more >> .config/app/conf")
        .home_file(".config/app/conf", "v=1\n");
    assert_eq!(base.clone().run().stdout_str(), "v=1\n");
    assert_eq!(base.run().stdout_str(), "v=1\nmore\n");
}

#[test]
#[should_panic(expected = "timed out")]
fn run_timeout_kills_and_panics() {
    sh("exec sleep 60")
        .timeout(Duration::from_millis(300))
        .run();
}

#[test]
fn spawn_waits_for_output_and_delivers_signals() {
    let mut child = sh("echo started; exec sleep 60").spawn();
    assert_eq!(child.wait_stdout("started\n"), b"started\n");
    child.signal(Signal::SIGTERM);
    let run = child.wait();
    assert_eq!(run.signal, Some(15));
}

// ------------------------------------------------------------------ pty

#[test]
fn pty_run_sees_a_terminal() {
    let run = sh("test -t 1 && echo tty").run_pty().success();
    assert_eq!(run.text(), "tty\n");
    assert_eq!(run.output, b"tty\r\n");
}

#[test]
fn pty_has_term_window_size_and_controlling_terminal() {
    let run = sh(r#"echo "$TERM"; stty size; echo via-dev-tty > /dev/tty"#)
        .winsize(100, 30)
        .run_pty()
        .success();
    assert_eq!(run.text(), "xterm-256color\n30 100\nvia-dev-tty\n");
}

#[test]
fn pty_split_puts_stderr_on_a_pipe() {
    let run = sh("test -t 1 && echo out-tty; test -t 2 || echo err-pipe >&2")
        .run_pty_split()
        .success();
    assert_eq!(run.text(), "out-tty\n");
    assert_eq!(run.stderr_str(), "err-pipe\n");
}

#[test]
fn pty_stdout_only_with_piped_stdin() {
    let run = sh("test -t 0 || cat; test -t 1 && echo tty")
        .stdin("piped\n")
        .run_pty_with(Tty::STDOUT)
        .success();
    assert_eq!(run.text(), "piped\ntty\n");
}

#[test]
fn pty_session_answers_a_prompt() {
    let mut session = sh(r#"printf 'Name: '; read name; echo "hello $name""#).spawn_pty();
    session.wait_output("Name: ");
    session.write(b"bob\r");
    let run = session.wait().success();
    // "bob" appears once as the terminal's echo of the typed input.
    assert_eq!(run.text(), "Name: bob\nhello bob\n");
}

#[test]
fn pty_ctrl_c_interrupts_the_foreground_group() {
    let mut session = sh("echo ready; exec sleep 60").spawn_pty();
    session.wait_output("ready");
    session.write(b"\x03");
    let run = session.wait();
    assert_eq!(run.signal, Some(2), "{run:?}");
}

#[test]
fn children_inherit_only_their_stdio() {
    // A leaked pty or socket fd would let one test's child keep another
    // test's terminal or connection open (delaying EOF, hiding closes).
    // `ls` lists its own fds: stdio plus the directory it is reading.
    let listing = |run: String| {
        run.split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let _busy = (
        Server::echo(),
        RawServer::respond(CANNED),
        sh("exec sleep 60").spawn_pty(),
    );
    let run = Cmd::program("ls", &["/proc/self/fd"]).run().success();
    assert_eq!(listing(run.stdout_str()), ["0", "1", "2", "3"]);
    let run = Cmd::program("ls", &["/proc/self/fd"]).run_pty().success();
    assert_eq!(listing(run.text()), ["0", "1", "2", "3"]);
}

#[test]
fn normalize_newlines_only_touches_crlf() {
    assert_eq!(normalize_newlines(b"a\r\nb\rc\n\r\r\n"), b"a\nb\rc\n\r\n");
}

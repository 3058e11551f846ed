//! Output appears the moment it can: the response head as soon as it is received (on a
//! terminal, a pipe and a file), the start of a body before the rest arrives, and Ctrl-C
//! keeps what was already formatted. Each server here sends part of a response and then
//! holds the connection on a gate; the test reads the client's output while it is held.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{gate, http, Gate, Opener, RawServer, Signal};

const HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Held: yes\r\n\
                    Content-Length: 20\r\n\r\n";
const FIRST: &str = "{\"a\": 1, ";
const REST: &str = "\"b\": 22222}";

/// Sends the head and `first` of the body, waits on the gate, then sends the rest.
fn holding_server(first: &'static str) -> (RawServer, Opener) {
    let (held, opener): (Gate, Opener) = gate();
    let server = RawServer::scripted(move |conn| {
        if conn.read_request().is_err() {
            return;
        }
        let _ = conn.write(format!("{HEAD}{first}"));
        held.wait();
        let rest = &format!("{FIRST}{REST}")[first.len()..];
        let _ = conn.write(rest);
        conn.finish();
    });
    (server, opener)
}

#[test]
fn head_reaches_a_pipe_while_the_body_is_held() {
    let (server, opener) = holding_server("");
    let mut running = http(&["-p", "hb", "--pretty=none", &server.url("/h")]).spawn();
    let shown = running.wait_stdout("X-Held: yes");
    assert!(String::from_utf8_lossy(&shown).starts_with("HTTP/1.1 200 OK"));
    opener.open();
    let run = running.wait().success();
    assert!(
        run.stdout_str().ends_with(&format!("{FIRST}{REST}")),
        "{}",
        run.context()
    );
}

#[test]
fn start_of_a_body_reaches_a_pipe_before_the_rest() {
    let (server, opener) = holding_server(FIRST);
    let mut running = http(&["--pretty=none", &server.url("/b")]).spawn();
    assert_eq!(running.wait_stdout(FIRST), FIRST.as_bytes());
    opener.open();
    let run = running.wait().success();
    assert_eq!(run.stdout_str(), format!("{FIRST}{REST}"));
}

#[test]
fn head_reaches_a_terminal_while_the_body_is_held() {
    let (server, opener) = holding_server("");
    let mut session = http(&[&server.url("/t")]).spawn_pty();
    session.wait_output("X-Held");
    opener.open();
    let run = session.wait();
    assert_eq!(run.code, 0, "{}", run.context());
    assert!(run.text().contains("22222"), "{}", run.context());
}

/// Polls `path` until it contains `text` (the client writes it; there is no other signal).
fn wait_for_file(path: &Path, text: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let now = std::fs::read_to_string(path).unwrap_or_default();
        if now.contains(text) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn head_reaches_a_file_while_the_body_is_held() {
    let (server, opener) = holding_server("");
    let cmd = http(&["-p", "hb", "-o", "out.txt", &server.url("/f")]);
    let file = cmd.home().join("out.txt");
    let running = cmd.spawn();
    let seen = wait_for_file(&file, "X-Held: yes");
    opener.open();
    let run = running.wait().success();
    assert!(
        seen,
        "the head was not in the file while the body was held\n{}",
        run.context()
    );
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(saved.ends_with(&format!("{FIRST}{REST}")), "{saved}");
}

#[test]
fn ctrl_c_keeps_what_was_already_shown() {
    let (server, opener) = holding_server(FIRST);
    let mut running = http(&["-p", "hb", "--pretty=none", &server.url("/c")]).spawn();
    running.wait_stdout(FIRST);
    running.signal(Signal::SIGINT);
    let run = running.wait().assert_code(130);
    opener.open();
    let out = run.stdout_str();
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{}", run.context());
    assert!(out.ends_with(FIRST), "{}", run.context());
}

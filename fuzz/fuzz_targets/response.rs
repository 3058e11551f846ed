//! Raw response bytes through the real client: a loopback server answers every request with
//! the current input, as is, and closes. Sending a GET either fails or gives a response whose
//! (decoded) body reads to the end or fails: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use clap::Parser;
use httpcli::cli::Cli;
use httpcli::client::Client;
use httpcli::env::Env;

/// What the server sends next.
static REPLY: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Decoded body bytes read per run: a small compressed input can legitimately expand to
/// gigabytes (the CLI streams it), which is not what this target is about.
const BODY_CAP: u64 = 16 << 20;

/// Reads the request head, writes the current reply, closes.
fn serve(mut conn: TcpStream) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let reply = REPLY.lock().unwrap().clone();
    let _ = conn.write_all(&reply);
    let _ = conn.flush();
    let _ = conn.shutdown(Shutdown::Both);
}

/// The server's URL; the server starts on first use and lives as long as the process.
fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                serve(conn);
            }
        });
        format!("http://127.0.0.1:{port}/fuzz")
    })
}

/// The request, made once: the command line is fixed, only the reply changes.
fn request() -> &'static (httpcli::spec::RequestSpec, httpcli::prepare::PreparedRequest) {
    static REQUEST: OnceLock<(httpcli::spec::RequestSpec, httpcli::prepare::PreparedRequest)> =
        OnceLock::new();
    REQUEST.get_or_init(|| {
        let url = server_url();
        let cli =
            Cli::try_parse_from(["http", "--timeout", "1", url]).expect("fixed command line");
        let spec = httpcli::spec::from_cli(&cli, &Env::default()).expect("spec");
        let req = httpcli::prepare::prepare(&spec).expect("prepare a plain GET");
        (spec, req)
    })
}

fuzz_target!(|data: &[u8]| {
    *REPLY.lock().unwrap() = data.to_vec();
    let (spec, req) = request();
    let verify = spec.net.verify.clone();
    // A new client (so a new connection pool) per run: the server closes every connection.
    let client = Client::new(&spec.net, &Env::default(), Box::new(move |_| verify.clone()))
        .expect("client");
    let Ok(mut resp) = client.send(req) else {
        return;
    };
    let _ = resp.reason_or_standard();
    let mut body = Vec::new();
    let _ = resp.take_decoded().take(BODY_CAP).read_to_end(&mut body);
});

//! Tests of the HTTP/2 test server ([`H2Server`]) itself, driven by the
//! `h2` crate's client (over tokio-rustls for TLS), not by the binary under
//! test. Each client runs on its own current-thread runtime; the safety
//! timeout only turns a hang into a clear failure.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use h2::client::SendRequest;
use h2::{Reason, RecvStream};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::harness::*;

/// Runs `f` to completion on a fresh client runtime, within [`TIMEOUT`].
fn run<F: Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    rt.block_on(async {
        tokio::time::timeout(TIMEOUT, f)
            .await
            .expect("h2 self-test timed out")
    })
}

/// The client's connection task: resolves when the connection ends.
type ConnTask = JoinHandle<Result<(), h2::Error>>;

/// A TCP connection to `port` with TCP_NODELAY. Without it, Nagle's
/// algorithm on the client and delayed ACKs on the server cost about 20 ms
/// per window update: a 10 MB upload took 7 s instead of 0.05 s.
async fn connect(port: u16) -> TcpStream {
    let tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    tcp.set_nodelay(true).expect("TCP_NODELAY");
    tcp
}

/// An h2c (prior knowledge) client connection to `port`.
async fn h2c(port: u16) -> (SendRequest<Bytes>, ConnTask) {
    let tcp = connect(port).await;
    let (send, conn) = h2::client::handshake(tcp).await.expect("h2 handshake");
    (send.ready().await.expect("ready"), tokio::spawn(conn))
}

/// An HTTP/2 client connection over TLS to `port`, trusting `pki`'s CA and
/// offering only `h2` in ALPN; asserts the server chose `h2`.
async fn h2_tls(port: u16, pki: &Pki) -> (SendRequest<Bytes>, ConnTask) {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca_der.clone()).expect("add CA");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("client versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = connect(port).await;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("server name");
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("TLS handshake");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (send, conn) = h2::client::handshake(tls).await.expect("h2 handshake");
    (send.ready().await.expect("ready"), tokio::spawn(conn))
}

fn request(method: &str, url: &str) -> http::Request<()> {
    http::Request::builder()
        .method(method)
        .uri(url)
        .body(())
        .expect("request")
}

/// Reads the body to its end, releasing flow control as it goes; returns
/// what arrived and the error that cut it short, if any.
async fn read_body(body: &mut RecvStream) -> (Vec<u8>, Option<h2::Error>) {
    let mut out = Vec::new();
    while let Some(chunk) = body.data().await {
        match chunk {
            Ok(chunk) => {
                let _ = body.flow_control().release_capacity(chunk.len());
                out.extend_from_slice(&chunk);
            }
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

/// A GET (HEADERS with END_STREAM) over h2c: the reply arrives as built and
/// the request is recorded with its pseudo-headers split out.
#[test]
fn h2c_get_is_answered_and_recorded() {
    let server =
        H2Server::plain(|r| H2Reply::text(&format!("got {}", r.path)).header("x-reply", "1"));
    let port = server.port;
    let (status, headers, body) = run(async move {
        let (mut send, _conn) = h2c(port).await;
        let mut req = request("GET", &format!("http://127.0.0.1:{port}/a/b?q=1"));
        req.headers_mut()
            .append("x-test", http::HeaderValue::from_static("one"));
        req.headers_mut()
            .append("x-test", http::HeaderValue::from_static("two"));
        let (response, _) = send.send_request(req, true).expect("send");
        let response = response.await.expect("response");
        let (head, mut body) = response.into_parts();
        let (bytes, err) = read_body(&mut body).await;
        assert!(err.is_none(), "{err:?}");
        (head.status, head.headers, bytes)
    });
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(headers["x-reply"], "1");
    assert!(headers.get("content-length").is_none(), "{headers:?}");
    assert_eq!(body, b"got /a/b?q=1");

    let r = server.request();
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/a/b?q=1");
    assert_eq!(r.scheme.as_deref(), Some("http"));
    assert_eq!(r.authority, Some(server.authority()));
    assert_eq!(r.header_all("x-test"), ["one", "two"]);
    assert!(r.headers.iter().all(|(k, _)| !k.starts_with(':')));
    assert!(r.end_stream_on_headers);
    assert_eq!((r.body.len(), r.data_frames), (0, 0));
    assert_eq!(server.connections(), 1);
    assert!(server.alpn().is_empty());
    assert!(server.url("/x").starts_with("http://127.0.0.1:"));
}

/// A POST body in two DATA frames is recorded whole, frames counted;
/// `with_length` sets content-length to the reply's size.
#[test]
fn h2c_post_body_is_recorded() {
    let server =
        H2Server::plain(|r| H2Reply::json(&format!("{{\"n\":{}}}", r.body.len())).with_length());
    let port = server.port;
    let (headers, body) = run(async move {
        let (mut send, _conn) = h2c(port).await;
        let mut req = request("POST", &format!("http://127.0.0.1:{port}/post"));
        req.headers_mut()
            .insert("content-type", http::HeaderValue::from_static("text/plain"));
        let (response, mut upload) = send.send_request(req, false).expect("send");
        upload
            .send_data(Bytes::from_static(b"hello "), false)
            .expect("data 1");
        upload
            .send_data(Bytes::from_static(b"world"), true)
            .expect("data 2");
        let (head, mut body) = response.await.expect("response").into_parts();
        (head.headers, read_body(&mut body).await.0)
    });
    assert_eq!(body, br#"{"n":11}"#);
    assert_eq!(headers["content-length"], "8");
    assert_eq!(headers["content-type"], "application/json");
    let r = server.request();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/post"));
    assert_eq!(r.body_str(), "hello world");
    assert_eq!(r.data_frames, 2);
    assert!(!r.end_stream_on_headers);
    assert_eq!(r.header("content-type"), Some("text/plain"));
}

/// Over TLS the server negotiates `h2` and records it per connection.
#[test]
fn tls_negotiates_h2_and_records_alpn() {
    let pki = Pki::new();
    let server = H2Server::tls(pki.server_config(), |_| H2Reply::text("secure"));
    let port = server.port;
    let body = run(async {
        let (mut send, _conn) = h2_tls(port, &pki).await;
        let url = format!("https://127.0.0.1:{port}/s");
        let (response, _) = send.send_request(request("GET", &url), true).expect("send");
        let mut body = response.await.expect("response").into_body();
        read_body(&mut body).await.0
    });
    assert_eq!(body, b"secure");
    assert_eq!(server.alpn(), vec![Some(b"h2".to_vec())]);
    assert_eq!(server.connections(), 1);
    assert_eq!(server.request().scheme.as_deref(), Some("https"));
    assert!(server.url("s").starts_with("https://127.0.0.1:"));
}

/// Parts are flushed as sent: the client reads the head and the first part
/// while the gate before the second is still closed.
#[test]
fn parts_behind_a_gate_are_flushed_in_order() {
    let (gate, opener) = gate();
    let held = gate.clone();
    let server = H2Server::plain(move |_| {
        H2Reply::text("one")
            .then_wait(held.clone())
            .then_data("two")
            .then_data("three")
    });
    let port = server.port;
    let (first, rest, end) = run(async move {
        let (mut send, _conn) = h2c(port).await;
        let url = format!("http://127.0.0.1:{port}/");
        let (response, _) = send.send_request(request("GET", &url), true).expect("send");
        let response = response.await.expect("head before the gate opens");
        assert_eq!(response.status(), 200);
        let mut body = response.into_body();
        let first = body
            .data()
            .await
            .expect("a first part")
            .expect("first part");
        assert!(!gate.is_open(), "the first part needs no gate");
        opener.open();
        let (rest, err) = read_body(&mut body).await;
        assert!(err.is_none(), "{err:?}");
        (first, rest, body.is_end_stream())
    });
    assert_eq!(first, "one");
    assert_eq!(rest, b"twothree");
    assert!(end);
}

/// `then_reset` sends the parts, then RST_STREAM with the chosen code;
/// the gate lets the client read the head and first part before it.
#[test]
fn then_reset_resets_the_stream_with_its_reason() {
    let (gate, opener) = gate();
    let server = H2Server::plain(move |_| {
        H2Reply::text("partial")
            .then_wait(gate.clone())
            .then_reset(Reason::ENHANCE_YOUR_CALM)
    });
    let port = server.port;
    let (status, first, rest, err) = run(async move {
        let (mut send, _conn) = h2c(port).await;
        let url = format!("http://127.0.0.1:{port}/");
        let (response, _) = send.send_request(request("GET", &url), true).expect("send");
        let response = response.await.expect("head");
        let status = response.status();
        let mut body = response.into_body();
        let first = body.data().await.expect("a part").expect("first part");
        opener.open();
        let (rest, err) = read_body(&mut body).await;
        (status, first, rest, err)
    });
    assert_eq!(status, 200);
    assert_eq!(first, "partial");
    assert!(rest.is_empty(), "{rest:?}");
    let err = err.expect("a stream error");
    assert!(err.is_reset(), "{err:?}");
    assert_eq!(err.reason(), Some(Reason::ENHANCE_YOUR_CALM));
    assert_eq!(server.requests().len(), 1);
}

/// `refuse` resets the stream before any HEADERS.
#[test]
fn refuse_resets_without_headers() {
    let server = H2Server::plain(|_| H2Reply::refuse(Reason::REFUSED_STREAM));
    let port = server.port;
    let err = run(async move {
        let (mut send, _conn) = h2c(port).await;
        let url = format!("http://127.0.0.1:{port}/");
        let (response, _) = send.send_request(request("GET", &url), true).expect("send");
        response.await.expect_err("no response")
    });
    assert!(err.is_reset(), "{err:?}");
    assert_eq!(err.reason(), Some(Reason::REFUSED_STREAM));
    assert_eq!(server.requests().len(), 1);
}

/// `goaway` is h2's abrupt shutdown: a GOAWAY covering the stream, then
/// the close; the `h2` client fails the stream with a broken pipe and the
/// connection with the GOAWAY's code.
#[test]
fn goaway_ends_the_connection_with_its_reason() {
    let server = H2Server::plain(|_| H2Reply::goaway(Reason::HTTP_1_1_REQUIRED));
    let port = server.port;
    let (stream_err, conn_result) = run(async move {
        let (mut send, conn) = h2c(port).await;
        let url = format!("http://127.0.0.1:{port}/");
        let (response, _) = send.send_request(request("GET", &url), true).expect("send");
        let stream_err = response.await.expect_err("no response");
        drop(send);
        (stream_err, conn.await.expect("connection task"))
    });
    assert!(stream_err.is_io(), "{stream_err:?}");
    let conn_err = conn_result.expect_err("the connection ends in error");
    assert!(
        conn_err.is_go_away() && conn_err.is_remote(),
        "{conn_err:?}"
    );
    assert_eq!(conn_err.reason(), Some(Reason::HTTP_1_1_REQUIRED));
    assert_eq!(server.connections(), 1);
    assert_eq!(server.requests().len(), 1);
}

/// `goaway_unprocessed` writes a GOAWAY below the stream: the stream itself
/// fails with the GOAWAY and its code.
#[test]
fn goaway_unprocessed_fails_the_stream_with_its_reason() {
    let server = H2Server::plain(|r| {
        if r.path == "/first" {
            H2Reply::text("fine")
        } else {
            H2Reply::goaway_unprocessed(Reason::ENHANCE_YOUR_CALM)
        }
    });
    let port = server.port;
    let (first, stream_err, conn_result) = run(async move {
        let (mut send, conn) = h2c(port).await;
        let url = format!("http://127.0.0.1:{port}/first");
        let (response, _) = send.send_request(request("GET", &url), true).expect("send");
        let first = read_body(&mut response.await.expect("first").into_body())
            .await
            .0;
        let url = format!("http://127.0.0.1:{port}/second");
        let (response, _) = send.send_request(request("GET", &url), true).expect("send");
        let stream_err = response.await.expect_err("no response");
        drop(send);
        (first, stream_err, conn.await.expect("connection task"))
    });
    assert_eq!(first, b"fine");
    assert!(
        stream_err.is_go_away() && stream_err.is_remote(),
        "{stream_err:?}"
    );
    assert_eq!(stream_err.reason(), Some(Reason::ENHANCE_YOUR_CALM));
    let conn_err = conn_result.expect_err("the connection ends in error");
    assert_eq!(conn_err.reason(), Some(Reason::ENHANCE_YOUR_CALM));
    assert_eq!(server.requests().len(), 2);
}

/// 10 MB each way, through the h2 default windows on both sides.
#[test]
fn ten_megabytes_arrive_complete_both_ways() {
    let big: Vec<u8> = (0..10_000_000u32).map(|i| (i % 251) as u8).collect();
    let reply = big.clone();
    let server = H2Server::plain(move |r| {
        if r.method == "POST" {
            H2Reply::text(&r.body.len().to_string())
        } else {
            H2Reply::ok().body(reply.clone()).with_length()
        }
    });
    let port = server.port;
    let upload = Bytes::from(big.clone());
    let (length, down, up) = run(async move {
        let (mut send, _conn) = h2c(port).await;
        let url = format!("http://127.0.0.1:{port}/big");
        let (response, _) = send.send_request(request("GET", &url), true).expect("send");
        let response = response.await.expect("head");
        let length = response.headers()["content-length"].clone();
        let (down, err) = read_body(&mut response.into_body()).await;
        assert!(err.is_none(), "{err:?}");

        let (response, mut stream) = send
            .send_request(request("POST", &url), false)
            .expect("send");
        // h2 buffers what the window does not allow yet.
        stream.send_data(upload, true).expect("upload");
        let (up, _) = read_body(&mut response.await.expect("head").into_body()).await;
        (length, down, up)
    });
    assert_eq!(length, "10000000");
    assert_eq!(down.len(), big.len());
    assert!(down == big, "downloaded bytes differ");
    assert_eq!(up, b"10000000");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].body == big, "uploaded bytes differ");
    assert!(requests[1].data_frames > 1);
}

/// A panicking handler answers 500 instead of hanging the client.
#[test]
fn handler_panic_answers_500() {
    let server = H2Server::plain(|_| panic!("deliberate handler panic"));
    let port = server.port;
    let status = run(async move {
        let (mut send, _conn) = h2c(port).await;
        let url = format!("http://127.0.0.1:{port}/");
        let (response, _) = send.send_request(request("GET", &url), true).expect("send");
        response.await.expect("head").status()
    });
    assert_eq!(status, 500);
    assert_eq!(server.requests().len(), 1);
}

/// `stall_uploads` runs the handler on HEADERS without reading the body,
/// and the advertised stream window caps what the client may send.
#[test]
fn stalled_upload_gets_the_small_window_and_an_early_answer() {
    let (gate, opener) = gate();
    let options = H2Options {
        initial_window_size: Some(1000),
        stall_uploads: true,
    };
    let server = H2Server::with_options(None, options, move |_| {
        H2Reply::ok().then_wait(gate.clone())
    });
    let port = server.port;
    let capacity = run(async move {
        let (mut send, _conn) = h2c(port).await;
        let url = format!("http://127.0.0.1:{port}/up");
        let (response, mut stream) = send
            .send_request(request("PUT", &url), false)
            .expect("send");
        // The answer comes although the upload has not ended; by then the
        // server's SETTINGS (sent first) have been applied.
        let response = response.await.expect("head before the upload ends");
        assert_eq!(response.status(), 200);
        stream.reserve_capacity(5000);
        let capacity = std::future::poll_fn(|cx| stream.poll_capacity(cx))
            .await
            .expect("capacity")
            .expect("capacity");
        opener.open();
        capacity
    });
    assert_eq!(capacity, 1000);
    let r = server.request();
    assert_eq!(r.method, "PUT");
    assert!(r.body.is_empty() && !r.end_stream_on_headers);
}

/// Dropping the server closes its connections, even with a reply held
/// behind a gate that is still closed: the client sees the stream fail
/// instead of hanging.
#[test]
fn dropping_the_server_closes_held_connections() {
    let (gate, _opener) = gate();
    let server = H2Server::plain(move |_| H2Reply::text("head").then_wait(gate.clone()));
    let port = server.port;
    let err = run(async move {
        let (mut send, _conn) = h2c(port).await;
        let url = format!("http://127.0.0.1:{port}/");
        let (response, _) = send.send_request(request("GET", &url), true).expect("send");
        let mut body = response.await.expect("head").into_body();
        let first = body.data().await.expect("a part").expect("first part");
        assert_eq!(first, "head");
        drop(server);
        read_body(&mut body).await.1
    });
    assert!(err.is_some(), "the held stream must fail, not end cleanly");
}

/// Trailers both ways: the reply's come after its body in a final HEADERS
/// frame; the request's are recorded apart from its headers.
#[test]
fn trailers_are_sent_and_recorded() {
    let server = H2Server::plain(|_| H2Reply::text("body").trailer("x-checksum", "abc"));
    let port = server.port;
    let (body, trailers) = run(async move {
        let (mut send, _conn) = h2c(port).await;
        let url = format!("http://127.0.0.1:{port}/t");
        let (response, mut upload) = send
            .send_request(request("POST", &url), false)
            .expect("send");
        upload
            .send_data(Bytes::from_static(b"up"), false)
            .expect("data");
        let mut sent = http::HeaderMap::new();
        sent.insert("x-sent", http::HeaderValue::from_static("yes"));
        upload.send_trailers(sent).expect("request trailers");
        let mut body = response.await.expect("head").into_body();
        let (bytes, err) = read_body(&mut body).await;
        assert!(err.is_none(), "{err:?}");
        (bytes, body.trailers().await.expect("trailers"))
    });
    assert_eq!(body, b"body");
    let trailers = trailers.expect("reply trailers");
    assert_eq!(trailers["x-checksum"], "abc");
    let r = server.request();
    assert_eq!(r.body_str(), "up");
    assert_eq!(r.trailers, [("x-sent".to_string(), "yes".to_string())]);
    assert_eq!(r.header("x-sent"), None);
}

/// A reply head h2 refuses (a connection-specific header) resets the
/// stream with INTERNAL_ERROR rather than leaving the client waiting.
#[test]
fn reply_head_h2_refuses_resets_the_stream() {
    let server = H2Server::plain(|_| H2Reply::text("x").header("connection", "close"));
    let port = server.port;
    let err = run(async move {
        let (mut send, _conn) = h2c(port).await;
        let url = format!("http://127.0.0.1:{port}/");
        let (response, _) = send.send_request(request("GET", &url), true).expect("send");
        response.await.expect_err("no response")
    });
    assert!(err.is_reset(), "{err:?}");
    assert_eq!(err.reason(), Some(Reason::INTERNAL_ERROR));
}

/// `and_close` answers in full, then closes the connection gracefully: the
/// client has the GOAWAY (`NO_ERROR`) by the time the body has ended, so a
/// second stream is refused locally, and the connection ends without error.
#[test]
fn and_close_answers_then_closes_gracefully() {
    let server = H2Server::plain(|_| H2Reply::text("bye").and_close());
    let port = server.port;
    let (body, second, conn_result) = run(async move {
        let (mut send, conn) = h2c(port).await;
        let url = format!("http://127.0.0.1:{port}/");
        let (response, _) = send.send_request(request("GET", &url), true).expect("send");
        let (_, mut body) = response.await.expect("response").into_parts();
        let (bytes, err) = read_body(&mut body).await;
        assert!(err.is_none(), "{err:?}");
        let second = send.send_request(request("GET", &url), true).err();
        drop(send);
        (bytes, second, conn.await.expect("connection task"))
    });
    assert_eq!(body, b"bye");
    let second = second.expect("a stream after the GOAWAY is refused");
    assert!(second.is_go_away() && second.is_remote(), "{second:?}");
    assert_eq!(second.reason(), Some(Reason::NO_ERROR));
    assert!(conn_result.is_ok(), "{conn_result:?}");
    assert_eq!(server.connections(), 1);
    assert_eq!(server.requests().len(), 1);
}

/// With trailers, `and_close` still sends the GOAWAY before the final
/// HEADERS, and the trailers arrive.
#[test]
fn and_close_keeps_trailers() {
    let server = H2Server::plain(|_| H2Reply::ok().body("t").trailer("x-sum", "1").and_close());
    let port = server.port;
    let (trailers, second) = run(async move {
        let (mut send, conn) = h2c(port).await;
        let url = format!("http://127.0.0.1:{port}/");
        let (response, _) = send.send_request(request("GET", &url), true).expect("send");
        let (_, mut body) = response.await.expect("response").into_parts();
        let (bytes, err) = read_body(&mut body).await;
        assert!(err.is_none() && bytes == b"t", "{err:?} {bytes:?}");
        let trailers = body.trailers().await.expect("trailers");
        let second = send.send_request(request("GET", &url), true).err();
        drop(send);
        let _ = conn.await;
        (trailers, second)
    });
    assert_eq!(trailers.expect("some trailers")["x-sum"], "1");
    assert!(second.is_some_and(|e| e.is_go_away()));
}

//! Proxies beyond plain HTTP CONNECT and SOCKS5 (those are in `network.rs`):
//! SOCKS4 and SOCKS4a, an HTTPS proxy (TLS between the client and the
//! proxy, then a CONNECT tunnel), and an `https://` origin reached through
//! a plain CONNECT tunnel (TLS end to end, the proxy sees only ciphertext).
//!
//! The proxies and the TLS origin are the harness's: threads on
//! 127.0.0.1:0, bound before their constructor returns, that record what
//! the client asked for (and, for CONNECT proxies, every byte they relayed)
//! and then pipe bytes to the real test origin. Each test builds its own
//! PKI (a CA and a leaf for 127.0.0.1/localhost, `ca.pem` in a temp dir for
//! `--verify`). Nothing leaves the machine; nothing sleeps.

use std::net::Ipv4Addr;

use crate::harness::{
    contains, dead_port, head_header, http, request_line, ConnectProxy, Pki, Reply, Run, Server,
    Socks4Proxy, Socks4Request,
};

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/// A server answering every request with 200 `ok`.
fn ok_server() -> Server {
    Server::start(|_| Reply::text("ok"))
}

#[track_caller]
fn assert_ok(run: &Run) {
    assert_eq!(run.code, 0, "expected success\n{}", run.context());
    assert_eq!(run.stdout_str(), "ok", "{}", run.context());
}

/// Exit 1, empty stdout, exactly one stderr line `http: error: ...`
/// containing every phrase.
#[track_caller]
fn assert_error(run: &Run, phrases: &[&str]) {
    assert_eq!(run.code, 1, "expected exit 1\n{}", run.context());
    let stderr = run.stderr_str();
    assert_eq!(stderr.lines().count(), 1, "one line\n{}", run.context());
    assert!(stderr.starts_with("http: error: "), "{}", run.context());
    for phrase in phrases {
        assert!(
            stderr.contains(phrase),
            "stderr lacks {phrase:?}\n{}",
            run.context()
        );
    }
    assert!(run.stdout.is_empty(), "{}", run.context());
}

/// Runs `http ARGS... --proxy SCHEME:PROXY URL`.
fn run_proxied(args: &[&str], scheme: &str, proxy: &str, url: &str) -> Run {
    let flag = format!("{scheme}:{proxy}");
    http(args).args(&["--proxy", &flag, url]).run()
}

// ---------------------------------------------------------------------------
// SOCKS4 / SOCKS4a
// ---------------------------------------------------------------------------

/// What a SOCKS4 proxy receives for a URL naming `origin` by IP: one
/// CONNECT to 127.0.0.1 and the origin's port, with an empty user id.
fn connect_by_ip(origin: &Server) -> [Socks4Request; 1] {
    [Socks4Request::connect(
        Ipv4Addr::LOCALHOST,
        origin.port,
        None,
    )]
}

#[test]
fn socks4_proxy_gets_the_ip_destination() {
    let origin = ok_server();
    let socks = Socks4Proxy::start();
    let run = run_proxied(&[], "http", &socks.url("socks4"), &origin.url("/s4?q=1"));
    assert_ok(&run);
    assert_eq!(socks.requests(), connect_by_ip(&origin));
    assert_eq!(socks.connections(), 1);
    let got = origin.request();
    assert_eq!(got.url, "/s4?q=1");
    assert_eq!(got.header("Host"), Some(origin.addr().as_str()));
}

#[test]
fn socks4a_proxy_gets_the_host_name() {
    let origin = ok_server();
    let socks = Socks4Proxy::start();
    let url = format!("http://localhost:{}/s4a", origin.port);
    let run = run_proxied(&[], "http", &socks.url("socks4a"), &url);
    assert_ok(&run);
    assert_eq!(
        socks.requests(),
        [Socks4Request::connect(
            Ipv4Addr::new(0, 0, 0, 1),
            origin.port,
            Some("localhost")
        )]
    );
    let got = origin.request();
    assert_eq!(got.url, "/s4a");
    assert_eq!(
        got.header("Host"),
        Some(format!("localhost:{}", origin.port).as_str())
    );
}

#[test]
fn socks4a_with_an_ip_url_sends_the_ip() {
    let origin = ok_server();
    let socks = Socks4Proxy::start();
    let run = run_proxied(&[], "http", &socks.url("socks4a"), &origin.url("/ip"));
    assert_ok(&run);
    assert_eq!(socks.requests(), connect_by_ip(&origin));
    assert_eq!(origin.request().url, "/ip");
}

#[test]
fn socks4_proxy_flag_for_all_schemes() {
    let origin = ok_server();
    let socks = Socks4Proxy::start();
    let run = run_proxied(&[], "all", &socks.url("socks4"), &origin.url("/all"));
    assert_ok(&run);
    assert_eq!(socks.requests().len(), 1, "{:?}", socks.requests());
    assert_eq!(origin.hits(), 1);
}

#[test]
fn socks4_rejection_is_an_error_and_the_origin_is_not_reached() {
    let origin = ok_server();
    let socks = Socks4Proxy::rejecting();
    let run = run_proxied(&[], "http", &socks.url("socks4"), &origin.url("/no"));
    assert_error(&run, &["rejected"]);
    assert_eq!(socks.requests(), connect_by_ip(&origin));
    assert_eq!(origin.hits(), 0);
}

#[test]
fn socks4_proxy_via_env() {
    let origin = ok_server();
    let socks = Socks4Proxy::start();
    let run = http(&[&origin.url("/env")])
        .env("HTTP_PROXY", &socks.url("socks4a"))
        .run();
    assert_ok(&run);
    assert_eq!(socks.requests(), connect_by_ip(&origin));
    assert_eq!(origin.hits(), 1);
}

#[test]
fn unreachable_socks4_proxy_is_reported_as_the_proxy() {
    let origin = ok_server();
    let port = dead_port();
    let proxy = format!("socks4://127.0.0.1:{port}");
    let run = run_proxied(&[], "http", &proxy, &origin.url("/x"));
    assert_error(&run, &[]);
    let err = run.stderr_str();
    assert!(
        err.contains("proxy") || err.contains(&format!("127.0.0.1:{port}")),
        "{}",
        run.context()
    );
    assert_eq!(origin.hits(), 0);
}

/// A host name that fails to resolve without asking any DNS server: a 70-byte label is
/// longer than DNS allows (63), so the system resolver refuses it at once.
fn unresolvable_host() -> String {
    format!("{}.test", "a".repeat(70))
}

/// The proxy's name cannot be resolved: the error names the proxy, not the origin.
#[test]
fn unresolvable_proxy_is_reported_as_the_proxy() {
    let origin = ok_server();
    for scheme in ["http", "socks5"] {
        let proxy = format!("{scheme}://{}:3128", unresolvable_host());
        let run = run_proxied(&[], "http", &proxy, &origin.url("/x"));
        assert_error(&run, &["could not resolve the proxy host", &proxy]);
        assert!(!run.stderr_str().contains("127.0.0.1"), "{}", run.context());
    }
    assert_eq!(origin.hits(), 0);
}

/// Without a proxy, an unresolvable origin is named as such (not as a connection failure).
#[test]
fn unresolvable_host_is_named() {
    let host = unresolvable_host();
    let run = http(&[&format!("http://{host}/")]).run();
    assert_error(&run, &[&format!("could not resolve host '{host}'")]);
}

// ---------------------------------------------------------------------------
// HTTPS proxy (TLS to the proxy, CONNECT inside it)
// ---------------------------------------------------------------------------

/// A PKI, an HTTP origin answering `ok`, and an HTTPS proxy presenting a
/// certificate of that PKI (demanding `user_pass` if given).
fn https_proxy(user_pass: Option<&str>) -> (Pki, Server, ConnectProxy) {
    let pki = Pki::new();
    let proxy = ConnectProxy::tls(pki.server_config(), user_pass);
    (pki, ok_server(), proxy)
}

#[test]
fn https_proxy_with_verify_tunnels_to_an_http_origin() {
    let (pki, origin, proxy) = https_proxy(None);
    let run = run_proxied(&[&pki.verify()], "http", &proxy.url(), &origin.url("/x"));
    assert_ok(&run);
    let head = proxy.single_connect(origin.port);
    assert_eq!(head_header(&head, "Proxy-Authorization"), None);
    let got = origin.request();
    assert_eq!(got.url, "/x");
    assert_eq!(got.header("Host"), Some(origin.addr().as_str()));
    // The origin is plain HTTP: inside the proxy's TLS, the tunnel carries
    // the request in clear, and the proxy relayed exactly that.
    assert!(
        proxy.relayed_up().starts_with(b"GET /x HTTP/1.1\r\n"),
        "{:?}",
        String::from_utf8_lossy(&proxy.relayed_up())
    );
    assert!(proxy.relayed_down().starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert_eq!(proxy.connections(), 1);
}

#[test]
fn https_proxy_without_verify_fails_on_its_certificate() {
    let (_pki, origin, proxy) = https_proxy(None);
    let run = run_proxied(&[], "http", &proxy.url(), &origin.url("/x"));
    assert_error(&run, &["certificate", "unknown authority", "--verify"]);
    // The handshake failed, so no CONNECT was ever sent.
    assert!(proxy.heads().is_empty(), "{:?}", proxy.heads());
    assert_eq!(origin.hits(), 0);
}

#[test]
fn https_proxy_certificate_error_names_the_proxy() {
    // The certificate that failed is the proxy's: the message must point
    // at the proxy, not blame the origin (which was never contacted).
    let (_pki, origin, proxy) = https_proxy(None);
    let run = run_proxied(&[], "http", &proxy.url(), &origin.url("/x"));
    assert_eq!(run.code, 1, "{}", run.context());
    let err = run.stderr_str();
    assert!(
        err.contains(&format!("127.0.0.1:{}", proxy.port)),
        "the error should name the proxy 127.0.0.1:{}\n{}",
        proxy.port,
        run.context()
    );
    assert!(
        !err.contains(&origin.addr()),
        "the error blames the origin\n{}",
        run.context()
    );
}

#[test]
fn https_proxy_with_verify_no_succeeds_with_warning() {
    let (_pki, origin, proxy) = https_proxy(None);
    let run = run_proxied(&["--verify=no"], "http", &proxy.url(), &origin.url("/n"));
    assert_ok(&run);
    assert!(
        run.stderr_str()
            .contains("TLS certificate verification is off"),
        "{}",
        run.context()
    );
    assert_eq!(proxy.request_lines().len(), 1);
    assert_eq!(origin.request().url, "/n");
}

#[test]
fn https_proxy_credentials_reach_the_proxy_only() {
    let (pki, origin, proxy) = https_proxy(Some("puser:ppass"));
    let proxy_url = proxy.url_with("puser:ppass");
    let run = run_proxied(&[&pki.verify()], "http", &proxy_url, &origin.url("/auth"));
    assert_ok(&run);
    let head = proxy.single_connect(origin.port);
    assert_eq!(
        head_header(&head, "Proxy-Authorization").as_deref(),
        Some("Basic cHVzZXI6cHBhc3M=")
    );
    let got = origin.request();
    assert_eq!(got.url, "/auth");
    assert_eq!(got.header("Proxy-Authorization"), None, "{got:?}");
    assert_eq!(got.header("Authorization"), None, "{got:?}");
    assert!(!contains(&proxy.relayed_up(), b"cHVzZXI6cHBhc3M="));
}

#[test]
fn https_proxy_without_credentials_is_a_407_error() {
    let (pki, origin, proxy) = https_proxy(Some("puser:ppass"));
    let run = run_proxied(&[&pki.verify()], "http", &proxy.url(), &origin.url("/auth"));
    assert_error(&run, &["407"]);
    assert_eq!(proxy.request_lines().len(), 1, "{:?}", proxy.heads());
    assert_eq!(origin.hits(), 0);
}

#[test]
fn https_origin_through_https_proxy_is_tls_inside_tls() {
    let pki = Pki::new();
    let origin = pki.server();
    let proxy = ConnectProxy::tls(pki.server_config(), None);
    let run = run_proxied(
        &[&pki.verify()],
        "https",
        &proxy.url(),
        &origin.url("/nested"),
    );
    assert_ok(&run);
    proxy.single_connect(origin.port);
    let heads = origin.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert_eq!(request_line(&heads[0]), "GET /nested HTTP/1.1");
    let up = proxy.relayed_up();
    assert_eq!(up.first(), Some(&0x16), "a TLS handshake record first");
    assert!(!contains(&up, b"GET /"), "the proxy saw plaintext HTTP");
}

// ---------------------------------------------------------------------------
// https:// origin through a plain CONNECT proxy
// ---------------------------------------------------------------------------

#[test]
fn https_origin_through_connect_proxy_is_tls_end_to_end() {
    let pki = Pki::new();
    let origin = pki.server();
    let proxy = ConnectProxy::start();
    let flag = format!("https:{}", proxy.url());
    let run = http(&[
        &pki.verify(),
        "--proxy",
        &flag,
        "-a",
        "user:pass",
        &origin.url("/x"),
    ])
    .run();
    assert_ok(&run);
    let head = proxy.single_connect(origin.port);
    // The origin's credentials are for the origin, inside TLS.
    assert_eq!(head_header(&head, "Authorization"), None);
    let origin_heads = origin.heads();
    assert_eq!(origin_heads.len(), 1, "{origin_heads:?}");
    assert_eq!(request_line(&origin_heads[0]), "GET /x HTTP/1.1");
    assert_eq!(
        head_header(&origin_heads[0], "Authorization").as_deref(),
        Some("Basic dXNlcjpwYXNz")
    );
    let up = proxy.relayed_up();
    assert!(!up.is_empty(), "nothing went through the tunnel");
    assert_eq!(up[0], 0x16, "a TLS handshake record first");
    assert!(!contains(&up, b"GET /"), "the proxy saw plaintext HTTP");
    assert!(!contains(&up, b"dXNlcjpwYXNz"), "credentials in clear");
    let down = proxy.relayed_down();
    assert!(!contains(&down, b"HTTP/1.1 200"), "response in clear");
}

#[test]
fn https_origin_through_connect_proxy_still_verifies_the_origin() {
    let pki = Pki::new();
    let origin = pki.server();
    let proxy = ConnectProxy::start();
    let run = run_proxied(&[], "https", &proxy.url(), &origin.url("/x"));
    assert_error(&run, &["unknown authority", "--verify"]);
    proxy.single_connect(origin.port);
    assert!(origin.heads().is_empty(), "{:?}", origin.heads());
}

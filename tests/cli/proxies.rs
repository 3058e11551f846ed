//! Proxies beyond the basics in `network.rs`: absolute form through a
//! Squid-like proxy (printing, redirects, `NO_PROXY`, CONNECT only for
//! `https://`), SOCKS4 and SOCKS4a, an HTTPS proxy (TLS between the client
//! and the proxy, then absolute form or a CONNECT tunnel inside it), and an
//! `https://` origin reached through a plain CONNECT tunnel (TLS end to
//! end, the proxy sees only ciphertext).
//!
//! The proxies and the TLS origin are the harness's: threads on
//! 127.0.0.1:0, bound before their constructor returns, that record what
//! the client asked for (and, for CONNECT proxies, every byte they relayed)
//! and then pass it to the real test origin. Each test builds its own
//! PKI (a CA and a leaf for 127.0.0.1/localhost, `ca.pem` in a temp dir for
//! `--verify`). Nothing leaves the machine; nothing sleeps.

use std::net::Ipv4Addr;

use crate::harness::{
    assert_error, assert_ok, contains, dead_port, head_header, http, ok_server, request_line,
    ConnectProxy, ForwardProxy, Pki, Reply, Run, Server, Socks4Proxy, Socks4Request,
};

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/// Runs `http ARGS... --proxy SCHEME:PROXY URL`.
fn run_proxied(args: &[&str], scheme: &str, proxy: &str, url: &str) -> Run {
    let flag = format!("{scheme}:{proxy}");
    http(args).args(&["--proxy", &flag, url]).run()
}

// ---------------------------------------------------------------------------
// Absolute form through a Squid-like proxy
// ---------------------------------------------------------------------------

/// The stock Squid rule (CONNECT only to port 443): plain HTTP through it
/// works, in absolute form; an `https://` URL on another port is tunnelled
/// with CONNECT, which it refuses, and the error says so.
#[test]
fn squid_rule_forwards_plain_http_and_refuses_other_tunnels() {
    let origin = ok_server();
    let proxy = ForwardProxy::start();
    let run = run_proxied(&[], "all", &proxy.url(), &origin.url("/plain"));
    assert_ok(&run);
    let pki = Pki::new();
    let tls = pki.server();
    let run = run_proxied(&[&pki.verify()], "all", &proxy.url(), &tls.url("/tls"));
    assert_error(
        &run,
        &[&format!(
            "proxy {} refused the tunnel: proxy server responded 403",
            proxy.url()
        )],
    );
    assert_eq!(
        proxy.request_lines(),
        [
            format!("GET {} HTTP/1.1", origin.url("/plain")),
            format!("CONNECT 127.0.0.1:{} HTTP/1.1", tls.port),
        ]
    );
    assert_eq!(origin.request().url, "/plain");
    assert!(tls.heads().is_empty());
}

/// `-v` (and `-p H`) print the request head exactly as the proxy received
/// it: absolute-form request line, `Proxy-Authorization` last.
#[test]
fn verbose_prints_the_request_the_proxy_received() {
    let origin = ok_server();
    let proxy = ForwardProxy::with_auth("puser:ppass");
    let runs = [&["-v"][..], &["-p", "H"]].map(|flags| {
        let url = origin.url("/p?q=1");
        run_proxied(flags, "http", &proxy.url_with("puser:ppass"), &url)
    });
    let heads = proxy.heads();
    assert_eq!(heads.len(), 2, "{heads:?}");
    for (run, head) in runs.iter().zip(&heads) {
        assert_eq!(run.code, 0, "{}", run.context());
        assert!(
            head.starts_with(&format!("GET {} HTTP/1.1\r\n", origin.url("/p?q=1"))),
            "{head}"
        );
        assert!(
            head.ends_with("\r\nProxy-Authorization: Basic cHVzZXI6cHBhc3M=\r\n\r\n"),
            "{head}"
        );
    }
    assert!(
        runs[0].stdout_str().starts_with(&heads[0]),
        "{}",
        runs[0].context()
    );
    assert!(
        runs[0].stdout_str().ends_with("ok"),
        "{}",
        runs[0].context()
    );
    assert_eq!(runs[1].stdout_str(), heads[1], "{}", runs[1].context());
}

/// `--offline` prints what would go to the proxy: the same bytes, body
/// included, that the proxy receives for the same command line.
#[test]
fn offline_print_is_what_the_proxy_receives() {
    let origin = ok_server();
    let proxy = ForwardProxy::start();
    let proxy_url = format!("http:{}", proxy.url_with("u%40x:p"));
    let url = origin.url("/o");
    let args = ["--ignore-stdin", "--proxy", &proxy_url, "POST", &url, "a=1"];
    let offline = http(&["--offline"]).args(&args).run();
    assert_eq!(offline.code, 0, "{}", offline.context());
    let online = http(&["-q"]).args(&args).run();
    assert_eq!(online.code, 0, "{}", online.context());
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    let sent = format!("{}{}", heads[0], origin.request().body_str());
    assert_eq!(offline.stdout_str(), sent);
    // "u@x:p", decoded once.
    assert!(
        sent.contains("Proxy-Authorization: Basic dUB4OnA=\r\n"),
        "{sent}"
    );
}

/// `https://` URLs are tunnelled: `--offline` prints them in origin-form,
/// without the proxy's credentials.
#[test]
fn offline_https_url_through_a_proxy_stays_origin_form() {
    let run = http(&[
        "--offline",
        "--proxy",
        "all:http://u:p@127.0.0.1:9",
        "https://example.org/x",
    ])
    .run();
    assert_eq!(run.code, 0, "{}", run.context());
    let out = run.stdout_str();
    assert!(out.starts_with("GET /x HTTP/1.1\r\n"), "{out}");
    assert!(!out.contains("Proxy-Authorization"), "{out}");
}

/// A `Proxy-Authorization` header given on the command line is the one the
/// proxy gets (as with curl): the URL's credentials do not add a second.
#[test]
fn typed_proxy_authorization_header_wins() {
    let origin = ok_server();
    let proxy = ForwardProxy::start();
    let flag = format!("http:{}", proxy.url_with("puser:ppass"));
    let run = http(&["--proxy", &flag, &origin.url("/t")])
        .args(&["Proxy-Authorization:Custom t0k"])
        .run();
    assert_ok(&run);
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    let lines: Vec<&str> = heads[0]
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("proxy-authorization:"))
        .collect();
    assert_eq!(lines, ["Proxy-Authorization: Custom t0k"]);
}

/// A redirect to a host `NO_PROXY` names leaves the proxy: that request goes
/// straight to its origin, in origin-form, without the proxy's credentials
/// (and not on the connection to the proxy, which would answer 400).
#[test]
fn redirect_to_a_no_proxy_host_goes_direct_without_proxy_credentials() {
    let b = Server::start(|_| Reply::text("ok"));
    let target = format!("http://localhost:{}/landing", b.port);
    let a = Server::start(move |_| Reply::redirect(302, &target));
    let proxy = ForwardProxy::with_auth("puser:ppass");
    let run = http(&["--follow", &a.url("/s")])
        .env("HTTP_PROXY", &proxy.url_with("puser:ppass"))
        .env("NO_PROXY", "localhost")
        .run();
    assert_ok(&run);
    assert_eq!(
        proxy.request_lines(),
        [format!("GET {} HTTP/1.1", a.url("/s"))]
    );
    let landed = b.request();
    assert_eq!(landed.url, "/landing");
    assert_eq!(landed.header("Proxy-Authorization"), None, "{landed:?}");
}

/// A redirect from `http://` to `https://` through the same proxy switches
/// from absolute form to a CONNECT tunnel; the proxy's credentials go on
/// both requests to the proxy and never into the tunnel. `--all -p H`
/// prints each request as sent.
#[test]
fn redirect_from_http_to_https_switches_to_connect() {
    let pki = Pki::new();
    let tls = pki.server();
    let target = tls.url("/secure");
    let a = Server::start(move |_| Reply::redirect(302, &target));
    let proxy = ForwardProxy::tunnelling_any_port();
    let run = run_proxied(
        &[&pki.verify(), "--follow", "--all", "-p", "H"],
        "all",
        &proxy.url_with("puser:ppass"),
        &a.url("/start"),
    );
    assert_eq!(run.code, 0, "{}", run.context());
    assert_eq!(
        proxy.request_lines(),
        [
            format!("GET {} HTTP/1.1", a.url("/start")),
            format!("CONNECT 127.0.0.1:{} HTTP/1.1", tls.port),
        ]
    );
    for head in proxy.heads() {
        assert_eq!(
            head_header(&head, "Proxy-Authorization").as_deref(),
            Some("Basic cHVzZXI6cHBhc3M="),
            "{head}"
        );
    }
    let heads = tls.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert_eq!(request_line(&heads[0]), "GET /secure HTTP/1.1");
    assert_eq!(head_header(&heads[0], "Proxy-Authorization"), None);
    let out = run.stdout_str();
    let printed: Vec<&str> = out.lines().filter(|l| l.starts_with("GET ")).collect();
    assert_eq!(
        printed,
        [
            format!("GET {} HTTP/1.1", a.url("/start")),
            "GET /secure HTTP/1.1".to_string(),
        ]
    );
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
// HTTPS proxy (TLS to the proxy, the request in absolute form inside it)
// ---------------------------------------------------------------------------

/// A PKI, an HTTP origin answering `ok`, and an HTTPS forwarding proxy
/// presenting a certificate of that PKI (demanding `user_pass` if given).
fn https_proxy(user_pass: Option<&str>) -> (Pki, Server, ForwardProxy) {
    let pki = Pki::new();
    let proxy = ForwardProxy::tls(pki.server_config(), user_pass);
    (pki, ok_server(), proxy)
}

#[test]
fn https_proxy_with_verify_forwards_to_an_http_origin() {
    let (pki, origin, proxy) = https_proxy(None);
    let run = run_proxied(&[&pki.verify()], "http", &proxy.url(), &origin.url("/x"));
    assert_ok(&run);
    // Inside the proxy's TLS, the request itself in absolute form.
    assert_eq!(
        proxy.request_lines(),
        [format!("GET {} HTTP/1.1", origin.url("/x"))]
    );
    assert_eq!(head_header(&proxy.heads()[0], "Proxy-Authorization"), None);
    let got = origin.request();
    assert_eq!(got.url, "/x");
    assert_eq!(got.header("Host"), Some(origin.addr().as_str()));
    assert_eq!(proxy.connections(), 1);
}

#[test]
fn https_proxy_without_verify_fails_on_its_certificate() {
    let (_pki, origin, proxy) = https_proxy(None);
    let run = run_proxied(&[], "http", &proxy.url(), &origin.url("/x"));
    assert_error(&run, &["certificate", "unknown authority", "--verify"]);
    // The handshake failed, so no request was ever sent.
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
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert_eq!(
        request_line(&heads[0]),
        format!("GET {} HTTP/1.1", origin.url("/auth"))
    );
    assert_eq!(
        head_header(&heads[0], "Proxy-Authorization").as_deref(),
        Some("Basic cHVzZXI6cHBhc3M=")
    );
    let got = origin.request();
    assert_eq!(got.url, "/auth");
    assert_eq!(got.header("Proxy-Authorization"), None, "{got:?}");
    assert_eq!(got.header("Authorization"), None, "{got:?}");
}

#[test]
fn https_proxy_without_credentials_is_a_407_error() {
    let (pki, origin, proxy) = https_proxy(Some("puser:ppass"));
    let run = run_proxied(&[&pki.verify()], "http", &proxy.url(), &origin.url("/auth"));
    assert_error(&run, &["407", &format!("proxy {}", proxy.url())]);
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

//! Where connections go: `--resolve`, `--connect-to`, `-4`/`-6`, `--interface` and
//! `--unix-socket`, and `-m` showing the address actually connected to.
//!
//! The names in URLs (`example.test`, `a.test`, ...) are never looked up: every test routes
//! them to a harness server on 127.0.0.1 or [::1] (ephemeral ports), or to a Unix socket in a
//! temp dir. `.test` is reserved (RFC 6761), so a build that let one reach DNS would find
//! nothing and fail. Nothing sleeps; the connect-timeout tests use the harness's `Blackhole`.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::harness::{
    assert_error, assert_ok, dead_port, head_header, http, ok_server, Blackhole, ConnectProxy,
    Dest, ForwardProxy, Pki, Reply, Run, Server, Socks5Proxy, TlsServer,
};

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/// Each request's target and `Host` header, in arrival order.
fn targets_and_hosts(server: &Server) -> Vec<(String, Option<String>)> {
    server
        .requests()
        .iter()
        .map(|r| (r.url.clone(), r.header("Host").map(str::to_string)))
        .collect()
}

/// The `Remote address: ...` line of a `-m` run's output.
#[track_caller]
fn remote_address(run: &Run) -> String {
    let out = run.stdout_str();
    let lines: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("Remote address: "))
        .collect();
    assert_eq!(lines.len(), 1, "one Remote address line\n{}", run.context());
    lines[0].to_string()
}

/// The peer IP of every request `server` received, in order.
fn peer_ips(server: &Server) -> Vec<Option<IpAddr>> {
    server
        .requests()
        .iter()
        .map(|r| r.peer.map(|p| p.ip()))
        .collect()
}

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().expect("an IP address"))
}

/// A server on `[::1]`, or `None` (with a note) when this machine has no IPv6 loopback.
fn v6_server(name: &str) -> Option<Server> {
    match Server::bind("[::1]:0", |r| {
        let peer = r.peer.map(|p| p.ip().to_string()).unwrap_or_default();
        Reply::text(&format!("v6 from {peer}"))
    }) {
        Ok(server) => Some(server),
        Err(e) => {
            eprintln!("{name}: skipped, no IPv6 loopback on this machine ({e})");
            None
        }
    }
}

/// A temp dir and the path of a socket in it.
fn socket_path() -> (TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("http-cli-unix-")
        .tempdir()
        .expect("create socket temp dir");
    let path = dir.path().join("http.sock");
    (dir, path)
}

/// A Unix-socket server answering `handler`; keep the dir alive with it.
fn unix_server(
    handler: impl Fn(&crate::harness::Recorded) -> Reply + Send + Sync + 'static,
) -> (TempDir, Server) {
    let (dir, path) = socket_path();
    let server = Server::start_unix(&path, handler);
    (dir, server)
}

// ---------------------------------------------------------------------------
// --resolve
// ---------------------------------------------------------------------------

#[test]
fn resolve_sends_the_request_to_the_address_with_the_url_host() {
    let server = ok_server();
    let port = server.port;
    let rule = format!("example.test:{port}:127.0.0.1");
    let url = format!("http://example.test:{port}/x?q=1");
    let run = http(&["--resolve", &rule, &url]).run();
    assert_ok(&run);
    let got = server.request();
    assert_eq!(got.url, "/x?q=1");
    assert_eq!(
        got.header("Host"),
        Some(format!("example.test:{port}").as_str())
    );
}

#[test]
fn resolve_matches_the_host_case_insensitively_and_only_on_its_port() {
    let server = ok_server();
    let port = server.port;
    // Upper case in the rule and the URL; a rule for another port must not apply.
    let other = format!(
        "example.test:{}:127.0.0.9",
        port.checked_add(1).unwrap_or(1)
    );
    let rule = format!("Example.TEST:{port}:127.0.0.1");
    let url = format!("http://EXAMPLE.test:{port}/case");
    let run = http(&["--resolve", &other, "--resolve", &rule, &url]).run();
    assert_ok(&run);
    assert_eq!(server.request().url, "/case");
}

#[test]
fn resolve_wildcard_applies_to_any_host_on_its_port() {
    let server = ok_server();
    let port = server.port;
    let rule = format!("*:{port}:127.0.0.1");
    for host in ["any.test", "other.example"] {
        let url = format!("http://{host}:{port}/w");
        let run = http(&["--resolve", &rule, &url]).run();
        assert_ok(&run);
    }
    let hosts: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.header("Host").unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        hosts,
        [format!("any.test:{port}"), format!("other.example:{port}")]
    );
}

/// After a redirect answered on the same (kept-alive) connection, `-m` still names the
/// address that connection was made to, and that it was reused.
#[test]
fn meta_after_a_redirect_on_a_reused_connection_shows_the_address() {
    let server = Server::start(|r| match r.path() {
        "/start" => Reply::redirect(302, "/end"),
        _ => Reply::text("ok"),
    });
    let port = server.port;
    let rule = format!("re.test:{port}:127.0.0.1");
    let url = format!("http://re.test:{port}/start");
    let run = http(&["-m", "--follow", "--resolve", &rule, &url])
        .run()
        .success();
    // The final hop went over the first hop's connection, and says so.
    assert_eq!(
        remote_address(&run),
        format!("127.0.0.1:{port} (reused connection)")
    );
    assert_eq!(server.hits(), 2);
    let (_dir, unix) = unix_server(|r| match r.path() {
        "/start" => Reply::redirect(302, "/end"),
        _ => Reply::text("ok"),
    });
    let path = unix.socket_path().to_string();
    let run = http(&[
        "-m",
        "--follow",
        "--unix-socket",
        &path,
        "http://docker/start",
    ])
    .run()
    .success();
    assert_eq!(
        remote_address(&run),
        format!("unix:{path} (reused connection)")
    );
    assert_eq!(unix.hits(), 2);
}

/// Two addresses, the first refusing: the second is tried, and `-m` names the one that
/// answered (not the first in the list).
#[test]
fn resolve_tries_the_next_address_and_meta_shows_the_one_used() {
    let server = ok_server();
    let port = server.port;
    // Nothing listens on 127.0.0.3 (the server is bound to 127.0.0.1 only).
    let rule = format!("multi.test:{port}:127.0.0.3,127.0.0.1");
    let url = format!("http://multi.test:{port}/m");
    for flag in ["-m", "--meta"] {
        let run = http(&[flag, "--resolve", &rule, &url]).run().success();
        assert_eq!(remote_address(&run), format!("127.0.0.1:{port}"));
    }
    assert_eq!(server.hits(), 2);
}

#[test]
fn meta_shows_the_address_of_a_plain_url() {
    let server = ok_server();
    let run = http(&["-m", &server.url("/")]).run().success();
    assert_eq!(remote_address(&run), server.addr());
}

#[test]
fn resolve_with_every_address_refusing_is_a_connection_error() {
    let origin = ok_server();
    let port = dead_port();
    let rule = format!("down.test:{port}:127.0.0.3,127.0.0.1");
    let url = format!("http://down.test:{port}/");
    let run = http(&["--resolve", &rule, &url]).run();
    assert_error(&run, &["refused", "down.test"]);
    assert_eq!(origin.hits(), 0);
}

// ---------------------------------------------------------------------------
// TLS: the name sent (SNI) and checked is the URL's, wherever the connection goes
// ---------------------------------------------------------------------------

#[test]
fn resolve_keeps_the_tls_name_of_the_url() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf_with(&["example.test"], false).config());
    let port = srv.port;
    let rule = format!("example.test:{port}:127.0.0.1");
    let url = format!("https://example.test:{port}/tls");
    let run = http(&[&pki.verify(), "--resolve", &rule, &url]).run();
    assert_ok(&run);
    let seen = srv.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].sni.as_deref(), Some("example.test"));
    assert_eq!(seen[0].request_line, "GET /tls HTTP/1.1");
    assert_eq!(
        head_header(&seen[0].head, "Host"),
        Some(format!("example.test:{port}"))
    );
}

#[test]
fn resolve_with_a_certificate_for_another_name_fails_verification() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf_with(&["other.test"], false).config());
    let port = srv.port;
    let rule = format!("example.test:{port}:127.0.0.1");
    let url = format!("https://example.test:{port}/");
    let run = http(&[&pki.verify(), "--resolve", &rule, &url]).run();
    assert_error(&run, &[&format!("not valid for example.test:{port}")]);
    assert!(srv.seen().is_empty());
}

/// The certificate is for 127.0.0.1, the address connected to, but not for the URL's
/// name: connecting there must not make the address the name that is checked.
#[test]
fn resolve_does_not_check_the_certificate_against_the_address() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf_with(&["127.0.0.1"], false).config());
    let port = srv.port;
    let rule = format!("example.test:{port}:127.0.0.1");
    let url = format!("https://example.test:{port}/");
    let run = http(&[&pki.verify(), "--resolve", &rule, &url]).run();
    assert_error(&run, &["not valid for example.test"]);
}

#[test]
fn connect_to_keeps_the_tls_name_of_the_url() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf_with(&["example.test"], false).config());
    let rule = format!("example.test:443:127.0.0.1:{}", srv.port);
    let run = http(&[
        &pki.verify(),
        "--connect-to",
        &rule,
        "https://example.test/c",
    ])
    .run();
    assert_ok(&run);
    let seen = srv.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].sni.as_deref(), Some("example.test"));
    assert_eq!(
        head_header(&seen[0].head, "Host"),
        Some("example.test".to_string())
    );
}

// ---------------------------------------------------------------------------
// --connect-to
// ---------------------------------------------------------------------------

#[test]
fn connect_to_sends_the_request_elsewhere_with_the_url_host() {
    let server = ok_server();
    let rule = format!("a.test:80:127.0.0.1:{}", server.port);
    let run = http(&["--connect-to", &rule, "http://a.test/x"]).run();
    assert_ok(&run);
    let got = server.request();
    assert_eq!(got.url, "/x");
    assert_eq!(got.header("Host"), Some("a.test"));
}

#[test]
fn connect_to_with_empty_parts_applies_to_any_host_and_port() {
    let server = ok_server();
    let rule = format!("::127.0.0.1:{}", server.port);
    for url in ["http://a.test/1", "http://b.test:8080/2"] {
        let run = http(&["--connect-to", &rule, url]).run();
        assert_ok(&run);
    }
    let got = targets_and_hosts(&server);
    assert_eq!(
        got,
        [
            ("/1".to_string(), Some("a.test".to_string())),
            ("/2".to_string(), Some("b.test:8080".to_string())),
        ]
    );
}

#[test]
fn connect_to_keeping_the_host_changes_only_the_port() {
    let server = ok_server();
    let port = server.port;
    // a.test:80 -> a.test:PORT, and a.test:PORT -> 127.0.0.1 by --resolve.
    let to_port = format!("a.test:80::{port}");
    let resolve = format!("a.test:{port}:127.0.0.1");
    let run = http(&[
        "--connect-to",
        &to_port,
        "--resolve",
        &resolve,
        "http://a.test/p",
    ])
    .run();
    assert_ok(&run);
    assert_eq!(server.request().header("Host"), Some("a.test"));
}

#[test]
fn connect_to_then_resolve_the_new_host() {
    let server = ok_server();
    let port = server.port;
    let connect_to = format!("a.test:80:b.test:{port}");
    let resolve = format!("b.test:{port}:127.0.0.1");
    let run = http(&[
        "-m",
        "--connect-to",
        &connect_to,
        "--resolve",
        &resolve,
        "http://a.test/chain",
    ])
    .run()
    .success();
    assert_eq!(remote_address(&run), format!("127.0.0.1:{port}"));
    let got = server.request();
    assert_eq!(got.url, "/chain");
    assert_eq!(got.header("Host"), Some("a.test"));
}

#[test]
fn connect_to_for_another_port_does_not_apply() {
    let decoy = ok_server();
    let server = ok_server();
    let port = server.port;
    // The URL's port is PORT, not 80: the first rule must not move it to the decoy.
    let miss = format!("a.test:80:127.0.0.1:{}", decoy.port);
    let resolve = format!("a.test:{port}:127.0.0.1");
    let url = format!("http://a.test:{port}/");
    let run = http(&["--connect-to", &miss, "--resolve", &resolve, &url]).run();
    assert_ok(&run);
    assert_eq!((decoy.hits(), server.hits()), (0, 1));
}

// ---------------------------------------------------------------------------
// Proxies: the rules apply to the host connected to, the proxy
// ---------------------------------------------------------------------------

#[test]
fn resolve_applies_to_the_proxy_host() {
    let origin = ok_server();
    let proxy = ForwardProxy::start();
    let rule = format!("proxy.test:{}:127.0.0.1", proxy.port);
    let flag = format!("http:http://proxy.test:{}", proxy.port);
    let run = http(&[
        "-p",
        "bm",
        "--resolve",
        &rule,
        "--proxy",
        &flag,
        &origin.url("/via"),
    ])
    .run()
    .success();
    assert!(run.stdout_str().starts_with("ok"), "{}", run.context());
    assert_eq!(remote_address(&run), format!("127.0.0.1:{}", proxy.port));
    // The proxy, reached through --resolve, got the request in absolute form.
    assert_eq!(
        proxy.request_lines(),
        [format!("GET {} HTTP/1.1", origin.url("/via"))]
    );
    assert_eq!(origin.request().url, "/via");
}

#[test]
fn resolve_applies_to_a_socks_proxy_host() {
    let origin = ok_server();
    let socks = Socks5Proxy::start();
    let rule = format!("socks.test:{}:127.0.0.1", socks.port);
    let flag = format!("http:socks5h://socks.test:{}", socks.port);
    let run = http(&["--resolve", &rule, "--proxy", &flag, &origin.url("/s")]).run();
    assert_ok(&run);
    let records = socks.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        records[0].dest,
        Some(Dest::V4(Ipv4Addr::LOCALHOST, origin.port))
    );
    assert_eq!(origin.request().url, "/s");
}

#[test]
fn interface_applies_to_the_connection_to_an_http_proxy() {
    let origin = ok_server();
    let proxy = ConnectProxy::start();
    let flag = format!("http:{}", proxy.url());
    let run = http(&["--interface", "nope0", "--proxy", &flag, &origin.url("/")]).run();
    assert_error(&run, &["there is no network interface named 'nope0'"]);
    assert_eq!((proxy.connections(), origin.hits()), (0, 0));
}

/// ureq connects to a SOCKS proxy on its own socket, which `--interface` cannot bind: the
/// run is refused rather than sent from another address than the one asked for.
#[test]
fn interface_with_a_socks_proxy_is_refused_before_connecting() {
    let origin = ok_server();
    let socks = Socks5Proxy::start();
    for scheme in ["socks5h", "socks5", "socks4"] {
        let flag = format!("http:{}", socks.url(scheme));
        let run = http(&[
            "--interface",
            "127.0.0.2",
            "--proxy",
            &flag,
            &origin.url("/"),
        ])
        .run();
        assert_error(
            &run,
            &[&format!(
                "--interface cannot be used with the SOCKS proxy 127.0.0.1:{}",
                socks.port
            )],
        );
    }
    assert_eq!((socks.connections(), origin.hits()), (0, 0));
}

// ---------------------------------------------------------------------------
// -4 / -6
// ---------------------------------------------------------------------------

#[test]
fn ipv4_only_with_a_name_that_has_only_an_ipv6_address() {
    let server = ok_server();
    let port = server.port;
    let rule = format!("x.test:{port}:[::1]");
    let url = format!("http://x.test:{port}/");
    for flag in ["-4", "--ipv4"] {
        let run = http(&[flag, "--resolve", &rule, &url]).run();
        assert_error(&run, &["'x.test' has no IPv4 address"]);
    }
    assert_eq!(server.hits(), 0);
}

#[test]
fn ipv6_only_with_a_name_that_has_only_an_ipv4_address() {
    let server = ok_server();
    let port = server.port;
    let rule = format!("x.test:{port}:127.0.0.1");
    let url = format!("http://x.test:{port}/");
    for flag in ["-6", "--ipv6"] {
        let run = http(&[flag, "--resolve", &rule, &url]).run();
        assert_error(&run, &["'x.test' has no IPv6 address"]);
    }
    assert_eq!(server.hits(), 0);
}

#[test]
fn ipv4_only_with_an_ipv6_literal_url() {
    let server = ok_server();
    let url = format!("http://[::1]:{}/", server.port);
    let run = http(&["-4", &url]).run();
    assert_error(&run, &["has no IPv4 address"]);
    assert_eq!(server.hits(), 0);
}

/// A name with an IPv4 address first and an IPv6 one second: `-6` skips the first.
#[test]
fn ipv6_only_picks_the_ipv6_address() {
    let Some(v6) = v6_server("ipv6_only_picks_the_ipv6_address") else {
        return;
    };
    let port = v6.port;
    // If the same port is free on 127.0.0.1, a server there would answer a client that
    // ignored -6; otherwise the IPv4 address is refused. Either way only [::1] may be hit.
    let v4 = Server::bind(&format!("127.0.0.1:{port}"), |_| Reply::text("v4")).ok();
    let rule = format!("dual.test:{port}:127.0.0.1,[::1]");
    let url = format!("http://dual.test:{port}/six");
    let run = http(&["-6", "-p", "bm", "--resolve", &rule, &url])
        .run()
        .success();
    assert!(
        run.stdout_str().starts_with("v6 from ::1"),
        "{}",
        run.context()
    );
    assert_eq!(remote_address(&run), format!("[::1]:{port}"));
    assert_eq!(v4.map_or(0, |s| s.hits()), 0);
    assert_eq!(
        v6.request().header("Host"),
        Some(format!("dual.test:{port}").as_str())
    );
}

#[test]
fn ipv6_only_to_an_ipv6_literal_url() {
    let Some(v6) = v6_server("ipv6_only_to_an_ipv6_literal_url") else {
        return;
    };
    let url = format!("http://[::1]:{}/lit", v6.port);
    let run = http(&["-6", "-m", &url]).run().success();
    assert_eq!(remote_address(&run), format!("[::1]:{}", v6.port));
    assert_eq!(v6.request().url, "/lit");
}

#[test]
fn last_of_ipv4_and_ipv6_wins() {
    let server = ok_server();
    let port = server.port;
    let rule = format!("x.test:{port}:127.0.0.1");
    let url = format!("http://x.test:{port}/");
    let run = http(&["-6", "-4", "--resolve", &rule, &url]).run();
    assert_ok(&run);
    let run = http(&["-4", "-6", "--resolve", &rule, &url]).run();
    assert_error(&run, &["has no IPv6 address"]);
    assert_eq!(server.hits(), 1);
}

// ---------------------------------------------------------------------------
// --interface
// ---------------------------------------------------------------------------

#[test]
fn interface_address_is_the_local_end() {
    let server = ok_server();
    let run = http(&["--interface", "127.0.0.2", &server.url("/i")]).run();
    assert_ok(&run);
    assert_eq!(peer_ips(&server), [ip("127.0.0.2")]);
}

#[test]
fn interface_name_binds_to_its_address() {
    let server = ok_server();
    let run = http(&["--interface", "lo", &server.url("/lo")]).run();
    assert_ok(&run);
    assert_eq!(peer_ips(&server), [ip("127.0.0.1")]);
}

#[test]
fn interface_name_binds_to_its_address_of_the_destination_family() {
    let Some(v6) = v6_server("interface_name_binds_to_its_address_of_the_destination_family")
    else {
        return;
    };
    let url = format!("http://[::1]:{}/", v6.port);
    let run = http(&["--interface", "lo", &url]).run().success();
    assert_eq!(run.stdout_str(), "v6 from ::1");
    assert_eq!(peer_ips(&v6), [ip("::1")]);
}

#[test]
fn interface_that_does_not_exist_is_named() {
    let server = ok_server();
    let run = http(&["--interface", "nope0", &server.url("/")]).run();
    assert_error(&run, &["there is no network interface named 'nope0'"]);
    assert_eq!(server.hits(), 0);
}

#[test]
fn interface_address_of_the_other_family_is_a_clear_error() {
    let server = ok_server();
    let run = http(&["--interface", "::1", &server.url("/")]).run();
    assert_error(&run, &["--interface ::1", "not an IPv4 address"]);
    assert_eq!(server.hits(), 0);
}

#[test]
fn interface_address_that_is_not_local_cannot_be_bound() {
    let server = ok_server();
    // TEST-NET-3: never an address of this machine.
    let run = http(&["--interface", "203.0.113.7", &server.url("/")]).run();
    assert_error(&run, &["203.0.113.7"]);
    assert_eq!(server.hits(), 0);
}

// ---------------------------------------------------------------------------
// --unix-socket
// ---------------------------------------------------------------------------

#[test]
fn unix_socket_carries_the_request_with_the_url_host() {
    let (_dir, server) = unix_server(|_| Reply::text("ok"));
    let path = server.socket_path().to_string();
    let run = http(&["--unix-socket", &path, ":/v1/x"]).run();
    assert_ok(&run);
    let run = http(&["--unix-socket", &path, "http://docker/v1/x?all=1"]).run();
    assert_ok(&run);
    let got: Vec<(String, String, Option<String>)> = server
        .requests()
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                r.url.clone(),
                r.header("Host").map(str::to_string),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("GET".into(), "/v1/x".into(), Some("localhost".into())),
            ("GET".into(), "/v1/x?all=1".into(), Some("docker".into())),
        ]
    );
    assert_eq!(peer_ips(&server), [None, None], "both over the socket");
}

#[test]
fn unix_socket_meta_shows_the_path() {
    let (_dir, server) = unix_server(|_| Reply::text("ok"));
    let path = server.socket_path().to_string();
    let run = http(&["-m", "--unix-socket", &path, "http://docker/_ping"])
        .run()
        .success();
    assert_eq!(remote_address(&run), format!("unix:{path}"));
    assert_eq!(server.hits(), 1);
}

#[test]
fn unix_socket_with_a_session_replays_its_cookie() {
    let (_dir, server) = unix_server(|r| match r.path() {
        "/login" => Reply::text("ok").header("Set-Cookie", "sid=s3cret; Path=/"),
        _ => Reply::text("ok"),
    });
    let path = server.socket_path().to_string();
    let home = http(&["--unix-socket", &path, "--session", "dock"]);
    assert_ok(&home.clone().arg("http://docker/login").run());
    assert_ok(&home.clone().arg("http://docker/me").run());
    let cookies: Vec<(String, Option<String>)> = server
        .requests()
        .iter()
        .map(|r| (r.url.clone(), r.header("Cookie").map(str::to_string)))
        .collect();
    assert_eq!(
        cookies,
        [
            ("/login".to_string(), None),
            ("/me".to_string(), Some("sid=s3cret".to_string())),
        ]
    );
}

#[test]
fn unix_socket_follows_a_relative_redirect_over_the_socket() {
    let (_dir, server) = unix_server(|r| match r.path() {
        "/start" => Reply::redirect(302, "/end"),
        _ => Reply::text("ok"),
    });
    let path = server.socket_path().to_string();
    let run = http(&["--follow", "--unix-socket", &path, "http://docker/start"]).run();
    assert_ok(&run);
    let got = targets_and_hosts(&server);
    assert_eq!(
        got,
        [
            ("/start".to_string(), Some("docker".to_string())),
            ("/end".to_string(), Some("docker".to_string())),
        ]
    );
}

#[test]
fn unix_socket_download_writes_the_body() {
    let body: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let served = body.clone();
    let (_dir, server) = unix_server(move |_| {
        Reply::ok()
            .header("Content-Type", "application/octet-stream")
            .body(served.clone())
    });
    let path = server.socket_path().to_string();
    let run = http(&[
        "-d",
        "-o",
        "out.bin",
        "--unix-socket",
        &path,
        "http://docker/blob",
    ])
    .run()
    .success();
    let written = std::fs::read(run.home().join("out.bin")).expect("downloaded file");
    assert!(
        written == body,
        "downloaded {} bytes, not the body",
        written.len()
    );
    assert_eq!(server.request().url, "/blob");
}

#[test]
fn unix_socket_streams_a_chunked_body() {
    let (_dir, server) = unix_server(|_| Reply::text("line 1\nline 2\n").chunked());
    let path = server.socket_path().to_string();
    let run = http(&["--stream", "--unix-socket", &path, "http://docker/logs"])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "line 1\nline 2\n");
    assert_eq!(server.request().url, "/logs");
}

#[test]
fn unix_socket_that_does_not_exist_is_an_error() {
    let (dir, path) = socket_path();
    let path = path.to_str().unwrap().to_string();
    let run = http(&["--unix-socket", &path, "http://docker/"]).run();
    assert_error(
        &run,
        &[&format!(
            "cannot connect to the Unix socket {path}: it does not exist"
        )],
    );
    drop(dir);
}

#[test]
fn unix_socket_with_nothing_listening_is_an_error() {
    let (_dir, path) = socket_path();
    // A listener closed leaves its socket file behind: connecting to it is refused.
    drop(std::os::unix::net::UnixListener::bind(&path).expect("bind a socket file"));
    assert!(path.exists());
    let shown = path.to_str().unwrap().to_string();
    let run = http(&["--unix-socket", &shown, "http://docker/"]).run();
    assert_error(
        &run,
        &[&format!(
            "cannot connect to the Unix socket {shown}: nothing is listening on it"
        )],
    );
}

#[test]
fn unix_socket_ignores_proxies() {
    let (_dir, server) = unix_server(|_| Reply::text("ok"));
    let path = server.socket_path().to_string();
    let proxy = ok_server();
    let flag = format!("http:{}", proxy.url(""));
    let run = http(&["--unix-socket", &path, "--proxy", &flag, "http://docker/a"]).run();
    assert_ok(&run);
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY"] {
        let run = http(&["--unix-socket", &path, "http://docker/b"])
            .env(var, &proxy.url(""))
            .run();
        assert_ok(&run);
    }
    assert_eq!(proxy.hits(), 0, "{:#?}", proxy.requests());
    assert_eq!(server.hits(), 4);
}

// ---------------------------------------------------------------------------
// Bad values: one line naming the flag, nothing sent
// ---------------------------------------------------------------------------

#[test]
fn bad_routing_values_are_usage_errors_and_nothing_is_sent() {
    let server = ok_server();
    let url = server.url("/never");
    let cases: &[(&str, &str)] = &[
        ("--resolve", "example.test"),
        ("--resolve", "example.test:80"),
        ("--resolve", "example.test:80:"),
        ("--resolve", "example.test:http:127.0.0.1"),
        ("--resolve", "example.test:70000:127.0.0.1"),
        ("--resolve", "example.test:80:not-an-address"),
        ("--resolve", ":80:127.0.0.1"),
        ("--connect-to", "a.test"),
        ("--connect-to", "a.test:80:b.test"),
        ("--connect-to", "a.test:x:b.test:81"),
        ("--connect-to", "a.test:80:b.test:x"),
        ("--connect-to", "a.test:80:::1:8080"),
        ("--interface", "not an interface"),
        ("--interface", "averyveryverylongname"),
    ];
    for (flag, value) in cases {
        let run = http(&[flag, value, &url]).run();
        assert_error(&run, &[flag, value]);
    }
    assert_eq!(server.hits(), 0);
}

// ---------------------------------------------------------------------------
// Connect timeout through a routing flag
// ---------------------------------------------------------------------------

/// Runs `http --timeout 1,30 ROUTE... URL` to an endpoint that never answers a SYN: exit 2
/// with a connect timeout after about one second.
#[track_caller]
fn assert_connect_timeout(route: &[&str], url: &str) {
    let started = Instant::now();
    let run = http(&["--timeout", "1,30"])
        .args(route)
        .arg(url)
        .run()
        .assert_code(2);
    let took = started.elapsed();
    let err = run.stderr_str();
    assert_eq!(err.lines().count(), 1, "{run:?}");
    assert!(err.contains("connect timeout 1s"), "{run:?}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(10),
        "took {took:?}\n{run:?}"
    );
}

#[test]
fn connect_timeout_applies_through_connect_to() {
    let hole = Blackhole::start();
    let rule = format!("::127.0.0.1:{}", hole.port);
    assert_connect_timeout(&["--connect-to", &rule], "http://slow.test/");
}

#[test]
fn connect_timeout_applies_through_resolve() {
    let hole = Blackhole::start();
    let rule = format!("slow.test:{}:127.0.0.1", hole.port);
    let url = format!("http://slow.test:{}/", hole.port);
    assert_connect_timeout(&["--resolve", &rule], &url);
}

/// Routing mistakes will not change on a retry: no retry is announced, and the error is the
/// one line it would be without `--retries`. A missing Unix socket may yet appear: retried.
#[test]
fn routing_mistakes_are_not_retried() {
    let server = ok_server();
    let retry = ["--retries", "2", "--retry-backoff", "0"];
    for bad in [
        &["--interface", "nope0"][..],
        &["--interface", "::1"][..],
        &["-6", "--resolve", "x.test:1:127.0.0.1"][..],
    ] {
        let run = http(&retry).args(bad).arg(server.url("/")).run();
        assert_eq!(run.code, 1, "{}", run.context());
        assert!(!run.stderr_str().contains("retrying"), "{}", run.context());
        assert_eq!(run.stderr_str().lines().count(), 1, "{}", run.context());
    }
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.sock");
    let run = http(&retry)
        .args(&["--unix-socket", missing.to_str().unwrap(), "http://x.test/"])
        .run();
    assert_eq!(run.code, 1, "{}", run.context());
    assert_eq!(
        run.stderr_str().matches("retrying (").count(),
        2,
        "{}",
        run.context()
    );
}

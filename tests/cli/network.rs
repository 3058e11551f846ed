//! Network features: authentication (basic, bearer, URL credentials, the
//! password prompt, digest), `.netrc`, proxies (HTTP in absolute form and
//! SOCKS5, by flag and by environment) and redirects (limits, Location
//! resolution, credentials across origins, `--check-status`).
//!
//! The proxies are the harness's forwarding (Squid-like: absolute-form
//! requests forwarded, CONNECT only to port 443), CONNECT and SOCKS5
//! proxies: threads on 127.0.0.1:0 that record what the client asked for
//! and then pass it to the real (test) origin. Everything is bound before
//! use; nothing leaves the machine.

use std::net::Ipv4Addr;
use std::sync::Mutex;

use md5::Md5;
use sha2::{Digest, Sha256};

use crate::harness::{
    basic_auth, dead_port, head_header, http, ok_server, Cmd, ConnectProxy, Dest, ForwardProxy,
    Recorded, Reply, Run, Server, Socks5Proxy, SocksRecord,
};

// ---------------------------------------------------------------------------
// Digest-auth server that verifies the client's answer
// ---------------------------------------------------------------------------

const REALM: &str = "net-test@127.0.0.1";
const OPAQUE: &str = "0p4que-v4lue";
const DUSER: &str = "Mufasa";
const DPASS: &str = "Circle Of Life";

#[derive(Clone, Copy)]
struct DigestOpts {
    /// As written in the challenge: `MD5`, `MD5-sess`, `SHA-256`.
    algorithm: &'static str,
    /// Answer the first correct attempt with `401 stale=true` and a new nonce.
    stale_once: bool,
    /// Reject (400) any request whose body is not exactly this.
    body: Option<&'static str>,
}

impl DigestOpts {
    fn alg(algorithm: &'static str) -> DigestOpts {
        DigestOpts {
            algorithm,
            stale_once: false,
            body: None,
        }
    }
}

fn hex_hash(algorithm: &str, data: &str) -> String {
    let bytes: Vec<u8> = if algorithm.to_ascii_uppercase().starts_with("SHA-256") {
        Sha256::digest(data.as_bytes()).to_vec()
    } else {
        Md5::digest(data.as_bytes()).to_vec()
    };
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `k=v, k="v"` parameters of an `Authorization: Digest ...` value.
fn digest_params(value: &str) -> Option<Vec<(String, String)>> {
    let mut rest = value.strip_prefix("Digest ")?.trim();
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (val, after) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (&q[..end], &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        out.push((key.trim().to_ascii_lowercase(), val.to_string()));
        rest = after.trim_start().trim_start_matches(',').trim_start();
    }
    Some(out)
}

/// Checks an `Authorization: Digest` answer exactly as a server would.
fn verify_digest(r: &Recorded, nonce: &str, algorithm: &str) -> Result<(), String> {
    let value = r.header("Authorization").ok_or("no Authorization")?;
    let params = digest_params(value).ok_or_else(|| format!("not a Digest answer: {value}"))?;
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| format!("missing {k} in {value}"))
    };
    let expect = |k: &str, want: &str| -> Result<(), String> {
        let got = get(k)?;
        if got == want {
            Ok(())
        } else {
            Err(format!("{k}: expected {want:?}, got {got:?}"))
        }
    };
    expect("username", DUSER)?;
    expect("realm", REALM)?;
    expect("nonce", nonce)?;
    expect("uri", &r.url)?;
    expect("qop", "auth")?;
    expect("opaque", OPAQUE)?;
    let alg = get("algorithm")?;
    if !alg.eq_ignore_ascii_case(algorithm) {
        return Err(format!("algorithm: expected {algorithm}, got {alg}"));
    }
    let (nc, cnonce) = (get("nc")?, get("cnonce")?);
    if nc.len() != 8 || !nc.bytes().all(|b| b.is_ascii_hexdigit()) || cnonce.is_empty() {
        return Err(format!("bad nc/cnonce in {value}"));
    }
    let mut ha1 = hex_hash(algorithm, &format!("{DUSER}:{REALM}:{DPASS}"));
    if algorithm.to_ascii_lowercase().ends_with("-sess") {
        ha1 = hex_hash(algorithm, &format!("{ha1}:{nonce}:{cnonce}"));
    }
    let ha2 = hex_hash(algorithm, &format!("{}:{}", r.method, r.url));
    let want = hex_hash(
        algorithm,
        &format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"),
    );
    expect("response", &want)
}

fn challenge(algorithm: &str, nonce: &str, stale: bool) -> Reply {
    let mut value = format!(
        "Digest realm=\"{REALM}\", nonce=\"{nonce}\", qop=\"auth\", algorithm={algorithm}, opaque=\"{OPAQUE}\""
    );
    if stale {
        value.push_str(", stale=true");
    }
    Reply::status(401)
        .header("WWW-Authenticate", &value)
        .header("Content-Type", "text/plain")
        .body("unauthorized")
}

/// Answers 200 `digest ok` only to a correct digest answer for the current
/// nonce; anything else gets a fresh challenge (with the reason in
/// `X-Digest-Error` when an answer was wrong).
fn digest_server(opts: DigestOpts) -> Server {
    let nonce = Mutex::new((format!("n0nce-0-{}", opts.algorithm), false));
    Server::start(move |r| {
        if let Some(want) = opts.body {
            if r.body_str() != want {
                return Reply::status(400).body(format!("body not replayed: {:?}", r.body_str()));
            }
        }
        let mut state = nonce.lock().unwrap_or_else(|e| e.into_inner());
        let (current, stale_sent) = &mut *state;
        if r.header("Authorization").is_none() {
            return challenge(opts.algorithm, current, false);
        }
        match verify_digest(r, current, opts.algorithm) {
            Ok(()) if opts.stale_once && !*stale_sent => {
                *stale_sent = true;
                *current = format!("n0nce-1-{}", opts.algorithm);
                challenge(opts.algorithm, current, true)
            }
            Ok(()) => Reply::text("digest ok"),
            Err(why) => challenge(opts.algorithm, current, false).header("X-Digest-Error", &why),
        }
    })
}

fn digest_url(server: &Server) -> String {
    server.url("/dir/index.html?x=1")
}

/// `http BEFORE... -A digest -a Mufasa:PASS AFTER...` with the right
/// password.
fn digest_cmd(before: &[&str], after: &[&str]) -> Cmd {
    let credentials = format!("{DUSER}:{DPASS}");
    http(before)
        .args(&["-A", "digest", "-a", &credentials])
        .args(after)
}

/// Runs `-A digest -a Mufasa:PASS` against a digest server and checks the
/// two-step exchange.
fn check_digest(algorithm: &'static str) {
    let server = digest_server(DigestOpts::alg(algorithm));
    let run = digest_cmd(&[], &[&digest_url(&server)]).run().success();
    assert_eq!(run.stdout_str(), "digest ok", "{run:?}");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "{reqs:#?}");
    assert_eq!(
        reqs[0].header("Authorization"),
        None,
        "first request carries no credentials"
    );
    let answer = reqs[1].header("Authorization").unwrap_or_default();
    assert!(answer.starts_with("Digest "), "{answer}");
    assert_eq!(reqs[1].url, "/dir/index.html?x=1");
}

// ---------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------

#[test]
fn basic_auth_sends_exact_header() {
    let server = ok_server();
    http(&["-a", "user:pass", &server.url("/b")])
        .run()
        .success();
    assert_eq!(
        server.request().header_all("Authorization"),
        ["Basic dXNlcjpwYXNz"]
    );
}

#[test]
fn basic_auth_with_empty_password_does_not_prompt() {
    let server = ok_server();
    http(&["-a", "user:", &server.url("/b")]).run().success();
    assert_eq!(
        server.request().header("Authorization"),
        Some("Basic dXNlcjo=")
    );
}

#[test]
fn url_credentials_become_basic_auth() {
    let server = ok_server();
    let url = format!("http://u:p@127.0.0.1:{}/c", server.port);
    http(&[&url]).run().success();
    let got = server.request();
    assert_eq!(got.header("Authorization"), Some("Basic dTpw"));
    assert_eq!(got.header("Host"), Some(server.addr().as_str()));
    assert_eq!(got.url, "/c");
}

#[test]
fn bearer_token() {
    let server = ok_server();
    http(&["-A", "bearer", "-a", "T0K-3n.x", &server.url("/t")])
        .run()
        .success();
    assert_eq!(
        server.request().header_all("Authorization"),
        ["Bearer T0K-3n.x"]
    );
}

#[test]
fn auth_without_password_prompts_on_terminal_without_echo() {
    let server = ok_server();
    let mut session = http(&["-a", "alice", &server.url("/p")]).spawn_pty();
    session.wait_output("http: password for alice: ");
    session.wait_echo_off();
    session.write(b"pr0mpt-s3cret\n");
    let run = session.wait().success();
    assert_eq!(
        server.request().header("Authorization"),
        Some(basic_auth("alice:pr0mpt-s3cret").as_str())
    );
    assert!(
        !run.text().contains("pr0mpt-s3cret"),
        "password echoed\n{run:?}"
    );
    assert!(run.text().contains("ok"), "{run:?}");
}

#[test]
fn auth_without_password_and_without_terminal_fails_clearly() {
    let server = ok_server();
    let run = http(&["-a", "alice", &server.url("/p")])
        .run()
        .assert_code(1);
    let err = run.stderr_str();
    assert!(err.starts_with("http: error: "), "{run:?}");
    assert!(
        err.contains("password") && err.contains("terminal"),
        "{run:?}"
    );
    assert!(err.contains("--auth"), "{run:?}");
    assert_eq!(server.hits(), 0);
}

#[test]
fn auth_without_password_with_ignore_stdin_fails_naming_the_flag() {
    let server = ok_server();
    let run = http(&["-a", "alice", "--ignore-stdin", &server.url("/p")])
        .run()
        .assert_code(1);
    let err = run.stderr_str();
    assert!(err.starts_with("http: error: "), "{run:?}");
    assert!(err.contains("--ignore-stdin"), "{run:?}");
    assert_eq!(server.hits(), 0);
}

// ---------------------------------------------------------------------------
// Digest
// ---------------------------------------------------------------------------

/// A digest challenge from another host, reached by a redirect, is not answered: the
/// credentials were given for the first URL's origin only.
#[test]
fn digest_challenge_from_another_host_is_not_answered() {
    let other = digest_server(DigestOpts::alg("MD5"));
    let away = format!("http://localhost:{}/dir/index.html?x=1", other.port);
    let origin = Server::start(move |_| Reply::redirect(302, &away));
    let run = digest_cmd(&["--follow"], &[&origin.url("/")])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "unauthorized", "{run:?}");
    let reqs = other.requests();
    assert_eq!(reqs.len(), 1, "{reqs:#?}");
    assert_eq!(reqs[0].header("Authorization"), None, "{reqs:#?}");
}

#[test]
fn digest_md5() {
    check_digest("MD5");
}

#[test]
fn digest_md5_sess() {
    check_digest("MD5-sess");
}

#[test]
fn digest_sha256() {
    check_digest("SHA-256");
}

#[test]
fn digest_all_shows_both_exchanges() {
    let server = digest_server(DigestOpts::alg("MD5"));
    let run = digest_cmd(&["--all", "-h"], &[&digest_url(&server)])
        .run()
        .success();
    let out = run.stdout_str();
    let first = out.find("HTTP/1.1 401 Unauthorized").expect("401 shown");
    let second = out.find("HTTP/1.1 200 OK").expect("200 shown");
    assert!(first < second, "{run:?}");
    assert!(out.contains("WWW-Authenticate: Digest"), "{run:?}");
    assert_eq!(server.hits(), 2);
}

#[test]
fn digest_verbose_shows_both_requests() {
    let server = digest_server(DigestOpts::alg("SHA-256"));
    let run = digest_cmd(&["-v"], &[&digest_url(&server)]).run().success();
    let out = run.stdout_str();
    assert_eq!(
        out.matches("GET /dir/index.html?x=1 HTTP/1.1").count(),
        2,
        "{run:?}"
    );
    let auth = out
        .find("Authorization: Digest username=\"Mufasa\"")
        .expect("answer shown");
    let r401 = out.find("HTTP/1.1 401 Unauthorized").expect("401 shown");
    let r200 = out.find("HTTP/1.1 200 OK").expect("200 shown");
    assert!(r401 < auth && auth < r200, "{run:?}");
    assert!(
        out.ends_with("digest ok") || out.contains("digest ok\n"),
        "{run:?}"
    );
}

#[test]
fn digest_replays_post_body() {
    let body = r#"{"name": "widget", "n": 3}"#;
    let server = digest_server(DigestOpts {
        body: Some(body),
        ..DigestOpts::alg("MD5")
    });
    let run = digest_cmd(&[], &["POST", &digest_url(&server), "name=widget", "n:=3"])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "digest ok", "{run:?}");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "{reqs:#?}");
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.body_str(), body);
        assert_eq!(
            r.header("Content-Length"),
            Some(body.len().to_string().as_str())
        );
    }
}

#[test]
fn digest_stale_nonce_is_retried_with_the_new_nonce() {
    let server = digest_server(DigestOpts {
        stale_once: true,
        ..DigestOpts::alg("MD5")
    });
    let run = digest_cmd(&[], &[&digest_url(&server)]).run().success();
    assert_eq!(run.stdout_str(), "digest ok", "{run:?}");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "{reqs:#?}");
    assert!(reqs[1]
        .header("Authorization")
        .unwrap()
        .contains("nonce=\"n0nce-0-MD5\""));
    assert!(reqs[2]
        .header("Authorization")
        .unwrap()
        .contains("nonce=\"n0nce-1-MD5\""));
}

#[test]
fn digest_wrong_password_ends_with_the_401() {
    let server = digest_server(DigestOpts::alg("MD5"));
    let args = |check: bool| {
        let mut v = vec!["-h", "-A", "digest", "-a", "Mufasa:wrong"];
        if check {
            v.push("--check-status");
        }
        v
    };
    let url = digest_url(&server);
    let run = http(&args(false)).arg(&url).run().success();
    assert!(
        run.stdout_str()
            .starts_with("HTTP/1.1 401 Unauthorized\r\n"),
        "{run:?}"
    );
    assert_eq!(server.hits(), 2, "one challenge answered, no loop");

    let run = http(&args(true)).arg(&url).run().assert_code(4);
    assert!(
        run.stderr_str()
            .contains("http: warning: HTTP 401 Unauthorized"),
        "{run:?}"
    );
    assert_eq!(server.hits(), 4);
}

// ---------------------------------------------------------------------------
// .netrc
// ---------------------------------------------------------------------------

const NETRC: &str = "machine 127.0.0.1 login alice password a1ice-pw\n\
                     machine localhost\n  login bob\n  password \"b0b pw\"\n";

/// `cmd` with `contents` in `HOME/netrc-custom` and `NETRC` pointing at it.
fn with_netrc_env(cmd: Cmd, contents: &str) -> Cmd {
    let cmd = cmd.home_file("netrc-custom", contents);
    let path = cmd.home().join("netrc-custom");
    cmd.env("NETRC", path.to_str().expect("utf-8 temp path"))
}

#[test]
fn netrc_env_credentials_by_host() {
    let server = ok_server();
    with_netrc_env(http(&[&server.url("/n")]), NETRC)
        .run()
        .success();
    let local = format!("http://localhost:{}/n", server.port);
    with_netrc_env(http(&[&local]), NETRC).run().success();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[0].header("Authorization"),
        Some(basic_auth("alice:a1ice-pw").as_str())
    );
    assert_eq!(
        reqs[1].header("Authorization"),
        Some(basic_auth("bob:b0b pw").as_str())
    );
}

/// `--as=curl` and `--as=python` never print a password the user did not type: a
/// placeholder stands in, with a note saying it comes from .netrc.
#[test]
fn exports_hide_netrc_passwords() {
    let server = ok_server();
    let secret_b64 = basic_auth("alice:a1ice-pw");
    let secret_b64 = secret_b64.trim_start_matches("Basic ");
    for (format, placeholder) in [
        ("--as=curl", "--user alice:PASSWORD"),
        ("--as=python", "auth=(\"alice\", \"PASSWORD\")"),
    ] {
        let run = with_netrc_env(http(&[format, &server.url("/n")]), NETRC)
            .run()
            .success();
        let out = run.stdout_str();
        assert!(
            !out.contains("a1ice-pw") && !out.contains(secret_b64),
            "{out}"
        );
        assert!(out.contains(placeholder), "{out}");
        assert!(
            out.contains("PASSWORD: the password of 'alice' from .netrc (not shown)"),
            "{out}"
        );
    }
    // What the user typed is theirs to see.
    let run = http(&["--as=curl", "-a", "alice:typed-pw", &server.url("/n")])
        .run()
        .success();
    assert!(
        run.stdout_str().contains(&basic_auth("alice:typed-pw")),
        "{run:?}"
    );
    assert_eq!(server.hits(), 0);
}

#[test]
fn netrc_in_home() {
    let server = ok_server();
    http(&[&format!("http://localhost:{}/h", server.port)])
        .home_file(".netrc", NETRC)
        .run()
        .success();
    assert_eq!(
        server.request().header("Authorization"),
        Some(basic_auth("bob:b0b pw").as_str())
    );
}

#[test]
fn netrc_for_another_host_sends_nothing() {
    let server = ok_server();
    http(&[&server.url("/n")])
        .home_file(".netrc", "machine other.test login x password y\n")
        .run()
        .success();
    assert_eq!(server.request().header("Authorization"), None);
}

#[test]
fn ignore_netrc_sends_no_credentials() {
    let server = ok_server();
    with_netrc_env(http(&["--ignore-netrc", &server.url("/n")]), NETRC)
        .run()
        .success();
    assert_eq!(server.request().header("Authorization"), None);
}

#[test]
fn explicit_auth_and_url_credentials_win_over_netrc() {
    let server = ok_server();
    with_netrc_env(http(&["-a", "carol:c", &server.url("/n")]), NETRC)
        .run()
        .success();
    let url = format!("http://dave:d@127.0.0.1:{}/n", server.port);
    with_netrc_env(http(&[&url]), NETRC).run().success();
    let reqs = server.requests();
    assert_eq!(reqs[0].header_all("Authorization"), [basic_auth("carol:c")]);
    assert_eq!(reqs[1].header_all("Authorization"), [basic_auth("dave:d")]);
}

#[test]
fn malformed_netrc_warns_with_line_and_request_still_runs() {
    let server = ok_server();
    let cmd = with_netrc_env(
        http(&[&server.url("/n")]),
        "login stray\nmachine 127.0.0.1 login alice password a1ice-pw\n",
    );
    let path = cmd.home().join("netrc-custom");
    let run = cmd.run().success();
    assert_eq!(
        run.stderr_str(),
        format!(
            "http: warning: {}: line 1: 'login' before any 'machine'\n",
            path.display()
        ),
        "{run:?}"
    );
    assert_eq!(
        server.request().header("Authorization"),
        Some(basic_auth("alice:a1ice-pw").as_str())
    );
}

// ---------------------------------------------------------------------------
// Proxies
// ---------------------------------------------------------------------------

/// Asserts `proxy` received exactly one request, `GET` of `origin`'s
/// `path` in absolute form, and returns its head.
#[track_caller]
fn single_forward(proxy: &ForwardProxy, origin: &Server, path: &str) -> String {
    assert_eq!(
        proxy.request_lines(),
        [format!("GET {} HTTP/1.1", origin.url(path))]
    );
    proxy.heads().remove(0)
}

#[test]
fn proxy_flag_sends_http_url_in_absolute_form() {
    let origin = ok_server();
    let proxy = ForwardProxy::start();
    let flag = format!("http:{}", proxy.url());
    let run = http(&["--proxy", &flag, &origin.url("/via?q=1")])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "ok");
    let head = single_forward(&proxy, &origin, "/via?q=1");
    assert_eq!(head_header(&head, "Proxy-Authorization"), None);
    assert_eq!(head_header(&head, "Host"), Some(origin.addr()));
    let got = origin.request();
    assert_eq!(got.url, "/via?q=1", "the proxy forwards in origin-form");
    assert_eq!(got.header("Host"), Some(origin.addr().as_str()));
    assert_eq!(got.header("Proxy-Authorization"), None);
}

#[test]
fn proxy_credentials_go_to_the_proxy_only() {
    let origin = ok_server();
    let proxy = ForwardProxy::with_auth("puser:ppass");
    let flag = format!("http:{}", proxy.url_with("puser:ppass"));
    http(&["--proxy", &flag, &origin.url("/x")]).run().success();
    let head = single_forward(&proxy, &origin, "/x");
    assert_eq!(
        head_header(&head, "Proxy-Authorization").as_deref(),
        Some("Basic cHVzZXI6cHBhc3M=")
    );
    assert_eq!(head_header(&head, "Authorization"), None);
    let got = origin.request();
    assert_eq!(got.header("Proxy-Authorization"), None, "{got:?}");
    assert_eq!(got.header("Authorization"), None, "{got:?}");
}

/// A TLS origin for the `https://` half of the 407 cases (reached, if at
/// all, through a CONNECT tunnel).
fn tls_origin() -> (crate::harness::Pki, crate::harness::TlsServer) {
    let pki = crate::harness::Pki::new();
    let origin = pki.server();
    (pki, origin)
}

/// A 407 without credentials, in absolute form (`http://`) and on CONNECT
/// (`https://`): one message naming the proxy and saying how to give them.
#[test]
fn proxy_407_is_an_error() {
    let origin = ok_server();
    let proxy = ForwardProxy::with_auth("puser:ppass");
    let flag = format!("all:{}", proxy.url());
    let run = http(&["--proxy", &flag, &origin.url("/x")])
        .run()
        .assert_code(1);
    let (pki, tls) = tls_origin();
    let tunnel = ConnectProxy::with_auth("puser:ppass");
    let tunnel_flag = format!("all:{}", tunnel.url());
    let run_tls = http(&[&pki.verify(), "--proxy", &tunnel_flag, &tls.url("/x")])
        .run()
        .assert_code(1);
    for (run, proxy_url) in [(&run, proxy.url()), (&run_tls, tunnel.url())] {
        assert_eq!(
            run.stderr_str(),
            format!(
                "http: error: proxy {proxy_url} requires authentication (407): give \
                 credentials as --proxy http:http://user:pass@host:port\n"
            ),
            "{run:?}"
        );
        assert!(run.stdout.is_empty(), "{run:?}");
    }
    assert_eq!(proxy.request_lines().len(), 1);
    assert_eq!(tunnel.request_lines().len(), 1);
    assert_eq!(origin.hits(), 0);
    assert!(tls.heads().is_empty());
}

/// Credentials were given but refused: the message says so, rather than asking for some.
#[test]
fn proxy_407_with_wrong_credentials_says_they_were_refused() {
    let origin = ok_server();
    let proxy = ForwardProxy::with_auth("puser:ppass");
    let (pki, tls) = tls_origin();
    let tunnel = ConnectProxy::with_auth("puser:ppass");
    // The last without a scheme: `http://` is assumed, and the message shows it.
    let runs = [
        (proxy.url_with("puser:wrong"), origin.url("/x")),
        (tunnel.url_with("puser:wrong"), tls.url("/x")),
        (
            format!("puser:wrong@127.0.0.1:{}", proxy.port),
            origin.url("/x"),
        ),
    ]
    .map(|(proxy_url, url)| {
        let flag = format!("all:{proxy_url}");
        http(&[&pki.verify(), "--proxy", &flag, &url])
            .run()
            .assert_code(1)
    });
    for (run, port) in runs.iter().zip([proxy.port, tunnel.port, proxy.port]) {
        let err = run.stderr_str();
        assert_eq!(err.lines().count(), 1, "{run:?}");
        assert!(
            err.contains(&format!(
                "proxy http://127.0.0.1:{port} rejected the credentials"
            )) && err.contains("407"),
            "{run:?}"
        );
        assert!(
            !err.contains("give credentials") && !err.contains("wrong"),
            "{run:?}"
        );
    }
    assert_eq!(origin.hits(), 0);
    assert!(tls.heads().is_empty());
}

/// Runs `GET ORIGIN/e` with the URL of a forwarding proxy in environment
/// variable `var`; asserts the origin got exactly that one request and
/// returns the proxy and the origin.
#[track_caller]
fn run_with_env_proxy(var: &str) -> (ForwardProxy, Server) {
    let origin = ok_server();
    let proxy = ForwardProxy::start();
    http(&[&origin.url("/e")])
        .env(var, &proxy.url())
        .run()
        .success();
    assert_eq!(origin.request().url, "/e");
    (proxy, origin)
}

#[test]
fn http_proxy_env_upper_case() {
    let (proxy, origin) = run_with_env_proxy("HTTP_PROXY");
    single_forward(&proxy, &origin, "/e");
}

#[test]
fn http_proxy_env_lower_case() {
    let (proxy, origin) = run_with_env_proxy("http_proxy");
    single_forward(&proxy, &origin, "/e");
}

#[test]
fn all_proxy_env() {
    let (proxy, origin) = run_with_env_proxy("ALL_PROXY");
    single_forward(&proxy, &origin, "/e");
}

#[test]
fn https_proxy_env_is_not_used_for_http_urls() {
    let (proxy, _origin) = run_with_env_proxy("HTTPS_PROXY");
    assert_eq!(proxy.connections(), 0);
}

#[test]
fn no_proxy_bypasses_the_env_proxy() {
    let origin = ok_server();
    let proxy = ForwardProxy::start();
    http(&[&origin.url("/direct")])
        .env("HTTP_PROXY", &proxy.url())
        .env("NO_PROXY", "127.0.0.1")
        .run()
        .success();
    assert_eq!(proxy.connections(), 0, "{:?}", proxy.heads());
    assert_eq!(origin.request().url, "/direct");
}

#[test]
fn proxy_flag_wins_over_env() {
    let origin = ok_server();
    let env_proxy = ForwardProxy::start();
    let flag_proxy = ForwardProxy::start();
    let flag = format!("http:{}", flag_proxy.url());
    http(&["--proxy", &flag, &origin.url("/f")])
        .env("HTTP_PROXY", &env_proxy.url())
        .env("ALL_PROXY", &env_proxy.url())
        .run()
        .success();
    single_forward(&flag_proxy, &origin, "/f");
    assert_eq!(env_proxy.connections(), 0);
}

#[test]
fn proxy_flag_for_another_scheme_is_not_used() {
    let origin = ok_server();
    let proxy = ConnectProxy::start();
    let flag = format!("https:{}", proxy.url());
    http(&["--proxy", &flag, &origin.url("/f")]).run().success();
    assert_eq!(proxy.connections(), 0);
    assert_eq!(origin.hits(), 1);
}

#[test]
fn socks5_proxy_gets_the_ip_destination() {
    let origin = ok_server();
    let socks = Socks5Proxy::start();
    let flag = format!("http:{}", socks.url("socks5"));
    let run = http(&["--proxy", &flag, &origin.url("/s")]).run().success();
    assert_eq!(run.stdout_str(), "ok");
    assert_eq!(
        socks.records(),
        [SocksRecord {
            methods: vec![0],
            credentials: None,
            dest: Some(Dest::V4(Ipv4Addr::LOCALHOST, origin.port)),
        }]
    );
    assert_eq!(origin.request().url, "/s");
}

#[test]
fn socks5h_proxy_gets_the_host_name() {
    let origin = ok_server();
    let socks = Socks5Proxy::start();
    let flag = format!("http:{}", socks.url("socks5h"));
    let url = format!("http://localhost:{}/s", origin.port);
    http(&["--proxy", &flag, &url]).run().success();
    let records = socks.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        records[0].dest,
        Some(Dest::Domain("localhost".into(), origin.port))
    );
    let got = origin.request();
    assert_eq!(
        got.header("Host"),
        Some(format!("localhost:{}", origin.port).as_str())
    );
}

#[test]
fn socks5_with_username_and_password() {
    let origin = ok_server();
    let socks = Socks5Proxy::with_auth("sockuser", "sockpass");
    let flag = format!("http:socks5://sockuser:sockpass@127.0.0.1:{}", socks.port);
    http(&["--proxy", &flag, &origin.url("/s")]).run().success();
    let records = socks.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(records[0].methods.contains(&2), "{records:?}");
    assert_eq!(
        records[0].credentials,
        Some(("sockuser".into(), "sockpass".into()))
    );
    assert_eq!(
        records[0].dest,
        Some(Dest::V4(Ipv4Addr::LOCALHOST, origin.port))
    );
    assert_eq!(origin.hits(), 1);
}

#[test]
fn socks5_wrong_password_is_an_error() {
    let origin = ok_server();
    let socks = Socks5Proxy::with_auth("sockuser", "sockpass");
    let flag = format!("http:socks5://sockuser:nope@127.0.0.1:{}", socks.port);
    let run = http(&["--proxy", &flag, &origin.url("/s")])
        .run()
        .assert_code(1);
    assert!(run.stderr_str().starts_with("http: error: "), "{run:?}");
    assert_eq!(socks.records()[0].dest, None);
    assert_eq!(origin.hits(), 0);
}

#[test]
fn invalid_proxy_flag_is_a_usage_error_without_connecting() {
    let origin = ok_server();
    for bad in [
        "nonsense",
        "http:gopher://127.0.0.1:1",
        "ftp:http://127.0.0.1:1",
    ] {
        let run = http(&["--proxy", bad, &origin.url("/x")])
            .run()
            .assert_code(1);
        let err = run.stderr_str();
        assert!(
            err.starts_with(&format!("http: error: invalid --proxy '{bad}'")),
            "{run:?}"
        );
    }
    assert_eq!(origin.hits(), 0);
}

#[test]
fn invalid_proxy_env_is_an_error_without_connecting() {
    let origin = ok_server();
    let run = http(&[&origin.url("/x")])
        .env("HTTP_PROXY", "gopher://127.0.0.1:1")
        .run()
        .assert_code(1);
    assert!(
        run.stderr_str()
            .starts_with("http: error: invalid proxy 'gopher://127.0.0.1:1'"),
        "{run:?}"
    );
    assert_eq!(origin.hits(), 0);
}

#[test]
fn unreachable_proxy_is_reported_as_the_proxy() {
    let origin = ok_server();
    let port = dead_port();
    for proxy in [
        format!("http:http://127.0.0.1:{port}"),
        format!("http:socks5://127.0.0.1:{port}"),
    ] {
        let run = http(&["--proxy", &proxy, &origin.url("/x")])
            .run()
            .assert_code(1);
        let err = run.stderr_str();
        assert!(err.starts_with("http: error: "), "{run:?}");
        // The origin is up and was never contacted: the message must point
        // at the proxy, not blame the origin.
        assert!(
            err.contains("proxy") || err.contains(&format!("127.0.0.1:{port}")),
            "{run:?}"
        );
    }
    assert_eq!(origin.hits(), 0);
}

/// Runs `http -h --proxy http:PROXY ORIGIN/h` against an origin answering
/// 201 with `X-Origin: yes`; asserts the origin's head is what is shown and
/// returns the origin and the run.
#[track_caller]
fn origin_head_through(proxy: &str) -> (Server, Run) {
    let origin = Server::start(|_| Reply::status(201).header("X-Origin", "yes").body("made"));
    let flag = format!("http:{proxy}");
    let run = http(&["-h", "--proxy", &flag, &origin.url("/h")])
        .run()
        .success();
    let out = run.stdout_str();
    assert!(out.starts_with("HTTP/1.1 201 Created\r\n"), "{run:?}");
    assert!(out.contains("X-Origin: yes\r\n"), "{run:?}");
    (origin, run)
}

#[test]
fn response_through_forwarding_proxy_shows_the_origin_head() {
    let proxy = ForwardProxy::start();
    let (origin, run) = origin_head_through(&proxy.url());
    single_forward(&proxy, &origin, "/h");
    // The head as the origin sent it, relayed byte for byte.
    assert!(run.stdout_str().contains("X-Origin: yes\r\n"), "{run:?}");
}

#[test]
fn response_through_socks_proxy_shows_the_origin_head() {
    let socks = Socks5Proxy::start();
    origin_head_through(&socks.url("socks5h"));
    assert_eq!(socks.connections(), 1);
}

#[test]
fn digest_through_forwarding_proxy() {
    let origin = digest_server(DigestOpts::alg("MD5"));
    let proxy = ForwardProxy::start();
    let flag = format!("http:{}", proxy.url());
    let run = digest_cmd(&["--proxy", &flag], &[&digest_url(&origin)])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "digest ok", "{run:?}");
    assert_eq!(origin.hits(), 2);
    // The challenge and the answer, both in absolute form.
    let url = digest_url(&origin);
    assert_eq!(
        proxy.request_lines(),
        [format!("GET {url} HTTP/1.1"), format!("GET {url} HTTP/1.1")]
    );
    assert!(
        head_header(&proxy.heads()[1], "Authorization").is_some_and(|a| a.starts_with("Digest "))
    );
}

// ---------------------------------------------------------------------------
// Redirects
// ---------------------------------------------------------------------------

/// `/r/N` redirects to `/r/N-1`; `/r/0` answers `done`.
fn chain_server() -> Server {
    Server::start(|r| {
        let n: u32 = r
            .path()
            .strip_prefix("/r/")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if n == 0 {
            Reply::text("done")
        } else {
            Reply::redirect(302, &format!("/r/{}", n - 1))
        }
    })
}

#[test]
fn follow_allows_thirty_redirects_by_default() {
    let server = chain_server();
    let run = http(&["--follow", &server.url("/r/30")]).run().success();
    assert_eq!(run.stdout_str(), "done");
    assert_eq!(server.hits(), 31);
}

#[test]
fn follow_fails_on_the_thirty_first_redirect() {
    let server = chain_server();
    let run = http(&["--follow", &server.url("/r/31")])
        .run()
        .assert_code(6);
    assert!(
        run.stderr_str()
            .contains("Too many redirects (--max-redirects=30)"),
        "{run:?}"
    );
    assert_eq!(server.hits(), 31);
}

#[test]
fn location_relative_scheme_relative_and_absolute_are_resolved() {
    let server = Server::start(|r| {
        let host = r.header("Host").unwrap_or_default().to_string();
        match r.path() {
            "/a/b/c" => Reply::redirect(302, "../x?k=v"),
            "/a/x" => Reply::redirect(301, &format!("//{host}/y")),
            "/y" => Reply::redirect(307, &format!("http://{host}/z")),
            "/z" => Reply::text("landed"),
            _ => Reply::status(404),
        }
    });
    let run = http(&["--follow", &server.url("/a/b/c")]).run().success();
    assert_eq!(run.stdout_str(), "landed");
    let urls: Vec<String> = server.requests().into_iter().map(|r| r.url).collect();
    assert_eq!(urls, ["/a/b/c", "/a/x?k=v", "/y", "/z"]);
}

#[test]
fn redirect_without_location_is_reported() {
    let server = Server::start(|_| Reply::status(302).body("nowhere"));
    let run = http(&["--follow", &server.url("/nl")]).run().assert_code(1);
    let err = run.stderr_str();
    assert!(err.starts_with("http: error: "), "{run:?}");
    assert!(err.contains("Location"), "{run:?}");
    assert_eq!(server.hits(), 1);
}

const SECRET_HEADERS: [&str; 3] = ["Authorization", "Cookie", "Proxy-Authorization"];

/// Runs `--follow -a user:pass Cookie:a=1 Proxy-Authorization:...` against
/// `start` and returns nothing; the servers hold the evidence.
fn follow_with_secrets(start: &str) {
    http(&[
        "--follow",
        "-a",
        "user:pass",
        start,
        "Cookie:a=1",
        "Proxy-Authorization:Basic cHJveHk6c2VjcmV0",
    ])
    .run()
    .success();
}

#[test]
fn cross_host_redirect_drops_credentials() {
    let b = Server::start(|_| Reply::text("b"));
    let target = format!("http://localhost:{}/landing", b.port);
    let a = Server::start(move |_| Reply::redirect(302, &target));
    follow_with_secrets(&a.url("/start"));
    let first = a.request();
    assert_eq!(first.header("Authorization"), Some("Basic dXNlcjpwYXNz"));
    assert_eq!(first.header("Cookie"), Some("a=1"));
    assert_eq!(
        first.header("Proxy-Authorization"),
        Some("Basic cHJveHk6c2VjcmV0")
    );
    let second = b.request();
    assert_eq!(second.url, "/landing");
    assert_eq!(
        second.header("Host"),
        Some(format!("localhost:{}", b.port).as_str())
    );
    for name in SECRET_HEADERS {
        assert_eq!(second.header(name), None, "{name} leaked: {second:?}");
    }
}

#[test]
fn redirect_to_another_port_drops_credentials() {
    let b = Server::start(|_| Reply::text("b"));
    let target = b.url("/other-port");
    let a = Server::start(move |_| Reply::redirect(307, &target));
    follow_with_secrets(&a.url("/start"));
    let second = b.request();
    for name in SECRET_HEADERS {
        assert_eq!(second.header(name), None, "{name} leaked: {second:?}");
    }
}

#[test]
fn same_host_redirect_keeps_credentials() {
    let server = Server::start(|r| match r.path() {
        "/start" => Reply::redirect(302, "/landing"),
        _ => Reply::text("same"),
    });
    follow_with_secrets(&server.url("/start"));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].url, "/landing");
    assert_eq!(reqs[1].header("Authorization"), Some("Basic dXNlcjpwYXNz"));
    assert_eq!(reqs[1].header("Cookie"), Some("a=1"));
    assert_eq!(
        reqs[1].header("Proxy-Authorization"),
        Some("Basic cHJveHk6c2VjcmV0")
    );
}

#[test]
fn cross_host_redirect_through_proxy_keeps_proxy_credentials_at_the_proxy() {
    let b = Server::start(|_| Reply::text("b"));
    let target = format!("http://localhost:{}/landing", b.port);
    let a = Server::start(move |_| Reply::redirect(302, &target));
    let proxy = ForwardProxy::with_auth("puser:ppass");
    let flag = format!("http:{}", proxy.url_with("puser:ppass"));
    http(&[
        "--follow",
        "--proxy",
        &flag,
        "-a",
        "user:pass",
        &a.url("/s"),
    ])
    .run()
    .success();
    assert_eq!(
        proxy.request_lines(),
        [
            format!("GET http://127.0.0.1:{}/s HTTP/1.1", a.port),
            format!("GET http://localhost:{}/landing HTTP/1.1", b.port),
        ]
    );
    for head in proxy.heads() {
        assert_eq!(
            head_header(&head, "Proxy-Authorization").as_deref(),
            Some("Basic cHVzZXI6cHBhc3M=")
        );
    }
    assert_eq!(
        a.request().header("Authorization"),
        Some("Basic dXNlcjpwYXNz")
    );
    let second = b.request();
    assert_eq!(second.header("Authorization"), None);
    assert_eq!(second.header("Proxy-Authorization"), None);
}

#[test]
fn check_status_judges_the_final_response_after_following() {
    let server = Server::start(|r| match r.path() {
        "/to-missing" => Reply::redirect(302, "/missing"),
        "/to-ok" => Reply::redirect(301, "/ok"),
        "/ok" => Reply::text("fine"),
        _ => Reply::status(404).body("gone"),
    });
    let run = http(&["--follow", "--check-status", &server.url("/to-missing")])
        .run()
        .assert_code(4);
    assert!(
        run.stderr_str()
            .contains("http: warning: HTTP 404 Not Found"),
        "{run:?}"
    );
    let run = http(&["--follow", "--check-status", &server.url("/to-ok")])
        .run()
        .success();
    assert_eq!(run.stdout_str(), "fine");
    // Not following: the redirect itself is the final response.
    http(&["--check-status", &server.url("/to-ok")])
        .run()
        .assert_code(3);
}

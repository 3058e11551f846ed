//! TLS: certificate verification (`--verify`, CA bundle environment
//! variables), client certificates (`--cert`, `--cert-key`) and version
//! pinning (`--ssl`), against the harness's rustls server.
//!
//! Each test builds its own PKI (`harness::Pki`): a CA, server leaves signed
//! by it (valid for `localhost`/127.0.0.1, expired, or for the wrong name)
//! and a client certificate, as PEM files in a temp dir for the CLI. Servers
//! bind 127.0.0.1:0 before their constructor returns (binding is the
//! readiness signal) and answer every request with `200 OK` and the body
//! `ok`.

use std::path::{Path, PathBuf};

use rustls::ProtocolVersion;

use crate::harness::{http, https, Cmd, Conn, Pki, RawServer, Run, TlsServer, Versions};

// ---------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------

#[track_caller]
fn assert_ok_body(run: &Run) {
    assert_eq!(run.code, 0, "expected success\n{}", run.context());
    assert_eq!(
        run.stdout_str().trim_end_matches('\n'),
        "ok",
        "{}",
        run.context()
    );
}

/// Exit 1 and exactly one stderr line `PROGRAM: error: ...` containing every
/// phrase in `phrases`.
#[track_caller]
fn assert_error(run: &Run, program: &str, phrases: &[&str]) {
    assert_eq!(run.code, 1, "expected exit 1\n{}", run.context());
    let stderr = run.stderr_str();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one stderr line\n{}",
        run.context()
    );
    let prefix = format!("{program}: error: ");
    assert!(
        lines[0].starts_with(&prefix),
        "expected {prefix:?} prefix\n{}",
        run.context()
    );
    for phrase in phrases {
        assert!(
            stderr.contains(phrase),
            "stderr lacks {phrase:?}\n{}",
            run.context()
        );
    }
    assert!(
        run.stdout.is_empty(),
        "expected empty stdout\n{}",
        run.context()
    );
}

// ---------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// `http ARGS... https://127.0.0.1:PORT/`
fn get(srv: &TlsServer, args: &[&str]) -> Cmd {
    http(args).arg(srv.url("/"))
}

/// Runs `http --verify=CA ARGS... https://127.0.0.1:PORT/`.
fn run_verified(pki: &Pki, srv: &TlsServer, args: &[&str]) -> Run {
    get(srv, &[&pki.verify()]).args(args).run()
}

// ---------------------------------------------------------------------------
// Server verification
// ---------------------------------------------------------------------------

/// Runs `http https://ADDR/` against a raw server that reads the ClientHello, then does
/// `answer`; returns the run and the server's address.
fn https_to_raw(answer: impl Fn(&mut Conn) + Send + Sync + 'static) -> (Run, String) {
    let server = RawServer::scripted(move |conn| {
        let mut hello = [0u8; 4096];
        let _ = std::io::Read::read(&mut conn.stream, &mut hello);
        answer(conn);
    });
    let url = server.url("/").replace("http://", "https://");
    (http(&[&url]).run(), server.addr())
}

/// `https://` to a plain-HTTP port: the server answers the ClientHello with a plain-text
/// 400, and the message says it does not speak TLS rather than quoting rustls.
#[test]
fn https_to_a_plain_http_port_suggests_http() {
    let (run, addr) = https_to_raw(|conn| {
        let _ = conn
            .write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        conn.finish();
    });
    assert_error(
        &run,
        "http",
        &[&format!(
            "the server at {addr} does not speak TLS; did you mean http://?"
        )],
    );
}

/// `https://` to a server that reads the ClientHello and hangs up (or resets) without a
/// word: the message says the handshake was cut, not that a response was missing.
#[test]
fn a_server_hanging_up_in_the_handshake_is_named_as_such() {
    for reset in [false, true] {
        let (run, addr) = https_to_raw(move |conn| {
            if reset {
                conn.reset();
            } else {
                conn.finish();
            }
        });
        assert_error(
            &run,
            "http",
            &[&format!(
                "{addr} closed the connection during the TLS handshake: is it an HTTPS \
                 server? (for plain HTTP, use http://)"
            )],
        );
    }
}

#[test]
fn default_verification_rejects_unknown_ca() {
    let pki = Pki::new();
    let srv = pki.server();
    let run = get(&srv, &[]).run();
    assert_error(
        &run,
        "http",
        &[
            "signed by an unknown authority",
            "--verify",
            &srv.authority(),
        ],
    );
    assert!(
        srv.seen().is_empty(),
        "no request may be sent: {:?}",
        srv.seen()
    );
}

#[test]
fn verify_yes_rejects_unknown_ca() {
    let pki = Pki::new();
    let srv = pki.server();
    let run = get(&srv, &["--verify=yes"]).run();
    assert_error(
        &run,
        "http",
        &["signed by an unknown authority", "--verify"],
    );
}

#[test]
fn verify_with_ca_file_succeeds() {
    let pki = Pki::new();
    let srv = pki.server();
    let run = run_verified(&pki, &srv, &[]);
    assert_ok_body(&run);
    assert!(run.stderr.is_empty(), "{}", run.context());
    let seen = srv.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].request_line, "GET / HTTP/1.1");
}

#[test]
fn verify_as_separate_argument_succeeds() {
    let pki = Pki::new();
    let srv = pki.server();
    assert_ok_body(&get(&srv, &["--verify", pki.ca()]).run());
}

#[test]
fn verify_with_localhost_name_succeeds() {
    let pki = Pki::new();
    let srv = pki.server();
    let url = format!("https://localhost:{}/", srv.port);
    assert_ok_body(&http(&[&pki.verify(), &url]).run());
}

#[test]
fn verify_with_ca_directory_succeeds() {
    let pki = Pki::new();
    let srv = pki.server();
    let verify = format!("--verify={}", pki.ca_dir.display());
    assert_ok_body(&get(&srv, &[&verify]).run());
}

#[test]
fn https_binary_with_ca_file_succeeds() {
    let pki = Pki::new();
    let srv = pki.server();
    let run = https(&[&pki.verify(), &srv.authority()]).run();
    assert_ok_body(&run);
    assert_eq!(srv.seen().len(), 1);
}

#[test]
fn https_binary_default_verification_rejects_unknown_ca() {
    let pki = Pki::new();
    let srv = pki.server();
    let run = https(&[&srv.authority()]).run();
    assert_error(
        &run,
        "https",
        &["signed by an unknown authority", "--verify"],
    );
}

/// `VAR=DIR/ca.pem http ARGS... URL` trusts the CA.
#[track_caller]
fn assert_ca_bundle_env_is_trusted(var: &str, args: &[&str]) {
    let pki = Pki::new();
    let srv = pki.server();
    assert_ok_body(&get(&srv, args).env(var, pki.ca()).run());
}

#[test]
fn requests_ca_bundle_env_succeeds() {
    assert_ca_bundle_env_is_trusted("REQUESTS_CA_BUNDLE", &[]);
}

#[test]
fn ssl_cert_file_env_succeeds() {
    assert_ca_bundle_env_is_trusted("SSL_CERT_FILE", &[]);
}

#[test]
fn curl_ca_bundle_env_succeeds() {
    assert_ca_bundle_env_is_trusted("CURL_CA_BUNDLE", &[]);
}

#[test]
fn ca_bundle_env_applies_with_verify_yes() {
    assert_ca_bundle_env_is_trusted("REQUESTS_CA_BUNDLE", &["--verify=yes"]);
}

#[test]
fn ca_bundle_env_missing_file_is_an_error() {
    let pki = Pki::new();
    let srv = pki.server();
    let missing = pki.path("missing.pem");
    let run = get(&srv, &[])
        .env("REQUESTS_CA_BUNDLE", path(&missing))
        .run();
    assert_error(&run, "http", &["cannot read CA bundle", "missing.pem"]);
}

/// Roots are loaded only for a hop that uses TLS: a plain-HTTP request never reads the
/// bundle (a parse of ~200 KB per run otherwise), so a broken one does not stop it.
#[test]
fn plain_http_does_not_read_the_ca_bundle() {
    let pki = Pki::new();
    let missing = pki.path("missing.pem");
    let server = crate::harness::ok_server();
    let run = http(&[&server.url("/")])
        .env("REQUESTS_CA_BUNDLE", path(&missing))
        .run();
    crate::harness::assert_ok(&run);
}

/// A TLS setup error comes before anything is printed, even with `-v`.
#[test]
fn tls_setup_errors_come_before_the_request_is_printed() {
    let run = http(&["-v", "--verify=/nonexistent", "https://127.0.0.1:9/"]).run();
    assert_error(&run, "http", &["cannot read CA bundle", "/nonexistent"]);
}

/// ... and on a redirect from plain HTTP, when the HTTPS hop needs the bundle.
#[test]
fn redirect_to_https_loads_the_ca_bundle_for_that_hop() {
    let pki = Pki::new();
    let srv = pki.server();
    let target = srv.url("/");
    let redirect =
        crate::harness::Server::start(move |_| crate::harness::Reply::redirect(302, &target));
    let run = http(&["--follow", &pki.verify(), &redirect.url("/go")]).run();
    assert_ok_body(&run);
    let missing = pki.path("missing.pem");
    let verify = format!("--verify={}", path(&missing));
    let run = http(&["--follow", &verify, &redirect.url("/go")]).run();
    assert_eq!(run.code, 1, "{}", run.context());
    assert!(
        run.stderr_str().contains("cannot read CA bundle"),
        "{}",
        run.context()
    );
}

#[test]
fn verify_no_succeeds_with_warning() {
    let pki = Pki::new();
    let srv = pki.server();
    let run = get(&srv, &["--verify=no"]).run();
    assert_ok_body(&run);
    assert_eq!(
        run.stderr_str(),
        "http: warning: TLS certificate verification is off (--verify=no)\n",
        "{}",
        run.context()
    );
}

#[test]
fn verify_no_accepts_expired_and_wrong_name() {
    let pki = Pki::new();
    for leaf in [pki.expired_leaf(), pki.wrong_name_leaf()] {
        let srv = TlsServer::start(leaf.config());
        let run = get(&srv, &["--verify=no"]).run();
        assert_ok_body(&run);
        assert!(
            run.stderr_str()
                .contains("TLS certificate verification is off"),
            "{}",
            run.context()
        );
    }
}

#[test]
fn expired_certificate_is_rejected() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.expired_leaf().config());
    let run = run_verified(&pki, &srv, &[]);
    assert_error(&run, "http", &["has expired", &srv.authority()]);
    assert!(srv.seen().is_empty());
}

#[test]
fn wrong_host_is_rejected() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.wrong_name_leaf().config());
    let run = run_verified(&pki, &srv, &[]);
    assert_error(
        &run,
        "http",
        &[&format!("not valid for {}", srv.authority())],
    );
    assert!(srv.seen().is_empty());
}

#[test]
fn verify_nonexistent_path_is_an_error() {
    let run = http(&["--verify=/nonexistent", "https://127.0.0.1:9/"]).run();
    assert_error(&run, "http", &["cannot read CA bundle", "/nonexistent"]);
}

#[test]
fn verify_file_without_certificates_is_an_error() {
    let pki = Pki::new();
    let junk = pki.write("junk.pem", "this is not PEM\n");
    let srv = pki.server();
    let verify = format!("--verify={}", junk.display());
    let run = get(&srv, &[&verify]).run();
    assert_error(&run, "http", &["no PEM certificates", "junk.pem"]);
}

// ---------------------------------------------------------------------------
// Client certificates
// ---------------------------------------------------------------------------

/// Runs `http --verify=CA ARGS... URL` against a server that requires a
/// client certificate issued by the PKI's CA; returns the server and the
/// run.
fn run_client_auth(pki: &Pki, args: &[&str]) -> (TlsServer, Run) {
    let srv = TlsServer::start(pki.leaf().config_with(Versions::Both, Some(&pki.ca_der)));
    let run = run_verified(pki, &srv, args);
    (srv, run)
}

#[test]
fn client_cert_and_key_succeed() {
    let pki = Pki::new();
    let (srv, run) = run_client_auth(
        &pki,
        &[
            "--cert",
            path(&pki.client_cert),
            "--cert-key",
            path(&pki.client_key),
        ],
    );
    assert_ok_body(&run);
    let seen = srv.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].client_cert,
        "server saw no client certificate: {seen:?}"
    );
}

#[test]
fn combined_client_pem_succeeds() {
    let pki = Pki::new();
    let cert = format!("--cert={}", pki.client_combined.display());
    let (srv, run) = run_client_auth(&pki, &[&cert]);
    assert_ok_body(&run);
    assert!(srv.seen().iter().all(|s| s.client_cert));
}

#[test]
fn client_cert_required_but_missing_fails() {
    let pki = Pki::new();
    let (srv, run) = run_client_auth(&pki, &[]);
    assert_error(&run, "http", &[&srv.authority()]);
    assert!(srv.seen().is_empty(), "{:?}", srv.seen());
}

#[test]
fn client_cert_missing_file_is_an_error() {
    let pki = Pki::new();
    let missing = pki.path("nope.pem");
    let (_srv, run) = run_client_auth(&pki, &["--cert", path(&missing)]);
    assert_error(
        &run,
        "http",
        &["cannot read client certificate", "nope.pem"],
    );
}

#[test]
fn client_key_missing_file_is_an_error() {
    let pki = Pki::new();
    let missing = pki.path("nope.key");
    let (_srv, run) = run_client_auth(
        &pki,
        &[
            "--cert",
            path(&pki.client_cert),
            "--cert-key",
            path(&missing),
        ],
    );
    assert_error(&run, "http", &["cannot read client key", "nope.key"]);
}

#[test]
fn client_cert_without_key_is_an_error() {
    let pki = Pki::new();
    let (_srv, run) = run_client_auth(&pki, &["--cert", path(&pki.client_cert)]);
    assert_error(&run, "http", &["no private key found", "--cert-key"]);
}

/// Keys rustls refuses for the client certificate: each is one clear error (exit 1), not a
/// panic inside the TLS stack, and nothing reaches the server.
#[test]
fn unusable_client_keys_are_clear_errors() {
    let pki = Pki::new();
    let other = rcgen::KeyPair::generate().unwrap().serialize_pem();
    let ed25519 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)
        .unwrap()
        .serialize_pem();
    let garbage = "-----BEGIN PRIVATE KEY-----\nMIIBAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n";
    for (name, pem, phrase) in [
        (
            "other.key",
            other.as_str(),
            "does not match the client certificate",
        ),
        ("ed25519.key", ed25519.as_str(), "cannot use the key"),
        ("garbage.key", garbage, "cannot use the key"),
    ] {
        let key = pki.write(name, pem);
        let (srv, run) = run_client_auth(
            &pki,
            &["--cert", path(&pki.client_cert), "--cert-key", path(&key)],
        );
        assert_error(&run, "http", &[phrase, name]);
        assert!(!run.stderr_str().contains("panicked"), "{}", run.context());
        assert!(srv.seen().is_empty(), "{name}: {:?}", srv.seen());
    }
}

const FAKE_ENCRYPTED_KEY: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n\
MIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIAAAAAAAAAAACAggA\n\
-----END ENCRYPTED PRIVATE KEY-----\n";

#[test]
fn encrypted_client_key_is_a_clear_error() {
    let pki = Pki::new();
    let key = pki.write("encrypted.key", FAKE_ENCRYPTED_KEY);
    let (srv, run) = run_client_auth(
        &pki,
        &["--cert", path(&pki.client_cert), "--cert-key", path(&key)],
    );
    assert_error(&run, "http", &["encrypted", "encrypted.key"]);
    assert!(srv.seen().is_empty());
}

#[test]
fn encrypted_key_in_combined_pem_is_a_clear_error() {
    let pki = Pki::new();
    let cert = std::fs::read_to_string(&pki.client_cert).unwrap();
    let combined = pki.write(
        "combined-encrypted.pem",
        format!("{cert}{FAKE_ENCRYPTED_KEY}"),
    );
    let cert = format!("--cert={}", combined.display());
    let (_srv, run) = run_client_auth(&pki, &[&cert]);
    assert_error(&run, "http", &["encrypted", "combined-encrypted.pem"]);
}

/// The client key, encrypted as PKCS#8 (PBES2: PBKDF2-SHA256 + AES-256-CBC) with `pass`.
fn encrypt_client_key(pki: &Pki, pass: &str) -> PathBuf {
    use pkcs8::der::pem::LineEnding;
    let pem = std::fs::read_to_string(&pki.client_key).unwrap();
    let (_, doc) = pkcs8::SecretDocument::from_pem(&pem).unwrap();
    let info = pkcs8::PrivateKeyInfo::try_from(doc.as_bytes()).unwrap();
    let params =
        pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, &[7u8; 16], &[9u8; 16])
            .unwrap();
    let encrypted = info.encrypt_with_params(params, pass).unwrap();
    let out = encrypted
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .unwrap();
    pki.write("client-encrypted.key", out.as_bytes())
}

/// Runs `--cert CERT --cert-key KEY --cert-key-pass PASS` with the client
/// key encrypted with the passphrase `s3cret`.
fn run_encrypted_key(pass: &str) -> (TlsServer, Run) {
    let pki = Pki::new();
    let key = encrypt_client_key(&pki, "s3cret");
    let args = [
        "--cert",
        path(&pki.client_cert),
        "--cert-key",
        path(&key),
        "--cert-key-pass",
        pass,
    ];
    run_client_auth(&pki, &args)
}

#[test]
fn encrypted_pkcs8_key_with_passphrase_succeeds() {
    let (srv, run) = run_encrypted_key("s3cret");
    assert_ok_body(&run);
    assert!(srv.seen().iter().all(|s| s.client_cert));
}

#[test]
fn encrypted_pkcs8_key_with_wrong_passphrase_is_a_clear_error() {
    let (srv, run) = run_encrypted_key("nope");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr_str().contains("wrong passphrase"), "{run:?}");
    assert!(srv.seen().is_empty(), "no request without a usable key");
}

// ---------------------------------------------------------------------------
// --ssl version pinning
// ---------------------------------------------------------------------------

/// Runs `http --verify=CA --ssl=VERSION URL` against a TLS 1.2-only server.
fn run_against_tls12_only(version: &str) -> (TlsServer, Run) {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf().config_with(Versions::Tls12Only, None));
    let run = run_verified(&pki, &srv, &[version]);
    (srv, run)
}

#[test]
fn ssl_tls13_against_tls12_only_server_fails() {
    let (srv, run) = run_against_tls12_only("--ssl=tls1.3");
    assert_error(&run, "http", &[&srv.authority()]);
    assert!(srv.seen().is_empty());
}

#[test]
fn ssl_tls12_against_tls12_only_server_succeeds() {
    let (srv, run) = run_against_tls12_only("--ssl=tls1.2");
    assert_ok_body(&run);
    let seen = srv.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].version, Some(ProtocolVersion::TLSv1_2));
}

#[test]
fn default_negotiates_tls13_and_ssl_pins_version() {
    let pki = Pki::new();
    let srv = pki.server();
    assert_ok_body(&run_verified(&pki, &srv, &[]));
    assert_ok_body(&run_verified(&pki, &srv, &["--ssl=tls1.2"]));
    assert_ok_body(&run_verified(&pki, &srv, &["--ssl=TLS1.3"]));
    let versions: Vec<_> = srv.seen().iter().map(|s| s.version).collect();
    assert_eq!(
        versions,
        vec![
            Some(ProtocolVersion::TLSv1_3),
            Some(ProtocolVersion::TLSv1_2),
            Some(ProtocolVersion::TLSv1_3),
        ]
    );
}

#[test]
fn ssl_tls11_is_not_supported() {
    let pki = Pki::new();
    let srv = pki.server();
    let run = run_verified(&pki, &srv, &["--ssl=tls1.1"]);
    assert_error(&run, "http", &["not supported"]);
    assert!(srv.seen().is_empty());
}

#[test]
fn ssl_unknown_version_is_an_error() {
    let pki = Pki::new();
    let srv = pki.server();
    let run = run_verified(&pki, &srv, &["--ssl=tls9"]);
    assert_error(&run, "http", &["tls9"]);
}

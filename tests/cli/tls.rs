//! TLS: certificate verification (`--verify`, CA bundle environment
//! variables), client certificates (`--cert`, `--cert-key`) and version
//! pinning (`--ssl`), against an in-process rustls server.
//!
//! Each test builds its own PKI with rcgen: a CA, server leaves signed by it
//! (valid for `localhost`/127.0.0.1, expired, or for the wrong name) and a
//! client certificate. PEM files go into a temp dir for the CLI. Servers bind
//! 127.0.0.1:0 before their constructor returns (binding is the readiness
//! signal) and answer every request with `200 OK` and the body `ok`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    ProtocolVersion, RootCertStore, ServerConfig, ServerConnection, StreamOwned,
    SupportedProtocolVersion,
};
use tempfile::TempDir;

use crate::harness::{http, https, Run};

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

// ---------------------------------------------------------------------------
// PKI
// ---------------------------------------------------------------------------

/// A test CA plus the PEM files the CLI is pointed at.
struct Pki {
    dir: TempDir,
    issuer: Issuer<'static, KeyPair>,
    ca_der: CertificateDer<'static>,
    /// `DIR/ca.pem`: the CA certificate.
    ca_pem: PathBuf,
    /// `DIR/cadir/`: a directory holding only a copy of the CA (plus a
    /// non-PEM file that must be ignored).
    ca_dir: PathBuf,
    /// `DIR/client.pem`, `DIR/client.key`: client certificate and its key.
    client_cert: PathBuf,
    client_key: PathBuf,
    /// `DIR/client-combined.pem`: certificate followed by key.
    client_combined: PathBuf,
}

/// A server certificate chain with its key.
struct Leaf {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::Builder::new()
            .prefix("http-cli-tls-")
            .tempdir()
            .expect("create PKI temp dir");

        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "http-cli test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).expect("self-sign CA");
        let ca_der = ca_cert.der().clone();
        let issuer = Issuer::new(ca_params, ca_key);

        let ca_pem = dir.path().join("ca.pem");
        std::fs::write(&ca_pem, ca_cert.pem()).unwrap();
        let ca_dir = dir.path().join("cadir");
        std::fs::create_dir(&ca_dir).unwrap();
        std::fs::write(ca_dir.join("ca.pem"), ca_cert.pem()).unwrap();
        std::fs::write(ca_dir.join("README.txt"), "not a certificate\n").unwrap();

        let mut pki = Pki {
            client_cert: dir.path().join("client.pem"),
            client_key: dir.path().join("client.key"),
            client_combined: dir.path().join("client-combined.pem"),
            dir,
            issuer,
            ca_der,
            ca_pem,
            ca_dir,
        };
        pki.write_client_cert();
        pki
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file into the PKI dir and returns its path.
    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn write_client_cert(&mut self) {
        let key = KeyPair::generate().expect("client key");
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "http-cli test client");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("sign client cert");
        std::fs::write(&self.client_cert, cert.pem()).unwrap();
        std::fs::write(&self.client_key, key.serialize_pem()).unwrap();
        std::fs::write(
            &self.client_combined,
            format!("{}{}", cert.pem(), key.serialize_pem()),
        )
        .unwrap();
    }

    /// A server leaf signed by the CA for `names` (DNS names or IPs).
    fn leaf_with(&self, names: &[&str], expired: bool) -> Leaf {
        let key = KeyPair::generate().expect("leaf key");
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        params
            .distinguished_name
            .push(DnType::CommonName, "http-cli test server");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let cert = params.signed_by(&key, &self.issuer).expect("sign leaf");
        Leaf {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }

    /// Valid for `localhost` and 127.0.0.1.
    fn leaf(&self) -> Leaf {
        self.leaf_with(&["localhost", "127.0.0.1"], false)
    }

    /// Right names, but `not_after` in 2001.
    fn expired_leaf(&self) -> Leaf {
        self.leaf_with(&["localhost", "127.0.0.1"], true)
    }

    /// Valid only for `other.test`.
    fn wrong_name_leaf(&self) -> Leaf {
        self.leaf_with(&["other.test"], false)
    }

    fn ca(&self) -> &str {
        self.ca_pem.to_str().unwrap()
    }
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

/// What the server saw on a connection that delivered a full request head.
#[derive(Debug, Clone)]
struct Seen {
    request_line: String,
    version: Option<ProtocolVersion>,
    client_cert: bool,
}

struct TlsServer {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

#[derive(Clone, Copy)]
enum Versions {
    Both,
    Tls12Only,
}

impl TlsServer {
    /// Serves `leaf`; with `client_ca`, requires a client certificate
    /// issued by it.
    fn start(
        leaf: Leaf,
        versions: Versions,
        client_ca: Option<CertificateDer<'static>>,
    ) -> TlsServer {
        let provider: Arc<CryptoProvider> = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&'static SupportedProtocolVersion] = match versions {
            Versions::Both => &[&rustls::version::TLS13, &rustls::version::TLS12],
            Versions::Tls12Only => &[&rustls::version::TLS12],
        };
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .expect("server protocol versions");
        let builder = match client_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                roots.add(ca).expect("add client CA");
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()
                        .expect("client verifier");
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let config = Arc::new(
            builder
                .with_single_cert(leaf.chain, leaf.key)
                .expect("server certificate"),
        );

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind TLS server");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        thread::spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { continue };
                let config = config.clone();
                let record = record.clone();
                thread::spawn(move || {
                    // Handshake failures are what many tests provoke: ignore.
                    let _ = serve_one(tcp, config, record);
                });
            }
        });
        TlsServer { port, seen }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}/", self.port)
    }

    fn authority(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve_one(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    record: Arc<Mutex<Vec<Seen>>>,
) -> std::io::Result<()> {
    // Safety net only: a stuck client must not pin a thread forever.
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    tcp.set_write_timeout(Some(Duration::from_secs(30)))?;
    let conn = ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = StreamOwned::new(conn, tcp);
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tls.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    record.lock().unwrap().push(Seen {
        request_line: text.lines().next().unwrap_or_default().to_string(),
        version: tls.conn.protocol_version(),
        client_cert: tls.conn.peer_certificates().is_some_and(|c| !c.is_empty()),
    });
    tls.write_all(RESPONSE)?;
    tls.conn.send_close_notify();
    tls.flush()?;
    Ok(())
}

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
// Server verification
// ---------------------------------------------------------------------------

#[test]
fn default_verification_rejects_unknown_ca() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = http(&[&srv.url()]).run();
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
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = http(&["--verify=yes", &srv.url()]).run();
    assert_error(
        &run,
        "http",
        &["signed by an unknown authority", "--verify"],
    );
}

#[test]
fn verify_with_ca_file_succeeds() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = http(&[&format!("--verify={}", pki.ca()), &srv.url()]).run();
    assert_ok_body(&run);
    assert!(run.stderr.is_empty(), "{}", run.context());
    let seen = srv.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].request_line, "GET / HTTP/1.1");
}

#[test]
fn verify_as_separate_argument_succeeds() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = http(&["--verify", pki.ca(), &srv.url()]).run();
    assert_ok_body(&run);
}

#[test]
fn verify_with_localhost_name_succeeds() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let url = format!("https://localhost:{}/", srv.port);
    let run = http(&[&format!("--verify={}", pki.ca()), &url]).run();
    assert_ok_body(&run);
}

#[test]
fn verify_with_ca_directory_succeeds() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = http(&[&format!("--verify={}", pki.ca_dir.display()), &srv.url()]).run();
    assert_ok_body(&run);
}

#[test]
fn https_binary_with_ca_file_succeeds() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = https(&[&format!("--verify={}", pki.ca()), &srv.authority()]).run();
    assert_ok_body(&run);
    assert_eq!(srv.seen().len(), 1);
}

#[test]
fn https_binary_default_verification_rejects_unknown_ca() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = https(&[&srv.authority()]).run();
    assert_error(
        &run,
        "https",
        &["signed by an unknown authority", "--verify"],
    );
}

#[test]
fn requests_ca_bundle_env_succeeds() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = http(&[&srv.url()])
        .env("REQUESTS_CA_BUNDLE", pki.ca())
        .run();
    assert_ok_body(&run);
}

#[test]
fn ssl_cert_file_env_succeeds() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = http(&[&srv.url()]).env("SSL_CERT_FILE", pki.ca()).run();
    assert_ok_body(&run);
}

#[test]
fn curl_ca_bundle_env_succeeds() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = http(&[&srv.url()]).env("CURL_CA_BUNDLE", pki.ca()).run();
    assert_ok_body(&run);
}

#[test]
fn ca_bundle_env_applies_with_verify_yes() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = http(&["--verify=yes", &srv.url()])
        .env("REQUESTS_CA_BUNDLE", pki.ca())
        .run();
    assert_ok_body(&run);
}

#[test]
fn ca_bundle_env_missing_file_is_an_error() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let missing = pki.path("missing.pem");
    let run = http(&[&srv.url()])
        .env("REQUESTS_CA_BUNDLE", missing.to_str().unwrap())
        .run();
    assert_error(&run, "http", &["cannot read CA bundle", "missing.pem"]);
}

#[test]
fn verify_no_succeeds_with_warning() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = http(&["--verify=no", &srv.url()]).run();
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
        let srv = TlsServer::start(leaf, Versions::Both, None);
        let run = http(&["--verify=no", &srv.url()]).run();
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
    let srv = TlsServer::start(pki.expired_leaf(), Versions::Both, None);
    let run = http(&[&format!("--verify={}", pki.ca()), &srv.url()]).run();
    assert_error(&run, "http", &["has expired", &srv.authority()]);
    assert!(srv.seen().is_empty());
}

#[test]
fn wrong_host_is_rejected() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.wrong_name_leaf(), Versions::Both, None);
    let run = http(&[&format!("--verify={}", pki.ca()), &srv.url()]).run();
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
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = http(&[&format!("--verify={}", junk.display()), &srv.url()]).run();
    assert_error(&run, "http", &["no PEM certificates", "junk.pem"]);
}

// ---------------------------------------------------------------------------
// Client certificates
// ---------------------------------------------------------------------------

fn client_cert_server(pki: &Pki) -> TlsServer {
    TlsServer::start(pki.leaf(), Versions::Both, Some(pki.ca_der.clone()))
}

#[test]
fn client_cert_and_key_succeed() {
    let pki = Pki::new();
    let srv = client_cert_server(&pki);
    let run = http(&[
        &format!("--verify={}", pki.ca()),
        "--cert",
        pki.client_cert.to_str().unwrap(),
        "--cert-key",
        pki.client_key.to_str().unwrap(),
        &srv.url(),
    ])
    .run();
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
    let srv = client_cert_server(&pki);
    let run = http(&[
        &format!("--verify={}", pki.ca()),
        &format!("--cert={}", pki.client_combined.display()),
        &srv.url(),
    ])
    .run();
    assert_ok_body(&run);
    assert!(srv.seen().iter().all(|s| s.client_cert));
}

#[test]
fn client_cert_required_but_missing_fails() {
    let pki = Pki::new();
    let srv = client_cert_server(&pki);
    let run = http(&[&format!("--verify={}", pki.ca()), &srv.url()]).run();
    assert_eq!(run.code, 1, "{}", run.context());
    assert!(
        run.stderr_str().starts_with("http: error: "),
        "{}",
        run.context()
    );
    assert_eq!(run.stderr_str().lines().count(), 1, "{}", run.context());
    assert!(
        run.stderr_str().contains(&srv.authority()),
        "{}",
        run.context()
    );
    assert!(run.stdout.is_empty(), "{}", run.context());
    assert!(srv.seen().is_empty(), "{:?}", srv.seen());
}

#[test]
fn client_cert_missing_file_is_an_error() {
    let pki = Pki::new();
    let srv = client_cert_server(&pki);
    let missing = pki.path("nope.pem");
    let run = http(&[
        &format!("--verify={}", pki.ca()),
        "--cert",
        missing.to_str().unwrap(),
        &srv.url(),
    ])
    .run();
    assert_error(
        &run,
        "http",
        &["cannot read client certificate", "nope.pem"],
    );
}

#[test]
fn client_key_missing_file_is_an_error() {
    let pki = Pki::new();
    let srv = client_cert_server(&pki);
    let missing = pki.path("nope.key");
    let run = http(&[
        &format!("--verify={}", pki.ca()),
        "--cert",
        pki.client_cert.to_str().unwrap(),
        "--cert-key",
        missing.to_str().unwrap(),
        &srv.url(),
    ])
    .run();
    assert_error(&run, "http", &["cannot read client key", "nope.key"]);
}

#[test]
fn client_cert_without_key_is_an_error() {
    let pki = Pki::new();
    let srv = client_cert_server(&pki);
    let run = http(&[
        &format!("--verify={}", pki.ca()),
        "--cert",
        pki.client_cert.to_str().unwrap(),
        &srv.url(),
    ])
    .run();
    assert_error(&run, "http", &["no private key found", "--cert-key"]);
}

const FAKE_ENCRYPTED_KEY: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n\
MIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIAAAAAAAAAAACAggA\n\
-----END ENCRYPTED PRIVATE KEY-----\n";

#[test]
fn encrypted_client_key_is_a_clear_error() {
    let pki = Pki::new();
    let srv = client_cert_server(&pki);
    let key = pki.write("encrypted.key", FAKE_ENCRYPTED_KEY);
    let run = http(&[
        &format!("--verify={}", pki.ca()),
        "--cert",
        pki.client_cert.to_str().unwrap(),
        "--cert-key",
        key.to_str().unwrap(),
        &srv.url(),
    ])
    .run();
    assert_error(&run, "http", &["encrypted", "encrypted.key"]);
    assert!(srv.seen().is_empty());
}

#[test]
fn encrypted_key_in_combined_pem_is_a_clear_error() {
    let pki = Pki::new();
    let srv = client_cert_server(&pki);
    let cert = std::fs::read_to_string(&pki.client_cert).unwrap();
    let combined = pki.write(
        "combined-encrypted.pem",
        format!("{cert}{FAKE_ENCRYPTED_KEY}"),
    );
    let run = http(&[
        &format!("--verify={}", pki.ca()),
        &format!("--cert={}", combined.display()),
        &srv.url(),
    ])
    .run();
    assert_error(&run, "http", &["encrypted", "combined-encrypted.pem"]);
}

// ---------------------------------------------------------------------------
// --ssl version pinning
// ---------------------------------------------------------------------------

#[test]
fn ssl_tls13_against_tls12_only_server_fails() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Tls12Only, None);
    let run = http(&[
        &format!("--verify={}", pki.ca()),
        "--ssl=tls1.3",
        &srv.url(),
    ])
    .run();
    assert_eq!(run.code, 1, "{}", run.context());
    assert!(
        run.stderr_str().starts_with("http: error: "),
        "{}",
        run.context()
    );
    assert_eq!(run.stderr_str().lines().count(), 1, "{}", run.context());
    assert!(
        run.stderr_str().contains(&srv.authority()),
        "{}",
        run.context()
    );
    assert!(srv.seen().is_empty());
}

#[test]
fn ssl_tls12_against_tls12_only_server_succeeds() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Tls12Only, None);
    let run = http(&[
        &format!("--verify={}", pki.ca()),
        "--ssl=tls1.2",
        &srv.url(),
    ])
    .run();
    assert_ok_body(&run);
    let seen = srv.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].version, Some(ProtocolVersion::TLSv1_2));
}

#[test]
fn default_negotiates_tls13_and_ssl_pins_version() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let verify = format!("--verify={}", pki.ca());
    assert_ok_body(&http(&[&verify, &srv.url()]).run());
    assert_ok_body(&http(&[&verify, "--ssl=tls1.2", &srv.url()]).run());
    assert_ok_body(&http(&[&verify, "--ssl=TLS1.3", &srv.url()]).run());
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
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = http(&[
        &format!("--verify={}", pki.ca()),
        "--ssl=tls1.1",
        &srv.url(),
    ])
    .run();
    assert_error(&run, "http", &["not supported"]);
    assert!(srv.seen().is_empty());
}

#[test]
fn ssl_unknown_version_is_an_error() {
    let pki = Pki::new();
    let srv = TlsServer::start(pki.leaf(), Versions::Both, None);
    let run = http(&[&format!("--verify={}", pki.ca()), "--ssl=tls9", &srv.url()]).run();
    assert_error(&run, "http", &["tls9"]);
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

#[test]
fn encrypted_pkcs8_key_with_passphrase_succeeds() {
    let pki = Pki::new();
    let key = encrypt_client_key(&pki, "s3cret");
    let srv = client_cert_server(&pki);
    let run = http(&[
        &format!("--verify={}", pki.ca()),
        "--cert",
        pki.client_cert.to_str().unwrap(),
        "--cert-key",
        key.to_str().unwrap(),
        "--cert-key-pass",
        "s3cret",
        &srv.url(),
    ])
    .run();
    assert_ok_body(&run);
    assert!(srv.seen().iter().all(|s| s.client_cert));
}

#[test]
fn encrypted_pkcs8_key_with_wrong_passphrase_is_a_clear_error() {
    let pki = Pki::new();
    let key = encrypt_client_key(&pki, "s3cret");
    let srv = client_cert_server(&pki);
    let run = http(&[
        &format!("--verify={}", pki.ca()),
        "--cert",
        pki.client_cert.to_str().unwrap(),
        "--cert-key",
        key.to_str().unwrap(),
        "--cert-key-pass",
        "nope",
        &srv.url(),
    ])
    .run();
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr_str().contains("wrong passphrase"), "{run:?}");
    assert!(srv.seen().is_empty(), "no request without a usable key");
}

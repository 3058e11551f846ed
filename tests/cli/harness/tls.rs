//! TLS for tests: a per-test PKI built with rcgen (a CA, server leaves it
//! signed, a client certificate, PEM files in a temp dir for the CLI) and
//! a rustls server that answers every request with `200 OK` and the body
//! `ok`, recording what it saw. The server binds 127.0.0.1:0 before its
//! constructor returns (binding is the readiness signal) and stops when
//! dropped.

use std::io::{self, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

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

use super::listener::Listener;
use super::raw::{local_url, lock, read_head};

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

// ---------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------

/// Which TLS versions a server offers.
#[derive(Clone, Copy)]
pub enum Versions {
    /// TLS 1.3 and 1.2.
    Both,
    Tls12Only,
}

/// A server certificate chain with its key.
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Leaf {
    /// A self-signed certificate for `names`: no client knows its issuer.
    pub fn self_signed(names: &[&str]) -> Leaf {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let ck = rcgen::generate_simple_self_signed(names).expect("self-signed certificate");
        Leaf {
            chain: vec![ck.cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der())),
        }
    }

    /// A server config presenting this leaf over TLS 1.3 and 1.2, without
    /// client authentication.
    pub fn config(&self) -> Arc<ServerConfig> {
        self.config_with(Versions::Both, None)
    }

    /// A server config presenting this leaf over `versions`; with
    /// `client_ca`, a client certificate issued by it is required.
    pub fn config_with(
        &self,
        versions: Versions,
        client_ca: Option<&CertificateDer<'static>>,
    ) -> Arc<ServerConfig> {
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
                roots.add(ca.clone()).expect("add client CA");
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()
                        .expect("client verifier");
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        Arc::new(
            builder
                .with_single_cert(self.chain.clone(), self.key.clone_key())
                .expect("server certificate"),
        )
    }
}

/// A test CA plus the PEM files the CLI is pointed at.
pub struct Pki {
    dir: TempDir,
    issuer: Issuer<'static, KeyPair>,
    pub ca_der: CertificateDer<'static>,
    /// `DIR/ca.pem`: the CA certificate.
    pub ca_pem: PathBuf,
    /// `DIR/cadir/`: a directory holding only a copy of the CA (plus a
    /// non-PEM file that must be ignored).
    pub ca_dir: PathBuf,
    /// `DIR/client.pem`, `DIR/client.key`: client certificate and its key.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// `DIR/client-combined.pem`: certificate followed by key.
    pub client_combined: PathBuf,
}

impl Pki {
    pub fn new() -> Pki {
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
        std::fs::write(&ca_pem, ca_cert.pem()).expect("write ca.pem");
        let ca_dir = dir.path().join("cadir");
        std::fs::create_dir(&ca_dir).expect("create cadir");
        std::fs::write(ca_dir.join("ca.pem"), ca_cert.pem()).expect("write cadir/ca.pem");
        std::fs::write(ca_dir.join("README.txt"), "not a certificate\n")
            .expect("write cadir/README.txt");

        let pki = Pki {
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

    /// `DIR/name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file into the PKI dir and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write PKI file");
        path
    }

    fn write_client_cert(&self) {
        let key = KeyPair::generate().expect("client key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("client params");
        params
            .distinguished_name
            .push(DnType::CommonName, "http-cli test client");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("sign client cert");
        std::fs::write(&self.client_cert, cert.pem()).expect("write client.pem");
        std::fs::write(&self.client_key, key.serialize_pem()).expect("write client.key");
        std::fs::write(
            &self.client_combined,
            format!("{}{}", cert.pem(), key.serialize_pem()),
        )
        .expect("write client-combined.pem");
    }

    /// A server leaf signed by the CA for `names` (DNS names or IPs);
    /// `expired`: valid only in 2000.
    pub fn leaf_with(&self, names: &[&str], expired: bool) -> Leaf {
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
    pub fn leaf(&self) -> Leaf {
        self.leaf_with(&["localhost", "127.0.0.1"], false)
    }

    /// Right names, but `not_after` in 2001.
    pub fn expired_leaf(&self) -> Leaf {
        self.leaf_with(&["localhost", "127.0.0.1"], true)
    }

    /// Valid only for `other.test`.
    pub fn wrong_name_leaf(&self) -> Leaf {
        self.leaf_with(&["other.test"], false)
    }

    /// A server config presenting [`Pki::leaf`] (TLS 1.3 and 1.2, no
    /// client authentication).
    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.leaf().config()
    }

    /// A server presenting [`Pki::leaf`] (TLS 1.3 and 1.2, no client
    /// authentication).
    pub fn server(&self) -> TlsServer {
        TlsServer::start(self.server_config())
    }

    /// The path of `ca.pem` as text.
    pub fn ca(&self) -> &str {
        self.ca_pem.to_str().expect("UTF-8 temp path")
    }

    /// `--verify=DIR/ca.pem`
    pub fn verify(&self) -> String {
        format!("--verify={}", self.ca())
    }
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

/// What the server saw on a connection that delivered a full request head.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The request head through the blank line.
    pub head: String,
    /// Its request line, without the line ending.
    pub request_line: String,
    pub version: Option<ProtocolVersion>,
    pub client_cert: bool,
    /// The name the client sent in SNI, if any.
    pub sni: Option<String>,
}

/// A TLS server on 127.0.0.1; see the module docs. Handshake failures,
/// which many tests provoke, leave no record.
pub struct TlsServer {
    pub port: u16,
    /// Accepts connections until dropped.
    _listener: Listener,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl TlsServer {
    pub fn start(config: Arc<ServerConfig>) -> TlsServer {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let listener = Listener::start("TLS server", move |tcp, _| {
            let _ = serve_one(tcp, config.clone(), &record);
        });
        TlsServer {
            port: listener.port,
            _listener: listener,
            seen,
        }
    }

    /// A server with a self-signed certificate for `localhost`.
    pub fn self_signed() -> TlsServer {
        TlsServer::start(Leaf::self_signed(&["localhost"]).config())
    }

    /// `https://127.0.0.1:PORT/path` (a leading `/` in `path` is optional).
    pub fn url(&self, path: &str) -> String {
        local_url("https", self.port, path)
    }

    /// `127.0.0.1:PORT`.
    pub fn authority(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every connection that delivered a request head, in order.
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.seen).clone()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self._listener.connections()
    }

    /// The request heads received, in order.
    pub fn heads(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.head).collect()
    }
}

fn serve_one(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    record: &Mutex<Vec<Seen>>,
) -> io::Result<()> {
    let conn = ServerConnection::new(config).map_err(io::Error::other)?;
    let mut tls = StreamOwned::new(conn, tcp);
    let head = String::from_utf8_lossy(&read_head(&mut tls)?).into_owned();
    lock(record).push(Seen {
        request_line: head.split("\r\n").next().unwrap_or_default().to_string(),
        head,
        version: tls.conn.protocol_version(),
        client_cert: tls.conn.peer_certificates().is_some_and(|c| !c.is_empty()),
        sni: tls.conn.server_name().map(str::to_string),
    });
    tls.write_all(RESPONSE)?;
    tls.conn.send_close_notify();
    tls.flush()
}

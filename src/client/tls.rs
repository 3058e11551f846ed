//! TLS settings from `NetSpec`: verification (OS trust store by default, bundled Mozilla roots
//! when the system has none, a CA bundle from `--verify=PATH` or the environment), client
//! certificates, and `--ssl` version pinning. Files are read only when a flag names them.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use ureq::tls::{parse_pem, Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

use crate::cli::values::Verify;
use crate::env::Env;
use crate::error::usage;
use crate::spec::NetSpec;

/// Where CA bundles are usually found; if none exists the platform store is empty.
const SYSTEM_CA_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
];

pub fn config(net: &NetSpec, env: &Env) -> Result<TlsConfig> {
    let mut b = TlsConfig::builder();
    match &net.verify {
        Some(Verify::No) => b = b.disable_verification(true),
        Some(Verify::CaBundle(path)) => b = b.root_certs(load_roots(path)?),
        Some(Verify::Yes) | None => {
            let from_env = ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"]
                .iter()
                .find_map(|v| env.var(v));
            b = b.root_certs(match from_env {
                Some(path) => load_roots(Path::new(&path))?,
                None if system_has_roots(env) => RootCerts::PlatformVerifier,
                None => RootCerts::WebPki,
            });
        }
    }
    let pinned = net.ssl.as_deref().map(pinned_provider).transpose()?;
    if let Some(cert) = &net.cert {
        let pass = net.cert_key_pass.as_deref();
        let client = client_cert(cert, net.cert_key.as_deref(), pass)?;
        let provider = pinned
            .clone()
            .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        check_pair(&client, provider, net.cert_key.as_deref().unwrap_or(cert))?;
        b = b.client_cert(Some(client));
    }
    if let Some(provider) = pinned {
        b = b.unversioned_rustls_crypto_provider(provider);
    }
    Ok(b.build())
}

/// For an agent whose hops never use TLS: no root is loaded, and a TLS handshake it were
/// asked for anyway would fail rather than trust a default store the user did not choose.
pub fn refusing() -> TlsConfig {
    TlsConfig::builder()
        .root_certs(RootCerts::Specific(Arc::new(Vec::new())))
        .build()
}

/// ureq panics on a certificate and key that rustls refuses (a key that does not match the
/// certificate, or one the crypto provider cannot sign with), so offer the pair to rustls
/// first, the way ureq will, and turn a refusal into a usage error.
fn check_pair(
    client: &ClientCert,
    provider: Arc<rustls::crypto::CryptoProvider>,
    key_path: &Path,
) -> Result<()> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let unusable = |why: String| {
        usage(format!(
            "cannot use the key in '{}': {why}",
            key_path.display()
        ))
    };
    let chain: Vec<CertificateDer<'static>> = client
        .certs()
        .iter()
        .map(|c| CertificateDer::from(c.der()).into_owned())
        .collect();
    let key = PrivateKeyDer::try_from(client.private_key().der())
        .map_err(|e| unusable(e.to_string()))?
        .clone_key();
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| unusable(e.to_string()))?
        .with_root_certificates(rustls::RootCertStore::empty());
    match builder.with_client_auth_cert(chain, key) {
        Ok(_) => Ok(()),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => Err(
            unusable("it does not match the client certificate (--cert)".into()),
        ),
        Err(rustls::Error::General(why)) => Err(unusable(why)),
        Err(e) => Err(unusable(e.to_string())),
    }
}

fn system_has_roots(env: &Env) -> bool {
    env.var("SSL_CERT_DIR").is_some() || SYSTEM_CA_FILES.iter().any(|f| Path::new(f).is_file())
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        usage(format!(
            "cannot read {what} '{}': {}",
            path.display(),
            crate::error::plain_io(&e)
        ))
    })
}

/// PEM certificates from a file, or from every `.pem`/`.crt` file in a directory.
fn load_roots(path: &Path) -> Result<RootCerts> {
    let mut certs = Vec::new();
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|e| {
            usage(format!(
                "cannot read CA directory '{}': {}",
                path.display(),
                crate::error::plain_io(&e)
            ))
        })?;
        for entry in entries.flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|x| x == "pem" || x == "crt") {
                certs.extend(pem_certs(&read(&p, "CA bundle")?));
            }
        }
    } else {
        certs.extend(pem_certs(&read(path, "CA bundle")?));
    }
    if certs.is_empty() {
        return Err(usage(format!(
            "no PEM certificates found in CA bundle '{}'",
            path.display()
        )));
    }
    Ok(RootCerts::new_with_certs(&certs))
}

fn pem_certs(pem: &[u8]) -> Vec<Certificate<'static>> {
    parse_pem(pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect()
}

/// An encrypted PKCS#8 key (`-----BEGIN ENCRYPTED PRIVATE KEY-----`), decrypted.
fn decrypt_pkcs8(pem: &[u8], pass: &str, path: &Path) -> Result<PrivateKey<'static>> {
    use pkcs8::der::pem::PemLabel;
    let text = std::str::from_utf8(pem)
        .map_err(|_| usage(format!("the key file '{}' is not PEM text", path.display())))?;
    let begin = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
    let end = "-----END ENCRYPTED PRIVATE KEY-----";
    let block = text
        .find(begin)
        .and_then(|a| text[a..].find(end).map(|b| &text[a..a + b + end.len()]))
        .ok_or_else(|| usage(format!("no encrypted key block in '{}'", path.display())))?;
    let (label, doc) = pkcs8::SecretDocument::from_pem(block).map_err(|e| {
        usage(format!(
            "cannot read the encrypted key in '{}': {e}",
            path.display()
        ))
    })?;
    if label != pkcs8::EncryptedPrivateKeyInfo::PEM_LABEL {
        return Err(usage(format!(
            "unexpected PEM block '{label}' in '{}'",
            path.display()
        )));
    }
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes()).map_err(|e| {
        usage(format!(
            "cannot read the encrypted key in '{}': {e}",
            path.display()
        ))
    })?;
    let plain = info.decrypt(pass).map_err(|_| {
        usage(format!(
            "cannot decrypt the key in '{}': wrong passphrase (--cert-key-pass) or unsupported cipher",
            path.display()
        ))
    })?;
    // ureq does not export its key-kind type, so hand it the plain key as PEM.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(plain.as_bytes());
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    PrivateKey::from_pem(pem.as_bytes())
        .map(|k| k.to_owned())
        .map_err(|e| {
            usage(format!(
                "cannot use the decrypted key from '{}': {e}",
                path.display()
            ))
        })
}

fn client_cert(cert: &Path, key: Option<&Path>, passphrase: Option<&str>) -> Result<ClientCert> {
    let cert_pem = read(cert, "client certificate")?;
    let chain = pem_certs(&cert_pem);
    if chain.is_empty() {
        return Err(usage(format!(
            "no PEM certificate found in '{}'",
            cert.display()
        )));
    }
    let key_pem = match key {
        Some(k) => read(k, "client key")?,
        None => cert_pem.clone(),
    };
    let key_path = key.unwrap_or(cert);
    if key_pem.windows(21).any(|w| w == b"ENCRYPTED PRIVATE KEY") {
        let pass = match passphrase {
            Some(p) => p.to_string(),
            None => crate::prompt::passphrase(key_path)?,
        };
        return Ok(ClientCert::new_with_certs(
            &chain,
            decrypt_pkcs8(&key_pem, &pass, key_path)?,
        ));
    }
    if key_pem.windows(9).any(|w| w == b"ENCRYPTED") {
        return Err(usage(format!(
            "the key in '{}' uses the legacy OpenSSL encryption; convert it to encrypted \
             PKCS#8 (openssl pkcs8 -topk8 -in KEY -out KEY8.pem) or decrypt it",
            key_path.display()
        )));
    }
    let key = parse_pem(&key_pem)
        .find_map(|item| match item {
            Ok(PemItem::PrivateKey(k)) => Some(k),
            _ => None,
        })
        .ok_or_else(|| {
            usage(format!(
                "no private key found in '{}' (give it with --cert-key)",
                key_path.display()
            ))
        })?;
    Ok(ClientCert::new_with_certs(
        &chain,
        PrivateKey::to_owned(&key),
    ))
}

/// Pin the TLS version by offering only that version's cipher suites.
fn pinned_provider(version: &str) -> Result<Arc<rustls::crypto::CryptoProvider>> {
    let want = match version.to_ascii_lowercase().as_str() {
        "tls1.2" => &rustls::version::TLS12,
        "tls1.3" => &rustls::version::TLS13,
        "ssl2.3" | "ssl3" | "tls1" | "tls1.1" => {
            return Err(usage(format!(
                "--ssl={version} is not supported: only tls1.2 and tls1.3 are (older versions are insecure)"
            )))
        }
        other => return Err(usage(format!("unknown --ssl version '{other}': use tls1.2 or tls1.3"))),
    };
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites.retain(|s| s.version() == want);
    Ok(Arc::new(provider))
}

/// A certificate problem in words, with what to do about it.
pub fn explain_error(e: &rustls::Error, host: &str) -> String {
    use rustls::AlertDescription as A;
    use rustls::CertificateError as C;
    let cert = match e {
        rustls::Error::InvalidCertificate(cert) => cert,
        rustls::Error::AlertReceived(A::CertificateRequired) => {
            return format!(
                "{host} requires a client certificate: pass it with --cert (and --cert-key)"
            )
        }
        rustls::Error::AlertReceived(A::ProtocolVersion) | rustls::Error::PeerIncompatible(_) => {
            return format!("no TLS version or cipher in common with {host} ({e}); check --ssl")
        }
        // A TLS record never starts with a byte such as the 'H' of "HTTP/1.1 400".
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            let who = if host.starts_with("proxy ") {
                host.to_string()
            } else {
                format!("the server at {host}")
            };
            return format!("{who} does not speak TLS; did you mean http://?");
        }
        _ => return format!("TLS error with {host}: {e}"),
    };
    match cert {
        C::Expired | C::ExpiredContext { .. } => {
            format!("the TLS certificate of {host} has expired ({cert})")
        }
        C::NotValidYet | C::NotValidYetContext { .. } => {
            format!("the TLS certificate of {host} is not valid yet ({cert})")
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            format!("the TLS certificate is not valid for {host} ({cert})")
        }
        C::UnknownIssuer => format!(
            "the TLS certificate of {host} is signed by an unknown authority: pass the CA with \
             --verify=CA.pem, or skip verification with --verify=no (unsafe)"
        ),
        C::Revoked => format!("the TLS certificate of {host} has been revoked"),
        other => format!("invalid TLS certificate from {host}: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssl_versions() {
        assert!(pinned_provider("tls1.3").is_ok());
        assert!(pinned_provider("TLS1.2").is_ok());
        assert!(pinned_provider("tls1.1")
            .unwrap_err()
            .to_string()
            .contains("not supported"));
        assert!(pinned_provider("x")
            .unwrap_err()
            .to_string()
            .contains("unknown --ssl"));
    }

    #[test]
    fn a_plain_text_reply_is_not_tls() {
        let e = rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        assert_eq!(
            explain_error(&e, "localhost:18081"),
            "the server at localhost:18081 does not speak TLS; did you mean http://?"
        );
        assert!(explain_error(&e, "proxy p:1").starts_with("proxy p:1 does not speak TLS"));
    }

    #[test]
    fn missing_files_are_usage_errors() {
        let e = load_roots(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(
            e.to_string()
                .contains("cannot read CA bundle '/nonexistent/ca.pem'"),
            "{e}"
        );
    }
}

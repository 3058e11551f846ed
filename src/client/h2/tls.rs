//! The rustls client configuration of an HTTP/2 connection: the very settings `client::tls`
//! gives ureq (roots, `--verify=no`, client certificate, `--ssl` pinning), built the way ureq
//! builds its own, plus the ALPN protocols to offer.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use ureq::tls::{RootCerts, TlsConfig};

use crate::error::Failure;

/// `h2`, then `http/1.1` unless the server must speak HTTP/2 (prior knowledge).
pub fn alpn(h2_only: bool) -> Vec<Vec<u8>> {
    match h2_only {
        true => vec![b"h2".to_vec()],
        false => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
    }
}

/// A rustls client configuration equal to the one ureq makes from `tls`, offering `alpn`.
pub fn client_config(tls: &TlsConfig, alpn: Vec<Vec<u8>>) -> anyhow::Result<Arc<ClientConfig>> {
    let provider = tls
        .unversioned_rustls_crypto_provider()
        .clone()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let unusable = |e: rustls::Error| Failure::Usage(format!("cannot set up TLS: {e}"));
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(unusable)?;
    let builder = if tls.disable_verification() {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
    } else {
        match tls.root_certs() {
            RootCerts::Specific(certs) => {
                let mut roots = RootCertStore::empty();
                roots
                    .add_parsable_certificates(certs.iter().map(|c| CertificateDer::from(c.der())));
                builder.with_root_certificates(roots)
            }
            RootCerts::PlatformVerifier => {
                let verifier =
                    rustls_platform_verifier::Verifier::new(provider).map_err(unusable)?;
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(verifier))
            }
            // `WebPki`, and any kind a later ureq adds: the bundled Mozilla roots.
            _ => builder.with_root_certificates(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            }),
        }
    };
    let mut config = match tls.client_cert() {
        Some(cert) => {
            let chain = cert
                .certs()
                .iter()
                .map(|c| CertificateDer::from(c.der()).into_owned())
                .collect();
            // `client::tls::config` has already offered this pair to rustls.
            let key = PrivateKeyDer::try_from(cert.private_key().der())
                .map_err(|e| Failure::Usage(format!("cannot use the client key: {e}")))?
                .clone_key();
            builder
                .with_client_auth_cert(chain, key)
                .map_err(unusable)?
        }
        None => builder.with_no_client_auth(),
    };
    config.enable_sni = tls.use_sni();
    config.alpn_protocols = alpn;
    Ok(Arc::new(config))
}

/// The name to verify the certificate against (and to send by SNI unless it is an address).
pub fn server_name(host: &str) -> anyhow::Result<ServerName<'static>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(bare.to_string())
        .map_err(|_| Failure::Usage(format!("invalid TLS server name '{host}'")).into())
}

/// `--verify=no`: any certificate is accepted; signatures are still checked as a handshake
/// needs them, with the provider's algorithms.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

//! The client's server-certificate verifier: any certificate, but a valid handshake signature
//! ([QUIC-2]).
//!
//! Why no chain or name check: a device has no name in a PKI and Orbit does not want one.
//! Devices are authenticated by Orbit itself — by the passcode in PASE pairing and by
//! operational certificates in SIGMA sessions ([SESS-2], [MSG-3]) — identically on every
//! transport. QUIC's TLS therefore only hides metadata (which exchanges run, their sizes'
//! structure) from passive observers; an active attacker can terminate it, and gains nothing
//! because every Orbit message is authenticated end to end above it.
//!
//! Why still check the signature: TLS 1.3's CertificateVerify proves the server holds the key
//! of the certificate it sent. Skipping it would buy nothing, and checking it with ring's
//! provider keeps the TLS handshake a standard one.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, Error, SignatureScheme};

/// Accepts any server certificate; verifies handshake signatures with the provider's
/// algorithms ([QUIC-2]).
#[derive(Debug)]
pub(crate) struct AnyServerCert {
    algorithms: WebPkiSupportedAlgorithms,
}

impl AnyServerCert {
    pub(crate) fn new(provider: &Arc<CryptoProvider>) -> Self {
        Self {
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for AnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        // [QUIC-2]: no chain, name or validity check; Orbit sessions authenticate the device.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        // Not reached: only TLS 1.3 is enabled (QUIC requires it).
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        // [QUIC-2]: the CertificateVerify signature is checked.
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

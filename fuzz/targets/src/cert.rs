//! Certificates and attestation chains (`spec/v1/02-identities.md`, `05-attestation.md`).

use crate::alloc;
use crate::canonical::{self, assert_reencoding};
use orbit_core::attest::AttestationChain;
use orbit_core::cert::{Certificate, TbsCertificate, CERTIFICATE_LIMITS};
use orbit_core::codec::{CborMessage, Value};

/// Target `certificate`: an accepted certificate re-encodes to exactly its input (the signed
/// bytes are kept as received, [CERT-2]); its signed content re-encodes to itself less unknown
/// keys [CBOR-8]; decoding stays within the certificate limits [LIMIT-2]. Checking the
/// signature against its own key and its validity never panics.
pub fn certificate(data: &[u8]) {
    let decoded = alloc::within(
        alloc::decode_budget(&CERTIFICATE_LIMITS),
        "Certificate::decode [CBOR-10] [LIMIT-1]",
        || Certificate::decode(data),
    );
    let Ok(cert) = decoded else {
        return;
    };
    assert_reencoding(data, &cert.to_bytes(), &CERTIFICATE_LIMITS);
    if let Value::Array(items) = cert.to_value() {
        if let Some(Value::Bytes(tbs_bytes)) = items.first() {
            assert_reencoding(tbs_bytes, &cert.tbs().to_bytes(), &TbsCertificate::limits());
        }
    }
    let _ = cert.verify_issued_by(cert.public_key());
    let _ = cert.check_validity(cert.tbs().validity.not_before);
}

/// Target `attestation_chain`: the chain decoder (certificates nested in an array) keeps
/// every certificate's bytes and re-encodes to its input [ATT-2] [LIMIT-2].
pub fn attestation_chain(data: &[u8]) {
    let decoded = alloc::within(
        alloc::decode_budget(&CERTIFICATE_LIMITS) * 4,
        "AttestationChain::decode [CBOR-10] [LIMIT-1]",
        || AttestationChain::decode(data),
    );
    if let Ok(chain) = decoded {
        assert_reencoding(data, &chain.to_bytes(), &orbit_core::codec::Limits::DEFAULT);
    }
}

/// Target `tbs_certificate`: the signed content alone, as a message of its own.
pub fn tbs_certificate(data: &[u8]) {
    let _ = canonical::message::<TbsCertificate>(data);
}

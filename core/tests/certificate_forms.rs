//! The two forms a certificate travels in `[CERT-10]`: a nested array in install-home and in
//! the attestation chain, a byte string in the SIGMA payloads. Each field accepts only its
//! own form.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::attest::AttestationChain;
use orbit_core::cert::{Certificate, HomeAuthority, NodeRole, Validity};
use orbit_core::codec::{encode_value, CborMessage, MapBuilder, Value};
use orbit_core::commission::InstallHome;
use orbit_core::crypto::SeededRandom;
use orbit_core::session::Sigma2Payload;

const NOW: u64 = 1_800_000_000;

fn certificates() -> (Certificate, Certificate) {
    let mut rng = SeededRandom::new(10);
    let mut home = HomeAuthority::create(&mut rng, NOW, 86_400).unwrap();
    let member = home
        .issue_member(&mut rng, 5, NodeRole::DEVICE, Validity::starting(NOW, 3600))
        .unwrap();
    (home.root_cert().clone(), member.cert)
}

fn encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode_value(v, &mut out);
    out
}

// [CERT-10] install-home carries its certificates as arrays; the same certificates wrapped in
// byte strings are rejected.
#[test]
fn install_home_takes_arrays_only() {
    let (root, cert) = certificates();
    let good = InstallHome {
        root: root.clone(),
        certificate: cert.clone(),
        time: NOW,
        admin_node_id: Some(1),
    }
    .to_bytes();
    let decoded = InstallHome::decode(&good).unwrap();
    assert_eq!(decoded.root, root);
    let wrapped = encode(
        &MapBuilder::new()
            .put(0, 3u64)
            .bytes(1, &root.to_bytes())
            .bytes(2, &cert.to_bytes())
            .put(3, NOW)
            .put(4, 1u64)
            .build(),
    );
    assert!(InstallHome::decode(&wrapped).is_err());
}

// [CERT-10] the attestation chain is an array of two certificate arrays, not of byte strings.
#[test]
fn attestation_chain_takes_arrays_only() {
    let (a, b) = certificates();
    let arrays = encode(&Value::Array(vec![a.to_value(), b.to_value()]));
    assert!(AttestationChain::decode(&arrays).is_ok());
    let strings = encode(&Value::Array(vec![
        Value::Bytes(a.to_bytes()),
        Value::Bytes(b.to_bytes()),
    ]));
    assert!(AttestationChain::decode(&strings).is_err());
}

// [CERT-10] the SIGMA payloads carry the certificate as a byte string holding the array's
// encoding; the array itself in its place is rejected.
#[test]
fn sigma_payloads_take_byte_strings_only() {
    let (_, cert) = certificates();
    let good = Sigma2Payload {
        certificate: cert.to_bytes(),
        signature: [7; 64],
        ticket_id: None,
    }
    .to_bytes();
    let decoded = Sigma2Payload::decode(&good).unwrap();
    assert_eq!(Certificate::decode(&decoded.certificate).unwrap(), cert);
    // Same bytes in both forms: the byte string holds exactly the array's encoding.
    assert_eq!(decoded.certificate, encode(&cert.to_value()));
    let nested = encode(
        &MapBuilder::new()
            .put(1, cert.to_value())
            .bytes(2, &[7; 64])
            .build(),
    );
    assert!(Sigma2Payload::decode(&nested).is_err());
}

//! Certificates, homes and device attestation (spec/v1/02-identities.md,
//! spec/v1/05-attestation.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::attest::{
    mint_device, AttestationChain, AttestationProof, DeviceAttestation, TrustStore,
    VendorAuthority, DEV_VENDOR_ID,
};
use orbit_core::cert::{
    validate_operational, CertError, CertKind, Certificate, HomeAuthority, HomeTable, KeyId,
    NodeRole, TbsCertificate, Validity, MIN_HOMES_PER_DEVICE,
};
use orbit_core::crypto::sign::SigningKey;
use orbit_core::crypto::SeededRandom;
use orbit_core::status::Status;
use proptest::prelude::*;

const NOW: u64 = 1_800_000_000;
const YEAR: u64 = 365 * 24 * 3600;

fn home(seed: u64) -> HomeAuthority {
    HomeAuthority::create(&mut SeededRandom::new(seed), NOW - 10, 10 * YEAR).unwrap()
}

// [CERT-2] [CERT-8]
#[test]
fn operational_certificate_validates_under_its_root() {
    let mut h = home(1);
    let mut rng = SeededRandom::new(2);
    let m = h
        .issue_member(
            &mut rng,
            42,
            NodeRole::DEVICE,
            Validity::starting(NOW - 1, YEAR),
        )
        .unwrap();
    let peer = validate_operational(&m.cert, h.root_cert(), Some(h.home_id()), NOW).unwrap();
    assert_eq!(peer.node_id, 42);
    assert_eq!(peer.role, NodeRole::DEVICE);
    assert_eq!(peer.public_key, m.key.public_key());
    assert_eq!(peer.home_id, h.home_id());
    // Round trip through bytes keeps it valid.
    let again = Certificate::decode(&m.cert.to_bytes()).unwrap();
    assert_eq!(again, m.cert);
    validate_operational(&again, h.root_cert(), None, NOW).unwrap();
}

// [CERT-2] [CERT-5] a certificate signed by a key other than the root's is rejected.
#[test]
fn forged_certificate_rejected() {
    let h = home(1);
    let mut rng = SeededRandom::new(3);
    let forger = SigningKey::generate(&mut rng).unwrap();
    let victim = SigningKey::generate(&mut rng).unwrap();
    // Claims the real root as issuer but is signed by the forger.
    let tbs = TbsCertificate {
        kind: CertKind::OPERATIONAL,
        serial: 9,
        subject_key: victim.public_key(),
        issuer: KeyId::of(h.root_cert().public_key()),
        validity: Validity::starting(NOW - 1, YEAR),
        home_id: Some(h.home_id()),
        node_id: Some(7),
        role: Some(NodeRole::CONTROLLER),
        vendor_id: None,
        product_id: None,
    };
    let forged = Certificate::sign(tbs.clone(), &forger);
    let e = validate_operational(&forged, h.root_cert(), None, NOW).unwrap_err();
    assert_eq!(e, CertError::BadSignature);
    assert_eq!(e.status(), Status::INVALID_CERTIFICATE);
    // Naming the forger as issuer does not help either.
    let forged2 = Certificate::sign(
        TbsCertificate {
            issuer: KeyId::of(&forger.public_key()),
            ..tbs
        },
        &forger,
    );
    assert_eq!(
        validate_operational(&forged2, h.root_cert(), None, NOW).unwrap_err(),
        CertError::IssuerMismatch
    );
}

// [CERT-2] flipping any bit of an encoded certificate breaks decoding or validation.
#[test]
fn every_bit_flip_of_a_certificate_is_rejected() {
    let mut h = home(1);
    let m = h
        .issue_member(
            &mut SeededRandom::new(5),
            1,
            NodeRole::DEVICE,
            Validity::starting(NOW - 1, YEAR),
        )
        .unwrap();
    let bytes = m.cert.to_bytes();
    for i in 0..bytes.len() * 8 {
        let mut b = bytes.clone();
        b[i / 8] ^= 1 << (i % 8);
        let ok = Certificate::decode(&b)
            .map_err(|e| e.to_string())
            .and_then(|c| {
                validate_operational(&c, h.root_cert(), None, NOW).map_err(|e| e.to_string())
            });
        assert!(ok.is_err(), "bit {i} flip accepted");
    }
}

// [HOME-3] a member of one home is not accepted by another home's root.
#[test]
fn wrong_home_rejected() {
    let mut a = home(1);
    let b = home(2);
    let m = a
        .issue_member(
            &mut SeededRandom::new(6),
            1,
            NodeRole::CONTROLLER,
            Validity::starting(NOW - 1, YEAR),
        )
        .unwrap();
    let e = validate_operational(&m.cert, b.root_cert(), None, NOW).unwrap_err();
    assert_eq!(e, CertError::IssuerMismatch);
    let e = validate_operational(&m.cert, a.root_cert(), Some(b.home_id()), NOW).unwrap_err();
    assert!(matches!(e, CertError::WrongHome { .. }));
    assert_eq!(e.status(), Status::WRONG_HOME);
}

// [CERT-6]
#[test]
fn expired_and_not_yet_valid_rejected() {
    let mut h = home(1);
    let m = h
        .issue_member(
            &mut SeededRandom::new(7),
            1,
            NodeRole::DEVICE,
            Validity::starting(NOW, 100),
        )
        .unwrap();
    assert!(validate_operational(&m.cert, h.root_cert(), None, NOW + 100).is_ok());
    assert!(matches!(
        validate_operational(&m.cert, h.root_cert(), None, NOW + 101),
        Err(CertError::Expired { .. })
    ));
    assert!(matches!(
        validate_operational(&m.cert, h.root_cert(), None, NOW - 1),
        Err(CertError::Expired { .. })
    ));
}

// [CERT-4] an operational certificate cannot act as a root, nor a root as a member.
#[test]
fn wrong_kinds_rejected() {
    let mut h = home(1);
    let m = h
        .issue_member(
            &mut SeededRandom::new(8),
            1,
            NodeRole::DEVICE,
            Validity::starting(NOW - 1, YEAR),
        )
        .unwrap();
    assert!(matches!(
        validate_operational(&m.cert, &m.cert, None, NOW),
        Err(CertError::WrongKind { .. })
    ));
    assert!(matches!(
        validate_operational(h.root_cert(), h.root_cert(), None, NOW),
        Err(CertError::WrongKind { .. })
    ));
}

// [HOME-5] [HOME-6] a device holds at least five homes at once.
#[test]
fn home_table_holds_five_homes_and_rejects_more_and_duplicates() {
    let mut table = HomeTable::default();
    assert!(table.capacity() >= MIN_HOMES_PER_DEVICE);
    let mut homes: Vec<HomeAuthority> = (0..6).map(|i| home(100 + i)).collect();
    for (i, h) in homes.iter_mut().enumerate().take(MIN_HOMES_PER_DEVICE) {
        let m = h
            .issue_member(
                &mut SeededRandom::new(i as u64),
                1,
                NodeRole::DEVICE,
                Validity::starting(NOW - 1, YEAR),
            )
            .unwrap();
        table.add(m).unwrap();
    }
    assert_eq!(table.len(), 5);
    let extra = homes[5]
        .issue_member(
            &mut SeededRandom::new(99),
            1,
            NodeRole::DEVICE,
            Validity::starting(NOW - 1, YEAR),
        )
        .unwrap();
    assert_eq!(
        table.add(extra.clone()).unwrap_err().status(),
        Status::HOMES_FULL
    );
    let dup = homes[0]
        .issue_member(
            &mut SeededRandom::new(98),
            2,
            NodeRole::DEVICE,
            Validity::starting(NOW - 1, YEAR),
        )
        .unwrap();
    assert!(matches!(table.add(dup), Err(CertError::AlreadyMember(_))));
    table.remove(homes[0].home_id()).unwrap();
    table.add(extra).unwrap();
    assert!(table.get(homes[5].home_id()).is_some());
    assert!(table.get(homes[0].home_id()).is_none());
}

fn dev_chain(seed: u64, pid: u16) -> DeviceAttestation {
    DeviceAttestation::development(
        &mut SeededRandom::new(seed),
        pid,
        77,
        Validity::starting(NOW - 1, YEAR),
    )
    .unwrap()
}

fn dev_trust() -> TrustStore {
    let mut t = TrustStore::new();
    t.add_root(VendorAuthority::development().root().clone())
        .unwrap();
    t
}

// [ATT-3] [ATT-6]
#[test]
fn development_chain_attests_and_proves_possession() {
    let d = dev_chain(1, 0x8001);
    let op = SigningKey::generate(&mut SeededRandom::new(2))
        .unwrap()
        .public_key();
    let (challenge, nonce) = ([1u8; 32], [2u8; 32]);
    let proof = AttestationProof::sign(d.chain.clone(), &d.device_key, &challenge, &nonce, &op);
    let dev = proof
        .verify(&dev_trust(), NOW, &challenge, &nonce, &op)
        .unwrap();
    assert_eq!(
        (dev.vendor_id, dev.product_id, dev.serial),
        (DEV_VENDOR_ID, 0x8001, 77)
    );
    // [ATT-12] the attested serial is the device certificate's own serial (tbs key 2).
    assert_eq!(dev.serial, d.chain.device.tbs().serial);
    // Bound to challenge, nonce and operational key.
    assert_eq!(
        proof.verify(&dev_trust(), NOW, &[9; 32], &nonce, &op),
        Err(CertError::BadSignature)
    );
    assert_eq!(
        proof.verify(&dev_trust(), NOW, &challenge, &[9; 32], &op),
        Err(CertError::BadSignature)
    );
    let other = SigningKey::generate(&mut SeededRandom::new(3))
        .unwrap()
        .public_key();
    assert_eq!(
        proof.verify(&dev_trust(), NOW, &challenge, &nonce, &other),
        Err(CertError::BadSignature)
    );
    // Round trip of the chain.
    assert_eq!(
        AttestationChain::decode(&d.chain.to_bytes()).unwrap(),
        d.chain
    );
}

// [ATT-3] a chain from a root the controller does not trust is rejected.
#[test]
fn untrusted_vendor_rejected() {
    let mut rng = SeededRandom::new(4);
    let rogue = VendorAuthority::generate(
        &mut rng,
        Some(DEV_VENDOR_ID),
        Validity::starting(0, u64::MAX),
    )
    .unwrap();
    let (p, pk) = rogue
        .mint_product(
            &mut rng,
            DEV_VENDOR_ID,
            1,
            Validity::starting(NOW - 1, YEAR),
        )
        .unwrap();
    let d = mint_device(&mut rng, &p, &pk, 1, Validity::starting(NOW - 1, YEAR)).unwrap();
    let e = dev_trust().verify(&d.chain, NOW).unwrap_err();
    assert_eq!(e, CertError::UntrustedRoot);
    assert_eq!(e.status(), Status::ATTESTATION_FAILED);
    assert_eq!(
        TrustStore::new()
            .verify(&dev_chain(1, 1).chain, NOW)
            .unwrap_err(),
        CertError::UntrustedRoot
    );
}

// [ATT-4] IDs must agree down the chain.
#[test]
fn vendor_and_product_mismatches_rejected() {
    let mut rng = SeededRandom::new(5);
    let v = VendorAuthority::development();
    // A product certificate for another vendor under the development root.
    let (p, pk) = v
        .mint_product(&mut rng, 0x1234, 1, Validity::starting(NOW - 1, YEAR))
        .unwrap();
    let d = mint_device(&mut rng, &p, &pk, 1, Validity::starting(NOW - 1, YEAR)).unwrap();
    assert!(matches!(
        dev_trust().verify(&d.chain, NOW),
        Err(CertError::IdMismatch(_))
    ));
    // A device certificate swapped into another product's chain.
    let a = dev_chain(6, 1);
    let b = dev_chain(7, 2);
    let mixed = AttestationChain {
        product: a.chain.product.clone(),
        device: b.chain.device.clone(),
    };
    assert!(dev_trust().verify(&mixed, NOW).is_err());
}

// [CERT-4] a device certificate in the product position is rejected.
#[test]
fn chain_positions_checked() {
    let a = dev_chain(8, 1);
    let swapped = AttestationChain {
        product: a.chain.device.clone(),
        device: a.chain.product.clone(),
    };
    assert!(matches!(
        dev_trust().verify(&swapped, NOW),
        Err(CertError::WrongKind { .. })
    ));
}

proptest! {
    #[test]
    fn certificate_decoder_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Certificate::decode(&bytes);
        let _ = AttestationChain::decode(&bytes);
    }

    #[test]
    fn certificate_round_trips(seed in any::<u64>(), node in any::<u64>(), dur in 0u64..1_000_000_000) {
        let mut h = home(seed);
        let m = h.issue_member(&mut SeededRandom::new(seed ^ 1), node, NodeRole::CONTROLLER, Validity::starting(NOW, dur)).unwrap();
        let bytes = m.cert.to_bytes();
        let back = Certificate::decode(&bytes).unwrap();
        prop_assert_eq!(back.to_bytes(), bytes);
        prop_assert_eq!(back.tbs().node_id, Some(node));
    }
}

// [CERT-3] [CBOR-9] a certificate kind that does not fit a byte (300) decodes as an unknown
// kind and fails validation as a wrong kind, rather than failing to decode; so does a role
// of 300.
#[test]
fn large_unknown_kind_decodes_and_fails_validation() {
    let h = home(1);
    let subject = SigningKey::from_seed(&[9; 32]);
    let tbs = TbsCertificate {
        kind: CertKind(300),
        serial: 5,
        subject_key: subject.public_key(),
        issuer: KeyId::of(&h.root_key().public_key()),
        validity: Validity::starting(NOW - 1, YEAR),
        home_id: Some(h.home_id()),
        node_id: Some(7),
        role: Some(NodeRole(300)),
        vendor_id: None,
        product_id: None,
    };
    let cert = Certificate::sign(tbs, h.root_key());
    let back = Certificate::decode(&cert.to_bytes()).unwrap();
    assert_eq!(back.tbs().kind, CertKind(300));
    assert_eq!(back.tbs().role, Some(NodeRole(300)));
    assert_eq!(back.tbs().kind.to_string(), "unknown(300)");
    let e = validate_operational(&back, h.root_cert(), None, NOW).unwrap_err();
    assert_eq!(
        e,
        CertError::WrongKind {
            expected: CertKind::OPERATIONAL,
            found: CertKind(300)
        }
    );
}

//! Commissioning over the PASE channel (spec/v1/05-attestation.md): attestation, home
//! installation, failures and their reports, limits, decoders, and the published vectors in
//! spec/v1/vectors/commissioning.json (rewritten with ORBIT_REGEN_VECTORS=1).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::attest::{
    attestation_message, mint_device, AttestationChain, AttestationProof, DeviceAttestation,
    TrustStore, VendorAuthority, DEV_VENDOR_ID,
};
use orbit_core::cert::{
    CertError, CertKind, Certificate, HomeAuthority, HomeTable, KeyId, NodeRole, TbsCertificate,
    Validity, MIN_HOMES_PER_DEVICE,
};
use orbit_core::codec::{decode_value, encode_value, CborMessage, Limits, MapBuilder, Value};
use orbit_core::commission::{
    AttestationRequest, AttestationResponse, AttestationVerified, CommissionError, Commissioned,
    CommissionedDevice, Commissioner, CommissioningComplete, ExpectAttestationRequest,
    ExpectAttestationResponse, ExpectComplete, ExpectInstallHome, InstallHome, MessageType,
    NodeAssignment, COMMISSIONING_TIMEOUT,
};
use orbit_core::crypto::sign::{PublicKey, Signature, SigningKey};
use orbit_core::crypto::SeededRandom;
use orbit_core::status::Status;
use proptest::prelude::*;
use std::time::{Duration, Instant};

const NOW: u64 = 1_800_000_000;
const YEAR: u64 = 365 * 24 * 3600;
const PID: u16 = 0x8001;

// ---------------------------------------------------------------------------------------------
// Helpers

/// A device provisioned with a development chain for product `PID`.
fn dev_device(seed: u64) -> DeviceAttestation {
    DeviceAttestation::development(
        &mut SeededRandom::new(seed),
        PID,
        seed,
        Validity::starting(NOW - YEAR, 10 * YEAR),
    )
    .unwrap()
}

/// A controller's trust store holding the development root (tests only, [ATT-7]).
fn dev_trust() -> TrustStore {
    let mut t = TrustStore::new();
    t.add_root(VendorAuthority::development().root().clone())
        .unwrap();
    t
}

fn new_home(seed: u64) -> HomeAuthority {
    HomeAuthority::create(&mut SeededRandom::new(seed), NOW - 10, 10 * YEAR).unwrap()
}

fn assignment(node_id: u64) -> NodeAssignment {
    NodeAssignment {
        node_id,
        validity: Validity::starting(NOW - 1, YEAR),
        admin_node_id: Some(1),
    }
}

/// The status of the commissioning-complete message in `out`.
fn reported(out: &[u8]) -> Status {
    CommissioningComplete::decode(out)
        .expect("a commissioning-complete report")
        .status
}

/// Both sides of one commissioning attempt, driven step by step.
struct Run {
    rng: SeededRandom,
    now: Instant,
    challenge: [u8; 32],
}

impl Run {
    fn new(seed: u64) -> Self {
        let mut challenge = [0u8; 32];
        challenge[..8].copy_from_slice(&seed.to_be_bytes());
        Run {
            rng: SeededRandom::new(seed ^ 0xabcd),
            now: Instant::now(),
            challenge,
        }
    }

    fn controller(&mut self, expected: Option<(u16, u16)>) -> (ExpectAttestationResponse, Vec<u8>) {
        let mut out = Vec::new();
        let state = Commissioner {
            challenge: self.challenge,
            expected_product: expected,
        }
        .start(&mut self.rng, self.now, &mut out)
        .unwrap();
        (state, out)
    }

    fn device(
        &mut self,
        dev: &DeviceAttestation,
        homes: &HomeTable,
        request: &[u8],
    ) -> (Result<ExpectInstallHome, CommissionError>, Vec<u8>) {
        let mut out = Vec::new();
        let r = ExpectAttestationRequest::new(self.challenge, self.now).handle(
            dev,
            homes,
            request,
            &mut self.rng,
            self.now,
            &mut out,
        );
        (r, out)
    }

    /// Runs the attestation half: returns the verified controller state, the device's state
    /// and the device's response bytes.
    fn attest(
        &mut self,
        dev: &DeviceAttestation,
        homes: &HomeTable,
        trust: &TrustStore,
    ) -> (AttestationVerified, ExpectInstallHome, Vec<u8>) {
        let (controller, request) = self.controller(Some((DEV_VENDOR_ID, PID)));
        let (device, response) = self.device(dev, homes, &request);
        let device = device.unwrap();
        let mut out = Vec::new();
        let verified = controller
            .handle(trust, &response, self.now, NOW, &mut out)
            .unwrap();
        assert!(out.is_empty(), "nothing is sent after verification");
        (verified, device, response)
    }
}

/// A full, successful commissioning of `dev` into `home`.
fn commission(
    seed: u64,
    dev: &DeviceAttestation,
    homes: &mut HomeTable,
    home: &mut HomeAuthority,
    node_id: u64,
) -> Result<(CommissionedDevice, Commissioned), (CommissionError, CommissionError)> {
    let mut run = Run::new(seed);
    let (controller, request) = run.controller(Some((DEV_VENDOR_ID, PID)));
    let (device, response) = run.device(dev, homes, &request);
    let device = match device {
        Ok(d) => d,
        Err(e) => {
            let mut out = Vec::new();
            let mine = controller
                .handle(&dev_trust(), &response, run.now, NOW, &mut out)
                .unwrap_err();
            assert!(out.is_empty(), "a report is never answered");
            return Err((mine, e));
        }
    };
    let mut out = Vec::new();
    let verified = controller
        .handle(&dev_trust(), &response, run.now, NOW, &mut out)
        .unwrap();
    let controller = verified
        .install(home, assignment(node_id), run.now, NOW, &mut out)
        .unwrap();
    let mut reply = Vec::new();
    let joined = device.handle(homes, &out, run.now, Some(NOW), &mut reply);
    // The controller learns the outcome from the device's last message, and never answers.
    let mut none = Vec::new();
    let done = controller.handle(&reply, run.now, &mut none);
    assert!(none.is_empty(), "a report is never answered");
    match (done, joined) {
        (Ok(done), Ok(joined)) => Ok((done, joined)),
        (Err(c), Err(d)) => Err((c, d)),
        (c, d) => panic!("the two sides disagree: {c:?} / {d:?}"),
    }
}

/// What a controller waiting for commissioning-complete makes of `report`.
fn controller_receive_report(report: &[u8]) -> CommissionError {
    let mut run = Run::new(99);
    let dev = dev_device(99);
    let homes = HomeTable::default();
    let (verified, _device, _) = run.attest(&dev, &homes, &dev_trust());
    let mut home = new_home(99);
    let mut out = Vec::new();
    let waiting: ExpectComplete = verified
        .install(&mut home, assignment(9), run.now, NOW, &mut out)
        .unwrap();
    let mut none = Vec::new();
    let e = waiting.handle(report, run.now, &mut none).unwrap_err();
    assert!(none.is_empty(), "a report is never answered");
    e
}

// ---------------------------------------------------------------------------------------------
// The happy path

// [COMM-3] [COMM-9] [COMM-7] [COMM-13] the device ends up a member of the home; the controller
// learns the node id and the attested vendor and product.
#[test]
fn full_commissioning_installs_the_home() {
    let dev = dev_device(1);
    let mut homes = HomeTable::default();
    let mut home = new_home(2);
    let (done, joined) = commission(3, &dev, &mut homes, &mut home, 0x42).unwrap();

    assert_eq!(done.node_id, 0x42);
    assert_eq!(done.home_id, home.home_id());
    assert_eq!(done.attested.vendor_id, DEV_VENDOR_ID);
    assert_eq!(done.attested.product_id, PID);
    assert_eq!(done.attested.serial, 1);
    assert_eq!(done.attested.device_key, dev.device_key.public_key());
    assert_eq!(joined.home_id, home.home_id());
    assert_eq!(joined.node_id, 0x42);
    assert_eq!(joined.admin_node_id, Some(1));

    let m = homes.get(home.home_id()).expect("the home is installed");
    assert_eq!(m.node_id(), 0x42);
    assert_eq!(&m.root, home.root_cert());
    assert_eq!(m.cert, done.operational_cert);
    // [HOME-4] the stored key is the one the certificate certifies.
    assert_eq!(m.key.public_key(), *done.operational_cert.public_key());
    // [ATT-9] the attestation key is never the operational key.
    assert_ne!(m.key.public_key(), dev.device_key.public_key());
    let peer = m.validate_peer(&done.operational_cert, NOW).unwrap();
    assert_eq!(peer.role, NodeRole::DEVICE);
}

// [COMM-4] [ATT-6] the device signs exactly challenge, nonce and operational key.
#[test]
fn attestation_response_proves_possession_over_challenge_nonce_and_key() {
    let mut run = Run::new(4);
    let dev = dev_device(4);
    let (_, request) = run.controller(None);
    let nonce = AttestationRequest::decode(&request).unwrap().nonce;
    let (device, response) = run.device(&dev, &HomeTable::default(), &request);
    let device = device.unwrap();
    let resp = AttestationResponse::decode(&response).unwrap();
    assert_eq!(resp.operational_key, device.operational_key());
    assert_eq!(resp.proof.chain, dev.chain);
    dev.device_key
        .public_key()
        .verify(
            &attestation_message(&run.challenge, &nonce, &resp.operational_key),
            &resp.proof.signature,
        )
        .unwrap();
    // A second request gets a different nonce, and the device a different key [COMM-9].
    let (_, request2) = run.controller(None);
    assert_ne!(AttestationRequest::decode(&request2).unwrap().nonce, nonce);
    let (device2, _) = run.device(&dev, &HomeTable::default(), &request2);
    assert_ne!(device2.unwrap().operational_key(), device.operational_key());
}

// [HOME-5] [COMM-13] multi-admin: five homes one after another; the device is a member of all,
// with a distinct operational key in each [HOME-2]; a sixth is refused.
#[test]
fn device_joins_five_homes_one_after_another() {
    let dev = dev_device(5);
    let mut homes = HomeTable::default();
    let mut authorities: Vec<HomeAuthority> = (0..MIN_HOMES_PER_DEVICE as u64)
        .map(|i| new_home(100 + i))
        .collect();
    for (i, home) in authorities.iter_mut().enumerate() {
        let (done, _) = commission(200 + i as u64, &dev, &mut homes, home, 10 + i as u64).unwrap();
        assert_eq!(done.home_id, home.home_id());
    }
    assert_eq!(homes.len(), MIN_HOMES_PER_DEVICE);
    for (i, home) in authorities.iter().enumerate() {
        assert_eq!(homes.get(home.home_id()).unwrap().node_id(), 10 + i as u64);
    }
    let mut keys: Vec<PublicKey> = homes.iter().map(|m| m.key.public_key()).collect();
    keys.sort_by_key(|k| k.0);
    keys.dedup();
    assert_eq!(keys.len(), MIN_HOMES_PER_DEVICE);

    // [COMM-10] the sixth is refused at the attestation request, before any key is made.
    let mut sixth = new_home(300);
    let (controller, device) = commission(301, &dev, &mut homes, &mut sixth, 99).unwrap_err();
    assert_eq!(device, CommissionError::HomesFull { max: 5 });
    assert_eq!(controller, CommissionError::PeerStatus(Status::HOMES_FULL));
    assert_eq!(controller.status(), Status::HOMES_FULL);
    assert!(homes.get(sixth.home_id()).is_none());
    assert_eq!(homes.len(), MIN_HOMES_PER_DEVICE);
    // The refusal is the device's answer to the request itself: no attestation response.
    let mut run = Run::new(302);
    let (_, request) = run.controller(None);
    let (r, out) = run.device(&dev, &homes, &request);
    assert_eq!(r.unwrap_err(), CommissionError::HomesFull { max: 5 });
    assert_eq!(reported(&out), Status::HOMES_FULL);
    assert!(AttestationResponse::decode(&out).is_err());
}

// [HOME-5] [COMM-13] a table that fills up between the request and the install is still
// refused with homes-full, and nothing changes.
#[test]
fn homes_full_at_install_changes_nothing() {
    let dev = dev_device(6);
    let mut homes = HomeTable::default();
    let mut run = Run::new(6);
    let (verified, device, _) = run.attest(&dev, &homes, &dev_trust());
    for i in 0..MIN_HOMES_PER_DEVICE as u64 {
        let mut h = new_home(400 + i);
        commission(500 + i, &dev, &mut homes, &mut h, 7).unwrap();
    }
    let mut home = new_home(6);
    let mut install = Vec::new();
    let controller = verified
        .install(&mut home, assignment(3), run.now, NOW, &mut install)
        .unwrap();
    let mut out = Vec::new();
    let e = device
        .handle(&mut homes, &install, run.now, Some(NOW), &mut out)
        .unwrap_err();
    assert_eq!(e, CommissionError::HomesFull { max: 5 });
    assert_eq!(reported(&out), Status::HOMES_FULL);
    assert_eq!(homes.len(), 5);
    assert!(homes.get(home.home_id()).is_none());
    let e = controller
        .handle(&out, run.now, &mut Vec::new())
        .unwrap_err();
    assert_eq!(e, CommissionError::PeerStatus(Status::HOMES_FULL));
}

// [HOME-6] [COMM-13] commissioning into a home the device already belongs to fails with
// invalid-parameter and keeps the first membership.
#[test]
fn second_commissioning_into_the_same_home_is_refused() {
    let dev = dev_device(7);
    let mut homes = HomeTable::default();
    let mut home = new_home(7);
    commission(70, &dev, &mut homes, &mut home, 1).unwrap();
    let before = homes.get(home.home_id()).unwrap().cert.clone();
    let (controller, device) = commission(71, &dev, &mut homes, &mut home, 2).unwrap_err();
    assert_eq!(device, CommissionError::AlreadyMember(home.home_id()));
    assert_eq!(device.status(), Status::INVALID_PARAMETER);
    assert_eq!(
        controller,
        CommissionError::PeerStatus(Status::INVALID_PARAMETER)
    );
    assert_eq!(homes.len(), 1);
    assert_eq!(homes.get(home.home_id()).unwrap().cert, before);
}

// ---------------------------------------------------------------------------------------------
// Attestation failures: reported as attestation-failed; the device installs nothing.

/// Runs attestation with `trust` and `expected`; returns the controller's error and proves
/// that the device, given the controller's report, ends with the same status and no home.
fn attestation_fails(
    dev: &DeviceAttestation,
    trust: &TrustStore,
    expected: Option<(u16, u16)>,
    now_unix: u64,
) -> CommissionError {
    let mut run = Run::new(8);
    let mut homes = HomeTable::default();
    let (controller, request) = run.controller(expected);
    let (device, response) = run.device(dev, &homes, &request);
    let device = device.unwrap();
    let mut report = Vec::new();
    let e = controller
        .handle(trust, &response, run.now, now_unix, &mut report)
        .unwrap_err();
    assert_eq!(e.status(), Status::ATTESTATION_FAILED, "{e}");
    assert_eq!(reported(&report), Status::ATTESTATION_FAILED);
    // [COMM-14] [COMM-15] the device learns why, answers nothing, keeps nothing.
    let mut none = Vec::new();
    let d = device
        .handle(&mut homes, &report, run.now, Some(NOW), &mut none)
        .unwrap_err();
    assert_eq!(d, CommissionError::PeerStatus(Status::ATTESTATION_FAILED));
    assert!(none.is_empty());
    assert!(homes.is_empty());
    e
}

// [ATT-3] a chain under a root the controller does not trust.
#[test]
fn untrusted_vendor_root_fails_attestation() {
    let mut rng = SeededRandom::new(9);
    let other = VendorAuthority::generate(
        &mut rng,
        Some(DEV_VENDOR_ID),
        Validity::starting(0, u64::MAX / 2),
    )
    .unwrap();
    let mut trust = TrustStore::new();
    trust.add_root(other.root().clone()).unwrap();
    let e = attestation_fails(&dev_device(9), &trust, Some((DEV_VENDOR_ID, PID)), NOW);
    assert_eq!(e, CommissionError::Attestation(CertError::UntrustedRoot));
    // An empty store trusts nothing either: the development root is not built in [ATT-7].
    let e = attestation_fails(&dev_device(9), &TrustStore::new(), None, NOW);
    assert_eq!(e, CommissionError::Attestation(CertError::UntrustedRoot));
}

// [ATT-8] only self-signed vendor roots enter a trust store.
#[test]
fn trust_store_admits_only_self_signed_vendor_roots() {
    let dev = dev_device(34);
    let mut trust = TrustStore::new();
    let e = trust.add_root(dev.chain.product.clone()).unwrap_err();
    assert!(matches!(e, CertError::WrongKind { .. }), "{e}");
    // A vendor-root certificate signed by some other key is refused too.
    let root = VendorAuthority::development().root().clone();
    let forger = SigningKey::from_seed(&[4; 32]);
    let forged = Certificate::sign(root.tbs().clone(), &forger);
    assert_eq!(trust.add_root(forged).unwrap_err(), CertError::BadSignature);
    // With nothing admitted, the device's chain is untrusted.
    let e = attestation_fails(&dev, &trust, None, NOW);
    assert_eq!(e, CommissionError::Attestation(CertError::UntrustedRoot));
}

// [ATT-5] every certificate of the chain must be valid now.
#[test]
fn expired_chain_fails_attestation() {
    let dev = dev_device(10);
    let after = dev.chain.device.tbs().validity.not_after + 1;
    let e = attestation_fails(&dev, &dev_trust(), None, after);
    assert!(
        matches!(e, CommissionError::Attestation(CertError::Expired { .. })),
        "{e}"
    );
}

// [ATT-4] a vendor root naming a vendor certifies only that vendor.
#[test]
fn root_of_another_vendor_fails_attestation() {
    let mut rng = SeededRandom::new(11);
    let validity = Validity::starting(NOW - YEAR, 10 * YEAR);
    let vendor = VendorAuthority::generate(&mut rng, Some(0xFFF2), validity).unwrap();
    let (product, key) = vendor
        .mint_product(&mut rng, DEV_VENDOR_ID, PID, validity)
        .unwrap();
    let dev = mint_device(&mut rng, &product, &key, 1, validity).unwrap();
    let mut trust = TrustStore::new();
    trust.add_root(vendor.root().clone()).unwrap();
    let e = attestation_fails(&dev, &trust, None, NOW);
    assert!(
        matches!(e, CommissionError::Attestation(CertError::IdMismatch(_))),
        "{e}"
    );
}

// [ATT-3] a device certificate issued by another product's key does not chain.
#[test]
fn spliced_chain_fails_attestation() {
    let mut dev = dev_device(12);
    dev.chain.product = dev_device(13).chain.product;
    let e = attestation_fails(&dev, &dev_trust(), None, NOW);
    assert_eq!(e, CommissionError::Attestation(CertError::IssuerMismatch));
}

// [ATT-6] a device that does not hold the certified key cannot prove possession.
#[test]
fn proof_by_another_key_fails_attestation() {
    let mut dev = dev_device(14);
    dev.device_key = dev_device(15).device_key;
    let e = attestation_fails(&dev, &dev_trust(), None, NOW);
    assert_eq!(e, CommissionError::BadAttestationSignature);
}

// [COMM-6] the attested vendor/product must match the setup payload's.
#[test]
fn product_mismatch_with_setup_payload_fails_attestation() {
    let dev = dev_device(16);
    let e = attestation_fails(&dev, &dev_trust(), Some((DEV_VENDOR_ID, PID + 1)), NOW);
    assert_eq!(
        e,
        CommissionError::ProductMismatch {
            expected_vendor: DEV_VENDOR_ID,
            expected_product: PID + 1,
            attested_vendor: DEV_VENDOR_ID,
            attested_product: PID,
        }
    );
    let e = attestation_fails(&dev, &dev_trust(), Some((0xFFF2, PID)), NOW);
    assert!(matches!(e, CommissionError::ProductMismatch { .. }));
}

// [ATT-6] [COMM-5] a proof made in another pairing (other challenge) is rejected, and so is a
// response replayed from an earlier commissioning (other nonce) or with a swapped key.
#[test]
fn proof_from_another_pairing_is_rejected() {
    let dev = dev_device(17);
    let homes = HomeTable::default();

    // The genuine device answers a pairing with challenge A...
    let mut genuine = Run::new(17);
    let (_, request) = genuine.controller(None);
    let (_, response_a) = genuine.device(&dev, &homes, &request);

    // ...and an attacker relays that answer into its own pairing with challenge B.
    let mut victim = Run::new(18);
    assert_ne!(victim.challenge, genuine.challenge);
    let (controller, _) = victim.controller(None);
    let mut report = Vec::new();
    let e = controller
        .handle(&dev_trust(), &response_a, victim.now, NOW, &mut report)
        .unwrap_err();
    assert_eq!(e, CommissionError::BadAttestationSignature);
    assert_eq!(reported(&report), Status::ATTESTATION_FAILED);

    // Same challenge, but a response to an earlier request (another nonce).
    let (_, first_request) = genuine.controller(None);
    let (_, old_response) = genuine.device(&dev, &homes, &first_request);
    let (controller, _) = genuine.controller(None);
    let e = controller
        .handle(
            &dev_trust(),
            &old_response,
            genuine.now,
            NOW,
            &mut Vec::new(),
        )
        .unwrap_err();
    assert_eq!(e, CommissionError::BadAttestationSignature);

    // Same request, but the operational key swapped for the attacker's.
    let (controller, request) = genuine.controller(None);
    let (_, response) = genuine.device(&dev, &homes, &request);
    let mut forged = AttestationResponse::decode(&response).unwrap();
    forged.operational_key = SigningKey::from_seed(&[9; 32]).public_key();
    let e = controller
        .handle(
            &dev_trust(),
            &forged.to_bytes(),
            genuine.now,
            NOW,
            &mut Vec::new(),
        )
        .unwrap_err();
    assert_eq!(e, CommissionError::BadAttestationSignature);
}

// [COMM-8] [COMM-15] the application may decline a genuine device; the device learns the status.
#[test]
fn controller_may_decline_after_attestation() {
    let dev = dev_device(19);
    let mut homes = HomeTable::default();
    let mut run = Run::new(19);
    let (verified, device, _) = run.attest(&dev, &homes, &dev_trust());
    assert_eq!(verified.device().product_id, PID);
    let mut report = Vec::new();
    let e = verified.decline(Status::ATTESTATION_FAILED, &mut report);
    assert_eq!(e, CommissionError::Declined(Status::ATTESTATION_FAILED));
    let d = device
        .handle(&mut homes, &report, run.now, Some(NOW), &mut Vec::new())
        .unwrap_err();
    assert_eq!(d, CommissionError::PeerStatus(Status::ATTESTATION_FAILED));
    assert!(homes.is_empty());
    // Declining with "success" still reports a failure.
    let (verified, _, _) = run.attest(&dev, &homes, &dev_trust());
    let mut report = Vec::new();
    verified.decline(Status::SUCCESS, &mut report);
    assert_eq!(reported(&report), Status::FAILURE);
}

// ---------------------------------------------------------------------------------------------
// Install failures: reported as invalid-certificate; nothing stored, the key discarded.

/// Sends `install` (built from the device's operational key) to a device that attested, and
/// returns its error after checking the report and that nothing was stored.
fn install_fails(
    seed: u64,
    now_unix: Option<u64>,
    build: impl FnOnce(&PublicKey) -> InstallHome,
) -> CommissionError {
    let dev = dev_device(seed);
    let mut homes = HomeTable::default();
    let mut keep = new_home(seed ^ 0xff);
    commission(seed ^ 0xfe, &dev, &mut homes, &mut keep, 5).unwrap();
    let mut run = Run::new(seed);
    let (_, device, _) = run.attest(&dev, &homes, &dev_trust());
    let install = build(&device.operational_key());
    let mut out = Vec::new();
    let e = device
        .handle(&mut homes, &install.to_bytes(), run.now, now_unix, &mut out)
        .unwrap_err();
    assert_eq!(reported(&out), e.status());
    // [COMM-14] the earlier home is untouched and no other was added.
    assert_eq!(homes.len(), 1);
    assert!(homes.get(keep.home_id()).is_some());
    e
}

fn install_for(
    home: &mut HomeAuthority,
    key: &PublicKey,
    role: NodeRole,
    v: Validity,
) -> InstallHome {
    InstallHome {
        root: home.root_cert().clone(),
        certificate: home.issue(key, 77, role, v),
        time: NOW,
        admin_node_id: None,
    }
}

// [COMM-11] [HOME-4] a certificate for another key than the one the device generated.
#[test]
fn certificate_for_another_key_is_rejected() {
    let mut home = new_home(20);
    let e = install_fails(20, Some(NOW), |_| {
        let other = SigningKey::from_seed(&[3; 32]).public_key();
        install_for(
            &mut home,
            &other,
            NodeRole::DEVICE,
            Validity::starting(NOW, YEAR),
        )
    });
    assert_eq!(e, CommissionError::KeyMismatch);
    assert_eq!(e.status(), Status::INVALID_CERTIFICATE);
}

// [COMM-11] the device only accepts the role device.
#[test]
fn certificate_with_controller_role_is_rejected() {
    let mut home = new_home(21);
    let e = install_fails(21, Some(NOW), |k| {
        install_for(
            &mut home,
            k,
            NodeRole::CONTROLLER,
            Validity::starting(NOW, YEAR),
        )
    });
    assert_eq!(e, CommissionError::WrongRole(NodeRole::CONTROLLER));
    assert_eq!(e.status(), Status::INVALID_CERTIFICATE);
}

// [COMM-11] [CERT-8] a certificate that does not chain to the root that comes with it.
#[test]
fn certificate_of_another_root_is_rejected() {
    let home = new_home(22);
    let mut other = new_home(23);
    let e = install_fails(22, Some(NOW), |k| InstallHome {
        root: home.root_cert().clone(),
        certificate: other.issue(k, 1, NodeRole::DEVICE, Validity::starting(NOW, YEAR)),
        time: NOW,
        admin_node_id: None,
    });
    assert_eq!(
        e,
        CommissionError::InvalidCertificate(CertError::IssuerMismatch)
    );
}

// [COMM-11] [CERT-4] an operational certificate in the root's place.
#[test]
fn non_root_as_root_is_rejected() {
    let mut home = new_home(24);
    let e = install_fails(24, Some(NOW), |k| {
        let mut m = install_for(
            &mut home,
            k,
            NodeRole::DEVICE,
            Validity::starting(NOW, YEAR),
        );
        m.root = m.certificate.clone();
        m
    });
    assert!(matches!(
        e,
        CommissionError::InvalidCertificate(CertError::WrongKind { .. })
    ));
}

// [COMM-11] [COMM-12] the device validates at its own time when it has a clock, otherwise at
// the controller's.
#[test]
fn device_validates_at_its_own_time_or_the_controllers() {
    // Certificate valid from NOW; the device's clock is a day behind.
    let mut home = new_home(25);
    let e = install_fails(25, Some(NOW - 86_400), |k| {
        install_for(
            &mut home,
            k,
            NodeRole::DEVICE,
            Validity::starting(NOW, YEAR),
        )
    });
    assert!(matches!(
        e,
        CommissionError::InvalidCertificate(CertError::Expired { .. })
    ));

    // Without a clock the device uses the controller's time and accepts.
    let dev = dev_device(26);
    let mut homes = HomeTable::default();
    let mut run = Run::new(26);
    let (_, device, _) = run.attest(&dev, &homes, &dev_trust());
    let mut home = new_home(26);
    let install = install_for(
        &mut home,
        &device.operational_key(),
        NodeRole::DEVICE,
        Validity::starting(NOW, YEAR),
    );
    let mut out = Vec::new();
    device
        .handle(&mut homes, &install.to_bytes(), run.now, None, &mut out)
        .unwrap();
    assert_eq!(reported(&out), Status::SUCCESS);
    assert!(homes.get(home.home_id()).is_some());

    // ...and rejects when the controller's time is outside the validity.
    let mut home = new_home(27);
    let e = install_fails(27, None, |k| {
        let mut m = install_for(
            &mut home,
            k,
            NodeRole::DEVICE,
            Validity::starting(NOW, YEAR),
        );
        m.time = NOW + 2 * YEAR;
        m
    });
    assert!(matches!(
        e,
        CommissionError::InvalidCertificate(CertError::Expired { .. })
    ));
}

// [COMM-23] [COMM-12] a clock that reads before the firmware's fixed time (a factory default,
// a power loss) is not trusted: the device checks install-home at the controller's time and
// joins, where trusting its 1970 clock would have rejected the certificate as not yet valid.
#[test]
fn a_clock_before_the_floor_is_not_trusted() {
    use orbit_core::commission::{trustworthy_wall_clock, TRUSTWORTHY_CLOCK_FLOOR_UNIX};
    assert_eq!(trustworthy_wall_clock(0), None);
    assert_eq!(
        trustworthy_wall_clock(TRUSTWORTHY_CLOCK_FLOOR_UNIX - 1),
        None
    );
    assert_eq!(
        trustworthy_wall_clock(TRUSTWORTHY_CLOCK_FLOOR_UNIX),
        Some(TRUSTWORTHY_CLOCK_FLOOR_UNIX)
    );
    assert_eq!(trustworthy_wall_clock(NOW), Some(NOW));

    let dev = dev_device(29);
    let mut homes = HomeTable::default();
    let mut run = Run::new(29);
    let (_, device, _) = run.attest(&dev, &homes, &dev_trust());
    let mut home = new_home(29);
    let install = install_for(
        &mut home,
        &device.operational_key(),
        NodeRole::DEVICE,
        Validity::starting(NOW, YEAR),
    );
    let mut out = Vec::new();
    let factory_default_clock = 0;
    device
        .handle(
            &mut homes,
            &install.to_bytes(),
            run.now,
            trustworthy_wall_clock(factory_default_clock),
            &mut out,
        )
        .unwrap();
    assert_eq!(reported(&out), Status::SUCCESS);
    assert!(homes.get(home.home_id()).is_some());
}

// [COMM-14] after a failed attempt the device keeps neither a home nor the operational key:
// the install that would have matched the failed attempt's key is refused in the next one.
#[test]
fn failed_commissioning_leaves_no_partial_state() {
    let dev = dev_device(28);
    let mut homes = HomeTable::default();
    let mut home = new_home(28);

    let mut run = Run::new(28);
    let (verified, device, _) = run.attest(&dev, &homes, &dev_trust());
    let first_key = device.operational_key();
    let mut valid_install = Vec::new();
    verified
        .install(&mut home, assignment(8), run.now, NOW, &mut valid_install)
        .unwrap();
    // The first attempt fails (a corrupted install-home).
    let cert = InstallHome::decode(&valid_install)
        .unwrap()
        .certificate
        .to_bytes();
    let signature = &cert[cert.len() - 64..];
    let at = valid_install
        .windows(64)
        .position(|w| w == signature)
        .unwrap();
    let mut corrupted = valid_install.clone();
    corrupted[at] ^= 1;
    let mut out = Vec::new();
    let e = device
        .handle(&mut homes, &corrupted, run.now, Some(NOW), &mut out)
        .unwrap_err();
    assert_eq!(
        e,
        CommissionError::InvalidCertificate(CertError::BadSignature)
    );
    assert_eq!(reported(&out), Status::INVALID_CERTIFICATE);
    assert!(homes.is_empty());

    // The next attempt generates a new key; the first attempt's install no longer fits.
    let mut run2 = Run::new(29);
    let (_, device, _) = run2.attest(&dev, &homes, &dev_trust());
    assert_ne!(device.operational_key(), first_key);
    let mut out = Vec::new();
    let e = device
        .handle(&mut homes, &valid_install, run2.now, Some(NOW), &mut out)
        .unwrap_err();
    assert_eq!(e, CommissionError::KeyMismatch);
    assert!(homes.is_empty());
}

// [COMM-7] the controller does not send credentials that do not validate; it reports failure.
#[test]
fn controller_refuses_to_send_unusable_credentials() {
    let dev = dev_device(30);
    let homes = HomeTable::default();
    let mut run = Run::new(30);
    let (verified, _, _) = run.attest(&dev, &homes, &dev_trust());
    let mut home = new_home(30);
    let mut out = Vec::new();
    let bad = NodeAssignment {
        node_id: 1,
        validity: Validity::starting(NOW + 10, YEAR),
        admin_node_id: None,
    };
    let e = verified
        .install(&mut home, bad, run.now, NOW, &mut out)
        .unwrap_err();
    assert!(matches!(
        e,
        CommissionError::HomeUnusable(CertError::Expired { .. })
    ));
    assert_eq!(reported(&out), Status::FAILURE);
}

// ---------------------------------------------------------------------------------------------
// Order, timeouts, limits

// [COMM-3] [CBOR-9] every state answers a message of another type (including unknown types,
// small or large) with unexpected-message, and a success report out of place too.
#[test]
fn unexpected_messages_are_reported() {
    let dev = dev_device(31);
    let homes = HomeTable::default();
    let mut run = Run::new(31);
    let (_, request) = run.controller(None);
    let (_, response) = run.device(&dev, &homes, &request);
    let mut home = new_home(31);
    let install = install_for(
        &mut home,
        &SigningKey::from_seed(&[1; 32]).public_key(),
        NodeRole::DEVICE,
        Validity::starting(NOW, YEAR),
    )
    .to_bytes();
    let success = CommissioningComplete {
        status: Status::SUCCESS,
    }
    .to_bytes();
    let unknown = {
        let mut out = Vec::new();
        encode_value(&MapBuilder::new().put(0, 99u8).build(), &mut out);
        out
    };
    // [CBOR-9] a type that does not fit a byte is still a type, and just as unexpected.
    let unknown_300 = {
        let mut out = Vec::new();
        encode_value(&MapBuilder::new().put(0, 300u64).build(), &mut out);
        out
    };

    let check = |r: Result<(), CommissionError>, out: &[u8], found: MessageType| {
        let e = r.unwrap_err();
        assert!(
            matches!(e, CommissionError::UnexpectedMessage { found: f, .. } if f == found),
            "{e}"
        );
        assert_eq!(e.status(), Status::UNEXPECTED_MESSAGE);
        assert_eq!(reported(out), Status::UNEXPECTED_MESSAGE);
    };

    for (msg, ty) in [
        (&response, MessageType::ATTESTATION_RESPONSE),
        (&install, MessageType::INSTALL_HOME),
        (&success, MessageType::COMMISSIONING_COMPLETE),
        (&unknown, MessageType(99)),
        (&unknown_300, MessageType(300)),
    ] {
        let (r, out) = run.device(&dev, &homes, msg);
        check(r.map(drop), &out, ty);
    }
    for (msg, ty) in [
        (&request, MessageType::ATTESTATION_REQUEST),
        (&install, MessageType::INSTALL_HOME),
        (&success, MessageType::COMMISSIONING_COMPLETE),
        (&unknown, MessageType(99)),
        (&unknown_300, MessageType(300)),
    ] {
        let (c, _) = run.controller(None);
        let mut out = Vec::new();
        let r = c
            .handle(&dev_trust(), msg, run.now, NOW, &mut out)
            .map(drop);
        check(r, &out, ty);
    }
    for (msg, ty) in [
        (&request, MessageType::ATTESTATION_REQUEST),
        (&response, MessageType::ATTESTATION_RESPONSE),
        (&success, MessageType::COMMISSIONING_COMPLETE),
        (&unknown, MessageType(99)),
        (&unknown_300, MessageType(300)),
    ] {
        let (_, d, _) = run.attest(&dev, &homes, &dev_trust());
        let mut homes = HomeTable::default();
        let mut out = Vec::new();
        let r = d
            .handle(&mut homes, msg, run.now, Some(NOW), &mut out)
            .map(drop);
        check(r, &out, ty);
        assert!(homes.is_empty());
    }
    for (msg, ty) in [
        (&request, MessageType::ATTESTATION_REQUEST),
        (&response, MessageType::ATTESTATION_RESPONSE),
        (&install, MessageType::INSTALL_HOME),
        (&unknown, MessageType(99)),
        (&unknown_300, MessageType(300)),
    ] {
        let (v, _, _) = run.attest(&dev, &homes, &dev_trust());
        let c = v
            .install(&mut home, assignment(2), run.now, NOW, &mut Vec::new())
            .unwrap();
        let mut out = Vec::new();
        let r = c.handle(msg, run.now, &mut out).map(drop);
        check(r, &out, ty);
    }
}

// [COMM-15] [STATUS-1] a report with a status this version does not know is still a failure,
// kept by number, and never answered.
#[test]
fn unknown_peer_status_is_a_failure() {
    let report = CommissioningComplete {
        status: Status(0x7777),
    }
    .to_bytes();
    let e = controller_receive_report(&report);
    assert_eq!(e, CommissionError::PeerStatus(Status(0x7777)));
    assert_eq!(e.reply_status(), None);
}

// [COMM-16] [LIMIT-3] each state gives up after its deadline: a late message and expire() both
// report timeout. A message exactly at the deadline is still accepted.
#[test]
fn states_time_out() {
    let dev = dev_device(32);
    let homes = HomeTable::default();
    let mut run = Run::new(32);
    let late = run.now + COMMISSIONING_TIMEOUT + Duration::from_millis(1);
    let at = run.now + COMMISSIONING_TIMEOUT;

    let (c, request) = run.controller(None);
    assert_eq!(c.deadline(), at);
    // Device: late request.
    let mut out = Vec::new();
    let e = ExpectAttestationRequest::new(run.challenge, run.now)
        .handle(&dev, &homes, &request, &mut run.rng, late, &mut out)
        .unwrap_err();
    assert!(matches!(e, CommissionError::Timeout { .. }));
    assert_eq!(reported(&out), Status::TIMEOUT);
    // Device: at the deadline, accepted.
    let d = ExpectAttestationRequest::new(run.challenge, run.now)
        .handle(&dev, &homes, &request, &mut run.rng, at, &mut Vec::new())
        .unwrap();
    assert_eq!(d.deadline(), at + COMMISSIONING_TIMEOUT);

    let (_, response) = run.device(&dev, &homes, &request);
    let mut out = Vec::new();
    let e = c
        .handle(&dev_trust(), &response, late, NOW, &mut out)
        .unwrap_err();
    assert_eq!(e.status(), Status::TIMEOUT);
    assert_eq!(reported(&out), Status::TIMEOUT);

    let (v, d, _) = run.attest(&dev, &homes, &dev_trust());
    let mut home = new_home(32);
    let mut out = Vec::new();
    let e = v
        .install(&mut home, assignment(1), late, NOW, &mut out)
        .unwrap_err();
    assert_eq!(e.status(), Status::TIMEOUT);
    assert_eq!(reported(&out), Status::TIMEOUT);
    let mut out = Vec::new();
    let mut homes2 = HomeTable::default();
    let e = d
        .handle(&mut homes2, &[0xa0], late, Some(NOW), &mut out)
        .unwrap_err();
    assert_eq!(e.status(), Status::TIMEOUT);
    assert!(homes2.is_empty());

    let (v, _, _) = run.attest(&dev, &homes, &dev_trust());
    let c = v
        .install(&mut home, assignment(2), run.now, NOW, &mut Vec::new())
        .unwrap();
    assert_eq!(c.node_id(), 2);
    let mut out = Vec::new();
    let e = c.expire(&mut out);
    assert!(matches!(e, CommissionError::Timeout { .. }));
    assert_eq!(reported(&out), Status::TIMEOUT);

    // expire() on every other state.
    for e in [
        {
            let mut out = Vec::new();
            let e = run.controller(None).0.expire(&mut out);
            (e, out)
        },
        {
            let mut out = Vec::new();
            let e = ExpectAttestationRequest::new(run.challenge, run.now).expire(&mut out);
            (e, out)
        },
        {
            let mut out = Vec::new();
            let e = run.attest(&dev, &homes, &dev_trust()).0.expire(&mut out);
            (e, out)
        },
        {
            let mut out = Vec::new();
            let e = run.attest(&dev, &homes, &dev_trust()).1.expire(&mut out);
            (e, out)
        },
    ] {
        assert!(matches!(e.0, CommissionError::Timeout { .. }));
        assert_eq!(reported(&e.1), Status::TIMEOUT);
    }
}

// [COMM-18] [CBOR-10] per-message limits: an attestation request padded beyond 128 bytes is
// refused with resource-exhausted; [CBOR-8] a small unknown field is ignored.
#[test]
fn per_message_limits_and_unknown_fields() {
    let dev = dev_device(33);
    let homes = HomeTable::default();
    let mut run = Run::new(33);
    let padded = |n: usize| {
        let v = MapBuilder::new()
            .put(0, 1u8)
            .bytes(1, &[5; 32])
            .bytes(9, &vec![0; n])
            .build();
        let mut out = Vec::new();
        encode_value(&v, &mut out);
        out
    };
    let (r, out) = run.device(&dev, &homes, &padded(4));
    assert!(r.is_ok(), "unknown keys are ignored");
    assert!(AttestationResponse::decode(&out).is_ok());
    let (r, out) = run.device(&dev, &homes, &padded(100));
    let e = r.unwrap_err();
    assert_eq!(e.status(), Status::RESOURCE_EXHAUSTED, "{e}");
    assert_eq!(reported(&out), Status::RESOURCE_EXHAUSTED);
    // Beyond the envelope limit as well.
    let (r, _) = run.device(&dev, &homes, &padded(2000));
    assert_eq!(r.unwrap_err().status(), Status::RESOURCE_EXHAUSTED);
    // A malformed message is invalid-message.
    let (r, out) = run.device(&dev, &homes, &[0xa1, 0x00]);
    assert_eq!(r.unwrap_err().status(), Status::INVALID_MESSAGE);
    assert_eq!(reported(&out), Status::INVALID_MESSAGE);
    // The real messages fit their limits with room to spare.
    let (_, response) = run.device(&dev, &homes, &padded(0));
    assert!(response.len() < AttestationResponse::limits().max_message / 2);
    let limits: [Limits; 4] = [
        AttestationRequest::limits(),
        AttestationResponse::limits(),
        InstallHome::limits(),
        CommissioningComplete::limits(),
    ];
    assert!(limits.iter().all(|l| l.max_message <= 1280));
}

// ---------------------------------------------------------------------------------------------
// Codec properties

fn arb_cert() -> impl Strategy<Value = Certificate> {
    (
        any::<u64>(),
        any::<u64>(),
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
        any::<(u64, u64)>(),
        proptest::option::of(any::<u64>()),
        proptest::option::of(any::<(u64, u64)>()),
        proptest::option::of(any::<(u16, u16)>()),
    )
        .prop_map(
            |(kind, serial, subject, issuer, (nb, na), home, node, ids)| {
                let issuer = SigningKey::from_seed(&issuer);
                let tbs = TbsCertificate {
                    kind: CertKind(kind),
                    serial,
                    subject_key: PublicKey(subject),
                    issuer: KeyId::of(&issuer.public_key()),
                    validity: Validity {
                        not_before: nb,
                        not_after: na,
                    },
                    home_id: home,
                    node_id: node.map(|n| n.0),
                    role: node.map(|n| NodeRole(n.1)),
                    vendor_id: ids.map(|i| i.0),
                    product_id: ids.map(|i| i.1),
                };
                Certificate::sign(tbs, &issuer)
            },
        )
}

fn arb_response() -> impl Strategy<Value = AttestationResponse> {
    (
        arb_cert(),
        arb_cert(),
        any::<[u8; 32]>(),
        proptest::collection::vec(any::<u8>(), 64),
    )
        .prop_map(|(product, device, key, sig)| AttestationResponse {
            proof: AttestationProof {
                chain: AttestationChain { product, device },
                signature: Signature::from_slice(&sig).unwrap(),
            },
            operational_key: PublicKey(key),
        })
}

fn arb_install() -> impl Strategy<Value = InstallHome> {
    (
        arb_cert(),
        arb_cert(),
        any::<u64>(),
        proptest::option::of(any::<u64>()),
    )
        .prop_map(|(root, certificate, time, admin_node_id)| InstallHome {
            root,
            certificate,
            time,
            admin_node_id,
        })
}

/// Decodes `bytes` as every commissioning message; none may panic.
fn decode_all(bytes: &[u8]) {
    let _ = AttestationRequest::decode(bytes);
    let _ = AttestationResponse::decode(bytes);
    let _ = InstallHome::decode(bytes);
    let _ = CommissioningComplete::decode(bytes);
}

/// Feeds `bytes` to every state; each returns a result (never panics), and every failure
/// leaves a decodable report unless it was the peer's own report.
fn feed_all(bytes: &[u8]) {
    let dev = dev_device(40);
    let mut homes = HomeTable::default();
    let mut run = Run::new(40);
    let expect_report = |e: &CommissionError, out: &[u8]| match e.reply_status() {
        Some(s) => assert_eq!(reported(out), s),
        None => assert!(out.is_empty()),
    };
    let (r, out) = run.device(&dev, &homes, bytes);
    if let Err(e) = &r {
        expect_report(e, &out);
    }
    let (c, _) = run.controller(None);
    let mut out = Vec::new();
    if let Err(e) = c.handle(&dev_trust(), bytes, run.now, NOW, &mut out) {
        expect_report(&e, &out);
    }
    let (v, d, _) = run.attest(&dev, &homes, &dev_trust());
    let mut out = Vec::new();
    match d.handle(&mut homes, bytes, run.now, Some(NOW), &mut out) {
        Err(e) => {
            expect_report(&e, &out);
            assert!(homes.is_empty());
        }
        Ok(_) => assert_eq!(homes.len(), 1),
    }
    let mut home = new_home(40);
    let c = v
        .install(&mut home, assignment(1), run.now, NOW, &mut Vec::new())
        .unwrap();
    let mut out = Vec::new();
    if let Err(e) = c.handle(bytes, run.now, &mut out) {
        expect_report(&e, &out);
    }
}

/// One valid message of each type, for mutation.
fn sample_messages() -> Vec<Vec<u8>> {
    let dev = dev_device(41);
    let homes = HomeTable::default();
    let mut run = Run::new(41);
    let (c, request) = run.controller(None);
    let (d, response) = run.device(&dev, &homes, &request);
    let v = c
        .handle(&dev_trust(), &response, run.now, NOW, &mut Vec::new())
        .unwrap();
    let mut install = Vec::new();
    let mut home = new_home(41);
    v.install(&mut home, assignment(1), run.now, NOW, &mut install)
        .unwrap();
    let mut complete = Vec::new();
    d.unwrap()
        .handle(
            &mut HomeTable::default(),
            &install,
            run.now,
            Some(NOW),
            &mut complete,
        )
        .unwrap();
    vec![request, response, install, complete]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    // [COMM-2] encode then decode gives the same value, and the encoding is canonical
    // ([CBOR-1]: decoding it again and re-encoding gives the same bytes).
    #[test]
    fn attestation_request_round_trips(nonce in any::<[u8; 32]>()) {
        let m = AttestationRequest { nonce };
        let bytes = m.to_bytes();
        prop_assert_eq!(AttestationRequest::decode(&bytes).unwrap(), m);
    }

    #[test]
    fn attestation_response_round_trips(m in arb_response()) {
        let bytes = m.to_bytes();
        let back = AttestationResponse::decode(&bytes).unwrap();
        prop_assert_eq!(back.to_bytes(), bytes);
        prop_assert_eq!(back, m);
    }

    #[test]
    fn install_home_round_trips(m in arb_install()) {
        let bytes = m.to_bytes();
        let back = InstallHome::decode(&bytes).unwrap();
        prop_assert_eq!(back.to_bytes(), bytes);
        prop_assert_eq!(back, m);
    }

    #[test]
    fn commissioning_complete_round_trips(code in any::<u16>()) {
        let m = CommissioningComplete { status: Status(code) };
        prop_assert_eq!(CommissioningComplete::decode(&m.to_bytes()).unwrap(), m);
    }

    // Every decoder is total on arbitrary bytes; when one accepts, re-encoding decodes to the
    // same value.
    #[test]
    fn decoders_are_total(bytes in proptest::collection::vec(any::<u8>(), 0..1400)) {
        decode_all(&bytes);
        if let Ok(m) = CommissioningComplete::decode(&bytes) {
            prop_assert_eq!(CommissioningComplete::decode(&m.to_bytes()).unwrap(), m);
        }
        if let Ok(m) = AttestationRequest::decode(&bytes) {
            prop_assert_eq!(AttestationRequest::decode(&m.to_bytes()).unwrap(), m);
        }
    }

    // Decoders and states are total on mutations of valid messages (which reach deeper
    // than random bytes do).
    #[test]
    fn states_are_total_on_mutated_messages(
        which in 0usize..4,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut m = SAMPLES.with(|s| s[which].clone());
        for (i, x) in flips {
            let i = i.index(m.len());
            m[i] ^= x;
        }
        if truncate {
            m.truncate(cut.index(m.len() + 1));
        }
        decode_all(&m);
        feed_all(&m);
    }

    #[test]
    fn states_are_total_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        feed_all(&bytes);
    }
}

thread_local! {
    static SAMPLES: Vec<Vec<u8>> = sample_messages();
}

// ---------------------------------------------------------------------------------------------
// Vectors and spec examples

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../spec/v1/vectors/commissioning.json"
);
const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/v1/05-attestation.md");

/// CBOR diagnostic notation (RFC 8949 §8) of `v`, broken over lines when long.
fn diag(v: &Value, indent: usize) -> String {
    let flat = diag_flat(v);
    if flat.len() + indent <= 96 {
        return flat;
    }
    let pad = " ".repeat(indent + 2);
    let close = " ".repeat(indent);
    match v {
        Value::Array(items) => {
            let inner: Vec<String> = items
                .iter()
                .map(|i| format!("{pad}{}", diag(i, indent + 2)))
                .collect();
            format!("[\n{}\n{close}]", inner.join(",\n"))
        }
        Value::Map(entries) => {
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| {
                    let key = diag_flat(k);
                    format!("{pad}{key}: {}", diag(v, indent + 2))
                })
                .collect();
            format!("{{\n{}\n{close}}}", inner.join(",\n"))
        }
        _ => flat,
    }
}

fn diag_flat(v: &Value) -> String {
    match v {
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Bytes(b) => format!("h'{}'", hex::encode(b)),
        Value::Text(t) => format!("{t:?}"),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(diag_flat).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Map(entries) => {
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", diag_flat(k), diag_flat(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        other => panic!("outside the profile: {other:?}"),
    }
}

fn message_json(bytes: &[u8]) -> serde_json::Value {
    let v = decode_value(bytes, &Limits::DEFAULT).unwrap();
    serde_json::json!({ "hex": hex::encode(bytes), "diagnostic": diag(&v, 0) })
}

/// A full commissioning with fixed randomness and time, every input and message recorded.
fn compute_vectors() -> serde_json::Value {
    fn h(b: impl AsRef<[u8]>) -> String {
        hex::encode(b)
    }
    let mut rng = SeededRandom::new(0xc0_0001);
    let now = Instant::now();
    let validity = Validity::starting(NOW, 10 * YEAR);
    let dev = DeviceAttestation::development(&mut rng, PID, 1, validity).unwrap();
    let mut home = HomeAuthority::create(&mut rng, NOW, 20 * YEAR).unwrap();
    let challenge = orbit_core::crypto::hash::sha256(&[b"orbit v1 commissioning vector challenge"]);
    let node = NodeAssignment {
        node_id: 0x0102_0304,
        validity: Validity::starting(NOW, YEAR),
        admin_node_id: Some(1),
    };
    let mut homes = HomeTable::default();

    let mut request = Vec::new();
    let controller = Commissioner {
        challenge,
        expected_product: Some((DEV_VENDOR_ID, PID)),
    }
    .start(&mut rng, now, &mut request)
    .unwrap();
    let nonce = AttestationRequest::decode(&request).unwrap().nonce;
    let mut response = Vec::new();
    let device = ExpectAttestationRequest::new(challenge, now)
        .handle(&dev, &homes, &request, &mut rng, now, &mut response)
        .unwrap();
    let op_key = device.operational_key();
    let mut install = Vec::new();
    let controller = controller
        .handle(&dev_trust(), &response, now, NOW, &mut install)
        .unwrap()
        .install(&mut home, node, now, NOW, &mut install)
        .unwrap();
    let mut complete = Vec::new();
    device
        .handle(&mut homes, &install, now, Some(NOW), &mut complete)
        .unwrap();
    let done = controller.handle(&complete, now, &mut Vec::new()).unwrap();
    let op_seed = homes.get(home.home_id()).unwrap().key.seed().to_vec();
    let failure = CommissioningComplete {
        status: Status::ATTESTATION_FAILED,
    }
    .to_bytes();

    serde_json::json!({
        "description": "Orbit v1 commissioning (spec/v1/05-attestation.md): one full exchange over the PASE channel (plaintexts, before channel protection) made with SeededRandom(0xc00001) at now_unix = 1800000000. Random values drawn in order: device attestation (development chain, product 0x8001, serial 1), home root key and home_id, the controller's nonce, the device's operational key. Key seeds are Ed25519 secret seeds (RFC 8032).",
        "source": "generated by core/tests/commissioning.rs",
        "inputs": {
            "now_unix": NOW,
            "attestation_challenge": h(challenge),
            "vendor_root": h(VendorAuthority::development().root().to_bytes()),
            "device_attestation_chain": h(dev.chain.to_bytes()),
            "device_attestation_key_seed": h(dev.device_key.seed()),
            "home_root_key_seed": h(home.root_key().seed()),
            "home_root": h(home.root_cert().to_bytes()),
            "home_id": format!("{:016x}", home.home_id()),
            "nonce": h(nonce),
            "operational_key_seed": h(op_seed),
            "operational_public_key": h(op_key.0),
            "node_id": node.node_id,
            "admin_node_id": 1,
            "certificate_validity": [node.validity.not_before, node.validity.not_after],
            "expected_product": [DEV_VENDOR_ID, PID],
        },
        "attestation_message": h(attestation_message(&challenge, &nonce, &op_key)),
        "operational_certificate": h(done.operational_cert.to_bytes()),
        "messages": {
            "attestation_request": message_json(&request),
            "attestation_response": message_json(&response),
            "install_home": message_json(&install),
            "commissioning_complete": message_json(&complete),
            "commissioning_failed_attestation": message_json(&failure),
        }
    })
}

// The vectors file and the code agree; with ORBIT_REGEN_VECTORS=1 the file is rewritten.
#[test]
fn commissioning_vectors_match_spec() {
    let fresh = compute_vectors();
    if std::env::var_os("ORBIT_REGEN_VECTORS").is_some() {
        std::fs::write(
            VECTORS,
            serde_json::to_string_pretty(&fresh).unwrap() + "\n",
        )
        .unwrap();
        return;
    }
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(VECTORS).unwrap()).unwrap();
    assert_eq!(
        on_disk, fresh,
        "spec/v1/vectors/commissioning.json is stale: rerun with ORBIT_REGEN_VECTORS=1"
    );
}

// The other way: the file's messages, fed to the state machines with the file's inputs,
// are accepted, and each side answers exactly the file's next message.
#[test]
fn commissioning_vectors_replay_through_both_sides() {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(VECTORS).unwrap()).unwrap();
    let bytes = |p: &str| hex::decode(v.pointer(p).unwrap().as_str().unwrap()).unwrap();
    let challenge: [u8; 32] = bytes("/inputs/attestation_challenge").try_into().unwrap();
    let now = Instant::now();
    let now_unix = v["inputs"]["now_unix"].as_u64().unwrap();
    let chain = AttestationChain::decode(&bytes("/inputs/device_attestation_chain")).unwrap();
    let dev = DeviceAttestation {
        chain,
        device_key: SigningKey::from_seed(
            &bytes("/inputs/device_attestation_key_seed")
                .try_into()
                .unwrap(),
        ),
    };
    let request = bytes("/messages/attestation_request/hex");
    let response = bytes("/messages/attestation_response/hex");
    let install = bytes("/messages/install_home/hex");
    let complete = bytes("/messages/commissioning_complete/hex");

    // The device, with the file's operational key seed as its randomness.
    struct Fixed(Vec<u8>);
    impl orbit_core::crypto::Random for Fixed {
        fn fill(&mut self, dest: &mut [u8]) -> Result<(), orbit_core::crypto::CryptoError> {
            dest.copy_from_slice(&self.0[..dest.len()]);
            self.0.drain(..dest.len());
            Ok(())
        }
    }
    let mut homes = HomeTable::default();
    let mut out = Vec::new();
    let device = ExpectAttestationRequest::new(challenge, now)
        .handle(
            &dev,
            &homes,
            &request,
            &mut Fixed(bytes("/inputs/operational_key_seed")),
            now,
            &mut out,
        )
        .unwrap();
    assert_eq!(out, response);
    out.clear();
    let joined = device
        .handle(&mut homes, &install, now, Some(now_unix), &mut out)
        .unwrap();
    assert_eq!(out, complete);
    assert_eq!(joined.node_id, v["inputs"]["node_id"].as_u64().unwrap());

    // The controller, with the file's nonce and home root key.
    let mut out = Vec::new();
    let controller = Commissioner {
        challenge,
        expected_product: Some((DEV_VENDOR_ID, PID)),
    }
    .start(&mut Fixed(bytes("/inputs/nonce")), now, &mut out)
    .unwrap();
    assert_eq!(out, request);
    let root = Certificate::decode(&bytes("/inputs/home_root")).unwrap();
    let mut home = HomeAuthority::from_parts(
        SigningKey::from_seed(&bytes("/inputs/home_root_key_seed").try_into().unwrap()),
        root,
        2,
    );
    let validity = v["inputs"]["certificate_validity"].as_array().unwrap();
    let node = NodeAssignment {
        node_id: v["inputs"]["node_id"].as_u64().unwrap(),
        validity: Validity {
            not_before: validity[0].as_u64().unwrap(),
            not_after: validity[1].as_u64().unwrap(),
        },
        admin_node_id: Some(1),
    };
    let mut out = Vec::new();
    let controller = controller
        .handle(&dev_trust(), &response, now, now_unix, &mut out)
        .unwrap()
        .install(&mut home, node, now, now_unix, &mut out)
        .unwrap();
    assert_eq!(out, install);
    let done = controller.handle(&complete, now, &mut Vec::new()).unwrap();
    assert_eq!(
        done.operational_cert.to_bytes(),
        bytes("/operational_certificate")
    );
}

// The examples in spec/v1/05-attestation.md are the code's output: every message's
// diagnostic notation and hex from the vectors appears there verbatim.
#[test]
fn spec_examples_are_generated_by_the_code() {
    let spec = std::fs::read_to_string(SPEC).unwrap();
    let fresh = compute_vectors();
    for extra in [
        fresh["attestation_message"].as_str().unwrap(),
        fresh["inputs"]["vendor_root"].as_str().unwrap(),
    ] {
        assert!(spec.contains(extra), "05-attestation.md lacks {extra}");
    }
    for (name, m) in fresh["messages"].as_object().unwrap() {
        let hex = m["hex"].as_str().unwrap();
        let diagnostic = m["diagnostic"].as_str().unwrap();
        assert!(
            spec.contains(hex),
            "05-attestation.md lacks the hex of {name}:\n{hex}"
        );
        assert!(
            spec.contains(diagnostic),
            "05-attestation.md lacks the diagnostic of {name}:\n{diagnostic}"
        );
    }
}

/// A certificate value `[tbs, signature]` whose `tbs` is exactly `tbs_len` bytes (padded with
/// unknown fields, [CBOR-8]); the signature is not checked by decoding.
fn padded_cert_value(kind: CertKind, tbs_len: usize) -> Value {
    let tbs = TbsCertificate {
        kind,
        serial: 1,
        subject_key: PublicKey([1; 32]),
        issuer: KeyId([2; 8]),
        validity: Validity::starting(NOW, YEAR),
        home_id: None,
        node_id: None,
        role: None,
        vendor_id: Some(DEV_VENDOR_ID),
        product_id: Some(PID),
    };
    let Value::Map(base) = tbs.to_value() else {
        panic!()
    };
    let encode = |pad: usize| {
        let mut entries = base.clone();
        let first = pad.min(200);
        entries.push((Value::Integer(20.into()), Value::Bytes(vec![0xab; first])));
        entries.push((
            Value::Integer(21.into()),
            Value::Bytes(vec![0xcd; pad - first]),
        ));
        let mut out = Vec::new();
        encode_value(&Value::Map(entries), &mut out);
        out
    };
    let tbs_bytes = (0..tbs_len)
        .map(encode)
        .find(|b| b.len() == tbs_len)
        .unwrap();
    Value::Array(vec![Value::Bytes(tbs_bytes), Value::Bytes(vec![0; 64])])
}

/// An attestation response whose chain holds two certificates with `tbs_len`-byte contents.
fn response_with_chain(tbs_len: usize) -> (Vec<u8>, usize) {
    let chain = Value::Array(vec![
        padded_cert_value(CertKind::PRODUCT, tbs_len),
        padded_cert_value(CertKind::DEVICE, tbs_len),
    ]);
    let mut chain_bytes = Vec::new();
    encode_value(&chain, &mut chain_bytes);
    let v = MapBuilder::new()
        .put(0, 2u8)
        .put(1, chain)
        .bytes(2, &[3; 32])
        .bytes(3, &[4; 64])
        .build();
    let mut out = Vec::new();
    encode_value(&v, &mut out);
    (out, chain_bytes.len())
}

// [LIMIT-2] [ATT-2] an attestation chain is at most 1024 bytes on the path it is received on
// (inside an attestation response), not only when decoded alone: a chain of 1025 bytes or
// more in a response that is within the response's own limits is refused with
// resource-exhausted, by the decoder and by the controller, which reports it.
#[test]
fn oversized_chain_in_attestation_response_is_refused() {
    // Within the limit: decodes.
    let (ok, chain_len) = response_with_chain(400);
    assert!(chain_len <= 1024, "{chain_len}");
    assert!(AttestationResponse::decode(&ok).is_ok());

    let (big, chain_len) = response_with_chain(480);
    assert!(chain_len > 1024, "{chain_len}");
    assert!(big.len() <= AttestationResponse::limits().max_message);
    let e = AttestationResponse::decode(&big).unwrap_err();
    assert_eq!(e.status(), Status::RESOURCE_EXHAUSTED, "{e}");

    let mut run = Run::new(34);
    let (c, _) = run.controller(None);
    let mut out = Vec::new();
    let e = c
        .handle(&dev_trust(), &big, run.now, NOW, &mut out)
        .map(drop)
        .unwrap_err();
    assert_eq!(e.status(), Status::RESOURCE_EXHAUSTED, "{e}");
    assert_eq!(reported(&out), Status::RESOURCE_EXHAUSTED);
}

//! Commissioning over the PASE channel: each message's decoder and each state's input
//! (`spec/v1/05-attestation.md`).

use crate::flow::{self, decoder_targets, Script};
use orbit_core::attest::{DeviceAttestation, TrustStore, VendorAuthority, DEV_VENDOR_ID};
use orbit_core::cert::{HomeAuthority, HomeTable, Validity};
use orbit_core::codec::CborMessage;
use orbit_core::commission::{
    AttestationRequest, AttestationResponse, CommissionError, Commissioner, CommissioningComplete,
    ExpectAttestationRequest, InstallHome, NodeAssignment,
};
use orbit_core::crypto::SeededRandom;
use orbit_core::status::Status;
use std::time::Instant;

decoder_targets! {
    /// Target `commissioning_attestation_request`.
    attestation_request: AttestationRequest;
    /// Target `commissioning_attestation_response`.
    attestation_response: AttestationResponse;
    /// Target `commissioning_install_home`.
    install_home: InstallHome;
    /// Target `commissioning_complete`.
    complete: CommissioningComplete;
}

const UNIX: u64 = 1_800_000_000;
const PRODUCT: u16 = 0x8001;

/// The honest messages of one commissioning, in order: attestation-request,
/// attestation-response, install-home, commissioning-complete.
pub fn honest_messages() -> Vec<Vec<u8>> {
    flow::honest_messages(run_flow)
}

/// Target `commissioning_flow`: the first byte picks a step (0..=3) of an honest
/// commissioning whose message is replaced by the rest of the input. A refusal is a typed
/// error and whatever the refusing side appended is one commissioning-complete carrying a
/// failure status [COMM-15]; a device that refuses install-home keeps no home [COMM-14];
/// when both sides finish they agree on the node and the home [COMM-7].
pub fn flow(data: &[u8]) {
    flow::with_fault(data, 4, run_flow);
}

fn refused(error: &CommissionError, out: &[u8]) {
    match error.reply_status() {
        Some(status) => {
            assert_ne!(status, Status::SUCCESS);
            assert_eq!(
                CommissioningComplete::decode(out),
                Ok(CommissioningComplete { status }),
                "a refusal must send exactly its report [COMM-15]"
            );
        }
        None => assert!(
            out.is_empty(),
            "a peer's report is never answered [COMM-15]"
        ),
    }
}

fn run_flow(script: &mut Script) {
    let now = Instant::now();
    let mut rng = SeededRandom::new(4);
    let challenge = [7u8; 32];
    let Ok(lamp) =
        DeviceAttestation::development(&mut rng, PRODUCT, 1, Validity::starting(UNIX, 86_400))
    else {
        return;
    };
    let mut lamp_homes = HomeTable::default();
    let mut trust = TrustStore::new();
    if trust
        .add_root(VendorAuthority::development().root().clone())
        .is_err()
    {
        return;
    }
    let Ok(mut home) = HomeAuthority::create(&mut rng, UNIX, 86_400 * 365) else {
        return;
    };

    let mut out = Vec::new();
    let commissioner = Commissioner {
        challenge,
        expected_product: Some((DEV_VENDOR_ID, PRODUCT)),
    };
    let Ok(phone) = commissioner.start(&mut rng, now, &mut out) else {
        return;
    };
    let m0 = script.deliver(0, std::mem::take(&mut out));
    let lamp_state = match ExpectAttestationRequest::new(challenge, now).handle(
        &lamp,
        &lamp_homes,
        &m0,
        &mut rng,
        now,
        &mut out,
    ) {
        Ok(s) => s,
        Err(e) => return refused(&e, &out),
    };
    let m1 = script.deliver(1, std::mem::take(&mut out));
    let verified = match phone.handle(&trust, &m1, now, UNIX, &mut out) {
        Ok(v) => v,
        Err(e) => return refused(&e, &out),
    };
    let assignment = NodeAssignment {
        node_id: 0x42,
        validity: Validity::starting(UNIX, 86_400 * 365),
        admin_node_id: Some(1),
    };
    let phone = match verified.install(&mut home, assignment, now, UNIX, &mut out) {
        Ok(p) => p,
        Err(e) => return refused(&e, &out),
    };
    let m2 = script.deliver(2, std::mem::take(&mut out));
    let joined = match lamp_state.handle(&mut lamp_homes, &m2, now, Some(UNIX), &mut out) {
        Ok(j) => j,
        Err(e) => {
            assert!(
                lamp_homes.is_empty(),
                "a refused install kept a home [COMM-14]"
            );
            return refused(&e, &out);
        }
    };
    let m3 = script.deliver(3, std::mem::take(&mut out));
    match phone.handle(&m3, now, &mut out) {
        Ok(device) => {
            assert_eq!(device.node_id, joined.node_id);
            assert_eq!(device.home_id, joined.home_id);
            assert!(lamp_homes.get(joined.home_id).is_some());
        }
        Err(e) => refused(&e, &out),
    }
}

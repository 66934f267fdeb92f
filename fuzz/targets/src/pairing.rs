//! PASE pairing: each message's decoder and each state's input (`spec/v1/04-pairing.md`).

use crate::flow::{self, decoder_targets, Script};
use orbit_core::codec::CborMessage;
use orbit_core::crypto::SeededRandom;
use orbit_core::pairing::{
    Controller, Device, PairingError, PairingKeys, PairingStatus, PairingWindow, Pake1, Pake2,
    Pake3, PasscodeVerifier, PbkdfParamRequest, PbkdfParamResponse, PbkdfParams,
    DEFAULT_WINDOW_DURATION,
};
use orbit_core::version::SUPPORTED;
use std::time::Instant;

decoder_targets! {
    /// Target `pairing_pbkdf_param_request`.
    pbkdf_param_request: PbkdfParamRequest;
    /// Target `pairing_pbkdf_param_response`.
    pbkdf_param_response: PbkdfParamResponse;
    /// Target `pairing_pake1`.
    pake1: Pake1;
    /// Target `pairing_pake2`.
    pake2: Pake2;
    /// Target `pairing_pake3`.
    pake3: Pake3;
    /// Target `pairing_status`.
    status: PairingStatus;
}

/// The passcode of the fixture device (the vectors' passcode).
pub const PASSCODE: u32 = 20_202_021;

/// The honest messages of one pairing between the fixture controller and device, in order:
/// pbkdf-param-request, pbkdf-param-response, pake1, pake2, pake3 (the seed corpus of
/// `pairing_flow` is built from them).
pub fn honest_messages() -> Vec<Vec<u8>> {
    flow::honest_messages(run_flow)
}

/// Target `pairing_flow`: the first byte picks a step of an honest pairing (0..=4) whose
/// message is replaced by the rest of the input; the receiving state must answer with a
/// typed error whose status message encodes [PAIR-22] [PAIR-35], or accept it; when both
/// sides finish, their keys agree [PAIR-20].
pub fn flow(data: &[u8]) {
    flow::with_fault(data, 5, run_flow);
}

fn check_refusal(error: &PairingError, now: Instant) {
    if let Some(status) = error.status_message_at(now) {
        let bytes = status.to_bytes();
        assert_eq!(PairingStatus::decode(&bytes).as_ref(), Ok(&status));
    }
}

/// Runs one pairing, each step's message delivered through `script`.
fn run_flow(script: &mut Script) {
    let now = Instant::now();
    let mut device_rng = SeededRandom::new(2);
    let mut controller_rng = SeededRandom::new(1);
    let Ok(params) = PbkdfParams::generate(&mut device_rng, 1000) else {
        return;
    };
    let Ok(verifier) = PasscodeVerifier::from_passcode(PASSCODE, params) else {
        return;
    };
    let mut window = PairingWindow::new();
    if window.open(now, DEFAULT_WINDOW_DURATION).is_err() {
        return;
    }
    let device = Device {
        verifier: &verifier,
        versions: SUPPORTED,
    };
    let controller = Controller {
        passcode: PASSCODE,
        versions: SUPPORTED,
        local_session_id: 0x1234,
        known_params: None,
    };

    let Ok((phone, request)) = controller.start(&mut controller_rng, now) else {
        return;
    };
    let m0 = script.deliver(0, request.to_bytes());
    let (lamp, response) = match device.handle_request(&mut window, &m0, 2, &mut device_rng, now) {
        Ok(next) => next,
        Err(e) => return check_refusal(&e, now),
    };
    let m1 = script.deliver(1, response.to_bytes());
    let (phone, pake1) = match phone.handle(&m1, &mut controller_rng, now) {
        Ok(next) => next,
        Err(e) => return check_refusal(&e, now),
    };
    let m2 = script.deliver(2, pake1.to_bytes());
    let (lamp, pake2) = match lamp.handle(&mut window, &m2, &mut device_rng, now) {
        Ok(next) => next,
        Err(e) => return check_refusal(&e, now),
    };
    let m3 = script.deliver(3, pake2.to_bytes());
    let (phone_keys, pake3) = match phone.handle(&m3, now) {
        Ok(next) => next,
        Err(e) => return check_refusal(&e, now),
    };
    let m4 = script.deliver(4, pake3.to_bytes());
    let lamp_keys = match lamp.handle(&mut window, &m4, now) {
        Ok(keys) => keys,
        Err(e) => return check_refusal(&e, now),
    };
    assert_keys_agree(&phone_keys, &lamp_keys);
}

fn assert_keys_agree(phone: &PairingKeys, lamp: &PairingKeys) {
    assert!(
        phone.send_secret().expose() == lamp.receive_secret().expose()
            && phone.receive_secret().expose() == lamp.send_secret().expose()
            && phone.attestation_challenge == lamp.attestation_challenge,
        "both sides finished pairing with different keys [PAIR-20]"
    );
}

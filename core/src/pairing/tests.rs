//! Unit tests that need the crate's internals: the published pairing transcript with every
//! intermediate SPAKE2+ value (`spec/v1/vectors/pairing-transcript.json`), and the device's
//! answer to a Pake3 from a prover with a wrong passcode (the public controller never sends
//! one: it stops at confirmV). The public-API tests are in `core/tests/pairing.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::keys::{binding, context};
use super::*;
use crate::codec::{decode_value, CborMessage, Value};
use crate::crypto::hash::pbkdf2_sha256;
use crate::crypto::{Random, SeededRandom};
use crate::spake2plus::{Prover, ProverSecrets};
use crate::status::Status;
use crate::version::{VersionRange, SUPPORTED};
use serde_json::json;
use std::time::{Duration, Instant};

const PASSCODE: u32 = 20202021;
const ITERATIONS: u32 = 1000;
const CONTROLLER_SEED: u64 = 0x0b17_0001;
const DEVICE_SEED: u64 = 0x0b17_0002;
const SALT_SEED: u64 = 0x0b17_0003;
const CONTROLLER_SESSION: u32 = 0x1234;
const DEVICE_SESSION: u32 = 0x5678;

fn h(b: impl AsRef<[u8]>) -> String {
    hex::encode(b)
}

/// CBOR diagnostic notation (RFC 8949 §8) of the values pairing messages use.
fn diag(v: &Value) -> String {
    match v {
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Bytes(b) => format!("h'{}'", hex::encode(b)),
        Value::Text(t) => format!("{t:?}"),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Array(a) => format!("[{}]", a.iter().map(diag).collect::<Vec<_>>().join(", ")),
        Value::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", diag(k), diag(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => format!("{other:?}"),
    }
}

fn message_json(name: &str, bytes: &[u8]) -> serde_json::Value {
    let value = decode_value(bytes, &PAIRING_LIMITS).unwrap();
    json!({ "name": name, "diagnostic": diag(&value), "hex": h(bytes) })
}

/// The x (or y) a party drew: its stream skips the 32-byte handshake random first.
fn drawn_scalar(seed: u64) -> p256::Scalar {
    let mut rng = SeededRandom::new(seed);
    rng.fill(&mut [0u8; RANDOM_LEN]).unwrap();
    crate::spake2plus::tests_support::random_scalar(&mut rng).unwrap()
}

fn compute() -> serde_json::Value {
    let now = Instant::now();
    let params = PbkdfParams::generate(&mut SeededRandom::new(SALT_SEED), ITERATIONS).unwrap();
    let stored = PasscodeVerifier::from_passcode(PASSCODE, params.clone()).unwrap();
    let mut window = PairingWindow::new();
    window.open(now, DEFAULT_WINDOW_DURATION).unwrap();
    let device = Device {
        verifier: &stored,
        versions: SUPPORTED,
    };
    let mut c_rng = SeededRandom::new(CONTROLLER_SEED);
    let mut d_rng = SeededRandom::new(DEVICE_SEED);
    let controller = Controller {
        passcode: PASSCODE,
        versions: SUPPORTED,
        local_session_id: CONTROLLER_SESSION,
        known_params: None,
    };

    let (c, request) = controller.start(&mut c_rng, now).unwrap();
    let request = request.to_bytes();
    let (d, response) = device
        .handle_request(&mut window, &request, DEVICE_SESSION, &mut d_rng, now)
        .unwrap();
    let response = response.to_bytes();
    let (c, pake1) = c.handle(&response, &mut c_rng, now).unwrap();
    let pake1 = pake1.to_bytes();
    let (d, pake2) = d.handle(&mut window, &pake1, &mut d_rng, now).unwrap();
    let pake2 = pake2.to_bytes();
    let (c_keys, pake3) = c.handle(&pake2, now).unwrap();
    let pake3 = pake3.to_bytes();
    let d_keys = d.handle(&mut window, &pake3, now).unwrap();
    assert_eq!(
        c_keys.controller_to_device.expose(),
        d_keys.controller_to_device.expose()
    );
    assert_eq!(
        c_keys.device_to_controller.expose(),
        d_keys.device_to_controller.expose()
    );
    assert_eq!(c_keys.attestation_challenge, d_keys.attestation_challenge);

    // Every intermediate value, recomputed from the inputs with the crate's internals and
    // checked against the messages that went over the wire.
    let mut ws = [0u8; 80];
    pbkdf2_sha256(&PASSCODE.to_le_bytes(), &params.salt, ITERATIONS, &mut ws).unwrap();
    let secrets = ProverSecrets::from_registration_output(&ws);
    let x = drawn_scalar(CONTROLLER_SEED);
    let y = drawn_scalar(DEVICE_SEED);
    let internals = crate::spake2plus::tests_support::exchange(
        &secrets,
        &stored.verifier().clone(),
        &binding(&context(&request, &response)),
        x,
        y,
    );
    let p1 = Pake1::decode(&pake1).unwrap();
    let p2 = Pake2::decode(&pake2).unwrap();
    let p3 = Pake3::decode(&pake3).unwrap();
    assert_eq!(internals.share_p, p1.share_p);
    assert_eq!(internals.share_v, p2.share_v);
    assert_eq!(internals.confirm_v, p2.confirm_v);
    assert_eq!(internals.confirm_p, p3.confirm_p);

    let failure = PairingStatus::new(Status::PAKE_CONFIRMATION_FAILED).to_bytes();

    json!({
        "description": "A full Orbit v1 pairing (spec/v1/04-pairing.md): controller and device each draw from their own SeededRandom (crypto::SeededRandom: block i = SHA-256(SHA-256(\"orbit seeded random\" || seed as 8 bytes big-endian) || i as 8 bytes big-endian)); each party first draws its 32-byte handshake random, then its SPAKE2+ scalar (x or y, rejection-sampled). The salt is the first 32 bytes of SeededRandom(salt_seed). All hex is lowercase; points are SEC1 uncompressed; scalars 32-byte big-endian.",
        "source": "generated by core/src/pairing/tests.rs (pairing_transcript_vector); regenerate with ORBIT_REGEN_VECTORS=1",
        "inputs": {
            "passcode": PASSCODE,
            "passcode_le": h(PASSCODE.to_le_bytes()),
            "salt": h(&params.salt),
            "iterations": ITERATIONS,
            "controller_seed": CONTROLLER_SEED,
            "device_seed": DEVICE_SEED,
            "salt_seed": SALT_SEED,
            "controller_session_id": CONTROLLER_SESSION,
            "device_session_id": DEVICE_SESSION,
            "controller_versions": h(SUPPORTED.to_bytes()),
            "device_versions": h(SUPPORTED.to_bytes()),
        },
        "registration": {
            "w0s_w1s": h(ws),
            "w0": h(internals.w0),
            "w1": h(internals.w1),
            "L": h(stored.verifier().l_bytes()),
            "verifier_w0_L": h(stored.verifier().to_bytes()),
        },
        "messages": [
            message_json("pbkdf-param-request", &request),
            message_json("pbkdf-param-response", &response),
            message_json("pake1", &pake1),
            message_json("pake2", &pake2),
            message_json("pake3", &pake3),
            message_json("pairing-status (pake-confirmation-failed)", &failure),
        ],
        "spake2plus": {
            "context": h(context(&request, &response)),
            "idProver": "",
            "idVerifier": "",
            "x": h(internals.x),
            "y": h(internals.y),
            "shareP": h(internals.share_p),
            "shareV": h(internals.share_v),
            "Z": h(internals.z),
            "V": h(internals.v),
            "TT": h(&internals.tt),
            "K_main": h(internals.k_main),
            "K_confirmP": h(internals.k_confirm_p),
            "K_confirmV": h(internals.k_confirm_v),
            "confirmP": h(internals.confirm_p),
            "confirmV": h(internals.confirm_v),
            "K_shared": h(internals.k_shared),
        },
        "outputs": {
            "controller_to_device": h(c_keys.controller_to_device.expose()),
            "device_to_controller": h(c_keys.device_to_controller.expose()),
            "attestation_challenge": h(c_keys.attestation_challenge),
            "controller_session_id": c_keys.controller_session_id,
            "device_session_id": c_keys.device_session_id,
            "version": c_keys.version.0,
        }
    })
}

/// The hex strings of `value`'s messages must appear in the spec's examples.
fn spec_quotes_messages(vector: &serde_json::Value) {
    let spec = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec/v1/04-pairing.md"
    ))
    .unwrap();
    let flat: String = spec.split_whitespace().collect();
    for m in vector["messages"].as_array().unwrap() {
        let hex = m["hex"].as_str().unwrap();
        assert!(
            flat.contains(hex),
            "spec/v1/04-pairing.md does not quote the {} example {hex}",
            m["name"]
        );
        let diagnostic: String = m["diagnostic"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .collect();
        assert!(
            flat.contains(&diagnostic),
            "spec/v1/04-pairing.md does not quote the {} diagnostic {}",
            m["name"],
            m["diagnostic"]
        );
    }
}

// [PAIR-7] [PAIR-11] [PAIR-12] [PAIR-15] [PAIR-20] the published transcript matches the code,
// and the spec quotes its messages.
#[test]
fn pairing_transcript_vector() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec/v1/vectors/pairing-transcript.json"
    );
    let fresh = compute();
    if std::env::var_os("ORBIT_REGEN_VECTORS").is_some() {
        std::fs::write(path, serde_json::to_string_pretty(&fresh).unwrap() + "\n").unwrap();
        return;
    }
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        on_disk, fresh,
        "spec/v1/vectors/pairing-transcript.json is stale: rerun with ORBIT_REGEN_VECTORS=1"
    );
    spec_quotes_messages(&fresh);
}

/// Runs a pairing in which the controller derives its secrets from `passcode` and sends the
/// Pake3 it computes without checking confirmV (as a guessing attacker would). Returns the
/// device's verdict and its failed-attempt count afterwards.
fn device_verdict(passcode: u32, seed: u64) -> (Result<PairingKeys, PairingError>, u32) {
    let now = Instant::now();
    let params = PbkdfParams::new(ITERATIONS, vec![9; 16]).unwrap();
    let stored = PasscodeVerifier::from_passcode(PASSCODE, params.clone()).unwrap();
    let mut window = PairingWindow::new();
    window.open(now, DEFAULT_WINDOW_DURATION).unwrap();
    let device = Device {
        verifier: &stored,
        versions: SUPPORTED,
    };
    let mut rng = SeededRandom::new(seed);
    let request = PbkdfParamRequest {
        controller_random: [seed as u8; 32],
        controller_session_id: 1,
        versions: SUPPORTED,
        has_pbkdf_params: false,
    }
    .to_bytes();
    let (d, response) = device
        .handle_request(&mut window, &request, 2, &mut rng, now)
        .unwrap();
    let ctx = context(&request, &response.to_bytes());
    let secrets = ProverSecrets::from_passcode(passcode, &params.salt, ITERATIONS).unwrap();
    let prover = Prover::start(&secrets, &mut rng).unwrap();
    let pake1 = Pake1 {
        share_p: *prover.share(),
    }
    .to_bytes();
    let (d, pake2) = d.handle(&mut window, &pake1, &mut rng, now).unwrap();
    let confirm_p = prover
        .confirm_p_unchecked(&binding(&ctx), &pake2.share_v)
        .unwrap();
    let verdict = d.handle(&mut window, &Pake3 { confirm_p }.to_bytes(), now);
    (verdict, window.failed_attempts())
}

// [PAIR-18] [PAIR-19] [PAIR-25] the device answers any wrong passcode's confirmP with the same
// error and the same bytes, and counts it as one failed attempt; the right passcode's
// confirmP, computed the same way, is accepted (so the test can fail).
#[test]
fn device_rejects_wrong_passcodes_indistinguishably() {
    let (one_digit, n1) = device_verdict(PASSCODE + 1, 1);
    let (all_digits, n2) = device_verdict(87654312, 2);
    let (e1, e2) = (one_digit.unwrap_err(), all_digits.unwrap_err());
    assert_eq!(e1, PairingError::ConfirmationFailed);
    assert_eq!(e1, e2);
    let (s1, s2) = (
        e1.status_message().unwrap().to_bytes(),
        e2.status_message().unwrap().to_bytes(),
    );
    assert_eq!(s1, s2);
    assert_eq!(
        PairingStatus::decode(&s1).unwrap().status,
        Status::PAKE_CONFIRMATION_FAILED
    );
    assert_eq!((n1, n2), (1, 1));

    let (right, n) = device_verdict(PASSCODE, 3);
    assert!(right.is_ok());
    assert_eq!(n, 0);
}

// [PAIR-28] a device state used after its deadline fails with a timeout and counts.
#[test]
fn device_state_times_out() {
    let now = Instant::now();
    let stored =
        PasscodeVerifier::from_passcode(PASSCODE, PbkdfParams::new(1000, vec![1; 16]).unwrap())
            .unwrap();
    let mut window = PairingWindow::new();
    window.open(now, DEFAULT_WINDOW_DURATION).unwrap();
    let device = Device {
        verifier: &stored,
        versions: VersionRange::new(1, 1).unwrap(),
    };
    let mut rng = SeededRandom::new(5);
    let (c, request) = Controller {
        passcode: PASSCODE,
        versions: SUPPORTED,
        local_session_id: 1,
        known_params: None,
    }
    .start(&mut rng, now)
    .unwrap();
    let (d, response) = device
        .handle_request(&mut window, &request.to_bytes(), 2, &mut rng, now)
        .unwrap();
    let (_c, pake1) = c.handle(&response.to_bytes(), &mut rng, now).unwrap();
    let (d, _pake2) = d
        .handle(&mut window, &pake1.to_bytes(), &mut rng, now)
        .unwrap();
    let late = d.deadline() + Duration::from_millis(1);
    let err = d.handle(&mut window, &[0xa0], late).unwrap_err();
    assert!(matches!(err, PairingError::Timeout { .. }), "{err:?}");
    assert_eq!(err.status(), Status::TIMEOUT);
    assert_eq!(window.failed_attempts(), 1);
}

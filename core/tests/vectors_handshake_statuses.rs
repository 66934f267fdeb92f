//! Negative handshake vectors (`spec/v1/vectors/handshake-statuses.json`): PASE messages a
//! device refuses, with the `pairing-status` it answers [PAIR-30], and SIGMA messages a
//! responder refuses, with the `session-status` it answers [SESS-36]. Every message is made by
//! the reference code from fixed randomness; with `ORBIT_REGEN_VECTORS=1` the test rewrites
//! the file, otherwise it fails when the file and the code differ, and checks that every
//! status message in it decodes to the status it names.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "interaction/harness.rs"]
#[allow(dead_code)]
mod harness;
mod vector_support;

use harness::{Home, DEVICE_NODE, UNIX};
use orbit_core::cert::HomeTable;
use orbit_core::codec::CborMessage;
use orbit_core::crypto::SeededRandom;
use orbit_core::pairing::{
    Controller, Device, PairingError, PairingStatus, PairingWindow, PasscodeVerifier, PbkdfParams,
    DEFAULT_WINDOW_DURATION,
};
use orbit_core::session::{
    encode_status, Initiator, Now, Responder, SessionError, SessionId, SessionStatus,
    Sigma1Outcome, TicketStore,
};
use orbit_core::version::{VersionRange, SUPPORTED};
use serde_json::{json, Value as Json};
use std::time::Instant;
use vector_support::{check_file, diag_bytes, hex, unhex};

const PASSCODE: u32 = 20_202_021;

fn pase_case(title: &str, rules: &[&str], input: &[u8], error: PairingError) -> Json {
    let status = error.status_message().unwrap();
    let bytes = status.to_bytes();
    json!({
        "title": title,
        "rules": rules,
        "input": hex(input),
        "status": status.status.name().unwrap(),
        "answer": { "hex": hex(&bytes), "diag": diag_bytes(&bytes) },
    })
}

fn pase_cases() -> (Json, Vec<Json>) {
    let mut rng = SeededRandom::new(0x9a5e);
    let now = Instant::now();
    let params = PbkdfParams::generate(&mut rng, 1000).unwrap();
    let verifier = PasscodeVerifier::from_passcode(PASSCODE, params).unwrap();
    let device = Device {
        verifier: &verifier,
        versions: SUPPORTED,
    };
    let phone = |passcode| Controller {
        passcode,
        versions: SUPPORTED,
        local_session_id: 1,
        known_params: None,
    };
    let open = || {
        let mut w = PairingWindow::new();
        w.open(now, DEFAULT_WINDOW_DURATION).unwrap();
        w
    };
    let mut cases = Vec::new();
    let (_, request) = phone(PASSCODE).start(&mut rng, now).unwrap();
    let request = request.to_bytes();

    // The window is closed.
    let err = device
        .handle_request(&mut PairingWindow::new(), &request, 2, &mut rng, now)
        .unwrap_err();
    cases.push(pase_case(
        "pbkdf-param-request while the pairing window is closed",
        &["PAIR-23", "PAIR-30"],
        &request,
        err,
    ));
    // Locked out after the failure limit.
    let err = device
        .handle_request(
            &mut PairingWindow::restore(10, true, now),
            &request,
            2,
            &mut rng,
            now,
        )
        .unwrap_err();
    cases.push(pase_case(
        "pbkdf-param-request while the device is locked out",
        &["PAIR-27", "PAIR-30"],
        &request,
        err,
    ));
    // A trailing byte.
    let mut trailing = request.clone();
    trailing.push(0);
    let err = device
        .handle_request(&mut open(), &trailing, 2, &mut rng, now)
        .unwrap_err();
    cases.push(pase_case(
        "pbkdf-param-request followed by one more byte",
        &["CBOR-2", "PAIR-30"],
        &trailing,
        err,
    ));

    // A full run up to pake1, to refuse what comes next.
    let mut window = open();
    let (phone_state, fresh) = phone(PASSCODE).start(&mut rng, now).unwrap();
    let (lamp, response) = device
        .handle_request(&mut window, &fresh.to_bytes(), 2, &mut rng, now)
        .unwrap();
    let (_, pake1) = phone_state
        .handle(&response.to_bytes(), &mut rng, now)
        .unwrap();
    let pake1 = pake1.to_bytes();
    let err = device
        .handle_request(&mut open(), &pake1, 2, &mut rng, now)
        .unwrap_err();
    cases.push(pase_case(
        "pake1 as the first message of a handshake",
        &["PAIR-2", "PAIR-30"],
        &pake1,
        err,
    ));
    // pake1 whose share X is not a point of the curve: its last byte changed.
    let mut bad_x = pake1.clone();
    let last = bad_x.len() - 1;
    bad_x[last] ^= 0x01;
    let err = lamp.handle(&mut window, &bad_x, &mut rng, now).unwrap_err();
    cases.push(pase_case(
        "pake1 whose share X is not on the curve (last byte changed)",
        &["PAIR-14", "PAIR-30"],
        &bad_x,
        err,
    ));

    // A controller with the wrong passcode: the device refuses its pake3.
    let mut window = open();
    let (wrong, request) = phone(PASSCODE + 1).start(&mut rng, now).unwrap();
    let (lamp, response) = device
        .handle_request(&mut window, &request.to_bytes(), 2, &mut rng, now)
        .unwrap();
    let (wrong, pake1) = wrong.handle(&response.to_bytes(), &mut rng, now).unwrap();
    let (lamp, pake2) = lamp
        .handle(&mut window, &pake1.to_bytes(), &mut rng, now)
        .unwrap();
    // The controller detects the wrong passcode first, from confirmV.
    let phone_err = wrong.handle(&pake2.to_bytes(), now).unwrap_err();
    cases.push(pase_case(
        "pake2 to a controller that used a wrong passcode: the controller answers",
        &["PAIR-17", "PAIR-19", "PAIR-30"],
        &pake2.to_bytes(),
        phone_err,
    ));
    // And the device, given a pake3 that does not confirm (its last byte changed).
    let mut window2 = open();
    let (right, request) = phone(PASSCODE).start(&mut rng, now).unwrap();
    let (lamp2, response) = device
        .handle_request(&mut window2, &request.to_bytes(), 2, &mut rng, now)
        .unwrap();
    let (right, pake1) = right.handle(&response.to_bytes(), &mut rng, now).unwrap();
    let (lamp2, pake2) = lamp2
        .handle(&mut window2, &pake1.to_bytes(), &mut rng, now)
        .unwrap();
    let (_, pake3) = right.handle(&pake2.to_bytes(), now).unwrap();
    let mut bad3 = pake3.to_bytes();
    let last = bad3.len() - 1;
    bad3[last] ^= 0x01;
    let err = lamp2.handle(&mut window2, &bad3, now).unwrap_err();
    cases.push(pase_case(
        "pake3 whose confirmP does not verify (last byte changed)",
        &["PAIR-18", "PAIR-30"],
        &bad3,
        err,
    ));
    drop(lamp);
    (
        json!({ "passcode": PASSCODE, "pbkdf": { "iterations": 1000 } }),
        cases,
    )
}

fn session_case(title: &str, rules: &[&str], input: &[u8], error: SessionError) -> Json {
    let mut bytes = Vec::new();
    encode_status(error.status(), &mut bytes);
    json!({
        "title": title,
        "rules": rules,
        "input": hex(input),
        "status": error.status().name().unwrap(),
        "answer": { "hex": hex(&bytes), "diag": diag_bytes(&bytes) },
    })
}

fn session_cases() -> Vec<Json> {
    let now = Instant::now();
    let t = || Now::new(now, UNIX);
    let mut home = Home::new(0x5e55);
    let phone = home.controller(0x2001);
    let mut other = Home::new(0x07e4);
    let mut table = HomeTable::default();
    table.add(harness::clone_membership(&home.device)).unwrap();
    let mut tickets = TicketStore::default();
    let mut cases = Vec::new();
    let sigma1_for = |rng: &mut SeededRandom, versions| {
        let mut out = Vec::new();
        let state = Initiator {
            membership: &phone,
            peer_node_id: DEVICE_NODE,
            versions,
            local_session_id: SessionId(0xa),
            ticket: None,
        }
        .start(rng, t(), &mut out)
        .unwrap();
        (state, out)
    };
    let (_, sigma1) = sigma1_for(&mut home.rng, SUPPORTED);
    let mut responder = Responder {
        homes: &table,
        tickets: &mut tickets,
        versions: SUPPORTED,
    };

    // A sigma1 for a home the responder does not belong to.
    let other_phone = other.controller(0x3001);
    let mut out = Vec::new();
    Initiator {
        membership: &other_phone,
        peer_node_id: DEVICE_NODE,
        versions: SUPPORTED,
        local_session_id: SessionId(0xa),
        ticket: None,
    }
    .start(&mut other.rng, t(), &mut out)
    .unwrap();
    let err = responder
        .handle_sigma1(&out, SessionId(0xb), &mut home.rng, t(), &mut Vec::new())
        .unwrap_err();
    cases.push(session_case(
        "sigma1 whose destination names no home of the responder",
        &["SESS-15", "SESS-36"],
        &out,
        err,
    ));
    // Versions the responder does not speak.
    let (_, v2) = sigma1_for(&mut home.rng, VersionRange::new(2, 3).unwrap());
    let err = responder
        .handle_sigma1(&v2, SessionId(0xb), &mut home.rng, t(), &mut Vec::new())
        .unwrap_err();
    cases.push(session_case(
        "sigma1 offering only versions 2..=3",
        &["SESS-6", "VER-3", "SESS-36"],
        &v2,
        err,
    ));
    // Trailing byte.
    let mut trailing = sigma1.clone();
    trailing.push(0);
    let err = responder
        .handle_sigma1(
            &trailing,
            SessionId(0xb),
            &mut home.rng,
            t(),
            &mut Vec::new(),
        )
        .unwrap_err();
    cases.push(session_case(
        "sigma1 followed by one more byte",
        &["CBOR-2", "SESS-36"],
        &trailing,
        err,
    ));
    // A sigma3 whose encrypted payload was changed.
    let (expect2, sigma1) = sigma1_for(&mut home.rng, SUPPORTED);
    let mut sigma2 = Vec::new();
    let Sigma1Outcome::Full(expect3) = responder
        .handle_sigma1(&sigma1, SessionId(0xb), &mut home.rng, t(), &mut sigma2)
        .unwrap()
    else {
        panic!("no ticket was offered")
    };
    // The responder's first message given as a sigma1.
    let err = responder
        .handle_sigma1(&sigma2, SessionId(0xc), &mut home.rng, t(), &mut Vec::new())
        .unwrap_err();
    cases.push(session_case(
        "sigma2 sent to a responder as if it were a sigma1",
        &["SESS-4", "SESS-36"],
        &sigma2,
        err,
    ));
    let mut sigma3 = Vec::new();
    expect2.handle(&phone, &sigma2, t(), &mut sigma3).unwrap();
    let mut bad3 = sigma3.clone();
    let last = bad3.len() - 1;
    bad3[last] ^= 0x01;
    let err = expect3.handle(&mut responder, &bad3, t()).unwrap_err();
    cases.push(session_case(
        "sigma3 with the last byte of its encrypted payload changed",
        &["SESS-10", "SESS-36"],
        &bad3,
        err,
    ));
    cases
}

fn compute() -> Json {
    let (pase, pase_cases) = pase_cases();
    json!({
        "description": "Handshake messages a node refuses, each with the status message it answers. `pase`: PASE messages (spec/v1/04-pairing.md) and the `pairing-status` answered [PAIR-30]: the device refuses all but one, which a controller with a wrong passcode refuses. The device's verifier comes from passcode `pase.passcode` and the generator's PBKDF2 salt, so the inputs are examples of each kind of refusal rather than messages to replay against another device. `session`: SIGMA messages (spec/v1/06-sessions.md) and the `session-status` the responder answers [SESS-36]. The status a message names decides the status answered; the inputs show what each status is for.",
        "generated_by": "core/tests/vectors_handshake_statuses.rs (set ORBIT_REGEN_VECTORS=1 to rewrite)",
        "pase": pase,
        "pase_cases": pase_cases,
        "session_cases": session_cases(),
    })
}

// [PAIR-30] [SESS-36] the file matches the code, and every answer in it decodes as the
// status message of its kind naming the status listed.
#[test]
fn handshake_status_vectors() {
    let file = check_file("handshake-statuses.json", &compute());
    let pase = file["pase_cases"].as_array().unwrap();
    assert!(pase.len() >= 6);
    for c in pase {
        let s = PairingStatus::decode(&unhex(&c["answer"]["hex"])).unwrap();
        assert_eq!(s.status.name().unwrap(), c["status"], "{}", c["title"]);
        assert_ne!(c["status"], "success");
    }
    let session = file["session_cases"].as_array().unwrap();
    assert!(session.len() >= 5);
    for c in session {
        let s = SessionStatus::decode(&unhex(&c["answer"]["hex"])).unwrap();
        assert_eq!(s.status.name().unwrap(), c["status"], "{}", c["title"]);
        assert_ne!(c["status"], "success");
    }
}

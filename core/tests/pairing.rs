//! Pairing (PASE) through the public API: full handshakes, wrong passcodes, the device's
//! window and attempt limiter under a virtual clock, parameter bounds, invalid points,
//! tampering, version downgrade, message codecs, and interleaved concurrent pairings.
//! Tests cite the `[PAIR-*]` rule they check.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::codec::CborMessage;
use orbit_core::crypto::SeededRandom;
use orbit_core::pairing::{
    backoff_after, Controller, Device, ExpectPake1, ExpectPake2, ExpectPake3,
    ExpectPbkdfParamResponse, MessageType, PairingError, PairingKeys, PairingRole, PairingStatus,
    PairingWindow, Pake1, Pake2, Pake3, PasscodeVerifier, PbkdfParamRequest, PbkdfParamResponse,
    PbkdfParams, WindowState, DEFAULT_WINDOW_DURATION, DEVICE_STEP_TIMEOUT, HANDSHAKE_TIMEOUT,
    MAX_FAILED_ATTEMPTS, MAX_WINDOW_DURATION, MIN_WINDOW_DURATION,
};
use orbit_core::spake2plus::ShareKind;
use orbit_core::status::Status;
use orbit_core::version::{ProtocolVersion, VersionError, VersionRange, SUPPORTED};
use proptest::prelude::*;
use std::time::{Duration, Instant};

const PASSCODE: u32 = 20202021;
/// The spec's minimum, so tests stay fast on small machines.
const ITERATIONS: u32 = 1000;

/// The smallest step of the virtual clock: what separates "at" a deadline from "after" it.
const TICK: Duration = Duration::from_nanos(1);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn stored(seed: u64) -> PasscodeVerifier {
    let params = PbkdfParams::generate(&mut SeededRandom::new(seed), ITERATIONS).unwrap();
    PasscodeVerifier::from_passcode(PASSCODE, params).unwrap()
}

fn controller(passcode: u32) -> Controller {
    Controller {
        passcode,
        versions: SUPPORTED,
        local_session_id: 0x11,
        known_params: None,
    }
}

fn open_window(now: Instant) -> PairingWindow {
    let mut w = PairingWindow::new();
    w.open(now, DEFAULT_WINDOW_DURATION).unwrap();
    w
}

/// One device with its window, and a seeded source for both sides.
struct Bench {
    stored: PasscodeVerifier,
    window: PairingWindow,
    rng: SeededRandom,
    device_versions: VersionRange,
}

impl Bench {
    fn new(now: Instant, seed: u64) -> Self {
        Bench {
            stored: stored(seed),
            window: open_window(now),
            rng: SeededRandom::new(seed ^ 0xa5a5),
            device_versions: SUPPORTED,
        }
    }

    fn device(&self) -> Device<'_> {
        Device {
            verifier: &self.stored,
            versions: self.device_versions,
        }
    }

    fn request(&mut self, c: Controller, now: Instant) -> (ExpectPbkdfParamResponse, Vec<u8>) {
        let (state, req) = c.start(&mut self.rng, now).unwrap();
        (state, req.to_bytes())
    }

    fn respond(
        &mut self,
        request: &[u8],
        now: Instant,
    ) -> Result<(ExpectPake1, Vec<u8>), PairingError> {
        let device = Device {
            verifier: &self.stored,
            versions: self.device_versions,
        };
        device
            .handle_request(&mut self.window, request, 0x22, &mut self.rng, now)
            .map(|(s, m)| (s, m.to_bytes()))
    }

    /// Runs the handshake up to the point where the device waits for Pake3.
    fn run_to_pake3(&mut self, c: Controller, now: Instant) -> (ExpectPake2, Vec<u8>, ExpectPake3) {
        let (c, req) = self.request(c, now);
        let (d, resp) = self.respond(&req, now).unwrap();
        let (c, pake1) = c.handle(&resp, &mut self.rng, now).unwrap();
        let (d, pake2) = d
            .handle(&mut self.window, &pake1.to_bytes(), &mut self.rng, now)
            .unwrap();
        (c, pake2.to_bytes(), d)
    }

    /// A full pairing with `passcode`; returns both sides' results.
    fn pair(
        &mut self,
        passcode: u32,
        now: Instant,
    ) -> (
        Result<PairingKeys, PairingError>,
        Result<PairingKeys, PairingError>,
    ) {
        let (c, pake2, d) = self.run_to_pake3(controller(passcode), now);
        match c.handle(&pake2, now) {
            Ok((ck, pake3)) => {
                let dk = d.handle(&mut self.window, &pake3.to_bytes(), now);
                (Ok(ck), dk)
            }
            Err(e) => {
                // [PAIR-17] the controller reports the failure; the device ends on it.
                let status = e.status_message().unwrap().to_bytes();
                let dk = d.handle(&mut self.window, &status, now);
                (Err(e), dk)
            }
        }
    }
}

fn assert_keys_match(c: &PairingKeys, d: &PairingKeys) {
    assert_eq!(c.role, PairingRole::Controller);
    assert_eq!(d.role, PairingRole::Device);
    assert_eq!(
        c.controller_to_device.expose(),
        d.controller_to_device.expose()
    );
    assert_eq!(
        c.device_to_controller.expose(),
        d.device_to_controller.expose()
    );
    assert_ne!(
        c.controller_to_device.expose(),
        c.device_to_controller.expose()
    );
    assert_eq!(c.attestation_challenge, d.attestation_challenge);
    assert_eq!(c.send_secret().expose(), d.receive_secret().expose());
    assert_eq!(d.send_secret().expose(), c.receive_secret().expose());
    assert_eq!(c.local_session_id(), d.peer_session_id());
    assert_eq!(d.local_session_id(), c.peer_session_id());
    assert_eq!(c.version, d.version);
}

// [PAIR-1] [PAIR-20] [PAIR-21] [PAIR-29] a full pairing gives both sides the same keys, and
// closes the device's window to new handshakes.
#[test]
fn full_pairing_succeeds() {
    let now = Instant::now();
    let mut b = Bench::new(now, 1);
    let (c, d) = b.pair(PASSCODE, now);
    let (c, d) = (c.unwrap(), d.unwrap());
    assert_keys_match(&c, &d);
    assert_eq!((c.controller_session_id, c.device_session_id), (0x11, 0x22));
    assert_eq!(c.version, ProtocolVersion::V1);
    assert_eq!(b.window.state(now), WindowState::Paired);
    assert_eq!(b.window.failed_attempts(), 0);
    let (_, req) = b.request(controller(PASSCODE), now);
    let err = b.respond(&req, now).unwrap_err();
    assert_eq!(err, PairingError::WindowClosed);
    assert_eq!(err.status(), Status::PAIRING_WINDOW_CLOSED);
}

// [PAIR-4] [PAIR-5] a controller that already has the parameters says so; the device leaves
// them out and pairing still succeeds. Presence that contradicts the request is rejected.
#[test]
fn known_parameters_are_not_resent() {
    let now = Instant::now();
    let mut b = Bench::new(now, 2);
    let mut c = controller(PASSCODE);
    c.known_params = Some(b.stored.params().clone());
    let (c, req) = b.request(c, now);
    assert!(PbkdfParamRequest::decode(&req).unwrap().has_pbkdf_params);
    let (d, resp) = b.respond(&req, now).unwrap();
    let decoded = PbkdfParamResponse::decode(&resp).unwrap();
    assert_eq!(decoded.pbkdf, None);
    let (c, pake1) = c.handle(&resp, &mut b.rng, now).unwrap();
    let (d, pake2) = d
        .handle(&mut b.window, &pake1.to_bytes(), &mut b.rng, now)
        .unwrap();
    let (ck, pake3) = c.handle(&pake2.to_bytes(), now).unwrap();
    let dk = d.handle(&mut b.window, &pake3.to_bytes(), now).unwrap();
    assert_keys_match(&ck, &dk);

    // A response with parameters although the controller has them, and one without
    // although it asked.
    let mut rng = SeededRandom::new(9);
    let mut c = controller(PASSCODE);
    c.known_params = Some(b.stored.params().clone());
    let (c, req) = c.start(&mut rng, now).unwrap();
    let mut fake = fake_response(&req, Some(b.stored.params().clone()));
    let err = c.handle(&fake.to_bytes(), &mut rng, now).unwrap_err();
    assert_eq!(err, PairingError::UnexpectedPbkdfParams);
    assert_eq!(err.status(), Status::INVALID_MESSAGE);
    let (c, req) = controller(PASSCODE).start(&mut rng, now).unwrap();
    fake = fake_response(&req, None);
    let err = c.handle(&fake.to_bytes(), &mut rng, now).unwrap_err();
    assert_eq!(err, PairingError::MissingPbkdfParams);
}

/// A response a fake device would send to `req`.
fn fake_response(req: &PbkdfParamRequest, pbkdf: Option<PbkdfParams>) -> PbkdfParamResponse {
    PbkdfParamResponse {
        controller_random: req.controller_random,
        device_random: [3; 32],
        device_session_id: 7,
        version: ProtocolVersion::V1,
        device_versions: SUPPORTED,
        pbkdf,
    }
}

// [PAIR-17] [PAIR-19] [PAIR-22] [PAIR-25] [PAIR-30] wrong passcodes fail on both sides,
// and two different wrong passcodes give identical errors and identical bytes on the wire;
// each counts as one attempt.
#[test]
fn wrong_passcodes_fail_indistinguishably() {
    let now = Instant::now();
    let mut outcomes = Vec::new();
    for (i, wrong) in [PASSCODE + 1, 12345670, PASSCODE ^ (1 << 20)]
        .into_iter()
        .enumerate()
    {
        let mut b = Bench::new(now, 3);
        b.rng = SeededRandom::new(100 + i as u64);
        let (c, d) = b.pair(wrong, now);
        let (c_err, d_err) = (c.unwrap_err(), d.unwrap_err());
        let c_status = c_err.status_message().unwrap().to_bytes();
        assert_eq!(b.window.failed_attempts(), 1);
        outcomes.push((c_err, c_status, d_err));
    }
    for o in &outcomes {
        assert_eq!(o, &outcomes[0]);
    }
    let (c_err, c_status, d_err) = &outcomes[0];
    assert_eq!(*c_err, PairingError::ConfirmationFailed);
    assert_eq!(
        PairingStatus::decode(c_status).unwrap().status,
        Status::PAKE_CONFIRMATION_FAILED
    );
    // The device ends on the controller's status and sends nothing back [PAIR-22].
    assert_eq!(
        *d_err,
        PairingError::PeerStatus(Status::PAKE_CONFIRMATION_FAILED)
    );
    assert_eq!(d_err.status_message(), None);
}

/// One failed attempt at `now` (wrong passcode).
fn fail_once(b: &mut Bench, now: Instant) {
    let (c, d) = b.pair(PASSCODE + 7, now);
    assert_eq!(c.unwrap_err(), PairingError::ConfirmationFailed);
    assert!(d.is_err());
}

// [PAIR-26] [PAIR-27] back-off doubles from 1 s; the 10th failure locks the window until the
// user reopens it; reopening resets the count.
#[test]
fn limiter_backs_off_then_locks_out() {
    let t0 = Instant::now();
    let mut b = Bench::new(t0, 4);
    let mut now = t0;
    for k in 1..=MAX_FAILED_ATTEMPTS {
        fail_once(&mut b, now);
        assert_eq!(b.window.failed_attempts(), k);
        if k == MAX_FAILED_ATTEMPTS {
            break;
        }
        let wait = backoff_after(k);
        assert_eq!(wait, secs(1 << (k - 1)));
        assert_eq!(b.window.backoff_until(now), Some(now + wait));
        // Just before the back-off ends: busy.
        let (_, req) = b.request(controller(PASSCODE), now);
        let early = now + wait - Duration::from_millis(1);
        let err = b.respond(&req, early).unwrap_err();
        assert_eq!(err, PairingError::BackingOff { until: now + wait });
        // [PAIR-26] [PAIR-35] its own status, with the seconds left rounded up.
        assert_eq!(err.status(), Status::PAIRING_BACKOFF);
        assert_eq!(err.retry_after(early), Some(1));
        assert_eq!(
            err.status_message_at(now).unwrap().retry_after,
            Some(1 << (k - 1))
        );
        now += wait;
    }
    assert_eq!(b.window.state(now), WindowState::LockedOut);
    // Locked even for the right passcode, and after any wait.
    let later = now + secs(3600);
    let (_, req) = b.request(controller(PASSCODE), later);
    let err = b.respond(&req, later).unwrap_err();
    assert_eq!(err, PairingError::LockedOut);
    assert_eq!(
        err.status_message().unwrap().to_bytes(),
        PairingStatus::new(Status::PAIRING_LOCKED_OUT).to_bytes()
    );
    // The ten attempts fit in one default window: 1 + 2 + ... + 256 s < 15 min.
    assert!(now - t0 < DEFAULT_WINDOW_DURATION);

    // The user reopens the window: count and back-off reset, the right passcode pairs.
    b.window.open(later, DEFAULT_WINDOW_DURATION).unwrap();
    assert_eq!(b.window.failed_attempts(), 0);
    let (c, d) = b.pair(PASSCODE, later);
    assert_keys_match(&c.unwrap(), &d.unwrap());
}

// [PAIR-23] [LIMIT-3] the window closes by itself once its duration has passed (it is still
// open at exactly its closing time); durations outside 3..=15 min are refused; a closed window
// refuses requests.
#[test]
fn window_closes_after_timeout() {
    let t0 = Instant::now();
    let mut b = Bench::new(t0, 5);
    b.window.open(t0, MIN_WINDOW_DURATION).unwrap();
    assert_eq!(
        b.window.poll_timeout(),
        Some(t0 + MIN_WINDOW_DURATION + TICK)
    );
    let before = t0 + MIN_WINDOW_DURATION - Duration::from_millis(1);
    assert!(matches!(b.window.state(before), WindowState::Open { .. }));
    let closes = t0 + MIN_WINDOW_DURATION;
    b.window.handle_timeout(closes);
    assert!(matches!(b.window.state(closes), WindowState::Open { .. }));
    let at = closes + TICK;
    b.window.handle_timeout(at);
    assert_eq!(b.window.state(at), WindowState::Expired);
    let (_, req) = b.request(controller(PASSCODE), at);
    assert_eq!(
        b.respond(&req, at).unwrap_err().status(),
        Status::PAIRING_WINDOW_CLOSED
    );

    for bad in [MIN_WINDOW_DURATION - secs(1), MAX_WINDOW_DURATION + secs(1)] {
        assert_eq!(
            b.window.open(at, bad),
            Err(PairingError::InvalidWindowDuration { duration: bad })
        );
    }
    let mut never = PairingWindow::new();
    assert_eq!(never.state(t0), WindowState::Closed);
    let device = b.device();
    let err = device
        .handle_request(&mut never, &req, 1, &mut SeededRandom::new(1), t0)
        .unwrap_err();
    assert_eq!(err, PairingError::WindowClosed);

    // Closing by hand works the same way.
    let mut w = open_window(t0);
    w.close();
    assert_eq!(w.state(t0), WindowState::Closed);
}

// [PAIR-23] a handshake already running when the window elapses may finish.
#[test]
fn handshake_in_progress_outlives_window() {
    let t0 = Instant::now();
    let mut b = Bench::new(t0, 6);
    b.window.open(t0, MIN_WINDOW_DURATION).unwrap();
    let start = t0 + MIN_WINDOW_DURATION - secs(1);
    let (c, pake2, d) = b.run_to_pake3(controller(PASSCODE), start);
    let later = start + secs(2);
    b.window.handle_timeout(later);
    let (ck, pake3) = c.handle(&pake2, later).unwrap();
    let dk = d.handle(&mut b.window, &pake3.to_bytes(), later).unwrap();
    assert_keys_match(&ck, &dk);
}

// [PAIR-24] [PAIR-25] [PAIR-33] [PAIR-34] one handshake at a time; a stalled handshake frees
// the slot at the device's deadline and counts as an attempt, before or after Pake2, even when
// the driver dropped its state; a handshake abandoned before Pake2 does not count.
#[test]
fn one_handshake_at_a_time_and_stalls_time_out() {
    let t0 = Instant::now();
    let mut b = Bench::new(t0, 7);
    let (_, req1) = b.request(controller(PASSCODE), t0);
    let (stalled, _) = b.respond(&req1, t0).unwrap();
    assert_eq!(stalled.deadline(), t0 + DEVICE_STEP_TIMEOUT);
    assert_eq!(
        b.window.poll_timeout(),
        Some(t0 + DEVICE_STEP_TIMEOUT + TICK)
    );
    assert!(b.window.handshake_in_progress(t0));
    let (_, req2) = b.request(controller(PASSCODE), t0);
    let err = b.respond(&req2, t0 + secs(1)).unwrap_err();
    assert_eq!(
        err,
        PairingError::Busy {
            until: t0 + DEVICE_STEP_TIMEOUT + TICK
        }
    );
    assert_eq!(err.status(), Status::BUSY);
    // [PAIR-35] the slot frees within the 9 s left to the stalled handshake's deadline.
    assert_eq!(err.retry_after(t0 + secs(1)), Some(10));
    drop(stalled); // the driver forgot it

    // Just after the deadline the slot frees [LIMIT-3], and the stall is a failed attempt
    // even before Pake2 [PAIR-34].
    b.window.handle_timeout(t0 + DEVICE_STEP_TIMEOUT);
    assert!(b.window.handshake_in_progress(t0 + DEVICE_STEP_TIMEOUT));
    assert_eq!(b.window.failed_attempts(), 0);
    let t1 = t0 + DEVICE_STEP_TIMEOUT + TICK;
    b.window.handle_timeout(t1);
    assert!(!b.window.handshake_in_progress(t1));
    assert_eq!(b.window.failed_attempts(), 1);
    let t1 = t1 + backoff_after(1);

    // Stall after Pake2 (an attacker checking confirmV offline): counted once the deadline
    // has passed.
    let (_, _, d) = b.run_to_pake3(controller(PASSCODE), t1);
    let deadline = d.deadline();
    assert_eq!(deadline, t1 + DEVICE_STEP_TIMEOUT);
    drop(d);
    b.window.handle_timeout(deadline - Duration::from_millis(1));
    assert_eq!(b.window.failed_attempts(), 1);
    b.window.handle_timeout(deadline);
    assert_eq!(b.window.failed_attempts(), 1);
    let late = deadline + TICK;
    b.window.handle_timeout(late);
    assert_eq!(b.window.failed_attempts(), 2);
    assert_eq!(b.window.backoff_until(late), Some(late + secs(2)));

    // Abandoning after Pake2 counts at once; before Pake2 it does not.
    let t2 = late + secs(2);
    let (_, _, d) = b.run_to_pake3(controller(PASSCODE), t2);
    d.abandon(&mut b.window, t2);
    assert_eq!(b.window.failed_attempts(), 3);
    let t3 = t2 + secs(4);
    let (_, req) = b.request(controller(PASSCODE), t3);
    let (d, _) = b.respond(&req, t3).unwrap();
    d.abandon(&mut b.window, t3);
    assert_eq!(b.window.failed_attempts(), 3);
    assert!(b.respond(&req, t3).is_ok());
}

// [PAIR-28] [LIMIT-3] the controller's states give up once their deadlines have passed.
#[test]
fn controller_states_time_out() {
    let t0 = Instant::now();
    let mut b = Bench::new(t0, 8);
    let (c, req) = b.request(controller(PASSCODE), t0);
    assert_eq!(c.deadline(), t0 + HANDSHAKE_TIMEOUT);
    let (_, resp) = b.respond(&req, t0).unwrap();
    let err = c
        .handle(&resp, &mut b.rng, t0 + HANDSHAKE_TIMEOUT + TICK)
        .unwrap_err();
    assert_eq!(
        err,
        PairingError::Timeout {
            deadline: t0 + HANDSHAKE_TIMEOUT
        }
    );
    assert_eq!(err.status(), Status::TIMEOUT);

    let t1 = t0 + secs(100);
    let (c, pake2, _d) = b.run_to_pake3(controller(PASSCODE), t1);
    assert_eq!(c.deadline(), t1 + HANDSHAKE_TIMEOUT);
    assert!(matches!(
        c.handle(&pake2, t1 + HANDSHAKE_TIMEOUT + TICK),
        Err(PairingError::Timeout { .. })
    ));
}

// [LIMIT-3] a message arriving exactly at a deadline is processed, on both sides and in every
// state, and a request arriving exactly when the window closes is accepted; one tick later
// each is refused.
#[test]
fn messages_exactly_at_the_deadline_are_processed() {
    let t0 = Instant::now();
    let mut b = Bench::new(t0, 9);
    b.window.open(t0, MIN_WINDOW_DURATION).unwrap();
    let closes = t0 + MIN_WINDOW_DURATION;

    // The request arrives exactly when the window closes: accepted.
    let (c, req) = b.request(controller(PASSCODE), closes);
    let (d, resp) = b.respond(&req, closes).unwrap();
    // The controller's states accept a message exactly at their deadline [PAIR-28] (this
    // run then goes no further: the device's shorter deadline [PAIR-33] has passed).
    let (late_c, late_req) = b.request(controller(PASSCODE), closes);
    assert_eq!(late_c.deadline(), closes + HANDSHAKE_TIMEOUT);
    let mut other = Bench::new(closes, 90);
    other.window.open(closes, MIN_WINDOW_DURATION).unwrap();
    let (late_d, late_resp) = other.respond(&late_req, closes).unwrap();
    assert!(late_c
        .handle(&late_resp, &mut b.rng, closes + HANDSHAKE_TIMEOUT)
        .is_ok());
    drop(late_d);
    // Each following message arrives exactly at the receiving state's deadline: the device's
    // (10 s after its previous message, [PAIR-33]) for Pake1 and Pake3.
    let at = d.deadline();
    assert_eq!(at, closes + DEVICE_STEP_TIMEOUT);
    let (c, pake1) = c.handle(&resp, &mut b.rng, at).unwrap();
    let (d, pake2) = d
        .handle(&mut b.window, &pake1.to_bytes(), &mut b.rng, at)
        .unwrap();
    assert_eq!(c.deadline(), at + HANDSHAKE_TIMEOUT);
    let at = d.deadline();
    assert_eq!(at, c.deadline() - HANDSHAKE_TIMEOUT + DEVICE_STEP_TIMEOUT);
    let (ck, pake3) = c.handle(&pake2.to_bytes(), at).unwrap();
    let dk = d.handle(&mut b.window, &pake3.to_bytes(), at).unwrap();
    assert_keys_match(&ck, &dk);

    // One tick after the deadline the device's states time out (the window was reopened).
    let t1 = at + secs(1);
    b.window.open(t1, MIN_WINDOW_DURATION).unwrap();
    let (_, req) = b.request(controller(PASSCODE), t1);
    let (d, _) = b.respond(&req, t1).unwrap();
    let late = d.deadline() + TICK;
    // The deadline is checked before anything else, so any Pake1 will do.
    let pake1 = Pake1 { share_p: [0; 65] };
    let err = d
        .handle(&mut b.window, &pake1.to_bytes(), &mut b.rng, late)
        .unwrap_err();
    assert!(matches!(err, PairingError::Timeout { .. }), "{err}");
    assert_eq!(err.status(), Status::TIMEOUT);

    // And a request one tick after the window closes is refused.
    let t2 = late + secs(1);
    b.window.open(t2, MIN_WINDOW_DURATION).unwrap();
    let after = t2 + MIN_WINDOW_DURATION + TICK;
    let (_, req) = b.request(controller(PASSCODE), after);
    assert_eq!(
        b.respond(&req, after).unwrap_err(),
        PairingError::WindowClosed
    );
}

// [PAIR-6] the controller rejects PBKDF parameters out of bounds with a typed error before
// running PBKDF2; the bounds themselves are accepted.
#[test]
fn out_of_bound_pbkdf_params_rejected() {
    let now = Instant::now();
    let mut rng = SeededRandom::new(10);
    for (iterations, salt_len) in [(999, 16), (100_001, 16), (1000, 15), (1000, 33), (0, 0)] {
        let (c, req) = controller(PASSCODE).start(&mut rng, now).unwrap();
        let params = PbkdfParams {
            iterations,
            salt: vec![1; salt_len],
        };
        let resp = fake_response(&req, Some(params.clone())).to_bytes();
        let err = c.handle(&resp, &mut rng, now).unwrap_err();
        assert_eq!(
            err,
            PairingError::PbkdfOutOfBounds {
                iterations,
                salt_len
            }
        );
        assert_eq!(err.status(), Status::INVALID_PARAMETER);
        assert!(PbkdfParams::new(iterations, vec![1; salt_len]).is_err());
        assert!(PasscodeVerifier::from_passcode(PASSCODE, params.clone()).is_err());
        let mut known = controller(PASSCODE);
        known.known_params = Some(params);
        assert!(known.start(&mut rng, now).is_err());
    }
    for (iterations, salt_len) in [(1000, 16), (100_000, 32)] {
        assert!(PbkdfParams::new(iterations, vec![1; salt_len]).is_ok());
    }
}

fn invalid_points() -> Vec<[u8; 65]> {
    let mut off_curve = [0u8; 65];
    off_curve[0] = 0x04;
    off_curve[64] = 1;
    let mut x_is_p = [0xffu8; 65];
    x_is_p[0] = 0x04;
    let mut compressed_tag = off_curve;
    compressed_tag[0] = 0x02;
    vec![[0u8; 65], off_curve, x_is_p, compressed_tag]
}

// [PAIR-14] the device rejects an invalid X (not counted: no Pake2 went out) and the
// controller an invalid Y, with typed errors.
#[test]
fn invalid_points_rejected() {
    let now = Instant::now();
    for (i, bad) in invalid_points().into_iter().enumerate() {
        let mut b = Bench::new(now, 20 + i as u64);
        let (_, req) = b.request(controller(PASSCODE), now);
        let (d, _) = b.respond(&req, now).unwrap();
        let pake1 = Pake1 { share_p: bad }.to_bytes();
        let err = d
            .handle(&mut b.window, &pake1, &mut b.rng, now)
            .unwrap_err();
        assert_eq!(err, PairingError::InvalidShare(ShareKind::Prover));
        assert_eq!(err.status(), Status::INVALID_MESSAGE);
        assert_eq!(b.window.failed_attempts(), 0);
        assert!(!b.window.handshake_in_progress(now));

        let (c, pake2, _d) = b.run_to_pake3(controller(PASSCODE), now);
        let mut p2 = Pake2::decode(&pake2).unwrap();
        p2.share_v = bad;
        let err = c.handle(&p2.to_bytes(), now).unwrap_err();
        assert_eq!(err, PairingError::InvalidShare(ShareKind::Verifier));
    }
}

// [PAIR-17] [PAIR-18] tampered Pake2 (confirmV or Y) fails at the controller; tampered Pake3
// fails at the device and counts as an attempt.
#[test]
fn tampered_pake2_and_pake3_rejected() {
    let now = Instant::now();
    // confirmV flipped
    let mut b = Bench::new(now, 30);
    let (c, pake2, _d) = b.run_to_pake3(controller(PASSCODE), now);
    let mut p2 = Pake2::decode(&pake2).unwrap();
    p2.confirm_v[0] ^= 1;
    assert_eq!(
        c.handle(&p2.to_bytes(), now).unwrap_err(),
        PairingError::ConfirmationFailed
    );
    // Y replaced by another valid point (the controller's own X)
    let mut b = Bench::new(now, 31);
    let (c, req) = b.request(controller(PASSCODE), now);
    let (d, resp) = b.respond(&req, now).unwrap();
    let (c, pake1) = c.handle(&resp, &mut b.rng, now).unwrap();
    let (_d, pake2) = d
        .handle(&mut b.window, &pake1.to_bytes(), &mut b.rng, now)
        .unwrap();
    let mut p2 = pake2.clone();
    p2.share_v = pake1.share_p;
    assert_eq!(
        c.handle(&p2.to_bytes(), now).unwrap_err(),
        PairingError::ConfirmationFailed
    );
    // Pake3 flipped
    let mut b = Bench::new(now, 32);
    let (c, pake2, d) = b.run_to_pake3(controller(PASSCODE), now);
    let (_keys, mut pake3) = c.handle(&pake2, now).unwrap();
    pake3.confirm_p[31] ^= 0x40;
    let err = d.handle(&mut b.window, &pake3.to_bytes(), now).unwrap_err();
    assert_eq!(err, PairingError::ConfirmationFailed);
    assert_eq!(err.status(), Status::PAKE_CONFIRMATION_FAILED);
    assert_eq!(b.window.failed_attempts(), 1);
}

// [PAIR-9] [PAIR-11] [VER-4] a rewritten version offer is detected: by the version check when
// the device's range is intact, by key confirmation when the attacker also rewrote it.
#[test]
fn downgraded_version_offer_detected() {
    let now = Instant::now();
    let both = VersionRange::new(1, 2).unwrap();
    let only_v1 = VersionRange::new(1, 1).unwrap();
    let mut b = Bench::new(now, 40);
    b.device_versions = both;
    let mut c = controller(PASSCODE);
    c.versions = both;
    let (c, req) = b.request(c, now);
    let mut tampered = PbkdfParamRequest::decode(&req).unwrap();
    tampered.versions = only_v1;
    let (_d, resp) = b.respond(&tampered.to_bytes(), now).unwrap();
    assert_eq!(
        PbkdfParamResponse::decode(&resp).unwrap().version,
        ProtocolVersion(1)
    );
    let err = c.handle(&resp, &mut b.rng, now).unwrap_err();
    assert_eq!(
        err,
        PairingError::Version(VersionError::Downgrade {
            expected: ProtocolVersion(2),
            claimed: ProtocolVersion(1)
        })
    );
    assert_eq!(err.status(), Status::DOWNGRADE_DETECTED);

    // The attacker also rewrites the device's range: the versions look consistent, but the
    // SPAKE2+ context differs, so confirmV fails.
    let mut b = Bench::new(now, 41);
    b.device_versions = both;
    let mut c = controller(PASSCODE);
    c.versions = both;
    let (c, req) = b.request(c, now);
    let mut tampered = PbkdfParamRequest::decode(&req).unwrap();
    tampered.versions = only_v1;
    let (d, resp) = b.respond(&tampered.to_bytes(), now).unwrap();
    let mut resp = PbkdfParamResponse::decode(&resp).unwrap();
    resp.device_versions = only_v1;
    let (c, pake1) = c.handle(&resp.to_bytes(), &mut b.rng, now).unwrap();
    let (_d, pake2) = d
        .handle(&mut b.window, &pake1.to_bytes(), &mut b.rng, now)
        .unwrap();
    assert_eq!(
        c.handle(&pake2.to_bytes(), now).unwrap_err(),
        PairingError::ConfirmationFailed
    );

    // Without tampering, both sides settle on v2.
    let mut b = Bench::new(now, 42);
    b.device_versions = both;
    let mut c = controller(PASSCODE);
    c.versions = both;
    let (c, pake2, d) = b.run_to_pake3(c, now);
    let (ck, pake3) = c.handle(&pake2, now).unwrap();
    let dk = d.handle(&mut b.window, &pake3.to_bytes(), now).unwrap();
    assert_eq!(
        (ck.version, dk.version),
        (ProtocolVersion(2), ProtocolVersion(2))
    );
}

// [PAIR-9] [VER-3] no common version: the device answers no-common-version and frees the slot;
// a chosen version outside the controller's range is rejected.
#[test]
fn no_common_version() {
    let now = Instant::now();
    let mut b = Bench::new(now, 43);
    b.device_versions = VersionRange::new(2, 3).unwrap();
    let (c, req) = b.request(controller(PASSCODE), now);
    let err = b.respond(&req, now).unwrap_err();
    assert_eq!(err.status(), Status::NO_COMMON_VERSION);
    assert!(err.to_string().contains("v2..=v3"), "{err}");
    assert!(!b.window.handshake_in_progress(now));
    let status = err.status_message().unwrap().to_bytes();
    assert_eq!(
        c.handle(&status, &mut b.rng, now).unwrap_err(),
        PairingError::PeerStatus(Status::NO_COMMON_VERSION)
    );

    let mut rng = SeededRandom::new(44);
    let (c, req) = controller(PASSCODE).start(&mut rng, now).unwrap();
    let mut resp = fake_response(&req, Some(PbkdfParams::new(1000, vec![0; 16]).unwrap()));
    resp.version = ProtocolVersion(2);
    resp.device_versions = VersionRange::new(2, 2).unwrap();
    let err = c.handle(&resp.to_bytes(), &mut rng, now).unwrap_err();
    assert_eq!(err.status(), Status::NO_COMMON_VERSION);
}

// [PAIR-2] [PAIR-5] messages of the wrong type, and responses to another request, are refused.
#[test]
fn unexpected_messages_rejected() {
    let now = Instant::now();
    let mut b = Bench::new(now, 50);
    // Pake3 where the device expects a request: refused, slot freed.
    let pake3 = Pake3 { confirm_p: [0; 32] }.to_bytes();
    let err = b.respond(&pake3, now).unwrap_err();
    assert_eq!(
        err,
        PairingError::UnexpectedMessage {
            expected: MessageType::PBKDF_PARAM_REQUEST,
            found: MessageType::PAKE3
        }
    );
    assert_eq!(err.status(), Status::UNEXPECTED_MESSAGE);
    assert!(!b.window.handshake_in_progress(now));

    // A request where the device expects Pake1.
    let (_, req) = b.request(controller(PASSCODE), now);
    let (d, _) = b.respond(&req, now).unwrap();
    let err = d.handle(&mut b.window, &req, &mut b.rng, now).unwrap_err();
    assert!(matches!(err, PairingError::UnexpectedMessage { .. }));

    // Garbage and unknown types.
    let (_, req) = b.request(controller(PASSCODE), now);
    let (d, _) = b.respond(&req, now).unwrap();
    assert_eq!(
        d.handle(&mut b.window, &[0xff], &mut b.rng, now)
            .unwrap_err()
            .status(),
        Status::INVALID_MESSAGE
    );
    let (_, req) = b.request(controller(PASSCODE), now);
    let (d, _) = b.respond(&req, now).unwrap();
    let unknown = [0xa1, 0x00, 0x18, 0x63]; // {0: 99}
    assert!(matches!(
        d.handle(&mut b.window, &unknown, &mut b.rng, now),
        Err(PairingError::UnexpectedMessage {
            found: MessageType(99),
            ..
        })
    ));

    // A response that answers another controller's request.
    let mut rng = SeededRandom::new(51);
    let (c, req) = controller(PASSCODE).start(&mut rng, now).unwrap();
    let mut resp = fake_response(&req, Some(PbkdfParams::new(1000, vec![0; 16]).unwrap()));
    resp.controller_random[0] ^= 1;
    let err = c.handle(&resp.to_bytes(), &mut rng, now).unwrap_err();
    assert_eq!(err, PairingError::ResponseMismatch);
    assert_eq!(err.status(), Status::UNEXPECTED_MESSAGE);
}

// [PAIR-3] messages beyond the pairing limits are refused with resource-exhausted, before
// any state changes.
#[test]
fn oversized_messages_rejected() {
    let now = Instant::now();
    let mut b = Bench::new(now, 55);
    // A request padded with an unknown key to 300 bytes.
    let mut big = vec![0xa6, 0x00, 0x01, 0x01, 0x58, 0x20];
    big.extend([0u8; 32]);
    big.extend([
        0x02, 0x01, 0x03, 0xa2, 0x01, 0x01, 0x02, 0x01, 0x04, 0xf4, 0x05, 0x59, 0x01, 0x00,
    ]);
    big.extend([0u8; 256]);
    let err = b.respond(&big, now).unwrap_err();
    assert_eq!(err.status(), Status::RESOURCE_EXHAUSTED, "{err}");
    assert!(!b.window.handshake_in_progress(now));
    // A 129-byte string within 256 bytes overall.
    let mut long = vec![0xa2, 0x00, 0x03, 0x01, 0x58, 0x81];
    long.extend([4u8; 129]);
    assert_eq!(
        Pake1::decode(&long).unwrap_err().status(),
        Status::RESOURCE_EXHAUSTED
    );
}

// [SEC-2] the passcode and the secrets do not print.
#[test]
fn secrets_do_not_print() {
    let now = Instant::now();
    let c = controller(PASSCODE);
    assert!(!format!("{c:?}").contains(&PASSCODE.to_string()));
    let mut b = Bench::new(now, 60);
    let (c, d) = b.pair(PASSCODE, now);
    let (c, _d) = (c.unwrap(), d.unwrap());
    let text = format!("{c:?}");
    let secret = hex::encode(c.controller_to_device.expose());
    assert!(!text.contains(&secret[..8]));
    assert!(text.contains("PairingSecret(..)"));
}

fn arb_versions() -> impl Strategy<Value = VersionRange> {
    (1u16..10, 0u16..5).prop_map(|(a, b)| VersionRange::new(a, a + b).unwrap())
}

fn arb_params() -> impl Strategy<Value = Option<PbkdfParams>> {
    proptest::option::of(
        (any::<u32>(), proptest::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(iterations, salt)| PbkdfParams { iterations, salt }),
    )
}

fn round_trip<M: CborMessage + PartialEq + std::fmt::Debug>(m: &M) -> Result<(), TestCaseError> {
    let bytes = m.to_bytes();
    let back = M::decode(&bytes).unwrap();
    prop_assert_eq!(&back, m);
    prop_assert_eq!(back.to_bytes(), bytes);
    Ok(())
}

/// Decoding arbitrary bytes gives Ok or Err, and re-encoding an accepted message gives
/// the input back when it had no unknown keys.
fn total<M: CborMessage>(bytes: &[u8]) {
    if let Ok(m) = M::decode(bytes) {
        let again = m.to_bytes();
        // The decoder ignores unknown keys [CBOR-8], so only a known-key input must come back
        // exactly; every re-encoding must decode to the same message.
        assert!(M::decode(&again).is_ok());
        if again.len() == bytes.len() {
            assert_eq!(again, bytes);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    // [PAIR-2] encode then decode gives the same message, and its bytes again.
    #[test]
    fn messages_round_trip(
        random in any::<[u8; 32]>(), random2 in any::<[u8; 32]>(), sid in any::<u32>(),
        versions in arb_versions(), flag in any::<bool>(), version in any::<u16>(),
        pbkdf in arb_params(), point in proptest::collection::vec(any::<u8>(), 65),
        confirm in any::<[u8; 32]>(), status in any::<u16>(),
    ) {
        let point: [u8; 65] = point.try_into().unwrap();
        round_trip(&PbkdfParamRequest {
            controller_random: random,
            controller_session_id: sid,
            versions,
            has_pbkdf_params: flag,
        })?;
        round_trip(&PbkdfParamResponse {
            controller_random: random, device_random: random2, device_session_id: sid,
            version: ProtocolVersion(version), device_versions: versions, pbkdf,
        })?;
        round_trip(&Pake1 { share_p: point })?;
        round_trip(&Pake2 { share_v: point, confirm_v: confirm })?;
        round_trip(&Pake3 { confirm_p: confirm })?;
        round_trip(&PairingStatus::new(Status(status)))?;
    }

    // [PAIR-3] every decoder is total on arbitrary bytes.
    #[test]
    fn decoders_are_total(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        total::<PbkdfParamRequest>(&bytes);
        total::<PbkdfParamResponse>(&bytes);
        total::<Pake1>(&bytes);
        total::<Pake2>(&bytes);
        total::<Pake3>(&bytes);
        total::<PairingStatus>(&bytes);
    }

    // [PAIR-11] [PAIR-14] [PAIR-17] [PAIR-18] one byte of one message changed (or the message
    // truncated) in flight: no state panics, and the pairing completes exactly when no byte
    // actually changed, since both first messages are bound into the context.
    #[test]
    fn altered_messages_never_complete(
        seed in 0u64..4,
        which in 0usize..5,
        pos in any::<usize>(),
        byte in any::<u8>(),
        truncate in any::<bool>(),
    ) {
        altered_flow(seed, which, pos, byte, truncate)?;
    }
}

/// Changes message `which` of a pairing in flight and checks the outcome.
fn altered_flow(
    seed: u64,
    which: usize,
    pos: usize,
    byte: u8,
    truncate: bool,
) -> Result<(), TestCaseError> {
    let now = Instant::now();
    let mut b = Bench::new(now, seed);
    let changed = std::cell::Cell::new(false);
    let alter = |step: usize, mut m: Vec<u8>| {
        if step == which {
            let original = m.clone();
            let i = pos % m.len();
            if truncate {
                m.truncate(i);
            } else {
                m[i] = byte;
            }
            changed.set(m != original);
        }
        m
    };
    let (c, req) = b.request(controller(PASSCODE), now);
    let Ok((d, resp)) = b.respond(&alter(0, req), now) else {
        prop_assert!(changed.get());
        return Ok(());
    };
    let Ok((c, pake1)) = c.handle(&alter(1, resp), &mut b.rng, now) else {
        prop_assert!(changed.get());
        return Ok(());
    };
    let pake1 = alter(2, pake1.to_bytes());
    let Ok((d, pake2)) = d.handle(&mut b.window, &pake1, &mut b.rng, now) else {
        prop_assert!(changed.get());
        return Ok(());
    };
    let Ok((ck, pake3)) = c.handle(&alter(3, pake2.to_bytes()), now) else {
        prop_assert!(changed.get());
        return Ok(());
    };
    let pake3 = alter(4, pake3.to_bytes());
    match d.handle(&mut b.window, &pake3, now) {
        Ok(dk) => {
            prop_assert!(!changed.get());
            assert_keys_match(&ck, &dk);
        }
        Err(_) => prop_assert!(changed.get()),
    }
    Ok(())
}

/// One pairing in progress in the concurrency test.
enum Side {
    C0(Controller),
    C1(ExpectPbkdfParamResponse),
    C2(ExpectPake2),
    CDone(PairingKeys),
}

enum DSide {
    Waiting,
    D1(ExpectPake1),
    D2(ExpectPake3),
    DDone(PairingKeys),
}

struct Pair {
    stored: PasscodeVerifier,
    window: PairingWindow,
    c: Option<Side>,
    d: Option<DSide>,
    rng_c: SeededRandom,
    rng_d: SeededRandom,
    /// Messages in flight: (to_device, bytes).
    inbox: Vec<(bool, Vec<u8>)>,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    // Several pairings between different controller/device pairs, their messages delivered
    // in a random interleaving, all complete with matching keys, and no two pairs share keys.
    #[test]
    fn concurrent_pairings_interleaved(
        n in 2usize..5,
        seed in any::<u64>(),
        schedule in proptest::collection::vec(any::<u8>(), 64),
    ) {
        interleaved(n, seed, &schedule)?;
    }
}

/// Runs `n` pairings, delivering the next message of a pair chosen by `schedule` each step.
fn interleaved(n: usize, seed: u64, schedule: &[u8]) -> Result<(), TestCaseError> {
    let now = Instant::now();
    let mut pairs: Vec<Pair> = (0..n)
        .map(|i| {
            let s = seed.wrapping_add(i as u64);
            Pair {
                stored: stored(s),
                window: open_window(now),
                c: Some(Side::C0(Controller {
                    passcode: PASSCODE,
                    versions: SUPPORTED,
                    local_session_id: i as u32,
                    known_params: None,
                })),
                d: Some(DSide::Waiting),
                rng_c: SeededRandom::new(s ^ 1),
                rng_d: SeededRandom::new(s ^ 2),
                inbox: Vec::new(),
            }
        })
        .collect();
    // Start every controller first, so all requests are in flight together.
    for p in &mut pairs {
        let Some(Side::C0(c)) = p.c.take() else {
            unreachable!()
        };
        let (s, req) = c.start(&mut p.rng_c, now).unwrap();
        p.c = Some(Side::C1(s));
        p.inbox.push((true, req.to_bytes()));
    }
    let mut steps = 0;
    let mut pick = schedule.iter().cycle();
    while pairs.iter().any(|p| !p.inbox.is_empty()) {
        steps += 1;
        prop_assert!(steps < 1000, "livelock");
        let busy: Vec<usize> = (0..n).filter(|&i| !pairs[i].inbox.is_empty()).collect();
        let i = busy[usize::from(*pick.next().unwrap()) % busy.len()];
        let p = &mut pairs[i];
        let (to_device, bytes) = p.inbox.remove(0);
        if to_device {
            let device = Device {
                verifier: &p.stored,
                versions: SUPPORTED,
            };
            let next = match p.d.take().unwrap() {
                DSide::Waiting => {
                    let (s, m) = device
                        .handle_request(&mut p.window, &bytes, 100 + i as u32, &mut p.rng_d, now)
                        .unwrap();
                    p.inbox.push((false, m.to_bytes()));
                    DSide::D1(s)
                }
                DSide::D1(s) => {
                    let (s, m) = s.handle(&mut p.window, &bytes, &mut p.rng_d, now).unwrap();
                    p.inbox.push((false, m.to_bytes()));
                    DSide::D2(s)
                }
                DSide::D2(s) => DSide::DDone(s.handle(&mut p.window, &bytes, now).unwrap()),
                DSide::DDone(_) => panic!("message after completion"),
            };
            p.d = Some(next);
        } else {
            let next = match p.c.take().unwrap() {
                Side::C1(s) => {
                    let (s, m) = s.handle(&bytes, &mut p.rng_c, now).unwrap();
                    p.inbox.push((true, m.to_bytes()));
                    Side::C2(s)
                }
                Side::C2(s) => {
                    let (k, m) = s.handle(&bytes, now).unwrap();
                    p.inbox.push((true, m.to_bytes()));
                    Side::CDone(k)
                }
                _ => panic!("unexpected message for the controller"),
            };
            p.c = Some(next);
        }
    }
    let mut seen = Vec::new();
    for (i, p) in pairs.iter().enumerate() {
        let (Some(Side::CDone(ck)), Some(DSide::DDone(dk))) = (&p.c, &p.d) else {
            panic!("pair {i} did not complete");
        };
        assert_keys_match(ck, dk);
        prop_assert_eq!(ck.device_session_id, 100 + i as u32);
        seen.push(ck.controller_to_device.expose().to_vec());
    }
    seen.sort();
    seen.dedup();
    prop_assert_eq!(seen.len(), n);
    Ok(())
}

// [PAIR-27] the failed-attempt count and the lockout survive a reboot: a device persists them
// and restores its window from them; powering up a factory-new device opens the window without
// resetting them; only the user opening the window resets them.
#[test]
fn failed_attempts_survive_reboot() {
    let t0 = Instant::now();
    let mut b = Bench::new(t0, 11);
    let mut now = t0;
    for k in 1..=3 {
        fail_once(&mut b, now);
        assert_eq!(b.window.failed_attempts(), k);
        now += backoff_after(k);
    }
    assert!(!b.window.is_locked_out());
    // What the device persisted before losing power.
    let (count, locked) = (b.window.failed_attempts(), b.window.is_locked_out());

    // Power-up: the window is restored closed, with the count, and the back-off of the
    // count runs again from power-up [PAIR-26].
    let boot = now + secs(5);
    b.window = PairingWindow::restore(count, locked, boot);
    assert_eq!(b.window.failed_attempts(), 3);
    assert_eq!(b.window.state(boot), WindowState::Closed);
    assert_eq!(b.window.backoff_until(boot), Some(boot + backoff_after(3)));
    // A factory-new device opens its window at power-up: the count stays.
    b.window
        .open_at_power_up(boot, DEFAULT_WINDOW_DURATION)
        .unwrap();
    assert!(matches!(b.window.state(boot), WindowState::Open { .. }));
    assert_eq!(b.window.failed_attempts(), 3);
    let (_, req) = b.request(controller(PASSCODE), boot);
    assert_eq!(
        b.respond(&req, boot).unwrap_err().status(),
        Status::PAIRING_BACKOFF,
        "the back-off still applies"
    );
    now = boot + backoff_after(3);
    fail_once(&mut b, now);
    assert_eq!(b.window.failed_attempts(), 4);

    // Up to the limit, with a reboot before each attempt: the lockout still comes at the 10th.
    for k in 5..=MAX_FAILED_ATTEMPTS {
        let boot = now + secs(600);
        let persisted = (b.window.failed_attempts(), b.window.is_locked_out());
        b.window = PairingWindow::restore(persisted.0, persisted.1, boot);
        b.window
            .open_at_power_up(boot, DEFAULT_WINDOW_DURATION)
            .unwrap();
        now = boot + backoff_after(k - 1);
        fail_once(&mut b, now);
        assert_eq!(b.window.failed_attempts(), k);
    }
    assert!(b.window.is_locked_out());

    // Rebooting a locked-out device keeps it locked out, and power-up does not open it.
    let boot = now + secs(600);
    b.window = PairingWindow::restore(MAX_FAILED_ATTEMPTS, true, boot);
    assert_eq!(b.window.state(boot), WindowState::LockedOut);
    assert_eq!(
        b.window.open_at_power_up(boot, DEFAULT_WINDOW_DURATION),
        Err(PairingError::LockedOut)
    );
    let (_, req) = b.request(controller(PASSCODE), boot);
    assert_eq!(b.respond(&req, boot).unwrap_err(), PairingError::LockedOut);
    // A count at the limit is a lockout even if the flag was lost.
    assert!(PairingWindow::restore(MAX_FAILED_ATTEMPTS, false, boot).is_locked_out());

    // The user opens the window: count, back-off and lockout reset.
    b.window.open(boot, DEFAULT_WINDOW_DURATION).unwrap();
    assert_eq!(b.window.failed_attempts(), 0);
    assert!(!b.window.is_locked_out());
    let (c, d) = b.pair(PASSCODE, boot);
    assert_keys_match(&c.unwrap(), &d.unwrap());
    // A fresh device (nothing persisted yet) restores to a plain closed window.
    let fresh = PairingWindow::restore(0, false, boot);
    assert_eq!(fresh.state(boot), WindowState::Closed);
    assert_eq!(fresh.backoff_until(boot), None);
}

// [VER-5] an invalid version range decodes but is rejected as a parameter, with
// invalid-parameter, by the device (in the request) and by the controller (in the response).
#[test]
fn invalid_version_range_is_invalid_parameter() {
    let now = Instant::now();
    let invalid = [
        VersionRange {
            min: ProtocolVersion(3),
            max: ProtocolVersion(2),
        },
        VersionRange {
            min: ProtocolVersion(0),
            max: ProtocolVersion(1),
        },
    ];
    for (i, bad) in invalid.into_iter().enumerate() {
        let mut b = Bench::new(now, 12 + i as u64);
        let (_, req) = b.request(controller(PASSCODE), now);
        let mut r = PbkdfParamRequest::decode(&req).unwrap();
        r.versions = bad;
        let err = b.respond(&r.to_bytes(), now).unwrap_err();
        assert_eq!(err, PairingError::Version(VersionError::InvalidRange(bad)));
        assert_eq!(err.status(), Status::INVALID_PARAMETER);
        assert!(!b.window.handshake_in_progress(now));

        let mut rng = SeededRandom::new(45);
        let (c, req) = controller(PASSCODE).start(&mut rng, now).unwrap();
        let mut resp = fake_response(&req, Some(PbkdfParams::new(1000, vec![0; 16]).unwrap()));
        resp.device_versions = bad;
        let err = c.handle(&resp.to_bytes(), &mut rng, now).unwrap_err();
        assert_eq!(err.status(), Status::INVALID_PARAMETER);
    }
}

// [CBOR-9] [PAIR-2] a message type that does not fit a byte (300) still decodes as a type and
// is answered as an unexpected message, not as a malformed one.
#[test]
fn large_unknown_message_type_is_unexpected() {
    let now = Instant::now();
    let unknown = [0xa1, 0x00, 0x19, 0x01, 0x2c]; // {0: 300}
    let mut b = Bench::new(now, 14);
    // The device's first state.
    let err = b.respond(&unknown, now).unwrap_err();
    assert!(
        matches!(
            err,
            PairingError::UnexpectedMessage {
                found: MessageType(300),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.status(), Status::UNEXPECTED_MESSAGE);
    // A device state in a handshake.
    let (_, req) = b.request(controller(PASSCODE), now);
    let (d, _) = b.respond(&req, now).unwrap();
    let err = d
        .handle(&mut b.window, &unknown, &mut b.rng, now)
        .unwrap_err();
    assert_eq!(err.status(), Status::UNEXPECTED_MESSAGE);
    // The controller.
    let (c, _) = b.request(controller(PASSCODE), now);
    let err = c.handle(&unknown, &mut b.rng, now).unwrap_err();
    assert!(
        matches!(
            err,
            PairingError::UnexpectedMessage {
                found: MessageType(300),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.status(), Status::UNEXPECTED_MESSAGE);
}

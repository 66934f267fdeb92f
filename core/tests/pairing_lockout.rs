//! The device's pairing policy at its edges, on a virtual clock: what resets the failed-attempt
//! count, how a lock-out ends, stalled handshakes, and refusals that say when to retry
//! (`spec/v1/04-pairing.md` §4.8).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::codec::CborMessage;
use orbit_core::crypto::SeededRandom;
use orbit_core::pairing::{
    backoff_after, retry_after_secs, Controller, Device, ExpectPake1, PairingError, PairingStatus,
    PairingWindow, PasscodeVerifier, PbkdfParams, WindowState, DEFAULT_WINDOW_DURATION,
    DEVICE_STEP_TIMEOUT, HANDSHAKE_TIMEOUT, MAX_FAILED_ATTEMPTS, MAX_RETRY_AFTER_SECS,
    MIN_WINDOW_DURATION,
};
use orbit_core::status::Status;
use orbit_core::version::SUPPORTED;
use std::time::{Duration, Instant};

const PASSCODE: u32 = 20202021;
const TICK: Duration = Duration::from_nanos(1);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn controller(passcode: u32) -> Controller {
    Controller {
        passcode,
        versions: SUPPORTED,
        local_session_id: 0x11,
        known_params: None,
    }
}

/// A device's verifier and window, with a seeded source for both sides.
struct Bench {
    stored: PasscodeVerifier,
    window: PairingWindow,
    rng: SeededRandom,
}

impl Bench {
    fn new(now: Instant, seed: u64) -> Self {
        let params = PbkdfParams::generate(&mut SeededRandom::new(seed), 1000).unwrap();
        let mut window = PairingWindow::new();
        window.open(now, DEFAULT_WINDOW_DURATION).unwrap();
        Bench {
            stored: PasscodeVerifier::from_passcode(PASSCODE, params).unwrap(),
            window,
            rng: SeededRandom::new(seed ^ 0x5a5a),
        }
    }

    /// A request from a controller with `passcode`, and the device's answer at `now`.
    fn start(&mut self, now: Instant) -> Result<ExpectPake1, PairingError> {
        let (_, request) = controller(PASSCODE).start(&mut self.rng, now).unwrap();
        Device {
            verifier: &self.stored,
            versions: SUPPORTED,
        }
        .handle_request(
            &mut self.window,
            &request.to_bytes(),
            0x22,
            &mut self.rng,
            now,
        )
        .map(|(state, _)| state)
    }

    /// A full pairing with `passcode` at `now`; whether the device accepted it.
    fn pair(&mut self, passcode: u32, now: Instant) -> Result<(), PairingError> {
        let (c, request) = controller(passcode).start(&mut self.rng, now).unwrap();
        let device = Device {
            verifier: &self.stored,
            versions: SUPPORTED,
        };
        let (d, response) = device.handle_request(
            &mut self.window,
            &request.to_bytes(),
            0x22,
            &mut self.rng,
            now,
        )?;
        let (c, pake1) = c.handle(&response.to_bytes(), &mut self.rng, now).unwrap();
        let (d, pake2) = d.handle(&mut self.window, &pake1.to_bytes(), &mut self.rng, now)?;
        match c.handle(&pake2.to_bytes(), now) {
            Ok((_, pake3)) => d
                .handle(&mut self.window, &pake3.to_bytes(), now)
                .map(|_| ()),
            Err(e) => {
                let status = e.status_message().unwrap().to_bytes();
                d.handle(&mut self.window, &status, now).map(|_| ())
            }
        }
    }

    /// Ten wrong passcodes, each after the back-off of the one before: returns when the
    /// device locked out.
    fn lock_out(&mut self, mut now: Instant) -> Instant {
        for k in 1..=MAX_FAILED_ATTEMPTS {
            assert!(self.pair(PASSCODE + 1, now).is_err());
            assert_eq!(self.window.failed_attempts(), k);
            now += backoff_after(k);
        }
        assert!(self.window.is_locked_out());
        now
    }
}

// [PAIR-27] [PAIR-31] ten failed attempts lock the device out; closing the window, time, a
// restart and an opening at power-up leave it locked; a deliberate opening (a local user action
// or an administrator's open-pairing-window, both `PairingWindow::open`) ends it and resets
// the count, and the right passcode pairs again.
#[test]
fn only_a_deliberate_opening_ends_a_lock_out() {
    let t0 = Instant::now();
    let mut b = Bench::new(t0, 1);
    let now = b.lock_out(t0);
    let refused = |b: &mut Bench, at: Instant| b.start(at).unwrap_err();
    assert_eq!(refused(&mut b, now), PairingError::LockedOut);
    assert_eq!(refused(&mut b, now).status(), Status::PAIRING_LOCKED_OUT);
    // A refusal for a lock-out gives no retry-after: waiting does not end it [PAIR-35].
    assert_eq!(
        refused(&mut b, now)
            .status_message_at(now)
            .unwrap()
            .retry_after,
        None
    );

    // Time passing.
    let later = now + secs(30 * 24 * 3600);
    b.window.handle_timeout(later);
    assert_eq!(refused(&mut b, later), PairingError::LockedOut);
    // Closing the window (an administrator's close-pairing-window).
    b.window.close();
    let (count, locked) = (b.window.failed_attempts(), b.window.is_locked_out());
    assert_eq!((count, locked), (MAX_FAILED_ATTEMPTS, true));
    assert_eq!(refused(&mut b, later), PairingError::LockedOut);
    // A restart, and the opening at power-up of a device without a home.
    b.window = PairingWindow::restore(count, locked, later);
    assert!(b.window.is_locked_out());
    assert_eq!(
        b.window.open_at_power_up(later, DEFAULT_WINDOW_DURATION),
        Err(PairingError::LockedOut)
    );
    assert_eq!(refused(&mut b, later), PairingError::LockedOut);

    // The deliberate opening.
    b.window.open(later, MIN_WINDOW_DURATION).unwrap();
    assert!(!b.window.is_locked_out());
    assert_eq!(b.window.failed_attempts(), 0);
    assert_eq!(b.window.backoff_until(later), None);
    assert!(matches!(b.window.state(later), WindowState::Open { .. }));
    // Persisted and restored after it, the device is no longer locked out.
    let reboot =
        PairingWindow::restore(b.window.failed_attempts(), b.window.is_locked_out(), later);
    assert!(!reboot.is_locked_out());
    assert_eq!(reboot.backoff_until(later), None);
    b.pair(PASSCODE, later).unwrap();
}

// [PAIR-27] a successful pairing resets the count and the back-off; an opening at power-up
// does not, and neither does closing the window.
#[test]
fn a_success_resets_the_count_and_nothing_else_does() {
    let t0 = Instant::now();
    let mut b = Bench::new(t0, 2);
    let mut now = t0;
    for k in 1..=3 {
        assert!(b.pair(PASSCODE + 5, now).is_err());
        now += backoff_after(k);
    }
    assert_eq!(b.window.failed_attempts(), 3);
    // Closing and the power-up opening keep the count and the back-off.
    b.window.close();
    b.window = PairingWindow::restore(3, false, now);
    b.window
        .open_at_power_up(now, DEFAULT_WINDOW_DURATION)
        .unwrap();
    assert_eq!(b.window.failed_attempts(), 3);
    assert_eq!(b.start(now).unwrap_err().status(), Status::PAIRING_BACKOFF);
    now += backoff_after(3);

    b.pair(PASSCODE, now).unwrap();
    assert_eq!(b.window.failed_attempts(), 0);
    assert_eq!(b.window.backoff_until(now), None);
    assert_eq!(b.window.state(now), WindowState::Paired);
    // What the device persists after the success restores with no back-off.
    let reboot = PairingWindow::restore(b.window.failed_attempts(), false, now);
    assert_eq!(reboot.backoff_until(now), None);
}

// [PAIR-33] [PAIR-34] a peer that sends a request and goes silent holds the slot for the
// device's 10 s, not the controller's 30 s, and each stall is a failed attempt: the next
// request meets the back-off, and ten stalls lock the device out like ten wrong guesses.
#[test]
fn stalls_are_bounded_and_counted() {
    let t0 = Instant::now();
    assert!(DEVICE_STEP_TIMEOUT < HANDSHAKE_TIMEOUT);
    let mut b = Bench::new(t0, 3);
    let mut now = t0;
    for k in 1..=MAX_FAILED_ATTEMPTS {
        let stalled = b.start(now).unwrap();
        assert_eq!(stalled.deadline(), now + DEVICE_STEP_TIMEOUT);
        // Meanwhile another controller is refused with busy, told when the slot frees.
        let other = b.start(now + secs(3)).unwrap_err();
        assert_eq!(other.status(), Status::BUSY);
        assert_eq!(
            other.retry_after(now + secs(3)),
            Some(u32::try_from(DEVICE_STEP_TIMEOUT.as_secs()).unwrap() - 3 + 1)
        );
        // Three ways the stall ends, all counted: the driver's timer on the window, the
        // driver giving up at the deadline, a message arriving too late.
        let end = now + DEVICE_STEP_TIMEOUT + TICK;
        match k % 3 {
            0 => {
                drop(stalled);
                assert_eq!(b.window.poll_timeout(), Some(end));
                b.window.handle_timeout(end);
            }
            1 => stalled.time_out(&mut b.window, end),
            _ => {
                let pake1 = orbit_core::pairing::Pake1 { share_p: [4; 65] };
                let err = stalled
                    .handle(&mut b.window, &pake1.to_bytes(), &mut b.rng, end)
                    .unwrap_err();
                assert!(matches!(err, PairingError::Timeout { .. }), "{err}");
            }
        }
        assert_eq!(b.window.failed_attempts(), k);
        now = end;
        if k < MAX_FAILED_ATTEMPTS {
            // Repeating at once meets the back-off [PAIR-26].
            let err = b.start(now).unwrap_err();
            assert_eq!(
                err,
                PairingError::BackingOff {
                    until: now + backoff_after(k)
                }
            );
            now += backoff_after(k);
        }
    }
    assert!(b.window.is_locked_out());
    assert_eq!(b.start(now).unwrap_err(), PairingError::LockedOut);

    // A peer that ends its handshake before Pake2 frees the slot at once, uncounted.
    b.window.open(now, DEFAULT_WINDOW_DURATION).unwrap();
    b.start(now).unwrap().abandon(&mut b.window, now);
    assert_eq!(b.window.failed_attempts(), 0);
    assert!(b.start(now).is_ok());
}

// [PAIR-35] busy and pairing-backoff carry retry-after, in whole seconds rounded up, within
// 1..=3600; nothing else does; a status without it encodes as before (the v1 bytes), and one
// with it round-trips; out-of-range values are rejected.
#[test]
fn refusals_say_when_to_retry() {
    let t0 = Instant::now();
    assert_eq!(retry_after_secs(t0, t0), 1);
    assert_eq!(retry_after_secs(t0 + Duration::from_millis(1500), t0), 2);
    assert_eq!(retry_after_secs(t0 + secs(4), t0), 4);
    assert_eq!(
        retry_after_secs(t0 + secs(100_000), t0),
        MAX_RETRY_AFTER_SECS
    );

    let backoff = PairingError::BackingOff {
        until: t0 + secs(8),
    };
    let message = backoff
        .status_message_at(t0 + Duration::from_millis(500))
        .unwrap();
    assert_eq!(message.status, Status::PAIRING_BACKOFF);
    assert_eq!(message.retry_after, Some(8));
    for plain in [
        PairingError::LockedOut,
        PairingError::WindowClosed,
        PairingError::ConfirmationFailed,
    ] {
        assert_eq!(plain.status_message_at(t0).unwrap().retry_after, None);
    }

    // {0: 6, 1: 0x0101}: the bytes of 04-pairing's example, unchanged.
    let plain = PairingStatus::new(Status::PAKE_CONFIRMATION_FAILED).to_bytes();
    assert_eq!(hex::encode(&plain), "a20006011901 01".replace(' ', ""));
    // {0: 6, 1: 0x0113, 2: 8}
    let with = message.to_bytes();
    assert_eq!(hex::encode(&with), "a30006011901130208");
    assert_eq!(PairingStatus::decode(&with).unwrap(), message);
    // {0: 6, 1: 6, 2: 0} and {0: 6, 1: 6, 2: 3601}: outside 1..=3600.
    for bad in ["a3000601060200", "a30006010602190e11"] {
        let bytes = hex::decode(bad).unwrap();
        assert!(
            matches!(
                PairingStatus::decode(&bytes),
                Err(orbit_core::codec::CodecError::OutOfRange { key: 2 })
            ),
            "{bad}"
        );
    }
    let max = hex::decode("a30006010602190e10").unwrap();
    assert_eq!(
        PairingStatus::decode(&max).unwrap().retry_after,
        Some(MAX_RETRY_AFTER_SECS)
    );
}

// [PAIR-35] [PAIR-36] a controller that gets a refusal with retry-after reports the cause
// and the wait; a lock-out tells the user how it ends.
#[test]
fn controller_reports_what_to_do() {
    let now = Instant::now();
    let mut rng = SeededRandom::new(9);
    let answer = |status: PairingStatus, rng: &mut SeededRandom| {
        let (c, _) = controller(PASSCODE).start(rng, now).unwrap();
        c.handle(&status.to_bytes(), rng, now).unwrap_err()
    };
    let busy = answer(
        PairingStatus {
            status: Status::BUSY,
            retry_after: Some(7),
        },
        &mut rng,
    );
    assert_eq!(
        busy,
        PairingError::PeerRefused {
            status: Status::BUSY,
            retry_after: secs(7)
        }
    );
    assert_eq!(busy.status(), Status::BUSY);
    assert_eq!(busy.status_message(), None, "a status is never answered");
    assert_eq!(
        busy.to_string(),
        "the device is busy with another pairing; retry in 7 s"
    );
    let backoff = answer(
        PairingStatus {
            status: Status::PAIRING_BACKOFF,
            retry_after: Some(64),
        },
        &mut rng,
    );
    assert!(
        backoff.to_string().contains("failed pairing attempt")
            && backoff.to_string().ends_with("retry in 64 s"),
        "{backoff}"
    );
    let locked = answer(PairingStatus::new(Status::PAIRING_LOCKED_OUT), &mut rng);
    assert_eq!(locked, PairingError::PeerStatus(Status::PAIRING_LOCKED_OUT));
    let text = locked.to_string();
    assert!(
        text.contains("locked out after 10 failed")
            && text.contains("button")
            && text.contains("administrator"),
        "{text}"
    );
    // A device that predates retry-after still gets its plain busy reported.
    let old = answer(PairingStatus::new(Status::BUSY), &mut rng);
    assert_eq!(old, PairingError::PeerStatus(Status::BUSY));
    assert_eq!(old.to_string(), "the device is busy with another pairing");
}

//! Pairing, first phase: PASE, the passcode-authenticated key exchange between a controller
//! (the SPAKE2+ prover) and a device (the verifier) (`spec/v1/04-pairing.md`, rules
//! `[PAIR-*]`).
//!
//! ```text
//!  controller                                             device
//!  Controller::start        --PbkdfParamRequest-->   Device::handle_request
//!  ExpectPbkdfParamResponse <--PbkdfParamResponse--  ExpectPake1
//!                           --Pake1 (X)-->           ExpectPake1::handle
//!  ExpectPake2              <--Pake2 (Y, confirmV)-- ExpectPake3
//!  ExpectPake2::handle      --Pake3 (confirmP)-->    ExpectPake3::handle
//!  PairingKeys                                       PairingKeys
//! ```
//!
//! Each state is a type named after what it expects next and is consumed by its transition,
//! which returns the next state and the message to send, or a [`PairingError`] whose
//! [`status_message`](PairingError::status_message) is what to send instead. Nothing here
//! touches a socket or a clock: messages go in as bytes, time comes in as an
//! [`Instant`](std::time::Instant), answers come out as message values that the caller
//! encodes into its own buffer.
//!
//! The device's policy (pairing window, one handshake at a time, failed-attempt limit and
//! back-off) is a separate [`PairingWindow`] that every device transition consults.
//!
//! The output, [`PairingKeys`], carries two traffic secrets and the attestation challenge for
//! the PASE channel and the commissioning steps that follow (`05-attestation`).
//!
//! # Driving a pairing
//!
//! ```
//! use orbit_core::codec::CborMessage;
//! use orbit_core::crypto::SeededRandom;
//! use orbit_core::pairing::{
//!     Controller, Device, PairingWindow, PasscodeVerifier, PbkdfParams, DEFAULT_WINDOW_DURATION,
//! };
//! use orbit_core::version::SUPPORTED;
//! use std::time::Instant;
//!
//! let mut rng = SeededRandom::new(7);
//! let now = Instant::now();
//!
//! // At manufacture: the device stores a verifier, never the passcode.
//! let params = PbkdfParams::generate(&mut rng, 1000)?;
//! let stored = PasscodeVerifier::from_passcode(20202021, params)?;
//!
//! // The user opens the device's pairing window.
//! let mut window = PairingWindow::new();
//! window.open(now, DEFAULT_WINDOW_DURATION)?;
//! let device = Device { verifier: &stored, versions: SUPPORTED };
//!
//! // The phone scanned the setup code and starts pairing.
//! let phone = Controller {
//!     passcode: 20202021,
//!     versions: SUPPORTED,
//!     local_session_id: 1,
//!     known_params: None,
//! };
//! let (phone, request) = phone.start(&mut rng, now)?;
//! let (lamp, response) =
//!     device.handle_request(&mut window, &request.to_bytes(), 2, &mut rng, now)?;
//! let (phone, pake1) = phone.handle(&response.to_bytes(), &mut rng, now)?;
//! let (lamp, pake2) = lamp.handle(&mut window, &pake1.to_bytes(), &mut rng, now)?;
//! let (phone_keys, pake3) = phone.handle(&pake2.to_bytes(), now)?;
//! let lamp_keys = lamp.handle(&mut window, &pake3.to_bytes(), now)?;
//!
//! assert_eq!(phone_keys.send_secret().expose(), lamp_keys.receive_secret().expose());
//! assert_eq!(phone_keys.attestation_challenge, lamp_keys.attestation_challenge);
//! # Ok::<(), orbit_core::pairing::PairingError>(())
//! ```
//!
//! A device driver keeps at most one [`ExpectPake1`] / [`ExpectPake3`], wakes at
//! [`PairingWindow::poll_timeout`] and calls [`PairingWindow::handle_timeout`]; when a
//! transition fails it sends `error.status_message_at(now)` if there is one (a refusal for
//! `busy` or `pairing-backoff` then says when to retry, `[PAIR-35]`).

mod controller;
mod device;
mod error;
mod keys;
mod messages;
mod params;
mod window;

#[cfg(test)]
mod tests;

pub use controller::{Controller, ExpectPake2, ExpectPbkdfParamResponse};
pub use device::{Device, ExpectPake1, ExpectPake3};
pub use error::PairingError;
pub use keys::{PairingKeys, PairingRole, PairingSecret};
pub use messages::{
    MessageType, PairingStatus, Pake1, Pake2, Pake3, PbkdfParamRequest, PbkdfParamResponse,
    PAIRING_LIMITS, RANDOM_LEN,
};
pub use params::{PasscodeVerifier, PbkdfParams, PBKDF_ITERATIONS, PBKDF_SALT_LEN};
pub use window::{
    backoff_after, retry_after_secs, PairingWindow, WindowState, BACKOFF_BASE,
    DEFAULT_WINDOW_DURATION, DEVICE_STEP_TIMEOUT, HANDSHAKE_TIMEOUT, MAX_CONCURRENT_HANDSHAKES,
    MAX_FAILED_ATTEMPTS, MAX_RETRY_AFTER_SECS, MAX_WINDOW_DURATION, MIN_WINDOW_DURATION,
};

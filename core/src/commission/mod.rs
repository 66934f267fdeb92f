//! Commissioning: device attestation, installation of the home root and issuance of the
//! device's operational certificate over the PASE channel (`spec/v1/05-attestation.md`, rules
//! `[ATT-*]` and `[COMM-*]`).
//!
//! ```text
//!  controller                                              device
//!    Commissioner::start      --AttestationRequest-->    ExpectAttestationRequest
//!    ExpectAttestationResponse <--AttestationResponse--  ExpectInstallHome
//!    AttestationVerified (application decides)
//!      .install()             --InstallHome-->           ExpectInstallHome
//!    ExpectComplete           <--CommissioningComplete-- (home stored)
//! ```
//!
//! Each state is a type named after what it expects next and is consumed by its transition.
//! The states read and write plaintext CBOR: whoever drives them seals and opens the bytes
//! with the PASE channel's keys (`crate::protect`). Every failing transition appends a
//! [`CommissioningComplete`] carrying the error's status to the caller's buffer (unless the
//! failure was the peer's own report) so the peer learns why `[COMM-15]`; the caller sends it
//! and closes the channel. A device whose commissioning fails keeps nothing: its
//! [`HomeTable`](crate::cert::HomeTable) is changed only by a successful install, and the
//! operational key generated for the attempt lives in [`ExpectInstallHome`] and is dropped
//! with it `[COMM-14]`.
//!
//! The controller's verification and its installation are two steps ([`AttestationVerified`])
//! so an application can show what it is about to add, or check the vendor's certification
//! status, before choosing a node identifier `[COMM-8]`.
//!
//! # Driving both sides
//!
//! ```
//! use orbit_core::attest::{DeviceAttestation, TrustStore, VendorAuthority, DEV_VENDOR_ID};
//! use orbit_core::cert::{HomeAuthority, HomeTable, Validity};
//! use orbit_core::commission::{Commissioner, ExpectAttestationRequest, NodeAssignment};
//! use orbit_core::crypto::SeededRandom;
//! use std::time::Instant;
//!
//! let unix = 1_800_000_000;
//! let now = Instant::now();
//! let mut rng = SeededRandom::new(1);
//! let challenge = [7u8; 32]; // from the PASE key schedule, the same on both sides
//!
//! // Device: provisioned at manufacture (here with the development root).
//! let lamp = DeviceAttestation::development(&mut rng, 0x8001, 1, Validity::starting(unix, 86_400))
//!     .unwrap();
//! let mut lamp_homes = HomeTable::default();
//! // Controller: trusts the development root (development only, [ATT-7]) and has a home.
//! let mut trust = TrustStore::new();
//! trust.add_root(VendorAuthority::development().root().clone()).unwrap();
//! let mut home = HomeAuthority::create(&mut rng, unix, 86_400 * 365).unwrap();
//!
//! let (mut to_lamp, mut to_phone) = (Vec::new(), Vec::new());
//! let phone = Commissioner { challenge, expected_product: Some((DEV_VENDOR_ID, 0x8001)) }
//!     .start(&mut rng, now, &mut to_lamp)
//!     .unwrap();
//! let lamp_state = ExpectAttestationRequest::new(challenge, now)
//!     .handle(&lamp, &lamp_homes, &to_lamp, &mut rng, now, &mut to_phone)
//!     .unwrap();
//! let verified = phone.handle(&trust, &to_phone, now, unix, &mut to_lamp).unwrap();
//! assert_eq!(verified.device().product_id, 0x8001);
//!
//! to_lamp.clear();
//! let assignment = NodeAssignment {
//!     node_id: 0x42,
//!     validity: Validity::starting(unix, 86_400 * 365),
//!     admin_node_id: Some(1),
//! };
//! let phone = verified.install(&mut home, assignment, now, unix, &mut to_lamp).unwrap();
//! to_phone.clear();
//! let joined = lamp_state
//!     .handle(&mut lamp_homes, &to_lamp, now, Some(unix), &mut to_phone)
//!     .unwrap();
//! let device = phone.handle(&to_phone, now, &mut Vec::new()).unwrap();
//!
//! assert_eq!(joined.node_id, 0x42);
//! assert_eq!(device.node_id, 0x42);
//! assert!(lamp_homes.get(home.home_id()).is_some());
//! ```
//!
//! A driver wakes each state at its `deadline()` and calls `expire(out)`, which appends the
//! `timeout` report `[COMM-16]`.

mod controller;
mod device;
mod error;
mod failsafe;
mod messages;

pub use controller::{
    AttestationVerified, CommissionedDevice, Commissioner, ExpectAttestationResponse,
    ExpectComplete, NodeAssignment,
};
pub use device::{Commissioned, ExpectAttestationRequest, ExpectInstallHome};
pub use error::CommissionError;
pub use failsafe::{FailSafe, FailSafeBusy, Rollback, FAIL_SAFE_TIMEOUT, MIN_REOPEN};
pub use messages::{
    AttestationRequest, AttestationResponse, CommissioningComplete, InstallHome, MessageType,
    ATTESTATION_REQUEST_LIMITS, ATTESTATION_RESPONSE_LIMITS, COMMISSIONING_COMPLETE_LIMITS,
    INSTALL_HOME_LIMITS, NONCE_LEN,
};

use crate::codec::CborMessage;
use std::time::{Duration, Instant};

/// The earliest wall-clock time (Unix seconds, 2026-01-01T00:00:00Z) that the reference
/// device accepts as trustworthy `[COMM-23]`: a clock reading earlier is at a factory
/// default or lost power.
pub const TRUSTWORTHY_CLOCK_FLOOR_UNIX: u64 = 1_767_225_600;

/// The device's wall-clock time if it can be trusted for `[COMM-11]`, else `None`, in which
/// case the device checks `install-home` at the message's time `[COMM-12]`, `[COMM-23]`.
pub fn trustworthy_wall_clock(now_unix: u64) -> Option<u64> {
    (now_unix >= TRUSTWORTHY_CLOCK_FLOOR_UNIX).then_some(now_unix)
}

/// `[COMM-16]` how long each commissioning state waits for its next input.
pub const COMMISSIONING_TIMEOUT: Duration = Duration::from_secs(60);

/// `[COMM-16]` the deadline of a state entered at `now`.
fn deadline_after(now: Instant) -> Instant {
    now.checked_add(COMMISSIONING_TIMEOUT).unwrap_or(now)
}

/// `[COMM-15]` ends a transition with `error`: whatever the transition wrote after `start`
/// is removed and the report for the peer (if any) appended instead.
fn fail(error: CommissionError, out: &mut Vec<u8>, start: usize) -> CommissionError {
    out.truncate(start);
    if let Some(status) = error.reply_status() {
        CommissioningComplete { status }.encode_into(out);
    }
    error
}

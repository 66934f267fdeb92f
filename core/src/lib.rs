//! # orbit-core
//!
//! The Orbit v1 protocol as sans-IO state machines: setup codes, SPAKE2+ pairing, device
//! attestation, identities and homes, SIGMA sessions and message protection.
//!
//! Nothing in this crate touches a socket, a clock, a thread or a global random number
//! generator. Every input that depends on the outside world is passed in: the current time as
//! [`std::time::Instant`] (or Unix seconds where certificates need wall-clock time), and
//! randomness through the [`crypto::Random`] trait. The state machines answer with bytes to
//! send, a time to be woken at, or an event.
//!
//! The normative description of everything here lives in `spec/v1/`; code that enforces a rule
//! cites the rule's ID, such as `[PAIR-7]`.
#![forbid(unsafe_code)]

/// `fault!(faults, Variant)`: whether the fault switch `Variant` is on in `faults`. Without the
/// `conformance-faults` feature it is `false` and `faults` is never evaluated (the fields that
/// hold fault sets exist only with the feature), so the checks cost nothing.
#[cfg(feature = "conformance-faults")]
macro_rules! fault {
    ($faults:expr, $fault:ident) => {
        $faults.has($crate::faults::Fault::$fault)
    };
}
#[cfg(not(feature = "conformance-faults"))]
macro_rules! fault {
    ($faults:expr, $fault:ident) => {
        $crate::no_fault()
    };
}

/// What [`fault!`] is without the `conformance-faults` feature: a call, so that conditions
/// around it read the same with and without the feature.
#[cfg(not(feature = "conformance-faults"))]
#[inline(always)]
pub(crate) const fn no_fault() -> bool {
    false
}

pub mod attest;
pub mod cert;
pub mod codec;
pub mod commission;
pub mod crypto;
pub mod device;
#[cfg(feature = "conformance-faults")]
pub mod faults;
pub mod interaction;
pub mod model;
pub mod pairing;
pub mod protect;
pub mod session;
pub mod setup;
pub mod spake2plus;
pub mod status;
pub mod version;

//! # orbit-fuzz-targets
//!
//! The functions behind Orbit's fuzz targets (issue 15). Each takes the fuzzer's bytes, runs
//! one decoder or one state machine input, and asserts the properties that hold for every
//! input: no panic (a typed error instead), decode-then-encode gives the input back (less
//! unknown keys, [CBOR-8]), the direct and the tree decoders agree, an accepted message is one
//! the encoder could produce, and no decoder allocates more than its limits allow.
//!
//! The same functions run in two places: the cargo-fuzz binaries in `fuzz/` (nightly,
//! coverage-guided, `scripts/fuzz`) and the stable tests of this crate, which replay every
//! committed corpus file and fixed crash input (`fuzz/corpus/<target>/`,
//! `fuzz/regressions/<target>/`), so a regression fails `cargo test` without nightly.
//!
//! This is a test-support crate: nothing here is part of orbit-core's API, and it only uses
//! orbit-core's public items.
// The assertions are the product of this crate: a failed one is a finding.
#![allow(clippy::panic)]

pub mod alloc;
pub mod canonical;
pub mod cert;
pub mod codec;
pub mod commission;
mod flow;
pub mod interaction;
pub mod node;
pub mod pairing;
pub mod quic;
pub mod sealed;
pub mod session;
pub mod setup;

/// A fuzz target: its name (the cargo-fuzz binary and the corpus directory) and its function.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, in the order `scripts/fuzz` runs them.
pub const TARGETS: &[Target] = &[
    ("setup_qr", setup::qr),
    ("setup_manual", setup::manual),
    ("cbor_profile", codec::cbor_profile),
    ("cbor_reader", codec::cbor_reader),
    ("certificate", cert::certificate),
    ("tbs_certificate", cert::tbs_certificate),
    ("attestation_chain", cert::attestation_chain),
    ("pairing_pbkdf_param_request", pairing::pbkdf_param_request),
    (
        "pairing_pbkdf_param_response",
        pairing::pbkdf_param_response,
    ),
    ("pairing_pake1", pairing::pake1),
    ("pairing_pake2", pairing::pake2),
    ("pairing_pake3", pairing::pake3),
    ("pairing_status", pairing::status),
    ("pairing_flow", pairing::flow),
    (
        "commissioning_attestation_request",
        commission::attestation_request,
    ),
    (
        "commissioning_attestation_response",
        commission::attestation_response,
    ),
    ("commissioning_install_home", commission::install_home),
    ("commissioning_complete", commission::complete),
    ("commissioning_flow", commission::flow),
    ("session_sigma1", session::sigma1),
    ("session_sigma2", session::sigma2),
    ("session_sigma2_resume", session::sigma2_resume),
    ("session_sigma3", session::sigma3),
    ("session_status", session::status),
    ("session_payloads", session::payloads),
    ("session_flow", session::flow),
    ("sealed_record", sealed::sealed_record),
    ("interaction_envelope", interaction::envelope),
    ("descriptor", interaction::descriptor),
    ("quic_frames", quic::frames),
    ("device_node", node::device_node),
];

/// The function of target `name`.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// The entry point of the cargo-fuzz binaries: allocation checks on (the fuzzer runs one
/// input at a time on one thread), then the target.
pub fn fuzz(name: &str, data: &[u8]) {
    alloc::enable();
    match target(name) {
        Some(f) => f(data),
        None => panic!("no fuzz target named {name}"),
    }
}

//! SPAKE2+ (RFC 9383), suite P256-SHA256-HKDF-SHA256-HMAC-SHA256: the augmented PAKE under
//! Orbit pairing (`spec/v1/04-pairing.md` §4.5, rules `[PAIR-*]`).
//!
//! The prover knows the passcode and derives `(w0, w1)` from it ([`ProverSecrets`]); the
//! verifier stores only `(w0, L = w1·P)` ([`Verifier`]), so a dumped verifier is not
//! passcode-equivalent. One exchange is:
//!
//! ```text
//!  Prover::start            --shareP-->   Verifier::respond
//!                           <--shareV, confirmV--
//!  Prover::finish           --confirmP--> ExpectConfirmP::confirm
//!  (checks confirmV first)                (checks confirmP)
//! ```
//!
//! Both ends then hold the same [`SharedKey`] (`K_shared`). Group arithmetic comes from the
//! `p256` crate; SHA-256, HKDF, HMAC and PBKDF2 from `ring` through [`crate::crypto::hash`].
//! Nothing here is hand-rolled.
//!
//! Secret scalars are drawn from the caller's [`Random`](crate::crypto::Random) by rejection
//! sampling, so the exchange is reproducible under a seeded source, and the RFC's test vector
//! is reproduced by a source that returns the vector's `x` and `y`
//! (`core/tests/spake2plus_vectors.rs`).
//!
//! ```
//! use orbit_core::crypto::SeededRandom;
//! use orbit_core::spake2plus::{Binding, Prover, ProverSecrets, Verifier};
//!
//! let mut rng = SeededRandom::new(1);
//! let salt = [7u8; 16];
//! // Registration: the prover derives (w0, w1); the device stores only the verifier.
//! let secrets = ProverSecrets::from_passcode(20202021, &salt, 1000)?;
//! let verifier = Verifier::from_passcode(20202021, &salt, 1000)?;
//! let binding = Binding { context: b"example", id_prover: b"", id_verifier: b"" };
//!
//! let prover = Prover::start(&secrets, &mut rng)?;
//! let response = verifier.respond(&binding, prover.share(), &mut rng)?;
//! let (confirm_p, prover_key) = prover.finish(&binding, &response.share_v, &response.confirm_v)?;
//! let verifier_key = response.expect_confirm_p.confirm(&confirm_p)?;
//! assert_eq!(prover_key.as_bytes(), verifier_key.as_bytes());
//! # Ok::<(), orbit_core::spake2plus::Spake2PlusError>(())
//! ```

mod error;
mod exchange;
mod group;
mod registration;
mod schedule;

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod tests_support;

pub use error::{ShareKind, Spake2PlusError};
pub use exchange::{Binding, ExpectConfirmP, Prover, SharedKey, VerifierResponse};
pub use group::{M_UNCOMPRESSED, N_UNCOMPRESSED};
pub use registration::{ProverSecrets, Verifier};

/// Length of a SEC1 uncompressed P-256 point, the wire form of `shareP`, `shareV` and `L`.
pub const POINT_LEN: usize = 65;
/// Length of a P-256 scalar (`w0`, `w1`, `x`, `y`) in big-endian bytes.
pub const SCALAR_LEN: usize = 32;
/// Length of `confirmP`, `confirmV` and `K_shared` (SHA-256 output).
pub const CONFIRM_LEN: usize = 32;
/// Length of the PBKDF2 output `w0s ‖ w1s` (40 bytes each, RFC 9383 §3.2 with k = 64 bits of
/// extra length so the reduction mod n is unbiased).
pub const REGISTRATION_OUTPUT_LEN: usize = 80;
/// Length of a serialized verifier `w0 ‖ L` (the layout Matter also uses).
pub const VERIFIER_LEN: usize = SCALAR_LEN + POINT_LEN;

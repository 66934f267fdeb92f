//! Thin, typed wrappers over the cryptographic primitives Orbit uses.
//!
//! No primitive is implemented here: SHA-256, HMAC, HKDF, PBKDF2, Ed25519 and
//! ChaCha20-Poly1305 come from `ring`; P-256 arithmetic from `p256`; X25519 from
//! `x25519-dalek` (ring's X25519 only accepts keys it generates from its own sealed random
//! source, which would break the sans-IO rule that randomness is passed in, and would make the
//! published handshake vectors impossible to reproduce).

pub mod aead;
mod error;
pub mod hash;
mod random;
pub mod sign;
pub mod x25519;

pub use error::CryptoError;
pub use random::{Random, SeededRandom, SystemRandom};

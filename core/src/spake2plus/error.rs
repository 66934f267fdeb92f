use crate::crypto::CryptoError;
use crate::status::Status;
use thiserror::Error;

/// Which share a validation error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShareKind {
    /// `shareP` (the prover's `X`).
    Prover,
    /// `shareV` (the verifier's `Y`).
    Verifier,
}

impl std::fmt::Display for ShareKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ShareKind::Prover => "shareP (X)",
            ShareKind::Verifier => "shareV (Y)",
        })
    }
}

/// Why a SPAKE2+ step failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Spake2PlusError {
    /// `[PAIR-14]` a received share is not a 65-byte uncompressed SEC1 encoding of a P-256
    /// point other than the identity.
    #[error("invalid {0}: not an uncompressed P-256 point other than the identity")]
    InvalidShare(ShareKind),
    /// `[PAIR-17]` `[PAIR-18]` the peer's key confirmation MAC does not verify: the two sides
    /// derived different keys (wrong passcode or tampered messages). Deliberately carries no
    /// detail.
    #[error("key confirmation failed")]
    ConfirmationFailed,
    /// A scalar given as bytes is not below the group order n.
    #[error("scalar is not below the P-256 group order")]
    InvalidScalar,
    /// A serialized verifier does not have the layout `w0 (32) ‖ L (65)` or `L` is not a
    /// valid point.
    #[error("invalid verifier: expected w0 (32 bytes) followed by L (65-byte uncompressed point)")]
    InvalidVerifier,
    /// A primitive failed (random source, PBKDF2 with zero iterations, HKDF length).
    #[error("cryptographic failure: {0}")]
    Crypto(#[from] CryptoError),
}

impl Spake2PlusError {
    /// The wire status this error is reported as when it ends a pairing handshake.
    pub fn status(&self) -> Status {
        match self {
            Spake2PlusError::InvalidShare(_) => Status::INVALID_MESSAGE,
            Spake2PlusError::ConfirmationFailed => Status::PAKE_CONFIRMATION_FAILED,
            Spake2PlusError::InvalidScalar | Spake2PlusError::InvalidVerifier => {
                Status::INVALID_PARAMETER
            }
            Spake2PlusError::Crypto(_) => Status::FAILURE,
        }
    }
}

//! Why a protected message was dropped or could not be sealed `[MSG-18]`.

use super::header::{SessionId, OVERHEAD};
use crate::crypto::CryptoError;
use crate::status::Status;
use thiserror::Error;

/// A message-protection failure. Every receive-side variant means "drop this message and carry
/// on": none of them changes the session's state `[MSG-13]`, `[MSG-18]`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProtectError {
    /// The message is shorter than a header plus a tag `[MSG-11]`.
    #[error(
        "protected message truncated: {len} bytes, at least {OVERHEAD} needed for header and tag"
    )]
    Truncated {
        /// The message's length.
        len: usize,
    },
    /// The header's flags byte has a reserved bit set `[MSG-7]`.
    #[error("protected message header has reserved flag bits set (flags 0x{flags:02x})")]
    ReservedFlags {
        /// The flags byte received.
        flags: u8,
    },
    /// No session with the header's identifier exists (reported by session tables that route
    /// with [`super::peek_session_id`]) `[MSG-3]`.
    #[error("no session with identifier {session_id}")]
    UnknownSession {
        /// The identifier in the header.
        session_id: SessionId,
    },
    /// The message names another session than the one asked to open it `[MSG-3]`.
    #[error("message is for session {found}, but this is session {expected}")]
    WrongSession {
        /// This session's receive identifier.
        expected: SessionId,
        /// The identifier in the header.
        found: SessionId,
    },
    /// The counter was already accepted `[MSG-12]`.
    #[error("message counter {counter} was already received (replay)")]
    Replayed {
        /// The counter in the header.
        counter: u64,
    },
    /// The counter is below the replay window `[MSG-12]`.
    #[error("message counter {counter} is below the replay window (lowest acceptable: {lowest})")]
    TooOld {
        /// The counter in the header.
        counter: u64,
        /// The lowest counter the window still accepts.
        lowest: u64,
    },
    /// The message belongs to a key generation whose receive key was already erased
    /// `[MSG-16]`, `[MSG-17]`.
    #[error(
        "message counter {counter} has key phase {key_phase}, whose key was already discarded"
    )]
    KeyDiscarded {
        /// The counter in the header.
        counter: u64,
        /// The key phase in the header.
        key_phase: u8,
    },
    /// Authentication failed: the message was tampered with, forged, or sealed under another
    /// session's key `[MSG-10]`.
    #[error(
        "protected message failed authentication (tampered, forged, or another session's key)"
    )]
    DecryptFailed,
    /// The send counter is exhausted; the session needs a new handshake `[MSG-8]`.
    #[error("message counter exhausted: the session must be re-keyed with a new handshake")]
    RekeyRequired,
    /// The payload is too large for ChaCha20-Poly1305.
    #[error("payload of {len} bytes is too large to seal")]
    PayloadTooLarge {
        /// The payload's length.
        len: usize,
    },
    /// Deriving or installing a key failed inside the cryptographic library.
    #[error("key derivation failed: {0}")]
    KeySetup(CryptoError),
}

impl ProtectError {
    /// The wire status code for this failure. Message protection reports it only locally:
    /// dropped messages get no reply `[MSG-18]`, `[STATUS-3]`.
    pub fn status(&self) -> Status {
        match self {
            Self::Truncated { .. } | Self::ReservedFlags { .. } => Status::INVALID_MESSAGE,
            Self::UnknownSession { .. } | Self::WrongSession { .. } => Status::UNKNOWN_SESSION,
            Self::Replayed { .. } | Self::TooOld { .. } | Self::KeyDiscarded { .. } => {
                Status::REPLAYED
            }
            Self::DecryptFailed => Status::DECRYPT_FAILED,
            Self::RekeyRequired => Status::REKEY_REQUIRED,
            Self::PayloadTooLarge { .. } => Status::RESOURCE_EXHAUSTED,
            Self::KeySetup(_) => Status::FAILURE,
        }
    }
}

use super::messages::MessageType;
use crate::cert::{CertError, NodeId};
use crate::codec::CodecError;
use crate::crypto::CryptoError;
use crate::status::Status;
use crate::version::VersionError;
use std::time::Instant;
use thiserror::Error;

/// Why a session handshake failed. One variant per protocol violation; [`SessionError::status`]
/// gives the code a node reports to its peer `[SESS-36]`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SessionError {
    /// A handshake message does not decode, or breaks a rule of its format `[SESS-3]`.
    #[error("malformed session handshake message: {0}")]
    Codec(#[from] CodecError),
    /// A message of another type arrived than the state expects `[SESS-4]`.
    #[error("unexpected {found} message; expected {expected}")]
    UnexpectedMessage {
        /// What the state expects.
        expected: &'static str,
        /// What arrived.
        found: MessageType,
    },
    /// The peer ended the handshake with a status message `[SESS-37]`.
    #[error("the peer ended the handshake with status {0}")]
    PeerStatus(Status),
    /// `[SESS-15]` the destination identifier matches none of the responder's homes.
    #[error("the destination identifier matches none of our homes")]
    UnknownDestination,
    /// `[SESS-11]` the responder's certificate names another node than the one the
    /// initiator asked for.
    #[error("the responder is node {found:016x}, not the requested node {expected:016x}")]
    PeerMismatch {
        /// The node the initiator asked for.
        expected: NodeId,
        /// The node in the responder's certificate.
        found: NodeId,
    },
    /// `[SESS-10]` the peer's certificate was rejected (forged, expired, other home, ...).
    #[error("peer certificate rejected: {0}")]
    Certificate(#[from] CertError),
    /// `[SESS-19]` the peer's transcript signature does not verify.
    #[error("the peer's handshake signature does not verify")]
    BadSignature,
    /// `[SESS-18]` an encrypted handshake payload failed authentication: the two sides
    /// derived different keys (a tampered message or a wrong resumption secret).
    #[error("the encrypted part of {message} failed authentication")]
    DecryptFailed {
        /// The message whose payload failed.
        message: &'static str,
    },
    /// `[SESS-6]` `[VER-3]` `[VER-4]` `[VER-5]` version negotiation failed or was tampered with.
    #[error("version negotiation failed: {0}")]
    Version(#[from] VersionError),
    /// `[SESS-25]` the resume MAC in Sigma1 does not verify for the named ticket; the
    /// ticket is consumed and the initiator has to run a full handshake.
    #[error("resumption rejected: the resume MAC does not verify")]
    ResumptionRejected,
    /// `[SESS-33]` the handshake did not finish before its deadline.
    #[error("handshake timed out (deadline {deadline:?})")]
    Timeout {
        /// The state's deadline.
        deadline: Instant,
    },
    /// A cryptographic primitive failed or rejected its input (a low-order X25519 key,
    /// a failed random source).
    #[error("cryptographic failure: {0}")]
    Crypto(#[from] CryptoError),
}

impl SessionError {
    /// The wire status for this error `[SESS-36]`.
    pub fn status(&self) -> Status {
        match self {
            SessionError::Codec(e) => e.status(),
            SessionError::UnexpectedMessage { .. } => Status::UNEXPECTED_MESSAGE,
            SessionError::PeerStatus(s) => *s,
            SessionError::UnknownDestination => Status::WRONG_HOME,
            SessionError::PeerMismatch { .. } => Status::INVALID_CERTIFICATE,
            // [SESS-10] a certificate that does not even decode is an invalid certificate.
            SessionError::Certificate(CertError::Malformed(_)) => Status::INVALID_CERTIFICATE,
            SessionError::Certificate(e) => e.status(),
            SessionError::BadSignature | SessionError::DecryptFailed { .. } => {
                Status::INVALID_SIGNATURE
            }
            SessionError::Version(e) => e.status(),
            SessionError::ResumptionRejected => Status::RESUMPTION_REJECTED,
            SessionError::Timeout { .. } => Status::TIMEOUT,
            SessionError::Crypto(CryptoError::RandomFailed) => Status::FAILURE,
            SessionError::Crypto(_) => Status::INVALID_PARAMETER,
        }
    }
}

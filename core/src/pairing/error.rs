use super::messages::{MessageType, PairingStatus};
use crate::codec::CodecError;
use crate::crypto::CryptoError;
use crate::spake2plus::{ShareKind, Spake2PlusError};
use crate::status::Status;
use crate::version::VersionError;
use std::time::{Duration, Instant};
use thiserror::Error;

/// Why a pairing handshake failed, or why the device refused to start one. One variant per
/// protocol violation; [`PairingError::status`] gives the code reported to the peer
/// `[PAIR-30]`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PairingError {
    /// `[PAIR-2]` `[PAIR-3]` a message does not decode or breaks its format.
    #[error("malformed pairing message: {0}")]
    Codec(#[from] CodecError),
    /// `[PAIR-2]` a message of another type arrived than the state expects.
    #[error("unexpected {found} message; expected {expected}")]
    UnexpectedMessage {
        /// What the state expects.
        expected: MessageType,
        /// What arrived.
        found: MessageType,
    },
    /// `[PAIR-22]` the peer ended the handshake with a status message.
    #[error("{}", refusal_text(*.0, None))]
    PeerStatus(Status),
    /// `[PAIR-35]` the device refused with `busy` or `pairing-backoff` and said when a new
    /// request can succeed.
    #[error("{}", refusal_text(*.status, Some(*.retry_after)))]
    PeerRefused {
        /// The status the device sent.
        status: Status,
        /// How long to wait before the next request `[PAIR-36]`.
        retry_after: Duration,
    },
    /// `[PAIR-5]` the response does not echo this controller's random: it answers another
    /// request.
    #[error("the PBKDF parameter response answers another request (controller random differs)")]
    ResponseMismatch,
    /// `[PAIR-9]` `[VER-3]` `[VER-4]` `[VER-5]` version negotiation failed or was tampered with.
    #[error("version negotiation failed: {0}")]
    Version(#[from] VersionError),
    /// `[PAIR-6]` PBKDF2 parameters outside the spec's bounds.
    #[error(
        "PBKDF2 parameters out of bounds: {iterations} iterations (allowed 1000..=100000), \
         salt of {salt_len} bytes (allowed 16..=32)"
    )]
    PbkdfOutOfBounds {
        /// The iteration count received.
        iterations: u32,
        /// The salt length received.
        salt_len: usize,
    },
    /// `[PAIR-5]` the response has no PBKDF2 parameters although the controller asked for them.
    #[error("the response lacks the PBKDF2 parameters the controller asked for")]
    MissingPbkdfParams,
    /// `[PAIR-5]` the response has PBKDF2 parameters although the controller said it has them.
    #[error("the response carries PBKDF2 parameters although the controller said it has them")]
    UnexpectedPbkdfParams,
    /// `[PAIR-14]` a SPAKE2+ share is not a valid P-256 point.
    #[error("invalid SPAKE2+ {0}")]
    InvalidShare(ShareKind),
    /// `[PAIR-17]` `[PAIR-18]` `[PAIR-19]` key confirmation failed: a wrong passcode or a
    /// tampered message. The same error whatever the passcode difference.
    #[error("key confirmation failed (wrong passcode or tampered messages)")]
    ConfirmationFailed,
    /// `[PAIR-23]` the device's pairing window is not open.
    #[error("the device's pairing window is closed")]
    WindowClosed,
    /// `[PAIR-27]` too many failed attempts: the window stays closed until it is opened on
    /// purpose `[PAIR-31]`.
    #[error(
        "pairing locked out after too many failed attempts; open the pairing window on the \
         device or as an administrator"
    )]
    LockedOut,
    /// `[PAIR-24]` another pairing handshake is in progress; its slot frees by `until` at the
    /// latest `[PAIR-33]`.
    #[error("another pairing handshake is in progress (until {until:?} at the latest)")]
    Busy {
        /// When the handshake in progress reaches its deadline.
        until: Instant,
    },
    /// `[PAIR-26]` the device refuses new handshakes until the back-off after a failure ends.
    #[error("pairing is backing off after a failed attempt until {until:?}")]
    BackingOff {
        /// When the back-off ends.
        until: Instant,
    },
    /// `[PAIR-28]` the next message did not arrive before the state's deadline.
    #[error("pairing handshake timed out (deadline {deadline:?})")]
    Timeout {
        /// The state's deadline.
        deadline: Instant,
    },
    /// `[PAIR-23]` a pairing window duration outside the allowed range (a local API error).
    #[error("pairing window duration {duration:?} is outside 3..=15 minutes")]
    InvalidWindowDuration {
        /// The duration asked for.
        duration: Duration,
    },
    /// A primitive failed (the random source, most likely).
    #[error("cryptographic failure: {0}")]
    Crypto(#[from] CryptoError),
    /// A SPAKE2+ failure with no more specific variant above.
    #[error("SPAKE2+ failure: {0}")]
    Spake2Plus(Spake2PlusError),
}

impl From<Spake2PlusError> for PairingError {
    fn from(e: Spake2PlusError) -> Self {
        match e {
            Spake2PlusError::InvalidShare(kind) => PairingError::InvalidShare(kind),
            Spake2PlusError::ConfirmationFailed => PairingError::ConfirmationFailed,
            Spake2PlusError::Crypto(c) => PairingError::Crypto(c),
            other => PairingError::Spake2Plus(other),
        }
    }
}

impl PairingError {
    /// The wire status for this error `[PAIR-30]`.
    pub fn status(&self) -> Status {
        match self {
            PairingError::Codec(e) => e.status(),
            PairingError::UnexpectedMessage { .. } | PairingError::ResponseMismatch => {
                Status::UNEXPECTED_MESSAGE
            }
            PairingError::PeerStatus(s) | PairingError::PeerRefused { status: s, .. } => *s,
            PairingError::Version(e) => e.status(),
            PairingError::PbkdfOutOfBounds { .. } | PairingError::InvalidWindowDuration { .. } => {
                Status::INVALID_PARAMETER
            }
            PairingError::MissingPbkdfParams
            | PairingError::UnexpectedPbkdfParams
            | PairingError::InvalidShare(_) => Status::INVALID_MESSAGE,
            PairingError::ConfirmationFailed => Status::PAKE_CONFIRMATION_FAILED,
            PairingError::WindowClosed => Status::PAIRING_WINDOW_CLOSED,
            PairingError::LockedOut => Status::PAIRING_LOCKED_OUT,
            PairingError::Busy { .. } => Status::BUSY,
            PairingError::BackingOff { .. } => Status::PAIRING_BACKOFF,
            PairingError::Timeout { .. } => Status::TIMEOUT,
            PairingError::Crypto(_) => Status::FAILURE,
            PairingError::Spake2Plus(e) => e.status(),
        }
    }

    /// The status message to send to the peer for this error, or `None` when the peer ended
    /// the handshake itself (a status message is never answered `[PAIR-22]`).
    pub fn status_message(&self) -> Option<PairingStatus> {
        match self {
            PairingError::PeerStatus(_) | PairingError::PeerRefused { .. } => None,
            other => Some(PairingStatus::new(other.status())),
        }
    }

    /// [`PairingError::status_message`] as a device sends it at `now`: a refusal for `busy`
    /// or `pairing-backoff` says in how many seconds its cause ends `[PAIR-35]`.
    pub fn status_message_at(&self, now: Instant) -> Option<PairingStatus> {
        let mut message = self.status_message()?;
        message.retry_after = self.retry_after(now);
        Some(message)
    }

    /// `[PAIR-35]` the retry-after of a device's refusal at `now`, in seconds.
    pub fn retry_after(&self, now: Instant) -> Option<u32> {
        match self {
            PairingError::Busy { until } | PairingError::BackingOff { until } => {
                Some(super::window::retry_after_secs(*until, now))
            }
            _ => None,
        }
    }

    /// `[PAIR-35]` the error a controller reports for a device's `pairing-status`.
    pub(crate) fn from_peer(status: PairingStatus) -> Self {
        match status.retry_after {
            Some(secs) => PairingError::PeerRefused {
                status: status.status,
                retry_after: Duration::from_secs(secs.into()),
            },
            None => PairingError::PeerStatus(status.status),
        }
    }
}

/// `[PAIR-36]` what a refusal means to the user and what to do about it.
fn refusal_text(status: Status, retry_after: Option<Duration>) -> String {
    let retry = retry_after.map_or_else(String::new, |d| format!("; retry in {} s", d.as_secs()));
    match status {
        Status::BUSY => format!("the device is busy with another pairing{retry}"),
        Status::PAIRING_BACKOFF => {
            format!(
                "the device is waiting after a failed pairing attempt (wrong setup code?){retry}"
            )
        }
        Status::PAIRING_LOCKED_OUT => format!(
            "the device is locked out after {} failed pairing attempts; press its pairing \
             button (or factory-reset it), or ask an administrator of one of its homes to \
             open its pairing window",
            super::window::MAX_FAILED_ATTEMPTS
        ),
        Status::PAIRING_WINDOW_CLOSED => {
            "the device's pairing window is closed; open it on the device".to_owned()
        }
        other => format!("the peer ended pairing with status {other}{retry}"),
    }
}

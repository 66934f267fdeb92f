//! The async link's error type.

use crate::error::FramingError;
use crate::radio::RadioError;

/// Everything that can go wrong on an Orbit BLE link or one of its exchanges.
///
/// Errors of one exchange ([`BleError::is_exchange_error`]) leave the link and its other
/// exchanges working ([BLE-18], as [QUIC-14]); the others mean the link has ended.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BleError {
    /// The framing failed the link (a violation by either side, a stall, a timeout) or the
    /// peer sent an error frame ([BLE-9], [BLE-10], [BLE-13]).
    #[error("the BLE link failed: {0}")]
    Framing(FramingError),
    /// The radio refused a write.
    #[error("the BLE link failed: {0}")]
    Radio(RadioError),
    /// The Bluetooth connection ended.
    #[error("the Bluetooth connection ended")]
    Disconnected,
    /// The link was closed gracefully ([BLE-14]); nothing new can be sent on it.
    #[error("the BLE link is closed")]
    Closed,
    /// The peer reset the exchange with this [QUIC-13] code ([BLE-15]).
    #[error("the peer reset the exchange (code {0})")]
    Reset(u8),
    /// The peer sent a kind this node does not know; the exchange was reset with
    /// `unknown-kind` ([BLE-18]).
    #[error("the peer sent an unknown kind {0}; the exchange was reset")]
    UnknownKind(u8),
    /// The peer sent a malformed SDU; the exchange was reset with `malformed-frame`
    /// ([BLE-15], [BLE-19]).
    #[error("the peer sent a malformed SDU; the exchange was reset")]
    Malformed,
    /// The peer sent more than this exchange buffers while it was not read; the exchange was
    /// reset with `limit-exceeded`.
    #[error("the peer flooded the exchange; it was reset")]
    Flooded,
    /// The exchange already ended on this side (finished or reset).
    #[error("the exchange already ended")]
    ExchangeEnded,
    /// A message this side may not send: kind outside 1..=3 or payload not 1..=16384 bytes
    /// ([BLE-15], [BLE-19]).
    #[error("invalid message: {0}")]
    InvalidMessage(&'static str),
    /// The operation belongs to the other role (only a central opens exchanges, only a
    /// peripheral sends unsolicited messages, [BLE-16], [BLE-17]).
    #[error("only the {0} can do this")]
    WrongRole(&'static str),
}

impl BleError {
    /// Whether the error ended only one exchange; the link goes on.
    pub fn is_exchange_error(&self) -> bool {
        matches!(
            self,
            BleError::Reset(_)
                | BleError::UnknownKind(_)
                | BleError::Malformed
                | BleError::Flooded
                | BleError::ExchangeEnded
                | BleError::InvalidMessage(_)
                | BleError::WrongRole(_)
        )
    }
}

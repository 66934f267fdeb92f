//! Application error codes carried by QUIC stream resets and connection closes ([QUIC-13]).

use std::fmt;

/// An Orbit application error code, sent in QUIC `RESET_STREAM`, `STOP_SENDING` and
/// `CONNECTION_CLOSE` frames ([QUIC-13]).
///
/// A newtype rather than an enum, so that a code this version does not know (sent by a newer
/// peer) survives and is reported as a number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorCode(pub u64);

impl ErrorCode {
    /// Normal end: the stream or connection is no longer needed.
    pub const NO_ERROR: Self = Self(0);
    /// A frame's length exceeded the maximum payload ([QUIC-11]).
    pub const FRAME_TOO_LARGE: Self = Self(1);
    /// A frame was malformed: zero length, cut off by the end of its stream, or a
    /// unidirectional stream that did not carry exactly one frame ([QUIC-12]).
    pub const MALFORMED_FRAME: Self = Self(2);
    /// A frame carried a kind the receiver does not know ([QUIC-10]).
    pub const UNKNOWN_KIND: Self = Self(3);
    /// The receiver refuses the exchange because one of its Orbit-level limits is reached
    /// (for example pending session handshakes, [SESS-34]).
    pub const LIMIT_EXCEEDED: Self = Self(4);
    /// A frame started but did not complete within the stall deadline ([QUIC-17]).
    pub const STALLED: Self = Self(5);
    /// The node sheds an established connection because it is out of resources.
    pub const SERVER_BUSY: Self = Self(6);

    /// The code's name, or `None` for a code this version does not define.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::NO_ERROR => "no-error",
            Self::FRAME_TOO_LARGE => "frame-too-large",
            Self::MALFORMED_FRAME => "malformed-frame",
            Self::UNKNOWN_KIND => "unknown-kind",
            Self::LIMIT_EXCEEDED => "limit-exceeded",
            Self::STALLED => "stalled",
            Self::SERVER_BUSY => "server-busy",
            _ => return None,
        })
    }

    /// The code as a QUIC variable-length integer; codes beyond 2^62 − 1 (which no peer can
    /// send) saturate.
    pub(crate) fn to_varint(self) -> quinn::VarInt {
        quinn::VarInt::from_u64(self.0).unwrap_or(quinn::VarInt::MAX)
    }

    pub(crate) fn from_varint(v: quinn::VarInt) -> Self {
        Self(v.into_inner())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({})", self.0),
            None => write!(f, "unknown code {}", self.0),
        }
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_unknown_codes() {
        assert_eq!(ErrorCode::STALLED.to_string(), "stalled (5)");
        assert_eq!(ErrorCode(77).to_string(), "unknown code 77");
        assert_eq!(
            ErrorCode::from_varint(ErrorCode(77).to_varint()),
            ErrorCode(77)
        );
        assert_eq!(ErrorCode(u64::MAX).to_varint(), quinn::VarInt::MAX);
    }
}

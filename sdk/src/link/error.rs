//! Why a link or an exchange failed, by transport.

use thiserror::Error;

/// A transport failed (connection lost, bad frame, stalled peer). It displays as the
/// transport's own error, so the messages users see do not depend on this wrapper.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The QUIC transport failed.
    #[error(transparent)]
    Quic(#[from] orbit_quic::QuicError),
}

impl LinkError {
    /// Whether the error concerns one exchange or unsolicited message only, so the link goes
    /// on ([QUIC-14]).
    pub fn is_stream_error(&self) -> bool {
        match self {
            LinkError::Quic(e) => e.is_stream_error(),
        }
    }

    /// Whether the peer refused or dropped the connection only because it is at a limit right
    /// now, so that trying again later may succeed ([QUIC-41], [QUIC-42]).
    pub fn is_busy(&self) -> bool {
        match self {
            LinkError::Quic(e) => e.is_busy(),
        }
    }
}

//! Why a link or an exchange failed, by transport.

use thiserror::Error;

/// A transport failed (connection lost, bad frame, stalled peer). It displays as the
/// transport's own error, so the messages users see do not depend on this wrapper. The device
/// and controller errors take each variant into the variant that names that transport
/// (`DeviceError::Transport`, `Cause::Transport` for QUIC), so callers that match on the
/// QUIC error go on working.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The QUIC transport failed.
    #[error(transparent)]
    Quic(#[from] orbit_quic::QuicError),
    /// The BLE link failed.
    #[error(transparent)]
    Ble(#[from] orbit_ble::link::BleError),
}

impl LinkError {
    /// Whether the error concerns one exchange or unsolicited message only, so the link goes
    /// on ([QUIC-14]).
    pub fn is_stream_error(&self) -> bool {
        match self {
            LinkError::Quic(e) => e.is_stream_error(),
            LinkError::Ble(e) => e.is_exchange_error(),
        }
    }

    /// Whether the peer refused or dropped the connection only because it is at a limit right
    /// now, so that trying again later may succeed ([QUIC-41], [QUIC-42]).
    pub fn is_busy(&self) -> bool {
        match self {
            LinkError::Quic(e) => e.is_busy(),
            LinkError::Ble(e) => matches!(e, orbit_ble::link::BleError::Reset(4)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LinkError;
    use crate::controller::{Cause, ControllerError, Phase};
    use crate::device::DeviceError;
    use orbit_quic::{ErrorCode, QuicError};
    use std::net::SocketAddr;

    fn busy() -> QuicError {
        QuicError::ClosedByPeer {
            code: ErrorCode::SERVER_BUSY,
            reason: String::new(),
        }
    }

    #[test]
    fn a_link_error_reads_as_the_transport_error_it_wraps() {
        let addr = SocketAddr::from(([127, 0, 0, 1], 5541));
        for quic in [QuicError::TimedOut, QuicError::Refused { addr }, busy()] {
            let text = quic.to_string();
            let device = DeviceError::from(LinkError::from(quic));
            assert!(matches!(device, DeviceError::Transport(_)));
            assert_eq!(device.to_string(), format!("transport: {text}"));
        }
        // [QUIC-41] [QUIC-42] busy still reads as busy, through either wrapper.
        let text = busy().to_string();
        let link = LinkError::from(busy());
        assert!(link.is_busy());
        assert!(!link.is_stream_error());
        assert!(LinkError::from(QuicError::StreamClosed).is_stream_error());
        let controller = ControllerError::new(Phase::Connect, link);
        assert!(matches!(&controller.cause, Cause::Transport(e) if e.is_busy()));
        assert_eq!(controller.to_string(), format!("connect failed: {text}"));
    }
}

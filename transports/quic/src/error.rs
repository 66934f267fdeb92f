//! The crate's error type and its mapping from quinn's errors.

use std::net::SocketAddr;
use std::time::Duration;

use quinn::{ConnectionError, ReadError, TransportErrorCode, WriteError};

use crate::code::ErrorCode;
use crate::frame::{FrameError, FrameKind};
use crate::Role;

/// Everything that can go wrong on an Orbit QUIC endpoint, link or exchange.
///
/// Each message is one line a CLI can print. Errors of one exchange (stream) —
/// [`Frame`](Self::Frame), [`UnknownKind`](Self::UnknownKind), [`Stalled`](Self::Stalled),
/// [`StreamReset`](Self::StreamReset), [`StreamStopped`](Self::StreamStopped) — leave the
/// link and its other exchanges working ([QUIC-14]); see [`QuicError::is_stream_error`].
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum QuicError {
    /// The UDP socket could not be bound.
    #[error("cannot bind UDP socket {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A connection attempt could not start (bad address, endpoint closed).
    #[error("cannot connect to {addr}: {reason}")]
    Connect {
        /// The server's address.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The server refused the connection because it is at its connection or handshake
    /// limit ([QUIC-18]).
    #[error("{addr} refused the connection (server busy)")]
    Refused {
        /// The server's address.
        addr: SocketAddr,
    },
    /// The QUIC handshake failed.
    #[error("QUIC handshake with {addr} failed: {reason}")]
    Handshake {
        /// The peer's address.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The peer did not negotiate the ALPN protocol `orbit/1` ([QUIC-1]).
    #[error("{addr} does not speak orbit/1 (no matching ALPN)")]
    NoAlpn {
        /// The peer's address.
        addr: SocketAddr,
    },
    /// The QUIC handshake did not complete in time ([QUIC-18]).
    #[error("QUIC handshake with {addr} did not complete within {timeout:?}")]
    HandshakeTimeout {
        /// The peer's address.
        addr: SocketAddr,
        /// The configured handshake timeout.
        timeout: Duration,
    },
    /// The peer closed the connection with an application error code.
    #[error("connection closed by peer: {code}, {reason:?}")]
    ClosedByPeer {
        /// The peer's code.
        code: ErrorCode,
        /// The peer's reason phrase.
        reason: String,
    },
    /// This side closed the connection.
    #[error("connection closed locally")]
    LocallyClosed,
    /// The connection was idle for longer than the idle timeout ([QUIC-16]).
    #[error("connection timed out (idle)")]
    TimedOut,
    /// The connection ended for another reason (transport error, stateless reset).
    #[error("connection lost: {reason}")]
    ConnectionLost {
        /// Why.
        reason: String,
    },
    /// A received frame broke the framing rules; the stream was reset ([QUIC-14]).
    #[error("bad frame: {0}")]
    Frame(#[from] FrameError),
    /// A received frame had a kind this version does not define; the stream was reset
    /// ([QUIC-10]).
    #[error("received a frame of {0}")]
    UnknownKind(FrameKind),
    /// A frame started but did not complete within the stall deadline; the stream was
    /// reset ([QUIC-17]).
    #[error("peer stalled mid-frame for more than {0:?}")]
    Stalled(Duration),
    /// The peer reset its sending side of the stream.
    #[error("stream reset by peer: {0}")]
    StreamReset(ErrorCode),
    /// The peer stopped reading the stream.
    #[error("stream stopped by peer: {0}")]
    StreamStopped(ErrorCode),
    /// The stream was already finished or reset by this side.
    #[error("stream already finished or reset")]
    StreamClosed,
    /// The operation is not one this side of a link performs ([QUIC-5], [QUIC-7]).
    #[error("a {role} does not {op}")]
    WrongRole {
        /// This side.
        role: Role,
        /// The operation attempted.
        op: &'static str,
    },
    /// The configuration cannot be used (a value out of range, a TLS setup failure).
    #[error("invalid QUIC configuration: {0}")]
    Config(String),
    /// An I/O error of the local socket.
    #[error("socket error: {0}")]
    Io(#[from] std::io::Error),
}

impl QuicError {
    /// Whether the error concerns one exchange or unsolicited stream only, so the link goes on.
    pub fn is_stream_error(&self) -> bool {
        matches!(
            self,
            Self::Frame(_)
                | Self::UnknownKind(_)
                | Self::Stalled(_)
                | Self::StreamReset(_)
                | Self::StreamStopped(_)
                | Self::StreamClosed
        )
    }

    /// Whether the connection ended cleanly: closed locally, or by the peer with
    /// [`ErrorCode::NO_ERROR`].
    /// Whether the server turned the connection away only for want of room: it refused the
    /// attempt ([QUIC-18], [QUIC-41]) or closed the connection to make room for another
    /// ([QUIC-41], [QUIC-42]). Trying again shortly is the answer, not looking elsewhere.
    pub fn is_busy(&self) -> bool {
        match self {
            Self::Refused { .. } => true,
            Self::ClosedByPeer { code, .. } => *code == ErrorCode::SERVER_BUSY,
            _ => false,
        }
    }

    pub(crate) fn is_clean_close(&self) -> bool {
        match self {
            Self::LocallyClosed => true,
            Self::ClosedByPeer { code, .. } => *code == ErrorCode::NO_ERROR,
            _ => false,
        }
    }

    pub(crate) fn from_connection(e: ConnectionError, addr: SocketAddr) -> Self {
        // TLS alert no_application_protocol (120) as a QUIC CRYPTO_ERROR, RFC 9001 §4.8.
        let no_alpn = TransportErrorCode::crypto(120);
        match e {
            ConnectionError::ApplicationClosed(c) => Self::ClosedByPeer {
                code: ErrorCode::from_varint(c.error_code),
                reason: String::from_utf8_lossy(&c.reason).into_owned(),
            },
            ConnectionError::ConnectionClosed(c)
                if c.error_code == TransportErrorCode::CONNECTION_REFUSED =>
            {
                Self::Refused { addr }
            }
            ConnectionError::ConnectionClosed(c) if c.error_code == no_alpn => {
                Self::NoAlpn { addr }
            }
            ConnectionError::TransportError(t) if t.code == no_alpn => Self::NoAlpn { addr },
            ConnectionError::TimedOut => Self::TimedOut,
            ConnectionError::LocallyClosed => Self::LocallyClosed,
            other => Self::ConnectionLost {
                reason: other.to_string(),
            },
        }
    }

    pub(crate) fn from_read(e: ReadError, addr: SocketAddr) -> Self {
        match e {
            ReadError::Reset(code) => Self::StreamReset(ErrorCode::from_varint(code)),
            ReadError::ConnectionLost(c) => Self::from_connection(c, addr),
            _ => Self::StreamClosed,
        }
    }

    pub(crate) fn from_write(e: WriteError, addr: SocketAddr) -> Self {
        match e {
            WriteError::Stopped(code) => Self::StreamStopped(ErrorCode::from_varint(code)),
            WriteError::ConnectionLost(c) => Self::from_connection(c, addr),
            _ => Self::StreamClosed,
        }
    }
}

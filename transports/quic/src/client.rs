//! [`Client`]: the controller's endpoint.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::{client_config, QuicConfig, ALPN};
use crate::error::QuicError;
use crate::link::Link;
use crate::Role;

/// A controller's QUIC endpoint: one UDP socket from which it connects to devices.
#[derive(Debug)]
pub struct Client {
    endpoint: quinn::Endpoint,
    client_config: quinn::ClientConfig,
    cfg: Arc<QuicConfig>,
}

impl Client {
    /// Binds a UDP socket at `bind` (port 0 for any).
    pub fn new(bind: SocketAddr, cfg: QuicConfig) -> Result<Self, QuicError> {
        let client_config = client_config(&cfg)?;
        let endpoint = quinn::Endpoint::client(bind)
            .map_err(|source| QuicError::Bind { addr: bind, source })?;
        Ok(Self {
            endpoint,
            client_config,
            cfg: Arc::new(cfg),
        })
    }

    /// The local address of the socket.
    pub fn local_addr(&self) -> Result<SocketAddr, QuicError> {
        Ok(self.endpoint.local_addr()?)
    }

    /// Connects to a device: QUIC handshake with ALPN `orbit/1` ([QUIC-1]) within the
    /// handshake timeout.
    pub async fn connect(&self, addr: SocketAddr) -> Result<Link, QuicError> {
        let connecting = self
            .endpoint
            .connect_with(self.client_config.clone(), addr, "orbit.invalid")
            .map_err(|e| QuicError::Connect {
                addr,
                reason: e.to_string(),
            })?;
        let timeout = self.cfg.handshake_timeout;
        let conn = tokio::time::timeout(timeout, connecting)
            .await
            .map_err(|_| QuicError::HandshakeTimeout { addr, timeout })?
            .map_err(|e| handshake_error(e, addr))?;
        check_alpn(&conn, addr)?;
        tracing::debug!(conn = conn.stable_id(), %addr, "connected");
        Ok(Link::new(conn, Role::Client, self.cfg.stall_timeout, None))
    }

    /// Moves the endpoint to a new local socket, for example after a network change. Open
    /// links continue from the new address (QUIC connection migration, [QUIC-19]).
    pub fn rebind(&self, new_local: SocketAddr) -> Result<(), QuicError> {
        let socket = std::net::UdpSocket::bind(new_local).map_err(|source| QuicError::Bind {
            addr: new_local,
            source,
        })?;
        self.endpoint.rebind(socket)?;
        tracing::debug!(%new_local, "rebound");
        Ok(())
    }

    /// Closes every link of this endpoint with [`ErrorCode::NO_ERROR`](crate::ErrorCode::NO_ERROR).
    pub fn close(&self) {
        self.endpoint
            .close(crate::ErrorCode::NO_ERROR.to_varint(), b"client closing");
    }

    /// Waits until every connection of this endpoint has finished closing, so that each
    /// device has been told ([QUIC-44]). A process that exits without waiting may leave the
    /// devices to find out by their idle timeout.
    pub async fn wait_idle(&self) {
        self.endpoint.wait_idle().await;
    }
}

/// A failed handshake as an error: refusals and ALPN failures keep their own variants.
pub(crate) fn handshake_error(e: quinn::ConnectionError, addr: SocketAddr) -> QuicError {
    match QuicError::from_connection(e, addr) {
        e @ (QuicError::Refused { .. } | QuicError::NoAlpn { .. }) => e,
        e => QuicError::Handshake {
            addr,
            reason: e.to_string(),
        },
    }
}

/// [QUIC-1]: a connection proceeds only if `orbit/1` was negotiated. rustls already fails a
/// QUIC handshake without a common protocol; this check does not depend on that.
pub(crate) fn check_alpn(conn: &quinn::Connection, addr: SocketAddr) -> Result<(), QuicError> {
    let negotiated = conn
        .handshake_data()
        .and_then(|d| d.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
        .and_then(|d| d.protocol);
    if negotiated.as_deref() == Some(ALPN) {
        Ok(())
    } else {
        conn.close(quinn::VarInt::from_u32(0), b"no orbit/1");
        Err(QuicError::NoAlpn { addr })
    }
}

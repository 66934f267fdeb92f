//! [`Server`]: the device's endpoint, with its connection and handshake limits ([QUIC-18]).

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::{mpsc, Mutex, Semaphore};
use tokio::task::JoinHandle;

use crate::client::{check_alpn, handshake_error};
use crate::code::ErrorCode;
use crate::config::{server_config, QuicConfig};
use crate::error::QuicError;
use crate::link::Link;
use crate::Role;

type Accepted = Result<Link, QuicError>;

/// A device's QUIC endpoint: accepts connections from controllers.
///
/// A background task takes each incoming connection attempt, refuses it if the server is at
/// [`QuicConfig::max_connections`] or [`QuicConfig::max_handshakes`] ([QUIC-18]), and
/// otherwise runs its handshake; [`Server::accept`] hands out the results in order of
/// completion. A slow or failing handshake delays no other.
#[derive(Debug)]
pub struct Server {
    endpoint: quinn::Endpoint,
    accepted: Mutex<mpsc::Receiver<Accepted>>,
    task: JoinHandle<()>,
}

impl Server {
    /// Binds a UDP socket at `addr` (port 0 for any; devices default to
    /// [`DEFAULT_PORT`](crate::DEFAULT_PORT), [QUIC-4]) with a fresh self-signed certificate.
    pub fn bind(addr: SocketAddr, cfg: QuicConfig) -> Result<Self, QuicError> {
        let mut server_cfg = server_config(&cfg)?;
        // Bound quinn's own queue of attempts not yet looked at; the accept task looks at
        // each at once, so this only matters under a flood.
        server_cfg.max_incoming(cfg.max_handshakes.saturating_mul(4).max(16));
        let endpoint = quinn::Endpoint::server(server_cfg, addr)
            .map_err(|source| QuicError::Bind { addr, source })?;
        let (tx, rx) = mpsc::channel(cfg.max_connections.max(1));
        let task = tokio::spawn(accept_loop(endpoint.clone(), Arc::new(cfg), tx));
        Ok(Self {
            endpoint,
            accepted: Mutex::new(rx),
            task,
        })
    }

    /// The local address of the socket.
    pub fn local_addr(&self) -> Result<SocketAddr, QuicError> {
        Ok(self.endpoint.local_addr()?)
    }

    /// The next connection, `Some(Err(..))` for a connection attempt that failed (keep
    /// accepting: it concerns that attempt only), or `None` once the server is closed.
    pub async fn accept(&self) -> Option<Result<Link, QuicError>> {
        self.accepted.lock().await.recv().await
    }

    /// Closes every connection with [`ErrorCode::NO_ERROR`] and stops accepting.
    pub fn close(&self) {
        self.endpoint
            .close(ErrorCode::NO_ERROR.to_varint(), b"server closing");
    }

    /// Waits until every connection has finished closing, so that the UDP port can be bound
    /// again (a device restarting on the same port).
    pub async fn wait_idle(&self) {
        self.endpoint.wait_idle().await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(endpoint: quinn::Endpoint, cfg: Arc<QuicConfig>, tx: mpsc::Sender<Accepted>) {
    let connections = Arc::new(Semaphore::new(cfg.max_connections));
    let handshakes = Arc::new(Semaphore::new(cfg.max_handshakes));
    while let Some(incoming) = endpoint.accept().await {
        let addr = incoming.remote_address();
        // [QUIC-18]: over either limit the attempt is refused before any handshake work, and
        // established connections are untouched.
        let Ok(slot) = connections.clone().try_acquire_owned() else {
            tracing::debug!(%addr, "refused: connection limit");
            incoming.refuse();
            continue;
        };
        let Ok(handshaking) = handshakes.clone().try_acquire_owned() else {
            tracing::debug!(%addr, "refused: handshake limit");
            incoming.refuse();
            continue;
        };
        let connecting = match incoming.accept() {
            Ok(c) => c,
            Err(e) => {
                let _ = tx.send(Err(handshake_error(e, addr))).await;
                continue;
            }
        };
        let tx = tx.clone();
        let cfg = cfg.clone();
        tokio::spawn(async move {
            let timeout = cfg.handshake_timeout;
            // Dropping `connecting` on timeout abandons the connection.
            let result = match tokio::time::timeout(timeout, connecting).await {
                Err(_) => Err(QuicError::HandshakeTimeout { addr, timeout }),
                Ok(Err(e)) => Err(handshake_error(e, addr)),
                Ok(Ok(conn)) => check_alpn(&conn, addr).map(|()| {
                    tracing::debug!(conn = conn.stable_id(), %addr, "accepted");
                    Link::new(conn, Role::Server, cfg.stall_timeout, Some(slot))
                }),
            };
            drop(handshaking);
            if let Err(e) = &result {
                tracing::debug!(%addr, error = %e, "handshake failed");
            }
            let _ = tx.send(result).await;
        });
    }
}

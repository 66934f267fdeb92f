//! [`Server`]: the device's endpoint, with its connection budget ([QUIC-40] to [QUIC-43]) and
//! handshake limit ([QUIC-18]).

use std::net::SocketAddr;
use std::sync::Arc;

use crate::budget::Limits;
use crate::slots::Table;
use tokio::sync::{mpsc, Mutex, Semaphore};
use tokio::task::JoinHandle;

use crate::client::{check_alpn, handshake_error};
use crate::code::ErrorCode;
use crate::config::{server_config, QuicConfig};
use crate::error::QuicError;
use crate::link::Link;
use crate::slots::SlotGuard;
use crate::Role;

type Accepted = Result<Link, QuicError>;

/// A device's QUIC endpoint: accepts connections from controllers.
///
/// A background task takes each incoming connection attempt, refuses it if the server is at
/// [`QuicConfig::max_handshakes`] ([QUIC-18]), gives it a place in the unauthenticated budget
/// ([QUIC-41]) and runs its handshake; [`Server::accept`] hands out the results in order of
/// completion. A slow or failing handshake delays no other. A connection on which no Orbit
/// session is established ([`Link::authenticate`]) within
/// [`QuicConfig::unauthenticated_deadline`] of its arrival is closed ([QUIC-40]).
#[derive(Debug)]
pub struct Server {
    endpoint: quinn::Endpoint,
    accepted: Mutex<mpsc::Receiver<Accepted>>,
    table: Arc<Table>,
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
        let table = Table::new(Limits {
            authenticated: cfg.max_connections,
            unauthenticated: cfg.max_unauthenticated,
            reserved_per_home: cfg.reserved_per_home,
        });
        let task = tokio::spawn(accept_loop(
            endpoint.clone(),
            Arc::new(cfg),
            table.clone(),
            tx,
        ));
        Ok(Self {
            endpoint,
            accepted: Mutex::new(rx),
            table,
            task,
        })
    }

    /// The local address of the socket.
    pub fn local_addr(&self) -> Result<SocketAddr, QuicError> {
        Ok(self.endpoint.local_addr()?)
    }

    /// Connections held now: `(authenticated, unauthenticated)` ([QUIC-40]).
    pub fn connection_counts(&self) -> (usize, usize) {
        self.table.counts()
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

async fn accept_loop(
    endpoint: quinn::Endpoint,
    cfg: Arc<QuicConfig>,
    table: Arc<Table>,
    tx: mpsc::Sender<Accepted>,
) {
    let handshakes = Arc::new(Semaphore::new(cfg.max_handshakes));
    while let Some(incoming) = endpoint.accept().await {
        let addr = incoming.remote_address();
        // [QUIC-18]: over the handshake limit the attempt is refused before any handshake
        // work, and established connections are untouched.
        let Ok(handshaking) = handshakes.clone().try_acquire_owned() else {
            tracing::debug!(%addr, "refused: handshake limit");
            incoming.refuse();
            continue;
        };
        // [QUIC-41]: a place among the unauthenticated, made if need be by closing the
        // oldest of them.
        let Some(activity) = table.arrive() else {
            tracing::debug!(%addr, "refused: no unauthenticated budget");
            incoming.refuse();
            continue;
        };
        // Gives the place back if the handshake fails; the link holds it otherwise.
        let slot = SlotGuard {
            activity: activity.clone(),
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
        let table = table.clone();
        tokio::spawn(async move {
            let arrived = tokio::time::Instant::now();
            let timeout = cfg.handshake_timeout;
            // Dropping `connecting` on timeout abandons the connection.
            let result = match tokio::time::timeout(timeout, connecting).await {
                Err(_) => Err(QuicError::HandshakeTimeout { addr, timeout }),
                Ok(Err(e)) => Err(handshake_error(e, addr)),
                Ok(Ok(conn)) => check_alpn(&conn, addr).and_then(|()| {
                    // [QUIC-41] evicted during its handshake: closed now, as busy.
                    if !table.established(&activity, &conn) {
                        conn.close(ErrorCode::SERVER_BUSY.to_varint(), b"evicted");
                        return Err(QuicError::Refused { addr });
                    }
                    tracing::debug!(conn = conn.stable_id(), %addr, "accepted");
                    Ok(Link::new(conn, Role::Server, cfg.stall_timeout, Some(slot)))
                }),
            };
            drop(handshaking);
            if let Err(e) = &result {
                tracing::debug!(%addr, error = %e, "handshake failed");
            }
            let accepted = result.is_ok();
            let _ = tx.send(result).await;
            if accepted {
                // [QUIC-40]: the connection must carry an Orbit session by its deadline.
                tokio::time::sleep_until(arrived + cfg.unauthenticated_deadline).await;
                table.expire(&activity);
            }
        });
    }
}

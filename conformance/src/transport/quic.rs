//! The QUIC adapter `[QUIC-1]`..: a connection is an `orbit/1` QUIC connection, an exchange
//! is a bidirectional stream of frames, unsolicited messages arrive on unidirectional
//! streams.

use super::{
    BoxFuture, Connection, ExchangeIo, ForeignProtocol, Message, MessageKind, Transport,
    TransportError, TransportFacts,
};
use orbit_quic::{Client, ErrorCode, Exchange, FrameKind, Link, QuicConfig, QuicError};
use std::net::SocketAddr;
use std::time::Duration;

/// A device reached over QUIC.
pub struct QuicTarget {
    addr: SocketAddr,
    written: String,
    client: Client,
}

impl QuicTarget {
    /// Resolves `HOST:PORT` and makes a client endpoint on the matching address family.
    pub async fn resolve(host_port: &str) -> Result<Self, TransportError> {
        let connect_err = |reason: String| TransportError::Connect {
            target: format!("quic://{host_port}"),
            reason,
        };
        let addr = tokio::net::lookup_host(host_port)
            .await
            .map_err(|e| connect_err(e.to_string()))?
            .next()
            .ok_or_else(|| connect_err("the name resolves to no address".to_owned()))?;
        let bind: SocketAddr = if addr.is_ipv4() {
            SocketAddr::from(([0, 0, 0, 0], 0))
        } else {
            SocketAddr::from(([0u16; 8], 0))
        };
        let client =
            Client::new(bind, QuicConfig::default()).map_err(|e| connect_err(e.to_string()))?;
        Ok(Self {
            addr,
            written: format!("quic://{host_port}"),
            client,
        })
    }

    /// The device's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl QuicTarget {
    /// Starts a QUIC handshake with `config` from a client endpoint of its own (any port, the
    /// target's address family), apart from the suite's connections; `other` words an error.
    fn connect_alone(
        &self,
        config: quinn::ClientConfig,
        other: impl Fn(String) -> TransportError,
    ) -> Result<(quinn::Endpoint, quinn::Connecting), TransportError> {
        let bind: SocketAddr = if self.addr.is_ipv4() {
            SocketAddr::from(([0, 0, 0, 0], 0))
        } else {
            SocketAddr::from(([0u16; 8], 0))
        };
        let endpoint = quinn::Endpoint::client(bind).map_err(|e| other(e.to_string()))?;
        let connecting = endpoint
            .connect_with(config, self.addr, "orbit.invalid")
            .map_err(|e| other(e.to_string()))?;
        Ok((endpoint, connecting))
    }

    /// A QUIC handshake offering only `protocols` as ALPN, on an endpoint of its own, with
    /// the suite's TLS otherwise unchanged `[QUIC-1]`, `[QUIC-2]`.
    async fn offer(&self, protocols: Vec<Vec<u8>>) -> Result<ForeignProtocol, TransportError> {
        let other = |e: String| TransportError::Other(format!("offering other protocols: {e}"));
        let mut tls = orbit_quic::config::client_tls_config().map_err(|e| other(e.to_string()))?;
        tls.alpn_protocols = protocols;
        let config = orbit_quic::config::client_config_from_tls(&QuicConfig::default(), tls)
            .map_err(|e| other(e.to_string()))?;
        let (endpoint, connecting) = self.connect_alone(config, other)?;
        let limit = QuicConfig::default().handshake_timeout;
        let outcome = match tokio::time::timeout(limit, connecting).await {
            Err(_) => Err(TransportError::Timeout(limit)),
            Ok(Err(e)) => Ok(ForeignProtocol::Refused(e.to_string())),
            Ok(Ok(conn)) => {
                let selected = conn
                    .handshake_data()
                    .and_then(|d| d.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
                    .and_then(|d| d.protocol);
                // A client closes a connection without orbit/1 at once [QUIC-1].
                conn.close(quinn::VarInt::from_u32(0), b"conformance: foreign protocol");
                Ok(ForeignProtocol::Accepted(selected))
            }
        };
        endpoint.close(quinn::VarInt::from_u32(0), b"done");
        outcome
    }
}

/// How long the suite waits for credit to open a unidirectional stream before it decides
/// the device allows none `[QUIC-7]` (credit comes with the handshake's transport
/// parameters, so any wait at all is only for the scheduler).
const STREAM_CREDIT_WAIT: Duration = Duration::from_millis(300);

impl QuicTarget {
    /// An `orbit/1` connection on an endpoint of its own: the certificates the device
    /// presented, and whether it gives credit for a client-opened unidirectional stream.
    async fn look(&self) -> Result<TransportFacts, TransportError> {
        let other = |e: String| TransportError::Other(format!("inspecting the transport: {e}"));
        let config = orbit_quic::config::client_config(&QuicConfig::default())
            .map_err(|e| other(e.to_string()))?;
        let (endpoint, connecting) = self.connect_alone(config, other)?;
        let limit = QuicConfig::default().handshake_timeout;
        let conn = match tokio::time::timeout(limit, connecting).await {
            Err(_) => return Err(TransportError::Timeout(limit)),
            Ok(Err(e)) => {
                return Err(TransportError::Connect {
                    target: self.written.clone(),
                    reason: e.to_string(),
                })
            }
            Ok(Ok(conn)) => conn,
        };
        let certificates = conn
            .peer_identity()
            .and_then(|id| {
                id.downcast::<Vec<quinn::rustls::pki_types::CertificateDer<'static>>>()
                    .ok()
            })
            .map(|certs| certs.iter().map(|c| c.as_ref().to_vec()).collect())
            .unwrap_or_default();
        let accepts_reserved_stream =
            match tokio::time::timeout(STREAM_CREDIT_WAIT, conn.open_uni()).await {
                Ok(Ok(mut stream)) => {
                    let _ = stream.reset(quinn::VarInt::from_u32(0));
                    true
                }
                _ => false,
            };
        conn.close(quinn::VarInt::from_u32(0), b"done");
        endpoint.close(quinn::VarInt::from_u32(0), b"done");
        Ok(TransportFacts {
            certificates,
            accepts_reserved_stream,
        })
    }
}

impl Drop for QuicTarget {
    fn drop(&mut self) {
        self.client.close();
    }
}

fn kind_to_frame(kind: MessageKind) -> FrameKind {
    match kind {
        MessageKind::Pairing => FrameKind::PAIRING,
        MessageKind::Session => FrameKind::SESSION,
        MessageKind::Protected => FrameKind::PROTECTED,
        MessageKind::Unknown(k) => FrameKind(k),
    }
}

fn frame_to_kind(kind: FrameKind) -> MessageKind {
    match kind {
        FrameKind::PAIRING => MessageKind::Pairing,
        FrameKind::SESSION => MessageKind::Session,
        FrameKind::PROTECTED => MessageKind::Protected,
        FrameKind(k) => MessageKind::Unknown(k),
    }
}

fn map_err(e: QuicError) -> TransportError {
    match e {
        QuicError::Refused { .. } => TransportError::Refused(e.to_string()),
        QuicError::StreamReset(code) | QuicError::StreamStopped(code) => {
            TransportError::Reset(code.0)
        }
        QuicError::Frame(_) | QuicError::UnknownKind(_) => TransportError::Framing(e.to_string()),
        QuicError::ClosedByPeer { .. }
        | QuicError::LocallyClosed
        | QuicError::TimedOut
        | QuicError::ConnectionLost { .. } => TransportError::Closed(e.to_string()),
        other => TransportError::Other(other.to_string()),
    }
}

impl Transport for QuicTarget {
    fn describe(&self) -> String {
        self.written.clone()
    }

    fn name(&self) -> &'static str {
        "quic"
    }

    fn connect_offering(
        &self,
        protocols: Vec<Vec<u8>>,
    ) -> Option<BoxFuture<'_, Result<ForeignProtocol, TransportError>>> {
        Some(Box::pin(async move { self.offer(protocols).await }))
    }

    fn migrate(&self) -> Option<Result<(), TransportError>> {
        let bind: SocketAddr = if self.addr.is_ipv4() {
            SocketAddr::from(([0, 0, 0, 0], 0))
        } else {
            SocketAddr::from(([0u16; 8], 0))
        };
        Some(
            self.client
                .rebind(bind)
                .map_err(|e| TransportError::Other(format!("moving to a new local address: {e}"))),
        )
    }

    fn reachable(&self, addr: SocketAddr) -> Option<BoxFuture<'_, Result<(), TransportError>>> {
        Some(Box::pin(async move {
            let link = self
                .client
                .connect(addr)
                .await
                .map_err(|e| TransportError::Connect {
                    target: format!("quic://{addr}"),
                    reason: e.to_string(),
                })?;
            link.close(ErrorCode::NO_ERROR, "done");
            Ok(())
        }))
    }

    fn inspect(&self) -> Option<BoxFuture<'_, Result<TransportFacts, TransportError>>> {
        Some(Box::pin(async move { self.look().await }))
    }

    fn connect(&self) -> BoxFuture<'_, Result<Box<dyn Connection>, TransportError>> {
        Box::pin(async move {
            let link = self.client.connect(self.addr).await.map_err(|e| match e {
                QuicError::Refused { .. } => TransportError::Refused(e.to_string()),
                other => TransportError::Connect {
                    target: self.written.clone(),
                    reason: other.to_string(),
                },
            })?;
            Ok(Box::new(QuicConnection { link }) as Box<dyn Connection>)
        })
    }
}

struct QuicConnection {
    link: Link,
}

impl Drop for QuicConnection {
    fn drop(&mut self) {
        // A clean close frees the device's connection slot at once [QUIC-40].
        self.link.close(ErrorCode::NO_ERROR, "done");
    }
}

impl Connection for QuicConnection {
    fn open_exchange(&self) -> BoxFuture<'_, Result<Box<dyn ExchangeIo>, TransportError>> {
        Box::pin(async move {
            let ex = self.link.open_exchange().await.map_err(map_err)?;
            Ok(Box::new(QuicExchange { ex }) as Box<dyn ExchangeIo>)
        })
    }

    fn recv_unsolicited(
        &self,
        within: Duration,
    ) -> BoxFuture<'_, Result<Option<Message>, TransportError>> {
        Box::pin(async move {
            match tokio::time::timeout(within, self.link.accept_unsolicited()).await {
                Err(_) => Ok(None),
                Ok(Ok(Some(f))) => Ok(Some(Message {
                    kind: frame_to_kind(f.kind),
                    payload: f.payload.to_vec(),
                })),
                Ok(Ok(None)) => Err(TransportError::Closed("the connection closed".to_owned())),
                Ok(Err(e)) => Err(map_err(e)),
            }
        })
    }

    fn closed(&self) -> Option<String> {
        self.link.close_reason().map(|e| e.to_string())
    }

    fn close(&self) {
        self.link.close(ErrorCode::NO_ERROR, "done");
    }
}

struct QuicExchange {
    ex: Exchange,
}

impl ExchangeIo for QuicExchange {
    fn send(&mut self, message: &Message) -> BoxFuture<'_, Result<(), TransportError>> {
        let kind = kind_to_frame(message.kind);
        let payload = message.payload.clone();
        Box::pin(async move { self.ex.send_frame(kind, &payload).await.map_err(map_err) })
    }

    fn send_raw(&mut self, bytes: &[u8]) -> BoxFuture<'_, Result<(), TransportError>> {
        let bytes = bytes.to_vec();
        Box::pin(async move { self.ex.send_raw(&bytes).await.map_err(map_err) })
    }

    fn recv(&mut self, within: Duration) -> BoxFuture<'_, Result<Option<Message>, TransportError>> {
        Box::pin(async move {
            match self.ex.recv_frame_within(within).await {
                None => Err(TransportError::Timeout(within)),
                Some(Ok(None)) => Ok(None),
                Some(Ok(Some(f))) => Ok(Some(Message {
                    kind: frame_to_kind(f.kind),
                    payload: f.payload.to_vec(),
                })),
                Some(Err(e)) => Err(map_err(e)),
            }
        })
    }

    fn finish(&mut self) {
        let _ = self.ex.finish();
    }

    fn reset(&mut self, code: u64) {
        self.ex.reset(ErrorCode(code));
    }
}

//! [`QuicConfig`] and the quinn configurations built from it ([QUIC-1], [QUIC-2], [QUIC-15],
//! [QUIC-16]).
//!
//! The builders are public so that a benchmark can run raw quinn with exactly the
//! configuration Orbit uses.

use std::sync::Arc;
use std::time::Duration;

use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{IdleTimeout, TransportConfig, VarInt};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::QuicError;
use crate::verify::AnyServerCert;
use crate::Role;

/// The ALPN protocol identifier of Orbit v1 over QUIC ([QUIC-1]).
pub const ALPN: &[u8] = b"orbit/1";

/// The default UDP port of a device ([QUIC-4]); discovery advertises the actual one.
pub const DEFAULT_PORT: u16 = 5541;

/// Limits and timeouts of an Orbit QUIC endpoint. [`QuicConfig::default`] holds the
/// device-sized values of [QUIC-15] to [QUIC-18].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuicConfig {
    /// Exchanges (client-initiated bidirectional streams) a server lets one connection have
    /// open at once; further `open_exchange` calls wait ([QUIC-15]). Default 16.
    pub max_concurrent_exchanges: u32,
    /// Unsolicited (server-initiated unidirectional) streams a client lets one connection have
    /// open at once ([QUIC-15]). Default 16.
    pub max_concurrent_unsolicited: u32,
    /// Bytes a peer may send on one stream ahead of the reader ([QUIC-15]). Default 32 KiB.
    pub stream_receive_window: u32,
    /// Bytes a peer may send on one connection ahead of the reader ([QUIC-15]).
    /// Default 128 KiB.
    pub receive_window: u32,
    /// Bytes this side keeps unacknowledged in flight per connection ([QUIC-15]).
    /// Default 128 KiB.
    pub send_window: u64,
    /// A connection silent for this long is closed ([QUIC-16]); the effective value is the
    /// smaller of both sides'. Default 30 s.
    pub idle_timeout: Duration,
    /// How often a client sends a keep-alive PING, at most a third of
    /// [`idle_timeout`](Self::idle_timeout); `None` disables it (the client's connections then
    /// close when idle, subscriptions or not, [QUIC-26]). Servers never send keep-alives
    /// ([QUIC-16]). Default 10 s.
    pub keep_alive_interval: Option<Duration>,
    /// Time a QUIC handshake may take before it is abandoned ([QUIC-18]). Default 10 s.
    pub handshake_timeout: Duration,
    /// Time a frame may take from its first byte to its last (and a unidirectional stream
    /// from its opening to its end) before the stream is reset with `stalled` ([QUIC-17]).
    /// Default 10 s.
    pub stall_timeout: Duration,
    /// Authenticated connections (carrying an Orbit session) a server holds at once
    /// ([QUIC-42]). Default 32.
    pub max_connections: usize,
    /// Unauthenticated connections (no Orbit session yet, counting those in their QUIC
    /// handshake) a server holds at once; an arrival beyond takes the oldest one's place
    /// ([QUIC-41]). Default 16.
    pub max_unauthenticated: usize,
    /// Time from a connection's arrival within which an Orbit session must be established
    /// on it, or it is closed ([QUIC-40]). Default 10 s.
    pub unauthenticated_deadline: Duration,
    /// Authenticated connections each home is sure to get when the budget is full
    /// ([QUIC-43]). Default 4.
    pub reserved_per_home: usize,
    /// Connections a server lets be in their QUIC handshake at once ([QUIC-18]). Default 8.
    pub max_handshakes: usize,
}

impl Default for QuicConfig {
    fn default() -> Self {
        Self {
            max_concurrent_exchanges: 16,
            max_concurrent_unsolicited: 16,
            stream_receive_window: 32 * 1024,
            receive_window: 128 * 1024,
            send_window: 128 * 1024,
            idle_timeout: Duration::from_secs(30),
            keep_alive_interval: Some(Duration::from_secs(10)),
            handshake_timeout: Duration::from_secs(10),
            stall_timeout: Duration::from_secs(10),
            // [LIMIT-10] the connection budget's defaults.
            max_connections: 32,
            max_unauthenticated: 16,
            unauthenticated_deadline: Duration::from_secs(10),
            reserved_per_home: 4,
            max_handshakes: 8,
        }
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    // The ring provider, explicitly: no process-wide default is consulted or installed.
    Arc::new(rustls::crypto::ring::default_provider())
}

fn config_error(what: &str, e: impl std::fmt::Display) -> QuicError {
    QuicError::Config(format!("{what}: {e}"))
}

/// The transport parameters of one side ([QUIC-7], [QUIC-15], [QUIC-16]).
pub fn transport_config(cfg: &QuicConfig, role: Role) -> Result<TransportConfig, QuicError> {
    let idle =
        IdleTimeout::try_from(cfg.idle_timeout).map_err(|e| config_error("idle timeout", e))?;
    let mut t = TransportConfig::default();
    // [QUIC-7]: only clients open exchanges and only servers open unidirectional streams, so
    // each side lets its peer open only the kind of stream the peer's role uses.
    match role {
        Role::Server => {
            t.max_concurrent_bidi_streams(VarInt::from_u32(cfg.max_concurrent_exchanges));
            t.max_concurrent_uni_streams(VarInt::from_u32(0));
            t.keep_alive_interval(None);
        }
        Role::Client => {
            t.max_concurrent_bidi_streams(VarInt::from_u32(0));
            t.max_concurrent_uni_streams(VarInt::from_u32(cfg.max_concurrent_unsolicited));
            // [QUIC-16] [QUIC-26] keeping the connection open is the client's job: a PING at
            // least every third of the idle timeout, however rarely subscriptions report.
            let third = cfg.idle_timeout / 3;
            t.keep_alive_interval(cfg.keep_alive_interval.map(|k| k.min(third)));
        }
    }
    // [QUIC-15]
    t.stream_receive_window(VarInt::from_u32(cfg.stream_receive_window));
    t.receive_window(VarInt::from_u32(cfg.receive_window));
    t.send_window(cfg.send_window);
    t.max_idle_timeout(Some(idle));
    t.datagram_receive_buffer_size(None);
    t.datagram_send_buffer_size(0);
    Ok(t)
}

/// A server configuration with a fresh self-signed certificate ([QUIC-2]), ALPN `orbit/1`
/// ([QUIC-1]), TLS 1.3 with the ring provider, no client certificates, migration allowed
/// ([QUIC-19]) and the server transport parameters.
pub fn server_config(cfg: &QuicConfig) -> Result<quinn::ServerConfig, QuicError> {
    // [QUIC-2]: an ephemeral certificate; its key lives only as long as this configuration.
    let certified = rcgen::generate_simple_self_signed(vec!["orbit.invalid".to_owned()])
        .map_err(|e| config_error("self-signed certificate", e))?;
    let cert = CertificateDer::from(certified.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let mut tls = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| config_error("TLS", e))?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(|e| config_error("TLS certificate", e))?;
    // [QUIC-1]
    tls.alpn_protocols = vec![ALPN.to_vec()];
    // No 0-RTT: its data could be replayed, and Orbit gains nothing from saving one round trip.
    tls.max_early_data_size = 0;
    let crypto = QuicServerConfig::try_from(tls).map_err(|e| config_error("QUIC TLS", e))?;
    let mut server = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    server.transport_config(Arc::new(transport_config(cfg, Role::Server)?));
    // [QUIC-19]
    server.migration(true);
    Ok(server)
}

/// The rustls client configuration [`client_config`] uses: TLS 1.3 with the ring provider, any
/// server certificate with a verified handshake signature ([QUIC-2]), ALPN `orbit/1`
/// ([QUIC-1]), no SNI, no client certificate.
pub fn client_tls_config() -> Result<rustls::ClientConfig, QuicError> {
    let provider = provider();
    let verifier = Arc::new(AnyServerCert::new(&provider));
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| config_error("TLS", e))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    tls.alpn_protocols = vec![ALPN.to_vec()];
    // [QUIC-2]: the server has no name; sending one would only leak metadata.
    tls.enable_sni = false;
    Ok(tls)
}

/// A client configuration: [`client_tls_config`] and the client transport parameters.
pub fn client_config(cfg: &QuicConfig) -> Result<quinn::ClientConfig, QuicError> {
    client_config_from_tls(cfg, client_tls_config()?)
}

/// A client configuration from a given rustls configuration (for example
/// [`client_tls_config`] with other ALPN protocols) and the client transport parameters.
pub fn client_config_from_tls(
    cfg: &QuicConfig,
    tls: rustls::ClientConfig,
) -> Result<quinn::ClientConfig, QuicError> {
    let crypto = QuicClientConfig::try_from(tls).map_err(|e| config_error("QUIC TLS", e))?;
    let mut client = quinn::ClientConfig::new(Arc::new(crypto));
    client.transport_config(Arc::new(transport_config(cfg, Role::Client)?));
    Ok(client)
}

//! Why the device runtime refused or dropped something. Each variant says which layer failed;
//! none of them stops the device: the connection or exchange concerned ends, the rest go on.

use orbit_core::cert::CertError;
use orbit_core::cert::HomeId;
use orbit_core::codec::CodecError;
use orbit_core::commission::CommissionError;
use orbit_core::crypto::CryptoError;
use orbit_core::pairing::PairingError;
use orbit_core::protect::ProtectError;
use orbit_core::session::SessionError;
use orbit_core::setup::SetupError;
use orbit_core::spake2plus::Spake2PlusError;
use thiserror::Error;

/// An error of the device runtime.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The transport failed (connection lost, bad frame, stalled peer).
    #[error("transport: {0}")]
    Transport(#[from] orbit_quic::QuicError),
    /// The BLE link failed (lost, bad frame, stalled peer).
    #[error("transport: {0}")]
    Ble(#[from] orbit_ble::link::BleError),
    /// A pairing handshake failed.
    #[error("pairing: {0}")]
    Pairing(#[from] PairingError),
    /// A session handshake failed.
    #[error("session handshake: {0}")]
    Session(#[from] SessionError),
    /// A protected message was refused (unknown session, replay, forgery).
    #[error("message protection: {0}")]
    Protect(#[from] ProtectError),
    /// A commissioning step failed.
    #[error("commissioning: {0}")]
    Commission(#[from] CommissionError),
    /// A protected message named a session the device does not have `[MSG-3]`.
    #[error("unknown session {0:#010x}")]
    UnknownSession(u32),
    /// A commissioning message arrived after commissioning ended on that session.
    #[error("commissioning on this pairing session is over")]
    CommissioningOver,
    /// The device holds as many sessions as it allows.
    #[error("too many sessions (limit {0})")]
    TooManySessions(usize),
    /// The device has as many session handshakes in progress as it allows `[SESS-34]`.
    #[error("too many session handshakes in progress")]
    TooManyHandshakes,
    /// The peer did not send the next handshake message in time.
    #[error("the peer did not answer within the handshake deadline")]
    HandshakeTimeout,
    /// The peer ended the exchange before the handshake finished.
    #[error("the peer closed the exchange mid-handshake")]
    HandshakeCut,
    /// A frame of the wrong kind arrived on an exchange.
    #[error("unexpected frame kind {0}")]
    UnexpectedFrame(u8),
    /// A home disappeared while it was being installed.
    #[error("home {0:016x} vanished during commissioning")]
    HomeVanished(HomeId),
    /// A cryptographic operation failed (the random source).
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// A certificate in the persisted state or in a message is invalid.
    #[error("certificate: {0}")]
    Certificate(#[from] CertError),
    /// Persisted bytes do not decode.
    #[error("codec: {0}")]
    Codec(#[from] CodecError),
    /// A persisted setup payload is invalid.
    #[error("setup payload: {0}")]
    Setup(#[from] SetupError),
    /// A persisted verifier is invalid.
    #[error("verifier: {0}")]
    Verifier(#[from] Spake2PlusError),
    /// The persisted state is inconsistent.
    #[error("persisted device state is corrupt: {0}")]
    CorruptState(&'static str),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] orbit_store::StoreError),
    /// A change could not be stored, so the device undid it and did not acknowledge it
    /// `[STATUS-4]` (the store's own error was logged when the save failed).
    #[error("the change could not be stored")]
    NotStored,
    /// Another commissioning is in its fail-safe `[COMM-26]`.
    #[error("another commissioning is in progress")]
    CommissioningInProgress,
    /// The device definition was rejected.
    #[error("device definition: {0}")]
    Build(#[from] orbit_core::device::BuildError),
}

// A link error is the transport's own: each maps to the variant that named it before links
// had transports, so its message is unchanged.
impl From<crate::link::LinkError> for DeviceError {
    fn from(e: crate::link::LinkError) -> Self {
        match e {
            crate::link::LinkError::Quic(e) => DeviceError::Transport(e),
            crate::link::LinkError::Ble(e) => DeviceError::Ble(e),
        }
    }
}

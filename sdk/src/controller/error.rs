//! Controller errors: a typed chain that says which phase failed and why.

use orbit_core::cert::CertError;
use orbit_core::codec::CodecError;
use orbit_core::commission::CommissionError;
use orbit_core::crypto::CryptoError;
use orbit_core::interaction::ClientError;
use orbit_core::pairing::PairingError;
use orbit_core::protect::ProtectError;
use orbit_core::session::SessionError;
use orbit_core::setup::SetupError;
use orbit_core::status::Status;
use std::fmt;
use thiserror::Error;

/// A step of pairing or of connecting to a device, as reported in timings and errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Checking the caller's input before anything is sent: a device name, a request against
    /// the limits the controller knows.
    Request,
    /// Reading the setup code.
    SetupCode,
    /// Finding the device's address.
    Discovery,
    /// Opening the QUIC connection.
    Connect,
    /// The PASE handshake (SPAKE2+ with the passcode).
    Pase,
    /// Checking the device's attestation chain and proof.
    Attestation,
    /// Installing the home's certificate on the device.
    InstallHome,
    /// The SIGMA session handshake (full or resumed).
    Session,
    /// Fetching and verifying the signed descriptor.
    Describe,
    /// Saving to the controller's store.
    Store,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Request => "request",
            Phase::SetupCode => "setup code",
            Phase::Discovery => "discovery",
            Phase::Connect => "connect",
            Phase::Pase => "pairing (PASE)",
            Phase::Attestation => "attestation",
            Phase::InstallHome => "install home",
            Phase::Session => "session",
            Phase::Describe => "describe",
            Phase::Store => "store",
        })
    }
}

/// What went wrong inside a phase.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Cause {
    /// The transport failed.
    #[error(transparent)]
    Transport(#[from] orbit_quic::QuicError),
    /// The BLE link failed.
    #[error(transparent)]
    Ble(#[from] orbit_ble::link::BleError),
    /// The pairing handshake failed (a wrong setup code shows up here).
    #[error(transparent)]
    Pairing(#[from] PairingError),
    /// Commissioning failed (attestation, certificate install).
    #[error(transparent)]
    Commission(#[from] CommissionError),
    /// The session handshake failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A protected message was refused.
    #[error(transparent)]
    Protect(#[from] ProtectError),
    /// The interaction client refused an answer.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The setup code does not parse.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// A certificate is invalid.
    #[error(transparent)]
    Certificate(#[from] CertError),
    /// Randomness failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// Bytes did not decode.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] orbit_store::StoreError),
    /// Discovery failed or found nothing.
    #[error(transparent)]
    Discovery(#[from] orbit_discovery::DiscoveryError),
    /// The descriptor's signature or encoding is invalid `[DM-41]`.
    #[error(transparent)]
    Descriptor(#[from] orbit_core::model::DescriptorError),
    /// The device answered with a status.
    #[error("the device answered {0}")]
    Status(Status),
    /// The device ended the exchange early.
    #[error("the device closed the exchange before answering")]
    Cut,
    /// The device sent something out of place.
    #[error("unexpected answer from the device")]
    Unexpected,
    /// No answer in time.
    #[error("no answer within {0:?}")]
    Timeout(std::time::Duration),
    /// A persisted record is inconsistent.
    #[error("corrupt controller state: {0}")]
    Corrupt(String),
    /// Only the controller that holds the home's root key can do this (pair a device, admit
    /// a controller).
    #[error("this controller was admitted into the home and does not hold its root key")]
    NotAdministrator,
    /// A device name is refused.
    #[error(transparent)]
    Name(#[from] super::names::NameError),
    /// A request exceeds a limit, checked before it is sent.
    #[error(transparent)]
    Limit(#[from] super::limits::LimitError),
    /// There is no home in the store (the caller asked not to create one).
    #[error("no home: the store holds no controller state")]
    NoHome,
    /// The controller was opened read-only and cannot store this change.
    #[error("the controller was opened read-only and cannot store this")]
    ReadOnly,
    /// Nothing answered at the addresses tried.
    #[error("{0}")]
    NotFound(String),
}

// A link error is the transport's own: each maps to the variant that named it before links
// had transports, so its message is unchanged.
impl From<crate::link::LinkError> for Cause {
    fn from(e: crate::link::LinkError) -> Self {
        match e {
            crate::link::LinkError::Quic(e) => Cause::Transport(e),
            crate::link::LinkError::Ble(e) => Cause::Ble(e),
        }
    }
}

/// A controller operation failed in `phase` because of `cause`.
#[derive(Debug, Error)]
#[error("{phase} failed: {cause}")]
pub struct ControllerError {
    /// Where it failed.
    pub phase: Phase,
    /// Why.
    #[source]
    pub cause: Cause,
}

impl ControllerError {
    /// An error of `phase`.
    pub fn new(phase: Phase, cause: impl Into<Cause>) -> Self {
        ControllerError {
            phase,
            cause: cause.into(),
        }
    }
}

/// Attaches a phase to a result's error.
pub(crate) trait InPhase<T> {
    fn in_phase(self, phase: Phase) -> Result<T, ControllerError>;
}

impl<T, E: Into<Cause>> InPhase<T> for Result<T, E> {
    fn in_phase(self, phase: Phase) -> Result<T, ControllerError> {
        self.map_err(|e| ControllerError::new(phase, e))
    }
}

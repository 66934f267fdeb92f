use super::MessageType;
use crate::cert::{CertError, HomeId, NodeRole};
use crate::codec::CodecError;
use crate::crypto::CryptoError;
use crate::status::Status;
use std::time::Instant;
use thiserror::Error;

/// Why commissioning failed. One variant per protocol violation; [`CommissionError::status`]
/// gives the code the failing side reports to its peer `[COMM-15]`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CommissionError {
    /// A message does not decode, breaks a rule of its format or exceeds its limits
    /// `[COMM-2]` `[COMM-18]`.
    #[error("malformed commissioning message: {0}")]
    Codec(#[from] CodecError),
    /// A message of another type arrived than the state expects `[COMM-3]`.
    #[error("unexpected {found} message; expected {expected}")]
    UnexpectedMessage {
        /// What the state expects.
        expected: &'static str,
        /// What arrived.
        found: MessageType,
    },
    /// The peer ended commissioning with this status `[COMM-15]`. Never answered.
    #[error("the peer ended commissioning with status {0}")]
    PeerStatus(Status),
    /// `[ATT-3]` `[ATT-4]` `[ATT-5]` the device's attestation chain was rejected.
    #[error("device attestation chain rejected: {0}")]
    Attestation(CertError),
    /// `[ATT-6]` the attestation signature does not verify over this pairing's challenge, the
    /// controller's nonce and the operational key: a proof made for another pairing, a
    /// replayed response, or a device that does not hold the certified key.
    #[error("the attestation signature does not verify for this pairing")]
    BadAttestationSignature,
    /// `[COMM-6]` the attested vendor or product ID differs from the setup payload's.
    #[error(
        "attested device is vendor {attested_vendor:#06x} product {attested_product:#06x}, \
         but the setup payload names vendor {expected_vendor:#06x} product {expected_product:#06x}"
    )]
    ProductMismatch {
        /// Vendor ID from the setup payload.
        expected_vendor: u16,
        /// Product ID from the setup payload.
        expected_product: u16,
        /// Vendor ID certified by the chain.
        attested_vendor: u16,
        /// Product ID certified by the chain.
        attested_product: u16,
    },
    /// The controller's application declined the attested device.
    #[error("commissioning declined by the controller with status {0}")]
    Declined(Status),
    /// `[COMM-7]` the controller's own home root, or the certificate it just issued, does not
    /// validate (for example, the root has expired): nothing was sent to the device.
    #[error("our own home credentials do not validate: {0}")]
    HomeUnusable(CertError),
    /// `[COMM-11]` `[HOME-4]` the operational certificate or home root does not validate.
    #[error("operational certificate rejected: {0}")]
    InvalidCertificate(CertError),
    /// `[COMM-11]` `[HOME-4]` the certificate certifies another key than the one the device
    /// generated for this commissioning.
    #[error("the operational certificate does not certify the key generated for this home")]
    KeyMismatch,
    /// `[COMM-11]` the certificate gives the device another role than `device`.
    #[error("the operational certificate has role {0:?}, not device")]
    WrongRole(NodeRole),
    /// `[COMM-10]` `[HOME-5]` the device already belongs to as many homes as it supports.
    #[error("the device already belongs to {max} homes")]
    HomesFull {
        /// The device's capacity.
        max: usize,
    },
    /// `[COMM-13]` `[HOME-6]` the device already belongs to this home.
    #[error("the device already belongs to home {0:016x}")]
    AlreadyMember(HomeId),
    /// `[COMM-16]` the state's deadline passed.
    #[error("commissioning timed out (deadline {deadline:?})")]
    Timeout {
        /// The state's deadline.
        deadline: Instant,
    },
    /// The random source failed.
    #[error("cryptographic failure: {0}")]
    Crypto(#[from] CryptoError),
}

impl CommissionError {
    /// The wire status for this error `[COMM-15]`.
    pub fn status(&self) -> Status {
        match self {
            CommissionError::Codec(e) => e.status(),
            CommissionError::UnexpectedMessage { .. } => Status::UNEXPECTED_MESSAGE,
            CommissionError::PeerStatus(s) | CommissionError::Declined(s) => *s,
            CommissionError::Attestation(_)
            | CommissionError::BadAttestationSignature
            | CommissionError::ProductMismatch { .. } => Status::ATTESTATION_FAILED,
            CommissionError::HomeUnusable(_) | CommissionError::Crypto(_) => Status::FAILURE,
            CommissionError::InvalidCertificate(_)
            | CommissionError::KeyMismatch
            | CommissionError::WrongRole(_) => Status::INVALID_CERTIFICATE,
            CommissionError::HomesFull { .. } => Status::HOMES_FULL,
            CommissionError::AlreadyMember(_) => Status::INVALID_PARAMETER,
            CommissionError::Timeout { .. } => Status::TIMEOUT,
        }
    }

    /// The status this side reports to its peer in a commissioning-complete message, or
    /// `None` when the error is the peer's own report, which is never answered `[COMM-15]`.
    pub fn reply_status(&self) -> Option<Status> {
        match self {
            CommissionError::PeerStatus(_) => None,
            // A status that is not a failure would read as success or as nothing at all.
            other => Some(match other.status() {
                Status::SUCCESS => Status::FAILURE,
                s => s,
            }),
        }
    }
}

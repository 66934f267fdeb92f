use crate::codec::CodecError;
use crate::status::Status;
use thiserror::Error;

/// Why a certificate or chain was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CertError {
    /// The certificate bytes do not decode.
    #[error("malformed certificate: {0}")]
    Malformed(#[from] CodecError),
    /// `[CERT-4]` the certificate is of the wrong kind for its place in the chain.
    #[error("certificate kind {found} where {expected} was expected")]
    WrongKind {
        /// Expected kind.
        expected: super::CertKind,
        /// Kind found.
        found: super::CertKind,
    },
    /// `[CERT-5]` the issuer key identifier does not name the issuer.
    #[error("certificate was not issued by the expected issuer")]
    IssuerMismatch,
    /// `[CERT-2]` the signature does not verify with the issuer's key.
    #[error("certificate signature is invalid")]
    BadSignature,
    /// `[CERT-6]` the current time is outside the validity period.
    #[error("certificate is not valid at time {now} (valid {not_before}..={not_after})")]
    Expired {
        /// The time checked.
        now: u64,
        /// Start of validity.
        not_before: u64,
        /// End of validity.
        not_after: u64,
    },
    /// `[HOME-3]` the peer's certificate belongs to another home.
    #[error("certificate belongs to home {found:016x}, expected {expected:016x}")]
    WrongHome {
        /// The home expected.
        expected: u64,
        /// The home in the certificate.
        found: u64,
    },
    /// `[CERT-7]` a field required by the certificate's kind is missing.
    #[error("certificate of kind {kind} lacks required field {field}")]
    MissingField {
        /// The certificate's kind.
        kind: super::CertKind,
        /// The field's name.
        field: &'static str,
    },
    /// `[ATT-4]` a vendor or product ID in the chain does not match its issuer or the
    /// setup payload.
    #[error("vendor/product ID mismatch in attestation chain: {0}")]
    IdMismatch(&'static str),
    /// `[ATT-3]` no trusted vendor root issued this chain.
    #[error("attestation chain does not lead to a trusted vendor root")]
    UntrustedRoot,
    /// `[HOME-5]` the device already belongs to the maximum number of homes.
    #[error("device already belongs to {max} homes")]
    HomesFull {
        /// The device's capacity.
        max: usize,
    },
    /// `[HOME-6]` the device already belongs to this home.
    #[error("device already belongs to home {0:016x}")]
    AlreadyMember(u64),
    /// The operation named a home the node does not belong to.
    #[error("not a member of home {0:016x}")]
    UnknownHome(u64),
}

impl CertError {
    /// The wire status for this error.
    pub fn status(&self) -> Status {
        match self {
            CertError::Malformed(e) => e.status(),
            CertError::WrongHome { .. } | CertError::UnknownHome(_) => Status::WRONG_HOME,
            CertError::IdMismatch(_) | CertError::UntrustedRoot => Status::ATTESTATION_FAILED,
            CertError::HomesFull { .. } => Status::HOMES_FULL,
            CertError::AlreadyMember(_) => Status::INVALID_PARAMETER,
            _ => Status::INVALID_CERTIFICATE,
        }
    }
}

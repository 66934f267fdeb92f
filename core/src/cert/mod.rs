//! Compact CBOR certificates, homes and node identities (`spec/v1/02-identities.md`).
//!
//! One certificate format serves both trust hierarchies:
//! - operational: home root → node (controllers and devices of one home), used by sessions;
//! - attestation: vendor root → product → device, used once during pairing (see
//!   [`crate::attest`]).
//!
//! A certificate is `[tbs: bstr, signature: bstr]`: the signature covers the exact bytes of the
//! embedded to-be-signed map, so a verifier never re-encodes what it checks `[CERT-2]`.

mod error;
mod format;
mod home;
mod validate;

pub use error::CertError;
pub use format::{
    CertKind, Certificate, KeyId, NodeRole, TbsCertificate, Validity, CERTIFICATE_LIMITS,
};
pub use home::{HomeAuthority, HomeId, HomeMembership, HomeTable, NodeId, MIN_HOMES_PER_DEVICE};
pub use validate::{validate_operational, OperationalPeer};

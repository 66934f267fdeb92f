//! Device attestation (`spec/v1/05-attestation.md`).
//!
//! A device carries a chain vendor root → product → device. During pairing it signs a
//! challenge derived from the pairing keys with the device key, proving it holds the key
//! certified by its vendor; the controller checks the chain against the vendor roots it
//! trusts `[ATT-1]`..`[ATT-7]`.

mod chain;
mod dev_root;
mod proof;

pub use chain::{AttestationChain, AttestedDevice, TrustStore};
pub use dev_root::{
    mint_device, DeviceAttestation, VendorAuthority, DEV_VENDOR_ID, DEV_VENDOR_ROOT_SEED,
};
pub use proof::{attestation_message, AttestationProof};

use super::{AttestationChain, AttestedDevice, TrustStore};
use crate::cert::CertError;
use crate::crypto::sign::{PublicKey, Signature, SigningKey};

/// Domain separation for the attestation signature `[ATT-6]`.
const LABEL: &[u8] = b"orbit v1 attestation";

/// The exact bytes a device signs to prove possession of its attestation key `[ATT-6]`:
/// `"orbit v1 attestation" ‖ challenge (32) ‖ nonce (32) ‖ operational public key (32)`.
///
/// The challenge comes from the pairing key schedule (so the proof is bound to this pairing),
/// the nonce from the controller (so it is fresh), and the operational key is the one the
/// device asks to have certified (so the attested device is the one that will hold it).
pub fn attestation_message(
    challenge: &[u8; 32],
    nonce: &[u8; 32],
    operational_key: &PublicKey,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(LABEL.len() + 96);
    m.extend_from_slice(LABEL);
    m.extend_from_slice(challenge);
    m.extend_from_slice(nonce);
    m.extend_from_slice(&operational_key.0);
    m
}

/// A device's attestation proof: its chain and a signature by the device attestation key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationProof {
    /// The chain, vendor root excluded.
    pub chain: AttestationChain,
    /// Signature over [`attestation_message`].
    pub signature: Signature,
}

impl AttestationProof {
    /// Signs a proof with the device attestation key.
    pub fn sign(
        chain: AttestationChain,
        device_key: &SigningKey,
        challenge: &[u8; 32],
        nonce: &[u8; 32],
        operational_key: &PublicKey,
    ) -> Self {
        let signature = device_key.sign(&attestation_message(challenge, nonce, operational_key));
        AttestationProof { chain, signature }
    }

    /// Checks the chain against `trust` and the signature against the device certificate
    /// `[ATT-3]`..`[ATT-6]`.
    pub fn verify(
        &self,
        trust: &TrustStore,
        now: u64,
        challenge: &[u8; 32],
        nonce: &[u8; 32],
        operational_key: &PublicKey,
    ) -> Result<AttestedDevice, CertError> {
        let device = trust.verify(&self.chain, now)?;
        device
            .device_key
            .verify(
                &attestation_message(challenge, nonce, operational_key),
                &self.signature,
            )
            .map_err(|_| CertError::BadSignature)?;
        Ok(device)
    }
}

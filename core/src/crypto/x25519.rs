//! X25519 ephemeral key agreement (RFC 7748) through `x25519-dalek`, with the private scalar
//! drawn from the caller's [`Random`] so handshakes are reproducible under a seeded source.

use super::{CryptoError, Random};

/// Length of an X25519 public key and shared secret.
pub const KEY_LEN: usize = 32;

/// An X25519 private key used for one handshake.
pub struct EphemeralSecret(x25519_dalek::StaticSecret);

impl std::fmt::Debug for EphemeralSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EphemeralSecret(..)")
    }
}

impl EphemeralSecret {
    /// Draws a new private key from `rng`.
    pub fn generate(rng: &mut dyn Random) -> Result<Self, CryptoError> {
        let mut k = [0u8; KEY_LEN];
        rng.fill(&mut k)?;
        Ok(Self::from_bytes(k))
    }

    /// Uses exactly these 32 bytes as the private scalar (clamped by X25519).
    pub fn from_bytes(k: [u8; KEY_LEN]) -> Self {
        Self(x25519_dalek::StaticSecret::from(k))
    }

    /// The public key to send to the peer.
    pub fn public_key(&self) -> [u8; KEY_LEN] {
        x25519_dalek::PublicKey::from(&self.0).to_bytes()
    }

    /// Computes the shared secret with `peer`, rejecting an all-zero result (a low-order
    /// peer point that would let an attacker force a known secret).
    pub fn agree(&self, peer: &[u8]) -> Result<[u8; KEY_LEN], CryptoError> {
        let peer: [u8; KEY_LEN] = peer.try_into().map_err(|_| CryptoError::InvalidPublicKey)?;
        let shared = self.0.diffie_hellman(&x25519_dalek::PublicKey::from(peer));
        if !shared.was_contributory() {
            return Err(CryptoError::NonContributory);
        }
        Ok(shared.to_bytes())
    }
}

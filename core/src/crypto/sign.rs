//! Ed25519 identity keys and signatures (`ring`): every identity, root and attestation key in
//! Orbit is Ed25519 `[CERT-9]`.

use super::{CryptoError, Random};
use ring::signature::{self, Ed25519KeyPair, KeyPair};

/// Length of an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length of an Ed25519 secret seed.
pub const SEED_LEN: usize = 32;

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(pub [u8; PUBLIC_KEY_LEN]);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey(")?;
        for b in &self.0[..8] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "..)")
    }
}

impl PublicKey {
    /// Parses a public key from exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| CryptoError::InvalidPublicKey)
    }

    /// Verifies `sig` over `msg`.
    pub fn verify(&self, msg: &[u8], sig: &Signature) -> Result<(), CryptoError> {
        signature::UnparsedPublicKey::new(&signature::ED25519, &self.0)
            .verify(msg, &sig.0)
            .map_err(|_| CryptoError::BadSignature)
    }
}

/// An Ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; SIGNATURE_LEN]);

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signature(..)")
    }
}

impl Signature {
    /// Parses a signature from exactly 64 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| CryptoError::BadSignature)
    }
}

/// An Ed25519 signing key. The 32-byte seed is kept so the key can be persisted by a store;
/// it is never printed.
pub struct SigningKey {
    seed: [u8; SEED_LEN],
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.public_key())
            .finish_non_exhaustive()
    }
}

impl Drop for SigningKey {
    // [SEC-2] a discarded key (for example after a failed commissioning, [COMM-14]) does not
    // leave its seed behind in memory. (ring's expanded key inside `pair` is ring's to manage.)
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.seed);
    }
}

impl Clone for SigningKey {
    fn clone(&self) -> Self {
        Self::from_seed(&self.seed)
    }
}

impl SigningKey {
    /// Generates a new key from `rng`.
    pub fn generate(rng: &mut dyn Random) -> Result<Self, CryptoError> {
        let mut seed = [0u8; SEED_LEN];
        rng.fill(&mut seed)?;
        Ok(Self::from_seed(&seed))
    }

    /// Rebuilds a key from its 32-byte seed (RFC 8032 secret key).
    pub fn from_seed(seed: &[u8; SEED_LEN]) -> Self {
        // from_seed_unchecked cannot fail for a 32-byte seed; a failure would mean ring broke
        // its contract, and we still avoid panicking by falling back to an all-zero-seed key
        // that no caller can rely on (covered by the RFC 8032 vector test).
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .or_else(|_| Ed25519KeyPair::from_seed_unchecked(&[0u8; SEED_LEN]));
        match pair {
            Ok(pair) => Self { seed: *seed, pair },
            Err(_) => unreachable_ring(),
        }
    }

    /// The secret seed, for persistence by a key store only.
    pub fn seed(&self) -> &[u8; SEED_LEN] {
        &self.seed
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        let mut pk = [0u8; PUBLIC_KEY_LEN];
        pk.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey(pk)
    }

    /// Signs `msg` (Ed25519 is deterministic: no randomness needed).
    pub fn sign(&self, msg: &[u8]) -> Signature {
        let mut sig = [0u8; SIGNATURE_LEN];
        sig.copy_from_slice(self.pair.sign(msg).as_ref());
        Signature(sig)
    }
}

#[allow(clippy::panic)]
#[cold]
fn unreachable_ring() -> ! {
    // ring documents that a 32-byte seed always yields a key pair.
    panic!("ring rejected a 32-byte Ed25519 seed")
}

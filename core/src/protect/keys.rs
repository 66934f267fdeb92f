//! Traffic secrets and the per-generation key and IV derived from them `[MSG-4]`, `[MSG-5]`,
//! and nonce construction `[MSG-9]`.

use crate::crypto::aead::{AeadKey, KEY_LEN, NONCE_LEN};
use crate::crypto::CryptoError;
use ring::hkdf;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Length of a traffic secret in bytes.
pub const SECRET_LEN: usize = 32;

/// HKDF-Expand label of the AEAD key `[MSG-4]`.
pub(crate) const LABEL_KEY: &[u8] = b"orbit v1 msg key";
/// HKDF-Expand label of the IV `[MSG-4]`.
pub(crate) const LABEL_IV: &[u8] = b"orbit v1 msg iv";
/// HKDF-Expand label of the next generation's traffic secret `[MSG-5]`.
pub(crate) const LABEL_KEY_UPDATE: &[u8] = b"orbit v1 msg key update";

/// A 32-byte traffic secret of one direction and one key generation. Never prints `[SEC-2]`;
/// erased when dropped `[MSG-5]` `[MSG-17]`. Deliberately not comparable: equality on a secret
/// invites timing leaks, and nothing in the protocol needs it.
#[derive(Clone)]
pub struct TrafficSecret(pub [u8; SECRET_LEN]);

impl Zeroize for TrafficSecret {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for TrafficSecret {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for TrafficSecret {}

impl std::fmt::Debug for TrafficSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrafficSecret(..)")
    }
}

impl From<[u8; SECRET_LEN]> for TrafficSecret {
    fn from(bytes: [u8; SECRET_LEN]) -> Self {
        Self(bytes)
    }
}

impl TrafficSecret {
    /// `[MSG-5]` the traffic secret of the next key generation:
    /// HKDF-Expand(secret, "orbit v1 msg key update", 32).
    pub fn next_generation(&self) -> Result<TrafficSecret, CryptoError> {
        let mut out = [0u8; SECRET_LEN];
        hkdf_expand(&self.0, LABEL_KEY_UPDATE, &mut out)?;
        Ok(TrafficSecret(out))
    }

    /// `[MSG-4]` the AEAD key: HKDF-Expand(secret, "orbit v1 msg key", 32).
    pub fn aead_key_bytes(&self) -> Result<[u8; KEY_LEN], CryptoError> {
        let mut out = [0u8; KEY_LEN];
        hkdf_expand(&self.0, LABEL_KEY, &mut out)?;
        Ok(out)
    }

    /// `[MSG-4]` the IV: HKDF-Expand(secret, "orbit v1 msg iv", 12).
    pub fn iv(&self) -> Result<[u8; NONCE_LEN], CryptoError> {
        let mut out = [0u8; NONCE_LEN];
        hkdf_expand(&self.0, LABEL_IV, &mut out)?;
        Ok(out)
    }
}

struct OutLen(usize);

impl hkdf::KeyType for OutLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand (RFC 5869 §2.3) with SHA-256. The traffic secret is already a uniformly random
/// pseudorandom key (the handshake's HKDF output), so no Extract step is needed, as in TLS 1.3.
fn hkdf_expand(prk: &[u8; SECRET_LEN], info: &[u8], out: &mut [u8]) -> Result<(), CryptoError> {
    let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, prk);
    let info = [info];
    prk.expand(&info, OutLen(out.len()))
        .map_err(|_| CryptoError::InvalidLength)?
        .fill(out)
        .map_err(|_| CryptoError::InvalidLength)
}

/// Everything one direction needs for one key generation: the secret (to derive the next
/// generation and to export state), the expanded AEAD key and the IV. The secret and the IV
/// are erased when dropped, so a generation that is replaced or given up leaves nothing
/// behind `[MSG-5]` `[MSG-17]` (the AEAD key lives inside `ring`, which owns its memory).
#[derive(Clone)]
pub(crate) struct GenerationKeys {
    pub(crate) secret: TrafficSecret,
    pub(crate) key: AeadKey,
    iv: [u8; NONCE_LEN],
}

impl Drop for GenerationKeys {
    fn drop(&mut self) {
        // `secret` erases itself when dropped.
        self.iv.zeroize();
    }
}

impl ZeroizeOnDrop for GenerationKeys {}

impl std::fmt::Debug for GenerationKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GenerationKeys(..)")
    }
}

impl GenerationKeys {
    /// Derives the key and IV of `secret` `[MSG-4]`.
    pub(crate) fn new(secret: TrafficSecret) -> Result<Self, CryptoError> {
        let mut key_bytes = secret.aead_key_bytes()?;
        let key = AeadKey::new(&key_bytes);
        key_bytes.zeroize();
        let iv = secret.iv()?;
        Ok(Self {
            secret,
            key: key?,
            iv,
        })
    }

    /// The keys of the next generation `[MSG-5]`.
    pub(crate) fn next(&self) -> Result<Self, CryptoError> {
        Self::new(self.secret.next_generation()?)
    }

    /// `[MSG-9]` nonce = IV XOR (4 zero bytes ‖ counter as 8 big-endian bytes).
    pub(crate) fn nonce(&self, counter: u64) -> [u8; NONCE_LEN] {
        let mut nonce = self.iv;
        let counter = counter.to_be_bytes();
        // The counter occupies the last 8 of the 12 nonce bytes.
        for (n, c) in nonce.iter_mut().rev().zip(counter.iter().rev()) {
            *n ^= c;
        }
        nonce
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    /// HKDF-Expand alone checked against RFC 5869's (PRK, info, OKM) triples.
    #[test]
    fn hkdf_expand_matches_rfc5869() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/vectors/hkdf-sha256-rfc5869.json"))
                .unwrap();
        let h = |v: &serde_json::Value| hex::decode(v.as_str().unwrap()).unwrap();
        let mut checked = 0;
        for t in doc["tests"].as_array().unwrap() {
            let prk: [u8; 32] = h(&t["prk"]).try_into().unwrap();
            let okm = h(&t["okm"]);
            let mut out = vec![0u8; okm.len()];
            hkdf_expand(&prk, &h(&t["info"]), &mut out).unwrap();
            assert_eq!(out, okm);
            checked += 1;
        }
        assert!(checked >= 3);
    }

    // [MSG-9]
    #[test]
    fn nonce_xors_counter_into_low_bytes() {
        let keys = GenerationKeys::new(TrafficSecret([1; 32])).unwrap();
        let iv = keys.secret.iv().unwrap();
        assert_eq!(keys.nonce(0), iv);
        let n = keys.nonce(0x0102_0304_0506_0708);
        assert_eq!(n[..4], iv[..4]);
        for i in 0..8 {
            assert_eq!(n[4 + i], iv[4 + i] ^ (i as u8 + 1));
        }
    }

    // [MSG-5]
    #[test]
    fn generations_differ() {
        let s0 = TrafficSecret([9; 32]);
        let s1 = s0.next_generation().unwrap();
        assert_ne!(s0.0, s1.0);
        assert_ne!(s0.aead_key_bytes().unwrap(), s1.aead_key_bytes().unwrap());
        assert_ne!(s0.iv().unwrap(), s1.iv().unwrap());
        assert_eq!(format!("{s0:?}"), "TrafficSecret(..)");
    }

    // [MSG-5] [MSG-17] a traffic secret is erased when dropped, and so is a generation's IV.
    #[test]
    fn secrets_are_erased() {
        fn assert_zeroize_on_drop<T: ZeroizeOnDrop>() {}
        assert_zeroize_on_drop::<TrafficSecret>();
        assert_zeroize_on_drop::<GenerationKeys>();
        let mut s = TrafficSecret([7; 32]);
        s.zeroize();
        assert_eq!(s.0, [0; 32]);
        let mut keys = GenerationKeys::new(TrafficSecret([5; 32])).unwrap();
        keys.iv.zeroize();
        assert_eq!(keys.nonce(0), [0; NONCE_LEN]);
    }
}

//! ChaCha20-Poly1305 (RFC 8439) from `ring`, sealing and opening in place on the caller's
//! buffers.
//!
//! This is the only AEAD Orbit uses: message protection (`spec/v1/07-message-protection.md`,
//! `[MSG-1]`) and the encrypted payloads of the handshakes. The wrapper adds no framing of its
//! own: nonce uniqueness is the caller's job (message protection derives nonces from counters,
//! `[MSG-9]`; handshake keys are single-use).

use super::CryptoError;
use ring::aead::{Aad, LessSafeKey, Nonce, Tag, UnboundKey, CHACHA20_POLY1305};

/// Key length of ChaCha20-Poly1305 in bytes.
pub const KEY_LEN: usize = 32;
/// Nonce length of ChaCha20-Poly1305 in bytes.
pub const NONCE_LEN: usize = 12;
/// Length of the Poly1305 authentication tag in bytes.
pub const TAG_LEN: usize = 16;

/// A ChaCha20-Poly1305 key, ready to seal and open.
///
/// Cloning copies the expanded key; the key never prints `[SEC-2]`.
#[derive(Clone)]
pub struct AeadKey(LessSafeKey);

impl std::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AeadKey(ChaCha20-Poly1305, ..)")
    }
}

impl AeadKey {
    /// A key from its 32 bytes.
    ///
    /// `ring` only rejects keys of the wrong length, which the type already excludes; the
    /// `Result` is kept so that no failure of the library can turn into a panic.
    pub fn new(key: &[u8; KEY_LEN]) -> Result<Self, CryptoError> {
        let unbound =
            UnboundKey::new(&CHACHA20_POLY1305, key).map_err(|_| CryptoError::InvalidLength)?;
        Ok(Self(LessSafeKey::new(unbound)))
    }

    /// Encrypts `in_out` in place and returns the tag, which the caller places after the
    /// ciphertext. `nonce` must never repeat under this key.
    pub fn seal_in_place_separate_tag(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], CryptoError> {
        let tag: Tag = self
            .0
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(*nonce),
                Aad::from(aad),
                in_out,
            )
            // ring fails only when the plaintext exceeds ChaCha20's 2^38-byte limit.
            .map_err(|_| CryptoError::InvalidLength)?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Encrypts the plaintext in `in_out` in place and appends the tag.
    pub fn seal_in_place_append_tag(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        let tag = self.seal_in_place_separate_tag(nonce, aad, in_out)?;
        in_out.extend_from_slice(&tag);
        Ok(())
    }

    /// Authenticates and decrypts `ciphertext ‖ tag` in place, returning the plaintext (the
    /// first `in_out.len() - TAG_LEN` bytes of `in_out`).
    ///
    /// On failure the contents of `in_out` are unspecified and must be discarded.
    pub fn open_in_place<'a>(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &'a mut [u8],
    ) -> Result<&'a mut [u8], CryptoError> {
        if in_out.len() < TAG_LEN {
            return Err(CryptoError::InvalidLength);
        }
        self.0
            .open_in_place(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), in_out)
            .map_err(|_| CryptoError::DecryptFailed)
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

    #[test]
    fn round_trip_and_tamper() {
        let key = AeadKey::new(&[7u8; KEY_LEN]).unwrap();
        let nonce = [1u8; NONCE_LEN];
        let mut buf = b"hello".to_vec();
        key.seal_in_place_append_tag(&nonce, b"aad", &mut buf)
            .unwrap();
        assert_eq!(buf.len(), 5 + TAG_LEN);
        let mut copy = buf.clone();
        assert_eq!(
            key.open_in_place(&nonce, b"aad", &mut copy).unwrap(),
            b"hello"
        );
        let mut copy = buf.clone();
        assert_eq!(
            key.open_in_place(&nonce, b"aaD", &mut copy),
            Err(CryptoError::DecryptFailed)
        );
        let mut short = [0u8; TAG_LEN - 1];
        assert_eq!(
            key.open_in_place(&nonce, b"", &mut short),
            Err(CryptoError::InvalidLength)
        );
    }

    #[test]
    fn debug_hides_key() {
        let key = AeadKey::new(&[0x5a; KEY_LEN]).unwrap();
        assert!(!format!("{key:?}").contains("5a"));
    }
}

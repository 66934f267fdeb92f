//! SHA-256, HMAC-SHA256, HKDF-SHA256 and PBKDF2-HMAC-SHA256, all from `ring`.

use super::CryptoError;
use ring::{digest, hkdf, hmac, pbkdf2};
use std::num::NonZeroU32;

/// Output length of SHA-256 and HMAC-SHA256.
pub const HASH_LEN: usize = 32;

/// SHA-256 over the concatenation of `parts`.
pub fn sha256(parts: &[&[u8]]) -> [u8; HASH_LEN] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// A running SHA-256 transcript hash.
#[derive(Clone)]
pub struct Transcript(digest::Context);

impl Default for Transcript {
    fn default() -> Self {
        Self(digest::Context::new(&digest::SHA256))
    }
}

impl std::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Transcript(..)")
    }
}

impl Transcript {
    /// Absorbs `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    /// The hash of everything absorbed so far (the transcript can continue).
    pub fn current(&self) -> [u8; HASH_LEN] {
        let mut out = [0u8; HASH_LEN];
        out.copy_from_slice(self.0.clone().finish().as_ref());
        out
    }
}

/// HMAC-SHA256(key, concatenation of `parts`).
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; HASH_LEN] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// Constant-time check that `tag` is HMAC-SHA256(key, data).
pub fn hmac_sha256_verify(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::verify(&key, data, tag).is_ok()
}

struct OutLen(usize);

impl hkdf::KeyType for OutLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-SHA256 (RFC 5869): extract with `salt` from `ikm`, then expand with `info` to fill
/// `out` (at most 255 * 32 bytes).
pub fn hkdf_sha256(
    salt: &[u8],
    ikm: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), CryptoError> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(ikm);
    let info = [info];
    let okm = prk
        .expand(&info, OutLen(out.len()))
        .map_err(|_| CryptoError::InvalidLength)?;
    okm.fill(out).map_err(|_| CryptoError::InvalidLength)
}

/// PBKDF2-HMAC-SHA256 of `password` with `salt` and `iterations` into `out`.
pub fn pbkdf2_sha256(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
) -> Result<(), CryptoError> {
    let iterations = NonZeroU32::new(iterations).ok_or(CryptoError::InvalidLength)?;
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, iterations, salt, password, out);
    Ok(())
}

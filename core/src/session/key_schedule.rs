//! The handshake's key schedule `[SESS-17]`, signature inputs `[SESS-19]` and the sealing of
//! encrypted payloads `[SESS-18]`. Every label, salt and input here is stated in
//! `spec/v1/06-sessions.md` §6.5.

use crate::crypto::aead::{AeadKey, NONCE_LEN};
use crate::crypto::hash::{hkdf_sha256, HASH_LEN};
use crate::crypto::CryptoError;
use crate::protect::TrafficSecret;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// HKDF info label of the key sealing Sigma2's payload.
pub(crate) const LABEL_SIGMA2_KEY: &[u8] = b"orbit v1 sigma2 key";
/// HKDF info label of the key sealing Sigma3's payload.
pub(crate) const LABEL_SIGMA3_KEY: &[u8] = b"orbit v1 sigma3 key";
/// HKDF info label of the key sealing Sigma2Resume's payload.
pub(crate) const LABEL_SIGMA2_RESUME_KEY: &[u8] = b"orbit v1 sigma2 resume key";
/// HKDF info label of the key of Sigma1's resume MAC.
pub(crate) const LABEL_RESUME_MAC_KEY: &[u8] = b"orbit v1 resume mac key";
/// HKDF info label of the initiator-to-responder traffic secret.
pub(crate) const LABEL_I2R: &[u8] = b"orbit v1 i2r traffic";
/// HKDF info label of the responder-to-initiator traffic secret.
pub(crate) const LABEL_R2I: &[u8] = b"orbit v1 r2i traffic";
/// HKDF info label of the resumption secret.
pub(crate) const LABEL_RESUMPTION: &[u8] = b"orbit v1 resumption";
/// Signature context of the responder's signature.
pub(crate) const SIG2_CONTEXT: &[u8] = b"orbit v1 sigma2 signature";
/// Signature context of the initiator's signature.
pub(crate) const SIG3_CONTEXT: &[u8] = b"orbit v1 sigma3 signature";

/// A 32-byte handshake secret (shared secret, payload key, resumption secret) that never
/// prints `[SEC-2]` and is erased when dropped `[SESS-12]`, wherever it is kept (a handshake
/// state, a ticket). Not comparable, so no code compares secrets in variable time.
#[derive(Clone)]
pub(crate) struct Secret(pub(crate) [u8; HASH_LEN]);

impl Zeroize for Secret {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Secret {}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The two traffic secrets a handshake hands to message protection `[SESS-13]`. Each is
/// erased when dropped.
#[derive(Clone, Debug)]
pub struct TrafficSecrets {
    /// Protects messages from the initiator to the responder.
    pub initiator_to_responder: TrafficSecret,
    /// Protects messages from the responder to the initiator.
    pub responder_to_initiator: TrafficSecret,
}

/// `[SESS-17]` HKDF-SHA256 with `salt`, `ikm` and info `label`, 32 bytes of output.
pub(crate) fn derive(salt: &[u8], ikm: &[u8], label: &[u8]) -> Result<Secret, CryptoError> {
    let mut out = [0u8; HASH_LEN];
    hkdf_sha256(salt, ikm, label, &mut out)?;
    Ok(Secret(out))
}

/// `[SESS-17]` the secrets that end a handshake: both traffic secrets and the resumption
/// secret, all with the final transcript hash as salt.
pub(crate) fn final_secrets(
    th_final: &[u8; HASH_LEN],
    ikm: &[u8],
) -> Result<(TrafficSecrets, Secret), CryptoError> {
    let traffic = TrafficSecrets {
        initiator_to_responder: TrafficSecret(derive(th_final, ikm, LABEL_I2R)?.0),
        responder_to_initiator: TrafficSecret(derive(th_final, ikm, LABEL_R2I)?.0),
    };
    Ok((traffic, derive(th_final, ikm, LABEL_RESUMPTION)?))
}

/// `[SESS-19]` the bytes a handshake signature covers:
/// context ‖ transcript hash ‖ SHA-256(signer's certificate).
pub(crate) fn signed_data(
    context: &[u8],
    transcript_hash: &[u8; HASH_LEN],
    certificate: &[u8],
) -> Vec<u8> {
    let cert_hash = crate::crypto::hash::sha256(&[certificate]);
    let mut out = Vec::with_capacity(context.len() + 2 * HASH_LEN);
    out.extend_from_slice(context);
    out.extend_from_slice(transcript_hash);
    out.extend_from_slice(&cert_hash);
    out
}

/// `[SESS-18]` the nonce of every handshake payload: each payload key seals exactly one
/// message, so a constant nonce never repeats under a key.
const PAYLOAD_NONCE: [u8; NONCE_LEN] = [0; NONCE_LEN];

/// `[SESS-18]` seals a payload under a single-use handshake key with ChaCha20-Poly1305 (nonce
/// all zero, no associated data: the key already depends on the transcript).
pub(crate) fn seal(key: &Secret, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut buf = plaintext.to_vec();
    AeadKey::new(&key.0)?.seal_in_place_append_tag(&PAYLOAD_NONCE, &[], &mut buf)?;
    Ok(buf)
}

/// `[SESS-18]` opens a payload sealed by [`seal`].
pub(crate) fn open(key: &Secret, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut buf = ciphertext.to_vec();
    let len = AeadKey::new(&key.0)?
        .open_in_place(&PAYLOAD_NONCE, &[], &mut buf)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

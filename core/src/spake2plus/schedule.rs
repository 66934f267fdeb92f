//! The transcript TT `[PAIR-12]` and the RFC 9383 key schedule `[PAIR-15]`.

use super::group::{M_UNCOMPRESSED, N_UNCOMPRESSED};
use super::{Binding, Spake2PlusError, CONFIRM_LEN, POINT_LEN, SCALAR_LEN};
use crate::crypto::hash::{hkdf_sha256, hmac_sha256, sha256, HASH_LEN};
use zeroize::{Zeroize, Zeroizing};

/// HKDF info of the confirmation keys (RFC 9383 §3.4).
const INFO_CONFIRMATION: &[u8] = b"ConfirmationKeys";
/// HKDF info of the shared key (RFC 9383 §3.4).
const INFO_SHARED: &[u8] = b"SharedKey";

/// The public and secret inputs of TT, in TT's order after the binding.
pub(crate) struct TranscriptInputs<'a> {
    pub(crate) share_p: &'a [u8; POINT_LEN],
    pub(crate) share_v: &'a [u8; POINT_LEN],
    pub(crate) z: &'a [u8; POINT_LEN],
    pub(crate) v: &'a [u8; POINT_LEN],
    pub(crate) w0: &'a [u8; SCALAR_LEN],
}

/// Appends `len(field) ‖ field` with an 8-byte little-endian length (RFC 9383 §3.3).
fn push(tt: &mut Vec<u8>, field: &[u8]) {
    tt.extend_from_slice(&(field.len() as u64).to_le_bytes());
    tt.extend_from_slice(field);
}

/// `[PAIR-12]` TT = Context, idProver, idVerifier, M, N, shareP, shareV, Z, V, w0, each with
/// its length prefix; M and N uncompressed, w0 as 32 big-endian bytes.
///
/// TT holds the secrets Z, V and w0, so it is erased when dropped. Its capacity is reserved
/// up front so no reallocation leaves a copy behind.
pub(crate) fn transcript(
    binding: &Binding<'_>,
    inputs: &TranscriptInputs<'_>,
) -> Zeroizing<Vec<u8>> {
    let capacity = 10 * 8
        + binding.context.len()
        + binding.id_prover.len()
        + binding.id_verifier.len()
        + 6 * POINT_LEN
        + SCALAR_LEN;
    let mut tt = Zeroizing::new(Vec::with_capacity(capacity));
    push(&mut tt, binding.context);
    push(&mut tt, binding.id_prover);
    push(&mut tt, binding.id_verifier);
    push(&mut tt, &M_UNCOMPRESSED);
    push(&mut tt, &N_UNCOMPRESSED);
    push(&mut tt, inputs.share_p);
    push(&mut tt, inputs.share_v);
    push(&mut tt, inputs.z);
    push(&mut tt, inputs.v);
    push(&mut tt, inputs.w0);
    tt
}

/// Every key of RFC 9383 §3.4 derived from one transcript.
pub(crate) struct KeySchedule {
    pub(crate) k_main: [u8; HASH_LEN],
    pub(crate) k_confirm_p: [u8; HASH_LEN],
    pub(crate) k_confirm_v: [u8; HASH_LEN],
    pub(crate) k_shared: [u8; HASH_LEN],
}

impl Drop for KeySchedule {
    fn drop(&mut self) {
        self.k_main.zeroize();
        self.k_confirm_p.zeroize();
        self.k_confirm_v.zeroize();
        self.k_shared.zeroize();
    }
}

impl KeySchedule {
    /// `[PAIR-15]` K_main = SHA-256(TT); K_confirmP ‖ K_confirmV = HKDF(salt = empty,
    /// K_main, "ConfirmationKeys", 64); K_shared = HKDF(salt = empty, K_main, "SharedKey", 32).
    pub(crate) fn derive(tt: &[u8]) -> Result<Self, Spake2PlusError> {
        let k_main = sha256(&[tt]);
        let mut confirmation = [0u8; 2 * HASH_LEN];
        hkdf_sha256(&[], &k_main, INFO_CONFIRMATION, &mut confirmation)?;
        let mut k_confirm_p = [0u8; HASH_LEN];
        let mut k_confirm_v = [0u8; HASH_LEN];
        let (p, v) = confirmation.split_at(HASH_LEN);
        k_confirm_p.copy_from_slice(p);
        k_confirm_v.copy_from_slice(v);
        confirmation.zeroize();
        let mut k_shared = [0u8; HASH_LEN];
        hkdf_sha256(&[], &k_main, INFO_SHARED, &mut k_shared)?;
        Ok(KeySchedule {
            k_main,
            k_confirm_p,
            k_confirm_v,
            k_shared,
        })
    }

    /// confirmP = HMAC(K_confirmP, shareV): what the prover sends.
    pub(crate) fn confirm_p(&self, share_v: &[u8; POINT_LEN]) -> [u8; CONFIRM_LEN] {
        hmac_sha256(&self.k_confirm_p, &[share_v])
    }

    /// confirmV = HMAC(K_confirmV, shareP): what the verifier sends.
    pub(crate) fn confirm_v(&self, share_p: &[u8; POINT_LEN]) -> [u8; CONFIRM_LEN] {
        hmac_sha256(&self.k_confirm_v, &[share_p])
    }
}

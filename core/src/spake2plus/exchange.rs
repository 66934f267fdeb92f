//! One SPAKE2+ exchange (RFC 9383 §3.3, §3.4): shares, Z and V, key confirmation.

use super::error::ShareKind;
use super::group::{decode_share, encode_point, m, n, random_scalar, scalar_bytes};
use super::schedule::{transcript, KeySchedule, TranscriptInputs};
use super::{ProverSecrets, Spake2PlusError, Verifier, CONFIRM_LEN, POINT_LEN};
use crate::crypto::hash::hmac_sha256_verify;
use crate::crypto::Random;
use p256::{ProjectivePoint, Scalar};
use zeroize::{Zeroize, Zeroizing};

/// What both sides bind into TT besides the shares: the protocol context and the two
/// identities (RFC 9383 §3.3). Orbit pairing uses a hash of its first two messages as the
/// context and empty identities `[PAIR-11]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding<'a> {
    /// The application context string.
    pub context: &'a [u8],
    /// The prover's identity (may be empty).
    pub id_prover: &'a [u8],
    /// The verifier's identity (may be empty).
    pub id_verifier: &'a [u8],
}

/// `K_shared`, the key both sides hold after a successful exchange. Never printed `[SEC-2]`;
/// erased when dropped; not comparable (compare [`SharedKey::as_bytes`] in tests).
#[derive(Clone)]
pub struct SharedKey([u8; CONFIRM_LEN]);

impl std::fmt::Debug for SharedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedKey(..)")
    }
}

impl Drop for SharedKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl SharedKey {
    /// The 32 key bytes.
    pub fn as_bytes(&self) -> &[u8; CONFIRM_LEN] {
        &self.0
    }
}

/// The prover after sending `shareP`, waiting for `shareV` and `confirmV`.
pub struct Prover {
    w0: Scalar,
    w1: Scalar,
    x: Scalar,
    share_p: [u8; POINT_LEN],
}

impl std::fmt::Debug for Prover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prover")
            .field("share_p", &"..")
            .finish_non_exhaustive()
    }
}

impl Drop for Prover {
    fn drop(&mut self) {
        self.w0.zeroize();
        self.w1.zeroize();
        self.x.zeroize();
    }
}

impl Prover {
    /// Draws `x` uniformly from [1, n-1] `[PAIR-13]` and computes
    /// `shareP = X = x·P + w0·M`.
    pub fn start(secrets: &ProverSecrets, rng: &mut dyn Random) -> Result<Self, Spake2PlusError> {
        let x = random_scalar(rng)?;
        let share = ProjectivePoint::GENERATOR * x + m()? * secrets.w0;
        Ok(Prover {
            w0: secrets.w0,
            w1: secrets.w1,
            x,
            share_p: encode_point(&share),
        })
    }

    /// `shareP`, to send to the verifier.
    pub fn share(&self) -> &[u8; POINT_LEN] {
        &self.share_p
    }

    /// Validates `shareV` `[PAIR-14]`, computes `Z = x·(Y − w0·N)` and `V = w1·(Y − w0·N)`
    /// (cofactor 1), checks `confirmV` in constant time `[PAIR-17]`, and only then returns
    /// `confirmP` to send and `K_shared`.
    ///
    /// `confirmP` is never released before `confirmV` verifies: it would let a verifier that
    /// does not know `L` test passcode guesses offline.
    pub fn finish(
        self,
        binding: &Binding<'_>,
        share_v: &[u8],
        confirm_v: &[u8],
    ) -> Result<([u8; CONFIRM_LEN], SharedKey), Spake2PlusError> {
        let (keys, share_v) = self.schedule(binding, share_v)?;
        if !hmac_sha256_verify(&keys.k_confirm_v, &self.share_p, confirm_v) {
            return Err(Spake2PlusError::ConfirmationFailed);
        }
        Ok((keys.confirm_p(&share_v), SharedKey(keys.k_shared)))
    }

    /// The key schedule from the prover's view, and the decoded `shareV`.
    fn schedule(
        &self,
        binding: &Binding<'_>,
        share_v: &[u8],
    ) -> Result<(KeySchedule, [u8; POINT_LEN]), Spake2PlusError> {
        let y = decode_share(share_v, ShareKind::Verifier)?;
        let share_v = encode_point(&y);
        let base = y - n()? * self.w0;
        // Z, V and w0 are secret: their encodings are erased when dropped.
        let z = Zeroizing::new(encode_point(&(base * self.x)));
        let v = Zeroizing::new(encode_point(&(base * self.w1)));
        let w0 = Zeroizing::new(scalar_bytes(&self.w0));
        let tt = transcript(
            binding,
            &TranscriptInputs {
                share_p: &self.share_p,
                share_v: &share_v,
                z: &z,
                v: &v,
                w0: &w0,
            },
        );
        Ok((KeySchedule::derive(&tt)?, share_v))
    }

    /// A prover with a given `x`, for the RFC vector check of intermediate values.
    #[cfg(test)]
    pub(crate) fn with_scalar(secrets: &ProverSecrets, x: Scalar) -> Result<Self, Spake2PlusError> {
        let share = ProjectivePoint::GENERATOR * x + m()? * secrets.w0;
        Ok(Prover {
            w0: secrets.w0,
            w1: secrets.w1,
            x,
            share_p: encode_point(&share),
        })
    }

    /// `confirmP` without checking `confirmV`: what an attacker guessing a passcode would
    /// send. Only tests need it; the public API never releases it unchecked.
    #[cfg(test)]
    pub(crate) fn confirm_p_unchecked(
        &self,
        binding: &Binding<'_>,
        share_v: &[u8],
    ) -> Result<[u8; CONFIRM_LEN], Spake2PlusError> {
        let (keys, share_v) = self.schedule(binding, share_v)?;
        Ok(keys.confirm_p(&share_v))
    }
}

/// The verifier's answer to `shareP`: its share and confirmation, and the state that checks
/// the prover's confirmation.
#[derive(Debug)]
pub struct VerifierResponse {
    /// `shareV = Y = y·P + w0·N`, to send.
    pub share_v: [u8; POINT_LEN],
    /// `confirmV = HMAC(K_confirmV, shareP)`, to send.
    pub confirm_v: [u8; CONFIRM_LEN],
    /// Checks `confirmP` when it arrives.
    pub expect_confirm_p: ExpectConfirmP,
}

/// The verifier waiting for `confirmP`.
pub struct ExpectConfirmP {
    k_confirm_p: [u8; CONFIRM_LEN],
    k_shared: [u8; CONFIRM_LEN],
    share_v: [u8; POINT_LEN],
}

impl std::fmt::Debug for ExpectConfirmP {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExpectConfirmP(..)")
    }
}

impl Drop for ExpectConfirmP {
    fn drop(&mut self) {
        self.k_confirm_p.zeroize();
        self.k_shared.zeroize();
    }
}

impl ExpectConfirmP {
    /// `[PAIR-18]` checks `confirmP = HMAC(K_confirmP, shareV)` in constant time and returns
    /// `K_shared` when it verifies.
    pub fn confirm(self, confirm_p: &[u8]) -> Result<SharedKey, Spake2PlusError> {
        if !hmac_sha256_verify(&self.k_confirm_p, &self.share_v, confirm_p) {
            return Err(Spake2PlusError::ConfirmationFailed);
        }
        Ok(SharedKey(self.k_shared))
    }
}

impl Verifier {
    /// Validates `shareP` `[PAIR-14]`, draws `y` `[PAIR-13]`, computes
    /// `shareV = y·P + w0·N`, `Z = y·(X − w0·M)`, `V = y·L`, the key schedule and
    /// `confirmV`.
    pub fn respond(
        &self,
        binding: &Binding<'_>,
        share_p: &[u8],
        rng: &mut dyn Random,
    ) -> Result<VerifierResponse, Spake2PlusError> {
        // Validate before drawing randomness, so a bad share costs the verifier nothing.
        let x = decode_share(share_p, ShareKind::Prover)?;
        let mut y = random_scalar(rng)?;
        let response = self.respond_with(binding, &x, &y);
        y.zeroize();
        response
    }

    /// [`Verifier::respond`] with a given `y` and an already validated `X`.
    pub(crate) fn respond_with(
        &self,
        binding: &Binding<'_>,
        x: &ProjectivePoint,
        y: &Scalar,
    ) -> Result<VerifierResponse, Spake2PlusError> {
        let share_p = encode_point(x);
        let share_v = encode_point(&(ProjectivePoint::GENERATOR * y + n()? * self.w0));
        // Z, V and w0 are secret: their encodings are erased when dropped.
        let z = Zeroizing::new(encode_point(&((*x - m()? * self.w0) * y)));
        let v = Zeroizing::new(encode_point(&(self.l * y)));
        let w0 = Zeroizing::new(scalar_bytes(&self.w0));
        let tt = transcript(
            binding,
            &TranscriptInputs {
                share_p: &share_p,
                share_v: &share_v,
                z: &z,
                v: &v,
                w0: &w0,
            },
        );
        let keys = KeySchedule::derive(&tt)?;
        Ok(VerifierResponse {
            share_v,
            confirm_v: keys.confirm_v(&share_p),
            expect_confirm_p: ExpectConfirmP {
                k_confirm_p: keys.k_confirm_p,
                k_shared: keys.k_shared,
                share_v,
            },
        })
    }
}

//! Registration `[PAIR-7]`: from a passcode to the prover's `(w0, w1)` and the verifier's
//! `(w0, L)`.

use super::group::{decode_l, encode_point, reduce_wide, scalar_bytes, scalar_from_bytes};
use super::{Spake2PlusError, POINT_LEN, REGISTRATION_OUTPUT_LEN, SCALAR_LEN, VERIFIER_LEN};
use crate::crypto::hash::pbkdf2_sha256;
use p256::elliptic_curve::zeroize::Zeroize;
use p256::{ProjectivePoint, Scalar};

/// The prover's secrets `(w0, w1)`, derived from the passcode. Never printed `[SEC-2]`.
#[derive(Clone)]
pub struct ProverSecrets {
    pub(crate) w0: Scalar,
    pub(crate) w1: Scalar,
}

impl std::fmt::Debug for ProverSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProverSecrets(..)")
    }
}

impl Drop for ProverSecrets {
    fn drop(&mut self) {
        self.w0.zeroize();
        self.w1.zeroize();
    }
}

impl ProverSecrets {
    /// `[PAIR-7]` w0s ‖ w1s = PBKDF2-HMAC-SHA256(passcode as 4 bytes little-endian, `salt`,
    /// `iterations`, 80 bytes); w0 = w0s mod n, w1 = w1s mod n.
    ///
    /// The passcode is a plain `u32` so this primitive does not depend on the setup-code
    /// module; bounds on `salt` and `iterations` are the pairing protocol's business
    /// (`[PAIR-6]`), this function only needs `iterations >= 1`.
    pub fn from_passcode(
        passcode: u32,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, Spake2PlusError> {
        let mut ws = [0u8; REGISTRATION_OUTPUT_LEN];
        pbkdf2_sha256(&passcode.to_le_bytes(), salt, iterations, &mut ws)?;
        let secrets = Self::from_registration_output(&ws);
        ws.zeroize();
        Ok(secrets)
    }

    /// `w0 = w0s mod n`, `w1 = w1s mod n` from the 80-byte output `w0s ‖ w1s` of a key
    /// derivation (PBKDF2 in Orbit).
    pub fn from_registration_output(ws: &[u8; REGISTRATION_OUTPUT_LEN]) -> Self {
        let (w0s, w1s) = ws.split_at(REGISTRATION_OUTPUT_LEN / 2);
        let mut half = [0u8; REGISTRATION_OUTPUT_LEN / 2];
        half.copy_from_slice(w0s);
        let w0 = reduce_wide(&half);
        half.copy_from_slice(w1s);
        let w1 = reduce_wide(&half);
        half.zeroize();
        ProverSecrets { w0, w1 }
    }

    /// Secrets given directly as 32-byte big-endian scalars, each below the group order (as
    /// RFC 9383's test vectors give them, or as a provisioning tool may hand them over).
    pub fn from_scalars(
        w0: &[u8; SCALAR_LEN],
        w1: &[u8; SCALAR_LEN],
    ) -> Result<Self, Spake2PlusError> {
        Ok(ProverSecrets {
            w0: scalar_from_bytes(w0)?,
            w1: scalar_from_bytes(w1)?,
        })
    }

    /// The verifier `(w0, L = w1·P)` the device stores for these secrets.
    pub fn verifier(&self) -> Verifier {
        Verifier {
            w0: self.w0,
            l: ProjectivePoint::GENERATOR * self.w1,
        }
    }
}

/// The verifier's record `(w0, L)`: all a device stores for pairing `[PAIR-7]`. It does not
/// hold the passcode nor `w1`, so a dumped record does not let an attacker act as a prover.
#[derive(Clone)]
pub struct Verifier {
    pub(crate) w0: Scalar,
    pub(crate) l: ProjectivePoint,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier(..)")
    }
}

impl Drop for Verifier {
    fn drop(&mut self) {
        self.w0.zeroize();
    }
}

impl PartialEq for Verifier {
    fn eq(&self, other: &Self) -> bool {
        self.to_bytes() == other.to_bytes()
    }
}

impl Eq for Verifier {}

impl Verifier {
    /// `[PAIR-7]` derives `(w0, w1)` as [`ProverSecrets::from_passcode`] does, keeps `w0`,
    /// computes `L = w1·P` and forgets `w1`.
    pub fn from_passcode(
        passcode: u32,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, Spake2PlusError> {
        Ok(ProverSecrets::from_passcode(passcode, salt, iterations)?.verifier())
    }

    /// Reads a serialized verifier `w0 (32 bytes, big-endian, below n) ‖ L (65 bytes,
    /// uncompressed point)`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Spake2PlusError> {
        if bytes.len() != VERIFIER_LEN {
            return Err(Spake2PlusError::InvalidVerifier);
        }
        let (w0, l) = bytes.split_at(SCALAR_LEN);
        let w0: [u8; SCALAR_LEN] = w0
            .try_into()
            .map_err(|_| Spake2PlusError::InvalidVerifier)?;
        Ok(Verifier {
            w0: scalar_from_bytes(&w0).map_err(|_| Spake2PlusError::InvalidVerifier)?,
            l: decode_l(l)?,
        })
    }

    /// The serialized verifier `w0 ‖ L` (97 bytes), for a device's storage.
    pub fn to_bytes(&self) -> [u8; VERIFIER_LEN] {
        let mut out = [0u8; VERIFIER_LEN];
        let (w0, l) = out.split_at_mut(SCALAR_LEN);
        w0.copy_from_slice(&self.w0_bytes());
        l.copy_from_slice(&self.l_bytes());
        out
    }

    /// `w0` as 32 big-endian bytes.
    pub fn w0_bytes(&self) -> [u8; SCALAR_LEN] {
        scalar_bytes(&self.w0)
    }

    /// `L` as a 65-byte uncompressed point.
    pub fn l_bytes(&self) -> [u8; POINT_LEN] {
        encode_point(&self.l)
    }
}

//! PBKDF2 parameters and the device's stored verifier `[PAIR-6]` `[PAIR-7]` `[PAIR-8]`.

use super::PairingError;
use crate::crypto::Random;
use crate::spake2plus::{ProverSecrets, Verifier};
use std::ops::RangeInclusive;

/// `[PAIR-6]` allowed PBKDF2 iteration counts.
pub const PBKDF_ITERATIONS: RangeInclusive<u32> = 1_000..=100_000;
/// `[PAIR-6]` allowed salt lengths in bytes.
pub const PBKDF_SALT_LEN: RangeInclusive<usize> = 16..=32;

/// The PBKDF2 parameters of a device's verifier, as carried in
/// [`PbkdfParamResponse`](super::PbkdfParamResponse).
///
/// A value may hold out-of-bounds numbers (it is what a peer sent); [`PbkdfParams::check`]
/// says whether it is within the spec's bounds.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PbkdfParams {
    /// PBKDF2 iteration count.
    pub iterations: u32,
    /// PBKDF2 salt.
    pub salt: Vec<u8>,
}

impl PbkdfParams {
    /// Parameters within the bounds of `[PAIR-6]`.
    pub fn new(iterations: u32, salt: Vec<u8>) -> Result<Self, PairingError> {
        let p = PbkdfParams { iterations, salt };
        p.check()?;
        Ok(p)
    }

    /// Parameters with a fresh random salt of the longest allowed length.
    pub fn generate(rng: &mut dyn Random, iterations: u32) -> Result<Self, PairingError> {
        let mut salt = vec![0u8; *PBKDF_SALT_LEN.end()];
        rng.fill(&mut salt)?;
        Self::new(iterations, salt)
    }

    /// `[PAIR-6]` checks the iteration count and the salt length.
    pub fn check(&self) -> Result<(), PairingError> {
        if PBKDF_ITERATIONS.contains(&self.iterations) && PBKDF_SALT_LEN.contains(&self.salt.len())
        {
            Ok(())
        } else {
            Err(PairingError::PbkdfOutOfBounds {
                iterations: self.iterations,
                salt_len: self.salt.len(),
            })
        }
    }

    /// `[PAIR-7]` the prover's `(w0, w1)` for `passcode` under these parameters.
    pub(crate) fn prover_secrets(&self, passcode: u32) -> Result<ProverSecrets, PairingError> {
        self.check()?;
        Ok(ProverSecrets::from_passcode(
            passcode,
            &self.salt,
            self.iterations,
        )?)
    }
}

/// What a device stores to be paired: the PBKDF2 parameters and the SPAKE2+ verifier
/// `(w0, L)`, never the passcode nor `w1` `[PAIR-8]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PasscodeVerifier {
    params: PbkdfParams,
    verifier: Verifier,
}

impl PasscodeVerifier {
    /// `[PAIR-7]` derives the verifier for `passcode` (the value of a
    /// `setup::Passcode`, taken as a plain `u32` to keep this module independent of setup
    /// codes). Run it at manufacture, or on a device that shows a fresh passcode, and then
    /// forget the passcode.
    pub fn from_passcode(passcode: u32, params: PbkdfParams) -> Result<Self, PairingError> {
        let verifier = params.prover_secrets(passcode)?.verifier();
        Ok(PasscodeVerifier { params, verifier })
    }

    /// A stored record: parameters (checked against `[PAIR-6]`) and verifier.
    pub fn new(params: PbkdfParams, verifier: Verifier) -> Result<Self, PairingError> {
        params.check()?;
        Ok(PasscodeVerifier { params, verifier })
    }

    /// The PBKDF2 parameters, sent in the response.
    pub fn params(&self) -> &PbkdfParams {
        &self.params
    }

    /// The SPAKE2+ verifier `(w0, L)`.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }
}

//! The controller's side: [`Controller::start`] → [`ExpectPbkdfParamResponse`] →
//! [`ExpectPake2`] → [`PairingKeys`].

use super::device::expect;
use super::keys::{binding, context, derive, Agreed, PairingKeys, PairingRole};
use super::messages::{
    MessageType, Pake1, Pake2, Pake3, PbkdfParamRequest, PbkdfParamResponse, RANDOM_LEN,
};
use super::window::{deadline_after, passed};
use super::{PairingError, PbkdfParams};
use crate::codec::CborMessage;
use crate::crypto::hash::HASH_LEN;
use crate::crypto::Random;
use crate::spake2plus::Prover;
use crate::version::{VersionError, VersionRange};
use std::time::Instant;

/// What a controller needs to pair with one device.
#[derive(Clone)]
pub struct Controller {
    /// The passcode from the device's setup code (`setup::Passcode::value()`); a plain `u32`
    /// keeps pairing independent of the setup-code module.
    pub passcode: u32,
    /// The versions the controller speaks `[VER-1]`.
    pub versions: VersionRange,
    /// The session identifier the controller will receive on `[PAIR-21]`.
    pub local_session_id: u32,
    /// The device's PBKDF2 parameters, if the controller already has them (from an earlier
    /// response); the request then asks the device to leave them out `[PAIR-4]`.
    pub known_params: Option<PbkdfParams>,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // [SEC-2] the passcode is never printed.
        f.debug_struct("Controller")
            .field("versions", &self.versions)
            .field("local_session_id", &self.local_session_id)
            .field("known_params", &self.known_params)
            .finish_non_exhaustive()
    }
}

impl Controller {
    /// Builds the [`PbkdfParamRequest`] `[PAIR-4]` with a fresh random `[SEC-1]`.
    pub fn start(
        self,
        rng: &mut dyn Random,
        now: Instant,
    ) -> Result<(ExpectPbkdfParamResponse, PbkdfParamRequest), PairingError> {
        if let Some(p) = &self.known_params {
            p.check()?; // [PAIR-6]
        }
        let mut controller_random = [0u8; RANDOM_LEN];
        rng.fill(&mut controller_random)?;
        let request = PbkdfParamRequest {
            controller_random,
            controller_session_id: self.local_session_id,
            versions: self.versions,
            has_pbkdf_params: self.known_params.is_some(),
        };
        Ok((
            ExpectPbkdfParamResponse {
                request_bytes: request.to_bytes(),
                controller_random,
                deadline: deadline_after(now),
                controller: self,
            },
            request,
        ))
    }
}

/// The controller after its request, waiting for [`PbkdfParamResponse`].
pub struct ExpectPbkdfParamResponse {
    controller: Controller,
    request_bytes: Vec<u8>,
    controller_random: [u8; RANDOM_LEN],
    deadline: Instant,
}

impl std::fmt::Debug for ExpectPbkdfParamResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpectPbkdfParamResponse")
            .field("controller", &self.controller)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl ExpectPbkdfParamResponse {
    /// When this state gives up `[PAIR-28]`.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Checks the response `[PAIR-5]` `[PAIR-6]` `[PAIR-9]`, runs PBKDF2 on the passcode
    /// `[PAIR-7]` and answers with [`Pake1`] `[PAIR-16]`.
    pub fn handle(
        self,
        message: &[u8],
        rng: &mut dyn Random,
        now: Instant,
    ) -> Result<(ExpectPake2, Pake1), PairingError> {
        // [LIMIT-3] a message at exactly the deadline is still processed.
        if passed(self.deadline, now) {
            return Err(PairingError::Timeout {
                deadline: self.deadline,
            });
        }
        let response =
            PbkdfParamResponse::from_value(expect(message, MessageType::PBKDF_PARAM_RESPONSE)?)?;
        if response.controller_random != self.controller_random {
            return Err(PairingError::ResponseMismatch);
        }
        check_version(self.controller.versions, &response)?;
        // [PAIR-5] parameters are present exactly when the controller asked for them.
        let params = match (&self.controller.known_params, &response.pbkdf) {
            (None, Some(p)) => p,
            (Some(k), None) => k,
            (None, None) => return Err(PairingError::MissingPbkdfParams),
            (Some(_), Some(_)) => return Err(PairingError::UnexpectedPbkdfParams),
        };
        // [PAIR-6] bounds are checked before PBKDF2 runs.
        let secrets = params.prover_secrets(self.controller.passcode)?;
        let prover = Prover::start(&secrets, rng)?;
        let pake1 = Pake1 {
            share_p: *prover.share(),
        };
        Ok((
            ExpectPake2 {
                prover,
                context: context(&self.request_bytes, message),
                agreed: Agreed {
                    controller_session_id: self.controller.local_session_id,
                    device_session_id: response.device_session_id,
                    version: response.version,
                },
                deadline: deadline_after(now),
            },
            pake1,
        ))
    }
}

/// `[PAIR-9]` `[VER-3]` `[VER-4]` the chosen version must be the highest in both ranges;
/// `[VER-5]` the device's range must be valid.
fn check_version(ours: VersionRange, response: &PbkdfParamResponse) -> Result<(), PairingError> {
    response.device_versions.validate()?;
    let chosen = response.version;
    if chosen < ours.min || chosen > ours.max {
        return Err(VersionError::NoCommonVersion {
            ours,
            theirs: response.device_versions,
        }
        .into());
    }
    let expected = ours.negotiate(&response.device_versions)?;
    VersionRange::confirm(expected, chosen)?;
    Ok(())
}

/// The controller after [`Pake1`], waiting for [`Pake2`].
pub struct ExpectPake2 {
    prover: Prover,
    context: [u8; HASH_LEN],
    agreed: Agreed,
    deadline: Instant,
}

impl std::fmt::Debug for ExpectPake2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpectPake2")
            .field("agreed", &self.agreed)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl ExpectPake2 {
    /// When this state gives up `[PAIR-28]`.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Validates `Y` `[PAIR-14]`, checks `confirmV` `[PAIR-17]` and only then answers with
    /// [`Pake3`] and derives the keys `[PAIR-20]`. The controller's handshake is then done;
    /// a [`PairingStatus`](super::PairingStatus) arriving afterwards means the device
    /// rejected Pake3 and the keys must be discarded `[PAIR-22]`.
    pub fn handle(
        self,
        message: &[u8],
        now: Instant,
    ) -> Result<(PairingKeys, Pake3), PairingError> {
        // [LIMIT-3] a message at exactly the deadline is still processed.
        if passed(self.deadline, now) {
            return Err(PairingError::Timeout {
                deadline: self.deadline,
            });
        }
        let pake2 = Pake2::from_value(expect(message, MessageType::PAKE2)?)?;
        let (confirm_p, k_shared) =
            self.prover
                .finish(&binding(&self.context), &pake2.share_v, &pake2.confirm_v)?;
        let keys = derive(&k_shared, PairingRole::Controller, self.agreed)?;
        Ok((keys, Pake3 { confirm_p }))
    }
}

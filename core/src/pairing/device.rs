//! The device's side: [`Device::handle_request`] → [`ExpectPake1`] → [`ExpectPake3`] →
//! [`PairingKeys`]. Every transition consults the [`PairingWindow`].

use super::keys::{binding, context, derive, Agreed, PairingKeys, PairingRole};
use super::messages::{
    parse, MessageType, PairingStatus, Pake1, Pake2, Pake3, PbkdfParamRequest, PbkdfParamResponse,
    RANDOM_LEN,
};
use super::window::{Outcome, PairingWindow, Slot};
use super::{PairingError, PasscodeVerifier};
use crate::codec::{CborMessage, Value};
use crate::crypto::hash::HASH_LEN;
use crate::crypto::Random;
use crate::spake2plus::{ExpectConfirmP, Verifier};
use crate::version::VersionRange;
use std::time::Instant;

/// `[PAIR-2]` `[PAIR-22]` decodes `message` and checks that it is of type `expected`; a
/// status message from the peer ends the handshake with the peer's status.
pub(crate) fn expect(message: &[u8], expected: MessageType) -> Result<Value, PairingError> {
    let (found, value) = parse(message)?;
    if found == MessageType::STATUS {
        return Err(PairingError::from_peer(PairingStatus::from_value(value)?));
    }
    if found != expected {
        return Err(PairingError::UnexpectedMessage { expected, found });
    }
    Ok(value)
}

/// What a device consults to answer a pairing request: its stored verifier and its versions.
/// Per-handshake state lives in [`ExpectPake1`] / [`ExpectPake3`]; the attempt limiter in
/// the [`PairingWindow`].
#[derive(Debug, Clone, Copy)]
pub struct Device<'a> {
    /// The device's PBKDF2 parameters and SPAKE2+ verifier `[PAIR-8]`.
    pub verifier: &'a PasscodeVerifier,
    /// The versions the device speaks `[VER-2]`.
    pub versions: VersionRange,
}

impl Device<'_> {
    /// Answers a [`PbkdfParamRequest`] `[PAIR-5]`. `local_session_id` is the identifier the
    /// device will receive on `[PAIR-21]`.
    ///
    /// Refused, before the request is even decoded, while the window is closed
    /// `[PAIR-23]`, locked `[PAIR-27]`, backing off `[PAIR-26]` or busy with another
    /// handshake `[PAIR-24]`.
    pub fn handle_request(
        &self,
        window: &mut PairingWindow,
        message: &[u8],
        local_session_id: u32,
        rng: &mut dyn Random,
        now: Instant,
    ) -> Result<(ExpectPake1, PbkdfParamResponse), PairingError> {
        let (slot, deadline) = window.begin(now)?;
        // Nothing before Pake2 is an attempt on the passcode, so failures here free the slot
        // without counting [PAIR-25].
        let result = self.respond(message, local_session_id, rng);
        match result {
            Ok((context, agreed, response)) => Ok((
                ExpectPake1 {
                    slot,
                    deadline,
                    verifier: self.verifier.verifier().clone(),
                    context,
                    agreed,
                },
                response,
            )),
            Err(e) => {
                window.end(slot, now, Outcome::Failure);
                Err(e)
            }
        }
    }

    fn respond(
        &self,
        message: &[u8],
        device_session_id: u32,
        rng: &mut dyn Random,
    ) -> Result<([u8; HASH_LEN], Agreed, PbkdfParamResponse), PairingError> {
        let request =
            PbkdfParamRequest::from_value(expect(message, MessageType::PBKDF_PARAM_REQUEST)?)?;
        // [PAIR-9] [VER-2] [VER-3]
        let version = self.versions.negotiate(&request.versions)?;
        let mut device_random = [0u8; RANDOM_LEN];
        rng.fill(&mut device_random)?;
        let response = PbkdfParamResponse {
            controller_random: request.controller_random,
            device_random,
            device_session_id,
            version,
            device_versions: self.versions,
            // [PAIR-5]
            pbkdf: (!request.has_pbkdf_params).then(|| self.verifier.params().clone()),
        };
        // [PAIR-11] the request as received (the profile makes it canonical), the response
        // as it will be sent.
        let context = context(message, &response.to_bytes());
        let agreed = Agreed {
            controller_session_id: request.controller_session_id,
            device_session_id,
            version,
        };
        Ok((context, agreed, response))
    }
}

/// The device after its PBKDF parameter response, waiting for [`Pake1`].
pub struct ExpectPake1 {
    slot: Slot,
    deadline: Instant,
    verifier: Verifier,
    context: [u8; HASH_LEN],
    agreed: Agreed,
}

impl std::fmt::Debug for ExpectPake1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpectPake1")
            .field("deadline", &self.deadline)
            .field("agreed", &self.agreed)
            .finish_non_exhaustive()
    }
}

impl ExpectPake1 {
    /// When this state gives up: 10 s after the device's previous message `[PAIR-33]`.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Answers [`Pake1`] with [`Pake2`]: validates `X` `[PAIR-14]`, draws `y` `[PAIR-13]`,
    /// and sends `Y` with `confirmV` `[PAIR-16]`. From here on the handshake counts as an
    /// attempt on the passcode until a valid [`Pake3`] arrives `[PAIR-25]`.
    pub fn handle(
        self,
        window: &mut PairingWindow,
        message: &[u8],
        rng: &mut dyn Random,
        now: Instant,
    ) -> Result<(ExpectPake3, Pake2), PairingError> {
        window.check(self.slot, now)?;
        let answer = expect(message, MessageType::PAKE1)
            .and_then(|v| Ok(Pake1::from_value(v)?))
            .and_then(|pake1| {
                Ok(self
                    .verifier
                    .respond(&binding(&self.context), &pake1.share_p, rng)?)
            });
        let response = match answer {
            Ok(r) => r,
            Err(e) => {
                window.end(self.slot, now, Outcome::Failure);
                return Err(e);
            }
        };
        let deadline = window.pake2_sent(self.slot, now);
        Ok((
            ExpectPake3 {
                slot: self.slot,
                deadline,
                expect_confirm_p: response.expect_confirm_p,
                agreed: self.agreed,
            },
            Pake2 {
                share_v: response.share_v,
                confirm_v: response.confirm_v,
            },
        ))
    }

    /// Gives the handshake up (the transport closed, the peer sent a status). It had not
    /// reached Pake2, so it is not counted as an attempt `[PAIR-25]`.
    pub fn abandon(self, window: &mut PairingWindow, now: Instant) {
        window.end(self.slot, now, Outcome::Failure);
    }

    /// Ends the handshake because Pake1 did not come by [`ExpectPake1::deadline`]: a stall
    /// counts as a failed attempt even before Pake2 `[PAIR-34]`.
    pub fn time_out(self, window: &mut PairingWindow, now: Instant) {
        window.end(self.slot, now, Outcome::Stalled);
    }
}

/// The device after [`Pake2`], waiting for [`Pake3`].
pub struct ExpectPake3 {
    slot: Slot,
    deadline: Instant,
    expect_confirm_p: ExpectConfirmP,
    agreed: Agreed,
}

impl std::fmt::Debug for ExpectPake3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpectPake3")
            .field("deadline", &self.deadline)
            .field("agreed", &self.agreed)
            .finish_non_exhaustive()
    }
}

impl ExpectPake3 {
    /// When this state gives up: 10 s after the device's previous message `[PAIR-33]`.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Checks `confirmP` `[PAIR-18]`. On success the window closes to new handshakes
    /// `[PAIR-29]` and the keys are derived `[PAIR-20]`; any failure is a failed attempt
    /// `[PAIR-25]`. The device sends nothing on success.
    pub fn handle(
        self,
        window: &mut PairingWindow,
        message: &[u8],
        now: Instant,
    ) -> Result<PairingKeys, PairingError> {
        window.check(self.slot, now)?;
        let confirmed = expect(message, MessageType::PAKE3)
            .and_then(|v| Ok(Pake3::from_value(v)?))
            .and_then(|pake3| Ok(self.expect_confirm_p.confirm(&pake3.confirm_p)?));
        match confirmed {
            Ok(k_shared) => {
                window.end(self.slot, now, Outcome::Success);
                Ok(derive(&k_shared, PairingRole::Device, self.agreed)?)
            }
            Err(e) => {
                window.end(self.slot, now, Outcome::Failure);
                Err(e)
            }
        }
    }

    /// Gives the handshake up (the transport closed). Pake2 was sent, so this is a failed
    /// attempt `[PAIR-25]`.
    pub fn abandon(self, window: &mut PairingWindow, now: Instant) {
        window.end(self.slot, now, Outcome::Failure);
    }

    /// Ends the handshake because Pake3 did not come by [`ExpectPake3::deadline`]: a failed
    /// attempt `[PAIR-34]`.
    pub fn time_out(self, window: &mut PairingWindow, now: Instant) {
        window.end(self.slot, now, Outcome::Stalled);
    }
}

//! What pairing binds into SPAKE2+ `[PAIR-11]` and what it hands on `[PAIR-20]`.

use crate::crypto::hash::{hkdf_sha256, sha256, HASH_LEN};
use crate::crypto::CryptoError;
use crate::spake2plus::{Binding, SharedKey};
use crate::version::ProtocolVersion;
use p256::elliptic_curve::zeroize::Zeroize;

/// `[PAIR-11]` the prefix of the SPAKE2+ context hash.
pub(crate) const CONTEXT_PREFIX: &[u8] = b"Orbit v1 pairing";
/// `[PAIR-20]` HKDF info of the controller-to-device traffic secret.
pub(crate) const LABEL_C2D: &[u8] = b"orbit v1 pase c2d traffic";
/// `[PAIR-20]` HKDF info of the device-to-controller traffic secret.
pub(crate) const LABEL_D2C: &[u8] = b"orbit v1 pase d2c traffic";
/// `[PAIR-20]` HKDF info of the attestation challenge.
pub(crate) const LABEL_CHALLENGE: &[u8] = b"orbit v1 pase attestation challenge";

/// `[PAIR-11]` Context = SHA-256("Orbit v1 pairing" ‖ request ‖ response), over the two
/// messages' bytes exactly as sent.
pub(crate) fn context(request: &[u8], response: &[u8]) -> [u8; HASH_LEN] {
    sha256(&[CONTEXT_PREFIX, request, response])
}

/// `[PAIR-11]` the SPAKE2+ binding: the context and empty identities.
pub(crate) fn binding(context: &[u8; HASH_LEN]) -> Binding<'_> {
    Binding {
        context,
        id_prover: &[],
        id_verifier: &[],
    }
}

/// A 32-byte secret from pairing. Never printed `[SEC-2]`; erased when dropped; not
/// comparable (compare [`PairingSecret::expose`] in tests).
#[derive(Clone)]
pub struct PairingSecret([u8; HASH_LEN]);

impl std::fmt::Debug for PairingSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PairingSecret(..)")
    }
}

impl Drop for PairingSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl PairingSecret {
    /// The secret bytes, for the message-protection layer.
    pub fn expose(&self) -> &[u8; HASH_LEN] {
        &self.0
    }
}

/// Which side of pairing this node was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PairingRole {
    /// The phone: SPAKE2+ prover.
    Controller,
    /// The device: SPAKE2+ verifier.
    Device,
}

/// What a successful pairing hands to the PASE channel and to commissioning `[PAIR-20]`.
#[derive(Debug)]
pub struct PairingKeys {
    /// Which side this node was.
    pub role: PairingRole,
    /// Protects messages from the controller to the device.
    pub controller_to_device: PairingSecret,
    /// Protects messages from the device to the controller.
    pub device_to_controller: PairingSecret,
    /// The challenge the device signs in attestation (`05-attestation`).
    pub attestation_challenge: [u8; HASH_LEN],
    /// The session identifier the controller receives on `[PAIR-21]`.
    pub controller_session_id: u32,
    /// The session identifier the device receives on `[PAIR-21]`.
    pub device_session_id: u32,
    /// The negotiated protocol version `[VER-6]`.
    pub version: ProtocolVersion,
}

impl PairingKeys {
    /// The secret protecting what this node sends.
    pub fn send_secret(&self) -> &PairingSecret {
        match self.role {
            PairingRole::Controller => &self.controller_to_device,
            PairingRole::Device => &self.device_to_controller,
        }
    }

    /// The secret protecting what this node receives.
    pub fn receive_secret(&self) -> &PairingSecret {
        match self.role {
            PairingRole::Controller => &self.device_to_controller,
            PairingRole::Device => &self.controller_to_device,
        }
    }

    /// The session identifier this node receives on.
    pub fn local_session_id(&self) -> u32 {
        match self.role {
            PairingRole::Controller => self.controller_session_id,
            PairingRole::Device => self.device_session_id,
        }
    }

    /// The session identifier the peer receives on (put it on messages to the peer).
    pub fn peer_session_id(&self) -> u32 {
        match self.role {
            PairingRole::Controller => self.device_session_id,
            PairingRole::Device => self.controller_session_id,
        }
    }
    /// The keys of the PASE channel for message protection: commissioning runs inside it
    /// `[COMM-1]`, protected like any session `[MSG-4]`.
    pub fn session_keys(&self) -> crate::protect::SessionKeys {
        crate::protect::SessionKeys {
            send_secret: crate::protect::TrafficSecret(*self.send_secret().expose()),
            recv_secret: crate::protect::TrafficSecret(*self.receive_secret().expose()),
            local_session_id: crate::protect::SessionId(self.local_session_id()),
            peer_session_id: crate::protect::SessionId(self.peer_session_id()),
        }
    }
}

/// The session parameters both sides agreed on before SPAKE2+ ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Agreed {
    pub(crate) controller_session_id: u32,
    pub(crate) device_session_id: u32,
    pub(crate) version: ProtocolVersion,
}

fn expand(k_shared: &SharedKey, label: &[u8]) -> Result<[u8; HASH_LEN], CryptoError> {
    let mut out = [0u8; HASH_LEN];
    hkdf_sha256(&[], k_shared.as_bytes(), label, &mut out)?;
    Ok(out)
}

/// `[PAIR-20]` each output is HKDF-SHA256(salt = empty, IKM = K_shared, info = its label,
/// 32 bytes).
pub(crate) fn derive(
    k_shared: &SharedKey,
    role: PairingRole,
    agreed: Agreed,
) -> Result<PairingKeys, CryptoError> {
    Ok(PairingKeys {
        role,
        controller_to_device: PairingSecret(expand(k_shared, LABEL_C2D)?),
        device_to_controller: PairingSecret(expand(k_shared, LABEL_D2C)?),
        attestation_challenge: expand(k_shared, LABEL_CHALLENGE)?,
        controller_session_id: agreed.controller_session_id,
        device_session_id: agreed.device_session_id,
        version: agreed.version,
    })
}

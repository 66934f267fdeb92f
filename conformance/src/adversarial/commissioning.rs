//! Commissioning messages an honest controller never sends `[COMM-11]`, `[COMM-18]`:
//! `install-home` with a certificate the device must refuse (`[CERT-2]`..`[CERT-8]`), and an `attestation-request`
//! over its size limits. Built from orbit-core's public types (a home authority issues the
//! unusual certificates) or with ciborium from `spec/v1/cddl/commissioning.cddl`.

use orbit_core::cert::{
    CertKind, Certificate, HomeAuthority, KeyId, NodeId, NodeRole, TbsCertificate, Validity,
};
use orbit_core::codec::CborMessage;
use orbit_core::commission::InstallHome;
use orbit_core::crypto::sign::PublicKey;

/// What is wrong with an `install-home`'s certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadInstall {
    /// It certifies another key than the one the device generated (`[HOME-4]`).
    OtherKey,
    /// Its role is `controller`, not `device` (`[COMM-11]`).
    ControllerRole,
    /// Its validity ended in 2020 (`[CERT-6]`).
    Expired,
    /// It was issued by another home's root than the one the message carries (`[CERT-8]`).
    OtherRoot,
    /// Its signature is another key's, though its issuer field names the root (`[CERT-2]`).
    BadSignature,
    /// Its kind is 99, which no version defines (`[CERT-3]`).
    UnknownKind,
    /// Its kind is `home-root`, not `operational` (`[CERT-4]`).
    WrongKind,
    /// Its issuer field names another key than the root that signed it (`[CERT-5]`).
    WrongIssuer,
    /// It lacks the `node_id` an operational certificate needs (`[CERT-7]`).
    MissingNodeId,
}

impl BadInstall {
    /// Every kind, in the order cases send them.
    pub const ALL: [BadInstall; 9] = [
        BadInstall::OtherKey,
        BadInstall::ControllerRole,
        BadInstall::Expired,
        BadInstall::OtherRoot,
        BadInstall::BadSignature,
        BadInstall::UnknownKind,
        BadInstall::WrongKind,
        BadInstall::WrongIssuer,
        BadInstall::MissingNodeId,
    ];

    /// What is wrong, for evidence.
    pub fn describe(self) -> &'static str {
        match self {
            BadInstall::OtherKey => "a certificate of another key than the device's new one",
            BadInstall::ControllerRole => "a certificate with the controller role",
            BadInstall::Expired => "a certificate whose validity ended in 2020",
            BadInstall::OtherRoot => "a certificate issued by another home's root",
            BadInstall::BadSignature => "a certificate signed by another key than its issuer",
            BadInstall::UnknownKind => "a certificate of kind 99",
            BadInstall::WrongKind => {
                "a home-root certificate in the operational certificate's place"
            }
            BadInstall::WrongIssuer => "a certificate whose issuer field names another key",
            BadInstall::MissingNodeId => "an operational certificate without node_id",
        }
    }

    /// The rule the device breaks by accepting it.
    pub fn rule(self) -> &'static str {
        match self {
            BadInstall::OtherKey => "HOME-4",
            BadInstall::ControllerRole => "COMM-11",
            BadInstall::Expired => "CERT-6",
            BadInstall::OtherRoot => "CERT-8",
            BadInstall::BadSignature => "CERT-2",
            BadInstall::UnknownKind => "CERT-3",
            BadInstall::WrongKind => "CERT-4",
            BadInstall::WrongIssuer => "CERT-5",
            BadInstall::MissingNodeId => "CERT-7",
        }
    }
}

/// An `install-home` with `bad`'s fault: `home` is the home whose root the message carries,
/// `other` a second home (for [`BadInstall::OtherRoot`]), `key` the operational key the
/// device generated, `wrong_key` any other key, `now` the current Unix time.
#[allow(clippy::too_many_arguments)]
pub fn install_home(
    bad: BadInstall,
    home: &mut HomeAuthority,
    other: &mut HomeAuthority,
    key: &PublicKey,
    wrong_key: &PublicKey,
    node_id: NodeId,
    admin_node_id: NodeId,
    now: u64,
) -> Vec<u8> {
    let valid = Validity::starting(now.saturating_sub(60), 86_400);
    let certificate = match bad {
        BadInstall::OtherKey => home.issue(wrong_key, node_id, NodeRole::DEVICE, valid),
        BadInstall::ControllerRole => home.issue(key, node_id, NodeRole::CONTROLLER, valid),
        BadInstall::Expired => home.issue(
            key,
            node_id,
            NodeRole::DEVICE,
            Validity::starting(1_577_836_800, 86_400),
        ),
        BadInstall::OtherRoot => other.issue(key, node_id, NodeRole::DEVICE, valid),
        BadInstall::BadSignature => {
            let tbs = home
                .issue(key, node_id, NodeRole::DEVICE, valid)
                .tbs()
                .clone();
            Certificate::sign(tbs, other.root_key())
        }
        BadInstall::UnknownKind => resigned(home, key, node_id, valid, |t| {
            t.kind = CertKind(99);
        }),
        BadInstall::WrongKind => resigned(home, key, node_id, valid, |t| {
            t.kind = CertKind::HOME_ROOT;
        }),
        BadInstall::WrongIssuer => resigned(home, key, node_id, valid, |t| {
            t.issuer = KeyId::of(wrong_key);
        }),
        BadInstall::MissingNodeId => resigned(home, key, node_id, valid, |t| {
            t.node_id = None;
        }),
    };
    InstallHome {
        root: home.root_cert().clone(),
        certificate,
        time: now,
        admin_node_id: Some(admin_node_id),
    }
    .to_bytes()
}

/// A device certificate for `key` from `home`, changed by `change` and signed again with the
/// home's root key.
fn resigned(
    home: &mut HomeAuthority,
    key: &PublicKey,
    node_id: NodeId,
    valid: Validity,
    change: impl FnOnce(&mut TbsCertificate),
) -> Certificate {
    let mut tbs = home
        .issue(key, node_id, NodeRole::DEVICE, valid)
        .tbs()
        .clone();
    change(&mut tbs);
    Certificate::sign(tbs, home.root_key())
}

/// An `attestation-request` with `nonce` and an unknown key holding 100 bytes: over the
/// message's limits of 128 bytes and 64-byte strings `[COMM-18]`.
pub fn oversized_attestation_request(nonce: &[u8; 32]) -> Vec<u8> {
    use ciborium::Value;
    let value = Value::Map(vec![
        (Value::Integer(0.into()), Value::Integer(1.into())),
        (Value::Integer(1.into()), Value::Bytes(nonce.to_vec())),
        (Value::Integer(20.into()), Value::Bytes(vec![0x5a; 100])),
    ]);
    let mut out = Vec::new();
    let _ = ciborium::ser::into_writer(&value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use orbit_core::commission::{AttestationRequest, ATTESTATION_REQUEST_LIMITS};

    #[test]
    fn the_oversized_request_breaks_only_its_limits() {
        let bytes = oversized_attestation_request(&[7; 32]);
        assert!(bytes.len() > 128, "{}", bytes.len());
        assert!(AttestationRequest::decode(&bytes).is_err());
        let lax = orbit_core::codec::Limits {
            max_message: 1024,
            max_string: 512,
            ..ATTESTATION_REQUEST_LIMITS
        };
        let value = orbit_core::codec::decode_value(&bytes, &lax).unwrap();
        assert!(AttestationRequest::from_value(value).is_ok());
    }
}

/// A commissioning message an honest controller never sends first `[COMM-3]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutOfOrder {
    /// A well-formed `install-home` before any `attestation-request`.
    InstallHomeFirst,
    /// `commissioning-complete` with `success`, which only the device sends.
    SuccessFromController,
    /// A message of type 9, which no version defines.
    UnknownType,
}

impl OutOfOrder {
    /// Every kind, in the order cases send them.
    pub const ALL: [OutOfOrder; 3] = [
        OutOfOrder::InstallHomeFirst,
        OutOfOrder::SuccessFromController,
        OutOfOrder::UnknownType,
    ];

    /// What it is, for evidence.
    pub fn describe(self) -> &'static str {
        match self {
            OutOfOrder::InstallHomeFirst => "install-home before attestation-request",
            OutOfOrder::SuccessFromController => {
                "commissioning-complete success from the controller"
            }
            OutOfOrder::UnknownType => "a commissioning message of unknown type 9",
        }
    }

    /// Its bytes: `home` issues the `install-home`'s certificate for `key`.
    pub fn bytes(self, home: &mut HomeAuthority, key: &PublicKey, now: u64) -> Vec<u8> {
        match self {
            OutOfOrder::InstallHomeFirst => InstallHome {
                root: home.root_cert().clone(),
                certificate: home.issue(
                    key,
                    0x1000,
                    NodeRole::DEVICE,
                    Validity::starting(now.saturating_sub(60), 86_400),
                ),
                time: now,
                admin_node_id: Some(1),
            }
            .to_bytes(),
            OutOfOrder::SuccessFromController => orbit_core::commission::CommissioningComplete {
                status: orbit_core::status::Status::SUCCESS,
            }
            .to_bytes(),
            // {0: 9}
            OutOfOrder::UnknownType => vec![0xa1, 0x00, 0x09],
        }
    }
}

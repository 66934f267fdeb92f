//! PASE `[PAIR-*]` and commissioning `[COMM-*]` as an honest controller runs them.

use super::{Conn, SuiteHome};
use crate::transport::{MessageKind, TransportError};
use orbit_core::attest::TrustStore;
use orbit_core::codec::CborMessage;
use orbit_core::commission::{CommissionedDevice, Commissioner, NodeAssignment};
use orbit_core::crypto::Random;
use orbit_core::pairing::{Controller as PaseController, PairingError, PairingKeys, PairingStatus};
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::status::Status;
use orbit_core::version::SUPPORTED;
use std::time::Instant;

/// Why PASE did not give keys.
#[derive(Debug, Clone, PartialEq)]
pub enum PaseError {
    /// The device ended pairing with `pairing-status` (after `at`, the suite's last message).
    Status {
        /// The step after which it came.
        at: &'static str,
        /// The status.
        status: Status,
        /// The retry-after it carried `[PAIR-35]`.
        retry_after: Option<u32>,
    },
    /// The suite's state machine rejected the device's message (a confirmation mismatch
    /// after a wrong passcode, or a malformed message).
    Rejected {
        /// The device's message that was rejected.
        at: &'static str,
        /// Why.
        error: PairingError,
    },
    /// The device answered with a message of another family.
    WrongKind {
        /// What was owed.
        at: &'static str,
        /// What came.
        kind: MessageKind,
    },
    /// The device ended the exchange where it owed a message.
    Cut {
        /// What was owed.
        at: &'static str,
    },
    /// The transport failed.
    Transport {
        /// Where.
        at: &'static str,
        /// Why.
        error: TransportError,
    },
}

impl std::fmt::Display for PaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PaseError::Status {
                at,
                status,
                retry_after,
            } => {
                write!(f, "pairing-status {status} after {at}")?;
                if let Some(s) = retry_after {
                    write!(f, " (retry after {s} s)")?;
                }
                Ok(())
            }
            PaseError::Rejected { at, error } => write!(f, "{at} rejected: {error}"),
            PaseError::WrongKind { at, kind } => write!(f, "a {kind} message instead of {at}"),
            PaseError::Cut { at } => write!(f, "the device ended the exchange instead of {at}"),
            PaseError::Transport { at, error } => write!(f, "{at}: {error}"),
        }
    }
}

/// What PASE produced: the keys, or why not.
pub type PaseOutcome = Result<PairingKeys, PaseError>;

async fn answer(ex: &mut super::Ex, at: &'static str) -> Result<Vec<u8>, PaseError> {
    match ex.recv().await {
        Ok(Some(m)) if m.kind == MessageKind::Pairing => Ok(m.payload),
        Ok(Some(m)) => Err(PaseError::WrongKind { at, kind: m.kind }),
        Ok(None) => Err(PaseError::Cut { at }),
        Err(error) => Err(PaseError::Transport { at, error }),
    }
}

fn from_pairing(at: &'static str, error: PairingError) -> PaseError {
    match error {
        PairingError::PeerStatus(status) => PaseError::Status {
            at,
            status,
            retry_after: None,
        },
        PairingError::PeerRefused {
            status,
            retry_after,
        } => PaseError::Status {
            at,
            status,
            retry_after: u32::try_from(retry_after.as_secs()).ok(),
        },
        error => PaseError::Rejected { at, error },
    }
}

/// Runs PASE with `passcode` on a new exchange of `conn` `[PAIR-4]`..`[PAIR-22]`. When this
/// side rejects the device's message it tells the device with `pairing-status` `[PAIR-30]`.
pub async fn pase(conn: &Conn, passcode: u32, rng: &mut (dyn Random + Send)) -> PaseOutcome {
    let mut ex = conn.open().await.map_err(|error| PaseError::Transport {
        at: "open exchange",
        error,
    })?;
    let mut session_id = [0u8; 4];
    let _ = rng.fill(&mut session_id);
    let controller = PaseController {
        passcode,
        versions: SUPPORTED,
        local_session_id: u32::from_be_bytes(session_id).max(1),
        known_params: None,
    };
    let result = steps(&mut ex, controller, rng).await;
    if let Err(PaseError::Rejected { error, .. }) = &result {
        if let Some(status) = error.status_message() {
            let _ = ex
                .send(MessageKind::Pairing, "pairing-status", &status.to_bytes())
                .await;
            ex.finish();
            ex.drain().await;
        }
    }
    result
}

async fn steps(
    ex: &mut super::Ex,
    controller: PaseController,
    rng: &mut (dyn Random + Send),
) -> PaseOutcome {
    let transport = |at| move |error| PaseError::Transport { at, error };
    let (state, request) = controller
        .start(rng, Instant::now())
        .map_err(|error| PaseError::Rejected { at: "start", error })?;
    ex.send(
        MessageKind::Pairing,
        "pbkdf-param-request",
        &request.to_bytes(),
    )
    .await
    .map_err(transport("pbkdf-param-request"))?;
    let response = answer(ex, "pbkdf-param-response").await?;
    let (state, pake1) = state
        .handle(&response, rng, Instant::now())
        .map_err(|e| from_pairing("pbkdf-param-response", e))?;
    ex.send(MessageKind::Pairing, "pake1", &pake1.to_bytes())
        .await
        .map_err(transport("pake1"))?;
    let pake2 = answer(ex, "pake2").await?;
    let (keys, pake3) = state
        .handle(&pake2, Instant::now())
        .map_err(|e| from_pairing("pake2", e))?;
    ex.send(MessageKind::Pairing, "pake3", &pake3.to_bytes())
        .await
        .map_err(transport("pake3"))?;
    ex.finish();
    // A clean end of the exchange is the device's acceptance of pake3 [QUIC-21].
    match ex.recv().await {
        Ok(None) => Ok(keys),
        Ok(Some(m)) if m.kind == MessageKind::Pairing => {
            let status = PairingStatus::decode(&m.payload).map_err(|e| PaseError::Rejected {
                at: "pairing-status after pake3",
                error: PairingError::Codec(e),
            })?;
            Err(PaseError::Status {
                at: "pake3",
                status: status.status,
                retry_after: status.retry_after,
            })
        }
        Ok(Some(_)) => Err(PaseError::Cut {
            at: "the end of the exchange after pake3",
        }),
        Err(error) => Err(PaseError::Transport {
            at: "after pake3",
            error,
        }),
    }
}

/// The device as commissioning left it.
#[derive(Debug, Clone)]
pub struct Commissioned {
    /// What commissioning produced (node ID, home, attested identity, operational cert).
    pub device: CommissionedDevice,
}

/// Sends one sealed message on its own exchange and returns the opened answer.
pub(crate) async fn sealed_round_trip(
    conn: &Conn,
    protector: &mut Protector,
    label: &str,
    plain: &[u8],
) -> Result<Vec<u8>, String> {
    conn.evidence().sent(format!("plaintext {label}"), plain);
    let mut sealed = Vec::new();
    protector
        .seal(plain, &mut sealed)
        .map_err(|e| format!("sealing {label}: {e}"))?;
    let mut ex = conn.open().await.map_err(|e| e.to_string())?;
    ex.send(MessageKind::Protected, label, &sealed)
        .await
        .map_err(|e| e.to_string())?;
    ex.finish();
    let mut answer = match ex.recv().await {
        Ok(Some(m)) if m.kind == MessageKind::Protected => m.payload,
        Ok(Some(m)) => {
            return Err(format!(
                "a {} message instead of a protected answer",
                m.kind
            ))
        }
        Ok(None) => {
            return Err(format!(
                "the device ended the exchange without answering {label}"
            ))
        }
        Err(e) => return Err(e.to_string()),
    };
    ex.drain().await;
    let plain = protector
        .open(&mut answer)
        .map_err(|e| format!("the answer to {label} does not open: {e}"))?
        .payload
        .to_vec();
    conn.evidence()
        .received(format!("plaintext answer to {label}"), &plain);
    Ok(plain)
}

/// Commissions the device into `home` inside the PASE session `keys` made `[COMM-1]`..:
/// checks its attestation against `trust` (and the vendor and product the setup code names),
/// then installs the home with the device as a new node and the home's administrator as its
/// first administrator `[ACL-6]`.
pub async fn commission(
    conn: &Conn,
    keys: &PairingKeys,
    trust: &TrustStore,
    expected_product: Option<(u16, u16)>,
    home: &mut SuiteHome,
    rng: &mut (dyn Random + Send),
) -> Result<Commissioned, String> {
    let mut protector =
        Protector::new(keys.session_keys(), ProtectConfig::default()).map_err(|e| e.to_string())?;
    let mut plain = Vec::new();
    let state = Commissioner {
        challenge: keys.attestation_challenge,
        expected_product,
    }
    .start(rng, Instant::now(), &mut plain)
    .map_err(|e| e.to_string())?;
    let reply = sealed_round_trip(conn, &mut protector, "attestation-request", &plain).await?;
    let mut report = Vec::new();
    let verified = state
        .handle(
            trust,
            &reply,
            Instant::now(),
            crate::unix_now(),
            &mut report,
        )
        .map_err(|e| format!("attestation rejected: {e}"))?;
    let node_id = home.next_device_node();
    let validity = home.validity();
    let admin_node_id = Some(home.admin_node());
    let mut install = Vec::new();
    let installing = verified
        .install(
            home.authority_mut(),
            NodeAssignment {
                node_id,
                validity,
                admin_node_id,
            },
            Instant::now(),
            crate::unix_now(),
            &mut install,
        )
        .map_err(|e| e.to_string())?;
    let reply = sealed_round_trip(conn, &mut protector, "install-home", &install).await?;
    let device = installing
        .handle(&reply, Instant::now(), &mut Vec::new())
        .map_err(|e| format!("install-home not completed: {e}"))?;
    Ok(Commissioned { device })
}

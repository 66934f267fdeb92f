//! The controller's side of pairing, commissioning and the session handshake, carried over a
//! QUIC link: each handshake on its own exchange stream, commissioning messages sealed in the
//! PASE session, one exchange per request and answer.

use super::error::{Cause, ControllerError, InPhase, Phase};
use orbit_core::attest::TrustStore;
use orbit_core::cert::{HomeAuthority, HomeMembership, NodeId};
use orbit_core::codec::CborMessage;
use orbit_core::commission::{CommissionedDevice, Commissioner, NodeAssignment};
use orbit_core::crypto::{Random, SystemRandom};
use orbit_core::pairing::{Controller as PaseController, PairingKeys, PairingStatus};
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::session::{Established, Initiator, Now, SessionId, Ticket};
use orbit_core::version::SUPPORTED;
use orbit_quic::{Exchange, FrameKind, Link};
use std::time::{Duration, Instant};

/// How long the controller waits for any one answer during pairing and session setup.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) use crate::unix_now;

pub(crate) fn random_u32(rng: &mut SystemRandom) -> Result<u32, Cause> {
    let mut b = [0u8; 4];
    rng.fill(&mut b)?;
    Ok(u32::from_be_bytes(b).max(1))
}

/// The next frame of `kind` on `ex`, or why there is none.
pub(crate) async fn answer(ex: &mut Exchange, kind: FrameKind) -> Result<Vec<u8>, Cause> {
    match tokio::time::timeout(ANSWER_TIMEOUT, ex.recv_frame()).await {
        Err(_) => Err(Cause::Timeout(ANSWER_TIMEOUT)),
        Ok(Err(e)) => Err(e.into()),
        Ok(Ok(None)) => Err(Cause::Cut),
        Ok(Ok(Some(f))) if f.kind == kind => Ok(f.payload.to_vec()),
        Ok(Ok(Some(_))) => Err(Cause::Unexpected),
    }
}

/// Runs PASE with `passcode` `[PAIR-*]` on a new exchange of `link`. The device finishes the
/// exchange without a status when it accepted `pake3`, or sends `pairing-status` when not.
pub(crate) async fn pase(
    link: &Link,
    passcode: u32,
    rng: &mut SystemRandom,
) -> Result<PairingKeys, ControllerError> {
    let mut ex = link.open_exchange().await.in_phase(Phase::Pase)?;
    let result = pase_steps(&mut ex, passcode, rng).await;
    // When this side fails (a wrong passcode shows up as a confirmV mismatch), it tells the
    // device with pairing-status, so the device counts the attempt at once [PAIR-30].
    if let Err(ControllerError {
        cause: Cause::Pairing(e),
        ..
    }) = &result
    {
        if let Some(status) = e.status_message() {
            let _ = ex.send_frame(FrameKind::PAIRING, &status.to_bytes()).await;
            let _ = ex.finish();
        }
    }
    result
}

async fn pase_steps(
    ex: &mut Exchange,
    passcode: u32,
    rng: &mut SystemRandom,
) -> Result<PairingKeys, ControllerError> {
    let p = Phase::Pase;
    let controller = PaseController {
        passcode,
        versions: SUPPORTED,
        local_session_id: random_u32(rng).in_phase(p)?,
        known_params: None,
    };
    let (state, request) = controller.start(rng, Instant::now()).in_phase(p)?;
    ex.send_frame(FrameKind::PAIRING, &request.to_bytes())
        .await
        .in_phase(p)?;
    let response = answer(ex, FrameKind::PAIRING).await.in_phase(p)?;
    let (state, pake1) = state.handle(&response, rng, Instant::now()).in_phase(p)?;
    ex.send_frame(FrameKind::PAIRING, &pake1.to_bytes())
        .await
        .in_phase(p)?;
    let pake2 = answer(ex, FrameKind::PAIRING).await.in_phase(p)?;
    let (keys, pake3) = state.handle(&pake2, Instant::now()).in_phase(p)?;
    ex.send_frame(FrameKind::PAIRING, &pake3.to_bytes())
        .await
        .in_phase(p)?;
    let _ = ex.finish();
    // A clean end of the exchange is the device's acceptance of pake3 [QUIC-21].
    match tokio::time::timeout(ANSWER_TIMEOUT, ex.recv_frame()).await {
        Ok(Ok(None)) => Ok(keys),
        Ok(Ok(Some(f))) if f.kind == FrameKind::PAIRING => {
            let status = PairingStatus::decode(&f.payload).in_phase(p)?.status;
            Err(ControllerError::new(p, Cause::Status(status)))
        }
        Ok(Ok(Some(_))) => Err(ControllerError::new(p, Cause::Unexpected)),
        Ok(Err(e)) => Err(ControllerError::new(p, e)),
        Err(_) => Err(ControllerError::new(p, Cause::Timeout(ANSWER_TIMEOUT))),
    }
}

/// Sends one sealed message on a new exchange and returns the opened answer.
async fn sealed_round_trip(
    link: &Link,
    protector: &mut Protector,
    plain: &[u8],
) -> Result<Vec<u8>, Cause> {
    let mut sealed = Vec::with_capacity(plain.len() + 32);
    protector.seal(plain, &mut sealed)?;
    let mut ex = link.open_exchange().await?;
    ex.send_frame(FrameKind::PROTECTED, &sealed).await?;
    let _ = ex.finish();
    let mut answer = answer(&mut ex, FrameKind::PROTECTED).await?;
    Ok(protector.open(&mut answer)?.payload.to_vec())
}

/// What commissioning produced.
pub(crate) struct Commissioned {
    pub(crate) device: CommissionedDevice,
}

/// Who and what a commissioning installs.
pub(crate) struct Plan<'a> {
    /// Vendor roots the attestation must chain to.
    pub(crate) trust: &'a TrustStore,
    /// The vendor and product the setup code names, if it does.
    pub(crate) expected_product: Option<(u16, u16)>,
    /// The device's node ID in the home.
    pub(crate) node_id: NodeId,
    /// The administrator the device's access control starts with `[ACL-6]`.
    pub(crate) admin: NodeId,
}

/// Commissions the device inside the PASE session `[COMM-*]`: checks its attestation
/// against the plan's trust roots (and the vendor and product the setup code names), then
/// installs the home with the device as the plan's node and administrator.
pub(crate) async fn commission(
    link: &Link,
    keys: &PairingKeys,
    plan: Plan<'_>,
    authority: &mut HomeAuthority,
    rng: &mut SystemRandom,
    timings: &mut super::Timings,
) -> Result<Commissioned, ControllerError> {
    let Plan {
        trust,
        expected_product,
        node_id,
        admin,
    } = plan;
    let mut protector =
        Protector::new(keys.session_keys(), ProtectConfig::default()).in_phase(Phase::Pase)?;
    let verified = timings
        .time(Phase::Attestation, async {
            let mut plain = Vec::new();
            let state = Commissioner {
                challenge: keys.attestation_challenge,
                expected_product,
            }
            .start(rng, Instant::now(), &mut plain)
            .in_phase(Phase::Attestation)?;
            let reply = sealed_round_trip(link, &mut protector, &plain)
                .await
                .in_phase(Phase::Attestation)?;
            state
                .handle(trust, &reply, Instant::now(), unix_now(), &mut Vec::new())
                .in_phase(Phase::Attestation)
        })
        .await?;
    let device = timings
        .time(Phase::InstallHome, async {
            let mut plain = Vec::new();
            let assignment = NodeAssignment {
                node_id,
                validity: orbit_core::cert::Validity::starting(
                    unix_now().saturating_sub(60),
                    10 * 365 * 86_400,
                ),
                admin_node_id: Some(admin),
            };
            let state = verified
                .install(
                    authority,
                    assignment,
                    Instant::now(),
                    unix_now(),
                    &mut plain,
                )
                .in_phase(Phase::InstallHome)?;
            let reply = sealed_round_trip(link, &mut protector, &plain)
                .await
                .in_phase(Phase::InstallHome)?;
            state
                .handle(&reply, Instant::now(), &mut Vec::new())
                .in_phase(Phase::InstallHome)
        })
        .await?;
    Ok(Commissioned { device })
}

/// Opens a SIGMA session with `peer` of `membership`'s home, resuming with `ticket` when the
/// device still honours it `[SESS-24]`.
pub(crate) async fn open_session(
    link: &Link,
    membership: &HomeMembership,
    peer: NodeId,
    ticket: Option<Ticket>,
    rng: &mut SystemRandom,
) -> Result<Established, ControllerError> {
    let p = Phase::Session;
    let now = || Now::new(Instant::now(), unix_now());
    let mut ex = link.open_exchange().await.in_phase(p)?;
    let mut out = Vec::new();
    let state = Initiator {
        membership,
        peer_node_id: peer,
        versions: SUPPORTED,
        local_session_id: SessionId(random_u32(rng).in_phase(p)?),
        ticket,
    }
    .start(rng, now(), &mut out)
    .in_phase(p)?;
    ex.send_frame(FrameKind::SESSION, &out).await.in_phase(p)?;
    let reply = answer(&mut ex, FrameKind::SESSION).await.in_phase(p)?;
    out.clear();
    let established = state
        .handle(membership, &reply, now(), &mut out)
        .in_phase(p)?;
    if !out.is_empty() {
        ex.send_frame(FrameKind::SESSION, &out).await.in_phase(p)?;
    }
    let _ = ex.finish();
    // The device ends the exchange once it holds the session, or says why not [QUIC-21].
    match tokio::time::timeout(ANSWER_TIMEOUT, ex.recv_frame()).await {
        Ok(Ok(None)) => Ok(established),
        Ok(Ok(Some(f))) if f.kind == FrameKind::SESSION => {
            let status = orbit_core::session::SessionStatus::decode(&f.payload)
                .in_phase(p)?
                .status;
            Err(ControllerError::new(p, Cause::Status(status)))
        }
        Ok(Ok(Some(_))) => Err(ControllerError::new(p, Cause::Unexpected)),
        Ok(Err(e)) => Err(ControllerError::new(p, e)),
        Err(_) => Err(ControllerError::new(p, Cause::Timeout(ANSWER_TIMEOUT))),
    }
}

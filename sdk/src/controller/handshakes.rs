//! The controller's side of pairing, commissioning and the session handshake, carried over a
//! QUIC link: each handshake on its own exchange stream, commissioning messages sealed in the
//! PASE session, one exchange per request and answer.

use super::error::{Cause, ControllerError, InPhase, Phase};
use crate::link::{Exchange, FrameKind, Link};
use orbit_core::attest::TrustStore;
use orbit_core::cert::{HomeAuthority, HomeMembership, NodeId};
use orbit_core::codec::CborMessage;
use orbit_core::commission::{CommissionedDevice, Commissioner, NodeAssignment};
use orbit_core::crypto::{Random, SystemRandom};
use orbit_core::pairing::{Controller as PaseController, PairingKeys, PairingStatus};
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::session::{Established, Initiator, Now, SessionId, Ticket};
use orbit_core::version::SUPPORTED;
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

/// How long the controller waits, after its last frame, for the device to acknowledge it or
/// to end its half of the stream: the pairing-status or commissioning-complete it sends on
/// giving up must arrive before the connection closes `[QUIC-6]`.
const END_WAIT: Duration = Duration::from_secs(5);

/// Reads what is left of the device's half of `ex` to its end (a status frame, then the
/// end), so the stream is not dropped unread `[QUIC-6]`, `[QUIC-22]`.
pub(crate) async fn read_to_end(ex: &mut Exchange) {
    while let Some(Ok(Some(_))) = ex.recv_frame_within(END_WAIT).await {}
}

/// Sends `frame` as this side's last frame, finishes, and waits until the device has
/// acknowledged it and ended its own half: a status this side gives up with reaches the
/// device even if the connection is closed right after `[PAIR-30]`, `[COMM-15]`.
pub(crate) async fn send_last(ex: &mut Exchange, kind: FrameKind, frame: &[u8]) {
    if ex.send_frame(kind, frame).await.is_err() {
        return;
    }
    let _ = ex.finish();
    let _ = tokio::time::timeout(END_WAIT, ex.delivered()).await;
    read_to_end(ex).await;
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
    // device with pairing-status, so the device counts the attempt at once [PAIR-30], and
    // waits until the device has it: closing the connection at once could lose it [QUIC-22].
    if let Err(ControllerError {
        cause: Cause::Pairing(e),
        ..
    }) = &result
    {
        if let Some(status) = e.status_message() {
            send_last(&mut ex, FrameKind::PAIRING, &status.to_bytes()).await;
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
            read_to_end(ex).await;
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
    // [QUIC-23] the device finishes once it has read this side's end.
    read_to_end(&mut ex).await;
    Ok(protector.open(&mut answer)?.payload.to_vec())
}

/// Tells the device why this side ends commissioning `[COMM-15]`: the sealed
/// `commissioning-complete` in `report` goes on a stream of its own `[QUIC-23]`, which the
/// device ends without an answer. Waits until the device has it, since the caller closes
/// the connection next.
async fn report_failure(link: &Link, protector: &mut Protector, report: &[u8]) {
    if report.is_empty() {
        return;
    }
    let mut sealed = Vec::with_capacity(report.len() + 32);
    if protector.seal(report, &mut sealed).is_err() {
        return;
    }
    if let Ok(mut ex) = link.open_exchange().await {
        send_last(&mut ex, FrameKind::PROTECTED, &sealed).await;
    }
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
            let mut report = Vec::new();
            let verified = state.handle(trust, &reply, Instant::now(), unix_now(), &mut report);
            // [COMM-5] [COMM-15] a rejected attestation is reported to the device before the
            // connection closes.
            report_failure(link, &mut protector, &report).await;
            verified.in_phase(Phase::Attestation)
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
            let mut report = Vec::new();
            let done = state.handle(&reply, Instant::now(), &mut report);
            // [COMM-15] an answer this side cannot accept is reported, as above.
            report_failure(link, &mut protector, &report).await;
            done.in_phase(Phase::InstallHome)
        })
        .await?;
    Ok(Commissioned { device })
}

/// A session handshake whose last message has gone out: the device's verdict is still to be
/// read from the handshake's stream `[QUIC-21]`.
pub(crate) struct HandshakeEnd {
    ex: Exchange,
}

impl HandshakeEnd {
    /// The end of the handshake on `ex`, whose last message has gone out.
    pub(crate) fn new(ex: Exchange) -> Self {
        Self { ex }
    }

    /// Reads the device's end of the handshake stream: a clean end is acceptance, a
    /// `session-status` is refusal `[QUIC-21]`, `[SESS-37]`.
    pub(crate) async fn verdict(mut self) -> Result<(), ControllerError> {
        let p = Phase::Session;
        match tokio::time::timeout(ANSWER_TIMEOUT, self.ex.recv_frame()).await {
            Ok(Ok(None)) => Ok(()),
            Ok(Ok(Some(f))) if f.kind == FrameKind::SESSION => {
                let status = orbit_core::session::SessionStatus::decode(&f.payload)
                    .in_phase(p)?
                    .status;
                read_to_end(&mut self.ex).await;
                Err(ControllerError::new(p, Cause::Status(status)))
            }
            Ok(Ok(Some(_))) => Err(ControllerError::new(p, Cause::Unexpected)),
            Ok(Err(e)) => Err(ControllerError::new(p, e)),
            Err(_) => Err(ControllerError::new(p, Cause::Timeout(ANSWER_TIMEOUT))),
        }
    }
}

/// Runs `request` on a session whose handshake `end` is still to be read, both at once: the
/// request goes out right after `sigma3` `[SESS-13]`, `[SESS-39]`. A refusal of the
/// handshake is the outcome whatever became of the request.
pub(crate) async fn with_verdict<T>(
    end: HandshakeEnd,
    request: impl std::future::Future<Output = Result<T, ControllerError>>,
) -> Result<T, ControllerError> {
    let verdict = end.verdict();
    tokio::pin!(verdict);
    tokio::pin!(request);
    tokio::select! {
        v = &mut verdict => {
            v?;
            request.await
        }
        r = &mut request => {
            verdict.await?;
            r
        }
    }
}

/// Opens a SIGMA session with `peer` of `membership`'s home, resuming with `ticket` when the
/// device still honours it `[SESS-24]`. Returns once this side's last handshake message is
/// out; the device's verdict is read from the returned [`HandshakeEnd`].
pub(crate) async fn open_session(
    link: &Link,
    membership: &HomeMembership,
    peer: NodeId,
    ticket: Option<Ticket>,
    rng: &mut SystemRandom,
) -> Result<(Established, HandshakeEnd), ControllerError> {
    let (established, last, mut ex) =
        until_last_message(link, membership, peer, ticket, rng).await?;
    // [QUIC-22] this side's last frame: sigma3 after a full handshake, none after
    // sigma2-resume; the end of the stream goes with it.
    if let Some(sigma3) = last {
        ex.send_frame(FrameKind::SESSION, &sigma3)
            .await
            .in_phase(Phase::Session)?;
    }
    let _ = ex.finish();
    Ok((established, HandshakeEnd::new(ex)))
}

/// The handshake up to this side's last message: the session, `sigma3` if the handshake is
/// a full one (not sent yet), and the handshake's stream. A failure this side detects in
/// the device's answer is reported with `session-status` before the stream ends `[SESS-36]`.
pub(crate) async fn until_last_message(
    link: &Link,
    membership: &HomeMembership,
    peer: NodeId,
    ticket: Option<Ticket>,
    rng: &mut SystemRandom,
) -> Result<(Established, Option<Vec<u8>>, Exchange), ControllerError> {
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
    match state.handle(membership, &reply, now(), &mut out) {
        Ok(established) => Ok((established, (!out.is_empty()).then_some(out), ex)),
        Err(e) => {
            // [SESS-36] say why, unless the device's message was itself a status.
            if !matches!(e, orbit_core::session::SessionError::PeerStatus(_)) {
                let mut status = Vec::new();
                orbit_core::session::encode_status(e.status(), &mut status);
                send_last(&mut ex, FrameKind::SESSION, &status).await;
            } else {
                let _ = ex.finish();
                read_to_end(&mut ex).await;
            }
            Err(ControllerError::new(p, e))
        }
    }
}

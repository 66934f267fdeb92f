//! The device's side of the two handshakes, each on its own exchange stream: PASE pairing
//! `[PAIR-*]` and SIGMA sessions `[SESS-*]`. The core's state machines decide; this code
//! carries their messages and enforces the deadlines they state.

use super::core::{unix_now, RouteId};
use super::runner::Shared;
use super::stream_end::read_handshake_end;
use super::DeviceError;
use crate::link::{Exchange, FrameKind};
use orbit_core::codec::CborMessage;
use orbit_core::pairing::{Device as PairingResponder, PairingStatus};
use orbit_core::session::{encode_status, Now, Responder, SessionId, Sigma1Outcome};
use orbit_core::status::Status;
use orbit_core::version::SUPPORTED;
use std::time::Instant;

/// Waits for the next frame of `kind` until `deadline`.
pub(crate) async fn next_frame(
    ex: &mut Exchange,
    kind: FrameKind,
    deadline: Instant,
) -> Result<Vec<u8>, DeviceError> {
    let wait = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(wait, ex.recv_frame()).await {
        Err(_) => Err(DeviceError::HandshakeTimeout),
        Ok(Err(e)) => Err(e.into()),
        Ok(Ok(None)) => Err(DeviceError::HandshakeCut),
        Ok(Ok(Some(f))) if f.kind == kind => Ok(f.payload.to_vec()),
        Ok(Ok(Some(f))) => Err(DeviceError::UnexpectedFrame(f.kind.0)),
    }
}

/// Runs a PASE handshake whose first message is `first` `[PAIR-*]`. On success the PASE
/// session is registered for commissioning and the stream is finished without a status; on
/// failure the device sends the `pairing-status` the core chose `[PAIR-30]`, `[QUIC-21]`.
pub(crate) async fn serve_pairing(
    shared: &Shared,
    route: RouteId,
    ex: &mut Exchange,
    first: Vec<u8>,
) -> Result<(), DeviceError> {
    let result = pairing_steps(shared, route, ex, first).await;
    // The window may have closed (paired, locked out) or counted a failure: its attribute
    // follows at once [PAIR-29].
    shared.lock().sync_window_attribute(Instant::now());
    // A new PASE session brings a commissioning deadline [QUIC-24].
    shared.wake_timers();
    // [PAIR-30] say why the handshake ended, unless the controller ended it with a status;
    // a refusal for busy or back-off says when to retry [PAIR-35].
    let status = match &result {
        Ok(()) => None,
        Err(DeviceError::Pairing(e)) => e.status_message_at(Instant::now()),
        Err(DeviceError::HandshakeTimeout) => Some(PairingStatus::new(Status::TIMEOUT)),
        Err(DeviceError::TooManySessions(_) | DeviceError::CommissioningInProgress) => {
            Some(PairingStatus::new(Status::BUSY))
        }
        Err(DeviceError::Crypto(_)) => Some(PairingStatus::new(Status::FAILURE)),
        Err(_) => None,
    };
    if let Some(message) = status {
        let _ = ex.send_frame(FrameKind::PAIRING, &message.to_bytes()).await;
    }
    let _ = ex.finish();
    // [QUIC-22] the controller's end follows its last message.
    read_handshake_end(shared, ex, Instant::now() + END_WAIT, None).await;
    result
}

/// How long the device waits for the initiator's end of a handshake stream after its own
/// last frame `[QUIC-22]`; an honest initiator's end comes with its last message.
const END_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

async fn pairing_steps(
    shared: &Shared,
    route: RouteId,
    ex: &mut Exchange,
    first: Vec<u8>,
) -> Result<(), DeviceError> {
    let (state, reply) = {
        let mut core = shared.lock();
        let core = &mut *core;
        let id = core.fresh_session_id()?;
        let responder = PairingResponder {
            verifier: &core.identity.verifier,
            versions: SUPPORTED,
        };
        responder.handle_request(&mut core.window, &first, id, &mut core.rng, Instant::now())?
    };
    // The handshake holds the pairing slot: its step deadlines bound it and count a stall
    // [PAIR-33], [PAIR-34], so the connection's own deadline waits for it [QUIC-40].
    let _deferral = ex.defer_deadline();
    if let Err(e) = ex.send_frame(FrameKind::PAIRING, &reply.to_bytes()).await {
        state.abandon(&mut shared.lock().window, Instant::now());
        return Err(e.into());
    }
    let pake1 = match next_frame(ex, FrameKind::PAIRING, state.deadline()).await {
        Ok(p) => p,
        Err(DeviceError::HandshakeTimeout) => {
            // A silent controller held the only slot until the deadline: a failed attempt,
            // which starts the back-off and must survive a restart [PAIR-34], [PAIR-27].
            state.time_out(&mut shared.lock().window, Instant::now());
            shared.persist_soon();
            return Err(DeviceError::HandshakeTimeout);
        }
        Err(e) => {
            // The controller went away before pake1: nothing was tried on the passcode.
            state.abandon(&mut shared.lock().window, Instant::now());
            return Err(e);
        }
    };
    let (state, reply) = {
        let mut core = shared.lock();
        let core = &mut *core;
        state.handle(&mut core.window, &pake1, &mut core.rng, Instant::now())?
    };
    let sent = ex.send_frame(FrameKind::PAIRING, &reply.to_bytes()).await;
    // pake2 is out: a handshake that does not complete from here is a failed attempt, and it
    // counts at once when the controller stops or says why [PAIR-25], [PAIR-30].
    let pake3 = match sent {
        Ok(()) => next_frame(ex, FrameKind::PAIRING, state.deadline()).await,
        Err(e) => Err(e.into()),
    };
    let keys = {
        let mut core = shared.lock();
        match pake3 {
            Ok(pake3) => Ok(state.handle(&mut core.window, &pake3, Instant::now())),
            Err(DeviceError::HandshakeTimeout) => {
                state.time_out(&mut core.window, Instant::now());
                Err(DeviceError::HandshakeTimeout)
            }
            Err(e) => {
                state.abandon(&mut core.window, Instant::now());
                Err(e)
            }
        }
    };
    // The failure count survives a restart [PAIR-27].
    shared.persist_soon();
    let keys = keys??;
    shared
        .lock()
        .add_pase_session(&keys, Instant::now(), route)?;
    // [QUIC-40] the connection now carries a PASE session.
    ex.authenticate(None);
    Ok(())
}

/// Runs a SIGMA handshake (full or resumed) whose first message is `first`, and registers
/// the session on `route` before finishing the stream, or sends `session-status` `[QUIC-21]`. At most [`orbit_core::session::MAX_PENDING_HANDSHAKES`] wait for
/// `sigma3` at once `[SESS-34]`.
pub(crate) async fn serve_session(
    shared: &Shared,
    route: RouteId,
    ex: &mut Exchange,
    first: Vec<u8>,
) -> Result<(), DeviceError> {
    let result = session_steps(shared, route, ex, first).await;
    if let Err(e) = &result {
        let status = match e {
            // [SESS-40] sigma3 did not come in time: say so before letting the state go.
            DeviceError::HandshakeTimeout => Some(orbit_core::status::Status::TIMEOUT),
            // A status received in place of sigma1 or sigma3 is never answered [SESS-36].
            DeviceError::Session(orbit_core::session::SessionError::PeerStatus(_)) => None,
            DeviceError::Session(e) => Some(e.status()),
            DeviceError::TooManyHandshakes | DeviceError::TooManySessions(_) => {
                Some(orbit_core::status::Status::BUSY)
            }
            // [COMM-27] the home this session confirms could not be stored.
            DeviceError::NotStored => Some(orbit_core::status::Status::STORAGE_FAILED),
            _ => None,
        };
        if let Some(status) = status {
            // [SESS-36] tell the initiator why, unauthenticated and advisory.
            let mut out = Vec::new();
            encode_status(status, &mut out);
            let _ = ex.send_frame(FrameKind::SESSION, &out).await;
        }
    }
    let _ = ex.finish();
    // [QUIC-22] read the initiator's end; after sigma2-resume it may carry a refusal.
    let resumed = result.as_ref().ok().copied().flatten();
    read_handshake_end(shared, ex, Instant::now() + END_WAIT, resumed).await;
    result.map(|_| ())
}

fn now() -> Now {
    Now::new(Instant::now(), unix_now())
}

async fn session_steps(
    shared: &Shared,
    route: RouteId,
    ex: &mut Exchange,
    first: Vec<u8>,
) -> Result<Option<u32>, DeviceError> {
    let mut out = Vec::new();
    let (outcome, ticket_taken, id) = {
        let mut core = shared.lock();
        let core = &mut *core;
        let id = SessionId(core.fresh_session_id()?);
        let tickets_before = core.tickets.len();
        let mut responder = Responder {
            homes: &core.homes,
            tickets: &mut core.tickets,
            versions: SUPPORTED,
        };
        let outcome = responder.handle_sigma1(&first, id, &mut core.rng, now(), &mut out);
        (outcome, core.tickets.len() < tickets_before, id.0)
    };
    // A ticket named in sigma1 is spent whatever happens next [SESS-25]; on disk too, even
    // when the handshake then fails.
    if ticket_taken && outcome.is_err() {
        shared.persist().await;
    }
    let outcome = outcome?;
    let mut reservation = None;
    let established = match outcome {
        Sigma1Outcome::Resumed(established) => {
            ex.send_frame(FrameKind::SESSION, &out).await?;
            established
        }
        Sigma1Outcome::Full(expect3) => {
            #[cfg(feature = "conformance-faults")]
            let expect3 = {
                let mut expect3 = expect3;
                expect3.set_faults(shared.lock().faults);
                expect3
            };
            // Only a full handshake waits for sigma3; at most MAX_PENDING_HANDSHAKES do at
            // once [SESS-34] (a resumed one leaves nothing pending). Checked before sigma2
            // goes out, so a refused initiator gets busy instead of a sigma2 to answer.
            let _permit = shared
                .handshakes
                .try_acquire()
                .map_err(|_| DeviceError::TooManyHandshakes)?;
            // [SESS-39] from sigma2 on, requests of this session wait for its sigma3.
            reservation = Some(shared.early.reserve(id, expect3.deadline()));
            ex.send_frame(FrameKind::SESSION, &out).await?;
            let sigma3 = next_frame(ex, FrameKind::SESSION, expect3.deadline()).await?;
            let mut core = shared.lock();
            let core = &mut *core;
            let mut responder = Responder {
                homes: &core.homes,
                tickets: &mut core.tickets,
                versions: SUPPORTED,
            };
            expect3.handle(&mut responder, &sigma3, now())?
        }
    };
    let confirms = shared.lock().add_operational_session(&established, route)?;
    // [QUIC-40] the connection now carries a session of this home.
    ex.authenticate(Some(established.peer.home_id));
    // The handshake issued or redeemed a ticket: keep the ticket store on disk so that
    // resumption survives a restart, and a redeemed ticket stays single-use [SESS-25].
    // The first session of a provisional home confirms it: the home is stored before the
    // exchange ends, which tells the initiator that the session stands [COMM-27].
    let stored = shared.persist().await;
    if let (Some(rollback), false) = (confirms, stored) {
        shared.lock().roll_back(rollback, Instant::now());
        return Err(DeviceError::NotStored);
    }
    // The session is registered (and its home stored): the requests that overtook sigma3
    // go ahead [SESS-39].
    drop(reservation);
    Ok(established.resumed.then_some(id))
}

//! Floods and abandoned handshakes: many exchanges at once, SIGMA and PASE handshakes
//! started and left, and a run of bad pairing attempts. Throughout, an established session
//! of the device's home keeps being served `[SEC-4]`; each flood stays within about 2 s.

use crate::adversarial::protection::{is_answer, sealed_probe};
use crate::adversarial::sessions::{answer, sigma1, types, Answer};
use crate::case::{check, Failure, Outcome};
use crate::cases::window;
use crate::context::Ctx;
use crate::controller::{Conn, Ex, PaseError, Session};
use crate::transport::MessageKind;
use orbit_core::codec::CborMessage;
use orbit_core::crypto::Random;
use orbit_core::pairing::{Controller as PaseController, PairingStatus};
use orbit_core::session::Sigma2;
use orbit_core::status::Status;
use orbit_core::version::SUPPORTED;
use std::time::{Duration, Instant};

/// Requires the established session `s` to answer a read now `[SEC-4]`.
async fn served(s: &mut Session, during: &str) -> Outcome {
    let (no, record) = sealed_probe(s, "read-request (honest)").map_err(Failure::Inconclusive)?;
    let reply =
        crate::adversarial::protection::exchange(s.conn(), "read-request (honest)", &record)
            .await
            .map_err(|e| e.to_string());
    let r = reply.and_then(|reply| is_answer(s, &reply, no));
    r.map_err(|observed| {
        Failure::fail(
            "SEC-4",
            format!("the device keeps serving an established session of its home {during}"),
            observed,
        )
    })
}

/// How many valid requests and how many garbage records the stream flood sends.
const FLOOD: usize = 64;

pub(super) fn stream_flood(ctx: &mut Ctx) -> BoxFutureOutcome<'_> {
    Box::pin(async move {
        let mut s = ctx.admin_session().await?;
        let conn = s.conn().clone();
        let mut open: Vec<(Option<u32>, Ex)> = Vec::new();
        // Interleaved: a request of the session, then a record of no session (random bytes
        // the length of a small request), each on its own exchange, none waiting for answers.
        let started = Instant::now();
        for i in 0..FLOOD {
            let (no, record) =
                sealed_probe(&mut s, "flood read-request").map_err(Failure::Inconclusive)?;
            let mut ex = conn.open().await?;
            ex.send(
                MessageKind::Protected,
                &format!("flood request {i}"),
                &record,
            )
            .await?;
            ex.finish();
            open.push((Some(no), ex));
            let mut garbage = vec![0u8; record.len()];
            let _ = ctx.rng().fill(&mut garbage);
            if let Some(flags) = garbage.first_mut() {
                *flags = 0;
            }
            let mut ex = conn.open().await?;
            ex.send(
                MessageKind::Protected,
                &format!("flood garbage {i}"),
                &garbage,
            )
            .await?;
            ex.finish();
            open.push((None, ex));
        }
        ctx.note(format!(
            "{} exchanges opened in {:?}",
            open.len(),
            started.elapsed()
        ));
        let during = served(&mut s, "during a flood of exchanges").await;
        let mut answered = 0usize;
        let mut outcome = during;
        for (no, mut ex) in open {
            let got = ex.recv().await;
            match (no, got) {
                (Some(_), Ok(Some(_))) => answered += 1,
                (None, Ok(Some(m))) if outcome.is_ok() => {
                    outcome = Err(Failure::fail(
                        "MSG-18",
                        "a record of no session is dropped, not answered",
                        format!("a {} frame of {} bytes", m.kind, m.payload.len()),
                    ));
                }
                _ => {}
            }
        }
        ctx.note(format!("{answered} of {FLOOD} flood requests answered"));
        let after = served(&mut s, "right after a flood of exchanges").await;
        s.conn().close();
        outcome.and(after)
    })
}

/// The boxed future of a case.
type BoxFutureOutcome<'a> = crate::transport::BoxFuture<'a, Outcome>;

/// The most handshakes a responder keeps waiting for `sigma3` `[SESS-34]`.
const PENDING: usize = 8;

pub(super) fn half_open_sigma(ctx: &mut Ctx) -> BoxFutureOutcome<'_> {
    Box::pin(async move {
        let mut s = ctx.admin_session().await?;
        let admin = ctx.admin().await;
        let node = ctx.device_node();
        let flood = ctx.connect().await?;
        // A BLE link holds at most 8 open exchanges [BLE-16]: there the ninth handshake goes
        // on a second link (the limit of [SESS-34] is the device's, whatever the link).
        let ninth = match ctx.transport().ble() {
            Some(_) => Some(ctx.connect().await?),
            None => None,
        };
        let r = async {
            let mut held: Vec<Ex> = Vec::new();
            // The identifiers the device receives on: its established session's, then each
            // pending handshake's [SESS-8].
            let mut ids = vec![s.protector().peer_session_id()];
            // Up to 8 handshakes are left waiting for sigma3; a ninth must get busy. A device
            // that keeps fewer pending may say busy sooner ([SESS-34] bounds them from above).
            for i in 0..=PENDING {
                let (_state, m) = sigma1(&admin, node, SUPPORTED, None, ctx.rng())?;
                let on = match &ninth {
                    Some(second) if i == PENDING => second,
                    _ => &flood,
                };
                let mut ex = on.open().await?;
                ex.send(MessageKind::Session, &format!("sigma1 {i} (never completed)"), &m)
                    .await?;
                let a = answer(&mut ex).await?;
                let bytes = match &a {
                    Answer::Message {
                        ty: Some(types::SIGMA2),
                        bytes,
                    } if i < PENDING => bytes.clone(),
                    Answer::Status(Status::BUSY) => {
                        ctx.note(format!("busy with {i} handshakes pending"));
                        break;
                    }
                    other if i == PENDING => {
                        return Err(Failure::fail(
                            "SESS-34",
                            format!("with {PENDING} handshakes pending (none past its deadline), busy for one more"),
                            other.describe(),
                        ))
                    }
                    other => {
                        return Err(Failure::Inconclusive(format!(
                            "half-open handshake {i} got {}",
                            other.describe()
                        )))
                    }
                };
                let id = Sigma2::decode(&bytes)
                    .map_err(|e| Failure::fail("SESS-8", "a sigma2 that decodes", e.to_string()))?
                    .responder_session_id;
                check(
                    !ids.contains(&id),
                    "SESS-8",
                    "a session identifier that no session or pending handshake of the device uses",
                    || format!("handshake {i} got {id}, already in use: {ids:?}"),
                )?;
                ids.push(id);
                held.push(ex);
            }
            served(
                &mut s,
                &format!("while {} handshakes wait for sigma3", held.len()),
            )
            .await
        }
        .await;
        // Abandoning: the connection closes, ending its exchanges [QUIC-20].
        flood.close();
        if let Some(second) = &ninth {
            second.close();
        }
        s.conn().close();
        r
    })
}

/// Starts PASE on a new exchange of `conn`: the answer to `pbkdf-param-request`, as a
/// `pairing-status` when it is one.
async fn pase_start(
    conn: &Conn,
    passcode: u32,
    rng: &mut (dyn Random + Send),
) -> Result<(Ex, Result<(), PairingStatus>), Failure> {
    let mut sid = [0u8; 4];
    let _ = rng.fill(&mut sid);
    let (_state, request) = PaseController {
        passcode,
        versions: SUPPORTED,
        local_session_id: u32::from_be_bytes(sid).max(1),
        known_params: None,
    }
    .start(rng, Instant::now())
    .map_err(|e| Failure::Inconclusive(e.to_string()))?;
    let mut ex = conn.open().await?;
    ex.send(
        MessageKind::Pairing,
        "pbkdf-param-request",
        &request.to_bytes(),
    )
    .await?;
    match ex.recv().await {
        Ok(Some(m)) if m.kind == MessageKind::Pairing => match PairingStatus::decode(&m.payload) {
            Ok(status) => Ok((ex, Err(status))),
            Err(_) => Ok((ex, Ok(()))),
        },
        Ok(other) => Err(Failure::Inconclusive(format!(
            "pbkdf-param-request got {other:?}"
        ))),
        Err(e) => Err(Failure::from(e)),
    }
}

fn status_text(s: &PairingStatus) -> String {
    match s.retry_after {
        Some(r) => format!("pairing-status {} (retry after {r} s)", s.status),
        None => format!("pairing-status {}", s.status),
    }
}

pub(super) fn half_open_pase(ctx: &mut Ctx) -> BoxFutureOutcome<'_> {
    Box::pin(async move {
        // A deliberate opening: no back-off or count from earlier cases [PAIR-31].
        window::fresh(ctx).await?;
        let passcode = ctx.facts().setup.passcode();
        let mut s = ctx.admin_session().await?;
        let first = ctx.connect().await?;
        let second = ctx.connect().await?;
        let r = async {
            let (mut held, started) = pase_start(&first, passcode, ctx.rng()).await?;
            if let Err(status) = started {
                return Err(Failure::Inconclusive(format!(
                    "PASE in an open window got {}",
                    status_text(&status)
                )));
            }
            let (mut other, refused) = pase_start(&second, passcode, ctx.rng()).await?;
            other.finish();
            check(
                matches!(&refused, Err(s) if s.status == Status::BUSY),
                "PAIR-24",
                "busy for a second pairing request while one handshake runs",
                || match &refused {
                    Ok(()) => "a pbkdf-param-response: two handshakes at once".to_owned(),
                    Err(s) => status_text(s),
                },
            )?;
            served(&mut s, "while a pairing handshake is left half-open").await?;
            // Abandon the first before pake2: the handshake ends with its connection and
            // counts no failed attempt [PAIR-25].
            held.reset(0);
            first.close();
            // The device notices the end as the transport reports it: retry a busy answer
            // for a moment.
            let deadline = Instant::now() + Duration::from_secs(2);
            loop {
                let fresh = ctx.connect().await?;
                let (mut ex, again) = pase_start(&fresh, passcode, ctx.rng()).await?;
                ex.reset(0);
                fresh.close();
                match again {
                    Ok(()) => return Ok(()),
                    Err(st) if st.status == Status::BUSY && Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(st) => {
                        return Err(Failure::fail(
                            "PAIR-25",
                            "after a handshake abandoned before pake2, a new pairing request is served (no failed attempt counted, no back-off)",
                            status_text(&st),
                        ))
                    }
                }
            }
        }
        .await;
        first.close();
        second.close();
        s.conn().close();
        // Closed again as the suite's pairing left it [PAIR-29], with no failed attempt
        // counted even by a device that counted the abandoned handshake.
        window::clearing_after(ctx, r).await
    })
}

/// Bad pairing requests sent during the back-off of one failed attempt.
const BAD_REQUESTS: usize = 16;

pub(super) fn pairing_flood(ctx: &mut Ctx) -> BoxFutureOutcome<'_> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let right = ctx.facts().setup.passcode();
        let wrong = if right >= 99_999_997 {
            20_000_001
        } else {
            right + 1
        };
        let mut s = ctx.admin_session().await?;
        let conn = ctx.connect().await?;
        let r = async {
            // One failed attempt (k = 1): the back-off of 2^0 = 1 s starts [PAIR-26].
            let failed_at = Instant::now();
            match ctx.pase(&conn, wrong).await {
                Err(PaseError::Rejected { at: "pake2", .. }) => {}
                Err(PaseError::Status { status, .. })
                    if status == Status::PAKE_CONFIRMATION_FAILED => {}
                other => {
                    return Err(Failure::Inconclusive(format!(
                        "a wrong passcode gave {other:?}"
                    )))
                }
            }
            let mut refused = 0;
            for i in 0..BAD_REQUESTS {
                let (mut ex, got) = pase_start(&conn, wrong, ctx.rng()).await?;
                // Measured when the answer arrived: the device processed the request no
                // later, and its failure was counted no earlier than `failed_at`.
                let within_backoff = failed_at.elapsed() < Duration::from_secs(1);
                ex.reset(0);
                match got {
                    Err(st) if st.status == Status::PAIRING_BACKOFF => refused += 1,
                    Err(st) if st.status == Status::BUSY => refused += 1,
                    Ok(()) if !within_backoff => break,
                    other => {
                        return Err(Failure::fail(
                            "PAIR-26",
                            format!("request {i}, within 1 s of a failed attempt: pairing-backoff"),
                            match other {
                                Ok(()) => "a pbkdf-param-response".to_owned(),
                                Err(st) => status_text(&st),
                            },
                        ))
                    }
                }
            }
            ctx.note(format!(
                "{refused} pairing requests refused during the back-off"
            ));
            served(&mut s, "during a flood of bad pairing attempts").await
        }
        .await;
        conn.close();
        s.conn().close();
        // Leave the device as found: a deliberate opening ends the back-off and resets the
        // count [PAIR-31], and the window is closed again.
        window::clearing_after(ctx, r).await
    })
}

/// Connections the connection flood opens of each kind: more than either default budget
/// ([LIMIT-10]: 16 unauthenticated, 32 authenticated).
const CONNECTIONS: usize = 48;

/// How many of `conns` the device has closed, after a moment for its closes to arrive, and
/// whether they were the first ones opened (the oldest, or the least recently active when
/// each was last used in the order opened).
async fn closed_count(conns: &[Conn]) -> (usize, bool) {
    // Closes travel as packets: wait until the count has not changed for 300 ms (at most
    // 3 s), so a loaded machine does not see half of them.
    let count = || conns.iter().filter(|c| c.closed().is_some()).count();
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut last = count();
    let mut stable_since = Instant::now();
    while Instant::now() < deadline && stable_since.elapsed() < Duration::from_millis(300) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = count();
        if now != last {
            last = now;
            stable_since = Instant::now();
        }
    }
    let closed: Vec<bool> = conns.iter().map(|c| c.closed().is_some()).collect();
    let count = closed.iter().filter(|c| **c).count();
    let oldest_first = closed.iter().take(count).all(|c| *c);
    (count, oldest_first)
}

/// `[LIMIT-10]`, `[QUIC-41]`, `[QUIC-42]`: connections that never start a handshake are held
/// in a budget of their own, the oldest giving way to each new one, and that budget is
/// smaller than the authenticated one; a member of the home still gets a connection.
pub(super) fn connection_flood(ctx: &mut Ctx) -> BoxFutureOutcome<'_> {
    Box::pin(async move {
        let mut s = ctx.admin_session().await?;
        let mut unauthenticated = Vec::new();
        let mut authenticated = Vec::new();
        let r = async {
            for i in 0..CONNECTIONS {
                match ctx.connect().await {
                    Ok(c) => unauthenticated.push(c),
                    Err(crate::transport::TransportError::Refused(why)) => {
                        return Err(Failure::fail(
                            "QUIC-41",
                            "a new connection takes the place of the oldest unauthenticated one, never refused for want of room",
                            format!("connection {i} refused: {why}"),
                        ))
                    }
                    Err(e) => return Err(Failure::from(e)),
                }
            }
            let (evicted, oldest_first) = closed_count(&unauthenticated).await;
            check(
                oldest_first,
                "QUIC-41",
                "each new connection takes the place of the oldest unauthenticated one",
                || format!("{evicted} closed, not the {evicted} opened first"),
            )?;
            let unauth_budget = CONNECTIONS - evicted;
            ctx.note(format!(
                "{evicted} of {CONNECTIONS} connections without a handshake closed: an unauthenticated budget of {unauth_budget}"
            ));
            for c in &unauthenticated {
                c.close();
            }
            served(&mut s, "after a flood of connections without a handshake").await?;
            // Connections authenticated by a record of the administrator's session each
            // ([QUIC-40]), then left idle.
            for i in 0..CONNECTIONS {
                let c = ctx.connect().await?;
                let (no, record) =
                    sealed_probe(&mut s, "read-request on a new connection").map_err(Failure::Inconclusive)?;
                let reply = crate::adversarial::protection::exchange(&c, "read-request on a new connection", &record)
                    .await?;
                is_answer(&mut s, &reply, no).map_err(|observed| {
                    Failure::fail(
                        "SEC-4",
                        format!("connection {i}: the session's request answered on a new connection"),
                        observed,
                    )
                })?;
                authenticated.push(c);
            }
            let (evicted, oldest_first) = closed_count(&authenticated).await;
            check(
                oldest_first,
                "QUIC-42",
                "room made by closing the least recently active idle authenticated connection",
                || format!("{evicted} closed, not the {evicted} used longest ago"),
            )?;
            let auth_budget = CONNECTIONS + 1 - evicted.min(CONNECTIONS);
            ctx.note(format!(
                "{evicted} of {CONNECTIONS} idle authenticated connections closed: an authenticated budget of about {auth_budget}"
            ));
            if unauth_budget == CONNECTIONS && evicted == 0 {
                return Err(Failure::NotApplicable(format!(
                    "neither budget is full at {CONNECTIONS} connections, so the suite cannot compare them"
                )));
            }
            check(
                unauth_budget < auth_budget,
                "LIMIT-10",
                "an unauthenticated budget smaller than the authenticated one",
                || format!("unauthenticated: {unauth_budget}, authenticated: about {auth_budget}"),
            )
        }
        .await;
        for c in unauthenticated.iter().chain(&authenticated) {
            c.close();
        }
        // The administrator's own connection may have been closed as the least recently
        // active idle one ([QUIC-42]); its session survives ([QUIC-20]), and the check after
        // the case opens a new one.
        s.conn().close();
        r
    })
}

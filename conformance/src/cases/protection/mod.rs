//! Message protection (07-message-protection): replays, tampered fields, wrong keys and
//! sessions, the replay window, key updates, and what the device's own records look like.
//!
//! Every case runs in a session of the suite's administrator and sends a small read (the
//! root endpoint's vendor ID) sealed by hand, so it can hold records back, send them twice,
//! alter them or move its counter. A record the device must accept gets the read's report
//! on its exchange; one it must drop gets no answer and the exchange's clean end `[MSG-18]`,
//! `[MSG-21]`, and the session goes on.

mod keys;
mod records;
mod window;

use crate::adversarial::protection::{
    describe, exchange, is_answer, probe_request, sealed_probe, stranger, Reply,
};
use crate::case::{Case, Failure, Group, Outcome};
use crate::context::Ctx;
use crate::controller::Session;
use crate::transport::TransportError;
use orbit_core::protect::SessionId;

/// The protection cases.
pub(crate) const CASES: &[Case] = &[
    Group::Protection.must(
        "protection.replay",
        "A record accepted once is dropped when it comes again, unanswered, and the session goes on",
        &["MSG-12", "MSG-18", "MSG-21"],
        records::replay,
    ),
    Group::Protection.must(
        "protection.tamper-reserved-flag",
        "A record with a reserved flag bit set is dropped, and the same record untouched is then accepted",
        &["MSG-7", "MSG-13", "MSG-18", "MSG-21"],
        records::tamper_reserved_flag,
    ),
    Group::Protection.must(
        "protection.tamper-key-phase",
        "A record whose key phase was altered is dropped without installing a key, and the original is then accepted",
        &["MSG-16", "MSG-13", "MSG-18", "MSG-21"],
        records::tamper_key_phase,
    ),
    Group::Protection.must(
        "protection.tamper-session-id",
        "A record whose session identifier was altered is dropped, and the original is then accepted",
        &["MSG-3", "MSG-13", "MSG-18", "MSG-21"],
        records::tamper_session_id,
    ),
    Group::Protection.must(
        "protection.tamper-counter",
        "A record whose counter was altered fails authentication and is dropped; the original is then accepted",
        &["MSG-10", "MSG-13", "MSG-18", "MSG-21"],
        records::tamper_counter,
    ),
    Group::Protection.must(
        "protection.tamper-ciphertext",
        "A record with a ciphertext bit flipped is dropped; the original is then accepted",
        &["MSG-10", "MSG-13", "MSG-18", "MSG-21"],
        records::tamper_ciphertext,
    ),
    Group::Protection.must(
        "protection.tamper-tag",
        "A record with a tag bit flipped is dropped; the original is then accepted",
        &["MSG-11", "MSG-13", "MSG-18", "MSG-21"],
        records::tamper_tag,
    ),
    Group::Protection.must(
        "protection.truncated",
        "A record shorter than a header and a tag is dropped; the original is then accepted",
        &["MSG-11", "MSG-13", "MSG-18", "MSG-21"],
        records::truncated,
    ),
    Group::Protection.must(
        "protection.wrong-key",
        "A record for the session sealed under another key is dropped, and its counter stays usable",
        &["MSG-10", "MSG-13", "MSG-18", "MSG-21"],
        records::wrong_key,
    ),
    Group::Protection.must(
        "protection.unknown-session",
        "A record naming a session identifier the device never chose is dropped",
        &["MSG-3", "MSG-11", "MSG-18", "MSG-21"],
        records::unknown_session,
    ),
    Group::Protection.must(
        "protection.other-connection",
        "A record of the session sent on another connection is accepted: sessions are not tied to connections",
        &["MSG-3", "SESS-2", "QUIC-20"],
        records::other_connection,
    ),
    Group::Protection.must(
        "protection.device-records",
        "The device's records carry the session identifier, zero reserved bits, counters 0, 1, 2, ... and 29 bytes of overhead",
        &["MSG-6", "MSG-7", "MSG-8", "MSG-20", "MSG-1"],
        records::device_records,
    ),
    Group::Protection.must(
        "protection.counter-far-ahead",
        "A record whose counter jumped far ahead is accepted, and the session continues from it",
        &["MSG-12"],
        window::counter_far_ahead,
    ),
    Group::Protection.must(
        "protection.reorder-inside-window",
        "Records out of order, the last one 1023 counters behind the highest, are all accepted",
        &["MSG-12"],
        window::reorder_inside_window,
    ),
    Group::Protection.must(
        "protection.older-than-window",
        "A record 1024 counters behind the highest accepted is dropped, unanswered",
        &["MSG-12", "MSG-18", "MSG-21"],
        window::older_than_window,
    ),
    Group::Protection.must(
        "protection.forged-far-ahead",
        "A forged record far ahead does not move the window: the next honest counter is still accepted",
        &["MSG-13", "MSG-18", "MSG-21"],
        window::forged_far_ahead,
    ),
    Group::Protection.must(
        "protection.key-update",
        "The device follows the sender's key updates through every key phase",
        &["MSG-16", "MSG-14", "MSG-15"],
        keys::key_update,
    ),
    Group::Protection.must(
        "protection.key-update-skipped",
        "A record three generations ahead (two generations never seen) is accepted",
        &["MSG-16"],
        keys::skipped_generations,
    ),
    Group::Protection.must(
        "protection.late-previous-generation",
        "A record of the previous generation that arrives after the update is still accepted",
        &["MSG-16", "MSG-17"],
        keys::late_previous_generation,
    ),
    Group::Protection.must(
        "protection.generation-too-old",
        "A record two generations old is dropped, though its counter is inside the window",
        &["MSG-17", "MSG-16", "MSG-18", "MSG-21"],
        keys::generation_too_old,
    ),
];

/// Sends `record` on a new exchange of the session's connection and requires it dropped:
/// no answer, and the exchange finished without a frame. An answer breaks `rule`; any other
/// ending breaks `[MSG-21]`.
pub(super) async fn expect_dropped(
    session: &mut Session,
    label: &str,
    record: &[u8],
    rule: &'static str,
    what: &str,
) -> Outcome {
    let reply = match exchange(session.conn(), label, record).await {
        Ok(reply) => reply,
        Err(TransportError::Closed(reason)) => {
            return Err(Failure::fail(
                "MSG-21",
                format!("{what}: the device drops the record, finishes the exchange without a frame, and the connection goes on"),
                format!("the connection closed: {reason}"),
            ))
        }
        Err(e) => return Err(Failure::from(e)),
    };
    match reply {
        Reply::Finished => Ok(()),
        Reply::Frame(..) => Err(Failure::fail(
            rule,
            format!("{what}: the device drops the record and does not answer it"),
            describe(&reply),
        )),
        Reply::Reset(_) | Reply::Silent => Err(Failure::fail(
            "MSG-21",
            format!("{what}: the device drops the record and finishes the exchange without a frame, neither resetting nor stopping it"),
            describe(&reply),
        )),
    }
}

/// Sends `record` (the probe on `exchange_no`) and requires the device's report.
pub(super) async fn expect_served(
    session: &mut Session,
    label: &str,
    record: &[u8],
    exchange_no: u32,
    rule: &'static str,
    what: &str,
) -> Outcome {
    let reply = exchange(session.conn(), label, record).await?;
    is_answer(session, &reply, exchange_no).map_err(|observed| {
        Failure::fail(
            rule,
            format!("{what}: the device accepts the record and answers it"),
            observed,
        )
    })
}

/// Seals the next probe and sends it at once; requires the device's report (else `rule`).
pub(super) async fn probe_served(
    session: &mut Session,
    label: &str,
    rule: &'static str,
    what: &str,
) -> Outcome {
    let (no, record) = probe(session, label)?;
    expect_served(session, label, &record, no, rule, what).await
}

/// After dropped records the session goes on: a fresh honest request is answered
/// `[MSG-18]`.
pub(super) async fn still_served(session: &mut Session, rule: &'static str) -> Outcome {
    probe_served(
        session,
        "read-request (honest)",
        rule,
        "the session goes on after the dropped record",
    )
    .await
}

/// Runs `steps` in a new session of the suite's administrator, then closes the session's
/// connection whatever they returned.
pub(super) async fn in_admin_session(
    ctx: &mut Ctx,
    steps: impl AsyncFnOnce(&mut Session, &mut Ctx) -> Outcome,
) -> Outcome {
    let mut s = ctx.admin_session().await?;
    let r = steps(&mut s, ctx).await;
    s.conn().close();
    r
}

/// The probe sealed by the session: its exchange number and the record, to send when the
/// case chooses.
pub(super) fn probe(session: &mut Session, label: &str) -> Result<(u32, Vec<u8>), Failure> {
    sealed_probe(session, label).map_err(Failure::Inconclusive)
}

/// The session's probe sealed instead by a stranger, under keys the device never agreed:
/// a record for session `peer` with counter `counter`.
pub(super) fn forged_probe(
    session: &mut Session,
    peer: SessionId,
    counter: u64,
    ctx: &mut Ctx,
) -> Result<Vec<u8>, Failure> {
    let mut forger = stranger(peer, counter, ctx.rng()).map_err(Failure::Inconclusive)?;
    let (_, plain) = probe_request(session);
    let mut forged = Vec::new();
    forger
        .seal(&plain, &mut forged)
        .map_err(|e| Failure::Inconclusive(e.to_string()))?;
    Ok(forged)
}

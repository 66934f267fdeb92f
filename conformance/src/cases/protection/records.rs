//! Single records: replayed, altered, sealed under another key or for no session, sent on
//! another connection; and the device's own records.

use super::{expect_dropped, expect_served, forged_probe, in_admin_session, probe, still_served};
use crate::adversarial::protection::{
    counter_of, describe, exchange, is_answer, session_of, tamper, Field, Reply,
};
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::transport::{BoxFuture, MessageKind};
use orbit_core::protect::{SessionId, OVERHEAD, RESERVED_FLAGS_MASK};

pub(super) fn replay(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(in_admin_session(ctx, async |s, _| {
        let (no, record) = probe(s, "read-request")?;
        expect_served(s, "read-request", &record, no, "MSG-12", "a fresh record").await?;
        expect_dropped(
            s,
            "the same record again",
            &record,
            "MSG-12",
            "a counter already accepted",
        )
        .await?;
        still_served(s, "MSG-18").await
    }))
}

/// Sends the probe with `field` altered, requires it dropped (else `rule`), then the probe
/// untouched accepted: the dropped record changed nothing, not even its counter's place in
/// the window `[MSG-13]`.
async fn tampered(ctx: &mut Ctx, field: Field, rule: &'static str, what: &str) -> Outcome {
    in_admin_session(ctx, async |s, _| {
        let (no, record) = probe(s, "read-request (to be altered)")?;
        let bad = tamper(&record, field);
        expect_dropped(s, what, &bad, rule, what).await?;
        expect_served(
            s,
            "the same record untouched",
            &record,
            no,
            "MSG-13",
            "the untouched record, after its altered copy was dropped",
        )
        .await
    })
    .await
}

pub(super) fn tamper_reserved_flag(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(tampered(
        ctx,
        Field::ReservedFlag,
        "MSG-7",
        "a record with reserved flag bit 0x04 set",
    ))
}

pub(super) fn tamper_key_phase(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(tampered(
        ctx,
        Field::KeyPhase,
        "MSG-16",
        "a record whose key phase names a generation it was not sealed under",
    ))
}

pub(super) fn tamper_session_id(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(tampered(
        ctx,
        Field::SessionId,
        "MSG-3",
        "a record with one bit of its session identifier flipped",
    ))
}

pub(super) fn tamper_counter(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(tampered(
        ctx,
        Field::Counter,
        "MSG-10",
        "a record whose counter was raised by one after sealing",
    ))
}

pub(super) fn tamper_ciphertext(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(tampered(
        ctx,
        Field::Ciphertext,
        "MSG-10",
        "a record with a ciphertext bit flipped",
    ))
}

pub(super) fn tamper_tag(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(tampered(
        ctx,
        Field::Tag,
        "MSG-11",
        "a record with a tag bit flipped",
    ))
}

pub(super) fn truncated(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(tampered(
        ctx,
        Field::Truncated,
        "MSG-11",
        "a record of 28 bytes",
    ))
}

pub(super) fn wrong_key(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(in_admin_session(ctx, async |s, ctx| {
        let peer = s.protector().peer_session_id();
        let next = s.protector().next_send_counter().unwrap_or(0);
        let forged = forged_probe(s, peer, next, ctx)?;
        expect_dropped(
            s,
            "read-request sealed under another key",
            &forged,
            "MSG-10",
            "a record for the session under a key it does not have",
        )
        .await?;
        // The honest record with the same counter: the forgery did not spend it.
        still_served(s, "MSG-13").await
    }))
}

pub(super) fn unknown_session(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(in_admin_session(ctx, async |s, ctx| {
        let mut id = [0u8; 4];
        let _ = ctx.rng().fill(&mut id);
        let peer = s.protector().peer_session_id();
        // Any identifier but the session's: the device chose it for no session (it picks its
        // identifiers at random among 2^32, [MSG-2]).
        let unknown = SessionId(u32::from_be_bytes(id) ^ 0x8000_0000).0;
        let unknown = if unknown == peer.0 {
            unknown ^ 1
        } else {
            unknown
        };
        let forged = forged_probe(s, SessionId(unknown), 0, ctx)?;
        ctx.note(format!("session identifier {unknown:#010x}"));
        expect_dropped(
            s,
            "read-request for an unknown session",
            &forged,
            "MSG-3",
            "a record naming no session of the device",
        )
        .await?;
        still_served(s, "MSG-18").await
    }))
}

pub(super) fn other_connection(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(in_admin_session(ctx, async |s, ctx| {
        let other = ctx.connect().await?;
        let (no, record) = probe(s, "read-request on another connection")?;
        let reply = exchange(&other, "read-request on another connection", &record).await;
        other.close();
        let r = match reply {
            Ok(reply) => is_answer(s, &reply, no),
            Err(e) => Err(e.to_string()),
        };
        r.map_err(|observed| {
            Failure::fail(
                "MSG-3",
                "the device finds the session by the record's session identifier alone and answers on the connection the record came on",
                observed,
            )
        })?;
        // And the session still works where it started.
        still_served(s, "QUIC-20").await
    }))
}

pub(super) fn device_records(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let mut s = ctx.admin_session().await?;
        let local = s.protector().local_session_id();
        let mut answers = Vec::new();
        for i in 0..3 {
            let (_, record) = probe(&mut s, "read-request")?;
            let reply = exchange(s.conn(), "read-request", &record).await?;
            let Reply::Frame(MessageKind::Protected, bytes) = &reply else {
                s.conn().close();
                return Err(Failure::Inconclusive(format!(
                    "request {i} got {}",
                    describe(&reply)
                )));
            };
            let bytes = bytes.clone();
            let plain_len = s.open_record(&bytes).map(|p| p.len());
            answers.push((bytes, plain_len));
        }
        s.conn().close();
        for (i, (bytes, plain_len)) in answers.iter().enumerate() {
            let flags = bytes.first().copied().unwrap_or(0);
            check(
                flags & RESERVED_FLAGS_MASK == 0,
                "MSG-7",
                "reserved flag bits zero in every record the device sends",
                || format!("record {i} has flags {flags:#04x}"),
            )?;
            check(
                session_of(bytes) == Some(local.0),
                "MSG-6",
                format!("the receiver's (the suite's) session identifier {local} in the header"),
                || format!("record {i} names {:?}", session_of(bytes)),
            )?;
            check(
                counter_of(bytes) == Some(i as u64),
                "MSG-8",
                "the device's first record in the session has counter 0 and each next one the previous plus 1",
                || format!("record {i} has counter {:?}", counter_of(bytes)),
            )?;
            let plain_len = plain_len.as_ref().map_err(|e| {
                Failure::fail(
                    "MSG-1",
                    "a record that opens with ChaCha20-Poly1305 under the session's keys",
                    e.clone(),
                )
            })?;
            check(
                bytes.len() == plain_len + OVERHEAD,
                "MSG-20",
                "a record exactly 29 bytes longer than its payload",
                || {
                    format!(
                        "record {i}: {} bytes for a {plain_len}-byte payload",
                        bytes.len()
                    )
                },
            )?;
        }
        Ok(())
    })
}

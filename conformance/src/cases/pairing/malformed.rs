//! PASE messages an honest controller never sends `[PAIR-2]`, `[PAIR-3]`, `[PAIR-14]`,
//! `[PAIR-22]`; each ends the handshake before `pake2`, so none counts as a failed attempt
//! `[PAIR-25]`, which each case checks at its end.

use super::super::pase_steps::{abandon, answer, close_ex, request_when_free, send_first, Answer};
use super::super::window;
use crate::adversarial::pairing::{
    oversized_request, pake1_with, pake3_random, request as raw_request, truncated_request,
    unknown_type, valid_share, BadPoint,
};
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Conn;
use crate::transport::{BoxFuture, MessageKind};
use orbit_core::codec::CborMessage;
use orbit_core::pairing::{PairingStatus, Pake1};
use orbit_core::status::Status;
use std::time::Duration;

/// Sends `bytes` as the first message of a handshake and requires a `pairing-status` with
/// `status` (no retry-after), or fails `rule`.
async fn refused_first(
    conn: &Conn,
    label: &str,
    bytes: &[u8],
    status: Status,
    rule: &'static str,
) -> Outcome {
    let (mut ex, got) = send_first(conn, label, bytes).await?;
    close_ex(&mut ex).await;
    check(
        got.is_plain(status),
        rule,
        format!("pairing-status {status} for {label}"),
        || got.to_string(),
    )
}

/// The case's closing check: after its rejected handshakes, a request is answered with
/// `pbkdf-param-response`, not with a back-off: nothing before `pake2` counted `[PAIR-25]`.
async fn nothing_counted(ctx: &mut Ctx, conn: &Conn) -> Outcome {
    let passcode = ctx.facts().setup.passcode();
    let (mut ex, _, got) = request_when_free(ctx, conn, passcode).await?;
    if matches!(got, Answer::Message(_)) {
        abandon(&mut ex).await;
    } else {
        close_ex(&mut ex).await;
    }
    check(
        matches!(got, Answer::Message(_)),
        "PAIR-25",
        "a pbkdf-param-response: handshakes that ended before pake2 do not count",
        || got.to_string(),
    )
}

fn session_id(ctx: &mut Ctx) -> u32 {
    let mut b = [0u8; 4];
    let _ = orbit_core::crypto::Random::fill(ctx.rng(), &mut b);
    u32::from_be_bytes(b).max(1)
}

pub(super) fn malformed_request(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = malformed_request_body(ctx).await;
        window::clearing_after(ctx, outcome).await
    })
}

async fn malformed_request_body(ctx: &mut Ctx) -> Outcome {
    let conn = ctx.connect().await?;
    let sid = session_id(ctx);
    let cut = truncated_request(ctx.rng(), sid, 7);
    refused_first(
        &conn,
        "truncated pbkdf-param-request",
        &cut,
        Status::INVALID_MESSAGE,
        "PAIR-2",
    )
    .await?;
    let big = oversized_request(ctx.rng(), sid);
    refused_first(
        &conn,
        "pbkdf-param-request over 256 bytes",
        &big,
        Status::RESOURCE_EXHAUSTED,
        "PAIR-3",
    )
    .await?;
    let outcome = nothing_counted(ctx, &conn).await;
    conn.close();
    outcome
}

pub(super) fn out_of_order(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = out_of_order_body(ctx).await;
        window::clearing_after(ctx, outcome).await
    })
}

async fn out_of_order_body(ctx: &mut Ctx) -> Outcome {
    let conn = ctx.connect().await?;
    refused_first(
        &conn,
        "a pairing message of unknown type 99",
        &unknown_type(),
        Status::UNEXPECTED_MESSAGE,
        "PAIR-2",
    )
    .await?;
    // A well-formed pake1 (the generator itself is a valid share) with no handshake before.
    let pake1 = Pake1 {
        share_p: valid_share(),
    }
    .to_bytes();
    refused_first(
        &conn,
        "pake1 as the first message",
        &pake1,
        Status::UNEXPECTED_MESSAGE,
        "PAIR-2",
    )
    .await?;
    let pake3 = pake3_random(ctx.rng());
    refused_first(
        &conn,
        "pake3 as the first message",
        &pake3,
        Status::UNEXPECTED_MESSAGE,
        "PAIR-2",
    )
    .await?;
    // A second pbkdf-param-request where pake1 is due.
    let passcode = ctx.facts().setup.passcode();
    let (mut ex, _, got) = request_when_free(ctx, &conn, passcode).await?;
    if !matches!(got, Answer::Message(_)) {
        close_ex(&mut ex).await;
        return Err(Failure::Inconclusive(format!(
            "the handshake to disorder was not accepted: {got}"
        )));
    }
    let sid = session_id(ctx);
    let again = raw_request(ctx.rng(), sid);
    ex.send(MessageKind::Pairing, "pbkdf-param-request again", &again)
        .await?;
    let got = answer(&mut ex, conn.answer_timeout()).await?;
    close_ex(&mut ex).await;
    check(
        got.is_plain(Status::UNEXPECTED_MESSAGE),
        "PAIR-2",
        "pairing-status unexpected-message for a pbkdf-param-request where pake1 is due",
        || got.to_string(),
    )?;
    // [PAIR-22] a pairing-status is never answered, even as a first message.
    let status = PairingStatus::new(Status::FAILURE).to_bytes();
    let mut ex = conn.open().await?;
    ex.send(
        MessageKind::Pairing,
        "pairing-status as the first message",
        &status,
    )
    .await?;
    ex.finish();
    let got = answer(&mut ex, Duration::from_secs(1)).await?;
    check(
        matches!(got, Answer::Ended | Answer::Silent | Answer::Reset(_)),
        "PAIR-22",
        "no answer to a pairing-status",
        || got.to_string(),
    )?;
    let outcome = nothing_counted(ctx, &conn).await;
    conn.close();
    outcome
}

pub(super) fn invalid_points(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = invalid_points_body(ctx).await;
        window::clearing_after(ctx, outcome).await
    })
}

async fn invalid_points_body(ctx: &mut Ctx) -> Outcome {
    let conn = ctx.connect().await?;
    let passcode = ctx.facts().setup.passcode();
    for bad in BadPoint::ALL {
        let (mut ex, _, got) = request_when_free(ctx, &conn, passcode).await?;
        if !matches!(got, Answer::Message(_)) {
            close_ex(&mut ex).await;
            return Err(Failure::Inconclusive(format!(
                "the handshake for the bad point was not accepted: {got}"
            )));
        }
        ctx.note(format!("pake1 with {}", bad.describe()));
        ex.send(
            MessageKind::Pairing,
            "pake1 (invalid point)",
            &pake1_with(bad),
        )
        .await?;
        let got = answer(&mut ex, conn.answer_timeout()).await?;
        close_ex(&mut ex).await;
        check(
            got.is_plain(Status::INVALID_MESSAGE),
            "PAIR-14",
            format!(
                "pairing-status invalid-message and no pake2 for {}",
                bad.describe()
            ),
            || got.to_string(),
        )?;
    }
    let outcome = nothing_counted(ctx, &conn).await;
    conn.close();
    outcome
}

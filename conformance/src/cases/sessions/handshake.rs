//! Handshake messages out of order, replayed, malformed or oversized, and a request that
//! overtakes the end of its handshake.

use super::expect_status;
use crate::adversarial::protection::{exchange, is_answer, sealed_probe};
use crate::adversarial::sessions::{answer, drive, message, sigma1, types, with_field, Answer};
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Session;
use crate::transport::{BoxFuture, MessageKind};
use orbit_core::codec::{CborMessage, Value};
use orbit_core::session::Sigma2;
use orbit_core::status::Status;
use orbit_core::version::SUPPORTED;

/// Sends `bytes` as the first message of a new handshake exchange, finishes, and returns the
/// device's answer.
async fn first_message(ctx: &mut Ctx, label: &str, bytes: &[u8]) -> Result<Answer, Failure> {
    let conn = ctx.connect().await?;
    let mut ex = conn.open().await?;
    ex.send(MessageKind::Session, label, bytes).await?;
    ex.finish();
    let a = answer(&mut ex).await?;
    ex.drain().await;
    conn.close();
    Ok(a)
}

/// Opens a handshake with `sigma1`, requires the device's `sigma2` (else the case is
/// inconclusive: the honest start failed), then sends `bytes` where `sigma3` is due,
/// finishes, and returns the device's answer.
async fn in_place_of_sigma3(
    ctx: &mut Ctx,
    sigma1: &[u8],
    label: &str,
    bytes: &[u8],
) -> Result<Answer, Failure> {
    let conn = ctx.connect().await?;
    let mut ex = conn.open().await?;
    ex.send(MessageKind::Session, "sigma1", sigma1).await?;
    let a = answer(&mut ex).await?;
    if !a.is(types::SIGMA2) {
        conn.close();
        return Err(Failure::Inconclusive(format!(
            "an honest sigma1 got {}",
            a.describe()
        )));
    }
    ex.send(MessageKind::Session, label, bytes).await?;
    ex.finish();
    let a = answer(&mut ex).await?;
    ex.drain().await;
    conn.close();
    Ok(a)
}

/// `[SESS-13]`, `[SESS-39]`: the initiator may send protected requests right after `sigma3`;
/// the device serves them whatever the order in which they and the handshake's end arrive.
pub(super) fn request_right_after_sigma3(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let admin = ctx.admin().await;
        let node = ctx.device_node();
        let conn = ctx.connect().await?;
        let mut hs = conn.open().await?;
        let driven = drive(&mut hs, &admin, node, SUPPORTED, ctx.rng()).await?;
        let mut session = Session::from_established(&conn, driven.established)
            .map_err(|e| Failure::Inconclusive(e.to_string()))?;
        // The request goes out before the suite reads anything more of the handshake.
        let (ex_no, record) = sealed_probe(&mut session, "read-request right after sigma3")
            .map_err(Failure::Inconclusive)?;
        let reply = exchange(&conn, "read-request right after sigma3", &record).await?;
        let end = answer(&mut hs).await?;
        conn.close();
        check(
            end == Answer::Ended,
            "SESS-39",
            "the device accepts the honest sigma3 (ends the handshake cleanly)",
            || end.describe(),
        )?;
        is_answer(&mut session, &reply, ex_no).map_err(|observed| {
            Failure::fail(
                "SESS-39",
                "the device holds a request that arrives before sigma3 is handled and then answers it",
                observed,
            )
        })
    })
}

pub(super) fn sigma3_first(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let sigma3 = message(types::SIGMA3, vec![(1, Value::Bytes(vec![0u8; 96]))]);
        let a = first_message(ctx, "sigma3 (first)", &sigma3).await?;
        expect_status(
            &a,
            Status::UNEXPECTED_MESSAGE,
            "SESS-4",
            "a sigma3 opens the exchange",
        )
    })
}

pub(super) fn unknown_type(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let m = message(9, vec![(1, Value::from(0u64))]);
        let a = first_message(ctx, "session message of type 9", &m).await?;
        expect_status(
            &a,
            Status::UNEXPECTED_MESSAGE,
            "SESS-4",
            "a message of unknown type 9 opens the exchange",
        )
    })
}

pub(super) fn status_not_answered(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let m = message(
            types::STATUS,
            vec![(1, Value::from(u64::from(Status::INVALID_MESSAGE.0)))],
        );
        let a = first_message(ctx, "session-status (first)", &m).await?;
        ctx.note(format!("the device's answer: {}", a.describe()));
        check(
            !matches!(a, Answer::Status(_)),
            "SESS-36",
            "no session-status in answer to a session-status opening an exchange",
            || a.describe(),
        )?;
        // A status in place of sigma3 ends that handshake, unanswered, and changes nothing
        // else: the suite's other session goes on [SESS-37].
        let mut s = ctx.admin_session().await?;
        let first = honest_sigma1(ctx).await?;
        let a = in_place_of_sigma3(ctx, &first, "session-status in place of sigma3", &m)
            .await
            .inspect_err(|_| s.conn().close())?;
        let (no, record) =
            sealed_probe(&mut s, "read-request (other session)").map_err(Failure::Inconclusive)?;
        let reply = exchange(s.conn(), "read-request (other session)", &record).await;
        s.conn().close();
        check(
            !matches!(a, Answer::Status(_)),
            "SESS-36",
            "no session-status in answer to a session-status in place of sigma3",
            || a.describe(),
        )?;
        is_answer(&mut s, &reply?, no).map_err(|observed| {
            Failure::fail(
                "SESS-37",
                "a session-status changes nothing but the handshake it answers: another session goes on",
                observed,
            )
        })
    })
}

/// `[SESS-20]`: the device's certificate travels only inside the encrypted payload, so its
/// operational public key (which the certificate holds) never appears in `sigma2` in clear.
pub(super) fn identity_protected(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let driven = completed(ctx).await?;
        let key = driven.established.peer.public_key.0;
        let in_clear = driven.sigma2.windows(key.len()).any(|w| w == key);
        check(
            !in_clear,
            "SESS-20",
            "the device's certificate only inside sigma2's encrypted payload",
            || "sigma2 holds the device's operational public key in clear".to_owned(),
        )
    })
}

pub(super) fn sigma1_twice(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let first = honest_sigma1(ctx).await?;
        let second = honest_sigma1(ctx).await?;
        let a = in_place_of_sigma3(ctx, &first, "sigma1 (where sigma3 is due)", &second).await?;
        expect_status(
            &a,
            Status::UNEXPECTED_MESSAGE,
            "SESS-4",
            "a sigma1 arrives where sigma3 is due",
        )
    })
}

/// Runs one honest handshake to acceptance and returns its messages.
async fn completed(ctx: &mut Ctx) -> Result<crate::adversarial::sessions::Driven, Failure> {
    let admin = ctx.admin().await;
    let node = ctx.device_node();
    let conn = ctx.connect().await?;
    let mut ex = conn.open().await?;
    let driven = drive(&mut ex, &admin, node, SUPPORTED, ctx.rng()).await?;
    let end = answer(&mut ex).await?;
    conn.close();
    if end != Answer::Ended {
        return Err(Failure::Inconclusive(format!(
            "an honest handshake got {}",
            end.describe()
        )));
    }
    Ok(driven)
}

pub(super) fn sigma3_replayed(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let old = completed(ctx).await?;
        let fresh = honest_sigma1(ctx).await?;
        let a =
            in_place_of_sigma3(ctx, &fresh, "sigma3 of the earlier handshake", &old.sigma3).await?;
        expect_status(
            &a,
            Status::INVALID_SIGNATURE,
            "SESS-18",
            "the payload of another handshake's sigma3 does not open under this handshake's key",
        )
    })
}

pub(super) fn sigma1_replayed(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let old = completed(ctx).await?;
        let conn = ctx.connect().await?;
        let mut ex = conn.open().await?;
        ex.send(MessageKind::Session, "sigma1 replayed", &old.sigma1)
            .await?;
        let a = answer(&mut ex).await?;
        let Answer::Message {
            ty: Some(types::SIGMA2),
            bytes,
        } = &a
        else {
            conn.close();
            return Err(Failure::fail(
                "SESS-9",
                "a replayed sigma1 (well-formed, for the device's home) is answered with a full sigma2",
                a.describe(),
            ));
        };
        let (before, now) = match (Sigma2::decode(&old.sigma2), Sigma2::decode(bytes)) {
            (Ok(b), Ok(n)) => (b, n),
            (_, Err(e)) | (Err(e), _) => {
                conn.close();
                return Err(Failure::fail(
                    "SESS-9",
                    "a sigma2 as the CDDL gives it",
                    e.to_string(),
                ));
            }
        };
        ex.send(
            MessageKind::Session,
            "the replayed handshake's sigma3",
            &old.sigma3,
        )
        .await?;
        ex.finish();
        let end = answer(&mut ex).await?;
        ex.drain().await;
        conn.close();
        check(
            before.responder_random != now.responder_random,
            "SESS-9",
            "a fresh 32-byte responder random for every handshake",
            || "the same responder random as the first handshake".to_owned(),
        )?;
        check(
            before.responder_eph != now.responder_eph,
            "SESS-12",
            "a fresh X25519 key pair for every handshake",
            || "the same ephemeral key as the first handshake".to_owned(),
        )?;
        expect_status(
            &end,
            Status::INVALID_SIGNATURE,
            "SESS-18",
            "the old sigma3 does not open under the new handshake's key",
        )
    })
}

/// An honest `sigma1` of the suite's administrator, to be rewritten.
async fn honest_sigma1(ctx: &mut Ctx) -> Result<Vec<u8>, Failure> {
    let admin = ctx.admin().await;
    let node = ctx.device_node();
    Ok(sigma1(&admin, node, SUPPORTED, None, ctx.rng())?.1)
}

fn rewritten(m: &[u8], key: u64, value: Value) -> Result<Vec<u8>, Failure> {
    with_field(m, key, value)
        .ok_or_else(|| Failure::Inconclusive(format!("sigma1 has no field {key} to rewrite")))
}

pub(super) fn malformed_sigma1(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let s1 = honest_sigma1(ctx).await?;
        // Field 4 (the X25519 key) one byte short of `.size 32`.
        let short_key = rewritten(&s1, 4, Value::Bytes(vec![9u8; 31]))?;
        let a = first_message(ctx, "sigma1 with a 31-byte key", &short_key).await?;
        expect_status(
            &a,
            Status::INVALID_MESSAGE,
            "SESS-3",
            "a byte string of the wrong size",
        )?;
        // A ticket identifier (field 6) without the resume MAC (field 7).
        let mut with_ticket = s1.clone();
        let Some(head) = with_ticket.first_mut() else {
            return Err(Failure::Inconclusive("empty sigma1".to_owned()));
        };
        *head += 1; // one more entry in the map (6 entries: 0xa6 -> 0xa7)
        with_ticket.extend([0x06, 0x50]);
        with_ticket.extend([0x11u8; 16]);
        let a = first_message(ctx, "sigma1 with a ticket and no MAC", &with_ticket).await?;
        expect_status(
            &a,
            Status::INVALID_MESSAGE,
            "SESS-3",
            "sigma1 with field 6 but not field 7",
        )
    })
}

pub(super) fn sigma1_too_large(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let s1 = honest_sigma1(ctx).await?;
        // An unknown key ([CBOR-8]) holding 1,200 bytes: the string is past the handshake
        // string limit (1024) and the message past 1280 bytes, so either check gives
        // resource-exhausted [SESS-35].
        let mut big = s1.clone();
        if let Some(head) = big.first_mut() {
            *head += 1;
        }
        big.extend([0x08, 0x59, 0x04, 0xb0]);
        big.extend(std::iter::repeat_n(0x5au8, 1200));
        let a = first_message(ctx, "sigma1 of 1,300-odd bytes", &big).await?;
        expect_status(
            &a,
            Status::RESOURCE_EXHAUSTED,
            "SESS-35",
            "a sigma1 past the handshake message size",
        )
    })
}

pub(super) fn low_order_point(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let s1 = honest_sigma1(ctx).await?;
        // The all-zero u-coordinate is a point of small order: every X25519 result with it
        // is all zero.
        let m = rewritten(&s1, 4, Value::Bytes(vec![0u8; 32]))?;
        let a = first_message(ctx, "sigma1 with a low-order key", &m).await?;
        expect_status(
            &a,
            Status::INVALID_PARAMETER,
            "SESS-12",
            "an X25519 result that is all zero",
        )
    })
}

//! Version negotiation in `sigma1`/`sigma2` (08-version-negotiation, `[SESS-6]`, `[SESS-7]`).

use super::expect_status;
use crate::adversarial::sessions::{answer, sigma1, types, with_field, Answer};
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::transport::{BoxFuture, MessageKind};
use orbit_core::codec::{CborMessage, Value};
use orbit_core::session::{encode_status, Now, Sigma2};
use orbit_core::version::{ProtocolVersion, VersionRange, SUPPORTED};
use std::time::Instant;

fn range(min: u16, max: u16) -> VersionRange {
    VersionRange {
        min: ProtocolVersion(min),
        max: ProtocolVersion(max),
    }
}

/// Sends a `sigma1` offering `versions` and returns the device's answer, with the
/// initiator's state and the connection and exchange (still open) for the caller.
async fn offer(
    ctx: &mut Ctx,
    versions: VersionRange,
) -> Result<
    (
        orbit_core::session::ExpectSigma2,
        Answer,
        crate::controller::Conn,
        crate::controller::Ex,
    ),
    Failure,
> {
    let admin = ctx.admin().await;
    let node = ctx.device_node();
    let (state, s1) = sigma1(&admin, node, versions, None, ctx.rng())?;
    let conn = ctx.connect().await?;
    let mut ex = conn.open().await?;
    ex.send(
        MessageKind::Session,
        &format!("sigma1 offering {versions}"),
        &s1,
    )
    .await?;
    let a = answer(&mut ex).await?;
    Ok((state, a, conn, ex))
}

/// Ends a handshake the suite will not complete, as an initiator that rejects `sigma2` does
/// `[SESS-36]`, `[QUIC-22]`.
async fn abandon(conn: &crate::controller::Conn, ex: &mut crate::controller::Ex) {
    let mut status = Vec::new();
    encode_status(orbit_core::status::Status::FAILURE, &mut status);
    let _ = ex
        .send(MessageKind::Session, "session-status (abandoning)", &status)
        .await;
    ex.finish();
    ex.drain().await;
    conn.close();
}

pub(super) fn no_common_version(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let offered = range(0xfff0, 0xffff);
        let (_state, a, conn, mut ex) = offer(ctx, offered).await?;
        if let Answer::Message {
            ty: Some(types::SIGMA2),
            bytes,
        } = &a
        {
            if let Ok(s2) = Sigma2::decode(bytes) {
                if s2.version >= offered.min {
                    abandon(&conn, &mut ex).await;
                    return Err(Failure::NotApplicable(format!(
                        "the device speaks {} (it chose {}), so the suite has no range it does not speak",
                        s2.responder_versions, s2.version
                    )));
                }
            }
        }
        ex.finish();
        ex.drain().await;
        conn.close();
        expect_status(
            &a,
            orbit_core::status::Status::NO_COMMON_VERSION,
            "VER-3",
            &format!("an offer of {offered} only"),
        )
    })
}

pub(super) fn version_choice(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let offered = range(1, 0x0100);
        let (state, a, conn, mut ex) = offer(ctx, offered).await?;
        let bytes = match &a {
            Answer::Message {
                ty: Some(types::SIGMA2),
                bytes,
            } => bytes.clone(),
            other => {
                ex.finish();
                conn.close();
                return Err(Failure::fail(
                    "SESS-6",
                    format!("a sigma2 (the device speaks v1, inside the offer {offered})"),
                    other.describe(),
                ));
            }
        };
        let s2 = Sigma2::decode(&bytes)
            .map_err(|e| Failure::fail("SESS-6", "a sigma2 with fields 4 and 5", e.to_string()))?;
        let theirs = s2.responder_versions;
        let highest = ProtocolVersion(theirs.max.0.min(offered.max.0));
        ctx.note(format!(
            "the device speaks {theirs} and chose {}; the highest common version is {highest}",
            s2.version
        ));
        if s2.version != highest {
            abandon(&conn, &mut ex).await;
            return Err(Failure::fail(
                "VER-2",
                format!("the highest version in both {offered} and {theirs}: {highest}"),
                format!("{}", s2.version),
            ));
        }
        // The rest of the handshake is an honest one: it completes.
        let admin = ctx.admin().await;
        let mut sigma3 = Vec::new();
        let now = Now::new(Instant::now(), crate::unix_now());
        match state.handle(&admin, &bytes, now, &mut sigma3) {
            Ok(_) => {
                ex.send(MessageKind::Session, "sigma3", &sigma3).await?;
                ex.finish();
                let end = answer(&mut ex).await?;
                ex.drain().await;
                conn.close();
                check(
                    end == Answer::Ended,
                    "SESS-6",
                    "the handshake on the chosen version completes",
                    || end.describe(),
                )
            }
            Err(e) => {
                abandon(&conn, &mut ex).await;
                Err(Failure::fail(
                    "SESS-6",
                    "a sigma2 that authenticates the chosen version and the device's range",
                    e.to_string(),
                ))
            }
        }
    })
}

pub(super) fn invalid_version_range(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        for bad in [range(0, 1), range(2, 1)] {
            let (_state, a, conn, mut ex) = offer(ctx, bad).await?;
            ex.finish();
            ex.drain().await;
            conn.close();
            expect_status(
                &a,
                orbit_core::status::Status::INVALID_PARAMETER,
                "VER-5",
                &format!("an offered range {{1: {}, 2: {}}}", bad.min.0, bad.max.0),
            )?;
        }
        Ok(())
    })
}

pub(super) fn rewritten_offer(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let admin = ctx.admin().await;
        let node = ctx.device_node();
        let (state, s1) = sigma1(&admin, node, SUPPORTED, None, ctx.rng())?;
        // An attacker on the path widens the offer to v1..=v2; the initiator's transcript
        // still holds what it sent.
        let offer = Value::Map(vec![
            (Value::from(1u64), Value::from(u64::from(SUPPORTED.min.0))),
            (
                Value::from(2u64),
                Value::from(u64::from(SUPPORTED.max.0) + 1),
            ),
        ]);
        let Some(tampered) = with_field(&s1, 5, offer) else {
            return Err(Failure::Inconclusive("sigma1 has no field 5".to_owned()));
        };
        let conn = ctx.connect().await?;
        let mut ex = conn.open().await?;
        ex.send(
            MessageKind::Session,
            "sigma1 with its offer rewritten",
            &tampered,
        )
        .await?;
        let a = answer(&mut ex).await?;
        let Answer::Message {
            ty: Some(types::SIGMA2),
            bytes,
        } = &a
        else {
            // The device refused the rewritten sigma1 outright: the attack did not get a
            // session either.
            ex.finish();
            ex.drain().await;
            conn.close();
            ctx.note(format!("the device answered {}", a.describe()));
            return Ok(());
        };
        let mut sigma3 = Vec::new();
        let now = Now::new(Instant::now(), crate::unix_now());
        let verdict = state.handle(&admin, bytes, now, &mut sigma3);
        abandon(&conn, &mut ex).await;
        match verdict {
            Ok(_) => Err(Failure::fail(
                "VER-4",
                "the device's sigma2 covers the offer it received, so it does not authenticate for the offer the initiator sent",
                "the initiator accepted the device's sigma2 after its offer was rewritten",
            )),
            Err(e) => {
                ctx.note(format!("the initiator rejected sigma2 as it must: {e}"));
                Ok(())
            }
        }
    })
}

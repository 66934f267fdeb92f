//! The right and the wrong passcode, and a second pairing while the first one's
//! commissioning runs.

use super::super::commission_steps::{end_commissioning, pase_channel};
use super::super::pase_steps::{
    answer, close_ex, request_when_free, to_pake2, wrong_passcode, Answer,
};
use super::super::window;
use crate::adversarial::pairing::pake3_random;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::PaseError;
use crate::transport::{BoxFuture, MessageKind};
use orbit_core::codec::CborMessage;
use orbit_core::commission::AttestationRequest;
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::status::Status;
use std::time::Instant;

pub(super) fn correct_code(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = correct_code_body(ctx).await;
        window::closing_after(ctx, outcome).await
    })
}

async fn correct_code_body(ctx: &mut Ctx) -> Outcome {
    let conn = ctx.connect().await?;
    let passcode = ctx.facts().setup.passcode();
    let keys = match ctx.pase(&conn, passcode).await {
        Ok(keys) => keys,
        Err(PaseError::Transport { error, .. }) => return Err(error.into()),
        // [QUIC-21] after pake3 the device finishes the stream, or sends a status and finishes.
        Err(e @ PaseError::Cut { at }) if at.starts_with("the end of the exchange") => {
            return Err(Failure::fail(
                "QUIC-21",
                "after a valid pake3 the device finishes the stream without another frame",
                e.to_string(),
            ))
        }
        Err(e) => {
            return Err(Failure::fail(
                "PAIR-1",
                "PASE with the device's own setup code runs to its end: pbkdf-param-response, \
                 pake2 with a confirmation that verifies, and a clean end after pake3",
                e.to_string(),
            ))
        }
    };
    ctx.note("PASE completed; sending a sealed attestation-request with its keys");
    let mut protector = Protector::new(keys.session_keys(), ProtectConfig::default())
        .map_err(|e| Failure::Inconclusive(e.to_string()))?;
    let mut nonce = [0u8; 32];
    let _ = ctx.rng().fill(&mut nonce);
    let request = AttestationRequest { nonce }.to_bytes();
    let answered = super::super::commission_steps::sealed_exchange(
        &conn,
        &mut protector,
        "attestation-request",
        &request,
    )
    .await;
    let outcome = match answered {
        Ok(plain) => check(
            orbit_core::commission::AttestationResponse::decode(&plain).is_ok(),
            "PAIR-20",
            "an attestation-response, sealed with the PASE device-to-controller key",
            || format!("a message that is not an attestation-response: {plain:02x?}"),
        ),
        Err(e) => Err(Failure::fail(
            "PAIR-20",
            "the device opens a message sealed with the PASE keys and answers it in the PASE \
             session",
            e,
        )),
    };
    end_commissioning(&conn, &mut protector).await;
    conn.close();
    outcome
}

pub(super) fn wrong_code(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = wrong_code_body(ctx).await;
        window::clearing_after(ctx, outcome).await
    })
}

/// One handshake that reaches `pake2` with `passcode`, then sends a `pake3` of random bytes:
/// the device's answer, and how long it took.
async fn refused_confirmation(
    ctx: &mut Ctx,
    passcode: u32,
    check_no_keys: bool,
) -> Result<(Answer, std::time::Duration), Failure> {
    let conn = ctx.connect().await?;
    let at = match to_pake2(ctx, &conn, passcode).await? {
        Ok(at) => at,
        Err(refused) => {
            conn.close();
            return Err(Failure::fail(
                "PAIR-19",
                "the device answers every valid pake1 with pake2, whatever the passcode",
                format!("{} instead of {}", refused.answer, refused.at),
            ));
        }
    };
    let mut ex = at.ex;
    if check_no_keys && at.state.handle(&at.pake2, Instant::now()).is_ok() {
        conn.close();
        return Err(Failure::fail(
            "PAIR-19",
            "confirmV of the device does not verify for a wrong passcode (no keys)",
            "the device's pake2 verified under a passcode other than its own",
        ));
    }
    let pake3 = pake3_random(ctx.rng());
    ex.send(MessageKind::Pairing, "pake3 (random confirmation)", &pake3)
        .await?;
    ex.finish();
    let sent = Instant::now();
    let got = answer(&mut ex, conn.answer_timeout()).await?;
    let took = sent.elapsed();
    let end = if matches!(got, Answer::Status(_)) {
        answer(&mut ex, conn.answer_timeout()).await?
    } else {
        Answer::Ended
    };
    conn.close();
    check(
        got.is_plain(Status::PAKE_CONFIRMATION_FAILED),
        "PAIR-18",
        "pairing-status pake-confirmation-failed, without retry-after",
        || got.to_string(),
    )?;
    check(
        end == Answer::Ended,
        "QUIC-22",
        "after its pairing-status the device finishes the stream",
        || end.to_string(),
    )?;
    Ok((got, took))
}

async fn wrong_code_body(ctx: &mut Ctx) -> Outcome {
    let right = ctx.facts().setup.passcode();
    let mut pick = [0u8; 4];
    let _ = ctx.rng().fill(&mut pick);
    let wrong = wrong_passcode(right, u32::from_be_bytes(pick));
    ctx.note("a wrong passcode, then a random confirmation");
    let (with_wrong, took_wrong) = refused_confirmation(ctx, wrong, true).await?;
    // A deliberate opening clears the back-off the failure started [PAIR-27].
    window::fresh(ctx).await?;
    ctx.note("the right passcode, then a random confirmation");
    let (with_right, took_right) = refused_confirmation(ctx, right, false).await?;
    ctx.note(format!(
        "pake3 to pairing-status: {} ms with the wrong passcode, {} ms with the right one \
         (for the record; timing is not judged on a shared machine)",
        took_wrong.as_millis(),
        took_right.as_millis()
    ));
    check(
        with_wrong == with_right,
        "PAIR-19",
        "the same answer for a wrong passcode as for a wrong confirmation under the right one",
        || format!("{with_wrong} for the wrong passcode, {with_right} for the right one"),
    )
}

pub(super) fn second_attempt(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = second_attempt_body(ctx).await;
        window::closing_after(ctx, outcome).await
    })
}

async fn second_attempt_body(ctx: &mut Ctx) -> Outcome {
    let first = ctx.connect().await?;
    let (_keys, mut protector) = pase_channel(ctx, &first).await?;
    ctx.note("first pairing done; a second controller asks to pair");
    let second = ctx.connect().await?;
    let passcode = ctx.facts().setup.passcode();
    let (mut ex, _, got) = request_when_free(ctx, &second, passcode).await?;
    close_ex(&mut ex).await;
    second.close();
    end_commissioning(&first, &mut protector).await;
    first.close();
    if let Answer::Message(_) = got {
        return Err(Failure::fail(
            "PAIR-29",
            "after a valid pake3 the window is closed to new handshakes",
            "the device answered a second pbkdf-param-request with a pairing message",
        ));
    }
    check(
        got.is_plain(Status::PAIRING_WINDOW_CLOSED),
        "PAIR-23",
        "pairing-window-closed (the window closed when the first pairing succeeded)",
        || got.to_string(),
    )
}

//! The device's pairing policy `[PAIR-23]`..`[PAIR-35]`: the window, one handshake at a time,
//! the back-off after failed attempts and what a deliberate opening resets.

use super::super::pase_steps::{
    abandon, answer, close_ex, request, request_when_free, to_pake2, Answer,
};
use super::super::window;
use crate::adversarial::pairing::pake3_random;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Conn;
use crate::transport::{BoxFuture, MessageKind};
use orbit_core::status::Status;
use std::time::{Duration, Instant};

/// Slack added to a back-off before the suite asks again: the device's and the suite's
/// clocks start the back-off a round trip apart.
const SLACK: Duration = Duration::from_millis(150);

/// One failed attempt `[PAIR-25]`: the right passcode up to `pake2`, then a `pake3` of random
/// bytes. Set-up for the case: INCONCLUSIVE unless the device refuses it as
/// `pairing.wrong-code` requires.
async fn fail_one_attempt(ctx: &mut Ctx, conn: &Conn) -> Result<(), Failure> {
    let passcode = ctx.facts().setup.passcode();
    let at = to_pake2(ctx, conn, passcode).await?.map_err(|r| {
        Failure::Inconclusive(format!(
            "could not reach pake2 to fail an attempt: {} instead of {}",
            r.answer, r.at
        ))
    })?;
    let mut ex = at.ex;
    let pake3 = pake3_random(ctx.rng());
    ex.send(MessageKind::Pairing, "pake3 (random confirmation)", &pake3)
        .await?;
    ex.finish();
    let got = answer(&mut ex, conn.answer_timeout()).await?;
    ex.drain().await;
    if got.status() == Some(Status::PAKE_CONFIRMATION_FAILED) {
        Ok(())
    } else {
        Err(Failure::Inconclusive(format!(
            "a failed attempt was answered with {got}"
        )))
    }
}

/// A request and the device's answer, the exchange ended (abandoned if it was accepted).
async fn ask(ctx: &mut Ctx, conn: &Conn) -> Result<Answer, Failure> {
    let passcode = ctx.facts().setup.passcode();
    let (mut ex, _, got) = request(ctx, conn, passcode).await?;
    if let Answer::Message(_) = got {
        abandon(&mut ex).await;
    } else {
        close_ex(&mut ex).await;
    }
    Ok(got)
}

/// Requires a `pairing-backoff` refusal whose retry-after lies in `allowed`.
fn backoff_refusal(
    got: &Answer,
    allowed: std::ops::RangeInclusive<u32>,
    expected: &str,
) -> Outcome {
    match got {
        Answer::Status(s) if s.status == Status::PAIRING_BACKOFF => check(
            s.retry_after.is_some_and(|r| allowed.contains(&r)),
            "PAIR-35",
            format!("retry-after of {expected}"),
            || format!("retry-after {:?}", s.retry_after),
        ),
        other => Err(Failure::fail(
            "PAIR-26",
            format!("pairing-backoff ({expected} left)"),
            other.to_string(),
        )),
    }
}

pub(super) fn backoff(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = backoff_body(ctx).await;
        window::clearing_after(ctx, outcome).await
    })
}

async fn backoff_body(ctx: &mut Ctx) -> Outcome {
    let conn = ctx.connect().await?;
    ctx.note("failed attempt 1: a back-off of 1 s follows [PAIR-26]");
    fail_one_attempt(ctx, &conn).await?;
    let got = ask(ctx, &conn).await?;
    backoff_refusal(&got, 1..=1, "1 s (the 1 s back-off rounded up)")?;
    tokio::time::sleep(Duration::from_secs(1) + SLACK).await;
    ctx.note("failed attempt 2, after the first back-off ended: a back-off of 2 s follows");
    let accepted = ask(ctx, &conn).await?;
    if !matches!(accepted, Answer::Message(_)) {
        return Err(Failure::fail(
            "PAIR-26",
            "a pbkdf-param-response once the 1 s back-off has passed (it ends by itself)",
            accepted.to_string(),
        ));
    }
    fail_one_attempt(ctx, &conn).await?;
    let failed_at = Instant::now();
    let got = ask(ctx, &conn).await?;
    backoff_refusal(&got, 1..=2, "at most 2 s")?;
    tokio::time::sleep(Duration::from_secs(1) + SLACK).await;
    let got = ask(ctx, &conn).await?;
    conn.close();
    if matches!(got, Answer::Message(_)) && failed_at.elapsed() >= Duration::from_millis(1900) {
        return Err(Failure::Inconclusive(
            "the suite asked too late to see the second back-off still running".into(),
        ));
    }
    backoff_refusal(&got, 1..=1, "1 s (1.15 s into the 2 s back-off)")
}

pub(super) fn deliberate_opening(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = deliberate_opening_body(ctx).await;
        window::clearing_after(ctx, outcome).await
    })
}

async fn deliberate_opening_body(ctx: &mut Ctx) -> Outcome {
    let conn = ctx.connect().await?;
    fail_one_attempt(ctx, &conn).await?;
    let refused = ask(ctx, &conn).await?;
    if refused.status() != Some(Status::PAIRING_BACKOFF) {
        return Err(Failure::Inconclusive(format!(
            "no back-off to end after a failed attempt: {refused} (pairing.backoff judges it)"
        )));
    }
    window::fresh(ctx).await?;
    let got = ask(ctx, &conn).await?;
    if !matches!(got, Answer::Message(_)) {
        conn.close();
        return Err(Failure::fail(
            "PAIR-31",
            "open-pairing-window ends the back-off: the next request is answered",
            got.to_string(),
        ));
    }
    ctx.note("one more failed attempt: with the count reset it starts a 1 s back-off, not 2 s");
    fail_one_attempt(ctx, &conn).await?;
    tokio::time::sleep(Duration::from_secs(1) + SLACK).await;
    let got = ask(ctx, &conn).await?;
    conn.close();
    check(
        matches!(got, Answer::Message(_)),
        "PAIR-27",
        "the deliberate opening reset the failed-attempt count: the next failure's back-off \
         is 1 s, so a request 1.15 s later is answered",
        || got.to_string(),
    )
}

pub(super) fn window_closed(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::close(ctx).await?;
        let conn = ctx.connect().await?;
        let got = ask(ctx, &conn).await?;
        conn.close();
        match &got {
            Answer::Status(s) if s.status == Status::PAIRING_WINDOW_CLOSED => check(
                s.retry_after.is_none(),
                "PAIR-35",
                "no retry-after with pairing-window-closed",
                || got.to_string(),
            ),
            other => Err(Failure::fail(
                "PAIR-23",
                "pairing-window-closed",
                other.to_string(),
            )),
        }
    })
}

pub(super) fn window_commands(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::close(ctx).await?;
        let outcome = window_commands_body(ctx).await;
        window::closing_after(ctx, outcome).await
    })
}

async fn window_commands_body(ctx: &mut Ctx) -> Outcome {
    let too_short = window::open(ctx, window::WINDOW_SECS - 1).await?;
    check(
        too_short == Err(Status::CONSTRAINT_ERROR),
        "ACL-11",
        "constraint-error for timeout-seconds 179",
        || format!("{too_short:?}"),
    )?;
    let conn = ctx.connect().await?;
    let got = ask(ctx, &conn).await?;
    check(
        got.status() == Some(Status::PAIRING_WINDOW_CLOSED),
        "ACL-11",
        "the refused open-pairing-window changed nothing: the window is still closed",
        || got.to_string(),
    )?;
    let opened = window::open(ctx, window::WINDOW_SECS).await?;
    check(
        opened.is_ok(),
        "ACL-11",
        "success for timeout-seconds 180 on a closed window",
        || format!("{opened:?}"),
    )?;
    let got = ask(ctx, &conn).await?;
    check(
        matches!(got, Answer::Message(_)),
        "ACL-10",
        "the window is open after success: pbkdf-param-response",
        || got.to_string(),
    )?;
    let again = window::open(ctx, window::WINDOW_SECS).await?;
    check(
        again == Err(Status::BUSY),
        "ACL-11",
        "busy for open-pairing-window while the window is open",
        || format!("{again:?}"),
    )?;
    window::close(ctx).await?;
    let got = ask(ctx, &conn).await?;
    conn.close();
    check(
        got.status() == Some(Status::PAIRING_WINDOW_CLOSED),
        "ACL-10",
        "close-pairing-window closes the window: pairing-window-closed",
        || got.to_string(),
    )
}

pub(super) fn busy(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = busy_body(ctx).await;
        window::closing_after(ctx, outcome).await
    })
}

async fn busy_body(ctx: &mut Ctx) -> Outcome {
    let passcode = ctx.facts().setup.passcode();
    let holder = ctx.connect().await?;
    let (mut held, _, first) = request_when_free(ctx, &holder, passcode).await?;
    if !matches!(first, Answer::Message(_)) {
        holder.close();
        return Err(Failure::Inconclusive(format!(
            "the first handshake was not accepted: {first}"
        )));
    }
    ctx.note("a handshake holds the device (pbkdf-param-response received); a second one asks");
    let other = ctx.connect().await?;
    let got = ask(ctx, &other).await?;
    other.close();
    abandon(&mut held).await;
    holder.close();
    match &got {
        Answer::Status(s) if s.status == Status::BUSY => check(
            s.retry_after.is_some_and(|r| (1..=10).contains(&r)),
            "PAIR-35",
            "retry-after of 1 to 10 s (the running handshake's deadline, [PAIR-33])",
            || got.to_string(),
        ),
        other => Err(Failure::fail("PAIR-24", "busy", other.to_string())),
    }
}

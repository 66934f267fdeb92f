//! Exchanges on a BLE link ([BLE-16], [BLE-18]).

use super::framing::ack;
use super::opened;
use crate::adversarial::ble::{reset_of, sdu, whole_sdu, Heard, RawLink};
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::transport::BoxFuture;
use orbit_ble::frame::Frame;
use std::time::Duration;

/// The RESETs the device sends within `within` (acknowledging every data frame), until
/// `done` holds for one of them; `Err` if the link failed or ended.
async fn resets_until(
    link: &mut RawLink,
    within: Duration,
    done: impl Fn(u16, u8) -> bool,
) -> Result<Vec<(u16, u8)>, String> {
    let mut seen = Vec::new();
    loop {
        match link.next(within).await {
            Heard::Frame(v) => match Frame::decode(&v) {
                Ok(Frame::Data(d)) => {
                    ack(link, d.seq).map_err(|e| format!("{e:?}"))?;
                    if let Some((x, code)) = whole_sdu(&v).and_then(|s| reset_of(&s)) {
                        seen.push((x, code));
                        if done(x, code) {
                            return Ok(seen);
                        }
                    }
                }
                Ok(Frame::Control(c)) => return Err(format!("control frame {c:?}")),
                _ => {}
            },
            Heard::Disconnected => return Err("a disconnect".to_owned()),
            Heard::Nothing => return Ok(seen),
        }
    }
}

pub(super) fn unknown_kind(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let (mut link, _) = opened(ctx, 16).await?;
        let wait = ctx.answer_timeout();
        for exchange in [0u16, 1] {
            link.send_sdu(
                &format!("SDU of unknown kind 9 on exchange {exchange}"),
                &sdu(exchange, 0x01, 9, &[1, 2, 3]),
                None,
            )?;
            let seen = resets_until(&mut link, wait, |x, _| x == exchange).await;
            ctx.note(format!("exchange {exchange}: {seen:?}"));
            let got = seen
                .as_ref()
                .ok()
                .and_then(|s| s.iter().find(|(x, _)| *x == exchange).copied());
            check(
                got == Some((exchange, 3)),
                "BLE-18",
                format!("RESET unknown-kind (3) on exchange {exchange}, the link going on"),
                || format!("{seen:?}"),
            )?;
        }
        // The link goes on: a keep-alive is still answered.
        link.send_ack("keep-alive", 1)?;
        let after = link.next(wait).await;
        check(
            matches!(&after, Heard::Frame(v) if matches!(Frame::decode(v), Ok(Frame::AckOnly { .. }))),
            "BLE-18",
            "the link goes on after the resets",
            || format!("{after:?}"),
        )
    })
}

pub(super) fn ninth_exchange(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let (mut link, n) = opened(ctx, 16).await?;
        if n.window < 9 {
            return Err(Failure::NotApplicable(format!(
                "the device's receive window ({}) is too small for 9 single-frame SDUs in a row",
                n.window
            )));
        }
        // Eight exchanges the suite opens and does not end (a protected message of no
        // session, without END): they stay open whatever the device answers, unless it
        // resets them.
        let garbage = [0u8; 16];
        for exchange in 0u16..8 {
            link.send_sdu(
                &format!("a protected-message SDU opening exchange {exchange} (no END)"),
                &sdu(exchange, 0, 3, &garbage),
                None,
            )?;
        }
        link.send_sdu(
            "a protected-message SDU opening a 9th exchange, 8",
            &sdu(8, 0, 3, &garbage),
            None,
        )?;
        let seen = resets_until(&mut link, ctx.answer_timeout(), |x, _| x == 8).await;
        ctx.note(format!("resets: {seen:?}"));
        let seen = seen.map_err(|what| {
            Failure::fail(
                "BLE-16",
                "RESET limit-exceeded on exchange 8, the link going on",
                what,
            )
        })?;
        if let Some((x, code)) = seen.iter().find(|(x, _)| *x < 8) {
            // A slot was freed before the 9th SDU may have been read: the observation proves
            // nothing either way.
            return Err(Failure::Inconclusive(format!(
                "the device reset exchange {x} (code {code}) itself, freeing a slot"
            )));
        }
        check(
            seen.contains(&(8, 4)),
            "BLE-16",
            "RESET limit-exceeded (4) on the 9th exchange",
            || format!("{seen:?}"),
        )?;
        // Leave nothing open: reset the eight.
        for exchange in 0u16..8 {
            let reset = orbit_ble::sdu::reset(exchange, orbit_ble::sdu::ResetCode::NO_ERROR);
            link.send_sdu("RESET no-error", &reset, None)?;
        }
        Ok(())
    })
}

pub(super) fn sdu_checks(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let (mut link, _) = opened(ctx, 16).await?;
        let wait = ctx.answer_timeout();
        // (exchange, the SDU, the rule, what it is): each is answered with RESET
        // malformed-frame (2) on its exchange, and the link goes on.
        let probes: [(u16, Vec<u8>, &'static str, &str); 3] = [
            (
                0,
                sdu(0, 0x01 | 0x04, 3, &[0]),
                "BLE-15",
                "an SDU with reserved flag bit 0x04",
            ),
            (
                1,
                sdu(1, 0x01, 3, &[]),
                "BLE-19",
                "a protected-message SDU with an empty payload",
            ),
            (
                0x8001,
                sdu(0x8001, 0x01, 3, &[0]),
                "BLE-17",
                "an SDU from the central opening exchange 0x8001 (bit 15 set)",
            ),
        ];
        for (exchange, bytes, rule, what) in probes {
            link.send_sdu(what, &bytes, None)?;
            let seen = resets_until(&mut link, wait, |x, _| x == exchange).await;
            ctx.note(format!("{what}: {seen:?}"));
            let got = seen
                .as_ref()
                .ok()
                .and_then(|s| s.iter().find(|(x, _)| *x == exchange).copied());
            check(
                got == Some((exchange, 2)),
                rule,
                format!("{what} is answered with RESET malformed-frame (2) on exchange {exchange:#06x}, the link going on"),
                || format!("{seen:?}"),
            )?;
        }
        Ok(())
    })
}

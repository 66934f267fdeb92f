//! The framing from the radio ([BLE-5]..[BLE-14], [BLE-31], [BLE-38]).

use super::{opened, raw};
use crate::adversarial::ble::{reset_of, sdu, whole_sdu, Heard, RawLink};
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::transport::BoxFuture;
use orbit_ble::frame::{Control, Frame, FLAG_ACK, FLAG_BEGIN, FLAG_CONTINUE, FLAG_END};
use std::time::Duration;

/// Longer than the ack delay (50 ms, [LIMIT-19]) with room for a loaded machine: how long
/// the suite watches for a frame the device must not send, or an ack it owes.
const WATCH: Duration = Duration::from_millis(500);

/// An SDU of a kind the spec does not define, with END: the device answers it with RESET
/// unknown-kind ([BLE-18]), one short data frame.
fn probe_sdu(exchange: u16) -> Vec<u8> {
    sdu(exchange, 0x01, 9, &[0])
}

pub(super) fn handshake(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        // Once with a small ATT MTU from the suite (the segment size must follow it), once
        // with the largest (it must follow the connection's).
        for asked in [64u16, 517] {
            let mut link = raw(ctx).await?;
            let connection_mtu = link.att_mtu();
            let n = match link.handshake(asked, 16, ctx.answer_timeout()).await? {
                Ok(n) => n,
                Err(what) => {
                    return Err(Failure::fail(
                        "BLE-12",
                        "a handshake response to a handshake request offering version 1",
                        what,
                    ))
                }
            };
            ctx.note(format!(
                "asked ATT MTU {asked} on a connection of MTU {connection_mtu}: version {}, \
                 segment size {}, window {}",
                n.version, n.segment_size, n.window
            ));
            check(
                n.version == 1,
                "BLE-12",
                "version 1, the only one offered",
                || format!("version {}", n.version),
            )?;
            let most = asked.min(connection_mtu).saturating_sub(3).clamp(20, 514);
            check(
                (20..=most).contains(&n.segment_size),
                "BLE-12",
                format!("a segment size of at most min({asked}, the device's ATT MTU) − 3 = {most}, at least 20"),
                || format!("segment size {}", n.segment_size),
            )?;
            check(
                (1..=32).contains(&n.window),
                "BLE-11",
                "a receive window of 1 to 32 frames",
                || format!("window {}", n.window),
            )?;
        }
        Ok(())
    })
}

/// What the device did after a malformed frame: the error code it sent (if any), and
/// whether it disconnected.
async fn error_then_disconnect(link: &mut RawLink, within: Duration) -> (Option<u8>, bool) {
    let mut code = None;
    loop {
        match link.next(within).await {
            Heard::Frame(v) => {
                if let Ok(Frame::Control(Control::Error { code: c })) = Frame::decode(&v) {
                    code = Some(c);
                }
            }
            Heard::Disconnected => return (code, true),
            Heard::Nothing => return (code, false),
        }
    }
}

pub(super) fn malformed_frames(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let body = probe_sdu(0);
        let len = u8::try_from(body.len()).unwrap_or(u8::MAX);
        let with_body = |head: &[u8]| {
            let mut f = head.to_vec();
            f.extend_from_slice(&body);
            f
        };
        let cases: [(&str, Vec<u8>, u8); 5] = [
            (
                "a data frame with reserved flag bit 0x10",
                with_body(&[0x10 | FLAG_BEGIN | FLAG_END, 0, 0, len]),
                2,
            ),
            (
                "a data frame with both B and C",
                with_body(&[FLAG_BEGIN | FLAG_CONTINUE | FLAG_END, 0, 0, len]),
                3,
            ),
            (
                "a B|E data frame with no segment byte",
                vec![FLAG_BEGIN | FLAG_END, 0, 0, 1],
                4,
            ),
            (
                "a first data frame numbered 7 instead of 0",
                with_body(&[FLAG_BEGIN | FLAG_END, 7, 0, len]),
                9,
            ),
            (
                "a B frame stating an SDU of 65535 bytes (the limit is 16388)",
                vec![FLAG_BEGIN, 0, 0xff, 0xff, 0],
                14,
            ),
        ];
        for (what, frame, expected) in cases {
            let (mut link, _) = opened(ctx, 16).await?;
            link.write(what, &frame)?;
            let (code, gone) = error_then_disconnect(&mut link, ctx.answer_timeout()).await;
            ctx.note(format!("{what}: error code {code:?}, disconnected: {gone}"));
            match code {
                Some(c) => check(
                    c == expected,
                    "BLE-9",
                    format!("{what} fails the link with error code {expected}"),
                    || format!("error code {c}"),
                )?,
                None => {
                    return Err(Failure::fail(
                        "BLE-10",
                        format!("{what} is answered with an error control frame (code {expected})"),
                        if gone {
                            "a disconnect without an error frame".to_owned()
                        } else {
                            "no error frame".to_owned()
                        },
                    ))
                }
            }
            check(
                gone,
                "BLE-10",
                format!("the device disconnects after the error frame for {what}"),
                || {
                    format!(
                        "the connection was still up {:?} after the error frame",
                        ctx.answer_timeout()
                    )
                },
            )?;
        }
        Ok(())
    })
}

/// Reads frames until a data frame arrives (returned with its decoded seq), noting acks.
async fn next_data(
    link: &mut RawLink,
    within: Duration,
    acks: &mut Vec<u8>,
) -> Option<(u8, Vec<u8>)> {
    loop {
        match link.next(within).await {
            Heard::Frame(v) => match Frame::decode(&v) {
                Ok(Frame::Data(d)) => {
                    acks.extend(d.ack);
                    return Some((d.seq, v.clone()));
                }
                Ok(Frame::AckOnly { ack }) => acks.push(ack),
                _ => {}
            },
            Heard::Disconnected | Heard::Nothing => return None,
        }
    }
}

pub(super) fn window_of_one(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let (mut link, _) = opened(ctx, 1).await?;
        let wait = ctx.answer_timeout();
        let mut acks = Vec::new();
        link.send_sdu("SDU of unknown kind 9 on exchange 0", &probe_sdu(0), None)?;
        let Some((0, first)) = next_data(&mut link, wait, &mut acks).await else {
            return Err(Failure::fail(
                "BLE-18",
                "RESET unknown-kind on exchange 0, in data frame 0",
                "no data frame 0",
            ));
        };
        ctx.note(format!("first answer: {}", hex::encode(&first)));
        // The suite's window (1) is now full; it does not acknowledge frame 0 yet.
        link.send_sdu("SDU of unknown kind 9 on exchange 1", &probe_sdu(1), None)?;
        let mut acks_after = Vec::new();
        let early = next_data(&mut link, WATCH, &mut acks_after).await;
        if let Some((seq, v)) = early {
            return Err(Failure::fail(
                "BLE-7",
                "no second data frame while the suite's window of 1 holds an unacknowledged one",
                format!("data frame {seq}: {}", hex::encode(v)),
            ));
        }
        check(acks_after.contains(&1) || acks.contains(&1), "BLE-8", "an acknowledgement of the suite's frame 1 within the ack delay, in an ack-only frame (the window is full)", || {
            format!("acks seen: {acks:?} then {acks_after:?}")
        })?;
        link.send_ack("ack-only: acknowledges the device's frame 0", 0)?;
        let mut rest = Vec::new();
        match next_data(&mut link, wait, &mut rest).await {
            Some((1, v)) => {
                let reset = whole_sdu(&v).and_then(|s| reset_of(&s));
                check(
                    reset == Some((1, 3)),
                    "BLE-18",
                    "RESET unknown-kind (3) on exchange 1",
                    || hex::encode(&v),
                )?;
                link.send_ack("ack-only: acknowledges frame 1", 1)?;
                Ok(())
            }
            other => Err(Failure::fail(
                "BLE-18",
                "once the window opens, RESET unknown-kind on exchange 1 in data frame 1",
                format!("{other:?}"),
            )),
        }
    })
}

pub(super) fn keep_alive(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let (mut link, _) = opened(ctx, 16).await?;
        for round in 0..2 {
            // Nothing received yet: the implicit last ack is 255 [BLE-6].
            link.send_ack("keep-alive: ack-only frame repeating ack 255", 255)?;
            let answer = link.next(ctx.answer_timeout()).await;
            let answered = matches!(&answer, Heard::Frame(v) if matches!(Frame::decode(v), Ok(Frame::AckOnly { .. })));
            check(
                answered,
                "BLE-38",
                "an ack-only frame answering the keep-alive",
                || format!("keep-alive {}: {answer:?}", round + 1),
            )?;
        }
        Ok(())
    })
}

pub(super) fn close(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let (mut link, _) = opened(ctx, 16).await?;
        link.send_sdu("SDU of unknown kind 9 on exchange 0", &probe_sdu(0), None)?;
        link.write("close", &Frame::Control(Control::Close).encode())?;
        let mut reset_seen = false;
        loop {
            match link.next(ctx.answer_timeout()).await {
                Heard::Frame(v) => match Frame::decode(&v) {
                    Ok(Frame::Data(d)) => {
                        // Both sides keep acknowledging during the close [BLE-14].
                        link.send_ack("ack-only", d.seq)?;
                        reset_seen |= whole_sdu(&v)
                            .and_then(|s| reset_of(&s))
                            .is_some_and(|(x, _)| x == 0);
                    }
                    Ok(Frame::Control(Control::CloseAck)) => {
                        return check(
                            reset_seen,
                            "BLE-14",
                            "the RESET of exchange 0 the device had to send, before close-ack",
                            || "close-ack with nothing sent before it".to_owned(),
                        );
                    }
                    _ => {}
                },
                other => {
                    return Err(Failure::fail(
                        "BLE-14",
                        "close-ack after the SDUs the device had queued",
                        format!("{other:?} before any close-ack"),
                    ))
                }
            }
        }
    })
}

/// The suite acknowledges `seq` so the device may go on.
pub(super) fn ack(link: &RawLink, seq: u8) -> Result<(), Failure> {
    link.write("ack-only", &[FLAG_ACK, seq])
        .map_err(Failure::from)
}

/// The unauthenticated deadline of [LIMIT-10].
const NO_SESSION_DEADLINE: Duration = Duration::from_secs(10);

/// Margin for a loaded machine and the radio beyond the deadline.
const DEADLINE_MARGIN: Duration = Duration::from_secs(3);

pub(super) fn no_session_deadline(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let (mut link, _) = opened(ctx, 16).await?;
        let opened_at = std::time::Instant::now();
        // Nothing more is sent: no pairing, no session, no protected message. A device may
        // end the link with a close [BLE-14]: the suite answers it as an honest central does,
        // and the disconnect follows.
        loop {
            let left = (NO_SESSION_DEADLINE + DEADLINE_MARGIN).saturating_sub(opened_at.elapsed());
            match link.next(left).await {
                Heard::Frame(v) => {
                    if let Ok(Frame::Control(Control::Close)) = Frame::decode(&v) {
                        ctx.note(format!(
                            "the device sent close {:?} after the link opened",
                            opened_at.elapsed()
                        ));
                        link.write("close-ack", &Frame::Control(Control::CloseAck).encode())?;
                    }
                }
                Heard::Disconnected => {
                    ctx.note(format!(
                        "the device disconnected {:?} after the link opened",
                        opened_at.elapsed()
                    ));
                    return Ok(());
                }
                Heard::Nothing => {
                    return Err(Failure::fail(
                        "BLE-37",
                        format!(
                            "a link with no session disconnected within the unauthenticated \
                             deadline ({NO_SESSION_DEADLINE:?}, [LIMIT-10])"
                        ),
                        format!("still connected after {:?}", opened_at.elapsed()),
                    ))
                }
            }
        }
    })
}

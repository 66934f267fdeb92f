//! The replay window `[MSG-12]`: counters that jump ahead, records out of order inside the
//! window (up to 1023 behind the highest) and outside it (1024 behind), and a forgery that
//! must not move it `[MSG-13]`.

use super::{
    expect_dropped, expect_served, forged_probe, in_admin_session, probe, probe_served,
    still_served,
};
use crate::adversarial::protection::jump_counter;
use crate::case::{Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Session;
use crate::transport::BoxFuture;

/// The window's size `[MSG-12]`.
const W: u64 = 1024;

fn next(session: &mut Session) -> u64 {
    session.protector().next_send_counter().unwrap_or(0)
}

fn jump(session: &mut Session, to: u64, ctx: &mut Ctx) -> Result<(), Failure> {
    ctx.note(format!("the suite's send counter jumps to {to}"));
    jump_counter(session, to, ctx.rng()).map_err(Failure::Inconclusive)
}

pub(super) fn counter_far_ahead(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(in_admin_session(ctx, async |s, ctx| {
        probe_served(s, "read-request", "MSG-12", "a first record").await?;
        let far = next(s) + (1 << 40);
        jump(s, far, ctx)?;
        probe_served(
            s,
            "read-request 2^40 counters ahead",
            "MSG-12",
            "a counter above the highest accepted",
        )
        .await?;
        still_served(s, "MSG-12").await
    }))
}

pub(super) fn reorder_inside_window(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(in_admin_session(ctx, async |s, ctx| {
        // Three records sent in the order 3, 1, 2.
        let a = probe(s, "read-request A")?;
        let b = probe(s, "read-request B")?;
        let c = probe(s, "read-request C")?;
        for (label, (no, record)) in [("C (first)", &c), ("A", &a), ("B", &b)] {
            expect_served(
                s,
                label,
                record,
                *no,
                "MSG-12",
                "a record out of order inside the window",
            )
            .await?;
        }
        // One held back while the counter moves 1023 ahead: still inside the window.
        let (held_no, held) = probe(s, "read-request held back")?;
        let held_at = next(s) - 1;
        jump(s, held_at + W - 1, ctx)?;
        probe_served(
            s,
            "read-request 1023 ahead",
            "MSG-12",
            "the highest counter so far",
        )
        .await?;
        expect_served(
            s,
            "the held-back record, 1023 behind",
            &held,
            held_no,
            "MSG-12",
            "a record 1023 counters behind the highest (H - c < 1024)",
        )
        .await
    }))
}

pub(super) fn older_than_window(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(in_admin_session(ctx, async |s, ctx| {
        let (_, held) = probe(s, "read-request held back")?;
        let held_at = next(s) - 1;
        jump(s, held_at + W, ctx)?;
        probe_served(
            s,
            "read-request 1024 ahead",
            "MSG-12",
            "the highest counter so far",
        )
        .await?;
        expect_dropped(
            s,
            "the held-back record, 1024 behind",
            &held,
            "MSG-12",
            "a record 1024 counters behind the highest (H - c >= 1024, too old)",
        )
        .await?;
        still_served(s, "MSG-18").await
    }))
}

pub(super) fn forged_far_ahead(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(in_admin_session(ctx, async |s, ctx| {
        probe_served(s, "read-request", "MSG-13", "a first record").await?;
        // A forgery 5000 ahead: were it recorded, the next honest counter would be too old.
        let peer = s.protector().peer_session_id();
        let at = next(s) + 5 * W;
        let forged = forged_probe(s, peer, at, ctx)?;
        expect_dropped(
            s,
            "forged read-request 5120 counters ahead",
            &forged,
            "MSG-18",
            "a record that fails authentication",
        )
        .await?;
        still_served(s, "MSG-13").await
    }))
}

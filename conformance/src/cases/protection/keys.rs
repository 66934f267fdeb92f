//! Key updates `[MSG-14]`..`[MSG-17]`: the suite's send side moves to new generations (one
//! message each, as [MSG-15] allows), skips generations, and sends records of old ones late.

use super::{expect_dropped, expect_served, in_admin_session, probe, probe_served, still_served};
use crate::case::{Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Session;
use crate::transport::BoxFuture;

/// Seals the next probe under a new generation; returns it with its generation.
fn updated(session: &mut Session, ctx: &Ctx) -> Result<(u32, Vec<u8>, u64), Failure> {
    session.protector().request_key_update();
    let (no, record) = probe(session, "read-request under a new key")?;
    let generation = session.protector().send_generation();
    ctx.note(format!(
        "sealed under generation {generation} (key phase {})",
        generation % 4
    ));
    Ok((no, record, generation))
}

async fn first(session: &mut Session) -> Outcome {
    probe_served(
        session,
        "read-request",
        "MSG-16",
        "a first record under generation 0",
    )
    .await
}

pub(super) fn key_update(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(in_admin_session(ctx, async |s, ctx| {
        first(s).await?;
        // Five updates: key phases 1, 2, 3, 0, 1.
        for _ in 0..5 {
            let (no, record, generation) = updated(s, ctx)?;
            expect_served(
                s,
                &format!("read-request, generation {generation}"),
                &record,
                no,
                "MSG-16",
                &format!(
                    "the first record of generation {generation} (key phase {})",
                    generation % 4
                ),
            )
            .await?;
        }
        Ok(())
    }))
}

pub(super) fn skipped_generations(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(in_admin_session(ctx, async |s, ctx| {
        first(s).await?;
        // Generations 1 and 2 each seal one record that is never sent (lost).
        for _ in 0..2 {
            let _lost = updated(s, ctx)?;
        }
        let (no, record, generation) = updated(s, ctx)?;
        expect_served(
            s,
            "read-request, generation 3",
            &record,
            no,
            "MSG-16",
            &format!("a record of generation {generation} after two generations were lost (d = 3)"),
        )
        .await
    }))
}

pub(super) fn late_previous_generation(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(in_admin_session(ctx, async |s, ctx| {
        first(s).await?;
        let (held_no, held) = probe(s, "read-request held back (generation 0)")?;
        let (no, record, _) = updated(s, ctx)?;
        expect_served(
            s,
            "read-request, generation 1",
            &record,
            no,
            "MSG-16",
            "the first record of generation 1",
        )
        .await?;
        expect_served(
            s,
            "the held-back record of generation 0",
            &held,
            held_no,
            "MSG-17",
            "a late record of the previous generation, inside the window (its key is kept while L < s)",
        )
        .await
    }))
}

pub(super) fn generation_too_old(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(in_admin_session(ctx, async |s, ctx| {
        first(s).await?;
        let (_, held) = probe(s, "read-request held back (generation 0)")?;
        for _ in 0..2 {
            let (no, record, generation) = updated(s, ctx)?;
            expect_served(
                s,
                &format!("read-request, generation {generation}"),
                &record,
                no,
                "MSG-16",
                &format!("the first record of generation {generation}"),
            )
            .await?;
        }
        expect_dropped(
            s,
            "the held-back record of generation 0",
            &held,
            "MSG-17",
            "a record two generations old (no generation older than the previous one is kept)",
        )
        .await?;
        still_served(s, "MSG-18").await
    }))
}

//! Whole-request rules: how the entries of one write combine (independent, or atomic), the
//! path limit, and the subscription limit (13-interaction §13.3, §13.8). They use
//! `basic-information.node-label`, which every device has and lets an administrator write
//! `[DM-3]`, and put its value back.

use super::reads::{read, read_one};
use super::subscriptions::{granted, node_label, unsubscribe};
use super::wire;
use super::writes::write;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Session;
use crate::transport::BoxFuture;
use orbit_core::interaction::{ClientEvent, Message, ReadRequest, WriteRequest};
use orbit_core::model::Data;
use orbit_core::status::Status;

/// A node-label longer than its 32 bytes: `constraint-error` `[DM-14]`.
fn too_long() -> Data {
    Data::Text("x".repeat(33))
}

fn text(t: &str) -> Data {
    Data::Text(t.to_owned())
}

async fn statuses(
    s: &mut Session,
    request: WriteRequest,
    rule: &'static str,
) -> Result<Vec<Status>, Failure> {
    match s.write(request).await {
        Ok(ClientEvent::Written { statuses, .. }) => {
            Ok(statuses.iter().map(|p| p.status).collect())
        }
        Ok(other) => Err(Failure::fail(
            rule,
            "a write-response",
            format!("{other:?}"),
        )),
        Err(e) => Err(Failure::fail(rule, "a write-response", e)),
    }
}

/// `data-model.write-entries`: the entries of a write apply in order and independently (a
/// refused one does not stop later ones; a later one for the same attribute overwrites)
/// `[IM-22]`; an atomic write applies all or nothing, answering the failed entry's status and
/// `aborted` for the others `[IM-24]`.
pub(crate) fn entries(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let label = node_label();
        let mut s = ctx.admin_session().await?;
        let original = read_one(&mut s, label, "IM-22").await?;
        let outcome = async {
            let st = statuses(
                &mut s,
                WriteRequest::new(vec![
                    (label, text("oc-a")),
                    (label, too_long()),
                    (label, text("oc-b")),
                ]),
                "IM-22",
            )
            .await?;
            let now = read_one(&mut s, label, "IM-22").await?;
            check(
                st == [Status::SUCCESS, Status::CONSTRAINT_ERROR, Status::SUCCESS]
                    && now == text("oc-b"),
                "IM-22",
                "success, constraint-error, success, and the last entry's value",
                || format!("{st:?}, node-label {now:?}"),
            )?;
            let st = statuses(
                &mut s,
                WriteRequest::new(vec![(label, text("oc-c")), (label, too_long())]).atomic(),
                "IM-24",
            )
            .await?;
            let now = read_one(&mut s, label, "IM-24").await?;
            check(
                st == [Status::ABORTED, Status::CONSTRAINT_ERROR] && now == text("oc-b"),
                "IM-24",
                "an atomic write with a failing entry: aborted, constraint-error, nothing applied",
                || format!("{st:?}, node-label {now:?}"),
            )?;
            let st = statuses(
                &mut s,
                WriteRequest::new(vec![(label, text("oc-d")), (label, text("oc-e"))]).atomic(),
                "IM-24",
            )
            .await?;
            let now = read_one(&mut s, label, "IM-24").await?;
            check(
                st == [Status::SUCCESS, Status::SUCCESS] && now == text("oc-e"),
                "IM-24",
                "an atomic write whose entries all pass: success for each, applied in order",
                || format!("{st:?}, node-label {now:?}"),
            )
        }
        .await;
        let back = write(&mut s, vec![(label, original)], false, "IM-22").await;
        s.conn().close();
        outcome?;
        check(
            matches!(back.as_deref(), Ok([st]) if *st == Status::SUCCESS),
            "IM-22",
            "node-label restored",
            || format!("{back:?}"),
        )
    })
}

/// `data-model.path-limit`: a read with as many paths as the descriptor's limit is
/// answered; one more is `status-response` `resource-exhausted` `[IM-80]`, `[DM-43]`.
pub(crate) fn path_limit(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let limit = ctx.facts().descriptor.limits.max_paths_per_request as usize;
        let mut s = ctx.admin_session().await?;
        let got = read(&mut s, vec![node_label().path(); limit], "IM-80").await?;
        check(
            !got.is_empty(),
            "IM-80",
            format!("a report for a read of {limit} paths (the stated limit)"),
            || format!("{got:?}"),
        )?;
        // One path more, if the message still fits the 128 entries of an array [IM-4].
        if limit + 1 > 128 {
            s.conn().close();
            ctx.note(format!(
                "stated limit {limit}: one more path does not fit a message"
            ));
            return Ok(());
        }
        let (exchange, a) = wire::request(
            &mut s,
            "read-request over the path limit",
            Message::ReadRequest(ReadRequest {
                attributes: vec![node_label().path(); limit + 1],
                events: Vec::new(),
                event_min: None,
            }),
        )
        .await?;
        s.conn().close();
        check(
            a.status_response() == Some((exchange, Status::RESOURCE_EXHAUSTED)),
            "IM-80",
            format!("resource-exhausted for {} paths", limit + 1),
            || a.describe(),
        )
    })
}

/// `data-model.subscription-limit`: a session gets as many subscriptions as the descriptor
/// states, each with its own ID `[IM-61]`; one more is `resource-exhausted`, and the
/// existing ones are unaffected `[IM-81]`, `[DM-43]`.
pub(crate) fn subscription_limit(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let limit = ctx.facts().descriptor.limits.max_subscriptions_per_session;
        if limit > 16 {
            return Err(Failure::NotApplicable(format!("the stated limit {limit} per session is above the 16 per home a session may also meet")));
        }
        let mut s = ctx.admin_session().await?;
        let mut ids = Vec::new();
        let mut outcome = Ok(());
        for _ in 0..limit {
            match granted(&mut s, 0, 60).await {
                Ok(g) => ids.push(g.id),
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        if outcome.is_ok() {
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            sorted.dedup();
            outcome = check(
                sorted.len() == ids.len(),
                "IM-61",
                "a distinct ID for each live subscription",
                || format!("{ids:?}"),
            );
        }
        if outcome.is_ok() {
            let (exchange, a) = wire::request(
                &mut s,
                "subscribe-request over the limit",
                super::subscriptions::subscribe(0, 60),
            )
            .await?;
            outcome = check(
                a.status_response() == Some((exchange, Status::RESOURCE_EXHAUSTED)),
                "IM-81",
                format!(
                    "resource-exhausted for subscription {} of a session",
                    limit + 1
                ),
                || a.describe(),
            );
        }
        for id in &ids {
            let a = unsubscribe(&mut s, *id).await?;
            if outcome.is_ok() {
                outcome = check(
                    matches!(a.status_response(), Some((_, st)) if st == Status::SUCCESS),
                    "IM-81",
                    format!("subscription {id} still live after the refused one"),
                    || a.describe(),
                );
            }
        }
        s.conn().close();
        ctx.note(format!("{} subscriptions: {ids:?}", ids.len()));
        outcome
    })
}

//! SIGMA sessions and resumption (06-sessions).

use crate::case::{always, check, Case, CaseInfo, Failure, Group, Outcome};
use crate::context::Ctx;
use crate::transport::BoxFuture;
use crate::verdict::Level;

/// The session cases.
pub(crate) const CASES: &[Case] = &[Case {
    info: CaseInfo {
        id: "sessions.establish",
        title: "A member of the device's home establishes a session and reads the descriptor in it",
        group: Group::Sessions,
        spec_ids: &["SESS-1", "IM-70"],
        level: Level::Must,
    },
    applies: always,
    run: establish,
    check_state_after: false,
}];

fn establish(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let conn = ctx.connect().await?;
        let admin = ctx.admin().await;
        let mut session = ctx.session_as(&conn, &admin).await.map_err(|e| {
            Failure::fail(
                "SESS-1",
                "the device accepts a session from a member of its home",
                e.to_string(),
            )
        })?;
        let described = session.describe().await;
        conn.close();
        let (descriptor, ..) = described.map_err(|e| {
            Failure::fail(
                "IM-70",
                "the device answers describe-request in a session",
                e,
            )
        })?;
        let probed = &ctx.facts().descriptor;
        check(
            &descriptor == probed,
            "IM-70",
            "the same descriptor as read after pairing",
            || format!("{descriptor:?}"),
        )
    })
}

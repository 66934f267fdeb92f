//! Across a power cycle (the operator's power-cycle hook): what the device acknowledged is
//! kept, event numbers keep growing, the descriptor and its endpoint numbers stay
//! `[DM-65]`, `[IM-50]`, `[DM-45]`, `[DM-2]`. Without the hook the case does not apply.

use super::acl::{entry, read_acl, write_acl};
use super::reads::read_one;
use super::subscriptions::node_label;
use super::writes::write;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::SessionOpenError;
use crate::hooks::Step;
use crate::transport::BoxFuture;
use orbit_core::interaction::{ClientEvent, EventPath, ReadRequest};
use orbit_core::model::{Data, Privilege};
use orbit_core::status::Status;

async fn last_event(s: &mut crate::controller::Session) -> Result<u64, Failure> {
    let request = ReadRequest {
        attributes: Vec::new(),
        events: vec![EventPath::ALL],
        event_min: None,
    };
    match s.read(request).await {
        Ok(ClientEvent::ReadDone { events, .. }) => Ok(events.last().map_or(0, |e| e.number)),
        other => Err(Failure::fail(
            "IM-50",
            "the buffered events",
            format!("{other:?}"),
        )),
    }
}

/// `data-model.restart`.
pub(crate) fn restart(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let home = ctx.home().await.home_id();
        let written = Data::Text(format!("oc-{:08x}", ctx.seed() & 0xffff_ffff));
        let mut s = ctx.admin_session().await?;
        let original = read_one(&mut s, node_label(), "DM-65").await?;
        let st = write(
            &mut s,
            vec![(node_label(), written.clone())],
            false,
            "DM-65",
        )
        .await?;
        check(
            st == [Status::SUCCESS],
            "DM-65",
            "the write of node-label succeeds",
            || format!("{st:?}"),
        )?;
        let acl = read_acl(&mut s, "DM-65").await?;
        let last = last_event(&mut s).await?;
        if let Err(e) = ctx.hook(Step::PowerCycle).await {
            // No hook (or it failed): put node-label back on the session still open.
            let _ = write(&mut s, vec![(node_label(), original)], false, "DM-65").await;
            s.conn().close();
            return Err(e);
        }
        s.conn().close();
        // The home is kept: a device that refuses the administrator now forgot it.
        let conn = ctx.connect().await?;
        let admin = ctx.admin().await;
        let mut s = match ctx.session_as(&conn, &admin).await {
            Ok(s) => s,
            Err(SessionOpenError::Status(st)) => {
                return Err(Failure::fail(
                    "DM-65",
                    "a session for the administrator of the home installed before the restart",
                    format!("session-status {st}"),
                ))
            }
            Err(e) => {
                return Err(Failure::Inconclusive(format!(
                    "the administrator's session after the restart: {e}"
                )))
            }
        };
        let outcome = async {
            let now = read_one(&mut s, node_label(), "DM-65").await?;
            check(
                now == written,
                "DM-65",
                format!("node-label {written:?}, acknowledged before the restart"),
                || format!("{now:?}"),
            )?;
            let now = read_acl(&mut s, "DM-65").await?;
            check(now == acl, "DM-65", "the acl as before the restart", || {
                format!("{now:?}")
            })?;
            let (d, ..) = s
                .describe()
                .await
                .map_err(|e| Failure::fail("DM-45", "the descriptor after the restart", e))?;
            let before = &ctx.facts().descriptor;
            check(
                d.revision != before.revision || d == *before,
                "DM-45",
                "the same content under the same revision",
                || format!("{d:?}"),
            )?;
            let numbers = |x: &orbit_core::model::Descriptor| {
                x.endpoints.iter().map(|e| e.id.0).collect::<Vec<_>>()
            };
            check(
                numbers(&d) == numbers(before),
                "DM-2",
                format!(
                    "the same endpoint numbers after a restart: {:?}",
                    numbers(before)
                ),
                || format!("{:?}", numbers(&d)),
            )?;
            // One event more: numbered above every event before the restart.
            let mut grown = acl.clone();
            grown.push(entry(home, 0x7e57_4000, Privilege::View, None));
            write_acl(&mut s, grown, "IM-50").await?;
            write_acl(&mut s, acl.clone(), "IM-50").await?;
            let after = last_event(&mut s).await?;
            check(
                after > last,
                "IM-50",
                format!("events after the restart numbered above {last}"),
                || after.to_string(),
            )
        }
        .await;
        let _ = write(&mut s, vec![(node_label(), original)], false, "DM-65").await;
        s.conn().close();
        outcome
    })
}

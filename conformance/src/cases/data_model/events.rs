//! Events: numbered in strictly increasing order, with the schema's priority and fields,
//! filtered by `event_min` (13-interaction §13.6). Every device has `access-control`, whose
//! `acl` writes record `access-changed` `[ACL-8]`, so the case can always cause events.

use super::acl::{entry, read_acl, write_acl};
use super::schema::schema_of;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Session;
use crate::transport::BoxFuture;
use orbit_core::interaction::{ClientEvent, EventPath, EventRecord, ReadRequest};
use orbit_core::model::{std_caps, Data, Privilege};
use orbit_core::status::Status;

async fn read_events(
    s: &mut Session,
    paths: Vec<EventPath>,
    event_min: Option<u64>,
) -> Result<Vec<EventRecord>, Failure> {
    let request = ReadRequest {
        attributes: Vec::new(),
        events: paths,
        event_min,
    };
    match s.read(request).await {
        Ok(ClientEvent::ReadDone { events, .. }) => Ok(events),
        Ok(other) => Err(Failure::fail(
            "IM-20",
            "a report with the buffered events",
            format!("{other:?}"),
        )),
        Err(e) => Err(Failure::fail(
            "IM-20",
            "a report with the buffered events",
            e,
        )),
    }
}

/// Checks what every record must be: strictly ascending numbers, an event the descriptor
/// lists, the schema's priority, fields that fit.
fn check_records(ctx: &Ctx, records: &[EventRecord]) -> Outcome {
    check(
        records.is_sorted_by(|a, b| a.number < b.number),
        "IM-15",
        "event records in strictly ascending number",
        || format!("{:?}", records.iter().map(|r| r.number).collect::<Vec<_>>()),
    )?;
    for r in records {
        check(r.number >= 1, "IM-50", "event numbers start at 1", || {
            r.number.to_string()
        })?;
        let listed = ctx
            .facts()
            .descriptor
            .endpoint(r.endpoint)
            .and_then(|e| e.capabilities.iter().find(|c| c.id == r.capability))
            .is_some_and(|c| c.events.contains(&r.event));
        check(listed, "DM-42", "only events the descriptor lists", || {
            format!("{r:?}")
        })?;
        let Some(schema) =
            schema_of(ctx.facts(), r.capability).and_then(|s| s.event(r.event).cloned())
        else {
            continue;
        };
        check(
            r.priority == schema.priority,
            "IM-51",
            format!("{}'s priority {:?}", schema.name, schema.priority),
            || format!("{:?}", r.priority),
        )?;
        orbit_core::model::check_fields(&schema.fields, &r.fields).map_err(|e| {
            Failure::fail(
                "DM-14",
                format!("{}'s fields fit its schema", schema.name),
                format!("{:?}: {e}", r.fields),
            )
        })?;
    }
    Ok(())
}

/// `data-model.events`: the buffered events come in strictly ascending number with their
/// schema's priority and fields `[IM-15]`, `[IM-51]`; two `acl` writes (an entry added, then
/// removed) record `access-changed` `added` then `removed` for that subject `[ACL-8]`, numbered
/// above every earlier event `[IM-50]`; `event_min` returns only events numbered at least it,
/// and a concrete event path only that event `[IM-20]`. The ACL is restored.
pub(crate) fn ordered(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let home = ctx.home().await.home_id();
        let mut s = ctx.admin_session().await?;
        let all = vec![EventPath::ALL];
        let earlier = read_events(&mut s, all.clone(), None).await?;
        check_records(ctx, &earlier)?;
        let last = earlier.last().map_or(0, |r| r.number);
        let original = read_acl(&mut s, "ACL-8").await?;
        let subjects: Vec<u64> = original
            .iter()
            .filter_map(|e| e.field(1).and_then(Data::as_u64))
            .collect();
        let subject = (0x7e57_0000u64..)
            .find(|n| !subjects.contains(n))
            .unwrap_or(0x7e57_0000);
        let mut grown = original.clone();
        grown.push(entry(home, subject, Privilege::View, None));
        let added = write_acl(&mut s, grown, "ACL-8").await?;
        let removed = write_acl(&mut s, original.clone(), "ACL-8").await?;
        check(
            added == Status::SUCCESS && removed == Status::SUCCESS,
            "ACL-8",
            "both acl writes succeed",
            || format!("{added}, {removed}"),
        )?;
        let newer = read_events(&mut s, all, Some(last + 1)).await?;
        check_records(ctx, &newer)?;
        check(
            newer.iter().all(|r| r.number > last),
            "IM-20",
            format!("only events numbered at least {}", last + 1),
            || format!("{:?}", newer.iter().map(|r| r.number).collect::<Vec<_>>()),
        )?;
        use std_caps::access_control::{
            events::access_changed_fields as f, events::ACCESS_CHANGED, ID,
        };
        let ours: Vec<&EventRecord> = newer
            .iter()
            .filter(|r| {
                r.capability == ID
                    && r.event == ACCESS_CHANGED
                    && r.fields.field(f::SUBJECT.0) == Some(&Data::Uint(subject))
            })
            .collect();
        let changes: Vec<Option<u64>> = ours
            .iter()
            .map(|r| r.fields.field(f::CHANGE.0).and_then(Data::as_u64))
            .collect();
        check(
            changes
                == [
                    Some(f::change_values::ADDED.into()),
                    Some(f::change_values::REMOVED.into()),
                ]
                && ours
                    .iter()
                    .all(|r| r.fields.field(f::HOME_ID.0) == Some(&Data::Uint(home))),
            "ACL-8",
            format!("access-changed added then removed for subject {subject:#x} of home {home:#x}"),
            || format!("{ours:?}"),
        )?;
        let first = ours.first().map_or(last + 1, |r| r.number);
        let only = read_events(
            &mut s,
            vec![EventPath {
                endpoint: ours.first().map(|r| r.endpoint),
                capability: Some(ID),
                event: Some(ACCESS_CHANGED),
            }],
            Some(first + 1),
        )
        .await?;
        s.conn().close();
        check(
            only.iter().all(|r| r.capability == ID && r.event == ACCESS_CHANGED && r.number > first)
                && only.iter().any(|r| Some(r.number) == ours.get(1).map(|o| o.number)),
            "IM-20",
            format!("a concrete event path with event_min {}: only access-changed from there, the removal included", first + 1),
            || format!("{only:?}"),
        )?;
        ctx.note(format!(
            "{} earlier events; access-changed numbered {:?}",
            earlier.len(),
            ours.iter().map(|r| r.number).collect::<Vec<_>>()
        ));
        Ok(())
    })
}

/// `data-model.event-buffer`: after 64 events more (32 `acl` writes that add an entry and 32
/// that remove it, each recording `access-changed` `[ACL-8]`), a read of every event returns
/// at least 64, in strictly ascending number `[IM-52]`, `[IM-15]`. The ACL is restored.
pub(crate) fn buffer(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let home = ctx.home().await.home_id();
        let mut s = ctx.admin_session().await?;
        let original = read_acl(&mut s, "ACL-8").await?;
        let subject = 0x7e57_3000u64;
        let mut grown = original.clone();
        grown.push(entry(home, subject, Privilege::View, None));
        let mut outcome = Ok(());
        for _ in 0..32 {
            for list in [&grown, &original] {
                let st = write_acl(&mut s, list.clone(), "ACL-8").await?;
                if st != Status::SUCCESS && outcome.is_ok() {
                    outcome = Err(Failure::fail(
                        "ACL-8",
                        "the acl writes succeed",
                        st.to_string(),
                    ));
                }
            }
            if outcome.is_err() {
                break;
            }
        }
        let now = read_acl(&mut s, "ACL-8").await?;
        if now != original {
            let _ = write_acl(&mut s, original.clone(), "ACL-8").await;
        }
        outcome?;
        let all = read_events(&mut s, vec![EventPath::ALL], None).await?;
        s.conn().close();
        check(
            all.is_sorted_by(|a, b| a.number < b.number),
            "IM-15",
            "event records in strictly ascending number",
            || format!("{:?}", all.iter().map(|r| r.number).collect::<Vec<_>>()),
        )?;
        ctx.note(format!(
            "{} events buffered, numbered {:?}..={:?}",
            all.len(),
            all.first().map(|r| r.number),
            all.last().map(|r| r.number)
        ));
        check(
            all.len() >= 64,
            "IM-52",
            "at least 64 events buffered",
            || format!("{} events", all.len()),
        )
    })
}

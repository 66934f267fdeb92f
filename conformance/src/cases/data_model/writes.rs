//! Writes: validated in the order the spec gives (access, timing, shape, constraints), a
//! refused entry changes nothing, and an accepted write is read back (13-interaction §13.3,
//! 12-data-model §12.3). Every value changed is restored.

use super::reads::{read, read_one};
use super::schema::{
    alternatives, declared_attributes, out_of_range, sample, wrong_shape, Declared,
};
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Session;
use crate::transport::BoxFuture;
use orbit_core::interaction::{ClientEvent, ConcreteAttribute, WriteRequest};
use orbit_core::model::{std_caps, CapabilityId, Data};
use orbit_core::status::Status;
use std::collections::BTreeMap;

/// Writes `entries` (timed when `timed`) and returns one status per entry, or a failure of
/// `rule`.
pub(crate) async fn write(
    s: &mut Session,
    entries: Vec<(ConcreteAttribute, Data)>,
    timed: bool,
    rule: &'static str,
) -> Result<Vec<Status>, Failure> {
    let n = entries.len();
    let mut request = WriteRequest::new(entries);
    request.timed = timed;
    match s.write(request).await {
        Ok(ClientEvent::Written { statuses, .. }) if statuses.len() == n => {
            Ok(statuses.iter().map(|p| p.status).collect())
        }
        Ok(other) => Err(Failure::fail(
            rule,
            format!("a write-response with {n} statuses"),
            format!("{other:?}"),
        )),
        Err(e) => Err(Failure::fail(
            rule,
            format!("a write-response with {n} statuses"),
            e,
        )),
    }
}

/// The attributes the write cases leave alone: the access control list, which the access
/// group edits with its own rules `[ACL-7]` (a wrong write there could lock the suite out).
fn excluded(d: &Declared) -> bool {
    d.path.capability == std_caps::access_control::ID
}

/// The values of every readable declared attribute.
async fn snapshot(
    s: &mut Session,
    decl: &[Declared],
    rule: &'static str,
) -> Result<BTreeMap<ConcreteAttribute, Data>, Failure> {
    let mut out = BTreeMap::new();
    for chunk in decl.chunks(16) {
        for r in read(s, chunk.iter().map(|d| d.path.path()).collect(), rule).await? {
            if let Ok(v) = r.result {
                out.insert(r.path, v);
            }
        }
    }
    Ok(out)
}

/// Writes back every writable attribute whose value differs from `before`, by capability
/// instance: first the changed ones, then, if a read-only attribute still differs (a side
/// effect of the device's own rules), every writable attribute of the instance in schema
/// order. What cannot be restored is noted.
pub(crate) async fn restore(
    ctx: &Ctx,
    s: &mut Session,
    decl: &[Declared],
    before: &BTreeMap<ConcreteAttribute, Data>,
) -> Result<(), Failure> {
    let writable =
        |d: &&Declared| d.schema.as_ref().is_some_and(|a| a.access.write) && !excluded(d);
    let now = snapshot(s, decl, "IM-21").await?;
    let changed: Vec<&Declared> = decl
        .iter()
        .filter(|d| before.get(&d.path) != now.get(&d.path))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let mut instances: Vec<(orbit_core::model::EndpointId, CapabilityId)> = changed
        .iter()
        .map(|d| (d.path.endpoint, d.path.capability))
        .collect();
    instances.dedup();
    for (ep, cap) in instances {
        let of_instance: Vec<&Declared> = decl
            .iter()
            .filter(|d| d.path.endpoint == ep && d.path.capability == cap)
            .filter(writable)
            .collect();
        for pass in 0..2 {
            let now = snapshot(s, decl, "IM-21").await?;
            let differs = |d: &Declared| before.get(&d.path) != now.get(&d.path);
            let all_same = decl
                .iter()
                .filter(|d| d.path.endpoint == ep && d.path.capability == cap)
                .all(|d| !differs(d));
            if all_same {
                break;
            }
            for d in &of_instance {
                if pass == 1 || differs(d) {
                    if let Some(v) = before.get(&d.path) {
                        let timed = d.schema.as_ref().is_some_and(|a| a.timed);
                        write(s, vec![(d.path, v.clone())], timed, "IM-21").await?;
                    }
                }
            }
        }
    }
    let now = snapshot(s, decl, "IM-21").await?;
    for d in decl
        .iter()
        .filter(|d| before.get(&d.path) != now.get(&d.path))
    {
        ctx.note(format!(
            "could not restore {:?}: was {:?}, is {:?}",
            d.path,
            before.get(&d.path),
            now.get(&d.path)
        ));
    }
    Ok(())
}

/// `data-model.write-validation`: a write to an attribute without write access answers
/// `unsupported-access` `[IM-21]` step 2, `[DM-12]`; a value of the wrong shape
/// `invalid-data-type`, one outside the constraints or `null` where not nullable
/// `constraint-error` `[IM-21]` steps 5-6, `[DM-14]`, `[DM-46]`; a refused entry changes
/// nothing and does not stop the others `[IM-22]`.
pub(crate) fn validation(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let decl: Vec<Declared> = declared_attributes(ctx.facts())
            .into_iter()
            .filter(|d| d.schema.is_some() && !excluded(d))
            .collect();
        let mut s = ctx.admin_session().await?;
        let before = snapshot(&mut s, &decl, "IM-20").await?;
        // (entry, expected status, what it is), split by timed.
        let mut plain: Vec<(ConcreteAttribute, Data, Status, String)> = Vec::new();
        let mut timed: Vec<(ConcreteAttribute, Data, Status, String)> = Vec::new();
        for d in &decl {
            let Some(a) = &d.schema else { continue };
            let into = if a.timed { &mut timed } else { &mut plain };
            if !a.access.write {
                let v = before
                    .get(&d.path)
                    .cloned()
                    .or_else(|| sample(&a.ty))
                    .unwrap_or(Data::Null);
                into.push((
                    d.path,
                    v,
                    Status::UNSUPPORTED_ACCESS,
                    format!("{} is not writable", a.name),
                ));
                continue;
            }
            into.push((
                d.path,
                wrong_shape(&a.ty),
                Status::INVALID_DATA_TYPE,
                format!("{} of the wrong shape", a.name),
            ));
            if let Some(v) = out_of_range(&a.ty) {
                into.push((
                    d.path,
                    v,
                    Status::CONSTRAINT_ERROR,
                    format!("{} outside its constraints", a.name),
                ));
            }
            if !a.ty.nullable {
                into.push((
                    d.path,
                    Data::Null,
                    Status::CONSTRAINT_ERROR,
                    format!("null for {}", a.name),
                ));
            }
        }
        let mut outcome = Ok(());
        for (entries, is_timed) in [(plain, false), (timed, true)] {
            for chunk in entries.chunks(16) {
                let got = write(
                    &mut s,
                    chunk.iter().map(|(p, v, ..)| (*p, v.clone())).collect(),
                    is_timed,
                    "IM-21",
                )
                .await?;
                for ((path, value, want, what), status) in chunk.iter().zip(&got) {
                    if *status != *want && outcome.is_ok() {
                        let rule = if *want == Status::UNSUPPORTED_ACCESS {
                            "DM-12"
                        } else {
                            "DM-14"
                        };
                        outcome = Err(Failure::fail(
                            rule,
                            format!("{what}: {want} for {path:?} = {value:?}"),
                            status.to_string(),
                        ));
                    }
                }
            }
        }
        let after = snapshot(&mut s, &decl, "IM-20").await?;
        let changed: Vec<_> = decl
            .iter()
            .filter(|d| before.get(&d.path) != after.get(&d.path))
            .map(|d| d.path)
            .collect();
        if !changed.is_empty() {
            restore(ctx, &mut s, &decl, &before).await?;
        }
        s.conn().close();
        outcome?;
        // Attributes that change by themselves (a countdown, a measurement) are not judged.
        let settled = |p: &ConcreteAttribute| {
            decl.iter()
                .any(|d| d.path == *p && d.schema.as_ref().is_some_and(|a| a.access.write))
        };
        let changed: Vec<_> = changed.into_iter().filter(settled).collect();
        check(
            changed.is_empty(),
            "IM-22",
            "refused entries change nothing",
            || format!("changed: {changed:?}"),
        )
    })
}

/// Whether `read` is what a device that accepted `written` for `path` may show: the value
/// itself, or what a rule of §12.7 makes of it (a clamped level or color temperature
/// `[DM-50]`, `[DM-51]`; an identify time already counting down, as §12.7 says of `identify`).
fn read_back_ok(path: &ConcreteAttribute, written: &Data, read: &Data) -> bool {
    use std_caps::{color, identify, level};
    if read == written {
        return true;
    }
    match (path.capability, path.attribute) {
        (level::ID, level::attributes::CURRENT_LEVEL)
        | (color::ID, color::attributes::COLOR_TEMPERATURE) => true,
        (identify::ID, identify::attributes::IDENTIFY_TIME) => {
            matches!((read.as_u64(), written.as_u64()), (Some(r), Some(w)) if r <= w)
        }
        _ => false,
    }
}

/// Whether the device's own rules may refuse a write of a value that fits the type
/// (`[IM-21]` step 7): those of §12.7 that refuse writes (`thermostat` `[DM-52]`, and
/// `fan`) and a vendor's.
fn may_refuse(cap: CapabilityId) -> bool {
    !cap.is_standard() || cap == std_caps::thermostat::ID || cap == std_caps::fan::ID
}

/// `data-model.write-read-back`: writing an attribute's current value succeeds `[IM-23]`;
/// writing another value that fits succeeds (or, where the device's own rules allow, is
/// refused with `constraint-error` or `invalid-in-state` and changes nothing) and a read
/// returns it `[IM-21]`. The original values are restored.
pub(crate) fn read_back(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let decl: Vec<Declared> = declared_attributes(ctx.facts())
            .into_iter()
            .filter(|d| {
                !excluded(d)
                    && d.schema
                        .as_ref()
                        .is_some_and(|a| a.access.write && a.access.read)
            })
            .collect();
        if decl.is_empty() {
            return Err(Failure::NotApplicable(
                "no readable, writable attribute".into(),
            ));
        }
        let mut s = ctx.admin_session().await?;
        let before = snapshot(&mut s, &decl, "IM-20").await?;
        let result = exercise(ctx, &mut s, &decl, &before).await;
        restore(ctx, &mut s, &decl, &before).await?;
        s.conn().close();
        result
    })
}

async fn exercise(
    ctx: &Ctx,
    s: &mut Session,
    decl: &[Declared],
    before: &BTreeMap<ConcreteAttribute, Data>,
) -> Outcome {
    for d in decl {
        let (Some(a), Some(current)) = (&d.schema, before.get(&d.path)) else {
            continue;
        };
        let same = write(s, vec![(d.path, current.clone())], a.timed, "IM-23").await?;
        check(
            same == [Status::SUCCESS],
            "IM-23",
            format!("writing {}'s current value {current:?} succeeds", a.name),
            || format!("{same:?}"),
        )?;
        let mut accepted = false;
        for v in alternatives(&a.ty, current).into_iter().take(3) {
            let st = write(s, vec![(d.path, v.clone())], a.timed, "IM-21").await?;
            let now = read_one(s, d.path, "IM-20").await?;
            match st.as_slice() {
                [ok] if *ok == Status::SUCCESS => {
                    check(
                        read_back_ok(&d.path, &v, &now),
                        "IM-21",
                        format!("{} reads back {v:?} after a successful write", a.name),
                        || format!("{now:?}"),
                    )?;
                    ctx.note(format!(
                        "{} ({:?}): wrote {v:?}, read {now:?}",
                        a.name, d.path
                    ));
                    accepted = true;
                    break;
                }
                [refused]
                    if may_refuse(d.path.capability)
                        && (*refused == Status::CONSTRAINT_ERROR
                            || *refused == Status::INVALID_IN_STATE) =>
                {
                    check(
                        now == *current,
                        "IM-22",
                        format!("{}'s refused write changes nothing", a.name),
                        || format!("{now:?}"),
                    )?;
                    ctx.note(format!(
                        "{} refused {v:?} by its own rules: {refused}",
                        a.name
                    ));
                }
                other => {
                    return Err(Failure::fail(
                        "IM-21",
                        format!("writing {} = {v:?}, which fits its type, succeeds", a.name),
                        format!("{other:?}"),
                    ));
                }
            }
        }
        if !accepted {
            ctx.note(format!("{}: no other value written", a.name));
        }
        let back = write(s, vec![(d.path, current.clone())], a.timed, "IM-21").await?;
        check(
            back == [Status::SUCCESS],
            "IM-21",
            format!("writing {} back to {current:?} succeeds", a.name),
            || format!("{back:?}"),
        )?;
    }
    Ok(())
}

//! Commands: arguments checked in the spec's order, a command that runs answers a result
//! that fits, and timed interactions (13-interaction §13.4, §13.5). Only commands whose
//! effect the suite can undo are run; every other command gets only arguments that must be
//! refused.

use super::reads::read_one;
use super::schema::{instances, out_of_range, sample_fields, wrong_shape};
use super::wire;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Session;
use crate::facts::Facts;
use crate::transport::BoxFuture;
use orbit_core::codec::CborMessage;
use orbit_core::interaction::{
    ClientEvent, CommandPath, ConcreteAttribute, Envelope, InvokeRequest, Message, WriteRequest,
};
use orbit_core::model::{std_caps, CommandSchema, Data, EndpointId};
use orbit_core::status::Status;
use std::time::Duration;

/// Every command the descriptor lists, with its schema.
fn declared_commands(facts: &Facts) -> Vec<(CommandPath, CommandSchema)> {
    let mut out = Vec::new();
    for (ep, inst, schema) in instances(facts) {
        let Some(schema) = schema else { continue };
        for c in &inst.commands {
            if let Some(cs) = schema.command(*c) {
                out.push((CommandPath::new(ep, inst.id, *c), cs.clone()));
            }
        }
    }
    out
}

/// Invokes and returns the command's result or status, or a failure of `rule`.
pub(crate) async fn invoke(
    s: &mut Session,
    path: CommandPath,
    args: Data,
    timed: bool,
    rule: &'static str,
) -> Result<Result<Data, Status>, Failure> {
    match s.invoke(path, args, timed).await {
        Ok(ClientEvent::Invoked { result, .. }) => Ok(result),
        Ok(other) => Err(Failure::fail(
            rule,
            "an invoke-response",
            format!("{other:?}"),
        )),
        Err(e) => Err(Failure::fail(rule, "an invoke-response", e)),
    }
}

/// Arguments that the argument check must refuse, lowest field first, each with the status
/// `[DM-14]`/`[DM-46]` gives: every required field missing, the first field of the wrong
/// shape, the first field outside its constraints.
fn bad_arguments(c: &CommandSchema) -> Vec<(Data, Status, String)> {
    let mut out = Vec::new();
    let mut fields: Vec<_> = c.args.iter().collect();
    fields.sort_by_key(|f| f.id.0);
    let Some(first) = fields.first() else {
        return out;
    };
    let Some(Data::Struct(valid)) = sample_fields(&c.args) else {
        return out;
    };
    if c.args.iter().any(|f| !f.optional) {
        out.push((
            Data::Struct(Vec::new()),
            Status::INVALID_DATA_TYPE,
            "no arguments".to_owned(),
        ));
    }
    let with = |v: Data| {
        let mut f: Vec<(u8, Data)> = valid
            .iter()
            .filter(|(k, _)| *k != first.id.0)
            .cloned()
            .collect();
        f.push((first.id.0, v));
        Data::structure(f)
    };
    out.push((
        with(wrong_shape(&first.ty)),
        Status::INVALID_DATA_TYPE,
        format!("{} of the wrong shape", first.name),
    ));
    if let Some(v) = out_of_range(&first.ty) {
        out.push((
            with(v),
            Status::CONSTRAINT_ERROR,
            format!("{} outside its constraints", first.name),
        ));
    }
    out
}

/// `data-model.invoke-arguments`: for every command the descriptor lists, arguments that do
/// not fit (a required one missing, one of the wrong shape, one outside its constraints) are
/// refused with the status of the first failure in field order, before the command runs
/// `[IM-30]`, `[DM-14]`, `[DM-46]`.
pub(crate) fn arguments(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let commands = declared_commands(ctx.facts());
        let mut s = ctx.admin_session().await?;
        let mut tried = 0;
        for (path, c) in &commands {
            for (args, want, what) in bad_arguments(c) {
                tried += 1;
                let got = invoke(&mut s, *path, args.clone(), c.timed, "IM-30").await?;
                if got != Err(want) {
                    s.conn().close();
                    let rule = if want == Status::CONSTRAINT_ERROR {
                        "DM-14"
                    } else {
                        "IM-30"
                    };
                    return Err(Failure::fail(
                        rule,
                        format!("{} with {what} ({args:?}): {want}", c.name),
                        format!("{got:?}"),
                    ));
                }
            }
        }
        s.conn().close();
        if tried == 0 {
            return Err(Failure::NotApplicable(
                "no command the descriptor lists takes arguments".into(),
            ));
        }
        ctx.note(format!(
            "{tried} invocations with arguments that must be refused"
        ));
        Ok(())
    })
}

/// What on-off's `on` holds after `toggles` toggles from `before`.
fn after_toggles(before: &Data, toggles: u32) -> Option<bool> {
    before.as_bool().map(|b| b ^ (toggles % 2 == 1))
}

/// `data-model.invoke-effect`: a command the suite can undo runs, answers `success` with a
/// result that fits the command's result fields, and has the effect §12.7 gives; it is then
/// undone `[IM-30]`, `[DM-49]`, `[DM-50]`, `[DM-55]`, `[DM-52]`.
pub(crate) fn effect(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let commands = declared_commands(ctx.facts());
        let find = |cap, cmd| {
            commands
                .iter()
                .find(|(p, _)| p.capability == cap && p.command == cmd)
                .cloned()
        };
        let mut s = ctx.admin_session().await?;
        let mut ran = 0;
        use std_caps::{door_lock, level, on_off, thermostat};
        if let Some((path, c)) = find(on_off::ID, on_off::commands::TOGGLE) {
            let on = ConcreteAttribute::new(path.endpoint, on_off::ID, on_off::attributes::ON);
            let before = read_one(&mut s, on, "DM-49").await?;
            for round in 0..2 {
                let r = invoke(&mut s, path, Data::Struct(Vec::new()), c.timed, "IM-30").await?;
                result_fits(&c, &r)?;
                let now = read_one(&mut s, on, "DM-49").await?;
                let want = after_toggles(&before, round + 1);
                check(
                    now.as_bool() == want,
                    "DM-49",
                    format!("toggle {} on to {want:?}", round + 1),
                    || format!("{now:?}"),
                )?;
            }
            // [IM-31] the same request in a new protected message runs again, even with the
            // same exchange number.
            let plain = Envelope {
                exchange: wire::fresh_exchange(),
                message: Message::InvokeRequest(InvokeRequest {
                    path,
                    args: Data::Struct(Vec::new()),
                    timed: false,
                }),
            }
            .to_bytes();
            for round in 0..2 {
                let a = wire::send_plain(&mut s, "invoke-request toggle (same exchange)", &plain)
                    .await?;
                let now = read_one(&mut s, on, "IM-31").await?;
                let want = after_toggles(&before, round + 1);
                check(
                    matches!(a.invoke_response(), Some(Ok(_))) && now.as_bool() == want,
                    "IM-31",
                    format!("the toggle sent again with the same exchange runs again: on {want:?}"),
                    || format!("{}; on {now:?}", a.describe()),
                )?;
            }
            ran += 1;
        }
        if let Some((path, c)) = find(level::ID, level::commands::MOVE_TO_LEVEL) {
            let current =
                ConcreteAttribute::new(path.endpoint, level::ID, level::attributes::CURRENT_LEVEL);
            let before = read_one(&mut s, current, "DM-50").await?;
            let args = Data::Struct(vec![(
                level::commands::move_to_level_args::LEVEL.0,
                before.clone(),
            )]);
            let r = invoke(&mut s, path, args, c.timed, "IM-30").await?;
            result_fits(&c, &r)?;
            let now = read_one(&mut s, current, "DM-50").await?;
            check(
                now == before,
                "DM-50",
                format!("move-to-level {before:?} leaves current-level at {before:?}"),
                || format!("{now:?}"),
            )?;
            ran += 1;
        }
        if let Some((path, c)) = find(door_lock::ID, door_lock::commands::LOCK_DOOR) {
            use door_lock::attributes as la;
            let at = |a| ConcreteAttribute::new(path.endpoint, door_lock::ID, a);
            let state = read_one(&mut s, at(la::LOCK_STATE), "DM-55").await?;
            let pin = read_one(&mut s, at(la::REQUIRE_PIN_FOR_REMOTE), "DM-55").await?;
            let enabled = read_one(&mut s, at(la::ACTUATOR_ENABLED), "DM-55").await?;
            let locked = Data::Uint(door_lock::attributes::lock_state_values::LOCKED.into());
            if state == locked && pin == Data::Bool(false) && enabled == Data::Bool(true) {
                let r = invoke(&mut s, path, Data::Struct(Vec::new()), true, "IM-30").await?;
                result_fits(&c, &r)?;
                let now = read_one(&mut s, at(la::LOCK_STATE), "DM-55").await?;
                check(
                    now == locked,
                    "DM-55",
                    "lock-door leaves a locked door locked",
                    || format!("{now:?}"),
                )?;
                ran += 1;
            } else {
                ctx.note("door-lock: not locked, or a PIN is required: lock-door not run");
            }
        }
        if let Some((path, c)) = find(thermostat::ID, thermostat::commands::SETPOINT_RAISE_LOWER) {
            use thermostat::commands::setpoint_raise_lower_args as a;
            let args = Data::Struct(vec![
                (a::MODE.0, Data::Uint(a::mode_values::BOTH.into())),
                (a::AMOUNT.0, Data::Uint(0)),
            ]);
            let r = invoke(&mut s, path, args, c.timed, "IM-30").await?;
            result_fits(&c, &r)?;
            ran += 1;
        }
        s.conn().close();
        if ran == 0 {
            return Err(Failure::NotApplicable(
                "no command the suite can run and undo (on-off toggle, level move-to-level, door-lock lock-door on a locked door, thermostat setpoint-raise-lower)".into(),
            ));
        }
        Ok(())
    })
}

fn result_fits(c: &CommandSchema, r: &Result<Data, Status>) -> Outcome {
    match r {
        Ok(result) => orbit_core::model::check_fields(&c.result, result).map_err(|e| {
            Failure::fail(
                "IM-30",
                format!("{}'s result fits its result fields", c.name),
                format!("{result:?}: {e}"),
            )
        }),
        Err(st) => Err(Failure::fail(
            "IM-30",
            format!("{} with fitting arguments succeeds", c.name),
            st.to_string(),
        )),
    }
}

/// A timed command with arguments the argument check refuses, and the status it gives.
fn timed_target(facts: &Facts) -> Option<(CommandPath, Data, Status, String)> {
    declared_commands(facts)
        .into_iter()
        .filter(|(_, c)| c.timed)
        .find_map(|(p, c)| {
            bad_arguments(&c)
                .into_iter()
                .next()
                .map(|(a, st, _)| (p, a, st, c.name.clone()))
        })
}

/// Applies when the descriptor lists a timed command that takes arguments.
pub(crate) fn timed_applies(facts: &Facts) -> Result<(), String> {
    timed_target(facts)
        .map(|_| ())
        .ok_or_else(|| "no timed command with arguments".to_owned())
}

/// `data-model.timed`: a timed command invoked without a timed interaction fails with
/// `needs-timed-interaction` `[IM-40]`; a `timed` request without an open window fails with
/// `timed-request-mismatch` (an invoke in its invoke-response, a write in a
/// status-response); a `timeout_ms` outside `1..=10000` is `invalid-parameter` `[IM-41]`; a
/// follow-up inside the window is processed as timed, one after it is `timed-request-mismatch`.
/// Every command sent carries arguments that must be refused, so nothing runs.
pub(crate) fn timed(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let (path, args, arg_status, name) = timed_target(ctx.facts())
            .ok_or_else(|| Failure::NotApplicable("no timed command with arguments".into()))?;
        ctx.note(format!(
            "timed command {name} at {path:?} with {args:?} (refused as {arg_status})"
        ));
        let mut s = ctx.admin_session().await?;
        let invoke = |timed: bool| {
            Message::InvokeRequest(InvokeRequest {
                path,
                args: args.clone(),
                timed,
            })
        };
        // Untimed.
        let (_, a) = wire::request(&mut s, "invoke-request (untimed)", invoke(false)).await?;
        check(
            a.invoke_response() == Some(&Err(Status::NEEDS_TIMED_INTERACTION)),
            "IM-40",
            "needs-timed-interaction for a timed command invoked untimed",
            || a.describe(),
        )?;
        // Timed without a window.
        let (_, a) =
            wire::request(&mut s, "invoke-request (timed, no window)", invoke(true)).await?;
        check(
            a.invoke_response() == Some(&Err(Status::TIMED_REQUEST_MISMATCH)),
            "IM-40",
            "an invoke-response timed-request-mismatch without an open window",
            || a.describe(),
        )?;
        // Timeouts outside 1..=10000.
        for bad in [0u32, 10_001] {
            let (exchange, a, _) = wire::timed(&mut s, bad, None, Duration::ZERO).await?;
            check(
                a.status_response() == Some((exchange, Status::INVALID_PARAMETER)),
                "IM-41",
                format!("invalid-parameter for timeout_ms {bad}"),
                || a.describe(),
            )?;
        }
        // Inside the window: processed as timed (the arguments' status).
        let (exchange, opened, follow) =
            wire::timed(&mut s, 5_000, Some(invoke(true)), Duration::ZERO).await?;
        check(
            opened.status_response() == Some((exchange, Status::SUCCESS)),
            "IM-40",
            "status-response success to timed-request",
            || opened.describe(),
        )?;
        check(
            follow.invoke_response() == Some(&Err(arg_status)) && follow.exchanges() == [exchange],
            "IM-40",
            format!("the follow-up processed as timed on exchange {exchange}: {arg_status}"),
            || follow.describe(),
        )?;
        // After the window.
        let (exchange, opened, follow) =
            wire::timed(&mut s, 50, Some(invoke(true)), Duration::from_millis(400)).await?;
        check(
            opened.status_response() == Some((exchange, Status::SUCCESS)),
            "IM-40",
            "status-response success to timed-request",
            || opened.describe(),
        )?;
        check(
            follow.invoke_response() == Some(&Err(Status::TIMED_REQUEST_MISMATCH)),
            "IM-40",
            "timed-request-mismatch for a follow-up after the window closed",
            || follow.describe(),
        )?;
        // A timed write without a window: status-response, nothing applied.
        use std_caps::basic_information::{attributes::NODE_LABEL, ID};
        let label = ConcreteAttribute::new(EndpointId::ROOT, ID, NODE_LABEL);
        let before = read_one(&mut s, label, "IM-40").await?;
        let mut w = WriteRequest::new(vec![(label, Data::Text("timed-mismatch".into()))]);
        w.timed = true;
        let (exchange, a) = wire::request(
            &mut s,
            "write-request (timed, no window)",
            Message::WriteRequest(w),
        )
        .await?;
        let after = read_one(&mut s, label, "IM-40").await?;
        if after != before {
            let _ = s
                .write(WriteRequest::new(vec![(label, before.clone())]))
                .await;
        }
        s.conn().close();
        check(
            a.status_response() == Some((exchange, Status::TIMED_REQUEST_MISMATCH)),
            "IM-40",
            "status-response timed-request-mismatch for a timed write without a window",
            || a.describe(),
        )?;
        check(
            after == before,
            "IM-40",
            "the refused timed write applies nothing",
            || format!("node-label {after:?}"),
        )?;
        Ok(())
    })
}

//! Behaviour of standard capabilities beyond their schemas that the suite can check and undo
//! (12-data-model §12.7): clamped levels and color temperatures, the color mode a write
//! sets, the thermostat's setpoint gap; unknown argument fields ignored `[DM-17]`. Every
//! check is chosen from the capabilities and features the descriptor lists.

use super::commands::invoke;
use super::reads::read_one;
use super::writes::write;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Session;
use crate::facts::Facts;
use crate::transport::BoxFuture;
use orbit_core::interaction::{CommandPath, ConcreteAttribute};
use orbit_core::model::{std_caps, CapabilityId, CapabilityInstance, Data, EndpointId};
use orbit_core::status::Status;

/// The first instance of `cap` the descriptor lists.
fn instance(facts: &Facts, cap: CapabilityId) -> Option<(EndpointId, CapabilityInstance)> {
    facts.descriptor.endpoints.iter().find_map(|e| {
        e.capabilities
            .iter()
            .find(|c| c.id == cap)
            .map(|c| (e.id, c.clone()))
    })
}

fn has_feature(inst: &CapabilityInstance, bit: u8) -> bool {
    inst.features & (1u32 << bit) != 0
}

/// Applies when the device has a capability whose rules this case checks.
pub(crate) fn applies(facts: &Facts) -> Result<(), String> {
    use std_caps::{color, level, thermostat};
    let both = instance(facts, thermostat::ID).is_some_and(|(_, i)| {
        has_feature(&i, thermostat::features::HEATING)
            && has_feature(&i, thermostat::features::COOLING)
    });
    if instance(facts, level::ID).is_some() || instance(facts, color::ID).is_some() || both {
        Ok(())
    } else {
        Err("no level, color, or thermostat with heating and cooling".to_owned())
    }
}

/// `data-model.capability-rules`.
pub(crate) fn rules(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let facts = ctx.facts().clone();
        let mut s = ctx.admin_session().await?;
        let outcome = async {
            if let Some((ep, _)) = instance(&facts, std_caps::level::ID) {
                level(&mut s, ep).await?;
            }
            if let Some((ep, inst)) = instance(&facts, std_caps::color::ID) {
                color(&mut s, ep, &inst).await?;
            }
            if let Some((ep, inst)) = instance(&facts, std_caps::thermostat::ID) {
                use std_caps::thermostat::features::{COOLING, HEATING};
                if has_feature(&inst, HEATING) && has_feature(&inst, COOLING) {
                    thermostat(&mut s, ep).await?;
                }
            }
            Outcome::Ok(())
        }
        .await;
        s.conn().close();
        outcome
    })
}

async fn set(
    s: &mut Session,
    at: ConcreteAttribute,
    v: Data,
    rule: &'static str,
) -> Result<Status, Failure> {
    Ok(write(s, vec![(at, v)], false, rule)
        .await?
        .first()
        .copied()
        .unwrap_or(Status::FAILURE))
}

/// `[DM-50]` a level outside `min-level..=max-level` is clamped; `[DM-17]` an argument field
/// the schema does not define is ignored.
async fn level(s: &mut Session, ep: EndpointId) -> Outcome {
    use std_caps::level::{attributes as a, commands, ID};
    let at = |x| ConcreteAttribute::new(ep, ID, x);
    let original = read_one(s, at(a::CURRENT_LEVEL), "DM-50").await?;
    let min = read_one(s, at(a::MIN_LEVEL), "DM-50")
        .await?
        .as_u64()
        .unwrap_or(0);
    let max = read_one(s, at(a::MAX_LEVEL), "DM-50")
        .await?
        .as_u64()
        .unwrap_or(254);
    let outcome = async {
        for (written, want) in [
            (min.checked_sub(1), min),
            ((max < 254).then_some(max + 1), max),
        ] {
            let Some(w) = written else { continue };
            let st = set(s, at(a::CURRENT_LEVEL), Data::Uint(w), "DM-50").await?;
            let now = read_one(s, at(a::CURRENT_LEVEL), "DM-50").await?;
            check(
                st == Status::SUCCESS && now == Data::Uint(want),
                "DM-50",
                format!("writing current-level {w} succeeds and stores {want}"),
                || format!("{st}, {now:?}"),
            )?;
        }
        let path = CommandPath::new(ep, ID, commands::MOVE_TO_LEVEL);
        let args = Data::Struct(vec![
            (commands::move_to_level_args::LEVEL.0, original.clone()),
            (200, Data::Text("unknown field".into())),
        ]);
        let r = invoke(s, path, args, false, "DM-17").await?;
        check(
            r.is_ok(),
            "DM-17",
            "move-to-level with an extra field numbered 200 succeeds (the field is ignored)",
            || format!("{r:?}"),
        )
    }
    .await;
    let _ = set(s, at(a::CURRENT_LEVEL), original, "DM-50").await;
    outcome
}

/// `[DM-51]` a write of `hue` sets `color-mode` to hue-saturation, one of
/// `color-temperature` sets it to color-temperature and clamps to the device's range.
async fn color(s: &mut Session, ep: EndpointId, inst: &CapabilityInstance) -> Outcome {
    use std_caps::color::{attributes as a, attributes::color_mode_values as mode, features, ID};
    let at = |x| ConcreteAttribute::new(ep, ID, x);
    let hs = has_feature(inst, features::HUE_SATURATION);
    let ct = has_feature(inst, features::COLOR_TEMPERATURE);
    let original_mode = read_one(s, at(a::COLOR_MODE), "DM-51").await?;
    let hue = if hs {
        Some(read_one(s, at(a::HUE), "DM-51").await?)
    } else {
        None
    };
    let temp = if ct {
        Some(read_one(s, at(a::COLOR_TEMPERATURE), "DM-51").await?)
    } else {
        None
    };
    let outcome = async {
        if let Some(h) = &hue {
            let st = set(s, at(a::HUE), h.clone(), "DM-51").await?;
            let m = read_one(s, at(a::COLOR_MODE), "DM-51").await?;
            check(
                st == Status::SUCCESS && m == Data::Uint(mode::HUE_SATURATION.into()),
                "DM-51",
                "a write of hue sets color-mode to hue-saturation",
                || format!("{st}, {m:?}"),
            )?;
        }
        if let Some(t) = &temp {
            let lo = read_one(s, at(a::COLOR_TEMPERATURE_MIN), "DM-51")
                .await?
                .as_u64()
                .unwrap_or(153);
            let hi = read_one(s, at(a::COLOR_TEMPERATURE_MAX), "DM-51")
                .await?
                .as_u64()
                .unwrap_or(500);
            for (w, want) in [
                ((lo > 153).then_some(153), lo),
                ((hi < 500).then_some(500), hi),
            ] {
                let Some(w) = w else { continue };
                let st = set(s, at(a::COLOR_TEMPERATURE), Data::Uint(w), "DM-51").await?;
                let now = read_one(s, at(a::COLOR_TEMPERATURE), "DM-51").await?;
                check(
                    st == Status::SUCCESS && now == Data::Uint(want),
                    "DM-51",
                    format!("writing color-temperature {w} stores {want}"),
                    || format!("{st}, {now:?}"),
                )?;
            }
            let st = set(s, at(a::COLOR_TEMPERATURE), t.clone(), "DM-51").await?;
            let m = read_one(s, at(a::COLOR_MODE), "DM-51").await?;
            check(
                st == Status::SUCCESS && m == Data::Uint(mode::COLOR_TEMPERATURE.into()),
                "DM-51",
                "a write of color-temperature sets color-mode to color-temperature",
                || format!("{st}, {m:?}"),
            )?;
        }
        Outcome::Ok(())
    }
    .await;
    // Back to the original mode: the last write decides it.
    let order: Vec<(orbit_core::model::AttributeId, Option<Data>)> =
        if original_mode == Data::Uint(mode::HUE_SATURATION.into()) {
            vec![(a::COLOR_TEMPERATURE, temp), (a::HUE, hue)]
        } else {
            vec![(a::HUE, hue), (a::COLOR_TEMPERATURE, temp)]
        };
    for (attr, v) in order {
        if let Some(v) = v {
            let _ = set(s, at(attr), v, "DM-51").await;
        }
    }
    outcome
}

/// `[DM-52]` with heating and cooling, a heating setpoint less than 250 below the cooling
/// one is refused with `constraint-error`, by a write and by `setpoint-raise-lower`, which
/// then changes nothing `[IM-32]`.
async fn thermostat(s: &mut Session, ep: EndpointId) -> Outcome {
    use std_caps::thermostat::{attributes as a, commands, ID};
    let at = |x| ConcreteAttribute::new(ep, ID, x);
    let heat = read_one(s, at(a::OCCUPIED_HEATING_SETPOINT), "DM-52").await?;
    let cool = read_one(s, at(a::OCCUPIED_COOLING_SETPOINT), "DM-52").await?;
    let (Some(h), Some(c)) = (heat.as_i64(), cool.as_i64()) else {
        return Err(Failure::fail(
            "DM-52",
            "integer setpoints",
            format!("{heat:?}, {cool:?}"),
        ));
    };
    let too_close = c - 249;
    if (700..=3000).contains(&too_close) {
        let st = set(
            s,
            at(a::OCCUPIED_HEATING_SETPOINT),
            Data::int(too_close),
            "DM-52",
        )
        .await?;
        let now = read_one(s, at(a::OCCUPIED_HEATING_SETPOINT), "DM-52").await?;
        if now != heat {
            let _ = set(s, at(a::OCCUPIED_HEATING_SETPOINT), heat.clone(), "DM-52").await;
        }
        check(st == Status::CONSTRAINT_ERROR && now == heat, "DM-52", format!("constraint-error and no change for a heating setpoint {too_close}, 249 below cooling {c}"), || format!("{st}, {now:?}"))?;
    }
    let amount = (c - 250 - h) + 1;
    if (1..=500).contains(&amount) {
        use commands::setpoint_raise_lower_args as args;
        let path = CommandPath::new(ep, ID, commands::SETPOINT_RAISE_LOWER);
        let r = invoke(
            s,
            path,
            Data::Struct(vec![
                (args::MODE.0, Data::Uint(args::mode_values::HEAT.into())),
                (args::AMOUNT.0, Data::int(amount)),
            ]),
            false,
            "DM-52",
        )
        .await?;
        let now_h = read_one(s, at(a::OCCUPIED_HEATING_SETPOINT), "IM-32").await?;
        let now_c = read_one(s, at(a::OCCUPIED_COOLING_SETPOINT), "IM-32").await?;
        if now_h != heat {
            let _ = set(s, at(a::OCCUPIED_HEATING_SETPOINT), heat.clone(), "DM-52").await;
        }
        check(
            r == Err(Status::CONSTRAINT_ERROR),
            "DM-52",
            format!("constraint-error for raising heat by {amount}, past the 250 gap"),
            || format!("{r:?}"),
        )?;
        check(
            now_h == heat && now_c == cool,
            "IM-32",
            "the refused command changes no setpoint",
            || format!("{now_h:?}, {now_c:?}"),
        )?;
    }
    Ok(())
}

//! A color lamp: endpoint 1 with on-off, level and color (hue-saturation and
//! color-temperature features).
//!
//! Rules implemented from the registry:
//!
//! - on-off: `off`, `on` and `toggle` set `on`.
//! - level: `move-to-level` and writes of `current-level` clamp to `min-level..=max-level`;
//!   `step` moves up or down by `step-size`, stopping at `max-level` or `min-level`.
//! - color: `move-to-hue-saturation` and writes of `hue` or `saturation` set `color-mode` to
//!   hue-saturation; `move-to-color-temperature` and writes of `color-temperature` clamp to
//!   `color-temperature-min..=color-temperature-max` and set `color-mode` to
//!   color-temperature.
//!
//! Transition times are accepted and ignored: every change is applied instantly, which the
//! registry allows for a device that cannot fade (the end state is the same).

use crate::{arg_u64, device_info, empty};
use orbit_core::device::{Behavior, BuildError, Context, DeviceBuilder, DeviceNode, Endpoint};
use orbit_core::interaction::{CommandPath, ConcreteAttribute};
use orbit_core::model::std_caps::{color, level, on_off};
use orbit_core::model::{AttributeId, Data};
use orbit_core::status::Status;
use std::time::Instant;

/// The lamp's product ID.
pub const PRODUCT_ID: u16 = 0x8001;

/// The lamp's endpoint.
pub const ENDPOINT: u16 = 1;

/// The lowest level the lamp supports.
pub const MIN_LEVEL: u8 = 1;

/// The highest level the lamp supports.
pub const MAX_LEVEL: u8 = 254;

/// The coolest color temperature the lamp produces, in mireds (about 6500 K).
pub const COLOR_TEMPERATURE_MIN: u16 = 153;

/// The warmest color temperature the lamp produces, in mireds (2700 K).
pub const COLOR_TEMPERATURE_MAX: u16 = 370;

/// Builds the lamp with serial number `serial`; `now` is its start time. It starts off, at
/// full level, in color-temperature mode at 250 mireds (4000 K).
pub fn build(now: Instant, serial: &str) -> Result<DeviceNode, BuildError> {
    builder(serial).build(now)
}

/// The lamp as a device that serves Bluetooth LE beside QUIC: it also declares the `network`
/// capability on endpoint 0, which tells a controller paired over BLE where to reach it over
/// QUIC ([BLE-25]).
pub fn build_for_ble(now: Instant, serial: &str) -> Result<DeviceNode, BuildError> {
    builder(serial)
        .root_capability(orbit_core::model::std_caps::network::ID)
        .build(now)
}

fn builder(serial: &str) -> DeviceBuilder {
    use color::attributes::{self as ca, color_mode_values};
    let endpoint = Endpoint::new(ENDPOINT, "lamp", LampBehavior)
        .with(on_off::ID)
        .with(level::ID)
        .with_features(
            color::ID,
            &[
                color::features::HUE_SATURATION,
                color::features::COLOR_TEMPERATURE,
            ],
        )
        .set(level::ID, level::attributes::MIN_LEVEL, MIN_LEVEL)
        .set(level::ID, level::attributes::MAX_LEVEL, MAX_LEVEL)
        .set(level::ID, level::attributes::CURRENT_LEVEL, MAX_LEVEL)
        .set(color::ID, ca::COLOR_TEMPERATURE_MIN, COLOR_TEMPERATURE_MIN)
        .set(color::ID, ca::COLOR_TEMPERATURE_MAX, COLOR_TEMPERATURE_MAX)
        .set(color::ID, ca::COLOR_TEMPERATURE, 250u16)
        .set(
            color::ID,
            ca::COLOR_MODE,
            color_mode_values::COLOR_TEMPERATURE,
        );
    DeviceBuilder::new(device_info(PRODUCT_ID, "Reference color lamp", serial)).endpoint(endpoint)
}

/// The lamp's behaviour: on-off, level and color commands and clamped writes. It keeps no
/// state of its own; everything lives in the attributes.
#[derive(Debug, Default)]
pub struct LampBehavior;

/// Reads a stored unsigned attribute; a missing one is a device bug, reported as failure.
fn get(
    ctx: &Context<'_>,
    cap: orbit_core::model::CapabilityId,
    attr: AttributeId,
) -> Result<u64, Status> {
    ctx.get_u64(cap, attr).ok_or(Status::FAILURE)
}

/// `value` clamped to `min-level..=max-level` `[DM-50]`.
fn clamp_level(ctx: &Context<'_>, value: u64) -> Result<u64, Status> {
    let min = get(ctx, level::ID, level::attributes::MIN_LEVEL)?;
    let max = get(ctx, level::ID, level::attributes::MAX_LEVEL)?.max(min);
    Ok(value.clamp(min, max))
}

/// `value` clamped to `color-temperature-min..=color-temperature-max` `[DM-51]`.
fn clamp_mireds(ctx: &Context<'_>, value: u64) -> Result<u64, Status> {
    let min = get(ctx, color::ID, color::attributes::COLOR_TEMPERATURE_MIN)?;
    let max = get(ctx, color::ID, color::attributes::COLOR_TEMPERATURE_MAX)?.max(min);
    Ok(value.clamp(min, max))
}

fn set_color_mode(ctx: &mut Context<'_>, mode: u8) -> Result<(), Status> {
    ctx.set(color::ID, color::attributes::COLOR_MODE, mode)
}

impl LampBehavior {
    /// `[DM-49]`
    fn on_off(ctx: &mut Context<'_>, command: CommandPath) -> Result<Data, Status> {
        use on_off::{attributes::ON, commands};
        let on = match command.command {
            commands::OFF => false,
            commands::ON => true,
            commands::TOGGLE => !ctx.get_bool(on_off::ID, ON).unwrap_or(false),
            _ => return Err(Status::UNSUPPORTED_COMMAND),
        };
        ctx.set(on_off::ID, ON, on)?;
        Ok(empty())
    }

    fn level(ctx: &mut Context<'_>, command: CommandPath, args: &Data) -> Result<Data, Status> {
        use level::commands::{self, move_to_level_args, step_args};
        let current = get(ctx, level::ID, level::attributes::CURRENT_LEVEL)?;
        let target = match command.command {
            commands::MOVE_TO_LEVEL => {
                arg_u64(args, move_to_level_args::LEVEL).ok_or(Status::INVALID_DATA_TYPE)?
            }
            commands::STEP => {
                let size = arg_u64(args, step_args::STEP_SIZE).ok_or(Status::INVALID_DATA_TYPE)?;
                match arg_u64(args, step_args::DIRECTION) {
                    Some(d) if d == u64::from(step_args::direction_values::UP) => {
                        current.saturating_add(size)
                    }
                    Some(d) if d == u64::from(step_args::direction_values::DOWN) => {
                        current.saturating_sub(size)
                    }
                    _ => return Err(Status::CONSTRAINT_ERROR),
                }
            }
            _ => return Err(Status::UNSUPPORTED_COMMAND),
        };
        let target = clamp_level(ctx, target)?;
        ctx.set(level::ID, level::attributes::CURRENT_LEVEL, target)?;
        Ok(empty())
    }

    fn color(ctx: &mut Context<'_>, command: CommandPath, args: &Data) -> Result<Data, Status> {
        use color::attributes::{self as ca, color_mode_values};
        use color::commands::{self, move_to_color_temperature_args, move_to_hue_saturation_args};
        match command.command {
            commands::MOVE_TO_HUE_SATURATION => {
                let hue = arg_u64(args, move_to_hue_saturation_args::HUE)
                    .ok_or(Status::INVALID_DATA_TYPE)?;
                let saturation = arg_u64(args, move_to_hue_saturation_args::SATURATION)
                    .ok_or(Status::INVALID_DATA_TYPE)?;
                ctx.set(color::ID, ca::HUE, hue)?;
                ctx.set(color::ID, ca::SATURATION, saturation)?;
                set_color_mode(ctx, color_mode_values::HUE_SATURATION)?;
            }
            commands::MOVE_TO_COLOR_TEMPERATURE => {
                let mireds = arg_u64(args, move_to_color_temperature_args::MIREDS)
                    .ok_or(Status::INVALID_DATA_TYPE)?;
                let mireds = clamp_mireds(ctx, mireds)?;
                ctx.set(color::ID, ca::COLOR_TEMPERATURE, mireds)?;
                set_color_mode(ctx, color_mode_values::COLOR_TEMPERATURE)?;
            }
            _ => return Err(Status::UNSUPPORTED_COMMAND),
        }
        Ok(empty())
    }
}

impl Behavior for LampBehavior {
    fn write(
        &mut self,
        ctx: &mut Context<'_>,
        attr: ConcreteAttribute,
        value: &Data,
    ) -> Result<Data, Status> {
        use color::attributes::{self as ca, color_mode_values};
        match (attr.capability, attr.attribute) {
            (level::ID, level::attributes::CURRENT_LEVEL) => {
                let v = value.as_u64().ok_or(Status::INVALID_DATA_TYPE)?;
                Ok(Data::Uint(clamp_level(ctx, v)?))
            }
            (color::ID, ca::COLOR_TEMPERATURE) => {
                let v = value.as_u64().ok_or(Status::INVALID_DATA_TYPE)?;
                let v = clamp_mireds(ctx, v)?;
                set_color_mode(ctx, color_mode_values::COLOR_TEMPERATURE)?;
                Ok(Data::Uint(v))
            }
            (color::ID, ca::HUE | ca::SATURATION) => {
                set_color_mode(ctx, color_mode_values::HUE_SATURATION)?;
                Ok(value.clone())
            }
            _ => Ok(value.clone()),
        }
    }

    fn invoke(
        &mut self,
        ctx: &mut Context<'_>,
        command: CommandPath,
        args: &Data,
    ) -> Result<Data, Status> {
        match command.capability {
            on_off::ID => Self::on_off(ctx, command),
            level::ID => Self::level(ctx, command, args),
            color::ID => Self::color(ctx, command, args),
            _ => Err(Status::UNSUPPORTED_COMMAND),
        }
    }
}

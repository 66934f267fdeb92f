//! A thermostat: endpoint 1 with the thermostat capability, heating and cooling features.
//!
//! Rules implemented from the registry:
//!
//! - Deadband: with both features, `occupied-heating-setpoint` stays at least [`DEADBAND`]
//!   below `occupied-cooling-setpoint`; a write or `setpoint-raise-lower` that would break
//!   this fails with constraint-error and changes nothing.
//! - `setpoint-raise-lower` adds `amount` to the chosen setpoints (a setpoint whose feature
//!   the device lacks is left alone), clamping each to its range.
//! - `system-mode`: heat needs heating, cool needs cooling, auto needs both; a write of a
//!   mode the device lacks fails with constraint-error.
//! - `running-state` is derived from `system-mode`, `local-temperature` and the setpoints and
//!   recomputed on every change: heating when heating is allowed and the temperature is below
//!   the heating setpoint, cooling when cooling is allowed and it is above the cooling
//!   setpoint, idle otherwise.

use crate::{arg_i64, arg_u64, device_info, empty};
use orbit_core::device::{Behavior, BuildError, Context, DeviceBuilder, DeviceNode, Endpoint};
use orbit_core::interaction::{CommandPath, ConcreteAttribute};
use orbit_core::model::std_caps::thermostat::{
    self, attributes as ta,
    attributes::{running_state_values as running, system_mode_values as mode},
};
use orbit_core::model::{Data, EndpointId};
use orbit_core::status::Status;
use std::time::Instant;

/// The thermostat's product ID.
pub const PRODUCT_ID: u16 = 0x8002;

/// The thermostat's endpoint.
pub const ENDPOINT: u16 = 1;

/// The smallest gap between the heating and the cooling setpoint, in centi-celsius `[DM-52]`.
pub const DEADBAND: i64 = 250;

/// The range of `occupied-heating-setpoint` (registry type).
const HEATING_RANGE: (i64, i64) = (700, 3000);

/// The range of `occupied-cooling-setpoint` (registry type).
const COOLING_RANGE: (i64, i64) = (1600, 3200);

/// Builds the thermostat with serial number `serial`; `now` is its start time. It starts off,
/// measuring 21.00 °C, with the registry's default setpoints (20.00 °C and 26.00 °C).
pub fn build(now: Instant, serial: &str) -> Result<DeviceNode, BuildError> {
    let endpoint = Endpoint::new(ENDPOINT, "thermostat", ThermostatBehavior)
        .with_features(
            thermostat::ID,
            &[thermostat::features::HEATING, thermostat::features::COOLING],
        )
        .set(thermostat::ID, ta::LOCAL_TEMPERATURE, 2100i64);
    DeviceBuilder::new(device_info(PRODUCT_ID, "Reference thermostat", serial))
        .endpoint(endpoint)
        .build(now)
}

/// Sets the measured temperature (centi-celsius) from the device side and recomputes
/// `running-state`; changes are reported to subscriptions.
pub fn set_local_temperature(
    node: &mut DeviceNode,
    now: Instant,
    centi_celsius: i16,
) -> Result<(), Status> {
    node.update(now, EndpointId(ENDPOINT), |ctx| {
        let mut state = State::read(ctx)?;
        state.local = centi_celsius.into();
        ctx.set(
            thermostat::ID,
            ta::LOCAL_TEMPERATURE,
            i64::from(centi_celsius),
        )?;
        state.apply_running_state(ctx)
    })
}

/// The thermostat's behaviour: the deadband, mode checks, setpoint-raise-lower and the
/// derived running-state. It keeps no state of its own.
#[derive(Debug, Default)]
pub struct ThermostatBehavior;

/// The attributes running-state depends on; a setpoint is `None` when its feature is absent.
#[derive(Clone, Copy, Debug)]
struct State {
    local: i64,
    heat: Option<i64>,
    cool: Option<i64>,
    mode: u64,
}

impl State {
    fn read(ctx: &Context<'_>) -> Result<State, Status> {
        Ok(State {
            local: ctx
                .get_i64(thermostat::ID, ta::LOCAL_TEMPERATURE)
                .ok_or(Status::FAILURE)?,
            heat: ctx.get_i64(thermostat::ID, ta::OCCUPIED_HEATING_SETPOINT),
            cool: ctx.get_i64(thermostat::ID, ta::OCCUPIED_COOLING_SETPOINT),
            mode: ctx
                .get_u64(thermostat::ID, ta::SYSTEM_MODE)
                .ok_or(Status::FAILURE)?,
        })
    }

    /// Whether the setpoints keep the deadband (always, unless the device has both).
    fn deadband_ok(&self) -> bool {
        match (self.heat, self.cool) {
            (Some(h), Some(c)) => h <= c - DEADBAND,
            _ => true,
        }
    }

    /// Whether the device has the features `mode` needs.
    fn supports_mode(&self, m: u64) -> bool {
        match u8::try_from(m) {
            Ok(mode::OFF) => true,
            Ok(mode::HEAT) => self.heat.is_some(),
            Ok(mode::COOL) => self.cool.is_some(),
            Ok(mode::AUTO) => self.heat.is_some() && self.cool.is_some(),
            _ => false,
        }
    }

    fn running_state(&self) -> u8 {
        let may_heat = self.mode == u64::from(mode::HEAT) || self.mode == u64::from(mode::AUTO);
        let may_cool = self.mode == u64::from(mode::COOL) || self.mode == u64::from(mode::AUTO);
        match (self.heat, self.cool) {
            (Some(h), _) if may_heat && self.local < h => running::HEATING,
            (_, Some(c)) if may_cool && self.local > c => running::COOLING,
            _ => running::IDLE,
        }
    }

    fn apply_running_state(&self, ctx: &mut Context<'_>) -> Result<(), Status> {
        ctx.set(thermostat::ID, ta::RUNNING_STATE, self.running_state())
    }
}

impl Behavior for ThermostatBehavior {
    fn write(
        &mut self,
        ctx: &mut Context<'_>,
        attr: ConcreteAttribute,
        value: &Data,
    ) -> Result<Data, Status> {
        let mut state = State::read(ctx)?;
        match (attr.capability, attr.attribute) {
            (thermostat::ID, ta::OCCUPIED_HEATING_SETPOINT) => {
                state.heat = Some(value.as_i64().ok_or(Status::INVALID_DATA_TYPE)?);
            }
            (thermostat::ID, ta::OCCUPIED_COOLING_SETPOINT) => {
                state.cool = Some(value.as_i64().ok_or(Status::INVALID_DATA_TYPE)?);
            }
            (thermostat::ID, ta::SYSTEM_MODE) => {
                let m = value.as_u64().ok_or(Status::INVALID_DATA_TYPE)?;
                if !state.supports_mode(m) {
                    return Err(Status::CONSTRAINT_ERROR);
                }
                state.mode = m;
            }
            _ => return Ok(value.clone()),
        }
        if !state.deadband_ok() {
            return Err(Status::CONSTRAINT_ERROR);
        }
        state.apply_running_state(ctx)?;
        Ok(value.clone())
    }

    fn invoke(
        &mut self,
        ctx: &mut Context<'_>,
        command: CommandPath,
        args: &Data,
    ) -> Result<Data, Status> {
        use thermostat::commands::{self, setpoint_raise_lower_args as a};
        if command.capability != thermostat::ID || command.command != commands::SETPOINT_RAISE_LOWER
        {
            return Err(Status::UNSUPPORTED_COMMAND);
        }
        let which = arg_u64(args, a::MODE).ok_or(Status::INVALID_DATA_TYPE)?;
        let amount = arg_i64(args, a::AMOUNT).ok_or(Status::INVALID_DATA_TYPE)?;
        let (heat, cool) = match u8::try_from(which) {
            Ok(a::mode_values::HEAT) => (true, false),
            Ok(a::mode_values::COOL) => (false, true),
            Ok(a::mode_values::BOTH) => (true, true),
            _ => return Err(Status::CONSTRAINT_ERROR),
        };
        let mut state = State::read(ctx)?;
        if heat {
            state.heat = state
                .heat
                .map(|h| (h + amount).clamp(HEATING_RANGE.0, HEATING_RANGE.1));
        }
        if cool {
            state.cool = state
                .cool
                .map(|c| (c + amount).clamp(COOLING_RANGE.0, COOLING_RANGE.1));
        }
        if !state.deadband_ok() {
            return Err(Status::CONSTRAINT_ERROR);
        }
        if let Some(h) = state.heat {
            ctx.set(thermostat::ID, ta::OCCUPIED_HEATING_SETPOINT, h)?;
        }
        if let Some(c) = state.cool {
            ctx.set(thermostat::ID, ta::OCCUPIED_COOLING_SETPOINT, c)?;
        }
        state.apply_running_state(ctx)?;
        Ok(empty())
    }
}

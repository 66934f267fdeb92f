//! A power strip: [`SOCKETS`] endpoints (1..=4), each with on-off and power-meter, labelled
//! "socket 1" to "socket 4".
//!
//! Rules implemented from the registry: `off`, `on` and `toggle` set `on`; `reset-energy`
//! (manage privilege, enforced by the SDK) sets `energy` to 0. A socket that is switched off
//! carries no load, so switching it off also sets its `active-power` to 0; otherwise
//! `active-power` and `energy` come from the device side through [`set_power`] and
//! [`set_energy`] (the strip does not integrate power into energy by itself).

use crate::{device_info, empty};
use orbit_core::device::{Behavior, BuildError, Context, DeviceBuilder, DeviceNode, Endpoint};
use orbit_core::interaction::CommandPath;
use orbit_core::model::std_caps::{on_off, power_meter};
use orbit_core::model::{Data, EndpointId};
use orbit_core::status::Status;
use std::time::Instant;

/// The strip's product ID.
pub const PRODUCT_ID: u16 = 0x8005;

/// The number of sockets; socket `n` is endpoint `n`.
pub const SOCKETS: u16 = 4;

/// Builds the strip with serial number `serial`; `now` is its start time. Every socket starts
/// off, drawing no power.
pub fn build(now: Instant, serial: &str) -> Result<DeviceNode, BuildError> {
    let mut builder = DeviceBuilder::new(device_info(PRODUCT_ID, "Reference power strip", serial));
    for socket in 1..=SOCKETS {
        builder = builder.endpoint(
            Endpoint::new(socket, &format!("socket {socket}"), SocketBehavior)
                .with(on_off::ID)
                .with(power_meter::ID)
                .omit(power_meter::ID, power_meter::attributes::VOLTAGE)
                .omit(power_meter::ID, power_meter::attributes::CURRENT),
        );
    }
    builder.build(now)
}

/// The endpoint of `socket`, or unsupported-endpoint when the strip has no such socket.
fn socket_endpoint(socket: u16) -> Result<EndpointId, Status> {
    if (1..=SOCKETS).contains(&socket) {
        Ok(EndpointId(socket))
    } else {
        Err(Status::UNSUPPORTED_ENDPOINT)
    }
}

/// Records the active power of `socket` (1..=4) in milliwatts, from the device side;
/// unsupported-endpoint for another socket, constraint-error outside ±100 kW.
pub fn set_power(
    node: &mut DeviceNode,
    now: Instant,
    socket: u16,
    milliwatts: i64,
) -> Result<(), Status> {
    let endpoint = socket_endpoint(socket)?;
    node.update(now, endpoint, |ctx| {
        ctx.set(
            power_meter::ID,
            power_meter::attributes::ACTIVE_POWER,
            milliwatts,
        )
    })
}

/// Records the energy `socket` (1..=4) has consumed, in milliwatt-hours, from the device
/// side; unsupported-endpoint for another socket.
pub fn set_energy(
    node: &mut DeviceNode,
    now: Instant,
    socket: u16,
    milliwatt_hours: u64,
) -> Result<(), Status> {
    let endpoint = socket_endpoint(socket)?;
    node.update(now, endpoint, |ctx| {
        ctx.set(
            power_meter::ID,
            power_meter::attributes::ENERGY,
            milliwatt_hours,
        )
    })
}

/// The behaviour of one socket: its on-off commands and reset-energy.
#[derive(Debug, Default)]
pub struct SocketBehavior;

impl Behavior for SocketBehavior {
    fn invoke(
        &mut self,
        ctx: &mut Context<'_>,
        command: CommandPath,
        _args: &Data,
    ) -> Result<Data, Status> {
        use on_off::{attributes::ON, commands};
        match (command.capability, command.command) {
            (on_off::ID, commands::OFF | commands::ON | commands::TOGGLE) => {
                let on = match command.command {
                    commands::OFF => false,
                    commands::ON => true,
                    _ => !ctx.get_bool(on_off::ID, ON).unwrap_or(false),
                };
                ctx.set(on_off::ID, ON, on)?;
                if !on {
                    ctx.set(power_meter::ID, power_meter::attributes::ACTIVE_POWER, 0u64)?;
                }
                Ok(empty())
            }
            // [DM-58]
            (power_meter::ID, power_meter::commands::RESET_ENERGY) => {
                ctx.set(power_meter::ID, power_meter::attributes::ENERGY, 0u64)?;
                Ok(empty())
            }
            _ => Err(Status::UNSUPPORTED_COMMAND),
        }
    }

    fn write(
        &mut self,
        ctx: &mut Context<'_>,
        attr: orbit_core::interaction::ConcreteAttribute,
        value: &Data,
    ) -> Result<Data, Status> {
        // A write of `on` false switches the socket off exactly like the off command.
        if (attr.capability, attr.attribute) == (on_off::ID, on_off::attributes::ON)
            && value.as_bool() == Some(false)
        {
            ctx.set(power_meter::ID, power_meter::attributes::ACTIVE_POWER, 0u64)?;
        }
        Ok(value.clone())
    }
}

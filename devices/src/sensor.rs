//! A battery-powered multi-sensor: endpoint 1 with temperature-sensor, humidity-sensor and
//! battery.
//!
//! Every attribute is read-only to controllers, so the endpoint's behaviour is
//! [`Passive`]; readings come from the device side through [`set_readings`], which also
//! judges `charge-level` from the remaining charge and emits `battery-low` `[DM-57]` when it changes to
//! warning or to critical, as the registry says.

use crate::device_info;
use orbit_core::device::{BuildError, Context, DeviceBuilder, DeviceNode, Endpoint};
use orbit_core::model::std_caps::{battery, humidity_sensor, temperature_sensor};
use orbit_core::model::{Data, EndpointId};
use orbit_core::status::Status;
use std::time::Instant;

pub use orbit_core::device::Passive as SensorBehavior;

/// The sensor's product ID.
pub const PRODUCT_ID: u16 = 0x8004;

/// The sensor's endpoint.
pub const ENDPOINT: u16 = 1;

/// The lowest temperature the sensor measures, in centi-celsius (-40.00 °C).
pub const MIN_TEMPERATURE: i16 = -4000;

/// The highest temperature the sensor measures, in centi-celsius (85.00 °C).
pub const MAX_TEMPERATURE: i16 = 8500;

/// The temperature tolerance, in centi-celsius (±0.30 °C).
pub const TEMPERATURE_TOLERANCE: u16 = 30;

/// The humidity tolerance, in centi-percent (±2 %).
pub const HUMIDITY_TOLERANCE: u16 = 200;

/// At or below this remaining charge (percent), `charge-level` is warning.
pub const WARNING_PERCENT: u8 = 20;

/// At or below this remaining charge (percent), `charge-level` is critical.
pub const CRITICAL_PERCENT: u8 = 5;

/// Builds the sensor with serial number `serial`; `now` is its start time. Measurements and
/// the remaining charge are null until the first [`set_readings`].
pub fn build(now: Instant, serial: &str) -> Result<DeviceNode, BuildError> {
    use humidity_sensor::attributes as ha;
    use temperature_sensor::attributes as ta;
    let endpoint = Endpoint::new(ENDPOINT, "multi-sensor", SensorBehavior)
        .with(temperature_sensor::ID)
        .with(humidity_sensor::ID)
        .with(battery::ID)
        .omit(battery::ID, battery::attributes::VOLTAGE)
        .omit(battery::ID, battery::attributes::CHARGING_STATE)
        .set(
            temperature_sensor::ID,
            ta::MIN_MEASURED_VALUE,
            i64::from(MIN_TEMPERATURE),
        )
        .set(
            temperature_sensor::ID,
            ta::MAX_MEASURED_VALUE,
            i64::from(MAX_TEMPERATURE),
        )
        .set(temperature_sensor::ID, ta::TOLERANCE, TEMPERATURE_TOLERANCE)
        .set(humidity_sensor::ID, ha::MIN_MEASURED_VALUE, 0u16)
        .set(humidity_sensor::ID, ha::MAX_MEASURED_VALUE, 10_000u16)
        .set(humidity_sensor::ID, ha::TOLERANCE, HUMIDITY_TOLERANCE)
        .set(battery::ID, battery::attributes::REPLACEABLE, true);
    DeviceBuilder::new(device_info(PRODUCT_ID, "Reference multi-sensor", serial))
        .endpoint(endpoint)
        .build(now)
}

/// The `charge-level` the sensor reports for a remaining charge in percent.
pub fn charge_level(percent: u8) -> u8 {
    use battery::attributes::charge_level_values as cl;
    if percent <= CRITICAL_PERCENT {
        cl::CRITICAL
    } else if percent <= WARNING_PERCENT {
        cl::WARNING
    } else {
        cl::OK
    }
}

fn range(ctx: &Context<'_>, cap: orbit_core::model::CapabilityId) -> Result<(i64, i64), Status> {
    use temperature_sensor::attributes as a; // the same IDs in both sensor capabilities
    Ok((
        ctx.get_i64(cap, a::MIN_MEASURED_VALUE)
            .ok_or(Status::FAILURE)?,
        ctx.get_i64(cap, a::MAX_MEASURED_VALUE)
            .ok_or(Status::FAILURE)?,
    ))
}

/// Records new readings from the device side: temperature in centi-celsius, relative
/// humidity in centi-percent, remaining battery charge in percent. A value outside the
/// sensor's measurable range (or a charge above 100) is refused with constraint-error and
/// nothing changes `[DM-56]`. Changes are reported to subscriptions; `battery-low` is emitted when
/// `charge-level` changes to warning or to critical.
pub fn set_readings(
    node: &mut DeviceNode,
    now: Instant,
    temp_centi_c: i16,
    humidity_centi_pct: u16,
    battery_pct: u8,
) -> Result<(), Status> {
    use battery::attributes as ba;
    node.update(now, EndpointId(ENDPOINT), |ctx| {
        let (tmin, tmax) = range(ctx, temperature_sensor::ID)?;
        let (hmin, hmax) = range(ctx, humidity_sensor::ID)?;
        let temp = i64::from(temp_centi_c);
        let humidity = i64::from(humidity_centi_pct);
        if !(tmin..=tmax).contains(&temp) || !(hmin..=hmax).contains(&humidity) || battery_pct > 100
        {
            return Err(Status::CONSTRAINT_ERROR);
        }
        ctx.set(
            temperature_sensor::ID,
            temperature_sensor::attributes::MEASURED_VALUE,
            temp,
        )?;
        ctx.set(
            humidity_sensor::ID,
            humidity_sensor::attributes::MEASURED_VALUE,
            humidity_centi_pct,
        )?;
        ctx.set(battery::ID, ba::PERCENT_REMAINING, battery_pct)?;
        let before = ctx.get_u64(battery::ID, ba::CHARGE_LEVEL);
        let level = charge_level(battery_pct);
        ctx.set(battery::ID, ba::CHARGE_LEVEL, level)?;
        if level != ba::charge_level_values::OK && before != Some(level.into()) {
            ctx.emit(
                battery::ID,
                battery::events::BATTERY_LOW,
                Data::structure(vec![(
                    battery::events::battery_low_fields::PERCENT_REMAINING.0,
                    Data::from(battery_pct),
                )]),
            )?;
        }
        Ok(())
    })
}

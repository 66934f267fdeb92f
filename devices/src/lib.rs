//! Orbit reference devices, built on the device SDK of `orbit-core` ([`orbit_core::device`]).
//!
//! Five devices show how standard capabilities compose and how their rules from the registry
//! (`spec/v1/registry/*.json`, summarised in `spec/v1/14-capabilities.md`) are implemented in
//! behaviours:
//!
//! | kind | module | product ID | endpoints |
//! | --- | --- | --- | --- |
//! | [`Kind::Lamp`] | [`lamp`] | `0x8001` | 1: on-off, level, color |
//! | [`Kind::Thermostat`] | [`thermostat`] | `0x8002` | 1: thermostat (heating and cooling) |
//! | [`Kind::Lock`] | [`lock`] | `0x8003` | 1: door-lock |
//! | [`Kind::Sensor`] | [`sensor`] | `0x8004` | 1: temperature-sensor, humidity-sensor, battery |
//! | [`Kind::Strip`] | [`strip`] | `0x8005` | 1..=4: on-off, power-meter |
//!
//! Every device uses the development vendor ID [`VENDOR_ID`] and firmware version
//! [`FIRMWARE_VERSION`].
//!
//! ```
//! use orbit_devices::Kind;
//! use std::time::Instant;
//!
//! let node = Kind::Lamp.build(Instant::now(), "lamp-0001").unwrap();
//! assert_eq!(node.descriptor().product_id, 0x8001);
//! ```

#![forbid(unsafe_code)]

pub mod lamp;
pub mod lock;
pub mod sensor;
pub mod strip;
pub mod thermostat;

use orbit_core::device::{BuildError, DeviceInfo, DeviceNode};
use std::fmt;
use std::str::FromStr;
use std::time::Instant;
use thiserror::Error;

/// The development vendor ID every reference device reports.
pub const VENDOR_ID: u16 = 0xFFF1;

/// The firmware version every reference device reports.
pub const FIRMWARE_VERSION: &str = "1.0.0";

/// The vendor name every reference device reports.
pub const VENDOR_NAME: &str = "Orbit reference devices";

/// The basic information of a reference device.
pub(crate) fn device_info(product_id: u16, product_name: &str, serial: &str) -> DeviceInfo {
    DeviceInfo {
        vendor_id: VENDOR_ID,
        vendor_name: VENDOR_NAME.to_owned(),
        product_id,
        product_name: product_name.to_owned(),
        serial_number: serial.to_owned(),
        hardware_version: "1".to_owned(),
        firmware_version: FIRMWARE_VERSION.to_owned(),
    }
}

/// One of the five reference devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A color lamp ([`lamp`]).
    Lamp,
    /// A heating and cooling thermostat ([`thermostat`]).
    Thermostat,
    /// A door lock ([`lock`]).
    Lock,
    /// A temperature, humidity and battery multi-sensor ([`sensor`]).
    Sensor,
    /// A four-socket power strip ([`strip`]).
    Strip,
}

impl Kind {
    /// Every kind, in product ID order.
    pub const ALL: [Kind; 5] = [
        Kind::Lamp,
        Kind::Thermostat,
        Kind::Lock,
        Kind::Sensor,
        Kind::Strip,
    ];

    /// The kind's name: `lamp`, `thermostat`, `lock`, `sensor` or `strip`.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Lamp => "lamp",
            Kind::Thermostat => "thermostat",
            Kind::Lock => "lock",
            Kind::Sensor => "sensor",
            Kind::Strip => "strip",
        }
    }

    /// The product ID the device reports.
    pub const fn product_id(self) -> u16 {
        match self {
            Kind::Lamp => lamp::PRODUCT_ID,
            Kind::Thermostat => thermostat::PRODUCT_ID,
            Kind::Lock => lock::PRODUCT_ID,
            Kind::Sensor => sensor::PRODUCT_ID,
            Kind::Strip => strip::PRODUCT_ID,
        }
    }

    /// Builds the device with serial number `serial`; `now` is its start time.
    pub fn build(self, now: Instant, serial: &str) -> Result<DeviceNode, BuildError> {
        match self {
            Kind::Lamp => lamp::build(now, serial),
            Kind::Thermostat => thermostat::build(now, serial),
            Kind::Lock => lock::build(now, serial),
            Kind::Sensor => sensor::build(now, serial),
            Kind::Strip => strip::build(now, serial),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of [`Kind::name`]'s.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("unknown device kind {0:?} (expected lamp, thermostat, lock, sensor or strip)")]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

/// A field of a command's arguments as an unsigned integer.
pub(crate) fn arg_u64(
    args: &orbit_core::model::Data,
    field: orbit_core::model::FieldId,
) -> Option<u64> {
    args.field(field.0)
        .and_then(orbit_core::model::Data::as_u64)
}

/// A field of a command's arguments as a signed integer.
pub(crate) fn arg_i64(
    args: &orbit_core::model::Data,
    field: orbit_core::model::FieldId,
) -> Option<i64> {
    args.field(field.0)
        .and_then(orbit_core::model::Data::as_i64)
}

/// The empty struct: arguments and results of commands without fields.
pub(crate) fn empty() -> orbit_core::model::Data {
    orbit_core::model::Data::Struct(Vec::new())
}

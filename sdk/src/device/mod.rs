//! The device runtime: serves a device built with the device SDK (`orbit_core::device`) over
//! QUIC, with its pairing window, commissioning, sessions, subscriptions and store.

mod adverts;
mod ble;
mod core;
mod early;
mod error;
mod failsafe;
mod handshakes;
mod identity;
#[cfg(test)]
mod lockout_tests;
mod network;
mod persist;
mod reset;
mod runner;
mod saver;
mod stream_end;

pub use ble::{BlePeripheral, NONCE_LIFETIME};
pub use error::DeviceError;
pub use identity::{DeviceIdentity, PBKDF2_ITERATIONS};
pub use persist::{DeviceState, DEVICE_RECORD};
pub use reset::{factory_reset, FactoryReset};
pub use runner::{Device, DeviceConfig};

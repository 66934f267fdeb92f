//! Orbit over Bluetooth LE in the SDK ([BLE-*], `spec/v1/18-ble.md`): the central seam a
//! controller finds and reaches devices through, the choice of a device by its advert, and a
//! simulated air of in-process devices for tests and the demo. The device side is
//! [`crate::device::BlePeripheral`]; pairing over BLE and the handoff to QUIC are methods of
//! [`crate::controller::Controller`].

mod air;
mod central;
mod find;

pub use air::SimulatedAir;
pub use central::{BleCentral, BoxFuture, Connected, Sighting};
pub use find::{commissionable_query, find_commissionable, find_operational};
pub use orbit_ble::engine::FramingConfig;

//! What the real Bluetooth adapters (features `btleplug` and `bluer`) share: their error type
//! and the queued radio through which the link writes to a stack whose writes are `async`.
//! The adapters themselves are `crate::btleplug` (a desktop central) and `crate::bluer` (a
//! Linux peripheral on BlueZ); `transports/ble/README.md` says how to run them.

mod error;
mod queued;

pub use error::AdapterError;
pub(crate) use queued::{queued_radio, RadioTask};

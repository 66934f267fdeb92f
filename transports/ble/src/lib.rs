//! Orbit over Bluetooth LE ([BLE-*], `spec/v1/18-ble.md`).
//!
//! Like QUIC, BLE is only a pipe for Orbit: pairing, sessions and message protection are the
//! same on every transport ([SESS-2], [MSG-3]). This crate holds:
//!
//! - the GATT framing as a sans-IO state machine ([`engine`], with its frame codecs in
//!   [`frame`] and typed errors in [`error`]: ATT values and time in, ATT values to send and
//!   deadlines out), which builds for `no_std` + `alloc`;
//! - the radio seam ([`radio`], `std`): what a Bluetooth stack (a desktop central, a Linux
//!   peripheral, a phone's stack through the bindings, or the simulated link) provides;
//! - the async link (`link`, feature `tokio`): exchanges and device-initiated messages over
//!   one radio connection, for the SDK;
//! - the GATT service's UUIDs ([`gatt`]), the exchange SDU codec ([`sdu`]) and the
//!   advertising payloads ([`advert`]), also `no_std` + `alloc`;
//! - a seeded simulated link ([`sim`], `std`): a virtual-time model for deterministic tests
//!   and benchmarks, and a pair of simulated radios on tokio (feature `tokio`);
//! - real Bluetooth adapters behind features of the same names: `btleplug` (a desktop
//!   central) and `bluer` (a Linux peripheral on BlueZ), sharing `adapter`.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod engine;
pub mod error;
pub mod frame;
#[cfg(feature = "tokio")]
pub mod link;
#[cfg(feature = "std")]
pub mod radio;

pub mod advert;
pub mod gatt;
pub mod sdu;
#[cfg(feature = "std")]
pub mod sim;

// Real Bluetooth adapters (features `btleplug`, `bluer`; transports/ble/README.md).
#[cfg(any(feature = "btleplug", all(feature = "bluer", target_os = "linux")))]
pub mod adapter;
#[cfg(all(feature = "bluer", target_os = "linux"))]
pub mod bluer;
#[cfg(feature = "btleplug")]
pub mod btleplug;

pub use engine::{Engine, FramingConfig, FramingStats, LinkState};
pub use error::FramingError;

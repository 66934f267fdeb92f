//! A seeded simulated BLE link, for deterministic tests and benchmarks (`std`).
//!
//! [`SimLink`] is a pure virtual-time model of one BLE connection: what each side writes is
//! delivered to the other at connection events, at most [`SimParams::packets_per_event`]
//! values per event and direction, in the order written, each value at most the ATT MTU less
//! 3 bytes. Extra delays, their jitter and disconnects (at a chosen time, or with a seeded
//! probability per connection event) come from [`SimParams`] and a `u64` seed, so a failing
//! run replays from its seed. [`radio_pair`] (feature `tokio`) drives the model on tokio's
//! clock and hands out two [`Radio`](crate::radio::Radio)s, one per side, for async tests;
//! [`EnginePair`] joins two framing engines over the model in virtual time.

mod engines;
mod goodput;
mod link;
mod params;
#[cfg(feature = "tokio")]
mod radio;

pub use engines::{EnginePair, PairError};
pub use goodput::{measure_goodput, GoodputReport};
pub use link::{Delivery, DirectionStats, Side, SimLink, SimStats};
pub use params::{
    SimError, SimParams, ATT_HEADER_LEN, MAX_ATT_MTU, MAX_CONNECTION_INTERVAL, MIN_ATT_MTU,
    MIN_CONNECTION_INTERVAL,
};
#[cfg(feature = "tokio")]
pub use radio::{radio_pair, radio_pair_with_time_scale, SimEnd};

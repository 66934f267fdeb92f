//! Orbit's async SDK over QUIC.
//!
//! - [`device::Device`] runs any device built with the device SDK: it accepts pairing while
//!   its window is open, is commissioned into homes, serves sessions and subscriptions, and
//!   keeps its state in a store.
//! - [`controller::Controller`] is what a phone app or the `orbit` CLI uses: it creates or
//!   opens a home, pairs with devices from their setup code, connects, describes, reads,
//!   writes, invokes and subscribes, and keeps what it learned in a store.
#![forbid(unsafe_code)]

pub mod controller;
pub mod device;
mod ticket;

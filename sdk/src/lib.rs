//! Orbit's async SDK over QUIC.
//!
//! - [`device::Device`] runs any device built with the device SDK: it accepts pairing while
//!   its window is open, is commissioned into homes, serves sessions and subscriptions, and
//!   keeps its state in a store.
//! - [`controller::Controller`] is what a phone app or the `orbit` CLI uses: it creates or
//!   opens a home, pairs with devices from their setup code, connects, describes, reads,
//!   writes, invokes and subscribes, and keeps what it learned in a store.
//! - [`link::Link`] is the one connection type both speak, whatever transport carries it.
#![forbid(unsafe_code)]

pub mod ble;
pub mod capped;
pub mod controller;
pub mod device;
pub mod link;
pub mod paths;
mod ticket;

/// Seconds since the Unix epoch by the system clock, for certificate and ticket validity; 0
/// on a clock set before 1970 (certificate checks then fail with a clear expiry error).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

//! Sustained load: one controller (the SDK, in this process) holding sessions with many
//! devices (`orbit device run` processes, several per device host), a subscription on each,
//! and reads and writes at a steady rate. It measures what an operator of a hub with hundreds
//! of devices asks: were any responses lost, did every subscription report within its
//! interval `[IM-63]` `[IM-64]`, does memory stay flat, and what a request costs in CPU.

pub mod fleet;
pub mod latency;
pub mod outcome;
pub mod procstat;
pub mod run;
pub mod sampler;
pub mod sessions;
pub mod summary;
pub mod traffic;
mod watch;

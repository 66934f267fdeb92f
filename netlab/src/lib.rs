//! A test network of real hosts for Orbit: Linux network namespaces on a bridge, real `orbit
//! device run` processes on device hosts, an SDK controller in-process on a controller host,
//! and the faults of a home network (loss, partitions, rate limits, delay, address changes,
//! crashes). See `netlab/README.md` for the scenarios and their figures.
//!
//! The API, in the order a scenario uses it:
//!
//! - [`check`]: whether the machine can run a lab (root, `ip`, `nft`, `tc`, namespaces);
//!   the error is the skip reason.
//! - [`Lab::new`] builds the bridge; [`Lab::add_host`] adds a [`Host`] (namespace, veth,
//!   address in 10.77.0.0/16, multicast across the bridge). Dropping the `Lab` (also on
//!   panic) removes everything; SIGINT/SIGTERM/SIGHUP do too (a handler); leftovers of a
//!   killed run go with the next lab or `scripts/netlab --cleanup` ([`cleanup`]).
//!   `netlab hold` (the crate's binary) builds one to explore by hand.
//! - [`DeviceProcess::start`] runs `orbit device run` inside a host ([`orbit_binary`] finds
//!   the binary); it can be killed (`kill9`), restarted from its store, and controlled.
//! - [`Host::runtime`] gives an [`NsRuntime`]: tokio inside the host, where the SDK
//!   `Controller` runs in-process (its sockets are the host's).
//! - Impairments of a host's link: [`Host::set_loss`], [`Host::set_partitioned`],
//!   [`Host::impair`] (nftables), [`Host::set_rate`] (`tbf`), [`Host::set_netem_delay`]
//!   where [`delay_mechanism`] is `Netem`, else a [`relay::Relay`] on a host of its own;
//!   [`Lab::renew_address`] moves a host to a new address.
//! - [`control`]: the controller as scenarios open it, and the `w<N>` write stream whose
//!   acknowledgements they check.
//! - [`stats`]: percentiles, RSS and the summary table.
//!
//! Every command and wait is bounded in time ([`cmd::COMMAND_TIMEOUT`],
//! [`device::START_TIMEOUT`]).
#![forbid(unsafe_code)]

pub mod cleanup;
pub mod cmd;
pub mod control;
pub mod device;
mod error;
mod host;
pub mod hostile;
pub mod impair;
mod lab;
pub mod load;
pub mod long;
pub mod relay;
mod runtime;
pub mod stats;

pub use device::{orbit_binary, DeviceProcess, DeviceSpec};
pub use error::LabError;
pub use host::Host;
pub use impair::{delay_mechanism, Counters, DelayMechanism, Impairment};
pub use lab::{check, Lab, BRIDGE, SUBNET};
pub use runtime::NsRuntime;

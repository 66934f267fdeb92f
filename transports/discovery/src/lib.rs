//! Orbit discovery: DNS-SD over mDNS (spec `17-discovery.md`).
//!
//! A device advertises `_orbit._udp.local.` in two modes ([DISC-1]):
//!
//! - **commissionable**, while its pairing window is open: a random instance name per window,
//!   with the discriminator, vendor and product and a pairing hint in TXT ([`Commissionable`]);
//! - **operational**, one instance per home, named by an identifier only that home can compute
//!   ([`operational_instance_id`], [`Operational`]).
//!
//! A controller browses with a [`Browser`] and a device advertises with an [`Advertiser`].
//! Discovery is never the only path: a [`DeviceAddress`] (`quic://host:port`) always works
//! ([DISC-16]), and [`DiscoveryError::NothingFound`] is the one-line message that says so.
//!
//! The building and parsing of TXT records and instance names ([`records`], [`instance`],
//! [`address`]) is sans-IO. [`Advertiser`] and [`Browser`] drive an `mdns-sd` daemon thread
//! and block for at most the timeout they are given; from async code call them inside
//! `tokio::task::spawn_blocking`.
//!
//! ```no_run
//! use std::time::Duration;
//! use orbit_discovery::{Browser, DiscoveryError, DEFAULT_BROWSE_TIMEOUT};
//!
//! let browser = Browser::new()?;
//! let found = browser.browse_commissionable(None, DEFAULT_BROWSE_TIMEOUT)?;
//! if found.is_empty() {
//!     // "no Orbit device answered ...; give the device's address directly, e.g. quic://..."
//!     eprintln!("{}", DiscoveryError::NothingFound { waited: DEFAULT_BROWSE_TIMEOUT });
//! }
//! for device in &found {
//!     println!("{} {:?}", device.record.discriminator.value(), device.addresses);
//! }
//! # Ok::<(), DiscoveryError>(())
//! ```
#![forbid(unsafe_code)]

pub mod address;
mod advertise;
mod browse;
mod config;
mod daemon;
mod error;
pub mod instance;
mod oneshot;
pub mod records;
mod wire;

pub use address::{AddressError, DeviceAddress, DnsName, Host, DEFAULT_PORT};
pub use advertise::{AdvertHandle, Advertiser};
pub use browse::{Browser, DiscriminatorFilter, FoundDevice};
pub use config::{DiscoveryConfig, NetworkScope, MDNS_PORT};
pub use error::DiscoveryError;
pub use instance::{operational_instance_id, InstanceId};
pub use records::{Advertisement, Commissionable, Mode, Operational, PairingHint, RecordError};

use std::time::Duration;

/// The DNS-SD service type and domain every Orbit advertisement uses `[DISC-1]`.
pub const SERVICE_TYPE: &str = "_orbit._udp.local.";

/// How long a browse waits by default `[DISC-14]`.
pub const DEFAULT_BROWSE_TIMEOUT: Duration = Duration::from_secs(3);

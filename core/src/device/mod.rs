//! The device SDK: define a device by composing capabilities and writing behaviours; the
//! [`DeviceNode`] stores attributes, checks types, ranges and access, buffers events, runs
//! subscriptions and answers every interaction request (`spec/v1/13-interaction.md`).
//!
//! ```
//! use orbit_core::device::{DeviceBuilder, DeviceInfo, Endpoint, Passive};
//! use orbit_core::model::std_caps::temperature_sensor;
//! use std::time::Instant;
//!
//! let info = DeviceInfo {
//!     vendor_id: 0xFFF1, vendor_name: "Acme".into(), product_id: 7,
//!     product_name: "Thermo".into(), serial_number: "1".into(),
//!     hardware_version: "1".into(), firmware_version: "1.0".into(),
//! };
//! let node = DeviceBuilder::new(info)
//!     .endpoint(Endpoint::new(1, "probe", Passive).with(temperature_sensor::ID))
//!     .build(Instant::now())
//!     .unwrap();
//! assert_eq!(node.descriptor().endpoints.len(), 2);
//! ```

mod acl;
mod behavior;
mod builder;
mod events;
mod handle;
mod node;
mod reports;
mod root;
mod store;
mod subscription;

pub use acl::{AccessControl, AclEntry, Target};
pub use behavior::{Behavior, Context, Passive};
pub use builder::{BuildError, DeviceBuilder, DeviceInfo, Endpoint, DEFAULT_LIMITS};
pub use events::{EventLog, DEFAULT_EVENT_BUFFER, EVENT_NUMBER_BLOCK};
pub use handle::{Answer, MAX_TIMED_TIMEOUT_MS};
pub use node::{DeviceNode, NodeEvent, Outgoing, Requester};
pub use store::AttributeStore;
pub use subscription::MAX_INTERVAL_LIMIT_S;

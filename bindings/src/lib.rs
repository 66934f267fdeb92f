//! # orbit-bindings
//!
//! Orbit's controller for phone apps, exported with uniffi proc-macros and generated as
//! Kotlin (Android and the JVM), Swift (iOS and macOS) and Python. The crate holds no
//! protocol logic: every call goes to [`orbit_sdk::controller::Controller`] and its
//! [`DeviceConnection`](orbit_sdk::controller::DeviceConnection); this crate only converts
//! types, errors and threads at the edge.
//!
//! - [`OrbitController`] is a home: opened on an app-provided [`SecureStore`] (the
//!   `orbit_store::Store` trait implemented in Kotlin or Swift over the Android Keystore or
//!   the iOS Keychain) or on [`file_store`]. It pairs, connects, lists, unpairs, opens
//!   pairing windows and discovers.
//! - [`DeviceSession`] is a connected device: describe, read, write, invoke, subscribe.
//! - [`Value`] mirrors the data model's values, [`OrbitError`] has one variant per kind of
//!   failure with the phase that failed and the device's status code where there is one.
//! - Every `async` function runs on the crate's own tokio runtime ([`runtime`]) and is a
//!   `suspend fun` in Kotlin, `async` in Swift and a coroutine in Python; cancelling the
//!   caller drops the Rust work. A panic becomes [`OrbitError::Internal`].
//! - Platform seams are foreign traits: [`ServiceBrowser`] (NsdManager, NWBrowser) with the
//!   Rust mDNS browser as the default, and [`BleBridge`] (CoreBluetooth, android.bluetooth),
//!   through which [`OrbitController`] pairs over Bluetooth LE and moves sessions between BLE
//!   and QUIC while the framing and everything above it run in Rust.

mod ble;
mod controller;
mod describe;
mod device;
mod discovery;
mod error;
mod paths;
mod runtime;
mod store;
mod subscription;
mod timings;
mod value;

pub use ble::{BleBridge, BleFailure, BleHandoff, BleInbound, BleScan, BleSighting};
pub use controller::{OrbitController, Paired, PairedDevice, UnpairOutcome};
pub use describe::{
    AttributeInfo, CapabilityInfo, CommandInfo, DataKind, DataType, DeviceDescription,
    DeviceLimits, EndpointInfo, EventInfo, FieldInfo, NamedValue,
};
pub use device::{AttributeValue, DeviceSession, EventValue};
pub use discovery::{DiscoveredDevice, DiscoveryListener, ServiceBrowser, ServiceRecord, TxtEntry};
pub use error::{OrbitError, Phase};
pub use store::{file_store, memory_store, SecureStore, StoreFailure};
pub use subscription::{Report, Subscription, SubscriptionListener};
pub use timings::PhaseTiming;
pub use value::{StructField, Value};

uniffi::setup_scaffolding!("orbit");

//! What the controller's unit tests share: a reference lamp on 127.0.0.1 and a controller
//! with a store in memory, paired with it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::Controller;
use crate::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_core::cert::{HomeMembership, NodeId};
use orbit_devices::Kind;
use orbit_quic::QuicConfig;
use orbit_store::MemoryStore;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// A reference lamp kept in memory, started with `config`.
pub(super) async fn lamp_with(config: DeviceConfig) -> Device {
    Device::start(
        Kind::Lamp.build(Instant::now(), "L-1").unwrap(),
        DeviceIdentity::development(Kind::Lamp.product_id(), 1, crate::unix_now()).unwrap(),
        config,
    )
    .await
    .unwrap()
}

/// A reference lamp with the default configuration.
pub(super) async fn lamp() -> Device {
    lamp_with(DeviceConfig::default()).await
}

/// A controller with a new home and a store in memory.
pub(super) async fn controller() -> Controller {
    Controller::open(Arc::new(MemoryStore::new()), QuicConfig::default())
        .await
        .unwrap()
}

/// A controller paired with a device, and what a test needs to run handshakes by hand.
pub(super) struct PairedLamp {
    /// The controller.
    pub(super) phone: Controller,
    /// The device's address.
    pub(super) addr: SocketAddr,
    /// The device's node ID in the controller's home.
    pub(super) node: NodeId,
    /// The controller's membership of its home.
    pub(super) membership: HomeMembership,
}

/// A new controller paired with `device` by its QR code, as "lamp".
pub(super) async fn pair_lamp(device: &Device) -> PairedLamp {
    let addr = device.local_addr().unwrap();
    let phone = controller().await;
    let paired = phone
        .pair(&device.setup_payload().to_qr_string(), addr, Some("lamp"))
        .await
        .unwrap();
    let membership = phone.lock().membership().unwrap();
    PairedLamp {
        phone,
        addr,
        node: paired.device.node_id,
        membership,
    }
}

//! Pairing from a QR code without an address, with a device that has been on for a while
//! `[DISC-26]` `[DISC-27]` `[DISC-28]`.
//!
//! A device announces its commissionable instance only in its first seconds; a controller
//! started later finds it through the answer to its own query. That answer used to be dropped
//! for a QR code's subtype query, so `orbit pair CODE` without an address only worked right
//! after the device started.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_devices::Kind;
use orbit_discovery::{DiscoveryConfig, NetworkScope};
use orbit_quic::QuicConfig;
use orbit_sdk::controller::Controller;
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::MemoryStore;
use std::sync::Arc;
use std::time::Duration;

/// Longer than the device's probing and announcing (about 2 s).
const QUIET_AFTER: Duration = Duration::from_secs(3);

fn discovery() -> DiscoveryConfig {
    DiscoveryConfig {
        mdns_port: 30_000 + (std::process::id() % 20_000) as u16,
        scope: NetworkScope::LoopbackOnly,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairs_by_qr_code_after_the_device_stopped_announcing() {
    let device = Device::open(
        Arc::new(MemoryStore::new()),
        |now| Ok(Kind::Lamp.build(now, "L-1")?),
        || DeviceIdentity::development(Kind::Lamp.product_id(), 77, orbit_sdk::unix_now()),
        DeviceConfig {
            discovery: Some(discovery()),
            ..DeviceConfig::default()
        },
    )
    .await
    .unwrap();
    let code = device.setup_payload().to_qr_string();
    let phone = Controller::open(Arc::new(MemoryStore::new()), QuicConfig::default())
        .await
        .unwrap();
    tokio::time::sleep(QUIET_AFTER).await;

    let addr = phone
        .find_by_setup_code(&code, discovery(), Duration::from_secs(10))
        .await
        .expect("the device answers the QR code's subtype query");
    assert_eq!(addr.port(), device.local_addr().unwrap().port());
    assert!(addr.ip().is_loopback(), "{addr}");
    let paired = phone.pair(&code, addr, Some("lamp")).await.unwrap();
    assert!(phone.device("lamp").is_some());
    paired.connection.close();
    device.shutdown().await;
}

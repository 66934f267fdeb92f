//! The commissionable advertisement follows each opening of the pairing window: a new random
//! instance name every time the window opens, also when the new opening follows the previous
//! one faster than the device's periodic check of its adverts `[DISC-5]` `[DISC-6]`.
//!
//! Found by the conformance suite (`transport.dns-sd-commissionable`): a window closed and
//! opened again by an administrator within a second kept its instance name, because the
//! adverts only looked at whether the window was open, once a second.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orbit_devices::Kind;
use orbit_discovery::{Browser, DiscoveryConfig, DiscriminatorFilter, InstanceId, NetworkScope};
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::MemoryStore;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn discovery() -> DiscoveryConfig {
    DiscoveryConfig {
        mdns_port: 25_000 + (std::process::id() % 20_000) as u16,
        scope: NetworkScope::LoopbackOnly,
    }
}

/// The commissionable instance a fresh browse finds first, waiting until it is not `old`
/// (at most 5 s): `None` if only `old` (or nothing) answered.
async fn instance_other_than(
    filter: DiscriminatorFilter,
    old: Option<InstanceId>,
) -> Option<InstanceId> {
    let give_up = Instant::now() + Duration::from_secs(5);
    while Instant::now() < give_up {
        let found = tokio::task::spawn_blocking(move || {
            Browser::with_config(&discovery())
                .unwrap()
                .find_commissionable(filter, Duration::from_secs(2))
                .unwrap()
        })
        .await
        .unwrap();
        match found.map(|f| f.instance()) {
            Some(i) if Some(i) != old => return Some(i),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_opening_of_the_window_gets_a_new_instance_name() {
    let device = Device::open(
        Arc::new(MemoryStore::new()),
        |now| Ok(Kind::Lamp.build(now, "L-1")?),
        || DeviceIdentity::development(Kind::Lamp.product_id(), 78, orbit_sdk::unix_now()),
        DeviceConfig {
            discovery: Some(discovery()),
            ..DeviceConfig::default()
        },
    )
    .await
    .unwrap();
    let filter = DiscriminatorFilter::Long(device.setup_payload().discriminator);
    // The window opened at power-up.
    let first = instance_other_than(filter, None)
        .await
        .expect("the device advertises while its window is open [DISC-5]");
    // A button press opens the window again: a new opening [DISC-6].
    device
        .open_pairing_window(Duration::from_secs(600))
        .unwrap();
    let second = instance_other_than(filter, Some(first)).await;
    assert!(
        second.is_some(),
        "[DISC-6] the opening that followed kept instance {first}"
    );
    device.shutdown().await;
}

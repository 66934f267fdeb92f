//! Pairing by discovery against pairing with a known address, on loopback `[DISC-23]`.
//!
//! Each round starts a fresh reference lamp advertised on loopback (an mDNS port of its own)
//! and pairs a fresh controller with it twice over: once given its address, once finding it
//! by the setup code's discriminator. Prints each median and their ratio.
//!
//! ```sh
//! cargo run --release -p orbit-sdk --example pair_by_discovery [ROUNDS]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use orbit_devices::Kind;
use orbit_discovery::{DiscoveryConfig, NetworkScope};
use orbit_quic::QuicConfig;
use orbit_sdk::controller::Controller;
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::MemoryStore;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a new device advertises before a round starts: past its announcements (about 2 s
/// after it starts, RFC 6762 section 8.3), so only answers to queries can find it, as when
/// someone scans the code of a device that has been on for a while `[DISC-26]`.
const SETTLE: Duration = Duration::from_secs(3);

fn discovery() -> DiscoveryConfig {
    DiscoveryConfig {
        mdns_port: 20_000 + (std::process::id() % 20_000) as u16,
        scope: NetworkScope::LoopbackOnly,
    }
}

async fn lamp(serial: u64) -> Device {
    Device::open(
        Arc::new(MemoryStore::new()),
        |now| Ok(Kind::Lamp.build(now, "L-1")?),
        move || DeviceIdentity::development(Kind::Lamp.product_id(), serial, orbit_sdk::unix_now()),
        DeviceConfig {
            discovery: Some(discovery()),
            ..DeviceConfig::default()
        },
    )
    .await
    .unwrap()
}

/// Pairs with a fresh lamp, by discovery or at its address; the time from the setup code to
/// the paired device, and the part of it spent finding the device.
async fn pair_once(serial: u64, by_discovery: bool) -> (Duration, Duration) {
    let device = lamp(serial).await;
    let code = device.setup_payload().to_qr_string();
    let addr = device.local_addr().unwrap();
    let phone = Controller::open(Arc::new(MemoryStore::new()), QuicConfig::default())
        .await
        .unwrap();
    // A device has been advertising for a while when someone scans its code: let its
    // advertisement finish probing and announcing first.
    tokio::time::sleep(SETTLE).await;
    let started = Instant::now();
    let target = if by_discovery {
        phone
            .find_by_setup_code(&code, discovery(), Duration::from_secs(10))
            .await
            .unwrap()
    } else {
        addr
    };
    let finding = started.elapsed();
    let paired = phone.pair(&code, target, Some("lamp")).await.unwrap();
    let took = started.elapsed();
    paired.connection.close();
    device.shutdown().await;
    (took, finding)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let rounds: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(15);
    let (mut direct, mut found, mut finding) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds {
        // Alternate the order so neither side always runs warm.
        if i % 2 == 0 {
            direct.push(pair_once(2 * i + 1, false).await.0);
            let (took, find) = pair_once(2 * i + 2, true).await;
            found.push(took);
            finding.push(find);
        } else {
            let (took, find) = pair_once(2 * i + 2, true).await;
            found.push(took);
            finding.push(find);
            direct.push(pair_once(2 * i + 1, false).await.0);
        }
    }
    let (d, f) = (median(direct), median(found));
    println!("rounds: {rounds}");
    println!(
        "pair with a known address: median {:.1} ms",
        d.as_secs_f64() * 1e3
    );
    println!(
        "pair by discovery:         median {:.1} ms",
        f.as_secs_f64() * 1e3
    );
    println!(
        "  of which finding it:     median {:.2} ms",
        median(finding).as_secs_f64() * 1e3
    );
    println!(
        "ratio discovery / address: {:.2}",
        f.as_secs_f64() / d.as_secs_f64()
    );
}

//! The suite against the reference lamp on 127.0.0.1: every applicable MUST case passes,
//! the device is left without the suite's home, and a wrong setup code is a harness error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orbit_conformance::report::model::{EXIT_HARNESS, EXIT_PASS};
use orbit_conformance::{run, RunConfig, Silent, TargetSpec, Verdict};
use orbit_devices::Kind;
use orbit_discovery::{DiscoveryConfig, NetworkScope};
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::MemoryStore;
use std::sync::Arc;

/// mDNS on the loopback interface and a port of the test's own, so the lamp's adverts and
/// the suite's browses neither disturb nor hear the host's responder.
fn discovery() -> DiscoveryConfig {
    DiscoveryConfig {
        mdns_port: 40_000 + (std::process::id() % 20_000) as u16,
        scope: NetworkScope::LoopbackOnly,
    }
}

async fn lamp() -> Device {
    let config = DeviceConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        discovery: Some(discovery()),
        ..DeviceConfig::default()
    };
    Device::open(
        Arc::new(MemoryStore::new()),
        |now| Ok(Kind::Lamp.build(now, "L-1")?),
        || DeviceIdentity::development(Kind::Lamp.product_id(), 1, orbit_sdk::unix_now()),
        config,
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_lamp_passes_every_must_case_and_is_left_as_found() {
    let device = lamp().await;
    let target = TargetSpec::Quic(device.local_addr().unwrap().to_string());
    let mut config = RunConfig::new(target, device.setup_payload().to_qr_string());
    config.seed = Some(7);
    config.discovery = Some(discovery());
    let report = run(&config, &mut Silent).await.unwrap();
    assert_eq!(report.harness_error, None);
    for c in &report.cases {
        assert!(
            matches!(c.verdict, Verdict::Pass | Verdict::NotApplicable),
            "{} {}: {:?} {:?}",
            c.info.id,
            c.verdict,
            c.failed_rule,
            c.observed
        );
    }
    assert!(report.summary.pass > 0);
    assert_eq!(report.exit_code(), EXIT_PASS);
    assert_eq!(report.stamp.seed, 7);
    assert!(device.homes().is_empty(), "the suite removed its home");
    device.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_setup_code_is_a_harness_error_that_says_so() {
    let device = lamp().await;
    let target = TargetSpec::Quic(device.local_addr().unwrap().to_string());
    let mut other = *device.setup_payload();
    other.passcode =
        orbit_core::setup::Passcode::new(other.passcode.value() % 99_999_990 + 3).unwrap();
    let config = RunConfig::new(target, other.to_qr_string());
    let report = run(&config, &mut Silent).await.unwrap();
    let error = report.harness_error.clone().unwrap();
    assert!(error.contains("cannot pair"), "{error}");
    assert_eq!(report.exit_code(), EXIT_HARNESS);
    assert!(report.cases.is_empty());
    device.shutdown().await;
}

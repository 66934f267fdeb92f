//! The sessions, protection and robustness groups against the reference lock and thermostat
//! on 127.0.0.1 (the lamp runs them in `reference.rs`): every case passes or does not apply.
//! Their writable attributes, descriptors and sizes differ from the lamp's, so the health
//! check after each robustness case and the malformed write meet other schemas.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orbit_conformance::{run, RunConfig, Silent, TargetSpec, Verdict};
use orbit_devices::Kind;
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::MemoryStore;
use std::sync::Arc;

async fn groups_pass(kind: Kind) {
    let config = DeviceConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..DeviceConfig::default()
    };
    let device = Device::open(
        Arc::new(MemoryStore::new()),
        move |now| Ok(kind.build(now, "W-1")?),
        move || DeviceIdentity::development(kind.product_id(), 1, orbit_sdk::unix_now()),
        config,
    )
    .await
    .unwrap();
    let target = TargetSpec::Quic(device.local_addr().unwrap().to_string());
    let mut config = RunConfig::new(target, device.setup_payload().to_qr_string());
    config.seed = Some(13);
    config.only = vec!["sessions".into(), "protection".into(), "robustness".into()];
    let report = run(&config, &mut Silent).await.unwrap();
    assert_eq!(report.harness_error, None);
    let failures: Vec<String> = report
        .cases
        .iter()
        .filter(|c| !matches!(c.verdict, Verdict::Pass | Verdict::NotApplicable))
        .map(|c| {
            format!(
                "{} {}: {:?} expected {:?} observed {:?}",
                c.info.id, c.verdict, c.failed_rule, c.expected, c.observed
            )
        })
        .collect();
    println!(
        "{kind}: {} ms for the three groups",
        report.stamp.duration_ms
    );
    assert!(failures.is_empty(), "{failures:#?}");
    let passed = report
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Pass)
        .count();
    assert!(passed > 50, "{passed} cases passed");
    assert!(device.homes().is_empty(), "the suite removed its homes");
    device.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lock_passes_the_sessions_protection_and_robustness_groups() {
    groups_pass(Kind::Lock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_thermostat_passes_the_sessions_protection_and_robustness_groups() {
    groups_pass(Kind::Thermostat).await;
}

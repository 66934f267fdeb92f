//! The data-model and access groups against the reference lamp, lock and thermostat on
//! 127.0.0.1: every case passes or does not apply (with its reason). The lock and the
//! thermostat bring timed commands, events, enums and signed ranges the lamp lacks, so the
//! groups' generic checks meet more of the schema's shapes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_conformance::evidence::Direction;
use orbit_conformance::{run, RunConfig, Silent, TargetSpec, Verdict};
use orbit_devices::Kind;
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::MemoryStore;
use std::sync::Arc;

async fn device(kind: Kind) -> Device {
    let config = DeviceConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..DeviceConfig::default()
    };
    Device::open(
        Arc::new(MemoryStore::new()),
        move |now| Ok(kind.build(now, "M-1")?),
        move || DeviceIdentity::development(kind.product_id(), 1, orbit_sdk::unix_now()),
        config,
    )
    .await
    .unwrap()
}

async fn groups_pass(kind: Kind) {
    let device = device(kind).await;
    let target = TargetSpec::Quic(device.local_addr().unwrap().to_string());
    let mut config = RunConfig::new(target, device.setup_payload().to_qr_string());
    config.seed = Some(11);
    config.only = vec!["data-model".into(), "access".into()];
    let report = run(&config, &mut Silent).await.unwrap();
    assert_eq!(report.harness_error, None);
    let mut failures = Vec::new();
    for c in &report.cases {
        println!(
            "{kind} {:<40} {:<14} {} ms {}",
            c.info.id,
            c.verdict.to_string(),
            c.duration_ms,
            c.observed.clone().unwrap_or_default()
        );
        for e in c.evidence.iter().filter(|e| e.direction == Direction::Note) {
            println!("    {}", e.decoded.clone().unwrap_or_default());
        }
        if !matches!(c.verdict, Verdict::Pass | Verdict::NotApplicable) {
            failures.push(format!(
                "{} {}: {:?} expected {:?} observed {:?}",
                c.info.id, c.verdict, c.failed_rule, c.expected, c.observed
            ));
        }
    }
    println!("{kind}: {} ms for the two groups", report.stamp.duration_ms);
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(report.cases.iter().any(|c| c.verdict == Verdict::Pass));
    assert!(device.homes().is_empty(), "the suite removed its home");
    device.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lamp_passes_the_data_model_and_access_groups() {
    groups_pass(Kind::Lamp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lock_passes_the_data_model_and_access_groups() {
    groups_pass(Kind::Lock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_thermostat_passes_the_data_model_and_access_groups() {
    groups_pass(Kind::Thermostat).await;
}

//! The suite over BLE: the reference lamp serves Orbit over a simulated BLE link (the SDK's
//! simulated air, virtual time running 20 times as fast as the clock), the suite reaches it
//! through `TargetSpec::Ble` and runs the `ble` group and a representative subset of the
//! transport-independent groups; fault switches are caught over BLE as over QUIC
//! ([BLE-1]..[BLE-38], issue 14).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orbit_ble::sim::SimParams;
use orbit_conformance::report::RunReport;
use orbit_conformance::transport::BleAddress;
use orbit_conformance::{run, Level, RunConfig, Silent, TargetSpec, Verdict};
use orbit_core::faults::{Fault, Faults};
use orbit_devices::{lamp, Kind};
use orbit_sdk::ble::SimulatedAir;
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::MemoryStore;
use std::sync::Arc;

/// A lamp serving BLE beside QUIC (on 127.0.0.1), with `faults`.
async fn ble_lamp(faults: Faults) -> Device {
    let config = DeviceConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        faults,
        ..DeviceConfig::default()
    };
    Device::open(
        Arc::new(MemoryStore::new()),
        |now| Ok(lamp::build_for_ble(now, "L-BLE")?),
        || DeviceIdentity::development(Kind::Lamp.product_id(), 1, orbit_sdk::unix_now()),
        config,
    )
    .await
    .unwrap()
}

/// Runs `only` against `device` over a simulated BLE link, found by the discriminator of its
/// setup code.
async fn run_over_ble(device: &Device, only: &[&str]) -> RunReport {
    let air = SimulatedAir::with_time_scale(SimParams::default(), 3, 0.05);
    air.add("lamp", device.ble());
    let payload = device.setup_payload();
    let target = TargetSpec::ble_via(
        BleAddress::Discriminator(payload.discriminator.value()),
        Arc::new(air),
    );
    let mut config = RunConfig::new(target, payload.to_qr_string());
    config.seed = Some(14);
    config.only = only.iter().map(|s| (*s).to_owned()).collect();
    config.retries = 4;
    config.discovery = None;
    run(&config, &mut Silent).await.unwrap()
}

fn table(report: &RunReport) -> String {
    report
        .cases
        .iter()
        .map(|c| format!("{} {:?} {:?} {}\n", c.info.id, c.verdict, c.failed_rule, c.observed.clone().unwrap_or_default()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explore() {
    let device = ble_lamp(Faults::NONE).await;
    let only: Vec<&str> = std::env::var("ONLY").unwrap().leak().split(',').collect();
    let t = std::time::Instant::now();
    let report = run_over_ble(&device, &only).await;
    println!("{:?} {:?}\n{}", t.elapsed(), report.harness_error, table(&report));
    for c in &report.cases {
        if c.verdict == Verdict::Fail {
            for r in &c.evidence {
                println!("  {r:?}");
            }
        }
    }
    let _ = (Level::Must, Verdict::Pass, Fault::AcceptReplays);
}

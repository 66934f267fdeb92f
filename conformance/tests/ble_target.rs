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

/// The subset run over BLE: the whole `ble` group, and cases of every transport-independent
/// group (the whole suite over BLE takes about a minute; these cover pairing, commissioning,
/// sessions, protection, the data model, access and robustness over the BLE link), plus two
/// QUIC-only cases that must say why they do not apply.
const SUBSET: &[&str] = &[
    "ble",
    "pairing.correct-code",
    "pairing.wrong-code",
    "commissioning.attestation",
    "sessions.establish",
    "sessions.resume",
    "protection.replay",
    "protection.tamper-tag",
    "data-model.wildcard-read",
    "data-model.write-validation",
    "access.privileges",
    "robustness.cbor-truncated",
    "robustness.half-open-sigma",
    "transport.alpn",
    "transport.unknown-kind",
];

fn table(report: &RunReport) -> String {
    report
        .cases
        .iter()
        .map(|c| {
            format!(
                "{} {:?} {:?} {}\n",
                c.info.id,
                c.verdict,
                c.failed_rule,
                c.observed.clone().unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_runs_over_ble_and_the_simulated_lamp_passes_every_applicable_must_case() {
    let device = ble_lamp(Faults::NONE).await;
    let report = run_over_ble(&device, SUBSET).await;
    device.shutdown().await;
    let table = table(&report);
    println!("{table}");
    assert_eq!(report.harness_error, None);
    assert_eq!(report.stamp.transport, "ble");
    for c in &report.cases {
        if c.info.level == Level::Must {
            assert!(
                matches!(c.verdict, Verdict::Pass | Verdict::NotApplicable),
                "{} is {:?}:\n{table}",
                c.info.id,
                c.verdict
            );
        }
        if c.verdict == Verdict::NotApplicable {
            assert!(
                !c.observed.clone().unwrap_or_default().is_empty(),
                "{} has no reason",
                c.info.id
            );
        }
    }
    // The ble group ran, every case of it, and passed.
    let ble: Vec<_> = report
        .cases
        .iter()
        .filter(|c| c.info.group == orbit_conformance::Group::Ble)
        .collect();
    let all_ble = orbit_conformance::cases::all()
        .iter()
        .filter(|c| c.info.group == orbit_conformance::Group::Ble)
        .count();
    assert!(all_ble >= 8 && ble.len() == all_ble, "{table}");
    assert!(ble.iter().all(|c| c.verdict == Verdict::Pass), "{table}");
    // The transport-independent cases ran (not skipped) over BLE.
    for id in [
        "pairing.correct-code",
        "sessions.establish",
        "protection.replay",
        "data-model.write-validation",
        "robustness.half-open-sigma",
    ] {
        let c = report.cases.iter().find(|c| c.info.id == id).unwrap();
        assert_eq!(c.verdict, Verdict::Pass, "{id}:\n{table}");
    }
    // QUIC-only cases do not apply, and say so.
    for id in ["transport.alpn", "transport.unknown-kind"] {
        let c = report.cases.iter().find(|c| c.info.id == id).unwrap();
        assert_eq!(c.verdict, Verdict::NotApplicable, "{id}:\n{table}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_switches_are_caught_over_ble_too() {
    for (fault, only) in [
        (Fault::AcceptReplays, "protection.replay"),
        (Fault::WriteSkipsRangeCheck, "data-model.write-validation"),
    ] {
        let device = ble_lamp(Faults::only(fault)).await;
        let report = run_over_ble(&device, &[only]).await;
        device.shutdown().await;
        let table = table(&report);
        assert_eq!(report.harness_error, None, "{fault:?}");
        let caught = report.cases.iter().any(|c| {
            c.verdict == Verdict::Fail
                && c.failed_rule
                    .as_deref()
                    .is_some_and(|r| fault.rules().contains(&r))
        });
        assert!(
            caught,
            "{fault:?} {:?} not caught over BLE:\n{table}",
            fault.rules()
        );
    }
}

/// A target string names the device by discriminator or by the stack's handle; anything
/// else is refused with the forms the suite speaks.
#[test]
fn ble_targets_parse() {
    assert_eq!(
        "ble:3840".parse::<TargetSpec>().unwrap(),
        TargetSpec::Ble {
            address: BleAddress::Discriminator(3840),
            central: None
        }
    );
    assert_eq!(
        "ble://AA:BB:CC:DD:EE:FF".parse::<TargetSpec>().unwrap(),
        TargetSpec::Ble {
            address: BleAddress::Peripheral("AA:BB:CC:DD:EE:FF".into()),
            central: None
        }
    );
    for bad in ["ble:4096", "ble:x", "ble:", "ble://", "bt://x"] {
        let err = bad.parse::<TargetSpec>().unwrap_err();
        assert!(
            err.contains("ble:") || err.contains("discriminator"),
            "{bad}: {err}"
        );
    }
    assert_eq!("ble:7".parse::<TargetSpec>().unwrap().to_string(), "ble:7");
}

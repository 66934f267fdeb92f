//! Proof that the suite catches faults: for each fault switch of the reference device
//! (`conformance-faults` feature), the device runs with that one fault on, the suite runs the
//! cases that observe the broken rule, and at least one of them must FAIL naming that rule.
//! The clean device passing every MUST case is `tests/reference.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orbit_conformance::report::model::EXIT_PASS;
use orbit_conformance::{run, RunConfig, Silent, TargetSpec, Verdict};
use orbit_core::faults::{Fault, Faults};
use orbit_devices::Kind;
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::MemoryStore;
use std::sync::Arc;

/// One row: the fault, the device that shows it, and the cases (or groups) that catch it.
struct Row {
    fault: Fault,
    kind: Kind,
    only: &'static [&'static str],
}

/// Fault -> the cases that catch it; the FAIL must name one of `Fault::rules`.
const TABLE: &[Row] = &[
    Row {
        fault: Fault::AcceptReplays,
        kind: Kind::Lamp,
        only: &["protection.replay"],
    },
    Row {
        fault: Fault::WriteSkipsRangeCheck,
        kind: Kind::Lamp,
        only: &["data-model.write-validation"],
    },
    Row {
        fault: Fault::WriteSkipsTypeCheck,
        kind: Kind::Lamp,
        only: &["data-model.write-validation"],
    },
    Row {
        fault: Fault::WriteSkipsAccessCheck,
        kind: Kind::Lamp,
        only: &["data-model.write-validation"],
    },
    Row {
        fault: Fault::InvokeSkipsTimedCheck,
        kind: Kind::Lock,
        only: &["data-model.timed"],
    },
    Row {
        fault: Fault::WildcardOmitsAttribute,
        kind: Kind::Lamp,
        only: &["data-model.wildcard-read"],
    },
    Row {
        fault: Fault::ReportsWrongType,
        kind: Kind::Lamp,
        only: &["data-model.attribute-values"],
    },
    Row {
        fault: Fault::ReusesEventNumbers,
        kind: Kind::Lamp,
        only: &["data-model.events"],
    },
    Row {
        fault: Fault::IgnoresMinInterval,
        kind: Kind::Lamp,
        only: &["data-model.subscribe-reports"],
    },
    Row {
        fault: Fault::SkipsKeepAlives,
        kind: Kind::Lamp,
        only: &["data-model.subscribe-reports"],
    },
    Row {
        fault: Fault::TimedWindowUnbounded,
        kind: Kind::Lamp,
        only: &["data-model.timed"],
    },
    Row {
        fault: Fault::ActsOnExchangeZero,
        kind: Kind::Lamp,
        only: &["data-model.exchange-numbers"],
    },
    Row {
        fault: Fault::SubscribeIntervalsUnchecked,
        kind: Kind::Lamp,
        only: &["data-model.subscribe-lifecycle"],
    },
    Row {
        fault: Fault::OperateWithoutPrivilege,
        kind: Kind::Lamp,
        only: &["access.privileges"],
    },
    Row {
        fault: Fault::NoPairingBackoff,
        kind: Kind::Lamp,
        only: &["pairing.backoff"],
    },
    Row {
        fault: Fault::WindowStaysOpenAfterPairing,
        kind: Kind::Lamp,
        only: &["pairing.second-attempt"],
    },
    Row {
        fault: Fault::AcceptsForeignCertificate,
        kind: Kind::Lamp,
        only: &["sessions.wrong-home-certificate"],
    },
    Row {
        fault: Fault::BadDescriptorSignature,
        kind: Kind::Lamp,
        only: &["data-model.descriptor-signature"],
    },
    Row {
        fault: Fault::AnswersUnknownSession,
        kind: Kind::Lamp,
        only: &["protection.unknown-session"],
    },
];

async fn device(kind: Kind, faults: Faults) -> Device {
    let config = DeviceConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        faults,
        ..DeviceConfig::default()
    };
    Device::open(
        Arc::new(MemoryStore::new()),
        move |now| Ok(kind.build(now, "F-1")?),
        move || DeviceIdentity::development(kind.product_id(), 1, orbit_sdk::unix_now()),
        config,
    )
    .await
    .unwrap()
}

/// Runs `only` against `kind` with `faults`; the verdicts as (case, verdict, failed rule).
async fn verdicts(
    kind: Kind,
    faults: Faults,
    only: &[&str],
) -> (Vec<(String, Verdict, Option<String>)>, i32) {
    let device = device(kind, faults).await;
    let target = TargetSpec::Quic(device.local_addr().unwrap().to_string());
    let mut config = RunConfig::new(target, device.setup_payload().to_qr_string());
    config.seed = Some(12);
    config.only = only.iter().map(|s| (*s).to_owned()).collect();
    // A loaded machine may make a timing case INCONCLUSIVE; it is run again.
    config.retries = 4;
    let report = run(&config, &mut Silent).await.unwrap();
    device.shutdown().await;
    assert_eq!(report.harness_error, None, "{faults:?}");
    let v = report
        .cases
        .iter()
        .map(|c| (c.info.id.to_owned(), c.verdict, c.failed_rule.clone()))
        .collect();
    (v, report.exit_code())
}

#[test]
fn every_fault_has_a_row_and_the_catching_cases_cite_its_rule() {
    let cases = orbit_conformance::cases::all();
    for f in Fault::ALL {
        let row = TABLE.iter().find(|r| r.fault == f);
        let row = row.unwrap_or_else(|| panic!("{f:?} has no row"));
        let cites = cases.iter().any(|c| {
            row.only
                .iter()
                .any(|o| *o == c.info.id || *o == c.info.group.name())
                && f.rules().iter().any(|r| c.info.spec_ids.contains(r))
        });
        assert!(cites, "no case run for {f:?} cites {:?}", f.rules());
    }
    assert!(Fault::ALL.len() >= 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_fails_each_faulty_device_on_the_rule_it_breaks() {
    let mut missed = Vec::new();
    for row in TABLE {
        let (verdicts, exit) = verdicts(row.kind, Faults::only(row.fault), row.only).await;
        let rules = row.fault.rules();
        let caught = verdicts.iter().any(|(_, v, r)| {
            *v == Verdict::Fail && r.as_deref().is_some_and(|r| rules.contains(&r))
        });
        println!("{:?} {rules:?}: {verdicts:?}", row.fault);
        if !caught || exit == EXIT_PASS {
            missed.push(format!("{:?} {rules:?}: {verdicts:?}", row.fault));
        }
    }
    assert!(
        missed.is_empty(),
        "faults not caught:\n{}",
        missed.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clean_devices_pass_every_case_the_faults_use() {
    // Each catching case runs and passes (not merely NOT-APPLICABLE) on the clean device, so
    // its FAIL above comes from the fault alone.
    for kind in [Kind::Lamp, Kind::Lock] {
        let only: Vec<&str> = TABLE
            .iter()
            .filter(|r| r.kind == kind)
            .flat_map(|r| r.only.iter().copied())
            .collect();
        let (verdicts, exit) = verdicts(kind, Faults::NONE, &only).await;
        assert!(!verdicts.is_empty());
        for (id, v, rule) in &verdicts {
            assert_eq!(*v, Verdict::Pass, "{kind:?} {id}: {rule:?}");
        }
        assert_eq!(exit, EXIT_PASS);
    }
}

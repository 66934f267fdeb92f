//! What the report tests share: the reference lamp on 127.0.0.1, a real run against it, and
//! that run with cases of every other verdict added (FAIL of a MUST and of a SHOULD case,
//! NOT-APPLICABLE, INCONCLUSIVE) whose evidence holds text that must be escaped.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_conformance::evidence::{Direction, Record};
use orbit_conformance::report::{CaseReport, RunReport};
use orbit_conformance::{run, Level, RunConfig, Silent, TargetSpec, Verdict};
use orbit_devices::Kind;
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::MemoryStore;
use std::path::PathBuf;
use std::sync::Arc;

pub(crate) async fn lamp() -> Device {
    let config = DeviceConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
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

/// An empty scratch directory for this test process and `name`.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orbit-conformance-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The groups the report tests run for real (the whole suite runs through the CLI in
/// cli/tests/conformance.rs, whose report is validated against the schema there too).
pub(crate) const GROUPS: &[&str] = &["pairing", "sessions"];

/// A real run of [`GROUPS`] against the reference lamp with seed 11, its first pairing case
/// waived.
pub(crate) async fn real_report(dir: &std::path::Path) -> RunReport {
    let device = lamp().await;
    let target = TargetSpec::Quic(device.local_addr().unwrap().to_string());
    let mut config = RunConfig::new(target, device.setup_payload().to_qr_string());
    config.seed = Some(11);
    config.only = GROUPS.iter().map(|g| (*g).to_owned()).collect();
    let first = orbit_conformance::cases::all()
        .into_iter()
        .filter(|c| c.info.group == orbit_conformance::Group::Pairing)
        .map(|c| c.info.id)
        .min()
        .unwrap();
    let waivers = dir.join("waivers.json");
    std::fs::write(
        &waivers,
        format!(r#"[{{"case": "{first}", "reason": "fix <due> in 2.1 & later", "expires": "2999-12-31"}}]"#),
    )
    .unwrap();
    config.waivers = Some(waivers);
    let report = run(&config, &mut Silent).await.unwrap();
    device.shutdown().await;
    assert_eq!(report.harness_error, None);
    assert_eq!(report.summary.waived, 1);
    report
}

fn synthetic(from: &CaseReport, verdict: Verdict, level: Level, suffix: &str) -> CaseReport {
    let mut c = from.clone();
    // The case IDs must stay `'static`: leak a few short strings in a test.
    c.info.id = Box::leak(format!("{}-{suffix}", from.info.id).into_boxed_str());
    c.info.level = level;
    c.verdict = verdict;
    c.waiver = None;
    c.waived_verdict = None;
    c.failed_rule = None;
    c.expected = None;
    c.observed = Some(format!("why <{suffix}> & \"quotes\" \u{1} control"));
    if verdict == Verdict::Fail {
        c.failed_rule = Some(from.info.spec_ids[0].to_owned());
        c.expected = Some("an answer <b>within</b> 10 s".into());
    }
    c.evidence.push(Record {
        at_ms: 3,
        direction: Direction::Received,
        label: "</script><script>alert(1)</script>".into(),
        hex: "a1016161".into(),
        decoded: Some("{1: \"a\"} ]]> <!-- \u{7}".into()),
    });
    c
}

/// The real report with one case of each verdict the lamp never earns added.
pub(crate) fn mixed(real: &RunReport) -> RunReport {
    let mut r = real.clone();
    let base = r
        .cases
        .iter()
        .find(|c| c.verdict == Verdict::Pass)
        .cloned()
        .expect("a passing case");
    r.cases
        .push(synthetic(&base, Verdict::Fail, Level::Must, "must-fail"));
    r.cases.push(synthetic(
        &base,
        Verdict::Fail,
        Level::Should,
        "should-fail",
    ));
    r.cases
        .push(synthetic(&base, Verdict::NotApplicable, Level::Must, "na"));
    r.cases.push(synthetic(
        &base,
        Verdict::Inconclusive,
        Level::Must,
        "inconclusive",
    ));
    r.summary = RunReport::summarize(&r.cases);
    r
}

//! The maker's manifest against the reference lamp: every difference between what it claims
//! (identity, limits, endpoints, labels, capabilities with their versions, features and
//! items) and what the device's descriptor shows is one finding, and nothing that agrees is.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_conformance::manifest::Manifest;
use orbit_conformance::{run, RunConfig, Silent, TargetSpec};
use orbit_devices::Kind;
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::MemoryStore;
use std::sync::Arc;

async fn lamp() -> Device {
    let config = DeviceConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..DeviceConfig::default()
    };
    Device::open(
        Arc::new(MemoryStore::new()),
        |now| Ok(Kind::Lamp.build(now, "F-1")?),
        || DeviceIdentity::development(Kind::Lamp.product_id(), 1, orbit_sdk::unix_now()),
        config,
    )
    .await
    .unwrap()
}

fn scratch(name: &str, text: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("orbit-conformance-manifest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Claims that agree with the lamp, except for six.
const MANIFEST: &str = r#"{
  "vendor_id": 65521,
  "product_id": 32770,
  "spec_version": 1,
  "limits": {"max_paths_per_request": 16, "event_buffer": 128},
  "endpoints": [
    {"id": 1, "label": "lamp", "capabilities": [
      {"id": 16, "version": 1, "features": 1, "attributes": [0], "commands": [2, 1, 0], "events": []},
      {"id": 17, "version": 1, "features": 0},
      {"id": 18, "features": 3, "events": [0]}
    ]},
    {"id": 2, "capabilities": []}
  ]
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_difference_from_the_descriptor_is_one_finding() {
    let device = lamp().await;
    let target = TargetSpec::Quic(device.local_addr().unwrap().to_string());
    let mut config = RunConfig::new(target, device.setup_payload().to_qr_string());
    config.only = vec!["data-model.descriptor-structure".into()];
    config.manifest = Some(scratch("lamp.json", MANIFEST));
    let report = run(&config, &mut Silent).await.unwrap();
    assert_eq!(report.harness_error, None);
    let mut found: Vec<(String, String, String)> = report
        .findings
        .iter()
        .map(|f| (f.subject.clone(), f.manifest.clone(), f.device.clone()))
        .collect();
    found.sort();
    let s = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    let mut want = vec![
        s("product ID", "0x8002", "0x8001"),
        s("limit event_buffer", "128", "64"),
        s("endpoint 2", "present", "absent"),
        s("endpoint 0", "absent", "present"),
        s("capability 0x0010 on endpoint 1: features", "0x1", "0x0"),
        s("capability 0x0012 on endpoint 1: events", "[0]", "[]"),
    ];
    want.sort();
    assert_eq!(found, want);
    device.shutdown().await;
}

#[test]
fn a_manifest_with_an_unknown_key_or_no_file_is_refused_with_the_reason() {
    let e = Manifest::load(&scratch("typo.json", r#"{"vendorid": 1}"#)).unwrap_err();
    assert!(e.contains("unknown field"), "{e}");
    let e = Manifest::load(std::path::Path::new("/nonexistent/manifest.json")).unwrap_err();
    assert!(e.contains("cannot read the manifest"), "{e}");
    let m = Manifest::load(&scratch("ok.json", MANIFEST)).unwrap();
    assert_eq!(
        m.endpoints.unwrap()[0].capabilities[0].commands,
        Some(vec![2, 1, 0])
    );
}

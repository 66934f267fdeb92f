//! The `orbit` binary end to end: a device process, then pair, describe, read, write, invoke,
//! devices and unpair from a controller process, over QUIC on 127.0.0.1; and every failure is
//! one line on stderr with a non-zero exit, never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{fails, ok_json, run, scratch, start_lamp};
use serde_json::Value;

#[test]
fn a_controller_process_pairs_with_and_controls_a_device_process() {
    let device_home = scratch("device");
    let home = scratch("controller");
    let (_device, info) = start_lamp(&device_home);
    let addr = format!("quic://{}", info["listen"].as_str().unwrap());
    let qr = info["qr"].as_str().unwrap().to_owned();
    assert_eq!(info["pairing_window_open"], Value::Bool(true));

    let paired = ok_json(&home, &["pair", &qr, &addr, "--name", "lamp"]);
    assert_eq!(paired["name"], "lamp");
    assert!(paired["timings"].as_array().unwrap().len() >= 6);

    let d = ok_json(&home, &["describe", "lamp"]);
    assert_eq!(d["product_id"], 0x8001);
    assert!(d["endpoints"][1]["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "on-off"));

    let read = ok_json(&home, &["read", "lamp", "1/on-off/on"]);
    assert_eq!(read["attributes"][0]["value"], false);
    ok_json(&home, &["write", "lamp", "1/level/current-level", "100"]);
    ok_json(&home, &["invoke", "lamp", "1/on-off/toggle"]);
    let read = ok_json(
        &home,
        &["read", "lamp", "1/on-off/on", "1/level/current-level"],
    );
    assert_eq!(read["attributes"][0]["value"], true);
    assert_eq!(read["attributes"][1]["value"], 100);
    let listed = ok_json(&home, &["devices"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // Failures: one clear line each, non-zero exit.
    let e = fails(&home, &["read", "lamp", "1/on-off/brightness"]);
    assert!(e.contains("brightness"), "{e}");
    let e = fails(
        &home,
        &["write", "lamp", "1/level/current-level", "\"high\""],
    );
    assert!(e.contains("expected"), "{e}");
    let e = fails(&home, &["write", "lamp", "1/level/current-level", "255"]);
    assert!(e.contains("constraint-error"), "{e}");
    let e = fails(&home, &["read", "ghost", "1/on-off/on"]);
    assert!(e.contains("ghost"), "{e}");
    let e = fails(&home, &["pair", "OB1:nonsense", "quic://127.0.0.1:9"]);
    assert!(e.contains("setup code"), "{e}");
    let e = fails(&home, &["pair", &qr, "quic://256.1.1.1:5541"]);
    assert!(e.contains("IPv4") || e.contains("address"), "{e}");

    assert_eq!(ok_json(&home, &["unpair", "lamp"])["unpaired"], "lamp");
    let listed = ok_json(&home, &["devices"]);
    assert!(listed.as_array().unwrap().is_empty());
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_dir_all(&device_home);
}

#[test]
fn the_demo_runs_to_the_end() {
    // The README's main job: five devices paired and controlled, the lamp restarted and its
    // session resumed from the ticket it kept in its store, and a lamp paired over BLE and
    // handed off to QUIC.
    let home = scratch("demo");
    let out = run(&home, &["--json", "demo"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let summary: Value = serde_json::from_str(&last).unwrap();
    let timings = summary["timings"].as_array().unwrap();
    // Five pairings, the lamp's reconnection, and the pairing over simulated BLE.
    assert_eq!(timings.len(), 7, "{summary}");
    assert_eq!(timings[6]["operation"], "pair over BLE", "{summary}");
    // The BLE lamp's session moved to QUIC [BLE-26].
    assert!(
        summary["ble"]["handoff"]["address"].is_string(),
        "{summary}"
    );
    assert!(timings
        .iter()
        .flat_map(|t| t["phases"].as_array().unwrap())
        .all(|p| p["ok"] == true));
    assert_eq!(summary["restarted_lamp_resumed"], true, "{summary}");
}

//! `orbit conformance run` end to end: a reference lamp started by `orbit device run
//! --control`, the suite run through the CLI with the device's hooks (`orbit device control`),
//! its exit status, summary and report files; `list`; bad arguments (exit 2) and a harness
//! error (exit 3); and the control socket's reset and power cycle of a running device
//! (`[PAIR-31]`, `[PAIR-32]`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{orbit, scratch, start_device_with, stderr};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// `orbit conformance run --target <target> --setup-code <setup_code>`, for the test to add
/// options to.
fn conformance_run(target: &str, setup_code: &str) -> Command {
    let mut cmd = orbit();
    cmd.args([
        "conformance",
        "run",
        "--target",
        target,
        "--setup-code",
        setup_code,
    ]);
    cmd
}

fn control(socket: &Path, command: &str) -> Value {
    let out = orbit()
        .args(["--json", "device", "control"])
        .arg(socket)
        .arg(command)
        .output()
        .unwrap();
    assert!(out.status.success(), "{command}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_suite_runs_unattended_against_the_reference_lamp_through_the_cli() {
    let dir = scratch("conformance");
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("control.sock");
    let store = dir.join("store");
    let (_device, info) = start_device_with(
        &dir,
        "lamp",
        "127.0.0.1:0",
        &[
            "--store",
            store.to_str().unwrap(),
            "--control",
            socket.to_str().unwrap(),
        ],
    );
    assert_eq!(info["control"], socket.to_str().unwrap());
    let target = format!("quic://{}", info["listen"].as_str().unwrap());
    let qr = info["qr"].as_str().unwrap().to_owned();
    let hook = |cmd: &str| {
        format!(
            "{} device control {} {cmd}",
            env!("CARGO_BIN_EXE_orbit"),
            socket.display()
        )
    };
    let reports = dir.join("reports");
    let root = dir.join("vendor-root.hex");
    let dev_root = orbit_core::attest::VendorAuthority::development()
        .root()
        .to_bytes();
    std::fs::write(&root, hex::encode(dev_root)).unwrap();
    let out = conformance_run(&target, &qr)
        .args(["--seed", "5", "--report"])
        .arg(&reports)
        .args(["--button-cmd", &hook("button")])
        .args(["--open-window-cmd", &hook("button")])
        .args(["--reset-cmd", &hook("reset")])
        .args(["--power-cycle-cmd", &hook("power-cycle")])
        .args(["--hook-timeout", "60", "--vendor-root"])
        .arg(&root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(text.contains("seed 5"), "{text}");
    assert!(
        text.contains("PASS: every applicable MUST case passed (exit 0"),
        "{text}"
    );
    // Not a terminal: plain progress lines on stderr, one per case.
    let progress = stderr(&out);
    assert!(progress.contains("group pairing:"), "{progress}");
    assert!(
        !progress.contains('\r'),
        "no progress bar outside a terminal"
    );

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["schema"], "orbit-conformance-report/1");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../conformance/schema/report-1.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "the whole suite's report validates: {errors:#?}"
    );
    assert_eq!(json["stamp"]["seed"], 5);
    assert_eq!(json["stamp"]["target"], target.as_str());
    assert_eq!(json["summary"]["fail_must"], 0);
    let listed = orbit()
        .args(["--json", "conformance", "list"])
        .output()
        .unwrap();
    assert!(listed.status.success());
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(json["summary"]["total"], listed.as_array().unwrap().len());
    for case in listed.as_array().unwrap() {
        assert!(case["spec_ids"].as_array().is_some_and(|s| !s.is_empty()));
        assert!(matches!(case["level"].as_str(), Some("MUST" | "SHOULD")));
    }
    // The total row of the summary table equals the JSON's counts.
    let total: Vec<usize> = text
        .lines()
        .find(|l| l.starts_with("total "))
        .unwrap()
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect();
    let s = &json["summary"];
    let want: Vec<usize> = [
        "pass",
        "fail_must",
        "fail_should",
        "not_applicable",
        "inconclusive",
        "waived",
    ]
    .iter()
    .map(|k| s[*k].as_u64().unwrap() as usize)
    .collect();
    assert_eq!(total, want, "{text}");
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    assert!(junit.starts_with("<?xml") && junit.contains("<testsuite name=\"pairing\""));
    let html = std::fs::read_to_string(reports.join("report.html")).unwrap();
    assert!(html.contains("id=\"coverage-table\""));

    // The suite left the device as it found it: no home; the control socket resets and
    // power-cycles the running device on the same address, which still passes.
    assert_eq!(control(&socket, "status")["homes"], 0);
    let reset = control(&socket, "reset");
    assert_eq!(reset["ok"], true);
    assert_eq!(reset["pairing_window_open"], true);
    assert_eq!(control(&socket, "power-cycle")["event"], "power-cycle");
    let again = conformance_run(&target, &qr)
        .args(["--only", "sessions.establish", "--seed", "5"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));

    // An unknown control is refused with the reason, and exits non-zero.
    let bad = orbit()
        .args(["device", "control"])
        .arg(&socket)
        .arg("explode")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("unknown device control"),
        "{}",
        stderr(&bad)
    );

    // Bad arguments: exit 2 with one line that says what is wrong.
    for args in [
        vec!["--only", "no-such-group"],
        vec!["--vendor-root", "/nonexistent/root.cert"],
        vec!["--waivers", "/nonexistent/waivers.json"],
    ] {
        let out = conformance_run(&target, &qr).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.starts_with("orbit: error: ") && err.lines().count() == 1,
            "{err}"
        );
    }
    let out = conformance_run("tcp://h:1", &qr).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    // A BLE target in a build without Bluetooth says how to build with it (exit 2).
    if !cfg!(feature = "ble") {
        let out = conformance_run("ble:3840", &qr).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("--features ble"), "{}", stderr(&out));
    }

    // A setup code that does not pair is a harness error (exit 3), reported as such.
    let wrong = wrong_manual_code(&info["manual_code"].as_str().unwrap().replace('-', ""));
    let out = conformance_run(&target, &wrong)
        .args(["--report"])
        .arg(dir.join("harness"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("harness").join("report.json")).unwrap(),
    )
    .unwrap();
    assert!(json["harness_error"].is_string());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A valid manual code for another passcode.
fn wrong_manual_code(manual: &str) -> String {
    use orbit_core::setup::ManualCode;
    let mut code = ManualCode::parse(manual).unwrap();
    let p = code.passcode.value();
    code.passcode =
        orbit_core::setup::Passcode::new(if p >= 99_999_990 { 20_000_001 } else { p + 3 }).unwrap();
    code.to_string()
}

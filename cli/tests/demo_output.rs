//! What a new user sees from `orbit demo`: statuses by their spec names (as every other
//! command prints them), never Rust's debug forms, and no line with trailing spaces.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
fn the_demo_prints_statuses_by_name() {
    let home = std::env::temp_dir().join(format!("orbit-cli-{}-demo-text", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let out = Command::new(env!("CARGO_BIN_EXE_orbit"))
        .arg("--home")
        .arg(&home)
        .arg("demo")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&home);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("heating setpoint 21.50 °C -> success\n"),
        "{text}"
    );
    assert!(
        text.contains("unlock with a wrong PIN -> access-denied\n"),
        "{text}"
    );
    // The BLE step: paired over the simulated link, then the same session on QUIC [BLE-26],
    // with a fresh QUIC session timed beside it.
    assert!(text.contains("\n== 8. Bluetooth LE: "), "{text}");
    let paired = text
        .lines()
        .find(|l| l.contains("paired over BLE as node"))
        .unwrap_or_else(|| panic!("no BLE pairing line in {text}"));
    for phase in ["connect", "PASE", "session"] {
        assert!(paired.contains(phase), "{paired}");
    }
    let handed = text
        .lines()
        .find(|l| l.contains("handed off to quic://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no handoff line in {text}"));
    for part in [
        "read addresses over BLE",
        "QUIC connect",
        "first request over QUIC",
        "BLE close",
    ] {
        assert!(handed.contains(part), "{handed}");
    }
    assert!(
        text.contains("a read over QUIC now: ") && text.contains("(session on 127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.contains("a fresh QUIC session for comparison: "),
        "{text}"
    );
    assert!(text.contains("pair over BLE "), "{text}");
    for line in text.lines() {
        assert!(!line.contains("Some("), "debug form in {line:?}");
        assert!(!line.contains("(0x0"), "debug status form in {line:?}");
        assert_eq!(line, line.trim_end(), "trailing space in {line:?}");
    }
}

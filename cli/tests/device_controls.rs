//! The reference device's local controls in the `orbit` binary: the pairing button typed on
//! the stdin of `orbit device run`, and `orbit device reset` (factory reset) of a stopped
//! device (`[PAIR-31]`, `[PAIR-32]`), over QUIC on 127.0.0.1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{fails, ok_json, orbit, scratch};
use serde_json::Value;
use std::io::{BufRead, BufReader, Lines, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

/// A device process with its stdin (the local controls) and stdout (one JSON line each).
struct DeviceProcess {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl DeviceProcess {
    fn start(store: &Path) -> (Self, Value) {
        let mut child = orbit()
            .args([
                "--json",
                "device",
                "run",
                "--kind",
                "lamp",
                "--listen",
                "127.0.0.1:0",
            ])
            .arg("--store")
            .arg(store)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut device = DeviceProcess {
            child,
            stdin,
            lines,
        };
        let info = device.next_json();
        (device, info)
    }

    fn next_json(&mut self) -> Value {
        let line = self.lines.next().expect("the device exited").unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
    }

    /// Types `control` on the device and returns its answer.
    fn control(&mut self, control: &str) -> Value {
        writeln!(self.stdin, "{control}").unwrap();
        self.stdin.flush().unwrap();
        self.next_json()
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for DeviceProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// [PAIR-31] [PAIR-32] an administrator and the button open the window of a paired device; a running device's
// store cannot be reset under it; a stopped one is reset to factory-new (no home, window open at
// power-up) with the same setup code, and pairs again.
#[test]
fn button_and_factory_reset_of_a_device_process() {
    let store = scratch("device");
    let home = scratch("controller");
    let store_arg = store.to_str().unwrap();
    let (mut device, info) = DeviceProcess::start(&store);
    assert_eq!(info["pairing_locked_out"], false);
    assert_eq!(info["failed_pairing_attempts"], 0);
    let addr = format!("quic://{}", info["listen"].as_str().unwrap());
    let qr = info["qr"].as_str().unwrap().to_owned();
    ok_json(&home, &["pair", &qr, &addr, "--name", "lamp"]);

    let status = device.control("status");
    assert_eq!(status["event"], "status");
    assert_eq!(status["homes"], 1);
    assert_eq!(status["pairing_window_open"], false);
    // [ACL-10] [ACL-11] an administrator opens the window as the README shows; a second
    // open while it is open is refused with busy, not a false success.
    let open = [
        "invoke",
        "lamp",
        "0/administration/open-pairing-window",
        r#"{"timeout-seconds": 300}"#,
    ];
    ok_json(&home, &open);
    assert_eq!(device.control("status")["pairing_window_open"], true);
    let e = fails(&home, &open);
    assert!(e.contains("busy"), "{e}");
    let pressed = device.control("button");
    assert_eq!(pressed["event"], "button");
    assert_eq!(pressed["pairing_window_open"], true);
    assert_eq!(pressed["pairing_locked_out"], false);

    // The running device holds its store.
    let e = fails(
        &home,
        &["device", "reset", "--kind", "lamp", "--store", store_arg],
    );
    assert!(e.contains("in use"), "{e}");

    device.stop();
    let reset = ok_json(
        &home,
        &["device", "reset", "--kind", "lamp", "--store", store_arg],
    );
    assert_eq!(reset["reset"], true);
    assert_eq!(reset["homes_removed"], 1);
    assert_eq!(reset["was_locked_out"], false);

    let (device, info) = DeviceProcess::start(&store);
    assert_eq!(info["homes"], 0);
    assert_eq!(info["pairing_window_open"], true);
    assert_eq!(
        info["qr"],
        qr.as_str(),
        "the setup code survives a factory reset"
    );
    let addr = format!("quic://{}", info["listen"].as_str().unwrap());
    let other_home = scratch("controller-2");
    ok_json(&other_home, &["pair", &qr, &addr, "--name", "lamp"]);
    device.stop();

    // A store that holds no device: a clear error.
    let e = fails(
        &home,
        &[
            "device",
            "reset",
            "--kind",
            "lamp",
            "--store",
            "/nonexistent/orbit-device",
        ],
    );
    assert!(e.contains("no lamp device"), "{e}");
    for dir in [store, home, other_home] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

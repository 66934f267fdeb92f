//! What the `orbit` binary tests share: device processes on 127.0.0.1, scratch homes, and
//! running a command and checking its outcome.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub(crate) fn orbit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_orbit"))
}

/// An empty scratch directory for this test process and `name` (not created).
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orbit-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A device process that is killed when dropped.
pub(crate) struct DeviceProcess(pub(crate) Child);

impl Drop for DeviceProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `orbit device run --kind KIND --listen LISTEN EXTRA...` with its state under `home`
/// and returns it with the JSON line it prints.
pub(crate) fn start_device_with(
    home: &Path,
    kind: &str,
    listen: &str,
    extra: &[&str],
) -> (DeviceProcess, Value) {
    let mut child = orbit()
        .args(["--json", "--home"])
        .arg(home)
        .args(["device", "run", "--kind", kind, "--listen", listen])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    (DeviceProcess(child), info)
}

/// A lamp process on an ephemeral port of 127.0.0.1.
pub(crate) fn start_lamp(home: &Path) -> (DeviceProcess, Value) {
    start_device_with(home, "lamp", "127.0.0.1:0", &[])
}

/// The device's address as `quic://...`.
pub(crate) fn addr_of(info: &Value) -> String {
    format!("quic://{}", info["listen"].as_str().unwrap())
}

pub(crate) fn run(home: &Path, args: &[&str]) -> Output {
    orbit().arg("--home").arg(home).args(args).output().unwrap()
}

/// Runs with `input` on stdin.
pub(crate) fn run_with_stdin(home: &Path, args: &[&str], input: &str) -> Output {
    let mut child = orbit()
        .arg("--home")
        .arg(home)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// A success with JSON on stdout.
pub(crate) fn ok_json(home: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = run(home, &all);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// A failure: non-zero exit, exactly one line on stderr, which starts with `orbit: error:`.
pub(crate) fn fails(home: &Path, args: &[&str]) -> String {
    let out = run(home, args);
    assert!(!out.status.success(), "{args:?} succeeded");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("orbit: error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// Pairs the device of `info` into `home` as `name` (the first pairing creates the home).
pub(crate) fn pair(home: &Path, info: &Value, name: &str) -> Value {
    let qr = info["qr"].as_str().unwrap().to_owned();
    ok_json(home, &["pair", &qr, &addr_of(info), "--name", name])
}

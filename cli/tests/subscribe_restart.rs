//! `orbit subscribe` while its device is killed and started again (issue 11, item 14): the
//! subscription is noticed lost within the keep-alive interval plus 10 s [IM-64], made again
//! [IM-111], and reports continue on stdout.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

#[test]
fn reports_continue_after_the_device_process_is_killed_and_restarted() {
    let (device_home, home) = (scratch("sub-restart-dev"), scratch("sub-restart"));
    let (device, info) = start_lamp(&device_home);
    pair(&home, &info, "lamp");
    let listen = info["listen"].as_str().unwrap().to_owned();

    let mut sub = orbit()
        .arg("--home")
        .arg(&home)
        .args(["--json", "subscribe", "lamp", "1/on-off/on", "--max", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(sub.stdout.take().unwrap()).lines();
    let mut err = BufReader::new(sub.stderr.take().unwrap()).lines();
    // The initial report, then a keep-alive.
    assert!(out.next().unwrap().unwrap().contains("\"value\":false"));
    out.next().unwrap().unwrap();

    drop(device); // SIGKILL: no goodbye to the controller
    let (_device, _) = start_device_with(&device_home, "lamp", &listen, &[]);
    // The subscriber says it lost the subscription and made it again.
    let said: Vec<String> = (&mut err)
        .map(|l| l.unwrap())
        .take_while(|l| !l.contains("subscribed again"))
        .collect();
    assert!(
        said.iter().any(|l| l.contains("lost the subscription")),
        "{said:?}"
    );
    // The new subscription's current values, then a change made now.
    let mut line = out.next().unwrap().unwrap();
    while !line.contains("\"value\"") {
        line = out.next().unwrap().unwrap();
    }
    assert!(line.contains("\"value\":false"), "{line}");
    ok_json(&home, &["invoke", "lamp", "1/on-off/toggle"]);
    let changed = loop {
        let line = out.next().unwrap().unwrap();
        if line.contains("\"value\"") {
            break line;
        }
    };
    assert!(changed.contains("\"value\":true"), "{changed}");
    let _ = sub.kill();
    let _ = sub.wait();
    for dir in [&home, &device_home] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

//! The controller's home as the `orbit` command opens it: created only on purpose, and
//! shared between commands that run at the same time (issue 11, items 9 and 10).
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
fn a_missing_or_mistyped_home_is_an_error_not_a_new_home() {
    let home = scratch("no-home");
    for args in [
        &["devices"][..],
        &["describe", "lamp"],
        &["read", "lamp", "1/on-off/on"],
        &["subscribe", "lamp", "1/on-off/on"],
        &["unpair", "lamp", "--force"],
    ] {
        let e = fails(&home, args);
        assert!(
            e.contains("no Orbit home") && e.contains("orbit home create"),
            "{e}"
        );
    }
    // Nothing was created by trying.
    assert!(!home.exists(), "{}", home.display());

    let created = ok_json(&home, &["home", "create"]);
    assert_eq!(created["home"], home.display().to_string());
    assert!(ok_json(&home, &["devices"]).as_array().unwrap().is_empty());
    // A second create would replace the root key: refused.
    let e = fails(&home, &["home", "create"]);
    assert!(e.contains("already holds an Orbit home"), "{e}");
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn the_first_pair_creates_the_home_and_says_so() {
    let device_home = scratch("first-pair-device");
    let home = scratch("first-pair");
    let (_device, info) = start_lamp(&device_home);
    let qr = info["qr"].as_str().unwrap();
    let out = run(&home, &["pair", qr, &addr_of(&info), "--name", "lamp"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("created a new home in"), "{err}");
    // Only the first time.
    let listed = ok_json(&home, &["devices"]);
    assert_eq!(listed[0]["name"], "lamp");
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_dir_all(&device_home);
}

#[test]
fn a_writer_waits_for_the_home_and_readers_do_not_wait_at_all() {
    let home = scratch("locked");
    ok_json(&home, &["home", "create"]);
    // Another command holds the home (here, this test holds its store's lock).
    let holder = orbit_store::FileStore::open(home.join("controller")).unwrap();

    // A read-only command reads beside it, at once.
    assert!(ok_json(&home, &["devices"]).as_array().unwrap().is_empty());

    // A command that writes waits, and says so on stderr while waiting.
    let mut waiter = orbit()
        .arg("--home")
        .arg(&home)
        .args(["unpair", "ghost", "--force"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(waiter.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(
        first.contains("waiting for another orbit command"),
        "{first}"
    );
    // Once the holder is done, the waiter goes on (and fails only for its own reason).
    drop(holder);
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = waiter.wait().unwrap();
    assert!(!status.success());
    let last = rest.last().unwrap();
    assert!(
        last.contains("ghost") && !last.contains("in use"),
        "{rest:?}"
    );
    let _ = std::fs::remove_dir_all(&home);
}

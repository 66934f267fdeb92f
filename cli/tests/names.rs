//! Names of paired devices: one device per name, no name that reads as a node ID, no name
//! that would break a listing (issue 11, item 7).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[test]
fn bad_names_are_refused_before_anything_is_touched() {
    let home = scratch("bad-names");
    let long = "x".repeat(65);
    for (name, says) in [
        ("", "cannot be empty"),
        (long.as_str(), "at most 64 characters"),
        ("lamp\nfake 0x1000", "control characters"),
        ("4096", "reads as a node ID"),
        ("0x1000", "reads as a node ID"),
    ] {
        let e = fails(
            &home,
            &["pair", "OB1:whatever", "quic://127.0.0.1:9", "--name", name],
        );
        assert!(e.contains(says), "{name:?}: {e}");
    }
    // Refused before a home was created for it.
    assert!(!home.exists());
}

#[test]
fn a_name_in_use_is_refused_and_the_paired_device_kept() {
    let home = scratch("names-in-use");
    let (first_home, second_home) = (scratch("names-dev1"), scratch("names-dev2"));
    let (_d1, first) = start_lamp(&first_home);
    let (_d2, second) = start_lamp(&second_home);
    let paired = pair(&home, &first, "lamp");
    let node = paired["node_id"].as_u64().unwrap();

    let qr = second["qr"].as_str().unwrap();
    let e = fails(&home, &["pair", qr, &addr_of(&second), "--name", "lamp"]);
    assert!(e.contains("already called \"lamp\""), "{e}");
    let listed = ok_json(&home, &["devices"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["node_id"].as_u64().unwrap(), node);
    // The second device was not touched: its pairing window is still open, and it pairs
    // under another name.
    let other = ok_json(&home, &["pair", qr, &addr_of(&second), "--name", "lamp 2"]);
    assert_eq!(other["name"], "lamp 2");
    // Both are listed, and each answers by its own name.
    assert_eq!(ok_json(&home, &["devices"]).as_array().unwrap().len(), 2);
    ok_json(&home, &["read", "lamp", "1/on-off/on"]);
    ok_json(&home, &["read", "lamp 2", "1/on-off/on"]);
    for dir in [&home, &first_home, &second_home] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

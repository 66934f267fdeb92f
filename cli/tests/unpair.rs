//! `orbit unpair --force` of a device that cannot be reached (issue 11, item 13).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[test]
fn a_forced_unpair_of_an_unreachable_device_forgets_it_and_succeeds() {
    let (device_home, home) = (scratch("unpair-dev"), scratch("unpair"));
    let (device, info) = start_lamp(&device_home);
    pair(&home, &info, "lamp");
    drop(device); // killed: unreachable from now on

    // Without --force: refused, and the device is kept.
    let e = fails(&home, &["unpair", "lamp"]);
    assert!(e.contains("failed"), "{e}");
    assert_eq!(ok_json(&home, &["devices"]).as_array().unwrap().len(), 1);

    let out = run(&home, &["--json", "unpair", "lamp", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["unpaired"], "lamp");
    assert_eq!(doc["removed_from_device"], false);
    let err = stderr(&out);
    assert!(err.contains("still holds the home"), "{err}");
    assert!(ok_json(&home, &["devices"]).as_array().unwrap().is_empty());
    for dir in [&home, &device_home] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

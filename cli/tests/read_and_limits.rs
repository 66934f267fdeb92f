//! What `orbit read`, `write` and `subscribe` say when a path fails or a request is over a
//! limit (issue 11, items 11 and 12; [IM-110]).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[test]
fn a_read_with_a_failed_path_exits_non_zero_and_keeps_every_status() {
    let (device_home, home) = (scratch("read-dev"), scratch("read"));
    let (_device, info) = start_lamp(&device_home);
    pair(&home, &info, "lamp");
    // Attribute 999 of on-off does not exist on the lamp.
    let out = run(
        &home,
        &["--json", "read", "lamp", "1/on-off/on", "1/on-off/999"],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("1 of 2 attribute(s) could not be read"),
        "{err}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let attrs = doc["attributes"].as_array().unwrap();
    assert_eq!(attrs.len(), 2, "{doc}");
    assert_eq!(attrs[0]["value"], false);
    assert!(
        attrs[1]["status"]
            .as_str()
            .unwrap()
            .starts_with("unsupported"),
        "{doc}"
    );
    // Every path failing fails too.
    let e = fails(&home, &["read", "lamp", "1/on-off/999"]);
    assert!(e.contains("1 of 1"), "{e}");
    for dir in [&home, &device_home] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn requests_over_a_limit_name_the_limit_and_never_echo_the_value() {
    let (device_home, home) = (scratch("limits-dev"), scratch("limits"));
    let (_device, info) = start_lamp(&device_home);
    pair(&home, &info, "lamp");

    // [IM-110] more paths than the device takes (its descriptor says 16).
    let mut args = vec!["read", "lamp"];
    args.extend(std::iter::repeat_n("1/on-off/on", 200));
    let e = fails(&home, &args);
    assert!(e.contains("200 paths") && e.contains("limit is"), "{e}");
    let mut args = vec!["read", "lamp"];
    args.extend(std::iter::repeat_n("1/on-off/on", 17));
    let e = fails(&home, &args);
    assert!(
        e.contains("17 paths") && e.contains("the device's limit is 16"),
        "{e}"
    );

    // A 127 KB value: the message limit, and the value is not repeated.
    let value = format!("\"{}\"", "v".repeat(127 * 1024));
    let e = fails(&home, &["write", "lamp", "1/on-off/on", &value]);
    assert!(e.len() < 400, "{} bytes: {}", e.len(), &e[..200]);
    let e = fails(&home, &["write", "lamp", "1/level/current-level", &value]);
    assert!(e.len() < 400, "{} bytes", e.len());
    let e = fails(
        &home,
        &[
            "invoke",
            "lamp",
            "1/on-off/toggle",
            &format!("{{\"x\": {value}}}"),
        ],
    );
    assert!(e.len() < 400, "{} bytes", e.len());

    // An unknown attribute with a raw value under the message limit is refused by size
    // when over [IM-4]'s 8192 bytes.
    let e = fails(&home, &["write", "lamp", "1/on-off/99", &value]);
    assert!(e.contains("8192") && e.len() < 400, "{e}");

    // [IM-60] intervals, said before sending.
    let e = fails(&home, &["subscribe", "lamp", "1/on-off/on", "--max", "0"]);
    assert!(
        e.contains("1 <= max <= 3600") && e.contains("max 0 s"),
        "{e}"
    );
    let e = fails(
        &home,
        &[
            "subscribe",
            "lamp",
            "1/on-off/on",
            "--min",
            "9",
            "--max",
            "5",
        ],
    );
    assert!(e.contains("min <= max"), "{e}");

    // The session and device are fine afterwards.
    ok_json(&home, &["read", "lamp", "1/on-off/on"]);
    for dir in [&home, &device_home] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

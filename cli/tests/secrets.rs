//! Setup codes kept off the command line, and not shown once a device is paired (issue 11,
//! item 16).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[test]
fn a_setup_code_is_read_from_stdin_or_a_file() {
    let home = scratch("code-input");
    ok_json(&home, &["home", "create"]);
    let (h1, h2) = (scratch("code-dev1"), scratch("code-dev2"));
    let (_d1, one) = start_lamp(&h1);
    let (_d2, two) = start_lamp(&h2);

    let out = run_with_stdin(
        &home,
        &[
            "--json",
            "pair",
            "-",
            &addr_of(&one),
            "--name",
            "from stdin",
        ],
        &format!("{}\n", one["qr"].as_str().unwrap()),
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let file = home.join("code.txt");
    std::fs::write(&file, format!("{}\n", two["manual_code"].as_str().unwrap())).unwrap();
    let paired = ok_json(
        &home,
        &[
            "pair",
            "--setup-code-file",
            file.to_str().unwrap(),
            &addr_of(&two),
            "--name",
            "from file",
        ],
    );
    assert_eq!(paired["name"], "from file");
    assert_eq!(ok_json(&home, &["devices"]).as_array().unwrap().len(), 2);

    let e = fails(&home, &["pair", "--setup-code-file", "/nonexistent/code"]);
    assert!(e.contains("cannot read"), "{e}");
    let out = run_with_stdin(&home, &["pair", "-", "quic://127.0.0.1:9"], "\n");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no setup code in stdin"),
        "{}",
        stderr(&out)
    );
    for dir in [&home, &h1, &h2] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn a_paired_device_does_not_print_its_setup_code() {
    let (device_home, home) = (scratch("paired-json-dev"), scratch("paired-json"));
    let (device, info) = start_lamp(&device_home);
    assert!(info["qr"].is_string() && info["manual_code"].is_string());
    pair(&home, &info, "lamp");
    let listen = info["listen"].as_str().unwrap().to_owned();
    drop(device);
    // Restarted on its port, now paired: its window is closed, and nothing prints the code.
    let (_device, info) = start_device_with(&device_home, "lamp", &listen, &[]);
    assert_eq!(info["pairing_window_open"], false, "{info}");
    assert!(
        info.get("qr").is_none() && info.get("manual_code").is_none(),
        "{info}"
    );
    for dir in [&home, &device_home] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

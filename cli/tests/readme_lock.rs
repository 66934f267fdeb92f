//! The README's door lock example, run as written (issue 11, item 15): the lock is started
//! with the PIN the example then unlocks with.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

/// The README line that starts with `orbit <words>`, split into arguments (single quotes
/// group, as the shell does), without a trailing `# comment`.
fn readme_command(starts: &str) -> Vec<String> {
    let readme = include_str!("../../README.md");
    let line = readme
        .lines()
        .find(|l| l.starts_with(starts))
        .unwrap_or_else(|| panic!("no README line starts with {starts:?}"));
    let line = line.split(" # ").next().unwrap().trim();
    let mut args = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        rest = rest.trim_start();
        if let Some(quoted) = rest.strip_prefix('\'') {
            let end = quoted.find('\'').unwrap();
            args.push(quoted[..end].to_owned());
            rest = &quoted[end + 1..];
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            args.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    assert_eq!(args.remove(0), "orbit");
    args
}

#[test]
fn the_readme_lock_example_unlocks_the_lock() {
    let (device_home, home) = (scratch("readme-lock-dev"), scratch("readme-lock"));
    let run_args = readme_command("orbit device run --kind lock");
    assert!(run_args.contains(&"--pin".to_owned()), "{run_args:?}");
    let invoke_args = readme_command("orbit invoke lock ");

    // The README's device command, on an ephemeral loopback port instead of its default.
    let extra: Vec<&str> = run_args[4..]
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--listen") && !a.contains(':'))
        .collect();
    let (_lock, info) = start_device_with(&device_home, "lock", "127.0.0.1:0", &extra);
    assert_eq!(info["pin_required"], true, "{info}");
    pair(&home, &info, "lock");

    let invoke: Vec<&str> = invoke_args.iter().map(String::as_str).collect();
    let mut with_json = vec!["--json"];
    with_json.extend(&invoke);
    let out = run(&home, &with_json);
    assert!(out.status.success(), "{invoke:?}: {}", stderr(&out));
    let state = ok_json(&home, &["read", "lock", "1/door-lock/lock-state"]);
    assert_eq!(state["attributes"][0]["value"], "unlocked", "{state}");

    // A wrong PIN is refused.
    let e = fails(
        &home,
        &[
            "invoke",
            "lock",
            "1/door-lock/lock-door",
            "{\"pin\": \"9999\"}",
        ],
    );
    assert!(e.contains("refused"), "{e}");
    for dir in [&home, &device_home] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

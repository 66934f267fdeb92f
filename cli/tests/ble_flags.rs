//! `--ble` in a build without the cli feature `ble`: a clear error that says how to build with
//! it, exit status 2, and nothing done (no home created).
#![cfg(not(feature = "ble"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn orbit(args: &[&str]) -> (i32, String, std::path::PathBuf) {
    let home = std::env::temp_dir().join(format!(
        "orbit-cli-{}-ble-{}",
        std::process::id(),
        args.join("-").replace(['/', ':'], "_")
    ));
    let _ = std::fs::remove_dir_all(&home);
    let out = Command::new(env!("CARGO_BIN_EXE_orbit"))
        .arg("--home")
        .arg(&home)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        home,
    )
}

#[test]
fn ble_flags_without_the_feature_say_how_to_build_with_it_and_exit_2() {
    for args in [
        &["pair", "--ble", "OB1:anything"][..],
        &[
            "device",
            "run",
            "--kind",
            "lamp",
            "--ble",
            "--listen",
            "127.0.0.1:0",
        ][..],
    ] {
        let (code, stderr, home) = orbit(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains("cargo build --release -p orbit-cli --features ble"),
            "{args:?}: {stderr}"
        );
        assert!(!home.exists(), "{args:?} touched {}", home.display());
    }
}

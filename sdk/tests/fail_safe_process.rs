//! `kill -9` of a controller process during pairing `[COMM-26]` `[COMM-28]` `[COMM-30]`: the
//! controller runs in a child process (this test binary again, running the ignored test
//! `child_controller`) with its home in a file store; the parent kills it at three moments
//! (PASE done, the home installed, pairing complete) and checks that the device ends up either
//! in the controller's home with the controller knowing it, or rolled back with its pairing
//! window open. A killed process sends nothing: the device notices through QUIC's idle
//! timeout, set short here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::lamp_with;
use orbit_quic::QuicConfig;
use orbit_sdk::controller::Controller;
use orbit_sdk::device::{Device, DeviceConfig};
use orbit_store::{FileStore, MemoryStore};
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "ORBIT_FAIL_SAFE_CHILD";

/// The controller process: pairs with the device named in the environment, says so, and waits
/// to be killed.
#[test]
#[ignore = "the child process of a_killed_controller_process_never_orphans_the_device"]
fn child_controller() {
    let spec = std::env::var(CHILD_ENV).expect("run by the parent test");
    let mut parts = spec.split('|');
    let (addr, code, dir) = (
        parts.next().unwrap().parse().unwrap(),
        parts.next().unwrap().to_owned(),
        parts.next().unwrap().to_owned(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = Arc::new(FileStore::open(dir).unwrap());
        let phone = Controller::open(store, QuicConfig::default())
            .await
            .unwrap();
        let _paired = phone.pair(&code, addr, Some("lamp")).await.unwrap();
        println!("paired");
        tokio::time::sleep(Duration::from_secs(120)).await;
    });
}

/// When the parent kills the child.
#[derive(Clone, Copy, Debug)]
enum Moment {
    /// As soon as the device is in its fail-safe: PASE succeeded.
    PaseDone,
    /// As soon as the device holds the home (provisional, or already confirmed).
    HomeInstalled,
    /// Once the child has paired.
    Paired,
}

async fn run_and_kill(device: &Device, dir: &std::path::Path, moment: Moment) {
    let spec = format!(
        "{}|{}|{}",
        device.local_addr().unwrap(),
        device.setup_payload().to_qr_string(),
        dir.display()
    );
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "child_controller", "--nocapture"])
        .env(CHILD_ENV, spec)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let paired = Arc::new(AtomicBool::new(false));
    let out = child.stdout.take().unwrap();
    let flag = paired.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            if line.is_ok_and(|l| l.contains("paired")) {
                flag.store(true, Ordering::SeqCst);
            }
        }
    });
    let start = Instant::now();
    loop {
        let now_is_the_moment = match moment {
            Moment::PaseDone => device.is_commissioning(),
            Moment::HomeInstalled => !device.homes().is_empty(),
            Moment::Paired => paired.load(Ordering::SeqCst),
        };
        if now_is_the_moment || child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{moment:?} never came"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // SIGKILL: the process ends without closing anything.
    let _ = child.kill();
    let _ = child.wait();
}

// [COMM-26] [COMM-28] [COMM-30]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_controller_process_never_orphans_the_device() {
    for moment in [Moment::PaseDone, Moment::HomeInstalled, Moment::Paired] {
        let config = DeviceConfig {
            quic: QuicConfig {
                idle_timeout: Duration::from_secs(2),
                ..QuicConfig::default()
            },
            ..DeviceConfig::default()
        };
        let device = lamp_with(Arc::new(MemoryStore::new()), config).await;
        let dir =
            std::env::temp_dir().join(format!("orbit-fail-safe-{}-{moment:?}", std::process::id()));
        run_and_kill(&device, &dir, moment).await;
        // The dead controller's connection idles out, which ends the fail-safe.
        let start = Instant::now();
        while device.is_commissioning() {
            assert!(start.elapsed() < Duration::from_secs(60), "{moment:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let phone = Controller::open(
            Arc::new(FileStore::open(&dir).unwrap()),
            QuicConfig::default(),
        )
        .await
        .unwrap();
        let homes = device.homes();
        println!(
            "killed at {moment:?}: the device {}",
            if homes.is_empty() {
                "rolled back"
            } else {
                "joined the home"
            }
        );
        if homes.is_empty() {
            assert!(device.is_pairing_window_open(), "{moment:?}: rolled back");
        } else {
            assert_eq!(homes, vec![phone.home_id()], "{moment:?}");
            assert!(
                phone.device("lamp").is_some(),
                "{moment:?}: the device joined a home whose controller does not know it"
            );
        }
        if matches!(moment, Moment::Paired) {
            assert!(!homes.is_empty(), "a completed pairing stands");
        }
        drop(phone);
        device.shutdown().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! The load driver end to end on 127.0.0.1 (no namespaces needed): two real `orbit device
//! run` processes are paired, subscribed and loaded for a few seconds; every request must be
//! answered, every write reported on the subscription `[IM-62]`, and a second run must
//! connect to the devices it paired instead of pairing them again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use orbit_netlab::load::fleet::FleetPlan;
use orbit_netlab::load::run::{run, LoadConfig};
use orbit_netlab::load::sessions::OpenPlan;
use orbit_netlab::load::traffic::LoadPlan;
use std::sync::Arc;
use std::time::Duration;

fn config(dir: &std::path::Path, port: u16) -> LoadConfig {
    LoadConfig {
        fleet: FleetPlan {
            orbit: orbit_netlab::orbit_binary()
                .expect("the orbit binary (cargo build -p orbit-cli)"),
            hosts: vec!["127.0.0.1".parse().unwrap()],
            devices: 2,
            first_port: port,
            dir: dir.to_owned(),
            kind: "lamp".into(),
            batch: 2,
            start_timeout: Duration::from_secs(60),
        },
        load: LoadPlan {
            rate: 10.0,
            duration: Duration::from_secs(2),
            write_share: 0.5,
            max_interval_s: 5,
            max_in_flight: 100,
        },
        open: OpenPlan {
            concurrency: 2,
            attempts: 2,
        },
        fresh: false,
        sample_every: Duration::from_secs(1),
        reach: Arc::new(|_| None),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_are_paired_loaded_and_connected_again_on_a_rerun() {
    let dir = std::env::temp_dir().join(format!("netlab-load-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // A port range of its own per process, so parallel test runs do not collide.
    let port = 40_000 + u16::try_from(std::process::id() % 10_000).unwrap();

    let first = run(config(&dir, port)).await.unwrap();
    assert_eq!((first.devices_started, first.sessions), (2, 2));
    assert_eq!(first.open.pairing.ok, 2, "{:?}", first.open.pairing);
    assert_eq!(first.lost(), 0);
    let (reads, writes) = (&first.load.reads, &first.load.writes);
    assert!(reads.ok > 0 && writes.ok > 0, "{reads:?} {writes:?}");
    assert_eq!(
        reads.ok + writes.ok,
        first.requests(),
        "every request succeeded"
    );
    let r = &first.load.reports;
    assert_eq!((r.subscribed, r.lost), (2, 0));
    // Each acknowledged write changed the level, so a report carried it [IM-62].
    assert!(r.reports >= writes.ok.saturating_sub(r.superseded), "{r:?}");
    assert!(!r.write_to_report.is_empty());
    assert_eq!(r.unreported, 0);
    assert!(first.load_end.unwrap().devices_alive == 2);

    // The paired state was kept: the rerun connects (a session resumed or re-made).
    let second = run(config(&dir, port)).await.unwrap();
    assert_eq!(second.open.pairing.total(), 0);
    assert_eq!(second.open.connecting.ok, 2);
    assert_eq!(second.lost(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

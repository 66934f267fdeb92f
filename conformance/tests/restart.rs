//! The data-model restart case against the reference lamp, with a power-cycle hook that
//! shuts the lamp down and starts it again from the same store on the same port: what it
//! acknowledged survives, events keep their numbering, the descriptor stays [DM-65] [IM-50]
//! [DM-45] [DM-2].
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_conformance::hooks::{Hook, Step};
use orbit_conformance::{run, RunConfig, Silent, TargetSpec, Verdict};
use orbit_devices::Kind;
use orbit_sdk::device::{Device, DeviceConfig, DeviceError, DeviceIdentity};
use orbit_store::MemoryStore;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Starts the lamp on `listen`. In one process, quinn releases a shut-down device's socket a
/// moment after its last handle is dropped, so binding the same port again is retried
/// briefly (a real device process gets its port back from the OS at exit).
async fn lamp(store: Arc<MemoryStore>, listen: SocketAddr) -> Device {
    for _ in 0..250 {
        let config = DeviceConfig {
            listen,
            ..DeviceConfig::default()
        };
        match Device::open(
            store.clone(),
            |now| Ok(Kind::Lamp.build(now, "R-1")?),
            || DeviceIdentity::development(Kind::Lamp.product_id(), 1, orbit_sdk::unix_now()),
            config,
        )
        .await
        {
            Ok(d) => return d,
            Err(DeviceError::Transport(orbit_quic::QuicError::Bind { .. })) => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the port of the shut-down lamp was never released")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lamp_keeps_what_it_acknowledged_across_a_power_cycle() {
    let store = Arc::new(MemoryStore::new());
    let first = lamp(store.clone(), "127.0.0.1:0".parse().unwrap()).await;
    let addr = first.local_addr().unwrap();
    let setup = first.setup_payload().to_qr_string();
    let slot = Arc::new(tokio::sync::Mutex::new(Some(first)));
    let hook_slot = slot.clone();
    let hook_store = store.clone();
    let cycles = Arc::new(AtomicUsize::new(0));
    let hook_cycles = cycles.clone();
    let power_cycle: orbit_conformance::hooks::HookFn = Arc::new(move |_step| {
        let slot = hook_slot.clone();
        let store = hook_store.clone();
        hook_cycles.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            let mut d = slot.lock().await;
            if let Some(old) = d.take() {
                old.shutdown().await;
            }
            *d = Some(lamp(store, addr).await);
            Ok(())
        })
    });
    let mut config = RunConfig::new(TargetSpec::Quic(addr.to_string()), setup);
    config.seed = Some(5);
    config.only = vec!["data-model.restart".into()];
    config.hooks.steps = vec![(Step::PowerCycle, Hook::Function(power_cycle))];
    let report = run(&config, &mut Silent).await.unwrap();
    assert_eq!(report.harness_error, None);
    let case = &report.cases[0];
    assert_eq!(
        case.verdict,
        Verdict::Pass,
        "{:?} {:?}",
        case.failed_rule,
        case.observed
    );

    assert_eq!(
        cycles.load(Ordering::SeqCst),
        1,
        "the lamp was power-cycled once"
    );
    let device = slot.lock().await.take().unwrap();
    assert!(device.homes().is_empty(), "the suite removed its home");
    device.shutdown().await;
}

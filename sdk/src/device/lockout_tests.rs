//! A locked-out device over real QUIC on 127.0.0.1, and each way its lock-out ends: an
//! administrator of one of its homes, the device's button, a factory reset; each across a
//! restart (`[PAIR-27]`, `[PAIR-31]`, `[PAIR-32]`, `[ACL-10]`, `[ACL-11]`).
//!
//! The lock-out is what the device persisted after its tenth failed attempt. Reaching it over
//! the network takes the back-off's 1 + 2 + ... + 256 = 511 s; the ten attempts themselves run
//! on a virtual clock in `core/tests/pairing_lockout.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::persist::{DeviceState, DEVICE_RECORD};
use super::{factory_reset, Device, DeviceConfig, DeviceError, DeviceIdentity};
use crate::controller::{Cause, Controller, ControllerError};
use orbit_core::pairing::{PairingError, MAX_FAILED_ATTEMPTS};
use orbit_core::status::Status;
use orbit_devices::Kind;
use orbit_quic::QuicConfig;
use orbit_store::{MemoryStore, RecordKey, Store};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

async fn try_lamp(store: Arc<dyn Store>, listen: SocketAddr) -> Result<Device, DeviceError> {
    Device::open(
        store,
        |now| Ok(Kind::Lamp.build(now, "L-1")?),
        || DeviceIdentity::development(Kind::Lamp.product_id(), 7, crate::unix_now()),
        DeviceConfig {
            listen,
            ..DeviceConfig::default()
        },
    )
    .await
}

/// Starts the lamp kept in `store` on `listen`, retrying while the old socket is released.
async fn start(store: &Arc<dyn Store>, listen: SocketAddr) -> Device {
    for _ in 0..100 {
        match try_lamp(store.clone(), listen).await {
            Ok(d) => return d,
            Err(DeviceError::Transport(orbit_quic::QuicError::Bind { .. })) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    panic!("port {listen} never became free")
}

/// Stops the device and starts it again from its store on the same port.
async fn restart(device: Device, store: &Arc<dyn Store>) -> Device {
    let addr = device.local_addr().unwrap();
    device.shutdown().await;
    start(store, addr).await
}

/// Writes into the store of a stopped device what it persists after its tenth failed
/// attempt `[PAIR-27]`.
fn lock_out(store: &dyn Store) {
    let key = RecordKey::new(DEVICE_RECORD).unwrap();
    let mut state: DeviceState = orbit_store::load_doc(store, &key).unwrap().unwrap();
    state.pairing_failures = MAX_FAILED_ATTEMPTS;
    state.pairing_locked = true;
    orbit_store::save_doc(store, &key, &state).unwrap();
}

/// A lamp that was stopped, locked out and started again: returns it and its store.
async fn locked_lamp(store: Arc<dyn Store>, device: Device) -> Device {
    let addr = device.local_addr().unwrap();
    device.shutdown().await;
    lock_out(store.as_ref());
    let device = start(&store, addr).await;
    assert!(device.is_pairing_locked_out());
    assert!(!device.is_pairing_window_open());
    device
}

async fn controller() -> Controller {
    Controller::open(Arc::new(MemoryStore::new()), QuicConfig::default())
        .await
        .unwrap()
}

/// Pairing fails with `pairing-locked-out` and a message that says how it ends `[PAIR-36]`.
fn assert_locked_out(result: Result<crate::controller::Paired, ControllerError>) {
    let err = match result {
        Ok(_) => panic!("a locked-out device paired"),
        Err(e) => e,
    };
    assert!(
        matches!(
            err.cause,
            Cause::Pairing(PairingError::PeerStatus(Status::PAIRING_LOCKED_OUT))
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("button") && text.contains("administrator"),
        "{text}"
    );
}

// [PAIR-31] [ACL-10] [ACL-11] an administrator's open-pairing-window on a locked-out device
// answers success and means it: the lock-out ends, the reset count survives a restart, and a
// second home pairs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_ends_a_lock_out() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let device = start(&store, SocketAddr::from(([127, 0, 0, 1], 0))).await;
    let addr = device.local_addr().unwrap();
    let code = device.setup_payload().to_qr_string();
    let admin = controller().await;
    admin.pair(&code, addr, Some("lamp")).await.unwrap();

    let device = locked_lamp(store.clone(), device).await;
    let guest = controller().await;
    assert_locked_out(guest.pair(&code, addr, Some("lamp")).await);

    admin
        .open_pairing_window("lamp", Duration::from_secs(180))
        .await
        .unwrap();
    assert!(device.is_pairing_window_open());
    assert!(!device.is_pairing_locked_out());
    assert_eq!(device.failed_pairing_attempts(), 0);
    // A second open while the window is open is refused, not answered success [ACL-11].
    let again = admin
        .open_pairing_window("lamp", Duration::from_secs(180))
        .await
        .unwrap_err();
    assert!(
        matches!(again.cause, Cause::Status(Status::BUSY)),
        "{again}"
    );

    // The reset reached the store: after a restart the device is not locked out (its window
    // is closed, as a device in a home does not open it at power-up).
    let device = restart(device, &store).await;
    assert!(!device.is_pairing_locked_out());
    assert_eq!(device.failed_pairing_attempts(), 0);
    admin
        .open_pairing_window("lamp", Duration::from_secs(180))
        .await
        .unwrap();
    guest.pair(&code, addr, Some("lamp")).await.unwrap();
    assert_eq!(device.homes().len(), 2);
    device.shutdown().await;
}

// [PAIR-31] [PAIR-27] the device's button (a local user action) ends a lock-out of a device
// that belongs to no home, which no administrator can reach; the reset survives a restart,
// and the device then opens its window at power-up again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_button_ends_a_lock_out_across_a_restart() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let device = start(&store, SocketAddr::from(([127, 0, 0, 1], 0))).await;
    let addr = device.local_addr().unwrap();
    let code = device.setup_payload().to_qr_string();
    let device = locked_lamp(store.clone(), device).await;
    let phone = controller().await;
    assert_locked_out(phone.pair(&code, addr, Some("lamp")).await);
    // A restart alone changes nothing.
    let device = restart(device, &store).await;
    assert!(device.is_pairing_locked_out());
    assert_locked_out(phone.pair(&code, addr, Some("lamp")).await);

    device
        .open_pairing_window(orbit_core::pairing::MIN_WINDOW_DURATION)
        .unwrap();
    assert!(!device.is_pairing_locked_out());
    let device = restart(device, &store).await;
    assert!(!device.is_pairing_locked_out());
    assert_eq!(device.failed_pairing_attempts(), 0);
    assert!(
        device.is_pairing_window_open(),
        "power-up window of a device without a home"
    );
    phone.pair(&code, addr, Some("lamp")).await.unwrap();
    assert_eq!(device.homes().len(), 1);
    device.shutdown().await;
}

// [PAIR-32] a factory reset of a stopped, locked-out device in a home makes it factory-new:
// no home, no lock-out, no count; the same identity and setup code, so it pairs again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_factory_reset_ends_a_lock_out_and_keeps_the_identity() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let device = start(&store, SocketAddr::from(([127, 0, 0, 1], 0))).await;
    let addr = device.local_addr().unwrap();
    let code = device.setup_payload().to_qr_string();
    let first = controller().await;
    first.pair(&code, addr, Some("lamp")).await.unwrap();
    let device = locked_lamp(store.clone(), device).await;
    device.shutdown().await;

    let report = factory_reset(store.as_ref()).unwrap().unwrap();
    assert_eq!(report.homes_removed, 1);
    assert_eq!(report.failed_attempts, MAX_FAILED_ATTEMPTS);
    assert!(report.was_locked_out);

    let device = start(&store, addr).await;
    assert_eq!(device.setup_payload().to_qr_string(), code);
    assert!(device.homes().is_empty());
    assert!(!device.is_pairing_locked_out());
    assert_eq!(device.failed_pairing_attempts(), 0);
    assert!(device.is_pairing_window_open());
    let second = controller().await;
    second.pair(&code, addr, Some("lamp")).await.unwrap();
    assert_eq!(device.homes().len(), 1);
    // Across a restart the new home stays and the old one is gone.
    let device = restart(device, &store).await;
    assert_eq!(device.homes(), vec![second.home_id()]);
    device.shutdown().await;

    // A store that never held a device has nothing to reset.
    assert_eq!(factory_reset(&MemoryStore::new()).unwrap(), None);
}

//! A device whose store stops taking writes acknowledges nothing it has not stored
//! `[STATUS-4]` `[DM-65]` `[COMM-27]`: a write, an access control change and a commissioning
//! each get `storage-failed`, the device's state returns to what is stored, and after a
//! restart it serves exactly what it served before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{controller, lamp_with, on, pair_lamp, read_on, restart_on, try_lamp};
use orbit_core::device::AclEntry;
use orbit_core::interaction::{ConcreteAttribute, WriteRequest};
use orbit_core::model::std_caps::access_control;
use orbit_core::model::{Data, EndpointId, Privilege};
use orbit_core::status::Status;
use orbit_sdk::controller::{Cause, Phase};
use orbit_sdk::device::{DeviceConfig, DeviceError};
use orbit_store::{IoOp, MemoryStore, RecordKey, Store, StoreError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A store in memory whose writes fail while `failing` is set (a full or read-only disk).
#[derive(Default)]
struct FlakyStore {
    inner: MemoryStore,
    failing: AtomicBool,
}

impl FlakyStore {
    fn fail(&self, on: bool) {
        self.failing.store(on, Ordering::SeqCst);
    }
}

impl Store for FlakyStore {
    fn load(&self, key: &RecordKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.load(key)
    }

    fn save(&self, key: &RecordKey, bytes: &[u8]) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Io {
                op: IoOp::Write,
                path: "flaky".into(),
                source: std::io::Error::other("no space left on device"),
            });
        }
        self.inner.save(key, bytes)
    }

    fn remove(&self, key: &RecordKey) -> Result<bool, StoreError> {
        self.inner.remove(key)
    }

    fn keys(&self) -> Result<Vec<RecordKey>, StoreError> {
        self.inner.keys()
    }
}

fn status_of(e: &orbit_sdk::controller::ControllerError) -> Option<Status> {
    match &e.cause {
        Cause::Status(s) => Some(*s),
        _ => None,
    }
}

// [DM-65] [STATUS-4] a write the device cannot store is answered storage-failed and undone; once
// the store works again the same write is stored and survives a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_cannot_be_stored_is_refused_and_undone() {
    let flaky = Arc::new(FlakyStore::default());
    let store: Arc<dyn Store> = flaky.clone();
    let device = lamp_with(store.clone(), DeviceConfig::default()).await;
    let addr = device.local_addr().unwrap();
    let phone = controller().await;
    let paired = pair_lamp(&phone, &device).await;
    let conn = paired.connection;

    flaky.fail(true);
    let err = conn
        .write(WriteRequest::new(vec![(on(), Data::Bool(true))]))
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(Status::STORAGE_FAILED), "{err}");
    assert_eq!(device.attribute(on()), Some(Data::Bool(false)));
    assert_eq!(read_on(&conn).await, Ok(Data::Bool(false)));

    flaky.fail(false);
    let statuses = conn
        .write(WriteRequest::new(vec![(on(), Data::Bool(true))]))
        .await
        .unwrap();
    assert_eq!(statuses[0].status, Status::SUCCESS);
    conn.close();
    drop(conn);
    device.shutdown().await;
    let device = restart_on(store, addr).await;
    assert_eq!(device.attribute(on()), Some(Data::Bool(true)));
}

// [DM-65] [STATUS-4] an access control change the device cannot store is refused and the list
// stays as stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_control_change_that_cannot_be_stored_is_refused() {
    let flaky = Arc::new(FlakyStore::default());
    let store: Arc<dyn Store> = flaky.clone();
    let device = lamp_with(store, DeviceConfig::default()).await;
    let phone = controller().await;
    let paired = pair_lamp(&phone, &device).await;
    let conn = paired.connection;
    let acl = ConcreteAttribute::new(
        EndpointId::ROOT,
        access_control::ID,
        access_control::attributes::ACL,
    );
    let before = device.attribute(acl).unwrap();
    let home = phone.home_id();
    let entries = Data::List(vec![
        AclEntry::whole_device(home, 1, Privilege::Administer).to_data(),
        AclEntry::whole_device(home, 7, Privilege::Operate).to_data(),
    ]);

    flaky.fail(true);
    let err = conn
        .write(WriteRequest::new(vec![(acl, entries)]))
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(Status::STORAGE_FAILED), "{err}");
    assert_eq!(device.attribute(acl), Some(before));
    // The administrator still administers: the list in force is the stored one.
    flaky.fail(false);
    assert_eq!(read_on(&conn).await, Ok(Data::Bool(false)));
}

// [COMM-27] [STATUS-4] a commissioning whose home cannot be stored fails at the confirming
// session with storage-failed; the device rolls back with its window open [COMM-28]
// [COMM-29], and pairs once the store works again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commissioning_that_cannot_be_stored_fails_and_rolls_back() {
    let flaky = Arc::new(FlakyStore::default());
    let store: Arc<dyn Store> = flaky.clone();
    let device = lamp_with(store.clone(), DeviceConfig::default()).await;
    let addr = device.local_addr().unwrap();
    let code = device.setup_payload().to_qr_string();

    flaky.fail(true);
    let phone = controller().await;
    let err = phone.pair(&code, addr, Some("lamp")).await.unwrap_err();
    assert_eq!(err.phase, Phase::Session, "{err}");
    assert_eq!(status_of(&err), Some(Status::STORAGE_FAILED), "{err}");
    // [COMM-30] the controller knows the device did not join, and keeps no record of it.
    assert!(phone.devices().is_empty());
    assert!(device.homes().is_empty());
    assert!(!device.is_commissioning());
    assert!(device.is_pairing_window_open());

    flaky.fail(false);
    device.shutdown().await;
    let device = restart_on(store, addr).await;
    assert!(device.homes().is_empty());
    let phone = controller().await;
    phone.pair(&code, addr, Some("lamp")).await.unwrap();
    assert_eq!(device.homes(), vec![phone.home_id()]);
}

// [STATUS-4] a device just made that cannot store its identity does not start (it would come
// back with another setup code and attestation key).
#[tokio::test]
async fn a_new_device_that_cannot_store_its_identity_does_not_start() {
    let flaky = Arc::new(FlakyStore::default());
    flaky.fail(true);
    let err = try_lamp(flaky, DeviceConfig::default()).await.unwrap_err();
    assert!(matches!(err, DeviceError::Store(_)), "{err}");
}

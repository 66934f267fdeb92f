//! Several handles on one `FileStore` directory: a writer waits for the lock (telling its
//! caller once), and a reader opens read-only beside a writer without the lock.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orbit_store::{FileStore, RecordKey, Store, StoreError};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn key(name: &str) -> RecordKey {
    RecordKey::new(name).unwrap()
}

#[test]
fn a_writer_waits_for_the_lock_and_gets_it_when_the_holder_closes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let holder = FileStore::open(&dir).unwrap();
    holder.save(&key("a"), b"1").unwrap();
    let told = Arc::new(AtomicUsize::new(0));
    let waiter = {
        let (dir, told) = (dir.clone(), told.clone());
        std::thread::spawn(move || {
            FileStore::open_waiting(&dir, Duration::from_secs(60), || {
                told.fetch_add(1, Ordering::SeqCst);
            })
        })
    };
    // The waiter says it waits before the holder lets go.
    while told.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(holder);
    let store = waiter.join().unwrap().unwrap();
    assert_eq!(store.load(&key("a")).unwrap(), Some(b"1".to_vec()));
    assert_eq!(told.load(Ordering::SeqCst), 1, "told once, not per attempt");
}

#[test]
fn a_writer_gives_up_at_its_deadline_with_the_lock_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let _holder = FileStore::open(&dir).unwrap();
    let mut told = false;
    let e = FileStore::open_waiting(&dir, Duration::from_millis(200), || told = true).unwrap_err();
    assert!(matches!(e, StoreError::Locked { .. }), "{e}");
    assert!(told);
}

#[test]
fn a_reader_opens_beside_a_writer_sees_its_saves_and_cannot_write() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    // Read-only never creates the directory.
    assert!(FileStore::open_read_only(&dir).is_err());
    assert!(!dir.exists());
    let writer = FileStore::open(&dir).unwrap();
    writer.save(&key("a"), b"1").unwrap();
    let reader = FileStore::open_read_only(&dir).unwrap();
    assert!(reader.is_read_only() && !writer.is_read_only());
    assert_eq!(reader.load(&key("a")).unwrap(), Some(b"1".to_vec()));
    writer.save(&key("a"), b"2").unwrap();
    assert_eq!(reader.load(&key("a")).unwrap(), Some(b"2".to_vec()));
    assert!(matches!(
        reader.save(&key("a"), b"3"),
        Err(StoreError::ReadOnly { .. })
    ));
    assert!(matches!(
        reader.remove(&key("a")),
        Err(StoreError::ReadOnly { .. })
    ));
    assert_eq!(writer.load(&key("a")).unwrap(), Some(b"2".to_vec()));
    // A reader does not hold the lock: the writer can close and reopen.
    drop(writer);
    FileStore::open(&dir).unwrap();
}

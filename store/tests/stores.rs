//! Behaviour of `FileStore` and `MemoryStore` through the `Store` trait, and the file store's
//! durability, permission and corruption handling.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::Path;
use std::sync::Arc;

use orbit_store::{
    Corruption, FileStore, MemoryStore, PermissionProblem, RecordKey, Store, StoreError,
    HEADER_LEN, MAX_RECORD_LEN,
};
use proptest::prelude::*;

fn key(name: &str) -> RecordKey {
    RecordKey::new(name).unwrap()
}

fn new_file_store() -> (tempfile::TempDir, FileStore) {
    let tmp = tempfile::tempdir().unwrap();
    let store = FileStore::open(tmp.path().join("store")).unwrap();
    (tmp, store)
}

/// The contract every `Store` must meet.
fn contract(store: &dyn Store) {
    let a = key("a");
    let b = key("b.2");
    assert_eq!(store.keys().unwrap(), Vec::<RecordKey>::new());
    assert_eq!(store.load(&a).unwrap(), None);
    assert!(!store.remove(&a).unwrap());

    store.save(&a, b"first").unwrap();
    assert_eq!(store.load(&a).unwrap().unwrap(), b"first");
    store.save(&a, b"second, longer").unwrap();
    assert_eq!(store.load(&a).unwrap().unwrap(), b"second, longer");
    store.save(&a, b"").unwrap();
    assert_eq!(store.load(&a).unwrap().unwrap(), b"");

    store.save(&b, &[0xff; 3000]).unwrap();
    assert_eq!(store.keys().unwrap(), vec![a.clone(), b.clone()]);
    assert!(store.remove(&a).unwrap());
    assert!(!store.remove(&a).unwrap());
    assert_eq!(store.load(&a).unwrap(), None);
    assert_eq!(store.keys().unwrap(), vec![b.clone()]);
    assert_eq!(store.load(&b).unwrap().unwrap(), vec![0xff; 3000]);

    let huge = vec![0u8; MAX_RECORD_LEN + 1];
    assert!(matches!(
        store.save(&a, &huge),
        Err(StoreError::TooLarge { len, .. }) if len == huge.len() as u64
    ));
    assert_eq!(store.load(&a).unwrap(), None);
}

#[test]
fn memory_store_meets_the_contract() {
    contract(&MemoryStore::new());
}

#[test]
fn file_store_meets_the_contract() {
    let (_tmp, store) = new_file_store();
    contract(&store);
}

#[test]
fn file_store_persists_across_reopen_and_is_object_safe() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested/deeper/store");
    {
        let store: Box<dyn Store> = Box::new(FileStore::open(&dir).unwrap());
        store.save(&key("homes"), b"home list").unwrap();
    }
    let store: Arc<dyn Store> = Arc::new(FileStore::open(&dir).unwrap());
    assert_eq!(store.load(&key("homes")).unwrap().unwrap(), b"home list");
}

#[test]
fn invalid_keys_are_rejected_before_reaching_a_store() {
    for bad in ["", "../x", "a/b", ".hidden", "UPPER", "sp ace", "x\0"] {
        assert!(RecordKey::new(bad).is_err(), "{bad:?} accepted");
    }
}

#[cfg(unix)]
mod unix {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().mode() & 0o7777
    }

    fn chmod(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn created_directory_is_0700_and_records_are_0600() {
        let (_tmp, store) = new_file_store();
        assert_eq!(mode(store.dir()), 0o700);
        store.save(&key("keys"), b"secret").unwrap();
        assert_eq!(mode(&store.record_path(&key("keys"))), 0o600);
        for entry in fs::read_dir(store.dir()).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path) & 0o077, 0, "{} is not private", path.display());
        }
    }

    #[test]
    fn an_open_directory_is_refused_not_fixed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("store");
        fs::create_dir(&dir).unwrap();
        chmod(&dir, 0o750);
        match FileStore::open(&dir) {
            Err(StoreError::Permissions {
                problem: PermissionProblem::TooOpen { mode },
                path,
            }) => {
                assert_eq!(mode, 0o750);
                assert_eq!(path, dir);
            }
            other => panic!("expected TooOpen, got {other:?}"),
        }
        assert_eq!(mode(&dir), 0o750);
        chmod(&dir, 0o700);
        FileStore::open(&dir).unwrap();
    }

    #[test]
    fn a_readable_record_is_refused_and_a_save_makes_it_private_again() {
        let (_tmp, store) = new_file_store();
        let k = key("verifier");
        store.save(&k, b"v").unwrap();
        chmod(&store.record_path(&k), 0o644);
        assert!(matches!(
            store.load(&k),
            Err(StoreError::Permissions {
                problem: PermissionProblem::TooOpen { mode: 0o644 },
                ..
            })
        ));
        store.save(&k, b"w").unwrap();
        assert_eq!(mode(&store.record_path(&k)), 0o600);
        assert_eq!(store.load(&k).unwrap().unwrap(), b"w");
    }

    #[test]
    fn records_owned_by_someone_else_are_refused() {
        let (_tmp, store) = new_file_store();
        if fs::metadata(store.dir()).unwrap().uid() != 0 {
            // Only root can give a file away; the check itself is the same code as the mode
            // check, which runs everywhere.
            eprintln!("skipped: needs root to chown");
            return;
        }
        let k = key("cert");
        store.save(&k, b"c").unwrap();
        std::os::unix::fs::chown(store.record_path(&k), Some(12345), None).unwrap();
        assert!(matches!(
            store.load(&k),
            Err(StoreError::Permissions {
                problem: PermissionProblem::NotOwner {
                    owner: 12345,
                    current: 0
                },
                ..
            })
        ));
    }

    #[test]
    fn symlinks_and_non_directories_are_refused() {
        let (tmp, store) = new_file_store();
        let outside = tmp.path().join("outside");
        fs::write(&outside, b"not a record").unwrap();
        std::os::unix::fs::symlink(&outside, store.record_path(&key("link"))).unwrap();
        assert!(matches!(
            store.load(&key("link")),
            Err(StoreError::Permissions {
                problem: PermissionProblem::NotAFile,
                ..
            })
        ));
        assert!(matches!(
            FileStore::open(&outside),
            Err(StoreError::Permissions {
                problem: PermissionProblem::NotADirectory,
                ..
            })
        ));
        let linked_dir = tmp.path().join("linked");
        std::os::unix::fs::symlink(store.dir(), &linked_dir).unwrap();
        drop(store);
        assert!(matches!(
            FileStore::open(&linked_dir),
            Err(StoreError::Permissions {
                problem: PermissionProblem::NotADirectory,
                ..
            })
        ));
    }

    #[test]
    fn a_second_handle_on_the_same_directory_is_refused() {
        let (_tmp, store) = new_file_store();
        assert!(matches!(
            FileStore::open(store.dir()),
            Err(StoreError::Locked { .. })
        ));
        let dir = store.dir().to_owned();
        drop(store);
        FileStore::open(&dir).unwrap();
    }
}

fn corrupt_reason(store: &FileStore, k: &RecordKey) -> Corruption {
    match store.load(k) {
        Err(StoreError::Corrupt { key, reason }) => {
            assert_eq!(&key, k);
            reason
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn truncated_flipped_and_garbage_files_are_corrupt() {
    let (_tmp, store) = new_file_store();
    let k = key("homes");
    store.save(&k, &[0x5a; 100]).unwrap();
    let path = store.record_path(&k);
    let good = fs::read(&path).unwrap();

    fs::write(&path, &good[..good.len() - 1]).unwrap();
    assert!(matches!(
        corrupt_reason(&store, &k),
        Corruption::LengthMismatch {
            announced: 100,
            actual: 99
        }
    ));
    fs::write(&path, &good[..5]).unwrap();
    assert_eq!(corrupt_reason(&store, &k), Corruption::Truncated { len: 5 });
    fs::write(&path, b"").unwrap();
    assert_eq!(corrupt_reason(&store, &k), Corruption::Truncated { len: 0 });

    let mut flipped = good.clone();
    flipped[HEADER_LEN + 50] ^= 0x10;
    fs::write(&path, &flipped).unwrap();
    assert!(matches!(
        corrupt_reason(&store, &k),
        Corruption::Checksum { .. }
    ));

    fs::write(&path, b"{\"this is\": \"not a record at all\"}").unwrap();
    assert_eq!(corrupt_reason(&store, &k), Corruption::BadMagic);

    // A valid record of another name copied over this one.
    store.save(&key("other"), &[0x5a; 100]).unwrap();
    fs::copy(store.record_path(&key("other")), &path).unwrap();
    assert!(matches!(
        corrupt_reason(&store, &k),
        Corruption::Checksum { .. }
    ));

    // The error names the record and the problem, never the contents.
    let message = store.load(&k).unwrap_err().to_string();
    assert!(
        message.contains("homes") && message.contains("checksum"),
        "{message}"
    );

    fs::write(&path, &good).unwrap();
    assert_eq!(store.load(&k).unwrap().unwrap(), vec![0x5a; 100]);
}

#[test]
fn an_oversized_file_is_refused_without_reading_it() {
    let (_tmp, store) = new_file_store();
    let k = key("big");
    let file = fs::File::create(store.record_path(&k)).unwrap();
    file.set_len((HEADER_LEN + MAX_RECORD_LEN + 1) as u64)
        .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .unwrap();
    }
    assert!(matches!(store.load(&k), Err(StoreError::TooLarge { .. })));
}

#[test]
fn leftover_temporary_files_are_ignored_then_cleaned_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = FileStore::open(&dir).unwrap();
    store.save(&key("doc"), b"committed").unwrap();
    // What a writer killed between creating and renaming its temporary file leaves behind.
    let leftover = dir.join(".doc.7.tmp");
    fs::write(&leftover, b"ORBS half-written").unwrap();
    let unrelated = dir.join("notes.txt");
    fs::write(&unrelated, b"not ours").unwrap();
    assert_eq!(store.keys().unwrap(), vec![key("doc")]);
    assert_eq!(store.load(&key("doc")).unwrap().unwrap(), b"committed");
    drop(store);

    let store = FileStore::open(&dir).unwrap();
    assert!(!leftover.exists(), "leftover temporary file not removed");
    assert!(
        unrelated.exists(),
        "a file the store does not own was removed"
    );
    assert_eq!(store.load(&key("doc")).unwrap().unwrap(), b"committed");
    store.save(&key("doc"), b"again").unwrap();
    let names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(names.is_empty(), "temporary files after a save: {names:?}");
}

#[test]
fn concurrent_saves_leave_one_whole_value() {
    let (_tmp, store) = new_file_store();
    let store = Arc::new(store);
    let k = key("contended");
    let threads: Vec<_> = (0u8..4)
        .map(|t| {
            let store = Arc::clone(&store);
            let k = k.clone();
            std::thread::spawn(move || {
                for _ in 0..10 {
                    store.save(&k, &vec![t; 1000 + usize::from(t)]).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let value = store.load(&k).unwrap().unwrap();
    let t = value[0];
    assert_eq!(value, vec![t; 1000 + usize::from(t)]);
}

/// One store for the property tests that write files directly (opening a store per case
/// costs several fsyncs).
fn shared_store() -> &'static (tempfile::TempDir, FileStore) {
    static STORE: std::sync::OnceLock<(tempfile::TempDir, FileStore)> = std::sync::OnceLock::new();
    STORE.get_or_init(|| {
        let (tmp, store) = new_file_store();
        // Created through the store so the file is 0600; the test then overwrites its bytes.
        store.save(&key("fuzzed"), b"").unwrap();
        (tmp, store)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any bytes at all in a record file: the loader returns an error or a payload, and never
    /// panics. Bytes that do load must carry the header.
    #[test]
    fn arbitrary_record_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let store = &shared_store().1;
        let k = key("fuzzed");
        fs::write(store.record_path(&k), &bytes).unwrap();
        match store.load(&k) {
            Ok(Some(payload)) => {
                prop_assert_eq!(&bytes[..4], b"ORBS");
                prop_assert_eq!(&bytes[HEADER_LEN..], &payload[..]);
            }
            Ok(None) => prop_assert!(false, "record vanished"),
            Err(StoreError::Corrupt { .. } | StoreError::TooNew { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }

}

proptest! {
    // Each case saves through the store (two fsyncs); fewer cases keep the suite fast.
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A valid record with any one byte changed is never returned.
    #[test]
    fn any_damaged_byte_is_detected(
        payload in proptest::collection::vec(any::<u8>(), 0..200),
        at in any::<prop::sample::Index>(),
        xor in 1u8..,
    ) {
        let (_tmp, store) = new_file_store();
        let k = key("damaged");
        store.save(&k, &payload).unwrap();
        let path = store.record_path(&k);
        let mut bytes = fs::read(&path).unwrap();
        let i = at.index(bytes.len());
        bytes[i] ^= xor;
        fs::write(&path, &bytes).unwrap();
        prop_assert!(store.load(&k).is_err());
    }

    /// Round trip through a file for arbitrary payloads.
    #[test]
    fn arbitrary_payloads_round_trip(payload in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let (_tmp, store) = new_file_store();
        let k = key("rt");
        store.save(&k, &payload).unwrap();
        prop_assert_eq!(store.load(&k).unwrap().unwrap(), payload);
    }
}

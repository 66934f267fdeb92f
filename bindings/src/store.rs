//! The controller's store as the app provides it: [`SecureStore`] is `orbit_store::Store`
//! seen from Kotlin and Swift, which an app implements over the Android Keystore or the iOS
//! Keychain (records hold the home's private keys). [`file_store`] and [`memory_store`] are
//! the SDK's own stores, for desktop apps and tests.

use orbit_store::{FileStore, IoOp, MemoryStore, RecordKey, Store, StoreError};
use std::sync::Arc;

/// Why the app's store failed; its message reaches the caller as [`crate::OrbitError::Store`].
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum StoreFailure {
    /// The store could not do it.
    #[error("{detail}")]
    Failed {
        /// What went wrong (never the record's contents).
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for StoreFailure {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        StoreFailure::Failed { detail: e.reason }
    }
}

/// Named records of bytes, each `save` and `remove` atomic and durable when it returns (a
/// record after a crash holds its old or its new bytes). Record names are short ASCII
/// identifiers. Implement it over a secure platform store; the SDK calls it from its own
/// threads, never from the caller's.
#[uniffi::export(with_foreign)]
pub trait SecureStore: Send + Sync {
    /// The record's bytes, or nothing if there is no such record.
    fn load(&self, key: String) -> Result<Option<Vec<u8>>, StoreFailure>;
    /// Creates or atomically replaces the record.
    fn save(&self, key: String, bytes: Vec<u8>) -> Result<(), StoreFailure>;
    /// Removes the record; whether it existed.
    fn remove(&self, key: String) -> Result<bool, StoreFailure>;
    /// The names of all records, sorted.
    fn keys(&self) -> Result<Vec<String>, StoreFailure>;
}

/// The SDK's crash-safe file store in `directory` (owner-only files): for desktop apps and
/// tests. A phone app should keep keys in its platform's secure store instead.
#[uniffi::export]
pub fn file_store(directory: String) -> Result<Arc<dyn SecureStore>, crate::OrbitError> {
    let store = FileStore::open(&directory).map_err(|e| crate::OrbitError::Store {
        phase: crate::Phase::Store,
        detail: e.to_string(),
    })?;
    Ok(Arc::new(RustStore(Arc::new(store))))
}

/// A store in memory, gone with the process: for tests and demos.
#[uniffi::export]
pub fn memory_store() -> Arc<dyn SecureStore> {
    Arc::new(RustStore(Arc::new(MemoryStore::new())))
}

/// One of the SDK's stores behind [`SecureStore`].
struct RustStore(Arc<dyn Store>);

fn failed(e: StoreError) -> StoreFailure {
    StoreFailure::Failed {
        detail: e.to_string(),
    }
}

fn key(name: &str) -> Result<RecordKey, StoreFailure> {
    RecordKey::new(name).map_err(|e| failed(e.into()))
}

impl SecureStore for RustStore {
    fn load(&self, name: String) -> Result<Option<Vec<u8>>, StoreFailure> {
        self.0.load(&key(&name)?).map_err(failed)
    }

    fn save(&self, name: String, bytes: Vec<u8>) -> Result<(), StoreFailure> {
        self.0.save(&key(&name)?, &bytes).map_err(failed)
    }

    fn remove(&self, name: String) -> Result<bool, StoreFailure> {
        self.0.remove(&key(&name)?).map_err(failed)
    }

    fn keys(&self) -> Result<Vec<String>, StoreFailure> {
        Ok(self
            .0
            .keys()
            .map_err(failed)?
            .into_iter()
            .map(|k| k.as_str().to_owned())
            .collect())
    }
}

/// The app's [`SecureStore`] as the SDK's `Store`.
pub(crate) struct AppStore(pub(crate) Arc<dyn SecureStore>);

/// An app store's failure as the SDK's store error: an I/O error of `op` on the record.
fn app_error(op: IoOp, key: &RecordKey, e: StoreFailure) -> StoreError {
    StoreError::Io {
        op,
        path: std::path::PathBuf::from(format!("app store record {key}")),
        source: std::io::Error::other(e.to_string()),
    }
}

impl Store for AppStore {
    fn load(&self, key: &RecordKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.0
            .load(key.as_str().to_owned())
            .map_err(|e| app_error(IoOp::Read, key, e))
    }

    fn save(&self, key: &RecordKey, bytes: &[u8]) -> Result<(), StoreError> {
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if bytes.len() > orbit_store::MAX_RECORD_LEN {
            return Err(StoreError::TooLarge {
                key: key.clone(),
                len,
                max: u64::try_from(orbit_store::MAX_RECORD_LEN).unwrap_or(u64::MAX),
            });
        }
        self.0
            .save(key.as_str().to_owned(), bytes.to_vec())
            .map_err(|e| app_error(IoOp::Write, key, e))
    }

    fn remove(&self, key: &RecordKey) -> Result<bool, StoreError> {
        self.0
            .remove(key.as_str().to_owned())
            .map_err(|e| app_error(IoOp::Remove, key, e))
    }

    fn keys(&self) -> Result<Vec<RecordKey>, StoreError> {
        let mut keys = self
            .0
            .keys()
            .map_err(|e| StoreError::Io {
                op: IoOp::ReadDir,
                path: std::path::PathBuf::from("app store"),
                source: std::io::Error::other(e.to_string()),
            })?
            .into_iter()
            .map(|k| RecordKey::new(k).map_err(StoreError::from))
            .collect::<Result<Vec<_>, _>>()?;
        keys.sort();
        Ok(keys)
    }
}

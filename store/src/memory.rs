//! An in-memory store for tests and in-process demos.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::key::RecordKey;
use crate::Store;

/// A [`Store`] that keeps records in memory; they are zeroized when replaced, removed or
/// dropped. Each operation is atomic with respect to the others.
#[derive(Default)]
pub struct MemoryStore {
    records: Mutex<BTreeMap<RecordKey, Zeroizing<Vec<u8>>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn records(&self) -> MutexGuard<'_, BTreeMap<RecordKey, Zeroizing<Vec<u8>>>> {
        // Every operation leaves the map consistent, so a panic elsewhere while the lock was
        // held cannot have left it half-updated.
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("keys", &self.records().keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Store for MemoryStore {
    fn load(&self, key: &RecordKey) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.records().get(key).map(|bytes| bytes.to_vec()))
    }

    fn save(&self, key: &RecordKey, bytes: &[u8]) -> Result<(), StoreError> {
        // Same size limit as the file store, so tests against memory see the same errors.
        crate::envelope::check_len(key, bytes.len())?;
        self.records()
            .insert(key.clone(), Zeroizing::new(bytes.to_vec()));
        Ok(())
    }

    fn remove(&self, key: &RecordKey) -> Result<bool, StoreError> {
        Ok(self.records().remove(key).is_some())
    }

    fn keys(&self) -> Result<Vec<RecordKey>, StoreError> {
        Ok(self.records().keys().cloned().collect())
    }
}

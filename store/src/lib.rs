//! # orbit-store
//!
//! Durable storage for Orbit controllers and devices: homes, keys, certificates, paired
//! devices and resumption tickets on the controller; identity, attestation chain, homes,
//! access control, the pairing verifier and persistent attribute values on the device.
//!
//! Two layers:
//!
//! - [`Store`]: named records of bytes with atomic replace. [`FileStore`] keeps one
//!   checksummed file per record in an owner-only directory and survives a crash at any
//!   point (the record is then the old or the new bytes, never a mix); [`MemoryStore`] is for
//!   tests and in-process demos. Phone apps can implement the trait over the Keychain or the
//!   Android Keystore through the bindings.
//! - [`Document`]: a serde type stored with its kind and version, migrated step by step when
//!   an older version is loaded and refused ([`StoreError::TooNew`]) when a newer one is.
//!
//! [`Secret`] and [`SecretBytes`] hold keys inside documents: they print as `<redacted>` and
//! are zeroized on drop, so a document can derive `Debug`. No [`StoreError`] carries record
//! contents.
//!
//! ```
//! use orbit_store::{FileStore, RecordKey, Store};
//!
//! let dir = tempfile::tempdir()?;
//! let store = FileStore::open(dir.path().join("orbit"))?;
//! let key = RecordKey::new("tickets")?;
//! store.save(&key, b"v1")?;
//! store.save(&key, b"v2")?; // atomic replace
//! assert_eq!(store.load(&key)?, Some(b"v2".to_vec()));
//! assert_eq!(store.keys()?, vec![key.clone()]);
//! assert!(store.remove(&key)?);
//! assert_eq!(store.load(&key)?, None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Record file format
//!
//! Each [`FileStore`] record is a 16-byte header and the payload:
//!
//! ```text
//! offset  size  field
//!      0     4  magic "ORBS"
//!      4     2  envelope version, big-endian (1)
//!      6     2  reserved, zero
//!      8     4  payload length, big-endian
//!     12     4  CRC-32 (IEEE), big-endian, over: record name, bytes 0..12, payload
//!     16     n  payload
//! ```
//!
//! The checksum covers the record's name too, so a record file copied or renamed onto another
//! record's name is reported as corrupt rather than read as the wrong record. A CRC detects
//! accidents (torn writes, bit rot, truncation); it is not a defence against an attacker who
//! can write the file, which the owner-only permissions are for.
#![forbid(unsafe_code)]

mod doc;
mod envelope;
mod error;
mod file;
mod key;
mod memory;
mod secret;

pub use doc::{insert_field, load_doc, rename_field, save_doc, upgrade_doc, Document};
pub use envelope::{ENVELOPE_VERSION, HEADER_LEN, MAGIC, MAX_RECORD_LEN};
pub use error::{
    redact_serde_message, Corruption, IoOp, MigrationError, PermissionProblem, StoreError,
};
pub use file::FileStore;
pub use key::{InvalidKey, RecordKey, MAX_KEY_LEN};
pub use memory::MemoryStore;
pub use secret::{Secret, SecretBytes};

/// Named records of bytes. Object-safe, so an application can hand the SDK a
/// `Box<dyn Store>` or `Arc<dyn Store>` backed by whatever it likes.
///
/// Implementations must make each [`save`](Store::save) and [`remove`](Store::remove)
/// atomic and durable when it returns: after a crash at any point a record holds either its
/// old or its new bytes, and a completed call is not undone. They must not log record
/// contents, and should report damaged data as [`StoreError::Corrupt`] rather than return it.
pub trait Store: Send + Sync + 'static {
    /// The record's bytes, or `None` if there is no such record.
    fn load(&self, key: &RecordKey) -> Result<Option<Vec<u8>>, StoreError>;

    /// Creates or atomically replaces the record. Payloads larger than [`MAX_RECORD_LEN`] are
    /// refused with [`StoreError::TooLarge`].
    fn save(&self, key: &RecordKey, bytes: &[u8]) -> Result<(), StoreError>;

    /// Removes the record; `true` if it existed.
    fn remove(&self, key: &RecordKey) -> Result<bool, StoreError>;

    /// The names of all records, sorted.
    fn keys(&self) -> Result<Vec<RecordKey>, StoreError>;
}

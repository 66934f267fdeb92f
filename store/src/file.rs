//! [`FileStore`]: one file per record in an owner-only directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use zeroize::Zeroizing;

use crate::envelope::{self, HEADER_LEN, MAX_RECORD_LEN};
use crate::error::{IoOp, PermissionProblem, StoreError};
use crate::key::RecordKey;
use crate::Store;

/// File name suffix of record files.
const RECORD_SUFFIX: &str = ".orbs";
/// File name suffix of temporary files (which also start with a dot).
const TEMP_SUFFIX: &str = ".tmp";
/// The lock file's name.
const LOCK_NAME: &str = ".lock";
/// How often [`FileStore::open_waiting`] tries the lock again.
const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(50);
/// How many temporary file names a save tries before giving up.
const TEMP_ATTEMPTS: u32 = 64;

/// A [`Store`] keeping each record in its own file in an owner-only directory.
///
/// # Layout
///
/// ```text
/// <dir>/                     mode 0700, owned by the current user
///   .lock                    held with flock(2) while a FileStore has the directory open
///   <key>.orbs               one record, mode 0600 (format in the crate documentation)
///   .<key>.<n>.tmp           a write in progress; leftovers of a crash are removed on open
/// ```
///
/// # Crash safety
///
/// [`Store::save`] writes the record to a new temporary file, flushes it to stable storage
/// (`fsync`; on Apple platforms std uses `F_FULLFSYNC`), renames it over the record, and
/// flushes the directory so the rename itself is durable. A reader therefore sees the old or
/// the new file, whole, at any instant; after a crash or power loss the record is the old or
/// the new bytes. A file damaged in any other way (a disk error, a file copied by hand) fails
/// its checksum and is reported as [`StoreError::Corrupt`].
///
/// # Permissions
///
/// The directory is created with mode 0700 and files with 0600. An existing directory, and
/// every record file read, must be owned by the effective user and give no access to group or
/// other; otherwise the store returns [`StoreError::Permissions`] instead of reading it. It does
/// not fix the mode itself: a key that was readable by others may already have leaked, and that
/// is for the application to decide. A save replaces the file, so a record written again is
/// 0600 whatever the old file's mode was.
///
/// On non-Unix targets the mode, owner and lock checks are skipped.
///
/// # Sharing
///
/// One `FileStore` at a time may have a directory open (enforced with `flock(2)` on the
/// `.lock` file on Unix); it can be shared between threads. The lock is released when the
/// store is dropped or the process dies. Its descriptor is close-on-exec, but a child process
/// forked at that moment shares it until it execs, so a reopen racing a concurrent `fork` can
/// briefly see [`StoreError::Locked`]. [`FileStore::open_waiting`] waits for the lock instead
/// of failing at once.
///
/// [`FileStore::open_read_only`] opens without the lock, for readers that must not wait for a
/// long-running writer: every save is an atomic rename, so a reader sees each record whole
/// (old or new) at any instant. A read-only store refuses to save or remove
/// ([`StoreError::ReadOnly`]).
#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
    /// Held for the store's lifetime; closing it releases the lock. `None` when read-only.
    lock: Option<File>,
    next_temp: AtomicU64,
}

fn io_err(op: IoOp, path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        op,
        path: path.to_owned(),
        source,
    }
}

impl FileStore {
    /// Opens the store in `dir`, creating the directory (and missing parents) with mode 0700
    /// if it does not exist.
    ///
    /// Refuses a directory that is a symbolic link, is not owned by the current user or gives
    /// any access to group or other ([`StoreError::Permissions`]), and one that another
    /// `FileStore` has open ([`StoreError::Locked`]). Removes temporary files left by
    /// interrupted writes.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        let dir = dir.as_ref().to_owned();
        let meta = match fs::symlink_metadata(&dir) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                create_dir(&dir)?;
                fs::symlink_metadata(&dir).map_err(io_err(IoOp::Metadata, &dir))?
            }
            Err(e) => return Err(io_err(IoOp::Metadata, &dir)(e)),
        };
        if !meta.is_dir() {
            return Err(StoreError::Permissions {
                path: dir,
                problem: PermissionProblem::NotADirectory,
            });
        }
        check_private(&dir, &meta)?;
        let lock = lock_dir(&dir)?;
        let store = Self {
            dir,
            lock: Some(lock),
            next_temp: AtomicU64::new(0),
        };
        store.remove_leftovers()?;
        Ok(store)
    }

    /// [`FileStore::open`], waiting up to `timeout` while another store holds the directory:
    /// `waiting` is called once, when the first attempt finds it locked (to tell the user),
    /// and [`StoreError::Locked`] is returned if it is still locked at the deadline.
    pub fn open_waiting(
        dir: impl AsRef<Path>,
        timeout: std::time::Duration,
        waiting: impl FnOnce(),
    ) -> Result<Self, StoreError> {
        let deadline = std::time::Instant::now() + timeout;
        let mut waiting = Some(waiting);
        loop {
            match Self::open(dir.as_ref()) {
                Err(StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                    if let Some(tell) = waiting.take() {
                        tell();
                    }
                    std::thread::sleep(LOCK_POLL);
                }
                other => return other,
            }
        }
    }

    /// Opens the existing store in `dir` for reading only, without taking its lock (so
    /// alongside a writer). The directory must exist and pass the same ownership and mode
    /// checks as [`FileStore::open`]; saves and removes fail with [`StoreError::ReadOnly`].
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        let dir = dir.as_ref().to_owned();
        let meta = fs::symlink_metadata(&dir).map_err(io_err(IoOp::Metadata, &dir))?;
        if !meta.is_dir() {
            return Err(StoreError::Permissions {
                path: dir,
                problem: PermissionProblem::NotADirectory,
            });
        }
        check_private(&dir, &meta)?;
        Ok(Self {
            dir,
            lock: None,
            next_temp: AtomicU64::new(0),
        })
    }

    /// Whether this store was opened with [`FileStore::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.lock.is_none()
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.is_read_only() {
            return Err(StoreError::ReadOnly {
                path: self.dir.clone(),
            });
        }
        Ok(())
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that holds `key`'s record (whether or not it exists).
    pub fn record_path(&self, key: &RecordKey) -> PathBuf {
        self.dir.join(format!("{key}{RECORD_SUFFIX}"))
    }

    fn remove_leftovers(&self) -> Result<(), StoreError> {
        let mut removed = false;
        for name in self.list()? {
            if name.starts_with('.') && name.ends_with(TEMP_SUFFIX) {
                let path = self.dir.join(&name);
                match fs::remove_file(&path) {
                    Ok(()) => removed = true,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err(IoOp::Remove, &path)(e)),
                }
            }
        }
        if removed {
            self.sync_dir()?;
        }
        Ok(())
    }

    /// Names of the directory's entries that are valid UTF-8 (others are not ours).
    fn list(&self) -> Result<Vec<String>, StoreError> {
        let entries = fs::read_dir(&self.dir).map_err(io_err(IoOp::ReadDir, &self.dir))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err(IoOp::ReadDir, &self.dir))?;
            if let Ok(name) = entry.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }

    fn sync_dir(&self) -> Result<(), StoreError> {
        sync_dir(&self.dir)
    }

    /// Creates a new, empty temporary file for `key` with mode 0600.
    fn create_temp(&self, key: &RecordKey) -> Result<(PathBuf, File), StoreError> {
        let mut last = None;
        for _ in 0..TEMP_ATTEMPTS {
            let n = self.next_temp.fetch_add(1, Ordering::Relaxed);
            let path = self.dir.join(format!(".{key}.{n}{TEMP_SUFFIX}"));
            match private_options().write(true).create_new(true).open(&path) {
                Ok(file) => return Ok((path, file)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some((path, e)),
                Err(e) => return Err(io_err(IoOp::Open, &path)(e)),
            }
        }
        let (path, source) = last.unwrap_or_else(|| {
            (
                self.dir.clone(),
                io::Error::from(io::ErrorKind::AlreadyExists),
            )
        });
        Err(StoreError::Io {
            op: IoOp::Open,
            path,
            source,
        })
    }
}

impl Store for FileStore {
    fn load(&self, key: &RecordKey) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.record_path(key);
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(IoOp::Metadata, &path)(e)),
        };
        if !meta.is_file() {
            return Err(StoreError::Permissions {
                path,
                problem: PermissionProblem::NotAFile,
            });
        }
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(IoOp::Open, &path)(e)),
        };
        // Check the file actually opened, not the name looked up a moment ago.
        let meta = file.metadata().map_err(io_err(IoOp::Metadata, &path))?;
        if !meta.is_file() {
            return Err(StoreError::Permissions {
                path,
                problem: PermissionProblem::NotAFile,
            });
        }
        check_private(&path, &meta)?;
        let limit = (HEADER_LEN + MAX_RECORD_LEN) as u64;
        if meta.len() > limit {
            return Err(StoreError::TooLarge {
                key: key.clone(),
                len: meta.len().saturating_sub(HEADER_LEN as u64),
                max: MAX_RECORD_LEN as u64,
            });
        }
        let mut bytes =
            Zeroizing::new(Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0)));
        // Bounded even if the file grows after the metadata was read.
        (&mut file)
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(io_err(IoOp::Read, &path))?;
        let payload = envelope::decode(key, &bytes)?;
        Ok(Some(payload.to_vec()))
    }

    fn save(&self, key: &RecordKey, bytes: &[u8]) -> Result<(), StoreError> {
        self.writable()?;
        let mut file_bytes = Zeroizing::new(Vec::new());
        envelope::encode_into(key, bytes, &mut file_bytes)?;
        let (temp, mut file) = self.create_temp(key)?;
        let result = (|| {
            file.write_all(&file_bytes)
                .map_err(io_err(IoOp::Write, &temp))?;
            file.sync_all().map_err(io_err(IoOp::SyncFile, &temp))?;
            drop(file);
            let path = self.record_path(key);
            fs::rename(&temp, &path).map_err(io_err(IoOp::Rename, &path))
        })();
        if result.is_err() {
            // Best effort; a leftover is removed at the next open anyway.
            let _ = fs::remove_file(&temp);
        }
        result?;
        self.sync_dir()
    }

    fn remove(&self, key: &RecordKey) -> Result<bool, StoreError> {
        self.writable()?;
        let path = self.record_path(key);
        match fs::remove_file(&path) {
            Ok(()) => {
                self.sync_dir()?;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err(IoOp::Remove, &path)(e)),
        }
    }

    fn keys(&self) -> Result<Vec<RecordKey>, StoreError> {
        let mut keys: Vec<RecordKey> = self
            .list()?
            .into_iter()
            .filter_map(|name| {
                let stem = name.strip_suffix(RECORD_SUFFIX)?;
                RecordKey::new(stem).ok()
            })
            .collect();
        keys.sort();
        Ok(keys)
    }
}

#[cfg(unix)]
fn private_options() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    options.mode(0o600);
    options
}

#[cfg(not(unix))]
fn private_options() -> OpenOptions {
    OpenOptions::new()
}

#[cfg(unix)]
fn create_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_err(IoOp::CreateDir, dir))?;
    // Make the new entry durable in its parent.
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => sync_dir(parent),
        _ => Ok(()),
    }
}

#[cfg(not(unix))]
fn create_dir(dir: &Path) -> Result<(), StoreError> {
    fs::create_dir_all(dir).map_err(io_err(IoOp::CreateDir, dir))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(IoOp::SyncDir, dir))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), StoreError> {
    // Directories cannot be opened as files here; renames are made durable by the platform.
    Ok(())
}

/// Checks that `meta` (of `path`) is owned by the effective user and private to it.
#[cfg(unix)]
fn check_private(path: &Path, meta: &fs::Metadata) -> Result<(), StoreError> {
    use std::os::unix::fs::MetadataExt;
    let current = rustix::process::geteuid().as_raw();
    if meta.uid() != current {
        return Err(StoreError::Permissions {
            path: path.to_owned(),
            problem: PermissionProblem::NotOwner {
                owner: meta.uid(),
                current,
            },
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(StoreError::Permissions {
            path: path.to_owned(),
            problem: PermissionProblem::TooOpen { mode },
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &fs::Metadata) -> Result<(), StoreError> {
    Ok(())
}

/// Opens (creating if needed) the lock file and takes an exclusive, non-blocking lock on it.
#[cfg(unix)]
fn lock_dir(dir: &Path) -> Result<File, StoreError> {
    use rustix::fs::{flock, FlockOperation};
    let path = dir.join(LOCK_NAME);
    let file = private_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_err(IoOp::Open, &path))?;
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(file),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Err(StoreError::Locked {
            path: dir.to_owned(),
        }),
        Err(e) => Err(io_err(IoOp::Lock, &path)(e.into())),
    }
}

#[cfg(not(unix))]
fn lock_dir(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(LOCK_NAME);
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_err(IoOp::Open, &path))
}

//! The crate's error type.
//!
//! No variant carries record contents: a [`StoreError`] can be logged without leaking a key.
//! Serde messages in [`StoreError::Encode`] and [`StoreError::Decode`] pass through
//! [`redact_serde_message`] first, which removes the data values serde quotes in its messages.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::key::{InvalidKey, RecordKey};

/// Everything that can go wrong in a store. Every read path returns one of these instead of
/// panicking or returning damaged data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An operating system call failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What the store was doing.
        op: IoOp,
        /// The file or directory involved.
        path: PathBuf,
        /// The error from the operating system.
        #[source]
        source: io::Error,
    },
    /// A record file failed its integrity check (torn write, bit rot, or not a record file).
    #[error("record {key} is corrupt: {reason}")]
    Corrupt {
        /// The record.
        key: RecordKey,
        /// What is wrong with it.
        reason: Corruption,
    },
    /// A record or document was written by a newer version of this software.
    #[error(
        "record {key} holds {what} version {found}, newer than the supported version {supported}"
    )]
    TooNew {
        /// The record.
        key: RecordKey,
        /// `"record envelope"` for the file format, otherwise the document's
        /// [`Document::KIND`](crate::Document::KIND).
        what: &'static str,
        /// The version found.
        found: u16,
        /// The newest version this build understands.
        supported: u16,
    },
    /// A record name is not valid.
    #[error("invalid record name: {0}")]
    InvalidKey(#[from] InvalidKey),
    /// A file or directory is accessible to other users, is not owned by this user, or is not
    /// what the store expects (a directory, a regular file).
    #[error("{}: {problem}", path.display())]
    Permissions {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong.
        problem: PermissionProblem,
    },
    /// Another [`FileStore`](crate::FileStore), in this or another process, has the directory
    /// open.
    #[error("store {} is in use by another process or handle", path.display())]
    Locked {
        /// The store's directory.
        path: PathBuf,
    },
    /// The store was opened read-only ([`FileStore::open_read_only`](crate::FileStore::open_read_only))
    /// and cannot save or remove.
    #[error("store {} is open read-only", path.display())]
    ReadOnly {
        /// The store's directory.
        path: PathBuf,
    },
    /// A record is larger than [`MAX_RECORD_LEN`](crate::MAX_RECORD_LEN).
    #[error("record {key} is {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// The record.
        key: RecordKey,
        /// Its length in bytes.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// A document could not be encoded.
    #[error("cannot encode {kind} document {key}: {message}")]
    Encode {
        /// The record.
        key: RecordKey,
        /// The document's kind.
        kind: &'static str,
        /// The encoder's message, redacted.
        message: String,
    },
    /// A record's bytes are intact but are not a valid document of the expected kind.
    #[error("cannot decode {kind} document {key}: {message}")]
    Decode {
        /// The record.
        key: RecordKey,
        /// The document's kind.
        kind: &'static str,
        /// The decoder's message, redacted.
        message: String,
    },
    /// A record holds a document of another kind than the one asked for.
    #[error("record {key} holds a {found:?} document, not {expected:?}")]
    WrongKind {
        /// The record.
        key: RecordKey,
        /// The kind asked for.
        expected: &'static str,
        /// The kind found (at most 64 characters of it).
        found: String,
    },
    /// A step of a document migration failed.
    #[error("cannot migrate {kind} document {key} from version {from}: {source}")]
    Migration {
        /// The record.
        key: RecordKey,
        /// The document's kind.
        kind: &'static str,
        /// The version the failing step started from.
        from: u16,
        /// What the migration reported.
        #[source]
        source: MigrationError,
    },
}

/// The operation during which an [`StoreError::Io`] happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoOp {
    /// Creating the store directory.
    CreateDir,
    /// Reading file or directory metadata.
    Metadata,
    /// Opening a file.
    Open,
    /// Reading a file.
    Read,
    /// Writing a file.
    Write,
    /// Flushing a file to stable storage.
    SyncFile,
    /// Flushing a directory's entries to stable storage.
    SyncDir,
    /// Renaming a temporary file over a record.
    Rename,
    /// Removing a file.
    Remove,
    /// Listing the directory.
    ReadDir,
    /// Taking the directory's lock.
    Lock,
}

impl fmt::Display for IoOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CreateDir => "creating directory",
            Self::Metadata => "reading metadata of",
            Self::Open => "opening",
            Self::Read => "reading",
            Self::Write => "writing",
            Self::SyncFile => "syncing file",
            Self::SyncDir => "syncing directory",
            Self::Rename => "renaming into",
            Self::Remove => "removing",
            Self::ReadDir => "listing",
            Self::Lock => "locking",
        })
    }
}

/// What is wrong with a record file that fails its integrity check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Corruption {
    /// The file is shorter than the header.
    #[error("{len} bytes is shorter than the record header")]
    Truncated {
        /// The file's length.
        len: u64,
    },
    /// The file does not start with the magic bytes `ORBS`.
    #[error("not an Orbit record (bad magic)")]
    BadMagic,
    /// The header's payload length disagrees with the file's length.
    #[error("header announces {announced} payload bytes but the file holds {actual}")]
    LengthMismatch {
        /// Payload length in the header.
        announced: u64,
        /// Payload bytes present.
        actual: u64,
    },
    /// The checksum over the record name, header and payload does not match.
    #[error("checksum mismatch (stored {stored:#010x}, computed {computed:#010x})")]
    Checksum {
        /// Checksum in the header.
        stored: u32,
        /// Checksum of the bytes read.
        computed: u32,
    },
    /// A reserved header field is not zero.
    #[error("reserved header field is {0:#06x}, not zero")]
    Reserved(u16),
}

/// Why the store refuses a file or directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PermissionProblem {
    /// Group or other users have some access (`mode & 0o077 != 0`). Fix with `chmod go-rwx`
    /// after checking nothing leaked.
    #[error("mode {mode:#o} gives access to other users; the store needs owner-only access")]
    TooOpen {
        /// The permission bits found.
        mode: u32,
    },
    /// Owned by another user.
    #[error("owned by uid {owner}, not by the current user {current}")]
    NotOwner {
        /// The owner's user ID.
        owner: u32,
        /// This process's effective user ID.
        current: u32,
    },
    /// Expected a directory.
    #[error("not a directory")]
    NotADirectory,
    /// Expected a regular file (symbolic links are refused).
    #[error("not a regular file")]
    NotAFile,
}

/// A document migration step failed; returned by [`Document::migrate`](crate::Document::migrate).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// The document has no migration from this version.
    #[error("no migration from version {from}")]
    UnknownVersion {
        /// The version that has no migration.
        from: u16,
    },
    /// A field the migration needs is missing.
    #[error("missing field {0:?}")]
    MissingField(String),
    /// The document is not shaped as the migration expects. Do not put field values in the
    /// message: it ends up in logs.
    #[error("{0}")]
    Invalid(String),
}

/// Removes the data values that serde quotes in its error messages, keeping the message's
/// shape: `invalid type: string "hunter2", expected u32` becomes
/// `invalid type: string "…", expected u32`, and the same for integers, floats, characters
/// and booleans between backticks. Field and variant names are kept.
pub fn redact_serde_message(message: &str) -> String {
    const VALUE_PREFIXES: [&str; 5] = [
        "integer ",
        "floating point ",
        "character ",
        "boolean ",
        "unknown variant ",
    ];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(['"', '`']) {
        let (before, from_quote) = rest.split_at(at);
        out.push_str(before);
        let quote = if from_quote.starts_with('"') {
            '"'
        } else {
            '`'
        };
        let after_open = &from_quote[1..];
        let close = if quote == '"' {
            find_closing_double_quote(after_open)
        } else {
            after_open.find('`')
        };
        let Some(close) = close else {
            // Unterminated: drop the remainder rather than risk printing data.
            out.push(quote);
            out.push('…');
            return out;
        };
        let inner = &after_open[..close];
        let redact = quote == '"' || VALUE_PREFIXES.iter().any(|p| out.ends_with(p));
        out.push(quote);
        out.push_str(if redact { "…" } else { inner });
        out.push(quote);
        rest = &after_open[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Index of the closing `"` of a Debug-quoted string, skipping backslash escapes.
fn find_closing_double_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_values_but_keeps_names() {
        assert_eq!(
            redact_serde_message(r#"invalid type: string "sk-12\"34", expected u32"#),
            r#"invalid type: string "…", expected u32"#
        );
        assert_eq!(
            redact_serde_message("invalid value: integer `123456`, expected a byte"),
            "invalid value: integer `…`, expected a byte"
        );
        assert_eq!(
            redact_serde_message("missing field `home_id`"),
            "missing field `home_id`"
        );
        assert_eq!(
            redact_serde_message("unknown variant `secret`, expected `A` or `B`"),
            "unknown variant `…`, expected `A` or `B`"
        );
        assert_eq!(redact_serde_message("dangling \"abc"), "dangling \"…");
        assert_eq!(redact_serde_message("no quotes"), "no quotes");
    }
}

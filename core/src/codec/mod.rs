//! Orbit's CBOR profile (`spec/v1/01-encoding.md`).
//!
//! Every Orbit message is a single CBOR data item in core deterministic encoding
//! (RFC 8949 §4.2.1) restricted to a small set of types `[CBOR-1]`..`[CBOR-9]`. [`scan`] walks
//! the borrowed bytes once, enforcing the profile and the hard limits before anything is
//! allocated. Most message types then build a [`Value`] in the same pass and read it with
//! [`MapReader`], and encode by building a [`Value`] with [`MapBuilder`], which orders keys so
//! the output is deterministic by construction.
//!
//! The interaction model's messages, sent and received on every request, skip the tree: they
//! decode with a [`Reader`] that pulls items from the checked bytes (borrowing strings) and
//! encode with the `write_*` functions straight into the caller's buffer.

mod error;
mod map;
mod read;
mod scan;
mod write;

pub use ciborium::value::Value;
pub use error::CodecError;
pub use map::{value_array, value_bytes, value_uint, MapBuilder, MapReader};
pub use read::{ItemKind, MapFields, Reader};
pub use scan::{scan, Limits};
use write::head;
pub use write::{
    write_array, write_bool, write_bytes, write_int, write_map, write_null, write_text, write_uint,
};

/// A message type with a CBOR encoding in Orbit's profile.
pub trait CborMessage: Sized {
    /// Converts the message into a CBOR value (maps built with [`MapBuilder`]).
    fn to_value(&self) -> Value;

    /// Reads the message from a decoded value.
    fn from_value(value: Value) -> Result<Self, CodecError>;

    /// The limits used when decoding this message type.
    fn limits() -> Limits {
        Limits::DEFAULT
    }

    /// Appends the deterministic encoding to `out` (a caller-owned buffer).
    fn encode_into(&self, out: &mut Vec<u8>) {
        encode_value(&self.to_value(), out);
    }

    /// The deterministic encoding as a new vector.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// Decodes exactly one message from `bytes`, which must hold nothing else.
    fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        Self::from_value(decode_value(bytes, &Self::limits())?)
    }
}

/// Appends the encoding of `value` to `out`.
///
/// The encoding is deterministic when every map in `value` was built by [`MapBuilder`] (or
/// has keys in the profile's order), which every message type in this crate guarantees.
pub fn encode_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Integer(i) => {
            let i = i128::from(*i);
            match u64::try_from(i) {
                Ok(u) => head(out, 0, u),
                // Major type 1 holds -1 - n; ciborium's integers stay within -2^64.
                Err(_) => head(out, 1, u64::try_from(-1 - i).unwrap_or(u64::MAX)),
            }
        }
        Value::Bytes(b) => {
            head(out, 2, b.len() as u64);
            out.extend_from_slice(b);
        }
        Value::Text(t) => {
            head(out, 3, t.len() as u64);
            out.extend_from_slice(t.as_bytes());
        }
        Value::Array(items) => {
            head(out, 4, items.len() as u64);
            for item in items {
                encode_value(item, out);
            }
        }
        Value::Map(entries) => {
            head(out, 5, entries.len() as u64);
            for (k, v) in entries {
                encode_value(k, out);
                encode_value(v, out);
            }
        }
        Value::Bool(false) => out.push(0xf4),
        Value::Bool(true) => out.push(0xf5),
        Value::Null => out.push(0xf6),
        // Outside the profile (floats, tags): never built by this crate; ciborium writes them
        // so that whatever a caller built still has an encoding (which a receiver rejects).
        other => {
            if ciborium::ser::into_writer(other, &mut *out).is_err() {
                out.clear();
            }
        }
    }
}

/// Validates `bytes` against the profile and `limits`, then decodes the single item they hold.
pub fn decode_value(bytes: &[u8], limits: &Limits) -> Result<Value, CodecError> {
    // One pass both enforces the profile and builds the value: the scanner already reads
    // every head, so a second decode by ciborium would only repeat its work.
    scan::scan_value(bytes, limits)
}

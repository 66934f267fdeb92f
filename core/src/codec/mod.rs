//! Orbit's CBOR profile (`spec/v1/01-encoding.md`).
//!
//! Every Orbit message is a single CBOR data item in core deterministic encoding
//! (RFC 8949 §4.2.1) restricted to a small set of types `[CBOR-1]`..`[CBOR-9]`. Decoding is two
//! steps: [`scan`] walks the borrowed bytes once, enforcing the profile and the hard limits
//! before anything is allocated; then `ciborium` (through serde) builds a [`Value`], which
//! message types read with [`MapReader`]. Encoding builds a [`Value`] with [`MapBuilder`], which
//! orders keys so the output is deterministic by construction.

mod error;
mod map;
mod scan;

pub use ciborium::value::Value;
pub use error::CodecError;
pub use map::{value_array, value_bytes, value_uint, MapBuilder, MapReader};
pub use scan::{scan, Limits};

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
    // Writing into a Vec cannot fail, and every Value variant has an encoding; the error arm
    // exists only because ciborium's signature is generic over writers.
    if ciborium::ser::into_writer(value, &mut *out).is_err() {
        out.clear();
    }
}

/// Validates `bytes` against the profile and `limits`, then decodes the single item they hold.
pub fn decode_value(bytes: &[u8], limits: &Limits) -> Result<Value, CodecError> {
    // One pass both enforces the profile and builds the value: the scanner already reads
    // every head, so a second decode by ciborium would only repeat its work.
    scan::scan_value(bytes, limits)
}

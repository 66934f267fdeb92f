use crate::status::Status;
use thiserror::Error;

/// Why a CBOR item was rejected. Each variant names the rule it enforces.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CodecError {
    /// `[CBOR-10]` the message is larger than the limit.
    #[error("message of {len} bytes exceeds the limit of {max} bytes")]
    MessageTooLarge {
        /// Actual length.
        len: usize,
        /// Allowed length.
        max: usize,
    },
    /// The input ended in the middle of an item.
    #[error("input truncated at byte {offset}")]
    Truncated {
        /// Offset where more bytes were needed.
        offset: usize,
    },
    /// `[CBOR-2]` bytes followed the single top-level item.
    #[error("{count} trailing bytes after the message")]
    TrailingBytes {
        /// How many bytes followed.
        count: usize,
    },
    /// `[CBOR-3]` an integer, length or simple value was not in its shortest form, or used a
    /// reserved additional-information value.
    #[error("non-deterministic or reserved encoding at byte {offset}")]
    NonCanonical {
        /// Offset of the offending head.
        offset: usize,
    },
    /// `[CBOR-4]` an indefinite-length item.
    #[error("indefinite-length item at byte {offset}")]
    IndefiniteLength {
        /// Offset of the offending head.
        offset: usize,
    },
    /// `[CBOR-5]` a type outside Orbit's profile (tags, floats, undefined, other simples).
    #[error("CBOR type not allowed in Orbit messages at byte {offset}")]
    UnsupportedType {
        /// Offset of the offending head.
        offset: usize,
    },
    /// `[CBOR-6]` a text string that is not valid UTF-8.
    #[error("invalid UTF-8 in text string at byte {offset}")]
    InvalidUtf8 {
        /// Offset of the string's head.
        offset: usize,
    },
    /// `[CBOR-7]` map keys not in strictly ascending bytewise order (covers duplicates).
    #[error("map key at byte {offset} is duplicated or out of order")]
    MapKeyOrder {
        /// Offset of the offending key.
        offset: usize,
    },
    /// `[CBOR-10]` nesting deeper than allowed.
    #[error("nesting deeper than {max} levels")]
    TooDeep {
        /// Allowed depth.
        max: usize,
    },
    /// `[CBOR-10]` a collection has more entries than allowed.
    #[error("collection of {len} entries exceeds the limit of {max}")]
    CollectionTooLong {
        /// Declared length.
        len: u64,
        /// Allowed length.
        max: usize,
    },
    /// `[CBOR-10]` a byte or text string is longer than allowed.
    #[error("string of {len} bytes exceeds the limit of {max}")]
    StringTooLong {
        /// Declared length.
        len: u64,
        /// Allowed length.
        max: usize,
    },
    /// `[CBOR-10]` more data items in total than allowed.
    #[error("more than {max} data items in one message")]
    TooManyItems {
        /// Allowed count.
        max: usize,
    },
    /// A required map key is missing.
    #[error("required field {key} is missing")]
    MissingField {
        /// The numeric key.
        key: u64,
    },
    /// A field has the wrong CBOR type or the wrong size.
    #[error("field {key} has the wrong type or size: expected {expected}")]
    WrongType {
        /// The numeric key (or position in an array).
        key: u64,
        /// What the field should be.
        expected: &'static str,
    },
    /// A field's value is outside its allowed range.
    #[error("field {key} is out of range")]
    OutOfRange {
        /// The numeric key.
        key: u64,
    },
    /// The top-level item is not the expected kind (map or array).
    #[error("expected a {expected} at the top level")]
    WrongShape {
        /// What was expected.
        expected: &'static str,
    },
    /// A data-model value ([`crate::model::Data`]) that the data model cannot hold.
    #[error("invalid data value: {0}")]
    Invalid(&'static str),
}

impl CodecError {
    /// The wire status this error is reported as.
    pub fn status(&self) -> Status {
        match self {
            CodecError::MessageTooLarge { .. }
            | CodecError::TooDeep { .. }
            | CodecError::CollectionTooLong { .. }
            | CodecError::StringTooLong { .. }
            | CodecError::TooManyItems { .. } => Status::RESOURCE_EXHAUSTED,
            _ => Status::INVALID_MESSAGE,
        }
    }
}

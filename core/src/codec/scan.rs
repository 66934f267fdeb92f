use super::CodecError;
use ciborium::value::{Integer, Value};

/// Hard limits applied while scanning a message `[CBOR-10]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message in bytes.
    pub max_message: usize,
    /// Greatest depth of any data item, leaves and map keys included: the top-level item is
    /// depth 0, the elements, keys and values of a collection at depth `d` are at `d + 1`
    /// `[LIMIT-1]`.
    pub max_depth: usize,
    /// Most entries in one array or map.
    pub max_collection: usize,
    /// Longest byte or text string.
    pub max_string: usize,
    /// Most data items in the whole message.
    pub max_items: usize,
}

impl Limits {
    /// The defaults from `spec/v1/10-limits.md` `[LIMIT-1]`.
    pub const DEFAULT: Limits = Limits {
        max_message: 4096,
        max_depth: 8,
        max_collection: 64,
        max_string: 2048,
        max_items: 512,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

// CBOR major types (RFC 8949 §3.1), shared with the reader.
pub(super) const MAJOR_UINT: u8 = 0;
pub(super) const MAJOR_NINT: u8 = 1;
pub(super) const MAJOR_BYTES: u8 = 2;
pub(super) const MAJOR_TEXT: u8 = 3;
pub(super) const MAJOR_ARRAY: u8 = 4;
pub(super) const MAJOR_MAP: u8 = 5;
const MAJOR_TAG: u8 = 6;
pub(super) const MAJOR_SIMPLE: u8 = 7;

const SIMPLE_FALSE: u64 = 20;
const SIMPLE_NULL: u64 = 22;

/// Checks that `bytes` hold exactly one data item in Orbit's CBOR profile within `limits`,
/// without allocating.
///
/// Enforces `[CBOR-2]` (no trailing bytes), `[CBOR-3]` (shortest-form heads),
/// `[CBOR-4]` (definite lengths), `[CBOR-5]` (allowed types), `[CBOR-6]` (UTF-8 text),
/// `[CBOR-7]` (map keys strictly ascending by encoding) and `[CBOR-10]` (limits).
pub fn scan(bytes: &[u8], limits: &Limits) -> Result<(), CodecError> {
    walk::<Check>(bytes, limits)
}

/// Checks `bytes` exactly as [`scan`] does and, in the same pass, builds the value they hold.
pub(crate) fn scan_value(bytes: &[u8], limits: &Limits) -> Result<Value, CodecError> {
    walk::<Build>(bytes, limits)
}

/// What the scanner makes of each item it has checked: nothing ([`Check`]) or a [`Value`]
/// ([`Build`]).
trait Sink {
    type Out;
    fn uint(v: u64) -> Self::Out;
    fn nint(v: u64) -> Self::Out;
    fn bytes(b: &[u8]) -> Self::Out;
    fn text(t: &str) -> Self::Out;
    fn simple(v: u64) -> Self::Out;
    fn array(items: Vec<Self::Out>) -> Self::Out;
    fn map(entries: Vec<(Self::Out, Self::Out)>) -> Self::Out;
}

/// Checks only; nothing is allocated (vectors of `()` never allocate).
struct Check;

impl Sink for Check {
    type Out = ();
    fn uint(_: u64) {}
    fn nint(_: u64) {}
    fn bytes(_: &[u8]) {}
    fn text(_: &str) {}
    fn simple(_: u64) {}
    fn array(_: Vec<()>) {}
    fn map(_: Vec<((), ())>) {}
}

/// Builds the value as ciborium would decode it.
struct Build;

impl Sink for Build {
    type Out = Value;
    fn uint(v: u64) -> Value {
        Value::Integer(v.into())
    }
    fn nint(v: u64) -> Value {
        // CBOR major type 1 holds -1 - v, which always fits ciborium's integer range.
        Value::Integer(Integer::try_from(-1 - i128::from(v)).unwrap_or_else(|_| Integer::from(0u8)))
    }
    fn bytes(b: &[u8]) -> Value {
        Value::Bytes(b.to_vec())
    }
    fn text(t: &str) -> Value {
        Value::Text(t.to_owned())
    }
    fn simple(v: u64) -> Value {
        match v {
            SIMPLE_NULL => Value::Null,
            SIMPLE_FALSE => Value::Bool(false),
            _ => Value::Bool(true),
        }
    }
    fn array(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
    fn map(entries: Vec<(Value, Value)>) -> Value {
        Value::Map(entries)
    }
}

fn walk<S: Sink>(bytes: &[u8], limits: &Limits) -> Result<S::Out, CodecError> {
    if bytes.len() > limits.max_message {
        return Err(CodecError::MessageTooLarge {
            len: bytes.len(),
            max: limits.max_message,
        });
    }
    let mut s = Scanner {
        bytes,
        pos: 0,
        items: 0,
        limits,
    };
    let out = s.item::<S>(0)?;
    if s.pos != bytes.len() {
        return Err(CodecError::TrailingBytes {
            count: bytes.len() - s.pos,
        });
    }
    Ok(out)
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    items: usize,
    limits: &'a Limits,
}

struct Head {
    major: u8,
    arg: u64,
    offset: usize,
}

impl<'a> Scanner<'a> {
    fn byte(&mut self) -> Result<u8, CodecError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or(CodecError::Truncated { offset: self.pos })?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], CodecError> {
        let start = self.pos;
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| start.checked_add(n))
            .filter(|&end| end <= self.bytes.len())
            .ok_or(CodecError::Truncated { offset: start })?;
        self.pos = end;
        self.bytes
            .get(start..end)
            .ok_or(CodecError::Truncated { offset: start })
    }

    fn head(&mut self) -> Result<Head, CodecError> {
        let offset = self.pos;
        let initial = self.byte()?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        let (arg, min) = match info {
            0..=23 => (u64::from(info), 0),
            24 => (u64::from(self.byte()?), 24),
            25 => (be(self.take(2)?), 0x100),
            26 => (be(self.take(4)?), 0x1_0000),
            27 => (be(self.take(8)?), 0x1_0000_0000),
            31 => return Err(CodecError::IndefiniteLength { offset }),
            _ => return Err(CodecError::NonCanonical { offset }),
        };
        if major == MAJOR_SIMPLE {
            // Floats (info 25..27) and one-byte simple values are outside the profile; only
            // false, true and null (20..22 in the initial byte) are allowed.
            if info > 23 || !(SIMPLE_FALSE..=SIMPLE_NULL).contains(&arg) {
                return Err(CodecError::UnsupportedType { offset });
            }
        } else if arg < min {
            return Err(CodecError::NonCanonical { offset });
        }
        Ok(Head { major, arg, offset })
    }

    fn count_item(&mut self) -> Result<(), CodecError> {
        self.items += 1;
        if self.items > self.limits.max_items {
            return Err(CodecError::TooManyItems {
                max: self.limits.max_items,
            });
        }
        Ok(())
    }

    fn collection_len(&self, len: u64) -> Result<u64, CodecError> {
        if len > self.limits.max_collection as u64 {
            return Err(CodecError::CollectionTooLong {
                len,
                max: self.limits.max_collection,
            });
        }
        Ok(len)
    }

    fn item<S: Sink>(&mut self, depth: usize) -> Result<S::Out, CodecError> {
        // Every item counts, scalars included: an empty collection at the limit is fine, its
        // first element would not be [LIMIT-1].
        if depth > self.limits.max_depth {
            return Err(CodecError::TooDeep {
                max: self.limits.max_depth,
            });
        }
        self.count_item()?;
        let head = self.head()?;
        match head.major {
            MAJOR_UINT => Ok(S::uint(head.arg)),
            MAJOR_NINT => Ok(S::nint(head.arg)),
            MAJOR_SIMPLE => Ok(S::simple(head.arg)),
            MAJOR_BYTES | MAJOR_TEXT => {
                if head.arg > self.limits.max_string as u64 {
                    return Err(CodecError::StringTooLong {
                        len: head.arg,
                        max: self.limits.max_string,
                    });
                }
                let body = self.take(head.arg)?;
                if head.major == MAJOR_TEXT {
                    let text = std::str::from_utf8(body).map_err(|_| CodecError::InvalidUtf8 {
                        offset: head.offset,
                    })?;
                    Ok(S::text(text))
                } else {
                    Ok(S::bytes(body))
                }
            }
            MAJOR_ARRAY => {
                let len = self.collection_len(head.arg)?;
                // The length is within the collection limit, so reserving it is bounded.
                let mut items = Vec::with_capacity(len as usize);
                for _ in 0..len {
                    items.push(self.item::<S>(depth + 1)?);
                }
                Ok(S::array(items))
            }
            MAJOR_MAP => {
                let len = self.collection_len(head.arg)?;
                let mut entries = Vec::with_capacity(len as usize);
                let mut previous: Option<&'a [u8]> = None;
                for _ in 0..len {
                    let key_start = self.pos;
                    let key_value = self.item::<S>(depth + 1)?;
                    let key = self
                        .bytes
                        .get(key_start..self.pos)
                        .ok_or(CodecError::Truncated { offset: key_start })?;
                    // Deterministic order is bytewise lexicographic order of the encoded keys;
                    // requiring strict increase also rejects duplicates.
                    if previous.is_some_and(|p| p >= key) {
                        return Err(CodecError::MapKeyOrder { offset: key_start });
                    }
                    previous = Some(key);
                    entries.push((key_value, self.item::<S>(depth + 1)?));
                }
                Ok(S::map(entries))
            }
            // Tags are outside the profile [CBOR-5].
            MAJOR_TAG => Err(CodecError::UnsupportedType {
                offset: head.offset,
            }),
            _ => Err(CodecError::UnsupportedType {
                offset: head.offset,
            }),
        }
    }
}

fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

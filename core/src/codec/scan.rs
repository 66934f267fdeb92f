use super::CodecError;

/// Hard limits applied while scanning a message `[CBOR-10]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message in bytes.
    pub max_message: usize,
    /// Deepest nesting of arrays and maps (the top-level item is depth 0).
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

const MAJOR_UINT: u8 = 0;
const MAJOR_NINT: u8 = 1;
const MAJOR_BYTES: u8 = 2;
const MAJOR_TEXT: u8 = 3;
const MAJOR_ARRAY: u8 = 4;
const MAJOR_MAP: u8 = 5;
const MAJOR_TAG: u8 = 6;
const MAJOR_SIMPLE: u8 = 7;

const SIMPLE_FALSE: u64 = 20;
const SIMPLE_NULL: u64 = 22;

/// Checks that `bytes` hold exactly one data item in Orbit's CBOR profile within `limits`,
/// without allocating.
///
/// Enforces `[CBOR-2]` (no trailing bytes), `[CBOR-3]` (shortest-form heads),
/// `[CBOR-4]` (definite lengths), `[CBOR-5]` (allowed types), `[CBOR-6]` (UTF-8 text),
/// `[CBOR-7]` (map keys strictly ascending by encoding) and `[CBOR-10]` (limits).
pub fn scan(bytes: &[u8], limits: &Limits) -> Result<(), CodecError> {
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
    s.item(0)?;
    if s.pos != bytes.len() {
        return Err(CodecError::TrailingBytes {
            count: bytes.len() - s.pos,
        });
    }
    Ok(())
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

    fn item(&mut self, depth: usize) -> Result<(), CodecError> {
        if depth > self.limits.max_depth {
            return Err(CodecError::TooDeep {
                max: self.limits.max_depth,
            });
        }
        self.count_item()?;
        let head = self.head()?;
        match head.major {
            MAJOR_UINT | MAJOR_NINT | MAJOR_SIMPLE => Ok(()),
            MAJOR_BYTES | MAJOR_TEXT => {
                if head.arg > self.limits.max_string as u64 {
                    return Err(CodecError::StringTooLong {
                        len: head.arg,
                        max: self.limits.max_string,
                    });
                }
                let body = self.take(head.arg)?;
                if head.major == MAJOR_TEXT && std::str::from_utf8(body).is_err() {
                    return Err(CodecError::InvalidUtf8 {
                        offset: head.offset,
                    });
                }
                Ok(())
            }
            MAJOR_ARRAY => {
                for _ in 0..self.collection_len(head.arg)? {
                    self.item(depth + 1)?;
                }
                Ok(())
            }
            MAJOR_MAP => {
                let mut previous: Option<&'a [u8]> = None;
                for _ in 0..self.collection_len(head.arg)? {
                    let key_start = self.pos;
                    self.item(depth + 1)?;
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
                    self.item(depth + 1)?;
                }
                Ok(())
            }
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

//! Pulling typed items out of a message's bytes without building a [`super::Value`] tree.
//!
//! [`Reader::new`] first runs the profile check ([`super::scan`]) over the whole message, so
//! every rule of the profile and every limit is enforced exactly as for tree-built messages;
//! the reader then only has to ask "is the next item of the type this field needs". Strings
//! are borrowed from the input. The reader stays total on its own (bounds are checked, depth
//! is bounded by the limits the check enforced), so it never panics whatever it is given.

use super::scan::{
    MAJOR_ARRAY, MAJOR_BYTES, MAJOR_MAP, MAJOR_NINT, MAJOR_SIMPLE, MAJOR_TEXT, MAJOR_UINT,
};
use super::{scan, CodecError, Limits};

/// The kind of the next item, for decoders that accept several ([`crate::model::Data`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// Major type 0.
    Uint,
    /// Major type 1.
    Nint,
    /// A byte string.
    Bytes,
    /// A text string.
    Text,
    /// An array.
    Array,
    /// A map.
    Map,
    /// `false`, `true` or `null`.
    Simple,
    /// Anything else (already refused by the profile check).
    Other,
}

/// A cursor over one checked message.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Checks `bytes` against the profile and `limits` (as [`scan`] does) and opens them.
    pub fn new(bytes: &'a [u8], limits: &Limits) -> Result<Self, CodecError> {
        scan(bytes, limits)?;
        Ok(Reader { bytes, pos: 0 })
    }

    /// Whether every byte has been read.
    pub fn is_done(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn byte_at(&self, at: usize) -> Result<u8, CodecError> {
        self.bytes
            .get(at)
            .copied()
            .ok_or(CodecError::Truncated { offset: at })
    }

    /// The next item's kind, without reading it.
    pub fn peek(&self) -> Result<ItemKind, CodecError> {
        Ok(match self.byte_at(self.pos)? >> 5 {
            MAJOR_UINT => ItemKind::Uint,
            MAJOR_NINT => ItemKind::Nint,
            MAJOR_BYTES => ItemKind::Bytes,
            MAJOR_TEXT => ItemKind::Text,
            MAJOR_ARRAY => ItemKind::Array,
            MAJOR_MAP => ItemKind::Map,
            MAJOR_SIMPLE => ItemKind::Simple,
            _ => ItemKind::Other,
        })
    }

    /// Reads a head: its major type and argument (the check already proved it canonical).
    fn head(&mut self) -> Result<(u8, u64), CodecError> {
        let initial = self.byte_at(self.pos)?;
        let info = initial & 0x1f;
        let len = match info {
            0..=23 => 0,
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            _ => return Err(CodecError::NonCanonical { offset: self.pos }),
        };
        let arg = if len == 0 {
            u64::from(info)
        } else {
            let body = self
                .bytes
                .get(self.pos + 1..self.pos + 1 + len)
                .ok_or(CodecError::Truncated { offset: self.pos })?;
            body.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
        };
        self.pos += 1 + len;
        Ok((initial >> 5, arg))
    }

    /// The `n` bytes of a string body.
    fn body(&mut self, n: u64) -> Result<&'a [u8], CodecError> {
        let start = self.pos;
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| start.checked_add(n))
            .ok_or(CodecError::Truncated { offset: start })?;
        let body = self
            .bytes
            .get(start..end)
            .ok_or(CodecError::Truncated { offset: start })?;
        self.pos = end;
        Ok(body)
    }

    /// An unsigned integer (`key` names the field in errors). A negative integer is out of
    /// range rather than of the wrong type, as for tree-built messages.
    pub fn uint(&mut self, key: u64) -> Result<u64, CodecError> {
        match self.head()? {
            (MAJOR_UINT, v) => Ok(v),
            (MAJOR_NINT, _) => Err(CodecError::OutOfRange { key }),
            _ => Err(CodecError::WrongType {
                key,
                expected: "unsigned integer",
            }),
        }
    }

    /// An unsigned integer that must fit `T`.
    pub fn uint_as<T: TryFrom<u64>>(&mut self, key: u64) -> Result<T, CodecError> {
        T::try_from(self.uint(key)?).map_err(|_| CodecError::OutOfRange { key })
    }

    /// A negative integer's CBOR argument `n` (the value is `-1 - n`).
    pub fn nint_arg(&mut self, key: u64) -> Result<u64, CodecError> {
        match self.head()? {
            (MAJOR_NINT, n) => Ok(n),
            _ => Err(CodecError::WrongType {
                key,
                expected: "negative integer",
            }),
        }
    }

    /// A byte string, borrowed.
    pub fn bytes(&mut self, key: u64) -> Result<&'a [u8], CodecError> {
        match self.head()? {
            (MAJOR_BYTES, n) => self.body(n),
            _ => Err(CodecError::WrongType {
                key,
                expected: "byte string",
            }),
        }
    }

    /// A text string, borrowed.
    pub fn text(&mut self, key: u64) -> Result<&'a str, CodecError> {
        let offset = self.pos;
        match self.head()? {
            (MAJOR_TEXT, n) => {
                std::str::from_utf8(self.body(n)?).map_err(|_| CodecError::InvalidUtf8 { offset })
            }
            _ => Err(CodecError::WrongType {
                key,
                expected: "text string",
            }),
        }
    }

    /// `true` or `false`.
    pub fn boolean(&mut self, key: u64) -> Result<bool, CodecError> {
        match self.head()? {
            (MAJOR_SIMPLE, 20) => Ok(false),
            (MAJOR_SIMPLE, 21) => Ok(true),
            _ => Err(CodecError::WrongType {
                key,
                expected: "boolean",
            }),
        }
    }

    /// `null`, `false` or `true` as `None` or the boolean.
    pub fn simple(&mut self, key: u64) -> Result<Option<bool>, CodecError> {
        match self.head()? {
            (MAJOR_SIMPLE, 20) => Ok(Some(false)),
            (MAJOR_SIMPLE, 21) => Ok(Some(true)),
            (MAJOR_SIMPLE, 22) => Ok(None),
            _ => Err(CodecError::WrongType {
                key,
                expected: "boolean or null",
            }),
        }
    }

    /// An array's length; its items follow.
    pub fn array(&mut self, key: u64) -> Result<usize, CodecError> {
        match self.head()? {
            (MAJOR_ARRAY, n) => usize::try_from(n).map_err(|_| CodecError::OutOfRange { key }),
            _ => Err(CodecError::WrongType {
                key,
                expected: "array",
            }),
        }
    }

    /// A map whose keys are unsigned integers, read entry by entry.
    pub fn map(&mut self) -> Result<MapFields<'_, 'a>, CodecError> {
        match self.head()? {
            (MAJOR_MAP, n) => Ok(MapFields {
                left: usize::try_from(n).map_err(|_| CodecError::WrongShape { expected: "map" })?,
                reader: self,
            }),
            _ => Err(CodecError::WrongShape { expected: "map" }),
        }
    }

    /// A map's entry count, for decoders that read keys of their own kind.
    pub fn map_len(&mut self, key: u64) -> Result<usize, CodecError> {
        match self.head()? {
            (MAJOR_MAP, n) => usize::try_from(n).map_err(|_| CodecError::OutOfRange { key }),
            _ => Err(CodecError::WrongType {
                key,
                expected: "map",
            }),
        }
    }

    /// Skips one item, whatever it holds (a field this version does not know `[CBOR-8]`).
    pub fn skip(&mut self) -> Result<(), CodecError> {
        // Iterative, so the depth of what is skipped costs no stack: `pending` counts the
        // items still to skip.
        let mut pending: u64 = 1;
        while pending > 0 {
            pending -= 1;
            match self.head()? {
                (MAJOR_BYTES | MAJOR_TEXT, n) => {
                    self.body(n)?;
                }
                (MAJOR_ARRAY, n) => pending = pending.saturating_add(n),
                (MAJOR_MAP, n) => pending = pending.saturating_add(n.saturating_mul(2)),
                _ => {}
            }
        }
        Ok(())
    }
}

/// The entries of a map with unsigned integer keys, in the ascending order the profile
/// guarantees `[CBOR-7]`. Read each key with [`MapFields::next_key`], then its value from
/// [`MapFields::reader`] (or [`Reader::skip`] it).
#[derive(Debug)]
pub struct MapFields<'r, 'a> {
    reader: &'r mut Reader<'a>,
    left: usize,
}

impl<'a> MapFields<'_, 'a> {
    /// The next entry's key, or `None` after the last entry. A key that is not an unsigned
    /// integer is an error, as for tree-built messages.
    pub fn next_key(&mut self) -> Result<Option<u64>, CodecError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        match self.reader.head()? {
            (MAJOR_UINT, k) => Ok(Some(k)),
            (major, n) => {
                // Step over the rest of the key so the reader stays consistent.
                if major == MAJOR_BYTES || major == MAJOR_TEXT {
                    self.reader.body(n)?;
                }
                Err(CodecError::WrongShape {
                    expected: "map with unsigned integer keys",
                })
            }
        }
    }

    /// The reader, positioned at the value of the key just read.
    pub fn reader(&mut self) -> &mut Reader<'a> {
        self.reader
    }

    /// Skips the value of the key just read.
    pub fn skip_value(&mut self) -> Result<(), CodecError> {
        self.reader.skip()
    }
}

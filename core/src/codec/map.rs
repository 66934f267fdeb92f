use super::{CodecError, Value};

/// Builds a CBOR map with unsigned integer keys in deterministic order `[CBOR-7]`.
///
/// For unsigned integers in shortest form, ascending numeric order is also ascending bytewise
/// order of the encodings, so sorting by key number gives the deterministic encoding.
#[derive(Debug, Default)]
pub struct MapBuilder {
    entries: Vec<(u64, Value)>,
}

impl MapBuilder {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key => value`.
    pub fn put(mut self, key: u64, value: impl Into<Value>) -> Self {
        self.entries.push((key, value.into()));
        self
    }

    /// Adds `key => bytes` as a byte string.
    pub fn bytes(self, key: u64, bytes: &[u8]) -> Self {
        self.put(key, Value::Bytes(bytes.to_vec()))
    }

    /// Adds `key => value` only when `value` is present.
    pub fn opt(self, key: u64, value: Option<impl Into<Value>>) -> Self {
        match value {
            Some(v) => self.put(key, v),
            None => self,
        }
    }

    /// The finished map value.
    pub fn build(mut self) -> Value {
        self.entries.sort_by_key(|(k, _)| *k);
        self.entries.dedup_by_key(|(k, _)| *k);
        Value::Map(
            self.entries
                .into_iter()
                .map(|(k, v)| (Value::Integer(k.into()), v))
                .collect(),
        )
    }
}

/// Reads fields out of a decoded CBOR map with unsigned integer keys.
///
/// Keys this version does not know are ignored, so a newer peer may add fields `[CBOR-8]`.
#[derive(Debug)]
pub struct MapReader {
    entries: Vec<(u64, Value)>,
}

impl MapReader {
    /// Opens `value`, which must be a map whose keys are all unsigned integers.
    pub fn new(value: Value) -> Result<Self, CodecError> {
        let Value::Map(pairs) = value else {
            return Err(CodecError::WrongShape { expected: "map" });
        };
        let mut entries = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            let key = match k {
                Value::Integer(i) => u64::try_from(i).map_err(|_| CodecError::WrongShape {
                    expected: "map with unsigned integer keys",
                })?,
                _ => {
                    return Err(CodecError::WrongShape {
                        expected: "map with unsigned integer keys",
                    })
                }
            };
            entries.push((key, v));
        }
        Ok(Self { entries })
    }

    /// Removes and returns the value at `key`, if any.
    pub fn take(&mut self, key: u64) -> Option<Value> {
        let idx = self.entries.iter().position(|(k, _)| *k == key)?;
        Some(self.entries.swap_remove(idx).1)
    }

    /// The value at `key`, which must be present.
    pub fn required(&mut self, key: u64) -> Result<Value, CodecError> {
        self.take(key).ok_or(CodecError::MissingField { key })
    }

    /// A required unsigned integer.
    pub fn uint(&mut self, key: u64) -> Result<u64, CodecError> {
        value_uint(self.required(key)?, key)
    }

    /// An optional unsigned integer.
    pub fn opt_uint(&mut self, key: u64) -> Result<Option<u64>, CodecError> {
        self.take(key).map(|v| value_uint(v, key)).transpose()
    }

    /// A required unsigned integer that must fit `T`.
    pub fn uint_as<T: TryFrom<u64>>(&mut self, key: u64) -> Result<T, CodecError> {
        T::try_from(self.uint(key)?).map_err(|_| CodecError::OutOfRange { key })
    }

    /// A required byte string.
    pub fn bytes(&mut self, key: u64) -> Result<Vec<u8>, CodecError> {
        value_bytes(self.required(key)?, key)
    }

    /// An optional byte string.
    pub fn opt_bytes(&mut self, key: u64) -> Result<Option<Vec<u8>>, CodecError> {
        self.take(key).map(|v| value_bytes(v, key)).transpose()
    }

    /// A required byte string of exactly `N` bytes.
    pub fn array<const N: usize>(&mut self, key: u64) -> Result<[u8; N], CodecError> {
        value_array(self.required(key)?, key)
    }

    /// An optional byte string of exactly `N` bytes.
    pub fn opt_array<const N: usize>(&mut self, key: u64) -> Result<Option<[u8; N]>, CodecError> {
        self.take(key).map(|v| value_array(v, key)).transpose()
    }

    /// A required text string.
    pub fn text(&mut self, key: u64) -> Result<String, CodecError> {
        match self.required(key)? {
            Value::Text(t) => Ok(t),
            _ => Err(CodecError::WrongType {
                key,
                expected: "text string",
            }),
        }
    }

    /// A required boolean.
    pub fn boolean(&mut self, key: u64) -> Result<bool, CodecError> {
        match self.required(key)? {
            Value::Bool(b) => Ok(b),
            _ => Err(CodecError::WrongType {
                key,
                expected: "boolean",
            }),
        }
    }

    /// A required array whose elements `f` reads (an empty list is an empty array, never an
    /// absent key, `[CBOR-11]`).
    pub fn list_of<T>(
        &mut self,
        key: u64,
        f: impl Fn(Value) -> Result<T, CodecError>,
    ) -> Result<Vec<T>, CodecError> {
        match self.take(key) {
            // [CBOR-11] a required list is never left out, even when empty.
            None => Err(CodecError::MissingField { key }),
            Some(Value::Array(a)) => a.into_iter().map(f).collect(),
            Some(_) => Err(CodecError::WrongType {
                key,
                expected: "array",
            }),
        }
    }

    /// A required array.
    pub fn list(&mut self, key: u64) -> Result<Vec<Value>, CodecError> {
        match self.required(key)? {
            Value::Array(a) => Ok(a),
            _ => Err(CodecError::WrongType {
                key,
                expected: "array",
            }),
        }
    }
}

/// Reads an unsigned integer out of `v` (`key` names the field in errors).
pub fn value_uint(v: Value, key: u64) -> Result<u64, CodecError> {
    match v {
        Value::Integer(i) => u64::try_from(i).map_err(|_| CodecError::OutOfRange { key }),
        _ => Err(CodecError::WrongType {
            key,
            expected: "unsigned integer",
        }),
    }
}

/// Reads a byte string out of `v`.
pub fn value_bytes(v: Value, key: u64) -> Result<Vec<u8>, CodecError> {
    match v {
        Value::Bytes(b) => Ok(b),
        _ => Err(CodecError::WrongType {
            key,
            expected: "byte string",
        }),
    }
}

/// Reads a byte string of exactly `N` bytes out of `v`.
pub fn value_array<const N: usize>(v: Value, key: u64) -> Result<[u8; N], CodecError> {
    value_bytes(v, key)?
        .try_into()
        .map_err(|_| CodecError::WrongType {
            key,
            expected: "byte string of fixed length",
        })
}

//! Attribute values, command arguments and results, event fields: [`Data`] `[DM-14]`.

use crate::codec::{
    write_array, write_bool, write_bytes, write_int, write_map, write_null, write_text, write_uint,
    CodecError, ItemKind, Reader, Value,
};

/// A value of the data model, in the subset of CBOR that [`super::DataType`] describes
/// `[DM-14]`.
///
/// Integers have one canonical form: a non-negative integer is always [`Data::Uint`], a negative
/// one [`Data::Int`], exactly as CBOR major types 0 and 1 separate them; build them with
/// [`Data::int`] so equal numbers compare equal.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Data {
    /// `null`, allowed only where the type is nullable.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A non-negative integer (CBOR major type 0).
    Uint(u64),
    /// A negative integer (CBOR major type 1) that fits in an `i64`.
    Int(i64),
    /// A UTF-8 text string.
    Text(String),
    /// A byte string.
    Bytes(Vec<u8>),
    /// A list; every element has the list's item type.
    List(Vec<Data>),
    /// A struct: a map from field number to value, in ascending field order.
    Struct(Vec<(u8, Data)>),
}

impl Data {
    /// The canonical form of a signed integer.
    pub fn int(v: i64) -> Data {
        match u64::try_from(v) {
            Ok(u) => Data::Uint(u),
            Err(_) => Data::Int(v),
        }
    }

    /// The value as a signed integer, when it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Data::Uint(u) => i64::try_from(u).ok(),
            Data::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The value as an unsigned integer, when it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Data::Uint(u) => Some(u),
            _ => None,
        }
    }

    /// The value as a boolean, when it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Data::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The value as bytes, when it is a byte string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Data::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The value as text, when it is a text string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Data::Text(t) => Some(t),
            _ => None,
        }
    }

    /// A field of a struct value.
    pub fn field(&self, id: u8) -> Option<&Data> {
        match self {
            Data::Struct(fields) => fields.iter().find(|(k, _)| *k == id).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Builds a struct from fields in any order (sorted here, so the encoding is deterministic).
    pub fn structure(mut fields: Vec<(u8, Data)>) -> Data {
        fields.sort_by_key(|(k, _)| *k);
        fields.dedup_by_key(|(k, _)| *k);
        Data::Struct(fields)
    }

    /// The CBOR value of this data.
    pub fn to_value(&self) -> Value {
        match self {
            Data::Null => Value::Null,
            Data::Bool(b) => Value::Bool(*b),
            Data::Uint(u) => Value::Integer((*u).into()),
            Data::Int(i) => Value::Integer((*i).into()),
            Data::Text(t) => Value::Text(t.clone()),
            Data::Bytes(b) => Value::Bytes(b.clone()),
            Data::List(items) => Value::Array(items.iter().map(Data::to_value).collect()),
            Data::Struct(fields) => Value::Map(
                fields
                    .iter()
                    .map(|(k, v)| (Value::Integer((*k).into()), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// Appends this data's encoding to `out`: the same bytes as encoding
    /// [`Data::to_value`], without building the value.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Data::Null => write_null(out),
            Data::Bool(b) => write_bool(out, *b),
            Data::Uint(u) => write_uint(out, *u),
            Data::Int(i) => write_int(out, *i),
            Data::Text(t) => write_text(out, t),
            Data::Bytes(b) => write_bytes(out, b),
            Data::List(items) => {
                write_array(out, items.len());
                for item in items {
                    item.encode_into(out);
                }
            }
            Data::Struct(fields) => {
                write_map(out, fields.len());
                for (k, v) in fields {
                    write_uint(out, (*k).into());
                    v.encode_into(out);
                }
            }
        }
    }

    /// Reads data from a checked message, with the same rules and results as
    /// [`Data::from_value`]. Recursion is bounded by the depth limit the check enforced.
    pub fn read(r: &mut Reader<'_>) -> Result<Data, CodecError> {
        Ok(match r.peek()? {
            ItemKind::Uint => Data::Uint(r.uint(0)?),
            ItemKind::Nint => {
                // The value is -1 - n, which fits an i64 exactly when n does.
                let n = i64::try_from(r.nint_arg(0)?)
                    .map_err(|_| CodecError::Invalid("integer below i64::MIN"))?;
                Data::Int(-1 - n)
            }
            ItemKind::Bytes => Data::Bytes(r.bytes(0)?.to_vec()),
            ItemKind::Text => Data::Text(r.text(0)?.to_owned()),
            ItemKind::Simple => match r.simple(0)? {
                None => Data::Null,
                Some(b) => Data::Bool(b),
            },
            ItemKind::Array => {
                let n = r.array(0)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(Data::read(r)?);
                }
                Data::List(items)
            }
            ItemKind::Map => {
                let n = r.map_len(0)?;
                let mut fields = Vec::with_capacity(n);
                for _ in 0..n {
                    let key = match r.peek()? {
                        ItemKind::Uint => u8::try_from(r.uint(0)?)
                            .map_err(|_| CodecError::Invalid("struct field number above 255"))?,
                        ItemKind::Nint => {
                            return Err(CodecError::Invalid("struct field number above 255"))
                        }
                        _ => return Err(CodecError::Invalid("struct field key is not an integer")),
                    };
                    fields.push((key, Data::read(r)?));
                }
                // The check already enforced ascending, unique keys [CBOR-7].
                Data::Struct(fields)
            }
            ItemKind::Other => return Err(CodecError::Invalid("CBOR type outside the data model")),
        })
    }

    /// Reads data from a decoded CBOR value (already checked against the CBOR profile).
    ///
    /// Struct keys must be integers 0..=255; negative integers must fit an `i64`.
    pub fn from_value(value: Value) -> Result<Data, CodecError> {
        Ok(match value {
            Value::Null => Data::Null,
            Value::Bool(b) => Data::Bool(b),
            Value::Integer(i) => {
                let wide = i128::from(i);
                match u64::try_from(wide) {
                    Ok(u) => Data::Uint(u),
                    Err(_) => Data::Int(
                        i64::try_from(wide)
                            .map_err(|_| CodecError::Invalid("integer below i64::MIN"))?,
                    ),
                }
            }
            Value::Text(t) => Data::Text(t),
            Value::Bytes(b) => Data::Bytes(b),
            Value::Array(items) => Data::List(
                items
                    .into_iter()
                    .map(Data::from_value)
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(entries) => {
                let mut fields = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = match k {
                        Value::Integer(i) => u8::try_from(i128::from(i))
                            .map_err(|_| CodecError::Invalid("struct field number above 255"))?,
                        _ => return Err(CodecError::Invalid("struct field key is not an integer")),
                    };
                    fields.push((key, Data::from_value(v)?));
                }
                // The scanner already enforced ascending, unique keys [CBOR-7].
                Data::Struct(fields)
            }
            _ => return Err(CodecError::Invalid("CBOR type outside the data model")),
        })
    }
}

impl From<bool> for Data {
    fn from(v: bool) -> Self {
        Data::Bool(v)
    }
}

impl From<u64> for Data {
    fn from(v: u64) -> Self {
        Data::Uint(v)
    }
}

impl From<u32> for Data {
    fn from(v: u32) -> Self {
        Data::Uint(v.into())
    }
}

impl From<u16> for Data {
    fn from(v: u16) -> Self {
        Data::Uint(v.into())
    }
}

impl From<u8> for Data {
    fn from(v: u8) -> Self {
        Data::Uint(v.into())
    }
}

impl From<i64> for Data {
    fn from(v: i64) -> Self {
        Data::int(v)
    }
}

impl From<i32> for Data {
    fn from(v: i32) -> Self {
        Data::int(v.into())
    }
}

impl From<i16> for Data {
    fn from(v: i16) -> Self {
        Data::int(v.into())
    }
}

impl From<i8> for Data {
    fn from(v: i8) -> Self {
        Data::int(v.into())
    }
}

impl From<&str> for Data {
    fn from(v: &str) -> Self {
        Data::Text(v.to_owned())
    }
}

impl From<String> for Data {
    fn from(v: String) -> Self {
        Data::Text(v)
    }
}

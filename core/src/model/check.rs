//! Checking values against their types `[DM-14]`, `[IM-21]`.

use super::schema::{DataType, Field, TypeKind};
use super::Data;
use crate::status::Status;
use thiserror::Error;

/// Why a value does not fit its type. Each maps to a status: a value of the wrong shape is
/// `invalid-data-type`, a value of the right shape outside its constraints is
/// `constraint-error` `[IM-21]`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConstraintError {
    /// The value has the wrong CBOR shape for its type.
    #[error("expected {expected}")]
    WrongType {
        /// What the type needs.
        expected: &'static str,
    },
    /// `null` where the type is not nullable.
    #[error("null is not allowed here")]
    NullNotAllowed,
    /// An integer outside its range.
    #[error("value outside the allowed range")]
    OutOfRange,
    /// An enum value the type does not list.
    #[error("value {0} is not one of the enum's values")]
    UnknownEnumValue(u64),
    /// A bitmap with bits the type does not name.
    #[error("bitmap has undefined bits {0:#x}")]
    UndefinedBits(u64),
    /// A text or byte string of the wrong length.
    #[error("length {len} outside {min}..={max}")]
    Length {
        /// The value's length.
        len: usize,
        /// Shortest allowed.
        min: u32,
        /// Longest allowed.
        max: u32,
    },
    /// A list with more elements than allowed.
    #[error("list of {len} items exceeds {max}")]
    TooManyItems {
        /// The value's length.
        len: usize,
        /// Most allowed.
        max: u32,
    },
    /// A required field is missing.
    #[error("required field {0} is missing")]
    MissingField(u8),
    /// A field's value does not fit.
    #[error("field {field}: {error}")]
    InField {
        /// The field number.
        field: u8,
        /// What is wrong with it.
        error: Box<ConstraintError>,
    },
}

impl ConstraintError {
    /// The status reported for this error `[IM-21]`.
    pub fn status(&self) -> Status {
        match self {
            ConstraintError::WrongType { .. } | ConstraintError::MissingField(_) => {
                Status::INVALID_DATA_TYPE
            }
            ConstraintError::InField { error, .. } => error.status(),
            _ => Status::CONSTRAINT_ERROR,
        }
    }
}

impl DataType {
    /// Checks `value` against this type `[DM-14]`.
    pub fn check(&self, value: &Data) -> Result<(), ConstraintError> {
        // [DM-46] null, then shape, then the value's constraints, then its parts.
        if let Data::Null = value {
            return if self.nullable {
                Ok(())
            } else {
                Err(ConstraintError::NullNotAllowed)
            };
        }
        match &self.kind {
            TypeKind::Bool => match value {
                Data::Bool(_) => Ok(()),
                _ => Err(ConstraintError::WrongType {
                    expected: "a boolean",
                }),
            },
            TypeKind::Uint { min, max } => {
                let v = value.as_u64().ok_or(ConstraintError::WrongType {
                    expected: "an unsigned integer",
                })?;
                in_range(v >= *min && v <= *max)
            }
            TypeKind::Int { min, max } => {
                let v = match value {
                    Data::Uint(u) => i64::try_from(*u).map_err(|_| ConstraintError::OutOfRange)?,
                    Data::Int(i) => *i,
                    _ => {
                        return Err(ConstraintError::WrongType {
                            expected: "an integer",
                        })
                    }
                };
                in_range(v >= *min && v <= *max)
            }
            TypeKind::Enum(values) => {
                let v = value.as_u64().ok_or(ConstraintError::WrongType {
                    expected: "an enum value",
                })?;
                if values.iter().any(|nv| u64::from(nv.value) == v) {
                    Ok(())
                } else {
                    Err(ConstraintError::UnknownEnumValue(v))
                }
            }
            TypeKind::Bitmap(bits) => {
                let v = value.as_u64().ok_or(ConstraintError::WrongType {
                    expected: "a bitmap",
                })?;
                let allowed = bits
                    .iter()
                    .filter_map(|b| 1u64.checked_shl(u32::from(b.value)))
                    .fold(0u64, |acc, bit| acc | bit);
                match v & !allowed {
                    0 => Ok(()),
                    extra => Err(ConstraintError::UndefinedBits(extra)),
                }
            }
            TypeKind::Text { min_len, max_len } => {
                let t = value
                    .as_text()
                    .ok_or(ConstraintError::WrongType { expected: "text" })?;
                check_len(t.len(), *min_len, *max_len)
            }
            TypeKind::Bytes { min_len, max_len } => {
                let b = value
                    .as_bytes()
                    .ok_or(ConstraintError::WrongType { expected: "bytes" })?;
                check_len(b.len(), *min_len, *max_len)
            }
            TypeKind::List { item, max_items } => {
                let Data::List(items) = value else {
                    return Err(ConstraintError::WrongType { expected: "a list" });
                };
                // [DM-46] the list's own constraint before its items.
                if items.len() > *max_items as usize {
                    return Err(ConstraintError::TooManyItems {
                        len: items.len(),
                        max: *max_items,
                    });
                }
                items.iter().try_for_each(|v| item.check(v))
            }
            TypeKind::Struct(fields) => check_fields(fields, value),
        }
    }
}

/// Checks a struct value (also command arguments, results and event fields) against its
/// fields: every required field present, every known field of the right type. Fields the
/// schema does not know are ignored, so a newer peer may add optional fields `[DM-17]`.
pub fn check_fields(fields: &[Field], value: &Data) -> Result<(), ConstraintError> {
    let Data::Struct(present) = value else {
        return Err(ConstraintError::WrongType {
            expected: "a struct",
        });
    };
    // [DM-46] fields in ascending field number, whatever order the schema lists them in.
    let mut ordered: Vec<&Field> = fields.iter().collect();
    if !fields.is_sorted_by_key(|f| f.id.0) {
        ordered.sort_by_key(|f| f.id.0);
    }
    for field in ordered {
        match present.iter().find(|(k, _)| *k == field.id.0) {
            Some((_, v)) => field.ty.check(v).map_err(|e| ConstraintError::InField {
                field: field.id.0,
                error: Box::new(e),
            })?,
            None if field.optional => {}
            None => return Err(ConstraintError::MissingField(field.id.0)),
        }
    }
    Ok(())
}

fn in_range(ok: bool) -> Result<(), ConstraintError> {
    if ok {
        Ok(())
    } else {
        Err(ConstraintError::OutOfRange)
    }
}

fn check_len(len: usize, min: u32, max: u32) -> Result<(), ConstraintError> {
    if len >= min as usize && len <= max as usize {
        Ok(())
    } else {
        Err(ConstraintError::Length { len, min, max })
    }
}

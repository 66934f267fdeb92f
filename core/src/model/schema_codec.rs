//! CBOR encoding of a capability schema, for vendor schemas carried in descriptors `[DM-31]`.
//!
//! Every map has unsigned integer keys (`?` marks an optional key):
//!
//! ```text
//! schema    = {0 id, 1 name, 2 version, 3 [* {0 bit, 1 name}], 4 [* attribute],
//!              5 [* command], 6 [* event]}
//! attribute = {0 id, 1 name, 2 type, ?3 unit, 4 access (1 read, 2 write, 4 report),
//!              5 write privilege, 6 flags (1 timed, 2 persistent, 4 optional), ?7 feature,
//!              ?8 default}
//! command   = {0 id, 1 name, 2 privilege, 3 flags (1 timed, 4 optional), ?4 feature,
//!              5 [* field] arguments, 6 [* field] result}
//! event     = {0 id, 1 name, 2 priority, 3 flags (4 optional), ?4 feature, 5 [* field]}
//! field     = {0 id, 1 name, 2 type, ?3 unit, 4 optional}
//! type      = {0 kind, ?1 true (nullable), ?2 min, ?3 max, ?4 [* {0 value, 1 name}],
//!              ?5 item type, ?6 [* field], ?7 max items}
//! ```
//!
//! Kinds are 0 bool, 1 uint, 2 int, 3 enum, 4 bitmap, 5 text, 6 bytes, 7 list, 8 struct; keys 2
//! and 3 are the integer bounds or the length bounds (an absent minimum length is 0), key 4 the
//! enum values or bitmap bits. The authoritative grammar is `spec/v1/cddl/descriptor.cddl`.
//!
//! Decoding is total: malformed input is a [`CodecError`], never a panic. Unknown keys are
//! ignored `[CBOR-8]` and an absent array is empty; unknown flag bits, kinds, privileges and
//! priorities, out-of-range feature bits (0..=31) and enum or bitmap values (0..=63), empty
//! enum, bitmap or struct types, and list or struct types nested deeper than
//! [`MAX_TYPE_DEPTH`] are rejected.

use super::ids::{AttributeId, CapabilityId, CommandId, EventId, FieldId};
use super::schema::{
    Access, AttributeSchema, CapabilitySchema, CommandSchema, DataType, EventSchema, Feature,
    Field, NamedValue, Priority, Privilege, TypeKind,
};
use super::Data;
use crate::codec::{CodecError, MapBuilder, MapReader, Value};

/// Deepest nesting of list and struct types a decoded schema may have `[DM-18]`.
const MAX_TYPE_DEPTH: usize = 4;

const TIMED: u64 = 1;
const PERSISTENT: u64 = 2;
const OPTIONAL: u64 = 4;

/// The CBOR value of `schema`.
pub(crate) fn to_value(schema: &CapabilitySchema) -> Value {
    MapBuilder::new()
        .put(0, schema.id.0)
        .put(1, schema.name.as_str())
        .put(2, schema.version)
        .put(3, array(&schema.features, |f| named(f.bit, &f.name)))
        .put(4, array(&schema.attributes, attribute_value))
        .put(5, array(&schema.commands, command_value))
        .put(6, array(&schema.events, event_value))
        .build()
}

/// Reads a schema.
pub(crate) fn from_value(v: Value) -> Result<CapabilitySchema, CodecError> {
    let mut m = MapReader::new(v)?;
    Ok(CapabilitySchema {
        id: CapabilityId(m.uint_as(0)?),
        name: m.text(1)?,
        version: m.uint_as(2)?,
        features: m.list_of(3, |v| {
            let (bit, name) = read_named(v, 31)?;
            Ok(Feature { bit, name })
        })?,
        attributes: m.list_of(4, read_attribute)?,
        commands: m.list_of(5, read_command)?,
        events: m.list_of(6, read_event)?,
    })
}

fn array<T>(items: &[T], f: impl Fn(&T) -> Value) -> Value {
    Value::Array(items.iter().map(f).collect())
}

fn named(value: u8, name: &str) -> Value {
    MapBuilder::new().put(0, value).put(1, name).build()
}

fn bits(flags: &[(bool, u64)]) -> u64 {
    flags
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, bit)| bit)
        .sum()
}

fn attribute_value(a: &AttributeSchema) -> Value {
    let access = bits(&[
        (a.access.read, 1),
        (a.access.write, 2),
        (a.access.report, 4),
    ]);
    let flags = bits(&[
        (a.timed, TIMED),
        (a.persistent, PERSISTENT),
        (a.optional, OPTIONAL),
    ]);
    MapBuilder::new()
        .put(0, a.id.0)
        .put(1, a.name.as_str())
        .put(2, type_value(&a.ty))
        .opt(3, a.unit.as_deref())
        .put(4, access)
        .put(5, a.write_privilege.code())
        .put(6, flags)
        .opt(7, a.feature)
        .opt(8, a.default.as_ref().map(Data::to_value))
        .build()
}

fn command_value(c: &CommandSchema) -> Value {
    MapBuilder::new()
        .put(0, c.id.0)
        .put(1, c.name.as_str())
        .put(2, c.privilege.code())
        .put(3, bits(&[(c.timed, TIMED), (c.optional, OPTIONAL)]))
        .opt(4, c.feature)
        .put(5, array(&c.args, field_value))
        .put(6, array(&c.result, field_value))
        .build()
}

fn event_value(e: &EventSchema) -> Value {
    MapBuilder::new()
        .put(0, e.id.0)
        .put(1, e.name.as_str())
        .put(2, e.priority.code())
        .put(3, bits(&[(e.optional, OPTIONAL)]))
        .opt(4, e.feature)
        .put(5, array(&e.fields, field_value))
        .build()
}

fn field_value(f: &Field) -> Value {
    MapBuilder::new()
        .put(0, f.id.0)
        .put(1, f.name.as_str())
        .put(2, type_value(&f.ty))
        .opt(3, f.unit.as_deref())
        .put(4, f.optional)
        .build()
}

fn type_value(t: &DataType) -> Value {
    let b = MapBuilder::new().opt(1, t.nullable.then_some(true));
    let values = |v: &[NamedValue]| array(v, |n| named(n.value, &n.name));
    match &t.kind {
        TypeKind::Bool => b.put(0, 0u8),
        TypeKind::Uint { min, max } => b.put(0, 1u8).put(2, *min).put(3, *max),
        TypeKind::Int { min, max } => b.put(0, 2u8).put(2, *min).put(3, *max),
        TypeKind::Enum(v) => b.put(0, 3u8).put(4, values(v)),
        TypeKind::Bitmap(v) => b.put(0, 4u8).put(4, values(v)),
        TypeKind::Text { min_len, max_len } => b.put(0, 5u8).put(2, *min_len).put(3, *max_len),
        TypeKind::Bytes { min_len, max_len } => b.put(0, 6u8).put(2, *min_len).put(3, *max_len),
        TypeKind::List { item, max_items } => {
            b.put(0, 7u8).put(5, type_value(item)).put(7, *max_items)
        }
        TypeKind::Struct(fields) => b.put(0, 8u8).put(6, array(fields, field_value)),
    }
    .build()
}

/// Reads a non-empty array (enum values, bitmap bits, struct fields).
fn read_nonempty<T>(
    m: &mut MapReader,
    key: u64,
    f: impl Fn(Value) -> Result<T, CodecError>,
) -> Result<Vec<T>, CodecError> {
    let items = m.list_of(key, f)?;
    if items.is_empty() {
        return Err(CodecError::OutOfRange { key });
    }
    Ok(items)
}

fn read_opt_text(m: &mut MapReader, key: u64) -> Result<Option<String>, CodecError> {
    match m.take(key) {
        None => Ok(None),
        Some(Value::Text(t)) => Ok(Some(t)),
        Some(_) => Err(CodecError::WrongType {
            key,
            expected: "text string",
        }),
    }
}

/// Reads an optional feature bit (0..=31) `[DM-15]`.
fn read_feature_bit(m: &mut MapReader, key: u64) -> Result<Option<u8>, CodecError> {
    m.opt_uint(key)?.map(|n| small(n, key, 31)).transpose()
}

/// `n` when it is at most `max` (which fits a `u8`).
fn small(n: u64, key: u64, max: u8) -> Result<u8, CodecError> {
    u8::try_from(n)
        .ok()
        .filter(|n| *n <= max)
        .ok_or(CodecError::OutOfRange { key })
}

/// Reads a flag word at `key`, which may only use the bits in `allowed`.
fn read_flags(m: &mut MapReader, key: u64, allowed: u64) -> Result<u64, CodecError> {
    let flags = m.uint(key)?;
    if flags & !allowed == 0 {
        Ok(flags)
    } else {
        Err(CodecError::OutOfRange { key })
    }
}

fn read_privilege(m: &mut MapReader, key: u64) -> Result<Privilege, CodecError> {
    Privilege::from_code(m.uint(key)?).ok_or(CodecError::OutOfRange { key })
}

/// Reads `{0 number, 1 name}` whose number is at most `max`.
fn read_named(v: Value, max: u8) -> Result<(u8, String), CodecError> {
    let mut m = MapReader::new(v)?;
    Ok((small(m.uint(0)?, 0, max)?, m.text(1)?))
}

fn read_attribute(v: Value) -> Result<AttributeSchema, CodecError> {
    let mut m = MapReader::new(v)?;
    let access = read_flags(&mut m, 4, 1 | 2 | 4)?;
    let flags = read_flags(&mut m, 6, TIMED | PERSISTENT | OPTIONAL)?;
    Ok(AttributeSchema {
        id: AttributeId(m.uint_as(0)?),
        name: m.text(1)?,
        ty: read_type(m.required(2)?, 0)?,
        unit: read_opt_text(&mut m, 3)?,
        access: Access {
            read: access & 1 != 0,
            write: access & 2 != 0,
            report: access & 4 != 0,
        },
        write_privilege: read_privilege(&mut m, 5)?,
        timed: flags & TIMED != 0,
        persistent: flags & PERSISTENT != 0,
        optional: flags & OPTIONAL != 0,
        feature: read_feature_bit(&mut m, 7)?,
        default: m.take(8).map(Data::from_value).transpose()?,
    })
}

fn read_command(v: Value) -> Result<CommandSchema, CodecError> {
    let mut m = MapReader::new(v)?;
    let flags = read_flags(&mut m, 3, TIMED | OPTIONAL)?;
    Ok(CommandSchema {
        id: CommandId(m.uint_as(0)?),
        name: m.text(1)?,
        privilege: read_privilege(&mut m, 2)?,
        timed: flags & TIMED != 0,
        optional: flags & OPTIONAL != 0,
        feature: read_feature_bit(&mut m, 4)?,
        args: m.list_of(5, |v| read_field(v, 0))?,
        result: m.list_of(6, |v| read_field(v, 0))?,
    })
}

fn read_event(v: Value) -> Result<EventSchema, CodecError> {
    let mut m = MapReader::new(v)?;
    let flags = read_flags(&mut m, 3, OPTIONAL)?;
    Ok(EventSchema {
        id: EventId(m.uint_as(0)?),
        name: m.text(1)?,
        priority: Priority::from_code(m.uint(2)?).ok_or(CodecError::OutOfRange { key: 2 })?,
        optional: flags & OPTIONAL != 0,
        feature: read_feature_bit(&mut m, 4)?,
        fields: m.list_of(5, |v| read_field(v, 0))?,
    })
}

/// Reads a field whose type sits inside `depth` enclosing list or struct types.
fn read_field(v: Value, depth: usize) -> Result<Field, CodecError> {
    let mut m = MapReader::new(v)?;
    Ok(Field {
        id: FieldId(m.uint_as(0)?),
        name: m.text(1)?,
        ty: read_type(m.required(2)?, depth)?,
        unit: read_opt_text(&mut m, 3)?,
        optional: m.boolean(4)?,
    })
}

/// Reads a type that sits inside `depth` enclosing list or struct types.
fn read_type(v: Value, depth: usize) -> Result<DataType, CodecError> {
    let mut m = MapReader::new(v)?;
    // Key 1 is present only when the type is nullable, and then it is `true`.
    let nullable = match m.take(1) {
        None => false,
        Some(Value::Bool(true)) => true,
        Some(_) => return Err(CodecError::OutOfRange { key: 1 }),
    };
    let kind = match m.uint(0)? {
        0 => TypeKind::Bool,
        1 => TypeKind::Uint {
            min: m.uint(2)?,
            max: m.uint(3)?,
        },
        2 => TypeKind::Int {
            min: read_i64(&mut m, 2)?,
            max: read_i64(&mut m, 3)?,
        },
        3 => TypeKind::Enum(read_nonempty(&mut m, 4, read_named_value)?),
        4 => TypeKind::Bitmap(read_nonempty(&mut m, 4, read_named_value)?),
        5 => TypeKind::Text {
            min_len: read_min_len(&mut m)?,
            max_len: m.uint_as(3)?,
        },
        6 => TypeKind::Bytes {
            min_len: read_min_len(&mut m)?,
            max_len: m.uint_as(3)?,
        },
        7 | 8 if depth >= MAX_TYPE_DEPTH => {
            return Err(CodecError::TooDeep {
                max: MAX_TYPE_DEPTH,
            })
        }
        7 => TypeKind::List {
            item: Box::new(read_type(m.required(5)?, depth + 1)?),
            max_items: m.uint_as(7)?,
        },
        8 => TypeKind::Struct(read_nonempty(&mut m, 6, |v| read_field(v, depth + 1))?),
        _ => return Err(CodecError::OutOfRange { key: 0 }),
    };
    Ok(DataType { kind, nullable })
}

fn read_named_value(v: Value) -> Result<NamedValue, CodecError> {
    let (value, name) = read_named(v, 63)?;
    Ok(NamedValue { value, name })
}

/// The minimum length of a text or byte string; absent means 0.
fn read_min_len(m: &mut MapReader) -> Result<u32, CodecError> {
    m.opt_uint(2)?.map_or(Ok(0), |n| {
        u32::try_from(n).map_err(|_| CodecError::OutOfRange { key: 2 })
    })
}

fn read_i64(m: &mut MapReader, key: u64) -> Result<i64, CodecError> {
    match m.required(key)? {
        Value::Integer(i) => i64::try_from(i).map_err(|_| CodecError::OutOfRange { key }),
        _ => Err(CodecError::WrongType {
            key,
            expected: "integer",
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn list_type(levels: usize) -> DataType {
        let mut ty = DataType::new(TypeKind::Bool);
        for _ in 0..levels {
            ty = DataType::new(TypeKind::List {
                item: Box::new(ty),
                max_items: 4,
            });
        }
        ty
    }

    // [DM-18] list/struct nesting is bounded: 4 levels decode, 5 are rejected.
    #[test]
    fn type_nesting_is_bounded() {
        let four = list_type(MAX_TYPE_DEPTH);
        assert_eq!(read_type(type_value(&four), 0).unwrap(), four);
        assert_eq!(
            read_type(type_value(&list_type(MAX_TYPE_DEPTH + 1)), 0),
            Err(CodecError::TooDeep {
                max: MAX_TYPE_DEPTH
            })
        );
    }

    // [DM-31] unknown kinds, privileges and priorities are out of range, not a panic.
    #[test]
    fn unknown_codes_are_out_of_range() {
        let kind = MapBuilder::new().put(0, 9u8).build();
        assert_eq!(read_type(kind, 0), Err(CodecError::OutOfRange { key: 0 }));
        let command = MapBuilder::new()
            .put(0, 1u8)
            .put(1, "c")
            .put(2, 5u8)
            .put(3, 0u8)
            .build();
        assert_eq!(
            read_command(command),
            Err(CodecError::OutOfRange { key: 2 })
        );
        let event = MapBuilder::new()
            .put(0, 1u8)
            .put(1, "e")
            .put(2, 3u8)
            .put(3, 0u8)
            .build();
        assert_eq!(read_event(event), Err(CodecError::OutOfRange { key: 2 }));
    }
}

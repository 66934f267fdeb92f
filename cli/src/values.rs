//! Values as a person types and reads them, in JSON, guided by the schema when there is one:
//! enum values by name (`"locked"`), struct fields and command arguments by name
//! (`{"level": 128}`), byte strings as text (`"1234"`, a PIN) or `"hex:0a0b"`.

use orbit_core::model::{Data, DataType, Field, TypeKind};
use serde_json::{Map, Number, Value as Json};
use thiserror::Error;

/// Why a typed value does not fit.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ValueError {
    /// Not JSON (and not a bare enum name or word). The text is not repeated: it may be a PIN.
    #[error("not a value: write JSON such as true, 42, \"text\" or {{\"level\": 5}}")]
    Syntax,
    /// The JSON has the wrong shape for the type.
    #[error("expected {expected}, got {got}")]
    Type {
        /// What the schema wants.
        expected: String,
        /// What was given.
        got: String,
    },
    /// A name the schema does not define.
    #[error("{:?} is not one of: {allowed}", crate::capped::capped(.name))]
    UnknownName {
        /// The name given.
        name: String,
        /// The names the schema defines, comma-separated.
        allowed: String,
    },
    /// Bad hex after `hex:`.
    #[error("bad hex in {:?}", crate::capped::capped(.0))]
    Hex(String),
}

fn type_error(expected: &str, got: &Json) -> ValueError {
    ValueError::Type {
        expected: expected.to_owned(),
        got: crate::capped::capped(&got.to_string()),
    }
}

/// Parses what a person typed for a value of `ty` (any JSON when `ty` is unknown).
pub fn parse_value(text: &str, ty: Option<&DataType>) -> Result<Data, ValueError> {
    let json = match serde_json::from_str::<Json>(text) {
        Ok(j) => j,
        // A bare word: an enum name, or text.
        Err(_) if !text.trim().is_empty() => Json::String(text.trim().to_owned()),
        Err(_) => return Err(ValueError::Syntax),
    };
    from_json(&json, ty)
}

/// Parses command arguments: a JSON object keyed by field name or number (empty for none).
pub fn parse_args(text: Option<&str>, fields: Option<&[Field]>) -> Result<Data, ValueError> {
    let Some(text) = text else {
        return Ok(Data::Struct(Vec::new()));
    };
    let json: Json = serde_json::from_str(text).map_err(|_| ValueError::Syntax)?;
    match fields {
        Some(f) => struct_from_json(&json, f),
        None => from_json(&json, None),
    }
}

fn bytes_from(s: &str) -> Result<Vec<u8>, ValueError> {
    match s.strip_prefix("hex:") {
        Some(h) => hex::decode(h).map_err(|_| ValueError::Hex(s.to_owned())),
        None => Ok(s.as_bytes().to_vec()),
    }
}

/// Converts JSON to a value of `ty`; without a type, numbers become integers, strings text,
/// arrays lists and objects structs keyed by field number.
pub fn from_json(json: &Json, ty: Option<&DataType>) -> Result<Data, ValueError> {
    let Some(ty) = ty else {
        return untyped(json);
    };
    if json.is_null() && ty.nullable {
        return Ok(Data::Null);
    }
    match (&ty.kind, json) {
        (TypeKind::Bool, Json::Bool(b)) => Ok(Data::Bool(*b)),
        (TypeKind::Uint { .. }, Json::Number(n)) => n
            .as_u64()
            .map(Data::Uint)
            .ok_or_else(|| type_error("an unsigned integer", json)),
        (TypeKind::Int { .. }, Json::Number(n)) => n
            .as_i64()
            .map(Data::int)
            .ok_or_else(|| type_error("an integer", json)),
        (TypeKind::Enum(values), Json::String(name)) => values
            .iter()
            .find(|v| v.name == *name)
            .map(|v| Data::Uint(v.value.into()))
            .ok_or_else(|| unknown(name, values.iter().map(|v| v.name.as_str()))),
        (TypeKind::Enum(_), Json::Number(n)) => n
            .as_u64()
            .map(Data::Uint)
            .ok_or_else(|| type_error("an enum value", json)),
        (TypeKind::Bitmap(bits), Json::Array(names)) => {
            let mut v = 0u64;
            for n in names {
                let name = n.as_str().ok_or_else(|| type_error("bit names", json))?;
                let bit = bits
                    .iter()
                    .find(|b| b.name == name)
                    .ok_or_else(|| unknown(name, bits.iter().map(|b| b.name.as_str())))?;
                v |= 1u64.checked_shl(bit.value.into()).unwrap_or(0);
            }
            Ok(Data::Uint(v))
        }
        (TypeKind::Bitmap(_), Json::Number(n)) => n
            .as_u64()
            .map(Data::Uint)
            .ok_or_else(|| type_error("a bitmap", json)),
        (TypeKind::Text { .. }, Json::String(s)) => Ok(Data::Text(s.clone())),
        (TypeKind::Bytes { .. }, Json::String(s)) => Ok(Data::Bytes(bytes_from(s)?)),
        (TypeKind::List { item, .. }, Json::Array(items)) => Ok(Data::List(
            items
                .iter()
                .map(|i| from_json(i, Some(item)))
                .collect::<Result<_, _>>()?,
        )),
        (TypeKind::Struct(fields), _) => struct_from_json(json, fields),
        (kind, _) => Err(type_error(kind_name(kind), json)),
    }
}

fn unknown<'a>(name: &str, allowed: impl Iterator<Item = &'a str>) -> ValueError {
    ValueError::UnknownName {
        name: name.to_owned(),
        allowed: allowed.collect::<Vec<_>>().join(", "),
    }
}

fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Bool => "true or false",
        TypeKind::Uint { .. } => "an unsigned integer",
        TypeKind::Int { .. } => "an integer",
        TypeKind::Enum(_) => "an enum name",
        TypeKind::Bitmap(_) => "a list of bit names",
        TypeKind::Text { .. } => "text",
        TypeKind::Bytes { .. } => "a string (or hex:...)",
        TypeKind::List { .. } => "a list",
        TypeKind::Struct(_) => "an object",
    }
}

fn struct_from_json(json: &Json, fields: &[Field]) -> Result<Data, ValueError> {
    let Json::Object(map) = json else {
        return Err(type_error("an object of fields", json));
    };
    let mut out = Vec::with_capacity(map.len());
    for (key, value) in map {
        let field = fields
            .iter()
            .find(|f| f.name == *key || key.parse::<u8>().ok() == Some(f.id.0));
        match field {
            Some(f) => out.push((f.id.0, from_json(value, Some(&f.ty))?)),
            None => match key.parse::<u8>() {
                // A field this schema version does not know is passed on as given [DM-17].
                Ok(n) => out.push((n, untyped(value)?)),
                Err(_) => return Err(unknown(key, fields.iter().map(|f| f.name.as_str()))),
            },
        }
    }
    Ok(Data::structure(out))
}

fn untyped(json: &Json) -> Result<Data, ValueError> {
    Ok(match json {
        Json::Null => Data::Null,
        Json::Bool(b) => Data::Bool(*b),
        Json::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Data::Uint(u),
            (None, Some(i)) => Data::int(i),
            _ => return Err(type_error("an integer (Orbit has no floats)", json)),
        },
        Json::String(s) => match s.strip_prefix("hex:") {
            Some(_) => Data::Bytes(bytes_from(s)?),
            None => Data::Text(s.clone()),
        },
        Json::Array(items) => Data::List(items.iter().map(untyped).collect::<Result<_, _>>()?),
        Json::Object(map) => {
            let mut out = Vec::with_capacity(map.len());
            for (k, v) in map {
                let n = k.parse::<u8>().map_err(|_| ValueError::UnknownName {
                    name: k.clone(),
                    allowed: "field numbers 0..=255 (no schema is known here)".into(),
                })?;
                out.push((n, untyped(v)?));
            }
            Data::structure(out)
        }
    })
}

/// JSON for a value, using names from `ty` where it has them.
pub fn to_json(data: &Data, ty: Option<&DataType>) -> Json {
    match (data, ty.map(|t| &t.kind)) {
        (Data::Null, _) => Json::Null,
        (Data::Bool(b), _) => Json::Bool(*b),
        (Data::Uint(u), Some(TypeKind::Enum(values))) => values
            .iter()
            .find(|v| u64::from(v.value) == *u)
            .map(|v| Json::String(v.name.clone()))
            .unwrap_or_else(|| Json::Number((*u).into())),
        (Data::Uint(u), Some(TypeKind::Bitmap(bits))) => Json::Array(
            bits.iter()
                .filter(|b| u & 1u64.checked_shl(b.value.into()).unwrap_or(0) != 0)
                .map(|b| Json::String(b.name.clone()))
                .collect(),
        ),
        (Data::Uint(u), _) => Json::Number((*u).into()),
        (Data::Int(i), _) => Json::Number(Number::from(*i)),
        (Data::Text(s), _) => Json::String(s.clone()),
        (Data::Bytes(b), _) => Json::String(format!("hex:{}", hex::encode(b))),
        (Data::List(items), Some(TypeKind::List { item, .. })) => {
            Json::Array(items.iter().map(|i| to_json(i, Some(item))).collect())
        }
        (Data::List(items), _) => Json::Array(items.iter().map(|i| to_json(i, None)).collect()),
        (Data::Struct(fields), Some(TypeKind::Struct(schema))) => fields_to_json(data, schema)
            .unwrap_or_else(|| {
                Json::Object(
                    fields
                        .iter()
                        .map(|(n, v)| (n.to_string(), to_json(v, None)))
                        .collect(),
                )
            }),
        (Data::Struct(fields), _) => Json::Object(
            fields
                .iter()
                .map(|(n, v)| (n.to_string(), to_json(v, None)))
                .collect(),
        ),
    }
}

/// JSON for a struct value (command result, event fields) keyed by field names.
pub fn fields_to_json(data: &Data, fields: &[Field]) -> Option<Json> {
    let Data::Struct(values) = data else {
        return None;
    };
    let mut map = Map::new();
    for (n, v) in values {
        match fields.iter().find(|f| f.id.0 == *n) {
            Some(f) => map.insert(f.name.clone(), to_json(v, Some(&f.ty))),
            None => map.insert(n.to_string(), to_json(v, None)),
        };
    }
    Some(Json::Object(map))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use orbit_core::model::std_caps::{door_lock, level};
    use orbit_core::model::Registry;

    fn attr_type(
        cap: orbit_core::model::CapabilityId,
        attr: orbit_core::model::AttributeId,
    ) -> DataType {
        Registry::standard()
            .get(cap)
            .unwrap()
            .attribute(attr)
            .unwrap()
            .ty
            .clone()
    }

    #[test]
    fn enum_names_round_trip_and_unknown_names_fail() {
        let ty = attr_type(door_lock::ID, door_lock::attributes::LOCK_STATE);
        let v = parse_value("locked", Some(&ty)).unwrap();
        assert_eq!(v, Data::Uint(1));
        assert_eq!(to_json(&v, Some(&ty)), Json::String("locked".into()));
        let err = parse_value("ajar", Some(&ty)).unwrap_err();
        assert!(matches!(&err, ValueError::UnknownName { name, .. } if name == "ajar"));
        assert!(err.to_string().contains("locked"), "{err}");
    }

    #[test]
    fn arguments_by_name_and_bytes_as_text_or_hex() {
        let schema = Registry::standard().get(level::ID).unwrap();
        let cmd = schema.command(level::commands::MOVE_TO_LEVEL).unwrap();
        let args = parse_args(Some(r#"{"level": 128}"#), Some(&cmd.args)).unwrap();
        assert_eq!(args, Data::Struct(vec![(0, Data::Uint(128))]));
        assert!(parse_args(Some(r#"{"lvl": 1}"#), Some(&cmd.args)).is_err());
        let unlock = Registry::standard()
            .get(door_lock::ID)
            .unwrap()
            .command(door_lock::commands::UNLOCK_DOOR)
            .unwrap();
        let pin = parse_args(Some(r#"{"pin": "1234"}"#), Some(&unlock.args)).unwrap();
        assert_eq!(pin, Data::Struct(vec![(0, Data::Bytes(b"1234".to_vec()))]));
        let hex = parse_args(Some(r#"{"pin": "hex:31323334"}"#), Some(&unlock.args)).unwrap();
        assert_eq!(hex, pin);
    }

    #[test]
    fn wrong_shapes_are_errors_not_guesses() {
        let ty = attr_type(level::ID, level::attributes::CURRENT_LEVEL);
        assert!(matches!(
            parse_value("true", Some(&ty)),
            Err(ValueError::Type { .. })
        ));
        assert!(matches!(
            parse_value("-1", Some(&ty)),
            Err(ValueError::Type { .. })
        ));
        assert!(matches!(
            parse_value("1.5", None),
            Err(ValueError::Type { .. })
        ));
        assert_eq!(parse_value("42", Some(&ty)), Ok(Data::Uint(42)));
        assert_eq!(parse_value("", None), Err(ValueError::Syntax));
    }

    proptest::proptest! {
        // Any typed text gives a value or a typed error, never a panic.
        #[test]
        fn parsing_is_total(text in ".{0,40}") {
            let ty = attr_type(door_lock::ID, door_lock::attributes::LOCK_STATE);
            let _ = parse_value(&text, Some(&ty));
            let _ = parse_value(&text, None);
            let _ = parse_args(Some(&text), None);
        }
    }
}

//! [`Value`]: the data model's values (`orbit_core::model::Data`) as a foreign enum, so that
//! Kotlin `when`, Swift `switch` and Python `match` see the same shapes as Rust.

use orbit_core::model::Data;

/// A value of the data model `[DM-14]`.
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
pub enum Value {
    /// `null`, where the type is nullable.
    Null,
    /// `true` or `false`.
    Bool {
        /// The value.
        value: bool,
    },
    /// A non-negative integer.
    Uint {
        /// The value.
        value: u64,
    },
    /// A signed integer (a non-negative one is sent as [`Value::Uint`], as the wire wants).
    Int {
        /// The value.
        value: i64,
    },
    /// UTF-8 text.
    Text {
        /// The value.
        value: String,
    },
    /// Bytes.
    Bytes {
        /// The value.
        value: Vec<u8>,
    },
    /// A list of values of one type (`Data::List`; named `Array` so that it does not hide
    /// Kotlin's `List`).
    Array {
        /// The elements.
        items: Vec<Value>,
    },
    /// A struct: numbered fields in ascending order (command arguments and results, event
    /// fields, struct attributes).
    Struct {
        /// The fields.
        fields: Vec<StructField>,
    },
}

/// One field of a [`Value::Struct`].
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct StructField {
    /// The field number, as in the capability registry.
    pub id: u8,
    /// Its value.
    pub value: Value,
}

impl From<Data> for Value {
    fn from(d: Data) -> Self {
        match d {
            Data::Null => Value::Null,
            Data::Bool(value) => Value::Bool { value },
            Data::Uint(value) => Value::Uint { value },
            Data::Int(value) => Value::Int { value },
            Data::Text(value) => Value::Text { value },
            Data::Bytes(value) => Value::Bytes { value },
            Data::List(items) => Value::Array {
                items: items.into_iter().map(Value::from).collect(),
            },
            Data::Struct(fields) => Value::Struct {
                fields: fields
                    .into_iter()
                    .map(|(id, v)| StructField {
                        id,
                        value: v.into(),
                    })
                    .collect(),
            },
        }
    }
}

impl From<Value> for Data {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => Data::Null,
            Value::Bool { value } => Data::Bool(value),
            Value::Uint { value } => Data::Uint(value),
            // The canonical form: a non-negative integer is major type 0 on the wire.
            Value::Int { value } => Data::int(value),
            Value::Text { value } => Data::Text(value),
            Value::Bytes { value } => Data::Bytes(value),
            Value::Array { items } => Data::List(items.into_iter().map(Data::from).collect()),
            Value::Struct { mut fields } => {
                // Ascending field order, as the data model requires; the device refuses a
                // repeated field.
                fields.sort_by_key(|f| f.id);
                Data::Struct(fields.into_iter().map(|f| (f.id, f.value.into())).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_the_data_model() {
        let d = Data::Struct(vec![
            (0, Data::Text("1234".into())),
            (
                1,
                Data::List(vec![Data::Int(-3), Data::Uint(7), Data::Null]),
            ),
            (2, Data::Bytes(vec![1, 2])),
            (3, Data::Bool(true)),
        ]);
        assert_eq!(Data::from(Value::from(d.clone())), d);
    }

    #[test]
    fn a_non_negative_int_goes_out_canonical_and_fields_in_order() {
        assert_eq!(Data::from(Value::Int { value: 5 }), Data::Uint(5));
        let v = Value::Struct {
            fields: vec![
                StructField {
                    id: 2,
                    value: Value::Null,
                },
                StructField {
                    id: 0,
                    value: Value::Bool { value: false },
                },
            ],
        };
        assert_eq!(
            Data::from(v),
            Data::Struct(vec![(0, Data::Bool(false)), (2, Data::Null)])
        );
    }
}

//! A device's signed descriptor as typed records: endpoints, capabilities, and for each
//! attribute, command and event its schema from the capability registry (or from the
//! device's own vendor schemas), with types and ranges.

use orbit_core::model::{self, CapabilitySchema, Descriptor, Registry, TypeKind};

/// What a device is and can do, from its verified descriptor `[DM-41]`.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct DeviceDescription {
    /// The spec version the device implements.
    pub spec_version: u16,
    /// Vendor ID.
    pub vendor_id: u16,
    /// Product ID.
    pub product_id: u16,
    /// The descriptor's revision.
    pub revision: u32,
    /// Endpoints, root (0) first.
    pub endpoints: Vec<EndpointInfo>,
    /// What the device accepts per request and session.
    pub limits: DeviceLimits,
}

/// The limits a device announces.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct DeviceLimits {
    /// Most paths in one request.
    pub max_paths_per_request: u32,
    /// Most subscriptions per session.
    pub max_subscriptions_per_session: u32,
    /// Most subscriptions per home.
    pub max_subscriptions_per_home: u32,
    /// Events kept for reading.
    pub event_buffer: u32,
    /// Largest message in bytes.
    pub max_message: u32,
}

/// One endpoint.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct EndpointInfo {
    /// Its number.
    pub id: u16,
    /// Its label (empty on the root endpoint).
    pub label: String,
    /// Its capabilities.
    pub capabilities: Vec<CapabilityInfo>,
}

/// A capability on an endpoint, with the schema of each item it implements.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CapabilityInfo {
    /// Its ID.
    pub id: u32,
    /// Its registry name (`on-off`), if the schema is known.
    pub name: Option<String>,
    /// The implemented version.
    pub version: u16,
    /// The names of the features it has on.
    pub features: Vec<String>,
    /// Its attributes.
    pub attributes: Vec<AttributeInfo>,
    /// Its commands.
    pub commands: Vec<CommandInfo>,
    /// Its events.
    pub events: Vec<EventInfo>,
}

/// An attribute.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct AttributeInfo {
    /// Its ID.
    pub id: u16,
    /// Its name, if the schema is known.
    pub name: Option<String>,
    /// Its type, if the schema is known.
    pub data_type: Option<DataType>,
    /// Its unit, if any.
    pub unit: Option<String>,
    /// Readable.
    pub readable: bool,
    /// Writable.
    pub writable: bool,
    /// Reported in subscriptions.
    pub reportable: bool,
    /// Writes must be timed.
    pub timed: bool,
}

/// A command.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CommandInfo {
    /// Its ID.
    pub id: u16,
    /// Its name, if the schema is known.
    pub name: Option<String>,
    /// Must be invoked timed (the bindings do so on their own).
    pub timed: bool,
    /// Its arguments.
    pub args: Vec<FieldInfo>,
    /// Its result's fields.
    pub result: Vec<FieldInfo>,
}

/// An event.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct EventInfo {
    /// Its ID.
    pub id: u16,
    /// Its name, if the schema is known.
    pub name: Option<String>,
    /// `debug`, `info` or `critical`, if the schema is known.
    pub priority: Option<String>,
    /// Its fields.
    pub fields: Vec<FieldInfo>,
}

/// A field of a struct, of a command's arguments or result, or of an event.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct FieldInfo {
    /// Its number ([`crate::StructField::id`]).
    pub id: u8,
    /// Its name.
    pub name: String,
    /// Its type.
    pub data_type: DataType,
    /// Its unit, if any.
    pub unit: Option<String>,
    /// May be left out.
    pub optional: bool,
}

/// A value type: its shape and whether `null` is allowed.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct DataType {
    /// The shape.
    pub kind: DataKind,
    /// Whether [`crate::Value::Null`] is allowed.
    pub nullable: bool,
}

/// The shape of a value, with its range.
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
pub enum DataKind {
    /// A boolean.
    Bool,
    /// An unsigned integer in `min..=max`.
    Uint {
        /// Smallest.
        min: u64,
        /// Largest.
        max: u64,
    },
    /// A signed integer in `min..=max`.
    Int {
        /// Smallest.
        min: i64,
        /// Largest.
        max: i64,
    },
    /// One of the named values (sent as [`crate::Value::Uint`]).
    Enum {
        /// The values.
        values: Vec<NamedValue>,
    },
    /// A bitmap of the named bits (sent as [`crate::Value::Uint`]).
    Bitmap {
        /// The bits, by position.
        bits: Vec<NamedValue>,
    },
    /// Text of `min_len..=max_len` bytes.
    Text {
        /// Fewest bytes.
        min_len: u32,
        /// Most bytes.
        max_len: u32,
    },
    /// Bytes, `min_len..=max_len` of them.
    Bytes {
        /// Fewest bytes.
        min_len: u32,
        /// Most bytes.
        max_len: u32,
    },
    /// A list of at most `max_items` values of type `item` (named `Array` so that it does
    /// not hide Kotlin's `List`).
    Array {
        /// The element type.
        item: Box<DataType>,
        /// Most elements.
        max_items: u32,
    },
    /// A struct.
    Struct {
        /// Its fields.
        fields: Vec<FieldInfo>,
    },
}

/// A named number: an enum value or a bitmap bit.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct NamedValue {
    /// The number (for a bitmap, the bit position).
    pub value: u8,
    /// Its name.
    pub name: String,
}

impl From<&model::DataType> for DataType {
    fn from(t: &model::DataType) -> Self {
        let named = |v: &[model::NamedValue]| {
            v.iter()
                .map(|n| NamedValue {
                    value: n.value,
                    name: n.name.clone(),
                })
                .collect()
        };
        let kind = match &t.kind {
            TypeKind::Bool => DataKind::Bool,
            TypeKind::Uint { min, max } => DataKind::Uint {
                min: *min,
                max: *max,
            },
            TypeKind::Int { min, max } => DataKind::Int {
                min: *min,
                max: *max,
            },
            TypeKind::Enum(v) => DataKind::Enum { values: named(v) },
            TypeKind::Bitmap(v) => DataKind::Bitmap { bits: named(v) },
            TypeKind::Text { min_len, max_len } => DataKind::Text {
                min_len: *min_len,
                max_len: *max_len,
            },
            TypeKind::Bytes { min_len, max_len } => DataKind::Bytes {
                min_len: *min_len,
                max_len: *max_len,
            },
            TypeKind::List { item, max_items } => DataKind::Array {
                item: Box::new(DataType::from(item.as_ref())),
                max_items: *max_items,
            },
            TypeKind::Struct(fields) => DataKind::Struct {
                fields: fields_of(fields),
            },
        };
        DataType {
            kind,
            nullable: t.nullable,
        }
    }
}

fn fields_of(fields: &[model::Field]) -> Vec<FieldInfo> {
    fields
        .iter()
        .map(|f| FieldInfo {
            id: f.id.0,
            name: f.name.clone(),
            data_type: DataType::from(&f.ty),
            unit: f.unit.clone(),
            optional: f.optional,
        })
        .collect()
}

fn priority_name(p: model::Priority) -> &'static str {
    match p {
        model::Priority::Debug => "debug",
        model::Priority::Info => "info",
        model::Priority::Critical => "critical",
    }
}

fn capability(c: &model::CapabilityInstance, schema: Option<&CapabilitySchema>) -> CapabilityInfo {
    CapabilityInfo {
        id: c.id.0,
        name: schema.map(|s| s.name.clone()),
        version: c.version,
        features: schema
            .map(|s| {
                s.features
                    .iter()
                    .filter(|f| c.features.checked_shr(f.bit.into()).unwrap_or(0) & 1 == 1)
                    .map(|f| f.name.clone())
                    .collect()
            })
            .unwrap_or_default(),
        attributes: c
            .attributes
            .iter()
            .map(|id| {
                let s = schema.and_then(|s| s.attribute(*id));
                AttributeInfo {
                    id: id.0,
                    name: s.map(|s| s.name.clone()),
                    data_type: s.map(|s| DataType::from(&s.ty)),
                    unit: s.and_then(|s| s.unit.clone()),
                    readable: s.is_some_and(|s| s.access.read),
                    writable: s.is_some_and(|s| s.access.write),
                    reportable: s.is_some_and(|s| s.access.report),
                    timed: s.is_some_and(|s| s.timed),
                }
            })
            .collect(),
        commands: c
            .commands
            .iter()
            .map(|id| {
                let s = schema.and_then(|s| s.command(*id));
                CommandInfo {
                    id: id.0,
                    name: s.map(|s| s.name.clone()),
                    timed: s.is_some_and(|s| s.timed),
                    args: s.map(|s| fields_of(&s.args)).unwrap_or_default(),
                    result: s.map(|s| fields_of(&s.result)).unwrap_or_default(),
                }
            })
            .collect(),
        events: c
            .events
            .iter()
            .map(|id| {
                let s = schema.and_then(|s| s.event(*id));
                EventInfo {
                    id: id.0,
                    name: s.map(|s| s.name.clone()),
                    priority: s.map(|s| priority_name(s.priority).to_owned()),
                    fields: s.map(|s| fields_of(&s.fields)).unwrap_or_default(),
                }
            })
            .collect(),
    }
}

impl From<&Descriptor> for DeviceDescription {
    fn from(d: &Descriptor) -> Self {
        let registry = Registry::standard();
        DeviceDescription {
            spec_version: d.spec_version,
            vendor_id: d.vendor_id,
            product_id: d.product_id,
            revision: d.revision,
            endpoints: d
                .endpoints
                .iter()
                .map(|e| EndpointInfo {
                    id: e.id.0,
                    label: e.label.clone(),
                    capabilities: e
                        .capabilities
                        .iter()
                        .map(|c| {
                            let schema = registry
                                .get(c.id)
                                .or_else(|| d.vendor_schemas.iter().find(|s| s.id == c.id));
                            capability(c, schema)
                        })
                        .collect(),
                })
                .collect(),
            limits: DeviceLimits {
                max_paths_per_request: d.limits.max_paths_per_request,
                max_subscriptions_per_session: d.limits.max_subscriptions_per_session,
                max_subscriptions_per_home: d.limits.max_subscriptions_per_home,
                event_buffer: d.limits.event_buffer,
                max_message: d.limits.max_message,
            },
        }
    }
}

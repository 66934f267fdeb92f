//! Capability schemas: what a capability's attributes, commands and events look like
//! `[DM-11]`..`[DM-16]`.
//!
//! Standard schemas come from the registry in `spec/v1/registry/` (see [`super::registry`]);
//! vendor schemas arrive inside a device's descriptor and have the same shape `[DM-31]`.

use super::ids::{AttributeId, CapabilityId, CommandId, EventId, FieldId};
use super::Data;

/// Privilege levels, ordered: each includes the ones below it `[ACL-2]`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Privilege {
    /// Read attributes, subscribe, read events.
    View = 1,
    /// Also write ordinary attributes and invoke ordinary commands.
    Operate = 2,
    /// Also change configuration (attributes and commands marked `manage`).
    Manage = 3,
    /// Also change access control and homes.
    Administer = 4,
}

impl Privilege {
    /// Every level, lowest first.
    pub const ALL: [Privilege; 4] = [
        Privilege::View,
        Privilege::Operate,
        Privilege::Manage,
        Privilege::Administer,
    ];

    /// The wire code `[ACL-2]`.
    pub fn code(self) -> u64 {
        self as u64
    }

    /// The level of a wire code, if it names one.
    pub fn from_code(code: u64) -> Option<Privilege> {
        Privilege::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The registry's name of the level.
    pub fn name(self) -> &'static str {
        match self {
            Privilege::View => "view",
            Privilege::Operate => "operate",
            Privilege::Manage => "manage",
            Privilege::Administer => "administer",
        }
    }
}

/// Event priority `[DM-16]`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Priority {
    /// Diagnostics; the first to be dropped when the buffer is full.
    Debug = 0,
    /// Ordinary state changes.
    Info = 1,
    /// Safety and security relevant (door lock operations, alarms).
    Critical = 2,
}

impl Priority {
    /// The wire code.
    pub fn code(self) -> u64 {
        self as u64
    }

    /// The priority of a wire code.
    pub fn from_code(code: u64) -> Option<Priority> {
        [Priority::Debug, Priority::Info, Priority::Critical]
            .into_iter()
            .find(|p| p.code() == code)
    }
}

/// A named value of an enum or a named bit of a bitmap.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NamedValue {
    /// The number (for a bitmap: the bit position).
    pub value: u8,
    /// Its name in the registry.
    pub name: String,
}

/// The shape of a value `[DM-14]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum TypeKind {
    /// `true` or `false`.
    Bool,
    /// An unsigned integer within `min..=max`.
    Uint {
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// A signed integer within `min..=max`.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// One of the listed values.
    Enum(Vec<NamedValue>),
    /// An unsigned integer in which only the listed bits may be set.
    Bitmap(Vec<NamedValue>),
    /// UTF-8 text of `min_len..=max_len` bytes.
    Text {
        /// Fewest bytes.
        min_len: u32,
        /// Most bytes.
        max_len: u32,
    },
    /// A byte string of `min_len..=max_len` bytes.
    Bytes {
        /// Fewest bytes.
        min_len: u32,
        /// Most bytes.
        max_len: u32,
    },
    /// A list of at most `max_items` values of one type.
    List {
        /// The type of every element.
        item: Box<DataType>,
        /// Most elements.
        max_items: u32,
    },
    /// A struct with numbered fields.
    Struct(Vec<Field>),
}

/// A value type: its shape, and whether `null` is allowed `[DM-14]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DataType {
    /// The shape.
    pub kind: TypeKind,
    /// Whether `null` is a valid value (for example "no reading yet").
    pub nullable: bool,
}

impl DataType {
    /// A non-nullable type of `kind`.
    pub fn new(kind: TypeKind) -> Self {
        DataType {
            kind,
            nullable: false,
        }
    }
}

/// A field of a struct, of a command's arguments or result, or of an event.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Field {
    /// The field number (its CBOR map key).
    pub id: FieldId,
    /// Its name in the registry.
    pub name: String,
    /// Its type.
    pub ty: DataType,
    /// The unit of an integer field, if any (`centi-celsius`, `milliwatt`, ...).
    pub unit: Option<String>,
    /// Whether the field may be left out.
    pub optional: bool,
}

/// Whether an attribute can be read, written and reported `[DM-12]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Access {
    /// Readable (privilege view).
    pub read: bool,
    /// Writable (privilege [`AttributeSchema::write_privilege`]).
    pub write: bool,
    /// Reported to subscriptions when it changes.
    pub report: bool,
}

/// An attribute of a capability `[DM-12]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AttributeSchema {
    /// Its identifier.
    pub id: AttributeId,
    /// Its registry name.
    pub name: String,
    /// Its type.
    pub ty: DataType,
    /// The unit of an integer attribute, if any.
    pub unit: Option<String>,
    /// Read, write, report.
    pub access: Access,
    /// The privilege a write needs `[ACL-4]`.
    pub write_privilege: Privilege,
    /// A write must be part of a timed interaction `[IM-40]`.
    pub timed: bool,
    /// The device keeps the value across restarts.
    pub persistent: bool,
    /// A device may leave it out.
    pub optional: bool,
    /// The feature bit it depends on, if any.
    pub feature: Option<u8>,
    /// The initial value.
    pub default: Option<Data>,
}

/// A command of a capability `[DM-13]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CommandSchema {
    /// Its identifier.
    pub id: CommandId,
    /// Its registry name.
    pub name: String,
    /// The privilege an invocation needs `[ACL-4]`.
    pub privilege: Privilege,
    /// An invocation must be part of a timed interaction `[IM-40]`.
    pub timed: bool,
    /// A device may leave it out.
    pub optional: bool,
    /// The feature bit it depends on, if any.
    pub feature: Option<u8>,
    /// The arguments.
    pub args: Vec<Field>,
    /// The result fields.
    pub result: Vec<Field>,
}

/// An event of a capability `[DM-16]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EventSchema {
    /// Its identifier.
    pub id: EventId,
    /// Its registry name.
    pub name: String,
    /// Its priority.
    pub priority: Priority,
    /// A device may leave it out.
    pub optional: bool,
    /// The feature bit it depends on, if any.
    pub feature: Option<u8>,
    /// The event's fields.
    pub fields: Vec<Field>,
}

/// An optional feature of a capability `[DM-15]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Feature {
    /// Its bit in the descriptor's feature map.
    pub bit: u8,
    /// Its registry name.
    pub name: String,
}

/// Everything a controller needs to know to use a capability `[DM-11]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CapabilitySchema {
    /// Its identifier.
    pub id: CapabilityId,
    /// Its registry name (kebab-case).
    pub name: String,
    /// Its schema version `[DM-11]`.
    pub version: u16,
    /// Optional features.
    pub features: Vec<Feature>,
    /// Attributes.
    pub attributes: Vec<AttributeSchema>,
    /// Commands.
    pub commands: Vec<CommandSchema>,
    /// Events.
    pub events: Vec<EventSchema>,
}

impl CapabilitySchema {
    /// The attribute with `id`.
    pub fn attribute(&self, id: AttributeId) -> Option<&AttributeSchema> {
        self.attributes.iter().find(|a| a.id == id)
    }

    /// The command with `id`.
    pub fn command(&self, id: CommandId) -> Option<&CommandSchema> {
        self.commands.iter().find(|c| c.id == id)
    }

    /// The event with `id`.
    pub fn event(&self, id: EventId) -> Option<&EventSchema> {
        self.events.iter().find(|e| e.id == id)
    }

    /// The attribute named `name`.
    pub fn attribute_named(&self, name: &str) -> Option<&AttributeSchema> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The command named `name`.
    pub fn command_named(&self, name: &str) -> Option<&CommandSchema> {
        self.commands.iter().find(|c| c.name == name)
    }

    /// The bit of the feature named `name`.
    pub fn feature_bit(&self, name: &str) -> Option<u8> {
        self.features.iter().find(|f| f.name == name).map(|f| f.bit)
    }
}

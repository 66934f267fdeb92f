//! The data model (`spec/v1/12-data-model.md`): endpoints, capabilities, attributes, commands
//! and events, their types, the standard capability registry and the device descriptor.

mod check;
mod data;
mod descriptor;
pub mod ids;
pub mod registry;
pub mod schema;
mod schema_codec;

pub use check::{check_fields, ConstraintError};
pub use data::Data;
pub use descriptor::{
    CapabilityInstance, Descriptor, DescriptorError, DeviceLimits, EndpointDescriptor,
    DESCRIPTOR_LIMITS, DESCRIPTOR_SIGNATURE_CONTEXT,
};
pub use ids::{AttributeId, CapabilityId, CommandId, EndpointId, EventId, FieldId};
pub use registry::{std_caps, Registry};
pub use schema::{
    Access, AttributeSchema, CapabilitySchema, CommandSchema, DataType, EventSchema, Feature,
    Field, NamedValue, Priority, Privilege, TypeKind,
};

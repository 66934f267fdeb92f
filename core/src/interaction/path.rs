//! Paths: which attributes, events or command a request names `[IM-10]`..`[IM-13]`.

use crate::codec::{CodecError, MapBuilder, MapReader, Value};
use crate::model::{AttributeId, CapabilityId, CommandId, EndpointId, EventId};

/// An attribute path; a missing element is a wildcard `[IM-10]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct AttributePath {
    /// The endpoint, or every endpoint.
    pub endpoint: Option<EndpointId>,
    /// The capability, or every capability.
    pub capability: Option<CapabilityId>,
    /// The attribute, or every attribute.
    pub attribute: Option<AttributeId>,
}

impl AttributePath {
    /// Every attribute of the device.
    pub const ALL: AttributePath = AttributePath {
        endpoint: None,
        capability: None,
        attribute: None,
    };

    /// One attribute.
    pub fn concrete(
        endpoint: EndpointId,
        capability: CapabilityId,
        attribute: AttributeId,
    ) -> Self {
        AttributePath {
            endpoint: Some(endpoint),
            capability: Some(capability),
            attribute: Some(attribute),
        }
    }

    /// Every attribute of one endpoint.
    pub fn endpoint(endpoint: EndpointId) -> Self {
        AttributePath {
            endpoint: Some(endpoint),
            ..Self::ALL
        }
    }

    /// Every attribute of one capability on every endpoint that has it.
    pub fn capability(capability: CapabilityId) -> Self {
        AttributePath {
            capability: Some(capability),
            ..Self::ALL
        }
    }

    /// The concrete attribute this path names, if it has no wildcard.
    pub fn as_concrete(&self) -> Option<ConcreteAttribute> {
        Some(ConcreteAttribute {
            endpoint: self.endpoint?,
            capability: self.capability?,
            attribute: self.attribute?,
        })
    }

    /// Whether `c` is one of the attributes this path names.
    pub fn matches(&self, c: &ConcreteAttribute) -> bool {
        self.endpoint.is_none_or(|e| e == c.endpoint)
            && self.capability.is_none_or(|k| k == c.capability)
            && self.attribute.is_none_or(|a| a == c.attribute)
    }

    pub(crate) fn to_value(self) -> Value {
        MapBuilder::new()
            .opt(0, self.endpoint.map(|e| e.0))
            .opt(1, self.capability.map(|c| c.0))
            .opt(2, self.attribute.map(|a| a.0))
            .build()
    }

    pub(crate) fn from_value(v: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(v)?;
        Ok(AttributePath {
            endpoint: opt_endpoint(&mut m)?,
            capability: opt_u32(&mut m, 1)?.map(CapabilityId),
            attribute: opt_u16(&mut m, 2)?.map(AttributeId),
        })
    }
}

/// One attribute of one capability instance.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ConcreteAttribute {
    /// The endpoint.
    pub endpoint: EndpointId,
    /// The capability.
    pub capability: CapabilityId,
    /// The attribute.
    pub attribute: AttributeId,
}

impl ConcreteAttribute {
    /// A concrete attribute.
    pub fn new(endpoint: EndpointId, capability: CapabilityId, attribute: AttributeId) -> Self {
        ConcreteAttribute {
            endpoint,
            capability,
            attribute,
        }
    }

    /// The same as a path.
    pub fn path(&self) -> AttributePath {
        AttributePath::concrete(self.endpoint, self.capability, self.attribute)
    }

    pub(crate) fn put(self, b: MapBuilder) -> MapBuilder {
        b.put(0, self.endpoint.0)
            .put(1, self.capability.0)
            .put(2, self.attribute.0)
    }

    pub(crate) fn read(m: &mut MapReader) -> Result<Self, CodecError> {
        Ok(ConcreteAttribute {
            endpoint: endpoint(m.uint(0)?)?,
            capability: CapabilityId(m.uint_as(1)?),
            attribute: AttributeId(m.uint_as(2)?),
        })
    }
}

/// An event path; a missing element is a wildcard `[IM-11]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct EventPath {
    /// The endpoint, or every endpoint.
    pub endpoint: Option<EndpointId>,
    /// The capability, or every capability.
    pub capability: Option<CapabilityId>,
    /// The event, or every event.
    pub event: Option<EventId>,
}

impl EventPath {
    /// Every event of the device.
    pub const ALL: EventPath = EventPath {
        endpoint: None,
        capability: None,
        event: None,
    };

    /// Whether an event at these coordinates is one this path names.
    pub fn matches(&self, endpoint: EndpointId, capability: CapabilityId, event: EventId) -> bool {
        self.endpoint.is_none_or(|e| e == endpoint)
            && self.capability.is_none_or(|k| k == capability)
            && self.event.is_none_or(|x| x == event)
    }

    pub(crate) fn to_value(self) -> Value {
        MapBuilder::new()
            .opt(0, self.endpoint.map(|e| e.0))
            .opt(1, self.capability.map(|c| c.0))
            .opt(2, self.event.map(|a| a.0))
            .build()
    }

    pub(crate) fn from_value(v: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(v)?;
        Ok(EventPath {
            endpoint: opt_endpoint(&mut m)?,
            capability: opt_u32(&mut m, 1)?.map(CapabilityId),
            event: opt_u16(&mut m, 2)?.map(EventId),
        })
    }
}

/// A command path; commands have no wildcards `[IM-12]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CommandPath {
    /// The endpoint.
    pub endpoint: EndpointId,
    /// The capability.
    pub capability: CapabilityId,
    /// The command.
    pub command: CommandId,
}

impl CommandPath {
    /// A command path.
    pub fn new(endpoint: EndpointId, capability: CapabilityId, command: CommandId) -> Self {
        CommandPath {
            endpoint,
            capability,
            command,
        }
    }

    pub(crate) fn to_value(self) -> Value {
        MapBuilder::new()
            .put(0, self.endpoint.0)
            .put(1, self.capability.0)
            .put(2, self.command.0)
            .build()
    }

    pub(crate) fn from_value(v: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(v)?;
        Ok(CommandPath {
            endpoint: endpoint(m.uint(0)?)?,
            capability: CapabilityId(m.uint_as(1)?),
            command: CommandId(m.uint_as(2)?),
        })
    }
}

/// An endpoint under key 0; 0xffff is outside the format `[IM-83]`.
pub(crate) fn endpoint(v: u64) -> Result<EndpointId, CodecError> {
    EndpointId::from_wire(v).ok_or(CodecError::OutOfRange { key: 0 })
}

fn opt_endpoint(m: &mut MapReader) -> Result<Option<EndpointId>, CodecError> {
    m.opt_uint(0)?.map(endpoint).transpose()
}

fn opt_u16(m: &mut MapReader, key: u64) -> Result<Option<u16>, CodecError> {
    m.opt_uint(key)?
        .map(|v| u16::try_from(v).map_err(|_| CodecError::OutOfRange { key }))
        .transpose()
}

fn opt_u32(m: &mut MapReader, key: u64) -> Result<Option<u32>, CodecError> {
    m.opt_uint(key)?
        .map(|v| u32::try_from(v).map_err(|_| CodecError::OutOfRange { key }))
        .transpose()
}

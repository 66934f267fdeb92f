//! What a device reports: attribute values or statuses, and event records `[IM-14]`, `[IM-15]`.

use super::path::ConcreteAttribute;
use crate::codec::{CodecError, MapBuilder, MapReader, Value};
use crate::model::{CapabilityId, Data, EndpointId, EventId, Priority};
use crate::status::Status;

/// One attribute's value, or why it could not be read `[IM-14]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AttributeReport {
    /// Which attribute.
    pub path: ConcreteAttribute,
    /// Its value, or the status that replaced it.
    pub result: Result<Data, Status>,
}

impl AttributeReport {
    pub(crate) fn to_value(&self) -> Value {
        let b = self.path.put(MapBuilder::new());
        match &self.result {
            Ok(data) => b.put(3, data.to_value()),
            Err(status) => b.put(4, status.0),
        }
        .build()
    }

    pub(crate) fn from_value(v: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(v)?;
        let path = ConcreteAttribute::read(&mut m)?;
        let result = match (m.take(3), m.opt_uint(4)?) {
            (Some(v), None) => Ok(Data::from_value(v)?),
            (None, Some(s)) => Err(Status(
                u16::try_from(s).map_err(|_| CodecError::OutOfRange { key: 4 })?,
            )),
            _ => return Err(CodecError::MissingField { key: 3 }),
        };
        Ok(AttributeReport { path, result })
    }
}

/// The status of one path of a multi-path operation `[IM-22]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PathStatus {
    /// Which attribute.
    pub path: ConcreteAttribute,
    /// What happened to it.
    pub status: Status,
}

impl PathStatus {
    pub(crate) fn to_value(self) -> Value {
        self.path
            .put(MapBuilder::new())
            .put(4, self.status.0)
            .build()
    }

    pub(crate) fn from_value(v: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(v)?;
        Ok(PathStatus {
            path: ConcreteAttribute::read(&mut m)?,
            status: Status(m.uint_as(4)?),
        })
    }
}

/// One event as the device recorded it `[IM-50]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EventRecord {
    /// The device-wide event number: strictly increasing, never reused `[IM-50]`.
    pub number: u64,
    /// Where it happened.
    pub endpoint: EndpointId,
    /// The capability that defines it.
    pub capability: CapabilityId,
    /// Which event.
    pub event: EventId,
    /// Its priority.
    pub priority: Priority,
    /// Milliseconds since the device started when it was recorded `[IM-51]`.
    pub uptime_ms: u64,
    /// Its fields (a struct).
    pub fields: Data,
}

impl EventRecord {
    pub(crate) fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(0, self.number)
            .put(1, self.endpoint.0)
            .put(2, self.capability.0)
            .put(3, self.event.0)
            .put(4, self.priority.code())
            .put(5, self.uptime_ms)
            .put(6, self.fields.to_value())
            .build()
    }

    pub(crate) fn from_value(v: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(v)?;
        Ok(EventRecord {
            number: m.uint(0)?,
            endpoint: EndpointId(m.uint_as(1)?),
            capability: CapabilityId(m.uint_as(2)?),
            event: EventId(m.uint_as(3)?),
            priority: Priority::from_code(m.uint(4)?).ok_or(CodecError::OutOfRange { key: 4 })?,
            uptime_ms: m.uint(5)?,
            fields: Data::from_value(m.required(6)?)?,
        })
    }
}

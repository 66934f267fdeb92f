//! The device descriptor: what a device is made of, signed so it can be cached `[DM-40]`..`[DM-45]`.

use super::ids::{AttributeId, CapabilityId, CommandId, EndpointId, EventId};
use super::schema::CapabilitySchema;
use super::schema_codec;
use crate::codec::{CborMessage, CodecError, Limits, MapBuilder, MapReader, Value};
use crate::crypto::sign::{PublicKey, Signature, SigningKey};

/// The context string a descriptor signature covers before the descriptor's bytes `[DM-41]`.
pub const DESCRIPTOR_SIGNATURE_CONTEXT: &[u8] = b"Orbit v1 descriptor";

/// Limits of a descriptor's encoding `[DM-44]`.
pub const DESCRIPTOR_LIMITS: Limits = Limits {
    max_message: 4096,
    max_depth: 22,
    max_collection: 128,
    max_string: 256,
    max_items: 2048,
};

/// One capability on one endpoint, as the device implements it `[DM-42]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CapabilityInstance {
    /// Which capability.
    pub id: CapabilityId,
    /// The schema version the device implements.
    pub version: u16,
    /// The optional features it supports, as a bitmap of feature bits.
    pub features: u32,
    /// The attributes present (optional ones the device left out are absent).
    pub attributes: Vec<AttributeId>,
    /// The commands it accepts.
    pub commands: Vec<CommandId>,
    /// The events it may emit.
    pub events: Vec<EventId>,
}

/// One endpoint `[DM-2]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EndpointDescriptor {
    /// Its number.
    pub id: EndpointId,
    /// A short label (such as "socket 2"), possibly empty.
    pub label: String,
    /// Its capabilities, in ascending ID order.
    pub capabilities: Vec<CapabilityInstance>,
}

/// The limits the device enforces, so a controller can stay within them `[DM-43]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DeviceLimits {
    /// Most paths in one request `[IM-80]`.
    pub max_paths_per_request: u32,
    /// Most subscriptions per session `[IM-81]`.
    pub max_subscriptions_per_session: u32,
    /// Most subscriptions per home `[IM-81]`.
    pub max_subscriptions_per_home: u32,
    /// Events the device buffers `[IM-52]`.
    pub event_buffer: u32,
    /// Largest interaction message it accepts and sends, in bytes `[IM-4]`.
    pub max_message: u32,
}

/// A device's descriptor `[DM-40]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Descriptor {
    /// The Orbit protocol version the device implements.
    pub spec_version: u16,
    /// Vendor ID.
    pub vendor_id: u16,
    /// Product ID.
    pub product_id: u16,
    /// Changes whenever the descriptor's content changes, so a cached copy can be revalidated.
    pub revision: u32,
    /// Endpoints, in ascending order.
    pub endpoints: Vec<EndpointDescriptor>,
    /// Limits.
    pub limits: DeviceLimits,
    /// The schema of every vendor capability the device implements `[DM-31]`.
    pub vendor_schemas: Vec<CapabilitySchema>,
}

impl Descriptor {
    /// The endpoint with `id`.
    pub fn endpoint(&self, id: EndpointId) -> Option<&EndpointDescriptor> {
        self.endpoints.iter().find(|e| e.id == id)
    }

    /// Signs the descriptor's encoding with the device's operational key `[DM-41]`: returns
    /// the encoding and the signature.
    pub fn sign(&self, key: &SigningKey) -> (Vec<u8>, Signature) {
        let bytes = self.to_bytes();
        let signature = key.sign(&signed_data(&bytes));
        (bytes, signature)
    }

    /// Verifies a signed descriptor against the device's operational public key (from its
    /// certificate) and decodes it `[DM-41]`.
    pub fn verify(
        bytes: &[u8],
        signature: &[u8],
        key: &PublicKey,
    ) -> Result<Descriptor, DescriptorError> {
        let signature =
            Signature::from_slice(signature).map_err(|_| DescriptorError::BadSignature)?;
        key.verify(&signed_data(bytes), &signature)
            .map_err(|_| DescriptorError::BadSignature)?;
        Descriptor::decode(bytes).map_err(DescriptorError::Codec)
    }
}

fn signed_data(bytes: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(DESCRIPTOR_SIGNATURE_CONTEXT.len() + bytes.len());
    data.extend_from_slice(DESCRIPTOR_SIGNATURE_CONTEXT);
    data.extend_from_slice(bytes);
    data
}

/// Why a signed descriptor was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DescriptorError {
    /// `[DM-41]` the signature does not verify under the device's operational key.
    #[error("descriptor signature does not verify")]
    BadSignature,
    /// The descriptor could not be decoded.
    #[error("descriptor malformed: {0}")]
    Codec(CodecError),
}

fn ids<T: Copy>(items: &[T], f: impl Fn(T) -> u64) -> Value {
    Value::Array(items.iter().map(|i| Value::Integer(f(*i).into())).collect())
}

fn read_ids<T>(
    m: &mut MapReader,
    key: u64,
    f: impl Fn(u64) -> Option<T>,
) -> Result<Vec<T>, CodecError> {
    match m.take(key) {
        // [CBOR-11] a required list is never left out, even when empty.
        None => Err(CodecError::MissingField { key }),
        Some(Value::Array(a)) => a
            .into_iter()
            .map(|v| {
                let n = crate::codec::value_uint(v, key)?;
                f(n).ok_or(CodecError::OutOfRange { key })
            })
            .collect(),
        Some(_) => Err(CodecError::WrongType {
            key,
            expected: "array",
        }),
    }
}

impl CapabilityInstance {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(0, self.id.0)
            .put(1, self.version)
            .put(2, self.features)
            .put(3, ids(&self.attributes, |a| a.0.into()))
            .put(4, ids(&self.commands, |c| c.0.into()))
            .put(5, ids(&self.events, |e| e.0.into()))
            .build()
    }

    fn from_value(v: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(v)?;
        Ok(CapabilityInstance {
            id: CapabilityId(m.uint_as(0)?),
            version: m.uint_as(1)?,
            features: m.uint_as(2)?,
            attributes: read_ids(&mut m, 3, |n| u16::try_from(n).ok().map(AttributeId))?,
            commands: read_ids(&mut m, 4, |n| u16::try_from(n).ok().map(CommandId))?,
            events: read_ids(&mut m, 5, |n| u16::try_from(n).ok().map(EventId))?,
        })
    }
}

impl EndpointDescriptor {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(0, self.id.0)
            .put(1, self.label.as_str())
            .put(
                2,
                Value::Array(
                    self.capabilities
                        .iter()
                        .map(CapabilityInstance::to_value)
                        .collect(),
                ),
            )
            .build()
    }

    fn from_value(v: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(v)?;
        Ok(EndpointDescriptor {
            // [IM-83] 0xffff is never an endpoint [DM-2]: a descriptor naming it is malformed.
            id: EndpointId::from_wire(m.uint(0)?).ok_or(CodecError::OutOfRange { key: 0 })?,
            label: m
                .take(1)
                .map(|v| match v {
                    Value::Text(t) => Ok(t),
                    _ => Err(CodecError::WrongType {
                        key: 1,
                        expected: "text string",
                    }),
                })
                .transpose()?
                .unwrap_or_default(),
            capabilities: m.list_of(2, CapabilityInstance::from_value)?,
        })
    }
}

impl DeviceLimits {
    fn to_value(self) -> Value {
        MapBuilder::new()
            .put(0, self.max_paths_per_request)
            .put(1, self.max_subscriptions_per_session)
            .put(2, self.max_subscriptions_per_home)
            .put(3, self.event_buffer)
            .put(4, self.max_message)
            .build()
    }

    fn from_value(v: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(v)?;
        Ok(DeviceLimits {
            max_paths_per_request: m.uint_as(0)?,
            max_subscriptions_per_session: m.uint_as(1)?,
            max_subscriptions_per_home: m.uint_as(2)?,
            event_buffer: m.uint_as(3)?,
            max_message: m.uint_as(4)?,
        })
    }
}

impl CborMessage for Descriptor {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(0, self.spec_version)
            .put(1, self.vendor_id)
            .put(2, self.product_id)
            .put(3, self.revision)
            .put(
                4,
                Value::Array(
                    self.endpoints
                        .iter()
                        .map(EndpointDescriptor::to_value)
                        .collect(),
                ),
            )
            .put(5, self.limits.to_value())
            .put(
                6,
                Value::Array(
                    self.vendor_schemas
                        .iter()
                        .map(schema_codec::to_value)
                        .collect(),
                ),
            )
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(value)?;
        Ok(Descriptor {
            spec_version: m.uint_as(0)?,
            vendor_id: m.uint_as(1)?,
            product_id: m.uint_as(2)?,
            revision: m.uint_as(3)?,
            endpoints: m.list_of(4, EndpointDescriptor::from_value)?,
            limits: DeviceLimits::from_value(m.required(5)?)?,
            vendor_schemas: m.list_of(6, schema_codec::from_value)?,
        })
    }

    fn limits() -> Limits {
        DESCRIPTOR_LIMITS
    }
}

//! Composing a device from capabilities `[DM-2]`, `[DM-3]`.

use super::behavior::Behavior;
use super::node::DeviceNode;
use crate::interaction::ConcreteAttribute;
use crate::model::{
    std_caps, AttributeId, CapabilityId, CapabilitySchema, Data, DeviceLimits, EndpointId,
    Registry, TypeKind,
};
use std::time::Instant;
use thiserror::Error;

/// Who made the device; becomes the basic-information capability on endpoint 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Vendor ID (as in the attestation chain).
    pub vendor_id: u16,
    /// Vendor name.
    pub vendor_name: String,
    /// Product ID.
    pub product_id: u16,
    /// Product name.
    pub product_name: String,
    /// Serial number.
    pub serial_number: String,
    /// Hardware version.
    pub hardware_version: String,
    /// Firmware version.
    pub firmware_version: String,
}

/// An endpoint under construction: its capabilities, initial values and behaviour.
pub struct Endpoint {
    pub(crate) id: EndpointId,
    pub(crate) label: String,
    /// Each capability with the bit numbers of the features it supports.
    pub(crate) capabilities: Vec<(CapabilityId, Vec<u8>)>,
    pub(crate) omitted: Vec<(CapabilityId, AttributeId)>,
    pub(crate) initial: Vec<(CapabilityId, AttributeId, Data)>,
    pub(crate) behavior: Box<dyn Behavior>,
}

impl Endpoint {
    /// An endpoint numbered `id` whose commands and writes `behavior` handles.
    pub fn new(id: u16, label: &str, behavior: impl Behavior + 'static) -> Self {
        Endpoint {
            id: EndpointId(id),
            label: label.to_owned(),
            capabilities: Vec::new(),
            omitted: Vec::new(),
            initial: Vec::new(),
            behavior: Box::new(behavior),
        }
    }

    /// Adds a capability without optional features.
    pub fn with(self, capability: CapabilityId) -> Self {
        self.with_features(capability, &[])
    }

    /// Adds a capability supporting the optional `features`, given by their bit numbers as the
    /// registry names them (`color::features::HUE_SATURATION`) `[DM-15]`.
    pub fn with_features(mut self, capability: CapabilityId, features: &[u8]) -> Self {
        self.capabilities.push((capability, features.to_vec()));
        self
    }

    /// Leaves out an optional attribute.
    pub fn omit(mut self, capability: CapabilityId, attribute: AttributeId) -> Self {
        self.omitted.push((capability, attribute));
        self
    }

    /// Sets an attribute's initial value (instead of the registry default).
    pub fn set(
        mut self,
        capability: CapabilityId,
        attribute: AttributeId,
        value: impl Into<Data>,
    ) -> Self {
        self.initial.push((capability, attribute, value.into()));
        self
    }
}

/// Why a device definition was rejected.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// The capability is neither standard nor a registered vendor capability.
    #[error("unknown capability {0}")]
    UnknownCapability(CapabilityId),
    /// Two endpoints with one number, or endpoint 0 defined by the maker.
    #[error("endpoint {0:?} defined twice or reserved")]
    DuplicateEndpoint(EndpointId),
    /// An initial value names a missing attribute or does not fit its type.
    #[error("initial value of {0:?} is invalid")]
    InvalidInitialValue(ConcreteAttribute),
    /// A capability added to an endpoint that already has it (on endpoint 0, one of the
    /// three every device has, or one added twice with [`DeviceBuilder::root_capability`]).
    #[error("capability {1} is already on endpoint {0:?}")]
    DuplicateCapability(EndpointId, CapabilityId),
    /// A feature bit number the capability does not define.
    #[error("capability {0} has no feature with bit number {1}")]
    UnknownFeature(CapabilityId, u8),
}

/// Builds a [`DeviceNode`].
pub struct DeviceBuilder {
    pub(crate) info: DeviceInfo,
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) registry: Registry,
    pub(crate) limits: DeviceLimits,
    pub(crate) first_event_number: u64,
    /// Device-wide capabilities the maker adds to endpoint 0, after the three every device
    /// has `[DM-3]`.
    pub(crate) root_extra: Vec<CapabilityId>,
}

/// The limits the reference implementation enforces by default `[IM-80]`, `[IM-81]`,
/// `[IM-52]`, `[IM-4]`.
pub const DEFAULT_LIMITS: DeviceLimits = DeviceLimits {
    max_paths_per_request: 16,
    max_subscriptions_per_session: 4,
    max_subscriptions_per_home: 16,
    event_buffer: 64,
    max_message: 8192,
};

impl DeviceBuilder {
    /// A device made by `info`'s vendor, with only the root endpoint.
    pub fn new(info: DeviceInfo) -> Self {
        DeviceBuilder {
            info,
            endpoints: Vec::new(),
            registry: Registry::standard().clone(),
            limits: DEFAULT_LIMITS,
            first_event_number: 1,
            root_extra: Vec::new(),
        }
    }

    /// Adds a device-wide capability to the root endpoint, next to the three every device has
    /// `[DM-3]`: for example `network`, which says where the device accepts Orbit over QUIC
    /// `[BLE-25]`. Its attributes start at their registry defaults; the driver sets them with
    /// [`DeviceNode::update`] on [`EndpointId::ROOT`], which reports changes to subscriptions.
    /// Endpoint 0 has no behaviour, so writes of the capability's writable attributes are
    /// stored as they are and its commands are answered `unsupported-command`: use it for
    /// capabilities whose values the device itself maintains.
    pub fn root_capability(mut self, capability: CapabilityId) -> Self {
        self.root_extra.push(capability);
        self
    }

    /// Adds an endpoint.
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoints.push(endpoint);
        self
    }

    /// Registers a vendor capability's schema so endpoints can use it; it is published in the
    /// descriptor `[DM-31]`.
    pub fn vendor_capability(mut self, schema: CapabilitySchema) -> Self {
        self.registry.insert(schema);
        self
    }

    /// Overrides the limits (for tests of limit handling).
    pub fn limits(mut self, limits: DeviceLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Continues event numbering after a restart from a persisted high-water mark `[IM-50]`.
    pub fn first_event_number(mut self, n: u64) -> Self {
        self.first_event_number = n;
        self
    }

    /// Builds the device; `now` is its start time (event timestamps count from it).
    pub fn build(self, now: Instant) -> Result<DeviceNode, BuildError> {
        DeviceNode::from_builder(self, now)
    }
}

/// The value an attribute starts with when neither the registry nor the maker gives one.
pub(crate) fn zero_value(kind: &TypeKind, nullable: bool) -> Data {
    if nullable {
        return Data::Null;
    }
    match kind {
        TypeKind::Bool => Data::Bool(false),
        TypeKind::Uint { min, .. } => Data::Uint(*min),
        TypeKind::Int { min, max } => Data::int(0i64.clamp(*min, (*max).max(*min))),
        TypeKind::Enum(values) => Data::Uint(values.first().map_or(0, |v| v.value.into())),
        TypeKind::Bitmap(_) => Data::Uint(0),
        TypeKind::Text { min_len, .. } => Data::Text(" ".repeat(*min_len as usize)),
        TypeKind::Bytes { min_len, .. } => Data::Bytes(vec![0; *min_len as usize]),
        TypeKind::List { .. } => Data::List(Vec::new()),
        TypeKind::Struct(fields) => Data::Struct(
            fields
                .iter()
                .filter(|f| !f.optional)
                .map(|f| (f.id.0, zero_value(&f.ty.kind, f.ty.nullable)))
                .collect(),
        ),
    }
}

/// The root endpoint's capabilities `[DM-3]`.
pub(crate) fn root_capabilities() -> [CapabilityId; 3] {
    [
        std_caps::basic_information::ID,
        std_caps::access_control::ID,
        std_caps::administration::ID,
    ]
}

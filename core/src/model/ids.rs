//! Newtype identifiers of the data model `[DM-2]`, `[DM-10]`.
//!
//! Each is a plain number on the wire; an identifier this version does not know decodes and
//! re-encodes unchanged `[CBOR-9]`.

use std::fmt;

/// An endpoint (a component of a device) `[DM-2]`. Endpoint 0 is the root endpoint.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct EndpointId(pub u16);

impl EndpointId {
    /// The root endpoint, which holds the device-wide capabilities `[DM-3]`.
    pub const ROOT: EndpointId = EndpointId(0);
    /// The largest endpoint number a device may use `[DM-2]`.
    pub const MAX: EndpointId = EndpointId(0xfffe);

    /// The endpoint numbered `v` as a message may carry it: `None` for a number above
    /// [`EndpointId::MAX`], which is outside the message format (`endpoint-id` in the CDDL),
    /// so the message cannot be decoded `[IM-83]`.
    pub fn from_wire(v: u64) -> Option<EndpointId> {
        u16::try_from(v)
            .ok()
            .map(EndpointId)
            .filter(|e| *e <= EndpointId::MAX)
    }
}

/// A capability identifier: `(vendor ID << 16) | number` `[DM-10]`.
///
/// Standard capabilities have vendor 0; a vendor's own capabilities carry its vendor ID, so two
/// vendors never collide.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CapabilityId(pub u32);

impl CapabilityId {
    /// A vendor capability: `number` in `vendor`'s namespace `[DM-10]`, `[DM-30]`.
    pub const fn vendor_specific(vendor: u16, number: u16) -> Self {
        CapabilityId(((vendor as u32) << 16) | number as u32)
    }

    /// The namespace: 0 for standard capabilities, otherwise the vendor ID.
    pub const fn vendor(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The number within the namespace.
    pub const fn number(self) -> u16 {
        (self.0 & 0xffff) as u16
    }

    /// Whether this is a standard (registry) capability.
    pub const fn is_standard(self) -> bool {
        self.vendor() == 0
    }
}

impl fmt::Debug for CapabilityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_standard() {
            write!(f, "CapabilityId({:#06x})", self.0)
        } else {
            write!(
                f,
                "CapabilityId(vendor {:#06x}, {:#06x})",
                self.vendor(),
                self.number()
            )
        }
    }
}

impl fmt::Display for CapabilityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// An attribute within a capability.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct AttributeId(pub u16);

/// A command within a capability.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct CommandId(pub u16);

/// An event within a capability.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct EventId(pub u16);

/// A field of a struct, of command arguments or results, or of an event.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct FieldId(pub u8);

//! The device node: a device model answering interaction requests `[IM-1]`.

use super::acl::{AccessControl, AclEntry};
use super::behavior::Behavior;
use super::builder::{root_capabilities, zero_value, BuildError, DeviceBuilder, DeviceInfo};
use super::events::EventLog;
use super::store::AttributeStore;
use super::subscription::Subscription;
use crate::cert::{HomeId, NodeId};
use crate::crypto::sign::SigningKey;
use crate::interaction::ConcreteAttribute;
use crate::model::{
    std_caps, CapabilityId, CapabilityInstance, Data, Descriptor, DeviceLimits, EndpointDescriptor,
    EndpointId, Privilege, Registry,
};
use crate::status::Status;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// Who sent a request: the authenticated peer of the session it arrived on `[ACL-1]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Requester {
    /// The session (any number unique among the node's open sessions).
    pub session: u64,
    /// The peer's home.
    pub home: HomeId,
    /// The peer's node identifier in that home.
    pub node: NodeId,
}

/// Something the device's driver must act on.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum NodeEvent {
    /// An administrator opened a pairing window `[ACL-10]`: the driver opens it as a
    /// deliberate opening (lifting a lock-out, `[PAIR-31]`), as the node already answered
    /// success `[ACL-11]`.
    OpenPairingWindow {
        /// How long it stays open.
        duration: Duration,
    },
    /// An administrator closed the pairing window.
    ClosePairingWindow,
    /// A home was removed `[ACL-9]`: delete its membership and end its sessions.
    HomeRemoved {
        /// The home.
        home: HomeId,
    },
}

/// A message to send on a session.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Outgoing {
    /// The session to send it on.
    pub session: u64,
    /// The encoded interaction message (to be sealed by the session's protector).
    pub bytes: Vec<u8>,
}

pub(crate) struct EndpointState {
    pub(crate) label: String,
    pub(crate) capabilities: Vec<(CapabilityId, u32)>,
    /// `None` for the root endpoint, whose capabilities the node implements itself.
    pub(crate) behavior: Option<Box<dyn Behavior>>,
}

/// A timed interaction window `[IM-40]`.
pub(crate) struct TimedWindow {
    pub(crate) session: u64,
    pub(crate) exchange: u32,
    pub(crate) deadline: Instant,
}

/// A device built from capabilities and behaviours, answering requests of any number of
/// sessions. Sans-IO: requests come in as bytes with the time; answers and reports go out as
/// bytes; [`DeviceNode::poll_timeout`] says when to call [`DeviceNode::handle_timeout`].
pub struct DeviceNode {
    pub(crate) info: DeviceInfo,
    pub(crate) start: Instant,
    pub(crate) store: AttributeStore,
    pub(crate) endpoints: BTreeMap<EndpointId, EndpointState>,
    pub(crate) registry: Registry,
    pub(crate) limits: DeviceLimits,
    pub(crate) acl: AccessControl,
    pub(crate) events: EventLog,
    pub(crate) homes: BTreeMap<HomeId, SigningKey>,
    pub(crate) subscriptions: Vec<Subscription>,
    pub(crate) next_subscription: u32,
    pub(crate) timed: Vec<TimedWindow>,
    pub(crate) node_events: VecDeque<NodeEvent>,
    pub(crate) revision: u32,
    /// Checks this node skips (conformance tests only).
    #[cfg(feature = "conformance-faults")]
    pub(crate) faults: crate::faults::Faults,
}

impl DeviceNode {
    pub(crate) fn from_builder(b: DeviceBuilder, now: Instant) -> Result<Self, BuildError> {
        let mut store = AttributeStore::default();
        let mut endpoints = BTreeMap::new();
        let mut root_caps: Vec<CapabilityId> = root_capabilities().to_vec();
        for cap in &b.root_extra {
            if root_caps.contains(cap) {
                return Err(BuildError::DuplicateCapability(EndpointId::ROOT, *cap));
            }
            root_caps.push(*cap);
        }
        let root = EndpointState {
            label: String::new(),
            capabilities: root_caps.iter().map(|c| (*c, 0)).collect(),
            behavior: None,
        };
        endpoints.insert(EndpointId::ROOT, root);
        let mut initial = Vec::new();
        for ep in b.endpoints {
            if ep.id == EndpointId::ROOT
                || ep.id > EndpointId::MAX
                || endpoints.contains_key(&ep.id)
            {
                return Err(BuildError::DuplicateEndpoint(ep.id));
            }
            for (c, a, v) in ep.initial {
                initial.push((ConcreteAttribute::new(ep.id, c, a), v));
            }
            let omitted = ep.omitted;
            let mut capabilities = Vec::with_capacity(ep.capabilities.len());
            for (cap, bits) in &ep.capabilities {
                let schema = b
                    .registry
                    .get(*cap)
                    .ok_or(BuildError::UnknownCapability(*cap))?;
                let mut features = 0u32;
                for bit in bits {
                    if !schema.features.iter().any(|f| f.bit == *bit) {
                        return Err(BuildError::UnknownFeature(*cap, *bit));
                    }
                    // Defined feature bits are 0..=31 ([DM-15]), checked by the registry.
                    features |= 1u32.checked_shl((*bit).into()).unwrap_or(0);
                }
                capabilities.push((*cap, features));
                let mut instance = schema.clone();
                let has = |bit: Option<u8>| {
                    bit.is_none_or(|b| features & 1u32.checked_shl(b.into()).unwrap_or(0) != 0)
                };
                instance
                    .attributes
                    .retain(|a| has(a.feature) && !(a.optional && omitted.contains(&(*cap, a.id))));
                instance.commands.retain(|c| has(c.feature));
                instance.events.retain(|e| has(e.feature));
                for a in &instance.attributes {
                    let value = a
                        .default
                        .clone()
                        .unwrap_or_else(|| zero_value(&a.ty.kind, a.ty.nullable));
                    store.init(ConcreteAttribute::new(ep.id, *cap, a.id), value);
                }
                store.add_instance(ep.id, instance);
            }
            endpoints.insert(
                ep.id,
                EndpointState {
                    label: ep.label,
                    capabilities,
                    behavior: Some(ep.behavior),
                },
            );
        }
        for cap in root_caps {
            let schema = b
                .registry
                .get(cap)
                .ok_or(BuildError::UnknownCapability(cap))?
                .clone();
            for a in &schema.attributes {
                let value = a
                    .default
                    .clone()
                    .unwrap_or_else(|| zero_value(&a.ty.kind, a.ty.nullable));
                store.init(ConcreteAttribute::new(EndpointId::ROOT, cap, a.id), value);
            }
            store.add_instance(EndpointId::ROOT, schema);
        }
        let mut node = DeviceNode {
            info: b.info,
            start: now,
            store,
            endpoints,
            registry: b.registry,
            limits: b.limits,
            acl: AccessControl::default(),
            events: EventLog::new(b.limits.event_buffer as usize, b.first_event_number),
            homes: BTreeMap::new(),
            subscriptions: Vec::new(),
            next_subscription: 1,
            timed: Vec::new(),
            node_events: VecDeque::new(),
            revision: 1,
            #[cfg(feature = "conformance-faults")]
            faults: crate::faults::Faults::NONE,
        };
        node.init_root()?;
        for (attr, value) in initial {
            node.store
                .set(attr, value)
                .map_err(|_| BuildError::InvalidInitialValue(attr))?;
        }
        node.store.take_changed();
        node.record_start_up(now);
        Ok(node)
    }

    /// Records basic-information's `start-up` event `[DM-47]`, which the root endpoint's descriptor
    /// lists: once each time the device starts, with the firmware version that started.
    /// A device restored from a store continues its event numbers afterwards
    /// ([`DeviceNode::continue_event_numbers`]), which renumbers this event `[IM-50]`.
    fn record_start_up(&mut self, now: Instant) {
        use std_caps::basic_information::{events, ID};
        let firmware = Data::Struct(vec![(
            events::start_up_fields::FIRMWARE_VERSION.0,
            Data::Text(self.info.firmware_version.clone()),
        )]);
        // The root endpoint always has the event, and init_root already held the firmware
        // version to the same text type, so this cannot fail.
        let _ = self.update(now, EndpointId::ROOT, |ctx| {
            ctx.emit(ID, events::START_UP, firmware)
        });
    }

    fn init_root(&mut self) -> Result<(), BuildError> {
        use std_caps::basic_information::{attributes as bi, ID};
        let info = self.info.clone();
        let values: [(crate::model::AttributeId, Data); 8] = [
            (bi::VENDOR_ID, info.vendor_id.into()),
            (bi::VENDOR_NAME, info.vendor_name.into()),
            (bi::PRODUCT_ID, info.product_id.into()),
            (bi::PRODUCT_NAME, info.product_name.into()),
            (bi::SERIAL_NUMBER, info.serial_number.into()),
            (bi::HARDWARE_VERSION, info.hardware_version.into()),
            (bi::FIRMWARE_VERSION, info.firmware_version.into()),
            (
                bi::SPEC_VERSION,
                Data::Uint(u64::from(crate::version::ProtocolVersion::V1.0)),
            ),
        ];
        for (attr, value) in values {
            let path = ConcreteAttribute::new(EndpointId::ROOT, ID, attr);
            self.store
                .set(path, value)
                .map_err(|_| BuildError::InvalidInitialValue(path))?;
        }
        let max_homes = ConcreteAttribute::new(
            EndpointId::ROOT,
            std_caps::administration::ID,
            std_caps::administration::attributes::MAX_HOMES,
        );
        self.store
            .set(
                max_homes,
                Data::Uint(crate::cert::MIN_HOMES_PER_DEVICE as u64),
            )
            .map_err(|_| BuildError::InvalidInitialValue(max_homes))?;
        Ok(())
    }

    /// Adds a home the device was commissioned into: `key` is its operational key in that
    /// home (signs descriptors `[DM-41]`), `admin` the administrator node that gets an
    /// administer entry `[ACL-6]`.
    pub fn add_home(&mut self, home: HomeId, key: SigningKey, admin: NodeId) {
        self.homes.insert(home, key);
        if !self.acl.home_entries(home).any(|_| true) {
            self.acl
                .add(AclEntry::whole_device(home, admin, Privilege::Administer));
        }
        self.sync_root_attributes();
    }

    /// Turns on the fault switches `faults` (conformance tests only, see [`crate::faults`]).
    #[cfg(feature = "conformance-faults")]
    pub fn set_faults(&mut self, faults: crate::faults::Faults) {
        self.faults = faults;
        self.events.faults = faults;
    }

    /// Removes a home: its access control entries and subscriptions `[ACL-9]`.
    pub fn remove_home(&mut self, home: HomeId) -> bool {
        let known = self.homes.remove(&home).is_some();
        self.acl.remove_home(home);
        self.subscriptions.retain(|s| s.home != home);
        self.sync_root_attributes();
        if known {
            self.node_events.push_back(NodeEvent::HomeRemoved { home });
        }
        known
    }

    /// Keeps the `acl` and `homes` attributes equal to the node's state.
    pub(crate) fn sync_root_attributes(&mut self) {
        let acl = Data::List(self.acl.entries().iter().map(AclEntry::to_data).collect());
        let homes = Data::List(
            self.homes
                .keys()
                .map(|h| Data::Struct(vec![(0, Data::Uint(*h)), (1, Data::Text(String::new()))]))
                .collect(),
        );
        let _ = self.store.set(
            ConcreteAttribute::new(
                EndpointId::ROOT,
                std_caps::access_control::ID,
                std_caps::access_control::attributes::ACL,
            ),
            acl,
        );
        let _ = self.store.set(
            ConcreteAttribute::new(
                EndpointId::ROOT,
                std_caps::administration::ID,
                std_caps::administration::attributes::HOMES,
            ),
            homes,
        );
    }

    /// The access control list.
    pub fn access_control(&self) -> &AccessControl {
        &self.acl
    }

    /// Replaces the whole access control list with `entries` as a store persisted them, for
    /// a device starting up. Entries of homes the node does not have are dropped.
    pub fn restore_access_control(&mut self, entries: Vec<AclEntry>) {
        self.acl = AccessControl::default();
        for e in entries {
            if self.homes.contains_key(&e.home) {
                self.acl.add(e);
            }
        }
        self.sync_root_attributes();
    }

    /// A number that changes whenever any attribute value changes (the access control list
    /// and the homes included, as attributes of the root endpoint); equal numbers mean
    /// nothing changed. A driver uses it to decide cheaply whether to persist.
    pub fn state_revision(&self) -> u64 {
        self.store.revision()
    }

    /// The homes the device belongs to.
    pub fn homes(&self) -> impl Iterator<Item = HomeId> + '_ {
        self.homes.keys().copied()
    }

    /// The current values of the attributes marked `persistent` in their schema, which a
    /// device keeps across restarts `[DM-12]`, on every endpoint, the root's `node-label`
    /// included (the access control list is persisted through
    /// [`DeviceNode::access_control`] instead, as entries the node keeps in step with it).
    pub fn persistent_values(&self) -> Vec<(ConcreteAttribute, Data)> {
        let acl = ConcreteAttribute::new(
            EndpointId::ROOT,
            std_caps::access_control::ID,
            std_caps::access_control::attributes::ACL,
        );
        self.store
            .iter()
            .filter(|(a, _)| **a != acl)
            .filter(|(a, _)| {
                self.store
                    .schema(a.endpoint, a.capability)
                    .and_then(|s| s.attribute(a.attribute))
                    .is_some_and(|s| s.persistent)
            })
            .map(|(a, v)| (*a, v.clone()))
            .collect()
    }

    /// Puts back a persisted attribute value at start-up. A value that no longer fits (after
    /// a firmware update changed the schema) is refused and the default stays.
    pub fn restore_value(&mut self, attr: ConcreteAttribute, value: Data) -> Result<(), Status> {
        self.store.set(attr, value)?;
        self.store.take_changed_one(&attr);
        Ok(())
    }

    /// The current value of an attribute (for the device's own use and for tests).
    pub fn attribute(&self, attr: ConcreteAttribute) -> Option<&Data> {
        self.store.get(&attr)
    }

    /// Changes state from the device side (a button, a sensor reading): `f` runs with the
    /// endpoint's context; changes are reported to subscriptions.
    pub fn update<R>(
        &mut self,
        now: Instant,
        endpoint: EndpointId,
        f: impl FnOnce(&mut super::Context<'_>) -> R,
    ) -> R {
        let mut ctx = super::Context::new(
            &mut self.store,
            &mut self.events,
            self.start,
            now,
            endpoint,
            None,
        );
        let r = f(&mut ctx);
        self.propagate_changes();
        r
    }

    /// The next [`NodeEvent`] for the driver.
    pub fn poll_event(&mut self) -> Option<NodeEvent> {
        self.node_events.pop_front()
    }

    /// The number the next event will get.
    pub fn next_event_number(&self) -> u64 {
        self.events.next_number()
    }

    /// The end of a new block of event numbers the driver must persist, or `None` while the
    /// block it last persisted has numbers enough `[IM-50]`. Once the end is stored, the
    /// driver calls [`DeviceNode::event_numbers_reserved`]; after a restart it passes the
    /// stored end to [`DeviceNode::continue_event_numbers`].
    pub fn event_number_reservation(&self) -> Option<u64> {
        self.events.reservation_wanted()
    }

    /// The end (exclusive) of the block of event numbers the driver last stored `[IM-50]`.
    pub fn event_numbers_end(&self) -> u64 {
        self.events.reserved_end()
    }

    /// The driver stored `end` as the end of the reserved block of event numbers `[IM-50]`.
    pub fn event_numbers_reserved(&mut self, end: u64) {
        self.events.reserved(end);
    }

    /// At start-up, before serving: continues event numbering from the block end a previous
    /// run persisted, so numbers only grow across restarts `[IM-50]` (the start-up event
    /// already recorded is renumbered from it).
    pub fn continue_event_numbers(&mut self, persisted_end: u64) {
        self.events.continue_from(persisted_end);
    }

    /// The limits the device enforces.
    pub fn limits(&self) -> DeviceLimits {
        self.limits
    }

    /// A session ended: its subscriptions and timed windows go with it `[IM-66]`.
    pub fn session_closed(&mut self, session: u64) {
        self.subscriptions.retain(|s| s.session != session);
        self.timed.retain(|t| t.session != session);
    }

    /// The device's descriptor `[DM-40]`.
    pub fn descriptor(&self) -> Descriptor {
        let endpoints = self
            .endpoints
            .iter()
            .map(|(id, ep)| EndpointDescriptor {
                id: *id,
                label: ep.label.clone(),
                capabilities: {
                    let mut caps: Vec<CapabilityInstance> = ep
                        .capabilities
                        .iter()
                        .filter_map(|(cap, features)| {
                            let s = self.store.schema(*id, *cap)?;
                            Some(CapabilityInstance {
                                id: *cap,
                                version: s.version,
                                features: *features,
                                attributes: s.attributes.iter().map(|a| a.id).collect(),
                                commands: s.commands.iter().map(|c| c.id).collect(),
                                events: s.events.iter().map(|e| e.id).collect(),
                            })
                        })
                        .collect();
                    caps.sort_by_key(|c| c.id);
                    caps
                },
            })
            .collect();
        let mut vendor: Vec<CapabilityId> = self
            .endpoints
            .values()
            .flat_map(|e| e.capabilities.iter().map(|(c, _)| *c))
            .filter(|c| !c.is_standard())
            .collect();
        vendor.sort();
        vendor.dedup();
        Descriptor {
            spec_version: crate::version::ProtocolVersion::V1.0,
            vendor_id: self.info.vendor_id,
            product_id: self.info.product_id,
            revision: self.revision,
            endpoints,
            limits: self.limits,
            vendor_schemas: vendor
                .into_iter()
                .filter_map(|c| self.registry.get(c).cloned())
                .collect(),
        }
    }

    /// Moves attribute changes into the subscriptions that report them `[IM-62]`.
    pub(crate) fn propagate_changes(&mut self) {
        let changed = self.store.take_changed();
        if changed.is_empty() {
            return;
        }
        let acl = super::handle::acl_path();
        for i in 0..self.subscriptions.len() {
            let Some(sub) = self.subscriptions.get(i) else {
                continue;
            };
            let mut dirty = Vec::new();
            for attr in &changed {
                let reportable = self
                    .store
                    .schema(attr.endpoint, attr.capability)
                    .and_then(|s| s.attribute(attr.attribute))
                    .is_some_and(|a| a.access.report && a.access.read);
                // [ACL-14] the acl shows each home only its own entries: a write marks its
                // own home's subscriptions (write_acl), and a home added or removed changes
                // no other home's view, so nothing is reported across homes.
                if reportable
                    && *attr != acl
                    && sub.attributes.iter().any(|p| p.matches(attr))
                    && self.acl.allows(
                        sub.home,
                        sub.node,
                        attr.endpoint,
                        attr.capability,
                        Privilege::View,
                    )
                {
                    dirty.push(*attr);
                }
            }
            if let Some(sub) = self.subscriptions.get_mut(i) {
                sub.dirty.extend(dirty);
            }
        }
    }
}

pub(crate) fn uptime_ms(start: Instant, now: Instant) -> u64 {
    u64::try_from(now.saturating_duration_since(start).as_millis()).unwrap_or(u64::MAX)
}

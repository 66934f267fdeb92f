//! Attribute storage with change detection.

use crate::interaction::ConcreteAttribute;
use crate::model::{CapabilityId, CapabilitySchema, Data, EndpointId, EventId, EventSchema};
use crate::status::Status;
use std::collections::{BTreeMap, BTreeSet};

/// Every attribute value of a device, and which changed since the node last looked.
#[derive(Debug, Default)]
pub struct AttributeStore {
    values: BTreeMap<ConcreteAttribute, Data>,
    /// Schemas of the capability instances, by (endpoint, capability).
    schemas: BTreeMap<(EndpointId, CapabilityId), CapabilitySchema>,
    changed: BTreeSet<ConcreteAttribute>,
    /// While a request is served: the values it overwrote, oldest first, so that a failed
    /// entry or an aborted atomic write can be undone `[IM-22]`, `[IM-24]`.
    journal: Option<Vec<Undo>>,
    /// Counts every change of any value (an undo counts too), so a driver can tell cheaply
    /// whether anything it persists may have changed.
    revision: u64,
}

/// What one [`AttributeStore::set`] overwrote.
#[derive(Debug)]
struct Undo {
    attr: ConcreteAttribute,
    old: Data,
    /// Whether the attribute was already in the changed set before this set.
    was_changed: bool,
}

/// A point in the store's journal that [`AttributeStore::roll_back`] returns to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Checkpoint(usize);

impl AttributeStore {
    pub(crate) fn add_instance(&mut self, endpoint: EndpointId, schema: CapabilitySchema) {
        self.schemas.insert((endpoint, schema.id), schema);
    }

    pub(crate) fn init(&mut self, attr: ConcreteAttribute, value: Data) {
        self.values.insert(attr, value);
    }

    /// The schema of a capability instance.
    pub fn schema(
        &self,
        endpoint: EndpointId,
        capability: CapabilityId,
    ) -> Option<&CapabilitySchema> {
        self.schemas.get(&(endpoint, capability))
    }

    pub(crate) fn event_schema(
        &self,
        endpoint: EndpointId,
        capability: CapabilityId,
        event: EventId,
    ) -> Option<&EventSchema> {
        self.schema(endpoint, capability)?.event(event)
    }

    /// A value.
    pub fn get(&self, attr: &ConcreteAttribute) -> Option<&Data> {
        self.values.get(attr)
    }

    /// Whether the attribute exists on this device.
    pub fn contains(&self, attr: &ConcreteAttribute) -> bool {
        self.values.contains_key(attr)
    }

    /// Every attribute, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&ConcreteAttribute, &Data)> {
        self.values.iter()
    }

    /// Sets a value after checking it against the attribute's type; marks it changed if it
    /// differs `[IM-23]`.
    pub fn set(&mut self, attr: ConcreteAttribute, value: Data) -> Result<(), Status> {
        let schema = self
            .schema(attr.endpoint, attr.capability)
            .and_then(|s| s.attribute(attr.attribute))
            .ok_or(Status::UNSUPPORTED_ATTRIBUTE)?;
        schema.ty.check(&value).map_err(|e| e.status())?;
        self.store_value(attr, value)
    }

    /// Stores a value without checking it against its type: the write faults of
    /// [`crate::faults`] only.
    #[cfg(feature = "conformance-faults")]
    pub(crate) fn set_unchecked(
        &mut self,
        attr: ConcreteAttribute,
        value: Data,
    ) -> Result<(), Status> {
        self.store_value(attr, value)
    }

    fn store_value(&mut self, attr: ConcreteAttribute, value: Data) -> Result<(), Status> {
        let slot = self
            .values
            .get_mut(&attr)
            .ok_or(Status::UNSUPPORTED_ATTRIBUTE)?;
        if *slot != value {
            self.revision = self.revision.wrapping_add(1);
            let old = std::mem::replace(slot, value);
            let was_changed = !self.changed.insert(attr);
            if let Some(journal) = self.journal.as_mut() {
                journal.push(Undo {
                    attr,
                    old,
                    was_changed,
                });
            }
        }
        Ok(())
    }

    /// A number that changes whenever any value changes.
    pub(crate) fn revision(&self) -> u64 {
        self.revision
    }

    /// Starts recording changes (if not already recording) and returns the current point.
    pub(crate) fn checkpoint(&mut self) -> Checkpoint {
        Checkpoint(self.journal.get_or_insert_with(Vec::new).len())
    }

    /// Undoes every change made since `point`, newest first, including their change marks.
    pub(crate) fn roll_back(&mut self, point: Checkpoint) {
        let Some(journal) = self.journal.as_mut() else {
            return;
        };
        while journal.len() > point.0 {
            let Some(undo) = journal.pop() else { break };
            if let Some(slot) = self.values.get_mut(&undo.attr) {
                *slot = undo.old;
                self.revision = self.revision.wrapping_add(1);
            }
            if !undo.was_changed {
                self.changed.remove(&undo.attr);
            }
        }
    }

    /// Keeps every change and stops recording. A request's changes are judged by their net
    /// effect `[IM-82]`: an attribute that ends the request with the value it had before it
    /// (written and written back) is not a change, unless it was already marked changed.
    pub(crate) fn commit(&mut self) {
        let Some(journal) = self.journal.take() else {
            return;
        };
        let mut seen = BTreeSet::new();
        // The first undo of an attribute holds its value before the request.
        for undo in journal {
            if !seen.insert(undo.attr) || undo.was_changed {
                continue;
            }
            if self.values.get(&undo.attr) == Some(&undo.old) {
                self.changed.remove(&undo.attr);
            }
        }
    }

    /// Takes one attribute out of the changed set; returns whether it was there.
    pub(crate) fn take_changed_one(&mut self, attr: &ConcreteAttribute) -> bool {
        self.changed.remove(attr)
    }

    /// The attributes changed since the last call.
    pub(crate) fn take_changed(&mut self) -> BTreeSet<ConcreteAttribute> {
        std::mem::take(&mut self.changed)
    }
}

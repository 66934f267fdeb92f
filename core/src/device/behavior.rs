//! What a device maker writes: the behaviour of an endpoint `[DM-2]`.

use super::events::EventLog;
use super::store::AttributeStore;
use crate::cert::{HomeId, NodeId};
use crate::interaction::{CommandPath, ConcreteAttribute};
use crate::model::{AttributeId, CapabilityId, CapabilitySchema, Data, EndpointId, EventId};
use crate::status::Status;
use std::time::Instant;

/// The behaviour of one endpoint. Storage, change detection, subscription reports, event
/// buffering, type and range checks and access control are done by [`super::DeviceNode`]
/// before and after these calls; a behaviour only decides what the device does.
pub trait Behavior: Send {
    /// A controller writes `value` (already type-, range- and access-checked) to `attr`.
    /// Returns the value to store (for example clamped), or a status to refuse the write, in
    /// which case nothing changes. The default accepts the value as it is.
    fn write(
        &mut self,
        ctx: &mut Context<'_>,
        attr: ConcreteAttribute,
        value: &Data,
    ) -> Result<Data, Status> {
        let _ = (ctx, attr);
        Ok(value.clone())
    }

    /// A controller invokes a command (arguments already checked against its schema).
    /// Returns the result struct (empty when the command has no result) or a status.
    fn invoke(
        &mut self,
        ctx: &mut Context<'_>,
        command: CommandPath,
        args: &Data,
    ) -> Result<Data, Status> {
        let _ = (ctx, command, args);
        Err(Status::UNSUPPORTED_COMMAND)
    }

    /// When the behaviour next wants [`Behavior::handle_timeout`] (a timer, a transition).
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// Called at or after the time [`Behavior::poll_timeout`] asked for.
    fn handle_timeout(&mut self, ctx: &mut Context<'_>) {
        let _ = ctx;
    }
}

/// A behaviour that accepts every valid write and has no commands: enough for endpoints whose
/// attributes are only set by the device itself (sensors).
#[derive(Debug, Default)]
pub struct Passive;

impl Behavior for Passive {}

/// What a behaviour can see and do during a call.
pub struct Context<'a> {
    pub(crate) store: &'a mut AttributeStore,
    pub(crate) events: &'a mut EventLog,
    pub(crate) now: Instant,
    pub(crate) uptime_ms: u64,
    pub(crate) endpoint: EndpointId,
    pub(crate) invoker: Option<(HomeId, NodeId)>,
}

impl<'a> Context<'a> {
    /// A context for `endpoint` at `now`; event timestamps count from the device's `start`.
    pub(crate) fn new(
        store: &'a mut AttributeStore,
        events: &'a mut EventLog,
        start: Instant,
        now: Instant,
        endpoint: EndpointId,
        invoker: Option<(HomeId, NodeId)>,
    ) -> Self {
        Context {
            store,
            events,
            now,
            uptime_ms: super::node::uptime_ms(start, now),
            endpoint,
            invoker,
        }
    }

    /// The current time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The endpoint being served.
    pub fn endpoint(&self) -> EndpointId {
        self.endpoint
    }

    /// The home and node of the controller whose request is being served, if any.
    pub fn invoker(&self) -> Option<(HomeId, NodeId)> {
        self.invoker
    }

    /// The schema of a capability of this endpoint as this device implements it: only the
    /// attributes, commands and events its features and options include, each with its type
    /// and range, so a behaviour can clamp to the range a controller sees in the descriptor.
    pub fn schema(&self, capability: CapabilityId) -> Option<&CapabilitySchema> {
        self.store.schema(self.endpoint, capability)
    }

    /// An attribute of this endpoint.
    pub fn get(&self, capability: CapabilityId, attribute: AttributeId) -> Option<&Data> {
        self.store.get(&ConcreteAttribute::new(
            self.endpoint,
            capability,
            attribute,
        ))
    }

    /// An attribute of this endpoint as an unsigned integer.
    pub fn get_u64(&self, capability: CapabilityId, attribute: AttributeId) -> Option<u64> {
        self.get(capability, attribute).and_then(Data::as_u64)
    }

    /// An attribute of this endpoint as a signed integer.
    pub fn get_i64(&self, capability: CapabilityId, attribute: AttributeId) -> Option<i64> {
        self.get(capability, attribute).and_then(Data::as_i64)
    }

    /// An attribute of this endpoint as a boolean.
    pub fn get_bool(&self, capability: CapabilityId, attribute: AttributeId) -> Option<bool> {
        self.get(capability, attribute).and_then(Data::as_bool)
    }

    /// Sets an attribute of this endpoint; the value is checked against its type, and a change
    /// is reported to subscriptions. The write being served, if any, is applied after this.
    pub fn set(
        &mut self,
        capability: CapabilityId,
        attribute: AttributeId,
        value: impl Into<Data>,
    ) -> Result<(), Status> {
        self.store.set(
            ConcreteAttribute::new(self.endpoint, capability, attribute),
            value.into(),
        )
    }

    /// Records an event of this endpoint (fields checked against the event's schema).
    pub fn emit(
        &mut self,
        capability: CapabilityId,
        event: EventId,
        fields: Data,
    ) -> Result<u64, Status> {
        let schema = self
            .store
            .event_schema(self.endpoint, capability, event)
            .ok_or(Status::UNSUPPORTED_EVENT)?;
        crate::model::check_fields(&schema.fields, &fields).map_err(|e| e.status())?;
        let priority = schema.priority;
        Ok(self.events.record(
            self.endpoint,
            capability,
            event,
            priority,
            self.uptime_ms,
            fields,
        ))
    }
}

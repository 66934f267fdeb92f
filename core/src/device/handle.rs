//! Answering requests: describe, read, write, invoke, timed, subscribe, unsubscribe
//! (`spec/v1/13-interaction.md`).

use super::node::{DeviceNode, Requester, TimedWindow};
use super::reports::encode_reports;
use super::subscription::{Subscription, MAX_INTERVAL_LIMIT_S};
use crate::cert::{HomeId, NodeId};
use crate::codec::{decode_value, CborMessage, MapReader};
use crate::interaction::{
    AttributePath, AttributeReport, CommandPath, ConcreteAttribute, Envelope, EventPath,
    EventRecord, InvokeRequest, Message, PathStatus, ReadRequest, SubscribeRequest,
    SubscribeResponse, WriteRequest, IM_LIMITS,
};
use crate::model::{check_fields, std_caps, Data, Privilege};
use crate::status::Status;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The longest timed interaction window `[IM-41]`.
pub const MAX_TIMED_TIMEOUT_MS: u32 = 10_000;

/// The answer to one request: the messages to send back, and whether the exchange stays open
/// for a follow-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The messages to send back on the same session, in order.
    pub messages: Vec<Vec<u8>>,
    /// The request opened a timed window on its exchange: the write or invoke that follows
    /// comes on the same exchange `[IM-40]`. Otherwise the exchange is over once the messages
    /// are sent, and a transport may close it at once.
    pub awaits_follow_up: bool,
}

impl DeviceNode {
    /// Answers one interaction request from `from` `[IM-1]`; returns the messages to send back
    /// on the same session, in order. Bad input gets a status, never a panic, and the session
    /// goes on `[IM-5]`.
    pub fn handle(&mut self, now: Instant, from: &Requester, request: &[u8]) -> Vec<Vec<u8>> {
        self.answer(now, from, request).messages
    }

    /// [`DeviceNode::handle`], also saying whether the exchange awaits a follow-up.
    pub fn answer(&mut self, now: Instant, from: &Requester, request: &[u8]) -> Answer {
        let mut awaits_follow_up = false;
        let messages = self.answer_messages(now, from, request, &mut awaits_follow_up);
        Answer {
            messages,
            awaits_follow_up,
        }
    }

    fn answer_messages(
        &mut self,
        now: Instant,
        from: &Requester,
        request: &[u8],
        awaits_follow_up: &mut bool,
    ) -> Vec<Vec<u8>> {
        let env = match Envelope::decode(request) {
            Ok(env) => env,
            Err(e) => {
                let (exchange, known) = peek(request);
                // [IM-2] an unknown type is unexpected; anything else undecodable is
                // invalid-message or, for limit breaches, resource-exhausted [IM-5].
                let status = if known {
                    e.status()
                } else {
                    Status::UNEXPECTED_MESSAGE
                };
                return vec![status_message(exchange, status)];
            }
        };
        let exchange = env.exchange;
        if exchange == 0 && !fault!(self.faults, ActsOnExchangeZero) {
            // [IM-101] exchange 0 belongs to subscription reports: a request carrying it is
            // malformed, answered on exchange 0 and not acted on.
            return vec![status_message(0, Status::INVALID_MESSAGE)];
        }
        let out = match env.message {
            Message::DescribeRequest => vec![self.describe(from, exchange)],
            Message::ReadRequest(r) => self.read(from, exchange, r),
            Message::WriteRequest(w) => vec![self.write(now, from, exchange, w)],
            Message::InvokeRequest(i) => vec![self.invoke(now, from, exchange, i)],
            Message::TimedRequest { timeout_ms } => {
                let answer = self.open_timed(now, from, exchange, timeout_ms);
                *awaits_follow_up = self
                    .timed
                    .iter()
                    .any(|t| t.session == from.session && t.exchange == exchange);
                vec![answer]
            }
            Message::SubscribeRequest(s) => self.subscribe(now, from, exchange, s),
            Message::Unsubscribe { subscription } => {
                let before = self.subscriptions.len();
                self.subscriptions
                    .retain(|s| !(s.id == subscription && s.session == from.session));
                let status = if self.subscriptions.len() < before {
                    Status::SUCCESS
                } else {
                    Status::INVALID_SUBSCRIPTION
                };
                vec![status_message(exchange, status)]
            }
            // Answers are never requests.
            _ => vec![status_message(exchange, Status::UNEXPECTED_MESSAGE)],
        };
        self.propagate_changes();
        out
    }

    fn describe(&self, from: &Requester, exchange: u32) -> Vec<u8> {
        // [IM-70] any node with an entry in its home may describe.
        let key = match self.homes.get(&from.home) {
            Some(k) if self.acl.knows(from.home, from.node) => k,
            _ => return status_message(exchange, Status::ACCESS_DENIED),
        };
        let (descriptor, signature) = self.descriptor().sign(key);
        let mut signature = signature.0.to_vec();
        if fault!(self.faults, BadDescriptorSignature) {
            if let Some(b) = signature.first_mut() {
                *b ^= 1;
            }
        }
        Envelope {
            exchange,
            message: Message::DescribeResponse {
                descriptor,
                signature,
            },
        }
        .to_bytes()
    }

    /// The value of an attribute as `(home, node)` sees it: the acl attribute shows only that
    /// home's entries `[ACL-7]`, the homes attribute only that home unless the node
    /// administers the device `[ACL-13]`.
    pub(crate) fn read_value(
        &self,
        home: HomeId,
        node: NodeId,
        attr: &ConcreteAttribute,
    ) -> Option<Data> {
        if *attr == acl_path() {
            return Some(Data::List(
                self.acl.home_entries(home).map(|e| e.to_data()).collect(),
            ));
        }
        if *attr == homes_path() && !self.administers_device(home, node) {
            let Some(Data::List(all)) = self.store.get(attr) else {
                return None;
            };
            let own = all
                .iter()
                .filter(|h| h.field(0).and_then(Data::as_u64) == Some(home))
                .cloned()
                .collect();
            return Some(Data::List(own));
        }
        let value = self.store.get(attr).cloned();
        if fault!(self.faults, ReportsWrongType) {
            if let Some(Data::Bool(b)) = value {
                return Some(Data::Uint(u64::from(b)));
            }
        }
        value
    }

    /// Whether `(home, node)` holds administer on the administration capability of the root
    /// endpoint, and so may see every home of the device `[ACL-13]`.
    pub(crate) fn administers_device(&self, home: HomeId, node: NodeId) -> bool {
        self.acl.allows(
            home,
            node,
            crate::model::EndpointId::ROOT,
            std_caps::administration::ID,
            Privilege::Administer,
        )
    }

    /// Expands attribute paths `[IM-13]`: concrete paths to missing or forbidden attributes
    /// yield statuses; wildcards skip them.
    fn expand(&self, from: &Requester, paths: &[AttributePath]) -> Vec<AttributeReport> {
        // A single path cannot repeat an attribute: the set is only needed for several.
        let mut seen = BTreeSet::new();
        let mut out = Vec::with_capacity(paths.len());
        for path in paths {
            if let Some(c) = path.as_concrete() {
                let result = match self.check_attribute(from, &c, None) {
                    Ok(()) => self
                        .read_value(from.home, from.node, &c)
                        .ok_or(Status::UNSUPPORTED_ATTRIBUTE),
                    Err(s) => Err(s),
                };
                if paths.len() == 1 || seen.insert(c) {
                    out.push(AttributeReport { path: c, result });
                }
                continue;
            }
            let omitted = if fault!(self.faults, WildcardOmitsAttribute) {
                self.store
                    .iter()
                    .map(|(c, _)| *c)
                    .find(|c| c.endpoint != crate::model::EndpointId::ROOT)
            } else {
                None
            };
            for (c, _) in self.store.iter() {
                if Some(*c) == omitted {
                    continue;
                }
                if path.matches(c) && self.check_attribute(from, c, None).is_ok() && seen.insert(*c)
                {
                    if let Some(v) = self.read_value(from.home, from.node, c) {
                        out.push(AttributeReport {
                            path: *c,
                            result: Ok(v),
                        });
                    }
                }
            }
        }
        out
    }

    /// Checks that an attribute exists, allows the access, and that the requester holds the
    /// privilege: `write` is `None` for a read `[IM-21]`, `[ACL-4]`.
    fn check_attribute(
        &self,
        from: &Requester,
        c: &ConcreteAttribute,
        write: Option<()>,
    ) -> Result<(), Status> {
        if !self.endpoints.contains_key(&c.endpoint) {
            return Err(Status::UNSUPPORTED_ENDPOINT);
        }
        let schema = self
            .store
            .schema(c.endpoint, c.capability)
            .ok_or(Status::UNSUPPORTED_CAPABILITY)?;
        let attr = schema
            .attribute(c.attribute)
            .filter(|_| self.store.contains(c))
            .ok_or(Status::UNSUPPORTED_ATTRIBUTE)?;
        let (allowed, needed) = match write {
            None => (attr.access.read, Privilege::View),
            Some(()) => (attr.access.write, attr.write_privilege),
        };
        let skipped = write.is_some() && fault!(self.faults, WriteSkipsAccessCheck);
        if !allowed && !skipped {
            return Err(Status::UNSUPPORTED_ACCESS);
        }
        if !self
            .acl
            .allows(from.home, from.node, c.endpoint, c.capability, needed)
        {
            return Err(Status::ACCESS_DENIED);
        }
        Ok(())
    }

    /// Whether an event record is visible to `(home, node)` through `paths` `[IM-53]`.
    pub(crate) fn event_visible(
        &self,
        home: HomeId,
        node: NodeId,
        paths: &[EventPath],
        r: &EventRecord,
    ) -> bool {
        paths
            .iter()
            .any(|p| p.matches(r.endpoint, r.capability, r.event))
            && self
                .acl
                .allows(home, node, r.endpoint, r.capability, Privilege::View)
            && (r.capability != std_caps::access_control::ID
                || r.fields.field(0).and_then(Data::as_u64) == Some(home))
    }

    fn read(&self, from: &Requester, exchange: u32, r: ReadRequest) -> Vec<Vec<u8>> {
        // [IM-80]
        if r.attributes.len() + r.events.len() > self.limits.max_paths_per_request as usize {
            return vec![status_message(exchange, Status::RESOURCE_EXHAUSTED)];
        }
        let attributes = self.expand(from, &r.attributes);
        let events = if r.events.is_empty() {
            Vec::new()
        } else {
            self.events
                .since(r.event_min.unwrap_or(0))
                .filter(|e| self.event_visible(from.home, from.node, &r.events, e))
                .cloned()
                .collect()
        };
        encode_reports(
            exchange,
            None,
            attributes,
            events,
            self.limits.max_message as usize,
        )
    }

    /// Consumes the timed window of `(session, exchange)` if the request is timed `[IM-40]`.
    fn take_timed(
        &mut self,
        now: Instant,
        from: &Requester,
        exchange: u32,
        timed: bool,
    ) -> Result<bool, Status> {
        if !timed {
            return Ok(false);
        }
        let idx = self
            .timed
            .iter()
            .position(|t| t.session == from.session && t.exchange == exchange)
            .ok_or(Status::TIMED_REQUEST_MISMATCH)?;
        let window = self.timed.swap_remove(idx);
        if now > window.deadline {
            return Err(Status::TIMED_REQUEST_MISMATCH);
        }
        Ok(true)
    }

    fn open_timed(
        &mut self,
        now: Instant,
        from: &Requester,
        exchange: u32,
        timeout_ms: u32,
    ) -> Vec<u8> {
        // [IM-41]
        if timeout_ms == 0
            || (timeout_ms > MAX_TIMED_TIMEOUT_MS && !fault!(self.faults, TimedWindowUnbounded))
        {
            return status_message(exchange, Status::INVALID_PARAMETER);
        }
        self.timed
            .retain(|t| !(t.session == from.session && t.exchange == exchange));
        // Bound the windows one session can hold, like any other per-session state.
        if self
            .timed
            .iter()
            .filter(|t| t.session == from.session)
            .count()
            >= 8
        {
            return status_message(exchange, Status::RESOURCE_EXHAUSTED);
        }
        self.timed.push(TimedWindow {
            session: from.session,
            exchange,
            deadline: now + Duration::from_millis(timeout_ms.into()),
        });
        status_message(exchange, Status::SUCCESS)
    }

    fn write(&mut self, now: Instant, from: &Requester, exchange: u32, w: WriteRequest) -> Vec<u8> {
        if w.writes.len() > self.limits.max_paths_per_request as usize {
            return status_message(exchange, Status::RESOURCE_EXHAUSTED);
        }
        let timed = match self.take_timed(now, from, exchange, w.timed) {
            Ok(t) => t,
            Err(s) => return status_message(exchange, s),
        };
        let statuses = if w.atomic {
            self.write_atomic(now, from, timed, w.writes)
        } else {
            self.write_each(now, from, timed, w.writes)
        };
        Envelope {
            exchange,
            message: Message::WriteResponse(statuses),
        }
        .to_bytes()
    }

    /// Applies each entry on its own; a failed entry leaves no trace in the store `[IM-22]`.
    fn write_each(
        &mut self,
        now: Instant,
        from: &Requester,
        timed: bool,
        writes: Vec<(ConcreteAttribute, Data)>,
    ) -> Vec<PathStatus> {
        let statuses = writes
            .into_iter()
            .map(|(path, value)| {
                let before = self.store.checkpoint();
                let status = match self.write_one(now, from, timed, path, &value) {
                    Ok(()) => Status::SUCCESS,
                    Err(s) => {
                        self.store.roll_back(before);
                        s
                    }
                };
                PathStatus { path, status }
            })
            .collect();
        self.store.commit();
        statuses
    }

    /// Applies the entries in order until one fails; then undoes them all: the failed entry
    /// gets its status and every other entry `aborted` `[IM-24]`.
    fn write_atomic(
        &mut self,
        now: Instant,
        from: &Requester,
        timed: bool,
        writes: Vec<(ConcreteAttribute, Data)>,
    ) -> Vec<PathStatus> {
        let before = self.store.checkpoint();
        let mut failed = None;
        for (i, (path, value)) in writes.iter().enumerate() {
            // The ACL changes the access table and records events, which a journal of
            // attribute values cannot undo, so it is never part of an atomic write.
            let result = if *path == acl_path() {
                Err(Status::UNSUPPORTED_ACCESS)
            } else {
                self.write_one(now, from, timed, *path, value)
            };
            if let Err(s) = result {
                failed = Some((i, s));
                break;
            }
        }
        if failed.is_some() {
            self.store.roll_back(before);
        }
        self.store.commit();
        writes
            .into_iter()
            .enumerate()
            .map(|(i, (path, _))| PathStatus {
                path,
                status: match failed {
                    None => Status::SUCCESS,
                    Some((at, s)) if at == i => s,
                    Some(_) => Status::ABORTED,
                },
            })
            .collect()
    }

    /// One write entry, checked in the order of `[IM-21]`.
    fn write_one(
        &mut self,
        now: Instant,
        from: &Requester,
        timed: bool,
        c: ConcreteAttribute,
        value: &Data,
    ) -> Result<(), Status> {
        self.check_attribute(from, &c, Some(()))?;
        let schema = self
            .store
            .schema(c.endpoint, c.capability)
            .and_then(|s| s.attribute(c.attribute))
            .ok_or(Status::UNSUPPORTED_ATTRIBUTE)?;
        if schema.timed && !timed {
            return Err(Status::NEEDS_TIMED_INTERACTION);
        }
        if let Err(e) = schema.ty.check(value) {
            let status = e.status();
            let skipped = match status {
                Status::INVALID_DATA_TYPE => fault!(self.faults, WriteSkipsTypeCheck),
                _ => fault!(self.faults, WriteSkipsRangeCheck),
            };
            if !skipped {
                return Err(status);
            }
            #[cfg(feature = "conformance-faults")]
            return self.store.set_unchecked(c, value.clone());
        }
        if c == acl_path() {
            return self.write_acl(now, from, value);
        }
        let ep = self
            .endpoints
            .get_mut(&c.endpoint)
            .ok_or(Status::UNSUPPORTED_ENDPOINT)?;
        let stored = match ep.behavior.as_mut() {
            Some(b) => {
                let mut ctx = super::Context::new(
                    &mut self.store,
                    &mut self.events,
                    self.start,
                    now,
                    c.endpoint,
                    Some((from.home, from.node)),
                );
                b.write(&mut ctx, c, value)?
            }
            None => value.clone(),
        };
        self.store.set(c, stored)
    }

    fn invoke(
        &mut self,
        now: Instant,
        from: &Requester,
        exchange: u32,
        i: InvokeRequest,
    ) -> Vec<u8> {
        let before = self.store.checkpoint();
        let result = self
            .take_timed(now, from, exchange, i.timed)
            .and_then(|timed| self.invoke_checked(now, from, timed, i.path, &i.args));
        // A command that fails changes no attribute [IM-32]; the events it recorded stay,
        // because they report what happened (a wrong PIN, for instance).
        if result.is_err() {
            self.store.roll_back(before);
        }
        self.store.commit();
        Envelope {
            exchange,
            message: Message::InvokeResponse(result),
        }
        .to_bytes()
    }

    /// Checks an invocation in the order of `[IM-30]` and runs it.
    fn invoke_checked(
        &mut self,
        now: Instant,
        from: &Requester,
        timed: bool,
        path: CommandPath,
        args: &Data,
    ) -> Result<Data, Status> {
        if !self.endpoints.contains_key(&path.endpoint) {
            return Err(Status::UNSUPPORTED_ENDPOINT);
        }
        let cap = self
            .store
            .schema(path.endpoint, path.capability)
            .ok_or(Status::UNSUPPORTED_CAPABILITY)?;
        let cmd = cap
            .command(path.command)
            .ok_or(Status::UNSUPPORTED_COMMAND)?;
        let allowed = self.acl.allows(
            from.home,
            from.node,
            path.endpoint,
            path.capability,
            cmd.privilege,
        ) || (cmd.privilege == Privilege::Operate
            && fault!(self.faults, OperateWithoutPrivilege));
        if !allowed {
            return Err(Status::ACCESS_DENIED);
        }
        if cmd.timed && !timed && !fault!(self.faults, InvokeSkipsTimedCheck) {
            return Err(Status::NEEDS_TIMED_INTERACTION);
        }
        check_fields(&cmd.args, args).map_err(|e| e.status())?;
        let result_fields = cmd.result.clone();
        let result = match self
            .endpoints
            .get_mut(&path.endpoint)
            .and_then(|e| e.behavior.as_mut())
        {
            Some(b) => {
                let mut ctx = super::Context::new(
                    &mut self.store,
                    &mut self.events,
                    self.start,
                    now,
                    path.endpoint,
                    Some((from.home, from.node)),
                );
                b.invoke(&mut ctx, path, args)?
            }
            None => self.invoke_root(from, path, args)?,
        };
        // A behaviour that answers outside its schema is a device bug, reported as failure.
        check_fields(&result_fields, &result).map_err(|_| Status::FAILURE)?;
        Ok(result)
    }

    fn subscribe(
        &mut self,
        now: Instant,
        from: &Requester,
        exchange: u32,
        s: SubscribeRequest,
    ) -> Vec<Vec<u8>> {
        // [IM-60]
        if s.max_interval_s == 0
            || s.max_interval_s > MAX_INTERVAL_LIMIT_S
            || (s.min_interval_s > s.max_interval_s
                && !fault!(self.faults, SubscribeIntervalsUnchecked))
        {
            return vec![status_message(exchange, Status::INVALID_PARAMETER)];
        }
        if s.attributes.len() + s.events.len() > self.limits.max_paths_per_request as usize {
            return vec![status_message(exchange, Status::RESOURCE_EXHAUSTED)];
        }
        // [IM-81]
        let per_session = self
            .subscriptions
            .iter()
            .filter(|x| x.session == from.session)
            .count();
        let per_home = self
            .subscriptions
            .iter()
            .filter(|x| x.home == from.home)
            .count();
        if per_session >= self.limits.max_subscriptions_per_session as usize
            || per_home >= self.limits.max_subscriptions_per_home as usize
        {
            return vec![status_message(exchange, Status::RESOURCE_EXHAUSTED)];
        }
        let id = self.next_subscription;
        self.next_subscription = self.next_subscription.wrapping_add(1).max(1);
        let attributes = self.expand(from, &s.attributes);
        let events: Vec<EventRecord> = match s.event_min {
            Some(min) => self
                .events
                .since(min)
                .filter(|e| self.event_visible(from.home, from.node, &s.events, e))
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        let mut out = encode_reports(
            exchange,
            Some(id),
            attributes,
            events,
            self.limits.max_message as usize,
        );
        self.subscriptions.push(Subscription {
            id,
            session: from.session,
            home: from.home,
            node: from.node,
            attributes: s.attributes,
            events: s.events,
            min: Duration::from_secs(s.min_interval_s.into()),
            max: Duration::from_secs(s.max_interval_s.into()),
            last_report: now,
            dirty: BTreeSet::new(),
            next_event: self.events.next_number(),
        });
        out.push(
            Envelope {
                exchange,
                message: Message::SubscribeResponse(SubscribeResponse {
                    subscription: id,
                    max_interval_s: s.max_interval_s,
                }),
            }
            .to_bytes(),
        );
        out
    }
}

pub(crate) fn acl_path() -> ConcreteAttribute {
    ConcreteAttribute::new(
        crate::model::EndpointId::ROOT,
        std_caps::access_control::ID,
        std_caps::access_control::attributes::ACL,
    )
}

pub(crate) fn homes_path() -> ConcreteAttribute {
    ConcreteAttribute::new(
        crate::model::EndpointId::ROOT,
        std_caps::administration::ID,
        std_caps::administration::attributes::HOMES,
    )
}

pub(crate) fn status_message(exchange: u32, status: Status) -> Vec<u8> {
    Envelope {
        exchange,
        message: Message::StatusResponse(status),
    }
    .to_bytes()
}

/// The exchange of a message that failed to decode, read from its prefix `[IM-100]`, and
/// whether its type is one this version knows (an unknown type is told only of a message that
/// is otherwise valid CBOR of the profile `[IM-2]`).
fn peek(bytes: &[u8]) -> (u32, bool) {
    let exchange = crate::interaction::exchange_of_prefix(bytes);
    let Ok(value) = decode_value(bytes, &IM_LIMITS) else {
        return (exchange, true);
    };
    let Ok(mut m) = MapReader::new(value) else {
        return (exchange, true);
    };
    let known = m
        .opt_uint(0)
        .ok()
        .flatten()
        .is_none_or(|t| (1..=13).contains(&t));
    (exchange, known)
}

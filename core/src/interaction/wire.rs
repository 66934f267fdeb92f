//! The interaction messages' bytes, written and read directly `[IM-1]`..`[IM-5]`.
//!
//! Every request and answer goes through here, so these skip the [`crate::codec::Value`] tree
//! that other messages use: encoding writes heads straight into the caller's buffer, and
//! decoding pulls fields from the checked bytes. The tree forms ([`CborMessage::to_value`] and
//! [`CborMessage::from_value`]) stay the reference: property tests prove both give the same
//! bytes, the same messages and the same statuses for every input.
//!
//! Maps are written with their keys in ascending order, which is the deterministic order
//! `[CBOR-7]`; when reading, keys this version does not know are skipped `[CBOR-8]`.

use super::message::{
    Envelope, InvokeRequest, Message, MessageType, ReadRequest, Report, SubscribeRequest,
    SubscribeResponse, WriteRequest, IM_LIMITS,
};
use super::path::{AttributePath, CommandPath, ConcreteAttribute, EventPath};
use super::report::{AttributeReport, EventRecord, PathStatus};
use crate::codec::{
    write_array, write_bool, write_bytes, write_map, write_uint, CodecError, MapFields, Reader,
};
use crate::model::{AttributeId, CapabilityId, CommandId, Data, EndpointId, EventId, Priority};
use crate::status::Status;

// ---------------------------------------------------------------------------------------
// Writing

/// Appends the encoding of `env` to `out`.
pub(crate) fn encode_envelope(env: &Envelope, out: &mut Vec<u8>) {
    use Message as M;
    // Entries after the type (0) and the exchange (1).
    let body = match &env.message {
        M::DescribeRequest => 0,
        M::DescribeResponse { .. } => 2,
        M::ReadRequest(r) => 2 + usize::from(r.event_min.is_some()),
        M::Report(r) => 2 + usize::from(r.subscription.is_some()) + usize::from(r.more),
        M::WriteRequest(w) => 1 + usize::from(w.timed) + usize::from(w.atomic),
        M::WriteResponse(_) => 1,
        M::InvokeRequest(i) => 2 + usize::from(i.timed),
        M::InvokeResponse(Ok(_)) => 2,
        M::InvokeResponse(Err(_)) => 1,
        M::SubscribeRequest(s) => 4 + usize::from(s.event_min.is_some()),
        M::SubscribeResponse(_) => 2,
        M::TimedRequest { .. } | M::StatusResponse(_) | M::Unsubscribe { .. } => 1,
    };
    write_map(out, 2 + body);
    field(out, 0, env.message_type().0);
    field(out, 1, env.exchange.into());
    match &env.message {
        M::DescribeRequest => {}
        M::DescribeResponse {
            descriptor,
            signature,
        } => {
            write_uint(out, 2);
            write_bytes(out, descriptor);
            write_uint(out, 3);
            write_bytes(out, signature);
        }
        M::ReadRequest(r) => {
            paths(out, 2, &r.attributes, &r.events);
            if let Some(min) = r.event_min {
                field(out, 4, min);
            }
        }
        M::Report(r) => {
            if let Some(s) = r.subscription {
                field(out, 2, s.into());
            }
            write_uint(out, 3);
            write_array(out, r.attributes.len());
            for a in &r.attributes {
                write_attribute_report(a, out);
            }
            write_uint(out, 4);
            write_array(out, r.events.len());
            for e in &r.events {
                write_event_record(e, out);
            }
            if r.more {
                write_uint(out, 5);
                write_bool(out, true);
            }
        }
        M::WriteRequest(w) => {
            write_uint(out, 2);
            write_array(out, w.writes.len());
            for (path, data) in &w.writes {
                write_map(out, 4);
                concrete_fields(out, path);
                write_uint(out, 3);
                data.encode_into(out);
            }
            flag(out, 3, w.timed);
            flag(out, 4, w.atomic);
        }
        M::WriteResponse(statuses) => {
            write_uint(out, 2);
            write_array(out, statuses.len());
            for s in statuses {
                write_path_status(*s, out);
            }
        }
        M::InvokeRequest(i) => {
            write_uint(out, 2);
            write_map(out, 3);
            field(out, 0, i.path.endpoint.0.into());
            field(out, 1, i.path.capability.0.into());
            field(out, 2, i.path.command.0.into());
            write_uint(out, 3);
            i.args.encode_into(out);
            flag(out, 4, i.timed);
        }
        M::InvokeResponse(Ok(result)) => {
            field(out, 2, Status::SUCCESS.0.into());
            write_uint(out, 3);
            result.encode_into(out);
        }
        M::InvokeResponse(Err(status)) => field(out, 2, status.0.into()),
        M::SubscribeRequest(s) => {
            paths(out, 2, &s.attributes, &s.events);
            if let Some(min) = s.event_min {
                field(out, 4, min);
            }
            field(out, 5, s.min_interval_s.into());
            field(out, 6, s.max_interval_s.into());
        }
        M::SubscribeResponse(s) => {
            field(out, 2, s.subscription.into());
            field(out, 3, s.max_interval_s.into());
        }
        M::TimedRequest { timeout_ms } => field(out, 2, (*timeout_ms).into()),
        M::StatusResponse(s) => field(out, 2, s.0.into()),
        M::Unsubscribe { subscription } => field(out, 2, (*subscription).into()),
    }
}

/// Appends the encoding of one attribute report (the unit the report chunker measures).
pub(crate) fn write_attribute_report(a: &AttributeReport, out: &mut Vec<u8>) {
    write_map(out, 4);
    concrete_fields(out, &a.path);
    match &a.result {
        Ok(data) => {
            write_uint(out, 3);
            data.encode_into(out);
        }
        Err(status) => field(out, 4, status.0.into()),
    }
}

/// Appends the encoding of one event record.
pub(crate) fn write_event_record(e: &EventRecord, out: &mut Vec<u8>) {
    write_map(out, 7);
    field(out, 0, e.number);
    field(out, 1, e.endpoint.0.into());
    field(out, 2, e.capability.0.into());
    field(out, 3, e.event.0.into());
    field(out, 4, e.priority.code());
    field(out, 5, e.uptime_ms);
    write_uint(out, 6);
    e.fields.encode_into(out);
}

fn write_path_status(s: PathStatus, out: &mut Vec<u8>) {
    write_map(out, 4);
    concrete_fields(out, &s.path);
    field(out, 4, s.status.0.into());
}

fn field(out: &mut Vec<u8>, key: u64, v: u64) {
    write_uint(out, key);
    write_uint(out, v);
}

/// A boolean field written only when true, as the tree form's `opt(key, b.then_some(true))`.
fn flag(out: &mut Vec<u8>, key: u64, b: bool) {
    if b {
        write_uint(out, key);
        write_bool(out, true);
    }
}

fn concrete_fields(out: &mut Vec<u8>, c: &ConcreteAttribute) {
    field(out, 0, c.endpoint.0.into());
    field(out, 1, c.capability.0.into());
    field(out, 2, c.attribute.0.into());
}

/// Writes the attribute paths at `key` and the event paths at `key + 1`.
fn paths(out: &mut Vec<u8>, key: u64, attributes: &[AttributePath], events: &[EventPath]) {
    write_uint(out, key);
    write_array(out, attributes.len());
    for p in attributes {
        wildcard_path(out, p.endpoint, p.capability, p.attribute.map(|a| a.0));
    }
    write_uint(out, key + 1);
    write_array(out, events.len());
    for p in events {
        wildcard_path(out, p.endpoint, p.capability, p.event.map(|e| e.0));
    }
}

/// A path map whose three elements (endpoint, capability, item) are each optional.
fn wildcard_path(
    out: &mut Vec<u8>,
    endpoint: Option<EndpointId>,
    capability: Option<CapabilityId>,
    item: Option<u16>,
) {
    let n = usize::from(endpoint.is_some())
        + usize::from(capability.is_some())
        + usize::from(item.is_some());
    write_map(out, n);
    if let Some(e) = endpoint {
        field(out, 0, e.0.into());
    }
    if let Some(c) = capability {
        field(out, 1, c.0.into());
    }
    if let Some(i) = item {
        field(out, 2, i.into());
    }
}

// ---------------------------------------------------------------------------------------
// Reading

/// Decodes one interaction message, checking the profile and [`IM_LIMITS`] first.
pub(crate) fn decode_envelope(bytes: &[u8]) -> Result<Envelope, CodecError> {
    let mut r = Reader::new(bytes, &IM_LIMITS)?;
    let mut m = r.map()?;
    // Keys ascend, so the type (0) and the exchange (1) come first when present.
    let ty = match m.next_key()? {
        Some(0) => MessageType(m.reader().uint(0)?),
        _ => return Err(CodecError::MissingField { key: 0 }),
    };
    let exchange = match m.next_key()? {
        Some(1) => m.reader().uint_as(1)?,
        _ => return Err(CodecError::MissingField { key: 1 }),
    };
    let message = match ty {
        MessageType::DESCRIBE_REQUEST => {
            rest(&mut m, |_, _| Ok(false))?;
            Message::DescribeRequest
        }
        MessageType::DESCRIBE_RESPONSE => {
            let (mut descriptor, mut signature) = (None, None);
            rest(&mut m, |k, r| {
                match k {
                    2 => descriptor = Some(r.bytes(2)?.to_vec()),
                    3 => signature = Some(r.bytes(3)?.to_vec()),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            Message::DescribeResponse {
                descriptor: descriptor.ok_or(CodecError::MissingField { key: 2 })?,
                signature: signature.ok_or(CodecError::MissingField { key: 3 })?,
            }
        }
        MessageType::READ_REQUEST => {
            let mut req = ReadRequest::default();
            let (mut attributes, mut events) = (None, None);
            rest(&mut m, |k, r| {
                match k {
                    2 => attributes = Some(list(r, 2, read_attribute_path)?),
                    3 => events = Some(list(r, 3, read_event_path)?),
                    4 => req.event_min = Some(r.uint(4)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            req.attributes = required(attributes, 2)?;
            req.events = required(events, 3)?;
            Message::ReadRequest(req)
        }
        MessageType::REPORT => {
            let mut report = Report::default();
            let (mut attributes, mut events) = (None, None);
            rest(&mut m, |k, r| {
                match k {
                    2 => report.subscription = Some(r.uint_as(2)?),
                    3 => attributes = Some(list(r, 3, read_attribute_report)?),
                    4 => events = Some(list(r, 4, read_event_record)?),
                    5 => report.more = r.boolean(5)?,
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            report.attributes = required(attributes, 3)?;
            report.events = required(events, 4)?;
            Message::Report(report)
        }
        MessageType::WRITE_REQUEST => {
            let mut w = WriteRequest::default();
            let mut writes = None;
            rest(&mut m, |k, r| {
                match k {
                    2 => writes = Some(list(r, 2, read_write_entry)?),
                    3 => w.timed = r.boolean(3)?,
                    4 => w.atomic = r.boolean(4)?,
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            w.writes = required(writes, 2)?;
            Message::WriteRequest(w)
        }
        MessageType::WRITE_RESPONSE => {
            let mut statuses = None;
            rest(&mut m, |k, r| {
                match k {
                    2 => statuses = Some(list(r, 2, read_path_status)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            Message::WriteResponse(required(statuses, 2)?)
        }
        MessageType::INVOKE_REQUEST => {
            let (mut path, mut args, mut timed) = (None, None, false);
            rest(&mut m, |k, r| {
                match k {
                    2 => path = Some(read_command_path(r)?),
                    3 => args = Some(Data::read(r)?),
                    4 => timed = r.boolean(4)?,
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            Message::InvokeRequest(InvokeRequest {
                path: path.ok_or(CodecError::MissingField { key: 2 })?,
                args: args.unwrap_or(Data::Struct(Vec::new())),
                timed,
            })
        }
        MessageType::INVOKE_RESPONSE => {
            let (mut status, mut result) = (None, None);
            rest(&mut m, |k, r| {
                match k {
                    2 => status = Some(Status(r.uint_as(2)?)),
                    // The result counts only after a success; otherwise it is skipped unread,
                    // like any field the message does not use.
                    3 if status == Some(Status::SUCCESS) => result = Some(Data::read(r)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            let status = status.ok_or(CodecError::MissingField { key: 2 })?;
            Message::InvokeResponse(if status == Status::SUCCESS {
                Ok(result.unwrap_or(Data::Struct(Vec::new())))
            } else {
                Err(status)
            })
        }
        MessageType::SUBSCRIBE_REQUEST => {
            let mut s = SubscribeRequest::default();
            let (mut min, mut max) = (None, None);
            let (mut attributes, mut events) = (None, None);
            rest(&mut m, |k, r| {
                match k {
                    2 => attributes = Some(list(r, 2, read_attribute_path)?),
                    3 => events = Some(list(r, 3, read_event_path)?),
                    4 => s.event_min = Some(r.uint(4)?),
                    5 => min = Some(r.uint_as(5)?),
                    6 => max = Some(r.uint_as(6)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            s.attributes = required(attributes, 2)?;
            s.events = required(events, 3)?;
            s.min_interval_s = min.ok_or(CodecError::MissingField { key: 5 })?;
            s.max_interval_s = max.ok_or(CodecError::MissingField { key: 6 })?;
            Message::SubscribeRequest(s)
        }
        MessageType::SUBSCRIBE_RESPONSE => {
            let (mut subscription, mut max) = (None, None);
            rest(&mut m, |k, r| {
                match k {
                    2 => subscription = Some(r.uint_as(2)?),
                    3 => max = Some(r.uint_as(3)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            Message::SubscribeResponse(SubscribeResponse {
                subscription: subscription.ok_or(CodecError::MissingField { key: 2 })?,
                max_interval_s: max.ok_or(CodecError::MissingField { key: 3 })?,
            })
        }
        MessageType::TIMED_REQUEST => Message::TimedRequest {
            timeout_ms: one_uint(&mut m)?,
        },
        MessageType::STATUS_RESPONSE => Message::StatusResponse(Status(one_uint(&mut m)?)),
        MessageType::UNSUBSCRIBE => Message::Unsubscribe {
            subscription: one_uint(&mut m)?,
        },
        _ => return Err(CodecError::OutOfRange { key: 0 }),
    };
    Ok(Envelope { exchange, message })
}

/// Reads the remaining entries of `m`: `f` reads the value of a key it knows and returns
/// true, or returns false and the value is skipped.
fn rest<'a>(
    m: &mut MapFields<'_, 'a>,
    mut f: impl FnMut(u64, &mut Reader<'a>) -> Result<bool, CodecError>,
) -> Result<(), CodecError> {
    while let Some(k) = m.next_key()? {
        if !f(k, m.reader())? {
            m.skip_value()?;
        }
    }
    Ok(())
}

/// `[CBOR-11]` a list the message requires, read or missing: an empty list is sent as an
/// empty array, never left out, as `to_value` writes it.
fn required<T>(list: Option<Vec<T>>, key: u64) -> Result<Vec<T>, CodecError> {
    list.ok_or(CodecError::MissingField { key })
}

/// The required unsigned field 2 of a message that has only that one.
fn one_uint<T: TryFrom<u64>>(m: &mut MapFields<'_, '_>) -> Result<T, CodecError> {
    let mut value = None;
    rest(m, |k, r| {
        if k != 2 {
            return Ok(false);
        }
        value = Some(r.uint_as(2)?);
        Ok(true)
    })?;
    value.ok_or(CodecError::MissingField { key: 2 })
}

fn list<'a, T>(
    r: &mut Reader<'a>,
    key: u64,
    item: impl Fn(&mut Reader<'a>) -> Result<T, CodecError>,
) -> Result<Vec<T>, CodecError> {
    // The length is within the collection limit the check enforced.
    let n = r.array(key)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(item(r)?);
    }
    Ok(out)
}

/// A path's three elements, each of which may be absent: endpoint, capability, and the
/// attribute, event or command.
type PathElements = (Option<EndpointId>, Option<u32>, Option<u16>);

/// The elements of a path map.
fn read_wildcard(r: &mut Reader<'_>) -> Result<PathElements, CodecError> {
    let (mut a, mut b, mut c) = (None, None, None);
    let mut m = r.map()?;
    rest(&mut m, |k, r| {
        match k {
            // [IM-83] endpoint 0xffff is outside the format.
            0 => a = Some(super::path::endpoint(r.uint(0)?)?),
            1 => b = Some(r.uint_as(1)?),
            2 => c = Some(r.uint_as(2)?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok((a, b, c))
}

fn read_attribute_path(r: &mut Reader<'_>) -> Result<AttributePath, CodecError> {
    let (e, c, a) = read_wildcard(r)?;
    Ok(AttributePath {
        endpoint: e,
        capability: c.map(CapabilityId),
        attribute: a.map(AttributeId),
    })
}

fn read_event_path(r: &mut Reader<'_>) -> Result<EventPath, CodecError> {
    let (e, c, x) = read_wildcard(r)?;
    Ok(EventPath {
        endpoint: e,
        capability: c.map(CapabilityId),
        event: x.map(EventId),
    })
}

fn read_command_path(r: &mut Reader<'_>) -> Result<CommandPath, CodecError> {
    let (e, c, x) = read_wildcard(r)?;
    Ok(CommandPath {
        endpoint: e.ok_or(CodecError::MissingField { key: 0 })?,
        capability: CapabilityId(c.ok_or(CodecError::MissingField { key: 1 })?),
        command: CommandId(x.ok_or(CodecError::MissingField { key: 2 })?),
    })
}

/// A map holding a concrete attribute at keys 0..=2 and, at keys 3 and 4, whatever `extra`
/// reads (it returns false for keys it does not know).
fn read_concrete<'a>(
    r: &mut Reader<'a>,
    mut extra: impl FnMut(u64, &mut Reader<'a>) -> Result<bool, CodecError>,
) -> Result<ConcreteAttribute, CodecError> {
    let (mut e, mut c, mut a) = (None, None, None);
    let mut m = r.map()?;
    rest(&mut m, |k, r| {
        match k {
            0 => e = Some(super::path::endpoint(r.uint(0)?)?),
            1 => c = Some(r.uint_as(1)?),
            2 => a = Some(r.uint_as(2)?),
            _ => return extra(k, r),
        }
        Ok(true)
    })?;
    Ok(ConcreteAttribute {
        endpoint: e.ok_or(CodecError::MissingField { key: 0 })?,
        capability: CapabilityId(c.ok_or(CodecError::MissingField { key: 1 })?),
        attribute: AttributeId(a.ok_or(CodecError::MissingField { key: 2 })?),
    })
}

fn read_write_entry(r: &mut Reader<'_>) -> Result<(ConcreteAttribute, Data), CodecError> {
    let mut data = None;
    let path = read_concrete(r, |k, r| {
        if k != 3 {
            return Ok(false);
        }
        data = Some(Data::read(r)?);
        Ok(true)
    })?;
    Ok((path, data.ok_or(CodecError::MissingField { key: 3 })?))
}

fn read_attribute_report(r: &mut Reader<'_>) -> Result<AttributeReport, CodecError> {
    let (mut data, mut status) = (None, None);
    let path = read_concrete(r, |k, r| {
        match k {
            3 => data = Some(Data::read(r)?),
            4 => status = Some(r.uint(4)?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    let result = match (data, status) {
        (Some(d), None) => Ok(d),
        (None, Some(s)) => Err(Status(
            u16::try_from(s).map_err(|_| CodecError::OutOfRange { key: 4 })?,
        )),
        _ => return Err(CodecError::MissingField { key: 3 }),
    };
    Ok(AttributeReport { path, result })
}

fn read_path_status(r: &mut Reader<'_>) -> Result<PathStatus, CodecError> {
    let mut status = None;
    let path = read_concrete(r, |k, r| {
        if k != 4 {
            return Ok(false);
        }
        status = Some(Status(r.uint_as(4)?));
        Ok(true)
    })?;
    Ok(PathStatus {
        path,
        status: status.ok_or(CodecError::MissingField { key: 4 })?,
    })
}

fn read_event_record(r: &mut Reader<'_>) -> Result<EventRecord, CodecError> {
    let mut f: [Option<u64>; 6] = [None; 6];
    let mut fields = None;
    let mut m = r.map()?;
    rest(&mut m, |k, r| {
        match k {
            0..=5 => {
                if let Some(slot) = f.get_mut(k as usize) {
                    *slot = Some(r.uint(k)?);
                }
            }
            6 => fields = Some(Data::read(r)?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    let req = |k: u64| {
        f.get(k as usize)
            .copied()
            .flatten()
            .ok_or(CodecError::MissingField { key: k })
    };
    Ok(EventRecord {
        number: req(0)?,
        endpoint: EndpointId::from_wire(req(1)?).ok_or(CodecError::OutOfRange { key: 1 })?,
        capability: CapabilityId(fit(req(2)?, 2)?),
        event: EventId(fit(req(3)?, 3)?),
        priority: Priority::from_code(req(4)?).ok_or(CodecError::OutOfRange { key: 4 })?,
        uptime_ms: req(5)?,
        fields: fields.ok_or(CodecError::MissingField { key: 6 })?,
    })
}

fn fit<T: TryFrom<u64>>(v: u64, key: u64) -> Result<T, CodecError> {
    T::try_from(v).map_err(|_| CodecError::OutOfRange { key })
}

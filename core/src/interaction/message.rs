//! Interaction messages: one CBOR map per protected message `[IM-1]`..`[IM-5]`.

use super::path::{AttributePath, CommandPath, ConcreteAttribute, EventPath};
use super::report::{AttributeReport, EventRecord, PathStatus};
use crate::codec::{CborMessage, CodecError, Limits, MapBuilder, MapReader, Value};
use crate::model::Data;
use crate::status::Status;

/// Message type code, key 0 of every interaction message `[IM-2]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct MessageType(pub u64);

impl MessageType {
    /// [`Message::DescribeRequest`].
    pub const DESCRIBE_REQUEST: MessageType = MessageType(1);
    /// [`Message::DescribeResponse`].
    pub const DESCRIBE_RESPONSE: MessageType = MessageType(2);
    /// [`Message::ReadRequest`].
    pub const READ_REQUEST: MessageType = MessageType(3);
    /// [`Message::Report`].
    pub const REPORT: MessageType = MessageType(4);
    /// [`Message::WriteRequest`].
    pub const WRITE_REQUEST: MessageType = MessageType(5);
    /// [`Message::WriteResponse`].
    pub const WRITE_RESPONSE: MessageType = MessageType(6);
    /// [`Message::InvokeRequest`].
    pub const INVOKE_REQUEST: MessageType = MessageType(7);
    /// [`Message::InvokeResponse`].
    pub const INVOKE_RESPONSE: MessageType = MessageType(8);
    /// [`Message::SubscribeRequest`].
    pub const SUBSCRIBE_REQUEST: MessageType = MessageType(9);
    /// [`Message::SubscribeResponse`].
    pub const SUBSCRIBE_RESPONSE: MessageType = MessageType(10);
    /// [`Message::TimedRequest`].
    pub const TIMED_REQUEST: MessageType = MessageType(11);
    /// [`Message::StatusResponse`].
    pub const STATUS_RESPONSE: MessageType = MessageType(12);
    /// [`Message::Unsubscribe`].
    pub const UNSUBSCRIBE: MessageType = MessageType(13);
}

/// Limits of an interaction message `[IM-4]`: larger than the handshake messages, because a
/// descriptor or a report of many attributes is large.
pub const IM_LIMITS: Limits = Limits {
    max_message: 8192,
    max_depth: 12,
    max_collection: 128,
    max_string: 4096,
    max_items: 2048,
};

/// Room reserved for an encoded message before it is written.
const TYPICAL_MESSAGE: usize = 96;

/// A read request `[IM-20]`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ReadRequest {
    /// Attribute paths (wildcards allowed).
    pub attributes: Vec<AttributePath>,
    /// Event paths (wildcards allowed).
    pub events: Vec<EventPath>,
    /// Report only events numbered at least this.
    pub event_min: Option<u64>,
}

/// A write request `[IM-21]`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct WriteRequest {
    /// Concrete attributes and their new values, applied in order.
    pub writes: Vec<(ConcreteAttribute, Data)>,
    /// Follows a timed request on the same exchange `[IM-40]`.
    pub timed: bool,
    /// All entries are applied, or none is `[IM-24]`.
    pub atomic: bool,
}

impl WriteRequest {
    /// A plain write of `writes`: each entry applied on its own `[IM-22]`.
    pub fn new(writes: Vec<(ConcreteAttribute, Data)>) -> Self {
        WriteRequest {
            writes,
            timed: false,
            atomic: false,
        }
    }

    /// The same write as a timed interaction `[IM-40]`.
    pub fn timed(self) -> Self {
        WriteRequest {
            timed: true,
            ..self
        }
    }

    /// The same write, all or nothing `[IM-24]`.
    pub fn atomic(self) -> Self {
        WriteRequest {
            atomic: true,
            ..self
        }
    }
}

/// An invoke request `[IM-30]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct InvokeRequest {
    /// The command.
    pub path: CommandPath,
    /// Its arguments (a struct; empty when it has none).
    pub args: Data,
    /// Follows a timed request on the same exchange `[IM-40]`.
    pub timed: bool,
}

/// A subscribe request `[IM-60]`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct SubscribeRequest {
    /// Attribute paths (wildcards allowed).
    pub attributes: Vec<AttributePath>,
    /// Event paths (wildcards allowed).
    pub events: Vec<EventPath>,
    /// Report only events numbered at least this.
    pub event_min: Option<u64>,
    /// Seconds the device waits at least between two reports.
    pub min_interval_s: u32,
    /// Seconds after which the device reports even if nothing changed (keep-alive).
    pub max_interval_s: u32,
}

/// A report: the answer to a read, the initial report of a subscription, or a subscription
/// report `[IM-14]`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Report {
    /// The subscription it belongs to, if any.
    pub subscription: Option<u32>,
    /// Attribute values and statuses.
    pub attributes: Vec<AttributeReport>,
    /// Events, in ascending number.
    pub events: Vec<EventRecord>,
    /// More reports follow for the same exchange `[IM-16]`.
    pub more: bool,
}

/// The answer to a subscribe request, after its initial report `[IM-61]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SubscribeResponse {
    /// The subscription's identifier.
    pub subscription: u32,
    /// The keep-alive interval the device chose.
    pub max_interval_s: u32,
}

/// Every interaction message.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Message {
    /// Asks for the device's signed descriptor `[IM-70]`.
    DescribeRequest,
    /// The signed descriptor: its encoding and the device's signature over it `[DM-41]`.
    DescribeResponse {
        /// The deterministic encoding of the [`crate::model::Descriptor`].
        descriptor: Vec<u8>,
        /// Ed25519 signature by the device's operational key.
        signature: Vec<u8>,
    },
    /// Read attributes and events.
    ReadRequest(ReadRequest),
    /// A report.
    Report(Report),
    /// Write attributes.
    WriteRequest(WriteRequest),
    /// A status per written path.
    WriteResponse(Vec<PathStatus>),
    /// Invoke a command.
    InvokeRequest(InvokeRequest),
    /// The command's result or its status.
    InvokeResponse(Result<Data, Status>),
    /// Subscribe to attributes and events.
    SubscribeRequest(SubscribeRequest),
    /// The subscription was established.
    SubscribeResponse(SubscribeResponse),
    /// Opens a timed interaction on this exchange for `timeout_ms` `[IM-40]`.
    TimedRequest {
        /// How long the following write or invoke may take to arrive.
        timeout_ms: u32,
    },
    /// A status for a whole request.
    StatusResponse(Status),
    /// Ends a subscription.
    Unsubscribe {
        /// The subscription.
        subscription: u32,
    },
}

/// A message with its exchange number `[IM-3]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Envelope {
    /// The exchange: chosen by the controller for a request and echoed in every answer;
    /// 0 for subscription reports.
    pub exchange: u32,
    /// The message.
    pub message: Message,
}

impl Envelope {
    /// The message type.
    pub fn message_type(&self) -> MessageType {
        use Message as M;
        match &self.message {
            M::DescribeRequest => MessageType::DESCRIBE_REQUEST,
            M::DescribeResponse { .. } => MessageType::DESCRIBE_RESPONSE,
            M::ReadRequest(_) => MessageType::READ_REQUEST,
            M::Report(_) => MessageType::REPORT,
            M::WriteRequest(_) => MessageType::WRITE_REQUEST,
            M::WriteResponse(_) => MessageType::WRITE_RESPONSE,
            M::InvokeRequest(_) => MessageType::INVOKE_REQUEST,
            M::InvokeResponse(_) => MessageType::INVOKE_RESPONSE,
            M::SubscribeRequest(_) => MessageType::SUBSCRIBE_REQUEST,
            M::SubscribeResponse(_) => MessageType::SUBSCRIBE_RESPONSE,
            M::TimedRequest { .. } => MessageType::TIMED_REQUEST,
            M::StatusResponse(_) => MessageType::STATUS_RESPONSE,
            M::Unsubscribe { .. } => MessageType::UNSUBSCRIBE,
        }
    }
}

fn list<T>(items: &[T], f: impl Fn(&T) -> Value) -> Value {
    Value::Array(items.iter().map(f).collect())
}

fn opt_bool(m: &mut MapReader, key: u64) -> Result<bool, CodecError> {
    match m.take(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(_) => Err(CodecError::WrongType {
            key,
            expected: "boolean",
        }),
    }
}

fn status_of(v: u64, key: u64) -> Result<Status, CodecError> {
    u16::try_from(v)
        .map(Status)
        .map_err(|_| CodecError::OutOfRange { key })
}

impl CborMessage for Envelope {
    fn to_value(&self) -> Value {
        use Message as M;
        let b = MapBuilder::new()
            .put(0, self.message_type().0)
            .put(1, self.exchange);
        match &self.message {
            M::DescribeRequest => b,
            M::DescribeResponse {
                descriptor,
                signature,
            } => b.bytes(2, descriptor).bytes(3, signature),
            M::ReadRequest(r) => b
                .put(2, list(&r.attributes, |p| p.to_value()))
                .put(3, list(&r.events, |p| p.to_value()))
                .opt(4, r.event_min),
            M::Report(r) => b
                .opt(2, r.subscription)
                .put(3, list(&r.attributes, AttributeReport::to_value))
                .put(4, list(&r.events, EventRecord::to_value))
                .opt(5, r.more.then_some(true)),
            M::WriteRequest(w) => b
                .put(
                    2,
                    list(&w.writes, |(p, d)| {
                        p.put(MapBuilder::new()).put(3, d.to_value()).build()
                    }),
                )
                .opt(3, w.timed.then_some(true))
                .opt(4, w.atomic.then_some(true)),
            M::WriteResponse(s) => b.put(2, list(s, |p| p.to_value())),
            M::InvokeRequest(i) => b
                .put(2, i.path.to_value())
                .put(3, i.args.to_value())
                .opt(4, i.timed.then_some(true)),
            M::InvokeResponse(Ok(result)) => b.put(2, Status::SUCCESS.0).put(3, result.to_value()),
            M::InvokeResponse(Err(status)) => b.put(2, status.0),
            M::SubscribeRequest(s) => b
                .put(2, list(&s.attributes, |p| p.to_value()))
                .put(3, list(&s.events, |p| p.to_value()))
                .opt(4, s.event_min)
                .put(5, s.min_interval_s)
                .put(6, s.max_interval_s),
            M::SubscribeResponse(s) => b.put(2, s.subscription).put(3, s.max_interval_s),
            M::TimedRequest { timeout_ms } => b.put(2, *timeout_ms),
            M::StatusResponse(s) => b.put(2, s.0),
            M::Unsubscribe { subscription } => b.put(2, *subscription),
        }
        .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(value)?;
        let ty = MessageType(m.uint(0)?);
        let exchange = m.uint_as(1)?;
        let message = match ty {
            MessageType::DESCRIBE_REQUEST => Message::DescribeRequest,
            MessageType::DESCRIBE_RESPONSE => Message::DescribeResponse {
                descriptor: m.bytes(2)?,
                signature: m.bytes(3)?,
            },
            MessageType::READ_REQUEST => Message::ReadRequest(ReadRequest {
                attributes: m.list_of(2, AttributePath::from_value)?,
                events: m.list_of(3, EventPath::from_value)?,
                event_min: m.opt_uint(4)?,
            }),
            MessageType::REPORT => Message::Report(Report {
                subscription: m
                    .opt_uint(2)?
                    .map(u32::try_from)
                    .transpose()
                    .map_err(|_| CodecError::OutOfRange { key: 2 })?,
                attributes: m.list_of(3, AttributeReport::from_value)?,
                events: m.list_of(4, EventRecord::from_value)?,
                more: opt_bool(&mut m, 5)?,
            }),
            MessageType::WRITE_REQUEST => Message::WriteRequest(WriteRequest {
                writes: m.list_of(2, |v| {
                    let mut e = MapReader::new(v)?;
                    Ok((
                        ConcreteAttribute::read(&mut e)?,
                        Data::from_value(e.required(3)?)?,
                    ))
                })?,
                timed: opt_bool(&mut m, 3)?,
                atomic: opt_bool(&mut m, 4)?,
            }),
            MessageType::WRITE_RESPONSE => {
                Message::WriteResponse(m.list_of(2, PathStatus::from_value)?)
            }
            MessageType::INVOKE_REQUEST => Message::InvokeRequest(InvokeRequest {
                path: CommandPath::from_value(m.required(2)?)?,
                args: m
                    .take(3)
                    .map(Data::from_value)
                    .transpose()?
                    .unwrap_or(Data::Struct(Vec::new())),
                timed: opt_bool(&mut m, 4)?,
            }),
            MessageType::INVOKE_RESPONSE => {
                let status = status_of(m.uint(2)?, 2)?;
                Message::InvokeResponse(if status == Status::SUCCESS {
                    Ok(m.take(3)
                        .map(Data::from_value)
                        .transpose()?
                        .unwrap_or(Data::Struct(Vec::new())))
                } else {
                    Err(status)
                })
            }
            MessageType::SUBSCRIBE_REQUEST => Message::SubscribeRequest(SubscribeRequest {
                attributes: m.list_of(2, AttributePath::from_value)?,
                events: m.list_of(3, EventPath::from_value)?,
                event_min: m.opt_uint(4)?,
                min_interval_s: m.uint_as(5)?,
                max_interval_s: m.uint_as(6)?,
            }),
            MessageType::SUBSCRIBE_RESPONSE => Message::SubscribeResponse(SubscribeResponse {
                subscription: m.uint_as(2)?,
                max_interval_s: m.uint_as(3)?,
            }),
            MessageType::TIMED_REQUEST => Message::TimedRequest {
                timeout_ms: m.uint_as(2)?,
            },
            MessageType::STATUS_RESPONSE => Message::StatusResponse(status_of(m.uint(2)?, 2)?),
            MessageType::UNSUBSCRIBE => Message::Unsubscribe {
                subscription: m.uint_as(2)?,
            },
            _ => return Err(CodecError::OutOfRange { key: 0 }),
        };
        Ok(Envelope { exchange, message })
    }

    fn limits() -> Limits {
        IM_LIMITS
    }

    // Every request and answer takes these two: they write and read the bytes directly
    // (`wire.rs`), with the same results as the tree forms above.
    fn encode_into(&self, out: &mut Vec<u8>) {
        super::wire::encode_envelope(self, out);
    }

    fn to_bytes(&self) -> Vec<u8> {
        // Most requests and answers are a few dozen bytes: one allocation instead of a
        // string of doublings.
        let mut out = Vec::with_capacity(TYPICAL_MESSAGE);
        self.encode_into(&mut out);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        super::wire::decode_envelope(bytes)
    }
}

//! A reference device fed an arbitrary sequence of requests within established sessions
//! (`core/src/device/node.rs`, `spec/v1/13-interaction.md`, `spec/v1/15-access-control.md`).

use arbitrary::{Arbitrary, Unstructured};
use orbit_core::codec::CborMessage;
use orbit_core::crypto::sign::SigningKey;
use orbit_core::device::{DeviceNode, Requester};
use orbit_core::interaction::{
    exchange_of_prefix, AttributePath, CommandPath, ConcreteAttribute, Envelope, EventPath,
    InvokeRequest, Message, ReadRequest, SubscribeRequest, WriteRequest,
};
use orbit_core::model::{AttributeId, CapabilityId, CommandId, Data, EndpointId, EventId};
use orbit_devices::Kind;
use std::time::{Duration, Instant};

/// Who sends a request: the administrator of the device's home, a node of that home without
/// any access entry, or a node of a home the device does not belong to.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Node 1 of home 1, which commissioned the device (administer on everything, [ACL-6]).
    Admin,
    /// Node 3 of home 1, with no entry [ACL-3].
    Member,
    /// Node 1 of home 2, which the device never joined.
    Stranger,
}

/// A path, wildcard or concrete, built from the device's own descriptor so the fuzzer hits
/// real attributes, commands and events.
#[derive(Arbitrary, Debug)]
pub struct PathPick {
    /// Which of the device's known items (modulo their number).
    pub index: u8,
    /// Bit 0: any endpoint; bit 1: any capability; bit 2: any item; bit 3: a number that is
    /// not in the descriptor.
    pub wild: u8,
    /// The number used when bit 3 is set.
    pub other: u16,
}

/// A data value of bounded depth.
#[derive(Arbitrary, Debug)]
pub enum Value {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An unsigned integer.
    Uint(u64),
    /// A negative integer.
    Neg(u32),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A list of small scalars.
    List(Vec<u16>),
    /// A struct of fields holding scalars.
    Struct(Vec<(u8, Scalar)>),
}

/// A scalar field of a struct.
#[derive(Arbitrary, Debug)]
pub enum Scalar {
    /// An unsigned integer.
    Uint(u32),
    /// A boolean.
    Bool(bool),
    /// Text (a PIN, a name).
    Text(String),
    /// Bytes (a PIN).
    Bytes(Vec<u8>),
}

/// A request.
#[derive(Arbitrary, Debug)]
pub enum Request {
    /// Describe.
    Describe,
    /// Read attributes and events.
    Read(Vec<PathPick>, Vec<PathPick>, Option<u64>),
    /// Write attributes.
    Write(Vec<(PathPick, Value)>, bool, bool),
    /// Invoke a command.
    Invoke(PathPick, Value, bool),
    /// Subscribe.
    Subscribe(Vec<PathPick>, Vec<PathPick>, u16, u16),
    /// Open a timed interaction.
    Timed(u16),
    /// End a subscription.
    Unsubscribe(u8),
    /// Bytes of the fuzzer's own.
    Raw(Vec<u8>),
}

/// One step.
#[derive(Arbitrary, Debug)]
pub enum Step {
    /// A request on `exchange` (0 is not a request's exchange, [IM-101]).
    Send(Who, u16, Request),
    /// Time passes (milliseconds).
    Wait(u16),
    /// The device's timers run (reports, keep-alives).
    Timers,
    /// The session of `who` closes.
    Close(Who),
}

/// A plan: which reference device, then the steps.
#[derive(Arbitrary, Debug)]
pub struct Plan {
    /// Which device kind (modulo five).
    pub device: u8,
    /// The steps.
    pub steps: Vec<Step>,
}

const HOME: u64 = 1;
const OTHER_HOME: u64 = 2;

fn requester(who: Who) -> Requester {
    match who {
        Who::Admin => Requester {
            session: 1,
            home: HOME,
            node: 1,
        },
        Who::Member => Requester {
            session: 2,
            home: HOME,
            node: 3,
        },
        Who::Stranger => Requester {
            session: 3,
            home: OTHER_HOME,
            node: 1,
        },
    }
}

/// What the device offers, from its descriptor.
struct Known {
    attributes: Vec<(EndpointId, CapabilityId, AttributeId)>,
    commands: Vec<(EndpointId, CapabilityId, CommandId)>,
    events: Vec<(EndpointId, CapabilityId, EventId)>,
}

fn known(node: &DeviceNode) -> Known {
    let mut k = Known {
        attributes: Vec::new(),
        commands: Vec::new(),
        events: Vec::new(),
    };
    for e in node.descriptor().endpoints {
        for c in e.capabilities {
            k.attributes
                .extend(c.attributes.iter().map(|a| (e.id, c.id, *a)));
            k.commands
                .extend(c.commands.iter().map(|a| (e.id, c.id, *a)));
            k.events.extend(c.events.iter().map(|a| (e.id, c.id, *a)));
        }
    }
    k
}

fn pick<T: Copy>(
    items: &[(EndpointId, CapabilityId, T)],
    p: &PathPick,
    make: impl Fn(u16) -> T,
) -> Option<(EndpointId, CapabilityId, T)> {
    let (e, c, i) = *items.get(usize::from(p.index) % items.len().max(1))?;
    Some(if p.wild & 8 == 0 {
        (e, c, i)
    } else {
        match p.wild & 3 {
            0 => (EndpointId(p.other), c, i),
            1 => (e, CapabilityId(u32::from(p.other)), i),
            _ => (e, c, make(p.other)),
        }
    })
}

fn attribute_path(k: &Known, p: &PathPick) -> Option<AttributePath> {
    let (e, c, a) = pick(&k.attributes, p, AttributeId)?;
    Some(AttributePath {
        endpoint: (p.wild & 1 == 0).then_some(e),
        capability: (p.wild & 2 == 0).then_some(c),
        attribute: (p.wild & 4 == 0).then_some(a),
    })
}

fn event_path(k: &Known, p: &PathPick) -> Option<EventPath> {
    let (e, c, v) = pick(&k.events, p, EventId)?;
    Some(EventPath {
        endpoint: (p.wild & 1 == 0).then_some(e),
        capability: (p.wild & 2 == 0).then_some(c),
        event: (p.wild & 4 == 0).then_some(v),
    })
}

fn data(v: Value) -> Data {
    let scalar = |s: Scalar| match s {
        Scalar::Uint(u) => Data::Uint(u.into()),
        Scalar::Bool(b) => Data::Bool(b),
        Scalar::Text(t) => Data::Text(t),
        Scalar::Bytes(b) => Data::Bytes(b),
    };
    match v {
        Value::Null => Data::Null,
        Value::Bool(b) => Data::Bool(b),
        Value::Uint(u) => Data::Uint(u),
        Value::Neg(n) => Data::int(-1 - i64::from(n)),
        Value::Text(t) => Data::Text(t),
        Value::Bytes(b) => Data::Bytes(b),
        Value::List(l) => Data::List(l.into_iter().map(|u| Data::Uint(u.into())).collect()),
        Value::Struct(fields) => {
            Data::structure(fields.into_iter().map(|(f, s)| (f, scalar(s))).collect())
        }
    }
}

fn encode(k: &Known, exchange: u32, request: Request) -> Vec<u8> {
    let attrs = |ps: Vec<PathPick>| ps.iter().filter_map(|p| attribute_path(k, p)).collect();
    let events = |ps: Vec<PathPick>| ps.iter().filter_map(|p| event_path(k, p)).collect();
    let message = match request {
        Request::Raw(bytes) => return bytes,
        Request::Describe => Message::DescribeRequest,
        Request::Read(a, e, event_min) => Message::ReadRequest(ReadRequest {
            attributes: attrs(a),
            events: events(e),
            event_min,
        }),
        Request::Write(writes, timed, atomic) => Message::WriteRequest(WriteRequest {
            writes: writes
                .into_iter()
                .filter_map(|(p, v)| {
                    let (e, c, a) = pick(&k.attributes, &p, AttributeId)?;
                    Some((ConcreteAttribute::new(e, c, a), data(v)))
                })
                .collect(),
            timed,
            atomic,
        }),
        Request::Invoke(p, args, timed) => {
            let Some((e, c, cmd)) = pick(&k.commands, &p, CommandId) else {
                return Vec::new();
            };
            Message::InvokeRequest(InvokeRequest {
                path: CommandPath::new(e, c, cmd),
                args: data(args),
                timed,
            })
        }
        Request::Subscribe(a, e, min, max) => Message::SubscribeRequest(SubscribeRequest {
            attributes: attrs(a),
            events: events(e),
            event_min: None,
            min_interval_s: u32::from(min % 8),
            max_interval_s: u32::from(max % 16),
        }),
        Request::Timed(ms) => Message::TimedRequest {
            timeout_ms: u32::from(ms),
        },
        Request::Unsubscribe(s) => Message::Unsubscribe {
            subscription: u32::from(s % 8),
        },
    };
    Envelope { exchange, message }.to_bytes()
}

/// Target `device_node`: a reference device (the plan picks which) answers any sequence of
/// requests from three requesters, with time passing and sessions closing. Every answer is
/// one decodable interaction message of an answer's type on the request's exchange
/// [IM-1] [IM-5] [IM-100]; a requester without an access entry learns no attribute value,
/// event or descriptor, in answers or in subscription reports [ACL-3] [ACL-5]; every report
/// the timers send is a subscription report on exchange 0 [IM-62] [IM-101]. Nothing panics.
pub fn device_node(data: &[u8]) {
    let Ok(plan) = Plan::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let kinds = [
        Kind::Lamp,
        Kind::Thermostat,
        Kind::Lock,
        Kind::Sensor,
        Kind::Strip,
    ];
    let Some(&kind) = kinds.get(usize::from(plan.device) % kinds.len()) else {
        return;
    };
    let mut now = Instant::now();
    let Ok(mut node) = kind.build(now, "fuzz-1") else {
        panic!("a reference device did not build");
    };
    node.add_home(HOME, SigningKey::from_seed(&[9; 32]), 1);
    let k = known(&node);
    for step in plan.steps {
        match step {
            Step::Send(who, exchange, request) => {
                let bytes = encode(&k, u32::from(exchange), request);
                let from = requester(who);
                let answers = node.handle(now, &from, &bytes);
                check_answers(&bytes, who, &answers);
            }
            Step::Wait(ms) => now += Duration::from_millis(u64::from(ms)),
            Step::Timers => {
                for out in node.handle_timeout(now) {
                    let Ok(env) = Envelope::decode(&out.bytes) else {
                        panic!("the device sent an undecodable report [IM-1]");
                    };
                    assert_eq!(
                        env.exchange, 0,
                        "a subscription report off exchange 0 [IM-101]"
                    );
                    assert!(
                        matches!(env.message, Message::Report(ref r) if r.subscription.is_some()),
                        "the timers sent something other than a subscription report: {env:?}"
                    );
                    if out.session != 1 {
                        // Only the administrator has an entry: a subscription of anyone else
                        // (one with no paths is accepted) reports nothing [ACL-3].
                        if let Message::Report(r) = &env.message {
                            assert!(
                                r.attributes.iter().all(|a| a.result.is_err())
                                    && r.events.is_empty(),
                                "a subscription report gave values to a node without an entry [ACL-3]: {r:?}"
                            );
                        }
                    }
                }
            }
            Step::Close(who) => node.session_closed(requester(who).session),
        }
        while node.poll_event().is_some() {}
    }
}

fn check_answers(request: &[u8], who: Who, answers: &[Vec<u8>]) {
    assert!(!answers.is_empty(), "a request got no answer [IM-5]");
    let exchange = exchange_of_prefix(request);
    for answer in answers {
        let Ok(env) = Envelope::decode(answer) else {
            panic!("the device sent an undecodable answer [IM-1]");
        };
        assert_eq!(
            env.exchange, exchange,
            "an answer on another exchange [IM-100]"
        );
        let is_answer = matches!(
            env.message,
            Message::DescribeResponse { .. }
                | Message::Report(_)
                | Message::WriteResponse(_)
                | Message::InvokeResponse(_)
                | Message::SubscribeResponse(_)
                | Message::StatusResponse(_)
        );
        assert!(is_answer, "the device answered with a request: {env:?}");
        if who != Who::Admin {
            match &env.message {
                Message::DescribeResponse { .. } => {
                    panic!("a node without an entry got the descriptor [ACL-3]")
                }
                Message::Report(r) => {
                    assert!(
                        r.attributes.iter().all(|a| a.result.is_err()) && r.events.is_empty(),
                        "a node without an entry read values [ACL-3]: {r:?}"
                    );
                }
                Message::InvokeResponse(Ok(_)) => {
                    panic!("a node without an entry invoked a command [ACL-3]")
                }
                _ => {}
            }
        }
    }
}

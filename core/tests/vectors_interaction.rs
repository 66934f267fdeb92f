//! Interaction vectors for implementers (`spec/v1/vectors/`): a signed descriptor
//! (`descriptor.json`), a conversation covering every request kind (`interaction-messages.json`)
//! and error answers with their exchange numbers (`interaction-errors.json`). Every message is
//! produced by the reference device node from fixed inputs; the tests rewrite the files with
//! `ORBIT_REGEN_VECTORS=1`, fail when they differ from the code, and check each file's claims
//! on its own (signatures verify, answers decode to the exchange and status listed).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod vector_support;

use orbit_core::cert::HomeId;
use orbit_core::codec::CborMessage;
use orbit_core::crypto::sign::{PublicKey, SigningKey};
use orbit_core::device::{
    AclEntry, Behavior, Context, DeviceBuilder, DeviceInfo, DeviceNode, Endpoint, Requester,
};
use orbit_core::interaction::{
    AttributePath, CommandPath, ConcreteAttribute, Envelope, EventPath, InvokeRequest, Message,
    ReadRequest, SubscribeRequest, WriteRequest,
};
use orbit_core::model::std_caps::{door_lock, level, on_off};
use orbit_core::model::{
    CapabilityId, Data, Descriptor, EndpointId, Privilege, DESCRIPTOR_SIGNATURE_CONTEXT,
};
use orbit_core::status::Status;
use serde_json::{json, Value as Json};
use std::time::{Duration, Instant};
use vector_support::{check_file, diag_bytes, hex, unhex};

const HOME: HomeId = 0x0123_4567_89ab_cdef;
const DEVICE_KEY_SEED: [u8; 32] = [0x5a; 32];
const ADMIN: u64 = 0x1001;
const VIEWER: u64 = 0x1002;
const STRANGER: u64 = 0x1003;
const LAMP: EndpointId = EndpointId(1);
const LOCK: EndpointId = EndpointId(2);

/// On-off, level and a door lock whose lock and unlock record `lock-operation` events.
struct VectorBehavior;

impl Behavior for VectorBehavior {
    fn invoke(
        &mut self,
        ctx: &mut Context<'_>,
        cmd: CommandPath,
        args: &Data,
    ) -> Result<Data, Status> {
        use on_off::{attributes::ON, commands as oo};
        match (cmd.capability, cmd.command) {
            (on_off::ID, oo::OFF) => ctx.set(on_off::ID, ON, false)?,
            (on_off::ID, oo::ON) => ctx.set(on_off::ID, ON, true)?,
            (on_off::ID, oo::TOGGLE) => {
                let on = ctx.get_bool(on_off::ID, ON).unwrap_or(false);
                ctx.set(on_off::ID, ON, !on)?
            }
            (level::ID, level::commands::MOVE_TO_LEVEL) => {
                let l = args
                    .field(0)
                    .and_then(Data::as_u64)
                    .ok_or(Status::INVALID_DATA_TYPE)?;
                ctx.set(level::ID, level::attributes::CURRENT_LEVEL, l)?
            }
            (door_lock::ID, c)
                if c == door_lock::commands::LOCK_DOOR || c == door_lock::commands::UNLOCK_DOOR =>
            {
                let lock = c == door_lock::commands::LOCK_DOOR;
                ctx.set(
                    door_lock::ID,
                    door_lock::attributes::LOCK_STATE,
                    if lock { 1u64 } else { 2u64 },
                )?;
                ctx.emit(
                    door_lock::ID,
                    door_lock::events::LOCK_OPERATION,
                    Data::Struct(vec![(0, Data::Uint(u64::from(!lock))), (1, Data::Uint(0))]),
                )?;
            }
            _ => return Err(Status::UNSUPPORTED_COMMAND),
        }
        Ok(Data::Struct(vec![]))
    }
}

fn device(t0: Instant) -> DeviceNode {
    let info = DeviceInfo {
        vendor_id: 0xFFF1,
        vendor_name: "Orbit vectors".into(),
        product_id: 0x8001,
        product_name: "Vector lamp".into(),
        serial_number: "V-0001".into(),
        hardware_version: "1".into(),
        firmware_version: "1.0.0".into(),
    };
    let mut node = DeviceBuilder::new(info)
        .endpoint(
            Endpoint::new(LAMP.0, "lamp", VectorBehavior)
                .with(on_off::ID)
                .with(level::ID),
        )
        .endpoint(Endpoint::new(LOCK.0, "lock", VectorBehavior).with(door_lock::ID))
        .build(t0)
        .unwrap();
    node.add_home(HOME, SigningKey::from_seed(&DEVICE_KEY_SEED), ADMIN);
    let mut entries = node.access_control().entries().to_vec();
    entries.push(AclEntry::whole_device(HOME, VIEWER, Privilege::View));
    node.restore_access_control(entries);
    node
}

fn requester(node: u64) -> Requester {
    Requester {
        session: node,
        home: HOME,
        node,
    }
}

fn bytes_of(exchange: u32, message: Message) -> Vec<u8> {
    Envelope { exchange, message }.to_bytes()
}

fn message_json(bytes: &[u8]) -> Json {
    json!({ "hex": hex(bytes), "diag": diag_bytes(bytes) })
}

fn on() -> ConcreteAttribute {
    ConcreteAttribute::new(LAMP, on_off::ID, on_off::attributes::ON)
}

fn current_level() -> ConcreteAttribute {
    ConcreteAttribute::new(LAMP, level::ID, level::attributes::CURRENT_LEVEL)
}

fn cap_path(capability: CapabilityId) -> AttributePath {
    AttributePath {
        endpoint: None,
        capability: Some(capability),
        attribute: None,
    }
}

/// One step of the conversation: who sends what at which time after start, and what the
/// device answers.
struct Conversation {
    node: DeviceNode,
    t0: Instant,
    steps: Vec<Json>,
}

impl Conversation {
    fn new() -> Self {
        let t0 = Instant::now();
        Conversation {
            node: device(t0),
            t0,
            steps: Vec::new(),
        }
    }

    fn send(&mut self, title: &str, rules: &[&str], from: u64, at_ms: u64, request: &[u8]) {
        let now = self.t0 + Duration::from_millis(at_ms);
        let answers = self.node.handle(now, &requester(from), request);
        self.steps.push(json!({
            "title": title,
            "rules": rules,
            "from_node": from,
            "at_ms": at_ms,
            "request": message_json(request),
            "answers": answers.iter().map(|a| message_json(a)).collect::<Vec<_>>(),
        }));
    }

    /// Reports the device sends on its own at `at_ms` (subscription reports, exchange 0).
    fn tick(&mut self, title: &str, rules: &[&str], at_ms: u64) {
        let now = self.t0 + Duration::from_millis(at_ms);
        let out = self.node.handle_timeout(now);
        self.steps.push(json!({
            "title": title,
            "rules": rules,
            "at_ms": at_ms,
            "device_sends": out.iter().map(|o| message_json(&o.bytes)).collect::<Vec<_>>(),
        }));
    }
}

fn conversation() -> Json {
    let mut c = Conversation::new();
    c.send(
        "describe",
        &["IM-70", "DM-41"],
        ADMIN,
        10,
        &bytes_of(1, Message::DescribeRequest),
    );
    c.send(
        "read with wildcards: every attribute of endpoint 1, every on-off attribute anywhere, and every event",
        &["IM-10", "IM-11", "IM-13", "IM-20", "IM-53"],
        ADMIN,
        20,
        &bytes_of(
            2,
            Message::ReadRequest(ReadRequest {
                attributes: vec![AttributePath::endpoint(LAMP), cap_path(on_off::ID)],
                events: vec![EventPath::ALL],
                event_min: None,
            }),
        ),
    );
    c.send(
        "read of a concrete path on an endpoint the device lacks: a status in the report",
        &["IM-13"],
        ADMIN,
        30,
        &bytes_of(
            3,
            Message::ReadRequest(ReadRequest {
                attributes: vec![ConcreteAttribute::new(
                    EndpointId(9),
                    on_off::ID,
                    on_off::attributes::ON,
                )
                .path()],
                ..Default::default()
            }),
        ),
    );
    c.send(
        "write: two entries, one outside the attribute's range (each entry on its own)",
        &["IM-21", "IM-22"],
        ADMIN,
        40,
        &bytes_of(
            4,
            Message::WriteRequest(WriteRequest::new(vec![
                (on(), Data::Bool(true)),
                (current_level(), Data::Uint(300)),
            ])),
        ),
    );
    c.send(
        "atomic write with one failing entry: nothing is applied",
        &["IM-24"],
        ADMIN,
        50,
        &bytes_of(
            5,
            Message::WriteRequest(
                WriteRequest::new(vec![
                    (current_level(), Data::Uint(10)),
                    (on(), Data::Uint(1)),
                ])
                .atomic(),
            ),
        ),
    );
    c.send(
        "atomic write that succeeds",
        &["IM-24"],
        ADMIN,
        60,
        &bytes_of(
            6,
            Message::WriteRequest(
                WriteRequest::new(vec![
                    (current_level(), Data::Uint(10)),
                    (on(), Data::Bool(false)),
                ])
                .atomic(),
            ),
        ),
    );
    c.send(
        "invoke on-off toggle",
        &["IM-30"],
        ADMIN,
        70,
        &bytes_of(
            7,
            Message::InvokeRequest(InvokeRequest {
                path: CommandPath::new(LAMP, on_off::ID, on_off::commands::TOGGLE),
                args: Data::Struct(vec![]),
                timed: false,
            }),
        ),
    );
    c.send(
        "invoke of a timed command without a timed-request",
        &["IM-40"],
        ADMIN,
        80,
        &bytes_of(
            8,
            Message::InvokeRequest(InvokeRequest {
                path: CommandPath::new(LOCK, door_lock::ID, door_lock::commands::LOCK_DOOR),
                args: Data::Struct(vec![]),
                timed: false,
            }),
        ),
    );
    c.send(
        "timed-request opens a 1000 ms window on exchange 9",
        &["IM-40", "IM-41"],
        ADMIN,
        90,
        &bytes_of(9, Message::TimedRequest { timeout_ms: 1000 }),
    );
    c.send(
        "the timed invoke follows on the same exchange; the lock records a lock-operation event",
        &["IM-40", "IM-50"],
        ADMIN,
        95,
        &bytes_of(
            9,
            Message::InvokeRequest(InvokeRequest {
                path: CommandPath::new(LOCK, door_lock::ID, door_lock::commands::LOCK_DOOR),
                args: Data::Struct(vec![]),
                timed: true,
            }),
        ),
    );
    c.send(
        "subscribe to on-off and level of endpoint 1 and to the lock's events from number 2",
        &["IM-60", "IM-61"],
        ADMIN,
        100,
        &bytes_of(
            10,
            Message::SubscribeRequest(SubscribeRequest {
                attributes: vec![on().path(), current_level().path()],
                events: vec![EventPath {
                    endpoint: Some(LOCK),
                    capability: Some(door_lock::ID),
                    event: None,
                }],
                event_min: Some(2),
                min_interval_s: 1,
                max_interval_s: 60,
            }),
        ),
    );
    c.send(
        "a write that changes a subscribed attribute",
        &["IM-21", "IM-62"],
        ADMIN,
        500,
        &bytes_of(
            11,
            Message::WriteRequest(WriteRequest::new(vec![(current_level(), Data::Uint(200))])),
        ),
    );
    c.tick(
        "after min_interval_s the device reports the change on exchange 0",
        &["IM-3", "IM-62"],
        1200,
    );
    c.tick(
        "nothing changed for max_interval_s: an empty keep-alive report",
        &["IM-63"],
        61_300,
    );
    c.send(
        "read the lock's events from number 2 (event_min)",
        &["IM-20", "IM-53"],
        ADMIN,
        61_400,
        &bytes_of(
            12,
            Message::ReadRequest(ReadRequest {
                attributes: vec![],
                events: vec![EventPath {
                    endpoint: Some(LOCK),
                    capability: None,
                    event: None,
                }],
                event_min: Some(2),
            }),
        ),
    );
    c.send(
        "unsubscribe",
        &["IM-65"],
        ADMIN,
        61_500,
        &bytes_of(13, Message::Unsubscribe { subscription: 1 }),
    );
    json!({
        "description": "One conversation between a controller and the reference device node, in order: each step gives the requester's node ID (all in home `home_id`), the time since the device started, the request and every message the device answers with (or, for a step without a request, the messages it sends on its own). Messages are interaction messages (spec/v1/13-interaction.md) before message protection, as hex and CBOR diagnostic notation. The device: endpoint 0 (root capabilities), endpoint 1 `lamp` (on-off, level), endpoint 2 `lock` (door-lock, whose lock and unlock commands record lock-operation events); node `admin` has administer on the whole device, node `viewer` view. Its descriptor is the one of descriptor.json.",
        "generated_by": "core/tests/vectors_interaction.rs (set ORBIT_REGEN_VECTORS=1 to rewrite)",
        "home_id": format!("{HOME:016x}"),
        "admin": ADMIN,
        "viewer": VIEWER,
        "steps": c.steps,
    })
}

/// An answer in the errors file: the request, and the one message the device answers.
fn error_case(
    node: &mut DeviceNode,
    t0: Instant,
    title: &str,
    rules: &[&str],
    from: u64,
    request: &[u8],
) -> Json {
    let answers = node.handle(t0 + Duration::from_millis(5), &requester(from), request);
    assert_eq!(answers.len(), 1, "{title}");
    let env = Envelope::decode(&answers[0]).unwrap();
    let status = match env.message {
        Message::StatusResponse(s) => s,
        Message::Report(r) => r.attributes[0].result.clone().unwrap_err(),
        Message::WriteResponse(s) => s[0].status,
        Message::InvokeResponse(result) => result.unwrap_err(),
        other => panic!("{title}: {other:?}"),
    };
    json!({
        "title": title,
        "rules": rules,
        "from_node": from,
        "request_hex": hex(request),
        "answer": message_json(&answers[0]),
        "answer_exchange": env.exchange,
        "status": status.name().unwrap(),
        "status_code": format!("{:#06x}", status.0),
    })
}

fn errors() -> Json {
    let t0 = Instant::now();
    let mut node = device(t0);
    let mut cases = Vec::new();
    let read_on = |exchange| {
        bytes_of(
            exchange,
            Message::ReadRequest(ReadRequest {
                attributes: vec![on().path()],
                ..Default::default()
            }),
        )
    };
    let mut case = |title: &str, rules: &[&str], from: u64, request: &[u8]| {
        cases.push(error_case(&mut node, t0, title, rules, from, request));
    };
    case(
        "describe by a node without an entry on the device",
        &["IM-70", "ACL-4"],
        STRANGER,
        &bytes_of(21, Message::DescribeRequest),
    );
    case(
        "write by a node with view privilege only: the entry's status",
        &["IM-21", "ACL-4"],
        VIEWER,
        &bytes_of(
            22,
            Message::WriteRequest(WriteRequest::new(vec![(on(), Data::Bool(true))])),
        ),
    );
    case(
        "invoke by a node with view privilege only",
        &["IM-30", "ACL-4"],
        VIEWER,
        &bytes_of(
            23,
            Message::InvokeRequest(InvokeRequest {
                path: CommandPath::new(LAMP, on_off::ID, on_off::commands::TOGGLE),
                args: Data::Struct(vec![]),
                timed: false,
            }),
        ),
    );
    case(
        "invoke of a command the capability lacks",
        &["IM-13"],
        ADMIN,
        &bytes_of(
            24,
            Message::InvokeRequest(InvokeRequest {
                path: CommandPath::new(LAMP, on_off::ID, orbit_core::model::CommandId(0x77)),
                args: Data::Struct(vec![]),
                timed: false,
            }),
        ),
    );
    case(
        "timed-request with timeout_ms 0",
        &["IM-41"],
        ADMIN,
        &bytes_of(25, Message::TimedRequest { timeout_ms: 0 }),
    );
    case(
        "unsubscribe from a subscription that does not exist",
        &["IM-65"],
        ADMIN,
        &bytes_of(26, Message::Unsubscribe { subscription: 77 }),
    );
    case(
        "read with 17 paths, one more than the device's limit",
        &["IM-80"],
        ADMIN,
        &bytes_of(
            27,
            Message::ReadRequest(ReadRequest {
                attributes: vec![on().path(); 17],
                ..Default::default()
            }),
        ),
    );
    case(
        "a message type only a device sends (status-response, type 12) as a request",
        &["IM-2"],
        ADMIN,
        &bytes_of(28, Message::StatusResponse(Status::SUCCESS)),
    );
    // {0: 99, 1: 29}
    case(
        "a message type this version does not know (99)",
        &["IM-2"],
        ADMIN,
        &[0xa2, 0x00, 0x18, 0x63, 0x01, 0x18, 0x1d],
    );
    case(
        "a valid request on exchange 0, which is reserved for subscription reports",
        &["IM-3", "IM-101"],
        ADMIN,
        &read_on(0),
    );
    // The read of on-off, with a float (half-precision 1.0) appended as an unknown key 9.
    let mut float = read_on(30);
    float[0] += 1;
    float.extend_from_slice(&[0x09, 0xf9, 0x3c, 0x00]);
    case(
        "a profile break after the prefix (a float): answered on the request's exchange",
        &["IM-5", "IM-100", "CBOR-5"],
        ADMIN,
        &float,
    );
    // The same read with its path map's keys out of order.
    case(
        "unsorted keys inside the message: answered on the request's exchange",
        &["IM-5", "IM-100", "CBOR-7"],
        ADMIN,
        &[
            0xa4, 0x00, 0x03, 0x01, 0x18, 0x1f, 0x02, 0x81, 0xa3, 0x01, 0x10, 0x00, 0x01, 0x02,
            0x00, 0x03, 0x80,
        ],
    );
    case(
        "a duplicated exchange key: the first one counts",
        &["IM-5", "IM-100", "CBOR-7"],
        ADMIN,
        &[0xa3, 0x00, 0x01, 0x01, 0x18, 0x20, 0x01, 0x18, 0x21],
    );
    let mut big = vec![0xa3, 0x00, 0x03, 0x01, 0x18, 0x22, 0x09, 0x59, 0x20, 0x00];
    big.extend(std::iter::repeat_n(0u8, 0x2000));
    case(
        "a message larger than 8192 bytes (an unknown key holding 8192 bytes): resource-exhausted on the request's exchange",
        &["IM-4", "IM-5", "IM-100"],
        ADMIN,
        &big,
    );
    case(
        "a required key missing (timed-request without key 2, timeout_ms): invalid-message on the exchange",
        &["IM-5", "IM-100"],
        ADMIN,
        &[0xa2, 0x00, 0x0b, 0x01, 0x18, 0x23],
    );
    case(
        "the exchange in a longer head than needed (35 in two bytes): exchange 0",
        &["IM-5", "IM-100", "CBOR-3"],
        ADMIN,
        &[0xa3, 0x00, 0x03, 0x01, 0x19, 0x00, 0x23, 0x02, 0x80],
    );
    case(
        "an indefinite-length map: exchange 0",
        &["IM-5", "IM-100", "CBOR-4"],
        ADMIN,
        &[0xbf, 0x00, 0x03, 0x01, 0x18, 0x24, 0x02, 0x80, 0xff],
    );
    case(
        "the type as a text string: exchange 0",
        &["IM-5", "IM-100"],
        ADMIN,
        &[0xa3, 0x00, 0x61, 0x33, 0x01, 0x18, 0x25, 0x02, 0x80],
    );
    case(
        "an exchange above 2^32 - 1: exchange 0",
        &["IM-5", "IM-100"],
        ADMIN,
        &[
            0xa3, 0x00, 0x03, 0x01, 0x1b, 0, 0, 0, 1, 0, 0, 0, 0, 0x02, 0x80,
        ],
    );
    case(
        "not a map: exchange 0",
        &["IM-5", "IM-100"],
        ADMIN,
        &[0x83, 0x03, 0x18, 0x26, 0x80],
    );
    json!({
        "description": "Requests the reference device refuses, each with the one message it answers: the answer's exchange number (read from the request's prefix as [IM-100] defines, 0 when the prefix has another form or the request used exchange 0 [IM-101]) and the status it carries, in a status-response or in the entry of a report, write-response or invoke-response. Requests are interaction messages before message protection, from the nodes and to the device of interaction-messages.json.",
        "generated_by": "core/tests/vectors_interaction.rs (set ORBIT_REGEN_VECTORS=1 to rewrite)",
        "cases": cases,
    })
}

fn descriptor() -> Json {
    let node = device(Instant::now());
    let key = SigningKey::from_seed(&DEVICE_KEY_SEED);
    let (bytes, signature) = node.descriptor().sign(&key);
    let mut signed = DESCRIPTOR_SIGNATURE_CONTEXT.to_vec();
    signed.extend_from_slice(&bytes);
    let mut tampered = bytes.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    json!({
        "description": "The signed descriptor [DM-40] [DM-41] of the device of interaction-messages.json: the device's operational key in the home (Ed25519 seed and public key), the descriptor's encoding (hex and diagnostic notation), the bytes the signature covers (the context string followed by the encoding) and the signature. `tampered` is the encoding with its last byte changed: its signature check fails and a controller MUST NOT use it.",
        "generated_by": "core/tests/vectors_interaction.rs (set ORBIT_REGEN_VECTORS=1 to rewrite)",
        "operational_key_seed": hex(&DEVICE_KEY_SEED),
        "operational_public_key": hex(&key.public_key().0),
        "context": String::from_utf8(DESCRIPTOR_SIGNATURE_CONTEXT.to_vec()).unwrap(),
        "descriptor": message_json(&bytes),
        "signed_bytes": hex(&signed),
        "signature": hex(&signature.0),
        "tampered_descriptor": hex(&tampered),
    })
}

// [DM-41] [IM-70] the signed descriptor: the file matches the code, its signature verifies
// with its public key, and the tampered copy does not.
#[test]
fn descriptor_vector() {
    let file = check_file("descriptor.json", &descriptor());
    let key = PublicKey(unhex(&file["operational_public_key"]).try_into().unwrap());
    let bytes = unhex(&file["descriptor"]["hex"]);
    let signature = unhex(&file["signature"]);
    let d = Descriptor::verify(&bytes, &signature, &key).unwrap();
    assert_eq!(d.vendor_id, 0xFFF1);
    assert!(Descriptor::verify(&unhex(&file["tampered_descriptor"]), &signature, &key).is_err());
}

// [IM-2] [IM-3] [IM-62] [IM-63] the conversation: the file matches the code, every answer
// decodes and carries its request's exchange, and device-initiated reports carry exchange 0.
#[test]
fn interaction_message_vectors() {
    let file = check_file("interaction-messages.json", &conversation());
    for step in file["steps"].as_array().unwrap() {
        if let Some(request) = step.get("request") {
            let req = Envelope::decode(&unhex(&request["hex"])).unwrap();
            let answers = step["answers"].as_array().unwrap();
            assert!(!answers.is_empty(), "{step}");
            for a in answers {
                let env = Envelope::decode(&unhex(&a["hex"])).unwrap();
                assert_eq!(env.exchange, req.exchange, "{step}");
            }
        } else {
            let sent = step["device_sends"].as_array().unwrap();
            assert!(!sent.is_empty(), "{step}");
            for m in sent {
                let env = Envelope::decode(&unhex(&m["hex"])).unwrap();
                assert_eq!(env.exchange, 0, "{step}");
                assert!(matches!(env.message, Message::Report(_)), "{step}");
            }
        }
    }
}

// [IM-5] [IM-100] [IM-101] the error answers: the file matches the code, and each answer
// carries the exchange the prefix rule gives for its request and the status listed.
#[test]
fn interaction_error_vectors() {
    let file = check_file("interaction-errors.json", &errors());
    for case in file["cases"].as_array().unwrap() {
        let request = unhex(&case["request_hex"]);
        let answer = Envelope::decode(&unhex(&case["answer"]["hex"])).unwrap();
        let expected = u64::from(orbit_core::interaction::exchange_of_prefix(&request));
        let exchange_zero_request = Envelope::decode(&request).is_ok_and(|e| e.exchange == 0);
        assert_eq!(u64::from(answer.exchange), expected, "{case}");
        assert_eq!(
            case["answer_exchange"].as_u64().unwrap(),
            expected,
            "{case}"
        );
        if exchange_zero_request {
            assert_eq!(case["status"], "invalid-message", "{case}");
        }
    }
}

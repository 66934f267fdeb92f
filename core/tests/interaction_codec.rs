//! Interaction messages, descriptors and vendor capability schemas on the wire: round trips,
//! signatures, total decoders and the profile's rejections. Rules: spec/v1/01-encoding.md,
//! spec/v1/12-data-model.md, spec/v1/13-interaction.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::codec::{decode_value, CborMessage, CodecError, Limits, MapBuilder, Value};
use orbit_core::crypto::sign::SigningKey;
use orbit_core::interaction::{
    AttributePath, AttributeReport, CommandPath, ConcreteAttribute, Envelope, EventPath,
    EventRecord, InvokeRequest, Message, PathStatus, ReadRequest, Report, SubscribeRequest,
    SubscribeResponse, WriteRequest, IM_LIMITS,
};
use orbit_core::model::{
    Access, AttributeId, AttributeSchema, CapabilityId, CapabilityInstance, CapabilitySchema,
    CommandId, CommandSchema, Data, DataType, Descriptor, DescriptorError, DeviceLimits,
    EndpointDescriptor, EndpointId, EventId, EventSchema, Feature, Field, FieldId, NamedValue,
    Priority, Privilege, Registry, TypeKind, DESCRIPTOR_LIMITS,
};
use orbit_core::status::Status;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::Union;

// ---------------------------------------------------------------------------------------------
// Fixed examples
// ---------------------------------------------------------------------------------------------

fn sample_descriptor(vendor_schemas: Vec<CapabilitySchema>) -> Descriptor {
    Descriptor {
        spec_version: 1,
        vendor_id: 0xfff1,
        product_id: 0x8001,
        revision: 7,
        endpoints: vec![
            EndpointDescriptor {
                id: EndpointId::ROOT,
                label: String::new(),
                capabilities: vec![CapabilityInstance {
                    id: CapabilityId(0x0001),
                    version: 1,
                    features: 0,
                    attributes: vec![AttributeId(0), AttributeId(1)],
                    commands: vec![],
                    events: vec![EventId(0)],
                }],
            },
            EndpointDescriptor {
                id: EndpointId(1),
                label: "socket 1".into(),
                capabilities: vec![CapabilityInstance {
                    id: CapabilityId::vendor_specific(0xfff1, 1),
                    version: 2,
                    features: 0b101,
                    attributes: vec![AttributeId(0)],
                    commands: vec![CommandId(0), CommandId(1)],
                    events: vec![],
                }],
            },
        ],
        limits: DeviceLimits {
            max_paths_per_request: 16,
            max_subscriptions_per_session: 4,
            max_subscriptions_per_home: 16,
            event_buffer: 64,
            max_message: 8192,
        },
        vendor_schemas,
    }
}

// [DM-31] [DM-14] [DM-44] every standard schema, carried as a vendor schema in a descriptor,
// survives the descriptor's encoding within the descriptor's limits; this exercises the schema
// codec end to end through every type kind the registry uses. [CBOR-7] re-encoding gives the
// same bytes.
#[test]
fn every_standard_schema_round_trips_through_a_descriptor() {
    let registry = Registry::standard();
    assert!(!registry.is_empty());
    for schema in registry.iter() {
        let d = sample_descriptor(vec![schema.clone()]);
        let bytes = d.to_bytes();
        let decoded = Descriptor::decode(&bytes)
            .unwrap_or_else(|e| panic!("schema {} ({:?}): {e}", schema.name, schema.id));
        assert_eq!(decoded, d, "schema {}", schema.name);
        assert_eq!(decoded.to_bytes(), bytes, "schema {}", schema.name);
    }
}

/// A field named `name` of type `ty`.
fn field_of(id: u8, ty: DataType) -> Field {
    Field {
        id: FieldId(id),
        name: format!("f-{id}"),
        ty,
        unit: None,
        optional: false,
    }
}

/// `levels` structs, each holding the next in its only field, around an enum (whose list of
/// named values makes it the deepest leaf).
fn nested_struct(levels: usize) -> DataType {
    let leaf = DataType::new(TypeKind::Enum(vec![NamedValue {
        value: 0,
        name: "zero".into(),
    }]));
    (0..levels).fold(leaf, |inner, _| {
        DataType::new(TypeKind::Struct(vec![field_of(0, inner)]))
    })
}

// [DM-18] [DM-44] the deepest schema [DM-18] allows (four levels of struct, which nest
// deeper in the encoding than lists do, around an enum, the deepest leaf) inside a command's arguments, an event's fields and a
// struct's fields fits the descriptor's nesting limit exactly: one level less would reject it.
#[test]
fn the_deepest_schema_allowed_fits_the_descriptor_nesting_limit() {
    let deepest = nested_struct(4);
    let mut vendor = CapabilitySchema {
        id: CapabilityId::vendor_specific(0xfff1, 1),
        name: "deep".into(),
        version: 1,
        features: vec![],
        attributes: vec![AttributeSchema {
            id: AttributeId(0),
            name: "a".into(),
            ty: deepest.clone(),
            unit: None,
            access: Access {
                read: true,
                write: false,
                report: false,
            },
            write_privilege: Privilege::Operate,
            timed: false,
            persistent: false,
            optional: false,
            feature: None,
            default: None,
        }],
        commands: vec![CommandSchema {
            id: CommandId(0),
            name: "c".into(),
            privilege: Privilege::Operate,
            timed: false,
            optional: false,
            feature: None,
            args: vec![field_of(0, deepest.clone())],
            result: vec![field_of(0, deepest.clone())],
        }],
        events: vec![EventSchema {
            id: EventId(0),
            name: "e".into(),
            priority: Priority::Info,
            optional: false,
            feature: None,
            fields: vec![field_of(0, deepest)],
        }],
    };
    let d = sample_descriptor(vec![vendor.clone()]);
    let bytes = d.to_bytes();
    assert_eq!(Descriptor::decode(&bytes), Ok(d));
    let tighter = Limits {
        max_depth: DESCRIPTOR_LIMITS.max_depth - 1,
        ..DESCRIPTOR_LIMITS
    };
    assert!(matches!(
        decode_value(&bytes, &tighter),
        Err(CodecError::TooDeep { .. })
    ));
    // [DM-18] [IM-4] a value of that deepest type, as an event's fields and as an attribute
    // value, fits an interaction message.
    let deepest_value = (0..4).fold(Data::Uint(0), |inner, _| Data::Struct(vec![(0, inner)]));
    let report = Envelope {
        exchange: 1,
        message: Message::Report(Report {
            subscription: Some(1),
            attributes: vec![AttributeReport {
                path: ConcreteAttribute::new(EndpointId(1), vendor.id, AttributeId(0)),
                result: Ok(deepest_value.clone()),
            }],
            events: vec![EventRecord {
                number: 1,
                endpoint: EndpointId(1),
                capability: vendor.id,
                event: EventId(0),
                priority: Priority::Info,
                uptime_ms: 0,
                fields: Data::Struct(vec![(0, deepest_value)]),
            }],
            more: false,
        }),
    };
    assert_eq!(Envelope::decode(&report.to_bytes()), Ok(report));
    // One more level is outside [DM-18]: the schema decoder refuses it even where the
    // descriptor's nesting limit would leave room for it (five lists in an attribute's type).
    vendor.attributes[0].ty = (0..5).fold(DataType::new(TypeKind::Bool), |item, _| {
        DataType::new(TypeKind::List {
            item: Box::new(item),
            max_items: 2,
        })
    });
    vendor.commands.clear();
    vendor.events.clear();
    let too_deep = sample_descriptor(vec![vendor]).to_bytes();
    assert!(matches!(
        Descriptor::decode(&too_deep),
        Err(CodecError::TooDeep { max: 4 })
    ));
}

// [DM-41] a signed descriptor verifies under the device's key, and not under another key, nor
// with one byte of the descriptor or of the signature flipped.
#[test]
fn signed_descriptor_verifies_only_with_the_right_key_and_bytes() {
    let mut vendor = Registry::standard().iter().next().unwrap().clone();
    vendor.id = CapabilityId::vendor_specific(0xfff1, 1);
    let d = sample_descriptor(vec![vendor]);
    let key = SigningKey::from_seed(&[7; 32]);
    let other = SigningKey::from_seed(&[8; 32]);
    let (bytes, signature) = d.sign(&key);
    assert_eq!(bytes, d.to_bytes());

    assert_eq!(
        Descriptor::verify(&bytes, &signature.0, &key.public_key()),
        Ok(d.clone())
    );
    assert_eq!(
        Descriptor::verify(&bytes, &signature.0, &other.public_key()),
        Err(DescriptorError::BadSignature)
    );
    for i in [0, bytes.len() / 2, bytes.len() - 1] {
        let mut tampered = bytes.clone();
        tampered[i] ^= 0x01;
        assert_eq!(
            Descriptor::verify(&tampered, &signature.0, &key.public_key()),
            Err(DescriptorError::BadSignature),
            "descriptor byte {i} flipped"
        );
    }
    let mut bad_signature = signature.0;
    bad_signature[10] ^= 0x80;
    assert_eq!(
        Descriptor::verify(&bytes, &bad_signature, &key.public_key()),
        Err(DescriptorError::BadSignature)
    );
    assert_eq!(
        Descriptor::verify(&bytes, &signature.0[..63], &key.public_key()),
        Err(DescriptorError::BadSignature)
    );
}

fn invoke_ok(data: Data) -> Envelope {
    Envelope {
        exchange: 9,
        message: Message::InvokeResponse(Ok(data)),
    }
}

// [CBOR-2] bytes after the envelope are rejected.
#[test]
fn envelope_with_trailing_bytes_is_rejected() {
    let mut bytes = invoke_ok(Data::Uint(1)).to_bytes();
    bytes.push(0x00);
    assert_eq!(
        Envelope::decode(&bytes),
        Err(CodecError::TrailingBytes { count: 1 })
    );
}

// [CBOR-7] [IM-5] a duplicated key (here the exchange, key 1) is rejected, not resolved.
#[test]
fn envelope_with_duplicate_key_is_rejected() {
    // {0: 1, 1: 0, 1: 0}: a describe request whose exchange appears twice.
    let bytes = [0xa3, 0x00, 0x01, 0x01, 0x00, 0x01, 0x00];
    assert_eq!(
        Envelope::decode(&bytes),
        Err(CodecError::MapKeyOrder { offset: 5 })
    );
}

// [IM-4] a text of 5000 bytes exceeds the 4096-byte string limit; a message over 8192 bytes
// exceeds the size limit. Both are resource-exhausted errors [IM-5].
#[test]
fn envelope_over_im_limits_is_rejected() {
    let long = invoke_ok(Data::Text("a".repeat(5000))).to_bytes();
    let err = Envelope::decode(&long).unwrap_err();
    assert_eq!(
        err,
        CodecError::StringTooLong {
            len: 5000,
            max: IM_LIMITS.max_string
        }
    );
    assert_eq!(err.status(), Status::RESOURCE_EXHAUSTED);

    let text = Data::Text("b".repeat(3000));
    let big = Envelope {
        exchange: 1,
        message: Message::Report(Report {
            attributes: (0..3)
                .map(|a| AttributeReport {
                    path: ConcreteAttribute::new(EndpointId(1), CapabilityId(6), AttributeId(a)),
                    result: Ok(text.clone()),
                })
                .collect(),
            ..Report::default()
        }),
    }
    .to_bytes();
    assert!(big.len() > IM_LIMITS.max_message);
    assert_eq!(
        Envelope::decode(&big),
        Err(CodecError::MessageTooLarge {
            len: big.len(),
            max: IM_LIMITS.max_message
        })
    );
}

// [IM-2] [IM-5] an unknown message type is a decoding error, not a panic.
#[test]
fn unknown_message_type_is_an_error() {
    let mut bytes = Vec::new();
    orbit_core::codec::encode_value(
        &MapBuilder::new().put(0, 300u64).put(1, 5u32).build(),
        &mut bytes,
    );
    assert_eq!(
        Envelope::decode(&bytes),
        Err(CodecError::OutOfRange { key: 0 })
    );
}

// [IM-2] a report that is not followed by more leaves key 5 out; one that is carries `true`.
#[test]
fn report_more_false_is_omitted() {
    let keys = |more: bool| {
        let e = Envelope {
            exchange: 3,
            message: Message::Report(Report {
                more,
                ..Report::default()
            }),
        };
        let Value::Map(entries) = decode_value(&e.to_bytes(), &IM_LIMITS).unwrap() else {
            panic!("not a map")
        };
        entries
            .into_iter()
            .map(|(k, _)| k.as_integer().map(u64::try_from).unwrap().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(false), vec![0, 1, 3, 4]);
    assert_eq!(keys(true), vec![0, 1, 3, 4, 5]);
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// [DM-14] data values: canonical integers, structs with sorted unique keys, depth <= 3.
fn data() -> impl Strategy<Value = Data> {
    leaf_data().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Data::List),
            vec((any::<u8>(), inner), 0..4).prop_map(Data::structure),
        ]
    })
}

fn leaf_data() -> impl Strategy<Value = Data> {
    prop_oneof![
        Just(Data::Null),
        any::<bool>().prop_map(Data::Bool),
        any::<u64>().prop_map(Data::Uint),
        any::<i64>().prop_map(Data::int),
        "\\PC{0,12}".prop_map(Data::Text),
        vec(any::<u8>(), 0..16).prop_map(Data::Bytes),
    ]
}

fn attribute_path() -> impl Strategy<Value = AttributePath> {
    (
        option::of(any::<u16>()),
        option::of(any::<u32>()),
        option::of(any::<u16>()),
    )
        .prop_map(|(e, c, a)| AttributePath {
            endpoint: e.map(EndpointId),
            capability: c.map(CapabilityId),
            attribute: a.map(AttributeId),
        })
}

fn event_path() -> impl Strategy<Value = EventPath> {
    (
        option::of(any::<u16>()),
        option::of(any::<u32>()),
        option::of(any::<u16>()),
    )
        .prop_map(|(e, c, x)| EventPath {
            endpoint: e.map(EndpointId),
            capability: c.map(CapabilityId),
            event: x.map(EventId),
        })
}

fn command_path() -> impl Strategy<Value = CommandPath> {
    (any::<u16>(), any::<u32>(), any::<u16>())
        .prop_map(|(e, c, x)| CommandPath::new(EndpointId(e), CapabilityId(c), CommandId(x)))
}

fn concrete() -> impl Strategy<Value = ConcreteAttribute> {
    (any::<u16>(), any::<u32>(), any::<u16>()).prop_map(|(e, c, a)| {
        ConcreteAttribute::new(EndpointId(e), CapabilityId(c), AttributeId(a))
    })
}

fn status() -> impl Strategy<Value = Status> {
    any::<u16>().prop_map(Status)
}

fn priority() -> impl Strategy<Value = Priority> {
    prop_oneof![
        Just(Priority::Debug),
        Just(Priority::Info),
        Just(Priority::Critical)
    ]
}

fn privilege() -> impl Strategy<Value = Privilege> {
    proptest::sample::select(Privilege::ALL.to_vec())
}

fn attribute_report() -> impl Strategy<Value = AttributeReport> {
    (
        concrete(),
        prop_oneof![data().prop_map(Ok), status().prop_map(Err)],
    )
        .prop_map(|(path, result)| AttributeReport { path, result })
}

fn event_record() -> impl Strategy<Value = EventRecord> {
    (
        any::<u64>(),
        any::<u16>(),
        any::<u32>(),
        any::<u16>(),
        priority(),
        any::<u64>(),
        data(),
    )
        .prop_map(
            |(number, endpoint, capability, event, priority, uptime_ms, fields)| EventRecord {
                number,
                endpoint: EndpointId(endpoint),
                capability: CapabilityId(capability),
                event: EventId(event),
                priority,
                uptime_ms,
                fields,
            },
        )
}

/// [IM-2] every message variant.
fn message() -> impl Strategy<Value = Message> {
    let arms: Vec<BoxedStrategy<Message>> = vec![
        Just(Message::DescribeRequest).boxed(),
        (vec(any::<u8>(), 0..80), vec(any::<u8>(), 0..80))
            .prop_map(|(descriptor, signature)| Message::DescribeResponse {
                descriptor,
                signature,
            })
            .boxed(),
        (
            vec(attribute_path(), 0..4),
            vec(event_path(), 0..4),
            option::of(any::<u64>()),
        )
            .prop_map(|(attributes, events, event_min)| {
                Message::ReadRequest(ReadRequest {
                    attributes,
                    events,
                    event_min,
                })
            })
            .boxed(),
        (
            option::of(any::<u32>()),
            vec(attribute_report(), 0..4),
            vec(event_record(), 0..3),
            any::<bool>(),
        )
            .prop_map(|(subscription, attributes, events, more)| {
                Message::Report(Report {
                    subscription,
                    attributes,
                    events,
                    more,
                })
            })
            .boxed(),
        (
            vec((concrete(), data()), 0..4),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(writes, timed, atomic)| {
                Message::WriteRequest(WriteRequest {
                    writes,
                    timed,
                    atomic,
                })
            })
            .boxed(),
        vec(
            (concrete(), status()).prop_map(|(path, status)| PathStatus { path, status }),
            0..4,
        )
        .prop_map(Message::WriteResponse)
        .boxed(),
        (command_path(), data(), any::<bool>())
            .prop_map(|(path, args, timed)| {
                Message::InvokeRequest(InvokeRequest { path, args, timed })
            })
            .boxed(),
        // Status 0 is success, which always carries a result; Err(SUCCESS) is not a message.
        prop_oneof![
            data().prop_map(Ok),
            (1..=u16::MAX).prop_map(|s| Err(Status(s)))
        ]
        .prop_map(Message::InvokeResponse)
        .boxed(),
        (
            vec(attribute_path(), 0..4),
            vec(event_path(), 0..4),
            option::of(any::<u64>()),
            any::<u32>(),
            any::<u32>(),
        )
            .prop_map(
                |(attributes, events, event_min, min_interval_s, max_interval_s)| {
                    Message::SubscribeRequest(SubscribeRequest {
                        attributes,
                        events,
                        event_min,
                        min_interval_s,
                        max_interval_s,
                    })
                },
            )
            .boxed(),
        (any::<u32>(), any::<u32>())
            .prop_map(|(subscription, max_interval_s)| {
                Message::SubscribeResponse(SubscribeResponse {
                    subscription,
                    max_interval_s,
                })
            })
            .boxed(),
        any::<u32>()
            .prop_map(|timeout_ms| Message::TimedRequest { timeout_ms })
            .boxed(),
        status().prop_map(Message::StatusResponse).boxed(),
        any::<u32>()
            .prop_map(|subscription| Message::Unsubscribe { subscription })
            .boxed(),
    ];
    Union::new(arms)
}

fn envelope() -> impl Strategy<Value = Envelope> {
    (any::<u32>(), message()).prop_map(|(exchange, message)| Envelope { exchange, message })
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,7}(-[a-z0-9]{1,6}){0,2}"
}

fn named_values() -> impl Strategy<Value = Vec<NamedValue>> {
    vec((0u8..=63, name()), 1..4).prop_map(|v| {
        v.into_iter()
            .map(|(value, name)| NamedValue { value, name })
            .collect()
    })
}

fn nullable(kind: impl Strategy<Value = TypeKind>) -> impl Strategy<Value = DataType> {
    (kind, any::<bool>()).prop_map(|(kind, nullable)| DataType { kind, nullable })
}

/// Types without nested arrays, so they can sit anywhere inside a container type.
fn scalar_type() -> impl Strategy<Value = DataType> {
    nullable(prop_oneof![
        Just(TypeKind::Bool),
        (any::<u64>(), any::<u64>()).prop_map(|(min, max)| TypeKind::Uint { min, max }),
        (any::<i64>(), any::<i64>()).prop_map(|(min, max)| TypeKind::Int { min, max }),
        (any::<u32>(), any::<u32>())
            .prop_map(|(min_len, max_len)| TypeKind::Text { min_len, max_len }),
        (any::<u32>(), any::<u32>())
            .prop_map(|(min_len, max_len)| TypeKind::Bytes { min_len, max_len }),
    ])
}

fn field(ty: impl Strategy<Value = DataType>) -> impl Strategy<Value = Field> {
    (
        any::<u8>(),
        name(),
        ty,
        option::of("[a-z]{1,6}-[a-z]{1,6}"),
        any::<bool>(),
    )
        .prop_map(|(id, name, ty, unit, optional)| Field {
            id: FieldId(id),
            name,
            ty,
            unit,
            optional,
        })
}

/// [DM-14] [DM-18] every kind, lists and structs nested up to the four levels a schema may
/// use; the deepest fit the descriptor's nesting limit wherever a schema puts them [DM-44].
fn data_type() -> impl Strategy<Value = DataType> {
    let leaf = prop_oneof![
        scalar_type(),
        nullable(named_values().prop_map(TypeKind::Enum)),
        nullable(named_values().prop_map(TypeKind::Bitmap)),
    ];
    leaf.prop_recursive(4, 12, 2, |inner| {
        prop_oneof![
            nullable(
                (inner.clone(), any::<u32>()).prop_map(|(item, max_items)| TypeKind::List {
                    item: Box::new(item),
                    max_items
                })
            ),
            nullable(vec(field(inner), 1..3).prop_map(TypeKind::Struct)),
        ]
    })
}

fn feature_bit() -> impl Strategy<Value = Option<u8>> {
    option::of(0u8..=31)
}

fn attribute_schema() -> impl Strategy<Value = AttributeSchema> {
    (
        any::<u16>(),
        name(),
        data_type(),
        option::of("[a-z]{1,6}-[a-z]{1,6}"),
        any::<[bool; 3]>(),
        privilege(),
        any::<[bool; 3]>(),
        feature_bit(),
        option::of(leaf_data()),
    )
        .prop_map(
            |(
                id,
                name,
                ty,
                unit,
                [read, write, report],
                write_privilege,
                flags,
                feature,
                default,
            )| {
                AttributeSchema {
                    id: AttributeId(id),
                    name,
                    ty,
                    unit,
                    access: Access {
                        read,
                        write,
                        report,
                    },
                    write_privilege,
                    timed: flags[0],
                    persistent: flags[1],
                    optional: flags[2],
                    feature,
                    default,
                }
            },
        )
}

fn command_schema() -> impl Strategy<Value = CommandSchema> {
    (
        any::<u16>(),
        name(),
        privilege(),
        any::<[bool; 2]>(),
        feature_bit(),
        vec(field(data_type()), 0..3),
        vec(field(data_type()), 0..3),
    )
        .prop_map(
            |(id, name, privilege, [timed, optional], feature, args, result)| CommandSchema {
                id: CommandId(id),
                name,
                privilege,
                timed,
                optional,
                feature,
                args,
                result,
            },
        )
}

fn event_schema() -> impl Strategy<Value = EventSchema> {
    (
        any::<u16>(),
        name(),
        priority(),
        any::<bool>(),
        feature_bit(),
        vec(field(data_type()), 0..3),
    )
        .prop_map(
            |(id, name, priority, optional, feature, fields)| EventSchema {
                id: EventId(id),
                name,
                priority,
                optional,
                feature,
                fields,
            },
        )
}

/// [DM-31] a vendor capability schema.
fn capability_schema() -> impl Strategy<Value = CapabilitySchema> {
    (
        any::<u16>(),
        1..=u16::MAX,
        name(),
        any::<u16>(),
        vec((0u8..=31, name()), 0..3),
        vec(attribute_schema(), 0..3),
        vec(command_schema(), 0..3),
        vec(event_schema(), 0..3),
    )
        .prop_map(
            |(number, vendor, name, version, features, attributes, commands, events)| {
                CapabilitySchema {
                    id: CapabilityId::vendor_specific(vendor, number),
                    name,
                    version,
                    features: features
                        .into_iter()
                        .map(|(bit, name)| Feature { bit, name })
                        .collect(),
                    attributes,
                    commands,
                    events,
                }
            },
        )
}

fn capability_instance() -> impl Strategy<Value = CapabilityInstance> {
    (
        any::<u32>(),
        any::<u16>(),
        any::<u32>(),
        vec(any::<u16>(), 0..6),
        vec(any::<u16>(), 0..6),
        vec(any::<u16>(), 0..6),
    )
        .prop_map(
            |(id, version, features, attributes, commands, events)| CapabilityInstance {
                id: CapabilityId(id),
                version,
                features,
                attributes: attributes.into_iter().map(AttributeId).collect(),
                commands: commands.into_iter().map(CommandId).collect(),
                events: events.into_iter().map(EventId).collect(),
            },
        )
}

fn descriptor() -> impl Strategy<Value = Descriptor> {
    let endpoint = (any::<u16>(), "\\PC{0,12}", vec(capability_instance(), 0..4)).prop_map(
        |(id, label, capabilities)| EndpointDescriptor {
            id: EndpointId(id),
            label,
            capabilities,
        },
    );
    let limits = any::<[u32; 5]>().prop_map(|l| DeviceLimits {
        max_paths_per_request: l[0],
        max_subscriptions_per_session: l[1],
        max_subscriptions_per_home: l[2],
        event_buffer: l[3],
        max_message: l[4],
    });
    (
        any::<[u16; 3]>(),
        any::<u32>(),
        vec(endpoint, 0..4),
        limits,
        vec(capability_schema(), 0..3),
    )
        .prop_map(
            |(
                [spec_version, vendor_id, product_id],
                revision,
                endpoints,
                limits,
                vendor_schemas,
            )| {
                Descriptor {
                    spec_version,
                    vendor_id,
                    product_id,
                    revision,
                    endpoints,
                    limits,
                    vendor_schemas,
                }
            },
        )
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip(Index, u8),
    Insert(Index, u8),
    Delete(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 1..=u8::MAX).prop_map(|(i, mask)| Mutation::Flip(i, mask)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<Index>().prop_map(Mutation::Delete),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        match m {
            Mutation::Flip(i, mask) if !bytes.is_empty() => {
                let i = i.index(bytes.len());
                bytes[i] ^= mask;
            }
            Mutation::Insert(i, b) => {
                let i = i.index(bytes.len() + 1);
                bytes.insert(i, *b);
            }
            Mutation::Delete(i) if !bytes.is_empty() => {
                bytes.remove(i.index(bytes.len()));
            }
            _ => {}
        }
    }
    bytes
}

// ---------------------------------------------------------------------------------------------
// Decode-encode identity
// ---------------------------------------------------------------------------------------------

/// Compares an accepted input (`raw`) with its re-encoding (`re`), both as CBOR values, and
/// counts the differences the codecs legitimately introduce:
///
/// - a key of the input missing from the re-encoding: an unknown key, ignored [CBOR-8], or a
///   default written out although the encoder leaves it out (`5: false` in a report, `1: false`
///   in a write request);
/// - a key of the re-encoding missing from the input whose value is an empty array, an empty map
///   or an empty text: a receiver treats an absent list as empty, an absent label as "" and
///   absent invoke arguments or results as the empty struct.
///
/// Any other difference (a value changed, an item lost or reordered) is an error.
fn compare(raw: &Value, re: &Value, benign: &mut usize) -> Result<(), String> {
    match (raw, re) {
        (Value::Map(a), Value::Map(b)) => {
            for (k, v) in a {
                match b.iter().find(|(k2, _)| k2 == k) {
                    Some((_, v2)) => compare(v, v2, benign)?,
                    None => *benign += 1,
                }
            }
            for (k, v) in b {
                if !a.iter().any(|(k1, _)| k1 == k) {
                    let empty = match v {
                        Value::Array(x) => x.is_empty(),
                        Value::Map(x) => x.is_empty(),
                        Value::Text(x) => x.is_empty(),
                        _ => false,
                    };
                    if !empty {
                        return Err(format!("key {k:?} appeared with {v:?}"));
                    }
                    *benign += 1;
                }
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            a.iter().zip(b).try_for_each(|(x, y)| compare(x, y, benign))
        }
        _ if raw == re => Ok(()),
        _ => Err(format!("{raw:?} became {re:?}")),
    }
}

/// [CBOR-7] decoding is total, and an accepted input re-encodes to exactly its own bytes,
/// because the profile is deterministic. The exact identity is only checked for inputs that
/// have no unknown keys and no defaulted fields (see [`compare`]): ignoring unknown keys
/// [CBOR-8] and filling in absent lists are legitimate reasons for the bytes to change. For the
/// others, every difference must be one of those, and the re-encoding must be a fixed point.
fn check_decoder<T>(input: &[u8], limits: &Limits) -> Result<(), TestCaseError>
where
    T: CborMessage + Clone + PartialEq + std::fmt::Debug,
{
    let Ok(decoded) = T::decode(input) else {
        return Ok(());
    };
    let again = decoded.to_bytes();
    prop_assert_eq!(T::decode(&again), Ok(decoded.clone()));
    let raw = decode_value(input, limits).unwrap();
    let re = decode_value(&again, limits).unwrap();
    let mut benign = 0;
    if let Err(e) = compare(&raw, &re, &mut benign) {
        prop_assert!(false, "{:?} re-encoded differently: {}", decoded, e);
    }
    if benign == 0 {
        prop_assert_eq!(again.as_slice(), input);
    }
    Ok(())
}

fn check_all_decoders(input: &[u8]) -> Result<(), TestCaseError> {
    check_decoder::<Envelope>(input, &IM_LIMITS)?;
    check_decoder::<Descriptor>(input, &DESCRIPTOR_LIMITS)
}

proptest! {
    // [IM-2] [IM-4] [CBOR-7] every message round trips, and its encoding is deterministic.
    #[test]
    fn envelope_round_trips(e in envelope()) {
        let bytes = e.to_bytes();
        prop_assert!(bytes.len() <= IM_LIMITS.max_message);
        let decoded = Envelope::decode(&bytes);
        prop_assert_eq!(decoded.as_ref(), Ok(&e));
        prop_assert_eq!(decoded.unwrap().to_bytes(), bytes);
    }

    // [DM-14] data values round trip inside a write request.
    #[test]
    fn data_round_trips(d in data(), p in concrete()) {
        let e = Envelope {
            exchange: 1,
            message: Message::WriteRequest(WriteRequest::new(vec![(p, d)])),
        };
        prop_assert_eq!(Envelope::decode(&e.to_bytes()), Ok(e));
    }

    // [DM-31] [DM-41] descriptors with arbitrary endpoints, capabilities and vendor schemas
    // round trip, byte for byte.
    #[test]
    fn descriptor_round_trips(d in descriptor()) {
        let bytes = d.to_bytes();
        prop_assert!(bytes.len() <= DESCRIPTOR_LIMITS.max_message);
        let decoded = Descriptor::decode(&bytes);
        prop_assert_eq!(decoded.as_ref(), Ok(&d));
        prop_assert_eq!(decoded.unwrap().to_bytes(), bytes);
    }

    // [IM-5] [CBOR-2] arbitrary bytes never make a decoder panic.
    #[test]
    fn decoders_are_total_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..600)) {
        check_all_decoders(&bytes)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    // [IM-5] [CBOR-7] mutated valid envelopes never make a decoder panic; what is still
    // accepted re-encodes to the same bytes.
    #[test]
    fn decoders_are_total_on_mutated_envelopes(
        e in envelope(),
        mutations in vec(mutation(), 1..4),
    ) {
        check_all_decoders(&mutate(e.to_bytes(), &mutations))?;
    }

    // [DM-31] [IM-5] the same for mutated descriptors, which exercises the schema decoder.
    #[test]
    fn decoders_are_total_on_mutated_descriptors(
        d in descriptor(),
        mutations in vec(mutation(), 1..4),
    ) {
        check_all_decoders(&mutate(d.to_bytes(), &mutations))?;
    }
}

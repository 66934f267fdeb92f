//! Proptest strategies for interaction messages, descriptors and schemas, and byte mutations
//! of their encodings; shared by the codec test files.
#![allow(dead_code)]

use orbit_core::interaction::{
    AttributePath, AttributeReport, CommandPath, ConcreteAttribute, Envelope, EventPath,
    EventRecord, InvokeRequest, Message, PathStatus, ReadRequest, Report, SubscribeRequest,
    SubscribeResponse, WriteRequest,
};
use orbit_core::model::{
    Access, AttributeId, AttributeSchema, CapabilityId, CapabilityInstance, CapabilitySchema,
    CommandId, CommandSchema, Data, DataType, Descriptor, DeviceLimits, EndpointDescriptor,
    EndpointId, EventId, EventSchema, Feature, Field, FieldId, NamedValue, Priority, Privilege,
    TypeKind,
};
use orbit_core::status::Status;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::Union;

/// [DM-14] data values: canonical integers, structs with sorted unique keys, depth <= 3.
pub(crate) fn data() -> impl Strategy<Value = Data> {
    leaf_data().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Data::List),
            vec((any::<u8>(), inner), 0..4).prop_map(Data::structure),
        ]
    })
}

pub(crate) fn leaf_data() -> impl Strategy<Value = Data> {
    prop_oneof![
        Just(Data::Null),
        any::<bool>().prop_map(Data::Bool),
        any::<u64>().prop_map(Data::Uint),
        any::<i64>().prop_map(Data::int),
        "\\PC{0,12}".prop_map(Data::Text),
        vec(any::<u8>(), 0..16).prop_map(Data::Bytes),
    ]
}

/// A valid endpoint number: 0xffff is outside the format [IM-83].
pub(crate) fn endpoint() -> impl Strategy<Value = EndpointId> {
    (0..=EndpointId::MAX.0).prop_map(EndpointId)
}

pub(crate) fn attribute_path() -> impl Strategy<Value = AttributePath> {
    (
        option::of(endpoint()),
        option::of(any::<u32>()),
        option::of(any::<u16>()),
    )
        .prop_map(|(e, c, a)| AttributePath {
            endpoint: e,
            capability: c.map(CapabilityId),
            attribute: a.map(AttributeId),
        })
}

pub(crate) fn event_path() -> impl Strategy<Value = EventPath> {
    (
        option::of(endpoint()),
        option::of(any::<u32>()),
        option::of(any::<u16>()),
    )
        .prop_map(|(e, c, x)| EventPath {
            endpoint: e,
            capability: c.map(CapabilityId),
            event: x.map(EventId),
        })
}

pub(crate) fn command_path() -> impl Strategy<Value = CommandPath> {
    (endpoint(), any::<u32>(), any::<u16>())
        .prop_map(|(e, c, x)| CommandPath::new(e, CapabilityId(c), CommandId(x)))
}

pub(crate) fn concrete() -> impl Strategy<Value = ConcreteAttribute> {
    (endpoint(), any::<u32>(), any::<u16>())
        .prop_map(|(e, c, a)| ConcreteAttribute::new(e, CapabilityId(c), AttributeId(a)))
}

pub(crate) fn status() -> impl Strategy<Value = Status> {
    any::<u16>().prop_map(Status)
}

pub(crate) fn priority() -> impl Strategy<Value = Priority> {
    prop_oneof![
        Just(Priority::Debug),
        Just(Priority::Info),
        Just(Priority::Critical)
    ]
}

pub(crate) fn privilege() -> impl Strategy<Value = Privilege> {
    proptest::sample::select(Privilege::ALL.to_vec())
}

pub(crate) fn attribute_report() -> impl Strategy<Value = AttributeReport> {
    (
        concrete(),
        prop_oneof![data().prop_map(Ok), status().prop_map(Err)],
    )
        .prop_map(|(path, result)| AttributeReport { path, result })
}

pub(crate) fn event_record() -> impl Strategy<Value = EventRecord> {
    (
        any::<u64>(),
        endpoint(),
        any::<u32>(),
        any::<u16>(),
        priority(),
        any::<u64>(),
        data(),
    )
        .prop_map(
            |(number, endpoint, capability, event, priority, uptime_ms, fields)| EventRecord {
                number,
                endpoint,
                capability: CapabilityId(capability),
                event: EventId(event),
                priority,
                uptime_ms,
                fields,
            },
        )
}

/// [IM-2] every message variant.
pub(crate) fn message() -> impl Strategy<Value = Message> {
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

pub(crate) fn envelope() -> impl Strategy<Value = Envelope> {
    (any::<u32>(), message()).prop_map(|(exchange, message)| Envelope { exchange, message })
}

pub(crate) fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,7}(-[a-z0-9]{1,6}){0,2}"
}

pub(crate) fn named_values() -> impl Strategy<Value = Vec<NamedValue>> {
    vec((0u8..=63, name()), 1..4).prop_map(|v| {
        v.into_iter()
            .map(|(value, name)| NamedValue { value, name })
            .collect()
    })
}

pub(crate) fn nullable(kind: impl Strategy<Value = TypeKind>) -> impl Strategy<Value = DataType> {
    (kind, any::<bool>()).prop_map(|(kind, nullable)| DataType { kind, nullable })
}

/// Types without nested arrays, so they can sit anywhere inside a container type.
pub(crate) fn scalar_type() -> impl Strategy<Value = DataType> {
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

pub(crate) fn field(ty: impl Strategy<Value = DataType>) -> impl Strategy<Value = Field> {
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
pub(crate) fn data_type() -> impl Strategy<Value = DataType> {
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

pub(crate) fn feature_bit() -> impl Strategy<Value = Option<u8>> {
    option::of(0u8..=31)
}

pub(crate) fn attribute_schema() -> impl Strategy<Value = AttributeSchema> {
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

pub(crate) fn command_schema() -> impl Strategy<Value = CommandSchema> {
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

pub(crate) fn event_schema() -> impl Strategy<Value = EventSchema> {
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
pub(crate) fn capability_schema() -> impl Strategy<Value = CapabilitySchema> {
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

pub(crate) fn capability_instance() -> impl Strategy<Value = CapabilityInstance> {
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

pub(crate) fn descriptor() -> impl Strategy<Value = Descriptor> {
    let endpoint = (endpoint(), "\\PC{0,12}", vec(capability_instance(), 0..4)).prop_map(
        |(id, label, capabilities)| EndpointDescriptor {
            id,
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
pub(crate) enum Mutation {
    Flip(Index, u8),
    Insert(Index, u8),
    Delete(Index),
}

pub(crate) fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 1..=u8::MAX).prop_map(|(i, mask)| Mutation::Flip(i, mask)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<Index>().prop_map(Mutation::Delete),
    ]
}

pub(crate) fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
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

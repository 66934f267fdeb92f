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
    AttributeReport, ConcreteAttribute, Envelope, EventRecord, Message, Report, WriteRequest,
    IM_LIMITS,
};
use orbit_core::model::{
    Access, AttributeId, AttributeSchema, CapabilityId, CapabilityInstance, CapabilitySchema,
    CommandId, CommandSchema, Data, DataType, Descriptor, DescriptorError, DeviceLimits,
    EndpointDescriptor, EndpointId, EventId, EventSchema, Field, FieldId, NamedValue, Priority,
    Privilege, Registry, TypeKind, DESCRIPTOR_LIMITS,
};
use orbit_core::status::Status;
use proptest::collection::vec;
use proptest::prelude::*;

mod strategies;
use strategies::*;

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

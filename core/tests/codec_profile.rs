//! Orbit's CBOR profile: RFC 8949 Appendix A for the accepted subset, the profile's
//! rejections, limits, and decode/encode round trips. Rules: spec/v1/01-encoding.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::codec::{decode_value, encode_value, scan, CodecError, Limits, MapBuilder, Value};
use proptest::prelude::*;

const APPENDIX_A: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/cbor-rfc8949-appendix-a.json"
));

/// Whether an Appendix A example lies in Orbit's profile, judged from its diagnostic notation
/// (independently of the scanner): no floats [CBOR-5], no tags [CBOR-5], no undefined or
/// other simple values [CBOR-5], deterministic encoding [CBOR-3]/[CBOR-4]/[CBOR-7].
fn in_profile(diagnostic: &str, deterministic: bool) -> bool {
    let is_float = diagnostic.contains("Infinity")
        || diagnostic.contains("NaN")
        || (diagnostic.contains('.') && !diagnostic.contains('"'));
    let first_paren = diagnostic.find('(');
    let is_tag =
        first_paren.is_some_and(|i| diagnostic[..i].chars().all(|c| c.is_ascii_digit()) && i > 0);
    let is_simple = diagnostic.contains("undefined") || diagnostic.starts_with("simple(");
    let is_indefinite = diagnostic.contains('_');
    // Integers beyond the 64-bit heads need bignum tags (RFC 8949 §3.4.3).
    let is_bignum = diagnostic
        .parse::<i128>()
        .is_ok_and(|n| n > i128::from(u64::MAX) || n < -(1i128 << 64));
    deterministic && !is_float && !is_tag && !is_simple && !is_indefinite && !is_bignum
}

// [CBOR-1] [CBOR-3] [CBOR-4] [CBOR-5]
#[test]
fn appendix_a_subset_round_trips_and_the_rest_is_rejected() {
    let doc: serde_json::Value = serde_json::from_str(APPENDIX_A).unwrap();
    let examples = doc["examples"].as_array().unwrap();
    assert!(examples.len() >= 80, "vector file truncated");
    let (mut accepted, mut rejected) = (0, 0);
    for ex in examples {
        let diag = ex["diagnostic"].as_str().unwrap();
        let bytes = hex::decode(ex["hex"].as_str().unwrap()).unwrap();
        let det = ex["deterministic"].as_bool().unwrap();
        let result = decode_value(&bytes, &Limits::DEFAULT);
        if in_profile(diag, det) {
            let v = result.unwrap_or_else(|e| panic!("{diag} should be accepted: {e}"));
            let mut out = Vec::new();
            encode_value(&v, &mut out);
            assert_eq!(
                hex::encode(&out),
                hex::encode(&bytes),
                "{diag} re-encodes differently"
            );
            accepted += 1;
        } else {
            let e = result
                .err()
                .unwrap_or_else(|| panic!("{diag} should be rejected"));
            assert!(
                matches!(
                    e,
                    CodecError::UnsupportedType { .. } | CodecError::IndefiniteLength { .. }
                ),
                "{diag}: unexpected error {e:?}"
            );
            rejected += 1;
        }
    }
    assert!(
        accepted >= 30 && rejected >= 30,
        "{accepted} accepted, {rejected} rejected"
    );
    // RFC 7049's simple(24) is not well formed.
    for bad in doc["not_well_formed"].as_array().unwrap() {
        let bytes = hex::decode(bad["hex"].as_str().unwrap()).unwrap();
        assert!(scan(&bytes, &Limits::DEFAULT).is_err());
    }
}

fn err(hex_str: &str) -> CodecError {
    scan(&hex::decode(hex_str).unwrap(), &Limits::DEFAULT).unwrap_err()
}

// [CBOR-2]
#[test]
fn trailing_bytes_rejected() {
    assert_eq!(err("0000"), CodecError::TrailingBytes { count: 1 });
    assert_eq!(err("a0ff00"), CodecError::TrailingBytes { count: 2 });
}

// [CBOR-3]
#[test]
fn non_shortest_heads_rejected() {
    assert!(matches!(
        err("1817"),
        CodecError::NonCanonical { offset: 0 }
    ));
    assert!(matches!(err("190017"), CodecError::NonCanonical { .. }));
    assert!(matches!(err("1a0000ffff"), CodecError::NonCanonical { .. }));
    assert!(matches!(err("5800"), CodecError::NonCanonical { .. }));
    assert!(matches!(err("1c"), CodecError::NonCanonical { .. }));
}

// [CBOR-7]
#[test]
fn duplicate_and_unordered_map_keys_rejected() {
    assert!(matches!(
        err("a201010102"),
        CodecError::MapKeyOrder { offset: 3 }
    ));
    assert!(matches!(err("a202000100"), CodecError::MapKeyOrder { .. }));
    // Length-first ordering: 0x18 0x18 (24) sorts after 0x17 (23), and "b" after 1.
    assert!(scan(
        &hex::decode("a317001818006162f6").unwrap(),
        &Limits::DEFAULT
    )
    .is_ok());
    assert!(matches!(
        err("a26162f61700"),
        CodecError::MapKeyOrder { .. }
    ));
}

// [CBOR-6]
#[test]
fn invalid_utf8_rejected() {
    assert!(matches!(
        err("62c328"),
        CodecError::InvalidUtf8 { offset: 0 }
    ));
}

#[test]
fn truncation_reported_with_offset() {
    assert!(matches!(err("430102"), CodecError::Truncated { .. }));
    assert!(matches!(err("1b0000"), CodecError::Truncated { .. }));
    assert!(matches!(err(""), CodecError::Truncated { offset: 0 }));
    // A length header claiming 2^64-1 bytes must fail cleanly, without allocating.
    assert!(scan(
        &hex::decode("5bffffffffffffffff").unwrap(),
        &Limits {
            max_string: usize::MAX,
            ..Limits::DEFAULT
        }
    )
    .is_err());
}

// [CBOR-10]
#[test]
fn limits_enforced() {
    let l = Limits::DEFAULT;
    let mut deep = vec![0x81u8; l.max_depth + 1];
    deep.push(0x00);
    assert_eq!(
        scan(&deep, &l).unwrap_err(),
        CodecError::TooDeep { max: l.max_depth }
    );
    let mut ok_depth = vec![0x81u8; l.max_depth];
    ok_depth.push(0x00);
    assert!(scan(&ok_depth, &l).is_ok());

    let mut long = vec![0x98, (l.max_collection + 1) as u8];
    long.extend(std::iter::repeat_n(0u8, l.max_collection + 1));
    assert!(matches!(
        scan(&long, &l).unwrap_err(),
        CodecError::CollectionTooLong { .. }
    ));

    let mut s = vec![0x59];
    s.extend_from_slice(&((l.max_string + 1) as u16).to_be_bytes());
    s.extend(std::iter::repeat_n(0u8, l.max_string + 1));
    assert!(matches!(
        scan(&s, &l).unwrap_err(),
        CodecError::StringTooLong { .. }
    ));

    let big = vec![0u8; l.max_message + 1];
    assert!(matches!(
        scan(&big, &l).unwrap_err(),
        CodecError::MessageTooLarge { .. }
    ));

    let tight = Limits { max_items: 3, ..l };
    assert!(scan(&hex::decode("820102").unwrap(), &tight).is_ok());
    assert_eq!(
        scan(&hex::decode("83010203").unwrap(), &tight).unwrap_err(),
        CodecError::TooManyItems { max: 3 }
    );
}

fn profile_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<u64>().prop_map(|n| Value::Integer(n.into())),
        any::<i64>().prop_map(|n| Value::Integer(n.into())),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
        ".{0,20}".prop_map(Value::Text),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(any::<u32>(), inner, 0..6).prop_map(|m| {
                m.into_iter()
                    .fold(MapBuilder::new(), |b, (k, v)| b.put(u64::from(k), v))
                    .build()
            }),
        ]
    })
}

proptest! {
    // [CBOR-1] every value built the profile's way encodes deterministically and decodes back.
    #[test]
    fn encode_then_decode_is_identity(v in profile_value()) {
        let mut out = Vec::new();
        encode_value(&v, &mut out);
        let back = decode_value(&out, &Limits { max_message: 1 << 16, ..Limits::DEFAULT }).unwrap();
        prop_assert_eq!(back, v);
    }

    // Decoding is total, and whatever decodes re-encodes to exactly the input: the profile
    // admits one encoding per value.
    #[test]
    fn decode_is_total_and_canonical(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(v) = decode_value(&bytes, &Limits::DEFAULT) {
            let mut out = Vec::new();
            encode_value(&v, &mut out);
            prop_assert_eq!(out, bytes);
        }
    }

    // The direct encoder writes exactly what ciborium writes for every value of the profile.
    #[test]
    fn direct_encoder_agrees_with_ciborium(v in profile_value()) {
        let mut ours = Vec::new();
        encode_value(&v, &mut ours);
        let mut theirs = Vec::new();
        ciborium::ser::into_writer(&v, &mut theirs).unwrap();
        prop_assert_eq!(ours, theirs);
    }

    // The one-pass decoder builds exactly the value ciborium decodes from bytes the profile
    // accepts, and accepts exactly what the scanner accepts [CBOR-2]..[CBOR-7].
    #[test]
    fn one_pass_decoder_agrees_with_ciborium(v in profile_value(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..3)) {
        let mut bytes = Vec::new();
        encode_value(&v, &mut bytes);
        for (i, x) in flips {
            let n = bytes.len();
            bytes[i % n] ^= x;
        }
        let limits = Limits { max_message: 1 << 16, ..Limits::DEFAULT };
        let ours = decode_value(&bytes, &limits);
        prop_assert_eq!(ours.is_ok(), scan(&bytes, &limits).is_ok());
        if let Ok(value) = ours {
            let theirs: Value = ciborium::de::from_reader(bytes.as_slice()).unwrap();
            prop_assert_eq!(value, theirs);
        }
    }

    #[test]
    fn structured_garbage_never_panics(v in profile_value(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
        let mut out = Vec::new();
        encode_value(&v, &mut out);
        for (i, x) in flips {
            let n = out.len();
            out[i % n] ^= x;
        }
        let _ = decode_value(&out, &Limits::DEFAULT);
    }
}

// [CBOR-3] the direct encoder picks the shortest head at every length boundary, as ciborium
// does, for both signs, and the one-pass decoder reads them back.
#[test]
fn integer_heads_at_every_boundary() {
    let edges: [u64; 11] = [
        0,
        1,
        23,
        24,
        255,
        256,
        65_535,
        65_536,
        u64::from(u32::MAX),
        u64::from(u32::MAX) + 1,
        u64::MAX,
    ];
    let limits = Limits::DEFAULT;
    for n in edges {
        let positive = Value::Integer(n.into());
        let negative =
            Value::Integer(ciborium::value::Integer::try_from(-1 - i128::from(n)).unwrap());
        for v in [positive, negative] {
            let mut ours = Vec::new();
            encode_value(&v, &mut ours);
            let mut theirs = Vec::new();
            ciborium::ser::into_writer(&v, &mut theirs).unwrap();
            assert_eq!(ours, theirs, "{v:?}");
            assert_eq!(decode_value(&ours, &limits).unwrap(), v);
        }
    }
}

//! The interaction messages' direct codec (`core/src/interaction/wire.rs`) against the tree
//! forms (`to_value` / `from_value` through `encode_value` / `decode_value`), which stay the
//! reference: the same bytes for every message, and for every input the same message or an
//! error with the same status. Rules: spec/v1/01-encoding.md, spec/v1/13-interaction.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::codec::{decode_value, encode_value, CborMessage, CodecError, Reader, Value};
use orbit_core::interaction::{Envelope, IM_LIMITS};
use orbit_core::model::Data;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

mod strategies;
use strategies::*;

/// The reference decoding: build the tree, then read the message from it.
fn tree_decode(bytes: &[u8]) -> Result<Envelope, CodecError> {
    Envelope::from_value(decode_value(bytes, &IM_LIMITS)?)
}

fn tree_encode(e: &Envelope) -> Vec<u8> {
    let mut out = Vec::new();
    encode_value(&e.to_value(), &mut out);
    out
}

/// Both decoders accept `bytes` with the same message, or both refuse them with the same
/// status (which is all a peer ever learns of a refusal [IM-5]).
fn same_verdict(bytes: &[u8]) -> Result<(), TestCaseError> {
    match (Envelope::decode(bytes), tree_decode(bytes)) {
        (Ok(direct), Ok(tree)) => prop_assert_eq!(direct, tree),
        (Err(direct), Err(tree)) => prop_assert_eq!(
            direct.status(),
            tree.status(),
            "direct {:?} vs tree {:?}",
            direct,
            tree
        ),
        (direct, tree) => prop_assert!(false, "direct {:?} vs tree {:?}", direct, tree),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Tree mutations: well-formed CBOR whose shape is wrong in one place, which reaches the
// decoders' field checks (byte mutations mostly break the profile first).
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum TreeMutation {
    /// Replace the n-th node (pre-order) with another value.
    Replace(Index, Value),
    /// Remove one entry of the n-th node, if it is a map or an array.
    Remove(Index, Index),
    /// Add `key => value` to the n-th node, if it is a map.
    Add(Index, u64, Value),
}

/// Small values of every kind the profile allows, some of them plausible message fields.
fn small_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        (0u64..8).prop_map(|v| Value::Integer(v.into())),
        prop_oneof![
            Just(u64::from(u16::MAX) + 1),
            Just(u64::from(u32::MAX) + 1),
            Just(u64::MAX),
        ]
        .prop_map(|v| Value::Integer(v.into())),
        prop_oneof![Just(-1i64), Just(i64::MIN)].prop_map(|v| Value::Integer(v.into())),
        Just(Value::Integer(
            (-1 - i128::from(u64::MAX)).try_into().unwrap()
        )),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        vec(any::<u8>(), 0..4).prop_map(Value::Bytes),
        "[a-z]{0,3}".prop_map(Value::Text),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::Array),
            vec((0u64..8, inner.clone()), 0..3).prop_map(uint_map),
            ("[a-z]{1,2}", inner).prop_map(|(k, v)| Value::Map(vec![(Value::Text(k), v)])),
        ]
    })
}

/// A map with the given unsigned keys, in the profile's order, without duplicates.
fn uint_map(mut entries: Vec<(u64, Value)>) -> Value {
    entries.sort_by_key(|(k, _)| *k);
    entries.dedup_by_key(|(k, _)| *k);
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::Integer(k.into()), v))
            .collect(),
    )
}

fn tree_mutation() -> impl Strategy<Value = TreeMutation> {
    prop_oneof![
        (any::<Index>(), small_value()).prop_map(|(i, v)| TreeMutation::Replace(i, v)),
        (any::<Index>(), any::<Index>()).prop_map(|(i, j)| TreeMutation::Remove(i, j)),
        (any::<Index>(), 0u64..10, small_value()).prop_map(|(i, k, v)| TreeMutation::Add(i, k, v)),
    ]
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Map(m) => m.iter().map(|(_, v)| count(v)).sum(),
        _ => 0,
    }
}

/// The n-th node in pre-order (map values only: keys stay as they are).
fn nth(v: &mut Value, n: usize) -> &mut Value {
    if n == 0 {
        return v;
    }
    let mut n = n - 1;
    let children: Vec<&mut Value> = match v {
        Value::Array(a) => a.iter_mut().collect(),
        Value::Map(m) => m.iter_mut().map(|(_, v)| v).collect(),
        _ => unreachable!("n is below the node count"),
    };
    for child in children {
        let c = count(child);
        if n < c {
            return nth(child, n);
        }
        n -= c;
    }
    unreachable!("n is below the node count")
}

fn apply(mut root: Value, mutations: &[TreeMutation]) -> Value {
    for m in mutations {
        let total = count(&root);
        match m {
            TreeMutation::Replace(i, v) => *nth(&mut root, i.index(total)) = v.clone(),
            TreeMutation::Remove(i, j) => match nth(&mut root, i.index(total)) {
                Value::Map(m) if !m.is_empty() => {
                    let at = j.index(m.len());
                    m.remove(at);
                }
                Value::Array(a) if !a.is_empty() => {
                    let at = j.index(a.len());
                    a.remove(at);
                }
                _ => {}
            },
            TreeMutation::Add(i, k, v) => {
                if let Value::Map(m) = nth(&mut root, i.index(total)) {
                    let key = Value::Integer((*k).into());
                    if !m.iter().any(|(x, _)| *x == key) {
                        m.push((key, v.clone()));
                        // Keep the profile's order: ascending by encoded key.
                        m.sort_by_key(|(k, _)| {
                            let mut b = Vec::new();
                            encode_value(k, &mut b);
                            b
                        });
                    }
                }
            }
        }
    }
    root
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    // [CBOR-7] [IM-2] the direct encoder writes exactly the bytes of the tree form.
    #[test]
    fn direct_encoding_is_the_tree_encoding(e in envelope()) {
        prop_assert_eq!(e.to_bytes(), tree_encode(&e));
    }

    // [IM-5] valid messages, and each one with its shape broken in a few places, get the same
    // verdict from both decoders.
    #[test]
    fn shape_errors_get_the_same_verdict(
        e in envelope(),
        mutations in vec(tree_mutation(), 0..4),
    ) {
        let mut bytes = Vec::new();
        encode_value(&apply(e.to_value(), &mutations), &mut bytes);
        same_verdict(&bytes)?;
    }

    // [IM-5] [CBOR-2]..[CBOR-10] byte-level damage: the same verdict, so profile and limit
    // errors keep their statuses (resource-exhausted for limits).
    #[test]
    fn byte_damage_gets_the_same_verdict(
        e in envelope(),
        mutations in vec(mutation(), 1..4),
    ) {
        same_verdict(&mutate(e.to_bytes(), &mutations))?;
    }

    // [DM-14] data values: the same bytes, and read back the same from either form.
    #[test]
    fn data_encodes_and_reads_as_the_tree_form(d in data()) {
        let mut direct = Vec::new();
        d.encode_into(&mut direct);
        let mut tree = Vec::new();
        encode_value(&d.to_value(), &mut tree);
        prop_assert_eq!(&direct, &tree);
        let mut r = Reader::new(&direct, &IM_LIMITS).unwrap();
        prop_assert_eq!(Data::read(&mut r), Ok(d));
        prop_assert!(r.is_done());
    }
}

proptest! {
    // [IM-5] arbitrary bytes: the same verdict (almost always a profile error).
    #[test]
    fn arbitrary_bytes_get_the_same_verdict(bytes in vec(any::<u8>(), 0..64)) {
        same_verdict(&bytes)?;
    }
}

/// [DM-14] the edges of what data can hold: the most negative i64 and struct field 255 are
/// accepted, one beyond either is refused, by both readers alike.
#[test]
fn data_edges_read_alike() {
    let cases: Vec<(Value, bool)> = vec![
        (Value::Integer(i64::MIN.into()), true),
        (
            Value::Integer((i128::from(i64::MIN) - 1).try_into().unwrap()),
            false,
        ),
        (
            Value::Map(vec![(Value::Integer(255.into()), Value::Null)]),
            true,
        ),
        (
            Value::Map(vec![(Value::Integer(256.into()), Value::Null)]),
            false,
        ),
        (
            Value::Map(vec![(Value::Integer((-1).into()), Value::Null)]),
            false,
        ),
        (
            Value::Map(vec![(Value::Text("a".into()), Value::Bool(true))]),
            false,
        ),
    ];
    for (value, accepted) in cases {
        let mut bytes = Vec::new();
        encode_value(&value, &mut bytes);
        let tree = Data::from_value(decode_value(&bytes, &IM_LIMITS).unwrap());
        let direct = Data::read(&mut Reader::new(&bytes, &IM_LIMITS).unwrap());
        assert_eq!(direct, tree, "{value:?}");
        assert_eq!(direct.is_ok(), accepted, "{value:?}");
    }
}

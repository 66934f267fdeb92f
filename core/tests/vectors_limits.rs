//! Boundary vectors for the CBOR limits (`spec/v1/vectors/limits.json`): for each limit of
//! [LIMIT-1] (the default) and of [IM-4] (interaction messages), a message exactly at the
//! limit, which a receiver accepts, and one just over it, which it rejects; and for nesting
//! depth, the same pair built three ways (arrays around a leaf, arrays around an empty array,
//! maps around a leaf) so the way depth is counted is pinned down by examples. The verdicts
//! are the reference decoder's; the test rewrites the file with `ORBIT_REGEN_VECTORS=1`,
//! fails when it differs from the code, and checks each verdict against the decoder.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod vector_support;

use orbit_core::codec::{scan, CodecError, Limits};
use orbit_core::interaction::IM_LIMITS;
use serde_json::{json, Value as Json};
use vector_support::{check_file, hex, unhex};

/// A CBOR head of `major` with argument `arg`, shortest form.
fn head(major: u8, arg: usize) -> Vec<u8> {
    let m = major << 5;
    match arg {
        0..=23 => vec![m | arg as u8],
        24..=0xff => vec![m | 24, arg as u8],
        0x100..=0xffff => vec![m | 25, (arg >> 8) as u8, arg as u8],
        _ => {
            let mut v = vec![m | 26];
            v.extend_from_slice(&(arg as u32).to_be_bytes());
            v
        }
    }
}

fn bstr(len: usize) -> Vec<u8> {
    let mut v = head(2, len);
    v.extend(std::iter::repeat_n(0x61u8, len));
    v
}

fn tstr(len: usize) -> Vec<u8> {
    let mut v = head(3, len);
    v.extend(std::iter::repeat_n(b'a', len));
    v
}

/// One byte string whose encoding is exactly `n` bytes, if one exists.
fn bstr_of_size(n: usize) -> Option<Vec<u8>> {
    (0..n).map(bstr).find(|b| b.len() == n)
}

/// An array of byte strings (each at most `max_string` long) whose encoding is exactly
/// `total` bytes, with as few entries as possible.
fn message_of_size(total: usize, max_string: usize) -> Vec<u8> {
    let full = bstr(max_string);
    for count in 1..24usize {
        // Array head (1 byte for fewer than 24 entries), count - 1 full strings, one filler.
        let used = 1 + (count - 1) * full.len();
        if used > total {
            break;
        }
        if let Some(last) = bstr_of_size(total - used).filter(|b| b.len() <= full.len()) {
            let mut v = head(4, count);
            for _ in 1..count {
                v.extend_from_slice(&full);
            }
            v.extend(last);
            assert_eq!(v.len(), total);
            return v;
        }
    }
    panic!("no message of {total} bytes")
}

/// `depth` arrays nested around `inner`.
fn nested_arrays(depth: usize, inner: &[u8]) -> Vec<u8> {
    let mut v = vec![0x81; depth];
    v.extend_from_slice(inner);
    v
}

/// `depth` one-entry maps `{0: ...}` nested around the leaf 0.
fn nested_maps(depth: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..depth {
        v.extend_from_slice(&[0xa1, 0x00]);
    }
    v.push(0x00);
    v
}

/// An array of `n` zeros.
fn array_of(n: usize) -> Vec<u8> {
    let mut v = head(4, n);
    v.extend(std::iter::repeat_n(0u8, n));
    v
}

/// A map of `n` entries `k: 0` with keys 0..n.
fn map_of(n: usize) -> Vec<u8> {
    let mut v = head(5, n);
    for k in 0..n {
        v.extend(head(0, k));
        v.push(0);
    }
    v
}

/// A message of exactly `n` data items (containers and leaves each count one): an array of
/// arrays of zeros, no collection longer than `max_collection`.
fn items(n: usize, max_collection: usize) -> Vec<u8> {
    let per_sub = max_collection; // a sub-array of max_collection - 1 zeros is that many items
    let mut left = n - 1;
    let mut subs = Vec::new();
    while left > 0 {
        let take = left.min(per_sub);
        subs.push(array_of(take - 1));
        left -= take;
    }
    let mut v = head(4, subs.len());
    for s in subs {
        v.extend(s);
    }
    v
}

fn kind(e: &CodecError) -> String {
    let debug = format!("{e:?}");
    let name = debug.split([' ', '{', '(']).next().unwrap();
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn verdict(bytes: &[u8], limits: &Limits) -> Json {
    match scan(bytes, limits) {
        Ok(()) => json!({ "accepted": true }),
        Err(e) => json!({
            "accepted": false,
            "error": kind(&e),
            "status": e.status().name().unwrap(),
        }),
    }
}

fn pair(
    limits: &Limits,
    limit: &str,
    value: usize,
    what: &str,
    at: Vec<u8>,
    over: Vec<u8>,
) -> Json {
    let a = verdict(&at, limits);
    let o = verdict(&over, limits);
    assert_eq!(a["accepted"], true, "{limit} at the limit: {a}");
    assert_eq!(o["accepted"], false, "{limit} over the limit: {o}");
    json!({
        "limit": limit,
        "value": value,
        "construction": what,
        "at_limit": { "hex": hex(&at), "len": at.len(), "verdict": a },
        "over_limit": { "hex": hex(&over), "len": over.len(), "verdict": o },
    })
}

/// The deepest nesting `build` may reach under `limits`, found by asking the decoder.
fn deepest(limits: &Limits, build: impl Fn(usize) -> Vec<u8>) -> usize {
    (0..64)
        .take_while(|d| scan(&build(*d), limits).is_ok())
        .last()
        .unwrap()
}

fn set(name: &str, rule: &str, limits: &Limits) -> Json {
    let arrays_leaf = deepest(limits, |d| nested_arrays(d, &[0x00]));
    let arrays_empty = deepest(limits, |d| nested_arrays(d, &[0x80]));
    let maps = deepest(limits, nested_maps);
    let cases = vec![
        pair(
            limits,
            "message size",
            limits.max_message,
            "an array of byte strings of the letter a, sized to the byte",
            message_of_size(limits.max_message, limits.max_string),
            message_of_size(limits.max_message + 1, limits.max_string),
        ),
        pair(
            limits,
            "byte string length",
            limits.max_string,
            "one byte string of the letter a",
            bstr(limits.max_string),
            bstr(limits.max_string + 1),
        ),
        pair(
            limits,
            "text string length",
            limits.max_string,
            "one text string of the letter a",
            tstr(limits.max_string),
            tstr(limits.max_string + 1),
        ),
        pair(
            limits,
            "entries in one array",
            limits.max_collection,
            "one array of zeros",
            array_of(limits.max_collection),
            array_of(limits.max_collection + 1),
        ),
        pair(
            limits,
            "entries in one map",
            limits.max_collection,
            "one map {0: 0, 1: 0, ...}",
            map_of(limits.max_collection),
            map_of(limits.max_collection + 1),
        ),
        pair(
            limits,
            "data items in one message",
            limits.max_items,
            "an array of arrays of zeros; every array and every zero is one data item",
            items(limits.max_items, limits.max_collection),
            items(limits.max_items + 1, limits.max_collection),
        ),
        pair(
            limits,
            "nesting depth: arrays around a leaf",
            limits.max_depth,
            &format!(
                "{arrays_leaf} (then {}) one-element arrays nested around the integer 0",
                arrays_leaf + 1
            ),
            nested_arrays(arrays_leaf, &[0x00]),
            nested_arrays(arrays_leaf + 1, &[0x00]),
        ),
        pair(
            limits,
            "nesting depth: arrays around an empty array",
            limits.max_depth,
            &format!(
                "{arrays_empty} (then {}) one-element arrays nested around an empty array",
                arrays_empty + 1
            ),
            nested_arrays(arrays_empty, &[0x80]),
            nested_arrays(arrays_empty + 1, &[0x80]),
        ),
        pair(
            limits,
            "nesting depth: maps around a leaf",
            limits.max_depth,
            &format!(
                "{maps} (then {}) one-entry maps {{0: ...}} nested around the integer 0",
                maps + 1
            ),
            nested_maps(maps),
            nested_maps(maps + 1),
        ),
    ];
    json!({
        "name": name,
        "rule": rule,
        "limits": {
            "max_message": limits.max_message,
            "max_depth": limits.max_depth,
            "max_collection": limits.max_collection,
            "max_string": limits.max_string,
            "max_items": limits.max_items,
        },
        "depth_in_examples": {
            "arrays_around_a_leaf": arrays_leaf,
            "arrays_around_an_empty_array": arrays_empty,
            "maps_around_a_leaf": maps,
        },
        "cases": cases,
    })
}

fn compute() -> Json {
    json!({
        "description": "Messages at and just over each CBOR limit, with the reference decoder's verdict: accepted, or rejected with the decoder's error kind and the status a receiver answers (resource-exhausted) [CBOR-10]. Each set names the rule its limits come from. The three nesting constructions fix how depth is counted: `depth_in_examples` gives, for each construction, the most one-element arrays or one-entry maps that may enclose its innermost item (the integer 0, or an empty array). It equals max_depth: an item's depth is the number of arrays and maps that enclose it (the top-level item has depth 0), every item counts, leaves and empty containers alike, and a message is accepted when no item's depth exceeds max_depth. The messages are generic CBOR items of the profile, not Orbit messages: what they show is the decoder's limit check, which runs before any message is read.",
        "generated_by": "core/tests/vectors_limits.rs (set ORBIT_REGEN_VECTORS=1 to rewrite)",
        "sets": [
            set("default", "LIMIT-1", &Limits::DEFAULT),
            set("interaction messages", "IM-4", &IM_LIMITS),
        ],
    })
}

// [LIMIT-1] [IM-4] [CBOR-10] the file matches the decoder, and every message in it gets the
// verdict the file gives when decoded under its set's limits.
#[test]
fn limit_vectors() {
    let file = check_file("limits.json", &compute());
    let sets = file["sets"].as_array().unwrap();
    assert_eq!(sets.len(), 2);
    for s in sets {
        let l = &s["limits"];
        let limits = Limits {
            max_message: l["max_message"].as_u64().unwrap() as usize,
            max_depth: l["max_depth"].as_u64().unwrap() as usize,
            max_collection: l["max_collection"].as_u64().unwrap() as usize,
            max_string: l["max_string"].as_u64().unwrap() as usize,
            max_items: l["max_items"].as_u64().unwrap() as usize,
        };
        for c in s["cases"].as_array().unwrap() {
            for side in ["at_limit", "over_limit"] {
                let bytes = unhex(&c[side]["hex"]);
                assert_eq!(
                    verdict(&bytes, &limits),
                    c[side]["verdict"],
                    "{} {side}",
                    c["limit"]
                );
            }
        }
    }
}

//! How nesting depth is counted `[LIMIT-1]`: every data item has a depth, leaves and map keys
//! included; the worked examples of spec/v1/10-limits.md at the default limit of 8.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::codec::{scan, CodecError, Limits};

/// The table of [LIMIT-1]: hex, whether it is accepted at the default depth limit.
const EXAMPLES: &[(&str, &str, bool)] = &[
    ("[[[[[[[[0]]]]]]]]", "818181818181818100", true),
    ("[[[[[[[[[]]]]]]]]]", "818181818181818180", true),
    ("[[[[[[[{0: 0}]]]]]]]", "81818181818181a10000", true),
    ("[[[[[[[[[0]]]]]]]]]", "81818181818181818100", false),
    ("[[[[[[[[{0: 0}]]]]]]]]", "8181818181818181a10000", false),
];

// [LIMIT-1] the worked examples: exactly at the limit is accepted, one over is rejected.
#[test]
fn depth_examples_of_the_spec_hold() {
    let limits = Limits::DEFAULT;
    assert_eq!(limits.max_depth, 8);
    for (diagnostic, hex_str, accepted) in EXAMPLES {
        let bytes = hex::decode(hex_str).unwrap();
        let result = scan(&bytes, &limits);
        if *accepted {
            assert_eq!(result, Ok(()), "{diagnostic} must be accepted");
        } else {
            assert_eq!(
                result,
                Err(CodecError::TooDeep { max: 8 }),
                "{diagnostic} must be rejected as too deep"
            );
        }
    }
}

// [LIMIT-1] the examples say what the spec's table says: the table in 10-limits.md lists
// the same rows, so the spec and this test cannot drift apart.
#[test]
fn depth_examples_match_the_spec_table() {
    let spec = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec/v1/10-limits.md"
    ));
    for (diagnostic, hex_str, accepted) in EXAMPLES {
        let verdict = if *accepted { "accepted" } else { "rejected" };
        let row = spec
            .lines()
            .find(|l| l.contains(&format!("`{hex_str}`")))
            .unwrap_or_else(|| panic!("no row for {hex_str} in 10-limits.md"));
        assert!(row.contains(&format!("`{diagnostic}`")), "{row}");
        assert!(row.trim_end().ends_with(&format!("| {verdict} |")), "{row}");
    }
}

// [LIMIT-1] the same counting at every limit: with a limit of d, a scalar at depth d is
// accepted and at depth d + 1 rejected; an empty map at depth d is accepted.
#[test]
fn depth_counts_leaves_at_every_limit() {
    for d in 0..12usize {
        let limits = Limits {
            max_depth: d,
            ..Limits::DEFAULT
        };
        let mut at = vec![0x81u8; d];
        at.push(0x00);
        assert_eq!(scan(&at, &limits), Ok(()), "leaf at depth {d}");
        let mut empty = vec![0x81u8; d];
        empty.push(0xa0);
        assert_eq!(scan(&empty, &limits), Ok(()), "empty map at depth {d}");
        let mut over = vec![0x81u8; d + 1];
        over.push(0x00);
        assert_eq!(
            scan(&over, &limits),
            Err(CodecError::TooDeep { max: d }),
            "leaf at depth {}",
            d + 1
        );
        // A map key counts as much as a value.
        let mut key_over = vec![0x81u8; d];
        key_over.extend_from_slice(&[0xa1, 0x00, 0x00]);
        assert_eq!(
            scan(&key_over, &limits),
            Err(CodecError::TooDeep { max: d }),
            "map key at depth {}",
            d + 1
        );
    }
}

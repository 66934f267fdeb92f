//! What fuzzing found, one test per finding, each citing the rule it broke. The inputs
//! themselves are in `fuzz/regressions/<target>/` and are replayed by `tests/replay.rs` too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orbit_core::codec::{decode_value, CborMessage, CodecError};
use orbit_core::interaction::{Envelope, IM_LIMITS};
use orbit_core::model::Descriptor;
use orbit_core::status::Status;

fn both_decoders(bytes: &[u8]) -> (Result<Envelope, CodecError>, Result<Envelope, CodecError>) {
    (
        Envelope::decode(bytes),
        decode_value(bytes, &IM_LIMITS).and_then(Envelope::from_value),
    )
}

// [CBOR-11] found by `interaction_envelope`: a report `{0: 4, 1: 260}` without its attribute
// and event lists was accepted as an empty report, which no encoder writes (it always writes
// `3: [], 4: []`). Every list the CDDL requires is now required by both decoders.
#[test]
fn a_message_missing_a_required_list_is_refused() {
    let cases: [(&str, u64); 6] = [
        ("a2000401190104", 3),     // report {0: 4, 1: 260}
        ("a30004011901040380", 4), // report with attributes but no events
        ("a2000301190104", 2),     // read-request {0: 3, 1: 260}
        ("a30003011901040280", 3), // read-request with attributes but no events
        ("a2000501190104", 2),     // write-request without writes
        ("a2000601190104", 2),     // write-response without statuses
    ];
    for (hex_in, key) in cases {
        let bytes = hex::decode(hex_in).unwrap();
        let (direct, tree) = both_decoders(&bytes);
        assert_eq!(direct, Err(CodecError::MissingField { key }), "{hex_in}");
        assert_eq!(tree, Err(CodecError::MissingField { key }), "{hex_in}");
        assert_eq!(direct.unwrap_err().status(), Status::INVALID_MESSAGE);
    }
    // The same messages with their empty lists are accepted.
    for hex_in in [
        "a4000401190104038004 80",
        "a40003011901040280 0380",
        "a3000501190104 0280",
    ] {
        let bytes = hex::decode(hex_in.replace(' ', "")).unwrap();
        let (direct, tree) = both_decoders(&bytes);
        assert!(direct.is_ok() && direct == tree, "{hex_in}: {direct:?}");
        assert_eq!(direct.unwrap().to_bytes(), bytes);
    }
    // And the fuzz input itself.
    let input = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../regressions/interaction_envelope/report-without-lists-cbor-11"),
    )
    .unwrap();
    assert_eq!(
        Envelope::decode(&input),
        Err(CodecError::MissingField { key: 3 })
    );
    orbit_fuzz_targets::interaction::envelope(&input);
}

// [CBOR-11] the descriptor's lists too: a descriptor without its vendor-schema list is refused.
#[test]
fn a_descriptor_missing_a_required_list_is_refused() {
    let node = orbit_devices::Kind::Lamp
        .build(std::time::Instant::now(), "regression")
        .unwrap();
    let bytes = node.descriptor().to_bytes();
    assert!(Descriptor::decode(&bytes).is_ok());
    let mut value = decode_value(&bytes, &Descriptor::limits()).unwrap();
    if let orbit_core::codec::Value::Map(entries) = &mut value {
        entries.retain(|(k, _)| k != &orbit_core::codec::Value::Integer(6u8.into()));
    }
    assert_eq!(
        Descriptor::from_value(value),
        Err(CodecError::MissingField { key: 6 })
    );
}

// [SETUP-21] found by the allocation check of `setup_manual` (the input is
// fuzz/regressions/setup_manual/four-thousand-digits-setup-21, replayed with the check on by
// tests/alloc_budget.rs): the manual-code decoder kept every digit of its input, so 4000
// digits cost 6 KiB. It now keeps at most 21 and still reports the count and, for a first
// digit of 8 or 9, checks every digit [SETUP-16].
#[test]
fn a_long_manual_code_is_refused_by_its_digit_count() {
    use orbit_core::setup::{ManualCode, SetupError};
    assert_eq!(
        ManualCode::parse(&"1".repeat(4000)),
        Err(SetupError::WrongDigitCount { actual: 4000 })
    );
    // A later version's code of any length: the check digit still covers every digit.
    let mut later = "8".repeat(3000);
    for last in '0'..='9' {
        later.push(last);
        if let Err(SetupError::UnsupportedVersion { version: 8 }) = ManualCode::parse(&later) {
            return;
        }
        later.pop();
    }
    panic!("no check digit made a 3001-digit later-version code valid");
}

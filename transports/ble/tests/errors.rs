//! The framing errors and their control-frame codes ([BLE-9], [BLE-10], [BLE-11], [BLE-12],
//! [BLE-13]).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;

use orbit_ble::FramingError;

/// [BLE-11]: the error codes of BLE.md section 2, each with its spec name.
const TABLE: [(u8, &str, FramingError); 18] = [
    (1, "truncated", FramingError::Truncated),
    (2, "reserved-bits", FramingError::ReservedBits),
    (3, "bad-flags", FramingError::BadFlags),
    (4, "empty-segment", FramingError::EmptySegment),
    (5, "unexpected-begin", FramingError::UnexpectedBegin),
    (6, "unexpected-continue", FramingError::UnexpectedContinue),
    (7, "overrun", FramingError::Overrun),
    (8, "short-sdu", FramingError::ShortSdu),
    (9, "out-of-sequence", FramingError::OutOfSequence),
    (10, "window-overflow", FramingError::WindowOverflow),
    (11, "bad-ack", FramingError::BadAck),
    (12, "frame-too-large", FramingError::FrameTooLarge),
    (13, "not-ready", FramingError::NotReady),
    (14, "sdu-too-large", FramingError::SduTooLarge),
    (15, "no-common-version", FramingError::NoCommonVersion),
    (16, "stalled", FramingError::Stalled),
    (17, "handshake-timeout", FramingError::HandshakeTimeout),
    (18, "bad-handshake", FramingError::BadHandshake),
];

/// [BLE-11]: every error has the code of the table, and the code maps back to it.
#[test]
fn each_error_has_its_code_and_back() {
    for (code, name, error) in TABLE {
        assert_eq!(error.code(), Some(code), "{name}");
        assert_eq!(FramingError::from_code(code), Some(error), "{name}");
        assert_eq!(error.name(), name);
        assert!(error.to_string().starts_with(name), "{error}");
    }
    assert_eq!(FramingError::WITH_CODES.len(), TABLE.len());
    for (listed, (_, _, error)) in FramingError::WITH_CODES.iter().zip(TABLE) {
        assert_eq!(*listed, error);
    }
}

/// [BLE-11]: codes outside 1..=18 name no known error, yet a peer's error frame with one is a
/// failure that keeps its code.
#[test]
fn unknown_codes_are_peer_failures() {
    for code in [0u8, 19, 99, 255] {
        assert_eq!(FramingError::from_code(code), None);
        let error = FramingError::PeerError(code);
        assert_eq!(error.code(), Some(code));
        assert!(
            error.to_string().contains(&format!("unknown code {code}")),
            "{error}"
        );
    }
    let known = FramingError::PeerError(16);
    assert_eq!(
        known.to_string(),
        "the peer failed the link: stalled: the peer stopped acknowledging"
    );
}

/// [BLE-13] [BLE-14]: the local conditions (idle timeout, closed link) have no code, so no
/// error frame is sent for them.
#[test]
fn local_conditions_have_no_code() {
    assert_eq!(FramingError::Closed.code(), None);
    assert_eq!(FramingError::IdleTimeout.code(), None);
    assert_eq!(FramingError::Closed.name(), "closed");
    assert_eq!(FramingError::IdleTimeout.name(), "idle-timeout");
}

/// [BLE-11]: every error reads differently, so a user can tell them apart.
#[test]
fn messages_are_distinct() {
    let mut all: Vec<FramingError> = TABLE.iter().map(|(_, _, e)| *e).collect();
    all.extend([
        FramingError::Closed,
        FramingError::IdleTimeout,
        FramingError::PeerError(1),
    ]);
    let messages: HashSet<String> = all.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), all.len());
    let names: HashSet<&str> = all.iter().map(FramingError::name).collect();
    assert_eq!(names.len(), all.len());
}

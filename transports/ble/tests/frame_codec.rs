//! The frame codecs ([BLE-4], [BLE-5], [BLE-9], [BLE-11]): exact bytes, round trips, and
//! typed rejection of every malformed frame without a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_ble::frame::{data_header_len, Control, DataFrame, Frame};
use orbit_ble::FramingError;
use proptest::prelude::*;

fn roundtrip(frame: Frame<'_>, bytes: &[u8]) {
    assert_eq!(frame.encode(), bytes, "{frame:?}");
    assert_eq!(Frame::decode(bytes), Ok(frame));
}

/// [BLE-4]: `flags ‖ [ack] ‖ seq ‖ [sdu-length if B] ‖ segment`, big-endian length.
#[test]
fn data_frames_have_the_layout_of_the_spec() {
    roundtrip(
        Frame::Data(DataFrame {
            ack: None,
            seq: 7,
            sdu_len: Some(0x0102),
            end: false,
            segment: b"ab",
        }),
        &[0x01, 7, 0x01, 0x02, b'a', b'b'],
    );
    roundtrip(
        Frame::Data(DataFrame {
            ack: Some(9),
            seq: 200,
            sdu_len: Some(3),
            end: true,
            segment: b"abc",
        }),
        &[0x0d, 9, 200, 0, 3, b'a', b'b', b'c'],
    );
    roundtrip(
        Frame::Data(DataFrame {
            ack: None,
            seq: 255,
            sdu_len: None,
            end: false,
            segment: b"x",
        }),
        &[0x02, 255, b'x'],
    );
    roundtrip(
        Frame::Data(DataFrame {
            ack: Some(0),
            seq: 1,
            sdu_len: None,
            end: true,
            segment: b"x",
        }),
        &[0x0e, 0, 1, b'x'],
    );
    assert_eq!(data_header_len(false, false), 2);
    assert_eq!(data_header_len(true, true), 5);
}

/// [BLE-5]: the ack-only frame is `0x08 ‖ ack`, two bytes.
#[test]
fn ack_only_frame_is_two_bytes() {
    roundtrip(Frame::AckOnly { ack: 42 }, &[0x08, 42]);
}

/// [BLE-11]: the control frames' types and bodies.
#[test]
fn control_frames_have_the_layout_of_the_spec() {
    roundtrip(
        Frame::Control(Control::HandshakeRequest {
            versions: 1,
            att_mtu: 517,
            window: 16,
        }),
        &[0x40, 0x01, 0x01, 0x02, 0x05, 16],
    );
    roundtrip(
        Frame::Control(Control::HandshakeResponse {
            version: 1,
            segment_size: 244,
            window: 4,
        }),
        &[0x40, 0x02, 0x01, 0x00, 244, 4],
    );
    roundtrip(Frame::Control(Control::Close), &[0x40, 0x03]);
    roundtrip(Frame::Control(Control::CloseAck), &[0x40, 0x04]);
    roundtrip(
        Frame::Control(Control::Error { code: 16 }),
        &[0x40, 0x05, 16],
    );
}

/// [BLE-9]: each reserved bit (0x10, 0x20, 0x80) is refused on every kind of frame.
#[test]
fn every_reserved_bit_is_refused() {
    for bit in [0x10u8, 0x20, 0x80] {
        for frame in [
            &[0x01, 0, 0, 1, 9][..],
            &[0x02, 0, 9],
            &[0x08, 0],
            &[0x40, 0x03],
        ] {
            let mut bytes = frame.to_vec();
            bytes[0] |= bit;
            assert_eq!(
                Frame::decode(&bytes),
                Err(FramingError::ReservedBits),
                "{bytes:02x?}"
            );
        }
    }
}

/// [BLE-9]: a frame shorter than its header is `truncated`.
#[test]
fn truncated_frames_are_refused() {
    let cases: [&[u8]; 11] = [
        &[],
        &[0x01],
        &[0x01, 0],
        &[0x01, 0, 0],
        &[0x09, 5, 0, 0],
        &[0x02],
        &[0x0a, 1],
        &[0x08],
        &[0x40],
        &[0x40, 0x01, 1, 2],
        &[0x40, 0x05],
    ];
    for bytes in cases {
        assert_eq!(
            Frame::decode(bytes),
            Err(FramingError::Truncated),
            "{bytes:02x?}"
        );
    }
}

/// [BLE-4] [BLE-9]: neither or both of B and C, H with another bit, E or anything but A on a
/// frame without B or C, an unknown control type or a body where none belongs: `bad-flags`.
#[test]
fn bad_flag_combinations_are_refused() {
    let cases: [&[u8]; 11] = [
        &[0x03, 0, 0, 1, 9],
        &[0x07, 0, 0, 1, 9],
        &[0x00, 0, 9],
        &[0x04, 0, 9],
        &[0x0c, 0],
        &[0x08, 0, 9],
        &[0x41, 0x03],
        &[0x48, 0x03],
        &[0x40, 0x06],
        &[0x40, 0x03, 0],
        &[0x40, 0x05, 1, 2],
    ];
    for bytes in cases {
        assert_eq!(
            Frame::decode(bytes),
            Err(FramingError::BadFlags),
            "{bytes:02x?}"
        );
    }
    assert_eq!(
        Frame::decode(&[0x40, 0x01, 1, 2, 5, 16, 0]),
        Err(FramingError::BadHandshake)
    );
}

/// [BLE-4] [BLE-9]: a data frame without a segment byte is `empty-segment`.
#[test]
fn empty_segments_are_refused() {
    for bytes in [
        &[0x01, 0, 0, 1][..],
        &[0x05, 0, 0, 1],
        &[0x02, 0],
        &[0x0e, 3, 0],
    ] {
        assert_eq!(
            Frame::decode(bytes),
            Err(FramingError::EmptySegment),
            "{bytes:02x?}"
        );
    }
}

proptest! {
    /// [BLE-9]: decoding any bytes never panics; whatever decodes encodes back to the same
    /// bytes (one frame, one layout).
    #[test]
    fn decode_never_panics_and_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
        if let Ok(frame) = Frame::decode(&bytes) {
            prop_assert_eq!(frame.encode(), bytes);
        }
    }

    /// [BLE-4]: any data frame encodes and decodes back.
    #[test]
    fn data_frames_round_trip(
        ack in any::<Option<u8>>(),
        seq in any::<u8>(),
        sdu_len in any::<Option<u16>>(),
        end in any::<bool>(),
        segment in prop::collection::vec(any::<u8>(), 1..600),
    ) {
        let frame = Frame::Data(DataFrame { ack, seq, sdu_len, end, segment: &segment });
        let bytes = frame.encode();
        prop_assert_eq!(bytes.len(), data_header_len(ack.is_some(), sdu_len.is_some()) + segment.len());
        prop_assert_eq!(Frame::decode(&bytes), Ok(frame));
    }
}

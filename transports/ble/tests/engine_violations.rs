//! Every protocol violation fails the link with its typed error, and the error frame with its
//! code goes out once ([BLE-9], [BLE-10], [BLE-12]); reassembly never exceeds its limits.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::Duration;

use orbit_ble::engine::{Engine, FramingConfig, LinkState};
use orbit_ble::FramingError;
use support::{config, Pair, Who};

/// Feeds `values` to `who` of an open pair: all but the last are accepted; the last fails the
/// link with `error`, whose code then goes out in one error frame ([BLE-10]).
fn fails(mut pair: Pair, who: Who, values: &[&[u8]], error: FramingError) {
    let (last, before) = values.split_last().unwrap();
    for value in before {
        pair.handle(who, value).unwrap();
    }
    assert_eq!(pair.handle(who, last), Err(error), "{values:02x?}");
    let now = pair.now;
    let engine = &mut pair.side(who).engine;
    assert_eq!(engine.state(), LinkState::Closed);
    assert_eq!(
        engine.poll_transmit(now),
        Some(vec![0x40, 0x05, error.code().unwrap()])
    );
    assert_eq!(engine.poll_transmit(now), None);
    assert_eq!(engine.poll_timeout(), None);
    // Whatever arrives later is ignored; the link stays closed.
    assert_eq!(engine.handle_value(now, &[0x05, 0, 0, 1, 9]), Ok(()));
    assert_eq!(engine.poll_received(), None);
}

fn open() -> Pair {
    Pair::open(FramingConfig::default(), FramingConfig::default())
}

/// [BLE-9]: a stated SDU length above the receiver's limit is refused at its first frame.
#[test]
fn sdu_length_above_the_limit_is_refused_at_once() {
    let small = FramingConfig {
        max_sdu: 1000,
        ..FramingConfig::default()
    };
    fails(
        Pair::open(FramingConfig::default(), small),
        Who::Peripheral,
        &[&[0x01, 0, 0x03, 0xe9, 1]],
        FramingError::SduTooLarge,
    );
    // Exactly the limit is fine.
    let mut pair = Pair::open(FramingConfig::default(), small);
    pair.handle(Who::Peripheral, &[0x01, 0, 0x03, 0xe8, 1])
        .unwrap();
    assert_eq!(pair.peripheral.engine.state(), LinkState::Open);
    // A length above 16388 (the [BLE-15] maximum) is refused by the default limit.
    fails(
        open(),
        Who::Peripheral,
        &[&[0x01, 0, 0x40, 0x05, 1]],
        FramingError::SduTooLarge,
    );
}

/// [BLE-9]: segments beyond the stated length are `overrun`, within one frame or across
/// frames; nothing beyond the length is kept.
#[test]
fn segments_beyond_the_stated_length_overrun() {
    fails(
        open(),
        Who::Peripheral,
        &[&[0x05, 0, 0, 2, 1, 2, 3]],
        FramingError::Overrun,
    );
    fails(
        open(),
        Who::Peripheral,
        &[&[0x01, 0, 0, 3, 1, 2], &[0x06, 1, 3, 4]],
        FramingError::Overrun,
    );
    fails(
        open(),
        Who::Central,
        &[&[0x05, 0, 0, 0, 1]],
        FramingError::Overrun,
    );
}

/// [BLE-9]: E before the stated length is `short-sdu`.
#[test]
fn an_sdu_ending_early_is_short() {
    fails(
        open(),
        Who::Peripheral,
        &[&[0x05, 0, 0, 3, 1, 2]],
        FramingError::ShortSdu,
    );
    fails(
        open(),
        Who::Central,
        &[&[0x01, 0, 0, 5, 1, 2], &[0x06, 1, 3, 4]],
        FramingError::ShortSdu,
    );
}

/// [BLE-9]: B while an SDU is incomplete, and C with none started.
#[test]
fn begin_and_continue_out_of_place_are_refused() {
    fails(
        open(),
        Who::Peripheral,
        &[&[0x01, 0, 0, 5, 1, 2], &[0x05, 1, 0, 1, 1]],
        FramingError::UnexpectedBegin,
    );
    fails(
        open(),
        Who::Peripheral,
        &[&[0x06, 0, 1]],
        FramingError::UnexpectedContinue,
    );
    fails(
        open(),
        Who::Peripheral,
        &[&[0x05, 0, 0, 1, 1], &[0x06, 1, 1]],
        FramingError::UnexpectedContinue,
    );
}

/// [BLE-6] [BLE-9]: a sequence number other than the next expected one (a gap, a repeat).
#[test]
fn out_of_sequence_frames_are_refused() {
    fails(
        open(),
        Who::Peripheral,
        &[&[0x05, 1, 0, 1, 1]],
        FramingError::OutOfSequence,
    );
    fails(
        open(),
        Who::Peripheral,
        &[&[0x05, 0, 0, 1, 1], &[0x05, 0, 0, 1, 1]],
        FramingError::OutOfSequence,
    );
    fails(
        open(),
        Who::Central,
        &[&[0x05, 255, 0, 1, 1]],
        FramingError::OutOfSequence,
    );
}

/// [BLE-7] [BLE-9]: more unacknowledged frames than the receiver's window is
/// `window-overflow`; once the receiver's ack went out, the window moves on.
#[test]
fn frames_beyond_the_window_overflow() {
    let frames: [&[u8]; 3] = [
        &[0x05, 0, 0, 1, 1],
        &[0x05, 1, 0, 1, 1],
        &[0x05, 2, 0, 1, 1],
    ];
    fails(
        Pair::open(FramingConfig::default(), config(517, 2)),
        Who::Peripheral,
        &frames,
        FramingError::WindowOverflow,
    );
    let mut pair = Pair::open(FramingConfig::default(), config(517, 2));
    pair.handle(Who::Peripheral, frames[0]).unwrap();
    pair.handle(Who::Peripheral, frames[1]).unwrap();
    pair.transmit(Who::Peripheral, usize::MAX);
    assert_eq!(pair.peripheral.in_flight.back(), Some(&vec![0x08, 1]));
    pair.handle(Who::Peripheral, frames[2]).unwrap();
    assert_eq!(pair.peripheral.received.len(), 3);
}

/// [BLE-6] [BLE-9]: acknowledging a frame never sent is `bad-ack`, in an ack-only frame or
/// piggybacked; acknowledging what was sent is fine.
#[test]
fn acks_of_frames_never_sent_are_refused() {
    fails(open(), Who::Peripheral, &[&[0x08, 0]], FramingError::BadAck);
    fails(
        open(),
        Who::Central,
        &[&[0x0d, 3, 0, 0, 1, 1]],
        FramingError::BadAck,
    );
    let mut pair = open();
    pair.central.engine.send(vec![1, 2]).unwrap();
    pair.transmit(Who::Central, usize::MAX);
    pair.handle(Who::Central, &[0x08, 0]).unwrap();
    fails(pair, Who::Central, &[&[0x08, 1]], FramingError::BadAck);
}

/// [BLE-9]: a value longer than the segment size is `frame-too-large`, also before the
/// handshake (then this side's ATT MTU - 3 bounds it).
#[test]
fn frames_longer_than_the_segment_size_are_refused() {
    let mut frame = vec![0x05, 0, 0, 16];
    frame.extend([7; 16]);
    assert_eq!(frame.len(), 20);
    let mut pair = Pair::open(config(23, 16), config(517, 16));
    pair.handle(Who::Peripheral, &frame).unwrap();
    frame[0] = 0x05;
    frame[1] = 1;
    frame[3] = 17;
    frame.push(7);
    fails(
        pair,
        Who::Peripheral,
        &[&frame],
        FramingError::FrameTooLarge,
    );
    let mut early = Engine::peripheral(config(23, 16), Duration::ZERO);
    assert_eq!(
        early.handle_value(Duration::ZERO, &[0x40; 21]),
        Err(FramingError::FrameTooLarge)
    );
    assert_eq!(
        early.poll_transmit(Duration::ZERO),
        Some(vec![0x40, 0x05, 12])
    );
}

/// [BLE-9]: a data or ack-only frame before the handshake completed is `not-ready`.
#[test]
fn data_before_the_handshake_is_not_ready() {
    let fresh = || Pair::new(FramingConfig::default(), FramingConfig::default());
    fails(
        fresh(),
        Who::Peripheral,
        &[&[0x05, 0, 0, 1, 1]],
        FramingError::NotReady,
    );
    fails(
        fresh(),
        Who::Peripheral,
        &[&[0x08, 255]],
        FramingError::NotReady,
    );
    fails(
        fresh(),
        Who::Central,
        &[&[0x05, 0, 0, 1, 1]],
        FramingError::NotReady,
    );
}

/// [BLE-12]: a second handshake request on an open link, a request to the central, a response
/// to the peripheral, and a second response are `bad-handshake`.
#[test]
fn handshakes_out_of_place_are_refused() {
    let request: &[u8] = &[0x40, 0x01, 0x01, 0x02, 0x05, 16];
    let response: &[u8] = &[0x40, 0x02, 0x01, 0x00, 244, 16];
    fails(
        open(),
        Who::Peripheral,
        &[request],
        FramingError::BadHandshake,
    );
    fails(
        open(),
        Who::Peripheral,
        &[response],
        FramingError::BadHandshake,
    );
    fails(
        open(),
        Who::Central,
        &[response],
        FramingError::BadHandshake,
    );
    fails(open(), Who::Central, &[request], FramingError::BadHandshake);
    let fresh = Pair::new(FramingConfig::default(), FramingConfig::default());
    fails(
        fresh,
        Who::Peripheral,
        &[response],
        FramingError::BadHandshake,
    );
}

/// [BLE-12]: handshake values out of range: a window outside 1..=32, a version not offered, a
/// segment size outside 20..=514 or above what the central's ATT MTU allows.
#[test]
fn handshake_values_out_of_range_are_refused() {
    let fresh = || Pair::new(config(247, 16), FramingConfig::default());
    for window in [0u8, 33, 255] {
        fails(
            fresh(),
            Who::Peripheral,
            &[&[0x40, 0x01, 0x01, 0x02, 0x05, window]],
            FramingError::BadHandshake,
        );
        fails(
            fresh(),
            Who::Central,
            &[&[0x40, 0x02, 0x01, 0x00, 200, window]],
            FramingError::BadHandshake,
        );
    }
    fails(
        fresh(),
        Who::Central,
        &[&[0x40, 0x02, 0x02, 0x00, 200, 16]],
        FramingError::BadHandshake,
    );
    fails(
        fresh(),
        Who::Central,
        &[&[0x40, 0x02, 0x03, 0x00, 200, 16]],
        FramingError::BadHandshake,
    );
    fails(
        fresh(),
        Who::Central,
        &[&[0x40, 0x02, 0x01, 0x00, 19, 16]],
        FramingError::BadHandshake,
    );
    fails(
        fresh(),
        Who::Central,
        &[&[0x40, 0x02, 0x01, 0x00, 245, 16]],
        FramingError::BadHandshake,
    );
    let mut pair = fresh();
    pair.handle(Who::Central, &[0x40, 0x02, 0x01, 0x00, 244, 16])
        .unwrap();
    assert_eq!(pair.central.engine.segment_size(), Some(244));
}

/// [BLE-12]: a request without a version the peripheral speaks is `no-common-version`.
#[test]
fn no_common_version_is_refused() {
    let fresh = || Pair::new(FramingConfig::default(), FramingConfig::default());
    fails(
        fresh(),
        Who::Peripheral,
        &[&[0x40, 0x01, 0x02, 0x02, 0x05, 16]],
        FramingError::NoCommonVersion,
    );
    fails(
        fresh(),
        Who::Peripheral,
        &[&[0x40, 0x01, 0x00, 0x02, 0x05, 16]],
        FramingError::NoCommonVersion,
    );
    // Later versions offered beside v1: v1 is chosen.
    let mut pair = fresh();
    pair.handle(Who::Peripheral, &[0x40, 0x01, 0xff, 0x02, 0x05, 16])
        .unwrap();
    assert_eq!(pair.peripheral.engine.state(), LinkState::Open);
    pair.transmit(Who::Peripheral, usize::MAX);
    assert_eq!(pair.peripheral.in_flight.back().unwrap()[2], 0x01);
}

/// [BLE-9]: reserved bits, bad flags, empty segments and truncated frames fail an open link
/// with their codes (the decoder's cases, through the engine).
#[test]
fn malformed_frames_fail_the_link() {
    for bit in [0x10u8, 0x20, 0x80] {
        fails(
            open(),
            Who::Peripheral,
            &[&[0x05 | bit, 0, 0, 1, 1]],
            FramingError::ReservedBits,
        );
        fails(
            open(),
            Who::Central,
            &[&[0x08 | bit, 0]],
            FramingError::ReservedBits,
        );
    }
    fails(
        open(),
        Who::Peripheral,
        &[&[0x03, 0, 0, 1, 1]],
        FramingError::BadFlags,
    );
    fails(
        open(),
        Who::Peripheral,
        &[&[0x44, 0x03]],
        FramingError::BadFlags,
    );
    fails(
        open(),
        Who::Peripheral,
        &[&[0x05, 0, 0, 1]],
        FramingError::EmptySegment,
    );
    fails(
        open(),
        Who::Peripheral,
        &[&[0x05, 0, 0]],
        FramingError::Truncated,
    );
    fails(open(), Who::Peripheral, &[&[]], FramingError::Truncated);
}

/// [BLE-10] [BLE-11]: the peer's error frame ends the link with its code, known or not,
/// and is not answered.
#[test]
fn a_peer_error_ends_the_link_silently() {
    for code in [9u8, 200] {
        let mut pair = open();
        assert_eq!(
            pair.handle(Who::Central, &[0x40, 0x05, code]),
            Err(FramingError::PeerError(code))
        );
        assert_eq!(pair.central.engine.state(), LinkState::Closed);
        assert_eq!(pair.central.engine.poll_transmit(pair.now), None);
    }
}

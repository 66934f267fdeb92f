//! The framing engine end to end over an in-test pair: delivery under every MTU, window and
//! interleaving, the window-of-one case, acks, timers and graceful close ([BLE-4]..[BLE-14]).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::Duration;

use orbit_ble::engine::{Engine, FramingConfig, LinkState};
use orbit_ble::frame::{Control, Frame};
use orbit_ble::FramingError;
use proptest::prelude::*;
use support::{config, sdu, Pair, Who};

/// A small deterministic generator for the delivery schedule (so a failing case replays from
/// proptest's seed alone).
struct Schedule(u64);

impl Schedule {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

fn sdu_len() -> impl Strategy<Value = usize> {
    prop_oneof![1..=64usize, 1..=16388usize]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// [BLE-4] [BLE-6] [BLE-7] [BLE-8] [BLE-9] [BLE-12]: for any MTUs, windows, SDU sizes and
    /// interleaving of writes, deliveries and clock moves, every SDU arrives once, whole and in
    /// order, and no side ever has more unacknowledged frames out than the peer's window.
    #[test]
    fn every_sdu_arrives_once_whole_in_order_within_the_window(
        mtu_c in 23u16..=517,
        mtu_p in 23u16..=517,
        win_c in 1u8..=32,
        win_p in 1u8..=32,
        from_c in prop::collection::vec(sdu_len(), 0..=3),
        from_p in prop::collection::vec(sdu_len(), 0..=3),
        seed in 1u64..,
    ) {
        let mut pair = Pair::new(config(mtu_c, win_c), config(mtu_p, win_p));
        let sent_c: Vec<Vec<u8>> = from_c.iter().enumerate().map(|(i, &n)| sdu(1, i, n)).collect();
        let sent_p: Vec<Vec<u8>> = from_p.iter().enumerate().map(|(i, &n)| sdu(2, i, n)).collect();
        for s in &sent_c {
            pair.central.engine.send(s.clone()).unwrap();
        }
        for s in &sent_p {
            pair.peripheral.engine.send(s.clone()).unwrap();
        }
        let mut schedule = Schedule(seed);
        let mut steps = 0u32;
        loop {
            let done = pair.central.received.len() == sent_p.len()
                && pair.peripheral.received.len() == sent_c.len()
                && pair.central.engine.is_idle()
                && pair.peripheral.engine.is_idle()
                && pair.central.in_flight.is_empty()
                && pair.peripheral.in_flight.is_empty();
            if done {
                break;
            }
            steps += 1;
            prop_assert!(steps < 400_000, "no progress: livelock");
            let batch = 1 + schedule.next(8) as usize;
            match schedule.next(6) {
                0 => { pair.transmit(Who::Central, batch); }
                1 => { pair.transmit(Who::Peripheral, batch); }
                2 => { pair.deliver(Who::Central, batch); }
                3 => { pair.deliver(Who::Peripheral, batch); }
                4 => pair.advance(Duration::from_millis(schedule.next(30))),
                _ => {
                    // Sometimes wait for the next deadline, as a driver sleeping would.
                    let next = [pair.central.engine.poll_timeout(), pair.peripheral.engine.poll_timeout()]
                        .into_iter().flatten().min().unwrap();
                    pair.advance(next.saturating_sub(pair.now).min(Duration::from_millis(60)));
                }
            }
        }
        prop_assert_eq!(&pair.peripheral.received, &sent_c);
        prop_assert_eq!(&pair.central.received, &sent_p);
        prop_assert!(pair.central.max_outstanding <= usize::from(win_p));
        prop_assert!(pair.peripheral.max_outstanding <= usize::from(win_c));
        prop_assert_eq!(pair.central.engine.state(), LinkState::Open);
        prop_assert_eq!(pair.peripheral.engine.state(), LinkState::Open);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// [BLE-2] [BLE-6] [BLE-9] [BLE-13]: the link layer never loses a value on a live
    /// connection, so a lost value is a violation: whichever value is lost, no SDU arrives
    /// corrupted, duplicated or out of order (each side receives a prefix of what the other
    /// sent), and a side that cannot complete fails with a typed error or a timeout instead of
    /// waiting forever.
    #[test]
    fn a_lost_value_never_corrupts_and_never_hangs(
        mtu in 23u16..=517,
        win_c in 1u8..=32,
        win_p in 1u8..=32,
        from_c in prop::collection::vec(1usize..=3000, 1..=3),
        from_p in prop::collection::vec(1usize..=3000, 0..=3),
        lost in 0usize..200,
    ) {
        let mut pair = Pair::new(config(mtu, win_c), config(mtu, win_p));
        let sent_c: Vec<Vec<u8>> = from_c.iter().enumerate().map(|(i, &n)| sdu(1, i, n)).collect();
        let sent_p: Vec<Vec<u8>> = from_p.iter().enumerate().map(|(i, &n)| sdu(2, i, n)).collect();
        for s in &sent_c {
            pair.central.engine.send(s.clone()).unwrap();
        }
        for s in &sent_p {
            pair.peripheral.engine.send(s.clone()).unwrap();
        }
        let mut moved = 0usize;
        let mut failures = Vec::new();
        let end = Duration::from_secs(120);
        while pair.now < end {
            let mut progress = false;
            for from in [Who::Central, Who::Peripheral] {
                let to = if from == Who::Central { Who::Peripheral } else { Who::Central };
                pair.transmit(from, usize::MAX);
                while let Some(value) = pair.side(from).in_flight.pop_front() {
                    progress = true;
                    moved += 1;
                    if moved == lost + 1 {
                        continue; // this value is lost
                    }
                    if let Err(e) = pair.handle(to, &value) {
                        failures.push(e);
                    }
                }
            }
            let done = pair.central.received.len() == sent_p.len()
                && pair.peripheral.received.len() == sent_c.len()
                && pair.central.engine.is_idle()
                && pair.peripheral.engine.is_idle();
            let both_closed = pair.central.engine.state() == LinkState::Closed
                && pair.peripheral.engine.state() == LinkState::Closed;
            if done || both_closed {
                break;
            }
            if progress {
                continue;
            }
            let next = [pair.central.engine.poll_timeout(), pair.peripheral.engine.poll_timeout()]
                .into_iter().flatten().min();
            let Some(next) = next else { break };
            pair.now = next.max(pair.now);
            let now = pair.now;
            for engine in [&mut pair.central.engine, &mut pair.peripheral.engine] {
                if let Err(e) = engine.handle_timeout(now) {
                    failures.push(e);
                }
            }
        }
        prop_assert!(pair.now < end, "neither finished nor failed within {end:?}: it hung");
        prop_assert!(sent_c.starts_with(&pair.peripheral.received));
        prop_assert!(sent_p.starts_with(&pair.central.received));
        let complete = pair.peripheral.received.len() == sent_c.len()
            && pair.central.received.len() == sent_p.len();
        if !complete {
            prop_assert!(
                !failures.is_empty()
                    || pair.central.engine.state() == LinkState::Closed
                    || pair.peripheral.engine.state() == LinkState::Closed,
                "SDUs are missing yet nothing failed"
            );
        }
    }
}

/// [BLE-5] [BLE-7] [BLE-8]: both windows 1 and both sides sending large SDUs at once: acks flow
/// in ack-only frames or piggybacked without a window slot, so it completes without the clock
/// moving at all (Matter BTP's window-of-one deadlock cannot happen).
#[test]
fn window_of_one_both_ways_completes_without_timers() {
    let mut pair = Pair::open(config(23, 1), config(23, 1));
    let sent_c: Vec<_> = (0..3).map(|i| sdu(1, i, 16388)).collect();
    let sent_p: Vec<_> = (0..3).map(|i| sdu(2, i, 16388)).collect();
    for (c, p) in sent_c.iter().zip(&sent_p) {
        pair.central.engine.send(c.clone()).unwrap();
        pair.peripheral.engine.send(p.clone()).unwrap();
    }
    // One value at a time each way, strictly alternating.
    for _ in 0..100_000 {
        let moved = pair.transmit(Who::Central, 1)
            + pair.transmit(Who::Peripheral, 1)
            + pair.deliver(Who::Central, 1)
            + pair.deliver(Who::Peripheral, 1);
        if moved == 0 {
            break;
        }
    }
    assert_eq!(pair.peripheral.received, sent_c);
    assert_eq!(pair.central.received, sent_p);
    assert_eq!(pair.central.max_outstanding, 1);
    assert_eq!(pair.peripheral.max_outstanding, 1);
    assert_eq!(pair.now, Duration::ZERO);
}

/// [BLE-12]: the segment size is min(ATT MTUs) - 3; frames never exceed it; the request and
/// response carry each side's window.
#[test]
fn handshake_negotiates_segment_size_and_windows() {
    let mut pair = Pair::new(config(185, 5), config(247, 9));
    pair.transmit(Who::Central, 1);
    assert_eq!(
        Frame::decode(&pair.central.in_flight[0]).unwrap(),
        Frame::Control(Control::HandshakeRequest {
            versions: 1,
            att_mtu: 185,
            window: 5
        })
    );
    pair.deliver(Who::Central, 1);
    pair.transmit(Who::Peripheral, 1);
    assert_eq!(
        Frame::decode(&pair.peripheral.in_flight[0]).unwrap(),
        Frame::Control(Control::HandshakeResponse {
            version: 1,
            segment_size: 182,
            window: 9
        })
    );
    pair.deliver(Who::Peripheral, 1);
    assert_eq!(pair.central.engine.segment_size(), Some(182));
    assert_eq!(pair.peripheral.engine.segment_size(), Some(182));
    pair.central.engine.send(sdu(1, 0, 5000)).unwrap();
    pair.transmit(Who::Central, usize::MAX);
    assert_eq!(
        pair.central.in_flight.len(),
        9,
        "the peripheral's window of 9"
    );
    assert!(pair.central.in_flight.iter().all(|v| v.len() <= 182));
    assert_eq!(pair.central.in_flight[0].len(), 182);
}

/// [BLE-8]: below half the window an ack waits for the ack delay; at half the window (rounded
/// up) it goes at once.
#[test]
fn acks_wait_for_the_delay_or_half_the_window() {
    let mut pair = Pair::open(config(517, 16), config(517, 5));
    pair.central.engine.send(vec![7; 10]).unwrap();
    pair.transmit(Who::Central, usize::MAX);
    pair.deliver(Who::Central, usize::MAX);
    assert_eq!(
        pair.transmit(Who::Peripheral, usize::MAX),
        0,
        "no ack before the delay"
    );
    assert_eq!(
        pair.peripheral.engine.poll_timeout(),
        Some(pair.now + Duration::from_millis(50))
    );
    pair.advance(Duration::from_millis(49));
    assert_eq!(pair.transmit(Who::Peripheral, usize::MAX), 0);
    pair.advance(Duration::from_millis(1));
    assert_eq!(pair.transmit(Who::Peripheral, usize::MAX), 1);
    assert_eq!(
        Frame::decode(&pair.peripheral.in_flight[0]).unwrap(),
        Frame::AckOnly { ack: 0 }
    );
    pair.deliver(Who::Peripheral, usize::MAX);
    // Three frames (half of 5, rounded up) make the peripheral ack at once.
    for i in 0..3 {
        pair.central.engine.send(vec![i; 3]).unwrap();
    }
    pair.transmit(Who::Central, 2);
    pair.deliver(Who::Central, usize::MAX);
    assert_eq!(pair.transmit(Who::Peripheral, usize::MAX), 0);
    pair.transmit(Who::Central, 1);
    pair.deliver(Who::Central, usize::MAX);
    assert_eq!(pair.transmit(Who::Peripheral, usize::MAX), 1);
    assert_eq!(
        Frame::decode(&pair.peripheral.in_flight[0]).unwrap(),
        Frame::AckOnly { ack: 3 }
    );
}

/// [BLE-8]: an owed ack rides on the next data frame instead of an ack-only frame.
#[test]
fn acks_piggyback_on_data() {
    let mut pair = Pair::open(config(517, 16), config(517, 16));
    pair.central.engine.send(vec![1; 4]).unwrap();
    pair.transmit(Who::Central, usize::MAX);
    pair.deliver(Who::Central, usize::MAX);
    pair.peripheral.engine.send(vec![2; 4]).unwrap();
    pair.transmit(Who::Peripheral, usize::MAX);
    assert_eq!(pair.peripheral.in_flight.len(), 1);
    let Frame::Data(data) = Frame::decode(&pair.peripheral.in_flight[0]).unwrap() else {
        panic!("expected a data frame");
    };
    assert_eq!(data.ack, Some(0));
    assert_eq!(pair.peripheral.in_flight[0], [0x0d, 0, 0, 0, 4, 2, 2, 2, 2]);
    pair.run(100);
    // Only the central, with nothing to send, acks in an ack-only frame.
    assert_eq!(pair.peripheral.engine.stats().ack_frames_sent, 0);
    assert_eq!(pair.central.engine.stats().ack_frames_sent, 1);
    assert_eq!(pair.central.received, vec![vec![2; 4]]);
}

/// [BLE-13]: a peer that stops acknowledging ends the link with `stalled` at the ack deadline,
/// not before, and the error frame (code 16) goes out once ([BLE-10]).
#[test]
fn a_peer_that_stops_acknowledging_stalls_the_link() {
    let mut pair = Pair::open(config(247, 16), config(247, 16));
    pair.central.engine.send(vec![9; 1000]).unwrap();
    pair.transmit(Who::Central, usize::MAX);
    pair.deliver(Who::Central, usize::MAX);
    // The peripheral's answers (its acks) are lost from here on.
    let sent_at = pair.now;
    let deadline = sent_at + Duration::from_secs(10);
    loop {
        pair.transmit(Who::Peripheral, usize::MAX);
        pair.peripheral.in_flight.clear();
        let next = pair.central.engine.poll_timeout().unwrap();
        assert!(next <= deadline);
        if next == deadline {
            break;
        }
        pair.advance(next - pair.now);
        pair.transmit(Who::Central, usize::MAX);
        pair.central.in_flight.clear();
    }
    pair.now = deadline - Duration::from_millis(1);
    assert_eq!(pair.central.engine.handle_timeout(pair.now), Ok(()));
    pair.now = deadline;
    assert_eq!(
        pair.central.engine.handle_timeout(pair.now),
        Err(FramingError::Stalled)
    );
    assert_eq!(pair.central.engine.state(), LinkState::Closed);
    assert_eq!(
        pair.central.engine.poll_transmit(pair.now),
        Some(vec![0x40, 0x05, 16])
    );
    assert_eq!(pair.central.engine.poll_transmit(pair.now), None);
    assert_eq!(pair.central.engine.poll_timeout(), None);
}

/// [BLE-13]: the central fails with `handshake-timeout` when no response comes within 10 s;
/// so does a peripheral that gets no request.
#[test]
fn handshake_times_out_on_both_sides() {
    let ten = Duration::from_secs(10);
    let mut central = Engine::central(FramingConfig::default(), Duration::ZERO);
    assert!(central.poll_transmit(Duration::ZERO).is_some());
    assert_eq!(central.poll_timeout(), Some(ten));
    assert_eq!(
        central.handle_timeout(ten - Duration::from_millis(1)),
        Ok(())
    );
    assert_eq!(
        central.handle_timeout(ten),
        Err(FramingError::HandshakeTimeout)
    );
    assert_eq!(central.poll_transmit(ten), Some(vec![0x40, 0x05, 17]));
    let mut peripheral = Engine::peripheral(FramingConfig::default(), Duration::from_secs(1));
    assert_eq!(
        peripheral.poll_timeout(),
        Some(ten + Duration::from_secs(1))
    );
    assert_eq!(
        peripheral.handle_timeout(ten + Duration::from_secs(1)),
        Err(FramingError::HandshakeTimeout)
    );
    assert_eq!(peripheral.state(), LinkState::Closed);
}

/// [BLE-13]: the central sends an ack-only keep-alive after 10 s without sending; the
/// peripheral answers it, so neither side's idle timer runs out on a quiet but live link.
#[test]
fn keep_alive_keeps_a_quiet_link_open() {
    let mut pair = Pair::open(FramingConfig::default(), FramingConfig::default());
    let start = pair.now;
    for _ in 0..10 {
        let next = pair.central.engine.poll_timeout().unwrap();
        pair.advance(next - pair.now);
        pair.settle();
    }
    assert!(pair.now - start >= Duration::from_secs(60));
    assert_eq!(pair.central.engine.state(), LinkState::Open);
    assert_eq!(pair.peripheral.engine.state(), LinkState::Open);
    assert!(pair.central.engine.stats().ack_frames_sent >= 6);
    assert!(pair.peripheral.engine.stats().ack_frames_sent >= 6);
}

/// [BLE-13]: a link on which nothing arrives for 30 s is closed (no error frame: there is no
/// code for it).
#[test]
fn idle_link_closes_after_thirty_seconds() {
    let mut pair = Pair::open(FramingConfig::default(), FramingConfig::default());
    let opened = pair.now;
    let idle = opened + Duration::from_secs(30);
    assert_eq!(pair.peripheral.engine.poll_timeout(), Some(idle));
    assert_eq!(
        pair.peripheral
            .engine
            .handle_timeout(idle - Duration::from_millis(1)),
        Ok(())
    );
    assert_eq!(
        pair.peripheral.engine.handle_timeout(idle),
        Err(FramingError::IdleTimeout)
    );
    assert_eq!(pair.peripheral.engine.state(), LinkState::Closed);
    assert_eq!(pair.peripheral.engine.poll_transmit(idle), None);
}

/// [BLE-14]: after close, no new SDU is accepted, but everything queued on both sides arrives
/// before close-ack; then both are Closed.
#[test]
fn graceful_close_drains_both_queues() {
    let mut pair = Pair::open(config(23, 2), config(23, 3));
    let sent_c: Vec<_> = (0..3).map(|i| sdu(1, i, 700)).collect();
    let sent_p: Vec<_> = (0..3).map(|i| sdu(2, i, 900)).collect();
    for (c, p) in sent_c.iter().zip(&sent_p) {
        pair.central.engine.send(c.clone()).unwrap();
        pair.peripheral.engine.send(p.clone()).unwrap();
    }
    pair.central.engine.close(pair.now);
    assert_eq!(pair.central.engine.state(), LinkState::Closing);
    assert_eq!(pair.central.engine.send(vec![1]), Err(FramingError::Closed));
    pair.transmit(Who::Central, usize::MAX);
    pair.deliver(Who::Central, usize::MAX);
    assert_eq!(
        pair.peripheral.engine.state(),
        LinkState::Open,
        "close goes after the queue"
    );
    pair.run(10_000);
    assert_eq!(pair.peripheral.received, sent_c);
    assert_eq!(pair.central.received, sent_p);
    assert_eq!(pair.central.engine.state(), LinkState::Closed);
    assert_eq!(pair.peripheral.engine.state(), LinkState::Closed);
    assert_eq!(
        pair.peripheral.engine.send(vec![1]),
        Err(FramingError::Closed)
    );
}

/// [BLE-14]: both sides closing at once still drain and end Closed.
#[test]
fn simultaneous_close_drains_and_ends() {
    let mut pair = Pair::open(config(50, 1), config(50, 1));
    pair.central.engine.send(sdu(1, 0, 300)).unwrap();
    pair.peripheral.engine.send(sdu(2, 0, 300)).unwrap();
    pair.central.engine.close(pair.now);
    pair.peripheral.engine.close(pair.now);
    pair.run(10_000);
    assert_eq!(pair.peripheral.received, vec![sdu(1, 0, 300)]);
    assert_eq!(pair.central.received, vec![sdu(2, 0, 300)]);
    assert_eq!(pair.central.engine.state(), LinkState::Closed);
    assert_eq!(pair.peripheral.engine.state(), LinkState::Closed);
}

/// [BLE-14]: a closer whose peer never answers gives up after the close timeout (5 s).
#[test]
fn close_without_close_ack_ends_after_the_close_timeout() {
    let mut pair = Pair::open(FramingConfig::default(), FramingConfig::default());
    pair.central.engine.close(pair.now);
    let sent = pair.transmit(Who::Central, usize::MAX);
    assert_eq!(sent, 1);
    assert_eq!(
        Frame::decode(&pair.central.in_flight[0]).unwrap(),
        Frame::Control(Control::Close)
    );
    let deadline = pair.now + Duration::from_secs(5);
    assert_eq!(pair.central.engine.poll_timeout(), Some(deadline));
    assert_eq!(pair.central.engine.handle_timeout(deadline), Ok(()));
    assert_eq!(pair.central.engine.state(), LinkState::Closed);
}

/// [BLE-9]: `send` refuses an SDU above max_sdu and an empty one; the link goes on.
#[test]
fn send_refuses_oversized_and_empty_sdus() {
    let mut pair = Pair::open(
        FramingConfig {
            max_sdu: 100,
            ..FramingConfig::default()
        },
        FramingConfig::default(),
    );
    assert_eq!(
        pair.central.engine.send(vec![0; 101]),
        Err(FramingError::SduTooLarge)
    );
    assert_eq!(
        pair.central.engine.send(Vec::new()),
        Err(FramingError::EmptySegment)
    );
    assert_eq!(pair.central.engine.send(vec![0; 100]), Ok(()));
    assert_eq!(pair.central.engine.state(), LinkState::Open);
    pair.run(100);
    assert_eq!(pair.peripheral.received, vec![vec![0; 100]]);
}

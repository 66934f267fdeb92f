//! The simulated BLE link's model in virtual time: connection events, throughput per event,
//! order, MTU, delays, disconnects, and determinism from the seed.
#![cfg(feature = "std")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use orbit_ble::radio::{RadioError, RadioEvent};
use orbit_ble::sim::{Delivery, Side, SimLink, SimParams};

const MS: Duration = Duration::from_millis(1);

/// Runs the link until it has nothing more to deliver, the deliveries in order.
fn drain(link: &mut SimLink) -> Vec<Delivery> {
    let mut out = Vec::new();
    let mut steps = 0;
    while let Some(t) = link.next_event() {
        while let Some(d) = link.poll_deliver(t) {
            out.push(d);
        }
        steps += 1;
        assert!(steps < 100_000, "the link never went idle");
    }
    out
}

fn received(d: &Delivery) -> &[u8] {
    match &d.event {
        RadioEvent::Received(v) => v,
        RadioEvent::Disconnected => panic!("unexpected disconnect at {:?}", d.at),
    }
}

/// Values arrive at connection events, at most `packets_per_event` per event and direction,
/// in the order written; both directions share an event.
#[test]
fn throughput_is_bounded_per_event_and_order_kept() {
    let params = SimParams {
        packets_per_event: 4,
        ..SimParams::default()
    };
    let interval = params.connection_interval;
    let mut link = SimLink::new(params, 1).unwrap();
    for i in 0..10u8 {
        link.write(Side::Central, Duration::ZERO, &[i]).unwrap();
    }
    for i in 0..5u8 {
        link.write(Side::Peripheral, Duration::ZERO, &[100 + i])
            .unwrap();
    }
    let all = drain(&mut link);
    let to_peripheral: Vec<_> = all.iter().filter(|d| d.to == Side::Peripheral).collect();
    let to_central: Vec<_> = all.iter().filter(|d| d.to == Side::Central).collect();
    assert_eq!(
        to_peripheral
            .iter()
            .map(|d| received(d)[0])
            .collect::<Vec<_>>(),
        (0..10).collect::<Vec<u8>>()
    );
    assert_eq!(
        to_central
            .iter()
            .map(|d| received(d)[0])
            .collect::<Vec<_>>(),
        (100..105).collect::<Vec<u8>>()
    );
    // 10 values at 4 per event: events 0, 1, 2 carry 4, 4, 2.
    let per_event = |ds: &[&Delivery], k: u32| ds.iter().filter(|d| d.at == interval * k).count();
    assert_eq!([0, 1, 2].map(|k| per_event(&to_peripheral, k)), [4, 4, 2]);
    assert_eq!([0, 1].map(|k| per_event(&to_central, k)), [4, 1]);
    let stats = link.stats();
    assert_eq!(stats.busy_events, 3);
    assert_eq!(stats.from_central.values, 10);
    assert_eq!(stats.from_peripheral.bytes, 5);
}

/// A value written at an event's time, after that event was delivered (an answer), goes at the
/// next event: a round trip costs at least one interval.
#[test]
fn an_answer_goes_at_the_next_event() {
    let params = SimParams::default();
    let interval = params.connection_interval;
    let mut link = SimLink::new(params, 2).unwrap();
    link.write(Side::Central, 5 * MS, b"ping").unwrap();
    assert_eq!(link.next_event(), Some(interval));
    assert_eq!(
        link.poll_deliver(interval - MS),
        None,
        "nothing before the event"
    );
    let d = link.poll_deliver(interval).unwrap();
    assert_eq!(
        (d.at, d.to, received(&d)),
        (interval, Side::Peripheral, &b"ping"[..])
    );
    link.write(Side::Peripheral, interval, b"pong").unwrap();
    assert_eq!(link.next_event(), Some(interval * 2));
    let d = link.poll_deliver(interval * 3).unwrap();
    assert_eq!(
        (d.at, d.to, received(&d)),
        (interval * 2, Side::Central, &b"pong"[..])
    );
    assert_eq!(link.next_event(), None, "idle");
}

/// An idle stretch costs nothing and a later write still goes at the first event after it.
#[test]
fn idle_time_is_skipped() {
    let params = SimParams {
        connection_interval: Duration::from_micros(7_500),
        ..SimParams::default()
    };
    let mut link = SimLink::new(params, 3).unwrap();
    let late = Duration::from_secs(3600);
    assert_eq!(link.poll_deliver(late), None);
    link.write(Side::Peripheral, late + MS, b"x").unwrap();
    let at = link.next_event().unwrap();
    assert!(
        at > late + MS && at <= late + MS + Duration::from_micros(7_500),
        "{at:?}"
    );
    assert_eq!(link.poll_deliver(at).unwrap().at, at);
}

/// A value may be at most the ATT MTU less 3 bytes; a longer one is refused by the stack.
#[test]
fn values_above_mtu_less_3_are_refused() {
    for mtu in [23u16, 185, 247, 517] {
        let mut link = SimLink::new(
            SimParams {
                att_mtu: mtu,
                ..SimParams::default()
            },
            4,
        )
        .unwrap();
        let max = usize::from(mtu) - 3;
        link.write(Side::Central, Duration::ZERO, &vec![1; max])
            .unwrap();
        let err = link
            .write(Side::Peripheral, Duration::ZERO, &vec![1; max + 1])
            .unwrap_err();
        assert!(matches!(err, RadioError::Stack(_)), "{err:?}");
        let all = drain(&mut link);
        assert_eq!(all.len(), 1, "only the value that fits is delivered");
        assert_eq!(received(&all[0]).len(), max);
    }
}

/// The extra delay holds a value in the sender's stack; jitter never reorders.
#[test]
fn delays_postpone_but_keep_order() {
    let params = SimParams {
        extra_delay: 40 * MS,
        ..SimParams::default()
    };
    let mut link = SimLink::new(params, 5).unwrap();
    link.write(Side::Central, Duration::ZERO, b"a").unwrap();
    // 40 ms after 0 with a 30 ms interval: the event at 60 ms.
    assert_eq!(link.poll_deliver(59 * MS), None);
    assert_eq!(link.poll_deliver(60 * MS).unwrap().at, 60 * MS);

    let params = SimParams {
        delay_jitter: 200 * MS,
        packets_per_event: 100,
        ..SimParams::default()
    };
    let mut link = SimLink::new(params, 6).unwrap();
    for i in 0..200u8 {
        link.write(Side::Peripheral, MS * u32::from(i), &[i])
            .unwrap();
    }
    let all = drain(&mut link);
    assert_eq!(
        all.iter().map(|d| received(d)[0]).collect::<Vec<_>>(),
        (0..200).collect::<Vec<u8>>()
    );
    // The jitter did spread the values over several events.
    let mut events: Vec<_> = all.iter().map(|d| d.at).collect();
    events.dedup();
    assert!(events.len() > 3, "{events:?}");
}

/// A disconnect at a chosen time: both sides are told at that time, what was not delivered
/// is lost, and writes after it are refused.
#[test]
fn disconnect_at_a_chosen_time() {
    let params = SimParams {
        disconnect_at: Some(100 * MS),
        packets_per_event: 1,
        ..SimParams::default()
    };
    let mut link = SimLink::new(params, 7).unwrap();
    for i in 0..10u8 {
        link.write(Side::Central, Duration::ZERO, &[i]).unwrap();
    }
    let all = drain(&mut link);
    // Events at 0, 30, 60 and 90 ms carried one value each; then the link dropped at 100 ms.
    let values: Vec<_> = all
        .iter()
        .filter(|d| matches!(d.event, RadioEvent::Received(_)))
        .collect();
    assert_eq!(values.len(), 4);
    let downs: Vec<_> = all
        .iter()
        .filter(|d| d.event == RadioEvent::Disconnected)
        .collect();
    assert_eq!(downs.len(), 2);
    assert!(downs.iter().all(|d| d.at == 100 * MS));
    assert_ne!(downs[0].to, downs[1].to, "each side is told");
    assert!(link.is_down());
    assert_eq!(
        link.write(Side::Peripheral, 200 * MS, b"late"),
        Err(RadioError::Disconnected)
    );
    assert_eq!(link.next_event(), None);
}

/// A side's disconnect takes effect at the next connection event, for both sides.
#[test]
fn a_side_disconnects() {
    let mut link = SimLink::new(SimParams::default(), 8).unwrap();
    link.disconnect(45 * MS);
    assert_eq!(link.next_event(), Some(60 * MS));
    let all = drain(&mut link);
    assert_eq!(all.len(), 2);
    assert!(all
        .iter()
        .all(|d| d.event == RadioEvent::Disconnected && d.at == 60 * MS));
}

/// The same seed and writes give the same deliveries, with jitter and a random disconnect;
/// other seeds give other ones.
#[test]
fn deterministic_from_the_seed() {
    let params = SimParams {
        delay_jitter: 50 * MS,
        disconnect_probability: 0.02,
        packets_per_event: 2,
        ..SimParams::default()
    };
    let run = |seed| {
        let mut link = SimLink::new(params.clone(), seed).unwrap();
        let mut trace = Vec::new();
        let mut now = Duration::ZERO;
        for i in 0..400u32 {
            let side = if i % 3 == 0 {
                Side::Peripheral
            } else {
                Side::Central
            };
            if link.write(side, now, &i.to_be_bytes()).is_err() {
                break;
            }
            now += 7 * MS;
            while let Some(d) = link.poll_deliver(now) {
                trace.push(d);
            }
        }
        trace.extend(drain(&mut link));
        trace
    };
    let a = run(42);
    assert_eq!(a, run(42));
    assert!(
        a.iter().any(|d| d.event == RadioEvent::Disconnected),
        "p = 0.02 over ~100 events"
    );
    let others = (43..48).filter(|s| run(*s) != a).count();
    assert_eq!(others, 5, "another seed gave the same trace");
}

/// With probability 1 the link drops at its first event after the start; with 0, never.
#[test]
fn disconnect_probability_extremes() {
    let always = SimParams {
        disconnect_probability: 1.0,
        ..SimParams::default()
    };
    let mut link = SimLink::new(always, 9).unwrap();
    assert_eq!(link.next_event(), Some(30 * MS));
    assert_eq!(drain(&mut link).len(), 2);

    let mut link = SimLink::new(SimParams::default(), 9).unwrap();
    assert_eq!(link.poll_deliver(Duration::from_secs(100_000)), None);
    assert!(!link.is_down());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Under any parameters and writes: each direction delivers every value it took, in the
    /// order written, at connection events (multiples of the interval), at most
    /// `packets_per_event` per event, never before the write plus the extra delay.
    #[test]
    fn link_invariants(
        mtu in 23u16..=517,
        interval_us in 7_500u64..=100_000,
        per_event in 1u16..=8,
        delay_ms in 0u64..50,
        jitter_ms in 0u64..50,
        seed: u64,
        writes in proptest::collection::vec((proptest::bool::ANY, 0u64..500, 1usize..600), 1..120),
    ) {
        let params = SimParams {
            att_mtu: mtu,
            connection_interval: Duration::from_micros(interval_us),
            packets_per_event: per_event,
            extra_delay: Duration::from_millis(delay_ms),
            delay_jitter: Duration::from_millis(jitter_ms),
            ..SimParams::default()
        };
        let interval = params.connection_interval;
        let mut link = SimLink::new(params.clone(), seed).unwrap();
        let mut now = Duration::ZERO;
        let mut sent = [Vec::new(), Vec::new()];
        let mut got: Vec<Delivery> = Vec::new();
        for (i, (central, advance_ms, len)) in writes.into_iter().enumerate() {
            now += Duration::from_millis(advance_ms / 10);
            while let Some(d) = link.poll_deliver(now) {
                got.push(d);
            }
            let side = if central { Side::Central } else { Side::Peripheral };
            let mut value = (i as u32).to_be_bytes().to_vec();
            value.resize(len.max(4), 0xa5);
            match link.write(side, now, &value) {
                Ok(()) => sent[usize::from(!central)].push((now, value)),
                Err(RadioError::Stack(_)) => proptest::prop_assert!(value.len() > params.max_value_len()),
                Err(e) => proptest::prop_assert!(false, "{e:?}"),
            }
        }
        got.extend(drain(&mut link));
        for (from, to) in [(0, Side::Peripheral), (1, Side::Central)] {
            let mine: Vec<_> = got.iter().filter(|d| d.to == to).collect();
            let values: Vec<&[u8]> = mine.iter().map(|d| received(d)).collect();
            let expected: Vec<&[u8]> = sent[from].iter().map(|(_, v)| v.as_slice()).collect();
            proptest::prop_assert_eq!(values, expected);
            for (d, (written, _)) in mine.iter().zip(&sent[from]) {
                proptest::prop_assert!(d.at >= *written + params.extra_delay);
                proptest::prop_assert_eq!(d.at.as_nanos() % interval.as_nanos(), 0);
            }
            let mut per_event = std::collections::BTreeMap::new();
            for d in &mine {
                *per_event.entry(d.at).or_insert(0u16) += 1;
            }
            proptest::prop_assert!(per_event.values().all(|n| *n <= params.packets_per_event));
        }
    }
}

//! Event numbers across restarts `[IM-50]`: the node records `start-up` at every start, asks
//! its driver to persist the end of a block of numbers before the current block runs low, and
//! after a restart continues from the persisted end, so numbers only grow.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::codec::CborMessage;
use orbit_core::device::{DeviceBuilder, DeviceInfo, DeviceNode, EVENT_NUMBER_BLOCK};
use orbit_core::interaction::{Envelope, EventPath, Message, ReadRequest};
use orbit_core::model::std_caps::basic_information as bi;
use orbit_core::model::{Data, EndpointId};
use std::time::Instant;

fn node(now: Instant) -> DeviceNode {
    DeviceBuilder::new(DeviceInfo {
        vendor_id: 0xFFF1,
        vendor_name: "Orbit test".into(),
        product_id: 1,
        product_name: "Events".into(),
        serial_number: "E-1".into(),
        hardware_version: "1".into(),
        firmware_version: "2.5.0".into(),
    })
    .build(now)
    .unwrap()
}

/// The events the device holds, as (number, uptime_ms, fields), read by an administrator.
fn events(node: &mut DeviceNode, now: Instant) -> Vec<(u64, u64, Data)> {
    let home = 7;
    node.add_home(
        home,
        orbit_core::crypto::sign::SigningKey::from_seed(&[1; 32]),
        1,
    );
    let request = Envelope {
        exchange: 1,
        message: Message::ReadRequest(ReadRequest {
            events: vec![EventPath::ALL],
            ..Default::default()
        }),
    }
    .to_bytes();
    let from = orbit_core::device::Requester {
        session: 1,
        home,
        node: 1,
    };
    let answer = node.handle(now, &from, &request);
    let Message::Report(r) = Envelope::decode(&answer[0]).unwrap().message else {
        panic!("no report")
    };
    r.events
        .into_iter()
        .map(|e| (e.number, e.uptime_ms, e.fields))
        .collect()
}

fn emit_start_up(node: &mut DeviceNode, now: Instant) -> u64 {
    node.update(now, EndpointId::ROOT, |ctx| {
        ctx.emit(
            bi::ID,
            bi::events::START_UP,
            Data::Struct(vec![(0, Data::Text("x".into()))]),
        )
    })
    .unwrap()
}

// [IM-50] the descriptor lists start-up; the node records it once at start, number 1.
#[test]
fn start_up_is_recorded_at_first_start() {
    let now = Instant::now();
    let mut n = node(now);
    let root = &n.descriptor().endpoints[0];
    let basic = root.capabilities.iter().find(|c| c.id == bi::ID).unwrap();
    assert!(basic.events.contains(&bi::events::START_UP));
    assert_eq!(
        events(&mut n, now),
        vec![(1, 0, Data::Struct(vec![(0, Data::Text("2.5.0".into()))]))]
    );
    assert_eq!(n.next_event_number(), 2);
}

// [IM-50] a block is asked for at once, and again only when less than half of it is left.
#[test]
fn blocks_are_reserved_ahead_of_use() {
    let now = Instant::now();
    let mut n = node(now);
    let first = n.event_number_reservation().unwrap();
    assert_eq!(first, 2 + EVENT_NUMBER_BLOCK);
    n.event_numbers_reserved(first);
    assert_eq!(n.event_number_reservation(), None);
    for _ in 0..EVENT_NUMBER_BLOCK / 2 {
        emit_start_up(&mut n, now);
    }
    assert_eq!(
        n.event_number_reservation(),
        None,
        "half a block is still left"
    );
    let last = emit_start_up(&mut n, now);
    assert!(last < first);
    let next = n.event_number_reservation().unwrap();
    assert_eq!(next, last + 1 + EVENT_NUMBER_BLOCK);
    assert_eq!(n.event_numbers_end(), first);
}

// [IM-50] after a restart the node continues from the persisted block end: its start-up
// event is numbered there, above every number the previous run could have used.
#[test]
fn a_restart_continues_from_the_persisted_end() {
    let t0 = Instant::now();
    let mut before = node(t0);
    let end = before.event_number_reservation().unwrap();
    before.event_numbers_reserved(end);
    let used: Vec<u64> = (0..10).map(|_| emit_start_up(&mut before, t0)).collect();
    assert!(used.iter().all(|n| *n < end));

    let mut after = node(t0);
    after.continue_event_numbers(end);
    let numbers: Vec<u64> = events(&mut after, t0).iter().map(|e| e.0).collect();
    assert_eq!(numbers, vec![end]);
    assert_eq!(emit_start_up(&mut after, t0), end + 1);
    // The new block starts above the old one.
    assert!(after.event_number_reservation().unwrap() > end);
}

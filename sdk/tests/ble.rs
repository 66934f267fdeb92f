//! Orbit over a simulated BLE link end to end: a controller finds a lamp in pairing mode by its
//! advert, pairs and commissions it over BLE, keeps a subscription while the session moves to
//! QUIC without a new handshake, and moves back to BLE ([BLE-20] to [BLE-30]).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{controller, on, read_on};
use orbit_ble::advert::Advert;
use orbit_ble::sim::SimParams;
use orbit_core::interaction::{EventPath, SubscribeRequest, WriteRequest};
use orbit_core::model::std_caps::basic_information;
use orbit_core::model::{Data, EndpointId};
use orbit_devices::{lamp, Kind};
use orbit_sdk::ble::{BleCentral, SimulatedAir};
use orbit_sdk::controller::{parse_addresses, SubscriptionUpdate};
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::MemoryStore;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// Generous: only a hang fails on it.
const WAIT: Duration = Duration::from_secs(60);

/// A lamp that serves BLE beside QUIC: it declares `network` [BLE-25].
async fn ble_lamp() -> Device {
    Device::open(
        Arc::new(MemoryStore::new()),
        |now| Ok(lamp::build_for_ble(now, "L-BLE")?),
        || DeviceIdentity::development(Kind::Lamp.product_id(), 1, orbit_sdk::unix_now()),
        DeviceConfig::default(),
    )
    .await
    .unwrap()
}

/// A link of 30 ms connection events at MTU 247, its virtual time ten times as fast as the
/// clock so the test stays short.
fn air(device: &Device) -> SimulatedAir {
    let air = SimulatedAir::with_time_scale(SimParams::default(), 7, 0.1);
    air.add("lamp", device.ble());
    air
}

fn events_of_basic_information() -> EventPath {
    EventPath {
        endpoint: Some(EndpointId::ROOT),
        capability: Some(basic_information::ID),
        event: None,
    }
}

/// Emits one `start-up` event from the device side; returns its number.
fn emit(device: &Device) -> u64 {
    device.update(EndpointId::ROOT, |ctx| {
        ctx.emit(
            basic_information::ID,
            basic_information::events::START_UP,
            Data::Struct(vec![(0, Data::Text("1.0".into()))]),
        )
        .unwrap()
    })
}

#[tokio::test]
async fn the_advert_names_the_device_by_discriminator_then_by_a_tag_only_its_home_knows() {
    // [BLE-20] [BLE-21] [BLE-22] [BLE-24]
    let device = ble_lamp().await;
    let ble = device.ble();
    let Some(Advert::Commissionable(a)) = ble.advert() else {
        panic!("an unpaired device advertises the commissionable form");
    };
    assert_eq!(
        a.discriminator(),
        device.setup_payload().discriminator.value()
    );
    assert!(a.window_open);

    let phone = controller().await;
    let air = air(&device);
    phone
        .pair_over_ble(&device.setup_payload().to_qr_string(), &air, Some("lamp"))
        .await
        .unwrap();
    let Some(Advert::Operational(op)) = ble.advert() else {
        panic!("a device of a home advertises the operational form");
    };
    let node = phone.device("lamp").unwrap().node_id;
    assert!(op.is_device(&phone.home_root_key(), phone.home_id(), node));
    assert!(!op.is_device(&phone.home_root_key(), phone.home_id(), node + 1));
    // [BLE-22] a new nonce gives a tag a stranger cannot link to the old one.
    ble.rotate();
    let Some(Advert::Operational(rotated)) = ble.advert() else {
        panic!()
    };
    assert_ne!(rotated.service_data(), op.service_data());
    assert!(rotated.is_device(&phone.home_root_key(), phone.home_id(), node));
    // A scan through the air hears the same bytes the device advertises.
    let heard = air.scan(Duration::from_secs(1), &|_| true).await.unwrap();
    assert_eq!(heard[0].service_data, ble.advert().unwrap().service_data());
}

#[tokio::test]
async fn pairing_over_ble_then_a_handoff_to_quic_keeps_the_session_and_every_report() {
    // [BLE-26] [BLE-27] [BLE-28] [BLE-30] [MSG-3] [MSG-19]
    let device = ble_lamp().await;
    let phone = controller().await;
    let air = air(&device);
    let paired = phone
        .pair_over_ble(&device.setup_payload().to_qr_string(), &air, Some("lamp"))
        .await
        .unwrap();
    let conn = paired.connection;
    assert_eq!(
        conn.remote_address().socket_addr(),
        None,
        "the session runs over BLE"
    );
    assert_eq!(read_on(&conn).await, Ok(Data::Bool(false)));

    // A subscription to events: every event has a number, so a lost or repeated report shows.
    let mut sub = conn
        .subscribe(SubscribeRequest {
            events: vec![events_of_basic_information()],
            min_interval_s: 0,
            max_interval_s: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut seen: Vec<u64> = sub.initial.events.iter().map(|e| e.number).collect();
    let sessions_before = device.session_count();
    let mut emitted = BTreeSet::new();
    for _ in 0..5 {
        emitted.insert(emit(&device));
    }
    // Events keep coming while the session moves.
    let handoff = {
        let moving = phone.hand_off("lamp", &conn);
        tokio::pin!(moving);
        loop {
            tokio::select! {
                h = &mut moving => break h.unwrap(),
                () = tokio::time::sleep(Duration::from_millis(3)) => { emitted.insert(emit(&device)); }
            }
        }
    };
    for _ in 0..5 {
        emitted.insert(emit(&device));
    }
    assert_eq!(Some(handoff.address), device.local_addr().ok());
    assert_eq!(
        conn.remote_address().socket_addr(),
        Some(handoff.address),
        "the session runs over QUIC now"
    );
    // [BLE-26] no handshake: the device holds the same sessions, and the stored record has the
    // QUIC address for later connections.
    assert_eq!(device.session_count(), sessions_before);
    assert_eq!(
        phone.device("lamp").unwrap().addresses,
        vec![handoff.address]
    );

    // [BLE-28] every event reaches the subscription exactly once, whichever link carried it.
    let last = *emitted.iter().max().unwrap();
    while seen.last().is_none_or(|n| *n < last) {
        match tokio::time::timeout(WAIT, sub.updates.recv())
            .await
            .expect("reports in time")
        {
            Some(SubscriptionUpdate::Report(r)) => seen.extend(r.events.iter().map(|e| e.number)),
            other => panic!("the subscription ended: {other:?}"),
        }
    }
    let unique: BTreeSet<u64> = seen.iter().copied().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "no event delivered twice: {seen:?}"
    );
    assert!(
        emitted.is_subset(&unique),
        "no event lost: emitted {emitted:?}, seen {seen:?}"
    );

    // Requests go on over QUIC, and a change is reported there.
    let statuses = conn
        .write(WriteRequest {
            writes: vec![(on(), Data::Bool(true))],
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        statuses
            .iter()
            .all(|s| s.status == orbit_core::status::Status::SUCCESS),
        "{statuses:?}"
    );
    assert_eq!(read_on(&conn).await, Ok(Data::Bool(true)));

    // [BLE-29] back to BLE: found by the operational advert, same session, reports follow.
    phone.fall_back_to_ble("lamp", &conn, &air).await.unwrap();
    assert_eq!(conn.remote_address().socket_addr(), None);
    assert_eq!(device.session_count(), sessions_before);
    let n = emit(&device);
    loop {
        match tokio::time::timeout(WAIT, sub.updates.recv())
            .await
            .expect("reports in time")
        {
            Some(SubscriptionUpdate::Report(r)) if r.events.iter().any(|e| e.number == n) => break,
            Some(SubscriptionUpdate::Report(_)) => {}
            other => panic!("the subscription ended: {other:?}"),
        }
    }
    assert_eq!(read_on(&conn).await, Ok(Data::Bool(true)));
}

#[tokio::test]
async fn the_device_tells_where_it_accepts_quic_inside_the_session() {
    // [BLE-25]
    let device = ble_lamp().await;
    let phone = controller().await;
    let air = air(&device);
    let paired = phone
        .pair_over_ble(&device.setup_payload().to_qr_string(), &air, Some("lamp"))
        .await
        .unwrap();
    let addr = orbit_core::interaction::ConcreteAttribute::new(
        EndpointId::ROOT,
        orbit_core::model::std_caps::network::ID,
        orbit_core::model::std_caps::network::attributes::ADDRESSES,
    );
    let (reports, _) = paired
        .connection
        .read(orbit_core::interaction::ReadRequest {
            attributes: vec![addr.path()],
            ..Default::default()
        })
        .await
        .unwrap();
    let value = reports[0].result.clone().unwrap();
    assert_eq!(parse_addresses(&value), vec![device.local_addr().unwrap()]);
}

#[tokio::test]
async fn a_device_without_the_network_capability_cannot_be_handed_off_and_stays_on_ble() {
    // [BLE-25]: the reference lamp serves QUIC only, so it does not declare `network`.
    let device = common::lamp().await;
    let phone = controller().await;
    let air = air(&device);
    let paired = phone
        .pair_over_ble(&device.setup_payload().to_qr_string(), &air, Some("lamp"))
        .await
        .unwrap();
    let err = phone
        .hand_off("lamp", &paired.connection)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("BLE-25"), "{err}");
    assert_eq!(read_on(&paired.connection).await, Ok(Data::Bool(false)));
}

#[tokio::test]
async fn a_setup_code_of_another_device_finds_nothing_and_a_wrong_passcode_fails_pairing() {
    // [BLE-24]: only the discriminator the code names is chosen.
    let device = ble_lamp().await;
    let phone = controller().await;
    let air = air(&device);
    let mut other = *device.setup_payload();
    other.discriminator =
        orbit_core::setup::Discriminator::new((other.discriminator.value() + 1) % 4096).unwrap();
    let err = phone
        .pair_over_ble(&other.to_qr_string(), &air, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Bluetooth"), "{err}");
    // The right device with a wrong passcode: PASE fails over BLE as over QUIC, with a
    // clear message, and the device is left unpaired.
    let err = phone
        .pair_over_ble(&common::wrong_code(&device), &air, None)
        .await
        .unwrap_err();
    assert_eq!(err.phase, orbit_sdk::controller::Phase::Pase, "{err}");
    assert!(device.homes().is_empty());
}

#[tokio::test]
async fn a_new_session_over_ble_resumes_with_the_ticket_and_finds_the_device_by_its_tag() {
    // [BLE-29] [BLE-21] [SESS-24]
    let device = ble_lamp().await;
    let phone = controller().await;
    let air = air(&device);
    let paired = phone
        .pair_over_ble(&device.setup_payload().to_qr_string(), &air, Some("lamp"))
        .await
        .unwrap();
    paired.connection.close();
    drop(paired);
    let (conn, _) = phone.connect_over_ble("lamp", &air).await.unwrap();
    assert!(
        conn.resumed(),
        "the ticket of the BLE session resumes it over BLE"
    );
    assert_eq!(conn.remote_address().socket_addr(), None);
    assert_eq!(read_on(&conn).await, Ok(Data::Bool(false)));
    // The next one resumes with the ticket that session issued: tickets are single-use.
    conn.close();
    drop(conn);
    let (again, _) = phone.connect_over_ble("lamp", &air).await.unwrap();
    assert!(again.resumed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ble_session_dropped_on_a_thread_outside_the_runtime_closes_without_a_panic() {
    // [BLE-14] a phone app drops its session on its own thread (the phone bindings): the link
    // then closes by itself, gracefully, once its last handle is gone.
    let device = ble_lamp().await;
    let phone = controller().await;
    let air = air(&device);
    let paired = phone
        .pair_over_ble(&device.setup_payload().to_qr_string(), &air, Some("lamp"))
        .await
        .unwrap();
    let conn = paired.connection;
    assert_eq!(read_on(&conn).await, Ok(Data::Bool(false)));
    let dropped = std::thread::spawn(move || {
        conn.close();
        drop(conn);
    })
    .join();
    assert!(dropped.is_ok(), "closing outside the runtime panicked");
}

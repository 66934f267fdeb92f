//! A controller and reference devices over real QUIC on 127.0.0.1: pairing from the setup
//! code, describe, read, write, invoke, subscribe, reconnect with resumption, device restart,
//! a wrong setup code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{controller, lamp, lamp_with, on, read_on, restart_on, wrong_code};
use orbit_core::interaction::{AttributePath, CommandPath};
use orbit_core::interaction::{SubscribeRequest, WriteRequest};
use orbit_core::model::std_caps::on_off;
use orbit_core::model::{Data, EndpointId};
use orbit_core::status::Status;
use orbit_devices::{lamp, Kind};
use orbit_sdk::controller::{Cause, Phase, SubscriptionUpdate};
use orbit_sdk::device::DeviceConfig;
use orbit_store::{MemoryStore, Store};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn pair_describe_control_subscribe_and_resume() {
    let device_store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let device = lamp_with(device_store.clone(), DeviceConfig::default()).await;
    let addr = device.local_addr().unwrap();
    let qr = device.setup_payload().to_qr_string();
    let phone = controller().await;

    let paired = phone.pair(&qr, addr, Some("lamp")).await.unwrap();
    // Every phase ran and was timed.
    for phase in [
        Phase::Connect,
        Phase::Pase,
        Phase::Attestation,
        Phase::InstallHome,
        Phase::Session,
        Phase::Describe,
    ] {
        assert!(paired.timings.of(phase).is_some(), "{phase} missing");
    }
    assert!(paired.timings.0.iter().all(|t| t.ok));
    assert_eq!(device.homes(), vec![phone.home_id()]);
    assert!(!device.is_pairing_window_open(), "[PAIR-29] window closes");
    let conn = paired.connection;
    let (descriptor, _) = conn.describe().await.unwrap();
    assert_eq!(descriptor.product_id, Kind::Lamp.product_id());
    // [DM-45] the controller keeps the verified descriptor from pairing.
    assert_eq!(phone.cached_descriptor("lamp"), Some(descriptor));

    // Read, write, invoke.
    assert_eq!(read_on(&conn).await, Ok(Data::Bool(false)));
    let statuses = conn
        .write(WriteRequest::new(vec![(on(), Data::Bool(true))]))
        .await
        .unwrap();
    assert_eq!(statuses[0].status, Status::SUCCESS);
    assert_eq!(device.attribute(on()), Some(Data::Bool(true)));
    let toggle = CommandPath::new(
        EndpointId(lamp::ENDPOINT),
        on_off::ID,
        on_off::commands::TOGGLE,
    );
    assert_eq!(
        conn.invoke(toggle, Data::Struct(vec![]), false)
            .await
            .unwrap(),
        Ok(Data::Struct(vec![]))
    );
    assert_eq!(read_on(&conn).await, Ok(Data::Bool(false)));
    // A timed invoke: the timed request and its follow-up share one exchange [IM-40].
    assert_eq!(
        conn.invoke(toggle, Data::Struct(vec![]), true)
            .await
            .unwrap(),
        Ok(Data::Struct(vec![]))
    );
    assert_eq!(read_on(&conn).await, Ok(Data::Bool(true)));
    conn.invoke(toggle, Data::Struct(vec![]), false)
        .await
        .unwrap()
        .unwrap();

    // Subscribe: the initial report, then a change made on the device side.
    let mut sub = conn
        .subscribe(SubscribeRequest {
            attributes: vec![AttributePath::endpoint(EndpointId(lamp::ENDPOINT))],
            min_interval_s: 0,
            max_interval_s: 30,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(sub.initial.attributes.iter().any(|a| a.path == on()));
    device.update(EndpointId(lamp::ENDPOINT), |ctx| {
        ctx.set(on_off::ID, on_off::attributes::ON, true).unwrap()
    });
    let update = tokio::time::timeout(Duration::from_secs(5), sub.updates.recv())
        .await
        .expect("a report within 5 s")
        .unwrap();
    let SubscriptionUpdate::Report(report) = update else {
        panic!("{update:?}")
    };
    assert!(report
        .attributes
        .iter()
        .any(|a| a.path == on() && a.result == Ok(Data::Bool(true))));

    // Reconnect: the ticket from the last session resumes it [SESS-24].
    conn.close();
    drop(conn);
    let (again, timings) = phone.connect("lamp", None).await.unwrap();
    assert!(again.resumed(), "a reconnect resumes");
    assert!(timings.of(Phase::Session).is_some());
    assert_eq!(read_on(&again).await, Ok(Data::Bool(true)));

    // Device restart on the same port and store: state, home and access survive. [IM-84] the
    // reference device keeps its resumption tickets, not its sessions: the controller resumes.
    again.close();
    drop(again);
    device.shutdown().await;
    let device = restart_on(device_store.clone(), addr).await;
    assert_eq!(device.homes(), vec![phone.home_id()]);
    let (after, _) = phone.connect("lamp", None).await.unwrap();
    assert!(
        after.resumed(),
        "the device kept its tickets across the restart"
    );
    assert_eq!(
        read_on(&after).await,
        Ok(Data::Bool(true)),
        "persistent on-off survives"
    );
    drop(device);
}

#[tokio::test]
async fn a_wrong_setup_code_is_refused_in_the_pairing_phase() {
    let device = lamp().await;
    let addr = device.local_addr().unwrap();
    let phone = controller().await;
    let err = phone
        .pair(&wrong_code(&device), addr, None)
        .await
        .expect_err("wrong passcode");
    assert_eq!(err.phase, Phase::Pase, "{err}");
    assert!(
        matches!(err.cause, Cause::Pairing(_) | Cause::Status(_)),
        "{err}"
    );
    assert!(device.homes().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_requests_in_flight_on_one_connection() {
    // [QUIC-5] each request is its own exchange on one connection; answers find their
    // requests even when they overtake each other.
    let device = lamp().await;
    let phone = controller().await;
    let paired = phone
        .pair(
            &device.setup_payload().to_qr_string(),
            device.local_addr().unwrap(),
            Some("lamp"),
        )
        .await
        .unwrap();
    let conn = Arc::new(paired.connection);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64u64 {
        let conn = conn.clone();
        tasks.spawn(async move {
            if i % 2 == 0 {
                let level = orbit_core::interaction::ConcreteAttribute::new(
                    EndpointId(lamp::ENDPOINT),
                    orbit_core::model::std_caps::level::ID,
                    orbit_core::model::std_caps::level::attributes::CURRENT_LEVEL,
                );
                let s = conn
                    .write(WriteRequest::new(vec![(level, Data::Uint(1 + i))]))
                    .await
                    .unwrap();
                assert_eq!(s[0].status, Status::SUCCESS);
            } else {
                assert!(read_on(&conn).await.is_ok());
            }
        });
    }
    let mut done = 0;
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
        done += 1;
    }
    assert_eq!(done, 64);
    assert_eq!(device.session_count(), 1, "one session carried them all");
}

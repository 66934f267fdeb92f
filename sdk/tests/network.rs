//! The SDK under the conditions of a real network, over QUIC on 127.0.0.1: two homes on one
//! device (multi-admin), the pairing attempt limit seen from a controller, 200 concurrent
//! controller sessions, and a peer that sends garbage next to a well-behaved controller.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{controller, eventually, lamp, lamp_with, on, read_on, wrong_code};
use orbit_core::interaction::{ConcreteAttribute, ReadRequest, WriteRequest};
use orbit_core::model::std_caps::access_control;
use orbit_core::model::{Data, EndpointId};
use orbit_core::status::Status;
use orbit_quic::{Client, FrameKind, QuicConfig};
use orbit_sdk::controller::{Cause, Controller, Phase};
use orbit_sdk::device::DeviceConfig;
use orbit_store::{MemoryStore, Store};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn two_homes_share_a_device_and_one_leaves_without_harming_the_other() {
    // [ACL-10] [ACL-9] [HOME-5] multi-admin over the network.
    let device = lamp().await;
    let addr = device.local_addr().unwrap();
    let code = device.setup_payload().to_qr_string();
    let alice = controller().await;
    alice.pair(&code, addr, Some("lamp")).await.unwrap();
    // The window closed after the first pairing [PAIR-29]: a second home cannot pair yet.
    let bob = controller().await;
    let refused = bob.pair(&code, addr, Some("lamp")).await.unwrap_err();
    assert_eq!(refused.phase, Phase::Pase, "{refused}");
    // Alice's administrator opens it; Bob pairs with the same setup code.
    alice
        .open_pairing_window("lamp", Duration::from_secs(180))
        .await
        .unwrap();
    let paired = bob.pair(&code, addr, Some("lamp")).await.unwrap();
    let mut homes = device.homes();
    homes.sort_unstable();
    let mut expected = vec![alice.home_id(), bob.home_id()];
    expected.sort_unstable();
    assert_eq!(homes, expected);
    // Each home sees only its own access control entries [ACL-7].
    let (acl, _) = paired
        .connection
        .read(ReadRequest {
            attributes: vec![ConcreteAttribute::new(
                EndpointId::ROOT,
                access_control::ID,
                access_control::attributes::ACL,
            )
            .path()],
            ..Default::default()
        })
        .await
        .unwrap();
    let Ok(Data::List(entries)) = &acl[0].result else {
        panic!("{acl:?}")
    };
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].field(0), Some(&Data::Uint(bob.home_id())));
    // Both control the lamp.
    let (a, _) = alice.connect("lamp", None).await.unwrap();
    a.write(WriteRequest::new(vec![(on(), Data::Bool(true))]))
        .await
        .unwrap();
    assert_eq!(read_on(&paired.connection).await, Ok(Data::Bool(true)));
    // Bob leaves; Alice is unaffected, Bob's record is gone.
    paired.connection.close();
    bob.unpair("lamp", false).await.unwrap();
    assert_eq!(device.homes(), vec![alice.home_id()]);
    assert!(bob.devices().is_empty());
    let (a2, _) = alice.connect("lamp", None).await.unwrap();
    assert_eq!(read_on(&a2).await, Ok(Data::Bool(true)));
    a.close();
}

#[tokio::test]
async fn the_pairing_attempt_limit_holds_over_the_network() {
    // [PAIR-26] after a failed attempt the device backs off: an immediate retry, even with
    // the right code, is refused.
    let device = lamp().await;
    let addr = device.local_addr().unwrap();
    let wrong = wrong_code(&device);
    let right = device.setup_payload().to_qr_string();
    let phone = controller().await;
    let first = phone.pair(&wrong, addr, None).await.unwrap_err();
    assert_eq!(first.phase, Phase::Pase, "{first}");
    let second = phone.pair(&right, addr, None).await.unwrap_err();
    assert_eq!(second.phase, Phase::Pase, "{second}");
    assert!(
        matches!(second.cause, Cause::Pairing(_) | Cause::Status(_)),
        "{second}"
    );
    assert!(device.homes().is_empty());
    assert!(eventually(|| device.failed_pairing_attempts() == 1).await);
}

#[tokio::test]
async fn the_failure_count_and_its_back_off_survive_a_device_restart() {
    // [PAIR-27] the count is persisted as soon as it changes, and a restart neither resets
    // it nor the back-off [PAIR-26]: the right code is refused right after the restart.
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let device = lamp_with(store.clone(), DeviceConfig::default()).await;
    let addr = device.local_addr().unwrap();
    let right = device.setup_payload().to_qr_string();
    let wrong = wrong_code(&device);
    let phone = controller().await;
    phone.pair(&wrong, addr, None).await.unwrap_err();
    assert!(eventually(|| device.failed_pairing_attempts() == 1).await);
    device.shutdown().await;
    let device = lamp_with(store, DeviceConfig::default()).await;
    assert_eq!(device.failed_pairing_attempts(), 1);
    let err = phone
        .pair(&right, device.local_addr().unwrap(), None)
        .await
        .unwrap_err();
    assert_eq!(err.phase, Phase::Pase, "{err}");
    assert!(device.homes().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_controller_sessions() {
    const SESSIONS: usize = 200;
    let quic = QuicConfig {
        max_connections: 256,
        ..QuicConfig::default()
    };
    let device = lamp_with(
        Arc::new(MemoryStore::new()),
        DeviceConfig {
            quic,
            max_sessions: 256,
            ..DeviceConfig::default()
        },
    )
    .await;
    let addr = device.local_addr().unwrap();
    let phone = Arc::new(controller().await);
    phone
        .pair(&device.setup_payload().to_qr_string(), addr, Some("lamp"))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..SESSIONS {
        let phone = phone.clone();
        tasks.push(tokio::spawn(async move {
            let (conn, _) = phone.connect("lamp", None).await?;
            let (attrs, _) = conn
                .read(ReadRequest {
                    attributes: vec![on().path()],
                    ..Default::default()
                })
                .await?;
            Ok::<_, orbit_sdk::controller::ControllerError>((conn, attrs))
        }));
    }
    let mut open = Vec::new();
    for t in tasks {
        let (conn, attrs) = t.await.unwrap().unwrap();
        assert_eq!(attrs[0].result, Ok(Data::Bool(false)));
        open.push(conn);
    }
    // All of them are open at once on the device.
    assert!(
        device.session_count() > SESSIONS,
        "{}",
        device.session_count()
    );
    // And every one still works.
    for conn in open.iter().step_by(20) {
        assert_eq!(read_on(conn).await, Ok(Data::Bool(false)));
    }
}

#[tokio::test]
async fn a_peer_sending_garbage_does_not_disturb_a_well_behaved_controller() {
    let device = lamp().await;
    let addr = device.local_addr().unwrap();
    let phone = controller().await;
    let paired = phone
        .pair(&device.setup_payload().to_qr_string(), addr, Some("lamp"))
        .await
        .unwrap();
    let good = paired.connection;

    let rogue = Client::new(
        "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
        QuicConfig::default(),
    )
    .unwrap();
    let link = rogue.connect(addr).await.unwrap();
    let garbage: Vec<(FrameKind, Vec<u8>)> = vec![
        (FrameKind::PROTECTED, vec![0xff; 40]),
        (FrameKind::PROTECTED, vec![0; 13]),
        (FrameKind::SESSION, b"not a sigma1".to_vec()),
        (FrameKind::PAIRING, vec![0xa1, 0x00, 0x63]),
        (FrameKind(9), vec![1, 2, 3]),
    ];
    let mut stalled = Vec::new();
    for round in 0..5 {
        for (kind, bytes) in &garbage {
            let mut ex = link.open_exchange().await.unwrap();
            let _ = ex.send_frame(*kind, bytes).await;
            let _ = ex.finish();
            // The device answers garbage with nothing usable: a status, a reset or an end.
            let _ = tokio::time::timeout(Duration::from_secs(2), ex.recv_frame()).await;
        }
        // An exchange opened and left silent holds a stream but nothing else.
        if round < 3 {
            stalled.push(link.open_exchange().await.unwrap());
        }
        // Meanwhile the well-behaved controller is served normally.
        let statuses = good
            .write(WriteRequest::new(vec![(on(), Data::Bool(round % 2 == 0))]))
            .await
            .unwrap();
        assert_eq!(statuses[0].status, Status::SUCCESS);
        assert_eq!(read_on(&good).await, Ok(Data::Bool(round % 2 == 0)));
    }
    // The device is still pairable-free, in one home, and answers new sessions.
    assert_eq!(device.homes(), vec![phone.home_id()]);
    let (again, _) = phone.connect("lamp", None).await.unwrap();
    assert_eq!(read_on(&again).await, Ok(Data::Bool(true)));
    drop(stalled);
}

#[tokio::test]
async fn an_administrator_admits_a_second_phone_and_later_removes_it() {
    // [ACL-3] [ACL-7] [HOME-2] a second controller of the same home, with operate only.
    let device = lamp().await;
    let addr = device.local_addr().unwrap();
    let admin = controller().await;
    admin
        .pair(&device.setup_payload().to_qr_string(), addr, Some("lamp"))
        .await
        .unwrap();
    let pending = orbit_sdk::controller::PendingJoin::new().unwrap();
    let admission = admin
        .admit(&pending.request(), 2, orbit_core::model::Privilege::Operate)
        .await
        .unwrap();
    let phone = Controller::join(
        Arc::new(MemoryStore::new()),
        QuicConfig::default(),
        pending,
        admission,
    )
    .await
    .unwrap();
    assert_eq!(phone.home_id(), admin.home_id());
    assert_eq!(phone.node_id(), 2);
    assert_eq!(phone.devices().len(), 1);
    // It operates the lamp...
    let (conn, _) = phone.connect("lamp", None).await.unwrap();
    let statuses = conn
        .write(WriteRequest::new(vec![(on(), Data::Bool(true))]))
        .await
        .unwrap();
    assert_eq!(statuses[0].status, Status::SUCCESS);
    // ...but cannot administer it, nor pair devices into the home.
    let acl = ConcreteAttribute::new(
        EndpointId::ROOT,
        access_control::ID,
        access_control::attributes::ACL,
    );
    let denied = conn
        .write(WriteRequest::new(vec![(acl, Data::List(vec![]))]))
        .await
        .unwrap();
    assert_eq!(denied[0].status, Status::ACCESS_DENIED);
    let err = phone
        .pair(&device.setup_payload().to_qr_string(), addr, None)
        .await
        .unwrap_err();
    assert!(matches!(err.cause, Cause::NotAdministrator), "{err}");
    conn.close();
    // The administrator removes it: its sessions still open, every operation is denied.
    admin.remove_controller(2).await.unwrap();
    let (conn, _) = phone.connect("lamp", None).await.unwrap();
    let (attrs, _) = conn
        .read(ReadRequest {
            attributes: vec![on().path()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(attrs[0].result, Err(Status::ACCESS_DENIED));
    // The administrator is unaffected.
    let (a, _) = admin.connect("lamp", None).await.unwrap();
    assert_eq!(read_on(&a).await, Ok(Data::Bool(true)));
}

#[tokio::test]
async fn concurrent_pairings_get_distinct_node_ids() {
    // Node IDs and certificate serials come from the home's authority one pairing at a time.
    let a = lamp().await;
    let b = lamp().await;
    let phone = Arc::new(controller().await);
    let pair = |d: &orbit_sdk::device::Device, name: &'static str| {
        let phone = phone.clone();
        let code = d.setup_payload().to_qr_string();
        let addr = d.local_addr().unwrap();
        tokio::spawn(async move { phone.pair(&code, addr, Some(name)).await })
    };
    let (ra, rb) = (pair(&a, "a"), pair(&b, "b"));
    let (pa, pb) = (ra.await.unwrap().unwrap(), rb.await.unwrap().unwrap());
    assert_ne!(pa.device.node_id, pb.device.node_id);
    assert_eq!(phone.devices().len(), 2);
}

#[tokio::test]
async fn a_full_device_lets_idle_sessions_go_but_not_connected_ones() {
    // Sessions outlive their connections [QUIC-20] until the device needs the room; sessions
    // with a live connection are never pushed out, and an unauthenticated handshake makes no
    // room at all.
    let device = lamp_with(
        Arc::new(MemoryStore::new()),
        DeviceConfig {
            max_sessions: 2,
            ..DeviceConfig::default()
        },
    )
    .await;
    let phone = controller().await;
    let paired = phone
        .pair(
            &device.setup_payload().to_qr_string(),
            device.local_addr().unwrap(),
            Some("lamp"),
        )
        .await
        .unwrap();
    let (second, _) = phone.connect("lamp", None).await.unwrap();
    assert_eq!(device.session_count(), 2);
    // Both connected: a third session is refused (busy, after the controller's retries).
    let refused = phone.connect("lamp", None).await.unwrap_err();
    assert!(
        matches!(refused.phase, Phase::Session | Phase::Connect),
        "{refused}"
    );
    assert_eq!(read_on(&second).await, Ok(Data::Bool(false)));
    // One connection closes: its session stays until room is needed, then goes.
    paired.connection.close();
    drop(paired.connection);
    assert!(eventually(|| device.session_count() == 2).await);
    let (third, _) = phone.connect("lamp", None).await.unwrap();
    assert_eq!(device.session_count(), 2);
    assert_eq!(read_on(&third).await, Ok(Data::Bool(false)));
    assert_eq!(read_on(&second).await, Ok(Data::Bool(false)));
}

//! A device's room for connections does not depend on how its clients end ([QUIC-40] to
//! [QUIC-44]), and a controller reports busy as busy ([QUIC-45]).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{controller_in, eventually, lamp, lamp_with, on, pair_lamp, read_on};
use orbit_core::interaction::ReadRequest;
use orbit_core::model::Data;
use orbit_quic::{QuicConfig, QuicError};
use orbit_sdk::controller::{Cause, Controller, DeviceConnection, Phase};
use orbit_sdk::device::{Device, DeviceConfig};
use orbit_store::{MemoryStore, Store};
use std::sync::Arc;

/// A controller whose home is kept in `store`, with `lamp` paired as "lamp".
async fn paired(device: &Device, store: Arc<dyn Store>) -> Controller {
    let phone = controller_in(store).await;
    pair_lamp(&phone, device).await;
    phone
}

/// Runs `work` as a separate short-lived client process would: on a runtime of its own,
/// which is then dropped as a killed process stops, without running anything more. What
/// `work` returns is dropped only after that, so nothing it holds sends another packet.
fn as_a_process<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let kept = runtime.block_on(work);
        drop(runtime);
        kept
    })
    .join()
    .unwrap()
}

async fn read_once(store: Arc<dyn Store>) -> (Controller, DeviceConnection) {
    let c = controller_in(store).await;
    let (conn, _) = c.connect("lamp", None).await.unwrap();
    assert_eq!(read_on(&conn).await, Ok(Data::Bool(false)));
    (c, conn)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_vanish_without_closing_do_not_hold_the_device() {
    // [QUIC-42]: a hundred short clients each open a session, read, and vanish as a killed
    // process does (no CONNECTION_CLOSE, no keep-alive): far more than the device's 32
    // authenticated places, each held until the idle timeout (30 s) if nothing took it.
    let device = lamp().await;
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let phone = paired(&device, store.clone()).await;
    for _ in 0..100 {
        let store = store.clone();
        let vanished = as_a_process(async move {
            let (c, conn) = read_once(store).await;
            (c, conn)
        });
        drop(vanished);
        let (authenticated, unauthenticated) = device.connection_counts();
        assert!(authenticated <= 32 && unauthenticated <= 16);
    }
    // An honest request gets in at once.
    let (conn, _) = phone.connect("lamp", None).await.unwrap();
    assert_eq!(read_on(&conn).await, Ok(Data::Bool(false)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_that_closes_frees_its_place_at_once() {
    // [QUIC-44]: Controller::close tells the device before the process ends; the device
    // lets the connection go long before its idle timeout (30 s).
    let device = lamp().await;
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let phone = paired(&device, store.clone()).await;
    phone.close().await;
    assert!(eventually(|| device.connection_counts() == (0, 0)).await);
    let (c, conn) = as_a_process(async move {
        let (c, conn) = read_once(store).await;
        drop(conn);
        c.close().await;
        (c, ())
    });
    drop((c, conn));
    assert!(
        eventually(|| device.connection_counts() == (0, 0)).await,
        "{:?}",
        device.connection_counts()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_outlives_the_unauthenticated_deadline() {
    // [QUIC-40]: the deadline ends connections without a session, not those with one.
    let device = lamp_with(
        Arc::new(MemoryStore::new()),
        DeviceConfig {
            quic: QuicConfig {
                unauthenticated_deadline: std::time::Duration::from_millis(300),
                ..QuicConfig::default()
            },
            ..DeviceConfig::default()
        },
    )
    .await;
    let phone = paired(&device, Arc::new(MemoryStore::new())).await;
    let (conn, _) = phone.connect("lamp", None).await.unwrap();
    // Past the deadline, the same connection still answers.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let (attrs, _) = conn
        .read(ReadRequest {
            attributes: vec![on().path()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(attrs[0].result, Ok(Data::Bool(false)));
    assert_eq!(device.connection_counts().1, 0);
}

/// An mDNS port of this test's own, so it neither disturbs nor hears the host's responder.
fn test_mdns_port() -> u16 {
    30_000 + (std::process::id() % 20_000) as u16
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_device_is_reported_busy_not_looked_for_elsewhere() {
    // [QUIC-45], [DISC-18]: the paired lamp answers busy at its address, and an
    // advertisement of it points elsewhere (where nothing listens). The controller must
    // report busy, not go to the advertised address and time out there.
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let device = common::lamp_with(store.clone(), DeviceConfig::default()).await;
    let listen = device.local_addr().unwrap();
    let phone = Controller::open(
        Arc::new(MemoryStore::new()),
        QuicConfig {
            handshake_timeout: std::time::Duration::from_secs(2),
            ..QuicConfig::default()
        },
    )
    .await
    .unwrap();
    phone
        .pair(&device.setup_payload().to_qr_string(), listen, Some("lamp"))
        .await
        .unwrap();
    let (root, home, node) = device.operational_identities()[0];
    device.shutdown().await;
    // The same lamp, back on its port, refusing every attempt.
    let mut busy = None;
    for _ in 0..100 {
        let config = DeviceConfig {
            listen,
            quic: QuicConfig {
                max_handshakes: 0,
                ..QuicConfig::default()
            },
            ..DeviceConfig::default()
        };
        match common::try_lamp(store.clone(), config).await {
            Ok(d) => {
                busy = Some(d);
                break;
            }
            // quinn releases the old socket a moment after the endpoint's last handle.
            Err(orbit_sdk::device::DeviceError::Transport(QuicError::Bind { .. })) => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    let busy = busy.expect("the port became free");
    // The decoy: the lamp's operational advertisement, on a port where nothing answers.
    let nothing = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let discovery = orbit_discovery::DiscoveryConfig {
        mdns_port: test_mdns_port(),
        scope: orbit_discovery::NetworkScope::LoopbackOnly,
    };
    let advertiser = orbit_discovery::Advertiser::with_config(&discovery).unwrap();
    let _decoy = advertiser
        .advertise_operational(
            &orbit_discovery::Operational::new(orbit_discovery::operational_instance_id(
                &root, home, node,
            )),
            nothing.local_addr().unwrap().port(),
        )
        .unwrap();
    let err = phone
        .connect_or_locate("lamp", discovery)
        .await
        .unwrap_err();
    assert_eq!(err.phase, Phase::Connect, "{err}");
    assert!(
        matches!(&err.cause, Cause::Transport(e @ QuicError::Refused { .. }) if e.is_busy()),
        "{err}"
    );
    assert!(err.to_string().contains("busy"), "{err}");
    drop(busy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_short_commands_on_a_default_device() {
    // [QUIC-41], [QUIC-42], [QUIC-45]: far more short commands at once than the device has
    // places (32 authenticated, 16 unauthenticated): each gets in, waiting its turn as busy.
    let device = lamp().await;
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let phone = Arc::new(paired(&device, store).await);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let phone = phone.clone();
        tasks.spawn(async move {
            let (conn, _) = phone.connect("lamp", None).await?;
            let (attrs, _) = conn
                .read(ReadRequest {
                    attributes: vec![on().path()],
                    ..Default::default()
                })
                .await?;
            Ok::<_, orbit_sdk::controller::ControllerError>(attrs[0].result.clone())
        });
    }
    let mut failed = Vec::new();
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            Ok(value) => assert_eq!(value, Ok(Data::Bool(false))),
            Err(e) => failed.push(e.to_string()),
        }
    }
    assert!(
        failed.is_empty(),
        "{} of 200 failed: {:?}",
        failed.len(),
        failed.first()
    );
    let (authenticated, unauthenticated) = device.connection_counts();
    assert!(authenticated <= 32 && unauthenticated <= 16);
}

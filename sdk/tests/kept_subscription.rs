//! A kept subscription outlives its session: the device restarts under it, and reports go on
//! after a new session and a new subscription `[IM-111]` (issue 11, item 14).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{controller, lamp_with, on, restart_on};
use orbit_core::interaction::{SubscribeRequest, WriteRequest};
use orbit_core::model::Data;
use orbit_sdk::controller::{KeptSubscription, KeptUpdate};
use orbit_sdk::device::DeviceConfig;
use orbit_store::{MemoryStore, Store};
use std::sync::Arc;
use std::time::Duration;

/// Generous: only a hang fails on it.
const WAIT: Duration = Duration::from_secs(60);

async fn next(sub: &mut KeptSubscription) -> KeptUpdate {
    tokio::time::timeout(WAIT, sub.next())
        .await
        .expect("an update in time")
        .expect("the stream goes on")
}

/// The next update that is not a keep-alive (an empty report).
async fn next_news(sub: &mut KeptSubscription) -> KeptUpdate {
    loop {
        match next(sub).await {
            KeptUpdate::Report(r) if r.attributes.is_empty() && r.events.is_empty() => {}
            other => return other,
        }
    }
}

#[tokio::test]
async fn reports_continue_after_the_device_restarts() {
    // [IM-111] [IM-64] [IM-66]
    let device_store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let device = lamp_with(device_store.clone(), DeviceConfig::default()).await;
    let addr = device.local_addr().unwrap();
    let phone = Arc::new(controller().await);
    let paired = phone
        .pair(&device.setup_payload().to_qr_string(), addr, Some("lamp"))
        .await
        .unwrap();
    paired.connection.close();

    let mut sub = phone
        .keep_subscription(
            "lamp",
            SubscribeRequest {
                attributes: vec![on().path()],
                min_interval_s: 0,
                max_interval_s: 1,
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(sub.initial.attributes[0].result, Ok(Data::Bool(false)));

    // The device goes away and comes back on its port, with its state.
    device.shutdown().await;
    assert_eq!(next_news(&mut sub).await, KeptUpdate::Lost);
    let device = restart_on(device_store.clone(), addr).await;

    // Attempts may fail while it is down; then a new subscription with the current values.
    let again = loop {
        match next_news(&mut sub).await {
            KeptUpdate::Retrying { .. } => {}
            KeptUpdate::Resubscribed(r) => break r,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(again.attributes[0].result, Ok(Data::Bool(false)));

    // A change made after the restart arrives on the same stream.
    let (writer, _) = phone.connect("lamp", None).await.unwrap();
    let statuses = writer
        .write(WriteRequest::new(vec![(on(), Data::Bool(true))]))
        .await
        .unwrap();
    assert!(
        statuses
            .iter()
            .all(|s| s.status == orbit_core::status::Status::SUCCESS),
        "{statuses:?}"
    );
    match next_news(&mut sub).await {
        KeptUpdate::Report(r) => assert_eq!(r.attributes[0].result, Ok(Data::Bool(true))),
        other => panic!("{other:?}"),
    }
    writer.close();
    drop(sub);
    drop(device);
}

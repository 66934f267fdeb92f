//! How the device ends streams and keeps connections, over QUIC on 127.0.0.1: a dropped
//! protected message's stream ends without an answer and without a reset `[MSG-21]`, and a
//! subscription outlives the idle timeout because the client keeps the connection alive,
//! not its reports `[QUIC-26]`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::wire::connect;
use common::{lamp, lamp_with, pair_lamp};
use orbit_core::interaction::{AttributePath, SubscribeRequest};
use orbit_core::model::EndpointId;
use orbit_devices::lamp;
use orbit_quic::{FrameKind, QuicConfig};
use orbit_sdk::controller::{Controller, SubscriptionUpdate};
use orbit_sdk::device::DeviceConfig;
use orbit_store::MemoryStore;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn a_dropped_message_ends_its_stream_without_an_answer_or_a_reset() {
    // [MSG-21] [MSG-18] whatever check fails, the device finishes its half without a frame
    // and reads the controller's end; no RESET_STREAM or STOP_SENDING.
    let device = lamp().await;
    let (_client, link) = connect(&device).await;
    let mut unknown_session = vec![0u8; 40];
    unknown_session[1..5].copy_from_slice(&0x0bad_cafe_u32.to_be_bytes());
    let reserved_flags = {
        let mut m = unknown_session.clone();
        m[0] = 0x80;
        m
    };
    for message in [vec![0u8; 10], reserved_flags, unknown_session] {
        let mut ex = link.open_exchange().await.unwrap();
        ex.send_frame(FrameKind::PROTECTED, &message).await.unwrap();
        ex.finish().unwrap();
        let end = tokio::time::timeout(Duration::from_secs(10), ex.recv_frame())
            .await
            .expect("the device ends the stream");
        assert!(
            matches!(end, Ok(None)),
            "a clean end without an answer, not {end:?}"
        );
        // The device read this side's end: nothing stops it.
        tokio::time::timeout(Duration::from_secs(10), ex.delivered())
            .await
            .unwrap()
            .unwrap();
    }
}

/// A controller and a lamp whose idle timeout is one second, and a subscription whose
/// keep-alive report comes only every three.
async fn subscription_across_idle_timeouts(keep_alive: Option<Duration>) -> SubscriptionUpdate {
    let quic = QuicConfig {
        idle_timeout: Duration::from_secs(1),
        keep_alive_interval: keep_alive,
        ..QuicConfig::default()
    };
    let device = lamp_with(
        Arc::new(MemoryStore::new()),
        DeviceConfig {
            quic: QuicConfig {
                idle_timeout: Duration::from_secs(1),
                ..QuicConfig::default()
            },
            ..DeviceConfig::default()
        },
    )
    .await;
    let phone = Controller::open(Arc::new(MemoryStore::new()), quic)
        .await
        .unwrap();
    let paired = pair_lamp(&phone, &device).await;
    let mut sub = paired
        .connection
        .subscribe(SubscribeRequest {
            attributes: vec![AttributePath::endpoint(EndpointId(lamp::ENDPOINT))],
            min_interval_s: 0,
            max_interval_s: 3,
            ..Default::default()
        })
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(20), sub.updates.recv())
        .await
        .expect("an update")
        .expect("the subscription's stream is open")
}

#[tokio::test]
async fn client_pings_keep_a_subscribed_connection_open_past_the_idle_timeout() {
    // [QUIC-26] [QUIC-16] the default keep-alive (10 s) is cut to a third of the idle timeout,
    // so the keep-alive report three seconds later still finds the connection.
    let update = subscription_across_idle_timeouts(Some(Duration::from_secs(10))).await;
    assert!(
        matches!(update, SubscriptionUpdate::Report(ref r) if r.attributes.is_empty()),
        "{update:?}"
    );
}

#[tokio::test]
async fn without_client_pings_reports_do_not_keep_the_connection_open() {
    // [QUIC-26] the device sends no keep-alives and its reports come too rarely: the
    // connection closes at the idle timeout and the subscription is lost with it.
    let update = subscription_across_idle_timeouts(None).await;
    assert_eq!(update, SubscriptionUpdate::Lost);
}

//! A request sent right after `sigma3` is served whatever the order in which the device
//! gets the two streams `[SESS-13]`, `[SESS-39]`, `[QUIC-21]`: thousands of full handshakes
//! over loopback, each racing its first request against its `sigma3`, and in half of them
//! the request is even sent first.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::handshakes::{self, HandshakeEnd};
use super::test_support::{lamp_with, pair_lamp, PairedLamp};
use crate::device::{Device, DeviceConfig};
use crate::link::{FrameKind, Link};
use orbit_core::crypto::SystemRandom;
use orbit_core::interaction::{Client, ClientEvent, ConcreteAttribute, ReadRequest};
use orbit_core::model::std_caps::on_off;
use orbit_core::model::EndpointId;
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_devices::lamp;
use std::time::{Duration, Instant};

/// Handshakes raced in the test; each costs a full SIGMA exchange on both sides.
const RACES: usize = 2000;
/// Handshakes in flight at once (the device holds at most 8 pending ones, [SESS-34]).
const PARALLEL: usize = 4;

async fn lamp_device() -> Device {
    lamp_with(DeviceConfig {
        // Every race leaves a session on the one connection: room for all of them.
        max_sessions: RACES + 16,
        ..DeviceConfig::default()
    })
    .await
}

/// One race: a full handshake whose first request is sent `request_first` before or right
/// after `sigma3`. Returns whether the request was answered.
async fn race(
    link: &Link,
    membership: &orbit_core::cert::HomeMembership,
    node: orbit_core::cert::NodeId,
    request_first: bool,
) -> bool {
    let mut rng = SystemRandom::new();
    let (established, sigma3, mut ex) =
        handshakes::until_last_message(link, membership, node, None, &mut rng)
            .await
            .unwrap();
    let sigma3 = sigma3.expect("a full handshake has a sigma3");
    let mut protector =
        Protector::new(established.session_keys(), ProtectConfig::default()).expect("session keys");
    let mut client = Client::new();
    let attr = ConcreteAttribute::new(
        EndpointId(lamp::ENDPOINT),
        on_off::ID,
        on_off::attributes::ON,
    );
    let (_, plain) = client.read(
        Instant::now(),
        ReadRequest {
            attributes: vec![attr.path()],
            ..Default::default()
        },
    );
    let mut sealed = Vec::new();
    protector.seal(&plain, &mut sealed).unwrap();
    let mut request = link.open_exchange().await.unwrap();
    if request_first {
        request
            .send_frame(FrameKind::PROTECTED, &sealed)
            .await
            .unwrap();
        request.finish().unwrap();
        ex.send_frame(FrameKind::SESSION, &sigma3).await.unwrap();
        ex.finish().unwrap();
    } else {
        ex.send_frame(FrameKind::SESSION, &sigma3).await.unwrap();
        ex.finish().unwrap();
        request
            .send_frame(FrameKind::PROTECTED, &sealed)
            .await
            .unwrap();
        request.finish().unwrap();
    }
    let verdict = HandshakeEnd::new(ex).verdict();
    let answer = async {
        let frame = tokio::time::timeout(Duration::from_secs(30), request.recv_frame())
            .await
            .ok()?
            .ok()??;
        let mut bytes = frame.payload.to_vec();
        let plain = protector.open(&mut bytes).ok()?.payload.to_vec();
        match client.handle(Instant::now(), &plain) {
            Ok(Some(ClientEvent::ReadDone { attributes, .. })) => Some(attributes.len()),
            _ => None,
        }
    };
    let (verdict, answer) = tokio::join!(verdict, answer);
    verdict.expect("the device accepted sigma3");
    answer == Some(1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_racing_its_sigma3_is_always_answered() {
    // [SESS-39] [SESS-13] [QUIC-21]
    let device = lamp_device().await;
    let PairedLamp {
        phone,
        addr,
        node,
        membership,
    } = pair_lamp(&device).await;
    let link = Link::Quic(phone.quic.connect(addr).await.unwrap());
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..PARALLEL {
        let link = link.clone();
        let membership = membership.clone();
        tasks.spawn(async move {
            let mut answered = 0usize;
            for i in 0..RACES / PARALLEL {
                if race(&link, &membership, node, (i + lane) % 2 == 0).await {
                    answered += 1;
                }
            }
            answered
        });
    }
    let mut answered = 0;
    while let Some(r) = tasks.join_next().await {
        answered += r.unwrap();
    }
    assert_eq!(answered, RACES, "every request racing its sigma3 is served");
}

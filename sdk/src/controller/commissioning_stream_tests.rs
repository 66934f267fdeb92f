//! A commissioning step is one message and its answer on a stream of its own; a second
//! commissioning message on that stream is answered with `commissioning-complete`
//! (`unexpected-message`) instead of silence `[QUIC-23]`, `[QUIC-5]`, `[COMM-3]`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::handshakes;
use super::test_support::{controller, lamp};
use crate::link::{FrameKind, Link};
use orbit_core::codec::CborMessage;
use orbit_core::commission::{Commissioner, CommissioningComplete};
use orbit_core::crypto::SystemRandom;
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::status::Status;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_second_commissioning_message_on_one_stream_gets_unexpected_message() {
    // [QUIC-23]
    let device = lamp().await;
    let phone = controller().await;
    let link = Link::Quic(
        phone
            .quic
            .connect(device.local_addr().unwrap())
            .await
            .unwrap(),
    );
    let mut rng = SystemRandom::new();
    let passcode = device.setup_payload().passcode.value();
    let keys = handshakes::pase(&link, passcode, &mut rng).await.unwrap();
    let mut protector = Protector::new(keys.session_keys(), ProtectConfig::default()).unwrap();
    let mut plain = Vec::new();
    Commissioner {
        challenge: keys.attestation_challenge,
        expected_product: None,
    }
    .start(&mut rng, Instant::now(), &mut plain)
    .unwrap();
    let mut sealed = Vec::new();
    protector.seal(&plain, &mut sealed).unwrap();

    // The first message, without the stream's end: a controller that guessed that the
    // next message goes on the same stream.
    let mut ex = link.open_exchange().await.unwrap();
    ex.send_frame(FrameKind::PROTECTED, &sealed).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), ex.recv_frame())
        .await
        .unwrap()
        .unwrap()
        .expect("the attestation-response");
    let mut bytes = first.payload.to_vec();
    protector.open(&mut bytes).unwrap();

    // The second message on the same stream is answered, not ignored.
    let mut again = Vec::new();
    protector.seal(&plain, &mut again).unwrap();
    ex.send_frame(FrameKind::PROTECTED, &again).await.unwrap();
    ex.finish().unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(10), ex.recv_frame())
        .await
        .expect("an answer, not silence")
        .unwrap()
        .expect("a frame before the end");
    let mut bytes = answer.payload.to_vec();
    let opened = protector.open(&mut bytes).unwrap().payload.to_vec();
    let complete = CommissioningComplete::decode(&opened).unwrap();
    assert_eq!(complete.status, Status::UNEXPECTED_MESSAGE);
    let end = tokio::time::timeout(Duration::from_secs(10), ex.recv_frame())
        .await
        .unwrap()
        .unwrap();
    assert!(end.is_none(), "the device then ends the stream");
    // Commissioning is over: the PASE session is gone.
    assert_eq!(device.session_count(), 0);
}

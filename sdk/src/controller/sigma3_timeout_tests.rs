//! A responder whose `sigma3` never comes says `timeout` on the handshake's stream and ends
//! it `[SESS-40]`, `[QUIC-22]`. Takes the handshake deadline of [SESS-33] (30 s).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::handshakes;
use super::test_support::{lamp, pair_lamp, PairedLamp};
use crate::link::{FrameKind, Link};
use orbit_core::codec::CborMessage;
use orbit_core::crypto::SystemRandom;
use orbit_core::session::SessionStatus;
use orbit_core::status::Status;
use std::time::Duration;

#[tokio::test]
async fn a_missing_sigma3_is_answered_with_timeout_at_the_deadline() {
    // [SESS-40]
    let device = lamp().await;
    let PairedLamp {
        phone,
        addr,
        node,
        membership,
    } = pair_lamp(&device).await;
    let link = Link::Quic(phone.quic.connect(addr).await.unwrap());
    let mut rng = SystemRandom::new();
    // A session on the connection first, so that the device keeps it as authenticated
    // ([QUIC-40]) while the second handshake waits.
    let (_, end) = handshakes::open_session(&link, &membership, node, None, &mut rng)
        .await
        .unwrap();
    end.verdict().await.unwrap();
    // Everything up to sigma3, which is never sent.
    let (_, sigma3, mut ex) =
        handshakes::until_last_message(&link, &membership, node, None, &mut rng)
            .await
            .unwrap();
    assert!(sigma3.is_some());
    let frame = tokio::time::timeout(Duration::from_secs(60), ex.recv_frame())
        .await
        .expect("the device speaks at its deadline")
        .unwrap()
        .expect("a session-status before the end");
    assert_eq!(frame.kind, FrameKind::SESSION);
    let status = SessionStatus::decode(&frame.payload).unwrap().status;
    assert_eq!(status, Status::TIMEOUT);
    ex.finish().unwrap();
    let end = tokio::time::timeout(Duration::from_secs(10), ex.recv_frame())
        .await
        .unwrap()
        .unwrap();
    assert!(end.is_none(), "and then ends the stream");
}

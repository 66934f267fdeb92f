//! A peer that starts pairing and goes silent, over real QUIC on 127.0.0.1: it holds the
//! device's only pairing slot for the device's step deadline and no longer, the device counts
//! the stall as a failed attempt, and an honest controller is told what is going on and when
//! to retry (`[PAIR-33]`..`[PAIR-36]`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use orbit_core::codec::CborMessage;
use orbit_core::crypto::SeededRandom;
use orbit_core::pairing::{Controller as Pase, PairingError, PairingStatus, DEVICE_STEP_TIMEOUT};
use orbit_core::status::Status;
use orbit_core::version::SUPPORTED;
use orbit_quic::FrameKind;
use orbit_sdk::controller::Cause;
use std::time::{Duration, Instant};

// [PAIR-33] [PAIR-34] [PAIR-35] [PAIR-36] [QUIC-40] the stall is bounded by the device's 10 s deadline
// (the connection's own unauthenticated deadline waits for the handshake, so the stall is counted),
// the honest controller meanwhile gets busy with a retry-after no longer than that and a
// message that says so, the silent peer gets `timeout`, the stall counts as a failed attempt,
// and once its back-off is over the honest controller pairs (which resets the count).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_pairing_peer_is_bounded_counted_and_explained() {
    let device = common::lamp().await;
    let addr = device.local_addr().unwrap();
    let code = device.setup_payload().to_qr_string();

    // The silent peer: a pbkdf-param-request, the device's response, then nothing.
    let (_client, link) = common::wire::connect(&device).await;
    let mut stalled = link.open_exchange().await.unwrap();
    let (_, request) = Pase {
        passcode: 12_345_670,
        versions: SUPPORTED,
        local_session_id: 9,
        known_params: None,
    }
    .start(&mut SeededRandom::new(3), Instant::now())
    .unwrap();
    stalled
        .send_frame(FrameKind::PAIRING, &request.to_bytes())
        .await
        .unwrap();
    let response = stalled.recv_frame().await.unwrap().unwrap();
    assert_eq!(response.kind, FrameKind::PAIRING);

    // The honest controller, while the slot is held.
    let phone = common::controller().await;
    let err = phone.pair(&code, addr, Some("lamp")).await.err().unwrap();
    match &err.cause {
        Cause::Pairing(PairingError::PeerRefused {
            status,
            retry_after,
        }) => {
            assert_eq!(*status, Status::BUSY);
            assert!(
                (Duration::from_secs(1)..=DEVICE_STEP_TIMEOUT).contains(retry_after),
                "{retry_after:?}"
            );
        }
        other => panic!("expected busy with retry-after, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("busy with another pairing; retry in "),
        "{text}"
    );
    assert_eq!(device.failed_pairing_attempts(), 0);

    // The device ends the stall at its deadline, tells the silent peer, and counts it.
    let ended = tokio::time::timeout(Duration::from_secs(60), stalled.recv_frame())
        .await
        .expect("the device never ended the stalled handshake")
        .unwrap()
        .unwrap();
    assert_eq!(
        PairingStatus::decode(&ended.payload).unwrap(),
        PairingStatus::new(Status::TIMEOUT)
    );
    assert_eq!(device.failed_pairing_attempts(), 1);

    // Right after, the back-off of that failure may still run (its own status, with the
    // seconds left); the controller waits as told and pairs.
    let mut refusals = 0;
    loop {
        match phone.pair(&code, addr, Some("lamp")).await {
            Ok(_) => break,
            Err(e) => match e.cause {
                Cause::Pairing(PairingError::PeerRefused {
                    status: Status::PAIRING_BACKOFF,
                    retry_after,
                }) if refusals < 3 => {
                    assert_eq!(retry_after, Duration::from_secs(1));
                    assert!(e.to_string().contains("retry in 1 s"), "{e}");
                    refusals += 1;
                    tokio::time::sleep(retry_after).await;
                }
                other => panic!("expected pairing-backoff or success, got {other:?}"),
            },
        }
    }
    assert_eq!(device.homes().len(), 1);
    assert_eq!(
        device.failed_pairing_attempts(),
        0,
        "a success resets the count"
    );
    link.close(orbit_quic::ErrorCode::NO_ERROR, "done");
    device.shutdown().await;
}

//! An initiator that refuses a resumed session, over QUIC on 127.0.0.1: a `session-status`
//! sent after the device's `sigma2-resume`, on the handshake's stream, ends the resumed
//! session at the device `[QUIC-22]` `[SESS-37]`; without it the resumed session serves
//! requests.
//!
//! The controller is written out from the core's state machines, so that it can send what the
//! SDK's controller only sends when something went wrong on its side.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::wire::{commission, connect, now, sealed, sigma1, sigma3};
use common::{eventually_within, lamp, on};
use orbit_core::cert::HomeMembership;
use orbit_core::codec::CborMessage;
use orbit_core::interaction::{Client as ImClient, ReadRequest};
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::session::{Established, SessionStatus, Ticket};
use orbit_core::status::Status;
use orbit_quic::{Exchange, FrameKind, Link};
use std::time::{Duration, Instant};

/// A full SIGMA handshake (the confirming session); returns it, with its ticket.
async fn full_session(link: &Link, me: &HomeMembership) -> Established {
    let (state, ex, sigma2) = sigma1(link, me, 9, None).await;
    sigma3(ex, state, me, &sigma2).await
}

/// Resumes with `ticket` up to the device's `sigma2-resume`; returns the resumed session and
/// the handshake's exchange, this side still open.
async fn resume(link: &Link, me: &HomeMembership, ticket: Ticket) -> (Established, Exchange) {
    let (state, ex, sigma2_resume) = sigma1(link, me, 11, Some(ticket)).await;
    assert!(state.offered_resumption());
    let mut out = Vec::new();
    let resumed = state.handle(me, &sigma2_resume, now(), &mut out).unwrap();
    assert!(resumed.resumed, "the device resumed");
    assert!(out.is_empty(), "nothing follows sigma2-resume but the end");
    (resumed, ex)
}

/// The session's message protection.
fn pipe(session: &Established) -> Protector {
    Protector::new(session.session_keys(), ProtectConfig::default()).unwrap()
}

/// Reads the lamp's on-off attribute in the session `pipe` protects; `None` when the device
/// does not know the session.
async fn read_in(link: &Link, pipe: &mut Protector) -> Option<Vec<u8>> {
    let (_, request) = ImClient::new().read(
        Instant::now(),
        ReadRequest {
            attributes: vec![on().path()],
            ..Default::default()
        },
    );
    sealed(link, pipe, &request).await
}

// [QUIC-22] [SESS-37] [SESS-24] a session-status after sigma2-resume ends the resumed session
// at the device; a resumed session the initiator does not refuse serves requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_after_sigma2_resume_ends_the_resumed_session_at_the_device() {
    let device = lamp().await;
    let (client, link) = connect(&device).await;
    let me = commission(&device, &link).await;
    let mut confirming = full_session(&link, &me).await;
    let before = device.session_count();

    // Accepted: the initiator finishes after sigma2-resume, and the session serves a read.
    let (mut accepted, mut ex) = resume(&link, &me, confirming.ticket.take().unwrap()).await;
    let _ = ex.finish();
    assert!(ex.recv_frame().await.unwrap().is_none());
    assert!(
        eventually_within(Duration::from_secs(30), || device.session_count()
            == before + 1)
        .await
    );
    let mut accepted_pipe = pipe(&accepted);
    assert!(
        read_in(&link, &mut accepted_pipe).await.is_some(),
        "an accepted resumed session is answered"
    );

    // Refused: once the device holds the resumed session (it registers it after sending
    // sigma2-resume), the initiator sends session-status and its end.
    let ticket = accepted
        .ticket
        .take()
        .expect("a resumption issues the next ticket");
    let (refused, mut ex) = resume(&link, &me, ticket).await;
    assert!(
        eventually_within(Duration::from_secs(30), || device.session_count()
            == before + 2)
        .await,
        "the device registered the resumed session"
    );
    let status = SessionStatus {
        status: Status::FAILURE,
    };
    ex.send_frame(FrameKind::SESSION, &status.to_bytes())
        .await
        .unwrap();
    let _ = ex.finish();
    assert!(ex.recv_frame().await.unwrap().is_none());
    // The device read the status and its end, without stopping the stream as malformed.
    tokio::time::timeout(Duration::from_secs(30), ex.delivered())
        .await
        .unwrap()
        .unwrap();
    assert!(
        eventually_within(Duration::from_secs(30), || device.session_count()
            == before + 1)
        .await,
        "the refused session ended at the device: {} sessions",
        device.session_count()
    );
    assert_eq!(
        read_in(&link, &mut pipe(&refused)).await,
        None,
        "a request in the refused session is dropped [MSG-21]"
    );
    // The accepted session is untouched.
    assert!(read_in(&link, &mut accepted_pipe).await.is_some());
    drop(link);
    client.close();
    device.shutdown().await;
}

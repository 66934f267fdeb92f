//! An initiator that refuses a resumed session, over QUIC on 127.0.0.1: a `session-status`
//! sent after the device's `sigma2-resume`, on the handshake's stream, ends the resumed
//! session at the device `[QUIC-22]` `[SESS-37]`; without it the resumed session serves
//! requests.
//!
//! The controller is written out from the core's state machines, so that it can send what the
//! SDK's controller only sends when something went wrong on its side.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{lamp, on};
use orbit_core::attest::{TrustStore, VendorAuthority};
use orbit_core::cert::{HomeAuthority, HomeMembership, NodeRole, Validity};
use orbit_core::codec::CborMessage;
use orbit_core::commission::{Commissioner, NodeAssignment};
use orbit_core::crypto::SystemRandom;
use orbit_core::interaction::{Client as ImClient, ReadRequest};
use orbit_core::pairing::{Controller as PaseController, PairingKeys};
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::session::{Established, Initiator, Now, SessionId, SessionStatus, Ticket};
use orbit_core::status::Status;
use orbit_core::version::SUPPORTED;
use orbit_quic::{Client, Exchange, FrameKind, Link, QuicConfig};
use orbit_sdk::device::Device;
use std::time::{Duration, Instant};

/// The device's node ID in the home this test makes.
const DEVICE_NODE: u64 = 0x42;

fn unix() -> u64 {
    orbit_sdk::unix_now()
}

/// Waits (generously: the machine may be loaded) for `f` to hold.
async fn eventually(f: impl Fn() -> bool) -> bool {
    for _ in 0..3000 {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

fn now() -> Now {
    Now::new(Instant::now(), unix())
}

async fn frame(ex: &mut Exchange, kind: FrameKind) -> Vec<u8> {
    let f = tokio::time::timeout(Duration::from_secs(30), ex.recv_frame())
        .await
        .expect("the device answers")
        .unwrap()
        .expect("a frame, not the end of the exchange");
    assert_eq!(f.kind, kind);
    f.payload.to_vec()
}

/// One sealed message on a new exchange; the opened answer, or `None` when the device ends
/// the exchange without one (a message of no session it knows, [MSG-21]).
async fn sealed(link: &Link, pipe: &mut Protector, plain: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    pipe.seal(plain, &mut out).unwrap();
    let mut ex = link.open_exchange().await.unwrap();
    ex.send_frame(FrameKind::PROTECTED, &out).await.unwrap();
    let _ = ex.finish();
    let answer = tokio::time::timeout(Duration::from_secs(30), ex.recv_frame())
        .await
        .expect("the device ends the exchange")
        .unwrap()?;
    let mut answer = answer.payload.to_vec();
    Some(pipe.open(&mut answer).unwrap().payload.to_vec())
}

/// Pairs and commissions the device into a new home; returns this controller's membership.
async fn commission(device: &Device, link: &Link) -> HomeMembership {
    let mut rng = SystemRandom::new();
    let mut ex = link.open_exchange().await.unwrap();
    let (state, request) = PaseController {
        passcode: device.setup_payload().passcode.value(),
        versions: SUPPORTED,
        local_session_id: 7,
        known_params: None,
    }
    .start(&mut rng, Instant::now())
    .unwrap();
    ex.send_frame(FrameKind::PAIRING, &request.to_bytes())
        .await
        .unwrap();
    let response = frame(&mut ex, FrameKind::PAIRING).await;
    let (state, pake1) = state.handle(&response, &mut rng, Instant::now()).unwrap();
    ex.send_frame(FrameKind::PAIRING, &pake1.to_bytes())
        .await
        .unwrap();
    let pake2 = frame(&mut ex, FrameKind::PAIRING).await;
    let (keys, pake3): (PairingKeys, _) = state.handle(&pake2, Instant::now()).unwrap();
    ex.send_frame(FrameKind::PAIRING, &pake3.to_bytes())
        .await
        .unwrap();
    let _ = ex.finish();
    assert!(ex.recv_frame().await.unwrap().is_none());
    let mut pipe = Protector::new(keys.session_keys(), ProtectConfig::default()).unwrap();
    let mut trust = TrustStore::new();
    trust
        .add_root(VendorAuthority::development().root().clone())
        .unwrap();
    let mut plain = Vec::new();
    let commissioner = Commissioner {
        challenge: keys.attestation_challenge,
        expected_product: None,
    }
    .start(&mut rng, Instant::now(), &mut plain)
    .unwrap();
    let reply = sealed(link, &mut pipe, &plain).await.unwrap();
    let verified = commissioner
        .handle(&trust, &reply, Instant::now(), unix(), &mut Vec::new())
        .unwrap();
    let validity = Validity::starting(unix() - 60, 86_400 * 365);
    let mut home = HomeAuthority::create(&mut rng, unix() - 60, 86_400 * 365).unwrap();
    let me = home
        .issue_member(&mut rng, 1, NodeRole::CONTROLLER, validity)
        .unwrap();
    plain.clear();
    let installing = verified
        .install(
            &mut home,
            NodeAssignment {
                node_id: DEVICE_NODE,
                validity,
                admin_node_id: Some(1),
            },
            Instant::now(),
            unix(),
            &mut plain,
        )
        .unwrap();
    let reply = sealed(link, &mut pipe, &plain).await.unwrap();
    installing
        .handle(&reply, Instant::now(), &mut Vec::new())
        .unwrap();
    me
}

/// A full SIGMA handshake (the confirming session); returns it, with its ticket.
async fn full_session(link: &Link, me: &HomeMembership) -> Established {
    let mut rng = SystemRandom::new();
    let mut ex = link.open_exchange().await.unwrap();
    let mut out = Vec::new();
    let state = Initiator {
        membership: me,
        peer_node_id: DEVICE_NODE,
        versions: SUPPORTED,
        local_session_id: SessionId(9),
        ticket: None,
    }
    .start(&mut rng, now(), &mut out)
    .unwrap();
    ex.send_frame(FrameKind::SESSION, &out).await.unwrap();
    let sigma2 = frame(&mut ex, FrameKind::SESSION).await;
    out.clear();
    let established = state.handle(me, &sigma2, now(), &mut out).unwrap();
    ex.send_frame(FrameKind::SESSION, &out).await.unwrap();
    let _ = ex.finish();
    assert!(ex.recv_frame().await.unwrap().is_none());
    established
}

/// Resumes with `ticket` up to the device's `sigma2-resume`; returns the resumed session and
/// the handshake's exchange, this side still open.
async fn resume(link: &Link, me: &HomeMembership, ticket: Ticket) -> (Established, Exchange) {
    let mut rng = SystemRandom::new();
    let mut ex = link.open_exchange().await.unwrap();
    let mut out = Vec::new();
    let state = Initiator {
        membership: me,
        peer_node_id: DEVICE_NODE,
        versions: SUPPORTED,
        local_session_id: SessionId(11),
        ticket: Some(ticket),
    }
    .start(&mut rng, now(), &mut out)
    .unwrap();
    assert!(state.offered_resumption());
    ex.send_frame(FrameKind::SESSION, &out).await.unwrap();
    let sigma2_resume = frame(&mut ex, FrameKind::SESSION).await;
    out.clear();
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
    let client = Client::new("127.0.0.1:0".parse().unwrap(), QuicConfig::default()).unwrap();
    let link = client.connect(device.local_addr().unwrap()).await.unwrap();
    let me = commission(&device, &link).await;
    let mut confirming = full_session(&link, &me).await;
    let before = device.session_count();

    // Accepted: the initiator finishes after sigma2-resume, and the session serves a read.
    let (mut accepted, mut ex) = resume(&link, &me, confirming.ticket.take().unwrap()).await;
    let _ = ex.finish();
    assert!(ex.recv_frame().await.unwrap().is_none());
    assert!(eventually(|| device.session_count() == before + 1).await);
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
        eventually(|| device.session_count() == before + 2).await,
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
        eventually(|| device.session_count() == before + 1).await,
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

//! A controller written out from the core's state machines over a raw `orbit_quic` link, for
//! tests that must send what the SDK's controller only sends when something went wrong on its
//! side, or stop between two steps.
#![allow(clippy::expect_used, clippy::panic)]

use orbit_core::attest::{TrustStore, VendorAuthority};
use orbit_core::cert::{HomeAuthority, HomeMembership, NodeRole, Validity};
use orbit_core::codec::CborMessage;
use orbit_core::commission::{
    AttestationVerified, Commissioner, ExpectAttestationResponse, NodeAssignment,
};
use orbit_core::crypto::SystemRandom;
use orbit_core::pairing::{Controller as PaseController, PairingKeys};
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::session::{Established, ExpectSigma2, Initiator, Now, SessionId, Ticket};
use orbit_core::version::SUPPORTED;
use orbit_quic::{Client, Exchange, FrameKind, Link, QuicConfig};
use orbit_sdk::device::Device;
use std::time::{Duration, Instant};

/// The device's node ID in the homes these controllers make.
pub(crate) const DEVICE_NODE: u64 = 0x42;

/// The controller's node ID in the homes these controllers make.
pub(crate) const CONTROLLER_NODE: u64 = 1;

/// Seconds since the Unix epoch.
pub(crate) fn unix() -> u64 {
    orbit_sdk::unix_now()
}

/// The current time, for the session state machines.
pub(crate) fn now() -> Now {
    Now::new(Instant::now(), unix())
}

/// A raw client on 127.0.0.1 and its connection to `device`.
pub(crate) async fn connect(device: &Device) -> (Client, Link) {
    let client = Client::new("127.0.0.1:0".parse().unwrap(), QuicConfig::default()).unwrap();
    let link = client.connect(device.local_addr().unwrap()).await.unwrap();
    (client, link)
}

/// The next frame on `ex`, which must be of `kind`.
pub(crate) async fn frame(ex: &mut Exchange, kind: FrameKind) -> Vec<u8> {
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
pub(crate) async fn sealed(link: &Link, pipe: &mut Protector, plain: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    pipe.seal(plain, &mut out).unwrap();
    let mut ex = link.open_exchange().await.unwrap();
    ex.send_frame(FrameKind::PROTECTED, &out).await.unwrap();
    let _ = ex.finish();
    let answer = tokio::time::timeout(Duration::from_secs(30), ex.recv_frame())
        .await
        .expect("the device ends the exchange")
        .unwrap()?;
    assert_eq!(answer.kind, FrameKind::PROTECTED);
    let mut answer = answer.payload.to_vec();
    Some(pipe.open(&mut answer).unwrap().payload.to_vec())
}

/// Where [`pase`] stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PaseStop {
    /// After the device's pbkdf-param-response.
    PbkdfParams,
    /// After the device's pake2.
    Pake2,
    /// After the device accepted pake3.
    Done,
}

/// PASE with `device`'s passcode on a new exchange, up to `stop`; the keys when it ran to
/// the end.
pub(crate) async fn pase(device: &Device, link: &Link, stop: PaseStop) -> Option<PairingKeys> {
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
    if stop == PaseStop::PbkdfParams {
        return None;
    }
    let (state, pake1) = state.handle(&response, &mut rng, Instant::now()).unwrap();
    ex.send_frame(FrameKind::PAIRING, &pake1.to_bytes())
        .await
        .unwrap();
    let pake2 = frame(&mut ex, FrameKind::PAIRING).await;
    if stop == PaseStop::Pake2 {
        return None;
    }
    let (keys, pake3): (PairingKeys, _) = state.handle(&pake2, Instant::now()).unwrap();
    ex.send_frame(FrameKind::PAIRING, &pake3.to_bytes())
        .await
        .unwrap();
    let _ = ex.finish();
    // A clean end of the exchange is the device's acceptance of pake3 [QUIC-21].
    assert!(ex.recv_frame().await.unwrap().is_none());
    Some(keys)
}

/// PASE run to the end: the keys and the PASE session's message protection.
pub(crate) async fn pase_session(device: &Device, link: &Link) -> (PairingKeys, Protector) {
    let keys = pase(device, link, PaseStop::Done)
        .await
        .expect("PASE runs to the end");
    let pipe = Protector::new(keys.session_keys(), ProtectConfig::default()).unwrap();
    (keys, pipe)
}

/// The commissioner for the PASE session `keys` made, and its attestation-request.
pub(crate) fn start_commissioning(keys: &PairingKeys) -> (ExpectAttestationResponse, Vec<u8>) {
    let mut request = Vec::new();
    let commissioner = Commissioner {
        challenge: keys.attestation_challenge,
        expected_product: None,
    }
    .start(&mut SystemRandom::new(), Instant::now(), &mut request)
    .unwrap();
    (commissioner, request)
}

/// Sends `request` (an attestation-request) in the PASE session and verifies the answer
/// against the development vendor root.
pub(crate) async fn attest(
    link: &Link,
    pipe: &mut Protector,
    commissioner: ExpectAttestationResponse,
    request: &[u8],
) -> AttestationVerified {
    let mut trust = TrustStore::new();
    trust
        .add_root(VendorAuthority::development().root().clone())
        .unwrap();
    let reply = sealed(link, pipe, request).await.expect("an answer");
    commissioner
        .handle(&trust, &reply, Instant::now(), unix(), &mut Vec::new())
        .unwrap()
}

/// Makes a new home with this controller as [`CONTROLLER_NODE`] and installs it on the
/// device as [`DEVICE_NODE`]; returns the home and this controller's membership.
pub(crate) async fn install_home(
    link: &Link,
    pipe: &mut Protector,
    verified: AttestationVerified,
) -> (HomeAuthority, HomeMembership) {
    let mut rng = SystemRandom::new();
    let validity = Validity::starting(unix() - 60, 86_400 * 365);
    let mut home = HomeAuthority::create(&mut rng, unix() - 60, 86_400 * 365).unwrap();
    let me = home
        .issue_member(&mut rng, CONTROLLER_NODE, NodeRole::CONTROLLER, validity)
        .unwrap();
    let mut install = Vec::new();
    let installing = verified
        .install(
            &mut home,
            NodeAssignment {
                node_id: DEVICE_NODE,
                validity,
                admin_node_id: Some(CONTROLLER_NODE),
            },
            Instant::now(),
            unix(),
            &mut install,
        )
        .unwrap();
    let reply = sealed(link, pipe, &install).await.expect("an answer");
    installing
        .handle(&reply, Instant::now(), &mut Vec::new())
        .unwrap();
    (home, me)
}

/// Pairs and commissions the device into a new home; returns this controller's membership.
pub(crate) async fn commission(device: &Device, link: &Link) -> HomeMembership {
    let (keys, mut pipe) = pase_session(device, link).await;
    let (commissioner, request) = start_commissioning(&keys);
    let verified = attest(link, &mut pipe, commissioner, &request).await;
    install_home(link, &mut pipe, verified).await.1
}

/// Sends sigma1 as `me` (offering `ticket`, if any) on a new exchange and reads the device's
/// answer; returns the waiting state, the exchange and the answer.
pub(crate) async fn sigma1(
    link: &Link,
    me: &HomeMembership,
    local_session_id: u32,
    ticket: Option<Ticket>,
) -> (ExpectSigma2, Exchange, Vec<u8>) {
    let mut ex = link.open_exchange().await.unwrap();
    let mut out = Vec::new();
    let state = Initiator {
        membership: me,
        peer_node_id: DEVICE_NODE,
        versions: SUPPORTED,
        local_session_id: SessionId(local_session_id),
        ticket,
    }
    .start(&mut SystemRandom::new(), now(), &mut out)
    .unwrap();
    ex.send_frame(FrameKind::SESSION, &out).await.unwrap();
    let answer = frame(&mut ex, FrameKind::SESSION).await;
    (state, ex, answer)
}

/// Sends sigma3 for `sigma2` on `ex` and ends it; the device ends the exchange once the
/// session is established (and, for a confirming session, the home stored [COMM-27]).
pub(crate) async fn sigma3(
    mut ex: Exchange,
    state: ExpectSigma2,
    me: &HomeMembership,
    sigma2: &[u8],
) -> Established {
    let mut out = Vec::new();
    let established = state.handle(me, sigma2, now(), &mut out).unwrap();
    ex.send_frame(FrameKind::SESSION, &out).await.unwrap();
    let _ = ex.finish();
    assert!(ex.recv_frame().await.unwrap().is_none());
    established
}

/// The device has rolled back: no home, nothing in the fail-safe, the window open.
pub(crate) fn rolled_back(device: &Device) -> bool {
    device.homes().is_empty() && !device.is_commissioning() && device.is_pairing_window_open()
}

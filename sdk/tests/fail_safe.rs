//! The commissioning fail-safe over QUIC on 127.0.0.1 `[COMM-26]`..`[COMM-30]`: a controller
//! that goes away at any step of pairing and commissioning leaves the device either fully
//! commissioned into a home whose controller completed the confirming session, or rolled back
//! with its pairing window open again, also across a restart.
//!
//! The controller here is written out step by step from the core's state machines (the SDK's
//! `Controller::pair` runs all steps at once), so that it can drop its connection after each.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{controller, lamp_with, restart_on};
use orbit_core::attest::{TrustStore, VendorAuthority};
use orbit_core::cert::{HomeAuthority, HomeMembership, NodeRole, Validity};
use orbit_core::codec::CborMessage;
use orbit_core::commission::{Commissioner, NodeAssignment};
use orbit_core::crypto::SystemRandom;
use orbit_core::pairing::{Controller as PaseController, PairingKeys};
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::session::{Initiator, Now, SessionId};
use orbit_core::version::SUPPORTED;
use orbit_quic::{Client, FrameKind, Link, QuicConfig};
use orbit_sdk::device::{Device, DeviceConfig};
use orbit_store::{MemoryStore, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The step after which the controller drops its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Cut {
    /// Connected, nothing sent.
    Connected,
    /// pbkdf-param-request answered.
    PbkdfParams,
    /// pake1 answered with pake2.
    Pake2,
    /// pake3 accepted: the PASE session exists and the fail-safe is armed.
    Pase,
    /// The attestation response received.
    Attestation,
    /// install-home answered with success: the home is provisional.
    Installed,
    /// sigma1 answered with sigma2.
    Sigma2,
    /// The confirming session stands.
    Session,
}

const CUTS: [Cut; 8] = [
    Cut::Connected,
    Cut::PbkdfParams,
    Cut::Pake2,
    Cut::Pase,
    Cut::Attestation,
    Cut::Installed,
    Cut::Sigma2,
    Cut::Session,
];

fn unix() -> u64 {
    orbit_sdk::unix_now()
}

async fn frame(ex: &mut orbit_quic::Exchange, kind: FrameKind) -> Vec<u8> {
    let f = tokio::time::timeout(Duration::from_secs(30), ex.recv_frame())
        .await
        .expect("the device answers")
        .unwrap()
        .expect("a frame, not the end of the exchange");
    assert_eq!(f.kind, kind);
    f.payload.to_vec()
}

/// One sealed commissioning message and the opened answer, on a new exchange.
async fn sealed(link: &Link, pipe: &mut Protector, plain: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    pipe.seal(plain, &mut out).unwrap();
    let mut ex = link.open_exchange().await.unwrap();
    ex.send_frame(FrameKind::PROTECTED, &out).await.unwrap();
    let _ = ex.finish();
    let mut answer = frame(&mut ex, FrameKind::PROTECTED).await;
    pipe.open(&mut answer).unwrap().payload.to_vec()
}

/// Runs pairing, commissioning and the confirming session against `device` up to and
/// including `cut`, then drops the connection. Returns the home's ID if install-home was
/// answered.
async fn pair_until(device: &Device, cut: Cut) -> Option<u64> {
    let client = Client::new("127.0.0.1:0".parse().unwrap(), QuicConfig::default()).unwrap();
    let link = client.connect(device.local_addr().unwrap()).await.unwrap();
    let result = steps(device, &link, cut).await;
    // The controller goes away: its connection closes without any goodbye in the protocol.
    drop(link);
    client.close();
    result
}

async fn steps(device: &Device, link: &Link, cut: Cut) -> Option<u64> {
    if cut == Cut::Connected {
        return None;
    }
    let mut rng = SystemRandom::new();
    let passcode = device.setup_payload().passcode.value();
    // PASE [PAIR-*]
    let mut ex = link.open_exchange().await.unwrap();
    let (state, request) = PaseController {
        passcode,
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
    if cut == Cut::PbkdfParams {
        return None;
    }
    let (state, pake1) = state.handle(&response, &mut rng, Instant::now()).unwrap();
    ex.send_frame(FrameKind::PAIRING, &pake1.to_bytes())
        .await
        .unwrap();
    let pake2 = frame(&mut ex, FrameKind::PAIRING).await;
    if cut == Cut::Pake2 {
        return None;
    }
    let (keys, pake3): (PairingKeys, _) = state.handle(&pake2, Instant::now()).unwrap();
    ex.send_frame(FrameKind::PAIRING, &pake3.to_bytes())
        .await
        .unwrap();
    let _ = ex.finish();
    // A clean end of the exchange is the device's acceptance of pake3 [QUIC-21].
    assert!(ex.recv_frame().await.unwrap().is_none());
    if cut == Cut::Pase {
        return None;
    }
    // Commissioning [COMM-*]
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
    let reply = sealed(link, &mut pipe, &plain).await;
    let verified = commissioner
        .handle(&trust, &reply, Instant::now(), unix(), &mut Vec::new())
        .unwrap();
    if cut == Cut::Attestation {
        return None;
    }
    let validity = Validity::starting(unix() - 60, 86_400 * 365);
    let mut home = HomeAuthority::create(&mut rng, unix() - 60, 86_400 * 365).unwrap();
    let me: HomeMembership = home
        .issue_member(&mut rng, 1, NodeRole::CONTROLLER, validity)
        .unwrap();
    plain.clear();
    let installing = verified
        .install(
            &mut home,
            NodeAssignment {
                node_id: 0x42,
                validity,
                admin_node_id: Some(1),
            },
            Instant::now(),
            unix(),
            &mut plain,
        )
        .unwrap();
    let reply = sealed(link, &mut pipe, &plain).await;
    installing
        .handle(&reply, Instant::now(), &mut Vec::new())
        .unwrap();
    let home_id = home.home_id();
    if cut == Cut::Installed {
        return Some(home_id);
    }
    // The confirming session [COMM-27]
    let now = || Now::new(Instant::now(), unix());
    let mut ex = link.open_exchange().await.unwrap();
    let mut out = Vec::new();
    let state = Initiator {
        membership: &me,
        peer_node_id: 0x42,
        versions: SUPPORTED,
        local_session_id: SessionId(9),
        ticket: None,
    }
    .start(&mut rng, now(), &mut out)
    .unwrap();
    ex.send_frame(FrameKind::SESSION, &out).await.unwrap();
    let sigma2 = frame(&mut ex, FrameKind::SESSION).await;
    if cut == Cut::Sigma2 {
        return Some(home_id);
    }
    out.clear();
    state.handle(&me, &sigma2, now(), &mut out).unwrap();
    ex.send_frame(FrameKind::SESSION, &out).await.unwrap();
    let _ = ex.finish();
    // The device ends the exchange once the home is stored [COMM-27].
    assert!(ex.recv_frame().await.unwrap().is_none());
    Some(home_id)
}

/// Waits (generously: the machine may be loaded) for `f` to hold.
async fn eventually(f: impl Fn() -> bool) -> bool {
    for _ in 0..2000 {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// Pairs a new controller with `device`, waiting out the back-off of an attempt a cut left
/// unfinished after pake2 ([PAIR-25], [PAIR-26]).
async fn pair_again(device: &Device) -> orbit_sdk::controller::Controller {
    let phone = controller().await;
    let code = device.setup_payload().to_qr_string();
    let addr = device.local_addr().unwrap();
    for _ in 0..50 {
        match phone.pair(&code, addr, Some("lamp")).await {
            Ok(_) => return phone,
            Err(e) if e.to_string().contains("busy") => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("pairing again failed: {e}"),
        }
    }
    panic!("the device stayed busy")
}

/// The device has rolled back: no home, nothing in the fail-safe, the window open.
fn rolled_back(device: &Device) -> bool {
    device.homes().is_empty() && !device.is_commissioning() && device.is_pairing_window_open()
}

// [COMM-26] [COMM-27] [COMM-28] [COMM-29] a controller that drops its connection after any
// step leaves the device rolled back with its window open, unless it completed the confirming
// session; after a restart the device is in the same state; and a rolled-back device pairs
// with the next controller.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_gone_at_any_step_never_orphans_the_device() {
    for cut in CUTS {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let device = lamp_with(store.clone(), DeviceConfig::default()).await;
        let home = pair_until(&device, cut).await;
        if cut == Cut::Session {
            let home = home.unwrap();
            assert_eq!(device.homes(), vec![home], "{cut:?}");
            assert!(!device.is_commissioning(), "{cut:?}");
            assert!(!device.is_pairing_window_open(), "{cut:?}");
        } else {
            assert!(
                eventually(|| rolled_back(&device)).await,
                "{cut:?}: homes {:?}, commissioning {}, window open {}",
                device.homes(),
                device.is_commissioning(),
                device.is_pairing_window_open()
            );
        }
        // [COMM-28] what the device stored agrees: a restart changes nothing.
        let addr = device.local_addr().unwrap();
        device.shutdown().await;
        let device = restart_on(store.clone(), addr).await;
        if cut == Cut::Session {
            assert_eq!(device.homes(), vec![home.unwrap()], "{cut:?} after restart");
        } else {
            assert!(device.homes().is_empty(), "{cut:?} after restart");
            assert!(device.is_pairing_window_open(), "{cut:?} after restart");
            // [COMM-29] and it can be paired again.
            let phone = pair_again(&device).await;
            assert_eq!(device.homes(), vec![phone.home_id()], "{cut:?}");
        }
        device.shutdown().await;
    }
}

// [COMM-28] [COMM-29] a rollback before the restart: the window reopens on the running device
// too, and the next controller pairs without anyone touching the device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_reopens_after_a_rollback_without_a_restart() {
    let device = lamp_with(Arc::new(MemoryStore::new()), DeviceConfig::default()).await;
    let home = pair_until(&device, Cut::Installed).await.unwrap();
    assert!(eventually(|| rolled_back(&device)).await);
    assert!(!device.homes().contains(&home));
    let phone = pair_again(&device).await;
    assert_eq!(device.homes(), vec![phone.home_id()]);
    assert!(!device.is_commissioning());
}

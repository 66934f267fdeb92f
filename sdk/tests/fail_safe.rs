//! The commissioning fail-safe over QUIC on 127.0.0.1 `[COMM-26]`..`[COMM-30]`: a controller
//! that goes away at any step of pairing and commissioning leaves the device either fully
//! commissioned into a home whose controller completed the confirming session, or rolled back
//! with its pairing window open again, also across a restart.
//!
//! The controller here is written out step by step from the core's state machines (the SDK's
//! `Controller::pair` runs all steps at once), so that it can drop its connection after each.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::wire::{
    attest, connect, install_home, pase, rolled_back, sigma1, sigma3, start_commissioning, PaseStop,
};
use common::{controller, eventually_within, lamp_with, restart_on};
use orbit_core::pairing::PairingError;
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::status::Status;
use orbit_quic::Link;
use orbit_sdk::controller::Cause;
use orbit_sdk::device::{Device, DeviceConfig};
use orbit_store::{MemoryStore, Store};
use std::sync::Arc;
use std::time::Duration;

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

/// Runs pairing, commissioning and the confirming session against `device` up to and
/// including `cut`, then drops the connection. Returns the home's ID if install-home was
/// answered.
async fn pair_until(device: &Device, cut: Cut) -> Option<u64> {
    let (client, link) = connect(device).await;
    let result = steps(device, &link, cut).await;
    // The controller goes away: its connection closes without any goodbye in the protocol.
    drop(link);
    client.close();
    result
}

async fn steps(device: &Device, link: &Link, cut: Cut) -> Option<u64> {
    // PASE [PAIR-*]; a clean end of its exchange is the device's acceptance of pake3 [QUIC-21].
    let stop = match cut {
        Cut::Connected => return None,
        Cut::PbkdfParams => PaseStop::PbkdfParams,
        Cut::Pake2 => PaseStop::Pake2,
        _ => PaseStop::Done,
    };
    let keys = pase(device, link, stop).await?;
    if cut == Cut::Pase {
        return None;
    }
    // Commissioning [COMM-*]
    let mut pipe = Protector::new(keys.session_keys(), ProtectConfig::default()).unwrap();
    let (commissioner, request) = start_commissioning(&keys);
    let verified = attest(link, &mut pipe, commissioner, &request).await;
    if cut == Cut::Attestation {
        return None;
    }
    let (home, me) = install_home(link, &mut pipe, verified).await;
    let home_id = home.home_id();
    if cut == Cut::Installed {
        return Some(home_id);
    }
    // The confirming session [COMM-27]
    let (state, ex, sigma2) = sigma1(link, &me, 9, None).await;
    if cut == Cut::Sigma2 {
        return Some(home_id);
    }
    // The device ends the exchange once the home is stored [COMM-27].
    sigma3(ex, state, &me, &sigma2).await;
    Some(home_id)
}

/// Pairs a new controller with `device`, waiting out the back-off of an attempt a cut left
/// unfinished ([PAIR-25], [PAIR-26], [PAIR-33]).
async fn pair_again(device: &Device) -> orbit_sdk::controller::Controller {
    let phone = controller().await;
    let code = device.setup_payload().to_qr_string();
    let addr = device.local_addr().unwrap();
    // A cut after pbkdf-param-response leaves an abandoned attempt: the device may still be
    // busy with it, or backing off after counting it [PAIR-33]; either refusal says how long
    // to wait [PAIR-35], and the controller waits as told.
    for _ in 0..10 {
        match phone.pair(&code, addr, Some("lamp")).await {
            Ok(_) => return phone,
            Err(e) => match e.cause {
                Cause::Pairing(PairingError::PeerRefused {
                    status: Status::BUSY | Status::PAIRING_BACKOFF,
                    retry_after,
                }) => {
                    assert!(retry_after <= Duration::from_secs(20), "{retry_after:?}");
                    tokio::time::sleep(retry_after.max(Duration::from_millis(200))).await;
                }
                other => panic!("pairing again failed: {other:?}"),
            },
        }
    }
    panic!("the device kept refusing")
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
                eventually_within(Duration::from_secs(20), || rolled_back(&device)).await,
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
    assert!(eventually_within(Duration::from_secs(20), || rolled_back(&device)).await);
    assert!(!device.homes().contains(&home));
    let phone = pair_again(&device).await;
    assert_eq!(device.homes(), vec![phone.home_id()]);
    assert!(!device.is_commissioning());
}

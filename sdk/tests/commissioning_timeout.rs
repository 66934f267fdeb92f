//! A controller that goes silent during commissioning, over QUIC on 127.0.0.1, with its
//! connection kept open: when the device's commissioning deadline passes `[COMM-16]` it sends
//! `commissioning-complete(timeout)` sealed in the PASE session on a stream of its own
//! `[QUIC-24]` `[QUIC-7]`, ends the PASE session, and in the same step rolls back and reopens
//! its pairing window, because its commissioning deadline and its fail-safe are one clock
//! `[COMM-35]` `[COMM-28]` `[COMM-29]` `[LIMIT-15]`.
//!
//! The deadline is shortened through [`DeviceConfig::commissioning_timeout`] so that the test
//! takes seconds rather than minutes; the default stays the spec's 60 s.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{controller, lamp_with};
use orbit_core::attest::{TrustStore, VendorAuthority};
use orbit_core::cert::{HomeAuthority, NodeRole, Validity};
use orbit_core::codec::CborMessage;
use orbit_core::commission::{Commissioner, CommissioningComplete, NodeAssignment};
use orbit_core::commission::{COMMISSIONING_TIMEOUT, FAIL_SAFE_TIMEOUT};
use orbit_core::crypto::SystemRandom;
use orbit_core::pairing::{Controller as PaseController, PairingKeys};
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::status::Status;
use orbit_core::version::SUPPORTED;
use orbit_quic::{Client, FrameKind, Link, QuicConfig};
use orbit_sdk::device::{Device, DeviceConfig};
use orbit_store::MemoryStore;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The device's commissioning deadline in these tests: long enough for a loaded machine to
/// run one commissioning step, short enough for a test.
const DEADLINE: Duration = Duration::from_secs(5);

/// Where the controller falls silent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SilentAfter {
    /// After PASE key confirmation: the device waits for `attestation-request`.
    Pase,
    /// After the attestation response: the device waits for `install-home`.
    Attestation,
    /// After `success`: only the fail-safe waits, for the confirming session.
    Success,
}

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

/// One sealed commissioning message on a new exchange; the opened answer, or `None` when the
/// device ends the exchange without one.
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
    assert_eq!(answer.kind, FrameKind::PROTECTED);
    let mut answer = answer.payload.to_vec();
    Some(pipe.open(&mut answer).unwrap().payload.to_vec())
}

/// PASE, then commissioning up to `silent`; returns the PASE session's protector and the
/// attestation request that opened commissioning, to send again later.
async fn pair_until(device: &Device, link: &Link, silent: SilentAfter) -> (Protector, Vec<u8>) {
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
    // A clean end of the exchange is the device's acceptance of pake3 [QUIC-21].
    assert!(ex.recv_frame().await.unwrap().is_none());
    let mut pipe = Protector::new(keys.session_keys(), ProtectConfig::default()).unwrap();
    let mut request = Vec::new();
    let commissioner = Commissioner {
        challenge: keys.attestation_challenge,
        expected_product: None,
    }
    .start(&mut rng, Instant::now(), &mut request)
    .unwrap();
    if silent == SilentAfter::Pase {
        return (pipe, request);
    }
    let mut trust = TrustStore::new();
    trust
        .add_root(VendorAuthority::development().root().clone())
        .unwrap();
    let reply = sealed(link, &mut pipe, &request).await.expect("an answer");
    let verified = commissioner
        .handle(&trust, &reply, Instant::now(), unix(), &mut Vec::new())
        .unwrap();
    if silent == SilentAfter::Attestation {
        return (pipe, request);
    }
    let validity = Validity::starting(unix() - 60, 86_400 * 365);
    let mut home = HomeAuthority::create(&mut rng, unix() - 60, 86_400 * 365).unwrap();
    home.issue_member(&mut rng, 1, NodeRole::CONTROLLER, validity)
        .unwrap();
    let mut install = Vec::new();
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
            &mut install,
        )
        .unwrap();
    let reply = sealed(link, &mut pipe, &install).await.expect("an answer");
    installing
        .handle(&reply, Instant::now(), &mut Vec::new())
        .unwrap();
    assert_eq!(
        device.homes(),
        vec![home.home_id()],
        "installed provisionally"
    );
    (pipe, request)
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

/// The device has rolled back: no home, nothing in the fail-safe, the window open.
fn rolled_back(device: &Device) -> bool {
    device.homes().is_empty() && !device.is_commissioning() && device.is_pairing_window_open()
}

/// A lamp whose commissioning deadline is [`DEADLINE`].
async fn lamp() -> Device {
    lamp_with(
        Arc::new(MemoryStore::new()),
        DeviceConfig {
            commissioning_timeout: DEADLINE,
            ..DeviceConfig::default()
        },
    )
    .await
}

/// Falls silent at `silent` on a connection it keeps open, and checks what the device does
/// when its deadline passes.
async fn silent_controller(silent: SilentAfter) {
    let device = lamp().await;
    let client = Client::new("127.0.0.1:0".parse().unwrap(), QuicConfig::default()).unwrap();
    let link = client.connect(device.local_addr().unwrap()).await.unwrap();
    let (mut pipe, request) = pair_until(&device, &link, silent).await;
    assert!(device.is_commissioning(), "{silent:?}: in the fail-safe");
    if silent == SilentAfter::Success {
        // [PAIR-29] success closed the window; only the fail-safe runs now.
        assert!(!device.is_pairing_window_open());
    }

    if silent != SilentAfter::Success {
        // [QUIC-24] [QUIC-7] the report comes on a device-initiated stream, sealed in the PASE
        // session, and says `timeout` [COMM-16].
        let report = tokio::time::timeout(Duration::from_secs(60), link.accept_unsolicited())
            .await
            .expect("the device reports the timeout")
            .unwrap()
            .expect("a device-initiated message, not the connection's end");
        assert_eq!(report.kind, FrameKind::PROTECTED, "{silent:?}");
        let mut sealed_report = report.payload.to_vec();
        let plain = pipe.open(&mut sealed_report).unwrap().payload.to_vec();
        let complete = CommissioningComplete::decode(&plain).unwrap();
        assert_eq!(complete.status, Status::TIMEOUT, "{silent:?}");
    }

    // [COMM-35] [COMM-28] [COMM-29] the rollback and the reopened window come with it, while
    // the connection that carried the PASE session is still open (so the rollback is the
    // deadline's doing, not the connection's [COMM-28]).
    assert!(
        eventually(|| rolled_back(&device)).await,
        "{silent:?}: homes {:?}, commissioning {}, window open {}",
        device.homes(),
        device.is_commissioning(),
        device.is_pairing_window_open()
    );
    assert!(
        link.close_reason().is_none(),
        "{silent:?}: the connection is open"
    );

    if silent != SilentAfter::Success {
        // [QUIC-24] the PASE session is over: a commissioning message sealed in it, which
        // the waiting state would have answered, is dropped, its exchange ended without an
        // answer [MSG-21].
        assert_eq!(
            sealed(&link, &mut pipe, &request).await,
            None,
            "{silent:?}: the PASE session ended"
        );
    }

    // [COMM-29] the reopened window admits the next controller at once, while the silent one
    // is still connected.
    let phone = controller().await;
    phone
        .pair(
            &device.setup_payload().to_qr_string(),
            device.local_addr().unwrap(),
            Some("lamp"),
        )
        .await
        .unwrap();
    assert_eq!(device.homes(), vec![phone.home_id()], "{silent:?}");
    drop(link);
    client.close();
    device.shutdown().await;
}

// [COMM-16] [QUIC-24] [COMM-35] [COMM-28] [COMM-29] the controller falls silent before
// attestation-request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_silent_after_pase_gets_a_timeout_report_and_the_device_rolls_back() {
    silent_controller(SilentAfter::Pase).await;
}

// [COMM-16] [QUIC-24] [COMM-35] [COMM-28] [COMM-29] the controller falls silent before
// install-home.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_silent_after_attestation_gets_a_timeout_report_and_the_device_rolls_back() {
    silent_controller(SilentAfter::Attestation).await;
}

// [LIMIT-15] [COMM-35] [COMM-28] [COMM-29] after success only the fail-safe runs: nobody
// opens the confirming session, the provisional home goes and the window reopens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_silent_after_success_leaves_the_device_rolled_back() {
    silent_controller(SilentAfter::Success).await;
}

// [COMM-35] the default bound is the spec's 60 s for both clocks, and a longer configured
// bound is cut to it [COMM-16] [LIMIT-15].
#[test]
fn the_default_bound_is_the_spec_value_for_both_clocks() {
    assert_eq!(
        DeviceConfig::default().commissioning_timeout,
        Duration::from_secs(60)
    );
    assert_eq!(COMMISSIONING_TIMEOUT, FAIL_SAFE_TIMEOUT);
    let long = orbit_core::commission::FailSafe::with_timeout(Duration::from_secs(600));
    assert_eq!(long.timeout(), FAIL_SAFE_TIMEOUT);
}

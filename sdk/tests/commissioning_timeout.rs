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

use common::wire::{
    attest, connect, install_home, pase_session, rolled_back, sealed, start_commissioning,
};
use common::{controller, eventually_within, lamp_with, pair_lamp};
use orbit_core::codec::CborMessage;
use orbit_core::commission::CommissioningComplete;
use orbit_core::commission::{COMMISSIONING_TIMEOUT, FAIL_SAFE_TIMEOUT};
use orbit_core::protect::Protector;
use orbit_core::status::Status;
use orbit_quic::{FrameKind, Link};
use orbit_sdk::device::{Device, DeviceConfig};
use orbit_store::MemoryStore;
use std::sync::Arc;
use std::time::Duration;

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

/// PASE, then commissioning up to `silent`; returns the PASE session's protector and the
/// attestation request that opened commissioning, to send again later.
async fn pair_until(device: &Device, link: &Link, silent: SilentAfter) -> (Protector, Vec<u8>) {
    // PASE; a clean end of its exchange is the device's acceptance of pake3 [QUIC-21].
    let (keys, mut pipe) = pase_session(device, link).await;
    let (commissioner, request) = start_commissioning(&keys);
    if silent == SilentAfter::Pase {
        return (pipe, request);
    }
    let verified = attest(link, &mut pipe, commissioner, &request).await;
    if silent == SilentAfter::Attestation {
        return (pipe, request);
    }
    let (home, _) = install_home(link, &mut pipe, verified).await;
    assert_eq!(
        device.homes(),
        vec![home.home_id()],
        "installed provisionally"
    );
    (pipe, request)
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
    let (client, link) = connect(&device).await;
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
        eventually_within(Duration::from_secs(30), || rolled_back(&device)).await,
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
    pair_lamp(&phone, &device).await;
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

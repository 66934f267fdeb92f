//! A controller whose key confirmation fails (a wrong passcode) tells the device with
//! `pairing-status` and waits until the device has it before it lets the connection go, so the
//! device learns why the handshake ended every time, not only when the status happens to
//! outrun the connection's close `[PAIR-30]` `[QUIC-22]` `[QUIC-6]`.
//!
//! What shows that the device read the status: its pairing exchange ends with the peer's
//! status (`PairingError::PeerStatus`), which it logs; a status lost with the connection
//! would end it with a transport error instead. The log is collected with a tracing
//! subscriber for this process (this file holds one test, so nothing else logs into it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{controller, lamp, wrong_code};
use orbit_core::pairing::PairingError;
use orbit_core::status::Status;
use orbit_sdk::device::DeviceError;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// How many wrong-passcode pairings in a row.
const ATTEMPTS: usize = 50;

/// The errors the device's exchanges ended with, as it logs them.
#[derive(Clone, Default)]
struct ExchangeErrors {
    errors: Arc<Mutex<Vec<String>>>,
}

#[derive(Default)]
struct Fields {
    message: String,
    error: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "error" => self.error = format!("{value:?}"),
            _ => {}
        }
    }
}

impl Subscriber for ExchangeErrors {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("orbit_sdk::device")
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut f = Fields::default();
        event.record(&mut f);
        if f.message == "exchange ended with an error" {
            self.errors.lock().unwrap().push(f.error);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

impl ExchangeErrors {
    fn count(&self) -> usize {
        self.errors.lock().unwrap().len()
    }

    fn all(&self) -> Vec<String> {
        self.errors.lock().unwrap().clone()
    }
}

// [PAIR-30] [QUIC-22] [QUIC-6] fifty wrong-passcode pairings in a row: each time the device's
// pairing exchange ends with the controller's pairing-status, and each counts as a failed
// attempt [PAIR-25].
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_receives_every_pairing_status_after_a_wrong_passcode() {
    let log = ExchangeErrors::default();
    tracing::subscriber::set_global_default(log.clone()).unwrap();
    let device = lamp().await;
    let phone = controller().await;
    let code = wrong_code(&device);
    let addr = device.local_addr().unwrap();
    // What the device logs when it read the controller's status in place of pake3.
    let read_the_status =
        DeviceError::from(PairingError::PeerStatus(Status::PAKE_CONFIRMATION_FAILED)).to_string();
    for attempt in 0..ATTEMPTS {
        // A deliberate opening resets the count and its back-off [PAIR-31], so every attempt
        // reaches key confirmation.
        device
            .open_pairing_window(Duration::from_secs(900))
            .unwrap();
        assert_eq!(device.failed_pairing_attempts(), 0);
        let err = phone.pair(&code, addr, Some("lamp")).await.unwrap_err();
        assert!(
            err.to_string().contains("key confirmation failed"),
            "attempt {attempt}: {err}"
        );
        // The device's exchange has ended (one way or another) once it logged it.
        for _ in 0..3000 {
            if log.count() > attempt {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            log.count(),
            attempt + 1,
            "attempt {attempt}: {:?}",
            log.all()
        );
        assert_eq!(device.failed_pairing_attempts(), 1, "attempt {attempt}");
    }
    let errors = log.all();
    let lost: Vec<_> = errors.iter().filter(|e| **e != read_the_status).collect();
    assert!(
        lost.is_empty(),
        "{} of {ATTEMPTS} statuses did not reach the device: {lost:?}",
        lost.len()
    );
    assert!(device.homes().is_empty());
    device.shutdown().await;
}

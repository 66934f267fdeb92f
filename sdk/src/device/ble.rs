//! The device's Bluetooth LE side: it serves Orbit links over BLE beside QUIC, with the same
//! sessions, subscriptions and limits ([BLE-30]), and says what to advertise ([BLE-20],
//! [BLE-21], [BLE-22]). The radio comes from the platform: a BlueZ peripheral
//! (`orbit_ble::bluer`), a microcontroller's stack, or the simulated link in tests.

use super::runner::{serve_connection, Shared};
use crate::link::{enforce_ble_deadline, BleLink, Link, NO_SESSION_DEADLINE};
use orbit_ble::advert::{Advert, CommissionableAdvert, OperationalAdvert};
use orbit_ble::engine::FramingConfig;
use orbit_ble::radio::{Radio, RadioEvent};
use orbit_core::crypto::{Random, SystemRandom};
use orbit_core::setup::SetupPayload;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The longest a device keeps one operational nonce ([BLE-22]).
pub const NONCE_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// The current nonce, when it was drawn, and which home the operational advert names.
struct Rotation {
    nonce: [u8; 3],
    drawn: Instant,
    home_index: usize,
}

/// A device's BLE peripheral role. Cheap to clone; clones share the rotation.
#[derive(Clone)]
pub struct BlePeripheral {
    shared: Arc<Shared>,
    setup: SetupPayload,
    framing: FramingConfig,
    rotation: Arc<Mutex<Rotation>>,
}

impl std::fmt::Debug for BlePeripheral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlePeripheral").finish_non_exhaustive()
    }
}

fn fresh_nonce() -> [u8; 3] {
    let mut nonce = [0u8; 3];
    // [BLE-22] from the CSPRNG; a failing generator leaves zeros, which only costs privacy
    // until the next draw (the advert stays correct for the home).
    if SystemRandom::new().fill(&mut nonce).is_err() {
        tracing::warn!("random generator failed; operational BLE nonce not renewed");
    }
    nonce
}

impl BlePeripheral {
    pub(crate) fn new(shared: Arc<Shared>, setup: SetupPayload, framing: FramingConfig) -> Self {
        BlePeripheral {
            shared,
            setup,
            framing,
            rotation: Arc::new(Mutex::new(Rotation {
                nonce: fresh_nonce(),
                drawn: Instant::now(),
                home_index: 0,
            })),
        }
    }

    /// Serves one central that connected and subscribed ([BLE-3]): runs the framing
    /// handshake and answers its exchanges like a QUIC connection's, in the background, until
    /// the link ends; a link on which no session is used within [`NO_SESSION_DEADLINE`] is
    /// closed ([BLE-37]).
    pub fn serve(&self, radio: Arc<dyn Radio>, events: mpsc::Receiver<RadioEvent>) {
        let link = BleLink::new(orbit_ble::link::Link::peripheral(
            radio,
            events,
            self.framing,
        ));
        tokio::spawn(enforce_ble_deadline(
            link.link.clone(),
            link.guard.clone(),
            NO_SESSION_DEADLINE,
        ));
        tokio::spawn(serve_connection(self.shared.clone(), Link::Ble(link)));
    }

    /// Draws a new operational nonce and moves to the next home: call it whenever the stack
    /// changes the device's random address, so that a nonce is never seen with two
    /// addresses ([BLE-22]).
    pub fn rotate(&self) {
        let mut r = self.rotation.lock().unwrap_or_else(|p| p.into_inner());
        r.nonce = fresh_nonce();
        r.drawn = Instant::now();
        r.home_index = r.home_index.wrapping_add(1);
    }

    /// What to advertise now: the commissionable form while the device belongs to no home
    /// (its flag says whether the window is open) or while its window is open, and otherwise
    /// the operational form of one of its homes ([BLE-20], [BLE-21]). The nonce is renewed
    /// when it is older than [`NONCE_LIFETIME`] ([BLE-22]). `None` only if the setup
    /// payload's discriminator were out of range, which its constructor rules out.
    pub fn advert(&self) -> Option<Advert> {
        let window_open = self.shared.is_window_open();
        let homes = self.shared.operational_identities();
        if !homes.is_empty() && !window_open {
            let mut r = self.rotation.lock().unwrap_or_else(|p| p.into_inner());
            if r.drawn.elapsed() >= NONCE_LIFETIME {
                r.nonce = fresh_nonce();
                r.drawn = Instant::now();
                r.home_index = r.home_index.wrapping_add(1);
            }
            if let Some((root, home, node)) = homes.get(r.home_index % homes.len()) {
                return Some(Advert::Operational(OperationalAdvert::new(
                    root, *home, *node, r.nonce,
                )));
            }
        }
        CommissionableAdvert::new(
            self.setup.discriminator.value(),
            window_open,
            self.setup.vendor_id.0,
            self.setup.product_id.0,
        )
        .ok()
        .map(Advert::Commissionable)
    }
}

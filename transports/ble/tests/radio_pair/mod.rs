//! Two channel-backed radios joined back to back (a Bluetooth connection in a test), and a
//! raw peer that drives an engine by hand to send what a well-behaved link never would.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use orbit_ble::engine::{Engine, FramingConfig, LinkState};
use orbit_ble::radio::{Radio, RadioError, RadioEvent};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// One end of the connection. Values written reach the peer in order; while the gate is
/// shut they wait (a congested radio), and a disconnect reaches both ends.
pub struct ChannelRadio {
    mtu: u16,
    peer: mpsc::Sender<RadioEvent>,
    own: mpsc::Sender<RadioEvent>,
    connected: Arc<AtomicBool>,
    /// `Some(waiting)` while the gate is shut.
    gate: Mutex<Option<VecDeque<Vec<u8>>>>,
    /// Every value written, for inspection.
    pub written: Mutex<Vec<Vec<u8>>>,
}

impl ChannelRadio {
    /// Shuts the gate: later writes wait until `open_gate`.
    pub fn shut_gate(&self) {
        let mut gate = self.gate.lock().unwrap();
        if gate.is_none() {
            *gate = Some(VecDeque::new());
        }
    }

    /// Opens the gate and delivers what waited, in order.
    pub fn open_gate(&self) {
        let waiting = self.gate.lock().unwrap().take().unwrap_or_default();
        for value in waiting {
            let _ = self.peer.try_send(RadioEvent::Received(value));
        }
    }
}

impl Radio for ChannelRadio {
    fn write(&self, value: &[u8]) -> Result<(), RadioError> {
        if !self.connected.load(Ordering::SeqCst) {
            return Err(RadioError::Disconnected);
        }
        assert!(
            value.len() <= usize::from(self.mtu - 3),
            "a value longer than the ATT MTU allows"
        );
        self.written.lock().unwrap().push(value.to_vec());
        if let Some(waiting) = self.gate.lock().unwrap().as_mut() {
            waiting.push_back(value.to_vec());
            return Ok(());
        }
        self.peer
            .try_send(RadioEvent::Received(value.to_vec()))
            .map_err(|_| RadioError::Stack("the test radio's queue is full".into()))
    }

    fn att_mtu(&self) -> u16 {
        self.mtu
    }

    fn disconnect(&self) {
        if self.connected.swap(false, Ordering::SeqCst) {
            let _ = self.own.try_send(RadioEvent::Disconnected);
            let _ = self.peer.try_send(RadioEvent::Disconnected);
        }
    }
}

/// One end: its radio and the events the link reads.
pub struct End {
    pub radio: Arc<ChannelRadio>,
    pub events: mpsc::Receiver<RadioEvent>,
}

/// A connection: (central's end, peripheral's end).
pub fn connect(mtu: u16) -> (End, End) {
    let (c_tx, c_rx) = mpsc::channel(4096);
    let (p_tx, p_rx) = mpsc::channel(4096);
    let connected = Arc::new(AtomicBool::new(true));
    let radio = |peer, own| {
        Arc::new(ChannelRadio {
            mtu,
            peer,
            own,
            connected: connected.clone(),
            gate: Mutex::new(None),
            written: Mutex::new(Vec::new()),
        })
    };
    let central = End {
        radio: radio(p_tx.clone(), c_tx.clone()),
        events: c_rx,
    };
    let peripheral = End {
        radio: radio(c_tx, p_tx),
        events: p_rx,
    };
    (central, peripheral)
}

/// A peer driven by hand: an engine, its radio, and a loop that moves values.
pub struct RawPeer {
    pub engine: Engine,
    pub end: End,
    epoch: Instant,
}

impl RawPeer {
    /// A raw central: its handshake request goes out; `open` completes it.
    pub fn central(end: End) -> Self {
        let mut raw = Self {
            engine: Engine::central(FramingConfig::default(), Duration::ZERO),
            end,
            epoch: Instant::now(),
        };
        raw.flush();
        raw
    }

    /// A raw peripheral, waiting for the request.
    pub fn peripheral(end: End) -> Self {
        Self {
            engine: Engine::peripheral(FramingConfig::default(), Duration::ZERO),
            end,
            epoch: Instant::now(),
        }
    }

    fn now(&self) -> Duration {
        Instant::now() - self.epoch
    }

    pub fn flush(&mut self) {
        let now = self.now();
        while let Some(value) = self.engine.poll_transmit(now) {
            let _ = self.end.radio.write(&value);
        }
    }

    /// Moves values until `done` holds of the engine (or the link ends: then it panics).
    async fn pump_until(&mut self, mut done: impl FnMut(&mut Engine) -> bool) {
        loop {
            self.flush();
            if done(&mut self.engine) {
                return;
            }
            let deadline = self.engine.poll_timeout().map(|d| self.epoch + d);
            tokio::select! {
                event = self.end.events.recv() => match event {
                    Some(RadioEvent::Received(value)) => {
                        let now = self.now();
                        self.engine.handle_value(now, &value).unwrap();
                    }
                    other => panic!("the raw peer's connection ended: {other:?}"),
                },
                () = async {
                    match deadline {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                } => {
                    let now = self.now();
                    self.engine.handle_timeout(now).unwrap();
                }
            }
        }
    }

    /// Completes the handshake.
    pub async fn open(&mut self) {
        self.pump_until(|e| e.state() == LinkState::Open).await;
    }

    /// Sends one SDU.
    pub fn send(&mut self, sdu: Vec<u8>) {
        self.engine.send(sdu).unwrap();
        self.flush();
    }

    /// The next whole SDU from the link under test.
    pub async fn recv(&mut self) -> Vec<u8> {
        let mut got = None;
        self.pump_until(|e| {
            got = e.poll_received();
            got.is_some()
        })
        .await;
        got.unwrap()
    }

    /// Moves values until everything sent was acknowledged.
    pub async fn drain(&mut self) {
        self.pump_until(|e| e.is_idle()).await;
    }
}

/// An SDU ([BLE-15]): exchange ‖ flags ‖ kind ‖ payload.
pub fn sdu(exchange: u16, flags: u8, kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut sdu = exchange.to_be_bytes().to_vec();
    sdu.push(flags);
    sdu.push(kind);
    sdu.extend_from_slice(payload);
    sdu
}

/// A recognisable payload of `len` bytes.
pub fn payload(tag: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(13) ^ tag).collect()
}

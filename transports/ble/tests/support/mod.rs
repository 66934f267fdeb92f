//! A pair of engines wired back to back through two in-order queues (BLE delivers ATT values
//! in order, [BLE-2]), on a virtual clock, with checks of what each side sends.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::VecDeque;
use std::time::Duration;

use orbit_ble::engine::{Engine, FramingConfig, LinkState};
use orbit_ble::frame::Frame;
use orbit_ble::FramingError;

/// One direction: the sender's engine and what it wrote, not yet delivered.
pub struct Side {
    pub engine: Engine,
    /// Values written by this side, waiting for delivery to the other side.
    pub in_flight: VecDeque<Vec<u8>>,
    /// SDUs this side received, in order.
    pub received: Vec<Vec<u8>>,
    /// The last ack this side has received (what it can know of the peer's acks, [BLE-6]).
    pub ack_seen: u8,
    /// The most unacknowledged frames this side ever had out, by that knowledge.
    pub max_outstanding: usize,
}

pub struct Pair {
    pub now: Duration,
    pub central: Side,
    pub peripheral: Side,
    central_window: u8,
    peripheral_window: u8,
}

/// Which side of the pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Central,
    Peripheral,
}

impl Side {
    fn new(engine: Engine) -> Self {
        Self {
            engine,
            in_flight: VecDeque::new(),
            received: Vec::new(),
            ack_seen: u8::MAX,
            max_outstanding: 0,
        }
    }
}

impl Pair {
    /// A central and a peripheral, not yet handshaken.
    pub fn new(central: FramingConfig, peripheral: FramingConfig) -> Self {
        let now = Duration::ZERO;
        Self {
            now,
            central_window: central.window,
            peripheral_window: peripheral.window,
            central: Side::new(Engine::central(central, now)),
            peripheral: Side::new(Engine::peripheral(peripheral, now)),
        }
    }

    /// A pair after the handshake ([BLE-12]).
    pub fn open(central: FramingConfig, peripheral: FramingConfig) -> Self {
        let mut pair = Self::new(central, peripheral);
        pair.settle();
        assert_eq!(pair.central.engine.state(), LinkState::Open);
        assert_eq!(pair.peripheral.engine.state(), LinkState::Open);
        pair
    }

    pub fn side(&mut self, who: Who) -> &mut Side {
        match who {
            Who::Central => &mut self.central,
            Who::Peripheral => &mut self.peripheral,
        }
    }

    /// Lets `who` write up to `max` values; returns how many it wrote. Checks the window
    /// ([BLE-7]): no data frame goes out with more unacknowledged frames than the peer's window.
    pub fn transmit(&mut self, who: Who, max: usize) -> usize {
        let now = self.now;
        let peer_window = match who {
            Who::Central => self.peripheral_window,
            Who::Peripheral => self.central_window,
        };
        let side = self.side(who);
        let mut written = 0;
        while written < max {
            let Some(value) = side.engine.poll_transmit(now) else {
                break;
            };
            if let Ok(Frame::Data(data)) = Frame::decode(&value) {
                let outstanding = usize::from(data.seq.wrapping_sub(side.ack_seen));
                assert!(
                    outstanding <= usize::from(peer_window),
                    "{who:?} sent frame {} with {outstanding} unacknowledged, window {peer_window} [BLE-7]",
                    data.seq
                );
                side.max_outstanding = side.max_outstanding.max(outstanding);
            }
            side.in_flight.push_back(value);
            written += 1;
        }
        written
    }

    /// Delivers up to `max` of `from`'s values to the other side; every one must be accepted.
    pub fn deliver(&mut self, from: Who, max: usize) -> usize {
        let mut delivered = 0;
        while delivered < max {
            let Some(value) = self.side(from).in_flight.pop_front() else {
                break;
            };
            let to = match from {
                Who::Central => Who::Peripheral,
                Who::Peripheral => Who::Central,
            };
            self.handle(to, &value).unwrap_or_else(|e| {
                panic!("{to:?} refused {value:02x?}: {e}");
            });
            delivered += 1;
        }
        delivered
    }

    /// Hands one value to `to`, noting the ack it carries and collecting whole SDUs.
    pub fn handle(&mut self, to: Who, value: &[u8]) -> Result<(), FramingError> {
        let now = self.now;
        let side = self.side(to);
        match Frame::decode(value) {
            Ok(Frame::AckOnly { ack }) => side.ack_seen = ack,
            Ok(Frame::Data(data)) => {
                if let Some(ack) = data.ack {
                    side.ack_seen = ack;
                }
            }
            _ => {}
        }
        let result = side.engine.handle_value(now, value);
        while let Some(sdu) = side.engine.poll_received() {
            side.received.push(sdu);
        }
        result
    }

    /// Moves the clock and runs both sides' timers; neither may fail.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
        let now = self.now;
        self.central.engine.handle_timeout(now).unwrap();
        self.peripheral.engine.handle_timeout(now).unwrap();
    }

    /// Exchanges everything both sides have to write until neither writes anything, without
    /// moving the clock. Returns the number of values moved.
    pub fn settle(&mut self) -> usize {
        let mut total = 0;
        loop {
            let moved = self.transmit(Who::Central, usize::MAX)
                + self.deliver(Who::Central, usize::MAX)
                + self.transmit(Who::Peripheral, usize::MAX)
                + self.deliver(Who::Peripheral, usize::MAX);
            if moved == 0 {
                return total;
            }
            total += moved;
        }
    }

    /// Runs until quiet, moving the clock to each next deadline the engines ask for, at most
    /// `max_rounds` times (a livelock fails the test).
    pub fn run(&mut self, max_rounds: usize) {
        for _ in 0..max_rounds {
            self.settle();
            let next = [
                self.central.engine.poll_timeout(),
                self.peripheral.engine.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            let both_idle = self.central.engine.is_idle() && self.peripheral.engine.is_idle();
            match next {
                Some(at) if !both_idle => self.advance(at.saturating_sub(self.now)),
                _ => return,
            }
        }
        panic!("the pair did not go quiet within {max_rounds} rounds");
    }
}

/// A recognisable SDU: `len` bytes derived from its owner and index, so a swapped, duplicated
/// or truncated SDU cannot pass for the right one.
pub fn sdu(owner: u8, index: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u8).wrapping_mul(31) ^ owner ^ (index as u8).wrapping_mul(7) ^ (i >> 8) as u8
        })
        .collect()
}

/// A config with this ATT MTU and window.
pub fn config(att_mtu: u16, window: u8) -> FramingConfig {
    FramingConfig {
        att_mtu,
        window,
        ..FramingConfig::default()
    }
}

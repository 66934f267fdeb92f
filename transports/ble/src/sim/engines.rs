//! Two framing engines joined by a [`SimLink`] in virtual time: the deterministic harness for
//! framing tests and the goodput benchmark.

use std::fmt;
use std::time::Duration;

use super::link::{Side, SimLink};
use super::params::{SimError, SimParams};
use crate::engine::{Engine, FramingConfig, LinkState};
use crate::error::FramingError;
use crate::radio::{RadioError, RadioEvent};

/// What stopped a pair.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PairError {
    /// A side's engine failed the link ([BLE-9]).
    Framing {
        /// The side whose engine failed.
        side: Side,
        /// Why.
        error: FramingError,
    },
    /// The link refused a side's value (longer than the MTU less 3: an engine bug).
    Refused {
        /// The side that wrote it.
        side: Side,
        /// The stack's words.
        why: String,
    },
    /// The simulated connection dropped.
    Disconnected,
    /// The run could not be set up, or its outcome was wrong (e.g. SDUs arrived changed).
    Setup(String),
    /// The virtual-time limit passed before the run was done.
    TimedOut {
        /// The virtual time reached.
        at: Duration,
    },
}

impl fmt::Display for PairError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Framing { side, error } => write!(f, "the {side:?} failed the link: {error}"),
            Self::Refused { side, why } => {
                write!(f, "the link refused the {side:?}'s value: {why}")
            }
            Self::Disconnected => f.write_str("the simulated connection dropped"),
            Self::Setup(why) => write!(f, "the simulated run failed: {why}"),
            Self::TimedOut { at } => write!(f, "not done by {at:?} of virtual time"),
        }
    }
}

impl std::error::Error for PairError {}

/// A central and a peripheral [`Engine`] over one [`SimLink`], on a virtual clock.
///
/// Each [`step`](Self::step) hands each engine's values to the link, advances the clock to the
/// next connection event or engine deadline, delivers what arrived and fires due timers. SDUs
/// each side received stay in its engine ([`Engine::poll_received`]).
pub struct EnginePair {
    link: SimLink,
    central: Engine,
    peripheral: Engine,
    now: Duration,
}

impl EnginePair {
    /// A pair at virtual time 0, before the handshake (the central's request is queued).
    pub fn new(
        params: SimParams,
        seed: u64,
        central: FramingConfig,
        peripheral: FramingConfig,
    ) -> Result<Self, SimError> {
        Ok(Self {
            link: SimLink::new(params, seed)?,
            central: Engine::central(central, Duration::ZERO),
            peripheral: Engine::peripheral(peripheral, Duration::ZERO),
            now: Duration::ZERO,
        })
    }

    /// The virtual time.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// The link between the engines.
    pub fn link(&self) -> &SimLink {
        &self.link
    }

    /// A side's engine.
    pub fn engine(&self, side: Side) -> &Engine {
        match side {
            Side::Central => &self.central,
            Side::Peripheral => &self.peripheral,
        }
    }

    /// A side's engine, to send, receive or close.
    pub fn engine_mut(&mut self, side: Side) -> &mut Engine {
        match side {
            Side::Central => &mut self.central,
            Side::Peripheral => &mut self.peripheral,
        }
    }

    /// Runs one step; `Ok(false)` when nothing more happens by `limit` (the clock stays).
    pub fn step(&mut self, limit: Duration) -> Result<bool, PairError> {
        let now = self.now;
        for side in [Side::Central, Side::Peripheral] {
            while let Some(value) = self.engine_mut(side).poll_transmit(now) {
                match self.link.write(side, now, &value) {
                    Ok(()) => {}
                    Err(RadioError::Disconnected) => return Err(PairError::Disconnected),
                    Err(RadioError::Stack(why)) => return Err(PairError::Refused { side, why }),
                }
            }
        }
        let next = [
            self.link.next_event(),
            self.central.poll_timeout(),
            self.peripheral.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next.filter(|t| *t <= limit) else {
            return Ok(false);
        };
        self.now = self.now.max(next);
        let now = self.now;
        while let Some(delivery) = self.link.poll_deliver(now) {
            let side = delivery.to;
            match delivery.event {
                RadioEvent::Received(value) => self
                    .engine_mut(side)
                    .handle_value(now, &value)
                    .map_err(|error| PairError::Framing { side, error })?,
                RadioEvent::Disconnected => return Err(PairError::Disconnected),
            }
        }
        for side in [Side::Central, Side::Peripheral] {
            let engine = self.engine_mut(side);
            if engine.poll_timeout().is_some_and(|t| t <= now) {
                engine
                    .handle_timeout(now)
                    .map_err(|error| PairError::Framing { side, error })?;
            }
        }
        Ok(true)
    }

    /// Steps until `done` holds (checked before each step), or fails with
    /// [`PairError::TimedOut`] when nothing more happens by `limit`.
    pub fn run_until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&mut Self) -> bool,
    ) -> Result<(), PairError> {
        loop {
            if done(self) {
                return Ok(());
            }
            if !self.step(limit)? {
                return Err(PairError::TimedOut { at: self.now });
            }
        }
    }

    /// Runs the handshake until both engines are open ([BLE-12]).
    pub fn open(&mut self, limit: Duration) -> Result<(), PairError> {
        self.run_until(limit, |pair| {
            pair.central.state() == LinkState::Open && pair.peripheral.state() == LinkState::Open
        })
    }

    /// `from` sends `sdus`, then the pair runs until the other side has received as many SDUs
    /// as were sent; returns them, in order. The clock then stands at the last delivery.
    pub fn transfer(
        &mut self,
        from: Side,
        sdus: Vec<Vec<u8>>,
        limit: Duration,
    ) -> Result<Vec<Vec<u8>>, PairError> {
        let expected = sdus.len();
        for sdu in sdus {
            self.engine_mut(from)
                .send(sdu)
                .map_err(|error| PairError::Framing { side: from, error })?;
        }
        let to = from.peer();
        let mut received = Vec::with_capacity(expected);
        self.run_until(limit, |pair| {
            while let Some(sdu) = pair.engine_mut(to).poll_received() {
                received.push(sdu);
            }
            received.len() >= expected
        })?;
        Ok(received)
    }
}

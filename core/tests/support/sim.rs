//! A seeded, virtual-clock simulation of the link between two peers: latency, loss,
//! duplication, reordering and an MTU, with a step limit that catches livelocks. The same seed
//! replays the same run.

use orbit_core::crypto::{Random, SeededRandom};
use std::time::{Duration, Instant};

/// Which end of the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The controller side.
    A,
    /// The device side.
    B,
}

impl End {
    /// The other end.
    pub fn peer(self) -> End {
        match self {
            End::A => End::B,
            End::B => End::A,
        }
    }
}

/// How hostile the link is.
#[derive(Clone, Copy, Debug)]
pub struct LinkConfig {
    /// Smallest one-way delay.
    pub min_latency: Duration,
    /// Largest one-way delay (a spread reorders datagrams).
    pub max_latency: Duration,
    /// Probability in 1/1000 that a datagram is lost.
    pub loss_per_mille: u32,
    /// Probability in 1/1000 that a datagram is delivered twice.
    pub dup_per_mille: u32,
    /// Largest datagram the link carries; larger ones are dropped (and counted).
    pub mtu: usize,
}

impl LinkConfig {
    /// A perfect link with a fixed 5 ms latency.
    pub const PERFECT: LinkConfig = LinkConfig {
        min_latency: Duration::from_millis(5),
        max_latency: Duration::from_millis(5),
        loss_per_mille: 0,
        dup_per_mille: 0,
        mtu: 4096,
    };
}

/// The simulated link.
pub struct Link {
    cfg: LinkConfig,
    rng: SeededRandom,
    now: Instant,
    in_flight: Vec<(Instant, u64, End, Vec<u8>)>,
    seq: u64,
    steps: u64,
    /// Datagrams dropped for exceeding the MTU.
    pub oversize_drops: u64,
}

impl Link {
    /// A link with `cfg` whose randomness comes from `seed`.
    pub fn new(cfg: LinkConfig, seed: u64) -> Self {
        Link {
            cfg,
            rng: SeededRandom::new(seed),
            now: Instant::now(),
            in_flight: Vec::new(),
            seq: 0,
            steps: 0,
            oversize_drops: 0,
        }
    }

    /// The virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Moves virtual time forward.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    fn roll(&mut self, per_mille: u32) -> bool {
        let mut b = [0u8; 2];
        self.rng.fill(&mut b).unwrap();
        u32::from(u16::from_be_bytes(b)) % 1000 < per_mille
    }

    fn latency(&mut self) -> Duration {
        let spread = (self.cfg.max_latency - self.cfg.min_latency).as_micros() as u64;
        let mut b = [0u8; 8];
        self.rng.fill(&mut b).unwrap();
        let extra = if spread == 0 {
            0
        } else {
            u64::from_be_bytes(b) % (spread + 1)
        };
        self.cfg.min_latency + Duration::from_micros(extra)
    }

    /// `from` sends a datagram.
    pub fn send(&mut self, from: End, bytes: Vec<u8>) {
        if bytes.len() > self.cfg.mtu {
            self.oversize_drops += 1;
            return;
        }
        if self.roll(self.cfg.loss_per_mille) {
            return;
        }
        let copies = if self.roll(self.cfg.dup_per_mille) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let at = self.now + self.latency();
            self.seq += 1;
            self.in_flight
                .push((at, self.seq, from.peer(), bytes.clone()));
        }
    }

    /// The next datagram to arrive, advancing virtual time to its arrival; `None` when the
    /// link is empty. Panics after 100,000 deliveries (a livelock).
    pub fn deliver(&mut self) -> Option<(End, Vec<u8>)> {
        self.steps += 1;
        assert!(self.steps < 100_000, "step limit reached: livelock?");
        let idx = self
            .in_flight
            .iter()
            .enumerate()
            .min_by_key(|(_, (at, seq, _, _))| (*at, *seq))
            .map(|(i, _)| i)?;
        let (at, _, to, bytes) = self.in_flight.swap_remove(idx);
        if at > self.now {
            self.now = at;
        }
        Some((to, bytes))
    }
}

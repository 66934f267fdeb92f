//! The simulated network: every message between a controller and a device crosses a link
//! that loses, duplicates, delays (and so reorders) it, and is cut while a partition holds.
//! An adversary on the path records protected messages and injects copies of them later.

use crate::dice::Dice;
use std::collections::BTreeMap;
use std::time::Duration;

/// A node of the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Addr {
    /// Device number `n`.
    Device(usize),
    /// Controller number `n` (one per home).
    Controller(usize),
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Addr::Device(n) => write!(f, "d{n}"),
            Addr::Controller(n) => write!(f, "c{n}"),
        }
    }
}

/// What a message carries, as a transport would say it (the QUIC transport tells them apart
/// by frame kind the same way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A pairing (PASE) handshake message, in clear.
    Pase,
    /// A session (SIGMA) handshake message, in clear.
    Sigma,
    /// A protected message of a PASE or operational session.
    Sealed,
}

/// What the simulator knows about a message and the receiver does not.
#[derive(Clone, Debug, Default)]
pub(crate) struct Meta {
    /// The same for every copy of one sent message (duplicates and replays share it).
    pub(crate) uid: u64,
    /// The copy was injected by the adversary.
    pub(crate) replay: bool,
    /// For a subscription report: (device subscription id, event numbers it carries).
    pub(crate) report: Option<(u32, Vec<u64>)>,
    /// For a subscription report: its sequence number within the subscription.
    pub(crate) seq: u64,
    /// When it was sent.
    pub(crate) sent_at: std::time::Duration,
    /// A short description for the trace.
    pub(crate) what: String,
}

/// One message on the wire.
#[derive(Clone, Debug)]
pub(crate) struct Packet {
    /// Sender.
    pub(crate) from: Addr,
    /// Receiver.
    pub(crate) to: Addr,
    /// Kind.
    pub(crate) kind: Kind,
    /// The bytes.
    pub(crate) bytes: Vec<u8>,
    /// Simulator-only facts.
    pub(crate) meta: Meta,
}

/// How hostile the links of one run are.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LinkConfig {
    /// Shortest one-way delay.
    pub(crate) min_delay: Duration,
    /// Longest one-way delay; messages overtake each other within this spread.
    pub(crate) max_delay: Duration,
    /// Messages lost, per thousand.
    pub(crate) loss_per_mille: u64,
    /// Whether messages may overtake each other. The interaction layer relies on the
    /// transport to deliver in order or to drop `[IM-1]` (a QUIC stream does); seeds with
    /// reordering links check that safety holds beyond that contract too.
    pub(crate) reorder: bool,
    /// Messages delivered twice, per thousand.
    pub(crate) dup_per_mille: u64,
}

impl LinkConfig {
    /// A configuration drawn from the run's dice.
    pub(crate) fn draw(dice: &mut Dice) -> Self {
        let min = dice.range(1, 20);
        LinkConfig {
            min_delay: Duration::from_millis(min),
            max_delay: Duration::from_millis(min + dice.range(0, 400)),
            loss_per_mille: match dice.below(4) {
                0 => 0,
                1 => 5,
                2 => 20,
                _ => 60,
            },
            dup_per_mille: match dice.below(3) {
                0 => 0,
                1 => 10,
                _ => 50,
            },
            reorder: dice.chance(500),
        }
    }
}

/// Why a message did not arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Drop {
    /// The link lost it.
    Lost,
    /// A partition cut the link.
    Partition,
}

/// Messages in flight, ordered by arrival time.
#[derive(Debug)]
pub(crate) struct Network {
    config: LinkConfig,
    queue: BTreeMap<(Duration, u64), Packet>,
    next_seq: u64,
    /// Per direction (sender, receiver): when its last message arrives, for in-order links.
    last_arrival: BTreeMap<(Addr, Addr), Duration>,
    /// Cut links (controller, device) and when each cut heals.
    partitions: BTreeMap<(usize, usize), Duration>,
    /// Protected and session handshake messages the adversary recorded.
    recorded: Vec<Packet>,
}

impl Network {
    /// An empty network.
    pub(crate) fn new(config: LinkConfig) -> Self {
        Network {
            config,
            queue: BTreeMap::new(),
            next_seq: 0,
            last_arrival: BTreeMap::new(),
            partitions: BTreeMap::new(),
            recorded: Vec::new(),
        }
    }

    fn pair(a: Addr, b: Addr) -> Option<(usize, usize)> {
        match (a, b) {
            (Addr::Controller(c), Addr::Device(d)) | (Addr::Device(d), Addr::Controller(c)) => {
                Some((c, d))
            }
            _ => None,
        }
    }

    /// Whether the link between `a` and `b` is cut at `now`.
    pub(crate) fn partitioned(&self, now: Duration, a: Addr, b: Addr) -> bool {
        Self::pair(a, b)
            .and_then(|p| self.partitions.get(&p))
            .is_some_and(|until| now < *until)
    }

    /// Cuts the link between controller `c` and device `d` until `until`.
    pub(crate) fn partition(&mut self, c: usize, d: usize, until: Duration) {
        self.partitions.insert((c, d), until);
    }

    fn enqueue(&mut self, at: Duration, packet: Packet) {
        self.next_seq += 1;
        self.queue.insert((at, self.next_seq), packet);
    }

    /// Sends `packet` at `now`: it is lost, cut, or arrives (maybe twice) after a delay.
    /// Returns why it was not delivered, if it was not.
    pub(crate) fn send(&mut self, now: Duration, dice: &mut Dice, packet: Packet) -> Option<Drop> {
        if self.partitioned(now, packet.from, packet.to) {
            return Some(Drop::Partition);
        }
        if dice.chance(self.config.loss_per_mille) {
            return Some(Drop::Lost);
        }
        if packet.kind != Kind::Pase && self.recorded.len() < 256 && dice.chance(100) {
            self.recorded.push(packet.clone());
        }
        let spread = |dice: &mut Dice, c: LinkConfig| {
            dice.millis(
                c.min_delay.as_millis() as u64,
                c.max_delay.as_millis() as u64,
            )
        };
        let copies = if dice.chance(self.config.dup_per_mille) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut at = now + spread(dice, self.config);
            if !self.config.reorder {
                // In order or not at all: never before the previous message of this direction.
                let last = self
                    .last_arrival
                    .entry((packet.from, packet.to))
                    .or_default();
                at = at.max(*last);
                *last = at;
            }
            self.enqueue(at, packet.clone());
        }
        None
    }

    /// The adversary injects a copy of a recorded message, which crosses the link like any
    /// other (within its delays, so a copy may still overtake its original).
    pub(crate) fn inject_replay(&mut self, now: Duration, dice: &mut Dice) -> Option<Packet> {
        let i = dice.pick(self.recorded.len())?;
        let mut copy = self.recorded.get(i)?.clone();
        copy.meta.replay = true;
        let delay = dice.millis(
            self.config.min_delay.as_millis() as u64,
            self.config.max_delay.as_millis() as u64,
        );
        self.enqueue(now + delay, copy.clone());
        Some(copy)
    }

    /// When the next message arrives.
    pub(crate) fn next_arrival(&self) -> Option<Duration> {
        self.queue.keys().next().map(|(t, _)| *t)
    }

    /// The next message due at or before `now`.
    pub(crate) fn deliver(&mut self, now: Duration) -> Option<Packet> {
        let key = *self.queue.keys().next()?;
        if key.0 > now {
            return None;
        }
        self.queue.remove(&key)
    }
}

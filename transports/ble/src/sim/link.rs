//! The virtual-time model of one BLE connection.
//!
//! Connection events happen at `k * connection_interval` (k = 0, 1, ...). At each event the
//! central's queued values go first, then the peripheral's, at most `packets_per_event` each,
//! and only values whose delay has passed. A value written while an event is being delivered
//! (an answer computed at the event's time) goes at the next event, as on a real link, so a
//! request and its answer cost at least one connection interval.
//!
//! The randomness comes from two seeded PCG streams: one for each value's jitter, one drawn
//! once for the event at which the link drops. So the outcome depends only on the seed, the
//! parameters and what is written when, never on how often the caller polls.

use std::collections::VecDeque;
use std::time::Duration;

use rand_pcg::rand_core::Rng;
use rand_pcg::Pcg64;

use super::params::{SimError, SimParams};
use crate::radio::{RadioError, RadioEvent};

/// PCG stream of the per-value jitter.
const JITTER_STREAM: u128 = 0x6a69_7474_6572;
/// PCG stream of the random disconnect.
const DROP_STREAM: u128 = 0x6472_6f70;

/// One end of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The controller: it writes characteristic W.
    Central,
    /// The device: it notifies characteristic N.
    Peripheral,
}

impl Side {
    /// The other end.
    pub const fn peer(self) -> Self {
        match self {
            Self::Central => Self::Peripheral,
            Self::Peripheral => Self::Central,
        }
    }
}

/// Something the link delivers to one side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// When it happened (a connection event, or the disconnect).
    pub at: Duration,
    /// The side it is for.
    pub to: Side,
    /// A value from the peer, or the end of the connection.
    pub event: RadioEvent,
}

/// Counters of one direction of a simulated link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirectionStats {
    /// Values delivered.
    pub values: u64,
    /// Bytes of ATT value delivered.
    pub bytes: u64,
}

/// Counters of a simulated link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Connection events that carried at least one value.
    pub busy_events: u64,
    /// What the central sent.
    pub from_central: DirectionStats,
    /// What the peripheral sent.
    pub from_peripheral: DirectionStats,
}

struct Pending {
    eligible: Duration,
    value: Vec<u8>,
}

/// What one side has written and the link not yet delivered.
#[derive(Default)]
struct Outbox {
    queue: VecDeque<Pending>,
    /// The latest eligibility time given to a value, so values stay in order.
    last_eligible: Duration,
}

/// The virtual-time model of one BLE connection.
///
/// Connection events happen at `k * connection_interval` (k = 0, 1, ...). At each event the
/// central's queued values go first, then the peripheral's, at most `packets_per_event` each,
/// and only values whose delay has passed. A value written after an event was delivered (an
/// answer computed at the event's time) goes at the next event, as on a real link, so a
/// request and its answer cost at least one connection interval. The outcome depends only on
/// the seed, the parameters and what is written when, never on how often the caller polls.
///
/// A drive loop: write what each side has to send at `now`, then advance `now` to the
/// earliest of [`next_event`](Self::next_event) and the sides' own timers, and hand each
/// [`poll_deliver`](Self::poll_deliver)`(now)` to its side.
pub struct SimLink {
    params: SimParams,
    from_central: Outbox,
    from_peripheral: Outbox,
    /// The index of the next connection event not yet run.
    next_event: u64,
    /// Delivered but not yet polled.
    ready: VecDeque<Delivery>,
    jitter: Pcg64,
    /// The connection event at which the link drops by chance, drawn once.
    random_drop: Option<u64>,
    /// The connection event at which a side's `disconnect` takes effect.
    requested_drop: Option<u64>,
    down: bool,
    stats: SimStats,
}

impl SimLink {
    /// A connected link at virtual time 0.
    pub fn new(params: SimParams, seed: u64) -> Result<Self, SimError> {
        params.validate()?;
        let mut drop_rng = Pcg64::new(u128::from(seed), DROP_STREAM);
        let random_drop = draw_drop_event(params.disconnect_probability, &mut drop_rng);
        Ok(Self {
            params,
            from_central: Outbox::default(),
            from_peripheral: Outbox::default(),
            next_event: 0,
            ready: VecDeque::new(),
            jitter: Pcg64::new(u128::from(seed), JITTER_STREAM),
            random_drop,
            requested_drop: None,
            down: false,
            stats: SimStats::default(),
        })
    }

    /// The parameters.
    pub fn params(&self) -> &SimParams {
        &self.params
    }

    /// Counters so far.
    pub fn stats(&self) -> SimStats {
        self.stats
    }

    /// Bytes per second one direction can carry ([`SimParams::payload_capacity_per_second`]).
    pub fn payload_capacity_per_second(&self) -> f64 {
        self.params.payload_capacity_per_second()
    }

    /// Whether the link has dropped (as far as it has been polled).
    pub fn is_down(&self) -> bool {
        self.down
    }

    /// `from` writes one ATT value at `now`. Refused with [`RadioError::Stack`] when it is
    /// longer than the MTU less 3, and with [`RadioError::Disconnected`] once the link is down.
    pub fn write(&mut self, from: Side, now: Duration, value: &[u8]) -> Result<(), RadioError> {
        if self.down || self.drop_time().is_some_and(|t| t <= now) {
            return Err(RadioError::Disconnected);
        }
        let max = self.params.max_value_len();
        if value.len() > max {
            return Err(RadioError::Stack(format!(
                "an ATT value of {} bytes exceeds the MTU {} less 3 ({max})",
                value.len(),
                self.params.att_mtu
            )));
        }
        let delay = self.params.extra_delay.saturating_add(self.draw_jitter());
        let outbox = self.outbox_mut(from);
        let eligible = now.saturating_add(delay).max(outbox.last_eligible);
        outbox.last_eligible = eligible;
        outbox.queue.push_back(Pending {
            eligible,
            value: value.to_vec(),
        });
        Ok(())
    }

    /// A side ends the connection at `now`: it drops at the next connection event (where the
    /// terminate goes out), and both sides then get [`RadioEvent::Disconnected`].
    pub fn disconnect(&mut self, now: Duration) {
        let at = self.event_at_or_after(now).max(self.next_event);
        self.requested_drop = Some(self.requested_drop.map_or(at, |r| r.min(at)));
    }

    /// The next thing delivered at or before `now`, running the connection events up to
    /// `now`. `None` when nothing is due by then.
    pub fn poll_deliver(&mut self, now: Duration) -> Option<Delivery> {
        loop {
            if let Some(d) = self.ready.pop_front() {
                return Some(d);
            }
            if self.down {
                return None;
            }
            let event_time = self.event_time(self.next_event);
            if let Some(drop) = self.drop_time().filter(|t| *t <= event_time && *t <= now) {
                self.go_down(drop);
                continue;
            }
            if event_time > now {
                return None;
            }
            self.run_event(event_time, now);
        }
    }

    /// When [`poll_deliver`](Self::poll_deliver) next has something: the earliest connection
    /// event that carries a queued value, or the disconnect. `None` when the link is idle (a
    /// write changes that) or down and fully delivered.
    pub fn next_event(&self) -> Option<Duration> {
        if let Some(d) = self.ready.front() {
            return Some(d.at);
        }
        if self.down {
            return None;
        }
        let first_due = self
            .first_due_event()
            .map(|e| self.event_time(e.max(self.next_event)));
        first_due.into_iter().chain(self.drop_time()).min()
    }

    /// Runs one connection event at `time` (at or before `now`): the central's values, then
    /// the peripheral's.
    fn run_event(&mut self, time: Duration, now: Duration) {
        let per_event = usize::from(self.params.packets_per_event);
        let mut carried = false;
        for from in [Side::Central, Side::Peripheral] {
            for _ in 0..per_event {
                let (outbox, stats) = match from {
                    Side::Central => (&mut self.from_central, &mut self.stats.from_central),
                    Side::Peripheral => {
                        (&mut self.from_peripheral, &mut self.stats.from_peripheral)
                    }
                };
                if outbox.queue.front().is_none_or(|p| p.eligible > time) {
                    break;
                }
                let Some(pending) = outbox.queue.pop_front() else {
                    break;
                };
                carried = true;
                stats.values += 1;
                stats.bytes += pending.value.len() as u64;
                self.ready.push_back(Delivery {
                    at: time,
                    to: from.peer(),
                    event: RadioEvent::Received(pending.value),
                });
            }
        }
        let mut next = self.next_event.saturating_add(1);
        if carried {
            self.stats.busy_events += 1;
        } else {
            // Nothing was due: skip the idle events up to the first value's eligibility, or
            // past `now` (drops are times, not per-event draws, so skipping changes nothing).
            let past_now = self.event_after(now);
            let target = self.first_due_event().map_or(past_now, |e| e.min(past_now));
            next = next.max(target);
        }
        self.next_event = next;
    }

    fn outbox_mut(&mut self, from: Side) -> &mut Outbox {
        match from {
            Side::Central => &mut self.from_central,
            Side::Peripheral => &mut self.from_peripheral,
        }
    }

    /// The first connection event at which a queued value is eligible.
    fn first_due_event(&self) -> Option<u64> {
        [&self.from_central, &self.from_peripheral]
            .into_iter()
            .filter_map(|o| o.queue.front())
            .map(|p| self.event_at_or_after(p.eligible))
            .min()
    }

    fn go_down(&mut self, at: Duration) {
        self.down = true;
        self.from_central.queue.clear();
        self.from_peripheral.queue.clear();
        for to in [Side::Central, Side::Peripheral] {
            self.ready.push_back(Delivery {
                at,
                to,
                event: RadioEvent::Disconnected,
            });
        }
    }

    /// When the link drops, if it is going to.
    fn drop_time(&self) -> Option<Duration> {
        let event = match (self.random_drop, self.requested_drop) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let by_event = event.map(|e| self.event_time(e));
        match (by_event, self.params.disconnect_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn event_time(&self, index: u64) -> Duration {
        let nanos = self
            .params
            .connection_interval
            .as_nanos()
            .saturating_mul(u128::from(index));
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// The index of the first connection event at or after `time`.
    fn event_at_or_after(&self, time: Duration) -> u64 {
        let interval = self.params.connection_interval.as_nanos().max(1);
        u64::try_from(time.as_nanos().div_ceil(interval)).unwrap_or(u64::MAX)
    }

    /// The index of the first connection event strictly after `time`.
    fn event_after(&self, time: Duration) -> u64 {
        let interval = self.params.connection_interval.as_nanos().max(1);
        u64::try_from(time.as_nanos() / interval).map_or(u64::MAX, |e| e.saturating_add(1))
    }

    fn draw_jitter(&mut self) -> Duration {
        let max = u64::try_from(self.params.delay_jitter.as_nanos()).unwrap_or(u64::MAX);
        if max == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.jitter.next_u64() % max.saturating_add(1))
    }
}

/// The connection event (from 1: the connection's first event never drops) at which the link
/// drops, each event dropping it with probability `p`: a geometric draw.
fn draw_drop_event(p: f64, rng: &mut Pcg64) -> Option<u64> {
    if p <= 0.0 {
        return None;
    }
    // Uniform in (0, 1]: 53 random bits, plus one so that ln is finite.
    let u = ((rng.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64;
    let failures = (u.ln() / (1.0 - p).ln()).floor();
    // Casting saturates: a link that would drop after 2^64 events never drops in practice.
    Some((failures as u64).saturating_add(1))
}

//! What every simulated node shares during a run: the virtual clock, the seeded key source,
//! the invariants, the trace and the outgoing messages.

use crate::fault::Fault;
use crate::net::{Addr, Kind, Meta, Packet};
use crate::oracle::Oracle;
use crate::trace::Trace;
use orbit_core::crypto::SeededRandom;
use orbit_core::protect::ProtectConfig;
use orbit_core::session::Now;
use std::time::{Duration, Instant};

/// Unix seconds at virtual time zero (past the commissioning clock floor).
pub(crate) const UNIX_START: u64 = 1_800_000_000;

/// The run's shared state.
#[derive(Debug)]
pub(crate) struct Env {
    /// Virtual time since the start of the run.
    pub(crate) now: Duration,
    base: Instant,
    /// Every key, random and nonce the core draws.
    pub(crate) rng: SeededRandom,
    /// The invariants.
    pub(crate) oracle: Oracle,
    /// The trace.
    pub(crate) trace: Trace,
    /// Messages sent during the current step.
    pub(crate) outbox: Vec<Packet>,
    /// The deliberate fault of this run.
    pub(crate) fault: Fault,
    /// Message protection settings of every session: some seeds update keys every few
    /// messages, so that key updates meet loss, reordering and replays `[MSG-15]`..`[MSG-17]`.
    pub(crate) protect: ProtectConfig,
    /// The links' longest minus shortest delay.
    pub(crate) delay_spread: Duration,
    next_uid: u64,
    next_serial: u64,
}

impl Env {
    /// The environment of run `seed`.
    pub(crate) fn new(seed: u64, fault: Fault, trace: Trace, protect: ProtectConfig) -> Self {
        Env {
            now: Duration::ZERO,
            // Only differences between instants reach the core, so the run does not depend
            // on when it starts.
            base: Instant::now(),
            rng: SeededRandom::new(seed),
            oracle: Oracle::default(),
            trace,
            outbox: Vec::new(),
            fault,
            protect,
            delay_spread: Duration::ZERO,
            next_uid: 0,
            next_serial: 0,
        }
    }

    /// The current instant.
    pub(crate) fn instant(&self) -> Instant {
        self.base + self.now
    }

    /// The virtual time of `at`.
    pub(crate) fn since(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.base)
    }

    /// Wall-clock Unix seconds.
    pub(crate) fn unix(&self) -> u64 {
        UNIX_START + self.now.as_secs()
    }

    /// Both clocks, for handshakes.
    pub(crate) fn both(&self) -> Now {
        Now::new(self.instant(), self.unix())
    }

    /// A fresh message identifier (increasing in send order).
    pub(crate) fn uid(&mut self) -> u64 {
        self.next_uid += 1;
        self.next_uid
    }

    /// A fresh session serial number (the simulator's name for one session's keys).
    pub(crate) fn serial(&mut self) -> u64 {
        self.next_serial += 1;
        self.next_serial
    }

    /// Adds a trace line. Instants that error messages print (`Instant { tv_sec: .., tv_nsec:
    /// .. }`, whose values depend on when the run started) become virtual times, so that the
    /// trace of a seed is the same on every replay.
    pub(crate) fn log(&mut self, text: impl FnOnce() -> String) {
        let now = self.now;
        let base = self.base;
        self.trace.line(now, || virtual_instants(&text(), base));
    }

    /// Queues a message.
    pub(crate) fn send(
        &mut self,
        from: Addr,
        to: Addr,
        kind: Kind,
        bytes: Vec<u8>,
        mut meta: Meta,
    ) {
        if meta.uid == 0 {
            meta.uid = self.uid();
        }
        meta.sent_at = self.now;
        self.outbox.push(Packet {
            from,
            to,
            kind,
            bytes,
            meta,
        });
    }
}

/// The (seconds, nanoseconds) an `Instant`'s debug form shows, if it is in that form.
fn instant_parts(text: &str) -> Option<(u64, u64)> {
    let rest = text.strip_prefix("Instant { tv_sec: ")?;
    let (secs, rest) = rest.split_once(", tv_nsec: ")?;
    let (nanos, _) = rest.split_once(" }")?;
    Some((secs.parse().ok()?, nanos.parse().ok()?))
}

/// Rewrites every `Instant { .. }` in `text` as the virtual time it stands for.
fn virtual_instants(text: &str, base: Instant) -> String {
    let Some((base_s, base_n)) = instant_parts(&format!("{base:?}")) else {
        return text.to_owned();
    };
    let base_ns = u128::from(base_s) * 1_000_000_000 + u128::from(base_n);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("Instant { ") {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        let end = tail.find(" }").map_or(tail.len(), |e| e + 2);
        let (instant, after) = tail.split_at(end);
        match instant_parts(instant) {
            Some((s, n)) => {
                let ns = (u128::from(s) * 1_000_000_000 + u128::from(n)).saturating_sub(base_ns);
                let d = Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX));
                out.push_str(&format!("t={}", crate::trace::fmt_time(d)));
            }
            None => out.push_str(instant),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

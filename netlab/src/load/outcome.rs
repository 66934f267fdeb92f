//! What became of each request. An operator's question is not "how many failed" but "did any
//! vanish": a request the device answered with a status (busy, unsupported-access...) or that
//! failed with a named local error (the connection closed) was accounted for; a request with
//! no answer before the deadline was lost.

use super::latency::Latencies;
use orbit_core::status::Status;
use orbit_sdk::controller::{Cause, ControllerError};
use std::collections::BTreeMap;
use std::time::Duration;

/// How one request ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered, and every path succeeded.
    Ok,
    /// Answered with a status (for the request or one of its paths), named.
    Status(String),
    /// Failed with a named error before or without an answer (connection closed, refused).
    Failed(String),
    /// No answer before the SDK's deadline: it failed with a timeout (a clear error, but the
    /// response was lost).
    Lost,
    /// Not even the SDK's deadline ended it: the request hung past [`crate::load::traffic::LOST_AFTER`].
    Hung,
}

impl Outcome {
    /// The outcome of a request that came back with `status` for one of its paths (or the
    /// request).
    pub fn from_status(status: Status) -> Outcome {
        if status == Status::SUCCESS {
            Outcome::Ok
        } else {
            Outcome::Status(status.name().unwrap_or("unknown status").to_owned())
        }
    }

    /// The outcome of a request the SDK refused or could not complete.
    pub fn from_error(e: &ControllerError) -> Outcome {
        match &e.cause {
            Cause::Status(s) => Outcome::from_status(*s),
            Cause::Timeout(_) => Outcome::Lost,
            Cause::Transport(t) => Outcome::Failed(format!("transport: {t}")),
            Cause::Cut => Outcome::Failed("exchange cut".to_owned()),
            other => Outcome::Failed(format!("{}: {other}", e.phase)),
        }
    }
}

/// Counts of outcomes and the latencies of the answered requests.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Answered with success.
    pub ok: u64,
    /// Answered with a status, by status name.
    pub statuses: BTreeMap<String, u64>,
    /// Failed with a named error, by error text (capped at a few distinct texts).
    pub failures: BTreeMap<String, u64>,
    /// Not answered in time (the SDK's timeout).
    pub lost: u64,
    /// Never ended, not even by the SDK's timeout.
    pub hung: u64,
    /// Latency of every request answered with success.
    pub latency: Latencies,
}

/// Distinct failure texts kept; more are counted under "other".
const FAILURE_KINDS: usize = 16;

impl Tally {
    /// Records one request's outcome; `took` counts for successful ones.
    pub fn record(&mut self, outcome: Outcome, took: Duration) {
        match outcome {
            Outcome::Ok => {
                self.ok += 1;
                self.latency.record(took);
            }
            Outcome::Status(s) => *self.statuses.entry(s).or_default() += 1,
            Outcome::Failed(f) => {
                let key = if self.failures.len() < FAILURE_KINDS || self.failures.contains_key(&f) {
                    f
                } else {
                    "other".to_owned()
                };
                *self.failures.entry(key).or_default() += 1;
            }
            Outcome::Lost => self.lost += 1,
            Outcome::Hung => self.hung += 1,
        }
    }

    /// Adds `other`'s counts.
    pub fn merge(&mut self, other: &Tally) {
        self.ok += other.ok;
        self.lost += other.lost;
        self.hung += other.hung;
        for (k, v) in &other.statuses {
            *self.statuses.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.failures {
            *self.failures.entry(k.clone()).or_default() += v;
        }
        self.latency.merge(&other.latency);
    }

    /// The counts without the latency samples (cheap to copy while a run goes on).
    pub fn counts_only(&self) -> Tally {
        Tally {
            ok: self.ok,
            statuses: self.statuses.clone(),
            failures: self.failures.clone(),
            lost: self.lost,
            hung: self.hung,
            latency: Latencies::default(),
        }
    }

    /// Every request recorded.
    pub fn total(&self) -> u64 {
        self.ok
            + self.lost
            + self.hung
            + self.statuses.values().sum::<u64>()
            + self.failures.values().sum::<u64>()
    }

    /// Requests answered with success, as a fraction of all (1 with none).
    pub fn success_rate(&self) -> f64 {
        match self.total() {
            0 => 1.0,
            n => self.ok as f64 / n as f64,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use orbit_sdk::controller::Phase;

    #[test]
    fn every_outcome_lands_in_its_count() {
        let mut t = Tally::default();
        let ms = Duration::from_millis;
        t.record(Outcome::Ok, ms(3));
        t.record(Outcome::from_status(Status::SUCCESS), ms(4));
        t.record(Outcome::from_status(Status::BUSY), ms(5));
        let timeout = ControllerError::new(Phase::Session, Cause::Timeout(ms(30)));
        t.record(Outcome::from_error(&timeout), ms(30_000));
        let cut = ControllerError::new(Phase::Session, Cause::Cut);
        t.record(Outcome::from_error(&cut), ms(1));
        assert_eq!((t.ok, t.lost, t.total()), (2, 1, 5));
        t.record(Outcome::Hung, ms(40_000));
        assert_eq!((t.hung, t.total()), (1, 6));
        assert!((t.success_rate() - 2.0 / 6.0).abs() < 1e-9);
        assert_eq!(t.statuses.values().sum::<u64>(), 1);
        assert_eq!(t.failures.get("exchange cut"), Some(&1));
        // Only successful requests have a latency.
        assert_eq!(t.latency.len(), 2);
        let mut all = Tally::default();
        all.merge(&t);
        all.merge(&t);
        assert_eq!(
            (all.total(), all.lost, all.hung, all.latency.len()),
            (12, 2, 2, 4)
        );
    }

    #[test]
    fn failure_kinds_are_capped() {
        let mut t = Tally::default();
        for i in 0..40 {
            t.record(Outcome::Failed(format!("e{i}")), Duration::ZERO);
        }
        assert_eq!(t.failures.len(), FAILURE_KINDS + 1);
        assert_eq!(t.failures.get("other"), Some(&(40 - FAILURE_KINDS as u64)));
        assert_eq!(t.total(), 40);
    }
}

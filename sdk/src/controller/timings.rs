//! Per-phase durations and outcomes of pairing and connecting, for callers that show or log
//! them.

use super::error::Phase;
use std::time::{Duration, Instant};

/// One phase: how long it took and whether it succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhaseTiming {
    /// Which phase.
    pub phase: Phase,
    /// Wall time spent in it.
    pub duration: Duration,
    /// Whether it succeeded.
    pub ok: bool,
}

/// The phases of one operation, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timings(pub Vec<PhaseTiming>);

impl Timings {
    /// Runs `f` as `phase` and records it.
    pub(crate) async fn time<T, E>(
        &mut self,
        phase: Phase,
        f: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let start = Instant::now();
        let r = f.await;
        self.0.push(PhaseTiming {
            phase,
            duration: start.elapsed(),
            ok: r.is_ok(),
        });
        r
    }

    /// The total of every phase.
    pub fn total(&self) -> Duration {
        self.0.iter().map(|p| p.duration).sum()
    }

    /// The duration of `phase`, if it ran.
    pub fn of(&self, phase: Phase) -> Option<Duration> {
        self.0.iter().find(|p| p.phase == phase).map(|p| p.duration)
    }
}

//! Per-phase timings of pairing and connecting, for apps that show or log them.

use crate::error::Phase;
use std::time::Duration;

/// One phase of a pairing or connection: how long it took and whether it succeeded.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct PhaseTiming {
    /// Which phase.
    pub phase: Phase,
    /// Wall time spent in it.
    pub duration: Duration,
    /// Whether it succeeded.
    pub ok: bool,
}

/// The SDK's timings as records.
pub(crate) fn timings(t: &orbit_sdk::controller::Timings) -> Vec<PhaseTiming> {
    t.0.iter()
        .map(|p| PhaseTiming {
            phase: p.phase.into(),
            duration: p.duration,
            ok: p.ok,
        })
        .collect()
}

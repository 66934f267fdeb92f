//! The simulator's decisions (which link loses what, which operation comes next) drawn from
//! the core's seeded byte stream, so that one `u64` seed decides the whole run.

use orbit_core::crypto::{Random, SeededRandom};
use std::time::Duration;

/// A deterministic source of decisions.
#[derive(Debug, Clone)]
pub(crate) struct Dice(SeededRandom);

impl Dice {
    /// The decisions of run `seed` (a stream separate from the one that draws keys).
    pub(crate) fn new(seed: u64) -> Self {
        let mut bytes = b"orbit-sim decisions".to_vec();
        bytes.extend(seed.to_be_bytes());
        Dice(SeededRandom::from_seed_bytes(&bytes))
    }

    /// A uniformly drawn `u64`.
    pub(crate) fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        // SeededRandom never fails.
        let _ = self.0.fill(&mut b);
        u64::from_be_bytes(b)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.u64() % n
        }
    }

    /// A number in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo.saturating_add(self.below(hi.saturating_sub(lo).saturating_add(1)))
    }

    /// True with probability `per_mille` / 1000.
    pub(crate) fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// A duration in `lo..=hi`, in milliseconds.
    pub(crate) fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(self.range(lo, hi))
    }

    /// An index into a collection of `len` items, or `None` when it is empty.
    pub(crate) fn pick(&mut self, len: usize) -> Option<usize> {
        (len > 0).then(|| usize::try_from(self.below(len as u64)).unwrap_or(0))
    }
}

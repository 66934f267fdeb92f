//! The sliding replay window `[MSG-12]`: a bitmap of the last [`REPLAY_WINDOW`] counters
//! below and including the highest authenticated counter.

use super::ProtectError;

/// Size of the replay window in messages `[MSG-12]`.
pub const REPLAY_WINDOW: u64 = 1024;

const WORD_BITS: u64 = 64;
const WORDS: usize = (REPLAY_WINDOW / WORD_BITS) as usize;

/// Which counters of a session's receive direction have been accepted.
///
/// The bitmap is a ring: counter `c` lives at bit `c mod 1024`. Only counters in
/// `highest - 1023 ..= highest` are meaningful; older ones are "too old" whatever their bit.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ReplayWindow {
    highest: Option<u64>,
    bits: [u64; WORDS],
}

impl Default for ReplayWindow {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplayWindow {
    /// An empty window: nothing received yet, every counter is acceptable.
    pub fn new() -> Self {
        Self {
            highest: None,
            bits: [0; WORDS],
        }
    }

    /// The highest counter accepted so far.
    pub fn highest(&self) -> Option<u64> {
        self.highest
    }

    /// The lowest counter the window can still accept (0 until 1024 messages' worth of
    /// counters have passed).
    pub fn lowest_acceptable(&self) -> u64 {
        match self.highest {
            None => 0,
            Some(h) => h.saturating_sub(REPLAY_WINDOW - 1),
        }
    }

    /// `[MSG-12]` whether `counter` may still be accepted. Changes nothing: the window only
    /// moves in [`Self::accept`], after the message authenticated `[MSG-13]`.
    pub fn check(&self, counter: u64) -> Result<(), ProtectError> {
        let Some(highest) = self.highest else {
            return Ok(());
        };
        if counter > highest {
            return Ok(());
        }
        if highest - counter >= REPLAY_WINDOW {
            return Err(ProtectError::TooOld {
                counter,
                lowest: self.lowest_acceptable(),
            });
        }
        if self.bit(counter) {
            return Err(ProtectError::Replayed { counter });
        }
        Ok(())
    }

    /// `[MSG-12]` records `counter` as received, sliding the window forward if it is the new
    /// highest. Call only after [`Self::check`] passed and the message authenticated.
    pub fn accept(&mut self, counter: u64) {
        match self.highest {
            Some(highest) if counter <= highest => {}
            Some(highest) if counter - highest < REPLAY_WINDOW => {
                // Counters between the old highest and the new one were skipped (lost or
                // reordered): their ring positions, which held counters now too old, are
                // cleared.
                let mut c = highest;
                while c < counter {
                    c += 1;
                    self.set_bit(c, false);
                }
                self.highest = Some(counter);
            }
            _ => {
                self.bits = [0; WORDS];
                self.highest = Some(counter);
            }
        }
        self.set_bit(counter, true);
    }

    fn position(counter: u64) -> (usize, u64) {
        let index = counter % REPLAY_WINDOW;
        // index / 64 < 16, so the cast cannot truncate.
        ((index / WORD_BITS) as usize, index % WORD_BITS)
    }

    fn bit(&self, counter: u64) -> bool {
        let (word, bit) = Self::position(counter);
        self.bits.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    fn set_bit(&mut self, counter: u64, value: bool) {
        let (word, bit) = Self::position(counter);
        if let Some(w) = self.bits.get_mut(word) {
            if value {
                *w |= 1 << bit;
            } else {
                *w &= !(1 << bit);
            }
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// The acceptance rule of [MSG-12] stated directly, over the set of accepted counters.
    fn model_check(accepted: &BTreeSet<u64>, c: u64) -> Result<(), ProtectError> {
        match accepted.last() {
            Some(&h) if c <= h && h - c >= REPLAY_WINDOW => Err(ProtectError::TooOld {
                counter: c,
                lowest: h + 1 - REPLAY_WINDOW,
            }),
            _ if accepted.contains(&c) => Err(ProtectError::Replayed { counter: c }),
            _ => Ok(()),
        }
    }

    // [MSG-12]
    #[test]
    fn edges() {
        let mut w = ReplayWindow::new();
        assert_eq!(w.check(u64::MAX), Ok(()));
        w.accept(2000);
        assert_eq!(w.check(2000), Err(ProtectError::Replayed { counter: 2000 }));
        assert_eq!(w.lowest_acceptable(), 977);
        assert_eq!(w.check(977), Ok(()));
        assert_eq!(
            w.check(976),
            Err(ProtectError::TooOld {
                counter: 976,
                lowest: 977
            })
        );
        w.accept(977);
        assert_eq!(w.check(977), Err(ProtectError::Replayed { counter: 977 }));
        // Sliding by one pushes 977 out of the window; its ring slot now means 2001.
        w.accept(2001);
        assert!(matches!(w.check(977), Err(ProtectError::TooOld { .. })));
        assert_eq!(w.check(978), Ok(()));
        // A jump of more than the window forgets everything below.
        w.accept(10_000);
        assert!(matches!(w.check(2001), Err(ProtectError::TooOld { .. })));
        assert_eq!(w.check(9_999), Ok(()));
        // The top of the counter space.
        w.accept(u64::MAX);
        assert_eq!(
            w.check(u64::MAX),
            Err(ProtectError::Replayed { counter: u64::MAX })
        );
        assert_eq!(w.check(u64::MAX - 1023), Ok(()));
    }

    proptest! {
        // [MSG-12] the bitmap gives the same answers as the rule over the full set.
        #[test]
        fn matches_model(steps in proptest::collection::vec((0u64..3000, any::<bool>()), 1..400)) {
            let mut w = ReplayWindow::new();
            let mut accepted = BTreeSet::new();
            for (c, try_accept) in steps {
                let got = w.check(c);
                prop_assert_eq!(&got, &model_check(&accepted, c));
                if got.is_ok() && try_accept {
                    w.accept(c);
                    accepted.insert(c);
                }
                prop_assert_eq!(w.highest(), accepted.last().copied());
            }
        }
    }
}

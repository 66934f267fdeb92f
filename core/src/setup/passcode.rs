use super::SetupError;
use crate::crypto::{CryptoError, Random};

/// The pairing passcode: the secret a controller learns from the label and proves in PASE.
///
/// Always valid once constructed: 27 bits, in `1..=99_999_998`, not trivial `[SETUP-1]`.
/// `Debug` prints a placeholder and there is no `Display`, so the value cannot reach a log by
/// accident `[SETUP-3]`; [`Passcode::value`] is the one explicit way out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Passcode(u32);

/// `[SETUP-1]` values a passcode may never take: 00000000 and each digit repeated eight times
/// (00000000 and 99999999 are also outside the range), and the two runs of digits.
const TRIVIAL: [u32; 12] = [
    0, 11_111_111, 22_222_222, 33_333_333, 44_444_444, 55_555_555, 66_666_666, 77_777_777,
    88_888_888, 99_999_999, 12_345_678, 87_654_321,
];

/// How many 27-bit candidates [`Passcode::generate`] draws before concluding that the random
/// source is broken. Each candidate is accepted with probability about 0.745, so a working
/// source fails all 64 with probability below 10^-37.
const GENERATE_ATTEMPTS: usize = 64;

impl Passcode {
    /// Width of the passcode field in the QR payload and the manual code.
    pub const BITS: u32 = 27;
    /// Smallest valid passcode.
    pub const MIN: u32 = 1;
    /// Largest valid passcode.
    pub const MAX: u32 = 99_999_998;

    /// A passcode, if `value` is valid `[SETUP-1]`.
    pub fn new(value: u32) -> Result<Self, SetupError> {
        // [SETUP-1] trivial values first, so 00000000 and 99999999 report as trivial.
        if TRIVIAL.contains(&value) {
            return Err(SetupError::PasscodeTrivial);
        }
        if !(Self::MIN..=Self::MAX).contains(&value) {
            return Err(SetupError::PasscodeOutOfRange);
        }
        Ok(Self(value))
    }

    /// The passcode's value. Handle with care: it is the pairing secret.
    pub fn value(&self) -> u32 {
        self.0
    }

    /// Draws a passcode uniformly from all valid passcodes `[SETUP-2]`: 27 random bits at a
    /// time, rejecting invalid values. Fails only if `rng` fails or returns the same invalid
    /// values over and over.
    pub fn generate(rng: &mut dyn Random) -> Result<Self, CryptoError> {
        for _ in 0..GENERATE_ATTEMPTS {
            let mut bytes = [0u8; 4];
            rng.fill(&mut bytes)?;
            let candidate = u32::from_le_bytes(bytes) & ((1 << Self::BITS) - 1);
            if let Ok(passcode) = Self::new(candidate) {
                return Ok(passcode);
            }
        }
        Err(CryptoError::RandomFailed)
    }
}

impl std::fmt::Debug for Passcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // [SETUP-3] never print the secret.
        f.write_str("Passcode(<redacted>)")
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
    use crate::crypto::SeededRandom;

    /// Always yields the same bytes: a broken source.
    struct Stuck(u8);
    impl Random for Stuck {
        fn fill(&mut self, dest: &mut [u8]) -> Result<(), CryptoError> {
            dest.fill(self.0);
            Ok(())
        }
    }

    // [SETUP-2] a source that only ever yields an invalid candidate makes generation fail
    // instead of looping forever (0x00.. gives 0, trivial).
    #[test]
    fn generate_gives_up_on_a_stuck_source() {
        assert_eq!(
            Passcode::generate(&mut Stuck(0)),
            Err(CryptoError::RandomFailed)
        );
    }

    // [SETUP-2] candidates are the low 27 bits of a little-endian u32: 0xff.. gives 2^27 - 1,
    // out of range, so rejected too.
    #[test]
    fn generate_rejects_out_of_range_candidates() {
        assert_eq!(
            Passcode::generate(&mut Stuck(0xff)),
            Err(CryptoError::RandomFailed)
        );
    }

    // [SETUP-2] roughly uniform: over many draws, the mean is near the middle of the range and
    // both halves are hit about equally.
    #[test]
    fn generate_spreads_over_the_range() {
        let mut rng = SeededRandom::new(7);
        let n = 4000u64;
        let mut sum = 0u64;
        let mut low = 0u64;
        for _ in 0..n {
            let p = Passcode::generate(&mut rng).unwrap().value();
            assert!(Passcode::new(p).is_ok());
            sum += u64::from(p);
            if p < 50_000_000 {
                low += 1;
            }
        }
        let mean = sum / n;
        assert!((47_000_000..53_000_000).contains(&mean), "mean {mean}");
        assert!((1850..2150).contains(&low), "low half {low}");
    }
}

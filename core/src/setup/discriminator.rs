use super::SetupError;
use crate::crypto::{CryptoError, Random};

/// The 12-bit discriminator a device advertises while it accepts pairing, so a controller
/// holding a setup payload finds the right device among several `[SETUP-4]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Discriminator(u16);

impl Discriminator {
    /// Width of the field.
    pub const BITS: u32 = 12;
    /// Largest discriminator.
    pub const MAX: u16 = 0x0FFF;

    /// A discriminator, if `value` fits in 12 bits `[SETUP-4]`.
    pub fn new(value: u16) -> Result<Self, SetupError> {
        if value > Self::MAX {
            return Err(SetupError::DiscriminatorOutOfRange { value });
        }
        Ok(Self(value))
    }

    /// The 12-bit value.
    pub const fn value(self) -> u16 {
        self.0
    }

    /// The upper 4 bits, which is all a manual code carries `[SETUP-4]`.
    pub const fn short(self) -> ShortDiscriminator {
        // 12 bits shifted right by 8 always fit in 4 bits.
        ShortDiscriminator((self.0 >> 8) as u8)
    }

    /// Draws a discriminator uniformly from all 4096 values, so neighbouring devices rarely
    /// share one `[SETUP-4]`.
    pub fn generate(rng: &mut dyn Random) -> Result<Self, CryptoError> {
        let mut bytes = [0u8; 2];
        rng.fill(&mut bytes)?;
        Ok(Self(u16::from_le_bytes(bytes) & Self::MAX))
    }
}

/// The upper 4 bits of a [`Discriminator`], as carried by a manual code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShortDiscriminator(u8);

impl ShortDiscriminator {
    /// Largest short discriminator.
    pub const MAX: u8 = 0x0F;

    /// A short discriminator, if `value` fits in 4 bits.
    pub fn new(value: u8) -> Result<Self, SetupError> {
        if value > Self::MAX {
            return Err(SetupError::ShortDiscriminatorOutOfRange { value });
        }
        Ok(Self(value))
    }

    /// The 4-bit value.
    pub const fn value(self) -> u8 {
        self.0
    }

    /// Whether a device advertising `discriminator` may be the one this code names.
    pub const fn matches(self, discriminator: Discriminator) -> bool {
        discriminator.short().0 == self.0
    }
}

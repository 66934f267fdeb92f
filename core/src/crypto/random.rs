use super::CryptoError;

/// A source of cryptographically secure random bytes, passed into every operation that needs
/// randomness so that the core stays deterministic under test and simulation.
///
/// Production code uses [`SystemRandom`]; tests and vector generation use a seeded generator.
pub trait Random {
    /// Fills `dest` entirely with random bytes.
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), CryptoError>;
}

/// The operating system's random source (through `ring`).
#[derive(Debug)]
pub struct SystemRandom(ring::rand::SystemRandom);

impl SystemRandom {
    /// Creates a handle to the system random source.
    pub fn new() -> Self {
        Self(ring::rand::SystemRandom::new())
    }
}

impl Default for SystemRandom {
    fn default() -> Self {
        Self::new()
    }
}

impl Random for SystemRandom {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), CryptoError> {
        use ring::rand::SecureRandom;
        self.0.fill(dest).map_err(|_| CryptoError::RandomFailed)
    }
}

impl<R: Random + ?Sized> Random for &mut R {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), CryptoError> {
        (**self).fill(dest)
    }
}

/// A deterministic byte stream for seeded simulations and for regenerating the published test
/// vectors: block `i` is SHA-256(seed ‖ i as 8 bytes big-endian).
///
/// Never use it for real keys: anyone who knows the seed knows every byte.
#[derive(Debug, Clone)]
pub struct SeededRandom {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeededRandom {
    /// A stream determined entirely by `seed`.
    pub fn new(seed: u64) -> Self {
        Self::from_seed_bytes(&seed.to_be_bytes())
    }

    /// A stream determined entirely by arbitrary seed bytes.
    pub fn from_seed_bytes(seed: &[u8]) -> Self {
        Self {
            seed: super::hash::sha256(&[b"orbit seeded random", seed]),
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }
}

impl Random for SeededRandom {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), CryptoError> {
        for out in dest.iter_mut() {
            if self.used == self.block.len() {
                self.block = super::hash::sha256(&[&self.seed, &self.counter.to_be_bytes()]);
                self.counter = self.counter.wrapping_add(1);
                self.used = 0;
            }
            *out = self.block.get(self.used).copied().unwrap_or_default();
            self.used += 1;
        }
        Ok(())
    }
}

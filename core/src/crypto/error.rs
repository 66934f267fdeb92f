use thiserror::Error;

/// A failure inside a cryptographic primitive or of its inputs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The platform's random source failed.
    #[error("the system random source failed")]
    RandomFailed,
    /// A public key had the wrong length or was not a valid point.
    #[error("invalid public key")]
    InvalidPublicKey,
    /// A signature did not verify.
    #[error("signature verification failed")]
    BadSignature,
    /// An AEAD tag did not verify (tampered data, wrong key, or wrong nonce).
    #[error("authenticated decryption failed")]
    DecryptFailed,
    /// A Diffie-Hellman exchange produced the all-zero output (low-order peer point).
    #[error("key agreement produced a non-contributory result")]
    NonContributory,
    /// A buffer was too small or a length was out of range for the primitive.
    #[error("invalid length for a cryptographic operation")]
    InvalidLength,
}

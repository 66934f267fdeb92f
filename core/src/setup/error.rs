use crate::status::Status;
use thiserror::Error;

/// Why a setup payload, manual code or one of their fields was rejected.
///
/// Each variant is one rule of `spec/v1/03-setup-payload.md`; [`SetupError::kind`] gives the
/// stable name the spec's error table and `spec/v1/vectors/setup-payloads.json` use.
/// Messages never contain the passcode or digits that encode it ([SEC-2]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SetupError {
    /// `[SETUP-7]` the QR string does not start with `OB`, a version number and `:`.
    #[error("not an Orbit setup payload: it must start with \"OB\", a version number and \":\" (for example \"OB1:\")")]
    BadPrefix,
    /// `[SETUP-7]`, `[SETUP-16]` the code is of a later format than this implementation reads.
    #[error("the code uses a later format (version marker {version}) than this implementation reads (version 1)")]
    UnsupportedVersion {
        /// The version marker: the number in a QR prefix, or the first digit (8 or 9) of a
        /// manual code.
        version: u16,
    },
    /// `[SETUP-8]`, `[SETUP-15]` a character that may not appear at this place.
    #[error("character {character:?} at position {position} is not allowed here")]
    BadCharacter {
        /// 0-based index of the character in the input string, counted in characters.
        position: usize,
        /// The offending character.
        character: char,
    },
    /// `[SETUP-8]` the QR body has the wrong number of characters.
    #[error("the QR payload after the prefix has {actual} characters, expected {expected}")]
    WrongLength {
        /// Characters this version requires after the prefix.
        expected: usize,
        /// Characters found.
        actual: usize,
    },
    /// `[SETUP-9]` five base-38 characters encode a value that does not fit in three bytes.
    #[error("the 5 characters starting at position {position} encode a value above 16777215")]
    InvalidChunk {
        /// 0-based index in the input string of the group's first character.
        position: usize,
    },
    /// `[SETUP-15]` a manual code with a digit count other than 11 or 21.
    #[error("the manual code has {actual} digits, expected 11 or 21")]
    WrongDigitCount {
        /// Digits found (separators not counted).
        actual: usize,
    },
    /// `[SETUP-11]`, `[SETUP-16]` the CRC-32 of a QR string or the Verhoeff digit of a manual
    /// code does not match: a typo, a misread character or an altered code.
    #[error("the check characters do not match: the code was mistyped, misread or altered")]
    CheckMismatch,
    /// `[SETUP-10]` the reserved bits of a QR payload are not zero.
    #[error("reserved bits of the QR payload are set")]
    ReservedBitsSet,
    /// `[SETUP-16]` the first digit's long-form bit disagrees with the number of digits.
    #[error("the first digit marks a {} manual code but the code has {digits} digits", form_name(.long_flag))]
    FormMismatch {
        /// Whether the first digit announced the long form.
        long_flag: bool,
        /// Digits found.
        digits: usize,
    },
    /// `[SETUP-14]` a group of manual-code digits exceeds the largest value its field holds.
    #[error("digits {first_digit} to {last_digit} of the manual code exceed {max}")]
    GroupOutOfRange {
        /// 1-based number of the group's first digit.
        first_digit: u8,
        /// 1-based number of the group's last digit.
        last_digit: u8,
        /// Largest value the group may hold.
        max: u32,
    },
    /// `[SETUP-1]` a passcode outside 00000001..=99999998.
    #[error("the passcode must be between 00000001 and 99999998")]
    PasscodeOutOfRange,
    /// `[SETUP-1]` a trivial passcode (one digit repeated, 12345678 or 87654321).
    #[error("the passcode is a trivial value (one repeated digit, 12345678 or 87654321)")]
    PasscodeTrivial,
    /// `[SETUP-4]` a discriminator that does not fit in 12 bits.
    #[error("discriminator {value} does not fit in 12 bits (maximum 4095)")]
    DiscriminatorOutOfRange {
        /// The rejected value.
        value: u16,
    },
    /// `[SETUP-4]` a short discriminator that does not fit in 4 bits.
    #[error("short discriminator {value} does not fit in 4 bits (maximum 15)")]
    ShortDiscriminatorOutOfRange {
        /// The rejected value.
        value: u8,
    },
    /// `[SETUP-6]` a pairing flow that does not fit in 2 bits.
    #[error("pairing flow {value} does not fit in 2 bits (maximum 3)")]
    FlowOutOfRange {
        /// The rejected value.
        value: u8,
    },
}

impl SetupError {
    /// The error's stable name from the spec's error table (`bad-prefix`, `check-mismatch`, ...),
    /// as used in `spec/v1/vectors/setup-payloads.json`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::BadPrefix => "bad-prefix",
            Self::UnsupportedVersion { .. } => "unsupported-version",
            Self::BadCharacter { .. } => "bad-character",
            Self::WrongLength { .. } => "wrong-length",
            Self::InvalidChunk { .. } => "invalid-chunk",
            Self::WrongDigitCount { .. } => "wrong-digit-count",
            Self::CheckMismatch => "check-mismatch",
            Self::ReservedBitsSet => "reserved-bits-set",
            Self::FormMismatch { .. } => "form-mismatch",
            Self::GroupOutOfRange { .. } => "group-out-of-range",
            Self::PasscodeOutOfRange => "passcode-out-of-range",
            Self::PasscodeTrivial => "passcode-trivial",
            Self::DiscriminatorOutOfRange { .. } => "discriminator-out-of-range",
            Self::ShortDiscriminatorOutOfRange { .. } => "short-discriminator-out-of-range",
            Self::FlowOutOfRange { .. } => "flow-out-of-range",
        }
    }

    /// The wire status for this error when a setup code arrives in a message (for example a
    /// hub asked to pair a device with a code): always `invalid-parameter`, since every variant
    /// is a malformed or out-of-range parameter.
    pub fn status(&self) -> Status {
        Status::INVALID_PARAMETER
    }
}

/// How an error message names the form a manual code's first digit announced.
fn form_name(long_flag: &bool) -> &'static str {
    if *long_flag {
        "21-digit"
    } else {
        "11-digit"
    }
}

//! Protocol version negotiation (`spec/v1/08-version-negotiation.md`).
//!
//! Each side offers the inclusive range of versions it speaks `[VER-1]`; the highest version in
//! both ranges is chosen `[VER-2]`; disjoint ranges are an error on both sides `[VER-3]`. The
//! handshakes put both offered ranges and the chosen version into their transcripts, so an
//! attacker who rewrites an offer to force an older version is detected `[VER-4]`.

use crate::codec::{CborMessage, CodecError, MapBuilder, MapReader, Value};
use crate::status::Status;
use thiserror::Error;

/// A protocol version number. Orbit v1 is version 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion(pub u16);

impl ProtocolVersion {
    /// Orbit v1.
    pub const V1: ProtocolVersion = ProtocolVersion(1);
}

impl std::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// An inclusive range of versions one side speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VersionRange {
    /// Lowest version spoken.
    pub min: ProtocolVersion,
    /// Highest version spoken.
    pub max: ProtocolVersion,
}

/// The versions this implementation speaks.
pub const SUPPORTED: VersionRange = VersionRange {
    min: ProtocolVersion::V1,
    max: ProtocolVersion::V1,
};

/// Why version negotiation failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VersionError {
    /// `[VER-3]` the two ranges do not overlap.
    #[error("no common protocol version: we speak {ours}, the peer speaks {theirs}")]
    NoCommonVersion {
        /// Our range.
        ours: VersionRange,
        /// The peer's range.
        theirs: VersionRange,
    },
    /// `[VER-5]` a range whose minimum is above its maximum, or that includes version 0.
    #[error("invalid version range {0}")]
    InvalidRange(VersionRange),
    /// `[VER-4]` the peer's view of the negotiation differs from ours.
    #[error("version downgrade detected: negotiated {expected}, peer claims {claimed}")]
    Downgrade {
        /// What we computed.
        expected: ProtocolVersion,
        /// What the peer's authenticated message says.
        claimed: ProtocolVersion,
    },
}

impl VersionError {
    /// The wire status for this error.
    pub fn status(&self) -> Status {
        match self {
            VersionError::NoCommonVersion { .. } => Status::NO_COMMON_VERSION,
            VersionError::InvalidRange(_) => Status::INVALID_PARAMETER,
            VersionError::Downgrade { .. } => Status::DOWNGRADE_DETECTED,
        }
    }
}

impl std::fmt::Display for VersionRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}..={}", self.min, self.max)
        }
    }
}

impl VersionRange {
    /// A range; `[VER-5]` rejects min > max and version 0.
    pub fn new(min: u16, max: u16) -> Result<Self, VersionError> {
        let r = VersionRange {
            min: ProtocolVersion(min),
            max: ProtocolVersion(max),
        };
        r.validate()?;
        Ok(r)
    }

    /// `[VER-5]` checks that the range is valid: its minimum is at least 1 and at most its
    /// maximum. A received range decodes whatever its values ([`CborMessage::from_value`])
    /// and is checked here, as a parameter, so an invalid one gives `invalid-parameter`.
    pub fn validate(&self) -> Result<(), VersionError> {
        if self.min.0 == 0 || self.min > self.max {
            return Err(VersionError::InvalidRange(*self));
        }
        Ok(())
    }

    /// `[VER-2]` the highest version both ranges contain. `[VER-5]` either range being
    /// invalid is an error (the peer's is reported first).
    pub fn negotiate(&self, peer: &VersionRange) -> Result<ProtocolVersion, VersionError> {
        peer.validate()?;
        self.validate()?;
        let hi = self.max.min(peer.max);
        let lo = self.min.max(peer.min);
        if hi < lo {
            return Err(VersionError::NoCommonVersion {
                ours: *self,
                theirs: *peer,
            });
        }
        Ok(hi)
    }

    /// `[VER-4]` checks that the version a peer authenticated equals the one we negotiated.
    pub fn confirm(
        expected: ProtocolVersion,
        claimed: ProtocolVersion,
    ) -> Result<(), VersionError> {
        if expected != claimed {
            return Err(VersionError::Downgrade { expected, claimed });
        }
        Ok(())
    }
}

const KEY_MIN: u64 = 1;
const KEY_MAX: u64 = 2;

/// Encoded as `{1: min, 2: max}`. Decoding checks only the encoding (two 16-bit unsigned
/// integers); whether the range is valid is checked by [`VersionRange::validate`] `[VER-5]`.
impl CborMessage for VersionRange {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(KEY_MIN, self.min.0)
            .put(KEY_MAX, self.max.0)
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(value)?;
        Ok(VersionRange {
            min: ProtocolVersion(m.uint_as::<u16>(KEY_MIN)?),
            max: ProtocolVersion(m.uint_as::<u16>(KEY_MAX)?),
        })
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

    fn r(a: u16, b: u16) -> VersionRange {
        VersionRange::new(a, b).unwrap()
    }

    // [VER-2]
    #[test]
    fn highest_common_version_wins() {
        assert_eq!(r(1, 3).negotiate(&r(2, 5)).unwrap(), ProtocolVersion(3));
        assert_eq!(r(2, 5).negotiate(&r(1, 3)).unwrap(), ProtocolVersion(3));
        assert_eq!(r(1, 1).negotiate(&r(1, 9)).unwrap(), ProtocolVersion::V1);
    }

    // [VER-3]
    #[test]
    fn disjoint_ranges_fail_on_both_sides() {
        let a = r(1, 2);
        let b = r(3, 4);
        let e1 = a.negotiate(&b).unwrap_err();
        let e2 = b.negotiate(&a).unwrap_err();
        assert_eq!(e1.status(), Status::NO_COMMON_VERSION);
        assert_eq!(e2.status(), Status::NO_COMMON_VERSION);
        assert!(e1.to_string().contains("v1..=v2"), "{e1}");
    }

    // [VER-4]
    #[test]
    fn confirm_detects_downgrade() {
        assert!(VersionRange::confirm(ProtocolVersion(2), ProtocolVersion(2)).is_ok());
        let e = VersionRange::confirm(ProtocolVersion(2), ProtocolVersion(1)).unwrap_err();
        assert_eq!(e.status(), Status::DOWNGRADE_DETECTED);
    }

    // [VER-5] an invalid range is rejected with invalid-parameter: it decodes (the encoding is
    // fine) and fails validation, including in negotiation.
    #[test]
    fn invalid_ranges_rejected() {
        for (a, b) in [(0, 1), (3, 2), (0, 0)] {
            let e = VersionRange::new(a, b).unwrap_err();
            assert_eq!(e.status(), Status::INVALID_PARAMETER);
        }
        assert!(VersionRange::decode(&r(1, 2).to_bytes()).is_ok());
        // {1: 3, 2: 2}
        let bad = VersionRange::decode(&[0xa2, 0x01, 0x03, 0x02, 0x02]).unwrap();
        let e = bad.validate().unwrap_err();
        assert_eq!(e, VersionError::InvalidRange(bad));
        assert_eq!(e.status(), Status::INVALID_PARAMETER);
        let e = SUPPORTED.negotiate(&bad).unwrap_err();
        assert_eq!(e.status(), Status::INVALID_PARAMETER);
        // {1: 0, 2: 1}
        let zero = VersionRange::decode(&[0xa2, 0x01, 0x00, 0x02, 0x01]).unwrap();
        assert_eq!(
            zero.validate().unwrap_err().status(),
            Status::INVALID_PARAMETER
        );
        // A value that does not fit 16 bits is an encoding error: {1: 65536, 2: 1}.
        let e = VersionRange::decode(&[0xa2, 0x01, 0x1a, 0x00, 0x01, 0x00, 0x00, 0x02, 0x01])
            .unwrap_err();
        assert_eq!(e.status(), Status::INVALID_MESSAGE);
    }

    proptest! {
        #[test]
        fn negotiation_is_symmetric_and_within_both(a in 1u16..20, b in 0u16..20, c in 1u16..20, d in 0u16..20) {
            let x = r(a, a + b);
            let y = r(c, c + d);
            let v1 = x.negotiate(&y);
            let v2 = y.negotiate(&x);
            prop_assert_eq!(v1.as_ref().ok(), v2.as_ref().ok());
            if let Ok(v) = v1 {
                prop_assert!(v >= x.min && v <= x.max && v >= y.min && v <= y.max);
                prop_assert!(v == x.max || v == y.max);
            } else {
                prop_assert!(x.max < y.min || y.max < x.min);
            }
        }

        #[test]
        fn range_round_trips(a in 1u16.., b in 0u16..100) {
            let x = r(a, a.saturating_add(b));
            prop_assert_eq!(VersionRange::decode(&x.to_bytes()).unwrap(), x);
        }
    }
}

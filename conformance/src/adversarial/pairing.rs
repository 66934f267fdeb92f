//! PASE messages an honest controller never sends `[PAIR-2]`, `[PAIR-3]`, `[PAIR-14]`,
//! `[PAIR-17]`: truncated or oversized requests, shares that are not valid P-256 points, a
//! `pake3` whose confirmation the sender could not have computed, and messages out of order.
//! Built from orbit-core's public message types where those can carry the fault, otherwise
//! with ciborium from `spec/v1/cddl/pairing.cddl`.

use orbit_core::codec::CborMessage;
use orbit_core::crypto::Random;
use orbit_core::pairing::{Pake1, Pake3, PbkdfParamRequest, RANDOM_LEN};
use orbit_core::version::SUPPORTED;

/// Length of a SEC1 uncompressed P-256 point `[PAIR-14]`.
pub const POINT_LEN: usize = 65;

/// Largest pairing message a receiver accepts `[PAIR-3]`.
pub const MAX_PAIRING_MESSAGE: usize = 256;

/// The P-256 field prime p, big-endian (SEC 2 §2.4.2).
const FIELD_PRIME: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
];

/// The P-256 generator's x coordinate (SEC 2 §2.4.2): on the curve with its own y, off the
/// curve with y + 1.
const GENERATOR_X: [u8; 32] = [
    0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
    0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
];

/// The P-256 generator's y coordinate.
const GENERATOR_Y: [u8; 32] = [
    0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
    0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
];

/// A share that [PAIR-14] requires a receiver to reject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadPoint {
    /// The generator with y + 1: well formed, not on the curve.
    OffCurve,
    /// x equal to the field prime: a coordinate not below p.
    CoordinateTooLarge,
    /// The generator in SEC1 compressed form's prefix (0x02) with 64 bytes after it.
    WrongPrefix,
    /// 65 zero bytes (the "identity" some encoders write; no valid SEC1 encoding).
    Zeros,
}

impl BadPoint {
    /// Every kind, in the order cases send them.
    pub const ALL: [BadPoint; 4] = [
        BadPoint::OffCurve,
        BadPoint::CoordinateTooLarge,
        BadPoint::WrongPrefix,
        BadPoint::Zeros,
    ];

    /// What the share is, for evidence.
    pub fn describe(self) -> &'static str {
        match self {
            BadPoint::OffCurve => "a point not on the curve (the generator with y + 1)",
            BadPoint::CoordinateTooLarge => "a point whose x coordinate is the field prime",
            BadPoint::WrongPrefix => "a point whose first byte is 0x02, not 0x04",
            BadPoint::Zeros => "65 zero bytes",
        }
    }

    /// The 65 bytes of the share.
    pub fn bytes(self) -> [u8; POINT_LEN] {
        let (prefix, x, y): (u8, [u8; 32], [u8; 32]) = match self {
            BadPoint::Zeros => (0, [0; 32], [0; 32]),
            // y + 1: the generator's y ends in 0xf5, so the increment carries nowhere.
            BadPoint::OffCurve => (0x04, GENERATOR_X, add_one(GENERATOR_Y)),
            BadPoint::CoordinateTooLarge => (0x04, FIELD_PRIME, GENERATOR_Y),
            BadPoint::WrongPrefix => (0x02, GENERATOR_X, GENERATOR_Y),
        };
        let mut p = [0u8; POINT_LEN];
        for (dst, src) in p.iter_mut().zip(std::iter::once(prefix).chain(x).chain(y)) {
            *dst = src;
        }
        p
    }
}

/// `v + 1` as a big-endian integer (wrapping).
fn add_one(mut v: [u8; 32]) -> [u8; 32] {
    for b in v.iter_mut().rev() {
        let (sum, carry) = b.overflowing_add(1);
        *b = sum;
        if !carry {
            break;
        }
    }
    v
}

/// A valid share: the P-256 generator, uncompressed (for a well-formed `pake1` sent where
/// none is due).
pub fn valid_share() -> [u8; POINT_LEN] {
    let mut p = [0u8; POINT_LEN];
    for (dst, src) in p
        .iter_mut()
        .zip(std::iter::once(0x04).chain(GENERATOR_X).chain(GENERATOR_Y))
    {
        *dst = src;
    }
    p
}

/// `pake1` carrying `point` as its share.
pub fn pake1_with(point: BadPoint) -> Vec<u8> {
    Pake1 {
        share_p: point.bytes(),
    }
    .to_bytes()
}

/// `pake3` with a confirmation of random bytes, which no side holding the keys sends
/// (`[PAIR-17]`: an honest controller does not even send one after a failed `confirmV`).
pub fn pake3_random(rng: &mut dyn Random) -> Vec<u8> {
    let mut confirm_p = [0u8; 32];
    let _ = rng.fill(&mut confirm_p);
    Pake3 { confirm_p }.to_bytes()
}

/// A well-formed `pbkdf-param-request` with fresh randomness.
pub fn request(rng: &mut dyn Random, session_id: u32) -> Vec<u8> {
    let mut controller_random = [0u8; RANDOM_LEN];
    let _ = rng.fill(&mut controller_random);
    PbkdfParamRequest {
        controller_random,
        controller_session_id: session_id,
        versions: SUPPORTED,
        has_pbkdf_params: false,
    }
    .to_bytes()
}

/// A `pbkdf-param-request` cut short by `cut` bytes: no longer one CBOR item `[PAIR-2]`.
pub fn truncated_request(rng: &mut dyn Random, session_id: u32, cut: usize) -> Vec<u8> {
    let mut bytes = request(rng, session_id);
    let keep = bytes.len().saturating_sub(cut.max(1));
    bytes.truncate(keep);
    bytes
}

/// A `pbkdf-param-request` over [`MAX_PAIRING_MESSAGE`] bytes: the request with an extra,
/// unknown key (which a receiver would otherwise ignore, `[CBOR-8]`) holding a byte string
/// of 120 bytes, twice, so no single string breaks the 128-byte string limit and only the
/// message size does `[PAIR-3]`.
pub fn oversized_request(rng: &mut dyn Random, session_id: u32) -> Vec<u8> {
    use ciborium::Value;
    let base = request(rng, session_id);
    let mut value: Value = match ciborium::de::from_reader(base.as_slice()) {
        Ok(v) => v,
        Err(_) => return base,
    };
    if let Value::Map(entries) = &mut value {
        entries.push((Value::Integer(20.into()), Value::Bytes(vec![0x5a; 120])));
        entries.push((Value::Integer(21.into()), Value::Bytes(vec![0xa5; 120])));
    }
    let mut out = Vec::new();
    let _ = ciborium::ser::into_writer(&value, &mut out);
    out
}

/// A pairing message of a type no version of the spec defines (`{0: 99}`), which a device
/// must refuse with `unexpected-message` `[PAIR-2]`, `[CBOR-9]`.
pub fn unknown_type() -> Vec<u8> {
    // {0: 99}
    vec![0xa1, 0x00, 0x18, 0x63]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use orbit_core::crypto::SeededRandom;
    use orbit_core::pairing::PAIRING_LIMITS;
    use p256::elliptic_curve::sec1::FromSec1Point;
    use p256::AffinePoint;

    #[test]
    fn the_generator_is_on_the_curve_and_each_bad_point_is_not_a_valid_share() {
        // The unmodified generator must parse, or the bad variants prove nothing.
        assert!(AffinePoint::from_sec1_bytes(&valid_share()).is_ok());
        for bad in BadPoint::ALL {
            assert!(
                AffinePoint::from_sec1_bytes(&bad.bytes()).is_err(),
                "{bad:?}"
            );
            // The message itself is well formed: only the point is wrong [PAIR-14].
            assert!(Pake1::decode(&pake1_with(bad)).is_ok(), "{bad:?}");
        }
    }

    #[test]
    fn the_truncated_and_oversized_requests_break_only_what_they_say() {
        let mut rng = SeededRandom::new(1);
        let good = request(&mut rng, 7);
        assert!(PbkdfParamRequest::decode(&good).is_ok());
        let cut = truncated_request(&mut rng, 7, 5);
        assert!(PbkdfParamRequest::decode(&cut).is_err());
        let big = oversized_request(&mut rng, 7);
        assert!(big.len() > MAX_PAIRING_MESSAGE, "{}", big.len());
        assert!(PbkdfParamRequest::decode(&big).is_err());
        // Within the limits it would be a valid request with two unknown keys [CBOR-8].
        let lax = orbit_core::codec::Limits {
            max_message: 1024,
            ..PAIRING_LIMITS
        };
        assert!(orbit_core::codec::decode_value(&big, &lax).is_ok());
        assert_eq!(
            crate::evidence::diagnostic(&unknown_type()).as_deref(),
            Some("{0: 99}")
        );
    }
}

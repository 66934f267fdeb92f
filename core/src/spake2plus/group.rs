//! P-256 points and scalars for SPAKE2+, through the `p256` crate: the constants M and N,
//! strict share decoding, uniform scalar sampling and the wide reduction of registration.

use super::error::ShareKind;
use super::{Spake2PlusError, POINT_LEN, SCALAR_LEN};
use crate::crypto::{CryptoError, Random};
use p256::elliptic_curve::ff::{Field, FromUniformBytes, PrimeField};
use p256::elliptic_curve::sec1::{FromSec1Point, ToSec1Point};
use p256::{AffinePoint, ProjectivePoint, Scalar};

/// `[PAIR-10]` the point M of RFC 9383 §4 for P-256, SEC1 uncompressed (the RFC tabulates it
/// compressed as `02886e2f…a12f`).
pub const M_UNCOMPRESSED: [u8; POINT_LEN] = [
    0x04, 0x88, 0x6e, 0x2f, 0x97, 0xac, 0xe4, 0x6e, 0x55, 0xba, 0x9d, 0xd7, 0x24, 0x25, 0x79, 0xf2,
    0x99, 0x3b, 0x64, 0xe1, 0x6e, 0xf3, 0xdc, 0xab, 0x95, 0xaf, 0xd4, 0x97, 0x33, 0x3d, 0x8f, 0xa1,
    0x2f, 0x5f, 0xf3, 0x55, 0x16, 0x3e, 0x43, 0xce, 0x22, 0x4e, 0x0b, 0x0e, 0x65, 0xff, 0x02, 0xac,
    0x8e, 0x5c, 0x7b, 0xe0, 0x94, 0x19, 0xc7, 0x85, 0xe0, 0xca, 0x54, 0x7d, 0x55, 0xa1, 0x2e, 0x2d,
    0x20,
];

/// `[PAIR-10]` the point N of RFC 9383 §4 for P-256, SEC1 uncompressed (the RFC tabulates it
/// compressed as `03d8bbd6…2b49`).
pub const N_UNCOMPRESSED: [u8; POINT_LEN] = [
    0x04, 0xd8, 0xbb, 0xd6, 0xc6, 0x39, 0xc6, 0x29, 0x37, 0xb0, 0x4d, 0x99, 0x7f, 0x38, 0xc3, 0x77,
    0x07, 0x19, 0xc6, 0x29, 0xd7, 0x01, 0x4d, 0x49, 0xa2, 0x4b, 0x4f, 0x98, 0xba, 0xa1, 0x29, 0x2b,
    0x49, 0x07, 0xd6, 0x0a, 0xa6, 0xbf, 0xad, 0xe4, 0x50, 0x08, 0xa6, 0x36, 0x33, 0x7f, 0x51, 0x68,
    0xc6, 0x4d, 0x9b, 0xd3, 0x60, 0x34, 0x80, 0x8c, 0xd5, 0x64, 0x49, 0x0b, 0x1e, 0x65, 0x6e, 0xdb,
    0xe7,
];

/// How many 32-byte draws scalar sampling makes before giving up. A draw is rejected with
/// probability about 2^-32 for P-256, so only a broken source ever reaches this bound; it
/// exists so that such a source yields an error instead of a endless loop.
const MAX_SAMPLING_DRAWS: usize = 16;

/// Decodes a point that must be valid: 65 bytes, tag 0x04, both coordinates below p, on the
/// curve. An uncompressed encoding can never be the identity.
fn decode_uncompressed(bytes: &[u8]) -> Option<ProjectivePoint> {
    if bytes.len() != POINT_LEN || bytes.first() != Some(&0x04) {
        return None;
    }
    AffinePoint::from_sec1_bytes(bytes)
        .ok()
        .map(ProjectivePoint::from)
}

/// `[PAIR-14]` decodes a received share, rejecting anything but a valid non-identity point in
/// uncompressed form.
pub(crate) fn decode_share(
    bytes: &[u8],
    kind: ShareKind,
) -> Result<ProjectivePoint, Spake2PlusError> {
    decode_uncompressed(bytes).ok_or(Spake2PlusError::InvalidShare(kind))
}

/// Decodes the point `L` of a stored verifier.
pub(crate) fn decode_l(bytes: &[u8]) -> Result<ProjectivePoint, Spake2PlusError> {
    decode_uncompressed(bytes).ok_or(Spake2PlusError::InvalidVerifier)
}

/// M as a group element. The constant is tested to decode; should `p256` ever reject it, the
/// exchange fails with an error rather than running with a wrong point.
pub(crate) fn m() -> Result<ProjectivePoint, Spake2PlusError> {
    decode_uncompressed(&M_UNCOMPRESSED).ok_or(CryptoError::InvalidPublicKey.into())
}

/// N as a group element (see [`m`]).
pub(crate) fn n() -> Result<ProjectivePoint, Spake2PlusError> {
    decode_uncompressed(&N_UNCOMPRESSED).ok_or(CryptoError::InvalidPublicKey.into())
}

/// `[PAIR-12]` the SEC1 uncompressed encoding of `p`. The identity has no uncompressed form;
/// it is encoded as 65 zero bytes so transcripts stay well defined (it arises only when a
/// peer built its share from `w0` alone, and then confirmation fails as usual).
pub(crate) fn encode_point(p: &ProjectivePoint) -> [u8; POINT_LEN] {
    let mut out = [0u8; POINT_LEN];
    let encoded = p.to_affine().to_sec1_point(false);
    if let Ok(bytes) = <[u8; POINT_LEN]>::try_from(encoded.as_bytes()) {
        out = bytes;
    }
    out
}

/// The big-endian bytes of a scalar.
pub(crate) fn scalar_bytes(s: &Scalar) -> [u8; SCALAR_LEN] {
    let mut out = [0u8; SCALAR_LEN];
    out.copy_from_slice(&s.to_bytes());
    out
}

/// A scalar from big-endian bytes that must already be below n.
pub(crate) fn scalar_from_bytes(bytes: &[u8; SCALAR_LEN]) -> Result<Scalar, Spake2PlusError> {
    Option::<Scalar>::from(Scalar::from_repr((*bytes).into())).ok_or(Spake2PlusError::InvalidScalar)
}

/// `[PAIR-13]` a uniformly random scalar in [1, n-1]: draw 32 bytes, interpret them
/// big-endian, and draw again while the value is 0 or not below n.
pub(crate) fn random_scalar(rng: &mut dyn Random) -> Result<Scalar, Spake2PlusError> {
    for _ in 0..MAX_SAMPLING_DRAWS {
        let mut bytes = [0u8; SCALAR_LEN];
        rng.fill(&mut bytes)?;
        if let Some(s) = Option::<Scalar>::from(Scalar::from_repr(bytes.into())) {
            if !bool::from(s.is_zero()) {
                return Ok(s);
            }
        }
    }
    Err(CryptoError::RandomFailed.into())
}

/// `[PAIR-7]` a 40-byte big-endian integer reduced mod n (`w0 = w0s mod n`).
pub(crate) fn reduce_wide(bytes: &[u8; 40]) -> Scalar {
    // from_uniform_bytes reduces a 64-byte big-endian integer mod n; left-padding with zeros
    // keeps the value.
    let mut wide = [0u8; 64];
    if let Some(tail) = wide.get_mut(24..) {
        tail.copy_from_slice(bytes);
    }
    Scalar::from_uniform_bytes(&wide)
}

//! Every intermediate value of one exchange with given scalars, for the vector tests of
//! this crate (`cfg(test)` only; the public API never exposes them).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::group::{encode_point, m, n, scalar_bytes};
use super::schedule::{transcript, KeySchedule, TranscriptInputs};
use super::{Binding, ProverSecrets, Verifier, CONFIRM_LEN, POINT_LEN, SCALAR_LEN};
use crate::crypto::hash::HASH_LEN;
use p256::{ProjectivePoint, Scalar};

pub(crate) use super::group::random_scalar;

/// The values of RFC 9383 §3.3 and §3.4 for one exchange.
pub(crate) struct Internals {
    pub(crate) w0: [u8; SCALAR_LEN],
    pub(crate) w1: [u8; SCALAR_LEN],
    pub(crate) x: [u8; SCALAR_LEN],
    pub(crate) y: [u8; SCALAR_LEN],
    pub(crate) share_p: [u8; POINT_LEN],
    pub(crate) share_v: [u8; POINT_LEN],
    pub(crate) z: [u8; POINT_LEN],
    pub(crate) v: [u8; POINT_LEN],
    pub(crate) tt: Vec<u8>,
    pub(crate) k_main: [u8; HASH_LEN],
    pub(crate) k_confirm_p: [u8; HASH_LEN],
    pub(crate) k_confirm_v: [u8; HASH_LEN],
    pub(crate) k_shared: [u8; HASH_LEN],
    pub(crate) confirm_p: [u8; CONFIRM_LEN],
    pub(crate) confirm_v: [u8; CONFIRM_LEN],
}

/// Computes the exchange from both sides with `x` and `y` and checks that they agree.
pub(crate) fn exchange(
    secrets: &ProverSecrets,
    verifier: &Verifier,
    binding: &Binding<'_>,
    x: Scalar,
    y: Scalar,
) -> Internals {
    let (m, n) = (m().unwrap(), n().unwrap());
    let w0 = secrets.w0;
    let big_x = ProjectivePoint::GENERATOR * x + m * w0;
    let big_y = ProjectivePoint::GENERATOR * y + n * w0;
    // Verifier's view.
    let z = encode_point(&((big_x - m * w0) * y));
    let v = encode_point(&(verifier.l * y));
    // Prover's view must agree.
    assert_eq!(z, encode_point(&((big_y - n * w0) * x)), "Z differs");
    assert_eq!(
        v,
        encode_point(&((big_y - n * w0) * secrets.w1)),
        "V differs"
    );
    let share_p = encode_point(&big_x);
    let share_v = encode_point(&big_y);
    let tt = transcript(
        binding,
        &TranscriptInputs {
            share_p: &share_p,
            share_v: &share_v,
            z: &z,
            v: &v,
            w0: &scalar_bytes(&w0),
        },
    );
    let keys = KeySchedule::derive(&tt).unwrap();
    Internals {
        w0: scalar_bytes(&w0),
        w1: scalar_bytes(&secrets.w1),
        x: scalar_bytes(&x),
        y: scalar_bytes(&y),
        share_p,
        share_v,
        z,
        v,
        k_main: keys.k_main,
        k_confirm_p: keys.k_confirm_p,
        k_confirm_v: keys.k_confirm_v,
        k_shared: keys.k_shared,
        confirm_p: keys.confirm_p(&share_v),
        confirm_v: keys.confirm_v(&share_p),
        tt: tt.to_vec(),
    }
}

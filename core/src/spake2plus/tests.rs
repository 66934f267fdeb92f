//! Checks of the intermediate values of RFC 9383's vector (Z, V, TT, K_main, confirmation
//! keys), which the public API deliberately does not expose. The public flow is checked
//! against the same vector in `core/tests/spake2plus_vectors.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::group::{
    decode_share, encode_point, m, n, reduce_wide, scalar_bytes, scalar_from_bytes,
};
use super::schedule::{transcript, KeySchedule, TranscriptInputs};
use super::*;
use p256::elliptic_curve::sec1::FromSec1Point;
use p256::{AffinePoint, ProjectivePoint, Scalar};

const VECTORS: &str = include_str!("../../tests/vectors/spake2plus-p256-rfc9383.json");

fn json() -> serde_json::Value {
    serde_json::from_str(VECTORS).unwrap()
}

fn hex_of(v: &serde_json::Value, field: &str) -> Vec<u8> {
    hex::decode(
        v[field]
            .as_str()
            .unwrap_or_else(|| panic!("missing {field}")),
    )
    .unwrap()
}

fn arr<const N: usize>(v: &serde_json::Value, field: &str) -> [u8; N] {
    hex_of(v, field).try_into().unwrap()
}

fn scalar(v: &serde_json::Value, field: &str) -> Scalar {
    scalar_from_bytes(&arr(v, field)).unwrap()
}

// [PAIR-10] M and N are the RFC's points: the uncompressed constants decode, and their
// compressed forms are the RFC's table entries.
#[test]
fn m_and_n_are_the_rfc_constants() {
    let doc = json();
    let c = &doc["constants"];
    assert_eq!(M_UNCOMPRESSED.to_vec(), hex_of(c, "M"));
    assert_eq!(N_UNCOMPRESSED.to_vec(), hex_of(c, "N"));
    for (point, compressed) in [
        (m().unwrap(), "M_compressed"),
        (n().unwrap(), "N_compressed"),
    ] {
        let from_table = AffinePoint::from_sec1_bytes(&hex_of(c, compressed)).unwrap();
        assert_eq!(point.to_affine(), from_table);
    }
}

// [PAIR-12] [PAIR-15] every intermediate value of RFC 9383 Appendix C, byte for byte.
#[test]
fn rfc9383_intermediate_values() {
    let doc = json();
    let v = &doc["rfc9383"][0];
    let context = v["context_ascii"].as_str().unwrap().as_bytes();
    assert_eq!(context.len() as u64, v["context_len"].as_u64().unwrap());
    let binding = Binding {
        context,
        id_prover: v["idProver_ascii"].as_str().unwrap().as_bytes(),
        id_verifier: v["idVerifier_ascii"].as_str().unwrap().as_bytes(),
    };
    let secrets = ProverSecrets::from_scalars(&arr(v, "w0"), &arr(v, "w1")).unwrap();
    let verifier = secrets.verifier();
    assert_eq!(verifier.l_bytes().to_vec(), hex_of(v, "L"));

    let x = scalar(v, "x");
    let y = scalar(v, "y");
    let w0 = scalar(v, "w0");
    let w1 = scalar(v, "w1");
    let prover = Prover::with_scalar(&secrets, x).unwrap();
    assert_eq!(prover.share().to_vec(), hex_of(v, "shareP"));

    // Z and V from both sides.
    let share_p = decode_share(prover.share(), ShareKind::Prover).unwrap();
    let share_v_point = ProjectivePoint::GENERATOR * y + n().unwrap() * w0;
    let share_v = encode_point(&share_v_point);
    assert_eq!(share_v.to_vec(), hex_of(v, "shareV"));
    let z_v = encode_point(&((share_p - m().unwrap() * w0) * y));
    let v_v = encode_point(&(verifier.l * y));
    let z_p = encode_point(&((share_v_point - n().unwrap() * w0) * x));
    let v_p = encode_point(&((share_v_point - n().unwrap() * w0) * w1));
    assert_eq!(z_v.to_vec(), hex_of(v, "Z"));
    assert_eq!(z_p, z_v);
    assert_eq!(v_v.to_vec(), hex_of(v, "V"));
    assert_eq!(v_p, v_v);

    let tt = transcript(
        &binding,
        &TranscriptInputs {
            share_p: prover.share(),
            share_v: &share_v,
            z: &z_v,
            v: &v_v,
            w0: &scalar_bytes(&w0),
        },
    );
    assert_eq!(*tt, hex_of(v, "TT"));
    let keys = KeySchedule::derive(&tt).unwrap();
    assert_eq!(keys.k_main.to_vec(), hex_of(v, "K_main"));
    assert_eq!(keys.k_confirm_p.to_vec(), hex_of(v, "K_confirmP"));
    assert_eq!(keys.k_confirm_v.to_vec(), hex_of(v, "K_confirmV"));
    assert_eq!(keys.k_shared.to_vec(), hex_of(v, "K_shared"));
    assert_eq!(keys.confirm_p(&share_v).to_vec(), hex_of(v, "confirmP"));
    assert_eq!(
        keys.confirm_v(prover.share()).to_vec(),
        hex_of(v, "confirmV")
    );

    // The verifier's own computation with the vector's y agrees with all of the above.
    let response = verifier.respond_with(&binding, &share_p, &y).unwrap();
    assert_eq!(response.share_v, share_v);
    assert_eq!(response.confirm_v.to_vec(), hex_of(v, "confirmV"));
    let (confirm_p, key) = prover
        .finish(&binding, &response.share_v, &response.confirm_v)
        .unwrap();
    assert_eq!(confirm_p.to_vec(), hex_of(v, "confirmP"));
    assert_eq!(key.as_bytes().to_vec(), hex_of(v, "K_shared"));
}

// [PAIR-7] w0s mod n: a 40-byte value above n reduces to the same scalar as its residue.
#[test]
fn wide_reduction_matches_residue() {
    // n = ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551
    let n_bytes: [u8; 32] =
        hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")
            .unwrap()
            .try_into()
            .unwrap();
    // 40 bytes: 0x00..00 ‖ n  ==  n  ≡ 0
    let mut wide = [0u8; 40];
    wide[8..].copy_from_slice(&n_bytes);
    assert_eq!(reduce_wide(&wide), Scalar::ZERO);
    // n + 5 ≡ 5
    wide[39] += 5;
    assert_eq!(reduce_wide(&wide), Scalar::from(5u64));
    // 2^256 mod n = 2^256 - n: checks that the bytes above the low 32 are used.
    let mut two_256 = [0u8; 40];
    two_256[7] = 1;
    let two_256_minus_n: [u8; 32] =
        hex::decode("00000000ffffffff00000000000000004319055258e8617b0c46353d039cdaaf")
            .unwrap()
            .try_into()
            .unwrap();
    assert_eq!(
        reduce_wide(&two_256),
        scalar_from_bytes(&two_256_minus_n).unwrap()
    );
}

//! SPAKE2+ (RFC 9383) through the public API against the published vectors in
//! `tests/vectors/spake2plus-p256-rfc9383.json`: the RFC's exchange with its `x` and `y`
//! injected through the `Random` trait, and Matter's PBKDF2 verifier derivation. The
//! intermediate values (Z, V, TT, K_main, confirmation keys) are checked by the unit tests in
//! `src/spake2plus/tests.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::crypto::{CryptoError, Random, SeededRandom};
use orbit_core::spake2plus::{
    Binding, Prover, ProverSecrets, ShareKind, Spake2PlusError, Verifier, POINT_LEN,
};
use orbit_core::status::Status;
use proptest::prelude::*;

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/spake2plus-p256-rfc9383.json"
);

fn doc() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(VECTORS).unwrap()).unwrap()
}

fn hex_of(v: &serde_json::Value, field: &str) -> Vec<u8> {
    hex::decode(
        v[field]
            .as_str()
            .unwrap_or_else(|| panic!("missing {field}")),
    )
    .unwrap()
}

/// A "random" source that replays fixed bytes: injects the vector's scalars.
struct Replay(Vec<u8>);

impl Random for Replay {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), CryptoError> {
        if self.0.len() < dest.len() {
            return Err(CryptoError::RandomFailed);
        }
        let rest = self.0.split_off(dest.len());
        dest.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}

struct Rfc {
    context: Vec<u8>,
    id_prover: Vec<u8>,
    id_verifier: Vec<u8>,
    v: serde_json::Value,
}

impl Rfc {
    fn load() -> Self {
        let v = doc()["rfc9383"][0].clone();
        Rfc {
            context: v["context_ascii"].as_str().unwrap().as_bytes().to_vec(),
            id_prover: v["idProver_ascii"].as_str().unwrap().as_bytes().to_vec(),
            id_verifier: v["idVerifier_ascii"].as_str().unwrap().as_bytes().to_vec(),
            v,
        }
    }
    fn binding(&self) -> Binding<'_> {
        Binding {
            context: &self.context,
            id_prover: &self.id_prover,
            id_verifier: &self.id_verifier,
        }
    }
    fn h(&self, f: &str) -> Vec<u8> {
        hex_of(&self.v, f)
    }
    fn secrets(&self) -> ProverSecrets {
        ProverSecrets::from_scalars(
            &self.h("w0").try_into().unwrap(),
            &self.h("w1").try_into().unwrap(),
        )
        .unwrap()
    }
    fn verifier(&self) -> Verifier {
        let mut bytes = self.h("w0");
        bytes.extend(self.h("L"));
        Verifier::from_bytes(&bytes).unwrap()
    }
}

// [PAIR-12] [PAIR-13] [PAIR-15] RFC 9383 Appendix C through the public API: shareP, shareV,
// confirmV, confirmP and K_shared byte for byte, with x and y drawn from the Random trait.
#[test]
fn rfc9383_exchange_byte_for_byte() {
    let rfc = Rfc::load();
    let secrets = rfc.secrets();
    assert_eq!(secrets.verifier(), rfc.verifier());
    assert_eq!(rfc.verifier().l_bytes().to_vec(), rfc.h("L"));

    let prover = Prover::start(&secrets, &mut Replay(rfc.h("x"))).unwrap();
    assert_eq!(prover.share().to_vec(), rfc.h("shareP"));

    let response = rfc
        .verifier()
        .respond(&rfc.binding(), prover.share(), &mut Replay(rfc.h("y")))
        .unwrap();
    assert_eq!(response.share_v.to_vec(), rfc.h("shareV"));
    assert_eq!(response.confirm_v.to_vec(), rfc.h("confirmV"));

    let (confirm_p, prover_key) = prover
        .finish(&rfc.binding(), &response.share_v, &response.confirm_v)
        .unwrap();
    assert_eq!(confirm_p.to_vec(), rfc.h("confirmP"));
    assert_eq!(prover_key.as_bytes().to_vec(), rfc.h("K_shared"));

    let verifier_key = response.expect_confirm_p.confirm(&confirm_p).unwrap();
    assert_eq!(verifier_key.as_bytes().to_vec(), rfc.h("K_shared"));
}

// [PAIR-13] scalars are rejection-sampled: a draw of n or above, or of zero, is discarded and
// the next draw is used, so the result is still the vector's x.
#[test]
fn scalar_sampling_rejects_out_of_range_and_zero() {
    let rfc = Rfc::load();
    let mut stream = vec![0xffu8; 32]; // >= n
    stream.extend([0u8; 32]); // zero
    stream.extend(rfc.h("x"));
    let prover = Prover::start(&rfc.secrets(), &mut Replay(stream)).unwrap();
    assert_eq!(prover.share().to_vec(), rfc.h("shareP"));

    // A source that only ever yields rejected values ends in an error, not a hang.
    struct AllOnes;
    impl Random for AllOnes {
        fn fill(&mut self, dest: &mut [u8]) -> Result<(), CryptoError> {
            dest.fill(0xff);
            Ok(())
        }
    }
    let err = Prover::start(&rfc.secrets(), &mut AllOnes).unwrap_err();
    assert_eq!(err, Spake2PlusError::Crypto(CryptoError::RandomFailed));
}

// [PAIR-7] [PAIR-8] Matter's published verifier: PBKDF2 over the passcode as 4 little-endian bytes,
// 80 bytes of output, w0 = w0s mod n, L = (w1s mod n)·P; serialized as w0 ‖ L.
#[test]
fn pbkdf2_verifier_matches_matter_vector() {
    let d = doc();
    let m = &d["matter_pbkdf_verifier"][0];
    let passcode = u32::try_from(m["passcode"].as_u64().unwrap()).unwrap();
    assert_eq!(
        passcode.to_le_bytes().to_vec(),
        hex_of(m, "passcode_le_hex")
    );
    let salt = m["salt_ascii"].as_str().unwrap().as_bytes();
    let iterations = u32::try_from(m["iterations"].as_u64().unwrap()).unwrap();

    let verifier = Verifier::from_passcode(passcode, salt, iterations).unwrap();
    assert_eq!(verifier.w0_bytes().to_vec(), hex_of(m, "w0"));
    assert_eq!(verifier.l_bytes().to_vec(), hex_of(m, "L"));
    let mut serialized = hex_of(m, "w0");
    serialized.extend(hex_of(m, "L"));
    assert_eq!(verifier.to_bytes().to_vec(), serialized);
    assert_eq!(Verifier::from_bytes(&serialized).unwrap(), verifier);

    // The prover's derivation gives the same verifier.
    let secrets = ProverSecrets::from_passcode(passcode, salt, iterations).unwrap();
    assert_eq!(secrets.verifier(), verifier);
    // Another passcode gives another verifier.
    assert_ne!(
        Verifier::from_passcode(passcode + 1, salt, iterations).unwrap(),
        verifier
    );
    // PBKDF2 needs at least one iteration.
    assert!(matches!(
        Verifier::from_passcode(passcode, salt, 0),
        Err(Spake2PlusError::Crypto(_))
    ));
}

fn invalid_points() -> Vec<(&'static str, Vec<u8>)> {
    let rfc = Rfc::load();
    let good = rfc.h("shareP");
    let mut off_curve = good.clone();
    off_curve[64] ^= 1;
    let mut compressed = vec![0x02];
    compressed.extend(&good[1..33]);
    let mut bad_tag = good.clone();
    bad_tag[0] = 0x05;
    // x = p (not a field element), y anything
    let mut x_is_p = vec![0x04];
    x_is_p.extend(
        hex::decode("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff").unwrap(),
    );
    x_is_p.extend(&good[33..]);
    vec![
        ("empty", vec![]),
        ("identity", vec![0x00]),
        ("off curve", off_curve),
        ("compressed", compressed),
        ("hybrid/unknown tag", bad_tag),
        ("coordinate not below p", x_is_p),
        ("too long", [good.clone(), vec![0]].concat()),
        ("too short", good[..POINT_LEN - 1].to_vec()),
        ("all zero", vec![0u8; POINT_LEN]),
    ]
}

// [PAIR-14] the verifier rejects an invalid shareP and the prover an invalid shareV, with a
// typed error, before any secret-dependent work.
#[test]
fn invalid_shares_are_rejected() {
    let rfc = Rfc::load();
    let mut rng = SeededRandom::new(3);
    for (what, bytes) in invalid_points() {
        let err = rfc
            .verifier()
            .respond(&rfc.binding(), &bytes, &mut rng)
            .unwrap_err();
        assert_eq!(
            err,
            Spake2PlusError::InvalidShare(ShareKind::Prover),
            "{what}"
        );
        assert_eq!(err.status(), Status::INVALID_MESSAGE);

        let prover = Prover::start(&rfc.secrets(), &mut rng).unwrap();
        let err = prover
            .finish(&rfc.binding(), &bytes, &[0u8; 32])
            .unwrap_err();
        assert_eq!(
            err,
            Spake2PlusError::InvalidShare(ShareKind::Verifier),
            "{what}"
        );
    }
}

/// Changes (shareV, confirmV, context) between the verifier and the prover.
type Tamper<'a> = dyn Fn(&mut Vec<u8>, &mut [u8; 32], &mut Vec<u8>) + 'a;

// [PAIR-17] [PAIR-18] tampering with any input breaks confirmation on the checking side.
#[test]
fn tampering_breaks_confirmation() {
    let rfc = Rfc::load();
    let run = |tamper: &Tamper<'_>| {
        let prover = Prover::start(&rfc.secrets(), &mut Replay(rfc.h("x"))).unwrap();
        let response = rfc
            .verifier()
            .respond(&rfc.binding(), prover.share(), &mut Replay(rfc.h("y")))
            .unwrap();
        let mut share_v = response.share_v.to_vec();
        let mut confirm_v = response.confirm_v;
        let mut context = rfc.context.clone();
        tamper(&mut share_v, &mut confirm_v, &mut context);
        let binding = Binding {
            context: &context,
            ..rfc.binding()
        };
        prover.finish(&binding, &share_v, &confirm_v).map(|_| ())
    };
    assert_eq!(run(&|_, _, _| {}), Ok(()));
    assert_eq!(
        run(&|_, c, _| c[0] ^= 1),
        Err(Spake2PlusError::ConfirmationFailed)
    );
    assert_eq!(
        run(&|_, _, ctx| ctx.push(b'!')),
        Err(Spake2PlusError::ConfirmationFailed)
    );
    // Another valid point as shareV.
    let other = rfc.h("shareP");
    assert_eq!(
        run(&|s, _, _| *s = other.clone()),
        Err(Spake2PlusError::ConfirmationFailed)
    );

    // The verifier rejects a wrong confirmP, including a truncated one.
    let prover = Prover::start(&rfc.secrets(), &mut Replay(rfc.h("x"))).unwrap();
    let response = rfc
        .verifier()
        .respond(&rfc.binding(), prover.share(), &mut Replay(rfc.h("y")))
        .unwrap();
    let mut confirm_p = rfc.h("confirmP");
    confirm_p[31] ^= 0x80;
    assert_eq!(
        response.expect_confirm_p.confirm(&confirm_p).unwrap_err(),
        Spake2PlusError::ConfirmationFailed
    );
    let response = rfc
        .verifier()
        .respond(&rfc.binding(), prover.share(), &mut Replay(rfc.h("y")))
        .unwrap();
    assert!(response
        .expect_confirm_p
        .confirm(&rfc.h("confirmP")[..31])
        .is_err());
}

#[test]
fn verifier_serialization_is_strict() {
    let rfc = Rfc::load();
    let good = rfc.verifier().to_bytes();
    assert!(Verifier::from_bytes(&good[..96]).is_err());
    assert!(Verifier::from_bytes(&[&good[..], &[0]].concat()).is_err());
    let mut w0_too_big = good;
    w0_too_big[..32].fill(0xff);
    assert_eq!(
        Verifier::from_bytes(&w0_too_big),
        Err(Spake2PlusError::InvalidVerifier)
    );
    let mut bad_l = good;
    bad_l[96] ^= 1;
    assert_eq!(
        Verifier::from_bytes(&bad_l),
        Err(Spake2PlusError::InvalidVerifier)
    );
    assert!(ProverSecrets::from_scalars(&[0xff; 32], &[1; 32]).is_err());
}

#[test]
fn secrets_do_not_print() {
    let rfc = Rfc::load();
    let w0_prefix = &rfc.v["w0"].as_str().unwrap()[..8];
    for text in [
        format!("{:?}", rfc.secrets()),
        format!("{:?}", rfc.verifier()),
        format!(
            "{:?}",
            Prover::start(&rfc.secrets(), &mut Replay(rfc.h("x"))).unwrap()
        ),
    ] {
        assert!(!text.contains(w0_prefix), "{text}");
        assert!(text.ends_with("(..)") || text.ends_with(".. }"), "{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    // Any two honest parties with the same secrets agree; different secrets never confirm.
    #[test]
    fn exchange_agrees_iff_same_secrets(
        seed in any::<u64>(),
        w0 in any::<[u8; 32]>(),
        w1 in any::<[u8; 32]>(),
        flip in 0usize..64,
    ) {
        agree_iff_same(seed, w0, w1, flip)?;
    }

    // Decoding a share never panics, whatever the bytes.
    #[test]
    fn share_decoding_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let rfc = Rfc::load();
        let mut rng = SeededRandom::new(1);
        let response = rfc.verifier().respond(&rfc.binding(), &bytes, &mut rng);
        if bytes.len() != POINT_LEN || bytes[0] != 0x04 {
            prop_assert!(response.is_err());
        }
        prop_assert!(Verifier::from_bytes(&bytes).is_err() || bytes.len() == 97);
    }
}

fn agree_iff_same(seed: u64, w0: [u8; 32], w1: [u8; 32], flip: usize) -> Result<(), TestCaseError> {
    let mut rng = SeededRandom::new(seed);
    let mut ws = [0u8; 80];
    ws[..32].copy_from_slice(&w0);
    ws[40..72].copy_from_slice(&w1);
    let secrets = ProverSecrets::from_registration_output(&ws);
    let binding = Binding {
        context: b"ctx",
        id_prover: b"",
        id_verifier: b"",
    };
    let prover = Prover::start(&secrets, &mut rng).unwrap();
    let response = secrets
        .verifier()
        .respond(&binding, prover.share(), &mut rng)
        .unwrap();
    let (confirm_p, k1) = prover
        .finish(&binding, &response.share_v, &response.confirm_v)
        .unwrap();
    let k2 = response.expect_confirm_p.confirm(&confirm_p).unwrap();
    prop_assert_eq!(k1.as_bytes(), k2.as_bytes());

    // Change one bit of w0s or w1s: the prover rejects the verifier's confirmation.
    let mut other = ws;
    other[if flip < 32 { flip } else { 40 + flip - 32 }] ^= 1;
    let wrong = ProverSecrets::from_registration_output(&other);
    let prover = Prover::start(&wrong, &mut rng).unwrap();
    let response = secrets
        .verifier()
        .respond(&binding, prover.share(), &mut rng)
        .unwrap();
    prop_assert_eq!(
        prover
            .finish(&binding, &response.share_v, &response.confirm_v)
            .unwrap_err(),
        Spake2PlusError::ConfirmationFailed
    );
    Ok(())
}

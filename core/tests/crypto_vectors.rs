//! Published vectors for the primitives Orbit wraps: HKDF-SHA256 (RFC 5869), Ed25519
//! (RFC 8032) and X25519 (RFC 7748). Each file in tests/vectors/ names its source.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::crypto::hash::{hkdf_sha256, hmac_sha256};
use orbit_core::crypto::sign::{PublicKey, Signature, SigningKey};
use orbit_core::crypto::x25519::EphemeralSecret;
use orbit_core::crypto::CryptoError;

fn load(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn h(v: &serde_json::Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn hkdf_rfc5869() {
    let doc = load("hkdf-sha256-rfc5869.json");
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 3);
    for t in tests {
        let (ikm, salt, info, okm) = (h(&t["ikm"]), h(&t["salt"]), h(&t["info"]), h(&t["okm"]));
        // PRK = HMAC(salt, IKM) is what HKDF-Extract computes.
        assert_eq!(
            hmac_sha256(&salt, &[&ikm]).to_vec(),
            h(&t["prk"]),
            "{}",
            t["name"]
        );
        let mut out = vec![0u8; okm.len()];
        hkdf_sha256(&salt, &ikm, &info, &mut out).unwrap();
        assert_eq!(out, okm, "{}", t["name"]);
    }
}

#[test]
fn ed25519_rfc8032() {
    let doc = load("ed25519-rfc8032.json");
    for t in doc["tests"].as_array().unwrap() {
        let seed: [u8; 32] = h(&t["secret_key"]).try_into().unwrap();
        let key = SigningKey::from_seed(&seed);
        assert_eq!(key.public_key().0.to_vec(), h(&t["public_key"]));
        let msg = h(&t["message"]);
        let sig = key.sign(&msg);
        assert_eq!(sig.0.to_vec(), h(&t["signature"]));
        let pk = PublicKey::from_slice(&h(&t["public_key"])).unwrap();
        pk.verify(&msg, &Signature::from_slice(&h(&t["signature"])).unwrap())
            .unwrap();
        let mut bad = sig;
        bad.0[0] ^= 1;
        assert_eq!(pk.verify(&msg, &bad), Err(CryptoError::BadSignature));
    }
}

#[test]
fn x25519_rfc7748() {
    let doc = load("x25519-rfc7748.json");
    for t in doc["scalar_mult"].as_array().unwrap() {
        let k: [u8; 32] = h(&t["scalar"]).try_into().unwrap();
        let out = EphemeralSecret::from_bytes(k).agree(&h(&t["u"])).unwrap();
        assert_eq!(out.to_vec(), h(&t["output"]), "{}", t["name"]);
    }
    // Iterated vector, 1 and 1,000 iterations (1,000,000 is too slow for every CI run).
    let it = &doc["iterated"];
    let mut k: [u8; 32] = h(&it["start"]).try_into().unwrap();
    let mut u = k;
    for n in 1..=1000 {
        let r = EphemeralSecret::from_bytes(k).agree(&u).unwrap();
        u = k;
        k = r;
        if n == 1 {
            assert_eq!(k.to_vec(), h(&it["after_1"]));
        }
    }
    assert_eq!(k.to_vec(), h(&it["after_1000"]));
    let dh = &doc["diffie_hellman"];
    let a: [u8; 32] = h(&dh["alice_private"]).try_into().unwrap();
    let b: [u8; 32] = h(&dh["bob_private"]).try_into().unwrap();
    let (a, b) = (
        EphemeralSecret::from_bytes(a),
        EphemeralSecret::from_bytes(b),
    );
    assert_eq!(a.public_key().to_vec(), h(&dh["alice_public"]));
    assert_eq!(b.public_key().to_vec(), h(&dh["bob_public"]));
    assert_eq!(
        a.agree(&b.public_key()).unwrap().to_vec(),
        h(&dh["shared_secret"])
    );
    assert_eq!(
        b.agree(&a.public_key()).unwrap().to_vec(),
        h(&dh["shared_secret"])
    );
}

#[test]
fn x25519_rejects_low_order_points() {
    let k = EphemeralSecret::from_bytes([7u8; 32]);
    assert_eq!(k.agree(&[0u8; 32]), Err(CryptoError::NonContributory));
    assert_eq!(k.agree(&[1u8; 31]), Err(CryptoError::InvalidPublicKey));
}

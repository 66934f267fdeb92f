//! Negative certificate vectors (`spec/v1/vectors/certificates-negative.json`): operational
//! certificates validated against a home root [CERT-8] and attestation chains validated
//! against the development vendor root [ATT-3] [ATT-4], each with the reference validator's
//! verdict: accepted, or the error and the status a node answers with. Built from fixed
//! randomness; with `ORBIT_REGEN_VECTORS=1` the test rewrites the file, otherwise it fails
//! when the file and the code differ, and re-validates every input of the file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod vector_support;

use orbit_core::attest::{mint_device, AttestationChain, TrustStore, VendorAuthority};
use orbit_core::cert::{
    validate_operational, CertError, CertKind, Certificate, HomeAuthority, KeyId, NodeRole,
    TbsCertificate, Validity,
};
use orbit_core::crypto::sign::SigningKey;
use orbit_core::crypto::SeededRandom;
use serde_json::{json, Value as Json};
use vector_support::{check_file, hex, unhex};

const NOW: u64 = 1_800_000_000;
const YEAR: u64 = 365 * 86_400;

fn error_name(e: &CertError) -> String {
    let debug = format!("{e:?}");
    let name = debug.split([' ', '{', '(']).next().unwrap();
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn verdict<T>(r: Result<T, CertError>) -> Json {
    match r {
        Ok(_) => json!({ "accepted": true }),
        Err(e) => json!({
            "accepted": false,
            "error": error_name(&e),
            "status": e.status().name().unwrap(),
        }),
    }
}

/// Validates an operational certificate given as bytes against a root given as bytes.
fn check_operational(cert: &[u8], root: &[u8], now: u64) -> Json {
    let root = Certificate::decode(root).unwrap();
    verdict(Certificate::decode(cert).and_then(|c| validate_operational(&c, &root, None, now)))
}

fn development_trust() -> TrustStore {
    let mut trust = TrustStore::new();
    trust
        .add_root(VendorAuthority::development().root().clone())
        .unwrap();
    trust
}

fn check_chain(chain: &[u8], now: u64) -> Json {
    match AttestationChain::decode(chain) {
        Ok(c) => verdict(development_trust().verify(&c, now)),
        Err(e) => verdict::<()>(Err(CertError::Malformed(e))),
    }
}

fn operational_tbs(
    home: &HomeAuthority,
    subject: &SigningKey,
    validity: Validity,
) -> TbsCertificate {
    TbsCertificate {
        kind: CertKind::OPERATIONAL,
        serial: 77,
        subject_key: subject.public_key(),
        issuer: KeyId::of(&home.root_key().public_key()),
        validity,
        home_id: Some(home.home_id()),
        node_id: Some(0x2001),
        role: Some(NodeRole::CONTROLLER),
        vendor_id: None,
        product_id: None,
    }
}

fn operational_cases(rng: &mut SeededRandom) -> (Json, Vec<Json>) {
    let home = HomeAuthority::create(rng, NOW - YEAR, 20 * YEAR).unwrap();
    let other = HomeAuthority::create(rng, NOW - YEAR, 20 * YEAR).unwrap();
    let subject = SigningKey::from_seed(&[0x33; 32]);
    let valid = Validity::starting(NOW - 86_400, YEAR);
    let good = operational_tbs(&home, &subject, valid);
    let sign = |tbs: TbsCertificate| Certificate::sign(tbs, home.root_key()).to_bytes();
    let mut cases: Vec<(&str, Vec<u8>, u64)> = vec![
        ("valid", sign(good.clone()), NOW),
        (
            "checked after not_after",
            sign(good.clone()),
            good.validity.not_after + 1,
        ),
        (
            "checked before not_before",
            sign(good.clone()),
            good.validity.not_before - 1,
        ),
        (
            "issued by another home's root (issuer names this root, signed by the other)",
            Certificate::sign(good.clone(), other.root_key()).to_bytes(),
            NOW,
        ),
        (
            "issuer key identifier names another key",
            sign(TbsCertificate {
                issuer: KeyId::of(&other.root_key().public_key()),
                ..good.clone()
            }),
            NOW,
        ),
        (
            "of kind device (5) instead of operational (2)",
            sign(TbsCertificate {
                kind: CertKind::DEVICE,
                ..good.clone()
            }),
            NOW,
        ),
        (
            "without node_id",
            sign(TbsCertificate {
                node_id: None,
                ..good.clone()
            }),
            NOW,
        ),
        (
            "naming another home than its root's",
            sign(TbsCertificate {
                home_id: Some(other.home_id()),
                ..good.clone()
            }),
            NOW,
        ),
    ];
    let mut bad_signature = sign(good.clone());
    let last = bad_signature.len() - 1;
    bad_signature[last] ^= 0x01;
    cases.push(("its signature's last byte changed", bad_signature, NOW));
    let mut trailing = sign(good.clone());
    trailing.push(0x00);
    cases.push(("a byte after the certificate", trailing, NOW));
    let root = home.root_cert().to_bytes();
    let out = cases
        .into_iter()
        .map(|(title, cert, now)| {
            json!({
                "title": title,
                "certificate": hex(&cert),
                "now": now,
                "verdict": check_operational(&cert, &root, now),
            })
        })
        .collect();
    (
        json!({ "home_root": hex(&root), "home_id": format!("{:016x}", home.home_id()) }),
        out,
    )
}

fn chain_cases(rng: &mut SeededRandom) -> Vec<Json> {
    let vendor = VendorAuthority::development();
    let valid = Validity::starting(NOW - 86_400, YEAR);
    let (product, product_key) = vendor.mint_product(rng, 0xFFF1, 0x8001, valid).unwrap();
    let good = mint_device(rng, &product, &product_key, 5, valid)
        .unwrap()
        .chain;
    let device_tbs = good.device.tbs().clone();
    let resign = |tbs: TbsCertificate| AttestationChain {
        product: product.clone(),
        device: Certificate::sign(tbs, &product_key),
    };
    let stranger = VendorAuthority::generate(rng, Some(0xFFF1), valid).unwrap();
    let (foreign_product, foreign_key) = stranger.mint_product(rng, 0xFFF1, 0x8001, valid).unwrap();
    let (other_vendor_product, ovp_key) = vendor.mint_product(rng, 0xFFF2, 0x8001, valid).unwrap();
    let other_key = SigningKey::from_seed(&[0x44; 32]);
    let mut cases: Vec<(&str, Vec<u8>, u64)> = vec![
        ("valid", good.to_bytes(), NOW),
        (
            "checked after the device certificate's not_after",
            good.to_bytes(),
            valid.not_after + 1,
        ),
        (
            "product certificate from a vendor root the controller does not trust",
            mint_device(rng, &foreign_product, &foreign_key, 5, valid)
                .unwrap()
                .chain
                .to_bytes(),
            NOW,
        ),
        (
            "product certificate for vendor 0xFFF2 under the development root (vendor 0xFFF1)",
            mint_device(rng, &other_vendor_product, &ovp_key, 5, valid)
                .unwrap()
                .chain
                .to_bytes(),
            NOW,
        ),
        (
            "device certificate naming another vendor than its product certificate",
            resign(TbsCertificate {
                vendor_id: Some(0xFFF2),
                ..device_tbs.clone()
            })
            .to_bytes(),
            NOW,
        ),
        (
            "device certificate naming another product than its product certificate",
            resign(TbsCertificate {
                product_id: Some(0x8002),
                ..device_tbs.clone()
            })
            .to_bytes(),
            NOW,
        ),
        (
            "device certificate signed by a key other than the product's",
            AttestationChain {
                product: product.clone(),
                device: Certificate::sign(device_tbs.clone(), &other_key),
            }
            .to_bytes(),
            NOW,
        ),
        (
            "product and device certificates swapped",
            AttestationChain {
                product: good.device.clone(),
                device: good.product.clone(),
            }
            .to_bytes(),
            NOW,
        ),
    ];
    let mut trailing = good.to_bytes();
    trailing.push(0x00);
    cases.push(("a byte after the chain", trailing, NOW));
    cases
        .into_iter()
        .map(|(title, chain, now)| {
            json!({
                "title": title,
                "chain": hex(&chain),
                "now": now,
                "verdict": check_chain(&chain, now),
            })
        })
        .collect()
}

fn compute() -> Json {
    let mut rng = SeededRandom::new(0x0bad_ce27);
    let (home, operational) = operational_cases(&mut rng);
    json!({
        "description": "Certificates and attestation chains a node must refuse (and one valid control of each), with the reference validator's verdict: accepted, or the error and the wire status a node reports (in a session-status, a commissioning status or an attestation failure). `operational`: each certificate is validated as a peer's operational certificate against `home_root` at time `now` (Unix seconds) [CERT-8] [HOME-3]. `chains`: each encoded attestation chain [product, device] is validated at `now` against a trust store holding only the development vendor root of certificates.json [ATT-3] [ATT-4] [ATT-5]. Certificates are [bstr tbs, bstr signature] as in certificates.json.",
        "generated_by": "core/tests/vectors_certificates_negative.rs (set ORBIT_REGEN_VECTORS=1 to rewrite)",
        "home": home,
        "development_vendor_root": hex(&VendorAuthority::development().root().to_bytes()),
        "operational": operational,
        "chains": chain_cases(&mut rng),
    })
}

// [CERT-2] [CERT-4] [CERT-5] [CERT-6] [CERT-7] [CERT-8] [HOME-3] [ATT-3] [ATT-4] the file
// matches the code, and every input in it gets the verdict the file gives.
#[test]
fn negative_certificate_vectors() {
    let file = check_file("certificates-negative.json", &compute());
    let root = unhex(&file["home"]["home_root"]);
    let ops = file["operational"].as_array().unwrap();
    assert!(
        ops.iter()
            .filter(|c| c["verdict"]["accepted"] == false)
            .count()
            >= 8
    );
    for c in ops {
        let got = check_operational(&unhex(&c["certificate"]), &root, c["now"].as_u64().unwrap());
        assert_eq!(got, c["verdict"], "{}", c["title"]);
    }
    for c in file["chains"].as_array().unwrap() {
        let got = check_chain(&unhex(&c["chain"]), c["now"].as_u64().unwrap());
        assert_eq!(got, c["verdict"], "{}", c["title"]);
    }
}

//! The seed corpus of every fuzz target, generated from the published vectors
//! (`spec/v1/vectors/`) and from honest runs of each handshake, and committed under
//! `fuzz/corpus/<target>/`. This test fails when a seed is missing or differs; to write them
//! after an intentional change:
//!
//! ```sh
//! ORBIT_REGEN_CORPUS=1 cargo test -p orbit-fuzz-targets --test seed_corpus
//! ```
//!
//! Files that fuzzing adds beside the seeds (minimised inputs worth keeping) are left alone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use orbit_core::attest::AttestationChain;
use orbit_core::cert::{Certificate, TbsCertificate, CERTIFICATE_LIMITS};
use orbit_core::codec::{decode_value, scan, CborMessage, Limits, Value};
use orbit_core::commission::{
    AttestationRequest, AttestationResponse, CommissioningComplete, InstallHome,
};
use orbit_core::interaction::{Envelope, IM_LIMITS};
use orbit_core::model::{Descriptor, DESCRIPTOR_LIMITS};
use orbit_core::pairing::{
    PairingStatus, Pake1, Pake2, Pake3, PbkdfParamRequest, PbkdfParamResponse,
};
use orbit_core::session::{
    SessionStatus, Sigma1, Sigma2, Sigma2Payload, Sigma2Resume, Sigma2ResumePayload, Sigma3,
    Sigma3Payload,
};
use orbit_core::setup::SetupPayload;
use orbit_fuzz_targets::{commission, pairing, session, TARGETS};
use orbit_quic::frame::{encode_frame, FrameKind};
use std::collections::BTreeMap;
use std::time::Instant;

/// Largest seed kept (the fuzzer's inputs are capped near this too).
const MAX_SEED: usize = 4096;
/// Most seeds per target: enough to reach every message kind, small enough to review.
const MAX_SEEDS: usize = 24;

type Seeds = BTreeMap<&'static str, Vec<(String, Vec<u8>)>>;

/// Every string of the vectors: hex ones as bytes, the others as text.
fn vector_strings() -> (Vec<Vec<u8>>, Vec<String>) {
    let dir = common::fuzz_dir().join("../spec/v1/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|f| f.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut hex_strings, mut texts) = (Vec::new(), Vec::new());
    for f in files {
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        walk(&json, &mut hex_strings, &mut texts);
    }
    (hex_strings, texts)
}

fn walk(v: &serde_json::Value, hex_strings: &mut Vec<Vec<u8>>, texts: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => match hex::decode(s) {
            Ok(b) if s.len() >= 2 => hex_strings.push(b),
            _ => texts.push(s.clone()),
        },
        serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, hex_strings, texts)),
        serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, hex_strings, texts)),
        _ => {}
    }
}

fn name(prefix: &str, bytes: &[u8]) -> String {
    // FNV-1a: a stable short name for the content.
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{prefix}-{h:016x}")
}

fn add(seeds: &mut Seeds, target: &'static str, prefix: &str, bytes: Vec<u8>) {
    let list = seeds.entry(target).or_default();
    if bytes.len() > MAX_SEED || list.len() >= MAX_SEEDS || list.iter().any(|(_, b)| *b == bytes) {
        return;
    }
    list.push((name(prefix, &bytes), bytes));
}

/// Each vector message its decoder accepts, for that decoder's target.
fn accepted<T: CborMessage>(seeds: &mut Seeds, target: &'static str, all: &[Vec<u8>]) {
    for b in all {
        if T::decode(b).is_ok() {
            add(seeds, target, "vector", b.clone());
        }
    }
}

/// A deterministic byte string for the plan-driven targets.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn seeds() -> Seeds {
    let (hex_strings, texts) = vector_strings();
    let mut s = Seeds::new();

    // Setup codes: every valid and invalid example of the vectors.
    for t in &texts {
        if SetupPayload::from_qr_str(t).is_ok() || t.starts_with("OB") || t.starts_with("MT") {
            add(&mut s, "setup_qr", "vector", t.as_bytes().to_vec());
        }
        if !t.is_empty()
            && t.len() <= 40
            && t.chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
        {
            add(&mut s, "setup_manual", "vector", t.as_bytes().to_vec());
        }
    }

    // The profile: every vector message under the limits that accept it (first byte = the
    // limits' index in codec.rs), and every one of the limits vectors under the defaults.
    let limit_sets: [Limits; 3] = [Limits::DEFAULT, IM_LIMITS, DESCRIPTOR_LIMITS];
    for b in &hex_strings {
        for (i, l) in limit_sets.iter().enumerate() {
            if scan(b, l).is_ok() || i == 0 && b.len() < 64 {
                let mut input = vec![i as u8];
                input.extend_from_slice(b);
                add(&mut s, "cbor_profile", "vector", input.clone());
                add(&mut s, "cbor_reader", "vector", input);
                break;
            }
        }
    }

    // Certificates, their signed content and attestation chains.
    for b in &hex_strings {
        if let Ok(c) = Certificate::decode(b) {
            add(&mut s, "certificate", "vector", b.clone());
            if let Value::Array(items) = c.to_value() {
                if let Some(Value::Bytes(tbs)) = items.first() {
                    add(&mut s, "tbs_certificate", "vector", tbs.clone());
                }
            }
        } else if decode_value(b, &CERTIFICATE_LIMITS).is_ok() {
            add(&mut s, "certificate", "vector", b.clone());
        }
    }
    accepted::<TbsCertificate>(&mut s, "tbs_certificate", &hex_strings);
    for b in &hex_strings {
        if AttestationChain::decode(b).is_ok() || b.len() > 600 && b.first() == Some(&0x82) {
            add(&mut s, "attestation_chain", "vector", b.clone());
        }
    }

    // Pairing, commissioning and session messages.
    let mut all = hex_strings.clone();
    all.extend(pairing::honest_messages());
    all.extend(commission::honest_messages());
    all.extend(session::honest_messages());
    accepted::<PbkdfParamRequest>(&mut s, "pairing_pbkdf_param_request", &all);
    accepted::<PbkdfParamResponse>(&mut s, "pairing_pbkdf_param_response", &all);
    accepted::<Pake1>(&mut s, "pairing_pake1", &all);
    accepted::<Pake2>(&mut s, "pairing_pake2", &all);
    accepted::<Pake3>(&mut s, "pairing_pake3", &all);
    accepted::<PairingStatus>(&mut s, "pairing_status", &all);
    accepted::<AttestationRequest>(&mut s, "commissioning_attestation_request", &all);
    accepted::<AttestationResponse>(&mut s, "commissioning_attestation_response", &all);
    accepted::<InstallHome>(&mut s, "commissioning_install_home", &all);
    accepted::<CommissioningComplete>(&mut s, "commissioning_complete", &all);
    accepted::<Sigma1>(&mut s, "session_sigma1", &all);
    accepted::<Sigma2>(&mut s, "session_sigma2", &all);
    accepted::<Sigma2Resume>(&mut s, "session_sigma2_resume", &all);
    accepted::<Sigma3>(&mut s, "session_sigma3", &all);
    accepted::<SessionStatus>(&mut s, "session_status", &all);

    // The encrypted payloads, built around a vector certificate.
    let cert = hex_strings
        .iter()
        .find(|b| Certificate::decode(b).is_ok())
        .cloned()
        .unwrap();
    let payloads = [
        (
            0u8,
            Sigma2Payload {
                certificate: cert.clone(),
                signature: [5; 64],
                ticket_id: Some([6; 16]),
            }
            .to_bytes(),
        ),
        (
            0u8,
            Sigma2Payload {
                certificate: cert.clone(),
                signature: [5; 64],
                ticket_id: None,
            }
            .to_bytes(),
        ),
        (
            1u8,
            Sigma3Payload {
                certificate: cert,
                signature: [7; 64],
            }
            .to_bytes(),
        ),
        (
            2u8,
            Sigma2ResumePayload {
                ticket_id: Some([8; 16]),
            }
            .to_bytes(),
        ),
        (2u8, Sigma2ResumePayload { ticket_id: None }.to_bytes()),
    ];
    for (which, bytes) in payloads {
        let mut input = vec![which];
        input.extend(bytes);
        add(&mut s, "session_payloads", "built", input);
    }

    // The handshakes: each honest step, and each refused input of the status vectors at the
    // step that receives it.
    for (target, honest) in [
        ("pairing_flow", pairing::honest_messages()),
        ("commissioning_flow", commission::honest_messages()),
        ("session_flow", session::honest_messages()),
    ] {
        for (step, m) in honest.into_iter().enumerate() {
            let mut input = vec![step as u8];
            input.extend(m);
            add(&mut s, target, "honest", input);
        }
    }

    // Interaction messages and descriptors: every vector message, and each reference device's
    // own descriptor.
    accepted::<Envelope>(&mut s, "interaction_envelope", &hex_strings);
    accepted::<Descriptor>(&mut s, "descriptor", &hex_strings);
    for kind in [
        orbit_devices::Kind::Lamp,
        orbit_devices::Kind::Thermostat,
        orbit_devices::Kind::Lock,
        orbit_devices::Kind::Sensor,
        orbit_devices::Kind::Strip,
    ] {
        let node = kind.build(Instant::now(), "seed").unwrap();
        add(&mut s, "descriptor", "device", node.descriptor().to_bytes());
    }

    // QUIC streams: the honest handshakes framed as the quic-streams vectors send them, in
    // pieces of several sizes (first byte), and one stream cut inside a frame.
    let mut stream = Vec::new();
    for (kind, messages) in [
        (FrameKind::PAIRING, pairing::honest_messages()),
        (FrameKind::PROTECTED, commission::honest_messages()),
        (FrameKind::SESSION, session::honest_messages()),
    ] {
        for m in messages.iter().filter(|m| !m.is_empty()) {
            encode_frame(kind, m, &mut stream).unwrap();
        }
    }
    for piece in [0u8, 1, 7, 255] {
        let mut input = vec![piece];
        input.extend_from_slice(&stream[..stream.len().min(MAX_SEED - 1)]);
        add(&mut s, "quic_frames", "honest", input);
    }
    add(&mut s, "quic_frames", "cut", vec![3, 1, 0, 9, 1, 2]);

    // The plan-driven targets: plans read from deterministic noise of a few lengths (any
    // bytes are a plan), plus the interaction vectors' requests as raw requests.
    for (i, len) in [32usize, 128, 512, 1024, 2048].into_iter().enumerate() {
        add(&mut s, "sealed_record", "plan", noise(i as u64 + 1, len));
        add(&mut s, "device_node", "plan", noise(i as u64 + 100, len));
    }
    s
}

#[test]
fn every_seed_is_committed() {
    let regen = std::env::var_os("ORBIT_REGEN_CORPUS").is_some();
    let seeds = seeds();
    for (target, _) in TARGETS {
        assert!(seeds.contains_key(target), "no seed for target {target}");
    }
    let corpus = common::fuzz_dir().join("corpus");
    for (target, list) in &seeds {
        let dir = corpus.join(target);
        if regen {
            std::fs::create_dir_all(&dir).unwrap();
        }
        for (name, bytes) in list {
            let path = dir.join(name);
            if regen {
                std::fs::write(&path, bytes).unwrap();
            } else {
                let committed = std::fs::read(&path).unwrap_or_else(|_| {
                    panic!(
                        "seed {} is not committed; run ORBIT_REGEN_CORPUS=1 cargo test -p orbit-fuzz-targets --test seed_corpus",
                        path.display()
                    )
                });
                assert_eq!(&committed, bytes, "seed {} differs", path.display());
            }
        }
    }
}

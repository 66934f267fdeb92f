//! Discovery vectors (`spec/v1/vectors/discovery-txt.json`): a commissionable and an
//! operational advertisement as a device publishes them (instance name, host name, subtype,
//! TXT entries and the TXT RDATA bytes), the operational instance ID's inputs, and TXT records
//! a parser must read or ignore with the verdict of the reference parser. Built from fixed
//! inputs; with `ORBIT_REGEN_VECTORS=1` the test rewrites the file, otherwise it fails when
//! the file and the code differ, and re-parses every record of the file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::crypto::sign::SigningKey;
use orbit_core::crypto::SeededRandom;
use orbit_core::setup::{Discriminator, ProductId, VendorId};
use orbit_discovery::{
    operational_instance_id, Advertisement, Commissionable, InstanceId, Operational, PairingHint,
    RecordError, SERVICE_TYPE,
};
use serde_json::{json, Value as Json};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// TXT RDATA: each `key=value` string after its length byte (RFC 6763 §6).
fn rdata(entries: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.push(u8::try_from(e.len()).unwrap());
        out.extend_from_slice(e.as_bytes());
    }
    out
}

fn published<A: Advertisement>(a: &A) -> Json {
    let entries: Vec<String> = a.txt().iter().map(|(k, v)| format!("{k}={v}")).collect();
    let bytes = rdata(&entries);
    json!({
        "service_type": SERVICE_TYPE,
        "instance": a.instance().to_string(),
        "host_name": a.instance().host_name(),
        "subtype": a.subtype().map(|s| format!("{s}._sub.{SERVICE_TYPE}")),
        "txt_entries": entries,
        "txt_rdata": hex(&bytes),
        "txt_len": bytes.len(),
    })
}

/// A record split into `(key, value)` pairs the way a DNS-SD library hands them over: the
/// text before the first `=`, and the bytes after it (none when there is no `=`).
fn pairs(entries: &[String]) -> Vec<(&str, Option<&[u8]>)> {
    entries
        .iter()
        .map(|e| match e.split_once('=') {
            Some((k, v)) => (k, Some(v.as_bytes())),
            None => (e.as_str(), None),
        })
        .collect()
}

fn error_name(e: &RecordError) -> String {
    match e {
        RecordError::BadInstanceName => "bad-instance-name".into(),
        RecordError::MissingKey { key } => format!("missing-key {key}"),
        RecordError::MissingValue { key } => format!("missing-value {key}"),
        RecordError::Malformed { key } => format!("malformed {key}"),
        RecordError::OutOfRange { key } => format!("out-of-range {key}"),
        RecordError::WrongMode { found, .. } => format!("wrong-mode {}", found.txt_value()),
        other => format!("{other:?}"),
    }
}

fn parse_commissionable(instance: InstanceId, entries: &[String]) -> Json {
    match Commissionable::from_txt(instance, pairs(entries)) {
        Ok(c) => json!({
            "accepted": true,
            "discriminator": c.discriminator.value(),
            "vendor_id": c.vendor_id.0,
            "product_id": c.product_id.0,
            "pairing_hint": c.pairing_hint.bits(),
            "versions": [c.versions.min.0, c.versions.max.0],
        }),
        Err(e) => json!({ "accepted": false, "error": error_name(&e) }),
    }
}

fn parse_operational(instance: InstanceId, entries: &[String]) -> Json {
    match Operational::from_txt(instance, pairs(entries)) {
        Ok(o) => json!({ "accepted": true, "versions": [o.versions.min.0, o.versions.max.0] }),
        Err(e) => json!({ "accepted": false, "error": error_name(&e) }),
    }
}

const PARSE_INSTANCE: &str = "0123456789abcdef";

fn parse_cases() -> Vec<Json> {
    let instance = InstanceId::parse(PARSE_INSTANCE).unwrap();
    let commissionable: [(&str, &[&str]); 12] = [
        (
            "as published",
            &["m=c", "v=1", "d=3840", "vp=65521+32769", "ph=1"],
        ),
        (
            "keys in another order and upper case",
            &["PH=1", "VP=65521+32769", "D=3840", "V=1", "M=c"],
        ),
        (
            "a key twice: the first counts",
            &["m=c", "v=1", "d=3840", "d=12", "vp=65521+32769", "ph=1"],
        ),
        (
            "an unknown key is ignored",
            &["m=c", "v=1", "d=3840", "vp=65521+32769", "ph=1", "zz=9"],
        ),
        (
            "reserved pairing-hint bits are kept",
            &["m=c", "v=1", "d=3840", "vp=65521+32769", "ph=17"],
        ),
        (
            "a version range",
            &["m=c", "v=1-3", "d=3840", "vp=65521+32769", "ph=1"],
        ),
        ("no ph", &["m=c", "v=1", "d=3840", "vp=65521+32769"]),
        (
            "a discriminator of 13 bits",
            &["m=c", "v=1", "d=4096", "vp=65521+32769", "ph=1"],
        ),
        (
            "a leading zero",
            &["m=c", "v=1", "d=03840", "vp=65521+32769", "ph=1"],
        ),
        (
            "vp without +",
            &["m=c", "v=1", "d=3840", "vp=65521", "ph=1"],
        ),
        (
            "d without a value",
            &["m=c", "v=1", "d", "vp=65521+32769", "ph=1"],
        ),
        (
            "the operational mode",
            &["m=o", "v=1", "d=3840", "vp=65521+32769", "ph=1"],
        ),
    ];
    let operational: [(&str, &[&str]); 4] = [
        ("as published", &["m=o", "v=1"]),
        ("no v", &["m=o"]),
        ("a reversed version range", &["m=o", "v=3-1"]),
        ("the commissionable mode", &["m=c", "v=1"]),
    ];
    let mut out = Vec::new();
    for (title, entries) in commissionable {
        let entries: Vec<String> = entries.iter().map(|s| (*s).to_owned()).collect();
        out.push(json!({
            "title": title,
            "mode": "commissionable",
            "txt_entries": entries,
            "verdict": parse_commissionable(instance, &entries),
        }));
    }
    for (title, entries) in operational {
        let entries: Vec<String> = entries.iter().map(|s| (*s).to_owned()).collect();
        out.push(json!({
            "title": title,
            "mode": "operational",
            "txt_entries": entries,
            "verdict": parse_operational(instance, &entries),
        }));
    }
    out
}

fn compute() -> Json {
    let mut rng = SeededRandom::new(0x0d15c0);
    let commissionable = Commissionable::new(
        &mut rng,
        Discriminator::new(3840).unwrap(),
        VendorId(0xFFF1),
        ProductId(0x8001),
        PairingHint::POWER_UP,
    )
    .unwrap();
    let root = SigningKey::from_seed(&[0x21; 32]).public_key();
    let home_id: u64 = 0x0123_4567_89ab_cdef;
    let node_id: u64 = 0x42;
    let operational = Operational::new(operational_instance_id(&root.0, home_id, node_id));
    json!({
        "description": "DNS-SD advertisements (spec/v1/17-discovery.md). `commissionable`: a device with discriminator 3840, vendor 0xFFF1, product 0x8001, pairing hint 1 (power-up), whose random instance name [DISC-6] came from the test generator. `operational`: the instance of node `node_id` in home `home_id` with home root public key `home_root_public_key`; its name is the first 8 bytes of HMAC-SHA256(key = the root public key, message = the domain string, then home_id and node_id as 8-byte big-endian integers) [DISC-11]. Each gives the service type, instance name, host name [DISC-4], subtype [DISC-9], TXT entries in the order published and the TXT RDATA (each entry after its length byte). `parsing`: TXT records as a controller may receive them (each entry split at its first `=`), with the reference parser's verdict: the record's fields, or the error for which a controller ignores the instance [DISC-3].",
        "generated_by": "transports/discovery/tests/txt_vectors.rs (set ORBIT_REGEN_VECTORS=1 to rewrite)",
        "commissionable": published(&commissionable),
        "operational": {
            "home_root_public_key": hex(&root.0),
            "home_id": format!("{home_id:016x}"),
            "node_id": format!("{node_id:016x}"),
            "domain": String::from_utf8(orbit_discovery::instance::OPERATIONAL_DOMAIN.to_vec()).unwrap(),
            "published": published(&operational),
        },
        "parsing_instance": PARSE_INSTANCE,
        "parsing": parse_cases(),
    })
}

// [DISC-2] [DISC-3] [DISC-4] [DISC-7] [DISC-9] [DISC-10] [DISC-11] the file matches the code;
// every record in it parses to the verdict it lists, and the published records are within
// the 200-byte bound.
#[test]
fn discovery_txt_vectors() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec/v1/vectors/discovery-txt.json"
    );
    let fresh = compute();
    if std::env::var_os("ORBIT_REGEN_VECTORS").is_some() {
        std::fs::write(path, serde_json::to_string_pretty(&fresh).unwrap() + "\n").unwrap();
    }
    let file: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        file == fresh,
        "spec/v1/vectors/discovery-txt.json is stale: rerun with ORBIT_REGEN_VECTORS=1"
    );
    let instance = InstanceId::parse(file["parsing_instance"].as_str().unwrap()).unwrap();
    for case in file["parsing"].as_array().unwrap() {
        let entries: Vec<String> = case["txt_entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap().to_owned())
            .collect();
        let verdict = match case["mode"].as_str().unwrap() {
            "commissionable" => parse_commissionable(instance, &entries),
            _ => parse_operational(instance, &entries),
        };
        assert_eq!(verdict, case["verdict"], "{}", case["title"]);
    }
    for published in [&file["commissionable"], &file["operational"]["published"]] {
        assert!(published["txt_len"].as_u64().unwrap() <= 200);
        let name = published["instance"].as_str().unwrap();
        assert_eq!(InstanceId::parse(name).unwrap().to_string(), name);
    }
}

//! Receive-side key update vectors (`spec/v1/vectors/key-update.json`): messages a sender
//! seals with a key update every two messages [MSG-15], delivered to a receiver out of order,
//! with losses, a replay and a forgery, and for each delivery what the receiver does: the key
//! generation the message opens with, or the status it is dropped with [MSG-11], and the
//! receiver's generation after it [MSG-16] [MSG-17]. With `ORBIT_REGEN_VECTORS=1` the test
//! rewrites the file; otherwise it fails when the file and the code differ, and replays the
//! file's deliveries into a fresh receiver.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod vector_support;

use orbit_core::protect::{ProtectConfig, Protector, SessionId, SessionKeys, TrafficSecret};
use serde_json::{json, Value as Json};
use vector_support::{check_file, hex, unhex};

const SECRET: [u8; 32] = [0x3c; 32];
const RECEIVER_ID: SessionId = SessionId(0x0000_0b0b);
const KEY_UPDATE_AFTER: u64 = 2;

fn config() -> ProtectConfig {
    ProtectConfig::default().with_key_update_after(KEY_UPDATE_AFTER)
}

fn sender() -> Protector {
    Protector::new(
        SessionKeys {
            send_secret: TrafficSecret(SECRET),
            recv_secret: TrafficSecret([0; 32]),
            local_session_id: SessionId(0x0000_0a0a),
            peer_session_id: RECEIVER_ID,
        },
        config(),
    )
    .unwrap()
}

fn receiver() -> Protector {
    Protector::new(
        SessionKeys {
            send_secret: TrafficSecret([0; 32]),
            recv_secret: TrafficSecret(SECRET),
            local_session_id: RECEIVER_ID,
            peer_session_id: SessionId(0x0000_0a0a),
        },
        config(),
    )
    .unwrap()
}

/// What the receiver does with `message`.
fn deliver(r: &mut Protector, message: &[u8]) -> Json {
    let mut copy = message.to_vec();
    let outcome = match r.open(&mut copy) {
        Ok(o) => json!({
            "opened": true,
            "generation": o.generation,
            "counter": o.counter,
            "payload": hex(o.payload),
        }),
        Err(e) => json!({ "opened": false, "status": e.status().name().unwrap() }),
    };
    json!({ "outcome": outcome, "receive_generation_after": r.recv_generation() })
}

fn compute() -> Json {
    let mut s = sender();
    let mut sealed = Vec::new();
    for i in 0..12u8 {
        let payload = [0xa1, 0x00, i];
        let mut out = Vec::new();
        let info = s.seal(&payload, &mut out).unwrap();
        sealed.push(json!({
            "index": i,
            "counter": info.counter,
            "generation": info.generation,
            "key_phase": info.generation % 4,
            "payload": hex(&payload),
            "message": hex(&out),
        }));
    }
    let message = |i: usize| unhex(&sealed[i]["message"]);
    let mut forged = message(7);
    let last = forged.len() - 1;
    forged[last] ^= 0x80;
    let plan: Vec<(&str, Vec<u8>)> = vec![
        ("message 0 (generation 0)", message(0)),
        (
            "message 2: the first of generation 1 (message 1 is late)",
            message(2),
        ),
        (
            "message 1, late: generation 0 is still kept as the previous one",
            message(1),
        ),
        ("message 3 (generation 1)", message(3)),
        (
            "message 6: generation 3, two updates at once (messages 4 and 5 not received yet)",
            message(6),
        ),
        (
            "message 4, late, of generation 2: kept as the previous generation",
            message(4),
        ),
        (
            "message 7 with its tag changed: dropped, nothing changes",
            forged,
        ),
        ("message 7 (generation 3)", message(7)),
        ("message 7 again: a replay", message(7)),
        (
            "message 11: generation 5 (key phase 1), two updates on",
            message(11),
        ),
        (
            "message 8, late, of generation 4 (key phase 0): the previous generation",
            message(8),
        ),
        (
            "message 5, late, of generation 2: that generation's keys are gone",
            message(5),
        ),
    ];
    let mut r = receiver();
    let deliveries: Vec<Json> = plan
        .into_iter()
        .map(|(title, m)| {
            let mut d = deliver(&mut r, &m);
            d["title"] = json!(title);
            d["message"] = json!(hex(&m));
            d
        })
        .collect();
    json!({
        "description": "Receive-side key updates [MSG-14] [MSG-16] [MSG-17]. A sender with traffic secret `traffic_secret` (generation 0) seals `sealed` in order, moving to the next generation after every `key_update_after` messages [MSG-15]; each entry gives its counter, generation, the key phase in its header, the payload and the message (sealed-messages.json shows the derivations). `deliveries` is what a receiver of session `receiver_session_id` that starts at generation 0 is given, in that order, and what it does with each: opened (with the generation and counter) or dropped with the status of [MSG-11], and its current receive generation afterwards.",
        "generated_by": "core/tests/vectors_key_update.rs (set ORBIT_REGEN_VECTORS=1 to rewrite)",
        "traffic_secret": hex(&SECRET),
        "receiver_session_id": RECEIVER_ID.0,
        "key_update_after": KEY_UPDATE_AFTER,
        "sealed": sealed,
        "deliveries": deliveries,
    })
}

// [MSG-11] [MSG-13] [MSG-14] [MSG-16] [MSG-17] the file matches the code, and a fresh receiver
// given the file's deliveries does what the file says.
#[test]
fn key_update_vectors() {
    let file = check_file("key-update.json", &compute());
    let deliveries = file["deliveries"].as_array().unwrap();
    assert!(deliveries.iter().any(|d| d["outcome"]["opened"] == false));
    assert!(deliveries
        .iter()
        .any(|d| d["receive_generation_after"].as_u64().unwrap() >= 4));
    let mut r = receiver();
    for d in deliveries {
        let mut got = deliver(&mut r, &unhex(&d["message"]));
        got["title"] = d["title"].clone();
        got["message"] = d["message"].clone();
        assert_eq!(&got, d);
    }
}

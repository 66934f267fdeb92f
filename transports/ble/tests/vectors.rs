//! The codecs and the engine against the hand-computed vectors of the spec
//! (`spec/v1/vectors/ble-framing.json`, `spec/v1/vectors/ble-advert.json`): every frame,
//! control frame, SDU and advert decodes to the fields the file lists and encodes back to its
//! bytes, the engine produces the segmentation byte for byte, and every malformed frame fails
//! the link with the error and code the file names. The files were computed from 18-ble.md
//! without this crate, so a disagreement is a bug in one of the two, never a file to
//! regenerate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use core::time::Duration;
use orbit_ble::advert::{
    find_service_data, matches_discriminator, operational_tag, parse_advertising_data, Advert,
    DiscriminatorQuery, OperationalAdvert,
};
use orbit_ble::frame::{Control, Frame};
use orbit_ble::sdu::{is_device_opened, is_known_kind, ResetCode, Sdu, SduError};
use orbit_ble::{gatt, Engine, FramingConfig, FramingError, LinkState};
use serde_json::Value;

const T0: Duration = Duration::ZERO;

fn load(name: &str) -> Value {
    let path = format!(
        "{}/../../spec/v1/vectors/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn uint(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Checks that `hex` decodes to the fields of `want` and encodes back to `hex`.
fn check_frame(hex: &[u8], want: &Value) {
    let frame = Frame::decode(hex).unwrap_or_else(|e| panic!("{}: {e:?}", hex::encode(hex)));
    let what = format!("{} as {want}", hex::encode(hex));
    match (&frame, want["frame"].as_str().unwrap()) {
        (Frame::Data(d), "data") => {
            // [BLE-4] flags ‖ [ack] ‖ seq ‖ [sdu-length] ‖ segment.
            assert_eq!(u64::from(d.flags()), uint(&want["flags"]), "{what}");
            assert_eq!(d.ack.map(u64::from), want["ack"].as_u64(), "{what}");
            assert_eq!(u64::from(d.seq), uint(&want["seq"]), "{what}");
            assert_eq!(
                d.sdu_len.map(u64::from),
                want["sdu_length"].as_u64(),
                "{what}"
            );
            let names: Vec<&str> = want["flag_names"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap())
                .collect();
            assert_eq!(d.end, names.contains(&"E"), "{what}");
            assert_eq!(d.segment, bytes(&want["segment"]).as_slice(), "{what}");
        }
        (Frame::AckOnly { ack }, "ack") => {
            // [BLE-5]
            assert_eq!(u64::from(*ack), uint(&want["ack"]), "{what}");
        }
        (Frame::Control(c), "control") => {
            // [BLE-11]
            let t = want["type_name"].as_str().unwrap();
            match (c, t) {
                (
                    Control::HandshakeRequest {
                        versions,
                        att_mtu,
                        window,
                    },
                    "handshake-request",
                ) => {
                    assert_eq!(u64::from(*versions), uint(&want["versions"]), "{what}");
                    assert_eq!(u64::from(*att_mtu), uint(&want["att_mtu"]), "{what}");
                    assert_eq!(u64::from(*window), uint(&want["window"]), "{what}");
                }
                (
                    Control::HandshakeResponse {
                        version,
                        segment_size,
                        window,
                    },
                    "handshake-response",
                ) => {
                    assert_eq!(u64::from(*version), uint(&want["version"]), "{what}");
                    assert_eq!(
                        u64::from(*segment_size),
                        uint(&want["segment_size"]),
                        "{what}"
                    );
                    assert_eq!(u64::from(*window), uint(&want["window"]), "{what}");
                }
                (Control::Close, "close") | (Control::CloseAck, "close-ack") => {}
                (Control::Error { code }, "error") => {
                    assert_eq!(u64::from(*code), uint(&want["code"]), "{what}");
                    // [BLE-11] the code's name; an unknown code has none but is a failure
                    // all the same [BLE-34].
                    let known = FramingError::from_code(*code).map(|e| e.name());
                    assert_eq!(known, want["error"].as_str(), "{what}");
                }
                _ => panic!("{what}: decoded as {c:?}"),
            }
        }
        _ => panic!("{what}: decoded as {frame:?}"),
    }
    assert_eq!(frame.encode(), hex, "{what}: encoding");
}

#[test]
fn every_frame_decodes_to_its_fields_and_encodes_back() {
    // [BLE-4] [BLE-5] [BLE-6] [BLE-11] [BLE-12]
    let v = load("ble-framing.json");
    let mut n = 0;
    for list in ["handshakes", "frames", "control"] {
        for case in v[list].as_array().unwrap() {
            check_frame(&bytes(&case["hex"]), &case["decoded"]);
            n += 1;
        }
    }
    for f in v["segmentation"]["frames"].as_array().unwrap() {
        check_frame(&bytes(&f["hex"]), &f["decoded"]);
        n += 1;
    }
    assert!(n >= 25, "only {n} frames in the file");
}

/// A central and a peripheral whose handshake ran, with the frames it took.
fn open_pair(central_mtu: u16, peripheral_mtu: u16) -> (Engine, Engine, Vec<u8>, Vec<u8>) {
    let mut central = Engine::central(
        FramingConfig {
            att_mtu: central_mtu,
            ..FramingConfig::default()
        },
        T0,
    );
    let mut peripheral = Engine::peripheral(
        FramingConfig {
            att_mtu: peripheral_mtu,
            ..FramingConfig::default()
        },
        T0,
    );
    let request = central.poll_transmit(T0).unwrap();
    assert!(central.poll_transmit(T0).is_none());
    peripheral.handle_value(T0, &request).unwrap();
    let response = peripheral.poll_transmit(T0).unwrap();
    central.handle_value(T0, &response).unwrap();
    assert_eq!(central.state(), LinkState::Open);
    assert_eq!(peripheral.state(), LinkState::Open);
    (central, peripheral, request, response)
}

#[test]
fn the_engine_sends_the_handshakes_and_the_segmentation_of_the_vectors() {
    // [BLE-12] at ATT MTU 23 and 247 both sides send the file's handshake frames; [BLE-4]
    // [BLE-6] [BLE-9] a 40-byte SDU at segment size 20 is the file's three frames, and the
    // peripheral reassembles it.
    let v = load("ble-framing.json");
    let hs = v["handshakes"].as_array().unwrap();
    let (_, _, request, response) = open_pair(23, 23);
    assert_eq!(request, bytes(&hs[0]["hex"]));
    assert_eq!(response, bytes(&hs[1]["hex"]));

    let (mut central, mut peripheral, _, _) = open_pair(23, 23);
    assert_eq!(central.segment_size(), Some(20));
    let seg = &v["segmentation"];
    let sdu = bytes(&seg["sdu"]);
    central.send(sdu.clone()).unwrap();
    for f in seg["frames"].as_array().unwrap() {
        let value = central.poll_transmit(T0).unwrap();
        assert_eq!(value, bytes(&f["hex"]));
        peripheral.handle_value(T0, &value).unwrap();
    }
    assert!(central.poll_transmit(T0).is_none());
    assert_eq!(peripheral.poll_received(), Some(sdu));

    // [BLE-12] the segment size is the smaller ATT MTU − 3: 247 against 517 gives 244.
    let (central, _, request, _) = open_pair(247, 517);
    assert_eq!(request, bytes(&hs[2]["hex"]));
    assert_eq!(central.segment_size(), Some(244));
}

/// The receiver a malformed case names, ready for its `before` frames.
fn receiver(state: &Value) -> Engine {
    let window = state["receive_window"].as_u64().unwrap_or(16) as u8;
    match (state["role"].as_str(), state["state"].as_str()) {
        (Some("peripheral"), Some("open")) => {
            let mut p = Engine::peripheral(
                FramingConfig {
                    att_mtu: 517,
                    window,
                    ..FramingConfig::default()
                },
                T0,
            );
            // A central at ATT MTU 23: segment size 20.
            p.handle_value(T0, &[0x40, 0x01, 0x01, 0x00, 0x17, 0x10])
                .unwrap();
            assert!(p.poll_transmit(T0).is_some());
            assert_eq!(
                p.segment_size(),
                Some(uint(&state["segment_size"]) as usize)
            );
            p
        }
        (Some("peripheral"), Some("handshaking")) => Engine::peripheral(
            FramingConfig {
                att_mtu: 517,
                window,
                ..FramingConfig::default()
            },
            T0,
        ),
        (Some("central"), Some("handshaking")) => {
            let mut c = Engine::central(
                FramingConfig {
                    att_mtu: uint(&state["att_mtu"]) as u16,
                    window,
                    ..FramingConfig::default()
                },
                T0,
            );
            assert_eq!(c.poll_transmit(T0).unwrap(), bytes(&state["sent"]));
            c
        }
        other => panic!("unknown receiver {other:?}"),
    }
}

#[test]
fn every_malformed_frame_fails_the_link_with_its_error() {
    // [BLE-9] [BLE-10] [BLE-31] [BLE-32] [BLE-33] [BLE-35]: the error and its code, and the
    // error control frame the receiver then sends.
    let v = load("ble-framing.json");
    let cases = v["malformed"].as_array().unwrap();
    assert!(cases.len() >= 40);
    let mut named = std::collections::BTreeSet::new();
    for case in cases {
        let what = case["description"].as_str().unwrap();
        let state = case.get("receiver").unwrap_or(&v["receiver"]);
        let mut engine = receiver(state);
        for before in case["before"].as_array().into_iter().flatten() {
            engine
                .handle_value(T0, &bytes(before))
                .unwrap_or_else(|e| panic!("{what}: a `before` frame failed: {e:?}"));
        }
        let err = engine
            .handle_value(T0, &bytes(&case["hex"]))
            .expect_err(what);
        assert_eq!(err.name(), case["error"].as_str().unwrap(), "{what}");
        let code = uint(&case["code"]) as u8;
        assert_eq!(err.code(), Some(code), "{what}");
        assert_eq!(engine.state(), LinkState::Closed, "{what}");
        assert_eq!(
            engine.poll_transmit(T0),
            Some(vec![0x40, 0x05, code]),
            "{what}: the error frame"
        );
        named.insert(code);
    }
    // Every code a receiver can find in a frame appears (stalled and handshake-timeout come
    // from timers, [BLE-13]).
    let expected: std::collections::BTreeSet<u8> =
        (1..=18).filter(|c| *c != 16 && *c != 17).collect();
    assert_eq!(named, expected);
}

#[test]
fn every_sdu_decodes_to_its_fields_and_encodes_back() {
    // [BLE-15] [BLE-17]
    let v = load("ble-framing.json");
    for case in v["sdus"].as_array().unwrap() {
        let what = case["description"].as_str().unwrap();
        let hex = bytes(&case["hex"]);
        let want = &case["decoded"];
        let sdu = Sdu::decode(&hex).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(u64::from(sdu.exchange), uint(&want["exchange"]), "{what}");
        assert_eq!(u64::from(sdu.flags.bits()), uint(&want["flags"]), "{what}");
        assert_eq!(u64::from(sdu.kind), uint(&want["kind"]), "{what}");
        assert_eq!(sdu.payload, bytes(&want["payload"]).as_slice(), "{what}");
        assert_eq!(sdu.to_vec().unwrap(), hex, "{what}: encoding");
    }
    // The segmentation's SDU is the same codec's.
    let seg_bytes = bytes(&v["segmentation"]["sdu"]);
    let seg = Sdu::decode(&seg_bytes).unwrap();
    assert_eq!(u64::from(seg.kind), 1);
}

#[test]
fn malformed_sdus_get_the_answer_the_file_names() {
    // [BLE-15] [BLE-17] [BLE-18] [BLE-19] [BLE-36]: what the codec decides; the link's own
    // checks (an unknown kind, a peripheral ID opened by a central) on the decoded fields.
    let v = load("ble-framing.json");
    for case in v["malformed_sdus"].as_array().unwrap() {
        let what = case["description"].as_str().unwrap();
        let hex = match case.get("hex") {
            Some(h) => bytes(h),
            None => {
                // 00000003 followed by 16385 bytes 00.
                let mut b = vec![0, 0, 0, 3];
                b.resize(4 + 16385, 0);
                b
            }
        };
        let answer = &case["answer"];
        let decoded = Sdu::decode(&hex);
        if answer["discard"] == Value::Bool(true) {
            assert!(
                matches!(decoded, Err(SduError::Truncated { .. })),
                "{what}: {decoded:?}"
            );
            continue;
        }
        let code = ResetCode(uint(&answer["code"]) as u8);
        match decoded {
            Err(e) => assert_eq!(e.reset_code(), code, "{what}"),
            Ok(sdu) => {
                if code == ResetCode::UNKNOWN_KIND {
                    assert!(!is_known_kind(sdu.kind), "{what}");
                } else {
                    // Well formed as an SDU, refused for its exchange ID by the link.
                    assert_eq!(code, ResetCode::MALFORMED_FRAME, "{what}");
                    assert!(is_device_opened(sdu.exchange), "{what}");
                    assert_eq!(u64::from(sdu.exchange), uint(&answer["exchange"]), "{what}");
                }
            }
        }
    }
}

#[test]
fn adverts_encode_and_parse_as_the_file_says() {
    // [BLE-1] [BLE-20] [BLE-21] [BLE-23] [BLE-24] [BLE-40]
    let v = load("ble-advert.json");
    assert_eq!(v["service_uuid"].as_str(), Some(gatt::SERVICE_UUID_STR));
    assert_eq!(
        v["service_uuid_on_air"].as_str().unwrap(),
        hex::encode(gatt::uuid_on_air(gatt::SERVICE_UUID))
    );
    assert_eq!(
        v["characteristics"]["W"].as_str(),
        Some(gatt::WRITE_CHARACTERISTIC_UUID_STR)
    );
    assert_eq!(
        v["characteristics"]["N"].as_str(),
        Some(gatt::NOTIFY_CHARACTERISTIC_UUID_STR)
    );

    for case in v["commissionable"].as_array().unwrap() {
        let what = case["description"].as_str().unwrap();
        let want = &case["decoded"];
        let ad = bytes(&case["advertising_data"]);
        let Ok(Advert::Commissionable(c)) = Advert::parse(&bytes(&case["service_data"])) else {
            panic!("{what}")
        };
        assert_eq!(c.window_open, want["commissioning_flag"].as_bool().unwrap());
        assert_eq!(u64::from(c.discriminator()), uint(&want["discriminator"]));
        assert_eq!(u64::from(c.vendor_id), uint(&want["vendor_id"]));
        assert_eq!(u64::from(c.product_id), uint(&want["product_id"]));
        let advert = Advert::Commissionable(c);
        assert_eq!(
            advert.service_data(),
            bytes(&case["service_data"]),
            "{what}"
        );
        assert_eq!(advert.advertising_data(), ad, "{what}");
        assert_eq!(parse_advertising_data(&ad), Ok(advert), "{what}");
    }

    for case in v["operational"].as_array().unwrap() {
        let what = case["description"].as_str().unwrap();
        let key: [u8; 32] = bytes(&case["home_root_public_key"]).try_into().unwrap();
        let home = u64::from_str_radix(case["home_id"].as_str().unwrap(), 16).unwrap();
        let node = u64::from_str_radix(case["node_id"].as_str().unwrap(), 16).unwrap();
        let nonce: [u8; 3] = bytes(&case["nonce"]).try_into().unwrap();
        let tag = bytes(&case["tag"]);
        assert_eq!(
            operational_tag(&key, home, node, nonce).to_vec(),
            tag,
            "{what}"
        );
        let o = OperationalAdvert::new(&key, home, node, nonce);
        assert_eq!(o.service_data().to_vec(), bytes(&case["service_data"]));
        let advert = Advert::Operational(o);
        let ad = bytes(&case["advertising_data"]);
        assert_eq!(advert.advertising_data(), ad, "{what}");
        let Ok(Advert::Operational(parsed)) = parse_advertising_data(&ad) else {
            panic!("{what}")
        };
        assert!(parsed.is_device(&key, home, node), "{what}");
        assert!(!parsed.is_device(&key, home, node + 1), "{what}");
        assert_eq!(
            find_service_data(&ad).unwrap(),
            bytes(&case["service_data"])
        );
    }

    for case in v["parsing"].as_array().unwrap() {
        let what = case["description"].as_str().unwrap();
        let parsed = Advert::parse(&bytes(&case["service_data"]));
        match &case["decoded"] {
            Value::Null => assert!(parsed.is_err(), "{what}: {parsed:?}"),
            want => {
                let Ok(Advert::Commissionable(c)) = parsed else {
                    panic!("{what}: {parsed:?}")
                };
                assert_eq!(c.window_open, want["commissioning_flag"].as_bool().unwrap());
                assert_eq!(u64::from(c.discriminator()), uint(&want["discriminator"]));
            }
        }
    }

    let advert = Advert::parse(&bytes(&v["commissionable"][0]["service_data"])).unwrap();
    for case in v["discriminator_matching"].as_array().unwrap() {
        let value = uint(&case["payload_discriminator"]);
        let query = if case["short"].as_bool().unwrap() {
            DiscriminatorQuery::short(value as u8).unwrap()
        } else {
            DiscriminatorQuery::full(value as u16).unwrap()
        };
        assert_eq!(
            matches_discriminator(&advert, query),
            case["matches"].as_bool().unwrap(),
            "{}",
            case["description"]
        );
    }
}

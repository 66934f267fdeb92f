//! Setup payloads (spec/v1/03-setup-payload.md): QR strings, manual codes, passcode rules, and
//! spec/v1/vectors/setup-payloads.json. The vectors test recomputes the file from the code and
//! compares; with ORBIT_REGEN_VECTORS=1 it rewrites the file instead. It also decodes every
//! string in the file and checks the fields and error kinds it lists.
//!
//! `reference` below is a second, deliberately naive encoder written from the spec's text
//! alone. It checks the library's output and crafts strings whose check is right but whose
//! content is wrong (trivial passcode, reserved bits), which the library refuses to produce.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::crypto::SeededRandom;
use orbit_core::setup::{
    Discriminator, ManualCode, ManualCodeForm, PairingFlow, Passcode, ProductId, SetupError,
    SetupPayload, ShortDiscriminator, TransportFlags, VendorId,
};
use orbit_core::status::Status;
use proptest::prelude::*;
use serde_json::{json, Value};

/// The 45 characters of the QR alphanumeric mode.
const QR_ALPHANUMERIC: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// An implementation of the spec's QR and manual layouts from its text, independent of the
/// library (its own CRC-32, base-38 and bit packing).
mod reference {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-.";

    pub(crate) fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    pub(crate) fn base38(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut v: u32 = chunk
                .iter()
                .enumerate()
                .map(|(i, b)| u32::from(*b) << (8 * i))
                .sum();
            let n = [0, 2, 4, 5][chunk.len()];
            for _ in 0..n {
                out.push(ALPHABET[(v % 38) as usize] as char);
                v /= 38;
            }
        }
        out
    }

    /// Field values as the spec's table names them; no validation.
    #[derive(Clone, Copy)]
    pub(crate) struct Fields {
        pub vendor_id: u16,
        pub product_id: u16,
        pub discriminator: u16,
        pub passcode: u32,
        pub flow: u8,
        pub transports: u8,
        pub reserved: u8,
    }

    /// The 15 payload bytes: data (11 bytes) then the CRC-32 of `crc_version ‖ data`.
    pub(crate) fn qr_bytes(f: Fields, crc_version: u8) -> Vec<u8> {
        let mut bits: Vec<bool> = Vec::new();
        let mut put = |value: u64, width: u32| {
            for i in 0..width {
                bits.push((value >> i) & 1 == 1);
            }
        };
        put(f.vendor_id.into(), 16);
        put(f.product_id.into(), 16);
        put(f.discriminator.into(), 12);
        put(f.passcode.into(), 27);
        put(f.flow.into(), 2);
        put(f.transports.into(), 8);
        put(f.reserved.into(), 7);
        assert_eq!(bits.len(), 88);
        let mut data = vec![0u8; 11];
        for (i, bit) in bits.iter().enumerate() {
            if *bit {
                data[i / 8] |= 1 << (i % 8);
            }
        }
        let mut crc_input = vec![crc_version];
        crc_input.extend(&data);
        data.extend(crc32(&crc_input).to_le_bytes());
        data
    }

    pub(crate) fn qr(f: Fields) -> String {
        format!("OB1:{}", base38(&qr_bytes(f, 1)))
    }

    /// Manual-code digits without the check digit.
    pub(crate) fn manual_body(short: u8, passcode: u32, ids: Option<(u32, u32)>) -> String {
        let short = u32::from(short);
        let first = (short >> 2) + if ids.is_some() { 4 } else { 0 };
        let mut s = format!(
            "{}{:05}{:04}",
            first,
            (passcode % 16384) + (short % 4) * 16384,
            passcode / 16384
        );
        if let Some((v, p)) = ids {
            s += &format!("{v:05}{p:05}");
        }
        s
    }
}

/// Appends the Verhoeff check digit (reference implementation, from the spec's tables).
fn with_check_digit(body: &str) -> String {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    const INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];
    let mut c = 0u8;
    for (i, b) in body.bytes().rev().enumerate() {
        c = D[c as usize][P[(i + 1) % 8][(b - b'0') as usize] as usize];
    }
    format!("{body}{}", INV[c as usize])
}

fn payload(vid: u16, pid: u16, disc: u16, passcode: u32) -> SetupPayload {
    SetupPayload::new(
        VendorId(vid),
        ProductId(pid),
        Discriminator::new(disc).unwrap(),
        Passcode::new(passcode).unwrap(),
    )
}

fn fields_of(p: &SetupPayload) -> reference::Fields {
    reference::Fields {
        vendor_id: p.vendor_id.0,
        product_id: p.product_id.0,
        discriminator: p.discriminator.value(),
        passcode: p.passcode.value(),
        flow: p.flow.value(),
        transports: p.transports.bits(),
        reserved: 0,
    }
}

/// The worked example of the spec (section "Worked example").
fn worked_example() -> SetupPayload {
    payload(0xFFF1, 0x8001, 3840, 20202021)
        .with_transports(TransportFlags::BLE | TransportFlags::IP)
}

fn valid_payloads() -> Vec<(&'static str, SetupPayload)> {
    let mut rng = SeededRandom::new(0x5e7_0b1);
    let mut generated = |vid: u16, pid: u16| {
        SetupPayload::new(
            VendorId(vid),
            ProductId(pid),
            Discriminator::generate(&mut rng).unwrap(),
            Passcode::generate(&mut rng).unwrap(),
        )
    };
    vec![
        (
            "worked example: development vendor, BLE and IP",
            worked_example(),
        ),
        (
            "custom flow, BLE only, smallest passcode and discriminator",
            payload(0xFFF2, 0x0001, 0, 1)
                .with_transports(TransportFlags::BLE)
                .with_flow(PairingFlow::CUSTOM),
        ),
        (
            "user-action flow, IP only",
            payload(0x1234, 0x5678, 0x0A5A, 34_567_890)
                .with_transports(TransportFlags::IP)
                .with_flow(PairingFlow::USER_ACTION),
        ),
        (
            "largest values; unknown transport bits and the reserved flow 3 survive",
            payload(0xFFFF, 0xFFFF, 4095, 99_999_998)
                .with_transports(TransportFlags::from_bits(0xFF))
                .with_flow(PairingFlow::new(3).unwrap()),
        ),
        (
            "vendor and product 0, no transport announced",
            payload(0, 0, 0x0800, 2),
        ),
        (
            "passcode and discriminator from SeededRandom(0x5e70b1), BLE",
            generated(0xFFF1, 0x0002).with_transports(TransportFlags::BLE),
        ),
        (
            "passcode and discriminator from SeededRandom(0x5e70b1) (second draw), BLE and IP",
            generated(0xFFF4, 0x0100).with_transports(TransportFlags::BLE | TransportFlags::IP),
        ),
    ]
}

fn invalid_qr() -> Vec<(String, &'static str, &'static str)> {
    let good = worked_example().to_qr_string();
    let body = good.strip_prefix("OB1:").unwrap().to_string();
    let base = fields_of(&worked_example());
    let with = |f: reference::Fields| reference::qr(f);
    let mut flipped = good.clone().into_bytes();
    flipped[10] = if flipped[10] == b'Z' { b'Y' } else { b'Z' };
    let wrong_version_crc = format!("OB1:{}", reference::base38(&reference::qr_bytes(base, 2)));
    vec![
        (String::new(), "bad-prefix", "empty string"),
        (
            "MT:-24J0AFN00KA0648G00".into(),
            "bad-prefix",
            "a Matter payload",
        ),
        (good.to_lowercase(), "bad-prefix", "lower case"),
        (format!(" {good}"), "bad-prefix", "leading space"),
        (
            format!("OB01:{body}"),
            "bad-prefix",
            "version with a leading zero",
        ),
        (format!("OB:{body}"), "bad-prefix", "no version"),
        (format!("OB1{body}"), "bad-prefix", "no ':'"),
        (format!("OB2:{body}"), "unsupported-version", "version 2"),
        (
            format!("{good}\n"),
            "bad-character",
            "trailing newline (position 29)",
        ),
        (
            format!("OB1:{}a{}", &body[..3], &body[4..]),
            "bad-character",
            "lower-case letter at position 7",
        ),
        (
            format!("OB1:{}", &body[..24]),
            "wrong-length",
            "24 body characters",
        ),
        (format!("{good}0"), "wrong-length", "26 body characters"),
        (
            format!("OB1:.....{}", &body[5..]),
            "invalid-chunk",
            "first group encodes 38^5 - 1 > 2^24 - 1",
        ),
        (
            String::from_utf8(flipped).unwrap(),
            "check-mismatch",
            "one character changed",
        ),
        (
            wrong_version_crc,
            "check-mismatch",
            "CRC computed with version byte 2: the version is covered",
        ),
        (
            with(reference::Fields {
                reserved: 1,
                ..base
            }),
            "reserved-bits-set",
            "bit 81 set, CRC correct",
        ),
        (
            with(reference::Fields {
                passcode: 12_345_678,
                ..base
            }),
            "passcode-trivial",
            "passcode 12345678, CRC correct",
        ),
        (
            with(reference::Fields {
                passcode: 0,
                ..base
            }),
            "passcode-trivial",
            "passcode 00000000, CRC correct",
        ),
        (
            with(reference::Fields {
                passcode: 99_999_999,
                ..base
            }),
            "passcode-trivial",
            "passcode 99999999, CRC correct",
        ),
        (
            with(reference::Fields {
                passcode: (1 << 27) - 1,
                ..base
            }),
            "passcode-out-of-range",
            "passcode 134217727, CRC correct",
        ),
    ]
}

fn invalid_manual() -> Vec<(String, &'static str, &'static str)> {
    let body = |short: u8, passcode: u32, ids: Option<(u32, u32)>| {
        reference::manual_body(short, passcode, ids)
    };
    // A long code whose first digit lacks the long-form flag: a short body plus 10 digits.
    let long_without_flag = with_check_digit(&format!("{}0000100002", body(15, 20202021, None)));
    // A short code whose first digit has the long-form flag.
    let short_with_flag = with_check_digit(&format!("7{}", &body(15, 20202021, None)[1..]));
    vec![
        (String::new(), "wrong-digit-count", "empty string"),
        ("3497-011-233".into(), "wrong-digit-count", "10 digits"),
        ("349701123320".into(), "wrong-digit-count", "12 digits"),
        ("34970112333".into(), "check-mismatch", "last digit changed"),
        ("34970112323".into(), "check-mismatch", "two digits swapped"),
        (
            "3497O112332".into(),
            "bad-character",
            "letter O at position 4",
        ),
        (
            "3497_011_2332".into(),
            "bad-character",
            "underscore at position 4",
        ),
        (
            "3497-011-2332\n".into(),
            "bad-character",
            "trailing newline",
        ),
        (
            long_without_flag,
            "form-mismatch",
            "21 digits, first digit says short",
        ),
        (
            short_with_flag,
            "form-mismatch",
            "11 digits, first digit says long",
        ),
        (
            with_check_digit("1999990000"),
            "group-out-of-range",
            "digits 2-6 = 99999 > 65535",
        ),
        (
            with_check_digit("1000019999"),
            "group-out-of-range",
            "digits 7-10 = 9999 > 8191",
        ),
        (
            with_check_digit(&body(15, 20202021, Some((99999, 1)))),
            "group-out-of-range",
            "vendor 99999 > 65535",
        ),
        (
            with_check_digit(&body(3, 11_111_111, None)),
            "passcode-trivial",
            "passcode 11111111",
        ),
        (
            with_check_digit(&body(3, 87_654_321, None)),
            "passcode-trivial",
            "passcode 87654321",
        ),
        (
            "23610875350".into(),
            "passcode-out-of-range",
            "Matter test code with passcode 123456780",
        ),
        (
            with_check_digit("8000000000"),
            "unsupported-version",
            "first digit 8, valid check digit",
        ),
        (
            with_check_digit("91234"),
            "unsupported-version",
            "first digit 9, valid check digit, other length",
        ),
    ]
}

fn compute() -> Value {
    let valid: Vec<Value> = valid_payloads()
        .into_iter()
        .map(|(name, p)| {
            let short = p.to_manual_code(ManualCodeForm::Short);
            let long = p.to_manual_code(ManualCodeForm::Long);
            json!({
                "name": name,
                "version": p.version.value(),
                "vendor_id": p.vendor_id.0,
                "product_id": p.product_id.0,
                "discriminator": p.discriminator.value(),
                "passcode": p.passcode.value(),
                "flow": p.flow.value(),
                "transports": p.transports.bits(),
                "qr_bytes": hex::encode(reference::qr_bytes(fields_of(&p), 1)),
                "qr": p.to_qr_string(),
                "manual_short": short.digits(),
                "manual_short_display": short.to_string(),
                "manual_long": long.digits(),
                "manual_long_display": long.to_string(),
            })
        })
        .collect();
    let invalid = |list: Vec<(String, &str, &str)>| -> Vec<Value> {
        list.into_iter()
            .map(|(input, error, note)| json!({ "input": input, "error": error, "note": note }))
            .collect()
    };
    json!({
        "description": "Orbit v1 setup payloads (spec/v1/03-setup-payload.md). 'valid': fields, the 15 QR payload bytes before base-38 (11 data bytes then the CRC-32, little-endian), the QR string, and the short and long manual codes as digits and as displayed. 'invalid_qr' and 'invalid_manual': inputs a decoder must reject, with the error kind of the spec's error table that a decoder following the decoding order reports.",
        "source": "generated by core/tests/setup_payload.rs",
        "valid": valid,
        "invalid_qr": invalid(invalid_qr()),
        "invalid_manual": invalid(invalid_manual()),
    })
}

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../spec/v1/vectors/setup-payloads.json"
);

#[test]
fn vectors_match_spec() {
    let fresh = compute();
    if std::env::var_os("ORBIT_REGEN_VECTORS").is_some() {
        std::fs::write(
            VECTORS,
            serde_json::to_string_pretty(&fresh).unwrap() + "\n",
        )
        .unwrap();
        return;
    }
    let on_disk: Value = serde_json::from_str(&std::fs::read_to_string(VECTORS).unwrap()).unwrap();
    assert_eq!(
        on_disk, fresh,
        "spec/v1/vectors/setup-payloads.json is stale: rerun with ORBIT_REGEN_VECTORS=1"
    );
}

/// The other direction: decode every string in the file and compare with the listed fields
/// and error kinds; the kinds follow the decoding orders of [SETUP-13] and [SETUP-16].
#[test]
fn vectors_decode() {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(VECTORS).unwrap()).unwrap();
    let valid = v["valid"].as_array().unwrap();
    assert!(valid.len() >= 5);
    for case in valid {
        let n = |k: &str| case[k].as_u64().unwrap();
        let s = |k: &str| case[k].as_str().unwrap();
        let p = SetupPayload::from_qr_str(s("qr")).unwrap();
        assert_eq!(u64::from(p.version.value()), n("version"));
        assert_eq!(u64::from(p.vendor_id.0), n("vendor_id"));
        assert_eq!(u64::from(p.product_id.0), n("product_id"));
        assert_eq!(u64::from(p.discriminator.value()), n("discriminator"));
        assert_eq!(u64::from(p.passcode.value()), n("passcode"));
        assert_eq!(u64::from(p.flow.value()), n("flow"));
        assert_eq!(u64::from(p.transports.bits()), n("transports"));
        for key in ["manual_short", "manual_short_display"] {
            let m = ManualCode::parse(s(key)).unwrap();
            assert_eq!(m.form(), ManualCodeForm::Short);
            assert_eq!(u64::from(m.passcode.value()), n("passcode"));
            assert_eq!(
                u64::from(m.short_discriminator.value()),
                n("discriminator") >> 8
            );
            assert_eq!(m.vendor_product, None);
        }
        for key in ["manual_long", "manual_long_display"] {
            let m = ManualCode::parse(s(key)).unwrap();
            assert_eq!(m.form(), ManualCodeForm::Long);
            assert_eq!(u64::from(m.passcode.value()), n("passcode"));
            assert_eq!(
                u64::from(m.short_discriminator.value()),
                n("discriminator") >> 8
            );
            let (vid, pid) = m.vendor_product.unwrap();
            assert_eq!(
                (u64::from(vid.0), u64::from(pid.0)),
                (n("vendor_id"), n("product_id"))
            );
        }
    }
    for (key, decode) in [
        (
            "invalid_qr",
            (|s: &str| SetupPayload::from_qr_str(s).map(|_| ()))
                as fn(&str) -> Result<(), SetupError>,
        ),
        ("invalid_manual", |s: &str| ManualCode::parse(s).map(|_| ())),
    ] {
        let cases = v[key].as_array().unwrap();
        assert!(cases.len() >= 10);
        for case in cases {
            let input = case["input"].as_str().unwrap();
            let err = decode(input).expect_err(input);
            assert_eq!(
                err.kind(),
                case["error"].as_str().unwrap(),
                "{input:?}: {err}"
            );
        }
    }
}

/// The spec's worked example is the first vector, printed from the code: the spec must quote
/// exactly these strings.
#[test]
fn spec_worked_example_matches_code() {
    let spec = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec/v1/03-setup-payload.md"
    ))
    .unwrap();
    let p = worked_example();
    let bytes = hex::encode(reference::qr_bytes(fields_of(&p), 1));
    for needle in [
        p.to_qr_string(),
        bytes,
        p.to_manual_code(ManualCodeForm::Short).to_string(),
        p.to_manual_code(ManualCodeForm::Long).to_string(),
        p.to_manual_code(ManualCodeForm::Short).digits(),
        p.to_manual_code(ManualCodeForm::Long).digits(),
    ] {
        assert!(spec.contains(&needle), "spec lacks {needle}");
    }
}

// [SETUP-7] [SETUP-8] [SETUP-10] [SETUP-11] the reference encoder written from the spec
// produces the library's strings.
#[test]
fn library_matches_reference_encoder() {
    for (_, p) in valid_payloads() {
        assert_eq!(p.to_qr_string(), reference::qr(fields_of(&p)));
        let short = p.discriminator.short().value();
        let ids = Some((u32::from(p.vendor_id.0), u32::from(p.product_id.0)));
        assert_eq!(
            p.to_manual_code(ManualCodeForm::Short).digits(),
            with_check_digit(&reference::manual_body(short, p.passcode.value(), None))
        );
        assert_eq!(
            p.to_manual_code(ManualCodeForm::Long).digits(),
            with_check_digit(&reference::manual_body(short, p.passcode.value(), ids))
        );
    }
    assert_eq!(reference::crc32(b"123456789"), 0xCBF4_3926);
}

// [SETUP-7] [SETUP-8] 29 characters, all in the QR alphanumeric set (so the code fits
// version 2 at error-correction level Q).
#[test]
fn qr_string_shape() {
    for (_, p) in valid_payloads() {
        let s = p.to_qr_string();
        assert_eq!(s.len(), 29, "{s}");
        assert!(s.starts_with("OB1:"));
        assert!(s.chars().all(|c| QR_ALPHANUMERIC.contains(c)), "{s}");
        assert!(s[4..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'));
    }
}

/// Characters to substitute: the QR alphanumeric set, lower case, and a few others.
fn substitutes() -> Vec<char> {
    QR_ALPHANUMERIC
        .chars()
        .chain('a'..='z')
        .chain(['_', '\n', 'é', '\0'])
        .collect()
}

// [SETUP-11] exhaustively, every single-character substitution of one QR string and every
// transposition of two adjacent, different characters is rejected.
#[test]
fn every_qr_substitution_and_transposition_is_detected() {
    let good: Vec<char> = worked_example().to_qr_string().chars().collect();
    let mut tried = 0;
    for i in 0..good.len() {
        for c in substitutes() {
            if c == good[i] {
                continue;
            }
            let mut bad = good.clone();
            bad[i] = c;
            let bad: String = bad.into_iter().collect();
            assert!(SetupPayload::from_qr_str(&bad).is_err(), "{bad:?} accepted");
            tried += 1;
        }
        if i + 1 < good.len() && good[i] != good[i + 1] {
            let mut bad = good.clone();
            bad.swap(i, i + 1);
            let bad: String = bad.into_iter().collect();
            assert!(SetupPayload::from_qr_str(&bad).is_err(), "{bad:?} accepted");
        }
    }
    assert!(tried > 29 * 60);
}

// [SETUP-18] [SETUP-15] exhaustively, every single-character substitution (digits, separators,
// letters) and every adjacent transposition of digits in a short and a long manual code is
// rejected, except substituting one separator for another.
#[test]
fn every_manual_substitution_and_transposition_is_detected() {
    let p = worked_example();
    for form in [ManualCodeForm::Short, ManualCodeForm::Long] {
        for good in [
            p.to_manual_code(form).digits(),
            p.to_manual_code(form).to_string(),
        ] {
            let good: Vec<char> = good.chars().collect();
            for i in 0..good.len() {
                for c in ('0'..='9').chain([' ', '-', 'A', 'O', 'l', '_', '.']) {
                    let separators = [' ', '-'];
                    if c == good[i] || (separators.contains(&c) && separators.contains(&good[i])) {
                        continue;
                    }
                    let mut bad = good.clone();
                    bad[i] = c;
                    let bad: String = bad.into_iter().collect();
                    assert!(ManualCode::parse(&bad).is_err(), "{bad:?} accepted");
                }
                if i + 1 < good.len()
                    && good[i] != good[i + 1]
                    && good[i] != '-'
                    && good[i + 1] != '-'
                {
                    let mut bad = good.clone();
                    bad.swap(i, i + 1);
                    let bad: String = bad.into_iter().collect();
                    assert!(ManualCode::parse(&bad).is_err(), "{bad:?} accepted");
                }
            }
        }
    }
}

// [SETUP-18] the Verhoeff digit against Matter's published manual codes, through the public
// parser: each passes the check (its passcode may then be out of Orbit's range), and the
// published negatives fail it.
#[test]
fn matter_manual_codes_pass_the_check() {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/matter-onboarding-codes.json"
    ));
    let json: Value = serde_json::from_str(text).unwrap();
    let manual = json["manual"].as_array().unwrap();
    assert!(manual.len() >= 6);
    for v in manual {
        let code = v["code"].as_str().unwrap();
        let passcode = v["passcode"].as_u64().unwrap() as u32;
        match ManualCode::parse(code) {
            Ok(m) => {
                assert_eq!(m.passcode.value(), passcode);
                assert_eq!(
                    u64::from(m.short_discriminator.value()),
                    v["short_discriminator"].as_u64().unwrap()
                );
                if let Some((vid, pid)) = m.vendor_product {
                    assert_eq!(u64::from(vid.0), v["vendor_id"].as_u64().unwrap());
                    assert_eq!(u64::from(pid.0), v["product_id"].as_u64().unwrap());
                }
            }
            Err(e) => {
                assert!(Passcode::new(passcode).is_err(), "{code}: {e}");
                assert_eq!(e, SetupError::PasscodeOutOfRange, "{code}");
            }
        }
    }
    for v in json["verhoeff_negative"].as_array().unwrap() {
        let code = v["code"].as_str().unwrap();
        assert!(!v["valid"].as_bool().unwrap());
        assert_eq!(
            ManualCode::parse(code),
            Err(SetupError::CheckMismatch),
            "{code}"
        );
    }
    // The development default decodes to the published fields.
    let dev = ManualCode::parse("34970112332").unwrap();
    assert_eq!(dev.passcode.value(), 20202021);
    assert_eq!(dev.short_discriminator.value(), 15);
}

// [SETUP-1] every trivial value and the range bounds, directly and through both decoders.
#[test]
fn trivial_and_out_of_range_passcodes_are_rejected() {
    let trivial = [
        0, 11_111_111, 22_222_222, 33_333_333, 44_444_444, 55_555_555, 66_666_666, 77_777_777,
        88_888_888, 99_999_999, 12_345_678, 87_654_321,
    ];
    for t in trivial {
        assert_eq!(Passcode::new(t), Err(SetupError::PasscodeTrivial), "{t}");
        let f = reference::Fields {
            passcode: t,
            ..fields_of(&worked_example())
        };
        assert_eq!(
            SetupPayload::from_qr_str(&reference::qr(f)),
            Err(SetupError::PasscodeTrivial)
        );
        let code = with_check_digit(&reference::manual_body(15, t, None));
        assert_eq!(ManualCode::parse(&code), Err(SetupError::PasscodeTrivial));
    }
    for bad in [99_999_999 + 1, 100_000_000, (1 << 27) - 1, u32::MAX] {
        assert_eq!(
            Passcode::new(bad),
            Err(SetupError::PasscodeOutOfRange),
            "{bad}"
        );
    }
    for ok in [1, 2, 11_111_112, 12_345_679, 99_999_998] {
        assert_eq!(Passcode::new(ok).unwrap().value(), ok);
    }
}

// [SETUP-3] Debug output never shows the passcode.
#[test]
fn debug_hides_the_passcode() {
    let p = worked_example();
    for text in [
        format!("{:?}", p.passcode),
        format!("{p:?}"),
        format!("{:?}", p.to_manual_code(ManualCodeForm::Long)),
    ] {
        assert!(!text.contains("20202021"), "{text}");
        assert!(text.contains("redacted"), "{text}");
    }
}

// [SETUP-4] discriminator range and its short form.
#[test]
fn discriminator_rules() {
    assert_eq!(
        Discriminator::new(4096),
        Err(SetupError::DiscriminatorOutOfRange { value: 4096 })
    );
    let d = Discriminator::new(0xABC).unwrap();
    assert_eq!(d.short().value(), 0xA);
    assert!(d.short().matches(Discriminator::new(0xA00).unwrap()));
    assert!(!d.short().matches(Discriminator::new(0xB00).unwrap()));
    assert_eq!(
        ShortDiscriminator::new(16),
        Err(SetupError::ShortDiscriminatorOutOfRange { value: 16 })
    );
    let mut rng = SeededRandom::new(1);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..2000 {
        let d = Discriminator::generate(&mut rng).unwrap();
        assert!(d.value() <= Discriminator::MAX);
        seen.insert(d.short().value());
    }
    assert_eq!(seen.len(), 16, "short discriminators all drawn");
}

// [SETUP-5] [SETUP-6] [SETUP-12] unknown transport bits and the reserved flow survive a QR round trip.
#[test]
fn unknown_flags_survive() {
    let p = payload(1, 2, 3, 4)
        .with_transports(TransportFlags::from_bits(0x81))
        .with_flow(PairingFlow::new(3).unwrap());
    let back = SetupPayload::from_qr_str(&p.to_qr_string()).unwrap();
    assert_eq!(back.transports.bits(), 0x81);
    assert_eq!(back.transports.unknown_bits(), 0x80);
    assert!(back.transports.contains(TransportFlags::BLE));
    assert!(!back.transports.contains(TransportFlags::IP));
    assert!(!back.flow.is_known());
    assert_eq!(
        format!("{:?}", back.transports),
        "TransportFlags(BLE | 0x80)"
    );
    assert_eq!(
        PairingFlow::new(4),
        Err(SetupError::FlowOutOfRange { value: 4 })
    );
    assert!(TransportFlags::from_bits(0x40).has_no_known_transport());
}

// [SETUP-8] [SETUP-15] errors name the offending character and its position; every error maps
// to invalid-parameter.
#[test]
fn errors_are_precise() {
    let good = worked_example().to_qr_string();
    let bad = format!("{}a{}", &good[..7], &good[8..]);
    assert_eq!(
        SetupPayload::from_qr_str(&bad),
        Err(SetupError::BadCharacter {
            position: 7,
            character: 'a'
        })
    );
    let bad = format!("{}é{}", &good[..20], &good[21..]);
    assert_eq!(
        SetupPayload::from_qr_str(&bad),
        Err(SetupError::BadCharacter {
            position: 20,
            character: 'é'
        })
    );
    assert_eq!(
        SetupPayload::from_qr_str(&good[..28]),
        Err(SetupError::WrongLength {
            expected: 25,
            actual: 24
        })
    );
    assert_eq!(
        SetupPayload::from_qr_str(&format!("OB7:{}", &good[4..])),
        Err(SetupError::UnsupportedVersion { version: 7 })
    );
    assert_eq!(
        SetupPayload::from_qr_str(&format!("OB1:{}.....{}", &good[4..9], &good[14..])),
        Err(SetupError::InvalidChunk { position: 9 })
    );
    assert_eq!(
        ManualCode::parse("3497-0x1-2332"),
        Err(SetupError::BadCharacter {
            position: 6,
            character: 'x'
        })
    );
    assert_eq!(
        ManualCode::parse("3497-011-233"),
        Err(SetupError::WrongDigitCount { actual: 10 })
    );
    assert_eq!(
        ManualCode::parse(&with_check_digit("1999990000")),
        Err(SetupError::GroupOutOfRange {
            first_digit: 2,
            last_digit: 6,
            max: 65535
        })
    );
    let e = SetupError::CheckMismatch;
    assert_eq!(e.status(), Status::INVALID_PARAMETER);
    assert!(e.to_string().contains("mistyped"));
    assert!(SetupError::BadCharacter {
        position: 3,
        character: 'q'
    }
    .to_string()
    .contains("position 3"));
}

// [SETUP-17] display grouping, and separators accepted anywhere.
#[test]
fn manual_code_display_and_separators() {
    let p = worked_example();
    let short = p.to_manual_code(ManualCodeForm::Short);
    assert_eq!(short.to_string(), "3497-011-2332");
    let long = p.to_manual_code(ManualCodeForm::Long);
    let shown = long.to_string();
    let groups: Vec<usize> = shown.split('-').map(str::len).collect();
    assert_eq!(groups, [4, 3, 4, 5, 5]);
    for typed in [
        "34970112332",
        "3497 011 2332",
        " 3-4-9-7 0112332 ",
        "3497--011--2332",
    ] {
        assert_eq!(ManualCode::parse(typed).unwrap(), short, "{typed}");
    }
    assert_eq!("3497-011-2332".parse::<ManualCode>().unwrap(), short);
    assert_eq!(p.to_qr_string().parse::<SetupPayload>().unwrap(), p);
}

fn arb_payload() -> impl Strategy<Value = SetupPayload> {
    (
        any::<u16>(),
        any::<u16>(),
        0u16..=4095,
        1u32..=99_999_998,
        any::<u8>(),
        0u8..=3,
    )
        .prop_filter("valid passcode", |t| Passcode::new(t.3).is_ok())
        .prop_map(|(vid, pid, disc, pass, transports, flow)| {
            payload(vid, pid, disc, pass)
                .with_transports(TransportFlags::from_bits(transports))
                .with_flow(PairingFlow::new(flow).unwrap())
        })
}

proptest! {
    // [SETUP-9] [SETUP-10] encode then decode gives the same payload.
    #[test]
    fn qr_round_trip(p in arb_payload()) {
        let s = p.to_qr_string();
        prop_assert_eq!(s.len(), 29);
        prop_assert_eq!(SetupPayload::from_qr_str(&s).unwrap(), p);
    }

    // [SETUP-14] both manual forms carry their fields back, grouped or not.
    #[test]
    fn manual_round_trip(p in arb_payload()) {
        for form in [ManualCodeForm::Short, ManualCodeForm::Long] {
            let code = p.to_manual_code(form);
            let digits = code.digits();
            prop_assert_eq!(digits.len(), if form == ManualCodeForm::Short { 11 } else { 21 });
            for text in [digits.clone(), code.to_string()] {
                let back = ManualCode::parse(&text).unwrap();
                prop_assert_eq!(back, code);
                prop_assert_eq!(back.passcode, p.passcode);
                prop_assert!(back.short_discriminator.matches(p.discriminator));
                prop_assert_eq!(back.form(), form);
            }
            let ids = ManualCode::parse(&digits).unwrap().vendor_product;
            match form {
                ManualCodeForm::Short => prop_assert_eq!(ids, None),
                ManualCodeForm::Long => prop_assert_eq!(ids, Some((p.vendor_id, p.product_id))),
            }
        }
    }

    // [SETUP-15] separators anywhere do not change the result.
    #[test]
    fn manual_separators_anywhere(p in arb_payload(), seps in proptest::collection::vec((0usize..30, prop_oneof![Just(' '), Just('-')]), 0..6)) {
        let code = p.to_manual_code(ManualCodeForm::Long);
        let mut text: Vec<char> = code.digits().chars().collect();
        for (at, c) in seps {
            text.insert(at % (text.len() + 1), c);
        }
        let text: String = text.into_iter().collect();
        prop_assert_eq!(ManualCode::parse(&text).unwrap(), code);
    }

    // [SETUP-11] for any payload, any single-character substitution is caught.
    #[test]
    fn qr_substitution_detected(p in arb_payload(), at in 0usize..29, c in proptest::sample::select(substitutes())) {
        let mut s: Vec<char> = p.to_qr_string().chars().collect();
        prop_assume!(s[at] != c);
        s[at] = c;
        let s: String = s.into_iter().collect();
        prop_assert!(SetupPayload::from_qr_str(&s).is_err());
    }

    // [SETUP-18] for any payload, any single-digit substitution in a manual code is caught.
    #[test]
    fn manual_substitution_detected(p in arb_payload(), long in any::<bool>(), at in 0usize..21, d in 0u8..10) {
        let form = if long { ManualCodeForm::Long } else { ManualCodeForm::Short };
        let mut s = p.to_manual_code(form).digits().into_bytes();
        let at = at % s.len();
        prop_assume!(s[at] != b'0' + d);
        s[at] = b'0' + d;
        prop_assert!(ManualCode::parse(&String::from_utf8(s).unwrap()).is_err());
    }

    // Decoders are total on arbitrary text, and whatever decodes re-encodes to the input.
    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,64}") {
        if let Ok(p) = SetupPayload::from_qr_str(&s) {
            prop_assert_eq!(p.to_qr_string(), s.clone());
        }
        if let Ok(m) = ManualCode::parse(&s) {
            prop_assert_eq!(m.digits(), s.replace([' ', '-'], ""));
        }
    }

    // The same on text close to valid: the QR prefix and alphabet, or digits and separators.
    #[test]
    fn near_valid_strings_never_panic(
        qr in "OB[0-9]{0,2}:?[0-9A-Z.\\-a-z:]{20,30}",
        manual in "[0-9 \\-]{0,30}",
    ) {
        if let Ok(p) = SetupPayload::from_qr_str(&qr) {
            prop_assert_eq!(p.to_qr_string(), qr);
        }
        if let Ok(m) = ManualCode::parse(&manual) {
            prop_assert_eq!(m.digits(), manual.replace([' ', '-'], ""));
        }
    }

    // [SETUP-2] generated passcodes are always valid.
    #[test]
    fn generated_passcodes_are_valid(seed in any::<u64>()) {
        let mut rng = SeededRandom::new(seed);
        let p = Passcode::generate(&mut rng).unwrap();
        prop_assert!(Passcode::new(p.value()).is_ok());
    }
}

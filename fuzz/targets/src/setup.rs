//! Setup payloads: the QR string and the manual code (`spec/v1/03-setup-payload.md`).

use crate::alloc;
use orbit_core::setup::{ManualCode, ManualCodeForm, SetupPayload};

/// What decoding a setup code may allocate whatever the input's length [SETUP-21]: the 25 base-38
/// digits, the 15 payload bytes and an error. A pasted or scanned string of any size costs no
/// more than a well-formed one.
pub const SETUP_DECODE_BUDGET: usize = 1024;

/// Target `setup_qr`: an accepted QR string is exactly what the encoder writes for its
/// payload [SETUP-7]..[SETUP-13], and the payload's manual codes decode to the same
/// discriminator and passcode [SETUP-19].
pub fn qr(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let decoded = alloc::within(
        SETUP_DECODE_BUDGET,
        "SetupPayload::from_qr_str [SETUP-21]",
        || SetupPayload::from_qr_str(text),
    );
    let Ok(payload) = decoded else {
        return;
    };
    assert_eq!(
        payload.to_qr_string(),
        text,
        "QR decode-then-encode [SETUP-13]"
    );
    for form in [ManualCodeForm::Short, ManualCodeForm::Long] {
        let code = payload.to_manual_code(form);
        let Ok(back) = ManualCode::parse(&code.to_string()) else {
            panic!("the manual code of a valid payload does not parse [SETUP-14]");
        };
        assert_eq!(back, code, "manual code round trip [SETUP-14]");
        assert_eq!(back.passcode, payload.passcode);
        assert_eq!(back.short_discriminator, payload.discriminator.short());
    }
}

/// Target `setup_manual`: an accepted manual code is the encoder's digits for its fields,
/// separators aside [SETUP-14] [SETUP-15], and its display form parses to the same code
/// [SETUP-17].
pub fn manual(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = alloc::within(SETUP_DECODE_BUDGET, "ManualCode::parse [SETUP-21]", || {
        ManualCode::parse(text)
    });
    let Ok(code) = parsed else {
        return;
    };
    let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
    assert_eq!(
        code.digits(),
        digits,
        "manual code decode-then-encode [SETUP-14]"
    );
    assert_eq!(
        ManualCode::parse(&code.to_string()),
        Ok(code),
        "display form [SETUP-17]"
    );
}

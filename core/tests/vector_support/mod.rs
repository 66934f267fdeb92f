//! What the vector tests share: writing or checking a file of `spec/v1/vectors/`, and CBOR
//! diagnostic notation for the messages they hold.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use orbit_core::codec::{decode_value, Limits, Value};

/// Compares `fresh` with `spec/v1/vectors/<name>`; with `ORBIT_REGEN_VECTORS=1` it rewrites
/// the file instead. Returns the file's contents as checked.
pub(crate) fn check_file(name: &str, fresh: &serde_json::Value) -> serde_json::Value {
    let path = format!("{}/../spec/v1/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("ORBIT_REGEN_VECTORS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(fresh).unwrap() + "\n").unwrap();
    }
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}; generate it with ORBIT_REGEN_VECTORS=1"));
    let on_disk: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(
        on_disk == *fresh,
        "spec/v1/vectors/{name} is stale: rerun with ORBIT_REGEN_VECTORS=1"
    );
    on_disk
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// The bytes of a hex string in a vectors file.
pub(crate) fn unhex(v: &serde_json::Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

/// CBOR diagnostic notation (RFC 8949 §8) of the values Orbit's profile allows.
pub(crate) fn diag(v: &Value) -> String {
    match v {
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Bytes(b) => format!("h'{}'", hex::encode(b)),
        Value::Text(t) => format!("{t:?}"),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Array(a) => format!("[{}]", a.iter().map(diag).collect::<Vec<_>>().join(", ")),
        Value::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", diag(k), diag(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => panic!("outside the profile: {other:?}"),
    }
}

/// Diagnostic notation of an encoded message in the profile (generous limits: this only
/// describes messages, it does not judge them).
pub(crate) fn diag_bytes(bytes: &[u8]) -> String {
    let limits = Limits {
        max_message: 1 << 20,
        max_depth: 64,
        max_collection: 1 << 16,
        max_string: 1 << 20,
        max_items: 1 << 20,
    };
    diag(&decode_value(bytes, &limits).unwrap())
}

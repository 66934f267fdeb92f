//! Decode-then-encode checks: an accepted message is one the encoder could have produced.
//!
//! Orbit's profile is deterministic ([CBOR-1]..[CBOR-7]), so for a message with only known
//! fields, decoding and encoding again gives back the input, byte for byte. Receivers also
//! ignore map keys they do not know ([CBOR-8]); re-encoding drops those. The check is therefore:
//! the re-encoding's tree is the input's tree with zero or more map entries removed, and
//! nothing else changed (no value normalised, no entry added, no order changed). When nothing
//! was removed the bytes are equal.

use crate::alloc;
use orbit_core::codec::{decode_value, CborMessage, Limits, Value};
use std::fmt::Debug;

/// Decodes `bytes` as `T` (within its allocation budget) and, when accepted, checks that the
/// encoder reproduces it ([`assert_reencoding`]) and that the re-encoding decodes to the same
/// message. Returns the message.
pub fn message<T: CborMessage + PartialEq + Debug>(bytes: &[u8]) -> Option<T> {
    let limits = T::limits();
    let decoded = alloc::within(
        alloc::decode_budget(&limits),
        &format!("{} [CBOR-10] [LIMIT-1]", std::any::type_name::<T>()),
        || T::decode(bytes),
    );
    match decoded {
        Ok(message) => {
            let again = message.to_bytes();
            assert_reencoding(bytes, &again, &limits);
            let redecoded = T::decode(&again);
            assert_eq!(
                redecoded.as_ref(),
                Ok(&message),
                "the re-encoding of an accepted message decodes differently"
            );
            Some(message)
        }
        Err(error) => {
            // Every refusal maps to a wire status [CBOR-10] [IM-5].
            let _ = error.status();
            None
        }
    }
}

/// Asserts that `reencoded` is `original` with zero or more map entries removed (unknown
/// keys, [CBOR-8]) and is within `limits`.
pub fn assert_reencoding(original: &[u8], reencoded: &[u8], limits: &Limits) {
    if original == reencoded {
        return;
    }
    let Ok(before) = decode_value(original, limits) else {
        // A decoder that accepted `original` checked the profile first.
        panic!("an accepted message does not pass the profile check [CBOR-1]");
    };
    let after = match decode_value(reencoded, limits) {
        Ok(v) => v,
        Err(e) => {
            panic!("the re-encoding of an accepted message is not in the profile: {e} [CBOR-1]")
        }
    };
    assert!(
        is_pruned(&before, &after),
        "decode-then-encode changed the message beyond dropping unknown keys [CBOR-1] [CBOR-8]\n  input:      {}\n  re-encoded: {}",
        hex(original),
        hex(reencoded)
    );
}

/// Whether `after` is `before` with some map entries (at any depth) removed.
pub fn is_pruned(before: &Value, after: &Value) -> bool {
    match (before, after) {
        (Value::Map(b), Value::Map(a)) => {
            // `a` must be a subsequence of `b`, key for key.
            let mut rest = b.iter();
            a.iter()
                .all(|(ak, av)| rest.by_ref().any(|(bk, bv)| bk == ak && is_pruned(bv, av)))
        }
        (Value::Array(b), Value::Array(a)) => {
            b.len() == a.len() && b.iter().zip(a).all(|(b, a)| is_pruned(b, a))
        }
        (b, a) => b == a,
    }
}

/// Lower-case hex, for failure messages.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

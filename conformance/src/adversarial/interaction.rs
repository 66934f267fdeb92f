//! Interaction messages an honest controller never sends `[IM-2]`, `[IM-5]`, `[IM-83]`,
//! `[IM-100]`, `[IM-101]`: exchange 0, a message type the device does not know or only a
//! device sends, a key of the wrong type after a well-formed prefix, a message that is not a
//! map, the reserved endpoint `0xffff`. Built as CBOR values in the profile's key order and
//! encoded with the core's encoder, so only the named fault differs from a good message.

use orbit_core::codec::{encode_value, CborMessage, Value};
use orbit_core::interaction::{Envelope, Message};

fn map(entries: Vec<(u64, Value)>) -> Vec<u8> {
    let value = Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::Integer(k.into()), v))
            .collect(),
    );
    let mut out = Vec::new();
    encode_value(&value, &mut out);
    out
}

fn uint(v: u64) -> Value {
    Value::Integer(v.into())
}

/// `message` on exchange 0, which no request may use `[IM-3]`, `[IM-101]`.
pub fn on_exchange_zero(message: Message) -> Vec<u8> {
    Envelope {
        exchange: 0,
        message,
    }
    .to_bytes()
}

/// `{0: message_type, 1: exchange, 2: 0}`: a message of a type the device does not know,
/// or that only a device sends `[IM-2]` (key 2 makes a well-formed `status-response` of
/// type 12, status success; a receiver ignores it in a type it does not know).
pub fn of_type(message_type: u64, exchange: u32) -> Vec<u8> {
    map(vec![
        (0, uint(message_type)),
        (1, uint(exchange.into())),
        (2, uint(0)),
    ])
}

/// A read-request whose prefix (type, exchange) is well formed and whose attribute paths
/// (key 2) are a text string instead of an array: it does not decode, and the exchange is
/// read from the prefix `[IM-5]`, `[IM-100]`.
pub fn read_with_mistyped_paths(exchange: u32) -> Vec<u8> {
    map(vec![
        (0, uint(3)),
        (1, uint(exchange.into())),
        (2, Value::Text("not a list".into())),
        (3, Value::Array(Vec::new())),
    ])
}

/// An array where a map must be: no prefix, so the answer carries exchange 0 `[IM-100]`.
pub fn not_a_map() -> Vec<u8> {
    let mut out = Vec::new();
    encode_value(&Value::Array(vec![uint(3), uint(1)]), &mut out);
    out
}

/// A read of endpoint `0xffff`, which is outside the message format `[IM-83]`.
pub fn read_of_reserved_endpoint(exchange: u32) -> Vec<u8> {
    map(vec![
        (0, uint(3)),
        (1, uint(exchange.into())),
        (
            2,
            Value::Array(vec![Value::Map(vec![(uint(0), uint(0xffff))])]),
        ),
        (3, Value::Array(Vec::new())),
    ])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use orbit_core::interaction::exchange_of_prefix;

    #[test]
    fn the_spec_example_of_the_reserved_endpoint_is_built_byte_for_byte() {
        // [IM-83]: {0: 3, 1: 7, 2: [{0: 65535}], 3: []}
        assert_eq!(
            hex::encode(read_of_reserved_endpoint(7)),
            "a4000301070281a10019ffff0380"
        );
    }

    #[test]
    fn each_fault_keeps_or_breaks_the_prefix_as_named() {
        assert_eq!(exchange_of_prefix(&read_with_mistyped_paths(41)), 41);
        assert!(Envelope::decode(&read_with_mistyped_paths(41)).is_err());
        assert_eq!(exchange_of_prefix(&not_a_map()), 0);
        assert_eq!(exchange_of_prefix(&of_type(99, 42)), 42);
        assert!(Envelope::decode(&of_type(99, 42)).is_err());
        let zero = on_exchange_zero(Message::DescribeRequest);
        assert_eq!(Envelope::decode(&zero).unwrap().exchange, 0);
    }
}

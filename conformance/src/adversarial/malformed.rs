//! Interaction requests that break the CBOR profile ([01-encoding.md]) or the interaction
//! model's limits (`[IM-4]`), written byte by byte from the CDDL, each with the answer the spec
//! requires: a `status-response` with `invalid-message` or `resource-exhausted` on the
//! exchange read from the request's prefix `[IM-5]`, `[IM-100]`.

use orbit_core::status::Status;

/// One way to break a `read-request`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// The message ends inside an item `[CBOR-1]`.
    Truncated,
    /// An array declares 2^32 entries that never come `[CBOR-10]`.
    OversizedLength,
    /// An item at depth 13, past the interaction limit of 12 `[IM-4]`.
    DeepNesting,
    /// Key 3 twice `[CBOR-7]`.
    DuplicateKey,
    /// Key 3 before key 2 `[CBOR-7]`.
    UnsortedKeys,
    /// A byte after the top-level item `[CBOR-2]`.
    TrailingBytes,
    /// The attribute paths (key 2) are an integer, not an array `[IM-5]`.
    WrongType,
    /// An indefinite-length array `[CBOR-4]`.
    Indefinite,
    /// A float where a path element goes `[CBOR-5]`.
    Float,
    /// A tag around a path `[CBOR-5]`.
    Tag,
    /// The type in a non-shortest head, so the prefix names no exchange `[CBOR-3]`,
    /// `[IM-100]`.
    NonShortestPrefix,
    /// 9,000-odd bytes, past the interaction message size of 8192 `[IM-4]`.
    TooLarge,
    /// 129 attribute paths, past 128 entries per array `[IM-4]`.
    TooManyEntries,
    /// A text string that is not UTF-8, under a key the receiver does not know `[CBOR-6]`
    /// (unknown keys are ignored, [CBOR-8], but the message must still be in the profile).
    InvalidUtf8,
    /// The event paths (key 3) left out: the CDDL requires the list, empty or not
    /// `[CBOR-11]`.
    MissingList,
}

/// The shortest head of major type `major` with argument `n` `[CBOR-3]`.
pub fn head(major: u8, n: u64) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=0xff => vec![m | 24, n as u8],
        0x100..=0xffff => {
            let mut v = vec![m | 25];
            v.extend_from_slice(&(n as u16).to_be_bytes());
            v
        }
        0x1_0000..=0xffff_ffff => {
            let mut v = vec![m | 26];
            v.extend_from_slice(&(n as u32).to_be_bytes());
            v
        }
        _ => {
            let mut v = vec![m | 27];
            v.extend_from_slice(&n.to_be_bytes());
            v
        }
    }
}

/// `{0: 0, 1: 1, 2: 0}`: the root endpoint's vendor ID, a concrete attribute path `[IM-10]`.
const VENDOR_ID_PATH: [u8; 7] = [0xa3, 0x00, 0x00, 0x01, 0x01, 0x02, 0x00];

fn prefix(entries: u64, ty: u64, exchange: u32) -> Vec<u8> {
    let mut v = head(5, entries);
    v.push(0x00);
    v.extend(head(0, ty));
    v.push(0x01);
    v.extend(head(0, u64::from(exchange)));
    v
}

/// A well-formed `read-request` `{0: 3, 1: exchange, 2: [path], 3: []}`.
pub fn read_request(exchange: u32) -> Vec<u8> {
    let mut v = prefix(4, 3, exchange);
    v.extend([0x02, 0x81]);
    v.extend(VENDOR_ID_PATH);
    v.extend([0x03, 0x80]);
    v
}

impl Malformed {
    /// Every variant.
    pub const ALL: [Malformed; 15] = [
        Malformed::Truncated,
        Malformed::OversizedLength,
        Malformed::DeepNesting,
        Malformed::DuplicateKey,
        Malformed::UnsortedKeys,
        Malformed::TrailingBytes,
        Malformed::WrongType,
        Malformed::Indefinite,
        Malformed::Float,
        Malformed::Tag,
        Malformed::NonShortestPrefix,
        Malformed::TooLarge,
        Malformed::TooManyEntries,
        Malformed::InvalidUtf8,
        Malformed::MissingList,
    ];

    /// The request's bytes, on `exchange` where the prefix names one.
    pub fn bytes(self, exchange: u32) -> Vec<u8> {
        let paths_then_events = |v: &mut Vec<u8>| {
            v.extend([0x02, 0x81]);
            v.extend(VENDOR_ID_PATH);
            v.extend([0x03, 0x80]);
        };
        match self {
            Malformed::Truncated => {
                let mut v = read_request(exchange);
                v.truncate(v.len() - 4);
                v
            }
            Malformed::OversizedLength => {
                let mut v = prefix(4, 3, exchange);
                v.extend([0x02, 0x81]);
                v.extend(VENDOR_ID_PATH);
                v.push(0x03);
                v.extend(head(4, 0xffff_ffff));
                v
            }
            Malformed::DeepNesting => {
                let mut v = prefix(4, 3, exchange);
                v.push(0x02);
                // The value of key 2 is at depth 1; twelve nested arrays put the innermost 0
                // at depth 13 [LIMIT-1]'s counting.
                v.extend([0x81; 12]);
                v.push(0x00);
                v.extend([0x03, 0x80]);
                v
            }
            Malformed::DuplicateKey => {
                let mut v = prefix(5, 3, exchange);
                paths_then_events(&mut v);
                v.extend([0x03, 0x80]);
                v
            }
            Malformed::UnsortedKeys => {
                let mut v = prefix(4, 3, exchange);
                v.extend([0x03, 0x80, 0x02, 0x81]);
                v.extend(VENDOR_ID_PATH);
                v
            }
            Malformed::TrailingBytes => {
                let mut v = read_request(exchange);
                v.push(0x00);
                v
            }
            Malformed::MissingList => {
                let mut v = prefix(3, 3, exchange);
                v.extend([0x02, 0x81]);
                v.extend(VENDOR_ID_PATH);
                v
            }
            Malformed::WrongType => {
                let mut v = prefix(4, 3, exchange);
                v.extend([0x02, 0x05, 0x03, 0x80]);
                v
            }
            Malformed::Indefinite => {
                let mut v = prefix(4, 3, exchange);
                v.extend([0x02, 0x9f]);
                v.extend(VENDOR_ID_PATH);
                v.extend([0xff, 0x03, 0x80]);
                v
            }
            Malformed::Float => {
                let mut v = prefix(4, 3, exchange);
                // {0: 0, 1: 1, 2: 0.0} with the attribute as a half-precision float.
                v.extend([
                    0x02, 0x81, 0xa3, 0x00, 0x00, 0x01, 0x01, 0x02, 0xf9, 0x00, 0x00,
                ]);
                v.extend([0x03, 0x80]);
                v
            }
            Malformed::Tag => {
                let mut v = prefix(4, 3, exchange);
                v.extend([0x02, 0x81, 0xc1]);
                v.extend(VENDOR_ID_PATH);
                v.extend([0x03, 0x80]);
                v
            }
            Malformed::NonShortestPrefix => {
                // The type 3 written as 0x18 0x03.
                let mut v = vec![0xa4, 0x00, 0x18, 0x03, 0x01];
                v.extend(head(0, u64::from(exchange)));
                paths_then_events(&mut v);
                v
            }
            Malformed::TooLarge => {
                let mut v = prefix(7, 3, exchange);
                paths_then_events(&mut v);
                // Three unknown keys ([CBOR-8] would ignore them) of 3000 bytes each: every
                // string is within the 4096-byte limit, the whole message is not.
                for key in 9..=11u64 {
                    v.extend(head(0, key));
                    v.extend(head(2, 3000));
                    v.extend(std::iter::repeat_n(0x5a, 3000));
                }
                v
            }
            Malformed::InvalidUtf8 => {
                let mut v = prefix(5, 3, exchange);
                paths_then_events(&mut v);
                v.extend([0x09, 0x62, 0xc3, 0x28]);
                v
            }
            Malformed::TooManyEntries => {
                let mut v = prefix(4, 3, exchange);
                v.push(0x02);
                v.extend(head(4, 129));
                for _ in 0..129 {
                    v.extend(VENDOR_ID_PATH);
                }
                v.extend([0x03, 0x80]);
                v
            }
        }
    }

    /// The statuses the spec allows as the answer.
    pub fn allowed(self) -> &'static [Status] {
        match self {
            // A declared length past the end is both a truncation and a string or array past
            // its limit: either reading is the spec's [IM-5].
            Malformed::OversizedLength => &[Status::INVALID_MESSAGE, Status::RESOURCE_EXHAUSTED],
            Malformed::DeepNesting | Malformed::TooLarge | Malformed::TooManyEntries => {
                &[Status::RESOURCE_EXHAUSTED]
            }
            _ => &[Status::INVALID_MESSAGE],
        }
    }

    /// The exchange the answer carries `[IM-100]`.
    pub fn answer_exchange(self, exchange: u32) -> u32 {
        match self {
            Malformed::NonShortestPrefix => 0,
            _ => exchange,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use orbit_core::codec::CborMessage;
    use orbit_core::interaction::{exchange_of_prefix, Envelope};

    #[test]
    fn the_base_request_decodes_and_every_variant_is_rejected_by_the_core_decoder() {
        let good = Envelope::decode(&read_request(4660)).unwrap();
        assert_eq!(good.exchange, 4660);
        for m in Malformed::ALL {
            let bytes = m.bytes(4660);
            assert!(Envelope::decode(&bytes).is_err(), "{m:?} decoded");
            assert_eq!(
                exchange_of_prefix(&bytes),
                m.answer_exchange(4660),
                "{m:?} prefix"
            );
        }
        assert!(Malformed::TooLarge.bytes(1).len() > 8192);
        assert_eq!(head(0, 23), [0x17]);
        assert_eq!(head(0, 24), [0x18, 24]);
        assert_eq!(head(4, 0x1_0000), [0x9a, 0, 1, 0, 0]);
    }
}

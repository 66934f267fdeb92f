//! The CBOR profile checker ([`scan`]), the tree decoder ([`decode_value`]) and the borrowing
//! [`Reader`] (`spec/v1/01-encoding.md`, `spec/v1/10-limits.md`).

use crate::alloc;
use crate::canonical::hex;
use orbit_core::cert::CERTIFICATE_LIMITS;
use orbit_core::codec::{
    decode_value, encode_value, scan, CodecError, ItemKind, Limits, Reader, Value,
};
use orbit_core::commission::{ATTESTATION_RESPONSE_LIMITS, COMMISSIONING_COMPLETE_LIMITS};
use orbit_core::interaction::IM_LIMITS;
use orbit_core::model::DESCRIPTOR_LIMITS;
use orbit_core::pairing::PAIRING_LIMITS;
use orbit_core::session::SESSION_LIMITS;

/// Every set of limits a receiver applies, so the fuzzer explores each one's edges.
const LIMIT_SETS: [Limits; 8] = [
    Limits::DEFAULT,
    IM_LIMITS,
    DESCRIPTOR_LIMITS,
    CERTIFICATE_LIMITS,
    PAIRING_LIMITS,
    SESSION_LIMITS,
    ATTESTATION_RESPONSE_LIMITS,
    COMMISSIONING_COMPLETE_LIMITS,
];

/// The first byte picks the limits; the rest is the message.
fn split(data: &[u8]) -> Option<(Limits, &[u8])> {
    let (first, message) = data.split_first()?;
    let limits = LIMIT_SETS.get(usize::from(*first) % LIMIT_SETS.len())?;
    Some((*limits, message))
}

/// Target `cbor_profile`: the checker and the tree decoder give the same verdict; the
/// checker allocates nothing; an accepted item re-encodes to exactly its input, because the
/// profile leaves each value one encoding [CBOR-1] [CBOR-3] [CBOR-7].
pub fn cbor_profile(data: &[u8]) {
    let Some((limits, message)) = split(data) else {
        return;
    };
    let checked = alloc::within(0, "scan [CBOR-10]", || scan(message, &limits));
    let tree = alloc::within(
        alloc::decode_budget(&limits),
        "decode_value [CBOR-10] [LIMIT-1]",
        || decode_value(message, &limits),
    );
    match (checked, tree) {
        (Ok(()), Ok(value)) => {
            let mut again = Vec::new();
            encode_value(&value, &mut again);
            assert_eq!(
                hex(&again),
                hex(message),
                "an accepted item does not re-encode to its input [CBOR-1]"
            );
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "scan and decode_value refuse differently"),
        (a, b) => panic!("scan says {a:?}, decode_value says {b:?}"),
    }
}

/// Target `cbor_reader`: the [`Reader`] accepts exactly what the checker accepts, reads the
/// same item the tree decoder builds, and [`Reader::skip`] steps over exactly one item.
pub fn cbor_reader(data: &[u8]) {
    let Some((limits, message)) = split(data) else {
        return;
    };
    let opened = alloc::within(0, "Reader::new [CBOR-10]", || {
        Reader::new(message, &limits).map(|_| ())
    });
    let tree = decode_value(message, &limits);
    match (opened, tree) {
        (Ok(()), Ok(value)) => {
            let Ok(mut reader) = Reader::new(message, &limits) else {
                panic!("Reader::new changed its verdict");
            };
            let read = read_item(&mut reader);
            assert_eq!(
                read.as_ref(),
                Ok(&value),
                "the reader and the tree disagree"
            );
            assert!(reader.is_done(), "the reader left bytes after the item");
            let Ok(mut skipper) = Reader::new(message, &limits) else {
                panic!("Reader::new changed its verdict");
            };
            assert_eq!(skipper.skip(), Ok(()));
            assert!(skipper.is_done(), "skip did not step over the whole item");
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "Reader::new and decode_value refuse differently"),
        (a, b) => panic!("Reader::new says {a:?}, decode_value says {b:?}"),
    }
}

/// Reads one item of any kind with the reader's typed calls, building the tree form.
fn read_item(r: &mut Reader<'_>) -> Result<Value, CodecError> {
    Ok(match r.peek()? {
        ItemKind::Uint => Value::Integer(r.uint(0)?.into()),
        ItemKind::Nint => {
            let n = r.nint_arg(0)?;
            Value::Integer(
                (-1 - i128::from(n))
                    .try_into()
                    .map_err(|_| CodecError::OutOfRange { key: 0 })?,
            )
        }
        ItemKind::Bytes => Value::Bytes(r.bytes(0)?.to_vec()),
        ItemKind::Text => Value::Text(r.text(0)?.to_owned()),
        ItemKind::Array => {
            let n = r.array(0)?;
            let mut items = Vec::new();
            for _ in 0..n {
                items.push(read_item(r)?);
            }
            Value::Array(items)
        }
        ItemKind::Map => {
            let n = r.map_len(0)?;
            let mut entries = Vec::new();
            for _ in 0..n {
                let key = read_item(r)?;
                entries.push((key, read_item(r)?));
            }
            Value::Map(entries)
        }
        ItemKind::Simple => match r.simple(0)? {
            None => Value::Null,
            Some(b) => Value::Bool(b),
        },
        ItemKind::Other => return Err(CodecError::WrongShape { expected: "item" }),
    })
}

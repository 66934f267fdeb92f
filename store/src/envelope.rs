//! The record file format; described in the crate documentation.

use crate::error::{Corruption, StoreError};
use crate::key::RecordKey;

/// The four bytes every record file starts with.
pub const MAGIC: [u8; 4] = *b"ORBS";
/// The envelope version this build writes and the newest it reads.
pub const ENVELOPE_VERSION: u16 = 1;
/// Header length in bytes.
pub const HEADER_LEN: usize = 16;
/// The largest payload a record may hold: 16 MiB. Stores hold keys, certificates and small
/// documents; a larger file is refused before it is read into memory.
pub const MAX_RECORD_LEN: usize = 16 * 1024 * 1024;

fn checksum(key: &RecordKey, head: &[u8], payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(key.as_str().as_bytes());
    hasher.update(head);
    hasher.update(payload);
    hasher.finalize()
}

/// Checks a payload length against [`MAX_RECORD_LEN`].
pub(crate) fn check_len(key: &RecordKey, len: usize) -> Result<u32, StoreError> {
    let too_large = || StoreError::TooLarge {
        key: key.clone(),
        len: len as u64,
        max: MAX_RECORD_LEN as u64,
    };
    if len > MAX_RECORD_LEN {
        return Err(too_large());
    }
    u32::try_from(len).map_err(|_| too_large())
}

/// Appends the record file for `payload` to `out`.
pub(crate) fn encode_into(
    key: &RecordKey,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), StoreError> {
    let len = check_len(key, payload.len())?;
    let mut head = [0u8; 12];
    let (magic, rest) = head.split_at_mut(4);
    magic.copy_from_slice(&MAGIC);
    let (version, rest) = rest.split_at_mut(2);
    version.copy_from_slice(&ENVELOPE_VERSION.to_be_bytes());
    let (_reserved, length) = rest.split_at_mut(2);
    length.copy_from_slice(&len.to_be_bytes());
    let crc = checksum(key, &head, payload);
    out.reserve(HEADER_LEN + payload.len());
    out.extend_from_slice(&head);
    out.extend_from_slice(&crc.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// Checks a whole record file and returns its payload.
pub(crate) fn decode<'a>(key: &RecordKey, file: &'a [u8]) -> Result<&'a [u8], StoreError> {
    let corrupt = |reason| StoreError::Corrupt {
        key: key.clone(),
        reason,
    };
    let Some((header, payload)) = file.split_first_chunk::<HEADER_LEN>() else {
        return Err(corrupt(Corruption::Truncated {
            len: file.len() as u64,
        }));
    };
    let [m0, m1, m2, m3, v0, v1, r0, r1, l0, l1, l2, l3, c0, c1, c2, c3] = *header;
    let magic = [m0, m1, m2, m3];
    let version = u16::from_be_bytes([v0, v1]);
    let reserved = u16::from_be_bytes([r0, r1]);
    let announced = u32::from_be_bytes([l0, l1, l2, l3]);
    let stored = u32::from_be_bytes([c0, c1, c2, c3]);
    let head = [m0, m1, m2, m3, v0, v1, r0, r1, l0, l1, l2, l3];
    if magic != MAGIC {
        return Err(corrupt(Corruption::BadMagic));
    }
    if u64::from(announced) != payload.len() as u64 {
        return Err(corrupt(Corruption::LengthMismatch {
            announced: u64::from(announced),
            actual: payload.len() as u64,
        }));
    }
    let computed = checksum(key, &head, payload);
    if computed != stored {
        return Err(corrupt(Corruption::Checksum { stored, computed }));
    }
    // Checked after the checksum: a version number read from a damaged file means nothing.
    if version > ENVELOPE_VERSION {
        return Err(StoreError::TooNew {
            key: key.clone(),
            what: "record envelope",
            found: version,
            supported: ENVELOPE_VERSION,
        });
    }
    if version == 0 || reserved != 0 {
        return Err(corrupt(Corruption::Reserved(if version == 0 {
            version
        } else {
            reserved
        })));
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;

    fn key() -> RecordKey {
        RecordKey::new("rec").unwrap()
    }

    fn encode(payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_into(&key(), payload, &mut out).unwrap();
        out
    }

    fn reason(file: &[u8]) -> Corruption {
        match decode(&key(), file) {
            Err(StoreError::Corrupt { reason, .. }) => reason,
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn layout_is_as_documented() {
        let file = encode(b"hi");
        assert_eq!(&file[..4], b"ORBS");
        assert_eq!(&file[4..8], &[0, 1, 0, 0]);
        assert_eq!(&file[8..12], &[0, 0, 0, 2]);
        assert_eq!(file.len(), HEADER_LEN + 2);
        assert_eq!(decode(&key(), &file).unwrap(), b"hi");
        assert_eq!(decode(&key(), &encode(b"")).unwrap(), b"");
    }

    #[test]
    fn every_truncation_is_detected() {
        let file = encode(&[7u8; 100]);
        for len in 0..file.len() {
            let r = reason(&file[..len]);
            assert!(
                matches!(
                    r,
                    Corruption::Truncated { .. } | Corruption::LengthMismatch { .. }
                ),
                "{len}: {r:?}"
            );
        }
        let mut longer = file.clone();
        longer.push(0);
        assert!(matches!(reason(&longer), Corruption::LengthMismatch { .. }));
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        let file = encode(b"the quick brown fox");
        for byte in 0..file.len() {
            for bit in 0..8 {
                let mut bad = file.clone();
                bad[byte] ^= 1 << bit;
                assert!(
                    decode(&key(), &bad).is_err(),
                    "flip {byte}.{bit} undetected"
                );
            }
        }
    }

    #[test]
    fn a_record_under_another_name_is_corrupt() {
        let file = encode(b"payload");
        let other = RecordKey::new("other").unwrap();
        assert!(matches!(
            decode(&other, &file),
            Err(StoreError::Corrupt {
                reason: Corruption::Checksum { .. },
                ..
            })
        ));
    }

    #[test]
    fn newer_envelope_is_too_new_not_corrupt() {
        // Build a valid-checksum file with version 2.
        let payload = b"future";
        let mut head = [0u8; 12];
        head[..4].copy_from_slice(&MAGIC);
        head[4..6].copy_from_slice(&2u16.to_be_bytes());
        head[8..12].copy_from_slice(&(payload.len() as u32).to_be_bytes());
        let crc = checksum(&key(), &head, payload);
        let mut file = head.to_vec();
        file.extend_from_slice(&crc.to_be_bytes());
        file.extend_from_slice(payload);
        assert!(matches!(
            decode(&key(), &file),
            Err(StoreError::TooNew {
                found: 2,
                supported: 1,
                ..
            })
        ));
        // And a garbage magic is BadMagic.
        let mut bad = encode(b"x");
        bad[0] = b'X';
        assert_eq!(reason(&bad), Corruption::BadMagic);
    }
}

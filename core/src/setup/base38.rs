//! Base-38 over the 38 characters that are both in the QR alphanumeric set and unreserved in
//! URLs (`[SETUP-9]`); the same encoding Matter uses for its `MT:` payloads.

/// The alphabet: digit value `i` is the `i`-th character.
const ALPHABET: &[u8; 38] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-.";

/// The digit value of an alphabet character.
pub(super) fn digit_value(c: char) -> Option<u8> {
    let value = match c {
        '0'..='9' => u32::from(c) - u32::from('0'),
        'A'..='Z' => u32::from(c) - u32::from('A') + 10,
        '-' => 36,
        '.' => 37,
        _ => return None,
    };
    u8::try_from(value).ok()
}

/// Number of characters a chunk of `bytes` bytes takes (3 -> 5, 2 -> 4, 1 -> 2).
const fn chars_for(bytes: usize) -> usize {
    match bytes {
        1 => 2,
        2 => 4,
        _ => 5,
    }
}

/// Appends the encoding of `bytes` to `out`: each chunk of up to 3 bytes is read as a
/// little-endian integer and written as base-38 digits, least significant first `[SETUP-9]`.
pub(super) fn encode(bytes: &[u8], out: &mut String) {
    for chunk in bytes.chunks(3) {
        let mut value = chunk
            .iter()
            .rev()
            .fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
        for _ in 0..chars_for(chunk.len()) {
            let digit = (value % 38) as usize;
            value /= 38;
            if let Some(c) = ALPHABET.get(digit) {
                out.push(char::from(*c));
            }
        }
    }
}

/// Why [`decode`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DecodeError {
    /// The digit count is not a whole number of chunks (5n, 5n + 2 or 5n + 4).
    Length,
    /// The chunk starting at this digit index encodes a value too large for its bytes.
    Chunk(usize),
}

/// Decodes base-38 digit values (not characters) back to bytes `[SETUP-9]`.
pub(super) fn decode(digits: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(digits.len() / 5 * 3 + 2);
    for (index, chunk) in digits.chunks(5).enumerate() {
        let bytes = match chunk.len() {
            5 => 3,
            4 => 2,
            2 => 1,
            _ => return Err(DecodeError::Length),
        };
        let value = chunk
            .iter()
            .rev()
            .fold(0u32, |acc, d| acc * 38 + u32::from(*d));
        // [SETUP-9] a chunk above 2^(8·bytes) - 1 has no byte encoding: reject, so that every
        // byte string has exactly one text form.
        if value >> (8 * bytes) != 0 {
            return Err(DecodeError::Chunk(index * 5));
        }
        out.extend(value.to_le_bytes().iter().take(bytes));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    fn digits(s: &str) -> Vec<u8> {
        s.chars().map(|c| digit_value(c).unwrap()).collect()
    }

    /// Reads `width` bits at `offset` of a little-endian bit string.
    fn bits(bytes: &[u8], offset: u32, width: u32) -> u64 {
        let mut v = 0u128;
        for (i, b) in bytes.iter().enumerate() {
            v |= u128::from(*b) << (8 * i);
        }
        ((v >> offset) & ((1u128 << width) - 1)) as u64
    }

    // [SETUP-9] our base-38 is Matter's: decoding Matter's published QR payloads gives the
    // bytes whose fields (Matter's layout) are the published ones, and re-encoding gives the
    // same text.
    #[test]
    fn matter_qr_vectors() {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/matter-onboarding-codes.json"
        ));
        let json: serde_json::Value = serde_json::from_str(text).unwrap();
        let qr = json["qr"].as_array().unwrap();
        assert!(!qr.is_empty());
        for v in qr {
            let payload = v["payload"].as_str().unwrap();
            let body = payload.strip_prefix("MT:").unwrap();
            let bytes = decode(&digits(body)).unwrap();
            assert_eq!(bytes.len(), 11, "{payload}");
            let field = |name: &str| v[name].as_u64().unwrap();
            assert_eq!(bits(&bytes, 0, 3), field("version"));
            assert_eq!(bits(&bytes, 3, 16), field("vendor_id"));
            assert_eq!(bits(&bytes, 19, 16), field("product_id"));
            assert_eq!(bits(&bytes, 35, 2), field("commissioning_flow"));
            assert_eq!(bits(&bytes, 37, 8), field("discovery_capabilities"));
            assert_eq!(bits(&bytes, 45, 12), field("discriminator"));
            assert_eq!(bits(&bytes, 57, 27), field("passcode"));
            let mut again = String::new();
            encode(&bytes, &mut again);
            assert_eq!(again, body);
        }
    }

    // [SETUP-9] chunk sizes and the largest chunk values.
    #[test]
    fn chunk_bounds() {
        let mut s = String::new();
        encode(&[0xff, 0xff, 0xff], &mut s);
        assert_eq!(s.len(), 5);
        assert_eq!(decode(&digits(&s)).unwrap(), vec![0xff, 0xff, 0xff]);
        // 16777216 = 2^24 does not fit.
        let mut over = Vec::new();
        let mut v = 1u32 << 24;
        for _ in 0..5 {
            over.push((v % 38) as u8);
            v /= 38;
        }
        assert_eq!(decode(&over), Err(DecodeError::Chunk(0)));
        assert_eq!(decode(&digits("..")), Err(DecodeError::Chunk(0)));
        assert_eq!(decode(&digits("000")), Err(DecodeError::Length));
        assert_eq!(decode(&digits("0")), Err(DecodeError::Length));
        assert_eq!(decode(&[]), Ok(vec![]));
    }

    #[test]
    fn alphabet_values() {
        for (i, c) in ALPHABET.iter().enumerate() {
            assert_eq!(digit_value(char::from(*c)), Some(i as u8));
        }
        for c in ['a', 'z', ' ', ':', '*', '$', '%', '+', '/', 'é', '\0'] {
            assert_eq!(digit_value(c), None);
        }
    }
}

//! CRC-32 as in ISO-HDLC / IEEE 802.3 / zlib (reflected polynomial 0xEDB88320, initial value
//! and final XOR 0xFFFFFFFF): the QR payload's check `[SETUP-11]`. A checksum against typing
//! and reading errors, not a cryptographic primitive.

/// The reflected generator polynomial.
const POLY: u32 = 0xEDB8_8320;

/// CRC-32 of the concatenation of `bytes`.
pub(super) fn crc32(bytes: impl IntoIterator<Item = u8>) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            // Subtract the polynomial when the bit shifted out is 1, without branching.
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (POLY & mask);
        }
    }
    !crc
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::crc32;

    // [SETUP-11] the catalogue check value of CRC-32/ISO-HDLC, and the empty string.
    #[test]
    fn check_values() {
        assert_eq!(crc32(b"123456789".iter().copied()), 0xCBF4_3926);
        assert_eq!(crc32([]), 0);
        assert_eq!(
            crc32(
                b"The quick brown fox jumps over the lazy dog"
                    .iter()
                    .copied()
            ),
            0x414F_A339
        );
    }

    // [SETUP-11] appending the CRC little-endian gives the fixed residue 0x2144DF1C, which is
    // why an error burst of up to 32 bits anywhere in data ‖ CRC is always caught.
    #[test]
    fn residue_of_message_with_crc() {
        for msg in [&b""[..], b"a", b"orbit setup", &[0u8; 11]] {
            let crc = crc32(msg.iter().copied());
            let all = msg.iter().copied().chain(crc.to_le_bytes());
            assert_eq!(crc32(all), 0x2144_DF1C);
        }
    }
}

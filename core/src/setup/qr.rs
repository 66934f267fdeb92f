//! The QR string `[SETUP-7]`..`[SETUP-12]`: `OB1:` then 15 bytes (88 bits of fields, a CRC-32)
//! in base 38.

use super::{
    base38, crc32::crc32, Discriminator, PairingFlow, Passcode, PayloadVersion, ProductId,
    SetupError, SetupPayload, TransportFlags, VendorId,
};

/// Every QR string starts with these characters, then the version in decimal, then `:`.
const PREFIX: &str = "OB";
/// Separates the prefix from the body.
const SEPARATOR: char = ':';
/// Most decimal digits a version number may have in the prefix.
const MAX_VERSION_DIGITS: usize = 3;

// [SETUP-10] bit offsets in the little-endian 120-bit payload integer, and field widths.
const VENDOR_SHIFT: u32 = 0;
const PRODUCT_SHIFT: u32 = 16;
const DISCRIMINATOR_SHIFT: u32 = 32;
const PASSCODE_SHIFT: u32 = 44;
const FLOW_SHIFT: u32 = 71;
const TRANSPORTS_SHIFT: u32 = 73;
const RESERVED_SHIFT: u32 = 81;
const RESERVED_BITS: u32 = 7;
/// Bits of the data part (everything but the CRC); a whole number of bytes.
const DATA_BITS: u32 = 88;
const DATA_BYTES: usize = 11;
/// Data and CRC-32.
const PAYLOAD_BYTES: usize = 15;
/// Base-38 characters of the body: five per three bytes.
const BODY_CHARS: usize = 25;

/// Mask of the low `bits` bits.
const fn mask(bits: u32) -> u128 {
    (1u128 << bits) - 1
}

/// `[SETUP-11]` CRC-32 over the version byte followed by the 11 data bytes.
fn check(version: u8, data: u128) -> u32 {
    crc32(std::iter::once(version).chain(data.to_le_bytes().into_iter().take(DATA_BYTES)))
}

pub(super) fn encode(p: &SetupPayload) -> String {
    // [SETUP-10] pack the fields; the reserved bits stay zero. Each value fits its width by
    // construction of its type.
    let data = u128::from(p.vendor_id.0) << VENDOR_SHIFT
        | u128::from(p.product_id.0) << PRODUCT_SHIFT
        | u128::from(p.discriminator.value()) << DISCRIMINATOR_SHIFT
        | u128::from(p.passcode.value()) << PASSCODE_SHIFT
        | u128::from(p.flow.value()) << FLOW_SHIFT
        | u128::from(p.transports.bits()) << TRANSPORTS_SHIFT;
    let version = p.version.value();
    // [SETUP-11] the CRC follows the data, little-endian.
    let full = data | u128::from(check(version, data)) << DATA_BITS;
    let bytes: Vec<u8> = full.to_le_bytes().into_iter().take(PAYLOAD_BYTES).collect();

    // [SETUP-7] prefix, [SETUP-9] body.
    let mut out = format!("{PREFIX}{version}{SEPARATOR}");
    base38::encode(&bytes, &mut out);
    out
}

/// `[SETUP-7]` splits `OB<version>:` off `s`: the version, the body and the character index
/// where the body starts.
fn split_prefix(s: &str) -> Result<(u16, &str, usize), SetupError> {
    let rest = s.strip_prefix(PREFIX).ok_or(SetupError::BadPrefix)?;
    let (version, body) = rest.split_once(SEPARATOR).ok_or(SetupError::BadPrefix)?;
    let well_formed = !version.is_empty()
        && version.len() <= MAX_VERSION_DIGITS
        && version.bytes().all(|b| b.is_ascii_digit())
        && !version.starts_with('0');
    if !well_formed {
        return Err(SetupError::BadPrefix);
    }
    let number = version.parse().map_err(|_| SetupError::BadPrefix)?;
    // The prefix is ASCII, so its byte length is its character count.
    Ok((number, body, PREFIX.len() + version.len() + 1))
}

pub(super) fn decode(s: &str) -> Result<SetupPayload, SetupError> {
    // [SETUP-13] step 1: prefix and version.
    let (version, body, body_start) = split_prefix(s)?;
    if version != u16::from(PayloadVersion::V1.value()) {
        return Err(SetupError::UnsupportedVersion { version });
    }

    // Step 2 [SETUP-8]: every character in the alphabet, then the length. Digits beyond the
    // expected count are only counted, so a huge input allocates nothing more.
    let mut digits = Vec::with_capacity(BODY_CHARS);
    let mut count = 0usize;
    for (i, character) in body.chars().enumerate() {
        let digit = base38::digit_value(character).ok_or(SetupError::BadCharacter {
            position: body_start + i,
            character,
        })?;
        if digits.len() < BODY_CHARS {
            digits.push(digit);
        }
        count += 1;
    }
    if count != BODY_CHARS {
        return Err(SetupError::WrongLength {
            expected: BODY_CHARS,
            actual: count,
        });
    }

    // Step 3 [SETUP-9]: base 38 to bytes.
    let bytes = base38::decode(&digits).map_err(|e| match e {
        base38::DecodeError::Chunk(index) => SetupError::InvalidChunk {
            position: body_start + index,
        },
        base38::DecodeError::Length => SetupError::WrongLength {
            expected: BODY_CHARS,
            actual: count,
        },
    })?;
    let full = bytes
        .iter()
        .rev()
        .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));

    // Step 4 [SETUP-11]: the check, before any field is looked at, so that a typo reports as
    // one whatever field it landed in.
    let data = full & mask(DATA_BITS);
    let stored = u32::try_from(full >> DATA_BITS).map_err(|_| SetupError::CheckMismatch)?;
    if check(PayloadVersion::V1.value(), data) != stored {
        return Err(SetupError::CheckMismatch);
    }

    // Step 5 [SETUP-10]: reserved bits.
    if (data >> RESERVED_SHIFT) & mask(RESERVED_BITS) != 0 {
        return Err(SetupError::ReservedBitsSet);
    }

    // Step 6 [SETUP-12]: fields. Each extraction is masked to the field's width, so the
    // conversions cannot fail; the passcode is checked against [SETUP-1].
    let field = |shift: u32, bits: u32| (data >> shift) & mask(bits);
    let narrow = |v: u128| u32::try_from(v).unwrap_or(u32::MAX);
    let u16_of = |v: u128| u16::try_from(v).unwrap_or(u16::MAX);
    let u8_of = |v: u128| u8::try_from(v).unwrap_or(u8::MAX);
    Ok(SetupPayload {
        version: PayloadVersion::V1,
        vendor_id: VendorId(u16_of(field(VENDOR_SHIFT, 16))),
        product_id: ProductId(u16_of(field(PRODUCT_SHIFT, 16))),
        discriminator: Discriminator::new(u16_of(field(DISCRIMINATOR_SHIFT, Discriminator::BITS)))?,
        passcode: Passcode::new(narrow(field(PASSCODE_SHIFT, Passcode::BITS)))?,
        flow: PairingFlow::new(u8_of(field(FLOW_SHIFT, 2)))?,
        transports: TransportFlags::from_bits(u8_of(field(TRANSPORTS_SHIFT, 8))),
    })
}

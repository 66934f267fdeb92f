//! The manual code `[SETUP-14]`..`[SETUP-17]`: 11 or 21 decimal digits ending in a Verhoeff
//! check digit. The digit layout is Matter's, so Matter's published codes test it.

use super::{verhoeff, Passcode, ProductId, SetupError, ShortDiscriminator, VendorId};
use std::fmt::Write as _;

/// Which manual code to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManualCodeForm {
    /// 11 digits: short discriminator and passcode.
    Short,
    /// 21 digits: also the vendor and product IDs.
    Long,
}

/// Digits of the short form, check digit included.
const SHORT_DIGITS: usize = 11;
/// Digits of the long form, check digit included.
const LONG_DIGITS: usize = 21;
/// Bit of the first digit that marks the long form.
const LONG_FLAG: u32 = 0b100;
/// Passcode bits in digits 2-6 (the rest go to digits 7-10).
const PASSCODE_LOW_BITS: u32 = 14;
/// A first digit of 8 or 9 marks a later version of the manual code `[SETUP-16]`.
const FIRST_LATER_VERSION_DIGIT: u8 = 8;

/// What a manual code carries: the upper 4 bits of the discriminator, the passcode and, in the
/// long form, the vendor and product IDs.
///
/// `Display` writes the grouped digits (`3497-011-2332`), which encode the passcode: show them
/// to the user, never log them. `Debug` does not print the passcode `[SETUP-3]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManualCode {
    /// The upper 4 bits of the device's discriminator.
    pub short_discriminator: ShortDiscriminator,
    /// The PASE passcode.
    pub passcode: Passcode,
    /// The vendor and product IDs, present in the long form only.
    pub vendor_product: Option<(VendorId, ProductId)>,
}

impl ManualCode {
    /// A manual code; long form when `vendor_product` is present.
    pub fn new(
        short_discriminator: ShortDiscriminator,
        passcode: Passcode,
        vendor_product: Option<(VendorId, ProductId)>,
    ) -> Self {
        Self {
            short_discriminator,
            passcode,
            vendor_product,
        }
    }

    /// The code's form.
    pub fn form(&self) -> ManualCodeForm {
        match self.vendor_product {
            Some(_) => ManualCodeForm::Long,
            None => ManualCodeForm::Short,
        }
    }

    /// The 11 or 21 digits without separators.
    pub fn digits(&self) -> String {
        encode_digits(
            self.short_discriminator.value(),
            self.passcode.value(),
            self.vendor_product.map(|(v, p)| (v.0, p.0)),
        )
    }

    /// Parses a manual code typed by a user or read from a label. Spaces and hyphens are
    /// ignored wherever they are `[SETUP-15]`.
    pub fn parse(s: &str) -> Result<Self, SetupError> {
        // [SETUP-15] collect the digits, skipping separators. [SETUP-21] only as many as the
        // long form has are kept; beyond that they are only counted, so an input of any
        // length costs no more memory than a well-formed code.
        let mut digits = Vec::with_capacity(LONG_DIGITS);
        let mut count = 0usize;
        for (position, character) in s.chars().enumerate() {
            match character {
                ' ' | '-' => {}
                '0'..='9' => {
                    if digits.len() < LONG_DIGITS {
                        digits.push(digit(character));
                    }
                    count += 1;
                }
                _ => {
                    return Err(SetupError::BadCharacter {
                        position,
                        character,
                    })
                }
            }
        }

        // [SETUP-16] step 2: a code of a later version starts with 8 or 9 and still carries a
        // valid Verhoeff digit, whatever its length. (A mistyped first digit fails the check
        // and so reports as a check mismatch below, not as a version.)
        let first = digits.first().copied().unwrap_or(0);
        // The check runs over every digit of the input, read again from its end.
        let every_digit_from_last = s.chars().rev().filter(char::is_ascii_digit).map(digit);
        if first >= FIRST_LATER_VERSION_DIGIT && verhoeff::is_valid_from_last(every_digit_from_last)
        {
            return Err(SetupError::UnsupportedVersion {
                version: u16::from(first),
            });
        }
        // Step 3: length.
        let long = match count {
            SHORT_DIGITS => false,
            LONG_DIGITS => true,
            actual => return Err(SetupError::WrongDigitCount { actual }),
        };
        // Step 4 [SETUP-18]: the check digit, before any field is interpreted.
        if !verhoeff::is_valid(&digits) {
            return Err(SetupError::CheckMismatch);
        }
        // A first digit of 8 or 9 passing the check was handled in step 2.
        let first = u32::from(first);
        // Step 5: the long-form flag must agree with the length.
        if (first & LONG_FLAG != 0) != long {
            return Err(SetupError::FormMismatch {
                long_flag: first & LONG_FLAG != 0,
                digits: digits.len(),
            });
        }
        // Step 6 [SETUP-14]: the groups and their ranges.
        let low = group(&digits, 2, 6, 0xFFFF)?;
        let high = group(&digits, 7, 10, 0x1FFF)?;
        let short = (first & 0b11) << 2 | low >> PASSCODE_LOW_BITS;
        let passcode = (low & 0x3FFF) | high << PASSCODE_LOW_BITS;
        let vendor_product = if long {
            let vendor = group(&digits, 11, 15, 0xFFFF)?;
            let product = group(&digits, 16, 20, 0xFFFF)?;
            Some((
                VendorId(u16::try_from(vendor).unwrap_or(u16::MAX)),
                ProductId(u16::try_from(product).unwrap_or(u16::MAX)),
            ))
        } else {
            None
        };
        // Step 7 [SETUP-1]: the passcode must be valid.
        Ok(Self {
            short_discriminator: ShortDiscriminator::new(u8::try_from(short).unwrap_or(u8::MAX))?,
            passcode: Passcode::new(passcode)?,
            vendor_product,
        })
    }
}

/// The value of an ASCII digit.
fn digit(c: char) -> u8 {
    u8::try_from(u32::from(c).wrapping_sub(u32::from('0'))).unwrap_or(0)
}

/// The decimal value of digits `first..=last` (1-based), if at most `max` `[SETUP-14]`.
fn group(digits: &[u8], first: u8, last: u8, max: u32) -> Result<u32, SetupError> {
    let value = digits
        .iter()
        .skip(usize::from(first) - 1)
        .take(usize::from(last - first) + 1)
        .fold(0u32, |acc, d| acc * 10 + u32::from(*d));
    if value > max {
        return Err(SetupError::GroupOutOfRange {
            first_digit: first,
            last_digit: last,
            max,
        });
    }
    Ok(value)
}

/// `[SETUP-14]` the digits of a manual code from raw field values (no validation, so Matter's
/// out-of-range test passcodes can be encoded in tests).
fn encode_digits(short: u8, passcode: u32, vendor_product: Option<(u16, u16)>) -> String {
    let short = u32::from(short);
    let long = u32::from(vendor_product.is_some());
    let first = (short >> 2) | long << 2;
    let low = (passcode & 0x3FFF) | (short & 0b11) << PASSCODE_LOW_BITS;
    let high = passcode >> PASSCODE_LOW_BITS;
    let mut out = format!("{first}{low:05}{high:04}");
    if let Some((vendor, product)) = vendor_product {
        let _ = write!(out, "{vendor:05}{product:05}");
    }
    let values: Vec<u8> = out.chars().map(digit).collect();
    out.push(char::from(b'0' + verhoeff::check_digit(&values)));
    out
}

/// `[SETUP-17]` group sizes for display: 4-3-4 and 4-3-4-5-5.
const SHORT_GROUPS: &[usize] = &[4, 3, 4];
const LONG_GROUPS: &[usize] = &[4, 3, 4, 5, 5];

impl std::fmt::Display for ManualCode {
    /// The digits in groups separated by hyphens, `[SETUP-17]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let groups = match self.form() {
            ManualCodeForm::Short => SHORT_GROUPS,
            ManualCodeForm::Long => LONG_GROUPS,
        };
        let digits = self.digits();
        let mut rest = digits.as_str();
        for (i, size) in groups.iter().enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            let (head, tail) = rest.split_at(rest.len().min(*size));
            f.write_str(head)?;
            rest = tail;
        }
        f.write_str(rest)
    }
}

impl std::str::FromStr for ManualCode {
    type Err = SetupError;

    /// Same as [`ManualCode::parse`].
    fn from_str(s: &str) -> Result<Self, SetupError> {
        Self::parse(s)
    }
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

    // [SETUP-14] the layout is Matter's: every published Matter manual code (including those
    // with passcodes outside the valid range, which only the raw encoder can produce).
    #[test]
    fn matter_manual_codes() {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/matter-onboarding-codes.json"
        ));
        let json: serde_json::Value = serde_json::from_str(text).unwrap();
        let manual = json["manual"].as_array().unwrap();
        assert!(manual.len() >= 6);
        for v in manual {
            let short = v["short_discriminator"].as_u64().unwrap() as u8;
            assert_eq!(
                u64::from(short),
                v["discriminator"].as_u64().unwrap() >> 8,
                "{v}"
            );
            let passcode = v["passcode"].as_u64().unwrap() as u32;
            // Matter prints the long form exactly when the flow is not standard.
            let ids = (v["commissioning_flow"].as_u64().unwrap() != 0).then(|| {
                (
                    v["vendor_id"].as_u64().unwrap() as u16,
                    v["product_id"].as_u64().unwrap() as u16,
                )
            });
            assert_eq!(
                encode_digits(short, passcode, ids),
                v["code"].as_str().unwrap(),
                "{v}"
            );
        }
    }

    // [SETUP-16] a valid Verhoeff code whose first digit is 8 or 9 is a later version, any
    // length; the same digits with a wrong check digit are a check mismatch or wrong length.
    #[test]
    fn later_versions() {
        for body in ["8000000000", "9123", "812345678901234567890123"] {
            let values: Vec<u8> = body.chars().map(digit).collect();
            let code = format!("{body}{}", verhoeff::check_digit(&values));
            let version = u16::from(values[0]);
            assert_eq!(
                ManualCode::parse(&code),
                Err(SetupError::UnsupportedVersion { version })
            );
        }
    }
}

//! TXT records of both advertisement modes, built and parsed without I/O `[DISC-2]`.
//!
//! Parsing is total: any list of TXT entries gives a record or one [`RecordError`]
//! `[DISC-3]`.

use std::fmt;

use orbit_core::crypto::{CryptoError, Random};
use orbit_core::setup::{Discriminator, ProductId, VendorId};
use orbit_core::version::{ProtocolVersion, VersionRange, SUPPORTED};

use crate::instance::InstanceId;

/// Largest TXT record, in bytes on the wire, a device may send `[DISC-2]`.
pub const MAX_TXT_LEN: usize = 200;

/// TXT key of the mode `[DISC-2]`.
pub const KEY_MODE: &str = "m";
/// TXT key of the protocol versions `[DISC-2]`.
pub const KEY_VERSIONS: &str = "v";
/// TXT key of the discriminator `[DISC-7]`.
pub const KEY_DISCRIMINATOR: &str = "d";
/// TXT key of vendor and product `[DISC-7]`.
pub const KEY_VENDOR_PRODUCT: &str = "vp";
/// TXT key of the pairing hint `[DISC-7]`.
pub const KEY_PAIRING_HINT: &str = "ph";

/// Why a TXT record or instance name does not describe an Orbit advertisement `[DISC-3]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The instance name is not 16 hex digits.
    #[error("instance name is not 16 hex digits")]
    BadInstanceName,
    /// A required key is absent.
    #[error("TXT key \"{key}\" is missing")]
    MissingKey {
        /// The key.
        key: &'static str,
    },
    /// A required key has no `=value`.
    #[error("TXT key \"{key}\" has no value")]
    MissingValue {
        /// The key.
        key: &'static str,
    },
    /// A value is not in the key's syntax (decimal without leading zeros, `a+b`, `min-max`).
    #[error("TXT key \"{key}\" has a malformed value")]
    Malformed {
        /// The key.
        key: &'static str,
    },
    /// A value is well formed but out of the key's range.
    #[error("TXT key \"{key}\" is out of range")]
    OutOfRange {
        /// The key.
        key: &'static str,
    },
    /// The record is of the other mode.
    #[error("the advertisement is {found}, not {expected}")]
    WrongMode {
        /// The mode the caller asked for.
        expected: Mode,
        /// The mode the record has.
        found: Mode,
    },
}

/// The two advertisement modes, TXT `m` `[DISC-2]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `m=c`: the pairing window is open `[DISC-5]`.
    Commissionable,
    /// `m=o`: one instance per home `[DISC-10]`.
    Operational,
}

impl Mode {
    /// The TXT value.
    pub const fn txt_value(self) -> &'static str {
        match self {
            Mode::Commissionable => "c",
            Mode::Operational => "o",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Commissionable => "commissionable",
            Mode::Operational => "operational",
        })
    }
}

/// The pairing hint bit set `[DISC-8]`. Unknown bits survive parsing and building.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PairingHint(u16);

impl PairingHint {
    /// No hint.
    pub const NONE: PairingHint = PairingHint(0);
    /// Bit 0: the window opened at power-up.
    pub const POWER_UP: PairingHint = PairingHint(0x1);
    /// Bit 1: the window was opened by a user action on the device.
    pub const USER_ACTION: PairingHint = PairingHint(0x2);
    /// Bit 2: a vendor-specific step; look up the vendor's instructions by vendor and product.
    pub const VENDOR_STEP: PairingHint = PairingHint(0x4);
    /// Bit 3: the device shows its setup code on a display.
    pub const DISPLAYS_CODE: PairingHint = PairingHint(0x8);
    /// Every bit this version defines.
    pub const KNOWN: PairingHint = PairingHint(0xF);

    /// The hint with these bits, reserved ones included.
    pub const fn from_bits(bits: u16) -> Self {
        Self(bits)
    }

    /// The bits.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: PairingHint) -> bool {
        self.0 & other.0 == other.0
    }

    /// The reserved bits that are set (a controller ignores them) `[DISC-8]`.
    pub const fn unknown_bits(self) -> u16 {
        self.0 & !Self::KNOWN.0
    }
}

impl std::ops::BitOr for PairingHint {
    type Output = PairingHint;

    fn bitor(self, rhs: PairingHint) -> PairingHint {
        PairingHint(self.0 | rhs.0)
    }
}

/// What a device advertises while its pairing window is open `[DISC-5]` `[DISC-7]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commissionable {
    /// Random per pairing window `[DISC-6]`.
    pub instance: InstanceId,
    /// The setup payload's discriminator `[SETUP-4]`.
    pub discriminator: Discriminator,
    /// The vendor.
    pub vendor_id: VendorId,
    /// The product.
    pub product_id: ProductId,
    /// What to tell the user `[DISC-8]`.
    pub pairing_hint: PairingHint,
    /// The protocol versions the device speaks.
    pub versions: VersionRange,
}

/// What a device advertises for one of its homes `[DISC-10]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operational {
    /// The home's operational instance ID of the device ([`crate::operational_instance_id`])
    /// `[DISC-11]`.
    pub instance: InstanceId,
    /// The protocol versions the device speaks.
    pub versions: VersionRange,
}

/// What both modes share: a mode, an instance name and a TXT record.
pub trait Advertisement: Sized {
    /// The mode of this record.
    const MODE: Mode;

    /// The instance name.
    fn instance(&self) -> InstanceId;

    /// The TXT entries, in order, as `(key, value)` `[DISC-2]`.
    fn txt(&self) -> Vec<(&'static str, String)>;

    /// The subtype (without `._sub.` and the service type) to register, if any.
    fn subtype(&self) -> Option<String>;

    /// Parses the record of instance `instance` from TXT entries `(key, value)`, where a key
    /// without `=` has no value. Total: never panics `[DISC-3]`.
    fn from_txt<'a, I>(instance: InstanceId, entries: I) -> Result<Self, RecordError>
    where
        I: IntoIterator<Item = (&'a str, Option<&'a [u8]>)>;
}

impl Commissionable {
    /// A commissionable record with a fresh random instance name `[DISC-6]` and the versions
    /// this implementation speaks.
    pub fn new(
        rng: &mut dyn Random,
        discriminator: Discriminator,
        vendor_id: VendorId,
        product_id: ProductId,
        pairing_hint: PairingHint,
    ) -> Result<Self, CryptoError> {
        Ok(Self {
            instance: InstanceId::random(rng)?,
            discriminator,
            vendor_id,
            product_id,
            pairing_hint,
            versions: SUPPORTED,
        })
    }
}

impl Operational {
    /// An operational record for `instance` with the versions this implementation speaks.
    pub fn new(instance: InstanceId) -> Self {
        Self {
            instance,
            versions: SUPPORTED,
        }
    }
}

impl Advertisement for Commissionable {
    const MODE: Mode = Mode::Commissionable;

    fn instance(&self) -> InstanceId {
        self.instance
    }

    // [DISC-7]
    fn txt(&self) -> Vec<(&'static str, String)> {
        vec![
            (KEY_MODE, Self::MODE.txt_value().to_owned()),
            (KEY_VERSIONS, versions_value(&self.versions)),
            (KEY_DISCRIMINATOR, self.discriminator.value().to_string()),
            (
                KEY_VENDOR_PRODUCT,
                format!("{}+{}", self.vendor_id.0, self.product_id.0),
            ),
            (KEY_PAIRING_HINT, self.pairing_hint.bits().to_string()),
        ]
    }

    // [DISC-9]
    fn subtype(&self) -> Option<String> {
        Some(long_subtype(self.discriminator))
    }

    fn from_txt<'a, I>(instance: InstanceId, entries: I) -> Result<Self, RecordError>
    where
        I: IntoIterator<Item = (&'a str, Option<&'a [u8]>)>,
    {
        let txt = Txt::new(entries);
        let versions = txt.common(Self::MODE)?;
        let d = txt.number(KEY_DISCRIMINATOR)?;
        let discriminator = Discriminator::new(d).map_err(|_| RecordError::OutOfRange {
            key: KEY_DISCRIMINATOR,
        })?;
        let vp = txt.required(KEY_VENDOR_PRODUCT)?;
        let (v, p) = vp.split_once('+').ok_or(RecordError::Malformed {
            key: KEY_VENDOR_PRODUCT,
        })?;
        let vendor = decimal_u16(v, KEY_VENDOR_PRODUCT)?;
        let product = decimal_u16(p, KEY_VENDOR_PRODUCT)?;
        let hint = txt.number(KEY_PAIRING_HINT)?;
        Ok(Self {
            instance,
            discriminator,
            vendor_id: VendorId(vendor),
            product_id: ProductId(product),
            pairing_hint: PairingHint::from_bits(hint),
            versions,
        })
    }
}

impl Advertisement for Operational {
    const MODE: Mode = Mode::Operational;

    fn instance(&self) -> InstanceId {
        self.instance
    }

    // [DISC-10] nothing beyond mode and versions.
    fn txt(&self) -> Vec<(&'static str, String)> {
        vec![
            (KEY_MODE, Self::MODE.txt_value().to_owned()),
            (KEY_VERSIONS, versions_value(&self.versions)),
        ]
    }

    fn subtype(&self) -> Option<String> {
        None
    }

    fn from_txt<'a, I>(instance: InstanceId, entries: I) -> Result<Self, RecordError>
    where
        I: IntoIterator<Item = (&'a str, Option<&'a [u8]>)>,
    {
        let versions = Txt::new(entries).common(Self::MODE)?;
        Ok(Self { instance, versions })
    }
}

/// The subtype label a commissionable device registers for its discriminator, `_L<d>`
/// `[DISC-9]`.
pub fn long_subtype(discriminator: Discriminator) -> String {
    format!("_L{}", discriminator.value())
}

/// The size of TXT entries on the wire: each string is a length byte and `key=value`
/// `[DISC-2]`.
pub fn txt_wire_len(entries: &[(&str, String)]) -> usize {
    entries.iter().map(|(k, v)| 1 + k.len() + 1 + v.len()).sum()
}

/// `1` or `min-max` `[DISC-2]`.
fn versions_value(r: &VersionRange) -> String {
    if r.min == r.max {
        r.min.0.to_string()
    } else {
        format!("{}-{}", r.min.0, r.max.0)
    }
}

/// TXT entries with the lookup rules of [DISC-3].
struct Txt<'a>(Vec<(&'a str, Option<&'a [u8]>)>);

impl<'a> Txt<'a> {
    fn new<I: IntoIterator<Item = (&'a str, Option<&'a [u8]>)>>(entries: I) -> Self {
        Self(entries.into_iter().collect())
    }

    /// The value of the first entry with this key, compared case-insensitively `[DISC-3]`.
    fn required(&self, key: &'static str) -> Result<&'a str, RecordError> {
        let (_, value) = self
            .0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .ok_or(RecordError::MissingKey { key })?;
        let bytes = value.ok_or(RecordError::MissingValue { key })?;
        std::str::from_utf8(bytes).map_err(|_| RecordError::Malformed { key })
    }

    fn number(&self, key: &'static str) -> Result<u16, RecordError> {
        decimal_u16(self.required(key)?, key)
    }

    /// Checks `m` and parses `v` `[DISC-2]`.
    fn common(&self, expected: Mode) -> Result<VersionRange, RecordError> {
        let found = match self.required(KEY_MODE)? {
            "c" | "C" => Mode::Commissionable,
            "o" | "O" => Mode::Operational,
            _ => return Err(RecordError::Malformed { key: KEY_MODE }),
        };
        if found != expected {
            return Err(RecordError::WrongMode { expected, found });
        }
        let v = self.required(KEY_VERSIONS)?;
        let (min, max) = match v.split_once('-') {
            Some((a, b)) => (decimal_u16(a, KEY_VERSIONS)?, decimal_u16(b, KEY_VERSIONS)?),
            None => {
                let n = decimal_u16(v, KEY_VERSIONS)?;
                (n, n)
            }
        };
        // [VER-5] a range with min 0 or min > max is invalid.
        let range = VersionRange {
            min: ProtocolVersion(min),
            max: ProtocolVersion(max),
        };
        range
            .validate()
            .map_err(|_| RecordError::OutOfRange { key: KEY_VERSIONS })?;
        Ok(range)
    }
}

/// Decimal without sign, spaces or leading zeros, at most 65535 `[DISC-2]`.
fn decimal_u16(s: &str, key: &'static str) -> Result<u16, RecordError> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if !canonical {
        return Err(RecordError::Malformed { key });
    }
    if s.len() > 5 {
        return Err(RecordError::OutOfRange { key });
    }
    s.parse::<u16>()
        .map_err(|_| RecordError::OutOfRange { key })
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
    use proptest::prelude::*;

    fn entries(
        list: &[(&'static str, &'static str)],
    ) -> Vec<(&'static str, Option<&'static [u8]>)> {
        list.iter().map(|(k, v)| (*k, Some(v.as_bytes()))).collect()
    }

    fn sample() -> Commissionable {
        Commissionable {
            instance: InstanceId::from_bytes([1, 2, 3, 4, 5, 6, 7, 8]),
            discriminator: Discriminator::new(3840).unwrap(),
            vendor_id: VendorId(0xFFF1),
            product_id: ProductId(0x8001),
            pairing_hint: PairingHint::POWER_UP,
            versions: SUPPORTED,
        }
    }

    fn parse_c(e: &[(&'static str, Option<&'static [u8]>)]) -> Result<Commissionable, RecordError> {
        Commissionable::from_txt(sample().instance, e.iter().copied())
    }

    // [DISC-7] [DISC-9] the TXT record and subtype of the worked example.
    #[test]
    fn commissionable_txt() {
        let c = sample();
        let txt = c.txt();
        let text: Vec<String> = txt.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(text, ["m=c", "v=1", "d=3840", "vp=65521+32769", "ph=1"]);
        assert_eq!(c.subtype().unwrap(), "_L3840");
        let borrowed: Vec<(&str, Option<&[u8]>)> =
            txt.iter().map(|(k, v)| (*k, Some(v.as_bytes()))).collect();
        assert_eq!(Commissionable::from_txt(c.instance, borrowed).unwrap(), c);
    }

    // [DISC-2] the largest possible records stay within the TXT limit.
    #[test]
    fn txt_within_limit() {
        let c = Commissionable {
            discriminator: Discriminator::new(4095).unwrap(),
            vendor_id: VendorId(65535),
            product_id: ProductId(65535),
            pairing_hint: PairingHint::from_bits(65535),
            versions: VersionRange {
                min: ProtocolVersion(65534),
                max: ProtocolVersion(65535),
            },
            ..sample()
        };
        assert!(txt_wire_len(&c.txt()) <= MAX_TXT_LEN);
        assert!(c.txt().iter().all(|(k, v)| k.len() + 1 + v.len() <= 255));
        let o = Operational::new(c.instance);
        assert_eq!(txt_wire_len(&o.txt()), 8);
    }

    // [DISC-3] case-insensitive keys, first occurrence wins, unknown keys ignored.
    #[test]
    fn lookup_rules() {
        let e = entries(&[
            ("M", "c"),
            ("x-future", "whatever"),
            ("V", "1"),
            ("d", "3840"),
            ("d", "1"),
            ("VP", "65521+32769"),
            ("ph", "1"),
        ]);
        assert_eq!(parse_c(&e).unwrap(), sample());
    }

    // [DISC-3] each missing or malformed key is its own error.
    #[test]
    fn errors() {
        use RecordError::*;
        let good = [
            ("m", "c"),
            ("v", "1"),
            ("d", "3840"),
            ("vp", "65521+32769"),
            ("ph", "1"),
        ];
        let with = |key: &'static str, val: &'static str| {
            let mut e = entries(&good);
            for entry in &mut e {
                if entry.0 == key {
                    entry.1 = Some(val.as_bytes());
                }
            }
            e
        };
        let without = |key: &'static str| {
            let mut e = entries(&good);
            e.retain(|(k, _)| *k != key);
            e
        };
        assert_eq!(parse_c(&without("d")), Err(MissingKey { key: "d" }));
        assert_eq!(parse_c(&without("m")), Err(MissingKey { key: "m" }));
        assert_eq!(parse_c(&without("v")), Err(MissingKey { key: "v" }));
        assert_eq!(parse_c(&without("vp")), Err(MissingKey { key: "vp" }));
        assert_eq!(parse_c(&without("ph")), Err(MissingKey { key: "ph" }));
        let mut no_value = entries(&good);
        no_value[2].1 = None;
        assert_eq!(parse_c(&no_value), Err(MissingValue { key: "d" }));
        assert_eq!(parse_c(&with("d", "4096")), Err(OutOfRange { key: "d" }));
        assert_eq!(parse_c(&with("d", "03840")), Err(Malformed { key: "d" }));
        assert_eq!(parse_c(&with("d", "+1")), Err(Malformed { key: "d" }));
        assert_eq!(parse_c(&with("d", " 1")), Err(Malformed { key: "d" }));
        assert_eq!(parse_c(&with("d", "")), Err(Malformed { key: "d" }));
        assert_eq!(parse_c(&with("d", "999999")), Err(OutOfRange { key: "d" }));
        assert_eq!(parse_c(&with("ph", "65536")), Err(OutOfRange { key: "ph" }));
        assert_eq!(parse_c(&with("vp", "65521")), Err(Malformed { key: "vp" }));
        assert_eq!(parse_c(&with("vp", "65521+")), Err(Malformed { key: "vp" }));
        assert_eq!(
            parse_c(&with("vp", "65536+1")),
            Err(OutOfRange { key: "vp" })
        );
        assert_eq!(parse_c(&with("m", "x")), Err(Malformed { key: "m" }));
        assert_eq!(
            parse_c(&with("m", "o")),
            Err(WrongMode {
                expected: Mode::Commissionable,
                found: Mode::Operational
            })
        );
        // [VER-5] invalid ranges.
        assert_eq!(parse_c(&with("v", "0")), Err(OutOfRange { key: "v" }));
        assert_eq!(parse_c(&with("v", "3-2")), Err(OutOfRange { key: "v" }));
        assert_eq!(parse_c(&with("v", "1-")), Err(Malformed { key: "v" }));
        assert!(parse_c(&with("v", "1-3")).is_ok());
        let bad_utf8: Vec<(&str, Option<&[u8]>)> = vec![("m", Some(&[0xff]))];
        assert_eq!(parse_c(&bad_utf8), Err(Malformed { key: "m" }));
    }

    // [DISC-8] reserved hint bits survive.
    #[test]
    fn hint_bits_kept() {
        let c = Commissionable {
            pairing_hint: PairingHint::from_bits(0x8002),
            ..sample()
        };
        let txt = c.txt();
        let e: Vec<(&str, Option<&[u8]>)> =
            txt.iter().map(|(k, v)| (*k, Some(v.as_bytes()))).collect();
        let back = Commissionable::from_txt(c.instance, e).unwrap();
        assert_eq!(back.pairing_hint.unknown_bits(), 0x8000);
        assert!(back.pairing_hint.contains(PairingHint::USER_ACTION));
    }

    // [DISC-10] operational records round-trip and refuse commissionable ones.
    #[test]
    fn operational_txt() {
        let o = Operational::new(InstanceId::from_bytes([9; 8]));
        let txt = o.txt();
        let e: Vec<(&str, Option<&[u8]>)> =
            txt.iter().map(|(k, v)| (*k, Some(v.as_bytes()))).collect();
        assert_eq!(Operational::from_txt(o.instance, e).unwrap(), o);
        assert!(o.subtype().is_none());
        let c = sample().txt();
        let e: Vec<(&str, Option<&[u8]>)> =
            c.iter().map(|(k, v)| (*k, Some(v.as_bytes()))).collect();
        assert_eq!(
            Operational::from_txt(o.instance, e),
            Err(RecordError::WrongMode {
                expected: Mode::Operational,
                found: Mode::Commissionable
            })
        );
    }

    fn arb_entry() -> impl Strategy<Value = (String, Option<Vec<u8>>)> {
        (
            prop_oneof!["[mvdph]{1,2}", "\\PC{0,4}"],
            proptest::option::of(prop_oneof![
                "[0-9+\\-co]{0,8}".prop_map(String::into_bytes),
                proptest::collection::vec(any::<u8>(), 0..8),
            ]),
        )
    }

    proptest! {
        // [DISC-3] parsing any TXT record is total.
        #[test]
        fn parse_total(list in proptest::collection::vec(arb_entry(), 0..10)) {
            let e: Vec<(&str, Option<&[u8]>)> =
                list.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect();
            let id = InstanceId::from_bytes([0; 8]);
            let _ = Commissionable::from_txt(id, e.iter().copied());
            let _ = Operational::from_txt(id, e.iter().copied());
        }

        // [DISC-7] build then parse gives the same record.
        #[test]
        fn round_trip(
            id in any::<[u8; 8]>(), d in 0u16..=4095, v in any::<u16>(), p in any::<u16>(),
            h in any::<u16>(), min in 1u16.., extra in 0u16..3,
        ) {
            let c = Commissionable {
                instance: InstanceId::from_bytes(id),
                discriminator: Discriminator::new(d).unwrap(),
                vendor_id: VendorId(v),
                product_id: ProductId(p),
                pairing_hint: PairingHint::from_bits(h),
                versions: VersionRange {
                    min: ProtocolVersion(min),
                    max: ProtocolVersion(min.saturating_add(extra)),
                },
            };
            let txt = c.txt();
            prop_assert!(txt_wire_len(&txt) <= MAX_TXT_LEN);
            let e: Vec<(&str, Option<&[u8]>)> =
                txt.iter().map(|(k, v)| (*k, Some(v.as_bytes()))).collect();
            prop_assert_eq!(Commissionable::from_txt(c.instance, e).unwrap(), c);
        }
    }
}

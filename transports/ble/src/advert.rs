//! Orbit's BLE advertising payloads ([BLE-20] to [BLE-24]).
//!
//! A device advertises the Orbit service data, at most 10 bytes, in legacy advertising: an AD
//! flags structure and a "Service Data - 128-bit UUID" structure (AD type 0x21) under the
//! service UUID ([BLE-1]). Byte 0 of the service data is `version << 4 | form`:
//!
//! ```text
//! commissionable (7 bytes): 0x10 ‖ flags << 12 | discriminator (2) ‖ vendor (2) ‖ product (2)
//! operational   (10 bytes): 0x11 ‖ nonce (3) ‖ tag (6)
//! ```
//!
//! A scanner sees adverts from every device around, so parsing is total: what is not an Orbit
//! v1 advert is an [`AdvertError`] for the scanner to skip ([BLE-23]), never a panic.

use alloc::vec::Vec;
use core::fmt;

use ring::hmac;

use crate::gatt::{uuid_on_air, SERVICE_UUID};

/// The advertising version this crate writes and reads ([BLE-20]).
pub const ADVERT_VERSION: u8 = 1;
/// The form of a commissionable advert ([BLE-20]).
pub const FORM_COMMISSIONABLE: u8 = 0;
/// The form of an operational advert ([BLE-21]).
pub const FORM_OPERATIONAL: u8 = 1;
/// Length of the commissionable service data ([BLE-20]).
pub const COMMISSIONABLE_LEN: usize = 7;
/// Length of the operational service data ([BLE-21]).
pub const OPERATIONAL_LEN: usize = 10;
/// The largest discriminator: 12 bits ([SETUP-4]).
pub const MAX_DISCRIMINATOR: u16 = 0x0fff;
/// The largest short discriminator: the discriminator's upper 4 bits ([SETUP-4]).
pub const MAX_SHORT_DISCRIMINATOR: u8 = 0x0f;
/// The flag of the commissionable form that says the pairing window is open ([BLE-20]).
const WINDOW_OPEN_FLAG: u16 = 0x8000;
/// The label that starts the operational tag's HMAC input ([BLE-21]).
const OPERATIONAL_TAG_LABEL: &[u8] = b"orbit ble v1 operational";
/// AD type: Flags.
const AD_FLAGS: u8 = 0x01;
/// AD type: Service Data - 128-bit UUID.
const AD_SERVICE_DATA_128: u8 = 0x21;
/// The flags a connectable Orbit device advertises: LE General Discoverable Mode, BR/EDR Not
/// Supported.
const FLAGS_GENERAL_DISCOVERABLE_LE_ONLY: u8 = 0x06;
/// The most bytes of legacy advertising data.
pub const MAX_LEGACY_AD_LEN: usize = 31;

/// Why bytes are not an Orbit v1 advert. A scanner skips such an advert ([BLE-23]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdvertError {
    /// The service data is shorter than its form needs.
    TooShort {
        /// The service data's length.
        len: usize,
        /// The length the form needs (1 when even the version byte is missing).
        needed: usize,
    },
    /// Another advertising version than [`ADVERT_VERSION`].
    OtherVersion {
        /// The version nibble.
        version: u8,
    },
    /// A form this version reserves.
    ReservedForm {
        /// The form nibble.
        form: u8,
    },
    /// The advertising data holds no Orbit service data.
    NoOrbitServiceData,
    /// An AD structure's length runs past the end of the advertising data.
    MalformedAdvertisingData,
    /// A discriminator above 4095 given to a constructor ([SETUP-4]).
    DiscriminatorOutOfRange {
        /// The value given.
        value: u16,
    },
    /// A short discriminator above 15 given to a constructor ([SETUP-4]).
    ShortDiscriminatorOutOfRange {
        /// The value given.
        value: u8,
    },
}

impl fmt::Display for AdvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { len, needed } => {
                write!(f, "Orbit service data of {len} bytes, {needed} needed")
            }
            Self::OtherVersion { version } => write!(f, "Orbit advert version {version}"),
            Self::ReservedForm { form } => write!(f, "reserved Orbit advert form {form}"),
            Self::NoOrbitServiceData => f.write_str("no Orbit service data in the advert"),
            Self::MalformedAdvertisingData => {
                f.write_str("an AD structure runs past the end of the advertising data")
            }
            Self::DiscriminatorOutOfRange { value } => {
                write!(f, "discriminator {value} is above {MAX_DISCRIMINATOR}")
            }
            Self::ShortDiscriminatorOutOfRange { value } => {
                write!(
                    f,
                    "short discriminator {value} is above {MAX_SHORT_DISCRIMINATOR}"
                )
            }
        }
    }
}

impl core::error::Error for AdvertError {}

/// The commissionable form: a device that can be paired, found by its discriminator
/// ([BLE-20]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CommissionableAdvert {
    discriminator: u16,
    /// Whether the device's pairing window is open (the "commissioning flag").
    pub window_open: bool,
    /// The vendor ID.
    pub vendor_id: u16,
    /// The product ID.
    pub product_id: u16,
}

impl CommissionableAdvert {
    /// The advert of a device; the discriminator is 12 bits ([SETUP-4]).
    pub const fn new(
        discriminator: u16,
        window_open: bool,
        vendor_id: u16,
        product_id: u16,
    ) -> Result<Self, AdvertError> {
        if discriminator > MAX_DISCRIMINATOR {
            return Err(AdvertError::DiscriminatorOutOfRange {
                value: discriminator,
            });
        }
        Ok(Self {
            discriminator,
            window_open,
            vendor_id,
            product_id,
        })
    }

    /// The 12-bit discriminator.
    pub const fn discriminator(&self) -> u16 {
        self.discriminator
    }

    /// The service data, [`COMMISSIONABLE_LEN`] bytes ([BLE-20]).
    pub fn service_data(&self) -> [u8; COMMISSIONABLE_LEN] {
        let flags = if self.window_open {
            WINDOW_OPEN_FLAG
        } else {
            0
        };
        let [d0, d1] = (flags | self.discriminator).to_be_bytes();
        let [v0, v1] = self.vendor_id.to_be_bytes();
        let [p0, p1] = self.product_id.to_be_bytes();
        [form_byte(FORM_COMMISSIONABLE), d0, d1, v0, v1, p0, p1]
    }

    /// Whether the advert is the device a setup payload names ([BLE-24]).
    pub const fn matches(&self, wanted: DiscriminatorQuery) -> bool {
        match wanted {
            DiscriminatorQuery::Full(d) => self.discriminator == d,
            // [SETUP-4]: the short form is the upper 4 of the 12 bits.
            DiscriminatorQuery::Short(s) => (self.discriminator >> 8) as u8 == s,
        }
    }
}

/// The discriminator a setup payload carries: the full 12 bits (QR code) or the short upper 4
/// bits (manual code) ([SETUP-4], [BLE-24]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiscriminatorQuery {
    /// The whole discriminator, 0..=4095.
    Full(u16),
    /// Its upper 4 bits, 0..=15.
    Short(u8),
}

impl DiscriminatorQuery {
    /// A full discriminator, checked ([SETUP-4]).
    pub const fn full(value: u16) -> Result<Self, AdvertError> {
        if value > MAX_DISCRIMINATOR {
            return Err(AdvertError::DiscriminatorOutOfRange { value });
        }
        Ok(Self::Full(value))
    }

    /// A short discriminator, checked ([SETUP-4]).
    pub const fn short(value: u8) -> Result<Self, AdvertError> {
        if value > MAX_SHORT_DISCRIMINATOR {
            return Err(AdvertError::ShortDiscriminatorOutOfRange { value });
        }
        Ok(Self::Short(value))
    }
}

/// Whether an advert is a commissionable advert of the device a setup payload names
/// ([BLE-24]). An operational advert never matches: it carries no discriminator.
pub const fn matches_discriminator(advert: &Advert, wanted: DiscriminatorQuery) -> bool {
    match advert {
        Advert::Commissionable(c) => c.matches(wanted),
        Advert::Operational(_) => false,
    }
}

/// The operational form: a device of a home, recognisable only by that home's members
/// ([BLE-21], [BLE-22]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OperationalAdvert {
    /// Fresh random bytes, drawn at each change of the device's BLE address ([BLE-22]).
    pub nonce: [u8; 3],
    /// [`operational_tag`] of the home, the device and the nonce.
    pub tag: [u8; 6],
}

impl OperationalAdvert {
    /// The advert of device `node_id` of the home (root key, home ID) under `nonce`.
    pub fn new(root_public_key: &[u8; 32], home_id: u64, node_id: u64, nonce: [u8; 3]) -> Self {
        Self {
            nonce,
            tag: operational_tag(root_public_key, home_id, node_id, nonce),
        }
    }

    /// Whether the advert is device `node_id` of the home: a member recomputes the tag
    /// ([BLE-21]).
    pub fn is_device(&self, root_public_key: &[u8; 32], home_id: u64, node_id: u64) -> bool {
        operational_tag(root_public_key, home_id, node_id, self.nonce) == self.tag
    }

    /// The service data, [`OPERATIONAL_LEN`] bytes ([BLE-21]).
    pub fn service_data(&self) -> [u8; OPERATIONAL_LEN] {
        let [n0, n1, n2] = self.nonce;
        let [t0, t1, t2, t3, t4, t5] = self.tag;
        [
            form_byte(FORM_OPERATIONAL),
            n0,
            n1,
            n2,
            t0,
            t1,
            t2,
            t3,
            t4,
            t5,
        ]
    }
}

/// The operational tag ([BLE-21]): the first 6 bytes of HMAC-SHA256 keyed with the home's
/// root public key over `"orbit ble v1 operational" ‖ home_id (8) ‖ node_id (8) ‖ nonce (3)`.
///
/// Without the root public key (which only the home's members hold) the tag of a fresh nonce
/// cannot be told from random bytes, so a stranger cannot link two adverts of one device.
pub fn operational_tag(
    root_public_key: &[u8; 32],
    home_id: u64,
    node_id: u64,
    nonce: [u8; 3],
) -> [u8; 6] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, root_public_key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(OPERATIONAL_TAG_LABEL);
    ctx.update(&home_id.to_be_bytes());
    ctx.update(&node_id.to_be_bytes());
    ctx.update(&nonce);
    let mac = ctx.sign();
    let mut tag = [0u8; 6];
    if let Some(first) = mac.as_ref().first_chunk::<6>() {
        tag = *first;
    }
    tag
}

/// An Orbit v1 advert of either form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Advert {
    /// A device that can be paired ([BLE-20]).
    Commissionable(CommissionableAdvert),
    /// A device of a home ([BLE-21]).
    Operational(OperationalAdvert),
}

impl Advert {
    /// Parses Orbit service data (the bytes under the service UUID, as a scanner reports
    /// them). Bytes after the form's fields are ignored, reserved flag bits too; what is too
    /// short, of another version or of a reserved form is an error to skip ([BLE-23]).
    pub fn parse(service_data: &[u8]) -> Result<Self, AdvertError> {
        let Some(&first) = service_data.first() else {
            return Err(AdvertError::TooShort { len: 0, needed: 1 });
        };
        let (version, form) = (first >> 4, first & 0x0f);
        if version != ADVERT_VERSION {
            return Err(AdvertError::OtherVersion { version });
        }
        let too_short = |needed| AdvertError::TooShort {
            len: service_data.len(),
            needed,
        };
        match form {
            FORM_COMMISSIONABLE => {
                let Some([_, d0, d1, v0, v1, p0, p1]) =
                    service_data.first_chunk::<COMMISSIONABLE_LEN>()
                else {
                    return Err(too_short(COMMISSIONABLE_LEN));
                };
                let field = u16::from_be_bytes([*d0, *d1]);
                Ok(Self::Commissionable(CommissionableAdvert {
                    discriminator: field & MAX_DISCRIMINATOR,
                    // [BLE-20]: the other flag bits are reserved and ignored.
                    window_open: field & WINDOW_OPEN_FLAG != 0,
                    vendor_id: u16::from_be_bytes([*v0, *v1]),
                    product_id: u16::from_be_bytes([*p0, *p1]),
                }))
            }
            FORM_OPERATIONAL => {
                let Some([_, n0, n1, n2, t0, t1, t2, t3, t4, t5]) =
                    service_data.first_chunk::<OPERATIONAL_LEN>()
                else {
                    return Err(too_short(OPERATIONAL_LEN));
                };
                Ok(Self::Operational(OperationalAdvert {
                    nonce: [*n0, *n1, *n2],
                    tag: [*t0, *t1, *t2, *t3, *t4, *t5],
                }))
            }
            form => Err(AdvertError::ReservedForm { form }),
        }
    }

    /// The service data of the advert (7 or 10 bytes).
    pub fn service_data(&self) -> Vec<u8> {
        match self {
            Self::Commissionable(c) => c.service_data().to_vec(),
            Self::Operational(o) => o.service_data().to_vec(),
        }
    }

    /// The complete legacy advertising data ([BLE-40]): AD flags (LE General Discoverable,
    /// BR/EDR not supported) and the service data under the service UUID, little-endian as BLE
    /// sends UUIDs. 28 bytes for the commissionable form, 31 for the operational one.
    pub fn advertising_data(&self) -> Vec<u8> {
        let data = self.service_data();
        let mut ad = Vec::with_capacity(MAX_LEGACY_AD_LEN);
        ad.extend_from_slice(&[2, AD_FLAGS, FLAGS_GENERAL_DISCOVERABLE_LE_ONLY]);
        // The structure's length counts its type byte, the UUID and the data: 1 + 16 + 10 at
        // most, so it fits its byte.
        let len = u8::try_from(1 + 16 + data.len()).unwrap_or(u8::MAX);
        ad.extend_from_slice(&[len, AD_SERVICE_DATA_128]);
        ad.extend_from_slice(&uuid_on_air(SERVICE_UUID));
        ad.extend_from_slice(&data);
        ad
    }
}

/// The Orbit service data in legacy advertising data (or a scan response): the data of the
/// first "Service Data - 128-bit UUID" structure under the Orbit service UUID.
///
/// The structure is found by its type and UUID wherever it is; structures of other types or
/// UUIDs are skipped ([BLE-40]); a zero length ends the significant part (the rest is
/// padding).
pub fn find_service_data(advertising_data: &[u8]) -> Result<&[u8], AdvertError> {
    let uuid = uuid_on_air(SERVICE_UUID);
    let mut rest = advertising_data;
    while let Some((&len, after_len)) = rest.split_first() {
        if len == 0 {
            break;
        }
        let Some((structure, next)) = after_len.split_at_checked(usize::from(len)) else {
            return Err(AdvertError::MalformedAdvertisingData);
        };
        if let Some((&AD_SERVICE_DATA_128, body)) = structure.split_first() {
            if let Some((found, data)) = body.split_first_chunk::<16>() {
                if *found == uuid {
                    return Ok(data);
                }
            }
        }
        rest = next;
    }
    Err(AdvertError::NoOrbitServiceData)
}

/// The Orbit advert in legacy advertising data: [`find_service_data`] then
/// [`Advert::parse`] ([BLE-23]).
pub fn parse_advertising_data(advertising_data: &[u8]) -> Result<Advert, AdvertError> {
    Advert::parse(find_service_data(advertising_data)?)
}

const fn form_byte(form: u8) -> u8 {
    ADVERT_VERSION << 4 | form
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use alloc::collections::BTreeSet;
    use alloc::vec;
    use proptest::prelude::*;

    const ROOT: [u8; 32] = [7; 32];
    const HOME: u64 = 0x0123_4567_89ab_cdef;
    const NODE: u64 = 42;

    /// [BLE-20]: the commissionable layout, byte by byte, and back.
    #[test]
    fn commissionable_layout() {
        let c = CommissionableAdvert::new(0xf00, true, 0xfff1, 0x8001).unwrap();
        assert_eq!(c.service_data(), [0x10, 0x8f, 0x00, 0xff, 0xf1, 0x80, 0x01]);
        assert_eq!(
            Advert::parse(&c.service_data()),
            Ok(Advert::Commissionable(c))
        );
        let closed = CommissionableAdvert::new(0x123, false, 1, 2).unwrap();
        assert_eq!(closed.service_data(), [0x10, 0x01, 0x23, 0, 1, 0, 2]);
        assert_eq!(
            CommissionableAdvert::new(4096, true, 1, 2),
            Err(AdvertError::DiscriminatorOutOfRange { value: 4096 })
        );
    }

    /// [BLE-20]: reserved flag bits are ignored, not part of the discriminator.
    #[test]
    fn reserved_commissionable_flags_ignored() {
        let Advert::Commissionable(c) = Advert::parse(&[0x10, 0x7a, 0xbc, 0, 1, 0, 2]).unwrap()
        else {
            panic!("not commissionable");
        };
        assert_eq!(c.discriminator(), 0xabc);
        assert!(!c.window_open);
    }

    /// [BLE-21]: the operational layout, byte by byte, and back.
    #[test]
    fn operational_layout() {
        let o = OperationalAdvert {
            nonce: [1, 2, 3],
            tag: [4, 5, 6, 7, 8, 9],
        };
        assert_eq!(o.service_data(), [0x11, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(Advert::parse(&o.service_data()), Ok(Advert::Operational(o)));
    }

    /// [BLE-21]: the tag is HMAC-SHA256 as specified. The expected bytes were computed outside
    /// this crate (Python's hmac module over the documented input), so this catches a change
    /// in the label, the byte order or the key.
    #[test]
    fn operational_tag_vector() {
        let root: [u8; 32] = core::array::from_fn(|i| i as u8);
        let tag = operational_tag(
            &root,
            0x0102_0304_0506_0708,
            0x1112_1314_1516_1718,
            [0xa, 0xb, 0xc],
        );
        assert_eq!(tag, TAG_VECTOR);
    }
    const TAG_VECTOR: [u8; 6] = [0xbe, 0x85, 0x2a, 0xd5, 0x5d, 0x36];

    /// [BLE-21]: a member of the home recognises its device; another device, another home or
    /// another root key does not match.
    #[test]
    fn home_member_recognises_its_device() {
        let advert = OperationalAdvert::new(&ROOT, HOME, NODE, [9, 8, 7]);
        let parsed = Advert::parse(&advert.service_data()).unwrap();
        let Advert::Operational(seen) = parsed else {
            panic!("not operational")
        };
        assert!(seen.is_device(&ROOT, HOME, NODE));
        assert!(!seen.is_device(&ROOT, HOME, NODE + 1));
        assert!(!seen.is_device(&ROOT, HOME ^ 1, NODE));
        assert!(!seen.is_device(&[8; 32], HOME, NODE));
        assert!(!matches_discriminator(&parsed, DiscriminatorQuery::Full(0)));
    }

    /// [BLE-21], [BLE-22]: a stranger cannot link two adverts of one device. Under fresh
    /// nonces one device's tags are all distinct and look unrelated: across many nonces each
    /// tag bit is set about half the time, and neighbouring nonces' tags differ in about half
    /// their bits (an HMAC property a counter or a fixed ID would fail).
    #[test]
    fn stranger_cannot_link_rotating_adverts() {
        let n = 2048u32;
        let tags: Vec<[u8; 6]> = (0..n)
            .map(|i| {
                let [_, a, b, c] = i.to_be_bytes();
                operational_tag(&ROOT, HOME, NODE, [a, b, c])
            })
            .collect();
        let distinct: BTreeSet<_> = tags.iter().collect();
        assert_eq!(
            distinct.len(),
            tags.len(),
            "a tag repeated under another nonce"
        );
        for bit in 0..48 {
            let set = tags
                .iter()
                .filter(|t| t[bit / 8] >> (bit % 8) & 1 == 1)
                .count();
            // Binomial(2048, 1/2): mean 1024, sd ~23; 1024 +- 160 is ~7 sd.
            assert!(
                (864..=1184).contains(&set),
                "tag bit {bit} set in {set} of {n}"
            );
        }
        for pair in tags.windows(2) {
            let diff: u32 = pair[0]
                .iter()
                .zip(&pair[1])
                .map(|(a, b)| (a ^ b).count_ones())
                .sum();
            assert!(
                (4..=44).contains(&diff),
                "neighbouring nonces' tags differ in {diff} bits"
            );
        }
        // Nor are two devices of one home linkable by a shared part of their tags.
        let other = operational_tag(&ROOT, HOME, NODE + 1, [0, 0, 0]);
        assert_ne!(other, tags[0]);
    }

    /// [BLE-23]: too short, another version or a reserved form are errors to skip; longer
    /// data is accepted (room for extensions).
    #[test]
    fn parser_skips_what_is_not_v1() {
        assert_eq!(
            Advert::parse(&[]),
            Err(AdvertError::TooShort { len: 0, needed: 1 })
        );
        assert_eq!(
            Advert::parse(&[0x10, 0, 1, 0, 1, 0]),
            Err(AdvertError::TooShort { len: 6, needed: 7 })
        );
        assert_eq!(
            Advert::parse(&[0x11, 1, 2, 3, 4, 5, 6, 7, 8]),
            Err(AdvertError::TooShort { len: 9, needed: 10 })
        );
        assert_eq!(
            Advert::parse(&[0x20, 0, 1, 0, 1, 0, 1]),
            Err(AdvertError::OtherVersion { version: 2 })
        );
        assert_eq!(
            Advert::parse(&[0x12, 0, 1, 0, 1, 0, 1, 0, 0, 0]),
            Err(AdvertError::ReservedForm { form: 2 })
        );
        let longer = [0x10, 0x80, 0x05, 0, 1, 0, 2, 0xee, 0xee];
        assert!(matches!(
            Advert::parse(&longer),
            Ok(Advert::Commissionable(_))
        ));
    }

    /// [BLE-24]: the full discriminator must equal; the short one is the upper 4 bits.
    #[test]
    fn discriminator_matching() {
        let advert = Advert::Commissionable(CommissionableAdvert::new(0xf00, true, 1, 2).unwrap());
        assert!(matches_discriminator(
            &advert,
            DiscriminatorQuery::full(0xf00).unwrap()
        ));
        assert!(!matches_discriminator(
            &advert,
            DiscriminatorQuery::full(0xf01).unwrap()
        ));
        assert!(matches_discriminator(
            &advert,
            DiscriminatorQuery::short(0xf).unwrap()
        ));
        assert!(!matches_discriminator(
            &advert,
            DiscriminatorQuery::short(0xe).unwrap()
        ));
        let low = Advert::Commissionable(CommissionableAdvert::new(0x0ff, true, 1, 2).unwrap());
        assert!(matches_discriminator(
            &low,
            DiscriminatorQuery::short(0).unwrap()
        ));
        assert_eq!(
            DiscriminatorQuery::short(16),
            Err(AdvertError::ShortDiscriminatorOutOfRange { value: 16 })
        );
        assert_eq!(
            DiscriminatorQuery::full(0x1000),
            Err(AdvertError::DiscriminatorOutOfRange { value: 0x1000 })
        );
    }

    /// [BLE-40]: the legacy advertising data: flags, then AD 0x21 with the UUID little-endian
    /// and the service data; the operational form fills the 31 bytes exactly.
    #[test]
    fn advertising_data_layout() {
        let o = Advert::Operational(OperationalAdvert::new(&ROOT, HOME, NODE, [1, 2, 3]));
        let ad = o.advertising_data();
        assert_eq!(ad.len(), MAX_LEGACY_AD_LEN);
        assert_eq!(&ad[..5], [0x02, 0x01, 0x06, 27, 0x21]);
        assert_eq!(&ad[5..21], {
            let mut le = crate::gatt::SERVICE_UUID_BYTES;
            le.reverse();
            le
        });
        assert_eq!(&ad[21..], o.service_data());
        assert_eq!(parse_advertising_data(&ad), Ok(o));

        let c = Advert::Commissionable(CommissionableAdvert::new(0x5a5, false, 3, 4).unwrap());
        let ad = c.advertising_data();
        assert_eq!(ad.len(), 3 + 2 + 16 + COMMISSIONABLE_LEN);
        assert_eq!(parse_advertising_data(&ad), Ok(c));
    }

    /// [BLE-40]: the AD parser skips other structures and other UUIDs, stops at padding, and
    /// reports a structure that runs past the end.
    #[test]
    fn advertising_data_parser() {
        let c = Advert::Commissionable(CommissionableAdvert::new(1, true, 3, 4).unwrap());
        let data = c.service_data();
        let mut ad = vec![2, 0x01, 0x06, 3, 0x03, 0xaa, 0xfe];
        // Service data under another 128-bit UUID first.
        ad.extend_from_slice(&[1 + 16 + 1, 0x21]);
        ad.extend_from_slice(&[0x11; 16]);
        ad.push(0x10);
        ad.push(u8::try_from(1 + 16 + data.len()).unwrap());
        ad.push(0x21);
        ad.extend_from_slice(&uuid_on_air(SERVICE_UUID));
        ad.extend_from_slice(&data);
        assert_eq!(parse_advertising_data(&ad), Ok(c));

        assert_eq!(find_service_data(&[]), Err(AdvertError::NoOrbitServiceData));
        assert_eq!(
            find_service_data(&[2, 1, 6, 0, 0, 0]),
            Err(AdvertError::NoOrbitServiceData)
        );
        assert_eq!(
            find_service_data(&[2, 1, 6, 9, 0x21]),
            Err(AdvertError::MalformedAdvertisingData)
        );
        // A 0x21 structure too short to hold a UUID is skipped, not misread.
        assert_eq!(
            find_service_data(&[3, 0x21, 1, 2]),
            Err(AdvertError::NoOrbitServiceData)
        );
        // Orbit service data after the padding is not significant.
        let mut padded = vec![0];
        padded.extend_from_slice(&c.advertising_data());
        assert_eq!(
            find_service_data(&padded),
            Err(AdvertError::NoOrbitServiceData)
        );
    }

    proptest! {
        /// [BLE-23]: parsing never panics on any service data or any advertising data, and
        /// whatever parses re-encodes to a prefix of the input.
        #[test]
        fn parsers_are_total(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(advert) = Advert::parse(&bytes) {
                let again = advert.service_data();
                prop_assert!(again.len() <= bytes.len());
                // Reserved flag bits of the commissionable form are dropped on re-encoding.
                if let Advert::Operational(_) = advert {
                    prop_assert_eq!(&bytes[..again.len()], &again[..]);
                }
            }
            let _ = parse_advertising_data(&bytes);
        }

        /// Every commissionable advert survives its advertising data.
        #[test]
        fn commissionable_round_trip(d in 0u16..=4095, open: bool, v: u16, p: u16) {
            let a = Advert::Commissionable(CommissionableAdvert::new(d, open, v, p).unwrap());
            prop_assert_eq!(parse_advertising_data(&a.advertising_data()), Ok(a));
        }
    }
}

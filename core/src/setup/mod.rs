//! Setup payloads (`spec/v1/03-setup-payload.md`): what a device prints on its label or shows
//! as a QR code, and what a controller scans or the user types to start pairing.
//!
//! A [`SetupPayload`] carries the pairing [`Passcode`] (the SPAKE2+ secret), the 12-bit
//! [`Discriminator`] that tells devices in pairing mode apart during discovery, the
//! [`VendorId`] and [`ProductId`], the [`TransportFlags`] over which the device can be paired
//! and the [`PairingFlow`] the user has to follow. It has two text forms, both of which decode
//! back to what they carry:
//!
//! - the QR string, `OB1:` followed by 25 characters of the QR alphanumeric set, protected by a
//!   CRC-32 ([`SetupPayload::to_qr_string`], [`SetupPayload::from_qr_str`]);
//! - the manual code of 11 or 21 decimal digits ending in a Verhoeff check digit, carrying the
//!   passcode, the upper 4 bits of the discriminator and, in its long form, the vendor and
//!   product IDs ([`SetupPayload::to_manual_code`], [`ManualCode::parse`]).
//!
//! Every decoder is total: any string gives either a value or a [`SetupError`] saying what is
//! wrong, never a panic.
//!
//! ```
//! use orbit_core::setup::{
//!     Discriminator, ManualCode, ManualCodeForm, Passcode, ProductId, SetupPayload,
//!     TransportFlags, VendorId,
//! };
//!
//! let payload = SetupPayload::new(
//!     VendorId(0xFFF1),
//!     ProductId(0x8001),
//!     Discriminator::new(3840)?,
//!     Passcode::new(20202021)?,
//! )
//! .with_transports(TransportFlags::BLE | TransportFlags::IP);
//!
//! let qr = payload.to_qr_string();
//! assert_eq!(SetupPayload::from_qr_str(&qr)?, payload);
//!
//! let manual = payload.to_manual_code(ManualCodeForm::Short);
//! assert_eq!(manual.to_string(), "3497-011-2332");
//! let typed = ManualCode::parse("3497 011 2332")?;
//! assert_eq!(typed.passcode, payload.passcode);
//! assert!(typed.short_discriminator.matches(payload.discriminator));
//! # Ok::<(), orbit_core::setup::SetupError>(())
//! ```

mod base38;
mod crc32;
mod discriminator;
mod error;
mod flags;
mod ids;
mod manual;
mod passcode;
mod payload;
mod qr;
mod verhoeff;

pub use discriminator::{Discriminator, ShortDiscriminator};
pub use error::SetupError;
pub use flags::{PairingFlow, TransportFlags};
pub use ids::{ProductId, VendorId};
pub use manual::{ManualCode, ManualCodeForm};
pub use passcode::Passcode;
pub use payload::{PayloadVersion, SetupPayload};

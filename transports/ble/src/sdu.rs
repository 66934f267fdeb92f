//! Exchanges on a BLE link: the SDU codec ([BLE-15] to [BLE-19]).
//!
//! The framing engine carries SDUs (service data units) whole; each SDU belongs to one
//! exchange, the BLE counterpart of a QUIC stream ([QUIC-5], [QUIC-6]):
//!
//! ```text
//! exchange (2, big-endian) ‖ flags (1) ‖ kind (1) ‖ payload (0 ..= 16384)
//! ```
//!
//! [`Sdu::decode`] borrows the payload from the reassembled SDU; [`Sdu::encode`] appends to a
//! buffer the caller owns. Both check the same rules, so a sender cannot build what its peer
//! must refuse. A decoding error ends only its exchange (RESET with
//! [`SduError::reset_code`]); [`exchange_of`] tells which one.

use alloc::vec::Vec;
use core::fmt;

/// Bytes before an SDU's payload: exchange (2), flags (1), kind (1).
pub const HEADER_LEN: usize = 4;
/// The largest payload an SDU may carry ([BLE-15]): the same as a QUIC frame's ([QUIC-11]).
pub const MAX_PAYLOAD: usize = 16384;
/// The largest SDU: header and the largest payload ([BLE-15], [BLE-9]).
pub const MAX_SDU: usize = HEADER_LEN + MAX_PAYLOAD;
/// The exchange-ID bit that marks an exchange the peripheral (device) opened ([BLE-15]).
pub const DEVICE_OPENED_BIT: u16 = 0x8000;

/// Kind 0: no message; only with END and an empty payload, or with RESET ([BLE-15]).
pub const KIND_NONE: u8 = 0;
/// Kind 1: a PASE pairing handshake message ([QUIC-9]).
pub const KIND_PAIRING: u8 = 1;
/// Kind 2: a SIGMA session handshake or resumption message ([QUIC-9]).
pub const KIND_SESSION: u8 = 2;
/// Kind 3: a protected message ([QUIC-9]).
pub const KIND_PROTECTED: u8 = 3;

/// Whether an exchange ID belongs to an exchange the peripheral opened (bit 15 set), rather
/// than the central ([BLE-15], [BLE-17]).
pub const fn is_device_opened(exchange: u16) -> bool {
    exchange & DEVICE_OPENED_BIT != 0
}

/// Whether this version defines the kind (1, 2 or 3). A receiver RESETs an exchange that
/// carries another kind with [`ResetCode::UNKNOWN_KIND`] and keeps the link ([BLE-18]).
pub const fn is_known_kind(kind: u8) -> bool {
    matches!(kind, KIND_PAIRING | KIND_SESSION | KIND_PROTECTED)
}

/// The exchange ID of an SDU whose header is complete, even when the rest is malformed, so
/// that the receiver can RESET that exchange ([BLE-15]). `None` for an SDU shorter than its
/// header: it names no exchange, and the receiver discards it ([BLE-36]).
pub fn exchange_of(sdu: &[u8]) -> Option<u16> {
    match sdu {
        [hi, lo, _, _, ..] => Some(u16::from_be_bytes([*hi, *lo])),
        _ => None,
    }
}

/// An SDU's flags ([BLE-15]).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SduFlags(u8);

impl SduFlags {
    /// No flag: more SDUs follow on this exchange from this sender.
    pub const NONE: Self = Self(0);
    /// END: the sender's last SDU on this exchange.
    pub const END: Self = Self(0x01);
    /// RESET: the sender aborts the exchange; kind 0, the payload is one [`ResetCode`].
    pub const RESET: Self = Self(0x02);
    const DEFINED: u8 = 0x03;

    /// The flags of a byte, or `None` when a reserved bit is set ([BLE-15]).
    pub const fn from_bits(bits: u8) -> Option<Self> {
        if bits & !Self::DEFINED == 0 {
            Some(Self(bits))
        } else {
            None
        }
    }

    /// The flags as their byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every flag of `other` is set in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// `self` with the flags of `other` set too.
    #[must_use]
    pub const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

impl fmt::Debug for SduFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.contains(Self::END), self.contains(Self::RESET)) {
            (false, false) => f.write_str("NONE"),
            (true, false) => f.write_str("END"),
            (false, true) => f.write_str("RESET"),
            (true, true) => f.write_str("END|RESET"),
        }
    }
}

/// Why an exchange was reset: the one-byte form of [QUIC-13]'s code table, carried as a
/// RESET SDU's payload ([BLE-15]).
///
/// A newtype rather than an enum, so that a code this version does not know (from a newer
/// peer) survives and is reported as a number; a receiver treats it as a failure ([QUIC-13]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResetCode(pub u8);

impl ResetCode {
    /// The exchange is no longer needed.
    pub const NO_ERROR: Self = Self(0);
    /// A message exceeded the largest payload.
    pub const FRAME_TOO_LARGE: Self = Self(1);
    /// The SDU broke a rule of [BLE-15] or [BLE-19].
    pub const MALFORMED_FRAME: Self = Self(2);
    /// The SDU carried a kind the receiver does not know ([BLE-18]).
    pub const UNKNOWN_KIND: Self = Self(3);
    /// The receiver refuses the exchange because a limit is reached, e.g. a 9th central
    /// exchange ([BLE-16]).
    pub const LIMIT_EXCEEDED: Self = Self(4);
    /// The exchange stalled.
    pub const STALLED: Self = Self(5);
    /// The node sheds the exchange because it is out of resources.
    pub const SERVER_BUSY: Self = Self(6);

    /// The code's name, or `None` for a code this version does not define.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "no-error",
            1 => "frame-too-large",
            2 => "malformed-frame",
            3 => "unknown-kind",
            4 => "limit-exceeded",
            5 => "stalled",
            6 => "server-busy",
            _ => return None,
        })
    }
}

impl fmt::Display for ResetCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({})", self.0),
            None => write!(f, "unknown code {}", self.0),
        }
    }
}

impl fmt::Debug for ResetCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// An SDU that breaks [BLE-15] or [BLE-19]. Each ends its exchange only, with
/// [`reset_code`](Self::reset_code); the link goes on ([QUIC-14]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SduError {
    /// Shorter than the 4-byte header.
    Truncated {
        /// The SDU's length.
        len: usize,
    },
    /// A reserved flag bit is set.
    ReservedFlags {
        /// The flags byte.
        flags: u8,
    },
    /// Kind 0 without END or RESET: kind 0 carries no message, so it may only end or abort.
    NoKindWithoutEnd,
    /// Kind 0 with END but a payload: an end with no message has an empty payload.
    NoKindWithPayload {
        /// The payload's length.
        len: usize,
    },
    /// RESET with a kind other than 0.
    ResetWithKind {
        /// The kind.
        kind: u8,
    },
    /// RESET whose payload is not exactly one code byte.
    ResetWithoutCode {
        /// The payload's length.
        len: usize,
    },
    /// Kind 1, 2 or 3 with an empty payload ([BLE-19]).
    EmptyPayload {
        /// The kind.
        kind: u8,
    },
    /// A payload above [`MAX_PAYLOAD`] ([BLE-19]).
    PayloadTooLarge {
        /// The payload's length.
        len: usize,
    },
}

impl SduError {
    /// The code that RESETs the exchange: `malformed-frame` for each ([BLE-15], [BLE-19]).
    pub const fn reset_code(self) -> ResetCode {
        ResetCode::MALFORMED_FRAME
    }
}

impl fmt::Display for SduError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { len } => {
                write!(
                    f,
                    "an SDU of {len} bytes is shorter than its {HEADER_LEN}-byte header"
                )
            }
            Self::ReservedFlags { flags } => {
                write!(f, "SDU flags {flags:#04x} set a reserved bit")
            }
            Self::NoKindWithoutEnd => f.write_str("an SDU of kind 0 has neither END nor RESET"),
            Self::NoKindWithPayload { len } => {
                write!(f, "an SDU of kind 0 carries a payload of {len} bytes")
            }
            Self::ResetWithKind { kind } => write!(f, "a RESET SDU has kind {kind}, not 0"),
            Self::ResetWithoutCode { len } => {
                write!(f, "a RESET SDU carries {len} bytes instead of one code")
            }
            Self::EmptyPayload { kind } => write!(f, "an SDU of kind {kind} has an empty payload"),
            Self::PayloadTooLarge { len } => {
                write!(f, "an SDU payload of {len} bytes exceeds {MAX_PAYLOAD}")
            }
        }
    }
}

impl core::error::Error for SduError {}

/// One SDU, its payload borrowed ([BLE-15]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sdu<'a> {
    /// The exchange: bit 15 clear if the central opened it, set if the peripheral did.
    pub exchange: u16,
    /// END and RESET.
    pub flags: SduFlags,
    /// What the payload is: [`KIND_PAIRING`], [`KIND_SESSION`], [`KIND_PROTECTED`], or
    /// [`KIND_NONE`] for an end or abort without a message. Other kinds decode, and the
    /// receiver RESETs the exchange with `unknown-kind` ([BLE-18]).
    pub kind: u8,
    /// The message (for RESET: its one-byte code).
    pub payload: &'a [u8],
}

impl<'a> Sdu<'a> {
    /// A message on an exchange; `end` marks the sender's last SDU on it.
    pub const fn message(exchange: u16, kind: u8, payload: &'a [u8], end: bool) -> Self {
        let flags = if end { SduFlags::END } else { SduFlags::NONE };
        Self {
            exchange,
            flags,
            kind,
            payload,
        }
    }

    /// An end with no message: the sender has nothing more to send on the exchange.
    pub const fn end(exchange: u16) -> Self {
        Self {
            exchange,
            flags: SduFlags::END,
            kind: KIND_NONE,
            payload: &[],
        }
    }

    /// The code of a RESET SDU, or `None` if this SDU is not a RESET.
    pub fn reset_code(&self) -> Option<ResetCode> {
        match (self.flags.contains(SduFlags::RESET), self.payload) {
            (true, [code]) => Some(ResetCode(*code)),
            _ => None,
        }
    }

    /// Whether this is the sender's last SDU on its exchange (END or RESET).
    pub const fn ends_exchange(&self) -> bool {
        self.flags.contains(SduFlags::END) || self.flags.contains(SduFlags::RESET)
    }

    /// Decodes one whole SDU, borrowing its payload. Total on any input.
    pub fn decode(sdu: &'a [u8]) -> Result<Self, SduError> {
        let Some(([hi, lo, flags, kind], payload)) = sdu.split_first_chunk::<HEADER_LEN>() else {
            return Err(SduError::Truncated { len: sdu.len() });
        };
        let flags = SduFlags::from_bits(*flags).ok_or(SduError::ReservedFlags { flags: *flags })?;
        let decoded = Self {
            exchange: u16::from_be_bytes([*hi, *lo]),
            flags,
            kind: *kind,
            payload,
        };
        decoded.check()?;
        Ok(decoded)
    }

    /// Appends the SDU to `out` (nothing on error), after checking the same rules as
    /// [`decode`](Self::decode).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), SduError> {
        self.check()?;
        out.reserve(HEADER_LEN + self.payload.len());
        out.extend_from_slice(&self.exchange.to_be_bytes());
        out.push(self.flags.bits());
        out.push(self.kind);
        out.extend_from_slice(self.payload);
        Ok(())
    }

    /// The encoded SDU in a new buffer.
    pub fn to_vec(&self) -> Result<Vec<u8>, SduError> {
        let mut out = Vec::new();
        self.encode(&mut out)?;
        Ok(out)
    }

    /// The rules of [BLE-15] and [BLE-19] on a header already split from its payload.
    fn check(&self) -> Result<(), SduError> {
        let len = self.payload.len();
        // [BLE-19]: the size limit first, so that an oversized SDU is named for its size.
        if len > MAX_PAYLOAD {
            return Err(SduError::PayloadTooLarge { len });
        }
        if self.flags.contains(SduFlags::RESET) {
            // [BLE-15]: RESET has kind 0 and exactly one code byte.
            if self.kind != KIND_NONE {
                return Err(SduError::ResetWithKind { kind: self.kind });
            }
            if len != 1 {
                return Err(SduError::ResetWithoutCode { len });
            }
            return Ok(());
        }
        if self.kind == KIND_NONE {
            // [BLE-15]: kind 0 only as an end with no message.
            if !self.flags.contains(SduFlags::END) {
                return Err(SduError::NoKindWithoutEnd);
            }
            if len != 0 {
                return Err(SduError::NoKindWithPayload { len });
            }
            return Ok(());
        }
        // [BLE-19]: a message of a known kind is never empty. An unknown kind is left to the
        // receiver's `unknown-kind` reset ([BLE-18]).
        if len == 0 && is_known_kind(self.kind) {
            return Err(SduError::EmptyPayload { kind: self.kind });
        }
        Ok(())
    }
}

/// A RESET SDU that aborts `exchange` with `code` ([BLE-15]), encoded.
pub fn reset(exchange: u16, code: ResetCode) -> [u8; HEADER_LEN + 1] {
    let [hi, lo] = exchange.to_be_bytes();
    [hi, lo, SduFlags::RESET.bits(), KIND_NONE, code.0]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    fn decode(bytes: &[u8]) -> Result<Sdu<'_>, SduError> {
        Sdu::decode(bytes)
    }

    /// [BLE-15]: the layout, byte by byte.
    #[test]
    fn encodes_the_documented_layout() {
        let sdu = Sdu::message(0x8102, KIND_PROTECTED, &[0xaa, 0xbb], true);
        assert_eq!(sdu.to_vec().unwrap(), [0x81, 0x02, 0x01, 0x03, 0xaa, 0xbb]);
        let d = decode(&[0x00, 0x07, 0x00, 0x01, 0x42]).unwrap();
        assert_eq!(d.exchange, 7);
        assert_eq!(d.flags, SduFlags::NONE);
        assert_eq!(d.kind, KIND_PAIRING);
        assert_eq!(d.payload, [0x42]);
        assert!(!d.ends_exchange());
    }

    /// [BLE-15]: bit 15 of the exchange ID says who opened it.
    #[test]
    fn device_opened_is_bit_15() {
        assert!(!is_device_opened(0x0000));
        assert!(!is_device_opened(0x7fff));
        assert!(is_device_opened(0x8000));
        assert!(is_device_opened(0xffff));
    }

    /// [BLE-15]: shorter than the header is `Truncated`, for each short length.
    #[test]
    fn truncated_header() {
        for len in 0..HEADER_LEN {
            let bytes = vec![0x01; len];
            assert_eq!(decode(&bytes), Err(SduError::Truncated { len }));
            assert_eq!(exchange_of(&bytes), None);
        }
    }

    /// [BLE-15]: each reserved flag bit is refused, and the exchange is still known so it can
    /// be RESET with `malformed-frame`.
    #[test]
    fn reserved_flag_bits() {
        for bit in 2..8 {
            let flags = 1u8 << bit;
            let bytes = [0x12, 0x34, flags | 0x01, KIND_PROTECTED, 0x00];
            let err = decode(&bytes).unwrap_err();
            assert_eq!(
                err,
                SduError::ReservedFlags {
                    flags: flags | 0x01
                }
            );
            assert_eq!(err.reset_code(), ResetCode::MALFORMED_FRAME);
            assert_eq!(exchange_of(&bytes), Some(0x1234));
        }
    }

    /// [BLE-15]: kind 0 only with END (and no payload) or with RESET.
    #[test]
    fn kind_zero_rules() {
        assert_eq!(decode(&[0, 1, 0x00, 0]), Err(SduError::NoKindWithoutEnd));
        assert_eq!(
            decode(&[0, 1, 0x01, 0, 9]),
            Err(SduError::NoKindWithPayload { len: 1 })
        );
        let end = decode(&[0, 1, 0x01, 0]).unwrap();
        assert_eq!(end, Sdu::end(1));
        assert!(end.ends_exchange());
        assert_eq!(end.reset_code(), None);
    }

    /// [BLE-15]: RESET carries kind 0 and exactly one code byte; an unknown code survives.
    #[test]
    fn reset_rules() {
        assert_eq!(
            decode(&[0, 1, 0x02, 0]),
            Err(SduError::ResetWithoutCode { len: 0 })
        );
        assert_eq!(
            decode(&[0, 1, 0x02, 0, 2, 2]),
            Err(SduError::ResetWithoutCode { len: 2 })
        );
        assert_eq!(
            decode(&[0, 1, 0x02, 3, 2]),
            Err(SduError::ResetWithKind { kind: 3 })
        );
        let bytes = reset(0x8001, ResetCode::LIMIT_EXCEEDED);
        let r = decode(&bytes).unwrap();
        assert_eq!(r.exchange, 0x8001);
        assert_eq!(r.reset_code(), Some(ResetCode::LIMIT_EXCEEDED));
        assert!(r.ends_exchange());
        let unknown = decode(&[0, 1, 0x02, 0, 200]).unwrap();
        assert_eq!(unknown.reset_code(), Some(ResetCode(200)));
        assert_eq!(ResetCode(200).name(), None);
        assert_eq!(ResetCode::UNKNOWN_KIND.name(), Some("unknown-kind"));
    }

    /// [BLE-19]: a message of kind 1..=3 is never empty; an unknown kind decodes so that the
    /// receiver can answer `unknown-kind` ([BLE-18]).
    #[test]
    fn empty_payload_of_a_known_kind() {
        for kind in [KIND_PAIRING, KIND_SESSION, KIND_PROTECTED] {
            assert_eq!(
                decode(&[0, 1, 0x01, kind]),
                Err(SduError::EmptyPayload { kind })
            );
            assert_eq!(
                Sdu::message(1, kind, &[], false).to_vec(),
                Err(SduError::EmptyPayload { kind })
            );
        }
        let unknown = decode(&[0, 1, 0x00, 9, 1]).unwrap();
        assert!(!is_known_kind(unknown.kind));
    }

    /// [BLE-19]: 16384 bytes of payload pass, 16385 do not, in both directions.
    #[test]
    fn payload_size_limit() {
        let mut bytes = vec![0, 1, 0x01, KIND_PROTECTED];
        bytes.resize(MAX_SDU, 0x55);
        assert_eq!(decode(&bytes).unwrap().payload.len(), MAX_PAYLOAD);
        bytes.push(0x55);
        assert_eq!(
            decode(&bytes),
            Err(SduError::PayloadTooLarge {
                len: MAX_PAYLOAD + 1
            })
        );
        let big = vec![0u8; MAX_PAYLOAD + 1];
        let mut out = vec![0xee];
        assert_eq!(
            Sdu::message(1, KIND_PROTECTED, &big, true).encode(&mut out),
            Err(SduError::PayloadTooLarge {
                len: MAX_PAYLOAD + 1
            })
        );
        assert_eq!(out, [0xee], "a refused SDU appends nothing");
    }

    fn any_valid_sdu() -> impl Strategy<Value = (u16, u8, u8, Vec<u8>)> {
        prop_oneof![
            // A message of any kind but 0, ending or not.
            (
                any::<u16>(),
                0u8..=1,
                1u8..=255,
                proptest::collection::vec(any::<u8>(), 1..300)
            ),
            // An end with no message.
            (any::<u16>(), Just(0x01u8), Just(0u8), Just(Vec::new())),
            // A RESET, with or without END.
            (
                any::<u16>(),
                prop_oneof![Just(0x02u8), Just(0x03u8)],
                Just(0u8),
                any::<u8>().prop_map(|c| vec![c])
            ),
        ]
    }

    proptest! {
        /// [BLE-15]: every valid SDU survives encode then decode, and decode then encode gives
        /// back the bytes.
        #[test]
        fn round_trip((exchange, flags, kind, payload) in any_valid_sdu()) {
            let sdu = Sdu { exchange, flags: SduFlags::from_bits(flags).unwrap(), kind, payload: &payload };
            let bytes = sdu.to_vec().unwrap();
            prop_assert_eq!(bytes.len(), HEADER_LEN + payload.len());
            let back = Sdu::decode(&bytes).unwrap();
            prop_assert_eq!(back, sdu);
            prop_assert_eq!(back.to_vec().unwrap(), bytes);
        }

        /// Decoding is total: arbitrary bytes give an SDU or a typed error, never a panic, and
        /// whatever decodes re-encodes to the same bytes.
        #[test]
        fn decode_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(sdu) = Sdu::decode(&bytes) {
                prop_assert_eq!(sdu.to_vec().unwrap(), bytes);
            }
        }
    }
}

use super::SetupError;

/// The transports over which a device accepts pairing, as a bit set `[SETUP-5]`.
///
/// Bits this version does not define are kept when decoding, so a payload written for a newer
/// controller survives a round trip through an older one; they are ignored when choosing a
/// transport.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TransportFlags(u8);

impl TransportFlags {
    /// No transport announced.
    pub const NONE: TransportFlags = TransportFlags(0);
    /// Bit 0: Bluetooth Low Energy (GATT).
    pub const BLE: TransportFlags = TransportFlags(0x01);
    /// Bit 1: IP (QUIC over UDP) on a network the device is already on.
    pub const IP: TransportFlags = TransportFlags(0x02);
    /// Every bit version 1 defines.
    pub const KNOWN: TransportFlags = TransportFlags(0x03);

    /// A set from its wire bits, keeping bits this version does not know.
    pub const fn from_bits(bits: u8) -> Self {
        Self(bits)
    }

    /// The wire bits, including unknown ones.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every bit of `other` is set in `self`.
    pub const fn contains(self, other: TransportFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The bits this version does not define.
    pub const fn unknown_bits(self) -> u8 {
        self.0 & !Self::KNOWN.0
    }

    /// Whether no bit this version defines is set (a controller then tries every transport it
    /// has, `[SETUP-5]`).
    pub const fn has_no_known_transport(self) -> bool {
        self.0 & Self::KNOWN.0 == 0
    }
}

impl std::ops::BitOr for TransportFlags {
    type Output = TransportFlags;
    fn bitor(self, rhs: TransportFlags) -> TransportFlags {
        TransportFlags(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for TransportFlags {
    fn bitor_assign(&mut self, rhs: TransportFlags) {
        self.0 |= rhs.0;
    }
}

impl std::fmt::Debug for TransportFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if self.contains(Self::BLE) {
            parts.push("BLE".to_string());
        }
        if self.contains(Self::IP) {
            parts.push("IP".to_string());
        }
        if self.unknown_bits() != 0 {
            parts.push(format!("0x{:02x}", self.unknown_bits()));
        }
        if parts.is_empty() {
            parts.push("NONE".to_string());
        }
        write!(f, "TransportFlags({})", parts.join(" | "))
    }
}

/// What the user has to do before the device accepts pairing `[SETUP-6]`. Two bits on the wire;
/// the value 3 is reserved and survives decoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PairingFlow(u8);

impl PairingFlow {
    /// 0: an unpaired device accepts pairing once powered; nothing else to do.
    pub const STANDARD: PairingFlow = PairingFlow(0);
    /// 1: the user must act on the device (for example press a button) to open pairing.
    pub const USER_ACTION: PairingFlow = PairingFlow(1);
    /// 2: a vendor-specific step comes first; the controller looks up the vendor's
    /// instructions by vendor and product ID.
    pub const CUSTOM: PairingFlow = PairingFlow(2);
    /// Largest value the 2-bit field holds.
    pub const MAX: u8 = 3;

    /// A flow from its 2-bit wire value.
    pub fn new(value: u8) -> Result<Self, SetupError> {
        if value > Self::MAX {
            return Err(SetupError::FlowOutOfRange { value });
        }
        Ok(Self(value))
    }

    /// The wire value (0..=3).
    pub const fn value(self) -> u8 {
        self.0
    }

    /// Whether this version defines the value; a controller treats an unknown flow as
    /// [`PairingFlow::CUSTOM`] `[SETUP-6]`.
    pub const fn is_known(self) -> bool {
        self.0 <= Self::CUSTOM.0
    }
}

impl std::fmt::Debug for PairingFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Self::STANDARD => f.write_str("PairingFlow::STANDARD"),
            Self::USER_ACTION => f.write_str("PairingFlow::USER_ACTION"),
            Self::CUSTOM => f.write_str("PairingFlow::CUSTOM"),
            PairingFlow(v) => write!(f, "PairingFlow({v})"),
        }
    }
}

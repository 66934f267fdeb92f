use super::{
    qr, Discriminator, ManualCode, ManualCodeForm, PairingFlow, Passcode, ProductId, SetupError,
    TransportFlags, VendorId,
};

/// The version of the setup payload format, written in the QR prefix (`OB1:`) `[SETUP-7]`.
///
/// Only versions this implementation can encode can be constructed; a newer version in an
/// input is reported as [`SetupError::UnsupportedVersion`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PayloadVersion(u8);

impl PayloadVersion {
    /// Version 1, the format of `spec/v1/03-setup-payload.md`.
    pub const V1: PayloadVersion = PayloadVersion(1);

    /// The version number.
    pub const fn value(self) -> u8 {
        self.0
    }
}

/// Everything a device's setup label carries (`spec/v1/03-setup-payload.md`).
///
/// `Debug` does not print the passcode `[SETUP-3]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetupPayload {
    /// Format version; [`PayloadVersion::V1`].
    pub version: PayloadVersion,
    /// The device's vendor.
    pub vendor_id: VendorId,
    /// The device's product.
    pub product_id: ProductId,
    /// The discriminator the device advertises while it accepts pairing.
    pub discriminator: Discriminator,
    /// The PASE passcode.
    pub passcode: Passcode,
    /// Transports the device accepts pairing over; unknown bits are kept.
    pub transports: TransportFlags,
    /// What the user has to do before pairing.
    pub flow: PairingFlow,
}

impl SetupPayload {
    /// A version-1 payload with no transport announced and the standard flow; set those with
    /// [`SetupPayload::with_transports`] and [`SetupPayload::with_flow`].
    pub fn new(
        vendor_id: VendorId,
        product_id: ProductId,
        discriminator: Discriminator,
        passcode: Passcode,
    ) -> Self {
        Self {
            version: PayloadVersion::V1,
            vendor_id,
            product_id,
            discriminator,
            passcode,
            transports: TransportFlags::NONE,
            flow: PairingFlow::STANDARD,
        }
    }

    /// The same payload announcing `transports`.
    pub fn with_transports(mut self, transports: TransportFlags) -> Self {
        self.transports = transports;
        self
    }

    /// The same payload with pairing flow `flow`.
    pub fn with_flow(mut self, flow: PairingFlow) -> Self {
        self.flow = flow;
        self
    }

    /// The QR string: `OB1:` and 25 characters of the QR alphanumeric set `[SETUP-7]`.
    pub fn to_qr_string(&self) -> String {
        qr::encode(self)
    }

    /// Decodes a QR string. The input must be exactly what [`SetupPayload::to_qr_string`]
    /// produces: upper case, no surrounding whitespace.
    pub fn from_qr_str(s: &str) -> Result<Self, SetupError> {
        qr::decode(s)
    }

    /// The manual code for this payload. The long form also carries the vendor and product
    /// IDs; a device whose flow is not standard should print that one `[SETUP-19]`.
    pub fn to_manual_code(&self, form: ManualCodeForm) -> ManualCode {
        let vendor_product = match form {
            ManualCodeForm::Short => None,
            ManualCodeForm::Long => Some((self.vendor_id, self.product_id)),
        };
        ManualCode::new(self.discriminator.short(), self.passcode, vendor_product)
    }
}

impl std::str::FromStr for SetupPayload {
    type Err = SetupError;

    /// Same as [`SetupPayload::from_qr_str`].
    fn from_str(s: &str) -> Result<Self, SetupError> {
        Self::from_qr_str(s)
    }
}

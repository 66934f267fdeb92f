//! What the suite learned about the device before the cases run: its setup code, what its
//! attestation certified, and its signed descriptor read live. Applicability is derived from
//! these facts, never from what the maker declares (a manifest is only compared with them).

use orbit_core::attest::AttestedDevice;
use orbit_core::model::Descriptor;
use orbit_core::setup::{ManualCode, SetupPayload};

/// The setup code the operator gave, parsed `[SETUP-*]`.
#[derive(Clone, Debug)]
pub enum SetupCode {
    /// A QR string (`OB1:...`): passcode, discriminator, vendor and product.
    Qr(SetupPayload),
    /// A manual code: passcode, short discriminator and, long form, vendor and product.
    Manual(ManualCode),
}

impl SetupCode {
    /// Parses a QR string or the digits of a manual code.
    pub fn parse(code: &str) -> Result<Self, String> {
        let code = code.trim();
        if code.starts_with("OB") {
            SetupPayload::from_qr_str(code)
                .map(SetupCode::Qr)
                .map_err(|e| format!("the QR setup code does not parse: {e}"))
        } else {
            ManualCode::parse(code)
                .map(SetupCode::Manual)
                .map_err(|e| format!("the manual setup code does not parse: {e}"))
        }
    }

    /// The PASE passcode.
    pub fn passcode(&self) -> u32 {
        match self {
            SetupCode::Qr(p) => p.passcode.value(),
            SetupCode::Manual(m) => m.passcode.value(),
        }
    }

    /// The vendor and product the code names, if it names them.
    pub fn vendor_product(&self) -> Option<(u16, u16)> {
        match self {
            SetupCode::Qr(p) => Some((p.vendor_id.0, p.product_id.0)),
            SetupCode::Manual(m) => m.vendor_product.map(|(v, p)| (v.0, p.0)),
        }
    }
}

/// Everything known about the device under test.
#[derive(Clone, Debug)]
pub struct Facts {
    /// The setup code the operator gave.
    pub setup: SetupCode,
    /// What its attestation certified (vendor, product, serial, attestation key).
    pub attested: AttestedDevice,
    /// Its descriptor as decoded from what the device sent (its signature is judged by the
    /// case `data-model.descriptor-signature`, `[DM-41]`).
    pub descriptor: Descriptor,
    /// The descriptor's encoding as the device sent it.
    pub descriptor_bytes: Vec<u8>,
    /// The descriptor's signature as the device sent it.
    pub descriptor_signature: Vec<u8>,
    /// The device's firmware version, if it exposes one.
    pub firmware: Option<String>,
    /// Whether the device issued a resumption ticket in the confirming session `[SESS-24]`.
    pub issues_tickets: bool,
}

impl Facts {
    /// Whether any endpoint of the device has capability `id`.
    pub fn has_capability(&self, id: orbit_core::model::CapabilityId) -> bool {
        self.descriptor
            .endpoints
            .iter()
            .any(|e| e.capabilities.iter().any(|c| c.id == id))
    }
}

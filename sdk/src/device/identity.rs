//! What a device is made with at manufacture: its attestation chain and key, its setup code
//! and the SPAKE2+ verifier derived from it.

use super::DeviceError;
use orbit_core::attest::{DeviceAttestation, DEV_VENDOR_ID};
use orbit_core::cert::Validity;
use orbit_core::crypto::SystemRandom;
use orbit_core::pairing::{PasscodeVerifier, PbkdfParams};
use orbit_core::setup::{
    Discriminator, ManualCodeForm, Passcode, ProductId, SetupPayload, TransportFlags, VendorId,
};

/// PBKDF2 iterations for verifiers made here: the minimum of `[PAIR-6]`, which is what a
/// constrained device can afford; the passcode's entropy, the attempt limit `[PAIR-27]` and
/// the back-off `[PAIR-26]` carry the protection against guessing.
pub const PBKDF2_ITERATIONS: u32 = 1_000;

/// How long a development attestation chain is valid.
const CHAIN_VALIDITY_SECS: u64 = 10 * 365 * 86_400;

/// A device's manufacturing identity.
pub struct DeviceIdentity {
    /// The attestation chain and the device attestation key.
    pub attestation: DeviceAttestation,
    /// The SPAKE2+ verifier of the setup passcode `[PAIR-8]`.
    pub verifier: PasscodeVerifier,
    /// The setup payload printed on the device's label (the reference device keeps it to show
    /// it again at each start; a product prints it once and keeps only the verifier).
    pub setup: SetupPayload,
}

impl std::fmt::Debug for DeviceIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceIdentity")
            .field("vendor", &self.setup.vendor_id)
            .field("product", &self.setup.product_id)
            .finish_non_exhaustive()
    }
}

impl DeviceIdentity {
    /// Manufactures a development device of `product_id` with serial number `serial`: a chain
    /// under the published development vendor root `[ATT-7]`, a random passcode and
    /// discriminator, and the verifier.
    pub fn development(product_id: u16, serial: u64, now_unix: u64) -> Result<Self, DeviceError> {
        let mut rng = SystemRandom::new();
        let attestation = DeviceAttestation::development(
            &mut rng,
            product_id,
            serial,
            Validity::starting(now_unix.saturating_sub(60), CHAIN_VALIDITY_SECS),
        )?;
        let setup = SetupPayload::new(
            VendorId(DEV_VENDOR_ID),
            ProductId(product_id),
            Discriminator::generate(&mut rng)?,
            Passcode::generate(&mut rng)?,
        )
        .with_transports(TransportFlags::IP);
        let verifier = PasscodeVerifier::from_passcode(
            setup.passcode.value(),
            PbkdfParams::generate(&mut rng, PBKDF2_ITERATIONS)?,
        )?;
        Ok(DeviceIdentity {
            attestation,
            verifier,
            setup,
        })
    }

    /// The QR string of the setup payload (to print or draw).
    pub fn qr_string(&self) -> String {
        self.setup.to_qr_string()
    }

    /// The 11-digit manual pairing code.
    pub fn manual_code(&self) -> String {
        self.setup.to_manual_code(ManualCodeForm::Short).to_string()
    }
}

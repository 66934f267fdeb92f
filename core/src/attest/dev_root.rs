use super::AttestationChain;
use crate::cert::{CertKind, Certificate, KeyId, TbsCertificate, Validity};
use crate::crypto::hash::sha256;
use crate::crypto::sign::SigningKey;
use crate::crypto::{CryptoError, Random};

/// The label whose SHA-256 is the secret seed of the published development vendor root
/// `[ATT-7]`. Because the seed is public, anyone can mint chains under this root: controllers
/// MUST NOT trust it outside development.
pub const DEV_VENDOR_ROOT_SEED: &[u8] = b"orbit v1 development vendor root";

/// The vendor ID of the development vendor root (from the test range 0xFFF1..=0xFFF4).
pub const DEV_VENDOR_ID: u16 = 0xFFF1;

/// Validity used for the development root: 2020-01-01 to 2100-01-01.
const DEV_VALIDITY: Validity = Validity {
    not_before: 1_577_836_800,
    not_after: 4_102_444_800,
};

/// A vendor's attestation root key and certificate, which mints product and device
/// certificates. A real vendor keeps this offline; [`VendorAuthority::development`] is the
/// published development root.
#[derive(Debug, Clone)]
pub struct VendorAuthority {
    key: SigningKey,
    root: Certificate,
}

/// What a device is provisioned with at manufacture: its chain and its attestation key.
#[derive(Debug, Clone)]
pub struct DeviceAttestation {
    /// Product and device certificates.
    pub chain: AttestationChain,
    /// The device attestation private key (never leaves the device).
    pub device_key: SigningKey,
}

impl VendorAuthority {
    /// The published development vendor root `[ATT-7]`.
    pub fn development() -> Self {
        let key = SigningKey::from_seed(&sha256(&[DEV_VENDOR_ROOT_SEED]));
        Self::with_key(key, Some(DEV_VENDOR_ID), DEV_VALIDITY)
    }

    /// A new vendor root with a random key.
    pub fn generate(
        rng: &mut dyn Random,
        vendor_id: Option<u16>,
        validity: Validity,
    ) -> Result<Self, CryptoError> {
        Ok(Self::with_key(
            SigningKey::generate(rng)?,
            vendor_id,
            validity,
        ))
    }

    fn with_key(key: SigningKey, vendor_id: Option<u16>, validity: Validity) -> Self {
        let public = key.public_key();
        let tbs = TbsCertificate {
            kind: CertKind::VENDOR_ROOT,
            serial: 1,
            subject_key: public,
            issuer: KeyId::of(&public),
            validity,
            home_id: None,
            node_id: None,
            role: None,
            vendor_id,
            product_id: None,
        };
        let root = Certificate::sign(tbs, &key);
        VendorAuthority { key, root }
    }

    /// The vendor root certificate (what controllers put in their trust store).
    pub fn root(&self) -> &Certificate {
        &self.root
    }

    /// Mints a product certificate and its key.
    pub fn mint_product(
        &self,
        rng: &mut dyn Random,
        vendor_id: u16,
        product_id: u16,
        validity: Validity,
    ) -> Result<(Certificate, SigningKey), CryptoError> {
        let key = SigningKey::generate(rng)?;
        let tbs = attestation_tbs(
            CertKind::PRODUCT,
            &key,
            &self.key,
            1,
            validity,
            vendor_id,
            product_id,
        );
        Ok((Certificate::sign(tbs, &self.key), key))
    }
}

/// Mints a device attestation certificate under a product certificate and returns what the
/// device is provisioned with.
pub fn mint_device(
    rng: &mut dyn Random,
    product: &Certificate,
    product_key: &SigningKey,
    serial: u64,
    validity: Validity,
) -> Result<DeviceAttestation, CryptoError> {
    let device_key = SigningKey::generate(rng)?;
    let tbs = attestation_tbs(
        CertKind::DEVICE,
        &device_key,
        product_key,
        serial,
        validity,
        product.tbs().vendor_id.unwrap_or_default(),
        product.tbs().product_id.unwrap_or_default(),
    );
    Ok(DeviceAttestation {
        chain: AttestationChain {
            product: product.clone(),
            device: Certificate::sign(tbs, product_key),
        },
        device_key,
    })
}

fn attestation_tbs(
    kind: CertKind,
    subject: &SigningKey,
    issuer: &SigningKey,
    serial: u64,
    validity: Validity,
    vendor_id: u16,
    product_id: u16,
) -> TbsCertificate {
    TbsCertificate {
        kind,
        serial,
        subject_key: subject.public_key(),
        issuer: KeyId::of(&issuer.public_key()),
        validity,
        home_id: None,
        node_id: None,
        role: None,
        vendor_id: Some(vendor_id),
        product_id: Some(product_id),
    }
}

impl DeviceAttestation {
    /// Mints a complete development chain (development root → product → device) for
    /// `vendor_id`/`product_id`, valid for `validity`: the tooling device makers use for tests.
    pub fn development(
        rng: &mut dyn Random,
        product_id: u16,
        serial: u64,
        validity: Validity,
    ) -> Result<Self, CryptoError> {
        let vendor = VendorAuthority::development();
        let (product, product_key) =
            vendor.mint_product(rng, DEV_VENDOR_ID, product_id, validity)?;
        mint_device(rng, &product, &product_key, serial, validity)
    }
}

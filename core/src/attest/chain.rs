use crate::cert::{CertError, CertKind, Certificate};
use crate::codec::{decode_value, encode_value, scan, CodecError, Limits, Value};
use crate::crypto::sign::PublicKey;

/// A device's attestation chain as sent during pairing: `[product-cert, device-cert]`
/// (each a certificate as in `[CERT-1]`); the vendor root is not sent `[ATT-2]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationChain {
    /// Product attestation certificate, issued by the vendor root.
    pub product: Certificate,
    /// Device attestation certificate, issued by the product certificate.
    pub device: Certificate,
}

/// `[LIMIT-2]` an encoded attestation chain is at most 1024 bytes.
const CHAIN_LIMITS: Limits = Limits {
    max_message: 1024,
    max_depth: 2,
    max_collection: 4,
    max_string: 512,
    max_items: 12,
};

impl AttestationChain {
    /// The chain as a CBOR value.
    pub fn to_value(&self) -> Value {
        Value::Array(vec![self.product.to_value(), self.device.to_value()])
    }

    /// Reads a chain from a CBOR value, such as the chain inside an attestation response.
    ///
    /// `[LIMIT-2]` the chain must be within the chain limits (at most 1024 bytes encoded)
    /// whichever message carried it. The profile gives every value exactly one encoding
    /// `[CBOR-1]`, so re-encoding reproduces the bytes that were received.
    pub fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut encoded = Vec::new();
        encode_value(&value, &mut encoded);
        scan(&encoded, &CHAIN_LIMITS)?;
        Self::from_checked_value(value)
    }

    /// Reads a chain from a value already checked against [`CHAIN_LIMITS`].
    fn from_checked_value(value: Value) -> Result<Self, CodecError> {
        let Value::Array(items) = value else {
            return Err(CodecError::WrongShape { expected: "array" });
        };
        let [product, device]: [Value; 2] =
            items.try_into().map_err(|_| CodecError::WrongShape {
                expected: "array of 2 certificates",
            })?;
        Ok(AttestationChain {
            product: Certificate::from_value(product)?,
            device: Certificate::from_value(device)?,
        })
    }

    /// The encoded chain.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        encode_value(&self.to_value(), &mut out);
        out
    }

    /// Decodes a chain.
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        Self::from_checked_value(decode_value(bytes, &CHAIN_LIMITS)?)
    }
}

/// What a controller learns from a valid chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedDevice {
    /// Vendor ID certified by the chain.
    pub vendor_id: u16,
    /// Product ID certified by the chain.
    pub product_id: u16,
    /// The device attestation public key.
    pub device_key: PublicKey,
    /// Serial number of the device certificate.
    pub serial: u64,
}

/// The vendor roots a controller trusts `[ATT-3]`.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    roots: Vec<Certificate>,
}

impl TrustStore {
    /// An empty store: trusts nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a vendor root after checking it is a self-signed vendor root.
    pub fn add_root(&mut self, root: Certificate) -> Result<(), CertError> {
        root.expect_kind(CertKind::VENDOR_ROOT)?;
        root.verify_issued_by(root.public_key())?;
        self.roots.push(root);
        Ok(())
    }

    /// Validates `chain` at `now` (Unix seconds) `[ATT-3]`, `[ATT-4]`, `[ATT-5]`.
    pub fn verify(&self, chain: &AttestationChain, now: u64) -> Result<AttestedDevice, CertError> {
        let product = &chain.product;
        let device = &chain.device;
        product.expect_kind(CertKind::PRODUCT)?;
        device.expect_kind(CertKind::DEVICE)?;
        // [ATT-3] the product certificate must be issued by a trusted, currently valid root.
        let root = self
            .roots
            .iter()
            .find(|r| r.tbs().subject_key_id() == product.tbs().issuer)
            .ok_or(CertError::UntrustedRoot)?;
        root.check_validity(now)?;
        product.verify_issued_by(root.public_key())?;
        product.check_validity(now)?;
        device.verify_issued_by(product.public_key())?;
        device.check_validity(now)?;

        let missing = |kind, field| CertError::MissingField { kind, field };
        let p_vid = product
            .tbs()
            .vendor_id
            .ok_or(missing(CertKind::PRODUCT, "vendor_id"))?;
        let p_pid = product
            .tbs()
            .product_id
            .ok_or(missing(CertKind::PRODUCT, "product_id"))?;
        let d_vid = device
            .tbs()
            .vendor_id
            .ok_or(missing(CertKind::DEVICE, "vendor_id"))?;
        let d_pid = device
            .tbs()
            .product_id
            .ok_or(missing(CertKind::DEVICE, "product_id"))?;
        // [ATT-4] IDs must agree down the chain; a vendor root that names a vendor may only
        // certify that vendor's products.
        if let Some(root_vid) = root.tbs().vendor_id {
            if root_vid != p_vid {
                return Err(CertError::IdMismatch(
                    "product vendor differs from its root",
                ));
            }
        }
        if d_vid != p_vid {
            return Err(CertError::IdMismatch(
                "device vendor differs from its product",
            ));
        }
        if d_pid != p_pid {
            return Err(CertError::IdMismatch(
                "device product differs from its product certificate",
            ));
        }
        Ok(AttestedDevice {
            vendor_id: d_vid,
            product_id: d_pid,
            device_key: device.tbs().subject_key,
            serial: device.tbs().serial,
        })
    }
}

use super::CertError;
use crate::codec::{
    decode_value, encode_value, value_bytes, CborMessage, CodecError, Limits, MapBuilder,
    MapReader, Value,
};
use crate::crypto::hash::sha256;
use crate::crypto::sign::{PublicKey, Signature, SigningKey};

/// What a certificate certifies `[CERT-3]`. Unknown kinds decode and are rejected by
/// validation rather than by the decoder.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CertKind(pub u64);

impl CertKind {
    /// A home's self-signed root.
    pub const HOME_ROOT: CertKind = CertKind(1);
    /// A node's operational certificate, issued by a home root.
    pub const OPERATIONAL: CertKind = CertKind(2);
    /// A vendor's self-signed attestation root.
    pub const VENDOR_ROOT: CertKind = CertKind(3);
    /// A product attestation intermediate, issued by a vendor root.
    pub const PRODUCT: CertKind = CertKind(4);
    /// A device attestation certificate, issued by a product certificate.
    pub const DEVICE: CertKind = CertKind(5);
}

impl std::fmt::Display for CertKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match *self {
            CertKind::HOME_ROOT => "home-root",
            CertKind::OPERATIONAL => "operational",
            CertKind::VENDOR_ROOT => "vendor-root",
            CertKind::PRODUCT => "product",
            CertKind::DEVICE => "device",
            CertKind(n) => return write!(f, "unknown({n})"),
        };
        f.write_str(name)
    }
}

/// The role of a node in a home, carried in its operational certificate `[HOME-2]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct NodeRole(pub u64);

impl NodeRole {
    /// A controller (a phone, a hub's controlling side).
    pub const CONTROLLER: NodeRole = NodeRole(1);
    /// A device (a lamp, a lock, ...).
    pub const DEVICE: NodeRole = NodeRole(2);
}

/// The first 8 bytes of SHA-256 over an Ed25519 public key: names an issuer compactly
/// `[CERT-5]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct KeyId(pub [u8; 8]);

impl KeyId {
    /// The identifier of `key`.
    pub fn of(key: &PublicKey) -> Self {
        let h = sha256(&[&key.0]);
        let mut id = [0u8; 8];
        id.copy_from_slice(h.get(..8).unwrap_or(&[0u8; 8]));
        KeyId(id)
    }
}

/// A validity period in Unix seconds, both ends inclusive `[CERT-6]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Validity {
    /// First second of validity.
    pub not_before: u64,
    /// Last second of validity.
    pub not_after: u64,
}

impl Validity {
    /// `duration_secs` starting at `now`.
    pub fn starting(now: u64, duration_secs: u64) -> Self {
        Validity {
            not_before: now,
            not_after: now.saturating_add(duration_secs),
        }
    }

    /// Whether `now` falls inside the period.
    pub fn contains(&self, now: u64) -> bool {
        self.not_before <= now && now <= self.not_after
    }
}

/// The signed content of a certificate `[CERT-1]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TbsCertificate {
    /// What the certificate certifies.
    pub kind: CertKind,
    /// Issuer-chosen serial number.
    pub serial: u64,
    /// The certified Ed25519 public key.
    pub subject_key: PublicKey,
    /// Identifier of the issuer's public key (the subject's own for self-signed roots).
    pub issuer: KeyId,
    /// Validity period.
    pub validity: Validity,
    /// Home identifier (home-root and operational certificates).
    pub home_id: Option<u64>,
    /// Node identifier within the home (operational certificates).
    pub node_id: Option<u64>,
    /// Node role (operational certificates).
    pub role: Option<NodeRole>,
    /// Vendor ID (attestation certificates; optional on a vendor root).
    pub vendor_id: Option<u16>,
    /// Product ID (product and device certificates).
    pub product_id: Option<u16>,
}

mod key {
    pub(super) const KIND: u64 = 1;
    pub(super) const SERIAL: u64 = 2;
    pub(super) const SUBJECT_KEY: u64 = 3;
    pub(super) const ISSUER: u64 = 4;
    pub(super) const NOT_BEFORE: u64 = 5;
    pub(super) const NOT_AFTER: u64 = 6;
    pub(super) const HOME_ID: u64 = 7;
    pub(super) const NODE_ID: u64 = 8;
    pub(super) const ROLE: u64 = 9;
    pub(super) const VENDOR_ID: u64 = 10;
    pub(super) const PRODUCT_ID: u64 = 11;
}

impl TbsCertificate {
    /// The key identifier of this certificate's subject key.
    pub fn subject_key_id(&self) -> KeyId {
        KeyId::of(&self.subject_key)
    }
}

impl CborMessage for TbsCertificate {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(key::KIND, self.kind.0)
            .put(key::SERIAL, self.serial)
            .bytes(key::SUBJECT_KEY, &self.subject_key.0)
            .bytes(key::ISSUER, &self.issuer.0)
            .put(key::NOT_BEFORE, self.validity.not_before)
            .put(key::NOT_AFTER, self.validity.not_after)
            .opt(key::HOME_ID, self.home_id)
            .opt(key::NODE_ID, self.node_id)
            .opt(key::ROLE, self.role.map(|r| r.0))
            .opt(key::VENDOR_ID, self.vendor_id)
            .opt(key::PRODUCT_ID, self.product_id)
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(value)?;
        Ok(TbsCertificate {
            // [CBOR-9] [CERT-3] any unsigned kind decodes; validation rejects unknown ones.
            kind: CertKind(m.uint(key::KIND)?),
            serial: m.uint(key::SERIAL)?,
            subject_key: PublicKey(m.array(key::SUBJECT_KEY)?),
            issuer: KeyId(m.array(key::ISSUER)?),
            validity: Validity {
                not_before: m.uint(key::NOT_BEFORE)?,
                not_after: m.uint(key::NOT_AFTER)?,
            },
            home_id: m.opt_uint(key::HOME_ID)?,
            node_id: m.opt_uint(key::NODE_ID)?,
            // [CBOR-9] any unsigned role decodes; validation rejects unknown ones.
            role: m.opt_uint(key::ROLE)?.map(NodeRole),
            vendor_id: m
                .opt_uint(key::VENDOR_ID)?
                .map(u16::try_from)
                .transpose()
                .map_err(|_| CodecError::OutOfRange {
                    key: key::VENDOR_ID,
                })?,
            product_id: m
                .opt_uint(key::PRODUCT_ID)?
                .map(u16::try_from)
                .transpose()
                .map_err(|_| CodecError::OutOfRange {
                    key: key::PRODUCT_ID,
                })?,
        })
    }
}

/// `[LIMIT-2]` the limits of a certificate's signed content: the `tbs` map inside the byte
/// string.
pub(crate) const CERT_LIMITS: Limits = Limits {
    max_message: 512,
    max_depth: 2,
    max_collection: 16,
    max_string: 256,
    max_items: 40,
};

/// `[LIMIT-2]` the limits of a whole encoded certificate `[tbs, signature]`: room for a `tbs`
/// byte string of up to 512 bytes (see [`CERT_LIMITS`]) and the 64-byte signature.
pub const CERTIFICATE_LIMITS: Limits = Limits {
    max_message: 600,
    max_depth: 1,
    max_collection: 2,
    max_string: 512,
    max_items: 3,
};

/// A signed certificate: the decoded content plus the exact signed bytes.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Certificate {
    tbs: TbsCertificate,
    tbs_bytes: Vec<u8>,
    signature: Signature,
}

impl Certificate {
    /// Signs `tbs` with `issuer` `[CERT-2]`. The caller is responsible for `tbs.issuer`
    /// naming `issuer`'s public key.
    pub fn sign(tbs: TbsCertificate, issuer: &SigningKey) -> Self {
        let tbs_bytes = tbs.to_bytes();
        let signature = issuer.sign(&tbs_bytes);
        Certificate {
            tbs,
            tbs_bytes,
            signature,
        }
    }

    /// The signed content.
    pub fn tbs(&self) -> &TbsCertificate {
        &self.tbs
    }

    /// The certified public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.tbs.subject_key
    }

    /// `[CERT-2]` checks the signature with `issuer` and that `[CERT-5]` the issuer
    /// identifier names it.
    pub fn verify_issued_by(&self, issuer: &PublicKey) -> Result<(), CertError> {
        if self.tbs.issuer != KeyId::of(issuer) {
            return Err(CertError::IssuerMismatch);
        }
        issuer
            .verify(&self.tbs_bytes, &self.signature)
            .map_err(|_| CertError::BadSignature)
    }

    /// `[CERT-4]` the certificate must be of `kind`.
    pub fn expect_kind(&self, kind: CertKind) -> Result<(), CertError> {
        if self.tbs.kind != kind {
            return Err(CertError::WrongKind {
                expected: kind,
                found: self.tbs.kind,
            });
        }
        Ok(())
    }

    /// `[CERT-6]` the certificate must be valid at `now` (Unix seconds).
    pub fn check_validity(&self, now: u64) -> Result<(), CertError> {
        let v = self.tbs.validity;
        if !v.contains(now) {
            return Err(CertError::Expired {
                now,
                not_before: v.not_before,
                not_after: v.not_after,
            });
        }
        Ok(())
    }

    /// The encoded certificate.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.tbs_bytes.len() + 72);
        encode_value(&self.to_value(), &mut out);
        out
    }

    /// Decodes a certificate (structure only; see the validation functions for trust).
    ///
    /// `[LIMIT-2]` the outer array is checked against [`CERTIFICATE_LIMITS`] and the signed
    /// `tbs` map inside it against the tighter limits of the content, exactly as when the
    /// certificate arrives embedded in another message ([`Certificate::from_value`]).
    pub fn decode(bytes: &[u8]) -> Result<Self, CertError> {
        Ok(Self::from_value(decode_value(bytes, &CERTIFICATE_LIMITS)?)?)
    }

    /// The certificate as a CBOR value `[tbs-bytes, signature]`.
    pub fn to_value(&self) -> Value {
        Value::Array(vec![
            Value::Bytes(self.tbs_bytes.clone()),
            Value::Bytes(self.signature.0.to_vec()),
        ])
    }

    /// Reads a certificate from a decoded CBOR value.
    pub fn from_value(value: Value) -> Result<Self, CodecError> {
        let Value::Array(items) = value else {
            return Err(CodecError::WrongShape { expected: "array" });
        };
        let [tbs, sig]: [Value; 2] = items.try_into().map_err(|_| CodecError::WrongShape {
            expected: "array of 2",
        })?;
        let tbs_bytes = value_bytes(tbs, 0)?;
        let signature =
            Signature::from_slice(&value_bytes(sig, 1)?).map_err(|_| CodecError::WrongType {
                key: 1,
                expected: "64-byte signature",
            })?;
        // [CERT-1] [LIMIT-2] the embedded map is itself in Orbit's deterministic profile, within
        // the limits of a certificate's signed content.
        let tbs = TbsCertificate::from_value(decode_value(&tbs_bytes, &CERT_LIMITS)?)?;
        Ok(Certificate {
            tbs,
            tbs_bytes,
            signature,
        })
    }
}

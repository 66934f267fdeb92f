//! The four commissioning messages `[COMM-2]` and their limits `[COMM-18]`.
//!
//! Every message is a CBOR map with small unsigned keys; key 0 carries the message type, so a
//! state can tell the message it expects from a failure report or from a message out of order
//! `[COMM-3]`.

use super::CommissionError;
use crate::attest::{AttestationChain, AttestationProof};
use crate::cert::{Certificate, NodeId};
use crate::codec::{
    decode_value, scan, value_uint, CborMessage, CodecError, Limits, MapBuilder, MapReader, Value,
};
use crate::crypto::sign::{PublicKey, Signature};
use crate::status::Status;

/// Length of the controller's attestation nonce `[COMM-4]`.
pub const NONCE_LEN: usize = 32;

/// A commissioning message type `[COMM-2]`. Unknown values survive decoding (`[CBOR-9]`) and
/// are answered with `unexpected-message`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct MessageType(pub u64);

impl MessageType {
    /// Controller → device: asks for the attestation proof.
    pub const ATTESTATION_REQUEST: MessageType = MessageType(1);
    /// Device → controller: the attestation chain, new operational key and proof.
    pub const ATTESTATION_RESPONSE: MessageType = MessageType(2);
    /// Controller → device: the home root and the device's operational certificate.
    pub const INSTALL_HOME: MessageType = MessageType(3);
    /// Either side: the outcome; `success` only from the device, as the last message.
    pub const COMMISSIONING_COMPLETE: MessageType = MessageType(4);
}

impl std::fmt::Display for MessageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match *self {
            MessageType::ATTESTATION_REQUEST => "attestation-request",
            MessageType::ATTESTATION_RESPONSE => "attestation-response",
            MessageType::INSTALL_HOME => "install-home",
            MessageType::COMMISSIONING_COMPLETE => "commissioning-complete",
            MessageType(n) => return write!(f, "unknown({n})"),
        };
        f.write_str(name)
    }
}

/// Map key of the message type in every commissioning message.
const KEY_TYPE: u64 = 0;

/// `[COMM-18]` limits for an attestation request.
pub const ATTESTATION_REQUEST_LIMITS: Limits = Limits {
    max_message: 128,
    max_depth: 1,
    max_collection: 8,
    max_string: 64,
    max_items: 24,
};

/// `[COMM-18]` limits for an attestation response: a chain of up to 1024 bytes `[LIMIT-2]`
/// plus a key and a signature.
pub const ATTESTATION_RESPONSE_LIMITS: Limits = Limits {
    max_message: 1280,
    max_depth: 3,
    max_collection: 16,
    max_string: 512,
    max_items: 48,
};

/// `[COMM-18]` limits for an install-home message: two certificates of up to 512 bytes of
/// signed content each `[LIMIT-2]`.
pub const INSTALL_HOME_LIMITS: Limits = Limits {
    max_message: 1280,
    max_depth: 2,
    max_collection: 16,
    max_string: 512,
    max_items: 48,
};

/// `[COMM-18]` limits for a commissioning-complete message.
pub const COMMISSIONING_COMPLETE_LIMITS: Limits = Limits {
    max_message: 64,
    max_depth: 1,
    max_collection: 8,
    max_string: 32,
    max_items: 24,
};

/// The union of the per-message limits: what a state enforces before it knows the type.
const ENVELOPE_LIMITS: Limits = Limits {
    max_message: 1280,
    max_depth: 3,
    max_collection: 16,
    max_string: 512,
    max_items: 48,
};

/// A commissioning message with a fixed type code.
pub(crate) trait Typed: CborMessage {
    /// The type code in key 0.
    const TYPE: MessageType;
}

/// The message type of a decoded message.
fn message_type(value: &Value) -> Result<MessageType, CodecError> {
    let Value::Map(entries) = value else {
        return Err(CodecError::WrongShape { expected: "map" });
    };
    for (k, v) in entries {
        if matches!(k, Value::Integer(i) if u64::try_from(*i) == Ok(KEY_TYPE)) {
            // [CBOR-9] any unsigned value is a message type; unknown ones are handled by the state.
            return value_uint(v.clone(), KEY_TYPE).map(MessageType);
        }
    }
    Err(CodecError::MissingField { key: KEY_TYPE })
}

/// Opens a message map and checks that its type is `expected`.
fn open(value: Value, expected: MessageType) -> Result<MapReader, CodecError> {
    if message_type(&value)? != expected {
        return Err(CodecError::OutOfRange { key: KEY_TYPE });
    }
    let mut m = MapReader::new(value)?;
    m.take(KEY_TYPE);
    Ok(m)
}

/// What a state receives: the message of type `T` it expects. A failure report from the peer
/// becomes [`CommissionError::PeerStatus`]; anything else, including a `success` report that
/// comes too early, is [`CommissionError::UnexpectedMessage`] `[COMM-3]` `[COMM-15]`.
pub(crate) fn receive<T: Typed>(
    bytes: &[u8],
    expected: &'static str,
) -> Result<T, CommissionError> {
    let value = decode_value(bytes, &ENVELOPE_LIMITS)?;
    let found = message_type(&value)?;
    if found == T::TYPE {
        // [COMM-18] the tighter limits of the message type.
        scan(bytes, &T::limits())?;
        return Ok(T::from_value(value)?);
    }
    if found == MessageType::COMMISSIONING_COMPLETE {
        scan(bytes, &CommissioningComplete::limits())?;
        let status = CommissioningComplete::from_value(value)?.status;
        if status != Status::SUCCESS {
            return Err(CommissionError::PeerStatus(status));
        }
    }
    Err(CommissionError::UnexpectedMessage { expected, found })
}

/// Controller → device: starts attestation `[COMM-4]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AttestationRequest {
    /// Fresh random bytes chosen by the controller for this commissioning.
    pub nonce: [u8; NONCE_LEN],
}

const REQ_NONCE: u64 = 1;

impl CborMessage for AttestationRequest {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(KEY_TYPE, MessageType::ATTESTATION_REQUEST.0)
            .bytes(REQ_NONCE, &self.nonce)
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = open(value, MessageType::ATTESTATION_REQUEST)?;
        Ok(AttestationRequest {
            nonce: m.array(REQ_NONCE)?,
        })
    }

    fn limits() -> Limits {
        ATTESTATION_REQUEST_LIMITS
    }
}

impl Typed for AttestationRequest {
    const TYPE: MessageType = MessageType::ATTESTATION_REQUEST;
}

/// Device → controller: the device's attestation proof over the operational key it generated
/// for the new home `[COMM-9]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AttestationResponse {
    /// The chain `[product, device]` `[ATT-2]` and the signature over the attestation message
    /// `[ATT-6]`.
    pub proof: AttestationProof,
    /// The operational public key the device generated for this commissioning.
    pub operational_key: PublicKey,
}

mod resp {
    pub(super) const CHAIN: u64 = 1;
    pub(super) const OPERATIONAL_KEY: u64 = 2;
    pub(super) const SIGNATURE: u64 = 3;
}

impl CborMessage for AttestationResponse {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(KEY_TYPE, MessageType::ATTESTATION_RESPONSE.0)
            .put(resp::CHAIN, self.proof.chain.to_value())
            .bytes(resp::OPERATIONAL_KEY, &self.operational_key.0)
            .bytes(resp::SIGNATURE, &self.proof.signature.0)
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = open(value, MessageType::ATTESTATION_RESPONSE)?;
        let chain = AttestationChain::from_value(m.required(resp::CHAIN)?)?;
        let operational_key = PublicKey(m.array(resp::OPERATIONAL_KEY)?);
        let signature = Signature(m.array(resp::SIGNATURE)?);
        Ok(AttestationResponse {
            proof: AttestationProof { chain, signature },
            operational_key,
        })
    }

    fn limits() -> Limits {
        ATTESTATION_RESPONSE_LIMITS
    }
}

impl Typed for AttestationResponse {
    const TYPE: MessageType = MessageType::ATTESTATION_RESPONSE;
}

/// Controller → device: the home to join `[COMM-7]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct InstallHome {
    /// The home's root certificate.
    pub root: Certificate,
    /// The device's operational certificate, issued by the root for the key in the
    /// attestation response.
    pub certificate: Certificate,
    /// The controller's current time in Unix seconds `[COMM-12]`.
    pub time: u64,
    /// The node identifier of the administrator that commissioned the device, if it wants
    /// the device to know it (informative for the device, e.g. to name who added it).
    pub admin_node_id: Option<NodeId>,
}

mod install {
    pub(super) const ROOT: u64 = 1;
    pub(super) const CERTIFICATE: u64 = 2;
    pub(super) const TIME: u64 = 3;
    pub(super) const ADMIN_NODE_ID: u64 = 4;
}

impl CborMessage for InstallHome {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(KEY_TYPE, MessageType::INSTALL_HOME.0)
            .put(install::ROOT, self.root.to_value())
            .put(install::CERTIFICATE, self.certificate.to_value())
            .put(install::TIME, self.time)
            .opt(install::ADMIN_NODE_ID, self.admin_node_id)
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = open(value, MessageType::INSTALL_HOME)?;
        Ok(InstallHome {
            root: Certificate::from_value(m.required(install::ROOT)?)?,
            certificate: Certificate::from_value(m.required(install::CERTIFICATE)?)?,
            time: m.uint(install::TIME)?,
            admin_node_id: m.opt_uint(install::ADMIN_NODE_ID)?,
        })
    }

    fn limits() -> Limits {
        INSTALL_HOME_LIMITS
    }
}

impl Typed for InstallHome {
    const TYPE: MessageType = MessageType::INSTALL_HOME;
}

/// The outcome of commissioning `[COMM-15]`: `success` from the device as the last message,
/// or the reason a side gave up (either side, at any point).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CommissioningComplete {
    /// `success`, or why the sender ended commissioning.
    pub status: Status,
}

const COMPLETE_STATUS: u64 = 1;

impl CborMessage for CommissioningComplete {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(KEY_TYPE, MessageType::COMMISSIONING_COMPLETE.0)
            .put(COMPLETE_STATUS, self.status.0)
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = open(value, MessageType::COMMISSIONING_COMPLETE)?;
        Ok(CommissioningComplete {
            status: Status(m.uint_as(COMPLETE_STATUS)?),
        })
    }

    fn limits() -> Limits {
        COMMISSIONING_COMPLETE_LIMITS
    }
}

impl Typed for CommissioningComplete {
    const TYPE: MessageType = MessageType::COMMISSIONING_COMPLETE;
}

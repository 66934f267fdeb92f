//! The handshake messages (`[SESS-3]`); the plaintexts of their encrypted parts are in
//! `payloads.rs`.
//!
//! Every message is a CBOR map with small unsigned keys; key 0 carries the message type so a
//! state can tell a Sigma2 from a Sigma2Resume or a status message `[SESS-4]`.

use super::SessionId;
use crate::codec::{
    decode_value, encode_value, CborMessage, CodecError, Limits, MapBuilder, MapReader, Value,
};
use crate::status::Status;
use crate::version::{ProtocolVersion, VersionRange};

/// Length of handshake randoms, destination identifiers, ephemeral keys and MACs.
pub(crate) const LEN_32: usize = 32;
/// Length of a resumption ticket identifier.
pub const TICKET_ID_LEN: usize = 16;

/// A resumption ticket identifier, chosen at random by the responder `[SESS-21]`.
pub type TicketId = [u8; TICKET_ID_LEN];

/// Limits for every handshake message and encrypted payload `[SESS-35]`.
pub const SESSION_LIMITS: Limits = Limits {
    max_message: 1280,
    max_depth: 2,
    max_collection: 16,
    max_string: 1024,
    max_items: 48,
};

/// A handshake message type `[SESS-4]`. Unknown values survive decoding (`[CBOR-9]`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct MessageType(pub u64);

impl MessageType {
    /// Initiator's first message.
    pub const SIGMA1: MessageType = MessageType(1);
    /// Responder's reply in a full handshake.
    pub const SIGMA2: MessageType = MessageType(2);
    /// Initiator's second message in a full handshake.
    pub const SIGMA3: MessageType = MessageType(3);
    /// Responder's reply when it accepts a resumption.
    pub const SIGMA2_RESUME: MessageType = MessageType(4);
    /// A status message ending the handshake `[SESS-36]`.
    pub const STATUS: MessageType = MessageType(5);
}

impl std::fmt::Display for MessageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match *self {
            MessageType::SIGMA1 => "sigma1",
            MessageType::SIGMA2 => "sigma2",
            MessageType::SIGMA3 => "sigma3",
            MessageType::SIGMA2_RESUME => "sigma2-resume",
            MessageType::STATUS => "session-status",
            MessageType(n) => return write!(f, "unknown({n})"),
        };
        f.write_str(name)
    }
}

/// Map key of the message type in every handshake message.
const KEY_TYPE: u64 = 0;

/// Decodes one handshake message into its type and CBOR value (the value is kept so the
/// receiver can compute the message's truncation for the transcript `[SESS-16]`).
pub(crate) fn parse(bytes: &[u8]) -> Result<(MessageType, Value), CodecError> {
    let value = decode_value(bytes, &SESSION_LIMITS)?;
    let ty = message_type(&value)?;
    Ok((ty, value))
}

/// The message type of a decoded handshake message.
fn message_type(value: &Value) -> Result<MessageType, CodecError> {
    let Value::Map(entries) = value else {
        return Err(CodecError::WrongShape { expected: "map" });
    };
    for (k, v) in entries {
        if matches!(k, Value::Integer(i) if u64::try_from(*i) == Ok(KEY_TYPE)) {
            // [CBOR-9] any unsigned value is a message type; unknown ones are handled by the state.
            return crate::codec::value_uint(v.clone(), KEY_TYPE).map(MessageType);
        }
    }
    Err(CodecError::MissingField { key: KEY_TYPE })
}

/// The encoding of `value` (a message map) with the entry `key` removed: the part of a
/// message its own authenticator covers `[SESS-16]`. The profile makes decoding then encoding
/// exact, so this equals the sender's encoding of the message without that entry.
pub(crate) fn truncated(value: &Value, key: u64) -> Vec<u8> {
    let mut out = Vec::new();
    match value {
        Value::Map(entries) => {
            let kept: Vec<(Value, Value)> = entries
                .iter()
                .filter(|(k, _)| !matches!(k, Value::Integer(i) if u64::try_from(*i) == Ok(key)))
                .cloned()
                .collect();
            encode_value(&Value::Map(kept), &mut out);
        }
        other => encode_value(other, &mut out),
    }
    out
}

/// Opens a message map and checks that its type is `expected`.
fn open(value: Value, expected: MessageType) -> Result<MapReader, CodecError> {
    let ty = message_type(&value)?;
    if ty != expected {
        return Err(CodecError::OutOfRange { key: KEY_TYPE });
    }
    let mut m = MapReader::new(value)?;
    m.take(KEY_TYPE);
    Ok(m)
}

fn version_from(v: u64, key: u64) -> Result<ProtocolVersion, CodecError> {
    u16::try_from(v)
        .map(ProtocolVersion)
        .map_err(|_| CodecError::OutOfRange { key })
}

/// The resumption request an initiator may add to Sigma1 `[SESS-24]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ResumeRequest {
    /// The ticket being redeemed.
    pub ticket_id: TicketId,
    /// HMAC proving possession of the ticket's resumption secret.
    pub mac: [u8; LEN_32],
}

/// The initiator's first message `[SESS-5]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Sigma1 {
    /// Fresh randomness of the initiator.
    pub initiator_random: [u8; LEN_32],
    /// The session identifier the initiator will receive on `[SESS-8]`.
    pub initiator_session_id: SessionId,
    /// Names the home and node the initiator wants, without revealing them `[SESS-14]`.
    pub destination_id: [u8; LEN_32],
    /// The initiator's ephemeral X25519 public key.
    pub initiator_eph: [u8; LEN_32],
    /// The versions the initiator speaks `[VER-1]`.
    pub versions: VersionRange,
    /// A resumption attempt, if the initiator holds a ticket.
    pub resume: Option<ResumeRequest>,
}

mod s1 {
    pub(super) const RANDOM: u64 = 1;
    pub(super) const SESSION_ID: u64 = 2;
    pub(super) const DESTINATION: u64 = 3;
    pub(super) const EPH: u64 = 4;
    pub(super) const VERSIONS: u64 = 5;
    pub(super) const TICKET_ID: u64 = 6;
    pub(super) const RESUME_MAC: u64 = 7;
}

/// Map key of the resume MAC in Sigma1 (the entry its truncation leaves out).
pub(crate) const SIGMA1_RESUME_MAC_KEY: u64 = s1::RESUME_MAC;

impl CborMessage for Sigma1 {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(KEY_TYPE, MessageType::SIGMA1.0)
            .bytes(s1::RANDOM, &self.initiator_random)
            .put(s1::SESSION_ID, self.initiator_session_id.0)
            .bytes(s1::DESTINATION, &self.destination_id)
            .bytes(s1::EPH, &self.initiator_eph)
            .put(s1::VERSIONS, self.versions.to_value())
            .opt(
                s1::TICKET_ID,
                self.resume.map(|r| Value::Bytes(r.ticket_id.to_vec())),
            )
            .opt(
                s1::RESUME_MAC,
                self.resume.map(|r| Value::Bytes(r.mac.to_vec())),
            )
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = open(value, MessageType::SIGMA1)?;
        let initiator_random = m.array(s1::RANDOM)?;
        let initiator_session_id = SessionId(m.uint_as(s1::SESSION_ID)?);
        let destination_id = m.array(s1::DESTINATION)?;
        let initiator_eph = m.array(s1::EPH)?;
        let versions = VersionRange::from_value(m.required(s1::VERSIONS)?)?;
        let ticket_id = m.opt_array(s1::TICKET_ID)?;
        let mac = m.opt_array(s1::RESUME_MAC)?;
        // [SESS-24] the ticket identifier and the MAC come together or not at all.
        let resume = match (ticket_id, mac) {
            (Some(ticket_id), Some(mac)) => Some(ResumeRequest { ticket_id, mac }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(CodecError::MissingField {
                    key: s1::RESUME_MAC,
                })
            }
            (None, Some(_)) => return Err(CodecError::MissingField { key: s1::TICKET_ID }),
        };
        Ok(Sigma1 {
            initiator_random,
            initiator_session_id,
            destination_id,
            initiator_eph,
            versions,
            resume,
        })
    }

    fn limits() -> Limits {
        SESSION_LIMITS
    }
}

/// The responder's reply: `Sigma2` in a full handshake `[SESS-6]`, `Sigma2Resume` when it
/// accepts a resumption `[SESS-26]`. Both have the same fields and differ in type and in how
/// the encrypted part is keyed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Sigma2 {
    /// Fresh randomness of the responder.
    pub responder_random: [u8; LEN_32],
    /// The session identifier the responder will receive on `[SESS-8]`.
    pub responder_session_id: SessionId,
    /// The responder's ephemeral X25519 public key.
    pub responder_eph: [u8; LEN_32],
    /// The version the responder chose `[VER-2]`.
    pub version: ProtocolVersion,
    /// The versions the responder speaks, so the initiator can redo the choice `[VER-4]`.
    pub responder_versions: VersionRange,
    /// The encrypted payload: a [`super::Sigma2Payload`] or a [`super::Sigma2ResumePayload`].
    pub encrypted: Vec<u8>,
}

mod s2 {
    pub(super) const RANDOM: u64 = 1;
    pub(super) const SESSION_ID: u64 = 2;
    pub(super) const EPH: u64 = 3;
    pub(super) const VERSION: u64 = 4;
    pub(super) const VERSIONS: u64 = 5;
    pub(super) const ENCRYPTED: u64 = 6;
}

/// Map key of the encrypted part in Sigma2 and Sigma2Resume.
pub(crate) const SIGMA2_ENCRYPTED_KEY: u64 = s2::ENCRYPTED;

impl Sigma2 {
    /// The message as a CBOR map of type `ty` (Sigma2 or Sigma2Resume).
    pub(crate) fn to_value_as(&self, ty: MessageType) -> Value {
        MapBuilder::new()
            .put(KEY_TYPE, ty.0)
            .bytes(s2::RANDOM, &self.responder_random)
            .put(s2::SESSION_ID, self.responder_session_id.0)
            .bytes(s2::EPH, &self.responder_eph)
            .put(s2::VERSION, self.version.0)
            .put(s2::VERSIONS, self.responder_versions.to_value())
            .bytes(s2::ENCRYPTED, &self.encrypted)
            .build()
    }

    /// Reads a Sigma2 or Sigma2Resume (as `ty` says) from a decoded value.
    pub(crate) fn from_value_as(value: Value, ty: MessageType) -> Result<Self, CodecError> {
        let mut m = open(value, ty)?;
        Ok(Sigma2 {
            responder_random: m.array(s2::RANDOM)?,
            responder_session_id: SessionId(m.uint_as(s2::SESSION_ID)?),
            responder_eph: m.array(s2::EPH)?,
            version: version_from(m.uint(s2::VERSION)?, s2::VERSION)?,
            responder_versions: VersionRange::from_value(m.required(s2::VERSIONS)?)?,
            encrypted: m.bytes(s2::ENCRYPTED)?,
        })
    }
}

/// Sigma2 of a full handshake, as a [`CborMessage`].
impl CborMessage for Sigma2 {
    fn to_value(&self) -> Value {
        self.to_value_as(MessageType::SIGMA2)
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        Self::from_value_as(value, MessageType::SIGMA2)
    }

    fn limits() -> Limits {
        SESSION_LIMITS
    }
}

/// The responder's reply accepting a resumption `[SESS-26]` (same fields as [`Sigma2`]).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Sigma2Resume(pub Sigma2);

impl CborMessage for Sigma2Resume {
    fn to_value(&self) -> Value {
        self.0.to_value_as(MessageType::SIGMA2_RESUME)
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        Sigma2::from_value_as(value, MessageType::SIGMA2_RESUME).map(Sigma2Resume)
    }

    fn limits() -> Limits {
        SESSION_LIMITS
    }
}

/// The initiator's second message in a full handshake `[SESS-13]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Sigma3 {
    /// The encrypted [`super::Sigma3Payload`].
    pub encrypted: Vec<u8>,
}

const S3_ENCRYPTED: u64 = 1;

impl CborMessage for Sigma3 {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(KEY_TYPE, MessageType::SIGMA3.0)
            .bytes(S3_ENCRYPTED, &self.encrypted)
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = open(value, MessageType::SIGMA3)?;
        Ok(Sigma3 {
            encrypted: m.bytes(S3_ENCRYPTED)?,
        })
    }

    fn limits() -> Limits {
        SESSION_LIMITS
    }
}

/// A status message that ends a handshake `[SESS-36]`. It is not authenticated `[SESS-37]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SessionStatus {
    /// Why the sender ended the handshake.
    pub status: Status,
}

const STATUS_CODE: u64 = 1;

impl CborMessage for SessionStatus {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(KEY_TYPE, MessageType::STATUS.0)
            .put(STATUS_CODE, self.status.0)
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = open(value, MessageType::STATUS)?;
        Ok(SessionStatus {
            status: Status(m.uint_as(STATUS_CODE)?),
        })
    }

    fn limits() -> Limits {
        SESSION_LIMITS
    }
}

//! The pairing messages `[PAIR-2]`: CBOR maps with small unsigned keys, key 0 carrying the
//! message type so a state can tell what arrived.

use super::params::PbkdfParams;
use crate::codec::{
    decode_value, value_uint, CborMessage, CodecError, Limits, MapBuilder, MapReader, Value,
};
use crate::spake2plus::{CONFIRM_LEN, POINT_LEN};
use crate::status::Status;
use crate::version::{ProtocolVersion, VersionRange};

/// Length of the controller's and the device's handshake randoms.
pub const RANDOM_LEN: usize = 32;

/// `[PAIR-3]` limits for every pairing message.
pub const PAIRING_LIMITS: Limits = Limits {
    max_message: 256,
    max_depth: 2,
    max_collection: 16,
    max_string: 128,
    max_items: 48,
};

/// A pairing message type `[PAIR-2]`. Unknown values survive decoding (`[CBOR-9]`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct MessageType(pub u64);

impl MessageType {
    /// Controller → device: [`PbkdfParamRequest`].
    pub const PBKDF_PARAM_REQUEST: MessageType = MessageType(1);
    /// Device → controller: [`PbkdfParamResponse`].
    pub const PBKDF_PARAM_RESPONSE: MessageType = MessageType(2);
    /// Controller → device: [`Pake1`].
    pub const PAKE1: MessageType = MessageType(3);
    /// Device → controller: [`Pake2`].
    pub const PAKE2: MessageType = MessageType(4);
    /// Controller → device: [`Pake3`].
    pub const PAKE3: MessageType = MessageType(5);
    /// Either direction: [`PairingStatus`], ending the handshake `[PAIR-22]`.
    pub const STATUS: MessageType = MessageType(6);
}

impl std::fmt::Display for MessageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match *self {
            MessageType::PBKDF_PARAM_REQUEST => "pbkdf-param-request",
            MessageType::PBKDF_PARAM_RESPONSE => "pbkdf-param-response",
            MessageType::PAKE1 => "pake1",
            MessageType::PAKE2 => "pake2",
            MessageType::PAKE3 => "pake3",
            MessageType::STATUS => "pairing-status",
            MessageType(n) => return write!(f, "unknown({n})"),
        };
        f.write_str(name)
    }
}

/// Map key of the message type in every pairing message.
const KEY_TYPE: u64 = 0;

/// Decodes one pairing message far enough to know its type `[PAIR-2]` `[PAIR-3]`.
pub(crate) fn parse(bytes: &[u8]) -> Result<(MessageType, Value), CodecError> {
    let value = decode_value(bytes, &PAIRING_LIMITS)?;
    let ty = message_type(&value)?;
    Ok((ty, value))
}

fn message_type(value: &Value) -> Result<MessageType, CodecError> {
    let Value::Map(entries) = value else {
        return Err(CodecError::WrongShape { expected: "map" });
    };
    let (_, v) = entries
        .iter()
        .find(|(k, _)| matches!(k, Value::Integer(i) if u64::try_from(*i) == Ok(KEY_TYPE)))
        .ok_or(CodecError::MissingField { key: KEY_TYPE })?;
    // [CBOR-9] any unsigned value is a message type; unknown ones are handled by the state.
    value_uint(v.clone(), KEY_TYPE).map(MessageType)
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

/// The controller's first message `[PAIR-4]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PbkdfParamRequest {
    /// Fresh randomness of the controller.
    pub controller_random: [u8; RANDOM_LEN],
    /// The session identifier the controller will receive on `[PAIR-21]`.
    pub controller_session_id: u32,
    /// The versions the controller speaks `[VER-1]`.
    pub versions: VersionRange,
    /// Whether the controller already holds the device's PBKDF parameters, so the device
    /// leaves them out of its response `[PAIR-5]`.
    pub has_pbkdf_params: bool,
}

mod req {
    pub(super) const RANDOM: u64 = 1;
    pub(super) const SESSION_ID: u64 = 2;
    pub(super) const VERSIONS: u64 = 3;
    pub(super) const HAS_PARAMS: u64 = 4;
}

impl CborMessage for PbkdfParamRequest {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(KEY_TYPE, MessageType::PBKDF_PARAM_REQUEST.0)
            .bytes(req::RANDOM, &self.controller_random)
            .put(req::SESSION_ID, self.controller_session_id)
            .put(req::VERSIONS, self.versions.to_value())
            .put(req::HAS_PARAMS, self.has_pbkdf_params)
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = open(value, MessageType::PBKDF_PARAM_REQUEST)?;
        Ok(PbkdfParamRequest {
            controller_random: m.array(req::RANDOM)?,
            controller_session_id: m.uint_as(req::SESSION_ID)?,
            versions: VersionRange::from_value(m.required(req::VERSIONS)?)?,
            has_pbkdf_params: m.boolean(req::HAS_PARAMS)?,
        })
    }

    fn limits() -> Limits {
        PAIRING_LIMITS
    }
}

/// The device's answer to [`PbkdfParamRequest`] `[PAIR-5]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PbkdfParamResponse {
    /// The controller's random, echoed.
    pub controller_random: [u8; RANDOM_LEN],
    /// Fresh randomness of the device.
    pub device_random: [u8; RANDOM_LEN],
    /// The session identifier the device will receive on `[PAIR-21]`.
    pub device_session_id: u32,
    /// The version the device chose `[VER-2]`.
    pub version: ProtocolVersion,
    /// The versions the device speaks, so the controller can redo the choice `[PAIR-9]`.
    pub device_versions: VersionRange,
    /// The PBKDF2 parameters of the device's verifier; absent when the request said the
    /// controller has them. Decoding does not check their bounds: the controller does, with
    /// a typed error `[PAIR-6]`.
    pub pbkdf: Option<PbkdfParams>,
}

mod resp {
    pub(super) const CONTROLLER_RANDOM: u64 = 1;
    pub(super) const DEVICE_RANDOM: u64 = 2;
    pub(super) const SESSION_ID: u64 = 3;
    pub(super) const VERSION: u64 = 4;
    pub(super) const VERSIONS: u64 = 5;
    pub(super) const ITERATIONS: u64 = 6;
    pub(super) const SALT: u64 = 7;
}

impl CborMessage for PbkdfParamResponse {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(KEY_TYPE, MessageType::PBKDF_PARAM_RESPONSE.0)
            .bytes(resp::CONTROLLER_RANDOM, &self.controller_random)
            .bytes(resp::DEVICE_RANDOM, &self.device_random)
            .put(resp::SESSION_ID, self.device_session_id)
            .put(resp::VERSION, self.version.0)
            .put(resp::VERSIONS, self.device_versions.to_value())
            .opt(resp::ITERATIONS, self.pbkdf.as_ref().map(|p| p.iterations))
            .opt(
                resp::SALT,
                self.pbkdf.as_ref().map(|p| Value::Bytes(p.salt.clone())),
            )
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = open(value, MessageType::PBKDF_PARAM_RESPONSE)?;
        let controller_random = m.array(resp::CONTROLLER_RANDOM)?;
        let device_random = m.array(resp::DEVICE_RANDOM)?;
        let device_session_id = m.uint_as(resp::SESSION_ID)?;
        let version = ProtocolVersion(m.uint_as(resp::VERSION)?);
        let device_versions = VersionRange::from_value(m.required(resp::VERSIONS)?)?;
        let iterations = m
            .opt_uint(resp::ITERATIONS)?
            .map(|i| {
                u32::try_from(i).map_err(|_| CodecError::OutOfRange {
                    key: resp::ITERATIONS,
                })
            })
            .transpose()?;
        let salt = m.opt_bytes(resp::SALT)?;
        // [PAIR-5] the iteration count and the salt come together or not at all.
        let pbkdf = match (iterations, salt) {
            (Some(iterations), Some(salt)) => Some(PbkdfParams { iterations, salt }),
            (None, None) => None,
            (Some(_), None) => return Err(CodecError::MissingField { key: resp::SALT }),
            (None, Some(_)) => {
                return Err(CodecError::MissingField {
                    key: resp::ITERATIONS,
                })
            }
        };
        Ok(PbkdfParamResponse {
            controller_random,
            device_random,
            device_session_id,
            version,
            device_versions,
            pbkdf,
        })
    }

    fn limits() -> Limits {
        PAIRING_LIMITS
    }
}

/// The controller's SPAKE2+ share `[PAIR-16]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Pake1 {
    /// `shareP = X`, uncompressed SEC1 (validated by the device, not by the decoder, so an
    /// invalid point gets its own error `[PAIR-14]`).
    pub share_p: [u8; POINT_LEN],
}

const PAKE1_SHARE: u64 = 1;

impl CborMessage for Pake1 {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(KEY_TYPE, MessageType::PAKE1.0)
            .bytes(PAKE1_SHARE, &self.share_p)
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = open(value, MessageType::PAKE1)?;
        Ok(Pake1 {
            share_p: m.array(PAKE1_SHARE)?,
        })
    }

    fn limits() -> Limits {
        PAIRING_LIMITS
    }
}

/// The device's SPAKE2+ share and key confirmation `[PAIR-16]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Pake2 {
    /// `shareV = Y`, uncompressed SEC1.
    pub share_v: [u8; POINT_LEN],
    /// `confirmV = HMAC(K_confirmV, shareP)`.
    pub confirm_v: [u8; CONFIRM_LEN],
}

mod pake2 {
    pub(super) const SHARE: u64 = 1;
    pub(super) const CONFIRM: u64 = 2;
}

impl CborMessage for Pake2 {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(KEY_TYPE, MessageType::PAKE2.0)
            .bytes(pake2::SHARE, &self.share_v)
            .bytes(pake2::CONFIRM, &self.confirm_v)
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = open(value, MessageType::PAKE2)?;
        Ok(Pake2 {
            share_v: m.array(pake2::SHARE)?,
            confirm_v: m.array(pake2::CONFIRM)?,
        })
    }

    fn limits() -> Limits {
        PAIRING_LIMITS
    }
}

/// The controller's key confirmation `[PAIR-16]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Pake3 {
    /// `confirmP = HMAC(K_confirmP, shareV)`.
    pub confirm_p: [u8; CONFIRM_LEN],
}

const PAKE3_CONFIRM: u64 = 1;

impl CborMessage for Pake3 {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(KEY_TYPE, MessageType::PAKE3.0)
            .bytes(PAKE3_CONFIRM, &self.confirm_p)
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = open(value, MessageType::PAKE3)?;
        Ok(Pake3 {
            confirm_p: m.array(PAKE3_CONFIRM)?,
        })
    }

    fn limits() -> Limits {
        PAIRING_LIMITS
    }
}

/// Ends a pairing handshake with a status code `[PAIR-22]`. Not authenticated; it carries
/// the code and, for a device's `busy` or `pairing-backoff`, when to retry, and nothing else
/// `[STATUS-3]` `[PAIR-35]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PairingStatus {
    /// Why the sender ended the handshake.
    pub status: Status,
    /// `[PAIR-35]` seconds (`1..=3600`) until the refusal's cause ends: only with `busy` or
    /// `pairing-backoff` from a device.
    pub retry_after: Option<u32>,
}

impl PairingStatus {
    /// A status without a retry-after.
    pub fn new(status: Status) -> Self {
        PairingStatus {
            status,
            retry_after: None,
        }
    }
}

const STATUS_CODE: u64 = 1;
const STATUS_RETRY_AFTER: u64 = 2;

impl CborMessage for PairingStatus {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .put(KEY_TYPE, MessageType::STATUS.0)
            .put(STATUS_CODE, self.status.0)
            .opt(STATUS_RETRY_AFTER, self.retry_after)
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = open(value, MessageType::STATUS)?;
        let status = Status(m.uint_as(STATUS_CODE)?);
        // [PAIR-35] 1..=3600 seconds, as the CDDL says.
        let retry_after = match m.opt_uint(STATUS_RETRY_AFTER)? {
            None => None,
            Some(s) if (1..=u64::from(super::window::MAX_RETRY_AFTER_SECS)).contains(&s) => {
                u32::try_from(s).ok()
            }
            Some(_) => {
                return Err(CodecError::OutOfRange {
                    key: STATUS_RETRY_AFTER,
                })
            }
        };
        Ok(PairingStatus {
            status,
            retry_after,
        })
    }

    fn limits() -> Limits {
        PAIRING_LIMITS
    }
}

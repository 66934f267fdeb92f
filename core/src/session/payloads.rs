//! The plaintexts of the handshake's encrypted parts `[SESS-18]`: CBOR maps like the
//! messages, sealed with ChaCha20-Poly1305 under the keys of the key schedule.

use super::messages::{TicketId, SESSION_LIMITS};
use crate::codec::{CborMessage, CodecError, Limits, MapBuilder, MapReader, Value};

/// The plaintext of Sigma2's encrypted part `[SESS-18]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Sigma2Payload {
    /// The responder's operational certificate (encoded, as in `[CERT-1]`).
    pub certificate: Vec<u8>,
    /// The responder's signature `[SESS-19]`.
    pub signature: [u8; 64],
    /// The ticket identifier for a later resumption, if the responder issues one `[SESS-21]`.
    pub ticket_id: Option<TicketId>,
}

mod p2 {
    pub(super) const CERT: u64 = 1;
    pub(super) const SIGNATURE: u64 = 2;
    pub(super) const TICKET_ID: u64 = 3;
}

impl CborMessage for Sigma2Payload {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .bytes(p2::CERT, &self.certificate)
            .bytes(p2::SIGNATURE, &self.signature)
            .opt(
                p2::TICKET_ID,
                self.ticket_id.map(|t| Value::Bytes(t.to_vec())),
            )
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(value)?;
        Ok(Sigma2Payload {
            certificate: m.bytes(p2::CERT)?,
            signature: m.array(p2::SIGNATURE)?,
            ticket_id: m.opt_array(p2::TICKET_ID)?,
        })
    }

    fn limits() -> Limits {
        SESSION_LIMITS
    }
}

/// The plaintext of Sigma3's encrypted part `[SESS-18]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Sigma3Payload {
    /// The initiator's operational certificate.
    pub certificate: Vec<u8>,
    /// The initiator's signature `[SESS-19]`.
    pub signature: [u8; 64],
}

impl CborMessage for Sigma3Payload {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .bytes(p2::CERT, &self.certificate)
            .bytes(p2::SIGNATURE, &self.signature)
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(value)?;
        Ok(Sigma3Payload {
            certificate: m.bytes(p2::CERT)?,
            signature: m.array(p2::SIGNATURE)?,
        })
    }

    fn limits() -> Limits {
        SESSION_LIMITS
    }
}

/// The plaintext of Sigma2Resume's encrypted part `[SESS-26]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Sigma2ResumePayload {
    /// The next ticket's identifier, if the responder issues one.
    pub ticket_id: Option<TicketId>,
}

const RP_TICKET_ID: u64 = 1;

impl CborMessage for Sigma2ResumePayload {
    fn to_value(&self) -> Value {
        MapBuilder::new()
            .opt(
                RP_TICKET_ID,
                self.ticket_id.map(|t| Value::Bytes(t.to_vec())),
            )
            .build()
    }

    fn from_value(value: Value) -> Result<Self, CodecError> {
        let mut m = MapReader::new(value)?;
        Ok(Sigma2ResumePayload {
            ticket_id: m.opt_array(RP_TICKET_ID)?,
        })
    }

    fn limits() -> Limits {
        SESSION_LIMITS
    }
}

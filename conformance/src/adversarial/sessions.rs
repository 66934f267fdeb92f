//! SIGMA handshakes an honest initiator never runs: rewritten `sigma1` fields, messages out of
//! order or replayed from another handshake, certificates of another home, expired or signed
//! by another authority. Built from orbit-core's public `Initiator` and message types; the
//! suite's honest controller ([`crate::controller::Session`]) is not changed by any of it.

use crate::case::Failure;
use crate::controller::Ex;
use crate::transport::{MessageKind, TransportError};
use orbit_core::cert::{
    Certificate, HomeMembership, KeyId, NodeId, NodeRole, TbsCertificate, Validity,
};
use orbit_core::codec::{CborMessage, Value};
use orbit_core::crypto::sign::SigningKey;
use orbit_core::crypto::Random;
use orbit_core::session::{
    Established, ExpectSigma2, Initiator, Now, SessionId, SessionStatus, Ticket,
};
use orbit_core::status::Status;
use orbit_core::version::VersionRange;
use std::time::Instant;

/// The session message types of `[SESS-2]`'s table.
pub mod types {
    /// `sigma1`
    pub const SIGMA1: u64 = 1;
    /// `sigma2`
    pub const SIGMA2: u64 = 2;
    /// `sigma3`
    pub const SIGMA3: u64 = 3;
    /// `sigma2-resume`
    pub const SIGMA2_RESUME: u64 = 4;
    /// `session-status`
    pub const STATUS: u64 = 5;
}

/// What the device sent back on a handshake exchange.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// A session message other than `session-status`, with its type (key 0) when it has one.
    Message {
        /// Key 0 of the map, if the bytes are a map with an unsigned key 0.
        ty: Option<u64>,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A `session-status` with this code.
    Status(Status),
    /// A message of another family.
    OtherKind(MessageKind),
    /// The device ended its half of the exchange without a frame (on QUIC, acceptance of a
    /// last handshake message, `[QUIC-21]`).
    Ended,
    /// The device reset the exchange with this code.
    Reset(u64),
}

impl Answer {
    /// One line for a failure's "observed".
    pub fn describe(&self) -> String {
        match self {
            Answer::Message { ty: Some(t), .. } => format!("a session message of type {t}"),
            Answer::Message { ty: None, .. } => "a session message without a type".to_owned(),
            Answer::Status(s) => format!("session-status {s}"),
            Answer::OtherKind(k) => format!("a {k} message"),
            Answer::Ended => {
                "the exchange ended without a frame (acceptance, [QUIC-21])".to_owned()
            }
            Answer::Reset(c) => format!("the exchange was reset with code {c:#x}"),
        }
    }

    /// Whether this is a session message of type `ty`.
    pub fn is(&self, ty: u64) -> bool {
        matches!(self, Answer::Message { ty: Some(t), .. } if *t == ty)
    }
}

/// Key 0 of a CBOR map (the message type of every handshake message).
pub fn message_type(bytes: &[u8]) -> Option<u64> {
    let value: Value = ciborium::de::from_reader(bytes).ok()?;
    let Value::Map(entries) = value else {
        return None;
    };
    entries.into_iter().find_map(|(k, v)| match (k, v) {
        (Value::Integer(k), Value::Integer(v)) if i128::from(k) == 0 => u64::try_from(v).ok(),
        _ => None,
    })
}

/// The device's next message on `ex`, classified. A timeout or a closed connection is the
/// transport's error (the case decides whose fault it is).
pub async fn answer(ex: &mut Ex) -> Result<Answer, TransportError> {
    match ex.recv().await {
        Ok(Some(m)) if m.kind == MessageKind::Session => {
            let ty = message_type(&m.payload);
            if ty == Some(types::STATUS) {
                if let Ok(s) = SessionStatus::decode(&m.payload) {
                    return Ok(Answer::Status(s.status));
                }
            }
            Ok(Answer::Message {
                ty,
                bytes: m.payload,
            })
        }
        Ok(Some(m)) => Ok(Answer::OtherKind(m.kind)),
        Ok(None) => Ok(Answer::Ended),
        Err(TransportError::Reset(code)) => Ok(Answer::Reset(code)),
        Err(e) => Err(e),
    }
}

fn now() -> Now {
    Now::new(Instant::now(), crate::unix_now())
}

fn session_id(rng: &mut (dyn Random + Send)) -> SessionId {
    let mut b = [0u8; 4];
    let _ = rng.fill(&mut b);
    SessionId(u32::from_be_bytes(b).max(1))
}

/// A `sigma1` as `membership` for the device `peer`, offering `versions` (and `ticket`), and
/// the initiator's state waiting for the answer.
pub fn sigma1(
    membership: &HomeMembership,
    peer: NodeId,
    versions: VersionRange,
    ticket: Option<Ticket>,
    rng: &mut (dyn Random + Send),
) -> Result<(ExpectSigma2, Vec<u8>), Failure> {
    let mut out = Vec::new();
    let state = Initiator {
        membership,
        peer_node_id: peer,
        versions,
        local_session_id: session_id(rng),
        ticket,
    }
    .start(rng, now(), &mut out)
    .map_err(|e| Failure::Inconclusive(format!("the suite could not build sigma1: {e}")))?;
    Ok((state, out))
}

/// `message` (a CBOR map) with the value of `key` replaced by `value`, re-encoded in the same
/// key order (so still deterministic, [CBOR-1]); `None` if it is not a map holding `key`.
pub fn with_field(message: &[u8], key: u64, value: Value) -> Option<Vec<u8>> {
    let Value::Map(mut entries) = ciborium::de::from_reader::<Value, _>(message).ok()? else {
        return None;
    };
    let slot = entries
        .iter_mut()
        .find(|(k, _)| matches!(k, Value::Integer(i) if i128::from(*i) == i128::from(key)))?;
    slot.1 = value;
    let mut out = Vec::new();
    ciborium::ser::into_writer(&Value::Map(entries), &mut out).ok()?;
    Some(out)
}

/// A handshake message of type `ty` whose other fields are `fields` (in ascending key order).
pub fn message(ty: u64, fields: Vec<(u64, Value)>) -> Vec<u8> {
    let mut entries = vec![(Value::from(0u64), Value::from(ty))];
    entries.extend(fields.into_iter().map(|(k, v)| (Value::from(k), v)));
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ciborium::ser::into_writer(&Value::Map(entries), &mut out);
    out
}

/// The messages of one full handshake the suite drove itself, and what it established.
#[derive(Debug)]
pub struct Driven {
    /// `sigma1` as sent.
    pub sigma1: Vec<u8>,
    /// `sigma2` as received.
    pub sigma2: Vec<u8>,
    /// `sigma3` as sent.
    pub sigma3: Vec<u8>,
    /// The initiator's side of the session.
    pub established: Established,
}

/// Runs a full handshake as `membership` on `ex` up to sending `sigma3` and finishing this
/// side; the device's end of the exchange (acceptance or a status) is left for the caller to
/// read. A device that does not get this far with an honest initiator makes the case
/// INCONCLUSIVE (`sessions.establish` judges that).
pub async fn drive(
    ex: &mut Ex,
    membership: &HomeMembership,
    peer: NodeId,
    versions: VersionRange,
    rng: &mut (dyn Random + Send),
) -> Result<Driven, Failure> {
    let (state, sigma1) = sigma1(membership, peer, versions, None, rng)?;
    ex.send(MessageKind::Session, "sigma1", &sigma1).await?;
    let sigma2 = match answer(ex).await? {
        Answer::Message { ty: Some(2), bytes } => bytes,
        other => {
            return Err(Failure::Inconclusive(format!(
                "an honest sigma1 got {} instead of sigma2",
                other.describe()
            )))
        }
    };
    let mut sigma3 = Vec::new();
    let established = state
        .handle(membership, &sigma2, now(), &mut sigma3)
        .map_err(|e| Failure::Inconclusive(format!("the device's sigma2 was rejected: {e}")))?;
    ex.send(MessageKind::Session, "sigma3", &sigma3).await?;
    ex.finish();
    Ok(Driven {
        sigma1,
        sigma2,
        sigma3,
        established,
    })
}

/// A copy of `ticket`, to offer it twice (an honest initiator never does, `[SESS-24]`).
pub fn copy_ticket(ticket: &Ticket) -> Ticket {
    Ticket::from_parts(
        ticket.id,
        *ticket.secret(),
        ticket.home_id,
        ticket.peer.clone(),
        ticket.expires_unix,
        ticket.hard_limit_unix,
    )
}

/// `member` presented with `home`'s root (so the destination identifier names the device's
/// home) but its own certificate and key: a member of one home posing in another.
pub fn posing_in(home: &HomeMembership, member: &HomeMembership) -> HomeMembership {
    HomeMembership {
        root: home.root.clone(),
        cert: member.cert.clone(),
        key: member.key.clone(),
    }
}

/// A membership of `home` whose certificate (node `node_id`, validity `validity`) is signed
/// by `signer`: with `signer` = the home's root key it is a genuine certificate (for example
/// an expired one); with any other key it is a forgery that claims the home.
pub fn member_signed_by(
    home: &HomeMembership,
    signer: &SigningKey,
    node_id: NodeId,
    validity: Validity,
    rng: &mut (dyn Random + Send),
) -> Result<HomeMembership, Failure> {
    member_certified(home, signer, node_id, validity, |_| {}, rng)
}

/// As [`member_signed_by`], with `edit` applied to the certificate's content before it is
/// signed (another kind, a field left out).
pub fn member_certified(
    home: &HomeMembership,
    signer: &SigningKey,
    node_id: NodeId,
    validity: Validity,
    edit: impl FnOnce(&mut TbsCertificate),
    rng: &mut (dyn Random + Send),
) -> Result<HomeMembership, Failure> {
    let key = SigningKey::generate(rng)
        .map_err(|e| Failure::Inconclusive(format!("generating a key: {e}")))?;
    let mut tbs = TbsCertificate {
        kind: orbit_core::cert::CertKind::OPERATIONAL,
        serial: 0x7fff_0000 + node_id,
        subject_key: key.public_key(),
        issuer: KeyId::of(home.root.public_key()),
        validity,
        home_id: Some(home.home_id()),
        node_id: Some(node_id),
        role: Some(NodeRole::CONTROLLER),
        vendor_id: None,
        product_id: None,
    };
    edit(&mut tbs);
    Ok(HomeMembership {
        root: home.root.clone(),
        cert: Certificate::sign(tbs, signer),
        key,
    })
}

/// A ticket the device never issued, for `peer` in `home`: a random identifier and secret.
pub fn unknown_ticket(
    home: orbit_core::cert::HomeId,
    peer: orbit_core::cert::OperationalPeer,
    rng: &mut (dyn Random + Send),
) -> Ticket {
    let mut id = [0u8; orbit_core::session::TICKET_ID_LEN];
    let _ = rng.fill(&mut id);
    let mut secret = [0u8; 32];
    let _ = rng.fill(&mut secret);
    let until = crate::unix_now() + 3_600;
    Ticket::from_parts(id, secret, home, peer, until, until)
}

/// `ticket` with another resumption secret: offering it gives a resume MAC the device cannot
/// verify.
pub fn with_wrong_secret(ticket: &Ticket) -> Ticket {
    let mut secret = *ticket.secret();
    if let Some(b) = secret.first_mut() {
        *b ^= 0x01;
    }
    Ticket::from_parts(
        ticket.id,
        secret,
        ticket.home_id,
        ticket.peer.clone(),
        ticket.expires_unix,
        ticket.hard_limit_unix,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_rewritten_field_keeps_the_other_entries_and_their_order() {
        let m = message(1, vec![(2, Value::from(7u64)), (5, Value::from(9u64))]);
        assert_eq!(m, hex::decode("a3000102070509").unwrap());
        let r = with_field(&m, 5, Value::from(300u64)).unwrap();
        assert_eq!(
            r,
            hex::decode("a30001020705190 12c".replace(' ', "")).unwrap()
        );
        assert_eq!(message_type(&r), Some(1));
        assert_eq!(with_field(&m, 4, Value::from(1u64)), None);
        assert_eq!(message_type(&hex::decode("a10102").unwrap()), None);
    }
}

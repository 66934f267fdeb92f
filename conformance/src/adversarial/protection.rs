//! Protected messages an honest sender never sends `[MSG-*]`: replays, records with a field
//! of the header, the ciphertext or the tag altered, records sealed under another key or for
//! another session, counters moved far ahead, records held back and sent late. Built from
//! the session's own [`Protector`] (its exported state, [`ProtectorState`]) and orbit-core's
//! public header layout; nothing in the core exists for it.

use crate::controller::{Conn, Session};
use crate::transport::{MessageKind, TransportError};
use orbit_core::codec::CborMessage;
use orbit_core::crypto::Random;
use orbit_core::interaction::{AttributePath, Envelope, Message, ReadRequest};
use orbit_core::model::{std_caps, EndpointId};
use orbit_core::protect::{
    ProtectConfig, Protector, ProtectorState, SessionId, SessionKeys, TrafficSecret, HEADER_LEN,
    OVERHEAD,
};
use std::time::Instant;

/// A part of a protected message `[MSG-6]` to alter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Sets a reserved flag bit (`0x04`) `[MSG-7]`.
    ReservedFlag,
    /// Flips the key phase's low bit `[MSG-14]`.
    KeyPhase,
    /// Flips a bit of the session identifier `[MSG-3]`.
    SessionId,
    /// Adds one to the counter `[MSG-8]`.
    Counter,
    /// Flips a bit of the first ciphertext byte `[MSG-10]`.
    Ciphertext,
    /// Flips a bit of the last tag byte `[MSG-1]`.
    Tag,
    /// Cuts the record to 28 bytes, one short of a header and a tag `[MSG-11]`.
    Truncated,
}

/// `record` with `field` altered.
pub fn tamper(record: &[u8], field: Field) -> Vec<u8> {
    let mut r = record.to_vec();
    let flip = |r: &mut Vec<u8>, at: usize, mask: u8| {
        if let Some(b) = r.get_mut(at) {
            *b ^= mask;
        }
    };
    match field {
        Field::ReservedFlag => flip(&mut r, 0, 0x04),
        Field::KeyPhase => flip(&mut r, 0, 0x01),
        Field::SessionId => flip(&mut r, 4, 0x01),
        Field::Counter => {
            if let Some(c) = r.get_mut(5..HEADER_LEN) {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                c.copy_from_slice(&u64::from_be_bytes(b).wrapping_add(1).to_be_bytes());
            }
        }
        Field::Ciphertext => {
            // A record always holds a payload here (an interaction request); with an empty
            // one the first "ciphertext" byte would be the tag's, still a valid tamper.
            flip(&mut r, HEADER_LEN, 0x80);
        }
        Field::Tag => {
            let last = r.len().saturating_sub(1);
            flip(&mut r, last, 0x01);
        }
        Field::Truncated => r.truncate(OVERHEAD - 1),
    }
    r
}

/// The counter in a record's header.
pub fn counter_of(record: &[u8]) -> Option<u64> {
    let c = record.get(5..HEADER_LEN)?;
    let mut b = [0u8; 8];
    b.copy_from_slice(c);
    Some(u64::from_be_bytes(b))
}

/// The session identifier in a record's header.
pub fn session_of(record: &[u8]) -> Option<u32> {
    let c = record.get(1..5)?;
    let mut b = [0u8; 4];
    b.copy_from_slice(c);
    Some(u32::from_be_bytes(b))
}

fn random_secret(rng: &mut (dyn Random + Send)) -> TrafficSecret {
    let mut s = [0u8; 32];
    let _ = rng.fill(&mut s);
    TrafficSecret(s)
}

/// A protector with random traffic secrets sending to `peer` from counter `next_counter`
/// (the keys of no session): what it seals is a record of another key, or, with an
/// identifier the device never chose, of no session at all.
pub fn stranger(
    peer: SessionId,
    next_counter: u64,
    rng: &mut (dyn Random + Send),
) -> Result<Protector, String> {
    let keys = SessionKeys {
        send_secret: random_secret(rng),
        recv_secret: random_secret(rng),
        local_session_id: SessionId(1),
        peer_session_id: peer,
    };
    let fresh = Protector::new(keys, ProtectConfig::default()).map_err(|e| e.to_string())?;
    let mut state = fresh.into_state();
    state.send.next_counter = Some(next_counter);
    Protector::from_state(state, ProtectConfig::default()).map_err(|e| e.to_string())
}

/// Moves the session's next send counter to `next` (a sender that skipped counters, which
/// [MSG-12] requires a receiver to accept as long as they grow). Everything else of the
/// session's protection stays as it was.
pub fn jump_counter(
    session: &mut Session,
    next: u64,
    rng: &mut (dyn Random + Send),
) -> Result<(), String> {
    let placeholder = stranger(SessionId(1), 0, rng)?;
    let protector = std::mem::replace(session.protector(), placeholder);
    let mut state: ProtectorState = protector.into_state();
    state.send.next_counter = Some(next);
    *session.protector() =
        Protector::from_state(state, ProtectConfig::default()).map_err(|e| e.to_string())?;
    Ok(())
}

/// A small read: the root endpoint's vendor ID, which any device answers with a report
/// `[IM-20]`.
pub fn vendor_id_read() -> ReadRequest {
    ReadRequest {
        attributes: vec![AttributePath::concrete(
            EndpointId::ROOT,
            std_caps::basic_information::ID,
            std_caps::basic_information::attributes::VENDOR_ID,
        )],
        events: Vec::new(),
        event_min: None,
    }
}

/// The [`vendor_id_read`] from the session's client: its exchange number and plaintext.
pub fn probe_request(session: &mut Session) -> (u32, Vec<u8>) {
    session.client().read(Instant::now(), vendor_id_read())
}

/// A sealed probe request: its exchange number and record.
pub fn sealed_probe(session: &mut Session, label: &str) -> Result<(u32, Vec<u8>), String> {
    let (exchange, plain) = probe_request(session);
    let record = session.seal(label, &plain)?;
    Ok((exchange, record))
}

/// What came back for one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// A frame (its kind and bytes).
    Frame(MessageKind, Vec<u8>),
    /// The device finished the exchange without a frame: what [MSG-21] prescribes for a
    /// dropped message.
    Finished,
    /// The device reset or stopped the exchange with this code (not what [MSG-21] says).
    Reset(u64),
    /// Nothing within the answer timeout: no answer, and no end of the exchange either.
    Silent,
}

/// Sends `record` on a new exchange of `conn`, finishes, and returns what came back.
pub async fn exchange(conn: &Conn, label: &str, record: &[u8]) -> Result<Reply, TransportError> {
    let mut ex = conn.open().await?;
    ex.send(MessageKind::Protected, label, record).await?;
    ex.finish();
    let reply = match ex.recv().await {
        Ok(Some(m)) => Reply::Frame(m.kind, m.payload),
        Ok(None) => Reply::Finished,
        Err(TransportError::Reset(code)) => Reply::Reset(code),
        Err(TransportError::Timeout(_)) => Reply::Silent,
        Err(e) => return Err(e),
    };
    if matches!(reply, Reply::Frame(..)) {
        ex.drain().await;
    }
    Ok(reply)
}

/// Whether `reply` is the session's answer to the request with `exchange`: a protected
/// record that opens, holding an interaction message on that exchange. `Err` says what came
/// instead.
pub fn is_answer(session: &mut Session, reply: &Reply, exchange: u32) -> Result<(), String> {
    match reply {
        Reply::Frame(MessageKind::Protected, bytes) => {
            let plain = session.open_record(bytes)?;
            let envelope =
                Envelope::decode(&plain).map_err(|e| format!("the answer does not decode: {e}"))?;
            if envelope.exchange != exchange {
                return Err(format!(
                    "an answer on exchange {} instead of {exchange}",
                    envelope.exchange
                ));
            }
            match envelope.message {
                Message::Report(_) => Ok(()),
                other => Err(format!("{other:?} instead of a report")),
            }
        }
        other => Err(describe(other)),
    }
}

/// One line for a failure's "observed".
pub fn describe(reply: &Reply) -> String {
    match reply {
        Reply::Frame(kind, bytes) => format!("a {kind} frame of {} bytes", bytes.len()),
        Reply::Finished => "the exchange ended without an answer".to_owned(),
        Reply::Reset(code) => format!("the exchange was reset with code {code:#x}"),
        Reply::Silent => "no answer and no end of the exchange within the timeout".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use orbit_core::crypto::SeededRandom;

    #[test]
    fn each_tamper_changes_only_its_field_and_every_one_fails_to_open() {
        let mut rng = SeededRandom::new(3);
        let mut sender = stranger(SessionId(0x0102_0304), 0, &mut rng).unwrap();
        let state = sender.into_state();
        let keys = SessionKeys {
            send_secret: state.recv.secret.clone(),
            recv_secret: state.send.secret.clone(),
            local_session_id: SessionId(0x0102_0304),
            peer_session_id: SessionId(1),
        };
        sender = Protector::from_state(state, ProtectConfig::default()).unwrap();
        let mut record = Vec::new();
        sender.seal(b"hello", &mut record).unwrap();
        assert_eq!(counter_of(&record), Some(0));
        assert_eq!(session_of(&record), Some(0x0102_0304));
        for field in [
            Field::ReservedFlag,
            Field::KeyPhase,
            Field::SessionId,
            Field::Counter,
            Field::Ciphertext,
            Field::Tag,
            Field::Truncated,
        ] {
            let bad = tamper(&record, field);
            assert_ne!(bad, record, "{field:?}");
            let mut receiver = Protector::new(keys.clone(), ProtectConfig::default()).unwrap();
            let mut b = bad.clone();
            assert!(receiver.open(&mut b).is_err(), "{field:?} opened");
            // The untouched record still opens afterwards [MSG-13].
            let mut good = record.clone();
            assert_eq!(receiver.open(&mut good).unwrap().payload, b"hello");
        }
        assert_eq!(counter_of(&tamper(&record, Field::Counter)), Some(1));
        assert_eq!(tamper(&record, Field::Truncated).len(), OVERHEAD - 1);
    }
}

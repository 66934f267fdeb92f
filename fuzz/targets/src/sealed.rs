//! The sealed-record opener with fixed keys (`spec/v1/07-message-protection.md`).
//!
//! Random bytes never get past the tag, so this target holds the keys: an [`arbitrary`] plan
//! seals the fuzzer's payloads with chosen counters and key generations (valid records with
//! headers the fuzzer steers), then delivers them in any order, any number of times, altered
//! or not, to the receiving side.

use arbitrary::{Arbitrary, Unstructured};
use orbit_core::protect::{
    ProtectConfig, ProtectError, Protector, SessionId, SessionKeys, TrafficSecret, HEADER_LEN,
};
use std::collections::BTreeSet;

/// One step of a plan.
#[derive(Arbitrary, Debug)]
pub enum Op {
    /// The honest sender seals `payload`.
    Seal(Vec<u8>),
    /// A sender holding the same keys but naming another session seals `payload`: the record
    /// authenticates but is for no session of the receiver [MSG-3].
    SealForOtherSession(Vec<u8>),
    /// The sender skips `n` counters (a sender may skip, never reuse [MSG-8]).
    Skip(u64),
    /// The sender updates its key before its next record [MSG-14].
    UpdateKey,
    /// Delivers record `index` (modulo the records sealed so far) altered by `change`.
    Deliver {
        /// Which record.
        index: u16,
        /// How it is altered on the way.
        change: Change,
    },
    /// Delivers bytes no sender made.
    Forge(Vec<u8>),
    /// The receiver exports and re-imports its state (a session moved to another transport
    /// object or process [MSG-19]).
    MoveReceiver,
}

/// An alteration on the way.
#[derive(Arbitrary, Debug)]
pub enum Change {
    /// None.
    Intact,
    /// Flips one bit (position modulo the length).
    FlipBit(u16, u8),
    /// Cuts the record to this many bytes (modulo its length).
    Truncate(u16),
    /// Appends bytes.
    Append(Vec<u8>),
    /// Overwrites one byte.
    SetByte(u16, u8),
}

/// A plan: the sender's key-update interval, then the steps.
#[derive(Arbitrary, Debug)]
pub struct Plan {
    /// Records per key before the sender updates it (0 means the default).
    pub key_update_after: u8,
    /// The steps.
    pub ops: Vec<Op>,
}

struct Sealed {
    bytes: Vec<u8>,
    payload: Vec<u8>,
    counter: u64,
    generation: u64,
    /// Sealed for a session the receiver does not have.
    foreign: bool,
}

const RECEIVER: SessionId = SessionId(9);
const SENDER: SessionId = SessionId(7);

fn keys(local: SessionId, peer: SessionId, send: u8, recv: u8) -> SessionKeys {
    SessionKeys {
        send_secret: TrafficSecret([send; 32]),
        recv_secret: TrafficSecret([recv; 32]),
        local_session_id: local,
        peer_session_id: peer,
    }
}

/// Target `sealed_record`: whatever the plan, the receiver opens exactly the records a
/// holder of the key sealed for it, unaltered, each at most once [MSG-10] [MSG-12] [MSG-3],
/// returning their payload, counter and generation; any refusal leaves its state as it was
/// [MSG-13]; a fresh, unaltered record of the current or next generation above every counter
/// seen is accepted [MSG-14]; exporting and importing the receiver's state changes nothing
/// [MSG-19].
pub fn sealed_record(data: &[u8]) {
    let Ok(plan) = Plan::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let config = match plan.key_update_after {
        0 => ProtectConfig::default(),
        n => ProtectConfig::default().with_key_update_after(u64::from(n)),
    };
    let (Ok(mut sender), Ok(mut other), Ok(mut receiver)) = (
        Protector::new(keys(SENDER, RECEIVER, 1, 2), config),
        Protector::new(keys(SENDER, SessionId(10), 1, 2), config),
        Protector::new(keys(RECEIVER, SENDER, 2, 1), ProtectConfig::default()),
    ) else {
        panic!("fixed keys refused");
    };
    let mut sealed: Vec<Sealed> = Vec::new();
    let mut accepted = BTreeSet::new();
    for op in plan.ops {
        match op {
            Op::Seal(payload) => seal(&mut sender, payload, false, &mut sealed),
            Op::SealForOtherSession(payload) => seal(&mut other, payload, true, &mut sealed),
            Op::Skip(n) => {
                let mut state = sender.into_state();
                state.send.next_counter = state.send.next_counter.and_then(|c| c.checked_add(n));
                sender = match Protector::from_state(state, config) {
                    Ok(p) => p,
                    Err(e) => panic!("a state export did not import: {e}"),
                };
            }
            Op::UpdateKey => sender.request_key_update(),
            Op::Deliver { index, change } => {
                let Some(record) = sealed.get(usize::from(index) % sealed.len().max(1)) else {
                    continue;
                };
                let mut bytes = record.bytes.clone();
                apply(&mut bytes, change);
                deliver(&mut receiver, bytes, Some(record), &mut accepted);
            }
            Op::Forge(bytes) => deliver(&mut receiver, bytes, None, &mut accepted),
            Op::MoveReceiver => {
                let before = (receiver.recv_generation(), receiver.highest_received());
                receiver =
                    match Protector::from_state(receiver.into_state(), ProtectConfig::default()) {
                        Ok(p) => p,
                        Err(e) => panic!("a state export did not import: {e}"),
                    };
                assert_eq!(
                    before,
                    (receiver.recv_generation(), receiver.highest_received())
                );
            }
        }
    }
}

fn seal(p: &mut Protector, payload: Vec<u8>, foreign: bool, sealed: &mut Vec<Sealed>) {
    let mut bytes = Vec::new();
    match p.seal(&payload, &mut bytes) {
        Ok(info) => {
            assert_eq!(
                info.len,
                payload.len() + orbit_core::protect::OVERHEAD,
                "[MSG-20]"
            );
            sealed.push(Sealed {
                bytes,
                payload,
                counter: info.counter,
                generation: info.generation,
                foreign,
            });
        }
        Err(e) => {
            assert!(bytes.is_empty(), "a failed seal left bytes behind");
            assert!(matches!(e, ProtectError::RekeyRequired), "seal failed: {e}");
        }
    }
}

fn apply(bytes: &mut Vec<u8>, change: Change) {
    let len = bytes.len().max(1);
    match change {
        Change::Intact => {}
        Change::FlipBit(at, bit) => {
            if let Some(b) = bytes.get_mut(usize::from(at) % len) {
                *b ^= 1 << (bit % 8);
            }
        }
        Change::Truncate(to) => bytes.truncate(usize::from(to) % len),
        Change::Append(more) => bytes.extend_from_slice(&more),
        Change::SetByte(at, value) => {
            if let Some(b) = bytes.get_mut(usize::from(at) % len) {
                *b = value;
            }
        }
    }
}

fn deliver(
    receiver: &mut Protector,
    mut bytes: Vec<u8>,
    record: Option<&Sealed>,
    accepted: &mut BTreeSet<u64>,
) {
    let intact = record.filter(|r| r.bytes == bytes);
    let before = (receiver.recv_generation(), receiver.highest_received());
    // Fresh, unaltered, above every counter seen, of the current or the next generation:
    // nothing may refuse it [MSG-12] [MSG-14].
    let must_open = intact.is_some_and(|r| {
        !r.foreign
            && !accepted.contains(&r.counter)
            && before.1.is_none_or(|h| r.counter > h)
            && (r.generation == before.0 || r.generation == before.0 + 1)
    });
    match receiver.open(&mut bytes) {
        Ok(opened) => {
            let Some(r) = intact else {
                panic!("opened a record no key holder sealed [MSG-10]");
            };
            assert!(
                !r.foreign,
                "opened a record sealed for another session [MSG-3]"
            );
            assert!(
                accepted.insert(opened.counter),
                "opened counter {} twice [MSG-12]",
                opened.counter
            );
            assert_eq!(opened.payload, r.payload.as_slice());
            assert_eq!(
                (opened.counter, opened.generation),
                (r.counter, r.generation)
            );
        }
        Err(e) => {
            assert!(
                !must_open,
                "refused a fresh record of generation {:?}: {e}",
                intact.map(|r| r.generation)
            );
            assert_eq!(
                before,
                (receiver.recv_generation(), receiver.highest_received()),
                "a refused record changed the receiver's state [MSG-13]"
            );
            // Header fields are read without panicking whatever the record holds.
            let _ = bytes.get(..HEADER_LEN);
        }
    }
}

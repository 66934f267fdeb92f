//! PASE one message at a time, for cases that must stop, skip or replace a step: what the
//! device sent where the suite waited for a pairing message, and the honest handshake run up
//! to `pake2` with orbit-core's controller state machine `[PAIR-1]`.

use crate::case::Failure;
use crate::context::Ctx;
use crate::controller::{Conn, Ex};
use crate::transport::{MessageKind, TransportError};
use orbit_core::codec::CborMessage;
use orbit_core::pairing::{
    Controller as PaseController, ExpectPake2, ExpectPbkdfParamResponse, PairingStatus,
};
use orbit_core::status::Status;
use orbit_core::version::SUPPORTED;
use std::time::{Duration, Instant};

/// What the device did where the suite waited for a pairing message.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Answer {
    /// A pairing message other than `pairing-status`.
    Message(Vec<u8>),
    /// A `pairing-status` `[PAIR-22]`.
    Status(PairingStatus),
    /// It ended its half of the exchange without a frame.
    Ended,
    /// It reset the exchange with this code.
    Reset(u64),
    /// Nothing within the wait.
    Silent,
    /// Something else: another kind of frame, or a `pairing-status` that does not decode.
    Other(String),
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Message(m) => match message_type(m) {
                Some(t) => write!(f, "a pairing message of type {t}"),
                None => f.write_str("a pairing message without a type"),
            },
            Answer::Status(s) => match s.retry_after {
                Some(r) => write!(f, "pairing-status {} with retry-after {r}", s.status),
                None => write!(f, "pairing-status {}", s.status),
            },
            Answer::Ended => f.write_str("the end of the exchange without a frame"),
            Answer::Reset(c) => write!(f, "a reset of the exchange with code {c:#x}"),
            Answer::Silent => f.write_str("nothing"),
            Answer::Other(s) => f.write_str(s),
        }
    }
}

impl Answer {
    /// The status, if the answer is a `pairing-status`.
    pub(crate) fn status(&self) -> Option<Status> {
        match self {
            Answer::Status(s) => Some(s.status),
            _ => None,
        }
    }

    /// Whether the answer is a `pairing-status` with `status` and no retry-after.
    pub(crate) fn is_plain(&self, status: Status) -> bool {
        matches!(self, Answer::Status(s) if s.status == status && s.retry_after.is_none())
    }
}

/// The value of key 0 (the message type) of a pairing message `[PAIR-2]`.
pub(crate) fn message_type(bytes: &[u8]) -> Option<u64> {
    let value: ciborium::Value = ciborium::de::from_reader(bytes).ok()?;
    let ciborium::Value::Map(entries) = value else {
        return None;
    };
    entries.into_iter().find_map(|(k, v)| match (k, v) {
        (ciborium::Value::Integer(k), ciborium::Value::Integer(v)) if i128::from(k) == 0 => {
            u64::try_from(i128::from(v)).ok()
        }
        _ => None,
    })
}

/// Message type of `pake2` `[PAIR-2]`.
pub(crate) const PAKE2: u64 = 4;
/// Message type of `pairing-status`.
const PAIRING_STATUS: u64 = 6;

/// What the device sends next on `ex`, waiting at most `within`. Transport failures other
/// than a reset or a timeout are the harness's (INCONCLUSIVE).
pub(crate) async fn answer(ex: &mut Ex, within: Duration) -> Result<Answer, Failure> {
    match ex.recv_within(within).await {
        Ok(Some(m)) if m.kind == MessageKind::Pairing => {
            if message_type(&m.payload) == Some(PAIRING_STATUS) {
                Ok(match PairingStatus::decode(&m.payload) {
                    Ok(s) => Answer::Status(s),
                    Err(e) => Answer::Other(format!("a pairing-status that does not decode: {e}")),
                })
            } else {
                Ok(Answer::Message(m.payload))
            }
        }
        Ok(Some(m)) => Ok(Answer::Other(format!("a {} message", m.kind))),
        Ok(None) => Ok(Answer::Ended),
        Err(TransportError::Reset(code)) => Ok(Answer::Reset(code)),
        Err(TransportError::Timeout(_)) => Ok(Answer::Silent),
        Err(e) => Err(Failure::from(e)),
    }
}

/// Sends `bytes` as a pairing message on a new exchange of `conn` and returns what the
/// device answered, the exchange left open.
pub(crate) async fn send_first(
    conn: &Conn,
    label: &str,
    bytes: &[u8],
) -> Result<(Ex, Answer), Failure> {
    let mut ex = conn.open().await?;
    ex.send(MessageKind::Pairing, label, bytes).await?;
    let got = answer(&mut ex, conn.answer_timeout()).await?;
    Ok((ex, got))
}

/// Ends a handshake the suite no longer wants with a `pairing-status` `[PAIR-22]` and reads
/// the exchange to its end (the device answers nothing).
pub(crate) async fn abandon(ex: &mut Ex) {
    let status = PairingStatus::new(Status::FAILURE).to_bytes();
    let _ = ex
        .send(MessageKind::Pairing, "pairing-status", &status)
        .await;
    ex.finish();
    ex.drain().await;
}

/// Ends the suite's half of an exchange the device has answered and reads it to its end
/// `[QUIC-6]`.
pub(crate) async fn close_ex(ex: &mut Ex) {
    ex.finish();
    ex.drain().await;
}

/// Like [`request`], but waits out a `busy` refusal (the previous handshake of the case may
/// still be ending on the device) for at most 2 s, so that a case judges what it means to.
pub(crate) async fn request_when_free(
    ctx: &mut Ctx,
    conn: &Conn,
    passcode: u32,
) -> Result<(Ex, ExpectPbkdfParamResponse, Answer), Failure> {
    let give_up = Instant::now() + Duration::from_secs(2);
    loop {
        let (mut ex, state, got) = request(ctx, conn, passcode).await?;
        if got.status() != Some(Status::BUSY) || Instant::now() >= give_up {
            return Ok((ex, state, got));
        }
        close_ex(&mut ex).await;
        ctx.note("busy: the previous handshake is still ending; asking again in 100 ms");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The honest `pbkdf-param-request` for `passcode`, sent on a new exchange of `conn`, and
/// the device's answer.
pub(crate) async fn request(
    ctx: &mut Ctx,
    conn: &Conn,
    passcode: u32,
) -> Result<(Ex, ExpectPbkdfParamResponse, Answer), Failure> {
    let mut sid = [0u8; 4];
    let _ = ctx.rng().fill(&mut sid);
    let controller = PaseController {
        passcode,
        versions: SUPPORTED,
        local_session_id: u32::from_be_bytes(sid).max(1),
        known_params: None,
    };
    let (state, request) = controller
        .start(ctx.rng(), Instant::now())
        .map_err(|e| Failure::Inconclusive(format!("building pbkdf-param-request: {e}")))?;
    let (ex, got) = send_first(conn, "pbkdf-param-request", &request.to_bytes()).await?;
    Ok((ex, state, got))
}

/// An honest handshake stopped after `pake2` arrived: the suite has not looked at it yet.
pub(crate) struct AtPake2 {
    /// The exchange, open.
    pub(crate) ex: Ex,
    /// The controller's state, to check `pake2` with the passcode it was built with.
    pub(crate) state: ExpectPake2,
    /// `pake2` as the device sent it.
    pub(crate) pake2: Vec<u8>,
}

/// Where an honest handshake stopped before `pake2`, and what the device sent there.
#[derive(Debug)]
pub(crate) struct Refused {
    /// The message the suite waited for.
    pub(crate) at: &'static str,
    /// What came instead.
    pub(crate) answer: Answer,
}

/// Runs PASE with `passcode` up to the device's `pake2`; `Err(Refused)` (inside `Ok`) when
/// the device sent something else where it owed a message.
pub(crate) async fn to_pake2(
    ctx: &mut Ctx,
    conn: &Conn,
    passcode: u32,
) -> Result<Result<AtPake2, Refused>, Failure> {
    let (mut ex, state, got) = request_when_free(ctx, conn, passcode).await?;
    let Answer::Message(response) = got else {
        return Ok(Err(Refused {
            at: "pbkdf-param-response",
            answer: got,
        }));
    };
    let (state, pake1) = match state.handle(&response, ctx.rng(), Instant::now()) {
        Ok(x) => x,
        Err(e) => {
            abandon(&mut ex).await;
            return Ok(Err(Refused {
                at: "pbkdf-param-response",
                answer: Answer::Other(format!("a pbkdf-param-response the suite rejects: {e}")),
            }));
        }
    };
    ex.send(MessageKind::Pairing, "pake1", &pake1.to_bytes())
        .await?;
    match answer(&mut ex, conn.answer_timeout()).await? {
        Answer::Message(pake2) if message_type(&pake2) == Some(PAKE2) => {
            Ok(Ok(AtPake2 { ex, state, pake2 }))
        }
        other => Ok(Err(Refused {
            at: "pake2",
            answer: other,
        })),
    }
}

/// A passcode other than `right`, valid and not trivial `[SETUP-1]`, chosen by `pick`.
pub(crate) fn wrong_passcode(right: u32, pick: u32) -> u32 {
    const TRIVIAL: [u32; 12] = [
        0, 11_111_111, 22_222_222, 33_333_333, 44_444_444, 55_555_555, 66_666_666, 77_777_777,
        88_888_888, 99_999_999, 12_345_678, 87_654_321,
    ];
    let mut candidate = right;
    let mut step = pick % 1_000_000 + 1;
    loop {
        candidate = (candidate + step - 1) % 99_999_998 + 1;
        if candidate != right && !TRIVIAL.contains(&candidate) {
            return candidate;
        }
        step = 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_passcodes_are_valid_and_differ_from_the_right_one() {
        for right in [1, 20_202_021, 99_999_998, 11_111_110] {
            for pick in [0, 1, 7, 999_999, u32::MAX] {
                let w = wrong_passcode(right, pick);
                assert_ne!(w, right);
                assert!((1..=99_999_998).contains(&w), "{w}");
                assert_ne!(w, 11_111_111);
            }
        }
    }

    #[test]
    fn the_message_type_is_key_0() {
        assert_eq!(message_type(&[0xa2, 0x00, 0x06, 0x01, 0x02]), Some(6));
        assert_eq!(message_type(&[0xa1, 0x01, 0x06]), None);
        assert_eq!(message_type(&[0x06]), None);
    }
}

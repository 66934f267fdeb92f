//! Interaction exchanges the data-model and access cases run by hand: the suite picks the
//! exchange number, sends exactly the message it built (also ones an honest [`Session`]
//! request never is, such as a timed follow-up after the window closed), and keeps every
//! answer the device sent on the exchange, decoded, so a case can judge each one.

use crate::case::Failure;
use crate::controller::Session;
use crate::transport::MessageKind;
use orbit_core::codec::CborMessage;
use orbit_core::interaction::{Envelope, Message};
use orbit_core::status::Status;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Exchange numbers the cases choose by hand: far above those the session's own client
/// counts up from 1, so the two never meet in one session `[IM-3]`.
static NEXT_EXCHANGE: AtomicU32 = AtomicU32::new(0x4000_0000);

/// A fresh nonzero exchange number `[IM-3]`.
pub(crate) fn fresh_exchange() -> u32 {
    NEXT_EXCHANGE.fetch_add(1, Ordering::Relaxed).max(1)
}

/// What the device sent back on one exchange.
#[derive(Debug, Default)]
pub(crate) struct Answers {
    /// The answers that opened and decoded, in order.
    pub(crate) messages: Vec<Envelope>,
    /// What could not be taken as an answer (a record that does not open, a message that
    /// does not decode, no answer in time).
    pub(crate) problems: Vec<String>,
}

impl Answers {
    /// The status of the only `status-response`, if that is what came back.
    pub(crate) fn status_response(&self) -> Option<(u32, Status)> {
        match self.messages.as_slice() {
            [Envelope {
                exchange,
                message: Message::StatusResponse(s),
            }] => Some((*exchange, *s)),
            _ => None,
        }
    }

    /// The invoke answer, if that is what came back.
    pub(crate) fn invoke_response(&self) -> Option<&Result<orbit_core::model::Data, Status>> {
        match self.messages.as_slice() {
            [Envelope {
                message: Message::InvokeResponse(r),
                ..
            }] => Some(r),
            _ => None,
        }
    }

    /// Every exchange number the answers carried.
    pub(crate) fn exchanges(&self) -> Vec<u32> {
        self.messages.iter().map(|m| m.exchange).collect()
    }

    /// A short account for a failure's `observed`.
    pub(crate) fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .messages
            .iter()
            .map(|m| format!("{:?} on exchange {}", m.message, m.exchange))
            .collect();
        parts.extend(self.problems.iter().cloned());
        if parts.is_empty() {
            "no answer".to_owned()
        } else {
            parts.join("; ")
        }
    }
}

/// The answer to `message` sent on a fresh exchange number.
/// A read of every attribute of every endpoint (`*/*/*`), sent by hand with [`request`] so
/// each report message it brings back can be judged.
pub(crate) async fn read_everything(
    s: &mut Session,
    label: &str,
) -> Result<(u32, Answers), Failure> {
    let message = Message::ReadRequest(orbit_core::interaction::ReadRequest {
        attributes: vec![orbit_core::interaction::AttributePath::ALL],
        events: Vec::new(),
        event_min: None,
    });
    request(s, label, message).await
}

pub(crate) async fn request(
    s: &mut Session,
    label: &str,
    message: Message,
) -> Result<(u32, Answers), Failure> {
    let exchange = fresh_exchange();
    let plain = Envelope { exchange, message }.to_bytes();
    Ok((exchange, send_plain(s, label, &plain).await?))
}

/// Sends `plain` (an interaction message's bytes, whatever they hold) sealed on a new
/// exchange, ends this side, and collects every answer until the device ends its side.
pub(crate) async fn send_plain(
    s: &mut Session,
    label: &str,
    plain: &[u8],
) -> Result<Answers, Failure> {
    let sealed = s.seal(label, plain).map_err(Failure::Inconclusive)?;
    let mut ex = s.conn().open().await?;
    ex.send(MessageKind::Protected, label, &sealed).await?;
    ex.finish();
    let mut answers = Answers::default();
    collect(s, &mut ex, &mut answers, usize::MAX).await;
    Ok(answers)
}

/// A timed interaction by hand `[IM-40]`: `timed-request` with `timeout_ms` on a fresh
/// exchange, then (when given, after `delay`) `follow_up` on the same exchange. Returns the
/// exchange, the answer to the timed request and the answers to the follow-up.
pub(crate) async fn timed(
    s: &mut Session,
    timeout_ms: u32,
    follow_up: Option<Message>,
    delay: Duration,
) -> Result<(u32, Answers, Answers), Failure> {
    let exchange = fresh_exchange();
    let plain = Envelope {
        exchange,
        message: Message::TimedRequest { timeout_ms },
    }
    .to_bytes();
    let sealed = s
        .seal("timed-request", &plain)
        .map_err(Failure::Inconclusive)?;
    let mut ex = s.conn().open().await?;
    ex.send(MessageKind::Protected, "timed-request", &sealed)
        .await?;
    if follow_up.is_none() {
        ex.finish();
    }
    let mut first = Answers::default();
    collect(s, &mut ex, &mut first, 1).await;
    let mut second = Answers::default();
    if let Some(message) = follow_up {
        let opened = matches!(
            first.status_response(),
            Some((_, status)) if status == Status::SUCCESS
        );
        if opened {
            tokio::time::sleep(delay).await;
            let plain = Envelope { exchange, message }.to_bytes();
            let sealed = s
                .seal("timed follow-up", &plain)
                .map_err(Failure::Inconclusive)?;
            ex.send(MessageKind::Protected, "timed follow-up", &sealed)
                .await?;
        }
        ex.finish();
        collect(s, &mut ex, &mut second, usize::MAX).await;
    }
    ex.drain().await;
    Ok((exchange, first, second))
}

/// Receives up to `most` answers on `ex`, stopping when the device ends its side.
async fn collect(s: &mut Session, ex: &mut crate::controller::Ex, into: &mut Answers, most: usize) {
    let wait = s.conn().answer_timeout();
    let mut got = 0;
    while got < most {
        match ex.recv_within(wait).await {
            Ok(Some(m)) if m.kind == MessageKind::Protected => {
                got += 1;
                match s.open_record(&m.payload) {
                    Ok(plain) => match Envelope::decode(&plain) {
                        Ok(e) => into.messages.push(e),
                        Err(e) => into
                            .problems
                            .push(format!("an answer that does not decode: {e}")),
                    },
                    Err(e) => into.problems.push(e),
                }
            }
            Ok(Some(m)) => {
                got += 1;
                into.problems.push(format!(
                    "a {} message instead of a protected answer",
                    m.kind
                ));
            }
            Ok(None) => return,
            Err(e) => {
                into.problems.push(format!("waiting for an answer: {e}"));
                return;
            }
        }
    }
}

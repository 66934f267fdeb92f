//! A connection and its exchanges, recording what passes into the case's evidence.

use crate::evidence::Evidence;
use crate::transport::{Connection, ExchangeIo, Message, MessageKind, TransportError};
use std::sync::Arc;
use std::time::Duration;

/// A connection to the device.
#[derive(Clone)]
pub struct Conn {
    inner: Arc<dyn Connection>,
    evidence: Evidence,
    answer_timeout: Duration,
}

impl Conn {
    pub(crate) fn new(
        inner: Box<dyn Connection>,
        evidence: Evidence,
        answer_timeout: Duration,
    ) -> Self {
        Self {
            inner: Arc::from(inner),
            evidence,
            answer_timeout,
        }
    }

    /// Opens a new exchange.
    pub async fn open(&self) -> Result<Ex, TransportError> {
        let io = self.inner.open_exchange().await?;
        Ok(Ex {
            io,
            evidence: self.evidence.clone(),
            answer_timeout: self.answer_timeout,
        })
    }

    /// The next message the device sent outside an exchange (a report), within `within`.
    pub async fn recv_unsolicited(
        &self,
        within: Duration,
    ) -> Result<Option<Message>, TransportError> {
        let m = self.inner.recv_unsolicited(within).await?;
        if let Some(m) = &m {
            self.evidence
                .received(format!("{} (unsolicited)", m.kind), &m.payload);
        }
        Ok(m)
    }

    /// Why the connection closed, if it has.
    pub fn closed(&self) -> Option<String> {
        self.inner.closed()
    }

    /// Closes the connection cleanly.
    pub fn close(&self) {
        self.inner.close();
    }

    /// The case's evidence log.
    pub fn evidence(&self) -> &Evidence {
        &self.evidence
    }

    /// How long the suite waits for an answer the device owes.
    pub fn answer_timeout(&self) -> Duration {
        self.answer_timeout
    }
}

/// One exchange.
pub struct Ex {
    io: Box<dyn ExchangeIo>,
    evidence: Evidence,
    answer_timeout: Duration,
}

impl Ex {
    /// Sends one message, recorded as `label`.
    pub async fn send(
        &mut self,
        kind: MessageKind,
        label: &str,
        payload: &[u8],
    ) -> Result<(), TransportError> {
        self.evidence.sent(format!("{kind} {label}"), payload);
        self.io
            .send(&Message {
                kind,
                payload: payload.to_vec(),
            })
            .await
    }

    /// Sends bytes as they are, framing included.
    pub async fn send_raw(&mut self, label: &str, bytes: &[u8]) -> Result<(), TransportError> {
        self.evidence.sent(format!("raw {label}"), bytes);
        self.io.send_raw(bytes).await
    }

    /// The next message within the answer timeout; `Ok(None)` when the device ended its half.
    pub async fn recv(&mut self) -> Result<Option<Message>, TransportError> {
        self.recv_within(self.answer_timeout).await
    }

    /// The next message within `within`; `Ok(None)` when the device ended its half.
    pub async fn recv_within(
        &mut self,
        within: Duration,
    ) -> Result<Option<Message>, TransportError> {
        let got = self.io.recv(within).await;
        match &got {
            Ok(Some(m)) => self.evidence.received(m.kind.to_string(), &m.payload),
            Ok(None) => self
                .evidence
                .note("the device ended its half of the exchange"),
            Err(e) => self.evidence.note(format!("receiving: {e}")),
        }
        got
    }

    /// Ends this side after its last message.
    pub fn finish(&mut self) {
        self.io.finish();
    }

    /// Abandons the exchange with `code`.
    pub fn reset(&mut self, code: u64) {
        self.evidence
            .note(format!("reset the exchange with code {code:#x}"));
        self.io.reset(code);
    }

    /// Reads whatever the device still sends on this exchange until it ends its half (bounded).
    pub async fn drain(&mut self) {
        for _ in 0..8 {
            match self.io.recv(Duration::from_secs(2)).await {
                Ok(Some(m)) => self.evidence.received(m.kind.to_string(), &m.payload),
                _ => return,
            }
        }
    }
}

//! One exchange: a request and its answer, as SDUs under one exchange ID ([BLE-15],
//! [BLE-16]).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, oneshot};

use super::sdu_codec::{code, FLAG_END, FLAG_RESET};
use super::{check_message, BleError, Command, Incoming, Message, Shared};

/// One exchange of a link. `send_frame` holds each message until the next call, so that
/// `finish` sets END on the last one instead of costing an SDU of its own. Dropping an
/// exchange that did not end both ways resets it with `no-error`.
#[derive(Debug)]
pub struct Exchange {
    id: u16,
    commands: mpsc::UnboundedSender<Command>,
    shared: Arc<Shared>,
    incoming: mpsc::Receiver<Incoming>,
    /// The last message given to `send_frame`, not yet handed to the link.
    held: Option<Message>,
    /// The peer knows the exchange (it opened it, or we sent on it).
    on_wire: bool,
    /// We sent END or RESET.
    we_ended: bool,
    /// The peer sent END.
    peer_ended: bool,
    /// The exchange was reset (either way): every later call reports this.
    failed: Option<BleError>,
}

impl Exchange {
    pub(crate) fn new(
        id: u16,
        on_wire: bool,
        commands: mpsc::UnboundedSender<Command>,
        shared: Arc<Shared>,
        incoming: mpsc::Receiver<Incoming>,
    ) -> Self {
        Self {
            id,
            commands,
            shared,
            incoming,
            held: None,
            on_wire,
            we_ended: false,
            peer_ended: false,
            failed: None,
        }
    }

    /// The exchange ID on the wire ([BLE-15]).
    pub fn id(&self) -> u16 {
        self.id
    }

    fn command(&self, command: Command) -> Result<(), BleError> {
        self.commands
            .send(command)
            .map_err(|_| self.shared.end_reason())
    }

    fn send_sdu(
        &self,
        flags: u8,
        kind: u8,
        payload: Vec<u8>,
        done: Option<oneshot::Sender<Result<(), BleError>>>,
    ) -> Result<(), BleError> {
        self.command(Command::Send {
            exchange: Some(self.id),
            flags,
            kind,
            payload,
            done,
        })
    }

    /// Hands the held message to the link (without END) and waits until it was written.
    async fn flush(&mut self) -> Result<(), BleError> {
        let Some(message) = self.held.take() else {
            return Ok(());
        };
        let (done, sent) = oneshot::channel();
        self.send_sdu(0, message.kind, message.payload, Some(done))?;
        sent.await.unwrap_or_else(|_| Err(self.shared.end_reason()))
    }

    /// Hands the held message to the link without waiting.
    fn flush_now(&mut self) -> Result<(), BleError> {
        match self.held.take() {
            Some(message) => self.send_sdu(0, message.kind, message.payload, None),
            None => Ok(()),
        }
    }

    fn check_open(&self) -> Result<(), BleError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.we_ended {
            return Err(BleError::ExchangeEnded);
        }
        Ok(())
    }

    /// Sends one message (kind 1..=3, payload 1..=16384 bytes, [BLE-15], [BLE-19]). The
    /// message is held until the next call on this exchange; the previous one is written
    /// first.
    pub async fn send_frame(&mut self, kind: u8, payload: &[u8]) -> Result<(), BleError> {
        self.check_open()?;
        check_message(kind, payload)?;
        self.flush().await?;
        self.held = Some(Message {
            kind,
            payload: payload.to_vec(),
        });
        self.on_wire = true;
        Ok(())
    }

    /// Ends this side ([BLE-16]): END on the held message, or an END with no message (kind 0)
    /// if none is held. Does not wait for the write.
    pub fn finish(&mut self) -> Result<(), BleError> {
        if self.we_ended && self.failed.is_none() {
            return Ok(());
        }
        self.check_open()?;
        let (kind, payload) = match self.held.take() {
            Some(message) => (message.kind, message.payload),
            None => (0, Vec::new()),
        };
        self.we_ended = true;
        self.on_wire = true;
        self.send_sdu(FLAG_END, kind, payload, None)
    }

    /// Aborts the exchange both ways with a [QUIC-13] code (RESET, [BLE-15]); a held message
    /// is dropped.
    pub fn reset(&mut self, code: u8) {
        self.held = None;
        if self.failed.is_some() || (self.we_ended && self.peer_ended) {
            return;
        }
        if self.on_wire {
            // Err: the link ended, and the exchange with it.
            let _ = self.send_sdu(FLAG_RESET, 0, vec![code], None);
        } else {
            let _ = self.command(Command::Forget { exchange: self.id });
        }
        self.we_ended = true;
        self.failed = Some(BleError::ExchangeEnded);
    }

    fn take(&mut self, incoming: Incoming) -> Result<Option<Message>, BleError> {
        match incoming {
            Incoming::Message(message) => Ok(Some(message)),
            Incoming::End => {
                self.peer_ended = true;
                Ok(None)
            }
            Incoming::Failed(e) => {
                self.we_ended = true;
                self.held = None;
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    fn before_recv(&self) -> Option<Result<Option<Message>, BleError>> {
        if let Some(e) = &self.failed {
            return Some(Err(e.clone()));
        }
        if self.peer_ended {
            return Some(Ok(None));
        }
        None
    }

    /// The peer's next message; `Ok(None)` once the peer ended its side ([BLE-16]). Writes a
    /// held message first.
    pub async fn recv_frame(&mut self) -> Result<Option<Message>, BleError> {
        self.flush().await?;
        if let Some(done) = self.before_recv() {
            return done;
        }
        match self.incoming.recv().await {
            Some(incoming) => self.take(incoming),
            None => Err(self.shared.end_reason()),
        }
    }

    /// As [`Exchange::recv_frame`], or `None` if nothing came within `within`.
    pub async fn recv_frame_within(
        &mut self,
        within: Duration,
    ) -> Option<Result<Option<Message>, BleError>> {
        tokio::time::timeout(within, self.recv_frame()).await.ok()
    }

    /// As [`Exchange::recv_frame`] without waiting: `None` if nothing is there yet. A held
    /// message is handed to the link without waiting for its write.
    pub fn try_recv_frame(&mut self) -> Option<Result<Option<Message>, BleError>> {
        if let Err(e) = self.flush_now() {
            return Some(Err(e));
        }
        if let Some(done) = self.before_recv() {
            return Some(done);
        }
        match self.incoming.try_recv() {
            Ok(incoming) => Some(self.take(incoming)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(self.shared.end_reason())),
        }
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        // The peer's END may be waiting behind its last message, unread.
        while let Ok(incoming) = self.incoming.try_recv() {
            match incoming {
                Incoming::Message(_) => {}
                Incoming::End => self.peer_ended = true,
                Incoming::Failed(e) => self.failed = Some(e),
            }
        }
        if self.failed.is_some() || (self.we_ended && self.peer_ended) {
            return;
        }
        if !self.on_wire {
            let _ = self.command(Command::Forget { exchange: self.id });
            return;
        }
        // What was sent stays sent; then the exchange is aborted ([BLE-15]): a dropped
        // exchange that did not finish, or whose answer nobody waits for, resets `no-error`.
        let _ = self.flush_now();
        let _ = self.send_sdu(FLAG_RESET, 0, vec![code::NO_ERROR], None);
    }
}

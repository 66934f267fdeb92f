//! The link's task: it owns the engine and the radio, feeds radio events and commands in,
//! writes the engine's values out, and sleeps until the engine's next deadline.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{self, UnboundedReceiver, WeakUnboundedSender};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::routes::Routes;
use super::sdu_codec;
use super::{lock, BleError, Command, Exchange, Message, Shared};
use crate::engine::{Engine, FramingConfig, LinkState};
use crate::error::FramingError;
use crate::radio::{Radio, RadioError, RadioEvent};

/// How long a node that failed the link waits for the peer to disconnect before it does
/// ([BLE-10], [BLE-34]): long enough for its error frame to go out in a connection event.
const ERROR_GRACE: Duration = Duration::from_millis(200);

/// What a driver starts from.
pub(super) struct Parts {
    pub(super) engine: Engine,
    pub(super) config: FramingConfig,
    pub(super) radio: Arc<dyn Radio>,
    pub(super) shared: Arc<Shared>,
    pub(super) epoch: Instant,
    pub(super) commands: WeakUnboundedSender<Command>,
    pub(super) exchanges: mpsc::Sender<Exchange>,
    pub(super) unsolicited: mpsc::Sender<Message>,
    pub(super) ready: Option<oneshot::Sender<Result<(), BleError>>>,
}

pub(super) struct Driver {
    pub(super) engine: Engine,
    config: FramingConfig,
    radio: Arc<dyn Radio>,
    pub(super) shared: Arc<Shared>,
    epoch: Instant,
    /// To hand accepted exchanges a way to talk to this task, without keeping it alive.
    pub(super) commands: WeakUnboundedSender<Command>,
    pub(super) exchanges: Option<mpsc::Sender<Exchange>>,
    pub(super) unsolicited: Option<mpsc::Sender<Message>>,
    ready: Option<oneshot::Sender<Result<(), BleError>>>,
    pub(super) routes: Routes,
    /// Writers waiting for their SDU to go out, by the engine's count of SDUs sent.
    pending: VecDeque<(u64, oneshot::Sender<Result<(), BleError>>)>,
    /// SDUs handed to the engine so far.
    queued: u64,
    close_waiters: Vec<oneshot::Sender<()>>,
    /// This side asked to close (so it disconnects when the close completes, [BLE-14]).
    we_close: bool,
    /// Why the engine failed the link.
    failure: Option<BleError>,
}

impl Driver {
    pub(super) fn new(parts: Parts) -> Self {
        let role = parts.shared.role;
        Self {
            engine: parts.engine,
            config: parts.config,
            radio: parts.radio,
            shared: parts.shared,
            epoch: parts.epoch,
            commands: parts.commands,
            exchanges: Some(parts.exchanges),
            unsolicited: Some(parts.unsolicited),
            ready: parts.ready,
            routes: Routes::new(role),
            pending: VecDeque::new(),
            queued: 0,
            close_waiters: Vec::new(),
            we_close: false,
            failure: None,
        }
    }

    fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.epoch)
    }

    pub(super) async fn run(
        mut self,
        mut commands: UnboundedReceiver<Command>,
        mut events: mpsc::Receiver<RadioEvent>,
    ) {
        let mut listening = true;
        let reason = loop {
            if let Err(e) = self.transmit() {
                break e;
            }
            if let Some(reason) = self.ended() {
                break reason;
            }
            let deadline = self.engine.poll_timeout().map(|d| self.epoch + d);
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            // Commands first: an SDU handed over before a close or an error arrived from the
            // peer is queued before it ([BLE-14]).
            tokio::select! {
                biased;
                command = commands.recv(), if listening => match command {
                    Some(command) => self.command(command),
                    None => {
                        // Every handle and exchange is gone: close gracefully ([BLE-14]).
                        listening = false;
                        self.we_close = true;
                        let now = self.now();
                        self.engine.close(now);
                    }
                },
                event = events.recv() => match event {
                    Some(RadioEvent::Received(value)) => self.receive(&value),
                    Some(RadioEvent::Disconnected) | None => break self.disconnected(),
                },
                () = sleep => {
                    let now = self.now();
                    if let Err(e) = self.engine.handle_timeout(now) {
                        self.failure = Some(BleError::Framing(e));
                    }
                }
            }
        };
        drop(commands);
        self.finish(reason, events).await;
    }

    /// Writes every value the engine has, then answers the writers whose SDU went out.
    fn transmit(&mut self) -> Result<(), BleError> {
        let now = self.now();
        while let Some(value) = self.engine.poll_transmit(now) {
            self.radio.write(&value).map_err(|e| match e {
                RadioError::Disconnected => BleError::Disconnected,
                other => BleError::Radio(other),
            })?;
        }
        let stats = self.engine.stats();
        while let Some((n, _)) = self.pending.front() {
            if *n > stats.sdus_sent {
                break;
            }
            if let Some((_, done)) = self.pending.pop_front() {
                let _ = done.send(Ok(()));
            }
        }
        *lock(&self.shared.stats) = stats;
        if matches!(self.engine.state(), LinkState::Closing | LinkState::Closed) {
            self.shared.closing.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// Answers the central's wait for the handshake; `Some(reason)` once the engine closed.
    fn ended(&mut self) -> Option<BleError> {
        match self.engine.state() {
            LinkState::Handshaking => None,
            LinkState::Open | LinkState::Closing => {
                if let Some(ready) = self.ready.take() {
                    let _ = ready.send(Ok(()));
                }
                None
            }
            LinkState::Closed => Some(self.failure.take().unwrap_or(BleError::Closed)),
        }
    }

    fn disconnected(&mut self) -> BleError {
        match self.failure.take() {
            Some(failure) => failure,
            None if self.engine.state() == LinkState::Closed => BleError::Closed,
            None => BleError::Disconnected,
        }
    }

    fn receive(&mut self, value: &[u8]) {
        let now = self.now();
        let handled = self.engine.handle_value(now, value);
        // SDUs completed before a failure are still delivered.
        while let Some(sdu) = self.engine.poll_received() {
            self.route(&sdu);
        }
        if let Err(e) = handled {
            self.failure = Some(BleError::Framing(e));
        }
    }

    /// Queues one SDU; `done` is answered once it was written to the radio.
    pub(super) fn queue_sdu(
        &mut self,
        sdu: Vec<u8>,
        done: Option<oneshot::Sender<Result<(), BleError>>>,
    ) {
        match self.engine.send(sdu) {
            Ok(()) => {
                self.queued += 1;
                if let Some(done) = done {
                    self.pending.push_back((self.queued, done));
                }
            }
            Err(e) => {
                if let Some(done) = done {
                    let _ = done.send(Err(match e {
                        FramingError::Closed => BleError::Closed,
                        _ => BleError::InvalidMessage("the SDU is too large"),
                    }));
                }
            }
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Open { permit, reply } => {
                let (id, incoming) = self.routes.open_central(permit);
                if reply.send((id, incoming)).is_err() {
                    self.routes.remove(id);
                }
            }
            Command::Send {
                exchange,
                flags,
                kind,
                payload,
                done,
            } => {
                let id = match exchange {
                    Some(id) if self.routes.is_open(id) => id,
                    Some(_) => {
                        // Ended meanwhile (the peer reset it): a RESET of ours is moot.
                        if let Some(done) = done {
                            let _ = done.send(Err(BleError::ExchangeEnded));
                        }
                        return;
                    }
                    None => self.routes.next_peripheral(),
                };
                if exchange.is_some() {
                    self.routes.sent(id, flags);
                }
                self.queue_sdu(sdu_codec::encode(id, flags, kind, &payload), done);
            }
            Command::Forget { exchange } => self.routes.remove(exchange),
            Command::Close { done } => {
                self.we_close = true;
                let now = self.now();
                self.engine.close(now);
                self.close_waiters.push(done);
            }
        }
    }

    /// Sends RESET `code` on `id` ([BLE-15]) and remembers that the ID was refused.
    pub(super) fn refuse(&mut self, id: u16, code: u8) {
        self.routes.remember_reset(id);
        self.queue_sdu(sdu_codec::reset(id, code), None);
    }

    /// Waits up to `limit` for the peer to disconnect, then disconnects.
    async fn disconnect_after(&self, events: &mut mpsc::Receiver<RadioEvent>, limit: Duration) {
        let wait = async {
            while let Some(event) = events.recv().await {
                if event == RadioEvent::Disconnected {
                    break;
                }
            }
        };
        if tokio::time::timeout(limit, wait).await.is_err() {
            self.radio.disconnect();
        }
    }

    async fn finish(mut self, reason: BleError, mut events: mpsc::Receiver<RadioEvent>) {
        *lock(&self.shared.ended) = Some(reason.clone());
        self.shared.closing.store(true, Ordering::Release);
        self.shared.slots.close();
        *lock(&self.shared.stats) = self.engine.stats();
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(Err(reason.clone()));
        }
        for (_, done) in self.pending.drain(..) {
            let _ = done.send(Err(reason.clone()));
        }
        // Dropping the routes and inbox senders ends every exchange and accept call.
        self.routes.clear();
        self.exchanges = None;
        self.unsolicited = None;
        match reason {
            BleError::Disconnected => {}
            // [BLE-14]: the peer that answered close-ack waits for the closer to disconnect
            // (its last notification must not be cut off), up to the close timeout.
            BleError::Closed if !self.we_close => {
                self.disconnect_after(&mut events, self.config.close_timeout)
                    .await;
            }
            // [BLE-10]: the error frame was written; a stack may send a terminate ahead of
            // notifications still queued, so the node gives the frame a moment to go out
            // (the peer disconnects on reading it, [BLE-34]) before it disconnects itself.
            BleError::Framing(_) => self.disconnect_after(&mut events, ERROR_GRACE).await,
            // [BLE-14]: the closer ends the connection.
            _ => self.radio.disconnect(),
        }
        for done in self.close_waiters.drain(..) {
            let _ = done.send(());
        }
    }
}

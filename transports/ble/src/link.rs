//! The async link (feature `tokio`): an Orbit link over one Bluetooth connection, shaped like
//! `orbit_quic`'s. Exchanges ([BLE-16]) carry the pairing, session and protected messages of
//! one request and its answer; device-initiated messages travel alone ([BLE-17]).
//!
//! One task per link owns the [`Engine`] and the radio: it feeds
//! [`RadioEvent`]s in, writes the engine's values out, sleeps until its next deadline, and
//! routes whole SDUs ([BLE-15]) to exchanges by ID through bounded channels.
//!
//! ```no_run
//! # async fn demo(link: orbit_ble::link::Link) -> Result<(), orbit_ble::link::BleError> {
//! // Central: one request, one answer: one SDU each way (END rides on the message).
//! let mut exchange = link.open_exchange().await?;
//! exchange.send_frame(3, b"request").await?;
//! exchange.finish()?;
//! let answer = exchange.recv_frame().await?;
//! # let _ = answer; Ok(()) }
//! ```

mod driver;
mod error;
mod exchange;
mod routes;
mod sdu_codec;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

pub use self::error::BleError;
pub use self::exchange::Exchange;
use crate::engine::{Engine, FramingConfig, FramingStats};
use crate::radio::{Radio, RadioEvent};
use driver::Driver;
use sdu_codec::{FLAG_END, MAX_PAYLOAD};

/// At most this many central-opened exchanges are open per link ([BLE-16]).
pub const MAX_CENTRAL_EXCHANGES: usize = 8;

/// Device-initiated messages buffered for `accept_unsolicited`; beyond, they are refused with
/// RESET `limit-exceeded` instead of buffered without bound.
const UNSOLICITED_BUFFER: usize = 64;

/// One message of an exchange: its [QUIC-9] kind and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// 1 pairing, 2 session, 3 protected ([QUIC-9]).
    pub kind: u8,
    /// The message.
    pub payload: Vec<u8>,
}

/// Which end of the Bluetooth connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Central,
    Peripheral,
}

/// What exchanges and link handles ask of the link's task.
pub(crate) enum Command {
    /// Open a central exchange: an ID not open, and its receiving channel.
    Open {
        permit: OwnedSemaphorePermit,
        reply: oneshot::Sender<(u16, mpsc::Receiver<Incoming>)>,
    },
    /// Send one SDU; `exchange` is `None` for a device-initiated message on a new ID.
    Send {
        exchange: Option<u16>,
        flags: u8,
        kind: u8,
        payload: Vec<u8>,
        done: Option<oneshot::Sender<Result<(), BleError>>>,
    },
    /// An exchange that never reached the wire is dropped.
    Forget { exchange: u16 },
    /// Close gracefully ([BLE-14]); answered once the link has ended.
    Close { done: oneshot::Sender<()> },
}

/// What the task hands an exchange.
#[derive(Debug)]
pub(crate) enum Incoming {
    Message(Message),
    /// The peer's END.
    End,
    /// The exchange ended by a reset (the peer's, or ours because of what the peer sent).
    Failed(BleError),
}

/// State the task shares with the handles.
#[derive(Debug)]
pub(crate) struct Shared {
    role: Role,
    /// Why the link ended; `None` while it runs.
    ended: Mutex<Option<BleError>>,
    /// A close began or the link ended.
    closing: AtomicBool,
    stats: Mutex<FramingStats>,
    /// Central exchange slots ([BLE-16]); closed when the link ends.
    slots: Arc<Semaphore>,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Shared {
    /// Why the link ended, or [`BleError::Closed`] if it is only closing.
    pub(crate) fn end_reason(&self) -> BleError {
        lock(&self.ended).clone().unwrap_or(BleError::Closed)
    }
}

/// What the link hands out on its own: accepted exchanges and device-initiated messages.
/// Held only by `Link` handles, so dropping them all lets the task see that nobody listens.
#[derive(Debug)]
struct Inbox {
    exchanges: tokio::sync::Mutex<mpsc::Receiver<Exchange>>,
    unsolicited: tokio::sync::Mutex<mpsc::Receiver<Message>>,
}

/// An Orbit link over one Bluetooth connection. Cheap to clone; the link closes gracefully
/// when every handle and exchange is dropped.
#[derive(Clone, Debug)]
pub struct Link {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
    inbox: Arc<Inbox>,
}

impl Link {
    /// The central's link: runs the framing handshake ([BLE-3], [BLE-12]) and returns once it
    /// completed. The ATT MTU is the smaller of `config.att_mtu` and the radio's.
    pub async fn central(
        radio: Arc<dyn Radio>,
        events: mpsc::Receiver<RadioEvent>,
        config: FramingConfig,
    ) -> Result<Link, BleError> {
        let (ready_tx, ready) = oneshot::channel();
        let link = Link::start(Role::Central, radio, events, config, Some(ready_tx));
        match ready.await {
            Ok(Ok(())) => Ok(link),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(link.shared.end_reason()),
        }
    }

    /// The peripheral's link, from the central's subscription on: the handshake runs in the
    /// background (the handshake timer starts now, [BLE-13]).
    pub fn peripheral(
        radio: Arc<dyn Radio>,
        events: mpsc::Receiver<RadioEvent>,
        config: FramingConfig,
    ) -> Link {
        Link::start(Role::Peripheral, radio, events, config, None)
    }

    fn start(
        role: Role,
        radio: Arc<dyn Radio>,
        events: mpsc::Receiver<RadioEvent>,
        config: FramingConfig,
        ready: Option<oneshot::Sender<Result<(), BleError>>>,
    ) -> Link {
        let config = FramingConfig {
            att_mtu: config.att_mtu.min(radio.att_mtu()),
            ..config
        };
        let shared = Arc::new(Shared {
            role,
            ended: Mutex::new(None),
            closing: AtomicBool::new(false),
            stats: Mutex::new(FramingStats::default()),
            slots: Arc::new(Semaphore::new(MAX_CENTRAL_EXCHANGES)),
        });
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (exchanges_tx, exchanges) = mpsc::channel(MAX_CENTRAL_EXCHANGES);
        let (unsolicited_tx, unsolicited) = mpsc::channel(UNSOLICITED_BUFFER);
        let epoch = tokio::time::Instant::now();
        let engine = match role {
            Role::Central => Engine::central(config, std::time::Duration::ZERO),
            Role::Peripheral => Engine::peripheral(config, std::time::Duration::ZERO),
        };
        let driver = Driver::new(driver::Parts {
            engine,
            config,
            radio,
            shared: shared.clone(),
            epoch,
            commands: commands.downgrade(),
            exchanges: exchanges_tx,
            unsolicited: unsolicited_tx,
            ready,
        });
        tokio::spawn(driver.run(commands_rx, events));
        Link {
            shared,
            commands,
            inbox: Arc::new(Inbox {
                exchanges: tokio::sync::Mutex::new(exchanges),
                unsolicited: tokio::sync::Mutex::new(unsolicited),
            }),
        }
    }

    fn require(&self, role: Role, who: &'static str) -> Result<(), BleError> {
        if self.shared.role == role {
            Ok(())
        } else {
            Err(BleError::WrongRole(who))
        }
    }

    /// `Ok(None)` after a graceful close, the error otherwise.
    fn ended<T>(&self) -> Result<Option<T>, BleError> {
        match self.shared.end_reason() {
            BleError::Closed => Ok(None),
            e => Err(e),
        }
    }

    /// Opens an exchange (central only, [BLE-16]). Waits while 8 are open.
    pub async fn open_exchange(&self) -> Result<Exchange, BleError> {
        self.require(Role::Central, "central")?;
        let permit = self
            .shared
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| self.shared.end_reason())?;
        let (reply, opened) = oneshot::channel();
        self.commands
            .send(Command::Open { permit, reply })
            .map_err(|_| self.shared.end_reason())?;
        let (id, incoming) = opened.await.map_err(|_| self.shared.end_reason())?;
        Ok(Exchange::new(
            id,
            false,
            self.commands.clone(),
            self.shared.clone(),
            incoming,
        ))
    }

    /// The next exchange the central opened (peripheral only, [BLE-16]); `Ok(None)` once the
    /// link closed gracefully.
    pub async fn accept_exchange(&self) -> Result<Option<Exchange>, BleError> {
        self.require(Role::Peripheral, "peripheral")?;
        match self.inbox.exchanges.lock().await.recv().await {
            Some(exchange) => Ok(Some(exchange)),
            None => self.ended(),
        }
    }

    /// Sends one device-initiated message alone on a new exchange, with END (peripheral
    /// only, [BLE-17]). Returns once it was written to the radio.
    pub async fn send_unsolicited(&self, kind: u8, payload: &[u8]) -> Result<(), BleError> {
        self.require(Role::Peripheral, "peripheral")?;
        check_message(kind, payload)?;
        let (done, sent) = oneshot::channel();
        self.commands
            .send(Command::Send {
                exchange: None,
                flags: FLAG_END,
                kind,
                payload: payload.to_vec(),
                done: Some(done),
            })
            .map_err(|_| self.shared.end_reason())?;
        sent.await.unwrap_or_else(|_| Err(self.shared.end_reason()))
    }

    /// The next device-initiated message (central only, [BLE-17]); `Ok(None)` once the link
    /// closed gracefully.
    pub async fn accept_unsolicited(&self) -> Result<Option<Message>, BleError> {
        self.require(Role::Central, "central")?;
        match self.inbox.unsolicited.lock().await.recv().await {
            Some(message) => Ok(Some(message)),
            None => self.ended(),
        }
    }

    /// Closes gracefully ([BLE-14]): everything queued on both sides is delivered, then the
    /// link ends on close-ack, or after the close timeout (5 s).
    pub async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.commands.send(Command::Close { done }).is_ok() {
            // Err: the task ended, so the link is closed as well.
            let _ = closed.await;
        }
    }

    /// A close began, or the link ended.
    pub fn is_closed(&self) -> bool {
        self.shared.closing.load(Ordering::Acquire)
    }

    /// What the framing moved so far.
    pub fn stats(&self) -> FramingStats {
        *lock(&self.shared.stats)
    }
}

/// [BLE-15] [BLE-19]: a message has kind 1..=3 and 1..=16384 bytes.
pub(crate) fn check_message(kind: u8, payload: &[u8]) -> Result<(), BleError> {
    if !sdu_codec::is_known_kind(kind) {
        return Err(BleError::InvalidMessage("the kind must be 1, 2 or 3"));
    }
    if payload.is_empty() || payload.len() > MAX_PAYLOAD {
        return Err(BleError::InvalidMessage(
            "the payload must be 1 to 16384 bytes",
        ));
    }
    Ok(())
}

//! A connected device: a session over a QUIC link and the interaction client. Requests run
//! concurrently, each on its own exchange; reports arrive on the device's unidirectional
//! streams and go to the subscription they belong to.

use super::error::{Cause, ControllerError, InPhase, Phase};
use super::handshakes::ANSWER_TIMEOUT;
use super::limits;
use crate::link::{ErrorCode, FrameKind, Link, Peer};
use orbit_core::interaction::{
    AttributeReport, Client, ClientEvent, CommandPath, EventRecord, PathStatus, ReadRequest,
    SubscribeRequest, WriteRequest,
};
use orbit_core::model::{Data, Descriptor, DeviceLimits};
use orbit_core::protect::Protector;
use orbit_core::session::Established;
use orbit_core::status::Status;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// One report of a subscription.
#[derive(Clone, Debug, PartialEq)]
pub struct SubscriptionReport {
    /// The subscription.
    pub subscription: u32,
    /// Attribute values (or statuses).
    pub attributes: Vec<AttributeReport>,
    /// Events, in event-number order.
    pub events: Vec<EventRecord>,
}

/// What a subscription's stream yields.
#[derive(Clone, Debug, PartialEq)]
pub enum SubscriptionUpdate {
    /// A report (the initial one, a change, or an empty keep-alive).
    Report(SubscriptionReport),
    /// No report came within the keep-alive interval plus grace `[IM-64]`: the device is
    /// gone or the subscription was lost. Resubscribe or reconnect.
    Lost,
}

struct Inner {
    protector: Protector,
    client: Client,
    subscribers: HashMap<u32, mpsc::UnboundedSender<SubscriptionUpdate>>,
}

struct Shared {
    inner: Mutex<Inner>,
    /// Which link is the connection's current one: each handoff counts one up, so that the
    /// end of a link that was handed off does not read as the loss of every subscription
    /// ([BLE-28]).
    generation: std::sync::atomic::AtomicU64,
    /// Wakes the timer task when a subscription starts (it sleeps while there is none).
    subscribed: tokio::sync::Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A session with one device. Cheap to share between tasks (`Arc` inside); every operation
/// may run concurrently with the others.
pub struct DeviceConnection {
    /// The link new exchanges go on; a handoff replaces it ([BLE-26], [BLE-29]).
    link: Mutex<Link>,
    shared: Arc<Shared>,
    session: Established,
    /// The ticket the device issued with this session, as the store keeps it.
    ticket: Option<super::state::StoredTicket>,
    /// The limits from the device's descriptor, once known, to check requests against
    /// before sending them `[IM-110]`.
    device_limits: Mutex<Option<DeviceLimits>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for DeviceConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceConnection")
            .field("peer", &self.link().remote_address())
            .field("resumed", &self.session.resumed)
            .finish_non_exhaustive()
    }
}

/// A subscription: its ID, its initial report and the stream of later ones.
#[derive(Debug)]
pub struct Subscription {
    /// The device's subscription ID.
    pub id: u32,
    /// The initial report.
    pub initial: SubscriptionReport,
    /// The negotiated maximum interval: a report (at least a keep-alive) comes at least this
    /// often `[IM-63]`.
    pub max_interval: Duration,
    /// Later reports, in order.
    pub updates: mpsc::UnboundedReceiver<SubscriptionUpdate>,
}

impl DeviceConnection {
    pub(crate) fn new(link: Link, mut session: Established) -> Result<Self, ControllerError> {
        let ticket = session
            .ticket
            .take()
            .map(|t| super::state::StoredTicket::from_ticket(&t));
        let protector = Protector::new(
            session.session_keys(),
            orbit_core::protect::ProtectConfig::default(),
        )
        .in_phase(Phase::Session)?;
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                protector,
                client: Client::new(),
                subscribers: HashMap::new(),
            }),
            subscribed: tokio::sync::Notify::new(),
            generation: std::sync::atomic::AtomicU64::new(0),
        });
        let reports = tokio::spawn(report_loop(link.clone(), shared.clone(), 0));
        let timers = tokio::spawn(timer_loop(shared.clone()));
        Ok(DeviceConnection {
            link: Mutex::new(link),
            shared,
            session,
            ticket,
            device_limits: Mutex::new(None),
            tasks: Mutex::new(vec![reports, timers]),
        })
    }

    /// The link new exchanges go on now.
    pub(crate) fn link(&self) -> Link {
        self.link.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Makes `link` the connection's link for new exchanges and starts taking reports from
    /// it, and returns the link it replaces. Reports still arriving on the old link are taken
    /// until it ends, and its end no longer counts as the loss of the subscriptions
    /// ([BLE-28]). The session (keys, counters, replay window) is the same on both
    /// ([MSG-3], [MSG-19]).
    pub(crate) fn adopt(&self, link: Link) -> Link {
        use std::sync::atomic::Ordering;
        let generation = self.shared.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let reports = tokio::spawn(report_loop(link.clone(), self.shared.clone(), generation));
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        // Report loops of links that ended are done: keep only the live tasks.
        tasks.retain(|t| !t.is_finished());
        tasks.push(reports);
        std::mem::replace(
            &mut *self.link.lock().unwrap_or_else(|p| p.into_inner()),
            link,
        )
    }

    /// Whether the session was resumed from a ticket rather than fully authenticated anew.
    pub fn resumed(&self) -> bool {
        self.session.resumed
    }

    /// The device's address, in the terms of the transport that reaches it.
    pub fn remote_address(&self) -> Peer {
        self.link().remote_address()
    }

    /// Remembers the device's limits (from its descriptor) for checking requests.
    pub(crate) fn set_device_limits(&self, limits: DeviceLimits) {
        *self.device_limits.lock().unwrap_or_else(|p| p.into_inner()) = Some(limits);
    }

    fn device_limits(&self) -> Option<DeviceLimits> {
        *self.device_limits.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks a request of `count` paths against the limits known `[IM-110]`.
    fn check_paths(&self, count: usize) -> Result<(), ControllerError> {
        limits::check_paths(count, self.device_limits().as_ref()).in_phase(Phase::Request)
    }

    /// The ticket for resuming this session later, if the device issued one.
    pub(crate) fn stored_ticket(&self) -> Option<super::state::StoredTicket> {
        self.ticket.clone()
    }

    /// Runs one exchange: sends the sealed `first` on a new stream and collects answers until
    /// the client reports the exchange's outcome. Follow-ups (a timed request's write) go on
    /// the same stream.
    async fn exchange(&self, first: Vec<u8>, follow_up: bool) -> Result<ClientEvent, Cause> {
        let mut ex = self.link().open_exchange().await?;
        let mut pending = Some(first);
        // Without a follow-up (only a timed request has one), the request is this side's last
        // frame: finishing at once frees the stream on both sides a half round trip earlier
        // [QUIC-6].
        let mut finish_after_send = !follow_up;
        loop {
            if let Some(sealed) = pending.take() {
                ex.send_frame(FrameKind::PROTECTED, &sealed).await?;
                if finish_after_send {
                    let _ = ex.finish();
                }
                finish_after_send = true;
            }
            // The caller bounds the whole exchange with one timeout.
            let mut frame = match ex.recv_frame().await? {
                Some(f) if f.kind == FrameKind::PROTECTED => f.payload.to_vec(),
                Some(_) => return Err(Cause::Unexpected),
                None => return Err(Cause::Cut),
            };
            let event = {
                let mut guard = self.shared.lock();
                let inner = &mut *guard;
                let plain = inner.protector.open(&mut frame)?.payload;
                let event = inner.client.handle(Instant::now(), plain)?;
                pending = match inner.client.poll_transmit() {
                    Some(next) => Some(seal(&mut inner.protector, &next)?),
                    None => None,
                };
                event
            };
            if let Some(e) = event {
                let _ = ex.finish();
                // The device finishes with its last answer: read that end too, so the stream
                // is not dropped unread (which would cost a STOP_SENDING packet).
                while let Ok(Some(_)) = ex.recv_frame().await {}
                return Ok(e);
            }
        }
    }

    /// Builds a request with the interaction client, seals it (both under one lock) and runs
    /// its exchange within [`ANSWER_TIMEOUT`].
    async fn run(
        &self,
        build: impl FnOnce(&mut Client, Instant) -> Vec<u8>,
        follow_up: bool,
    ) -> Result<ClientEvent, ControllerError> {
        let first = {
            let mut guard = self.shared.lock();
            let inner = &mut *guard;
            let plain = build(&mut inner.client, Instant::now());
            // [IM-110] a request over [IM-4]'s size is refused here, naming the limit; the
            // client's entry for it expires with its request timeout.
            limits::check_size(plain.len()).in_phase(Phase::Request)?;
            seal(&mut inner.protector, &plain).in_phase(Phase::Session)?
        };
        match tokio::time::timeout(ANSWER_TIMEOUT, self.exchange(first, follow_up)).await {
            Ok(r) => r.in_phase(Phase::Session),
            Err(_) => Err(ControllerError::new(
                Phase::Session,
                Cause::Timeout(ANSWER_TIMEOUT),
            )),
        }
    }

    /// Fetches the device's descriptor and checks its signature against the device's
    /// operational key from the session `[IM-70]`, `[DM-41]`.
    pub async fn describe(&self) -> Result<(Descriptor, Vec<u8>), ControllerError> {
        match self.run(|c, now| c.describe(now).1, false).await? {
            ClientEvent::Described {
                descriptor,
                signature,
                ..
            } => {
                let d = Descriptor::verify(&descriptor, &signature, &self.session.peer.public_key)
                    .map_err(|e| ControllerError::new(Phase::Describe, Cause::Descriptor(e)))?;
                self.set_device_limits(d.limits);
                Ok((d, descriptor))
            }
            other => Err(unexpected(other)),
        }
    }

    /// Reads attributes and events `[IM-20]`.
    pub async fn read(
        &self,
        request: ReadRequest,
    ) -> Result<(Vec<AttributeReport>, Vec<EventRecord>), ControllerError> {
        self.check_paths(request.attributes.len() + request.events.len())?;
        match self.run(|c, now| c.read(now, request).1, false).await? {
            ClientEvent::ReadDone {
                attributes, events, ..
            } => Ok((attributes, events)),
            other => Err(unexpected(other)),
        }
    }

    /// Writes attributes; one status per entry `[IM-22]`.
    pub async fn write(&self, request: WriteRequest) -> Result<Vec<PathStatus>, ControllerError> {
        self.check_paths(request.writes.len())?;
        let timed = request.timed;
        match self.run(|c, now| c.write(now, request).1, timed).await? {
            ClientEvent::Written { statuses, .. } => Ok(statuses),
            other => Err(unexpected(other)),
        }
    }

    /// Invokes a command; timed commands need `timed` `[IM-40]`.
    pub async fn invoke(
        &self,
        path: CommandPath,
        args: Data,
        timed: bool,
    ) -> Result<Result<Data, Status>, ControllerError> {
        match self
            .run(|c, now| c.invoke(now, path, args, timed).1, timed)
            .await?
        {
            ClientEvent::Invoked { result, .. } => Ok(result),
            other => Err(unexpected(other)),
        }
    }

    /// Subscribes `[IM-60]`: returns the initial report and a stream of later ones.
    pub async fn subscribe(
        &self,
        request: SubscribeRequest,
    ) -> Result<Subscription, ControllerError> {
        limits::check_intervals(&request).in_phase(Phase::Request)?;
        self.check_paths(request.attributes.len() + request.events.len())?;
        match self
            .run(|c, now| c.subscribe(now, request).1, false)
            .await?
        {
            ClientEvent::Subscribed {
                subscription,
                max_interval_s,
                attributes,
                events,
                ..
            } => {
                let (tx, rx) = mpsc::unbounded_channel();
                self.shared.lock().subscribers.insert(subscription, tx);
                self.shared.subscribed.notify_one();
                Ok(Subscription {
                    id: subscription,
                    initial: SubscriptionReport {
                        subscription,
                        attributes,
                        events,
                    },
                    max_interval: Duration::from_secs(max_interval_s.into()),
                    updates: rx,
                })
            }
            other => Err(unexpected(other)),
        }
    }

    /// Ends a subscription.
    pub async fn unsubscribe(&self, subscription: u32) -> Result<(), ControllerError> {
        self.shared.lock().subscribers.remove(&subscription);
        match self
            .run(|c, now| c.unsubscribe(now, subscription).1, false)
            .await?
        {
            ClientEvent::Unsubscribed { .. } => Ok(()),
            ClientEvent::Failed { status, .. } => {
                Err(ControllerError::new(Phase::Session, Cause::Status(status)))
            }
            other => Err(unexpected(other)),
        }
    }

    /// Closes the connection.
    pub fn close(&self) {
        self.link().close(ErrorCode::NO_ERROR, "bye");
    }
}

impl Drop for DeviceConnection {
    fn drop(&mut self) {
        for t in self.tasks.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            t.abort();
        }
        // [QUIC-44] the device learns at once that the connection is over, whatever path
        // dropped it (an error, a cancelled task), rather than by its idle timeout.
        self.link().close(ErrorCode::NO_ERROR, "bye");
    }
}

fn unexpected(event: ClientEvent) -> ControllerError {
    match event {
        ClientEvent::Failed { status, .. } => {
            ControllerError::new(Phase::Session, Cause::Status(status))
        }
        _ => ControllerError::new(Phase::Session, Cause::Unexpected),
    }
}

fn seal(protector: &mut Protector, plain: &[u8]) -> Result<Vec<u8>, Cause> {
    let mut out = Vec::with_capacity(plain.len() + orbit_core::protect::OVERHEAD);
    protector.seal(plain, &mut out)?;
    Ok(out)
}

/// Takes reports from the device's unidirectional streams and hands them to subscribers.
async fn report_loop(link: Link, shared: Arc<Shared>, generation: u64) {
    loop {
        let frame = match link.accept_unsolicited().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            // One bad report stream ends only itself [QUIC-14]; the connection goes on.
            Err(e) if e.is_stream_error() => {
                tracing::debug!(error = %e, "report stream dropped");
                continue;
            }
            Err(e) => {
                tracing::debug!(error = %e, "report stream ended");
                break;
            }
        };
        if frame.kind != FrameKind::PROTECTED {
            continue;
        }
        let mut bytes = frame.payload.to_vec();
        let mut inner = shared.lock();
        let plain = match inner.protector.open(&mut bytes) {
            Ok(o) => o.payload.to_vec(),
            Err(e) => {
                tracing::debug!(error = %e, "report dropped");
                continue;
            }
        };
        match inner.client.handle(Instant::now(), &plain) {
            Ok(Some(ClientEvent::Report {
                subscription,
                attributes,
                events,
            })) => {
                if let Some(tx) = inner.subscribers.get(&subscription) {
                    let _ = tx.send(SubscriptionUpdate::Report(SubscriptionReport {
                        subscription,
                        attributes,
                        events,
                    }));
                }
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "report refused"),
        }
    }
    // The connection is gone: every subscription is lost with it, unless it was handed off
    // and a newer link carries them now [BLE-28].
    if shared.generation.load(std::sync::atomic::Ordering::SeqCst) != generation {
        return;
    }
    let inner = shared.lock();
    for tx in inner.subscribers.values() {
        let _ = tx.send(SubscriptionUpdate::Lost);
    }
}

/// Runs the client's subscription-loss timers `[IM-64]`.
async fn timer_loop(shared: Arc<Shared>) {
    loop {
        let next = shared.lock().client.poll_timeout();
        match next {
            // A new subscription may be due earlier than the deadline slept on.
            Some(t) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(t.into()) => {}
                    _ = shared.subscribed.notified() => continue,
                }
            }
            // Nothing to watch: sleep until a subscription starts, not on a fixed tick, so an
            // idle connection costs no wake-ups.
            None => shared.subscribed.notified().await,
        }
        let mut inner = shared.lock();
        for event in inner.client.handle_timeout(Instant::now()) {
            if let ClientEvent::SubscriptionLost { subscription } = event {
                if let Some(tx) = inner.subscribers.remove(&subscription) {
                    let _ = tx.send(SubscriptionUpdate::Lost);
                }
            }
        }
    }
}

//! Runs a device on QUIC: accepts connections, serves each exchange stream in its own task,
//! sends subscription reports when the node's timers fire, and saves the state when it
//! changes. A bad peer costs only its own connection or exchange.

use super::adverts::Adverts;
use super::core::{DeviceCore, Effects, RouteId};
use super::handshakes::{serve_pairing, serve_session};
use super::identity::DeviceIdentity;
use super::persist::DeviceState;
use super::saver::{device_key, Durable, Saver};
use super::DeviceError;
use crate::link::{ErrorCode, Exchange, FrameKind, Link, LinkError, OwnedFrame};
use orbit_core::device::DeviceNode;
use orbit_core::pairing::PairingWindow;
use orbit_core::session::{TicketStore, MAX_PENDING_HANDSHAKES};
use orbit_core::setup::SetupPayload;
use orbit_quic::{QuicConfig, Server};
use orbit_store::Store;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio::task::JoinHandle;

/// Reports queued for one connection before newer ones are dropped.
const REPORT_QUEUE: usize = 64;

/// How long the device waits for the first frame of an exchange.
const FIRST_FRAME_TIMEOUT: Duration = Duration::from_secs(10);

/// How a device runs.
#[derive(Clone, Debug)]
pub struct DeviceConfig {
    /// The UDP address to listen on.
    pub listen: SocketAddr,
    /// QUIC limits and timeouts.
    pub quic: QuicConfig,
    /// The most sessions (PASE and operational) the device holds at once.
    pub max_sessions: usize,
    /// The pairing window opened at start when the device belongs to no home `[PAIR-23]`.
    pub initial_window: Option<Duration>,
    /// Where to advertise with DNS-SD (`None`: not at all; controllers then need the
    /// device's address).
    pub discovery: Option<orbit_discovery::DiscoveryConfig>,
    /// How long each commissioning state waits for the controller's next message
    /// `[COMM-16]`, and the fail-safe for the next step `[LIMIT-15]`: one bound for both, so
    /// that the `timeout` report, the end of the PASE session and the rollback happen together
    /// `[COMM-35]`. The default is the spec's 60 s; a longer value is cut to that.
    pub commissioning_timeout: Duration,
    /// Checks the device skips, to prove that the conformance suite catches a device that
    /// breaks a rule (`conformance-faults` feature only; none by default).
    #[cfg(feature = "conformance-faults")]
    pub faults: orbit_core::faults::Faults,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        DeviceConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            quic: QuicConfig::default(),
            max_sessions: 256,
            initial_window: Some(orbit_core::pairing::DEFAULT_WINDOW_DURATION),
            discovery: None,
            commissioning_timeout: orbit_core::commission::COMMISSIONING_TIMEOUT,
            #[cfg(feature = "conformance-faults")]
            faults: orbit_core::faults::Faults::NONE,
        }
    }
}

/// State shared by the device's tasks.
pub(crate) struct Shared {
    core: Mutex<DeviceCore>,
    /// Each open connection, with its queue of sealed reports once it has had one.
    routes: Mutex<HashMap<RouteId, Route>>,
    next_route: AtomicU64,
    wake: Notify,
    /// The deadline the timer task sleeps until, so that a request wakes it only when it
    /// made something due earlier.
    timer_deadline: Mutex<Option<Instant>>,
    pub(crate) handshakes: Semaphore,
    /// Sessions whose sigma3 is still due, and the messages that overtook it `[SESS-39]`.
    pub(crate) early: super::early::EarlyMessages,
    /// Writes the state to the device's store, if it has one `[DM-66]`.
    pub(crate) saver: Option<Saver>,
}

impl Shared {
    /// The core, even if a task panicked while holding it (its state stays consistent
    /// between calls, which never unwind halfway through a transition).
    pub(crate) fn lock(&self) -> MutexGuard<'_, DeviceCore> {
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Has the timer task look at the core's deadlines again (a new commissioning's
    /// deadline may be due before the time it sleeps until, `[QUIC-24]`).
    pub(crate) fn wake_timers(&self) {
        self.wake.notify_one();
    }

    /// The window's closing time while it is open now: each opening has its own, so it also
    /// tells one opening from the next `[DISC-6]`.
    pub(crate) fn window_opening(&self) -> Option<Instant> {
        match self.lock().window.state(Instant::now()) {
            orbit_core::pairing::WindowState::Open { closes_at } => Some(closes_at),
            _ => None,
        }
    }

    /// Whether the pairing window accepts a handshake now.
    pub(crate) fn is_window_open(&self) -> bool {
        matches!(
            self.lock().window.state(Instant::now()),
            orbit_core::pairing::WindowState::Open { .. }
        )
    }

    /// Root public key, home ID and node ID of each home the device belongs to.
    pub(crate) fn operational_identities(
        &self,
    ) -> Vec<([u8; 32], orbit_core::cert::HomeId, orbit_core::cert::NodeId)> {
        self.lock()
            .homes
            .iter()
            .map(|m| (m.root.public_key().0, m.home_id(), m.node_id()))
            .collect()
    }

    fn routes(&self) -> MutexGuard<'_, HashMap<RouteId, Route>> {
        self.routes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Saves the device state if a store is attached (after commissioning is confirmed,
    /// access control or persistent value changes, pairing failures `[PAIR-27]`, new
    /// resumption tickets) and waits until the store has it: `false` if the save failed,
    /// and the state in memory went back to the stored one `[STATUS-4]`.
    ///
    /// The saver writes one state at a time, each captured after the previous one was
    /// written, so a newer state is never overwritten by an older snapshot `[DM-66]`.
    pub(crate) async fn persist(&self) -> bool {
        let pending = {
            let _core = self.lock();
            self.saver.as_ref().map(Saver::request_and_wait)
        };
        match pending {
            Some(p) => p.stored().await,
            None => true,
        }
    }

    /// Whether the core, after a change, wants the timer task before the time it sleeps until.
    /// Called with the core locked, as the timer task records its deadline with the core
    /// locked, so that no change can fall between the two.
    fn due_earlier(&self, deadline: Option<Instant>) -> bool {
        let Some(d) = deadline else { return false };
        let sleeping_until = *self
            .timer_deadline
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        sleeping_until.is_none_or(|s| d < s)
    }

    /// Asks for a save of the state as it is now, without waiting for it (the pairing
    /// failure count, which no answer acknowledges, `[PAIR-27]`).
    pub(crate) fn persist_soon(&self) {
        let _core = self.lock();
        if let Some(saver) = &self.saver {
            saver.request();
        }
    }

    /// Asks for a save when the effects call for one, without waiting for it.
    fn apply(&self, effects: Effects) {
        if let (true, Some(saver)) = (effects.persist, &self.saver) {
            saver.request();
        }
    }
}

/// A device serving on QUIC. Dropping it stops the device.
pub struct Device {
    shared: Arc<Shared>,
    server: Arc<Server>,
    setup: SetupPayload,
    tasks: Vec<JoinHandle<()>>,
    /// The BLE peripheral role, one per device so that every user of it sees the same
    /// operational nonce ([BLE-22]).
    ble: super::BlePeripheral,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("local_addr", &self.server.local_addr().ok())
            .finish_non_exhaustive()
    }
}

impl Device {
    /// Starts `node` with `identity` and no persisted state (an in-memory device).
    pub async fn start(
        node: DeviceNode,
        identity: DeviceIdentity,
        config: DeviceConfig,
    ) -> Result<Device, DeviceError> {
        Self::launch(
            node,
            identity,
            orbit_core::cert::HomeTable::default(),
            None,
            TicketStore::default(),
            None,
            config,
        )
        .await
    }

    /// Starts the device kept in `store`: its identity, homes, access control and persistent
    /// values are loaded from it; a store without a device is given `manufacture()`'s
    /// identity, which is saved at once. `build` makes the node (the device's capabilities
    /// and behaviour) at the start time.
    pub async fn open(
        store: Arc<dyn Store>,
        build: impl FnOnce(Instant) -> Result<DeviceNode, DeviceError>,
        manufacture: impl FnOnce() -> Result<DeviceIdentity, DeviceError>,
        config: DeviceConfig,
    ) -> Result<Device, DeviceError> {
        let mut node = build(Instant::now())?;
        let existing: Option<DeviceState> = orbit_store::load_doc(store.as_ref(), &device_key()?)?;
        let (identity, homes, window, tickets) = match existing {
            Some(state) => {
                let homes = state.homes()?;
                state.restore_node(&mut node, &homes)?;
                // [PAIR-27] failures survive a restart.
                let window = PairingWindow::restore(
                    state.pairing_failures,
                    state.pairing_locked,
                    Instant::now(),
                );
                let tickets = state.tickets(super::core::unix_now());
                (state.identity()?, homes, Some(window), tickets)
            }
            None => (
                manufacture()?,
                orbit_core::cert::HomeTable::default(),
                None,
                TicketStore::default(),
            ),
        };
        Self::launch(node, identity, homes, window, tickets, Some(store), config).await
    }

    async fn launch(
        node: DeviceNode,
        identity: DeviceIdentity,
        homes: orbit_core::cert::HomeTable,
        window: Option<PairingWindow>,
        tickets: TicketStore,
        store: Option<Arc<dyn Store>>,
        config: DeviceConfig,
    ) -> Result<Device, DeviceError> {
        let setup = identity.setup;
        // No stored window: the device was just made, and its identity must reach the store.
        let window_was_new = window.is_none();
        let mut window = window.unwrap_or_default();
        if homes.is_empty() {
            if let Some(d) = config.initial_window {
                // At power-up the persisted failure count and its back-off stay [PAIR-27];
                // a locked-out device stays locked until someone opens it on purpose.
                if let Err(e) = window.open_at_power_up(Instant::now(), d) {
                    tracing::warn!(error = %e, "pairing window not opened at start");
                }
            }
        }
        let manufactured = homes.is_empty() && window_was_new;
        let mut core = DeviceCore::new(node, identity, homes, window, config.max_sessions);
        core.set_commissioning_timeout(config.commissioning_timeout);
        #[cfg(feature = "conformance-faults")]
        core.set_faults(config.faults);
        core.tickets = tickets;
        if let Some(store) = &store {
            super::saver::save_at_start(&mut core, store.as_ref(), manufactured)?;
        }
        let server = Arc::new(Server::bind(config.listen, config.quic.clone())?);
        let shared = Arc::new(Shared {
            core: Mutex::new(core),
            routes: Mutex::new(HashMap::new()),
            next_route: AtomicU64::new(1),
            wake: Notify::new(),
            timer_deadline: Mutex::new(None),
            handshakes: Semaphore::new(MAX_PENDING_HANDSHAKES),
            early: Default::default(),
            saver: store.map(Saver::new),
        });
        let accept = tokio::spawn(accept_loop(shared.clone(), server.clone()));
        let timers = tokio::spawn(timer_loop(shared.clone()));
        let saver = tokio::spawn(super::saver::run(shared.clone()));
        let mut tasks = vec![accept, timers, saver];
        let listening = server.local_addr()?;
        // [BLE-25] a device that declares `network` tells where it accepts QUIC.
        if super::network::declares_network(&shared.lock().node) {
            let value =
                super::network::addresses_value(listening, &super::network::interface_addresses());
            super::network::publish(&mut shared.lock().node, Instant::now(), value);
            if listening.ip().is_unspecified() {
                tasks.push(tokio::spawn(super::network::follow_interfaces(
                    shared.clone(),
                    listening,
                )));
            }
        }
        // [DISC-17] advertise only the addresses the device listens on.
        let discovery = config
            .discovery
            .as_ref()
            .and_then(|d| match super::adverts::advertised(listening.ip(), d) {
                Some(d) => Some(d),
                None => {
                    tracing::warn!(%listening, "not advertising: discovery is configured for addresses the device does not listen on");
                    None
                }
            });
        if let Some(discovery) = &discovery {
            let port = listening.port();
            match orbit_discovery::Advertiser::with_config(discovery) {
                Ok(a) => tasks.push(tokio::spawn(advert_loop(
                    shared.clone(),
                    Adverts::new(a),
                    setup,
                    port,
                ))),
                // Discovery is never the only path [DISC-16]: the device serves anyway.
                Err(e) => tracing::warn!(error = %e, "not advertising on the local network"),
            }
        }
        let ble = super::BlePeripheral::new(
            shared.clone(),
            setup,
            orbit_ble::engine::FramingConfig::default(),
        );
        Ok(Device {
            shared,
            server,
            setup,
            tasks,
            ble,
        })
    }

    /// The address the device listens on.
    pub fn local_addr(&self) -> Result<SocketAddr, DeviceError> {
        Ok(self.server.local_addr()?)
    }

    /// The setup payload printed on the device's label.
    pub fn setup_payload(&self) -> &SetupPayload {
        &self.setup
    }

    /// Opens the pairing window for `duration` (a button press on the device): a deliberate
    /// opening, which lifts a lock-out and resets the failed-attempt count `[PAIR-31]`; the
    /// reset is saved before this returns, so it survives a restart `[PAIR-27]`.
    pub fn open_pairing_window(&self, duration: Duration) -> Result<(), DeviceError> {
        {
            let mut core = self.shared.lock();
            core.window
                .open(Instant::now(), duration)
                .map_err(DeviceError::from)?;
            core.sync_window_attribute(Instant::now());
        }
        super::saver::save_now(&self.shared);
        self.shared.wake.notify_one();
        Ok(())
    }

    /// The device's Bluetooth LE peripheral role: serves centrals that connect over BLE
    /// beside QUIC, with the same sessions ([BLE-30]), and says what to advertise.
    /// Clones share one advert rotation.
    pub fn ble(&self) -> super::BlePeripheral {
        self.ble.clone()
    }

    /// Whether ten failed attempts locked pairing out until a deliberate opening `[PAIR-27]`.
    pub fn is_pairing_locked_out(&self) -> bool {
        self.shared.lock().window.is_locked_out()
    }

    /// Failed pairing attempts counted in the current window (kept across restarts,
    /// `[PAIR-27]`).
    pub fn failed_pairing_attempts(&self) -> u32 {
        self.shared.lock().window.failed_attempts()
    }

    /// Whether the pairing window accepts a handshake now.
    pub fn is_pairing_window_open(&self) -> bool {
        self.shared.is_window_open()
    }

    /// Whether a commissioning is in its fail-safe: paired, and its home (if installed yet)
    /// not confirmed by a session of that home `[COMM-26]`.
    pub fn is_commissioning(&self) -> bool {
        self.shared.lock().fail_safe.is_armed()
    }

    /// Changes state from the device side (a button, a sensor reading); subscriptions report
    /// the change.
    pub fn update<R>(
        &self,
        endpoint: orbit_core::model::EndpointId,
        f: impl FnOnce(&mut orbit_core::device::Context<'_>) -> R,
    ) -> R {
        let r = self.shared.lock().node.update(Instant::now(), endpoint, f);
        self.shared.wake.notify_one();
        r
    }

    /// Runs `f` on the device node with the current time, for device-side helpers that take
    /// the node (a sensor reading, a power measurement); subscriptions report the changes.
    pub fn with_node<R>(&self, f: impl FnOnce(&mut DeviceNode, Instant) -> R) -> R {
        let r = f(&mut self.shared.lock().node, Instant::now());
        self.shared.wake.notify_one();
        r
    }

    /// Reads an attribute's current value on the device.
    pub fn attribute(
        &self,
        attr: orbit_core::interaction::ConcreteAttribute,
    ) -> Option<orbit_core::model::Data> {
        self.shared.lock().node.attribute(attr).cloned()
    }

    /// The homes the device belongs to.
    pub fn homes(&self) -> Vec<orbit_core::cert::HomeId> {
        self.shared.lock().node.homes().collect()
    }

    /// For each home the device belongs to: the home root's public key, the home ID and the
    /// device's node ID, which name its operational advertisement `[DISC-11]`.
    pub fn operational_identities(
        &self,
    ) -> Vec<([u8; 32], orbit_core::cert::HomeId, orbit_core::cert::NodeId)> {
        self.shared
            .lock()
            .homes
            .iter()
            .map(|m| (m.root.public_key().0, m.home_id(), m.node_id()))
            .collect()
    }

    /// Connections the device holds now: `(authenticated, unauthenticated)` `[QUIC-40]`.
    pub fn connection_counts(&self) -> (usize, usize) {
        self.server.connection_counts()
    }

    /// Open sessions (PASE and operational).
    pub fn session_count(&self) -> usize {
        self.shared.lock().session_count()
    }

    /// Stops serving: saves the device state a last time (changes since the last save, such
    /// as a value set from the device side a moment ago, would otherwise wait for the next
    /// timer), closes every connection and the endpoint, and waits until the port is free
    /// again.
    pub async fn shutdown(mut self) {
        self.stop();
        super::saver::save_now(&self.shared);
        self.shared.routes().clear();
        self.server.close();
        self.server.wait_idle().await;
    }

    fn stop(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
        if let Some(saver) = &self.shared.saver {
            saver.close();
        }
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        self.stop();
        self.server.close();
    }
}

async fn accept_loop(shared: Arc<Shared>, server: Arc<Server>) {
    while let Some(incoming) = server.accept().await {
        match incoming {
            Ok(link) => {
                tokio::spawn(serve_connection(shared.clone(), Link::Quic(link)));
            }
            Err(e) => tracing::debug!(error = %e, "connection refused or failed"),
        }
    }
}

/// An open connection as the report sender sees it.
struct Route {
    link: Link,
    /// The queue of sealed reports and the task that drains it in order; made with the
    /// connection's first report, so a connection without subscriptions costs neither.
    reports: Option<(mpsc::Sender<Vec<u8>>, JoinHandle<()>)>,
}

impl Route {
    /// Queues a report. A controller that does not take its reports loses the newest ones
    /// rather than holding the device's memory: reports arrive in order or not at all [IM-1].
    fn send(&mut self, route: RouteId, bytes: Vec<u8>) {
        let (queue, _) = self.reports.get_or_insert_with(|| {
            // [QUIC-42] a connection that carries reports is never idle.
            self.link.carries_reports();
            let (queue, pending) = mpsc::channel(REPORT_QUEUE);
            (
                queue,
                tokio::spawn(send_reports(self.link.clone(), pending)),
            )
        });
        if queue.try_send(bytes).is_err() {
            tracing::debug!(route, "report queue full; report dropped");
        }
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        if let Some((_, sender)) = self.reports.take() {
            sender.abort();
        }
    }
}

/// Serves one connection until it ends: each exchange the controller opens, and the reports
/// of the subscriptions made on it. It takes a [`Link`] of any transport, so every accept
/// loop (QUIC's [`accept_loop`], and any other transport's) hands its connections here.
pub(crate) async fn serve_connection(shared: Arc<Shared>, link: Link) {
    let route = shared.next_route.fetch_add(1, Ordering::Relaxed);
    shared.routes().insert(
        route,
        Route {
            link: link.clone(),
            reports: None,
        },
    );
    shared.lock().route_opened(route);
    loop {
        let (next, busy) = next_exchange(&link).await;
        match next {
            // A connection with exchanges queued up spreads them over tasks: the runtime's
            // threads share the work, and answers leave as they are ready rather than all in
            // one packet, which would hold back the acknowledgements that return stream
            // credit. An idle connection answers its one request in place.
            Ok(Some(ex)) if busy => {
                tokio::spawn(serve_exchange(shared.clone(), route, ex, None));
            }
            // Boxed: an idle connection's task then holds only the wait for the next
            // exchange, not room for answering one (memory per idle connection).
            Ok(Some(ex)) => Box::pin(answer_or_hand_off(&shared, route, ex)).await,
            Ok(None) => break,
            Err(e) => {
                tracing::debug!(error = %e, "connection ended");
                break;
            }
        }
    }
    shared.routes().remove(&route);
    shared.lock().route_closed(route);
}

/// The next exchange the controller opens, and whether it was already waiting (the
/// connection is busy) rather than awaited.
async fn next_exchange(link: &Link) -> (Result<Option<Exchange>, LinkError>, bool) {
    let mut accept = std::pin::pin!(link.accept_exchange());
    let ready = {
        let mut nothing = std::task::Context::from_waker(std::task::Waker::noop());
        accept.as_mut().poll(&mut nothing)
    };
    match ready {
        std::task::Poll::Ready(r) => (r, true),
        std::task::Poll::Pending => (accept.await, false),
    }
}

/// A plain request that arrived whole with its stream (nearly every one) is answered here, in
/// the connection's task: no task to create and no worker to wake for it, which is most of a
/// round trip's cost on an idle connection. Anything else (a handshake, a request still
/// arriving, a timed request's follow-up) gets a task of its own, so that a slow exchange
/// never holds up the others.
async fn answer_or_hand_off(shared: &Arc<Shared>, route: RouteId, mut ex: Exchange) {
    let first = match ex.try_recv_frame() {
        // A message that overtook its session's sigma3 waits in a task of its own [SESS-39].
        Some(Ok(Some(f)))
            if f.kind == FrameKind::PROTECTED && !shared.early.is_pending(&f.payload) =>
        {
            f
        }
        Some(Ok(Some(f))) => {
            tokio::spawn(serve_exchange(shared.clone(), route, ex, Some(f)));
            return;
        }
        Some(Ok(None)) => return,
        Some(Err(e)) => {
            tracing::debug!(error = %e, "exchange failed");
            return;
        }
        None => {
            tokio::spawn(serve_exchange(shared.clone(), route, ex, None));
            return;
        }
    };
    // What is left to wait for gets a task, so the connection goes on to its next exchange.
    match answer(shared, route, &mut ex, first.payload.to_vec()).await {
        Ok(Rest::Nothing) => {}
        Ok(Rest::FollowUp) => {
            let shared = shared.clone();
            tokio::spawn(async move {
                if let Err(e) = await_follow_up(&shared, route, &mut ex).await {
                    tracing::debug!(error = %e, "timed exchange ended with an error");
                }
            });
        }
        Ok(Rest::End) => {
            tokio::spawn(async move {
                let _ = ex.recv_frame_within(FIRST_FRAME_TIMEOUT).await;
            });
        }
        Ok(Rest::Commissioning) => {
            let shared = shared.clone();
            tokio::spawn(async move {
                super::stream_end::end_commissioning_step(&shared, route, &mut ex).await;
            });
        }
        Err(e) => tracing::debug!(error = %e, "exchange ended with an error"),
    }
}

async fn serve_exchange(
    shared: Arc<Shared>,
    route: RouteId,
    mut ex: Exchange,
    received: Option<OwnedFrame>,
) {
    let first = match received {
        Some(f) => Some(Ok(Some(f))),
        None => ex.recv_frame_within(FIRST_FRAME_TIMEOUT).await,
    };
    let first = match first {
        Some(Ok(Some(f))) => f,
        Some(Ok(None)) => return,
        Some(Err(e)) => {
            tracing::debug!(error = %e, "exchange failed");
            return;
        }
        None => {
            ex.reset(ErrorCode::STALLED);
            return;
        }
    };
    let result = match first.kind {
        // This runs as a task of its own, and a task's future is copied into its allocation:
        // boxing the rarely used, large handshake futures keeps the common one small.
        FrameKind::PAIRING => {
            Box::pin(serve_pairing(
                &shared,
                route,
                &mut ex,
                first.payload.to_vec(),
            ))
            .await
        }
        FrameKind::SESSION => {
            Box::pin(serve_session(
                &shared,
                route,
                &mut ex,
                first.payload.to_vec(),
            ))
            .await
        }
        FrameKind::PROTECTED => {
            serve_protected(&shared, route, &mut ex, first.payload.to_vec()).await
        }
        other => Err(DeviceError::UnexpectedFrame(other.0)),
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "exchange ended with an error");
    }
}

/// Answers protected messages on one exchange: one request, or a timed request and its
/// follow-up `[IM-40]`.
async fn serve_protected(
    shared: &Shared,
    route: RouteId,
    ex: &mut Exchange,
    first: Vec<u8>,
) -> Result<(), DeviceError> {
    match answer(shared, route, ex, first).await? {
        Rest::Nothing => Ok(()),
        Rest::FollowUp => await_follow_up(shared, route, ex).await,
        Rest::End => {
            let _ = ex.recv_frame_within(FIRST_FRAME_TIMEOUT).await;
            Ok(())
        }
        Rest::Commissioning => {
            super::stream_end::end_commissioning_step(shared, route, ex).await;
            Ok(())
        }
    }
}

/// What an exchange still waits for once its answer has gone out.
enum Rest {
    /// Nothing: both sides have finished.
    Nothing,
    /// The write or invoke that follows a timed request `[IM-40]`.
    FollowUp,
    /// The end of the controller's side of the stream. It must be read before the stream
    /// is let go: a stream dropped unread makes QUIC send STOP_SENDING, one more packet each
    /// way for nothing.
    End,
    /// A commissioning step: this side finishes only after the controller's end `[QUIC-23]`.
    Commissioning,
}

/// Answers one protected message on `ex` and, unless a follow-up is due, finishes this side
/// at once, with the answer, instead of waiting for the controller's end [QUIC-6].
async fn answer(
    shared: &Shared,
    route: RouteId,
    ex: &mut Exchange,
    datagram: Vec<u8>,
) -> Result<Rest, DeviceError> {
    // [SESS-39] a message that overtook its session's sigma3 waits for the handshake.
    shared.early.wait(&datagram).await;
    let Answered {
        answers,
        follow_up,
        commissioning,
        authenticated,
        durable,
    } = answer_datagram(shared, route, datagram);
    // [QUIC-40] a message that opened in a session makes its connection authenticated
    // (an atomic load once it is).
    if let Some(home) = authenticated {
        if !ex.authenticate(home) {
            return Err(DeviceError::Transport(orbit_quic::QuicError::LocallyClosed));
        }
    }
    // [DM-65] a change is acknowledged only once it is stored.
    let answers = match durable {
        Some(wait) => wait.answers(shared, answers).await,
        None => answers,
    };
    send_answers(ex, answers).await?;
    if follow_up {
        return Ok(Rest::FollowUp);
    }
    if commissioning {
        return Ok(Rest::Commissioning);
    }
    let _ = ex.finish();
    // The controller's end normally came with its request.
    Ok(match ex.try_recv_frame() {
        Some(_) => Rest::Nothing,
        None => Rest::End,
    })
}

/// Waits for the write or invoke that follows a timed request, and answers it.
async fn await_follow_up(
    shared: &Shared,
    route: RouteId,
    ex: &mut Exchange,
) -> Result<(), DeviceError> {
    // The follow-up must come within the timed window the device just opened; waiting
    // longer would only hold a stream for a request the device will refuse anyway.
    let window = Duration::from_millis(orbit_core::device::MAX_TIMED_TIMEOUT_MS.into());
    let next = match tokio::time::timeout(window + FIRST_FRAME_TIMEOUT, ex.recv_frame()).await {
        Err(_) => {
            ex.reset(ErrorCode::STALLED);
            return Err(DeviceError::HandshakeTimeout);
        }
        Ok(r) => r?,
    };
    match next {
        Some(f) if f.kind == FrameKind::PROTECTED => {
            Box::pin(serve_protected(shared, route, ex, f.payload.to_vec())).await
        }
        Some(f) => Err(DeviceError::UnexpectedFrame(f.kind.0)),
        None => {
            let _ = ex.finish();
            Ok(())
        }
    }
}

/// What answering one protected message gave.
struct Answered {
    /// The sealed answers.
    answers: Result<Vec<Vec<u8>>, DeviceError>,
    /// The exchange awaits a follow-up.
    follow_up: bool,
    /// The message was a commissioning step: the stream ends after the controller's
    /// `[QUIC-23]`.
    commissioning: bool,
    /// The home of the session the message opened in (`Some(None)`: a PASE session).
    authenticated: Option<Option<orbit_core::cert::HomeId>>,
    /// The save the answers must wait for `[DM-65]`.
    durable: Option<Durable>,
}

/// Answers one protected message under the core's lock.
fn answer_datagram(shared: &Shared, route: RouteId, datagram: Vec<u8>) -> Answered {
    let mut effects = Effects::default();
    let (answers, wake, durable) = {
        let mut core = shared.lock();
        let now = Instant::now();
        let answers = core.handle_protected(now, route, datagram, &mut effects);
        core.drain_node_events(now, &mut effects);
        // The ticket is taken under the lock that made the change [DM-66].
        let durable = match (effects.persist, effects.changed_by, &shared.saver) {
            (true, Some(request), Some(saver)) => {
                effects.persist = false;
                Some(Durable {
                    pending: saver.request_and_wait(),
                    request,
                })
            }
            _ => None,
        };
        (answers, shared.due_earlier(core.poll_timeout()), durable)
    };
    if wake {
        shared.wake.notify_one();
    }
    let follow_up = effects.awaits_follow_up;
    let authenticated = effects.authenticated;
    let commissioning = effects.commissioning;
    shared.apply(effects);
    Answered {
        answers,
        follow_up,
        commissioning,
        authenticated,
        durable,
    }
}

/// Sends the answers. A message that was dropped gets none: the caller finishes the stream
/// without a frame, whichever check failed, and reads the controller's end `[MSG-21]`.
pub(crate) async fn send_answers(
    ex: &mut Exchange,
    answers: Result<Vec<Vec<u8>>, DeviceError>,
) -> Result<(), DeviceError> {
    match answers {
        Ok(answers) => {
            for a in answers {
                ex.send_frame(FrameKind::PROTECTED, &a).await?;
            }
            Ok(())
        }
        Err(e) => {
            // [MSG-18] [MSG-21] no answer, no reset: the stream ends like any other.
            tracing::debug!(error = %e, "protected message dropped");
            Ok(())
        }
    }
}

/// Keeps the DNS-SD advertisements in line with the window and the homes: at once when the
/// window opens or closes `[DISC-5]`, `[DISC-6]`, and every second for the rest (homes, a
/// window that expired).
async fn advert_loop(shared: Arc<Shared>, mut adverts: Adverts, setup: SetupPayload, port: u16) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let window_changed = shared.lock().window_changed.clone();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = window_changed.notified() => {}
        }
        let s = shared.clone();
        // The advertiser's calls can block briefly on its daemon's channel.
        adverts = match tokio::task::spawn_blocking(move || {
            adverts.refresh(&s, &setup, port);
            adverts
        })
        .await
        {
            Ok(a) => a,
            Err(_) => return,
        };
    }
}

/// Fires the node's and the pairing window's timers and sends the reports they produce.
async fn timer_loop(shared: Arc<Shared>) {
    loop {
        let deadline = {
            let core = shared.lock();
            let d = core.poll_timeout();
            *shared
                .timer_deadline
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = d;
            d
        };
        let sleep = match deadline {
            Some(d) => tokio::time::sleep_until(d.into()),
            None => tokio::time::sleep(Duration::from_secs(3600)),
        };
        tokio::select! {
            _ = sleep => {}
            _ = shared.wake.notified() => {}
        }
        let mut effects = Effects::default();
        let reports = shared.lock().tick(Instant::now(), &mut effects);
        shared.apply(effects);
        let mut routes = shared.routes();
        for (route, bytes) in reports {
            if let Some(r) = routes.get_mut(&route) {
                r.send(route, bytes);
            }
        }
    }
}

/// Sends one connection's reports, one after another, each on its own stream [QUIC-7].
async fn send_reports(link: Link, mut queue: mpsc::Receiver<Vec<u8>>) {
    while let Some(bytes) = queue.recv().await {
        if let Err(e) = link.send_unsolicited(FrameKind::PROTECTED, &bytes).await {
            tracing::debug!(error = %e, "report not delivered");
        }
    }
}

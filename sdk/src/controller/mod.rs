//! The controller: a home, the devices paired into it, and connections to them.

mod ble;
#[cfg(test)]
mod commissioning_stream_tests;
mod connection;
mod discovery;
#[cfg(test)]
mod early_request_tests;
mod error;
mod handshakes;
mod limits;
mod membership;
mod names;
#[cfg(test)]
mod report_route_tests;
#[cfg(test)]
mod sigma3_timeout_tests;
mod state;
#[cfg(test)]
mod test_support;
mod timings;
mod watch;

pub use ble::{
    parse_addresses, Handoff, ADDRESSES_ATTRIBUTE, BLE_SCAN_TIMEOUT, NETWORK_CAPABILITY,
};
pub use connection::{DeviceConnection, Subscription, SubscriptionReport, SubscriptionUpdate};
pub use error::{Cause, ControllerError, Phase};
pub use handshakes::ANSWER_TIMEOUT;
pub use limits::{LimitError, MAX_INTERVAL_S};
pub use membership::{Admission, JoinRequest, PendingJoin};
pub use names::{check_name, NameError, MAX_NAME_CHARS};
pub use state::{PairedDevice, CONTROLLER_NODE, CONTROLLER_RECORD, FIRST_DEVICE_NODE};
pub use timings::{PhaseTiming, Timings};
pub use watch::{KeptSubscription, KeptUpdate, RESUBSCRIBE_FIRST_PAUSE, RESUBSCRIBE_MAX_PAUSE};

use error::InPhase;
use orbit_core::attest::{TrustStore, VendorAuthority};
use orbit_core::cert::{HomeAuthority, HomeId, NodeRole, Validity};
use orbit_core::crypto::SystemRandom;
use orbit_core::interaction::CommandPath;
use orbit_core::model::{std_caps, Data, EndpointId};
use orbit_core::setup::{ManualCode, SetupPayload};
use orbit_quic::{Client, QuicConfig};
use orbit_store::{RecordKey, Store};
use state::ControllerState;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// The longest [`Controller::close`] waits for the devices to be told: the close is sent at
/// once, and a device that does not acknowledge it in this time learns it at its next packet.
pub const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// How often [`Controller::connect`] tries again when the device says it is busy.
const BUSY_RETRIES: u32 = 20;

/// Whether the device refused only because it is at a limit right now.
fn is_busy(e: &ControllerError) -> bool {
    match &e.cause {
        Cause::Status(s) => *s == orbit_core::status::Status::BUSY,
        Cause::Session(orbit_core::session::SessionError::PeerStatus(s)) => {
            *s == orbit_core::status::Status::BUSY
        }
        // [QUIC-41], [QUIC-42]: refused, or closed to make room for another connection.
        Cause::Transport(e) => e.is_busy(),
        _ => false,
    }
}

/// A random pause that grows with the attempt number, so that many controllers that were
/// refused together do not come back together.
async fn busy_pause(attempt: u32, rng: &mut SystemRandom) {
    use orbit_core::crypto::Random;
    let mut b = [0u8; 1];
    let _ = rng.fill(&mut b);
    let base = 10u64.saturating_mul(u64::from(attempt.min(10)));
    tokio::time::sleep(std::time::Duration::from_millis(
        base + u64::from(b[0] % 50),
    ))
    .await;
}

/// How long a new home's root certificate is valid.
const HOME_VALIDITY_SECS: u64 = 20 * 365 * 86_400;

/// A setup code as the user gives it: a QR string (`OB1:...`) or the digits of a manual code.
#[derive(Clone, Debug)]
pub enum SetupCode {
    /// A scanned QR payload: passcode, discriminator, vendor and product.
    Qr(SetupPayload),
    /// A typed manual code: passcode and short discriminator (and, long form, vendor and
    /// product).
    Manual(ManualCode),
}

impl SetupCode {
    /// Parses a QR string or a manual code (dashes and spaces allowed).
    pub fn parse(code: &str) -> Result<SetupCode, ControllerError> {
        let code = code.trim();
        if code.starts_with("OB") {
            SetupPayload::from_qr_str(code)
                .map(SetupCode::Qr)
                .in_phase(Phase::SetupCode)
        } else {
            ManualCode::parse(code)
                .map(SetupCode::Manual)
                .in_phase(Phase::SetupCode)
        }
    }

    fn passcode(&self) -> u32 {
        match self {
            SetupCode::Qr(p) => p.passcode.value(),
            SetupCode::Manual(m) => m.passcode.value(),
        }
    }

    fn vendor_product(&self) -> Option<(u16, u16)> {
        match self {
            SetupCode::Qr(p) => Some((p.vendor_id.0, p.product_id.0)),
            SetupCode::Manual(m) => m.vendor_product.map(|(v, p)| (v.0, p.0)),
        }
    }
}

/// How a pairing or a new session reaches the device.
#[derive(Clone, Copy)]
pub(crate) enum Via<'a> {
    /// QUIC at this address.
    Quic(SocketAddr),
    /// Bluetooth LE: found by its advert through this central ([BLE-24]).
    Ble(&'a dyn crate::ble::BleCentral),
}

/// The result of pairing: the device as stored, an open connection, and the phase timings.
#[derive(Debug)]
pub struct Paired {
    /// The device record.
    pub device: PairedDevice,
    /// The operational session opened right after commissioning.
    pub connection: DeviceConnection,
    /// How long each phase took.
    pub timings: Timings,
}

/// A controller of one home.
pub struct Controller {
    store: Arc<dyn Store>,
    state: Mutex<ControllerState>,
    quic: Client,
    trust: TrustStore,
    /// Held while a save is captured and written, so saves land in order.
    saving: Mutex<()>,
    /// Held for a whole pairing or admission: each issues certificates from the home's
    /// authority and assigns a node ID, which must not interleave.
    issuing: tokio::sync::Mutex<()>,
    /// False for a controller opened with [`Controller::open_read_only`]: it keeps changes
    /// in memory only, and never offers the stored resumption ticket (using it would make
    /// the stored one stale, since tickets are single-use `[SESS-24]`).
    persist: bool,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("home", &format_args!("{:016x}", self.home_id()))
            .finish_non_exhaustive()
    }
}

fn record() -> Result<RecordKey, ControllerError> {
    RecordKey::new(CONTROLLER_RECORD)
        .map_err(orbit_store::StoreError::from)
        .in_phase(Phase::Store)
}

impl Controller {
    /// Whether `store` holds a controller's home.
    pub fn has_home(store: &dyn Store) -> Result<bool, ControllerError> {
        Ok(store.load(&record()?).in_phase(Phase::Store)?.is_some())
    }

    fn load(store: &dyn Store) -> Result<ControllerState, ControllerError> {
        let loaded: Option<ControllerState> =
            orbit_store::load_doc(store, &record()?).in_phase(Phase::Store)?;
        loaded.ok_or_else(|| ControllerError::new(Phase::Store, Cause::NoHome))
    }

    /// Opens the controller kept in `store`, which must hold a home ([`Cause::NoHome`]
    /// otherwise): unlike [`Controller::open`], a wrong store never silently becomes a new
    /// home with a new root key.
    pub async fn open_existing(
        store: Arc<dyn Store>,
        quic: QuicConfig,
    ) -> Result<Self, ControllerError> {
        let state = Controller::load(store.as_ref())?;
        Controller::build(store, quic, state)
    }

    /// Opens the controller kept in `store` for use beside another handle that writes it
    /// (another process holding the store's lock): it reads the state once and never saves.
    /// Changes (a device's new address, a new ticket) stay in memory, and connections run a
    /// full session handshake rather than use the stored ticket, which stays the writer's.
    pub async fn open_read_only(
        store: Arc<dyn Store>,
        quic: QuicConfig,
    ) -> Result<Self, ControllerError> {
        let state = Controller::load(store.as_ref())?;
        let mut c = Controller::build(store, quic, state)?;
        c.persist = false;
        Ok(c)
    }

    /// Opens the controller kept in `store`, or creates a new home there. Trusts the
    /// development vendor root `[ATT-7]` (a production app adds its vendors' roots).
    pub async fn open(store: Arc<dyn Store>, quic: QuicConfig) -> Result<Self, ControllerError> {
        let loaded: Option<ControllerState> =
            orbit_store::load_doc(store.as_ref(), &record()?).in_phase(Phase::Store)?;
        let state = match loaded {
            Some(state) => state,
            None => {
                let mut rng = SystemRandom::new();
                let now = handshakes::unix_now();
                let mut authority =
                    HomeAuthority::create(&mut rng, now.saturating_sub(60), HOME_VALIDITY_SECS)
                        .in_phase(Phase::Store)?;
                let member = authority
                    .issue_member(
                        &mut rng,
                        CONTROLLER_NODE,
                        NodeRole::CONTROLLER,
                        Validity::starting(now.saturating_sub(60), HOME_VALIDITY_SECS),
                    )
                    .in_phase(Phase::Store)?;
                ControllerState::new(&authority, &member)
            }
        };
        Controller::with_state(store, quic, state).await
    }

    /// A controller for `state`, saved to `store`.
    async fn with_state(
        store: Arc<dyn Store>,
        quic: QuicConfig,
        state: ControllerState,
    ) -> Result<Self, ControllerError> {
        orbit_store::save_doc(store.as_ref(), &record()?, &state).in_phase(Phase::Store)?;
        Controller::build(store, quic, state)
    }

    fn build(
        store: Arc<dyn Store>,
        quic: QuicConfig,
        state: ControllerState,
    ) -> Result<Self, ControllerError> {
        let mut trust = TrustStore::new();
        trust
            .add_root(VendorAuthority::development().root().clone())
            .in_phase(Phase::Store)?;
        let quic =
            Client::new(SocketAddr::from(([0, 0, 0, 0], 0)), quic).in_phase(Phase::Connect)?;
        Ok(Controller {
            store,
            state: Mutex::new(state),
            quic,
            trust,
            saving: Mutex::new(()),
            issuing: tokio::sync::Mutex::new(()),
            persist: true,
        })
    }

    fn lock(&self) -> MutexGuard<'_, ControllerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Refuses what must be stored (a pairing, an unpairing) on a read-only controller.
    fn writable(&self) -> Result<(), ControllerError> {
        if self.persist {
            Ok(())
        } else {
            Err(ControllerError::new(Phase::Store, Cause::ReadOnly))
        }
    }

    fn save(&self) -> Result<(), ControllerError> {
        if !self.persist {
            return Ok(());
        }
        let _in_order = self.saving.lock().unwrap_or_else(|p| p.into_inner());
        let state = self.lock().clone();
        orbit_store::save_doc(self.store.as_ref(), &record()?, &state).in_phase(Phase::Store)
    }

    /// The home's identifier.
    pub fn home_id(&self) -> HomeId {
        self.lock()
            .root_cert()
            .ok()
            .and_then(|c| c.tbs().home_id)
            .unwrap_or_default()
    }

    /// The public key of the home's root, which with the home and node IDs names a paired
    /// device's operational advertisement `[DISC-11]`.
    pub fn home_root_key(&self) -> [u8; 32] {
        self.lock()
            .root_cert()
            .map(|c| c.public_key().0)
            .unwrap_or_default()
    }

    /// This controller's node ID in the home.
    pub fn node_id(&self) -> orbit_core::cert::NodeId {
        self.lock()
            .membership()
            .map(|m| m.node_id())
            .unwrap_or_default()
    }

    /// The devices paired into the home.
    pub fn devices(&self) -> Vec<PairedDevice> {
        self.lock()
            .devices
            .iter()
            .cloned()
            .map(PairedDevice::without_ticket)
            .collect()
    }

    /// The descriptor cached for the device `name`, as verified when it was last fetched
    /// (at pairing, and after every full session handshake, `[DM-45]`).
    pub fn cached_descriptor(&self, name: &str) -> Option<orbit_core::model::Descriptor> {
        let bytes = self.device(name)?.descriptor?;
        use orbit_core::codec::CborMessage;
        orbit_core::model::Descriptor::decode(&bytes).ok()
    }

    /// The device record called `name` (or with that node ID).
    pub fn device(&self, name: &str) -> Option<PairedDevice> {
        self.record(name).map(PairedDevice::without_ticket)
    }

    /// The stored record of `name`, resumption ticket included (never handed out: the ticket
    /// is a secret).
    fn record(&self, name: &str) -> Option<PairedDevice> {
        let state = self.lock();
        state.find(name).and_then(|i| state.devices.get(i).cloned())
    }

    /// Pairs with the device at `addr` whose setup code is `code`, commissions it into the
    /// home as a new node, opens a session, fetches its descriptor, and stores it as `name`.
    ///
    /// `name` must pass [`check_name`] and be free: a name in use is refused before the
    /// device is touched ([`NameError::InUse`]), since replacing the record would lose the
    /// device it names while that device still holds the home. Without `name`, the device is
    /// called `vendor-product-serial` (with a `-2`, `-3`... suffix if that is taken).
    pub async fn pair(
        &self,
        code: &str,
        addr: SocketAddr,
        name: Option<&str>,
    ) -> Result<Paired, ControllerError> {
        self.pair_inner(code, Via::Quic(addr), name, false).await
    }

    /// [`Controller::pair`], but a device already called `name` is forgotten (its record is
    /// replaced once the new device is commissioned). The forgotten device still holds the
    /// home until it is reset or unpaired by node ID.
    pub async fn pair_replacing(
        &self,
        code: &str,
        addr: SocketAddr,
        name: &str,
    ) -> Result<Paired, ControllerError> {
        self.pair_inner(code, Via::Quic(addr), Some(name), true)
            .await
    }

    pub(crate) async fn pair_inner(
        &self,
        code: &str,
        via: Via<'_>,
        name: Option<&str>,
        replace: bool,
    ) -> Result<Paired, ControllerError> {
        // Only the holder of the home's root key can install the home on a device; say so
        // before touching the device.
        self.writable()?;
        self.lock().authority().in_phase(Phase::InstallHome)?;
        if let Some(name) = name {
            names::choose(&self.lock(), Some(name), "", replace)?;
        }
        let mut timings = Timings::default();
        let code = timings
            .time(Phase::SetupCode, async { SetupCode::parse(code) })
            .await?;
        let (link, addresses) = timings.time(Phase::Connect, self.reach(via, &code)).await?;
        let mut rng = SystemRandom::new();
        let keys = timings
            .time(
                Phase::Pase,
                handshakes::pase(&link, code.passcode(), &mut rng),
            )
            .await?;
        // One issuer at a time: the node ID and certificate serials come from shared state.
        let _issuing = self.issuing.lock().await;
        let (mut authority, node_id) = {
            let state = self.lock();
            (
                state.authority().in_phase(Phase::InstallHome)?,
                state.next_device_node,
            )
        };
        let expected = code.vendor_product();
        let commissioned = handshakes::commission(
            &link,
            &keys,
            handshakes::Plan {
                trust: &self.trust,
                expected_product: expected,
                node_id,
                admin: CONTROLLER_NODE,
            },
            &mut authority,
            &mut rng,
            &mut timings,
        )
        .await?;
        // The device now belongs to the home: record it at once, before the confirming
        // session [COMM-30], so that a failure in the steps below leaves a device the
        // controller knows (and can unpair), and its node ID is never handed out again.
        let attested = &commissioned.device.attested;
        let default_name = format!(
            "{:04x}-{:04x}-{}",
            attested.vendor_id, attested.product_id, attested.serial
        );
        // Chosen again under the lock: another pairing may have taken the name meanwhile.
        let chosen = names::choose(&self.lock(), name, &default_name, replace);
        let mut device = PairedDevice {
            name: chosen.unwrap_or_else(|_| format!("{default_name}-{node_id:x}")),
            node_id,
            vendor_id: attested.vendor_id,
            product_id: attested.product_id,
            serial: attested.serial.to_string(),
            addresses,
            descriptor: None,
            ticket: None,
        };
        {
            let mut state = self.lock();
            state.set_authority(&authority);
            state.next_device_node = node_id.saturating_add(1);
            if let Some(i) = state.devices.iter().position(|d| d.name == device.name) {
                state.devices.remove(i);
            }
            state.devices.push(device.clone());
        }
        self.save()?;
        drop(_issuing);
        let membership = self.lock().membership().in_phase(Phase::Session)?;
        let opened = timings
            .time(
                Phase::Session,
                handshakes::open_session(&link, &membership, node_id, None, &mut rng),
            )
            .await;
        // `Err((true, e))`: the device refused the confirming session (with a status: it
        // did not keep the home, [COMM-27]); `Err((false, e))`: anything after it accepted.
        let described = match opened {
            Ok((established, end)) => match DeviceConnection::new(link, established) {
                // The describe goes out right after sigma3, saving a round trip [SESS-13],
                // [SESS-39].
                Ok(connection) => timings
                    .time(Phase::Describe, async {
                        let verdict = end.verdict();
                        let describe = connection.describe();
                        tokio::pin!(verdict);
                        tokio::pin!(describe);
                        let (v, d) = tokio::select! {
                            v = &mut verdict => match v {
                                Ok(()) => (Ok(()), describe.await),
                                Err(e) => (Err(e), Err(ControllerError::new(Phase::Session, Cause::Unexpected))),
                            },
                            d = &mut describe => (verdict.await, d),
                        };
                        match (v, d) {
                            (Err(e), _) => Err((true, e)),
                            (Ok(()), Ok(d)) => Ok(d),
                            (Ok(()), Err(e)) => Err((false, e)),
                        }
                    })
                    .await
                    .map(|(_, descriptor)| (connection, descriptor)),
                Err(e) => Err((false, e)),
            },
            Err(e) => Err((true, e)),
        };
        let (connection, descriptor) = match described {
            Ok(d) => d,
            // The device answered the confirming session with a status: it did not keep the
            // home (it could not store it, or had already rolled back), so the record goes
            // too [COMM-27] [COMM-30].
            Err((true, e)) if matches!(e.cause, Cause::Status(_)) => {
                {
                    let mut state = self.lock();
                    if let Some(i) = state.find(&device.name) {
                        state.devices.remove(i);
                    }
                }
                self.save()?;
                return Err(e);
            }
            Err((_, e)) => return Err(e),
        };
        device.descriptor = Some(descriptor);
        device.ticket = connection.stored_ticket();
        {
            let mut state = self.lock();
            if let Some(d) = state
                .find(&device.name)
                .and_then(|i| state.devices.get_mut(i))
            {
                d.descriptor = device.descriptor.clone();
                d.ticket = device.ticket.clone();
            }
        }
        timings.time(Phase::Store, async { self.save() }).await?;
        Ok(Paired {
            device: device.without_ticket(),
            connection,
            timings,
        })
    }

    /// Connects to a paired device at its last address (or `addr`), resuming the last
    /// session when the device still honours its ticket `[SESS-24]`, and a full handshake
    /// otherwise.
    pub async fn connect(
        &self,
        name: &str,
        addr: Option<SocketAddr>,
    ) -> Result<(DeviceConnection, Timings), ControllerError> {
        let device = self.record(name).ok_or_else(|| {
            ControllerError::new(
                Phase::Discovery,
                Cause::NotFound(format!("no paired device called {name:?}")),
            )
        })?;
        let target = addr
            .or_else(|| device.addresses.first().copied())
            .ok_or_else(|| {
                ControllerError::new(
                    Phase::Discovery,
                    Cause::NotFound(format!("no known address for {name:?}")),
                )
            })?;
        self.connect_via(name, Via::Quic(target)).await
    }

    /// [`Controller::connect`] over a Bluetooth LE link to the device called `name`, found by
    /// its operational advert through `central` ([BLE-21]): resumes the last session with its
    /// ticket when the device honours it, and runs a full handshake otherwise ([BLE-29]).
    pub async fn connect_over_ble(
        &self,
        name: &str,
        central: &dyn crate::ble::BleCentral,
    ) -> Result<(DeviceConnection, Timings), ControllerError> {
        self.connect_via(name, Via::Ble(central)).await
    }

    async fn connect_via(
        &self,
        name: &str,
        via: Via<'_>,
    ) -> Result<(DeviceConnection, Timings), ControllerError> {
        let mut timings = Timings::default();
        let device = self.record(name).ok_or_else(|| {
            ControllerError::new(
                Phase::Discovery,
                Cause::NotFound(format!("no paired device called {name:?}")),
            )
        })?;
        let membership = self.lock().membership().in_phase(Phase::Session)?;
        let mut ticket = device
            .ticket
            .as_ref()
            .filter(|_| self.persist)
            .and_then(|t| t.to_ticket());
        let mut rng = SystemRandom::new();
        let mut attempt = 0u32;
        // A device at its limit of connections or handshakes in progress refuses with busy
        // ([QUIC-18], [SESS-34]); that is a reason to try again shortly, not to give up.
        let (connection, descriptor) = loop {
            attempt += 1;
            let link = timings
                .time(Phase::Connect, self.reach_paired(&via, device.node_id))
                .await;
            let link = match link {
                Ok(l) => l,
                Err(e) if attempt < BUSY_RETRIES && is_busy(&e) => {
                    busy_pause(attempt, &mut rng).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let session = timings
                .time(
                    Phase::Session,
                    handshakes::open_session(
                        &link,
                        &membership,
                        device.node_id,
                        ticket.take(),
                        &mut rng,
                    ),
                )
                .await;
            let (established, end) = match session {
                Ok(s) => s,
                Err(e) if attempt < BUSY_RETRIES && is_busy(&e) => {
                    link.close(crate::link::ErrorCode::NO_ERROR, "retry");
                    busy_pause(attempt, &mut rng).await;
                    continue;
                }
                Err(e) => {
                    // [QUIC-44] the device is told at once, not by its idle timeout.
                    link.close(crate::link::ErrorCode::NO_ERROR, "handshake failed");
                    return Err(e);
                }
            };
            let connection = DeviceConnection::new(link, established)?;
            if let Some(limits) = self.cached_descriptor(name).map(|d| d.limits) {
                connection.set_device_limits(limits);
            }
            // [DM-45] after a full (not resumed) handshake the cached descriptor is fetched
            // again: the device may have been updated or reset since. It goes out right after
            // sigma3 [SESS-13]; a resumed handshake's end came with sigma2-resume. The
            // device's verdict on the handshake may still be busy, which is retried too.
            let finished = if connection.resumed() {
                timings
                    .time(Phase::Session, end.verdict())
                    .await
                    .map(|()| None)
            } else {
                timings
                    .time(
                        Phase::Describe,
                        handshakes::with_verdict(end, connection.describe()),
                    )
                    .await
                    .map(|(_, bytes)| Some(bytes))
            };
            match finished {
                Ok(descriptor) => break (connection, descriptor),
                Err(e) if attempt < BUSY_RETRIES && is_busy(&e) => {
                    connection.close();
                    busy_pause(attempt, &mut rng).await;
                }
                Err(e) => {
                    connection.close();
                    return Err(e);
                }
            }
        };
        {
            let mut state = self.lock();
            if let Some(d) = state.find(name).and_then(|i| state.devices.get_mut(i)) {
                if let Via::Quic(target) = via {
                    d.addresses.retain(|a| *a != target);
                    d.addresses.insert(0, target);
                }
                // Tickets are single-use [SESS-24]: keep the new one, or none.
                d.ticket = connection.stored_ticket();
                if descriptor.is_some() {
                    d.descriptor = descriptor;
                }
            }
        }
        timings.time(Phase::Store, async { self.save() }).await?;
        Ok((connection, timings))
    }

    /// Closes every connection of this controller and waits (at most [`CLOSE_WAIT`]) until
    /// each device has been told, so that none keeps a connection for a controller that is
    /// gone `[QUIC-44]`. Call it before the process exits, whatever the outcome of the work
    /// before; the controller can connect again afterwards only through a new `Controller`.
    pub async fn close(&self) {
        self.quic.close();
        let _ = tokio::time::timeout(CLOSE_WAIT, self.quic.wait_idle()).await;
    }

    /// Opens the device's pairing window for `duration` (180 to 900 s) so that a controller
    /// of another home can pair with it using the device's setup code (multi-admin,
    /// `[ACL-10]`). Needs the administer privilege.
    pub async fn open_pairing_window(
        &self,
        name: &str,
        duration: std::time::Duration,
    ) -> Result<(), ControllerError> {
        let (conn, _) = self.connect(name, None).await?;
        let path = CommandPath::new(
            EndpointId::ROOT,
            std_caps::administration::ID,
            std_caps::administration::commands::OPEN_PAIRING_WINDOW,
        );
        let args = Data::Struct(vec![(0, Data::Uint(duration.as_secs()))]);
        let result = conn.invoke(path, args, true).await;
        conn.close();
        match result? {
            Ok(_) => Ok(()),
            Err(status) => Err(ControllerError::new(Phase::Session, Cause::Status(status))),
        }
    }

    /// Removes the home from the device (administration `remove-home`, `[ACL-9]`) and forgets
    /// the device. The device must be reachable; with `force`, the device is given
    /// [`FORCED_UNPAIR_WAIT`] to answer and is forgotten whatever happens
    /// ([`Unpaired::LocallyOnly`] says it still holds the home).
    pub async fn unpair(&self, name: &str, force: bool) -> Result<Unpaired, ControllerError> {
        self.writable()?;
        if self.record(name).is_none() {
            return Err(ControllerError::new(
                Phase::Discovery,
                Cause::NotFound(format!("no paired device called {name:?}")),
            ));
        }
        let attempt = self.remove_home_from(name);
        let outcome = if force {
            match tokio::time::timeout(FORCED_UNPAIR_WAIT, attempt).await {
                Ok(r) => r,
                Err(_) => Err(ControllerError::new(
                    Phase::Connect,
                    Cause::Timeout(FORCED_UNPAIR_WAIT),
                )),
            }
        } else {
            attempt.await
        };
        let unpaired = match outcome {
            Ok(()) => Unpaired::FromDevice,
            Err(e) if force => Unpaired::LocallyOnly {
                reason: e.to_string(),
            },
            Err(e) => return Err(e),
        };
        {
            let mut state = self.lock();
            if let Some(i) = state.find(name) {
                state.devices.remove(i);
            }
        }
        self.save()?;
        Ok(unpaired)
    }

    /// Asks the device `name` to remove this home `[ACL-9]`.
    async fn remove_home_from(&self, name: &str) -> Result<(), ControllerError> {
        let home = self.home_id();
        let (conn, _) = self.connect(name, None).await?;
        let path = CommandPath::new(
            EndpointId::ROOT,
            std_caps::administration::ID,
            std_caps::administration::commands::REMOVE_HOME,
        );
        let args = Data::Struct(vec![(0, Data::Uint(home))]);
        let result = match conn.invoke(path, args, false).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(status)) => Err(ControllerError::new(Phase::Session, Cause::Status(status))),
            // The device drops the session as it leaves the home; no answer is fine.
            Err(e) if matches!(e.cause, Cause::Cut | Cause::Transport(_)) => Ok(()),
            Err(e) => Err(e),
        };
        conn.close();
        result
    }
}

/// How long [`Controller::unpair`] with `force` waits for the device before forgetting it.
pub const FORCED_UNPAIR_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What [`Controller::unpair`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unpaired {
    /// The device removed the home, and the controller forgot the device.
    FromDevice,
    /// The device did not remove the home (unreachable, or it refused), and the controller
    /// forgot it anyway (`force`): the device still holds the home until it is reset.
    LocallyOnly {
        /// Why the device did not remove the home.
        reason: String,
    },
}

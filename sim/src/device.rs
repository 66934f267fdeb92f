//! A simulated device: the reference lamp or lock built on orbit-core's [`DeviceNode`], with
//! a driver written here the way `orbit-sdk`'s device core drives the sans-IO pieces (pairing
//! window, PASE, commissioning in its fail-safe, SIGMA responder, message protection,
//! persistence after every change and before the answer `[DM-66]`), but over the simulated
//! network and clock, and with a store that a restart reloads.

use crate::env::Env;
use crate::fault::Fault;
use crate::net::{Addr, Kind, Meta};
use crate::store::{DeviceStore, Record};
use orbit_core::attest::DeviceAttestation;
use orbit_core::cert::{HomeId, HomeTable, Validity};
use orbit_core::codec::CborMessage;
use orbit_core::commission::{
    trustworthy_wall_clock, ExpectAttestationRequest, ExpectInstallHome, FailSafe, Rollback,
};
use orbit_core::crypto::Random;
use orbit_core::device::{DeviceNode, NodeEvent, Outgoing, Requester, DEFAULT_EVENT_BUFFER};
use orbit_core::interaction::{ConcreteAttribute, Envelope, Message};
use orbit_core::model::std_caps::administration;
use orbit_core::model::{Data, EndpointId};
use orbit_core::pairing::{
    Device, ExpectPake1, ExpectPake3, PairingWindow, PasscodeVerifier, PbkdfParamRequest,
    PbkdfParams, WindowState, DEFAULT_WINDOW_DURATION,
};
use orbit_core::protect::{Header, Protector, ReplayWindow};
use orbit_core::session::{
    encode_status, Established, ExpectSigma3, Responder, SessionId, Sigma1, Sigma1Outcome,
    TicketStore, MAX_PENDING_HANDSHAKES,
};
use orbit_core::version::SUPPORTED;
use orbit_devices::Kind as DeviceKind;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Where commissioning over a PASE session stands.
enum Commissioning {
    Attest(ExpectAttestationRequest),
    Install(ExpectInstallHome),
}

enum Purpose {
    Commissioning(Option<Commissioning>),
    Operational(Requester),
}

struct Session {
    protector: Protector,
    /// The simulator's name for the session's keys (kept across a transport move).
    serial: u64,
    /// Where answers and reports go: the peer that last sent on it.
    peer: Addr,
    /// The session was moved to a new transport object.
    moved: bool,
    purpose: Purpose,
}

enum Pase {
    Pake1(ExpectPake1),
    Pake3(ExpectPake3),
}

/// The state a running device holds in memory; a restart loses it.
struct Running {
    node: DeviceNode,
    window: PairingWindow,
    homes: HomeTable,
    tickets: TicketStore,
    sessions: BTreeMap<u32, Session>,
    pase: Option<(Addr, Pase)>,
    sigma: BTreeMap<Addr, ExpectSigma3>,
    fail_safe: FailSafe,
    window_closes_at: Option<Instant>,
    saved: Record,
}

/// A simulated device.
pub(crate) struct SimDevice {
    /// Its number.
    pub(crate) index: usize,
    /// Lamp or lock.
    pub(crate) kind: DeviceKind,
    serial: String,
    attestation: DeviceAttestation,
    verifier: PasscodeVerifier,
    /// The setup passcode (on its label).
    pub(crate) passcode: u32,
    store: Box<dyn DeviceStore>,
    run: Option<Running>,
}

/// The lamp's attributes whose state the oracle follows.
pub(crate) fn tracked(kind: DeviceKind) -> Vec<(ConcreteAttribute, Data)> {
    use orbit_core::model::std_caps::{level, on_off};
    match kind {
        DeviceKind::Lamp => vec![
            (
                ConcreteAttribute::new(EndpointId(1), on_off::ID, on_off::attributes::ON),
                Data::Bool(false),
            ),
            (
                ConcreteAttribute::new(EndpointId(1), level::ID, level::attributes::CURRENT_LEVEL),
                Data::Uint(254),
            ),
        ],
        _ => Vec::new(),
    }
}

impl SimDevice {
    /// A new device, powered on with no home and its pairing window open.
    pub(crate) fn new(
        env: &mut Env,
        index: usize,
        kind: DeviceKind,
        store: Box<dyn DeviceStore>,
    ) -> Self {
        let validity = Validity::starting(env.unix().saturating_sub(3600), 86_400 * 3650);
        let serial_no = 1000 + index as u64;
        // The development chain cannot fail to mint with a working random source.
        let attestation = match DeviceAttestation::development(
            &mut env.rng,
            kind.product_id(),
            serial_no,
            validity,
        ) {
            Ok(a) => a,
            Err(e) => unreachable_state(&format!("attestation: {e}")),
        };
        let passcode = 20_000_000 + (index as u32) * 7919;
        let verifier = PbkdfParams::generate(&mut env.rng, 1000)
            .and_then(|p| PasscodeVerifier::from_passcode(passcode, p));
        let verifier = match verifier {
            Ok(v) => v,
            Err(e) => unreachable_state(&format!("verifier: {e}")),
        };
        let mut d = SimDevice {
            index,
            kind,
            serial: serial_no.to_string(),
            attestation,
            verifier,
            passcode,
            store,
            run: None,
        };
        for (attr, initial) in tracked(kind) {
            env.oracle.track(index, attr, initial);
        }
        d.boot(env);
        d
    }

    fn addr(&self) -> Addr {
        Addr::Device(self.index)
    }

    /// Whether it is powered on.
    pub(crate) fn is_up(&self) -> bool {
        self.run.is_some()
    }

    /// Homes it belongs to (confirmed or provisional).
    pub(crate) fn homes(&self) -> Vec<HomeId> {
        self.run
            .as_ref()
            .map(|r| r.homes.iter().map(|m| m.home_id()).collect())
            .unwrap_or_default()
    }

    /// Power loss: everything in memory goes; only what the store made durable stays.
    pub(crate) fn crash(&mut self, env: &mut Env) {
        if self.run.take().is_some() {
            self.store.power_loss();
            env.oracle.stats.restarts += 1;
            env.oracle
                .subs_ended(self.index, None, env.now, DEFAULT_EVENT_BUFFER);
            env.oracle.events_forgotten(self.index);
            env.log(|| format!("d{} power loss", self.index));
        }
    }

    /// Starts from the store `[DM-12]` `[IM-50]` `[PAIR-27]`.
    pub(crate) fn boot(&mut self, env: &mut Env) {
        let now = env.instant();
        let mut node = match self.kind.build(now, &self.serial) {
            Ok(n) => n,
            Err(e) => unreachable_state(&format!("build: {e}")),
        };
        let record = self.store.load().unwrap_or_default();
        let mut homes = HomeTable::default();
        for m in &record.homes {
            if homes.add(m.clone()).is_ok() {
                node.add_home(m.home_id(), m.key.clone(), 0);
            }
        }
        node.restore_access_control(record.acl.clone());
        node.continue_event_numbers(record.event_numbers_end);
        for (attr, value) in &record.values {
            let _ = node.restore_value(*attr, value.clone());
        }
        let (failures, locked) = record.pairing_failures;
        let mut window = PairingWindow::restore(failures, locked, now);
        if homes.is_empty() {
            let _ = window.open_at_power_up(now, DEFAULT_WINDOW_DURATION);
        }
        let tickets = record.ticket_store(env.unix());
        env.oracle
            .check_event_numbers_after_start(self.index, node.next_event_number());
        let mut run = Running {
            node,
            window,
            homes,
            tickets,
            sessions: BTreeMap::new(),
            pase: None,
            sigma: BTreeMap::new(),
            fail_safe: FailSafe::default(),
            window_closes_at: None,
            saved: record,
        };
        sync_window(&mut run, now);
        let homes_n = run.homes.len();
        self.run = Some(run);
        env.log(|| format!("d{} boots with {homes_n} home(s)", self.index));
        self.persist(env);
        self.check(env, "after a restart");
    }

    /// Checks the device's attribute state against the oracle.
    fn check(&self, env: &mut Env, when: &str) {
        if let Some(r) = &self.run {
            let node = &r.node;
            env.oracle
                .check_attrs(self.index, |a| node.attribute(a).cloned(), when);
        }
    }

    /// Saves when anything persisted changed, and the next block of event numbers when the
    /// current one runs low `[IM-50]`; returns only once the store has it `[DM-66]`.
    fn persist(&mut self, _env: &mut Env) {
        let Some(r) = self.run.as_mut() else { return };
        let provisional = r.fail_safe.provisional_home();
        let kept = |h: HomeId| Some(h) != provisional;
        let record = Record {
            homes: r
                .homes
                .iter()
                .filter(|m| kept(m.home_id()))
                .cloned()
                .collect(),
            acl: r
                .node
                .access_control()
                .entries()
                .iter()
                .filter(|e| kept(e.home))
                .cloned()
                .collect(),
            values: r.node.persistent_values(),
            tickets: Record::tickets_of(&r.tickets)
                .into_iter()
                .filter(|t| kept(t.home()))
                .collect(),
            event_numbers_end: r
                .node
                .event_number_reservation()
                .unwrap_or_else(|| r.node.event_numbers_end()),
            pairing_failures: (r.window.failed_attempts(), r.window.is_locked_out()),
        };
        if record.same_as(&r.saved) {
            return;
        }
        self.store.save(record.clone());
        r.node.event_numbers_reserved(record.event_numbers_end);
        r.saved = record;
    }

    /// When the device next needs [`SimDevice::tick`].
    pub(crate) fn poll_timeout(&self, fault: Fault) -> Option<Instant> {
        let r = self.run.as_ref()?;
        let node = r.node.poll_timeout().map(|t| {
            if fault == Fault::LazyTimers {
                t + Duration::from_secs(20)
            } else {
                t
            }
        });
        let pase = r.pase.as_ref().map(|(_, p)| match p {
            Pase::Pake1(s) => s.deadline(),
            Pase::Pake3(s) => s.deadline(),
        });
        let sigma = r.sigma.values().map(|s| s.deadline()).min();
        let commissioning = r
            .sessions
            .values()
            .filter_map(|s| match &s.purpose {
                Purpose::Commissioning(Some(Commissioning::Attest(c))) => Some(c.deadline()),
                Purpose::Commissioning(Some(Commissioning::Install(c))) => Some(c.deadline()),
                _ => None,
            })
            .min();
        [
            node,
            r.window.poll_timeout(),
            r.fail_safe.poll_timeout(),
            pase,
            sigma,
            commissioning,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs the timers due at `env.now`.
    pub(crate) fn tick(&mut self, env: &mut Env) {
        let me = self.addr();
        let index = self.index;
        let now = env.instant();
        let Some(r) = self.run.as_mut() else { return };
        r.window.handle_timeout(now);
        if let Some((peer, p)) = r.pase.take() {
            let deadline = match &p {
                Pase::Pake1(s) => s.deadline(),
                Pase::Pake3(s) => s.deadline(),
            };
            if now > deadline {
                match p {
                    Pase::Pake1(s) => s.time_out(&mut r.window, now),
                    Pase::Pake3(s) => s.time_out(&mut r.window, now),
                }
                env.log(|| format!("d{index} pairing handshake with {peer} timed out"));
            } else {
                r.pase = Some((peer, p));
            }
        }
        r.sigma.retain(|_, s| now <= s.deadline());
        if let Some(rollback) = r.fail_safe.handle_timeout(now) {
            roll_back(env, index, r, rollback, now);
        }
        let expired: Vec<u32> = r
            .sessions
            .iter()
            .filter(|(_, s)| match &s.purpose {
                Purpose::Commissioning(Some(Commissioning::Attest(c))) => now > c.deadline(),
                Purpose::Commissioning(Some(Commissioning::Install(c))) => now > c.deadline(),
                _ => false,
            })
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            r.sessions.remove(&id);
            if let Some(rollback) = r.fail_safe.abort(now) {
                roll_back(env, index, r, rollback, now);
            }
            env.log(|| format!("d{index} commissioning timed out"));
        }
        let outgoing = r.node.handle_timeout(now);
        for Outgoing { session, bytes } in outgoing {
            let moved = u32::try_from(session)
                .ok()
                .and_then(|id| r.sessions.get(&id))
                .is_some_and(|s| s.moved);
            if moved && env.fault == Fault::DropMovedReports {
                continue;
            }
            send_sealed(env, me, index, r, session, bytes);
        }
        drain_node_events(env, index, r, now);
        self.persist(env);
        self.check(env, "after a timer");
    }

    /// Moves a session to a new protector object, as a transport change does `[MSG-19]`:
    /// counters and the replay window carry over (unless a fault says otherwise).
    pub(crate) fn move_session(&mut self, env: &mut Env, pick: u64) {
        let index = self.index;
        let Some(r) = self.run.as_mut() else { return };
        let ids: Vec<u32> = r.sessions.keys().copied().collect();
        let Some(id) = ids.get((pick as usize) % ids.len().max(1)).copied() else {
            return;
        };
        let Some(s) = r.sessions.remove(&id) else {
            return;
        };
        let mut state = s.protector.into_state();
        match env.fault {
            Fault::ReplayWindowReset => state.recv.window = ReplayWindow::new(),
            Fault::CounterReset => state.send.next_counter = Some(0),
            _ => {}
        }
        match Protector::from_state(state, env.protect) {
            Ok(protector) => {
                r.sessions.insert(
                    id,
                    Session {
                        protector,
                        moved: true,
                        ..s
                    },
                );
                env.log(|| format!("d{index} moves session {id:08x} to a new transport [MSG-19]"));
            }
            Err(e) => env.log(|| format!("d{index} session {id:08x} lost in a move: {e}")),
        }
    }

    /// Handles one message from the network.
    pub(crate) fn receive(
        &mut self,
        env: &mut Env,
        from: Addr,
        kind: Kind,
        bytes: Vec<u8>,
        meta: &Meta,
    ) {
        if self.run.is_none() {
            return;
        }
        match kind {
            Kind::Pase => self.pase(env, from, &bytes),
            Kind::Sigma => self.sigma(env, from, &bytes, meta.uid),
            Kind::Sealed => self.sealed(env, from, bytes, meta),
        }
        self.persist(env);
        self.check(env, "after a message");
    }

    fn fresh_session_id(env: &mut Env, r: &Running) -> u32 {
        loop {
            let mut b = [0u8; 4];
            let _ = env.rng.fill(&mut b);
            let id = u32::from_be_bytes(b);
            if id != 0 && !r.sessions.contains_key(&id) {
                return id;
            }
        }
    }

    fn pase(&mut self, env: &mut Env, from: Addr, bytes: &[u8]) {
        let me = self.addr();
        let index = self.index;
        let now = env.instant();
        let Some(r) = self.run.as_mut() else { return };
        let device = Device {
            verifier: &self.verifier,
            versions: SUPPORTED,
        };
        let reply: Result<Option<Vec<u8>>, orbit_core::pairing::PairingError> = match r.pase.take()
        {
            // A new request from the handshake's own peer replaces its stalled attempt.
            Some((peer, state)) if peer == from && PbkdfParamRequest::decode(bytes).is_err() => {
                match state {
                    Pase::Pake1(s) => {
                        s.handle(&mut r.window, bytes, &mut env.rng, now)
                            .map(|(next, pake2)| {
                                r.pase = Some((from, Pase::Pake3(next)));
                                Some(pake2.to_bytes())
                            })
                    }
                    Pase::Pake3(s) => s.handle(&mut r.window, bytes, now).map(|keys| {
                        let id = keys.device_session_id;
                        if let Ok(protector) = Protector::new(keys.session_keys(), env.protect) {
                            let state = ExpectAttestationRequest::with_timeout(
                                keys.attestation_challenge,
                                now,
                                r.fail_safe.timeout(),
                            );
                            // [COMM-26] commissioning runs in the fail-safe.
                            if r.fail_safe.arm(now, 0, r.window_closes_at).is_ok() {
                                let serial = env.serial();
                                r.sessions.insert(
                                    id,
                                    Session {
                                        protector,
                                        serial,
                                        peer: from,
                                        moved: false,
                                        purpose: Purpose::Commissioning(Some(
                                            Commissioning::Attest(state),
                                        )),
                                    },
                                );
                                env.log(|| format!("d{index} PASE with {from} done"));
                            }
                        }
                        None
                    }),
                }
            }
            Some((peer, state)) => {
                if peer == from {
                    match state {
                        Pase::Pake1(s) => s.abandon(&mut r.window, now),
                        Pase::Pake3(s) => s.abandon(&mut r.window, now),
                    }
                } else {
                    r.pase = Some((peer, state));
                }
                let id = Self::fresh_session_id(env, r);
                device
                    .handle_request(&mut r.window, bytes, id, &mut env.rng, now)
                    .map(|(next, resp)| {
                        r.pase = Some((from, Pase::Pake1(next)));
                        Some(resp.to_bytes())
                    })
            }
            None => {
                let id = Self::fresh_session_id(env, r);
                device
                    .handle_request(&mut r.window, bytes, id, &mut env.rng, now)
                    .map(|(next, resp)| {
                        r.pase = Some((from, Pase::Pake1(next)));
                        Some(resp.to_bytes())
                    })
            }
        };
        match reply {
            Ok(Some(b)) => env.send(me, from, Kind::Pase, b, Meta::default()),
            Ok(None) => {}
            Err(e) => {
                env.log(|| format!("d{index} refuses pairing from {from}: {e}"));
                if let Some(status) = e.status_message_at(now) {
                    env.send(me, from, Kind::Pase, status.to_bytes(), Meta::default());
                }
            }
        }
        sync_window(r, now);
    }

    fn sigma(&mut self, env: &mut Env, from: Addr, bytes: &[u8], uid: u64) {
        let me = self.addr();
        let index = self.index;
        let now = env.both();
        let Some(r) = self.run.as_mut() else { return };
        let mut out = Vec::new();
        if Sigma1::decode(bytes).is_err() {
            let Some(expect3) = r.sigma.remove(&from) else {
                return;
            };
            let mut responder = Responder {
                homes: &r.homes,
                tickets: &mut r.tickets,
                versions: SUPPORTED,
            };
            match expect3.handle(&mut responder, bytes, now) {
                Ok(est) => add_operational(env, index, r, &est, from),
                Err(e) => {
                    env.log(|| format!("d{index} sigma3 from {from} refused: {e}"));
                    encode_status(e.status(), &mut out);
                    env.send(me, from, Kind::Sigma, out, Meta::default());
                }
            }
            return;
        }
        let id = Self::fresh_session_id(env, r);
        let mut responder = Responder {
            homes: &r.homes,
            tickets: &mut r.tickets,
            versions: SUPPORTED,
        };
        match responder.handle_sigma1(bytes, SessionId(id), &mut env.rng, now, &mut out) {
            Ok(Sigma1Outcome::Full(expect3)) => {
                if r.sigma.len() >= MAX_PENDING_HANDSHAKES && !r.sigma.contains_key(&from) {
                    return;
                }
                r.sigma.insert(from, expect3);
                env.send(me, from, Kind::Sigma, out, Meta::default());
            }
            Ok(Sigma1Outcome::Resumed(est)) => {
                env.oracle.sigma1_resumed(index, uid);
                env.send(me, from, Kind::Sigma, out, Meta::default());
                add_operational(env, index, r, &est, from);
            }
            Err(e) => {
                env.log(|| format!("d{index} sigma1 from {from} refused: {e}"));
                out.clear();
                encode_status(e.status(), &mut out);
                env.send(me, from, Kind::Sigma, out, Meta::default());
            }
        }
    }

    fn sealed(&mut self, env: &mut Env, from: Addr, mut bytes: Vec<u8>, meta: &Meta) {
        let me = self.addr();
        let index = self.index;
        let now = env.instant();
        let Some(r) = self.run.as_mut() else { return };
        let Ok(header) = Header::parse(&bytes) else {
            return;
        };
        let id = header.session_id.0;
        let Some(session) = r.sessions.get_mut(&id) else {
            env.log(|| format!("d{index} drops a message for unknown session {id:08x}"));
            return;
        };
        let opened = match session.protector.open(&mut bytes) {
            Ok(o) => o,
            Err(e) => {
                env.oracle.stats.rejected += 1;
                env.log(|| format!("d{index} rejects message {} from {from}: {e}", meta.uid));
                return;
            }
        };
        env.oracle.accepted(
            me,
            session.serial,
            meta.uid,
            opened.generation,
            opened.counter,
            meta.replay,
        );
        session.peer = from;
        let plain = opened.payload.to_vec();
        match &mut session.purpose {
            Purpose::Operational(requester) => {
                let requester = *requester;
                let serial = session.serial;
                let request = Envelope::decode(&plain).ok();
                let first_event = r.node.next_event_number();
                let answer = r.node.answer(now, &requester, &plain);
                let after = r.node.next_event_number();
                if after > first_event {
                    env.oracle
                        .events_recorded(index, first_event, after, env.now);
                }
                for bytes in answer.messages {
                    if let (Some(req), Ok(resp)) = (&request, Envelope::decode(&bytes)) {
                        note_subscription(env, index, serial, req, &resp, first_event);
                    }
                    send_sealed(env, me, index, r, requester.session, bytes);
                }
                if let Some(Envelope {
                    message: Message::Unsubscribe { subscription },
                    ..
                }) = request
                {
                    env.oracle.sub_ended(
                        index,
                        serial,
                        subscription,
                        env.now,
                        DEFAULT_EVENT_BUFFER,
                    );
                }
                drain_node_events(env, index, r, now);
            }
            Purpose::Commissioning(state) => {
                let Some(step) = state.take() else { return };
                let mut reply = Vec::new();
                let mut done = false;
                match step {
                    Commissioning::Attest(s) => match s.handle(
                        &self.attestation,
                        &r.homes,
                        &plain,
                        &mut env.rng,
                        now,
                        &mut reply,
                    ) {
                        Ok(next) => {
                            r.fail_safe.step(now);
                            *state = Some(Commissioning::Install(next));
                        }
                        Err(e) => {
                            env.log(|| format!("d{index} attestation step failed: {e}"));
                            done = true;
                        }
                    },
                    Commissioning::Install(s) => {
                        let clock = trustworthy_wall_clock(env.unix());
                        match s.handle(&mut r.homes, &plain, now, clock, &mut reply) {
                            Ok(joined) => {
                                if let Some(m) = r.homes.get(joined.home_id) {
                                    let key = m.key.clone();
                                    // [ACL-6]
                                    r.node.add_home(
                                        joined.home_id,
                                        key,
                                        joined.admin_node_id.unwrap_or(joined.node_id),
                                    );
                                }
                                r.window.close();
                                r.fail_safe.install(joined.home_id, now);
                                env.oracle.home_joined(index, joined.home_id);
                                if r.homes.len() > 1 {
                                    env.oracle.stats.multi_admin += 1;
                                }
                                env.log(|| {
                                    format!(
                                        "d{index} installed home {:016x} (provisional)",
                                        joined.home_id
                                    )
                                });
                            }
                            Err(e) => env.log(|| format!("d{index} install step failed: {e}")),
                        }
                        done = true;
                    }
                }
                if !reply.is_empty() {
                    let mut out = Vec::new();
                    if let Some(s) = r.sessions.get_mut(&id) {
                        if let Ok(info) = s.protector.seal(&reply, &mut out) {
                            env.oracle
                                .sealed(me, s.serial, info.generation, info.counter);
                            env.send(me, from, Kind::Sealed, out, Meta::default());
                        }
                    }
                }
                if done {
                    r.sessions.remove(&id);
                    let installed = r.fail_safe.provisional_home().is_some();
                    if !installed {
                        if let Some(rollback) = r.fail_safe.abort(now) {
                            roll_back(env, index, r, rollback, now);
                        }
                    }
                }
            }
        }
        sync_window(r, now);
    }
}

/// Records a subscription the device just created, from its request and response.
fn note_subscription(
    env: &mut Env,
    index: usize,
    serial: u64,
    request: &Envelope,
    response: &Envelope,
    first_event: u64,
) {
    if let (Message::SubscribeRequest(req), Message::SubscribeResponse(resp)) =
        (&request.message, &response.message)
    {
        let wants_events = req
            .events
            .iter()
            .any(|p| p.endpoint.is_none_or(|e| e == EndpointId(1)));
        env.oracle.sub_created(
            index,
            serial,
            resp.subscription,
            Duration::from_secs(req.min_interval_s.into()),
            Duration::from_secs(resp.max_interval_s.into()),
            first_event,
            wants_events,
            env.now,
        );
    }
}

/// Seals an interaction message on node session `session` and sends it to the session's
/// peer, telling the oracle about reports.
fn send_sealed(
    env: &mut Env,
    me: Addr,
    index: usize,
    r: &mut Running,
    session: u64,
    bytes: Vec<u8>,
) {
    let Ok(id) = u32::try_from(session) else {
        return;
    };
    let Some(s) = r.sessions.get_mut(&id) else {
        return;
    };
    let mut meta = Meta::default();
    if let Ok(Envelope {
        exchange: 0,
        message: Message::Report(report),
    }) = Envelope::decode(&bytes)
    {
        if let Some(sub) = report.subscription {
            let seq = env
                .oracle
                .report_sealed(index, s.serial, sub, &report.events, env.now);
            meta.report = Some((sub, report.events.iter().map(|e| e.number).collect()));
            meta.seq = seq;
            meta.what = format!("report {seq} of subscription {sub}");
        }
    }
    let mut out = Vec::with_capacity(bytes.len() + 32);
    match s.protector.seal(&bytes, &mut out) {
        Ok(info) => {
            env.oracle
                .sealed(me, s.serial, info.generation, info.counter);
            let peer = s.peer;
            env.send(me, peer, Kind::Sealed, out, meta);
        }
        Err(e) => env.log(|| format!("d{index} cannot seal: {e}")),
    }
}

fn add_operational(env: &mut Env, index: usize, r: &mut Running, est: &Established, from: Addr) {
    let Ok(protector) = Protector::new(est.session_keys(), env.protect) else {
        return;
    };
    let id = est.local_session_id.0;
    let home = est.peer.home_id;
    let serial = env.serial();
    r.sessions.insert(
        id,
        Session {
            protector,
            serial,
            peer: from,
            moved: false,
            purpose: Purpose::Operational(Requester {
                session: u64::from(id),
                home,
                node: est.peer.node_id,
            }),
        },
    );
    env.oracle.session_established(index, home, est.resumed);
    // [COMM-27] the first session of a provisional home confirms it.
    let _ = r.fail_safe.confirm(home, env.instant());
    let resumed = est.resumed;
    env.log(|| {
        format!(
            "d{index} session #{serial} ({id:08x}) with {from} of home {home:016x}{}",
            if resumed { " resumed" } else { "" }
        )
    });
}

/// Ends every session of `home` and forgets its membership and tickets `[ACL-9]` `[SESS-31]`.
fn forget_home(env: &mut Env, index: usize, r: &mut Running, home: HomeId) {
    if env.fault != Fault::KeepHomeOnUnpair {
        let _ = r.homes.remove(home);
        r.tickets.remove_home(home);
    }
    let gone: Vec<(u32, u64)> = r
        .sessions
        .iter()
        .filter(|(_, s)| matches!(s.purpose, Purpose::Operational(q) if q.home == home))
        .map(|(id, s)| (*id, s.serial))
        .collect();
    for (id, serial) in gone {
        r.sessions.remove(&id);
        r.node.session_closed(u64::from(id));
        env.oracle
            .subs_ended(index, Some(serial), env.now, DEFAULT_EVENT_BUFFER);
    }
    env.oracle.home_left(index, home);
}

fn roll_back(env: &mut Env, index: usize, r: &mut Running, rollback: Rollback, now: Instant) {
    if let Some(home) = rollback.home {
        env.log(|| format!("d{index} rolls back home {home:016x} [COMM-28]"));
        forget_home(env, index, r, home);
        let _ = r.homes.remove(home);
        r.node.remove_home(home);
        while r.node.poll_event().is_some() {}
    }
    if !matches!(r.window.state(now), WindowState::Open { .. }) {
        let _ = r.window.open_at_power_up(now, rollback.reopen_for);
    }
}

fn drain_node_events(env: &mut Env, index: usize, r: &mut Running, now: Instant) {
    while let Some(event) = r.node.poll_event() {
        match event {
            NodeEvent::OpenPairingWindow { duration } => {
                let _ = r.window.open(now, duration);
                env.log(|| format!("d{index} pairing window opened for {duration:?}"));
            }
            NodeEvent::ClosePairingWindow => r.window.close(),
            NodeEvent::HomeRemoved { home } => {
                env.oracle.stats.unpaired += 1;
                env.log(|| format!("d{index} leaves home {home:016x}"));
                forget_home(env, index, r, home);
            }
            _ => {}
        }
    }
    sync_window(r, now);
}

/// Keeps `pairing-window-open` equal to the window's state, noting when an open window
/// closes (for a rollback's reopening, `[COMM-29]`).
fn sync_window(r: &mut Running, now: Instant) {
    let state = r.window.state(now);
    let open = matches!(state, WindowState::Open { .. });
    if let WindowState::Open { closes_at } = state {
        r.window_closes_at = Some(closes_at);
    }
    let path = ConcreteAttribute::new(
        EndpointId::ROOT,
        administration::ID,
        administration::attributes::PAIRING_WINDOW_OPEN,
    );
    if r.node.attribute(path).and_then(Data::as_bool) != Some(open) {
        let _ = r.node.update(now, EndpointId::ROOT, |ctx| {
            ctx.set(
                administration::ID,
                administration::attributes::PAIRING_WINDOW_OPEN,
                open,
            )
        });
    }
}

/// A state the simulator's own setup cannot reach (the core's constructors failing on valid,
/// fixed input): the run stops with the reason.
fn unreachable_state(what: &str) -> ! {
    #[allow(clippy::panic)]
    {
        panic!("simulator setup failed: {what}")
    }
}

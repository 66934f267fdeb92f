//! The device's protocol state behind one lock: pairing window, commissioning, sessions and the
//! device node. Transport-free: the runner hands in message bytes and the connection they came
//! on, and sends what comes back. Every handler returns a typed error for bad input and leaves
//! the other sessions untouched.

use super::identity::DeviceIdentity;
use super::DeviceError;
use orbit_core::cert::{HomeId, HomeTable};
use orbit_core::commission::{ExpectAttestationRequest, ExpectInstallHome, FailSafe, Rollback};
use orbit_core::crypto::{Random, SystemRandom};
use orbit_core::device::{DeviceNode, NodeEvent, Outgoing, Requester};
use orbit_core::pairing::{PairingKeys, PairingWindow};
use orbit_core::protect::{Header, ProtectConfig, Protector};
use orbit_core::session::{Established, TicketStore};
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// Identifies the connection a session last spoke on, so reports go back the same way.
pub(crate) type RouteId = u64;

/// What a session is for.
enum Purpose {
    /// A PASE session: only commissioning messages, in order.
    Commissioning(Commissioning),
    /// An operational session of a home's node.
    Operational(Requester),
}

/// Where commissioning over a PASE session stands.
enum Commissioning {
    ExpectAttestation(ExpectAttestationRequest),
    ExpectInstall(ExpectInstallHome),
    /// Done or failed: further messages on this session are refused.
    Finished,
}

struct DeviceSession {
    protector: Protector,
    purpose: Purpose,
    /// The connection the session last spoke on; `None` once that connection closed (the
    /// session lives on and continues on the next connection that carries it, [QUIC-20]).
    route: Option<RouteId>,
    /// When the session last carried a message, to choose which idle session to let go.
    last_active: Instant,
}

/// A change the runner must persist or act on.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    /// Homes, access control or attribute values changed: save the device state.
    pub(crate) persist: bool,
    /// The operational request answered changed the node's state: its answer waits for the
    /// save that covers the change, and becomes `storage-failed` if that save fails
    /// `[DM-65]`. The session and the request's exchange.
    pub(crate) changed_by: Option<(u32, u32)>,
    /// The request opened a timed window: its follow-up comes on the same exchange.
    pub(crate) awaits_follow_up: bool,
    /// A message opened in a session of this home (`Some(None)`: a PASE session): its
    /// connection carries an Orbit session `[QUIC-40]`.
    pub(crate) authenticated: Option<Option<HomeId>>,
    /// The message was a commissioning step in a PASE session `[QUIC-23]`.
    pub(crate) commissioning: bool,
}

/// Everything the device knows, guarded by the runner's mutex.
pub(crate) struct DeviceCore {
    pub(crate) node: DeviceNode,
    pub(crate) identity: DeviceIdentity,
    pub(crate) window: PairingWindow,
    pub(crate) homes: HomeTable,
    pub(crate) tickets: TicketStore,
    sessions: HashMap<u32, DeviceSession>,
    pub(crate) rng: SystemRandom,
    max_sessions: usize,
    /// The access control list and persistent values as last saved, to notice changes.
    saved_fingerprint: Vec<u8>,
    /// Connections that are open now.
    live_routes: HashSet<RouteId>,
    /// The node's state revision when the fingerprint was last compared: when it has not
    /// moved, nothing can have changed and the fingerprint is not recomputed.
    checked_revision: u64,
    /// The commissioning in progress and its provisional home `[COMM-26]`.
    pub(crate) fail_safe: FailSafe,
    /// When the pairing window last seen open closes by itself, so that a rollback can give
    /// the rest of it back `[COMM-29]`.
    pub(super) window_closes_at: Option<Instant>,
    /// The opening the adverts were last told of (its closing time; `None` while closed),
    /// and how they are told: each opening gets a new commissionable instance name and a
    /// closing withdraws it at once, not at the adverts' next periodic check `[DISC-5]`,
    /// `[DISC-6]`.
    window_seen: Option<Instant>,
    pub(crate) window_changed: std::sync::Arc<tokio::sync::Notify>,
    /// The state as last stored, which a failed save returns to `[STATUS-4]`.
    pub(super) stored: Option<super::persist::DeviceState>,
    /// Checks the device skips (`conformance-faults` feature only).
    #[cfg(feature = "conformance-faults")]
    pub(crate) faults: orbit_core::faults::Faults,
}

pub(crate) use crate::unix_now;

impl DeviceCore {
    pub(crate) fn new(
        node: DeviceNode,
        identity: DeviceIdentity,
        homes: HomeTable,
        window: PairingWindow,
        max_sessions: usize,
    ) -> Self {
        let mut core = DeviceCore {
            node,
            identity,
            window,
            homes,
            tickets: TicketStore::default(),
            sessions: HashMap::new(),
            rng: SystemRandom::new(),
            max_sessions,
            saved_fingerprint: Vec::new(),
            checked_revision: 0,
            live_routes: HashSet::new(),
            fail_safe: FailSafe::default(),
            window_closes_at: None,
            window_seen: None,
            window_changed: std::sync::Arc::default(),
            stored: None,
            #[cfg(feature = "conformance-faults")]
            faults: orbit_core::faults::Faults::NONE,
        };
        // Also notes when an open window closes, for [COMM-29].
        core.sync_window_attribute(Instant::now());
        core.mark_saved();
        core
    }

    /// `[COMM-35]` one bound for the commissioning states' deadlines `[COMM-16]` and the
    /// fail-safe's `[LIMIT-15]`.
    pub(crate) fn set_commissioning_timeout(&mut self, timeout: std::time::Duration) {
        self.fail_safe = FailSafe::with_timeout(timeout);
    }

    /// Turns on the fault switches `faults` in the node, the pairing window and every
    /// session from now on (conformance tests only).
    #[cfg(feature = "conformance-faults")]
    pub(crate) fn set_faults(&mut self, faults: orbit_core::faults::Faults) {
        self.faults = faults;
        self.node.set_faults(faults);
        self.window.set_faults(faults);
    }

    /// The message protection of a new session.
    fn new_protector(
        &self,
        keys: orbit_core::protect::SessionKeys,
    ) -> Result<Protector, DeviceError> {
        #[cfg_attr(not(feature = "conformance-faults"), allow(unused_mut))]
        let mut protector = Protector::new(keys, ProtectConfig::default())?;
        #[cfg(feature = "conformance-faults")]
        protector.set_faults(self.faults);
        Ok(protector)
    }

    /// A session identifier no current session uses `[MSG-2]`. Refuses (`busy`) only when the
    /// device is full of sessions that all have a live connection; room is made when the new
    /// session is established, not before, so an unauthenticated handshake costs no one their
    /// session.
    pub(crate) fn fresh_session_id(&mut self) -> Result<u32, DeviceError> {
        if self.sessions.len() >= self.max_sessions && self.idle_session().is_none() {
            return Err(DeviceError::TooManySessions(self.max_sessions));
        }
        loop {
            let mut b = [0u8; 4];
            self.rng.fill(&mut b)?;
            let id = u32::from_be_bytes(b);
            if id != 0 && !self.sessions.contains_key(&id) {
                return Ok(id);
            }
        }
    }

    /// The least recently active session without a connection.
    fn idle_session(&self) -> Option<u32> {
        self.sessions
            .iter()
            .filter(|(_, s)| s.route.is_none())
            .min_by_key(|(_, s)| s.last_active)
            .map(|(id, _)| *id)
    }

    /// Makes room for one more session: when the device is full, the least recently active
    /// session without a connection goes.
    fn make_room(&mut self) -> Result<(), DeviceError> {
        if self.sessions.len() < self.max_sessions {
            return Ok(());
        }
        let id = self
            .idle_session()
            .ok_or(DeviceError::TooManySessions(self.max_sessions))?;
        self.sessions.remove(&id);
        self.node.session_closed(u64::from(id));
        Ok(())
    }

    /// A connection was accepted: sessions may take it as their route.
    pub(crate) fn route_opened(&mut self, route: RouteId) {
        self.live_routes.insert(route);
    }

    /// `route` if its connection is still open, else `None` (a session established just as
    /// its connection closed must not be pinned to it).
    fn live(&self, route: RouteId) -> Option<RouteId> {
        self.live_routes.contains(&route).then_some(route)
    }

    /// Registers a PASE session whose keys a pairing handshake just produced.
    pub(crate) fn add_pase_session(
        &mut self,
        keys: &PairingKeys,
        now: Instant,
        route: RouteId,
    ) -> Result<(), DeviceError> {
        let protector = self.new_protector(keys.session_keys())?;
        // [COMM-35] the state's deadline and the fail-safe's are one clock, started at `now`.
        let state = ExpectAttestationRequest::with_timeout(
            keys.attestation_challenge,
            now,
            self.fail_safe.timeout(),
        );
        // Commissioning needs the connection pairing ran on; without it the session is useless.
        let Some(route) = self.live(route) else {
            return Ok(());
        };
        // [COMM-26] commissioning runs in the fail-safe from here until it is confirmed.
        self.fail_safe
            .arm(now, route, self.window_closes_at)
            .map_err(|_| DeviceError::CommissioningInProgress)?;
        if let Err(e) = self.make_room() {
            self.fail_safe.abort(now);
            return Err(e);
        }
        self.sessions.insert(
            keys.device_session_id,
            DeviceSession {
                protector,
                purpose: Purpose::Commissioning(Commissioning::ExpectAttestation(state)),
                route: Some(route),
                last_active: now,
            },
        );
        Ok(())
    }

    /// Registers an operational session a SIGMA handshake just established. When the session
    /// is the first of a provisional home, it confirms the commissioning `[COMM-27]`: the
    /// returned rollback is what to apply if the home cannot then be stored.
    pub(crate) fn add_operational_session(
        &mut self,
        established: &Established,
        route: RouteId,
    ) -> Result<Option<Rollback>, DeviceError> {
        let protector = self.new_protector(established.session_keys())?;
        let id = established.local_session_id.0;
        self.make_room()?;
        let requester = Requester {
            session: u64::from(id),
            home: established.peer.home_id,
            node: established.peer.node_id,
        };
        self.sessions.insert(
            id,
            DeviceSession {
                protector,
                purpose: Purpose::Operational(requester),
                route: self.live(route),
                last_active: Instant::now(),
            },
        );
        Ok(self
            .fail_safe
            .confirm(established.peer.home_id, Instant::now()))
    }

    /// Number of open sessions (PASE and operational).
    pub(crate) fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// A connection closed: its sessions stay, without a route for reports, until a new
    /// connection carries them or the device needs their room `[QUIC-20]`. A PASE session
    /// ends with its connection: commissioning is one short conversation.
    pub(crate) fn route_closed(&mut self, route: RouteId) {
        self.live_routes.remove(&route);
        // [COMM-28] the commissioning connection went before confirmation.
        if let Some(rollback) = self.fail_safe.connection_closed(route, Instant::now()) {
            self.roll_back(rollback, Instant::now());
        }
        self.sessions.retain(|_, s| {
            let on_route = s.route == Some(route);
            !(on_route && matches!(s.purpose, Purpose::Commissioning(_)))
        });
        for s in self.sessions.values_mut() {
            if s.route == Some(route) {
                s.route = None;
            }
        }
    }

    /// Opens a protected message, answers it, and returns the sealed answers `[MSG-3]`: the
    /// session is found by the identifier in the header alone, whatever connection it came
    /// on, and the connection becomes the session's route for reports once the message has
    /// passed every check, so a dropped one never diverts them `[QUIC-25]`.
    pub(crate) fn handle_protected(
        &mut self,
        now: Instant,
        route: RouteId,
        mut datagram: Vec<u8>,
        effects: &mut Effects,
    ) -> Result<Vec<Vec<u8>>, DeviceError> {
        let header = Header::parse(&datagram)?;
        let id = header.session_id.0;
        #[cfg(feature = "conformance-faults")]
        if !self.sessions.contains_key(&id)
            && self
                .faults
                .has(orbit_core::faults::Fault::AnswersUnknownSession)
        {
            let mut status = Vec::new();
            orbit_core::session::encode_status(
                orbit_core::status::Status::UNKNOWN_SESSION,
                &mut status,
            );
            return Ok(vec![status]);
        }
        let session = self
            .sessions
            .get_mut(&id)
            .ok_or(DeviceError::UnknownSession(id))?;
        let plain = session.protector.open(&mut datagram)?.payload;
        if self.live_routes.contains(&route) {
            session.route = Some(route);
        }
        session.last_active = now;
        let answers = match &mut session.purpose {
            Purpose::Operational(requester) => {
                let requester = *requester;
                effects.authenticated = Some(Some(requester.home));
                let before = self.node.state_revision();
                let answer = self.node.answer(now, &requester, plain);
                effects.awaits_follow_up = answer.awaits_follow_up;
                if self.node.state_revision() != before {
                    effects.changed_by = request_exchange(plain).map(|x| (id, x));
                }
                answer.messages
            }
            Purpose::Commissioning(state) => {
                effects.authenticated = Some(None);
                effects.commissioning = true;
                let state = std::mem::replace(state, Commissioning::Finished);
                let (next, reply) = self.commission(state, plain, now)?;
                let finished = matches!(next, Commissioning::Finished);
                if let Some(Purpose::Commissioning(s)) =
                    self.sessions.get_mut(&id).map(|s| &mut s.purpose)
                {
                    *s = next;
                }
                let sealed = self.seal_all(id, vec![reply])?;
                // The PASE session's only use is commissioning: once that is over (done or
                // failed), it goes, and with it the keys derived from the passcode.
                if finished {
                    self.sessions.remove(&id);
                }
                return Ok(sealed);
            }
        };
        self.seal_all(id, answers)
    }

    /// A second commissioning message on a step's stream `[QUIC-23]`: if it opens in its PASE
    /// session, commissioning ends with `unexpected-message` `[COMM-3]`, sent back sealed
    /// (nothing answers a `commissioning-complete`, `[COMM-15]`). A message that does not
    /// open is dropped like any other `[MSG-18]`.
    pub(crate) fn refuse_extra_commissioning_message(
        &mut self,
        mut datagram: Vec<u8>,
    ) -> Result<Option<Vec<u8>>, DeviceError> {
        use orbit_core::codec::CborMessage;
        use orbit_core::commission::CommissioningComplete;
        let id = Header::parse(&datagram)?.session_id.0;
        let session = self
            .sessions
            .get_mut(&id)
            .filter(|s| matches!(s.purpose, Purpose::Commissioning(_)))
            .ok_or(DeviceError::UnknownSession(id))?;
        let plain = session.protector.open(&mut datagram)?.payload;
        let peer_ended = CommissioningComplete::decode(plain).is_ok();
        let reply = (!peer_ended).then(|| {
            CommissioningComplete {
                status: orbit_core::status::Status::UNEXPECTED_MESSAGE,
            }
            .to_bytes()
        });
        let sealed = match reply {
            Some(r) => self.seal_all(id, vec![r])?.into_iter().next(),
            None => None,
        };
        // Commissioning is over either way, and the PASE session with it [COMM-1].
        self.sessions.remove(&id);
        Ok(sealed)
    }

    /// Ends a session that a `session-status` after `sigma2-resume` refused `[QUIC-22]`.
    pub(crate) fn end_session(&mut self, id: u32) {
        if self.sessions.remove(&id).is_some() {
            self.node.session_closed(u64::from(id));
        }
    }

    /// One commissioning step inside a PASE session.
    fn commission(
        &mut self,
        state: Commissioning,
        message: &[u8],
        now: Instant,
    ) -> Result<(Commissioning, Vec<u8>), DeviceError> {
        let mut reply = Vec::new();
        match state {
            Commissioning::ExpectAttestation(s) => {
                match s.handle(
                    &self.identity.attestation,
                    &self.homes,
                    message,
                    &mut self.rng,
                    now,
                    &mut reply,
                ) {
                    Ok(next) => {
                        self.fail_safe.step(now);
                        Ok((Commissioning::ExpectInstall(next), reply))
                    }
                    Err(e) => self.failed_step(e, reply, now),
                }
            }
            Commissioning::ExpectInstall(s) => {
                // [COMM-12] [COMM-23] a clock reading before the floor is not trusted.
                let clock = orbit_core::commission::trustworthy_wall_clock(unix_now());
                match s.handle(&mut self.homes, message, now, clock, &mut reply) {
                    Ok(joined) => {
                        let key = self
                            .homes
                            .get(joined.home_id)
                            .map(|m| m.key.clone())
                            .ok_or(DeviceError::HomeVanished(joined.home_id))?;
                        // [ACL-6] the installing administrator gets an administer entry.
                        self.node.add_home(
                            joined.home_id,
                            key,
                            joined.admin_node_id.unwrap_or(joined.node_id),
                        );
                        // [PAIR-29] pairing is done: the window closes to new handshakes.
                        self.window.close();
                        self.sync_window_attribute(now);
                        // [COMM-26] the home stays provisional, in memory only, until a
                        // session of its home confirms it [COMM-27].
                        self.fail_safe.install(joined.home_id, now);
                        Ok((Commissioning::Finished, reply))
                    }
                    Err(e) => self.failed_step(e, reply, now),
                }
            }
            Commissioning::Finished => Err(DeviceError::CommissioningOver),
        }
    }

    /// A failed commissioning step still answers the controller when the core wrote a status
    /// for it; the session then refuses further commissioning messages. The fail-safe rolls
    /// the attempt back `[COMM-28]`.
    fn failed_step(
        &mut self,
        e: orbit_core::commission::CommissionError,
        reply: Vec<u8>,
        now: Instant,
    ) -> Result<(Commissioning, Vec<u8>), DeviceError> {
        if let Some(rollback) = self.fail_safe.abort(now) {
            self.roll_back(rollback, now);
        }
        if reply.is_empty() {
            Err(e.into())
        } else {
            tracing::info!(error = %e, "commissioning step failed");
            Ok((Commissioning::Finished, reply))
        }
    }

    pub(super) fn seal_all(
        &mut self,
        id: u32,
        plain: Vec<Vec<u8>>,
    ) -> Result<Vec<Vec<u8>>, DeviceError> {
        let session = self
            .sessions
            .get_mut(&id)
            .ok_or(DeviceError::UnknownSession(id))?;
        plain
            .into_iter()
            .map(|p| {
                let mut out = Vec::with_capacity(p.len() + 32);
                session.protector.seal(&p, &mut out)?;
                Ok(out)
            })
            .collect()
    }

    /// When the node, the pairing window, a behaviour or a commissioning deadline next needs
    /// [`DeviceCore::tick`].
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        [
            self.node.poll_timeout(),
            self.window.poll_timeout(),
            self.commissioning_deadline(),
            self.fail_safe.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The earliest deadline of a commissioning in progress `[COMM-16]`.
    fn commissioning_deadline(&self) -> Option<Instant> {
        self.sessions
            .values()
            .filter_map(|s| match &s.purpose {
                Purpose::Commissioning(Commissioning::ExpectAttestation(c)) => Some(c.deadline()),
                Purpose::Commissioning(Commissioning::ExpectInstall(c)) => Some(c.deadline()),
                _ => None,
            })
            .min()
    }

    /// Ends every commissioning whose deadline passed with no message of the controller's
    /// `[COMM-16]`: its `commissioning-complete(timeout)`, sealed in the PASE session, goes to
    /// the session's connection as a device-initiated message, and the PASE session ends
    /// `[QUIC-24]`, `[COMM-14]`; the fail-safe rolls back at the same time `[COMM-35]`.
    fn expire_commissioning(&mut self, now: Instant) -> Vec<(RouteId, Vec<u8>)> {
        let expired: Vec<u32> = self
            .sessions
            .iter()
            .filter(|(_, s)| match &s.purpose {
                Purpose::Commissioning(Commissioning::ExpectAttestation(c)) => now > c.deadline(),
                Purpose::Commissioning(Commissioning::ExpectInstall(c)) => now > c.deadline(),
                _ => false,
            })
            .map(|(id, _)| *id)
            .collect();
        let mut out = Vec::new();
        for id in expired {
            let Some(mut session) = self.sessions.remove(&id) else {
                continue;
            };
            let mut report = Vec::new();
            // Dropping the state discards the operational key generated for it [COMM-14].
            match std::mem::replace(
                &mut session.purpose,
                Purpose::Commissioning(Commissioning::Finished),
            ) {
                Purpose::Commissioning(Commissioning::ExpectAttestation(c)) => {
                    let _timeout = c.expire(&mut report);
                }
                Purpose::Commissioning(Commissioning::ExpectInstall(c)) => {
                    let _timeout = c.expire(&mut report);
                }
                _ => {}
            }
            // [COMM-35] [COMM-28] commissioning ended without success: the fail-safe rolls
            // back with it and the window reopens [COMM-29], whichever clock noticed first.
            if session.route.is_some() && self.fail_safe.connection() == session.route {
                if let Some(rollback) = self.fail_safe.abort(now) {
                    self.roll_back(rollback, now);
                }
            }
            let Some(route) = session.route else { continue };
            let mut sealed = Vec::with_capacity(report.len() + 32);
            if !report.is_empty() && session.protector.seal(&report, &mut sealed).is_ok() {
                out.push((route, sealed));
            }
        }
        out
    }

    /// Keeps the administration capability's `pairing-window-open` attribute equal to the
    /// window's state, whoever opened or closed it (start-up, a button, a command, a
    /// completed pairing, the timeout).
    pub(crate) fn sync_window_attribute(&mut self, now: Instant) {
        use orbit_core::model::std_caps::administration::{attributes, ID};
        use orbit_core::model::{Data, EndpointId};
        let state = self.window.state(now);
        let open = matches!(state, orbit_core::pairing::WindowState::Open { .. });
        if let orbit_core::pairing::WindowState::Open { closes_at } = state {
            self.window_closes_at = Some(closes_at);
        }
        let seen = match state {
            orbit_core::pairing::WindowState::Open { closes_at } => Some(closes_at),
            _ => None,
        };
        if seen != self.window_seen {
            self.window_seen = seen;
            self.window_changed.notify_one();
        }
        let path = orbit_core::interaction::ConcreteAttribute::new(
            EndpointId::ROOT,
            ID,
            attributes::PAIRING_WINDOW_OPEN,
        );
        if self.node.attribute(path).and_then(Data::as_bool) != Some(open) {
            let _ = self.node.update(now, EndpointId::ROOT, |ctx| {
                ctx.set(ID, attributes::PAIRING_WINDOW_OPEN, open)
            });
        }
    }

    /// Runs timers: subscription reports, behaviours, the pairing window. Returns the sealed
    /// reports with the route each goes on.
    pub(crate) fn tick(&mut self, now: Instant, effects: &mut Effects) -> Vec<(RouteId, Vec<u8>)> {
        let failures = (self.window.failed_attempts(), self.window.is_locked_out());
        self.window.handle_timeout(now);
        // A handshake abandoned at its deadline counts as a failed attempt [PAIR-25], which
        // must survive a restart [PAIR-27].
        if (self.window.failed_attempts(), self.window.is_locked_out()) != failures {
            effects.persist = true;
        }
        // [COMM-28] [LIMIT-15] nobody confirmed the commissioning in time.
        if let Some(rollback) = self.fail_safe.handle_timeout(now) {
            self.roll_back(rollback, now);
        }
        let outgoing = self.node.handle_timeout(now);
        self.drain_node_events(now, effects);
        self.sync_window_attribute(now);
        let mut sealed = self.expire_commissioning(now);
        for Outgoing { session, bytes } in outgoing {
            let Ok(id) = u32::try_from(session) else {
                continue;
            };
            let Some(s) = self.sessions.get_mut(&id) else {
                continue;
            };
            let Some(route) = s.route else { continue };
            let mut out = Vec::with_capacity(bytes.len() + 32);
            match s.protector.seal(&bytes, &mut out) {
                Ok(_) => sealed.push((route, out)),
                Err(e) => tracing::warn!(session = id, error = %e, "report not sealed"),
            }
        }
        sealed
    }

    /// Acts on what administrators asked the node for.
    pub(crate) fn drain_node_events(&mut self, now: Instant, effects: &mut Effects) {
        while let Some(event) = self.node.poll_event() {
            match event {
                NodeEvent::OpenPairingWindow { duration } => {
                    // An administrator opens the window for another home [ACL-10]: a
                    // deliberate opening, which lifts a lock-out and resets the count
                    // [PAIR-31]; the new count must reach the store [PAIR-27]. The node
                    // checked the duration against the same bounds before answering success,
                    // so this cannot fail [ACL-11].
                    let before = (self.window.failed_attempts(), self.window.is_locked_out());
                    match self.window.open(now, duration) {
                        Ok(()) => {
                            if (self.window.failed_attempts(), self.window.is_locked_out())
                                != before
                            {
                                effects.persist = true;
                            }
                        }
                        Err(e) => tracing::error!(error = %e, "pairing window not opened"),
                    }
                }
                NodeEvent::ClosePairingWindow => self.window.close(),
                NodeEvent::HomeRemoved { home } => {
                    self.forget_home(home);
                    effects.persist = true;
                }
                other => tracing::debug!(?other, "node event ignored"),
            }
        }
        self.sync_window_attribute(now);
        // [IM-50] the block of event numbers runs low: store the end of the next one.
        if self.node.event_number_reservation().is_some() {
            effects.persist = true;
        }
        let revision = self.node.state_revision();
        if revision != self.checked_revision {
            self.checked_revision = revision;
            if self.fingerprint() != self.saved_fingerprint {
                effects.persist = true;
            }
        }
    }

    /// Removes a home's membership, tickets and sessions `[ACL-9]`, `[SESS-31]`.
    pub(super) fn forget_home(&mut self, home: HomeId) {
        let _ = self.homes.remove(home);
        self.tickets.remove_home(home);
        let gone: Vec<u32> = self
            .sessions
            .iter()
            .filter(|(_, s)| matches!(s.purpose, Purpose::Operational(r) if r.home == home))
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            self.sessions.remove(&id);
            self.node.session_closed(u64::from(id));
        }
    }

    /// The bytes that decide whether the persisted state is stale: access control and the
    /// persistent attribute values.
    fn fingerprint(&self) -> Vec<u8> {
        super::persist::fingerprint(&self.node, self.fail_safe.provisional_home())
    }

    /// Records that the current state was saved.
    pub(crate) fn mark_saved(&mut self) {
        self.saved_fingerprint = self.fingerprint();
        self.checked_revision = self.node.state_revision();
    }

    /// Records that the state captured at node revision `revision` reached the store.
    pub(crate) fn mark_saved_at(&mut self, revision: u64, state: super::persist::DeviceState) {
        self.saved_fingerprint = state.fingerprint();
        self.checked_revision = revision;
        // [IM-50] numbers below the stored block end may be used from now on.
        self.node.event_numbers_reserved(state.event_numbers_end);
        self.stored = Some(state);
    }

    /// The state to store now: everything but a provisional home `[COMM-26]`.
    pub(crate) fn capture(&self) -> super::persist::DeviceState {
        super::persist::DeviceState::capture(
            &self.identity,
            &self.homes,
            &self.node,
            &self.tickets,
            self.window.failed_attempts(),
            self.window.is_locked_out(),
            self.fail_safe.provisional_home(),
        )
    }
}

/// The exchange number of an interaction request, to answer it with a status instead.
fn request_exchange(plain: &[u8]) -> Option<u32> {
    use orbit_core::codec::CborMessage;
    orbit_core::interaction::Envelope::decode(plain)
        .ok()
        .map(|e| e.exchange)
}

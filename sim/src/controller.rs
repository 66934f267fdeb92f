//! A simulated controller (one per home): pairs with devices by setup code, commissions them
//! into its home, opens SIGMA sessions (resuming with its ticket when it has one) and runs
//! interaction requests through orbit-core's sans-IO [`Client`].

use crate::env::Env;
use crate::net::{Addr, Kind, Meta};
use crate::oracle::ControllerSub;
use orbit_core::attest::{TrustStore, VendorAuthority};
use orbit_core::cert::{HomeAuthority, HomeId, HomeMembership, NodeId, NodeRole, Validity};
use orbit_core::codec::CborMessage;
use orbit_core::commission::{
    Commissioner, ExpectAttestationResponse, ExpectComplete, NodeAssignment,
};
use orbit_core::crypto::Random;
use orbit_core::interaction::{
    AttributePath, Client, ClientEvent, CommandPath, ConcreteAttribute, Envelope, EventPath,
    Message, ReadRequest, SubscribeRequest, WriteRequest,
};
use orbit_core::model::std_caps::administration;
use orbit_core::model::{Data, EndpointId};
use orbit_core::pairing::{Controller, ExpectPake2, ExpectPbkdfParamResponse};
use orbit_core::protect::{Header, Protector};
use orbit_core::session::{ExpectSigma2, Initiator, SessionId, Ticket};
use orbit_core::status::Status;
use orbit_core::version::SUPPORTED;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long an interaction operation may take before the oracle calls it a livelock: the
/// client's request timeout, a timed request's two round trips, and margin.
pub(crate) const REQUEST_BOUND: Duration = Duration::from_secs(75);
/// The same for pairing (PASE, two commissioning steps and the first session).
pub(crate) const PAIR_BOUND: Duration = Duration::from_secs(240);
/// The same for a session handshake.
pub(crate) const CONNECT_BOUND: Duration = Duration::from_secs(45);

/// An interaction the workload asks for.
#[derive(Clone, Debug)]
pub(crate) enum Request {
    /// Read endpoint 1.
    Read,
    /// Describe the device.
    Describe,
    /// Write an attribute (timed when the flag says so).
    Write(ConcreteAttribute, Data, bool),
    /// Invoke a command whose effect on one attribute is known.
    Invoke(CommandPath, Data, Option<(ConcreteAttribute, Data)>),
    /// Invoke a timed command.
    Timed(CommandPath, Data),
    /// Subscribe to endpoint 1 (with its events).
    Subscribe {
        /// Minimum interval, seconds.
        min_s: u32,
        /// Maximum interval, seconds.
        max_s: u32,
    },
    /// End one of the session's subscriptions.
    Unsubscribe,
    /// Remove this home from the device.
    Unpair,
    /// Open the pairing window for another home (multi-admin).
    OpenWindow,
}

enum Pairing {
    Params(ExpectPbkdfParamResponse),
    Pake2(ExpectPake2),
    Attest(Box<Protector>, u64, ExpectAttestationResponse),
    Complete(Box<Protector>, u64, ExpectComplete),
}

struct Pending {
    op: u64,
    /// For a subscribe: the minimum interval asked for.
    min: Duration,
    effect: Option<(ConcreteAttribute, Data)>,
    unpair: bool,
    unsubscribe: bool,
}

struct Session {
    protector: Protector,
    serial: u64,
    client: Client,
    pending: BTreeMap<u32, Pending>,
    subs: BTreeMap<u32, (ControllerSub, Duration)>,
}

struct Handshake {
    expect: ExpectSigma2,
    op: u64,
    probe: bool,
}

/// What a controller knows about one device.
#[derive(Default)]
pub(crate) struct Link {
    pairing: Option<(Pairing, u64)>,
    node_id: Option<NodeId>,
    session: Option<Session>,
    handshake: Option<Handshake>,
    ticket: Option<Ticket>,
    /// This home removed itself from the device (its ticket is kept, to probe with).
    unpaired: bool,
    /// The last time something on this link was lost, cut or restarted.
    pub(crate) disrupted_at: Duration,
}

impl Link {
    /// Whether the device was commissioned into this home (and not unpaired since).
    pub(crate) fn paired(&self) -> bool {
        self.node_id.is_some() && !self.unpaired
    }
    /// Whether a session is open.
    pub(crate) fn has_session(&self) -> bool {
        self.session.is_some()
    }
    /// Whether pairing or a handshake is in progress.
    pub(crate) fn busy(&self) -> bool {
        self.pairing.is_some() || self.handshake.is_some()
    }
    /// Requests in flight on the session.
    pub(crate) fn in_flight(&self) -> usize {
        self.session.as_ref().map_or(0, |s| s.pending.len())
    }
    /// Whether this home unpaired the device and still holds a ticket for it.
    pub(crate) fn can_probe(&self) -> bool {
        self.unpaired && self.ticket.is_some() && self.handshake.is_none()
    }
    /// Subscriptions on the session.
    pub(crate) fn subscriptions(&self) -> usize {
        self.session.as_ref().map_or(0, |s| s.subs.len())
    }
}

/// A simulated controller.
pub(crate) struct SimController {
    /// Its number.
    pub(crate) index: usize,
    authority: HomeAuthority,
    membership: HomeMembership,
    trust: TrustStore,
    /// Per device.
    pub(crate) links: BTreeMap<usize, Link>,
}

fn unix_validity(env: &Env) -> Validity {
    Validity::starting(env.unix().saturating_sub(3600), 86_400 * 365)
}

impl SimController {
    /// A controller with a new home.
    pub(crate) fn new(env: &mut Env, index: usize) -> Self {
        let validity = unix_validity(env);
        let start = env.unix() - 3600;
        let mut authority = match HomeAuthority::create(&mut env.rng, start, 86_400 * 3650) {
            Ok(a) => a,
            Err(e) => crate::setup_failed(&format!("home: {e}")),
        };
        let membership =
            match authority.issue_member(&mut env.rng, 1, NodeRole::CONTROLLER, validity) {
                Ok(m) => m,
                Err(e) => crate::setup_failed(&format!("member: {e}")),
            };
        let mut trust = TrustStore::new();
        let _ = trust.add_root(VendorAuthority::development().root().clone());
        SimController {
            index,
            authority,
            membership,
            trust,
            links: BTreeMap::new(),
        }
    }

    fn addr(&self) -> Addr {
        Addr::Controller(self.index)
    }

    /// The home's identifier.
    pub(crate) fn home(&self) -> HomeId {
        self.membership.home_id()
    }

    /// The link to device `d`.
    pub(crate) fn link(&mut self, d: usize) -> &mut Link {
        self.links.entry(d).or_default()
    }

    /// Starts pairing with device `d` by its passcode.
    pub(crate) fn pair(&mut self, env: &mut Env, d: usize, passcode: u32) {
        let me = self.addr();
        let mut b = [0u8; 4];
        let _ = env.rng.fill(&mut b);
        let now = env.instant();
        let start = Controller {
            passcode,
            versions: SUPPORTED,
            local_session_id: u32::from_be_bytes(b).max(1),
            known_params: None,
        }
        .start(&mut env.rng, now);
        let op = env
            .oracle
            .op_start(format!("{me} pairs with d{d}"), env.now, PAIR_BOUND);
        match start {
            Ok((state, request)) => {
                self.link(d).pairing = Some((Pairing::Params(state), op));
                env.log(|| format!("{me} starts pairing with d{d}"));
                env.send(
                    me,
                    Addr::Device(d),
                    Kind::Pase,
                    request.to_bytes(),
                    Meta::default(),
                );
            }
            Err(e) => self.end(env, op, false, format!("pairing not started: {e}")),
        }
    }

    fn end(&mut self, env: &mut Env, op: u64, ok: bool, how: String) {
        if let Some(what) = env.oracle.op_end(op, ok) {
            env.log(|| format!("op `{what}` {}: {how}", if ok { "done" } else { "failed" }));
        }
    }

    /// Opens a session with device `d` (resuming when it holds a ticket). `probe`: this home
    /// unpaired the device and tries its old ticket, which must fail.
    pub(crate) fn connect(&mut self, env: &mut Env, d: usize, probe: bool, pair_op: Option<u64>) {
        let me = self.addr();
        let Some(node) = self.link(d).node_id else {
            return;
        };
        let mut b = [0u8; 4];
        let _ = env.rng.fill(&mut b);
        let ticket = self.link(d).ticket.take();
        let resuming = ticket.is_some();
        let mut out = Vec::new();
        let now = env.both();
        let started = Initiator {
            membership: &self.membership,
            peer_node_id: node,
            versions: SUPPORTED,
            local_session_id: SessionId(u32::from_be_bytes(b).max(1)),
            ticket,
        }
        .start(&mut env.rng, now, &mut out);
        let op = pair_op.unwrap_or_else(|| {
            let what = if probe {
                format!("{me} probes d{d} with a ticket after unpairing")
            } else {
                format!("{me} connects to d{d}")
            };
            env.oracle.op_start(what, env.now, CONNECT_BOUND)
        });
        match started {
            Ok(expect) => {
                self.link(d).handshake = Some(Handshake { expect, op, probe });
                env.log(|| {
                    format!(
                        "{me} sigma1 to d{d}{}",
                        if resuming { " (resume)" } else { "" }
                    )
                });
                env.send(me, Addr::Device(d), Kind::Sigma, out, Meta::default());
            }
            Err(e) => self.end(env, op, false, format!("handshake not started: {e}")),
        }
    }

    /// Moves the session with `d` to a new protector object, as a transport change does
    /// `[MSG-19]`.
    pub(crate) fn move_session(&mut self, env: &mut Env, d: usize) {
        let me = self.addr();
        let Some(Session {
            protector,
            serial,
            client,
            pending,
            subs,
        }) = self.link(d).session.take()
        else {
            return;
        };
        match Protector::from_state(protector.into_state(), env.protect) {
            Ok(protector) => {
                self.link(d).session = Some(Session {
                    protector,
                    serial,
                    client,
                    pending,
                    subs,
                });
                env.log(|| format!("{me} moves its session with d{d} to a new transport [MSG-19]"));
            }
            Err(e) => {
                env.log(|| format!("{me} lost its session with d{d} in a move: {e}"));
                for (_, p) in pending {
                    self.fail_pending(env, d, p, None);
                }
            }
        }
    }

    /// Drops the session with `d` (as an app going to the background does); the ticket stays.
    pub(crate) fn drop_session(&mut self, env: &mut Env, d: usize) {
        if let Some(s) = self.link(d).session.take() {
            for (_, p) in s.pending {
                self.fail_pending(env, d, p, None);
            }
            env.log(|| format!("c{} drops its session with d{d}", self.index));
        }
    }

    fn fail_pending(&mut self, env: &mut Env, d: usize, p: Pending, known: Option<bool>) {
        if let Some((attr, value)) = &p.effect {
            env.oracle.change_done(d, *attr, value, known);
        }
        self.end(env, p.op, false, "session gone".into());
    }

    /// Sends an interaction request on the session with `d`.
    pub(crate) fn request(&mut self, env: &mut Env, d: usize, request: Request) {
        let me = self.addr();
        let now = env.instant();
        let home = self.home();
        let Some(s) = self.links.get_mut(&d).and_then(|l| l.session.as_mut()) else {
            return;
        };
        let what = format!("{me} {request:?} on d{d}");
        let mut effect = None;
        let mut unpair = false;
        let mut unsubscribe = false;
        let mut min = Duration::ZERO;
        let (exchange, bytes) = match request {
            Request::Read => s.client.read(
                now,
                ReadRequest {
                    attributes: vec![AttributePath::endpoint(EndpointId(1))],
                    events: vec![],
                    event_min: None,
                },
            ),
            Request::Describe => s.client.describe(now),
            Request::Write(attr, value, timed) => {
                env.oracle.change_sent(d, attr, value.clone());
                effect = Some((attr, value.clone()));
                let write = WriteRequest::new(vec![(attr, value)]);
                let write = if timed { write.timed() } else { write };
                s.client.write(now, write)
            }
            Request::Invoke(path, args, change) => {
                if let Some((attr, value)) = &change {
                    env.oracle.change_sent(d, *attr, value.clone());
                }
                effect = change;
                s.client.invoke(now, path, args, false)
            }
            Request::Timed(path, args) => s.client.invoke(now, path, args, true),
            Request::Subscribe { min_s, max_s } => {
                min = Duration::from_secs(min_s.into());
                s.client.subscribe(
                    now,
                    SubscribeRequest {
                        attributes: vec![AttributePath::endpoint(EndpointId(1))],
                        events: vec![EventPath {
                            endpoint: Some(EndpointId(1)),
                            capability: None,
                            event: None,
                        }],
                        event_min: None,
                        min_interval_s: min_s,
                        max_interval_s: max_s,
                    },
                )
            }
            Request::Unsubscribe => {
                let Some(sub) = s.subs.keys().next().copied() else {
                    return;
                };
                s.subs.remove(&sub);
                unsubscribe = true;
                s.client.unsubscribe(now, sub)
            }
            Request::Unpair => {
                unpair = true;
                s.client.invoke(
                    now,
                    CommandPath::new(
                        EndpointId::ROOT,
                        administration::ID,
                        administration::commands::REMOVE_HOME,
                    ),
                    Data::Struct(vec![(0, Data::Uint(home))]),
                    false,
                )
            }
            Request::OpenWindow => s.client.invoke(
                now,
                CommandPath::new(
                    EndpointId::ROOT,
                    administration::ID,
                    administration::commands::OPEN_PAIRING_WINDOW,
                ),
                Data::Struct(vec![(0, Data::Uint(180))]),
                true,
            ),
        };
        let op = env.oracle.op_start(what, env.now, REQUEST_BOUND);
        s.pending.insert(
            exchange,
            Pending {
                op,
                min,
                effect,
                unpair,
                unsubscribe,
            },
        );
        seal_send(env, me, d, s, &bytes);
    }

    /// When the controller next needs [`SimController::tick`].
    pub(crate) fn poll_timeout(&self, fault: crate::Fault) -> Option<Instant> {
        self.links
            .values()
            .flat_map(|l| {
                let pairing = l.pairing.as_ref().map(|(p, _)| match p {
                    Pairing::Params(s) => s.deadline(),
                    Pairing::Pake2(s) => s.deadline(),
                    Pairing::Attest(_, _, s) => s.deadline(),
                    Pairing::Complete(_, _, s) => s.deadline(),
                });
                let hs = l.handshake.as_ref().map(|h| h.expect.deadline());
                let client = l
                    .session
                    .as_ref()
                    .and_then(|s| s.client.poll_timeout())
                    .filter(|_| fault != crate::Fault::NoClientTimers);
                [pairing, hs, client]
            })
            .flatten()
            .min()
    }

    /// Expires what is due.
    pub(crate) fn tick(&mut self, env: &mut Env) {
        let now = env.instant();
        let devices: Vec<usize> = self.links.keys().copied().collect();
        for d in devices {
            let link = self.link(d);
            if let Some((p, op)) = link.pairing.take() {
                let deadline = match &p {
                    Pairing::Params(s) => s.deadline(),
                    Pairing::Pake2(s) => s.deadline(),
                    Pairing::Attest(_, _, s) => s.deadline(),
                    Pairing::Complete(_, _, s) => s.deadline(),
                };
                if now > deadline {
                    self.end(env, op, false, "pairing timed out".into());
                } else {
                    self.link(d).pairing = Some((p, op));
                }
            }
            let link = self.link(d);
            if let Some(h) = link.handshake.take() {
                if now > h.expect.deadline() {
                    self.end(env, h.op, false, "handshake timed out".into());
                } else {
                    self.link(d).handshake = Some(h);
                }
            }
            let events = self
                .link(d)
                .session
                .as_mut()
                .map(|s| s.client.handle_timeout(now))
                .unwrap_or_default();
            for e in events {
                self.client_event(env, d, e, None);
            }
        }
    }

    /// Handles one message from device `d`.
    pub(crate) fn receive(
        &mut self,
        env: &mut Env,
        d: usize,
        kind: Kind,
        mut bytes: Vec<u8>,
        meta: &Meta,
    ) {
        match kind {
            Kind::Pase => self.pase(env, d, &bytes),
            Kind::Sigma => self.sigma(env, d, &bytes),
            Kind::Sealed => {
                let Ok(header) = Header::parse(&bytes) else {
                    return;
                };
                let me = self.addr();
                let link = self.link(d);
                if let Some((Pairing::Attest(p, serial, _) | Pairing::Complete(p, serial, _), _)) =
                    link.pairing.as_mut()
                {
                    if p.local_session_id() == header.session_id {
                        let serial = *serial;
                        match p.open(&mut bytes) {
                            Ok(o) => {
                                env.oracle.accepted(
                                    me,
                                    serial,
                                    meta.uid,
                                    o.generation,
                                    o.counter,
                                    meta.replay,
                                );
                                let plain = o.payload.to_vec();
                                self.commissioning(env, d, &plain);
                            }
                            Err(_) => env.oracle.stats.rejected += 1,
                        }
                        return;
                    }
                }
                let Some(s) = link.session.as_mut() else {
                    return;
                };
                if s.protector.local_session_id() != header.session_id {
                    return;
                }
                let plain = match s.protector.open(&mut bytes) {
                    Ok(o) => {
                        env.oracle.accepted(
                            me,
                            s.serial,
                            meta.uid,
                            o.generation,
                            o.counter,
                            meta.replay,
                        );
                        o.payload.to_vec()
                    }
                    Err(e) => {
                        env.oracle.stats.rejected += 1;
                        env.log(|| format!("{me} rejects message {} from d{d}: {e}", meta.uid));
                        return;
                    }
                };
                let exchange = Envelope::decode(&plain).ok().map(|e| e.exchange);
                match s.client.handle(env.instant(), &plain) {
                    Ok(Some(event)) => self.client_event(env, d, event, Some(meta)),
                    Ok(None) => {
                        // An unsubscribe's success ended its operation without an event in
                        // earlier clients (now it is `ClientEvent::Unsubscribed`).
                        let done = exchange.and_then(|x| {
                            let p = s.pending.get(&x)?;
                            p.unsubscribe.then_some(x)
                        });
                        if let Some(x) = done.and_then(|x| s.pending.remove(&x)) {
                            self.end(env, x.op, true, "unsubscribed".into());
                        }
                    }
                    Err(e) => env.log(|| format!("{me} ignores a message from d{d}: {e}")),
                }
                if let Some(s) = self.link(d).session.as_mut() {
                    while let Some(b) = s.client.poll_transmit() {
                        seal_send(env, me, d, s, &b);
                    }
                }
            }
        }
    }

    fn client_event(&mut self, env: &mut Env, d: usize, event: ClientEvent, meta: Option<&Meta>) {
        let me = self.addr();
        let Some(s) = self.link(d).session.as_mut() else {
            return;
        };
        match event {
            ClientEvent::Report {
                subscription,
                events,
                ..
            } => {
                if let (Some((view, _)), Some(meta)) = (s.subs.get_mut(&subscription), meta) {
                    let who = format!("{me} subscription {subscription} of d{d}");
                    env.oracle.report_received(
                        view,
                        &who,
                        meta.uid,
                        meta.seq,
                        meta.sent_at,
                        &events,
                        env.now,
                        env.delay_spread,
                    );
                }
            }
            ClientEvent::SubscriptionLost { subscription } => {
                let disrupted = self.link(d).disrupted_at;
                let Some(s) = self.link(d).session.as_mut() else {
                    return;
                };
                if let Some((view, created)) = s.subs.remove(&subscription) {
                    // When the device sent the last report the controller saw.
                    let last = view.last_arrival.map_or(created, |(_, _, sent)| sent);
                    // A disruption at the very instant of the last report is counted as
                    // after it (the order within one instant is not known here).
                    if disrupted < last {
                        env.oracle.violate(format!(
                            "report late: {me} lost subscription {subscription} of d{d} at {} \
                             (last report {}) with no loss, cut or restart on the link since \
                             [IM-63] [IM-64]",
                            crate::trace::fmt_time(env.now),
                            crate::trace::fmt_time(last)
                        ));
                    }
                }
            }
            ClientEvent::Subscribed {
                exchange,
                subscription,
                max_interval_s,
                ..
            } => {
                let sent = meta.map_or(env.now, |m| m.sent_at);
                let min = s.pending.get(&exchange).map_or(Duration::ZERO, |p| p.min);
                let view = ControllerSub {
                    last_arrival: Some((env.now, 0, sent)),
                    min,
                    max: Duration::from_secs(max_interval_s.into()),
                    ..ControllerSub::default()
                };
                s.subs.insert(subscription, (view, sent));
                if let Some(p) = s.pending.remove(&exchange) {
                    self.end(env, p.op, true, format!("subscription {subscription}"));
                }
            }
            ClientEvent::TimedOut { exchange } => {
                if let Some(p) = s.pending.remove(&exchange) {
                    self.fail_pending(env, d, p, None);
                }
                // No answer: the session is presumed dead (the device may have restarted).
                self.drop_session(env, d);
            }
            other => {
                let (exchange, ok) = match &other {
                    ClientEvent::Written { exchange, statuses } => (
                        *exchange,
                        statuses.iter().all(|p| p.status == Status::SUCCESS),
                    ),
                    ClientEvent::Invoked { exchange, result } => (*exchange, result.is_ok()),
                    ClientEvent::Failed { exchange, .. } => (*exchange, false),
                    ClientEvent::ReadDone { exchange, .. } => (*exchange, true),
                    ClientEvent::Described { exchange, .. } => (*exchange, true),
                    ClientEvent::Unsubscribed { exchange } => (*exchange, true),
                    _ => return,
                };
                let Some(p) = s.pending.remove(&exchange) else {
                    return;
                };
                if let Some((attr, value)) = &p.effect {
                    env.oracle.change_done(d, *attr, value, Some(ok));
                }
                let unpaired = p.unpair && ok;
                self.end(
                    env,
                    p.op,
                    ok,
                    format!("{other:?}").chars().take(120).collect(),
                );
                if unpaired {
                    self.drop_session(env, d);
                    self.link(d).unpaired = true;
                    env.log(|| format!("{me} unpaired d{d}"));
                }
            }
        }
    }

    fn pase(&mut self, env: &mut Env, d: usize, bytes: &[u8]) {
        let me = self.addr();
        let now = env.instant();
        let Some((state, op)) = self.link(d).pairing.take() else {
            return;
        };
        match state {
            Pairing::Params(s) => match s.handle(bytes, &mut env.rng, now) {
                Ok((next, pake1)) => {
                    self.link(d).pairing = Some((Pairing::Pake2(next), op));
                    env.send(
                        me,
                        Addr::Device(d),
                        Kind::Pase,
                        pake1.to_bytes(),
                        Meta::default(),
                    );
                }
                Err(e) => self.end(env, op, false, format!("pairing: {e}")),
            },
            Pairing::Pake2(s) => match s.handle(bytes, now) {
                Ok((keys, pake3)) => {
                    env.send(
                        me,
                        Addr::Device(d),
                        Kind::Pase,
                        pake3.to_bytes(),
                        Meta::default(),
                    );
                    let Ok(mut protector) = Protector::new(keys.session_keys(), env.protect) else {
                        return self.end(env, op, false, "PASE keys".into());
                    };
                    let serial = env.serial();
                    let mut out = Vec::new();
                    match (Commissioner {
                        challenge: keys.attestation_challenge,
                        expected_product: None,
                    })
                    .start(&mut env.rng, now, &mut out)
                    {
                        Ok(next) => {
                            let mut sealed = Vec::new();
                            if let Ok(info) = protector.seal(&out, &mut sealed) {
                                env.oracle.sealed(me, serial, info.generation, info.counter);
                                env.send(
                                    me,
                                    Addr::Device(d),
                                    Kind::Sealed,
                                    sealed,
                                    Meta::default(),
                                );
                            }
                            self.link(d).pairing =
                                Some((Pairing::Attest(Box::new(protector), serial, next), op));
                        }
                        Err(e) => self.end(env, op, false, format!("commissioning: {e}")),
                    }
                }
                Err(e) => self.end(env, op, false, format!("pairing: {e}")),
            },
            other => self.link(d).pairing = Some((other, op)),
        }
    }

    fn commissioning(&mut self, env: &mut Env, d: usize, plain: &[u8]) {
        let me = self.addr();
        let now = env.instant();
        let unix = env.unix();
        let Some((state, op)) = self.link(d).pairing.take() else {
            return;
        };
        let mut out = Vec::new();
        match state {
            Pairing::Attest(mut p, serial, s) => {
                let verified = match s.handle(&self.trust, plain, now, unix, &mut out) {
                    Ok(v) => v,
                    Err(e) => return self.end(env, op, false, format!("attestation: {e}")),
                };
                out.clear();
                let assignment = NodeAssignment {
                    node_id: 0x100 + d as u64,
                    validity: unix_validity(env),
                    admin_node_id: Some(1),
                };
                match verified.install(&mut self.authority, assignment, now, unix, &mut out) {
                    Ok(next) => {
                        let mut sealed = Vec::new();
                        if let Ok(info) = p.seal(&out, &mut sealed) {
                            env.oracle.sealed(me, serial, info.generation, info.counter);
                            env.send(me, Addr::Device(d), Kind::Sealed, sealed, Meta::default());
                        }
                        self.link(d).pairing = Some((Pairing::Complete(p, serial, next), op));
                    }
                    Err(e) => self.end(env, op, false, format!("install: {e}")),
                }
            }
            Pairing::Complete(_, _, s) => match s.handle(plain, now, &mut out) {
                Ok(done) => {
                    self.drop_session(env, d);
                    let link = self.link(d);
                    link.node_id = Some(done.node_id);
                    link.unpaired = false;
                    link.ticket = None;
                    env.log(|| format!("{me} commissioned d{d} as node {:x}", done.node_id));
                    // [COMM-27] the first session confirms the commissioning.
                    self.connect(env, d, false, Some(op));
                }
                Err(e) => self.end(env, op, false, format!("commissioning: {e}")),
            },
            other => self.link(d).pairing = Some((other, op)),
        }
    }

    fn sigma(&mut self, env: &mut Env, d: usize, bytes: &[u8]) {
        let me = self.addr();
        let home = self.home();
        let Some(h) = self.link(d).handshake.take() else {
            return;
        };
        let mut out = Vec::new();
        match h
            .expect
            .handle(&self.membership, bytes, env.both(), &mut out)
        {
            Ok(mut est) => {
                if !out.is_empty() {
                    env.send(me, Addr::Device(d), Kind::Sigma, out, Meta::default());
                }
                if h.probe {
                    env.oracle.violate(format!(
                        "session after unpair: {me} opened a session with d{d} for home \
                         {home:016x}, which it removed from the device [SESS-31] [ACL-9]"
                    ));
                }
                let Ok(protector) = Protector::new(est.session_keys(), env.protect) else {
                    return self.end(env, h.op, false, "session keys".into());
                };
                let serial = env.serial();
                self.drop_session(env, d);
                let link = self.link(d);
                link.ticket = est.ticket.take();
                link.session = Some(Session {
                    protector,
                    serial,
                    client: Client::new(),
                    pending: BTreeMap::new(),
                    subs: BTreeMap::new(),
                });
                let resumed = est.resumed;
                self.end(
                    env,
                    h.op,
                    true,
                    format!(
                        "session #{serial}{}",
                        if resumed { " (resumed)" } else { "" }
                    ),
                );
            }
            Err(e) => {
                let link = self.link(d);
                if h.probe {
                    // The expected outcome: the device no longer knows this home.
                    link.ticket = None;
                } else if matches!(e, orbit_core::session::SessionError::PeerStatus(_)) {
                    // The device refused: it does not know this home (a commissioning it
                    // never confirmed, or an unpair whose answer was lost). Pair again.
                    link.node_id = None;
                    link.ticket = None;
                }
                // A probe that fails is the expected outcome.
                self.end(env, h.op, h.probe, format!("handshake refused: {e}"));
            }
        }
    }
}

fn seal_send(env: &mut Env, me: Addr, d: usize, s: &mut Session, plain: &[u8]) {
    let mut out = Vec::new();
    match s.protector.seal(plain, &mut out) {
        Ok(info) => {
            env.oracle
                .sealed(me, s.serial, info.generation, info.counter);
            let what = Envelope::decode(plain)
                .map(|e| message_name(&e.message))
                .unwrap_or("?");
            env.send(
                me,
                Addr::Device(d),
                Kind::Sealed,
                out,
                Meta {
                    what: what.into(),
                    ..Meta::default()
                },
            );
        }
        Err(e) => env.log(|| format!("{me} cannot seal: {e}")),
    }
}

fn message_name(m: &Message) -> &'static str {
    match m {
        Message::ReadRequest(_) => "read",
        Message::WriteRequest(_) => "write",
        Message::InvokeRequest(_) => "invoke",
        Message::SubscribeRequest(_) => "subscribe",
        Message::TimedRequest { .. } => "timed",
        Message::DescribeRequest => "describe",
        Message::Unsubscribe { .. } => "unsubscribe",
        _ => "other",
    }
}

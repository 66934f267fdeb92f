//! The invariants, checked as the run goes. Each check names what it protects; the first
//! violation ends the run with its trace.

use crate::net::Addr;
use orbit_core::cert::HomeId;
use orbit_core::interaction::{ConcreteAttribute, EventRecord};
use orbit_core::model::Data;
use orbit_core::protect::REPLAY_WINDOW;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// An operation a controller started, tracked until it completes or fails.
#[derive(Clone, Debug)]
struct Op {
    what: String,
    started: Duration,
    bound: Duration,
}

/// What acknowledged operations imply about one attribute: the value the last acknowledged
/// change set, plus values of changes whose outcome the controller never learned (lost
/// answers), which the device may or may not have applied.
#[derive(Clone, Debug)]
struct AttrModel {
    acked: Data,
    maybe: Vec<Data>,
    /// A change is in flight (the workload keeps one per attribute, so order is known).
    busy: bool,
}

/// One subscription as the device runs it, from its subscribe response.
#[derive(Clone, Debug)]
struct DeviceSub {
    min: Duration,
    max: Duration,
    last_report: Duration,
    /// The device's next event number when it was created.
    first_event: u64,
    /// Whether it asked for endpoint 1's events.
    wants_events: bool,
    reported: BTreeSet<u64>,
    pub(crate) last_event: u64,
    seq: u64,
}

/// A subscription as the controller sees it.
#[derive(Clone, Debug, Default)]
pub(crate) struct ControllerSub {
    pub(crate) last_uid: u64,
    pub(crate) last_event: u64,
    /// Arrival of the last report, its sequence number on the device and when it was sent.
    pub(crate) last_arrival: Option<(Duration, u64, Duration)>,
    /// The minimum interval the controller asked for.
    pub(crate) min: Duration,
    /// The maximum interval the device granted.
    pub(crate) max: Duration,
}

/// What one receiving session accepted: message uids, and the highest counter per key
/// generation.
type Accepted = (BTreeSet<u64>, BTreeMap<u64, u64>);

/// The invariants' state.
#[derive(Debug, Default)]
pub(crate) struct Oracle {
    ops: BTreeMap<u64, Op>,
    next_op: u64,
    /// Per receiving session (node, session serial): message uids accepted, and the highest
    /// counter accepted per key generation.
    accepted: BTreeMap<(Addr, u64), Accepted>,
    /// Every (sender, session serial, generation, counter) sealed.
    sealed: BTreeSet<(Addr, u64, u64, u64)>,
    attrs: BTreeMap<(usize, ConcreteAttribute), AttrModel>,
    /// Per device, event numbers sealed into reports with what they named.
    events: BTreeMap<(usize, u64), (u64, Data)>,
    max_event: BTreeMap<usize, u64>,
    /// Per device, events recorded on endpoint 1: (number, when).
    recorded: BTreeMap<usize, Vec<(u64, Duration)>>,
    /// Per device: subscriptions by (session serial, subscription id).
    subs: BTreeMap<(usize, u64, u32), DeviceSub>,
    /// Resuming sigma1 messages (by uid) that resumed a session.
    resumed_by: BTreeSet<u64>,
    /// Homes each device left (unpaired or rolled back), until it joins again.
    removed: BTreeSet<(usize, HomeId)>,
    /// The first violation.
    violation: Option<String>,
    /// Counters for the summary.
    pub(crate) stats: Stats,
}

/// What happened in a run, for the summary.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Operations that completed.
    pub ops_ok: u64,
    /// Operations that failed with a status or timed out.
    pub ops_failed: u64,
    /// Replays the adversary injected.
    pub replays_injected: u64,
    /// Protected messages a session rejected (replays, duplicates).
    pub rejected: u64,
    /// Device restarts.
    pub restarts: u64,
    /// Sessions resumed from a ticket.
    pub resumed: u64,
    /// Full session handshakes.
    pub full_handshakes: u64,
    /// Devices commissioned into a home.
    pub commissioned: u64,
    /// Commissionings into a device that already belonged to another home (multi-admin).
    pub multi_admin: u64,
    /// Homes a device left because their administrator unpaired it.
    pub unpaired: u64,
    /// Subscriptions the devices created.
    pub subscriptions: u64,
    /// Subscription reports the controllers received.
    pub reports: u64,
    /// Events the controllers received in reports.
    pub events: u64,
}

impl Oracle {
    /// Records a violation (the first one wins).
    pub(crate) fn violate(&mut self, what: String) {
        if self.violation.is_none() {
            self.violation = Some(what);
        }
    }

    /// The first violation, if any.
    pub(crate) fn violation(&self) -> Option<&str> {
        self.violation.as_deref()
    }

    // ---- liveness ----------------------------------------------------------------------

    /// An operation starts; it must end within `bound`.
    pub(crate) fn op_start(&mut self, what: String, now: Duration, bound: Duration) -> u64 {
        self.next_op += 1;
        self.ops.insert(
            self.next_op,
            Op {
                what,
                started: now,
                bound,
            },
        );
        self.next_op
    }

    /// An operation ended (`ok`: completed; otherwise failed with a status or timed out).
    pub(crate) fn op_end(&mut self, id: u64, ok: bool) -> Option<String> {
        let op = self.ops.remove(&id)?;
        if ok {
            self.stats.ops_ok += 1;
        } else {
            self.stats.ops_failed += 1;
        }
        Some(op.what)
    }

    /// No livelock: every operation ends within its bound of virtual time.
    pub(crate) fn check_liveness(&mut self, now: Duration) {
        let late = self
            .ops
            .values()
            .find(|o| now > o.started + o.bound)
            .cloned();
        if let Some(o) = late {
            self.violate(format!(
                "livelock: operation `{}` started at {} has neither completed nor failed after {:?}",
                o.what,
                crate::trace::fmt_time(o.started),
                o.bound
            ));
        }
    }

    /// Operations still open.
    pub(crate) fn open_ops(&self) -> usize {
        self.ops.len()
    }

    // ---- message protection ------------------------------------------------------------

    /// A message was sealed: no (key, counter) pair is ever used twice, which would reuse an
    /// AEAD nonce `[MSG-8]`.
    pub(crate) fn sealed(&mut self, sender: Addr, serial: u64, generation: u64, counter: u64) {
        if !self.sealed.insert((sender, serial, generation, counter)) {
            self.violate(format!(
                "nonce reuse: {sender} sealed a second message with counter {counter} \
                 (generation {generation}) in session #{serial} [MSG-8]"
            ));
        }
    }

    /// A session accepted a message: never the same message twice (a duplicate or an
    /// injected replay), never one below the replay window `[MSG-12]`.
    pub(crate) fn accepted(
        &mut self,
        receiver: Addr,
        serial: u64,
        uid: u64,
        generation: u64,
        counter: u64,
        replay: bool,
    ) {
        let (uids, highest) = self.accepted.entry((receiver, serial)).or_default();
        let fresh = uids.insert(uid);
        let top = highest.get(&generation).copied();
        let outside = top.is_some_and(|h| counter.saturating_add(REPLAY_WINDOW) <= h);
        let entry = highest.entry(generation).or_insert(counter);
        *entry = (*entry).max(counter);
        if !fresh {
            let how = if replay {
                "an injected replay"
            } else {
                "a duplicate"
            };
            self.violate(format!(
                "replay accepted: {receiver} session #{serial} accepted {how} of message {uid} \
                 (counter {counter}) [MSG-12]"
            ));
        } else if outside {
            self.violate(format!(
                "reordered message accepted outside the window: {receiver} session #{serial} \
                 counter {counter} below highest {top:?} [MSG-12]"
            ));
        }
    }

    // ---- attribute state ---------------------------------------------------------------

    /// Starts tracking `attr` of `device` at its initial value.
    pub(crate) fn track(&mut self, device: usize, attr: ConcreteAttribute, initial: Data) {
        self.attrs.insert(
            (device, attr),
            AttrModel {
                acked: initial,
                maybe: Vec::new(),
                busy: false,
            },
        );
    }

    /// Whether a change of `attr` is in flight.
    pub(crate) fn attr_busy(&self, device: usize, attr: ConcreteAttribute) -> bool {
        self.attrs.get(&(device, attr)).is_none_or(|m| m.busy)
    }

    /// A change of `attr` to `value` was sent.
    pub(crate) fn change_sent(&mut self, device: usize, attr: ConcreteAttribute, value: Data) {
        if let Some(m) = self.attrs.get_mut(&(device, attr)) {
            m.busy = true;
            m.maybe.push(value);
        }
    }

    /// The change's outcome: `Some(true)` acknowledged, `Some(false)` refused with a status,
    /// `None` unknown (the answer never came).
    pub(crate) fn change_done(
        &mut self,
        device: usize,
        attr: ConcreteAttribute,
        value: &Data,
        outcome: Option<bool>,
    ) {
        if let Some(m) = self.attrs.get_mut(&(device, attr)) {
            m.busy = false;
            match outcome {
                Some(true) => {
                    m.acked = value.clone();
                    m.maybe.clear();
                }
                Some(false) => {
                    if let Some(i) = m.maybe.iter().rposition(|v| v == value) {
                        m.maybe.remove(i);
                    }
                }
                None => {}
            }
        }
    }

    /// The device's value of every tracked attribute is one its acknowledged operations
    /// allow (after a restart too: no acknowledged write is lost, `[DM-66]`).
    pub(crate) fn check_attrs(
        &mut self,
        device: usize,
        value_of: impl Fn(ConcreteAttribute) -> Option<Data>,
        when: &str,
    ) {
        let mut bad = None;
        for ((d, attr), m) in &self.attrs {
            if *d != device {
                continue;
            }
            let v = value_of(*attr);
            let ok = v
                .as_ref()
                .is_some_and(|v| *v == m.acked || m.maybe.contains(v));
            if !ok {
                bad = Some(format!(
                    "attribute state {when}: d{device} {attr:?} is {v:?}, but acknowledged \
                     operations imply {:?} (or one of the unconfirmed {:?}) [DM-66]",
                    m.acked, m.maybe
                ));
                break;
            }
        }
        if let Some(b) = bad {
            self.violate(b);
        }
    }

    // ---- events and subscriptions ------------------------------------------------------

    /// The device recorded events numbered `from..to` on endpoint 1 at `now`.
    pub(crate) fn events_recorded(&mut self, device: usize, from: u64, to: u64, now: Duration) {
        let list = self.recorded.entry(device).or_default();
        for n in from..to {
            list.push((n, now));
        }
    }

    /// The device lost power: the events in its buffer (not persisted) are gone, and no
    /// later subscription can report them.
    pub(crate) fn events_forgotten(&mut self, device: usize) {
        self.recorded.remove(&device);
    }

    /// After a start, the device numbers events above every number it used before `[IM-50]`.
    pub(crate) fn check_event_numbers_after_start(&mut self, device: usize, next: u64) {
        if let Some(max) = self.max_event.get(&device).copied() {
            if next <= max {
                self.violate(format!(
                    "event numbers repeat: d{device} restarted numbering at {next}, but it had \
                     already reported event {max} [IM-50]"
                ));
            }
        }
    }

    /// The device created subscription `id` on session `serial`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn sub_created(
        &mut self,
        device: usize,
        serial: u64,
        id: u32,
        min: Duration,
        max: Duration,
        first_event: u64,
        wants_events: bool,
        now: Duration,
    ) {
        self.stats.subscriptions += 1;
        self.subs.insert(
            (device, serial, id),
            DeviceSub {
                min,
                max,
                last_report: now,
                first_event,
                wants_events,
                reported: BTreeSet::new(),
                last_event: 0,
                seq: 0,
            },
        );
    }

    /// The device sealed a report of subscription `id`; returns its sequence number. Reports
    /// come no sooner than the minimum interval after the previous one (keep-alives exactly
    /// at the maximum) and no later than the maximum `[IM-62]` `[IM-63]`; events carry
    /// strictly increasing numbers, and no number names two different events `[IM-50]`.
    pub(crate) fn report_sealed(
        &mut self,
        device: usize,
        serial: u64,
        id: u32,
        events: &[EventRecord],
        now: Duration,
    ) -> u64 {
        for e in events {
            let identity = (e.uptime_ms, e.fields.clone());
            match self.events.get(&(device, e.number)) {
                Some(seen) if *seen != identity => {
                    let msg = format!(
                        "event number reused: d{device} sent event {} twice for different events \
                         ({seen:?} then {identity:?}) [IM-50]",
                        e.number
                    );
                    self.violate(msg);
                }
                _ => {
                    self.events.insert((device, e.number), identity);
                }
            }
            let m = self.max_event.entry(device).or_insert(0);
            *m = (*m).max(e.number);
        }
        let Some(sub) = self.subs.get_mut(&(device, serial, id)) else {
            return 0;
        };
        let gap = now.saturating_sub(sub.last_report);
        let mut bad = None;
        if gap > Duration::ZERO && gap < sub.min {
            bad = Some(format!(
                "report too early: d{device} subscription {id} reported {gap:?} after the \
                 previous one, minimum interval {:?} [IM-62]",
                sub.min
            ));
        }
        if gap > sub.max {
            bad = Some(format!(
                "report too late: d{device} subscription {id} was silent {gap:?}, maximum \
                 interval {:?} [IM-63]",
                sub.max
            ));
        }
        for e in events {
            if e.number <= sub.last_event {
                bad = Some(format!(
                    "event numbers not increasing: d{device} subscription {id} sent event {} \
                     after {} [IM-50]",
                    e.number, sub.last_event
                ));
            }
            sub.last_event = e.number;
            sub.reported.insert(e.number);
        }
        sub.last_report = now;
        sub.seq += 1;
        let seq = sub.seq;
        if let Some(b) = bad {
            self.violate(b);
        }
        seq
    }

    /// Subscriptions of `device` on session `serial` (every session when `None`) end at
    /// `now`: each must have reported every event it covered, while the buffer had room
    /// `[IM-52]` and the minimum interval had passed.
    pub(crate) fn subs_ended(
        &mut self,
        device: usize,
        serial: Option<u64>,
        now: Duration,
        buffer: usize,
    ) {
        self.subs_ending(device, serial, None, now, buffer);
    }

    /// Subscription `id` of `device` on session `serial` ended at `now` (unsubscribed), with
    /// the checks of [`Oracle::subs_ended`].
    pub(crate) fn sub_ended(
        &mut self,
        device: usize,
        serial: u64,
        id: u32,
        now: Duration,
        buffer: usize,
    ) {
        self.subs_ending(device, Some(serial), Some(id), now, buffer);
    }

    fn subs_ending(
        &mut self,
        device: usize,
        serial: Option<u64>,
        id: Option<u32>,
        now: Duration,
        buffer: usize,
    ) {
        let ended: Vec<(u64, u32)> = self
            .subs
            .keys()
            .filter(|(d, s, i)| {
                *d == device && serial.is_none_or(|x| x == *s) && id.is_none_or(|x| x == *i)
            })
            .map(|(_, s, i)| (*s, *i))
            .collect();
        let recorded = self.recorded.get(&device).cloned().unwrap_or_default();
        for (s, id) in ended {
            let Some(sub) = self.subs.remove(&(device, s, id)) else {
                continue;
            };
            if !sub.wants_events {
                continue;
            }
            let covered: Vec<&(u64, Duration)> = recorded
                .iter()
                .filter(|(n, _)| *n >= sub.first_event)
                .collect();
            if covered.len() > buffer {
                continue;
            }
            let lost = covered.iter().find(|(n, at)| {
                *at + sub.min + Duration::from_millis(10) < now && !sub.reported.contains(n)
            });
            if let Some((n, at)) = lost {
                self.violate(format!(
                    "event lost: d{device} recorded event {n} at {}, subscription {id} lived \
                     until {} with buffer room, and never reported it [IM-52]",
                    crate::trace::fmt_time(*at),
                    crate::trace::fmt_time(now)
                ));
                return;
            }
        }
    }

    /// A controller received a report: events arriving in send order carry increasing
    /// numbers, and reports arrive no later than the maximum interval plus the link's delay
    /// spread, no sooner than the minimum interval minus it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn report_received(
        &mut self,
        view: &mut ControllerSub,
        who: &str,
        uid: u64,
        seq: u64,
        sent_at: Duration,
        events: &[EventRecord],
        now: Duration,
        spread: Duration,
    ) {
        self.stats.reports += 1;
        if let Some((arrived, prev_seq, prev_sent)) = view.last_arrival {
            // Two consecutive reports (none lost between), sent at different instants (the
            // chunks of one report share theirs): the arrival gap is the send gap give or
            // take the link's delay spread [IM-62] [IM-63].
            if seq == prev_seq + 1 && sent_at > prev_sent {
                let gap = now.saturating_sub(arrived);
                if gap > view.max + spread {
                    self.violate(format!(
                        "{who}: report {seq} arrived {gap:?} after the previous one, later than \
                         the maximum interval {:?} plus the link's delay spread {spread:?} \
                         [IM-63]",
                        view.max
                    ));
                }
                if gap + spread < view.min {
                    self.violate(format!(
                        "{who}: report {seq} arrived {gap:?} after the previous one, sooner than \
                         the minimum interval {:?} minus the link's delay spread {spread:?} \
                         [IM-62]",
                        view.min
                    ));
                }
            }
        }
        self.stats.events += events.len() as u64;
        if uid > view.last_uid {
            for e in events {
                if e.number <= view.last_event {
                    self.violate(format!(
                        "{who}: event {} arrived after event {} in send order [IM-50]",
                        e.number, view.last_event
                    ));
                }
                view.last_event = e.number;
            }
            view.last_uid = uid;
        }
        if view.last_arrival.is_none_or(|(_, _, sent)| sent <= sent_at) {
            view.last_arrival = Some((now, seq, sent_at));
        }
    }

    // ---- homes -------------------------------------------------------------------------

    /// A device joined `home` (again).
    pub(crate) fn home_joined(&mut self, device: usize, home: HomeId) {
        self.removed.remove(&(device, home));
        self.stats.commissioned += 1;
    }

    /// A device left `home` (unpaired, or a commissioning rolled back).
    pub(crate) fn home_left(&mut self, device: usize, home: HomeId) {
        self.removed.insert((device, home));
    }

    /// A sigma1 resumed a session on `device`: no copy of it (a duplicate, or a replay the
    /// adversary injects, before or after a restart) resumes again, as its ticket is
    /// single-use `[SESS-25]` `[SESS-30]`.
    pub(crate) fn sigma1_resumed(&mut self, device: usize, uid: u64) {
        if !self.resumed_by.insert(uid) {
            self.violate(format!(
                "replayed sigma1 resumed: d{device} resumed a second session from a copy of \
                 sigma1 {uid} [SESS-30]"
            ));
        }
    }

    /// A session of `home` was established with `device`: never for a home it left, resumed
    /// or not `[SESS-31]` `[ACL-9]`.
    pub(crate) fn session_established(&mut self, device: usize, home: HomeId, resumed: bool) {
        if resumed {
            self.stats.resumed += 1;
        } else {
            self.stats.full_handshakes += 1;
        }
        if self.removed.contains(&(device, home)) {
            let how = if resumed { "resumed" } else { "established" };
            self.violate(format!(
                "session after unpair: d{device} {how} a session of home {home:016x}, which it \
                 left [SESS-31] [ACL-9]"
            ));
        }
    }
}

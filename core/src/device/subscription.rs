//! Subscriptions: change reports, keep-alives, and when to wake `[IM-60]`..`[IM-66]`.

use super::node::{DeviceNode, Outgoing};
use super::reports::encode_reports;
use crate::cert::{HomeId, NodeId};
use crate::interaction::ConcreteAttribute;
use crate::interaction::{AttributePath, AttributeReport, EventPath};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// One subscription's state on the device.
#[derive(Debug)]
pub(crate) struct Subscription {
    pub(crate) id: u32,
    pub(crate) session: u64,
    pub(crate) home: HomeId,
    pub(crate) node: NodeId,
    pub(crate) attributes: Vec<AttributePath>,
    pub(crate) events: Vec<EventPath>,
    pub(crate) min: Duration,
    pub(crate) max: Duration,
    pub(crate) last_report: Instant,
    pub(crate) dirty: BTreeSet<ConcreteAttribute>,
    /// The number of the first event not yet reported.
    pub(crate) next_event: u64,
}

/// The longest keep-alive interval a device grants `[IM-60]`.
pub const MAX_INTERVAL_LIMIT_S: u32 = 3600;

impl DeviceNode {
    fn has_new_events(&self, sub: &Subscription) -> bool {
        self.events
            .since(sub.next_event)
            .any(|r| self.event_visible(sub.home, sub.node, &sub.events, r))
    }

    /// When the node next needs [`DeviceNode::handle_timeout`]: the earliest subscription
    /// report or keep-alive, or behaviour timer.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let subs = self.subscriptions.iter().filter_map(|s| {
            if !s.dirty.is_empty() || self.has_new_events(s) {
                if fault!(self.faults, IgnoresMinInterval) {
                    return Some(s.last_report);
                }
                Some(s.last_report + s.min)
            } else if fault!(self.faults, SkipsKeepAlives) {
                None
            } else {
                Some(s.last_report + s.max)
            }
        });
        let behaviors = self
            .endpoints
            .values()
            .filter_map(|e| e.behavior.as_ref().and_then(|b| b.poll_timeout()));
        subs.chain(behaviors).min()
    }

    /// Runs due behaviour timers, then returns the subscription reports that are due: changes
    /// once `min_interval` has passed since the previous report `[IM-62]`, and keep-alives
    /// after `max_interval` without one `[IM-63]`.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<Outgoing> {
        for (id, ep) in self.endpoints.iter_mut() {
            if let Some(b) = ep.behavior.as_mut() {
                if b.poll_timeout().is_some_and(|t| t <= now) {
                    let mut ctx = super::Context::new(
                        &mut self.store,
                        &mut self.events,
                        self.start,
                        now,
                        *id,
                        None,
                    );
                    b.handle_timeout(&mut ctx);
                }
            }
        }
        self.propagate_changes();
        let mut out = Vec::new();
        for i in 0..self.subscriptions.len() {
            let Some(sub) = self.subscriptions.get(i) else {
                continue;
            };
            let pending = !sub.dirty.is_empty() || self.has_new_events(sub);
            let min_passed =
                now >= sub.last_report + sub.min || fault!(self.faults, IgnoresMinInterval);
            let keep_alive_due =
                now >= sub.last_report + sub.max && !fault!(self.faults, SkipsKeepAlives);
            let due = (pending && min_passed) || keep_alive_due;
            if !due {
                continue;
            }
            let attributes: Vec<AttributeReport> = sub
                .dirty
                .iter()
                .filter_map(|a| {
                    Some(AttributeReport {
                        path: *a,
                        result: Ok(self.read_value(sub.home, sub.node, a)?),
                    })
                })
                .collect();
            let events: Vec<_> = self
                .events
                .since(sub.next_event)
                .filter(|r| self.event_visible(sub.home, sub.node, &sub.events, r))
                .cloned()
                .collect();
            let (session, id) = (sub.session, sub.id);
            for bytes in encode_reports(
                0,
                Some(id),
                attributes,
                events,
                self.limits.max_message as usize,
            ) {
                out.push(Outgoing { session, bytes });
            }
            let next_event = self.events.next_number();
            if let Some(sub) = self.subscriptions.get_mut(i) {
                sub.dirty.clear();
                sub.last_report = now;
                sub.next_event = next_event;
            }
        }
        out
    }
}

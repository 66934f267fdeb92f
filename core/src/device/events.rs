//! The event buffer `[IM-50]`..`[IM-52]`.

use crate::interaction::EventRecord;
use crate::model::{CapabilityId, Data, EndpointId, EventId, Priority};
use std::collections::VecDeque;

/// Events the reference device buffers `[IM-52]` (the spec's minimum).
pub const DEFAULT_EVENT_BUFFER: usize = 64;

/// How many event numbers the reference device reserves at once `[IM-50]`: the end of the
/// block is persisted, so the store is written once per this many events, not per event.
pub const EVENT_NUMBER_BLOCK: u64 = 1024;

/// Recorded events, oldest first.
#[derive(Debug)]
pub struct EventLog {
    records: VecDeque<EventRecord>,
    capacity: usize,
    next_number: u64,
    /// The end (exclusive) of the block of numbers the driver last reported persisted
    /// `[IM-50]`; 0 when none is.
    reserved_end: u64,
    /// Checks this log skips (conformance tests only).
    #[cfg(feature = "conformance-faults")]
    pub(crate) faults: crate::faults::Faults,
}

impl EventLog {
    /// An empty log holding at most `capacity` events, numbering from `first_number`
    /// (a device restores it from its persisted high-water mark `[IM-50]`).
    pub fn new(capacity: usize, first_number: u64) -> Self {
        EventLog {
            records: VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
            next_number: first_number.max(1),
            reserved_end: 0,
            #[cfg(feature = "conformance-faults")]
            faults: crate::faults::Faults::NONE,
        }
    }

    /// Continues numbering from `persisted_end`, the end of the block a previous run
    /// reserved `[IM-50]`: numbers below it may have been used, so none of them is used
    /// again. Events already buffered (the start-up event) are renumbered from it, which is
    /// sound only before any of their numbers was sent, that is at start-up.
    pub fn continue_from(&mut self, persisted_end: u64) {
        let first = self.records.front().map_or(self.next_number, |r| r.number);
        let shift = persisted_end.saturating_sub(first);
        for r in &mut self.records {
            r.number = r.number.saturating_add(shift);
        }
        self.next_number = self.next_number.saturating_add(shift);
    }

    /// The block end the driver should persist now, or `None` while the persisted block
    /// still has at least half a block of unused numbers `[IM-50]`. Asking early (at half a
    /// block) leaves the driver time to store the new end before the old block runs out.
    pub fn reservation_wanted(&self) -> Option<u64> {
        let left = self.reserved_end.saturating_sub(self.next_number);
        (left < EVENT_NUMBER_BLOCK / 2).then(|| self.next_number.saturating_add(EVENT_NUMBER_BLOCK))
    }

    /// The end (exclusive) of the block last reported stored.
    pub fn reserved_end(&self) -> u64 {
        self.reserved_end
    }

    /// The driver stored `end` as the end of the reserved block `[IM-50]`.
    pub fn reserved(&mut self, end: u64) {
        self.reserved_end = self.reserved_end.max(end);
    }

    /// Records an event and returns its number `[IM-50]`. When full, evicts the oldest event
    /// of the lowest priority present `[IM-52]`.
    pub fn record(
        &mut self,
        endpoint: EndpointId,
        capability: CapabilityId,
        event: EventId,
        priority: Priority,
        uptime_ms: u64,
        fields: Data,
    ) -> u64 {
        if self.records.len() >= self.capacity {
            let lowest = self.records.iter().map(|r| r.priority).min();
            if let Some(idx) = self.records.iter().position(|r| Some(r.priority) == lowest) {
                self.records.remove(idx);
            }
        }
        let number = self.next_number;
        if !fault!(self.faults, ReusesEventNumbers) {
            self.next_number = self.next_number.saturating_add(1);
        }
        self.records.push_back(EventRecord {
            number,
            endpoint,
            capability,
            event,
            priority,
            uptime_ms,
            fields,
        });
        number
    }

    /// Events numbered at least `from`, in ascending order `[IM-15]`.
    pub fn since(&self, from: u64) -> impl Iterator<Item = &EventRecord> {
        self.records.iter().filter(move |r| r.number >= from)
    }

    /// The number the next event will get.
    pub fn next_number(&self) -> u64 {
        self.next_number
    }

    /// The buffer's capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

//! The event buffer `[IM-50]`..`[IM-52]`.

use crate::interaction::EventRecord;
use crate::model::{CapabilityId, Data, EndpointId, EventId, Priority};
use std::collections::VecDeque;

/// Events the reference device buffers `[IM-52]` (the spec's minimum).
pub const DEFAULT_EVENT_BUFFER: usize = 64;

/// Recorded events, oldest first.
#[derive(Debug)]
pub struct EventLog {
    records: VecDeque<EventRecord>,
    capacity: usize,
    next_number: u64,
}

impl EventLog {
    /// An empty log holding at most `capacity` events, numbering from `first_number`
    /// (a device restores it from its persisted high-water mark `[IM-50]`).
    pub fn new(capacity: usize, first_number: u64) -> Self {
        EventLog {
            records: VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
            next_number: first_number.max(1),
        }
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
        self.next_number = self.next_number.saturating_add(1);
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

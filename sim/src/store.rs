//! The device's store, in memory: what a device keeps across restarts (homes, access control,
//! persistent attribute values, resumption tickets, the end of its reserved block of event
//! numbers and the pairing failure count), the same fields `orbit-sdk` persists
//! (`sdk/src/device/persist.rs`). A restart rebuilds the device from the last record the
//! store made durable; the deliberate faults of [`crate::Fault`] are store wrappers here.

use orbit_core::cert::{HomeId, HomeMembership, OperationalPeer};
use orbit_core::device::AclEntry;
use orbit_core::interaction::ConcreteAttribute;
use orbit_core::model::Data;
use orbit_core::session::{Ticket, TicketId, TicketStore};

/// A resumption ticket as stored (a [`Ticket`] is single-use and cannot be cloned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredTicket {
    id: TicketId,
    secret: [u8; 32],
    home: HomeId,
    peer: OperationalPeer,
    expires_unix: u64,
    hard_limit_unix: u64,
}

impl StoredTicket {
    /// The home the ticket's session was in.
    pub(crate) fn home(&self) -> HomeId {
        self.home
    }

    fn of(t: &Ticket) -> Self {
        StoredTicket {
            id: t.id,
            secret: *t.secret(),
            home: t.home_id,
            peer: t.peer.clone(),
            expires_unix: t.expires_unix,
            hard_limit_unix: t.hard_limit_unix,
        }
    }

    fn ticket(&self) -> Ticket {
        Ticket::from_parts(
            self.id,
            self.secret,
            self.home,
            self.peer.clone(),
            self.expires_unix,
            self.hard_limit_unix,
        )
    }
}

/// One saved device state.
#[derive(Clone, Debug, Default)]
pub(crate) struct Record {
    /// Confirmed home memberships (never a provisional one, `[COMM-26]`).
    pub(crate) homes: Vec<HomeMembership>,
    /// The access control list.
    pub(crate) acl: Vec<AclEntry>,
    /// Attribute values marked persistent `[DM-12]`.
    pub(crate) values: Vec<(ConcreteAttribute, Data)>,
    /// Resumption tickets the device issued.
    pub(crate) tickets: Vec<StoredTicket>,
    /// The end of the reserved block of event numbers `[IM-50]`.
    pub(crate) event_numbers_end: u64,
    /// Failed pairing attempts and the lock-out `[PAIR-27]`.
    pub(crate) pairing_failures: (u32, bool),
}

impl Record {
    /// The tickets as a ticket store.
    pub(crate) fn ticket_store(&self, now_unix: u64) -> TicketStore {
        let mut store = TicketStore::default();
        for t in &self.tickets {
            store.insert(t.ticket(), now_unix);
        }
        store
    }

    /// The stored form of `store`'s tickets.
    pub(crate) fn tickets_of(store: &TicketStore) -> Vec<StoredTicket> {
        store.iter().map(StoredTicket::of).collect()
    }

    /// What decides whether a new save is needed (memberships compare by home).
    pub(crate) fn same_as(&self, other: &Record) -> bool {
        let homes = |r: &Record| r.homes.iter().map(|m| m.home_id()).collect::<Vec<_>>();
        homes(self) == homes(other)
            && self.acl == other.acl
            && self.values == other.values
            && self.tickets == other.tickets
            && self.event_numbers_end == other.event_numbers_end
            && self.pairing_failures == other.pairing_failures
    }
}

/// Where a device saves its state. `save` returns once the record is durable (the device
/// answers a write only after that, `[DM-66]`); `power_loss` is a crash; `load` is what a
/// restarted device reads.
pub(crate) trait DeviceStore {
    /// Makes `record` durable.
    fn save(&mut self, record: Record);
    /// The durable record, if any.
    fn load(&self) -> Option<Record>;
    /// The power goes: anything not durable is gone.
    fn power_loss(&mut self);
}

/// An honest in-memory store: a save is durable when it returns.
#[derive(Debug, Default)]
pub(crate) struct MemStore {
    durable: Option<Record>,
}

impl DeviceStore for MemStore {
    fn save(&mut self, record: Record) {
        self.durable = Some(record);
    }
    fn load(&self) -> Option<Record> {
        self.durable.clone()
    }
    fn power_loss(&mut self) {}
}

/// Fault: acknowledges a save before it is durable (a write-back cache that flushes only when
/// the next save comes), so a crash loses the last acknowledged change.
#[derive(Debug, Default)]
pub(crate) struct AckBeforePersist {
    durable: Option<Record>,
    cached: Option<Record>,
}

impl DeviceStore for AckBeforePersist {
    fn save(&mut self, record: Record) {
        if let Some(previous) = self.cached.replace(record) {
            self.durable = Some(previous);
        }
    }
    fn load(&self) -> Option<Record> {
        self.durable.clone()
    }
    fn power_loss(&mut self) {
        self.cached = None;
    }
}

/// Fault: never stores a new end of the block of event numbers (the counter record is lost),
/// so a restarted device numbers its events from the old end again.
#[derive(Debug, Default)]
pub(crate) struct LoseEventCounter {
    durable: Option<Record>,
}

impl DeviceStore for LoseEventCounter {
    fn save(&mut self, mut record: Record) {
        record.event_numbers_end = self.durable.as_ref().map_or(0, |r| r.event_numbers_end);
        self.durable = Some(record);
    }
    fn load(&self) -> Option<Record> {
        self.durable.clone()
    }
    fn power_loss(&mut self) {}
}

/// Fault: never forgets a resumption ticket it once stored, so a ticket a session redeemed
/// comes back after a restart.
#[derive(Debug, Default)]
pub(crate) struct KeepSpentTickets {
    durable: Option<Record>,
}

impl DeviceStore for KeepSpentTickets {
    fn save(&mut self, mut record: Record) {
        if let Some(old) = &self.durable {
            for t in &old.tickets {
                if !record.tickets.contains(t) {
                    record.tickets.push(t.clone());
                }
            }
        }
        self.durable = Some(record);
    }
    fn load(&self) -> Option<Record> {
        self.durable.clone()
    }
    fn power_loss(&mut self) {}
}

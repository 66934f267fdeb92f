//! Group commit of the device state `[DM-66]`: one task writes the state to the store, off
//! the request path, and each write covers every change asked for before it began. A request
//! whose change must be durable before it is acknowledged `[DM-65]` takes a ticket and awaits
//! the write that covers it; requests arriving while a write (with its fsync) runs share the
//! next one, so N concurrent writes cost about two fsyncs rather than N.
//!
//! Tickets are numbered under the device core's lock, the same lock under which a write
//! captures the state, so "the write that covers ticket t" is exact: a capture taken after
//! ticket t was issued contains its change. A failed write returns the core to the stored
//! state `[STATUS-4]` and fails every ticket issued so far, since every one of those changes
//! was just undone.

use super::persist::DEVICE_RECORD;
use super::runner::Shared;
use orbit_store::{RecordKey, Store};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::{oneshot, Notify};

/// The device's saver: the store and the queue of changes waiting for a write.
pub(crate) struct Saver {
    store: Arc<dyn Store>,
    queue: Mutex<Queue>,
    work: Notify,
    /// Held for each write, from its capture to its outcome.
    writing: Mutex<()>,
}

#[derive(Default)]
struct Queue {
    /// Tickets issued: the number of save requests so far.
    issued: u64,
    /// Every ticket up to this one has its outcome.
    settled: u64,
    /// Requests awaiting the outcome of their ticket.
    waiters: BTreeMap<u64, Vec<oneshot::Sender<bool>>>,
    /// The device stopped: nothing more is written, and nobody waits for it.
    closed: bool,
}

/// A request's wait for the write that covers its change.
pub(crate) struct Pending(oneshot::Receiver<bool>);

impl Pending {
    /// Whether the change reached the store. `false` also when the device stopped first.
    pub(crate) async fn stored(self) -> bool {
        self.0.await.unwrap_or(false)
    }
}

impl Saver {
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        Saver {
            store,
            queue: Mutex::new(Queue::default()),
            work: Notify::new(),
            writing: Mutex::new(()),
        }
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks for the state as it is now to be written, without waiting. Call with the core
    /// locked, after the change.
    pub(crate) fn request(&self) -> u64 {
        let ticket = {
            let mut q = self.queue();
            q.issued = q.issued.wrapping_add(1);
            q.issued
        };
        self.work.notify_one();
        ticket
    }

    /// [`Saver::request`], and a wait for the write that covers the change. Call with the
    /// core locked, after the change.
    pub(crate) fn request_and_wait(&self) -> Pending {
        let (tx, rx) = oneshot::channel();
        let ticket = self.request();
        let mut q = self.queue();
        if q.closed {
            // Dropped: the wait ends at once with "not stored".
            drop(tx);
        } else {
            q.waiters.entry(ticket).or_default().push(tx);
        }
        Pending(rx)
    }

    /// The device stops: every wait ends with "not stored" (the writer task is gone), so no
    /// exchange is left holding its connection, and with it the device's port.
    pub(crate) fn close(&self) {
        let waiting = {
            let mut q = self.queue();
            q.closed = true;
            std::mem::take(&mut q.waiters)
        };
        drop(waiting);
    }

    /// Gives every ticket up to `through` its outcome.
    fn settle(&self, through: u64, stored: bool) {
        let done = {
            let mut q = self.queue();
            q.settled = q.settled.max(through);
            let later = q.waiters.split_off(&through.saturating_add(1));
            std::mem::replace(&mut q.waiters, later)
        };
        for tx in done.into_values().flatten() {
            let _ = tx.send(stored);
        }
    }

    /// The last ticket issued, if some ticket has no outcome yet.
    fn unsettled(&self) -> Option<u64> {
        let q = self.queue();
        (q.issued != q.settled).then_some(q.issued)
    }
}

/// An answer held back until the change it reports is stored `[DM-65]`.
pub(crate) struct Durable {
    pub(crate) pending: Pending,
    /// The session and exchange of the request, to answer `storage-failed` on instead.
    pub(crate) request: (u32, u32),
}

impl Durable {
    /// The answers once the change is stored, or `storage-failed` in their place when it
    /// could not be (the device has undone the change) `[STATUS-4]`.
    pub(crate) async fn answers(
        self,
        shared: &Shared,
        answers: Result<Vec<Vec<u8>>, super::DeviceError>,
    ) -> Result<Vec<Vec<u8>>, super::DeviceError> {
        if self.pending.stored().await {
            return answers;
        }
        let (session, exchange) = self.request;
        let status = orbit_core::interaction::Envelope {
            exchange,
            message: orbit_core::interaction::Message::StatusResponse(
                orbit_core::status::Status::STORAGE_FAILED,
            ),
        };
        use orbit_core::codec::CborMessage;
        shared.lock().seal_all(session, vec![status.to_bytes()])
    }
}

/// Writes the state the device starts with. A device just made must store its identity (or
/// its setup code would change at the next start), so a failure stops it; a device whose
/// state was loaded runs on, and refuses each change it cannot store `[STATUS-4]`.
pub(crate) fn save_at_start(
    core: &mut super::core::DeviceCore,
    store: &dyn Store,
    manufactured: bool,
) -> Result<(), super::DeviceError> {
    let state = core.capture();
    let revision = core.node.state_revision();
    match device_key().and_then(|key| Ok(orbit_store::save_doc(store, &key, &state)?)) {
        Ok(()) => {}
        Err(e) if manufactured => return Err(e),
        Err(e) => tracing::error!(error = %e, "device state not saved at start"),
    }
    core.mark_saved_at(revision, state);
    Ok(())
}

/// The record key of the device state.
pub(crate) fn device_key() -> Result<RecordKey, super::DeviceError> {
    Ok(RecordKey::new(DEVICE_RECORD).map_err(orbit_store::StoreError::from)?)
}

/// Writes the device state whenever a change asks for it, one write at a time, each
/// covering every ticket issued before its capture. The writes run on the blocking pool.
pub(crate) async fn run(shared: Arc<Shared>) {
    let Some(saver) = shared.saver.as_ref() else {
        return;
    };
    loop {
        saver.work.notified().await;
        loop {
            let s = shared.clone();
            match tokio::task::spawn_blocking(move || write_once(&s)).await {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    tracing::error!(error = %e, "the device state writer failed");
                    break;
                }
            }
        }
    }
}

/// Writes the state now, in the caller's thread, if any change waits for a write (for a
/// device-side action that must be durable when it returns, such as a deliberate opening of
/// the pairing window `[PAIR-27]`). A failure is logged, and undone as for any write.
pub(crate) fn save_now(shared: &Shared) {
    if let Some(saver) = &shared.saver {
        {
            let _core = shared.lock();
            saver.request();
        }
        write_once(shared);
    }
}

/// One write: captures the state with every ticket issued so far, stores it, and gives those
/// tickets their outcome. `false` when nothing waited for a write. Writes are serialised, and
/// each captures after the previous one finished, so an older state never overwrites a newer.
fn write_once(shared: &Shared) -> bool {
    let Some(saver) = &shared.saver else {
        return false;
    };
    let _one_at_a_time = saver.writing.lock().unwrap_or_else(|p| p.into_inner());
    let (state, revision, covered) = {
        let core = shared.lock();
        let Some(covered) = saver.unsettled() else {
            return false;
        };
        (core.capture(), core.node.state_revision(), covered)
    };
    let written = device_key().and_then(|key| {
        orbit_store::save_doc(saver.store.as_ref(), &key, &state)?;
        Ok(())
    });
    match written {
        Ok(()) => {
            shared.lock().mark_saved_at(revision, state);
            saver.settle(covered, true);
        }
        Err(e) => {
            tracing::error!(error = %e, "device state not saved");
            // [STATUS-4] back to what is stored; every change made so far was undone, so
            // every ticket issued so far fails. Settled under the core's lock, so no request
            // can change state between the undo and the settling.
            let mut core = shared.lock();
            core.revert_to_stored(Instant::now());
            let through = saver.queue().issued;
            saver.settle(through, false);
            drop(core);
        }
    }
    true
}

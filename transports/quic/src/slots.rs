//! The server's table of connections: the state the budget policy ([`crate::budget`]) decides
//! on, and the carrying out of its decisions (closing the connection that gives way).
//!
//! The request path touches only a connection's own [`Activity`] atomics (an exchange opens,
//! an exchange ends); the table's lock is taken when a connection arrives, authenticates for
//! the first time or leaves.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use crate::budget::{self, Decision, Limits, SlotId, Standing, View};
use crate::code::ErrorCode;

/// What a connection does, as the policy sees it; shared by the table, the link and its
/// exchanges.
#[derive(Debug)]
pub(crate) struct Activity {
    id: SlotId,
    open_exchanges: AtomicU32,
    /// The table's base instant, copied so the request path needs no table.
    base: Instant,
    /// Nanoseconds from `base`.
    last_active: AtomicU64,
    reports: AtomicBool,
    authenticated: AtomicBool,
    /// A pairing handshake is in progress: [QUIC-40]'s deadline waits for it to end.
    deadline_deferred: AtomicBool,
    /// [QUIC-40]'s deadline passed while it was deferred.
    deadline_passed: AtomicBool,
    table: Weak<Table>,
}

impl Activity {
    /// The connection has subscription reports to carry: it is never idle again.
    pub(crate) fn carries_reports(&self) {
        self.reports.store(true, Ordering::Relaxed);
    }

    /// Asks for an authenticated place for `home` (once; later calls answer at once).
    /// `false`: refused, and the connection is closed with `server-busy`.
    pub(crate) fn authenticate(&self, home: Option<u64>) -> bool {
        if self.authenticated.load(Ordering::Acquire) {
            return true;
        }
        match self.table.upgrade() {
            Some(table) => table.authenticate(self, home),
            None => true,
        }
    }

    /// Defers [QUIC-40]'s deadline until the returned guard is dropped.
    pub(crate) fn defer_deadline(self: &Arc<Self>) -> DeadlineDeferral {
        self.deadline_deferred.store(true, Ordering::Release);
        DeadlineDeferral {
            activity: self.clone(),
        }
    }

    fn touch(&self) {
        let nanos = u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last_active.store(nanos, Ordering::Relaxed);
    }
}

/// How long a connection whose [QUIC-40] deadline passed during a pairing handshake stays open
/// after the handshake, to deliver its final status.
const DEFERRED_CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Keeps [QUIC-40]'s deadline from closing a connection while a pairing handshake runs on it;
/// when dropped after the deadline passed, the connection is expired then.
#[derive(Debug)]
pub struct DeadlineDeferral {
    activity: Arc<Activity>,
}

impl Drop for DeadlineDeferral {
    fn drop(&mut self) {
        self.activity
            .deadline_deferred
            .store(false, Ordering::Release);
        if !self.activity.deadline_passed.load(Ordering::Acquire) {
            return;
        }
        // The handshake's last frame (its status) is still on its way: closing now would
        // discard it, so the connection gets a short grace to deliver it.
        let activity = self.activity.clone();
        let expire = move || {
            if let Some(table) = activity.table.upgrade() {
                table.expire(&activity);
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    tokio::time::sleep(DEFERRED_CLOSE_GRACE).await;
                    expire();
                });
            }
            Err(_) => expire(),
        }
    }
}

/// Holds a place in the table for a link; gives it back when dropped.
#[derive(Debug)]
pub(crate) struct SlotGuard {
    pub(crate) activity: Arc<Activity>,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        if let Some(table) = self.activity.table.upgrade() {
            table.release(self.activity.id);
        }
    }
}

/// Counts an exchange as open while it lives (an open exchange makes a connection busy).
#[derive(Debug)]
pub(crate) struct ExchangeGuard {
    activity: Arc<Activity>,
}

impl ExchangeGuard {
    pub(crate) fn activity(&self) -> &Activity {
        &self.activity
    }

    pub(crate) fn activity_arc(&self) -> &Arc<Activity> {
        &self.activity
    }

    pub(crate) fn new(activity: &Arc<Activity>) -> Self {
        activity.open_exchanges.fetch_add(1, Ordering::Relaxed);
        activity.touch();
        Self {
            activity: activity.clone(),
        }
    }
}

impl Drop for ExchangeGuard {
    fn drop(&mut self) {
        self.activity.open_exchanges.fetch_sub(1, Ordering::Relaxed);
    }
}

struct Entry {
    standing: Standing,
    activity: Arc<Activity>,
    /// The connection once its QUIC handshake completed.
    conn: Option<quinn::Connection>,
}

/// Every connection a server holds.
pub(crate) struct Table {
    base: Instant,
    limits: Limits,
    entries: Mutex<HashMap<SlotId, Entry>>,
    next: AtomicU64,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Table {
    pub(crate) fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            base: Instant::now(),
            limits,
            entries: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<SlotId, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn views(&self, entries: &HashMap<SlotId, Entry>) -> Vec<View> {
        entries
            .values()
            .map(|e| {
                let a = &e.activity;
                View {
                    id: a.id,
                    standing: e.standing,
                    busy: a.open_exchanges.load(Ordering::Relaxed) > 0
                        || a.reports.load(Ordering::Relaxed),
                    last_active: self.base
                        + Duration::from_nanos(a.last_active.load(Ordering::Relaxed)),
                }
            })
            .collect()
    }

    /// Closes and forgets `victim` to make room.
    fn evict(entries: &mut HashMap<SlotId, Entry>, victim: SlotId) {
        if let Some(e) = entries.remove(&victim) {
            tracing::debug!(slot = victim, "evicted to make room");
            // A connection still in its QUIC handshake is closed, with the same code, by its
            // handshake task when the handshake ends ([`Table::established`]): abandoning
            // the handshake instead would close it without a code its client could read as
            // busy.
            if let Some(conn) = &e.conn {
                conn.close(ErrorCode::SERVER_BUSY.to_varint(), b"evicted");
            }
        }
    }

    /// A connection attempt arrives: its place, or `None` if it is refused ([QUIC-41]).
    pub(crate) fn arrive(self: &Arc<Self>) -> Option<Arc<Activity>> {
        let now = Instant::now();
        let mut entries = self.lock();
        match budget::arrival(&self.limits, &self.views(&entries)) {
            Decision::Admit => {}
            Decision::Evict(victim) => Self::evict(&mut entries, victim),
            Decision::Refuse => return None,
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let activity = Arc::new(Activity {
            id,
            base: self.base,
            open_exchanges: AtomicU32::new(0),
            last_active: AtomicU64::new(0),
            reports: AtomicBool::new(false),
            authenticated: AtomicBool::new(false),
            deadline_deferred: AtomicBool::new(false),
            deadline_passed: AtomicBool::new(false),
            table: Arc::downgrade(self),
        });
        activity.touch();
        entries.insert(
            id,
            Entry {
                standing: Standing::Unauthenticated { since: now },
                activity: activity.clone(),
                conn: None,
            },
        );
        Some(activity)
    }

    /// The QUIC handshake of `activity`'s connection completed; `false` if it was evicted
    /// meanwhile.
    pub(crate) fn established(&self, activity: &Activity, conn: &quinn::Connection) -> bool {
        match self.lock().get_mut(&activity.id) {
            Some(e) => {
                e.conn = Some(conn.clone());
                true
            }
            None => false,
        }
    }

    fn authenticate(&self, activity: &Activity, home: Option<u64>) -> bool {
        let mut entries = self.lock();
        if activity.authenticated.load(Ordering::Acquire) {
            return true;
        }
        if !entries.contains_key(&activity.id) {
            return false;
        }
        let views = self.views(&entries);
        match budget::promotion(&self.limits, &views, activity.id, home) {
            Decision::Admit => {}
            Decision::Evict(victim) => Self::evict(&mut entries, victim),
            Decision::Refuse => {
                if let Some(e) = entries.remove(&activity.id) {
                    if let Some(conn) = &e.conn {
                        conn.close(ErrorCode::SERVER_BUSY.to_varint(), b"no room");
                    }
                }
                return false;
            }
        }
        if let Some(e) = entries.get_mut(&activity.id) {
            e.standing = Standing::Authenticated { home };
        }
        activity.authenticated.store(true, Ordering::Release);
        true
    }

    /// [QUIC-40]: closes the connection if it is still unauthenticated.
    pub(crate) fn expire(&self, activity: &Activity) {
        let mut entries = self.lock();
        let Some(e) = entries.get(&activity.id) else {
            return;
        };
        if matches!(e.standing, Standing::Unauthenticated { .. }) {
            // A pairing handshake in progress is bounded by its own deadlines and its stall
            // counted [PAIR-33], [PAIR-34]; closing under it would end it uncounted.
            activity.deadline_passed.store(true, Ordering::Release);
            if activity.deadline_deferred.load(Ordering::Acquire) {
                return;
            }
            if let Some(conn) = &e.conn {
                tracing::debug!(slot = activity.id, "no Orbit session in time; closed");
                conn.close(ErrorCode::LIMIT_EXCEEDED.to_varint(), b"no session in time");
            }
            entries.remove(&activity.id);
        }
    }

    fn release(&self, id: SlotId) {
        self.lock().remove(&id);
    }

    /// Connections held now: (authenticated, unauthenticated).
    pub(crate) fn counts(&self) -> (usize, usize) {
        let entries = self.lock();
        let auth = entries
            .values()
            .filter(|e| matches!(e.standing, Standing::Authenticated { .. }))
            .count();
        (auth, entries.len().saturating_sub(auth))
    }
}

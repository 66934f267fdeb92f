//! Protected messages that overtake the `sigma3` of their own session `[SESS-39]`.
//!
//! An initiator may send its first requests right after `sigma3`, each on a stream of its
//! own ([SESS-13], [QUIC-21]); QUIC delivers streams independently, so a request can reach
//! the device before the `sigma3` that establishes its session. The handshake reserves its
//! session identifier here from the moment it sends `sigma2` until it ends; a message naming
//! a reserved identifier waits for that end instead of being dropped as unknown.

use orbit_core::protect::Header;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::watch;

/// Messages held at most per pending handshake `[SESS-39]`: an initiator's first requests.
pub(crate) const MAX_HELD_PER_HANDSHAKE: usize = 8;

/// Session identifiers of full handshakes that have sent `sigma2` and not yet handled
/// `sigma3`.
#[derive(Default)]
pub(crate) struct EarlyMessages {
    pending: Mutex<HashMap<u32, Pending>>,
}

struct Pending {
    /// Dropped when the handshake ends, which wakes every held message.
    _ended: watch::Sender<()>,
    ended: watch::Receiver<()>,
    /// Messages held so far.
    held: usize,
    /// The handshake's deadline for `sigma3` `[SESS-33]`.
    deadline: Instant,
}

/// Keeps a session identifier reserved while it lives; the handshake holds it from before
/// `sigma2` goes out until the session is registered or the handshake failed.
pub(crate) struct Reservation<'a> {
    early: &'a EarlyMessages,
    id: u32,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        // Removing the entry drops its sender: every held message wakes and looks again.
        self.early.lock().remove(&self.id);
    }
}

impl EarlyMessages {
    fn lock(&self) -> MutexGuard<'_, HashMap<u32, Pending>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves `id` for a handshake whose `sigma3` is due by `deadline`.
    pub(crate) fn reserve(&self, id: u32, deadline: Instant) -> Reservation<'_> {
        let (tx, rx) = watch::channel(());
        self.lock().insert(
            id,
            Pending {
                _ended: tx,
                ended: rx,
                held: 0,
                deadline,
            },
        );
        Reservation { early: self, id }
    }

    /// Whether `datagram` names a session whose handshake has not ended yet.
    pub(crate) fn is_pending(&self, datagram: &[u8]) -> bool {
        let pending = self.lock();
        if pending.is_empty() {
            return false;
        }
        Header::parse(datagram).is_ok_and(|h| pending.contains_key(&h.session_id.0))
    }

    /// If `datagram` names a session whose handshake has not ended, waits until it ends (or
    /// its deadline passes) `[SESS-39]`; the caller then processes the message as usual,
    /// which drops it if the handshake failed. Returns at once for every other message, and
    /// for messages beyond [`MAX_HELD_PER_HANDSHAKE`].
    pub(crate) async fn wait(&self, datagram: &[u8]) {
        let Some((mut ended, deadline)) = self.hold(datagram) else {
            return;
        };
        let wait = deadline.saturating_duration_since(Instant::now());
        // `changed` fails once the sender is gone: the handshake ended.
        let _ = tokio::time::timeout(wait, ended.changed()).await;
    }

    fn hold(&self, datagram: &[u8]) -> Option<(watch::Receiver<()>, Instant)> {
        let mut pending = self.lock();
        if pending.is_empty() {
            return None;
        }
        let id = Header::parse(datagram).ok()?.session_id.0;
        let p = pending.get_mut(&id)?;
        if p.held >= MAX_HELD_PER_HANDSHAKE {
            tracing::debug!(session = id, "too many early messages; dropped");
            return None;
        }
        p.held += 1;
        Some((p.ended.clone(), p.deadline))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;
    use std::time::Duration;

    fn message(id: u32) -> Vec<u8> {
        // A header naming `id` followed by room for a tag: enough for Header::parse.
        let mut m = vec![0u8; 40];
        m[1..5].copy_from_slice(&id.to_be_bytes());
        m
    }

    #[tokio::test]
    async fn a_message_for_a_pending_handshake_waits_until_it_ends() {
        // [SESS-39]
        let early = EarlyMessages::default();
        let Ok(h) = Header::parse(&message(7)) else {
            // The test's header layout must be the real one.
            panic!("header layout changed")
        };
        assert_eq!(h.session_id.0, 7);
        let reservation = early.reserve(7, Instant::now() + Duration::from_secs(30));
        assert!(early.is_pending(&message(7)));
        assert!(!early.is_pending(&message(8)));
        let held = message(7);
        let waiting = early.wait(&held);
        tokio::pin!(waiting);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), &mut waiting)
                .await
                .is_err(),
            "held while the handshake runs"
        );
        drop(reservation);
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .unwrap();
        assert!(!early.is_pending(&message(7)));
    }

    #[tokio::test]
    async fn at_most_eight_messages_are_held_per_handshake() {
        // [SESS-39]
        let early = EarlyMessages::default();
        let _r = early.reserve(9, Instant::now() + Duration::from_secs(30));
        for _ in 0..MAX_HELD_PER_HANDSHAKE {
            assert!(early.hold(&message(9)).is_some());
        }
        assert!(early.hold(&message(9)).is_none());
        // Unknown sessions are never held.
        assert!(early.hold(&message(10)).is_none());
    }
}

//! The unauthenticated deadline of a BLE link ([BLE-37]): a peripheral disconnects a link on
//! which no Orbit session was established or used within [`NO_SESSION_DEADLINE`], unless a
//! pairing handshake on it holds the pairing slot, so that someone in radio range who
//! connects and sends nothing cannot keep a one-connection device to himself.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The unauthenticated deadline of [LIMIT-10], the same for BLE links as for QUIC
/// connections ([BLE-37]).
pub const NO_SESSION_DEADLINE: Duration = Duration::from_secs(10);

/// What a BLE link's exchanges tell its deadline: a session was used on it, or a pairing
/// handshake is running on it.
#[derive(Debug, Default)]
pub struct SessionGuard {
    authenticated: AtomicBool,
    pairing: AtomicUsize,
}

impl SessionGuard {
    /// A session was established or used on the link ([BLE-37]).
    pub(crate) fn authenticate(&self) {
        self.authenticated.store(true, Ordering::SeqCst);
    }

    /// Whether a session was established or used on the link.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated.load(Ordering::SeqCst)
    }

    /// Whether a pairing handshake on the link defers the deadline now.
    pub fn is_deferred(&self) -> bool {
        self.pairing.load(Ordering::SeqCst) > 0
    }

    /// Defers the deadline while the returned guard lives.
    pub(crate) fn defer(self: &Arc<Self>) -> BleDeferral {
        self.pairing.fetch_add(1, Ordering::SeqCst);
        BleDeferral(self.clone())
    }
}

/// Holds a BLE link's deadline off while a pairing handshake runs ([BLE-37], [QUIC-40]).
#[derive(Debug)]
pub struct BleDeferral(Arc<SessionGuard>);

impl Drop for BleDeferral {
    fn drop(&mut self) {
        self.0.pairing.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Disconnects `link` if no session was used on it by the deadline, waiting for a pairing
/// handshake that holds it off to end first ([BLE-37]).
pub(crate) async fn enforce(
    link: orbit_ble::link::Link,
    guard: Arc<SessionGuard>,
    deadline: Duration,
) {
    tokio::time::sleep(deadline).await;
    while guard.is_deferred() && !guard.is_authenticated() && !link.is_closed() {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    if !guard.is_authenticated() && !link.is_closed() {
        tracing::debug!("BLE link without a session closed at its deadline [BLE-37]");
        link.close().await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::{enforce, SessionGuard, NO_SESSION_DEADLINE};
    use orbit_ble::engine::FramingConfig;
    use orbit_ble::link::Link;
    use orbit_ble::sim::{radio_pair, SimParams};
    use std::sync::Arc;
    use std::time::Duration;

    /// A central and a peripheral link over a simulated radio, the framing handshake done,
    /// and the peripheral's deadline running.
    async fn linked(guard: &Arc<SessionGuard>) -> (Link, Link) {
        let ((c_radio, c_events), (p_radio, p_events)) =
            radio_pair(SimParams::default(), 1).unwrap();
        let peripheral = Link::peripheral(p_radio, p_events, FramingConfig::default());
        let central = Link::central(c_radio, c_events, FramingConfig::default())
            .await
            .unwrap();
        tokio::spawn(enforce(
            peripheral.clone(),
            guard.clone(),
            NO_SESSION_DEADLINE,
        ));
        (central, peripheral)
    }

    #[tokio::test(start_paused = true)]
    async fn a_link_without_a_session_is_closed_at_its_deadline() {
        // [BLE-37]
        let guard = Arc::new(SessionGuard::default());
        let (_central, peripheral) = linked(&guard).await;
        tokio::time::sleep(NO_SESSION_DEADLINE - Duration::from_secs(1)).await;
        assert!(!peripheral.is_closed(), "not before the deadline");
        tokio::time::sleep(Duration::from_secs(7)).await;
        assert!(peripheral.is_closed(), "closed at the deadline");
    }

    #[tokio::test(start_paused = true)]
    async fn a_link_whose_session_was_used_stays_open() {
        // [BLE-37]
        let guard = Arc::new(SessionGuard::default());
        let (_central, peripheral) = linked(&guard).await;
        guard.authenticate();
        tokio::time::sleep(NO_SESSION_DEADLINE * 2).await;
        assert!(!peripheral.is_closed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_pairing_handshake_holds_the_deadline_off_until_it_ends() {
        // [BLE-37] as [QUIC-40]
        let guard = Arc::new(SessionGuard::default());
        let (_central, peripheral) = linked(&guard).await;
        let pairing = guard.defer();
        tokio::time::sleep(NO_SESSION_DEADLINE * 2).await;
        assert!(!peripheral.is_closed(), "held off while pairing runs");
        drop(pairing);
        tokio::time::sleep(Duration::from_secs(7)).await;
        assert!(
            peripheral.is_closed(),
            "closed once the pairing ended without a session"
        );
    }
}

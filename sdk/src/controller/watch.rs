//! Kept subscriptions `[IM-111]`: a subscription that outlives its session. When it is lost
//! (the device went silent past the keep-alive interval plus grace `[IM-64]`, or the session
//! ended), the controller connects again (on a new session: a device that restarted has
//! forgotten the old one without saying so) and subscribes again, with back-off between
//! attempts, until the stream is dropped.

use super::connection::{Subscription, SubscriptionReport, SubscriptionUpdate};
use super::error::ControllerError;
use super::{Controller, DeviceConnection};
use orbit_core::crypto::{Random, SystemRandom};
use orbit_core::interaction::SubscribeRequest;
use orbit_discovery::DiscoveryConfig;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The first pause between attempts to re-create a lost subscription `[IM-111]`.
pub const RESUBSCRIBE_FIRST_PAUSE: Duration = Duration::from_secs(1);
/// The longest pause between attempts `[IM-111]`.
pub const RESUBSCRIBE_MAX_PAUSE: Duration = Duration::from_secs(30);

/// What a kept subscription's stream yields, in order.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum KeptUpdate {
    /// The initial report of a new subscription made after a loss: the current values of
    /// every attribute subscribed to, so no change made meanwhile is missed.
    Resubscribed(SubscriptionReport),
    /// A report of the live subscription (a change, or an empty keep-alive).
    Report(SubscriptionReport),
    /// The subscription was lost; the stream is re-creating it.
    Lost,
    /// An attempt to re-create it failed; the next one starts after `retry_in`.
    Retrying {
        /// Attempts made since the loss.
        attempt: u32,
        /// Why this one failed.
        error: String,
        /// The pause before the next.
        retry_in: Duration,
    },
}

/// A subscription the controller keeps alive across losses and device restarts. Dropping it
/// stops the re-creation and closes its session.
#[derive(Debug)]
pub struct KeptSubscription {
    /// The first subscription's initial report.
    pub initial: SubscriptionReport,
    /// The granted keep-alive interval of the first subscription `[IM-60]`.
    pub max_interval: Duration,
    updates: mpsc::UnboundedReceiver<KeptUpdate>,
    task: JoinHandle<()>,
}

impl KeptSubscription {
    /// The next update; `None` only after the controller was dropped.
    pub async fn next(&mut self) -> Option<KeptUpdate> {
        self.updates.recv().await
    }
}

impl Drop for KeptSubscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The pause before attempt `attempt` (1-based) after a loss: none before the first, then
/// 1 s doubling to 30 s, plus up to 25 % at random.
pub(crate) fn backoff(attempt: u32, rng: &mut SystemRandom) -> Duration {
    if attempt <= 1 {
        return Duration::ZERO;
    }
    let doublings = (attempt - 2).min(16);
    let base = RESUBSCRIBE_FIRST_PAUSE
        .saturating_mul(1u32 << doublings)
        .min(RESUBSCRIBE_MAX_PAUSE);
    let mut b = [0u8; 1];
    let _ = rng.fill(&mut b);
    base + base.mul_f64(f64::from(b[0]) / 255.0 / 4.0)
}

impl Controller {
    /// Subscribes to `name` with `request` and keeps the subscription alive `[IM-111]`: the
    /// first subscription is made before this returns (so its errors come back here), and
    /// every loss after it is followed by a new session and a new subscription, with
    /// back-off, until the returned stream is dropped. With `discovery`, a device that is
    /// not at its last address is looked for by its operational advertisement.
    pub async fn keep_subscription(
        self: &Arc<Self>,
        name: &str,
        request: SubscribeRequest,
        discovery: Option<DiscoveryConfig>,
    ) -> Result<KeptSubscription, ControllerError> {
        let (conn, sub) = self
            .subscribe_once(name, &request, discovery.clone())
            .await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let initial = sub.initial.clone();
        let max_interval = sub.max_interval;
        let task = tokio::spawn(keep(
            self.clone(),
            name.to_owned(),
            request,
            discovery,
            conn,
            sub,
            tx,
        ));
        Ok(KeptSubscription {
            initial,
            max_interval,
            updates: rx,
            task,
        })
    }

    async fn subscribe_once(
        &self,
        name: &str,
        request: &SubscribeRequest,
        discovery: Option<DiscoveryConfig>,
    ) -> Result<(DeviceConnection, Subscription), ControllerError> {
        let (conn, _) = match discovery {
            Some(config) => self.connect_or_locate(name, config).await?,
            None => self.connect(name, None).await?,
        };
        match conn.subscribe(request.clone()).await {
            Ok(sub) => Ok((conn, sub)),
            Err(e) => {
                conn.close();
                Err(e)
            }
        }
    }
}

/// The number one above the last event in `report`, if it has any.
fn next_event(report: &SubscriptionReport) -> Option<u64> {
    report
        .events
        .iter()
        .map(|e| e.number.saturating_add(1))
        .max()
}

/// Forwards reports, and re-creates the subscription after each loss.
async fn keep(
    controller: Arc<Controller>,
    name: String,
    mut request: SubscribeRequest,
    discovery: Option<DiscoveryConfig>,
    mut conn: DeviceConnection,
    mut sub: Subscription,
    tx: mpsc::UnboundedSender<KeptUpdate>,
) {
    let mut rng = SystemRandom::new();
    let wants_events = !request.events.is_empty();
    let mut event_min = next_event(&sub.initial);
    loop {
        while let Some(SubscriptionUpdate::Report(r)) = sub.updates.recv().await {
            if let Some(n) = next_event(&r) {
                event_min = Some(event_min.map_or(n, |m| m.max(n)));
            }
            if tx.send(KeptUpdate::Report(r)).is_err() {
                conn.close();
                return;
            }
        }
        conn.close();
        if tx.send(KeptUpdate::Lost).is_err() {
            return;
        }
        // [IM-64] events continue from the last one received.
        if wants_events && event_min.is_some() {
            request.event_min = event_min;
        }
        let mut attempt = 0u32;
        let mut pause = Duration::ZERO;
        loop {
            tokio::time::sleep(pause).await;
            attempt = attempt.saturating_add(1);
            match controller
                .subscribe_once(&name, &request, discovery.clone())
                .await
            {
                Ok((c, s)) => {
                    if let Some(n) = next_event(&s.initial) {
                        event_min = Some(event_min.map_or(n, |m| m.max(n)));
                    }
                    if tx
                        .send(KeptUpdate::Resubscribed(s.initial.clone()))
                        .is_err()
                    {
                        c.close();
                        return;
                    }
                    conn = c;
                    sub = s;
                    break;
                }
                Err(e) => {
                    pause = backoff(attempt.saturating_add(1), &mut rng);
                    tracing::debug!(device = %name, error = %e, ?pause, "resubscribe failed");
                    let update = KeptUpdate::Retrying {
                        attempt,
                        error: e.to_string(),
                        retry_in: pause,
                    };
                    if tx.send(update).is_err() {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_starts_at_once_then_doubles_to_its_cap_with_bounded_jitter() {
        // [IM-111]
        let mut rng = SystemRandom::new();
        assert_eq!(backoff(1, &mut rng), Duration::ZERO);
        for (attempt, base) in [(2, 1), (3, 2), (4, 4), (7, 30), (40, 30)] {
            let base = Duration::from_secs(base);
            for _ in 0..20 {
                let d = backoff(attempt, &mut rng);
                assert!(d >= base && d <= base + base / 4, "{attempt}: {d:?}");
            }
        }
    }
}

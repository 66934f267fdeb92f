//! Subscriptions: reports go to an app's [`SubscriptionListener`] (the Kotlin `Flow` and
//! Swift `AsyncSequence` wrappers are built on it), and cancelling a [`Subscription`]
//! unsubscribes at the device.

use crate::device::{AttributeValue, EventValue};
use crate::error::OrbitError;
use crate::runtime::{detach, on_runtime};
use orbit_sdk::controller::{DeviceConnection, SubscriptionReport, SubscriptionUpdate};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;

/// One report of a subscription: changed attributes and new events (both empty in a
/// keep-alive).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Report {
    /// The subscription's ID.
    pub subscription: u32,
    /// Attribute values.
    pub attributes: Vec<AttributeValue>,
    /// Events, in order.
    pub events: Vec<EventValue>,
}

impl From<SubscriptionReport> for Report {
    fn from(r: SubscriptionReport) -> Self {
        Report {
            subscription: r.subscription,
            attributes: r.attributes.into_iter().map(AttributeValue::from).collect(),
            events: r.events.into_iter().map(EventValue::from).collect(),
        }
    }
}

/// What an app implements to receive a subscription's reports. Called on the SDK's threads,
/// one call at a time and in order; return quickly (hand the report to your own queue, as
/// the Kotlin and Swift wrappers do).
#[uniffi::export(foreign)]
pub trait SubscriptionListener: Send + Sync {
    /// A report: first the initial one (every subscribed attribute's current value), then
    /// each change, or an empty keep-alive.
    fn on_report(&self, report: Report);
    /// No report came within the keep-alive interval and its grace, or the connection
    /// closed: the subscription is over. Subscribe again (after reconnecting).
    fn on_lost(&self);
}

/// A running subscription.
#[derive(uniffi::Object)]
pub struct Subscription {
    id: u32,
    initial: Report,
    max_interval: Duration,
    conn: Arc<DeviceConnection>,
    forwarder: Mutex<Option<JoinHandle<()>>>,
    cancelled: AtomicBool,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish()
    }
}

/// Starts handing `sub`'s updates to `listener`, on the runtime.
pub(crate) fn start(
    conn: Arc<DeviceConnection>,
    sub: orbit_sdk::controller::Subscription,
    listener: Arc<dyn SubscriptionListener>,
) -> Arc<Subscription> {
    let mut updates = sub.updates;
    let initial = Report::from(sub.initial);
    let first = initial.clone();
    let forwarder = tokio::spawn(async move {
        listener.on_report(first);
        while let Some(update) = updates.recv().await {
            match update {
                SubscriptionUpdate::Report(r) => listener.on_report(r.into()),
                SubscriptionUpdate::Lost => {
                    listener.on_lost();
                    return;
                }
            }
        }
        listener.on_lost();
    });
    Arc::new(Subscription {
        id: sub.id,
        initial,
        max_interval: sub.max_interval,
        conn,
        forwarder: Mutex::new(Some(forwarder)),
        cancelled: AtomicBool::new(false),
    })
}

impl Subscription {
    /// Stops the reports to the listener; true the first time.
    fn stop(&self) -> bool {
        if let Some(f) = self
            .forwarder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            f.abort();
        }
        !self.cancelled.swap(true, Ordering::SeqCst)
    }
}

#[uniffi::export]
impl Subscription {
    /// The device's subscription ID.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The initial report: the current value of every subscribed attribute.
    pub fn initial(&self) -> Report {
        self.initial.clone()
    }

    /// The negotiated keep-alive interval: a report comes at least this often.
    pub fn max_interval(&self) -> Duration {
        self.max_interval
    }

    /// Unsubscribes at the device and stops the reports. The listener gets nothing more.
    pub async fn cancel(&self) -> Result<(), OrbitError> {
        if !self.stop() {
            return Ok(());
        }
        let conn = self.conn.clone();
        let id = self.id;
        on_runtime(async move { Ok(conn.unsubscribe(id).await?) }).await
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // A subscription the app let go of without cancelling is ended at the device too.
        if self.stop() {
            let conn = self.conn.clone();
            let id = self.id;
            detach(async move {
                let _ = conn.unsubscribe(id).await;
            });
        }
    }
}

//! Watching one device's subscription under load: the gap between its reports against the
//! maximum interval `[IM-63]` (a keep-alive at least that often) and the loss rule `[IM-64]`,
//! the report that carries each write's value `[IM-62]`, and a new session and subscription
//! after a loss.

use super::traffic::{level, lock, request, LoadedDevice, Shared, LOSS_GRACE};
use orbit_core::model::Data;
use orbit_sdk::controller::{Controller, Subscription, SubscriptionReport, SubscriptionUpdate};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The level a report carries, if it carries one.
fn reported_level(r: &SubscriptionReport) -> Option<u64> {
    r.attributes
        .iter()
        .find(|a| a.path == level())
        .and_then(|a| match &a.result {
            Ok(Data::Uint(v)) => Some(*v),
            _ => None,
        })
}

/// Watches one device's subscription until stopped; after a loss, connects again and
/// subscribes again (pausing 1 s, then up to 10 s, between failed attempts).
pub(super) async fn watch_reports(
    controller: Arc<Controller>,
    device: Arc<LoadedDevice>,
    mut sub: Subscription,
    max_interval_s: u32,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let max = sub.max_interval;
    let mut last = Instant::now();
    loop {
        let update = tokio::select! {
            u = sub.updates.recv() => u,
            _ = stop.changed() => return,
        };
        match update {
            Some(SubscriptionUpdate::Report(r)) => {
                let gap = last.elapsed();
                last = Instant::now();
                let mut f = lock(&shared.reports);
                f.gaps.record(gap);
                if gap > max + Duration::from_secs(1) {
                    f.late += 1;
                }
                if gap > max + LOSS_GRACE {
                    f.lost += 1;
                }
                if r.attributes.is_empty() && r.events.is_empty() {
                    f.keep_alives += 1;
                    continue;
                }
                f.reports += 1;
                if let Some(v) = reported_level(&r) {
                    let mut awaited = lock(&device.awaited);
                    match *awaited {
                        Some((want, sent)) if want == v => {
                            f.write_to_report.record(sent.elapsed());
                            *awaited = None;
                        }
                        // An older value: the awaited one is still to come.
                        _ => {}
                    }
                }
            }
            Some(SubscriptionUpdate::Lost) | None => {
                let lost_at = Instant::now();
                lock(&shared.reports).lost += 1;
                let mut pause = Duration::from_secs(1);
                loop {
                    match resubscribe(&controller, &device, max_interval_s).await {
                        Ok(s) => {
                            lock(&shared.reports).recovered.record(lost_at.elapsed());
                            sub = s;
                            last = Instant::now();
                            break;
                        }
                        Err(e) => {
                            eprintln!("netlab-load: {}: subscribing again: {e}", device.name);
                            lock(&shared.reports).recovery_failures += 1;
                        }
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {}
                        _ = stop.changed() => return,
                    }
                    pause = (pause * 2).min(Duration::from_secs(10));
                }
            }
        }
    }
}

/// A new session with the device and a new subscription on it; the new session also carries
/// the device's requests from then on.
async fn resubscribe(
    controller: &Controller,
    device: &LoadedDevice,
    max_interval_s: u32,
) -> Result<Subscription, orbit_sdk::controller::ControllerError> {
    let (conn, _) = controller.connect(&device.name, Some(device.addr)).await?;
    let sub = conn.subscribe(request(max_interval_s)).await?;
    device.replace(conn);
    Ok(sub)
}

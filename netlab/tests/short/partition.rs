//! Partition: a lamp's host is cut off the LAN for 30 s (nftables drop-all, multicast too)
//! while the controller holds a kept subscription to its label (`[IM-111]`) and writes the
//! label every 200 ms. Pass: after the link returns, the controller connects again with its
//! resumption ticket (`[SESS-24]`), the kept subscription is re-established and reports the
//! writes made after it, and the label read at the end is the last acknowledged write (no
//! acknowledged write lost). Recovery: from the link's return to the subscription's
//! re-establishment (and, in the note, to the first acknowledged write).

use crate::common::*;
use orbit_core::interaction::SubscribeRequest;
use orbit_netlab::control::{read_label, reported_label, write_label};
use orbit_netlab::stats::{percentile, Row};
use orbit_sdk::controller::{Controller, DeviceConnection, KeptUpdate};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the lamp's host is cut off (issue 16: 30 s; `ORBIT_NETLAB_PARTITION_S` for
/// another length).
fn partition() -> Duration {
    Duration::from_secs(
        std::env::var("ORBIT_NETLAB_PARTITION_S")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(30),
    )
}

const WRITE_EVERY: Duration = Duration::from_millis(200);
const WRITE_LIMIT: Duration = Duration::from_secs(2);
/// Each reconnection attempt of the writer is given this long, then started again: so the
/// writer is back within about this long after the link returns, well before the kept
/// subscription's next attempt (its back-off has reached 4 s by then, after attempts of 5 s
/// each), and the two do not offer the same single-use ticket at once [SESS-24].
const CONNECT_LIMIT: Duration = Duration::from_millis(1500);
/// The longest the scenario waits for recovery after the link returns: the kept
/// subscription's back-off reaches 30 s [IM-111], plus a connection attempt.
const RECOVERY_LIMIT: Duration = Duration::from_secs(50);
/// The subscription's keep-alive interval.
const MAX_INTERVAL_S: u32 = 2;

/// What the writer saw.
#[derive(Default, Debug)]
struct Writes {
    acked: Vec<(u64, Duration)>,
    sent: u64,
    failed: usize,
    last_acked: u64,
    first_ack_after_heal: Option<Instant>,
    resumed_after_heal: Option<bool>,
}

pub(crate) fn run(bin: &Path) -> Vec<Row> {
    match go(bin) {
        Ok(rows) => rows,
        Err(e) => vec![failed(
            "partition",
            &format!("{} s", partition().as_secs()),
            e,
        )],
    }
}

fn go(bin: &Path) -> R<Vec<Row>> {
    let net = net(1)?;
    let host = net.devs[0].clone();
    let lamp = lamp(&host, bin, "lamp", 5541)?;
    let c = controller(&net)?;
    pair(&net, &c, &lamp, "lamp")?;

    let request = SubscribeRequest {
        attributes: vec![orbit_netlab::control::node_label().path()],
        min_interval_s: 0,
        max_interval_s: MAX_INTERVAL_S,
        ..Default::default()
    };
    let c2 = c.clone();
    let mut kept = net
        .rt
        .block_on(async move { c2.keep_subscription("lamp", request, None).await })
        .ctx("runtime")?
        .ctx("subscribing")?;

    let healed_at: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(Mutex::new(Writes::default()));
    let writer = net.rt.spawn(writer(
        c.clone(),
        writes.clone(),
        healed_at.clone(),
        stop.clone(),
    ));

    // The subscription's updates: when it was re-established, the labels it reported after.
    let updates = net.rt.spawn(async move {
        let mut resubscribed: Option<Instant> = None;
        let mut labels_after = Vec::new();
        let mut lost = false;
        let deadline = Instant::now() + partition() + RECOVERY_LIMIT + Duration::from_secs(20);
        while Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, kept.next()).await {
                Ok(Some(KeptUpdate::Lost)) => lost = true,
                Ok(Some(KeptUpdate::Resubscribed(r))) => {
                    resubscribed.get_or_insert_with(Instant::now);
                    labels_after.extend(reported_label(&r.attributes));
                }
                Ok(Some(KeptUpdate::Report(r))) if resubscribed.is_some() => {
                    labels_after.extend(reported_label(&r.attributes));
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
            if labels_after.len() >= 5 {
                break;
            }
        }
        (lost, resubscribed, labels_after)
    });

    std::thread::sleep(Duration::from_secs(3));
    host.set_partitioned(true).ctx("partitioning")?;
    std::thread::sleep(partition());
    let dropped = host.counters().map(|c| c.dropped).unwrap_or(0);
    host.set_partitioned(false).ctx("healing")?;
    let healed = Instant::now();
    *healed_at.lock().unwrap() = Some(healed);

    let (lost, resubscribed, labels_after) = net
        .rt
        .block_on(updates)
        .ctx("runtime")?
        .ctx("updates task")?;
    // The writer goes on until the subscription has reported writes made after it came back.
    stop.store(true, Ordering::SeqCst);
    let final_label = net.rt.block_on(writer).ctx("runtime")?.ctx("writer task")?;
    let c2 = c.clone();
    net.rt
        .block_on(async move { c2.close().await })
        .ctx("runtime")?;

    let w = writes.lock().unwrap();
    let sub_recovery = resubscribed.map(|t| t.saturating_duration_since(healed));
    let write_recovery = w
        .first_ack_after_heal
        .map(|t| t.saturating_duration_since(healed));
    let times: Vec<Duration> = w.acked.iter().map(|(_, t)| *t).collect();
    let mut problems = Vec::new();
    if !lost {
        problems.push("the subscription was never declared lost".to_owned());
    }
    if resubscribed.is_none() {
        problems.push("the subscription was not re-established".into());
    }
    if labels_after.len() < 2 {
        problems.push(format!(
            "few reports after re-establishment: {labels_after:?}"
        ));
    }
    if write_recovery.is_none() {
        problems.push("no write acknowledged after the partition".into());
    }
    if w.resumed_after_heal != Some(true) {
        problems.push(format!(
            "the reconnection after the partition did not resume with the ticket ({:?})",
            w.resumed_after_heal
        ));
    }
    match &final_label {
        Ok(v) if *v == w.last_acked => {}
        other => problems.push(format!(
            "label at the end {other:?}, last acknowledged write w{}",
            w.last_acked
        )),
    }
    Ok(vec![Row {
        scenario: "partition".into(),
        setting: format!(
            "{} s drop-all, subscription kept, writes every 200 ms",
            partition().as_secs()
        ),
        ok: w.acked.len(),
        total: usize::try_from(w.sent).unwrap_or(usize::MAX),
        p50: percentile(&times, 50.0),
        p99: percentile(&times, 99.0),
        recovery: sub_recovery,
        rss: rss(&lamp),
        passed: problems.is_empty(),
        note: if problems.is_empty() {
            format!(
                "recovery = subscription re-established; first write acknowledged {:.1} s after; \
                 resumed with ticket; final label w{} = last acknowledged; {} packets dropped",
                write_recovery.unwrap_or_default().as_secs_f64(),
                w.last_acked,
                dropped
            )
        } else {
            problems.join("; ")
        },
    }])
}

/// Writes `w1`, `w2`, ... every [`WRITE_EVERY`] until `stop`, reconnecting (with the stored
/// ticket) after a failure; then reads the label back (the value at the end).
async fn writer(
    c: Arc<Controller>,
    writes: Arc<Mutex<Writes>>,
    healed_at: Arc<Mutex<Option<Instant>>>,
    stop: Arc<AtomicBool>,
) -> Result<u64, String> {
    let mut conn: Option<DeviceConnection> = None;
    let mut n = 0u64;
    loop {
        let healed = *healed_at.lock().unwrap();
        let stopping = stop.load(Ordering::SeqCst);
        if conn.is_none() {
            match tokio::time::timeout(CONNECT_LIMIT, c.connect("lamp", None)).await {
                Ok(Ok((new, _))) => {
                    // A connection that completes after the link's return, even if it
                    // started before, is the reconnection.
                    if healed_at.lock().unwrap().is_some() {
                        let mut w = writes.lock().unwrap();
                        w.resumed_after_heal.get_or_insert(new.resumed());
                    }
                    conn = Some(new);
                }
                _ => {
                    if stopping && healed.is_some_and(|h| h.elapsed() > RECOVERY_LIMIT) {
                        return Err("could not reconnect".into());
                    }
                    tokio::time::sleep(WRITE_EVERY).await;
                    continue;
                }
            }
        }
        let Some(live) = conn.as_ref() else { continue };
        if stopping {
            let done = {
                let w = writes.lock().unwrap();
                // The last write sent was acknowledged: the label must be it.
                w.first_ack_after_heal.is_some() && w.last_acked == n
            };
            if done {
                let r = read_label(live, WRITE_LIMIT).await;
                live.close();
                return r;
            }
        }
        n += 1;
        let (r, took) = write_label(live, n, WRITE_LIMIT).await;
        {
            let mut w = writes.lock().unwrap();
            w.sent = n;
            match r {
                Ok(()) => {
                    w.acked.push((n, took));
                    w.last_acked = n;
                    if healed.is_some() {
                        w.first_ack_after_heal.get_or_insert_with(Instant::now);
                    }
                }
                Err(_) => w.failed += 1,
            }
        }
        if r.is_err() {
            if let Some(old) = conn.take() {
                old.close();
            }
        }
        tokio::time::sleep(WRITE_EVERY).await;
    }
}

//! Crash: the lamp's process is killed with SIGKILL during a stream of writes, then started
//! again from its store, three times. Pass, each time: the store opens with the home, the
//! label read after the restart is at least the last acknowledged write and at most the last
//! one sent (every acknowledged write is there, `[DM-65]`), and the controller connects again
//! and its next write is acknowledged. The device is started again right after the kill (a
//! crash and reboot). Recovery: from the kill to that write's acknowledgement (the restart of
//! a debug build included).

use crate::common::*;
use orbit_netlab::control::{read_label, write_label};
use orbit_netlab::stats::{percentile, Row};
use orbit_sdk::controller::Controller;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CYCLES: usize = 3;
const ACKS_BEFORE_KILL: u64 = 20;
const LIMIT: Duration = Duration::from_secs(5);
const RECONNECT_LIMIT: Duration = Duration::from_secs(30);
/// How long a write of the stream waits for its acknowledgement: the write in flight at the
/// kill ends the stream after this long.
const STREAM_WRITE_LIMIT: Duration = Duration::from_secs(2);

pub(crate) fn run(bin: &Path) -> Vec<Row> {
    match go(bin) {
        Ok(rows) => rows,
        Err(e) => vec![failed("crash", "kill -9 during writes", e)],
    }
}

fn go(bin: &Path) -> R<Vec<Row>> {
    let net = net(1)?;
    let mut lamp = lamp(&net.devs[0], bin, "lamp", 5541)?;
    let c = controller(&net)?;
    pair(&net, &c, &lamp, "lamp")?;
    let mut next = 1u64;
    let mut passed = 0;
    let mut problems = Vec::new();
    let mut recoveries = Vec::new();
    let mut write_times = Vec::new();
    let mut resumed = Vec::new();
    let mut restarts = Vec::new();
    for cycle in 0..CYCLES {
        let acked = Arc::new(AtomicU64::new(0));
        let acks = Arc::new(AtomicU64::new(0));
        let sent = Arc::new(AtomicU64::new(0));
        let stream = net.rt.spawn(stream(
            c.clone(),
            next,
            acked.clone(),
            acks.clone(),
            sent.clone(),
        ));
        let deadline = Instant::now() + Duration::from_secs(30);
        while acks.load(Ordering::SeqCst) < ACKS_BEFORE_KILL && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        lamp.kill9();
        let killed = Instant::now();
        // Nothing sent after the kill reaches a device that applies it: the dead process's
        // connection is unknown to the new one.
        let sent_at_kill = sent.load(Ordering::SeqCst);
        // The device comes back at once (a crash and reboot); the controller's write in
        // flight to the dead process waits for its own time limit meanwhile.
        let t = Instant::now();
        lamp.restart().ctx("restarting the lamp")?;
        restarts.push(t.elapsed());
        let homes = lamp.started().homes;
        let c2 = c.clone();
        let after = net
            .rt
            .block_on(async move {
                let deadline = Instant::now() + RECONNECT_LIMIT;
                let conn = loop {
                    match tokio::time::timeout(LIMIT, c2.connect("lamp", None)).await {
                        Ok(Ok((conn, _))) => break conn,
                        other if Instant::now() > deadline => {
                            return Err(format!("no reconnection: {other:?}"))
                        }
                        _ => tokio::time::sleep(Duration::from_millis(100)).await,
                    }
                };
                let label = read_label(&conn, LIMIT).await;
                let (w, _) = write_label(&conn, sent_at_kill + 1, LIMIT).await;
                let acked_at = Instant::now();
                let resumed = conn.resumed();
                conn.close();
                Ok((label, w, acked_at, resumed))
            })
            .ctx("runtime")?;
        let times = net
            .rt
            .block_on(stream)
            .ctx("runtime")?
            .ctx("write stream task")??;
        write_times.extend(times);
        let last_acked = acked.load(Ordering::SeqCst);
        next = sent_at_kill + 2;
        match after {
            Ok((Ok(label), Ok(()), at, r))
                if homes == 1 && label >= last_acked && label <= sent_at_kill =>
            {
                passed += 1;
                recoveries.push(at.saturating_duration_since(killed));
                resumed.push(r);
            }
            other => problems.push(format!(
                "cycle {cycle}: homes {homes}, last acknowledged w{last_acked}, last sent \
                 w{sent_at_kill}, after restart {other:?}"
            )),
        }
    }
    let c2 = c.clone();
    net.rt
        .block_on(async move { c2.close().await })
        .ctx("runtime")?;
    let rec_p50 = percentile(&recoveries, 50.0);
    Ok(vec![Row {
        scenario: "crash".into(),
        setting: format!("kill -9 during writes, restart, x{CYCLES}"),
        ok: passed,
        total: CYCLES,
        p50: percentile(&write_times, 50.0),
        p99: percentile(&write_times, 99.0),
        recovery: rec_p50,
        passed: problems.is_empty(),
        rss: rss(&lamp),
        note: if problems.is_empty() {
            format!(
                "every acknowledged write present after each restart; p50/p99 = durable writes; \
                 recovery = median kill -> next write acknowledged (max {:.0} ms), of which \
                 the process start (debug build) {:.0} ms median; reconnections resumed with \
                 ticket: {resumed:?}",
                recoveries
                    .iter()
                    .max()
                    .copied()
                    .unwrap_or_default()
                    .as_secs_f64()
                    * 1000.0,
                percentile(&restarts, 50.0)
                    .unwrap_or_default()
                    .as_secs_f64()
                    * 1000.0
            )
        } else {
            problems.join("; ")
        },
    }])
}

/// Writes `w<first>`, `w<first+1>`, ... back to back until one fails (the kill). Returns the
/// acknowledged writes' times; `sent` holds the last number sent, `acked` the last
/// acknowledged.
async fn stream(
    c: Arc<Controller>,
    first: u64,
    acked: Arc<AtomicU64>,
    acks: Arc<AtomicU64>,
    sent: Arc<AtomicU64>,
) -> Result<Vec<Duration>, String> {
    let (conn, _) = tokio::time::timeout(RECONNECT_LIMIT, c.connect("lamp", None))
        .await
        .map_err(|_| "connect: no answer".to_owned())?
        .map_err(|e| format!("connect: {e}"))?;
    let mut times = Vec::new();
    let mut n = first;
    loop {
        sent.store(n, Ordering::SeqCst);
        let (r, t) = write_label(&conn, n, STREAM_WRITE_LIMIT).await;
        match r {
            Ok(()) => {
                acked.store(n, Ordering::SeqCst);
                acks.fetch_add(1, Ordering::SeqCst);
                times.push(t);
                n += 1;
            }
            Err(_) => {
                conn.close();
                return Ok(times);
            }
        }
    }
}

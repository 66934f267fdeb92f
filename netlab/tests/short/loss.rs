//! Pairing and control at 5 % loss: the controller host's link drops 5 % of packets each way
//! (nftables `numgen random`). Four lamps on two device hosts are paired, factory-reset and
//! paired again, then read and written concurrently. Pass: every operation ends within its
//! bound with success or a clear error, every lamp is paired each time (a failed pairing is
//! tried once more, after a factory reset, as a user would; the success rate counts every
//! attempt), and at least 99 % of control operations succeed.

use crate::common::*;
use orbit_netlab::control::{read_label, write_label};
use orbit_netlab::stats::{percentile, Row};
use orbit_netlab::DeviceProcess;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const LOSS: u8 = 5;
const ROUNDS: usize = 3;
const OPS_PER_LAMP: u64 = 50;
const OP_LIMIT: Duration = Duration::from_secs(20);

pub(crate) fn run(bin: &Path) -> Vec<Row> {
    match go(bin) {
        Ok(rows) => rows,
        Err(e) => vec![failed("loss", &format!("{LOSS} % each way"), e)],
    }
}

fn go(bin: &Path) -> R<Vec<Row>> {
    let net = net(2)?;
    let mut lamps: Vec<DeviceProcess> = Vec::new();
    for (h, host) in net.devs.iter().enumerate() {
        for p in 0..2u16 {
            lamps.push(lamp(host, bin, &format!("lamp{h}{p}"), 5541 + p)?);
        }
    }
    let c = controller(&net)?;
    net.ctl.set_loss(LOSS).ctx("setting the loss")?;
    let mut pair_times = Vec::new();
    let mut slowest: Option<(Duration, orbit_sdk::controller::Timings)> = None;
    let mut pair_errors = Vec::new();
    let mut pairings = 0;
    let mut unpaired = 0;
    for round in 0..ROUNDS {
        for (i, l) in lamps.iter_mut().enumerate() {
            // A pairing that fails is tried once more, as a user would, after a factory
            // reset (the device may have kept part of the failed attempt).
            let mut paired = false;
            for attempt in 0..2 {
                if round > 0 || attempt > 0 {
                    // A factory reset opens the window again: the same lamp pairs anew.
                    l.control("reset").ctx("factory reset")?;
                }
                let code = l.setup_code().ok_or("window closed")?.to_owned();
                let (c2, addr, name) = (c.clone(), l.addr(), format!("lamp{i}"));
                pairings += 1;
                let r = net
                    .rt
                    .block_on(async move {
                        let t = Instant::now();
                        let r = tokio::time::timeout(
                            Duration::from_secs(60),
                            c2.pair_replacing(&code, addr, &name),
                        )
                        .await;
                        match r {
                            Ok(Ok(p)) => {
                                p.connection.close();
                                Ok((t.elapsed(), p.timings))
                            }
                            Ok(Err(e)) => Err(e.to_string()),
                            Err(_) => Err("no result within 60 s".into()),
                        }
                    })
                    .ctx("runtime")?;
                match r {
                    Ok((t, phases)) => {
                        if slowest.as_ref().is_none_or(|(s, _)| t > *s) {
                            slowest = Some((t, phases));
                        }
                        pair_times.push(t);
                        paired = true;
                        break;
                    }
                    Err(e) => pair_errors.push(e),
                }
            }
            if !paired {
                unpaired += 1;
            }
        }
    }
    // Control: each lamp written and read in turn, the four lamps at once.
    let names: Vec<String> = (0..lamps.len()).map(|i| format!("lamp{i}")).collect();
    let c2 = c.clone();
    let results = net
        .rt
        .block_on(async move {
            let tasks: Vec<_> = names
                .into_iter()
                .map(|name| tokio::spawn(control(c2.clone(), name)))
                .collect();
            let mut all = Vec::new();
            for t in tasks {
                match t.await {
                    Ok(v) => all.extend(v),
                    Err(e) => all.push((Err(format!("task: {e}")), Duration::ZERO)),
                }
            }
            c2.close().await;
            all
        })
        .ctx("runtime")?;
    let counters = net.ctl.counters().ctx("reading nft counters")?;
    let op_times: Vec<Duration> = results
        .iter()
        .filter(|(r, _)| r.is_ok())
        .map(|(_, t)| *t)
        .collect();
    let op_errors: Vec<&String> = results
        .iter()
        .filter_map(|(r, _)| r.as_ref().err())
        .collect();
    // Every lamp paired (a second attempt allowed), and every failure said why.
    let pair_ok = unpaired == 0 && pair_errors.iter().all(|e| !e.trim().is_empty());
    let ops_ok = op_times.len() * 100 >= results.len() * 99 && !results.is_empty();
    let setting = format!("{LOSS} % each way (nftables)");
    let rss: String = lamps
        .iter()
        .filter_map(|l| l.rss_kib())
        .max()
        .map_or(String::new(), |k| {
            format!("device max {:.1} MiB", k as f64 / 1024.0)
        });
    Ok(vec![
        Row {
            scenario: "loss: pairing".into(),
            setting: setting.clone(),
            ok: pair_times.len(),
            total: pairings,
            p50: percentile(&pair_times, 50.0),
            p99: percentile(&pair_times, 99.0),
            passed: pair_ok,
            note: if pair_ok {
                format!(
                    "{} lamps on 2 hosts, paired {ROUNDS} times each; failed attempts \
                     (then tried again): {pair_errors:?}; {} of {} packets dropped; slowest \
                     pairing by phase: {}",
                    lamps.len(),
                    counters.dropped,
                    counters.seen,
                    slowest.as_ref().map_or(String::new(), |(_, t)| phases(t))
                )
            } else {
                format!("{unpaired} pairing(s) failed twice: {pair_errors:?}")
            },
            rss: rss.clone(),
            ..Row::default()
        },
        Row {
            scenario: "loss: control".into(),
            setting,
            ok: op_times.len(),
            total: results.len(),
            p50: percentile(&op_times, 50.0),
            p99: percentile(&op_times, 99.0),
            passed: ops_ok,
            note: if op_errors.is_empty() {
                "write + read of node-label, 4 lamps at once".into()
            } else {
                format!("errors: {op_errors:?}")
            },
            rss,
            ..Row::default()
        },
    ])
}

/// Connects to `name` and writes then reads its label [`OPS_PER_LAMP`] times, each read
/// checked against the write before it. Each operation's outcome and time.
async fn control(
    c: Arc<orbit_sdk::controller::Controller>,
    name: String,
) -> Vec<(Result<(), String>, Duration)> {
    let mut out = Vec::new();
    let t = Instant::now();
    // A connection attempt can fail outright when three handshake packets in a row are lost
    // (the lab's 5 s handshake limit): tried up to three times, each failure counted.
    let mut conn = None;
    for _ in 0..3 {
        let t = Instant::now();
        match tokio::time::timeout(OP_LIMIT, c.connect(&name, None)).await {
            Ok(Ok((c, _))) => {
                conn = Some(c);
                break;
            }
            Ok(Err(e)) => out.push((Err(format!("connect: {e}")), t.elapsed())),
            Err(_) => out.push((Err("connect: no result".into()), t.elapsed())),
        }
    }
    let Some(conn) = conn else {
        out.push((Err("no connection after 3 attempts".into()), t.elapsed()));
        return out;
    };
    for n in 1..=OPS_PER_LAMP {
        let (w, tw) = write_label(&conn, n, OP_LIMIT).await;
        out.push((w, tw));
        let t = Instant::now();
        let r = match read_label(&conn, OP_LIMIT).await {
            Ok(v) if v == n => Ok(()),
            Ok(v) => Err(format!("read w{v} after writing w{n}")),
            Err(e) => Err(e),
        };
        out.push((r, t.elapsed()));
    }
    conn.close();
    out
}

/// A pairing's phases as `phase ms, ...`.
fn phases(t: &orbit_sdk::controller::Timings) -> String {
    t.0.iter()
        .map(|p| format!("{:?} {:.0} ms", p.phase, p.duration.as_secs_f64() * 1000.0))
        .collect::<Vec<_>>()
        .join(", ")
}

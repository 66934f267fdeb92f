//! Pairing and control through 20 ms ± 5 ms of one-way delay with 5 % reordering: by the
//! kernel's `netem` where it exists, else by the lab's UDP relay on a host of its own (the
//! controller talks to the relay's address; the setting says which ran). Pass: every pairing
//! and every operation succeeds, and (relay) datagrams were really delayed and reordered.

use crate::common::*;
use orbit_netlab::control::{read_label, write_label};
use orbit_netlab::relay::{Relay, RelayConfig};
use orbit_netlab::stats::{percentile, Row};
use orbit_netlab::{delay_mechanism, DelayMechanism};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const DELAY: Duration = Duration::from_millis(20);
const JITTER: Duration = Duration::from_millis(5);
const REORDER: u8 = 5;
const PAIRINGS: usize = 3;
const OPS: u64 = 30;
const LIMIT: Duration = Duration::from_secs(20);

pub(crate) fn run(bin: &Path) -> Vec<Row> {
    match go(bin) {
        Ok(rows) => rows,
        Err(e) => vec![failed("delay", "20 ms ± 5 ms, 5 % reordered", e)],
    }
}

fn go(bin: &Path) -> R<Vec<Row>> {
    let net = net(1)?;
    let lamp = lamp(&net.devs[0], bin, "lamp", 5541)?;
    let mechanism = delay_mechanism();
    // Where the controller reaches the lamp, and the relay (kept alive) if one is used.
    let (target, relay_rt, relay): (SocketAddr, _, _) = match mechanism {
        DelayMechanism::Netem => {
            // Both ways: each host delays what it sends.
            net.ctl
                .set_netem_delay(DELAY, JITTER)
                .ctx("netem on the controller")?;
            net.devs[0]
                .set_netem_delay(DELAY, JITTER)
                .ctx("netem on the lamp")?;
            (lamp.addr(), None, None)
        }
        DelayMechanism::Relay => {
            let host = net.lab.add_host("relay").ctx("adding the relay host")?;
            let rt = host.runtime(1).ctx("the relay's runtime")?;
            let listen = SocketAddr::from((host.ip(), 6000));
            let upstream = lamp.addr();
            let cfg = RelayConfig {
                delay: DELAY,
                jitter: JITTER,
                reorder_percent: REORDER,
                ..RelayConfig::default()
            };
            let relay = rt
                .block_on(async move { Relay::start(listen, upstream, cfg).await })
                .ctx("runtime")?
                .ctx("starting the relay")?;
            (relay.addr(), Some(rt), Some(relay))
        }
    };
    let c = controller(&net)?;
    let mut pair_times = Vec::new();
    let mut errors = Vec::new();
    for round in 0..PAIRINGS {
        if round > 0 {
            lamp.control("reset").ctx("factory reset")?;
        }
        let code = lamp.setup_code().ok_or("window closed")?.to_owned();
        let c2 = c.clone();
        let r = net
            .rt
            .block_on(async move {
                let t = Instant::now();
                match tokio::time::timeout(LIMIT, c2.pair_replacing(&code, target, "lamp")).await {
                    Ok(Ok(p)) => {
                        p.connection.close();
                        Ok(t.elapsed())
                    }
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err(format!("no result within {LIMIT:?}")),
                }
            })
            .ctx("runtime")?;
        match r {
            Ok(t) => pair_times.push(t),
            Err(e) => errors.push(format!("pairing: {e}")),
        }
    }
    let c2 = c.clone();
    let ops = net
        .rt
        .block_on(async move {
            let mut out = Vec::new();
            let conn = match c2.connect("lamp", Some(target)).await {
                Ok((conn, _)) => conn,
                Err(e) => return vec![(Err(format!("connect: {e}")), Duration::ZERO)],
            };
            for n in 1..=OPS {
                out.push(write_label(&conn, n, LIMIT).await);
                let t = Instant::now();
                let r = match read_label(&conn, LIMIT).await {
                    Ok(v) if v == n => Ok(()),
                    Ok(v) => Err(format!("read w{v} after writing w{n}")),
                    Err(e) => Err(e),
                };
                out.push((r, t.elapsed()));
            }
            conn.close();
            c2.close().await;
            out
        })
        .ctx("runtime")?;
    let times: Vec<Duration> = ops
        .iter()
        .filter(|(r, _)| r.is_ok())
        .map(|(_, t)| *t)
        .collect();
    errors.extend(ops.iter().filter_map(|(r, _)| r.as_ref().err().cloned()));
    let (relayed, reordered) = relay.as_ref().map_or((0, 0), |r| {
        (
            r.stats().forwarded.load(Ordering::Relaxed),
            r.stats().reordered.load(Ordering::Relaxed),
        )
    });
    if mechanism == DelayMechanism::Relay && (relayed == 0 || reordered == 0) {
        errors.push(format!("relay forwarded {relayed}, reordered {reordered}"));
    }
    // Every operation crosses the delay twice: none can be faster than 2 x (delay - jitter).
    let floor = (DELAY - JITTER) * 2;
    if let Some(fastest) = times.iter().min() {
        if *fastest < floor {
            errors.push(format!(
                "an operation took {fastest:?}, under the delay's floor {floor:?}"
            ));
        }
    }
    drop(relay);
    drop(relay_rt);
    let setting = format!(
        "{} ms ± {} ms one way, {REORDER} % reordered, by {}",
        DELAY.as_millis(),
        JITTER.as_millis(),
        match mechanism {
            DelayMechanism::Netem => "netem",
            DelayMechanism::Relay => "the UDP relay",
        }
    );
    let passed = errors.is_empty();
    Ok(vec![
        Row {
            scenario: "delay: pairing".into(),
            setting: setting.clone(),
            ok: pair_times.len(),
            total: PAIRINGS,
            p50: percentile(&pair_times, 50.0),
            p99: percentile(&pair_times, 99.0),
            passed,
            rss: rss(&lamp),
            note: if passed {
                format!("relay: {relayed} datagrams forwarded, {reordered} held back to reorder")
            } else {
                errors
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            },
            ..Row::default()
        },
        Row {
            scenario: "delay: control".into(),
            setting,
            ok: times.len(),
            total: ops.len(),
            p50: percentile(&times, 50.0),
            p99: percentile(&times, 99.0),
            passed,
            rss: rss(&lamp),
            note: "write + read of node-label, one at a time".into(),
            ..Row::default()
        },
    ])
}

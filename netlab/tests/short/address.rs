//! Address changes, as after a DHCP renewal with a new lease (the new address added, the old
//! one removed):
//!
//! - the lamp's host moves: the controller's connection to the old address fails, and it
//!   finds the lamp again by its operational advert (`connect_or_locate`, `[DISC-12]`) and
//!   connects at the new address. Pass: connected at the new address. Recovery: from the
//!   change to the new connection's first read.
//! - the controller's host moves with a connection open: the connection goes on from the
//!   new address (QUIC connection migration, `[QUIC-19]`). Pass: every read on that same
//!   connection after the change succeeds. Recovery: from the change to its first read.

use crate::common::*;
use orbit_discovery::DiscoveryConfig;
use orbit_netlab::control::{read_label, write_label};
use orbit_netlab::stats::{percentile, Row};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

const FIND_LIMIT: Duration = Duration::from_secs(45);
const READ_LIMIT: Duration = Duration::from_secs(10);
const READS_AFTER: usize = 20;

pub(crate) fn run(bin: &Path) -> Vec<Row> {
    match go(bin) {
        Ok(rows) => rows,
        Err(e) => vec![failed("address change", "device and controller", e)],
    }
}

fn go(bin: &Path) -> R<Vec<Row>> {
    let net = net(1)?;
    let host = net.devs[0].clone();
    let lamp = lamp(&host, bin, "lamp", 5541)?;
    let c = controller(&net)?;
    pair(&net, &c, &lamp, "lamp")?;
    let c2 = c.clone();
    net.rt
        .block_on(async move {
            let (conn, _) = c2.connect("lamp", None).await.map_err(|e| e.to_string())?;
            let (w, _) = write_label(&conn, 1, READ_LIMIT).await;
            conn.close();
            w
        })
        .ctx("runtime")?
        .ctx("writing w1 before the move")?;

    // The device moves.
    let (old, new) = net
        .lab
        .renew_address(&host)
        .ctx("renewing the lamp's address")?;
    let moved = Instant::now();
    let expected = SocketAddr::from((new, 5541));
    let c2 = c.clone();
    let found = net
        .rt
        .block_on(async move {
            let deadline = Instant::now() + FIND_LIMIT;
            let mut attempts = 0;
            loop {
                attempts += 1;
                let r = c2
                    .connect_or_locate("lamp", DiscoveryConfig::default())
                    .await;
                match r {
                    Ok((conn, _)) => {
                        let read = match read_label(&conn, READ_LIMIT).await {
                            Ok(1) => Ok(Instant::now()),
                            Ok(v) => Err(format!("read w{v}, wrote w1")),
                            Err(e) => Err(e),
                        };
                        return Ok((conn, attempts, read));
                    }
                    Err(e) if Instant::now() > deadline => {
                        return Err(format!("not found again after {attempts} attempts: {e}"))
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
                }
            }
        })
        .ctx("runtime")?;
    let mut rows = Vec::new();
    let conn = match found {
        Ok((conn, attempts, read)) => {
            let at = conn.remote_address().socket_addr();
            let ok = at == Some(expected) && read.is_ok();
            let recovery = read
                .as_ref()
                .ok()
                .map(|t| t.saturating_duration_since(moved));
            rows.push(Row {
                scenario: "address change: device".into(),
                setting: format!("{old} -> {new}, found by operational advert"),
                ok: usize::from(ok),
                total: 1,
                recovery,
                passed: ok,
                rss: rss(&lamp),
                note: format!(
                    "connected at {at:?} (expected {expected}) after {attempts} attempt(s), \
                     session {}; read {}",
                    if conn.resumed() {
                        "resumed with ticket"
                    } else {
                        "full handshake"
                    },
                    match &read {
                        Ok(_) => "ok".to_owned(),
                        Err(e) => e.clone(),
                    }
                ),
                ..Row::default()
            });
            conn
        }
        Err(e) => {
            rows.push(failed(
                "address change: device",
                &format!("{old} -> {new}"),
                e,
            ));
            return Ok(rows);
        }
    };

    // The controller moves, with that connection open.
    let (c_old, c_new) = net
        .lab
        .renew_address(&net.ctl)
        .ctx("renewing the controller's address")?;
    let moved = Instant::now();
    let now_holds = net
        .ctl
        .addresses()
        .ctx("reading the controller's addresses")?;
    let results = net
        .rt
        .block_on(async move {
            let mut out = Vec::new();
            for i in 0..READS_AFTER {
                // A read, then a write of the next label, each on the same connection.
                let n = 2 + i as u64;
                let t = Instant::now();
                let r = match read_label(&conn, READ_LIMIT).await {
                    Ok(v) if v == n - 1 => Ok(()),
                    Ok(v) => Err(format!("read w{v}, expected w{}", n - 1)),
                    Err(e) => Err(e),
                };
                out.push((r, t.elapsed(), Instant::now()));
                let (w, took) = write_label(&conn, n, READ_LIMIT).await;
                out.push((w, took, Instant::now()));
            }
            conn.close();
            out
        })
        .ctx("runtime")?;
    let c2 = c.clone();
    net.rt
        .block_on(async move { c2.close().await })
        .ctx("runtime")?;
    let times: Vec<Duration> = results
        .iter()
        .filter(|(r, _, _)| r.is_ok())
        .map(|(_, t, _)| *t)
        .collect();
    let errors: Vec<&String> = results
        .iter()
        .filter_map(|(r, _, _)| r.as_ref().err())
        .collect();
    let recovery = results
        .iter()
        .find(|(r, _, _)| r.is_ok())
        .map(|(_, _, at)| at.saturating_duration_since(moved));
    let ok = errors.is_empty() && now_holds == vec![c_new];
    rows.push(Row {
        scenario: "address change: controller".into(),
        setting: format!("{c_old} -> {c_new}, connection kept (migration)"),
        ok: times.len(),
        total: results.len(),
        p50: percentile(&times, 50.0),
        p99: percentile(&times, 99.0),
        recovery,
        passed: ok,
        rss: rss(&lamp),
        note: if ok {
            format!("{READS_AFTER} reads and writes on the same QUIC connection after the move")
        } else {
            let first: Vec<_> = errors.iter().take(3).collect();
            format!(
                "controller holds {now_holds:?}; {} errors, first: {first:?}",
                errors.len()
            )
        },
    });
    Ok(rows)
}

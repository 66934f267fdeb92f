//! Discovery across hosts: the controller, on its own host, finds a lamp on another host by
//! its commissionable advert (from the setup code's discriminator) and, once paired, by its
//! operational advert for the home. Pass: both found, at the lamp's address.

use crate::common::*;
use orbit_discovery::DiscoveryConfig;
use orbit_netlab::stats::Row;
use std::path::Path;
use std::time::{Duration, Instant};

const FIND_TIMEOUT: Duration = Duration::from_secs(15);

pub(crate) fn run(bin: &Path) -> Vec<Row> {
    match go(bin) {
        Ok(rows) => rows,
        Err(e) => vec![failed("discovery", "mDNS across the bridge", e)],
    }
}

fn go(bin: &Path) -> R<Vec<Row>> {
    let net = net(1)?;
    let lamp = lamp(&net.devs[0], bin, "lamp", 5541)?;
    let c = controller(&net)?;
    let code = lamp.setup_code().ok_or("window closed")?.to_owned();
    let expected = lamp.addr();
    let c2 = c.clone();
    // Right after the lamp started (its advert is new), then again once it is settled.
    let (found, t_comm, found_again, t_comm_again) = net
        .rt
        .block_on(async move {
            let find = || c2.find_by_setup_code(&code, DiscoveryConfig::default(), FIND_TIMEOUT);
            let t = Instant::now();
            let r = find().await.map_err(|e| e.to_string());
            let took = t.elapsed();
            tokio::time::sleep(Duration::from_secs(2)).await;
            let t = Instant::now();
            let again = find().await.map_err(|e| e.to_string());
            (r, took, again, t.elapsed())
        })
        .ctx("runtime")?;
    let hits = usize::from(found.as_ref().is_ok_and(|a| *a == expected))
        + usize::from(found_again.as_ref().is_ok_and(|a| *a == expected));
    let mut rows = vec![Row {
        scenario: "discovery".into(),
        setting: "commissionable advert, another host".into(),
        ok: hits,
        total: 2,
        p50: Some(t_comm.min(t_comm_again)),
        p99: Some(t_comm.max(t_comm_again)),
        passed: hits == 2,
        note: format!(
            "lamp at {expected}: found {found:?} {:.0} ms after its start, {found_again:?} in \
             {:.0} ms 2 s later",
            t_comm.as_secs_f64() * 1000.0,
            t_comm_again.as_secs_f64() * 1000.0
        ),
        rss: rss(&lamp),
        ..Row::default()
    }];
    pair(&net, &c, &lamp, "lamp")?;
    let c2 = c.clone();
    // Right after pairing (the advert is new), then again once it is settled.
    let (located, t_oper, again, t_again) = net
        .rt
        .block_on(async move {
            let t = Instant::now();
            let r = c2
                .locate("lamp", DiscoveryConfig::default(), FIND_TIMEOUT)
                .await;
            let took = t.elapsed();
            tokio::time::sleep(Duration::from_secs(2)).await;
            let t = Instant::now();
            let again = c2
                .locate("lamp", DiscoveryConfig::default(), FIND_TIMEOUT)
                .await;
            let took_again = t.elapsed();
            c2.close().await;
            (
                r.map_err(|e| e.to_string()),
                took,
                again.map_err(|e| e.to_string()),
                took_again,
            )
        })
        .ctx("runtime")?;
    let oper_ok = located.as_ref().is_ok_and(|a| *a == Some(expected))
        && again.as_ref().is_ok_and(|a| *a == Some(expected));
    rows.push(Row {
        scenario: "discovery".into(),
        setting: "operational advert (paired), another host".into(),
        ok: usize::from(located.as_ref().is_ok_and(|a| *a == Some(expected)))
            + usize::from(again.as_ref().is_ok_and(|a| *a == Some(expected))),
        total: 2,
        p50: Some(t_oper.min(t_again)),
        p99: Some(t_oper.max(t_again)),
        passed: oper_ok,
        note: format!(
            "found {located:?} {:.0} ms after pairing, {again:?} in {:.0} ms 2 s later",
            t_oper.as_secs_f64() * 1000.0,
            t_again.as_secs_f64() * 1000.0
        ),
        rss: rss(&lamp),
        ..Row::default()
    });
    Ok(rows)
}

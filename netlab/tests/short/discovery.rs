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
    let (found, t_comm) = net
        .rt
        .block_on(async move {
            let t = Instant::now();
            let r = c2
                .find_by_setup_code(&code, DiscoveryConfig::default(), FIND_TIMEOUT)
                .await;
            (r.map_err(|e| e.to_string()), t.elapsed())
        })
        .ctx("runtime")?;
    let comm_ok = found.as_ref().is_ok_and(|a| *a == expected);
    let mut rows = vec![Row {
        scenario: "discovery".into(),
        setting: "commissionable advert, another host".into(),
        ok: usize::from(comm_ok),
        total: 1,
        p50: Some(t_comm),
        p99: Some(t_comm),
        passed: comm_ok,
        note: format!("found {found:?}, lamp at {expected}; time to find in p50/p99"),
        rss: rss(&lamp),
        ..Row::default()
    }];
    pair(&net, &c, &lamp, "lamp")?;
    let c2 = c.clone();
    let (located, t_oper) = net
        .rt
        .block_on(async move {
            let t = Instant::now();
            let r = c2
                .locate("lamp", DiscoveryConfig::default(), FIND_TIMEOUT)
                .await;
            let took = t.elapsed();
            c2.close().await;
            (r.map_err(|e| e.to_string()), took)
        })
        .ctx("runtime")?;
    let oper_ok = located.as_ref().is_ok_and(|a| *a == Some(expected));
    rows.push(Row {
        scenario: "discovery".into(),
        setting: "operational advert (paired), another host".into(),
        ok: usize::from(oper_ok),
        total: 1,
        p50: Some(t_oper),
        p99: Some(t_oper),
        passed: oper_ok,
        note: format!("found {located:?}; time to find in p50/p99"),
        rss: rss(&lamp),
        ..Row::default()
    });
    Ok(rows)
}

//! Measures the whole suite against the reference lamp over loopback and prints the time,
//! per group and in total, against the target of 60 s (issue 12). Prints; asserts nothing.
//!
//! `cargo run -p orbit-conformance --example time_suite [-- SEED]`

use orbit_conformance::{run, RunConfig, Silent, TargetSpec, Verdict};
use orbit_devices::Kind;
use orbit_discovery::{DiscoveryConfig, NetworkScope};
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::MemoryStore;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The target for the whole suite against the reference device.
const TARGET: Duration = Duration::from_secs(60);

/// mDNS on the loopback interface and a port of this run's own, as in `tests/reference.rs`,
/// so the transport group's discovery cases run too.
fn discovery() -> DiscoveryConfig {
    DiscoveryConfig {
        mdns_port: 40_000 + (std::process::id() % 20_000) as u16,
        scope: NetworkScope::LoopbackOnly,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = std::env::args().nth(1).map(|s| s.parse()).transpose()?;
    let config = DeviceConfig {
        listen: "127.0.0.1:0".parse()?,
        discovery: Some(discovery()),
        ..DeviceConfig::default()
    };
    let device = Device::open(
        Arc::new(MemoryStore::new()),
        |now| Ok(Kind::Lamp.build(now, "T-1")?),
        || DeviceIdentity::development(Kind::Lamp.product_id(), 1, orbit_sdk::unix_now()),
        config,
    )
    .await?;
    let target = TargetSpec::Quic(device.local_addr()?.to_string());
    let mut run_config = RunConfig::new(target, device.setup_payload().to_qr_string());
    run_config.seed = seed;
    run_config.discovery = Some(discovery());
    let started = Instant::now();
    let report = run(&run_config, &mut Silent).await?;
    let elapsed = started.elapsed();
    device.shutdown().await;
    if let Some(e) = &report.harness_error {
        println!("harness error: {e}");
    }
    let mut groups: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for c in &report.cases {
        let g = groups.entry(c.info.group.name().to_owned()).or_default();
        g.0 += 1;
        g.1 += c.duration_ms;
    }
    println!("seed {}", report.stamp.seed);
    for (group, (n, ms)) in &groups {
        println!("  {group:<14} {n:>3} cases {:>7.2} s", *ms as f64 / 1000.0);
    }
    for c in report
        .cases
        .iter()
        .filter(|c| !matches!(c.verdict, Verdict::Pass | Verdict::NotApplicable))
    {
        println!(
            "  {} {}: {} {}",
            c.info.id,
            c.verdict.as_str(),
            c.failed_rule.as_deref().unwrap_or(""),
            c.observed.as_deref().unwrap_or("")
        );
    }
    let slowest = report.cases.iter().max_by_key(|c| c.duration_ms);
    if let Some(c) = slowest {
        println!(
            "  slowest case: {} {:.2} s",
            c.info.id,
            c.duration_ms as f64 / 1000.0
        );
    }
    println!(
        "{} cases ({} pass, {} MUST fail, {} SHOULD unmet, {} not applicable, {} inconclusive) in {:.2} s \
         (target {} s: {:.0}% of it)",
        report.cases.len(),
        report.summary.pass,
        report.summary.fail_must,
        report.summary.fail_should,
        report.summary.not_applicable,
        report.summary.inconclusive,
        elapsed.as_secs_f64(),
        TARGET.as_secs(),
        100.0 * elapsed.as_secs_f64() / TARGET.as_secs_f64(),
    );
    Ok(())
}

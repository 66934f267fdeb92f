//! The short network scenarios (issue 16), run by the test command: discovery across hosts,
//! pairing and control at 5 % loss and through 20 ms of delay with jitter and reordering
//! (netem, or the lab's UDP relay where the kernel has none), a 30 s partition under a subscription, address changes
//! (the device's, found again by its operational advert; the controller's, kept by QUIC
//! migration), and a kill -9 of a device during a stream of writes. Each runs in a lab of its
//! own, all at once, with real `orbit device run` processes and the SDK controller in a
//! namespace; each has a pass criterion, and a summary table of figures is printed at the
//! end. Skipped, saying why, where the machine cannot make namespaces.
//!
//! `cargo test -p orbit-netlab --test short [-- NAME...]` runs them (or only those whose
//! name contains a NAME); the `orbit` binary must be built (`cargo build -p orbit-cli`;
//! `scripts/netlab` does both).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "short/address.rs"]
mod address;
#[path = "short/common.rs"]
mod common;
#[path = "short/crash.rs"]
mod crash;
#[path = "short/delay.rs"]
mod delay;
#[path = "short/discovery.rs"]
mod discovery;
#[path = "short/loss.rs"]
mod loss;
#[path = "short/partition.rs"]
mod partition;

use orbit_netlab::stats::{table, Row};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The whole run gives up (removing its labs) after this long: each wait inside has its own
/// bound, this is the bound of last resort.
const WATCHDOG: Duration = Duration::from_secs(300);

type Scenario = fn(&Path) -> Vec<Row>;

fn main() -> ExitCode {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if let Err(e) = orbit_netlab::check() {
        println!("netlab short scenarios SKIPPED: {e}");
        return ExitCode::SUCCESS;
    }
    let bin: PathBuf = match orbit_netlab::orbit_binary() {
        Ok(b) => b,
        Err(e) => {
            println!("netlab short scenarios SKIPPED: {e}");
            return ExitCode::SUCCESS;
        }
    };
    let all: [(&str, Scenario); 6] = [
        ("partition", partition::run),
        ("discovery", discovery::run),
        ("loss", loss::run),
        ("delay", delay::run),
        ("address", address::run),
        ("crash", crash::run),
    ];
    let chosen: Vec<(&str, Scenario)> = all
        .into_iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();
    if chosen.is_empty() {
        println!("netlab short scenarios: none matches {filters:?}");
        return ExitCode::SUCCESS;
    }
    println!(
        "netlab: {} short scenario(s) on namespaced hosts, each in its own lab, at once; \
         delay and reordering by {}; orbit binary {}",
        chosen.len(),
        orbit_netlab::delay_mechanism(),
        bin.display()
    );
    std::thread::spawn(|| {
        std::thread::sleep(WATCHDOG);
        eprintln!("netlab: the short scenarios took longer than {WATCHDOG:?}; giving up");
        orbit_netlab::cleanup::remove_this_process_labs();
        std::process::exit(1);
    });
    let started = Instant::now();
    let handles: Vec<_> = chosen
        .into_iter()
        .map(|(name, f)| {
            let bin = bin.clone();
            (
                name,
                std::thread::spawn(move || {
                    let t = Instant::now();
                    let rows = f(&bin);
                    println!("netlab: {name} done in {:.1} s", t.elapsed().as_secs_f64());
                    rows
                }),
            )
        })
        .collect();
    let mut rows = Vec::new();
    for (name, h) in handles {
        match h.join() {
            Ok(r) => rows.extend(r),
            Err(_) => rows.push(Row {
                scenario: name.into(),
                note: "panicked (see above)".into(),
                ..Row::default()
            }),
        }
    }
    println!(
        "\nnetlab short scenarios ({:.1} s wall; the controllers of every scenario share this \
         process, RSS {}):\n\n{}",
        started.elapsed().as_secs_f64(),
        orbit_netlab::stats::rss_kib(std::process::id()).map_or("unknown".into(), |k| format!(
            "{:.1} MiB",
            k as f64 / 1024.0
        )),
        table(&rows)
    );
    if rows.iter().all(|r| r.passed) {
        ExitCode::SUCCESS
    } else {
        for r in rows.iter().filter(|r| !r.passed) {
            println!("FAILED: {} ({}): {}", r.scenario, r.setting, r.note);
        }
        ExitCode::FAILURE
    }
}

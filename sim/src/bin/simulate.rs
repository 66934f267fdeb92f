//! `simulate`: runs seeds of the Orbit network simulation and prints a summary; a failing
//! seed prints the one command that replays it and the end of its trace.
//!
//! ```text
//! simulate --seeds N [--start S] [--fault NAME]
//! simulate --seed S [--trace] [--fault NAME]
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use orbit_sim::{run, Fault, Options, Stats};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: simulate --seeds N [--start S] [--fault NAME] | --seed S [--trace] [--fault NAME]\n\
faults: none, ack-before-persist, lose-event-counter, keep-spent-tickets, replay-window-reset, counter-reset, keep-home-on-unpair,\n\
lazy-timers, drop-moved-reports, no-client-timers";

fn number(arg: Option<String>) -> Option<u64> {
    arg.and_then(|a| a.parse().ok())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut seeds, mut start, mut one, mut options) = (None, 0u64, None, Options::default());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seeds" => seeds = number(args.next()),
            "--start" => start = number(args.next()).unwrap_or(0),
            "--seed" => one = number(args.next()),
            "--trace" => options.trace = true,
            "--fault" => match args.next().as_deref().and_then(Fault::parse) {
                Some(f) => options.fault = f,
                None => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(seed) = one {
        let out = run(seed, &options);
        for line in &out.trace {
            println!("{line}");
        }
        println!(
            "seed {seed}: {} steps, {:?} virtual, {}",
            out.steps,
            out.virtual_time,
            summary(&out.stats)
        );
        return match out.violation {
            Some(v) => {
                println!("VIOLATION: {v}");
                ExitCode::FAILURE
            }
            None => {
                println!("ok");
                ExitCode::SUCCESS
            }
        };
    }
    let Some(n) = seeds else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let began = Instant::now();
    let mut total = Stats::default();
    let mut failed = Vec::new();
    for seed in start..start.saturating_add(n) {
        let out = run(seed, &options);
        add(&mut total, &out.stats);
        if let Some(v) = &out.violation {
            println!("seed {seed} FAILED: {v}");
            for line in &out.trace {
                println!("    {line}");
            }
            println!("replay: {}", out.replay_command(options.fault));
            failed.push(seed);
        }
    }
    println!(
        "{n} seeds ({start}..{}) in {:.1}s, fault {}: {} failed{}",
        start.saturating_add(n),
        began.elapsed().as_secs_f64(),
        options.fault.name(),
        failed.len(),
        if failed.is_empty() {
            String::new()
        } else {
            format!(" {failed:?}")
        }
    );
    println!("totals: {}", summary(&total));
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn add(t: &mut Stats, s: &Stats) {
    t.ops_ok += s.ops_ok;
    t.ops_failed += s.ops_failed;
    t.replays_injected += s.replays_injected;
    t.rejected += s.rejected;
    t.restarts += s.restarts;
    t.resumed += s.resumed;
    t.full_handshakes += s.full_handshakes;
    t.commissioned += s.commissioned;
    t.multi_admin += s.multi_admin;
    t.unpaired += s.unpaired;
    t.subscriptions += s.subscriptions;
    t.reports += s.reports;
    t.events += s.events;
}

fn summary(s: &Stats) -> String {
    format!(
        "{} ops ok, {} failed with a status or timeout; {} commissionings ({} multi-admin), {} \
         unpairs, {} full and {} resumed sessions; {} restarts; {} replays injected, {} \
         messages rejected; {} subscriptions, {} reports with {} events",
        s.ops_ok,
        s.ops_failed,
        s.commissioned,
        s.multi_admin,
        s.unpaired,
        s.full_handshakes,
        s.resumed,
        s.restarts,
        s.replays_injected,
        s.rejected,
        s.subscriptions,
        s.reports,
        s.events
    )
}

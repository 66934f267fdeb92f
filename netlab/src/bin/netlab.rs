//! `netlab`: housekeeping of the network lab. `netlab cleanup` removes the lab namespaces
//! (and the processes inside) of runs that are gone (`cleanup --all`: every lab, running or
//! not); `netlab check` says whether the lab can run here and which delay mechanism it would
//! use; `netlab hold [SECONDS]` builds a lab with a controller host and a device host, prints
//! their namespaces (to explore with `ip netns exec NS ...`) and keeps it until the time is up
//! or it is interrupted (SIGINT, SIGTERM), then removes it.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = args.first().cloned().unwrap_or_default();
    let all = args.iter().any(|a| a == "--all");
    match arg.as_str() {
        "hold" => hold(args.get(1).and_then(|s| s.parse().ok()).unwrap_or(600)),
        "cleanup" => match if all {
            orbit_netlab::cleanup::remove_all()
        } else {
            orbit_netlab::cleanup::remove_stale()
        } {
            Ok(removed) => {
                for ns in &removed {
                    println!("removed namespace {ns}");
                }
                println!("{} lab namespace(s) removed", removed.len());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("netlab: cleanup: {e}");
                ExitCode::FAILURE
            }
        },
        "check" => match orbit_netlab::check() {
            Ok(()) => {
                println!(
                    "the network lab can run here; delay and reordering by {}",
                    orbit_netlab::delay_mechanism()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                println!("{e}");
                ExitCode::from(2)
            }
        },
        _ => {
            eprintln!("usage: netlab cleanup [--all] | check | hold [SECONDS]");
            ExitCode::from(2)
        }
    }
}

/// Builds a lab, prints its namespaces, and keeps it for `seconds` (or until a signal).
fn hold(seconds: u64) -> ExitCode {
    let built = orbit_netlab::Lab::new().and_then(|lab| {
        let ctl = lab.add_host("ctl")?;
        let dev = lab.add_host("dev0")?;
        Ok((lab, ctl, dev))
    });
    match built {
        Ok((lab, ctl, dev)) => {
            println!("bridge namespace {}", lab.bridge_ns());
            println!("controller host {} at {}", ctl.ns(), ctl.ip());
            println!("device host {} at {}", dev.ns(), dev.ip());
            println!("ready");
            std::thread::sleep(std::time::Duration::from_secs(seconds));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("netlab: {e}");
            ExitCode::FAILURE
        }
    }
}

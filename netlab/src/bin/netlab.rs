//! `netlab`: housekeeping of the network lab. `netlab cleanup` removes every lab namespace
//! (and the processes inside) left on the machine; `netlab check` says whether the lab can
//! run here and which delay mechanism it would use.

use std::process::ExitCode;

fn main() -> ExitCode {
    let arg = std::env::args().nth(1).unwrap_or_default();
    match arg.as_str() {
        "cleanup" => match orbit_netlab::cleanup::remove_all() {
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
            eprintln!("usage: netlab cleanup | check");
            ExitCode::from(2)
        }
    }
}

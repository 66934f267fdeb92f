//! `netlab-load`: the sustained-load driver and the hostile host.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use orbit_netlab::load::fleet::{DeviceHost, FleetPlan};
use orbit_netlab::load::run::{run, LoadConfig};
use orbit_netlab::load::sessions::OpenPlan;
use orbit_netlab::load::traffic::LoadPlan;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Orbit under load and under attack, with real `orbit device run` processes.
#[derive(Parser, Debug)]
#[command(name = "netlab-load")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// One controller holding sessions and subscriptions with many devices, with reads and
    /// writes at a steady rate; prints its figures (JSON with --json).
    Load(LoadArgs),
}

#[derive(clap::Args, Debug)]
struct LoadArgs {
    /// The `orbit` binary the devices run.
    #[arg(long, default_value = "orbit")]
    orbit: PathBuf,
    /// A device host: `IP` (this namespace) or `NETNS/IP`; repeat for several.
    #[arg(long = "host", default_value = "127.0.0.1")]
    hosts: Vec<DeviceHost>,
    /// Devices in all (spread over the hosts).
    #[arg(long, default_value_t = 10)]
    devices: usize,
    /// The first port on each host.
    #[arg(long, default_value_t = 20000)]
    first_port: u16,
    /// Where stores and logs are kept (reused by the next run: paired devices are not
    /// paired again).
    #[arg(long, default_value = "/tmp/netlab-load")]
    dir: PathBuf,
    /// Forget the devices paired by an earlier run and pair them all again.
    #[arg(long)]
    fresh: bool,
    /// Requests per second over all devices.
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    /// Seconds of load.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Minutes of load (instead of --seconds).
    #[arg(long)]
    minutes: Option<u64>,
    /// Share of writes among the requests (0 to 1).
    #[arg(long, default_value_t = 0.5)]
    write_share: f64,
    /// The subscriptions' maximum interval in seconds.
    #[arg(long, default_value_t = 10)]
    max_interval: u32,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 2000)]
    max_in_flight: usize,
    /// Devices paired or connected at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Attempts to pair or connect each device.
    #[arg(long, default_value_t = 2)]
    attempts: u32,
    /// Devices started at once.
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Seconds between samples of memory and CPU.
    #[arg(long, default_value_t = 10)]
    sample_every: u64,
    /// Print the figures as one JSON line.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("netlab-load: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Load(args) => load(args).await,
        }
    })
}

async fn load(a: LoadArgs) -> ExitCode {
    let seconds = a.minutes.map_or(a.seconds, |m| m * 60);
    let config = LoadConfig {
        fleet: FleetPlan {
            orbit: a.orbit,
            hosts: a.hosts,
            devices: a.devices,
            first_port: a.first_port,
            dir: a.dir,
            kind: "lamp".into(),
            batch: a.batch,
            start_timeout: Duration::from_secs(120),
        },
        load: LoadPlan {
            rate: a.rate,
            duration: Duration::from_secs(seconds),
            write_share: a.write_share,
            max_interval_s: a.max_interval,
            max_in_flight: a.max_in_flight,
        },
        open: OpenPlan {
            concurrency: a.concurrency,
            attempts: a.attempts,
        },
        fresh: a.fresh,
        sample_every: Duration::from_secs(a.sample_every.max(1)),
        reach: |_| None,
    };
    let result = tokio::select! {
        r = run(config) => r,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("netlab-load: interrupted; devices stopped");
            return ExitCode::from(130);
        }
    };
    match result {
        Ok(summary) => {
            if a.json {
                println!("{}", summary.to_json());
            } else {
                summary.print();
            }
            if summary.lost() == 0 && summary.sessions_failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("netlab-load: {e}");
            ExitCode::FAILURE
        }
    }
}

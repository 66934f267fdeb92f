//! `netlab-load`: the sustained-load driver and the hostile host.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use orbit_netlab::hostile::attack::{attack, AttackPlan, Mode};
use orbit_netlab::hostile::honest::{self, Attacker, HostilePlan};
use orbit_netlab::load::fleet::{DeviceHost, FleetPlan};
use orbit_netlab::load::run::{run, LoadConfig};
use orbit_netlab::load::sessions::OpenPlan;
use orbit_netlab::load::traffic::LoadPlan;
use orbit_netlab::long::{self, LongPlan, Part};
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
    /// An honest controller working with one device through phases of attack by a hostile
    /// host (garbage, QUIC Initials, silent connections, a connection flood, all at once).
    Hostile(HostileArgs),
    /// The long scenarios in a lab of network namespaces: pairing and control under loss,
    /// delay and reordering, the hostile host, the sustained load; a summary table at the end.
    Long(LongArgs),
    /// The hostile host itself: attacks one device for a while and prints what it sent
    /// (JSON).
    Attack(AttackArgs),
}

#[derive(clap::Args, Debug)]
struct HostileArgs {
    /// The `orbit` binary the device runs.
    #[arg(long, default_value = "orbit")]
    orbit: PathBuf,
    /// The device host: `IP` or `NETNS/IP`.
    #[arg(long, default_value = "127.0.0.1")]
    host: DeviceHost,
    /// The device's port.
    #[arg(long, default_value_t = 21000)]
    port: u16,
    /// The attacker's network namespace (default: this one).
    #[arg(long)]
    attacker_netns: Option<String>,
    /// Seconds per phase.
    #[arg(long, default_value_t = 20)]
    phase_seconds: u64,
    /// Honest requests per second.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Where the device's store and logs go.
    #[arg(long, default_value = "/tmp/netlab-hostile")]
    dir: PathBuf,
    /// Arguments passed on to `attack` (rates), e.g. `--garbage-rate=5000`.
    #[arg(long = "attack-arg", allow_hyphen_values = true)]
    attack_args: Vec<String>,
    /// Print the phases as JSON lines.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
struct LongArgs {
    /// The `orbit` binary.
    #[arg(long, default_value = "orbit")]
    orbit: PathBuf,
    /// Stores, logs and results.
    #[arg(long, default_value = "/tmp/netlab-long")]
    dir: PathBuf,
    /// The parts to run, comma-separated: matrix, hostile, load.
    #[arg(long, value_delimiter = ',', default_value = "matrix,hostile,load")]
    parts: Vec<Part>,
    /// Devices paired per impairment setting.
    #[arg(long, default_value_t = 8)]
    matrix_devices: usize,
    /// Seconds of control per setting.
    #[arg(long, default_value_t = 30)]
    matrix_seconds: u64,
    /// Requests per second per setting.
    #[arg(long, default_value_t = 4.0)]
    matrix_rate: f64,
    /// Seconds per hostile phase.
    #[arg(long, default_value_t = 20)]
    hostile_seconds: u64,
    /// Honest requests per second.
    #[arg(long, default_value_t = 20.0)]
    hostile_rate: f64,
    /// Devices under sustained load.
    #[arg(long, default_value_t = 500)]
    load_devices: usize,
    /// Device hosts for them.
    #[arg(long, default_value_t = 5)]
    load_hosts: usize,
    /// Requests per second over all of them.
    #[arg(long, default_value_t = 100.0)]
    load_rate: f64,
    /// Minutes of sustained load.
    #[arg(long, default_value_t = 10)]
    minutes: u64,
    /// Devices paired or connected at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

#[derive(clap::Args, Debug)]
struct AttackArgs {
    /// The device's address.
    #[arg(long)]
    target: std::net::SocketAddr,
    /// Attacks, comma-separated: garbage, initial, silent, flood.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "garbage,initial,silent,flood"
    )]
    modes: Vec<Mode>,
    /// Seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Garbage datagrams per second.
    #[arg(long, default_value_t = 2000)]
    garbage_rate: u32,
    /// QUIC Initials per second.
    #[arg(long, default_value_t = 200)]
    initial_rate: u32,
    /// Silent connections held at once.
    #[arg(long, default_value_t = 32)]
    silent: usize,
    /// Flood workers.
    #[arg(long, default_value_t = 8)]
    flood: usize,
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
    // The lab's runtimes live inside its hosts; this one must not wrap them.
    let cli = match cli.command {
        Command::Long(args) => return long(args),
        other => other,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("netlab-load: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli {
            Command::Load(args) => load(args).await,
            Command::Hostile(args) => hostile(args).await,
            Command::Attack(args) => attack_cmd(args).await,
            Command::Long(_) => ExitCode::FAILURE,
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
        reach: std::sync::Arc::new(|_| None),
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

async fn hostile(a: HostileArgs) -> ExitCode {
    let program = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("netlab-load: cannot find this program for the attacker: {e}");
            return ExitCode::FAILURE;
        }
    };
    let plan = HostilePlan {
        fleet: FleetPlan {
            orbit: a.orbit,
            hosts: vec![a.host],
            devices: 1,
            first_port: a.port,
            dir: a.dir,
            kind: "lamp".into(),
            batch: 1,
            start_timeout: Duration::from_secs(60),
        },
        phase: Duration::from_secs(a.phase_seconds.max(1)),
        rate: a.rate,
        attacker: Attacker {
            program,
            netns: a.attacker_netns,
            args: a.attack_args,
        },
    };
    let result = tokio::select! {
        r = honest::run(plan) => r,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("netlab-load: interrupted; device stopped");
            return ExitCode::from(130);
        }
    };
    match result {
        Ok(phases) => {
            if a.json {
                for p in &phases {
                    println!("{}", p.to_json());
                }
            } else {
                honest::print(&phases);
            }
            // The honest controller lost nothing: every request was answered or refused
            // with a named error.
            if phases
                .iter()
                .all(|p| p.requests.lost + p.requests.hung + p.sessions.hung == 0)
            {
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

async fn attack_cmd(a: AttackArgs) -> ExitCode {
    let plan = AttackPlan {
        target: a.target,
        modes: a.modes,
        duration: Duration::from_secs(a.seconds),
        garbage_rate: a.garbage_rate,
        initial_rate: a.initial_rate,
        silent: a.silent,
        flood: a.flood,
    };
    let figures = attack(plan).await;
    println!("{}", figures.to_json());
    ExitCode::SUCCESS
}

fn long(a: LongArgs) -> ExitCode {
    let program = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("netlab-load: cannot find this program for the attacker: {e}");
            return ExitCode::FAILURE;
        }
    };
    let plan = LongPlan {
        orbit: a.orbit,
        program,
        dir: a.dir,
        parts: a.parts,
        matrix_devices: a.matrix_devices,
        matrix_seconds: a.matrix_seconds,
        matrix_rate: a.matrix_rate,
        hostile_seconds: a.hostile_seconds,
        hostile_rate: a.hostile_rate,
        load_devices: a.load_devices,
        load_hosts: a.load_hosts,
        load_rate: a.load_rate,
        load_minutes: a.minutes,
        load_concurrency: a.concurrency,
    };
    match long::run(&plan) {
        Ok(rows) if rows.iter().all(|r| r.passed) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("netlab-load: {e}");
            ExitCode::FAILURE
        }
    }
}

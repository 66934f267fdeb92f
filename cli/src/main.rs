//! `orbit`: run a reference device, discover, pair, describe, read, write, invoke, subscribe,
//! unpair, and the demo. A failure is one line on stderr and a non-zero exit.
#![forbid(unsafe_code)]

mod ble;
mod commands;
mod conformance;
mod conformance_progress;
mod demo;
mod demo_ble;
mod device_control;
mod device_run;
mod home;
mod pair_ble;
mod qr;
mod secret_input;

use clap::{Parser, Subcommand};
use orbit_cli::output::Format;
use std::path::PathBuf;
use std::process::ExitCode;

/// Orbit: pair with the devices around you and control them.
#[derive(Parser, Debug)]
#[command(name = "orbit", version, about)]
struct Cli {
    /// Print JSON for scripts instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Where the controller (or device) keeps its state [default: $ORBIT_HOME or ~/.orbit].
    #[arg(long, global = true, env = "ORBIT_HOME")]
    home: Option<PathBuf>,
    /// More log output (-v info, -vv debug); logs go to stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a reference device.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// List devices on the local network that accept pairing now (DNS-SD over mDNS).
    Discover {
        /// Seconds to listen for answers.
        #[arg(long, default_value_t = 3)]
        timeout: u64,
    },
    /// Manage the controller's home (its root key and paired devices).
    Home {
        #[command(subcommand)]
        command: HomeCommand,
    },
    /// Pair with a device from its setup code (QR string or manual code). The first pairing
    /// creates the home if there is none (said on stderr).
    Pair {
        /// The setup code: `OB1:...` or the 11 digits of the manual code; `-` reads it from
        /// stdin (an argument is visible to other local users while the command runs).
        code: Option<String>,
        /// The device's address (`quic://host:port` or `host:port`); found by discovery when
        /// left out.
        addr: Option<String>,
        /// Read the setup code from this file instead of the command line.
        #[arg(long, value_name = "FILE")]
        setup_code_file: Option<PathBuf>,
        /// A name for the device (default: vendor-product-serial): at most 64 characters, no
        /// control characters, not a node ID, and not the name of another paired device.
        #[arg(long)]
        name: Option<String>,
        /// Forget the paired device already called `--name` (it keeps the home until it is
        /// reset or unpaired by node ID).
        #[arg(long, requires = "name")]
        replace: bool,
        /// Find the device over Bluetooth LE by the setup code's discriminator, pair over BLE,
        /// then move the session to QUIC when the device tells its addresses (needs a build
        /// with `--features ble`; transports/ble/README.md).
        #[arg(long, conflicts_with = "replace")]
        ble: bool,
    },
    /// List the paired devices.
    Devices,
    /// Show what a device implements (its signed descriptor).
    Describe {
        /// Device name or node ID.
        device: String,
    },
    /// Read attributes: `ENDPOINT/CAPABILITY/ATTRIBUTE`, `*` for any part.
    Read {
        /// Device name or node ID.
        device: String,
        /// Paths such as `1/on-off/on` or `1/*`.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Write an attribute.
    Write {
        /// Device name or node ID.
        device: String,
        /// `ENDPOINT/CAPABILITY/ATTRIBUTE`.
        path: String,
        /// The value as JSON (`true`, `42`, `"text"`) or an enum name.
        value: String,
        /// Send it as a timed interaction.
        #[arg(long)]
        timed: bool,
    },
    /// Invoke a command.
    Invoke {
        /// Device name or node ID.
        device: String,
        /// `ENDPOINT/CAPABILITY/COMMAND`.
        path: String,
        /// Arguments as a JSON object keyed by field name, e.g. `{"level": 128}`.
        args: Option<String>,
        /// Send it as a timed interaction (required by some commands, such as unlock-door).
        #[arg(long)]
        timed: bool,
    },
    /// Subscribe to attributes and print reports as they arrive.
    Subscribe {
        /// Device name or node ID.
        device: String,
        /// Paths such as `1/on-off/on` or `1/*`.
        #[arg(required = true)]
        paths: Vec<String>,
        /// Minimum seconds between reports.
        #[arg(long, default_value_t = 0)]
        min: u32,
        /// Maximum seconds between reports: the subscription's own keep-alive report, which
        /// tells that it is alive. The connection stays open independently of it: the CLI
        /// sends a QUIC PING every 10 s (at most a third of the 30 s idle timeout) [QUIC-26].
        #[arg(long, default_value_t = 60)]
        max: u32,
        /// Stop after this many reports after the initial one.
        #[arg(long)]
        count: Option<usize>,
    },
    /// Remove the device from the home and forget it.
    Unpair {
        /// Device name or node ID.
        device: String,
        /// Forget the device even if it cannot be reached.
        #[arg(long)]
        force: bool,
    },
    /// Start the reference devices in this process, discover, pair, control them, restart one,
    /// and print per-phase timings.
    Demo,
    /// The conformance suite: prove that a device speaks Orbit v1.
    Conformance {
        #[command(subcommand)]
        command: conformance::ConformanceCommand,
    },
}

#[derive(Subcommand, Debug)]
enum HomeCommand {
    /// Create a new home (a new root key) under --home; refused if one is there.
    Create,
}

#[derive(Subcommand, Debug)]
enum DeviceCommand {
    /// Run a reference device and print its setup code. While it runs, type `button` and
    /// Enter to press its pairing button (opens the pairing window, ends a lock-out),
    /// `status`, `reset` (factory reset and restart) or `power-cycle` (restart).
    Run {
        /// Which device.
        #[arg(long, value_parser = clap::value_parser!(orbit_devices::Kind))]
        kind: orbit_devices::Kind,
        /// UDP address to listen on.
        #[arg(long, default_value = "0.0.0.0:5541")]
        listen: std::net::SocketAddr,
        /// Where the device keeps its state [default: <home>/device-<kind>].
        #[arg(long)]
        store: Option<PathBuf>,
        /// The lock's PIN for remote lock and unlock (4 to 8 digits; `--kind lock` only),
        /// then required by `unlock-door` and `lock-door`. Set each time the device starts.
        #[arg(long)]
        pin: Option<String>,
        /// Also take the local controls from this Unix socket (see `orbit device control`),
        /// so a harness can press the button, reset or power-cycle the device unattended.
        #[arg(long, value_name = "PATH")]
        control: Option<PathBuf>,
        /// Also serve over Bluetooth LE through BlueZ (Linux), advertising the device's Orbit
        /// advert (needs a build with `--features ble`; transports/ble/README.md).
        #[arg(long)]
        ble: bool,
    },
    /// Send one local control to a device started with `--control PATH`: `button`, `status`,
    /// `reset` (factory reset, the device restarts on the same address) or `power-cycle`.
    Control {
        /// The device's control socket.
        path: PathBuf,
        /// The control.
        command: String,
    },
    /// Factory-reset a stopped reference device: forget its homes, access control, values,
    /// failed pairing attempts and lock-out; keep its identity and setup code.
    Reset {
        /// Which device.
        #[arg(long, value_parser = clap::value_parser!(orbit_devices::Kind))]
        kind: orbit_devices::Kind,
        /// Where the device keeps its state [default: <home>/device-<kind>].
        #[arg(long)]
        store: Option<PathBuf>,
    },
}

/// The directory for state: `--home`, `$ORBIT_HOME`, or `~/.orbit`.
fn home_dir(cli: &Option<PathBuf>) -> PathBuf {
    cli.clone().unwrap_or_else(|| {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".orbit")
    })
}

/// One line for an error and everything that caused it.
fn one_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = s.source();
    }
    line
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ORBIT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let format = if cli.json {
        Format::Json
    } else {
        Format::Human
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("orbit: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let home = home_dir(&cli.home);
    let wants_ble = matches!(
        cli.command,
        Command::Pair { ble: true, .. }
            | Command::Device {
                command: DeviceCommand::Run { ble: true, .. }
            }
    );
    if wants_ble && !cfg!(feature = "ble") {
        eprintln!("orbit: error: {}", ble::NEEDS_FEATURE);
        return ExitCode::from(ble::NEEDS_FEATURE_EXIT);
    }
    if let Command::Conformance { command } = cli.command {
        // The suite's exit status says how the device did (0, 1, 2 or 3).
        return ExitCode::from(runtime.block_on(conformance::run(command, format)));
    }
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Device {
                command:
                    DeviceCommand::Run {
                        kind,
                        listen,
                        store,
                        pin,
                        control,
                        ble,
                    },
            } => {
                let options = device_run::Options {
                    kind,
                    listen,
                    store,
                    pin,
                    control,
                    ble,
                };
                device_run::run(options, &home, format).await
            }
            Command::Device {
                command: DeviceCommand::Control { path, command },
            } => device_control::send(&path, &command, format).await,
            Command::Device {
                command: DeviceCommand::Reset { kind, store },
            } => device_run::reset(kind, store, &home, format),
            Command::Demo => demo::run(format).await,
            other => commands::run(other, &home, format).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("orbit: error: {}", one_line(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// What every command returns.
pub(crate) type CliResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

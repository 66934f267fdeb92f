//! `orbit conformance run|list|coverage`: the conformance suite (crate orbit-conformance) on
//! the command line. `run` exits 0 when every applicable MUST case passed, 1 when a MUST case
//! failed, 2 for bad arguments, 3 when the harness could not decide (the `EXIT_*` constants of
//! the suite's report model).

use crate::conformance_progress::TerminalProgress;
use orbit_cli::output::Format;
use orbit_conformance::coverage::Coverage;
use orbit_conformance::hooks::{Hook, Hooks, Step};
use orbit_conformance::report::model::{EXIT_HARNESS, EXIT_USAGE};
use orbit_conformance::{RunConfig, TargetSpec};
use orbit_core::cert::Certificate;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The options of `orbit conformance run`.
#[derive(clap::Args, Debug)]
pub(crate) struct RunArgs {
    /// The device under test: `quic://HOST:PORT`, or over Bluetooth LE `ble:DISCRIMINATOR`
    /// (the device whose commissionable advert carries it) or `ble://PERIPHERAL` (the
    /// stack's identifier or address); BLE needs a CLI built with `--features ble`.
    #[arg(long)]
    target: String,
    /// The device's setup code (QR string or manual code) with its pairing window open; `-`
    /// reads it from stdin.
    #[arg(long, required_unless_present = "setup_code_file")]
    setup_code: Option<String>,
    /// Read the setup code from this file instead.
    #[arg(long, value_name = "FILE")]
    setup_code_file: Option<PathBuf>,
    /// The maker's manifest (JSON): every difference from the device is reported.
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// Waivers (JSON: case, reason, expires); waived cases never count as passes.
    #[arg(long, value_name = "FILE")]
    waivers: Option<PathBuf>,
    /// Write report.json, junit.xml and report.html into this directory.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Only these groups or case IDs (see `orbit conformance list`).
    #[arg(long, num_args = 1.., value_name = "GROUP|CASE")]
    only: Vec<String>,
    /// The seed of randomized cases (printed by every run, so a run replays).
    #[arg(long)]
    seed: Option<u64>,
    /// Shell command that factory-resets the device.
    #[arg(long, value_name = "CMD")]
    reset_cmd: Option<String>,
    /// Shell command that opens the device's pairing window locally.
    #[arg(long, value_name = "CMD")]
    open_window_cmd: Option<String>,
    /// Shell command that presses the device's pairing button.
    #[arg(long, value_name = "CMD")]
    button_cmd: Option<String>,
    /// Shell command that power-cycles the device.
    #[arg(long, value_name = "CMD")]
    power_cycle_cmd: Option<String>,
    /// Ask on the terminal for operator steps that have no command (waits at most
    /// --hook-timeout); without it such cases are NOT-APPLICABLE with that reason.
    #[arg(long)]
    prompt: bool,
    /// Longest a hook command or prompt may take, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    hook_timeout: u64,
    /// Seconds to wait after a hook before the device must answer again.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(0..=600))]
    hook_settle: Option<u64>,
    /// Trust this vendor root as well as the development root (a certificate file: its CBOR
    /// bytes, or their hex).
    #[arg(long, value_name = "FILE")]
    vendor_root: Vec<PathBuf>,
    /// Longest the suite waits for an answer the device owes, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    answer_timeout: u64,
}

/// The subcommands.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum ConformanceCommand {
    /// Run the suite against a device and report PASS, FAIL, NOT-APPLICABLE, INCONCLUSIVE or
    /// WAIVED per case. Exit status: 0 every applicable MUST case passed, 1 a MUST case
    /// failed, 2 bad arguments, 3 the harness could not decide (unreachable target,
    /// INCONCLUSIVE MUST cases).
    Run(Box<RunArgs>),
    /// List the cases: ID, group, level, spec IDs and title.
    List,
    /// Print the coverage table of spec/v1 (the text of conformance/COVERAGE.md).
    Coverage,
}

/// A bad argument: exit status 2.
fn usage(message: impl std::fmt::Display) -> u8 {
    eprintln!("orbit: error: {message}");
    u8::try_from(EXIT_USAGE).unwrap_or(2)
}

/// The largest vendor root file read (a certificate is a few hundred bytes).
const MAX_ROOT_FILE: u64 = 64 * 1024;

/// A vendor root certificate from `path`: raw CBOR, or the same bytes in hex.
pub(crate) fn read_vendor_root(path: &Path) -> Result<Certificate, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.len() > MAX_ROOT_FILE {
        return Err(format!(
            "{} is {} bytes; a vendor root certificate is at most {MAX_ROOT_FILE}",
            path.display(),
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let hex_text = std::str::from_utf8(&bytes)
        .ok()
        .map(|t| t.split_whitespace().collect::<String>())
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_hexdigit()));
    let der = match hex_text {
        Some(t) => hex::decode(&t)
            .map_err(|e| format!("{}: the hex does not decode: {e}", path.display()))?,
        None => bytes,
    };
    Certificate::decode(&der)
        .map_err(|e| format!("{} is not an Orbit certificate: {e}", path.display()))
}

fn config(args: RunArgs) -> Result<RunConfig, String> {
    let target: TargetSpec = args.target.parse()?;
    if matches!(target, TargetSpec::Ble { .. }) && !cfg!(feature = "ble") {
        return Err(format!(
            "{target}: this orbit was built without Bluetooth support; build it with \
             `cargo build -p orbit-cli --features ble` (on Linux install libdbus first: \
             scripts/install-ble-deps) and run again"
        ));
    }
    let code = crate::secret_input::setup_code(
        args.setup_code.as_deref(),
        args.setup_code_file.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    let mut config = RunConfig::new(target, code);
    config.manifest = args.manifest;
    config.waivers = args.waivers;
    config.report_dir = args.report;
    config.only = args.only;
    config.seed = args.seed;
    config.answer_timeout = Duration::from_secs(args.answer_timeout);
    for path in &args.vendor_root {
        let root = read_vendor_root(path)?;
        config
            .trust
            .add_root(root)
            .map_err(|e| format!("{} is not a self-signed vendor root: {e}", path.display()))?;
    }
    let commands = [
        (Step::FactoryReset, args.reset_cmd),
        (Step::OpenWindow, args.open_window_cmd),
        (Step::Button, args.button_cmd),
        (Step::PowerCycle, args.power_cycle_cmd),
    ];
    let mut hooks = Hooks {
        timeout: Some(Duration::from_secs(args.hook_timeout)),
        settle: args.hook_settle.map(Duration::from_secs),
        ..Hooks::default()
    };
    for (step, cmd) in commands {
        match cmd {
            Some(c) if c.trim().is_empty() => {
                return Err(format!("--{}-cmd is empty", step.name()));
            }
            Some(c) => hooks.steps.push((step, Hook::Command(c))),
            None if args.prompt => hooks.steps.push((step, Hook::Prompt)),
            None => {}
        }
    }
    config.hooks = hooks;
    Ok(config)
}

/// Runs a `conformance` subcommand; returns the exit status.
pub(crate) async fn run(command: ConformanceCommand, format: Format) -> u8 {
    match command {
        ConformanceCommand::List => {
            list(format);
            0
        }
        ConformanceCommand::Coverage => {
            print!("{}", Coverage::current().to_markdown());
            0
        }
        ConformanceCommand::Run(args) => run_suite(*args, format).await,
    }
}

fn list(format: Format) {
    let mut cases = orbit_conformance::cases::all();
    cases.sort_by_key(|c| (c.info.group, c.info.id));
    match format {
        Format::Json => {
            let infos: Vec<_> = cases.iter().map(|c| c.info).collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&infos).unwrap_or_default()
            );
        }
        Format::Human => {
            println!(
                "{:<44} {:<14} {:<7} SPEC IDS / TITLE",
                "CASE", "GROUP", "LEVEL"
            );
            for c in &cases {
                println!(
                    "{:<44} {:<14} {:<7} {}\n{:<67} {}",
                    c.info.id,
                    c.info.group.name(),
                    c.info.level.to_string(),
                    c.info.spec_ids.join(" "),
                    "",
                    c.info.title
                );
            }
            println!("{} cases", cases.len());
        }
    }
}

async fn run_suite(args: RunArgs, format: Format) -> u8 {
    let config = match config(args) {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    let mut progress = TerminalProgress::new();
    let report = match orbit_conformance::run(&config, &mut progress).await {
        Ok(r) => r,
        Err(e) => return usage(e),
    };
    progress.finish();
    match format {
        Format::Json => println!("{}", report.to_json()),
        Format::Human => print!("{}", orbit_conformance::report::text::summary(&report)),
    }
    if let Some(dir) = &config.report_dir {
        match orbit_conformance::report::write_all(&report, dir) {
            Ok(files) => {
                for f in files {
                    eprintln!("report: {}", f.display());
                }
            }
            Err(e) => {
                eprintln!(
                    "orbit: error: cannot write the reports into {}: {e}",
                    dir.display()
                );
                return u8::try_from(EXIT_HARNESS).unwrap_or(3);
            }
        }
    }
    u8::try_from(report.exit_code()).unwrap_or(3)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use orbit_core::attest::VendorAuthority;

    #[test]
    fn a_vendor_root_file_is_read_as_cbor_or_hex_and_anything_else_is_refused() {
        let dir = std::env::temp_dir().join(format!("orbit-vendor-root-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let root = VendorAuthority::development().root().clone();
        let raw = dir.join("root.cbor");
        std::fs::write(&raw, root.to_bytes()).unwrap();
        let hexed = dir.join("root.hex");
        std::fs::write(&hexed, format!("{}\n", hex::encode(root.to_bytes()))).unwrap();
        assert_eq!(read_vendor_root(&raw).unwrap(), root);
        assert_eq!(read_vendor_root(&hexed).unwrap(), root);
        let junk = dir.join("junk");
        std::fs::write(&junk, b"not a certificate").unwrap();
        assert!(read_vendor_root(&junk)
            .unwrap_err()
            .contains("not an Orbit certificate"));
        let big = dir.join("big");
        std::fs::write(&big, vec![b'a'; 70_000]).unwrap();
        assert!(read_vendor_root(&big).unwrap_err().contains("at most"));
        assert!(read_vendor_root(&dir.join("missing"))
            .unwrap_err()
            .contains("cannot read"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! `orbit device run`: a reference device on QUIC with its store, advertised on the local
//! network while it accepts pairing, and under a per-home name once paired (the SDK's
//! device runtime keeps the advertisements). While it runs, lines on stdin are the device's
//! local controls (`button`, `status`); `orbit device reset` factory-resets a stopped one.

use crate::CliResult;
use orbit_cli::output::Format;
use orbit_core::crypto::SystemRandom;
use orbit_core::pairing::DEFAULT_WINDOW_DURATION;
use orbit_devices::Kind;
use orbit_discovery::DiscoveryConfig;
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::FileStore;
use serde_json::json;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::mpsc;

/// A serial number for a newly manufactured reference device.
fn serial() -> u64 {
    use orbit_core::crypto::Random;
    let mut b = [0u8; 4];
    let _ = SystemRandom::new().fill(&mut b);
    u64::from(u32::from_be_bytes(b))
}

/// The store directory of `kind` under `home` unless one is given.
fn store_dir(kind: Kind, store: Option<PathBuf>, home: &Path) -> PathBuf {
    store.unwrap_or_else(|| home.join(format!("device-{}", kind.name())))
}

/// Runs `kind` until Ctrl-C.
pub(crate) async fn run(
    kind: Kind,
    listen: SocketAddr,
    store: Option<PathBuf>,
    pin: Option<String>,
    home: &Path,
    format: Format,
) -> CliResult {
    if pin.is_some() && kind != Kind::Lock {
        return Err("--pin is for `--kind lock` only".into());
    }
    if let Some(p) = &pin {
        if !(4..=8).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err("--pin must be 4 to 8 digits".into());
        }
    }
    let dir = store_dir(kind, store, home);
    let store = Arc::new(FileStore::open(&dir)?);
    let serial_name = format!("{}-1", kind.name());
    let device = Device::open(
        store,
        |now| match &pin {
            Some(p) => Ok(orbit_devices::lock::build_with_pin(
                now,
                &serial_name,
                p.as_bytes(),
            )?),
            None => Ok(kind.build(now, &serial_name)?),
        },
        || DeviceIdentity::development(kind.product_id(), serial(), orbit_sdk::unix_now()),
        DeviceConfig {
            listen,
            // Advertised while the window is open and once per home [DISC-5], [DISC-10].
            discovery: Some(DiscoveryConfig::default()),
            ..DeviceConfig::default()
        },
    )
    .await?;
    let addr = device.local_addr()?;
    let setup = device.setup_payload();
    let qr = setup.to_qr_string();
    let manual = setup
        .to_manual_code(orbit_core::setup::ManualCodeForm::Short)
        .to_string();
    match format {
        Format::Json => {
            let mut doc = json!({"kind": kind.name(), "listen": addr.to_string(),
                   "store": dir.display().to_string(), "pairing_window_open": device.is_pairing_window_open(),
                   "pairing_locked_out": device.is_pairing_locked_out(),
                   "failed_pairing_attempts": device.failed_pairing_attempts(),
                   "homes": device.homes().len(), "pin_required": pin.is_some()});
            with_setup_code(&mut doc, &device, &qr, &manual);
            println!("{doc}");
        }
        Format::Human => {
            println!("orbit {} device listening on quic://{addr}", kind.name());
            println!("  state in {}", dir.display());
            if pin.is_some() {
                println!("  remote lock and unlock need the PIN set with --pin");
            }
            if device.is_pairing_window_open() {
                print_setup_code(&qr, &manual, addr);
            } else if device.is_pairing_locked_out() {
                println!(
                    "  pairing is locked out after {} failed attempts; type `button` to open the window",
                    device.failed_pairing_attempts()
                );
            } else {
                println!(
                    "  paired with {} home(s); the pairing window is closed",
                    device.homes().len()
                );
            }
            println!(
                "  type `button` and Enter to press the pairing button, `status` for the state"
            );
        }
    }
    let mut controls = local_controls();
    let mut stdin_open = true;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            line = controls.recv(), if stdin_open => match line {
                Some(line) => control(&device, line.trim(), format, &qr, &manual, addr),
                // No terminal (a service, a closed pipe): the device runs on without controls.
                None => stdin_open = false,
            },
        }
    }
    device.shutdown().await;
    Ok(())
}

/// Adds the setup code to a JSON state line while the pairing window is open: the code is a
/// secret of the window, not shown for a paired device whose window is closed.
fn with_setup_code(doc: &mut serde_json::Value, device: &Device, qr: &str, manual: &str) {
    if let (true, Some(fields)) = (device.is_pairing_window_open(), doc.as_object_mut()) {
        fields.insert("qr".into(), json!(qr));
        fields.insert("manual_code".into(), json!(manual));
    }
}

fn print_setup_code(qr: &str, manual: &str, addr: SocketAddr) {
    println!("  setup code (QR): {qr}");
    println!("  manual code:     {manual}");
    if let Some(drawing) = crate::qr::draw(qr) {
        println!("{drawing}");
    }
    println!("  pair with: orbit pair {qr} quic://{addr}");
}

/// Lines typed on stdin, read on a thread of their own (stdin blocks).
fn local_controls() -> mpsc::Receiver<String> {
    let (send, recv) = mpsc::channel(4);
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if send.blocking_send(line).is_err() {
                break;
            }
        }
    });
    recv
}

/// One local control: `button` is the device's pairing button, a local user action that opens
/// the window and ends a lock-out [PAIR-31]; `status` prints the pairing state.
fn control(
    device: &Device,
    command: &str,
    format: Format,
    qr: &str,
    manual: &str,
    addr: SocketAddr,
) {
    let result = match command {
        "" => return,
        "button" => device
            .open_pairing_window(DEFAULT_WINDOW_DURATION)
            .map(|()| "button"),
        "status" => Ok("status"),
        other => {
            eprintln!("orbit: unknown device control {other:?}; type `button` or `status`");
            return;
        }
    };
    match (result, format) {
        (Ok(event), Format::Json) => {
            let mut doc = json!({"event": event, "pairing_window_open": device.is_pairing_window_open(),
                   "pairing_locked_out": device.is_pairing_locked_out(),
                   "failed_pairing_attempts": device.failed_pairing_attempts(),
                   "homes": device.homes().len()});
            with_setup_code(&mut doc, device, qr, manual);
            println!("{doc}");
        }
        (Ok(event), Format::Human) => {
            if event == "button" {
                println!(
                    "pairing window open for {} min",
                    DEFAULT_WINDOW_DURATION.as_secs() / 60
                );
                print_setup_code(qr, manual, addr);
            } else {
                println!(
                    "pairing window {}; {} failed pairing attempt(s){}; {} home(s)",
                    if device.is_pairing_window_open() {
                        "open"
                    } else {
                        "closed"
                    },
                    device.failed_pairing_attempts(),
                    if device.is_pairing_locked_out() {
                        ", locked out"
                    } else {
                        ""
                    },
                    device.homes().len()
                );
            }
        }
        (Err(e), _) => eprintln!("orbit: error: the pairing window did not open: {e}"),
    }
}

/// `orbit device reset`: factory-resets the stopped device kept in the store [PAIR-32].
pub(crate) fn reset(kind: Kind, store: Option<PathBuf>, home: &Path, format: Format) -> CliResult {
    let dir = store_dir(kind, store, home);
    if !dir.exists() {
        return Err(format!("no {} device is kept in {}", kind.name(), dir.display()).into());
    }
    // A running device holds the store's lock: opening fails with "in use" rather than
    // changing its state under it.
    let store = FileStore::open(&dir)?;
    let report = orbit_sdk::device::factory_reset(&store)?;
    match (format, report) {
        (Format::Json, r) => println!(
            "{}",
            json!({"store": dir.display().to_string(), "reset": r.is_some(),
                   "homes_removed": r.map_or(0, |r| r.homes_removed),
                   "failed_attempts_cleared": r.map_or(0, |r| r.failed_attempts),
                   "was_locked_out": r.is_some_and(|r| r.was_locked_out)})
        ),
        (Format::Human, Some(r)) => println!(
            "factory reset of the {} device in {}: {} home(s) removed, {} failed pairing \
             attempt(s) cleared{}; its setup code is unchanged",
            kind.name(),
            dir.display(),
            r.homes_removed,
            r.failed_attempts,
            if r.was_locked_out {
                ", lock-out lifted"
            } else {
                ""
            }
        ),
        (Format::Human, None) => println!(
            "the {} device in {} was never started; nothing to reset",
            kind.name(),
            dir.display()
        ),
    }
    Ok(())
}

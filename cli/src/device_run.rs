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

/// What `orbit device run` was asked for.
pub(crate) struct Options {
    pub(crate) kind: Kind,
    pub(crate) listen: SocketAddr,
    pub(crate) store: Option<PathBuf>,
    pub(crate) pin: Option<String>,
    pub(crate) control: Option<PathBuf>,
    /// Also serve over Bluetooth LE (the cli feature `ble`).
    pub(crate) ble: bool,
}

/// What `orbit device run` keeps to restart its device (a factory reset or a power cycle).
struct Running {
    kind: Kind,
    pin: Option<String>,
    store: Arc<FileStore>,
    device: Device,
    /// Whether the device serves BLE too: a lamp then declares `network` [BLE-25].
    ble: bool,
}

/// Starts `kind` from `store` on `listen`.
async fn start(
    kind: Kind,
    pin: Option<&str>,
    store: Arc<FileStore>,
    listen: SocketAddr,
    ble: bool,
) -> Result<Device, orbit_sdk::device::DeviceError> {
    let serial_name = format!("{}-1", kind.name());
    Device::open(
        store,
        |now| match (pin, kind) {
            (Some(p), _) => Ok(orbit_devices::lock::build_with_pin(
                now,
                &serial_name,
                p.as_bytes(),
            )?),
            // A lamp served over BLE tells its QUIC addresses inside the session, so a
            // controller paired over BLE can move to QUIC [BLE-25].
            (None, Kind::Lamp) if ble => Ok(orbit_devices::lamp::build_for_ble(now, &serial_name)?),
            (None, _) => Ok(kind.build(now, &serial_name)?),
        },
        || DeviceIdentity::development(kind.product_id(), serial(), orbit_sdk::unix_now()),
        DeviceConfig {
            listen,
            // Advertised while the window is open and once per home [DISC-5], [DISC-10].
            discovery: Some(DiscoveryConfig::default()),
            ..DeviceConfig::default()
        },
    )
    .await
}

/// Runs the device until Ctrl-C.
pub(crate) async fn run(options: Options, home: &Path, format: Format) -> CliResult {
    let Options {
        kind,
        listen,
        store,
        pin,
        control: control_path,
        ble,
    } = options;
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
    let device = start(kind, pin.as_deref(), store.clone(), listen, ble).await?;
    let mut bluetooth = crate::ble::Bluetooth::start(ble, &device)?;
    let (_socket, mut socket_requests) = match &control_path {
        Some(path) => {
            let (socket, requests) = crate::device_control::listen(path).await?;
            (Some(socket), Some(requests))
        }
        None => (None, None),
    };
    let mut running = Running {
        kind,
        pin,
        store,
        device,
        ble,
    };
    let device = &running.device;
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
                   "homes": device.homes().len(), "pin_required": running.pin.is_some(),
                   "ble": ble});
            if let (Some(p), Some(fields)) = (&control_path, doc.as_object_mut()) {
                fields.insert("control".into(), json!(p.display().to_string()));
            }
            with_setup_code(&mut doc, device, &qr, &manual);
            println!("{doc}");
        }
        Format::Human => {
            println!("orbit {} device listening on quic://{addr}", kind.name());
            if ble {
                println!("  also serving Orbit over Bluetooth LE (BlueZ); pair with: orbit pair --ble CODE");
            }
            println!("  state in {}", dir.display());
            if running.pin.is_some() {
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
                "  type `button` and Enter to press the pairing button, `status` for the state, \
                 `reset` to factory-reset, `power-cycle` to restart"
            );
            if let Some(p) = &control_path {
                println!(
                    "  the same controls: orbit device control {} button|status|reset|power-cycle",
                    p.display()
                );
            }
        }
    }
    let codes = Codes { qr, manual, addr };
    let mut controls = local_controls();
    let mut stdin_open = true;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            why = bluetooth.failed() => {
                running.device.shutdown().await;
                return Err(why.into());
            }
            line = controls.recv(), if stdin_open => match line {
                Some(line) => {
                    let line = line.trim();
                    if line.is_empty() {
                        continue;
                    }
                    let (now, answer) = control(running, line, addr).await?;
                    running = now;
                    bluetooth.follow(&running.device);
                    print_answer(&answer, format, &running.device, &codes);
                }
                // No terminal (a service, a closed pipe): the device runs on without controls.
                None => stdin_open = false,
            },
            Some((line, reply)) = next_request(&mut socket_requests) => {
                let (now, answer) = control(running, &line, addr).await?;
                running = now;
                bluetooth.follow(&running.device);
                let doc = match answer {
                    Ok(event) => {
                        let mut doc = state(&running.device, event);
                        if let Some(fields) = doc.as_object_mut() {
                            fields.insert("ok".into(), json!(true));
                        }
                        doc
                    }
                    Err(e) => json!({"ok": false, "error": e}),
                };
                let _ = reply.send(doc);
            },
        }
    }
    running.device.shutdown().await;
    Ok(())
}

/// The next control from the socket, if there is one (never, without `--control`).
async fn next_request(
    requests: &mut Option<mpsc::Receiver<crate::device_control::Request>>,
) -> Option<crate::device_control::Request> {
    match requests {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

/// The device's setup codes and address, as printed.
struct Codes {
    qr: String,
    manual: String,
    addr: SocketAddr,
}

/// The device's pairing state as a JSON line, for `event`.
fn state(device: &Device, event: &str) -> serde_json::Value {
    json!({"event": event, "pairing_window_open": device.is_pairing_window_open(),
           "pairing_locked_out": device.is_pairing_locked_out(),
           "failed_pairing_attempts": device.failed_pairing_attempts(),
           "homes": device.homes().len()})
}

fn print_answer(answer: &Answer, format: Format, device: &Device, codes: &Codes) {
    match (answer, format) {
        (Ok(event), Format::Json) => {
            let mut doc = state(device, event);
            with_setup_code(&mut doc, device, &codes.qr, &codes.manual);
            println!("{doc}");
        }
        (Ok("button"), Format::Human) => {
            println!(
                "pairing window open for {} min",
                DEFAULT_WINDOW_DURATION.as_secs() / 60
            );
            print_setup_code(&codes.qr, &codes.manual, codes.addr);
        }
        (Ok(event), Format::Human) => {
            let what = match *event {
                "reset" => "factory reset done; ",
                "power-cycle" => "restarted; ",
                _ => "",
            };
            println!(
                "{what}pairing window {}; {} failed pairing attempt(s){}; {} home(s)",
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
        (Err(e), _) => eprintln!("orbit: error: {e}"),
    }
}

/// What one control answers: the event's name, or why it was refused.
type Answer = Result<&'static str, String>;

/// One local control: `button` is the device's pairing button, a local user action that opens
/// the window and ends a lock-out [PAIR-31]; `status` tells the pairing state; `reset` is a
/// factory reset [PAIR-32] (the device stops, its store is reset, and it starts again on the
/// same address, as a real device reboots after one); `power-cycle` restarts it with its
/// state (what it stored survives [PAIR-27]). An `Err` is a device that could not start again
/// (the command then ends).
async fn control(
    running: Running,
    command: &str,
    addr: SocketAddr,
) -> Result<(Running, Answer), Box<dyn std::error::Error + Send + Sync>> {
    let answer = match command {
        "button" | "open-window" => running
            .device
            .open_pairing_window(DEFAULT_WINDOW_DURATION)
            .map(|()| "button")
            .map_err(|e| format!("the pairing window did not open: {e}")),
        "status" => Ok("status"),
        "reset" => return Ok((restart(running, true, addr).await?, Ok("reset"))),
        "power-cycle" => return Ok((restart(running, false, addr).await?, Ok("power-cycle"))),
        other => Err(format!(
            "unknown device control {:?}; use button, status, reset or power-cycle",
            orbit_cli::capped::capped(other)
        )),
    };
    Ok((running, answer))
}

/// How many more times a restart tries to start the device on its address.
const RESTART_TRIES: u32 = 50;

/// The pause between those tries.
const RESTART_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// Stops the device, factory-resets its store if `reset`, and starts it again on `addr`.
async fn restart(
    running: Running,
    reset: bool,
    addr: SocketAddr,
) -> Result<Running, Box<dyn std::error::Error + Send + Sync>> {
    let Running {
        kind,
        pin,
        store,
        device,
        ble,
    } = running;
    device.shutdown().await;
    if reset {
        orbit_sdk::device::factory_reset(store.as_ref())?;
    }
    // The old socket may take a moment to be released after the shutdown (connections
    // draining): binding the same address is tried again for a few seconds.
    let mut tries = 0;
    let device = loop {
        match start(kind, pin.as_deref(), store.clone(), addr, ble).await {
            Ok(d) => break d,
            Err(e) if tries >= RESTART_TRIES => return Err(e.into()),
            Err(e) => {
                tracing::info!(error = %e, "restarting the device: trying again");
                tries += 1;
                tokio::time::sleep(RESTART_PAUSE).await;
            }
        }
    };
    Ok(Running {
        kind,
        pin,
        store,
        device,
        ble,
    })
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

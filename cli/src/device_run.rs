//! `orbit device run`: a reference device on QUIC with its store, advertised on the local
//! network while it accepts pairing, and under a per-home name once paired (the SDK's
//! device runtime keeps the advertisements).

use crate::CliResult;
use orbit_cli::output::Format;
use orbit_core::crypto::SystemRandom;
use orbit_devices::Kind;
use orbit_discovery::DiscoveryConfig;
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::FileStore;
use serde_json::json;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A serial number for a newly manufactured reference device.
fn serial() -> u64 {
    use orbit_core::crypto::Random;
    let mut b = [0u8; 4];
    let _ = SystemRandom::new().fill(&mut b);
    u64::from(u32::from_be_bytes(b))
}

/// Runs `kind` until Ctrl-C.
pub(crate) async fn run(
    kind: Kind,
    listen: SocketAddr,
    store: Option<PathBuf>,
    home: &Path,
    format: Format,
) -> CliResult {
    let dir = store.unwrap_or_else(|| home.join(format!("device-{}", kind.name())));
    let store = Arc::new(FileStore::open(&dir)?);
    let device = Device::open(
        store,
        |now| Ok(kind.build(now, &format!("{}-1", kind.name()))?),
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
        Format::Json => println!(
            "{}",
            json!({"kind": kind.name(), "listen": addr.to_string(), "qr": qr, "manual_code": manual,
                   "store": dir.display().to_string(), "pairing_window_open": device.is_pairing_window_open(),
                   "homes": device.homes().len()})
        ),
        Format::Human => {
            println!("orbit {} device listening on quic://{addr}", kind.name());
            println!("  state in {}", dir.display());
            if device.is_pairing_window_open() {
                println!("  setup code (QR): {qr}");
                println!("  manual code:     {manual}");
                if let Some(drawing) = crate::qr::draw(&qr) {
                    println!("{drawing}");
                }
                println!("  pair with: orbit pair {qr} quic://{addr}");
            } else {
                println!(
                    "  paired with {} home(s); the pairing window is closed",
                    device.homes().len()
                );
            }
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    device.shutdown().await;
    Ok(())
}

//! `orbit device run`: a reference device on QUIC with its store, advertised on the local
//! network while it accepts pairing, and under a per-home name once paired.

use crate::CliResult;
use orbit_cli::output::Format;
use orbit_core::crypto::SystemRandom;
use orbit_devices::Kind;
use orbit_discovery::{
    operational_instance_id, AdvertHandle, Advertiser, Commissionable, Operational, PairingHint,
};
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::FileStore;
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A serial number for a newly manufactured reference device.
fn serial() -> u64 {
    use orbit_core::crypto::Random;
    let mut b = [0u8; 4];
    let _ = SystemRandom::new().fill(&mut b);
    u64::from(u32::from_be_bytes(b))
}

/// Keeps the device's DNS-SD advertisements in line with its state.
pub(crate) struct Adverts {
    advertiser: Option<Advertiser>,
    commissionable: Option<AdvertHandle>,
    operational: BTreeMap<u64, AdvertHandle>,
}

impl Adverts {
    pub(crate) fn new(advertiser: Option<Advertiser>) -> Self {
        Adverts {
            advertiser,
            commissionable: None,
            operational: BTreeMap::new(),
        }
    }

    /// Advertises as commissionable while the window is open [DISC-5], and once per home.
    pub(crate) fn refresh(&mut self, device: &Device, port: u16) {
        let Some(advertiser) = &self.advertiser else {
            return;
        };
        let open = device.is_pairing_window_open();
        if open && self.commissionable.is_none() {
            let setup = device.setup_payload();
            let record = Commissionable::new(
                &mut SystemRandom::new(),
                setup.discriminator,
                setup.vendor_id,
                setup.product_id,
                PairingHint::POWER_UP,
            );
            match record.map(|r| advertiser.advertise_commissionable(&r, port)) {
                Ok(Ok(handle)) => self.commissionable = Some(handle),
                Ok(Err(e)) => tracing::warn!(error = %e, "not advertised"),
                Err(e) => tracing::warn!(error = %e, "not advertised"),
            }
        } else if !open {
            self.commissionable = None;
        }
        for (root, home, node) in device.operational_identities() {
            if self.operational.contains_key(&home) {
                continue;
            }
            let record = Operational::new(operational_instance_id(&root, home, node));
            match advertiser.advertise_operational(&record, port) {
                Ok(handle) => {
                    self.operational.insert(home, handle);
                }
                Err(e) => tracing::warn!(error = %e, "operational advertisement failed"),
            }
        }
        let homes = device.homes();
        self.operational.retain(|h, _| homes.contains(h));
    }
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
        || DeviceIdentity::development(kind.product_id(), serial(), unix_now()),
        DeviceConfig {
            listen,
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
    let advertiser = match Advertiser::new() {
        Ok(a) => Some(a),
        Err(e) => {
            eprintln!("orbit: warning: not advertising on the local network ({e}); controllers can still use quic://{addr}");
            None
        }
    };
    let mut adverts = Adverts::new(advertiser);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => adverts.refresh(&device, addr.port()),
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    device.shutdown().await;
    Ok(())
}

//! `orbit-testbed`: reference devices on 127.0.0.1 for the bindings' Kotlin, Python and C
//! tests, driven by lines on stdin so that a test in any language can start and stop them.
//!
//! - `start KIND NAME` (KIND `lamp`, `lock` or `ble-lamp`; a lock has the PIN `1234`) starts a
//!   device with a store in memory and no multicast advertisement, and prints
//!   `started NAME address=HOST:PORT qr=OB1:... manual=DIGITS wrong_qr=OB1:...
//!   instance=HEX port=PORT txt=K=V;K=V`: its setup codes, a QR code that differs only in the
//!   passcode, and the DNS-SD record it would advertise (for tests of the app's browser seam).
//!   A `ble-lamp` serves Bluetooth LE beside QUIC over a simulated link and adds
//!   `ble=HOST:PORT`, where a test's Bluetooth bridge reaches it (see [`air`]).
//! - `stop NAME` shuts the device down and prints `stopped NAME`.
//! - `quit`, or the end of stdin, stops everything.
//!
//! Errors are printed as `error MESSAGE` and the testbed goes on.

use orbit_core::crypto::SystemRandom;
use orbit_core::setup::{ManualCodeForm, Passcode, SetupPayload};
use orbit_devices::Kind;
use orbit_discovery::{Advertisement, Commissionable, PairingHint};
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::MemoryStore;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::task::JoinHandle;

mod air;

/// The lock's PIN.
const LOCK_PIN: &[u8] = b"1234";

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// A device the testbed runs, and the air of its Bluetooth side if it has one.
struct Running {
    device: Device,
    air: Option<JoinHandle<()>>,
}

async fn start(kind: &str, name: &str) -> Result<(Running, String), Failure> {
    let (kind, ble) = match kind {
        "lamp" => (Kind::Lamp, false),
        "lock" => (Kind::Lock, false),
        "ble-lamp" => (Kind::Lamp, true),
        other => return Err(format!("unknown kind {other:?} (lamp, lock or ble-lamp)").into()),
    };
    let serial = name.to_owned();
    let device = Device::open(
        Arc::new(MemoryStore::new()),
        move |now| match kind {
            Kind::Lock => Ok(orbit_devices::lock::build_with_pin(now, &serial, LOCK_PIN)?),
            Kind::Lamp if ble => Ok(orbit_devices::lamp::build_for_ble(now, &serial)?),
            k => Ok(k.build(now, &serial)?),
        },
        || DeviceIdentity::development(kind.product_id(), 1, orbit_sdk::unix_now()),
        DeviceConfig::default(),
    )
    .await?;
    let addr = device.local_addr()?;
    let setup = *device.setup_payload();
    let advert = Commissionable::new(
        &mut SystemRandom::new(),
        setup.discriminator,
        setup.vendor_id,
        setup.product_id,
        PairingHint::NONE,
    )?;
    let txt: Vec<String> = advert
        .txt()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut line = format!(
        "started {name} address={addr} qr={} manual={} wrong_qr={} instance={} port={} txt={}",
        setup.to_qr_string(),
        setup.to_manual_code(ManualCodeForm::Short),
        wrong_code(&setup)?.to_qr_string(),
        advert.instance(),
        addr.port(),
        txt.join(";"),
    );
    let air = if ble {
        let (air_addr, task) = air::start(device.ble()).await?;
        line.push_str(&format!(" ble={air_addr}"));
        Some(task)
    } else {
        None
    };
    Ok((Running { device, air }, line))
}

impl Running {
    async fn shutdown(self) {
        if let Some(air) = self.air {
            air.abort();
        }
        self.device.shutdown().await;
    }
}

/// The same payload with another valid passcode.
fn wrong_code(setup: &SetupPayload) -> Result<SetupPayload, Failure> {
    let mut wrong = *setup;
    let mut candidate = setup.passcode.value();
    for _ in 0..16 {
        candidate = if candidate >= 99_999_998 {
            1
        } else {
            candidate + 1
        };
        if let Ok(p) = Passcode::new(candidate) {
            wrong.passcode = p;
            return Ok(wrong);
        }
    }
    Err("no other valid passcode near the device's".into())
}

#[tokio::main]
async fn main() {
    let mut devices: HashMap<String, Running> = HashMap::new();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["start", kind, name] => match start(kind, name).await {
                Ok((device, started)) => {
                    devices.insert((*name).to_owned(), device);
                    println!("{started}");
                }
                Err(e) => println!("error {e}"),
            },
            ["stop", name] => match devices.remove(*name) {
                Some(d) => {
                    d.shutdown().await;
                    println!("stopped {name}");
                }
                None => println!("error no device called {name}"),
            },
            ["quit"] => break,
            [] => {}
            _ => println!("error unknown command {line:?}"),
        }
    }
    for (_, d) in devices.drain() {
        d.shutdown().await;
    }
}

//! `orbit demo`: the five reference devices in this process on 127.0.0.1, found by DNS-SD on
//! loopback, paired, described and controlled over QUIC; a subscription's reports; one device
//! restarted on a new address, found again by its per-home advertisement, and its session
//! resumed; a lamp paired over a simulated Bluetooth LE link and handed off to QUIC; per-phase
//! timings at the end.

use crate::commands::timings_json;
use crate::CliResult;
use orbit_cli::output::{outcome_text, print_descriptor, print_reports, status_text, Format};
use orbit_core::interaction::{AttributePath, CommandPath, ConcreteAttribute, ReadRequest};
use orbit_core::interaction::{SubscribeRequest, WriteRequest};
use orbit_core::model::std_caps::{door_lock, level, on_off, thermostat};
use orbit_core::model::{Data, EndpointId};
use orbit_devices::{lamp, sensor, strip, Kind};
use orbit_discovery::{operational_instance_id, DiscoveryConfig, DiscriminatorFilter};
use orbit_quic::QuicConfig;
use orbit_sdk::controller::{Controller, SubscriptionUpdate, Timings};
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::{MemoryStore, Store};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The lock's PIN in the demo.
const PIN: &[u8] = b"2468";

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn start(
    kind: Kind,
    store: Arc<dyn Store>,
    serial: u64,
) -> Result<Device, Box<dyn std::error::Error + Send + Sync>> {
    Ok(Device::open(
        store,
        move |now| {
            Ok(match kind {
                Kind::Lock => orbit_devices::lock::build_with_pin(now, "demo-lock", PIN)?,
                k => k.build(now, &format!("demo-{}", k.name()))?,
            })
        },
        move || DeviceIdentity::development(kind.product_id(), serial, orbit_sdk::unix_now()),
        DeviceConfig {
            listen: loopback(),
            discovery: Some(DiscoveryConfig::loopback()),
            ..DeviceConfig::default()
        },
    )
    .await?)
}

pub(crate) fn heading(format: Format, text: &str) {
    if format == Format::Human {
        println!("\n== {text}");
    }
}

pub(crate) fn say(format: Format, text: impl AsRef<str>) {
    if format == Format::Human {
        println!("  {}", text.as_ref());
    }
}

/// Runs the demo.
pub(crate) async fn run(format: Format) -> CliResult {
    let started = Instant::now();
    let mut all_timings: Vec<(String, Timings)> = Vec::new();

    heading(format, "1. Five reference devices start on 127.0.0.1");
    let mut devices = Vec::new();
    for (i, kind) in Kind::ALL.into_iter().enumerate() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let device = start(kind, store.clone(), 100 + i as u64).await?;
        say(
            format,
            format!(
                "{:<10} quic://{}  setup code {}",
                kind.name(),
                device.local_addr()?,
                device.setup_payload().to_qr_string()
            ),
        );
        devices.push((kind, device, store));
    }

    heading(
        format,
        "2. Discovery: the devices advertise _orbit._udp on loopback",
    );
    // Each device's runtime advertises it while its pairing window is open [DISC-5].
    let phone_store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let phone = Controller::open(phone_store.clone(), QuicConfig::default()).await?;
    let found = phone
        .discover(DiscoveryConfig::loopback(), Duration::from_secs(3))
        .await;
    let found = match found {
        Ok(f) if !f.is_empty() => f,
        Ok(_) => {
            say(
                format,
                "discovery found nothing on loopback; using the devices' direct addresses",
            );
            Vec::new()
        }
        Err(e) => {
            say(
                format,
                format!("discovery unavailable here ({e}); using direct addresses"),
            );
            Vec::new()
        }
    };
    for f in &found {
        say(
            format,
            format!(
                "found {} vendor {:#06x} product {:#06x} discriminator {} at {:?}",
                f.instance(),
                f.record.vendor_id.0,
                f.record.product_id.0,
                f.record.discriminator.value(),
                f.addresses
            ),
        );
    }

    heading(
        format,
        "3. Pairing: PASE, attestation, home certificate, session, descriptor",
    );
    say(
        format,
        format!("the phone's home is {:016x}", phone.home_id()),
    );
    let mut connections = Vec::new();
    for (kind, device, _) in &devices {
        let setup = device.setup_payload();
        let filter = DiscriminatorFilter::Long(setup.discriminator);
        let port = device.local_addr()?.port();
        // The address discovery found for this device's discriminator, or the direct one.
        let addr = found
            .iter()
            .filter(|f| filter.matches(f.record.discriminator) && f.port == port)
            .flat_map(|f| f.addresses.iter().copied())
            .find(SocketAddr::is_ipv4)
            .unwrap_or(device.local_addr()?);
        let paired = phone
            .pair(&setup.to_qr_string(), addr, Some(kind.name()))
            .await?;
        say(
            format,
            format!(
                "{:<10} paired as node {:#06x} in {:.1} ms",
                kind.name(),
                paired.device.node_id,
                paired.timings.total().as_secs_f64() * 1e3
            ),
        );
        all_timings.push((format!("pair {}", kind.name()), paired.timings));
        connections.push((*kind, paired.connection));
    }

    heading(
        format,
        "4. Descriptors (signed by each device's operational key, verified)",
    );
    for (kind, conn) in &connections {
        let (descriptor, bytes) = conn.describe().await?;
        say(format, format!("{} ({} bytes):", kind.name(), bytes.len()));
        print_descriptor(format, &descriptor);
    }

    heading(format, "5. Control");
    let device_of = |k: Kind| {
        devices
            .iter()
            .find(|(kind, _, _)| *kind == k)
            .map(|(_, d, _)| d)
            .ok_or("device missing")
    };
    let conn = |k: Kind| {
        connections
            .iter()
            .find(|(kind, _)| *kind == k)
            .map(|(_, c)| c)
            .ok_or("device missing")
    };
    let ep = EndpointId(lamp::ENDPOINT);
    let lamp_conn = conn(Kind::Lamp)?;
    lamp_conn
        .invoke(
            CommandPath::new(ep, on_off::ID, on_off::commands::ON),
            Data::Struct(vec![]),
            false,
        )
        .await?
        .map_err(|s| format!("lamp on refused: {}", status_text(s)))?;
    lamp_conn
        .invoke(
            CommandPath::new(ep, level::ID, level::commands::MOVE_TO_LEVEL),
            Data::Struct(vec![(0, Data::Uint(128))]),
            false,
        )
        .await?
        .map_err(|s| format!("move-to-level refused: {}", status_text(s)))?;
    say(format, "lamp: on, level 128");
    let t_conn = conn(Kind::Thermostat)?;
    let heat = ConcreteAttribute::new(
        EndpointId(orbit_devices::thermostat::ENDPOINT),
        thermostat::ID,
        thermostat::attributes::OCCUPIED_HEATING_SETPOINT,
    );
    let statuses = t_conn
        .write(WriteRequest::new(vec![(heat, Data::int(2150))]))
        .await?;
    say(
        format,
        format!(
            "thermostat: heating setpoint 21.50 °C -> {}",
            statuses
                .first()
                .map_or_else(|| "no status".to_owned(), |s| status_text(s.status))
        ),
    );
    let lock_conn = conn(Kind::Lock)?;
    let unlock = CommandPath::new(
        EndpointId(orbit_devices::lock::ENDPOINT),
        door_lock::ID,
        door_lock::commands::UNLOCK_DOOR,
    );
    let wrong = lock_conn
        .invoke(
            unlock,
            Data::Struct(vec![(0, Data::Bytes(b"0000".to_vec()))]),
            true,
        )
        .await?;
    say(
        format,
        format!("lock: unlock with a wrong PIN -> {}", outcome_text(&wrong)),
    );
    let right = lock_conn
        .invoke(
            unlock,
            Data::Struct(vec![(0, Data::Bytes(PIN.to_vec()))]),
            true,
        )
        .await?;
    say(
        format,
        format!(
            "lock: timed unlock with the PIN -> {}",
            if right.is_ok() { "unlocked" } else { "refused" }
        ),
    );
    let sensor_dev = device_of(Kind::Sensor)?;
    sensor_dev
        .with_node(|node, now| sensor::set_readings(node, now, 2215, 4350, 87))
        .map_err(|s| format!("sensor readings refused: {}", status_text(s)))?;
    let (attrs, _) = conn(Kind::Sensor)?
        .read(ReadRequest {
            attributes: vec![AttributePath::endpoint(EndpointId(sensor::ENDPOINT))],
            ..Default::default()
        })
        .await?;
    say(format, "sensor readings:");
    print_reports(format, &attrs, &[]);
    let strip_conn = conn(Kind::Strip)?;
    strip_conn
        .write(WriteRequest::new(vec![(
            ConcreteAttribute::new(EndpointId(2), on_off::ID, on_off::attributes::ON),
            Data::Bool(true),
        )]))
        .await?;
    device_of(Kind::Strip)?
        .with_node(|node, now| strip::set_power(node, now, 2, 60_500))
        .map_err(|s| format!("power refused: {}", status_text(s)))?;
    let (attrs, _) = strip_conn
        .read(ReadRequest {
            attributes: vec![AttributePath {
                endpoint: None,
                capability: Some(on_off::ID),
                attribute: Some(on_off::attributes::ON),
            }],
            ..Default::default()
        })
        .await?;
    say(
        format,
        "strip: socket 2 switched on; every socket's on-off:",
    );
    print_reports(format, &attrs, &[]);

    heading(format, "6. A subscription to the lamp (min 0 s, max 10 s)");
    let mut sub = lamp_conn
        .subscribe(SubscribeRequest {
            attributes: vec![
                ConcreteAttribute::new(ep, on_off::ID, on_off::attributes::ON).path(),
                ConcreteAttribute::new(ep, level::ID, level::attributes::CURRENT_LEVEL).path(),
            ],
            min_interval_s: 0,
            max_interval_s: 10,
            ..Default::default()
        })
        .await?;
    say(format, format!("subscription {} initial report:", sub.id));
    print_reports(format, &sub.initial.attributes, &sub.initial.events);
    let lamp_dev = device_of(Kind::Lamp)?;
    lamp_dev
        .update(ep, |ctx| ctx.set(on_off::ID, on_off::attributes::ON, false))
        .map_err(|s| format!("lamp switch refused: {}", status_text(s)))?;
    say(format, "the lamp's own button switched it off; report:");
    match tokio::time::timeout(Duration::from_secs(5), sub.updates.recv()).await {
        Ok(Some(SubscriptionUpdate::Report(r))) => print_reports(format, &r.attributes, &r.events),
        other => return Err(format!("no report after the change: {other:?}").into()),
    }
    lamp_conn
        .write(WriteRequest::new(vec![(
            ConcreteAttribute::new(ep, level::ID, level::attributes::CURRENT_LEVEL),
            Data::Uint(200),
        )]))
        .await?;
    say(format, "the phone wrote level 200; report:");
    match tokio::time::timeout(Duration::from_secs(5), sub.updates.recv()).await {
        Ok(Some(SubscriptionUpdate::Report(r))) => print_reports(format, &r.attributes, &r.events),
        other => return Err(format!("no report after the write: {other:?}").into()),
    }

    heading(
        format,
        "7. The lamp restarts on a new port; the phone finds it and resumes",
    );
    drop(sub);
    for (_, c) in &connections {
        c.close();
    }
    connections.clear();
    let (_, lamp_device, lamp_store) = devices.remove(0);
    let old_addr = lamp_device.local_addr()?;
    lamp_device.shutdown().await;
    let lamp_device = start(Kind::Lamp, lamp_store, 100).await?;
    let new_addr = lamp_device.local_addr()?;
    say(
        format,
        format!("lamp was at {old_addr}, now at {new_addr} (state kept in its store)"),
    );
    // The restarted lamp advertises itself under the name only this home can compute for
    // it [DISC-11]; the phone finds its new address by that name.
    let record = phone.device("lamp").ok_or("lamp not paired")?;
    let instance = operational_instance_id(&phone.home_root_key(), phone.home_id(), record.node_id);
    let found_again = phone
        .locate("lamp", DiscoveryConfig::loopback(), Duration::from_secs(3))
        .await
        .ok()
        .flatten();
    let target = match found_again {
        Some(a) => {
            say(
                format,
                format!("operational advertisement {instance} resolved to {a}"),
            );
            a
        }
        None => {
            say(
                format,
                "operational discovery unavailable; using the new address directly",
            );
            new_addr
        }
    };
    let (conn, timings) = phone.connect("lamp", Some(target)).await?;
    let (attrs, _) = conn
        .read(ReadRequest {
            attributes: vec![ConcreteAttribute::new(
                ep,
                level::ID,
                level::attributes::CURRENT_LEVEL,
            )
            .path()],
            ..Default::default()
        })
        .await?;
    say(
        format,
        format!(
            "session {} in {:.2} ms; level after restart:",
            if conn.resumed() {
                "resumed from its ticket"
            } else {
                "established (full handshake)"
            },
            timings
                .of(orbit_sdk::controller::Phase::Session)
                .unwrap_or_default()
                .as_secs_f64()
                * 1e3
        ),
    );
    print_reports(format, &attrs, &[]);
    let resumed = conn.resumed();
    all_timings.push(("reconnect lamp".into(), timings));
    conn.close();

    let ble = crate::demo_ble::run(format, &phone, phone_store).await?;
    all_timings.push(("pair over BLE".into(), ble.pairing));

    heading(format, "9. Per-phase timings (ms)");
    match format {
        Format::Json => println!(
            "{}",
            json!({
                "timings": all_timings.iter().map(|(n, t)| json!({"operation": n, "phases": timings_json(t)})).collect::<Vec<_>>(),
                "total_ms": started.elapsed().as_secs_f64() * 1e3,
                "found_by_discovery": found.len(),
                "restarted_lamp_resumed": resumed,
                "ble": ble.json,
            })
        ),
        Format::Human => {
            for (name, t) in &all_timings {
                let phases: Vec<String> =
                    t.0.iter()
                        .map(|p| format!("{} {:.2}", p.phase, p.duration.as_secs_f64() * 1e3))
                        .collect();
                println!("  {name:<18} {}", phases.join(" | "));
            }
            println!(
                "  demo total {:.0} ms",
                started.elapsed().as_secs_f64() * 1e3
            );
        }
    }
    lamp_device.shutdown().await;
    for (_, d, _) in devices {
        d.shutdown().await;
    }
    Ok(())
}

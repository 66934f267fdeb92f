//! The demo's Bluetooth LE step: a lamp that serves BLE beside QUIC is paired over a simulated
//! BLE link (30 ms connection interval, ATT MTU 247, in real time), then its session moves to
//! QUIC without a new handshake ([BLE-26]); a fresh QUIC session to it is timed for comparison.

use crate::demo::{heading, say};
use orbit_cli::output::Format;
use orbit_core::interaction::{ConcreteAttribute, ReadRequest};
use orbit_core::model::std_caps::on_off;
use orbit_core::model::EndpointId;
use orbit_devices::{lamp, Kind};
use orbit_quic::QuicConfig;
use orbit_sdk::ble::SimulatedAir;
use orbit_sdk::controller::{Controller, DeviceConnection, Handoff, Phase, Timings};
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::{MemoryStore, Store};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The name the phone gives the BLE lamp.
const NAME: &str = "ble-lamp";

/// What the step measured, for the JSON summary and the timings table.
pub(crate) struct BleStep {
    pub(crate) pairing: Timings,
    pub(crate) json: serde_json::Value,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The pairing phases that ran over the link, as `name 12.3` pieces.
fn phases(timings: &Timings) -> String {
    timings
        .0
        .iter()
        .filter(|p| p.phase != Phase::SetupCode && p.phase != Phase::Store)
        .map(|p| format!("{} {:.0}", p.phase, ms(p.duration)))
        .collect::<Vec<_>>()
        .join(" | ")
}

async fn read_on(
    conn: &DeviceConnection,
) -> Result<Duration, orbit_sdk::controller::ControllerError> {
    let start = Instant::now();
    conn.read(ReadRequest {
        attributes: vec![ConcreteAttribute::new(
            EndpointId(lamp::ENDPOINT),
            on_off::ID,
            on_off::attributes::ON,
        )
        .path()],
        ..Default::default()
    })
    .await?;
    Ok(start.elapsed())
}

/// A fresh QUIC session (QUIC connect + SIGMA, a resumed handshake's verdict included) to the
/// lamp: `(connect, session)`.
fn setup_of(timings: &Timings) -> (Duration, Duration) {
    let sum = |phase: Phase| {
        timings
            .0
            .iter()
            .filter(|p| p.phase == phase)
            .map(|p| p.duration)
            .sum()
    };
    (sum(Phase::Connect), sum(Phase::Session))
}

/// Runs the step with `phone`, whose state is kept in `phone_store`.
pub(crate) async fn run(
    format: Format,
    phone: &Controller,
    phone_store: Arc<dyn Store>,
) -> Result<BleStep, Box<dyn std::error::Error + Send + Sync>> {
    let params = orbit_ble::sim::SimParams::default();
    heading(
        format,
        &format!(
            "8. Bluetooth LE: a lamp paired over a simulated link ({} ms connection interval, \
             ATT MTU {}, {} packets per event, real time), then handed off to QUIC",
            params.connection_interval.as_millis(),
            params.att_mtu,
            params.packets_per_event
        ),
    );
    let device = Device::open(
        Arc::new(MemoryStore::new()),
        |now| Ok(lamp::build_for_ble(now, "demo-ble-lamp")?),
        || DeviceIdentity::development(Kind::Lamp.product_id(), 200, orbit_sdk::unix_now()),
        DeviceConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..DeviceConfig::default()
        },
    )
    .await?;
    let result = pair_and_hand_off(format, phone, phone_store, &device, params).await;
    device.shutdown().await;
    result
}

async fn pair_and_hand_off(
    format: Format,
    phone: &Controller,
    phone_store: Arc<dyn Store>,
    device: &Device,
    params: orbit_ble::sim::SimParams,
) -> Result<BleStep, Box<dyn std::error::Error + Send + Sync>> {
    let interval = params.connection_interval;
    let mtu = params.att_mtu;
    let air = SimulatedAir::new(params, 1);
    air.add(NAME, device.ble());
    if let Some(advert) = device.ble().advert() {
        say(
            format,
            format!(
                "the lamp advertises Orbit service data {} (commissionable, discriminator {}) [BLE-20]",
                hex::encode(advert.service_data()),
                device.setup_payload().discriminator.value()
            ),
        );
    }
    let paired = phone
        .pair_over_ble(&device.setup_payload().to_qr_string(), &air, Some(NAME))
        .await?;
    let over_link: Duration = paired
        .timings
        .0
        .iter()
        .filter(|p| p.phase != Phase::SetupCode && p.phase != Phase::Store)
        .map(|p| p.duration)
        .sum();
    say(
        format,
        format!(
            "paired over BLE as node {:#06x} in {:.0} ms ({:.0} connection events): {}",
            paired.device.node_id,
            ms(over_link),
            over_link.as_secs_f64() / interval.as_secs_f64(),
            phases(&paired.timings)
        ),
    );
    let conn = paired.connection;
    let ble_read = read_on(&conn).await?;
    say(format, format!("a read over BLE: {:.0} ms", ms(ble_read)));
    let handoff: Handoff = phone.hand_off(NAME, &conn).await?;
    say(
        format,
        format!(
            "handed off to quic://{} in {:.1} ms, same session, no handshake [BLE-26]: read \
             addresses over BLE {:.1} | QUIC connect {:.1} | first request over QUIC {:.1} | BLE \
             close {:.1}",
            handoff.address,
            ms(handoff.total),
            ms(handoff.read_addresses),
            ms(handoff.quic_connect),
            ms(handoff.first_request),
            ms(handoff.ble_close)
        ),
    );
    let quic_read = read_on(&conn).await?;
    say(
        format,
        format!(
            "a read over QUIC now: {:.2} ms (session on {})",
            ms(quic_read),
            conn.remote_address()
        ),
    );
    conn.close();
    // For comparison: fresh QUIC sessions to the same lamp, resumed from the ticket of the
    // pairing session, and full (a read-only controller never offers the ticket).
    let (resumed, resumed_timings) = phone.connect(NAME, None).await?;
    let was_resumed = resumed.resumed();
    resumed.close();
    let reader = Controller::open_read_only(phone_store, QuicConfig::default()).await?;
    let (full, full_timings) = reader.connect(NAME, None).await?;
    full.close();
    reader.close().await;
    let (rc, rs) = setup_of(&resumed_timings);
    let (fc, fs) = setup_of(&full_timings);
    let moved = handoff.quic_connect + handoff.first_request;
    say(
        format,
        format!(
            "a fresh QUIC session for comparison: QUIC connect {:.1} + {} {:.1} = {:.1} ms; full \
             handshake: {:.1} + {:.1} = {:.1} ms; the handoff's QUIC part took {:.1} ms",
            ms(rc),
            if was_resumed {
                "resumed session"
            } else {
                "session"
            },
            ms(rs),
            ms(rc + rs),
            ms(fc),
            ms(fs),
            ms(fc + fs),
            ms(moved)
        ),
    );
    let json = json!({
        "connection_interval_ms": ms(interval),
        "att_mtu": mtu,
        "pairing_ms": ms(over_link),
        "handoff": {
            "address": handoff.address.to_string(),
            "read_addresses_ms": ms(handoff.read_addresses),
            "quic_connect_ms": ms(handoff.quic_connect),
            "first_request_ms": ms(handoff.first_request),
            "ble_close_ms": ms(handoff.ble_close),
            "total_ms": ms(handoff.total),
        },
        "quic_session_resumed_ms": ms(rc + rs),
        "quic_session_full_ms": ms(fc + fs),
    });
    Ok(BleStep {
        pairing: paired.timings,
        json,
    })
}

//! `orbit pair --ble CODE`: finds the device in pairing mode by the setup code's
//! discriminator over Bluetooth LE ([BLE-24]), pairs over BLE, then moves the session to QUIC
//! when the device tells its addresses ([BLE-25], [BLE-26]), so that later commands reach it
//! over the network. Needs the cli feature `ble`.

use crate::CliResult;
use orbit_cli::output::Format;
use orbit_sdk::controller::Controller;

/// Pairs over Bluetooth through the machine's adapter.
#[cfg(feature = "ble")]
pub(crate) async fn pair(
    controller: &Controller,
    code: &str,
    name: Option<&str>,
    format: Format,
) -> CliResult {
    use crate::commands::{print_timings, timings_json};
    use serde_json::json;

    let central = crate::ble::BtleplugAir::open().await?;
    let paired = controller.pair_over_ble(code, &central, name).await?;
    let device = paired.device.name.clone();
    if format == Format::Human {
        println!(
            "paired {device} (node {:#x}) over Bluetooth LE",
            paired.device.node_id
        );
        print_timings(format, &paired.timings);
    }
    let handoff = controller.hand_off(&device, &paired.connection).await;
    match (&handoff, format) {
        (Ok(h), Format::Human) => println!(
            "session moved to QUIC at {} in {:.1} ms (read addresses over BLE {:.1} | QUIC \
             connect {:.1} | first request {:.1} | BLE close {:.1}); later commands reach it there",
            h.address,
            h.total.as_secs_f64() * 1e3,
            h.read_addresses.as_secs_f64() * 1e3,
            h.quic_connect.as_secs_f64() * 1e3,
            h.first_request.as_secs_f64() * 1e3,
            h.ble_close.as_secs_f64() * 1e3
        ),
        (Err(e), Format::Human) => eprintln!(
            "orbit: warning: the session stays on Bluetooth ({e}); other commands reach the \
             device over QUIC only once it is on the network and tells its addresses"
        ),
        (_, Format::Json) => println!(
            "{}",
            json!({"name": device, "node_id": paired.device.node_id, "transport": "ble",
                   "timings": timings_json(&paired.timings),
                   "quic_address": handoff.as_ref().ok().map(|h| h.address.to_string()),
                   "handoff_ms": handoff.as_ref().ok().map(|h| h.total.as_secs_f64() * 1e3),
                   "handoff_error": handoff.as_ref().err().map(ToString::to_string)})
        ),
    }
    paired.connection.close();
    Ok(())
}

/// Without the feature `--ble` is refused before anything runs (see `main`); this says so too.
#[cfg(not(feature = "ble"))]
pub(crate) async fn pair(
    _controller: &Controller,
    _code: &str,
    _name: Option<&str>,
    _format: Format,
) -> CliResult {
    Err(crate::ble::NEEDS_FEATURE.into())
}

//! Goodput of the BLE framing over the simulated link, in virtual time ([BLE-7], [BLE-8]).
//!
//! Two framing engines run over a `SimLink` (30 ms connection interval, 4 packets per
//! connection event and direction). Every figure is a ratio against what the link could carry
//! at best, so none depends on the machine:
//!
//! - goodput: bytes of SDU delivered per second, as a fraction of the link's payload capacity
//!   (packets per event x (MTU - 3) / interval), for each MTU and receive window, with the
//!   largest protected message (4125 bytes) and the largest SDU (16388 bytes); for the full
//!   window, its two factors: slot use (data frames per packet slot; below 1 the window or the
//!   ack policy stalled the sender) and frame efficiency (SDU bytes per byte the frames could
//!   carry; below 1 by frame headers and each SDU's partly filled last frame);
//! - pairing-sized message sequences (PASE, SIGMA, commissioning): connection events used,
//!   against the fewest possible (each message takes at least ceil(bytes / per-event capacity)
//!   events, and an answer leaves at the earliest at the event after its request arrived).
//!
//! `cargo bench -p orbit-ble --bench goodput` (`-- --quick` for a smaller transfer).

use std::process::ExitCode;
use std::time::Duration;

use orbit_ble::sdu::{Sdu, KIND_PAIRING, KIND_PROTECTED, KIND_SESSION};
use orbit_ble::sim::{measure_goodput, EnginePair, PairError, Side, SimParams};
use orbit_ble::FramingConfig;

const INTERVAL: Duration = Duration::from_millis(30);
const PACKETS_PER_EVENT: u16 = 4;
/// Bytes of protection on a protected message ([MSG-20]).
const PROTECTION: usize = 29;
/// The largest protected message: a 4096-byte interaction message ([IM-4]) sealed.
const LARGEST_MESSAGE: usize = 4096 + PROTECTION;
/// The largest SDU payload ([BLE-15]).
const LARGEST_PAYLOAD: usize = 16384;
const MTUS: [u16; 4] = [23, 185, 247, 517];
const WINDOWS: [u8; 4] = [1, 4, 16, 32];

fn params(att_mtu: u16) -> SimParams {
    SimParams {
        att_mtu,
        connection_interval: INTERVAL,
        packets_per_event: PACKETS_PER_EVENT,
        ..SimParams::default()
    }
}

fn config(att_mtu: u16, window: u8) -> FramingConfig {
    FramingConfig {
        att_mtu,
        window,
        ..FramingConfig::default()
    }
}

/// One goodput table; returns the ratio at MTU 247 with the full window.
fn goodput_table(payload: usize, total: usize) -> Result<f64, String> {
    println!();
    println!(
        "goodput / payload capacity, {payload}-byte payloads, {} KiB",
        total / 1024
    );
    println!(
        "{:>5} {:>10} {:>7} {:>7} {:>7} {:>7}   {:>9} {:>10}",
        "MTU", "capacity", "w=1", "w=4", "w=16", "w=32", "slot use", "frame eff"
    );
    let mut at_target = f64::NAN;
    for mtu in MTUS {
        let capacity = params(mtu).payload_capacity_per_second();
        let mut row = format!("{mtu:>5} {:>6.0} B/s", capacity);
        let mut last = None;
        for window in WINDOWS {
            let report = measure_goodput(&params(mtu), config(mtu, window), payload, total, 1)
                .map_err(|e| format!("MTU {mtu} window {window}: {e}"))?;
            row.push_str(&format!(" {:>7.3}", report.ratio));
            last = Some(report);
        }
        if let Some(full) = last {
            row.push_str(&format!(
                "   {:>9.3} {:>10.3}",
                full.slot_use, full.frame_efficiency
            ));
            if mtu == 247 {
                at_target = full.ratio;
            }
        }
        println!("{row}");
    }
    Ok(at_target)
}

/// One message of a sequence: who sends it, its kind, its size above the framing.
struct Message {
    from: Side,
    kind: u8,
    bytes: usize,
}

const fn c(kind: u8, bytes: usize) -> Message {
    Message {
        from: Side::Central,
        kind,
        bytes,
    }
}
const fn p(kind: u8, bytes: usize) -> Message {
    Message {
        from: Side::Peripheral,
        kind,
        bytes,
    }
}

/// PASE: the sizes of spec/v1/vectors/pairing-transcript.json.
const PASE: [Message; 3] = [
    c(KIND_PAIRING, 50),
    p(KIND_PAIRING, 124),
    c(KIND_PAIRING, 71),
];
/// SIGMA: the sizes of spec/v1/vectors/session-handshake.json (full handshake).
const SIGMA: [Message; 3] = [
    c(KIND_SESSION, 116),
    p(KIND_SESSION, 338),
    c(KIND_SESSION, 240),
];
/// Commissioning, five request/answer exchanges of protected messages: attestation and
/// install-home at the sizes of spec/v1/vectors/commissioning.json, then an ACL write, a
/// network configuration and a describe at representative sizes (400 to 1000 bytes).
const COMMISSIONING: [Message; 10] = [
    c(KIND_PROTECTED, 38 + PROTECTION),
    p(KIND_PROTECTED, 385 + PROTECTION),
    c(KIND_PROTECTED, 303 + PROTECTION),
    p(KIND_PROTECTED, 40),
    c(KIND_PROTECTED, 400),
    p(KIND_PROTECTED, 40),
    c(KIND_PROTECTED, 600),
    p(KIND_PROTECTED, 40),
    c(KIND_PROTECTED, 40),
    p(KIND_PROTECTED, 1000),
];

/// Connection events a request/answer chain used, and the fewest it could use.
fn sequence(att_mtu: u16, messages: &[Message]) -> Result<(u128, u128), PairError> {
    let cfg = config(att_mtu, 16);
    let mut pair = EnginePair::new(params(att_mtu), 1, cfg, cfg)
        .map_err(|e| PairError::Setup(e.to_string()))?;
    pair.open(Duration::from_secs(10))?;
    let start = pair.now();
    for (i, m) in messages.iter().enumerate() {
        let payload = vec![i as u8; m.bytes];
        let sdu = Sdu::message(i as u16, m.kind, &payload, true)
            .to_vec()
            .map_err(|e| PairError::Setup(e.to_string()))?;
        let limit = pair.now() + Duration::from_secs(3600);
        pair.transfer(m.from, vec![sdu], limit)?;
    }
    let used = (pair.now() - start).as_nanos() / INTERVAL.as_nanos();
    let per_event = params(att_mtu).payload_capacity_per_event();
    let minimum = messages
        .iter()
        .map(|m| m.bytes.div_ceil(per_event) as u128)
        .sum();
    Ok((used, minimum))
}

fn run(quick: bool) -> Result<(), String> {
    let total = if quick { 128 * 1024 } else { 1024 * 1024 };
    println!(
        "BLE framing over the simulated link: {} ms connection interval, {PACKETS_PER_EVENT} \
         packets per event and direction, central -> peripheral",
        INTERVAL.as_millis()
    );
    let messages = goodput_table(LARGEST_MESSAGE, total)?;
    let sdus = goodput_table(LARGEST_PAYLOAD, total * 4)?;
    for (what, ratio) in [
        ("4125-byte messages", messages),
        ("16384-byte payloads", sdus),
    ] {
        let verdict = if ratio >= 0.95 { "meets" } else { "misses" };
        println!("MTU 247, window 32, {what}: {ratio:.3} {verdict} the target 0.95");
    }

    println!();
    println!("slot use (data frames per packet slot) at MTU 247 by packets per event and window");
    println!(
        "{:>8} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "packets", "w=4", "w=8", "w=16", "w=24", "w=32"
    );
    for per_event in [2u16, 4, 8, 16] {
        let link = SimParams {
            packets_per_event: per_event,
            ..params(247)
        };
        let mut row = format!("{per_event:>8}");
        for window in [4u8, 8, 16, 24, 32] {
            let report = measure_goodput(&link, config(247, window), LARGEST_MESSAGE, total, 1)
                .map_err(|e| format!("{per_event} packets, window {window}: {e}"))?;
            row.push_str(&format!(" {:>7.3}", report.slot_use));
        }
        println!("{row}");
    }

    println!();
    println!("pairing-sized sequences, window 16: connection events used / fewest possible");
    println!(
        "{:>14} {:>5} {:>5} {:>8} {:>6} {:>8}",
        "sequence", "MTU", "used", "minimum", "ratio", "time"
    );
    for (name, messages) in [
        ("PASE", &PASE[..]),
        ("SIGMA", &SIGMA[..]),
        ("commissioning", &COMMISSIONING[..]),
    ] {
        for mtu in [23u16, 247] {
            let (used, minimum) =
                sequence(mtu, messages).map_err(|e| format!("{name} at MTU {mtu}: {e}"))?;
            let ms = used * INTERVAL.as_millis();
            let ratio = used as f64 / minimum as f64;
            println!("{name:>14} {mtu:>5} {used:>5} {minimum:>8} {ratio:>6.2} {ms:>5} ms");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(std::env::args().any(|a| a == "--quick")) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("goodput: {e}");
            ExitCode::FAILURE
        }
    }
}

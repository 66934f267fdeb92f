//! Orbit over the simulated BLE link (`orbit_ble::sim`, 30 ms connection interval, 4 packets
//! per event and direction, in real time), each figure a ratio against a baseline measured in
//! the same run:
//!
//! 1. **Pairing over BLE against the fewest connection events it could take**, at ATT MTU 23
//!    and 247: a full [`Controller::pair_over_ble`] (link handshake, PASE, commissioning, the
//!    confirming session and its describe) to a fresh lamp. A central that records every ATT
//!    value each way gives the messages: the framing handshake's control frames and each SDU
//!    (message plus its 4-byte exchange header, [BLE-15]; the END-only SDUs that close an
//!    exchange are left out). Messages that follow each other in one direction form a flight;
//!    the next flight, the other way, waits for it (a round trip the protocol needs). A flight
//!    takes at least `ceil(bytes / per-event capacity)` events (capacity = packets per event x
//!    (MTU - 3)) and two flights never share an event, so the minimum is the sum over flights.
//!    Measured events = the pairing's wall time over the link / the interval (the controller's
//!    and device's computing, PBKDF2 included, counts in it). Both sides of the ratio are in
//!    connection events, so a time scale would cancel; none is used.
//! 2. **Handoff against a fresh QUIC session**: a lamp paired over BLE, then rounds of
//!    [`Controller::hand_off`] (BLE to QUIC, same session), [`Controller::connect`] to the same
//!    lamp over QUIC resumed from the stored ticket, and a full handshake (a read-only
//!    controller never offers the ticket), then [`Controller::fall_back_to_ble`] to start the
//!    next round on BLE again. Medians over the rounds. A session setup is timed until the
//!    session can carry requests: QUIC connect and the handshake's phases (a resumed one's
//!    verdict included; a full one's sigma3 goes out with the first request, [SESS-13], so its
//!    verdict comes with that answer and is not counted).
//!
//! `cargo bench -p orbit-sdk --bench ble` (`-- --quick`: one pairing per MTU, three rounds).
//! Under `cargo test` the quick version runs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_ble::frame::{Control, Frame};
use orbit_ble::radio::{Radio, RadioError, RadioEvent};
use orbit_ble::sim::SimParams;
use orbit_devices::{lamp, Kind};
use orbit_quic::QuicConfig;
use orbit_sdk::ble::{BleCentral, BoxFuture, Connected, Sighting, SimulatedAir};
use orbit_sdk::controller::{Controller, Phase, Timings};
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::{MemoryStore, Store};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

const REPRODUCE: &str = "cargo bench -p orbit-sdk --bench ble";
const INTERVAL: Duration = Duration::from_millis(30);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dir {
    ToDevice,
    ToController,
}

/// Every ATT value of a link, each way, in the order the central saw them.
type Log = Arc<Mutex<Vec<(Dir, Vec<u8>)>>>;

/// A central that records what goes over its links.
struct Recording {
    air: SimulatedAir,
    log: Log,
}

struct RecordingRadio {
    inner: Arc<dyn Radio>,
    log: Log,
}

impl Radio for RecordingRadio {
    fn write(&self, value: &[u8]) -> Result<(), RadioError> {
        self.log
            .lock()
            .unwrap()
            .push((Dir::ToDevice, value.to_vec()));
        self.inner.write(value)
    }
    fn att_mtu(&self) -> u16 {
        self.inner.att_mtu()
    }
    fn disconnect(&self) {
        self.inner.disconnect();
    }
}

impl BleCentral for Recording {
    fn scan<'a>(
        &'a self,
        timeout: Duration,
        enough: &'a (dyn Fn(&Sighting) -> bool + Send + Sync),
    ) -> BoxFuture<'a, Result<Vec<Sighting>, String>> {
        self.air.scan(timeout, enough)
    }

    fn connect<'a>(&'a self, peripheral: &'a str) -> BoxFuture<'a, Result<Connected, String>> {
        Box::pin(async move {
            let (radio, mut events) = self.air.connect(peripheral).await?;
            let (tx, rx) = mpsc::channel(256);
            let log = self.log.clone();
            tokio::spawn(async move {
                while let Some(event) = events.recv().await {
                    if let RadioEvent::Received(v) = &event {
                        log.lock().unwrap().push((Dir::ToController, v.clone()));
                    }
                    if tx.send(event).await.is_err() {
                        break;
                    }
                }
            });
            let radio: Arc<dyn Radio> = Arc::new(RecordingRadio {
                inner: radio,
                log: self.log.clone(),
            });
            Ok((radio, rx))
        })
    }
}

/// The messages of a log, in order: `(direction, bytes)`, the framing handshake's control
/// frames and each SDU with a payload.
fn messages(log: &[(Dir, Vec<u8>)]) -> Vec<(Dir, usize)> {
    let mut out = Vec::new();
    // Per direction: the SDU being reassembled.
    let mut open: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    for (dir, value) in log {
        let slot = &mut open[usize::from(*dir == Dir::ToController)];
        match Frame::decode(value) {
            Ok(Frame::Control(
                Control::HandshakeRequest { .. } | Control::HandshakeResponse { .. },
            )) => out.push((*dir, value.len())),
            Ok(Frame::Data(d)) => {
                if d.sdu_len.is_some() {
                    slot.clear();
                }
                slot.extend_from_slice(d.segment);
                if d.end {
                    // [BLE-15]: exchange (2), flags (1), kind (1), payload.
                    if slot.len() > orbit_ble::sdu::HEADER_LEN {
                        out.push((*dir, slot.len()));
                    }
                    slot.clear();
                }
            }
            _ => {}
        }
    }
    out
}

/// Flights (runs of messages one way) and the fewest connection events they need.
fn minimum_events(messages: &[(Dir, usize)], per_event: usize) -> (usize, usize) {
    let mut flights: Vec<usize> = Vec::new();
    let mut last = None;
    for (dir, bytes) in messages {
        if last == Some(*dir) {
            *flights.last_mut().unwrap() += bytes;
        } else {
            flights.push(*bytes);
            last = Some(*dir);
        }
    }
    let events = flights.iter().map(|b| b.div_ceil(per_event)).sum();
    (flights.len(), events)
}

async fn ble_lamp() -> Device {
    Device::open(
        Arc::new(MemoryStore::new()),
        |now| Ok(lamp::build_for_ble(now, "L-BLE")?),
        || DeviceIdentity::development(Kind::Lamp.product_id(), 1, orbit_sdk::unix_now()),
        DeviceConfig::default(),
    )
    .await
    .unwrap()
}

fn params(att_mtu: u16) -> SimParams {
    SimParams {
        att_mtu,
        connection_interval: INTERVAL,
        ..SimParams::default()
    }
}

/// The pairing's time over the link: every phase but reading the code and saving.
fn over_link(t: &Timings) -> Duration {
    t.0.iter()
        .filter(|p| p.phase != Phase::SetupCode && p.phase != Phase::Store)
        .map(|p| p.duration)
        .sum()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn pairing(runs: usize) {
    println!(
        "\n1. Pairing over BLE (PASE, commissioning, confirming session, describe), {} ms \
         interval, real time, median of {runs}",
        INTERVAL.as_millis()
    );
    println!(
        "{:>4} {:>9} {:>9} {:>8} {:>9} {:>8} {:>8} {:>7}",
        "MTU", "pairing", "measured", "flights", "to dev B", "to ctl B", "minimum", "ratio"
    );
    for mtu in [23u16, 247] {
        let mut times = Vec::new();
        let mut counted = None;
        for run in 0..runs {
            let device = ble_lamp().await;
            let phone = Controller::open(Arc::new(MemoryStore::new()), QuicConfig::default())
                .await
                .unwrap();
            let central = Recording {
                air: SimulatedAir::new(params(mtu), run as u64 + 1),
                log: Arc::new(Mutex::new(Vec::new())),
            };
            central.air.add("lamp", device.ble());
            let paired = phone
                .pair_over_ble(
                    &device.setup_payload().to_qr_string(),
                    &central,
                    Some("lamp"),
                )
                .await
                .unwrap();
            times.push(over_link(&paired.timings));
            let msgs = messages(&central.log.lock().unwrap());
            counted.get_or_insert(msgs);
            paired.connection.close();
            phone.close().await;
            device.shutdown().await;
        }
        let msgs = counted.unwrap();
        let per_event = params(mtu).payload_capacity_per_event();
        let (flights, minimum) = minimum_events(&msgs, per_event);
        let bytes = |d: Dir| -> usize { msgs.iter().filter(|m| m.0 == d).map(|m| m.1).sum() };
        let time = median(times);
        let measured = time.as_secs_f64() / INTERVAL.as_secs_f64();
        println!(
            "{mtu:>4} {:>6.0} ms {measured:>9.1} {flights:>8} {:>9} {:>8} {minimum:>8} {:>6.2}x",
            ms(time),
            bytes(Dir::ToDevice),
            bytes(Dir::ToController),
            measured / minimum as f64
        );
    }
    println!(
        "   measured = pairing time / interval; minimum = sum over flights of ceil(bytes / \
         (packets per event x (MTU - 3))); ratio = measured / minimum"
    );
}

/// Connect and session-handshake phases (a resumed handshake's verdict included).
fn setup(t: &Timings) -> Duration {
    t.0.iter()
        .filter(|p| matches!(p.phase, Phase::Connect | Phase::Session))
        .map(|p| p.duration)
        .sum()
}

async fn handoff(rounds: usize) {
    let device = ble_lamp().await;
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let phone = Controller::open(store.clone(), QuicConfig::default())
        .await
        .unwrap();
    let air = SimulatedAir::new(params(247), 7);
    air.add("lamp", device.ble());
    let paired = phone
        .pair_over_ble(&device.setup_payload().to_qr_string(), &air, Some("lamp"))
        .await
        .unwrap();
    let conn = paired.connection;
    let reader = Controller::open_read_only(store, QuicConfig::default())
        .await
        .unwrap();
    let (mut total, mut read, mut quic, mut first, mut close) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut resumed, mut full) = (Vec::new(), Vec::new());
    let mut all_resumed = true;
    for _ in 0..rounds {
        let h = phone.hand_off("lamp", &conn).await.unwrap();
        total.push(h.total);
        read.push(h.read_addresses);
        quic.push(h.quic_connect);
        first.push(h.first_request);
        close.push(h.ble_close);
        let (c, t) = phone.connect("lamp", None).await.unwrap();
        all_resumed &= c.resumed();
        resumed.push(setup(&t));
        c.close();
        let (c, t) = reader.connect("lamp", Some(h.address)).await.unwrap();
        assert!(!c.resumed(), "a read-only controller offers no ticket");
        full.push(setup(&t));
        c.close();
        phone.fall_back_to_ble("lamp", &conn, &air).await.unwrap();
    }
    let (total, resumed, full) = (median(total), median(resumed), median(full));
    let quic_part = median(quic.clone()) + median(first.clone());
    println!(
        "\n2. Handoff BLE -> QUIC (MTU 247, {} ms interval, real time) against a fresh QUIC \
         session on loopback, medians of {rounds} rounds",
        INTERVAL.as_millis()
    );
    println!(
        "   handoff total {:.1} ms = read addresses over BLE {:.1} + QUIC connect {:.1} + first \
         request over QUIC {:.1} + BLE close {:.1}",
        ms(total),
        ms(median(read)),
        ms(median(quic)),
        ms(median(first)),
        ms(median(close))
    );
    println!(
        "   fresh QUIC session (connect + SIGMA): resumed from the ticket {:.2} ms{}, full {:.2} ms",
        ms(resumed),
        if all_resumed { "" } else { " (not every one resumed)" },
        ms(full)
    );
    println!(
        "   ratio handoff total / resumed session setup {:.1}x, / full session setup {:.1}x",
        total.as_secs_f64() / resumed.as_secs_f64(),
        total.as_secs_f64() / full.as_secs_f64()
    );
    println!(
        "   ratio handoff's QUIC part (connect + first request, no handshake) / full session \
         setup {:.2}x; the rest is BLE connection events (a read and a close)",
        quic_part.as_secs_f64() / full.as_secs_f64()
    );
    conn.close();
    reader.close().await;
    phone.close().await;
    device.shutdown().await;
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let quick = !measuring || std::env::args().any(|a| a == "--quick");
    let (pairings, rounds) = if quick { (1, 3) } else { (5, 9) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("\nOrbit over the simulated BLE link vs QUIC, one run. Reproduce: {REPRODUCE}");
    rt.block_on(async {
        pairing(pairings).await;
        handoff(rounds).await;
    });
}

//! Attacks on a device on 127.0.0.1 while an honest controller works ([SEC-4], [QUIC-40] to
//! [QUIC-43]): a connection flood, slowloris streams (one byte a second), half-done
//! handshakes at a high rate and idle connections kept alive with PINGs. The honest
//! controller, paired, connects and reads again and again; it must succeed in at least 99 %
//! of its requests during each attack.
//!
//! Each attack lasts `ORBIT_ATTACK_SECS` seconds (4 by default); `scripts/attack-bench` runs
//! them longer and prints the figures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{controller, lamp, pair_lamp, read_on};
use orbit_core::model::Data;
use orbit_quic::{FrameKind, QuicConfig};
use orbit_sdk::controller::Controller;
use orbit_sdk::device::Device;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

fn attack_duration() -> Duration {
    let secs = std::env::var("ORBIT_ATTACK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    Duration::from_secs(secs)
}

/// What an attacker does with each connection it opens.
#[derive(Clone, Copy, Debug)]
enum Attack {
    /// Opens connections and holds them, doing nothing.
    Flood,
    /// Opens a stream on each connection and sends a frame one byte a second.
    Slowloris,
    /// Starts a session handshake on each connection (part of a first frame) and stops.
    HalfHandshake,
    /// Opens connections and keeps them alive with a PING every second.
    IdleKeepAlive,
}

impl Attack {
    /// Connection attempts per second.
    fn rate(self) -> u32 {
        match self {
            Attack::Flood => 200,
            Attack::Slowloris => 50,
            Attack::HalfHandshake => 100,
            Attack::IdleKeepAlive => 50,
        }
    }
}

/// A raw quinn client with Orbit's client configuration (ALPN orbit/1), PINGs every second.
fn attacker() -> quinn::Endpoint {
    let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    let cfg = QuicConfig {
        keep_alive_interval: Some(Duration::from_secs(1)),
        ..QuicConfig::default()
    };
    endpoint.set_default_client_config(orbit_quic::config::client_config(&cfg).unwrap());
    endpoint
}

/// One attacking connection, held until the task is aborted.
async fn attack_once(endpoint: quinn::Endpoint, addr: SocketAddr, attack: Attack) {
    let Ok(connecting) = endpoint.connect(addr, "orbit.invalid") else {
        return;
    };
    let Ok(conn) = connecting.await else { return };
    match attack {
        Attack::Flood | Attack::IdleKeepAlive => {}
        Attack::Slowloris => {
            if let Ok((mut send, _recv)) = conn.open_bi().await {
                // A session frame header announcing 1000 bytes, then one byte a second.
                let mut bytes = vec![FrameKind::SESSION.0, 0, 0, 0x03, 0xe8];
                bytes.extend(std::iter::repeat_n(0x55, 1000));
                for b in bytes {
                    if send.write_all(&[b]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        Attack::HalfHandshake => {
            if let Ok((mut send, _recv)) = conn.open_bi().await {
                // The start of a session handshake's first message, never completed.
                let mut bytes = vec![FrameKind::SESSION.0, 0, 0, 0x00, 0xc8];
                bytes.extend([0xa5; 40]);
                let _ = send.write_all(&bytes).await;
            }
        }
    }
    conn.closed().await;
}

/// Runs `attack` against `addr` until `stop`, opening connections at the attack's rate.
async fn run_attack(addr: SocketAddr, attack: Attack, stop: Instant) -> usize {
    let endpoint = attacker();
    let mut held = JoinSet::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / attack.rate());
    let mut opened = 0;
    while Instant::now() < stop {
        tick.tick().await;
        held.spawn(attack_once(endpoint.clone(), addr, attack));
        opened += 1;
    }
    held.shutdown().await;
    endpoint.close(0u32.into(), b"");
    opened
}

/// Connects and reads until `stop`; returns (successes, requests) and the most connections
/// the device held (authenticated, unauthenticated) between requests.
async fn honest(phone: &Controller, device: &Device, stop: Instant) -> (u32, u32, (usize, usize)) {
    let (mut ok, mut total, mut most) = (0, 0, (0, 0));
    while Instant::now() < stop {
        let (a, u) = device.connection_counts();
        most = (most.0.max(a), most.1.max(u));
        total += 1;
        let request = async {
            let (conn, _) = phone
                .connect("lamp", None)
                .await
                .map_err(|e| e.to_string())?;
            read_on(&conn).await.map_err(|s| s.to_string())
        };
        match tokio::time::timeout(Duration::from_secs(30), request).await {
            Ok(Ok(Data::Bool(_))) => ok += 1,
            Ok(Ok(other)) => panic!("unexpected value {other:?}"),
            Ok(Err(e)) => eprintln!("honest request failed: {e}"),
            Err(_) => eprintln!("honest request timed out"),
        }
    }
    (ok, total, most)
}

async fn paired_lamp() -> (Device, Controller) {
    let device = lamp().await;
    let phone = controller().await;
    pair_lamp(&phone, &device).await;
    (device, phone)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_honest_controller_is_served_during_each_attack() {
    // [SEC-4], [QUIC-40], [QUIC-41], [QUIC-42], [QUIC-43]
    let results = Mutex::new(Vec::new());
    for attack in [
        Attack::Flood,
        Attack::Slowloris,
        Attack::HalfHandshake,
        Attack::IdleKeepAlive,
    ] {
        let (device, phone) = paired_lamp().await;
        let addr = device.local_addr().unwrap();
        let stop = Instant::now() + attack_duration();
        let attacking = tokio::spawn(run_attack(addr, attack, stop));
        // Let the attack fill the device first.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (ok, total, (authenticated, unauthenticated)) = honest(&phone, &device, stop).await;
        let opened = attacking.await.unwrap();
        let rate = f64::from(ok) / f64::from(total.max(1));
        eprintln!(
            "attack {attack:?}: {opened} attacking connections, honest {ok}/{total} = {:.2} %, \
             device held at most {authenticated} authenticated / {unauthenticated} \
             unauthenticated",
            rate * 100.0
        );
        results.lock().unwrap().push((attack, ok, total, rate));
        assert!(unauthenticated <= 16 && authenticated <= 32);
    }
    for (attack, ok, total, rate) in results.into_inner().unwrap() {
        assert!(total >= 10, "{attack:?}: only {total} honest requests");
        assert!(
            rate >= 0.99,
            "{attack:?}: the honest controller succeeded in {ok} of {total} requests"
        );
    }
}

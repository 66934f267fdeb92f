//! The attacker: what a hostile host on the LAN sends at a device, each at a bounded rate for
//! a bounded time.
//!
//! - `garbage`: random datagrams of random sizes, some dressed as QUIC long or short headers.
//! - `initial`: half handshakes, real QUIC Initials never followed up (see [`super::initial`]).
//! - `silent`: QUIC connections completed and held open without ever speaking Orbit
//!   `[QUIC-40]`, as many as `silent` at a time (each one the device closes is opened again).
//! - `flood`: QUIC connections opened and dropped as fast as `flood` workers can.

use super::initial::InitialMaker;
use orbit_core::crypto::{Random, SystemRandom};
use orbit_quic::{Client, QuicConfig};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One kind of attack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Random datagrams.
    Garbage,
    /// QUIC Initials only.
    Initial,
    /// Connections that never speak Orbit.
    Silent,
    /// Connections opened and dropped.
    Flood,
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "garbage" => Mode::Garbage,
            "initial" => Mode::Initial,
            "silent" => Mode::Silent,
            "flood" => Mode::Flood,
            other => return Err(format!("unknown attack {other:?}")),
        })
    }
}

impl Mode {
    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Garbage => "garbage",
            Mode::Initial => "initial",
            Mode::Silent => "silent",
            Mode::Flood => "flood",
        }
    }
}

/// How hard to attack.
#[derive(Clone, Debug)]
pub struct AttackPlan {
    /// The device.
    pub target: SocketAddr,
    /// The attacks, run together.
    pub modes: Vec<Mode>,
    /// How long.
    pub duration: Duration,
    /// Garbage datagrams per second.
    pub garbage_rate: u32,
    /// Initials per second.
    pub initial_rate: u32,
    /// Silent connections held at once.
    pub silent: usize,
    /// Flood workers (each opens and drops connections back to back).
    pub flood: usize,
}

/// What the attacker sent.
#[derive(Debug, Default)]
pub struct AttackFigures {
    /// Garbage datagrams sent.
    pub garbage: AtomicU64,
    /// Initials sent.
    pub initials: AtomicU64,
    /// Connections completed (silent and flood).
    pub connected: AtomicU64,
    /// Connection attempts the device refused or that timed out.
    pub refused: AtomicU64,
    /// Silent connections the device closed, and the seconds they were held in all (their
    /// mean is the device's deadline for a connection without a session [QUIC-40]).
    pub silent_closed: AtomicU64,
    /// Milliseconds silent connections were held before the device closed them.
    pub silent_held_ms: AtomicU64,
}

impl AttackFigures {
    /// As JSON.
    pub fn to_json(&self) -> Value {
        let closed = self.silent_closed.load(Ordering::Relaxed);
        json!({
            "garbage_datagrams": self.garbage.load(Ordering::Relaxed),
            "initials": self.initials.load(Ordering::Relaxed),
            "connections": self.connected.load(Ordering::Relaxed),
            "refused": self.refused.load(Ordering::Relaxed),
            "silent_closed_by_device": closed,
            "silent_mean_held_s": if closed == 0 { 0.0 } else {
                self.silent_held_ms.load(Ordering::Relaxed) as f64 / closed as f64 / 1e3
            },
        })
    }
}

/// Runs `plan` to its end.
pub async fn attack(plan: AttackPlan) -> Arc<AttackFigures> {
    let figures = Arc::new(AttackFigures::default());
    let until = Instant::now() + plan.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for mode in &plan.modes {
        let f = figures.clone();
        let target = plan.target;
        match mode {
            Mode::Garbage => {
                tasks.spawn(garbage(target, until, plan.garbage_rate, f));
            }
            Mode::Initial => {
                tasks.spawn(initials(target, until, plan.initial_rate, f));
            }
            Mode::Silent => {
                for _ in 0..plan.silent {
                    tasks.spawn(silent(target, until, f.clone()));
                }
            }
            Mode::Flood => {
                for _ in 0..plan.flood {
                    tasks.spawn(flood(target, until, f.clone()));
                }
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    figures
}

async fn socket_for(target: SocketAddr) -> Option<tokio::net::UdpSocket> {
    let any: SocketAddr = if target.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    tokio::net::UdpSocket::bind(any).await.ok()
}

fn ticker(rate: u32) -> tokio::time::Interval {
    let mut t = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate.max(1))));
    t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    t
}

async fn garbage(target: SocketAddr, until: Instant, rate: u32, f: Arc<AttackFigures>) {
    let Some(socket) = socket_for(target).await else {
        return;
    };
    let mut rng = SystemRandom::new();
    let mut buf = vec![0u8; 1400];
    let mut tick = ticker(rate);
    let mut n = 0u32;
    while Instant::now() < until {
        tick.tick().await;
        let mut len = [0u8; 2];
        let _ = rng.fill(&mut len);
        let len = 1 + usize::from(u16::from_be_bytes(len)) % 1400;
        let Some(datagram) = buf.get_mut(..len) else {
            continue;
        };
        let _ = rng.fill(datagram);
        // A third look like QUIC long headers of version 1, a third like short headers.
        match (n % 3, datagram.first_mut()) {
            (0, Some(b)) => *b = 0xc0 | (*b & 0x3f),
            (1, Some(b)) => *b = 0x40 | (*b & 0x3f),
            _ => {}
        }
        if n % 3 == 0 {
            if let Some(version) = datagram.get_mut(1..5) {
                version.copy_from_slice(&[0, 0, 0, 1]);
            }
        }
        n = n.wrapping_add(1);
        if socket.send_to(datagram, target).await.is_ok() {
            f.garbage.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn initials(target: SocketAddr, until: Instant, rate: u32, f: Arc<AttackFigures>) {
    let (Some(socket), Ok(mut maker)) = (socket_for(target).await, InitialMaker::new(target))
    else {
        return;
    };
    let mut buf = Vec::with_capacity(1500);
    let mut tick = ticker(rate);
    while Instant::now() < until {
        tick.tick().await;
        if maker.next(&mut buf).is_ok() && socket.send_to(&buf, target).await.is_ok() {
            f.initials.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn client() -> Option<Client> {
    let config = QuicConfig {
        handshake_timeout: Duration::from_secs(3),
        ..QuicConfig::default()
    };
    Client::new(SocketAddr::from(([0, 0, 0, 0], 0)), config).ok()
}

async fn silent(target: SocketAddr, until: Instant, f: Arc<AttackFigures>) {
    let Some(client) = client() else { return };
    while Instant::now() < until {
        match client.connect(target).await {
            Ok(link) => {
                f.connected.fetch_add(1, Ordering::Relaxed);
                let opened = Instant::now();
                let left = until.saturating_duration_since(opened);
                if tokio::time::timeout(left, link.closed()).await.is_ok() {
                    f.silent_closed.fetch_add(1, Ordering::Relaxed);
                    let held = u64::try_from(opened.elapsed().as_millis()).unwrap_or(u64::MAX);
                    f.silent_held_ms.fetch_add(held, Ordering::Relaxed);
                }
            }
            Err(_) => {
                f.refused.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    client.close();
}

async fn flood(target: SocketAddr, until: Instant, f: Arc<AttackFigures>) {
    let Some(client) = client() else { return };
    while Instant::now() < until {
        match client.connect(target).await {
            Ok(link) => {
                f.connected.fetch_add(1, Ordering::Relaxed);
                drop(link);
            }
            Err(_) => {
                f.refused.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    client.close();
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn garbage_and_initials_reach_a_socket_at_their_rate() {
        let sink = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let target = sink.local_addr().unwrap();
        let plan = AttackPlan {
            target,
            modes: vec![Mode::Garbage, Mode::Initial],
            duration: Duration::from_millis(300),
            garbage_rate: 100,
            initial_rate: 50,
            silent: 0,
            flood: 0,
        };
        let figures = attack(plan).await;
        let garbage = figures.garbage.load(Ordering::Relaxed);
        let initials = figures.initials.load(Ordering::Relaxed);
        // Bounded by the rate (a burst may catch up late ticks, never exceed the schedule).
        assert!((1..=31).contains(&garbage), "{garbage}");
        assert!((1..=16).contains(&initials), "{initials}");
        let mut buf = [0u8; 2048];
        let (n, _) = sink.recv_from(&mut buf).await.unwrap();
        assert!((1..=1400).contains(&n));
        assert_eq!("flood".parse::<Mode>(), Ok(Mode::Flood));
        assert!("nuke".parse::<Mode>().is_err());
    }
}

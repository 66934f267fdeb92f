//! A bounded UDP relay that delays, jitters, reorders and drops datagrams: how the lab makes
//! delay where the kernel has no `netem` qdisc.
//!
//! The relay runs on a host of its own (start it on that host's [`crate::NsRuntime`]). A
//! controller sends to the relay's address instead of the device's; the relay forwards each
//! client's datagrams to the device from a socket of its own for that client, and the
//! answers back, both ways through one delay line. Each datagram leaves at
//! `now + delay ± jitter` (uniform); with `reorder_percent` it is held back a further
//! `max(delay, 10 ms)` so that later datagrams overtake it. The delay line holds at most
//! `queue` datagrams (more are dropped and counted), and at most [`MAX_CLIENTS`] clients are
//! relayed at once.

use std::collections::{BinaryHeap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Clients relayed at once; datagrams from more are dropped.
pub const MAX_CLIENTS: usize = 1024;

/// The largest datagram relayed.
const MAX_DATAGRAM: usize = 2048;

/// What the relay does to each datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayConfig {
    /// The one-way delay added to every datagram.
    pub delay: Duration,
    /// Each datagram's delay varies uniformly by up to this much either way.
    pub jitter: Duration,
    /// Percent of datagrams held back so that later ones overtake them.
    pub reorder_percent: u8,
    /// Percent of datagrams dropped.
    pub loss_percent: u8,
    /// Datagrams the delay line holds at most.
    pub queue: usize,
    /// Seed of the relay's random choices (a run can be repeated).
    pub seed: u64,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            reorder_percent: 0,
            loss_percent: 0,
            queue: 4096,
            seed: 0x6f72_6269_746c_6162,
        }
    }
}

/// Datagram counts of a relay.
#[derive(Debug, Default)]
pub struct RelayStats {
    /// Datagrams received from either side.
    pub received: AtomicU64,
    /// Datagrams sent on.
    pub forwarded: AtomicU64,
    /// Dropped by `loss_percent`.
    pub dropped_loss: AtomicU64,
    /// Dropped because the delay line was full (or too many clients).
    pub dropped_full: AtomicU64,
    /// Held back to be reordered.
    pub reordered: AtomicU64,
}

/// A running relay; dropping it stops it.
#[derive(Debug)]
pub struct Relay {
    addr: SocketAddr,
    stats: Arc<RelayStats>,
    tasks: Vec<JoinHandle<()>>,
}

/// xorshift64*: cheap, seeded randomness for impairments (not for anything secret).
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A whole percent, 0..100.
    fn percent(&mut self) -> u8 {
        (self.next() % 100) as u8
    }
}

/// A datagram waiting in the delay line, soonest first.
struct Pending {
    at: Instant,
    seq: u64,
    bytes: Vec<u8>,
    from: Arc<UdpSocket>,
    to: SocketAddr,
}

impl PartialEq for Pending {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Pending {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        // BinaryHeap is a max-heap: reverse for soonest first.
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

/// When a datagram received now leaves, or `None` if it is dropped.
fn schedule(cfg: &RelayConfig, rng: &mut Rng, stats: &RelayStats) -> Option<Duration> {
    if cfg.loss_percent > 0 && rng.percent() < cfg.loss_percent {
        stats.dropped_loss.fetch_add(1, Ordering::Relaxed);
        return None;
    }
    let j = cfg.jitter.as_micros() as u64;
    let mut d = cfg.delay;
    if j > 0 {
        let offset = rng.next() % (2 * j + 1);
        d = (d + Duration::from_micros(offset)).saturating_sub(cfg.jitter);
    }
    if cfg.reorder_percent > 0 && rng.percent() < cfg.reorder_percent {
        stats.reordered.fetch_add(1, Ordering::Relaxed);
        d += cfg.delay.max(Duration::from_millis(10));
    }
    Some(d)
}

impl Relay {
    /// Starts relaying datagrams that arrive at `listen` to `upstream` and back. Must run
    /// on the relay host's runtime.
    pub async fn start(
        listen: SocketAddr,
        upstream: SocketAddr,
        cfg: RelayConfig,
    ) -> std::io::Result<Relay> {
        let front = Arc::new(UdpSocket::bind(listen).await?);
        let addr = front.local_addr()?;
        let stats = Arc::new(RelayStats::default());
        let (line_tx, line_rx) =
            mpsc::channel::<(Vec<u8>, Arc<UdpSocket>, SocketAddr)>(cfg.queue.max(1));
        let line = tokio::spawn(delay_line(line_rx, cfg, stats.clone()));
        let front_task = tokio::spawn(front_loop(front, upstream, line_tx, stats.clone()));
        Ok(Relay {
            addr,
            stats,
            tasks: vec![line, front_task],
        })
    }

    /// Where clients send.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its counts so far.
    pub fn stats(&self) -> &RelayStats {
        &self.stats
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

type LineTx = mpsc::Sender<(Vec<u8>, Arc<UdpSocket>, SocketAddr)>;

/// Hands a datagram to the delay line, or counts it dropped when the line is full.
fn enqueue(
    line: &LineTx,
    stats: &RelayStats,
    bytes: Vec<u8>,
    from: Arc<UdpSocket>,
    to: SocketAddr,
) {
    stats.received.fetch_add(1, Ordering::Relaxed);
    if line.try_send((bytes, from, to)).is_err() {
        stats.dropped_full.fetch_add(1, Ordering::Relaxed);
    }
}

/// Datagrams from clients: each client gets its own upstream socket, whose answers go back
/// to it through the front socket.
async fn front_loop(
    front: Arc<UdpSocket>,
    upstream: SocketAddr,
    line: LineTx,
    stats: Arc<RelayStats>,
) {
    let mut clients: HashMap<SocketAddr, (Arc<UdpSocket>, JoinHandle<()>)> = HashMap::new();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let Ok((n, client)) = front.recv_from(&mut buf).await else {
            continue;
        };
        let bytes = buf.get(..n).map(<[u8]>::to_vec).unwrap_or_default();
        let back = match clients.get(&client) {
            Some((s, _)) => s.clone(),
            None if clients.len() >= MAX_CLIENTS => {
                stats.dropped_full.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            None => {
                let Ok(s) = UdpSocket::bind("0.0.0.0:0").await else {
                    continue;
                };
                let s = Arc::new(s);
                let task = tokio::spawn(back_loop(
                    s.clone(),
                    front.clone(),
                    client,
                    line.clone(),
                    stats.clone(),
                ));
                clients.insert(client, (s.clone(), task));
                s
            }
        };
        enqueue(&line, &stats, bytes, back, upstream);
    }
}

/// Answers from upstream to one client.
async fn back_loop(
    upstream_socket: Arc<UdpSocket>,
    front: Arc<UdpSocket>,
    client: SocketAddr,
    line: LineTx,
    stats: Arc<RelayStats>,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    while let Ok((n, _)) = upstream_socket.recv_from(&mut buf).await {
        let bytes = buf.get(..n).map(<[u8]>::to_vec).unwrap_or_default();
        enqueue(&line, &stats, bytes, front.clone(), client);
    }
}

/// Holds each datagram until its time, at most `cfg.queue` at once.
async fn delay_line(
    mut rx: mpsc::Receiver<(Vec<u8>, Arc<UdpSocket>, SocketAddr)>,
    cfg: RelayConfig,
    stats: Arc<RelayStats>,
) {
    let mut rng = Rng(cfg.seed | 1);
    let mut heap: BinaryHeap<Pending> = BinaryHeap::new();
    let mut seq = 0u64;
    loop {
        let next = heap.peek().map(|p| p.at);
        tokio::select! {
            got = rx.recv() => {
                let Some((bytes, from, to)) = got else { return };
                let Some(d) = schedule(&cfg, &mut rng, &stats) else { continue };
                if heap.len() >= cfg.queue {
                    stats.dropped_full.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                seq += 1;
                heap.push(Pending { at: Instant::now() + d, seq, bytes, from, to });
            }
            () = sleep_until(next) => {
                let now = Instant::now();
                while heap.peek().is_some_and(|p| p.at <= now) {
                    if let Some(p) = heap.pop() {
                        if p.from.send_to(&p.bytes, p.to).await.is_ok() {
                            stats.forwarded.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn datagrams_are_delayed_reordered_and_come_back() {
        let echo = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let echo_addr = echo.local_addr().unwrap();
        tokio::spawn(async move {
            let mut b = [0u8; 64];
            while let Ok((n, from)) = echo.recv_from(&mut b).await {
                let _ = echo.send_to(&b[..n], from).await;
            }
        });
        let cfg = RelayConfig {
            delay: Duration::from_millis(20),
            jitter: Duration::from_millis(5),
            reorder_percent: 30,
            ..RelayConfig::default()
        };
        let relay = Relay::start("127.0.0.1:0".parse().unwrap(), echo_addr, cfg)
            .await
            .unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let started = std::time::Instant::now();
        for i in 0..50u8 {
            client.send_to(&[i], relay.addr()).await.unwrap();
        }
        let mut got = Vec::new();
        let mut b = [0u8; 8];
        while got.len() < 50 {
            let (n, _) = tokio::time::timeout(Duration::from_secs(5), client.recv_from(&mut b))
                .await
                .expect("answers")
                .unwrap();
            assert_eq!(n, 1);
            got.push(b[0]);
        }
        // Two trips through a 20 ms ± 5 ms line: at least 30 ms.
        assert!(started.elapsed() >= Duration::from_millis(30));
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            (0..50).collect::<Vec<u8>>(),
            "every datagram came back"
        );
        assert_ne!(got, sorted, "some were reordered");
        assert!(relay.stats().reordered.load(Ordering::Relaxed) > 0);
        assert_eq!(relay.stats().forwarded.load(Ordering::Relaxed), 100);
    }
}

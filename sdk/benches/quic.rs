//! Orbit over QUIC on loopback, against raw quinn measured in the same run:
//!
//! 1. **Round trips**: a reference lamp [`Device`] and a paired [`Controller`]; the controller
//!    reads `1/on-off/on` with [`DeviceConnection::read`], one request at a time and with 16
//!    in flight. Baselines in the same run, with the same payload sizes on the stream:
//!    - *raw quinn*: quinn endpoints with orbit-quic's own `server_config` / `client_config`
//!      (same ALPN, TLS and transport limits); the client opens a bidirectional stream per
//!      request, writes the request bytes and finishes, the server reads to the end, writes
//!      the response bytes and finishes;
//!    - *orbit-quic exchange*: the same with orbit-quic's `Client` / `Server` / `Exchange`
//!      (framing, stall timers, and the SDK's stream pattern) and a canned answer: the
//!      transport layer without sessions, sealing or the interaction model.
//!
//!    **1a** runs the servers (raw quinn, orbit-quic and the lamp device) in a child process
//!    and the clients here: two processes, as a phone and a device are. This is the figure
//!    the target is about. **1b** runs everything in this process on one runtime, where both
//!    sides compete for the same two worker threads, and adds a diagnostic variant: the
//!    interaction client and the lamp node driven directly on orbit-quic through a real
//!    session, without the SDK's runtime. Besides latency and requests per second, the CPU
//!    time that both sides' processes spend per request under load is read from
//!    `/proc/<pid>/task/*/schedstat`: a steadier measure of cost than throughput on a noisy
//!    machine.
//!
//!    The request and response sizes are those of the SDK's read on the wire: the plaintext
//!    interaction messages of the same read computed with orbit-core in memory (a lamp node
//!    and an interaction client over a real SIGMA session), plus the 29 bytes of message
//!    protection (`orbit_core::protect::OVERHEAD`, [MSG-20]) and the 3-byte frame header
//!    ([QUIC-8]). The variants alternate within each round (sequential requests in slices of
//!    50); figures are medians over rounds.
//! 2. **Pairing and session setup** wall times per phase from [`Controller::pair`] (a fresh
//!    device and controller each time) and [`Controller::connect`] (resumed from the stored
//!    ticket, and full: a controller whose stored ticket the device already redeemed falls
//!    back to the full handshake [SESS-28]).
//! 3. **Memory per idle connection**: RSS of a server process and of a client process (each
//!    a child process running this program, so that the two sides are measured apart and
//!    start clean) before and after the client opens M connections; raw quinn, orbit-quic
//!    links, and full Orbit (one [`Controller`] holding M [`DeviceConnection`]s, each an
//!    operational session, to one [`Device`]).
//!
//! `cargo bench -p orbit-sdk --bench quic` (`ORBIT_BENCH_QUICK=1` measures memory at 1,000
//! connections only). Under `cargo test` a small smoke version runs and checks its results.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../core/tests/interaction/harness.rs"]
#[allow(dead_code)]
mod harness;

use orbit_core::interaction::{ConcreteAttribute, ReadRequest};
use orbit_core::model::std_caps::on_off;
use orbit_core::model::{Data, EndpointId};
use orbit_devices::{lamp, Kind};
use orbit_quic::{FrameKind, QuicConfig};
use orbit_sdk::controller::{Controller, DeviceConnection, Phase, Timings, CONTROLLER_RECORD};
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::{MemoryStore, RecordKey, Store};
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const REPRODUCE: &str = "cargo bench -p orbit-sdk --bench quic";
const CHILD_ENV: &str = "ORBIT_BENCH_CHILD";
const ADDR_ENV: &str = "ORBIT_BENCH_ADDR";
const QR_ENV: &str = "ORBIT_BENCH_QR";
const CAPACITY_ENV: &str = "ORBIT_BENCH_CAPACITY";
const REQ_LEN_ENV: &str = "ORBIT_BENCH_REQUEST_LEN";
const ANSWER_LEN_ENV: &str = "ORBIT_BENCH_ANSWER_LEN";
const FRAME_HEADER: usize = orbit_quic::frame::HEADER_LEN;
const SEAL_OVERHEAD: usize = orbit_core::protect::OVERHEAD;
/// Sequential requests of one variant before the next variant's turn.
const SEQ_SLICE: usize = 50;

struct Scale {
    measuring: bool,
    /// Measured rounds (a warm-up round comes first when measuring).
    rounds: usize,
    /// Sequential requests per variant and round.
    seq: usize,
    /// Concurrent workers, and requests each per variant and round.
    workers: usize,
    per_worker: usize,
    pairings: usize,
    resumed: usize,
    full: usize,
    memory: Vec<usize>,
}

fn main() {
    if let Ok(role) = std::env::var(CHILD_ENV) {
        child::main(&role);
        return;
    }
    let measuring = std::env::args().any(|a| a == "--bench");
    let quick = std::env::var("ORBIT_BENCH_QUICK").is_ok_and(|v| v != "0");
    let scale = if measuring {
        Scale {
            measuring,
            rounds: 9,
            seq: 1_000,
            workers: 16,
            per_worker: 250,
            pairings: 40,
            resumed: 200,
            full: 100,
            memory: if quick {
                vec![1_000]
            } else {
                vec![1_000, 10_000]
            },
        }
    } else {
        Scale {
            measuring,
            rounds: 1,
            seq: 5,
            workers: 4,
            per_worker: 2,
            pairings: 2,
            resumed: 3,
            full: 2,
            memory: vec![20],
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(&scale));
}

async fn run(scale: &Scale) {
    println!("\nOrbit over QUIC on loopback vs raw quinn, one run. Reproduce: {REPRODUCE}");
    println!(
        "machine: {} logical CPUs; in parts 1b and 2 client and server share one tokio runtime",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // ORBIT_BENCH_ONLY=round-trips|pairing|sessions|memory runs one part (while tuning).
    let only = std::env::var("ORBIT_BENCH_ONLY").ok();
    let wanted = |part: &str| only.as_deref().is_none_or(|o| o == part);
    if wanted("round-trips") {
        round_trips(scale).await;
    }
    if wanted("pairing") {
        pairing(scale).await;
    }
    if wanted("sessions") {
        sessions(scale).await;
    }
    if wanted("memory") {
        memory(scale).await;
    }
    if !scale.measuring {
        println!("\n(test mode: tiny counts, numbers not meaningful; run `{REPRODUCE}`)");
    }
}

// ---------------------------------------------------------------------------------------
// Helpers

fn on() -> ConcreteAttribute {
    ConcreteAttribute::new(
        EndpointId(lamp::ENDPOINT),
        on_off::ID,
        on_off::attributes::ON,
    )
}

fn read_on() -> ReadRequest {
    ReadRequest {
        attributes: vec![on().path()],
        ..Default::default()
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn start_lamp(config: DeviceConfig) -> Device {
    Device::open(
        Arc::new(MemoryStore::new()),
        |now| Ok(Kind::Lamp.build(now, "L-1")?),
        || DeviceIdentity::development(Kind::Lamp.product_id(), 1, unix_now()),
        config,
    )
    .await
    .unwrap()
}

async fn controller(store: Arc<dyn Store>) -> Controller {
    Controller::open(store, QuicConfig::default())
        .await
        .unwrap()
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    assert!(!sorted.is_empty());
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn median_f(mut v: Vec<f64>) -> f64 {
    assert!(!v.is_empty());
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn us(d: f64) -> String {
    if d >= 1_000.0 {
        format!("{:.2} ms", d / 1000.0)
    } else {
        format!("{d:.1} µs")
    }
}

fn dur(d: Duration) -> String {
    us(d.as_secs_f64() * 1e6)
}

fn ratio(a: f64, b: f64) -> f64 {
    let r = a / b;
    assert!(r.is_finite() && r > 0.0, "ratio {a} / {b} is not finite");
    r
}

// ---------------------------------------------------------------------------------------
// 1. Round trips

/// The plaintext request and answer of the SDK's read of `1/on-off/on`, produced by the same
/// orbit-core code in memory, and the median in-memory cost of one such read through the
/// whole core (encode, seal, open, answer, seal, open, decode).
fn core_read(requests_before: usize, measuring: bool) -> (usize, usize, Duration) {
    let now = Instant::now();
    let mut node = Kind::Lamp.build(now, "L-1").unwrap();
    let mut home = harness::Home::new(5);
    home.install(&mut node);
    let phone = home.controller(harness::ADMIN);
    let mut s = harness::open_session(&mut home, &phone, now);
    let mut op = |s: &mut harness::Session| {
        let (_, req) = s.client.read(now, read_on());
        let at_device = s.carry_to_device(&req);
        let answers = node.handle(now, &s.requester, &at_device);
        assert_eq!(answers.len(), 1);
        let at_phone = s.carry_to_phone(&answers[0]);
        let event = s.client.handle(now, &at_phone).unwrap();
        assert!(event.is_some());
        black_box(event);
        (req.len(), answers[0].len())
    };
    // The exchange identifier grows with each request; take the sizes at the request the SDK
    // is at in the middle of the run.
    let mut sizes = op(&mut s);
    for _ in 0..requests_before {
        sizes = op(&mut s);
    }
    let (batches, per) = if measuring { (21, 2_000) } else { (1, 1) };
    let mut times = Vec::new();
    for _ in 0..batches {
        let t = Instant::now();
        for _ in 0..per {
            op(&mut s);
        }
        times.push(t.elapsed() / per);
    }
    times.sort();
    (sizes.0, sizes.1, times[times.len() / 2])
}

#[derive(Clone)]
enum Target {
    Orbit(Arc<DeviceConnection>),
    Exchange {
        link: orbit_quic::Link,
        request: Arc<Vec<u8>>,
        answer_len: usize,
    },
    Raw {
        conn: quinn::Connection,
        request: Arc<Vec<u8>>,
        answer_len: usize,
    },
    /// The interaction client and protector driven directly on an orbit-quic exchange, the
    /// device node and its protector in the server task: Orbit's protocol work without the
    /// SDK's runtime (a diagnostic: which part of the gap is protocol, which is runtime).
    Core {
        link: orbit_quic::Link,
        client: Arc<
            Mutex<(
                orbit_core::interaction::Client,
                orbit_core::protect::Protector,
            )>,
        >,
    },
}

impl Target {
    async fn request(&self) -> Duration {
        let t = Instant::now();
        match self {
            Target::Orbit(conn) => {
                let (attrs, _) = conn.read(read_on()).await.unwrap();
                assert!(matches!(attrs[0].result, Ok(Data::Bool(_))));
            }
            Target::Exchange {
                link,
                request,
                answer_len,
            } => {
                // As the SDK does: finish right after the request, read the answer and the
                // end of the stream.
                let mut ex = link.open_exchange().await.unwrap();
                ex.send_frame(FrameKind::PROTECTED, request).await.unwrap();
                ex.finish().unwrap();
                let f = ex.recv_frame().await.unwrap().unwrap();
                assert_eq!(f.payload.len(), *answer_len);
                assert!(ex.recv_frame().await.unwrap().is_none());
            }
            Target::Core { link, client } => {
                let sealed = {
                    let mut c = client.lock().unwrap();
                    let (_, req) = c.0.read(Instant::now(), read_on());
                    let mut out = Vec::with_capacity(req.len() + 32);
                    c.1.seal(&req, &mut out).unwrap();
                    out
                };
                let mut ex = link.open_exchange().await.unwrap();
                ex.send_frame(FrameKind::PROTECTED, &sealed).await.unwrap();
                ex.finish().unwrap();
                let f = ex.recv_frame().await.unwrap().unwrap();
                let mut bytes = f.payload.to_vec();
                let mut c = client.lock().unwrap();
                let plain = c.1.open(&mut bytes).unwrap().payload.to_vec();
                let event = c.0.handle(Instant::now(), &plain).unwrap();
                assert!(event.is_some());
            }
            Target::Raw {
                conn,
                request,
                answer_len,
            } => {
                let (mut send, mut recv) = conn.open_bi().await.unwrap();
                send.write_all(request).await.unwrap();
                send.finish().unwrap();
                let answer = recv.read_to_end(*answer_len).await.unwrap();
                assert_eq!(answer.len(), *answer_len);
            }
        }
        t.elapsed()
    }
}

/// p50, p99 and requests per second of one batch.
#[derive(Default)]
struct Batch {
    p50: Vec<f64>,
    p99: Vec<f64>,
    rps: Vec<f64>,
}

impl Batch {
    fn add(&mut self, mut lat: Vec<Duration>, wall: Duration) {
        let n = lat.len();
        lat.sort();
        self.p50.push(percentile(&lat, 0.5).as_secs_f64() * 1e6);
        self.p99.push(percentile(&lat, 0.99).as_secs_f64() * 1e6);
        self.rps.push(n as f64 / wall.as_secs_f64());
    }

    fn medians(&self) -> (f64, f64, f64) {
        (
            median_f(self.p50.clone()),
            median_f(self.p99.clone()),
            median_f(self.rps.clone()),
        )
    }
}

async fn sequential(target: &Target, n: usize) -> (Vec<Duration>, Duration) {
    let start = Instant::now();
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        lat.push(target.request().await);
    }
    (lat, start.elapsed())
}

async fn concurrent(target: &Target, workers: usize, each: usize) -> (Vec<Duration>, Duration) {
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let t = target.clone();
        set.spawn(async move {
            let mut lat = Vec::with_capacity(each);
            for _ in 0..each {
                lat.push(t.request().await);
            }
            lat
        });
    }
    let mut lat = Vec::with_capacity(workers * each);
    while let Some(r) = set.join_next().await {
        lat.extend(r.unwrap());
    }
    (lat, start.elapsed())
}

/// A raw quinn server answering each stream's request (read to its end) with `answer`.
fn raw_server(sizes: &Sizes) -> SocketAddr {
    let request_len = sizes.req_wire;
    let answer = Arc::new(vec![0xa5; sizes.answer_wire]);
    let server_cfg = orbit_quic::config::server_config(&QuicConfig::default()).unwrap();
    let endpoint = quinn::Endpoint::server(server_cfg, "127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = endpoint.local_addr().unwrap();
    tokio::spawn(async move {
        while let Some(incoming) = endpoint.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let Ok(conn) = incoming.await else { return };
                while let Ok((mut send, mut recv)) = conn.accept_bi().await {
                    let answer = answer.clone();
                    tokio::spawn(async move {
                        let Ok(req) = recv.read_to_end(request_len).await else {
                            return;
                        };
                        assert_eq!(req.len(), request_len);
                        if send.write_all(&answer).await.is_ok() {
                            let _ = send.finish();
                        }
                    });
                }
            });
        }
    });
    addr
}

fn raw_client(cfg: &QuicConfig) -> quinn::Endpoint {
    let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    endpoint.set_default_client_config(orbit_quic::config::client_config(cfg).unwrap());
    endpoint
}

/// An orbit-quic server that answers each exchange's first frame with `answer(payload)`, then
/// finishes and reads the client's end, as the device runtime does.
fn frame_server(answer: impl Fn(&[u8]) -> Vec<u8> + Clone + Send + Sync + 'static) -> SocketAddr {
    // No Orbit sessions here: the connection budget's deadline for unauthenticated
    // connections ([QUIC-40]) would end a long run.
    let cfg = QuicConfig {
        unauthenticated_deadline: Duration::from_secs(24 * 3600),
        ..QuicConfig::default()
    };
    let server = orbit_quic::Server::bind("127.0.0.1:0".parse().unwrap(), cfg).unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(async move {
        while let Some(Ok(link)) = server.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                while let Ok(Some(mut ex)) = link.accept_exchange().await {
                    let answer = answer.clone();
                    tokio::spawn(async move {
                        if let Ok(Some(f)) = ex.recv_frame().await {
                            let reply = answer(&f.payload);
                            let _ = ex.send_frame(FrameKind::PROTECTED, &reply).await;
                            let _ = ex.finish();
                            while let Ok(Some(_)) = ex.recv_frame().await {}
                        }
                        let _ = ex.finish();
                    });
                }
            });
        }
    });
    addr
}

/// An orbit-quic server answering every exchange with the canned `answer`.
fn exchange_server(answer: Arc<Vec<u8>>) -> SocketAddr {
    frame_server(move |_| answer.as_ref().clone())
}

/// The client half of [`core_server`]: the interaction client and its protector.
type CoreClient = Arc<
    Mutex<(
        orbit_core::interaction::Client,
        orbit_core::protect::Protector,
    )>,
>;

/// An orbit-quic server whose exchanges a lamp node answers through the device protector of
/// a real session, with no SDK runtime around it; returns its address and the client half.
fn core_server() -> (SocketAddr, CoreClient) {
    let now = Instant::now();
    let mut node = Kind::Lamp.build(now, "L-2").unwrap();
    let mut home = harness::Home::new(6);
    home.install(&mut node);
    let phone = home.controller(harness::ADMIN);
    let s = harness::open_session(&mut home, &phone, now);
    let requester = s.requester;
    let device = Arc::new(Mutex::new((node, s.device)));
    let addr = frame_server(move |payload| {
        let mut d = device.lock().unwrap();
        let mut bytes = payload.to_vec();
        let plain = d.1.open(&mut bytes).unwrap().payload.to_vec();
        let answers = d.0.handle(Instant::now(), &requester, &plain);
        let mut out = Vec::new();
        d.1.seal(&answers[0], &mut out).unwrap();
        out
    });
    (addr, Arc::new(Mutex::new((s.client, s.phone))))
}

async fn round_trips(scale: &Scale) {
    let warmup = usize::from(scale.measuring);
    let per_round = scale.seq + scale.workers * scale.per_worker;
    let (plain_req, plain_answer, core_time) =
        core_read((scale.rounds + warmup) * per_round / 2, scale.measuring);
    // On the stream: frame header ‖ sealed message.
    let req_payload = SEAL_OVERHEAD + plain_req;
    let answer_payload = SEAL_OVERHEAD + plain_answer;
    let sizes = Sizes {
        req_wire: FRAME_HEADER + req_payload,
        answer_wire: FRAME_HEADER + answer_payload,
        req_payload,
        answer_payload,
    };
    println!(
        "\n1. Round trips: read of 1/on-off/on; on each stream a {} B request and a {} B response \
         (plaintext {} B / {} B + {SEAL_OVERHEAD} B protection + {FRAME_HEADER} B frame header)",
        sizes.req_wire, sizes.answer_wire, plain_req, plain_answer
    );
    println!(
        "   medians over {} rounds of {} sequential requests and {} x {} concurrent ones per variant",
        scale.rounds, scale.seq, scale.workers, scale.per_worker
    );

    // 1a. Servers in a child process, clients here: two processes, as a phone and a device.
    let mut servers = Child::spawn(
        "round-trip-servers",
        &[
            (REQ_LEN_ENV, sizes.req_wire.to_string()),
            (ANSWER_LEN_ENV, sizes.answer_wire.to_string()),
        ],
    );
    let ready = servers.line().await;
    let words: Vec<&str> = ready.split_whitespace().collect();
    assert_eq!(words.first(), Some(&"ready"), "{ready}");
    let addr = |i: usize| -> SocketAddr { words[i].parse().unwrap() };
    let targets = vec![
        ("raw quinn", raw_target(addr(1), &sizes).await),
        (
            "orbit-quic exchange",
            exchange_target(addr(2), &sizes).await,
        ),
        ("Orbit SDK read", orbit_target(addr(3), words[4]).await),
    ];
    let pids = [std::process::id(), servers.process.id().unwrap_or(0)];
    let med = measure(&targets, scale, &pids).await;
    println!("\n1a. device and controller in two processes (the figure the target is about)");
    print_round_trips(&targets, &med, &[(2, 0), (1, 0), (2, 1)]);
    target_line(med[2], med[0]);
    drop(targets);
    servers.quit().await;

    // 1b. Everything in this process, on one runtime: both sides compete for the same two
    // worker threads, and the core variant separates protocol work from the SDK runtime.
    let cfg = QuicConfig::default();
    let device = start_lamp(DeviceConfig::default()).await;
    let (core_addr, core_client) = core_server();
    let core_link = orbit_quic::Client::new("127.0.0.1:0".parse().unwrap(), cfg.clone())
        .unwrap()
        .connect(core_addr)
        .await
        .unwrap();
    let targets = vec![
        ("raw quinn", raw_target(raw_server(&sizes), &sizes).await),
        (
            "orbit-quic exchange",
            exchange_target(
                exchange_server(Arc::new(vec![0xa5; sizes.answer_payload])),
                &sizes,
            )
            .await,
        ),
        (
            "Orbit SDK read",
            orbit_target(
                device.local_addr().unwrap(),
                &device.setup_payload().to_qr_string(),
            )
            .await,
        ),
        (
            "core on orbit-quic, no SDK",
            Target::Core {
                link: core_link,
                client: core_client,
            },
        ),
    ];
    let med = measure(&targets, scale, &[std::process::id()]).await;
    println!(
        "\n1b. device and controller in one process, sharing one runtime's two worker threads"
    );
    print_round_trips(&targets, &med, &[(2, 0), (1, 0), (2, 1), (3, 0), (2, 3)]);
    target_line(med[2], med[0]);
    let core_us = core_time.as_secs_f64() * 1e6;
    let gap = med[2].p50 - med[0].p50;
    let share = if gap > 0.0 {
        format!("{:.0}%", 100.0 * core_us / gap)
    } else {
        "n/a".to_owned()
    };
    println!(
        "the same read through orbit-core in memory (encode, seal, open, answer, seal, open, decode): {} \
         = {share} of the Orbit-minus-raw p50 gap ({})",
        us(core_us),
        us(gap)
    );
    drop(targets);
    device.shutdown().await;
}

/// Request and answer sizes: on the wire (with the frame header) and as frame payloads.
struct Sizes {
    req_wire: usize,
    answer_wire: usize,
    req_payload: usize,
    answer_payload: usize,
}

/// One variant's medians over the rounds.
#[derive(Clone, Copy, Debug)]
struct Figures {
    /// One request in flight: p50 and p99 latency (µs) and requests per second.
    p50: f64,
    p99: f64,
    rps: f64,
    /// `workers` requests in flight: the same.
    load_p50: f64,
    load_p99: f64,
    load_rps: f64,
    /// CPU time (µs) both sides' processes spent per request while under load.
    cpu: f64,
}

/// CPU time (ns) the threads of process `pid` have run, from `/proc/<pid>/task/*/schedstat`
/// (Linux); `None` elsewhere.
fn cpu_ns(pid: u32) -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

fn cpu_of(pids: &[u32]) -> u64 {
    pids.iter().filter_map(|p| cpu_ns(*p)).sum()
}

async fn raw_target(addr: SocketAddr, sizes: &Sizes) -> Target {
    let endpoint = raw_client(&QuicConfig::default());
    let conn = endpoint
        .connect(addr, "orbit.invalid")
        .unwrap()
        .await
        .unwrap();
    Target::Raw {
        conn,
        request: Arc::new(vec![0x5a; sizes.req_wire]),
        answer_len: sizes.answer_wire,
    }
}

async fn exchange_target(addr: SocketAddr, sizes: &Sizes) -> Target {
    let client =
        orbit_quic::Client::new("127.0.0.1:0".parse().unwrap(), QuicConfig::default()).unwrap();
    Target::Exchange {
        link: client.connect(addr).await.unwrap(),
        request: Arc::new(vec![0x5a; sizes.req_payload]),
        answer_len: sizes.answer_payload,
    }
}

async fn orbit_target(addr: SocketAddr, qr: &str) -> Target {
    let phone = controller(Arc::new(MemoryStore::new())).await;
    let paired = phone.pair(qr, addr, Some("lamp")).await.unwrap();
    Target::Orbit(Arc::new(paired.connection))
}

/// Runs every target, alternating, and returns each one's medians over the rounds. The CPU
/// time of `pids` (every process serving either side) is read around each loaded batch.
async fn measure(targets: &[(&str, Target)], scale: &Scale, pids: &[u32]) -> Vec<Figures> {
    let warmup = usize::from(scale.measuring);
    let mut seq: Vec<Batch> = targets.iter().map(|_| Batch::default()).collect();
    let mut conc: Vec<Batch> = targets.iter().map(|_| Batch::default()).collect();
    let mut cpu: Vec<Vec<f64>> = targets.iter().map(|_| Vec::new()).collect();
    for round in 0..scale.rounds + warmup {
        // Sequential requests alternate between the variants in slices, so that a slower
        // moment of this shared machine falls on all of them alike.
        let slice = scale.seq.clamp(1, SEQ_SLICE);
        let mut lats: Vec<Vec<Duration>> = targets.iter().map(|_| Vec::new()).collect();
        let mut walls = vec![Duration::ZERO; targets.len()];
        for s in 0..scale.seq.div_ceil(slice) {
            for k in 0..targets.len() {
                let i = (k + round + s) % targets.len();
                let (lat, wall) = sequential(&targets[i].1, slice).await;
                lats[i].extend(lat);
                walls[i] += wall;
            }
        }
        if round >= warmup {
            for (i, lat) in lats.into_iter().enumerate() {
                seq[i].add(lat, walls[i]);
            }
        }
        for k in 0..targets.len() {
            let i = (targets.len() - 1 - k + round) % targets.len();
            let before = cpu_of(pids);
            let (lat, wall) = concurrent(&targets[i].1, scale.workers, scale.per_worker).await;
            let spent = cpu_of(pids).saturating_sub(before);
            if round >= warmup {
                cpu[i].push(spent as f64 / 1e3 / lat.len() as f64);
                conc[i].add(lat, wall);
            }
        }
    }
    (0..targets.len())
        .map(|i| {
            let (p50, p99, rps) = seq[i].medians();
            let (load_p50, load_p99, load_rps) = conc[i].medians();
            Figures {
                p50,
                p99,
                rps,
                load_p50,
                load_p99,
                load_rps,
                cpu: median_f(cpu[i].clone()),
            }
        })
        .collect()
}

/// The table of medians, then the ratios `pairs` asks for (index over index).
fn print_round_trips(targets: &[(&str, Target)], med: &[Figures], pairs: &[(usize, usize)]) {
    println!(
        "{:<30} {:>9} {:>9} {:>8} | {:>9} {:>9} {:>8} {:>9}",
        "", "p50", "p99", "req/s", "p50", "p99", "req/s", "CPU/req"
    );
    println!(
        "{:<30} {:^28} | {:^38}",
        "variant", "1 in flight", "16 in flight"
    );
    for ((name, _), f) in targets.iter().zip(med) {
        println!(
            "{name:<30} {:>9} {:>9} {:>8.0} | {:>9} {:>9} {:>8.0} {:>9}",
            us(f.p50),
            us(f.p99),
            f.rps,
            us(f.load_p50),
            us(f.load_p99),
            f.load_rps,
            us(f.cpu),
        );
    }
    for &(i, j) in pairs {
        let (m, b) = (med[i], med[j]);
        println!(
            "{:<30} {:>9.2} {:>9.2} {:>8.2} | {:>9.2} {:>9.2} {:>8.2} {:>9.2}",
            format!("{} / {}", short(targets[i].0), short(targets[j].0)),
            ratio(m.p50, b.p50),
            ratio(m.p99, b.p99),
            ratio(m.rps, b.rps),
            ratio(m.load_p50, b.load_p50),
            ratio(m.load_p99, b.load_p99),
            ratio(m.load_rps, b.load_rps),
            ratio(m.cpu, b.cpu),
        );
    }
}

/// A variant's name as the ratio rows show it.
fn short(name: &str) -> &str {
    name.split(',').next().unwrap_or(name)
}

fn target_line(orbit: Figures, raw: Figures) {
    let lat_ratio = ratio(orbit.p50, raw.p50);
    let tput_ratio = ratio(raw.load_rps, orbit.load_rps);
    let verdict = |r: f64| if r <= 1.15 { "met" } else { "NOT met" };
    println!(
        "target (Orbit adds at most 15% to raw quinn): latency p50 x{lat_ratio:.2} {}, time per request under load x{tput_ratio:.2} {}",
        verdict(lat_ratio),
        verdict(tput_ratio),
    );
}

// ---------------------------------------------------------------------------------------
// 2. Pairing and session setup

fn print_phases(title: &str, samples: &[Timings], phases: &[(&str, &[Phase])], total: bool) {
    println!("{title}");
    println!("{:<44} {:>10} {:>10}", "phase", "p50", "p99");
    let mut rows: Vec<(String, Vec<Duration>)> = phases
        .iter()
        .map(|(name, ps)| {
            let v = samples
                .iter()
                .map(|t| ps.iter().map(|p| t.of(*p).unwrap()).sum())
                .collect();
            ((*name).to_owned(), v)
        })
        .collect();
    if total {
        rows.push((
            "total (every phase)".to_owned(),
            samples.iter().map(Timings::total).collect(),
        ));
    }
    for (name, mut v) in rows {
        v.sort();
        println!(
            "{name:<44} {:>10} {:>10}",
            dur(percentile(&v, 0.5)),
            dur(percentile(&v, 0.99))
        );
    }
}

async fn pairing(scale: &Scale) {
    let mut samples = Vec::new();
    for _ in 0..scale.pairings {
        let device = start_lamp(DeviceConfig::default()).await;
        let addr = device.local_addr().unwrap();
        let phone = controller(Arc::new(MemoryStore::new())).await;
        let paired = phone
            .pair(&device.setup_payload().to_qr_string(), addr, Some("lamp"))
            .await
            .unwrap();
        assert!(paired.timings.0.iter().all(|t| t.ok));
        samples.push(paired.timings);
        drop(paired.connection);
        drop(phone);
        device.shutdown().await;
    }
    print_phases(
        &format!(
            "\n2. Pairing on loopback: {} pairings, each a fresh device and controller (start-up not timed)",
            scale.pairings
        ),
        &samples,
        &[
            ("QUIC connect", &[Phase::Connect]),
            ("PASE (SPAKE2+, PBKDF2 on the controller)", &[Phase::Pase]),
            ("attestation", &[Phase::Attestation]),
            ("install home", &[Phase::InstallHome]),
            ("session (full SIGMA, no ticket offered)", &[Phase::Session]),
            ("describe", &[Phase::Describe]),
            ("store (controller saves)", &[Phase::Store]),
        ],
        true,
    );
}

async fn sessions(scale: &Scale) {
    let device = start_lamp(DeviceConfig::default()).await;
    let addr = device.local_addr().unwrap();
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let phone = controller(store.clone()).await;
    drop(
        phone
            .pair(&device.setup_payload().to_qr_string(), addr, Some("lamp"))
            .await
            .unwrap(),
    );
    // The state with the ticket of the pairing session; the next connect redeems that
    // ticket, so a controller opened from this snapshot offers a ticket the device no longer
    // has and falls back to the full handshake [SESS-28].
    let key = RecordKey::new(CONTROLLER_RECORD).unwrap();
    let snapshot = store.load(&key).unwrap().unwrap();

    let mut resumed = Vec::new();
    let mut resumed_count = 0;
    for _ in 0..scale.resumed + 1 {
        let (conn, t) = phone.connect("lamp", None).await.unwrap();
        resumed_count += usize::from(conn.resumed());
        resumed.push(t);
        conn.close();
    }
    resumed.remove(0);
    resumed_count -= 1;
    assert_eq!(resumed_count, scale.resumed, "every connect resumed");

    let mut full = Vec::new();
    for _ in 0..scale.full {
        let store = Arc::new(MemoryStore::new());
        store.save(&key, &snapshot).unwrap();
        let other = controller(store).await;
        let (conn, t) = other.connect("lamp", None).await.unwrap();
        assert!(!conn.resumed(), "a redeemed ticket must not resume");
        full.push(t);
        conn.close();
    }
    let phases: &[(&str, &[Phase])] = &[
        ("QUIC connect", &[Phase::Connect]),
        ("SIGMA handshake", &[Phase::Session]),
        (
            "session setup (QUIC connect + SIGMA)",
            &[Phase::Connect, Phase::Session],
        ),
    ];
    print_phases(
        &format!(
            "\n   Session setup with Controller::connect, resumed from the stored ticket ({} connects, all resumed)",
            scale.resumed
        ),
        &resumed,
        phases,
        true,
    );
    print_phases(
        &format!(
            "\n   Session setup with Controller::connect, full handshake after a refused ticket ({} connects)",
            scale.full
        ),
        &full,
        phases,
        true,
    );
    println!("   (\"total\" adds the controller saving its state; pairing's session row is a full handshake without a ticket)");
    drop(phone);
    device.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// 3. Memory per idle connection, measured in child processes

/// A child process of this program, driven by lines on its stdin and stdout.
struct Child {
    process: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Child {
    fn spawn(role: &str, env: &[(&str, String)]) -> Child {
        let mut cmd = tokio::process::Command::new(std::env::current_exe().unwrap());
        cmd.env(CHILD_ENV, role)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut process = cmd.spawn().unwrap();
        let stdin = process.stdin.take().unwrap();
        let lines = BufReader::new(process.stdout.take().unwrap()).lines();
        Child {
            process,
            stdin,
            lines,
        }
    }

    async fn line(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(300), self.lines.next_line())
            .await
            .expect("child answers")
            .unwrap()
            .expect("child alive")
    }

    async fn ask(&mut self, cmd: &str) -> String {
        self.stdin
            .write_all(format!("{cmd}\n").as_bytes())
            .await
            .unwrap();
        self.stdin.flush().await.unwrap();
        self.line().await
    }

    async fn number(&mut self, cmd: &str) -> u64 {
        self.ask(cmd).await.parse().unwrap()
    }

    async fn quit(mut self) {
        let _ = self.ask("quit").await;
        let _ = self.process.wait().await;
    }
}

struct MemResult {
    server: f64,
    client: f64,
    connect: Duration,
}

async fn measure_memory(mode: &str, m: usize) -> MemResult {
    let capacity = (m + 64).to_string();
    let mut server = Child::spawn(
        &format!("server-{mode}"),
        &[(CAPACITY_ENV, capacity.clone())],
    );
    let ready = server.line().await;
    let mut words = ready.split_whitespace();
    assert_eq!(words.next(), Some("ready"));
    let addr = words.next().unwrap().to_owned();
    let qr = words.next().unwrap().to_owned();
    let mut client = Child::spawn(
        &format!("client-{mode}"),
        &[(ADDR_ENV, addr), (QR_ENV, qr), (CAPACITY_ENV, capacity)],
    );
    assert_eq!(client.line().await, "ready");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (s0, c0) = (server.number("rss").await, client.number("rss").await);
    let n0 = server.number("count").await;
    let t = Instant::now();
    assert_eq!(client.ask(&format!("connect {m}")).await, "done");
    let connect = t.elapsed();
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.number("count").await < n0 + m as u64 {
        assert!(
            Instant::now() < deadline,
            "server never saw {m} connections"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (s1, c1) = (server.number("rss").await, client.number("rss").await);
    // Every connection is still up after the measurement.
    assert_eq!(
        client.number("alive").await,
        m as u64,
        "{mode}: connections lost"
    );
    assert!(server.number("count").await >= n0 + m as u64);
    client.quit().await;
    server.quit().await;
    let per = |a: u64, b: u64| (b as f64 - a as f64) * 1024.0 / m as f64;
    MemResult {
        server: per(s0, s1),
        client: per(c0, c1),
        connect,
    }
}

async fn memory(scale: &Scale) {
    println!(
        "\n3. Memory per idle connection: RSS growth / M, server and client each in its own process \
         (keep-alive 10 s, idle timeout 30 s; RSS read after all M are up and 1 s idle)"
    );
    println!(
        "{:>7} {:<34} {:>12} {:>12} {:>14}",
        "M", "variant", "server B", "client B", "connect M"
    );
    let modes = [
        ("raw", "raw quinn connection"),
        ("link", "orbit-quic link"),
        ("orbit", "Orbit session (Device/Controller)"),
    ];
    for &m in &scale.memory {
        let mut results = Vec::new();
        for (mode, name) in modes {
            let r = measure_memory(mode, m).await;
            assert!(r.server.is_finite() && r.client.is_finite());
            println!(
                "{m:>7} {name:<34} {:>12.0} {:>12.0} {:>14}",
                r.server,
                r.client,
                format!("{:.2} s", r.connect.as_secs_f64())
            );
            results.push(r);
        }
        let (raw, link, orbit) = (&results[0], &results[1], &results[2]);
        let r = |a: f64, b: f64| {
            if b > 0.0 {
                format!("{:.2}", a / b)
            } else {
                "n/a".to_owned()
            }
        };
        println!(
            "{m:>7} {:<34} {:>12} {:>12}",
            "Orbit / raw quinn",
            r(orbit.server, raw.server),
            r(orbit.client, raw.client)
        );
        println!(
            "{m:>7} {:<34} {:>12} {:>12}",
            "orbit-quic / raw quinn",
            r(link.server, raw.server),
            r(link.client, raw.client)
        );
    }
}

/// The child processes of part 3. A server prints `ready <addr> <qr>` (the setup code, or
/// `-`), a client pairs or warms up and prints `ready`; then both answer `rss` (VmRSS in
/// kB), `count` / `alive` (connections or sessions held and up), `connect <m>` (client:
/// open `m` more, one after the other) and `quit`.
mod child {
    use super::*;

    pub(super) fn main(role: &str) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            if role == "round-trip-servers" {
                round_trip_servers().await;
                return;
            }
            let capacity: usize = std::env::var(CAPACITY_ENV).unwrap().parse().unwrap();
            let mut node = match role {
                "server-raw" => Node::raw_server(capacity),
                "server-link" => Node::link_server(capacity),
                "server-orbit" => Node::orbit_server(capacity).await,
                _ => {
                    let addr: SocketAddr = std::env::var(ADDR_ENV).unwrap().parse().unwrap();
                    let qr = std::env::var(QR_ENV).unwrap();
                    let node = Node::client(role, addr, &qr).await;
                    println!("ready");
                    node
                }
            };
            let mut lines = BufReader::new(tokio::io::stdin()).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut words = line.split_whitespace();
                let answer = match words.next() {
                    Some("rss") => rss_kb().to_string(),
                    Some("count") => node.count().to_string(),
                    Some("alive") => node.alive().await.to_string(),
                    Some("connect") => {
                        let m: usize = words.next().unwrap().parse().unwrap();
                        node.connect(m).await;
                        "done".to_owned()
                    }
                    _ => {
                        println!("bye");
                        break;
                    }
                };
                println!("{answer}");
            }
        });
    }

    /// The servers of part 1a: raw quinn, orbit-quic and a lamp device; prints `ready <raw
    /// addr> <orbit-quic addr> <device addr> <qr>` and serves until `quit` or end of input.
    async fn round_trip_servers() {
        let len = |k: &str| -> usize { std::env::var(k).unwrap().parse().unwrap() };
        let (req_wire, answer_wire) = (len(REQ_LEN_ENV), len(ANSWER_LEN_ENV));
        let sizes = Sizes {
            req_wire,
            answer_wire,
            req_payload: req_wire - FRAME_HEADER,
            answer_payload: answer_wire - FRAME_HEADER,
        };
        let raw = raw_server(&sizes);
        let ex = exchange_server(Arc::new(vec![0xa5; sizes.answer_payload]));
        let device = start_lamp(DeviceConfig::default()).await;
        println!(
            "ready {raw} {ex} {} {}",
            device.local_addr().unwrap(),
            device.setup_payload().to_qr_string()
        );
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if line == "quit" {
                break;
            }
        }
        println!("bye");
        device.shutdown().await;
    }

    fn rss_kb() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .expect("VmRSS in /proc/self/status (Linux)")
    }

    fn capped(capacity: usize) -> QuicConfig {
        // The link server's connections never authenticate: their budget and deadline
        // ([QUIC-40], [QUIC-41]) are raised to the capacity measured.
        QuicConfig {
            max_connections: capacity,
            max_unauthenticated: capacity,
            unauthenticated_deadline: Duration::from_secs(24 * 3600),
            max_handshakes: 64,
            ..QuicConfig::default()
        }
    }

    enum Node {
        RawServer(Arc<Mutex<Vec<quinn::Connection>>>),
        LinkServer(Arc<Mutex<Vec<orbit_quic::Link>>>),
        OrbitServer(Device),
        RawClient(quinn::Endpoint, SocketAddr, Vec<quinn::Connection>),
        LinkClient(orbit_quic::Client, SocketAddr, Vec<orbit_quic::Link>),
        OrbitClient(Box<Controller>, Vec<DeviceConnection>),
    }

    impl Node {
        fn raw_server(capacity: usize) -> Node {
            let cfg = orbit_quic::config::server_config(&capped(capacity)).unwrap();
            let endpoint = quinn::Endpoint::server(cfg, "127.0.0.1:0".parse().unwrap()).unwrap();
            println!("ready {} -", endpoint.local_addr().unwrap());
            let held = Arc::new(Mutex::new(Vec::new()));
            let h = held.clone();
            tokio::spawn(async move {
                while let Some(incoming) = endpoint.accept().await {
                    let h = h.clone();
                    tokio::spawn(async move {
                        if let Ok(conn) = incoming.await {
                            h.lock().unwrap().push(conn);
                        }
                    });
                }
            });
            Node::RawServer(held)
        }

        fn link_server(capacity: usize) -> Node {
            let server =
                orbit_quic::Server::bind("127.0.0.1:0".parse().unwrap(), capped(capacity)).unwrap();
            println!("ready {} -", server.local_addr().unwrap());
            let held = Arc::new(Mutex::new(Vec::new()));
            let h = held.clone();
            tokio::spawn(async move {
                while let Some(link) = server.accept().await {
                    let Ok(link) = link else { continue };
                    h.lock().unwrap().push(link.clone());
                    // As the device runtime does: a task per link waiting for exchanges.
                    tokio::spawn(
                        async move { while let Ok(Some(_)) = link.accept_exchange().await {} },
                    );
                }
            });
            Node::LinkServer(held)
        }

        async fn orbit_server(capacity: usize) -> Node {
            let device = start_lamp(DeviceConfig {
                quic: capped(capacity),
                max_sessions: capacity,
                ..DeviceConfig::default()
            })
            .await;
            println!(
                "ready {} {}",
                device.local_addr().unwrap(),
                device.setup_payload().to_qr_string()
            );
            Node::OrbitServer(device)
        }

        async fn client(role: &str, addr: SocketAddr, qr: &str) -> Node {
            let cfg = QuicConfig::default();
            match role {
                "client-raw" => {
                    let endpoint = raw_client(&cfg);
                    // Warm-up: one connection opened and closed.
                    let c = endpoint
                        .connect(addr, "orbit.invalid")
                        .unwrap()
                        .await
                        .unwrap();
                    c.close(0u32.into(), b"");
                    Node::RawClient(endpoint, addr, Vec::new())
                }
                "client-link" => {
                    let client =
                        orbit_quic::Client::new("127.0.0.1:0".parse().unwrap(), cfg).unwrap();
                    let l = client.connect(addr).await.unwrap();
                    l.close(orbit_quic::ErrorCode::NO_ERROR, "");
                    Node::LinkClient(client, addr, Vec::new())
                }
                "client-orbit" => {
                    let phone = controller(Arc::new(MemoryStore::new())).await;
                    let paired = phone.pair(qr, addr, Some("lamp")).await.unwrap();
                    // Warm-up: the pairing's connection and one resumed connect, both closed.
                    paired.connection.close();
                    let (c, _) = phone.connect("lamp", None).await.unwrap();
                    c.close();
                    Node::OrbitClient(Box::new(phone), Vec::new())
                }
                other => panic!("unknown role {other}"),
            }
        }

        async fn connect(&mut self, m: usize) {
            for _ in 0..m {
                match self {
                    Node::RawClient(endpoint, addr, held) => held.push(
                        endpoint
                            .connect(*addr, "orbit.invalid")
                            .unwrap()
                            .await
                            .unwrap(),
                    ),
                    Node::LinkClient(client, addr, held) => {
                        held.push(client.connect(*addr).await.unwrap());
                    }
                    Node::OrbitClient(phone, held) => {
                        held.push(phone.connect("lamp", None).await.unwrap().0);
                    }
                    _ => panic!("a server does not connect"),
                }
            }
        }

        /// Connections still up; for Orbit, sessions that answer a read (after the memory
        /// was measured).
        async fn alive(&self) -> usize {
            match self {
                Node::OrbitClient(_, held) => {
                    let mut n = 0;
                    for c in held {
                        if let Ok((attrs, _)) = c.read(read_on()).await {
                            n += usize::from(attrs[0].result.is_ok());
                        }
                    }
                    n
                }
                _ => self.count(),
            }
        }

        fn count(&self) -> usize {
            match self {
                Node::RawServer(h) => h
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|c| c.close_reason().is_none())
                    .count(),
                Node::LinkServer(h) => h
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|l| l.close_reason().is_none())
                    .count(),
                Node::OrbitServer(d) => d.session_count(),
                Node::RawClient(_, _, h) => h.iter().filter(|c| c.close_reason().is_none()).count(),
                Node::LinkClient(_, _, h) => {
                    h.iter().filter(|l| l.close_reason().is_none()).count()
                }
                Node::OrbitClient(_, h) => h.len(),
            }
        }
    }
}

//! Group commit of the device state `[DM-66]`: N concurrent writes of a persistent attribute
//! (the lamp's `1/level/current-level`, a new value each time), each acknowledged only once stored `[DM-65]`, against the same
//! N writes one after another, where every write waits for a save of its own (the cost every
//! write paid before group commit: one fsync each). Measured in the same run, on a device whose
//! store is a [`FileStore`] (fsync on every save) in the system's temporary directory, and again
//! on a [`MemoryStore`] (no fsync), which shows how much of the gain is only the pipelining of
//! concurrent requests rather than shared saves. Each round also counts the saves the store
//! received.
//!
//! Prints, per store: the median time of a round of N writes sequential and concurrent, their
//! ratio, and the saves per round.
//!
//! `cargo bench -p orbit-sdk --bench group_commit`. Under `cargo test --benches` a short
//! smoke run checks that every write is acknowledged and stored, without timing anything.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::interaction::{ConcreteAttribute, WriteRequest};
use orbit_core::model::std_caps::level;
use orbit_core::model::{Data, EndpointId};
use orbit_core::status::Status;
use orbit_devices::{lamp, Kind};
use orbit_quic::QuicConfig;
use orbit_sdk::controller::{Controller, DeviceConnection};
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::{FileStore, MemoryStore, RecordKey, Store, StoreError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Writes per round.
const WRITES: usize = 16;

/// A store that counts the saves it receives.
struct Counting<S> {
    inner: S,
    saves: AtomicU64,
}

impl<S: Store> Store for Counting<S> {
    fn load(&self, key: &RecordKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.load(key)
    }
    fn save(&self, key: &RecordKey, bytes: &[u8]) -> Result<(), StoreError> {
        self.saves.fetch_add(1, Ordering::Relaxed);
        self.inner.save(key, bytes)
    }
    fn remove(&self, key: &RecordKey) -> Result<bool, StoreError> {
        self.inner.remove(key)
    }
    fn keys(&self) -> Result<Vec<RecordKey>, StoreError> {
        self.inner.keys()
    }
}

fn current_level() -> ConcreteAttribute {
    ConcreteAttribute::new(
        EndpointId(lamp::ENDPOINT),
        level::ID,
        level::attributes::CURRENT_LEVEL,
    )
}

async fn write(conn: &DeviceConnection, value: u64) {
    let statuses = conn
        .write(WriteRequest::new(vec![(
            current_level(),
            Data::Uint(value),
        )]))
        .await
        .unwrap();
    assert_eq!(statuses[0].status, Status::SUCCESS);
}

/// The next level to write: 1..=200 round and round, so consecutive writes always differ.
fn next_level(counter: &mut u64) -> u64 {
    *counter += 1;
    *counter % 200 + 1
}

/// One round: WRITES writes, each on its own connection so that each is a separate request of
/// a separate session, one after another or all at once. Every write brings a value no other
/// write of the round has, so each changes the value and needs a save; returns the time and
/// the values written.
async fn round(
    conns: &[Arc<DeviceConnection>],
    concurrent: bool,
    counter: &mut u64,
) -> (Duration, Vec<u64>) {
    let values: Vec<u64> = conns.iter().map(|_| next_level(counter)).collect();
    let start = Instant::now();
    if concurrent {
        let tasks: Vec<_> = conns
            .iter()
            .zip(&values)
            .map(|(c, v)| {
                let (c, v) = (c.clone(), *v);
                tokio::spawn(async move { write(&c, v).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    } else {
        for (c, v) in conns.iter().zip(&values) {
            write(c, *v).await;
        }
    }
    (start.elapsed(), values)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

struct Figures {
    sequential: Duration,
    concurrent: Duration,
    saves_sequential: f64,
    saves_concurrent: f64,
}

async fn measure(store: Arc<Counting<impl Store>>, rounds: usize) -> Figures {
    let device = Device::open(
        store.clone(),
        |now| Ok(Kind::Lamp.build(now, "L-1")?),
        || DeviceIdentity::development(Kind::Lamp.product_id(), 1, orbit_sdk::unix_now()),
        DeviceConfig::default(),
    )
    .await
    .unwrap();
    let addr = device.local_addr().unwrap();
    let phone = Controller::open(Arc::new(MemoryStore::new()), QuicConfig::default())
        .await
        .unwrap();
    phone
        .pair(&device.setup_payload().to_qr_string(), addr, Some("lamp"))
        .await
        .unwrap();
    let mut conns = Vec::new();
    for _ in 0..WRITES {
        conns.push(Arc::new(phone.connect("lamp", None).await.unwrap().0));
    }
    let mut counter = 0;
    // Warm-up.
    round(&conns, true, &mut counter).await;
    round(&conns, false, &mut counter).await;
    let (mut seq, mut conc) = (Vec::new(), Vec::new());
    let (mut seq_saves, mut conc_saves) = (0u64, 0u64);
    // The two variants alternate within the run, so a change in machine load hits both.
    for _ in 0..rounds {
        let before = store.saves.load(Ordering::Relaxed);
        let (took, values) = round(&conns, false, &mut counter).await;
        seq.push(took);
        assert_eq!(
            device.attribute(current_level()),
            values.last().map(|v| Data::Uint(*v))
        );
        let mid = store.saves.load(Ordering::Relaxed);
        let (took, values) = round(&conns, true, &mut counter).await;
        conc.push(took);
        // Every acknowledged write was applied: the value is one of the round's.
        let now = device.attribute(current_level()).unwrap();
        assert!(values.iter().any(|v| Data::Uint(*v) == now));
        let after = store.saves.load(Ordering::Relaxed);
        seq_saves += mid - before;
        conc_saves += after - mid;
    }
    for c in &conns {
        c.close();
    }
    device.shutdown().await;
    Figures {
        sequential: median(seq),
        concurrent: median(conc),
        saves_sequential: seq_saves as f64 / rounds as f64,
        saves_concurrent: conc_saves as f64 / rounds as f64,
    }
}

fn report(name: &str, f: &Figures) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<28} {WRITES} writes: sequential {:8.2} ms ({:5.1} saves) | concurrent {:8.2} ms ({:5.1} saves) | ratio {:5.2}x",
        ms(f.sequential),
        f.saves_sequential,
        ms(f.concurrent),
        f.saves_concurrent,
        f.sequential.as_secs_f64() / f.concurrent.as_secs_f64().max(1e-9),
    );
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let rounds = if measuring { 30 } else { 2 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("orbit-group-commit-{}", std::process::id()));
        let file = Arc::new(Counting {
            inner: FileStore::open(&dir).unwrap(),
            saves: AtomicU64::new(0),
        });
        let on_disk = measure(file, rounds).await;
        let _ = std::fs::remove_dir_all(&dir);
        let memory = Arc::new(Counting {
            inner: MemoryStore::new(),
            saves: AtomicU64::new(0),
        });
        let in_memory = measure(memory, rounds).await;
        println!("group commit [DM-66], medians over {rounds} rounds of each variant:");
        report("file store (fsync per save)", &on_disk);
        report("memory store (no fsync)", &in_memory);
        // The concurrent rounds share saves; the sequential ones cannot.
        assert!(on_disk.saves_sequential >= WRITES as f64);
        assert!(on_disk.saves_concurrent <= on_disk.saves_sequential);
    });
}

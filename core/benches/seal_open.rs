//! Message protection cost: one seal plus one open per iteration, for 64-byte and 1 KiB
//! payloads. After criterion's own report, prints the median time per message of each.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, criterion_main, Criterion};
use orbit_core::protect::{ProtectConfig, Protector, SessionId, SessionKeys, TrafficSecret};
use std::hint::black_box;
use std::path::PathBuf;

const SIZES: [usize; 2] = [64, 1024];
const GROUP: &str = "seal_open";

fn output_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("criterion")
}

fn config() -> Criterion {
    Criterion::default().output_directory(&output_dir())
}

fn pair() -> (Protector, Protector) {
    let keys = |send: u8, recv: u8, local: u32, peer: u32| SessionKeys {
        send_secret: TrafficSecret([send; 32]),
        recv_secret: TrafficSecret([recv; 32]),
        local_session_id: SessionId(local),
        peer_session_id: SessionId(peer),
    };
    (
        Protector::new(keys(1, 2, 10, 20), ProtectConfig::default()).unwrap(),
        Protector::new(keys(2, 1, 20, 10), ProtectConfig::default()).unwrap(),
    )
}

fn seal_open(c: &mut Criterion) {
    let mut group = c.benchmark_group(GROUP);
    for size in SIZES {
        let (mut tx, mut rx) = pair();
        let payload = vec![0x5a; size];
        // One buffer for the whole run: seal appends to it, open decrypts it in place.
        let mut buf = Vec::with_capacity(size + orbit_core::protect::OVERHEAD);
        group.bench_function(size.to_string(), |b| {
            b.iter(|| {
                buf.clear();
                tx.seal(black_box(&payload), &mut buf).unwrap();
                let opened = rx.open(&mut buf).unwrap();
                black_box(opened.payload.len())
            })
        });
    }
    group.finish();
}

/// Reads the median criterion estimated for each size and prints it per message.
fn print_medians() {
    println!("\nmedian seal+open time per message:");
    for size in SIZES {
        let path = output_dir()
            .join(GROUP)
            .join(size.to_string())
            .join("new/estimates.json");
        let median = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|v| v["median"]["point_estimate"].as_f64());
        match median {
            Some(ns) => println!(
                "  {size:>5} B payload: {ns:>9.1} ns  ({:.1} MB/s of payload)",
                size as f64 / ns * 1e3
            ),
            None => println!("  {size:>5} B payload: no estimate at {}", path.display()),
        }
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = seal_open
}
criterion_main!(benches, print_medians);

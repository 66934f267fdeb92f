//! The Rust side of the FFI-call benchmark (`bindings/kotlin/bench.sh`): pairs with the
//! device at ADDRESS through the SDK directly and prints the median time of reading one
//! attribute, as `rust median_us=N` (ROUNDS reads after a warm-up).
//!
//! `cargo run -p orbit-bindings --example read_bench -- QR ADDRESS [ROUNDS]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use orbit_core::interaction::{ConcreteAttribute, ReadRequest};
use orbit_core::model::{std_caps::on_off, EndpointId};
use orbit_quic::QuicConfig;
use orbit_sdk::controller::Controller;
use orbit_store::MemoryStore;
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (qr, address) = (&args[1], args[2].parse().expect("ADDRESS"));
    let rounds: usize = args.get(3).map_or(300, |r| r.parse().expect("ROUNDS"));
    let controller = Controller::open(Arc::new(MemoryStore::new()), QuicConfig::default())
        .await
        .expect("open");
    let conn = controller
        .pair(qr, address, Some("bench"))
        .await
        .expect("pair")
        .connection;
    let on = ConcreteAttribute::new(EndpointId(1), on_off::ID, on_off::attributes::ON);
    let mut times = Vec::with_capacity(rounds);
    for i in 0..rounds + rounds / 5 {
        let start = Instant::now();
        let (attrs, _) = conn
            .read(ReadRequest {
                attributes: vec![on.path()],
                ..Default::default()
            })
            .await
            .expect("read");
        assert!(attrs[0].result.is_ok());
        if i >= rounds / 5 {
            times.push(start.elapsed().as_secs_f64() * 1e6);
        }
    }
    times.sort_by(f64::total_cmp);
    println!("rust median_us={:.1}", times[times.len() / 2]);
    controller.close().await;
}

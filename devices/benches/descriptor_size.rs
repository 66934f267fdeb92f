//! Descriptor size of each reference device: the descriptor's own encoding `[DM-40]`, and the
//! whole describe-response a controller receives (descriptor, Ed25519 signature and envelope,
//! before message protection) `[IM-70]`, against the 4096-byte ceiling of `[DM-44]`.
//!
//! `cargo bench -p orbit-devices --bench descriptor_size`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orbit_core::codec::CborMessage;
use orbit_core::crypto::sign::SigningKey;
use orbit_core::device::Requester;
use orbit_core::interaction::{Envelope, Message};
use orbit_devices::Kind;
use std::time::Instant;

fn main() {
    let now = Instant::now();
    let home = 0x0123_4567_89ab_cdef;
    let request = Envelope {
        exchange: 1,
        message: Message::DescribeRequest,
    }
    .to_bytes();
    println!("descriptor sizes of the reference devices (bytes):");
    println!(
        "{:<12} {:>10} {:>18} {:>14}",
        "device", "descriptor", "describe-response", "of 4096 limit"
    );
    for kind in Kind::ALL {
        let mut node = kind.build(now, "SN-0001").expect("reference device builds");
        node.add_home(home, SigningKey::from_seed(&[9; 32]), 1);
        let descriptor = node.descriptor().to_bytes().len();
        let from = Requester {
            session: 1,
            home,
            node: 1,
        };
        let response: usize = node.handle(now, &from, &request).iter().map(Vec::len).sum();
        println!(
            "{:<12} {:>10} {:>18} {:>13.1}%",
            kind.name(),
            descriptor,
            response,
            descriptor as f64 * 100.0 / 4096.0
        );
    }
}

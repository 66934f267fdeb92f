//! Interaction round trips through the whole core, in memory: a controller's request is
//! encoded, sealed, opened, answered by a [`DeviceNode`], and the answer sealed, opened and
//! decoded by the [`Client`]. Prints operations per second per core for Read, Write and
//! Invoke, and, measured in the same run, the cost of the sealing alone (seal+open of the same
//! request and response bytes), as a ratio round trip / sealing.
//!
//! `cargo bench -p orbit-core --bench interaction`; under `cargo test` every item runs once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../tests/interaction/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::{open_session, Home, Session, ADMIN};
use orbit_core::device::{Behavior, Context, DeviceBuilder, DeviceInfo, DeviceNode, Endpoint};
use orbit_core::interaction::{CommandPath, ConcreteAttribute, ReadRequest, WriteRequest};
use orbit_core::model::std_caps::on_off;
use orbit_core::model::{Data, EndpointId};
use orbit_core::status::Status;
use std::hint::black_box;
use std::time::{Duration, Instant};

struct Switch;

impl Behavior for Switch {
    fn invoke(&mut self, ctx: &mut Context<'_>, _: CommandPath, _: &Data) -> Result<Data, Status> {
        let on = ctx
            .get_bool(on_off::ID, on_off::attributes::ON)
            .unwrap_or(false);
        ctx.set(on_off::ID, on_off::attributes::ON, !on)?;
        Ok(Data::Struct(vec![]))
    }
}

fn setup() -> (DeviceNode, Session) {
    let now = Instant::now();
    let mut home = Home::new(3);
    let info = DeviceInfo {
        vendor_id: 0xFFF1,
        vendor_name: "bench".into(),
        product_id: 1,
        product_name: "switch".into(),
        serial_number: "1".into(),
        hardware_version: "1".into(),
        firmware_version: "1".into(),
    };
    let mut device = DeviceBuilder::new(info)
        .endpoint(Endpoint::new(1, "switch", Switch).with(on_off::ID))
        .build(now)
        .unwrap();
    home.install(&mut device);
    let m = home.controller(ADMIN);
    let session = open_session(&mut home, &m, now);
    (device, session)
}

fn on() -> ConcreteAttribute {
    ConcreteAttribute::new(EndpointId(1), on_off::ID, on_off::attributes::ON)
}

/// One operation: build the request, carry it, answer it, carry the answer back.
fn op(
    kind: &str,
    d: &mut DeviceNode,
    s: &mut Session,
    now: Instant,
    flip: &mut bool,
) -> (usize, usize) {
    let (_, req) = match kind {
        "read" => s.client.read(
            now,
            ReadRequest {
                attributes: vec![on().path()],
                ..Default::default()
            },
        ),
        "write" => {
            *flip = !*flip;
            s.client
                .write(now, WriteRequest::new(vec![(on(), Data::Bool(*flip))]))
        }
        _ => s.client.invoke(
            now,
            CommandPath::new(EndpointId(1), on_off::ID, on_off::commands::TOGGLE),
            Data::Struct(vec![]),
            false,
        ),
    };
    let req_len = req.len();
    let at_device = s.carry_to_device(&req);
    let answers = d.handle(now, &s.requester, &at_device);
    let answer_len = answers[0].len();
    let at_phone = s.carry_to_phone(&answers[0]);
    let event = s.client.handle(now, &at_phone).unwrap();
    assert!(event.is_some());
    black_box(event);
    (req_len, answer_len)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let (iters, samples) = if measuring { (2_000, 21) } else { (1, 1) };
    let (mut device, mut session) = setup();
    let now = Instant::now();
    let mut flip = false;
    println!("\ninteraction round trips through the full core (sealed, no network):");
    println!(
        "{:<8} {:>12} {:>14} {:>14} {:>8}",
        "op", "median", "ops/s/core", "seal-only", "ratio"
    );
    for kind in ["read", "write", "invoke"] {
        // Sizes of this operation's request and answer, for the sealing baseline.
        let (req, answer_len) = op(kind, &mut device, &mut session, now, &mut flip);
        let mut full = Vec::new();
        let mut seal = Vec::new();
        for _ in 0..samples {
            let t = Instant::now();
            for _ in 0..iters {
                op(kind, &mut device, &mut session, now, &mut flip);
            }
            full.push(t.elapsed() / iters);
            let (a, b) = (vec![0x5a; req], vec![0x5a; answer_len]);
            let t = Instant::now();
            for _ in 0..iters {
                black_box(session.carry_to_device(&a));
                black_box(session.carry_to_phone(&b));
            }
            seal.push(t.elapsed() / iters);
        }
        let (f, s) = (median(full), median(seal));
        println!(
            "{kind:<8} {:>12?} {:>14.0} {:>14?} {:>8.2}",
            f,
            1.0 / f.as_secs_f64(),
            s,
            f.as_secs_f64() / s.as_secs_f64()
        );
    }
    if !measuring {
        println!("(test mode: every item timed once, numbers not meaningful)");
    }
}

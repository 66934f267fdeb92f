//! The `network` capability on endpoint 0 `[BLE-25]`: a device built with the core's builder
//! declares it, sets where it accepts Orbit over QUIC, and a controller reads the value and
//! is told of changes by its subscription, through a real session.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "interaction/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::{open_session, Home, Session, ADMIN};
use orbit_core::device::{BuildError, DeviceBuilder, DeviceInfo, DeviceNode};
use orbit_core::interaction::{
    AttributePath, ClientEvent, ConcreteAttribute, ReadRequest, SubscribeRequest, WriteRequest,
};
use orbit_core::model::std_caps::{basic_information, network};
use orbit_core::model::{CapabilityId, Data, EndpointId};
use orbit_core::status::Status;
use std::time::{Duration, Instant};

fn info() -> DeviceInfo {
    DeviceInfo {
        vendor_id: 0xFFF1,
        vendor_name: "Orbit test".into(),
        product_id: 5,
        product_name: "Dual-radio sensor".into(),
        serial_number: "N-1".into(),
        hardware_version: "1".into(),
        firmware_version: "1".into(),
    }
}

fn addresses() -> ConcreteAttribute {
    ConcreteAttribute::new(
        EndpointId::ROOT,
        network::ID,
        network::attributes::ADDRESSES,
    )
}

/// One entry of `addresses`: `{0 ip, 1 port}`.
fn entry(ip: &[u8], port: u64) -> Data {
    Data::Struct(vec![(0, Data::Bytes(ip.to_vec())), (1, Data::Uint(port))])
}

fn set_addresses(device: &mut DeviceNode, now: Instant, value: Data) -> Result<(), Status> {
    device.update(now, EndpointId::ROOT, |ctx| {
        ctx.set(network::ID, network::attributes::ADDRESSES, value)
    })
}

struct Fx {
    device: DeviceNode,
    admin: Session,
    t0: Instant,
}

fn fx() -> Fx {
    let t0 = Instant::now();
    let mut device = DeviceBuilder::new(info())
        .root_capability(network::ID)
        .build(t0)
        .unwrap();
    let mut home = Home::new(21);
    home.install(&mut device);
    let m = home.controller(ADMIN);
    let admin = open_session(&mut home, &m, t0);
    Fx { device, admin, t0 }
}

impl Fx {
    fn read_addresses(&mut self) -> Data {
        let (_, req) = self.admin.client.read(
            self.t0,
            ReadRequest {
                attributes: vec![addresses().path()],
                ..Default::default()
            },
        );
        match self.admin.round_trip(&mut self.device, self.t0, req).pop() {
            Some(ClientEvent::ReadDone { attributes, .. }) => {
                assert_eq!(attributes.len(), 1);
                assert_eq!(attributes[0].path, addresses());
                attributes[0].result.clone().unwrap()
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_built_device_declares_network_on_endpoint_0_next_to_the_root_capabilities() {
    // [BLE-25] [DM-3]
    let f = fx();
    let root = &f.device.descriptor().endpoints[0];
    assert_eq!(root.id, EndpointId::ROOT);
    let ids: Vec<CapabilityId> = root.capabilities.iter().map(|c| c.id).collect();
    assert!(ids.contains(&network::ID), "{ids:?}");
    assert!(ids.contains(&basic_information::ID), "{ids:?}");
    // No address yet: the registry's zero value of a list is the empty list.
    assert_eq!(f.device.attribute(addresses()), Some(&Data::List(vec![])));

    // Without the call the root has no network capability.
    let plain = DeviceBuilder::new(info()).build(f.t0).unwrap();
    assert!(plain.attribute(addresses()).is_none());
}

#[test]
fn a_root_capability_given_twice_or_already_on_the_root_is_a_build_error() {
    let t0 = Instant::now();
    let twice = DeviceBuilder::new(info())
        .root_capability(network::ID)
        .root_capability(network::ID)
        .build(t0);
    assert!(matches!(
        twice,
        Err(BuildError::DuplicateCapability(EndpointId::ROOT, id)) if id == network::ID
    ));
    let builtin = DeviceBuilder::new(info())
        .root_capability(basic_information::ID)
        .build(t0);
    assert!(matches!(
        builtin,
        Err(BuildError::DuplicateCapability(EndpointId::ROOT, id)) if id == basic_information::ID
    ));
    let unknown = DeviceBuilder::new(info())
        .root_capability(CapabilityId(0x7777))
        .build(t0);
    assert!(matches!(unknown, Err(BuildError::UnknownCapability(_))));
}

#[test]
fn the_device_sets_its_addresses_and_a_controller_reads_them_back() {
    // [BLE-25] [BLE-26] the controller learns where to continue the session over QUIC.
    let mut f = fx();
    let value = Data::List(vec![
        entry(&[192, 168, 1, 20], 5541),
        entry(
            &[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20],
            5541,
        ),
    ]);
    set_addresses(&mut f.device, f.t0, value.clone()).unwrap();
    assert_eq!(f.read_addresses(), value);
}

#[test]
fn addresses_outside_the_type_are_refused_and_leave_the_value_alone() {
    // [BLE-25] ip is 4..=16 bytes, port 1..=65535, at most 8 entries.
    let mut f = fx();
    let good = Data::List(vec![entry(&[10, 0, 0, 7], 5541)]);
    set_addresses(&mut f.device, f.t0, good.clone()).unwrap();
    for bad in [
        Data::List(vec![entry(&[10, 0, 0], 5541)]),
        Data::List(vec![entry(&[0; 17], 5541)]),
        Data::List(vec![entry(&[10, 0, 0, 7], 0)]),
        Data::List(vec![entry(&[10, 0, 0, 7], 65536)]),
        Data::List((0..9).map(|i| entry(&[10, 0, 0, i], 5541)).collect()),
        Data::Uint(5),
    ] {
        assert!(
            set_addresses(&mut f.device, f.t0, bad.clone()).is_err(),
            "accepted {bad:?}"
        );
    }
    let eight = Data::List((0..8).map(|i| entry(&[10, 0, 0, i], 5541)).collect());
    set_addresses(&mut f.device, f.t0, eight.clone()).unwrap();
    assert_eq!(f.read_addresses(), eight);
    set_addresses(&mut f.device, f.t0, good.clone()).unwrap();
    assert_eq!(f.read_addresses(), good);
}

#[test]
fn addresses_are_read_only_for_controllers() {
    // [BLE-25] access R and P: a write is refused and changes nothing.
    let mut f = fx();
    let before = f.read_addresses();
    let (_, req) = f.admin.client.write(
        f.t0,
        WriteRequest::new(vec![(
            addresses(),
            Data::List(vec![entry(&[1, 2, 3, 4], 1)]),
        )]),
    );
    match f.admin.round_trip(&mut f.device, f.t0, req).pop() {
        Some(ClientEvent::Written { statuses, .. }) => {
            assert_eq!(statuses.len(), 1);
            assert_eq!(statuses[0].status, Status::UNSUPPORTED_ACCESS);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(f.read_addresses(), before);
}

#[test]
fn a_subscription_reports_a_change_of_addresses() {
    // [BLE-25] the device changes the value when its addresses change, which reports it.
    let mut f = fx();
    let (_, req) = f.admin.client.subscribe(
        f.t0,
        SubscribeRequest {
            attributes: vec![AttributePath::capability(network::ID)],
            min_interval_s: 0,
            max_interval_s: 60,
            ..Default::default()
        },
    );
    match f.admin.round_trip(&mut f.device, f.t0, req).pop() {
        Some(ClientEvent::Subscribed { .. }) => {}
        other => panic!("{other:?}"),
    }
    let t = f.t0 + Duration::from_secs(1);
    // Nothing changed yet: no report before the keep-alive is due.
    assert!(f.device.handle_timeout(t).is_empty());

    let moved = Data::List(vec![entry(&[192, 168, 7, 9], 6000)]);
    set_addresses(&mut f.device, t, moved.clone()).unwrap();
    let t = t + Duration::from_secs(1);
    let mut reported = Vec::new();
    for out in f.device.handle_timeout(t) {
        match f.admin.deliver(t, &out.bytes) {
            ClientEvent::Report { attributes, .. } => {
                reported.extend(attributes.into_iter().map(|a| (a.path, a.result.unwrap())))
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(reported, vec![(addresses(), moved)]);
}

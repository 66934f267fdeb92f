//! The interaction model end to end through real sessions (`spec/v1/13-interaction.md`,
//! `spec/v1/15-access-control.md`): describe, read, write, invoke, timed interactions, access
//! control, subscriptions under a virtual clock, limits, and bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "interaction/harness.rs"]
mod harness;

use harness::{open_session, Home, Session, ADMIN};
use orbit_core::cert::NodeId;
use orbit_core::codec::CborMessage;
use orbit_core::device::{Behavior, Context, DeviceBuilder, DeviceInfo, DeviceNode, Endpoint};
use orbit_core::interaction::{
    AttributePath, ClientEvent, CommandPath, ConcreteAttribute, Envelope, EventPath, Message,
    ReadRequest, SubscribeRequest, WriteRequest, SUBSCRIPTION_GRACE,
};
use orbit_core::model::std_caps::{
    access_control, administration, basic_information, door_lock, level, on_off,
};
use orbit_core::model::{Data, Descriptor, EndpointId, Privilege};
use orbit_core::status::Status;
use proptest::prelude::*;
use std::time::{Duration, Instant};

const EP: EndpointId = EndpointId(1);

/// A dimmable lamp with a lock on endpoint 2, enough to exercise every operation kind.
#[derive(Default)]
struct TestLamp;

impl Behavior for TestLamp {
    fn invoke(
        &mut self,
        ctx: &mut Context<'_>,
        cmd: CommandPath,
        args: &Data,
    ) -> Result<Data, Status> {
        use on_off::{attributes::ON, commands::*};
        match (cmd.capability, cmd.command) {
            (on_off::ID, OFF) => ctx.set(on_off::ID, ON, false)?,
            (on_off::ID, ON_) => ctx.set(on_off::ID, ON, true)?,
            (on_off::ID, TOGGLE) => {
                let on = ctx.get_bool(on_off::ID, ON).unwrap_or(false);
                ctx.set(on_off::ID, ON, !on)?
            }
            (level::ID, level::commands::MOVE_TO_LEVEL) => {
                let l = args
                    .field(0)
                    .and_then(Data::as_u64)
                    .ok_or(Status::INVALID_DATA_TYPE)?;
                ctx.set(level::ID, level::attributes::CURRENT_LEVEL, l)?
            }
            (door_lock::ID, door_lock::commands::LOCK_DOOR) => {
                ctx.set(door_lock::ID, door_lock::attributes::LOCK_STATE, 1u64)?;
                ctx.emit(
                    door_lock::ID,
                    door_lock::events::LOCK_OPERATION,
                    Data::Struct(vec![(0, Data::Uint(0)), (1, Data::Uint(0))]),
                )?;
            }
            _ => return Err(Status::UNSUPPORTED_COMMAND),
        }
        Ok(Data::Struct(vec![]))
    }
}
const ON_: orbit_core::model::CommandId = on_off::commands::ON;

fn info() -> DeviceInfo {
    DeviceInfo {
        vendor_id: 0xFFF1,
        vendor_name: "Orbit test".into(),
        product_id: 1,
        product_name: "Test lamp".into(),
        serial_number: "T-1".into(),
        hardware_version: "1".into(),
        firmware_version: "1.0".into(),
    }
}

fn device(now: Instant) -> DeviceNode {
    DeviceBuilder::new(info())
        .endpoint(
            Endpoint::new(1, "lamp", TestLamp)
                .with(on_off::ID)
                .with(level::ID),
        )
        .endpoint(Endpoint::new(2, "lock", TestLamp).with(door_lock::ID))
        .build(now)
        .unwrap()
}

fn on_path() -> ConcreteAttribute {
    ConcreteAttribute::new(EP, on_off::ID, on_off::attributes::ON)
}

fn level_path() -> ConcreteAttribute {
    ConcreteAttribute::new(EP, level::ID, level::attributes::CURRENT_LEVEL)
}

struct Fx {
    home: Home,
    device: DeviceNode,
    admin: Session,
    t0: Instant,
}

fn fx() -> Fx {
    let t0 = Instant::now();
    let mut home = Home::new(7);
    let mut device = device(t0);
    home.install(&mut device);
    let admin_m = home.controller(ADMIN);
    let admin = open_session(&mut home, &admin_m, t0);
    Fx {
        home,
        device,
        admin,
        t0,
    }
}

fn one(events: Vec<ClientEvent>) -> ClientEvent {
    assert_eq!(events.len(), 1, "{events:?}");
    events.into_iter().next().unwrap()
}

fn read(
    s: &mut Session,
    d: &mut DeviceNode,
    now: Instant,
    paths: Vec<AttributePath>,
) -> Vec<(ConcreteAttribute, Result<Data, Status>)> {
    let (_, req) = s.client.read(
        now,
        ReadRequest {
            attributes: paths,
            ..Default::default()
        },
    );
    match one(s.round_trip(d, now, req)) {
        ClientEvent::ReadDone { attributes, .. } => {
            attributes.into_iter().map(|a| (a.path, a.result)).collect()
        }
        other => panic!("{other:?}"),
    }
}

fn write(
    s: &mut Session,
    d: &mut DeviceNode,
    now: Instant,
    writes: Vec<(ConcreteAttribute, Data)>,
    timed: bool,
) -> Vec<Status> {
    let request = WriteRequest::new(writes);
    let request = if timed { request.timed() } else { request };
    write_request(s, d, now, request)
}

fn write_request(
    s: &mut Session,
    d: &mut DeviceNode,
    now: Instant,
    request: WriteRequest,
) -> Vec<Status> {
    let (_, req) = s.client.write(now, request);
    match one(s.round_trip(d, now, req)) {
        ClientEvent::Written { statuses, .. } => statuses.into_iter().map(|p| p.status).collect(),
        ClientEvent::Failed { status, .. } => vec![status],
        other => panic!("{other:?}"),
    }
}

fn invoke(
    s: &mut Session,
    d: &mut DeviceNode,
    now: Instant,
    path: CommandPath,
    args: Data,
    timed: bool,
) -> Result<Data, Status> {
    let (_, req) = s.client.invoke(now, path, args, timed);
    match one(s.round_trip(d, now, req)) {
        ClientEvent::Invoked { result, .. } => result,
        ClientEvent::Failed { status, .. } => Err(status),
        other => panic!("{other:?}"),
    }
}

#[test]
fn describe_returns_a_descriptor_signed_by_the_device() {
    // [IM-70] [DM-41]
    let mut f = fx();
    let (_, req) = f.admin.client.describe(f.t0);
    let ClientEvent::Described {
        descriptor,
        signature,
        ..
    } = one(f.admin.round_trip(&mut f.device, f.t0, req))
    else {
        panic!()
    };
    let d = Descriptor::verify(&descriptor, &signature, &f.admin.device_key).unwrap();
    assert_eq!(d, f.device.descriptor());
    assert_eq!(
        d.endpoints.iter().map(|e| e.id.0).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    let caps: Vec<_> = d.endpoints[1].capabilities.iter().map(|c| c.id).collect();
    assert_eq!(caps, vec![on_off::ID, level::ID]);
    let mut tampered = descriptor.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert!(Descriptor::verify(&tampered, &signature, &f.admin.device_key).is_err());
}

#[test]
fn reads_concrete_and_wildcard_paths() {
    // [IM-13]
    let mut f = fx();
    let now = f.t0;
    let got = read(&mut f.admin, &mut f.device, now, vec![on_path().path()]);
    assert_eq!(got, vec![(on_path(), Ok(Data::Bool(false)))]);
    // Concrete paths to missing things give the most specific status.
    let missing = vec![
        AttributePath::concrete(EndpointId(9), on_off::ID, on_off::attributes::ON),
        AttributePath::concrete(EP, door_lock::ID, door_lock::attributes::LOCK_STATE),
        AttributePath::concrete(EP, on_off::ID, orbit_core::model::AttributeId(77)),
    ];
    let got: Vec<_> = read(&mut f.admin, &mut f.device, now, missing)
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    assert_eq!(
        got,
        vec![
            Err(Status::UNSUPPORTED_ENDPOINT),
            Err(Status::UNSUPPORTED_CAPABILITY),
            Err(Status::UNSUPPORTED_ATTRIBUTE)
        ]
    );
    // All attributes of an endpoint.
    let ep1 = read(
        &mut f.admin,
        &mut f.device,
        now,
        vec![AttributePath::endpoint(EP)],
    );
    assert!(ep1.iter().all(|(p, r)| p.endpoint == EP && r.is_ok()));
    assert!(ep1.iter().any(|(p, _)| *p == level_path()));
    assert!(ep1.len() >= 4, "{ep1:?}");
    // All endpoints with a capability.
    let lvl = read(
        &mut f.admin,
        &mut f.device,
        now,
        vec![AttributePath::capability(level::ID)],
    );
    assert!(!lvl.is_empty() && lvl.iter().all(|(p, _)| p.capability == level::ID));
    // Everything: includes basic information, reported from the builder's info.
    let all = read(&mut f.admin, &mut f.device, now, vec![AttributePath::ALL]);
    let name = ConcreteAttribute::new(
        EndpointId::ROOT,
        basic_information::ID,
        basic_information::attributes::PRODUCT_NAME,
    );
    assert!(all.contains(&(name, Ok(Data::Text("Test lamp".into())))));
}

#[test]
fn multi_path_write_reports_status_per_path_in_order() {
    // [IM-21] [IM-22]
    let mut f = fx();
    let now = f.t0;
    let statuses = write(
        &mut f.admin,
        &mut f.device,
        now,
        vec![
            (on_path(), Data::Bool(true)),
            (level_path(), Data::Uint(999)),
            (level_path(), Data::Text("high".into())),
            (
                ConcreteAttribute::new(EP, level::ID, level::attributes::MIN_LEVEL),
                Data::Uint(5),
            ),
            (
                ConcreteAttribute::new(EndpointId(5), on_off::ID, on_off::attributes::ON),
                Data::Bool(true),
            ),
            (level_path(), Data::Uint(100)),
        ],
        false,
    );
    assert_eq!(
        statuses,
        vec![
            Status::SUCCESS,
            Status::CONSTRAINT_ERROR,
            Status::INVALID_DATA_TYPE,
            Status::UNSUPPORTED_ACCESS,
            Status::UNSUPPORTED_ENDPOINT,
            Status::SUCCESS
        ]
    );
    assert_eq!(f.device.attribute(on_path()), Some(&Data::Bool(true)));
    assert_eq!(f.device.attribute(level_path()), Some(&Data::Uint(100)));
}

#[test]
fn invoke_checks_arguments_and_runs_the_command() {
    // [IM-30]
    let mut f = fx();
    let now = f.t0;
    let toggle = CommandPath::new(EP, on_off::ID, on_off::commands::TOGGLE);
    assert_eq!(
        invoke(
            &mut f.admin,
            &mut f.device,
            now,
            toggle,
            Data::Struct(vec![]),
            false
        ),
        Ok(Data::Struct(vec![]))
    );
    assert_eq!(f.device.attribute(on_path()), Some(&Data::Bool(true)));
    let mtl = CommandPath::new(EP, level::ID, level::commands::MOVE_TO_LEVEL);
    assert_eq!(
        invoke(
            &mut f.admin,
            &mut f.device,
            now,
            mtl,
            Data::Struct(vec![]),
            false
        ),
        Err(Status::INVALID_DATA_TYPE)
    );
    assert_eq!(
        invoke(
            &mut f.admin,
            &mut f.device,
            now,
            mtl,
            Data::Struct(vec![(0, Data::Uint(300))]),
            false
        ),
        Err(Status::CONSTRAINT_ERROR)
    );
    assert!(invoke(
        &mut f.admin,
        &mut f.device,
        now,
        mtl,
        Data::Struct(vec![(0, Data::Uint(42))]),
        false
    )
    .is_ok());
    assert_eq!(f.device.attribute(level_path()), Some(&Data::Uint(42)));
    let missing = CommandPath::new(EP, on_off::ID, orbit_core::model::CommandId(99));
    assert_eq!(
        invoke(
            &mut f.admin,
            &mut f.device,
            now,
            missing,
            Data::Struct(vec![]),
            false
        ),
        Err(Status::UNSUPPORTED_COMMAND)
    );
}

#[test]
fn timed_commands_need_a_timed_interaction_that_has_not_expired() {
    // [IM-40] [IM-41]
    let mut f = fx();
    let now = f.t0;
    let lock = CommandPath::new(EndpointId(2), door_lock::ID, door_lock::commands::LOCK_DOOR);
    let state = ConcreteAttribute::new(
        EndpointId(2),
        door_lock::ID,
        door_lock::attributes::LOCK_STATE,
    );
    let before = f.device.attribute(state).cloned();
    assert_eq!(
        invoke(
            &mut f.admin,
            &mut f.device,
            now,
            lock,
            Data::Struct(vec![]),
            false
        ),
        Err(Status::NEEDS_TIMED_INTERACTION)
    );
    assert_eq!(f.device.attribute(state).cloned(), before);
    // Timed flag without a window: mismatch, nothing runs.
    let bare = Envelope {
        exchange: 900,
        message: Message::InvokeRequest(orbit_core::interaction::InvokeRequest {
            path: lock,
            args: Data::Struct(vec![]),
            timed: true,
        }),
    };
    let answer = f.device.handle(now, &f.admin.requester, &bare.to_bytes());
    assert_eq!(
        Envelope::decode(&answer[0]).unwrap().message,
        Message::InvokeResponse(Err(Status::TIMED_REQUEST_MISMATCH))
    );
    // A window that expired before the command arrived.
    let open = Envelope {
        exchange: 901,
        message: Message::TimedRequest { timeout_ms: 100 },
    };
    f.device.handle(now, &f.admin.requester, &open.to_bytes());
    let late = Envelope {
        exchange: 901,
        ..bare.clone()
    };
    let answer = f.device.handle(
        now + Duration::from_millis(101),
        &f.admin.requester,
        &late.to_bytes(),
    );
    assert_eq!(
        Envelope::decode(&answer[0]).unwrap().message,
        Message::InvokeResponse(Err(Status::TIMED_REQUEST_MISMATCH))
    );
    assert_eq!(f.device.attribute(state).cloned(), before);
    // Out-of-range window.
    let too_long = Envelope {
        exchange: 902,
        message: Message::TimedRequest { timeout_ms: 10_001 },
    };
    let answer = f
        .device
        .handle(now, &f.admin.requester, &too_long.to_bytes());
    assert_eq!(
        Envelope::decode(&answer[0]).unwrap().message,
        Message::StatusResponse(Status::INVALID_PARAMETER)
    );
    // The client's timed invoke: window, then command.
    assert!(invoke(
        &mut f.admin,
        &mut f.device,
        now,
        lock,
        Data::Struct(vec![]),
        true
    )
    .is_ok());
    assert_eq!(f.device.attribute(state), Some(&Data::Uint(1)));
}

/// Grants `node` `privilege` on the whole device, keeping the admin's entry.
fn grant(f: &mut Fx, node: NodeId, privilege: Privilege) {
    let home = f.home.id();
    let acl = Data::List(vec![
        orbit_core::device::AclEntry::whole_device(home, ADMIN, Privilege::Administer).to_data(),
        orbit_core::device::AclEntry::whole_device(home, node, privilege).to_data(),
    ]);
    let path = ConcreteAttribute::new(
        EndpointId::ROOT,
        access_control::ID,
        access_control::attributes::ACL,
    );
    let now = f.t0;
    assert_eq!(
        write(&mut f.admin, &mut f.device, now, vec![(path, acl)], false),
        vec![Status::SUCCESS]
    );
}

#[test]
fn access_control_matrix() {
    // [ACL-2] [ACL-3] [ACL-4] [ACL-5]: every privilege against every operation kind; a denied
    // operation changes nothing.
    let label = ConcreteAttribute::new(
        EndpointId::ROOT,
        basic_information::ID,
        basic_information::attributes::NODE_LABEL,
    );
    let acl_path = ConcreteAttribute::new(
        EndpointId::ROOT,
        access_control::ID,
        access_control::attributes::ACL,
    );
    type Op = fn(&mut Session, &mut DeviceNode, Instant, orbit_core::cert::HomeId) -> Status;
    let ops: Vec<(&str, Privilege, Op)> = vec![
        ("read", Privilege::View, |s, d, now, _| {
            let r = read(s, d, now, vec![on_path().path()]);
            r[0].1.clone().err().unwrap_or(Status::SUCCESS)
        }),
        ("subscribe", Privilege::View, |s, d, now, _| {
            let (_, req) = s.client.subscribe(
                now,
                SubscribeRequest {
                    attributes: vec![on_path().path()],
                    max_interval_s: 60,
                    ..Default::default()
                },
            );
            match s.round_trip(d, now, req).pop().unwrap() {
                ClientEvent::Subscribed { attributes, .. } => attributes[0]
                    .result
                    .clone()
                    .err()
                    .unwrap_or(Status::SUCCESS),
                other => panic!("{other:?}"),
            }
        }),
        (
            "write operate attribute",
            Privilege::Operate,
            |s, d, now, _| write(s, d, now, vec![(on_path(), Data::Bool(true))], false)[0],
        ),
        (
            "write manage attribute",
            Privilege::Manage,
            |s, d, now, _| {
                let label = ConcreteAttribute::new(
                    EndpointId::ROOT,
                    basic_information::ID,
                    basic_information::attributes::NODE_LABEL,
                );
                write(s, d, now, vec![(label, Data::Text("hall".into()))], false)[0]
            },
        ),
        (
            "invoke operate command",
            Privilege::Operate,
            |s, d, now, _| {
                invoke(
                    s,
                    d,
                    now,
                    CommandPath::new(EP, on_off::ID, on_off::commands::TOGGLE),
                    Data::Struct(vec![]),
                    false,
                )
                .err()
                .unwrap_or(Status::SUCCESS)
            },
        ),
        (
            "invoke administer command",
            Privilege::Administer,
            |s, d, now, _| {
                invoke(
                    s,
                    d,
                    now,
                    CommandPath::new(
                        EndpointId::ROOT,
                        administration::ID,
                        administration::commands::CLOSE_PAIRING_WINDOW,
                    ),
                    Data::Struct(vec![]),
                    true,
                )
                .err()
                .unwrap_or(Status::SUCCESS)
            },
        ),
        ("write acl", Privilege::Administer, |s, d, now, home| {
            let acl_path = ConcreteAttribute::new(
                EndpointId::ROOT,
                access_control::ID,
                access_control::attributes::ACL,
            );
            let acl = Data::List(vec![
                orbit_core::device::AclEntry::whole_device(home, ADMIN, Privilege::Administer)
                    .to_data(),
                orbit_core::device::AclEntry::whole_device(home, 2, Privilege::Administer)
                    .to_data(),
            ]);
            write(s, d, now, vec![(acl_path, acl)], false)[0]
        }),
    ];
    for granted in Privilege::ALL {
        for (name, needed, op) in &ops {
            let mut f = fx();
            grant(&mut f, 2, granted);
            let m = f.home.controller(2);
            let mut s = open_session(&mut f.home, &m, f.t0);
            let before_on = f.device.attribute(on_path()).cloned();
            let before_label = f.device.attribute(label).cloned();
            let before_acl = f.device.attribute(acl_path).cloned();
            let home = f.home.id();
            let status = op(&mut s, &mut f.device, f.t0, home);
            if granted >= *needed {
                assert_eq!(status, Status::SUCCESS, "{granted:?} should allow {name}");
            } else {
                assert_eq!(
                    status,
                    Status::ACCESS_DENIED,
                    "{granted:?} should deny {name}"
                );
                assert_eq!(
                    f.device.attribute(on_path()).cloned(),
                    before_on,
                    "{name} changed state"
                );
                assert_eq!(f.device.attribute(label).cloned(), before_label);
                assert_eq!(f.device.attribute(acl_path).cloned(), before_acl);
            }
        }
    }
}

#[test]
fn acl_writes_are_per_home_and_keep_an_administrator() {
    // [ACL-7] [ACL-8] [ACL-9]
    let mut f = fx();
    let now = f.t0;
    let acl_path = ConcreteAttribute::new(
        EndpointId::ROOT,
        access_control::ID,
        access_control::attributes::ACL,
    );
    let home = f.home.id();
    // No administrator left: refused, unchanged.
    let only_view = Data::List(vec![orbit_core::device::AclEntry::whole_device(
        home,
        ADMIN,
        Privilege::View,
    )
    .to_data()]);
    assert_eq!(
        write(
            &mut f.admin,
            &mut f.device,
            now,
            vec![(acl_path, only_view)],
            false
        ),
        vec![Status::CONSTRAINT_ERROR]
    );
    // An entry for another home: refused.
    let foreign = Data::List(vec![
        orbit_core::device::AclEntry::whole_device(home, ADMIN, Privilege::Administer).to_data(),
        orbit_core::device::AclEntry::whole_device(home ^ 1, 5, Privilege::Administer).to_data(),
    ]);
    assert_eq!(
        write(
            &mut f.admin,
            &mut f.device,
            now,
            vec![(acl_path, foreign)],
            false
        ),
        vec![Status::CONSTRAINT_ERROR]
    );
    // A second home on the same device (multi-admin) sees only its own entries.
    let mut other = Home::new(99);
    other.install(&mut f.device);
    let om = other.controller(ADMIN);
    let mut os = open_session(&mut other, &om, now);
    let seen = read(&mut os, &mut f.device, now, vec![acl_path.path()]);
    let Ok(Data::List(entries)) = &seen[0].1 else {
        panic!("{seen:?}")
    };
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].field(0), Some(&Data::Uint(other.id())));
    // Granting emits an access-changed event readable by that home only.
    grant(&mut f, 2, Privilege::Operate);
    let (_, req) = f.admin.client.read(
        now,
        ReadRequest {
            events: vec![EventPath::ALL],
            ..Default::default()
        },
    );
    let ClientEvent::ReadDone { events, .. } = one(f.admin.round_trip(&mut f.device, now, req))
    else {
        panic!()
    };
    assert!(events
        .iter()
        .any(|e| e.capability == access_control::ID && e.fields.field(1) == Some(&Data::Uint(2))));
    let (_, req) = os.client.read(
        now,
        ReadRequest {
            events: vec![EventPath::ALL],
            ..Default::default()
        },
    );
    let ClientEvent::ReadDone { events, .. } = one(os.round_trip(&mut f.device, now, req)) else {
        panic!()
    };
    assert!(
        events.iter().all(|e| e.capability != access_control::ID),
        "{events:?}"
    );
    // The other home's administrator removes its own home; the first home is untouched.
    let rm = CommandPath::new(
        EndpointId::ROOT,
        administration::ID,
        administration::commands::REMOVE_HOME,
    );
    assert!(invoke(
        &mut os,
        &mut f.device,
        now,
        rm,
        Data::Struct(vec![(0, Data::Uint(other.id()))]),
        false
    )
    .is_ok());
    assert!(f
        .device
        .access_control()
        .home_entries(other.id())
        .next()
        .is_none());
    assert!(f
        .device
        .access_control()
        .allows(home, ADMIN, EP, on_off::ID, Privilege::Administer));
    assert_eq!(
        f.device.poll_event(),
        Some(orbit_core::device::NodeEvent::HomeRemoved { home: other.id() })
    );
}

#[test]
fn subscriptions_respect_min_and_max_interval_and_detect_a_lost_device() {
    // [IM-60] [IM-62] [IM-63] [IM-64]
    let mut f = fx();
    let t0 = f.t0;
    let (_, req) = f.admin.client.subscribe(
        t0,
        SubscribeRequest {
            attributes: vec![AttributePath::endpoint(EP)],
            events: vec![EventPath::ALL],
            min_interval_s: 2,
            max_interval_s: 10,
            ..Default::default()
        },
    );
    let ClientEvent::Subscribed {
        subscription,
        attributes,
        ..
    } = f.admin.round_trip(&mut f.device, t0, req).pop().unwrap()
    else {
        panic!()
    };
    assert!(attributes.iter().any(|a| a.path == on_path()));
    // A change right away waits for min_interval.
    f.device
        .update(t0, EP, |ctx| {
            ctx.set(on_off::ID, on_off::attributes::ON, true)
        })
        .unwrap();
    assert_eq!(f.device.poll_timeout(), Some(t0 + Duration::from_secs(2)));
    assert!(f
        .device
        .handle_timeout(t0 + Duration::from_secs(1))
        .is_empty());
    let out = f.device.handle_timeout(t0 + Duration::from_secs(2));
    assert_eq!(out.len(), 1);
    let ev = f.admin.deliver(t0 + Duration::from_secs(2), &out[0].bytes);
    let ClientEvent::Report {
        subscription: s,
        attributes,
        ..
    } = ev
    else {
        panic!()
    };
    assert_eq!(s, subscription);
    assert_eq!(attributes.len(), 1);
    assert_eq!(attributes[0].path, on_path());
    assert_eq!(attributes[0].result, Ok(Data::Bool(true)));
    // A write that changes nothing reports nothing [IM-23]: next wake is the keep-alive.
    f.device
        .update(t0 + Duration::from_secs(3), EP, |ctx| {
            ctx.set(on_off::ID, on_off::attributes::ON, true)
        })
        .unwrap();
    assert_eq!(f.device.poll_timeout(), Some(t0 + Duration::from_secs(12)));
    // Keep-alive at max_interval, empty.
    let out = f.device.handle_timeout(t0 + Duration::from_secs(12));
    assert_eq!(out.len(), 1);
    let ev = f.admin.deliver(t0 + Duration::from_secs(12), &out[0].bytes);
    assert!(
        matches!(ev, ClientEvent::Report { ref attributes, ref events, .. } if attributes.is_empty() && events.is_empty())
    );
    // The device goes silent: lost after max_interval + grace, not before.
    let deadline = t0 + Duration::from_secs(22) + SUBSCRIPTION_GRACE;
    assert_eq!(f.admin.client.poll_timeout(), Some(deadline));
    assert!(f.admin.client.handle_timeout(deadline).is_empty());
    assert_eq!(
        f.admin
            .client
            .handle_timeout(deadline + Duration::from_millis(1)),
        vec![ClientEvent::SubscriptionLost { subscription }]
    );
    // Resubscribing gives a fresh subscription with an initial report.
    let (_, req) = f.admin.client.resubscribe(deadline, subscription).unwrap();
    let ClientEvent::Subscribed {
        subscription: again,
        ..
    } = f
        .admin
        .round_trip(&mut f.device, deadline, req)
        .pop()
        .unwrap()
    else {
        panic!()
    };
    assert_ne!(again, subscription);
}

#[test]
fn an_accepted_unsubscribe_ends_its_exchange_with_an_event() {
    // [IM-65] the client reports the device's acceptance, so a caller waiting on the
    // exchange learns the outcome instead of waiting for frames that never come.
    let mut f = fx();
    let t0 = f.t0;
    let (_, req) = f.admin.client.subscribe(
        t0,
        SubscribeRequest {
            attributes: vec![on_path().path()],
            max_interval_s: 10,
            ..Default::default()
        },
    );
    let ClientEvent::Subscribed { subscription, .. } =
        f.admin.round_trip(&mut f.device, t0, req).pop().unwrap()
    else {
        panic!()
    };
    let (exchange, req) = f.admin.client.unsubscribe(t0, subscription);
    assert_eq!(
        one(f.admin.round_trip(&mut f.device, t0, req)),
        ClientEvent::Unsubscribed { exchange }
    );
    assert_eq!(f.admin.client.subscriptions().count(), 0);
    // A second unsubscribe names a subscription that is gone.
    let (exchange, req) = f.admin.client.unsubscribe(t0, subscription);
    assert_eq!(
        one(f.admin.round_trip(&mut f.device, t0, req)),
        ClientEvent::Failed {
            exchange,
            status: Status::INVALID_SUBSCRIPTION
        }
    );
}

#[test]
fn limits_give_resource_exhausted_and_the_session_goes_on() {
    // [IM-80] [IM-81] [IM-5]
    let mut f = fx();
    let now = f.t0;
    let (_, req) = f.admin.client.read(
        now,
        ReadRequest {
            attributes: vec![on_path().path(); 17],
            ..Default::default()
        },
    );
    assert_eq!(
        one(f.admin.round_trip(&mut f.device, now, req)),
        ClientEvent::Failed {
            exchange: 2 - 1,
            status: Status::RESOURCE_EXHAUSTED
        }
    );
    for i in 0..5 {
        let (_, req) = f.admin.client.subscribe(
            now,
            SubscribeRequest {
                attributes: vec![on_path().path()],
                max_interval_s: 60,
                ..Default::default()
            },
        );
        let last = f.admin.round_trip(&mut f.device, now, req).pop().unwrap();
        if i < 4 {
            assert!(matches!(last, ClientEvent::Subscribed { .. }), "{last:?}");
        } else {
            assert!(
                matches!(
                    last,
                    ClientEvent::Failed {
                        status: Status::RESOURCE_EXHAUSTED,
                        ..
                    }
                ),
                "{last:?}"
            );
        }
    }
    // Garbage and unknown types get a status on the same session, which keeps working.
    for bad in [
        vec![0xff, 0x00],
        Envelope {
            exchange: 5,
            message: Message::StatusResponse(Status::SUCCESS),
        }
        .to_bytes(),
        vec![0xa2, 0x00, 0x19, 0x01, 0x2c, 0x01, 0x07],
    ] {
        let answers = f.device.handle(now, &f.admin.requester, &bad);
        assert_eq!(answers.len(), 1);
        assert!(
            matches!(Envelope::decode(&answers[0]).unwrap().message, Message::StatusResponse(s) if s != Status::SUCCESS)
        );
    }
    let got = read(&mut f.admin, &mut f.device, now, vec![on_path().path()]);
    assert_eq!(got.len(), 1);
}

#[derive(Clone, Debug)]
enum Op {
    SetOn(bool),
    Toggle,
    Level(u8),
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Random writes and invokes over a link that drops and reorders messages: the device's
    /// state always equals the effect of the operations it acknowledged, applied in the order
    /// it processed them.
    #[test]
    fn state_matches_acknowledged_operations(ops in proptest::collection::vec(
        prop_oneof![any::<bool>().prop_map(Op::SetOn), Just(Op::Toggle), (0u8..=254).prop_map(Op::Level)], 1..30),
        drops in proptest::collection::vec(any::<bool>(), 30),
        order in proptest::collection::vec(any::<u8>(), 30),
    ) {
        let mut f = fx();
        let now = f.t0;
        // Build every request first, then deliver a random subset in a random order.
        let mut requests: Vec<(usize, Vec<u8>)> = ops.iter().enumerate().map(|(i, op)| {
            let bytes = match op {
                Op::SetOn(v) => f.admin.client.write(now, WriteRequest::new(vec![(on_path(), Data::Bool(*v))])).1,
                Op::Toggle => f.admin.client.invoke(now, CommandPath::new(EP, on_off::ID, on_off::commands::TOGGLE), Data::Struct(vec![]), false).1,
                Op::Level(l) => f.admin.client.write(now, WriteRequest::new(vec![(level_path(), Data::Uint((*l).into()))])).1,
            };
            (i, bytes)
        }).collect();
        requests.sort_by_key(|(i, _)| order[*i]);
        let (mut on, mut lvl) = (false, 254u64);
        for (i, bytes) in requests {
            if drops[i] { continue; }
            let mut wire = Vec::new();
            f.admin.phone.seal(&bytes, &mut wire).unwrap();
            let payload = f.admin.device.open(&mut wire).unwrap().payload.to_vec();
            let answers = f.device.handle(now, &f.admin.requester, &payload);
            let ev = f.admin.deliver(now, &answers[0]);
            let ok = match ev {
                ClientEvent::Written { statuses, .. } => statuses[0].status == Status::SUCCESS,
                ClientEvent::Invoked { result, .. } => result.is_ok(),
                other => panic!("{other:?}"),
            };
            prop_assert!(ok);
            match ops[i] { Op::SetOn(v) => on = v, Op::Toggle => on = !on, Op::Level(l) => lvl = l.into() }
        }
        prop_assert_eq!(f.device.attribute(on_path()), Some(&Data::Bool(on)));
        prop_assert_eq!(f.device.attribute(level_path()), Some(&Data::Uint(lvl)));
    }
}

//! Edges of the interaction model that an independent implementation must get exactly right:
//! the order of argument checks `[DM-46]`, endpoint 0xffff `[IM-83]`, net changes within one
//! request `[IM-82]`, per-home views of `homes` and `acl` `[ACL-13]`, `[ACL-14]` and
//! per-subject access-changed events `[ACL-8]`. Driven through `DeviceNode::handle` with the
//! requester given, as a transport's session layer would.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::cert::{HomeId, NodeId};
use orbit_core::codec::CborMessage;
use orbit_core::crypto::sign::SigningKey;
use orbit_core::device::{Behavior, DeviceBuilder, DeviceInfo, DeviceNode, Endpoint, Requester};
use orbit_core::interaction::{
    AttributePath, CommandPath, ConcreteAttribute, Envelope, EventPath, InvokeRequest, Message,
    ReadRequest, Report, SubscribeRequest, WriteRequest,
};
use orbit_core::model::std_caps::{access_control, administration, color, level, on_off};
use orbit_core::model::{Data, EndpointId};
use orbit_core::status::Status;
use std::time::{Duration, Instant};

const HOME_A: HomeId = 0xA;
const HOME_B: HomeId = 0xB;
const ADMIN: NodeId = 1;
const VIEWER: NodeId = 7;
const LAMP: EndpointId = EndpointId(1);

struct Plain;
impl Behavior for Plain {}

struct Fx {
    device: DeviceNode,
    t0: Instant,
    exchange: u32,
}

fn requester(session: u64, home: HomeId, node: NodeId) -> Requester {
    Requester {
        session,
        home,
        node,
    }
}

fn fx() -> Fx {
    let t0 = Instant::now();
    let info = DeviceInfo {
        vendor_id: 0xFFF1,
        vendor_name: "Orbit test".into(),
        product_id: 3,
        product_name: "Edge lamp".into(),
        serial_number: "X-1".into(),
        hardware_version: "1".into(),
        firmware_version: "1".into(),
    };
    let mut device = DeviceBuilder::new(info)
        .endpoint(
            Endpoint::new(1, "lamp", Plain)
                .with(on_off::ID)
                .with(level::ID)
                .with_features(color::ID, &[0])
                .set(level::ID, level::attributes::CURRENT_LEVEL, 50u64),
        )
        .build(t0)
        .unwrap();
    device.add_home(HOME_A, SigningKey::from_seed(&[0xA; 32]), ADMIN);
    device.add_home(HOME_B, SigningKey::from_seed(&[0xB; 32]), ADMIN);
    Fx {
        device,
        t0,
        exchange: 0,
    }
}

fn acl() -> ConcreteAttribute {
    ConcreteAttribute::new(
        EndpointId::ROOT,
        access_control::ID,
        access_control::attributes::ACL,
    )
}

fn homes() -> ConcreteAttribute {
    ConcreteAttribute::new(
        EndpointId::ROOT,
        administration::ID,
        administration::attributes::HOMES,
    )
}

fn current_level() -> ConcreteAttribute {
    ConcreteAttribute::new(LAMP, level::ID, level::attributes::CURRENT_LEVEL)
}

/// An acl entry `{0 home, 1 subject, 2 privilege, ? 3 [{0 endpoint}]}`.
fn entry(home: HomeId, subject: NodeId, privilege: u64, endpoint: Option<u16>) -> Data {
    let mut fields = vec![
        (0, Data::Uint(home)),
        (1, Data::Uint(subject)),
        (2, Data::Uint(privilege)),
    ];
    if let Some(e) = endpoint {
        fields.push((
            3,
            Data::List(vec![Data::Struct(vec![(0, Data::Uint(e.into()))])]),
        ));
    }
    Data::Struct(fields)
}

fn admin_entry(home: HomeId) -> Data {
    entry(home, ADMIN, 4, None)
}

impl Fx {
    fn send(&mut self, from: &Requester, message: Message) -> Vec<Envelope> {
        self.exchange += 1;
        let bytes = Envelope {
            exchange: self.exchange,
            message,
        }
        .to_bytes();
        self.send_raw(from, &bytes)
    }

    fn send_raw(&mut self, from: &Requester, bytes: &[u8]) -> Vec<Envelope> {
        self.device
            .handle(self.t0, from, bytes)
            .iter()
            .map(|m| Envelope::decode(m).unwrap())
            .collect()
    }

    fn write(&mut self, from: &Requester, writes: Vec<(ConcreteAttribute, Data)>) -> Vec<Status> {
        match self
            .send(from, Message::WriteRequest(WriteRequest::new(writes)))
            .pop()
            .map(|e| e.message)
        {
            Some(Message::WriteResponse(s)) => s.into_iter().map(|p| p.status).collect(),
            other => panic!("{other:?}"),
        }
    }

    fn invoke(&mut self, from: &Requester, path: CommandPath, args: Data) -> Result<Data, Status> {
        let request = InvokeRequest {
            path,
            args,
            timed: false,
        };
        match self
            .send(from, Message::InvokeRequest(request))
            .pop()
            .map(|e| e.message)
        {
            Some(Message::InvokeResponse(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    fn read_one(&mut self, from: &Requester, attr: ConcreteAttribute) -> Result<Data, Status> {
        let request = ReadRequest {
            attributes: vec![attr.path()],
            ..Default::default()
        };
        match self
            .send(from, Message::ReadRequest(request))
            .pop()
            .map(|e| e.message)
        {
            Some(Message::Report(r)) => r.attributes[0].result.clone(),
            other => panic!("{other:?}"),
        }
    }

    fn subscribe(&mut self, from: &Requester, attributes: Vec<AttributePath>) -> u32 {
        self.subscribe_with_events(from, attributes, vec![])
    }

    fn subscribe_with_events(
        &mut self,
        from: &Requester,
        attributes: Vec<AttributePath>,
        events: Vec<EventPath>,
    ) -> u32 {
        let request = SubscribeRequest {
            attributes,
            events,
            min_interval_s: 0,
            max_interval_s: 600,
            ..Default::default()
        };
        match self
            .send(from, Message::SubscribeRequest(request))
            .pop()
            .map(|e| e.message)
        {
            Some(Message::SubscribeResponse(r)) => r.subscription,
            other => panic!("{other:?}"),
        }
    }

    /// The reports the device sends one second later (long before any keep-alive), per
    /// session.
    fn reports_after_a_second(&mut self) -> Vec<(u64, Report)> {
        let t = self.t0 + Duration::from_secs(1);
        self.device
            .handle_timeout(t)
            .into_iter()
            .map(|o| match Envelope::decode(&o.bytes).unwrap().message {
                Message::Report(r) => (o.session, r),
                other => panic!("{other:?}"),
            })
            .collect()
    }
}

fn status_of(answer: &[Envelope]) -> Status {
    match answer {
        [Envelope {
            message: Message::StatusResponse(s),
            ..
        }] => *s,
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// [DM-46] one order of checks: the first failure in traversal order decides the status.

fn hue_saturation() -> CommandPath {
    CommandPath::new(LAMP, color::ID, color::commands::MOVE_TO_HUE_SATURATION)
}

// [DM-46] [IM-30] arguments are checked field by field in ascending field number, each field
// completely (shape, then constraints) before the next: the same two failures give the status
// of whichever field comes first.
#[test]
fn argument_checks_report_the_first_failing_field() {
    let mut f = fx();
    let admin = requester(1, HOME_A, ADMIN);
    let text = || Data::Text("x".into());
    let cases = [
        // field 0 has the wrong shape, field 1 is out of range
        (
            vec![(0, text()), (1, Data::Uint(999))],
            Status::INVALID_DATA_TYPE,
        ),
        // field 0 is out of range, field 1 has the wrong shape
        (
            vec![(0, Data::Uint(999)), (1, text())],
            Status::CONSTRAINT_ERROR,
        ),
        // field 0 is missing, field 1 is out of range
        (vec![(1, Data::Uint(999))], Status::INVALID_DATA_TYPE),
        // field 0 is out of range, field 1 is missing
        (vec![(0, Data::Uint(999))], Status::CONSTRAINT_ERROR),
        // null for a non-nullable field, then a wrong shape
        (vec![(0, Data::Null), (1, text())], Status::CONSTRAINT_ERROR),
    ];
    for (args, expected) in cases {
        let got = f.invoke(&admin, hue_saturation(), Data::Struct(args.clone()));
        assert_eq!(got, Err(expected), "{args:?}");
    }
}

// [DM-46] [IM-21] a list's own checks (shape, then its item count) come before its items: a
// list that is too long fails with constraint-error even when an item has the wrong shape;
// within the limit, the first failing item decides.
#[test]
fn a_list_length_is_checked_before_its_items() {
    let mut f = fx();
    let admin = requester(1, HOME_A, ADMIN);
    // acl is a list of at most 32 entries; the first item is text, not a struct.
    let mut too_long = vec![Data::Text("not an entry".into())];
    too_long.extend((0..32).map(|_| admin_entry(HOME_A)));
    assert_eq!(
        f.write(&admin, vec![(acl(), Data::List(too_long))]),
        [Status::CONSTRAINT_ERROR]
    );
    // Within the limit: the wrong shape of item 0 comes before the bad privilege of item 1.
    let within = vec![
        Data::Text("not an entry".into()),
        entry(HOME_A, ADMIN, 9, None),
    ];
    assert_eq!(
        f.write(&admin, vec![(acl(), Data::List(within))]),
        [Status::INVALID_DATA_TYPE]
    );
    let swapped = vec![
        entry(HOME_A, ADMIN, 9, None),
        Data::Text("not an entry".into()),
    ];
    assert_eq!(
        f.write(&admin, vec![(acl(), Data::List(swapped))]),
        [Status::CONSTRAINT_ERROR]
    );
    // Nothing was applied.
    assert_eq!(
        f.read_one(&admin, acl()),
        Ok(Data::List(vec![admin_entry(HOME_A)]))
    );
}

// ---------------------------------------------------------------------------------------------
// [IM-83] endpoint 0xffff is outside the format.

// [IM-83] the example of 13-interaction.md: a read naming endpoint 65535 is answered
// invalid-message; endpoint 65534 is a valid number the device lacks.
#[test]
fn endpoint_ffff_is_invalid_message() {
    let mut f = fx();
    let admin = requester(1, HOME_A, ADMIN);
    let bytes = hex::decode("a4000301070281a10019ffff0380").unwrap();
    let answer = f.send_raw(&admin, &bytes);
    assert_eq!(status_of(&answer), Status::INVALID_MESSAGE);
    assert_eq!(answer[0].exchange, 7);

    let fffe = hex::decode("a4000301070281a10019fffe0380").unwrap();
    match f.send_raw(&admin, &fffe).pop().map(|e| e.message) {
        Some(Message::Report(r)) => assert!(r.attributes.is_empty(), "{r:?}"),
        other => panic!("{other:?}"),
    }
    // A concrete path, a write entry and a command path: 0xffff is invalid-message,
    // 0xfffe unsupported-endpoint.
    for (endpoint, expected) in [
        (0xffffu64, Err(Status::INVALID_MESSAGE)),
        (0xfffe, Ok(Status::UNSUPPORTED_ENDPOINT)),
    ] {
        let path = |k2: u64| {
            Data::Struct(vec![
                (0, Data::Uint(endpoint)),
                (1, Data::Uint(on_off::ID.0.into())),
                (2, Data::Uint(k2)),
            ])
        };
        // {0: 7 invoke, 1: x, 2: path, 3: {}}
        let invoke = encode(&Data::Struct(vec![
            (0, Data::Uint(7)),
            (1, Data::Uint(40)),
            (2, path(0)),
            (3, Data::Struct(vec![])),
        ]));
        let answer = f.send_raw(&admin, &invoke);
        match (&expected, answer.last().map(|e| &e.message)) {
            (Err(s), _) => assert_eq!(status_of(&answer), *s),
            (Ok(s), Some(Message::InvokeResponse(r))) => assert_eq!(r, &Err(*s)),
            other => panic!("{other:?}"),
        }
        // {0: 5 write, 1: x, 2: [{0: e, 1: c, 2: a, 3: true}]}
        let Data::Struct(mut fields) = path(on_off::attributes::ON.0.into()) else {
            unreachable!()
        };
        fields.push((3, Data::Bool(true)));
        let write = encode(&Data::Struct(vec![
            (0, Data::Uint(5)),
            (1, Data::Uint(41)),
            (2, Data::List(vec![Data::Struct(fields)])),
        ]));
        let answer = f.send_raw(&admin, &write);
        match (&expected, answer.last().map(|e| &e.message)) {
            (Err(s), _) => assert_eq!(status_of(&answer), *s),
            (Ok(s), Some(Message::WriteResponse(r))) => assert_eq!(r[0].status, *s),
            other => panic!("{other:?}"),
        }
    }
}

// [IM-83] a descriptor listing endpoint 0xffff is malformed; 0xfffe decodes.
#[test]
fn a_descriptor_with_endpoint_ffff_is_malformed() {
    use orbit_core::model::Descriptor;
    let f = fx();
    let mut descriptor = f.device.descriptor();
    descriptor.endpoints[1].id = EndpointId(0xfffe);
    assert_eq!(
        Descriptor::decode(&descriptor.to_bytes()).unwrap(),
        descriptor
    );
    descriptor.endpoints[1].id = EndpointId(0xffff);
    assert!(Descriptor::decode(&descriptor.to_bytes()).is_err());
}

fn encode(d: &Data) -> Vec<u8> {
    let mut out = Vec::new();
    d.encode_into(&mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// [IM-82] a request's changes are judged by their net effect.

// [IM-82] [IM-23] writing a value and then the old value back in one non-atomic request is no
// change: both entries succeed and no report follows; in two requests it is reported.
#[test]
fn a_value_written_back_in_the_same_request_is_no_change() {
    let mut f = fx();
    let admin = requester(1, HOME_A, ADMIN);
    f.subscribe(&admin, vec![current_level().path()]);
    assert_eq!(
        f.write(
            &admin,
            vec![
                (current_level(), Data::Uint(100)),
                (current_level(), Data::Uint(50)),
            ]
        ),
        [Status::SUCCESS, Status::SUCCESS]
    );
    assert_eq!(f.device.attribute(current_level()), Some(&Data::Uint(50)));
    assert!(f.reports_after_a_second().is_empty());

    // The same two values in two requests: two changes, reported with the latest value.
    assert_eq!(
        f.write(&admin, vec![(current_level(), Data::Uint(100))]),
        [Status::SUCCESS]
    );
    assert_eq!(
        f.write(&admin, vec![(current_level(), Data::Uint(50))]),
        [Status::SUCCESS]
    );
    let reports = f.reports_after_a_second();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].1.attributes[0].result, Ok(Data::Uint(50)));
}

// [IM-82] a write back does not hide a change of an earlier request that is still waiting to
// be reported: the subscription reports the value it ends with.
#[test]
fn a_write_back_keeps_an_earlier_change_reported() {
    let mut f = fx();
    let admin = requester(1, HOME_A, ADMIN);
    f.subscribe(&admin, vec![current_level().path()]);
    f.write(&admin, vec![(current_level(), Data::Uint(70))]);
    f.write(
        &admin,
        vec![
            (current_level(), Data::Uint(90)),
            (current_level(), Data::Uint(70)),
        ],
    );
    let reports = f.reports_after_a_second();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].1.attributes[0].result, Ok(Data::Uint(70)));
}

// ---------------------------------------------------------------------------------------------
// [ACL-13] homes are seen per requester.

fn home_ids(v: &Data) -> Vec<u64> {
    let Data::List(items) = v else {
        panic!("{v:?}")
    };
    items
        .iter()
        .map(|h| h.field(0).and_then(Data::as_u64).unwrap())
        .collect()
}

// [ACL-13] a viewer of home A sees only home A; an administrator of home A sees both homes;
// neither read nor wildcard read shows home B's ID to the viewer.
#[test]
fn a_viewer_sees_only_its_own_home() {
    let mut f = fx();
    let admin_a = requester(1, HOME_A, ADMIN);
    let viewer_a = requester(2, HOME_A, VIEWER);
    assert_eq!(
        f.write(
            &admin_a,
            vec![(
                acl(),
                Data::List(vec![admin_entry(HOME_A), entry(HOME_A, VIEWER, 1, None)])
            )]
        ),
        [Status::SUCCESS]
    );
    assert_eq!(home_ids(&f.read_one(&viewer_a, homes()).unwrap()), [HOME_A]);
    assert_eq!(
        home_ids(&f.read_one(&admin_a, homes()).unwrap()),
        [HOME_A, HOME_B]
    );
    // A wildcard read of endpoint 0 by the viewer: home B's ID appears nowhere.
    let request = ReadRequest {
        attributes: vec![AttributePath::endpoint(EndpointId::ROOT)],
        ..Default::default()
    };
    let answer = f.send(&viewer_a, Message::ReadRequest(request));
    let mut saw_homes = false;
    for env in &answer {
        let Message::Report(r) = &env.message else {
            panic!("{env:?}")
        };
        for a in &r.attributes {
            if a.path == homes() {
                saw_homes = true;
                assert_eq!(home_ids(a.result.as_ref().unwrap()), [HOME_A]);
            }
            if a.path == acl() {
                let Ok(Data::List(entries)) = &a.result else {
                    panic!("{a:?}")
                };
                assert!(entries
                    .iter()
                    .all(|e| e.field(0).and_then(Data::as_u64) == Some(HOME_A)));
            }
        }
    }
    assert!(saw_homes);
}

// [ACL-14] a home added or removed changes no other home's acl: a subscription of home A to
// acl hears nothing when home C joins or when home B removes it; nor does a viewer's
// subscription to acl and homes (homes is not reportable, [ACL-13]).
#[test]
fn home_changes_are_not_reported_to_other_homes() {
    let mut f = fx();
    let admin_a = requester(1, HOME_A, ADMIN);
    let viewer_a = requester(2, HOME_A, VIEWER);
    f.write(
        &admin_a,
        vec![(
            acl(),
            Data::List(vec![admin_entry(HOME_A), entry(HOME_A, VIEWER, 1, None)]),
        )],
    );
    f.subscribe(&admin_a, vec![acl().path(), homes().path()]);
    f.subscribe(&viewer_a, vec![homes().path(), acl().path()]);
    f.device
        .add_home(0xC, SigningKey::from_seed(&[0xC; 32]), ADMIN);
    assert_eq!(f.reports_after_a_second(), []);
    let admin_b = requester(3, HOME_B, ADMIN);
    let removed = f.invoke(
        &admin_b,
        CommandPath::new(
            EndpointId::ROOT,
            administration::ID,
            administration::commands::REMOVE_HOME,
        ),
        Data::Struct(vec![(0, Data::Uint(0xC))]),
    );
    assert_eq!(removed, Ok(Data::Struct(vec![])));
    assert_eq!(f.reports_after_a_second(), []);
    // The administrator of A sees the change by reading homes.
    assert_eq!(
        home_ids(&f.read_one(&admin_a, homes()).unwrap()),
        [HOME_A, HOME_B]
    );
}

// ---------------------------------------------------------------------------------------------
// [ACL-14] [ACL-8] access control changes stay in their home.

// [ACL-14] home B's write of its acl is reported to home B's subscription, and to nobody of
// home A: no acl report, no access-changed event, not even for an administrator.
#[test]
fn an_acl_change_is_not_reported_to_another_home() {
    let mut f = fx();
    let admin_a = requester(1, HOME_A, ADMIN);
    let admin_b = requester(3, HOME_B, ADMIN);
    let everything = || {
        vec![EventPath {
            endpoint: None,
            capability: None,
            event: None,
        }]
    };
    f.subscribe_with_events(&admin_a, vec![AttributePath::default()], everything());
    f.subscribe_with_events(&admin_b, vec![acl().path()], everything());
    assert_eq!(
        f.write(
            &admin_b,
            vec![(
                acl(),
                Data::List(vec![admin_entry(HOME_B), entry(HOME_B, VIEWER, 2, None)])
            )]
        ),
        [Status::SUCCESS]
    );
    let reports = f.reports_after_a_second();
    assert_eq!(
        reports.iter().map(|r| r.0).collect::<Vec<_>>(),
        [admin_b.session],
        "{reports:?}"
    );
    let report = &reports[0].1;
    assert_eq!(report.attributes.len(), 1);
    assert_eq!(report.events.len(), 1);
}

fn access_changes(f: &mut Fx, from: &Requester, min: u64) -> Vec<(u64, u64)> {
    let request = ReadRequest {
        events: vec![EventPath {
            endpoint: Some(EndpointId::ROOT),
            capability: Some(access_control::ID),
            event: Some(access_control::events::ACCESS_CHANGED),
        }],
        event_min: Some(min),
        ..Default::default()
    };
    match f
        .send(from, Message::ReadRequest(request))
        .pop()
        .map(|e| e.message)
    {
        Some(Message::Report(r)) => r
            .events
            .iter()
            .map(|e| {
                (
                    e.fields.field(1).and_then(Data::as_u64).unwrap(),
                    e.fields.field(2).and_then(Data::as_u64).unwrap(),
                )
            })
            .collect(),
        other => panic!("{other:?}"),
    }
}

// [ACL-8] one subject with two entries: events are per subject, comparing its entries as a
// set, as in the table of 15-access-control.md.
#[test]
fn access_changed_events_are_per_subject() {
    const ADDED: u64 = 0;
    const CHANGED: u64 = 1;
    const REMOVED: u64 = 2;
    let mut f = fx();
    let admin = requester(1, HOME_A, ADMIN);
    let two = vec![
        admin_entry(HOME_A),
        entry(HOME_A, VIEWER, 1, Some(1)),
        entry(HOME_A, VIEWER, 2, Some(2)),
    ];
    let mut next = 1;
    let mut step = |f: &mut Fx, list: Vec<Data>| {
        assert_eq!(
            f.write(&admin, vec![(acl(), Data::List(list))]),
            [Status::SUCCESS]
        );
        let got = access_changes(f, &admin, next);
        next = f.device.next_event_number();
        got
    };
    assert_eq!(step(&mut f, two.clone()), [(VIEWER, ADDED)]);
    // The same entries in another order: nothing.
    let reordered = vec![
        admin_entry(HOME_A),
        entry(HOME_A, VIEWER, 2, Some(2)),
        entry(HOME_A, VIEWER, 1, Some(1)),
    ];
    assert_eq!(step(&mut f, reordered), []);
    // One of the two entries removed: one changed.
    let one = vec![admin_entry(HOME_A), entry(HOME_A, VIEWER, 1, Some(1))];
    assert_eq!(step(&mut f, one), [(VIEWER, CHANGED)]);
    // All removed, and a new subject added: added first (the written list), then removed.
    let other = vec![admin_entry(HOME_A), entry(HOME_A, 9, 1, None)];
    assert_eq!(step(&mut f, other), [(9, ADDED), (VIEWER, REMOVED)]);
}

// ---------------------------------------------------------------------------------------------
// [IM-84] subscriptions and timed windows do not survive a restart.

// [IM-84] a device that kept a session across a restart (same session number, homes and
// access control restored as a store keeps them) has no subscription and no timed window on
// it: unsubscribe answers invalid-subscription, a timed write timed-request-mismatch, and no
// report of the old subscription is ever sent.
#[test]
fn a_restart_ends_subscriptions_and_timed_windows() {
    let mut f = fx();
    let admin = requester(1, HOME_A, ADMIN);
    let subscription = f.subscribe(&admin, vec![current_level().path()]);
    let timed = f.send(&admin, Message::TimedRequest { timeout_ms: 10_000 });
    assert_eq!(status_of(&timed), Status::SUCCESS);
    let timed_exchange = f.exchange;

    // The restart: a new node from the same build, with what the device stores.
    let entries = f.device.access_control().entries().to_vec();
    let mut restarted = fx();
    restarted.device.restore_access_control(entries);
    restarted.exchange = f.exchange;
    let mut f = restarted;

    let timed_write = Envelope {
        exchange: timed_exchange,
        message: Message::WriteRequest(
            WriteRequest::new(vec![(current_level(), Data::Uint(80))]).timed(),
        ),
    }
    .to_bytes();
    assert_eq!(
        status_of(&f.send_raw(&admin, &timed_write)),
        Status::TIMED_REQUEST_MISMATCH
    );
    assert_eq!(f.device.attribute(current_level()), Some(&Data::Uint(50)));
    // A change that the old subscription would have reported, and a keep-alive time.
    f.write(&admin, vec![(current_level(), Data::Uint(90))]);
    let later = f.t0 + Duration::from_secs(3600);
    assert!(f.device.handle_timeout(later).is_empty());
    assert_eq!(
        status_of(&f.send(&admin, Message::Unsubscribe { subscription })),
        Status::INVALID_SUBSCRIPTION
    );
}

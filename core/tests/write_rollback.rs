//! A failed write entry or command leaves no trace in the attributes, and an atomic write is
//! applied all or nothing: `[IM-22]`, `[IM-24]`, `[IM-32]`. Driven through real sessions.
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
use orbit_core::device::{Behavior, Context, DeviceBuilder, DeviceInfo, DeviceNode, Endpoint};
use orbit_core::interaction::{
    AttributePath, ClientEvent, CommandPath, ConcreteAttribute, EventPath, ReadRequest,
    SubscribeRequest, WriteRequest,
};
use orbit_core::model::std_caps::{access_control, door_lock, level, on_off};
use orbit_core::model::{Data, EndpointId};
use orbit_core::status::Status;
use std::time::{Duration, Instant};

const LAMP: EndpointId = EndpointId(1);
const LOCK: EndpointId = EndpointId(2);
/// The level this device's own rules refuse, after they already changed something.
const REFUSED_LEVEL: u64 = 13;

/// A lamp whose level changes switch it on first, and refuse [`REFUSED_LEVEL`] only after
/// that; a lock whose unlock changes the state, records an error event, then fails.
struct Eager;

impl Behavior for Eager {
    fn write(
        &mut self,
        ctx: &mut Context<'_>,
        attr: ConcreteAttribute,
        value: &Data,
    ) -> Result<Data, Status> {
        if attr.attribute == level::attributes::CURRENT_LEVEL && attr.capability == level::ID {
            ctx.set(on_off::ID, on_off::attributes::ON, true)?;
            if value.as_u64() == Some(REFUSED_LEVEL) {
                return Err(Status::INVALID_IN_STATE);
            }
        }
        Ok(value.clone())
    }

    fn invoke(
        &mut self,
        ctx: &mut Context<'_>,
        cmd: CommandPath,
        args: &Data,
    ) -> Result<Data, Status> {
        match (cmd.capability, cmd.command) {
            (level::ID, level::commands::MOVE_TO_LEVEL) => {
                let l = args.field(0).and_then(Data::as_u64).unwrap_or(0);
                ctx.set(on_off::ID, on_off::attributes::ON, true)?;
                ctx.set(level::ID, level::attributes::CURRENT_LEVEL, l)?;
                if l == REFUSED_LEVEL {
                    return Err(Status::BUSY);
                }
                Ok(Data::Struct(vec![]))
            }
            (door_lock::ID, door_lock::commands::UNLOCK_DOOR) => {
                ctx.set(
                    door_lock::ID,
                    door_lock::attributes::LOCK_STATE,
                    u64::from(door_lock::attributes::lock_state_values::UNLOCKED),
                )?;
                ctx.emit(
                    door_lock::ID,
                    door_lock::events::LOCK_OPERATION_ERROR,
                    Data::Struct(vec![(0, Data::Uint(1)), (1, Data::Uint(0))]),
                )?;
                Err(Status::ACCESS_DENIED)
            }
            _ => Err(Status::UNSUPPORTED_COMMAND),
        }
    }
}

struct Fx {
    device: DeviceNode,
    admin: Session,
    t0: Instant,
}

fn fx() -> Fx {
    let t0 = Instant::now();
    let info = DeviceInfo {
        vendor_id: 0xFFF1,
        vendor_name: "Orbit test".into(),
        product_id: 2,
        product_name: "Eager lamp".into(),
        serial_number: "E-1".into(),
        hardware_version: "1".into(),
        firmware_version: "1".into(),
    };
    let mut device = DeviceBuilder::new(info)
        .endpoint(
            Endpoint::new(1, "lamp", Eager)
                .with(on_off::ID)
                .with(level::ID)
                .set(level::ID, level::attributes::CURRENT_LEVEL, 100u64),
        )
        .endpoint(Endpoint::new(2, "lock", Eager).with(door_lock::ID).set(
            door_lock::ID,
            door_lock::attributes::LOCK_STATE,
            u64::from(door_lock::attributes::lock_state_values::LOCKED),
        ))
        .build(t0)
        .unwrap();
    let mut home = Home::new(11);
    home.install(&mut device);
    let m = home.controller(ADMIN);
    let admin = open_session(&mut home, &m, t0);
    Fx { device, admin, t0 }
}

fn on() -> ConcreteAttribute {
    ConcreteAttribute::new(LAMP, on_off::ID, on_off::attributes::ON)
}

fn current_level() -> ConcreteAttribute {
    ConcreteAttribute::new(LAMP, level::ID, level::attributes::CURRENT_LEVEL)
}

fn lock_state() -> ConcreteAttribute {
    ConcreteAttribute::new(LOCK, door_lock::ID, door_lock::attributes::LOCK_STATE)
}

impl Fx {
    fn write(&mut self, request: WriteRequest) -> Vec<Status> {
        let (_, req) = self.admin.client.write(self.t0, request);
        match self.admin.round_trip(&mut self.device, self.t0, req).pop() {
            Some(ClientEvent::Written { statuses, .. }) => {
                statuses.into_iter().map(|p| p.status).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    fn invoke(&mut self, path: CommandPath, args: Data, timed: bool) -> Result<Data, Status> {
        let (_, req) = self.admin.client.invoke(self.t0, path, args, timed);
        match self.admin.round_trip(&mut self.device, self.t0, req).pop() {
            Some(ClientEvent::Invoked { result, .. }) => result,
            other => panic!("{other:?}"),
        }
    }

    fn value(&self, attr: ConcreteAttribute) -> Data {
        self.device.attribute(attr).cloned().unwrap()
    }

    /// Subscribes to every attribute of the lamp with no minimum interval, and returns the
    /// subscription's ID after taking its initial report.
    fn subscribe_lamp(&mut self) -> u32 {
        let (_, req) = self.admin.client.subscribe(
            self.t0,
            SubscribeRequest {
                attributes: vec![AttributePath::endpoint(LAMP)],
                min_interval_s: 0,
                max_interval_s: 60,
                ..Default::default()
            },
        );
        match self.admin.round_trip(&mut self.device, self.t0, req).pop() {
            Some(ClientEvent::Subscribed { subscription, .. }) => subscription,
            other => panic!("{other:?}"),
        }
    }

    /// The attributes the device reports one second later, before any keep-alive is due.
    fn reported_after_a_second(&mut self) -> Vec<(ConcreteAttribute, Data)> {
        let t = self.t0 + Duration::from_secs(1);
        let mut reported = Vec::new();
        for out in self.device.handle_timeout(t) {
            match self.admin.deliver(t, &out.bytes) {
                ClientEvent::Report { attributes, .. } => {
                    reported.extend(attributes.into_iter().map(|a| (a.path, a.result.unwrap())))
                }
                other => panic!("{other:?}"),
            }
        }
        reported
    }
}

#[test]
fn a_refused_entry_undoes_what_the_behaviour_changed_before_refusing() {
    // [IM-22] the behaviour switched the lamp on, then refused: the lamp stays off, no report
    // shows the switch, and the next entry of the same request still applies.
    let mut f = fx();
    f.subscribe_lamp();
    let statuses = f.write(WriteRequest::new(vec![
        (current_level(), Data::Uint(REFUSED_LEVEL)),
        (
            ConcreteAttribute::new(LAMP, level::ID, level::attributes::MIN_LEVEL),
            Data::Uint(1),
        ),
    ]));
    assert_eq!(
        statuses,
        [Status::INVALID_IN_STATE, Status::UNSUPPORTED_ACCESS]
    );
    assert_eq!(f.value(on()), Data::Bool(false));
    assert_eq!(f.value(current_level()), Data::Uint(100));
    assert_eq!(f.reported_after_a_second(), []);
    // The same side effect is kept when the entry succeeds, and reported.
    assert_eq!(
        f.write(WriteRequest::new(vec![(current_level(), Data::Uint(40))])),
        [Status::SUCCESS]
    );
    assert_eq!(f.value(on()), Data::Bool(true));
    let reported = f.reported_after_a_second();
    assert!(reported.contains(&(on(), Data::Bool(true))), "{reported:?}");
    assert!(reported.contains(&(current_level(), Data::Uint(40))));
}

#[test]
fn an_atomic_write_with_a_failing_entry_changes_nothing() {
    // [IM-24] the first two entries pass, the third breaks a constraint: all are undone, the
    // failed one carries its status and the others `aborted`, and no report shows any of it.
    let mut f = fx();
    f.subscribe_lamp();
    let statuses = f.write(
        WriteRequest::new(vec![
            (on(), Data::Bool(true)),
            (current_level(), Data::Uint(50)),
            (current_level(), Data::Uint(255)),
            (current_level(), Data::Uint(60)),
        ])
        .atomic(),
    );
    assert_eq!(
        statuses,
        [
            Status::ABORTED,
            Status::ABORTED,
            Status::CONSTRAINT_ERROR,
            Status::ABORTED
        ]
    );
    assert_eq!(f.value(on()), Data::Bool(false));
    assert_eq!(f.value(current_level()), Data::Uint(100));
    assert_eq!(f.reported_after_a_second(), []);
}

#[test]
fn an_atomic_write_undoes_a_refusal_by_the_device_rules_too() {
    // [IM-24] step 7 of [IM-21] failing aborts the whole write, including the entries before
    // it and what the behaviour changed for them.
    let mut f = fx();
    let statuses = f.write(
        WriteRequest::new(vec![
            (current_level(), Data::Uint(30)),
            (current_level(), Data::Uint(REFUSED_LEVEL)),
        ])
        .atomic(),
    );
    assert_eq!(statuses, [Status::ABORTED, Status::INVALID_IN_STATE]);
    assert_eq!(f.value(on()), Data::Bool(false));
    assert_eq!(f.value(current_level()), Data::Uint(100));
}

#[test]
fn an_atomic_write_whose_entries_all_pass_applies_them_all() {
    // [IM-24]
    let mut f = fx();
    f.subscribe_lamp();
    let statuses = f.write(
        WriteRequest::new(vec![
            (on(), Data::Bool(true)),
            (current_level(), Data::Uint(50)),
        ])
        .atomic(),
    );
    assert_eq!(statuses, [Status::SUCCESS, Status::SUCCESS]);
    assert_eq!(f.value(on()), Data::Bool(true));
    assert_eq!(f.value(current_level()), Data::Uint(50));
    let reported = f.reported_after_a_second();
    assert!(reported.contains(&(on(), Data::Bool(true))), "{reported:?}");
    assert!(reported.contains(&(current_level(), Data::Uint(50))));
}

#[test]
fn the_acl_cannot_be_written_atomically() {
    // [IM-24] [ACL-7] the ACL entry fails with unsupported-access and the other entry is
    // aborted; the same ACL value written plainly succeeds.
    let mut f = fx();
    let acl = ConcreteAttribute::new(
        EndpointId::ROOT,
        access_control::ID,
        access_control::attributes::ACL,
    );
    let (_, req) = f.admin.client.read(
        f.t0,
        ReadRequest {
            attributes: vec![acl.path()],
            ..Default::default()
        },
    );
    let Some(ClientEvent::ReadDone { attributes, .. }) =
        f.admin.round_trip(&mut f.device, f.t0, req).pop()
    else {
        panic!()
    };
    let current = attributes[0].result.clone().unwrap();
    let statuses =
        f.write(WriteRequest::new(vec![(on(), Data::Bool(true)), (acl, current.clone())]).atomic());
    assert_eq!(statuses, [Status::ABORTED, Status::UNSUPPORTED_ACCESS]);
    assert_eq!(f.value(on()), Data::Bool(false));
    assert_eq!(
        f.write(WriteRequest::new(vec![(acl, current)])),
        [Status::SUCCESS]
    );
}

#[test]
fn a_failed_command_changes_no_attribute_but_its_events_remain() {
    // [IM-32]
    let mut f = fx();
    let move_to = CommandPath::new(LAMP, level::ID, level::commands::MOVE_TO_LEVEL);
    let args = |l: u64| Data::Struct(vec![(0, Data::Uint(l))]);
    assert_eq!(
        f.invoke(move_to, args(REFUSED_LEVEL), false),
        Err(Status::BUSY)
    );
    assert_eq!(f.value(on()), Data::Bool(false));
    assert_eq!(f.value(current_level()), Data::Uint(100));
    assert_eq!(f.invoke(move_to, args(20), false), Ok(Data::Struct(vec![])));
    assert_eq!(f.value(on()), Data::Bool(true));
    assert_eq!(f.value(current_level()), Data::Uint(20));

    let unlock = CommandPath::new(LOCK, door_lock::ID, door_lock::commands::UNLOCK_DOOR);
    let first_event = f.device.next_event_number();
    assert_eq!(
        f.invoke(unlock, Data::Struct(vec![]), true),
        Err(Status::ACCESS_DENIED)
    );
    assert_eq!(
        f.value(lock_state()),
        Data::Uint(door_lock::attributes::lock_state_values::LOCKED.into())
    );
    let (_, req) = f.admin.client.read(
        f.t0,
        ReadRequest {
            events: vec![EventPath::ALL],
            ..Default::default()
        },
    );
    let Some(ClientEvent::ReadDone { events, .. }) =
        f.admin.round_trip(&mut f.device, f.t0, req).pop()
    else {
        panic!()
    };
    let error = events
        .iter()
        .find(|e| e.number >= first_event)
        .expect("the lock-operation-error event stays");
    assert_eq!(error.event, door_lock::events::LOCK_OPERATION_ERROR);
}

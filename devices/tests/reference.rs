//! Drives every reference device in memory through a real SIGMA session: every request and
//! answer is sealed by one side's protector and opened by the other's, as a transport carries
//! them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../core/tests/interaction/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::{open_session, Home, Session, ADMIN};
use orbit_core::codec::CborMessage;
use orbit_core::device::DeviceNode;
use orbit_core::interaction::{
    AttributePath, CommandPath, ConcreteAttribute, Envelope, EventPath, EventRecord, InvokeRequest,
    Message, ReadRequest, WriteRequest,
};
use orbit_core::model::std_caps::{
    basic_information, battery, color, door_lock, humidity_sensor, level, on_off, power_meter,
    temperature_sensor, thermostat,
};
use orbit_core::model::{
    AttributeId, CapabilityId, CommandId, Data, Descriptor, EndpointId, FieldId,
};
use orbit_core::status::Status;
use orbit_devices::{lamp, lock, sensor, strip, thermostat as tstat, Kind};
use std::time::{Duration, Instant};

/// A device, its home, and the administrator's session with it.
struct Bench {
    node: DeviceNode,
    now: Instant,
    home: Home,
    session: Session,
    exchange: u32,
}

fn args(fields: Vec<(FieldId, Data)>) -> Data {
    Data::structure(fields.into_iter().map(|(f, v)| (f.0, v)).collect())
}

fn no_args() -> Data {
    Data::Struct(Vec::new())
}

impl Bench {
    fn new(node: DeviceNode, now: Instant) -> Self {
        let mut node = node;
        let mut home = Home::new(0x1111);
        home.install(&mut node);
        let session = Bench::open(&mut home, ADMIN, now);
        Bench {
            node,
            now,
            home,
            session,
            exchange: 0,
        }
    }

    /// A session of node `node` of the home (which need not be in the device's ACL).
    fn open(home: &mut Home, node: u64, now: Instant) -> Session {
        let member = home.controller(node);
        open_session(home, &member, now)
    }

    /// Continues as node `node` of the same home, on a new session.
    fn switch_to(&mut self, node: u64) {
        self.session = Bench::open(&mut self.home, node, self.now);
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    fn next_exchange(&mut self) -> u32 {
        self.exchange += 1;
        self.exchange
    }

    /// Sends one message on `exchange` and decodes every answer (all must echo the exchange).
    fn send_on(&mut self, exchange: u32, message: Message) -> Vec<Message> {
        let bytes = Envelope { exchange, message }.to_bytes();
        let at_device = self.session.carry_to_device(&bytes);
        let answers = self
            .node
            .handle(self.now, &self.session.requester, &at_device);
        answers
            .iter()
            .map(|sealed| {
                let b = self.session.carry_to_phone(sealed);
                let env = Envelope::decode(&b).expect("device answer decodes");
                assert_eq!(env.exchange, exchange);
                env.message
            })
            .collect()
    }

    fn send(&mut self, message: Message) -> Vec<Message> {
        let exchange = self.next_exchange();
        self.send_on(exchange, message)
    }

    fn invoke_request(
        &mut self,
        exchange: u32,
        ep: u16,
        cap: CapabilityId,
        cmd: CommandId,
        args: Data,
        timed: bool,
    ) -> Result<Data, Status> {
        let answers = self.send_on(
            exchange,
            Message::InvokeRequest(InvokeRequest {
                path: CommandPath::new(EndpointId(ep), cap, cmd),
                args,
                timed,
            }),
        );
        match answers.as_slice() {
            [Message::InvokeResponse(r)] => r.clone(),
            other => panic!("unexpected answer {other:?}"),
        }
    }

    fn invoke(
        &mut self,
        ep: u16,
        cap: CapabilityId,
        cmd: CommandId,
        args: Data,
    ) -> Result<Data, Status> {
        let exchange = self.next_exchange();
        self.invoke_request(exchange, ep, cap, cmd, args, false)
    }

    /// A timed request followed by the timed invoke on the same exchange.
    fn invoke_timed(
        &mut self,
        ep: u16,
        cap: CapabilityId,
        cmd: CommandId,
        args: Data,
    ) -> Result<Data, Status> {
        let exchange = self.next_exchange();
        let answers = self.send_on(exchange, Message::TimedRequest { timeout_ms: 1000 });
        assert_eq!(answers, vec![Message::StatusResponse(Status::SUCCESS)]);
        self.invoke_request(exchange, ep, cap, cmd, args, true)
    }

    fn write(&mut self, ep: u16, cap: CapabilityId, attr: AttributeId, value: Data) -> Status {
        let path = ConcreteAttribute::new(EndpointId(ep), cap, attr);
        let answers = self.send(Message::WriteRequest(WriteRequest::new(vec![(
            path, value,
        )])));
        match answers.as_slice() {
            [Message::WriteResponse(statuses)] => {
                assert_eq!(statuses.len(), 1);
                assert_eq!(statuses[0].path, path);
                statuses[0].status
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }

    fn read(&mut self, ep: u16, cap: CapabilityId, attr: AttributeId) -> Result<Data, Status> {
        let path = ConcreteAttribute::new(EndpointId(ep), cap, attr);
        let answers = self.send(Message::ReadRequest(ReadRequest {
            attributes: vec![AttributePath::concrete(EndpointId(ep), cap, attr)],
            events: Vec::new(),
            event_min: None,
        }));
        match answers.as_slice() {
            [Message::Report(r)] => {
                assert_eq!(r.attributes.len(), 1);
                assert_eq!(r.attributes[0].path, path);
                r.attributes[0].result.clone()
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }

    fn read_u64(&mut self, ep: u16, cap: CapabilityId, attr: AttributeId) -> u64 {
        self.read(ep, cap, attr).unwrap().as_u64().unwrap()
    }

    fn read_i64(&mut self, ep: u16, cap: CapabilityId, attr: AttributeId) -> i64 {
        self.read(ep, cap, attr).unwrap().as_i64().unwrap()
    }

    fn read_bool(&mut self, ep: u16, cap: CapabilityId, attr: AttributeId) -> bool {
        self.read(ep, cap, attr).unwrap().as_bool().unwrap()
    }

    /// Every buffered event of the application endpoints visible to the controller, checked
    /// to be in ascending order.
    fn events(&mut self) -> Vec<EventRecord> {
        let answers = self.send(Message::ReadRequest(ReadRequest {
            attributes: Vec::new(),
            events: vec![EventPath::ALL],
            event_min: None,
        }));
        let mut events = Vec::new();
        for a in answers {
            match a {
                Message::Report(r) => events.extend(r.events),
                other => panic!("unexpected answer {other:?}"),
            }
        }
        assert!(
            events.windows(2).all(|w| w[0].number < w[1].number),
            "event numbers ascend: {:?}",
            events.iter().map(|e| e.number).collect::<Vec<_>>()
        );
        // [IM-50] the root endpoint's start-up event comes first, recorded when the device
        // was built; the tests below look at what the application endpoints record.
        assert!(events
            .iter()
            .filter(|e| e.endpoint == EndpointId::ROOT)
            .all(|e| {
                e.number == 1
                    && e.capability == orbit_core::model::std_caps::basic_information::ID
                    && e.event == orbit_core::model::std_caps::basic_information::events::START_UP
            }));
        events.retain(|e| e.endpoint != EndpointId::ROOT);
        events
    }
}

fn field_u64(e: &EventRecord, f: FieldId) -> Option<u64> {
    e.fields.field(f.0).and_then(Data::as_u64)
}

// ---------------------------------------------------------------------------------------------
// Common

// [DM-47] vendor-id and product-id equal the descriptor's; the values the builder was given.
#[test]
fn kinds_names_and_basic_information() {
    let now = Instant::now();
    assert_eq!(Kind::ALL.len(), 5);
    let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(names, ["lamp", "thermostat", "lock", "sensor", "strip"]);
    for (i, kind) in Kind::ALL.into_iter().enumerate() {
        assert_eq!(kind.name().parse::<Kind>(), Ok(kind));
        assert_eq!(kind.to_string(), kind.name());
        let node = kind.build(now, "SN-1").unwrap();
        let d = node.descriptor();
        assert_eq!(d.vendor_id, 0xFFF1);
        assert_eq!(d.product_id, 0x8001 + i as u16);
        assert_eq!(kind.product_id(), d.product_id);
        let mut bench = Bench::new(node, now);
        let bi = basic_information::attributes::FIRMWARE_VERSION;
        assert_eq!(
            bench.read(0, basic_information::ID, bi),
            Ok(Data::Text("1.0.0".into()))
        );
        assert_eq!(
            bench.read(
                0,
                basic_information::ID,
                basic_information::attributes::SERIAL_NUMBER
            ),
            Ok(Data::Text("SN-1".into()))
        );
        assert_eq!(
            bench.read_u64(
                0,
                basic_information::ID,
                basic_information::attributes::VENDOR_ID
            ),
            0xFFF1
        );
    }
    assert!("toaster".parse::<Kind>().is_err());
    assert!("Lamp".parse::<Kind>().is_err());
}

// [DM-44] every reference descriptor fits a describe-response and decodes to itself.
#[test]
fn descriptors_fit_and_round_trip() {
    let now = Instant::now();
    for kind in Kind::ALL {
        let node = kind.build(now, "SN-1").unwrap();
        let descriptor = node.descriptor();
        let bytes = descriptor.to_bytes();
        assert!(
            bytes.len() <= 4096,
            "{} descriptor is {} bytes",
            kind.name(),
            bytes.len()
        );
        assert_eq!(
            Descriptor::decode(&bytes),
            Ok(descriptor),
            "{}",
            kind.name()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Lamp

// [DM-49] off, on and toggle set and invert `on`.
#[test]
fn lamp_on_off_commands() {
    let now = Instant::now();
    let mut b = Bench::new(lamp::build(now, "L1").unwrap(), now);
    let ep = lamp::ENDPOINT;
    assert!(!b.read_bool(ep, on_off::ID, on_off::attributes::ON));
    assert_eq!(
        b.invoke(ep, on_off::ID, on_off::commands::ON, no_args()),
        Ok(no_args())
    );
    assert!(b.read_bool(ep, on_off::ID, on_off::attributes::ON));
    assert_eq!(
        b.invoke(ep, on_off::ID, on_off::commands::TOGGLE, no_args()),
        Ok(no_args())
    );
    assert!(!b.read_bool(ep, on_off::ID, on_off::attributes::ON));
    b.invoke(ep, on_off::ID, on_off::commands::TOGGLE, no_args())
        .unwrap();
    assert!(b.read_bool(ep, on_off::ID, on_off::attributes::ON));
    b.invoke(ep, on_off::ID, on_off::commands::OFF, no_args())
        .unwrap();
    assert!(!b.read_bool(ep, on_off::ID, on_off::attributes::ON));
    // on-with-timed-off belongs to a feature the lamp lacks.
    assert_eq!(
        b.invoke(
            ep,
            on_off::ID,
            on_off::commands::ON_WITH_TIMED_OFF,
            args(vec![(
                on_off::commands::on_with_timed_off_args::SECONDS,
                5u64.into()
            )])
        ),
        Err(Status::UNSUPPORTED_COMMAND)
    );
    // Writes of `on`.
    assert_eq!(
        b.write(ep, on_off::ID, on_off::attributes::ON, true.into()),
        Status::SUCCESS
    );
    assert!(b.read_bool(ep, on_off::ID, on_off::attributes::ON));
    assert_eq!(
        b.write(ep, on_off::ID, on_off::attributes::ON, 1u64.into()),
        Status::INVALID_DATA_TYPE
    );
}

// [DM-50] writes and move-to-level clamp to min-level..=max-level; step stops at the bounds.
#[test]
fn lamp_level_commands_clamp() {
    use level::commands::{move_to_level_args as mt, step_args as st};
    let now = Instant::now();
    let mut b = Bench::new(lamp::build(now, "L1").unwrap(), now);
    let ep = lamp::ENDPOINT;
    let cur = level::attributes::CURRENT_LEVEL;
    assert_eq!(b.read_u64(ep, level::ID, cur), 254);
    assert_eq!(b.read_u64(ep, level::ID, level::attributes::MIN_LEVEL), 1);
    b.invoke(
        ep,
        level::ID,
        level::commands::MOVE_TO_LEVEL,
        args(vec![(mt::LEVEL, 100u64.into())]),
    )
    .unwrap();
    assert_eq!(b.read_u64(ep, level::ID, cur), 100);
    // Transition time is applied instantly.
    b.invoke(
        ep,
        level::ID,
        level::commands::MOVE_TO_LEVEL,
        args(vec![
            (mt::LEVEL, 120u64.into()),
            (mt::TRANSITION_TIME, 5000u64.into()),
        ]),
    )
    .unwrap();
    assert_eq!(b.read_u64(ep, level::ID, cur), 120);
    // 0 is below min-level: clamped to 1.
    b.invoke(
        ep,
        level::ID,
        level::commands::MOVE_TO_LEVEL,
        args(vec![(mt::LEVEL, 0u64.into())]),
    )
    .unwrap();
    assert_eq!(b.read_u64(ep, level::ID, cur), 1);
    let step = |dir: u8, size: u64| {
        args(vec![
            (st::DIRECTION, dir.into()),
            (st::STEP_SIZE, size.into()),
        ])
    };
    b.invoke(
        ep,
        level::ID,
        level::commands::STEP,
        step(st::direction_values::UP, 99),
    )
    .unwrap();
    assert_eq!(b.read_u64(ep, level::ID, cur), 100);
    b.invoke(
        ep,
        level::ID,
        level::commands::STEP,
        step(st::direction_values::UP, 200),
    )
    .unwrap();
    assert_eq!(b.read_u64(ep, level::ID, cur), 254, "stops at max-level");
    b.invoke(
        ep,
        level::ID,
        level::commands::STEP,
        step(st::direction_values::DOWN, 10),
    )
    .unwrap();
    assert_eq!(b.read_u64(ep, level::ID, cur), 244);
    b.invoke(
        ep,
        level::ID,
        level::commands::STEP,
        step(st::direction_values::DOWN, 254),
    )
    .unwrap();
    assert_eq!(b.read_u64(ep, level::ID, cur), 1, "stops at min-level");
    // Arguments outside their types.
    assert_eq!(
        b.invoke(ep, level::ID, level::commands::STEP, step(2, 1)),
        Err(Status::CONSTRAINT_ERROR)
    );
    assert_eq!(
        b.invoke(
            ep,
            level::ID,
            level::commands::MOVE_TO_LEVEL,
            args(vec![(mt::LEVEL, 255u64.into())])
        ),
        Err(Status::CONSTRAINT_ERROR)
    );
    // Writes: inside the type but below min-level is clamped; outside the type is refused.
    assert_eq!(b.write(ep, level::ID, cur, 77u64.into()), Status::SUCCESS);
    assert_eq!(b.read_u64(ep, level::ID, cur), 77);
    assert_eq!(b.write(ep, level::ID, cur, 0u64.into()), Status::SUCCESS);
    assert_eq!(b.read_u64(ep, level::ID, cur), 1);
    assert_eq!(
        b.write(ep, level::ID, cur, 255u64.into()),
        Status::CONSTRAINT_ERROR
    );
    assert_eq!(b.read_u64(ep, level::ID, cur), 1);
    assert_eq!(
        b.write(ep, level::ID, level::attributes::MAX_LEVEL, 100u64.into()),
        Status::UNSUPPORTED_ACCESS
    );
}

// [DM-51] writes and commands set color-mode; color temperatures clamp to their range.
#[test]
fn lamp_color_commands_and_writes() {
    use color::attributes::{self as ca, color_mode_values as mode};
    use color::commands::{
        move_to_color_temperature_args as ct, move_to_hue_saturation_args as hs,
    };
    let now = Instant::now();
    let mut b = Bench::new(lamp::build(now, "L1").unwrap(), now);
    let ep = lamp::ENDPOINT;
    assert_eq!(
        b.read_u64(ep, color::ID, ca::COLOR_MODE),
        u64::from(mode::COLOR_TEMPERATURE)
    );
    assert_eq!(b.read_u64(ep, color::ID, ca::COLOR_TEMPERATURE_MAX), 370);
    b.invoke(
        ep,
        color::ID,
        color::commands::MOVE_TO_HUE_SATURATION,
        args(vec![
            (hs::HUE, 120u64.into()),
            (hs::SATURATION, 80u64.into()),
            (hs::TRANSITION_TIME, 400u64.into()),
        ]),
    )
    .unwrap();
    assert_eq!(b.read_u64(ep, color::ID, ca::HUE), 120);
    assert_eq!(b.read_u64(ep, color::ID, ca::SATURATION), 80);
    assert_eq!(
        b.read_u64(ep, color::ID, ca::COLOR_MODE),
        u64::from(mode::HUE_SATURATION)
    );
    // 450 mireds is warmer than the lamp can go: clamped to color-temperature-max.
    b.invoke(
        ep,
        color::ID,
        color::commands::MOVE_TO_COLOR_TEMPERATURE,
        args(vec![(ct::MIREDS, 450u64.into())]),
    )
    .unwrap();
    assert_eq!(b.read_u64(ep, color::ID, ca::COLOR_TEMPERATURE), 370);
    assert_eq!(
        b.read_u64(ep, color::ID, ca::COLOR_MODE),
        u64::from(mode::COLOR_TEMPERATURE)
    );
    b.invoke(
        ep,
        color::ID,
        color::commands::MOVE_TO_COLOR_TEMPERATURE,
        args(vec![(ct::MIREDS, 200u64.into())]),
    )
    .unwrap();
    assert_eq!(b.read_u64(ep, color::ID, ca::COLOR_TEMPERATURE), 200);
    assert_eq!(
        b.invoke(
            ep,
            color::ID,
            color::commands::MOVE_TO_COLOR_TEMPERATURE,
            args(vec![(ct::MIREDS, 100u64.into())]),
        ),
        Err(Status::CONSTRAINT_ERROR)
    );
    // Writing hue switches the mode to hue-saturation.
    assert_eq!(
        b.write(ep, color::ID, ca::HUE, 240u64.into()),
        Status::SUCCESS
    );
    assert_eq!(b.read_u64(ep, color::ID, ca::HUE), 240);
    assert_eq!(
        b.read_u64(ep, color::ID, ca::COLOR_MODE),
        u64::from(mode::HUE_SATURATION)
    );
    // Writing color-temperature clamps and switches back.
    assert_eq!(
        b.write(ep, color::ID, ca::COLOR_TEMPERATURE, 480u64.into()),
        Status::SUCCESS
    );
    assert_eq!(b.read_u64(ep, color::ID, ca::COLOR_TEMPERATURE), 370);
    assert_eq!(
        b.read_u64(ep, color::ID, ca::COLOR_MODE),
        u64::from(mode::COLOR_TEMPERATURE)
    );
    // Invalid writes change nothing, not even the mode.
    assert_eq!(
        b.write(ep, color::ID, ca::HUE, 360u64.into()),
        Status::CONSTRAINT_ERROR
    );
    assert_eq!(
        b.write(ep, color::ID, ca::SATURATION, 101u64.into()),
        Status::CONSTRAINT_ERROR
    );
    assert_eq!(
        b.write(ep, color::ID, ca::COLOR_TEMPERATURE, 600u64.into()),
        Status::CONSTRAINT_ERROR
    );
    assert_eq!(b.read_u64(ep, color::ID, ca::HUE), 240);
    assert_eq!(b.read_u64(ep, color::ID, ca::COLOR_TEMPERATURE), 370);
    assert_eq!(
        b.read_u64(ep, color::ID, ca::COLOR_MODE),
        u64::from(mode::COLOR_TEMPERATURE)
    );
    assert_eq!(
        b.write(ep, color::ID, ca::COLOR_MODE, 0u64.into()),
        Status::UNSUPPORTED_ACCESS
    );
}

// ---------------------------------------------------------------------------------------------
// Thermostat

// [DM-52] the 250 deadband and the modes the features allow.
#[test]
fn thermostat_deadband_and_writes() {
    use thermostat::attributes::{
        self as ta, running_state_values as run, system_mode_values as m,
    };
    let now = Instant::now();
    let mut b = Bench::new(tstat::build(now, "T1").unwrap(), now);
    let ep = tstat::ENDPOINT;
    let heat = ta::OCCUPIED_HEATING_SETPOINT;
    let cool = ta::OCCUPIED_COOLING_SETPOINT;
    assert_eq!(b.read_i64(ep, thermostat::ID, heat), 2000);
    assert_eq!(b.read_i64(ep, thermostat::ID, cool), 2600);
    assert_eq!(b.read_i64(ep, thermostat::ID, ta::LOCAL_TEMPERATURE), 2100);
    // 2400 is within the type but only 200 below cooling.
    assert_eq!(
        b.write(ep, thermostat::ID, heat, 2400i64.into()),
        Status::CONSTRAINT_ERROR
    );
    assert_eq!(b.read_i64(ep, thermostat::ID, heat), 2000);
    // Exactly 250 below is fine.
    assert_eq!(
        b.write(ep, thermostat::ID, heat, 2350i64.into()),
        Status::SUCCESS
    );
    assert_eq!(b.read_i64(ep, thermostat::ID, heat), 2350);
    assert_eq!(
        b.write(ep, thermostat::ID, cool, 2500i64.into()),
        Status::CONSTRAINT_ERROR
    );
    assert_eq!(b.read_i64(ep, thermostat::ID, cool), 2600);
    assert_eq!(
        b.write(ep, thermostat::ID, cool, 2700i64.into()),
        Status::SUCCESS
    );
    assert_eq!(b.read_i64(ep, thermostat::ID, cool), 2700);
    // Outside the registry types.
    assert_eq!(
        b.write(ep, thermostat::ID, heat, 3500i64.into()),
        Status::CONSTRAINT_ERROR
    );
    assert_eq!(
        b.write(ep, thermostat::ID, cool, 1500i64.into()),
        Status::CONSTRAINT_ERROR
    );
    assert_eq!(
        b.write(ep, thermostat::ID, ta::SYSTEM_MODE, 4u64.into()),
        Status::CONSTRAINT_ERROR
    );
    assert_eq!(
        b.write(ep, thermostat::ID, ta::RUNNING_STATE, 1u64.into()),
        Status::UNSUPPORTED_ACCESS
    );
    assert_eq!(
        b.write(ep, thermostat::ID, ta::LOCAL_TEMPERATURE, 1000i64.into()),
        Status::UNSUPPORTED_ACCESS
    );
    assert_eq!(
        b.read_u64(ep, thermostat::ID, ta::SYSTEM_MODE),
        u64::from(m::OFF)
    );
    assert_eq!(
        b.read_u64(ep, thermostat::ID, ta::RUNNING_STATE),
        u64::from(run::IDLE)
    );
}

// [DM-52] setpoint-raise-lower clamps each setpoint and keeps the deadband.
#[test]
fn thermostat_setpoint_raise_lower() {
    use thermostat::attributes as ta;
    use thermostat::commands::{setpoint_raise_lower_args as a, SETPOINT_RAISE_LOWER};
    let now = Instant::now();
    let mut b = Bench::new(tstat::build(now, "T1").unwrap(), now);
    let ep = tstat::ENDPOINT;
    let heat = ta::OCCUPIED_HEATING_SETPOINT;
    let cool = ta::OCCUPIED_COOLING_SETPOINT;
    let rl = |mode: u8, amount: i64| args(vec![(a::MODE, mode.into()), (a::AMOUNT, amount.into())]);
    b.invoke(
        ep,
        thermostat::ID,
        SETPOINT_RAISE_LOWER,
        rl(a::mode_values::HEAT, 300),
    )
    .unwrap();
    assert_eq!(b.read_i64(ep, thermostat::ID, heat), 2300);
    // 2300 + 100 = 2400 would leave only 200: refused, nothing changes.
    assert_eq!(
        b.invoke(
            ep,
            thermostat::ID,
            SETPOINT_RAISE_LOWER,
            rl(a::mode_values::HEAT, 100)
        ),
        Err(Status::CONSTRAINT_ERROR)
    );
    assert_eq!(b.read_i64(ep, thermostat::ID, heat), 2300);
    assert_eq!(
        b.invoke(
            ep,
            thermostat::ID,
            SETPOINT_RAISE_LOWER,
            rl(a::mode_values::COOL, -100)
        ),
        Err(Status::CONSTRAINT_ERROR)
    );
    assert_eq!(b.read_i64(ep, thermostat::ID, cool), 2600);
    // Both move together, keeping the gap.
    b.invoke(
        ep,
        thermostat::ID,
        SETPOINT_RAISE_LOWER,
        rl(a::mode_values::BOTH, 500),
    )
    .unwrap();
    assert_eq!(b.read_i64(ep, thermostat::ID, heat), 2800);
    assert_eq!(b.read_i64(ep, thermostat::ID, cool), 3100);
    // Cooling clamps to 3200 and heating to 3000 (gap 200): refused as a whole.
    assert_eq!(
        b.invoke(
            ep,
            thermostat::ID,
            SETPOINT_RAISE_LOWER,
            rl(a::mode_values::BOTH, 300)
        ),
        Err(Status::CONSTRAINT_ERROR)
    );
    assert_eq!(b.read_i64(ep, thermostat::ID, heat), 2800);
    // Cooling alone clamps to its maximum.
    b.invoke(
        ep,
        thermostat::ID,
        SETPOINT_RAISE_LOWER,
        rl(a::mode_values::COOL, 500),
    )
    .unwrap();
    assert_eq!(b.read_i64(ep, thermostat::ID, cool), 3200);
    // Heating clamps to its minimum.
    assert_eq!(
        b.write(ep, thermostat::ID, heat, 900i64.into()),
        Status::SUCCESS
    );
    b.invoke(
        ep,
        thermostat::ID,
        SETPOINT_RAISE_LOWER,
        rl(a::mode_values::HEAT, -500),
    )
    .unwrap();
    assert_eq!(b.read_i64(ep, thermostat::ID, heat), 700);
    // Argument checks by the SDK.
    assert_eq!(
        b.invoke(
            ep,
            thermostat::ID,
            SETPOINT_RAISE_LOWER,
            rl(a::mode_values::HEAT, 600)
        ),
        Err(Status::CONSTRAINT_ERROR)
    );
    assert_eq!(
        b.invoke(ep, thermostat::ID, SETPOINT_RAISE_LOWER, rl(3, 100)),
        Err(Status::CONSTRAINT_ERROR)
    );
    assert_eq!(
        b.invoke(
            ep,
            thermostat::ID,
            SETPOINT_RAISE_LOWER,
            args(vec![(a::MODE, 0u64.into())])
        ),
        Err(Status::INVALID_DATA_TYPE)
    );
}

#[test]
fn thermostat_running_state_follows_every_change() {
    use thermostat::attributes::{
        self as ta, running_state_values as run, system_mode_values as m,
    };
    use thermostat::commands::{setpoint_raise_lower_args as a, SETPOINT_RAISE_LOWER};
    let now = Instant::now();
    let mut b = Bench::new(tstat::build(now, "T1").unwrap(), now);
    let ep = tstat::ENDPOINT;
    let state = |b: &mut Bench| b.read_u64(ep, thermostat::ID, ta::RUNNING_STATE);
    // Off: idle whatever the temperature.
    tstat::set_local_temperature(&mut b.node, b.now, 1500).unwrap();
    assert_eq!(state(&mut b), u64::from(run::IDLE));
    assert_eq!(
        b.write(ep, thermostat::ID, ta::SYSTEM_MODE, m::HEAT.into()),
        Status::SUCCESS
    );
    assert_eq!(state(&mut b), u64::from(run::HEATING));
    tstat::set_local_temperature(&mut b.node, b.now, 2050).unwrap();
    assert_eq!(b.read_i64(ep, thermostat::ID, ta::LOCAL_TEMPERATURE), 2050);
    assert_eq!(state(&mut b), u64::from(run::IDLE));
    // Raising the heating setpoint above the temperature starts heating.
    b.invoke(
        ep,
        thermostat::ID,
        SETPOINT_RAISE_LOWER,
        args(vec![
            (a::MODE, a::mode_values::HEAT.into()),
            (a::AMOUNT, 100i64.into()),
        ]),
    )
    .unwrap();
    assert_eq!(state(&mut b), u64::from(run::HEATING));
    // Lowering it by a write stops it.
    assert_eq!(
        b.write(
            ep,
            thermostat::ID,
            ta::OCCUPIED_HEATING_SETPOINT,
            2000i64.into()
        ),
        Status::SUCCESS
    );
    assert_eq!(state(&mut b), u64::from(run::IDLE));
    // Heat mode never cools.
    tstat::set_local_temperature(&mut b.node, b.now, 3000).unwrap();
    assert_eq!(state(&mut b), u64::from(run::IDLE));
    assert_eq!(
        b.write(ep, thermostat::ID, ta::SYSTEM_MODE, m::COOL.into()),
        Status::SUCCESS
    );
    assert_eq!(state(&mut b), u64::from(run::COOLING));
    assert_eq!(
        b.write(
            ep,
            thermostat::ID,
            ta::OCCUPIED_COOLING_SETPOINT,
            3100i64.into()
        ),
        Status::SUCCESS
    );
    assert_eq!(state(&mut b), u64::from(run::IDLE));
    assert_eq!(
        b.write(ep, thermostat::ID, ta::SYSTEM_MODE, m::AUTO.into()),
        Status::SUCCESS
    );
    tstat::set_local_temperature(&mut b.node, b.now, 3150).unwrap();
    assert_eq!(state(&mut b), u64::from(run::COOLING));
    tstat::set_local_temperature(&mut b.node, b.now, 1800).unwrap();
    assert_eq!(state(&mut b), u64::from(run::HEATING));
    tstat::set_local_temperature(&mut b.node, b.now, 2500).unwrap();
    assert_eq!(state(&mut b), u64::from(run::IDLE));
    tstat::set_local_temperature(&mut b.node, b.now, 1800).unwrap();
    assert_eq!(
        b.write(ep, thermostat::ID, ta::SYSTEM_MODE, m::OFF.into()),
        Status::SUCCESS
    );
    assert_eq!(state(&mut b), u64::from(run::IDLE));
}

// ---------------------------------------------------------------------------------------------
// Lock

fn pin_args(pin: &[u8]) -> Data {
    args(vec![(
        door_lock::commands::unlock_door_args::PIN,
        Data::Bytes(pin.to_vec()),
    )])
}

fn lock_state(b: &mut Bench) -> u64 {
    b.read_u64(
        lock::ENDPOINT,
        door_lock::ID,
        door_lock::attributes::LOCK_STATE,
    )
}

// [DM-55] successful commands set lock-state and record lock-operation.
#[test]
fn lock_commands_are_timed_and_emit_events() {
    use door_lock::attributes::lock_state_values as ls;
    use door_lock::commands::{LOCK_DOOR, UNLOCK_DOOR};
    use door_lock::events::{lock_operation_fields as f, LOCK_OPERATION};
    let now = Instant::now();
    let mut b = Bench::new(lock::build(now, "D1").unwrap(), now);
    let ep = lock::ENDPOINT;
    assert_eq!(lock_state(&mut b), u64::from(ls::LOCKED));
    assert!(b.read_bool(ep, door_lock::ID, door_lock::attributes::ACTUATOR_ENABLED));
    // Without a timed request.
    assert_eq!(
        b.invoke(ep, door_lock::ID, UNLOCK_DOOR, no_args()),
        Err(Status::NEEDS_TIMED_INTERACTION)
    );
    // Claiming to be timed without a window.
    let exchange = b.next_exchange();
    assert_eq!(
        b.invoke_request(exchange, ep, door_lock::ID, UNLOCK_DOOR, no_args(), true),
        Err(Status::TIMED_REQUEST_MISMATCH)
    );
    // A window on another exchange does not count.
    let other = b.next_exchange();
    b.send_on(other, Message::TimedRequest { timeout_ms: 1000 });
    let exchange = b.next_exchange();
    assert_eq!(
        b.invoke_request(exchange, ep, door_lock::ID, UNLOCK_DOOR, no_args(), true),
        Err(Status::TIMED_REQUEST_MISMATCH)
    );
    // An expired window.
    let exchange = b.next_exchange();
    b.send_on(exchange, Message::TimedRequest { timeout_ms: 1000 });
    b.advance(Duration::from_millis(1001));
    assert_eq!(
        b.invoke_request(exchange, ep, door_lock::ID, UNLOCK_DOOR, no_args(), true),
        Err(Status::TIMED_REQUEST_MISMATCH)
    );
    assert_eq!(lock_state(&mut b), u64::from(ls::LOCKED));
    assert!(b.events().is_empty());
    // Properly timed.
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, no_args()),
        Ok(no_args())
    );
    assert_eq!(lock_state(&mut b), u64::from(ls::UNLOCKED));
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, LOCK_DOOR, no_args()),
        Ok(no_args())
    );
    assert_eq!(lock_state(&mut b), u64::from(ls::LOCKED));
    let events = b.events();
    assert_eq!(events.len(), 2);
    for (e, op) in events
        .iter()
        .zip([f::operation_values::UNLOCK, f::operation_values::LOCK])
    {
        assert_eq!(e.endpoint, EndpointId(ep));
        assert_eq!(e.capability, door_lock::ID);
        assert_eq!(e.event, LOCK_OPERATION);
        assert_eq!(field_u64(e, f::OPERATION), Some(op.into()));
        assert_eq!(
            field_u64(e, f::SOURCE),
            Some(f::source_values::REMOTE.into())
        );
        assert_eq!(field_u64(e, f::NODE_ID), Some(ADMIN));
        assert_eq!(field_u64(e, f::HOME_ID), Some(b.home.id()));
    }
    // A PIN is checked whenever one is given, even if not required.
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, pin_args(b"0000")),
        Err(Status::ACCESS_DENIED)
    );
    assert_eq!(lock_state(&mut b), u64::from(ls::LOCKED));
}

// [DM-55] PIN checks, the failure count and the 60-second lockout.
#[test]
fn lock_pin_success_failure_and_lockout() {
    use door_lock::attributes::lock_state_values as ls;
    use door_lock::commands::{LOCK_DOOR, UNLOCK_DOOR};
    use door_lock::events::{
        lock_operation_error_fields as ef, LOCK_OPERATION, LOCK_OPERATION_ERROR,
    };
    let now = Instant::now();
    let mut b = Bench::new(lock::build_with_pin(now, "D2", b"1234").unwrap(), now);
    let ep = lock::ENDPOINT;
    assert!(b.read_bool(
        ep,
        door_lock::ID,
        door_lock::attributes::REQUIRE_PIN_FOR_REMOTE
    ));
    assert_eq!(
        b.read_u64(ep, door_lock::ID, door_lock::attributes::MAX_PIN_ATTEMPTS),
        5
    );
    // Missing and wrong PINs.
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, no_args()),
        Err(Status::ACCESS_DENIED)
    );
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, pin_args(b"4321")),
        Err(Status::ACCESS_DENIED)
    );
    assert_eq!(lock_state(&mut b), u64::from(ls::LOCKED));
    // The right PIN works and resets the count.
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, pin_args(b"1234")),
        Ok(no_args())
    );
    assert_eq!(lock_state(&mut b), u64::from(ls::UNLOCKED));
    // lock-door needs the PIN too.
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, LOCK_DOOR, no_args()),
        Err(Status::ACCESS_DENIED)
    );
    assert_eq!(lock_state(&mut b), u64::from(ls::UNLOCKED));
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, LOCK_DOOR, pin_args(b"1234")),
        Ok(no_args())
    );
    assert_eq!(lock_state(&mut b), u64::from(ls::LOCKED));
    let events = b.events();
    let kinds: Vec<(u16, Option<u64>)> = events
        .iter()
        .map(|e| {
            let error = (e.event == LOCK_OPERATION_ERROR)
                .then(|| field_u64(e, ef::ERROR))
                .flatten();
            (e.event.0, error)
        })
        .collect();
    let invalid = Some(u64::from(ef::error_values::INVALID_PIN));
    assert_eq!(
        kinds,
        vec![
            (LOCK_OPERATION_ERROR.0, invalid),
            (LOCK_OPERATION_ERROR.0, invalid),
            (LOCK_OPERATION.0, None),
            (LOCK_OPERATION_ERROR.0, invalid),
            (LOCK_OPERATION.0, None),
        ]
    );
    assert_eq!(
        field_u64(&events[0], ef::OPERATION),
        Some(ef::operation_values::UNLOCK.into())
    );
    assert_eq!(
        field_u64(&events[3], ef::OPERATION),
        Some(ef::operation_values::LOCK.into())
    );
    // The count was reset by the correct PIN: four more failures do not lock out...
    for _ in 0..4 {
        assert_eq!(
            b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, pin_args(b"9999")),
            Err(Status::ACCESS_DENIED)
        );
    }
    // ...the fifth in a row does (and still answers access-denied)...
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, pin_args(b"99999")),
        Err(Status::ACCESS_DENIED)
    );
    // ...and from then on even the right PIN gets busy, for 60 seconds.
    let before = b.events().len();
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, pin_args(b"1234")),
        Err(Status::BUSY)
    );
    b.advance(Duration::from_secs(59));
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, LOCK_DOOR, pin_args(b"1234")),
        Err(Status::BUSY)
    );
    assert_eq!(lock_state(&mut b), u64::from(ls::LOCKED));
    let events = b.events();
    assert_eq!(events.len(), before + 2);
    for e in &events[before..] {
        assert_eq!(e.event, LOCK_OPERATION_ERROR);
        assert_eq!(
            field_u64(e, ef::ERROR),
            Some(ef::error_values::LOCKED_OUT.into())
        );
    }
    b.advance(Duration::from_secs(1));
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, pin_args(b"1234")),
        Ok(no_args())
    );
    assert_eq!(lock_state(&mut b), u64::from(ls::UNLOCKED));
}

#[test]
fn lock_set_pin_and_require_pin_writes() {
    use door_lock::attributes as la;
    use door_lock::commands::{set_pin_args as sp, SET_PIN, UNLOCK_DOOR};
    let now = Instant::now();
    let mut b = Bench::new(lock::build(now, "D3").unwrap(), now);
    let ep = lock::ENDPOINT;
    let set_pin = |slot: u64, pin: &[u8]| {
        args(vec![
            (sp::USER_INDEX, slot.into()),
            (sp::PIN, Data::Bytes(pin.to_vec())),
        ])
    };
    assert_eq!(
        b.invoke(ep, door_lock::ID, SET_PIN, set_pin(3, b"246810")),
        Err(Status::NEEDS_TIMED_INTERACTION)
    );
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, SET_PIN, set_pin(3, b"246810")),
        Ok(no_args())
    );
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, SET_PIN, set_pin(0, b"1111")),
        Ok(no_args())
    );
    // Not ASCII digits, too short, a slot that does not exist.
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, SET_PIN, set_pin(1, b"12a4")),
        Err(Status::CONSTRAINT_ERROR)
    );
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, SET_PIN, set_pin(1, b"123")),
        Err(Status::CONSTRAINT_ERROR)
    );
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, SET_PIN, set_pin(8, b"1234")),
        Err(Status::CONSTRAINT_ERROR)
    );
    // Require a PIN from now on.
    assert_eq!(
        b.write(ep, door_lock::ID, la::REQUIRE_PIN_FOR_REMOTE, true.into()),
        Status::SUCCESS
    );
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, no_args()),
        Err(Status::ACCESS_DENIED)
    );
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, pin_args(b"246810")),
        Ok(no_args())
    );
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, pin_args(b"1111")),
        Ok(no_args())
    );
    // set-pin replaces the slot's PIN.
    b.invoke_timed(ep, door_lock::ID, SET_PIN, set_pin(0, b"2222"))
        .unwrap();
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, pin_args(b"1111")),
        Err(Status::ACCESS_DENIED)
    );
    assert_eq!(
        b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, pin_args(b"2222")),
        Ok(no_args())
    );
    // Invalid writes.
    assert_eq!(
        b.write(ep, door_lock::ID, la::REQUIRE_PIN_FOR_REMOTE, 1u64.into()),
        Status::INVALID_DATA_TYPE
    );
    assert_eq!(
        b.write(ep, door_lock::ID, la::MAX_PIN_ATTEMPTS, 3u64.into()),
        Status::UNSUPPORTED_ACCESS
    );
    // An invalid initial PIN is rejected at build time.
    assert!(lock::build_with_pin(now, "D4", b"12").is_err());
    assert!(lock::build_with_pin(now, "D4", b"abcd").is_err());
}

// [DM-55] auto-relock after an unlock, cancelled by lock-door.
#[test]
fn lock_auto_relock() {
    use door_lock::attributes::{self as la, lock_state_values as ls};
    use door_lock::commands::{LOCK_DOOR, UNLOCK_DOOR};
    use door_lock::events::{lock_operation_fields as f, LOCK_OPERATION};
    let now = Instant::now();
    let mut b = Bench::new(lock::build(now, "D5").unwrap(), now);
    let ep = lock::ENDPOINT;
    assert_eq!(
        b.write(ep, door_lock::ID, la::AUTO_RELOCK_TIME, 3601u64.into()),
        Status::CONSTRAINT_ERROR
    );
    assert_eq!(b.read_u64(ep, door_lock::ID, la::AUTO_RELOCK_TIME), 0);
    // With auto-relock off, unlocking arms no timer.
    b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, no_args())
        .unwrap();
    assert_eq!(b.node.poll_timeout(), None);
    b.invoke_timed(ep, door_lock::ID, LOCK_DOOR, no_args())
        .unwrap();
    assert_eq!(
        b.write(ep, door_lock::ID, la::AUTO_RELOCK_TIME, 5u64.into()),
        Status::SUCCESS
    );
    assert_eq!(b.read_u64(ep, door_lock::ID, la::AUTO_RELOCK_TIME), 5);
    b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, no_args())
        .unwrap();
    let unlocked_at = b.now;
    assert_eq!(
        b.node.poll_timeout(),
        Some(unlocked_at + Duration::from_secs(5))
    );
    // Too early: nothing happens.
    b.node.handle_timeout(unlocked_at + Duration::from_secs(4));
    assert_eq!(lock_state(&mut b), u64::from(ls::UNLOCKED));
    b.advance(Duration::from_secs(5));
    b.node.handle_timeout(b.now);
    assert_eq!(lock_state(&mut b), u64::from(ls::LOCKED));
    assert_eq!(b.node.poll_timeout(), None);
    let events = b.events();
    let last = events.last().unwrap();
    assert_eq!(last.event, LOCK_OPERATION);
    assert_eq!(
        field_u64(last, f::OPERATION),
        Some(f::operation_values::LOCK.into())
    );
    assert_eq!(
        field_u64(last, f::SOURCE),
        Some(f::source_values::AUTO.into())
    );
    assert_eq!(field_u64(last, f::NODE_ID), None);
    assert_eq!(events.len(), 4);
    // A lock-door cancels a pending relock.
    b.invoke_timed(ep, door_lock::ID, UNLOCK_DOOR, no_args())
        .unwrap();
    assert!(b.node.poll_timeout().is_some());
    b.invoke_timed(ep, door_lock::ID, LOCK_DOOR, no_args())
        .unwrap();
    assert_eq!(b.node.poll_timeout(), None);
}

// ---------------------------------------------------------------------------------------------
// Sensor

// [DM-56] [DM-57] readings within range or null; battery-low on a change to warning or critical.
#[test]
fn sensor_readings_and_battery_low() {
    use battery::attributes::{self as ba, charge_level_values as cl};
    use battery::events::{battery_low_fields as f, BATTERY_LOW};
    let now = Instant::now();
    let mut b = Bench::new(sensor::build(now, "S1").unwrap(), now);
    let ep = sensor::ENDPOINT;
    let temp = temperature_sensor::attributes::MEASURED_VALUE;
    let hum = humidity_sensor::attributes::MEASURED_VALUE;
    assert_eq!(b.read(ep, temperature_sensor::ID, temp), Ok(Data::Null));
    assert_eq!(b.read(ep, humidity_sensor::ID, hum), Ok(Data::Null));
    assert_eq!(
        b.read(ep, battery::ID, ba::PERCENT_REMAINING),
        Ok(Data::Null)
    );
    assert_eq!(
        b.read_i64(
            ep,
            temperature_sensor::ID,
            temperature_sensor::attributes::MIN_MEASURED_VALUE
        ),
        -4000
    );
    assert_eq!(
        b.read(ep, battery::ID, ba::VOLTAGE),
        Err(Status::UNSUPPORTED_ATTRIBUTE)
    );
    sensor::set_readings(&mut b.node, b.now, -1250, 4550, 80).unwrap();
    assert_eq!(b.read_i64(ep, temperature_sensor::ID, temp), -1250);
    assert_eq!(b.read_u64(ep, humidity_sensor::ID, hum), 4550);
    assert_eq!(b.read_u64(ep, battery::ID, ba::PERCENT_REMAINING), 80);
    assert_eq!(
        b.read_u64(ep, battery::ID, ba::CHARGE_LEVEL),
        u64::from(cl::OK)
    );
    assert!(b.events().is_empty());
    // Out of range readings change nothing.
    assert_eq!(
        sensor::set_readings(&mut b.node, b.now, 9000, 4550, 80),
        Err(Status::CONSTRAINT_ERROR)
    );
    assert_eq!(
        sensor::set_readings(&mut b.node, b.now, 2000, 10001, 80),
        Err(Status::CONSTRAINT_ERROR)
    );
    assert_eq!(
        sensor::set_readings(&mut b.node, b.now, 2000, 4000, 101),
        Err(Status::CONSTRAINT_ERROR)
    );
    assert_eq!(b.read_i64(ep, temperature_sensor::ID, temp), -1250);
    // Draining: one event per change to warning or critical.
    for pct in [20, 15, 5, 3] {
        b.advance(Duration::from_secs(60));
        sensor::set_readings(&mut b.node, b.now, 2100, 5000, pct).unwrap();
    }
    assert_eq!(
        b.read_u64(ep, battery::ID, ba::CHARGE_LEVEL),
        u64::from(cl::CRITICAL)
    );
    sensor::set_readings(&mut b.node, b.now, 2100, 5000, 100).unwrap();
    assert_eq!(
        b.read_u64(ep, battery::ID, ba::CHARGE_LEVEL),
        u64::from(cl::OK)
    );
    sensor::set_readings(&mut b.node, b.now, 2100, 5000, 19).unwrap();
    assert_eq!(
        b.read_u64(ep, battery::ID, ba::CHARGE_LEVEL),
        u64::from(cl::WARNING)
    );
    let events = b.events();
    let pcts: Vec<Option<u64>> = events
        .iter()
        .map(|e| field_u64(e, f::PERCENT_REMAINING))
        .collect();
    assert_eq!(pcts, vec![Some(20), Some(5), Some(19)]);
    assert!(events
        .iter()
        .all(|e| e.event == BATTERY_LOW && e.capability == battery::ID));
    assert!(events[1].uptime_ms > events[0].uptime_ms);
}

#[test]
fn sensor_is_read_only_and_has_no_commands() {
    let now = Instant::now();
    let mut b = Bench::new(sensor::build(now, "S1").unwrap(), now);
    let ep = sensor::ENDPOINT;
    assert_eq!(
        b.write(
            ep,
            temperature_sensor::ID,
            temperature_sensor::attributes::MEASURED_VALUE,
            100i64.into()
        ),
        Status::UNSUPPORTED_ACCESS
    );
    assert_eq!(
        b.write(
            ep,
            battery::ID,
            battery::attributes::CHARGE_LEVEL,
            0u64.into()
        ),
        Status::UNSUPPORTED_ACCESS
    );
    assert_eq!(
        b.invoke(ep, battery::ID, CommandId(0), no_args()),
        Err(Status::UNSUPPORTED_COMMAND)
    );
    // The writable attribute every device has: the root endpoint's node-label.
    let label = basic_information::attributes::NODE_LABEL;
    assert_eq!(
        b.write(0, basic_information::ID, label, "Bedroom".into()),
        Status::SUCCESS
    );
    assert_eq!(
        b.read(0, basic_information::ID, label),
        Ok(Data::Text("Bedroom".into()))
    );
    assert_eq!(
        b.write(0, basic_information::ID, label, "x".repeat(33).into()),
        Status::CONSTRAINT_ERROR
    );
    assert_eq!(
        b.read(0, basic_information::ID, label),
        Ok(Data::Text("Bedroom".into()))
    );
}

// ---------------------------------------------------------------------------------------------
// Strip

#[test]
fn strip_sockets_switch_independently() {
    let now = Instant::now();
    let mut b = Bench::new(strip::build(now, "P1").unwrap(), now);
    let d = b.node.descriptor();
    let labels: Vec<&str> = d.endpoints.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["", "socket 1", "socket 2", "socket 3", "socket 4"]);
    for e in &d.endpoints[1..] {
        let caps: Vec<CapabilityId> = e.capabilities.iter().map(|c| c.id).collect();
        assert_eq!(caps, [on_off::ID, power_meter::ID]);
    }
    let on = on_off::attributes::ON;
    let states =
        |b: &mut Bench| -> Vec<bool> { (1..=4).map(|s| b.read_bool(s, on_off::ID, on)).collect() };
    assert_eq!(states(&mut b), [false; 4]);
    b.invoke(2, on_off::ID, on_off::commands::ON, no_args())
        .unwrap();
    assert_eq!(states(&mut b), [false, true, false, false]);
    b.invoke(4, on_off::ID, on_off::commands::TOGGLE, no_args())
        .unwrap();
    b.invoke(2, on_off::ID, on_off::commands::TOGGLE, no_args())
        .unwrap();
    assert_eq!(states(&mut b), [false, false, false, true]);
    b.invoke(4, on_off::ID, on_off::commands::OFF, no_args())
        .unwrap();
    assert_eq!(states(&mut b), [false; 4]);
    assert_eq!(b.write(3, on_off::ID, on, true.into()), Status::SUCCESS);
    assert_eq!(states(&mut b), [false, false, true, false]);
    assert_eq!(
        b.invoke(5, on_off::ID, on_off::commands::ON, no_args()),
        Err(Status::UNSUPPORTED_ENDPOINT)
    );
    assert_eq!(
        b.write(
            0,
            basic_information::ID,
            basic_information::attributes::NODE_LABEL,
            "y".repeat(40).into()
        ),
        Status::CONSTRAINT_ERROR
    );
    assert_eq!(
        b.write(
            1,
            on_off::ID,
            on_off::attributes::OFF_WAIT_TIME,
            1u64.into()
        ),
        Status::UNSUPPORTED_ATTRIBUTE
    );
}

// [DM-58] reset-energy sets energy to 0.
#[test]
fn strip_power_meter() {
    use power_meter::attributes as pa;
    let now = Instant::now();
    let mut b = Bench::new(strip::build(now, "P1").unwrap(), now);
    b.invoke(3, on_off::ID, on_off::commands::ON, no_args())
        .unwrap();
    strip::set_power(&mut b.node, b.now, 3, 60_000).unwrap();
    strip::set_power(&mut b.node, b.now, 1, -1_500).unwrap();
    assert_eq!(b.read_i64(3, power_meter::ID, pa::ACTIVE_POWER), 60_000);
    assert_eq!(b.read_i64(1, power_meter::ID, pa::ACTIVE_POWER), -1_500);
    assert_eq!(b.read_i64(2, power_meter::ID, pa::ACTIVE_POWER), 0);
    assert_eq!(
        strip::set_power(&mut b.node, b.now, 5, 1),
        Err(Status::UNSUPPORTED_ENDPOINT)
    );
    assert_eq!(
        strip::set_power(&mut b.node, b.now, 0, 1),
        Err(Status::UNSUPPORTED_ENDPOINT)
    );
    assert_eq!(
        strip::set_power(&mut b.node, b.now, 2, 100_000_001),
        Err(Status::CONSTRAINT_ERROR)
    );
    // Switching off drops the load.
    b.invoke(3, on_off::ID, on_off::commands::OFF, no_args())
        .unwrap();
    assert_eq!(b.read_i64(3, power_meter::ID, pa::ACTIVE_POWER), 0);
    // reset-energy.
    strip::set_energy(&mut b.node, b.now, 2, 12_345).unwrap();
    strip::set_energy(&mut b.node, b.now, 4, 777).unwrap();
    assert_eq!(b.read_u64(2, power_meter::ID, pa::ENERGY), 12_345);
    assert_eq!(
        b.invoke(
            2,
            power_meter::ID,
            power_meter::commands::RESET_ENERGY,
            no_args()
        ),
        Ok(no_args())
    );
    assert_eq!(b.read_u64(2, power_meter::ID, pa::ENERGY), 0);
    assert_eq!(b.read_u64(4, power_meter::ID, pa::ENERGY), 777);
    assert_eq!(
        b.write(2, power_meter::ID, pa::ENERGY, 5u64.into()),
        Status::UNSUPPORTED_ACCESS
    );
    assert_eq!(
        b.read(1, power_meter::ID, pa::VOLTAGE),
        Err(Status::UNSUPPORTED_ATTRIBUTE)
    );
}

#[test]
fn unknown_requester_is_denied() {
    let now = Instant::now();
    let mut b = Bench::new(strip::build(now, "P1").unwrap(), now);
    b.switch_to(ADMIN + 1);
    assert_eq!(
        b.invoke(1, on_off::ID, on_off::commands::ON, no_args()),
        Err(Status::ACCESS_DENIED)
    );
    assert_eq!(
        b.write(1, on_off::ID, on_off::attributes::ON, true.into()),
        Status::ACCESS_DENIED
    );
    b.switch_to(ADMIN);
    assert!(!b.read_bool(1, on_off::ID, on_off::attributes::ON));
}

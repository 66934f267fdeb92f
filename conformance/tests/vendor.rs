//! The data-model and access groups against a device with a vendor capability of every value
//! kind (signed ranges, text, bytes, bitmap, enum, a nullable read-only value, a list of
//! structs), a command with arguments and result, and an event: the cases judge it from the
//! schema in its descriptor alone [DM-31], as they would a maker's own capability.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_conformance::{run, RunConfig, Silent, TargetSpec, Verdict};
use orbit_core::device::{Behavior, Context, DeviceBuilder, DeviceInfo, Endpoint};
use orbit_core::interaction::{CommandPath, ConcreteAttribute};
use orbit_core::model::{
    Access, AttributeId, AttributeSchema, CapabilityId, CapabilitySchema, CommandId, CommandSchema,
    Data, DataType, EventId, EventSchema, Field, FieldId, NamedValue, Priority, Privilege,
    TypeKind,
};
use orbit_core::status::Status;
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::MemoryStore;
use std::sync::Arc;

const PROBE: CapabilityId = CapabilityId::vendor_specific(0xfff1, 0x8000);

fn ty(kind: TypeKind) -> DataType {
    DataType::new(kind)
}

fn named(values: &[(u8, &str)]) -> Vec<NamedValue> {
    values
        .iter()
        .map(|(v, n)| NamedValue {
            value: *v,
            name: (*n).to_owned(),
        })
        .collect()
}

fn field(id: u8, name: &str, ty: DataType) -> Field {
    Field {
        id: FieldId(id),
        name: name.to_owned(),
        ty,
        unit: None,
        optional: false,
    }
}

fn attribute(
    id: u16,
    name: &str,
    ty: DataType,
    write: bool,
    privilege: Privilege,
) -> AttributeSchema {
    AttributeSchema {
        id: AttributeId(id),
        name: name.to_owned(),
        ty,
        unit: None,
        access: Access {
            read: true,
            write,
            report: true,
        },
        write_privilege: privilege,
        timed: false,
        persistent: false,
        optional: false,
        feature: None,
        default: None,
    }
}

fn schema() -> CapabilitySchema {
    let int = || {
        ty(TypeKind::Int {
            min: -500,
            max: 500,
        })
    };
    let minute = || ty(TypeKind::Uint { min: 0, max: 1439 });
    CapabilitySchema {
        id: PROBE,
        name: "conformance-probe".into(),
        version: 1,
        features: Vec::new(),
        attributes: vec![
            attribute(0, "offset", int(), true, Privilege::Operate),
            attribute(
                1,
                "name",
                ty(TypeKind::Text {
                    min_len: 1,
                    max_len: 16,
                }),
                true,
                Privilege::Manage,
            ),
            attribute(
                2,
                "flags",
                ty(TypeKind::Bitmap(named(&[(0, "a"), (3, "b")]))),
                true,
                Privilege::Operate,
            ),
            attribute(
                3,
                "mode",
                ty(TypeKind::Enum(named(&[(0, "x"), (2, "y")]))),
                true,
                Privilege::Operate,
            ),
            attribute(
                4,
                "reading",
                DataType {
                    kind: TypeKind::Uint { min: 0, max: 100 },
                    nullable: true,
                },
                false,
                Privilege::Operate,
            ),
            attribute(
                5,
                "blob",
                ty(TypeKind::Bytes {
                    min_len: 0,
                    max_len: 8,
                }),
                true,
                Privilege::Administer,
            ),
            attribute(
                6,
                "schedule",
                ty(TypeKind::List {
                    item: Box::new(ty(TypeKind::Struct(vec![
                        field(0, "start", minute()),
                        field(1, "end", minute()),
                    ]))),
                    max_items: 4,
                }),
                true,
                Privilege::Operate,
            ),
        ],
        commands: vec![CommandSchema {
            id: CommandId(0),
            name: "nudge".into(),
            privilege: Privilege::Operate,
            timed: false,
            optional: false,
            feature: None,
            args: vec![field(0, "amount", ty(TypeKind::Int { min: -10, max: 10 }))],
            result: vec![field(0, "offset", int())],
        }],
        events: vec![EventSchema {
            id: EventId(0),
            name: "nudged".into(),
            priority: Priority::Info,
            optional: false,
            feature: None,
            fields: vec![field(0, "offset", int())],
        }],
    }
}

/// `nudge` adds its amount to `offset` (bounded to its range), records `nudged`, and returns
/// the new offset.
struct Probe;

impl Behavior for Probe {
    fn invoke(
        &mut self,
        ctx: &mut Context<'_>,
        command: CommandPath,
        args: &Data,
    ) -> Result<Data, Status> {
        if command.command != CommandId(0) {
            return Err(Status::UNSUPPORTED_COMMAND);
        }
        let amount = args
            .field(0)
            .and_then(Data::as_i64)
            .ok_or(Status::INVALID_DATA_TYPE)?;
        let now = ctx.get_i64(PROBE, AttributeId(0)).ok_or(Status::FAILURE)?;
        let next = (now + amount).clamp(-500, 500);
        ctx.set(PROBE, AttributeId(0), Data::int(next))?;
        ctx.emit(PROBE, EventId(0), Data::Struct(vec![(0, Data::int(next))]))?;
        Ok(Data::Struct(vec![(0, Data::int(next))]))
    }

    fn write(
        &mut self,
        _: &mut Context<'_>,
        _: ConcreteAttribute,
        value: &Data,
    ) -> Result<Data, Status> {
        Ok(value.clone())
    }
}

async fn device() -> Device {
    let config = DeviceConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..DeviceConfig::default()
    };
    let info = DeviceInfo {
        vendor_id: 0xfff1,
        vendor_name: "Conformance".into(),
        product_id: 0x8f00,
        product_name: "Vendor probe".into(),
        serial_number: "V-1".into(),
        hardware_version: "1".into(),
        firmware_version: "1.0.0".into(),
    };
    Device::open(
        Arc::new(MemoryStore::new()),
        move |now| {
            let endpoint = Endpoint::new(1, "probe", Probe)
                .with(PROBE)
                .set(PROBE, AttributeId(0), Data::int(-20))
                .set(PROBE, AttributeId(1), Data::Text("probe".into()))
                .set(PROBE, AttributeId(2), Data::Uint(1))
                .set(PROBE, AttributeId(3), Data::Uint(0))
                .set(PROBE, AttributeId(4), Data::Null)
                .set(PROBE, AttributeId(5), Data::Bytes(vec![1, 2]))
                .set(PROBE, AttributeId(6), Data::List(Vec::new()));
            Ok(DeviceBuilder::new(info)
                .vendor_capability(schema())
                .endpoint(endpoint)
                .build(now)?)
        },
        || DeviceIdentity::development(0x8f00, 1, orbit_sdk::unix_now()),
        config,
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_capability_is_judged_from_its_schema_in_the_descriptor() {
    let device = device().await;
    let target = TargetSpec::Quic(device.local_addr().unwrap().to_string());
    let mut config = RunConfig::new(target, device.setup_payload().to_qr_string());
    config.seed = Some(3);
    config.only = vec!["data-model".into(), "access".into()];
    let report = run(&config, &mut Silent).await.unwrap();
    assert_eq!(report.harness_error, None);
    let failures: Vec<String> = report
        .cases
        .iter()
        .filter(|c| !matches!(c.verdict, Verdict::Pass | Verdict::NotApplicable))
        .map(|c| {
            format!(
                "{} {}: {:?} {:?} {:?}",
                c.info.id, c.verdict, c.failed_rule, c.expected, c.observed
            )
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let passed = |id: &str| {
        report
            .cases
            .iter()
            .any(|c| c.info.id == id && c.verdict == Verdict::Pass)
    };
    for id in [
        "data-model.descriptor-structure",
        "data-model.attribute-values",
        "data-model.write-validation",
        "data-model.write-read-back",
        "data-model.invoke-arguments",
        "access.privileges",
    ] {
        assert!(passed(id), "{id} passes");
    }
    device.shutdown().await;
}

//! Every attribute the registry marks `persistent`, on every reference device, survives a
//! restart from the device's store `[DM-12]`. The list is generated from the registry and
//! each device's descriptor, so an attribute added to the registry or to a device is checked
//! without editing this test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::controller;
use orbit_core::device::{AclEntry, DeviceNode};
use orbit_core::interaction::ConcreteAttribute;
use orbit_core::model::std_caps::{access_control, basic_information};
use orbit_core::model::{Data, DataType, EndpointId, Privilege, Registry, TypeKind};
use orbit_devices::Kind;
use orbit_sdk::device::{Device, DeviceConfig, DeviceIdentity};
use orbit_store::{MemoryStore, Store};
use std::sync::Arc;
use std::time::Instant;

async fn open(kind: Kind, store: Arc<dyn Store>) -> Device {
    Device::open(
        store,
        move |now| Ok(kind.build(now, "P-1")?),
        move || DeviceIdentity::development(kind.product_id(), 7, orbit_sdk::unix_now()),
        DeviceConfig::default(),
    )
    .await
    .unwrap()
}

/// The persistent attributes of `node`, from its descriptor and the registry.
fn persistent_attributes(node: &DeviceNode) -> Vec<(ConcreteAttribute, DataType)> {
    let mut out = Vec::new();
    for ep in node.descriptor().endpoints {
        for cap in ep.capabilities {
            let schema = Registry::standard()
                .get(cap.id)
                .unwrap_or_else(|| panic!("capability {:?} not in the registry", cap.id));
            for a in cap.attributes {
                let a = schema.attribute(a).unwrap();
                if a.persistent {
                    out.push((ConcreteAttribute::new(ep.id, cap.id, a.id), a.ty.clone()));
                }
            }
        }
    }
    out
}

/// A valid value of `ty` other than `current`.
fn another_value(ty: &DataType, current: &Data) -> Data {
    match &ty.kind {
        TypeKind::Bool => Data::Bool(current.as_bool() != Some(true)),
        TypeKind::Uint { min, max } => {
            let v = match current {
                Data::Uint(v) => *v,
                _ => *min,
            };
            Data::Uint(if v < *max { v + 1 } else { v - 1 })
        }
        TypeKind::Int { max, .. } => {
            let v = current.as_i64().unwrap();
            Data::int(if v < *max { v + 1 } else { v - 1 })
        }
        TypeKind::Enum(values) => {
            let at = values
                .iter()
                .position(|n| Some(u64::from(n.value)) == current.as_i64().map(|v| v as u64))
                .unwrap_or(0);
            Data::Uint(values[(at + 1) % values.len()].value.into())
        }
        TypeKind::Text { max_len, .. } => {
            let text: String = "persisted across a restart"
                .chars()
                .take(*max_len as usize)
                .collect();
            assert_ne!(Some(text.as_str()), current.as_text());
            Data::Text(text)
        }
        other => panic!("no value generator for {other:?}: add one"),
    }
}

#[tokio::test]
async fn every_persistent_attribute_of_every_reference_device_survives_a_restart() {
    let phone = controller().await;
    let acl = ConcreteAttribute::new(
        EndpointId::ROOT,
        access_control::ID,
        access_control::attributes::ACL,
    );
    let node_label = ConcreteAttribute::new(
        EndpointId::ROOT,
        basic_information::ID,
        basic_information::attributes::NODE_LABEL,
    );
    let mut checked_elsewhere = 0;
    for kind in Kind::ALL {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let device = open(kind, store.clone()).await;
        // Paired, so that the access control list has a home to hold entries of.
        phone
            .pair(
                &device.setup_payload().to_qr_string(),
                device.local_addr().unwrap(),
                Some(kind.name()),
            )
            .await
            .unwrap();
        let home = phone.home_id();
        let expected: Vec<(ConcreteAttribute, Data)> = device.with_node(|node, now| {
            let attrs = persistent_attributes(node);
            let mut expected = Vec::new();
            for (attr, ty) in attrs {
                let before = node.attribute(attr).unwrap().clone();
                if attr == acl {
                    // The list is the node's access control, changed through it.
                    let mut entries = node.access_control().entries().to_vec();
                    entries.push(AclEntry::whole_device(home, 0x77, Privilege::View));
                    node.restore_access_control(entries);
                } else {
                    let value = another_value(&ty, &before);
                    set(node, now, attr, value);
                }
                let after = node.attribute(attr).unwrap().clone();
                assert_ne!(before, after, "{kind}: {attr:?} did not change");
                expected.push((attr, after));
            }
            expected
        });
        // Every device has the root's persistent node-label and access control list.
        assert!(expected.iter().any(|(a, _)| *a == acl), "{kind}");
        assert!(expected.iter().any(|(a, _)| *a == node_label), "{kind}");
        checked_elsewhere += expected
            .iter()
            .filter(|(a, _)| a.endpoint != EndpointId::ROOT)
            .count();
        device.shutdown().await;

        let device = open(kind, store).await;
        for (attr, value) in &expected {
            assert_eq!(
                device.attribute(*attr).as_ref(),
                Some(value),
                "{kind}: {attr:?} not restored"
            );
        }
        device.shutdown().await;
    }
    // The application endpoints' persistent attributes were covered too (on-off, level,
    // color, door-lock, thermostat, power-meter).
    assert!(checked_elsewhere >= 10, "{checked_elsewhere}");
}

fn set(node: &mut DeviceNode, now: Instant, attr: ConcreteAttribute, value: Data) {
    node.update(now, attr.endpoint, |ctx| {
        ctx.set(attr.capability, attr.attribute, value)
    })
    .unwrap_or_else(|s| panic!("{attr:?}: {s}"));
}

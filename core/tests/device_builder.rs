//! Composing a device with the device SDK: features by bit number, and every way a definition
//! can be wrong is a [`BuildError`], never a panic `[DM-2]`, `[DM-15]`, `[DM-42]`.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use orbit_core::device::{BuildError, DeviceBuilder, DeviceInfo, Endpoint, Passive};
use orbit_core::interaction::ConcreteAttribute;
use orbit_core::model::std_caps::{color, on_off};
use orbit_core::model::{CapabilityId, Data, EndpointId};
use std::time::Instant;

fn info() -> DeviceInfo {
    DeviceInfo {
        vendor_id: 0xFFF1,
        vendor_name: "Orbit test".into(),
        product_id: 3,
        product_name: "Builder".into(),
        serial_number: "B-1".into(),
        hardware_version: "1".into(),
        firmware_version: "1".into(),
    }
}

fn build(endpoints: Vec<Endpoint>) -> Result<orbit_core::device::DeviceNode, BuildError> {
    endpoints
        .into_iter()
        .fold(DeviceBuilder::new(info()), DeviceBuilder::endpoint)
        .build(Instant::now())
}

fn color_attr(id: orbit_core::model::AttributeId) -> ConcreteAttribute {
    ConcreteAttribute::new(EndpointId(1), color::ID, id)
}

#[test]
fn features_given_by_bit_number_select_attributes_and_the_feature_map() {
    // [DM-15] [DM-42] only hue/saturation: its attributes and command are present, the color
    // temperature ones are not, and the feature map has exactly bit 0.
    let mut node = build(vec![Endpoint::new(1, "lamp", Passive)
        .with_features(color::ID, &[color::features::HUE_SATURATION])])
    .unwrap();
    // A behaviour sees the same selection, with the ranges, through its context.
    let (hue, temperature, on_off_schema) = node.update(Instant::now(), EndpointId(1), |ctx| {
        let schema = ctx.schema(color::ID).unwrap();
        (
            schema
                .attribute(color::attributes::HUE)
                .map(|a| a.ty.clone()),
            schema
                .attribute(color::attributes::COLOR_TEMPERATURE)
                .is_some(),
            ctx.schema(on_off::ID).is_some(),
        )
    });
    assert!(matches!(
        hue.map(|t| t.kind),
        Some(orbit_core::model::TypeKind::Uint { min: 0, max: 359 })
    ));
    assert!(!temperature);
    assert!(!on_off_schema);
    assert!(node.attribute(color_attr(color::attributes::HUE)).is_some());
    assert!(node
        .attribute(color_attr(color::attributes::COLOR_TEMPERATURE))
        .is_none());
    let descriptor = node.descriptor();
    let instance = &descriptor.endpoints[1].capabilities[0];
    assert_eq!(instance.id, color::ID);
    assert_eq!(instance.features, 1 << color::features::HUE_SATURATION);
    assert!(instance
        .commands
        .contains(&color::commands::MOVE_TO_HUE_SATURATION));
    assert!(!instance
        .commands
        .contains(&color::commands::MOVE_TO_COLOR_TEMPERATURE));

    let both = build(vec![Endpoint::new(1, "lamp", Passive).with_features(
        color::ID,
        &[
            color::features::COLOR_TEMPERATURE,
            color::features::HUE_SATURATION,
        ],
    )])
    .unwrap();
    assert_eq!(
        both.descriptor().endpoints[1].capabilities[0].features,
        0b11
    );
    assert!(both
        .attribute(color_attr(color::attributes::COLOR_TEMPERATURE))
        .is_some());
}

#[test]
fn an_undefined_feature_bit_is_refused() {
    // [DM-15]
    for bit in [2u8, 31, 32, 255] {
        let err = build(vec![
            Endpoint::new(1, "lamp", Passive).with_features(color::ID, &[bit])
        ])
        .err();
        assert_eq!(err, Some(BuildError::UnknownFeature(color::ID, bit)));
    }
}

#[test]
fn malformed_definitions_are_errors() {
    // [DM-2] endpoint 0 is the device's own; numbers are unique; capabilities must exist;
    // initial values must fit.
    let lamp = |id| Endpoint::new(id, "lamp", Passive).with(on_off::ID);
    assert_eq!(
        build(vec![lamp(0)]).err(),
        Some(BuildError::DuplicateEndpoint(EndpointId(0)))
    );
    assert_eq!(
        build(vec![lamp(1), lamp(1)]).err(),
        Some(BuildError::DuplicateEndpoint(EndpointId(1)))
    );
    let unknown = CapabilityId::vendor_specific(0xFFF1, 9);
    assert_eq!(
        build(vec![Endpoint::new(1, "x", Passive).with(unknown)]).err(),
        Some(BuildError::UnknownCapability(unknown))
    );
    let wrong_type = lamp(1).set(on_off::ID, on_off::attributes::ON, Data::Uint(1));
    assert_eq!(
        build(vec![wrong_type]).err(),
        Some(BuildError::InvalidInitialValue(ConcreteAttribute::new(
            EndpointId(1),
            on_off::ID,
            on_off::attributes::ON
        )))
    );
}

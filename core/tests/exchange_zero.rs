//! Exchange 0 belongs to subscription reports `[IM-3]`: a device answers a request that uses
//! it with invalid-message on exchange 0 and does nothing, and a controller never takes an
//! answer on exchange 0 for one of its requests `[IM-101]`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_core::codec::CborMessage;
use orbit_core::crypto::sign::SigningKey;
use orbit_core::device::{DeviceBuilder, DeviceInfo, Requester};
use orbit_core::interaction::{
    Client, ClientError, ConcreteAttribute, Envelope, Message, ReadRequest, WriteRequest,
};
use orbit_core::model::std_caps::basic_information as bi;
use orbit_core::model::{Data, EndpointId};
use orbit_core::status::Status;
use std::time::Instant;

fn label() -> ConcreteAttribute {
    ConcreteAttribute::new(EndpointId::ROOT, bi::ID, bi::attributes::NODE_LABEL)
}

// [IM-101] the device refuses a write on exchange 0 and leaves the value as it was.
#[test]
fn a_request_on_exchange_zero_is_refused_and_not_acted_on() {
    let now = Instant::now();
    let mut node = DeviceBuilder::new(DeviceInfo {
        vendor_id: 0xFFF1,
        vendor_name: "Orbit test".into(),
        product_id: 1,
        product_name: "Zero".into(),
        serial_number: "Z-1".into(),
        hardware_version: "1".into(),
        firmware_version: "1".into(),
    })
    .build(now)
    .unwrap();
    node.add_home(9, SigningKey::from_seed(&[3; 32]), 1);
    let from = Requester {
        session: 1,
        home: 9,
        node: 1,
    };
    let write = |exchange| {
        Envelope {
            exchange,
            message: Message::WriteRequest(WriteRequest::new(vec![(
                label(),
                Data::Text("zero".into()),
            )])),
        }
        .to_bytes()
    };
    let answers = node.handle(now, &from, &write(0));
    assert_eq!(answers.len(), 1);
    let env = Envelope::decode(&answers[0]).unwrap();
    assert_eq!(env.exchange, 0);
    assert_eq!(
        env.message,
        Message::StatusResponse(Status::INVALID_MESSAGE)
    );
    assert_eq!(node.attribute(label()), Some(&Data::Text(String::new())));
    // The same write on exchange 1 is served.
    let answers = node.handle(now, &from, &write(1));
    assert!(matches!(
        Envelope::decode(&answers[0]).unwrap().message,
        Message::WriteResponse(_)
    ));
    assert_eq!(node.attribute(label()), Some(&Data::Text("zero".into())));
}

// [IM-101] a status-response on exchange 0 is not the answer to the outstanding request.
#[test]
fn a_controller_ties_no_answer_on_exchange_zero_to_a_request() {
    let now = Instant::now();
    let mut client = Client::new();
    let (exchange, _) = client.read(now, ReadRequest::default());
    assert_ne!(exchange, 0);
    let stray = Envelope {
        exchange: 0,
        message: Message::StatusResponse(Status::INVALID_MESSAGE),
    }
    .to_bytes();
    assert!(matches!(
        client.handle(now, &stray),
        Err(ClientError::UnknownExchange(0))
    ));
    assert_eq!(client.in_flight(), 1, "the read still waits for its answer");
}

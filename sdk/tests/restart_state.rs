//! What a device keeps and does across a restart from its store, seen by a controller over
//! QUIC: the `start-up` event is recorded at every start, event numbers only grow (a
//! controller reading with `event_min` sees the events after the restart) `[IM-50]`, and the
//! root endpoint's persistent `node-label` survives `[DM-12]`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{controller, lamp_with, restart_on};
use orbit_core::interaction::{
    ConcreteAttribute, EventPath, EventRecord, ReadRequest, WriteRequest,
};
use orbit_core::model::std_caps::basic_information as bi;
use orbit_core::model::{Data, EndpointId};
use orbit_core::status::Status;
use orbit_sdk::controller::DeviceConnection;
use orbit_sdk::device::DeviceConfig;
use orbit_store::{MemoryStore, Store};
use std::sync::Arc;

fn node_label() -> ConcreteAttribute {
    ConcreteAttribute::new(EndpointId::ROOT, bi::ID, bi::attributes::NODE_LABEL)
}

async fn events_from(c: &DeviceConnection, event_min: Option<u64>) -> Vec<EventRecord> {
    let (_, events) = c
        .read(ReadRequest {
            events: vec![EventPath::ALL],
            event_min,
            ..Default::default()
        })
        .await
        .unwrap();
    events
}

fn start_ups(events: &[EventRecord]) -> Vec<&EventRecord> {
    events
        .iter()
        .filter(|e| {
            e.endpoint == EndpointId::ROOT
                && e.capability == bi::ID
                && e.event == bi::events::START_UP
        })
        .collect()
}

async fn read_label(c: &DeviceConnection) -> Result<Data, Status> {
    let (attrs, _) = c
        .read(ReadRequest {
            attributes: vec![node_label().path()],
            ..Default::default()
        })
        .await
        .unwrap();
    attrs[0].result.clone()
}

#[tokio::test]
async fn start_up_events_numbers_and_node_label_across_a_restart() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let device = lamp_with(store.clone(), DeviceConfig::default()).await;
    let addr = device.local_addr().unwrap();
    let phone = controller().await;
    phone
        .pair(&device.setup_payload().to_qr_string(), addr, Some("lamp"))
        .await
        .unwrap();
    let (c, _) = phone.connect("lamp", None).await.unwrap();

    // The first start records start-up, event number 1, with the firmware version [IM-50].
    let before = events_from(&c, None).await;
    let first = start_ups(&before);
    assert_eq!(first.len(), 1, "{before:?}");
    assert_eq!(first[0].number, 1);
    assert_eq!(
        first[0].fields,
        Data::Struct(vec![(0, Data::Text("1.0.0".into()))])
    );
    let last_seen = before.iter().map(|e| e.number).max().unwrap();

    let statuses = c
        .write(WriteRequest::new(vec![(
            node_label(),
            Data::Text("Kitchen lamp".into()),
        )]))
        .await
        .unwrap();
    assert_eq!(statuses[0].status, Status::SUCCESS);

    c.close();
    drop(c);
    device.shutdown().await;
    let device = restart_on(store, addr).await;
    let (c, _) = phone.connect("lamp", None).await.unwrap();

    // [DM-12] node-label is persistent, on the root endpoint as anywhere.
    assert_eq!(read_label(&c).await, Ok(Data::Text("Kitchen lamp".into())));
    // [IM-50] a controller that saw events up to `last_seen` asks for the ones after it and
    // gets the restart's start-up event, numbered above every earlier event.
    let after = events_from(&c, Some(last_seen + 1)).await;
    let again = start_ups(&after);
    assert_eq!(again.len(), 1, "{after:?}");
    assert!(again[0].number > last_seen, "{after:?}");
    drop(device);
}

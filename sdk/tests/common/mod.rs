//! What the SDK's network tests share: a reference lamp on 127.0.0.1, a controller with a
//! store in memory, and small helpers.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

pub(crate) mod wire;

use orbit_core::interaction::{ConcreteAttribute, ReadRequest};
use orbit_core::model::std_caps::on_off;
use orbit_core::model::{Data, EndpointId};
use orbit_core::status::Status;
use orbit_devices::{lamp, Kind};
use orbit_quic::QuicConfig;
use orbit_sdk::controller::{Controller, DeviceConnection, Paired};
use orbit_sdk::device::{Device, DeviceConfig, DeviceError, DeviceIdentity};
use orbit_store::{MemoryStore, Store};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The lamp's on-off attribute.
pub(crate) fn on() -> ConcreteAttribute {
    ConcreteAttribute::new(
        EndpointId(lamp::ENDPOINT),
        on_off::ID,
        on_off::attributes::ON,
    )
}

/// A reference lamp kept in `store`, started with `config`.
pub(crate) async fn try_lamp(
    store: Arc<dyn Store>,
    config: DeviceConfig,
) -> Result<Device, DeviceError> {
    Device::open(
        store,
        |now| Ok(Kind::Lamp.build(now, "L-1")?),
        || DeviceIdentity::development(Kind::Lamp.product_id(), 1, orbit_sdk::unix_now()),
        config,
    )
    .await
}

/// [`try_lamp`] that must succeed.
pub(crate) async fn lamp_with(store: Arc<dyn Store>, config: DeviceConfig) -> Device {
    try_lamp(store, config).await.unwrap()
}

/// A lamp with a store in memory on 127.0.0.1 and an ephemeral port.
pub(crate) async fn lamp() -> Device {
    lamp_with(Arc::new(MemoryStore::new()), DeviceConfig::default()).await
}

/// Starts the lamp again on the port it had. In one process, quinn releases the old socket a
/// moment after the endpoint's last handle is dropped, so the bind is retried briefly (a real
/// device process that restarts gets its port back from the OS at exit).
pub(crate) async fn restart_on(store: Arc<dyn Store>, listen: SocketAddr) -> Device {
    for _ in 0..100 {
        let config = DeviceConfig {
            listen,
            ..DeviceConfig::default()
        };
        match try_lamp(store.clone(), config).await {
            Ok(d) => return d,
            Err(DeviceError::Transport(orbit_quic::QuicError::Bind { .. })) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    panic!("port {listen} never became free")
}

/// A controller with a new home and a store in memory.
pub(crate) async fn controller() -> Controller {
    controller_in(Arc::new(MemoryStore::new())).await
}

/// A controller whose home is kept in `store`.
pub(crate) async fn controller_in(store: Arc<dyn Store>) -> Controller {
    Controller::open(store, QuicConfig::default())
        .await
        .unwrap()
}

/// Pairs `phone` with `device` by its QR code, as "lamp".
pub(crate) async fn pair_lamp(phone: &Controller, device: &Device) -> Paired {
    phone
        .pair(
            &device.setup_payload().to_qr_string(),
            device.local_addr().unwrap(),
            Some("lamp"),
        )
        .await
        .unwrap()
}

/// The lamp's on-off value as the controller reads it.
pub(crate) async fn read_on(c: &DeviceConnection) -> Result<Data, Status> {
    let (attrs, _) = c
        .read(ReadRequest {
            attributes: vec![on().path()],
            ..Default::default()
        })
        .await
        .unwrap();
    attrs[0].result.clone()
}

/// The device's setup code with another passcode.
pub(crate) fn wrong_code(device: &Device) -> String {
    let mut wrong = *device.setup_payload();
    let p = wrong.passcode.value();
    let other = if p == 20_202_021 {
        20_202_022
    } else {
        20_202_021
    };
    wrong.passcode = orbit_core::setup::Passcode::new(other).unwrap();
    wrong.to_qr_string()
}

/// Waits up to two seconds for `f` to hold: the device handles what a controller sends last
/// (a pairing-status) after the controller has already returned.
pub(crate) async fn eventually(f: impl Fn() -> bool) -> bool {
    eventually_within(Duration::from_secs(2), f).await
}

/// Waits up to `limit` for `f` to hold (generously, where the machine may be loaded).
pub(crate) async fn eventually_within(limit: Duration, f: impl Fn() -> bool) -> bool {
    for _ in 0..limit.as_millis() / 10 {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

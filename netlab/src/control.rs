//! The SDK controller as the lab's scenarios use it, and the write stream whose
//! acknowledgements they check: writes of the lamp's `node-label` as `w<N>` with `N` rising,
//! so that a value read back tells which write it came from.

use orbit_core::interaction::{AttributeReport, ConcreteAttribute, WriteRequest};
use orbit_core::model::{std_caps, Data, EndpointId};
use orbit_core::status::Status;
use orbit_quic::QuicConfig;
use orbit_sdk::controller::{Controller, ControllerError, DeviceConnection};
use orbit_store::FileStore;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a QUIC handshake may take in the lab: shorter than the default 10 s, so that a
/// device that moved is looked for sooner (the SDK's connect-or-locate), long enough for
/// handshakes to complete through a few lost packets.
pub const LAB_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// The controller's QUIC settings in the lab ([`LAB_HANDSHAKE_TIMEOUT`], else defaults).
pub fn quic_config() -> QuicConfig {
    QuicConfig {
        handshake_timeout: LAB_HANDSHAKE_TIMEOUT,
        ..QuicConfig::default()
    }
}

/// Opens (or creates) the controller kept in `dir`. Call it on the controller host's
/// [`crate::NsRuntime`], so its QUIC socket is that host's.
pub async fn open_controller(dir: &Path) -> Result<Arc<Controller>, String> {
    let store = FileStore::open(dir).map_err(|e| format!("controller store: {e}"))?;
    Controller::open(Arc::new(store), quic_config())
        .await
        .map(Arc::new)
        .map_err(|e| format!("opening the controller: {e}"))
}

/// The lamp's `0/basic-information/node-label` (persistent, any text up to 32 characters).
pub fn node_label() -> ConcreteAttribute {
    ConcreteAttribute::new(
        EndpointId::ROOT,
        std_caps::basic_information::ID,
        std_caps::basic_information::attributes::NODE_LABEL,
    )
}

/// The write of `w<n>` to [`node_label`].
pub fn label_write(n: u64) -> WriteRequest {
    WriteRequest::new(vec![(node_label(), Data::Text(format!("w{n}")))])
}

/// The `N` of a `w<N>` label.
pub fn label_number(data: &Data) -> Option<u64> {
    match data {
        Data::Text(t) => t.strip_prefix('w')?.parse().ok(),
        _ => None,
    }
}

/// The label number in a report's attributes, if it carries the label.
pub fn reported_label(attributes: &[AttributeReport]) -> Option<u64> {
    attributes
        .iter()
        .filter(|a| a.path == node_label())
        .find_map(|a| a.result.as_ref().ok().and_then(label_number))
}

/// Writes `w<n>` and says whether the device acknowledged it (every path `SUCCESS`) within
/// `limit`, and how long it took.
pub async fn write_label(
    conn: &DeviceConnection,
    n: u64,
    limit: Duration,
) -> (Result<(), String>, Duration) {
    let started = Instant::now();
    let r = match tokio::time::timeout(limit, conn.write(label_write(n))).await {
        Ok(Ok(statuses)) if statuses.iter().all(|s| s.status == Status::SUCCESS) => Ok(()),
        Ok(Ok(statuses)) => Err(format!("refused: {statuses:?}")),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {limit:?}")),
    };
    (r, started.elapsed())
}

/// Reads the label's number.
pub async fn read_label(conn: &DeviceConnection, limit: Duration) -> Result<u64, String> {
    let request = orbit_core::interaction::ReadRequest {
        attributes: vec![node_label().path()],
        ..Default::default()
    };
    match tokio::time::timeout(limit, conn.read(request)).await {
        Ok(Ok((attrs, _))) => {
            reported_label(&attrs).ok_or_else(|| format!("no label in {attrs:?}"))
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {limit:?}")),
    }
}

/// A controller error as one line.
pub fn show(e: &ControllerError) -> String {
    e.to_string()
}

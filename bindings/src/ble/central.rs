//! The app's [`BleBridge`] as the SDK's [`BleCentral`], and each of its connections as a
//! [`Radio`] for the Orbit link. The bridge is foreign code that may block, so every call to it
//! runs on tokio's blocking threads: the runtime's two workers never wait on the phone's stack.

use super::inbound::{BleInbound, BleScan};
use super::BleBridge;
use orbit_ble::radio::{Radio, RadioError};
use orbit_sdk::ble::{BleCentral, BoxFuture, Connected, Sighting};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Notify};

/// Sightings a scan may queue before the SDK reads them.
const SCAN_QUEUE: usize = 256;

/// Notifications a connection may queue before the link reads them. The framing bounds what
/// a peer may send unacknowledged (a window of at most 32 frames, [BLE-7]) and the link reads
/// continuously, so a full queue means something is wrong and ends the link.
const EVENT_QUEUE: usize = 256;

/// Values the link may queue before the bridge has written them (same bound as above).
const WRITE_QUEUE: usize = 128;

/// The smallest and largest ATT MTU Bluetooth allows.
const ATT_MTU_RANGE: (u16, u16) = (23, 517);

/// Runs `call` with the bridge on a blocking thread; a panic or cancellation of that thread
/// becomes an error message.
async fn on_blocking<T, F>(bridge: &Arc<dyn BleBridge>, call: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce(&dyn BleBridge) -> T + Send + 'static,
{
    let bridge = Arc::clone(bridge);
    tokio::task::spawn_blocking(move || call(bridge.as_ref()))
        .await
        .map_err(|e| format!("the app's Bluetooth bridge failed: {e}"))
}

/// The app's Bluetooth stack as the SDK's central seam.
pub(crate) struct BridgeCentral(pub(crate) Arc<dyn BleBridge>);

impl BleCentral for BridgeCentral {
    fn scan<'a>(
        &'a self,
        timeout: Duration,
        enough: &'a (dyn Fn(&Sighting) -> bool + Send + Sync),
    ) -> BoxFuture<'a, Result<Vec<Sighting>, String>> {
        Box::pin(async move {
            let (scan, mut sightings) = BleScan::new(SCAN_QUEUE);
            let reporter = Arc::clone(&scan);
            on_blocking(&self.0, move |b| b.start_scan(reporter))
                .await?
                .map_err(|e| e.to_string())?;
            let mut heard: Vec<Sighting> = Vec::new();
            let deadline = tokio::time::sleep(timeout);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    sighting = sightings.recv() => {
                        let Some(sighting) = sighting else { break };
                        let done = enough(&sighting);
                        // The latest advert of each peripheral counts (an operational advert's
                        // nonce changes, [BLE-22]).
                        heard.retain(|s| s.peripheral != sighting.peripheral);
                        heard.push(sighting);
                        if done {
                            break;
                        }
                    }
                    () = &mut deadline => break,
                }
            }
            scan.end();
            on_blocking(&self.0, |b| b.stop_scan()).await?;
            Ok(heard)
        })
    }

    fn connect<'a>(&'a self, peripheral: &'a str) -> BoxFuture<'a, Result<Connected, String>> {
        Box::pin(async move {
            let (inbound, events) = BleInbound::new(EVENT_QUEUE);
            let handed = Arc::clone(&inbound);
            let name = peripheral.to_owned();
            let att_mtu = on_blocking(&self.0, move |b| b.connect(name, handed))
                .await?
                .map_err(|e| e.to_string())?;
            let radio = BridgeRadio::start(
                Arc::clone(&self.0),
                peripheral.to_owned(),
                att_mtu.clamp(ATT_MTU_RANGE.0, ATT_MTU_RANGE.1),
                inbound,
            );
            Ok((radio, events))
        })
    }
}

/// One connection of the bridge as a radio: [`Radio::write`] is synchronous and called on the
/// link's task, so it only queues the value; the connection's writer task hands the values to
/// the bridge in order ([BLE-2]) from a blocking thread.
struct BridgeRadio {
    values: mpsc::Sender<Vec<u8>>,
    hang_up: Arc<Notify>,
    att_mtu: u16,
}

impl BridgeRadio {
    fn start(
        bridge: Arc<dyn BleBridge>,
        peripheral: String,
        att_mtu: u16,
        inbound: Arc<BleInbound>,
    ) -> Arc<dyn Radio> {
        let (values, queued) = mpsc::channel(WRITE_QUEUE);
        let hang_up = Arc::new(Notify::new());
        tokio::spawn(write_out(
            bridge,
            peripheral,
            queued,
            Arc::clone(&hang_up),
            inbound,
        ));
        Arc::new(BridgeRadio {
            values,
            hang_up,
            att_mtu,
        })
    }
}

impl Radio for BridgeRadio {
    fn write(&self, value: &[u8]) -> Result<(), RadioError> {
        if value.len() > usize::from(self.att_mtu.saturating_sub(3)) {
            return Err(RadioError::Stack(format!(
                "a {}-byte value does not fit the ATT MTU of {}",
                value.len(),
                self.att_mtu
            )));
        }
        self.values
            .try_send(value.to_vec())
            .map_err(|e| match e {
                mpsc::error::TrySendError::Closed(_) => RadioError::Disconnected,
                mpsc::error::TrySendError::Full(_) => RadioError::Stack(format!(
                    "{WRITE_QUEUE} values wait for the app's Bluetooth bridge to write them"
                )),
            })
    }

    fn att_mtu(&self) -> u16 {
        self.att_mtu
    }

    fn disconnect(&self) {
        // A stored permit: the writer sees it even while a write is under way.
        self.hang_up.notify_one();
    }
}

/// The writer of one connection: writes what the link queued, in order and in batches, until
/// the link hangs up or drops the radio, or a write fails; then ends the connection.
async fn write_out(
    bridge: Arc<dyn BleBridge>,
    peripheral: String,
    mut values: mpsc::Receiver<Vec<u8>>,
    hang_up: Arc<Notify>,
    inbound: Arc<BleInbound>,
) {
    loop {
        // Values first: a frame queued before the hang-up (an error frame, [BLE-10]) still
        // goes out.
        tokio::select! {
            biased;
            value = values.recv() => {
                let Some(first) = value else { break };
                let mut batch = vec![first];
                while let Ok(more) = values.try_recv() {
                    batch.push(more);
                }
                let to = peripheral.clone();
                let written = on_blocking(&bridge, move |b| {
                    batch.into_iter().try_for_each(|v| b.write(to.clone(), v))
                })
                .await;
                if !matches!(written, Ok(Ok(()))) {
                    // The connection is unusable: the link ends as on a disconnection.
                    break;
                }
            }
            () = hang_up.notified() => break,
        }
    }
    inbound.end();
    if !inbound.is_gone() {
        let _ = on_blocking(&bridge, move |b| b.disconnect(peripheral)).await;
    }
}

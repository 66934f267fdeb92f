//! The app's [`BleBridge`] as the SDK's [`BleCentral`], and each of its connections as a
//! [`Radio`] for the Orbit link. The bridge is foreign code that may block, so every call to it
//! runs on tokio's blocking threads: the runtime's two workers never wait on the phone's stack.

use super::inbound::{BleInbound, BleScan};
use super::BleBridge;
use orbit_ble::radio::{Radio, RadioError};
use orbit_sdk::ble::{BleCentral, BoxFuture, Connected, Sighting};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
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

/// How long a connection waits for the previous one to the same peripheral to end: its
/// graceful close takes at most the close timeout (5 s, [BLE-14]).
const PREVIOUS_CONNECTION_WAIT: Duration = Duration::from_secs(10);

/// The connection to each peripheral that the SDK has open through a bridge, by generation.
/// A platform has one connection per peripheral ([BLE-3]) and `disconnect` names the
/// peripheral, so a new connection waits until the previous one is disconnected, and a
/// connection that was taken over never disconnects its successor.
static OPEN: OnceLock<Mutex<HashMap<String, u64>>> = OnceLock::new();
static GENERATION: AtomicU64 = AtomicU64::new(1);

fn open_connections() -> MutexGuard<'static, HashMap<String, u64>> {
    OPEN.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Claims `peripheral` for a new connection once the previous one has ended (or after
/// [`PREVIOUS_CONNECTION_WAIT`], when it takes over); returns the new generation.
async fn claim(peripheral: &str) -> u64 {
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
    let deadline = tokio::time::Instant::now() + PREVIOUS_CONNECTION_WAIT;
    loop {
        {
            let mut open = open_connections();
            if !open.contains_key(peripheral) || tokio::time::Instant::now() >= deadline {
                open.insert(peripheral.to_owned(), generation);
                return generation;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Whether `generation` still holds `peripheral`.
fn holds(peripheral: &str, generation: u64) -> bool {
    open_connections().get(peripheral) == Some(&generation)
}

/// Releases `peripheral` if `generation` still holds it.
fn release(peripheral: &str, generation: u64) {
    let mut open = open_connections();
    if open.get(peripheral) == Some(&generation) {
        open.remove(peripheral);
    }
}

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
            let generation = claim(peripheral).await;
            let connected = on_blocking(&self.0, move |b| b.connect(name, handed))
                .await
                .and_then(|r| r.map_err(|e| e.to_string()));
            let att_mtu = match connected {
                Ok(mtu) => mtu,
                Err(e) => {
                    release(peripheral, generation);
                    return Err(e);
                }
            };
            let radio = BridgeRadio::start(
                Arc::clone(&self.0),
                Claimed {
                    peripheral: peripheral.to_owned(),
                    generation,
                },
                att_mtu.clamp(ATT_MTU_RANGE.0, ATT_MTU_RANGE.1),
                inbound,
            );
            Ok((radio, events))
        })
    }
}

/// A peripheral and the generation of the connection that holds it.
struct Claimed {
    peripheral: String,
    generation: u64,
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
        peripheral: Claimed,
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
        self.values.try_send(value.to_vec()).map_err(|e| match e {
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
    claimed: Claimed,
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
                let to = claimed.peripheral.clone();
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
    // A connection taken over by a newer one to the same peripheral leaves it alone.
    if !inbound.is_gone() && holds(&claimed.peripheral, claimed.generation) {
        let peripheral = claimed.peripheral.clone();
        let _ = on_blocking(&bridge, move |b| b.disconnect(peripheral)).await;
    }
    release(&claimed.peripheral, claimed.generation);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;
    use crate::ble::{BleFailure, BleSighting};
    use orbit_ble::radio::RadioEvent;
    use std::sync::Mutex;

    /// A bridge that records what the SDK asks of it.
    #[derive(Default)]
    struct Recorder {
        written: Mutex<Vec<Vec<u8>>>,
        disconnects: Mutex<Vec<String>>,
        log: Mutex<Vec<&'static str>>,
        inbound: Mutex<Option<Arc<BleInbound>>>,
        stopped: Mutex<bool>,
        adverts: Vec<BleSighting>,
    }

    impl BleBridge for Recorder {
        fn start_scan(&self, scan: Arc<BleScan>) -> Result<(), BleFailure> {
            for s in &self.adverts {
                scan.on_sighting(s.clone());
            }
            Ok(())
        }
        fn stop_scan(&self) {
            *self.stopped.lock().unwrap() = true;
        }
        fn connect(&self, _: String, inbound: Arc<BleInbound>) -> Result<u16, BleFailure> {
            *self.inbound.lock().unwrap() = Some(inbound);
            self.log.lock().unwrap().push("connect");
            Ok(23)
        }
        fn write(&self, _: String, value: Vec<u8>) -> Result<(), BleFailure> {
            self.written.lock().unwrap().push(value);
            Ok(())
        }
        fn disconnect(&self, peripheral: String) {
            self.log.lock().unwrap().push("disconnect");
            self.disconnects.lock().unwrap().push(peripheral);
        }
    }

    fn sighting(peripheral: &str, byte: u8) -> BleSighting {
        BleSighting {
            peripheral: peripheral.into(),
            service_data: vec![byte],
            rssi: None,
        }
    }

    async fn until(check: impl Fn() -> bool) {
        while !check() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// [BLE-2]: values reach the app's stack in the order the link wrote them, none above the
    /// MTU; the link's hang-up disconnects the peripheral once what was queued went out.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_go_out_in_order_then_the_hang_up_disconnects() {
        let recorder = Arc::new(Recorder::default());
        let central = BridgeCentral(recorder.clone());
        let (radio, _events) = central.connect("writer").await.unwrap();
        assert_eq!(radio.att_mtu(), 23);
        assert!(matches!(radio.write(&[0; 21]), Err(RadioError::Stack(_))));
        for i in 0..50u8 {
            radio.write(&[i; 20]).unwrap();
        }
        radio.disconnect();
        until(|| !recorder.disconnects.lock().unwrap().is_empty()).await;
        let written = recorder.written.lock().unwrap().clone();
        assert_eq!(written, (0..50u8).map(|i| vec![i; 20]).collect::<Vec<_>>());
        assert_eq!(
            *recorder.disconnects.lock().unwrap(),
            vec!["writer".to_owned()]
        );
    }

    /// Notifications reach the link in order, then the app's disconnection; the SDK does not
    /// disconnect a connection the app said is gone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_apps_notifications_and_disconnection_reach_the_link() {
        let recorder = Arc::new(Recorder::default());
        let central = BridgeCentral(recorder.clone());
        let (radio, mut events) = central.connect("notifier").await.unwrap();
        let inbound = recorder.inbound.lock().unwrap().clone().unwrap();
        inbound.on_notification(vec![1]);
        inbound.on_notification(vec![2]);
        inbound.on_disconnected();
        inbound.on_notification(vec![3]);
        assert_eq!(events.recv().await, Some(RadioEvent::Received(vec![1])));
        assert_eq!(events.recv().await, Some(RadioEvent::Received(vec![2])));
        assert_eq!(events.recv().await, Some(RadioEvent::Disconnected));
        assert_eq!(events.recv().await, None, "nothing after the end");
        drop(radio);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(recorder.disconnects.lock().unwrap().is_empty());
    }

    /// A link that stops reading ends instead of buffering without bound or losing a frame in
    /// the middle of the stream.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flood_of_notifications_ends_the_link() {
        let recorder = Arc::new(Recorder::default());
        let central = BridgeCentral(recorder.clone());
        let (_radio, mut events) = central.connect("flooder").await.unwrap();
        let inbound = recorder.inbound.lock().unwrap().clone().unwrap();
        for i in 0..=EVENT_QUEUE {
            inbound.on_notification(vec![u8::try_from(i % 256).unwrap()]);
        }
        let mut received = 0;
        while let Some(event) = events.recv().await {
            assert!(matches!(event, RadioEvent::Received(_)));
            received += 1;
        }
        assert_eq!(received, EVENT_QUEUE);
    }

    /// [BLE-24]: the scan ends at the first sighting that is enough, keeps the latest advert
    /// of each peripheral, and stops the app's scanner.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_scan_ends_when_enough_is_heard_and_stops_the_scanner() {
        let recorder = Arc::new(Recorder {
            adverts: vec![
                sighting("a", 1),
                sighting("a", 2),
                sighting("b", 3),
                sighting("c", 4),
            ],
            ..Default::default()
        });
        let central = BridgeCentral(recorder.clone());
        let heard = central
            .scan(Duration::from_secs(600), &|s| s.peripheral == "b")
            .await
            .unwrap();
        let got: Vec<(String, Vec<u8>)> = heard
            .into_iter()
            .map(|s| (s.peripheral, s.service_data))
            .collect();
        assert_eq!(got, vec![("a".into(), vec![2]), ("b".into(), vec![3])]);
        assert!(*recorder.stopped.lock().unwrap());
    }

    /// [BLE-3]: one connection per peripheral. A new connection to a peripheral waits until
    /// the previous one is disconnected, so that the old one's `disconnect` (which names the
    /// peripheral) never ends the new one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_new_connection_waits_for_the_previous_one_to_the_same_peripheral() {
        let recorder = Arc::new(Recorder::default());
        let central = Arc::new(BridgeCentral(recorder.clone()));
        let (first, _events) = central.connect("twice").await.unwrap();
        let again = Arc::clone(&central);
        let second = tokio::spawn(async move { again.connect("twice").await.map(|c| c.0) });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(*recorder.log.lock().unwrap(), vec!["connect"]);
        first.disconnect();
        let second = second.await.unwrap().unwrap();
        assert_eq!(
            *recorder.log.lock().unwrap(),
            vec!["connect", "disconnect", "connect"]
        );
        drop(first);
        second.disconnect();
        until(|| recorder.log.lock().unwrap().len() == 4).await;
        assert_eq!(recorder.log.lock().unwrap()[3], "disconnect");
    }
}

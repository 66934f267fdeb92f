//! The air between a test's Bluetooth bridge and a testbed device that serves BLE: one TCP
//! listener on 127.0.0.1 per device, so that a bridge written in Kotlin or Python reaches the
//! device as a phone's stack reaches a peripheral. Behind the socket each connection is a
//! simulated BLE link (`orbit_ble::sim`: 30 ms connection events at MTU 247, its virtual time
//! ten times as fast as the clock); the bridge only forwards ATT values.
//!
//! On each TCP connection the client first sends one byte:
//! - `A`: the device's current advert. The answer is `length (2) ‖ service data` ([BLE-20],
//!   [BLE-21]); then the testbed closes the socket.
//! - `C`: a BLE connection, as after the MTU exchange and the subscription ([BLE-3]). The
//!   answer is the ATT MTU (2); then each side sends ATT values as `length (2) ‖ value`: the
//!   client's are writes to the write characteristic, the testbed's are notifications.
//!   Closing the socket (either side) is the disconnection.
//!
//! Lengths are big-endian.

use orbit_ble::radio::{Radio, RadioEvent};
use orbit_ble::sim::{radio_pair_with_time_scale, SimParams};
use orbit_sdk::device::BlePeripheral;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The links' virtual time runs ten times as fast as the clock (a 30 ms connection interval
/// lasts 3 ms), so the tests stay short.
const TIME_SCALE: f64 = 0.1;

/// Starts the air of `device`; returns its address and the task serving it.
pub(crate) async fn start(device: BlePeripheral) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let seeds = Arc::new(AtomicU64::new(1));
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let seed = seeds.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(serve(socket, device.clone(), seed));
        }
    });
    Ok((addr, task))
}

async fn serve(mut socket: TcpStream, device: BlePeripheral, seed: u64) {
    let _ = socket.set_nodelay(true);
    match socket.read_u8().await {
        Ok(b'A') => {
            let data = device
                .advert()
                .map(|a| a.service_data())
                .unwrap_or_default();
            let _ = send(&mut socket, &data).await;
        }
        Ok(b'C') => {
            let Ok((central, (radio, events))) =
                radio_pair_with_time_scale(SimParams::default(), seed, TIME_SCALE)
            else {
                return;
            };
            device.serve(radio, events);
            let (radio, events) = central;
            if socket.write_u16(radio.att_mtu()).await.is_err() {
                return;
            }
            let (from_app, to_app) = socket.into_split();
            relay(from_app, to_app, radio, events).await;
        }
        _ => {}
    }
}

async fn send(socket: &mut (impl AsyncWriteExt + Unpin), value: &[u8]) -> std::io::Result<()> {
    let len = u16::try_from(value.len()).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    socket.write_u16(len).await?;
    socket.write_all(value).await
}

/// Forwards the app's writes to the link and the link's notifications to the app until
/// either side disconnects.
async fn relay(
    from_app: OwnedReadHalf,
    mut to_app: OwnedWriteHalf,
    radio: Arc<dyn Radio>,
    mut events: tokio::sync::mpsc::Receiver<RadioEvent>,
) {
    let writer = Arc::clone(&radio);
    let writes = tokio::spawn(async move {
        let mut from_app = BufReader::new(from_app);
        while let Ok(len) = from_app.read_u16().await {
            let mut value = vec![0; usize::from(len)];
            if from_app.read_exact(&mut value).await.is_err() || writer.write(&value).is_err() {
                break;
            }
        }
        // The app closed its socket: the Bluetooth connection ends.
        writer.disconnect();
    });
    while let Some(RadioEvent::Received(value)) = events.recv().await {
        if send(&mut to_app, &value).await.is_err() {
            break;
        }
    }
    radio.disconnect();
    let _ = to_app.shutdown().await;
    writes.abort();
}

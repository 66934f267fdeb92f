//! The simulated radio pair on tokio's (paused) clock: values in order both ways, the MTU
//! enforced, and a disconnect delivered to both sides.
#![cfg(feature = "tokio")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use orbit_ble::radio::{RadioError, RadioEvent};
use orbit_ble::sim::{radio_pair, radio_pair_with_time_scale, SimError, SimParams};
use tokio::time::Instant;

async fn next(rx: &mut tokio::sync::mpsc::Receiver<RadioEvent>) -> RadioEvent {
    tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("no event within a minute of (paused) time")
        .expect("channel closed")
}

#[tokio::test(start_paused = true)]
async fn values_flow_both_ways_in_order_at_connection_events() {
    let params = SimParams {
        packets_per_event: 2,
        ..SimParams::default()
    };
    let interval = params.connection_interval;
    let ((central, mut central_rx), (peripheral, mut peripheral_rx)) =
        radio_pair(params, 1).unwrap();
    let start = Instant::now();
    for i in 0..5u8 {
        central.write(&[i]).unwrap();
    }
    for i in 0..5u8 {
        assert_eq!(
            next(&mut peripheral_rx).await,
            RadioEvent::Received(vec![i])
        );
    }
    // 5 values at 2 per event: the last one went at the third event (index 2).
    assert_eq!(start.elapsed(), interval * 2);
    peripheral.write(b"answer").unwrap();
    assert_eq!(
        next(&mut central_rx).await,
        RadioEvent::Received(b"answer".to_vec())
    );
    assert_eq!(start.elapsed(), interval * 3);
    assert_eq!(central.att_mtu(), 247);
}

#[tokio::test(start_paused = true)]
async fn the_mtu_is_enforced() {
    let params = SimParams {
        att_mtu: 23,
        ..SimParams::default()
    };
    let ((central, _central_rx), (_peripheral, mut peripheral_rx)) = radio_pair(params, 2).unwrap();
    assert!(matches!(central.write(&[0; 21]), Err(RadioError::Stack(_))));
    central.write(&[0; 20]).unwrap();
    assert_eq!(
        next(&mut peripheral_rx).await,
        RadioEvent::Received(vec![0; 20])
    );
}

#[tokio::test(start_paused = true)]
async fn a_disconnect_reaches_both_sides() {
    let ((central, mut central_rx), (peripheral, mut peripheral_rx)) =
        radio_pair(SimParams::default(), 3).unwrap();
    peripheral.disconnect();
    assert_eq!(next(&mut central_rx).await, RadioEvent::Disconnected);
    assert_eq!(next(&mut peripheral_rx).await, RadioEvent::Disconnected);
    assert_eq!(central.write(b"x"), Err(RadioError::Disconnected));
    // The driver ended: the channels close after the last event.
    assert_eq!(central_rx.recv().await, None);
}

#[tokio::test(start_paused = true)]
async fn a_scheduled_drop_reaches_both_sides_and_dropping_a_radio_ends_the_link() {
    let params = SimParams {
        disconnect_at: Some(Duration::from_secs(2)),
        ..SimParams::default()
    };
    let ((_central, mut central_rx), (_peripheral, mut peripheral_rx)) =
        radio_pair(params, 4).unwrap();
    let start = Instant::now();
    assert_eq!(next(&mut peripheral_rx).await, RadioEvent::Disconnected);
    assert_eq!(next(&mut central_rx).await, RadioEvent::Disconnected);
    assert_eq!(start.elapsed(), Duration::from_secs(2));

    let ((central, mut central_rx), (peripheral, _peripheral_rx)) =
        radio_pair(SimParams::default(), 5).unwrap();
    drop(peripheral);
    assert_eq!(next(&mut central_rx).await, RadioEvent::Disconnected);
    drop(central);
}

/// On the real clock with a time scale, 40 connection events of 30 ms take far less than
/// 1.2 s; what is checked is the delivery, not the speed.
#[tokio::test]
async fn a_time_scale_runs_the_real_clock_faster() {
    let params = SimParams {
        packets_per_event: 1,
        ..SimParams::default()
    };
    let ((central, _c), (_p, mut peripheral_rx)) =
        radio_pair_with_time_scale(params.clone(), 6, 0.001).unwrap();
    for i in 0..40u8 {
        central.write(&[i]).unwrap();
    }
    for i in 0..40u8 {
        assert_eq!(
            next(&mut peripheral_rx).await,
            RadioEvent::Received(vec![i])
        );
    }
    assert_eq!(
        radio_pair_with_time_scale(params.clone(), 6, 0.0).err(),
        Some(SimError::TimeScale(0.0))
    );
    let bad = SimParams {
        att_mtu: 600,
        ..params
    };
    assert_eq!(radio_pair(bad, 6).err(), Some(SimError::AttMtu(600)));
}

#[test]
fn outside_a_runtime_is_an_error() {
    assert_eq!(
        radio_pair(SimParams::default(), 7).err(),
        Some(SimError::NoRuntime)
    );
}

/// The async link runs over the simulated pair: a PASE-sized request/answer chain on one
/// exchange arrives whole and in order at MTU 23 (every message in several frames), and the
/// link's exchange timing follows the connection events.
#[tokio::test(start_paused = true)]
async fn the_async_link_runs_over_the_simulated_pair() {
    use orbit_ble::link::{Link, Message};
    use orbit_ble::FramingConfig;

    let params = SimParams {
        att_mtu: 23,
        ..SimParams::default()
    };
    let interval = params.connection_interval;
    let ((c_radio, c_events), (p_radio, p_events)) = radio_pair(params, 8).unwrap();
    let config = FramingConfig {
        att_mtu: 23,
        ..FramingConfig::default()
    };
    let peripheral = Link::peripheral(p_radio, p_events, config);
    let central = Link::central(c_radio, c_events, config).await.unwrap();
    let device = tokio::spawn(async move {
        let mut exchange = peripheral.accept_exchange().await.unwrap().unwrap();
        let pake1 = exchange.recv_frame().await.unwrap().unwrap();
        exchange.send_frame(1, &[0xb2; 124]).await.unwrap();
        exchange.finish().unwrap();
        let pake3 = exchange.recv_frame().await.unwrap().unwrap();
        assert_eq!(
            exchange.recv_frame().await.unwrap(),
            None,
            "the central ended"
        );
        (pake1, pake3, peripheral)
    });
    let start = Instant::now();
    let mut exchange = central.open_exchange().await.unwrap();
    exchange.send_frame(1, &[0xa1; 50]).await.unwrap();
    let pake2 = exchange.recv_frame().await.unwrap().unwrap();
    assert_eq!(
        pake2,
        Message {
            kind: 1,
            payload: vec![0xb2; 124]
        }
    );
    exchange.send_frame(1, &[0xa3; 71]).await.unwrap();
    exchange.finish().unwrap();
    let (pake1, pake3, _peripheral) = device.await.unwrap();
    assert_eq!(
        pake1,
        Message {
            kind: 1,
            payload: vec![0xa1; 50]
        }
    );
    assert_eq!(
        pake3,
        Message {
            kind: 1,
            payload: vec![0xa3; 71]
        }
    );
    // Nothing faster than the link allows: three messages over 20-byte values at 4 per
    // event take at least 4 connection events.
    assert!(start.elapsed() >= interval * 4, "{:?}", start.elapsed());
}

//! The engine's defaults and bounds are the values of spec/v1/10-limits.md ([LIMIT-19],
//! [LIMIT-20]), and an idle link stays alive by the central's keep-alive and the peripheral's
//! answer ([BLE-38]).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use core::time::Duration;
use orbit_ble::{Engine, FramingConfig, FramingError, LinkState};

const T0: Duration = Duration::ZERO;

fn open_pair(config: FramingConfig) -> (Engine, Engine) {
    let mut central = Engine::central(config, T0);
    let mut peripheral = Engine::peripheral(config, T0);
    let request = central.poll_transmit(T0).unwrap();
    peripheral.handle_value(T0, &request).unwrap();
    let response = peripheral.poll_transmit(T0).unwrap();
    central.handle_value(T0, &response).unwrap();
    (central, peripheral)
}

#[test]
fn default_timers_are_those_of_limit_19() {
    // [LIMIT-19]: handshake 10 s, ack delay 50 ms, ack deadline 10 s, idle 30 s, keep-alive
    // 10 s, close 5 s; and each within its bound.
    let c = FramingConfig::default();
    assert_eq!(c.handshake_timeout, Duration::from_secs(10));
    assert_eq!(c.ack_delay, Duration::from_millis(50));
    assert_eq!(c.ack_deadline, Duration::from_secs(10));
    assert_eq!(c.idle_timeout, Duration::from_secs(30));
    assert_eq!(c.keep_alive, Duration::from_secs(10));
    assert_eq!(c.close_timeout, Duration::from_secs(5));
}

#[test]
fn sizes_are_those_of_limit_20() {
    // [LIMIT-20]: default window 16, SDUs up to 16388 bytes, segment size 20..=514.
    let c = FramingConfig::default();
    assert_eq!(c.window, 16);
    assert_eq!(c.max_sdu, 16388);
    assert_eq!(c.att_mtu, 517);
    let (mut central, _) = open_pair(c);
    assert_eq!(central.segment_size(), Some(514));
    assert!(central.send(vec![0; 16388]).is_ok());
    assert_eq!(central.send(vec![0; 16389]), Err(FramingError::SduTooLarge));
    let small = FramingConfig { att_mtu: 23, ..c };
    let (central, _) = open_pair(small);
    assert_eq!(central.segment_size(), Some(20));
}

#[test]
fn a_keep_alive_is_answered_and_an_idle_link_stays_open() {
    // [BLE-38] [BLE-13]: with nothing to send, the central's ack-only keep-alive after 10 s
    // is answered by the peripheral, the central does not answer that, and neither side's
    // 30 s idle timer ends the link while this goes on.
    let (mut central, mut peripheral) = open_pair(FramingConfig::default());
    let mut now = T0;
    for _ in 0..10 {
        now += Duration::from_secs(10);
        central.handle_timeout(now).unwrap();
        peripheral.handle_timeout(now).unwrap();
        let keep_alive = central.poll_transmit(now).expect("a keep-alive after 10 s");
        assert_eq!(keep_alive, [0x08, 0xff]);
        assert!(central.poll_transmit(now).is_none());
        peripheral.handle_value(now, &keep_alive).unwrap();
        let answer = peripheral
            .poll_transmit(now)
            .expect("the peripheral's answer");
        assert_eq!(answer, [0x08, 0xff]);
        assert!(peripheral.poll_transmit(now).is_none());
        central.handle_value(now, &answer).unwrap();
        assert!(
            central.poll_transmit(now).is_none(),
            "a central never answers"
        );
    }
    assert_eq!(central.state(), LinkState::Open);
    assert_eq!(peripheral.state(), LinkState::Open);

    // Without the answers the central's idle timer ends the link.
    let (mut central, _) = open_pair(FramingConfig::default());
    let mut now = T0;
    let mut ended = None;
    for _ in 0..4 {
        now += Duration::from_secs(10);
        if let Err(e) = central.handle_timeout(now) {
            ended = Some(e);
            break;
        }
        while central.poll_transmit(now).is_some() {}
    }
    assert_eq!(ended, Some(FramingError::IdleTimeout));
    assert_eq!(central.state(), LinkState::Closed);
}

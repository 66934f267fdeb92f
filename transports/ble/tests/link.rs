//! The async link over a pair of channel-backed radios: exchanges both ways, many at once,
//! device-initiated messages, resets of bad exchanges, the 8-exchange limit, graceful close
//! and disconnects ([BLE-14]..[BLE-19]).
#![cfg(feature = "tokio")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod radio_pair;

use std::time::Duration;

use orbit_ble::engine::FramingConfig;
use orbit_ble::link::{BleError, Link, Message};
use radio_pair::{connect, payload, sdu, RawPeer};

async fn pair(mtu: u16) -> (Link, Link, radio_pair::End, radio_pair::End) {
    let (c, p) = connect(mtu);
    let (c_radio, p_radio) = (c.radio.clone(), p.radio.clone());
    let peripheral = Link::peripheral(p.radio, p.events, FramingConfig::default());
    let central = Link::central(c.radio, c.events, FramingConfig::default())
        .await
        .unwrap();
    let (_, c_events) = tokio::sync::mpsc::channel(1);
    let (_, p_events) = tokio::sync::mpsc::channel(1);
    (
        central,
        peripheral,
        radio_pair::End {
            radio: c_radio,
            events: c_events,
        },
        radio_pair::End {
            radio: p_radio,
            events: p_events,
        },
    )
}

fn message(kind: u8, payload: &[u8]) -> Message {
    Message {
        kind,
        payload: payload.to_vec(),
    }
}

/// [BLE-16]: a request and its answer, each ended with END riding on the message: exactly one
/// SDU each way.
#[tokio::test(start_paused = true)]
async fn one_request_one_answer_one_sdu_each_way() {
    let (central, peripheral, _, _) = pair(247).await;
    let server = tokio::spawn(async move {
        let mut exchange = peripheral.accept_exchange().await.unwrap().unwrap();
        assert_eq!(
            exchange.recv_frame().await.unwrap(),
            Some(message(3, b"request"))
        );
        assert_eq!(exchange.recv_frame().await.unwrap(), None);
        exchange.send_frame(3, b"answer").await.unwrap();
        exchange.finish().unwrap();
        drop(exchange);
        peripheral
    });
    let mut exchange = central.open_exchange().await.unwrap();
    assert_eq!(
        exchange.id() & 0x8000,
        0,
        "[BLE-15] central IDs have bit 15 clear"
    );
    exchange.send_frame(3, b"request").await.unwrap();
    exchange.finish().unwrap();
    assert_eq!(
        exchange.recv_frame().await.unwrap(),
        Some(message(3, b"answer"))
    );
    assert_eq!(exchange.recv_frame().await.unwrap(), None);
    drop(exchange);
    let peripheral = server.await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(central.stats().sdus_sent, 1);
    assert_eq!(peripheral.stats().sdus_sent, 1);
    assert_eq!(central.stats().sdus_received, 1);
}

/// [BLE-16]: many exchanges at once, several messages each way, large and small, in both
/// directions; at most 8 are open at a time and every answer reaches its own request.
#[tokio::test(start_paused = true)]
async fn many_concurrent_exchanges_both_ways() {
    let (central, peripheral, _, _) = pair(185).await;
    let server = tokio::spawn(async move {
        let mut handlers = Vec::new();
        while let Ok(Some(mut exchange)) = peripheral.accept_exchange().await {
            handlers.push(tokio::spawn(async move {
                let mut got = Vec::new();
                while let Some(m) = exchange.recv_frame().await.unwrap() {
                    got.push(m);
                }
                // Echo every message back, reversed, then END.
                for m in got.iter().rev() {
                    exchange.send_frame(m.kind, &m.payload).await.unwrap();
                }
                exchange.finish().unwrap();
                got.len()
            }));
        }
        let mut total = 0;
        for handler in handlers {
            total += handler.await.unwrap();
        }
        total
    });
    let mut clients = Vec::new();
    for i in 0..40u8 {
        let central = central.clone();
        clients.push(tokio::spawn(async move {
            let mut exchange = central.open_exchange().await.unwrap();
            let sent: Vec<Message> = (0..3)
                .map(|j| {
                    message(
                        1 + (i + j) % 3,
                        &payload(i ^ j, 1 + usize::from(i) * 400 + usize::from(j)),
                    )
                })
                .collect();
            for m in &sent {
                exchange.send_frame(m.kind, &m.payload).await.unwrap();
            }
            exchange.finish().unwrap();
            let mut answers = Vec::new();
            while let Some(m) = exchange.recv_frame().await.unwrap() {
                answers.push(m);
            }
            answers.reverse();
            assert_eq!(answers, sent, "exchange {i}");
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    central.close().await;
    assert_eq!(server.await.unwrap(), 120);
    assert!(central.is_closed());
}

/// [BLE-17]: device-initiated messages arrive alone, in order, on peripheral IDs; only the
/// peripheral sends them and only the central accepts them.
#[tokio::test(start_paused = true)]
async fn unsolicited_messages_reach_the_central_in_order() {
    let (central, peripheral, c_end, _) = pair(100).await;
    for i in 0..20u8 {
        peripheral
            .send_unsolicited(3, &payload(i, 50 + usize::from(i) * 300))
            .await
            .unwrap();
    }
    for i in 0..20u8 {
        let m = central.accept_unsolicited().await.unwrap().unwrap();
        assert_eq!(m, message(3, &payload(i, 50 + usize::from(i) * 300)));
    }
    assert_eq!(
        central.send_unsolicited(3, b"x").await,
        Err(BleError::WrongRole("peripheral"))
    );
    assert_eq!(
        peripheral.accept_unsolicited().await,
        Err(BleError::WrongRole("central"))
    );
    assert!(matches!(
        peripheral.open_exchange().await,
        Err(BleError::WrongRole("central"))
    ));
    assert!(matches!(
        central.accept_exchange().await,
        Err(BleError::WrongRole("peripheral"))
    ));
    assert_eq!(
        peripheral.send_unsolicited(9, b"x").await,
        Err(BleError::InvalidMessage("the kind must be 1, 2 or 3"))
    );
    drop(c_end);
}

/// [BLE-18]: an unknown kind resets that exchange with `unknown-kind` (3); the link and its
/// other exchanges go on ([BLE-19]: an empty payload is `malformed-frame`, 2).
#[tokio::test(start_paused = true)]
async fn unknown_kind_resets_the_exchange_and_the_link_goes_on() {
    let (c, p) = connect(247);
    let peripheral = Link::peripheral(p.radio, p.events, FramingConfig::default());
    let mut raw = RawPeer::central(c);
    raw.open().await;
    raw.send(sdu(0, 0x01, 9, b"what"));
    assert_eq!(raw.recv().await, sdu(0, 0x02, 0, &[3]));
    raw.send(sdu(1, 0x01, 2, b""));
    assert_eq!(raw.recv().await, sdu(1, 0x02, 0, &[2]));
    // Mid-exchange: the accepted exchange learns why it ended.
    raw.send(sdu(2, 0x00, 3, b"first"));
    let mut exchange = peripheral.accept_exchange().await.unwrap().unwrap();
    assert_eq!(
        exchange.recv_frame().await.unwrap(),
        Some(message(3, b"first"))
    );
    raw.send(sdu(2, 0x00, 77, b"second"));
    assert_eq!(exchange.recv_frame().await, Err(BleError::UnknownKind(77)));
    assert_eq!(raw.recv().await, sdu(2, 0x02, 0, &[3]));
    // The link goes on.
    raw.send(sdu(3, 0x01, 3, b"fine"));
    let mut exchange = peripheral.accept_exchange().await.unwrap().unwrap();
    assert_eq!(
        exchange.recv_frame().await.unwrap(),
        Some(message(3, b"fine"))
    );
    exchange.send_frame(3, b"ok").await.unwrap();
    exchange.finish().unwrap();
    assert_eq!(raw.recv().await, sdu(3, 0x01, 3, b"ok"));
    assert!(!peripheral.is_closed());
}

/// [BLE-18] on the central: an answer of an unknown kind resets the exchange.
#[tokio::test(start_paused = true)]
async fn unknown_kind_in_an_answer_resets_the_central_exchange() {
    let (c, p) = connect(247);
    let mut raw = RawPeer::peripheral(p);
    let central_task = tokio::spawn(Link::central(c.radio, c.events, FramingConfig::default()));
    raw.open().await;
    let central = central_task.await.unwrap().unwrap();
    let mut exchange = central.open_exchange().await.unwrap();
    exchange.send_frame(3, b"hello").await.unwrap();
    exchange.finish().unwrap();
    let request = raw.recv().await;
    assert_eq!(request, sdu(exchange.id(), 0x01, 3, b"hello"));
    raw.send(sdu(exchange.id(), 0x01, 5, b"??"));
    assert_eq!(exchange.recv_frame().await, Err(BleError::UnknownKind(5)));
    assert_eq!(raw.recv().await, sdu(exchange.id(), 0x02, 0, &[3]));
}

/// [BLE-16]: the 9th central exchange open at once is refused with RESET `limit-exceeded`
/// (4); once one ends, a new one is accepted.
#[tokio::test(start_paused = true)]
async fn ninth_concurrent_exchange_is_refused() {
    let (c, p) = connect(247);
    let peripheral = Link::peripheral(p.radio, p.events, FramingConfig::default());
    let mut raw = RawPeer::central(c);
    raw.open().await;
    let mut accepted = Vec::new();
    for id in 0..8u16 {
        raw.send(sdu(id, 0x00, 3, b"open"));
        accepted.push(peripheral.accept_exchange().await.unwrap().unwrap());
    }
    raw.send(sdu(8, 0x00, 3, b"ninth"));
    assert_eq!(raw.recv().await, sdu(8, 0x02, 0, &[4]));
    // SDUs the central sent before it saw the RESET do not open a phantom exchange.
    raw.send(sdu(8, 0x01, 3, b"late"));
    // End exchange 0 both ways; then a new ID is accepted.
    raw.send(sdu(0, 0x01, 0, b""));
    let mut first = accepted.remove(0);
    assert_eq!(first.recv_frame().await.unwrap(), Some(message(3, b"open")));
    assert_eq!(first.recv_frame().await.unwrap(), None);
    first.finish().unwrap();
    assert_eq!(raw.recv().await, sdu(0, 0x01, 0, b""));
    raw.send(sdu(9, 0x01, 3, b"now"));
    let mut next = peripheral.accept_exchange().await.unwrap().unwrap();
    assert_eq!(next.id(), 9);
    assert_eq!(next.recv_frame().await.unwrap(), Some(message(3, b"now")));
}

/// [BLE-16]: a central link never opens a 9th exchange: open_exchange waits for a slot.
#[tokio::test(start_paused = true)]
async fn the_central_waits_for_a_free_slot() {
    let (central, _peripheral, _, _) = pair(247).await;
    let mut open = Vec::new();
    for _ in 0..8 {
        open.push(central.open_exchange().await.unwrap());
    }
    let ninth = tokio::time::timeout(Duration::from_secs(1), central.open_exchange()).await;
    assert!(ninth.is_err(), "a 9th exchange opened while 8 were open");
    // Dropping one that never reached the wire frees its slot.
    open.pop();
    let ninth = tokio::time::timeout(Duration::from_secs(1), central.open_exchange()).await;
    assert!(ninth.is_ok());
}

/// [BLE-15] A peer that floods an exchange its owner does not read gets RESET
/// `limit-exceeded`, and the owner learns why; nothing is buffered without bound (BLE.md's
/// notes for the link implementer; no rule ID of its own).
#[tokio::test(start_paused = true)]
async fn a_flooded_exchange_is_reset() {
    let (c, p) = connect(247);
    let peripheral = Link::peripheral(p.radio, p.events, FramingConfig::default());
    let mut raw = RawPeer::central(c);
    raw.open().await;
    for i in 0..40u8 {
        raw.send(sdu(0, 0x00, 3, &[i; 10]));
    }
    assert_eq!(raw.recv().await, sdu(0, 0x02, 0, &[4]));
    let mut exchange = peripheral.accept_exchange().await.unwrap().unwrap();
    let mut read = 0;
    let error = loop {
        match exchange.recv_frame().await {
            Ok(Some(_)) => read += 1,
            Ok(None) => panic!("no END was sent"),
            Err(e) => break e,
        }
    };
    assert_eq!(error, BleError::Flooded);
    assert!(read <= 16, "{read} messages buffered");
}

/// [BLE-15]: dropping an exchange that did not end resets it with `no-error` (0).
#[tokio::test(start_paused = true)]
async fn a_dropped_exchange_resets_with_no_error() {
    let (c, p) = connect(247);
    let peripheral = Link::peripheral(p.radio, p.events, FramingConfig::default());
    let mut raw = RawPeer::central(c);
    raw.open().await;
    raw.send(sdu(5, 0x00, 3, b"hi"));
    let exchange = peripheral.accept_exchange().await.unwrap().unwrap();
    drop(exchange);
    assert_eq!(raw.recv().await, sdu(5, 0x02, 0, &[0]));
}

/// [BLE-14]: a graceful close delivers everything queued on both sides before the link
/// ends: the closer's device-initiated messages and the central's ended exchanges.
#[tokio::test(start_paused = true)]
async fn graceful_close_drains_everything_queued() {
    let (central, peripheral, c_end, p_end) = pair(64).await;
    // Congest both directions so that SDUs pile up in both engines.
    c_end.radio.shut_gate();
    p_end.radio.shut_gate();
    let mut exchanges = Vec::new();
    for i in 0..3u8 {
        let mut exchange = central.open_exchange().await.unwrap();
        exchange.send_frame(2, &payload(i, 3000)).await.unwrap();
        exchange.finish().unwrap(); // queued at once
        exchanges.push(exchange);
    }
    let mut sends = Vec::new();
    for i in 0..5u8 {
        let peripheral = peripheral.clone();
        let mut send = Box::pin(async move {
            peripheral
                .send_unsolicited(3, &payload(100 + i, 2000))
                .await
        });
        // One poll hands the SDU to the link; then let it finish in the background.
        tokio::select! {
            biased;
            _ = &mut send => panic!("sent through a shut gate"),
            () = std::future::ready(()) => {}
        }
        sends.push(tokio::spawn(send));
    }
    let closer = {
        let peripheral = peripheral.clone();
        tokio::spawn(async move { peripheral.close().await })
    };
    tokio::task::yield_now().await;
    c_end.radio.open_gate();
    p_end.radio.open_gate();
    for i in 0..5u8 {
        let m = central.accept_unsolicited().await.unwrap().unwrap();
        assert_eq!(m, message(3, &payload(100 + i, 2000)));
    }
    assert_eq!(central.accept_unsolicited().await, Ok(None));
    for send in sends {
        assert_eq!(send.await.unwrap(), Ok(()));
    }
    for i in 0..3u8 {
        let mut exchange = peripheral.accept_exchange().await.unwrap().unwrap();
        assert_eq!(
            exchange.recv_frame().await.unwrap(),
            Some(message(2, &payload(i, 3000)))
        );
        assert_eq!(exchange.recv_frame().await.unwrap(), None);
    }
    assert!(peripheral.accept_exchange().await.unwrap().is_none());
    closer.await.unwrap();
    assert!(central.is_closed() && peripheral.is_closed());
    // The central's exchanges end: nothing more will come.
    for mut exchange in exchanges {
        assert_eq!(exchange.recv_frame().await, Err(BleError::Closed));
    }
    assert!(matches!(
        central.open_exchange().await,
        Err(BleError::Closed)
    ));
}

/// [BLE-3]: each BLE connection carries one link and closing it ends the link: open
/// exchanges and pending accepts fail with `Disconnected` on both sides ([BLE-39]).
#[tokio::test(start_paused = true)]
async fn radio_disconnect_ends_exchanges_with_an_error() {
    let (central, peripheral, c_end, _) = pair(247).await;
    let mut exchange = central.open_exchange().await.unwrap();
    exchange.send_frame(3, b"are you there").await.unwrap();
    exchange.finish().unwrap();
    let mut served = peripheral.accept_exchange().await.unwrap().unwrap();
    assert_eq!(
        served.recv_frame().await.unwrap(),
        Some(message(3, b"are you there"))
    );
    use orbit_ble::radio::Radio;
    c_end.radio.disconnect();
    assert_eq!(exchange.recv_frame().await, Err(BleError::Disconnected));
    assert_eq!(
        peripheral.accept_exchange().await.err(),
        Some(BleError::Disconnected)
    );
    assert_eq!(
        central.accept_unsolicited().await,
        Err(BleError::Disconnected)
    );
    assert_eq!(served.send_frame(3, b"too late").await, Ok(()));
    assert_eq!(served.recv_frame().await, Err(BleError::Disconnected));
    assert!(central.is_closed() && peripheral.is_closed());
}

/// [BLE-13]: a central whose peripheral never answers the handshake fails with
/// `handshake-timeout`.
#[tokio::test(start_paused = true)]
async fn central_handshake_times_out() {
    let (c, _p) = connect(247);
    let result = Link::central(c.radio, c.events, FramingConfig::default()).await;
    assert_eq!(
        result.err(),
        Some(BleError::Framing(orbit_ble::FramingError::HandshakeTimeout))
    );
}

/// [BLE-16]: `try_recv_frame` and `recv_frame_within` do not wait past what is there; a held
/// message goes out when the exchange turns to receiving.
#[tokio::test(start_paused = true)]
async fn polling_and_bounded_receives() {
    let (central, peripheral, c_end, _) = pair(247).await;
    let mut exchange = central.open_exchange().await.unwrap();
    exchange.send_frame(1, b"held").await.unwrap();
    let written_before = c_end.radio.written.lock().unwrap().len();
    assert!(exchange.try_recv_frame().is_none());
    let mut served = peripheral.accept_exchange().await.unwrap().unwrap();
    assert!(c_end.radio.written.lock().unwrap().len() > written_before);
    assert_eq!(
        served.recv_frame().await.unwrap(),
        Some(message(1, b"held"))
    );
    assert!(exchange
        .recv_frame_within(Duration::from_secs(2))
        .await
        .is_none());
    served.send_frame(1, b"late").await.unwrap();
    served.finish().unwrap();
    assert_eq!(
        exchange.recv_frame_within(Duration::from_secs(2)).await,
        Some(Ok(Some(message(1, b"late"))))
    );
    assert_eq!(exchange.try_recv_frame(), Some(Ok(None)));
    exchange.finish().unwrap();
    assert_eq!(served.recv_frame().await, Ok(None));
    assert_eq!(
        exchange.send_frame(1, b"x").await,
        Err(BleError::ExchangeEnded)
    );
}

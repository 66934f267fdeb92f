//! Which connection carries a session's reports once the session has used several: the one
//! on which the device last received a valid message of it; a replayed message on another
//! connection does not divert them `[QUIC-25]`, `[QUIC-20]`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::handshakes;
use super::test_support::{lamp, pair_lamp, PairedLamp};
use crate::device::Device;
use crate::link::{FrameKind, Link};
use orbit_core::crypto::SystemRandom;
use orbit_core::interaction::{AttributePath, Client, ClientEvent, ReadRequest, SubscribeRequest};
use orbit_core::model::std_caps::on_off;
use orbit_core::model::EndpointId;
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_devices::lamp;
use std::time::{Duration, Instant};

/// Sends `sealed` on a new exchange of `link` and returns the frames of the answer.
async fn send(link: &Link, sealed: &[u8]) -> Vec<Vec<u8>> {
    let mut ex = link.open_exchange().await.unwrap();
    ex.send_frame(FrameKind::PROTECTED, sealed).await.unwrap();
    ex.finish().unwrap();
    let mut frames = Vec::new();
    while let Some(f) = tokio::time::timeout(Duration::from_secs(10), ex.recv_frame())
        .await
        .unwrap()
        .unwrap()
    {
        frames.push(f.payload.to_vec());
    }
    frames
}

/// Changes the lamp and returns the connection among `links` on which the report arrives.
async fn report_arrives_on(device: &Device, links: &[&Link], on: bool) -> usize {
    device.update(EndpointId(lamp::ENDPOINT), |ctx| {
        ctx.set(on_off::ID, on_off::attributes::ON, on).unwrap()
    });
    let waits = links
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Box::pin(async move {
                l.accept_unsolicited().await.unwrap().unwrap();
                i
            })
        })
        .collect::<Vec<_>>();
    tokio::time::timeout(Duration::from_secs(10), first_of(waits))
        .await
        .expect("a report")
}

/// The output of the first of several futures to finish.
async fn first_of<F: std::future::Future<Output = usize> + Unpin>(mut futures: Vec<F>) -> usize {
    std::future::poll_fn(move |cx| {
        for f in futures.iter_mut() {
            if let std::task::Poll::Ready(i) = std::pin::Pin::new(f).poll(cx) {
                return std::task::Poll::Ready(i);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

#[tokio::test]
async fn reports_follow_the_last_connection_with_a_valid_message_of_the_session() {
    // [QUIC-25]
    let device = lamp().await;
    let PairedLamp {
        phone,
        addr,
        node,
        membership,
    } = pair_lamp(&device).await;
    let a = Link::Quic(phone.quic.connect(addr).await.unwrap());
    let b = Link::Quic(phone.quic.connect(addr).await.unwrap());
    let c = Link::Quic(phone.quic.connect(addr).await.unwrap());
    let mut rng = SystemRandom::new();
    let (established, end) = handshakes::open_session(&a, &membership, node, None, &mut rng)
        .await
        .unwrap();
    end.verdict().await.unwrap();
    let mut protector =
        Protector::new(established.session_keys(), ProtectConfig::default()).unwrap();
    let mut client = Client::new();
    let seal = |p: &mut Protector, plain: &[u8]| {
        let mut out = Vec::new();
        p.seal(plain, &mut out).unwrap();
        out
    };

    // Subscribe on connection A: reports come on A.
    let (_, subscribe) = client.subscribe(
        Instant::now(),
        SubscribeRequest {
            attributes: vec![AttributePath::endpoint(EndpointId(lamp::ENDPOINT))],
            min_interval_s: 0,
            max_interval_s: 60,
            ..Default::default()
        },
    );
    for mut frame in send(&a, &seal(&mut protector, &subscribe)).await {
        let plain = protector.open(&mut frame).unwrap().payload.to_vec();
        client.handle(Instant::now(), &plain).unwrap();
    }
    assert_eq!(report_arrives_on(&device, &[&a, &b, &c], true).await, 0);

    // A read of the same session on connection B moves its reports to B.
    let (_, read) = client.read(
        Instant::now(),
        ReadRequest {
            attributes: vec![AttributePath::endpoint(EndpointId(lamp::ENDPOINT))],
            ..Default::default()
        },
    );
    let read = seal(&mut protector, &read);
    let answers = send(&b, &read).await;
    assert!(!answers.is_empty());
    for mut frame in answers {
        let plain = protector.open(&mut frame).unwrap().payload.to_vec();
        assert!(matches!(
            client.handle(Instant::now(), &plain),
            Ok(Some(ClientEvent::ReadDone { .. }))
        ));
    }
    assert_eq!(report_arrives_on(&device, &[&a, &b, &c], false).await, 1);

    // The same read replayed on connection C is dropped and moves nothing.
    assert!(send(&c, &read).await.is_empty(), "[MSG-18] no answer");
    assert_eq!(report_arrives_on(&device, &[&a, &b, &c], true).await, 1);
}

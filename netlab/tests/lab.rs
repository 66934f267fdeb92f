//! The lab itself: hosts reach each other across the bridge (unicast and multicast), each
//! runtime's sockets are in its host, partitions and address changes do what they say, and
//! nothing is left behind. Skipped, saying why, where the machine cannot make namespaces.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_netlab::{check, cleanup, Lab};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::UdpSocket;

/// Sends `tries` datagrams from a socket on `from` to the echo at `to`, returns how many came back.
fn echo_count(rt: &orbit_netlab::NsRuntime, to: SocketAddr, tries: u32) -> u32 {
    rt.block_on(async move {
        let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        let mut back = 0;
        let mut b = [0u8; 16];
        for i in 0..tries {
            s.send_to(&i.to_be_bytes(), to).await.unwrap();
            if let Ok(Ok(_)) =
                tokio::time::timeout(Duration::from_millis(150), s.recv_from(&mut b)).await
            {
                back += 1;
            }
        }
        back
    })
    .unwrap()
}

#[test]
fn hosts_talk_across_the_bridge_and_the_lab_leaves_nothing_behind() {
    if let Err(e) = check() {
        println!("SKIPPED: {e}");
        return;
    }
    let lab = Lab::new().unwrap();
    let a = lab.add_host("a").unwrap();
    let b = lab.add_host("b").unwrap();
    let ra = a.runtime(1).unwrap();
    let rb = b.runtime(1).unwrap();
    // An echo on b, reached by unicast and by a multicast group it joined.
    rb.block_on(async {
        let s = std::net::UdpSocket::bind("0.0.0.0:9000").unwrap();
        s.join_multicast_v4(&Ipv4Addr::new(224, 0, 0, 251), &Ipv4Addr::UNSPECIFIED)
            .unwrap();
        s.set_nonblocking(true).unwrap();
        let s = UdpSocket::from_std(s).unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 64];
            while let Ok((n, from)) = s.recv_from(&mut buf).await {
                let _ = s.send_to(&buf[..n], from).await;
            }
        });
    })
    .unwrap();
    let to = SocketAddr::from((b.ip(), 9000));
    assert_eq!(echo_count(&ra, to, 5), 5, "unicast across the bridge");
    let group = SocketAddr::from((Ipv4Addr::new(224, 0, 0, 251), 9000));
    assert!(
        echo_count(&ra, group, 5) >= 4,
        "multicast crosses the bridge"
    );
    // The runtime's sockets are in its host: 127.0.0.1:9000 on a is not b's echo.
    assert_eq!(echo_count(&ra, "127.0.0.1:9000".parse().unwrap(), 2), 0);

    b.set_partitioned(true).unwrap();
    assert_eq!(echo_count(&ra, to, 3), 0, "a partition drops everything");
    assert!(b.counters().unwrap().dropped >= 3);
    b.set_loss(50).unwrap();
    let back = echo_count(&ra, to, 20);
    assert!(
        back > 0 && back < 20,
        "50 % loss each way: {back}/20 came back"
    );
    b.set_loss(0).unwrap();
    assert_eq!(echo_count(&ra, to, 3), 3);

    let (old, new) = lab.renew_address(&b).unwrap();
    assert_eq!(b.addresses().unwrap(), vec![new]);
    assert_eq!(echo_count(&ra, SocketAddr::from((old, 9000)), 2), 0);
    assert_eq!(echo_count(&ra, SocketAddr::from((new, 9000)), 3), 3);

    let prefix = lab.prefix().to_owned();
    let work = lab.work_dir().to_owned();
    drop((ra, rb));
    lab.remove().unwrap();
    assert!(cleanup::namespaces(&prefix).unwrap().is_empty());
    assert!(!work.exists());
}

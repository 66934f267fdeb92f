//! The lab itself: hosts reach each other across the bridge (unicast and multicast), each
//! runtime's sockets are in its host, loss, partitions, rate limits and address changes do
//! what they say, and nothing is left behind (on drop, SIGINT, SIGTERM, panic, and after a
//! SIGKILL by the next lab). Skipped, saying why, where the machine cannot make namespaces.
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
            let mut buf = [0u8; 2048];
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

    // A rate limit on b's sending: a burst of echoes beyond the token bucket is held back
    // and dropped (tbf counts each in `overlimits`).
    b.set_rate(Some(100)).unwrap();
    let burst = ra
        .block_on(async move {
            let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
            for i in 0..80u32 {
                let mut d = vec![0u8; 1200];
                d[..4].copy_from_slice(&i.to_be_bytes());
                s.send_to(&d, to).await.unwrap();
            }
            let mut back = 0;
            let mut buf = [0u8; 1500];
            while let Ok(Ok(_)) =
                tokio::time::timeout(Duration::from_millis(500), s.recv_from(&mut buf)).await
            {
                back += 1;
            }
            back
        })
        .unwrap();
    let stats = b
        .exec("tc", &["-s", "qdisc", "show", "dev", "eth0"])
        .unwrap();
    let overlimits: u64 = stats
        .split_whitespace()
        .skip_while(|w| *w != "overlimits")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(stats.contains("tbf") && overlimits > 0, "{stats}");
    assert!(
        burst < 80,
        "a 96 KB burst through a 32 KB bucket at 100 kbit/s: {burst}/80 back"
    );
    b.set_rate(None).unwrap();
    assert!(!b
        .exec("tc", &["qdisc", "show", "dev", "eth0"])
        .unwrap()
        .contains("tbf"));
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

/// The namespaces of the labs of process `pid`.
fn labs_of(pid: u32) -> Vec<String> {
    cleanup::namespaces(&format!("{}{pid}-", cleanup::NAME_PREFIX)).unwrap()
}

#[test]
fn an_interrupted_or_terminated_run_removes_its_lab() {
    if let Err(e) = check() {
        println!("SKIPPED: {e}");
        return;
    }
    for signal in ["-INT", "-TERM"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_netlab"))
            .args(["hold", "60"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        // Wait until it says the lab is built.
        use std::io::BufRead;
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        let ready = out.lines().map_while(Result::ok).any(|l| l == "ready");
        assert!(ready, "the lab was built");
        assert_eq!(
            labs_of(pid).len(),
            3,
            "bridge, controller and device namespaces"
        );
        orbit_netlab::cmd::run("kill", &[signal, &pid.to_string()], None).unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "{signal}: exits as interrupted");
        assert!(labs_of(pid).is_empty(), "{signal}: nothing left");
    }
}

#[test]
fn a_panic_removes_the_lab_and_leftovers_of_dead_runs_are_reaped() {
    if let Err(e) = check() {
        println!("SKIPPED: {e}");
        return;
    }
    let prefix = std::thread::spawn(|| {
        let lab = Lab::new().unwrap();
        lab.add_host("x").unwrap();
        let prefix = lab.prefix().to_owned();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _lab = lab;
            panic!("a scenario fails");
        }))
        .unwrap_err();
        prefix
    })
    .join()
    .unwrap();
    assert!(cleanup::namespaces(&prefix).unwrap().is_empty());

    // A run killed outright (SIGKILL: no handler, no destructor) leaves its lab; the next
    // lab removes it, since its process is gone.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(["hold", "60"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    use std::io::BufRead;
    let out = std::io::BufReader::new(child.stdout.take().unwrap());
    assert!(out.lines().map_while(Result::ok).any(|l| l == "ready"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(labs_of(pid).len(), 3, "SIGKILL leaves the lab");
    let work = std::env::temp_dir().join(format!("{}{pid}-0", cleanup::NAME_PREFIX));
    assert!(work.exists(), "and its work directory");
    let lab = Lab::new().unwrap();
    assert!(labs_of(pid).is_empty(), "the next lab reaped it");
    assert!(!work.exists(), "work directory too");
    lab.remove().unwrap();
}

//! The server's connection budget on real QUIC over 127.0.0.1 ([QUIC-40] to [QUIC-43]): what
//! the policy decides is carried out on live connections.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use orbit_quic::{Client, ErrorCode, FrameKind, Link, QuicConfig, QuicError, Server};
use tokio::sync::mpsc;

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A server that hands each accepted link to the test and answers every exchange with one
/// frame once the test lets it (so an exchange stays open as long as the test wants).
fn server(cfg: QuicConfig) -> (Arc<Server>, SocketAddr, mpsc::UnboundedReceiver<Link>) {
    let server = Arc::new(Server::bind(any_port(), cfg).unwrap());
    let addr = server.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let s = server.clone();
    tokio::spawn(async move {
        while let Some(accepted) = s.accept().await {
            if let Ok(link) = accepted {
                let _ = tx.send(link);
            }
        }
    });
    (server, addr, rx)
}

/// Waits (generously) for the connection to be closed by the server, and says how.
async fn closed_by_server(link: &Link) -> QuicError {
    tokio::time::timeout(Duration::from_secs(20), link.closed())
        .await
        .expect("the server closes the connection")
}

fn still_open(link: &Link) -> bool {
    link.close_reason().is_none()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_arrival_takes_the_place_of_the_oldest_unauthenticated_connection() {
    // [QUIC-41]
    let (server, addr, mut accepted) = server(QuicConfig {
        max_unauthenticated: 2,
        ..QuicConfig::default()
    });
    let client = Client::new(any_port(), QuicConfig::default()).unwrap();
    let first = client.connect(addr).await.unwrap();
    let _held_first = accepted.recv().await.unwrap();
    let second = client.connect(addr).await.unwrap();
    let _held_second = accepted.recv().await.unwrap();
    assert_eq!(server.connection_counts(), (0, 2));
    let third = client.connect(addr).await.unwrap();
    let _held_third = accepted.recv().await.unwrap();
    let why = closed_by_server(&first).await;
    assert!(
        matches!(&why, QuicError::ClosedByPeer { code, .. } if *code == ErrorCode::SERVER_BUSY),
        "{why}"
    );
    assert!(why.is_busy());
    assert!(still_open(&second) && still_open(&third));
    assert_eq!(server.connection_counts(), (0, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_without_a_session_is_closed_at_its_deadline() {
    // [QUIC-40]
    let (server, addr, mut accepted) = server(QuicConfig {
        unauthenticated_deadline: Duration::from_millis(300),
        ..QuicConfig::default()
    });
    let client = Client::new(any_port(), QuicConfig::default()).unwrap();
    let lazy = client.connect(addr).await.unwrap();
    let _held_lazy = accepted.recv().await.unwrap();
    let member = client.connect(addr).await.unwrap();
    let held_member = accepted.recv().await.unwrap();
    assert!(held_member.authenticate(Some(7)));
    let why = closed_by_server(&lazy).await;
    assert!(
        matches!(&why, QuicError::ClosedByPeer { code, .. } if *code == ErrorCode::LIMIT_EXCEEDED),
        "{why}"
    );
    // The authenticated one outlives the deadline: an exchange on it still works after the
    // lazy one (which arrived first) has been closed.
    let mut ex = member.open_exchange().await.unwrap();
    ex.send_frame(FrameKind::PROTECTED, b"ping").await.unwrap();
    ex.finish().unwrap();
    let mut served = held_member.accept_exchange().await.unwrap().unwrap();
    assert_eq!(
        served.recv_frame().await.unwrap().unwrap().payload,
        &b"ping"[..]
    );
    assert!(still_open(&member));
    assert_eq!(server.connection_counts(), (1, 0));
}

/// Opens an exchange on `link` that the server (`held`) keeps open: the connection is busy.
async fn busy(link: &Link, held: &Link) -> (orbit_quic::Exchange, orbit_quic::Exchange) {
    let mut ex = link.open_exchange().await.unwrap();
    ex.send_frame(FrameKind::PROTECTED, b"wait").await.unwrap();
    (ex, held.accept_exchange().await.unwrap().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_authenticated_budget_gives_way_idle_first_then_over_reserve() {
    // [QUIC-42], [QUIC-43]
    let (server, addr, mut accepted) = server(QuicConfig {
        max_connections: 4,
        reserved_per_home: 2,
        ..QuicConfig::default()
    });
    let client = Client::new(any_port(), QuicConfig::default()).unwrap();
    let mut links = Vec::new();
    let mut held = Vec::new();
    // Home 1 takes the whole budget; every connection but the first has an exchange open.
    let mut open = Vec::new();
    for i in 0..4 {
        let link = client.connect(addr).await.unwrap();
        let h = accepted.recv().await.unwrap();
        assert!(h.authenticate(Some(1)));
        if i > 0 {
            open.push(busy(&link, &h).await);
        }
        links.push(link);
        held.push(h);
    }
    assert_eq!(server.connection_counts(), (4, 0));
    // A member of home 2: the idle connection of home 1 gives way.
    let second_home = client.connect(addr).await.unwrap();
    let h = accepted.recv().await.unwrap();
    assert!(h.authenticate(Some(2)));
    assert!(closed_by_server(&links[0]).await.is_busy());
    open.push(busy(&second_home, &h).await);
    held.push(h);
    // Nothing is idle now. Home 2 holds 1 of its reserve of 2: home 1 (3, over its reserve)
    // gives way with its least recently active connection.
    let again = client.connect(addr).await.unwrap();
    let h = accepted.recv().await.unwrap();
    assert!(h.authenticate(Some(2)));
    assert!(closed_by_server(&links[1]).await.is_busy());
    open.push(busy(&again, &h).await);
    held.push(h);
    // Home 2 is at its reserve, home 1 too: a third member of home 2 is refused.
    let refused = client.connect(addr).await.unwrap();
    let h = accepted.recv().await.unwrap();
    assert!(!h.authenticate(Some(2)));
    assert!(closed_by_server(&refused).await.is_busy());
    assert!(still_open(&second_home) && still_open(&again));
    assert!(still_open(&links[2]) && still_open(&links[3]));
    assert_eq!(server.connection_counts(), (4, 0));
    drop(open);
}

#[test]
fn the_budget_defaults_are_those_of_the_limits() {
    // [LIMIT-10]: the unauthenticated budget is smaller than the authenticated one and its
    // deadline at most 30 s.
    let cfg = QuicConfig::default();
    assert_eq!(
        (
            cfg.max_connections,
            cfg.max_unauthenticated,
            cfg.reserved_per_home
        ),
        (32, 16, 4)
    );
    assert_eq!(cfg.unauthenticated_deadline, Duration::from_secs(10));
    assert!(cfg.max_unauthenticated < cfg.max_connections);
}

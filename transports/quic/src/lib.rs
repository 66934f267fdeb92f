//! Orbit over QUIC ([QUIC-*], `spec/v1/16-quic.md`).
//!
//! QUIC is only a pipe for Orbit: authentication and message protection are Orbit's own
//! pairing, sessions and protected messages, identical on every transport ([SESS-2],
//! [MSG-3]); nothing QUIC or TLS establishes is taken as authenticating a peer ([QUIC-3]),
//! and every Orbit message travels in its pairing, session handshake or protected form
//! whatever the connection's encryption. This crate gives an async API over quinn and tokio that the SDK uses without
//! touching quinn:
//!
//! - a device runs a [`Server`] and [`accept`](Server::accept)s [`Link`]s;
//! - a controller runs a [`Client`] and [`connect`](Client::connect)s to devices;
//! - each Orbit exchange (a pairing handshake, a session handshake, one interaction) is an
//!   [`Exchange`] on its own stream, carrying frames ([`frame`]);
//! - a device sends subscription reports with [`Link::send_unsolicited`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), orbit_quic::QuicError> {
//! use orbit_quic::{Client, FrameKind, QuicConfig, Server};
//! let server = Server::bind("127.0.0.1:0".parse().unwrap(), QuicConfig::default())?;
//! let addr = server.local_addr()?;
//! tokio::spawn(async move {
//!     while let Some(Ok(link)) = server.accept().await {
//!         tokio::spawn(async move {
//!             while let Ok(Some(mut ex)) = link.accept_exchange().await {
//!                 while let Ok(Some(frame)) = ex.recv_frame().await {
//!                     let _ = ex.send_frame(frame.kind, &frame.payload).await;
//!                 }
//!                 let _ = ex.finish();
//!             }
//!         });
//!     }
//! });
//! let client = Client::new("127.0.0.1:0".parse().unwrap(), QuicConfig::default())?;
//! let link = client.connect(addr).await?;
//! let mut ex = link.open_exchange().await?;
//! ex.send_frame(FrameKind::PROTECTED, b"sealed bytes").await?;
//! ex.finish()?;
//! let reply = ex.recv_frame().await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod budget;
mod client;
mod code;
pub mod config;
mod error;
mod exchange;
pub mod frame;
mod link;
mod server;
mod slots;
mod trace;
mod verify;

pub use client::Client;
pub use code::ErrorCode;
pub use config::{QuicConfig, ALPN, DEFAULT_PORT};
pub use error::QuicError;
pub use exchange::{Exchange, FrameReceiver, FrameSender};
pub use frame::{FrameError, FrameKind, OwnedFrame};
pub use link::{Link, LinkStats};
pub use server::Server;
pub use slots::DeadlineDeferral;
pub use trace::STREAM_TARGET;

/// Which side of a connection a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The controller: connects and opens exchanges.
    Client,
    /// The device: accepts connections and exchanges, sends unsolicited messages.
    Server,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Client => "client",
            Self::Server => "server",
        })
    }
}

//! The transport seam of the SDK: a [`Link`] is one connection to a peer and an [`Exchange`]
//! one request and its answer on it, whatever carries them. The device runtime and the
//! controller speak only these types, so that a device serves, and a controller talks, over
//! any transport with the same code.
//!
//! Every transport carries the same frames: a kind (pairing, session or protected, [QUIC-9])
//! and a payload. The QUIC transport's [`FrameKind`], [`OwnedFrame`] and [`ErrorCode`] name
//! them here too, so a transport whose own types are plain bytes (BLE carries the same kinds
//! and the same reset codes) converts at its variant, not in every caller.

mod ble_guard;
mod connection;
mod error;
mod exchange;
mod peer;

pub(crate) use ble_guard::enforce as enforce_ble_deadline;
pub use ble_guard::{BleDeferral, SessionGuard, NO_SESSION_DEADLINE};
pub use connection::{BleLink, Link};
pub use error::LinkError;
pub use exchange::{Deferral, Exchange};
pub use orbit_quic::{DeadlineDeferral, ErrorCode, FrameKind, OwnedFrame};
pub use peer::Peer;

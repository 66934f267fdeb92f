//! Message protection: the AEAD record layer every session uses after its handshake
//! (`spec/v1/07-message-protection.md`, rules `[MSG-*]`).
//!
//! Each protected message is `header ‖ ciphertext ‖ tag`:
//!
//! - a fixed 13-byte binary header (flags with the key phase, the *receiver's* 32-bit session
//!   identifier, a 64-bit counter) that is also the associated data `[MSG-6]`, `[MSG-10]`;
//! - ChaCha20-Poly1305 under a per-direction key, with the nonce derived from the counter
//!   `[MSG-1]`, `[MSG-9]`;
//! - a 16-byte tag. Overhead: [`OVERHEAD`] = 29 bytes per message.
//!
//! The receiver finds the session by the identifier in the header, never by the transport it
//! arrived on, so a session moves between BLE, QUIC or anything else without a new handshake
//! `[MSG-3]`. A sliding window of [`REPLAY_WINDOW`] counters accepts each counter at most once
//! `[MSG-12]`; keys are updated in each direction after a configurable number of messages
//! `[MSG-15]`. Every failure is a typed [`ProtectError`]: the message is dropped, and the
//! session's state is untouched `[MSG-13]`.
//!
//! # Drive loop
//!
//! ```
//! use orbit_core::protect::{peek_session_id, Protector, ProtectConfig, SessionId, SessionKeys,
//!     TrafficSecret};
//!
//! # fn main() -> Result<(), orbit_core::protect::ProtectError> {
//! // The handshake produced two traffic secrets and each side chose its receive identifier.
//! let (i2r, r2i) = (TrafficSecret([1; 32]), TrafficSecret([2; 32]));
//! let (initiator_id, responder_id) = (SessionId(7), SessionId(9));
//! let mut initiator = Protector::new(
//!     SessionKeys {
//!         send_secret: i2r.clone(),
//!         recv_secret: r2i.clone(),
//!         local_session_id: initiator_id,
//!         peer_session_id: responder_id,
//!     },
//!     ProtectConfig::default(),
//! )?;
//! let mut responder = Protector::new(
//!     SessionKeys {
//!         send_secret: r2i,
//!         recv_secret: i2r,
//!         local_session_id: responder_id,
//!         peer_session_id: initiator_id,
//!     },
//!     ProtectConfig::default(),
//! )?;
//!
//! // Sending: append a sealed message to a buffer the caller owns, hand it to any transport.
//! let mut datagram = Vec::new();
//! initiator.seal(b"turn on", &mut datagram)?;
//!
//! // Receiving: route by the header's session identifier, then open in place.
//! assert_eq!(peek_session_id(&datagram)?, responder_id);
//! let opened = responder.open(&mut datagram)?;
//! assert_eq!(opened.payload, b"turn on");
//!
//! // A replay is dropped with a typed error and the session goes on.
//! let mut again = Vec::new();
//! initiator.seal(b"again", &mut again)?;
//! let copy = again.clone();
//! responder.open(&mut again)?;
//! assert!(responder.open(&mut copy.clone()).is_err());
//! # Ok(())
//! # }
//! ```

mod error;
mod header;
mod keys;
mod protector;
mod replay;
mod state;

pub use error::ProtectError;
pub use header::{
    peek_session_id, Header, SessionId, HEADER_LEN, KEY_PHASE_MASK, OVERHEAD, RESERVED_FLAGS_MASK,
};
pub use keys::{TrafficSecret, SECRET_LEN};
pub use protector::{
    Opened, ProtectConfig, Protector, SealInfo, DEFAULT_KEY_UPDATE_AFTER, MAX_MESSAGES_PER_KEY,
};
pub use replay::{ReplayWindow, REPLAY_WINDOW};
pub use state::{ProtectorState, RecvState, SendState, SessionKeys};

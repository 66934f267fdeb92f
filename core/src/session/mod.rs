//! Operational sessions: the SIGMA-I handshake between two members of one home, and its
//! resumption (`spec/v1/06-sessions.md`, rules `[SESS-*]`).
//!
//! ```text
//!  full:     Initiator --Sigma1--> Responder          resumed:  Initiator --Sigma1+ticket-->
//!            Initiator <--Sigma2-- Responder                    Initiator <--Sigma2Resume---
//!            Initiator --Sigma3--> Responder
//! ```
//!
//! Each state is a type named after what it expects next and is consumed by its transition
//! (one message per state, whatever the outcome `[SESS-38]`):
//! [`Initiator::start`] gives [`ExpectSigma2`]; [`Responder::handle_sigma1`] gives
//! [`ExpectSigma3`] or, when it resumes, [`Established`] at once. Nothing here touches a
//! socket or a clock: messages go in as byte slices, answers are appended to a caller-owned
//! buffer, and time comes in as [`Now`]. A handshake binds to no transport address
//! `[SESS-2]`.
//!
//! # Driving a handshake
//!
//! ```
//! use orbit_core::cert::{HomeAuthority, HomeTable, NodeRole, Validity};
//! use orbit_core::crypto::SeededRandom;
//! use orbit_core::protect::{ProtectConfig, Protector};
//! use orbit_core::session::{Initiator, Now, Responder, SessionId, Sigma1Outcome, TicketStore};
//! use orbit_core::version::SUPPORTED;
//! use std::time::Instant;
//!
//! let unix = 1_800_000_000;
//! // A seeded generator keeps the example reproducible; products use SystemRandom [SEC-1].
//! let mut rng = SeededRandom::new(7);
//! let mut home = HomeAuthority::create(&mut rng, unix, 86_400 * 365).unwrap();
//! let validity = Validity::starting(unix, 86_400 * 30);
//! let phone = home.issue_member(&mut rng, 1, NodeRole::CONTROLLER, validity).unwrap();
//! let lamp = home.issue_member(&mut rng, 2, NodeRole::DEVICE, validity).unwrap();
//! let mut lamp_homes = HomeTable::default();
//! lamp_homes.add(lamp).unwrap();
//! let mut lamp_tickets = TicketStore::default();
//! let now = Now::new(Instant::now(), unix);
//!
//! // Phone: Sigma1.
//! let mut to_lamp = Vec::new();
//! let expect2 = Initiator {
//!     membership: &phone,
//!     peer_node_id: 2,
//!     versions: SUPPORTED,
//!     local_session_id: SessionId(100),
//!     ticket: None,
//! }
//! .start(&mut rng, now, &mut to_lamp)
//! .unwrap();
//!
//! // Lamp: Sigma2.
//! let mut lamp = Responder { homes: &lamp_homes, tickets: &mut lamp_tickets, versions: SUPPORTED };
//! let mut to_phone = Vec::new();
//! let Sigma1Outcome::Full(expect3) =
//!     lamp.handle_sigma1(&to_lamp, SessionId(200), &mut rng, now, &mut to_phone).unwrap()
//! else { unreachable!() };
//!
//! // Phone: Sigma3; the phone's session is established.
//! to_lamp.clear();
//! let phone_session = expect2.handle(&phone, &to_phone, now, &mut to_lamp).unwrap();
//! // Lamp: established.
//! let lamp_session = expect3.handle(&mut lamp, &to_lamp, now).unwrap();
//!
//! assert_eq!(lamp_session.peer.node_id, 1);
//! assert!(phone_session.ticket.is_some()); // keep it for a later resumption
//!
//! // Hand the keys to message protection.
//! let mut phone_tx = Protector::new(phone_session.session_keys(), ProtectConfig::default()).unwrap();
//! let mut lamp_rx = Protector::new(lamp_session.session_keys(), ProtectConfig::default()).unwrap();
//! let mut datagram = Vec::new();
//! phone_tx.seal(b"on", &mut datagram).unwrap();
//! assert_eq!(lamp_rx.open(&mut datagram).unwrap().payload, b"on");
//! ```
//!
//! A driver keeps one [`ExpectSigma2`] / [`ExpectSigma3`] per handshake in progress, wakes
//! at its [`deadline`](ExpectSigma3::deadline), answers a failure with
//! [`encode_status`]`(error.status())` `[SESS-36]`, and bounds the number of pending
//! responder handshakes by [`MAX_PENDING_HANDSHAKES`] `[SESS-34]`.

mod destination;
mod error;
mod established;
mod initiator;
mod key_schedule;
mod messages;
mod payloads;
mod responder;
mod resumption;

pub use destination::{destination_id, find_destination};
pub use error::SessionError;
pub use established::{Established, Now, Role};
pub use initiator::{ExpectSigma2, Initiator};
pub use key_schedule::TrafficSecrets;
pub use messages::{
    MessageType, ResumeRequest, SessionStatus, Sigma1, Sigma2, Sigma2Resume, Sigma3, TicketId,
    SESSION_LIMITS, TICKET_ID_LEN,
};
pub use payloads::{Sigma2Payload, Sigma2ResumePayload, Sigma3Payload};
pub use responder::{ExpectSigma3, Responder, Sigma1Outcome};
pub use resumption::{
    Ticket, TicketStore, MAX_RESUMPTION_AGE_SECS, MAX_TICKETS, TICKET_LIFETIME_SECS,
};

use crate::cert::{CertError, Certificate, HomeMembership, OperationalPeer};
use crate::codec::CborMessage;
use crate::status::Status;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// A session identifier: chosen by each side for the messages it receives `[SESS-8]`;
/// the same type message protection uses `[MSG-2]`.
pub use crate::protect::SessionId;

/// `[SESS-33]` how long each handshake state waits for the next message.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// `[SESS-34]` the most handshakes a responder keeps in progress at once.
pub const MAX_PENDING_HANDSHAKES: usize = 8;

/// Appends a session status message carrying `status` to `out` `[SESS-36]`.
pub fn encode_status(status: Status, out: &mut Vec<u8>) {
    SessionStatus { status }.encode_into(out);
}

/// `[SESS-33]` the deadline of a state entered at `now`.
fn deadline_after(now: Instant) -> Instant {
    now.checked_add(HANDSHAKE_TIMEOUT).unwrap_or(now)
}

/// `[SESS-17]` the input keying material of a resumed handshake:
/// resumption secret ‖ X25519 shared secret, erased when dropped `[SESS-12]`.
fn resumption_ikm(secret: &key_schedule::Secret, shared: &[u8; 32]) -> Zeroizing<[u8; 64]> {
    let mut ikm = Zeroizing::new([0u8; 64]);
    let (a, b) = ikm.split_at_mut(32);
    a.copy_from_slice(&secret.0);
    b.copy_from_slice(shared);
    ikm
}

/// `[SESS-1]` `[SESS-10]` `[HOME-3]` decodes the peer's certificate and validates it as a member of
/// `home` at `now_unix`, returning the peer and the certificate's last valid second. A
/// certificate naming another home is reported as such before its signature is checked, so
/// the error says what is wrong.
fn check_peer_certificate(
    home: &HomeMembership,
    certificate: &[u8],
    now_unix: u64,
) -> Result<(OperationalPeer, u64), SessionError> {
    let cert = Certificate::decode(certificate)?;
    if let Some(found) = cert.tbs().home_id {
        if found != home.home_id() {
            return Err(CertError::WrongHome {
                expected: home.home_id(),
                found,
            }
            .into());
        }
    }
    let peer = home.validate_peer(&cert, now_unix)?;
    Ok((peer, cert.tbs().validity.not_after))
}

/// The peer a certificate names, taken as a member of `home` without validating it: the
/// `AcceptsForeignCertificate` fault of [`crate::faults`] only.
#[cfg(feature = "conformance-faults")]
fn unchecked_peer(
    home: &HomeMembership,
    certificate: &[u8],
) -> Result<(OperationalPeer, u64), SessionError> {
    let cert = Certificate::decode(certificate)?;
    let t = cert.tbs();
    let peer = OperationalPeer {
        home_id: home.home_id(),
        node_id: t.node_id.unwrap_or_default(),
        role: t.role.unwrap_or(crate::cert::NodeRole::CONTROLLER),
        public_key: t.subject_key,
    };
    Ok((peer, t.validity.not_after))
}

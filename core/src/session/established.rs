use super::key_schedule::TrafficSecrets;
use super::resumption::Ticket;
use super::SessionId;
use crate::cert::OperationalPeer;
use crate::protect::{SessionKeys, TrafficSecret};
use crate::version::ProtocolVersion;
use std::time::Instant;

/// The current time as a handshake input: a monotonic instant for deadlines and Unix seconds
/// for certificate and ticket validity. The core never reads a clock itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// Monotonic time, for handshake deadlines `[SESS-33]`.
    pub instant: Instant,
    /// Wall-clock Unix seconds, for certificates `[CERT-6]` and tickets `[SESS-22]`.
    pub unix: u64,
}

impl Now {
    /// Bundles both clocks.
    pub fn new(instant: Instant, unix: u64) -> Self {
        Now { instant, unix }
    }
}

/// Which side of the handshake this node was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sent Sigma1.
    Initiator,
    /// Answered Sigma1.
    Responder,
}

/// A finished handshake: everything message protection needs `[SESS-13]`, plus who the peer
/// is and, for the initiator, the ticket for the next resumption.
#[derive(Debug)]
pub struct Established {
    /// The two traffic secrets.
    pub secrets: TrafficSecrets,
    /// Which side this node was.
    pub role: Role,
    /// The authenticated peer (from its certificate, or from the ticket when resumed).
    pub peer: OperationalPeer,
    /// The negotiated protocol version `[VER-6]`.
    pub version: ProtocolVersion,
    /// The session identifier this node receives on.
    pub local_session_id: SessionId,
    /// The session identifier the peer receives on (put it on messages to the peer).
    pub peer_session_id: SessionId,
    /// Whether the session was resumed from a ticket (no certificates, no signatures).
    pub resumed: bool,
    /// The initiator's ticket for the next resumption; always `None` on the responder,
    /// which keeps its tickets in its [`super::TicketStore`].
    pub ticket: Option<Ticket>,
}

impl Established {
    /// The secret protecting what this node sends.
    pub fn send_secret(&self) -> &TrafficSecret {
        match self.role {
            Role::Initiator => &self.secrets.initiator_to_responder,
            Role::Responder => &self.secrets.responder_to_initiator,
        }
    }

    /// The secret protecting what this node receives.
    pub fn receive_secret(&self) -> &TrafficSecret {
        match self.role {
            Role::Initiator => &self.secrets.responder_to_initiator,
            Role::Responder => &self.secrets.initiator_to_responder,
        }
    }

    /// The inputs of message protection for this side: [`crate::protect::Protector::new`]
    /// takes them as they are `[SESS-13]`.
    pub fn session_keys(&self) -> SessionKeys {
        SessionKeys {
            send_secret: self.send_secret().clone(),
            recv_secret: self.receive_secret().clone(),
            local_session_id: self.local_session_id,
            peer_session_id: self.peer_session_id,
        }
    }
}

//! A session resumption ticket as a store keeps it, on either side. Its secret is as
//! sensitive as a key `[SEC-2]`: the type prints no field.

use orbit_core::cert::{NodeRole, OperationalPeer};
use orbit_core::crypto::sign::PublicKey;
use orbit_core::session::Ticket;
use orbit_store::SecretBytes;
use serde::{Deserialize, Serialize};

/// A ticket's parts, for serialization.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct StoredTicket {
    id: Vec<u8>,
    secret: SecretBytes,
    home_id: u64,
    peer_node: u64,
    peer_role: u64,
    peer_key: Vec<u8>,
    expires_unix: u64,
    hard_limit_unix: u64,
}

impl std::fmt::Debug for StoredTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredTicket(<redacted>)")
    }
}

impl StoredTicket {
    pub(crate) fn from_ticket(t: &Ticket) -> Self {
        StoredTicket {
            id: t.id.to_vec(),
            secret: SecretBytes::new(t.secret().to_vec()),
            home_id: t.home_id,
            peer_node: t.peer.node_id,
            peer_role: t.peer.role.0,
            peer_key: t.peer.public_key.0.to_vec(),
            expires_unix: t.expires_unix,
            hard_limit_unix: t.hard_limit_unix,
        }
    }

    /// The ticket, or `None` when a stored part has the wrong length (a full handshake then
    /// replaces it).
    pub(crate) fn to_ticket(&self) -> Option<Ticket> {
        Some(Ticket::from_parts(
            self.id.as_slice().try_into().ok()?,
            self.secret.expose().try_into().ok()?,
            self.home_id,
            OperationalPeer {
                home_id: self.home_id,
                node_id: self.peer_node,
                role: NodeRole(self.peer_role),
                public_key: PublicKey::from_slice(&self.peer_key).ok()?,
            },
            self.expires_unix,
            self.hard_limit_unix,
        ))
    }
}

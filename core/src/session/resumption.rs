//! Resumption tickets `[SESS-21]`..`[SESS-31]`: what both sides keep after a handshake so the
//! next one can skip certificates and signatures.

use super::key_schedule::{derive, Secret, LABEL_RESUME_MAC_KEY};
use super::messages::TicketId;
use crate::cert::{HomeId, OperationalPeer};
use crate::crypto::hash::{hmac_sha256, hmac_sha256_verify, HASH_LEN};
use crate::crypto::CryptoError;

/// `[SESS-22]` a ticket expires at most this long after the handshake that issued it.
pub const TICKET_LIFETIME_SECS: u64 = 24 * 3600;
/// `[SESS-22]` no chain of resumptions reaches further than this past the full handshake
/// that authenticated the peer's certificate.
pub const MAX_RESUMPTION_AGE_SECS: u64 = 7 * 24 * 3600;
/// `[SESS-23]` the most tickets a responder keeps.
pub const MAX_TICKETS: usize = 32;

/// What one side keeps after a handshake to resume the session later `[SESS-21]`.
///
/// The initiator receives its ticket in [`super::Established::ticket`] and passes it to its
/// next [`super::Initiator`]; the responder keeps its tickets in a [`TicketStore`]. A ticket
/// is single-use, so it is not `Clone`; a store that persists it uses [`Ticket::secret`] and
/// [`Ticket::from_parts`]. Its resumption secret is erased when the ticket is dropped
/// (redeemed, expired or evicted), and tickets are not comparable (use the identifier).
#[derive(Debug)]
pub struct Ticket {
    /// The identifier the responder chose; sent in clear in the resuming Sigma1.
    pub id: TicketId,
    secret: Secret,
    /// The home the session was in.
    pub home_id: HomeId,
    /// The peer authenticated by the full handshake this ticket descends from.
    pub peer: OperationalPeer,
    /// Last Unix second at which the ticket may be redeemed.
    pub expires_unix: u64,
    /// Last Unix second at which any ticket descending from the same full handshake may be
    /// redeemed `[SESS-22]`.
    pub hard_limit_unix: u64,
}

impl Ticket {
    /// Rebuilds a ticket from its parts (for a store that persisted it).
    pub fn from_parts(
        id: TicketId,
        secret: [u8; HASH_LEN],
        home_id: HomeId,
        peer: OperationalPeer,
        expires_unix: u64,
        hard_limit_unix: u64,
    ) -> Self {
        Ticket {
            id,
            secret: Secret(secret),
            home_id,
            peer,
            expires_unix: expires_unix.min(hard_limit_unix),
            hard_limit_unix,
        }
    }

    /// The resumption secret, for persistence by a store only `[SEC-2]`.
    pub fn secret(&self) -> &[u8; HASH_LEN] {
        &self.secret.0
    }

    /// Whether the ticket may still be redeemed at `now_unix` `[SESS-22]`.
    pub fn is_valid_at(&self, now_unix: u64) -> bool {
        now_unix <= self.expires_unix
    }

    pub(crate) fn resumption_secret(&self) -> &Secret {
        &self.secret
    }

    /// `[SESS-22]` a ticket issued at `now_unix` by a handshake whose hard limit is
    /// `hard_limit_unix`.
    pub(crate) fn issue(
        id: TicketId,
        secret: Secret,
        home_id: HomeId,
        peer: OperationalPeer,
        now_unix: u64,
        hard_limit_unix: u64,
    ) -> Self {
        Ticket {
            id,
            secret,
            home_id,
            peer,
            expires_unix: now_unix
                .saturating_add(TICKET_LIFETIME_SECS)
                .min(hard_limit_unix),
            hard_limit_unix,
        }
    }
}

/// `[SESS-22]` the hard limit of tickets descending from a full handshake at `now_unix`:
/// [`MAX_RESUMPTION_AGE_SECS`] later, and never after either certificate expires.
pub(crate) fn hard_limit(now_unix: u64, own_not_after: u64, peer_not_after: u64) -> u64 {
    now_unix
        .saturating_add(MAX_RESUMPTION_AGE_SECS)
        .min(own_not_after)
        .min(peer_not_after)
}

/// `[SESS-24]` the key of Sigma1's resume MAC: HKDF(salt = ticket id, ikm = resumption
/// secret, info = "orbit v1 resume mac key").
fn resume_mac_key(ticket_id: &TicketId, secret: &Secret) -> Result<Secret, CryptoError> {
    derive(ticket_id, &secret.0, LABEL_RESUME_MAC_KEY)
}

/// `[SESS-24]` the resume MAC over Sigma1 truncated before the MAC entry.
pub(crate) fn resume_mac(
    ticket_id: &TicketId,
    secret: &Secret,
    sigma1_truncated: &[u8],
) -> Result<[u8; HASH_LEN], CryptoError> {
    let key = resume_mac_key(ticket_id, secret)?;
    Ok(hmac_sha256(&key.0, &[sigma1_truncated]))
}

/// `[SESS-25]` constant-time check of a resume MAC `[SEC-3]`.
pub(crate) fn verify_resume_mac(
    ticket_id: &TicketId,
    secret: &Secret,
    sigma1_truncated: &[u8],
    mac: &[u8; HASH_LEN],
) -> Result<bool, CryptoError> {
    let key = resume_mac_key(ticket_id, secret)?;
    Ok(hmac_sha256_verify(&key.0, sigma1_truncated, mac))
}

/// The responder's tickets, bounded in number `[SESS-23]` and lifetime `[SESS-22]`;
/// each ticket is redeemed at most once `[SESS-25]`.
#[derive(Debug)]
pub struct TicketStore {
    tickets: Vec<Ticket>,
    capacity: usize,
}

impl Default for TicketStore {
    fn default() -> Self {
        Self::with_capacity(MAX_TICKETS)
    }
}

impl TicketStore {
    /// A store for at most `capacity` tickets (at most [`MAX_TICKETS`]). A capacity of 0
    /// turns resumption off: the responder then issues no tickets.
    pub fn with_capacity(capacity: usize) -> Self {
        TicketStore {
            tickets: Vec::new(),
            capacity: capacity.min(MAX_TICKETS),
        }
    }

    /// How many tickets fit.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many tickets are held (expired ones included until the next insertion).
    pub fn len(&self) -> usize {
        self.tickets.len()
    }

    /// Whether the store holds no ticket.
    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty()
    }

    /// Keeps `ticket`, first dropping expired tickets and then, if still full, the one that
    /// expires soonest `[SESS-23]`.
    pub fn insert(&mut self, ticket: Ticket, now_unix: u64) {
        if self.capacity == 0 {
            return;
        }
        self.tickets.retain(|t| t.is_valid_at(now_unix));
        while self.tickets.len() >= self.capacity {
            let soonest = self
                .tickets
                .iter()
                .enumerate()
                .min_by_key(|(_, t)| t.expires_unix)
                .map(|(i, _)| i);
            match soonest {
                Some(i) => {
                    self.tickets.swap_remove(i);
                }
                None => break,
            }
        }
        self.tickets.push(ticket);
    }

    /// Removes the ticket `id` and returns it if it is still valid at `now_unix`. A ticket is
    /// removed whenever a Sigma1 names it, whatever happens next, so it is redeemed at most
    /// once `[SESS-25]`, and a replayed Sigma1 cannot resume `[SESS-30]`.
    pub fn take(&mut self, id: &TicketId, now_unix: u64) -> Option<Ticket> {
        let idx = self.tickets.iter().position(|t| t.id == *id)?;
        let t = self.tickets.swap_remove(idx);
        t.is_valid_at(now_unix).then_some(t)
    }

    /// The tickets held, for a store that persists them so sessions resume across a
    /// restart `[SEC-2]`.
    pub fn iter(&self) -> impl Iterator<Item = &Ticket> {
        self.tickets.iter()
    }

    /// `[SESS-31]` drops every ticket of `home` (when the node leaves that home).
    pub fn remove_home(&mut self, home: HomeId) {
        self.tickets.retain(|t| t.home_id != home);
    }
}

//! What a controller keeps: its home (root key and certificate), its own membership, the
//! devices it paired with, their last addresses and descriptors, and resumption tickets.

use super::error::Cause;
pub(crate) use crate::ticket::StoredTicket;
use orbit_core::cert::{Certificate, HomeAuthority, HomeMembership, NodeId};
use orbit_core::crypto::sign::SigningKey;
use orbit_store::{Document, SecretBytes};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// The record key of the controller state in its store.
pub const CONTROLLER_RECORD: &str = "controller";

/// A device this controller paired with.
#[derive(Clone, Serialize, Deserialize)]
pub struct PairedDevice {
    /// The name the user gave it (or `vendor-product-serial`).
    pub name: String,
    /// Its node ID in the home.
    pub node_id: NodeId,
    /// Vendor ID from its attestation.
    pub vendor_id: u16,
    /// Product ID from its attestation.
    pub product_id: u16,
    /// Serial number from its attestation.
    pub serial: String,
    /// Where it was last reached, most recent first.
    pub addresses: Vec<SocketAddr>,
    /// Its last verified descriptor, encoded (cache keyed by its revision `[DM-45]`).
    pub descriptor: Option<Vec<u8>>,
    pub(crate) ticket: Option<StoredTicket>,
}

impl PairedDevice {
    /// The record without its resumption ticket (to hand to another controller, which must
    /// run its own full handshake).
    pub(crate) fn without_ticket(mut self) -> Self {
        self.ticket = None;
        self
    }
}

impl std::fmt::Debug for PairedDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairedDevice")
            .field("name", &self.name)
            .field("node_id", &self.node_id)
            .field("vendor_id", &self.vendor_id)
            .field("product_id", &self.product_id)
            .field("addresses", &self.addresses)
            .field("has_ticket", &self.ticket.is_some())
            .finish_non_exhaustive()
    }
}

/// The controller's persisted state, version 1.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct ControllerState {
    /// The home root's key seed; empty on a controller admitted by an administrator, which
    /// cannot issue certificates (so cannot pair devices or admit others).
    root_key: SecretBytes,
    root_cert: Vec<u8>,
    next_serial: u64,
    member_cert: Vec<u8>,
    member_key: SecretBytes,
    pub(crate) next_device_node: NodeId,
    pub(crate) devices: Vec<PairedDevice>,
}

fn seed(bytes: &[u8], what: &str) -> Result<[u8; 32], Cause> {
    bytes
        .try_into()
        .map_err(|_| Cause::Corrupt(format!("{what} length")))
}

impl ControllerState {
    /// A state for a new home.
    pub(crate) fn new(authority: &HomeAuthority, member: &HomeMembership) -> Self {
        let mut s = ControllerState {
            root_key: SecretBytes::new(Vec::new()),
            root_cert: Vec::new(),
            next_serial: 0,
            member_cert: member.cert.to_bytes(),
            member_key: SecretBytes::new(member.key.seed().to_vec()),
            next_device_node: FIRST_DEVICE_NODE,
            devices: Vec::new(),
        };
        s.set_authority(authority);
        s
    }

    pub(crate) fn set_authority(&mut self, a: &HomeAuthority) {
        self.root_key = SecretBytes::new(a.root_key().seed().to_vec());
        self.root_cert = a.root_cert().to_bytes();
        self.next_serial = a.next_serial();
    }

    /// A controller admitted into another's home, holding only its own membership.
    pub(crate) fn admitted(
        root: &Certificate,
        member: &HomeMembership,
        devices: Vec<PairedDevice>,
    ) -> Self {
        ControllerState {
            root_key: SecretBytes::new(Vec::new()),
            root_cert: root.to_bytes(),
            next_serial: 0,
            member_cert: member.cert.to_bytes(),
            member_key: SecretBytes::new(member.key.seed().to_vec()),
            next_device_node: FIRST_DEVICE_NODE,
            devices,
        }
    }

    /// The home root's certificate.
    pub(crate) fn root_cert(&self) -> Result<Certificate, Cause> {
        Ok(Certificate::decode(&self.root_cert)?)
    }

    pub(crate) fn authority(&self) -> Result<HomeAuthority, Cause> {
        if self.root_key.is_empty() {
            return Err(Cause::NotAdministrator);
        }
        Ok(HomeAuthority::from_parts(
            SigningKey::from_seed(&seed(self.root_key.expose(), "root key")?),
            Certificate::decode(&self.root_cert)?,
            self.next_serial,
        ))
    }

    pub(crate) fn membership(&self) -> Result<HomeMembership, Cause> {
        Ok(HomeMembership::new(
            Certificate::decode(&self.root_cert)?,
            Certificate::decode(&self.member_cert)?,
            SigningKey::from_seed(&seed(self.member_key.expose(), "controller key")?),
            super::handshakes::unix_now(),
        )?)
    }

    /// The device called `name`, or whose node ID is `name` in hex or decimal.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        let as_id = name
            .strip_prefix("0x")
            .map(|h| u64::from_str_radix(h, 16).ok())
            .unwrap_or_else(|| name.parse().ok());
        self.devices
            .iter()
            .position(|d| d.name == name || Some(d.node_id) == as_id)
    }
}

/// Version 1 of the controller's record. A later version adds a `migrate` step from 1.
impl Document for ControllerState {
    const KIND: &'static str = "orbit-controller";
    const VERSION: u16 = 1;
}

/// The controller's own node ID in its home.
pub const CONTROLLER_NODE: NodeId = 1;

/// The node ID the first paired device gets; later ones count up.
pub const FIRST_DEVICE_NODE: NodeId = 0x1000;

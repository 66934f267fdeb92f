//! What a device keeps across restarts: identity, attestation chain, homes, access control,
//! pairing verifier and failure count, and attribute values marked persistent.

use super::identity::DeviceIdentity;
use super::DeviceError;
use orbit_core::attest::{AttestationChain, DeviceAttestation};
use orbit_core::cert::{Certificate, HomeId, HomeMembership, HomeTable};
use orbit_core::codec::{Limits, Reader};
use orbit_core::crypto::sign::SigningKey;
use orbit_core::device::{AclEntry, DeviceNode};
use orbit_core::interaction::ConcreteAttribute;
use orbit_core::model::{AttributeId, CapabilityId, Data, EndpointId};
use orbit_core::pairing::{PasscodeVerifier, PbkdfParams};
use orbit_core::session::TicketStore;
use orbit_core::setup::SetupPayload;
use orbit_core::spake2plus::Verifier;
use orbit_store::{Document, SecretBytes};
use serde::{Deserialize, Serialize};

/// The record key of the device state in its store.
pub const DEVICE_RECORD: &str = "device";

/// Limits for decoding the CBOR of one persisted value (an attribute or an ACL entry).
const VALUE_LIMITS: Limits = Limits {
    max_message: 64 * 1024,
    max_depth: 16,
    max_collection: 1024,
    max_string: 16 * 1024,
    max_items: 16 * 1024,
};

pub(crate) use crate::ticket::StoredTicket;

/// A home membership as stored: the home's root certificate, the device's operational
/// certificate and its operational key seed.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredMembership {
    root: Vec<u8>,
    cert: Vec<u8>,
    key_seed: SecretBytes,
}

/// The device's persisted state, version 1.
#[derive(Serialize, Deserialize)]
pub struct DeviceState {
    /// The device attestation chain, encoded.
    chain: Vec<u8>,
    /// The device attestation key's seed.
    attestation_key: SecretBytes,
    /// The setup payload's QR string (the reference device's label); it holds the passcode.
    setup_qr: SecretBytes,
    /// PBKDF2 iterations and salt of the verifier.
    pbkdf_iterations: u32,
    pbkdf_salt: Vec<u8>,
    /// The SPAKE2+ verifier `(w0, L)`.
    verifier: SecretBytes,
    /// Failed pairing attempts in the current window and whether pairing is locked out
    /// `[PAIR-27]`.
    pub(crate) pairing_failures: u32,
    pub(crate) pairing_locked: bool,
    homes: Vec<StoredMembership>,
    /// Access control entries, each as the CBOR of its `acl` struct value.
    acl: Vec<Vec<u8>>,
    /// Persistent attribute values: endpoint, capability, attribute, CBOR of the value.
    values: Vec<(u16, u32, u16, Vec<u8>)>,
    /// Resumption tickets issued to controllers, so sessions resume across a restart
    /// (secret, like keys).
    #[serde(default)]
    tickets: Vec<StoredTicket>,
    /// The end (exclusive) of the block of event numbers the device may use: after a
    /// restart it continues from here, so event numbers only grow `[IM-50]`. 0 in a state
    /// saved before this field existed.
    #[serde(default)]
    pub(crate) event_numbers_end: u64,
}

impl std::fmt::Debug for DeviceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceState")
            .field("homes", &self.homes.len())
            .field("acl_entries", &self.acl.len())
            .field("values", &self.values.len())
            .field("pairing_failures", &self.pairing_failures)
            .finish_non_exhaustive()
    }
}

fn cbor(data: &Data) -> Vec<u8> {
    let mut out = Vec::new();
    data.encode_into(&mut out);
    out
}

fn data(bytes: &[u8]) -> Result<Data, DeviceError> {
    Ok(Data::read(&mut Reader::new(bytes, &VALUE_LIMITS)?)?)
}

/// Bytes that change whenever the access control list or a persistent value changes; the
/// entries of a provisional home, which is never stored, are left out `[COMM-26]`.
pub(crate) fn fingerprint(node: &DeviceNode, provisional: Option<HomeId>) -> Vec<u8> {
    let mut out = Vec::new();
    for e in node.access_control().entries() {
        if Some(e.home) != provisional {
            out.extend(cbor(&e.to_data()));
        }
    }
    for (a, v) in node.persistent_values() {
        out.extend(a.endpoint.0.to_be_bytes());
        out.extend(a.capability.0.to_be_bytes());
        out.extend(a.attribute.0.to_be_bytes());
        out.extend(cbor(&v));
    }
    out
}

impl DeviceState {
    /// Captures the state to persist: everything but the `provisional` home, its access
    /// control entries and its tickets `[COMM-26]`.
    pub(crate) fn capture(
        identity: &DeviceIdentity,
        homes: &HomeTable,
        node: &DeviceNode,
        tickets: &TicketStore,
        pairing_failures: u32,
        pairing_locked: bool,
        provisional: Option<HomeId>,
    ) -> Self {
        let kept = |home: HomeId| Some(home) != provisional;
        let params = identity.verifier.params();
        DeviceState {
            chain: identity.attestation.chain.to_bytes(),
            attestation_key: SecretBytes::new(identity.attestation.device_key.seed().to_vec()),
            setup_qr: SecretBytes::new(identity.setup.to_qr_string().into_bytes()),
            pbkdf_iterations: params.iterations,
            pbkdf_salt: params.salt.clone(),
            verifier: SecretBytes::new(identity.verifier.verifier().to_bytes().to_vec()),
            pairing_failures,
            pairing_locked,
            homes: homes
                .iter()
                .filter(|m| kept(m.home_id()))
                .map(|m| StoredMembership {
                    root: m.root.to_bytes(),
                    cert: m.cert.to_bytes(),
                    key_seed: SecretBytes::new(m.key.seed().to_vec()),
                })
                .collect(),
            acl: node
                .access_control()
                .entries()
                .iter()
                .filter(|e| kept(e.home))
                .map(|e| cbor(&e.to_data()))
                .collect(),
            values: node
                .persistent_values()
                .into_iter()
                .map(|(a, v)| (a.endpoint.0, a.capability.0, a.attribute.0, cbor(&v)))
                .collect(),
            tickets: tickets
                .iter()
                .filter(|t| kept(t.home_id))
                .map(StoredTicket::from_ticket)
                .collect(),
            // [IM-50] a new block when the current one runs low, else the current one (the
            // node's next number is below it, as the current block was stored before use).
            event_numbers_end: node
                .event_number_reservation()
                .unwrap_or_else(|| node.event_numbers_end()),
        }
    }

    /// `[PAIR-32]` the state after a factory reset: the attestation identity, setup code and
    /// verifier stay; homes, access control, resumption tickets, persistent values (back to
    /// their defaults at the next start), the failed-attempt count and the lock-out go, and
    /// event numbers start again at 1.
    /// Each field is named so that a field added later needs a decision here.
    pub(crate) fn factory_reset(self) -> Self {
        DeviceState {
            chain: self.chain,
            attestation_key: self.attestation_key,
            setup_qr: self.setup_qr,
            pbkdf_iterations: self.pbkdf_iterations,
            pbkdf_salt: self.pbkdf_salt,
            verifier: self.verifier,
            pairing_failures: 0,
            pairing_locked: false,
            homes: Vec::new(),
            acl: Vec::new(),
            values: Vec::new(),
            tickets: Vec::new(),
            // [IM-50] event numbers restart at 1 only on a factory reset, which also removes
            // every home (so no controller holds an event_min of this device any more).
            event_numbers_end: 0,
        }
    }

    /// How many homes this state holds.
    pub fn home_count(&self) -> usize {
        self.homes.len()
    }

    /// `[PAIR-27]` the persisted failed-attempt count and whether pairing is locked out.
    pub fn pairing_failures(&self) -> (u32, bool) {
        (self.pairing_failures, self.pairing_locked)
    }

    /// The resumption tickets this state holds (unreadable ones are dropped: the
    /// controller then runs a full handshake).
    pub(crate) fn tickets(&self, now_unix: u64) -> TicketStore {
        let mut store = TicketStore::default();
        for t in &self.tickets {
            if let Some(t) = t.to_ticket() {
                store.insert(t, now_unix);
            }
        }
        store
    }

    /// The fingerprint of the access control list and persistent values this state holds, as
    /// [`fingerprint`] computes it for a node.
    pub(crate) fn fingerprint(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for e in &self.acl {
            out.extend_from_slice(e);
        }
        for (ep, cap, attr, v) in &self.values {
            out.extend(ep.to_be_bytes());
            out.extend(cap.to_be_bytes());
            out.extend(attr.to_be_bytes());
            out.extend_from_slice(v);
        }
        out
    }

    /// The identity this state holds.
    pub(crate) fn identity(&self) -> Result<DeviceIdentity, DeviceError> {
        let seed: [u8; 32] = self
            .attestation_key
            .expose()
            .try_into()
            .map_err(|_| DeviceError::CorruptState("attestation key length"))?;
        let attestation = DeviceAttestation {
            chain: AttestationChain::decode(&self.chain)?,
            device_key: SigningKey::from_seed(&seed),
        };
        let params = PbkdfParams::new(self.pbkdf_iterations, self.pbkdf_salt.clone())?;
        let verifier =
            PasscodeVerifier::new(params, Verifier::from_bytes(self.verifier.expose())?)?;
        let qr = std::str::from_utf8(self.setup_qr.expose())
            .map_err(|_| DeviceError::CorruptState("setup payload"))?;
        let setup = SetupPayload::from_qr_str(qr)?;
        Ok(DeviceIdentity {
            attestation,
            verifier,
            setup,
        })
    }

    /// The homes this state holds.
    pub(crate) fn homes(&self) -> Result<HomeTable, DeviceError> {
        let mut table = HomeTable::default();
        for h in &self.homes {
            let seed: [u8; 32] = h
                .key_seed
                .expose()
                .try_into()
                .map_err(|_| DeviceError::CorruptState("operational key length"))?;
            let membership = HomeMembership::new(
                Certificate::decode(&h.root)?,
                Certificate::decode(&h.cert)?,
                SigningKey::from_seed(&seed),
                super::core::unix_now(),
            )?;
            table.add(membership)?;
        }
        Ok(table)
    }

    /// Returns the device to this stored state after a save failed `[STATUS-4]` `[DM-65]`:
    /// homes removed in memory come back, and the access control list and persistent values
    /// become the stored ones again (a change subscriptions report). A `provisional` home
    /// and its entries stay as they are: they were never stored `[COMM-26]`.
    pub(crate) fn revert(
        &self,
        node: &mut DeviceNode,
        homes: &mut HomeTable,
        provisional: Option<HomeId>,
        now: std::time::Instant,
    ) -> Result<(), DeviceError> {
        for m in self.homes()?.iter() {
            if homes.get(m.home_id()).is_none() {
                homes.add(m.clone())?;
                node.add_home(m.home_id(), m.key.clone(), 0);
            }
        }
        let mut entries = self
            .acl
            .iter()
            .map(|b| AclEntry::from_data(&data(b)?).ok_or(DeviceError::CorruptState("acl entry")))
            .collect::<Result<Vec<_>, _>>()?;
        entries.extend(
            node.access_control()
                .entries()
                .iter()
                .filter(|e| Some(e.home) == provisional)
                .cloned(),
        );
        if node.access_control().entries() != entries.as_slice() {
            node.restore_access_control(entries);
        }
        for (ep, cap, attr, bytes) in &self.values {
            let path =
                ConcreteAttribute::new(EndpointId(*ep), CapabilityId(*cap), AttributeId(*attr));
            let value = data(bytes)?;
            if node.attribute(path) != Some(&value) {
                let set = node.update(now, EndpointId(*ep), |ctx| {
                    ctx.set(CapabilityId(*cap), AttributeId(*attr), value)
                });
                if let Err(status) = set {
                    tracing::warn!(?path, %status, "stored value not put back");
                }
            }
        }
        Ok(())
    }

    /// Puts the homes, access control and persistent values back into a freshly built node.
    pub(crate) fn restore_node(
        &self,
        node: &mut DeviceNode,
        homes: &HomeTable,
    ) -> Result<(), DeviceError> {
        for m in homes.iter() {
            // The admin entry add_home makes is replaced by the stored list just below.
            node.add_home(m.home_id(), m.key.clone(), 0);
        }
        let entries = self
            .acl
            .iter()
            .map(|b| AclEntry::from_data(&data(b)?).ok_or(DeviceError::CorruptState("acl entry")))
            .collect::<Result<Vec<_>, _>>()?;
        node.restore_access_control(entries);
        // [IM-50] numbers below the stored block end may have been used before the restart.
        node.continue_event_numbers(self.event_numbers_end);
        for (ep, cap, attr, bytes) in &self.values {
            let path =
                ConcreteAttribute::new(EndpointId(*ep), CapabilityId(*cap), AttributeId(*attr));
            // A value the current firmware no longer accepts keeps its default.
            if let Err(status) = node.restore_value(path, data(bytes)?) {
                tracing::warn!(?path, %status, "persisted value not restored");
            }
        }
        Ok(())
    }
}

/// Version 1 of the device's record. A later version adds a `migrate` step from 1.
impl Document for DeviceState {
    const KIND: &'static str = "orbit-device";
    const VERSION: u16 = 1;
}

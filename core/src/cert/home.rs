use super::{
    validate_operational, CertError, CertKind, Certificate, KeyId, NodeRole, OperationalPeer,
    TbsCertificate, Validity,
};
use crate::crypto::sign::SigningKey;
use crate::crypto::{CryptoError, Random};

/// A home's identifier: 64 random bits chosen when the home is created `[HOME-1]`.
pub type HomeId = u64;
/// A node's identifier within its home, chosen by the administrator who issues its
/// certificate `[HOME-2]`.
pub type NodeId = u64;

/// The fewest homes a device must be able to belong to at once `[HOME-5]`.
pub const MIN_HOMES_PER_DEVICE: usize = 5;

/// The holder of a home's root key: creates the home and issues operational certificates.
/// Lives in an administrator controller.
#[derive(Debug, Clone)]
pub struct HomeAuthority {
    root_key: SigningKey,
    root_cert: Certificate,
    next_serial: u64,
}

impl HomeAuthority {
    /// Creates a new home with a random identifier and root key, valid for `validity_secs`
    /// from `now` `[HOME-1]`.
    pub fn create(rng: &mut dyn Random, now: u64, validity_secs: u64) -> Result<Self, CryptoError> {
        let root_key = SigningKey::generate(rng)?;
        let mut id = [0u8; 8];
        rng.fill(&mut id)?;
        let home_id = u64::from_be_bytes(id);
        let public = root_key.public_key();
        let tbs = TbsCertificate {
            kind: CertKind::HOME_ROOT,
            serial: 1,
            subject_key: public,
            issuer: KeyId::of(&public),
            validity: Validity::starting(now, validity_secs),
            home_id: Some(home_id),
            node_id: None,
            role: None,
            vendor_id: None,
            product_id: None,
        };
        let root_cert = Certificate::sign(tbs, &root_key);
        Ok(HomeAuthority {
            root_key,
            root_cert,
            next_serial: 2,
        })
    }

    /// Restores an authority from its persisted root key and certificate.
    pub fn from_parts(root_key: SigningKey, root_cert: Certificate, next_serial: u64) -> Self {
        HomeAuthority {
            root_key,
            root_cert,
            next_serial,
        }
    }

    /// The home's identifier.
    pub fn home_id(&self) -> HomeId {
        self.root_cert.tbs().home_id.unwrap_or_default()
    }

    /// The home's root certificate.
    pub fn root_cert(&self) -> &Certificate {
        &self.root_cert
    }

    /// The root signing key, for persistence by a store.
    pub fn root_key(&self) -> &SigningKey {
        &self.root_key
    }

    /// The serial number the next certificate gets, for persistence by a store.
    pub fn next_serial(&self) -> u64 {
        self.next_serial
    }

    /// Issues an operational certificate for `subject` `[HOME-2]`.
    pub fn issue(
        &mut self,
        subject: &crate::crypto::sign::PublicKey,
        node_id: NodeId,
        role: NodeRole,
        validity: Validity,
    ) -> Certificate {
        let serial = self.next_serial;
        self.next_serial = self.next_serial.wrapping_add(1);
        let tbs = TbsCertificate {
            kind: CertKind::OPERATIONAL,
            serial,
            subject_key: *subject,
            issuer: KeyId::of(&self.root_key.public_key()),
            validity,
            home_id: Some(self.home_id()),
            node_id: Some(node_id),
            role: Some(role),
            vendor_id: None,
            product_id: None,
        };
        Certificate::sign(tbs, &self.root_key)
    }

    /// Creates a fresh key and certificate for a node of this home (for an administrator's
    /// own controller identity, or a controller it adds).
    pub fn issue_member(
        &mut self,
        rng: &mut dyn Random,
        node_id: NodeId,
        role: NodeRole,
        validity: Validity,
    ) -> Result<HomeMembership, CryptoError> {
        let key = SigningKey::generate(rng)?;
        let cert = self.issue(&key.public_key(), node_id, role, validity);
        Ok(HomeMembership {
            root: self.root_cert.clone(),
            cert,
            key,
        })
    }
}

/// A node's credentials in one home: the home's root, the node's operational certificate and
/// its operational key.
#[derive(Debug, Clone)]
pub struct HomeMembership {
    /// The home's root certificate (trust anchor for peers of this home).
    pub root: Certificate,
    /// This node's operational certificate.
    pub cert: Certificate,
    /// This node's operational signing key (matches `cert`).
    pub key: SigningKey,
}

impl HomeMembership {
    /// Validates the parts against each other `[HOME-4]`: the certificate chains to the root
    /// and certifies this key.
    pub fn new(
        root: Certificate,
        cert: Certificate,
        key: SigningKey,
        now: u64,
    ) -> Result<Self, CertError> {
        let me = validate_operational(&cert, &root, None, now)?;
        if me.public_key != key.public_key() {
            return Err(CertError::IssuerMismatch);
        }
        Ok(HomeMembership { root, cert, key })
    }

    /// The home's identifier.
    pub fn home_id(&self) -> HomeId {
        self.root.tbs().home_id.unwrap_or_default()
    }

    /// This node's identifier in the home.
    pub fn node_id(&self) -> NodeId {
        self.cert.tbs().node_id.unwrap_or_default()
    }

    /// Validates a peer's operational certificate as a member of this home.
    pub fn validate_peer(
        &self,
        peer: &Certificate,
        now: u64,
    ) -> Result<OperationalPeer, CertError> {
        validate_operational(peer, &self.root, Some(self.home_id()), now)
    }
}

/// The homes a node belongs to (multi-admin) `[HOME-5]`.
#[derive(Debug, Clone)]
pub struct HomeTable {
    homes: Vec<HomeMembership>,
    capacity: usize,
}

impl Default for HomeTable {
    fn default() -> Self {
        Self::with_capacity(MIN_HOMES_PER_DEVICE)
    }
}

impl HomeTable {
    /// A table for `capacity` homes (at least [`MIN_HOMES_PER_DEVICE`]).
    pub fn with_capacity(capacity: usize) -> Self {
        HomeTable {
            homes: Vec::new(),
            capacity: capacity.max(MIN_HOMES_PER_DEVICE),
        }
    }

    /// Adds a membership; `[HOME-6]` rejects a second membership of the same home and
    /// `[HOME-5]` a table that is full.
    pub fn add(&mut self, m: HomeMembership) -> Result<(), CertError> {
        if self.get(m.home_id()).is_some() {
            return Err(CertError::AlreadyMember(m.home_id()));
        }
        if self.homes.len() >= self.capacity {
            return Err(CertError::HomesFull { max: self.capacity });
        }
        self.homes.push(m);
        Ok(())
    }

    /// Removes a home and returns its membership.
    pub fn remove(&mut self, home: HomeId) -> Result<HomeMembership, CertError> {
        let idx = self
            .homes
            .iter()
            .position(|m| m.home_id() == home)
            .ok_or(CertError::UnknownHome(home))?;
        Ok(self.homes.remove(idx))
    }

    /// The membership for `home`.
    pub fn get(&self, home: HomeId) -> Option<&HomeMembership> {
        self.homes.iter().find(|m| m.home_id() == home)
    }

    /// The membership whose root certificate has this key identifier.
    pub fn by_root_key(&self, id: &KeyId) -> Option<&HomeMembership> {
        self.homes
            .iter()
            .find(|m| KeyId::of(m.root.public_key()) == *id)
    }

    /// All memberships.
    pub fn iter(&self) -> impl Iterator<Item = &HomeMembership> {
        self.homes.iter()
    }

    /// Number of homes.
    pub fn len(&self) -> usize {
        self.homes.len()
    }

    /// Whether the node belongs to no home.
    pub fn is_empty(&self) -> bool {
        self.homes.is_empty()
    }

    /// How many homes fit.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

//! The suite's own home: it commissions the device into it, administers it, and issues
//! further members (controllers with fewer privileges) for access-control cases.

use orbit_core::cert::{HomeAuthority, HomeMembership, NodeId, NodeRole, Validity};
use orbit_core::crypto::{CryptoError, Random};

/// The suite's administrator's node ID in every home the suite makes.
pub const ADMIN_NODE: NodeId = 1;

/// First node ID given to a device; the next one goes to the next device commissioned.
const FIRST_DEVICE_NODE: NodeId = 0x1000;

/// First node ID given to an extra member.
const FIRST_MEMBER_NODE: NodeId = 0x100;

/// How long the certificates the suite issues are valid: a day, starting a minute ago (a
/// device's clock a little behind is not a case).
const VALIDITY_SECS: u64 = 86_400;

/// A home the suite made.
pub struct SuiteHome {
    authority: HomeAuthority,
    admin: HomeMembership,
    next_device: NodeId,
    next_member: NodeId,
}

impl std::fmt::Debug for SuiteHome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuiteHome")
            .field("home_id", &self.authority.home_id())
            .finish_non_exhaustive()
    }
}

impl SuiteHome {
    /// A new home with the suite's administrator as [`ADMIN_NODE`].
    pub fn create(rng: &mut (dyn Random + Send)) -> Result<Self, CryptoError> {
        let now = crate::unix_now().saturating_sub(60);
        let mut authority = HomeAuthority::create(rng, now, 365 * 86_400)?;
        let admin = authority.issue_member(
            rng,
            ADMIN_NODE,
            NodeRole::CONTROLLER,
            Validity::starting(now, VALIDITY_SECS),
        )?;
        Ok(Self {
            authority,
            admin,
            next_device: FIRST_DEVICE_NODE,
            next_member: FIRST_MEMBER_NODE,
        })
    }

    /// The home's ID.
    pub fn home_id(&self) -> u64 {
        self.authority.home_id()
    }

    /// The home root's public key (what the home's operational instance IDs are keyed
    /// with, `[DISC-11]`).
    pub fn root_public_key(&self) -> [u8; 32] {
        self.authority.root_cert().public_key().0
    }

    /// The administrator's membership.
    pub fn admin(&self) -> &HomeMembership {
        &self.admin
    }

    /// The administrator's node ID.
    pub fn admin_node(&self) -> NodeId {
        ADMIN_NODE
    }

    /// The home's certificate authority (to issue unusual certificates).
    pub fn authority_mut(&mut self) -> &mut HomeAuthority {
        &mut self.authority
    }

    /// The validity the suite gives certificates.
    pub fn validity(&self) -> Validity {
        Validity::starting(crate::unix_now().saturating_sub(60), VALIDITY_SECS)
    }

    /// A node ID for the next device commissioned into this home.
    pub fn next_device_node(&mut self) -> NodeId {
        let id = self.next_device;
        self.next_device = self.next_device.saturating_add(1);
        id
    }

    /// A new controller of this home with a node ID of its own (it has no privileges on a
    /// device until an administrator grants them in the device's access control).
    pub fn issue_member(
        &mut self,
        rng: &mut (dyn Random + Send),
    ) -> Result<HomeMembership, CryptoError> {
        let id = self.next_member;
        self.next_member = self.next_member.saturating_add(1);
        let validity = self.validity();
        self.authority
            .issue_member(rng, id, NodeRole::CONTROLLER, validity)
    }
}

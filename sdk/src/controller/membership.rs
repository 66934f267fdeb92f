//! More controllers in one home: an administrator admits another controller (a second phone)
//! by certifying the public key it presents and granting it a privilege on the paired devices;
//! it can later revoke that access `[HOME-2]`, `[ACL-3]`, `[ACL-7]`.
//!
//! The joining controller keeps its private key: only its public key travels, in a
//! [`JoinRequest`], and only certificates and device records come back, in an [`Admission`].
//! How the two travel between the phones (QR code, a link, the app's cloud) is the app's
//! choice; neither holds a secret.

use super::error::{Cause, ControllerError, InPhase, Phase};
use super::state::{ControllerState, PairedDevice};
use super::Controller;
use orbit_core::cert::{Certificate, HomeMembership, NodeId, NodeRole, Validity};
use orbit_core::crypto::sign::{PublicKey, SigningKey};
use orbit_core::crypto::SystemRandom;
use orbit_core::device::AclEntry;
use orbit_core::interaction::{ConcreteAttribute, ReadRequest, WriteRequest};
use orbit_core::model::{std_caps, Data, EndpointId, Privilege};
use orbit_quic::QuicConfig;
use orbit_store::Store;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long an admitted controller's certificate is valid.
const MEMBER_VALIDITY_SECS: u64 = 10 * 365 * 86_400;

/// What a controller that wants to join a home sends to an administrator: its public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinRequest {
    /// The operational public key the joining controller will use.
    pub public_key: [u8; 32],
}

/// The joining controller's side while it waits for an [`Admission`]: its new key.
pub struct PendingJoin {
    key: SigningKey,
}

impl std::fmt::Debug for PendingJoin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingJoin(<key redacted>)")
    }
}

impl PendingJoin {
    /// A fresh operational key for the joining controller.
    pub fn new() -> Result<Self, ControllerError> {
        let key = SigningKey::generate(&mut SystemRandom::new()).in_phase(Phase::Store)?;
        Ok(PendingJoin { key })
    }

    /// The request to hand to an administrator.
    pub fn request(&self) -> JoinRequest {
        JoinRequest {
            public_key: self.key.public_key().0,
        }
    }
}

/// What an administrator hands back: the home's root certificate, the joining controller's
/// operational certificate, and the devices it was given access to.
#[derive(Clone, Serialize, Deserialize)]
pub struct Admission {
    root: Vec<u8>,
    cert: Vec<u8>,
    devices: Vec<PairedDevice>,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission")
            .field("devices", &self.devices.len())
            .finish_non_exhaustive()
    }
}

fn acl_path() -> ConcreteAttribute {
    ConcreteAttribute::new(
        EndpointId::ROOT,
        std_caps::access_control::ID,
        std_caps::access_control::attributes::ACL,
    )
}

impl Controller {
    /// Admits the controller that sent `request` as node `node` of this home: issues its
    /// certificate and grants it `privilege` on every paired device (each must be reachable).
    /// Only the controller holding the home's root key can do this.
    pub async fn admit(
        &self,
        request: &JoinRequest,
        node: NodeId,
        privilege: Privilege,
    ) -> Result<Admission, ControllerError> {
        self.writable()?;
        let public_key = PublicKey::from_slice(&request.public_key).in_phase(Phase::InstallHome)?;
        let taken =
            node == super::CONTROLLER_NODE || self.lock().devices.iter().any(|d| d.node_id == node);
        if taken {
            return Err(ControllerError::new(
                Phase::InstallHome,
                Cause::NotFound(format!("node ID {node:#x} is already in use in this home")),
            ));
        }
        let _issuing = self.issuing.lock().await;
        let (cert, root) = {
            let mut state = self.lock();
            let mut authority = state.authority().in_phase(Phase::InstallHome)?;
            let now = super::handshakes::unix_now();
            let cert = authority.issue(
                &public_key,
                node,
                NodeRole::CONTROLLER,
                Validity::starting(now.saturating_sub(60), MEMBER_VALIDITY_SECS),
            );
            state.set_authority(&authority);
            (cert, authority.root_cert().clone())
        };
        self.save()?;
        let names: Vec<String> = self.devices().into_iter().map(|d| d.name).collect();
        for name in &names {
            self.grant(name, node, privilege).await?;
        }
        Ok(Admission {
            root: root.to_bytes(),
            cert: cert.to_bytes(),
            devices: self
                .devices()
                .into_iter()
                .map(PairedDevice::without_ticket)
                .collect(),
        })
    }

    /// Opens the controller admitted by `admission` in `store` (the joining phone's side).
    pub async fn join(
        store: Arc<dyn Store>,
        quic: QuicConfig,
        pending: PendingJoin,
        admission: Admission,
    ) -> Result<Controller, ControllerError> {
        let root = Certificate::decode(&admission.root).in_phase(Phase::InstallHome)?;
        let cert = Certificate::decode(&admission.cert).in_phase(Phase::InstallHome)?;
        let member = HomeMembership::new(
            root.clone(),
            cert,
            pending.key,
            super::handshakes::unix_now(),
        )
        .in_phase(Phase::InstallHome)?;
        let state = ControllerState::admitted(&root, &member, admission.devices);
        Controller::with_state(store, quic, state).await
    }

    /// Gives node `node` of this home `privilege` on the whole device `name`, replacing any
    /// entry it had there (an administrator's operation, `[ACL-7]`).
    pub async fn grant(
        &self,
        name: &str,
        node: NodeId,
        privilege: Privilege,
    ) -> Result<(), ControllerError> {
        let home = self.home_id();
        self.edit_acl(name, |entries| {
            entries.retain(|e| e.subject != node);
            entries.push(AclEntry::whole_device(home, node, privilege));
        })
        .await
    }

    /// Removes node `node`'s access to the device `name`.
    pub async fn revoke(&self, name: &str, node: NodeId) -> Result<(), ControllerError> {
        self.edit_acl(name, |entries| entries.retain(|e| e.subject != node))
            .await
    }

    /// Removes node `node`'s access to every paired device: the controller of that node can
    /// still open sessions (its certificate stays valid) but every operation is denied.
    pub async fn remove_controller(&self, node: NodeId) -> Result<(), ControllerError> {
        let names: Vec<String> = self.devices().into_iter().map(|d| d.name).collect();
        for name in &names {
            self.revoke(name, node).await?;
        }
        Ok(())
    }

    /// Reads this home's ACL entries on the device, changes them, and writes them back.
    async fn edit_acl(
        &self,
        name: &str,
        change: impl FnOnce(&mut Vec<AclEntry>),
    ) -> Result<(), ControllerError> {
        let (conn, _) = self.connect(name, None).await?;
        let (attrs, _) = conn
            .read(ReadRequest {
                attributes: vec![acl_path().path()],
                ..Default::default()
            })
            .await?;
        let current = match attrs.first().map(|a| &a.result) {
            Some(Ok(Data::List(items))) => items
                .iter()
                .map(AclEntry::from_data)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ControllerError::new(Phase::Session, Cause::Unexpected))?,
            Some(Err(status)) => {
                return Err(ControllerError::new(Phase::Session, Cause::Status(*status)))
            }
            _ => return Err(ControllerError::new(Phase::Session, Cause::Unexpected)),
        };
        let mut entries = current;
        change(&mut entries);
        let value = Data::List(entries.iter().map(AclEntry::to_data).collect());
        let statuses = conn
            .write(WriteRequest::new(vec![(acl_path(), value)]))
            .await?;
        conn.close();
        match statuses.first().map(|s| s.status) {
            Some(s) if s == orbit_core::status::Status::SUCCESS => Ok(()),
            Some(s) => Err(ControllerError::new(Phase::Session, Cause::Status(s))),
            None => Err(ControllerError::new(Phase::Session, Cause::Unexpected)),
        }
    }
}

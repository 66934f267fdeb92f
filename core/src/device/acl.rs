//! Access control: entries, privilege checks, and the `acl` attribute's encoding
//! (`spec/v1/15-access-control.md`).

use crate::cert::{HomeId, NodeId};
use crate::model::{CapabilityId, Data, EndpointId, Privilege};
use crate::status::Status;

/// Where an entry applies; a missing field matches anything `[ACL-3]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Target {
    /// The endpoint, or every endpoint.
    pub endpoint: Option<EndpointId>,
    /// The capability, or every capability.
    pub capability: Option<CapabilityId>,
}

/// One access control entry `[ACL-3]`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AclEntry {
    /// The home the entry belongs to.
    pub home: HomeId,
    /// The node of that home it grants access to.
    pub subject: NodeId,
    /// The privilege granted.
    pub privilege: Privilege,
    /// Where; `None` is the whole device.
    pub targets: Option<Vec<Target>>,
}

impl AclEntry {
    /// An entry granting `privilege` on the whole device.
    pub fn whole_device(home: HomeId, subject: NodeId, privilege: Privilege) -> Self {
        AclEntry {
            home,
            subject,
            privilege,
            targets: None,
        }
    }

    fn covers(&self, endpoint: EndpointId, capability: CapabilityId) -> bool {
        match &self.targets {
            None => true,
            Some(targets) => targets.iter().any(|t| {
                t.endpoint.is_none_or(|e| e == endpoint)
                    && t.capability.is_none_or(|c| c == capability)
            }),
        }
    }

    /// The entry as an element of the `acl` attribute.
    pub fn to_data(&self) -> Data {
        let mut fields = vec![
            (0, Data::Uint(self.home)),
            (1, Data::Uint(self.subject)),
            (2, Data::Uint(self.privilege.code())),
        ];
        if let Some(targets) = &self.targets {
            let list = targets
                .iter()
                .map(|t| {
                    let mut f = Vec::new();
                    if let Some(e) = t.endpoint {
                        f.push((0, Data::from(e.0)));
                    }
                    if let Some(c) = t.capability {
                        f.push((1, Data::from(c.0)));
                    }
                    Data::Struct(f)
                })
                .collect();
            fields.push((3, Data::List(list)));
        }
        Data::Struct(fields)
    }

    /// Reads an element of the `acl` attribute (already checked against its type).
    pub fn from_data(d: &Data) -> Option<AclEntry> {
        let targets = match d.field(3) {
            None => None,
            Some(Data::List(items)) => Some(
                items
                    .iter()
                    .map(|t| Target {
                        endpoint: t
                            .field(0)
                            .and_then(Data::as_u64)
                            .and_then(|v| u16::try_from(v).ok())
                            .map(EndpointId),
                        capability: t
                            .field(1)
                            .and_then(Data::as_u64)
                            .and_then(|v| u32::try_from(v).ok())
                            .map(CapabilityId),
                    })
                    .collect(),
            ),
            Some(_) => return None,
        };
        Some(AclEntry {
            home: d.field(0)?.as_u64()?,
            subject: d.field(1)?.as_u64()?,
            privilege: Privilege::from_code(d.field(2)?.as_u64()?)?,
            targets,
        })
    }
}

/// The device's access control list.
#[derive(Clone, Debug, Default)]
pub struct AccessControl {
    entries: Vec<AclEntry>,
}

impl AccessControl {
    /// Every entry.
    pub fn entries(&self) -> &[AclEntry] {
        &self.entries
    }

    /// The entries of one home `[ACL-7]`.
    pub fn home_entries(&self, home: HomeId) -> impl Iterator<Item = &AclEntry> {
        self.entries.iter().filter(move |e| e.home == home)
    }

    /// Adds an entry.
    pub fn add(&mut self, entry: AclEntry) {
        self.entries.push(entry);
    }

    /// Whether `(home, node)` holds at least `needed` on `(endpoint, capability)` `[ACL-3]`.
    pub fn allows(
        &self,
        home: HomeId,
        node: NodeId,
        endpoint: EndpointId,
        capability: CapabilityId,
        needed: Privilege,
    ) -> bool {
        self.entries.iter().any(|e| {
            e.home == home
                && e.subject == node
                && e.privilege >= needed
                && e.covers(endpoint, capability)
        })
    }

    /// Whether `(home, node)` has any entry at all (may describe the device `[IM-70]`).
    pub fn knows(&self, home: HomeId, node: NodeId) -> bool {
        self.entries
            .iter()
            .any(|e| e.home == home && e.subject == node)
    }

    /// Replaces the entries of `home` with `new` `[ACL-7]`: every new entry must belong to
    /// `home`, have no empty target list or empty target, and at least one must grant
    /// administer. Returns the old entries of the home on success.
    pub fn replace_home(
        &mut self,
        home: HomeId,
        new: Vec<AclEntry>,
    ) -> Result<Vec<AclEntry>, Status> {
        let valid = new.iter().all(|e| {
            e.home == home
                && e.targets.as_ref().is_none_or(|t| {
                    !t.is_empty()
                        && t.iter()
                            .all(|t| t.endpoint.is_some() || t.capability.is_some())
                })
        });
        let has_admin = new
            .iter()
            .any(|e| e.privilege == Privilege::Administer && e.targets.is_none());
        if !valid || !has_admin {
            return Err(Status::CONSTRAINT_ERROR);
        }
        let (old, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.entries)
            .into_iter()
            .partition(|e| e.home == home);
        self.entries = keep;
        self.entries.extend(new);
        Ok(old)
    }

    /// Removes every entry of `home` `[ACL-9]`.
    pub fn remove_home(&mut self, home: HomeId) {
        self.entries.retain(|e| e.home != home);
    }
}

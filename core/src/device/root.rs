//! The root endpoint's own capabilities: access control and administration
//! (`spec/v1/15-access-control.md`).

use super::acl::AclEntry;
use super::node::{DeviceNode, NodeEvent, Requester};
use crate::interaction::{CommandPath, ConcreteAttribute};
use crate::model::{std_caps, Data, EndpointId};
use crate::status::Status;
use std::time::{Duration, Instant};

impl DeviceNode {
    /// A write of the acl attribute: replaces the writer's home's entries `[ACL-7]` and emits
    /// one access-changed event per entry added, changed or removed `[ACL-8]`.
    pub(crate) fn write_acl(
        &mut self,
        now: Instant,
        from: &Requester,
        value: &Data,
    ) -> Result<(), Status> {
        let Data::List(items) = value else {
            return Err(Status::INVALID_DATA_TYPE);
        };
        let new: Vec<AclEntry> = items
            .iter()
            .map(AclEntry::from_data)
            .collect::<Option<_>>()
            .ok_or(Status::CONSTRAINT_ERROR)?;
        let old = self.acl.replace_home(from.home, new.clone())?;
        use std_caps::access_control::events::access_changed_fields::change_values as change;
        use std_caps::access_control::events::ACCESS_CHANGED;
        // [ACL-8] entries are compared per subject: a subject's entries before and after, as
        // sets; one event per subject whose set differs, in the order the subjects first
        // appear in the new list, then the removed subjects in the order of the old list.
        let mut subjects: Vec<u64> = Vec::new();
        for e in new.iter().chain(old.iter()) {
            if !subjects.contains(&e.subject) {
                subjects.push(e.subject);
            }
        }
        let mut changes = Vec::new();
        for subject in subjects {
            let before: Vec<&AclEntry> = old.iter().filter(|e| e.subject == subject).collect();
            let after: Vec<&AclEntry> = new.iter().filter(|e| e.subject == subject).collect();
            let what = if before.is_empty() {
                change::ADDED
            } else if after.is_empty() {
                change::REMOVED
            } else if same_entries(&before, &after) {
                continue;
            } else {
                change::CHANGED
            };
            changes.push((subject, what));
        }
        let uptime = super::node::uptime_ms(self.start, now);
        for (subject, what) in changes {
            let fields = Data::Struct(vec![
                (0, Data::Uint(from.home)),
                (1, Data::Uint(subject)),
                (2, Data::Uint(what.into())),
            ]);
            self.events.record(
                EndpointId::ROOT,
                std_caps::access_control::ID,
                ACCESS_CHANGED,
                crate::model::Priority::Info,
                uptime,
                fields,
            );
        }
        self.sync_root_attributes();
        // Only the writer's home sees its own entries, so only its subscriptions learn of the
        // change; other homes must not learn that this home edited its list [ACL-7].
        // [ACL-14]
        let acl = super::handle::acl_path();
        if self.store.take_changed_one(&acl) {
            for sub in &mut self.subscriptions {
                if sub.home == from.home && sub.attributes.iter().any(|p| p.matches(&acl)) {
                    sub.dirty.insert(acl);
                }
            }
        }
        Ok(())
    }

    /// Commands of the root endpoint's capabilities (administration) `[ACL-9]`, `[ACL-10]`,
    /// `[ACL-11]`.
    pub(crate) fn invoke_root(
        &mut self,
        _from: &Requester,
        path: CommandPath,
        args: &Data,
    ) -> Result<Data, Status> {
        use std_caps::administration::{attributes, commands, ID};
        if path.capability != ID {
            return Err(Status::UNSUPPORTED_COMMAND);
        }
        let window_open =
            ConcreteAttribute::new(EndpointId::ROOT, ID, attributes::PAIRING_WINDOW_OPEN);
        match path.command {
            commands::OPEN_PAIRING_WINDOW => {
                if self.store.get(&window_open).and_then(Data::as_bool) == Some(true) {
                    return Err(Status::BUSY);
                }
                let secs = args
                    .field(0)
                    .and_then(Data::as_u64)
                    .ok_or(Status::INVALID_DATA_TYPE)?;
                let duration = Duration::from_secs(secs);
                // [ACL-11] success only for a window the driver will open: the schema's range
                // is the window's own, checked again here so the two cannot drift apart.
                if !(crate::pairing::MIN_WINDOW_DURATION..=crate::pairing::MAX_WINDOW_DURATION)
                    .contains(&duration)
                {
                    return Err(Status::CONSTRAINT_ERROR);
                }
                // A deliberate opening: it opens a locked-out window too, lifting the lock-out
                // [PAIR-31], so success is the truth in every state but an open window.
                self.store.set(window_open, Data::Bool(true))?;
                self.node_events
                    .push_back(NodeEvent::OpenPairingWindow { duration });
            }
            commands::CLOSE_PAIRING_WINDOW => {
                self.store.set(window_open, Data::Bool(false))?;
                self.node_events.push_back(NodeEvent::ClosePairingWindow);
            }
            commands::REMOVE_HOME => {
                let home = args
                    .field(0)
                    .and_then(Data::as_u64)
                    .ok_or(Status::INVALID_DATA_TYPE)?;
                if !self.remove_home(home) {
                    return Err(Status::CONSTRAINT_ERROR);
                }
            }
            _ => return Err(Status::UNSUPPORTED_COMMAND),
        }
        Ok(Data::Struct(Vec::new()))
    }

    /// The driver reports that the pairing window closed (timeout or pairing done).
    pub fn pairing_window_closed(&mut self) {
        let path = ConcreteAttribute::new(
            EndpointId::ROOT,
            std_caps::administration::ID,
            std_caps::administration::attributes::PAIRING_WINDOW_OPEN,
        );
        let _ = self.store.set(path, Data::Bool(false));
        self.propagate_changes();
    }
}

/// Whether two lists of one subject's entries grant the same, whatever their order `[ACL-8]`.
fn same_entries(a: &[&AclEntry], b: &[&AclEntry]) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|x| a.iter().filter(|y| *y == x).count() == b.iter().filter(|y| *y == x).count())
}

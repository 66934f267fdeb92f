//! The maker's manifest: what the maker claims the device has. It never decides which cases
//! run (the device's live descriptor does); every difference between the two is reported as
//! a finding.
//!
//! JSON (every key optional; a list, when present, is the complete list):
//!
//! ```json
//! {"vendor_id": 65521, "product_id": 32769, "spec_version": 1, "resumption": true,
//!  "limits": {"max_paths_per_request": 16, "max_subscriptions_per_session": 4,
//!             "max_subscriptions_per_home": 16, "event_buffer": 64, "max_message": 8192},
//!  "endpoints": [{"id": 1, "label": "lamp",
//!                 "capabilities": [{"id": 16, "version": 1, "features": 0,
//!                                   "attributes": [0], "commands": [0, 1, 2], "events": []}]}]}
//! ```
//!
//! `features` are the capability's feature bits `[DM-15]`; `attributes`, `commands` and
//! `events` the IDs the instance implements (so the optional items the maker claims, and
//! those a feature brings, `[DM-42]`); `limits` the descriptor's limits `[DM-43]`;
//! `resumption` whether the device issues resumption tickets `[SESS-24]`.

use crate::facts::Facts;
use crate::report::Finding;
use orbit_core::model::CapabilityInstance;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One capability the maker claims on an endpoint.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClaimedCapability {
    /// Capability ID.
    pub id: u32,
    /// Feature bits, if claimed.
    pub features: Option<u32>,
    /// The capability's schema version, if claimed.
    pub version: Option<u16>,
    /// The attribute IDs the instance implements, if claimed.
    pub attributes: Option<Vec<u16>>,
    /// The command IDs the instance implements, if claimed.
    pub commands: Option<Vec<u16>>,
    /// The event IDs the instance implements, if claimed.
    pub events: Option<Vec<u16>>,
}

/// One endpoint the maker claims.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClaimedEndpoint {
    /// Endpoint number.
    pub id: u16,
    /// Its label, if claimed.
    pub label: Option<String>,
    /// Its capabilities.
    pub capabilities: Vec<ClaimedCapability>,
}

/// The limits the maker claims; each, when present, is compared with the descriptor's.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClaimedLimits {
    /// Paths per request `[IM-80]`.
    pub max_paths_per_request: Option<u32>,
    /// Subscriptions per session `[IM-81]`.
    pub max_subscriptions_per_session: Option<u32>,
    /// Subscriptions per home `[IM-81]`.
    pub max_subscriptions_per_home: Option<u32>,
    /// Events buffered `[IM-52]`.
    pub event_buffer: Option<u32>,
    /// Largest interaction message `[IM-4]`.
    pub max_message: Option<u32>,
}

/// A manifest.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Vendor ID claimed.
    pub vendor_id: Option<u16>,
    /// Product ID claimed.
    pub product_id: Option<u16>,
    /// The protocol version claimed.
    pub spec_version: Option<u16>,
    /// Whether the device claims to issue resumption tickets `[SESS-24]`.
    pub resumption: Option<bool>,
    /// The limits claimed `[DM-43]`.
    pub limits: Option<ClaimedLimits>,
    /// Endpoints claimed (when present, the complete list).
    pub endpoints: Option<Vec<ClaimedEndpoint>>,
}

impl Manifest {
    /// Reads a manifest file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the manifest {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("the manifest is not valid: {e}"))
    }

    /// Every difference between this manifest and what the device shows.
    pub fn compare(&self, facts: &Facts) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut diff = |subject: String, manifest: String, device: String| {
            if manifest != device {
                out.push(Finding {
                    subject,
                    manifest,
                    device,
                });
            }
        };
        if let Some(v) = self.vendor_id {
            diff(
                "vendor ID".into(),
                format!("{v:#06x}"),
                format!("{:#06x}", facts.attested.vendor_id),
            );
        }
        if let Some(p) = self.product_id {
            diff(
                "product ID".into(),
                format!("{p:#06x}"),
                format!("{:#06x}", facts.attested.product_id),
            );
        }
        if let Some(v) = self.spec_version {
            diff(
                "spec version".into(),
                v.to_string(),
                facts.descriptor.spec_version.to_string(),
            );
        }
        if let Some(l) = &self.limits {
            let d = facts.descriptor.limits;
            for (name, claimed, shown) in [
                (
                    "max_paths_per_request",
                    l.max_paths_per_request,
                    d.max_paths_per_request,
                ),
                (
                    "max_subscriptions_per_session",
                    l.max_subscriptions_per_session,
                    d.max_subscriptions_per_session,
                ),
                (
                    "max_subscriptions_per_home",
                    l.max_subscriptions_per_home,
                    d.max_subscriptions_per_home,
                ),
                ("event_buffer", l.event_buffer, d.event_buffer),
                ("max_message", l.max_message, d.max_message),
            ] {
                if let Some(c) = claimed {
                    diff(format!("limit {name}"), c.to_string(), shown.to_string());
                }
            }
        }
        if let Some(r) = self.resumption {
            diff(
                "resumption tickets".into(),
                if r { "issued" } else { "not issued" }.into(),
                if facts.issues_tickets {
                    "issued"
                } else {
                    "not issued"
                }
                .into(),
            );
        }
        if let Some(endpoints) = &self.endpoints {
            let shown_eps = &facts.descriptor.endpoints;
            for e in endpoints {
                let Some(shown) = shown_eps.iter().find(|d| d.id.0 == e.id) else {
                    diff(
                        format!("endpoint {}", e.id),
                        "present".into(),
                        "absent".into(),
                    );
                    continue;
                };
                if let Some(label) = &e.label {
                    diff(
                        format!("endpoint {}: label", e.id),
                        format!("{label:?}"),
                        format!("{:?}", shown.label),
                    );
                }
            }
            for d in shown_eps {
                if !endpoints.iter().any(|e| e.id == d.id.0) {
                    diff(
                        format!("endpoint {}", d.id.0),
                        "absent".into(),
                        "present".into(),
                    );
                }
            }
            let claimed: BTreeMap<(u16, u32), &ClaimedCapability> = endpoints
                .iter()
                .flat_map(|e| e.capabilities.iter().map(move |c| ((e.id, c.id), c)))
                .collect();
            let shown: BTreeMap<(u16, u32), &CapabilityInstance> = shown_eps
                .iter()
                .flat_map(|e| e.capabilities.iter().map(move |c| ((e.id.0, c.id.0), c)))
                .collect();
            for ((ep, cap), c) in &claimed {
                let subject = format!("capability {cap:#06x} on endpoint {ep}");
                let Some(inst) = shown.get(&(*ep, *cap)) else {
                    // Only for an endpoint the device has; a missing endpoint is one finding.
                    if shown_eps.iter().any(|d| d.id.0 == *ep) {
                        diff(subject, "present".into(), "absent".into());
                    }
                    continue;
                };
                if let Some(f) = c.features {
                    diff(
                        format!("{subject}: features"),
                        format!("{f:#x}"),
                        format!("{:#x}", inst.features),
                    );
                }
                if let Some(v) = c.version {
                    diff(
                        format!("{subject}: version"),
                        v.to_string(),
                        inst.version.to_string(),
                    );
                }
                let ids = |v: &[u16]| format!("{v:?}");
                if let Some(a) = &c.attributes {
                    diff(
                        format!("{subject}: attributes"),
                        ids(&sorted(a)),
                        ids(&inst.attributes.iter().map(|x| x.0).collect::<Vec<_>>()),
                    );
                }
                if let Some(a) = &c.commands {
                    diff(
                        format!("{subject}: commands"),
                        ids(&sorted(a)),
                        ids(&inst.commands.iter().map(|x| x.0).collect::<Vec<_>>()),
                    );
                }
                if let Some(a) = &c.events {
                    diff(
                        format!("{subject}: events"),
                        ids(&sorted(a)),
                        ids(&inst.events.iter().map(|x| x.0).collect::<Vec<_>>()),
                    );
                }
            }
            for (ep, cap) in shown.keys() {
                if !claimed.contains_key(&(*ep, *cap)) && endpoints.iter().any(|e| e.id == *ep) {
                    diff(
                        format!("capability {cap:#06x} on endpoint {ep}"),
                        "absent".into(),
                        "present".into(),
                    );
                }
            }
        }
        out
    }
}

fn sorted(ids: &[u16]) -> Vec<u16> {
    let mut v = ids.to_vec();
    v.sort_unstable();
    v
}

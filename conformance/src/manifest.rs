//! The maker's manifest: what the maker claims the device has. It never decides which cases
//! run (the device's live descriptor does); every difference between the two is reported as
//! a finding.
//!
//! JSON: `{"vendor_id": 65521, "product_id": 32769, "resumption": true, "endpoints":
//! [{"id": 1, "capabilities": [{"id": 6, "features": 0}]}]}` (every key optional).

use crate::facts::Facts;
use crate::report::Finding;
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
}

/// One endpoint the maker claims.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClaimedEndpoint {
    /// Endpoint number.
    pub id: u16,
    /// Its capabilities.
    pub capabilities: Vec<ClaimedCapability>,
}

/// A manifest.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Vendor ID claimed.
    pub vendor_id: Option<u16>,
    /// Product ID claimed.
    pub product_id: Option<u16>,
    /// Whether the device claims to issue resumption tickets `[SESS-24]`.
    pub resumption: Option<bool>,
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
            let claimed: BTreeMap<(u16, u32), Option<u32>> = endpoints
                .iter()
                .flat_map(|e| {
                    e.capabilities
                        .iter()
                        .map(move |c| ((e.id, c.id), c.features))
                })
                .collect();
            let shown: BTreeMap<(u16, u32), u32> = facts
                .descriptor
                .endpoints
                .iter()
                .flat_map(|e| {
                    e.capabilities
                        .iter()
                        .map(move |c| ((e.id.0, c.id.0), c.features))
                })
                .collect();
            for ((ep, cap), features) in &claimed {
                let subject = format!("capability {cap:#06x} on endpoint {ep}");
                match shown.get(&(*ep, *cap)) {
                    None => diff(subject, "present".into(), "absent".into()),
                    Some(f) => {
                        if let Some(claimed_f) = features {
                            diff(
                                format!("{subject}: features"),
                                format!("{claimed_f:#x}"),
                                format!("{f:#x}"),
                            );
                        }
                    }
                }
            }
            for (ep, cap) in shown.keys() {
                if !claimed.contains_key(&(*ep, *cap)) {
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

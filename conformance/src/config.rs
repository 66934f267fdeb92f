//! What a run is told: the target, the setup code, and the options of
//! `orbit conformance run`.

use crate::hooks::Hooks;
use crate::transport::TargetSpec;
use orbit_core::attest::{TrustStore, VendorAuthority};
use std::path::PathBuf;
use std::time::Duration;

/// One run's configuration.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The device (`quic://HOST:PORT`).
    pub target: TargetSpec,
    /// Its setup code (QR string or manual code), with its pairing window open.
    pub setup_code: String,
    /// The maker's manifest, compared with what the device shows.
    pub manifest: Option<PathBuf>,
    /// Waivers.
    pub waivers: Option<PathBuf>,
    /// Where to write the reports (JSON, JUnit XML, HTML).
    pub report_dir: Option<PathBuf>,
    /// Only these groups or cases (empty: all).
    pub only: Vec<String>,
    /// The seed (`None`: one is drawn and printed, so the run can be replayed).
    pub seed: Option<u64>,
    /// Operator hooks.
    pub hooks: Hooks,
    /// Vendor roots the device's attestation must chain to.
    pub trust: TrustStore,
    /// How long the suite waits for an answer the device owes.
    pub answer_timeout: Duration,
    /// How many times an INCONCLUSIVE case is run again before it is reported.
    pub retries: u32,
    /// Longest a single case may run before it is stopped and reported INCONCLUSIVE.
    pub case_timeout: Duration,
    /// Where to look for the device's DNS-SD adverts (mDNS port and interfaces); `None`:
    /// the discovery cases are NOT-APPLICABLE.
    pub discovery: Option<orbit_discovery::DiscoveryConfig>,
}

/// How long the suite waits for an answer by default.
pub const DEFAULT_ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest a case runs by default.
pub const DEFAULT_CASE_TIMEOUT: Duration = Duration::from_secs(120);

impl RunConfig {
    /// A configuration with defaults: the development vendor root trusted, no manifest,
    /// waivers or reports, every case, a drawn seed, no hooks, discovery on every interface and
    /// the standard mDNS port.
    pub fn new(target: TargetSpec, setup_code: impl Into<String>) -> Self {
        let mut trust = TrustStore::new();
        // A fresh development root always adds.
        let _ = trust.add_root(VendorAuthority::development().root().clone());
        Self {
            target,
            setup_code: setup_code.into(),
            manifest: None,
            waivers: None,
            report_dir: None,
            only: Vec::new(),
            seed: None,
            hooks: Hooks::default(),
            trust,
            answer_timeout: DEFAULT_ANSWER_TIMEOUT,
            retries: 2,
            case_timeout: DEFAULT_CASE_TIMEOUT,
            discovery: Some(orbit_discovery::DiscoveryConfig::default()),
        }
    }
}

//! The report of a run, as every output format renders it. Serialized as JSON it is the
//! versioned schema documented in `conformance/README.md` (`schema` names its version).

use crate::case::{CaseInfo, Group};
use crate::evidence::Record;
use crate::verdict::{Level, Verdict};
use serde::Serialize;

/// The schema name and version of the JSON report.
pub const SCHEMA: &str = "orbit-conformance-report/1";

/// Who and what was tested, and how to replay it.
#[derive(Clone, Debug, Serialize)]
pub struct Stamp {
    /// The suite's version.
    pub suite_version: String,
    /// The spec version the suite judges against.
    pub spec_version: String,
    /// The target as given (`quic://HOST:PORT`).
    pub target: String,
    /// The transport (`quic`).
    pub transport: String,
    /// The run's seed: randomized cases replay from it (`--seed`).
    pub seed: u64,
    /// When the run started, Unix seconds.
    pub started_unix: u64,
    /// How long the run took, milliseconds.
    pub duration_ms: u64,
    /// The device, as its attestation and descriptor identify it (absent when the suite could
    /// not pair with it).
    pub device: Option<DeviceIdentity>,
}

/// The device under test.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceIdentity {
    /// Vendor ID (attested).
    pub vendor_id: u16,
    /// Product ID (attested).
    pub product_id: u16,
    /// The attestation certificate's serial number.
    pub serial: String,
    /// The firmware version, if the device exposes one.
    pub firmware: Option<String>,
    /// The spec version its descriptor declares.
    pub spec_version: u16,
}

/// The waiver that covered a case.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct WaiverInfo {
    /// Why the case is waived.
    pub reason: String,
    /// The last day the waiver holds (`YYYY-MM-DD`).
    pub expires: String,
}

/// One case's result.
#[derive(Clone, Debug, Serialize)]
pub struct CaseReport {
    /// What the case is.
    #[serde(flatten)]
    pub info: CaseInfo,
    /// Its verdict.
    pub verdict: Verdict,
    /// For FAIL: the rule broken.
    pub failed_rule: Option<String>,
    /// For FAIL: what the rule requires here.
    pub expected: Option<String>,
    /// For FAIL: what the device did. For NOT-APPLICABLE and INCONCLUSIVE: why.
    pub observed: Option<String>,
    /// For WAIVED: the waiver, and the verdict the case would have had.
    pub waiver: Option<WaiverInfo>,
    /// For WAIVED: the verdict without the waiver.
    pub waived_verdict: Option<Verdict>,
    /// How many times it ran (INCONCLUSIVE results are retried).
    pub attempts: u32,
    /// How long its last attempt took, milliseconds.
    pub duration_ms: u64,
    /// The case's seed.
    pub seed: u64,
    /// What was sent and received.
    pub evidence: Vec<Record>,
    /// Evidence records left out past the limit.
    pub evidence_dropped: usize,
}

/// A difference between what the maker's manifest claims and what the device shows.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// What differs (`capability 0x0006 on endpoint 1`).
    pub subject: String,
    /// What the manifest claims.
    pub manifest: String,
    /// What the device shows.
    pub device: String,
}

/// Counts per verdict.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Cases run in total.
    pub total: usize,
    /// PASS.
    pub pass: usize,
    /// FAIL of a MUST case.
    pub fail_must: usize,
    /// FAIL of a SHOULD case (an unmet recommendation).
    pub fail_should: usize,
    /// NOT-APPLICABLE.
    pub not_applicable: usize,
    /// INCONCLUSIVE.
    pub inconclusive: usize,
    /// WAIVED.
    pub waived: usize,
}

/// A whole run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// [`SCHEMA`].
    pub schema: String,
    /// Who and what, and how to replay.
    pub stamp: Stamp,
    /// Counts.
    pub summary: Summary,
    /// Cases, waived ones first, then in running order.
    pub cases: Vec<CaseReport>,
    /// Manifest differences.
    pub findings: Vec<Finding>,
    /// Why the run could not start or stopped early, if it did.
    pub harness_error: Option<String>,
}

/// Exit status of `orbit conformance run` when every applicable MUST case passed (waived
/// ones aside).
pub const EXIT_PASS: i32 = 0;
/// Exit status when a MUST case failed.
pub const EXIT_FAIL: i32 = 1;
/// Exit status for bad arguments (also what the argument parser uses).
pub const EXIT_USAGE: i32 = 2;
/// Exit status when no MUST case failed but the harness could not decide some (INCONCLUSIVE)
/// or could not run at all (target unreachable, no pairing possible for a harness reason).
pub const EXIT_HARNESS: i32 = 3;

impl RunReport {
    /// Counts the verdicts.
    pub fn summarize(cases: &[CaseReport]) -> Summary {
        let mut s = Summary {
            total: cases.len(),
            ..Summary::default()
        };
        for c in cases {
            match (c.verdict, c.info.level) {
                (Verdict::Pass, _) => s.pass += 1,
                (Verdict::Fail, Level::Must) => s.fail_must += 1,
                (Verdict::Fail, Level::Should) => s.fail_should += 1,
                (Verdict::NotApplicable, _) => s.not_applicable += 1,
                (Verdict::Inconclusive, _) => s.inconclusive += 1,
                (Verdict::Waived, _) => s.waived += 1,
            }
        }
        s
    }

    /// The exit status this report calls for.
    pub fn exit_code(&self) -> i32 {
        if self.summary.fail_must > 0 {
            EXIT_FAIL
        } else if self.harness_error.is_some()
            || self
                .cases
                .iter()
                .any(|c| c.verdict == Verdict::Inconclusive && c.info.level == Level::Must)
        {
            EXIT_HARNESS
        } else {
            EXIT_PASS
        }
    }

    /// The cases of `group`.
    pub fn group(&self, group: Group) -> impl Iterator<Item = &CaseReport> {
        self.cases.iter().filter(move |c| c.info.group == group)
    }

    /// The report as JSON (pretty).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

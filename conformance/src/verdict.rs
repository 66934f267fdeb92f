//! Verdicts and requirement levels.

use serde::Serialize;

/// The requirement level of a case, from the BCP 14 keyword of the rules it observes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// The spec says MUST (or MUST NOT): a failure means the device does not conform.
    Must,
    /// The spec says SHOULD: a failure is reported as an unmet recommendation.
    Should,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
        })
    }
}

/// What a case concluded about the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum Verdict {
    /// The device did what the cited rules require.
    Pass,
    /// The device did not; the report names the rule and shows the evidence.
    Fail,
    /// The case does not apply to this device; the report says why (from its descriptor,
    /// its manifest, or the network).
    NotApplicable,
    /// The harness could not decide (a network or harness fault, retried first). Never a pass.
    Inconclusive,
    /// A waiver with a reason and an expiry date covers the case. Never a pass.
    Waived,
}

impl Verdict {
    /// The verdict as the reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::NotApplicable => "NOT-APPLICABLE",
            Verdict::Inconclusive => "INCONCLUSIVE",
            Verdict::Waived => "WAIVED",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

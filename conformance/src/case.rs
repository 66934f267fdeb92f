//! A case is data plus a function: its ID, title, group, the spec rule IDs it observes and
//! its level, a check of whether it applies to the device (from the device's live
//! descriptor), and the async function that runs it.

use crate::context::Ctx;
use crate::facts::Facts;
use crate::transport::{BoxFuture, TransportError};
use crate::verdict::Level;
use serde::Serialize;

/// The groups of cases, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    /// Setup payload and PASE (03, 04).
    Pairing,
    /// Attestation and commissioning, multi-admin, removal of a home (05, 02, 15).
    Commissioning,
    /// SIGMA sessions and resumption, version negotiation (06, 08).
    Sessions,
    /// Message protection: replay, tampering, counters, key update (07).
    Protection,
    /// Data model and interactions: descriptor, reads, writes, commands, events,
    /// subscriptions (12, 13, 14).
    DataModel,
    /// Access control (15).
    Access,
    /// Transport and discovery: ALPN, framing, DNS-SD adverts (16, 17).
    Transport,
    /// Robustness: malformed input, floods, half-open handshakes; the device must keep
    /// serving an honest controller with its state unchanged (01, 10, 11).
    Robustness,
    /// The BLE transport seen from the radio: framing handshake, frames, acknowledgements,
    /// close, exchanges and adverts (18). NOT-APPLICABLE on other targets.
    Ble,
}

impl Group {
    /// Every group, in running order.
    pub const ALL: [Group; 9] = [
        Group::Pairing,
        Group::Commissioning,
        Group::Sessions,
        Group::Protection,
        Group::DataModel,
        Group::Access,
        Group::Transport,
        Group::Robustness,
        Group::Ble,
    ];

    /// The group's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Group::Pairing => "pairing",
            Group::Commissioning => "commissioning",
            Group::Sessions => "sessions",
            Group::Protection => "protection",
            Group::DataModel => "data-model",
            Group::Access => "access",
            Group::Transport => "transport",
            Group::Robustness => "robustness",
            Group::Ble => "ble",
        }
    }

    /// The group named `name`.
    pub fn from_name(name: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.name() == name)
    }

    /// A case of this group at `level` that applies to every device, with no state check
    /// after it: the shape of the case tables' entries.
    pub const fn case(
        self,
        id: &'static str,
        title: &'static str,
        spec_ids: &'static [&'static str],
        level: Level,
        run: CaseFn,
    ) -> Case {
        Case {
            info: CaseInfo {
                id,
                title,
                group: self,
                spec_ids,
                level,
            },
            applies: always,
            run,
            check_state_after: false,
        }
    }

    /// [`Group::case`] at level MUST.
    pub const fn must(
        self,
        id: &'static str,
        title: &'static str,
        spec_ids: &'static [&'static str],
        run: CaseFn,
    ) -> Case {
        self.case(id, title, spec_ids, Level::Must, run)
    }
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a case is, as its report shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CaseInfo {
    /// Stable ID, `<group>.<name>` (`pairing.wrong-code`).
    pub id: &'static str,
    /// One line saying what the case checks.
    pub title: &'static str,
    /// Its group.
    pub group: Group,
    /// The spec rule IDs the case observes (`PAIR-7`, without brackets).
    pub spec_ids: &'static [&'static str],
    /// MUST or SHOULD.
    pub level: Level,
}

/// Why a case did not pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The device broke `rule` (one of the case's `spec_ids`): it was expected to do
    /// `expected`, and did `observed`.
    Fail {
        /// The rule broken, without brackets.
        rule: &'static str,
        /// What the rule requires here.
        expected: String,
        /// What the device did.
        observed: String,
    },
    /// The case does not apply, and why.
    NotApplicable(String),
    /// The harness could not decide, and why (retried by the runner).
    Inconclusive(String),
}

impl Failure {
    /// A failure of `rule`.
    pub fn fail(
        rule: &'static str,
        expected: impl Into<String>,
        observed: impl Into<String>,
    ) -> Self {
        Failure::Fail {
            rule,
            expected: expected.into(),
            observed: observed.into(),
        }
    }
}

impl From<TransportError> for Failure {
    /// A transport error where the case did not decide otherwise is the harness's or the
    /// network's: the case is retried and then reported INCONCLUSIVE, never passed.
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::Unsupported(why) => Failure::NotApplicable(why),
            e => Failure::Inconclusive(e.to_string()),
        }
    }
}

/// What a case's function returns: `Ok` is a pass.
pub type Outcome = Result<(), Failure>;

/// Fails with `rule` unless `condition` holds.
pub fn check(
    condition: bool,
    rule: &'static str,
    expected: impl Into<String>,
    observed: impl FnOnce() -> String,
) -> Outcome {
    if condition {
        Ok(())
    } else {
        Err(Failure::fail(rule, expected, observed()))
    }
}

/// The function that runs a case.
pub type CaseFn = for<'a> fn(&'a mut Ctx) -> BoxFuture<'a, Outcome>;

/// Whether a case applies to the device: `Err(reason)` when it does not.
pub type AppliesFn = fn(&Facts) -> Result<(), String>;

/// A case.
#[derive(Clone, Copy)]
pub struct Case {
    /// What it is.
    pub info: CaseInfo,
    /// Whether it applies to the device under test.
    pub applies: AppliesFn,
    /// Runs it.
    pub run: CaseFn,
    /// After it runs, the runner checks that the device still serves an honest controller
    /// and that its state (attribute values, homes, access control) is unchanged
    /// (robustness cases).
    pub check_state_after: bool,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case").field("info", &self.info).finish()
    }
}

/// The [`AppliesFn`] of a case that applies to every device.
pub fn always(_: &Facts) -> Result<(), String> {
    Ok(())
}

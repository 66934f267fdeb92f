//! Fault switches for the reference device, to prove that the conformance suite catches a
//! device that breaks a rule (issue 12). Only with the non-default `conformance-faults`
//! feature; without it nothing of this module exists. Each switch turns off one check the
//! spec requires; the rule it breaks is named on the variant. With every switch off (the
//! default) the device behaves exactly as without the feature.
//!
//! A switch reaches the part that holds the check through a `set_faults` method of that
//! part ([`crate::device::DeviceNode`], [`crate::protect::Protector`],
//! [`crate::pairing::PairingWindow`], [`crate::session::ExpectSigma3`]), which also exist only
//! with the feature.

/// One fault: a check of the spec that the device skips.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// Accepts a record whose counter was already accepted `[MSG-12]`.
    AcceptReplays,
    /// Stores a written value outside the attribute's range `[IM-21]` (step 6).
    WriteSkipsRangeCheck,
    /// Stores a written value of the wrong CBOR type `[IM-21]` (step 5).
    WriteSkipsTypeCheck,
    /// Writes an attribute that has no write access `[IM-21]` (step 2).
    WriteSkipsAccessCheck,
    /// Runs a `timed` command invoked without a timed request `[IM-30]`.
    InvokeSkipsTimedCheck,
    /// Leaves the first non-root attribute out of every wildcard read `[IM-13]`.
    WildcardOmitsAttribute,
    /// Reports `bool` attribute values as unsigned integers `[DM-14]`.
    ReportsWrongType,
    /// Gives every event the number of the previous one `[IM-50]`.
    ReusesEventNumbers,
    /// Sends change reports without waiting for the minimum interval `[IM-62]`.
    IgnoresMinInterval,
    /// Sends no keep-alive when a subscription has been quiet for its maximum interval
    /// `[IM-63]`.
    SkipsKeepAlives,
    /// Opens a timed window of any length `[IM-41]`.
    TimedWindowUnbounded,
    /// Acts on a request that carries exchange 0 `[IM-101]`.
    ActsOnExchangeZero,
    /// Creates a subscription whose minimum interval exceeds its maximum `[IM-60]`.
    SubscribeIntervalsUnchecked,
    /// Runs commands that need `operate` for a requester with only `view` `[ACL-4]`.
    OperateWithoutPrivilege,
    /// Starts no back-off after a failed pairing attempt `[PAIR-26]`.
    NoPairingBackoff,
    /// Keeps the pairing window open after a valid `pake3` `[PAIR-29]`.
    WindowStaysOpenAfterPairing,
    /// Accepts, in sigma3, an operational certificate of another home `[SESS-10]`.
    AcceptsForeignCertificate,
    /// Sends descriptors with a signature that does not verify `[DM-41]`.
    BadDescriptorSignature,
    /// Answers a protected message of a session it does not know with an `unknown-session`
    /// status instead of dropping it silently `[MSG-18]`, answering a message it found no
    /// session for `[MSG-3]` (applied by the SDK's device).
    AnswersUnknownSession,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 19] = [
        Fault::AcceptReplays,
        Fault::WriteSkipsRangeCheck,
        Fault::WriteSkipsTypeCheck,
        Fault::WriteSkipsAccessCheck,
        Fault::InvokeSkipsTimedCheck,
        Fault::WildcardOmitsAttribute,
        Fault::ReportsWrongType,
        Fault::ReusesEventNumbers,
        Fault::IgnoresMinInterval,
        Fault::SkipsKeepAlives,
        Fault::TimedWindowUnbounded,
        Fault::ActsOnExchangeZero,
        Fault::SubscribeIntervalsUnchecked,
        Fault::OperateWithoutPrivilege,
        Fault::NoPairingBackoff,
        Fault::WindowStaysOpenAfterPairing,
        Fault::AcceptsForeignCertificate,
        Fault::BadDescriptorSignature,
        Fault::AnswersUnknownSession,
    ];

    /// The spec rules the fault breaks, without brackets: first the rule whose check it
    /// skips, then the rules that check defers to or that the skipped check's effect also
    /// breaks (a write stored without its range check also leaves a value outside its type).
    pub fn rules(self) -> &'static [&'static str] {
        match self {
            Fault::AcceptReplays => &["MSG-12", "MSG-18"],
            Fault::WriteSkipsRangeCheck | Fault::WriteSkipsTypeCheck => {
                &["IM-21", "DM-14", "DM-46"]
            }
            Fault::WriteSkipsAccessCheck => &["IM-21", "DM-12"],
            Fault::InvokeSkipsTimedCheck => &["IM-30", "IM-40"],
            Fault::WildcardOmitsAttribute => &["IM-13"],
            Fault::ReportsWrongType => &["DM-14"],
            Fault::ReusesEventNumbers => &["IM-50", "IM-15"],
            Fault::IgnoresMinInterval => &["IM-62"],
            Fault::SkipsKeepAlives => &["IM-63"],
            Fault::TimedWindowUnbounded => &["IM-41"],
            Fault::ActsOnExchangeZero => &["IM-101"],
            Fault::SubscribeIntervalsUnchecked => &["IM-60"],
            Fault::OperateWithoutPrivilege => &["ACL-4"],
            Fault::NoPairingBackoff => &["PAIR-26"],
            Fault::WindowStaysOpenAfterPairing => &["PAIR-29"],
            Fault::AcceptsForeignCertificate => &["SESS-10", "HOME-3"],
            Fault::BadDescriptorSignature => &["DM-41"],
            Fault::AnswersUnknownSession => &["MSG-18", "MSG-3"],
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of faults; empty by default (a correct device).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Faults(u32);

impl Faults {
    /// No fault.
    pub const NONE: Faults = Faults(0);

    /// Only `fault`.
    pub fn only(fault: Fault) -> Self {
        Faults(fault.bit())
    }

    /// This set with `fault` added.
    pub fn with(self, fault: Fault) -> Self {
        Faults(self.0 | fault.bit())
    }

    /// Whether `fault` is on.
    pub fn has(self, fault: Fault) -> bool {
        self.0 & fault.bit() != 0
    }

    /// Whether no fault is on.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fault_is_its_own_switch_and_names_a_rule() {
        for f in Fault::ALL {
            let set = Faults::only(f);
            assert!(set.has(f));
            assert!(Fault::ALL.iter().filter(|g| set.has(**g)).count() == 1);
            assert!(!Faults::NONE.has(f));
            assert!(!f.rules().is_empty());
            assert!(f.rules().iter().all(|r| r.contains('-')));
        }
        let two = Faults::only(Fault::AcceptReplays).with(Fault::SkipsKeepAlives);
        assert!(two.has(Fault::SkipsKeepAlives) && two.has(Fault::AcceptReplays));
        assert!(Faults::default().is_empty());
    }
}

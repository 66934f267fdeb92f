//! Deliberate faults, each in a component the simulator owns (the device's store or the
//! simulator's device driver), never in orbit-core or orbit-sdk. The fault tests require the
//! simulator to find each within a fixed number of seeds.

/// A deliberate fault of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Fault {
    /// No fault: every invariant must hold.
    #[default]
    None,
    /// The store acknowledges a save before it is durable; a crash loses the last change.
    AckBeforePersist,
    /// The store loses the event-number record; a restarted device reuses event numbers.
    LoseEventCounter,
    /// The store never forgets a resumption ticket: a redeemed ticket returns after a restart.
    KeepSpentTickets,
    /// Moving a session to a new transport object resets its replay window.
    ReplayWindowReset,
    /// Moving a session to a new transport object resets its send counter (nonce reuse).
    CounterReset,
    /// Removing a home keeps its membership and tickets: the home can still open sessions.
    KeepHomeOnUnpair,
    /// The device driver looks at the node's timers 20 s late.
    LazyTimers,
    /// The device driver drops the subscription reports of a session that moved to a new
    /// transport (it never learnt the session's new route).
    DropMovedReports,
    /// The controller driver never runs its client's timers, so a lost answer is waited
    /// for forever.
    NoClientTimers,
}

impl Fault {
    /// Every fault (without [`Fault::None`]).
    pub const ALL: [Fault; 9] = [
        Fault::AckBeforePersist,
        Fault::LoseEventCounter,
        Fault::KeepSpentTickets,
        Fault::ReplayWindowReset,
        Fault::CounterReset,
        Fault::KeepHomeOnUnpair,
        Fault::LazyTimers,
        Fault::DropMovedReports,
        Fault::NoClientTimers,
    ];

    /// The fault's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::AckBeforePersist => "ack-before-persist",
            Fault::LoseEventCounter => "lose-event-counter",
            Fault::KeepSpentTickets => "keep-spent-tickets",
            Fault::ReplayWindowReset => "replay-window-reset",
            Fault::CounterReset => "counter-reset",
            Fault::KeepHomeOnUnpair => "keep-home-on-unpair",
            Fault::LazyTimers => "lazy-timers",
            Fault::DropMovedReports => "drop-moved-reports",
            Fault::NoClientTimers => "no-client-timers",
        }
    }

    /// The fault named `name`.
    pub fn parse(name: &str) -> Option<Fault> {
        std::iter::once(Fault::None)
            .chain(Fault::ALL)
            .find(|f| f.name() == name)
    }
}

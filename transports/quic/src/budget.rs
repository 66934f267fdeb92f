//! The connection budget of a server, as a sans-IO policy ([QUIC-40] to [QUIC-43]).
//!
//! A server's connections are of two standings. A connection is *unauthenticated* from its
//! arrival until an Orbit session is established or used on it; it is then *authenticated*,
//! on behalf of a home (an operational session) or of no home (a PASE session, which only a
//! holder of the setup code gets). The two standings have separate budgets:
//!
//! - unauthenticated connections get a small budget of their own; when it is full, an arrival
//!   takes the place of the oldest unauthenticated connection ([QUIC-41]). Arrivals are never
//!   refused for want of room, so no number of peers that never authenticate keeps out one
//!   that does: it only has to finish its handshake before the flood has replaced the whole
//!   budget;
//! - authenticated connections get the larger budget; when it is full, a connection becoming
//!   authenticated takes the place of the least recently active *idle* one (no exchange open,
//!   no subscription reports to carry) ([QUIC-42]); when none is idle, a home holding fewer
//!   connections than its reserve takes the place of the least recently active connection of a
//!   home holding more than its reserve ([QUIC-43]). Only when neither exists is it refused.
//!
//! The functions here decide; [`crate::slots`] holds the state and carries the decisions out.

use std::time::Instant;

/// Identifies a connection in the budget.
pub(crate) type SlotId = u64;

/// Where a connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Standing {
    /// No Orbit session yet; arrived at `since`.
    Unauthenticated {
        /// When the connection attempt arrived.
        since: Instant,
    },
    /// An Orbit session was established or used on it, for `home` (`None`: a PASE session).
    Authenticated {
        /// The home of the session, or `None` for commissioning.
        home: Option<u64>,
    },
}

/// What the policy needs to know of one connection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct View {
    pub(crate) id: SlotId,
    pub(crate) standing: Standing,
    /// It has an exchange open or subscription reports to carry.
    pub(crate) busy: bool,
    /// When it last opened an exchange (or arrived).
    pub(crate) last_active: Instant,
}

impl View {
    fn unauthenticated_since(&self) -> Option<Instant> {
        match self.standing {
            Standing::Unauthenticated { since } => Some(since),
            Standing::Authenticated { .. } => None,
        }
    }

    fn home(&self) -> Option<Option<u64>> {
        match self.standing {
            Standing::Authenticated { home } => Some(home),
            Standing::Unauthenticated { .. } => None,
        }
    }
}

/// The sizes of the two budgets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Authenticated connections held at once.
    pub(crate) authenticated: usize,
    /// Unauthenticated connections held at once.
    pub(crate) unauthenticated: usize,
    /// Authenticated connections each home is sure to get when the budget is full.
    pub(crate) reserved_per_home: usize,
}

/// What to do with a connection asking for a place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// There is room.
    Admit,
    /// Close this connection and take its place.
    Evict(SlotId),
    /// No place can be made.
    Refuse,
}

/// A new connection attempt arrives ([QUIC-41]).
pub(crate) fn arrival(limits: &Limits, slots: &[View]) -> Decision {
    let waiting = slots
        .iter()
        .filter_map(|v| v.unauthenticated_since().map(|s| (s, v.id)));
    if waiting.clone().count() < limits.unauthenticated {
        return Decision::Admit;
    }
    match waiting.min() {
        Some((_, oldest)) => Decision::Evict(oldest),
        // An unauthenticated budget of zero: nothing can come in.
        None => Decision::Refuse,
    }
}

/// Connection `id` carries an Orbit session of `home` and asks for an authenticated place
/// ([QUIC-42], [QUIC-43]).
pub(crate) fn promotion(
    limits: &Limits,
    slots: &[View],
    id: SlotId,
    home: Option<u64>,
) -> Decision {
    let holders = || slots.iter().filter(|v| v.id != id && v.home().is_some());
    if holders().count() < limits.authenticated {
        return Decision::Admit;
    }
    // [QUIC-42] an idle connection costs its peer nothing but a new connection next time.
    if let Some(idle) = holders().filter(|v| !v.busy).min_by_key(|v| v.last_active) {
        return Decision::Evict(idle.id);
    }
    // [QUIC-43] each home (PASE sessions, of no home, have no reserve) is sure of a share.
    let count = |h: Option<u64>| holders().filter(|v| v.home() == Some(h)).count();
    let homes = {
        let mut homes: Vec<u64> = holders().filter_map(|v| v.home().flatten()).collect();
        homes.extend(home);
        homes.sort_unstable();
        homes.dedup();
        homes.len().max(1)
    };
    let reserve = limits.reserved_per_home.min(limits.authenticated / homes);
    let reserve_of = |h: Option<u64>| if h.is_some() { reserve } else { 0 };
    if count(home) >= reserve_of(home) {
        return Decision::Refuse;
    }
    holders()
        .filter(|v| v.home().is_some_and(|h| count(h) > reserve_of(h)))
        .min_by_key(|v| v.last_active)
        .map_or(Decision::Refuse, |v| Decision::Evict(v.id))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::time::Duration;

    const LIMITS: Limits = Limits {
        authenticated: 4,
        unauthenticated: 2,
        reserved_per_home: 1,
    };

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    fn waiting(t0: Instant, id: SlotId, ms: u64) -> View {
        View {
            id,
            standing: Standing::Unauthenticated { since: at(t0, ms) },
            busy: true,
            last_active: at(t0, ms),
        }
    }

    fn member(t0: Instant, id: SlotId, home: Option<u64>, busy: bool, ms: u64) -> View {
        View {
            id,
            standing: Standing::Authenticated { home },
            busy,
            last_active: at(t0, ms),
        }
    }

    #[test]
    fn arrivals_take_the_place_of_the_oldest_unauthenticated_connection() {
        // [QUIC-41]
        let t0 = Instant::now();
        let mut slots = vec![waiting(t0, 1, 5)];
        assert_eq!(arrival(&LIMITS, &slots), Decision::Admit);
        slots.push(waiting(t0, 2, 1));
        assert_eq!(arrival(&LIMITS, &slots), Decision::Evict(2));
        // Authenticated connections neither count against nor give way to arrivals.
        let full = [
            member(t0, 3, Some(7), false, 0),
            member(t0, 4, Some(7), false, 0),
            member(t0, 5, Some(7), false, 0),
            member(t0, 6, Some(7), false, 0),
        ];
        assert_eq!(arrival(&LIMITS, &full), Decision::Admit);
        let zero = Limits {
            unauthenticated: 0,
            ..LIMITS
        };
        assert_eq!(arrival(&zero, &full), Decision::Refuse);
    }

    #[test]
    fn a_full_budget_gives_way_to_an_idle_connection_first() {
        // [QUIC-42]
        let t0 = Instant::now();
        let mut slots = vec![
            member(t0, 1, Some(7), true, 0),
            member(t0, 2, Some(7), false, 30),
            member(t0, 3, Some(8), false, 20),
            waiting(t0, 9, 40),
        ];
        assert_eq!(promotion(&LIMITS, &slots, 9, Some(7)), Decision::Admit);
        slots.push(member(t0, 4, Some(8), true, 10));
        assert_eq!(promotion(&LIMITS, &slots, 9, Some(7)), Decision::Evict(3));
        // A connection already counted is not in its own way.
        assert_eq!(promotion(&LIMITS, &slots, 4, Some(8)), Decision::Admit);
    }

    #[test]
    fn a_home_under_its_reserve_takes_a_place_from_a_home_over_it() {
        // [QUIC-43]
        let t0 = Instant::now();
        let limits = Limits {
            reserved_per_home: 2,
            ..LIMITS
        };
        let slots = [
            member(t0, 1, Some(7), true, 10),
            member(t0, 2, Some(7), true, 5),
            member(t0, 3, Some(7), true, 0),
            member(t0, 4, Some(8), true, 0),
            waiting(t0, 9, 40),
        ];
        // Home 7 holds 3 of 4 with a reserve of 2: its oldest gives way to home 8's second.
        assert_eq!(promotion(&limits, &slots, 9, Some(8)), Decision::Evict(3));
        // Home 7 is over its reserve already: refused.
        assert_eq!(promotion(&limits, &slots, 9, Some(7)), Decision::Refuse);
        // A PASE session has no reserve.
        assert_eq!(promotion(&limits, &slots, 9, None), Decision::Refuse);
        // A third home: the reserve shrinks to what the budget can give each (4 / 3 = 1).
        let evicted = promotion(&limits, &slots, 9, Some(5));
        assert_eq!(evicted, Decision::Evict(3));
        // PASE sessions hold no reserve against a home.
        let pase = [
            member(t0, 1, None, true, 0),
            member(t0, 2, None, true, 5),
            member(t0, 3, Some(7), true, 0),
            member(t0, 4, Some(7), true, 0),
        ];
        assert_eq!(promotion(&limits, &pase, 9, Some(8)), Decision::Evict(1));
    }
}

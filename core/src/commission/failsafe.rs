//! The device's fail-safe: commissioning is atomic from the device's side `[COMM-26]`.
//!
//! From PASE key confirmation until a controller of the new home completes an operational
//! session with the device `[COMM-27]`, the home installed by `install-home` is
//! **provisional**: the device may use it for that session but keeps it out of its durable
//! state, and rolls it back when commissioning fails, when the connection that carried the
//! PASE session closes, or when the fail-safe deadline passes `[COMM-28]`. A rollback reopens
//! the pairing window `[COMM-29]`. A restart during the fail-safe rolls back too, because
//! nothing provisional was ever stored.
//!
//! Sans-IO like the rest of the core: the driver passes the time in, wakes at
//! [`FailSafe::poll_timeout`], and applies the [`Rollback`] a transition returns.
//!
//! ```
//! use orbit_core::commission::{FailSafe, FAIL_SAFE_TIMEOUT};
//! use std::time::{Duration, Instant};
//!
//! let t0 = Instant::now();
//! let mut fail_safe = FailSafe::default();
//! fail_safe.arm(t0, 7, None).unwrap(); // PASE succeeded on connection 7
//! fail_safe.install(0xab, t0);         // install-home passed: home 0xab is provisional
//! assert_eq!(fail_safe.provisional_home(), Some(0xab));
//!
//! // Nobody confirmed: just after the deadline the home goes and the window reopens.
//! let late = t0 + FAIL_SAFE_TIMEOUT + Duration::from_millis(1);
//! let rollback = fail_safe.handle_timeout(late).unwrap();
//! assert_eq!(rollback.home, Some(0xab));
//! assert!(!fail_safe.is_armed());
//! ```

use crate::cert::HomeId;
use crate::pairing::{MAX_WINDOW_DURATION, MIN_WINDOW_DURATION};
use std::time::{Duration, Instant};
use thiserror::Error;

/// `[LIMIT-15]` how long the fail-safe waits after each commissioning step (PASE key
/// confirmation, the attestation response, `success`) for the next one, the last being the
/// confirming operational session `[COMM-27]`.
pub const FAIL_SAFE_TIMEOUT: Duration = Duration::from_secs(60);

/// `[COMM-29]` the shortest time a rollback reopens the pairing window for (the shortest
/// window of `[PAIR-23]`).
pub const MIN_REOPEN: Duration = MIN_WINDOW_DURATION;

/// A second commissioning while one is in its fail-safe `[COMM-26]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("another commissioning is in progress")]
pub struct FailSafeBusy;

/// What the device undoes when its fail-safe ends without confirmation `[COMM-28]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rollback {
    /// The provisional home to remove with its access control, sessions and tickets, if
    /// `install-home` had installed one.
    pub home: Option<HomeId>,
    /// `[COMM-29]` how long to reopen the pairing window for: the rest of the window that
    /// was open when pairing began, and at least [`MIN_REOPEN`].
    pub reopen_for: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Armed {
    /// The driver's name for the connection that carried the PASE session.
    connection: u64,
    /// The fail-safe rolls back when the time is later than this `[LIMIT-3]`.
    deadline: Instant,
    provisional: Option<HomeId>,
    /// When the pairing window would have closed by itself, if it was open.
    window_closes_at: Option<Instant>,
}

impl Armed {
    fn rollback(self, now: Instant) -> Rollback {
        let rest = self
            .window_closes_at
            .map_or(Duration::ZERO, |c| c.saturating_duration_since(now));
        Rollback {
            home: self.provisional,
            reopen_for: rest.clamp(MIN_REOPEN, MAX_WINDOW_DURATION),
        }
    }
}

/// A device's fail-safe: at most one commissioning at a time is in it `[COMM-26]`.
#[derive(Debug)]
pub struct FailSafe {
    armed: Option<Armed>,
    /// How long it waits after each step `[LIMIT-15]`.
    timeout: Duration,
}

impl Default for FailSafe {
    fn default() -> Self {
        FailSafe {
            armed: None,
            timeout: FAIL_SAFE_TIMEOUT,
        }
    }
}

impl FailSafe {
    /// A fail-safe that waits `timeout` after each step instead of [`FAIL_SAFE_TIMEOUT`], cut
    /// to at most that. A device gives its fail-safe the same bound as its commissioning
    /// states' deadlines `[COMM-16]`, so that both end together `[COMM-35]`.
    pub fn with_timeout(timeout: Duration) -> Self {
        FailSafe {
            armed: None,
            timeout: timeout.min(FAIL_SAFE_TIMEOUT),
        }
    }

    /// How long the fail-safe waits after each step `[LIMIT-15]`.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn deadline_after(&self, now: Instant) -> Instant {
        now.checked_add(self.timeout).unwrap_or(now)
    }

    /// `[COMM-26]` arms the fail-safe when PASE key confirmation succeeded at `now` on
    /// `connection` (any number the driver uses for its connections). `window_closes_at` is
    /// when the pairing window that admitted the handshake would have closed by itself, so
    /// that a rollback can give the rest of it back `[COMM-29]`.
    pub fn arm(
        &mut self,
        now: Instant,
        connection: u64,
        window_closes_at: Option<Instant>,
    ) -> Result<(), FailSafeBusy> {
        if self.armed.is_some() {
            return Err(FailSafeBusy);
        }
        let deadline = self.deadline_after(now);
        self.armed = Some(Armed {
            connection,
            deadline,
            provisional: None,
            window_closes_at,
        });
        Ok(())
    }

    /// Whether a commissioning is in its fail-safe.
    pub fn is_armed(&self) -> bool {
        self.armed.is_some()
    }

    /// The connection that carried the PASE session, while armed.
    pub fn connection(&self) -> Option<u64> {
        self.armed.map(|a| a.connection)
    }

    /// A commissioning step succeeded at `now` (the attestation response went out): the
    /// deadline moves to [`FAIL_SAFE_TIMEOUT`] from now `[LIMIT-15]`.
    pub fn step(&mut self, now: Instant) {
        let deadline = self.deadline_after(now);
        if let Some(a) = self.armed.as_mut() {
            a.deadline = deadline;
        }
    }

    /// `install-home` passed its checks at `now` and the device answered `success`: `home`
    /// is provisional until [`FailSafe::confirm`] `[COMM-13]` `[COMM-26]`.
    pub fn install(&mut self, home: HomeId, now: Instant) {
        let deadline = self.deadline_after(now);
        if let Some(a) = self.armed.as_mut() {
            a.provisional = Some(home);
            a.deadline = deadline;
        }
    }

    /// The home installed but not yet confirmed, which the device MUST NOT store
    /// `[COMM-26]`.
    pub fn provisional_home(&self) -> Option<HomeId> {
        self.armed.and_then(|a| a.provisional)
    }

    /// `[COMM-27]` an operational session of `home`'s node was established at `now`. If
    /// `home` is the provisional home, the fail-safe ends and the home is the device's to
    /// store; the returned [`Rollback`] is what to apply if that store fails. `None` when
    /// `home` was not provisional (nothing changes).
    pub fn confirm(&mut self, home: HomeId, now: Instant) -> Option<Rollback> {
        let armed = self.armed.filter(|a| a.provisional == Some(home))?;
        self.armed = None;
        Some(armed.rollback(now))
    }

    /// `[COMM-28]` commissioning ended without confirmation (a failure, a report from the
    /// controller): the fail-safe ends and this is what to undo.
    pub fn abort(&mut self, now: Instant) -> Option<Rollback> {
        self.armed.take().map(|a| a.rollback(now))
    }

    /// `[COMM-28]` `connection` closed: if it carried the PASE session of the commissioning
    /// in the fail-safe, that commissioning is over.
    pub fn connection_closed(&mut self, connection: u64, now: Instant) -> Option<Rollback> {
        if self.connection() == Some(connection) {
            self.abort(now)
        } else {
            None
        }
    }

    /// When [`FailSafe::handle_timeout`] has something to do: just after the deadline, which
    /// still admits a step at exactly that instant `[LIMIT-3]`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.armed.map(|a| {
            a.deadline
                .checked_add(Duration::from_nanos(1))
                .unwrap_or(a.deadline)
        })
    }

    /// `[COMM-28]` `[LIMIT-15]` rolls back if the deadline passed at `now`.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<Rollback> {
        match self.armed {
            Some(a) if now > a.deadline => self.abort(now),
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const HOME: HomeId = 0x54ec;

    // [COMM-26] one commissioning at a time.
    #[test]
    fn arms_once() {
        let t0 = Instant::now();
        let mut f = FailSafe::default();
        assert!(!f.is_armed());
        f.arm(t0, 1, None).unwrap();
        assert_eq!(f.arm(t0, 2, None), Err(FailSafeBusy));
        assert_eq!(f.connection(), Some(1));
    }

    // [COMM-28] [LIMIT-15] [LIMIT-3] the deadline itself still admits a step; just after it the
    // fail-safe rolls back the provisional home.
    #[test]
    fn rolls_back_just_after_the_deadline() {
        let t0 = Instant::now();
        let mut f = FailSafe::default();
        f.arm(t0, 1, None).unwrap();
        let t1 = t0 + Duration::from_secs(10);
        f.install(HOME, t1);
        let deadline = t1 + FAIL_SAFE_TIMEOUT;
        assert!(f.poll_timeout().unwrap() > deadline);
        assert_eq!(f.handle_timeout(deadline), None);
        assert!(f.is_armed());
        let r = f.handle_timeout(f.poll_timeout().unwrap()).unwrap();
        assert_eq!(r.home, Some(HOME));
        assert!(!f.is_armed());
        assert_eq!(f.poll_timeout(), None);
    }

    // [COMM-35] a device's shorter bound moves the fail-safe's deadline with it; a longer one
    // is cut to [LIMIT-15]'s.
    #[test]
    fn a_chosen_bound_is_used_and_capped() {
        let t0 = Instant::now();
        let mut f = FailSafe::with_timeout(Duration::from_secs(2));
        f.arm(t0, 1, None).unwrap();
        assert_eq!(f.handle_timeout(t0 + Duration::from_secs(2)), None);
        assert!(f.handle_timeout(t0 + Duration::from_secs(3)).is_some());
        let f = FailSafe::with_timeout(Duration::from_secs(3600));
        assert_eq!(f.timeout(), FAIL_SAFE_TIMEOUT);
    }

    // [LIMIT-15] each step restarts the deadline.
    #[test]
    fn steps_move_the_deadline() {
        let t0 = Instant::now();
        let mut f = FailSafe::default();
        f.arm(t0, 1, None).unwrap();
        let t1 = t0 + Duration::from_secs(50);
        f.step(t1);
        assert_eq!(
            f.handle_timeout(t0 + FAIL_SAFE_TIMEOUT + Duration::from_secs(1)),
            None
        );
        assert!(f.poll_timeout().unwrap() > t1 + FAIL_SAFE_TIMEOUT);
    }

    // [COMM-27] a session of the provisional home ends the fail-safe; another home's does not.
    #[test]
    fn confirmation_ends_the_fail_safe() {
        let t0 = Instant::now();
        let mut f = FailSafe::default();
        f.arm(t0, 1, None).unwrap();
        assert_eq!(f.confirm(HOME, t0), None, "nothing installed yet");
        f.install(HOME, t0);
        assert_eq!(f.confirm(HOME + 1, t0), None);
        assert!(f.is_armed());
        let undo = f.confirm(HOME, t0).unwrap();
        assert_eq!(undo.home, Some(HOME));
        assert!(!f.is_armed());
        assert_eq!(f.provisional_home(), None);
        assert_eq!(f.handle_timeout(t0 + 10 * FAIL_SAFE_TIMEOUT), None);
    }

    // [COMM-28] only the PASE connection's close rolls back.
    #[test]
    fn the_pase_connection_closing_rolls_back() {
        let t0 = Instant::now();
        let mut f = FailSafe::default();
        f.arm(t0, 7, None).unwrap();
        assert_eq!(f.connection_closed(8, t0), None);
        let r = f.connection_closed(7, t0).unwrap();
        assert_eq!(
            r.home, None,
            "closed before install-home: nothing to remove"
        );
        assert!(!f.is_armed());
    }

    // [COMM-29] the window comes back for the rest of its time, at least MIN_REOPEN, at most
    // the longest window.
    #[test]
    fn reopens_for_the_rest_of_the_window_or_the_minimum() {
        let t0 = Instant::now();
        let rest = |closes_at: Option<Instant>, at: Instant| {
            let mut f = FailSafe::default();
            f.arm(t0, 1, closes_at).unwrap();
            f.abort(at).unwrap().reopen_for
        };
        assert_eq!(rest(None, t0), MIN_REOPEN);
        assert_eq!(
            rest(Some(t0 + Duration::from_secs(600)), t0),
            Duration::from_secs(600)
        );
        let later = t0 + Duration::from_secs(500);
        assert_eq!(rest(Some(t0 + Duration::from_secs(600)), later), MIN_REOPEN);
        assert_eq!(
            rest(Some(t0 + Duration::from_secs(7200)), t0),
            MAX_WINDOW_DURATION
        );
    }
}

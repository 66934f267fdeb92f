//! The device's pairing policy: the pairing window `[PAIR-23]`, one handshake at a time
//! `[PAIR-24]`, failed-attempt accounting `[PAIR-25]`, back-off `[PAIR-26]` and lockout
//! `[PAIR-27]`. Time is always passed in.

use super::PairingError;
use std::time::{Duration, Instant};

/// `[PAIR-23]` the window duration when the user gives none.
pub const DEFAULT_WINDOW_DURATION: Duration = Duration::from_secs(15 * 60);
/// `[PAIR-23]` the shortest window a device may open.
pub const MIN_WINDOW_DURATION: Duration = Duration::from_secs(3 * 60);
/// `[PAIR-23]` the longest window a device may open.
pub const MAX_WINDOW_DURATION: Duration = Duration::from_secs(15 * 60);
/// `[PAIR-27]` failed attempts after which the window closes until the user reopens it.
pub const MAX_FAILED_ATTEMPTS: u32 = 10;
/// `[PAIR-26]` the back-off after the first failed attempt; it doubles with each failure.
pub const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// `[PAIR-28]` how long the controller waits for the next message of a handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// `[PAIR-33]` how long the device waits for the next message of a handshake: shorter than
/// the controller's, so a silent peer holds the single slot `[PAIR-24]` only briefly.
pub const DEVICE_STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// `[PAIR-35]` the largest retry-after a `pairing-status` carries.
pub const MAX_RETRY_AFTER_SECS: u32 = 3600;
/// `[PAIR-24]` how many pairing handshakes a device runs at once.
pub const MAX_CONCURRENT_HANDSHAKES: usize = 1;

/// `[PAIR-26]` the back-off after the `failures`-th failed attempt: 2^(failures-1) seconds
/// (none before the first failure).
pub fn backoff_after(failures: u32) -> Duration {
    match failures.checked_sub(1) {
        None => Duration::ZERO,
        Some(k) => BACKOFF_BASE.saturating_mul(1u32.checked_shl(k).unwrap_or(u32::MAX)),
    }
}

/// `[PAIR-28]` the deadline of a controller state entered at `now`.
pub(crate) fn deadline_after(now: Instant) -> Instant {
    now.checked_add(HANDSHAKE_TIMEOUT).unwrap_or(now)
}

/// `[PAIR-33]` the deadline of a device state entered at `now`.
fn device_deadline_after(now: Instant) -> Instant {
    now.checked_add(DEVICE_STEP_TIMEOUT).unwrap_or(now)
}

/// `[PAIR-35]` the retry-after for a refusal whose cause ends at `until`: whole seconds,
/// rounded up, at least 1 and at most [`MAX_RETRY_AFTER_SECS`].
pub fn retry_after_secs(until: Instant, now: Instant) -> u32 {
    let left = until.saturating_duration_since(now);
    let secs = left
        .as_secs()
        .saturating_add(u64::from(left.subsec_nanos() > 0));
    u32::try_from(secs)
        .unwrap_or(u32::MAX)
        .clamp(1, MAX_RETRY_AFTER_SECS)
}

/// `[LIMIT-3]` whether `deadline` has passed at `now`: a message arriving exactly at the
/// deadline is still processed; the timeout fires only once `now` is later.
pub(crate) fn passed(deadline: Instant, now: Instant) -> bool {
    now > deadline
}

/// `[PAIR-23]` when a window opened at `now` for `duration` closes.
fn closing_time(now: Instant, duration: Duration) -> Result<Instant, PairingError> {
    if !(MIN_WINDOW_DURATION..=MAX_WINDOW_DURATION).contains(&duration) {
        return Err(PairingError::InvalidWindowDuration { duration });
    }
    now.checked_add(duration)
        .ok_or(PairingError::InvalidWindowDuration { duration })
}

/// `[LIMIT-3]` the first instant at which `deadline` has passed.
fn first_instant_after(deadline: Instant) -> Instant {
    deadline
        .checked_add(Duration::from_nanos(1))
        .unwrap_or(deadline)
}

/// Whether the window admits new handshakes, and if not, why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowState {
    /// Never opened, or closed by the user.
    Closed,
    /// Open until `closes_at`.
    Open {
        /// When the window closes by itself.
        closes_at: Instant,
    },
    /// The window's duration elapsed.
    Expired,
    /// Closed after [`MAX_FAILED_ATTEMPTS`] failed attempts.
    LockedOut,
    /// Closed because a pairing succeeded `[PAIR-29]`.
    Paired,
}

/// Identifies the handshake a device state belongs to, so a state that outlived its slot
/// (timed out, window reopened) cannot complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot(u64);

#[derive(Clone, Copy, Debug)]
struct Active {
    slot: Slot,
    deadline: Instant,
    /// `[PAIR-25]` once Pake2 is out, the handshake is an attempt on the passcode.
    pake2_sent: bool,
}

/// How a handshake ended, for the attempt accounting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Success,
    /// Ended by either side or the transport: an attempt only once Pake2 was sent
    /// `[PAIR-25]`.
    Failure,
    /// The device's deadline passed: always an attempt `[PAIR-34]`.
    Stalled,
}

/// A device's pairing window and attempt limiter. One per device; every device-side
/// transition takes it by `&mut`.
///
/// A driver wakes at [`PairingWindow::poll_timeout`] and calls
/// [`PairingWindow::handle_timeout`]; this also expires a stalled handshake whose state the
/// driver dropped, counting it as a failed attempt when Pake2 was sent `[PAIR-25]`.
#[derive(Debug)]
pub struct PairingWindow {
    state: WindowState,
    failures: u32,
    backoff_until: Option<Instant>,
    active: Option<Active>,
    next_slot: u64,
    /// Checks this window skips (conformance tests only).
    #[cfg(feature = "conformance-faults")]
    faults: crate::faults::Faults,
}

impl Default for PairingWindow {
    fn default() -> Self {
        Self::new()
    }
}

impl PairingWindow {
    /// A closed window.
    pub fn new() -> Self {
        PairingWindow {
            state: WindowState::Closed,
            failures: 0,
            backoff_until: None,
            active: None,
            next_slot: 0,
            #[cfg(feature = "conformance-faults")]
            faults: crate::faults::Faults::NONE,
        }
    }

    /// `[PAIR-27]` a window restored at power-up (`now`) from what the device persisted: the
    /// failed-attempt count ([`PairingWindow::failed_attempts`]) and whether the window was
    /// locked out ([`PairingWindow::is_locked_out`]). No reboot resets them.
    ///
    /// The window starts closed, or locked out if `locked_out` is set or the count has
    /// reached [`MAX_FAILED_ATTEMPTS`]. The time of the last failure does not survive a
    /// reboot (a monotonic clock restarts), so the back-off of the restored count runs again
    /// from `now` `[PAIR-26]`.
    pub fn restore(failed_attempts: u32, locked_out: bool, now: Instant) -> Self {
        let locked_out = locked_out || failed_attempts >= MAX_FAILED_ATTEMPTS;
        PairingWindow {
            state: if locked_out {
                WindowState::LockedOut
            } else {
                WindowState::Closed
            },
            failures: failed_attempts,
            backoff_until: if locked_out {
                None
            } else {
                now.checked_add(backoff_after(failed_attempts))
                    .filter(|&until| until > now)
            },
            active: None,
            next_slot: 0,
            #[cfg(feature = "conformance-faults")]
            faults: crate::faults::Faults::NONE,
        }
    }

    /// `[PAIR-31]` a deliberate opening: opens the window at `now` for `duration` (3 to 15
    /// minutes) on a local user action (a button, a menu) or an administrator's
    /// `open-pairing-window` `[ACL-10]`. This lifts a lock-out, resets the failed-attempt count
    /// and the back-off `[PAIR-27]` and abandons a handshake in progress. On an invalid
    /// duration nothing changes.
    ///
    /// A device without a home that opens its window because it was powered up uses
    /// [`PairingWindow::open_at_power_up`] instead, which resets nothing.
    pub fn open(&mut self, now: Instant, duration: Duration) -> Result<(), PairingError> {
        let closes_at = closing_time(now, duration)?;
        self.state = WindowState::Open { closes_at };
        self.failures = 0;
        self.backoff_until = None;
        self.active = None;
        Ok(())
    }

    /// `[PAIR-23]` `[PAIR-27]` opens the window of a factory-new device at power-up (`now`)
    /// for `duration` (3 to 15 minutes) without resetting the failed-attempt count or the
    /// back-off: call it on a window from [`PairingWindow::restore`]. A locked-out window
    /// stays locked out ([`PairingError::LockedOut`]) until the user opens it with
    /// [`PairingWindow::open`].
    pub fn open_at_power_up(
        &mut self,
        now: Instant,
        duration: Duration,
    ) -> Result<(), PairingError> {
        let closes_at = closing_time(now, duration)?;
        if self.is_locked_out() {
            return Err(PairingError::LockedOut);
        }
        self.state = WindowState::Open { closes_at };
        self.active = None;
        Ok(())
    }

    /// Closes the window now (user action, or commissioning finished) and abandons a
    /// handshake in progress. A locked-out window stays locked out: closing does not end a
    /// lock-out `[PAIR-31]`.
    pub fn close(&mut self) {
        if self.state != WindowState::LockedOut {
            self.state = WindowState::Closed;
        }
        self.active = None;
    }

    /// The window's state at `now`.
    pub fn state(&self, now: Instant) -> WindowState {
        match self.state {
            WindowState::Open { closes_at } if passed(closes_at, now) => WindowState::Expired,
            s => s,
        }
    }

    /// `[PAIR-27]` failed attempts counted since the count was last reset (a deliberate
    /// opening, a successful pairing or a factory reset). A device
    /// persists this (with [`PairingWindow::is_locked_out`]) whenever it changes, that is
    /// after every transition that ends a handshake, and passes it to
    /// [`PairingWindow::restore`] at power-up.
    pub fn failed_attempts(&self) -> u32 {
        self.failures
    }

    /// `[PAIR-27]` whether the failed-attempt limit closed the window until the user opens it.
    pub fn is_locked_out(&self) -> bool {
        self.state == WindowState::LockedOut
    }

    /// When the current back-off ends, if one is running at `now`.
    pub fn backoff_until(&self, now: Instant) -> Option<Instant> {
        self.backoff_until.filter(|&until| now < until)
    }

    /// Whether a handshake holds the slot at `now`.
    pub fn handshake_in_progress(&self, now: Instant) -> bool {
        self.active.is_some_and(|a| !passed(a.deadline, now))
    }

    /// The next instant at which [`PairingWindow::handle_timeout`] has something to do: just
    /// after the deadline of the handshake in progress or the window's closing time, since
    /// both still admit a message at exactly that instant `[LIMIT-3]`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let closes = match self.state {
            WindowState::Open { closes_at } => Some(closes_at),
            _ => None,
        };
        let deadline = self.active.map(|a| a.deadline);
        let due = match (closes, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        due.map(first_instant_after)
    }

    /// Applies everything due at `now`: a stalled handshake ends as a failed attempt
    /// `[PAIR-33]` `[PAIR-34]`, an elapsed window closes `[PAIR-23]`. A handshake
    /// already in progress when the window elapses may still finish. Nothing is due at exactly
    /// a deadline or closing time, only after it `[LIMIT-3]`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(active) = self.active {
            if passed(active.deadline, now) {
                // The attempt failed when its deadline passed, however late the driver
                // noticed: the back-off runs from then [PAIR-26].
                self.end(
                    active.slot,
                    first_instant_after(active.deadline),
                    Outcome::Stalled,
                );
            }
        }
        if let WindowState::Open { closes_at } = self.state {
            if passed(closes_at, now) {
                self.state = WindowState::Expired;
            }
        }
    }

    /// Turns on the fault switches `faults` (conformance tests only, see [`crate::faults`]).
    #[cfg(feature = "conformance-faults")]
    pub fn set_faults(&mut self, faults: crate::faults::Faults) {
        self.faults = faults;
    }

    /// Takes the handshake slot for a new request, or says why not.
    pub(crate) fn begin(&mut self, now: Instant) -> Result<(Slot, Instant), PairingError> {
        self.handle_timeout(now);
        match self.state {
            WindowState::Open { .. } => {}
            WindowState::LockedOut => return Err(PairingError::LockedOut),
            WindowState::Closed | WindowState::Expired | WindowState::Paired => {
                return Err(PairingError::WindowClosed)
            }
        }
        if let Some(active) = self.active {
            // [PAIR-35] the slot frees at the latest at the handshake's deadline.
            return Err(PairingError::Busy {
                until: first_instant_after(active.deadline),
            });
        }
        if let Some(until) = self.backoff_until(now) {
            return Err(PairingError::BackingOff { until });
        }
        let slot = Slot(self.next_slot);
        self.next_slot = self.next_slot.wrapping_add(1);
        let deadline = device_deadline_after(now);
        self.active = Some(Active {
            slot,
            deadline,
            pake2_sent: false,
        });
        Ok((slot, deadline))
    }

    /// Checks that `slot` still holds the window at `now`; a handshake past its deadline
    /// ends here, as a failed attempt `[PAIR-34]`. A message at exactly the deadline is still
    /// processed `[LIMIT-3]`.
    pub(crate) fn check(&mut self, slot: Slot, now: Instant) -> Result<(), PairingError> {
        let active = match self.active {
            Some(a) if a.slot == slot => a,
            // The window was closed or reopened, or the slot already expired.
            _ => return Err(PairingError::WindowClosed),
        };
        if passed(active.deadline, now) {
            self.end(slot, first_instant_after(active.deadline), Outcome::Stalled);
            return Err(PairingError::Timeout {
                deadline: active.deadline,
            });
        }
        Ok(())
    }

    /// `[PAIR-25]` Pake2 is being sent: from now on the handshake is an attempt. Returns the
    /// new deadline.
    pub(crate) fn pake2_sent(&mut self, slot: Slot, now: Instant) -> Instant {
        let deadline = device_deadline_after(now);
        if let Some(a) = self.active.as_mut().filter(|a| a.slot == slot) {
            a.pake2_sent = true;
            a.deadline = deadline;
        }
        deadline
    }

    /// Ends the handshake in `slot`. A failure after Pake2, or a stall at any step, is a
    /// failed attempt: it starts the back-off `[PAIR-26]` or, at the limit, locks the window
    /// `[PAIR-27]` `[PAIR-34]`. A success closes the window to new handshakes `[PAIR-29]` and
    /// resets the count and the back-off `[PAIR-27]`.
    pub(crate) fn end(&mut self, slot: Slot, now: Instant, outcome: Outcome) {
        let Some(active) = self.active.filter(|a| a.slot == slot) else {
            return;
        };
        self.active = None;
        match outcome {
            Outcome::Success => {
                if !fault!(self.faults, WindowStaysOpenAfterPairing) {
                    self.state = WindowState::Paired;
                }
                self.failures = 0;
                self.backoff_until = None;
            }
            Outcome::Stalled => self.count_failure(now),
            Outcome::Failure if active.pake2_sent => self.count_failure(now),
            Outcome::Failure => {}
        }
    }

    /// One more failed attempt at `now`: back-off `[PAIR-26]`, or lock-out at the limit
    /// `[PAIR-27]`.
    fn count_failure(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        if self.failures >= MAX_FAILED_ATTEMPTS {
            self.state = WindowState::LockedOut;
            self.backoff_until = None;
        } else if !fault!(self.faults, NoPairingBackoff) {
            self.backoff_until = now.checked_add(backoff_after(self.failures));
        }
    }
}

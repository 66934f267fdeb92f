//! What the device undoes: a commissioning its fail-safe rolls back `[COMM-28]`, and changes
//! a failed save could not keep `[STATUS-4]`. The decisions are the core's
//! ([`orbit_core::commission::FailSafe`]); this applies them to the device's state.

use super::core::DeviceCore;
use orbit_core::commission::Rollback;
use orbit_core::pairing::WindowState;
use std::time::Instant;

impl DeviceCore {
    /// `[COMM-28]` removes the provisional home (membership, access control, sessions,
    /// tickets; its operational key goes with the membership) and `[COMM-29]` reopens the
    /// pairing window, unless it is open already or locked out.
    pub(crate) fn roll_back(&mut self, rollback: Rollback, now: Instant) {
        if let Some(home) = rollback.home {
            tracing::info!(home = format!("{home:016x}"), "commissioning rolled back");
            self.forget_home(home);
            // Its access control entries and subscriptions; the HomeRemoved event this
            // raises finds nothing left to forget.
            self.node.remove_home(home);
        }
        if !matches!(self.window.state(now), WindowState::Open { .. }) {
            // Not a user action: the failure count and back-off stay [COMM-29] [PAIR-27].
            if let Err(e) = self.window.open_at_power_up(now, rollback.reopen_for) {
                tracing::warn!(error = %e, "pairing window not reopened after a rollback");
            }
        }
        self.sync_window_attribute(now);
    }

    /// `[STATUS-4]` `[DM-65]` a save failed: the state in memory returns to what is stored
    /// (a provisional home stays, it was never stored), and counts as saved again.
    pub(crate) fn revert_to_stored(&mut self, now: Instant) {
        let Some(stored) = self.stored.take() else {
            return;
        };
        let provisional = self.fail_safe.provisional_home();
        if let Err(e) = stored.revert(&mut self.node, &mut self.homes, provisional, now) {
            tracing::error!(error = %e, "stored device state could not be put back");
        }
        let revision = self.node.state_revision();
        self.mark_saved_at(revision, stored);
    }
}

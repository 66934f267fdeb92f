//! The framing's timers ([BLE-8], [BLE-13], [BLE-14]): the next deadline, and what happens
//! when one passes.

use core::time::Duration;

use super::{Engine, LinkState, Role};
use crate::error::FramingError;

impl Engine {
    /// The earliest time at which [`Engine::handle_timeout`] (and then `poll_transmit`) has
    /// something to do, or `None` when the link is Closed.
    pub fn poll_timeout(&self) -> Option<Duration> {
        match self.state {
            LinkState::Closed => None,
            LinkState::Handshaking => self.handshake_deadline,
            LinkState::Open | LinkState::Closing => {
                let config = &self.config;
                let keep_alive = (self.role == Role::Central && self.state == LinkState::Open)
                    .then(|| self.last_sent.saturating_add(config.keep_alive));
                [
                    // [BLE-8] ack delay.
                    self.receiver.ack_due(),
                    // [BLE-13] ack deadline.
                    self.sender
                        .oldest_unacked()
                        .map(|t| t.saturating_add(config.ack_deadline)),
                    // [BLE-13] idle and keep-alive.
                    Some(self.last_received.saturating_add(config.idle_timeout)),
                    keep_alive,
                    // [BLE-14] the closer's wait for close-ack.
                    self.closing.deadline,
                ]
                .into_iter()
                .flatten()
                .min()
            }
        }
    }

    /// Handles the deadlines that passed by `now`. A failure closes the link: the handshake
    /// timing out (`handshake-timeout`, [BLE-13]), the oldest unacknowledged frame older than
    /// the ack deadline (`stalled`), and nothing received within the idle timeout
    /// ([`FramingError::IdleTimeout`], no error frame). The close timeout closes the link
    /// without an error ([BLE-14]). Acks and keep-alives that fell due go out through
    /// `poll_transmit(now)`.
    pub fn handle_timeout(&mut self, now: Duration) -> Result<(), FramingError> {
        match self.state {
            LinkState::Closed => Ok(()),
            LinkState::Handshaking => {
                if self.handshake_deadline.is_some_and(|t| t <= now) {
                    return Err(self.fail(FramingError::HandshakeTimeout));
                }
                Ok(())
            }
            LinkState::Open | LinkState::Closing => {
                if self.closing.deadline.is_some_and(|t| t <= now) {
                    self.state = LinkState::Closed;
                    return Ok(());
                }
                let stalled = self
                    .sender
                    .oldest_unacked()
                    .is_some_and(|t| t.saturating_add(self.config.ack_deadline) <= now);
                if stalled {
                    return Err(self.fail(FramingError::Stalled));
                }
                if self.last_received.saturating_add(self.config.idle_timeout) <= now {
                    self.state = LinkState::Closed;
                    return Err(FramingError::IdleTimeout);
                }
                Ok(())
            }
        }
    }
}

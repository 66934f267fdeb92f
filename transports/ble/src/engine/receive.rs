//! The receiving half: sequence and window checks, reassembly bounded by the stated SDU
//! length, and when to acknowledge ([BLE-6]..[BLE-9]).

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::time::Duration;

use crate::error::FramingError;
use crate::frame::DataFrame;

/// An SDU being reassembled: its stated length and the bytes so far (never more).
#[derive(Debug)]
struct Partial {
    len: usize,
    bytes: Vec<u8>,
}

#[derive(Debug)]
pub(super) struct Receiver {
    /// Our receive window, in frames ([BLE-7]).
    window: u8,
    /// The largest SDU we accept ([BLE-9]).
    max_sdu: usize,
    /// The next sequence number expected ([BLE-6]).
    expected: u8,
    /// The last sequence number we acknowledged (255 before any, [BLE-6]).
    last_ack_sent: u8,
    partial: Option<Partial>,
    complete: VecDeque<Vec<u8>>,
    /// When the ack delay of the oldest unacknowledged frame runs out ([BLE-8]).
    ack_due: Option<Duration>,
}

impl Receiver {
    pub(super) fn new(window: u8, max_sdu: usize) -> Self {
        Self {
            window,
            max_sdu,
            expected: 0,
            last_ack_sent: u8::MAX,
            partial: None,
            complete: VecDeque::new(),
            ack_due: None,
        }
    }

    /// Frames received and not yet acknowledged.
    pub(super) fn unacked(&self) -> u8 {
        self.expected
            .wrapping_sub(self.last_ack_sent)
            .wrapping_sub(1)
    }

    /// The ack to send (the last frame received), whether or not one is owed.
    pub(super) fn current_ack(&self) -> u8 {
        self.expected.wrapping_sub(1)
    }

    /// The ack to piggyback on a data frame: only when it acknowledges something new.
    pub(super) fn owed_ack(&self) -> Option<u8> {
        (self.unacked() > 0).then(|| self.current_ack())
    }

    /// [BLE-8]: an ack is owed at once when the unacknowledged frames reach half the window
    /// (rounded up), or when the ack delay of the oldest one ran out.
    pub(super) fn ack_now(&self, now: Duration) -> bool {
        let half = self.window.div_ceil(2);
        self.unacked() > 0 && (self.unacked() >= half || self.ack_due.is_some_and(|t| t <= now))
    }

    /// When an ack will be owed by the ack delay, if one is pending.
    pub(super) fn ack_due(&self) -> Option<Duration> {
        self.ack_due.filter(|_| self.unacked() > 0)
    }

    /// Records that a frame carrying `current_ack()` went out.
    pub(super) fn acked(&mut self) {
        self.last_ack_sent = self.current_ack();
        self.ack_due = None;
    }

    /// The next whole SDU received, in order.
    pub(super) fn pop_complete(&mut self) -> Option<Vec<u8>> {
        self.complete.pop_front()
    }

    /// Handles one data frame: sequence ([BLE-6]), window ([BLE-7]), reassembly ([BLE-9]).
    /// Returns whether it completed an SDU.
    pub(super) fn on_data(
        &mut self,
        frame: &DataFrame<'_>,
        now: Duration,
        ack_delay: Duration,
    ) -> Result<bool, FramingError> {
        if frame.seq != self.expected {
            return Err(FramingError::OutOfSequence);
        }
        // The sender knows at most our last ack: frame s must have s - last_ack <= window.
        if frame.seq.wrapping_sub(self.last_ack_sent) > self.window {
            return Err(FramingError::WindowOverflow);
        }
        let partial = match (frame.sdu_len, self.partial.take()) {
            (Some(_), Some(_)) => return Err(FramingError::UnexpectedBegin),
            (None, None) => return Err(FramingError::UnexpectedContinue),
            (Some(len), None) => {
                let len = usize::from(len);
                // [BLE-9]: refuse a length above the limit as soon as it is read.
                if len > self.max_sdu {
                    return Err(FramingError::SduTooLarge);
                }
                Partial {
                    len,
                    bytes: Vec::with_capacity(len),
                }
            }
            (None, Some(partial)) => partial,
        };
        let mut partial = partial;
        // [BLE-9]: never buffer more than the stated length.
        if frame.segment.len() > partial.len.saturating_sub(partial.bytes.len()) {
            return Err(FramingError::Overrun);
        }
        partial.bytes.extend_from_slice(frame.segment);
        let done = frame.end;
        if done {
            if partial.bytes.len() < partial.len {
                return Err(FramingError::ShortSdu);
            }
            self.complete.push_back(partial.bytes);
        } else {
            self.partial = Some(partial);
        }
        self.expected = self.expected.wrapping_add(1);
        if self.ack_due.is_none() {
            self.ack_due = Some(now.saturating_add(ack_delay));
        }
        Ok(done)
    }
}

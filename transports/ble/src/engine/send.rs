//! The sending half: segmentation of queued SDUs into data frames, sequence numbers, the
//! peer's window and the acknowledgements that open it ([BLE-4], [BLE-6], [BLE-7]).

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::time::Duration;

use crate::error::FramingError;
use crate::frame::{data_header_len, DataFrame};

/// What the sender holds: SDUs not yet fully sent, and the frames the peer has not
/// acknowledged yet (only their send times: the link layer delivers in order, so nothing is
/// retransmitted; the numbering is flow control and violation detection, [BLE-2]).
#[derive(Debug)]
pub(super) struct Sender {
    /// SDUs queued by the user; the front one may be partly sent (`offset` bytes of it).
    queue: VecDeque<Vec<u8>>,
    offset: usize,
    /// The sequence number of the next data frame ([BLE-6]: 0 after the handshake).
    next_seq: u8,
    /// The last acknowledged sequence number ([BLE-6]: implicitly 255 before any ack).
    last_ack: u8,
    /// When each unacknowledged frame was sent, oldest first.
    unacked: VecDeque<Duration>,
}

/// A data frame the sender emitted.
pub(super) struct Sent {
    /// The frame completed an SDU (it carried E).
    pub(super) sdu_done: bool,
}

impl Sender {
    pub(super) fn new() -> Self {
        Self {
            queue: VecDeque::new(),
            offset: 0,
            next_seq: 0,
            last_ack: u8::MAX,
            unacked: VecDeque::new(),
        }
    }

    pub(super) fn queue(&mut self, sdu: Vec<u8>) {
        self.queue.push_back(sdu);
    }

    /// Some SDU (or its rest) waits to be sent.
    pub(super) fn has_queued(&self) -> bool {
        !self.queue.is_empty()
    }

    /// How many sent frames the peer has not acknowledged.
    pub(super) fn in_flight(&self) -> usize {
        self.unacked.len()
    }

    /// When the oldest unacknowledged frame was sent ([BLE-13] ack deadline).
    pub(super) fn oldest_unacked(&self) -> Option<Duration> {
        self.unacked.front().copied()
    }

    /// [BLE-7]: frame `s` may go only if `s - last_ack (mod 256)` <= the peer's window; with
    /// `s = last_ack + in_flight + 1`, that is `in_flight < window`.
    pub(super) fn window_open(&self, peer_window: u8) -> bool {
        self.unacked.len() < usize::from(peer_window)
    }

    /// Processes an acknowledgement ([BLE-6]): `ack = n` acknowledges every frame up to `n`;
    /// acknowledging a frame never sent is `bad-ack` ([BLE-9]). Returns how many frames it
    /// newly acknowledged (0 for a repeated ack, e.g. a keep-alive).
    pub(super) fn on_ack(&mut self, ack: u8) -> Result<usize, FramingError> {
        let advance = usize::from(ack.wrapping_sub(self.last_ack));
        if advance > self.unacked.len() {
            return Err(FramingError::BadAck);
        }
        self.unacked.drain(..advance);
        self.last_ack = ack;
        Ok(advance)
    }

    /// Appends the next data frame to `out` if an SDU is queued: as much of it as fits in
    /// `segment_size` ([BLE-4]), B with the SDU length on its first segment, E on its last.
    /// The caller checked the window.
    pub(super) fn next_frame(
        &mut self,
        segment_size: usize,
        ack: Option<u8>,
        now: Duration,
        out: &mut Vec<u8>,
    ) -> Option<Sent> {
        let sdu = self.queue.front()?;
        let begin = self.offset == 0;
        // `send` refused SDUs above max_sdu (<= 16388), so the length fits in 2 bytes.
        let sdu_len = if begin {
            Some(u16::try_from(sdu.len()).ok()?)
        } else {
            None
        };
        let room = segment_size.saturating_sub(data_header_len(ack.is_some(), begin));
        let rest = sdu.get(self.offset..)?;
        let (segment, after) = rest.split_at_checked(room.min(rest.len()))?;
        if segment.is_empty() {
            return None;
        }
        let end = after.is_empty();
        DataFrame {
            ack,
            seq: self.next_seq,
            sdu_len,
            end,
            segment,
        }
        .encode_into(out);
        self.offset += segment.len();
        if end {
            self.queue.pop_front();
            self.offset = 0;
        }
        self.next_seq = self.next_seq.wrapping_add(1);
        self.unacked.push_back(now);
        Some(Sent { sdu_done: end })
    }
}

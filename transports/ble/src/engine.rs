//! The GATT framing as a sans-IO state machine ([BLE-4]..[BLE-14]): ATT values and the time
//! in, ATT values to send, whole SDUs and deadlines out. Time is a [`Duration`] since any fixed
//! epoch of the caller's clock; the engine never reads a clock, sleeps or does I/O, so it builds
//! for `no_std` + `alloc`.
//!
//! The drive loop, once per link:
//!
//! ```
//! use core::time::Duration;
//! use orbit_ble::engine::{Engine, FramingConfig};
//!
//! let now = Duration::ZERO;
//! let mut central = Engine::central(FramingConfig::default(), now);
//! let mut peripheral = Engine::peripheral(FramingConfig::default(), now);
//! central.send(b"hello".to_vec()).unwrap();
//! // Move every value each side has to send to the other until both are quiet.
//! loop {
//!     let mut moved = false;
//!     while let Some(value) = central.poll_transmit(now) {
//!         peripheral.handle_value(now, &value).unwrap();
//!         moved = true;
//!     }
//!     while let Some(value) = peripheral.poll_transmit(now) {
//!         central.handle_value(now, &value).unwrap();
//!         moved = true;
//!     }
//!     if !moved {
//!         break;
//!     }
//! }
//! assert_eq!(peripheral.poll_received(), Some(b"hello".to_vec()));
//! // A real driver also sleeps until `poll_timeout()` and then calls `handle_timeout(now)`.
//! ```

mod receive;
mod send;
mod timers;

use alloc::vec::Vec;
use core::time::Duration;

use crate::error::FramingError;
use crate::frame::{Control, Frame, VERSION_1};
use receive::Receiver;
use send::Sender;

/// The smallest and largest segment size ([BLE-12]).
pub const SEGMENT_SIZE: core::ops::RangeInclusive<usize> = 20..=514;
/// The receive window's range, in frames ([BLE-7]).
pub const WINDOW: core::ops::RangeInclusive<u8> = 1..=32;
/// The largest SDU ([BLE-9], [BLE-15]).
pub const MAX_SDU: usize = crate::sdu::MAX_SDU;
/// The ATT MTU's range (23 is the BLE minimum, 517 the maximum).
pub const ATT_MTU: core::ops::RangeInclusive<u16> = 23..=517;

/// The framing's parameters. Out-of-range values are clamped by the constructors (window to
/// 1..=32, ATT MTU to 23..=517, `max_sdu` to 1..=16388).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FramingConfig {
    /// This side's ATT MTU (as the MTU exchange left it); the central asks for 517 ([BLE-3]).
    pub att_mtu: u16,
    /// This side's receive window, in frames ([BLE-7]).
    pub window: u8,
    /// The largest SDU accepted from the peer or from the user ([BLE-9]).
    pub max_sdu: usize,
    /// How long a received frame may wait for its acknowledgement ([BLE-8]).
    pub ack_delay: Duration,
    /// How old the oldest unacknowledged frame may grow before the link is `stalled` ([BLE-13]).
    pub ack_deadline: Duration,
    /// How long the link stays open with nothing arriving ([BLE-13]).
    pub idle_timeout: Duration,
    /// How long the central stays silent before it sends a keep-alive ([BLE-13]).
    pub keep_alive: Duration,
    /// How long the handshake may take ([BLE-13]).
    pub handshake_timeout: Duration,
    /// How long a closer waits for close-ack ([BLE-14]).
    pub close_timeout: Duration,
}

impl Default for FramingConfig {
    /// ATT MTU 517, window 16, SDUs up to 16388 bytes, and the timers of [BLE-13].
    fn default() -> Self {
        Self {
            att_mtu: 517,
            window: 16,
            max_sdu: MAX_SDU,
            ack_delay: Duration::from_millis(50),
            ack_deadline: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            keep_alive: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(5),
        }
    }
}

impl FramingConfig {
    fn clamped(mut self) -> Self {
        self.att_mtu = self.att_mtu.clamp(*ATT_MTU.start(), *ATT_MTU.end());
        self.window = self.window.clamp(*WINDOW.start(), *WINDOW.end());
        self.max_sdu = self.max_sdu.clamp(1, MAX_SDU);
        self
    }

    /// The segment size this side's ATT MTU allows: ATT MTU - 3, clamped to 20..=514 ([BLE-12]).
    fn own_segment_size(&self) -> usize {
        usize::from(self.att_mtu)
            .saturating_sub(3)
            .clamp(*SEGMENT_SIZE.start(), *SEGMENT_SIZE.end())
    }
}

/// Where the link is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkState {
    /// Waiting for the handshake ([BLE-12]).
    Handshaking,
    /// SDUs flow both ways.
    Open,
    /// A close is under way ([BLE-14]): queued SDUs are still sent, no new ones accepted.
    Closing,
    /// Done: gracefully, by an error, or by a timeout. The radio connection should end.
    Closed,
}

/// Counters of what the framing moved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FramingStats {
    /// ATT values sent (frames of every kind).
    pub frames_sent: u64,
    /// ATT values received (frames of every kind).
    pub frames_received: u64,
    /// Bytes of the ATT values sent.
    pub bytes_sent: u64,
    /// Bytes of the ATT values received.
    pub bytes_received: u64,
    /// Data frames sent.
    pub data_frames_sent: u64,
    /// Data frames received.
    pub data_frames_received: u64,
    /// Ack-only frames sent (keep-alives included).
    pub ack_frames_sent: u64,
    /// Ack-only frames received.
    pub ack_frames_received: u64,
    /// Whole SDUs sent (their last frame went out).
    pub sdus_sent: u64,
    /// Whole SDUs received.
    pub sdus_received: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Central,
    Peripheral,
}

/// The graceful close's progress ([BLE-14]).
#[derive(Clone, Copy, Debug, Default)]
struct Closing {
    /// We asked to close: `close` goes out once our queue is sent.
    we_close: bool,
    /// Our `close` went out.
    close_sent: bool,
    /// The peer sent `close`: `close-ack` goes out once our queue is sent.
    peer_closes: bool,
    /// When we stop waiting for close-ack.
    deadline: Option<Duration>,
}

/// One link's framing: handshake, segmentation and reassembly, sequence numbers, window,
/// acknowledgements, timers and close ([BLE-4]..[BLE-14]).
#[derive(Debug)]
pub struct Engine {
    config: FramingConfig,
    role: Role,
    state: LinkState,
    /// Set by the handshake ([BLE-12]).
    segment_size: Option<usize>,
    /// The peer's receive window, from the handshake ([BLE-7]).
    peer_window: u8,
    sender: Sender,
    receiver: Receiver,
    /// A handshake request or response waiting to go out.
    handshake_out: Option<Control>,
    /// An error code to send once before the link ends ([BLE-10]).
    error_out: Option<u8>,
    /// The peripheral answers a keep-alive so the central's idle timer sees traffic ([BLE-13]).
    keep_alive_reply: bool,
    closing: Closing,
    handshake_deadline: Option<Duration>,
    last_received: Duration,
    last_sent: Duration,
    stats: FramingStats,
}

impl Engine {
    fn new(role: Role, config: FramingConfig, now: Duration) -> Engine {
        let config = config.clamped();
        Engine {
            role,
            state: LinkState::Handshaking,
            segment_size: None,
            peer_window: 1,
            sender: Sender::new(),
            receiver: Receiver::new(config.window, config.max_sdu),
            handshake_out: None,
            error_out: None,
            keep_alive_reply: false,
            closing: Closing::default(),
            handshake_deadline: Some(now.saturating_add(config.handshake_timeout)),
            last_received: now,
            last_sent: now,
            stats: FramingStats::default(),
            config,
        }
    }

    /// The central's engine, its handshake request queued ([BLE-3], [BLE-12]). `now` starts
    /// the handshake timer ([BLE-13]).
    pub fn central(config: FramingConfig, now: Duration) -> Engine {
        let mut engine = Engine::new(Role::Central, config, now);
        engine.handshake_out = Some(Control::HandshakeRequest {
            versions: VERSION_1,
            att_mtu: engine.config.att_mtu,
            window: engine.config.window,
        });
        engine
    }

    /// The peripheral's engine, waiting for the handshake request; `now` is when the central
    /// subscribed to notifications, which starts the handshake timer ([BLE-13]).
    pub fn peripheral(config: FramingConfig, now: Duration) -> Engine {
        Engine::new(Role::Peripheral, config, now)
    }

    /// The link's state.
    pub fn state(&self) -> LinkState {
        self.state
    }

    /// The negotiated segment size (the largest frame), once the handshake completed.
    pub fn segment_size(&self) -> Option<usize> {
        self.segment_size
    }

    /// Nothing queued to send, no sent frame unacknowledged, no acknowledgement owed.
    pub fn is_idle(&self) -> bool {
        !self.sender.has_queued()
            && self.sender.in_flight() == 0
            && self.receiver.unacked() == 0
            && self.handshake_out.is_none()
    }

    /// What the framing moved so far.
    pub fn stats(&self) -> FramingStats {
        self.stats
    }

    /// Queues one SDU (1..=`max_sdu` bytes) to send. Refused with [`FramingError::Closed`]
    /// once a close began ([BLE-14]), [`FramingError::SduTooLarge`] above `max_sdu`, and
    /// [`FramingError::EmptySegment`] when empty; none of these fails the link.
    pub fn send(&mut self, sdu: Vec<u8>) -> Result<(), FramingError> {
        if matches!(self.state, LinkState::Closing | LinkState::Closed) {
            return Err(FramingError::Closed);
        }
        if sdu.is_empty() {
            return Err(FramingError::EmptySegment);
        }
        if sdu.len() > self.config.max_sdu {
            return Err(FramingError::SduTooLarge);
        }
        self.sender.queue(sdu);
        Ok(())
    }

    /// The next whole SDU received, in order.
    pub fn poll_received(&mut self) -> Option<Vec<u8>> {
        self.receiver.pop_complete()
    }

    /// Starts a graceful close ([BLE-14]): no new SDU is accepted, everything queued is still
    /// sent, then `close`; the link is Closed on close-ack or after the close timeout. Before
    /// the handshake completed there is nothing to drain: the link is Closed at once.
    pub fn close(&mut self, now: Duration) {
        match self.state {
            LinkState::Handshaking => self.state = LinkState::Closed,
            LinkState::Open => {
                self.state = LinkState::Closing;
                self.closing.we_close = true;
                self.closing.deadline = Some(now.saturating_add(self.config.close_timeout));
            }
            // Already closing (ours, or the peer's: our close-ack follows our queue) or closed.
            LinkState::Closing | LinkState::Closed => {}
        }
    }

    /// Fails the link: Closed, and the error's code goes out once ([BLE-10]).
    fn fail(&mut self, error: FramingError) -> FramingError {
        self.state = LinkState::Closed;
        if !matches!(error, FramingError::PeerError(_)) {
            self.error_out = error.code();
        }
        error
    }

    /// Handles one ATT value from the peer (one frame, [BLE-2]). An error fails the link: the
    /// engine is Closed and `poll_transmit` yields the error frame ([BLE-10]). Values arriving
    /// after the link closed are ignored.
    pub fn handle_value(&mut self, now: Duration, value: &[u8]) -> Result<(), FramingError> {
        if self.state == LinkState::Closed {
            return Ok(());
        }
        self.stats.frames_received += 1;
        self.stats.bytes_received += value.len() as u64;
        self.last_received = now;
        // [BLE-9] frame-too-large: before the handshake, this side's own ATT MTU bounds it.
        let limit = self
            .segment_size
            .unwrap_or_else(|| self.config.own_segment_size());
        if value.len() > limit {
            return Err(self.fail(FramingError::FrameTooLarge));
        }
        let frame = Frame::decode(value).map_err(|e| self.fail(e))?;
        match frame {
            Frame::Control(control) => self.on_control(now, control),
            Frame::AckOnly { ack } => {
                self.stats.ack_frames_received += 1;
                if self.state == LinkState::Handshaking {
                    return Err(self.fail(FramingError::NotReady)); // [BLE-9]
                }
                let advance = self.sender.on_ack(ack).map_err(|e| self.fail(e))?;
                if advance == 0 && self.role == Role::Peripheral {
                    self.keep_alive_reply = true;
                }
                Ok(())
            }
            Frame::Data(data) => {
                self.stats.data_frames_received += 1;
                if self.state == LinkState::Handshaking {
                    return Err(self.fail(FramingError::NotReady)); // [BLE-9]
                }
                if let Some(ack) = data.ack {
                    self.sender.on_ack(ack).map_err(|e| self.fail(e))?;
                }
                let done = self
                    .receiver
                    .on_data(&data, now, self.config.ack_delay)
                    .map_err(|e| self.fail(e))?;
                if done {
                    self.stats.sdus_received += 1;
                }
                Ok(())
            }
        }
    }

    fn on_control(&mut self, now: Duration, control: Control) -> Result<(), FramingError> {
        match control {
            // [BLE-10], [BLE-11]: the peer failed the link; unknown codes too. No answer.
            Control::Error { code } => Err(self.fail(FramingError::PeerError(code))),
            Control::HandshakeRequest {
                versions,
                att_mtu,
                window,
            } => {
                // [BLE-12]: only the peripheral takes a request, and only once.
                if self.role != Role::Peripheral || self.state != LinkState::Handshaking {
                    return Err(self.fail(FramingError::BadHandshake));
                }
                if versions & VERSION_1 == 0 {
                    return Err(self.fail(FramingError::NoCommonVersion));
                }
                if !WINDOW.contains(&window) {
                    return Err(self.fail(FramingError::BadHandshake));
                }
                // [BLE-12]: min of both ATT MTUs - 3, clamped to 20..=514.
                let segment = usize::from(att_mtu.min(self.config.att_mtu))
                    .saturating_sub(3)
                    .clamp(*SEGMENT_SIZE.start(), *SEGMENT_SIZE.end());
                self.open(now, segment, window);
                self.handshake_out = Some(Control::HandshakeResponse {
                    version: VERSION_1,
                    segment_size: u16::try_from(segment).unwrap_or(514),
                    window: self.config.window,
                });
                Ok(())
            }
            Control::HandshakeResponse {
                version,
                segment_size,
                window,
            } => {
                let segment = usize::from(segment_size);
                // [BLE-12]: the version must be one we offered, the segment size one our
                // ATT MTU allows, the window in range; and only one response.
                if self.role != Role::Central
                    || self.state != LinkState::Handshaking
                    || version != VERSION_1
                    || !WINDOW.contains(&window)
                    || !SEGMENT_SIZE.contains(&segment)
                    || segment > self.config.own_segment_size()
                {
                    return Err(self.fail(FramingError::BadHandshake));
                }
                self.open(now, segment, window);
                Ok(())
            }
            Control::Close => {
                if self.state == LinkState::Handshaking {
                    self.state = LinkState::Closed;
                } else {
                    // [BLE-14]: stop taking SDUs, send what is queued, then close-ack.
                    self.state = LinkState::Closing;
                    self.closing.peer_closes = true;
                }
                Ok(())
            }
            Control::CloseAck => {
                // [BLE-14]: the peer sent everything it had; the closer disconnects. A
                // close-ack we did not ask for also means the peer is done.
                self.state = LinkState::Closed;
                Ok(())
            }
        }
    }

    fn open(&mut self, now: Duration, segment: usize, peer_window: u8) {
        self.state = LinkState::Open;
        self.segment_size = Some(segment);
        self.peer_window = peer_window;
        self.handshake_deadline = None;
        self.last_received = now;
    }

    /// The next ATT value to send, if any: the error frame after a failure; the handshake;
    /// data frames while the peer's window allows ([BLE-7]) with the ack piggybacked; an
    /// ack-only frame when an ack is due ([BLE-8]) even if the window is shut ([BLE-5]); the
    /// central's keep-alive ([BLE-13]); close and close-ack once the queue is sent ([BLE-14]).
    /// Call it until it returns `None` after every input.
    pub fn poll_transmit(&mut self, now: Duration) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        if let Some(code) = self.error_out.take() {
            Frame::Control(Control::Error { code }).encode_into(&mut out);
            return Some(self.sent(now, out));
        }
        if self.state == LinkState::Closed {
            return None;
        }
        if let Some(control) = self.handshake_out.take() {
            control.encode_into(&mut out);
            return Some(self.sent(now, out));
        }
        if self.state == LinkState::Handshaking {
            return None;
        }
        let segment_size = self.segment_size?;
        if self.sender.has_queued() && self.sender.window_open(self.peer_window) {
            let ack = self.receiver.owed_ack();
            if let Some(sent) = self.sender.next_frame(segment_size, ack, now, &mut out) {
                if ack.is_some() {
                    self.receiver.acked();
                }
                self.stats.data_frames_sent += 1;
                if sent.sdu_done {
                    self.stats.sdus_sent += 1;
                }
                return Some(self.sent(now, out));
            }
        }
        let keep_alive = self.role == Role::Central
            && self.state == LinkState::Open
            && now >= self.last_sent.saturating_add(self.config.keep_alive);
        if self.receiver.ack_now(now) || self.keep_alive_reply || keep_alive {
            self.keep_alive_reply = false;
            Frame::AckOnly {
                ack: self.receiver.current_ack(),
            }
            .encode_into(&mut out);
            self.receiver.acked();
            self.stats.ack_frames_sent += 1;
            return Some(self.sent(now, out));
        }
        if !self.sender.has_queued() {
            if self.closing.we_close && !self.closing.close_sent {
                self.closing.close_sent = true;
                Frame::Control(Control::Close).encode_into(&mut out);
                return Some(self.sent(now, out));
            }
            if self.closing.peer_closes {
                // [BLE-14]: everything we queued went out before this close-ack.
                self.state = LinkState::Closed;
                Frame::Control(Control::CloseAck).encode_into(&mut out);
                return Some(self.sent(now, out));
            }
        }
        None
    }

    fn sent(&mut self, now: Duration, value: Vec<u8>) -> Vec<u8> {
        self.stats.frames_sent += 1;
        self.stats.bytes_sent += value.len() as u64;
        self.last_sent = now;
        value
    }
}

//! The framing's typed errors ([BLE-9], [BLE-11], [BLE-12], [BLE-13]) and their control-frame
//! codes (BLE.md section 2: the error control frame's code byte).

use core::fmt;

/// Why the framing failed, or why it refused an SDU.
///
/// Every variant with a code (see [`FramingError::code`]) fails the link: the node that
/// detects it sends an error control frame with that code and disconnects ([BLE-10]).
/// [`FramingError::Closed`] and [`FramingError::IdleTimeout`] have no code: they are local
/// conditions. [`FramingError::PeerError`] is a failure the peer reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FramingError {
    /// A frame is shorter than its header (code 1, [BLE-9]).
    Truncated,
    /// A reserved flag bit (0x10, 0x20, 0x80) is set (code 2, [BLE-9]).
    ReservedBits,
    /// Neither or both of B and C are set, H is set with other bits, E or A without a data
    /// frame's B or C, or a control frame has an unknown type or a body of the wrong length
    /// (code 3, [BLE-9]).
    BadFlags,
    /// A data frame carries no segment byte (code 4, [BLE-4], [BLE-9]); also an empty SDU
    /// given to `send`, which could only become such a frame.
    EmptySegment,
    /// B while an SDU is incomplete (code 5, [BLE-9]).
    UnexpectedBegin,
    /// C with no SDU started (code 6, [BLE-9]).
    UnexpectedContinue,
    /// The segments exceed the SDU length that B stated (code 7, [BLE-9]).
    Overrun,
    /// E before the stated SDU length arrived (code 8, [BLE-9]).
    ShortSdu,
    /// A data frame's sequence number is not the next expected one (code 9, [BLE-6], [BLE-9]).
    OutOfSequence,
    /// More unacknowledged frames than the receiver's window (code 10, [BLE-7], [BLE-9]).
    WindowOverflow,
    /// An acknowledgement of a frame never sent (code 11, [BLE-6], [BLE-9]).
    BadAck,
    /// A frame longer than the segment size (code 12, [BLE-9]).
    FrameTooLarge,
    /// A data frame before the handshake completed (code 13, [BLE-9]).
    NotReady,
    /// An SDU length above the limit: stated by the peer's B frame (code 14, [BLE-9]), or an
    /// SDU given to `send` above `max_sdu` (then the link goes on).
    SduTooLarge,
    /// The handshake request offers no framing version this node speaks (code 15, [BLE-12]).
    NoCommonVersion,
    /// The oldest unacknowledged frame is older than the ack deadline (code 16, [BLE-13]).
    Stalled,
    /// No valid handshake within the handshake timeout (code 17, [BLE-13]).
    HandshakeTimeout,
    /// A malformed or unexpected handshake frame, e.g. a second request on an open link
    /// (code 18, [BLE-12]).
    BadHandshake,
    /// Nothing arrived within the idle timeout ([BLE-13]); the link is closed without an
    /// error frame (no code).
    IdleTimeout,
    /// The link is closing or closed: no new SDU is accepted ([BLE-14]); no code.
    Closed,
    /// The peer failed the link with this code ([BLE-10]); unknown codes are failures too
    /// ([BLE-11]).
    PeerError(u8),
}

impl FramingError {
    /// Every variant that has its own code, in code order (1..=18).
    pub const WITH_CODES: [FramingError; 18] = [
        Self::Truncated,
        Self::ReservedBits,
        Self::BadFlags,
        Self::EmptySegment,
        Self::UnexpectedBegin,
        Self::UnexpectedContinue,
        Self::Overrun,
        Self::ShortSdu,
        Self::OutOfSequence,
        Self::WindowOverflow,
        Self::BadAck,
        Self::FrameTooLarge,
        Self::NotReady,
        Self::SduTooLarge,
        Self::NoCommonVersion,
        Self::Stalled,
        Self::HandshakeTimeout,
        Self::BadHandshake,
    ];

    /// The error control frame's code for this failure ([BLE-11]): `None` for the local
    /// conditions [`Self::Closed`] and [`Self::IdleTimeout`]; the peer's own code for
    /// [`Self::PeerError`].
    pub const fn code(&self) -> Option<u8> {
        Some(match self {
            Self::Truncated => 1,
            Self::ReservedBits => 2,
            Self::BadFlags => 3,
            Self::EmptySegment => 4,
            Self::UnexpectedBegin => 5,
            Self::UnexpectedContinue => 6,
            Self::Overrun => 7,
            Self::ShortSdu => 8,
            Self::OutOfSequence => 9,
            Self::WindowOverflow => 10,
            Self::BadAck => 11,
            Self::FrameTooLarge => 12,
            Self::NotReady => 13,
            Self::SduTooLarge => 14,
            Self::NoCommonVersion => 15,
            Self::Stalled => 16,
            Self::HandshakeTimeout => 17,
            Self::BadHandshake => 18,
            Self::PeerError(code) => *code,
            Self::IdleTimeout | Self::Closed => return None,
        })
    }

    /// The failure an error control frame's code names ([BLE-11]), or `None` for a code this
    /// version does not define (such a code still fails the link: see [`Self::PeerError`]).
    pub fn from_code(code: u8) -> Option<FramingError> {
        Self::WITH_CODES
            .get(usize::from(code).checked_sub(1)?)
            .copied()
    }

    /// The error's spec name (`out-of-sequence`, ...), as BLE.md section 2 spells it.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Truncated => "truncated",
            Self::ReservedBits => "reserved-bits",
            Self::BadFlags => "bad-flags",
            Self::EmptySegment => "empty-segment",
            Self::UnexpectedBegin => "unexpected-begin",
            Self::UnexpectedContinue => "unexpected-continue",
            Self::Overrun => "overrun",
            Self::ShortSdu => "short-sdu",
            Self::OutOfSequence => "out-of-sequence",
            Self::WindowOverflow => "window-overflow",
            Self::BadAck => "bad-ack",
            Self::FrameTooLarge => "frame-too-large",
            Self::NotReady => "not-ready",
            Self::SduTooLarge => "sdu-too-large",
            Self::NoCommonVersion => "no-common-version",
            Self::Stalled => "stalled",
            Self::HandshakeTimeout => "handshake-timeout",
            Self::BadHandshake => "bad-handshake",
            Self::IdleTimeout => "idle-timeout",
            Self::Closed => "closed",
            Self::PeerError(_) => "peer-error",
        }
    }

    fn explanation(&self) -> &'static str {
        match self {
            Self::Truncated => "a frame is shorter than its header",
            Self::ReservedBits => "a frame sets a reserved flag bit",
            Self::BadFlags => "a frame's flags are not a valid combination",
            Self::EmptySegment => "a data frame carries no segment",
            Self::UnexpectedBegin => "an SDU began while another was incomplete",
            Self::UnexpectedContinue => "an SDU continued while none was started",
            Self::Overrun => "the segments exceed the stated SDU length",
            Self::ShortSdu => "an SDU ended before its stated length",
            Self::OutOfSequence => "a data frame is not the next in sequence",
            Self::WindowOverflow => "more unacknowledged frames than the receive window",
            Self::BadAck => "an acknowledgement of a frame never sent",
            Self::FrameTooLarge => "a frame is longer than the segment size",
            Self::NotReady => "a data frame arrived before the handshake completed",
            Self::SduTooLarge => "an SDU is longer than the limit",
            Self::NoCommonVersion => "no framing version in common",
            Self::Stalled => "the peer stopped acknowledging",
            Self::HandshakeTimeout => "the framing handshake did not complete in time",
            Self::BadHandshake => "a malformed or unexpected handshake frame",
            Self::IdleTimeout => "nothing arrived within the idle timeout",
            Self::Closed => "the link is closing or closed",
            Self::PeerError(_) => "the peer failed the link",
        }
    }
}

impl fmt::Display for FramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PeerError(code) => match Self::from_code(*code) {
                Some(known) => write!(f, "the peer failed the link: {known}"),
                None => write!(f, "the peer failed the link with unknown code {code}"),
            },
            other => write!(f, "{}: {}", other.name(), other.explanation()),
        }
    }
}

impl core::error::Error for FramingError {}

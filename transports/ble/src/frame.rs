//! The frames carried in ATT values on the Orbit service's characteristics ([BLE-4]..[BLE-12]):
//! data frames, ack-only frames and control frames. One ATT value is exactly one frame
//! ([BLE-2]). Decoding borrows the value and rejects every malformed frame with a typed
//! [`FramingError`]; it never panics. Encoding writes into a buffer the caller owns.

use alloc::vec::Vec;

use crate::error::FramingError;

/// B: the frame begins an SDU; a 2-byte SDU length follows the sequence number ([BLE-4]).
pub const FLAG_BEGIN: u8 = 0x01;
/// C: the frame continues an SDU (not its first segment) ([BLE-4]).
pub const FLAG_CONTINUE: u8 = 0x02;
/// E: the frame ends an SDU ([BLE-4]).
pub const FLAG_END: u8 = 0x04;
/// A: an acknowledgement byte follows the flags ([BLE-4], [BLE-5]).
pub const FLAG_ACK: u8 = 0x08;
/// H: a control frame; byte 1 is its type and no other bit may be set ([BLE-11]).
pub const FLAG_CONTROL: u8 = 0x40;
/// The reserved bits 0x10, 0x20 and 0x80: a receiver fails the link when one is set ([BLE-9]).
pub const RESERVED_FLAGS: u8 = 0x10 | 0x20 | 0x80;

/// Control frame type: handshake request, central to peripheral ([BLE-11]).
pub const CONTROL_HANDSHAKE_REQUEST: u8 = 0x01;
/// Control frame type: handshake response, peripheral to central ([BLE-11]).
pub const CONTROL_HANDSHAKE_RESPONSE: u8 = 0x02;
/// Control frame type: close ([BLE-11], [BLE-14]).
pub const CONTROL_CLOSE: u8 = 0x03;
/// Control frame type: close-ack ([BLE-11], [BLE-14]).
pub const CONTROL_CLOSE_ACK: u8 = 0x04;
/// Control frame type: error, with a 1-byte code ([BLE-10], [BLE-11]).
pub const CONTROL_ERROR: u8 = 0x05;

/// The framing version bit of v1 in a handshake's versions byte ([BLE-11]).
pub const VERSION_1: u8 = 0x01;

/// The length of a handshake frame: `0x40 ‖ type ‖ version(s) (1) ‖ 2 bytes ‖ window (1)`.
const HANDSHAKE_LEN: usize = 6;

/// A data frame ([BLE-4]): `flags ‖ [ack] ‖ seq ‖ [sdu-length if B] ‖ segment`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataFrame<'a> {
    /// The piggybacked acknowledgement (flag A), if any ([BLE-6]).
    pub ack: Option<u8>,
    /// The frame's sequence number ([BLE-6]).
    pub seq: u8,
    /// `Some(length)` when the frame begins an SDU (flag B, the SDU's whole length);
    /// `None` when it continues one (flag C) ([BLE-4], [BLE-9]).
    pub sdu_len: Option<u16>,
    /// The frame ends its SDU (flag E).
    pub end: bool,
    /// The segment: at least one byte of the SDU ([BLE-4]).
    pub segment: &'a [u8],
}

/// A control frame's type and body ([BLE-11]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// The central's handshake request ([BLE-12]).
    HandshakeRequest {
        /// The framing versions the central speaks, one bit each ([`VERSION_1`]).
        versions: u8,
        /// The central's ATT MTU.
        att_mtu: u16,
        /// The central's receive window, in frames (1..=32).
        window: u8,
    },
    /// The peripheral's handshake response ([BLE-12]).
    HandshakeResponse {
        /// The chosen framing version (one bit, [`VERSION_1`]).
        version: u8,
        /// The segment size both sides use: the largest frame, in bytes.
        segment_size: u16,
        /// The peripheral's receive window, in frames (1..=32).
        window: u8,
    },
    /// Graceful close ([BLE-14]).
    Close,
    /// The answer to close, once everything queued was sent ([BLE-14]).
    CloseAck,
    /// The sender failed the link with this code ([BLE-10], [BLE-11]).
    Error {
        /// The error code ([`FramingError::code`]); unknown codes are failures too.
        code: u8,
    },
}

/// One frame, as carried by one ATT value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A data frame ([BLE-4]).
    Data(DataFrame<'a>),
    /// An ack-only frame `0x08 ‖ ack` ([BLE-5]): no sequence number, outside every window.
    AckOnly {
        /// Acknowledges every data frame up to and including this one ([BLE-6]).
        ack: u8,
    },
    /// A control frame ([BLE-11]).
    Control(Control),
}

/// The header length of a data frame: flags, the ack byte when `ack`, the sequence number,
/// and the SDU length when `begin` ([BLE-4]).
pub const fn data_header_len(ack: bool, begin: bool) -> usize {
    2 + if ack { 1 } else { 0 } + if begin { 2 } else { 0 }
}

fn byte(value: &[u8]) -> Result<(u8, &[u8]), FramingError> {
    value
        .split_first()
        .map(|(b, rest)| (*b, rest))
        .ok_or(FramingError::Truncated)
}

fn u16_be(value: &[u8]) -> Result<(u16, &[u8]), FramingError> {
    let (bytes, rest) = value
        .split_first_chunk::<2>()
        .ok_or(FramingError::Truncated)?;
    Ok((u16::from_be_bytes(*bytes), rest))
}

impl<'a> Frame<'a> {
    /// Decodes one ATT value, borrowing the segment from it ([BLE-4]..[BLE-11]).
    pub fn decode(value: &'a [u8]) -> Result<Frame<'a>, FramingError> {
        let (flags, rest) = byte(value)?;
        // [BLE-9] reserved bits fail the link.
        if flags & RESERVED_FLAGS != 0 {
            return Err(FramingError::ReservedBits);
        }
        if flags & FLAG_CONTROL != 0 {
            // [BLE-9] H with any other bit is bad-flags.
            if flags != FLAG_CONTROL {
                return Err(FramingError::BadFlags);
            }
            return Control::decode(rest).map(Frame::Control);
        }
        let begin = flags & FLAG_BEGIN != 0;
        let cont = flags & FLAG_CONTINUE != 0;
        if begin && cont {
            return Err(FramingError::BadFlags); // [BLE-4] exactly one of B and C
        }
        if !begin && !cont {
            // [BLE-5] the only frame without B or C is the ack-only frame, exactly 2 bytes.
            if flags != FLAG_ACK {
                return Err(FramingError::BadFlags);
            }
            let (ack, rest) = byte(rest)?;
            if !rest.is_empty() {
                return Err(FramingError::BadFlags);
            }
            return Ok(Frame::AckOnly { ack });
        }
        let (ack, rest) = if flags & FLAG_ACK != 0 {
            let (ack, rest) = byte(rest)?;
            (Some(ack), rest)
        } else {
            (None, rest)
        };
        let (seq, rest) = byte(rest)?;
        let (sdu_len, segment) = if begin {
            let (len, rest) = u16_be(rest)?;
            (Some(len), rest)
        } else {
            (None, rest)
        };
        if segment.is_empty() {
            return Err(FramingError::EmptySegment); // [BLE-4] at least 1 byte
        }
        Ok(Frame::Data(DataFrame {
            ack,
            seq,
            sdu_len,
            end: flags & FLAG_END != 0,
            segment,
        }))
    }

    /// Appends the frame's bytes to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Frame::Data(data) => data.encode_into(out),
            Frame::AckOnly { ack } => out.extend_from_slice(&[FLAG_ACK, *ack]),
            Frame::Control(control) => control.encode_into(out),
        }
    }

    /// The frame's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }
}

impl DataFrame<'_> {
    /// The flags byte this frame is sent with.
    pub fn flags(&self) -> u8 {
        let mut flags = if self.sdu_len.is_some() {
            FLAG_BEGIN
        } else {
            FLAG_CONTINUE
        };
        if self.end {
            flags |= FLAG_END;
        }
        if self.ack.is_some() {
            flags |= FLAG_ACK;
        }
        flags
    }

    /// Appends the frame's bytes to `out` ([BLE-4]).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.reserve(
            data_header_len(self.ack.is_some(), self.sdu_len.is_some()) + self.segment.len(),
        );
        out.push(self.flags());
        if let Some(ack) = self.ack {
            out.push(ack);
        }
        out.push(self.seq);
        if let Some(len) = self.sdu_len {
            out.extend_from_slice(&len.to_be_bytes());
        }
        out.extend_from_slice(self.segment);
    }
}

impl Control {
    /// Decodes a control frame's type and body (the bytes after the 0x40 flags) ([BLE-11]).
    fn decode(value: &[u8]) -> Result<Control, FramingError> {
        let (kind, body) = byte(value)?;
        match kind {
            CONTROL_HANDSHAKE_REQUEST | CONTROL_HANDSHAKE_RESPONSE => {
                let (version, rest) = byte(body)?;
                let (size, rest) = u16_be(rest)?;
                let (window, rest) = byte(rest)?;
                // [BLE-12] a handshake with trailing bytes is malformed.
                if !rest.is_empty() {
                    return Err(FramingError::BadHandshake);
                }
                Ok(if kind == CONTROL_HANDSHAKE_REQUEST {
                    Control::HandshakeRequest {
                        versions: version,
                        att_mtu: size,
                        window,
                    }
                } else {
                    Control::HandshakeResponse {
                        version,
                        segment_size: size,
                        window,
                    }
                })
            }
            CONTROL_CLOSE | CONTROL_CLOSE_ACK if body.is_empty() => Ok(if kind == CONTROL_CLOSE {
                Control::Close
            } else {
                Control::CloseAck
            }),
            CONTROL_ERROR => match body {
                [] => Err(FramingError::Truncated),
                [code] => Ok(Control::Error { code: *code }),
                _ => Err(FramingError::BadFlags),
            },
            // A body on close/close-ack, or a type v1 does not define: no error code names
            // these, and bad-flags (an invalid frame layout) is the closest ([BLE-11]).
            _ => Err(FramingError::BadFlags),
        }
    }

    /// Appends the control frame's bytes (with its 0x40 flags) to `out` ([BLE-11]).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(FLAG_CONTROL);
        match self {
            Control::HandshakeRequest {
                versions,
                att_mtu,
                window,
            } => {
                out.reserve(HANDSHAKE_LEN);
                out.push(CONTROL_HANDSHAKE_REQUEST);
                out.push(*versions);
                out.extend_from_slice(&att_mtu.to_be_bytes());
                out.push(*window);
            }
            Control::HandshakeResponse {
                version,
                segment_size,
                window,
            } => {
                out.push(CONTROL_HANDSHAKE_RESPONSE);
                out.push(*version);
                out.extend_from_slice(&segment_size.to_be_bytes());
                out.push(*window);
            }
            Control::Close => out.push(CONTROL_CLOSE),
            Control::CloseAck => out.push(CONTROL_CLOSE_ACK),
            Control::Error { code } => out.extend_from_slice(&[CONTROL_ERROR, *code]),
        }
    }
}

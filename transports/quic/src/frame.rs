//! Sans-IO framing of Orbit messages on QUIC streams ([QUIC-8] to [QUIC-12]).
//!
//! A frame is `kind: u8 ‖ length: u16 big-endian ‖ payload`. [`encode_frame`] appends one to a
//! buffer the caller owns; [`decode_frame`] borrows one from the front of a byte slice;
//! [`FrameDecoder`] reassembles frames from a stream's bytes as they arrive in arbitrary
//! pieces. None of them touches a socket or a clock, and all are total on arbitrary input.

use std::fmt;

use bytes::{Bytes, BytesMut};

use crate::code::ErrorCode;

/// Bytes before a frame's payload: kind (1) and length (2).
pub const HEADER_LEN: usize = 3;

/// The largest payload a frame may carry ([QUIC-11]).
///
/// The largest Orbit v1 message is an interaction message of 8192 bytes ([IM-4]) sealed with 29
/// bytes of protection overhead ([MSG-20]), 8221 bytes; 16384 is the next power of two, leaving
/// room for an extension without a wire change while a device needs at most one 16 KiB buffer
/// per stream.
pub const MAX_FRAME_PAYLOAD: usize = 16384;

/// What a frame's payload is, and so which Orbit layer receives it ([QUIC-9]).
///
/// A newtype with named constants, so an unknown kind survives decoding and is rejected by
/// the layer that knows which kinds it accepts ([QUIC-10]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameKind(pub u8);

impl FrameKind {
    /// A PASE pairing handshake message ([PAIR-*]).
    pub const PAIRING: Self = Self(1);
    /// A SIGMA session handshake or resumption message ([SESS-*]).
    pub const SESSION: Self = Self(2);
    /// A protected message ([MSG-*]).
    pub const PROTECTED: Self = Self(3);

    /// Whether this version defines the kind.
    pub fn is_known(self) -> bool {
        self.name().is_some()
    }

    /// The kind's name, or `None` for a kind this version does not define.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::PAIRING => "pairing",
            Self::SESSION => "session",
            Self::PROTECTED => "protected",
            _ => return None,
        })
    }
}

impl fmt::Display for FrameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({})", self.0),
            None => write!(f, "unknown kind {}", self.0),
        }
    }
}

impl fmt::Debug for FrameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A frame borrowed from the buffer it was decoded from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// What the payload is.
    pub kind: FrameKind,
    /// The payload, 1 ..= [`MAX_FRAME_PAYLOAD`] bytes.
    pub payload: &'a [u8],
}

impl Frame<'_> {
    /// An owned copy of the frame.
    pub fn to_owned(&self) -> OwnedFrame {
        OwnedFrame {
            kind: self.kind,
            payload: Bytes::copy_from_slice(self.payload),
        }
    }
}

/// A frame that owns its payload.
#[derive(Clone, PartialEq, Eq)]
pub struct OwnedFrame {
    /// What the payload is.
    pub kind: FrameKind,
    /// The payload, 1 ..= [`MAX_FRAME_PAYLOAD`] bytes.
    pub payload: Bytes,
}

impl OwnedFrame {
    /// The frame as a borrowed [`Frame`].
    pub fn as_frame(&self) -> Frame<'_> {
        Frame {
            kind: self.kind,
            payload: &self.payload,
        }
    }
}

impl fmt::Debug for OwnedFrame {
    // Payload bytes are never printed: they may be handshake or protected material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedFrame")
            .field("kind", &self.kind)
            .field("len", &self.payload.len())
            .finish()
    }
}

/// A violation of the framing rules. Each maps to the [`ErrorCode`] the receiver resets the
/// stream with ([`FrameError::code`]).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The length field exceeds [`MAX_FRAME_PAYLOAD`] ([QUIC-11]).
    #[error("frame of {len} bytes exceeds the maximum of {max}")]
    TooLarge {
        /// The announced (or, when encoding, the given) payload length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// The length field is zero ([QUIC-11]).
    #[error("zero-length frame")]
    Empty,
    /// The stream ended inside a frame ([QUIC-12]).
    #[error("stream ended inside a frame ({buffered} bytes of it received)")]
    Truncated {
        /// Bytes of the incomplete frame that had arrived.
        buffered: usize,
    },
    /// A unidirectional stream did not carry exactly one frame ([QUIC-12]).
    #[error("unidirectional stream did not carry exactly one frame")]
    NotOneFrame,
}

impl FrameError {
    /// The error code a receiver resets the stream with ([QUIC-13]).
    pub fn code(self) -> ErrorCode {
        match self {
            Self::TooLarge { .. } => ErrorCode::FRAME_TOO_LARGE,
            Self::Empty | Self::Truncated { .. } | Self::NotOneFrame => ErrorCode::MALFORMED_FRAME,
        }
    }
}

fn check_len(len: usize) -> Result<(), FrameError> {
    // [QUIC-11]: 1 ..= MAX_FRAME_PAYLOAD.
    if len == 0 {
        Err(FrameError::Empty)
    } else if len > MAX_FRAME_PAYLOAD {
        Err(FrameError::TooLarge {
            len,
            max: MAX_FRAME_PAYLOAD,
        })
    } else {
        Ok(())
    }
}

/// Appends one frame to `out` ([QUIC-8]). Fails, leaving `out` unchanged, if the payload is
/// empty or longer than [`MAX_FRAME_PAYLOAD`] ([QUIC-11]).
pub fn encode_frame(kind: FrameKind, payload: &[u8], out: &mut Vec<u8>) -> Result<(), FrameError> {
    check_len(payload.len())?;
    let len = u16::try_from(payload.len()).map_err(|_| FrameError::TooLarge {
        len: payload.len(),
        max: MAX_FRAME_PAYLOAD,
    })?;
    out.reserve(HEADER_LEN + payload.len());
    out.push(kind.0);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// Decodes the frame at the front of `input`.
///
/// Returns the frame and the number of bytes it occupies, `Ok(None)` if `input` holds only
/// part of a frame, or an error as soon as the header shows the frame is invalid (without
/// waiting for its payload).
pub fn decode_frame(input: &[u8]) -> Result<Option<(Frame<'_>, usize)>, FrameError> {
    let (kind, len) = match input {
        [kind, hi, lo, ..] => (
            FrameKind(*kind),
            usize::from(u16::from_be_bytes([*hi, *lo])),
        ),
        _ => return Ok(None),
    };
    check_len(len)?;
    let end = HEADER_LEN + len;
    Ok(input
        .get(HEADER_LEN..end)
        .map(|payload| (Frame { kind, payload }, end)))
}

/// Reassembles frames from the bytes of one stream, fed in pieces of any size.
///
/// Feed bytes with [`push`](Self::push), then call [`next_frame`](Self::next_frame) until it
/// returns `Ok(None)` before pushing more: the buffer then never holds more than one frame
/// plus the last piece pushed. After an error the decoder keeps returning that error.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: BytesMut,
    failed: Option<FrameError>,
}

impl FrameDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes received on the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed, or the framing error.
    pub fn next_frame(&mut self) -> Result<Option<OwnedFrame>, FrameError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let (kind, end) = match decode_frame(&self.buf) {
            Ok(Some((frame, end))) => (frame.kind, end),
            Ok(None) => return Ok(None),
            Err(e) => {
                self.failed = Some(e);
                self.buf = BytesMut::new();
                return Err(e);
            }
        };
        let mut whole = self.buf.split_to(end);
        let payload = whole.split_off(HEADER_LEN).freeze();
        Ok(Some(OwnedFrame { kind, payload }))
    }

    /// Whether part of a frame has arrived but not all of it.
    pub fn is_mid_frame(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Checks that the stream may end here: no partial frame is buffered ([QUIC-12]).
    pub fn finish(&self) -> Result<(), FrameError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(FrameError::Truncated {
                buffered: self.buf.len(),
            })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_kind_length_payload() {
        // [QUIC-8]
        let mut out = vec![];
        encode_frame(FrameKind::PROTECTED, b"abc", &mut out).unwrap();
        assert_eq!(out, [3, 0, 3, b'a', b'b', b'c']);
    }

    #[test]
    fn length_bounds() {
        // [QUIC-11]
        let mut out = vec![];
        assert_eq!(
            encode_frame(FrameKind::PAIRING, &[], &mut out),
            Err(FrameError::Empty)
        );
        let big = vec![0; MAX_FRAME_PAYLOAD + 1];
        assert!(matches!(
            encode_frame(FrameKind::PAIRING, &big, &mut out),
            Err(FrameError::TooLarge { .. })
        ));
        assert!(out.is_empty());
        encode_frame(FrameKind::PAIRING, &big[1..], &mut out).unwrap();
        assert_eq!(decode_frame(&out).unwrap().unwrap().1, out.len());
        // Rejected from the header alone.
        assert_eq!(decode_frame(&[1, 0, 0]), Err(FrameError::Empty));
        assert!(matches!(
            decode_frame(&[1, 0x40, 0x01]),
            Err(FrameError::TooLarge { len: 16385, .. })
        ));
        assert_eq!(FrameError::Empty.code(), ErrorCode::MALFORMED_FRAME);
    }

    #[test]
    fn decoder_reassembles_and_detects_truncation() {
        let mut bytes = vec![];
        encode_frame(FrameKind(9), b"hello", &mut bytes).unwrap();
        encode_frame(FrameKind::SESSION, b"x", &mut bytes).unwrap();
        let mut d = FrameDecoder::new();
        let mut got = vec![];
        for b in &bytes {
            d.push(std::slice::from_ref(b));
            while let Some(f) = d.next_frame().unwrap() {
                got.push(f);
            }
        }
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].kind, FrameKind(9));
        assert!(!got[0].kind.is_known());
        assert_eq!(&got[0].payload[..], b"hello");
        d.finish().unwrap();
        d.push(&[3, 0]);
        assert!(d.is_mid_frame());
        assert_eq!(d.finish(), Err(FrameError::Truncated { buffered: 2 }));
        assert_eq!(
            format!("{:?}", got[1]),
            "OwnedFrame { kind: session (2), len: 1 }"
        );
    }
}

//! The fixed 13-byte header of a protected message `[MSG-6]`, which is also its associated
//! data `[MSG-10]`, and session identifiers `[MSG-2]`.

use super::ProtectError;
use crate::crypto::aead::TAG_LEN;

/// Length of the header in bytes: flags (1) ‖ receiver session identifier (4) ‖ counter (8).
pub const HEADER_LEN: usize = 13;
/// Bytes a protected message adds to its payload: header plus Poly1305 tag.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;

/// Flag bits carrying the key phase: the sender's key generation modulo 4 `[MSG-14]`.
pub const KEY_PHASE_MASK: u8 = 0b0000_0011;
/// Flag bits reserved in v1: sent as zero, and a message with any of them set is dropped
/// `[MSG-7]`.
pub const RESERVED_FLAGS_MASK: u8 = !KEY_PHASE_MASK;

/// A session identifier: the number the *receiver* of a message chose for the session during
/// the handshake `[MSG-2]`. The receiver finds the session by this number alone `[MSG-3]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct SessionId(pub u32);

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "0x{:08x}", self.0)
    }
}

impl From<u32> for SessionId {
    fn from(v: u32) -> Self {
        Self(v)
    }
}

/// Session identifiers travel in handshake messages as CBOR unsigned integers; values that do
/// not fit 32 bits are rejected.
impl TryFrom<u64> for SessionId {
    type Error = std::num::TryFromIntError;
    fn try_from(v: u64) -> Result<Self, Self::Error> {
        u32::try_from(v).map(Self)
    }
}

impl From<SessionId> for crate::codec::Value {
    fn from(id: SessionId) -> Self {
        crate::codec::Value::from(id.0)
    }
}

/// A parsed protected-message header.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Header {
    /// The sender's key generation modulo 4 `[MSG-14]`.
    pub key_phase: u8,
    /// The receiver's session identifier `[MSG-2]`.
    pub session_id: SessionId,
    /// The message counter `[MSG-8]`.
    pub counter: u64,
}

impl Header {
    /// The header's 13 bytes `[MSG-6]`: flags ‖ session identifier (big-endian u32) ‖ counter
    /// (big-endian u64). Reserved flag bits are always zero `[MSG-7]`.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let (flags, rest) = out.split_at_mut(1);
        let (sid, counter) = rest.split_at_mut(4);
        flags.fill(self.key_phase & KEY_PHASE_MASK);
        sid.copy_from_slice(&self.session_id.0.to_be_bytes());
        counter.copy_from_slice(&self.counter.to_be_bytes());
        out
    }

    /// Parses the header at the start of a whole protected message. Fails if the message
    /// cannot even hold a header and a tag, or if a reserved flag bit is set `[MSG-7]`,
    /// `[MSG-11]`.
    pub fn parse(datagram: &[u8]) -> Result<Header, ProtectError> {
        if datagram.len() < OVERHEAD {
            return Err(ProtectError::Truncated {
                len: datagram.len(),
            });
        }
        let Some((header, _)) = datagram.split_first_chunk::<HEADER_LEN>() else {
            return Err(ProtectError::Truncated {
                len: datagram.len(),
            });
        };
        let [flags, s0, s1, s2, s3, c0, c1, c2, c3, c4, c5, c6, c7] = *header;
        // [MSG-7] the header has no version field ([VER-6]); a set reserved bit can only come
        // from a peer speaking another format, so it is rejected before any decryption.
        if flags & RESERVED_FLAGS_MASK != 0 {
            return Err(ProtectError::ReservedFlags { flags });
        }
        Ok(Header {
            key_phase: flags & KEY_PHASE_MASK,
            session_id: SessionId(u32::from_be_bytes([s0, s1, s2, s3])),
            counter: u64::from_be_bytes([c0, c1, c2, c3, c4, c5, c6, c7]),
        })
    }
}

/// The session identifier of a protected message, read without decrypting it, so a transport
/// or session table can route the message to its session `[MSG-3]`.
///
/// Applies the same length and flag checks as [`super::Protector::open`], so a message this
/// accepts is well-formed up to its authentication.
pub fn peek_session_id(datagram: &[u8]) -> Result<SessionId, ProtectError> {
    Header::parse(datagram).map(|h| h.session_id)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // [MSG-6]
    #[test]
    fn layout_is_byte_exact() {
        let h = Header {
            key_phase: 2,
            session_id: SessionId(0x0a0b_0c0d),
            counter: 0x0102_0304_0506_0708,
        };
        let bytes = h.to_bytes();
        assert_eq!(hex::encode(bytes), "020a0b0c0d0102030405060708");
        let mut msg = bytes.to_vec();
        msg.extend_from_slice(&[0u8; TAG_LEN]);
        assert_eq!(Header::parse(&msg).unwrap(), h);
    }

    // [MSG-7]
    #[test]
    fn reserved_flags_rejected() {
        for bit in 2..8 {
            let mut msg = vec![0u8; OVERHEAD];
            msg[0] = 1 << bit;
            assert_eq!(
                Header::parse(&msg),
                Err(ProtectError::ReservedFlags { flags: 1 << bit })
            );
        }
    }

    // [MSG-11]
    #[test]
    fn short_messages_rejected() {
        for len in 0..OVERHEAD {
            assert_eq!(
                peek_session_id(&vec![0u8; len]),
                Err(ProtectError::Truncated { len })
            );
        }
    }

    proptest! {
        #[test]
        fn parse_then_encode_gives_header_back(
            flags in prop_oneof![0u8..4, any::<u8>()],
            rest in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut bytes = vec![flags];
            bytes.extend_from_slice(&rest);
            match Header::parse(&bytes) {
                Ok(h) => prop_assert_eq!(&h.to_bytes()[..], &bytes[..HEADER_LEN]),
                Err(e) => prop_assert!(bytes.len() < OVERHEAD || flags & RESERVED_FLAGS_MASK != 0, "{e}"),
            }
        }

        #[test]
        fn encode_then_parse(phase in 0u8..4, sid: u32, counter: u64) {
            let h = Header { key_phase: phase, session_id: SessionId(sid), counter };
            let mut msg = h.to_bytes().to_vec();
            msg.extend_from_slice(&[0u8; TAG_LEN]);
            prop_assert_eq!(Header::parse(&msg), Ok(h));
        }
    }
}

//! Frames an honest sender never writes `[QUIC-8]`..`[QUIC-12]`: a kind the spec reserves, a
//! length of 0 or above 16384, and a frame cut short by the end of the stream. The bytes go
//! out through [`crate::controller::Ex::send_raw`], which sends them unframed.

/// Bytes of a frame header: kind (1) and length (2, big-endian) `[QUIC-8]`.
pub const HEADER_LEN: usize = 3;

/// Largest payload a frame may carry `[QUIC-11]`.
pub const MAX_PAYLOAD: usize = 16_384;

/// A frame header claiming `len` payload bytes of `kind`.
pub fn header(kind: u8, len: u16) -> [u8; HEADER_LEN] {
    let [hi, lo] = len.to_be_bytes();
    [kind, hi, lo]
}

/// A complete frame of `kind` around `payload` (at most 65535 bytes; longer is cut).
pub fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len()).unwrap_or(u16::MAX);
    let mut out = header(kind, len).to_vec();
    out.extend(payload.iter().take(usize::from(len)));
    out
}

/// A header announcing `announced` payload bytes followed by only `sent` of them: with the
/// stream finished after it, the frame ends inside its payload `[QUIC-12]`.
pub fn cut_frame(kind: u8, announced: u16, sent: usize) -> Vec<u8> {
    let mut out = header(kind, announced).to_vec();
    out.extend(std::iter::repeat_n(0xa0, sent.min(usize::from(announced))));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_kind_then_big_endian_length() {
        assert_eq!(header(9, 0x1234), [9, 0x12, 0x34]);
        assert_eq!(frame(1, &[0xaa, 0xbb]), vec![1, 0, 2, 0xaa, 0xbb]);
        assert_eq!(cut_frame(1, 10, 3), vec![1, 0, 10, 0xa0, 0xa0, 0xa0]);
        assert_eq!(
            header(1, u16::try_from(MAX_PAYLOAD + 1).unwrap_or(0)),
            [1, 0x40, 0x01]
        );
    }
}

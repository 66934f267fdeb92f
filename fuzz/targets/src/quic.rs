//! QUIC stream framing: `kind ‖ length ‖ payload` (`spec/v1/16-quic.md`).

use crate::alloc;
use orbit_quic::frame::{decode_frame, encode_frame, FrameDecoder, FrameError, MAX_FRAME_PAYLOAD};

/// Target `quic_frames`: the first byte sets the size of the pieces the stream arrives in;
/// the rest is the stream. [`decode_frame`] borrows (allocates nothing), every frame it
/// reads is exactly what [`encode_frame`] writes for it, and its payload is 1 ..=
/// [`MAX_FRAME_PAYLOAD`] bytes [QUIC-8] [QUIC-11]; the reassembling [`FrameDecoder`] fed the
/// stream in pieces yields the same frames and the same error, and at the end reports
/// exactly the bytes of an unfinished frame [QUIC-12].
pub fn frames(data: &[u8]) {
    let Some((piece, stream)) = data.split_first() else {
        return;
    };
    let piece = usize::from(*piece).max(1);

    // One pass over the whole stream with the borrowing decoder.
    let mut expected = Vec::new();
    let mut at = 0usize;
    let outcome: Result<usize, FrameError> = loop {
        let rest = stream.get(at..).unwrap_or_default();
        match alloc::within(0, "decode_frame", || decode_frame(rest)) {
            Ok(Some((frame, used))) => {
                assert!((1..=MAX_FRAME_PAYLOAD).contains(&frame.payload.len()));
                let mut again = Vec::new();
                assert_eq!(encode_frame(frame.kind, frame.payload, &mut again), Ok(()));
                assert_eq!(
                    Some(again.as_slice()),
                    rest.get(..used),
                    "a decoded frame is not what the encoder writes [QUIC-8]"
                );
                expected.push((frame.kind, frame.payload.to_vec()));
                at += used;
            }
            Ok(None) => break Ok(rest.len()),
            Err(e) => break Err(e),
        }
    };

    // The same stream in pieces.
    let mut decoder = FrameDecoder::new();
    let mut got = Vec::new();
    let mut error = None;
    'feed: for chunk in stream.chunks(piece) {
        decoder.push(chunk);
        loop {
            match decoder.next_frame() {
                Ok(Some(frame)) => got.push((frame.kind, frame.payload.to_vec())),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break 'feed;
                }
            }
        }
    }
    assert_eq!(
        got, expected,
        "reassembly in pieces of {piece} changed the frames"
    );
    match outcome {
        Ok(left) => {
            assert_eq!(error, None);
            let finish = decoder.finish();
            if left == 0 {
                assert_eq!(finish, Ok(()));
            } else {
                assert_eq!(finish, Err(FrameError::Truncated { buffered: left }));
            }
        }
        Err(e) => {
            assert_eq!(error, Some(e), "reassembly refused differently");
            assert_eq!(decoder.finish(), Err(e), "a failed decoder stays failed");
        }
    }
}

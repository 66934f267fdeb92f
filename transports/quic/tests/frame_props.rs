//! Property tests of the sans-IO framing ([QUIC-8], [QUIC-11], [QUIC-12]).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use orbit_quic::frame::{decode_frame, encode_frame, FrameDecoder, MAX_FRAME_PAYLOAD};
use orbit_quic::{FrameError, FrameKind};
use proptest::prelude::*;

fn frames() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    let payload = prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 1..64),
        1 => proptest::collection::vec(any::<u8>(), MAX_FRAME_PAYLOAD - 2..=MAX_FRAME_PAYLOAD),
    ];
    proptest::collection::vec((any::<u8>(), payload), 0..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Arbitrary bytes, fed in arbitrary pieces, never panic the decoder; it yields only
    /// frames within the limits, and after an error keeps returning it.
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let _ = decode_frame(&bytes);
        let mut d = FrameDecoder::new();
        let mut rest = &bytes[..];
        let mut failed = None;
        for cut in cuts.iter().chain(std::iter::once(&usize::MAX)) {
            let (piece, tail) = rest.split_at((*cut).min(rest.len()));
            rest = tail;
            d.push(piece);
            loop {
                match d.next_frame() {
                    Ok(Some(f)) => {
                        prop_assert!(failed.is_none());
                        prop_assert!(!f.payload.is_empty() && f.payload.len() <= MAX_FRAME_PAYLOAD);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        prop_assert!(failed.is_none() || failed == Some(e));
                        failed = Some(e);
                        break;
                    }
                }
            }
        }
        let _ = d.finish();
    }

    /// encode → decode of arbitrary frame sequences, split at arbitrary points, gives the
    /// sequence back, and the stream may end after it ([QUIC-8]).
    #[test]
    fn round_trip_split_anywhere(
        frames in frames(),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
    ) {
        let mut bytes = Vec::new();
        for (kind, payload) in &frames {
            encode_frame(FrameKind(*kind), payload, &mut bytes).unwrap();
        }
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.push(bytes.len());
        cuts.sort_unstable();
        let mut d = FrameDecoder::new();
        let mut got = Vec::new();
        let mut at = 0;
        for cut in cuts {
            d.push(&bytes[at..cut]);
            at = cut;
            while let Some(f) = d.next_frame().unwrap() {
                got.push((f.kind.0, f.payload.to_vec()));
            }
        }
        prop_assert_eq!(d.finish(), Ok(()));
        prop_assert_eq!(got, frames);
    }

    /// A stream cut inside a frame is malformed ([QUIC-12]).
    #[test]
    fn truncated_stream_is_malformed(payload in proptest::collection::vec(any::<u8>(), 1..100), keep in any::<usize>()) {
        let mut bytes = Vec::new();
        encode_frame(FrameKind::PROTECTED, &payload, &mut bytes).unwrap();
        let keep = 1 + keep % (bytes.len() - 1);
        let mut d = FrameDecoder::new();
        d.push(&bytes[..keep]);
        prop_assert_eq!(d.next_frame(), Ok(None));
        prop_assert_eq!(d.finish(), Err(FrameError::Truncated { buffered: keep }));
    }
}

//! Transport and discovery (16-quic, 17-discovery): the ALPN, frames an honest sender never
//! writes and what the device does with them, and the DNS-SD adverts.

mod discovery;
mod framing;

use crate::case::{Case, Group};

/// The transport cases.
pub(crate) const CASES: &[Case] = &[
    Group::Transport.must(
        "transport.alpn",
        "A QUIC handshake offering another ALPN protocol, or none, is failed by the device",
        &["QUIC-1"],
        framing::alpn,
    ),
    Group::Transport.must(
        "transport.tls-identity",
        "The device presents a TLS certificate whose key is neither its attestation key nor \
         its operational key",
        &["QUIC-2"],
        framing::tls_identity,
    ),
    Group::Transport.must(
        "transport.stream-directions",
        "The device gives no credit for client-opened unidirectional streams",
        &["QUIC-7"],
        framing::stream_directions,
    ),
    Group::Transport.must(
        "transport.unknown-kind",
        "A frame of a reserved kind gets its stream reset with unknown-kind, and the \
         connection goes on",
        &["QUIC-10", "QUIC-14"],
        framing::unknown_kind,
    ),
    Group::Transport.must(
        "transport.empty-frame",
        "A frame of length 0 gets its stream reset with malformed-frame, and the connection \
         goes on",
        &["QUIC-11", "QUIC-14"],
        framing::empty_frame,
    ),
    Group::Transport.must(
        "transport.frame-too-large",
        "A frame header announcing 16385 bytes gets its stream reset with frame-too-large \
         before any payload is sent, and the connection goes on",
        &["QUIC-11", "QUIC-14"],
        framing::frame_too_large,
    ),
    Group::Transport.must(
        "transport.cut-frame",
        "A stream that ends inside a frame is reset with malformed-frame, and the connection \
         goes on",
        &["QUIC-12", "QUIC-14"],
        framing::cut_frame_case,
    ),
    Group::Transport.must(
        "transport.frame-after-pake3",
        "After accepting pake3 the device finishes the handshake stream; a further frame on it \
         is discarded and the stream stopped with malformed-frame",
        &["QUIC-22"],
        framing::frame_after_pake3,
    ),
    Group::Transport.must(
        "transport.migration",
        "When the suite's address changes mid-connection, the connection and its session go \
         on",
        &["QUIC-19"],
        framing::migration,
    ),
    Group::Transport.must(
        "transport.unknown-reset-code",
        "An exchange the suite resets with an error code the spec does not define ends that \
         exchange only",
        &["QUIC-13", "QUIC-14"],
        framing::unknown_reset_code,
    ),
    Case {
        applies: discovery::applies,
        ..Group::Transport.must(
            "transport.dns-sd-commissionable",
            "While the window is open the device advertises a commissionable _orbit._udp \
             instance with the TXT record of the spec, a fresh name per window, and withdraws \
             it when the window closes",
            &[
                "DISC-1", "DISC-2", "DISC-4", "DISC-5", "DISC-6", "DISC-7", "DISC-8", "DISC-9",
                "DISC-17",
            ],
            discovery::commissionable,
        )
    },
    Case {
        applies: discovery::applies,
        ..Group::Transport.must(
            "transport.dns-sd-operational",
            "The device advertises an operational instance for the suite's home, named by the \
             home's operational instance ID, with m=o and v only",
            &[
                "DISC-10", "DISC-11", "DISC-1", "DISC-2", "DISC-4", "DISC-17", "DISC-26",
            ],
            discovery::operational,
        )
    },
];

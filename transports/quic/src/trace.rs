//! One `tracing` event per thing a side does to a stream or sees of it, under the target
//! [`STREAM_TARGET`]: frames sent and received, finishes, resets and stops in both
//! directions. They let a reader (or a test that writes `spec/v1/vectors/quic-streams.json`)
//! follow exactly how each exchange ends on the wire ([QUIC-6], [QUIC-22], [QUIC-23]).

use crate::Role;

/// The `tracing` target of stream events. Each event has the fields `side` (`client` or
/// `server`), `conn` (the connection's local identifier), `stream` (`bidi N` or `uni N`, N
/// the stream's index among those of its kind and initiator) and `event` (what happened).
pub const STREAM_TARGET: &str = "orbit_quic::stream";

/// Which side and connection a stream belongs to, for its events.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StreamTag {
    pub(crate) side: Role,
    pub(crate) conn: usize,
}

impl StreamTag {
    pub(crate) fn event(&self, id: quinn::StreamId, event: std::fmt::Arguments<'_>) {
        let dir = match id.dir() {
            quinn::Dir::Bi => "bidi",
            quinn::Dir::Uni => "uni",
        };
        tracing::debug!(
            target: STREAM_TARGET,
            side = %self.side,
            conn = self.conn,
            stream = %format_args!("{dir} {}", id.index()),
            event = %event,
        );
    }
}

//! Inputs of a protector and its exportable state, so a session can be moved to another
//! transport object, thread or process without a new handshake `[MSG-3]`, `[MSG-19]`.

use super::header::SessionId;
use super::keys::TrafficSecret;
use super::replay::ReplayWindow;

/// What a handshake hands to message protection `[MSG-4]`. Not comparable: it holds secrets
/// (which erase themselves when dropped).
#[derive(Clone, Debug)]
pub struct SessionKeys {
    /// Traffic secret of the direction this node sends in (the initiator's is the handshake's
    /// initiator-to-responder secret).
    pub send_secret: TrafficSecret,
    /// Traffic secret of the direction this node receives in.
    pub recv_secret: TrafficSecret,
    /// The identifier this node chose to receive on; incoming headers carry it `[MSG-2]`.
    pub local_session_id: SessionId,
    /// The identifier the peer chose; outgoing headers carry it `[MSG-2]`.
    pub peer_session_id: SessionId,
}

/// The complete state of a [`super::Protector`]: secrets of the current generations, counters
/// and the replay window.
///
/// Obtained with [`super::Protector::into_state`], which consumes the protector, so the same
/// send counters cannot be used twice `[MSG-19]`. Secrets never print `[SEC-2]`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ProtectorState {
    /// The identifier this node receives on.
    pub local_session_id: SessionId,
    /// The identifier the peer receives on.
    pub peer_session_id: SessionId,
    /// The sending direction.
    pub send: SendState,
    /// The receiving direction.
    pub recv: RecvState,
}

/// The sending direction's state.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SendState {
    /// Traffic secret of the current send generation.
    pub secret: TrafficSecret,
    /// The current send generation (0 for the handshake's secret) `[MSG-14]`.
    pub generation: u64,
    /// The counter of the next message, or `None` once 2^64 − 1 has been used `[MSG-8]`.
    pub next_counter: Option<u64>,
    /// Messages sealed under the current generation `[MSG-15]`.
    pub sent_in_generation: u64,
    /// Whether the application asked for a key update that has not happened yet.
    pub update_requested: bool,
}

/// The receiving direction's state.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RecvState {
    /// Traffic secret of the current receive generation.
    pub secret: TrafficSecret,
    /// The current receive generation `[MSG-16]`.
    pub generation: u64,
    /// The lowest counter authenticated under the current generation (0 for generation 0)
    /// `[MSG-16]`.
    pub generation_start: u64,
    /// Traffic secret of the previous generation while it is still kept `[MSG-17]`.
    pub previous_secret: Option<TrafficSecret>,
    /// Which counters were accepted `[MSG-12]`.
    pub window: ReplayWindow,
}

//! How the device ends the streams whose ending is not just "answer and finish": handshake
//! streams `[QUIC-22]` and commissioning steps `[QUIC-23]`. Each side reads the other's half
//! to its end, so an exchange that ends normally carries no `STOP_SENDING` `[QUIC-6]`.

use super::core::RouteId;
use super::runner::Shared;
use crate::link::{ErrorCode, Exchange, FrameKind};
use orbit_core::codec::CborMessage;
use orbit_core::session::SessionStatus;
use std::time::{Duration, Instant};

/// The longest a commissioning step's stream waits for the controller's end `[COMM-16]`.
const COMMISSIONING_END_WAIT: Duration = orbit_core::commission::COMMISSIONING_TIMEOUT;

/// Ends a commissioning step after the device's answer `[QUIC-23]`: the controller's end
/// normally came with its message, and the device finishes after it; a second commissioning
/// message on the stream ends commissioning with `unexpected-message` on this stream.
pub(crate) async fn end_commissioning_step(shared: &Shared, route: RouteId, ex: &mut Exchange) {
    tracing::trace!(route, "commissioning step answered");
    match ex.recv_frame_within(COMMISSIONING_END_WAIT).await {
        // The controller's end: the step is over.
        Some(Ok(None)) => {}
        Some(Ok(Some(f))) if f.kind == FrameKind::PROTECTED => {
            let refused = shared
                .lock()
                .refuse_extra_commissioning_message(f.payload.to_vec());
            match refused {
                Ok(Some(sealed)) => {
                    let _ = ex.send_frame(FrameKind::PROTECTED, &sealed).await;
                }
                Ok(None) => {}
                // [MSG-18] [MSG-21] a message that does not open gets no answer.
                Err(e) => tracing::debug!(error = %e, "extra commissioning message dropped"),
            }
            // Whatever else the controller sends on this stream is not read.
            let _ = ex.finish();
            ex.stop(ErrorCode::NO_ERROR);
            return;
        }
        // Another kind of frame has no place on a commissioning stream [QUIC-5].
        Some(Ok(Some(_))) => ex.stop(ErrorCode::MALFORMED_FRAME),
        Some(Err(e)) => tracing::debug!(error = %e, "commissioning stream failed"),
        None => ex.stop(ErrorCode::NO_ERROR),
    }
    let _ = ex.finish();
}

/// After the device's last frame of a handshake (acceptance, refusal or `sigma2-resume`),
/// reads the initiator's half to its end, until `deadline` at most `[QUIC-22]`. A
/// `session-status` after `sigma2-resume` ends the resumed session `resumed`; any other
/// frame breaks [QUIC-5] and stops the stream with `malformed-frame`.
pub(crate) async fn read_handshake_end(
    shared: &Shared,
    ex: &mut Exchange,
    deadline: Instant,
    resumed: Option<u32>,
) {
    let wait = deadline.saturating_duration_since(Instant::now());
    match ex.recv_frame_within(wait).await {
        Some(Ok(None)) => {}
        Some(Ok(Some(f))) if f.kind == FrameKind::SESSION && resumed.is_some() => {
            if let (Ok(status), Some(id)) = (SessionStatus::decode(&f.payload), resumed) {
                tracing::debug!(session = id, status = %status.status, "resumed session refused by the initiator");
                shared.lock().end_session(id);
            } else {
                ex.stop(ErrorCode::MALFORMED_FRAME);
                return;
            }
            // The initiator finishes after its status: read that end too.
            if !matches!(
                ex.recv_frame_within(wait).await,
                Some(Ok(None)) | Some(Err(_))
            ) {
                ex.stop(ErrorCode::MALFORMED_FRAME);
            }
        }
        Some(Ok(Some(_))) => ex.stop(ErrorCode::MALFORMED_FRAME),
        Some(Err(e)) => tracing::debug!(error = %e, "handshake stream failed"),
        None => ex.stop(ErrorCode::NO_ERROR),
    }
}

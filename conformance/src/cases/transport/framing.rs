//! The QUIC transport's own rules `[QUIC-1]`, `[QUIC-10]`..`[QUIC-14]`: the ALPN, and frames
//! an honest sender never writes (built in [`crate::adversarial::framing`]).

use crate::adversarial::framing::{cut_frame, frame, header, MAX_PAYLOAD};
use crate::adversarial::protection::vendor_id_read;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Conn;
use crate::transport::{BoxFuture, ForeignProtocol, TransportError};
use orbit_core::interaction::ClientEvent;
use std::time::Duration;

pub(super) fn alpn(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        for (offer, what) in [
            (vec![b"h3".to_vec()], "only h3"),
            (vec![b"orbit/2".to_vec(), b"h3".to_vec()], "orbit/2 and h3"),
            (Vec::new(), "no ALPN at all"),
        ] {
            let Some(attempt) = ctx.transport().connect_offering(offer) else {
                return Err(Failure::NotApplicable(
                    "the transport negotiates no application protocol".into(),
                ));
            };
            match attempt.await? {
                ForeignProtocol::Refused(reason) => {
                    ctx.note(format!("offering {what}: handshake failed ({reason})"));
                }
                ForeignProtocol::Accepted(selected) => {
                    return Err(Failure::fail(
                        "QUIC-1",
                        format!("the device fails a handshake offering {what} (TLS alert no_application_protocol)"),
                        format!(
                            "the handshake completed with {} selected",
                            selected.map_or("no protocol".to_owned(), |p| {
                                String::from_utf8_lossy(&p).into_owned()
                            })
                        ),
                    ))
                }
            }
        }
        Ok(())
    })
}

/// Sends `bytes` unframed on a new exchange of `conn` (finishing it if `finish`), and
/// returns the code the device reset the exchange with.
async fn reset_code(
    conn: &Conn,
    label: &str,
    bytes: &[u8],
    finish: bool,
) -> Result<Option<u64>, Failure> {
    let mut ex = conn.open().await?;
    match ex.send_raw(label, bytes).await {
        Ok(()) => {}
        // The device may stop the stream before the suite's write completes.
        Err(TransportError::Reset(code)) => return Ok(Some(code)),
        Err(e) => return Err(e.into()),
    }
    if finish {
        ex.finish();
    }
    match ex.recv_within(conn.answer_timeout()).await {
        Err(TransportError::Reset(code)) => Ok(Some(code)),
        Err(TransportError::Timeout(_)) => Ok(None),
        Ok(_) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The connection still serves an honest exchange after a framing error on another stream
/// `[QUIC-14]`: a session as the suite's administrator and a read in it.
async fn still_serving(ctx: &mut Ctx, conn: &Conn) -> Outcome {
    if let Some(reason) = conn.closed() {
        return Err(Failure::fail(
            "QUIC-14",
            "the connection stays open after a framing error on one stream",
            format!("the connection closed: {reason}"),
        ));
    }
    let admin = ctx.admin().await;
    let mut session = ctx.session_as(conn, &admin).await.map_err(|e| {
        Failure::fail(
            "QUIC-14",
            "other exchanges on the connection go on: a session handshake completes",
            e.to_string(),
        )
    })?;
    let read = session.read(vendor_id_read()).await;
    check(
        matches!(read, Ok(ClientEvent::ReadDone { .. })),
        "QUIC-14",
        "other exchanges on the connection go on: a read in the session is answered",
        || format!("{read:?}"),
    )
}

/// One framing case: send `bytes`, expect a reset with `code` under `rule`, then check the
/// connection.
async fn framing_case(
    ctx: &mut Ctx,
    label: &str,
    bytes: &[u8],
    finish: bool,
    code: u64,
    rule: &'static str,
) -> Outcome {
    let conn = ctx.connect().await?;
    let got = reset_code(&conn, label, bytes, finish).await?;
    let outcome = match check(
        got == Some(code),
        rule,
        format!("the stream reset with code {code}"),
        || match got {
            Some(c) => format!("the stream reset with code {c}"),
            None => "no reset of the stream".to_owned(),
        },
    ) {
        Ok(()) => still_serving(ctx, &conn).await,
        Err(e) => Err(e),
    };
    conn.close();
    outcome
}

/// `unknown-kind` `[QUIC-13]`.
const UNKNOWN_KIND: u64 = 3;
/// `malformed-frame` `[QUIC-13]`.
const MALFORMED_FRAME: u64 = 2;
/// `frame-too-large` `[QUIC-13]`.
const FRAME_TOO_LARGE: u64 = 1;

pub(super) fn unknown_kind(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        // Kind 9: reserved [QUIC-9]; the payload is an empty CBOR map.
        framing_case(
            ctx,
            "frame of kind 9",
            &frame(9, &[0xa0]),
            false,
            UNKNOWN_KIND,
            "QUIC-10",
        )
        .await
    })
}

pub(super) fn empty_frame(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        framing_case(
            ctx,
            "pairing frame of length 0",
            &header(1, 0),
            false,
            MALFORMED_FRAME,
            "QUIC-11",
        )
        .await
    })
}

pub(super) fn frame_too_large(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let len = u16::try_from(MAX_PAYLOAD + 1).unwrap_or(u16::MAX);
        // Only the header: the device must reset as soon as it has read the length.
        framing_case(
            ctx,
            "header of a 16385-byte frame",
            &header(1, len),
            false,
            FRAME_TOO_LARGE,
            "QUIC-11",
        )
        .await
    })
}

pub(super) fn cut_frame_case(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        framing_case(
            ctx,
            "frame announcing 40 bytes, 10 sent, then the end",
            &cut_frame(1, 40, 10),
            true,
            MALFORMED_FRAME,
            "QUIC-12",
        )
        .await
    })
}

pub(super) fn unknown_reset_code(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let conn = ctx.connect().await?;
        let mut ex = conn.open().await?;
        // Half a pairing frame, then a reset with a code no version defines.
        ex.send_raw("the header of a pairing frame", &header(1, 50))
            .await?;
        ex.reset(0x7fff);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let outcome = still_serving(ctx, &conn).await.map_err(|f| match f {
            Failure::Fail {
                expected, observed, ..
            } => Failure::fail("QUIC-13", expected, observed),
            other => other,
        });
        conn.close();
        outcome
    })
}

pub(super) fn tls_identity(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let Some(look) = ctx.transport().inspect() else {
            return Err(Failure::NotApplicable(
                "the transport has no TLS certificate to look at".into(),
            ));
        };
        let facts = look.await?;
        ctx.note(format!(
            "TLS: {} certificate(s) of {:?} bytes",
            facts.certificates.len(),
            facts.certificates.iter().map(Vec::len).collect::<Vec<_>>()
        ));
        check(
            !facts.certificates.is_empty(),
            "QUIC-2",
            "a server certificate in the TLS handshake",
            || "none".into(),
        )?;
        let attestation = ctx.facts().attested.device_key.0;
        let operational = {
            let s = ctx.admin_session().await?;
            s.conn().close();
            s.established().peer.public_key.0
        };
        // A certificate for one of these Ed25519 keys carries its 32 bytes in its
        // SubjectPublicKeyInfo.
        let holds = |key: &[u8; 32]| {
            facts
                .certificates
                .iter()
                .any(|c| c.windows(key.len()).any(|w| w == key))
        };
        check(
            !holds(&attestation),
            "QUIC-2",
            "a TLS key other than the device attestation key",
            || "the TLS certificate certifies the attestation key".into(),
        )?;
        check(
            !holds(&operational),
            "QUIC-2",
            "a TLS key other than the operational key of the suite's home",
            || "the TLS certificate certifies the operational key".into(),
        )
    })
}

pub(super) fn stream_directions(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let Some(look) = ctx.transport().inspect() else {
            return Err(Failure::NotApplicable(
                "the transport has no stream directions".into(),
            ));
        };
        let facts = look.await?;
        check(
            !facts.accepts_reserved_stream,
            "QUIC-7",
            "a stream limit of 0 for client-opened unidirectional streams",
            || "the device gave credit for a unidirectional stream from the client".into(),
        )
    })
}

pub(super) fn frame_after_pake3(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        if ctx.transport().ble().is_some() {
            return Err(Failure::NotApplicable(
                "a frame after the device's end of a QUIC stream [QUIC-22]: the suite's BLE \
                 link drops an exchange once the device ended it, so it cannot send on it again"
                    .into(),
            ));
        }
        super::super::window::fresh(ctx).await?;
        let outcome = frame_after_pake3_body(ctx).await;
        super::super::window::closing_after(ctx, outcome).await
    })
}

async fn frame_after_pake3_body(ctx: &mut Ctx) -> Outcome {
    use super::super::commission_steps::end_commissioning;
    use super::super::pase_steps::to_pake2;
    use crate::transport::MessageKind;
    use orbit_core::codec::CborMessage;
    let conn = ctx.connect().await?;
    let passcode = ctx.facts().setup.passcode();
    let at = to_pake2(ctx, &conn, passcode).await?.map_err(|r| {
        Failure::Inconclusive(format!(
            "PASE did not reach pake2: {} instead of {}",
            r.answer, r.at
        ))
    })?;
    let (keys, pake3) = at
        .state
        .handle(&at.pake2, std::time::Instant::now())
        .map_err(|e| Failure::Inconclusive(format!("the device's pake2 does not verify: {e}")))?;
    let mut ex = at.ex;
    // pake3 without the end of the stream that should come with it [QUIC-22].
    ex.send(
        MessageKind::Pairing,
        "pake3 (stream left open)",
        &pake3.to_bytes(),
    )
    .await?;
    let end = ex.recv_within(conn.answer_timeout()).await;
    let mut stopped = None;
    if matches!(end, Ok(None)) {
        ctx.note("the device accepted pake3; now a further frame on the handshake stream");
        for _ in 0..20 {
            match ex
                .send(
                    MessageKind::Pairing,
                    "pake3 again (after the last message)",
                    &pake3.to_bytes(),
                )
                .await
            {
                Err(TransportError::Reset(code)) => {
                    stopped = Some(code);
                    break;
                }
                Err(e) => return Err(e.into()),
                Ok(()) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
    ex.reset(0);
    let mut protector = orbit_core::protect::Protector::new(
        keys.session_keys(),
        orbit_core::protect::ProtectConfig::default(),
    )
    .map_err(|e| Failure::Inconclusive(e.to_string()))?;
    let _ = end_commissioning(&conn, &mut protector).await;
    conn.close();
    check(
        matches!(end, Ok(None)),
        "QUIC-22",
        "after accepting pake3 the device finishes its half of the stream without a frame",
        || format!("{end:?}"),
    )?;
    check(
        stopped == Some(MALFORMED_FRAME),
        "QUIC-22",
        "a frame after the initiator's last handshake message: the device stops the stream \
         with malformed-frame",
        || match stopped {
            Some(c) => format!("stopped with code {c}"),
            None => "the stream was not stopped within 1 s".into(),
        },
    )
}

pub(super) fn migration(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let conn = ctx.connect().await?;
        let admin = ctx.admin().await;
        let mut session = ctx
            .session_as(&conn, &admin)
            .await
            .map_err(|e| Failure::Inconclusive(format!("the administrator's session: {e}")))?;
        let before = session.read(vendor_id_read()).await;
        if !matches!(before, Ok(ClientEvent::ReadDone { .. })) {
            conn.close();
            return Err(Failure::Inconclusive(format!(
                "a read before the move was not answered: {before:?}"
            )));
        }
        let Some(moved) = ctx.transport().migrate() else {
            conn.close();
            return Err(Failure::NotApplicable(
                "the transport has no connection migration".into(),
            ));
        };
        moved?;
        ctx.note("the suite's socket moved to a new local port; the same connection goes on");
        let after = session.read(vendor_id_read()).await;
        conn.close();
        check(
            matches!(after, Ok(ClientEvent::ReadDone { .. })),
            "QUIC-19",
            "the connection continues from the client's new address: the read is answered",
            || format!("{after:?}"),
        )
    })
}

//! The attestation step `[ATT-*]`, `[COMM-9]` and what surrounds it: commissioning abandoned
//! by the transport, commissioning messages outside the PASE session, and a second message on
//! one step's stream.

use super::super::commission_steps::{end_commissioning, pase_channel, sealed_exchange};
use super::super::window;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Conn;
use crate::transport::{BoxFuture, MessageKind, TransportError};
use orbit_core::codec::CborMessage;
use orbit_core::commission::{
    AttestationRequest, AttestationResponse, AttestationVerified, CommissionError, Commissioner,
    CommissioningComplete,
};
use orbit_core::pairing::PairingKeys;
use orbit_core::protect::Protector;
use orbit_core::status::Status;
use std::time::{Duration, Instant};

/// Runs the attestation step in the PASE session and checks the answer as a controller must
/// `[COMM-5]`, `[COMM-6]`; a device answer that breaks a rule is that rule's FAIL.
pub(super) async fn attest(
    ctx: &mut Ctx,
    conn: &Conn,
    keys: &PairingKeys,
    protector: &mut Protector,
) -> Result<AttestationVerified, Failure> {
    let mut plain = Vec::new();
    let state = Commissioner {
        challenge: keys.attestation_challenge,
        expected_product: ctx.facts().setup.vendor_product(),
    }
    .start(ctx.rng(), Instant::now(), &mut plain)
    .map_err(|e| Failure::Inconclusive(e.to_string()))?;
    let reply = sealed_exchange(conn, protector, "attestation-request", &plain)
        .await
        .map_err(|e| {
            Failure::fail(
                "COMM-9",
                "an attestation-response to attestation-request, in the PASE session",
                e,
            )
        })?;
    let mut report = Vec::new();
    let trust = ctx.trust().clone();
    match state.handle(
        &trust,
        &reply,
        Instant::now(),
        crate::unix_now(),
        &mut report,
    ) {
        Ok(verified) => {
            let d = verified.device();
            ctx.note(format!(
                "attested: vendor {:#06x}, product {:#06x}, serial {}",
                d.vendor_id, d.product_id, d.serial
            ));
            Ok(verified)
        }
        Err(CommissionError::Attestation(e)) => Err(Failure::fail(
            "ATT-1",
            "a chain [product, device] under a vendor root the suite trusts, valid now",
            e.to_string(),
        )),
        Err(CommissionError::BadAttestationSignature) => Err(Failure::fail(
            "ATT-6",
            "a signature by the device key over the label, this PASE session's challenge, the \
             suite's nonce and the operational key",
            "the signature does not verify",
        )),
        Err(e @ CommissionError::ProductMismatch { .. }) => Err(Failure::fail(
            "COMM-6",
            "the chain certifies the vendor and product of the device's setup code",
            e.to_string(),
        )),
        Err(e @ (CommissionError::Codec(_) | CommissionError::UnexpectedMessage { .. })) => {
            Err(Failure::fail(
                "ATT-2",
                "an attestation-response as the CDDL gives it: chain [product, device], key, \
                 signature",
                e.to_string(),
            ))
        }
        Err(e) => Err(Failure::fail(
            "COMM-9",
            "an attestation-response",
            e.to_string(),
        )),
    }
}

/// [`attest`] as set-up for a case about what follows it: a failure of the attestation
/// itself is INCONCLUSIVE there (`commissioning.attestation` judges it, under its own rules).
pub(super) async fn attest_for_setup(
    ctx: &mut Ctx,
    conn: &Conn,
    keys: &PairingKeys,
    protector: &mut Protector,
) -> Result<AttestationVerified, Failure> {
    attest(ctx, conn, keys, protector)
        .await
        .map_err(|f| match f {
            Failure::Fail { rule, observed, .. } => Failure::Inconclusive(format!(
            "the attestation step failed ({rule}: {observed}); commissioning.attestation judges it"
        )),
            other => other,
        })
}

pub(super) fn attestation(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = attestation_body(ctx).await;
        window::closing_after(ctx, outcome).await
    })
}

async fn attestation_body(ctx: &mut Ctx) -> Outcome {
    let conn = ctx.connect().await?;
    let (keys, mut protector) = pase_channel(ctx, &conn).await?;
    let verified = attest(ctx, &conn, &keys, &mut protector).await;
    let answered = end_commissioning(&conn, &mut protector).await;
    conn.close();
    let verified = verified?;
    let probed = &ctx.facts().attested;
    check(
        verified.device().device_key == probed.device_key,
        "ATT-1",
        "the same device attestation key in every commissioning",
        || "another attestation key than the one the suite's own pairing saw".to_owned(),
    )?;
    check(
        verified.operational_key() != &verified.device().device_key,
        "ATT-9",
        "an operational key other than the device attestation key",
        || "the operational key is the attestation key".to_owned(),
    )?;
    check(
        answered.is_none(),
        "COMM-15",
        "no answer to the controller's commissioning-complete",
        || answered.clone().unwrap_or_default(),
    )
}

/// PASE on a new connection, waiting up to 2 s for the window to reopen after a rollback;
/// `Err(FAIL COMM-29)` when the device keeps it closed.
async fn pase_after_rollback(ctx: &mut Ctx) -> Result<(Conn, PairingKeys, Protector), Failure> {
    let conn = ctx.connect().await?;
    match pase_channel(ctx, &conn).await {
        Ok((keys, protector)) => Ok((conn, keys, protector)),
        Err(Failure::Inconclusive(why)) if why.contains("pairing-window-closed") => {
            conn.close();
            Err(Failure::fail(
                "COMM-29",
                "after the rollback the window is open again (for at least 3 minutes)",
                why,
            ))
        }
        Err(e) => {
            conn.close();
            Err(e)
        }
    }
}

async fn homes(ctx: &mut Ctx) -> Result<Vec<u64>, Failure> {
    super::homes::home_ids(ctx).await
}

pub(super) fn abandoned(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = abandoned_body(ctx).await;
        window::closing_after(ctx, outcome).await
    })
}

async fn abandoned_body(ctx: &mut Ctx) -> Outcome {
    let before = homes(ctx).await?;
    let conn = ctx.connect().await?;
    let (keys, mut protector) = pase_channel(ctx, &conn).await?;
    let first = attest_for_setup(ctx, &conn, &keys, &mut protector).await?;
    ctx.note("attested; closing the PASE connection without install-home");
    conn.close();
    let (conn, keys, mut protector) = pase_after_rollback(ctx).await?;
    let second = attest_for_setup(ctx, &conn, &keys, &mut protector).await;
    end_commissioning(&conn, &mut protector).await;
    conn.close();
    let second = second?;
    check(
        first.operational_key() != second.operational_key(),
        "COMM-9",
        "a new operational key for each commissioning",
        || "the same operational key as in the abandoned commissioning".to_owned(),
    )?;
    let after = homes(ctx).await?;
    check(
        after == before,
        "COMM-14",
        format!("the homes the device had before: {before:x?}"),
        || format!("{after:x?}"),
    )
}

pub(super) fn outside_pase(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let mut session = ctx.admin_session().await?;
        let mut nonce = [0u8; 32];
        let _ = ctx.rng().fill(&mut nonce);
        let request = AttestationRequest { nonce }.to_bytes();
        let sealed = session
            .seal("attestation-request in an operational session", &request)
            .map_err(Failure::Inconclusive)?;
        let answered = session
            .send_record("attestation-request (operational session)", &sealed)
            .await;
        let answer = match answered {
            Ok(Some(record)) => session.open_record(&record).ok(),
            Ok(None) | Err(TransportError::Reset(_)) => None,
            Err(e) => return Err(e.into()),
        };
        check(
            answer
                .as_deref()
                .is_none_or(|a| AttestationResponse::decode(a).is_err()),
            "COMM-1",
            "no attestation-response outside a PASE session",
            || "an attestation-response to a request sealed in an operational session".into(),
        )?;
        // The same request unsealed, as a protected frame: not a message of any session.
        let conn = session.conn().clone();
        let mut ex = conn.open().await?;
        ex.send(
            MessageKind::Protected,
            "attestation-request (unsealed)",
            &request,
        )
        .await?;
        ex.finish();
        let got = ex.recv_within(Duration::from_secs(2)).await;
        ex.drain().await;
        conn.close();
        match got {
            Ok(Some(m)) if AttestationResponse::decode(&m.payload).is_ok() => Err(Failure::fail(
                "COMM-1",
                "no attestation-response to an unsealed attestation-request",
                "an attestation-response",
            )),
            _ => Ok(()),
        }
    })
}

pub(super) fn second_message(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = second_message_body(ctx).await;
        window::closing_after(ctx, outcome).await
    })
}

async fn second_message_body(ctx: &mut Ctx) -> Outcome {
    let conn = ctx.connect().await?;
    let (_keys, mut protector) = pase_channel(ctx, &conn).await?;
    let mut seal = |label: &str, plain: &[u8]| -> Result<Vec<u8>, Failure> {
        conn.evidence().sent(format!("plaintext {label}"), plain);
        let mut out = Vec::new();
        protector
            .seal(plain, &mut out)
            .map_err(|e| Failure::Inconclusive(e.to_string()))?;
        Ok(out)
    };
    let mut nonce = [0u8; 32];
    let _ = ctx.rng().fill(&mut nonce);
    let first = seal(
        "attestation-request",
        &AttestationRequest { nonce }.to_bytes(),
    )?;
    let again = seal(
        "attestation-request again",
        &AttestationRequest { nonce }.to_bytes(),
    )?;
    let mut ex = conn.open().await?;
    ex.send(MessageKind::Protected, "attestation-request", &first)
        .await?;
    let got = ex.recv().await;
    let Ok(Some(_)) = got else {
        conn.close();
        return Err(Failure::Inconclusive(format!(
            "no attestation-response on a stream the suite kept open: {got:?}"
        )));
    };
    ctx.note("a second commissioning message on the same stream");
    ex.send(MessageKind::Protected, "attestation-request again", &again)
        .await?;
    ex.finish();
    let got = ex.recv().await;
    let end = ex.recv_within(Duration::from_secs(2)).await;
    let opened = match &got {
        Ok(Some(m)) if m.kind == MessageKind::Protected => {
            let mut record = m.payload.clone();
            protector.open(&mut record).ok().map(|p| p.payload.to_vec())
        }
        _ => None,
    };
    conn.close();
    let status = opened
        .as_deref()
        .and_then(|p| CommissioningComplete::decode(p).ok())
        .map(|c| c.status);
    check(
        status == Some(Status::UNEXPECTED_MESSAGE),
        "COMM-3",
        "commissioning-complete with unexpected-message on that stream",
        || match (&got, &status) {
            (_, Some(s)) => format!("commissioning-complete {s}"),
            (Ok(Some(m)), None) => {
                format!("a {} message that is not commissioning-complete", m.kind)
            }
            (other, None) => format!("{other:?}"),
        },
    )?;
    check(
        matches!(end, Ok(None)),
        "QUIC-23",
        "the device finishes the stream after its commissioning-complete",
        || format!("{end:?}"),
    )
}

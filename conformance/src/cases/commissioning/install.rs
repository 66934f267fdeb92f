//! `install-home` the device must refuse `[COMM-11]`, `[HOME-4]`, `[CERT-6]`, `[CERT-8]`, and a
//! commissioning message over its limits `[COMM-18]`.

use super::super::commission_steps::{end_commissioning, pase_channel, sealed_exchange};
use super::super::window;
use super::attestation::attest_for_setup;
use super::homes::home_ids;
use crate::adversarial::commissioning::{
    install_home, oversized_attestation_request, BadInstall, OutOfOrder,
};
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::SuiteHome;
use crate::transport::BoxFuture;
use orbit_core::codec::CborMessage;
use orbit_core::commission::CommissioningComplete;
use orbit_core::crypto::SeededRandom;
use orbit_core::status::Status;

/// The status of the device's answer if it is a `commissioning-complete`.
fn complete_status(answer: &Result<Vec<u8>, String>) -> Option<Status> {
    answer
        .as_ref()
        .ok()
        .and_then(|p| CommissioningComplete::decode(p).ok())
        .map(|c| c.status)
}

pub(super) fn bad_install_home(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = bad_install_home_body(ctx).await;
        window::closing_after(ctx, outcome).await
    })
}

async fn bad_install_home_body(ctx: &mut Ctx) -> Outcome {
    let before = home_ids(ctx).await?;
    let mut rng = SeededRandom::new(ctx.seed() ^ 0x1a57_a11e);
    let mut home = SuiteHome::create(&mut rng)
        .map_err(|e| Failure::Inconclusive(format!("making a home: {e}")))?;
    let mut other = SuiteHome::create(&mut rng)
        .map_err(|e| Failure::Inconclusive(format!("making a home: {e}")))?;
    for bad in BadInstall::ALL {
        // Each refusal ends commissioning and rolls back; the window reopens for the next
        // one [COMM-29], which pase_channel waits for.
        let conn = ctx.connect().await?;
        let (keys, mut protector) = pase_channel(ctx, &conn).await?;
        let verified = match attest_for_setup(ctx, &conn, &keys, &mut protector).await {
            Ok(v) => v,
            Err(e) => {
                conn.close();
                return Err(e);
            }
        };
        ctx.note(format!("install-home with {}", bad.describe()));
        let node = home.next_device_node();
        let admin = home.admin_node();
        let message = install_home(
            bad,
            home.authority_mut(),
            other.authority_mut(),
            verified.operational_key(),
            &verified.device().device_key,
            node,
            admin,
            crate::unix_now(),
        );
        let answer =
            sealed_exchange(&conn, &mut protector, "install-home (refused)", &message).await;
        let status = complete_status(&answer);
        if status == Some(Status::SUCCESS) {
            // Roll the accepted home back before failing: the connection's close does it
            // [COMM-28], and the case's end removes nothing else.
            conn.close();
            return Err(Failure::fail(
                bad.rule(),
                format!(
                    "commissioning-complete invalid-certificate for {}",
                    bad.describe()
                ),
                "commissioning-complete success",
            ));
        }
        if status.is_none() {
            let _ = end_commissioning(&conn, &mut protector).await;
        }
        conn.close();
        check(
            status == Some(Status::INVALID_CERTIFICATE),
            "COMM-11",
            format!(
                "commissioning-complete invalid-certificate for {}",
                bad.describe()
            ),
            || match (&answer, status) {
                (_, Some(s)) => format!("commissioning-complete {s}"),
                (Ok(_), None) => "an answer that is not commissioning-complete".into(),
                (Err(e), None) => e.clone(),
            },
        )?;
    }
    let after = home_ids(ctx).await?;
    check(
        after == before,
        "COMM-14",
        format!("the homes the device had before: {before:x?}"),
        || format!("{after:x?}"),
    )
}

pub(super) fn oversized_message(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = oversized_message_body(ctx).await;
        window::closing_after(ctx, outcome).await
    })
}

async fn oversized_message_body(ctx: &mut Ctx) -> Outcome {
    let conn = ctx.connect().await?;
    let (_keys, mut protector) = pase_channel(ctx, &conn).await?;
    let mut nonce = [0u8; 32];
    let _ = ctx.rng().fill(&mut nonce);
    let message = oversized_attestation_request(&nonce);
    let answer = sealed_exchange(
        &conn,
        &mut protector,
        "attestation-request over 128 bytes",
        &message,
    )
    .await;
    let status = complete_status(&answer);
    if status.is_none() {
        let _ = end_commissioning(&conn, &mut protector).await;
    }
    conn.close();
    check(
        status == Some(Status::RESOURCE_EXHAUSTED),
        "COMM-18",
        "commissioning-complete resource-exhausted",
        || match (&answer, status) {
            (_, Some(s)) => format!("commissioning-complete {s}"),
            (Ok(_), None) => "an answer that is not commissioning-complete".into(),
            (Err(e), None) => e.clone(),
        },
    )
}

pub(super) fn out_of_order(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = out_of_order_body(ctx).await;
        window::closing_after(ctx, outcome).await
    })
}

async fn out_of_order_body(ctx: &mut Ctx) -> Outcome {
    let mut rng = SeededRandom::new(ctx.seed() ^ 0x0d15_0dde);
    let mut home = SuiteHome::create(&mut rng)
        .map_err(|e| Failure::Inconclusive(format!("making a home: {e}")))?;
    let key = ctx.facts().attested.device_key;
    for wrong in OutOfOrder::ALL {
        // Each refusal ends commissioning; the window reopens for the next one [COMM-29].
        let conn = ctx.connect().await?;
        let (_keys, mut protector) = pase_channel(ctx, &conn).await?;
        let message = wrong.bytes(home.authority_mut(), &key, crate::unix_now());
        ctx.note(format!("first commissioning message: {}", wrong.describe()));
        let answer = sealed_exchange(&conn, &mut protector, wrong.describe(), &message).await;
        let status = complete_status(&answer);
        if status.is_none() {
            let _ = end_commissioning(&conn, &mut protector).await;
        }
        conn.close();
        check(
            status == Some(Status::UNEXPECTED_MESSAGE),
            "COMM-3",
            format!(
                "commissioning-complete unexpected-message for {}",
                wrong.describe()
            ),
            || match (&answer, status) {
                (_, Some(s)) => format!("commissioning-complete {s}"),
                (Ok(_), None) => "an answer that is not commissioning-complete".into(),
                (Err(e), None) => e.clone(),
            },
        )?;
    }
    Ok(())
}

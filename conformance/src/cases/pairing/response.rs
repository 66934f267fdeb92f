//! What the device's `pbkdf-param-response` must carry `[PAIR-5]`, `[PAIR-6]`, `[PAIR-9]`,
//! and what the setup code the operator gave must be `[SETUP-1]`, `[SETUP-5]`, `[SETUP-6]`.

use super::super::pase_steps::{abandon, close_ex, send_first, Answer};
use super::super::window;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Conn;
use crate::facts::SetupCode;
use crate::transport::BoxFuture;
use orbit_core::codec::CborMessage;
use orbit_core::pairing::{PbkdfParamRequest, PbkdfParamResponse, PBKDF_ITERATIONS, RANDOM_LEN};
use orbit_core::setup::{PairingFlow, TransportFlags};
use orbit_core::status::Status;
use orbit_core::version::{ProtocolVersion, VersionRange};

/// Sends a request offering `min..=max` and `has_params`, and returns the device's answer
/// with the request's random; an accepted handshake is abandoned before `pake1`.
async fn ask(
    ctx: &mut Ctx,
    conn: &Conn,
    min: u16,
    max: u16,
    has_params: bool,
) -> Result<(Answer, [u8; RANDOM_LEN]), Failure> {
    let mut controller_random = [0u8; RANDOM_LEN];
    let _ = ctx.rng().fill(&mut controller_random);
    let request = PbkdfParamRequest {
        controller_random,
        controller_session_id: 0x0c0f_0001,
        versions: VersionRange {
            min: ProtocolVersion(min),
            max: ProtocolVersion(max),
        },
        has_pbkdf_params: has_params,
    };
    let label = format!("pbkdf-param-request (versions {min}..={max}, has-params {has_params})");
    let (mut ex, got) = send_first(conn, &label, &request.to_bytes()).await?;
    if matches!(got, Answer::Message(_)) {
        abandon(&mut ex).await;
    } else {
        close_ex(&mut ex).await;
    }
    Ok((got, controller_random))
}

/// The device's answer as a `pbkdf-param-response` that echoes `random` `[PAIR-5]`.
fn response(got: &Answer, random: &[u8; RANDOM_LEN]) -> Result<PbkdfParamResponse, Failure> {
    let Answer::Message(bytes) = got else {
        return Err(Failure::fail(
            "PAIR-5",
            "a pbkdf-param-response",
            got.to_string(),
        ));
    };
    let r = PbkdfParamResponse::decode(bytes).map_err(|e| {
        Failure::fail(
            "PAIR-5",
            "a pbkdf-param-response as the CDDL gives it",
            e.to_string(),
        )
    })?;
    check(
        &r.controller_random == random,
        "PAIR-5",
        "the controller random echoed",
        || "another random".into(),
    )?;
    Ok(r)
}

pub(super) fn pbkdf_response(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = pbkdf_response_body(ctx).await;
        window::closing_after(ctx, outcome).await
    })
}

async fn pbkdf_response_body(ctx: &mut Ctx) -> Outcome {
    let conn = ctx.connect().await?;
    let (got, random) = ask(ctx, &conn, 1, 1, false).await?;
    let first = response(&got, &random)?;
    let Some(params) = &first.pbkdf else {
        return Err(Failure::fail(
            "PAIR-5",
            "PBKDF2 iterations and salt when has-pbkdf-params is false",
            "neither",
        ));
    };
    check(
        PBKDF_ITERATIONS.contains(&params.iterations) && (16..=32).contains(&params.salt.len()),
        "PAIR-6",
        "1000..=100000 iterations and a salt of 16 to 32 bytes",
        || {
            format!(
                "{} iterations, {} bytes of salt",
                params.iterations,
                params.salt.len()
            )
        },
    )?;
    check(
        first.version == ProtocolVersion(1) && first.device_versions.min.0 <= 1,
        "PAIR-9",
        "version 1 chosen for an offer of 1..=1, from a range that includes 1",
        || format!("{:?} from {:?}", first.version, first.device_versions),
    )?;
    let (got, random) = ask(ctx, &conn, 1, 1, true).await?;
    let second = response(&got, &random)?;
    check(
        second.pbkdf.is_none(),
        "PAIR-5",
        "no PBKDF2 parameters when has-pbkdf-params is true",
        || format!("{:?}", second.pbkdf),
    )?;
    check(
        second.device_random != first.device_random,
        "PAIR-5",
        "32 fresh random bytes of the device in each response",
        || "the same device random twice".into(),
    )?;
    // [PAIR-9] [VER-2] the highest version in both ranges.
    let device_max = first.device_versions.max.0;
    let offer_max = device_max.saturating_add(3);
    let (got, random) = ask(ctx, &conn, 1, offer_max, false).await?;
    let wide = response(&got, &random)?;
    check(
        wide.version.0 == device_max,
        "PAIR-9",
        format!("version {device_max}, the highest in both 1..={offer_max} and the device's range"),
        || format!("{:?}", wide.version),
    )?;
    let above = device_max.saturating_add(1);
    if above > device_max {
        let (got, _) = ask(ctx, &conn, above, above.saturating_add(2), false).await?;
        conn.close();
        return check(
            got.is_plain(Status::NO_COMMON_VERSION),
            "PAIR-9",
            format!("no-common-version for an offer of {above}.. only"),
            || got.to_string(),
        );
    }
    conn.close();
    Ok(())
}

pub(super) fn setup_code(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        // The code parsed (the run would not have started otherwise), so its passcode is
        // valid by [SETUP-1]'s decoder rules, and the device paired with it.
        let SetupCode::Qr(payload) = &ctx.facts().setup else {
            return Err(Failure::NotApplicable(
                "a manual code carries no transports or pairing flow".into(),
            ));
        };
        let transports = payload.transports;
        let flow = payload.flow;
        check(
            transports.contains(TransportFlags::IP),
            "SETUP-5",
            "the IP bit set: the device accepts pairing over QUIC, as the suite's own pairing showed",
            || format!("transports {:#04x}", transports.bits()),
        )?;
        check(
            transports.unknown_bits() == 0,
            "SETUP-5",
            "no reserved transport bits",
            || format!("transports {:#04x}", transports.bits()),
        )?;
        check(
            flow.value() != PairingFlow::MAX,
            "SETUP-6",
            "a pairing flow other than the reserved 3",
            || "pairing flow 3".into(),
        )
    })
}

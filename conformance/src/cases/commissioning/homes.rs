//! Homes: the same home twice `[HOME-6]`, a second home `[ACL-10]` and the removal of a home
//! `[ACL-9]`, `[HOME-7]`.

use super::super::commission_steps::{end_commissioning, pase_channel, sealed_exchange};
use super::super::window;
use super::attestation::attest_for_setup;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::{commission, Session, SessionOpenError, SuiteHome};
use crate::transport::BoxFuture;
use orbit_core::commission::{CommissionError, NodeAssignment};
use orbit_core::crypto::SeededRandom;
use orbit_core::interaction::{AttributePath, ClientEvent, ReadRequest};
use orbit_core::model::{std_caps, AttributeId, CapabilityId, Data, EndpointId};
use orbit_core::session::Ticket;
use orbit_core::status::Status;
use std::time::Instant;

/// Reads one attribute of endpoint 0 in `session`.
async fn read_root(
    session: &mut Session,
    capability: CapabilityId,
    attribute: AttributeId,
) -> Result<Result<Data, Status>, String> {
    let request = ReadRequest {
        attributes: vec![AttributePath::concrete(
            EndpointId::ROOT,
            capability,
            attribute,
        )],
        events: Vec::new(),
        event_min: None,
    };
    match session.read(request).await? {
        ClientEvent::ReadDone { attributes, .. } => attributes
            .into_iter()
            .next()
            .map(|a| a.result)
            .ok_or_else(|| "an empty read answer".to_owned()),
        other => Err(format!("{other:?} instead of a read answer")),
    }
}

/// The `home-id` of each entry of an `administration.homes` value.
fn ids_of(homes: &Data) -> Vec<u64> {
    match homes {
        Data::List(items) => items
            .iter()
            .filter_map(|h| h.field(0).and_then(Data::as_u64))
            .collect(),
        _ => Vec::new(),
    }
}

/// The homes the device lists to the suite's administrator, sorted.
pub(super) async fn home_ids(ctx: &mut Ctx) -> Result<Vec<u64>, Failure> {
    use std_caps::administration::{attributes, ID};
    let mut s = ctx.admin_session().await?;
    let r = read_root(&mut s, ID, attributes::HOMES).await;
    s.conn().close();
    match r {
        Ok(Ok(d)) => {
            let mut ids = ids_of(&d);
            ids.sort_unstable();
            Ok(ids)
        }
        other => Err(Failure::Inconclusive(format!(
            "reading administration.homes as administrator: {other:?}"
        ))),
    }
}

pub(super) fn same_home_twice(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        window::fresh(ctx).await?;
        let outcome = same_home_twice_body(ctx).await;
        window::closing_after(ctx, outcome).await
    })
}

async fn same_home_twice_body(ctx: &mut Ctx) -> Outcome {
    let before = home_ids(ctx).await?;
    let conn = ctx.connect().await?;
    let (keys, mut protector) = pase_channel(ctx, &conn).await?;
    let verified = match attest_for_setup(ctx, &conn, &keys, &mut protector).await {
        Ok(v) => v,
        Err(e) => {
            end_commissioning(&conn, &mut protector).await;
            conn.close();
            return Err(e);
        }
    };
    let mut install = Vec::new();
    let installing = {
        let mut home = ctx.home().await;
        let assignment = NodeAssignment {
            node_id: home.next_device_node(),
            validity: home.validity(),
            admin_node_id: Some(home.admin_node()),
        };
        verified.install(
            home.authority_mut(),
            assignment,
            Instant::now(),
            crate::unix_now(),
            &mut install,
        )
    };
    let installing = match installing {
        Ok(i) => i,
        Err(e) => {
            conn.close();
            return Err(Failure::Inconclusive(format!("building install-home: {e}")));
        }
    };
    ctx.note("install-home of the suite's own home, which the device already belongs to");
    let reply = sealed_exchange(&conn, &mut protector, "install-home (same home)", &install).await;
    let result = reply.map(|r| installing.handle(&r, Instant::now(), &mut Vec::new()));
    end_commissioning(&conn, &mut protector).await;
    conn.close();
    match result {
        Ok(Err(CommissionError::PeerStatus(s))) if s == Status::INVALID_PARAMETER => {}
        Ok(Ok(_)) => {
            return Err(Failure::fail(
                "HOME-6",
                "a second commissioning into a home the device belongs to fails",
                "commissioning-complete success",
            ))
        }
        other => {
            return Err(Failure::fail(
                "COMM-13",
                "commissioning-complete with invalid-parameter",
                format!("{other:?}"),
            ))
        }
    }
    let after = home_ids(ctx).await.map_err(|e| {
        Failure::fail(
            "HOME-6",
            "the existing membership unchanged: its administrator still gets a session",
            format!("{e:?}"),
        )
    })?;
    check(
        after == before,
        "HOME-6",
        format!("the same homes as before: {before:x?}"),
        || format!("{after:x?}"),
    )
}

pub(super) fn second_home(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        // [ACL-10] the suite's administrator lets another home join.
        window::fresh(ctx).await?;
        let mut rng = SeededRandom::new(ctx.seed() ^ 0x5ec0_4d40);
        let mut other = SuiteHome::create(&mut rng)
            .map_err(|e| Failure::Inconclusive(format!("making a second home: {e}")))?;
        let outcome = second_home_body(ctx, &mut other, &mut rng).await;
        // Whatever happened, the second home must not stay on the device.
        let removed = remove_home(ctx, other.home_id()).await;
        let outcome = match (outcome, removed) {
            (Err(e), _) => Err(e),
            (Ok(()), Ok(Ok(_))) => Ok(()),
            (Ok(()), Ok(Err(s))) if s == Status::CONSTRAINT_ERROR => Ok(()),
            (Ok(()), other) => Err(Failure::Inconclusive(format!(
                "removing the second home at the end: {other:?}"
            ))),
        };
        window::closing_after(ctx, outcome).await
    })
}

async fn remove_home(ctx: &mut Ctx, home_id: u64) -> Result<Result<Data, Status>, Failure> {
    use std_caps::administration::commands::REMOVE_HOME;
    window::admin_command(
        ctx,
        REMOVE_HOME,
        Data::Struct(vec![(0, Data::Uint(home_id))]),
        false,
    )
    .await
}

async fn second_home_body(ctx: &mut Ctx, other: &mut SuiteHome, rng: &mut SeededRandom) -> Outcome {
    let conn = ctx.connect().await?;
    let passcode = ctx.facts().setup.passcode();
    let keys = ctx.pase(&conn, passcode).await.map_err(|e| {
        Failure::fail(
            "ACL-10",
            "after open-pairing-window another home pairs as any first home does",
            e.to_string(),
        )
    })?;
    let trust = ctx.trust().clone();
    let expected = ctx.facts().setup.vendor_product();
    let commissioned = commission(&conn, &keys, &trust, expected, other, rng)
        .await
        .map_err(|e| {
            Failure::fail(
                "COMM-13",
                "commissioning-complete success for a second home",
                e,
            )
        })?;
    let node = commissioned.device.node_id;
    // [HOME-2] a distinct operational key in each home.
    let in_b = *commissioned.device.operational_cert.public_key();
    let in_a = {
        let s = ctx.admin_session().await?;
        s.conn().close();
        s.established().peer.public_key
    };
    check(
        in_a != in_b,
        "HOME-2",
        "an operational key for the second home other than the first home's",
        || "the same operational key in both homes".to_owned(),
    )?;
    let mut b = Session::open(&conn, other.admin(), node, None, rng)
        .await
        .map_err(|e| {
            Failure::fail(
                "COMM-27",
                "the second home's first session completes (and confirms the home)",
                e.to_string(),
            )
        })?;
    // Kept by its parts: tickets are not `Clone`, so that a secret is copied on purpose only.
    let ticket = b.established().ticket.as_ref().map(|t| {
        Ticket::from_parts(
            t.id,
            *t.secret(),
            t.home_id,
            t.peer.clone(),
            t.expires_unix,
            t.hard_limit_unix,
        )
    });
    // [ACL-6] [ACL-7] the second home's administrator sees exactly its own home's entry.
    let acl = read_root(
        &mut b,
        std_caps::access_control::ID,
        std_caps::access_control::attributes::ACL,
    )
    .await;
    let expected_acl = Data::List(vec![Data::Struct(vec![
        (0, Data::Uint(other.home_id())),
        (1, Data::Uint(other.admin_node())),
        (2, Data::Uint(4)),
    ])]);
    match &acl {
        Ok(Ok(d)) if d == &expected_acl => {}
        Ok(Ok(Data::List(entries)))
            if entries
                .iter()
                .any(|e| e.field(0).and_then(Data::as_u64) != Some(other.home_id())) =>
        {
            return Err(Failure::fail(
                "ACL-7",
                "only the entries of the reader's own home",
                format!("{acl:?}"),
            ))
        }
        _ => {
            return Err(Failure::fail(
                "ACL-6",
                format!(
                    "one administer entry for the second home's administrator: {expected_acl:?}"
                ),
                format!("{acl:?}"),
            ))
        }
    }
    let listed = home_ids(ctx).await?;
    let first_home = ctx.home().await.home_id();
    check(
        listed.contains(&first_home) && listed.contains(&other.home_id()),
        "ACL-10",
        "both homes on the device",
        || format!("{listed:x?}"),
    )?;
    ctx.note("the first home's administrator removes the second home");
    let removed = remove_home(ctx, other.home_id()).await?;
    check(
        removed.is_ok(),
        "ACL-9",
        "remove-home of the second home succeeds",
        || format!("{removed:?}"),
    )?;
    let served = read_root(
        &mut b,
        std_caps::basic_information::ID,
        std_caps::basic_information::attributes::VENDOR_ID,
    )
    .await;
    conn.close();
    check(
        !matches!(served, Ok(Ok(_))),
        "HOME-7",
        "the removed home's session ended: its request is not served",
        || format!("{served:?}"),
    )?;
    let conn = ctx.connect().await?;
    let fresh = Session::open(&conn, other.admin(), node, None, rng).await;
    ctx.note(format!("a new session of the removed home: {fresh:?}"));
    check(
        fresh.is_err(),
        "HOME-7",
        "no new session for a member of a removed home",
        || "a session was established".to_owned(),
    )?;
    // [HOME-3] the removed home's certificate is now another home's: refused with
    // wrong-home or invalid-certificate.
    check(
        matches!(
            fresh,
            Err(SessionOpenError::Status(s))
                if s == Status::WRONG_HOME || s == Status::INVALID_CERTIFICATE
        ),
        "HOME-3",
        "session-status wrong-home or invalid-certificate for a certificate of a home the \
         device does not belong to",
        || format!("{fresh:?}"),
    )?;
    if let Some(ticket) = ticket {
        let resumed = Session::open(&conn, other.admin(), node, Some(ticket), rng).await;
        check(
            resumed.is_err(),
            "HOME-7",
            "no resumption of a removed home's session",
            || "the session resumed".to_owned(),
        )?;
    }
    conn.close();
    let listed = home_ids(ctx).await?;
    check(
        !listed.contains(&other.home_id()) && listed.contains(&first_home),
        "ACL-9",
        "the device lists only the first home after the removal",
        || format!("{listed:x?}"),
    )
}

pub(super) fn five_homes(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let mut rng = SeededRandom::new(ctx.seed() ^ 0x0005_4d35);
        let mut added: Vec<u64> = Vec::new();
        let outcome = five_homes_body(ctx, &mut rng, &mut added).await;
        // The homes the case added leave the device again, whatever happened.
        let mut cleanup = Ok(());
        for home in added {
            match remove_home(ctx, home).await {
                Ok(Ok(_)) => {}
                other => {
                    cleanup = Err(Failure::Inconclusive(format!(
                        "removing home {home:#x} the case added: {other:?}"
                    )))
                }
            }
        }
        window::closing_after(ctx, outcome.and(cleanup)).await
    })
}

async fn five_homes_body(ctx: &mut Ctx, rng: &mut SeededRandom, added: &mut Vec<u64>) -> Outcome {
    use std_caps::administration::{attributes, ID};
    let max = {
        let mut s = ctx.admin_session().await?;
        let r = read_root(&mut s, ID, attributes::MAX_HOMES).await;
        s.conn().close();
        match r {
            Ok(Ok(d)) => d.as_u64().unwrap_or(0),
            other => {
                return Err(Failure::fail(
                    "HOME-5",
                    "administration.max-homes readable",
                    format!("{other:?}"),
                ))
            }
        }
    };
    check(max >= 5, "HOME-5", "max-homes of at least 5", || {
        format!("max-homes {max}")
    })?;
    let mut count = u64::try_from(home_ids(ctx).await?.len()).unwrap_or(u64::MAX);
    while count < 5 {
        window::fresh(ctx).await?;
        let mut home = SuiteHome::create(rng)
            .map_err(|e| Failure::Inconclusive(format!("making a home: {e}")))?;
        let conn = ctx.connect().await?;
        let (keys, _) = pase_channel(ctx, &conn).await?;
        let trust = ctx.trust().clone();
        let expected = ctx.facts().setup.vendor_product();
        let commissioned = commission(&conn, &keys, &trust, expected, &mut home, rng).await;
        let commissioned = match commissioned {
            Ok(c) => c,
            Err(e) => {
                conn.close();
                return Err(Failure::fail(
                    "HOME-5",
                    format!("the device joins home {} of 5", count + 1),
                    e,
                ));
            }
        };
        added.push(home.home_id());
        // [COMM-27] the first session confirms the home, so it stays after the connection.
        let confirmed =
            Session::open(&conn, home.admin(), commissioned.device.node_id, None, rng).await;
        conn.close();
        if let Err(e) = confirmed {
            return Err(Failure::fail(
                "HOME-5",
                format!("home {} of 5 confirmed by its first session", count + 1),
                e.to_string(),
            ));
        }
        count += 1;
    }
    ctx.note(format!(
        "the device belongs to {count} homes; max-homes is {max}"
    ));
    if max > count {
        return Ok(());
    }
    // Full: the next commissioning ends at attestation-request with homes-full [COMM-10].
    window::fresh(ctx).await?;
    let conn = ctx.connect().await?;
    let (keys, mut protector) = pase_channel(ctx, &conn).await?;
    let mut plain = Vec::new();
    let _ = orbit_core::commission::Commissioner {
        challenge: keys.attestation_challenge,
        expected_product: None,
    }
    .start(rng, Instant::now(), &mut plain)
    .map_err(|e| Failure::Inconclusive(e.to_string()))?;
    let answer = sealed_exchange(
        &conn,
        &mut protector,
        "attestation-request (homes full)",
        &plain,
    )
    .await;
    let status = answer
        .as_ref()
        .ok()
        .and_then(|p| <orbit_core::commission::CommissioningComplete as orbit_core::codec::CborMessage>::decode(p).ok())
        .map(|c| c.status);
    if status.is_none() {
        let _ = end_commissioning(&conn, &mut protector).await;
    }
    conn.close();
    check(
        status == Some(Status::HOMES_FULL),
        "COMM-10",
        "commissioning-complete homes-full in answer to attestation-request",
        || match (&answer, status) {
            (_, Some(s)) => format!("commissioning-complete {s}"),
            (Ok(_), None) => {
                "an answer that is not commissioning-complete (an attestation-response?)".into()
            }
            (Err(e), None) => e.clone(),
        },
    )
}

//! Resumption `[SESS-21]`..`[SESS-32]`, and what removing a home does to its sessions and
//! tickets `[HOME-7]`, `[SESS-31]`.

use super::expect_refused;
use crate::adversarial::protection::{exchange, is_answer, sealed_probe};
use crate::adversarial::sessions::copy_ticket;
use crate::case::{Failure, Outcome};
use crate::cases::window;
use crate::context::Ctx;
use crate::controller::{commission, Session, SessionOpenError, SuiteHome};
use crate::facts::Facts;
use crate::transport::BoxFuture;
use orbit_core::interaction::{AttributePath, ClientEvent, CommandPath, ReadRequest};
use orbit_core::model::{std_caps, Data, EndpointId};
use orbit_core::session::{Ticket, MAX_TICKETS};
use orbit_core::status::Status;

/// Resumption cases apply when the device issued a ticket in the confirming session; a
/// device MAY issue none `[SESS-32]`.
pub(super) fn issues_tickets(facts: &Facts) -> Result<(), String> {
    if facts.issues_tickets {
        Ok(())
    } else {
        Err("the device issued no resumption ticket in the confirming session, which [SESS-32] allows".to_owned())
    }
}

fn inconclusive(what: &str) -> impl FnOnce(SessionOpenError) -> Failure + '_ {
    move |e| Failure::Inconclusive(format!("{what}: {e}"))
}

/// A full session as the suite's administrator, closed at once, and a copy of its ticket.
async fn ticket(ctx: &mut Ctx) -> Result<Ticket, Failure> {
    let admin = ctx.admin().await;
    let node = ctx.device_node();
    let conn = ctx.connect().await?;
    let s = Session::open(&conn, &admin, node, None, ctx.rng())
        .await
        .map_err(inconclusive("an honest full handshake"))?;
    conn.close();
    s.established()
        .ticket
        .as_ref()
        .map(copy_ticket)
        .ok_or_else(|| {
            Failure::NotApplicable(
                "the device issued no ticket in this session, which [SESS-32] allows".to_owned(),
            )
        })
}

async fn resumed_with(
    ctx: &mut Ctx,
    ticket: Ticket,
) -> Result<Result<Session, SessionOpenError>, Failure> {
    let admin = ctx.admin().await;
    let node = ctx.device_node();
    let conn = ctx.connect().await?;
    Ok(Session::open(&conn, &admin, node, Some(ticket), ctx.rng()).await)
}

/// Requires `r` to be a full handshake: the device must not resume with a ticket it no
/// longer holds (or never issued). A resumption breaks `rule` (`expected`, `resumed` what was
/// seen); a refusal breaks `[SESS-25]`, which wants the full handshake to go on on the same
/// `sigma1` (`fallback`).
fn expect_full_handshake(
    r: Result<Session, SessionOpenError>,
    rule: &'static str,
    expected: &str,
    resumed: &str,
    fallback: &str,
) -> Outcome {
    match r {
        Ok(s) if s.established().resumed => Err(Failure::fail(rule, expected, resumed)),
        Ok(_) => Ok(()),
        Err(SessionOpenError::Transport(e)) => Err(Failure::from(e)),
        Err(e) => Err(Failure::fail("SESS-25", fallback, e.to_string())),
    }
}

/// [`resumed_with`], the connection closed at once: for cases that look only at how the
/// handshake ended.
async fn offered(
    ctx: &mut Ctx,
    ticket: Ticket,
) -> Result<Result<Session, SessionOpenError>, Failure> {
    let r = resumed_with(ctx, ticket).await?;
    if let Ok(s) = &r {
        s.conn().close();
    }
    Ok(r)
}

pub(super) fn resume(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let t = ticket(ctx).await?;
        let mut s = resumed_with(ctx, t).await?.map_err(|e| {
            Failure::fail(
                "SESS-26",
                "a valid ticket of the device opens a session (sigma2-resume, or a full sigma2 that completes)",
                e.to_string(),
            )
        })?;
        if !s.established().resumed {
            s.conn().close();
            return Err(Failure::NotApplicable(
                "the device declined its own ticket with a full sigma2, which [SESS-32] allows"
                    .to_owned(),
            ));
        }
        let request = ReadRequest {
            attributes: vec![AttributePath::endpoint(EndpointId::ROOT)],
            events: Vec::new(),
            event_min: None,
        };
        let r = s.read(request).await;
        s.conn().close();
        match r {
            Ok(ClientEvent::ReadDone { .. }) => Ok(()),
            Ok(other) => Err(Failure::fail(
                "SESS-26",
                "the resumed session serves a read",
                format!("{other:?}"),
            )),
            Err(e) => Err(Failure::fail(
                "SESS-26",
                "the resumed session serves a read",
                e,
            )),
        }
    })
}

pub(super) fn ticket_single_use(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let t = ticket(ctx).await?;
        let again = copy_ticket(&t);
        let first = offered(ctx, t)
            .await?
            .map_err(inconclusive("redeeming the ticket"))?;
        if !first.established().resumed {
            return Err(Failure::NotApplicable(
                "the device declined its own ticket with a full sigma2, which [SESS-32] allows, so a second offer shows nothing".to_owned(),
            ));
        }
        ctx.note("offering the same ticket again");
        let r = offered(ctx, again).await?;
        expect_full_handshake(
            r,
            "SESS-25",
            "a redeemed ticket is removed, so offering it again gets a full sigma2",
            "the device resumed the session a second time with the same ticket",
            "a ticket the device no longer holds falls back to the full handshake on the same sigma1",
        )
    })
}

pub(super) fn refused_after_remove_home(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        // A second home, commissioned through a window the suite's administrator opens.
        window::fresh(ctx).await?;
        let r = second_home_removed(ctx).await;
        // Commissioning closed the window [PAIR-29]; it stays closed whatever happened.
        window::closing_after(ctx, r).await
    })
}

async fn second_home_removed(ctx: &mut Ctx) -> Outcome {
    let passcode = ctx.facts().setup.passcode();
    let product = ctx.facts().setup.vendor_product();
    let trust = ctx.trust().clone();
    let conn = ctx.connect().await?;
    let keys = ctx
        .pase(&conn, passcode)
        .await
        .map_err(|e| Failure::Inconclusive(format!("pairing for a second home: {e}")))?;
    let mut home =
        SuiteHome::create(ctx.rng()).map_err(|e| Failure::Inconclusive(e.to_string()))?;
    let commissioned = commission(&conn, &keys, &trust, product, &mut home, ctx.rng())
        .await
        .map_err(|e| Failure::Inconclusive(format!("commissioning a second home: {e}")))?;
    let node = commissioned.device.node_id;
    let admin = home.admin().clone();
    let mut s = Session::open(&conn, &admin, node, None, ctx.rng())
        .await
        .map_err(inconclusive("the second home's confirming session"))?;
    let t = s.established().ticket.as_ref().map(copy_ticket);
    let other_conn = ctx.connect().await?;
    let mut other = Session::open(&other_conn, &admin, node, None, ctx.rng())
        .await
        .map_err(inconclusive("a second session in the second home"))?;
    let path = CommandPath::new(
        EndpointId::ROOT,
        std_caps::administration::ID,
        std_caps::administration::commands::REMOVE_HOME,
    );
    let args = Data::Struct(vec![(0, Data::Uint(home.home_id()))]);
    let removed = s.invoke(path, args, false).await;
    conn.close();
    match removed {
        Ok(ClientEvent::Invoked { result: Ok(_), .. }) => {}
        other => {
            other_conn.close();
            return Err(Failure::Inconclusive(format!(
                "removing the second home: {other:?}"
            )));
        }
    }
    // [HOME-7] the home's other session has ended: its request gets no answer.
    let (exchange_no, record) = sealed_probe(&mut other, "read-request after remove-home")
        .map_err(Failure::Inconclusive)?;
    if let Ok(reply) = exchange(&other_conn, "read-request after remove-home", &record).await {
        if is_answer(&mut other, &reply, exchange_no).is_ok() {
            other_conn.close();
            return Err(Failure::fail(
                "HOME-7",
                "removing a home ends the sessions of that home",
                "a session of the removed home still answered a read",
            ));
        }
    }
    other_conn.close();
    let conn = ctx.connect().await?;
    let r = Session::open(&conn, &admin, node, None, ctx.rng()).await;
    conn.close();
    expect_refused(
        r,
        Status::WRONG_HOME,
        "SESS-15",
        "a full handshake into the removed home",
    )?;
    let Some(t) = t else {
        ctx.note("the device issued no ticket in the second home; nothing to redeem");
        return Ok(());
    };
    let conn = ctx.connect().await?;
    let r = Session::open(&conn, &admin, node, Some(t), ctx.rng()).await;
    conn.close();
    expect_refused(
        r,
        Status::WRONG_HOME,
        "SESS-31",
        "a ticket of the removed home",
    )
}

/// `[SESS-23]`: a responder keeps at most 32 tickets and, issuing one more, drops the one that
/// expires first. A member whose certificate ends in an hour gets the ticket that expires
/// first (a ticket never outlives either certificate, [SESS-22]); 32 more tickets of the
/// administrator, whose certificate runs for a day, follow; then the member's ticket must be
/// gone, so offering it gets a full handshake.
pub(super) fn ticket_store_bounded(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let node = ctx.device_node();
        let admin = ctx.admin().await;
        let root_key = ctx.home().await.authority_mut().root_key().clone();
        let validity =
            orbit_core::cert::Validity::starting(crate::unix_now().saturating_sub(60), 3_600);
        // A node ID new to the device; a session needs no access-control entry.
        let member = crate::adversarial::sessions::member_signed_by(
            &admin,
            &root_key,
            0x0ff1,
            validity,
            ctx.rng(),
        )?;
        let conn = ctx.connect().await?;
        let first = Session::open(&conn, &member, node, None, ctx.rng())
            .await
            .map_err(inconclusive("a session of a second member"))?;
        let Some(early) = first.established().ticket.as_ref().map(copy_ticket) else {
            conn.close();
            return Err(Failure::NotApplicable(
                "the device issued no ticket to this member, which [SESS-32] allows".to_owned(),
            ));
        };
        for _ in 0..MAX_TICKETS {
            Session::open(&conn, &admin, node, None, ctx.rng())
                .await
                .map_err(inconclusive("an honest full handshake"))?;
        }
        let r = Session::open(&conn, &member, node, Some(early), ctx.rng()).await;
        conn.close();
        expect_full_handshake(
            r,
            "SESS-23",
            "at most 32 tickets kept, the one expiring first dropped when 32 more were issued: its offer gets a full sigma2",
            "the device resumed with the ticket that expires first after issuing 32 more",
            "a ticket the device no longer holds falls back to the full handshake on the same sigma1",
        )
    })
}

pub(super) fn resume_mac_invalid(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let t = ticket(ctx).await?;
        let genuine = copy_ticket(&t);
        let forged = crate::adversarial::sessions::with_wrong_secret(&t);
        let r = offered(ctx, forged).await?;
        expect_refused(
            r,
            Status::RESUMPTION_REJECTED,
            "SESS-25",
            "a ticket the device holds, with a resume MAC that does not verify",
        )?;
        // The ticket left the store whatever happened next: the genuine copy now gets a full
        // handshake.
        let r = offered(ctx, genuine).await?;
        expect_full_handshake(
            r,
            "SESS-25",
            "a ticket named in a sigma1 is removed whatever happens next: offering it again gets a full sigma2",
            "the device resumed with a ticket whose redemption it had just rejected",
            "a ticket the device no longer holds falls back to the full handshake",
        )
    })
}

pub(super) fn unknown_ticket_falls_back(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let admin = ctx.admin().await;
        let node = ctx.device_node();
        let conn = ctx.connect().await?;
        let s = Session::open(&conn, &admin, node, None, ctx.rng())
            .await
            .map_err(inconclusive("an honest full handshake"))?;
        let peer = s.established().peer.clone();
        let made_up =
            crate::adversarial::sessions::unknown_ticket(admin.home_id(), peer, ctx.rng());
        let r = Session::open(&conn, &admin, node, Some(made_up), ctx.rng()).await;
        conn.close();
        expect_full_handshake(
            r,
            "SESS-25",
            "a ticket the device never issued falls back to the full handshake",
            "the device resumed a session from a ticket it never issued",
            "a ticket the device does not hold: the full handshake continues on the same sigma1 (sigma2), not a refusal",
        )
    })
}

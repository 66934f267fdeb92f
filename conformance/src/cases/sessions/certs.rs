//! Who may open a session: the destination must name the device in one of its homes
//! `[SESS-15]`, and the initiator's certificate must be a valid one of that home `[SESS-10]`.

use super::{expect_refused, expect_refused_by};
use crate::adversarial::sessions::{member_certified, member_signed_by, posing_in};
use crate::case::{Failure, Outcome};
use crate::context::Ctx;
use crate::controller::SuiteHome;
use crate::transport::BoxFuture;
use orbit_core::cert::{CertKind, HomeMembership, KeyId, TbsCertificate, Validity};
use orbit_core::crypto::sign::SigningKey;
use orbit_core::status::Status;

/// A node ID the suite gives to the unusual members of these cases (never granted anything).
const STRANGER_NODE: u64 = 0x0ff0;

/// A session attempt as `membership` on a new connection.
async fn attempt(
    ctx: &mut Ctx,
    membership: &HomeMembership,
    peer: u64,
) -> Result<Result<crate::controller::Session, crate::controller::SessionOpenError>, Failure> {
    let conn = ctx.connect().await?;
    let r = crate::controller::Session::open(&conn, membership, peer, None, ctx.rng()).await;
    conn.close();
    Ok(r)
}

fn crypto(e: impl std::fmt::Display) -> Failure {
    Failure::Inconclusive(format!("the suite could not make the credentials: {e}"))
}

pub(super) fn unknown_destination(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let admin = ctx.admin().await;
        let node = ctx.device_node();
        // Another node of the device's own home.
        let r = attempt(ctx, &admin, node ^ 0x5a5a).await?;
        expect_refused(
            r,
            Status::WRONG_HOME,
            "SESS-15",
            "a destination naming another node of the home",
        )?;
        // The device's node in a home it does not belong to.
        let other = SuiteHome::create(ctx.rng()).map_err(crypto)?;
        let stranger = other.admin().clone();
        let r = attempt(ctx, &stranger, node).await?;
        expect_refused(
            r,
            Status::WRONG_HOME,
            "SESS-15",
            "a destination in a home the device is not in",
        )
    })
}

pub(super) fn wrong_home_certificate(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let admin = ctx.admin().await;
        let node = ctx.device_node();
        let mut other = SuiteHome::create(ctx.rng()).map_err(crypto)?;
        let member = other.issue_member(ctx.rng()).map_err(crypto)?;
        // The destination names the device's home; the certificate is another home's.
        let posing = posing_in(&admin, &member);
        let r = attempt(ctx, &posing, node).await?;
        expect_refused_by(
            r,
            Status::WRONG_HOME,
            "HOME-3",
            "SESS-10",
            "a certificate whose home_id is not the handshake's home",
        )
    })
}

pub(super) fn expired_certificate(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let admin = ctx.admin().await;
        let node = ctx.device_node();
        let now = crate::unix_now();
        let root_key = ctx.home().await.authority_mut().root_key().clone();
        let periods = [
            (
                "expired yesterday",
                Validity {
                    not_before: now.saturating_sub(3 * 86_400),
                    not_after: now.saturating_sub(86_400),
                },
            ),
            (
                "valid only from tomorrow",
                Validity {
                    not_before: now + 86_400,
                    not_after: now + 3 * 86_400,
                },
            ),
        ];
        for (what, validity) in periods {
            let member = member_signed_by(&admin, &root_key, STRANGER_NODE, validity, ctx.rng())?;
            ctx.note(format!("a certificate of the home, {what}"));
            let r = attempt(ctx, &member, node).await?;
            expect_refused_by(
                r,
                Status::INVALID_CERTIFICATE,
                "CERT-6",
                "SESS-10",
                &format!("a certificate of the home {what}"),
            )?;
        }
        Ok(())
    })
}

pub(super) fn forged_certificate(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let admin = ctx.admin().await;
        let node = ctx.device_node();
        let forger = SigningKey::generate(ctx.rng()).map_err(crypto)?;
        let validity = ctx.home().await.validity();
        let member = member_signed_by(&admin, &forger, STRANGER_NODE, validity, ctx.rng())?;
        let r = attempt(ctx, &member, node).await?;
        expect_refused_by(
            r,
            Status::INVALID_CERTIFICATE,
            "CERT-2",
            "SESS-10",
            "a certificate naming the home's root as issuer, signed by another key",
        )
    })
}

/// A change to a certificate's content before it is signed.
type Edit = fn(&mut TbsCertificate);

pub(super) fn malformed_certificate(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let admin = ctx.admin().await;
        let node = ctx.device_node();
        let root_key = ctx.home().await.authority_mut().root_key().clone();
        let validity = ctx.home().await.validity();
        // Signed by the home's root, but not an operational certificate of a node.
        let variants: [(&str, &'static str, Edit); 5] = [
            ("of kind home-root instead of operational", "CERT-4", |t| {
                t.kind = CertKind::HOME_ROOT;
            }),
            ("of a kind no version defines (99)", "CERT-3", |t| {
                t.kind = CertKind(99);
            }),
            ("without a node identifier", "CERT-7", |t| t.node_id = None),
            ("without a role", "CERT-7", |t| t.role = None),
            ("whose issuer field names another key", "CERT-5", |t| {
                t.issuer = KeyId([0x5a; 8]);
            }),
        ];
        for (what, rule, edit) in variants {
            let member =
                member_certified(&admin, &root_key, STRANGER_NODE, validity, edit, ctx.rng())?;
            ctx.note(format!("a certificate of the home {what}"));
            let r = attempt(ctx, &member, node).await?;
            expect_refused_by(
                r,
                Status::INVALID_CERTIFICATE,
                rule,
                "SESS-10",
                &format!("a certificate signed by the home's root {what}"),
            )?;
        }
        Ok(())
    })
}

pub(super) fn bad_signature(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let admin = ctx.admin().await;
        let node = ctx.device_node();
        // The administrator's genuine certificate, with a key it does not certify: the
        // certificate validates, the transcript signature made with the other key does not.
        let impostor = HomeMembership {
            root: admin.root.clone(),
            cert: admin.cert.clone(),
            key: SigningKey::generate(ctx.rng()).map_err(crypto)?,
        };
        let r = attempt(ctx, &impostor, node).await?;
        expect_refused(
            r,
            Status::INVALID_SIGNATURE,
            "SESS-19",
            "a sigma3 signature that does not verify under the certificate's key",
        )
    })
}

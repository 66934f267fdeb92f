//! SIGMA sessions and resumption (06-sessions), version negotiation (08).

mod certs;
mod handshake;
mod resume;
mod versions;

use crate::adversarial::sessions::Answer;
use crate::case::{check, Case, CaseInfo, Failure, Group, Outcome};
use crate::context::Ctx;
use crate::controller::{Session, SessionOpenError};
use crate::transport::BoxFuture;
use crate::verdict::Level;
use orbit_core::status::Status;

/// A session case of level MUST that applies to every device.
/// The session cases.
pub(crate) const CASES: &[Case] = &[
    Group::Sessions.must(
        "sessions.establish",
        "A member of the device's home establishes a session and reads the descriptor in it",
        &["SESS-1", "IM-70"],
        establish,
    ),
    Group::Sessions.must(
        "sessions.request-right-after-sigma3",
        "A request sent right after sigma3, before the device ended the handshake, is served",
        &["SESS-39", "SESS-13"],
        handshake::request_right_after_sigma3,
    ),
    Group::Sessions.must(
        "sessions.sigma3-first",
        "A sigma3 where sigma1 is expected ends the handshake with unexpected-message",
        &["SESS-4", "QUIC-21"],
        handshake::sigma3_first,
    ),
    Group::Sessions.must(
        "sessions.sigma1-twice",
        "A second sigma1 where sigma3 is expected ends the handshake with unexpected-message",
        &["SESS-4", "SESS-38"],
        handshake::sigma1_twice,
    ),
    Group::Sessions.must(
        "sessions.unknown-type",
        "A handshake message of a type no version defines gets unexpected-message",
        &["SESS-4", "CBOR-9"],
        handshake::unknown_type,
    ),
    Group::Sessions.must(
        "sessions.status-not-answered",
        "A session-status sent to the device (first, or in place of sigma3) is never answered with one and changes nothing else",
        &["SESS-36", "SESS-37"],
        handshake::status_not_answered,
    ),
    Group::Sessions.must(
        "sessions.sigma3-replayed",
        "The sigma3 of a completed handshake, replayed on a new handshake, is refused with invalid-signature",
        &["SESS-18", "SESS-38"],
        handshake::sigma3_replayed,
    ),
    Group::Sessions.must(
        "sessions.sigma1-replayed",
        "A replayed sigma1 gets a fresh sigma2 (new random and ephemeral key), and the old sigma3 does not complete it",
        &["SESS-9", "SESS-12", "SESS-18"],
        handshake::sigma1_replayed,
    ),
    Group::Sessions.must(
        "sessions.malformed-sigma1",
        "A sigma1 with a key of the wrong size, or a ticket without its MAC, gets invalid-message",
        &["SESS-3"],
        handshake::malformed_sigma1,
    ),
    Group::Sessions.must(
        "sessions.sigma1-too-large",
        "A sigma1 past the handshake message limits gets resource-exhausted",
        &["SESS-35", "SESS-3"],
        handshake::sigma1_too_large,
    ),
    Group::Sessions.must(
        "sessions.low-order-point",
        "A sigma1 whose ephemeral key gives an all-zero X25519 result gets invalid-parameter",
        &["SESS-12"],
        handshake::low_order_point,
    ),
    Group::Sessions.must(
        "sessions.unknown-destination",
        "A sigma1 naming another node of the home, or a home the device is not in, gets wrong-home",
        &["SESS-15"],
        certs::unknown_destination,
    ),
    Group::Sessions.must(
        "sessions.wrong-home-certificate",
        "A sigma3 carrying a certificate of another home gets wrong-home",
        &["HOME-3", "SESS-10"],
        certs::wrong_home_certificate,
    ),
    Group::Sessions.must(
        "sessions.expired-certificate",
        "A sigma3 carrying an expired (or not yet valid) certificate of the home gets invalid-certificate",
        &["CERT-6", "SESS-10"],
        certs::expired_certificate,
    ),
    Group::Sessions.must(
        "sessions.forged-certificate",
        "A sigma3 carrying a certificate that claims the home but is signed by another authority gets invalid-certificate",
        &["CERT-2", "HOME-3", "SESS-10"],
        certs::forged_certificate,
    ),
    Group::Sessions.must(
        "sessions.malformed-certificate",
        "A sigma3 carrying a root-signed certificate of the wrong or an unknown kind, without a node or role, or naming another issuer, gets invalid-certificate",
        &["CERT-3", "CERT-4", "CERT-5", "CERT-7", "SESS-10"],
        certs::malformed_certificate,
    ),
    Group::Sessions.must(
        "sessions.bad-signature",
        "A sigma3 whose signature does not verify under its (valid) certificate's key gets invalid-signature",
        &["SESS-19"],
        certs::bad_signature,
    ),
    Group::Sessions.must(
        "sessions.identity-protected",
        "The device's certificate travels only encrypted: its operational key is not in sigma2 in clear",
        &["SESS-20"],
        handshake::identity_protected,
    ),
    Group::Sessions.must(
        "sessions.no-common-version",
        "A sigma1 offering only versions the device does not speak gets no-common-version",
        &["VER-3", "SESS-6"],
        versions::no_common_version,
    ),
    Group::Sessions.must(
        "sessions.version-choice",
        "Offered a wider range, the device chooses the highest common version and states its own range",
        &["VER-2", "SESS-6"],
        versions::version_choice,
    ),
    Group::Sessions.must(
        "sessions.invalid-version-range",
        "A sigma1 whose range has minimum 0 or minimum above maximum gets invalid-parameter",
        &["VER-5"],
        versions::invalid_version_range,
    ),
    Group::Sessions.must(
        "sessions.downgrade-rewritten-offer",
        "A sigma1 whose offer was rewritten in flight gets a sigma2 that does not authenticate for the original offer",
        &["VER-4", "SESS-7", "SESS-16"],
        versions::rewritten_offer,
    ),
    Case {
        info: CaseInfo {
            id: "sessions.resume",
            title: "A ticket the device issued resumes a session, which then serves requests",
            group: Group::Sessions,
            spec_ids: &["SESS-26", "SESS-27", "SESS-29"],
            level: Level::Must,
        },
        applies: resume::issues_tickets,
        run: resume::resume,
        check_state_after: false,
    },
    Case {
        info: CaseInfo {
            id: "sessions.ticket-single-use",
            title: "A ticket offered a second time does not resume: the device answers a full sigma2",
            group: Group::Sessions,
            spec_ids: &["SESS-25", "SESS-30"],
            level: Level::Must,
        },
        applies: resume::issues_tickets,
        run: resume::ticket_single_use,
        check_state_after: false,
    },
    Case {
        info: CaseInfo {
            id: "sessions.resume-mac-invalid",
            title: "A held ticket offered with a resume MAC that does not verify gets resumption-rejected, and is spent",
            group: Group::Sessions,
            spec_ids: &["SESS-25"],
            level: Level::Must,
        },
        applies: resume::issues_tickets,
        run: resume::resume_mac_invalid,
        check_state_after: false,
    },
    Group::Sessions.must(
        "sessions.unknown-ticket-falls-back",
        "A sigma1 naming a ticket the device never issued gets a full sigma2, and the handshake completes",
        &["SESS-25"],
        resume::unknown_ticket_falls_back,
    ),
    Case {
        info: CaseInfo {
            id: "sessions.ticket-store-bounded",
            title: "After 32 more tickets, the ticket that expires first is gone: offering it gets a full sigma2",
            group: Group::Sessions,
            spec_ids: &["SESS-23", "SESS-25"],
            level: Level::Must,
        },
        applies: resume::issues_tickets,
        run: resume::ticket_store_bounded,
        check_state_after: false,
    },
    Group::Sessions.must(
        "sessions.refused-after-remove-home",
        "After a second home is removed, its sessions end and neither a full handshake nor its ticket opens a session",
        &["HOME-7", "SESS-31", "SESS-15", "ACL-9"],
        resume::refused_after_remove_home,
    ),
];

fn establish(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let conn = ctx.connect().await?;
        let admin = ctx.admin().await;
        let mut session = ctx.session_as(&conn, &admin).await.map_err(|e| {
            Failure::fail(
                "SESS-1",
                "the device accepts a session from a member of its home",
                e.to_string(),
            )
        })?;
        let described = session.describe().await;
        conn.close();
        let (descriptor, ..) = described.map_err(|e| {
            Failure::fail(
                "IM-70",
                "the device answers describe-request in a session",
                e,
            )
        })?;
        let probed = &ctx.facts().descriptor;
        check(
            &descriptor == probed,
            "IM-70",
            "the same descriptor as read after pairing",
            || format!("{descriptor:?}"),
        )
    })
}

/// The handshake ended with `session-status` `status` (on QUIC the device's refusal is a
/// status frame, [QUIC-21]; a clean end would be acceptance).
pub(super) fn expect_status(
    answer: &Answer,
    status: Status,
    rule: &'static str,
    what: &str,
) -> Outcome {
    match answer {
        Answer::Status(s) if *s == status => Ok(()),
        other => Err(Failure::fail(
            rule,
            format!("{what}: the device ends the handshake with session-status {status}"),
            other.describe(),
        )),
    }
}

/// A session attempt was refused with `status`; anything else breaks `rule`.
pub(super) fn expect_refused(
    result: Result<Session, SessionOpenError>,
    status: Status,
    rule: &'static str,
    what: &str,
) -> Outcome {
    expect_refused_by(result, status, rule, rule, what)
}

/// A session attempt was refused with `status`: an accepted session breaks `accepted_rule`
/// (the rule that forbids accepting the peer), another answer `status_rule` (the rule that
/// names the status).
pub(super) fn expect_refused_by(
    result: Result<Session, SessionOpenError>,
    status: Status,
    accepted_rule: &'static str,
    status_rule: &'static str,
    what: &str,
) -> Outcome {
    let expected = format!("{what}: the device refuses the session with session-status {status}");
    match result {
        Err(SessionOpenError::Status(s)) if s == status => Ok(()),
        Err(SessionOpenError::Transport(e)) => Err(Failure::from(e)),
        Ok(session) => {
            session.conn().close();
            Err(Failure::fail(
                accepted_rule,
                expected,
                "the device accepted the session (it ended the handshake cleanly)",
            ))
        }
        Err(e) => Err(Failure::fail(status_rule, expected, e.to_string())),
    }
}

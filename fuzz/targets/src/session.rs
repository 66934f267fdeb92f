//! SIGMA sessions and resumption: each message's decoder, each encrypted payload's decoder and
//! each state's input (`spec/v1/06-sessions.md`).

use crate::canonical::message;
use crate::flow::{self, decoder_targets, Script};
use orbit_core::cert::{HomeAuthority, HomeMembership, HomeTable, NodeRole, Validity};
use orbit_core::codec::CborMessage;
use orbit_core::crypto::SeededRandom;
use orbit_core::session::{
    encode_status, Established, Initiator, Now, Responder, SessionError, SessionId, SessionStatus,
    Sigma1, Sigma1Outcome, Sigma2, Sigma2Payload, Sigma2Resume, Sigma2ResumePayload, Sigma3,
    Sigma3Payload, TicketStore,
};
use orbit_core::version::SUPPORTED;
use std::time::Instant;

decoder_targets! {
    /// Target `session_sigma1`.
    sigma1: Sigma1;
    /// Target `session_sigma2`.
    sigma2: Sigma2;
    /// Target `session_sigma2_resume`.
    sigma2_resume: Sigma2Resume;
    /// Target `session_sigma3`.
    sigma3: Sigma3;
    /// Target `session_status`.
    status: SessionStatus;
}

/// Target `session_payloads`: the decrypted contents of sigma2, sigma3 and sigma2-resume
/// (the first byte picks which), which only a peer holding the handshake keys can send.
pub fn payloads(data: &[u8]) {
    let Some((which, rest)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => drop(message::<Sigma2Payload>(rest)),
        1 => drop(message::<Sigma3Payload>(rest)),
        _ => drop(message::<Sigma2ResumePayload>(rest)),
    }
}

/// Unix time of the fixtures.
const UNIX: u64 = 1_800_000_000;

struct Fixture {
    phone: HomeMembership,
    lamp_homes: HomeTable,
}

fn fixture(rng: &mut SeededRandom) -> Option<Fixture> {
    let mut home = HomeAuthority::create(rng, UNIX, 86_400 * 365).ok()?;
    let validity = Validity::starting(UNIX, 86_400 * 30);
    let phone = home
        .issue_member(rng, 1, NodeRole::CONTROLLER, validity)
        .ok()?;
    let lamp = home.issue_member(rng, 2, NodeRole::DEVICE, validity).ok()?;
    let mut lamp_homes = HomeTable::default();
    lamp_homes.add(lamp).ok()?;
    Some(Fixture { phone, lamp_homes })
}

/// The honest messages of a full handshake followed by a resumption, in order: sigma1,
/// sigma2, sigma3, sigma1 with a ticket, sigma2-resume.
pub fn honest_messages() -> Vec<Vec<u8>> {
    flow::honest_messages(run_flow)
}

/// Target `session_flow`: the first byte picks a step (0..=4) of an honest full handshake
/// followed by a resumption, whose message is replaced by the rest of the input. The
/// receiving state refuses with a typed error whose status encodes [SESS-36], or accepts;
/// when both sides are established they hold the same keys, session identifiers and peer
/// [SESS-19] [SESS-29].
pub fn flow(data: &[u8]) {
    flow::with_fault(data, 5, run_flow);
}

fn refused(error: &SessionError) {
    let mut out = Vec::new();
    encode_status(error.status(), &mut out);
    assert_eq!(
        SessionStatus::decode(&out).map(|s| s.status),
        Ok(error.status())
    );
}

fn assert_agree(initiator: &Established, responder: &Established) {
    assert!(
        initiator.send_secret().0 == responder.receive_secret().0
            && initiator.receive_secret().0 == responder.send_secret().0,
        "both sides established a session with different keys [SESS-19]"
    );
    assert_eq!(initiator.local_session_id, responder.peer_session_id);
    assert_eq!(initiator.peer_session_id, responder.local_session_id);
    assert_eq!(responder.peer.node_id, 1);
    assert_eq!(initiator.peer.node_id, 2);
    assert_eq!(initiator.resumed, responder.resumed);
}

fn run_flow(script: &mut Script) {
    let mut rng = SeededRandom::new(3);
    let Some(f) = fixture(&mut rng) else {
        return;
    };
    let now = Now::new(Instant::now(), UNIX);
    let mut tickets = TicketStore::default();

    // Full handshake.
    let mut out = Vec::new();
    let initiator = Initiator {
        membership: &f.phone,
        peer_node_id: 2,
        versions: SUPPORTED,
        local_session_id: SessionId(100),
        ticket: None,
    };
    let Ok(expect2) = initiator.start(&mut rng, now, &mut out) else {
        return;
    };
    let m0 = script.deliver(0, std::mem::take(&mut out));
    let mut responder = Responder {
        homes: &f.lamp_homes,
        tickets: &mut tickets,
        versions: SUPPORTED,
    };
    let outcome = match responder.handle_sigma1(&m0, SessionId(200), &mut rng, now, &mut out) {
        Ok(o) => o,
        Err(e) => return refused(&e),
    };
    let expect3 = match outcome {
        Sigma1Outcome::Full(expect3) => expect3,
        // A replaced sigma1 cannot carry a ticket this responder issued: it has none yet.
        Sigma1Outcome::Resumed(_) => panic!("resumed without any ticket issued [SESS-24]"),
    };
    let m1 = script.deliver(1, std::mem::take(&mut out));
    let phone = match expect2.handle(&f.phone, &m1, now, &mut out) {
        Ok(s) => s,
        Err(e) => return refused(&e),
    };
    let m2 = script.deliver(2, std::mem::take(&mut out));
    let lamp = match expect3.handle(&mut responder, &m2, now) {
        Ok(s) => s,
        Err(e) => return refused(&e),
    };
    assert_agree(&phone, &lamp);

    // Resumption with the ticket of the full handshake.
    let resume = Initiator {
        membership: &f.phone,
        peer_node_id: 2,
        versions: SUPPORTED,
        local_session_id: SessionId(101),
        ticket: phone.ticket,
    };
    let Ok(expect2) = resume.start(&mut rng, now, &mut out) else {
        return;
    };
    let m3 = script.deliver(3, std::mem::take(&mut out));
    let lamp = match responder.handle_sigma1(&m3, SessionId(201), &mut rng, now, &mut out) {
        Ok(Sigma1Outcome::Resumed(s)) => Some(s),
        // A replaced sigma1 may ask for a full handshake instead; it ends here.
        Ok(Sigma1Outcome::Full(_)) => None,
        Err(e) => return refused(&e),
    };
    let m4 = script.deliver(4, std::mem::take(&mut out));
    match (expect2.handle(&f.phone, &m4, now, &mut out), lamp) {
        (Ok(phone), Some(lamp)) => assert_agree(&phone, &lamp),
        (Ok(phone), None) => assert!(
            !phone.resumed,
            "the initiator resumed a session the responder never resumed [SESS-29]"
        ),
        (Err(e), _) => refused(&e),
    }
}

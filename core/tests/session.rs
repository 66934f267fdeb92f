//! Session handshake and resumption (spec/v1/06-sessions.md): behaviour, rejection of every
//! kind of bad input, concurrency, codec properties, and the published vectors
//! (spec/v1/vectors/session-handshake.json, regenerated with ORBIT_REGEN_VECTORS=1).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod vector_support;

use orbit_core::cert::{
    validate_operational, CertError, CertKind, Certificate, HomeAuthority, HomeMembership,
    HomeTable, KeyId, NodeId, NodeRole, OperationalPeer, TbsCertificate, Validity,
};
use orbit_core::codec::{encode_value, CborMessage, Value};
use orbit_core::commission::InstallHome;
use orbit_core::crypto::sign::SigningKey;
use orbit_core::crypto::SeededRandom;
use orbit_core::session::{
    destination_id, encode_status, find_destination, Established, ExpectSigma2, ExpectSigma3,
    Initiator, MessageType, Now, Responder, ResumeRequest, Role, SessionError, SessionId,
    SessionStatus, Sigma1, Sigma1Outcome, Sigma2, Sigma2Payload, Sigma2Resume, Sigma2ResumePayload,
    Sigma3, Sigma3Payload, Ticket, TicketStore, TrafficSecrets, HANDSHAKE_TIMEOUT,
    MAX_RESUMPTION_AGE_SECS, MAX_TICKETS, TICKET_LIFETIME_SECS,
};
use orbit_core::status::Status;
use orbit_core::version::{ProtocolVersion, VersionError, VersionRange, SUPPORTED};
use proptest::prelude::*;
use std::time::{Duration, Instant};

const NOW: u64 = 1_800_000_000;
const DAY: u64 = 86_400;
const YEAR: u64 = 365 * DAY;
const PHONE: NodeId = 0x0101;
const LAMP: NodeId = 0x0202;
const PHONE_SID: SessionId = SessionId(11);
const LAMP_SID: SessionId = SessionId(22);

/// A home with a phone (controller) and a lamp (device), all from fixed seeds.
struct Fx {
    home: HomeAuthority,
    phone: HomeMembership,
    lamp_homes: HomeTable,
    t0: Instant,
}

fn fx() -> Fx {
    fx_with(1, Validity::starting(NOW - DAY, YEAR))
}

fn fx_with(seed: u64, validity: Validity) -> Fx {
    let mut rng = SeededRandom::new(seed);
    let mut home = HomeAuthority::create(&mut rng, NOW - DAY, 10 * YEAR).unwrap();
    let phone = home
        .issue_member(&mut rng, PHONE, NodeRole::CONTROLLER, validity)
        .unwrap();
    let lamp = home
        .issue_member(&mut rng, LAMP, NodeRole::DEVICE, validity)
        .unwrap();
    let mut lamp_homes = HomeTable::default();
    lamp_homes.add(lamp).unwrap();
    Fx {
        home,
        phone,
        lamp_homes,
        t0: Instant::now(),
    }
}

impl Fx {
    fn at(&self, unix: u64) -> Now {
        Now::new(self.t0, unix)
    }

    fn lamp(&self) -> &HomeMembership {
        self.lamp_homes.get(self.home.home_id()).unwrap()
    }

    fn start_as(
        &self,
        m: &HomeMembership,
        ticket: Option<Ticket>,
        seed: u64,
        unix: u64,
    ) -> (ExpectSigma2, Vec<u8>) {
        let mut out = Vec::new();
        let state = Initiator {
            membership: m,
            peer_node_id: LAMP,
            versions: SUPPORTED,
            local_session_id: PHONE_SID,
            ticket,
        }
        .start(&mut SeededRandom::new(seed), self.at(unix), &mut out)
        .unwrap();
        (state, out)
    }

    fn start(&self, ticket: Option<Ticket>, seed: u64) -> (ExpectSigma2, Vec<u8>) {
        self.start_as(&self.phone, ticket, seed, NOW)
    }

    fn respond(
        &self,
        tickets: &mut TicketStore,
        sigma1: &[u8],
        seed: u64,
        unix: u64,
    ) -> Result<(Sigma1Outcome, Vec<u8>), SessionError> {
        let mut out = Vec::new();
        let mut r = Responder {
            homes: &self.lamp_homes,
            tickets,
            versions: SUPPORTED,
        };
        let o = r.handle_sigma1(
            sigma1,
            LAMP_SID,
            &mut SeededRandom::new(seed),
            self.at(unix),
            &mut out,
        )?;
        Ok((o, out))
    }

    fn finish_responder(
        &self,
        tickets: &mut TicketStore,
        state: ExpectSigma3,
        sigma3: &[u8],
        unix: u64,
    ) -> Result<Established, SessionError> {
        let mut r = Responder {
            homes: &self.lamp_homes,
            tickets,
            versions: SUPPORTED,
        };
        state.handle(&mut r, sigma3, self.at(unix))
    }

    /// A full handshake; returns (phone, lamp, [sigma1, sigma2, sigma3]).
    fn full(&self, tickets: &mut TicketStore) -> (Established, Established, [Vec<u8>; 3]) {
        let (s, sigma1) = self.start(None, 100);
        let (o, sigma2) = self.respond(tickets, &sigma1, 200, NOW).unwrap();
        let Sigma1Outcome::Full(r) = o else {
            panic!("expected a full handshake")
        };
        let mut sigma3 = Vec::new();
        let phone = s
            .handle(&self.phone, &sigma2, self.at(NOW), &mut sigma3)
            .unwrap();
        let lamp = self.finish_responder(tickets, r, &sigma3, NOW).unwrap();
        (phone, lamp, [sigma1, sigma2, sigma3])
    }
}

/// The bytes of both traffic secrets. Secrets are deliberately not comparable ([MSG-5]); a
/// test compares their bytes.
fn secret_bytes(s: &TrafficSecrets) -> [[u8; 32]; 2] {
    [s.initiator_to_responder.0, s.responder_to_initiator.0]
}

fn assert_pair(phone: &Established, lamp: &Established) {
    assert_eq!(secret_bytes(&phone.secrets), secret_bytes(&lamp.secrets));
    assert_eq!(phone.send_secret().0, lamp.receive_secret().0);
    assert_eq!(phone.receive_secret().0, lamp.send_secret().0);
    assert_ne!(phone.send_secret().0, phone.receive_secret().0);
    assert_eq!(phone.local_session_id, lamp.peer_session_id);
    assert_eq!(phone.peer_session_id, lamp.local_session_id);
    assert_eq!(phone.version, lamp.version);
    assert_eq!(phone.role, Role::Initiator);
    assert_eq!(lamp.role, Role::Responder);
}

/// A copy of a ticket (tickets are deliberately not Clone).
fn copy_ticket(t: &Ticket) -> Ticket {
    Ticket::from_parts(
        t.id,
        *t.secret(),
        t.home_id,
        t.peer.clone(),
        t.expires_unix,
        t.hard_limit_unix,
    )
}

/// After a full handshake: the phone's ticket and a way to rebuild the lamp's store.
fn resumable(f: &Fx) -> (Ticket, impl Fn() -> TicketStore) {
    let mut store = TicketStore::default();
    let (phone, lamp, _) = f.full(&mut store);
    let t = phone.ticket.unwrap();
    let lamp_view = Ticket::from_parts(
        t.id,
        *t.secret(),
        t.home_id,
        lamp.peer.clone(),
        t.expires_unix,
        t.hard_limit_unix,
    );
    let make = move || {
        let mut s = TicketStore::default();
        s.insert(copy_ticket(&lamp_view), NOW);
        s
    };
    (t, make)
}

// [SESS-1] [SESS-10] [SESS-13] a full handshake gives both sides the same secrets and each the
// other's identity.
#[test]
fn full_handshake_establishes_matching_keys_and_identities() {
    let f = fx();
    let mut store = TicketStore::default();
    let (phone, lamp, [_, _, sigma3]) = f.full(&mut store);
    assert_pair(&phone, &lamp);
    assert!(!phone.resumed && !lamp.resumed);
    assert!(!sigma3.is_empty());
    assert_eq!(phone.peer.node_id, LAMP);
    assert_eq!(phone.peer.role, NodeRole::DEVICE);
    assert_eq!(phone.peer.public_key, f.lamp().key.public_key());
    assert_eq!(lamp.peer.node_id, PHONE);
    assert_eq!(lamp.peer.role, NodeRole::CONTROLLER);
    assert_eq!(lamp.peer.public_key, f.phone.key.public_key());
    assert_eq!(phone.peer.home_id, f.home.home_id());
    assert_eq!(lamp.peer.home_id, f.home.home_id());
    assert_eq!(phone.local_session_id, PHONE_SID);
    assert_eq!(lamp.local_session_id, LAMP_SID);
    assert_eq!(phone.version, ProtocolVersion::V1);
    // [SESS-21] both sides keep the same ticket.
    let t = phone.ticket.as_ref().unwrap();
    assert!(lamp.ticket.is_none());
    assert_eq!(store.len(), 1);
    assert_eq!(t.peer.node_id, LAMP);
    // A different handshake (other randomness) gives different secrets.
    let (s, sigma1) = f.start(None, 101);
    let (o, sigma2) = f.respond(&mut store, &sigma1, 201, NOW).unwrap();
    let Sigma1Outcome::Full(r) = o else { panic!() };
    let mut sigma3 = Vec::new();
    let p2 = s.handle(&f.phone, &sigma2, f.at(NOW), &mut sigma3).unwrap();
    let l2 = f.finish_responder(&mut store, r, &sigma3, NOW).unwrap();
    assert_pair(&p2, &l2);
    assert_ne!(secret_bytes(&p2.secrets), secret_bytes(&phone.secrets));
}

// [SESS-20] certificates never travel in clear: neither side's certificate bytes appear in
// any handshake message.
#[test]
fn certificates_travel_encrypted() {
    let f = fx();
    let (_, _, msgs) = f.full(&mut TicketStore::default());
    for cert in [f.phone.cert.to_bytes(), f.lamp().cert.to_bytes()] {
        for needle in [
            &cert[..],
            &cert[cert.len() - 64..],
            &f.home.home_id().to_be_bytes(),
        ] {
            for m in &msgs {
                assert!(!m.windows(needle.len()).any(|w| w == needle));
            }
        }
    }
}

// [SESS-24] [SESS-26] [SESS-27] [SESS-29] resumption: two messages, no certificates or
// signatures, fresh keys, a new ticket; the old ticket is gone.
#[test]
fn resumption_establishes_without_certificates() {
    let f = fx();
    let mut store = TicketStore::default();
    let (phone, lamp, full_msgs) = f.full(&mut store);
    let ticket = phone.ticket.unwrap();
    let old_id = ticket.id;
    let (s, sigma1) = f.start(Some(ticket), 300);
    assert!(s.offered_resumption());
    assert!(sigma1.windows(16).any(|w| w == old_id));
    let (o, sigma2r) = f.respond(&mut store, &sigma1, 400, NOW + 60).unwrap();
    let Sigma1Outcome::Resumed(lamp2) = o else {
        panic!("expected a resumption")
    };
    let mut none = Vec::new();
    let phone2 = s
        .handle(&f.phone, &sigma2r, f.at(NOW + 60), &mut none)
        .unwrap();
    assert!(none.is_empty(), "a resumed handshake sends no Sigma3");
    assert!(phone2.resumed && lamp2.resumed);
    assert_pair(&phone2, &lamp2);
    assert_ne!(secret_bytes(&phone2.secrets), secret_bytes(&phone.secrets));
    assert_eq!(phone2.peer, phone.peer);
    assert_eq!(lamp2.peer, lamp.peer);
    // No certificate, no signature: the answer is far smaller than Sigma2.
    let cert = f.lamp().cert.to_bytes();
    assert!(!sigma2r.windows(cert.len()).any(|w| w == cert));
    assert!(sigma2r.len() + 64 + 100 < full_msgs[1].len());
    assert_eq!(MessageType::SIGMA2_RESUME, message_type(&sigma2r));
    // [SESS-25] single use: the old ticket left the store, the new one replaced it.
    assert_eq!(store.len(), 1);
    let next = phone2.ticket.unwrap();
    assert_ne!(next.id, old_id);
    assert!(store.take(&old_id, NOW + 60).is_none());
    assert!(store.take(&next.id, NOW + 60).is_some());
}

// [SESS-24] [SESS-26] resumption chains: the new ticket resumes again.
#[test]
fn resumption_chains_with_new_tickets() {
    let f = fx();
    let mut store = TicketStore::default();
    let (phone, _, _) = f.full(&mut store);
    let mut ticket = phone.ticket.unwrap();
    let mut seen = vec![secret_bytes(&phone.secrets)];
    for i in 0..3u64 {
        let (s, sigma1) = f.start(Some(ticket), 500 + i);
        let (o, sigma2r) = f.respond(&mut store, &sigma1, 600 + i, NOW + i).unwrap();
        let Sigma1Outcome::Resumed(lamp) = o else {
            panic!()
        };
        let p = s
            .handle(&f.phone, &sigma2r, f.at(NOW + i), &mut Vec::new())
            .unwrap();
        assert_pair(&p, &lamp);
        assert!(!seen.contains(&secret_bytes(&p.secrets)));
        seen.push(secret_bytes(&p.secrets));
        ticket = p.ticket.unwrap();
    }
}

// [SESS-25] a resume MAC made with the wrong secret is rejected and the ticket is consumed.
#[test]
fn wrong_resumption_secret_is_rejected() {
    let f = fx();
    let mut store = TicketStore::default();
    let (phone, _, _) = f.full(&mut store);
    let t = phone.ticket.unwrap();
    let mut secret = *t.secret();
    secret[0] ^= 1;
    let forged = Ticket::from_parts(
        t.id,
        secret,
        t.home_id,
        t.peer.clone(),
        t.expires_unix,
        t.hard_limit_unix,
    );
    let (_, sigma1) = f.start(Some(forged), 700);
    let err = f.respond(&mut store, &sigma1, 800, NOW).unwrap_err();
    assert_eq!(err, SessionError::ResumptionRejected);
    assert_eq!(err.status(), Status::RESUMPTION_REJECTED);
    assert!(store.is_empty(), "the named ticket is consumed");
    // The genuine ticket no longer resumes either: it falls back to a full handshake.
    let (_, sigma1) = f.start(Some(t), 701);
    let (o, _) = f.respond(&mut store, &sigma1, 801, NOW).unwrap();
    assert!(matches!(o, Sigma1Outcome::Full(_)));
}

// [SESS-25] [SESS-28] a responder that does not know the ticket answers with a full Sigma2 and
// the initiator completes the full handshake.
#[test]
fn unknown_ticket_falls_back_to_full_handshake() {
    let f = fx();
    let (ticket, _) = resumable(&f);
    let mut empty = TicketStore::default();
    let (s, sigma1) = f.start(Some(ticket), 900);
    assert!(s.offered_resumption());
    let (o, sigma2) = f.respond(&mut empty, &sigma1, 901, NOW).unwrap();
    let Sigma1Outcome::Full(r) = o else {
        panic!("expected the fallback")
    };
    assert_eq!(message_type(&sigma2), MessageType::SIGMA2);
    let mut sigma3 = Vec::new();
    let phone = s.handle(&f.phone, &sigma2, f.at(NOW), &mut sigma3).unwrap();
    let lamp = f.finish_responder(&mut empty, r, &sigma3, NOW).unwrap();
    assert_pair(&phone, &lamp);
    assert!(!phone.resumed && !lamp.resumed);
    assert!(phone.ticket.is_some());
}

// [SESS-30] a replayed resuming Sigma1 finds its ticket used and cannot resume; the full
// handshake it falls back to needs the initiator's keys.
#[test]
fn replayed_sigma1_against_used_ticket_does_not_resume() {
    let f = fx();
    let (ticket, store) = resumable(&f);
    let mut store = store();
    let (s, sigma1) = f.start(Some(ticket), 1000);
    let (o, sigma2r) = f.respond(&mut store, &sigma1, 1001, NOW).unwrap();
    assert!(matches!(o, Sigma1Outcome::Resumed(_)));
    s.handle(&f.phone, &sigma2r, f.at(NOW), &mut Vec::new())
        .unwrap();
    // The attacker replays Sigma1.
    let (o, sigma2) = f.respond(&mut store, &sigma1, 1002, NOW + 1).unwrap();
    let Sigma1Outcome::Full(_) = o else {
        panic!("a replay must not resume")
    };
    assert_eq!(message_type(&sigma2), MessageType::SIGMA2);
    // The attacker cannot answer with a valid Sigma3: a Sigma3 from another handshake fails.
    let (_, sigma1b) = f.start(None, 1003);
    let (ob, _) = f.respond(&mut store, &sigma1b, 1004, NOW).unwrap();
    let Sigma1Outcome::Full(rb) = ob else {
        panic!()
    };
    let (s_other, s1_other) = f.start(None, 1005);
    let (_, s2_other) = f.respond(&mut store, &s1_other, 1006, NOW).unwrap();
    let mut s3_other = Vec::new();
    s_other
        .handle(&f.phone, &s2_other, f.at(NOW), &mut s3_other)
        .unwrap();
    let err = f
        .finish_responder(&mut store, rb, &s3_other, NOW)
        .unwrap_err();
    assert!(matches!(err, SessionError::DecryptFailed { .. }), "{err}");
}

// [SESS-22] tickets expire: the initiator does not offer an expired ticket, and the responder
// does not accept one; no chain of resumptions outlives the hard limit.
#[test]
fn tickets_expire() {
    let f = fx();
    let (ticket, store) = resumable(&f);
    assert!(ticket.expires_unix <= NOW + TICKET_LIFETIME_SECS);
    assert!(ticket.hard_limit_unix <= NOW + MAX_RESUMPTION_AGE_SECS);
    // Initiator side: expired tickets are not offered.
    let late = NOW + TICKET_LIFETIME_SECS + 1;
    let (s, sigma1) = f.start_as(&f.phone, Some(copy_ticket(&ticket)), 1100, late);
    assert!(!s.offered_resumption());
    assert!(Sigma1::decode(&sigma1).unwrap().resume.is_none());
    // Responder side: an offered ticket that expired on its clock is a fallback.
    let (_, sigma1) = f.start(Some(ticket), 1101);
    let (o, _) = f.respond(&mut store(), &sigma1, 1102, late).unwrap();
    assert!(matches!(o, Sigma1Outcome::Full(_)));

    // Chain: resuming on day 6 gives a ticket that ends at the 7-day hard limit.
    let (ticket, store) = resumable(&f);
    let mut store = store();
    let day6 = NOW + 6 * DAY + 10;
    let mut t = copy_ticket(&ticket);
    t.expires_unix = t.hard_limit_unix; // as if refreshed daily
    let mut st = TicketStore::default();
    let mut lamp_view = store.take(&ticket.id, NOW).unwrap();
    lamp_view.expires_unix = lamp_view.hard_limit_unix;
    st.insert(lamp_view, NOW);
    let (s, sigma1) = f.start_as(&f.phone, Some(t), 1103, day6);
    let (o, sigma2r) = f.respond(&mut st, &sigma1, 1104, day6).unwrap();
    assert!(matches!(o, Sigma1Outcome::Resumed(_)));
    let p = s
        .handle(&f.phone, &sigma2r, f.at(day6), &mut Vec::new())
        .unwrap();
    let next = p.ticket.unwrap();
    assert_eq!(next.expires_unix, ticket.hard_limit_unix);
    assert!(next.expires_unix < day6 + TICKET_LIFETIME_SECS);
}

// [SESS-22] a ticket never outlives either certificate.
#[test]
fn ticket_bounded_by_certificate_expiry() {
    let f = fx_with(2, Validity::starting(NOW - DAY, DAY + 3600));
    let (ticket, _) = resumable(&f);
    assert_eq!(ticket.expires_unix, NOW + 3600);
}

// [SESS-23] [SESS-32] the store is bounded and evicts the ticket that expires first; a
// responder without ticket capacity issues none.
#[test]
fn ticket_store_is_bounded() {
    let peer = OperationalPeer {
        home_id: 1,
        node_id: 2,
        role: NodeRole::CONTROLLER,
        public_key: SigningKey::from_seed(&[1; 32]).public_key(),
    };
    let mut store = TicketStore::default();
    assert_eq!(store.capacity(), MAX_TICKETS);
    for i in 0..(MAX_TICKETS as u64 + 10) {
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&i.to_be_bytes());
        store.insert(
            Ticket::from_parts(id, [i as u8; 32], 1, peer.clone(), NOW + 100 + i, NOW + DAY),
            NOW,
        );
        assert!(store.len() <= MAX_TICKETS);
    }
    assert_eq!(store.len(), MAX_TICKETS);
    let mut first = [0u8; 16];
    first[..8].copy_from_slice(&0u64.to_be_bytes());
    assert!(
        store.take(&first, NOW).is_none(),
        "soonest-expiring evicted"
    );
    let mut last = [0u8; 16];
    last[..8].copy_from_slice(&(MAX_TICKETS as u64 + 9).to_be_bytes());
    assert!(store.take(&last, NOW).is_some());
    // Capacity is capped; 0 turns resumption off.
    assert_eq!(TicketStore::with_capacity(1000).capacity(), MAX_TICKETS);
    let f = fx();
    let mut off = TicketStore::with_capacity(0);
    let (phone, _, _) = f.full(&mut off);
    assert!(phone.ticket.is_none());
    assert!(off.is_empty());
}

// [SESS-31] leaving a home drops its tickets.
#[test]
fn removing_a_home_drops_its_tickets() {
    let f = fx();
    let mut store = TicketStore::default();
    f.full(&mut store);
    assert_eq!(store.len(), 1);
    store.remove_home(f.home.home_id() ^ 1);
    assert_eq!(store.len(), 1);
    store.remove_home(f.home.home_id());
    assert!(store.is_empty());
}

/// A membership whose certificate claims `home`'s identity but is signed by `signer`.
fn forged_membership(f: &Fx, node: NodeId, role: NodeRole, signer: &SigningKey) -> HomeMembership {
    let key = SigningKey::from_seed(&[9; 32]);
    let tbs = TbsCertificate {
        kind: CertKind::OPERATIONAL,
        serial: 99,
        subject_key: key.public_key(),
        issuer: KeyId::of(f.home.root_cert().public_key()),
        validity: Validity::starting(NOW - DAY, YEAR),
        home_id: Some(f.home.home_id()),
        node_id: Some(node),
        role: Some(role),
        vendor_id: None,
        product_id: None,
    };
    HomeMembership {
        root: f.home.root_cert().clone(),
        cert: Certificate::sign(tbs, signer),
        key,
    }
}

/// Runs a full handshake between `phone` and `lamp_homes` and returns the first error.
fn full_with(f: &Fx, phone: &HomeMembership, lamp_homes: &HomeTable, unix: u64) -> SessionError {
    let mut store = TicketStore::default();
    let mut sigma1 = Vec::new();
    let s = Initiator {
        membership: phone,
        peer_node_id: LAMP,
        versions: SUPPORTED,
        local_session_id: SessionId(1),
        ticket: None,
    }
    .start(&mut SeededRandom::new(5), f.at(unix), &mut sigma1)
    .unwrap();
    let mut r = Responder {
        homes: lamp_homes,
        tickets: &mut store,
        versions: SUPPORTED,
    };
    let mut sigma2 = Vec::new();
    let o = match r.handle_sigma1(
        &sigma1,
        SessionId(2),
        &mut SeededRandom::new(6),
        f.at(unix),
        &mut sigma2,
    ) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let Sigma1Outcome::Full(r3) = o else { panic!() };
    let mut sigma3 = Vec::new();
    if let Err(e) = s.handle(phone, &sigma2, f.at(unix), &mut sigma3) {
        return e;
    }
    match r3.handle(&mut r, &sigma3, f.at(unix)) {
        Ok(_) => panic!("handshake unexpectedly succeeded"),
        Err(e) => e,
    }
}

fn table(m: HomeMembership) -> HomeTable {
    let mut t = HomeTable::default();
    t.add(m).unwrap();
    t
}

// [SESS-10] [HOME-3] [CERT-2] a certificate signed by a key other than the home root's is
// rejected, on either side.
#[test]
fn forged_certificate_rejected() {
    let f = fx();
    let forger = SigningKey::from_seed(&[7; 32]);
    // Forged initiator: the responder rejects Sigma3.
    let phone = forged_membership(&f, PHONE, NodeRole::CONTROLLER, &forger);
    let err = full_with(&f, &phone, &f.lamp_homes, NOW);
    assert_eq!(err, SessionError::Certificate(CertError::BadSignature));
    assert_eq!(err.status(), Status::INVALID_CERTIFICATE);
    // Forged responder: the initiator rejects Sigma2.
    let lamp = forged_membership(&f, LAMP, NodeRole::DEVICE, &forger);
    let err = full_with(&f, &f.phone, &table(lamp), NOW);
    assert_eq!(err, SessionError::Certificate(CertError::BadSignature));
    assert_eq!(err.status(), Status::INVALID_CERTIFICATE);
}

// [SESS-10] [HOME-3] a genuine certificate of another home is rejected with wrong-home.
#[test]
fn certificate_of_another_home_rejected() {
    let f = fx();
    let mut other = HomeAuthority::create(&mut SeededRandom::new(77), NOW - DAY, YEAR).unwrap();
    let v = Validity::starting(NOW - DAY, YEAR);
    // The phone names our home (it knows its root) but holds a certificate of the other home.
    let alien = other
        .issue_member(&mut SeededRandom::new(78), PHONE, NodeRole::CONTROLLER, v)
        .unwrap();
    let phone = HomeMembership {
        root: f.home.root_cert().clone(),
        ..alien.clone()
    };
    let err = full_with(&f, &phone, &f.lamp_homes, NOW);
    assert!(
        matches!(err, SessionError::Certificate(CertError::WrongHome { .. })),
        "{err}"
    );
    assert_eq!(err.status(), Status::WRONG_HOME);
    // Same from the responder's side.
    let alien_lamp = other
        .issue_member(&mut SeededRandom::new(79), LAMP, NodeRole::DEVICE, v)
        .unwrap();
    let lamp = HomeMembership {
        root: f.home.root_cert().clone(),
        ..alien_lamp
    };
    let err = full_with(&f, &f.phone, &table(lamp), NOW);
    assert!(
        matches!(err, SessionError::Certificate(CertError::WrongHome { .. })),
        "{err}"
    );
    // [SESS-15] a phone of the other home cannot even name our lamp.
    let err = full_with(&f, &alien, &f.lamp_homes, NOW);
    assert_eq!(err, SessionError::UnknownDestination);
    assert_eq!(err.status(), Status::WRONG_HOME);
}

// [SESS-10] [CERT-6] an expired certificate is rejected.
#[test]
fn expired_certificate_rejected() {
    let f = fx();
    let mut home = f.home.clone();
    let old = Validity::starting(NOW - 2 * YEAR, YEAR);
    let phone = home
        .issue_member(&mut SeededRandom::new(80), PHONE, NodeRole::CONTROLLER, old)
        .unwrap();
    let err = full_with(&f, &phone, &f.lamp_homes, NOW);
    assert!(
        matches!(err, SessionError::Certificate(CertError::Expired { .. })),
        "{err}"
    );
    assert_eq!(err.status(), Status::INVALID_CERTIFICATE);
    let lamp = home
        .issue_member(&mut SeededRandom::new(81), LAMP, NodeRole::DEVICE, old)
        .unwrap();
    let err = full_with(&f, &f.phone, &table(lamp), NOW);
    assert!(
        matches!(err, SessionError::Certificate(CertError::Expired { .. })),
        "{err}"
    );
}

// [SESS-15] [HOME-5] a device in several homes finds the right one for each initiator, and
// each session is in the home the initiator named.
#[test]
fn responder_in_several_homes_picks_the_named_one() {
    let mut lamp_homes = HomeTable::default();
    let mut phones = Vec::new();
    let v = Validity::starting(NOW - DAY, YEAR);
    for h in 0..5u64 {
        let mut rng = SeededRandom::new(1000 + h);
        let mut home = HomeAuthority::create(&mut rng, NOW - DAY, YEAR).unwrap();
        // Different node IDs per home, as administrators choose them independently.
        let lamp = home
            .issue_member(&mut rng, 50 + h, NodeRole::DEVICE, v)
            .unwrap();
        let phone = home
            .issue_member(&mut rng, 60 + h, NodeRole::CONTROLLER, v)
            .unwrap();
        lamp_homes.add(lamp).unwrap();
        phones.push((home.home_id(), 50 + h, phone));
    }
    let t0 = Instant::now();
    let now = Now::new(t0, NOW);
    let mut store = TicketStore::default();
    for (i, (home_id, lamp_node, phone)) in phones.iter().enumerate() {
        let mut sigma1 = Vec::new();
        let s = Initiator {
            membership: phone,
            peer_node_id: *lamp_node,
            versions: SUPPORTED,
            local_session_id: SessionId(i as u32),
            ticket: None,
        }
        .start(&mut SeededRandom::new(i as u64), now, &mut sigma1)
        .unwrap();
        let mut r = Responder {
            homes: &lamp_homes,
            tickets: &mut store,
            versions: SUPPORTED,
        };
        let mut sigma2 = Vec::new();
        let Sigma1Outcome::Full(r3) = r
            .handle_sigma1(
                &sigma1,
                SessionId(100 + i as u32),
                &mut SeededRandom::new(9),
                now,
                &mut sigma2,
            )
            .unwrap()
        else {
            panic!()
        };
        let mut sigma3 = Vec::new();
        let p = s.handle(phone, &sigma2, now, &mut sigma3).unwrap();
        let l = r3.handle(&mut r, &sigma3, now).unwrap();
        assert_pair(&p, &l);
        assert_eq!(p.peer.home_id, *home_id);
        assert_eq!(p.peer.node_id, *lamp_node);
        assert_eq!(l.peer.node_id, phone.node_id());
        // Asking for the wrong node of the right home finds nothing.
        let mut sigma1 = Vec::new();
        Initiator {
            membership: phone,
            peer_node_id: *lamp_node + 1,
            versions: SUPPORTED,
            local_session_id: SessionId(1),
            ticket: None,
        }
        .start(&mut SeededRandom::new(3), now, &mut sigma1)
        .unwrap();
        let err = r
            .handle_sigma1(
                &sigma1,
                SessionId(1),
                &mut SeededRandom::new(3),
                now,
                &mut Vec::new(),
            )
            .unwrap_err();
        assert_eq!(err, SessionError::UnknownDestination);
    }
}

// [SESS-14] the destination identifier depends on every input and changes with the random, so
// two handshakes to the same home cannot be linked by it.
#[test]
fn destination_identifier_hides_and_binds() {
    let f = fx();
    let root = f.home.root_cert().public_key();
    let id = f.home.home_id();
    let r1 = [1u8; 32];
    let base = destination_id(&r1, root, id, LAMP);
    assert_ne!(base, destination_id(&[2u8; 32], root, id, LAMP));
    assert_ne!(base, destination_id(&r1, root, id ^ 1, LAMP));
    assert_ne!(base, destination_id(&r1, root, id, LAMP + 1));
    let other = SigningKey::from_seed(&[3; 32]).public_key();
    assert_ne!(base, destination_id(&r1, &other, id, LAMP));
    let m = find_destination(&f.lamp_homes, &r1, &base).unwrap();
    assert_eq!(m.node_id(), LAMP);
    assert!(find_destination(&f.lamp_homes, &[2u8; 32], &base).is_none());
}

// [SESS-6] [VER-3] disjoint version ranges end the handshake with no-common-version.
#[test]
fn no_common_version() {
    let f = fx();
    let mut sigma1 = Vec::new();
    Initiator {
        membership: &f.phone,
        peer_node_id: LAMP,
        versions: VersionRange::new(2, 3).unwrap(),
        local_session_id: SessionId(1),
        ticket: None,
    }
    .start(&mut SeededRandom::new(1), f.at(NOW), &mut sigma1)
    .unwrap();
    let err = f
        .respond(&mut TicketStore::default(), &sigma1, 2, NOW)
        .unwrap_err();
    assert!(matches!(
        err,
        SessionError::Version(VersionError::NoCommonVersion { .. })
    ));
    assert_eq!(err.status(), Status::NO_COMMON_VERSION);
    assert!(err.to_string().contains("v2..=v3"), "{err}");
    // [SESS-36] [SESS-37] the responder answers with a session-status; the initiator reports it.
    let mut status = Vec::new();
    encode_status(err.status(), &mut status);
    let mut sigma1 = Vec::new();
    let s = Initiator {
        membership: &f.phone,
        peer_node_id: LAMP,
        versions: VersionRange::new(2, 3).unwrap(),
        local_session_id: SessionId(1),
        ticket: None,
    }
    .start(&mut SeededRandom::new(1), f.at(NOW), &mut sigma1)
    .unwrap();
    let err = s
        .handle(&f.phone, &status, f.at(NOW), &mut Vec::new())
        .unwrap_err();
    assert_eq!(err, SessionError::PeerStatus(Status::NO_COMMON_VERSION));
}

/// Re-encodes Sigma1 with `versions` in place of the offer (an attacker's rewrite).
fn rewrite_offer(sigma1: &[u8], versions: VersionRange) -> Vec<u8> {
    let mut s1 = Sigma1::decode(sigma1).unwrap();
    s1.versions = versions;
    s1.to_bytes()
}

// [SESS-7] [VER-4] an attacker who rewrites the offered range to push both sides to an older
// version is detected: by the initiator in a full handshake (Sigma2 no longer authenticates),
// by the responder's resume-MAC check in a resumption.
#[test]
fn version_downgrade_detected() {
    let f = fx();
    let both = VersionRange::new(1, 2).unwrap();
    let only1 = VersionRange::new(1, 1).unwrap();
    let start = |ticket: Option<Ticket>, seed: u64| {
        let mut sigma1 = Vec::new();
        let s = Initiator {
            membership: &f.phone,
            peer_node_id: LAMP,
            versions: both,
            local_session_id: SessionId(1),
            ticket,
        }
        .start(&mut SeededRandom::new(seed), f.at(NOW), &mut sigma1)
        .unwrap();
        (s, sigma1)
    };
    let respond = |store: &mut TicketStore, m: &[u8]| {
        let mut r = Responder {
            homes: &f.lamp_homes,
            tickets: store,
            versions: both,
        };
        let mut out = Vec::new();
        r.handle_sigma1(
            m,
            SessionId(2),
            &mut SeededRandom::new(3),
            f.at(NOW),
            &mut out,
        )
        .map(|o| (o, out))
    };
    // Untampered: version 2.
    let mut store = TicketStore::default();
    let (s, sigma1) = start(None, 1);
    let (o, sigma2) = respond(&mut store, &sigma1).unwrap();
    let Sigma1Outcome::Full(r3) = o else { panic!() };
    let mut sigma3 = Vec::new();
    let ok = s.handle(&f.phone, &sigma2, f.at(NOW), &mut sigma3).unwrap();
    assert_eq!(ok.version, ProtocolVersion(2));
    let mut r = Responder {
        homes: &f.lamp_homes,
        tickets: &mut store,
        versions: both,
    };
    assert_eq!(
        r3.handle(&mut r, &sigma3, f.at(NOW)).unwrap().version,
        ProtocolVersion(2)
    );
    let ticket = ok.ticket.unwrap();

    // Tampered offer in a full handshake.
    let (s, sigma1) = start(None, 1);
    let (_, sigma2) = respond(&mut store, &rewrite_offer(&sigma1, only1)).unwrap();
    assert_eq!(Sigma2::decode(&sigma2).unwrap().version, ProtocolVersion(1));
    let err = s
        .handle(&f.phone, &sigma2, f.at(NOW), &mut Vec::new())
        .unwrap_err();
    assert!(
        matches!(
            err,
            SessionError::DecryptFailed { .. } | SessionError::BadSignature
        ),
        "{err}"
    );
    assert_eq!(err.status(), Status::INVALID_SIGNATURE);

    // Tampered choice: Sigma2 rewritten to version 1 (the header is authenticated).
    let (s, sigma1) = start(None, 1);
    let (_, sigma2) = respond(&mut store, &sigma1).unwrap();
    let mut s2 = Sigma2::decode(&sigma2).unwrap();
    s2.version = ProtocolVersion(1);
    s2.responder_versions = only1;
    let err = s
        .handle(&f.phone, &s2.to_bytes(), f.at(NOW), &mut Vec::new())
        .unwrap_err();
    assert_eq!(err.status(), Status::INVALID_SIGNATURE);

    // Tampered offer in a resumption: the responder's MAC check catches it.
    let (_, sigma1) = start(Some(ticket), 4);
    let err = respond(&mut store, &rewrite_offer(&sigma1, only1)).unwrap_err();
    assert_eq!(err, SessionError::ResumptionRejected);

    // [VER-3] a chosen version outside the offer is no-common-version.
    let (s, sigma1) = start(None, 5);
    let (_, sigma2) = respond(&mut store, &sigma1).unwrap();
    let mut s2 = Sigma2::decode(&sigma2).unwrap();
    s2.version = ProtocolVersion(3);
    let err = s
        .handle(&f.phone, &s2.to_bytes(), f.at(NOW), &mut Vec::new())
        .unwrap_err();
    assert_eq!(err.status(), Status::NO_COMMON_VERSION);
}

fn message_type(bytes: &[u8]) -> MessageType {
    let Value::Map(entries) = orbit_core::codec::decode_value(bytes, &Default::default()).unwrap()
    else {
        panic!()
    };
    let (_, v) = &entries[0];
    MessageType(u64::try_from(i128::from(v.as_integer().unwrap())).unwrap())
}

// [SESS-4] [SESS-37] a message of the wrong type, or a peer's status, ends the state with a
// typed error.
#[test]
fn unexpected_messages_and_peer_status() {
    let f = fx();
    let mut store = TicketStore::default();
    let (_, _, [sigma1, sigma2, sigma3]) = f.full(&mut store);
    // Initiator given Sigma1 or Sigma3.
    for m in [&sigma1, &sigma3] {
        let (s, _) = f.start(None, 1);
        let err = s
            .handle(&f.phone, m, f.at(NOW), &mut Vec::new())
            .unwrap_err();
        assert!(
            matches!(err, SessionError::UnexpectedMessage { .. }),
            "{err}"
        );
        assert_eq!(err.status(), Status::UNEXPECTED_MESSAGE);
    }
    // Initiator that offered no ticket given a Sigma2Resume.
    let (ticket, st) = resumable(&f);
    let (s, s1) = f.start(Some(ticket), 2);
    let (_, s2r) = f.respond(&mut st(), &s1, 3, NOW).unwrap();
    drop(s);
    let (plain, _) = f.start(None, 4);
    let err = plain
        .handle(&f.phone, &s2r, f.at(NOW), &mut Vec::new())
        .unwrap_err();
    assert!(
        matches!(err, SessionError::UnexpectedMessage { found, .. } if found == MessageType::SIGMA2_RESUME)
    );
    // Responder given Sigma2 or Sigma3 first.
    for m in [&sigma2, &sigma3] {
        let err = f.respond(&mut store, m, 5, NOW).unwrap_err();
        assert!(
            matches!(err, SessionError::UnexpectedMessage { .. }),
            "{err}"
        );
    }
    // ExpectSigma3 given Sigma1 or Sigma2.
    for m in [&sigma1, &sigma2] {
        let (_, s1) = f.start(None, 6);
        let (o, _) = f.respond(&mut store, &s1, 7, NOW).unwrap();
        let Sigma1Outcome::Full(r) = o else { panic!() };
        let err = f.finish_responder(&mut store, r, m, NOW).unwrap_err();
        assert!(
            matches!(err, SessionError::UnexpectedMessage { .. }),
            "{err}"
        );
    }
    // A status message from the peer.
    let mut status = Vec::new();
    encode_status(Status::BUSY, &mut status);
    let (s, _) = f.start(None, 8);
    let err = s
        .handle(&f.phone, &status, f.at(NOW), &mut Vec::new())
        .unwrap_err();
    assert_eq!(err, SessionError::PeerStatus(Status::BUSY));
    assert_eq!(err.status(), Status::BUSY);
    let (_, s1) = f.start(None, 9);
    let (o, _) = f.respond(&mut store, &s1, 10, NOW).unwrap();
    let Sigma1Outcome::Full(r) = o else { panic!() };
    let mut status = Vec::new();
    encode_status(Status(0x7777), &mut status);
    let err = f.finish_responder(&mut store, r, &status, NOW).unwrap_err();
    assert_eq!(err, SessionError::PeerStatus(Status(0x7777)));
}

// [SESS-36] a status that opens an exchange where sigma1 is expected is the peer's status,
// not an unexpected message: the responder never answers a session-status with one, and
// [SESS-4] excepts session-status from unexpected-message.
#[test]
fn a_status_where_sigma1_is_expected_is_not_answered() {
    let f = fx();
    let mut store = TicketStore::default();
    let mut status = Vec::new();
    encode_status(Status::INVALID_MESSAGE, &mut status);
    let err = f.respond(&mut store, &status, 1, NOW).unwrap_err();
    assert_eq!(err, SessionError::PeerStatus(Status::INVALID_MESSAGE));
}

// [SESS-33] each state has a deadline HANDSHAKE_TIMEOUT after it was entered.
#[test]
fn states_time_out() {
    let f = fx();
    let mut store = TicketStore::default();
    let (s, sigma1) = f.start(None, 1);
    assert_eq!(s.deadline(), f.t0 + HANDSHAKE_TIMEOUT);
    let (o, sigma2) = f.respond(&mut store, &sigma1, 2, NOW).unwrap();
    let Sigma1Outcome::Full(r) = o else { panic!() };
    assert_eq!(r.deadline(), f.t0 + HANDSHAKE_TIMEOUT);
    assert_eq!(r.local_session_id(), LAMP_SID);
    let late = Now::new(f.t0 + HANDSHAKE_TIMEOUT + Duration::from_millis(1), NOW);
    let err = s
        .handle(&f.phone, &sigma2, late, &mut Vec::new())
        .unwrap_err();
    assert_eq!(err.status(), Status::TIMEOUT);
    let mut r3 = Responder {
        homes: &f.lamp_homes,
        tickets: &mut store,
        versions: SUPPORTED,
    };
    let err = r.handle(&mut r3, &[], late).unwrap_err();
    assert!(matches!(err, SessionError::Timeout { .. }));
    // Exactly at the deadline is still in time [LIMIT-3].
    let (s, sigma1) = f.start(None, 1);
    let (_, sigma2) = f.respond(&mut store, &sigma1, 2, NOW).unwrap();
    let edge = Now::new(f.t0 + HANDSHAKE_TIMEOUT, NOW);
    assert!(s.handle(&f.phone, &sigma2, edge, &mut Vec::new()).is_ok());
}

// [HOME-7] a home removed while a handshake is in progress ends it.
#[test]
fn home_removed_during_handshake() {
    let mut f = fx();
    let mut store = TicketStore::default();
    let (s, sigma1) = f.start(None, 1);
    let (o, sigma2) = f.respond(&mut store, &sigma1, 2, NOW).unwrap();
    let Sigma1Outcome::Full(r) = o else { panic!() };
    let mut sigma3 = Vec::new();
    s.handle(&f.phone, &sigma2, f.at(NOW), &mut sigma3).unwrap();
    f.lamp_homes.remove(f.home.home_id()).unwrap();
    let err = f.finish_responder(&mut store, r, &sigma3, NOW).unwrap_err();
    assert_eq!(err.status(), Status::WRONG_HOME);
}

// [SEC-2] secrets never show in debug output.
#[test]
fn secrets_do_not_print() {
    let f = fx();
    let (phone, lamp, _) = f.full(&mut TicketStore::default());
    let t = phone.ticket.as_ref().unwrap();
    let text = format!("{phone:?} {lamp:?}");
    for secret in [
        &phone.secrets.initiator_to_responder.0,
        &phone.secrets.responder_to_initiator.0,
        t.secret(),
    ] {
        assert!(!text.contains(&format!("{secret:?}")), "{text}");
        assert!(!text.contains(&hex::encode(&secret[..8])), "{text}");
    }
}

/// Every single-bit flip of `message`, fed to `feed`, must give an error.
fn every_bit_flip(message: &[u8], mut feed: impl FnMut(&[u8]) -> Result<(), SessionError>) {
    for byte in 0..message.len() {
        for bit in 0..8 {
            let mut m = message.to_vec();
            m[byte] ^= 1 << bit;
            let r = feed(&m);
            assert!(r.is_err(), "flip of byte {byte} bit {bit} was accepted");
        }
    }
    // And every strict prefix.
    for len in 0..message.len() {
        assert!(
            feed(&message[..len]).is_err(),
            "prefix of {len} bytes accepted"
        );
    }
}

// [SESS-3] [SESS-16] [SESS-18] [SESS-19] a bit flip anywhere in Sigma1, Sigma2 or Sigma3 ends
// the handshake with a typed error on the side that detects it, and never yields two
// established sessions.
#[test]
fn tampered_full_handshake_messages_rejected() {
    let f = fx();
    let mut store = TicketStore::default();
    let (_, _, [sigma1, sigma2, sigma3]) = f.full(&mut store);
    // Sigma1: the responder may accept it (its fields are not authenticated yet), but then
    // the initiator's transcript differs and Sigma2 fails.
    every_bit_flip(&sigma1, |m| {
        let (o, s2) = f.respond(&mut store, m, 200, NOW)?;
        let Sigma1Outcome::Full(_) = o else {
            panic!("resumed without a ticket")
        };
        let (s, _) = f.start(None, 100);
        s.handle(&f.phone, &s2, f.at(NOW), &mut Vec::new())
            .map(drop)
    });
    every_bit_flip(&sigma2, |m| {
        let (s, _) = f.start(None, 100);
        s.handle(&f.phone, m, f.at(NOW), &mut Vec::new()).map(drop)
    });
    every_bit_flip(&sigma3, |m| {
        let (o, _) = f.respond(&mut store, &sigma1, 200, NOW).unwrap();
        let Sigma1Outcome::Full(r) = o else { panic!() };
        f.finish_responder(&mut store, r, m, NOW).map(drop)
    });
}

// [SESS-24] [SESS-25] [SESS-27] the same for a resumed handshake.
#[test]
fn tampered_resumption_messages_rejected() {
    let f = fx();
    let (ticket, make_store) = resumable(&f);
    let (_, sigma1) = f.start(Some(copy_ticket(&ticket)), 300);
    let (o, sigma2r) = f.respond(&mut make_store(), &sigma1, 400, NOW).unwrap();
    assert!(matches!(o, Sigma1Outcome::Resumed(_)));
    every_bit_flip(&sigma1, |m| {
        let (o, s2) = f.respond(&mut make_store(), m, 400, NOW)?;
        let Sigma1Outcome::Full(_) = o else {
            panic!("a tampered resumption was accepted")
        };
        let (s, _) = f.start(Some(copy_ticket(&ticket)), 300);
        s.handle(&f.phone, &s2, f.at(NOW), &mut Vec::new())
            .map(drop)
    });
    every_bit_flip(&sigma2r, |m| {
        let (s, _) = f.start(Some(copy_ticket(&ticket)), 300);
        s.handle(&f.phone, m, f.at(NOW), &mut Vec::new()).map(drop)
    });
}

fn arb_bytes<const N: usize>() -> impl Strategy<Value = [u8; N]> {
    proptest::collection::vec(any::<u8>(), N).prop_map(|v| v.try_into().unwrap())
}

fn arb_range() -> impl Strategy<Value = VersionRange> {
    (1u16.., 0u16..10).prop_map(|(a, b)| VersionRange::new(a, a.saturating_add(b)).unwrap())
}

fn arb_sigma1() -> impl Strategy<Value = Sigma1> {
    (
        arb_bytes::<32>(),
        any::<u32>().prop_map(SessionId),
        arb_bytes::<32>(),
        arb_bytes::<32>(),
        arb_range(),
        proptest::option::of((arb_bytes::<16>(), arb_bytes::<32>())),
    )
        .prop_map(|(r, sid, d, e, versions, resume)| Sigma1 {
            initiator_random: r,
            initiator_session_id: sid,
            destination_id: d,
            initiator_eph: e,
            versions,
            resume: resume.map(|(ticket_id, mac)| ResumeRequest { ticket_id, mac }),
        })
}

fn arb_sigma2() -> impl Strategy<Value = Sigma2> {
    (
        arb_bytes::<32>(),
        any::<u32>().prop_map(SessionId),
        arb_bytes::<32>(),
        1u16..,
        arb_range(),
        proptest::collection::vec(any::<u8>(), 0..600),
    )
        .prop_map(|(r, sid, e, v, versions, enc)| Sigma2 {
            responder_random: r,
            responder_session_id: sid,
            responder_eph: e,
            version: ProtocolVersion(v),
            responder_versions: versions,
            encrypted: enc,
        })
}

fn round_trip<T: CborMessage + PartialEq + std::fmt::Debug>(m: &T) {
    let bytes = m.to_bytes();
    assert_eq!(&T::decode(&bytes).unwrap(), m);
    // Deterministic: encoding the decoded value gives the same bytes.
    assert_eq!(T::decode(&bytes).unwrap().to_bytes(), bytes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    // [SESS-3] encode then decode gives the same value, for every message.
    #[test]
    fn messages_round_trip(
        s1 in arb_sigma1(),
        s2 in arb_sigma2(),
        s3 in proptest::collection::vec(any::<u8>(), 0..600),
        cert in proptest::collection::vec(any::<u8>(), 0..600),
        sig in arb_bytes::<64>(),
        ticket in proptest::option::of(arb_bytes::<16>()),
        status in any::<u16>(),
    ) {
        round_trip(&s1);
        round_trip(&s2);
        round_trip(&Sigma2Resume(s2.clone()));
        round_trip(&Sigma3 { encrypted: s3 });
        round_trip(&SessionStatus { status: Status(status) });
        round_trip(&Sigma2Payload { certificate: cert.clone(), signature: sig, ticket_id: ticket });
        round_trip(&Sigma3Payload { certificate: cert, signature: sig });
        round_trip(&Sigma2ResumePayload { ticket_id: ticket });
        // [SESS-4] the type key keeps messages apart.
        prop_assert!(Sigma2Resume::decode(&s2.to_bytes()).is_err());
        prop_assert!(Sigma2::decode(&Sigma2Resume(s2).to_bytes()).is_err());
        let st = SessionStatus { status: Status(status) }.to_bytes();
        prop_assert!(Sigma1::decode(&st).is_err());
    }

    // [SESS-3] every decoder, and every state, is total on arbitrary bytes.
    #[test]
    fn decoders_and_states_are_total(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Sigma1::decode(&bytes);
        let _ = Sigma2::decode(&bytes);
        let _ = Sigma2Resume::decode(&bytes);
        let _ = Sigma3::decode(&bytes);
        let _ = SessionStatus::decode(&bytes);
        let _ = Sigma2Payload::decode(&bytes);
        let _ = Sigma3Payload::decode(&bytes);
        let _ = Sigma2ResumePayload::decode(&bytes);
        let f = fx();
        let mut store = TicketStore::default();
        prop_assert!(f.respond(&mut store, &bytes, 1, NOW).is_err());
        let (s, sigma1) = f.start(None, 1);
        prop_assert!(s.handle(&f.phone, &bytes, f.at(NOW), &mut Vec::new()).is_err());
        let (o, _) = f.respond(&mut store, &sigma1, 2, NOW).unwrap();
        let Sigma1Outcome::Full(r) = o else { panic!() };
        prop_assert!(f.finish_responder(&mut store, r, &bytes, NOW).is_err());
    }

    // [SESS-3] decoding mutated valid messages never panics; what decodes re-encodes to
    // the input unless the mutation produced a key this version does not know.
    #[test]
    fn mutated_messages_decode_totally(
        s1 in arb_sigma1(),
        s2 in arb_sigma2(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        for bytes in [s1.to_bytes(), s2.to_bytes(), Sigma2Resume(s2.clone()).to_bytes()] {
            let mut m = bytes.clone();
            let i = at.index(m.len());
            m[i] = byte;
            if let Ok(d) = Sigma1::decode(&m) { prop_assert_eq!(Sigma1::decode(&d.to_bytes()).unwrap(), d); }
            if let Ok(d) = Sigma2::decode(&m) { prop_assert_eq!(Sigma2::decode(&d.to_bytes()).unwrap(), d); }
            let _ = Sigma2Resume::decode(&m);
        }
    }
}

/// One handshake in the concurrency test: its parts, its progress and its messages in flight.
#[allow(clippy::large_enum_variant)] // a handful of values in a test
enum Step {
    Start(Option<Ticket>),
    Responder(ExpectSigma2, Vec<u8>),
    Initiator(
        ExpectSigma2,
        Vec<u8>,
        Option<ExpectSigma3>,
        Option<Established>,
    ),
    Sigma3(Established, ExpectSigma3, Vec<u8>),
    Done(Established, Established),
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    // [SESS-2] [SESS-8] [SESS-38] several initiators against one responder, with their
    // messages interleaved in any order: every handshake completes with matching keys. No
    // message carries an address; the responder keeps one separate state value per handshake,
    // consumed by its one transition.
    #[test]
    fn concurrent_handshakes_interleave(
        n in 2usize..6,
        resume_mask in any::<u8>(),
        schedule in proptest::collection::vec(any::<prop::sample::Index>(), 40),
        seed in any::<u64>(),
    ) {
        let mut rng = SeededRandom::new(seed);
        let mut home = HomeAuthority::create(&mut rng, NOW - DAY, YEAR).unwrap();
        let v = Validity::starting(NOW - DAY, YEAR);
        let lamp = home.issue_member(&mut rng, LAMP, NodeRole::DEVICE, v).unwrap();
        let homes = table(lamp);
        let mut store = TicketStore::default();
        let now = Now::new(Instant::now(), NOW);
        let phones: Vec<HomeMembership> = (0..n)
            .map(|i| home.issue_member(&mut rng, 1 + i as u64, NodeRole::CONTROLLER, v).unwrap())
            .collect();
        // Some phones first run a full handshake so that they hold a ticket.
        let mut steps: Vec<Step> = Vec::new();
        for (i, phone) in phones.iter().enumerate() {
            let mut ticket = None;
            if resume_mask & (1 << i) != 0 {
                let mut s1 = Vec::new();
                let s = Initiator { membership: phone, peer_node_id: LAMP, versions: SUPPORTED, local_session_id: SessionId(0), ticket: None }
                    .start(&mut rng, now, &mut s1).unwrap();
                let mut r = Responder { homes: &homes, tickets: &mut store, versions: SUPPORTED };
                let mut s2 = Vec::new();
                let Sigma1Outcome::Full(r3) = r.handle_sigma1(&s1, SessionId(0), &mut rng, now, &mut s2).unwrap() else { panic!() };
                let mut s3 = Vec::new();
                let p = s.handle(phone, &s2, now, &mut s3).unwrap();
                r3.handle(&mut r, &s3, now).unwrap();
                ticket = p.ticket;
            }
            steps.push(Step::Start(ticket));
        }
        let mut picks = schedule.into_iter();
        loop {
            let pending: Vec<usize> = (0..n).filter(|i| !matches!(steps[*i], Step::Done(..))).collect();
            if pending.is_empty() { break; }
            let i = match picks.next() { Some(ix) => pending[ix.index(pending.len())], None => pending[0] };
            let sid = 100 + i as u32;
            let step = std::mem::replace(&mut steps[i], Step::Start(None));
            steps[i] = match step {
                Step::Start(ticket) => {
                    let mut s1 = Vec::new();
                    let s = Initiator { membership: &phones[i], peer_node_id: LAMP, versions: SUPPORTED, local_session_id: SessionId(sid), ticket }
                        .start(&mut rng, now, &mut s1).unwrap();
                    Step::Responder(s, s1)
                }
                Step::Responder(s, s1) => {
                    let mut r = Responder { homes: &homes, tickets: &mut store, versions: SUPPORTED };
                    let mut s2 = Vec::new();
                    match r.handle_sigma1(&s1, SessionId(1000 + sid), &mut rng, now, &mut s2).unwrap() {
                        Sigma1Outcome::Full(r3) => Step::Initiator(s, s2, Some(r3), None),
                        Sigma1Outcome::Resumed(l) => Step::Initiator(s, s2, None, Some(l)),
                    }
                }
                Step::Initiator(s, s2, r3, l) => {
                    let mut s3 = Vec::new();
                    let p = s.handle(&phones[i], &s2, now, &mut s3).unwrap();
                    match (r3, l) {
                        (Some(r3), None) => Step::Sigma3(p, r3, s3),
                        (None, Some(l)) => { prop_assert!(s3.is_empty()); Step::Done(p, l) }
                        _ => unreachable!(),
                    }
                }
                Step::Sigma3(p, r3, s3) => {
                    let mut r = Responder { homes: &homes, tickets: &mut store, versions: SUPPORTED };
                    let l = r3.handle(&mut r, &s3, now).unwrap();
                    Step::Done(p, l)
                }
                done @ Step::Done(..) => done,
            };
        }
        let mut all = Vec::new();
        for (i, step) in steps.into_iter().enumerate() {
            let Step::Done(p, l) = step else { unreachable!() };
            assert_pair(&p, &l);
            prop_assert_eq!(p.resumed, resume_mask & (1 << i) != 0);
            prop_assert_eq!(l.peer.node_id, 1 + i as u64);
            prop_assert_eq!(l.local_session_id, SessionId(1100 + i as u32));
            all.push(secret_bytes(&p.secrets));
        }
        for (a, x) in all.iter().enumerate() {
            for y in &all[a + 1..] { prop_assert_ne!(x, y); }
        }
    }
}

/// An independent model of spec/v1/06-sessions.md §6.5, written from the spec with the raw
/// primitives, so the vectors check the spec's description as well as the code.
mod model {
    use orbit_core::codec::{decode_value, encode_value, Value};
    use orbit_core::crypto::aead::AeadKey;
    use orbit_core::crypto::hash::{hkdf_sha256, sha256};

    pub(super) fn hkdf(salt: &[u8], ikm: &[u8], label: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        hkdf_sha256(salt, ikm, label.as_bytes(), &mut out).unwrap();
        out
    }

    /// [SESS-16] the message with map entry `key` removed.
    pub(super) fn truncate(message: &[u8], key: u64) -> Vec<u8> {
        let Value::Map(entries) = decode_value(message, &Default::default()).unwrap() else {
            panic!("not a map")
        };
        let kept = entries
            .into_iter()
            .filter(|(k, _)| k.as_integer() != Some(key.into()))
            .collect();
        let mut out = Vec::new();
        encode_value(&Value::Map(kept), &mut out);
        out
    }

    pub(super) fn th(parts: &[&[u8]]) -> [u8; 32] {
        sha256(parts)
    }

    pub(super) fn open(key: &[u8; 32], ct: &[u8]) -> Vec<u8> {
        let mut buf = ct.to_vec();
        let n = AeadKey::new(key)
            .unwrap()
            .open_in_place(&[0; 12], &[], &mut buf)
            .unwrap()
            .len();
        buf.truncate(n);
        buf
    }

    pub(super) fn seal(key: &[u8; 32], pt: &[u8]) -> Vec<u8> {
        let mut buf = pt.to_vec();
        AeadKey::new(key)
            .unwrap()
            .seal_in_place_append_tag(&[0; 12], &[], &mut buf)
            .unwrap();
        buf
    }

    /// [SESS-19] context ‖ transcript hash ‖ SHA-256(certificate).
    pub(super) fn signed(context: &str, th: &[u8; 32], cert: &[u8]) -> Vec<u8> {
        [context.as_bytes(), th, &sha256(&[cert])].concat()
    }
}

/// Draws `n` bytes from a generator: the model replays each side's draws from its seed.
fn draw(rng: &mut SeededRandom, n: usize) -> Vec<u8> {
    use orbit_core::crypto::Random;
    let mut v = vec![0u8; n];
    rng.fill(&mut v).unwrap();
    v
}

fn arr<const N: usize>(v: &[u8]) -> [u8; N] {
    v.try_into().unwrap()
}

/// A Sigma2 built from the spec by a responder that holds `signer`'s key and sends `cert`
/// (any bytes), choosing `version` and claiming `versions`; a correct one except for what
/// the caller changes.
fn forged_sigma2(
    sigma1: &[u8],
    cert: Vec<u8>,
    signer: &SigningKey,
    version: ProtocolVersion,
    versions: VersionRange,
) -> Vec<u8> {
    use orbit_core::crypto::x25519::EphemeralSecret;
    let s1 = Sigma1::decode(sigma1).unwrap();
    let eph = EphemeralSecret::from_bytes([5; 32]);
    let dh = eph.agree(&s1.initiator_eph).unwrap();
    let mut s2 = Sigma2 {
        responder_random: [6; 32],
        responder_session_id: LAMP_SID,
        responder_eph: eph.public_key(),
        version,
        responder_versions: versions,
        encrypted: Vec::new(),
    };
    let th2 = model::th(&[sigma1, &model::truncate(&s2.to_bytes(), 6)]);
    let sig = signer.sign(&model::signed("orbit v1 sigma2 signature", &th2, &cert));
    let payload = Sigma2Payload {
        certificate: cert,
        signature: sig.0,
        ticket_id: None,
    };
    s2.encrypted = model::seal(
        &model::hkdf(&th2, &dh, "orbit v1 sigma2 key"),
        &payload.to_bytes(),
    );
    s2.to_bytes()
}

// [SESS-7] [VER-4] a responder that authenticates a version other than the one both ranges
// give (a downgrade by a member of the home, or a bug) is caught after authentication.
#[test]
fn authenticated_downgrade_detected() {
    let f = fx();
    let both = VersionRange::new(1, 2).unwrap();
    let mut sigma1 = Vec::new();
    let s = Initiator {
        membership: &f.phone,
        peer_node_id: LAMP,
        versions: both,
        local_session_id: PHONE_SID,
        ticket: None,
    }
    .start(&mut SeededRandom::new(1), f.at(NOW), &mut sigma1)
    .unwrap();
    // The lamp speaks 1..=2 but answers with version 1, signing everything correctly.
    let lamp = f.lamp();
    let sigma2 = forged_sigma2(
        &sigma1,
        lamp.cert.to_bytes(),
        &lamp.key,
        ProtocolVersion(1),
        both,
    );
    let err = s
        .handle(&f.phone, &sigma2, f.at(NOW), &mut Vec::new())
        .unwrap_err();
    assert_eq!(
        err,
        SessionError::Version(VersionError::Downgrade {
            expected: ProtocolVersion(2),
            claimed: ProtocolVersion(1)
        })
    );
    assert_eq!(err.status(), Status::DOWNGRADE_DETECTED);
}

// [SESS-11] a responder of the right home that is not the node asked for is rejected. An
// honest responder never answers such a Sigma1 (the destination does not match); this one
// ignores the destination and signs correctly with its own certificate.
#[test]
fn responder_other_than_requested_node_rejected() {
    let f = fx();
    let (s, sigma1) = f.start(None, 1);
    let mut home = f.home.clone();
    let other = home
        .issue_member(
            &mut SeededRandom::new(3),
            LAMP + 1,
            NodeRole::DEVICE,
            Validity::starting(NOW - DAY, YEAR),
        )
        .unwrap();
    let sigma2 = forged_sigma2(
        &sigma1,
        other.cert.to_bytes(),
        &other.key,
        ProtocolVersion::V1,
        SUPPORTED,
    );
    let err = s
        .handle(&f.phone, &sigma2, f.at(NOW), &mut Vec::new())
        .unwrap_err();
    assert_eq!(
        err,
        SessionError::PeerMismatch {
            expected: LAMP,
            found: LAMP + 1
        }
    );
    assert_eq!(err.status(), Status::INVALID_CERTIFICATE);
}

// [SESS-10] [SESS-19] inside a correctly keyed payload: a certificate that does not decode
// is invalid-certificate, and a signature by a key other than the certificate's is
// invalid-signature.
#[test]
fn bad_certificate_bytes_and_wrong_signer_rejected() {
    let f = fx();
    let lamp = f.lamp();
    let (s, sigma1) = f.start(None, 1);
    let sigma2 = forged_sigma2(
        &sigma1,
        b"not a certificate".to_vec(),
        &lamp.key,
        ProtocolVersion::V1,
        SUPPORTED,
    );
    let err = s
        .handle(&f.phone, &sigma2, f.at(NOW), &mut Vec::new())
        .unwrap_err();
    assert!(
        matches!(err, SessionError::Certificate(CertError::Malformed(_))),
        "{err}"
    );
    assert_eq!(err.status(), Status::INVALID_CERTIFICATE);
    let (s, sigma1) = f.start(None, 1);
    let sigma2 = forged_sigma2(
        &sigma1,
        lamp.cert.to_bytes(),
        &f.phone.key,
        ProtocolVersion::V1,
        SUPPORTED,
    );
    let err = s
        .handle(&f.phone, &sigma2, f.at(NOW), &mut Vec::new())
        .unwrap_err();
    assert_eq!(err, SessionError::BadSignature);
    assert_eq!(err.status(), Status::INVALID_SIGNATURE);
}

// [SESS-13] the handshake's output drives message protection in both directions, for full
// and resumed sessions.
#[test]
fn established_keys_drive_message_protection() {
    use orbit_core::protect::{ProtectConfig, Protector};
    let f = fx();
    let mut store = TicketStore::default();
    let (mut phone, lamp, _) = f.full(&mut store);
    let (s, sigma1) = f.start(phone.ticket.take(), 2);
    let (o, s2r) = f.respond(&mut store, &sigma1, 3, NOW).unwrap();
    let Sigma1Outcome::Resumed(lamp2) = o else {
        panic!()
    };
    let phone2 = s
        .handle(&f.phone, &s2r, f.at(NOW), &mut Vec::new())
        .unwrap();
    for (p, l) in [(phone, lamp), (phone2, lamp2)] {
        let mut a = Protector::new(p.session_keys(), ProtectConfig::default()).unwrap();
        let mut b = Protector::new(l.session_keys(), ProtectConfig::default()).unwrap();
        let mut d = Vec::new();
        a.seal(b"ping", &mut d).unwrap();
        assert_eq!(b.open(&mut d).unwrap().payload, b"ping");
        let mut d = Vec::new();
        b.seal(b"pong", &mut d).unwrap();
        assert_eq!(a.open(&mut d).unwrap().payload, b"pong");
    }
}

const VECTOR_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../spec/v1/vectors/session-handshake.json"
);
const VECTOR_NOW: u64 = 1_800_000_000;

/// Runs the published handshakes with fixed seeds, checks every intermediate value against
/// the model of the spec, and returns the vector document.
fn compute_vectors() -> serde_json::Value {
    use orbit_core::crypto::hash::hmac_sha256;
    use orbit_core::crypto::x25519::EphemeralSecret;
    use serde_json::json;
    fn h(b: &[u8]) -> String {
        hex::encode(b)
    }
    let mut setup = SeededRandom::new(0x5e55);
    let mut home = HomeAuthority::create(&mut setup, VECTOR_NOW, 20 * YEAR).unwrap();
    let v = Validity::starting(VECTOR_NOW, YEAR);
    let phone = home
        .issue_member(&mut setup, PHONE, NodeRole::CONTROLLER, v)
        .unwrap();
    let lamp_m = home
        .issue_member(&mut setup, LAMP, NodeRole::DEVICE, v)
        .unwrap();
    let lamp_homes = table(lamp_m.clone());
    let unix = VECTOR_NOW + 60;
    let now = Now::new(Instant::now(), unix);
    let root_pk = home.root_cert().public_key().0;

    // ---- Full handshake ----
    let (seed_i, seed_r) = (0x1001u64, 0x2001u64);
    let mut sigma1 = Vec::new();
    let s = Initiator {
        membership: &phone,
        peer_node_id: LAMP,
        versions: SUPPORTED,
        local_session_id: PHONE_SID,
        ticket: None,
    }
    .start(&mut SeededRandom::new(seed_i), now, &mut sigma1)
    .unwrap();
    let mut store = TicketStore::default();
    let mut resp = Responder {
        homes: &lamp_homes,
        tickets: &mut store,
        versions: SUPPORTED,
    };
    let mut sigma2 = Vec::new();
    let Sigma1Outcome::Full(r3) = resp
        .handle_sigma1(
            &sigma1,
            LAMP_SID,
            &mut SeededRandom::new(seed_r),
            now,
            &mut sigma2,
        )
        .unwrap()
    else {
        panic!()
    };
    let mut sigma3 = Vec::new();
    let p = s.handle(&phone, &sigma2, now, &mut sigma3).unwrap();
    let l = r3.handle(&mut resp, &sigma3, now).unwrap();
    assert_pair(&p, &l);

    // The model: each side's draws in order ([SESS-5], [SESS-6], [SESS-21]).
    let mut ri = SeededRandom::new(seed_i);
    let (random_i, eph_i) = (draw(&mut ri, 32), draw(&mut ri, 32));
    let mut rr = SeededRandom::new(seed_r);
    let (random_r, eph_r, ticket_id) = (draw(&mut rr, 32), draw(&mut rr, 32), draw(&mut rr, 16));
    let eph_i = EphemeralSecret::from_bytes(arr(&eph_i));
    let eph_r = EphemeralSecret::from_bytes(arr(&eph_r));
    let s1 = Sigma1::decode(&sigma1).unwrap();
    let s2 = Sigma2::decode(&sigma2).unwrap();
    assert_eq!(s1.initiator_random.to_vec(), random_i);
    assert_eq!(s1.initiator_eph, eph_i.public_key());
    assert_eq!(s2.responder_random.to_vec(), random_r);
    assert_eq!(s2.responder_eph, eph_r.public_key());
    // [SESS-14]
    let dest = hmac_sha256(
        &root_pk,
        &[
            &random_i,
            &root_pk,
            &home.home_id().to_be_bytes(),
            &LAMP.to_be_bytes(),
        ],
    );
    assert_eq!(s1.destination_id, dest);
    // [SESS-16] [SESS-17] [SESS-18] [SESS-19]
    let dh = eph_i.agree(&eph_r.public_key()).unwrap();
    let sigma2_header = model::truncate(&sigma2, 6);
    let th2 = model::th(&[&sigma1, &sigma2_header]);
    let k2 = model::hkdf(&th2, &dh, "orbit v1 sigma2 key");
    let payload2 = model::open(&k2, &s2.encrypted);
    let p2 = Sigma2Payload::decode(&payload2).unwrap();
    assert_eq!(p2.certificate, lamp_m.cert.to_bytes());
    assert_eq!(p2.ticket_id.unwrap().to_vec(), ticket_id);
    lamp_m
        .key
        .public_key()
        .verify(
            &model::signed("orbit v1 sigma2 signature", &th2, &p2.certificate),
            &orbit_core::crypto::sign::Signature(p2.signature),
        )
        .unwrap();
    let th3 = model::th(&[&sigma1, &sigma2]);
    let k3 = model::hkdf(&th3, &dh, "orbit v1 sigma3 key");
    let payload3 = model::open(&k3, &Sigma3::decode(&sigma3).unwrap().encrypted);
    let p3 = Sigma3Payload::decode(&payload3).unwrap();
    assert_eq!(p3.certificate, phone.cert.to_bytes());
    phone
        .key
        .public_key()
        .verify(
            &model::signed("orbit v1 sigma3 signature", &th3, &p3.certificate),
            &orbit_core::crypto::sign::Signature(p3.signature),
        )
        .unwrap();
    let th4 = model::th(&[&sigma1, &sigma2, &sigma3]);
    let i2r = model::hkdf(&th4, &dh, "orbit v1 i2r traffic");
    let r2i = model::hkdf(&th4, &dh, "orbit v1 r2i traffic");
    let rs = model::hkdf(&th4, &dh, "orbit v1 resumption");
    assert_eq!(p.secrets.initiator_to_responder.0, i2r);
    assert_eq!(p.secrets.responder_to_initiator.0, r2i);
    let ticket = p.ticket.unwrap();
    assert_eq!(*ticket.secret(), rs);
    assert_eq!(ticket.id.to_vec(), ticket_id);

    // ---- Resumed handshake, one minute later ----
    let unix2 = unix + 60;
    let now2 = Now::new(now.instant, unix2);
    let (seed_i2, seed_r2) = (0x1002u64, 0x2002u64);
    let mut sigma1r = Vec::new();
    let s = Initiator {
        membership: &phone,
        peer_node_id: LAMP,
        versions: SUPPORTED,
        local_session_id: SessionId(12),
        ticket: Some(copy_ticket(&ticket)),
    }
    .start(&mut SeededRandom::new(seed_i2), now2, &mut sigma1r)
    .unwrap();
    let mut sigma2r = Vec::new();
    let Sigma1Outcome::Resumed(l2) = resp
        .handle_sigma1(
            &sigma1r,
            SessionId(23),
            &mut SeededRandom::new(seed_r2),
            now2,
            &mut sigma2r,
        )
        .unwrap()
    else {
        panic!()
    };
    let p2e = s.handle(&phone, &sigma2r, now2, &mut Vec::new()).unwrap();
    assert_pair(&p2e, &l2);
    let mut ri = SeededRandom::new(seed_i2);
    let (random_i2, eph_i2) = (draw(&mut ri, 32), draw(&mut ri, 32));
    let mut rr = SeededRandom::new(seed_r2);
    let (random_r2, eph_r2, ticket_id2) = (draw(&mut rr, 32), draw(&mut rr, 32), draw(&mut rr, 16));
    let eph_i2 = EphemeralSecret::from_bytes(arr(&eph_i2));
    let eph_r2 = EphemeralSecret::from_bytes(arr(&eph_r2));
    let s1r = Sigma1::decode(&sigma1r).unwrap();
    let s2r = Sigma2Resume::decode(&sigma2r).unwrap().0;
    assert_eq!(s1r.initiator_random.to_vec(), random_i2);
    assert_eq!(s2r.responder_random.to_vec(), random_r2);
    // [SESS-24]
    let mac_key = model::hkdf(&ticket.id, &rs, "orbit v1 resume mac key");
    let sigma1r_covered = model::truncate(&sigma1r, 7);
    let mac = hmac_sha256(&mac_key, &[&sigma1r_covered]);
    assert_eq!(s1r.resume.unwrap().mac, mac);
    assert_eq!(s1r.resume.unwrap().ticket_id, ticket.id);
    // [SESS-26] [SESS-29]
    let dh2 = eph_i2.agree(&eph_r2.public_key()).unwrap();
    let ikm = [&rs[..], &dh2[..]].concat();
    let sigma2r_header = model::truncate(&sigma2r, 6);
    let th2r = model::th(&[&sigma1r, &sigma2r_header]);
    let k2r = model::hkdf(&th2r, &ikm, "orbit v1 sigma2 resume key");
    let payload2r = model::open(&k2r, &s2r.encrypted);
    assert_eq!(
        Sigma2ResumePayload::decode(&payload2r)
            .unwrap()
            .ticket_id
            .unwrap()
            .to_vec(),
        ticket_id2
    );
    let thr = model::th(&[&sigma1r, &sigma2r]);
    let i2r2 = model::hkdf(&thr, &ikm, "orbit v1 i2r traffic");
    let r2i2 = model::hkdf(&thr, &ikm, "orbit v1 r2i traffic");
    let rs2 = model::hkdf(&thr, &ikm, "orbit v1 resumption");
    assert_eq!(p2e.secrets.initiator_to_responder.0, i2r2);
    assert_eq!(p2e.secrets.responder_to_initiator.0, r2i2);
    assert_eq!(*p2e.ticket.as_ref().unwrap().secret(), rs2);

    let mut status = Vec::new();
    encode_status(Status::BUSY, &mut status);
    let d = vector_support::diag_bytes;
    json!({
        "description": "Orbit v1 session handshakes (spec/v1/06-sessions.md): a full SIGMA-I handshake and a resumption of it, with fixed randomness. Each side draws from its own SeededRandom: the initiator draws its 32-byte random, then its X25519 private key; the responder draws its 32-byte random, its X25519 private key, then the 16-byte ticket identifier. The home, certificates and Ed25519 key seeds (RFC 8032) come from SeededRandom(0x5e55) as listed under setup. All hashes SHA-256, all keys HKDF-SHA256 (salt, ikm, info) with 32 bytes of output; payloads ChaCha20-Poly1305 with a zero nonce and empty AAD.",
        "source": "generated by core/tests/session.rs",
        "setup": {
            "seed": "SeededRandom(0x5e55): home root, then initiator key, then responder key",
            "home_id": format!("{:016x}", home.home_id()),
            "root_key_seed": h(home.root_key().seed()),
            "root_certificate": h(&home.root_cert().to_bytes()),
            "initiator": {"node_id": PHONE, "key_seed": h(phone.key.seed()), "certificate": h(&phone.cert.to_bytes())},
            "responder": {"node_id": LAMP, "key_seed": h(lamp_m.key.seed()), "certificate": h(&lamp_m.cert.to_bytes())},
            "versions": "both sides speak {1: 1, 2: 1}",
        },
        "full": {
            "now_unix": unix,
            "initiator_seed": seed_i, "responder_seed": seed_r,
            "initiator_session_id": PHONE_SID.0, "responder_session_id": LAMP_SID.0,
            "initiator_random": h(&random_i),
            "initiator_eph_private": h(&eph_private(seed_i)),
            "initiator_eph_public": h(&eph_i.public_key()),
            "destination_id": h(&dest),
            "responder_random": h(&random_r),
            "responder_eph_private": h(&eph_private(seed_r)),
            "responder_eph_public": h(&eph_r.public_key()),
            "ticket_id": h(&ticket_id),
            "sigma1": h(&sigma1),
            "sigma1_diag": d(&sigma1),
            "sigma2": h(&sigma2),
            "sigma2_diag": d(&sigma2),
            "sigma3": h(&sigma3),
            "sigma3_diag": d(&sigma3),
            "shared_secret": h(&dh),
            "sigma2_header": h(&sigma2_header),
            "th2": h(&th2),
            "sigma2_key": h(&k2),
            "sigma2_payload": h(&payload2),
            "sigma2_payload_diag": d(&payload2),
            "th3": h(&th3),
            "sigma3_key": h(&k3),
            "sigma3_payload": h(&payload3),
            "sigma3_payload_diag": d(&payload3),
            "th4": h(&th4),
            "i2r_traffic_secret": h(&i2r),
            "r2i_traffic_secret": h(&r2i),
            "resumption_secret": h(&rs),
        },
        "resumed": {
            "now_unix": unix2,
            "initiator_seed": seed_i2, "responder_seed": seed_r2,
            "initiator_session_id": 12, "responder_session_id": 23,
            "initiator_random": h(&random_i2),
            "initiator_eph_private": h(&eph_private(seed_i2)),
            "responder_random": h(&random_r2),
            "responder_eph_private": h(&eph_private(seed_r2)),
            "next_ticket_id": h(&ticket_id2),
            "sigma1": h(&sigma1r),
            "sigma1_diag": d(&sigma1r),
            "sigma1_mac_input": h(&sigma1r_covered),
            "resume_mac_key": h(&mac_key),
            "resume_mac": h(&mac),
            "sigma2_resume": h(&sigma2r),
            "sigma2_resume_diag": d(&sigma2r),
            "shared_secret": h(&dh2),
            "sigma2_resume_header": h(&sigma2r_header),
            "th2": h(&th2r),
            "sigma2_resume_key": h(&k2r),
            "sigma2_resume_payload": h(&payload2r),
            "sigma2_resume_payload_diag": d(&payload2r),
            "th_final": h(&thr),
            "i2r_traffic_secret": h(&i2r2),
            "r2i_traffic_secret": h(&r2i2),
            "resumption_secret": h(&rs2),
        },
        "status_busy": {"message": h(&status), "diag": d(&status)},
    })
}

/// The X25519 private key a side drew: both sides draw it second, after their random.
fn eph_private(seed: u64) -> Vec<u8> {
    let mut r = SeededRandom::new(seed);
    draw(&mut r, 32);
    draw(&mut r, 32)
}

// [SESS-16] [SESS-17] [SESS-18] [SESS-19] [SESS-24] [SESS-26] the published vectors match the
// code and the model of the spec.
#[test]
fn session_vectors_match_spec() {
    let fresh = compute_vectors();
    if std::env::var_os("ORBIT_REGEN_VECTORS").is_some() {
        std::fs::write(
            VECTOR_PATH,
            serde_json::to_string_pretty(&fresh).unwrap() + "\n",
        )
        .unwrap();
        return;
    }
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(VECTOR_PATH).unwrap()).unwrap();
    assert_eq!(
        on_disk, fresh,
        "spec/v1/vectors/session-handshake.json is stale: rerun with ORBIT_REGEN_VECTORS=1"
    );
}

// The examples in spec/v1/06-sessions.md are the vectors' messages, and its CDDL is
// cddl/session.cddl.
#[test]
fn spec_examples_and_cddl_match() {
    let spec = include_str!("../../spec/v1/06-sessions.md");
    let flat: String = spec
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '`')
        .collect();
    let v = compute_vectors();
    for (part, key) in [
        ("full", "sigma1"),
        ("full", "sigma2"),
        ("full", "sigma3"),
        ("full", "sigma2_payload"),
        ("full", "sigma3_payload"),
        ("resumed", "sigma1"),
        ("resumed", "sigma2_resume"),
        ("resumed", "sigma2_resume_payload"),
        ("status_busy", "message"),
    ] {
        let hex = v[part][key].as_str().unwrap();
        assert!(
            flat.contains(hex),
            "06-sessions.md lacks the hex of {part}.{key}"
        );
        let diag_key = if key == "message" {
            "diag".to_string()
        } else {
            format!("{key}_diag")
        };
        let diag: String = v[part][diag_key.as_str()]
            .as_str()
            .unwrap()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert!(
            flat.contains(&diag),
            "06-sessions.md lacks the diagnostic of {part}.{key}"
        );
    }
    let cddl = include_str!("../../spec/v1/cddl/session.cddl");
    let body: String = cddl
        .lines()
        .skip_while(|l| l.starts_with(';'))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        spec.contains(body.trim()),
        "the CDDL in 06-sessions.md differs from cddl/session.cddl"
    );
}

// [SESS-12] a low-order X25519 key (all-zero shared secret) ends the handshake on either side.
#[test]
fn low_order_ephemeral_key_rejected() {
    let f = fx();
    let random = [4u8; 32];
    let s1 = Sigma1 {
        initiator_random: random,
        initiator_session_id: PHONE_SID,
        destination_id: destination_id(
            &random,
            f.home.root_cert().public_key(),
            f.home.home_id(),
            LAMP,
        ),
        initiator_eph: [0; 32],
        versions: SUPPORTED,
        resume: None,
    };
    let err = f
        .respond(&mut TicketStore::default(), &s1.to_bytes(), 1, NOW)
        .unwrap_err();
    assert!(matches!(err, SessionError::Crypto(_)), "{err}");
    assert_eq!(err.status(), Status::INVALID_PARAMETER);
    // The initiator given a Sigma2 with a low-order key.
    let (s, sigma1) = f.start(None, 1);
    let (_, sigma2) = f
        .respond(&mut TicketStore::default(), &sigma1, 2, NOW)
        .unwrap();
    let mut s2 = Sigma2::decode(&sigma2).unwrap();
    s2.responder_eph = [0; 32];
    let err = s
        .handle(&f.phone, &s2.to_bytes(), f.at(NOW), &mut Vec::new())
        .unwrap_err();
    assert_eq!(err.status(), Status::INVALID_PARAMETER);
}

// [SESS-9] the responder checks the destination, then the version, then the ticket.
#[test]
fn responder_processing_order() {
    let f = fx();
    let (ticket, make_store) = resumable(&f);
    let (_, sigma1) = f.start(Some(ticket), 1);
    let mut s1 = Sigma1::decode(&sigma1).unwrap();
    // A wrong MAC and disjoint versions: the version error comes first, and the ticket stays.
    s1.versions = VersionRange::new(5, 6).unwrap();
    let mut store = make_store();
    let err = f.respond(&mut store, &s1.to_bytes(), 2, NOW).unwrap_err();
    assert_eq!(err.status(), Status::NO_COMMON_VERSION);
    assert_eq!(store.len(), 1);
    // And an unknown destination comes before the version.
    s1.destination_id[0] ^= 1;
    let err = f.respond(&mut store, &s1.to_bytes(), 2, NOW).unwrap_err();
    assert_eq!(err, SessionError::UnknownDestination);
    assert_eq!(store.len(), 1);
}

// [SESS-3] [SESS-35] oversized messages and fields are rejected with resource-exhausted.
#[test]
fn message_limits_enforced() {
    let f = fx();
    let (_, sigma1) = f.start(None, 1);
    let (o, _) = f
        .respond(&mut TicketStore::default(), &sigma1, 2, NOW)
        .unwrap();
    let Sigma1Outcome::Full(r) = o else { panic!() };
    let too_long = Sigma3 {
        encrypted: vec![0; 1025],
    }
    .to_bytes();
    let err = f
        .finish_responder(&mut TicketStore::default(), r, &too_long, NOW)
        .unwrap_err();
    assert_eq!(err.status(), Status::RESOURCE_EXHAUSTED);
    let mut big = vec![0u8; 1281];
    big[0] = 0xa1;
    let err = f
        .respond(&mut TicketStore::default(), &big, 2, NOW)
        .unwrap_err();
    assert_eq!(err.status(), Status::RESOURCE_EXHAUSTED);
    // Wrong fixed sizes are invalid-message.
    let mut s1 = Sigma1::decode(&sigma1).unwrap().to_value();
    if let Value::Map(entries) = &mut s1 {
        entries[1].1 = Value::Bytes(vec![0; 31]);
    }
    let mut bytes = Vec::new();
    orbit_core::codec::encode_value(&s1, &mut bytes);
    let err = f
        .respond(&mut TicketStore::default(), &bytes, 2, NOW)
        .unwrap_err();
    assert_eq!(err.status(), Status::INVALID_MESSAGE);
}

// [SESS-22] [SESS-23] [SESS-33] [SESS-34] [SESS-35] the limits table of 06-sessions.md is the
// code's.
#[test]
fn spec_limits_table_matches_code() {
    use orbit_core::session::{MAX_PENDING_HANDSHAKES, SESSION_LIMITS};
    let spec = include_str!("../../spec/v1/06-sessions.md");
    let value = |name: &str| -> String {
        let line = spec
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("| {name}")))
            .unwrap_or_else(|| panic!("no row {name}"));
        line.split('|').nth(2).unwrap().trim().to_string()
    };
    assert_eq!(
        value("message size"),
        format!("{} bytes", SESSION_LIMITS.max_message)
    );
    assert_eq!(value("nesting depth"), SESSION_LIMITS.max_depth.to_string());
    assert_eq!(
        value("entries in one array or map"),
        SESSION_LIMITS.max_collection.to_string()
    );
    assert_eq!(
        value("byte or text string length"),
        format!("{} bytes", SESSION_LIMITS.max_string)
    );
    assert_eq!(
        value("data items in one message"),
        SESSION_LIMITS.max_items.to_string()
    );
    assert_eq!(
        value("handshake state deadline"),
        format!("{} s", HANDSHAKE_TIMEOUT.as_secs())
    );
    assert_eq!(
        value("pending responder handshakes"),
        MAX_PENDING_HANDSHAKES.to_string()
    );
    assert_eq!(
        value("tickets kept by a responder"),
        MAX_TICKETS.to_string()
    );
    assert_eq!(
        value("ticket lifetime"),
        format!("{} hours", TICKET_LIFETIME_SECS / 3600)
    );
    assert_eq!(
        value("resumption hard limit after the full handshake"),
        format!("{} days", MAX_RESUMPTION_AGE_SECS / DAY)
    );
}

/// An operational certificate whose signed `tbs` is exactly `tbs_len` bytes: the usual fields
/// plus unknown ones ([CBOR-8]) holding padding, signed by the home's root over those bytes
/// ([CERT-2]). Returns the encoded certificate and the subject's key.
fn padded_certificate(
    home: &HomeAuthority,
    node_id: NodeId,
    role: NodeRole,
    tbs_len: usize,
) -> (Vec<u8>, SigningKey) {
    let key = SigningKey::from_seed(&[0x5a; 32]);
    let tbs = TbsCertificate {
        kind: CertKind::OPERATIONAL,
        serial: 77,
        subject_key: key.public_key(),
        issuer: KeyId::of(&home.root_key().public_key()),
        validity: Validity::starting(NOW - DAY, YEAR),
        home_id: Some(home.home_id()),
        node_id: Some(node_id),
        role: Some(role),
        vendor_id: None,
        product_id: None,
    };
    let Value::Map(base) = tbs.to_value() else {
        panic!()
    };
    // Unknown keys 20 and 21 (after every known key, so the map stays in order), each a byte
    // string within the tbs string limit of [LIMIT-2].
    let encode = |pad: usize| {
        let mut entries = base.clone();
        let first = pad.min(200);
        entries.push((Value::Integer(20.into()), Value::Bytes(vec![0xab; first])));
        entries.push((
            Value::Integer(21.into()),
            Value::Bytes(vec![0xcd; pad - first]),
        ));
        let mut out = Vec::new();
        encode_value(&Value::Map(entries), &mut out);
        out
    };
    let tbs_bytes = (0..tbs_len)
        .map(encode)
        .find(|b| b.len() == tbs_len)
        .unwrap();
    let signature = home.root_key().sign(&tbs_bytes);
    let mut cert = Vec::new();
    encode_value(
        &Value::Array(vec![
            Value::Bytes(tbs_bytes),
            Value::Bytes(signature.0.to_vec()),
        ]),
        &mut cert,
    );
    (cert, key)
}

// [LIMIT-2] [CERT-1] a spec-legal certificate whose tbs is longer than a tbs string may be (300
// bytes, and the largest, 512 bytes) is accepted everywhere: decoded alone, inside a
// commissioning message, and as a peer's certificate in a session handshake.
#[test]
fn certificate_with_large_tbs_is_accepted_in_commissioning_and_sessions() {
    for tbs_len in [300, 512] {
        let f = fx();
        let (bytes, key) = padded_certificate(&f.home, PHONE, NodeRole::CONTROLLER, tbs_len);
        assert!(bytes.len() <= orbit_core::cert::CERTIFICATE_LIMITS.max_message);

        // Alone.
        let cert = Certificate::decode(&bytes).unwrap();
        assert_eq!(cert.to_bytes(), bytes);

        // Commissioning: inside install-home.
        let install = InstallHome {
            root: f.home.root_cert().clone(),
            certificate: cert.clone(),
            time: NOW,
            admin_node_id: None,
        };
        let back = InstallHome::decode(&install.to_bytes()).unwrap();
        assert_eq!(back.certificate.to_bytes(), bytes);
        let peer = validate_operational(&back.certificate, &back.root, None, NOW).unwrap();
        assert_eq!(peer.node_id, PHONE);

        // Sessions: the phone's certificate travels in Sigma3 and the lamp decodes it.
        let phone = HomeMembership::new(f.home.root_cert().clone(), cert, key, NOW).unwrap();
        let f = Fx { phone, ..f };
        let mut store = TicketStore::default();
        let (phone, lamp, _) = f.full(&mut store);
        assert_pair(&phone, &lamp);
        assert_eq!(lamp.peer.node_id, PHONE);
        assert_eq!(lamp.peer.public_key, f.phone.key.public_key());
    }
    // One byte more than the tbs limit is refused (with resource-exhausted).
    let f = fx();
    let (bytes, _) = padded_certificate(&f.home, PHONE, NodeRole::CONTROLLER, 513);
    let err = Certificate::decode(&bytes).unwrap_err();
    assert_eq!(err.status(), Status::RESOURCE_EXHAUSTED, "{err}");
}

// [VER-5] an invalid version range is well formed, so it decodes, and is then rejected as a
// parameter with invalid-parameter: by the responder in Sigma1 and by the initiator in Sigma2.
#[test]
fn invalid_version_range_is_invalid_parameter() {
    let f = fx();
    let mut store = TicketStore::default();
    let bad = VersionRange {
        min: ProtocolVersion(3),
        max: ProtocolVersion(2),
    };
    let (_, sigma1) = f.start(None, 1);
    let err = f
        .respond(&mut store, &rewrite_offer(&sigma1, bad), 2, NOW)
        .unwrap_err();
    assert_eq!(err, SessionError::Version(VersionError::InvalidRange(bad)));
    assert_eq!(err.status(), Status::INVALID_PARAMETER);

    let zero = VersionRange {
        min: ProtocolVersion(0),
        max: ProtocolVersion(1),
    };
    let (s, sigma1) = f.start(None, 3);
    let (_, sigma2) = f.respond(&mut store, &sigma1, 4, NOW).unwrap();
    let mut s2 = Sigma2::decode(&sigma2).unwrap();
    s2.responder_versions = zero;
    let err = s
        .handle(&f.phone, &s2.to_bytes(), f.at(NOW), &mut Vec::new())
        .unwrap_err();
    assert_eq!(err, SessionError::Version(VersionError::InvalidRange(zero)));
    assert_eq!(err.status(), Status::INVALID_PARAMETER);
}

// [CBOR-9] [SESS-4] a message type that does not fit a byte (300) decodes as a type and is
// answered as an unexpected message by every state.
#[test]
fn large_unknown_message_type_is_unexpected() {
    let f = fx();
    let mut store = TicketStore::default();
    let unknown = [0xa1, 0x00, 0x19, 0x01, 0x2c]; // {0: 300}
    let err = f.respond(&mut store, &unknown, 1, NOW).unwrap_err();
    assert!(
        matches!(err, SessionError::UnexpectedMessage { found, .. } if found == MessageType(300)),
        "{err}"
    );
    assert_eq!(err.status(), Status::UNEXPECTED_MESSAGE);
    let (s, sigma1) = f.start(None, 2);
    let (o, _) = f.respond(&mut store, &sigma1, 3, NOW).unwrap();
    let err = s
        .handle(&f.phone, &unknown, f.at(NOW), &mut Vec::new())
        .unwrap_err();
    assert_eq!(err.status(), Status::UNEXPECTED_MESSAGE);
    let Sigma1Outcome::Full(r) = o else { panic!() };
    let err = f
        .finish_responder(&mut store, r, &unknown, NOW)
        .unwrap_err();
    assert_eq!(err.status(), Status::UNEXPECTED_MESSAGE);
}

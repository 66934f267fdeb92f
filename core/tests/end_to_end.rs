//! Both peers driven through every layer over a seeded, simulated link: pairing, commissioning
//! inside the PASE channel, a SIGMA session, then protected traffic over a lossy, duplicating,
//! reordering link that the session survives, including a move to a second link mid-stream
//! ([MSG-3], [MSG-19], [SESS-2]). A failing seed replays exactly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use orbit_core::attest::{DeviceAttestation, TrustStore, VendorAuthority};
use orbit_core::cert::{HomeAuthority, HomeMembership, HomeTable, NodeRole, Validity};
use orbit_core::codec::CborMessage;
use orbit_core::commission::{Commissioner, ExpectAttestationRequest, NodeAssignment};
use orbit_core::crypto::SeededRandom;
use orbit_core::pairing::{
    Controller, Device, PairingWindow, PasscodeVerifier, PbkdfParams, DEFAULT_WINDOW_DURATION,
};
use orbit_core::protect::{ProtectConfig, ProtectError, Protector};
use orbit_core::session::{Initiator, Now, Responder, SessionId, Sigma1Outcome, TicketStore};
use orbit_core::version::SUPPORTED;
use std::collections::BTreeSet;
use std::time::Duration;
use support::sim::{End, Link, LinkConfig};

const UNIX: u64 = 1_800_000_000;
const PASSCODE: u32 = 20_202_021;

/// Sends `bytes` from `from` and returns what arrives at the other end (the link is perfect
/// for handshakes, which have no retransmission of their own in the core).
fn hop(link: &mut Link, from: End, bytes: Vec<u8>) -> Vec<u8> {
    link.send(from, bytes);
    let (to, got) = link.deliver().expect("delivered");
    assert_eq!(to, from.peer());
    got
}

/// Seals on one side, carries over the link, opens on the other.
fn sealed_hop(
    link: &mut Link,
    from: End,
    tx: &mut Protector,
    rx: &mut Protector,
    plain: &[u8],
) -> Vec<u8> {
    let mut out = Vec::new();
    tx.seal(plain, &mut out).unwrap();
    let mut got = hop(link, from, out);
    rx.open(&mut got).unwrap().payload.to_vec()
}

struct Paired {
    phone: HomeMembership,
    lamp_homes: HomeTable,
}

/// Pairing and commissioning over `link`; returns the phone's and the lamp's credentials.
fn pair_and_commission(link: &mut Link, rng: &mut SeededRandom) -> Paired {
    let now = link.now();
    let validity = Validity::starting(UNIX - 10, 86_400 * 365);
    let lamp_att = DeviceAttestation::development(rng, 0x8001, 9, validity).unwrap();
    let stored =
        PasscodeVerifier::from_passcode(PASSCODE, PbkdfParams::generate(rng, 1000).unwrap())
            .unwrap();
    let mut window = PairingWindow::new();
    window.open(now, DEFAULT_WINDOW_DURATION).unwrap();
    let device = Device {
        verifier: &stored,
        versions: SUPPORTED,
    };

    let phone = Controller {
        passcode: PASSCODE,
        versions: SUPPORTED,
        local_session_id: 11,
        known_params: None,
    };
    let (phone, m) = phone.start(rng, now).unwrap();
    let got = hop(link, End::A, m.to_bytes());
    let (lamp, m) = device
        .handle_request(&mut window, &got, 22, rng, link.now())
        .unwrap();
    let got = hop(link, End::B, m.to_bytes());
    let (phone, m) = phone.handle(&got, rng, link.now()).unwrap();
    let got = hop(link, End::A, m.to_bytes());
    let (lamp, m) = lamp.handle(&mut window, &got, rng, link.now()).unwrap();
    let got = hop(link, End::B, m.to_bytes());
    let (phone_keys, m) = phone.handle(&got, link.now()).unwrap();
    let got = hop(link, End::A, m.to_bytes());
    let lamp_keys = lamp.handle(&mut window, &got, link.now()).unwrap();

    let mut phone_pipe =
        Protector::new(phone_keys.session_keys(), ProtectConfig::default()).unwrap();
    let mut lamp_pipe = Protector::new(lamp_keys.session_keys(), ProtectConfig::default()).unwrap();
    let mut trust = TrustStore::new();
    trust
        .add_root(VendorAuthority::development().root().clone())
        .unwrap();
    let mut home = HomeAuthority::create(rng, UNIX - 10, 86_400 * 3650).unwrap();
    let phone_member = home
        .issue_member(rng, 1, NodeRole::CONTROLLER, validity)
        .unwrap();
    let mut lamp_homes = HomeTable::default();

    let mut out = Vec::new();
    let c = Commissioner {
        challenge: phone_keys.attestation_challenge,
        expected_product: None,
    }
    .start(rng, link.now(), &mut out)
    .unwrap();
    let got = sealed_hop(link, End::A, &mut phone_pipe, &mut lamp_pipe, &out);
    out.clear();
    let d = ExpectAttestationRequest::new(lamp_keys.attestation_challenge, link.now())
        .handle(&lamp_att, &lamp_homes, &got, rng, link.now(), &mut out)
        .unwrap();
    let got = sealed_hop(link, End::B, &mut lamp_pipe, &mut phone_pipe, &out);
    out.clear();
    let verified = c.handle(&trust, &got, link.now(), UNIX, &mut out).unwrap();
    assert_eq!(verified.device().serial, 9);
    out.clear();
    let assignment = NodeAssignment {
        node_id: 0x42,
        validity,
        admin_node_id: Some(1),
    };
    let c = verified
        .install(&mut home, assignment, link.now(), UNIX, &mut out)
        .unwrap();
    let got = sealed_hop(link, End::A, &mut phone_pipe, &mut lamp_pipe, &out);
    out.clear();
    d.handle(&mut lamp_homes, &got, link.now(), Some(UNIX), &mut out)
        .unwrap();
    let got = sealed_hop(link, End::B, &mut lamp_pipe, &mut phone_pipe, &out);
    let done = c.handle(&got, link.now(), &mut Vec::new()).unwrap();
    assert_eq!(done.node_id, 0x42);
    Paired {
        phone: phone_member,
        lamp_homes,
    }
}

/// A full SIGMA handshake over `link`; returns (phone, lamp) protectors.
fn open_session(link: &mut Link, rng: &mut SeededRandom, p: &Paired) -> (Protector, Protector) {
    let mut tickets = TicketStore::default();
    let mut out = Vec::new();
    let now = || Now::new(link.now(), UNIX);
    let expect2 = Initiator {
        membership: &p.phone,
        peer_node_id: 0x42,
        versions: SUPPORTED,
        local_session_id: SessionId(0xa),
        ticket: None,
    }
    .start(rng, now(), &mut out)
    .unwrap();
    let got = hop(link, End::A, std::mem::take(&mut out));
    let mut lamp = Responder {
        homes: &p.lamp_homes,
        tickets: &mut tickets,
        versions: SUPPORTED,
    };
    let Sigma1Outcome::Full(expect3) = lamp
        .handle_sigma1(
            &got,
            SessionId(0xb),
            rng,
            Now::new(link.now(), UNIX),
            &mut out,
        )
        .unwrap()
    else {
        panic!("no ticket was offered")
    };
    let got = hop(link, End::B, std::mem::take(&mut out));
    let phone = expect2
        .handle(&p.phone, &got, Now::new(link.now(), UNIX), &mut out)
        .unwrap();
    let got = hop(link, End::A, std::mem::take(&mut out));
    let lamp_session = expect3
        .handle(&mut lamp, &got, Now::new(link.now(), UNIX))
        .unwrap();
    assert_eq!(lamp_session.peer.node_id, 1);
    assert_eq!(phone.peer.node_id, 0x42);
    (
        Protector::new(phone.session_keys(), ProtectConfig::default()).unwrap(),
        Protector::new(lamp_session.session_keys(), ProtectConfig::default()).unwrap(),
    )
}

/// Sends `range` of numbered messages from the phone over `link` and opens whatever arrives at
/// the lamp; records each delivered number. Every opened payload must be one that was sent,
/// and no number may be delivered twice.
fn stream(
    link: &mut Link,
    phone: &mut Protector,
    lamp: &mut Protector,
    range: std::ops::Range<u32>,
    delivered: &mut BTreeSet<u32>,
) -> (u64, u64) {
    let (mut replays, mut other) = (0, 0);
    for i in range {
        let mut out = Vec::new();
        phone.seal(&i.to_be_bytes(), &mut out).unwrap();
        link.send(End::A, out);
        link.advance(Duration::from_millis(1));
    }
    while let Some((to, mut bytes)) = link.deliver() {
        assert_eq!(to, End::B);
        match lamp.open(&mut bytes) {
            Ok(o) => {
                let n = u32::from_be_bytes(o.payload.try_into().unwrap());
                assert!(delivered.insert(n), "message {n} delivered twice");
            }
            Err(ProtectError::Replayed { .. }) => replays += 1,
            Err(_) => other += 1,
        }
    }
    (replays, other)
}

#[test]
fn whole_stack_over_a_hostile_link_and_a_transport_change() {
    for seed in 0..4u64 {
        let mut rng = SeededRandom::new(seed);
        let mut link = Link::new(LinkConfig::PERFECT, seed);
        let paired = pair_and_commission(&mut link, &mut rng);
        let (mut phone, mut lamp) = open_session(&mut link, &mut rng, &paired);

        // A lossy, duplicating, reordering first transport (spread well inside the window).
        let hostile = LinkConfig {
            min_latency: Duration::from_millis(1),
            max_latency: Duration::from_millis(40),
            loss_per_mille: 100,
            dup_per_mille: 150,
            mtu: 1280,
        };
        let mut ble = Link::new(hostile, seed ^ 0xb1e);
        let mut delivered = BTreeSet::new();
        let (replays, other) = stream(&mut ble, &mut phone, &mut lamp, 0..300, &mut delivered);
        assert_eq!(other, 0, "seed {seed}: only replays may be rejected");
        assert!(
            replays > 0,
            "seed {seed}: duplicates were sent, so replays must be seen"
        );
        assert!(
            delivered.len() > 200 && delivered.len() < 300,
            "seed {seed}: {} delivered",
            delivered.len()
        );

        // Move both ends' session state to new objects on a second transport [MSG-19]: no new
        // handshake, counters and the replay window carry over.
        let phone_state = phone.into_state();
        let lamp_state = lamp.into_state();
        let mut phone = Protector::from_state(phone_state, ProtectConfig::default()).unwrap();
        let mut lamp = Protector::from_state(lamp_state, ProtectConfig::default()).unwrap();
        let mut quic = Link::new(hostile, seed ^ 0x901c);
        let before = delivered.len();
        let (_, other) = stream(&mut quic, &mut phone, &mut lamp, 300..600, &mut delivered);
        assert_eq!(other, 0);
        assert!(delivered.len() - before > 200);
        assert!(delivered.iter().all(|n| *n < 600));

        // Old datagrams replayed on the new transport are still rejected.
        let mut again = Vec::new();
        let mut fresh =
            Protector::from_state(phone.into_state(), ProtectConfig::default()).unwrap();
        fresh.seal(b"x", &mut again).unwrap();
        let mut copy = again.clone();
        assert!(lamp.open(&mut again).is_ok());
        assert!(matches!(
            lamp.open(&mut copy),
            Err(ProtectError::Replayed { .. })
        ));
    }
}

//! A controller and a device with real SIGMA sessions and sealed messages, in memory.

use orbit_core::cert::{
    HomeAuthority, HomeId, HomeMembership, HomeTable, NodeId, NodeRole, Validity,
};
use orbit_core::crypto::sign::SigningKey;
use orbit_core::crypto::SeededRandom;
use orbit_core::device::{DeviceNode, Requester};
use orbit_core::interaction::{Client, ClientEvent};
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::session::{Initiator, Now, Responder, SessionId, Sigma1Outcome, TicketStore};
use orbit_core::version::SUPPORTED;
use std::time::Instant;

pub(crate) const UNIX: u64 = 1_800_000_000;
pub(crate) const DEVICE_NODE: NodeId = 0x42;
pub(crate) const ADMIN: NodeId = 1;

/// A home with its authority and the device's membership.
pub(crate) struct Home {
    pub(crate) authority: HomeAuthority,
    pub(crate) device: HomeMembership,
    pub(crate) rng: SeededRandom,
}

impl Home {
    pub(crate) fn new(seed: u64) -> Home {
        let mut rng = SeededRandom::new(seed);
        let mut authority =
            HomeAuthority::create(&mut rng, UNIX - 86_400, 10 * 365 * 86_400).unwrap();
        let device = authority
            .issue_member(
                &mut rng,
                DEVICE_NODE,
                NodeRole::DEVICE,
                Validity::starting(UNIX - 86_400, 365 * 86_400),
            )
            .unwrap();
        Home {
            authority,
            device,
            rng,
        }
    }

    pub(crate) fn id(&self) -> HomeId {
        self.device.home_id()
    }

    pub(crate) fn controller(&mut self, node: NodeId) -> HomeMembership {
        self.authority
            .issue_member(
                &mut self.rng,
                node,
                NodeRole::CONTROLLER,
                Validity::starting(UNIX - 86_400, 365 * 86_400),
            )
            .unwrap()
    }

    /// Installs the home on `device` with `admin` as its administrator `[ACL-6]`.
    pub(crate) fn install(&self, device: &mut DeviceNode) {
        device.add_home(
            self.id(),
            SigningKey::from_seed(self.device.key.seed()),
            ADMIN,
        );
    }
}

/// One controller's session with the device.
pub(crate) struct Session {
    pub(crate) client: Client,
    pub(crate) phone: Protector,
    pub(crate) device: Protector,
    pub(crate) requester: Requester,
    /// The device's operational public key as the controller authenticated it.
    pub(crate) device_key: orbit_core::crypto::sign::PublicKey,
}

static NEXT_SESSION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Runs a full SIGMA handshake between `phone` and the device of `home`.
pub(crate) fn open_session(home: &mut Home, phone: &HomeMembership, now: Instant) -> Session {
    let mut table = HomeTable::default();
    table.add(clone_membership(&home.device)).unwrap();
    let mut tickets = TicketStore::default();
    let mut out = Vec::new();
    let t = || Now::new(now, UNIX);
    let expect2 = Initiator {
        membership: phone,
        peer_node_id: DEVICE_NODE,
        versions: SUPPORTED,
        local_session_id: SessionId(0xa),
        ticket: None,
    }
    .start(&mut home.rng, t(), &mut out)
    .unwrap();
    let sigma1 = std::mem::take(&mut out);
    let mut responder = Responder {
        homes: &table,
        tickets: &mut tickets,
        versions: SUPPORTED,
    };
    let Sigma1Outcome::Full(expect3) = responder
        .handle_sigma1(&sigma1, SessionId(0xb), &mut home.rng, t(), &mut out)
        .unwrap()
    else {
        panic!("no ticket was offered")
    };
    let sigma2 = std::mem::take(&mut out);
    let phone_session = expect2.handle(phone, &sigma2, t(), &mut out).unwrap();
    let sigma3 = std::mem::take(&mut out);
    let device_session = expect3.handle(&mut responder, &sigma3, t()).unwrap();
    Session {
        client: Client::new(),
        phone: Protector::new(phone_session.session_keys(), ProtectConfig::default()).unwrap(),
        device: Protector::new(device_session.session_keys(), ProtectConfig::default()).unwrap(),
        requester: Requester {
            session: NEXT_SESSION.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            home: device_session.peer.home_id,
            node: device_session.peer.node_id,
        },
        device_key: phone_session.peer.public_key,
    }
}

pub(crate) fn clone_membership(m: &HomeMembership) -> HomeMembership {
    HomeMembership {
        root: m.root.clone(),
        cert: m.cert.clone(),
        key: SigningKey::from_seed(m.key.seed()),
    }
}

impl Session {
    /// Seals `bytes` at one end and opens them at the other, as a transport would carry them.
    pub(crate) fn carry_to_device(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut wire = Vec::new();
        self.phone.seal(bytes, &mut wire).unwrap();
        self.device.open(&mut wire).unwrap().payload.to_vec()
    }

    pub(crate) fn carry_to_phone(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut wire = Vec::new();
        self.device.seal(bytes, &mut wire).unwrap();
        self.phone.open(&mut wire).unwrap().payload.to_vec()
    }

    /// Carries a device message (a subscription report) to the phone and hands it to the
    /// client.
    pub(crate) fn deliver(&mut self, now: Instant, bytes: &[u8]) -> ClientEvent {
        let plain = self.carry_to_phone(bytes);
        self.client.handle(now, &plain).unwrap().unwrap()
    }

    /// Sends a request, lets the device answer, feeds the answers (and any follow-up, such as
    /// the write after a timed request) back, and returns the client's events.
    pub(crate) fn round_trip(
        &mut self,
        device: &mut DeviceNode,
        now: Instant,
        request: Vec<u8>,
    ) -> Vec<ClientEvent> {
        let mut events = Vec::new();
        let mut queue = vec![request];
        while let Some(req) = queue.pop() {
            let at_device = self.carry_to_device(&req);
            for answer in device.handle(now, &self.requester, &at_device) {
                let at_phone = self.carry_to_phone(&answer);
                if let Some(e) = self.client.handle(now, &at_phone).unwrap() {
                    events.push(e);
                }
                while let Some(follow) = self.client.poll_transmit() {
                    queue.push(follow);
                }
            }
        }
        events
    }
}

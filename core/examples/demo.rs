//! Orbit v1 end to end, in memory: a phone pairs with a lamp from its setup code, checks that
//! the lamp is genuine, gives it a certificate of the phone's home, opens a SIGMA session,
//! exchanges protected messages (and shows that tampered and replayed ones are dropped while
//! the session goes on), then resumes the session without signatures.
//!
//! Run with `cargo run --release -p orbit-core --example demo`. The core is sans-IO: this
//! program is the driver that owns the clock, the random source and the "wire" (a `Vec<u8>`
//! handed from one side to the other).

use orbit_core::attest::{DeviceAttestation, TrustStore, VendorAuthority, DEV_VENDOR_ID};
use orbit_core::cert::{HomeAuthority, HomeTable, NodeRole, Validity};
use orbit_core::codec::CborMessage;
use orbit_core::commission::{Commissioner, ExpectAttestationRequest, NodeAssignment};
use orbit_core::crypto::{Random, SystemRandom};
use orbit_core::pairing::{
    Controller, Device, PairingWindow, PasscodeVerifier, PbkdfParams, DEFAULT_WINDOW_DURATION,
};
use orbit_core::protect::{ProtectConfig, Protector};
use orbit_core::session::{Initiator, Now, Responder, SessionId, Sigma1Outcome, TicketStore};
use orbit_core::setup::{
    Discriminator, ManualCodeForm, Passcode, ProductId, SetupPayload, TransportFlags, VendorId,
};
use orbit_core::version::SUPPORTED;
use std::error::Error;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const LAMP_PRODUCT: u16 = 0x8001;
const YEAR: u64 = 365 * 86_400;
/// The spec's minimum PBKDF2 iteration count [PAIR-6]; real devices may use more.
const PBKDF2_ITERATIONS: u32 = 1_000;

/// Prints one message crossing the in-memory wire.
fn wire(direction: &str, name: &str, bytes: &[u8]) {
    println!("    {direction} {name:<22} {:>4} bytes", bytes.len());
}

/// Prints a phase's name and how long it took.
fn phase_done(name: &str, started: Instant, timings: &mut Vec<(String, Duration)>) {
    let took = started.elapsed();
    println!("  done in {:.2} ms\n", took.as_secs_f64() * 1e3);
    timings.push((name.to_string(), took));
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut rng = SystemRandom::new();
    let unix = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let mut timings = Vec::new();

    println!("== 1. Manufacture: the lamp gets an attestation chain and a setup code");
    let t = Instant::now();
    let lamp_attestation = DeviceAttestation::development(
        &mut rng,
        LAMP_PRODUCT,
        1,
        Validity::starting(unix - 60, 10 * YEAR),
    )?;
    let payload = SetupPayload::new(
        VendorId(DEV_VENDOR_ID),
        ProductId(LAMP_PRODUCT),
        Discriminator::generate(&mut rng)?,
        Passcode::generate(&mut rng)?,
    )
    .with_transports(TransportFlags::BLE | TransportFlags::IP);
    // The lamp keeps only the SPAKE2+ verifier, never the passcode [PAIR-8].
    let lamp_verifier = PasscodeVerifier::from_passcode(
        payload.passcode.value(),
        PbkdfParams::generate(&mut rng, PBKDF2_ITERATIONS)?,
    )?;
    let qr = payload.to_qr_string();
    println!("  label QR string:   {qr}");
    println!(
        "  label manual code: {}",
        payload.to_manual_code(ManualCodeForm::Short)
    );
    phase_done("manufacture (chain + verifier)", t, &mut timings);

    println!("== 2. The phone creates a home and trusts the development vendor root");
    let t = Instant::now();
    let mut home = HomeAuthority::create(&mut rng, unix - 60, 20 * YEAR)?;
    let phone_member = home.issue_member(
        &mut rng,
        1,
        NodeRole::CONTROLLER,
        Validity::starting(unix - 60, YEAR),
    )?;
    let mut trust = TrustStore::new();
    // Development only: the development root's key is public [ATT-7].
    trust.add_root(VendorAuthority::development().root().clone())?;
    println!("  home id {:016x}", home.home_id());
    phase_done("create home", t, &mut timings);

    println!("== 3. Pairing (PASE, SPAKE2+): the phone scanned {qr}");
    let t = Instant::now();
    let scanned = SetupPayload::from_qr_str(&qr)?;
    let now = Instant::now();
    let mut window = PairingWindow::new();
    window.open(now, DEFAULT_WINDOW_DURATION)?;
    let lamp_device = Device {
        verifier: &lamp_verifier,
        versions: SUPPORTED,
    };
    let phone = Controller {
        passcode: scanned.passcode.value(),
        versions: SUPPORTED,
        local_session_id: random_u32(&mut rng)?,
        known_params: None,
    };
    let (phone, msg) = phone.start(&mut rng, now)?;
    let bytes = msg.to_bytes();
    wire("phone -> lamp", "PbkdfParamRequest", &bytes);
    let (lamp, msg) =
        lamp_device.handle_request(&mut window, &bytes, random_u32(&mut rng)?, &mut rng, now)?;
    let bytes = msg.to_bytes();
    wire("lamp -> phone", "PbkdfParamResponse", &bytes);
    let (phone, msg) = phone.handle(&bytes, &mut rng, now)?;
    let bytes = msg.to_bytes();
    wire("phone -> lamp", "Pake1", &bytes);
    let (lamp, msg) = lamp.handle(&mut window, &bytes, &mut rng, now)?;
    let bytes = msg.to_bytes();
    wire("lamp -> phone", "Pake2", &bytes);
    let (phone_pase, msg) = phone.handle(&bytes, now)?;
    let bytes = msg.to_bytes();
    wire("phone -> lamp", "Pake3", &bytes);
    let lamp_pase = lamp.handle(&mut window, &bytes, now)?;
    println!("  both sides confirmed the passcode; PASE channel keys derived");
    phase_done("pairing (PASE)", t, &mut timings);

    println!("== 4. Commissioning over the PASE channel (sealed messages)");
    let t = Instant::now();
    let mut phone_pipe = Protector::new(phone_pase.session_keys(), ProtectConfig::default())?;
    let mut lamp_pipe = Protector::new(lamp_pase.session_keys(), ProtectConfig::default())?;
    let mut lamp_homes = HomeTable::default();
    let (mut plain, mut sealed) = (Vec::new(), Vec::new());

    let phone_c = Commissioner {
        challenge: phone_pase.attestation_challenge,
        expected_product: Some((scanned.vendor_id.0, scanned.product_id.0)),
    }
    .start(&mut rng, now, &mut plain)?;
    transfer(&mut phone_pipe, &mut lamp_pipe, &mut plain, &mut sealed)?;
    wire("phone -> lamp", "AttestationRequest", &sealed);
    let lamp_c = ExpectAttestationRequest::new(lamp_pase.attestation_challenge, now);
    let mut reply = Vec::new();
    let lamp_c = lamp_c.handle(
        &lamp_attestation,
        &lamp_homes,
        &plain,
        &mut rng,
        now,
        &mut reply,
    )?;
    transfer(&mut lamp_pipe, &mut phone_pipe, &mut reply, &mut sealed)?;
    wire("lamp -> phone", "AttestationResponse", &sealed);
    plain.clear();
    let verified = phone_c.handle(&trust, &reply, now, unix, &mut plain)?;
    let attested = verified.device().clone();
    println!(
        "  attested: vendor 0x{:04x}, product 0x{:04x}, serial {}",
        attested.vendor_id, attested.product_id, attested.serial
    );
    let assignment = NodeAssignment {
        node_id: 0x42,
        validity: Validity::starting(unix - 60, YEAR),
        admin_node_id: Some(1),
    };
    plain.clear();
    let phone_c = verified.install(&mut home, assignment, now, unix, &mut plain)?;
    transfer(&mut phone_pipe, &mut lamp_pipe, &mut plain, &mut sealed)?;
    wire("phone -> lamp", "InstallHome", &sealed);
    reply.clear();
    let joined = lamp_c.handle(&mut lamp_homes, &plain, now, Some(unix), &mut reply)?;
    transfer(&mut lamp_pipe, &mut phone_pipe, &mut reply, &mut sealed)?;
    wire("lamp -> phone", "CommissioningComplete", &sealed);
    let commissioned = phone_c.handle(&reply, now, &mut Vec::new())?;
    println!(
        "  lamp joined home {:016x} as node 0x{:x}",
        joined.home_id, commissioned.node_id
    );
    phase_done("commissioning", t, &mut timings);

    println!("== 5. Operational session (SIGMA-I, certificates of the home)");
    let t = Instant::now();
    let now = Now::new(Instant::now(), unix);
    let mut lamp_tickets = TicketStore::default();
    let (phone_session, lamp_session) = handshake(
        &phone_member,
        &lamp_homes,
        &mut lamp_tickets,
        None,
        &mut rng,
        now,
    )?;
    println!(
        "  phone sees node 0x{:x}, lamp sees node 0x{:x}; version {}, resumed: {}",
        phone_session.peer.node_id,
        lamp_session.peer.node_id,
        phone_session.version,
        phone_session.resumed
    );
    phase_done("session handshake (full)", t, &mut timings);

    println!("== 6. Protected messages");
    let t = Instant::now();
    let mut phone_tx = Protector::new(phone_session.session_keys(), ProtectConfig::default())?;
    let mut lamp_rx = Protector::new(lamp_session.session_keys(), ProtectConfig::default())?;
    let mut datagram = Vec::new();
    phone_tx.seal(b"on-off/on = true", &mut datagram)?;
    let replay = datagram.clone();
    let opened = lamp_rx.open(&mut datagram)?;
    println!(
        "  lamp received {:?} (counter {})",
        String::from_utf8_lossy(opened.payload),
        opened.counter
    );
    let mut replayed = replay.clone();
    println!("  replayed copy: {}", outcome(&mut lamp_rx, &mut replayed));
    let mut tampered = Vec::new();
    phone_tx.seal(b"level = 80", &mut tampered)?;
    if let Some(last) = tampered.last_mut() {
        *last ^= 0x01;
    }
    println!("  tampered copy: {}", outcome(&mut lamp_rx, &mut tampered));
    datagram.clear();
    phone_tx.seal(b"level = 80", &mut datagram)?;
    println!("  next message:  {}", outcome(&mut lamp_rx, &mut datagram));
    phase_done("protected messages", t, &mut timings);

    println!("== 7. Session resumption (no certificates, no signatures)");
    let t = Instant::now();
    let (resumed, _) = handshake(
        &phone_member,
        &lamp_homes,
        &mut lamp_tickets,
        phone_session.ticket,
        &mut rng,
        Now::new(Instant::now(), unix),
    )?;
    println!("  resumed: {}", resumed.resumed);
    phase_done("session handshake (resumed)", t, &mut timings);

    println!("== Timings");
    for (name, took) in &timings {
        println!("  {name:<32} {:>8.2} ms", took.as_secs_f64() * 1e3);
    }
    Ok(())
}

/// Runs a SIGMA handshake (full, or resumed when `ticket` is given) and prints the messages.
fn handshake(
    phone: &orbit_core::cert::HomeMembership,
    lamp_homes: &HomeTable,
    lamp_tickets: &mut TicketStore,
    ticket: Option<orbit_core::session::Ticket>,
    rng: &mut SystemRandom,
    now: Now,
) -> Result<
    (
        orbit_core::session::Established,
        orbit_core::session::Established,
    ),
    Box<dyn Error>,
> {
    let (mut to_lamp, mut to_phone) = (Vec::new(), Vec::new());
    let expect2 = Initiator {
        membership: phone,
        peer_node_id: 0x42,
        versions: SUPPORTED,
        local_session_id: SessionId(random_u32(rng)?),
        ticket,
    }
    .start(rng, now, &mut to_lamp)?;
    wire("phone -> lamp", "Sigma1", &to_lamp);
    let mut lamp = Responder {
        homes: lamp_homes,
        tickets: lamp_tickets,
        versions: SUPPORTED,
    };
    let lamp_id = SessionId(random_u32(rng)?);
    match lamp.handle_sigma1(&to_lamp, lamp_id, rng, now, &mut to_phone)? {
        Sigma1Outcome::Resumed(lamp_session) => {
            wire("lamp -> phone", "Sigma2Resume", &to_phone);
            let phone_session = expect2.handle(phone, &to_phone, now, &mut Vec::new())?;
            Ok((phone_session, lamp_session))
        }
        Sigma1Outcome::Full(expect3) => {
            wire("lamp -> phone", "Sigma2", &to_phone);
            to_lamp.clear();
            let phone_session = expect2.handle(phone, &to_phone, now, &mut to_lamp)?;
            wire("phone -> lamp", "Sigma3", &to_lamp);
            let lamp_session = expect3.handle(&mut lamp, &to_lamp, now)?;
            Ok((phone_session, lamp_session))
        }
    }
}

/// Seals `plain` with `from`, opens it with `to`, and leaves the plaintext in `plain` and the
/// sealed bytes in `sealed`, as a transport would carry them.
fn transfer(
    from: &mut Protector,
    to: &mut Protector,
    plain: &mut Vec<u8>,
    sealed: &mut Vec<u8>,
) -> Result<(), Box<dyn Error>> {
    sealed.clear();
    from.seal(plain, sealed)?;
    let mut copy = sealed.clone();
    let opened = to.open(&mut copy)?;
    plain.clear();
    plain.extend_from_slice(opened.payload);
    Ok(())
}

/// What the receiver did with a datagram.
fn outcome(rx: &mut Protector, datagram: &mut [u8]) -> String {
    match rx.open(datagram) {
        Ok(o) => format!("accepted, counter {}", o.counter),
        Err(e) => format!("dropped ({e}; status {})", e.status()),
    }
}

fn random_u32(rng: &mut dyn Random) -> Result<u32, orbit_core::crypto::CryptoError> {
    let mut b = [0u8; 4];
    rng.fill(&mut b)?;
    Ok(u32::from_be_bytes(b))
}

//! Discovery on the loopback interface: a device advertises a commissionable and an
//! operational instance, a controller browses both back `[DISC-9]` `[DISC-12]` `[DISC-13]`.
//!
//! mDNS needs multicast. The test first checks, with a plain socket, that this host delivers
//! a multicast datagram sent on 127.0.0.1 back to itself; if it does not (no multicast on
//! loopback, group join refused, no route), the test prints why and skips. Once that holds,
//! any discovery failure is a real failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

use orbit_core::setup::{Discriminator, ProductId, ShortDiscriminator, VendorId};
use orbit_core::version::SUPPORTED;
use orbit_discovery::{
    operational_instance_id, Advertiser, Browser, Commissionable, DiscoveryConfig, DiscoveryError,
    DiscriminatorFilter, InstanceId, NetworkScope, Operational, PairingHint,
};
use socket2::{Domain, Protocol, Socket, Type};

const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);

/// An mDNS port of our own, so the test neither disturbs nor hears the host's responder,
/// and parallel runs (other processes) rarely collide.
fn test_mdns_port(salt: u16) -> u16 {
    20_000 + (std::process::id() % 20_000) as u16 + salt
}

/// `Err(reason)` if multicast on loopback cannot work here.
fn loopback_multicast(port: u16) -> Result<(), String> {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    sock.set_reuse_address(true)
        .map_err(|e| format!("SO_REUSEADDR refused: {e}"))?;
    sock.bind(&SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)).into())
        .map_err(|e| format!("cannot bind UDP port {port}: {e}"))?;
    sock.join_multicast_v4(&GROUP, &Ipv4Addr::LOCALHOST)
        .map_err(|e| format!("cannot join {GROUP} on 127.0.0.1: {e}"))?;
    sock.set_multicast_if_v4(&Ipv4Addr::LOCALHOST)
        .map_err(|e| format!("cannot send multicast from 127.0.0.1: {e}"))?;
    sock.set_multicast_loop_v4(true)
        .map_err(|e| format!("cannot enable multicast loop: {e}"))?;
    let sock: UdpSocket = sock.into();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .map_err(|e| e.to_string())?;
    sock.send_to(b"orbit-probe", (GROUP, port))
        .map_err(|e| format!("cannot send to {GROUP}:{port} on loopback: {e}"))?;
    let mut buf = [0u8; 32];
    match sock.recv_from(&mut buf) {
        Ok((n, _)) if &buf[..n] == b"orbit-probe" => Ok(()),
        Ok(_) => Err("an unrelated datagram arrived instead of our probe".into()),
        Err(e) => Err(format!(
            "a multicast datagram sent on 127.0.0.1 did not come back within 500 ms: {e}"
        )),
    }
}

fn config(port: u16) -> DiscoveryConfig {
    DiscoveryConfig {
        mdns_port: port,
        scope: NetworkScope::LoopbackOnly,
    }
}

#[test]
fn advertise_and_browse_on_loopback() {
    let mdns_port = test_mdns_port(0);
    if let Err(reason) = loopback_multicast(mdns_port + 1) {
        println!("SKIPPED advertise_and_browse_on_loopback: mDNS cannot work here: {reason}");
        return;
    }
    let started = Instant::now();
    let quic_port = 5540;

    let advertiser = Advertiser::with_config(&config(mdns_port)).unwrap();
    let commissionable = Commissionable {
        instance: InstanceId::from_bytes([0xc0, 1, 2, 3, 4, 5, 6, 7]),
        discriminator: Discriminator::new(3840).unwrap(),
        vendor_id: VendorId(0xFFF1),
        product_id: ProductId(0x8001),
        pairing_hint: PairingHint::POWER_UP | PairingHint::DISPLAYS_CODE,
        versions: SUPPORTED,
    };
    let root_key = [7u8; 32];
    let op_id = operational_instance_id(&root_key, 0x1122_3344_5566_7788, 4097);
    let operational = Operational::new(op_id);
    let c_handle = advertiser
        .advertise_commissionable(&commissionable, quic_port)
        .unwrap();
    let _o_handle = advertiser
        .advertise_operational(&operational, quic_port)
        .unwrap();
    assert_eq!(c_handle.fullname(), "c001020304050607._orbit._udp.local.");

    let browser = Browser::with_config(&config(mdns_port)).unwrap();
    let expected_addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), quic_port);

    // [DISC-9] [DISC-13] long discriminator: the subtype.
    let d = commissionable.discriminator;
    let found = browser
        .browse_commissionable(
            Some(DiscriminatorFilter::Long(d)),
            Duration::from_millis(2500),
        )
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let dev = &found[0];
    assert_eq!(dev.record, commissionable);
    assert_eq!(dev.port, quic_port);
    assert_eq!(dev.addresses, vec![expected_addr]);
    assert_eq!(dev.host, "oc001020304050607.local.");
    assert_eq!(
        dev.direct_address().unwrap().to_string(),
        "quic://127.0.0.1:5540"
    );
    assert_eq!(
        dev.direct_address().unwrap().resolve().unwrap(),
        vec![expected_addr]
    );

    // [DISC-13] short discriminator: the base type, filtered on `d`; the operational instance
    // on the same type is not listed.
    let short = ShortDiscriminator::new(15).unwrap();
    let found = browser
        .browse_commissionable(
            Some(DiscriminatorFilter::Short(short)),
            Duration::from_millis(1200),
        )
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].record, commissionable);

    // A discriminator nobody advertises: nothing found, not an error [DISC-14].
    let other = Discriminator::new(1).unwrap();
    let none = browser
        .browse_commissionable(
            Some(DiscriminatorFilter::Long(other)),
            Duration::from_millis(500),
        )
        .unwrap();
    assert!(none.is_empty());

    // [DISC-12] the home's controller finds its device by the computed instance ID.
    let found = browser
        .find_operational(
            operational_instance_id(&root_key, 0x1122_3344_5566_7788, 4097),
            Duration::from_secs(3),
        )
        .unwrap()
        .expect("operational instance found");
    assert_eq!(found.record, operational);
    assert_eq!(found.addresses, vec![expected_addr]);
    // Another home's ID for the same node finds nothing.
    let missing = browser
        .find_operational(
            operational_instance_id(&[8u8; 32], 0x1122_3344_5566_7788, 4097),
            Duration::from_millis(300),
        )
        .unwrap();
    assert!(missing.is_none());

    // [DISC-5] a withdrawn commissionable instance disappears.
    c_handle.withdraw().unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let found = browser
        .browse_commissionable(None, Duration::from_millis(800))
        .unwrap();
    assert!(found.is_empty(), "{found:?}");
    println!(
        "loopback discovery took {:?}; nothing found reads: {}",
        started.elapsed(),
        DiscoveryError::NothingFound {
            waited: Duration::from_secs(3)
        }
    );
}

#[test]
fn finding_one_device_returns_at_its_first_advert() {
    // [DISC-23] the browse ends when the device of the setup code answers: with a timeout of
    // ten minutes, only an early return lets this test finish.
    let mdns_port = test_mdns_port(7);
    if let Err(reason) = loopback_multicast(mdns_port + 1) {
        println!("SKIPPED finding_one_device_returns_at_its_first_advert: {reason}");
        return;
    }
    let advertiser = Advertiser::with_config(&config(mdns_port)).unwrap();
    let record = Commissionable {
        instance: InstanceId::from_bytes([0xc1, 1, 2, 3, 4, 5, 6, 7]),
        discriminator: Discriminator::new(0x9ab).unwrap(),
        vendor_id: VendorId(0xFFF1),
        product_id: ProductId(0x8001),
        pairing_hint: PairingHint::POWER_UP,
        versions: SUPPORTED,
    };
    let _handle = advertiser.advertise_commissionable(&record, 5543).unwrap();
    let browser = Browser::with_config(&config(mdns_port)).unwrap();
    let forever = Duration::from_secs(600);
    let found = browser
        .find_commissionable(DiscriminatorFilter::Long(record.discriminator), forever)
        .unwrap()
        .expect("found");
    assert_eq!(found.record, record);
    assert_eq!(
        found.addresses,
        vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 5543)]
    );
    let short = ShortDiscriminator::new(0x9).unwrap();
    let found = browser
        .find_commissionable(DiscriminatorFilter::Short(short), forever)
        .unwrap()
        .expect("found by the short discriminator");
    assert_eq!(found.record, record);
    // None matching: nothing, after the timeout.
    let none = browser
        .find_commissionable(
            DiscriminatorFilter::Long(Discriminator::new(1).unwrap()),
            Duration::from_millis(300),
        )
        .unwrap();
    assert!(none.is_none());
}

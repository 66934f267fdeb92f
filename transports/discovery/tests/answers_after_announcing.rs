//! A device keeps answering queries once its announcements are over `[DISC-26]` `[DISC-27]`
//! `[DISC-28]`.
//!
//! The advertiser announces an instance a few times in its first two seconds (RFC 6762
//! section 8.3), then stays silent until asked. A controller that starts browsing later
//! only finds the device through the answer to its own query. That answer, for a query on
//! the long discriminator's subtype `[DISC-9]`, carries the subtype's PTR record among the
//! additional records, and the browser used to drop it: pairing by a QR code then only worked
//! in the device's first two seconds.
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
    operational_instance_id, Advertiser, Browser, Commissionable, DiscoveryConfig,
    DiscriminatorFilter, InstanceId, NetworkScope, Operational, PairingHint,
};
use socket2::{Domain, Protocol, Socket, Type};

const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);

/// Longer than the advertiser's probing and announcing (about 2 s after registration).
const QUIET_AFTER: Duration = Duration::from_secs(3);

/// Generous for a loaded machine; an answered query arrives well within it.
const TIMEOUT: Duration = Duration::from_secs(8);

fn test_mdns_port(salt: u16) -> u16 {
    20_000 + (std::process::id() % 20_000) as u16 + salt
}

/// `Err(reason)` if multicast on loopback cannot work here.
fn loopback_multicast(port: u16) -> Result<(), String> {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    sock.set_reuse_address(true).map_err(|e| e.to_string())?;
    sock.bind(&SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)).into())
        .map_err(|e| format!("cannot bind UDP port {port}: {e}"))?;
    sock.join_multicast_v4(&GROUP, &Ipv4Addr::LOCALHOST)
        .map_err(|e| format!("cannot join {GROUP} on 127.0.0.1: {e}"))?;
    sock.set_multicast_if_v4(&Ipv4Addr::LOCALHOST)
        .map_err(|e| e.to_string())?;
    sock.set_multicast_loop_v4(true)
        .map_err(|e| e.to_string())?;
    let sock: UdpSocket = sock.into();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .map_err(|e| e.to_string())?;
    sock.send_to(b"orbit-probe", (GROUP, port))
        .map_err(|e| e.to_string())?;
    let mut buf = [0u8; 32];
    match sock.recv_from(&mut buf) {
        Ok((n, _)) if &buf[..n] == b"orbit-probe" => Ok(()),
        Ok(_) => Err("an unrelated datagram arrived instead of our probe".into()),
        Err(e) => Err(format!("multicast on 127.0.0.1 did not come back: {e}")),
    }
}

fn config(port: u16) -> DiscoveryConfig {
    DiscoveryConfig {
        mdns_port: port,
        scope: NetworkScope::LoopbackOnly,
    }
}

#[test]
fn a_browse_after_the_announcements_is_answered() {
    let mdns_port = test_mdns_port(11);
    if let Err(reason) = loopback_multicast(mdns_port + 1) {
        println!("SKIPPED a_browse_after_the_announcements_is_answered: {reason}");
        return;
    }
    let advertiser = Advertiser::with_config(&config(mdns_port)).unwrap();
    let record = Commissionable {
        instance: InstanceId::from_bytes([0xc2, 1, 2, 3, 4, 5, 6, 7]),
        discriminator: Discriminator::new(0x5a7).unwrap(),
        vendor_id: VendorId(0xFFF1),
        product_id: ProductId(0x8001),
        pairing_hint: PairingHint::POWER_UP,
        versions: SUPPORTED,
    };
    let root_key = [9u8; 32];
    let op_id = operational_instance_id(&root_key, 0x0102_0304_0506_0708, 7);
    let _c = advertiser.advertise_commissionable(&record, 5544).unwrap();
    let _o = advertiser
        .advertise_operational(&Operational::new(op_id), 5544)
        .unwrap();
    let expected = vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 5544)];
    // Let the announcements end: from here on, only answers to queries can find the device.
    std::thread::sleep(QUIET_AFTER);

    // [DISC-27] a QR code's long discriminator: the subtype query, answered by the device
    // [DISC-26] with the subtype's PTR among the additional records. Listing devices uses the
    // browse alone (no one-shot query). Each browse uses a daemon of its own, like a
    // controller process started after the device.
    let listed = Browser::with_config(&config(mdns_port))
        .unwrap()
        .browse_commissionable(
            Some(DiscriminatorFilter::Long(record.discriminator)),
            Duration::from_millis(2500),
        )
        .unwrap();
    assert_eq!(
        listed.len(),
        1,
        "the device answers a subtype query: {listed:?}"
    );
    assert_eq!(listed[0].record, record);
    assert_eq!(listed[0].addresses, expected);

    // [DISC-28] looking for one device adds a one-shot query, answered at once.
    let started = Instant::now();
    let found = Browser::with_config(&config(mdns_port))
        .unwrap()
        .find_commissionable(DiscriminatorFilter::Long(record.discriminator), TIMEOUT)
        .unwrap()
        .expect("the device answers a subtype query after its announcements");
    assert_eq!(found.record, record);
    assert_eq!(found.addresses, expected);
    println!("found by subtype query in {:?}", started.elapsed());

    // A manual code's short discriminator: the base type query.
    let found = Browser::with_config(&config(mdns_port))
        .unwrap()
        .find_commissionable(
            DiscriminatorFilter::Short(ShortDiscriminator::new(0x5).unwrap()),
            TIMEOUT,
        )
        .unwrap()
        .expect("the device answers a base type query after its announcements");
    assert_eq!(found.record, record);

    // [DISC-12] the operational instance, the way `connect` finds a paired device.
    let found = Browser::with_config(&config(mdns_port))
        .unwrap()
        .find_operational(op_id, TIMEOUT)
        .unwrap()
        .expect("the operational instance answers after its announcements");
    assert_eq!(found.addresses, expected);
}

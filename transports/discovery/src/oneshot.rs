//! A one-shot mDNS query from an ephemeral port `[DISC-28]`.
//!
//! A query from the mDNS port itself is answered, for the shared PTR record, after a random
//! 20-120 ms delay, and not at all if the record was multicast in the last second (RFC 6762
//! §6); the daemon also waits 10-50 ms before its first query. A query from any other port is
//! a one-shot query (RFC 6762 §5.1) and the responder answers it at once by unicast (§6.7).
//! A controller looking for one device sends one such query next to its ordinary browse, so
//! a device that answers is found in about a round trip; the browse still finds devices
//! that do not.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::Instant;

use ring::rand::{SecureRandom, SystemRandom};
use socket2::{Domain, Protocol, Socket, Type};

use crate::browse::{found_device, FoundDevice};
use crate::config::{DiscoveryConfig, NetworkScope};
use crate::records::Advertisement;
use crate::wire::{self, Record};
use crate::SERVICE_TYPE;

/// The mDNS IPv4 group.
const GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);

/// A sent one-shot query, waiting for its unicast answers.
pub(crate) struct OneShot {
    sock: UdpSocket,
    id: u16,
}

impl OneShot {
    /// Sends a PTR query for `ty` on the IPv4 interface of `config`'s scope, or `None` if it
    /// cannot be sent (no IPv4 address in scope, socket refused): the browse alone then
    /// finds the device.
    pub(crate) fn send(config: &DiscoveryConfig, ty: &str) -> Option<Self> {
        let interface = match &config.scope {
            NetworkScope::AllInterfaces => None,
            NetworkScope::LoopbackOnly => Some(Ipv4Addr::LOCALHOST),
            NetworkScope::Addresses(addrs) => Some(addrs.iter().find_map(|a| match a {
                IpAddr::V4(v4) => Some(*v4),
                IpAddr::V6(_) => None,
            })?),
        };
        let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).ok()?;
        let any = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
        sock.bind(&any.into()).ok()?;
        if let Some(ip) = interface {
            sock.set_multicast_if_v4(&ip).ok()?;
        }
        // Devices on this host hear it too.
        sock.set_multicast_loop_v4(true).ok()?;
        let mut id = [0u8; 2];
        SystemRandom::new().fill(&mut id).ok()?;
        let id = u16::from_be_bytes(id);
        let query = wire::ptr_query(id, ty).ok()?;
        let sock: UdpSocket = sock.into();
        sock.send_to(&query, (GROUP_V4, config.mdns_port)).ok()?;
        Some(Self { sock, id })
    }

    /// The devices of mode `A` in the next answer that arrives before `until`, or `None`
    /// once `until` has passed. An answer that does not parse, or answers another query,
    /// gives an empty list.
    pub(crate) fn next_answer<A: Advertisement>(
        &self,
        until: Instant,
    ) -> Option<Vec<FoundDevice<A>>> {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || self.sock.set_read_timeout(Some(left)).is_err() {
            return None;
        }
        let mut buf = [0u8; 9000];
        let n = match self.sock.recv_from(&mut buf) {
            Ok((n, _)) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None
            }
            // Anything else (an ICMP error for the send, say) ends nothing: try again.
            Err(_) => return Some(Vec::new()),
        };
        let Some(msg) = buf.get(..n) else {
            return Some(Vec::new());
        };
        match wire::read_response(msg) {
            Ok((id, records)) if id == self.id => Some(devices(&records)),
            // [DISC-3] a malformed or unrelated answer is ignored.
            _ => Some(Vec::new()),
        }
    }
}

/// The complete instances of a response: PTR to an `_orbit._udp` instance, its SRV and TXT,
/// and the addresses of its host.
fn devices<A: Advertisement>(records: &[Record]) -> Vec<FoundDevice<A>> {
    let suffix = format!(".{SERVICE_TYPE}");
    let mut out = Vec::new();
    for record in records {
        let Record::Ptr { target, .. } = record else {
            continue;
        };
        let is_instance = target
            .len()
            .checked_sub(suffix.len())
            .and_then(|at| target.get(at..))
            .is_some_and(|tail| tail.eq_ignore_ascii_case(&suffix));
        if !is_instance {
            continue;
        }
        let Some((port, host)) = records.iter().find_map(|r| match r {
            Record::Srv { owner, port, host } if owner.eq_ignore_ascii_case(target) => {
                Some((*port, host))
            }
            _ => None,
        }) else {
            continue;
        };
        let Some(strings) = records.iter().find_map(|r| match r {
            Record::Txt { owner, strings } if owner.eq_ignore_ascii_case(target) => Some(strings),
            _ => None,
        }) else {
            continue;
        };
        let txt = strings.iter().filter_map(|s| {
            let (key, value) = match s.iter().position(|b| *b == b'=') {
                Some(at) => (s.get(..at)?, s.get(at + 1..)),
                None => (s.as_slice(), None),
            };
            Some((std::str::from_utf8(key).ok()?, value))
        });
        // A link-local IPv6 address is useless without the interface it was heard on.
        let addresses: Vec<SocketAddr> = records
            .iter()
            .filter_map(|r| match r {
                Record::Addr { owner, addr } if owner.eq_ignore_ascii_case(host) => Some(*addr),
                _ => None,
            })
            .filter(|ip| !matches!(ip, IpAddr::V6(v6) if v6.is_unicast_link_local()))
            .map(|ip| SocketAddr::new(ip, port))
            .collect();
        let already = |d: &FoundDevice<A>| d.host.eq_ignore_ascii_case(host) && d.port == port;
        if let Some(device) = found_device(target, txt, host, port, addresses) {
            if !out.iter().any(already) {
                out.push(device);
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::records::{Commissionable, Operational, PairingHint};
    use crate::{Advertiser, InstanceId};
    use orbit_core::setup::{Discriminator, ProductId, VendorId};
    use orbit_core::version::SUPPORTED;
    use std::time::Duration;

    // [DISC-28] a device answers a one-shot query from an ephemeral port by unicast, with the
    // SRV, TXT and address records a controller needs, for its base type and its subtype.
    #[test]
    fn a_device_answers_a_one_shot_query() {
        let config = DiscoveryConfig {
            mdns_port: 40_000 + (std::process::id() % 20_000) as u16,
            scope: NetworkScope::LoopbackOnly,
        };
        let advertiser = Advertiser::with_config(&config).unwrap();
        let record = Commissionable {
            instance: InstanceId::from_bytes([0xc3, 1, 2, 3, 4, 5, 6, 7]),
            discriminator: Discriminator::new(0x123).unwrap(),
            vendor_id: VendorId(0xFFF1),
            product_id: ProductId(0x8001),
            pairing_hint: PairingHint::POWER_UP,
            versions: SUPPORTED,
        };
        let _c = advertiser.advertise_commissionable(&record, 5545).unwrap();
        let operational = Operational::new(InstanceId::from_bytes([0x0a; 8]));
        let _o = advertiser
            .advertise_operational(&operational, 5545)
            .unwrap();
        let subtype = format!("_L{}._sub.{SERVICE_TYPE}", record.discriminator.value());
        // The daemon answers once the instance is announced (after probing, RFC 6762 §8.1):
        // ask again until it does, within a generous bound.
        let give_up = Instant::now() + Duration::from_secs(20);
        let found = loop {
            let Some(query) = OneShot::send(&config, &subtype) else {
                println!("SKIPPED: cannot send multicast on loopback here");
                return;
            };
            let until = Instant::now() + Duration::from_millis(500);
            let mut found = Vec::new();
            while let Some(devices) = query.next_answer::<Commissionable>(until) {
                found.extend(devices);
                if !found.is_empty() {
                    break;
                }
            }
            if !found.is_empty() || Instant::now() > give_up {
                break found;
            }
        };
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].record, record);
        assert_eq!(
            found[0].addresses,
            vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 5545)]
        );
        // The base type lists the operational instance too.
        let query = OneShot::send(&config, SERVICE_TYPE).unwrap();
        let until = Instant::now() + Duration::from_secs(5);
        let mut ops = Vec::new();
        while let Some(devices) = query.next_answer::<Operational>(until) {
            ops.extend(devices);
            if !ops.is_empty() {
                break;
            }
        }
        assert_eq!(ops.len(), 1, "{ops:?}");
        assert_eq!(ops[0].record, operational);
    }
}

//! The `network` capability's `addresses` ([BLE-25]): where the device accepts Orbit over
//! QUIC, told inside the session so a controller paired over BLE can move to QUIC without a
//! DNS-SD lookup ([BLE-26]).

use orbit_core::device::DeviceNode;
use orbit_core::interaction::ConcreteAttribute;
use orbit_core::model::std_caps::network;
use orbit_core::model::{Data, EndpointId};
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

/// The most entries `addresses` holds (its registry type).
const MAX_ADDRESSES: usize = 8;

/// The value of `addresses` for a device listening on `listening`: that address, or, for a
/// device bound to every interface, the interfaces' addresses `interfaces` (the rule of
/// [DISC-17]); at most [`MAX_ADDRESSES`] entries.
pub(crate) fn addresses_value(listening: SocketAddr, interfaces: &[IpAddr]) -> Data {
    let ips: Vec<IpAddr> = if listening.ip().is_unspecified() {
        interfaces
            .iter()
            .copied()
            .filter(|ip| ip.is_ipv4() == listening.is_ipv4())
            .collect()
    } else {
        vec![listening.ip()]
    };
    Data::List(
        ips.into_iter()
            .take(MAX_ADDRESSES)
            .map(|ip| {
                let bytes = match ip {
                    IpAddr::V4(v4) => v4.octets().to_vec(),
                    IpAddr::V6(v6) => v6.octets().to_vec(),
                };
                Data::Struct(vec![
                    (0, Data::Bytes(bytes)),
                    (1, Data::Uint(u64::from(listening.port()))),
                ])
            })
            .collect(),
    )
}

/// Whether the node declares `network` on endpoint 0.
pub(crate) fn declares_network(node: &DeviceNode) -> bool {
    node.attribute(ConcreteAttribute::new(
        EndpointId::ROOT,
        network::ID,
        network::attributes::ADDRESSES,
    ))
    .is_some()
}

/// Sets `addresses` on a node that declares `network`; a change reports it to
/// subscriptions ([BLE-25]). Nothing happens on a node without the capability.
pub(crate) fn publish(node: &mut DeviceNode, now: Instant, value: Data) {
    if !declares_network(node) {
        return;
    }
    let set = node.update(now, EndpointId::ROOT, |ctx| {
        ctx.set(network::ID, network::attributes::ADDRESSES, value)
    });
    if let Err(status) = set {
        tracing::warn!(%status, "network addresses not set");
    }
}

/// The host's interface addresses, loopback last, as [`addresses_value`] takes them.
pub(crate) fn interface_addresses() -> Vec<IpAddr> {
    let mut ips: Vec<IpAddr> = match if_addrs::get_if_addrs() {
        Ok(ifs) => ifs.into_iter().map(|i| i.ip()).collect(),
        Err(e) => {
            tracing::debug!(error = %e, "interface addresses unavailable");
            Vec::new()
        }
    };
    ips.sort_by_key(|ip| ip.is_loopback());
    ips
}

/// How often a device bound to every interface looks at its interfaces again: an address
/// that changes (a DHCP renewal) is reported within this time ([BLE-25]).
pub(crate) const RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// Keeps `addresses` in line with the interfaces of a device bound to every interface.
pub(crate) async fn follow_interfaces(
    shared: std::sync::Arc<super::runner::Shared>,
    listening: SocketAddr,
) {
    let mut tick = tokio::time::interval(RECHECK);
    loop {
        tick.tick().await;
        let value = addresses_value(listening, &interface_addresses());
        let mut core = shared.lock();
        let attr = ConcreteAttribute::new(
            EndpointId::ROOT,
            network::ID,
            network::attributes::ADDRESSES,
        );
        if core.node.attribute(attr) != Some(&value) {
            publish(&mut core.node, Instant::now(), value);
            drop(core);
            shared.wake_timers();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::addresses_value;
    use orbit_core::model::Data;
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    fn entry(ip: [u8; 4], port: u16) -> Data {
        Data::Struct(vec![
            (0, Data::Bytes(ip.to_vec())),
            (1, Data::Uint(u64::from(port))),
        ])
    }

    #[test]
    fn a_device_on_one_address_tells_that_address_alone() {
        // [BLE-25] by [DISC-17]: only where it listens.
        let listening = SocketAddr::from(([192, 168, 1, 7], 5541));
        let others = [IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))];
        assert_eq!(
            addresses_value(listening, &others),
            Data::List(vec![entry([192, 168, 1, 7], 5541)])
        );
    }

    #[test]
    fn a_device_on_every_interface_tells_each_ipv4_interface_up_to_eight() {
        let listening = SocketAddr::from(([0, 0, 0, 0], 6000));
        let mut ifs: Vec<IpAddr> = (1..=10)
            .map(|i| IpAddr::V4(Ipv4Addr::new(10, 0, 0, i)))
            .collect();
        ifs.push("fe80::1".parse().unwrap());
        let Data::List(entries) = addresses_value(listening, &ifs) else {
            panic!("not a list");
        };
        assert_eq!(entries.len(), 8);
        assert_eq!(entries.first(), Some(&entry([10, 0, 0, 1], 6000)));
    }
}

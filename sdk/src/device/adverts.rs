//! The device's DNS-SD advertisements kept in line with its state: commissionable while the
//! pairing window is open `[DISC-5]` (under a fresh random name each time `[DISC-6]`), and one
//! operational advertisement per home it belongs to `[DISC-10]`, `[DISC-11]`.

use super::runner::Shared;
use orbit_core::cert::HomeId;
use orbit_core::crypto::SystemRandom;
use orbit_core::setup::SetupPayload;
use orbit_discovery::{
    operational_instance_id, AdvertHandle, Advertiser, Commissionable, Operational, PairingHint,
};
use orbit_discovery::{DiscoveryConfig, NetworkScope};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// The discovery configuration a device listening on `listen` advertises with: only addresses
/// it accepts connections on `[DISC-17]`. A device bound to every interface (`0.0.0.0`, `::`)
/// advertises as configured; one bound to one address advertises that address alone, and
/// `None` when the configuration allows only other addresses (advertising those would send
/// controllers where nothing listens).
pub(crate) fn advertised(listen: IpAddr, configured: &DiscoveryConfig) -> Option<DiscoveryConfig> {
    if listen.is_unspecified() {
        return Some(configured.clone());
    }
    let only_listen = if listen == IpAddr::V4(Ipv4Addr::LOCALHOST) {
        NetworkScope::LoopbackOnly
    } else {
        NetworkScope::Addresses(vec![listen])
    };
    let scope = match &configured.scope {
        NetworkScope::AllInterfaces => only_listen,
        NetworkScope::LoopbackOnly if listen == IpAddr::V4(Ipv4Addr::LOCALHOST) => only_listen,
        NetworkScope::Addresses(addrs) if addrs.contains(&listen) => only_listen,
        _ => return None,
    };
    Some(DiscoveryConfig {
        scope,
        ..configured.clone()
    })
}

/// What the device currently advertises.
pub(crate) struct Adverts {
    advertiser: Advertiser,
    /// The commissionable advert and the window opening it is for (its closing time).
    commissionable: Option<(std::time::Instant, AdvertHandle)>,
    operational: BTreeMap<HomeId, AdvertHandle>,
}

impl Adverts {
    pub(crate) fn new(advertiser: Advertiser) -> Self {
        Adverts {
            advertiser,
            commissionable: None,
            operational: BTreeMap::new(),
        }
    }

    /// Brings the advertisements in line with the device's state; it listens on `port`.
    pub(crate) fn refresh(&mut self, shared: &Shared, setup: &SetupPayload, port: u16) {
        // [DISC-6] a new random instance name for each opening, even one that follows a
        // closing before this check ran; [DISC-5] withdrawn (the handle dropped) when closed.
        let opening = shared.window_opening();
        let current = self.commissionable.as_ref().map(|(at, _)| *at);
        if opening != current {
            self.commissionable = None;
        }
        if let (Some(closes_at), None) = (opening, &self.commissionable) {
            let record = Commissionable::new(
                &mut SystemRandom::new(),
                setup.discriminator,
                setup.vendor_id,
                setup.product_id,
                PairingHint::POWER_UP,
            );
            match record.map(|r| self.advertiser.advertise_commissionable(&r, port)) {
                Ok(Ok(handle)) => self.commissionable = Some((closes_at, handle)),
                Ok(Err(e)) => tracing::warn!(error = %e, "commissionable advertisement failed"),
                Err(e) => tracing::warn!(error = %e, "commissionable advertisement failed"),
            }
        }
        let identities = shared.operational_identities();
        for (root, home, node) in &identities {
            if self.operational.contains_key(home) {
                continue;
            }
            let record = Operational::new(operational_instance_id(root, *home, *node));
            match self.advertiser.advertise_operational(&record, port) {
                Ok(handle) => {
                    self.operational.insert(*home, handle);
                }
                Err(e) => tracing::warn!(error = %e, "operational advertisement failed"),
            }
        }
        self.operational
            .retain(|h, _| identities.iter().any(|(_, home, _)| home == h));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn config(scope: NetworkScope) -> DiscoveryConfig {
        DiscoveryConfig {
            mdns_port: 5399,
            scope,
        }
    }

    #[test]
    fn a_device_advertises_only_addresses_it_listens_on() {
        // [DISC-17]
        let any = config(NetworkScope::AllInterfaces);
        let lan: IpAddr = "192.168.1.20".parse().unwrap();
        let other: IpAddr = "10.0.0.7".parse().unwrap();
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        // Bound to every interface: every interface's addresses.
        assert_eq!(
            advertised(IpAddr::V4(Ipv4Addr::UNSPECIFIED), &any),
            Some(any.clone())
        );
        assert_eq!(advertised("::".parse().unwrap(), &any), Some(any.clone()));
        // Bound to one address: that address alone.
        assert_eq!(
            advertised(loopback, &any).map(|c| c.scope),
            Some(NetworkScope::LoopbackOnly)
        );
        assert_eq!(
            advertised(lan, &any).map(|c| c.scope),
            Some(NetworkScope::Addresses(vec![lan]))
        );
        let both = config(NetworkScope::Addresses(vec![lan, other]));
        assert_eq!(
            advertised(lan, &both).map(|c| c.scope),
            Some(NetworkScope::Addresses(vec![lan]))
        );
        assert_eq!(advertised(lan, &both).map(|c| c.mdns_port), Some(5399));
        // A configuration that allows only addresses the device does not listen on: nothing.
        assert_eq!(advertised(loopback, &both), None);
        assert_eq!(advertised(lan, &config(NetworkScope::LoopbackOnly)), None);
        assert_eq!(
            advertised(loopback, &config(NetworkScope::LoopbackOnly)).map(|c| c.scope),
            Some(NetworkScope::LoopbackOnly)
        );
    }
}

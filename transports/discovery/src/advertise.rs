//! The device side: advertising commissionable and operational instances.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use mdns_sd::ServiceInfo;

use crate::config::{DiscoveryConfig, NetworkScope};
use crate::daemon::Daemon;
use crate::records::{Advertisement, Commissionable, Operational};
use crate::{DiscoveryError, SERVICE_TYPE};

/// How long [`AdvertHandle::withdraw`] waits for the daemon to confirm.
const WITHDRAW_WAIT: Duration = Duration::from_secs(1);

/// Advertises a device's instances over mDNS. Each advertisement lives until its
/// [`AdvertHandle`] is withdrawn or dropped; the daemon stops when the advertiser and all its
/// handles are dropped. The calls do not block on the network.
#[derive(Debug)]
pub struct Advertiser {
    daemon: Arc<Daemon>,
}

/// One registered advertisement. Dropping it withdraws the instance (a goodbye with TTL 0)
/// without waiting; [`AdvertHandle::withdraw`] waits for the daemon to confirm `[DISC-5]`.
#[derive(Debug)]
pub struct AdvertHandle {
    daemon: Arc<Daemon>,
    fullname: String,
    withdrawn: bool,
}

impl Advertiser {
    /// An advertiser on every interface and the standard mDNS port.
    pub fn new() -> Result<Self, DiscoveryError> {
        Self::with_config(&DiscoveryConfig::default())
    }

    /// An advertiser with the given port and interfaces.
    pub fn with_config(config: &DiscoveryConfig) -> Result<Self, DiscoveryError> {
        Ok(Self {
            daemon: Arc::new(Daemon::start(config)?),
        })
    }

    /// Advertises `record` on UDP `port` while the pairing window is open: withdraw the handle
    /// when the window closes `[DISC-5]`. The instance is also registered under its
    /// discriminator's subtype `[DISC-9]`.
    pub fn advertise_commissionable(
        &self,
        record: &Commissionable,
        port: u16,
    ) -> Result<AdvertHandle, DiscoveryError> {
        self.advertise(record, port)
    }

    /// Advertises a device's membership of one home on UDP `port` (one call per home)
    /// `[DISC-10]`.
    pub fn advertise_operational(
        &self,
        record: &Operational,
        port: u16,
    ) -> Result<AdvertHandle, DiscoveryError> {
        self.advertise(record, port)
    }

    fn advertise<A: Advertisement>(
        &self,
        record: &A,
        port: u16,
    ) -> Result<AdvertHandle, DiscoveryError> {
        if port == 0 {
            return Err(DiscoveryError::PortZero);
        }
        let ty = match record.subtype() {
            // [DISC-9] `_L<d>._sub._orbit._udp.local.`
            Some(sub) => format!("{sub}._sub.{SERVICE_TYPE}"),
            None => SERVICE_TYPE.to_owned(),
        };
        let instance = record.instance();
        let name = instance.to_string();
        // [DISC-4] one host name per instance.
        let host = instance.host_name();
        let txt = record.txt();
        let txt: Vec<(&str, &str)> = txt.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let info = match &self.daemon.scope {
            NetworkScope::AllInterfaces => {
                ServiceInfo::new(&ty, &name, &host, (), port, &txt[..])?.enable_addr_auto()
            }
            NetworkScope::LoopbackOnly => ServiceInfo::new(
                &ty,
                &name,
                &host,
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                port,
                &txt[..],
            )?,
            NetworkScope::Addresses(addrs) => {
                ServiceInfo::new(&ty, &name, &host, &addrs[..], port, &txt[..])?
            }
        };
        let fullname = info.get_fullname().to_owned();
        // [DISC-26] [DISC-28] the daemon announces the instance, then answers queries for its
        // type and subtype (one-shot ones at once, by unicast) until it is withdrawn.
        self.daemon.inner.register(info)?;
        Ok(AdvertHandle {
            daemon: Arc::clone(&self.daemon),
            fullname,
            withdrawn: false,
        })
    }
}

impl AdvertHandle {
    /// The instance's full DNS name, `<instance>._orbit._udp.local.`.
    pub fn fullname(&self) -> &str {
        &self.fullname
    }

    /// Withdraws the advertisement and waits (up to 1 s) until the daemon has sent its
    /// goodbye `[DISC-5]`. Blocks: from async code, call it inside `spawn_blocking`.
    pub fn withdraw(mut self) -> Result<(), DiscoveryError> {
        self.withdrawn = true;
        let status = self.daemon.inner.unregister(&self.fullname)?;
        match status.recv_timeout(WITHDRAW_WAIT) {
            Ok(_) => Ok(()),
            Err(_) => Err(DiscoveryError::WithdrawUnconfirmed {
                fullname: self.fullname.clone(),
                waited: WITHDRAW_WAIT,
            }),
        }
    }
}

impl Drop for AdvertHandle {
    fn drop(&mut self) {
        if !self.withdrawn {
            // Best effort: the daemon may already be shutting down.
            let _ = self.daemon.inner.unregister(&self.fullname);
        }
    }
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
    use crate::instance::InstanceId;

    #[test]
    fn port_zero_rejected() {
        let adv = Advertiser::with_config(&DiscoveryConfig {
            mdns_port: 5399,
            scope: NetworkScope::LoopbackOnly,
        })
        .unwrap();
        let o = Operational::new(InstanceId::from_bytes([1; 8]));
        assert!(matches!(
            adv.advertise_operational(&o, 0),
            Err(DiscoveryError::PortZero)
        ));
    }
}

//! Where the mDNS daemon listens and which addresses an advertisement carries.

use std::net::IpAddr;

/// The mDNS port (RFC 6762).
pub const MDNS_PORT: u16 = 5353;

/// The interfaces discovery uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NetworkScope {
    /// Every multicast-capable interface; advertisements carry the host's addresses and follow
    /// their changes.
    #[default]
    AllInterfaces,
    /// Only the IPv4 loopback interface, advertising 127.0.0.1: tests and in-process demos.
    LoopbackOnly,
    /// Only the interfaces holding these addresses, advertising exactly these addresses.
    Addresses(Vec<IpAddr>),
}

/// How an [`crate::Advertiser`] or [`crate::Browser`] runs its mDNS daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryConfig {
    /// The UDP port mDNS runs on: [`MDNS_PORT`] on a real network. Advertisers and browsers
    /// only see each other on the same port, so tests may pick another one to stay apart
    /// from the host's own mDNS responder.
    pub mdns_port: u16,
    /// The interfaces to use.
    pub scope: NetworkScope,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        Self {
            mdns_port: MDNS_PORT,
            scope: NetworkScope::AllInterfaces,
        }
    }
}

impl DiscoveryConfig {
    /// Loopback only, on the standard mDNS port.
    pub fn loopback() -> Self {
        Self {
            mdns_port: MDNS_PORT,
            scope: NetworkScope::LoopbackOnly,
        }
    }
}

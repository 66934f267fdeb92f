//! One `mdns-sd` daemon thread per [`crate::Advertiser`] or [`crate::Browser`], shut down
//! when the last user drops it.

use mdns_sd::{IfKind, ServiceDaemon};

use crate::config::{DiscoveryConfig, NetworkScope};
use crate::DiscoveryError;

/// A daemon that is shut down on drop.
pub(crate) struct Daemon {
    pub(crate) inner: ServiceDaemon,
    pub(crate) scope: NetworkScope,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Daemon {
    /// Starts a daemon restricted to `config.scope`.
    pub(crate) fn start(config: &DiscoveryConfig) -> Result<Self, DiscoveryError> {
        let inner = ServiceDaemon::new_with_port(config.mdns_port)?;
        match &config.scope {
            NetworkScope::AllInterfaces => {}
            NetworkScope::LoopbackOnly => {
                inner.disable_interface(IfKind::All)?;
                inner.enable_interface(IfKind::LoopbackV4)?;
            }
            NetworkScope::Addresses(addrs) => {
                inner.disable_interface(IfKind::All)?;
                let kinds: Vec<IfKind> = addrs.iter().map(|a| IfKind::Addr(*a)).collect();
                inner.enable_interface(kinds)?;
            }
        }
        Ok(Self {
            inner,
            scope: config.scope.clone(),
        })
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // The daemon thread exits on its own once shut down; nothing to wait for.
        let _ = self.inner.shutdown();
    }
}

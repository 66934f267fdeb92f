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
use std::collections::BTreeMap;

/// What the device currently advertises.
pub(crate) struct Adverts {
    advertiser: Advertiser,
    commissionable: Option<AdvertHandle>,
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
        let open = shared.is_window_open();
        if open && self.commissionable.is_none() {
            let record = Commissionable::new(
                &mut SystemRandom::new(),
                setup.discriminator,
                setup.vendor_id,
                setup.product_id,
                PairingHint::POWER_UP,
            );
            match record.map(|r| self.advertiser.advertise_commissionable(&r, port)) {
                Ok(Ok(handle)) => self.commissionable = Some(handle),
                Ok(Err(e)) => tracing::warn!(error = %e, "commissionable advertisement failed"),
                Err(e) => tracing::warn!(error = %e, "commissionable advertisement failed"),
            }
        } else if !open {
            // Dropping the handle withdraws the advertisement (a goodbye) [DISC-5].
            self.commissionable = None;
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

//! Service discovery: a listener for what is found, and the platform seam. On a phone the
//! app gives a [`ServiceBrowser`] over its own DNS-SD API (iOS allows raw multicast only with
//! a special entitlement and offers NWBrowser; Android needs a multicast lock or
//! NsdManager); without one (desktop, tests) the SDK's own mDNS browser is used. The browser
//! only returns raw DNS-SD records: reading the TXT record and matching a setup code's
//! discriminator stay in `orbit-discovery`.

use crate::error::{OrbitError, Phase};
use orbit_discovery::{
    Advertisement, Commissionable, DiscriminatorFilter, FoundDevice, InstanceId,
};
use orbit_sdk::controller::SetupCode;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// A device that accepts pairing, as its advertisement says (nothing in it is authenticated;
/// pairing proves who answers).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct DiscoveredDevice {
    /// The advertisement's instance name.
    pub instance: String,
    /// The 12-bit discriminator, which a setup code names.
    pub discriminator: u16,
    /// Vendor ID.
    pub vendor_id: u16,
    /// Product ID.
    pub product_id: u16,
    /// Its addresses (`host:port`), IPv4 first.
    pub addresses: Vec<String>,
}

/// One TXT entry of a DNS-SD record: `key=value`, or a key alone (no value).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct TxtEntry {
    /// The key.
    pub key: String,
    /// The value's bytes, if the entry has a `=`.
    pub value: Option<Vec<u8>>,
}

/// A DNS-SD service instance as the platform's browser resolved it.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct ServiceRecord {
    /// The instance name (the first label).
    pub instance: String,
    /// The SRV port.
    pub port: u16,
    /// Its IP addresses (without port).
    pub addresses: Vec<String>,
    /// Its TXT record.
    pub txt: Vec<TxtEntry>,
}

/// The platform's DNS-SD browser (NsdManager, NWBrowser). Called on an SDK thread, never
/// the caller's; it may block for up to `timeout`.
#[uniffi::export(foreign)]
pub trait ServiceBrowser: Send + Sync {
    /// The instances of `service_type` (`_orbit._udp`) resolved within `timeout`.
    fn browse(
        &self,
        service_type: String,
        timeout: Duration,
    ) -> Result<Vec<ServiceRecord>, OrbitError>;
}

/// What an app implements to hear of devices as they are found.
#[uniffi::export(foreign)]
pub trait DiscoveryListener: Send + Sync {
    /// A device that accepts pairing was found.
    fn on_found(&self, device: DiscoveredDevice);
}

/// The service type without the `.local.` domain, as platform browsers want it.
fn service_type() -> String {
    orbit_discovery::SERVICE_TYPE
        .trim_end_matches('.')
        .trim_end_matches(".local")
        .to_owned()
}

fn device(found: &FoundDevice<Commissionable>) -> DiscoveredDevice {
    let mut addresses = found.addresses.clone();
    addresses.sort_by_key(|a| !a.is_ipv4());
    DiscoveredDevice {
        instance: found.instance().to_string(),
        discriminator: found.record.discriminator.value(),
        vendor_id: found.record.vendor_id.0,
        product_id: found.record.product_id.0,
        addresses: addresses.iter().map(SocketAddr::to_string).collect(),
    }
}

/// The SDK browser's results as records.
pub(crate) fn from_sdk(found: Vec<FoundDevice<Commissionable>>) -> Vec<DiscoveredDevice> {
    found.iter().map(device).collect()
}

/// A platform record read as a commissionable advertisement, if it is one.
fn commissionable(r: &ServiceRecord) -> Option<FoundDevice<Commissionable>> {
    let instance = InstanceId::parse(&r.instance).ok()?;
    let record = Commissionable::from_txt(
        instance,
        r.txt.iter().map(|e| (e.key.as_str(), e.value.as_deref())),
    )
    .ok()?;
    Some(FoundDevice {
        record,
        host: String::new(),
        port: r.port,
        addresses: r
            .addresses
            .iter()
            .filter_map(|a| a.parse::<IpAddr>().ok())
            .map(|ip| SocketAddr::new(ip, r.port))
            .collect(),
    })
}

/// Runs the platform browser off the runtime's workers and keeps the Orbit adverts.
async fn commissionable_from(
    browser: Arc<dyn ServiceBrowser>,
    timeout: Duration,
) -> Result<Vec<FoundDevice<Commissionable>>, OrbitError> {
    let records = tokio::task::spawn_blocking(move || browser.browse(service_type(), timeout))
        .await
        .map_err(|e| OrbitError::Internal {
            detail: format!("the app's browser failed: {e}"),
        })??;
    Ok(records.iter().filter_map(commissionable).collect())
}

/// Devices accepting pairing, through the platform browser.
pub(crate) async fn browse(
    browser: Arc<dyn ServiceBrowser>,
    timeout: Duration,
) -> Result<Vec<DiscoveredDevice>, OrbitError> {
    Ok(from_sdk(commissionable_from(browser, timeout).await?))
}

/// The address of the device whose setup code is `code`, through the platform browser.
pub(crate) async fn find_by_setup_code(
    browser: Arc<dyn ServiceBrowser>,
    code: &str,
    timeout: Duration,
) -> Result<SocketAddr, OrbitError> {
    let filter = match SetupCode::parse(code)? {
        SetupCode::Qr(p) => DiscriminatorFilter::Long(p.discriminator),
        SetupCode::Manual(m) => DiscriminatorFilter::Short(m.short_discriminator),
    };
    commissionable_from(browser, timeout)
        .await?
        .into_iter()
        .filter(|f| filter.matches(f.record.discriminator))
        .find_map(|f| {
            f.addresses
                .iter()
                .copied()
                .find(SocketAddr::is_ipv4)
                .or_else(|| f.addresses.first().copied())
        })
        .ok_or_else(|| OrbitError::NotFound {
            phase: Phase::Discovery,
            detail: format!(
                "no device accepting pairing with this setup code answered within {timeout:?}; \
                 give its address instead"
            ),
        })
}

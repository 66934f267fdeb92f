//! The controller side: browsing and resolving `[DISC-12]` `[DISC-13]`.

use std::collections::BTreeMap;
use std::net::{SocketAddr, SocketAddrV6};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use mdns_sd::{ResolvedService, ScopedIp, ServiceEvent};
use orbit_core::setup::{Discriminator, ShortDiscriminator};

use crate::address::DeviceAddress;
use crate::config::DiscoveryConfig;
use crate::daemon::Daemon;
use crate::instance::InstanceId;
use crate::oneshot::OneShot;
use crate::records::{long_subtype, Advertisement, Commissionable, Operational};
use crate::{DiscoveryError, SERVICE_TYPE};

/// How long a browse for one device reads answers to its one-shot query before it turns to
/// the browse's own events `[DISC-28]`: a device answers a one-shot query at once, and the
/// browse's first answer rarely comes sooner than this.
const ONE_SHOT_WINDOW: Duration = Duration::from_millis(100);

/// Which commissionable devices a controller is looking for `[DISC-13]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscriminatorFilter {
    /// All 12 bits, from a QR payload.
    Long(Discriminator),
    /// The upper 4 bits, from a manual code.
    Short(ShortDiscriminator),
}

impl DiscriminatorFilter {
    /// Whether a device advertising `discriminator` passes `[SETUP-20]`.
    pub fn matches(self, discriminator: Discriminator) -> bool {
        match self {
            DiscriminatorFilter::Long(d) => d == discriminator,
            DiscriminatorFilter::Short(s) => s.matches(discriminator),
        }
    }
}

/// A device that answered a browse: its parsed record and where to reach it. Nothing in it
/// is authenticated; pairing or the session handshake proves who answers `[DISC-12]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDevice<A> {
    /// The parsed TXT record and instance name.
    pub record: A,
    /// The SRV target host name.
    pub host: String,
    /// The SRV port.
    pub port: u16,
    /// The device's addresses with the SRV port (IPv6 link-local ones carry their scope).
    pub addresses: Vec<SocketAddr>,
}

impl<A: Advertisement> FoundDevice<A> {
    /// The instance name.
    pub fn instance(&self) -> InstanceId {
        self.record.instance()
    }

    /// The first address in direct form, to show the user or store for next time
    /// `[DISC-16]`.
    pub fn direct_address(&self) -> Option<DeviceAddress> {
        self.addresses
            .first()
            .and_then(|a| DeviceAddress::from_socket_addr(*a).ok())
    }
}

/// Browses for Orbit devices. Each call blocks for at most its timeout: from async code, call
/// it inside `tokio::task::spawn_blocking`. Calls on one browser run one at a time.
#[derive(Debug)]
pub struct Browser {
    /// Browses are serialized, so they do not share the mDNS port's answers half-way.
    busy: Mutex<()>,
    /// Where the browses' daemons listen and one-shot queries go `[DISC-28]`.
    config: DiscoveryConfig,
}

impl Browser {
    /// A browser on every interface and the standard mDNS port.
    pub fn new() -> Result<Self, DiscoveryError> {
        Self::with_config(&DiscoveryConfig::default())
    }

    /// A browser with the given port and interfaces.
    pub fn with_config(config: &DiscoveryConfig) -> Result<Self, DiscoveryError> {
        Ok(Self {
            busy: Mutex::new(()),
            config: config.clone(),
        })
    }

    /// A daemon for one browse. Each browse starts from an empty cache, as a controller
    /// process does: with a cache kept across browses of different types (a subtype, then the
    /// base type), the second browse sometimes got no event for a device the cache already
    /// held (its query carries cached records as known answers, which the device then does
    /// not repeat), seen in `tests/loopback.rs`.
    fn daemon(&self) -> Result<Daemon, DiscoveryError> {
        let daemon = Daemon::start(&self.config)?;
        // [DISC-27] A responder may answer a subtype query with the instance's PTR under the
        // base type and put the subtype's PTR among the additional records (`mdns-sd`, which
        // Orbit devices run, does). By default the daemon only keeps a response whose answer
        // PTR names a type it browses, so it dropped that answer and a QR code's subtype
        // browse only ever saw the device's unsolicited announcements, in its first seconds.
        // Keeping every response lets the subtype PTR in the additional records reach the
        // browse; the browse still asks only for the subtype [DISC-9], and the daemon lives
        // only as long as the browse.
        daemon.inner.accept_unsolicited(true)?;
        Ok(daemon)
    }

    /// Every commissionable device that answers within `timeout` and passes `filter`
    /// `[DISC-13]`, in instance order. With a long discriminator only its subtype is asked
    /// for `[DISC-9]`. An empty list is not an error: report it with
    /// [`DiscoveryError::NothingFound`] `[DISC-14]`.
    pub fn browse_commissionable(
        &self,
        filter: Option<DiscriminatorFilter>,
        timeout: Duration,
    ) -> Result<Vec<FoundDevice<Commissionable>>, DiscoveryError> {
        let ty = match filter {
            Some(DiscriminatorFilter::Long(d)) => {
                format!("{}._sub.{SERVICE_TYPE}", long_subtype(d))
            }
            _ => SERVICE_TYPE.to_owned(),
        };
        let mut found = BTreeMap::new();
        self.browse(&ty, timeout, false, |event| match event {
            Seen::Resolved(device) => {
                let device: FoundDevice<Commissionable> = device;
                if filter.is_none_or(|f| f.matches(device.record.discriminator)) {
                    found.insert(device.instance(), device);
                }
                false
            }
            Seen::Removed(instance) => {
                found.remove(&instance);
                false
            }
        })?;
        Ok(found.into_values().collect())
    }

    /// The first commissionable device that passes `filter` and resolves with an address,
    /// as soon as it answers, or `None` after `timeout` `[DISC-23]`. Pairing from a setup code
    /// needs one device, so it does not wait out the window that
    /// [`Browser::browse_commissionable`] listens for to list them all.
    pub fn find_commissionable(
        &self,
        filter: DiscriminatorFilter,
        timeout: Duration,
    ) -> Result<Option<FoundDevice<Commissionable>>, DiscoveryError> {
        let ty = match filter {
            DiscriminatorFilter::Long(d) => format!("{}._sub.{SERVICE_TYPE}", long_subtype(d)),
            DiscriminatorFilter::Short(_) => SERVICE_TYPE.to_owned(),
        };
        let mut hit = None;
        self.browse(&ty, timeout, true, |event| match event {
            Seen::Resolved(device) => {
                let device: FoundDevice<Commissionable> = device;
                if filter.matches(device.record.discriminator) && !device.addresses.is_empty() {
                    hit = Some(device);
                    return true;
                }
                false
            }
            Seen::Removed(_) => false,
        })?;
        Ok(hit)
    }

    /// The operational instance `instance` ([`crate::operational_instance_id`]), as soon as it
    /// answers, or `None` after `timeout` `[DISC-12]`.
    pub fn find_operational(
        &self,
        instance: InstanceId,
        timeout: Duration,
    ) -> Result<Option<FoundDevice<Operational>>, DiscoveryError> {
        let mut hit = None;
        self.browse(SERVICE_TYPE, timeout, true, |event| match event {
            Seen::Resolved(device) => {
                let device: FoundDevice<Operational> = device;
                if device.instance() == instance {
                    hit = Some(device);
                    return true;
                }
                false
            }
            Seen::Removed(_) => false,
        })?;
        Ok(hit)
    }

    /// Browses `ty` until `timeout` or until `on_event` returns true; with `one_shot`, also
    /// sends a one-shot query first `[DISC-28]`.
    fn browse<A: Advertisement>(
        &self,
        ty: &str,
        timeout: Duration,
        one_shot: bool,
        mut on_event: impl FnMut(Seen<A>) -> bool,
    ) -> Result<(), DiscoveryError> {
        let _busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        let deadline = Instant::now() + timeout;
        let daemon = self.daemon()?;
        let events = daemon.inner.browse(ty)?;
        let result = self.receive(ty, deadline, one_shot, &events, &mut on_event);
        // Best effort: the daemon is shut down when dropped right after.
        let _ = daemon.inner.stop_browse(ty);
        result
    }

    /// Hands `on_event` what the one-shot query and the browse find until `deadline` or
    /// until it returns true.
    fn receive<A: Advertisement>(
        &self,
        ty: &str,
        deadline: Instant,
        one_shot: bool,
        events: &mdns_sd::Receiver<ServiceEvent>,
        on_event: &mut impl FnMut(Seen<A>) -> bool,
    ) -> Result<(), DiscoveryError> {
        // [DISC-28] Answers to the one-shot query come at once; the browse's events queue
        // meanwhile and are read after the window.
        if let Some(query) = one_shot.then(|| OneShot::send(&self.config, ty)).flatten() {
            let until = deadline.min(Instant::now() + ONE_SHOT_WINDOW);
            while let Some(devices) = query.next_answer::<A>(until) {
                for device in devices {
                    if on_event(Seen::Resolved(device)) {
                        return Ok(());
                    }
                }
            }
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let event = match events.recv_timeout(left) {
                Ok(event) => event,
                Err(mdns_sd::RecvTimeoutError::Timeout) => break,
                Err(mdns_sd::RecvTimeoutError::Disconnected) => {
                    return Err(DiscoveryError::DaemonShutdown)
                }
            };
            let seen = match event {
                ServiceEvent::ServiceResolved(service) => match resolved_device(&service) {
                    Some(device) => Seen::Resolved(device),
                    // [DISC-3] an instance that does not parse is ignored.
                    None => continue,
                },
                ServiceEvent::ServiceRemoved(_, fullname) => match instance_of(&fullname) {
                    Some(instance) => Seen::Removed(instance),
                    None => continue,
                },
                _ => continue,
            };
            if on_event(seen) {
                break;
            }
        }
        Ok(())
    }
}

/// What a browse reports to its caller.
enum Seen<A> {
    Resolved(FoundDevice<A>),
    Removed(InstanceId),
}

/// The instance ID in `<instance>._orbit._udp.local.`.
fn instance_of(fullname: &str) -> Option<InstanceId> {
    let (label, rest) = fullname.split_once('.')?;
    if !rest.eq_ignore_ascii_case(SERVICE_TYPE) {
        return None;
    }
    InstanceId::parse(label).ok()
}

/// A resolved service as a device of mode `A`, or `None` if it is not one `[DISC-3]`.
fn resolved_device<A: Advertisement>(service: &ResolvedService) -> Option<FoundDevice<A>> {
    let txt = service.get_properties();
    let port = service.get_port();
    let addresses = service
        .get_addresses()
        .iter()
        .map(|ip| socket_addr(ip, port))
        .collect();
    found_device(
        service.get_fullname(),
        txt.iter().map(|p| (p.key(), p.val())),
        service.get_hostname(),
        port,
        addresses,
    )
}

/// The device of mode `A` named `fullname`, from its TXT entries, SRV target and port and
/// its addresses, or `None` if it is not one or cannot be reached `[DISC-3]`.
pub(crate) fn found_device<'a, A: Advertisement>(
    fullname: &str,
    txt: impl IntoIterator<Item = (&'a str, Option<&'a [u8]>)>,
    host: &str,
    port: u16,
    mut addresses: Vec<SocketAddr>,
) -> Option<FoundDevice<A>> {
    let instance = instance_of(fullname)?;
    let record = A::from_txt(instance, txt).ok()?;
    if addresses.is_empty() || port == 0 {
        return None;
    }
    addresses.sort();
    addresses.dedup();
    Some(FoundDevice {
        record,
        host: host.to_owned(),
        port,
        addresses,
    })
}

/// A socket address, keeping the interface of an IPv6 link-local address.
fn socket_addr(ip: &ScopedIp, port: u16) -> SocketAddr {
    match ip {
        ScopedIp::V6(v6) if v6.addr().is_unicast_link_local() => {
            SocketAddr::V6(SocketAddrV6::new(*v6.addr(), port, 0, v6.scope_id().index))
        }
        other => SocketAddr::new(other.to_ip_addr(), port),
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

    // [DISC-13] long filters match all 12 bits, short ones the upper 4.
    #[test]
    fn filters() {
        let d = Discriminator::new(0xF00).unwrap();
        assert!(DiscriminatorFilter::Long(d).matches(d));
        assert!(!DiscriminatorFilter::Long(d).matches(Discriminator::new(0xF01).unwrap()));
        let s = ShortDiscriminator::new(0xF).unwrap();
        assert!(DiscriminatorFilter::Short(s).matches(Discriminator::new(0xFFF).unwrap()));
        assert!(!DiscriminatorFilter::Short(s).matches(Discriminator::new(0xEFF).unwrap()));
    }

    #[test]
    fn instance_names() {
        let id = InstanceId::from_bytes([0xab; 8]);
        assert_eq!(instance_of(&format!("{id}._orbit._udp.local.")), Some(id));
        assert_eq!(instance_of(&format!("{id}._ORBIT._udp.local.")), Some(id));
        assert_eq!(instance_of(&format!("{id}._other._udp.local.")), None);
        assert_eq!(instance_of("abababababababab (2)._orbit._udp.local."), None);
        assert_eq!(instance_of("nodot"), None);
    }
}

//! Pairing over Bluetooth LE and moving a session between BLE and QUIC ([BLE-24] to
//! [BLE-29]): the session (keys, counters, replay window) stays the same on both, so a move
//! costs no handshake and no DNS-SD lookup ([MSG-3], [MSG-19]).

use super::error::{Cause, ControllerError, InPhase, Phase};
use super::{Controller, DeviceConnection, Paired, SetupCode, Via};
use crate::ble::{find_commissionable, find_operational, BleCentral, FramingConfig};
use crate::link::Link;
use orbit_core::interaction::{AttributePath, ReadRequest};
use orbit_core::model::{AttributeId, CapabilityId, Data, EndpointId};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// How long a scan listens for the device's advert.
pub const BLE_SCAN_TIMEOUT: Duration = Duration::from_secs(10);

/// The `network` capability that tells a device's QUIC addresses inside the session
/// ([BLE-25]), and its `addresses` attribute.
pub const NETWORK_CAPABILITY: CapabilityId = CapabilityId(0x0005);
/// The `addresses` attribute of [`NETWORK_CAPABILITY`].
pub const ADDRESSES_ATTRIBUTE: AttributeId = AttributeId(0);

/// What a handoff from BLE to QUIC took, phase by phase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handoff {
    /// The device's QUIC address the session moved to.
    pub address: SocketAddr,
    /// Reading the device's addresses over BLE.
    pub read_addresses: Duration,
    /// The QUIC connection's own handshake (TLS only; no Orbit handshake).
    pub quic_connect: Duration,
    /// The session's first request over QUIC, which moves the device's route ([BLE-27]).
    pub first_request: Duration,
    /// The BLE link's graceful close, after the device sent what it had queued on it
    /// ([BLE-14], [BLE-28]).
    pub ble_close: Duration,
    /// The whole move.
    pub total: Duration,
}

fn addresses_request() -> ReadRequest {
    ReadRequest {
        attributes: vec![AttributePath {
            endpoint: Some(EndpointId(0)),
            capability: Some(NETWORK_CAPABILITY),
            attribute: Some(ADDRESSES_ATTRIBUTE),
        }],
        events: vec![],
        event_min: None,
    }
}

fn no_addresses(why: String) -> ControllerError {
    ControllerError::new(Phase::Connect, Cause::NotFound(why))
}

/// The socket addresses in a value of `network.addresses` ([BLE-25]); entries of another
/// shape are skipped.
pub fn parse_addresses(value: &Data) -> Vec<SocketAddr> {
    let Data::List(entries) = value else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            let Data::Struct(fields) = entry else {
                return None;
            };
            let field = |id: u8| fields.iter().find(|(f, _)| *f == id).map(|(_, v)| v);
            let ip = match field(0)? {
                Data::Bytes(b) => match b.len() {
                    4 => IpAddr::from(<[u8; 4]>::try_from(b.as_slice()).ok()?),
                    16 => IpAddr::from(<[u8; 16]>::try_from(b.as_slice()).ok()?),
                    _ => return None,
                },
                _ => return None,
            };
            let port = match field(1)? {
                Data::Uint(p) => u16::try_from(*p).ok().filter(|p| *p != 0)?,
                _ => return None,
            };
            Some(SocketAddr::new(ip, port))
        })
        .collect()
}

impl Controller {
    /// Reaches the device a pairing is for: its link, and the QUIC addresses known so far.
    pub(crate) async fn reach(
        &self,
        via: Via<'_>,
        code: &SetupCode,
    ) -> Result<(Link, Vec<SocketAddr>), ControllerError> {
        match via {
            Via::Quic(addr) => {
                let link = self.quic.connect(addr).await.in_phase(Phase::Connect)?;
                Ok((Link::Quic(link), vec![addr]))
            }
            Via::Ble(central) => {
                let found = find_commissionable(central, code, BLE_SCAN_TIMEOUT).await?;
                let link = open_ble(central, &found.peripheral).await?;
                // The QUIC addresses come later, from inside the session ([BLE-25]).
                Ok((link, Vec::new()))
            }
        }
    }

    /// Reaches a paired device for a new session: over QUIC at an address, or over BLE by its
    /// operational advert ([BLE-21], [BLE-29]).
    pub(crate) async fn reach_paired(
        &self,
        via: &Via<'_>,
        node: orbit_core::cert::NodeId,
    ) -> Result<Link, ControllerError> {
        match via {
            Via::Quic(addr) => Ok(Link::Quic(
                self.quic.connect(*addr).await.in_phase(Phase::Connect)?,
            )),
            Via::Ble(central) => {
                let found = find_operational(
                    *central,
                    &self.home_root_key(),
                    self.home_id(),
                    node,
                    BLE_SCAN_TIMEOUT,
                )
                .await?;
                open_ble(*central, &found.peripheral).await
            }
        }
    }

    /// Pairs with the device whose setup code is `code`, found by its Bluetooth advert
    /// ([BLE-20], [BLE-24]) through `central`, over a BLE link: the same pairing,
    /// commissioning and confirming session as over QUIC. The connection it returns runs
    /// over BLE; [`Controller::hand_off`] moves it to QUIC.
    pub async fn pair_over_ble(
        &self,
        code: &str,
        central: &dyn BleCentral,
        name: Option<&str>,
    ) -> Result<Paired, ControllerError> {
        self.pair_inner(code, Via::Ble(central), name, false).await
    }

    /// Moves `connection`'s session (to the device called `name`) from its BLE link to QUIC
    /// ([BLE-26] to [BLE-28]): reads the device's addresses inside the session, connects over
    /// QUIC, sends the session's next request there (which moves the device's route), and
    /// closes the BLE link once the device has sent what it had queued on it. Subscriptions
    /// go on; no report is lost or delivered twice. The addresses are stored for later
    /// connections.
    pub async fn hand_off(
        &self,
        name: &str,
        connection: &DeviceConnection,
    ) -> Result<Handoff, ControllerError> {
        let start = Instant::now();
        let (reports, _) = connection.read(addresses_request()).await?;
        let read_addresses = start.elapsed();
        let addresses = match reports.first().map(|r| &r.result) {
            Some(Ok(value)) => parse_addresses(value),
            Some(Err(status)) => {
                return Err(no_addresses(format!(
                    "the device does not tell its network addresses ({status}); it cannot be handed off to QUIC [BLE-25]"
                )))
            }
            None => Vec::new(),
        };
        if addresses.is_empty() {
            return Err(no_addresses(
                "the device has no QUIC address yet (is it on the network?) [BLE-25]".into(),
            ));
        }
        let connect_start = Instant::now();
        let mut last_error = None;
        let mut reached = None;
        for addr in &addresses {
            match self.quic.connect(*addr).await {
                Ok(link) => {
                    reached = Some((*addr, link));
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        let Some((address, quic)) = reached else {
            return Err(match last_error {
                Some(e) => ControllerError::new(Phase::Connect, e),
                None => no_addresses("no address to connect to".into()),
            });
        };
        let quic_connect = connect_start.elapsed();
        let old = connection.adopt(Link::Quic(quic));
        // [BLE-27] the session's first message on the QUIC connection makes it the route.
        let request_start = Instant::now();
        let moved = connection.read(addresses_request()).await;
        let first_request = request_start.elapsed();
        if let Err(e) = moved {
            // The session stays on BLE, which still works.
            let quic = connection.adopt(old);
            quic.close(orbit_quic::ErrorCode::NO_ERROR, "handoff failed");
            return Err(e);
        }
        // [BLE-28] the device drains what it queued on BLE before the move, then the link
        // ends; reports of both links reach the subscriptions meanwhile.
        let close_start = Instant::now();
        old.close_gracefully().await;
        let ble_close = close_start.elapsed();
        self.remember_addresses(name, &addresses, address)?;
        Ok(Handoff {
            address,
            read_addresses,
            quic_connect,
            first_request,
            ble_close,
            total: start.elapsed(),
        })
    }

    /// Moves `connection`'s session (to the device called `name`) back to BLE after the
    /// network was lost ([BLE-29]): finds the device by its operational advert, opens a BLE
    /// link and sends the session's next request on it, which moves the device's route. A
    /// device that no longer holds the session answers nothing;
    /// [`Controller::connect_over_ble`] then resumes it with its ticket or opens a new one.
    pub async fn fall_back_to_ble(
        &self,
        name: &str,
        connection: &DeviceConnection,
        central: &dyn BleCentral,
    ) -> Result<Duration, ControllerError> {
        let start = Instant::now();
        let device = self.record(name).ok_or_else(|| {
            ControllerError::new(
                Phase::Discovery,
                Cause::NotFound(format!("no paired device called {name:?}")),
            )
        })?;
        let found = find_operational(
            central,
            &self.home_root_key(),
            self.home_id(),
            device.node_id,
            BLE_SCAN_TIMEOUT,
        )
        .await?;
        let link = open_ble(central, &found.peripheral).await?;
        let old = connection.adopt(link);
        old.close(orbit_quic::ErrorCode::NO_ERROR, "moved to Bluetooth");
        connection.read(addresses_request()).await?;
        Ok(start.elapsed())
    }

    fn remember_addresses(
        &self,
        name: &str,
        addresses: &[SocketAddr],
        used: SocketAddr,
    ) -> Result<(), ControllerError> {
        {
            let mut state = self.lock();
            if let Some(d) = state.find(name).and_then(|i| state.devices.get_mut(i)) {
                d.addresses = std::iter::once(used)
                    .chain(addresses.iter().copied().filter(|a| *a != used))
                    .collect();
            }
        }
        self.save()
    }
}

/// Connects to `peripheral` and runs the framing handshake ([BLE-3], [BLE-12]).
async fn open_ble(central: &dyn BleCentral, peripheral: &str) -> Result<Link, ControllerError> {
    let (radio, events) = central.connect(peripheral).await.map_err(|e| {
        ControllerError::new(
            Phase::Connect,
            Cause::NotFound(format!("Bluetooth connection failed: {e}")),
        )
    })?;
    let link = orbit_ble::link::Link::central(radio, events, FramingConfig::default())
        .await
        .in_phase(Phase::Connect)?;
    Ok(Link::from(link))
}

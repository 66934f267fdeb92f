//! Finding devices on the local network: those that accept pairing (to pair from a setup code
//! without typing an address) and paired ones after their address changed, by the per-home
//! name only this home can compute `[DISC-11]`, `[DISC-12]`, `[DISC-13]`.

use super::error::{Cause, ControllerError, InPhase, Phase};
use super::{Controller, SetupCode};
use orbit_discovery::{
    operational_instance_id, Browser, Commissionable, DiscoveryConfig, DiscoveryError,
    DiscriminatorFilter, FoundDevice,
};
use std::net::SocketAddr;
use std::time::Duration;

/// Runs a blocking browse off the async runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DiscoveryError> + Send + 'static,
) -> Result<T, ControllerError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.in_phase(Phase::Discovery),
        Err(e) => Err(ControllerError::new(
            Phase::Discovery,
            Cause::NotFound(format!("discovery task failed: {e}")),
        )),
    }
}

impl Controller {
    /// Devices on the local network that accept pairing now, listening for `timeout`.
    pub async fn discover(
        &self,
        config: DiscoveryConfig,
        timeout: Duration,
    ) -> Result<Vec<FoundDevice<Commissionable>>, ControllerError> {
        blocking(move || Browser::with_config(&config)?.browse_commissionable(None, timeout)).await
    }

    /// The address of the device whose setup code is `code`: the first device accepting
    /// pairing whose discriminator matches (12 bits from a QR code, the upper 4 from a manual
    /// code), as soon as its advertisement resolves `[DISC-23]`. Finding none within `timeout` is a [`Phase::Discovery`] error whose message suggests the direct
    /// address form `[DISC-14]`.
    pub async fn find_by_setup_code(
        &self,
        code: &str,
        config: DiscoveryConfig,
        timeout: Duration,
    ) -> Result<SocketAddr, ControllerError> {
        let filter = match SetupCode::parse(code)? {
            SetupCode::Qr(p) => DiscriminatorFilter::Long(p.discriminator),
            SetupCode::Manual(m) => DiscriminatorFilter::Short(m.short_discriminator),
        };
        // [DISC-23] the first matching advert ends the wait.
        let found =
            blocking(move || Browser::with_config(&config)?.find_commissionable(filter, timeout))
                .await?;
        found
            .and_then(|f| {
                f.addresses
                    .iter()
                    .copied()
                    .find(SocketAddr::is_ipv4)
                    .or_else(|| f.addresses.first().copied())
            })
            .ok_or_else(|| {
                ControllerError::new(
                    Phase::Discovery,
                    DiscoveryError::NothingFound { waited: timeout },
                )
            })
    }

    /// Where the paired device `name` is now, from its operational advertisement for this
    /// home, or `None` if it does not answer within `timeout`. The session handshake still
    /// authenticates whatever answers `[DISC-12]`.
    pub async fn locate(
        &self,
        name: &str,
        config: DiscoveryConfig,
        timeout: Duration,
    ) -> Result<Option<SocketAddr>, ControllerError> {
        let device = self.device(name).ok_or_else(|| {
            ControllerError::new(
                Phase::Discovery,
                Cause::NotFound(format!("no paired device called {name:?}")),
            )
        })?;
        let instance =
            operational_instance_id(&self.home_root_key(), self.home_id(), device.node_id);
        let found =
            blocking(move || Browser::with_config(&config)?.find_operational(instance, timeout))
                .await?;
        Ok(found.and_then(|f| {
            f.addresses
                .iter()
                .copied()
                .find(SocketAddr::is_ipv4)
                .or_else(|| f.addresses.first().copied())
        }))
    }

    /// Connects to `name` at its last address and, if that fails at the connect step (the
    /// device moved), finds it by its operational advertisement and connects there. A device
    /// that answered busy is where it was said to be: that error is returned as it is, not
    /// hidden behind a search elsewhere `[DISC-18]`.
    pub async fn connect_or_locate(
        &self,
        name: &str,
        config: DiscoveryConfig,
    ) -> Result<(super::DeviceConnection, super::Timings), ControllerError> {
        match self.connect(name, None).await {
            Err(e) if worth_locating(&e) => {
                match self
                    .locate(name, config, orbit_discovery::DEFAULT_BROWSE_TIMEOUT)
                    .await?
                {
                    Some(addr) => self.connect(name, Some(addr)).await,
                    None => Err(e),
                }
            }
            other => other,
        }
    }
}

/// Whether a failed connection to the stored address is a reason to look for the device
/// elsewhere: it failed at the connect step, and not because the device said it is busy
/// `[DISC-18]`, `[QUIC-45]`.
fn worth_locating(e: &ControllerError) -> bool {
    e.phase == Phase::Connect && !super::is_busy(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use orbit_quic::{ErrorCode, QuicError};

    fn at_connect(e: QuicError) -> ControllerError {
        ControllerError::new(Phase::Connect, Cause::Transport(e))
    }

    #[test]
    fn busy_is_not_a_reason_to_look_elsewhere() {
        // [DISC-18], [QUIC-45]
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 5541));
        assert!(!worth_locating(&at_connect(QuicError::Refused { addr })));
        assert!(!worth_locating(&at_connect(QuicError::ClosedByPeer {
            code: ErrorCode::SERVER_BUSY,
            reason: "evicted".into(),
        })));
        // A device that does not answer may have moved.
        assert!(worth_locating(&at_connect(QuicError::HandshakeTimeout {
            addr,
            timeout: Duration::from_secs(10),
        })));
        assert!(worth_locating(&at_connect(QuicError::ConnectionLost {
            reason: "unreachable".into(),
        })));
        // A failure after the connection is not about the address.
        assert!(!worth_locating(&ControllerError::new(
            Phase::Session,
            Cause::Transport(QuicError::TimedOut)
        )));
    }
}

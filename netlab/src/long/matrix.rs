//! Pairing and control under loss, delay with jitter, and reordering: for each setting, a set
//! of devices on one device host is paired afresh (one attempt each: the success rate is the
//! figure) and controlled for a while. Loss comes from nftables on the device host's link (in
//! both directions); delay, jitter and reordering from the kernel's `netem` where it exists,
//! else from a relay per device on a relay host, which the controller talks to instead of the
//! device (its delay applies in both directions, so the round trip is twice the delay).

use crate::load::fleet::{DeviceHost, FleetPlan};
use crate::load::run::{LoadConfig, Reach};
use crate::load::sessions::OpenPlan;
use crate::load::traffic::LoadPlan;
use crate::relay::{Relay, RelayConfig};
use crate::{delay_mechanism, DelayMechanism, Host, NsRuntime};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// One impairment setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// Random loss, percent in each direction.
    Loss(u8),
    /// Delay with jitter, milliseconds.
    Delay {
        /// One-way delay.
        ms: u64,
        /// Jitter either way.
        jitter_ms: u64,
    },
    /// Reordering: a share of datagrams held back so later ones overtake them.
    Reorder {
        /// Percent held back.
        percent: u8,
        /// The base delay.
        ms: u64,
    },
}

/// The settings the issue asks for.
pub fn settings() -> Vec<Setting> {
    vec![
        Setting::Loss(0),
        Setting::Loss(5),
        Setting::Loss(20),
        Setting::Delay {
            ms: 20,
            jitter_ms: 5,
        },
        Setting::Delay {
            ms: 100,
            jitter_ms: 20,
        },
        Setting::Delay {
            ms: 300,
            jitter_ms: 50,
        },
        Setting::Reorder {
            percent: 20,
            ms: 10,
        },
    ]
}

impl Setting {
    /// How the setting reads in the table, with the mechanism that made it.
    pub fn describe(self) -> String {
        let via = match delay_mechanism() {
            DelayMechanism::Netem => "netem",
            DelayMechanism::Relay => "relay",
        };
        match self {
            Setting::Loss(p) => format!("loss {p} % (nftables)"),
            Setting::Delay { ms, jitter_ms } => format!("delay {ms} ms ± {jitter_ms} ms ({via})"),
            Setting::Reorder { percent, ms } => {
                format!("reorder {percent} % over {ms} ms ({via})")
            }
        }
    }

    fn relay_config(self) -> Option<RelayConfig> {
        let ms = Duration::from_millis;
        match self {
            Setting::Loss(_) => None,
            Setting::Delay { ms: d, jitter_ms } => Some(RelayConfig {
                delay: ms(d),
                jitter: ms(jitter_ms),
                ..RelayConfig::default()
            }),
            Setting::Reorder { percent, ms: d } => Some(RelayConfig {
                delay: ms(d),
                reorder_percent: percent,
                ..RelayConfig::default()
            }),
        }
    }
}

/// What one setting needs from the lab.
pub struct Bench<'a> {
    /// The device host.
    pub device_host: &'a Host,
    /// The relay host and its runtime.
    pub relay: (&'a Host, &'a NsRuntime),
    /// The `orbit` binary.
    pub orbit: PathBuf,
    /// Where stores and logs go.
    pub dir: PathBuf,
    /// Devices per setting.
    pub devices: usize,
    /// Seconds of control per setting.
    pub seconds: u64,
    /// Requests per second.
    pub rate: f64,
}

/// The impairment of one setting, in force while it lives.
pub struct Applied {
    host: Host,
    relays: Vec<Relay>,
    netem: bool,
}

impl Drop for Applied {
    fn drop(&mut self) {
        let _ = self.host.set_loss(0);
        if self.netem {
            let _ = self.host.set_netem_delay(Duration::ZERO, Duration::ZERO);
        }
        self.relays.clear();
    }
}

impl Bench<'_> {
    /// The load run of `setting` (its `n`-th, for its ports and directory), and the
    /// impairment, applied.
    pub fn prepare(&self, setting: Setting, n: usize) -> Result<(LoadConfig, Applied), String> {
        let fleet = FleetPlan {
            orbit: self.orbit.clone(),
            hosts: vec![DeviceHost {
                name: self.device_host.name().to_owned(),
                ip: self.device_host.ip().into(),
                netns: Some(self.device_host.ns().to_owned()),
            }],
            devices: self.devices,
            first_port: 22_000 + u16::try_from(n * 100).unwrap_or(0),
            dir: self.dir.join(format!("matrix-{n}")),
            kind: "lamp".into(),
            batch: 8,
            start_timeout: Duration::from_secs(60),
        };
        let mut applied = Applied {
            host: self.device_host.clone(),
            relays: Vec::new(),
            netem: false,
        };
        let mut map = HashMap::new();
        match (setting, setting.relay_config()) {
            (Setting::Loss(p), _) => self.device_host.set_loss(p).map_err(|e| e.to_string())?,
            (_, Some(cfg)) if delay_mechanism() == DelayMechanism::Netem => {
                self.device_host
                    .set_netem_delay(cfg.delay, cfg.jitter)
                    .map_err(|e| e.to_string())?;
                applied.netem = true;
            }
            (_, Some(cfg)) => {
                let (host, rt) = self.relay;
                for (j, slot) in fleet.slots().map_err(|e| e.to_string())?.iter().enumerate() {
                    let port = 23_000 + u16::try_from(n * 100 + j).unwrap_or(0);
                    let listen = SocketAddr::new(host.ip().into(), port);
                    let upstream = slot.listen;
                    let relay = rt
                        .block_on(async move { Relay::start(listen, upstream, cfg).await })
                        .map_err(|e| e.to_string())?
                        .map_err(|e| format!("relay on {listen}: {e}"))?;
                    map.insert(slot.listen, relay.addr());
                    applied.relays.push(relay);
                }
            }
            (_, None) => {}
        }
        let reach: Reach = Arc::new(move |a| map.get(&a).copied());
        let config = LoadConfig {
            fleet,
            load: LoadPlan {
                rate: self.rate,
                duration: Duration::from_secs(self.seconds),
                write_share: 0.5,
                max_interval_s: 10,
                max_in_flight: 1000,
            },
            open: OpenPlan {
                concurrency: 4,
                attempts: 1,
            },
            fresh: true,
            sample_every: Duration::from_secs(10),
            reach,
        };
        Ok((config, applied))
    }
}

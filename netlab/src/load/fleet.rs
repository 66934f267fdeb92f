//! The devices under load: one `orbit device run` process each, several per device host, each
//! with its own store, port and setup code. A host is an address (and, on the lab, the network
//! namespace it lives in: the process is started with `ip netns exec`, which keeps its PID, so
//! `/proc/PID` reads the device itself).
//!
//! A device's first line on stdout (`--json`) says whether its pairing window is open and
//! gives its setup code; later lines are answers to local controls, which are never sent, so
//! stdout goes to a file and nothing blocks on a pipe nobody reads.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A host that runs devices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceHost {
    /// A short name, used in device names.
    pub name: String,
    /// The address the devices listen on.
    pub ip: IpAddr,
    /// The network namespace, when the host is one (`None`: this namespace).
    pub netns: Option<String>,
}

impl std::str::FromStr for DeviceHost {
    type Err = String;

    /// `IP` (a host in this namespace, named `h<last octet>`) or `NETNS/IP`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (netns, ip) = match s.split_once('/') {
            Some((ns, ip)) => (Some(ns.to_owned()), ip),
            None => (None, s),
        };
        let ip: IpAddr = ip
            .parse()
            .map_err(|e| format!("{s:?}: not NETNS/IP or IP ({e})"))?;
        let name = match (&netns, ip) {
            (Some(ns), _) => ns.clone(),
            (None, IpAddr::V4(v4)) => format!("h{}", v4.octets()[3]),
            (None, IpAddr::V6(_)) => "h6".to_owned(),
        };
        Ok(DeviceHost { name, ip, netns })
    }
}

/// Where and how many devices to run.
#[derive(Clone, Debug)]
pub struct FleetPlan {
    /// The `orbit` binary.
    pub orbit: PathBuf,
    /// The device hosts; devices are spread over them evenly.
    pub hosts: Vec<DeviceHost>,
    /// Devices in all.
    pub devices: usize,
    /// The first device of each host listens on this port, the next on the one above...
    pub first_port: u16,
    /// Stores go to `DIR/devices/NAME`, output to `DIR/logs/NAME.{out,err}`.
    pub dir: PathBuf,
    /// The reference device kind (`lamp`).
    pub kind: String,
    /// Devices started at once before waiting for them to come up (the start of a device
    /// makes keys; starting hundreds at once on two cores only makes each slower).
    pub batch: usize,
    /// The longest one device may take to come up.
    pub start_timeout: Duration,
}

/// A running device.
#[derive(Debug)]
pub struct RunningDevice {
    /// Its name (`HOST-NNN`), also the name the controller gives it.
    pub name: String,
    /// Where it listens.
    pub listen: SocketAddr,
    /// Its process.
    pub pid: u32,
    /// Its QR setup code while its pairing window is open (never paired, or reset).
    pub setup_code: Option<String>,
    /// Homes it belongs to when it started.
    pub homes: u64,
    child: Child,
}

/// Why the fleet could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// A process could not be started, or a directory made.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// A device did not print its state in time, or exited.
    #[error("device {name} did not come up within {waited:?} (see {log})")]
    NoStart {
        /// The device.
        name: String,
        /// How long it was waited for.
        waited: Duration,
        /// Its stderr file.
        log: String,
    },
    /// More devices per host than ports above `first_port`.
    #[error("{per_host} devices per host from port {first} run past port 65535")]
    Ports {
        /// Devices per host.
        per_host: usize,
        /// The first port.
        first: u16,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> FleetError {
    let what = what.into();
    move |source| FleetError::Io { what, source }
}

/// The devices of a run; dropping it kills them (their stores are crash-safe, and the next
/// run starts them again from those stores).
#[derive(Debug, Default)]
pub struct Fleet {
    /// The devices, in start order.
    pub devices: Vec<RunningDevice>,
}

/// A device's place in the plan.
#[derive(Clone, Debug)]
pub struct Slot {
    /// Its name.
    pub name: String,
    /// Its host.
    pub host: DeviceHost,
    /// Where it listens.
    pub listen: SocketAddr,
}

impl FleetPlan {
    /// Every device's name, host and address, in start order (round robin over the hosts,
    /// so a partial start still spreads over all of them).
    pub fn slots(&self) -> Result<Vec<Slot>, FleetError> {
        let hosts = self.hosts.len().max(1);
        let per_host = self.devices.div_ceil(hosts);
        if usize::from(self.first_port) + per_host > 65_536 {
            return Err(FleetError::Ports {
                per_host,
                first: self.first_port,
            });
        }
        let mut slots = Vec::with_capacity(self.devices);
        for i in 0..self.devices {
            let Some(host) = self.hosts.get(i % hosts) else {
                break;
            };
            let n = i / hosts;
            let port = u16::try_from(usize::from(self.first_port) + n).unwrap_or(u16::MAX);
            slots.push(Slot {
                name: format!("{}-{n:03}", host.name),
                host: host.clone(),
                listen: SocketAddr::new(host.ip, port),
            });
        }
        Ok(slots)
    }

    /// The store directory of device `name`.
    pub fn store_of(&self, name: &str) -> PathBuf {
        self.dir.join("devices").join(name)
    }

    fn command(&self, slot: &Slot) -> Command {
        let mut c = match &slot.host.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]).arg(&self.orbit);
                c
            }
            None => Command::new(&self.orbit),
        };
        c.args(["--json", "device", "run", "--kind", &self.kind, "--listen"])
            .arg(slot.listen.to_string())
            .arg("--store")
            .arg(self.store_of(&slot.name));
        c
    }
}

impl Fleet {
    /// Starts every device of `plan`; the store of each device for which `wipe` says so is
    /// removed first (a device the controller does not know must be paired afresh).
    pub async fn start(plan: &FleetPlan, wipe: impl Fn(&str) -> bool) -> Result<Fleet, FleetError> {
        let logs = plan.dir.join("logs");
        std::fs::create_dir_all(&logs).map_err(io(format!("creating {}", logs.display())))?;
        std::fs::create_dir_all(plan.dir.join("devices")).map_err(io("creating devices/"))?;
        let mut fleet = Fleet::default();
        let slots = plan.slots()?;
        for batch in slots.chunks(plan.batch.max(1)) {
            let mut starting = Vec::new();
            for slot in batch {
                let store = plan.store_of(&slot.name);
                if wipe(&slot.name) && store.exists() {
                    std::fs::remove_dir_all(&store)
                        .map_err(io(format!("removing {}", store.display())))?;
                }
                let out = logs.join(format!("{}.out", slot.name));
                let err = logs.join(format!("{}.err", slot.name));
                let stdout = std::fs::File::create(&out).map_err(io(out.display().to_string()))?;
                let stderr = std::fs::File::create(&err).map_err(io(err.display().to_string()))?;
                let child = plan
                    .command(slot)
                    .stdin(Stdio::null())
                    .stdout(stdout)
                    .stderr(stderr)
                    .spawn()
                    .map_err(io(format!("starting {}", plan.orbit.display())))?;
                starting.push((slot, child, out, err));
            }
            for (slot, mut child, out, err) in starting {
                let first = first_line(&out, &mut child, plan.start_timeout).await;
                let Some(state) = first else {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(FleetError::NoStart {
                        name: slot.name.clone(),
                        waited: plan.start_timeout,
                        log: err.display().to_string(),
                    });
                };
                fleet.devices.push(RunningDevice {
                    name: slot.name.clone(),
                    listen: slot.listen,
                    pid: child.id(),
                    setup_code: state.get("qr").and_then(|q| q.as_str()).map(str::to_owned),
                    homes: state
                        .get("homes")
                        .and_then(|h| h.as_u64())
                        .unwrap_or_default(),
                    child,
                });
            }
        }
        Ok(fleet)
    }

    /// Devices whose process has exited, with how.
    pub fn exited(&mut self) -> Vec<(String, String)> {
        self.devices
            .iter_mut()
            .filter_map(|d| match d.child.try_wait() {
                Ok(Some(status)) => Some((d.name.clone(), status.to_string())),
                _ => None,
            })
            .collect()
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for d in &mut self.devices {
            let _ = d.child.kill();
        }
        for d in &mut self.devices {
            let _ = d.child.wait();
        }
    }
}

/// The first JSON line the device printed, waiting for it while the process lives.
async fn first_line(out: &Path, child: &mut Child, timeout: Duration) -> Option<serde_json::Value> {
    let started = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(out) {
            if let Some((line, _)) = text.split_once('\n') {
                return serde_json::from_str(line).ok();
            }
        }
        if started.elapsed() > timeout || !matches!(child.try_wait(), Ok(None)) {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn plan(hosts: &[&str], devices: usize, first_port: u16) -> FleetPlan {
        FleetPlan {
            orbit: PathBuf::from("orbit"),
            hosts: hosts.iter().map(|h| h.parse().unwrap()).collect(),
            devices,
            first_port,
            dir: PathBuf::from("/tmp/x"),
            kind: "lamp".into(),
            batch: 8,
            start_timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn hosts_parse_with_and_without_a_namespace() {
        let h: DeviceHost = "dev1/10.77.0.11".parse().unwrap();
        assert_eq!(h.netns.as_deref(), Some("dev1"));
        assert_eq!(h.name, "dev1");
        let h: DeviceHost = "127.0.0.1".parse().unwrap();
        assert_eq!((h.netns, h.name.as_str()), (None, "h1"));
        assert!("dev1/not-an-ip".parse::<DeviceHost>().is_err());
    }

    #[test]
    fn devices_spread_round_robin_with_their_own_ports() {
        let p = plan(&["a/10.0.0.1", "b/10.0.0.2"], 5, 20000);
        let slots = p.slots().unwrap();
        let names: Vec<_> = slots.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a-000", "b-000", "a-001", "b-001", "a-002"]);
        assert_eq!(slots[4].listen, "10.0.0.1:20002".parse().unwrap());
        assert_eq!(slots[3].listen, "10.0.0.2:20001".parse().unwrap());
        assert!(matches!(
            plan(&["127.0.0.1"], 100, 65500).slots(),
            Err(FleetError::Ports { .. })
        ));
    }
}

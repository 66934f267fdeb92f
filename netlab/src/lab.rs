//! The lab: a bridge "LAN" in a namespace of its own and hosts (one namespace each) joined to
//! it by veth pairs, with IPv4 addresses in 10.77.0.0/16 and multicast crossing the bridge.

use crate::cleanup::{self, NAME_PREFIX};
use crate::cmd;
use crate::error::LabError;
use crate::host::Host;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;

/// The lab network: 10.77.0.0/16.
pub const SUBNET: (Ipv4Addr, u8) = (Ipv4Addr::new(10, 77, 0, 0), 16);

/// The bridge's name inside the bridge namespace.
pub const BRIDGE: &str = "LAN";

/// Labs made by this process so far (part of each lab's name).
static SEQUENCE: AtomicU32 = AtomicU32::new(0);

/// A test network. Dropping it kills every process in its hosts and removes its namespaces
/// (and with them its veths, bridge, nftables tables and qdiscs) and its work directory.
#[derive(Debug)]
pub struct Lab {
    prefix: String,
    work: PathBuf,
    next_address: AtomicU32,
    hosts: Mutex<Vec<Host>>,
    removed: AtomicBool,
}

/// The work directory of the lab named `prefix` (device stores, logs).
fn work_dir(prefix: &str) -> PathBuf {
    std::env::temp_dir().join(prefix.trim_end_matches('-'))
}

/// Removes the work directory of the lab named `prefix`, unless `ORBIT_NETLAB_KEEP` is set
/// (to read device logs after a failure).
pub(crate) fn remove_work_dir(prefix: &str) {
    if std::env::var_os("ORBIT_NETLAB_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(work_dir(prefix));
    }
}

/// Whether this machine can run the lab: root, `ip`, `nft` and `tc` present, and a network
/// namespace with nftables can be made. `Err` says why not, in a sentence for the skip
/// message. Found once per process.
pub fn check() -> Result<(), LabError> {
    static FOUND: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| probe().map_err(|e| e.to_string()))
        .clone()
        .map_err(LabError::Unsupported)
}

fn probe() -> Result<(), LabError> {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(str::to_owned))
        });
    if uid.as_deref() != Some("0") {
        return Err(LabError::Unsupported(
            "not running as root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)".into(),
        ));
    }
    for tool in ["ip", "nft", "tc"] {
        if !cmd::have(tool) {
            return Err(LabError::Unsupported(format!(
                "`{tool}` is not installed (Debian: iproute2, nftables; `scripts/netlab --prepare` installs them)"
            )));
        }
    }
    let probe = format!("{NAME_PREFIX}{}-probe", std::process::id());
    cmd::ip(&["netns", "add", &probe]).map_err(|e| {
        LabError::Unsupported(format!(
            "cannot create a network namespace (unshare not permitted?): {e}"
        ))
    })?;
    let result = cmd::in_ns(&probe, "nft", &["list", "tables"], None)
        .map_err(|e| LabError::Unsupported(format!("nftables does not work in a namespace: {e}")));
    let _ = cmd::ip(&["netns", "delete", &probe]);
    result.map(|_| ())
}

impl Lab {
    /// Builds the bridge namespace and its bridge. Labs of processes that no longer exist
    /// are removed first.
    pub fn new() -> Result<Lab, LabError> {
        if let Ok(removed) = cleanup::remove_stale() {
            if !removed.is_empty() {
                eprintln!(
                    "netlab: removed {} leftover namespace(s) of dead runs",
                    removed.len()
                );
            }
        }
        let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let prefix = format!("{NAME_PREFIX}{}-{seq}-", std::process::id());
        cleanup::register(&prefix);
        let work = work_dir(&prefix);
        let lab = Lab {
            prefix,
            work,
            // .0.0 is the network; hosts start at .0.1.
            next_address: AtomicU32::new(1),
            hosts: Mutex::new(Vec::new()),
            removed: AtomicBool::new(false),
        };
        std::fs::create_dir_all(&lab.work)
            .map_err(|e| LabError::io(format!("creating {}", lab.work.display()), e))?;
        let ns = lab.bridge_ns();
        cmd::ip(&["netns", "add", &ns])?;
        cmd::ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        // No multicast snooping: mDNS must reach every port, whoever joined the group
        // (a snooping bridge forwards only to ports that sent IGMP reports).
        cmd::ip(&[
            "-n",
            &ns,
            "link",
            "add",
            BRIDGE,
            "type",
            "bridge",
            "mcast_snooping",
            "0",
            "forward_delay",
            "0",
            "stp_state",
            "0",
        ])?;
        cmd::ip(&["-n", &ns, "link", "set", BRIDGE, "multicast", "on", "up"])?;
        Ok(lab)
    }

    /// The first part of the name of everything this lab made (`orbitlab-<pid>-<seq>-`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The namespace holding the bridge.
    pub fn bridge_ns(&self) -> String {
        format!("{}lan", self.prefix)
    }

    /// A directory for this lab's files (device stores, logs), removed with the lab.
    pub fn work_dir(&self) -> &Path {
        &self.work
    }

    /// A fresh address in [`SUBNET`] (never handed out before in this lab).
    pub(crate) fn next_address(&self) -> Result<Ipv4Addr, LabError> {
        let n = self.next_address.fetch_add(1, Ordering::Relaxed);
        if n >= 0xfffe {
            return Err(LabError::Device("the lab ran out of addresses".into()));
        }
        let base = u32::from(SUBNET.0);
        Ok(Ipv4Addr::from(base + n))
    }

    /// Adds a host called `name` (letters, digits; short): a namespace with `lo` and `eth0`,
    /// `eth0` joined to the bridge by a veth pair, with a fresh address in [`SUBNET`],
    /// multicast on, a route for multicast and IPv6 off.
    pub fn add_host(&self, name: &str) -> Result<Host, LabError> {
        let index = {
            let hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            hosts.len()
        };
        let ns = format!("{}{name}", self.prefix);
        let br = self.bridge_ns();
        let port = format!("h{index}");
        let addr = self.next_address()?;
        cmd::ip(&["netns", "add", &ns])?;
        // Both ends are made directly in their namespaces: nothing appears in the machine's
        // own namespace, so nothing there can collide.
        cmd::ip(&[
            "-n", &br, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &ns,
        ])?;
        cmd::ip(&["-n", &br, "link", "set", &port, "master", BRIDGE, "up"])?;
        cmd::in_ns(
            &ns,
            "sysctl",
            &[
                "-qw",
                "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
                // Removing the old address after adding the new one (an address change)
                // must not take the new one with it.
                "net.ipv4.conf.all.promote_secondaries=1",
                "net.ipv4.conf.default.promote_secondaries=1",
            ],
            None,
        )?;
        cmd::ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        cmd::ip(&["-n", &ns, "link", "set", "eth0", "multicast", "on", "up"])?;
        cmd::ip(&[
            "-n",
            &ns,
            "addr",
            "add",
            &format!("{addr}/{}", SUBNET.1),
            "dev",
            "eth0",
        ])?;
        cmd::ip(&["-n", &ns, "route", "add", "224.0.0.0/4", "dev", "eth0"])?;
        let host = Host::new(ns, name.to_owned(), addr, self.work.join(name));
        std::fs::create_dir_all(host.work_dir())
            .map_err(|e| LabError::io(format!("creating {}", host.work_dir().display()), e))?;
        self.hosts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(host.clone());
        Ok(host)
    }

    /// The hosts added so far.
    pub fn hosts(&self) -> Vec<Host> {
        self.hosts.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Removes the lab now (what drop does), saying what failed.
    pub fn remove(self) -> Result<(), LabError> {
        self.teardown()
    }

    fn teardown(&self) -> Result<(), LabError> {
        if self.removed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let r = cleanup::remove_prefix(&self.prefix).map(|_| ());
        remove_work_dir(&self.prefix);
        cleanup::unregister(&self.prefix);
        r
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Err(e) = self.teardown() {
            eprintln!("netlab: removing lab {}: {e}", self.prefix);
        }
    }
}

impl Lab {
    /// Gives `host` a fresh address and removes its old one (a DHCP renewal with a new
    /// lease). Returns `(old, new)`.
    pub fn renew_address(&self, host: &Host) -> Result<(Ipv4Addr, Ipv4Addr), LabError> {
        let new = self.next_address()?;
        let old = host.change_address(new)?;
        Ok((old, new))
    }
}

//! A host of the lab: one network namespace with `eth0` on the bridge.

use crate::cmd;
use crate::error::LabError;
use crate::lab::SUBNET;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

#[derive(Debug)]
struct Inner {
    ns: String,
    name: String,
    address: Mutex<Ipv4Addr>,
    work: PathBuf,
}

/// A host on the lab's LAN. Cheap to clone; it lives as long as its [`crate::Lab`].
#[derive(Debug, Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

impl Host {
    pub(crate) fn new(ns: String, name: String, address: Ipv4Addr, work: PathBuf) -> Host {
        Host {
            inner: Arc::new(Inner {
                ns,
                name,
                address: Mutex::new(address),
                work,
            }),
        }
    }

    /// The host's short name, as given to [`crate::Lab::add_host`].
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Its network namespace (for `ip netns exec`).
    pub fn ns(&self) -> &str {
        &self.inner.ns
    }

    /// Its current IPv4 address on the LAN.
    pub fn ip(&self) -> Ipv4Addr {
        *self.inner.address.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A directory of its own for stores and logs.
    pub fn work_dir(&self) -> &Path {
        &self.inner.work
    }

    /// A command that runs `program` inside this host (`ip netns exec NS program`).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", self.ns()]).arg(program);
        c
    }

    /// Runs `program args...` inside this host, bounded by [`cmd::COMMAND_TIMEOUT`], and
    /// returns its stdout.
    pub fn exec(&self, program: &str, args: &[&str]) -> Result<String, LabError> {
        cmd::in_ns(self.ns(), program, args, None)
    }

    /// `ip args...` inside this host.
    pub fn ip_cmd(&self, args: &[&str]) -> Result<String, LabError> {
        let mut all = vec!["-n", self.ns()];
        all.extend_from_slice(args);
        cmd::ip(&all)
    }

    /// Moves the host to `new` as a DHCP renewal with a new lease does: the new address is
    /// added, then the old one removed. Returns the old address.
    pub fn change_address(&self, new: Ipv4Addr) -> Result<Ipv4Addr, LabError> {
        let old = self.ip();
        self.ip_cmd(&["addr", "add", &format!("{new}/{}", SUBNET.1), "dev", "eth0"])?;
        self.ip_cmd(&["addr", "del", &format!("{old}/{}", SUBNET.1), "dev", "eth0"])?;
        *self.inner.address.lock().unwrap_or_else(|p| p.into_inner()) = new;
        Ok(old)
    }

    /// The IPv4 addresses `eth0` holds now, as the kernel reports them.
    pub fn addresses(&self) -> Result<Vec<Ipv4Addr>, LabError> {
        let out = self.ip_cmd(&["-4", "-o", "addr", "show", "dev", "eth0"])?;
        Ok(out
            .lines()
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                words.find(|w| *w == "inet")?;
                words.next()?.split('/').next()?.parse().ok()
            })
            .collect())
    }
}

impl Host {
    /// A tokio runtime inside this host (see [`crate::NsRuntime`]).
    pub fn runtime(&self, workers: usize) -> Result<crate::NsRuntime, LabError> {
        crate::NsRuntime::new(self, workers)
    }
}

//! What every short scenario shares.

use orbit_netlab::stats::Row;
use orbit_netlab::{DeviceProcess, DeviceSpec, Host, Lab, NsRuntime};
use orbit_sdk::controller::Controller;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A scenario's failure, in words.
pub(crate) type R<T> = Result<T, String>;

/// Adds "while WHAT" to an error.
pub(crate) trait Ctx<T> {
    fn ctx(self, what: &str) -> R<T>;
}

impl<T, E: std::fmt::Display> Ctx<T> for Result<T, E> {
    fn ctx(self, what: &str) -> R<T> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// A lab with a controller host (and its runtime) and device hosts.
pub(crate) struct Net {
    pub(crate) lab: Lab,
    pub(crate) ctl: Host,
    pub(crate) rt: NsRuntime,
    pub(crate) devs: Vec<Host>,
}

/// Builds a lab with a controller host `ctl` and `n` device hosts `dev0..`.
pub(crate) fn net(n: usize) -> R<Net> {
    let lab = Lab::new().ctx("building the lab")?;
    let ctl = lab.add_host("ctl").ctx("adding the controller host")?;
    let devs = (0..n)
        .map(|i| lab.add_host(&format!("dev{i}")))
        .collect::<Result<Vec<_>, _>>()
        .ctx("adding device hosts")?;
    let rt = ctl.runtime(2).ctx("the controller's runtime")?;
    Ok(Net { lab, ctl, rt, devs })
}

/// Starts a lamp called `name` on `host` at `port`.
pub(crate) fn lamp(host: &Host, bin: &Path, name: &str, port: u16) -> R<DeviceProcess> {
    DeviceProcess::start(host, bin, DeviceSpec::lamp(name, port)).ctx("starting a lamp")
}

/// Opens the controller in the controller host's work directory.
pub(crate) fn controller(net: &Net) -> R<Arc<Controller>> {
    let dir = net.ctl.work_dir().join("controller");
    net.rt
        .block_on(async move { orbit_netlab::control::open_controller(&dir).await })
        .ctx("controller runtime")?
}

/// Pairs `lamp` as `name` at its address; returns the time it took.
pub(crate) fn pair(
    net: &Net,
    c: &Arc<Controller>,
    lamp: &DeviceProcess,
    name: &str,
) -> R<Duration> {
    let code = lamp
        .setup_code()
        .ok_or("the lamp's pairing window is closed")?
        .to_owned();
    let addr: SocketAddr = lamp.addr();
    let (c, name) = (c.clone(), name.to_owned());
    net.rt
        .block_on(async move {
            let t = std::time::Instant::now();
            let paired =
                tokio::time::timeout(Duration::from_secs(60), c.pair(&code, addr, Some(&name)))
                    .await
                    .map_err(|_| "pairing took over 60 s".to_owned())?
                    .ctx("pairing")?;
            paired.connection.close();
            Ok(t.elapsed())
        })
        .ctx("controller runtime")?
}

/// A row for a scenario that could not run to its end.
pub(crate) fn failed(scenario: &str, setting: &str, why: String) -> Row {
    Row {
        scenario: scenario.into(),
        setting: setting.into(),
        note: why,
        ..Row::default()
    }
}

/// The device's RSS as a table cell.
pub(crate) fn rss(d: &DeviceProcess) -> String {
    d.rss_kib().map_or(String::new(), |k| {
        format!("device {:.1} MiB", k as f64 / 1024.0)
    })
}

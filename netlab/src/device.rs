//! Real `orbit device run` processes inside a host.

use crate::error::LabError;
use crate::host::Host;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a device process may take to print its first line (a debug build on a loaded
/// 2-core machine).
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a device is given to stop after SIGINT before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(3);

/// The `orbit` binary to run: `$ORBIT_BIN`, else the `orbit` beside the running test or
/// tool in cargo's target directory (`target/debug/orbit`, built by `cargo build -p
/// orbit-cli` or by any workspace test run).
pub fn orbit_binary() -> Result<PathBuf, LabError> {
    if let Some(p) = std::env::var_os("ORBIT_BIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().map_err(|e| LabError::io("finding the running binary", e))?;
    exe.ancestors()
        .skip(1)
        .take(3)
        .map(|d| d.join("orbit"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            LabError::Device(format!(
                "no `orbit` binary beside {} (run `cargo build -p orbit-cli`, or set ORBIT_BIN)",
                exe.display()
            ))
        })
}

/// Which device to run and where.
#[derive(Debug, Clone)]
pub struct DeviceSpec {
    /// `--kind` (lamp, thermostat, lock, sensor, strip).
    pub kind: String,
    /// The UDP port it listens on (all addresses of its host).
    pub port: u16,
    /// A name unique on its host, for its store directory, control socket and log.
    pub name: String,
}

impl DeviceSpec {
    /// A lamp called `name` on `port`.
    pub fn lamp(name: &str, port: u16) -> DeviceSpec {
        DeviceSpec {
            kind: "lamp".into(),
            port,
            name: name.into(),
        }
    }
}

/// What the device printed when it started (`orbit --json device run`).
#[derive(Debug, Clone, Default)]
pub struct Started {
    /// The QR setup string, while its pairing window is open.
    pub qr: Option<String>,
    /// Whether the pairing window is open.
    pub window_open: bool,
    /// How many homes it holds.
    pub homes: u64,
}

/// A running `orbit device run`. Dropping it kills the process.
#[derive(Debug)]
pub struct DeviceProcess {
    host: Host,
    bin: PathBuf,
    spec: DeviceSpec,
    child: Option<Child>,
    started: Started,
    starts: u32,
}

impl DeviceProcess {
    /// Starts `spec` inside `host` with the `orbit` binary `bin`, and waits (at most
    /// [`START_TIMEOUT`]) until it says it listens.
    pub fn start(host: &Host, bin: &Path, spec: DeviceSpec) -> Result<DeviceProcess, LabError> {
        let mut d = DeviceProcess {
            host: host.clone(),
            bin: bin.to_owned(),
            spec,
            child: None,
            started: Started::default(),
            starts: 0,
        };
        d.launch()?;
        Ok(d)
    }

    /// Its store directory (kept across restarts).
    pub fn store_dir(&self) -> PathBuf {
        self.host
            .work_dir()
            .join(format!("{}-store", self.spec.name))
    }

    /// Its control socket (`orbit device control`).
    pub fn control_socket(&self) -> PathBuf {
        self.host
            .work_dir()
            .join(format!("{}.sock", self.spec.name))
    }

    /// Its stderr, appended across restarts.
    pub fn log_path(&self) -> PathBuf {
        self.host.work_dir().join(format!("{}.log", self.spec.name))
    }

    fn launch(&mut self) -> Result<(), LabError> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|e| LabError::io(format!("opening {}", self.log_path().display()), e))?;
        let _ = std::fs::remove_file(self.control_socket());
        let listen = format!("0.0.0.0:{}", self.spec.port);
        let mut child = self
            .host
            .command(&self.bin)
            .arg("--json")
            .arg("--home")
            .arg(self.host.work_dir())
            .args([
                "device",
                "run",
                "--kind",
                &self.spec.kind,
                "--listen",
                &listen,
            ])
            .arg("--store")
            .arg(self.store_dir())
            .arg("--control")
            .arg(self.control_socket())
            .env(
                "ORBIT_LOG",
                std::env::var("ORBIT_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| LabError::io(format!("starting {}", self.bin.display()), e))?;
        let stdout = child.stdout.take();
        self.child = Some(child);
        self.starts += 1;
        let (tx, rx) = mpsc::channel();
        if let Some(out) = stdout {
            // Reads every line so the pipe never fills; the first one is the start line.
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    let _ = tx.send(line);
                }
            });
        }
        let line = rx.recv_timeout(START_TIMEOUT).map_err(|_| {
            LabError::Device(format!(
                "{} on {} printed no start line within {START_TIMEOUT:?} (log: {})",
                self.spec.name,
                self.host.name(),
                self.log_path().display()
            ))
        })?;
        let doc: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| LabError::Device(format!("start line {line:?}: {e}")))?;
        self.started = Started {
            qr: doc.get("qr").and_then(|v| v.as_str()).map(str::to_owned),
            window_open: doc
                .get("pairing_window_open")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            homes: doc.get("homes").and_then(|v| v.as_u64()).unwrap_or(0),
        };
        Ok(())
    }

    /// What it printed at its last start.
    pub fn started(&self) -> &Started {
        &self.started
    }

    /// Its setup code (QR string) if its pairing window was open at its last start.
    pub fn setup_code(&self) -> Option<&str> {
        self.started.qr.as_deref()
    }

    /// Its address: its host's current address and its port.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((self.host.ip(), self.spec.port))
    }

    /// Its host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Its process ID while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// How many times it was started.
    pub fn starts(&self) -> u32 {
        self.starts
    }

    /// Its resident memory in KiB, from `/proc`.
    pub fn rss_kib(&self) -> Option<u64> {
        self.pid().and_then(crate::stats::rss_kib)
    }

    /// Kills it with SIGKILL (no chance to save anything) and reaps it.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stops it with SIGINT (as Ctrl-C: it shuts down cleanly), killing it after a few
    /// seconds if it has not exited.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = crate::cmd::run("kill", &["-INT", &c.id().to_string()], None);
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again from its store, on the same port (after [`DeviceProcess::kill9`] or
    /// [`DeviceProcess::stop`]; a running one is killed first).
    pub fn restart(&mut self) -> Result<(), LabError> {
        self.kill9();
        self.launch()
    }

    /// Sends one local control (`button`, `status`, `reset`, `power-cycle`) through its
    /// control socket and returns the device's JSON answer.
    pub fn control(&self, command: &str) -> Result<serde_json::Value, LabError> {
        let sock = self.control_socket();
        let sock = sock.to_string_lossy();
        let bin = self.bin.to_string_lossy();
        let out = crate::cmd::run(&bin, &["--json", "device", "control", &sock, command], None)?;
        serde_json::from_str(out.trim())
            .map_err(|e| LabError::Device(format!("control answer {out:?}: {e}")))
    }
}

impl Drop for DeviceProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

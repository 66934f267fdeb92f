//! Running async code inside a host: a tokio runtime whose every thread has joined the host's
//! network namespace (`setns`), so that the sockets its tasks open (the SDK controller's QUIC
//! endpoint, its mDNS browser) are on that host.

use crate::error::LabError;
use crate::host::Host;
use nix::sched::CloneFlags;
use std::future::Future;
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long dropping a runtime waits for its blocking tasks (an mDNS browse) to end.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(3);

/// A tokio runtime inside a host's network namespace.
///
/// Sockets belong to the namespace of the thread that opens them, so everything that opens
/// one must run on this runtime's threads: use [`NsRuntime::block_on`] or
/// [`NsRuntime::spawn`] (both run the future as a task on the runtime), never the runtime's
/// own `block_on` (which would run it on the caller's thread, in the caller's namespace).
#[derive(Debug)]
pub struct NsRuntime {
    rt: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    ns: String,
}

impl NsRuntime {
    /// A runtime with `workers` worker threads inside `host`.
    pub fn new(host: &Host, workers: usize) -> Result<NsRuntime, LabError> {
        let path = format!("/run/netns/{}", host.ns());
        let file = Arc::new(
            std::fs::File::open(&path).map_err(|e| LabError::io(format!("opening {path}"), e))?,
        );
        let wanted = file
            .metadata()
            .map_err(|e| LabError::io(format!("reading {path}"), e))?
            .ino();
        let failed = Arc::new(AtomicBool::new(false));
        let (f, fail) = (file.clone(), failed.clone());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .thread_name(format!("ns-{}", host.name()))
            .enable_all()
            .on_thread_start(move || {
                if nix::sched::setns(f.as_ref(), CloneFlags::CLONE_NEWNET).is_err() {
                    fail.store(true, Ordering::SeqCst);
                }
            })
            .build()
            .map_err(|e| LabError::io("building a tokio runtime", e))?;
        let me = NsRuntime {
            handle: rt.handle().clone(),
            rt: Some(rt),
            ns: host.ns().to_owned(),
        };
        // Proof that tasks run inside the namespace: the thread's namespace is the file's.
        let inside = me.block_on(async {
            std::fs::metadata("/proc/thread-self/ns/net")
                .map(|m| m.ino())
                .unwrap_or(0)
        })?;
        if failed.load(Ordering::SeqCst) || inside != wanted {
            return Err(LabError::Task {
                ns: me.ns.clone(),
                reason: "a runtime thread could not join the namespace (setns)".into(),
            });
        }
        Ok(me)
    }

    /// Runs `future` as a task inside the namespace and waits for its output.
    pub fn block_on<F>(&self, future: F) -> Result<F::Output, LabError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let failed = |reason: String| LabError::Task {
            ns: self.ns.clone(),
            reason,
        };
        let Some(rt) = &self.rt else {
            return Err(failed("the runtime is shut down".into()));
        };
        rt.block_on(rt.spawn(future))
            .map_err(|e| failed(e.to_string()))
    }

    /// Starts `future` as a task inside the namespace.
    pub fn spawn<F>(&self, future: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// A handle to spawn from other runtimes' tasks (tasks still run inside the namespace).
    pub fn handle(&self) -> tokio::runtime::Handle {
        self.handle.clone()
    }
}

impl Drop for NsRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(SHUTDOWN_WAIT);
        }
    }
}

//! The SDK's own tokio runtime. Every exported `async` function hands its work to this
//! runtime and awaits the result, so the foreign caller's executor (Kotlin coroutines, Swift
//! tasks, asyncio) only waits: it never runs SDK code, and its threads are never blocked.
//!
//! Dropping the awaiting future (a cancelled coroutine or task) aborts the work, and a panic
//! in the work comes back as [`OrbitError::Internal`] instead of crossing the FFI.

use crate::error::OrbitError;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use tokio::runtime::{Builder, Runtime};
use tokio::task::{JoinError, JoinHandle};

/// Worker threads of the runtime: a controller's work is network-bound and light, and a
/// phone has few cores to spare.
const WORKER_THREADS: usize = 2;

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The runtime, started on first use.
pub(crate) fn runtime() -> Result<&'static Runtime, OrbitError> {
    RUNTIME
        .get_or_init(|| {
            Builder::new_multi_thread()
                .worker_threads(WORKER_THREADS)
                .thread_name("orbit-sdk")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the SDK's runtime: {e}"))
        })
        .as_ref()
        .map_err(|e| OrbitError::Internal { detail: e.clone() })
}

/// Runs `work` on the runtime and waits for it; see the module documentation.
pub(crate) async fn on_runtime<T, F>(work: F) -> Result<T, OrbitError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, OrbitError>> + Send + 'static,
{
    let task = AbortOnDrop(runtime()?.spawn(work));
    match task.await {
        Ok(result) => result,
        Err(e) => Err(joined(e)),
    }
}

/// Starts `work` on the runtime without waiting (for clean-ups from `Drop` and from
/// synchronous calls). Does nothing if the runtime cannot start.
pub(crate) fn detach<F>(work: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    if let Ok(rt) = runtime() {
        drop(rt.spawn(work));
    }
}

/// A failed task as an error: its panic message, or that it was cancelled.
fn joined(e: JoinError) -> OrbitError {
    if e.is_panic() {
        let payload = e.into_panic();
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        OrbitError::Internal {
            detail: format!("the SDK panicked: {text}"),
        }
    } else {
        OrbitError::Internal {
            detail: "the SDK's task was cancelled".to_owned(),
        }
    }
}

/// A task handle that aborts the task when dropped, so that a cancelled caller does not
/// leave its work running.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn work_runs_on_the_sdk_runtime_not_the_callers() {
        let name = block_on(on_runtime(async {
            Ok(std::thread::current().name().map(str::to_owned))
        }))
        .unwrap();
        assert_eq!(name.as_deref(), Some("orbit-sdk"));
    }

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let r: Result<(), _> = block_on(on_runtime(async { panic!("boom") }));
        match r {
            Err(OrbitError::Internal { detail }) => assert!(detail.contains("boom"), "{detail}"),
            other => panic!("expected an internal error, got {other:?}"),
        }
    }

    #[test]
    fn dropping_the_caller_aborts_the_work() {
        let finished = Arc::new(AtomicBool::new(false));
        let flag = finished.clone();
        block_on(async move {
            let slow = on_runtime(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                flag.store(true, Ordering::SeqCst);
                Ok(())
            });
            // The caller gives up long before the work would finish.
            let _ = tokio::time::timeout(Duration::from_millis(20), slow).await;
            tokio::time::sleep(Duration::from_millis(600)).await;
        });
        assert!(
            !finished.load(Ordering::SeqCst),
            "the aborted work ran to its end"
        );
    }
}

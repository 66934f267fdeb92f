//! What can go wrong while building, impairing or tearing down the lab.

use std::time::Duration;

/// A lab failure. Every message names the command or step that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// The machine cannot run the lab (not root, no `ip`, namespaces refused): the tests
    /// say so and skip.
    #[error("{0}")]
    Unsupported(String),
    /// A command exited with a failure.
    #[error("`{command}` failed ({status}): {stderr}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr (trimmed).
        stderr: String,
    },
    /// A command or a wait took longer than its bound.
    #[error("{what} took longer than {limit:?}")]
    Timeout {
        /// What was waited for.
        what: String,
        /// The bound.
        limit: Duration,
    },
    /// An I/O error outside a command (spawning, a file).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// A device process did not start or said something unexpected.
    #[error("device process: {0}")]
    Device(String),
    /// A task running in a host's namespace failed (panicked or was cancelled).
    #[error("task in namespace {ns}: {reason}")]
    Task {
        /// The namespace.
        ns: String,
        /// Why.
        reason: String,
    },
}

impl LabError {
    /// An I/O error while doing `what`.
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        LabError::Io {
            what: what.into(),
            source,
        }
    }
}

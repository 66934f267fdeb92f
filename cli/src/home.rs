//! Opening the controller's home under `--home`: created only on purpose (`orbit home
//! create`, or the first `orbit pair`, said on stderr), never by a mistyped path; one writer
//! at a time, a later one waiting for the lock (said on stderr), and readers beside a writer
//! without the lock.

use orbit_quic::QuicConfig;
use orbit_sdk::controller::Controller;
use orbit_store::{FileStore, StoreError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long a command that must write waits for another command to release the home.
pub(crate) const LOCK_WAIT: Duration = Duration::from_secs(30);

type Error = Box<dyn std::error::Error + Send + Sync>;

/// How a command uses the home.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// Changes the paired devices (pair, unpair): waits for the lock; creates the home if
    /// `create` and there is none.
    Write {
        /// Create the home if there is none (the first `pair`).
        create: bool,
    },
    /// Talks to a device and would store its new address and ticket: takes the lock if it is
    /// free, and otherwise runs read-only beside the command holding it (full handshake, and
    /// nothing stored), so it never waits.
    Opportunistic,
    /// Only reads (devices, a long subscription): never takes the lock.
    Read,
}

/// The controller's store directory under `home`.
pub(crate) fn controller_dir(home: &Path) -> PathBuf {
    home.join("controller")
}

fn no_home(home: &Path) -> Error {
    format!(
        "no Orbit home in {}: create one with `orbit home create` or by pairing a device with \
         `orbit pair`, or check --home / $ORBIT_HOME",
        home.display()
    )
    .into()
}

fn locked(home: &Path) -> Error {
    format!(
        "another orbit command kept {} busy for {} s; try again when it has finished",
        home.display(),
        LOCK_WAIT.as_secs()
    )
    .into()
}

/// Opens the store for writing, waiting for the lock and saying so on stderr.
async fn open_for_writing(home: &Path) -> Result<FileStore, Error> {
    let dir = controller_dir(home);
    let shown = home.to_owned();
    let opened = tokio::task::spawn_blocking(move || {
        FileStore::open_waiting(&dir, LOCK_WAIT, || {
            eprintln!(
                "orbit: waiting for another orbit command using {} to finish (up to {} s)",
                shown.display(),
                LOCK_WAIT.as_secs()
            );
        })
    })
    .await?;
    match opened {
        Err(StoreError::Locked { .. }) => Err(locked(home)),
        other => Ok(other?),
    }
}

/// Opens the controller under `home` for `access`.
pub(crate) async fn open(home: &Path, access: Access) -> Result<Arc<Controller>, Error> {
    let dir = controller_dir(home);
    // Checked before any store is opened, since opening one for writing creates its directory.
    let exists = dir.is_dir();
    let quic = QuicConfig::default();
    let controller = match access {
        Access::Write { create } => {
            if !exists && !create {
                return Err(no_home(home));
            }
            let store = open_for_writing(home).await?;
            if Controller::has_home(&store)? {
                Controller::open_existing(Arc::new(store), quic).await?
            } else if create {
                let c = Controller::open(Arc::new(store), quic).await?;
                eprintln!(
                    "orbit: created a new home in {} (its root key is in {})",
                    home.display(),
                    dir.display()
                );
                c
            } else {
                return Err(no_home(home));
            }
        }
        Access::Opportunistic => {
            if !exists {
                return Err(no_home(home));
            }
            match FileStore::open(&dir) {
                Ok(store) => Controller::open_existing(Arc::new(store), quic).await,
                Err(StoreError::Locked { .. }) => read_only(&dir, quic).await,
                Err(e) => return Err(e.into()),
            }
            .map_err(|e| missing_or(e, home))?
        }
        Access::Read => {
            if !exists {
                return Err(no_home(home));
            }
            read_only(&dir, quic)
                .await
                .map_err(|e| missing_or(e, home))?
        }
    };
    Ok(Arc::new(controller))
}

async fn read_only(
    dir: &Path,
    quic: QuicConfig,
) -> Result<Controller, orbit_sdk::controller::ControllerError> {
    let store = FileStore::open_read_only(dir).map_err(|e| {
        orbit_sdk::controller::ControllerError::new(orbit_sdk::controller::Phase::Store, e)
    })?;
    Controller::open_read_only(Arc::new(store), quic).await
}

/// The no-home message for a store without a home, the error itself otherwise.
fn missing_or(e: orbit_sdk::controller::ControllerError, home: &Path) -> Error {
    if matches!(e.cause, orbit_sdk::controller::Cause::NoHome) {
        no_home(home)
    } else {
        e.into()
    }
}

/// `orbit home create`: a new home under `home`, refused if there is one.
pub(crate) async fn create(home: &Path) -> Result<Arc<Controller>, Error> {
    let store = open_for_writing(home).await?;
    if Controller::has_home(&store)? {
        return Err(format!(
            "{} already holds an Orbit home; choose another --home to create a second one",
            home.display()
        )
        .into());
    }
    Ok(Arc::new(
        Controller::open(Arc::new(store), QuicConfig::default()).await?,
    ))
}

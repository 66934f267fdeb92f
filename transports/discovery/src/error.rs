//! The crate's error type.

use std::time::Duration;

use crate::records::RecordError;

/// What can go wrong while advertising, browsing or resolving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The mDNS daemon could not be started or refused a command.
    #[error("mDNS daemon: {0}")]
    Daemon(#[source] mdns_sd::Error),
    /// The mDNS daemon thread has exited.
    #[error("the mDNS daemon has shut down")]
    DaemonShutdown,
    /// An advertisement was given port 0.
    #[error("an advertisement needs a non-zero port")]
    PortZero,
    /// An advertisement could not be built from its record.
    #[error("invalid advertisement: {0}")]
    Record(#[from] RecordError),
    /// The daemon did not confirm a withdrawal in time.
    #[error("withdrawal of {fullname} was not confirmed within {waited:?}")]
    WithdrawUnconfirmed {
        /// The service instance's full DNS name.
        fullname: String,
        /// How long we waited.
        waited: Duration,
    },
    /// A direct address's host name did not resolve `[DISC-15]`.
    #[error("could not resolve {address}: {source}")]
    Resolve {
        /// The address as written.
        address: String,
        /// The resolver's error.
        #[source]
        source: std::io::Error,
    },
    /// A direct address's host name resolved to no address.
    #[error("{address} resolved to no IP address")]
    NoAddresses {
        /// The address as written.
        address: String,
    },
    /// A browse ended without a matching device. The browse functions return an empty list
    /// rather than this error; it exists so a caller can report that outcome as one line
    /// that offers the direct form `[DISC-14]`.
    #[error(
        "no Orbit device answered on the local network within {}; give the device's address \
         directly, e.g. quic://192.168.1.20:5541",
        seconds(*waited)
    )]
    NothingFound {
        /// How long the browse waited.
        waited: Duration,
    },
}

impl From<mdns_sd::Error> for DiscoveryError {
    fn from(e: mdns_sd::Error) -> Self {
        match e {
            mdns_sd::Error::DaemonShutdown => Self::DaemonShutdown,
            other => Self::Daemon(other),
        }
    }
}

/// `3 s`, `1.5 s`.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // [DISC-14] one line, naming the wait and the direct form.
    #[test]
    fn nothing_found_message() {
        let e = DiscoveryError::NothingFound {
            waited: Duration::from_secs(3),
        };
        assert_eq!(
            e.to_string(),
            "no Orbit device answered on the local network within 3 s; give the device's \
             address directly, e.g. quic://192.168.1.20:5541"
        );
        let e = DiscoveryError::NothingFound {
            waited: Duration::from_millis(1500),
        };
        assert!(e.to_string().contains("within 1.5 s;"));
    }
}

//! Errors as the apps see them: one variant per kind of failure, each with the phase that
//! failed, and the device's status code where the device answered one. In Kotlin they are the
//! sealed `OrbitException` hierarchy, in Swift the `OrbitError` enum, in Python subclasses of
//! `OrbitError`. The mapping from the SDK's error chain is [`OrbitError::from`] below; nothing
//! is decided here that the SDK did not already decide.

use orbit_core::pairing::PairingError;
use orbit_core::session::SessionError;
use orbit_core::status::Status;
use orbit_sdk::controller::{Cause, ControllerError};

/// A step of pairing or of talking to a device (mirrors `orbit_sdk::controller::Phase`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Phase {
    /// Checking the caller's input before anything is sent (a name, a path, a value, a
    /// request against the device's limits).
    Request,
    /// Reading the setup code.
    SetupCode,
    /// Finding the device.
    Discovery,
    /// Opening the QUIC connection.
    Connect,
    /// The PASE handshake with the passcode.
    Pase,
    /// Checking the device's attestation.
    Attestation,
    /// Installing the home's certificate on the device.
    InstallHome,
    /// The session handshake, and requests on the session.
    Session,
    /// Fetching and verifying the signed descriptor.
    Describe,
    /// Saving to the controller's store.
    Store,
    /// A phase this version of the bindings does not name.
    Other,
}

impl From<orbit_sdk::controller::Phase> for Phase {
    fn from(p: orbit_sdk::controller::Phase) -> Self {
        use orbit_sdk::controller::Phase as P;
        match p {
            P::Request => Phase::Request,
            P::SetupCode => Phase::SetupCode,
            P::Discovery => Phase::Discovery,
            P::Connect => Phase::Connect,
            P::Pase => Phase::Pase,
            P::Attestation => Phase::Attestation,
            P::InstallHome => Phase::InstallHome,
            P::Session => Phase::Session,
            P::Describe => Phase::Describe,
            P::Store => Phase::Store,
            _ => Phase::Other,
        }
    }
}

/// Why a call failed. `detail` is the SDK's whole message, for logs and for people.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum OrbitError {
    /// The caller's input is invalid: a setup code, device name, path or value that does not
    /// parse or fit, or a request over the device's limits. Nothing was sent.
    #[error("{detail}")]
    InvalidInput {
        /// Where it was refused.
        phase: Phase,
        /// What was wrong.
        detail: String,
    },
    /// The setup code is wrong: the PASE handshake failed its key confirmation.
    #[error("{detail}")]
    WrongSetupCode {
        /// Always [`Phase::Pase`].
        phase: Phase,
        /// The device's status (`pake-confirmation-failed`) when the device said so.
        status: Option<u16>,
        /// The message.
        detail: String,
    },
    /// The device answered with a status: it refused pairing (window closed, locked out,
    /// busy), a session, a command or a write.
    #[error("{detail}")]
    Rejected {
        /// Where the device refused.
        phase: Phase,
        /// The status code (spec/v1/09-status-codes.md).
        status: u16,
        /// The status's name, such as `access-denied`.
        status_name: String,
        /// The message.
        detail: String,
    },
    /// No such device: not paired under that name, or nothing found by discovery.
    #[error("{detail}")]
    NotFound {
        /// Where it was looked for.
        phase: Phase,
        /// The message.
        detail: String,
    },
    /// The device cannot be reached or the connection to it was lost (it is off, gone, or
    /// moved).
    #[error("{detail}")]
    Unreachable {
        /// Where the connection failed.
        phase: Phase,
        /// The message.
        detail: String,
    },
    /// The device did not answer in time.
    #[error("{detail}")]
    Timeout {
        /// What timed out.
        phase: Phase,
        /// The message.
        detail: String,
    },
    /// The device's attestation was refused: it is not a genuine product of a trusted
    /// vendor, or not the product its setup code names.
    #[error("{detail}")]
    Attestation {
        /// Where it failed.
        phase: Phase,
        /// The message.
        detail: String,
    },
    /// A security check failed: a certificate, a signature, a session handshake or a
    /// protected message.
    #[error("{detail}")]
    Security {
        /// Where it failed.
        phase: Phase,
        /// The message.
        detail: String,
    },
    /// The device broke the protocol: a message out of place, malformed, or cut short.
    #[error("{detail}")]
    Protocol {
        /// Where it happened.
        phase: Phase,
        /// The message.
        detail: String,
    },
    /// The store failed (the app's [`crate::SecureStore`] included) or holds a damaged
    /// record.
    #[error("{detail}")]
    Store {
        /// Where it failed.
        phase: Phase,
        /// The message.
        detail: String,
    },
    /// This controller may not do that: it does not hold the home's root key, or it was
    /// opened read-only.
    #[error("{detail}")]
    NotAllowed {
        /// Where it was refused.
        phase: Phase,
        /// The message.
        detail: String,
    },
    /// The Bluetooth LE link failed: the connection ended, the phone's stack refused a write,
    /// or the framing failed (the peer broke it, stopped acknowledging, or did not answer the
    /// handshake in time; `spec/v1/18-ble.md`).
    #[error("{detail}")]
    Bluetooth {
        /// Where it failed.
        phase: Phase,
        /// The message.
        detail: String,
    },
    /// A failure inside the bindings: a panic in the SDK, or its runtime could not start.
    #[error("{detail}")]
    Internal {
        /// The message.
        detail: String,
    },
}

impl OrbitError {
    /// A device's status as an error of `phase`.
    pub(crate) fn status(phase: Phase, status: Status, detail: String) -> OrbitError {
        if status == Status::PAKE_CONFIRMATION_FAILED {
            return OrbitError::WrongSetupCode {
                phase,
                status: Some(status.0),
                detail,
            };
        }
        OrbitError::Rejected {
            phase,
            status: status.0,
            status_name: status_name(status),
            detail,
        }
    }

    /// Invalid input found by the bindings before calling the SDK.
    pub(crate) fn invalid(detail: impl std::fmt::Display) -> OrbitError {
        OrbitError::InvalidInput {
            phase: Phase::Request,
            detail: detail.to_string(),
        }
    }
}

/// A status's name from the spec, or its number in hex.
pub(crate) fn status_name(status: Status) -> String {
    status
        .name()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:#06x}", status.0))
}

impl From<ControllerError> for OrbitError {
    fn from(e: ControllerError) -> Self {
        let phase = Phase::from(e.phase);
        let detail = e.to_string();
        match &e.cause {
            Cause::Pairing(p) => match p {
                PairingError::ConfirmationFailed => OrbitError::WrongSetupCode {
                    phase,
                    status: None,
                    detail,
                },
                PairingError::PeerStatus(s) | PairingError::PeerRefused { status: s, .. } => {
                    OrbitError::status(phase, *s, detail)
                }
                PairingError::Timeout { .. } => OrbitError::Timeout { phase, detail },
                _ => OrbitError::Protocol { phase, detail },
            },
            Cause::Status(s)
            | Cause::Session(SessionError::PeerStatus(s))
            | Cause::Commission(orbit_core::commission::CommissionError::PeerStatus(s)) => {
                OrbitError::status(phase, *s, detail)
            }
            Cause::Commission(_) => OrbitError::Attestation { phase, detail },
            Cause::Session(_)
            | Cause::Protect(_)
            | Cause::Certificate(_)
            | Cause::Crypto(_)
            | Cause::Descriptor(_) => OrbitError::Security { phase, detail },
            Cause::Transport(q) => match q {
                orbit_quic::QuicError::HandshakeTimeout { .. }
                | orbit_quic::QuicError::TimedOut => OrbitError::Timeout { phase, detail },
                _ => OrbitError::Unreachable { phase, detail },
            },
            Cause::Timeout(_) => OrbitError::Timeout { phase, detail },
            Cause::Ble(_) => OrbitError::Bluetooth { phase, detail },
            Cause::Setup(_) | Cause::Name(_) | Cause::Limit(_) => {
                OrbitError::InvalidInput { phase, detail }
            }
            Cause::Store(_) | Cause::Corrupt(_) | Cause::NoHome => {
                OrbitError::Store { phase, detail }
            }
            Cause::NotAdministrator | Cause::ReadOnly => OrbitError::NotAllowed { phase, detail },
            Cause::NotFound(_) => OrbitError::NotFound { phase, detail },
            Cause::Discovery(orbit_discovery::DiscoveryError::NothingFound { .. }) => {
                OrbitError::NotFound { phase, detail }
            }
            Cause::Discovery(_) => OrbitError::Unreachable { phase, detail },
            _ => OrbitError::Protocol { phase, detail },
        }
    }
}

/// A failed call of a foreign trait (the app's store, browser or listener threw something
/// the bindings do not know).
impl From<uniffi::UnexpectedUniFFICallbackError> for OrbitError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        OrbitError::Internal {
            detail: format!("the app's callback failed: {}", e.reason),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use orbit_sdk::controller::Phase as SdkPhase;

    #[test]
    fn a_refused_confirmation_is_a_wrong_setup_code_with_the_status() {
        let e = ControllerError::new(
            SdkPhase::Pase,
            Cause::Pairing(PairingError::PeerStatus(Status::PAKE_CONFIRMATION_FAILED)),
        );
        match OrbitError::from(e) {
            OrbitError::WrongSetupCode { phase, status, .. } => {
                assert_eq!(phase, Phase::Pase);
                assert_eq!(status, Some(0x0101));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_device_status_keeps_its_code_name_and_phase() {
        let e = ControllerError::new(SdkPhase::Session, Cause::Status(Status::ACCESS_DENIED));
        match OrbitError::from(e) {
            OrbitError::Rejected {
                phase,
                status,
                status_name,
                detail,
            } => {
                assert_eq!(phase, Phase::Session);
                assert_eq!(status, 0x0309);
                assert_eq!(status_name, "access-denied");
                assert!(detail.contains("session"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_failed_ble_link_is_a_bluetooth_error_in_its_phase() {
        let e = ControllerError::new(
            SdkPhase::Connect,
            Cause::Ble(orbit_ble::link::BleError::Disconnected),
        );
        match OrbitError::from(e) {
            OrbitError::Bluetooth { phase, detail } => {
                assert_eq!(phase, Phase::Connect);
                assert!(detail.contains("Bluetooth connection ended"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unknown_device_is_not_found() {
        let e = ControllerError::new(SdkPhase::Discovery, Cause::NotFound("no lamp".into()));
        assert!(matches!(
            OrbitError::from(e),
            OrbitError::NotFound {
                phase: Phase::Discovery,
                ..
            }
        ));
    }
}

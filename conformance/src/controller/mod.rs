//! The honest controller the suite acts as, built from orbit-core's state machines over the
//! transport adapter: PASE, attestation and commissioning, SIGMA sessions, and interactions
//! in a session. Every message sent and received goes into the running case's evidence.
//!
//! What an honest controller never sends lives in [`crate::adversarial`], not here.

mod conn;
mod handshake;
mod home;
mod session;

pub use conn::{Conn, Ex};
pub(crate) use handshake::sealed_round_trip;
pub use handshake::{commission, pase, Commissioned, PaseError, PaseOutcome};
pub use home::{SuiteHome, ADMIN_NODE};
pub use session::{Session, SessionOpenError};

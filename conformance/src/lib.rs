//! The Orbit v1 conformance suite.
//!
//! Device makers run it against their device (any language, any firmware) to show that it
//! speaks Orbit v1: `orbit conformance run --target quic://HOST:PORT --setup-code CODE`, or
//! [`run`] from their own Rust CI. The suite pairs with the device as an honest controller
//! built on orbit-core, reads its signed descriptor (which decides the cases that apply),
//! runs every case (each traced to the spec rule IDs it observes), and reports PASS, FAIL,
//! NOT-APPLICABLE, INCONCLUSIVE or WAIVED with the messages sent and received as evidence.
//!
//! Layout: [`transport`] is the only place that knows the wire; [`controller`] is the
//! honest controller; [`cases`] hold the cases by group; [`runner`] selects and runs them;
//! [`report`] renders the results.
#![forbid(unsafe_code)]

pub mod adversarial;
pub mod case;
pub mod cases;
pub mod config;
pub mod context;
pub mod controller;
pub mod coverage;
pub mod evidence;
pub mod facts;
pub mod health;
pub mod hooks;
pub mod manifest;
mod probe;
pub mod progress;
pub mod report;
pub mod runner;
pub mod transport;
pub mod verdict;
pub mod waivers;

pub use case::{Case, CaseInfo, Failure, Group, Outcome};
pub use config::RunConfig;
pub use context::Ctx;
pub use progress::{Progress, Silent};
pub use report::RunReport;
pub use runner::{run, UsageError};
pub use transport::TargetSpec;
pub use verdict::{Level, Verdict};

/// The suite's version, stamped on every report.
pub const SUITE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The spec version the suite judges against.
pub const SPEC_VERSION: &str = "v1";

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl RunConfig {
    /// The target as the user wrote it.
    pub fn target_string(&self) -> String {
        self.target.to_string()
    }
}

//! Reports: the run's model and its renderings.

pub mod model;

pub use model::{CaseReport, DeviceIdentity, Finding, RunReport, Stamp, Summary, WaiverInfo};

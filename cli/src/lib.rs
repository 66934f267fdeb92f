//! The text layer of the `orbit` command: paths and values as people type and read them.
//! The command itself is `src/main.rs`.
#![forbid(unsafe_code)]

pub use orbit_sdk::capped;
pub mod output;
/// Paths as people write them (`1/on-off/on`), shared with the phone bindings.
pub use orbit_sdk::paths;
pub mod values;

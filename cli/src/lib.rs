//! The text layer of the `orbit` command: paths and values as people type and read them.
//! The command itself is `src/main.rs`.
#![forbid(unsafe_code)]

pub mod capped;
pub mod output;
pub mod paths;
pub mod values;

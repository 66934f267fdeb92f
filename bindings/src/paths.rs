//! Paths as apps write them: `ENDPOINT/CAPABILITY/ITEM` with registry names or numbers
//! (`1/on-off/on`, `1/level/*`, `1/door-lock/unlock-door`), parsed by the same code as the
//! `orbit` command's, so both accept exactly the same paths.

use crate::error::OrbitError;
use orbit_core::interaction::{AttributePath, CommandPath, ConcreteAttribute};

/// An attribute path, wildcards allowed.
pub(crate) fn attribute(text: &str) -> Result<AttributePath, OrbitError> {
    orbit_sdk::paths::attribute_path(text)
        .map(|(p, _)| p)
        .map_err(OrbitError::invalid)
}

/// One concrete attribute, and whether its schema says writes must be timed.
pub(crate) fn concrete(text: &str) -> Result<(ConcreteAttribute, bool), OrbitError> {
    orbit_sdk::paths::concrete_attribute(text)
        .map(|(p, schema)| (p, schema.is_some_and(|s| s.timed)))
        .map_err(OrbitError::invalid)
}

/// A command, and whether its schema says it must be invoked timed.
pub(crate) fn command(text: &str) -> Result<(CommandPath, bool), OrbitError> {
    orbit_sdk::paths::command_path(text)
        .map(|(p, schema)| (p, schema.is_some_and(|s| s.timed)))
        .map_err(OrbitError::invalid)
}

/// A concrete attribute as `1/on-off/on` (names where the registry has them).
pub(crate) fn show(path: &ConcreteAttribute) -> String {
    orbit_sdk::paths::show_attribute(path)
}

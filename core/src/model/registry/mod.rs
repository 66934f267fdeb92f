//! The standard capability registry `[DM-20]`.
//!
//! `spec/v1/registry/*.json` is the single source: the submodules of [`std_caps`] (identifier
//! constants, enum values, schema constructors) are generated from it by
//! `core/tests/registry.rs`, which fails when the generated code and the files disagree.

use super::ids::CapabilityId;
use super::schema::CapabilitySchema;
use std::sync::OnceLock;

#[rustfmt::skip]
#[allow(clippy::all, missing_docs)]
mod generated;

/// Identifier constants and schemas of every standard capability, one module per capability
/// (`std_caps::on_off::attributes::ON`, `std_caps::door_lock::commands::UNLOCK_DOOR`, ...).
pub mod std_caps {
    pub use super::generated::*;
}

/// A set of capability schemas a node knows: the standard registry plus any vendor schemas
/// `[DM-31]`.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    /// Sorted by ID, unique.
    schemas: Vec<CapabilitySchema>,
}

impl Registry {
    /// The standard registry of this version, built once.
    pub fn standard() -> &'static Registry {
        static STANDARD: OnceLock<Registry> = OnceLock::new();
        STANDARD.get_or_init(|| {
            let mut registry = Registry::default();
            for schema in generated::standard_schemas() {
                registry.insert(schema);
            }
            registry
        })
    }

    /// Adds (or replaces) a schema.
    pub fn insert(&mut self, schema: CapabilitySchema) {
        match self.schemas.binary_search_by_key(&schema.id, |s| s.id) {
            Ok(i) => {
                if let Some(slot) = self.schemas.get_mut(i) {
                    *slot = schema;
                }
            }
            Err(i) => self.schemas.insert(i, schema),
        }
    }

    /// The schema of `id`.
    pub fn get(&self, id: CapabilityId) -> Option<&CapabilitySchema> {
        self.schemas
            .binary_search_by_key(&id, |s| s.id)
            .ok()
            .and_then(|i| self.schemas.get(i))
    }

    /// The schema named `name`.
    pub fn by_name(&self, name: &str) -> Option<&CapabilitySchema> {
        self.schemas.iter().find(|s| s.name == name)
    }

    /// Every schema, in ascending ID order.
    pub fn iter(&self) -> impl Iterator<Item = &CapabilitySchema> {
        self.schemas.iter()
    }

    /// How many schemas it holds.
    pub fn len(&self) -> usize {
        self.schemas.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.schemas.is_empty()
    }
}

//! Reads `spec/v1/registry/*.json` into a small typed form the generators share.

use serde_json::Value as Json;
use std::path::{Path, PathBuf};

pub(crate) struct Capability {
    pub(crate) file: String,
    pub(crate) json: Json,
}

impl Capability {
    pub(crate) fn id(&self) -> u64 {
        self.json["id"].as_u64().unwrap()
    }
    pub(crate) fn name(&self) -> &str {
        self.json["name"].as_str().unwrap()
    }
    pub(crate) fn list(&self, key: &str) -> Vec<&Json> {
        self.json[key]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }
}

pub(crate) fn registry_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/v1/registry")
}

/// Every capability file, sorted by capability ID.
pub(crate) fn load_all() -> Vec<Capability> {
    let mut caps: Vec<Capability> = std::fs::read_dir(registry_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != "schema.json"))
        .map(|p| Capability {
            file: p.file_name().unwrap().to_string_lossy().into_owned(),
            json: serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display())),
        })
        .collect();
    caps.sort_by_key(|c| c.id());
    caps
}

pub(crate) fn schema() -> Json {
    serde_json::from_str(&std::fs::read_to_string(registry_dir().join("schema.json")).unwrap())
        .unwrap()
}

/// `on-off` -> `on_off`.
pub(crate) fn snake(name: &str) -> String {
    name.replace('-', "_")
}

/// `on-off` -> `ON_OFF`.
pub(crate) fn shout(name: &str) -> String {
    snake(name).to_uppercase()
}

/// The feature bit an item depends on.
pub(crate) fn feature_bit(cap: &Capability, item: &Json) -> Option<u64> {
    let name = item.get("feature")?.as_str()?;
    cap.list("features")
        .into_iter()
        .find(|f| f["name"] == name)
        .and_then(|f| f["bit"].as_u64())
}

pub(crate) fn flag(item: &Json, key: &str) -> bool {
    item.get(key).and_then(Json::as_bool).unwrap_or(false)
}

pub(crate) fn text<'a>(item: &'a Json, key: &str) -> &'a str {
    item.get(key).and_then(Json::as_str).unwrap_or("")
}

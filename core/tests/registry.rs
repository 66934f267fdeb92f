//! The capability registry (`spec/v1/registry/`) `[DM-20]`..`[DM-29]`:
//! every file validates against `schema.json` and the semantic rules JSON Schema cannot say,
//! and the generated Rust code and spec tables are exactly what the files produce.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "registry/codegen.rs"]
mod codegen;
#[path = "registry/load.rs"]
mod load;
#[path = "registry/tables.rs"]
mod tables;

use load::{feature_bit, load_all, registry_dir, schema, Capability};
use orbit_core::model::{CapabilityId, Data, Registry};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::Path;

/// A named edit of a registry file that must be caught.
type Mutation = Box<dyn Fn(&mut Json)>;

/// Compares `generated` with the file at `path`, or rewrites the file when
/// `ORBIT_REGEN_VECTORS` is set.
fn check_generated(path: &Path, generated: &str) {
    if std::env::var_os("ORBIT_REGEN_VECTORS").is_some() {
        std::fs::write(path, generated).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{} is out of date with spec/v1/registry; regenerate with \
         ORBIT_REGEN_VECTORS=1 cargo test -p orbit-core --test registry",
        path.display()
    );
}

#[test]
fn every_capability_file_validates_against_the_schema() {
    // [DM-21] each file is an instance of registry/schema.json.
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let caps = load_all();
    assert!(
        caps.len() >= 16,
        "registry holds only {} capabilities",
        caps.len()
    );
    for cap in &caps {
        let errors: Vec<String> = validator
            .iter_errors(&cap.json)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", cap.file);
    }
}

#[test]
fn the_schema_rejects_malformed_definitions() {
    // The schema itself must bite: each mutation of a valid file is an error.
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let base = load_all()
        .into_iter()
        .find(|c| c.name() == "on-off")
        .unwrap()
        .json;
    assert!(validator.is_valid(&base));
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "unknown top-level key",
            Box::new(|j| j["colour"] = Json::Bool(true)),
        ),
        (
            "name not kebab-case",
            Box::new(|j| j["name"] = "OnOff".into()),
        ),
        (
            "missing version",
            Box::new(|j| {
                j.as_object_mut().unwrap().remove("version");
            }),
        ),
        (
            "bad access",
            Box::new(|j| j["attributes"][0]["access"] = serde_json::json!(["execute"])),
        ),
        (
            "unknown type kind",
            Box::new(|j| j["attributes"][0]["type"] = serde_json::json!({"kind": "float"})),
        ),
        (
            "bad privilege",
            Box::new(|j| j["commands"][0]["privilege"] = "root".into()),
        ),
    ];
    for (what, mutate) in mutations {
        let mut j = base.clone();
        mutate(&mut j);
        assert!(!validator.is_valid(&j), "schema accepted: {what}");
    }
}

/// Rules JSON Schema cannot express `[DM-22]`.
fn semantic_errors(cap: &Capability) -> Vec<String> {
    let mut errors = Vec::new();
    let j = &cap.json;
    if format!("{}.json", cap.name()) != cap.file {
        errors.push(format!("file name should be {}.json", cap.name()));
    }
    if cap.id() >= 0x1_0000 {
        errors.push("a standard capability has vendor 0 (ID below 0x10000)".into());
    }
    let features: Vec<&str> = cap
        .list("features")
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    unique(
        &mut errors,
        "feature bit",
        cap.list("features").iter().map(|f| f["bit"].to_string()),
    );
    unique(
        &mut errors,
        "feature name",
        features.iter().map(|s| s.to_string()),
    );
    for kind in ["attributes", "commands", "events"] {
        let items = cap.list(kind);
        unique(
            &mut errors,
            &format!("{kind} id"),
            items.iter().map(|i| i["id"].to_string()),
        );
        unique(
            &mut errors,
            &format!("{kind} name"),
            items.iter().map(|i| i["name"].to_string()),
        );
        for item in items {
            let name = item["name"].as_str().unwrap();
            if item.get("feature").is_some() && feature_bit(cap, item).is_none() {
                errors.push(format!("{kind} {name}: undeclared feature"));
            }
            let mut types = Vec::new();
            if let Some(t) = item.get("type") {
                types.push((name.to_string(), t));
            }
            for part in ["args", "result", "fields"] {
                if let Some(list) = item.get(part).and_then(Json::as_array) {
                    unique(
                        &mut errors,
                        &format!("{name} {part} id"),
                        list.iter().map(|f| f["id"].to_string()),
                    );
                    for f in list {
                        types.push((format!("{name}.{}", f["name"]), &f["type"]));
                    }
                }
            }
            for (where_, t) in types {
                type_errors(&mut errors, &where_, t);
            }
            if kind == "attributes" {
                let access: Vec<&str> = item["access"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect();
                if access.contains(&"write") && !access.contains(&"read") {
                    errors.push(format!("attribute {name}: writable but not readable"));
                }
                if let Some(default) = item.get("default") {
                    if let Err(e) = json_default_fits(default, &item["type"]) {
                        errors.push(format!("attribute {name}: default {default} {e}"));
                    }
                }
            }
        }
    }
    let _ = j;
    errors
}

fn unique(errors: &mut Vec<String>, what: &str, items: impl Iterator<Item = String>) {
    let mut seen = BTreeSet::new();
    for i in items {
        if !seen.insert(i.clone()) {
            errors.push(format!("duplicate {what} {i}"));
        }
    }
}

fn type_errors(errors: &mut Vec<String>, at: &str, t: &Json) {
    match t["kind"].as_str().unwrap_or("") {
        "uint" if t["min"].as_u64() > t["max"].as_u64() => errors.push(format!("{at}: min > max")),
        "int" if t["min"].as_i64() > t["max"].as_i64() => errors.push(format!("{at}: min > max")),
        "text" | "bytes"
            if t.get("min_len").and_then(Json::as_u64).unwrap_or(0)
                > t["max_len"].as_u64().unwrap_or(0) =>
        {
            errors.push(format!("{at}: min_len > max_len"))
        }
        "enum" | "bitmap" => {
            let key = if t["kind"] == "enum" {
                "values"
            } else {
                "bits"
            };
            let list = t[key].as_array().unwrap();
            unique(
                errors,
                &format!("{at} value"),
                list.iter().map(|v| v["value"].to_string()),
            );
            unique(
                errors,
                &format!("{at} value name"),
                list.iter().map(|v| v["name"].to_string()),
            );
        }
        "list" => type_errors(errors, &format!("{at}[]"), &t["items"]),
        "struct" => {
            let fields = t["fields"].as_array().unwrap();
            unique(
                errors,
                &format!("{at} field id"),
                fields.iter().map(|f| f["id"].to_string()),
            );
            for f in fields {
                type_errors(errors, &format!("{at}.{}", f["name"]), &f["type"]);
            }
        }
        _ => {}
    }
}

/// Whether a JSON default value fits its registry type (checked independently of the Rust
/// checker, so a generator bug cannot hide a bad default).
fn json_default_fits(v: &Json, t: &Json) -> Result<(), String> {
    if v.is_null() {
        return if t.get("nullable") == Some(&Json::Bool(true)) {
            Ok(())
        } else {
            Err("null not allowed".into())
        };
    }
    let ok = match t["kind"].as_str().unwrap_or("") {
        "bool" => v.is_boolean(),
        "uint" => v
            .as_u64()
            .is_some_and(|x| Some(x) >= t["min"].as_u64() && Some(x) <= t["max"].as_u64()),
        "int" => v
            .as_i64()
            .is_some_and(|x| Some(x) >= t["min"].as_i64() && Some(x) <= t["max"].as_i64()),
        "enum" => t["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["value"] == *v),
        "text" => v
            .as_str()
            .is_some_and(|s| (s.len() as u64) <= t["max_len"].as_u64().unwrap()),
        "list" => {
            v.as_array()
                .is_some_and(|a| a.len() as u64 <= t["max_items"].as_u64().unwrap())
                && v.as_array()
                    .unwrap()
                    .iter()
                    .all(|i| json_default_fits(i, &t["items"]).is_ok())
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err("does not fit the type".into())
    }
}

#[test]
fn every_capability_file_meets_the_semantic_rules() {
    // [DM-22]
    let caps = load_all();
    let mut all = Vec::new();
    for cap in &caps {
        for e in semantic_errors(cap) {
            all.push(format!("{}: {e}", cap.file));
        }
    }
    unique(
        &mut all,
        "capability id",
        caps.iter().map(|c| c.id().to_string()),
    );
    unique(
        &mut all,
        "capability name",
        caps.iter().map(|c| c.name().to_string()),
    );
    assert!(all.is_empty(), "{all:#?}");
}

#[test]
fn semantic_rules_catch_mistakes() {
    let base = load_all()
        .into_iter()
        .find(|c| c.name() == "on-off")
        .unwrap();
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "duplicate attribute id",
            Box::new(|j| j["attributes"][1]["id"] = 0.into()),
        ),
        (
            "undeclared feature",
            Box::new(|j| j["attributes"][1]["feature"] = "nope".into()),
        ),
        (
            "default out of range",
            Box::new(|j| j["attributes"][1]["default"] = 100_000.into()),
        ),
        (
            "min > max",
            Box::new(|j| j["attributes"][1]["type"]["min"] = 90_000.into()),
        ),
    ];
    for (what, mutate) in cases {
        let mut cap = Capability {
            file: base.file.clone(),
            json: base.json.clone(),
        };
        mutate(&mut cap.json);
        assert!(!semantic_errors(&cap).is_empty(), "not caught: {what}");
    }
}

#[test]
fn generated_rust_matches_the_registry() {
    // [DM-20] the registry is the single source of the Rust constants and schemas.
    let caps = load_all();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/model/registry/generated.rs");
    check_generated(&path, &codegen::generate(&caps));
}

#[test]
fn spec_tables_match_the_registry() {
    // [DM-20] the spec's tables are generated from the registry.
    let caps = load_all();
    let path = registry_dir().join("../14-capabilities.md");
    check_generated(&path, &tables::generate(&caps));
}

#[test]
fn runtime_registry_holds_every_file_and_defaults_fit_their_types() {
    let caps = load_all();
    let reg = Registry::standard();
    assert_eq!(reg.len(), caps.len());
    for cap in &caps {
        let schema = reg.get(CapabilityId(cap.id() as u32)).unwrap();
        assert_eq!(schema.name, cap.name());
        assert_eq!(schema.attributes.len(), cap.list("attributes").len());
        assert_eq!(schema.commands.len(), cap.list("commands").len());
        assert_eq!(schema.events.len(), cap.list("events").len());
        for attr in &schema.attributes {
            if let Some(default) = &attr.default {
                attr.ty
                    .check(default)
                    .unwrap_or_else(|e| panic!("{}.{}: {e}", schema.name, attr.name));
            }
            // Checker and type agree on an obviously wrong value.
            assert!(
                attr.ty.check(&Data::Bytes(vec![0; 2000])).is_err()
                    || matches!(attr.ty.kind, orbit_core::model::TypeKind::Bytes { .. })
            );
        }
    }
    // The twelve capabilities the issue names, plus identify and basic information.
    for name in [
        "on-off",
        "level",
        "color",
        "thermostat",
        "door-lock",
        "temperature-sensor",
        "humidity-sensor",
        "occupancy-sensor",
        "contact-sensor",
        "battery",
        "power-meter",
        "fan",
        "window-covering",
        "identify",
        "basic-information",
    ] {
        assert!(reg.by_name(name).is_some(), "registry lacks {name}");
    }
}

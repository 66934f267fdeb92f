//! Registry descriptions are informative; behaviour lives in rules with IDs `[DM-20]`. Every
//! standard capability's description cites the rule (12-data-model.md §12.7, or
//! 15-access-control.md) that specifies it, each cited rule exists and names that
//! capability, and every §12.7 rule is cited by some capability.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::path::PathBuf;

fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/v1")
}

/// The rules of §12.7 "Behaviour of the standard capabilities": ID and text.
fn behaviour_rules() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(spec_dir().join("12-data-model.md")).unwrap();
    let section = text
        .split("## 12.7 Behaviour of the standard capabilities")
        .nth(1)
        .expect("12-data-model.md has §12.7");
    let mut rules = Vec::new();
    for chunk in section.split("- **[").skip(1) {
        let (id, body) = chunk.split_once("]**").unwrap();
        rules.push((id.to_string(), body.to_string()));
    }
    rules
}

/// The rules of every other chapter: a capability that belongs to a transport (`network`,
/// [BLE-25]) has its behaviour specified in that transport's chapter.
fn other_rules() -> Vec<(String, String)> {
    let mut rules = Vec::new();
    for entry in std::fs::read_dir(spec_dir()).unwrap() {
        let p = entry.unwrap().path();
        let is_chapter = p.extension().is_some_and(|e| e == "md")
            && p.file_name().is_some_and(|n| n != "12-data-model.md");
        if !is_chapter {
            continue;
        }
        let text = std::fs::read_to_string(p).unwrap();
        for chunk in text.split("- **[").skip(1) {
            if let Some((id, body)) = chunk.split_once("]**") {
                rules.push((id.to_string(), body.to_string()));
            }
        }
    }
    rules
}

/// Every `[PREFIX-N]` in `text`.
fn cited(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in text.split('[').skip(1) {
        if let Some((id, _)) = part.split_once(']') {
            if id.split_once('-').is_some_and(|(p, n)| {
                !p.is_empty()
                    && p.chars().all(|c| c.is_ascii_uppercase())
                    && !n.is_empty()
                    && n.chars().all(|c| c.is_ascii_digit())
            }) {
                out.push(id.to_string());
            }
        }
    }
    out
}

// [DM-20] [DM-47] [DM-58] every capability's description ends by citing where its behaviour is
// specified (§12.7, or for a transport's capability its chapter, [BLE-25]); the rule it cites
// names the capability; every §12.7 rule is cited.
#[test]
fn every_capability_cites_the_rules_of_its_behaviour() {
    let rules = behaviour_rules();
    let elsewhere = other_rules();
    assert!(rules.len() >= 12, "{rules:?}");
    let mut used = BTreeSet::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(spec_dir().join("registry"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "schema.json"))
        .collect();
    files.sort();
    assert!(files.len() >= 17);
    for file in files {
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let name = json["name"].as_str().unwrap();
        let description = json["description"].as_str().unwrap();
        let tail = description
            .rsplit_once("Behaviour: ")
            .unwrap_or_else(|| panic!("{name}: the description cites no behaviour"))
            .1;
        if tail == "15-access-control.md." {
            assert!(
                ["access-control", "administration"].contains(&name),
                "{name}"
            );
            continue;
        }
        let ids = cited(tail);
        assert_eq!(ids.len(), 1, "{name}: {tail}");
        let (_, body) = rules
            .iter()
            .chain(elsewhere.iter())
            .find(|(id, _)| *id == ids[0])
            .unwrap_or_else(|| panic!("{name} cites {} which no chapter defines", ids[0]));
        assert!(
            body.contains(&format!("`{name}`")),
            "{} does not name `{name}`",
            ids[0]
        );
        used.insert(ids[0].clone());
    }
    for (id, _) in &rules {
        assert!(used.contains(id), "no capability cites {id}");
    }
}

// [DM-20] an item description that cites a rule cites one that exists in the spec.
#[test]
fn rule_ids_in_registry_descriptions_exist() {
    let mut spec = String::new();
    for entry in std::fs::read_dir(spec_dir()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "md") {
            spec.push_str(&std::fs::read_to_string(p).unwrap());
        }
    }
    for entry in std::fs::read_dir(spec_dir().join("registry")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for id in cited(&text) {
            assert!(
                spec.contains(&format!("**[{id}]**")),
                "the registry cites [{id}], which no spec file defines"
            );
        }
    }
}

//! Spec, code and tests move together: every rule ID is defined once in spec/v1, every ID the
//! code or tests cite exists, every rule is cited by the code or a test (or listed below with
//! the reason it cannot be), and no placeholder IDs remain.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Rules that constrain vendors or operators rather than protocol behaviour of the core, so no
/// code in this repository can enforce them.
const NOT_ENFORCEABLE_IN_CORE: &[(&str, &str)] = &[
    (
        "ATT-10",
        "a controller's policy on known-cloned device serials (SDK configuration)",
    ),
    (
        "ATT-11",
        "vendors keep attestation keys in non-exporting hardware",
    ),
    (
        "DM-48",
        "identify behaviour: no reference device implements the identify capability",
    ),
    (
        "DM-53",
        "fan behaviour: no reference device implements the fan capability",
    ),
    (
        "DM-54",
        "window-covering behaviour: no reference device implements window-covering",
    ),
];

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        let skipped = p
            .file_name()
            .is_some_and(|n| n == "target" || n.to_string_lossy().starts_with('.'));
        if skipped {
            continue;
        }
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}

/// IDs like `PAIR-7` inside brackets, with `bold` telling whether it was a definition
/// (`**[PAIR-7]**`).
fn ids(text: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(off) = text[i..].find('[') {
        let start = i + off + 1;
        let end = match text[start..].find(']') {
            Some(e) => start + e,
            None => break,
        };
        let inner = &text[start..end];
        if let Some((prefix, num)) = inner.split_once('-') {
            let is_id = !prefix.is_empty()
                && prefix.chars().all(|c| c.is_ascii_uppercase())
                && (num == "*" || (!num.is_empty() && num.chars().all(|c| c.is_ascii_digit())));
            if is_id {
                let bold = start >= 3
                    && &bytes[start - 3..start - 1] == b"**"
                    && text[end..].starts_with("]**");
                found.push((inner.to_string(), bold));
            }
        }
        i = end;
    }
    found
}

#[test]
fn rule_ids_are_defined_once_cited_and_complete() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut spec_files = Vec::new();
    files(&root.join("spec/v1"), "md", &mut spec_files);
    let mut defined: BTreeMap<String, usize> = BTreeMap::new();
    let mut placeholders = Vec::new();
    for f in &spec_files {
        for (id, bold) in ids(&std::fs::read_to_string(f).unwrap()) {
            if id.ends_with('*') {
                placeholders.push(format!("{}: [{id}]", f.display()));
            } else if bold {
                *defined.entry(id).or_default() += 1;
            }
        }
    }
    assert!(
        defined.len() > 150,
        "only {} rules found: parser broken?",
        defined.len()
    );
    let twice: Vec<_> = defined.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "rules defined more than once: {twice:?}");

    // Every crate of the workspace: core, devices, stores, transports, SDK, CLI.
    let mut code_files = Vec::new();
    files(&root, "rs", &mut code_files);
    let mut cited = BTreeSet::new();
    for f in &code_files {
        // The generated registry code copies the registry's (informative) descriptions,
        // which cite rules they do not enforce [DM-20].
        if f.ends_with("spec_ids.rs") || f.ends_with("model/registry/generated.rs") {
            continue;
        }
        for (id, _) in ids(&std::fs::read_to_string(f).unwrap()) {
            if id.ends_with('*') {
                // A module doc may name its whole family, e.g. `[PAIR-*]`.
                continue;
            }
            cited.insert(id);
        }
    }
    let undefined: Vec<_> = cited
        .iter()
        .filter(|id| !defined.contains_key(*id))
        .collect();
    assert!(
        undefined.is_empty(),
        "cited in code but not defined in spec/v1: {undefined:?}"
    );

    let exempt: BTreeSet<&str> = NOT_ENFORCEABLE_IN_CORE.iter().map(|(id, _)| *id).collect();
    let uncited: Vec<_> = defined
        .keys()
        .filter(|id| !cited.contains(*id) && !exempt.contains(id.as_str()))
        .collect();
    assert!(
        uncited.is_empty(),
        "rules no code or test cites: {uncited:?}"
    );
    for id in &exempt {
        assert!(defined.contains_key(*id), "exemption for unknown rule {id}");
        assert!(
            !cited.contains(*id),
            "{id} is cited now: remove its exemption"
        );
    }
    assert!(
        placeholders.is_empty(),
        "placeholder rule IDs in the spec: {placeholders:?}"
    );
}

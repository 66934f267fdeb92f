//! The spec and the suite cannot drift apart: every MUST rule of spec/v1 is observed by a
//! case or has a written reason in coverage/*.txt, every rule a case or a reason cites
//! exists, and conformance/COVERAGE.md is the table generated from them
//! (`ORBIT_REGEN_COVERAGE=1 cargo test -p orbit-conformance --test coverage` rewrites it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orbit_conformance::coverage::Coverage;

const COVERAGE_MD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/COVERAGE.md");

#[test]
fn cases_and_reasons_cite_only_rules_the_spec_defines() {
    let c = Coverage::current();
    let wrong: Vec<&String> = c
        .problems
        .iter()
        .filter(|p| !p.starts_with("MUST rule"))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(
        c.rows.len() > 100,
        "the spec's rules were found: {}",
        c.rows.len()
    );
}

#[test]
fn every_must_rule_is_observed_by_a_case_or_has_a_reason() {
    let c = Coverage::current();
    println!("coverage: {}", c.figure());
    let missing: Vec<&String> = c
        .problems
        .iter()
        .filter(|p| p.starts_with("MUST rule"))
        .collect();
    assert!(
        missing.is_empty(),
        "{} MUST rules have neither a case nor a reason in conformance/coverage/*.txt:\n{}",
        missing.len(),
        missing
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn coverage_md_is_the_generated_table() {
    let generated = Coverage::current().to_markdown();
    if std::env::var_os("ORBIT_REGEN_COVERAGE").is_some() {
        std::fs::write(COVERAGE_MD, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(COVERAGE_MD).unwrap_or_default();
    assert!(
        on_disk == generated,
        "conformance/COVERAGE.md is stale: run `ORBIT_REGEN_COVERAGE=1 cargo test -p orbit-conformance --test coverage` (or `orbit conformance coverage > conformance/COVERAGE.md`)"
    );
}

//! The JSON report validates against its published schema (conformance/schema), the JUnit
//! XML is well-formed with one testsuite per group and the right failure/error/skipped
//! elements, and the terminal summary lists what did not pass with the replay command; for a
//! real run against the reference lamp and for one with every verdict.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use orbit_conformance::report::{self, RunReport};
use serde_json::Value;
use std::collections::BTreeSet;

fn schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/report-1.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn validate(report: &RunReport) -> Value {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let json: Value = serde_json::from_str(&report.to_json()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    json
}

fn check_junit(report: &RunReport) {
    let xml = report::junit::render(report);
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(
        root.attribute("tests").unwrap(),
        (report.cases.len() + usize::from(report.harness_error.is_some())).to_string()
    );
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let names: BTreeSet<&str> = suites.iter().filter_map(|s| s.attribute("name")).collect();
    let mut groups: BTreeSet<&str> = report.cases.iter().map(|c| c.info.group.name()).collect();
    if report.harness_error.is_some() {
        groups.insert("harness");
    }
    assert_eq!(names, groups, "one testsuite per group that ran");
    let mut seen = 0;
    for s in suites
        .iter()
        .filter(|s| s.attribute("name") != Some("harness"))
    {
        for tc in s.children().filter(|n| n.has_tag_name("testcase")) {
            seen += 1;
            let id = tc.attribute("name").unwrap();
            let case = report.cases.iter().find(|c| c.info.id == id).unwrap();
            let kids: Vec<&str> = tc
                .children()
                .filter(|n| n.is_element())
                .map(|n| n.tag_name().name())
                .filter(|n| *n != "system-out")
                .collect();
            let want: &[&str] = match case.verdict.as_str() {
                "PASS" => &[],
                "FAIL" => &["failure"],
                "INCONCLUSIVE" => &["error"],
                _ => &["skipped"],
            };
            assert_eq!(kids, want, "{id}");
            if let Some(f) = tc.children().find(|n| n.has_tag_name("failure")) {
                let rule = case.failed_rule.as_deref().unwrap();
                assert!(f.attribute("message").unwrap().contains(rule));
                assert_eq!(f.attribute("type").unwrap(), case.info.level.to_string());
                // The escaped text comes back as it was (control characters aside).
                assert!(f.text().unwrap().contains("an answer <b>within</b> 10 s"));
            }
        }
    }
    assert_eq!(seen, report.cases.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_validate_and_parse_for_a_real_run_and_one_with_every_verdict() {
    let dir = common::scratch("reports");
    let real = common::real_report(&dir).await;
    let mixed = common::mixed(&real);
    for r in [&real, &mixed] {
        let json = validate(r);
        assert_eq!(json["summary"]["total"], r.cases.len());
        check_junit(r);
    }
    // A report of a run that never started validates too.
    let mut failed = real.clone();
    failed.cases.clear();
    failed.summary = RunReport::summarize(&[]);
    failed.stamp.device = None;
    failed.harness_error = Some("cannot reach <quic://127.0.0.1:9>".into());
    validate(&failed);
    check_junit(&failed);
    assert!(report::junit::render(&failed).contains("type=\"HARNESS\""));

    // The schema is not vacuous: a wrong verdict, a missing field and an extra one are refused.
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let good: Value = serde_json::from_str(&mixed.to_json()).unwrap();
    let mut bad = good.clone();
    bad["cases"][0]["verdict"] = "PASSED".into();
    assert!(!validator.is_valid(&bad));
    let mut bad = good.clone();
    bad["stamp"].as_object_mut().unwrap().remove("seed");
    assert!(!validator.is_valid(&bad));
    let mut bad = good;
    bad["summary"]["extra"] = 1.into();
    assert!(!validator.is_valid(&bad));

    // The files land in the report directory.
    let out = dir.join("out");
    let files = report::write_all(&mixed, &out).unwrap();
    assert_eq!(files.len(), 3);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(report::JSON_FILE)).unwrap())
            .unwrap();
    assert_eq!(written["summary"]["fail_must"], 1);
    let html = std::fs::read_to_string(out.join(report::HTML_FILE)).unwrap();
    assert!(
        !html.contains("</script><script>alert"),
        "evidence is escaped"
    );
    for needle in ["http://", "https://", "<link", "src="] {
        assert!(!html.contains(needle), "the page fetches nothing: {needle}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_lists_what_did_not_pass_and_how_to_replay_it() {
    let dir = common::scratch("summary");
    let mixed = common::mixed(&common::real_report(&dir).await);
    let text = report::text::summary(&mixed);
    let must = mixed
        .cases
        .iter()
        .find(|c| c.info.id.ends_with("-must-fail"))
        .unwrap();
    let should = mixed
        .cases
        .iter()
        .find(|c| c.info.id.ends_with("-should-fail"))
        .unwrap();
    let after = |heading: &str| text.split(heading).nth(1).unwrap_or("").to_owned();
    assert!(after("MUST failures").contains(must.info.id), "{text}");
    assert!(
        after("unmet recommendations (SHOULD)").contains(should.info.id),
        "{text}"
    );
    assert!(!after("MUST failures")
        .split("unmet recommendations")
        .next()
        .unwrap()
        .contains(should.info.id));
    assert!(text.contains(&format!(
        "--seed {} --only {}",
        mixed.stamp.seed, must.info.id
    )));
    assert!(text.contains("waived (not counted as passes)"));
    assert!(text.contains("FAIL: a MUST case failed (exit 1"), "{text}");
    assert!(
        !text.contains('\u{1}'),
        "control characters never reach the terminal"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

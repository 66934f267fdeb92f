//! Replays every committed corpus file (`fuzz/corpus/<target>/`) and every fixed crash input
//! (`fuzz/regressions/<target>/`) through the functions the fuzz targets call, so a
//! regression fails the stable test suite without nightly or cargo-fuzz.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use orbit_fuzz_targets::{target, TARGETS};

fn replay(kind: &str) -> usize {
    let inputs = common::inputs(kind);
    for (name, path) in &inputs {
        let Some(f) = target(name) else {
            panic!("fuzz/{kind}/{name} names no target");
        };
        let data = std::fs::read(path).unwrap();
        // A failing input names itself before the assertion's message.
        eprintln!("replaying {}", path.display());
        f(&data);
    }
    inputs.len()
}

#[test]
fn every_corpus_file_passes_its_target() {
    let count = replay("corpus");
    let inputs = common::inputs("corpus");
    for (name, _) in TARGETS {
        assert!(
            inputs.iter().any(|(t, _)| t == name),
            "target {name} has no committed seed corpus"
        );
    }
    assert!(count >= TARGETS.len());
}

#[test]
fn every_fixed_crash_input_passes_its_target() {
    replay("regressions");
}

//! The allocation budgets ([CBOR-10] [LIMIT-1] [LIMIT-2]) over the whole committed corpus and
//! every regression input. One test in its own binary: the heap count is global, so nothing
//! else may run beside it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use orbit_fuzz_targets::{alloc, target};

#[test]
fn no_committed_input_makes_a_decoder_exceed_its_allocation_budget() {
    alloc::enable();
    let mut count = 0;
    for kind in ["corpus", "regressions"] {
        for (name, path) in common::inputs(kind) {
            let data = std::fs::read(&path).unwrap();
            eprintln!("replaying {}", path.display());
            target(&name).unwrap()(&data);
            count += 1;
        }
    }
    assert!(count > 0);
}

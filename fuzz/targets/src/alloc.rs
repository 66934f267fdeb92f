//! Allocation budgets: no input may make a decoder allocate more than its stated limits allow.
//!
//! Every decoder enforces the limits of `spec/v1/10-limits.md` before it builds anything
//! ([CBOR-10], [LIMIT-1], [LIMIT-2]). Those limits bound what a decoder may allocate: at most
//! one tree node per data item, one copy of each string, and the typed message built from
//! them. [`decode_budget`] turns a message's limits into that bound, and [`within`] measures the
//! peak heap growth of one call against it, so a decoder that reserves memory from a length
//! the input claims, or copies a string more than a bounded number of times, fails the target.
//!
//! The measurement uses a global allocator that counts live bytes ([`peak_alloc`]); the count
//! is global, so it is only meaningful while one thread runs the decoder. It is therefore off
//! unless [`enable`]d: the fuzz binaries (single-threaded) and the one-test replay binary
//! `tests/alloc_budget.rs` turn it on, while the ordinary replay tests run in parallel
//! without it.

use orbit_core::codec::{Limits, Value};
use peak_alloc::PeakAlloc;
use std::sync::atomic::{AtomicBool, Ordering};

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

static CHECKING: AtomicBool = AtomicBool::new(false);

/// Turns the allocation checks on for the rest of the process (single-threaded callers only).
pub fn enable() {
    CHECKING.store(true, Ordering::Relaxed);
}

/// Whether allocation checks are on.
pub fn enabled() -> bool {
    CHECKING.load(Ordering::Relaxed)
}

/// Bytes a tree-building decoder may use for one message within `limits`: every data item
/// may become one map entry's worth of tree (`(Value, Value)`) plus the same again for the
/// typed message read from it, and every byte of the input may be copied into a string up to
/// four times (the tree, the typed message, and a re-encoding or a nested decode).
pub fn decode_budget(limits: &Limits) -> usize {
    let per_item = 2 * std::mem::size_of::<(Value, Value)>();
    limits.max_message * 4 + limits.max_items * per_item + FIXED_OVERHEAD
}

/// Room for small fixed allocations (error values, a few boxed states).
pub const FIXED_OVERHEAD: usize = 4096;

/// Runs `f`; when checks are on, asserts that its peak heap growth stayed within `budget`
/// bytes. `what` names the decoder in the failure message.
pub fn within<T>(budget: usize, what: &str, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    HEAP.reset_peak_usage();
    let before = HEAP.current_usage();
    let out = f();
    let peak = HEAP.peak_usage().saturating_sub(before);
    assert!(
        peak <= budget,
        "{what} allocated {peak} bytes at its peak, more than its budget of {budget} bytes"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The check can fail: an allocation over the budget is reported (other tests running
    // beside this one can only raise the peak it sees).
    #[test]
    #[should_panic(expected = "more than its budget")]
    fn an_allocation_over_the_budget_fails() {
        enable();
        let _ = within(16, "a 1 KiB buffer", || vec![0u8; 1024]);
    }
}

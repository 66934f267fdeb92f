//! The fixed seeds CI runs: whole networks of controllers and devices over hostile links, with
//! restarts, partitions and replays, where every invariant must hold. A failure prints the
//! one command that replays the seed with its whole trace.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orbit_sim::{run, Fault, Options, Stats};

/// Seeds per test function (the four functions run in parallel).
const PER_TEST: u64 = 10;

fn seeds(block: u64) -> Stats {
    let mut total = Stats::default();
    for seed in block * PER_TEST..(block + 1) * PER_TEST {
        let out = run(seed, &Options::default());
        if let Some(v) = &out.violation {
            panic!(
                "seed {seed} violated an invariant: {v}\nlast events:\n{}\nreplay: {}",
                out.trace.join("\n"),
                out.replay_command(Fault::None)
            );
        }
        total.ops_ok += out.stats.ops_ok;
        total.commissioned += out.stats.commissioned;
        total.multi_admin += out.stats.multi_admin;
        total.unpaired += out.stats.unpaired;
        total.resumed += out.stats.resumed;
        total.restarts += out.stats.restarts;
        total.rejected += out.stats.rejected;
        total.subscriptions += out.stats.subscriptions;
        total.events += out.stats.events;
    }
    // The workload reached what the invariants are about: otherwise a run that does nothing
    // would pass.
    assert!(total.commissioned > 0, "no commissioning: {total:?}");
    assert!(total.resumed > 0, "no resumption: {total:?}");
    assert!(total.restarts > 0, "no restart: {total:?}");
    assert!(total.rejected > 0, "no replay rejected: {total:?}");
    assert!(total.subscriptions > 0, "no subscription: {total:?}");
    assert!(
        total.multi_admin > 0,
        "no device joined a second home: {total:?}"
    );
    assert!(total.unpaired > 0, "no home unpaired a device: {total:?}");
    assert!(total.ops_ok > 100, "too little work: {total:?}");
    total
}

#[test]
fn seeds_0_to_9_hold_every_invariant() {
    seeds(0);
}

#[test]
fn seeds_10_to_19_hold_every_invariant() {
    seeds(1);
}

#[test]
fn seeds_20_to_29_hold_every_invariant() {
    seeds(2);
}

#[test]
fn seeds_30_to_39_hold_every_invariant() {
    let t = seeds(3);
    assert!(t.events > 0, "no event reported: {t:?}");
}

#[test]
fn a_seed_replays_exactly() {
    let options = Options {
        trace: true,
        ..Options::default()
    };
    let a = run(5, &options);
    let b = run(5, &options);
    assert!(a.trace.len() > 100, "a trace of {} lines", a.trace.len());
    if let Some(i) =
        (0..a.trace.len().max(b.trace.len())).find(|i| a.trace.get(*i) != b.trace.get(*i))
    {
        panic!(
            "the replay differs at line {i}:\n{:?}\n{:?}",
            a.trace.get(i),
            b.trace.get(i)
        );
    }
    assert_eq!(a.steps, b.steps);
    let c = run(6, &options);
    assert_ne!(a.trace, c.trace, "another seed is another run");
}

//! The simulator catches real bugs: each deliberate fault (in a component the simulator owns,
//! never in orbit-core or orbit-sdk) must be found, as the invariant it breaks, within a fixed
//! number of seeds; the same seeds pass without the fault (tests/seeds.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use orbit_sim::{run, Fault, Options};

/// How many seeds each fault gets.
const SEEDS: u64 = 10;

/// Runs `fault` on seeds `0..SEEDS` and returns the first violation found, with its seed.
fn first_violation(fault: Fault) -> (u64, String) {
    let options = Options {
        fault,
        ..Options::default()
    };
    for seed in 0..SEEDS {
        if let Some(v) = run(seed, &options).violation {
            return (seed, v);
        }
    }
    panic!("fault {} went unnoticed in {SEEDS} seeds", fault.name());
}

fn expect(fault: Fault, any_of: &[&str]) {
    let (seed, v) = first_violation(fault);
    assert!(
        any_of.iter().any(|k| v.contains(k)),
        "fault {} found at seed {seed} as an unexpected violation: {v}",
        fault.name()
    );
}

#[test]
fn a_write_acknowledged_before_it_is_stored_is_found() {
    // [DM-66] the lost write shows as attribute state, or as a lost unpair.
    expect(
        Fault::AckBeforePersist,
        &["attribute state after a restart", "session after unpair"],
    );
}

#[test]
fn event_numbers_reused_after_a_restart_are_found() {
    // [IM-50]
    expect(
        Fault::LoseEventCounter,
        &["event numbers repeat", "event number reused"],
    );
}

#[test]
fn a_replay_window_lost_in_a_transport_move_is_found() {
    // [MSG-12] [MSG-19]
    expect(Fault::ReplayWindowReset, &["replay accepted"]);
}

#[test]
fn counters_reused_after_a_transport_move_are_found() {
    // [MSG-8] [MSG-19]
    expect(Fault::CounterReset, &["nonce reuse"]);
}

#[test]
fn a_home_kept_after_unpairing_is_found() {
    // [SESS-31] [ACL-9]
    expect(Fault::KeepHomeOnUnpair, &["session after unpair"]);
}

#[test]
fn a_driver_that_runs_the_node_timers_late_is_found() {
    // [IM-63] a keep-alive later than the maximum interval, seen by the device's own reports
    // or by the controller waiting for them.
    expect(
        Fault::LazyTimers,
        &["report too late", "report late", "later than the maximum"],
    );
}

#[test]
fn reports_lost_after_a_transport_move_are_found() {
    // [IM-52] [IM-63] [IM-64] the events or keep-alives never reach the controller.
    expect(
        Fault::DropMovedReports,
        &[
            "event lost",
            "report late",
            "report too late",
            "later than the maximum",
        ],
    );
}

#[test]
fn a_request_waited_for_forever_is_found() {
    // No livelock: every operation ends within its bound.
    expect(Fault::NoClientTimers, &["livelock"]);
}

#[test]
fn a_spent_ticket_that_returns_after_a_restart_is_found() {
    // [SESS-25] [SESS-30] a replayed resuming sigma1 resumes a second time.
    expect(Fault::KeepSpentTickets, &["replayed sigma1 resumed"]);
}

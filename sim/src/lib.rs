//! # orbit-sim
//!
//! Deterministic simulation of whole Orbit networks (GUIDE habit 3): several homes, each with
//! a controller, and several reference devices (lamps and locks), driven directly through
//! orbit-core's sans-IO state machines (pairing, commissioning, sessions and resumption,
//! message protection, the interaction client and the device node) over a simulated network
//! with a virtual clock. Links lose, duplicate, delay and reorder messages, partitions cut
//! them, devices restart from an in-memory store, and an adversary replays recorded
//! messages. Everything (keys included) comes from one `u64` seed, so a failing seed replays
//! exactly:
//!
//! ```text
//! scripts/simulate --seed 1234 --trace
//! ```
//!
//! The invariants checked after every step are listed in `sim/README.md` and in
//! the simulator's oracle. Deliberate faults ([`Fault`]) live only in components the simulator
//! owns (its device store and its device driver); tests require the simulator to find each.

mod controller;
mod device;
mod dice;
mod env;
mod fault;
mod net;
mod oracle;
mod store;
mod trace;
mod world;

pub use fault::Fault;
pub use oracle::Stats;
use std::time::Duration;

/// How to run a seed.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The deliberate fault, if any.
    pub fault: Fault,
    /// Keep the whole trace (otherwise only its last lines, for a failure).
    pub trace: bool,
    /// The workload's length in virtual time (default: drawn from the seed, 4 to 10 minutes).
    pub duration: Option<Duration>,
}

/// What one run found.
#[derive(Debug)]
pub struct Outcome {
    /// The seed.
    pub seed: u64,
    /// The first invariant violated, if any.
    pub violation: Option<String>,
    /// The trace (all of it, or its end).
    pub trace: Vec<String>,
    /// Counters.
    pub stats: Stats,
    /// Steps taken.
    pub steps: u64,
    /// Virtual time reached.
    pub virtual_time: Duration,
}

impl Outcome {
    /// The command that replays this run with its whole trace.
    pub fn replay_command(&self, fault: Fault) -> String {
        let mut cmd = format!("scripts/simulate --seed {} --trace", self.seed);
        if fault != Fault::None {
            cmd.push_str(&format!(" --fault {}", fault.name()));
        }
        cmd
    }
}

/// Runs seed `seed`. A panic anywhere in the core or the simulator is reported as a
/// violation (the first invariant: nothing panics), with the seed to replay it.
pub fn run(seed: u64, options: &Options) -> Outcome {
    match std::panic::catch_unwind(|| world::run(seed, options)) {
        Ok(outcome) => outcome,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "non-text panic".into());
            Outcome {
                seed,
                violation: Some(format!("panic: {message}")),
                trace: Vec::new(),
                stats: Stats::default(),
                steps: 0,
                virtual_time: Duration::ZERO,
            }
        }
    }
}

/// The simulator's own setup failed (the core refusing fixed, valid input): the run stops.
fn setup_failed(what: &str) -> ! {
    #[allow(clippy::panic)]
    {
        panic!("simulator setup failed: {what}")
    }
}

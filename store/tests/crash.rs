//! Crash safety: a writer process is killed (SIGKILL) at random points, many times, and after
//! each kill the store must open to a complete state, never a corrupt or torn one, and never
//! an older one than before.
//!
//! The writer (`src/bin/orbit-store-crash-writer/`) saves, for generation N = 1, 2, ...:
//! the raw record `raw-generation` (N and a few KB derived from N), then the document
//! `doc-generation` (N and other bytes derived from N). So after any kill:
//!
//! - each record is absent or exactly the bytes of one generation (checksums pass, payload
//!   matches its generation number);
//! - the document is the raw record's generation or the one before (it is written second, and
//!   a restarted writer completes the interrupted generation before starting the next);
//! - neither generation is lower than after the previous kill.
//!
//! `ORBIT_CRASH_SEED` replays a run (the seed is printed); `ORBIT_CRASH_ITERATIONS` changes
//! the number of kills (default 200).
//!
//! A process kill exercises atomicity as the file system presents it (rename replaces whole
//! files; a reader never sees a partial write). Durability across power loss rests on the
//! fsyncs, which a kill cannot observe.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../src/bin/orbit-store-crash-writer/payload.rs"]
mod payload;

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use orbit_store::{load_doc, save_doc, FileStore, Store, StoreError};
use payload::GenerationDoc;

/// The generations found in the store after a kill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct State {
    raw: u64,
    doc: u64,
}

/// Opens the store. Tests in this file run in parallel with the one that spawns writers, and
/// a child forked before it execs briefly shares the parent's descriptors, the lock file's
/// included; so a reopen right after a drop can see the lock still held for a moment.
fn open(dir: &Path) -> Result<FileStore, StoreError> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match FileStore::open(dir) {
            Err(StoreError::Locked { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            result => return result,
        }
    }
}

/// Opens the store and checks every record; the state it holds or what is wrong.
fn check(dir: &Path) -> Result<State, String> {
    let store = open(dir).map_err(|e| format!("open: {e}"))?;
    let raw_key = payload::key(payload::RAW).map_err(|e| e.to_string())?;
    let doc_key = payload::key(payload::DOC).map_err(|e| e.to_string())?;
    let raw = match store
        .load(&raw_key)
        .map_err(|e| format!("raw record: {e}"))?
    {
        None => 0,
        Some(bytes) => payload::parse_raw(&bytes)
            .ok_or_else(|| format!("raw record ({} bytes) is not a generation", bytes.len()))?,
    };
    let doc = match load_doc::<GenerationDoc>(&store, &doc_key)
        .map_err(|e: StoreError| format!("document: {e}"))?
    {
        None => 0,
        Some(doc) if doc == payload::doc(doc.generation) => doc.generation,
        Some(doc) => {
            return Err(format!(
                "document of generation {} has the wrong data",
                doc.generation
            ))
        }
    };
    if doc != raw && doc + 1 != raw {
        return Err(format!(
            "document generation {doc} does not follow raw generation {raw}"
        ));
    }
    Ok(State { raw, doc })
}

/// Checks that no generation went backwards.
fn advance(previous: State, next: State) -> Result<State, String> {
    if next.raw < previous.raw || next.doc < previous.doc {
        return Err(format!("went backwards: {previous:?} -> {next:?}"));
    }
    Ok(next)
}

/// A 64-bit LCG (Knuth's MMIX constants); enough to spread kill times, and replayable.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
        Err(_) => default,
    }
}

fn temp_files(dir: &Path) -> usize {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn killed_writers_leave_the_old_or_the_new_state() {
    let seed = env_u64("ORBIT_CRASH_SEED", 0x0b17_5eed_c0ff_ee00);
    let iterations = env_u64("ORBIT_CRASH_ITERATIONS", 200);
    println!("crash test: seed {seed:#x} (ORBIT_CRASH_SEED), {iterations} kills");
    let mut rng = Lcg(seed);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let started = Instant::now();
    let mut state = State::default();
    let mut kills_mid_write = 0;
    let mut progressed = 0;

    for i in 0..iterations {
        let mut child = Command::new(env!("CARGO_BIN_EXE_orbit-store-crash-writer"))
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A quarter of the kills land early (during start-up and the first write), the rest
        // anywhere in the first 20 ms.
        let micros = if rng.below(4) == 0 {
            rng.below(2_000)
        } else {
            rng.below(20_000)
        };
        std::thread::sleep(Duration::from_micros(micros));
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            panic!("iteration {i} (seed {seed:#x}): writer exited on its own, {status}: {stderr}");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        if temp_files(&dir) > 0 {
            kills_mid_write += 1;
        }
        let next = check(&dir)
            .and_then(|next| advance(state, next))
            .unwrap_or_else(|e| {
                panic!("iteration {i} (seed {seed:#x}, killed after {micros} µs): {e}")
            });
        if next != state {
            progressed += 1;
        }
        state = next;
    }
    let elapsed = started.elapsed();
    println!(
        "crash test: {iterations} kills in {elapsed:.2?}; {kills_mid_write} interrupted a save \
         (temporary file left), {progressed} advanced the state; final {state:?}"
    );
    // The test is only meaningful if the writer got work done and was caught mid-write.
    assert!(
        state.raw >= iterations / 10,
        "writer made too little progress: {state:?}"
    );
    assert!(kills_mid_write > 0, "no kill interrupted a save");
}

// The checker itself can fail.

fn store_with_generation(generation: u64) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = open(&dir).unwrap();
    let raw = payload::key(payload::RAW).unwrap();
    let doc = payload::key(payload::DOC).unwrap();
    store.save(&raw, &payload::raw_payload(generation)).unwrap();
    save_doc(&store, &doc, &payload::doc(generation)).unwrap();
    (tmp, dir)
}

#[test]
fn checker_accepts_a_whole_generation() {
    let (_tmp, dir) = store_with_generation(7);
    assert_eq!(check(&dir), Ok(State { raw: 7, doc: 7 }));
}

#[test]
fn checker_reports_a_hand_corrupted_file() {
    let (_tmp, dir) = store_with_generation(7);
    let path = dir.join(format!("{}.orbs", payload::RAW));
    let mut bytes = fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    if let Some(byte) = bytes.get_mut(middle) {
        *byte ^= 0x01;
    }
    fs::write(&path, &bytes).unwrap();
    let err = check(&dir).unwrap_err();
    assert!(err.contains("corrupt"), "{err}");

    // A torn write: the first half of the file.
    let (_tmp, dir) = store_with_generation(8);
    let path = dir.join(format!("{}.orbs", payload::DOC));
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, bytes.get(..bytes.len() / 2).unwrap()).unwrap();
    assert!(check(&dir).unwrap_err().contains("corrupt"));
}

#[test]
fn checker_reports_wrong_payloads_and_broken_ordering() {
    // Valid checksum, but the payload does not belong to its generation.
    let (_tmp, dir) = store_with_generation(3);
    {
        let store = open(&dir).unwrap();
        let mut wrong = payload::raw_payload(3);
        if let Some(last) = wrong.last_mut() {
            *last ^= 0xff;
        }
        store
            .save(&payload::key(payload::RAW).unwrap(), &wrong)
            .unwrap();
    }
    assert!(check(&dir).unwrap_err().contains("not a generation"));

    // The document two generations behind the raw record.
    let (_tmp, dir) = store_with_generation(3);
    {
        let store = open(&dir).unwrap();
        store
            .save(
                &payload::key(payload::RAW).unwrap(),
                &payload::raw_payload(5),
            )
            .unwrap();
    }
    assert!(check(&dir).unwrap_err().contains("does not follow"));

    // Going backwards between kills.
    assert!(advance(State { raw: 4, doc: 4 }, State { raw: 3, doc: 3 }).is_err());
    assert!(advance(State { raw: 4, doc: 4 }, State { raw: 4, doc: 3 }).is_err());
    assert!(advance(State { raw: 4, doc: 3 }, State { raw: 4, doc: 4 }).is_ok());
}

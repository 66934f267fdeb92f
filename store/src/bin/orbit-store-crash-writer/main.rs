//! Test helper for `tests/crash.rs`: opens the store in the directory given as the only
//! argument and writes generation after generation until it is killed. Each generation `N`
//! saves the raw record `raw-generation` and then the document `doc-generation`, both derived
//! from `N`, starting one past the generation already stored (after writing the document of
//! that generation if it is missing).
#![forbid(unsafe_code)]

mod payload;

use std::process::ExitCode;

use orbit_store::{load_doc, save_doc, FileStore, Store};

fn run(dir: &str) -> Result<(), Box<dyn std::error::Error>> {
    let store = FileStore::open(dir)?;
    let raw = payload::key(payload::RAW)?;
    let doc = payload::key(payload::DOC)?;
    let mut generation = match store.load(&raw)? {
        Some(bytes) => payload::parse_raw(&bytes).ok_or("stored raw record is not a generation")?,
        None => 0,
    };
    // Finish a generation whose document the previous writer did not get to.
    if generation > 0 {
        let stored = load_doc::<payload::GenerationDoc>(&store, &doc)?.map(|d| d.generation);
        if stored != Some(generation) {
            save_doc(&store, &doc, &payload::doc(generation))?;
        }
    }
    loop {
        generation += 1;
        store.save(&raw, &payload::raw_payload(generation))?;
        save_doc(&store, &doc, &payload::doc(generation))?;
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: orbit-store-crash-writer <store directory>");
        return ExitCode::from(2);
    };
    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("orbit-store-crash-writer: {e}");
            ExitCode::FAILURE
        }
    }
}

//! Embeds the spec's chapters (`spec/v1/*.md`) and the coverage reasons
//! (`conformance/coverage/*.txt`) so the suite's coverage table is built from the very text
//! it judges against, by the library and the `orbit` binary alike.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn listed(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == ext))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn table(name: &str, files: &[PathBuf], out: &mut String) {
    let _ = writeln!(out, "/// Embedded `(file name, text)` pairs.");
    let _ = writeln!(out, "pub(crate) const {name}: &[(&str, &str)] = &[");
    for f in files {
        let file = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    ({file:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    let _ = writeln!(out, "];");
}

fn main() {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let spec = here.join("../spec/v1");
    let reasons = here.join("coverage");
    println!("cargo:rerun-if-changed={}", spec.display());
    println!("cargo:rerun-if-changed={}", reasons.display());
    let spec_files = listed(&spec, "md");
    let reason_files = listed(&reasons, "txt");
    for f in spec_files.iter().chain(&reason_files) {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let mut out = String::new();
    table("SPEC_CHAPTERS", &spec_files, &mut out);
    table("COVERAGE_REASONS", &reason_files, &mut out);
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("embedded.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo:warning=cannot write {}: {e}", dest.display());
        std::process::exit(1);
    }
}

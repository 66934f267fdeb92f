//! The committed corpus and regression inputs, shared by the replay tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

/// `fuzz/` in the repository.
pub(crate) fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every file under `fuzz/<kind>/<target>/` for every target, as (target, path).
pub(crate) fn inputs(kind: &str) -> Vec<(String, PathBuf)> {
    let root = fuzz_dir().join(kind);
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(&root) else {
        return out;
    };
    for dir in dirs {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let target = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|f| f.unwrap().path())
            .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect();
        files.sort();
        out.extend(files.into_iter().map(|f| (target.clone(), f)));
    }
    out.sort();
    out
}

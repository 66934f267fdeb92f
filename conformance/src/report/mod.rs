//! Reports: the run's model and its renderings (JSON, JUnit XML, one HTML page, the terminal
//! summary), and writing them to a directory.

pub mod html;
pub mod junit;
pub mod model;
pub mod text;

pub use model::{CaseReport, DeviceIdentity, Finding, RunReport, Stamp, Summary, WaiverInfo};

use std::path::{Path, PathBuf};

/// File names in the report directory.
pub const JSON_FILE: &str = "report.json";
/// JUnit XML.
pub const JUNIT_FILE: &str = "junit.xml";
/// The HTML page.
pub const HTML_FILE: &str = "report.html";

/// Writes `report.json`, `junit.xml` and `report.html` into `dir` (created if missing) and
/// returns their paths. Each file is written to a temporary name and renamed, so a reader
/// never sees half a report.
pub fn write_all(report: &RunReport, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let coverage = crate::coverage::Coverage::current();
    let files = [
        (JSON_FILE, report.to_json()),
        (JUNIT_FILE, junit::render(report)),
        (HTML_FILE, html::render(report, &coverage)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &path)?;
        written.push(path);
    }
    Ok(written)
}

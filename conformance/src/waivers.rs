//! Waivers: a maker's written, dated reasons for a case not to count against the device. A
//! waived case still runs (its verdict without the waiver is kept in the report), is listed
//! first, and never counts as a pass. An expired waiver covers nothing.
//!
//! The file is JSON: `[{"case": "pairing.wrong-code", "reason": "...", "expires": "2027-01-31"}]`.

use crate::report::WaiverInfo;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    case: String,
    reason: String,
    expires: String,
}

/// The waivers of a run, by case ID.
#[derive(Clone, Debug, Default)]
pub struct Waivers {
    by_case: BTreeMap<String, WaiverInfo>,
}

impl Waivers {
    /// Reads a waiver file; `today` is `YYYY-MM-DD`. Errors name the entry and what is wrong
    /// with it. `known` says whether a case ID exists.
    pub fn load(
        path: &Path,
        today: &str,
        known: impl Fn(&str) -> bool,
    ) -> Result<(Self, Vec<String>), String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the waiver file {}: {e}", path.display()))?;
        Self::parse(&text, today, known)
    }

    /// Parses waivers; returns them and notes about expired ones.
    pub fn parse(
        text: &str,
        today: &str,
        known: impl Fn(&str) -> bool,
    ) -> Result<(Self, Vec<String>), String> {
        let entries: Vec<Entry> =
            serde_json::from_str(text).map_err(|e| format!("the waiver file is not valid: {e}"))?;
        let mut by_case = BTreeMap::new();
        let mut notes = Vec::new();
        for (i, e) in entries.into_iter().enumerate() {
            if !known(&e.case) {
                return Err(format!("waiver {}: no case is called {:?}", i + 1, e.case));
            }
            if e.reason.trim().is_empty() {
                return Err(format!(
                    "waiver {} ({}): a waiver needs a reason",
                    i + 1,
                    e.case
                ));
            }
            if !is_date(&e.expires) {
                return Err(format!(
                    "waiver {} ({}): expires {:?} is not a date (YYYY-MM-DD)",
                    i + 1,
                    e.case,
                    e.expires
                ));
            }
            if e.expires.as_str() < today {
                notes.push(format!(
                    "the waiver of {} expired on {}; the case counts",
                    e.case, e.expires
                ));
                continue;
            }
            by_case.insert(
                e.case,
                WaiverInfo {
                    reason: e.reason,
                    expires: e.expires,
                },
            );
        }
        Ok((Self { by_case }, notes))
    }

    /// The waiver covering `case`, if any.
    pub fn get(&self, case: &str) -> Option<&WaiverInfo> {
        self.by_case.get(case)
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && s.chars()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(s.get(5..7).and_then(|m| m.parse::<u8>().ok()), Some(1..=12))
        && matches!(
            s.get(8..10).and_then(|d| d.parse::<u8>().ok()),
            Some(1..=31)
        )
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    civil_date(crate::unix_now() / 86_400)
}

/// The civil date of `days` since 1970-01-01 (H. Hinnant's algorithm).
pub(crate) fn civil_date(days: u64) -> String {
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn dates_are_civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_790), "2026-12-03");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }

    #[test]
    fn a_waiver_needs_a_known_case_a_reason_and_a_date_and_expires() {
        let known = |c: &str| c == "a.b";
        let ok = r#"[{"case": "a.b", "reason": "fixed in 2.1", "expires": "2027-01-31"}]"#;
        let (w, notes) = Waivers::parse(ok, "2026-12-03", known).unwrap();
        assert_eq!(w.get("a.b").unwrap().expires, "2027-01-31");
        assert!(notes.is_empty());
        let (w, notes) = Waivers::parse(ok, "2027-02-01", known).unwrap();
        assert!(w.get("a.b").is_none());
        assert!(notes[0].contains("expired"));
        let unknown = r#"[{"case": "x.y", "reason": "r", "expires": "2027-01-31"}]"#;
        assert!(Waivers::parse(unknown, "2026-12-03", known)
            .unwrap_err()
            .contains("no case"));
        let no_reason = r#"[{"case": "a.b", "reason": " ", "expires": "2027-01-31"}]"#;
        assert!(Waivers::parse(no_reason, "2026-12-03", known)
            .unwrap_err()
            .contains("reason"));
        let bad_date = r#"[{"case": "a.b", "reason": "r", "expires": "2027-13-01"}]"#;
        assert!(Waivers::parse(bad_date, "2026-12-03", known)
            .unwrap_err()
            .contains("not a date"));
        let extra = r#"[{"case": "a.b", "reason": "r", "expires": "2027-01-01", "x": 1}]"#;
        assert!(Waivers::parse(extra, "2026-12-03", known).is_err());
    }
}

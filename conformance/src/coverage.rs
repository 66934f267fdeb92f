//! The coverage of the spec: every MUST and SHOULD rule of spec/v1 mapped to the cases that
//! observe it (their `spec_ids`) or to a written reason why no case can observe it from the
//! wire (`conformance/coverage/*.txt`). A MUST rule with neither, or a case or reason that
//! cites a rule the spec does not define, is a problem the suite's tests refuse.
//!
//! The spec's chapters and the reasons are embedded at build time, so the table the `orbit`
//! binary puts in its HTML report is the one for the spec it was built against.

use crate::case::Case;
use serde::Serialize;
use std::collections::BTreeMap;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The requirement a rule's own text states (BCP 14 keywords in capitals).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RuleLevel {
    /// MUST, MUST NOT, REQUIRED, SHALL.
    Must,
    /// SHOULD, SHOULD NOT, RECOMMENDED.
    Should,
    /// Only MAY or OPTIONAL.
    May,
    /// No keyword (a definition).
    None,
}

impl RuleLevel {
    /// The level of a rule whose text is `text`: the strongest keyword in it.
    pub fn of(text: &str) -> Self {
        let words: Vec<&str> = text
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| !w.is_empty())
            .collect();
        let has = |k: &[&str]| words.iter().any(|w| k.contains(w));
        if has(&["MUST", "REQUIRED", "SHALL"]) {
            RuleLevel::Must
        } else if has(&["SHOULD", "RECOMMENDED"]) {
            RuleLevel::Should
        } else if has(&["MAY", "OPTIONAL"]) {
            RuleLevel::May
        } else {
            RuleLevel::None
        }
    }
}

/// A rule defined in the spec (`**[ID]**`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// `PAIR-7`.
    pub id: String,
    /// The chapter file that defines it (`04-pairing.md`).
    pub chapter: String,
    /// Its level.
    pub level: RuleLevel,
    /// Its text (the definition's paragraph or list item, on one line).
    pub text: String,
}

/// The rules defined in `chapters` (`(file name, markdown)`), in order of appearance.
pub fn rules(chapters: &[(&str, &str)]) -> Vec<Rule> {
    let mut out = Vec::new();
    for (chapter, text) in chapters {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let mut rest = *line;
            while let Some(at) = rest.find("**[") {
                let after = rest.get(at + 3..).unwrap_or("");
                let Some(end) = after.find("]**") else { break };
                let id = after.get(..end).unwrap_or("");
                rest = after.get(end + 3..).unwrap_or("");
                if !is_rule_id(id) {
                    continue;
                }
                let mut body = rest.trim().to_owned();
                // The rule goes on over the continuation lines of its paragraph or item.
                for next in lines.iter().skip(i + 1) {
                    let t = next.trim();
                    let new_block = t.is_empty()
                        || t.starts_with('#')
                        || t.starts_with("- ")
                        || t.starts_with("* ")
                        || t.starts_with('|')
                        || t.starts_with("```")
                        || t.contains("**[");
                    if new_block {
                        break;
                    }
                    body.push(' ');
                    body.push_str(t);
                }
                out.push(Rule {
                    id: id.to_owned(),
                    chapter: (*chapter).to_owned(),
                    level: RuleLevel::of(&body),
                    text: body,
                });
            }
        }
    }
    out
}

/// Whether `s` looks like a rule ID: capitals, a dash, digits.
pub fn is_rule_id(s: &str) -> bool {
    let Some((prefix, number)) = s.split_once('-') else {
        return false;
    };
    !prefix.is_empty()
        && prefix.bytes().all(|b| b.is_ascii_uppercase())
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// A written reason why a rule cannot be observed from the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The rule.
    pub rule: String,
    /// Why.
    pub reason: String,
    /// The file that says so (`pairing.txt`).
    pub file: String,
}

/// Parses reason files (`RULE-ID: why` per line; blank lines and `#` comments are ignored).
/// A malformed line is a problem, named by file and line.
pub fn reasons(files: &[(&str, &str)]) -> (Vec<Reason>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (file, text) in files {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.split_once(':') {
                Some((id, why)) if is_rule_id(id.trim()) && !why.trim().is_empty() => {
                    out.push(Reason {
                        rule: id.trim().to_owned(),
                        reason: why.trim().to_owned(),
                        file: (*file).to_owned(),
                    });
                }
                _ => problems.push(format!(
                    "coverage/{file} line {}: expected `RULE-ID: reason`, found {line:?}",
                    n + 1
                )),
            }
        }
    }
    (out, problems)
}

/// One MUST or SHOULD rule and what covers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The rule.
    pub rule: Rule,
    /// The cases that observe it (their IDs).
    pub cases: Vec<String>,
    /// Why it cannot be observed from the wire, if a reason file says so.
    pub reason: Option<String>,
}

impl Row {
    /// Whether a case observes the rule.
    pub fn observed(&self) -> bool {
        !self.cases.is_empty()
    }

    /// Whether the rule can be observed from the wire (no reason says it cannot, or a case
    /// observes it anyway).
    pub fn observable(&self) -> bool {
        self.observed() || self.reason.is_none()
    }
}

/// The coverage table.
#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    /// Every MUST and SHOULD rule, in spec order.
    pub rows: Vec<Row>,
    /// Rules defined with only MAY, or no keyword: not judged.
    pub other_rules: usize,
    /// Their IDs, in spec order.
    pub unjudged: Vec<String>,
    /// What is wrong: a MUST rule with neither a case nor a reason, a case or reason citing an
    /// undefined rule, a malformed reason line, a rule given two reasons.
    pub problems: Vec<String>,
}

impl Coverage {
    /// Builds the table from the spec's chapters, the reason files and the cases.
    pub fn build(chapters: &[(&str, &str)], reason_files: &[(&str, &str)], cases: &[Case]) -> Self {
        let all = rules(chapters);
        let (reasons, mut problems) = reasons(reason_files);
        let mut defined: BTreeMap<&str, &Rule> = BTreeMap::new();
        for r in &all {
            if defined.insert(r.id.as_str(), r).is_some() {
                problems.push(format!("[{}] is defined twice in the spec", r.id));
            }
        }
        let mut by_rule: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for c in cases {
            for id in c.info.spec_ids {
                if defined.contains_key(id) {
                    by_rule.entry(id).or_default().push(c.info.id.to_owned());
                } else {
                    problems.push(format!(
                        "case {} cites [{id}], which spec/v1 does not define",
                        c.info.id
                    ));
                }
            }
        }
        let mut reason_of: BTreeMap<&str, &Reason> = BTreeMap::new();
        for r in &reasons {
            if !defined.contains_key(r.rule.as_str()) {
                problems.push(format!(
                    "coverage/{} gives a reason for [{}], which spec/v1 does not define",
                    r.file, r.rule
                ));
            } else if reason_of.insert(r.rule.as_str(), r).is_some() {
                problems.push(format!("[{}] has two reasons in coverage/", r.rule));
            }
        }
        let mut rows = Vec::new();
        let mut unjudged = Vec::new();
        for rule in all {
            if !matches!(rule.level, RuleLevel::Must | RuleLevel::Should) {
                unjudged.push(rule.id);
                continue;
            }
            let cases = by_rule.get(rule.id.as_str()).cloned().unwrap_or_default();
            let reason = reason_of.get(rule.id.as_str()).map(|r| r.reason.clone());
            if rule.level == RuleLevel::Must && cases.is_empty() && reason.is_none() {
                problems.push(format!(
                    "MUST rule [{}] ({}) is observed by no case and has no reason in coverage/",
                    rule.id, rule.chapter
                ));
            }
            rows.push(Row {
                rule,
                cases,
                reason,
            });
        }
        Self {
            rows,
            other_rules: unjudged.len(),
            unjudged,
            problems,
        }
    }

    /// The table for the spec and reasons this crate was built with and the suite's cases.
    pub fn current() -> Self {
        Self::build(
            embedded::SPEC_CHAPTERS,
            embedded::COVERAGE_REASONS,
            &crate::cases::all(),
        )
    }

    /// Rules observed by at least one case.
    pub fn observed(&self) -> usize {
        self.rows.iter().filter(|r| r.observed()).count()
    }

    /// Rules that can be observed from the wire.
    pub fn observable(&self) -> usize {
        self.rows.iter().filter(|r| r.observable()).count()
    }

    /// `observed / observable` as a percentage with one decimal (`0.0` when nothing is
    /// observable).
    pub fn percent(&self) -> f64 {
        let observable = self.observable();
        if observable == 0 {
            return 0.0;
        }
        // Counts are far below 2^52: exact as f64.
        (self.observed() as f64 * 1000.0 / observable as f64).round() / 10.0
    }

    /// The figure in one line: `observed 120 of 300 observable rules (40.0 %); ...`.
    pub fn figure(&self) -> String {
        let must = |f: &dyn Fn(&Row) -> bool| {
            self.rows
                .iter()
                .filter(|r| r.rule.level == RuleLevel::Must && f(r))
                .count()
        };
        format!(
            "{} of {} observable MUST and SHOULD rules observed ({:.1} %); MUST: {} of {} observed, {} not observable from the wire, {} with neither",
            self.observed(),
            self.observable(),
            self.percent(),
            must(&|r| r.observed()),
            must(&|r| r.observable()),
            must(&|r| !r.observable()),
            must(&|r| !r.observed() && r.reason.is_none()),
        )
    }

    /// The table as `conformance/COVERAGE.md`.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "# Coverage of spec/v1 by the conformance suite\n\n\
             Generated: do not edit. Regenerate with `orbit conformance coverage > conformance/COVERAGE.md`\n\
             or `ORBIT_REGEN_COVERAGE=1 cargo test -p orbit-conformance --test coverage`.\n\n",
        );
        out.push_str(&format!("{}.\n\n", self.figure()));
        out.push_str(&format!(
            "{} rules state no MUST or SHOULD (definitions, formats, MAY) and are not judged on their own: {}.\n",
            self.other_rules,
            self.unjudged.join(", ")
        ));
        let mut chapter = "";
        for row in &self.rows {
            if row.rule.chapter != chapter {
                chapter = &row.rule.chapter;
                out.push_str(&format!(
                    "\n## {chapter}\n\n| Rule | Level | Observed by | Not observable because |\n| --- | --- | --- | --- |\n"
                ));
            }
            let level = match row.rule.level {
                RuleLevel::Must => "MUST",
                _ => "SHOULD",
            };
            let cases = row
                .cases
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let reason = match (&row.reason, row.observed()) {
                (Some(r), _) => md_cell(r),
                (None, true) => String::new(),
                (None, false) => "**not covered**".to_owned(),
            };
            out.push_str(&format!(
                "| {} | {level} | {cases} | {reason} |\n",
                row.rule.id
            ));
        }
        out
    }
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    const SPEC: &str = "# 4. Pairing\n\n\
        - **[PAIR-1]** A device MUST refuse\n  a second attempt.\n\
        - **[PAIR-2]** A device SHOULD log it.\n\
        - **[PAIR-3]** A controller MAY retry.\n\n\
        **[PAIR-4]** The kinds\nare these; it is\nREQUIRED.\n\n| a | b |\n";

    #[test]
    fn rules_carry_their_whole_text_and_its_strongest_keyword() {
        let r = rules(&[("04-pairing.md", SPEC)]);
        let ids: Vec<_> = r.iter().map(|r| (r.id.as_str(), r.level)).collect();
        assert_eq!(
            ids,
            [
                ("PAIR-1", RuleLevel::Must),
                ("PAIR-2", RuleLevel::Should),
                ("PAIR-3", RuleLevel::May),
                ("PAIR-4", RuleLevel::Must),
            ]
        );
        assert_eq!(r[0].text, "A device MUST refuse a second attempt.");
        assert_eq!(RuleLevel::of("it must be MUSTARD"), RuleLevel::None);
    }

    #[test]
    fn a_must_rule_without_case_or_reason_and_unknown_ids_are_problems() {
        let (reasons, bad) =
            reasons(&[("p.txt", "# note\nPAIR-4: storage\nPAIR-9: gone\nnonsense\n")]);
        assert_eq!(reasons.len(), 2);
        assert_eq!(bad.len(), 1, "{bad:?}");
        let c = Coverage::build(
            &[("04-pairing.md", SPEC)],
            &[("p.txt", "PAIR-4: storage\nPAIR-9: gone\n")],
            &[],
        );
        assert_eq!(c.rows.len(), 3, "MUST and SHOULD rules only");
        assert_eq!(c.other_rules, 1);
        assert!(
            c.problems.iter().any(|p| p.contains("[PAIR-1]")),
            "{:?}",
            c.problems
        );
        assert!(
            c.problems.iter().any(|p| p.contains("[PAIR-9]")),
            "{:?}",
            c.problems
        );
        assert!(
            !c.problems.iter().any(|p| p.contains("[PAIR-2]")),
            "SHOULD may be uncovered"
        );
        assert_eq!((c.observed(), c.observable()), (0, 2));
        assert!(c.to_markdown().contains("| PAIR-4 | MUST |  | storage |"));
    }
}

//! What a case sent and received, kept for its report: each message in hex and, where the
//! suite can decode it, in CBOR diagnostic notation.

use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Which way a record went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// From the suite to the device.
    Sent,
    /// From the device to the suite.
    Received,
    /// Something the suite observed or did (a hook, a timeout, a closed connection).
    Note,
}

/// One line of evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Milliseconds since the case started.
    pub at_ms: u64,
    /// Which way it went.
    pub direction: Direction,
    /// What it is (`pairing pbkdf-param-request`, `protected read-request`, ...).
    pub label: String,
    /// The bytes, in hex (empty for a note).
    pub hex: String,
    /// The bytes decoded (CBOR diagnostic notation), or the note's text.
    pub decoded: Option<String>,
}

/// Most records kept per case: a flood case sends thousands of messages, and its report
/// needs the first ones and the answers, not all of them.
pub const MAX_RECORDS: usize = 200;

/// Notes kept past [`MAX_RECORDS`].
pub const MAX_NOTES_PAST_CAP: usize = 50;

/// Most hex characters kept per record.
pub const MAX_HEX: usize = 4096;

/// The evidence log of one case run. Cloning shares the log.
#[derive(Clone, Debug)]
pub struct Evidence {
    started: Instant,
    records: Arc<Mutex<Vec<Record>>>,
    dropped: Arc<Mutex<usize>>,
}

impl Default for Evidence {
    fn default() -> Self {
        Self::new()
    }
}

impl Evidence {
    /// An empty log whose clock starts now.
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            records: Arc::default(),
            dropped: Arc::default(),
        }
    }

    fn push(&self, direction: Direction, label: String, bytes: &[u8], decoded: Option<String>) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        // Past the cap, messages are left out but the suite's own notes (what it observed,
        // often the conclusion of a flood) are kept, within a second, smaller cap.
        let full = match direction {
            Direction::Note => records.len() >= MAX_RECORDS + MAX_NOTES_PAST_CAP,
            _ => records.len() >= MAX_RECORDS,
        };
        if full {
            *self.dropped.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            return;
        }
        let mut hex = hex::encode(bytes.get(..MAX_HEX / 2).unwrap_or(bytes));
        if bytes.len() > MAX_HEX / 2 {
            hex.push_str(&format!("... ({} bytes)", bytes.len()));
        }
        records.push(Record {
            at_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            direction,
            label,
            hex,
            decoded,
        });
    }

    /// Records bytes sent to the device, decoded as CBOR where they are CBOR.
    pub fn sent(&self, label: impl Into<String>, bytes: &[u8]) {
        self.push(Direction::Sent, label.into(), bytes, diagnostic(bytes));
    }

    /// Records bytes received from the device, decoded as CBOR where they are CBOR.
    pub fn received(&self, label: impl Into<String>, bytes: &[u8]) {
        self.push(Direction::Received, label.into(), bytes, diagnostic(bytes));
    }

    /// Records what the suite observed or did.
    pub fn note(&self, text: impl Into<String>) {
        let text = text.into();
        self.push(Direction::Note, "note".to_owned(), &[], Some(text));
    }

    /// The records so far, and how many were left out past [`MAX_RECORDS`].
    pub fn snapshot(&self) -> (Vec<Record>, usize) {
        let records = self
            .records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let dropped = *self.dropped.lock().unwrap_or_else(|p| p.into_inner());
        (records, dropped)
    }
}

/// `bytes` in CBOR diagnostic notation (RFC 8949 §8), if they are exactly one CBOR item.
pub fn diagnostic(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    let mut reader = bytes;
    let value: ciborium::Value = ciborium::de::from_reader(&mut reader).ok()?;
    if !reader.is_empty() {
        return None;
    }
    let mut out = String::new();
    write_value(&value, &mut out);
    Some(out)
}

fn write_value(v: &ciborium::Value, out: &mut String) {
    use ciborium::Value as V;
    use std::fmt::Write;
    match v {
        V::Integer(i) => {
            let _ = write!(out, "{}", i128::from(*i));
        }
        V::Bytes(b) => {
            let _ = write!(out, "h'{}'", hex::encode(b));
        }
        V::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        V::Text(t) => {
            let _ = write!(out, "{t:?}");
        }
        V::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        V::Null => out.push_str("null"),
        V::Tag(t, inner) => {
            let _ = write!(out, "{t}(");
            write_value(inner, out);
            out.push(')');
        }
        V::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(item, out);
            }
            out.push(']');
        }
        V::Map(entries) => {
            out.push('{');
            for (i, (k, val)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(k, out);
                out.push_str(": ");
                write_value(val, out);
            }
            out.push('}');
        }
        _ => out.push_str("undefined"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn cbor_is_shown_in_diagnostic_notation_and_other_bytes_are_not() {
        // {1: h'0102', 2: [-1, "a"]}
        let bytes = hex::decode("a2014201020282206161").unwrap();
        assert_eq!(
            diagnostic(&bytes).as_deref(),
            Some("{1: h'0102', 2: [-1, \"a\"]}")
        );
        assert_eq!(diagnostic(&[0xa1, 0x01]), None, "truncated");
        assert_eq!(diagnostic(&[0x01, 0x02]), None, "trailing bytes");
    }

    #[test]
    fn the_log_keeps_a_bounded_number_of_records() {
        let e = Evidence::new();
        for _ in 0..MAX_RECORDS + 5 {
            e.sent("x", &[1]);
        }
        e.note("the conclusion");
        let (records, dropped) = e.snapshot();
        assert_eq!(records.len(), MAX_RECORDS + 1);
        assert_eq!(dropped, 5);
        assert_eq!(
            records.last().and_then(|r| r.decoded.as_deref()),
            Some("the conclusion"),
            "a note past the cap is kept"
        );
    }
}

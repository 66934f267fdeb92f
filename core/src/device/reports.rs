//! Splitting reports into messages that fit the size limit `[IM-16]`.

use crate::codec::{encode_value, CborMessage};
use crate::interaction::{AttributeReport, Envelope, EventRecord, Message, Report};

/// Room left in a message for the envelope and report keys around the entries.
const ENVELOPE_ROOM: usize = 64;

/// Encodes attribute reports and events as one or more report messages of at most
/// `max_message` bytes each; all but the last have `more` set `[IM-16]`. Always returns at
/// least one message (an empty report is a keep-alive `[IM-63]`).
pub(crate) fn encode_reports(
    exchange: u32,
    subscription: Option<u32>,
    attributes: Vec<AttributeReport>,
    events: Vec<EventRecord>,
    max_message: usize,
) -> Vec<Vec<u8>> {
    let budget = max_message.saturating_sub(ENVELOPE_ROOM).max(1);
    let mut chunks: Vec<Report> = Vec::new();
    let mut current = Report {
        subscription,
        ..Report::default()
    };
    let mut used = 0usize;
    let mut scratch = Vec::new();
    let mut size_of = |v: &crate::codec::Value| {
        scratch.clear();
        encode_value(v, &mut scratch);
        scratch.len()
    };
    for a in attributes {
        let size = size_of(&a.to_value());
        if used + size > budget && used > 0 {
            chunks.push(std::mem::replace(
                &mut current,
                Report {
                    subscription,
                    ..Report::default()
                },
            ));
            used = 0;
        }
        used += size;
        current.attributes.push(a);
    }
    for e in events {
        let size = size_of(&e.to_value());
        if used + size > budget && used > 0 {
            chunks.push(std::mem::replace(
                &mut current,
                Report {
                    subscription,
                    ..Report::default()
                },
            ));
            used = 0;
        }
        used += size;
        current.events.push(e);
    }
    chunks.push(current);
    let last = chunks.len().saturating_sub(1);
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, mut r)| {
            r.more = i < last;
            Envelope {
                exchange,
                message: Message::Report(r),
            }
            .to_bytes()
        })
        .collect()
}

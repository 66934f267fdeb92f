//! Splitting reports into messages that fit the size limit `[IM-16]`.

use crate::codec::CborMessage;
use crate::interaction::wire::{write_attribute_report, write_event_record};
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
    let fresh = || Report {
        subscription,
        ..Report::default()
    };
    let mut chunks: Vec<Report> = Vec::new();
    let mut current = fresh();
    let mut used = 0usize;
    let mut scratch = Vec::new();
    // Makes room for an entry whose encoding is in `scratch`: closes the current chunk when
    // the entry would not fit (a chunk always takes at least one entry).
    let mut fit = |len: usize, current: &mut Report, chunks: &mut Vec<Report>| {
        if used + len > budget && used > 0 {
            chunks.push(std::mem::replace(current, fresh()));
            used = 0;
        }
        used += len;
    };
    for a in attributes {
        scratch.clear();
        write_attribute_report(&a, &mut scratch);
        fit(scratch.len(), &mut current, &mut chunks);
        current.attributes.push(a);
    }
    for e in events {
        scratch.clear();
        write_event_record(&e, &mut scratch);
        fit(scratch.len(), &mut current, &mut chunks);
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

//! Splitting reports into messages that fit the size limit `[IM-16]`.

use crate::codec::CborMessage;
use crate::interaction::wire::{write_attribute_report, write_event_record};
use crate::interaction::{AttributeReport, Envelope, EventRecord, Message, Report};
use crate::status::Status;

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
    let whole = Envelope {
        exchange,
        message: Message::Report(Report {
            subscription,
            attributes,
            events,
            more: false,
        }),
    };
    // Nearly every report fits in one message: encode it once, and measure entries one by
    // one only when it does not.
    let bytes = whole.to_bytes();
    if bytes.len() <= max_message {
        return vec![bytes];
    }
    let Message::Report(report) = whole.message else {
        return vec![bytes];
    };
    split(exchange, report, max_message)
}

/// Splits a report too large for one message into chunks that each fit.
fn split(exchange: u32, report: Report, max_message: usize) -> Vec<Vec<u8>> {
    let subscription = report.subscription;
    let budget = max_message.saturating_sub(ENVELOPE_ROOM).max(1);
    let fresh = || Report {
        subscription,
        ..Report::default()
    };
    let mut chunks: Vec<Report> = Vec::new();
    let mut current = fresh();
    let mut used = 0usize;
    let mut scratch = Vec::new();
    // Makes room for an entry of `len` bytes: closes the current chunk when the entry would
    // not fit (a chunk always takes at least one entry).
    let mut fit = |len: usize, current: &mut Report, chunks: &mut Vec<Report>| {
        if used + len > budget && used > 0 {
            chunks.push(std::mem::replace(current, fresh()));
            used = 0;
        }
        used += len;
    };
    for mut a in report.attributes {
        scratch.clear();
        write_attribute_report(&a, &mut scratch);
        if scratch.len() > budget {
            // [IM-16] a value too large for any message is reported as a status instead.
            a.result = Err(Status::RESOURCE_EXHAUSTED);
            scratch.clear();
            write_attribute_report(&a, &mut scratch);
        }
        fit(scratch.len(), &mut current, &mut chunks);
        current.attributes.push(a);
    }
    for e in report.events {
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::interaction::ConcreteAttribute;
    use crate::model::{AttributeId, CapabilityId, Data, EndpointId};

    fn report_of(attribute: u16, value: Data) -> AttributeReport {
        AttributeReport {
            path: ConcreteAttribute::new(EndpointId(1), CapabilityId(6), AttributeId(attribute)),
            result: Ok(value),
        }
    }

    fn reports_in(message: &[u8]) -> Report {
        match Envelope::decode(message).unwrap().message {
            Message::Report(r) => r,
            other => panic!("not a report: {other:?}"),
        }
    }

    // [IM-16] a report that fits goes in one message, without `more`.
    #[test]
    fn a_small_report_is_one_message() {
        let out = encode_reports(
            7,
            Some(3),
            vec![report_of(0, Data::Bool(true))],
            vec![],
            8192,
        );
        assert_eq!(out.len(), 1);
        let r = reports_in(&out[0]);
        assert_eq!(
            (r.subscription, r.more, r.attributes.len()),
            (Some(3), false, 1)
        );
    }

    // [IM-16] [IM-4] reports too large for one message are split: every message is within
    // the limit, all but the last carry `more`, and every entry arrives once, in order.
    #[test]
    fn a_large_report_is_split_within_the_limit() {
        let entries: Vec<AttributeReport> = (0..40)
            .map(|i| report_of(i, Data::Bytes(vec![i as u8; 900])))
            .collect();
        let out = encode_reports(9, None, entries.clone(), vec![], 8192);
        assert!(out.len() >= 5, "{} messages", out.len());
        let mut seen = Vec::new();
        for (i, m) in out.iter().enumerate() {
            assert!(m.len() <= 8192, "message {i} is {} bytes", m.len());
            let r = reports_in(m);
            assert_eq!(r.more, i + 1 < out.len());
            seen.extend(r.attributes);
        }
        assert_eq!(seen, entries);
    }

    // [IM-16] an attribute whose report alone exceeds the limit is reported with
    // resource-exhausted; the entries around it keep their values.
    #[test]
    fn an_oversized_value_becomes_resource_exhausted() {
        let entries = vec![
            report_of(0, Data::Bool(true)),
            report_of(1, Data::Bytes(vec![0; 9000])),
            report_of(2, Data::Uint(5)),
        ];
        let out = encode_reports(1, None, entries, vec![], 8192);
        let all: Vec<AttributeReport> = out.iter().flat_map(|m| reports_in(m).attributes).collect();
        assert!(out.iter().all(|m| m.len() <= 8192));
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].result, Ok(Data::Bool(true)));
        assert_eq!(all[1].result, Err(Status::RESOURCE_EXHAUSTED));
        assert_eq!(all[2].result, Ok(Data::Uint(5)));
    }
}

//! Malformed CBOR and oversized interaction messages inside a valid session: each gets the
//! `status-response` the spec requires on the exchange its prefix names, nothing is acted
//! on, and the session goes on `[IM-5]`, `[IM-100]`.

use crate::adversarial::malformed::Malformed;
use crate::adversarial::protection::{describe, exchange, is_answer, sealed_probe, Reply};
use crate::case::{Failure, Outcome};
use crate::context::Ctx;
use crate::transport::MessageKind;
use orbit_core::codec::CborMessage;
use orbit_core::interaction::{
    AttributeReport, ClientEvent, ConcreteAttribute, Envelope, Message, ReadRequest, WriteRequest,
};
use orbit_core::model::{Data, DataType, TypeKind};

/// The rule a device breaks by acting on the request as if it were valid.
pub(super) fn rule_of(m: Malformed) -> &'static str {
    match m {
        Malformed::Truncated => "CBOR-1",
        Malformed::TrailingBytes => "CBOR-2",
        Malformed::NonShortestPrefix => "CBOR-3",
        Malformed::Indefinite => "CBOR-4",
        Malformed::Float | Malformed::Tag => "CBOR-5",
        Malformed::DuplicateKey | Malformed::UnsortedKeys => "CBOR-7",
        Malformed::OversizedLength => "CBOR-10",
        Malformed::DeepNesting | Malformed::TooLarge | Malformed::TooManyEntries => "IM-4",
        Malformed::WrongType => "IM-5",
        Malformed::InvalidUtf8 => "CBOR-6",
        Malformed::MissingList => "CBOR-11",
    }
}

/// Sends `m` sealed in a session of the suite's administrator and judges the answer.
pub(super) async fn malformed(ctx: &mut Ctx, m: Malformed) -> Outcome {
    let mut s = ctx.admin_session().await?;
    // An exchange number the session's client will not reach (it counts from 1).
    let mut b = [0u8; 2];
    let _ = ctx.rng().fill(&mut b);
    let no = 0x1000 + u32::from(u16::from_be_bytes(b) % 0xe000);
    let bytes = m.bytes(no);
    let label = format!("{m:?} read-request on exchange {no}");
    let record = s.seal(&label, &bytes).map_err(Failure::Inconclusive)?;
    let reply = exchange(s.conn(), &label, &record).await;
    let r = async {
        let reply = reply?;
        judge(&mut s, m, no, &reply)?;
        // The session goes on: an honest read in it is answered.
        let (next, record) =
            sealed_probe(&mut s, "read-request (honest)").map_err(Failure::Inconclusive)?;
        let reply = exchange(s.conn(), "read-request (honest)", &record).await?;
        is_answer(&mut s, &reply, next).map_err(|observed| {
            Failure::fail(
                "IM-5",
                "a malformed interaction message never ends the session: the next request is answered",
                observed,
            )
        })
    }
    .await;
    s.conn().close();
    r
}

fn judge(s: &mut crate::controller::Session, m: Malformed, no: u32, reply: &Reply) -> Outcome {
    let allowed = m.allowed();
    let names: Vec<String> = allowed.iter().map(ToString::to_string).collect();
    let expected = format!(
        "status-response {} on exchange {}",
        names.join(" or "),
        m.answer_exchange(no)
    );
    let Reply::Frame(MessageKind::Protected, bytes) = reply else {
        return Err(Failure::fail("IM-5", expected, describe(reply)));
    };
    let plain = s
        .open_record(bytes)
        .map_err(|e| Failure::fail("IM-5", expected.clone(), e))?;
    let envelope = Envelope::decode(&plain).map_err(|e| {
        Failure::fail(
            "IM-5",
            expected.clone(),
            format!("an answer that does not decode: {e}"),
        )
    })?;
    match envelope.message {
        Message::StatusResponse(status) if allowed.contains(&status) => {
            if envelope.exchange == m.answer_exchange(no) {
                Ok(())
            } else {
                Err(Failure::fail(
                    "IM-100",
                    expected,
                    format!("status-response {status} on exchange {}", envelope.exchange),
                ))
            }
        }
        Message::StatusResponse(status) => Err(Failure::fail(
            "IM-5",
            expected,
            format!("status-response {status} on exchange {}", envelope.exchange),
        )),
        other => Err(Failure::fail(
            rule_of(m),
            format!("the request rejected: {expected}"),
            format!("the device acted on it: {other:?}"),
        )),
    }
}

/// `[CBOR-8]`: a request carrying a key the receiver does not know is served as if the key
/// were absent.
pub(super) async fn unknown_key(ctx: &mut Ctx) -> Outcome {
    let mut s = ctx.admin_session().await?;
    let (no, plain) = crate::adversarial::protection::probe_request(&mut s);
    // The client's read-request ends with its last known key; one more entry, key 99, whose
    // value no version defines, keeps the keys in order.
    let Some((&head, rest)) = plain.split_first() else {
        return Err(Failure::Inconclusive("an empty read-request".to_owned()));
    };
    if !(0xa1..0xb7).contains(&head) {
        return Err(Failure::Inconclusive(format!(
            "the client's read-request begins with {head:#04x}"
        )));
    }
    let mut bytes = vec![head + 1];
    bytes.extend_from_slice(rest);
    bytes.extend([0x18, 0x63, 0x63, b'n', b'e', b'w']);
    let record = s
        .seal("read-request with an unknown key 99", &bytes)
        .map_err(Failure::Inconclusive)?;
    let reply = exchange(s.conn(), "read-request with an unknown key 99", &record).await;
    s.conn().close();
    is_answer(&mut s, &reply?, no).map_err(|observed| {
        Failure::fail(
            "CBOR-8",
            "the request served as if the unknown key were absent (a report on its exchange)",
            observed,
        )
    })
}

/// A valid value of `ty` other than `current`, for the simple types (others: `None`).
pub(super) fn other_value(ty: &DataType, current: &Data) -> Option<Data> {
    let pick = |candidates: Vec<Data>| candidates.into_iter().find(|c| c != current);
    match &ty.kind {
        TypeKind::Bool => match current {
            Data::Bool(b) => Some(Data::Bool(!b)),
            _ => Some(Data::Bool(true)),
        },
        TypeKind::Uint { min, max } => pick(vec![
            Data::Uint(*min),
            Data::Uint(*max),
            Data::Uint(min.saturating_add(1).min(*max)),
        ]),
        TypeKind::Int { min, max } => pick(vec![Data::int(*min), Data::int(*max)]),
        TypeKind::Enum(values) => pick(
            values
                .iter()
                .map(|v| Data::Uint(u64::from(v.value)))
                .collect(),
        ),
        TypeKind::Text { min_len, max_len } => {
            let len = usize::try_from((*min_len).max(1).min(*max_len)).ok()?;
            pick(vec![
                Data::Text("o".repeat(len)),
                Data::Text("p".repeat(len)),
            ])
        }
        TypeKind::Bytes { min_len, max_len } => {
            let len = usize::try_from((*min_len).max(1).min(*max_len)).ok()?;
            pick(vec![
                Data::Bytes(vec![0x4f; len]),
                Data::Bytes(vec![0x50; len]),
            ])
        }
        _ => None,
    }
}

/// `[IM-5]`: a write-request whose entry is valid but whose message breaks the profile (a
/// byte after it, [CBOR-2]) is rejected whole: `invalid-message` on its exchange, and the
/// attribute keeps its value.
pub(super) async fn malformed_write(ctx: &mut Ctx) -> Outcome {
    let facts = ctx.facts().clone();
    let mut s = ctx.admin_session().await?;
    let r = async {
        for path in crate::health::writable_attributes(&facts) {
            let Some(schema) = crate::health::attribute_schema(&facts, &path) else {
                continue;
            };
            if schema.timed {
                continue;
            }
            let current = read_one(&mut s, path).await?;
            let Some(value) = other_value(&schema.ty, &current) else {
                continue;
            };
            ctx.note(format!(
                "{path:?} is {current:?}; the malformed write asks for {value:?}"
            ));
            let (no, mut plain) = s.client().write(
                std::time::Instant::now(),
                WriteRequest::new(vec![(path, value)]),
            );
            plain.push(0x00);
            let label = "write-request with a trailing byte";
            let record = s.seal(label, &plain).map_err(Failure::Inconclusive)?;
            let reply = exchange(s.conn(), label, &record).await?;
            judge(&mut s, Malformed::TrailingBytes, no, &reply)?;
            let after = read_one(&mut s, path).await?;
            return crate::case::check(
                after == current,
                "IM-5",
                format!("the malformed write not acted on: {path:?} still {current:?}"),
                || format!("{after:?}"),
            );
        }
        Err(Failure::NotApplicable(
            "the device declares no writable attribute of a simple type that needs no timed write"
                .to_owned(),
        ))
    }
    .await;
    s.conn().close();
    r
}

async fn read_one(
    s: &mut crate::controller::Session,
    path: ConcreteAttribute,
) -> Result<Data, Failure> {
    let request = ReadRequest {
        attributes: vec![path.path()],
        events: Vec::new(),
        event_min: None,
    };
    match s.read(request).await {
        Ok(ClientEvent::ReadDone { attributes, .. }) => match attributes.into_iter().next() {
            Some(AttributeReport { result: Ok(v), .. }) => Ok(v),
            other => Err(Failure::Inconclusive(format!(
                "reading {path:?}: {other:?}"
            ))),
        },
        other => Err(Failure::Inconclusive(format!(
            "reading {path:?}: {other:?}"
        ))),
    }
}

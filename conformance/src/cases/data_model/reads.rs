//! Reads: every declared attribute with the right type inside its constraints, wildcard
//! expansion, and the statuses of paths the device does not have (13-interaction §13.2,
//! §13.3; 12-data-model §12.3).

use super::schema::{
    declared_attributes, fits, missing_attribute, missing_capability, missing_endpoint,
};
use super::wire;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::controller::Session;
use crate::transport::BoxFuture;
use orbit_core::interaction::{
    AttributePath, AttributeReport, ClientEvent, CommandPath, ConcreteAttribute, EventPath,
    Message, ReadRequest,
};
use orbit_core::model::{std_caps, CommandId, Data, EndpointId};
use orbit_core::status::Status;
use std::collections::BTreeMap;

/// Reads `paths` as one request; the device's answer or a failure of `rule`.
pub(crate) async fn read(
    s: &mut Session,
    paths: Vec<AttributePath>,
    rule: &'static str,
) -> Result<Vec<AttributeReport>, Failure> {
    let request = ReadRequest {
        attributes: paths,
        events: Vec::new(),
        event_min: None,
    };
    match s.read(request).await {
        Ok(ClientEvent::ReadDone { attributes, .. }) => Ok(attributes),
        Ok(other) => Err(Failure::fail(
            rule,
            "a report answering the read",
            format!("{other:?}"),
        )),
        Err(e) => Err(Failure::fail(rule, "a report answering the read", e)),
    }
}

/// The current value of one attribute.
pub(crate) async fn read_one(
    s: &mut Session,
    path: ConcreteAttribute,
    rule: &'static str,
) -> Result<Data, Failure> {
    let got = read(s, vec![path.path()], rule).await?;
    match got.as_slice() {
        [AttributeReport {
            path: p,
            result: Ok(v),
        }] if *p == path => Ok(v.clone()),
        _ => Err(Failure::fail(
            rule,
            format!("the value of {path:?}"),
            format!("{got:?}"),
        )),
    }
}

/// `data-model.attribute-values`: a concrete read of every attribute the descriptor lists
/// that has read access answers its value, which fits the attribute's type and constraints
/// `[IM-20]`, `[DM-14]`; an attribute without read access answers `unsupported-access`.
/// `basic-information` names the attested vendor and product and spec version 1 `[DM-47]`.
pub(crate) fn values(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let declared = declared_attributes(ctx.facts());
        let per_request =
            (ctx.facts().descriptor.limits.max_paths_per_request as usize).clamp(1, 16);
        let mut s = ctx.admin_session().await?;
        let mut values = BTreeMap::new();
        for chunk in declared.chunks(per_request) {
            let got = read(
                &mut s,
                chunk.iter().map(|d| d.path.path()).collect(),
                "IM-20",
            )
            .await?;
            check(
                got.len() == chunk.len(),
                "IM-20",
                format!("one report per concrete path ({})", chunk.len()),
                || format!("{got:?}"),
            )?;
            for (d, r) in chunk.iter().zip(&got) {
                check(
                    r.path == d.path,
                    "IM-20",
                    format!("{:?} reported in request order", d.path),
                    || format!("{:?}", r.path),
                )?;
                let Some(schema) = &d.schema else {
                    continue;
                };
                match &r.result {
                    Ok(v) if schema.access.read => {
                        fits(&schema.ty, v).map_err(|e| {
                            Failure::fail(
                                "DM-14",
                                format!("{} ({:?}) fits {:?}", schema.name, d.path, schema.ty.kind),
                                format!("{v:?}: {e}"),
                            )
                        })?;
                        values.insert(d.path, v.clone());
                    }
                    Err(st) if !schema.access.read => check(
                        *st == Status::UNSUPPORTED_ACCESS,
                        "IM-20",
                        "unsupported-access for an attribute without read access",
                        || st.to_string(),
                    )?,
                    other => {
                        return Err(Failure::fail(
                            "IM-20",
                            format!(
                                "the value of readable attribute {} ({:?})",
                                schema.name, d.path
                            ),
                            format!("{other:?}"),
                        ))
                    }
                }
            }
        }
        s.conn().close();
        ctx.note(format!(
            "{} attribute values read and checked",
            values.len()
        ));
        use std_caps::basic_information::{attributes as bi, ID};
        let at = |a| ConcreteAttribute::new(EndpointId::ROOT, ID, a);
        let facts = ctx.facts();
        for (attr, want, what) in [
            (
                bi::VENDOR_ID,
                Data::Uint(facts.attested.vendor_id.into()),
                "vendor-id as attested",
            ),
            (
                bi::PRODUCT_ID,
                Data::Uint(facts.attested.product_id.into()),
                "product-id as attested",
            ),
            (
                bi::SPEC_VERSION,
                Data::Uint(facts.descriptor.spec_version.into()),
                "spec-version as the descriptor's",
            ),
        ] {
            if let Some(v) = values.get(&at(attr)) {
                check(*v == want, "DM-47", format!("{what}: {want:?}"), || {
                    format!("{v:?}")
                })?;
            }
        }
        Ok(())
    })
}

/// `data-model.wildcard-read`: a read of `{}` reports every readable attribute the
/// descriptor lists exactly once, nothing else, without statuses, in ascending endpoint,
/// capability and attribute order; a read of one endpoint reports exactly that endpoint's
/// `[IM-13]`, `[IM-20]`, `[DM-42]`.
pub(crate) fn wildcard(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let declared = declared_attributes(ctx.facts());
        let readable: Vec<ConcreteAttribute> = declared
            .iter()
            .filter(|d| d.schema.as_ref().is_none_or(|s| s.access.read))
            .map(|d| d.path)
            .collect();
        let mut s = ctx.admin_session().await?;
        // By hand, so each report message is judged: within the limits of [IM-4] (the
        // decoder enforces them), on the request's exchange, `more` on all but the last.
        let (exchange, a) = wire::read_everything(&mut s, "read-request {}").await?;
        check(
            a.problems.is_empty() && !a.messages.is_empty(),
            "IM-4",
            "report messages that decode within the interaction limits",
            || a.describe(),
        )?;
        let mut got = Vec::new();
        for (i, m) in a.messages.iter().enumerate() {
            let last = i + 1 == a.messages.len();
            match &m.message {
                Message::Report(r)
                    if m.exchange == exchange && r.subscription.is_none() && r.more != last =>
                {
                    got.extend(r.attributes.iter().cloned());
                }
                _ => {
                    return Err(Failure::fail(
                        "IM-20",
                        format!("reports on exchange {exchange}, `more` on all but the last"),
                        a.describe(),
                    ))
                }
            }
        }
        let paths: Vec<ConcreteAttribute> = got.iter().map(|r| r.path).collect();
        let statuses: Vec<&AttributeReport> = got.iter().filter(|r| r.result.is_err()).collect();
        check(
            statuses.is_empty(),
            "IM-13",
            "no status in a wildcard expansion",
            || format!("{statuses:?}"),
        )?;
        let missing: Vec<_> = readable.iter().filter(|p| !paths.contains(p)).collect();
        check(
            missing.is_empty(),
            "IM-13",
            "every readable declared attribute reported",
            || format!("missing {missing:?}"),
        )?;
        let extra: Vec<_> = paths.iter().filter(|p| !readable.contains(p)).collect();
        check(
            extra.is_empty(),
            "DM-42",
            "only attributes the descriptor lists",
            || format!("also {extra:?}"),
        )?;
        check(
            paths == readable,
            "IM-13",
            "each exactly once, in endpoint, capability, attribute order",
            || format!("{paths:?}"),
        )?;
        // One endpoint other than the root, if there is one, else the root.
        let ep = ctx
            .facts()
            .descriptor
            .endpoints
            .iter()
            .map(|e| e.id)
            .find(|e| *e != EndpointId::ROOT)
            .unwrap_or(EndpointId::ROOT);
        let got = read(&mut s, vec![AttributePath::endpoint(ep)], "IM-20").await?;
        s.conn().close();
        let want: Vec<_> = readable
            .iter()
            .filter(|p| p.endpoint == ep)
            .copied()
            .collect();
        let paths: Vec<_> = got.iter().map(|r| r.path).collect();
        check(
            paths == want,
            "IM-13",
            format!("exactly endpoint {}'s readable attributes, in order", ep.0),
            || format!("{paths:?}"),
        )?;
        ctx.note(format!("{} attributes under {{}}", readable.len()));
        Ok(())
    })
}

/// `data-model.path-errors`: concrete paths to a missing endpoint, capability or attribute
/// answer `unsupported-endpoint`, `-capability`, `-attribute` (read, write and invoke);
/// wildcard and event paths that match nothing yield nothing, not an error `[IM-13]`,
/// `[IM-20]`, `[IM-21]`, `[IM-30]`.
pub(crate) fn path_errors(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let facts = ctx.facts().clone();
        let no_ep = missing_endpoint(&facts);
        let (ep, inst) = facts
            .descriptor
            .endpoints
            .iter()
            .find_map(|e| e.capabilities.first().map(|c| (e.id, c.clone())))
            .ok_or_else(|| Failure::NotApplicable("the descriptor lists no capability".into()))?;
        let no_cap = missing_capability(&facts, ep);
        let no_attr = missing_attribute(&inst);
        let first_attr = inst.attributes.first().copied().unwrap_or(no_attr);
        let cases = [
            (
                ConcreteAttribute::new(no_ep, inst.id, first_attr),
                Status::UNSUPPORTED_ENDPOINT,
            ),
            (
                ConcreteAttribute::new(ep, no_cap, first_attr),
                Status::UNSUPPORTED_CAPABILITY,
            ),
            (
                ConcreteAttribute::new(ep, inst.id, no_attr),
                Status::UNSUPPORTED_ATTRIBUTE,
            ),
        ];
        let mut s = ctx.admin_session().await?;
        let got = read(
            &mut s,
            cases.iter().map(|(p, _)| p.path()).collect(),
            "IM-20",
        )
        .await?;
        check(
            got.len() == cases.len(),
            "IM-20",
            "one report per concrete path",
            || format!("{got:?}"),
        )?;
        for ((path, want), r) in cases.iter().zip(&got) {
            check(
                r.path == *path && r.result == Err(*want),
                "IM-13",
                format!("a read of {path:?} reports {want}"),
                || format!("{got:?}"),
            )?;
        }
        // Writes of the same paths (values never applied: the paths do not exist).
        let writes = cases.iter().map(|(p, _)| (*p, Data::Bool(false))).collect();
        let written = s
            .write(orbit_core::interaction::WriteRequest::new(writes))
            .await
            .map_err(|e| Failure::fail("IM-21", "a write-response", e))?;
        match &written {
            ClientEvent::Written { statuses, .. } => {
                let got: Vec<Status> = statuses.iter().map(|p| p.status).collect();
                let want: Vec<Status> = cases.iter().map(|(_, s)| *s).collect();
                check(
                    got == want,
                    "IM-21",
                    format!("write statuses {want:?}"),
                    || format!("{statuses:?}"),
                )?;
            }
            other => {
                return Err(Failure::fail(
                    "IM-21",
                    "a write-response",
                    format!("{other:?}"),
                ))
            }
        }
        // Commands: missing endpoint, capability, command.
        let no_cmd = (0..=u16::MAX)
            .rev()
            .map(CommandId)
            .find(|c| !inst.commands.contains(c))
            .unwrap_or(CommandId(0xffff));
        for (path, want) in [
            (
                CommandPath::new(no_ep, inst.id, no_cmd),
                Status::UNSUPPORTED_ENDPOINT,
            ),
            (
                CommandPath::new(ep, no_cap, no_cmd),
                Status::UNSUPPORTED_CAPABILITY,
            ),
            (
                CommandPath::new(ep, inst.id, no_cmd),
                Status::UNSUPPORTED_COMMAND,
            ),
        ] {
            let r = s.invoke(path, Data::Struct(Vec::new()), false).await;
            check(
                matches!(&r, Ok(ClientEvent::Invoked { result: Err(st), .. }) if *st == want),
                "IM-30",
                format!("invoking {path:?} answers {want}"),
                || format!("{r:?}"),
            )?;
        }
        // Wildcards and event paths that match nothing: an empty report, no status.
        let (_, answers) = wire::request(
            &mut s,
            "read-request",
            Message::ReadRequest(ReadRequest {
                attributes: vec![AttributePath::endpoint(no_ep)],
                events: vec![EventPath {
                    endpoint: Some(ep),
                    capability: Some(no_cap),
                    event: None,
                }],
                event_min: None,
            }),
        )
        .await?;
        s.conn().close();
        let empty = answers.messages.iter().all(|m| {
            matches!(&m.message, Message::Report(r) if r.attributes.is_empty() && r.events.is_empty())
        }) && !answers.messages.is_empty()
            && answers.problems.is_empty();
        check(
            empty,
            "IM-13",
            "an empty report for paths that match nothing",
            || answers.describe(),
        )
    })
}

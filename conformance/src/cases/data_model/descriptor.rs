//! The signed descriptor: its signature and encoding, its structure, and its agreement with
//! the registry (12-data-model §12.6, §12.4, §12.5).

use super::schema::instances;
use super::wire;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::transport::BoxFuture;
use orbit_core::codec::CborMessage;
use orbit_core::interaction::Message;
use orbit_core::model::{std_caps, Descriptor, EndpointId};

/// `data-model.descriptor-signature`: a describe-response carries the descriptor's bytes and
/// a 64-byte signature that verifies under the device's operational key of the session's
/// home `[DM-41]`, `[IM-70]`; the same content keeps the same revision `[DM-45]`.
pub(crate) fn signature(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let mut s = ctx.admin_session().await?;
        let (exchange, answers) =
            wire::request(&mut s, "describe-request", Message::DescribeRequest).await?;
        let key = s.established().peer.public_key;
        s.conn().close();
        let (bytes, signature) = match answers.messages.as_slice() {
            [m] => match &m.message {
                Message::DescribeResponse {
                    descriptor,
                    signature,
                } => (descriptor.clone(), signature.clone()),
                _ => {
                    return Err(Failure::fail(
                        "IM-70",
                        "one describe-response",
                        answers.describe(),
                    ))
                }
            },
            _ => {
                return Err(Failure::fail(
                    "IM-70",
                    "one describe-response",
                    answers.describe(),
                ))
            }
        };
        check(
            answers.exchanges() == [exchange],
            "IM-70",
            format!("the describe-response on exchange {exchange}"),
            || answers.describe(),
        )?;
        check(
            signature.len() == 64,
            "IM-70",
            "a 64-byte signature",
            || format!("{} bytes", signature.len()),
        )?;
        let d = Descriptor::verify(&bytes, &signature, &key).map_err(|e| {
            Failure::fail(
                "DM-41",
                "a signature over \"Orbit v1 descriptor\" || the descriptor bytes by the device's operational key in the session's home",
                e.to_string(),
            )
        })?;
        ctx.note(format!(
            "descriptor revision {}, {} bytes",
            d.revision,
            bytes.len()
        ));
        let probed = &ctx.facts().descriptor;
        let numbers = |d: &Descriptor| d.endpoints.iter().map(|e| e.id.0).collect::<Vec<_>>();
        check(
            numbers(&d) == numbers(probed) && !numbers(&d).contains(&0xffff),
            "DM-2",
            format!(
                "the same endpoint numbers while the device runs, none 0xffff: {:?}",
                numbers(probed)
            ),
            || format!("{:?}", numbers(&d)),
        )?;
        check(
            d == *probed || d.revision != probed.revision,
            "DM-45",
            "a descriptor with the same revision has the same content",
            || format!("revision {} with other content: {d:?}", d.revision),
        )
    })
}

/// `data-model.descriptor-structure`: every key sent, in the CBOR profile's one encoding;
/// spec version 1; vendor and product as attested; endpoints, capabilities and item lists in
/// strictly ascending order; the root endpoint's capabilities; limits at least the minimums;
/// size within 4096 bytes; vendor schemas present for vendor capabilities
/// `[DM-40]`..`[DM-44]`, `[DM-2]`, `[DM-3]`, `[DM-31]`.
pub(crate) fn structure(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let facts = ctx.facts();
        let d = &facts.descriptor;
        let bytes = &facts.descriptor_bytes;
        check(
            d.to_bytes() == *bytes,
            "DM-40",
            "every key of the descriptor table sent, in the profile's deterministic encoding",
            || {
                format!(
                    "the device's bytes differ from the same descriptor encoded with every key: {}",
                    hex::encode(bytes)
                )
            },
        )?;
        check(bytes.len() <= 4096, "DM-44", "at most 4096 bytes", || {
            format!("{} bytes", bytes.len())
        })?;
        check(d.spec_version == 1, "DM-40", "spec_version 1", || {
            d.spec_version.to_string()
        })?;
        let a = &facts.attested;
        check(
            (d.vendor_id, d.product_id) == (a.vendor_id, a.product_id),
            "DM-40",
            format!(
                "vendor {:#06x} and product {:#06x} as in the attestation chain",
                a.vendor_id, a.product_id
            ),
            || format!("vendor {:#06x}, product {:#06x}", d.vendor_id, d.product_id),
        )?;
        check(
            d.endpoints.is_sorted_by(|a, b| a.id < b.id),
            "DM-40",
            "endpoints in strictly ascending number",
            || {
                format!(
                    "{:?}",
                    d.endpoints.iter().map(|e| e.id.0).collect::<Vec<_>>()
                )
            },
        )?;
        for e in &d.endpoints {
            check(
                e.capabilities.is_sorted_by(|a, b| a.id < b.id),
                "DM-40",
                "capability instances in strictly ascending ID",
                || {
                    format!(
                        "endpoint {}: {:?}",
                        e.id.0,
                        e.capabilities.iter().map(|c| c.id).collect::<Vec<_>>()
                    )
                },
            )?;
            for c in &e.capabilities {
                let sorted = |ids: Vec<u16>| ids.is_sorted_by(|a, b| a < b);
                check(
                    sorted(c.attributes.iter().map(|a| a.0).collect())
                        && sorted(c.commands.iter().map(|a| a.0).collect())
                        && sorted(c.events.iter().map(|a| a.0).collect()),
                    "DM-42",
                    "attribute, command and event lists in strictly ascending order",
                    || format!("endpoint {} capability {}: {c:?}", e.id.0, c.id),
                )?;
                check(c.id.0 != 0, "DM-10", "no capability ID 0", || {
                    format!("endpoint {} lists capability 0", e.id.0)
                })?;
            }
        }
        let root_caps = [
            std_caps::basic_information::ID,
            std_caps::access_control::ID,
            std_caps::administration::ID,
        ];
        let root = d.endpoint(EndpointId::ROOT);
        for id in root_caps {
            check(
                root.is_some_and(|r| r.capabilities.iter().any(|c| c.id == id)),
                "DM-3",
                format!("endpoint 0 with capability {id}"),
                || format!("{root:?}"),
            )?;
            check(
                d.endpoints
                    .iter()
                    .filter(|e| e.id != EndpointId::ROOT)
                    .all(|e| e.capabilities.iter().all(|c| c.id != id)),
                "DM-3",
                format!("capability {id} on no endpoint but 0"),
                || format!("{:?}", d.endpoints),
            )?;
        }
        let l = d.limits;
        check(
            l.max_paths_per_request >= 16
                && l.max_subscriptions_per_session >= 4
                && l.max_subscriptions_per_home >= 16
                && l.event_buffer >= 64
                && l.max_message >= 8192,
            "DM-43",
            "limits at least 16 paths, 4 and 16 subscriptions, 64 events, 8192 bytes",
            || format!("{l:?}"),
        )?;
        check(
            d.vendor_schemas.is_sorted_by(|a, b| a.id < b.id),
            "DM-40",
            "vendor schemas in ascending capability ID",
            || {
                format!(
                    "{:?}",
                    d.vendor_schemas.iter().map(|s| s.id).collect::<Vec<_>>()
                )
            },
        )?;
        for e in &d.endpoints {
            for c in e.capabilities.iter().filter(|c| !c.id.is_standard()) {
                check(
                    d.vendor_schemas.iter().any(|s| s.id == c.id),
                    "DM-31",
                    format!("the schema of vendor capability {} in the descriptor", c.id),
                    || "absent".to_owned(),
                )?;
            }
        }
        for schema in &d.vendor_schemas {
            if let Some((rule, what)) = super::vendor::problem(schema) {
                return Err(Failure::fail(
                    rule,
                    "vendor schemas that follow the registry's rules",
                    what,
                ));
            }
        }
        ctx.note(format!(
            "{} endpoints, {} vendor schemas, limits {:?}",
            d.endpoints.len(),
            d.vendor_schemas.len(),
            d.limits
        ));
        Ok(())
    })
}

/// `data-model.descriptor-registry`: every instance lists exactly the items of its
/// capability's schema version that its features and the item's optional flag allow: every
/// mandatory item of a supported feature, no item of an unsupported feature, no item the
/// schema lacks, and no undefined feature bit `[DM-42]`, `[DM-15]`.
pub(crate) fn registry(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let facts = ctx.facts().clone();
        for (endpoint, inst, schema) in instances(&facts) {
            let at = format!("endpoint {} capability {}", endpoint.0, inst.id);
            let Some(schema) = schema else {
                // A standard capability newer than this suite's registry: nothing to judge.
                ctx.note(format!("{at}: no schema known to the suite; not judged"));
                continue;
            };
            if inst.version > schema.version {
                ctx.note(format!(
                    "{at}: version {} is newer than the suite's {}; only the items of version {} are judged",
                    inst.version, schema.version, schema.version
                ));
            }
            let newer = inst.version > schema.version;
            let defined: u32 = schema
                .features
                .iter()
                .map(|f| 1u32.checked_shl(u32::from(f.bit)).unwrap_or(0))
                .fold(0, |a, b| a | b);
            check(
                newer || inst.features & !defined == 0,
                "DM-15",
                format!("{at}: only feature bits its schema defines ({defined:#x})"),
                || format!("feature map {:#x}", inst.features),
            )?;
            let supported = |f: Option<u8>| {
                f.is_none_or(|b| inst.features & 1u32.checked_shl(u32::from(b)).unwrap_or(0) != 0)
            };
            for a in &schema.attributes {
                let listed = inst.attributes.contains(&a.id);
                let rule = if a.feature.is_some() {
                    "DM-15"
                } else {
                    "DM-42"
                };
                check(
                    listed || a.optional || !supported(a.feature),
                    rule,
                    format!("{at}: mandatory attribute {} ({}) listed", a.id.0, a.name),
                    || format!("attributes {:?}", inst.attributes),
                )?;
                check(
                    !listed || supported(a.feature),
                    "DM-15",
                    format!(
                        "{at}: attribute {} ({}) only with its feature",
                        a.id.0, a.name
                    ),
                    || format!("listed with feature map {:#x}", inst.features),
                )?;
            }
            for c in &schema.commands {
                let listed = inst.commands.contains(&c.id);
                check(
                    listed || c.optional || !supported(c.feature),
                    if c.feature.is_some() {
                        "DM-15"
                    } else {
                        "DM-42"
                    },
                    format!("{at}: mandatory command {} ({}) listed", c.id.0, c.name),
                    || format!("commands {:?}", inst.commands),
                )?;
                check(
                    !listed || supported(c.feature),
                    "DM-15",
                    format!(
                        "{at}: command {} ({}) only with its feature",
                        c.id.0, c.name
                    ),
                    || format!("listed with feature map {:#x}", inst.features),
                )?;
            }
            for e in &schema.events {
                let listed = inst.events.contains(&e.id);
                check(
                    listed || e.optional || !supported(e.feature),
                    if e.feature.is_some() {
                        "DM-15"
                    } else {
                        "DM-42"
                    },
                    format!("{at}: mandatory event {} ({}) listed", e.id.0, e.name),
                    || format!("events {:?}", inst.events),
                )?;
            }
            if !newer {
                let unknown_attr = inst
                    .attributes
                    .iter()
                    .find(|a| schema.attribute(**a).is_none());
                let unknown_cmd = inst.commands.iter().find(|c| schema.command(**c).is_none());
                let unknown_evt = inst.events.iter().find(|e| schema.event(**e).is_none());
                check(
                    unknown_attr.is_none() && unknown_cmd.is_none() && unknown_evt.is_none(),
                    "DM-42",
                    format!("{at}: only items of schema version {}", schema.version),
                    || {
                        format!("attribute {unknown_attr:?}, command {unknown_cmd:?}, event {unknown_evt:?}")
                    },
                )?;
            }
        }
        Ok(())
    })
}

//! After a robustness case: the device must still serve an honest controller, and its state
//! (homes, access control, attribute values an honest controller set) must be what it was
//! before the case `[SEC-4]`, `[MSG-13]`, `[IM-5]`.
//!
//! The state is read as the suite's administrator in a session opened for the purpose (so
//! the check after the case also proves that a fresh honest session still works): a wildcard
//! read of the root endpoint (homes, access control, basic information) and a read of every
//! attribute the descriptor declares writable on any endpoint (what a controller could have
//! set, and what a malformed write might have changed).

use crate::case::{Failure, Outcome};
use crate::context::Ctx;
use crate::facts::Facts;
use orbit_core::interaction::{AttributePath, ClientEvent, ConcreteAttribute, ReadRequest};
use orbit_core::model::{std_caps, AttributeSchema, Data, EndpointId, Registry};

/// What the device showed before a case: attribute paths with their values (or `None` where
/// the device answered a status), in the order the device reported them.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    root: Vec<(String, Option<Data>)>,
    writable: Vec<(String, Option<Data>)>,
}

/// Whether `path` is an attribute whose value the spec lets change on its own during a case:
/// the pairing window's state changes with pairing attempts and administrators' openings
/// (`[PAIR-27]`, `[PAIR-29]`, `[ACL-10]`), which robustness cases make on purpose.
fn volatile(path: &ConcreteAttribute) -> bool {
    path.capability == std_caps::administration::ID
        && path.attribute == std_caps::administration::attributes::PAIRING_WINDOW_OPEN
}

/// The schema of attribute `path` (standard registry, or the descriptor's own vendor
/// schemas), if the device's capability is known.
pub fn attribute_schema<'a>(
    facts: &'a Facts,
    path: &ConcreteAttribute,
) -> Option<&'a AttributeSchema> {
    Registry::standard()
        .get(path.capability)
        .or_else(|| {
            facts
                .descriptor
                .vendor_schemas
                .iter()
                .find(|s| s.id == path.capability)
        })?
        .attribute(path.attribute)
}

/// Every attribute the descriptor lists whose schema allows writing.
pub fn writable_attributes(facts: &Facts) -> Vec<ConcreteAttribute> {
    let mut out = Vec::new();
    for endpoint in &facts.descriptor.endpoints {
        for cap in &endpoint.capabilities {
            for attribute in &cap.attributes {
                let path = ConcreteAttribute::new(endpoint.id, cap.id, *attribute);
                if attribute_schema(facts, &path).is_some_and(|a| a.access.write) {
                    out.push(path);
                }
            }
        }
    }
    out
}

async fn read(
    s: &mut crate::controller::Session,
    attributes: Vec<AttributePath>,
) -> Result<Vec<(String, Option<Data>)>, String> {
    let request = ReadRequest {
        attributes,
        events: Vec::new(),
        event_min: None,
    };
    match s.read(request).await? {
        ClientEvent::ReadDone { attributes, .. } => Ok(attributes
            .into_iter()
            .filter(|a| !volatile(&a.path))
            .map(|a| (format!("{:?}", a.path), a.result.ok()))
            .collect()),
        other => Err(format!("{other:?} instead of a read's answer")),
    }
}

/// Reads the device's state as the suite's administrator, in a new session.
pub async fn snapshot(ctx: &mut Ctx) -> Result<Snapshot, String> {
    let writable = writable_attributes(ctx.facts());
    // Requests stay within the paths per request the device declares, and never above the
    // 16 every device takes [IM-80].
    let per_request = usize::try_from(ctx.facts().descriptor.limits.max_paths_per_request)
        .unwrap_or(16)
        .clamp(1, 16);
    let mut s = ctx.admin_session().await.map_err(|e| format!("{e:?}"))?;
    let result = async {
        let root = read(&mut s, vec![AttributePath::endpoint(EndpointId::ROOT)]).await?;
        let mut values = Vec::new();
        for chunk in writable.chunks(per_request) {
            values.extend(read(&mut s, chunk.iter().map(|c| c.path()).collect()).await?);
        }
        Ok(Snapshot {
            root,
            writable: values,
        })
    }
    .await;
    s.conn().close();
    result
}

/// The rule a changed state breaks for a case citing `spec_ids`: a malformed interaction
/// message must not be acted on `[IM-5]`; a dropped protected message changes nothing
/// `[MSG-13]`; otherwise the device must keep serving its homes as they were `[SEC-4]`.
fn state_rule(spec_ids: &[&'static str]) -> &'static str {
    ["IM-5", "MSG-13"]
        .into_iter()
        .find(|r| spec_ids.contains(r))
        .unwrap_or("SEC-4")
}

/// Checks that the device still serves the suite's administrator in a fresh session and that
/// its state is unchanged since `before`.
pub async fn still_serving(ctx: &mut Ctx, before: &Snapshot, spec_ids: &[&'static str]) -> Outcome {
    ctx.note("after the case: is the device still serving, with its state unchanged?");
    let after = snapshot(ctx).await.map_err(|e| {
        Failure::fail(
            "SEC-4",
            "the device keeps serving the members of its homes after the case",
            format!("the suite's administrator could not read the device: {e}"),
        )
    })?;
    if after.root != before.root {
        return Err(Failure::fail(
            state_rule(spec_ids),
            format!(
                "the root endpoint's state unchanged by the case: {:?}",
                before.root
            ),
            format!("{:?}", after.root),
        ));
    }
    if after.writable != before.writable {
        return Err(Failure::fail(
            state_rule(spec_ids),
            format!(
                "the writable attributes unchanged by the case: {:?}",
                before.writable
            ),
            format!("{:?}", after.writable),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_change_is_charged_to_the_most_specific_rule_the_case_cites() {
        assert_eq!(state_rule(&["CBOR-7", "IM-5", "SEC-4"]), "IM-5");
        assert_eq!(state_rule(&["MSG-18", "MSG-13", "SEC-4"]), "MSG-13");
        assert_eq!(state_rule(&["SESS-34", "SEC-4"]), "SEC-4");
    }
}

//! Paths as a person types them: `ENDPOINT/CAPABILITY/ITEM`, each part a number (decimal or
//! `0x` hex), a registry name (`on-off`, `current-level`), or `*` for every one.
//!
//! `1/on-off/on`, `*/temperature-sensor/measured-value`, `1/*`, `0/basic-information/*`,
//! `1/0x0010/0`.

use orbit_core::interaction::{AttributePath, CommandPath, ConcreteAttribute, EventPath};
use orbit_core::model::{
    AttributeId, AttributeSchema, CapabilityId, CapabilitySchema, CommandId, CommandSchema,
    EndpointId, EventId, Registry,
};
use thiserror::Error;

/// Why a path did not parse.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PathError {
    /// Not of the form `ENDPOINT/CAPABILITY/ITEM`.
    #[error("{:?} is not a path: use ENDPOINT/CAPABILITY/ITEM, for example 1/on-off/on", crate::capped::capped(.0))]
    Shape(String),
    /// A part is neither a number in range, a known name, nor `*`.
    #[error("{:?} is not a valid {what}", crate::capped::capped(.part))]
    Part {
        /// The part as typed.
        part: String,
        /// What it should have been.
        what: &'static str,
    },
    /// A wildcard where the operation needs one concrete item.
    #[error("{:?} must name one endpoint, capability and item (no *)", crate::capped::capped(.0))]
    NotConcrete(String),
    /// The capability has no item of that name.
    #[error("capability {capability} has no {what} called {:?}", crate::capped::capped(.name))]
    UnknownItem {
        /// The capability's name.
        capability: String,
        /// Attribute, command or event.
        what: &'static str,
        /// The name typed.
        name: String,
    },
}

fn number(part: &str) -> Option<u64> {
    match part.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => part.parse().ok(),
    }
}

fn split(text: &str) -> Result<[&str; 3], PathError> {
    let parts: Vec<&str> = text.trim().split('/').collect();
    match parts.as_slice() {
        [e] if !e.is_empty() => Ok([e, "*", "*"]),
        [e, c] => Ok([e, c, "*"]),
        [e, c, i] => Ok([e, c, i]),
        _ => Err(PathError::Shape(text.to_owned())),
    }
}

fn endpoint(part: &str) -> Result<Option<EndpointId>, PathError> {
    if part == "*" {
        return Ok(None);
    }
    // 0xffff is outside the format and would be answered invalid-message [IM-83].
    number(part)
        .and_then(EndpointId::from_wire)
        .map(Some)
        .ok_or_else(|| PathError::Part {
            part: part.to_owned(),
            what: "endpoint number",
        })
}

fn capability(
    part: &str,
) -> Result<Option<(CapabilityId, Option<&'static CapabilitySchema>)>, PathError> {
    if part == "*" {
        return Ok(None);
    }
    let registry = Registry::standard();
    if let Some(s) = registry.by_name(part) {
        return Ok(Some((s.id, Some(s))));
    }
    number(part)
        .and_then(|n| u32::try_from(n).ok())
        .map(|n| {
            let id = CapabilityId(n);
            Some((id, registry.get(id)))
        })
        .ok_or_else(|| PathError::Part {
            part: part.to_owned(),
            what: "capability (a name such as on-off, or a number)",
        })
}

fn item_id(
    part: &str,
    schema: Option<&CapabilitySchema>,
    what: &'static str,
    by_name: impl Fn(&CapabilitySchema, &str) -> Option<u16>,
) -> Result<Option<u16>, PathError> {
    if part == "*" {
        return Ok(None);
    }
    if let Some(n) = number(part) {
        return u16::try_from(n).map(Some).map_err(|_| PathError::Part {
            part: part.to_owned(),
            what,
        });
    }
    match schema {
        Some(s) => by_name(s, part)
            .map(Some)
            .ok_or_else(|| PathError::UnknownItem {
                capability: s.name.clone(),
                what,
                name: part.to_owned(),
            }),
        None => Err(PathError::Part {
            part: part.to_owned(),
            what,
        }),
    }
}

/// An attribute path, possibly with wildcards, and the attribute's schema when the path names
/// one attribute of a standard capability.
pub fn attribute_path(
    text: &str,
) -> Result<(AttributePath, Option<&'static AttributeSchema>), PathError> {
    let [e, c, a] = split(text)?;
    let endpoint = endpoint(e)?;
    let cap = capability(c)?;
    // An attribute belongs to a capability: `1/*/on` names nothing.
    if cap.is_none() && a != "*" {
        return Err(PathError::Shape(text.to_owned()));
    }
    let schema = cap.and_then(|(_, s)| s);
    let attribute = item_id(a, schema, "attribute", |s, n| {
        s.attribute_named(n).map(|a| a.id.0)
    })?
    .map(AttributeId);
    let attr_schema = schema.zip(attribute).and_then(|(s, a)| s.attribute(a));
    Ok((
        AttributePath {
            endpoint,
            capability: cap.map(|(id, _)| id),
            attribute,
        },
        attr_schema,
    ))
}

/// One attribute (no wildcards), with its schema when it is a standard one.
pub fn concrete_attribute(
    text: &str,
) -> Result<(ConcreteAttribute, Option<&'static AttributeSchema>), PathError> {
    let (path, schema) = attribute_path(text)?;
    let c = path
        .as_concrete()
        .ok_or_else(|| PathError::NotConcrete(text.to_owned()))?;
    Ok((c, schema))
}

/// A command, with its schema when it is a standard one.
pub fn command_path(
    text: &str,
) -> Result<(CommandPath, Option<&'static CommandSchema>), PathError> {
    let [e, c, i] = split(text)?;
    let not_concrete = || PathError::NotConcrete(text.to_owned());
    let endpoint = endpoint(e)?.ok_or_else(not_concrete)?;
    let (cap, schema) = capability(c)?.ok_or_else(not_concrete)?;
    let command = item_id(i, schema, "command", |s, n| {
        s.command_named(n).map(|c| c.id.0)
    })?
    .map(CommandId)
    .ok_or_else(not_concrete)?;
    let cmd_schema = schema.and_then(|s| s.command(command));
    Ok((CommandPath::new(endpoint, cap, command), cmd_schema))
}

/// An event path, possibly with wildcards.
pub fn event_path(text: &str) -> Result<EventPath, PathError> {
    let [e, c, i] = split(text)?;
    let endpoint = endpoint(e)?;
    let cap = capability(c)?;
    let event = item_id(i, cap.and_then(|(_, s)| s), "event", |s, n| {
        s.events.iter().find(|e| e.name == n).map(|e| e.id.0)
    })?
    .map(EventId);
    Ok(EventPath {
        endpoint,
        capability: cap.map(|(id, _)| id),
        event,
    })
}

/// `endpoint/capability/attribute` with registry names where known.
pub fn show_attribute(a: &ConcreteAttribute) -> String {
    let registry = Registry::standard();
    match registry.get(a.capability) {
        Some(s) => match s.attribute(a.attribute) {
            Some(attr) => format!("{}/{}/{}", a.endpoint.0, s.name, attr.name),
            None => format!("{}/{}/{}", a.endpoint.0, s.name, a.attribute.0),
        },
        None => format!("{}/{:#06x}/{}", a.endpoint.0, a.capability.0, a.attribute.0),
    }
}

/// A capability's registry name, or its number.
pub fn show_capability(id: CapabilityId) -> String {
    Registry::standard()
        .get(id)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| format!("{:#06x}", id.0))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use orbit_core::model::std_caps::{level, on_off};

    #[test]
    fn names_and_numbers_resolve_to_the_same_path() {
        let (by_name, schema) = concrete_attribute("1/level/current-level").unwrap();
        let (by_number, _) = concrete_attribute("1/0x11/0").unwrap();
        assert_eq!(by_name, by_number);
        assert_eq!(
            by_name,
            ConcreteAttribute::new(EndpointId(1), level::ID, level::attributes::CURRENT_LEVEL)
        );
        assert_eq!(schema.unwrap().name, "current-level");
        assert_eq!(show_attribute(&by_name), "1/level/current-level");
    }

    #[test]
    fn wildcards_and_errors() {
        let (p, _) = attribute_path("*/on-off/on").unwrap();
        assert_eq!(p.endpoint, None);
        assert_eq!(p.capability, Some(on_off::ID));
        let (p, _) = attribute_path("2").unwrap();
        assert_eq!(p, AttributePath::endpoint(EndpointId(2)));
        // [IM-83] 0xfffe is an endpoint number, 0xffff is not.
        assert!(attribute_path("0xfffe").is_ok());
        assert!(matches!(
            attribute_path("0xffff"),
            Err(PathError::Part { .. })
        ));
        assert!(matches!(
            concrete_attribute("1/on-off/*"),
            Err(PathError::NotConcrete(_))
        ));
        assert!(matches!(
            attribute_path("1/on-off/brightness"),
            Err(PathError::UnknownItem { .. })
        ));
        assert!(matches!(
            attribute_path("1/2/3/4"),
            Err(PathError::Shape(_))
        ));
        assert!(matches!(
            attribute_path("70000/on-off/on"),
            Err(PathError::Part { .. })
        ));
        assert!(matches!(attribute_path("1/*/on"), Err(PathError::Shape(_))));
        let (c, s) = command_path("1/on-off/toggle").unwrap();
        assert_eq!(c.command, on_off::commands::TOGGLE);
        assert!(s.is_some());
        assert!(matches!(
            command_path("1/on-off/*"),
            Err(PathError::NotConcrete(_))
        ));
    }
}

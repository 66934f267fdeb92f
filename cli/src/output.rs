//! How results look: one human-readable form and one JSON form (`--json`) for each.
// Indexing a `serde_json::Value` by key yields `Null` when the key is absent; it never panics.
#![allow(clippy::indexing_slicing)]

use crate::paths::{show_attribute, show_capability};
use crate::values::{fields_to_json, to_json};
use orbit_core::interaction::{AttributeReport, EventRecord, PathStatus};
use orbit_core::model::{Data, Descriptor, Registry};
use orbit_core::status::Status;
use serde_json::{json, Value as Json};

/// Whether to print JSON for scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// For people.
    Human,
    /// One JSON document per result.
    Json,
}

/// A status by its spec name, or its number.
pub fn status_text(s: Status) -> String {
    s.name()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:#06x}", s.0))
}

/// The outcome of a command as the CLI prints it: `success`, or the status by name
/// ([`status_text`]).
pub fn outcome_text<T>(result: &Result<T, Status>) -> String {
    match result {
        Ok(_) => status_text(Status::SUCCESS),
        Err(s) => status_text(*s),
    }
}

/// The heading line of an endpoint in a printed descriptor: its number, then its label
/// when it has one (no trailing space for the root endpoint, which has none).
pub fn endpoint_heading(id: u16, label: &str) -> String {
    if label.is_empty() {
        format!("  endpoint {id}")
    } else {
        format!("  endpoint {id} {label}")
    }
}

/// The value of an attribute report as JSON (with names from the registry).
pub fn attribute_json(a: &AttributeReport) -> Json {
    let ty = Registry::standard()
        .get(a.path.capability)
        .and_then(|s| s.attribute(a.path.attribute))
        .map(|s| &s.ty);
    match &a.result {
        Ok(v) => json!({"path": show_attribute(&a.path), "value": to_json(v, ty)}),
        Err(s) => json!({"path": show_attribute(&a.path), "status": status_text(*s)}),
    }
}

/// An event as JSON (fields named from the registry).
pub fn event_json(e: &EventRecord) -> Json {
    let schema = Registry::standard()
        .get(e.capability)
        .and_then(|s| s.event(e.event));
    json!({
        "number": e.number,
        "endpoint": e.endpoint.0,
        "capability": show_capability(e.capability),
        "event": schema.map(|s| s.name.clone()).unwrap_or_else(|| e.event.0.to_string()),
        "priority": match e.priority {
            orbit_core::model::Priority::Debug => "debug",
            orbit_core::model::Priority::Info => "info",
            orbit_core::model::Priority::Critical => "critical",
        },
        "uptime_ms": e.uptime_ms,
        "fields": schema
            .and_then(|s| fields_to_json(&e.fields, &s.fields))
            .unwrap_or_else(|| to_json(&e.fields, None)),
    })
}

/// Prints attribute reports and events.
pub fn print_reports(format: Format, attributes: &[AttributeReport], events: &[EventRecord]) {
    match format {
        Format::Json => {
            let doc = json!({
                "attributes": attributes.iter().map(attribute_json).collect::<Vec<_>>(),
                "events": events.iter().map(event_json).collect::<Vec<_>>(),
            });
            println!("{doc}");
        }
        Format::Human => {
            for a in attributes {
                let j = attribute_json(a);
                match (&a.result, j.get("value")) {
                    (Ok(_), Some(v)) => println!("{} = {v}", show_attribute(&a.path)),
                    _ => println!(
                        "{}: {}",
                        show_attribute(&a.path),
                        a.result
                            .as_ref()
                            .err()
                            .map_or(String::new(), |s| status_text(*s))
                    ),
                }
            }
            for e in events {
                let j = event_json(e);
                println!(
                    "event #{} {}/{}/{} {}",
                    e.number,
                    e.endpoint.0,
                    j["capability"].as_str().unwrap_or_default(),
                    j["event"].as_str().unwrap_or_default(),
                    j["fields"]
                );
            }
        }
    }
}

/// Prints the per-entry statuses of a write.
pub fn print_write(format: Format, statuses: &[PathStatus]) {
    match format {
        Format::Json => {
            let doc: Vec<Json> = statuses
                .iter()
                .map(|s| json!({"path": show_attribute(&s.path), "status": status_text(s.status)}))
                .collect();
            println!("{}", Json::Array(doc));
        }
        Format::Human => {
            for s in statuses {
                println!("{}: {}", show_attribute(&s.path), status_text(s.status));
            }
        }
    }
}

/// Prints a command's result.
pub fn print_invoke(format: Format, result: &Data, fields: Option<&[orbit_core::model::Field]>) {
    let j = fields
        .and_then(|f| fields_to_json(result, f))
        .unwrap_or_else(|| to_json(result, None));
    match format {
        Format::Json => println!("{}", json!({"status": "success", "result": j})),
        Format::Human => {
            if j.as_object().is_some_and(|o| o.is_empty()) {
                println!("success");
            } else {
                println!("success: {j}");
            }
        }
    }
}

/// A descriptor as JSON.
pub fn descriptor_json(d: &Descriptor) -> Json {
    let registry = Registry::standard();
    json!({
        "spec_version": d.spec_version,
        "vendor_id": d.vendor_id,
        "product_id": d.product_id,
        "revision": d.revision,
        "limits": {
            "max_paths_per_request": d.limits.max_paths_per_request,
            "max_subscriptions_per_session": d.limits.max_subscriptions_per_session,
            "max_subscriptions_per_home": d.limits.max_subscriptions_per_home,
            "event_buffer": d.limits.event_buffer,
            "max_message": d.limits.max_message,
        },
        "endpoints": d.endpoints.iter().map(|e| json!({
            "id": e.id.0,
            "label": e.label,
            "capabilities": e.capabilities.iter().map(|c| {
                let schema = registry.get(c.id).or_else(|| d.vendor_schemas.iter().find(|s| s.id == c.id));
                let name = |f: &dyn Fn(&orbit_core::model::CapabilitySchema) -> Option<String>, n: u16| {
                    schema.and_then(f).unwrap_or_else(|| n.to_string())
                };
                json!({
                    "id": format!("{:#06x}", c.id.0),
                    "name": schema.map(|s| s.name.clone()),
                    "version": c.version,
                    "features": schema.map(|s| s.features.iter().filter(|f| c.features & (1u32 << f.bit) != 0).map(|f| f.name.clone()).collect::<Vec<_>>()),
                    "attributes": c.attributes.iter().map(|a| name(&|s| s.attribute(*a).map(|x| x.name.clone()), a.0)).collect::<Vec<_>>(),
                    "commands": c.commands.iter().map(|a| name(&|s| s.command(*a).map(|x| x.name.clone()), a.0)).collect::<Vec<_>>(),
                    "events": c.events.iter().map(|a| name(&|s| s.event(*a).map(|x| x.name.clone()), a.0)).collect::<Vec<_>>(),
                })
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// Prints a descriptor.
pub fn print_descriptor(format: Format, d: &Descriptor) {
    let j = descriptor_json(d);
    match format {
        Format::Json => println!("{j}"),
        Format::Human => {
            println!(
                "vendor {:#06x} product {:#06x} revision {} ({} endpoints)",
                d.vendor_id,
                d.product_id,
                d.revision,
                d.endpoints.len()
            );
            for e in j["endpoints"].as_array().into_iter().flatten() {
                println!(
                    "{}",
                    endpoint_heading(
                        e["id"]
                            .as_u64()
                            .and_then(|i| u16::try_from(i).ok())
                            .unwrap_or_default(),
                        e["label"].as_str().unwrap_or_default()
                    )
                );
                for c in e["capabilities"].as_array().into_iter().flatten() {
                    let list = |k: &str| {
                        c[k].as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|x| x.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            })
                            .unwrap_or_default()
                    };
                    println!(
                        "    {} v{}{}",
                        c["name"]
                            .as_str()
                            .unwrap_or(c["id"].as_str().unwrap_or_default()),
                        c["version"],
                        match list("features") {
                            f if f.is_empty() => String::new(),
                            f => format!(" [features: {f}]"),
                        }
                    );
                    for (k, label) in [
                        ("attributes", "attributes"),
                        ("commands", "commands"),
                        ("events", "events"),
                    ] {
                        let l = list(k);
                        if !l.is_empty() {
                            println!("      {label}: {l}");
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{endpoint_heading, outcome_text, status_text};
    use orbit_core::status::Status;

    // `orbit demo` and the other commands print statuses by their spec names, never in Rust's
    // debug form.
    #[test]
    fn statuses_print_by_name() {
        assert_eq!(outcome_text(&Ok::<(), Status>(())), "success");
        assert_eq!(
            outcome_text(&Err::<(), Status>(Status::ACCESS_DENIED)),
            "access-denied"
        );
        assert_eq!(status_text(Status::SUCCESS), "success");
    }

    #[test]
    fn endpoint_headings_have_no_trailing_space() {
        assert_eq!(endpoint_heading(0, ""), "  endpoint 0");
        assert_eq!(endpoint_heading(1, "socket 1"), "  endpoint 1 socket 1");
    }
}

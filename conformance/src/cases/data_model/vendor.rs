//! The rules a vendor schema in a descriptor must satisfy: `[DM-22]` items 3 to 7 with a
//! nonzero vendor part `[DM-31]`, and at most four levels of `list` and `struct` `[DM-18]`.

use orbit_core::model::{CapabilitySchema, DataType, Field, TypeKind};
use std::collections::BTreeSet;

/// The first rule `schema` breaks, as `(rule, what)`, or `None`.
pub(crate) fn problem(schema: &CapabilitySchema) -> Option<(&'static str, String)> {
    let name = &schema.name;
    if schema.id.vendor() == 0 {
        return Some((
            "DM-31",
            format!("{name}: a vendor schema with vendor part 0"),
        ));
    }
    let unique = |items: Vec<String>| {
        let n = items.len();
        items.into_iter().collect::<BTreeSet<_>>().len() == n
    };
    let checks: [(bool, &str); 8] = [
        (
            unique(schema.features.iter().map(|f| f.bit.to_string()).collect()),
            "feature bits unique",
        ),
        (
            unique(schema.features.iter().map(|f| f.name.clone()).collect()),
            "feature names unique",
        ),
        (
            unique(
                schema
                    .attributes
                    .iter()
                    .map(|a| a.id.0.to_string())
                    .collect(),
            ),
            "attribute IDs unique",
        ),
        (
            unique(schema.attributes.iter().map(|a| a.name.clone()).collect()),
            "attribute names unique",
        ),
        (
            unique(schema.commands.iter().map(|c| c.id.0.to_string()).collect()),
            "command IDs unique",
        ),
        (
            unique(schema.commands.iter().map(|c| c.name.clone()).collect()),
            "command names unique",
        ),
        (
            unique(schema.events.iter().map(|e| e.id.0.to_string()).collect()),
            "event IDs unique",
        ),
        (
            unique(schema.events.iter().map(|e| e.name.clone()).collect()),
            "event names unique",
        ),
    ];
    if let Some((_, what)) = checks.iter().find(|(ok, _)| !ok) {
        return Some(("DM-31", format!("{name}: {what} ([DM-22] item 3)")));
    }
    let declared: BTreeSet<u8> = schema.features.iter().map(|f| f.bit).collect();
    let features = schema
        .attributes
        .iter()
        .map(|a| a.feature)
        .chain(schema.commands.iter().map(|c| c.feature))
        .chain(schema.events.iter().map(|e| e.feature));
    for f in features.flatten() {
        if !declared.contains(&f) {
            return Some((
                "DM-31",
                format!("{name}: feature bit {f} named but not declared ([DM-22] item 4)"),
            ));
        }
    }
    for a in &schema.attributes {
        if a.access.write && !a.access.read {
            return Some((
                "DM-31",
                format!(
                    "{name}.{}: write access without read ([DM-22] item 6)",
                    a.name
                ),
            ));
        }
        if let Some(p) = type_problem(&a.ty, 1) {
            return Some((p.0, format!("{name}.{}: {}", a.name, p.1)));
        }
        if let Some(d) = &a.default {
            if let Err(e) = a.ty.check(d) {
                return Some((
                    "DM-31",
                    format!(
                        "{name}.{}: default {d:?} does not fit ([DM-22] item 7): {e}",
                        a.name
                    ),
                ));
            }
        }
    }
    let field_lists = schema
        .commands
        .iter()
        .flat_map(|c| {
            [
                (&c.args, format!("{}'s arguments", c.name)),
                (&c.result, format!("{}'s result", c.name)),
            ]
        })
        .chain(
            schema
                .events
                .iter()
                .map(|e| (&e.fields, format!("{}'s fields", e.name))),
        );
    for (fields, what) in field_lists {
        if let Some(p) = fields_problem(fields, 1) {
            return Some((p.0, format!("{name}: {what}: {}", p.1)));
        }
    }
    None
}

fn fields_problem(fields: &[Field], depth: usize) -> Option<(&'static str, String)> {
    let ids: BTreeSet<u8> = fields.iter().map(|f| f.id.0).collect();
    if ids.len() != fields.len() {
        return Some((
            "DM-31",
            "field numbers not unique ([DM-22] item 3)".to_owned(),
        ));
    }
    fields.iter().find_map(|f| type_problem(&f.ty, depth))
}

/// `depth` counts the `list` and `struct` levels around this type, itself included when it
/// is one.
fn type_problem(ty: &DataType, depth: usize) -> Option<(&'static str, String)> {
    let nests = matches!(ty.kind, TypeKind::List { .. } | TypeKind::Struct(_));
    if nests && depth > 4 {
        return Some((
            "DM-18",
            "more than four levels of list and struct".to_owned(),
        ));
    }
    let inner = if nests { depth + 1 } else { depth };
    match &ty.kind {
        TypeKind::Uint { min, max } if min > max => Some((
            "DM-31",
            format!("min {min} above max {max} ([DM-22] item 5)"),
        )),
        TypeKind::Int { min, max } if min > max => Some((
            "DM-31",
            format!("min {min} above max {max} ([DM-22] item 5)"),
        )),
        TypeKind::Text { min_len, max_len } | TypeKind::Bytes { min_len, max_len }
            if min_len > max_len =>
        {
            Some((
                "DM-31",
                format!("min_len {min_len} above max_len {max_len} ([DM-22] item 5)"),
            ))
        }
        TypeKind::Enum(values) | TypeKind::Bitmap(values) => {
            let v: BTreeSet<u8> = values.iter().map(|n| n.value).collect();
            let n: BTreeSet<&str> = values.iter().map(|n| n.name.as_str()).collect();
            (v.len() != values.len() || n.len() != values.len()).then(|| {
                (
                    "DM-31",
                    "enum values or bitmap bits not unique ([DM-22] item 3)".to_owned(),
                )
            })
        }
        TypeKind::List { item, .. } => type_problem(item, inner),
        TypeKind::Struct(fields) => fields_problem(fields, inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use orbit_core::model::{std_caps, CapabilityId, FieldId, NamedValue};

    /// The on-off schema moved into a vendor's namespace: a valid vendor schema.
    fn vendor_on_off() -> CapabilitySchema {
        let mut s = std_caps::on_off::schema();
        s.id = CapabilityId::vendor_specific(0xfff1, 0x8000);
        s
    }

    fn nested(levels: usize) -> DataType {
        let mut ty = DataType::new(TypeKind::Bool);
        for _ in 0..levels {
            ty = DataType::new(TypeKind::List {
                item: Box::new(ty),
                max_items: 2,
            });
        }
        ty
    }

    #[test]
    fn a_valid_vendor_schema_has_no_problem_and_each_broken_rule_is_named() {
        assert_eq!(problem(&vendor_on_off()), None);
        let mut standard = vendor_on_off();
        standard.id = CapabilityId(0x10);
        assert_eq!(problem(&standard).unwrap().0, "DM-31");
        let mut twice = vendor_on_off();
        let first = twice.attributes[0].clone();
        twice.attributes.push(first);
        assert!(problem(&twice).unwrap().1.contains("attribute IDs"));
        let mut undeclared = vendor_on_off();
        undeclared.features.clear();
        assert!(problem(&undeclared).unwrap().1.contains("not declared"));
        let mut write_only = vendor_on_off();
        write_only.attributes[0].access.read = false;
        assert!(problem(&write_only).unwrap().1.contains("without read"));
        let mut bad_default = vendor_on_off();
        bad_default.attributes[0].default = Some(orbit_core::model::Data::Uint(3));
        assert!(problem(&bad_default).unwrap().1.contains("default"));
        let mut range = vendor_on_off();
        range.attributes[1].ty = DataType::new(TypeKind::Uint { min: 5, max: 4 });
        range.attributes[1].default = None;
        assert!(problem(&range).unwrap().1.contains("item 5"));
        let mut enum_twice = vendor_on_off();
        enum_twice.attributes[1].ty = DataType::new(TypeKind::Enum(vec![
            NamedValue {
                value: 1,
                name: "a".into(),
            },
            NamedValue {
                value: 1,
                name: "b".into(),
            },
        ]));
        enum_twice.attributes[1].default = None;
        assert!(problem(&enum_twice).unwrap().1.contains("not unique"));
    }

    #[test]
    fn four_levels_of_nesting_are_allowed_and_five_are_not() {
        let mut four = vendor_on_off();
        four.attributes[1].ty = nested(4);
        four.attributes[1].default = None;
        assert_eq!(problem(&four), None);
        let mut five = vendor_on_off();
        five.attributes[1].ty = nested(5);
        five.attributes[1].default = None;
        assert_eq!(problem(&five).unwrap().0, "DM-18");
        // In a command's arguments too.
        let mut args = vendor_on_off();
        args.commands[0].args.push(Field {
            id: FieldId(0),
            name: "deep".into(),
            ty: nested(5),
            unit: None,
            optional: true,
        });
        assert_eq!(problem(&args).unwrap().0, "DM-18");
    }
}

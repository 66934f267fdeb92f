//! What the device declares, joined with the schemas that define it: standard capabilities
//! from the registry, vendor ones from the descriptor `[DM-31]`; and values built from a type
//! (valid, of the wrong shape, outside the constraints) so every check is generic over the
//! schema rather than written per device.

use crate::facts::Facts;
use orbit_core::interaction::ConcreteAttribute;
use orbit_core::model::{
    AttributeId, AttributeSchema, CapabilityId, CapabilityInstance, CapabilitySchema, Data,
    DataType, EndpointId, Field, Registry, TypeKind,
};

/// The schema that defines capability `id` on this device: the registry's for a standard
/// capability (never one from the descriptor, `[DM-31]`), the descriptor's for a vendor one.
pub(crate) fn schema_of(facts: &Facts, id: CapabilityId) -> Option<CapabilitySchema> {
    if id.is_standard() {
        Registry::standard().get(id).cloned()
    } else {
        facts
            .descriptor
            .vendor_schemas
            .iter()
            .find(|s| s.id == id)
            .cloned()
    }
}

/// Every capability instance the descriptor lists, with its endpoint and schema.
pub(crate) fn instances(
    facts: &Facts,
) -> Vec<(EndpointId, CapabilityInstance, Option<CapabilitySchema>)> {
    facts
        .descriptor
        .endpoints
        .iter()
        .flat_map(|e| {
            e.capabilities
                .iter()
                .map(move |c| (e.id, c.clone(), schema_of(facts, c.id)))
        })
        .collect()
}

/// An attribute the descriptor lists, with its schema when the suite has one.
#[derive(Clone, Debug)]
pub(crate) struct Declared {
    /// Where it is.
    pub(crate) path: ConcreteAttribute,
    /// Its schema (absent for an attribute newer than the schema the suite knows).
    pub(crate) schema: Option<AttributeSchema>,
}

/// Every attribute the descriptor lists, in endpoint, capability, attribute order.
pub(crate) fn declared_attributes(facts: &Facts) -> Vec<Declared> {
    let mut out = Vec::new();
    for (endpoint, instance, schema) in instances(facts) {
        for a in &instance.attributes {
            out.push(Declared {
                path: ConcreteAttribute::new(endpoint, instance.id, *a),
                schema: schema.as_ref().and_then(|s| s.attribute(*a)).cloned(),
            });
        }
    }
    out
}

/// An endpoint number in `0..=0xfffe` the device does not have `[IM-13]`.
pub(crate) fn missing_endpoint(facts: &Facts) -> EndpointId {
    let mut n = 0xfffe_u16;
    while facts.descriptor.endpoint(EndpointId(n)).is_some() {
        n -= 1;
    }
    EndpointId(n)
}

/// A capability ID that endpoint `endpoint` does not have: a standard one of the registry
/// when one is absent from it, else an unassigned standard number.
pub(crate) fn missing_capability(facts: &Facts, endpoint: EndpointId) -> CapabilityId {
    let has = |id: CapabilityId| {
        facts
            .descriptor
            .endpoint(endpoint)
            .is_some_and(|e| e.capabilities.iter().any(|c| c.id == id))
    };
    Registry::standard()
        .iter()
        .map(|s| s.id)
        .find(|id| !has(*id))
        .unwrap_or(CapabilityId(0xfff0))
}

/// An attribute ID the instance does not list.
pub(crate) fn missing_attribute(instance: &CapabilityInstance) -> AttributeId {
    let mut n = 0xfff0_u16;
    while instance.attributes.contains(&AttributeId(n)) {
        n -= 1;
    }
    AttributeId(n)
}

/// A value whose CBOR shape differs from the type's kind: `invalid-data-type` `[DM-14]`.
pub(crate) fn wrong_shape(ty: &DataType) -> Data {
    match ty.kind {
        TypeKind::Text { .. } => Data::Uint(1),
        _ => Data::Text("x".to_owned()),
    }
}

/// A value of the right shape outside the type's constraints: `constraint-error`
/// `[DM-14]`, `[DM-46]` step 3. `None` when the type admits every value of its shape.
pub(crate) fn out_of_range(ty: &DataType) -> Option<Data> {
    match &ty.kind {
        TypeKind::Bool | TypeKind::Struct(_) => None,
        TypeKind::Uint { min, max } => {
            if *max < u64::MAX {
                Some(Data::Uint(max + 1))
            } else if *min > 0 {
                Some(Data::Uint(min - 1))
            } else {
                None
            }
        }
        TypeKind::Int { min, max } => {
            if *max < i64::MAX {
                Some(Data::int(max + 1))
            } else if *min > i64::MIN {
                Some(Data::int(min - 1))
            } else {
                None
            }
        }
        TypeKind::Enum(values) => (0u64..=63)
            .find(|v| !values.iter().any(|nv| u64::from(nv.value) == *v))
            .map(Data::Uint),
        TypeKind::Bitmap(bits) => (0u32..64)
            .find(|b| !bits.iter().any(|nv| u32::from(nv.value) == *b))
            .map(|b| Data::Uint(1u64 << b)),
        TypeKind::Text { min_len, max_len } => {
            if *max_len < 2048 {
                Some(Data::Text("a".repeat(*max_len as usize + 1)))
            } else if *min_len > 0 {
                Some(Data::Text("a".repeat(*min_len as usize - 1)))
            } else {
                None
            }
        }
        TypeKind::Bytes { min_len, max_len } => {
            if *max_len < 2048 {
                Some(Data::Bytes(vec![0x30; *max_len as usize + 1]))
            } else if *min_len > 0 {
                Some(Data::Bytes(vec![0x30; *min_len as usize - 1]))
            } else {
                None
            }
        }
        // [DM-46] a list's length is checked before its items, so the items need not fit.
        TypeKind::List { max_items, .. } if *max_items < 100 => Some(Data::List(
            (0..=*max_items).map(|_| Data::Uint(0)).collect(),
        )),
        TypeKind::List { .. } => None,
    }
}

/// A value that fits the type, when the suite can make one without knowing its meaning.
pub(crate) fn sample(ty: &DataType) -> Option<Data> {
    Some(match &ty.kind {
        TypeKind::Bool => Data::Bool(false),
        TypeKind::Uint { min, .. } => Data::Uint(*min),
        TypeKind::Int { min, max } => Data::int(0.clamp(*min, *max)),
        TypeKind::Enum(values) => Data::Uint(u64::from(values.first()?.value)),
        TypeKind::Bitmap(_) => Data::Uint(0),
        TypeKind::Text { min_len, .. } => Data::Text("a".repeat(*min_len as usize)),
        TypeKind::Bytes { min_len, .. } => Data::Bytes(vec![0x30; *min_len as usize]),
        TypeKind::List { .. } => Data::List(Vec::new()),
        TypeKind::Struct(fields) => sample_fields(fields)?,
    })
}

/// A struct holding a fitting value for every required field.
pub(crate) fn sample_fields(fields: &[Field]) -> Option<Data> {
    let mut out = Vec::new();
    for f in fields.iter().filter(|f| !f.optional) {
        out.push((f.id.0, sample(&f.ty)?));
    }
    Some(Data::structure(out))
}

/// Values other than `current` that fit the type, nearest first, for a write that changes
/// the attribute and is read back.
pub(crate) fn alternatives(ty: &DataType, current: &Data) -> Vec<Data> {
    let mut out = Vec::new();
    match (&ty.kind, current) {
        (TypeKind::Bool, Data::Bool(b)) => out.push(Data::Bool(!b)),
        (TypeKind::Uint { min, max }, Data::Uint(v)) => {
            if v < max {
                out.push(Data::Uint(v + 1));
            }
            if v > min {
                out.push(Data::Uint(v - 1));
            }
        }
        (TypeKind::Int { min, max }, _) => {
            if let Some(v) = current.as_i64() {
                if v < *max {
                    out.push(Data::int(v + 1));
                }
                if v > *min {
                    out.push(Data::int(v - 1));
                }
            }
        }
        (TypeKind::Enum(values), Data::Uint(v)) => out.extend(
            values
                .iter()
                .map(|nv| u64::from(nv.value))
                .filter(|x| x != v)
                .map(Data::Uint),
        ),
        (TypeKind::Text { min_len, max_len }, Data::Text(t)) => {
            for candidate in ["orbit-conformance", "oc", "o"] {
                let len = candidate.len() as u32;
                if candidate != t && len >= *min_len && len <= *max_len {
                    out.push(Data::Text(candidate.to_owned()));
                }
            }
        }
        _ => {}
    }
    out
}

/// `value` fits `ty`, or why not.
pub(crate) fn fits(ty: &DataType, value: &Data) -> Result<(), String> {
    ty.check(value).map_err(|e| e.to_string())
}

//! Versioned, typed documents on top of a [`Store`].

use ciborium::Value;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{redact_serde_message, MigrationError, StoreError};
use crate::key::RecordKey;
use crate::Store;

/// A type stored as a versioned document.
///
/// A document is stored as the CBOR map `{"kind": KIND, "version": VERSION, "body": <T>}`
/// (ciborium's encoding of `T` through serde). On load:
///
/// - a different `kind` is [`StoreError::WrongKind`];
/// - the current `version` decodes the body straight into `T`;
/// - an older version is migrated in memory, one step at a time, through
///   [`Document::migrate`], then decoded. [`load_doc`] does not write the result back, so an
///   older build of the software can still read the record until the application next saves
///   it; [`upgrade_doc`] writes the migrated document back at once;
/// - a newer version is [`StoreError::TooNew`]: this build refuses to read it rather than
///   misread it or overwrite it with less information.
///
/// Byte fields: a `Vec<u8>` encodes as an array of integers. For a CBOR byte string use
/// [`SecretBytes`](crate::SecretBytes) for secrets, or a type whose `Deserialize` calls
/// `deserialize_byte_buf`: ciborium serves `deserialize_bytes` (as `serde_bytes::Bytes`
/// and similar borrowed types use) only for byte strings up to 4 KiB.
///
/// ```
/// use orbit_store::{load_doc, save_doc, Document, MemoryStore, RecordKey, SecretBytes};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Serialize, Deserialize)]
/// struct Identity {
///     name: String,
///     private_key: SecretBytes,
/// }
///
/// impl Document for Identity {
///     const KIND: &'static str = "identity";
///     const VERSION: u16 = 1;
/// }
///
/// let store = MemoryStore::new();
/// let key = RecordKey::new("identity")?;
/// let id = Identity { name: "lamp".into(), private_key: SecretBytes::new(vec![7; 32]) };
/// save_doc(&store, &key, &id)?;
/// let back: Identity = load_doc(&store, &key)?.expect("saved above");
/// assert_eq!(back.private_key, id.private_key);
/// assert_eq!(format!("{back:?}"), r#"Identity { name: "lamp", private_key: <redacted> }"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Document: Serialize + DeserializeOwned {
    /// What this document is, e.g. `"controller.homes"`; stored with it and checked on load.
    const KIND: &'static str;
    /// The current version of the document's shape, starting at 1. Bump it when the shape
    /// changes and teach [`migrate`](Self::migrate) the step from the previous version.
    const VERSION: u16;

    /// Turns the body of version `from` into the body of version `from + 1`. Called once per
    /// step, so a version 1 body reaches version 3 through `migrate(1, ..)` then
    /// `migrate(2, ..)`. The default knows no migrations. See [`rename_field`] and
    /// [`insert_field`] for the common steps.
    fn migrate(from: u16, body: Value) -> Result<Value, MigrationError> {
        let _ = body;
        Err(MigrationError::UnknownVersion { from })
    }
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    kind: &'a str,
    version: u16,
    body: &'a T,
}

#[derive(Deserialize)]
struct EnvelopeIn<B> {
    kind: String,
    version: u16,
    body: B,
}

/// Saves `doc` under `key` at [`Document::VERSION`], atomically replacing any previous record.
///
/// Refuses with [`StoreError::TooNew`] to replace a readable document of the same kind and a
/// newer version, so that running an older build never silently throws away what a newer one
/// wrote; [`Store::remove`] the record first to do that on purpose. A record that cannot be
/// read (corrupt, another kind, not a document) is replaced.
pub fn save_doc<T: Document>(
    store: &dyn Store,
    key: &RecordKey,
    doc: &T,
) -> Result<(), StoreError> {
    if let Ok(Some(existing)) = store.load(key) {
        let existing = Zeroizing::new(existing);
        if let Ok(head) = decode_all::<T, EnvelopeIn<IgnoredAny>>(key, &existing) {
            if head.kind == T::KIND && head.version > T::VERSION {
                return Err(StoreError::TooNew {
                    key: key.clone(),
                    what: T::KIND,
                    found: head.version,
                    supported: T::VERSION,
                });
            }
        }
    }
    let mut bytes = Zeroizing::new(Vec::new());
    let envelope = EnvelopeOut {
        kind: T::KIND,
        version: T::VERSION,
        body: doc,
    };
    ciborium::into_writer(&envelope, &mut *bytes).map_err(|e| StoreError::Encode {
        key: key.clone(),
        kind: T::KIND,
        message: match e {
            ciborium::ser::Error::Io(e) => e.to_string(),
            ciborium::ser::Error::Value(message) => redact_serde_message(&message),
        },
    })?;
    store.save(key, &bytes)
}

/// Loads the document under `key`, migrating it in memory if it is older; `None` if there is
/// no such record. Does not write anything.
pub fn load_doc<T: Document>(store: &dyn Store, key: &RecordKey) -> Result<Option<T>, StoreError> {
    Ok(load_versioned(store, key)?.map(|(doc, _)| doc))
}

/// Like [`load_doc`], and if the record was of an older version, saves the migrated document
/// at the current version before returning it. After this, older builds get
/// [`StoreError::TooNew`] for this record.
pub fn upgrade_doc<T: Document>(
    store: &dyn Store,
    key: &RecordKey,
) -> Result<Option<T>, StoreError> {
    let Some((doc, from)) = load_versioned::<T>(store, key)? else {
        return Ok(None);
    };
    if from != T::VERSION {
        save_doc(store, key, &doc)?;
    }
    Ok(Some(doc))
}

/// The document and the version it was stored at.
fn load_versioned<T: Document>(
    store: &dyn Store,
    key: &RecordKey,
) -> Result<Option<(T, u16)>, StoreError> {
    let Some(bytes) = store.load(key)? else {
        return Ok(None);
    };
    let bytes = Zeroizing::new(bytes);
    decode::<T>(key, &bytes).map(Some)
}

fn decode_error<T: Document>(key: &RecordKey, message: &str) -> StoreError {
    StoreError::Decode {
        key: key.clone(),
        kind: T::KIND,
        message: redact_serde_message(message),
    }
}

/// A ciborium decoding error as a message (its `Display` is its `Debug`, which would quote,
/// and so redact, the whole serde message).
fn describe(error: ciborium::de::Error<std::io::Error>) -> String {
    match error {
        ciborium::de::Error::Io(e) => format!("truncated or unreadable CBOR: {e}"),
        ciborium::de::Error::Syntax(offset) => format!("CBOR syntax error at byte {offset}"),
        ciborium::de::Error::Semantic(Some(offset), message) => {
            format!("{message} (at byte {offset})")
        }
        ciborium::de::Error::Semantic(None, message) => message,
        ciborium::de::Error::RecursionLimitExceeded => "CBOR nesting too deep".to_owned(),
    }
}

/// Decodes one CBOR item that must span all of `bytes`.
fn decode_all<T: Document, E: DeserializeOwned>(
    key: &RecordKey,
    bytes: &[u8],
) -> Result<E, StoreError> {
    let mut rest = bytes;
    let value =
        ciborium::from_reader(&mut rest).map_err(|e| decode_error::<T>(key, &describe(e)))?;
    if !rest.is_empty() {
        return Err(decode_error::<T>(
            key,
            &format!("{} trailing bytes after the document", rest.len()),
        ));
    }
    Ok(value)
}

fn decode<T: Document>(key: &RecordKey, bytes: &[u8]) -> Result<(T, u16), StoreError> {
    // First the kind and version only, skipping the body.
    let head: EnvelopeIn<IgnoredAny> = decode_all::<T, _>(key, bytes)?;
    if head.kind != T::KIND {
        return Err(StoreError::WrongKind {
            key: key.clone(),
            expected: T::KIND,
            found: head.kind.chars().take(64).collect(),
        });
    }
    let version = head.version;
    if version > T::VERSION {
        return Err(StoreError::TooNew {
            key: key.clone(),
            what: T::KIND,
            found: version,
            supported: T::VERSION,
        });
    }
    if version == T::VERSION {
        let full: EnvelopeIn<T> = decode_all::<T, _>(key, bytes)?;
        return Ok((full.body, version));
    }
    let full: EnvelopeIn<Value> = decode_all::<T, _>(key, bytes)?;
    let mut body = full.body;
    for from in version..T::VERSION {
        body = T::migrate(from, body).map_err(|source| StoreError::Migration {
            key: key.clone(),
            kind: T::KIND,
            from,
            source,
        })?;
    }
    let doc = body
        .deserialized::<T>()
        .map_err(|ciborium::value::Error::Custom(message)| decode_error::<T>(key, &message))?;
    Ok((doc, version))
}

fn map_entries(body: &mut Value) -> Result<&mut Vec<(Value, Value)>, MigrationError> {
    match body {
        Value::Map(entries) => Ok(entries),
        _ => Err(MigrationError::Invalid("document body is not a map".into())),
    }
}

fn is_name(key: &Value, name: &str) -> bool {
    matches!(key, Value::Text(text) if text == name)
}

/// A migration step: renames the field `from` of a map body to `to`.
/// [`MigrationError::MissingField`] if there is no field `from`; a field already named `to` is
/// replaced.
pub fn rename_field(body: &mut Value, from: &str, to: &str) -> Result<(), MigrationError> {
    let entries = map_entries(body)?;
    if !entries.iter().any(|(k, _)| is_name(k, from)) {
        return Err(MigrationError::MissingField(from.to_owned()));
    }
    if from != to {
        entries.retain(|(k, _)| !is_name(k, to));
        for (k, _) in entries.iter_mut().filter(|(k, _)| is_name(k, from)) {
            *k = Value::Text(to.to_owned());
        }
    }
    Ok(())
}

/// A migration step: sets the field `name` of a map body to `value`, replacing any previous
/// value.
pub fn insert_field(body: &mut Value, name: &str, value: Value) -> Result<(), MigrationError> {
    let entries = map_entries(body)?;
    match entries.iter_mut().find(|(k, _)| is_name(k, name)) {
        Some((_, v)) => *v = value,
        None => entries.push((Value::Text(name.to_owned()), value)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn map(entries: &[(&str, i64)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| (Value::Text((*k).into()), Value::Integer((*v).into())))
                .collect(),
        )
    }

    #[test]
    fn field_helpers() {
        let mut body = map(&[("a", 1), ("b", 2)]);
        rename_field(&mut body, "a", "c").unwrap();
        assert_eq!(body, map(&[("c", 1), ("b", 2)]));
        rename_field(&mut body, "c", "b").unwrap();
        assert_eq!(body, map(&[("b", 1)]));
        assert_eq!(
            rename_field(&mut body, "zz", "y"),
            Err(MigrationError::MissingField("zz".into()))
        );
        insert_field(&mut body, "b", Value::Integer(5.into())).unwrap();
        insert_field(&mut body, "d", Value::Integer(6.into())).unwrap();
        assert_eq!(body, map(&[("b", 5), ("d", 6)]));
        assert!(insert_field(&mut Value::Null, "x", Value::Null).is_err());
        assert!(rename_field(&mut Value::Bool(true), "x", "y").is_err());
    }
}

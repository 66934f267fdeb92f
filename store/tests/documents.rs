//! Versioned documents: migration, refusal of newer versions, kinds, redaction of secrets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ciborium::Value;
use orbit_store::{
    insert_field, load_doc, rename_field, save_doc, upgrade_doc, Document, MemoryStore,
    MigrationError, RecordKey, Secret, SecretBytes, Store, StoreError,
};
use serde::{Deserialize, Serialize};

fn key(name: &str) -> RecordKey {
    RecordKey::new(name).unwrap()
}

const KIND: &str = "test.paired-device";

/// Version 1 of a paired-device record, as an older build wrote it.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct DeviceV1 {
    name: String,
    addr: String,
}

impl Document for DeviceV1 {
    const KIND: &'static str = KIND;
    const VERSION: u16 = 1;
}

/// Version 2: `addr` renamed to `last_address`, `port` added.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct DeviceV2 {
    name: String,
    last_address: String,
    port: u16,
}

impl Document for DeviceV2 {
    const KIND: &'static str = KIND;
    const VERSION: u16 = 2;

    fn migrate(from: u16, mut body: Value) -> Result<Value, MigrationError> {
        match from {
            1 => {
                rename_field(&mut body, "addr", "last_address")?;
                insert_field(&mut body, "port", Value::Integer(5540.into()))?;
                Ok(body)
            }
            _ => Err(MigrationError::UnknownVersion { from }),
        }
    }
}

/// Version 3: adds `descriptor_hash`; migrates from 1 through 2, one step at a time.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct DeviceV3 {
    name: String,
    last_address: String,
    port: u16,
    descriptor_hash: Option<SecretBytes>,
}

impl Document for DeviceV3 {
    const KIND: &'static str = KIND;
    const VERSION: u16 = 3;

    fn migrate(from: u16, mut body: Value) -> Result<Value, MigrationError> {
        match from {
            1 => DeviceV2::migrate(1, body),
            2 => {
                insert_field(&mut body, "descriptor_hash", Value::Null)?;
                Ok(body)
            }
            _ => Err(MigrationError::UnknownVersion { from }),
        }
    }
}

fn v1() -> DeviceV1 {
    DeviceV1 {
        name: "porch lamp".into(),
        addr: "fe80::1".into(),
    }
}

#[test]
fn a_v1_document_loads_as_v2_and_v3_by_migration() {
    let store = MemoryStore::new();
    let k = key("device-1");
    save_doc(&store, &k, &v1()).unwrap();

    let v2: DeviceV2 = load_doc(&store, &k).unwrap().unwrap();
    assert_eq!(
        v2,
        DeviceV2 {
            name: "porch lamp".into(),
            last_address: "fe80::1".into(),
            port: 5540,
        }
    );
    let v3: DeviceV3 = load_doc(&store, &k).unwrap().unwrap();
    assert_eq!(v3.last_address, "fe80::1");
    assert_eq!(v3.port, 5540);
    assert_eq!(v3.descriptor_hash, None);
}

#[test]
fn load_does_not_rewrite_but_upgrade_does() {
    let store = MemoryStore::new();
    let k = key("device-1");
    save_doc(&store, &k, &v1()).unwrap();
    let before = store.load(&k).unwrap();

    let _: DeviceV2 = load_doc(&store, &k).unwrap().unwrap();
    assert_eq!(store.load(&k).unwrap(), before, "load_doc wrote the record");
    // So the older build can still read it.
    assert_eq!(load_doc::<DeviceV1>(&store, &k).unwrap().unwrap(), v1());

    let upgraded: DeviceV2 = upgrade_doc(&store, &k).unwrap().unwrap();
    assert_ne!(store.load(&k).unwrap(), before, "upgrade_doc did not write");
    assert_eq!(load_doc::<DeviceV2>(&store, &k).unwrap().unwrap(), upgraded);
    // Now the older build is refused rather than misreading it.
    assert!(matches!(
        load_doc::<DeviceV1>(&store, &k),
        Err(StoreError::TooNew {
            what: KIND,
            found: 2,
            supported: 1,
            ..
        })
    ));
    // Upgrading a current document writes nothing.
    let after = store.load(&k).unwrap();
    let _: DeviceV2 = upgrade_doc(&store, &k).unwrap().unwrap();
    assert_eq!(store.load(&k).unwrap(), after);
    assert!(upgrade_doc::<DeviceV2>(&store, &key("absent"))
        .unwrap()
        .is_none());
}

#[test]
fn a_newer_document_is_refused_and_left_intact() {
    let store = MemoryStore::new();
    let k = key("device-2");
    let v3 = DeviceV3 {
        name: "lock".into(),
        last_address: "10.0.0.7".into(),
        port: 1,
        descriptor_hash: Some(SecretBytes::new(vec![1, 2, 3])),
    };
    save_doc(&store, &k, &v3).unwrap();
    let before = store.load(&k).unwrap();
    match load_doc::<DeviceV2>(&store, &k) {
        Err(StoreError::TooNew {
            found, supported, ..
        }) => assert_eq!((found, supported), (3, 2)),
        other => panic!("expected TooNew, got {other:?}"),
    }
    assert!(matches!(
        upgrade_doc::<DeviceV1>(&store, &k),
        Err(StoreError::TooNew { .. })
    ));
    // Nor overwritten by the older build.
    assert!(matches!(
        save_doc(&store, &k, &v1()),
        Err(StoreError::TooNew {
            found: 3,
            supported: 1,
            ..
        })
    ));
    assert_eq!(store.load(&k).unwrap(), before);
    assert_eq!(load_doc::<DeviceV3>(&store, &k).unwrap().unwrap(), v3);
    // Unless the record is removed on purpose; and unreadable records are replaced.
    assert!(store.remove(&k).unwrap());
    save_doc(&store, &k, &v1()).unwrap();
    store.save(&k, b"garbage").unwrap();
    save_doc(&store, &k, &v1()).unwrap();
    assert_eq!(load_doc::<DeviceV1>(&store, &k).unwrap().unwrap(), v1());
}

#[derive(Debug, Serialize, Deserialize)]
struct Other {
    x: u8,
}

impl Document for Other {
    const KIND: &'static str = "test.other";
    const VERSION: u16 = 2;
}

#[test]
fn kinds_and_missing_migrations_are_checked() {
    let store = MemoryStore::new();
    let k = key("d");
    save_doc(&store, &k, &v1()).unwrap();
    match load_doc::<Other>(&store, &k) {
        Err(StoreError::WrongKind {
            expected, found, ..
        }) => assert_eq!((expected, found.as_str()), ("test.other", KIND)),
        other => panic!("expected WrongKind, got {other:?}"),
    }

    // Version 1 of `Other`, which has no migration from 1.
    #[derive(Serialize, Deserialize)]
    struct OtherV1 {
        x: u8,
    }
    impl Document for OtherV1 {
        const KIND: &'static str = "test.other";
        const VERSION: u16 = 1;
    }
    save_doc(&store, &k, &OtherV1 { x: 1 }).unwrap();
    assert!(matches!(
        load_doc::<Other>(&store, &k),
        Err(StoreError::Migration {
            from: 1,
            source: MigrationError::UnknownVersion { from: 1 },
            ..
        })
    ));

    // A migration that needs a field the document lacks.
    save_doc(
        &store,
        &k,
        &DeviceV1 {
            name: "n".into(),
            addr: "a".into(),
        },
    )
    .unwrap();
    let mut bytes = Vec::new();
    ciborium::into_writer(
        &Value::Map(vec![
            (Value::Text("kind".into()), Value::Text(KIND.into())),
            (Value::Text("version".into()), Value::Integer(1.into())),
            (
                Value::Text("body".into()),
                Value::Map(vec![(Value::Text("name".into()), Value::Text("n".into()))]),
            ),
        ]),
        &mut bytes,
    )
    .unwrap();
    store.save(&k, &bytes).unwrap();
    assert!(matches!(
        load_doc::<DeviceV2>(&store, &k),
        Err(StoreError::Migration {
            source: MigrationError::MissingField(ref f),
            ..
        }) if f == "addr"
    ));
}

#[test]
fn malformed_documents_are_decode_errors() {
    let store = MemoryStore::new();
    let k = key("d");
    for bytes in [
        &b""[..],
        &b"\xff\xff"[..],
        &b"not cbor at all"[..],
        // A CBOR integer, not the envelope map.
        &[0x05][..],
    ] {
        store.save(&k, bytes).unwrap();
        assert!(
            matches!(
                load_doc::<DeviceV1>(&store, &k),
                Err(StoreError::Decode { kind: KIND, .. })
            ),
            "{bytes:?}"
        );
    }
    // A valid document followed by trailing bytes.
    save_doc(&store, &k, &v1()).unwrap();
    let mut bytes = store.load(&k).unwrap().unwrap();
    bytes.push(0);
    store.save(&k, &bytes).unwrap();
    match load_doc::<DeviceV1>(&store, &k) {
        Err(StoreError::Decode { message, .. }) => {
            assert!(message.contains("trailing"), "{message}")
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

/// A controller identity as the SDK might define it.
#[derive(Debug, Serialize, Deserialize)]
struct Identity {
    label: String,
    signing_key: SecretBytes,
    pin: Secret<String>,
    counter: Secret<u64>,
}

impl Document for Identity {
    const KIND: &'static str = "test.identity";
    const VERSION: u16 = 1;
}

#[test]
fn debug_of_a_document_holding_a_key_does_not_show_the_key() {
    let key_bytes: Vec<u8> = (0xa0..0xc0).collect();
    let id = Identity {
        label: "phone".into(),
        signing_key: SecretBytes::new(key_bytes.clone()),
        pin: Secret::new("493027".into()),
        counter: Secret::new(0x1234_5678_9abc),
    };
    let store = MemoryStore::new();
    let k = key("identity");
    save_doc(&store, &k, &id).unwrap();
    let back: Identity = load_doc(&store, &k).unwrap().unwrap();
    assert_eq!(back.signing_key.expose(), &key_bytes[..]);
    assert_eq!(back.pin.expose(), "493027");

    for shown in [format!("{back:?}"), format!("{back:#?}"), format!("{id:?}")] {
        assert!(shown.contains("phone"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        let hex_lower: String = key_bytes.iter().map(|b| format!("{b:02x}")).collect();
        let hex_upper = hex_lower.to_uppercase();
        for needle in [
            hex_lower.as_str(),
            hex_upper.as_str(),
            &hex_lower[..8],
            "160, 161", // the first bytes as Vec<u8> Debug would print them
            "[160",
            "493027",
            &0x1234_5678_9abc_u64.to_string(),
        ] {
            assert!(!shown.contains(needle), "{needle:?} in {shown}");
        }
    }
    // The check can fail: without the wrapper the bytes do show.
    assert!(format!("{key_bytes:?}").contains("160, 161"));
}

#[test]
fn decode_errors_do_not_echo_document_values() {
    #[derive(Debug, Serialize, Deserialize)]
    enum Mode {
        Open,
        Closed,
    }
    #[derive(Debug, Serialize, Deserialize)]
    struct Target {
        mode: Mode,
        pin: u32,
    }
    impl Document for Target {
        const KIND: &'static str = "test.target";
        const VERSION: u16 = 2;
        fn migrate(_from: u16, body: Value) -> Result<Value, MigrationError> {
            Ok(body)
        }
    }
    fn envelope(version: u8, body: Vec<(&str, Value)>) -> Vec<u8> {
        let body = body
            .into_iter()
            .map(|(k, v)| (Value::Text(k.into()), v))
            .collect();
        let mut bytes = Vec::new();
        ciborium::into_writer(
            &Value::Map(vec![
                (
                    Value::Text("kind".into()),
                    Value::Text("test.target".into()),
                ),
                (
                    Value::Text("version".into()),
                    Value::Integer(version.into()),
                ),
                (Value::Text("body".into()), Value::Map(body)),
            ]),
            &mut bytes,
        )
        .unwrap();
        bytes
    }
    let store = MemoryStore::new();
    let k = key("target");
    // Version 2 decodes straight from the bytes, version 1 through a migration and a
    // `ciborium::Value`: two different decoders, two different message styles.
    for version in [2, 1] {
        for (body, expect) in [
            (
                vec![
                    ("mode", Value::Text("sk-TOPSECRET".into())),
                    ("pin", Value::Integer(1.into())),
                ],
                "unknown variant",
            ),
            (
                vec![
                    ("mode", Value::Text("Open".into())),
                    ("pin", Value::Text("493027".into())),
                ],
                "invalid type",
            ),
            (
                vec![
                    ("mode", Value::Text("Open".into())),
                    ("pin", Value::Integer(99_999_999_999_i64.into())),
                ],
                "",
            ),
        ] {
            store.save(&k, &envelope(version, body)).unwrap();
            let err = load_doc::<Target>(&store, &k).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(matches!(err, StoreError::Decode { .. }), "{shown}");
            assert!(shown.contains(expect), "{shown}");
            for secret in ["TOPSECRET", "493027", "99999999999"] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
    }
}

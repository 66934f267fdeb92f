//! Interaction messages and the device descriptor (`spec/v1/13-interaction.md`,
//! `spec/v1/12-data-model.md`).

use crate::alloc;
use crate::canonical::{assert_reencoding, message};
use orbit_core::codec::{decode_value, CborMessage, CodecError};
use orbit_core::interaction::{exchange_of_prefix, Envelope, IM_LIMITS};
use orbit_core::model::Descriptor;

/// The reference decoding: the tree, then the message read from it.
fn tree_decode(bytes: &[u8]) -> Result<Envelope, CodecError> {
    Envelope::from_value(decode_value(bytes, &IM_LIMITS)?)
}

/// Target `interaction_envelope`: every interaction message. The direct decoder (every
/// request and answer goes through it) and the tree decoder give the same message or refuse
/// with the same status [IM-5]; an accepted message re-encodes, by both encoders, to its
/// input less unknown keys [CBOR-8]; the exchange read from the prefix alone is the
/// message's [IM-3]; decoding stays within the interaction limits [IM-4].
pub fn envelope(data: &[u8]) {
    let direct = alloc::within(
        alloc::decode_budget(&IM_LIMITS),
        "Envelope::decode [CBOR-10] [LIMIT-1]",
        || Envelope::decode(data),
    );
    let tree = alloc::within(
        alloc::decode_budget(&IM_LIMITS),
        "Envelope tree decode [CBOR-10] [LIMIT-1]",
        || tree_decode(data),
    );
    match (direct, tree) {
        (Ok(direct), Ok(tree)) => {
            assert_eq!(
                direct, tree,
                "the direct and tree decoders read different messages"
            );
            let bytes = direct.to_bytes();
            let mut tree_bytes = Vec::new();
            orbit_core::codec::encode_value(&direct.to_value(), &mut tree_bytes);
            assert_eq!(bytes, tree_bytes, "the direct and tree encoders disagree");
            assert_reencoding(
                data,
                &without_defaulted_args(data, &direct, bytes.clone()),
                &IM_LIMITS,
            );
            assert_eq!(Envelope::decode(&bytes).as_ref(), Ok(&direct));
            assert_eq!(
                exchange_of_prefix(data),
                direct.exchange,
                "the prefix names another exchange than the message [IM-3]"
            );
        }
        (Err(d), Err(t)) => assert_eq!(
            d.status(),
            t.status(),
            "direct {d:?} and tree {t:?} refuse with different statuses [IM-5]"
        ),
        (d, t) => panic!("direct decoder says {d:?}, tree decoder says {t:?}"),
    }
}

/// The re-encoding of `env`, less the `3: {}` the encoder writes for an invoke's arguments or
/// result when the input left them out: the CDDL reads an absent one as `{}`
/// (`spec/v1/cddl/interaction.cddl`, invoke-request and invoke-success), the one place a
/// receiver fills in a value, so the only difference allowed besides unknown keys.
fn without_defaulted_args(input: &[u8], env: &Envelope, reencoded: Vec<u8>) -> Vec<u8> {
    use orbit_core::codec::{encode_value, Value};
    use orbit_core::interaction::Message;
    let invoke = matches!(
        env.message,
        Message::InvokeRequest(_) | Message::InvokeResponse(Ok(_))
    );
    let three = Value::Integer(3u8.into());
    let absent = match decode_value(input, &IM_LIMITS) {
        Ok(Value::Map(entries)) => !entries.iter().any(|(k, _)| *k == three),
        _ => false,
    };
    if !(invoke && absent) {
        return reencoded;
    }
    match decode_value(&reencoded, &IM_LIMITS) {
        Ok(Value::Map(mut entries)) => {
            entries.retain(|(k, v)| !(*k == three && *v == Value::Map(Vec::new())));
            let mut out = Vec::new();
            encode_value(&Value::Map(entries), &mut out);
            out
        }
        _ => reencoded,
    }
}

/// Target `descriptor`: an accepted descriptor re-encodes to its input less unknown keys
/// (its signature covers the received bytes, [DM-41]) within its limits [DM-44].
pub fn descriptor(data: &[u8]) {
    if let Some(d) = message::<Descriptor>(data) {
        // Looking endpoints up never panics, whatever the descriptor holds.
        for e in &d.endpoints {
            assert!(d.endpoint(e.id).is_some());
        }
    }
}

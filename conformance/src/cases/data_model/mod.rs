//! Data model and interactions (12-data-model, 13-interaction, 14-capabilities): the
//! descriptor and its agreement with the registry, reads, writes, commands, timed
//! interactions, events, subscriptions and exchange numbers. Which items are checked comes
//! from the device's live descriptor and the schemas that define them, never from a list
//! per device.

pub(crate) mod acl;
mod commands;
mod descriptor;
mod events;
mod exchanges;
pub(crate) mod reads;
mod requests;
mod restart;
mod rules;
pub(crate) mod schema;
pub(crate) mod subscriptions;
mod vendor;
pub(crate) mod wire;
pub(crate) mod writes;

use crate::case::{Case, Group};

/// The data-model cases.
pub(crate) const CASES: &[Case] = &[
    Group::DataModel.must(
        "data-model.descriptor-signature",
        "describe-response carries the descriptor and a signature by the device's operational key; same revision, same content",
        &["IM-70", "DM-41", "DM-45", "DM-2"],
        descriptor::signature,
    ),
    Group::DataModel.must(
        "data-model.descriptor-structure",
        "the descriptor sends every key in the profile's encoding, in order, with the root capabilities, the minimum limits and the vendor schemas",
        &["DM-40", "DM-44", "DM-42", "DM-10", "DM-3", "DM-43", "DM-31", "DM-18"],
        descriptor::structure,
    ),
    Group::DataModel.must(
        "data-model.descriptor-registry",
        "each capability instance lists exactly the items its schema version and features require or allow",
        &["DM-42", "DM-15"],
        descriptor::registry,
    ),
    Group::DataModel.must(
        "data-model.attribute-values",
        "every declared attribute reads with a value that fits its type and constraints",
        &["IM-20", "DM-14", "DM-47"],
        reads::values,
    ),
    Group::DataModel.must(
        "data-model.wildcard-read",
        "a wildcard read reports every readable declared attribute exactly once, in order, and nothing else",
        &["IM-20", "IM-13", "DM-42", "IM-4"],
        reads::wildcard,
    ),
    Group::DataModel.must(
        "data-model.path-errors",
        "paths to a missing endpoint, capability, attribute or command answer the unsupported-* status; wildcards matching nothing answer nothing",
        &["IM-20", "IM-13", "IM-21", "IM-30"],
        reads::path_errors,
    ),
    Group::DataModel.must(
        "data-model.write-validation",
        "writes of read-only attributes, wrong shapes, out-of-range values and null are refused with their statuses and change nothing",
        &["IM-20", "IM-21", "DM-12", "DM-14", "IM-22"],
        writes::validation,
    ),
    Group::DataModel.must(
        "data-model.write-read-back",
        "writing an attribute's current value succeeds, another fitting value is read back, and the original is restored",
        &["IM-20", "IM-21", "IM-22", "IM-23"],
        writes::read_back,
    ),
    Group::DataModel.must(
        "data-model.invoke-arguments",
        "commands with a missing, mistyped or out-of-range argument are refused with the first failure's status",
        &["IM-30", "DM-14"],
        commands::arguments,
    ),
    Group::DataModel.must(
        "data-model.invoke-effect",
        "a command the suite can undo runs, answers a fitting result and has its effect",
        &["IM-30", "DM-49", "DM-50", "DM-55", "IM-31"],
        commands::effect,
    ),
    Case {
        applies: commands::timed_applies,
        ..Group::DataModel.must(
            "data-model.timed",
            "timed commands need a timed interaction; windows are checked, bounded and expire",
            &["IM-40", "IM-41", "DM-13"],
            commands::timed,
        )
    },
    Group::DataModel.must(
        "data-model.events",
        "events come in strictly ascending number with their schema's priority and fields; acl writes record access-changed; event_min filters",
        &["IM-20", "IM-15", "IM-50", "DM-42", "IM-51", "DM-14", "ACL-8"],
        events::ordered,
    ),
    Group::DataModel.must(
        "data-model.subscribe-lifecycle",
        "bad intervals are refused, the initial report holds the value, unsubscribe ends the subscription",
        &["IM-60", "IM-65", "IM-82"],
        subscriptions::lifecycle,
    ),
    Group::DataModel.must(
        "data-model.subscribe-reports",
        "changes are reported no earlier than the minimum interval with the latest value; keep-alives at the maximum interval",
        &["IM-60", "IM-62", "IM-23", "IM-63"],
        subscriptions::reports,
    ),
    Group::DataModel.must(
        "data-model.exchange-numbers",
        "answers echo the exchange; exchange 0, undecodable requests, unknown types and endpoint 0xffff are refused as the spec says",
        &["IM-3", "IM-101", "IM-2", "IM-100", "IM-83", "IM-5"],
        exchanges::exchanges,
    ),
    Group::DataModel.must(
        "data-model.write-entries",
        "a write's entries apply in order and independently; an atomic write applies all or nothing",
        &["IM-22", "IM-24"],
        requests::entries,
    ),
    Group::DataModel.must(
        "data-model.path-limit",
        "a read of the stated number of paths is answered, one more is resource-exhausted",
        &["IM-80"],
        requests::path_limit,
    ),
    Group::DataModel.must(
        "data-model.subscription-limit",
        "a session gets the stated number of subscriptions with distinct IDs; one more is resource-exhausted and the others live on",
        &["IM-60", "IM-61", "IM-81"],
        requests::subscription_limit,
    ),
    Case {
        applies: rules::applies,
        ..Group::DataModel.must(
            "data-model.capability-rules",
            "levels and color temperatures clamp, writes set the color mode, the thermostat keeps its setpoint gap; unknown argument fields are ignored",
            &["DM-50", "DM-51", "DM-52", "IM-32", "DM-17"],
            rules::rules,
        )
    },
    Group::DataModel.must(
        "data-model.event-buffer",
        "after 64 more events the device still returns at least 64, in ascending number",
        &["IM-52", "IM-15", "ACL-8"],
        events::buffer,
    ),
    Group::DataModel.must(
        "data-model.restart",
        "across a power cycle the device keeps what it acknowledged, its descriptor and endpoint numbers, and numbers events above the earlier ones",
        &["DM-65", "IM-50", "DM-45", "DM-2"],
        restart::restart,
    ),
];

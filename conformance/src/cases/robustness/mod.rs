//! Robustness (01-encoding, 10-limits, 11-security, and the interaction model's message
//! limits): malformed CBOR and oversized messages inside a session, floods of exchanges,
//! handshakes started and abandoned, and bad pairing attempts. After every case the runner
//! checks that the device still serves a fresh honest session with its state unchanged
//! (`check_state_after`, [`crate::health`]).

mod cbor;
mod floods;

use crate::adversarial::malformed::Malformed;
use crate::case::{Case, Group, Outcome};
use crate::context::Ctx;
use crate::transport::BoxFuture;

const fn must(
    id: &'static str,
    title: &'static str,
    spec_ids: &'static [&'static str],
    run: crate::case::CaseFn,
) -> Case {
    Case {
        check_state_after: true,
        ..Group::Robustness.must(id, title, spec_ids, run)
    }
}

/// One case function per malformed request.
macro_rules! malformed_case {
    ($($name:ident => $variant:ident),* $(,)?) => {
        $(
            fn $name(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
                Box::pin(cbor::malformed(ctx, Malformed::$variant))
            }
        )*
    };
}

malformed_case! {
    truncated => Truncated,
    oversized_length => OversizedLength,
    deep_nesting => DeepNesting,
    duplicate_keys => DuplicateKey,
    unsorted_keys => UnsortedKeys,
    trailing_bytes => TrailingBytes,
    wrong_type => WrongType,
    indefinite_length => Indefinite,
    float => Float,
    tag => Tag,
    non_shortest_prefix => NonShortestPrefix,
    too_large => TooLarge,
    too_many_entries => TooManyEntries,
    invalid_utf8 => InvalidUtf8,
    missing_list => MissingList,
}

fn unknown_key(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(cbor::unknown_key(ctx))
}

fn malformed_write(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(cbor::malformed_write(ctx))
}

/// The robustness cases.
pub(crate) const CASES: &[Case] = &[
    must(
        "robustness.cbor-truncated",
        "A request that ends inside an item gets invalid-message on its exchange; the session goes on",
        &["CBOR-1", "IM-5", "IM-100", "SEC-4"],
        truncated,
    ),
    must(
        "robustness.cbor-oversized-length",
        "A request declaring an array of 2^32 entries gets invalid-message or resource-exhausted; the session goes on",
        &["CBOR-10", "IM-5", "IM-100", "SEC-4"],
        oversized_length,
    ),
    must(
        "robustness.cbor-deep-nesting",
        "A request nested past depth 12 gets resource-exhausted; the session goes on",
        &["IM-4", "CBOR-10", "LIMIT-1", "IM-5", "IM-100", "SEC-4"],
        deep_nesting,
    ),
    must(
        "robustness.cbor-duplicate-keys",
        "A request with a key twice gets invalid-message; the session goes on",
        &["CBOR-7", "IM-5", "IM-100", "SEC-4"],
        duplicate_keys,
    ),
    must(
        "robustness.cbor-unsorted-keys",
        "A request whose map keys are out of order gets invalid-message; the session goes on",
        &["CBOR-7", "IM-5", "IM-100", "SEC-4"],
        unsorted_keys,
    ),
    must(
        "robustness.cbor-trailing-bytes",
        "A request with a byte after its top-level item gets invalid-message; the session goes on",
        &["CBOR-2", "IM-5", "IM-100", "SEC-4"],
        trailing_bytes,
    ),
    must(
        "robustness.cbor-wrong-type",
        "A request whose attribute paths are an integer gets invalid-message; the session goes on",
        &["IM-5", "IM-100", "SEC-4"],
        wrong_type,
    ),
    must(
        "robustness.cbor-indefinite-length",
        "A request with an indefinite-length array gets invalid-message; the session goes on",
        &["CBOR-4", "IM-5", "IM-100", "SEC-4"],
        indefinite_length,
    ),
    must(
        "robustness.cbor-float",
        "A request holding a float gets invalid-message; the session goes on",
        &["CBOR-5", "IM-5", "IM-100", "SEC-4"],
        float,
    ),
    must(
        "robustness.cbor-tag",
        "A request holding a tag gets invalid-message; the session goes on",
        &["CBOR-5", "IM-5", "IM-100", "SEC-4"],
        tag,
    ),
    must(
        "robustness.cbor-non-shortest-prefix",
        "A request whose type is not in shortest form gets invalid-message on exchange 0",
        &["CBOR-3", "IM-5", "IM-100", "SEC-4"],
        non_shortest_prefix,
    ),
    must(
        "robustness.message-too-large",
        "An interaction message past 8192 bytes gets resource-exhausted; the session goes on",
        &["IM-4", "CBOR-10", "IM-5", "IM-100", "SEC-4"],
        too_large,
    ),
    must(
        "robustness.too-many-entries",
        "A request with 129 attribute paths gets resource-exhausted; the session goes on",
        &["IM-4", "CBOR-10", "IM-5", "IM-100", "SEC-4"],
        too_many_entries,
    ),
    must(
        "robustness.cbor-invalid-utf8",
        "A request holding a text string that is not UTF-8 (under an unknown key) gets invalid-message",
        &["CBOR-6", "IM-5", "IM-100", "SEC-4"],
        invalid_utf8,
    ),
    must(
        "robustness.cbor-missing-list",
        "A read-request without its event-path list (required, even when empty) gets invalid-message; the session goes on",
        &["CBOR-11", "IM-5", "IM-100", "SEC-4"],
        missing_list,
    ),
    must(
        "robustness.cbor-unknown-key",
        "A request carrying a map key no version defines is served as if the key were absent",
        &["CBOR-8", "SEC-4"],
        unknown_key,
    ),
    must(
        "robustness.malformed-write",
        "A write-request with a valid entry but a trailing byte gets invalid-message and the attribute keeps its value",
        &["IM-5", "CBOR-2", "IM-100", "SEC-4"],
        malformed_write,
    ),
    must(
        "robustness.stream-flood",
        "128 exchanges opened at once (requests and records of no session) leave the session served; garbage is never answered",
        &["SEC-4", "MSG-18"],
        floods::stream_flood,
    ),
    must(
        "robustness.connection-flood",
        "48 connections without a handshake and 48 idle authenticated ones: the oldest give way, the unauthenticated budget is the smaller, a member still gets a connection",
        &["LIMIT-10", "QUIC-41", "QUIC-42", "SEC-4"],
        floods::connection_flood,
    ),
    must(
        "robustness.half-open-sigma",
        "Eight SIGMA handshakes left waiting for sigma3 (each on its own identifier): a ninth gets busy, the established session is served",
        &["SESS-34", "SESS-8", "MSG-2", "SEC-4"],
        floods::half_open_sigma,
    ),
    must(
        "robustness.half-open-pase",
        "A PASE handshake left half-open: a second gets busy; once abandoned before pake2 it counts no failure",
        &["PAIR-24", "PAIR-25", "SEC-4"],
        floods::half_open_pase,
    ),
    must(
        "robustness.pairing-flood",
        "Bad pairing requests after a failed attempt get pairing-backoff, and members of the home are still served",
        &["PAIR-26", "SEC-4"],
        floods::pairing_flood,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_robustness_case_checks_the_state_after_and_cites_what_it_can_fail() {
        for c in CASES {
            assert!(c.check_state_after, "{}", c.info.id);
            assert!(c.info.spec_ids.contains(&"SEC-4"), "{}", c.info.id);
        }
        for m in Malformed::ALL {
            let rule = cbor::rule_of(m);
            assert!(m.allowed().iter().all(|s| s.0 != 0), "{m:?}");
            assert!(
                CASES.iter().any(|c| c.info.spec_ids.contains(&rule)
                    && c.info.spec_ids.contains(&"IM-100")),
                "{m:?}: {rule}"
            );
        }
    }
}

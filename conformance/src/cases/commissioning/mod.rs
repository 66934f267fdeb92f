//! Attestation and commissioning (05-attestation), homes (02-identities) and multi-admin
//! (15-access-control): the chain and its proof, commissioning messages out of place, an
//! abandoned commissioning, the same home twice, a second home and its removal.

mod attestation;
mod homes;
mod install;

use crate::case::{Case, Group};

/// The commissioning cases.
pub(crate) const CASES: &[Case] = &[
    Group::Commissioning.must(
        "commissioning.attestation",
        "The device's attestation chain leads to a trusted vendor root, names the product of \
         its setup code, and its proof covers this pairing's challenge, the suite's nonce and \
         the new operational key",
        &[
            "ATT-1", "ATT-2", "ATT-6", "ATT-9", "COMM-6", "COMM-9", "COMM-15", "CERT-1", "CERT-10",
        ],
        attestation::attestation,
    ),
    Group::Commissioning.must(
        "commissioning.abandoned",
        "When the PASE connection closes mid-commissioning the device rolls back, reopens its \
         window, makes a new operational key for the next commissioning and keeps exactly \
         its homes",
        &["COMM-28", "COMM-29", "COMM-9", "COMM-14"],
        attestation::abandoned,
    ),
    Group::Commissioning.must(
        "commissioning.outside-pase",
        "An attestation-request sealed in an operational session, or sent unsealed, is not \
         answered with an attestation-response",
        &["COMM-1", "QUIC-3"],
        attestation::outside_pase,
    ),
    Group::Commissioning.must(
        "commissioning.out-of-order",
        "install-home before attestation-request, success from the controller, or a message \
         of unknown type ends commissioning with unexpected-message",
        &["COMM-3"],
        install::out_of_order,
    ),
    Group::Commissioning.must(
        "commissioning.second-message",
        "A second commissioning message on an attestation step's stream ends commissioning \
         with unexpected-message on that stream, and the stream ends",
        &["COMM-3", "QUIC-23"],
        attestation::second_message,
    ),
    Group::Commissioning.must(
        "commissioning.bad-install-home",
        "install-home whose certificate names another key, the controller role, an expired \
         validity, another home's root, another signer, an unknown or wrong kind, another \
         issuer or no node_id ends with invalid-certificate and adds no home",
        &[
            "COMM-11", "HOME-4", "CERT-2", "CERT-3", "CERT-4", "CERT-5", "CERT-6", "CERT-7",
            "CERT-8", "COMM-14",
        ],
        install::bad_install_home,
    ),
    Group::Commissioning.must(
        "commissioning.oversized-message",
        "An attestation-request over its 128-byte and 64-byte-string limits ends \
         commissioning with resource-exhausted",
        &["COMM-18"],
        install::oversized_message,
    ),
    Group::Commissioning.must(
        "commissioning.five-homes",
        "The device joins homes up to 5 (max-homes at least 5); when it holds max-homes, \
         attestation-request gets homes-full",
        &["HOME-5", "COMM-10", "ACL-10"],
        homes::five_homes,
    ),
    Group::Commissioning.must(
        "commissioning.same-home-twice",
        "install-home of a home the device already belongs to ends with invalid-parameter \
         and leaves that membership working",
        &["COMM-13", "HOME-6"],
        homes::same_home_twice,
    ),
    Group::Commissioning.must(
        "commissioning.second-home",
        "After the administrator opens the window a second home commissions the device, its \
         administrator holds only its own home's ACL entry, and once the first home removes it \
         its sessions, new sessions and resumption are refused",
        &[
            "ACL-10", "COMM-13", "COMM-27", "HOME-2", "ACL-6", "ACL-7", "ACL-9", "HOME-7", "HOME-3",
        ],
        homes::second_home,
    ),
];
